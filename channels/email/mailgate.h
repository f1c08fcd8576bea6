/*
 * citizenhub-mailgate: the parts shared by its command line (mailgate.c)
 * and its LMTP client (mailgate_lmtp.c).
 */
#ifndef HUB_MAILGATE_H
#define HUB_MAILGATE_H

#include <stdbool.h>
#include <stddef.h>

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

/* Connects with send and receive timeouts of seconds. Returns the socket,
 * or -1 with errno set. */
int mailgate_connect_unix(const char *path, int seconds);
int mailgate_connect_tcp(const char *where, int seconds);

/* Hands message over on connection from sender to options->recipient.
 * Returns the exit status: 0, MAILGATE_EX_DATAERR or MAILGATE_EX_TEMPFAIL;
 * connection->reply then contains the hub's last reply line. */
int mailgate_deliver(struct mailgate_connection *connection,
    const struct mailgate_options *options, const char *sender,
    const char *message, size_t size);

/* Whether address can go between the angle brackets of MAIL FROM or RCPT
 * TO: at most 254 bytes, no brackets, blanks or line ends. */
bool mailgate_path_valid(const char *address);

#endif
