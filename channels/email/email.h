/*
 * The email channel: mail in by LMTP, by the pipe command
 * citizenhub-mailgate (which speaks LMTP to the hub) and by IMAP polling.
 * Replies go out by SMTP to a smarthost.
 *
 * Parsing (email_parse.c, GMime and libxml2) runs on the worker pool. The
 * LMTP listener, the IMAP timer and the completions run on the main thread.
 * SMTP sends (email_smtp.c, libesmtp) and IMAP polls run on the pool of
 * jobs that wait on the network (hub_channel_run_blocking).
 */
#ifndef HUB_EMAIL_H
#define HUB_EMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"

#define EMAIL_BOUNCED_MAX 8

/* --- Parsing (any thread) ------------------------------------------------ */

/* Initialises GMime and libxml2's parser for email_parse and
 * email_html_to_text. Call once per process, on the main thread, before
 * the first parse (the module's init); email_parse_shutdown undoes it
 * after the last one. GMime 3.2 leaks a few strings when it is
 * initialised again after a shutdown. */
void email_parse_init(void);
void email_parse_shutdown(void);

struct email_parse_options {
	size_t max_message_bytes;	/* the whole message as received */
	size_t max_attachment_bytes;	/* one attachment, decoded */
	int max_attachments;		/* kept; further ones are left out */
	size_t max_text_bytes;		/* the body text, cut beyond it */
	size_t html_max_bytes;		/* HTML given to the parser */
	int html_max_depth;		/* elements nested deeper are skipped */
	/* The hub's own addresses, lower case, NULL-terminated: mail from
	 * them is automatic (a loop). */
	char *const *own_addresses;
	/* The hub's field limits: the name, subject and body are cut to
	 * them and an empty body is filled in (email_parse_fit.c). Zero
	 * members mean no limit. */
	struct hub_config_limits limits;
	/* Stores an attachment's content (hub_channel_store_blob in the
	 * module, a stand-in in unit tests). Returns 0 or -1. */
	int (*store_blob)(const void *data, size_t size, char sha256[65],
	    void *arg);
	void *store_blob_arg;
};

enum email_kind {
	EMAIL_CITIZEN,		/* a person's mail: submit, acknowledge */
	EMAIL_AUTOMATIC,	/* an auto-reply or a loop: submit as
				 * automatic, never acknowledged */
	EMAIL_BOUNCE,		/* a delivery status notification */
	EMAIL_REJECTED,		/* malformed or too large: refuse (5xx) */
};

struct email_parsed {
	enum email_kind kind;
	/* EMAIL_CITIZEN and EMAIL_AUTOMATIC: the message for the pipeline
	 * (channel "email"), owned here until submitted: contacts (the
	 * sender, verified), name, subject, body, reference (Message-ID),
	 * references, attachments, external_id (the dedupe key), ack
	 * (HUB_ACK_QUEUE or HUB_ACK_NONE) and automatic filled in. */
	struct hub_message *message;
	char *message_id;	/* the Message-ID, for the log; may be NULL */
	char *reason;		/* why automatic, bounced or rejected, for
				 * the log and the peer */
	/* EMAIL_BOUNCE: the Message-IDs of the bounced mail found in the
	 * report (its message/rfc822 or text/rfc822-headers part, else
	 * In-Reply-To and References), and the status text of the report
	 * for the agents. */
	char *bounced_ids[EMAIL_BOUNCED_MAX];
	int bounced_count;
	char *bounce_detail;
};

/* Parses one raw message (CRLF or LF line ends) received with the envelope
 * sender (MAIL FROM, "" for the null sender <>, NULL when unknown, which
 * takes the message's Return-Path header if there is one). Fills
 * parsed; returns 0, or -1 when out of memory. A message that cannot be
 * taken is EMAIL_REJECTED with a reason, not an error. */
int email_parse(const char *raw, size_t size, const char *envelope_sender,
    const struct email_parse_options *options, struct email_parsed *parsed);

void email_parsed_clear(struct email_parsed *parsed);

/* Plain text of an HTML document, within options' size and depth bounds:
 * block elements become line breaks, runs of white space one space, links
 * keep their text, scripts and styles are left out. Returns a new UTF-8
 * string, or NULL when out of memory. */
char *email_html_to_text(const char *html, size_t size,
    const struct email_parse_options *options);

#endif
