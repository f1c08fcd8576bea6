/*
 * A citizen's message as a channel hands it to the pipeline, and the answer
 * the pipeline gives back once the message is stored (or rejected).
 */
#ifndef HUB_MESSAGE_H
#define HUB_MESSAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "contact.h"
#include "ticket_code.h"

#define HUB_MESSAGE_CONTACTS_MAX 4
#define HUB_MESSAGE_REFERENCES_MAX 20
#define HUB_MESSAGE_ATTACHMENTS_MAX 32
/* Maximum length in bytes of a reference (an email Message-ID without its
 * angle brackets) that the hub keeps. */
#define HUB_REFERENCE_MAX 250
#define HUB_LANGUAGE_DEFAULT "vi"

struct hub_contact {
	enum contact_kind kind;
	char *value;		/* as received; identify normalizes it */
	bool verified;		/* proven by the channel itself */
};

/* A file that came with a message. The content is already stored by its
 * SHA-256 (hub_channel_store_blob); the message carries its metadata. */
struct hub_attachment {
	char sha256[65];	/* lower-case hex */
	char *filename;		/* safe display name: no path, no control
				 * characters; NULL when the sender gave none */
	char *content_type;	/* "image/jpeg", lower case */
	int64_t size;		/* bytes */
};

/* Acknowledgement mode of a message. */
enum hub_ack_mode {
	/* The acknowledgement is returned in the hub_answer only, for the
	 * channel to show (a web page, a chat reply). */
	HUB_ACK_ANSWER,
	/* For a message that opens a ticket, the hub also stores the
	 * acknowledgement as an outbound message (kind "ack") and sends it
	 * through the channel's send queue, within the limits of
	 * replies.ack_limit_* (per recipient and per ticket). */
	HUB_ACK_QUEUE,
	/* No acknowledgement. */
	HUB_ACK_NONE,
};

/* Every string is owned by the message, NULL when absent, and valid UTF-8
 * only after the normalize stage has run. */
struct hub_message {
	char *channel;		/* module name: "web", "sms" */
	char *external_id;	/* the channel's own id of this message */
	char *conversation_key;	/* a chat conversation, continued by later messages */
	/* When more than 0: an open ticket of the conversation takes the
	 * message only when the ticket changed within this many milliseconds
	 * before received_at_ms (an SMS from a number joins its ticket of the
	 * last few days); an older one is left and a new ticket opens. */
	int64_t conversation_window_ms;
	/* Opens a new ticket whatever the references, codes and conversation
	 * say (the citizen asked for a new report); later messages of the
	 * conversation join the new ticket. */
	bool new_ticket;

	struct hub_contact contacts[HUB_MESSAGE_CONTACTS_MAX];
	int contact_count;

	char *name;
	char *subject;
	char *body;
	char *category_hint;	/* a hint from the citizen or the channel */
	char *address;
	bool has_location;
	double latitude;
	double longitude;
	char *language;		/* "vi" or "en"; NULL means Vietnamese */
	bool consent;		/* to the personal-data notice */

	char *client_address;	/* peer, for the audit trail */

	/* Idempotency-Key of an API request: the same key on the same route
	 * returns the first answer; a different body under it is an error. */
	char *idempotency_route;
	char *idempotency_key;
	uint8_t idempotency_body_hash[32];

	/* Threading by reference (email Message-ID, In-Reply-To and
	 * References, all without angle brackets): reference is this
	 * message's own id, which later messages may quote; references are
	 * the ids it replies to, the most relevant first (In-Reply-To, then
	 * References newest first). */
	char *reference;
	char *references[HUB_MESSAGE_REFERENCES_MAX];
	int reference_count;

	struct hub_attachment attachments[HUB_MESSAGE_ATTACHMENTS_MAX];
	int attachment_count;

	enum hub_ack_mode ack;
	/* Written by a program (an auto-reply, a notification): it joins an
	 * open ticket it refers to, but never opens a ticket, never reopens
	 * one and is never acknowledged. With no open ticket to join it is
	 * dropped (HUB_ANSWER_DROPPED). */
	bool automatic;

	int64_t received_at_ms;	/* Unix time in milliseconds, UTC */

	/* Set by the hub's normalize stage, never by a channel: subject and
	 * body folded by text_fold (the keys of search and keyword rules),
	 * made on the main thread so that the store thread only stores them. */
	char *subject_folded;
	char *body_folded;
	/* Set by hub_channel_submit, never by a channel: the channel sends
	 * SMS (HUB_CHANNEL_SMS_TEXT), so its acknowledgement is the short
	 * "ack.sms". */
	bool sms_text;
};

/* Allocates an empty message of channel. Returns NULL on allocation
 * failure. */
struct hub_message *hub_message_new(const char *channel);

/* Adds a contact (value copied). Returns 0, or -1 when the message already
 * has HUB_MESSAGE_CONTACTS_MAX contacts or on allocation failure. */
int hub_message_add_contact(struct hub_message *message, enum contact_kind kind,
    const char *value, bool verified);

/* Appends a reference the message replies to (copied; angle brackets and
 * surrounding white space are removed). References beyond
 * HUB_MESSAGE_REFERENCES_MAX, empty ones and ones longer than
 * HUB_REFERENCE_MAX are left out. Returns 0, or -1 on allocation
 * failure. */
int hub_message_add_reference(struct hub_message *message, const char *id);

/* Appends an attachment whose content is stored under sha256 (64 hex
 * digits); filename may be NULL. Returns 0, or -1 when the message has
 * HUB_MESSAGE_ATTACHMENTS_MAX attachments already or on allocation
 * failure. */
int hub_message_add_attachment(struct hub_message *message,
    const char *sha256, const char *filename, const char *content_type,
    int64_t size);

/* Replaces *field with a copy of value (NULL clears it). Returns 0 or -1. */
int hub_message_set(char **field, const char *value);

void hub_message_free(struct hub_message *message);

/* Stable machine-readable error codes, rendered in Vietnamese and English by
 * api_error.c. */
enum hub_error_code {
	HUB_OK = 0,
	HUB_ERR_INVALID_JSON,
	HUB_ERR_CONTENT_TYPE,
	HUB_ERR_BODY_TOO_LARGE,
	HUB_ERR_MISSING_FIELD,
	HUB_ERR_INVALID_UTF8,
	HUB_ERR_FIELD_TOO_LONG,
	HUB_ERR_INVALID_FIELD,
	HUB_ERR_UNKNOWN_LANGUAGE,
	HUB_ERR_CONSENT_REQUIRED,
	HUB_ERR_IDEMPOTENCY_MISMATCH,
	HUB_ERR_RATE_LIMITED,
	HUB_ERR_FORM_TOO_FAST,
	HUB_ERR_FORM_REJECTED,
	HUB_ERR_NOT_FOUND,
	HUB_ERR_UNAUTHORIZED,
	HUB_ERR_FORBIDDEN,
	HUB_ERR_METHOD_NOT_ALLOWED,
	HUB_ERR_UNAVAILABLE,
	HUB_ERR_INTERNAL,
	HUB_ERR_LOGIN_FAILED,
	HUB_ERR_LOGIN_LOCKED,
	HUB_ERR_SESSION_EXPIRED,
	HUB_ERR_CSRF,
	HUB_ERR_STATUS_TRANSITION,
	HUB_ERR_TICKET_CLOSED,
	HUB_ERR_CONFLICT,
	HUB_ERR_CONTACT_BLOCKED,
	HUB_ERR_ERASURE_HELD,
	HUB_ERR_NOT_RESOLVED,
	HUB_ERR_COUNT
};

/* A rejection: which rule, on which field, with which limit. */
struct hub_error {
	enum hub_error_code code;
	char field[64];		/* "description", "phone"; empty when none */
	long limit;		/* the bound broken, when there is one, or
				 * a negative enum hub_error_detail */
};

/*
 * Negative values of hub_error.limit that make the message more precise
 * where the code and the field alone cannot. They are no bound, so
 * api_error_json leaves them out of the reply like a limit of 0.
 */
enum hub_error_detail {
	HUB_ERROR_NUL_CHARACTER = -1,	/* invalid_utf8: U+0000 in the value */
	HUB_ERROR_NOT_OBJECT = -2,	/* invalid_json: JSON, but no object */
	HUB_ERROR_ONE_FACTOR = -3,	/* invalid_field: a second factor
					 * sent after another one */
	HUB_ERROR_REPEATED = -4,	/* invalid_field: a parameter or
					 * header sent more than once */
	HUB_ERROR_NO_FACTOR = -5,	/* missing_field: no second factor
					 * with a request that needs one */
	HUB_ERROR_MERGED = -6,		/* invalid_field: the citizen was
					 * merged into another one */
	HUB_ERROR_JSON_ONLY = -7,	/* unsupported_content_type: the
					 * endpoint takes application/json
					 * only */
	HUB_ERROR_BLANK = -8,		/* invalid_field: the value is only
					 * white space */
	HUB_ERROR_ONE_SEARCH = -9,	/* invalid_field: a second search
					 * term (phone, email or q) */
	HUB_ERROR_SILENT_CHANNEL = -10,	/* missing_field: a reply needs a
					 * contact because the ticket's
					 * channel cannot send */
};

void hub_error_set(struct hub_error *error, enum hub_error_code code,
    const char *field, long limit);

enum hub_answer_status {
	HUB_ANSWER_CREATED,	/* a new ticket */
	HUB_ANSWER_JOINED,	/* added to an existing ticket */
	HUB_ANSWER_REJECTED,	/* nothing stored; see error */
	HUB_ANSWER_FAILED,	/* the store failed; nothing stored, retry */
	HUB_ANSWER_DROPPED,	/* taken on purpose and not stored: an
				 * automatic message with no open ticket
				 * to join */
};

/* What the channel sends back to its peer. Valid only during the completion
 * callback, so copy what must outlive it. */
struct hub_answer {
	enum hub_answer_status status;
	bool duplicate;		/* the first answer to a repeated message */
	struct hub_error error;
	int64_t ticket_id;
	int64_t message_id;
	char code[TICKET_CODE_PLAIN_SIZE];
	const char *language;	/* "vi" or "en" */
	const char *ack_text;	/* acknowledgement in that language */
	const char *access_token;	/* per-ticket link token (hex) */
};

#endif
