/*
 * citizenhub-mailgate's LMTP client: connects to the hub's listener and
 * hands one message over (RFC 2033).
 */
#include <errno.h>
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

#include "mailgate.h"

static void
mailgate_set_timeouts(int fd, int seconds)
{
	struct timeval timeout = { seconds, 0 };

	/* On Linux SO_SNDTIMEO bounds connect() too. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

int
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
int
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

int
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

bool
mailgate_path_valid(const char *address)
{
	return strlen(address) <= 254 && strpbrk(address, "<> \t\r\n") == NULL;
}
