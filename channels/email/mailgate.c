/*
 * citizenhub-mailgate: hands one message from standard input to the hub's
 * LMTP listener, for an MTA's pipe transport (Postfix pipe(8), Exim's pipe
 * transport, a .forward or aliases line).
 *
 * The exit status is what MTAs expect of a delivery command. It is 0 when
 * the hub stored the message or dropped it on purpose (an auto-reply, a
 * bounce) and 65 (EX_DATAERR) when the hub rejected it for good. It is 75
 * (EX_TEMPFAIL) when the hub could not be reached or asked to try later,
 * so that the MTA keeps the message and retries.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define MAILGATE_EX_OK 0
#define MAILGATE_EX_USAGE 64
#define MAILGATE_EX_DATAERR 65
#define MAILGATE_EX_TEMPFAIL 75
/* The largest message read from standard input. */
#define MAILGATE_MESSAGE_MAX ((size_t)1 << 30)
#define MAILGATE_REPLY_MAX 1024

struct mailgate_options {
	const char *config_path;
	const char *sender;
	const char *recipient;
	const char *lmtp;	/* HOST:PORT */
	const char *socket;	/* Unix socket path */
	int timeout_seconds;
	/* Copies of what came from the config file, freed at exit. */
	char *config_recipient;
	char *config_lmtp;
	char *config_socket;
};

struct mailgate_connection {
	int fd;
	char buffer[4096];
	size_t length;
	char reply[MAILGATE_REPLY_MAX];	/* last reply line */
};

static void
mailgate_usage(FILE *out)
{
	fputs(
"usage: citizenhub-mailgate [-c CONFIG] [-f SENDER] [-r RECIPIENT]\n"
"                           [--lmtp HOST:PORT | --socket PATH]\n"
"                           [--timeout SECONDS] [SENDER]\n"
"\n"
"Reads one email message on standard input and hands it to the Citizen Hub\n"
"daemon over LMTP. Meant as an MTA's pipe command, for example in Postfix's\n"
"master.cf:\n"
"  citizenhub unix - n n - - pipe flags=R user=citizenhub\n"
"    argv=/usr/local/bin/citizenhub-mailgate -f ${sender}\n"
"\n"
"  -c, --config FILE      the hub's configuration file, read for\n"
"                         channels.email.address and channels.email.lmtp\n"
"                         (default " HUB_CONFIG_PATH ")\n"
"  -f, --sender SENDER    envelope sender; an empty one is the null sender.\n"
"                         Without it: the SENDER argument, else the message's\n"
"                         Return-Path header, else the null sender\n"
"  -r, --recipient RCPT   recipient (default: channels.email.address)\n"
"      --lmtp HOST:PORT   the hub's LMTP listener (default: channels.email.\n"
"                         lmtp.listen, else 127.0.0.1:2424)\n"
"      --socket PATH      the hub's LMTP Unix socket (default: channels.\n"
"                         email.lmtp.socket when set)\n"
"  -t, --timeout SECONDS  limit for connecting and for each reply (60)\n"
"  -h, --help             print this help\n"
"\n"
"Exit status: 0 when the hub stored the message or dropped it on purpose,\n"
"65 (EX_DATAERR) when the hub rejected it, 75 (EX_TEMPFAIL) when the hub\n"
"was not reachable, timed out or answered 4xx, 64 on a usage error. The\n"
"hub's reply is printed on standard error whenever the status is not 0.\n",
	    out);
}

static int
mailgate_parse_arguments(int argc, char **argv,
    struct mailgate_options *options)
{
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sender", required_argument, NULL, 'f' },
		{ "recipient", required_argument, NULL, 'r' },
		{ "lmtp", required_argument, NULL, 'L' },
		{ "socket", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int option;

	options->config_path = HUB_CONFIG_PATH;
	options->timeout_seconds = 60;
	while ((option = getopt_long(argc, argv, "c:f:r:t:h", long_options,
	    NULL)) != -1) {
		switch (option) {
		case 'c': options->config_path = optarg; break;
		case 'f': options->sender = optarg; break;
		case 'r': options->recipient = optarg; break;
		case 'L': options->lmtp = optarg; break;
		case 'S': options->socket = optarg; break;
		case 't':
			errno = 0;
			options->timeout_seconds = (int)strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' ||
			    options->timeout_seconds < 1 ||
			    options->timeout_seconds > 3600) {
				fprintf(stderr, "citizenhub-mailgate: invalid "
				    "--timeout %s: give 1 to 3600 seconds\n",
				    optarg);
				return -1;
			}
			break;
		case 'h':
			mailgate_usage(stdout);
			exit(MAILGATE_EX_OK);
		default:
			mailgate_usage(stderr);
			return -1;
		}
	}
	if (optind < argc && options->sender == NULL)
		options->sender = argv[optind++];
	if (optind != argc || (options->lmtp != NULL && options->socket != NULL)) {
		mailgate_usage(stderr);
		return -1;
	}
	return 0;
}

/* Reads all of standard input. Returns 0, or the exit status. */
static int
mailgate_read_message(char **message, size_t *size)
{
	size_t capacity = 65536, length = 0;
	char *buffer = malloc(capacity), *grown;
	size_t got;

	while (buffer != NULL &&
	    (got = fread(buffer + length, 1, capacity - length, stdin)) > 0) {
		length += got;
		if (length < capacity)
			continue;
		if (capacity >= MAILGATE_MESSAGE_MAX) {
			fprintf(stderr, "citizenhub-mailgate: the message is "
			    "larger than %zu bytes\n", MAILGATE_MESSAGE_MAX);
			free(buffer);
			return MAILGATE_EX_DATAERR;
		}
		grown = realloc(buffer, capacity * 2);
		if (grown == NULL)
			break;
		buffer = grown;
		capacity *= 2;
	}
	if (buffer == NULL || ferror(stdin) || length == capacity) {
		fprintf(stderr, "citizenhub-mailgate: reading standard input "
		    "failed: %s\n", buffer == NULL || length == capacity ?
		    "out of memory" : strerror(errno));
		free(buffer);
		return MAILGATE_EX_TEMPFAIL;
	}
	buffer[length] = '\0';
	*message = buffer;
	*size = length;
	return MAILGATE_EX_OK;
}

/* The address in the message's Return-Path header as a new string, or
 * NULL when the header block has none. */
static char *
mailgate_return_path(const char *message, size_t size)
{
	const char *line = message, *end = message + size;

	while (line < end && *line != '\n' && *line != '\r') {
		const char *next = memchr(line, '\n', (size_t)(end - line));

		if ((size_t)(end - line) > 12 &&
		    strncasecmp(line, "Return-Path:", 12) == 0) {
			const char *open = memchr(line, '<', (size_t)((next != NULL ?
			    next : end) - line));
			const char *close = open != NULL ? memchr(open, '>',
			    (size_t)((next != NULL ? next : end) - open)) : NULL;

			if (open != NULL && close != NULL)
				return strndup(open + 1, (size_t)(close - open - 1));
			return NULL;
		}
		if (next == NULL)
			break;
		line = next + 1;
	}
	return NULL;
}

/* path as the hub reads it: relative to the config file's folder. Returns
 * a new string or NULL when out of memory. */
static char *
mailgate_config_relative(const char *config_path, const char *path)
{
	const char *slash = strrchr(config_path, '/');
	char *joined;

	if (path[0] == '/' || slash == NULL)
		return strdup(path);
	if (asprintf(&joined, "%.*s/%s", (int)(slash - config_path),
	    config_path, path) < 0)
		return NULL;
	return joined;
}

/* Reads channels.email from the config for what the options leave open:
 * the recipient and where the hub listens. Returns 0, or the exit status. */
static int
mailgate_read_config(struct mailgate_options *options)
{
	json_error_t error;
	json_t *root, *email, *lmtp;
	const char *value;

	if (options->recipient != NULL &&
	    (options->lmtp != NULL || options->socket != NULL))
		return MAILGATE_EX_OK;
	root = json_load_file(options->config_path, JSON_REJECT_DUPLICATES,
	    &error);
	if (root == NULL) {
		fprintf(stderr, "citizenhub-mailgate: cannot read %s: %s (line "
		    "%d); give -r and --lmtp or --socket, or fix -c\n",
		    options->config_path, error.text, error.line);
		json_decref(root);
		return MAILGATE_EX_TEMPFAIL;
	}
	email = json_object_get(json_object_get(root, "channels"), "email");
	lmtp = json_object_get(email, "lmtp");
	if (options->recipient == NULL) {
		value = json_string_value(json_object_get(email, "address"));
		if (value == NULL) {
			fprintf(stderr, "citizenhub-mailgate: %s has no "
			    "channels.email.address; give -r\n",
			    options->config_path);
			json_decref(root);
			return MAILGATE_EX_TEMPFAIL;
		}
		options->recipient = options->config_recipient = strdup(value);
	}
	if (options->lmtp == NULL && options->socket == NULL) {
		value = json_string_value(json_object_get(lmtp, "socket"));
		if (value != NULL) {
			options->socket = options->config_socket =
			    mailgate_config_relative(options->config_path,
			    value);
		} else {
			value = json_string_value(json_object_get(lmtp,
			    "listen"));
			options->lmtp = options->config_lmtp = strdup(
			    value != NULL ? value : "127.0.0.1:2424");
		}
	}
	json_decref(root);
	if (options->recipient == NULL ||
	    (options->lmtp == NULL && options->socket == NULL)) {
		fprintf(stderr, "citizenhub-mailgate: out of memory\n");
		return MAILGATE_EX_TEMPFAIL;
	}
	return MAILGATE_EX_OK;
}

static void
mailgate_set_timeouts(int fd, int seconds)
{
	struct timeval timeout = { seconds, 0 };

	/* On Linux SO_SNDTIMEO bounds connect() too. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

static int
mailgate_connect_unix(const char *path, int seconds)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof address.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(address.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	mailgate_set_timeouts(fd, seconds);
	if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connects to "HOST:PORT" or "[HOST]:PORT". */
static int
mailgate_connect_tcp(const char *where, int seconds)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *found, *each;
	char host[256];
	const char *colon = strrchr(where, ':');
	size_t length = colon != NULL ? (size_t)(colon - where) : 0;
	int fd = -1, status;

	if (colon == NULL || length == 0 || length >= sizeof host) {
		errno = EINVAL;
		return -1;
	}
	if (where[0] == '[' && colon[-1] == ']') {
		memcpy(host, where + 1, length - 2);
		host[length - 2] = '\0';
	} else {
		memcpy(host, where, length);
		host[length] = '\0';
	}
	status = getaddrinfo(host, colon + 1, &hints, &found);
	if (status != 0) {
		fprintf(stderr, "citizenhub-mailgate: %s: %s\n", where,
		    gai_strerror(status));
		errno = EINVAL;
		return -1;
	}
	for (each = found; each != NULL && fd < 0; each = each->ai_next) {
		fd = socket(each->ai_family, each->ai_socktype | SOCK_CLOEXEC,
		    each->ai_protocol);
		if (fd < 0)
			continue;
		mailgate_set_timeouts(fd, seconds);
		if (connect(fd, each->ai_addr, each->ai_addrlen) != 0) {
			status = errno;
			close(fd);
			fd = -1;
			errno = status;
		}
	}
	freeaddrinfo(found);
	return fd;
}

static int
mailgate_write(struct mailgate_connection *connection, const char *data,
    size_t size)
{
	while (size > 0) {
		ssize_t written = send(connection->fd, data, size, MSG_NOSIGNAL);

		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return -1;
		data += written;
		size -= (size_t)written;
	}
	return 0;
}

/* Reads one reply (all its lines) and returns its code, or -1 on a read
 * failure or timeout. The last line is kept in connection->reply. */
static int
mailgate_read_reply(struct mailgate_connection *connection)
{
	for (;;) {
		char *newline = memchr(connection->buffer, '\n',
		    connection->length);
		ssize_t got;

		if (newline != NULL) {
			size_t line = (size_t)(newline - connection->buffer);
			size_t kept = line > 0 && newline[-1] == '\r' ? line - 1 :
			    line;
			bool last;

			if (kept >= sizeof connection->reply)
				kept = sizeof connection->reply - 1;
			memcpy(connection->reply, connection->buffer, kept);
			connection->reply[kept] = '\0';
			memmove(connection->buffer, newline + 1,
			    connection->length - line - 1);
			connection->length -= line + 1;
			last = kept < 4 || connection->reply[3] != '-';
			if (!last)
				continue;
			if (kept < 3 || connection->reply[0] < '1' ||
			    connection->reply[0] > '5')
				return -1;
			return atoi(connection->reply);
		}
		if (connection->length == sizeof connection->buffer)
			connection->length = 0;	/* an overlong line */
		got = recv(connection->fd, connection->buffer +
		    connection->length, sizeof connection->buffer -
		    connection->length, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(connection->reply, sizeof connection->reply,
			    "%s", got == 0 ? "the hub closed the connection" :
			    errno == EAGAIN || errno == EWOULDBLOCK ?
			    "timed out waiting for the hub" : strerror(errno));
			return -1;
		}
		connection->length += (size_t)got;
	}
}

/* Sends the message dot-stuffed with CRLF line ends, then the end line. */
static int
mailgate_send_data(struct mailgate_connection *connection, const char *message,
    size_t size)
{
	const char *line = message, *end = message + size;

	while (line < end) {
		const char *newline = memchr(line, '\n', (size_t)(end - line));
		size_t length = newline != NULL ? (size_t)(newline - line) :
		    (size_t)(end - line);

		if (length > 0 && line[length - 1] == '\r')
			length--;
		if ((*line == '.' && mailgate_write(connection, ".", 1) != 0) ||
		    mailgate_write(connection, line, length) != 0 ||
		    mailgate_write(connection, "\r\n", 2) != 0)
			return -1;
		line = newline != NULL ? newline + 1 : end;
	}
	return mailgate_write(connection, ".\r\n", 3);
}

/* The exit status for a reply code: 2xx (and 3xx where expected) go on. */
static int
mailgate_status_of(int code)
{
	if (code >= 500)
		return MAILGATE_EX_DATAERR;
	return MAILGATE_EX_TEMPFAIL;
}

/* Sends command and reads its reply; returns 0 when the reply's code is
 * expected, else the exit status. */
static int
mailgate_step(struct mailgate_connection *connection, const char *command,
    int expected)
{
	int code;

	if (command != NULL && mailgate_write(connection, command,
	    strlen(command)) != 0) {
		snprintf(connection->reply, sizeof connection->reply,
		    "sending to the hub failed: %s", strerror(errno));
		return MAILGATE_EX_TEMPFAIL;
	}
	code = mailgate_read_reply(connection);
	if (code < 0)
		return MAILGATE_EX_TEMPFAIL;
	return code / 100 == expected / 100 ? MAILGATE_EX_OK :
	    mailgate_status_of(code);
}

static int
mailgate_deliver(struct mailgate_connection *connection,
    const struct mailgate_options *options, const char *sender,
    const char *message, size_t size)
{
	char command[600];
	char host[256] = "localhost";
	int status;

	gethostname(host, sizeof host - 1);
	if ((status = mailgate_step(connection, NULL, 220)) != 0)
		return status;
	snprintf(command, sizeof command, "LHLO %s\r\n", host);
	if ((status = mailgate_step(connection, command, 250)) != 0)
		return status;
	snprintf(command, sizeof command, "MAIL FROM:<%s> SIZE=%zu\r\n",
	    sender, size);
	if ((status = mailgate_step(connection, command, 250)) != 0)
		return status;
	snprintf(command, sizeof command, "RCPT TO:<%s>\r\n",
	    options->recipient);
	if ((status = mailgate_step(connection, command, 250)) != 0)
		return status;
	if ((status = mailgate_step(connection, "DATA\r\n", 354)) != 0)
		return status;
	if (mailgate_send_data(connection, message, size) != 0) {
		snprintf(connection->reply, sizeof connection->reply,
		    "sending the message failed: %s", strerror(errno));
		return MAILGATE_EX_TEMPFAIL;
	}
	/* One recipient: one reply after the message. */
	if ((status = mailgate_step(connection, NULL, 250)) != 0)
		return status;
	mailgate_write(connection, "QUIT\r\n", 6);
	return MAILGATE_EX_OK;
}

static bool
mailgate_path_valid(const char *address)
{
	return strlen(address) <= 254 && strpbrk(address, "<> \t\r\n") == NULL;
}

int
main(int argc, char **argv)
{
	struct mailgate_options options = { 0 };
	struct mailgate_connection connection = { .fd = -1 };
	char *message = NULL, *return_path = NULL;
	const char *sender;
	size_t size = 0;
	int status;

	if (mailgate_parse_arguments(argc, argv, &options) != 0)
		return MAILGATE_EX_USAGE;
	status = mailgate_read_message(&message, &size);
	if (status != 0)
		return status;
	if (options.sender == NULL)
		return_path = mailgate_return_path(message, size);
	sender = options.sender != NULL ? options.sender :
	    return_path != NULL ? return_path : "";
	/* Postfix passes the null sender as "" and some MTAs as "<>". */
	if (strcmp(sender, "<>") == 0)
		sender = "";
	status = mailgate_read_config(&options);
	if (status == 0 && (!mailgate_path_valid(sender) ||
	    !mailgate_path_valid(options.recipient))) {
		fprintf(stderr, "citizenhub-mailgate: invalid sender or "
		    "recipient address\n");
		status = MAILGATE_EX_DATAERR;
	}
	if (status == 0) {
		connection.fd = options.socket != NULL ?
		    mailgate_connect_unix(options.socket, options.timeout_seconds) :
		    mailgate_connect_tcp(options.lmtp, options.timeout_seconds);
		if (connection.fd < 0) {
			fprintf(stderr, "citizenhub-mailgate: cannot connect to "
			    "the hub at %s: %s\n", options.socket != NULL ?
			    options.socket : options.lmtp, strerror(errno));
			status = MAILGATE_EX_TEMPFAIL;
		}
	}
	if (status == 0) {
		status = mailgate_deliver(&connection, &options, sender, message,
		    size);
		if (status != 0)
			fprintf(stderr, "citizenhub-mailgate: %s\n",
			    connection.reply);
		close(connection.fd);
	}
	free(message);
	free(return_path);
	free(options.config_recipient);
	free(options.config_lmtp);
	free(options.config_socket);
	return status;
}
