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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "mailgate.h"

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
"  citizenhub unix  -       n       n       -       4       pipe\n"
"    flags=Rq user=citizenhub null_sender=\n"
"    argv=/usr/local/bin/citizenhub-mailgate -c /etc/citizenhub/citizenhub.json -f ${sender}\n"
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
