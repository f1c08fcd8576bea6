/*
 * Outbound mail as a MIME message, built with GMime: multipart/alternative
 * with the text (UTF-8, quoted-printable) and its HTML form, threading
 * headers, and the marks of an automatic message. No I/O and no hub state,
 * so any thread may call it once GMime is initialized.
 */
#ifndef HUB_EMAIL_COMPOSE_H
#define HUB_EMAIL_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct email_compose {
	const char *from_name;		/* in the message's language */
	const char *from_address;
	const char *to;
	const char *subject;		/* whole Subject, UTF-8 */
	const char *message_id;		/* without angle brackets */
	const char *in_reply_to;	/* without angle brackets, or NULL */
	const char *references;		/* ids separated by spaces, oldest
					 * first, or NULL */
	const char *language;		/* Content-Language */
	const char *text;
	const char *html;		/* NULL: text/plain only */
	bool automatic;			/* Auto-Submitted: auto-replied */
	int64_t date_ms;		/* Unix time in milliseconds */
};

/* The Subject of a message on ticket code: "[#CODE] Re: SUBJECT" when the
 * ticket has a subject, else "[#CODE] " and fallback. Returns a new string
 * (caller frees) or NULL when out of memory. */
char *email_compose_subject(const char *code, const char *subject,
    const char *fallback);

/* The References header's ids: references, then in_reply_to unless it is
 * among them, each once, oldest first, within the last ten. Returns a new
 * string of ids in angle brackets separated by spaces, "" when there are
 * none, or NULL when out of memory. */
char *email_compose_references(const char *references, const char *in_reply_to);

/* Serializes the message with CRLF line ends. Returns a new string of
 * *size bytes (caller frees with free), or NULL when out of memory. */
char *email_compose_message(const struct email_compose *compose, size_t *size);

#endif
