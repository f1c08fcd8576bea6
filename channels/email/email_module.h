/*
 * The email module's transport: its configuration, the LMTP listener, IMAP
 * polling, the intake of one raw message (parse on the worker pool, then
 * submit) and outbound mail (compose with GMime, send with libesmtp).
 *
 * Everything here runs on the main thread unless noted otherwise.
 */
#ifndef HUB_EMAIL_MODULE_H
#define HUB_EMAIL_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "email.h"

#define EMAIL_LOG "email"
/* Maximum length of an address (the RFC 5321 path limit). */
#define EMAIL_ADDRESS_MAX 254

enum email_starttls {
	EMAIL_STARTTLS_NO,
	EMAIL_STARTTLS_OPTIONAL,
	EMAIL_STARTTLS_REQUIRED,
};

struct email_config {
	/* The hub's own addresses, lower case, NULL-terminated: "address"
	 * first, then "addresses". The LMTP listener accepts these only. */
	char **own_addresses;
	char *domain;			/* Message-ID domain */
	char *from_name_vi;
	char *from_name_en;

	char *lmtp_listen;		/* "ADDR:PORT", NULL with a socket */
	char *lmtp_socket;		/* Unix socket path or NULL */
	int lmtp_max_connections;
	/* Bounds on a session in seconds, counted from their start and not
	 * reset by the bytes that arrive. The timeout bounds the wait for a
	 * command and a command line from its first byte. The data timeout
	 * bounds the message from the 354 reply to DATA. */
	int lmtp_timeout_seconds;
	int lmtp_data_timeout_seconds;
	int lmtp_max_recipients;

	size_t max_message_bytes;
	size_t max_attachment_bytes;
	int max_attachments;
	size_t max_text_bytes;
	size_t html_max_bytes;
	int html_max_depth;

	bool smtp_enabled;
	char *smtp_host;
	int smtp_port;
	enum email_starttls smtp_starttls;
	char *smtp_username;		/* NULL: no AUTH */
	char *smtp_password;		/* read from smtp.password_file */
	int smtp_timeout_seconds;

	bool imap_enabled;
	char *imap_url;			/* "imap://HOST:PORT/MAILBOX" */
	char *imap_username;
	char *imap_password;		/* read from imap.password_file */
	int imap_poll_seconds;
	int imap_batch;
};

struct email_lmtp;
struct email_imap;

struct email {
	struct hub_channel *channel;
	struct email_config config;
	struct email_parse_options parse_options;
	struct email_lmtp *lmtp;
	struct email_imap *imap;
	bool stopped;
	size_t intakes_in_flight;
	size_t sends_in_flight;
};

/* --- Configuration (email_config.c) ---------------------------------------- */

/* Checks section ("channels.email") and fills config, reading the password
 * files. Returns 0, or -1 with err filled in. */
int email_config_load(struct email_config *config,
    const struct hub_config *hub_config, const json_t *section,
    struct config_error *err);

void email_config_clear(struct email_config *config);

/* Whether address (any case) is one of the hub's own addresses. */
bool email_config_is_own(const struct email_config *config,
    const char *address);

/* --- Intake of one raw message (email_intake.c) ----------------------------- */

/* The reply to the peer that handed a message over. */
enum email_outcome_kind {
	EMAIL_OUTCOME_STORED,	/* stored (also a repeated message) */
	EMAIL_OUTCOME_DROPPED,	/* taken on purpose and not stored */
	EMAIL_OUTCOME_RETRY,	/* nothing stored, the peer tries later */
	EMAIL_OUTCOME_REJECTED,	/* refused for good */
};

struct email_outcome {
	enum email_outcome_kind kind;
	/* The LMTP reply line without CRLF, printable ASCII:
	 * "250 2.0.0 Stored as ticket 1234567890". */
	char reply[256];
};

typedef void (*email_intake_done_fn)(const struct email_outcome *outcome,
    void *arg);

/* Parses raw (ownership taken on success) on the worker pool with the
 * envelope sender (copied; "" for the null sender, NULL when unknown).
 * Then submits it, records a bounce or drops it, and calls done once on
 * the main thread with the outcome. source names the way in for the log ("lmtp", "imap").
 * Returns 0, or -1 when the job cannot start (done is not called then). */
int email_intake_start(struct email *email, char *raw, size_t size,
    const char *envelope_sender, const char *source,
    email_intake_done_fn done, void *arg);

/* Copies text into reply as printable ASCII (others become '?'), cut to
 * fit. */
void email_reply_sanitize(char *reply, size_t size, const char *text);

/* --- LMTP listener (email_lmtp.c) ------------------------------------------- */

int email_lmtp_start(struct email *email);
/* Closes the listener. Sessions get 421 to their next command. */
void email_lmtp_stop(struct email *email);
void email_lmtp_free(struct email *email);

/* --- IMAP polling (email_imap.c) ---------------------------------------------- */

int email_imap_start(struct email *email);
void email_imap_stop(struct email *email);
/* Whether a poll is running (a job of it may be on the worker pool). */
bool email_imap_busy(const struct email *email);
void email_imap_free(struct email *email);

/* --- Outbound (email_send.c, email_smtp.c) ------------------------------------ */

int email_send(struct email *email, const struct hub_outbound *out,
    hub_send_done_fn done);

#endif
