/*
 * The LMTP protocol (RFC 2033) without I/O: command lines, the paths and
 * parameters of MAIL and RCPT, and the DATA stream with its end line and
 * dot-unstuffing. email_lmtp.c runs sessions on top of these; the unit
 * tests drive them directly.
 */
#ifndef HUB_EMAIL_LMTP_H
#define HUB_EMAIL_LMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "email_module.h"

/* Maximum length of a command line, CRLF included. */
#define EMAIL_LMTP_LINE_MAX 1000

enum email_lmtp_verb {
	EMAIL_LMTP_UNKNOWN,
	EMAIL_LMTP_LHLO,
	EMAIL_LMTP_HELO,	/* HELO or EHLO: SMTP, not LMTP */
	EMAIL_LMTP_MAIL,
	EMAIL_LMTP_RCPT,
	EMAIL_LMTP_DATA,
	EMAIL_LMTP_RSET,
	EMAIL_LMTP_NOOP,
	EMAIL_LMTP_QUIT,
	EMAIL_LMTP_VRFY,
};

struct email_lmtp_command {
	enum email_lmtp_verb verb;
	const char *argument;	/* after the verb and its spaces; "" */
};

/* Splits line (without its CRLF) into the verb, matched without regard to
 * case, and the argument, which points into line. */
void email_lmtp_command_parse(const char *line,
    struct email_lmtp_command *command);

struct email_lmtp_path {
	char address[EMAIL_ADDRESS_MAX + 1];	/* "" for the null path <> */
	bool has_size;
	unsigned long long size;		/* SIZE=, when has_size */
};

/* Parses the argument of MAIL ("FROM:<a@b> SIZE=123 BODY=8BITMIME") or
 * RCPT ("TO:<a@b>"), keyword "FROM:" or "TO:". A space after the colon
 * is tolerated. Returns NULL when valid, else the whole reply line to send
 * (a 501 or 555). */
const char *email_lmtp_path_parse(const char *argument, const char *keyword,
    struct email_lmtp_path *path);

/* The text of one DATA phase, as it arrives in pieces. */
struct email_lmtp_data {
	char *text;		/* dot-unstuffed, without the end line */
	size_t length;
	size_t capacity;
	size_t max;		/* text beyond it is counted, not kept */
	size_t total;		/* bytes of text seen, kept or not */
	bool too_large;
	int state;
};

void email_lmtp_data_begin(struct email_lmtp_data *data, size_t max);

/* Feeds size bytes of the stream. Returns how many it consumed: all of
 * them, or fewer when the end line "." came (then *done is true and the
 * rest belongs to the next command), or -1 when out of memory. */
long email_lmtp_data_feed(struct email_lmtp_data *data, const char *bytes,
    size_t size, bool *done);

/* Hands over the text (caller frees) and resets data. */
char *email_lmtp_data_take(struct email_lmtp_data *data, size_t *length);

void email_lmtp_data_clear(struct email_lmtp_data *data);

#endif
