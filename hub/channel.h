/*
 * The interface between the hub and its channel modules.
 *
 * A channel module is a shared object (libtool -module) in the module
 * directory, named after the channel ("web.so"). It exports one constant
 * descriptor, `hub_channel_module`, and reaches the hub only through the
 * functions declared here and the error catalogue of api_error.h: submit a
 * message to the pipeline, mount HTTP routes, use the event loop and the
 * worker pool, render templates, read the tickets it may show, and log
 * (log.h). A module never runs SQL and the core never includes a module's
 * header.
 *
 * Everything here runs on the main thread unless said otherwise.
 */
#ifndef HUB_CHANNEL_H
#define HUB_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api_error.h"
#include "config.h"
#include "http_client.h"
#include "http_server.h"
#include "log.h"
#include "message.h"
#include "worker.h"

/* Raised on any incompatible change to this header or to the descriptor. */
#define HUB_CHANNEL_ABI_VERSION 4

enum hub_channel_capability {
	HUB_CHANNEL_INBOUND = 1u << 0,
	HUB_CHANNEL_OUTBOUND = 1u << 1,
	HUB_CHANNEL_DELIVERY_REPORTS = 1u << 2,
	HUB_CHANNEL_ATTACHMENTS = 1u << 3,
	HUB_CHANNEL_LOCATIONS = 1u << 4,
	/* The channel sends SMS: the hub renders the ".sms" form of its
	 * templates for it (short, GSM 03.38 where the text allows). */
	HUB_CHANNEL_SMS_TEXT = 1u << 5,
};

/* The hub's handle of one loaded channel. */
struct hub_channel;

/* An outbound message for the channel to deliver. Valid during the call to
 * send only: a module that sends later copies what it needs. */
struct hub_outbound {
	int64_t ticket_id;
	int64_t message_id;
	const char *to;		/* contact value: E.164 phone, email, platform
				 * id; NULL when the ticket has no contact */
	const char *language;	/* "vi" or "en" */
	const char *text;	/* the whole text, rendered for the channel */
	const char *code;	/* the ticket's code, ten digits */
	bool automatic;		/* a notice of the hub, not an agent's reply
				 * (email marks it Auto-Submitted) */
	const char *kind;	/* "ack" (acknowledgement or notice) or
				 * "reply" */
	const char *subject;	/* the ticket's subject, NULL for none */
	/* Threading. in_reply_to is the reference (hub_message.reference,
	 * stored without angle brackets) of the newest inbound message of
	 * the ticket through this channel that has one. references holds
	 * the references of the ticket's inbound messages through this
	 * channel that have one, oldest first, at most the last ten,
	 * separated by single spaces, without angle brackets; its last item
	 * equals in_reply_to. The hub's own outbound messages are not in it:
	 * a channel that wants them in its References header adds them
	 * itself (hub_channel_reference, with its "@domain"). Each is NULL
	 * when there is none. */
	const char *in_reply_to;
	const char *references;
};

/*
 * Reports the outcome of send, once per message, on the main thread (also
 * from inside send). status 0: delivered, or accepted by the peer. The hub
 * then records "sent" for a channel with HUB_CHANNEL_DELIVERY_REPORTS,
 * which reports the delivery later with hub_channel_delivery, and
 * "delivered" for any other. 1: failed for now, so the hub retries with a
 * growing delay up to replies.max_attempts sends. -1: failed for good
 * ("failed"). detail is a short reason for the agents (the peer's error),
 * or NULL.
 */
typedef void (*hub_send_done_fn)(struct hub_channel *channel,
    int64_t message_id, int status, const char *detail);

struct hub_channel_module {
	uint32_t abi_version;	/* HUB_CHANNEL_ABI_VERSION */
	const char *name;	/* equals the file name without ".so" */
	unsigned int capabilities;

	/* Checks section ("channels.NAME" of the config) and creates the
	 * module's state. Returns NULL with err filled in. */
	void *(*create)(struct hub_channel *channel, const json_t *section,
	    struct config_error *err);
	/* Mounts routes and starts timers. Returns 0 or -1. */
	int (*start)(void *state);
	/* Stops taking new input; in-flight submissions still complete. */
	void (*stop)(void *state);
	/* Delivers out; NULL unless HUB_CHANNEL_OUTBOUND. Returns 0 when
	 * taken (done follows, maybe before send returns), -1 when refused
	 * at once, which the hub records as failed for good. */
	int (*send)(void *state, const struct hub_outbound *out,
	    hub_send_done_fn done);
	void (*free)(void *state);
	/* Optional (NULL for none). The hub is shutting down and its event
	 * loop still runs: the module ends its long-lived work (the calls of
	 * the IVR), so that what that work hands over (a voice report, a call
	 * record) is still stored. stop follows once the loop has ended. */
	void (*drain)(void *state);
	/* Optional (NULL for none). The amount of work the module still has
	 * in flight (reports being stored, records not yet committed). While
	 * it is above 0 the hub keeps its loop running, up to its shutdown
	 * grace period. */
	size_t (*busy)(void *state);
};

/* The symbol every module exports. */
#define HUB_CHANNEL_MODULE_SYMBOL "hub_channel_module"

/* --- Identity and configuration ------------------------------------------ */

const char *hub_channel_name(const struct hub_channel *channel);
const struct hub_config *hub_channel_config(const struct hub_channel *channel);
struct event_base *hub_channel_event_base(const struct hub_channel *channel);

/* --- Intake --------------------------------------------------------------- */

/* Called once with the pipeline's answer, after the message is committed
 * (or rejected). */
typedef void (*hub_submit_done_fn)(const struct hub_answer *answer, void *arg);

/* Hands message (ownership taken, also on failure) to the pipeline.
 * message->channel is set to this channel's name. Returns 0, or -1 when the
 * hub is shutting down (done is not called then). */
int hub_channel_submit(struct hub_channel *channel, struct hub_message *message,
    hub_submit_done_fn done, void *arg);

/* --- HTTP ----------------------------------------------------------------- */

/* Mounts handler at path (see http_server_route), labelled with the
 * channel's name in metrics. Returns 0 or -1. */
int hub_channel_route(struct hub_channel *channel, const char *path,
    enum http_route_flags flags, http_handler_fn handler, void *arg);

struct http_server *hub_channel_http(const struct hub_channel *channel);

/* --- Outgoing HTTP ----------------------------------------------------------- */

/* Starts a request with the hub's shared client (http_client_request of
 * http_client.h: libcurl on the main loop, connections kept alive and
 * reused per host). done runs once on the main thread, also with
 * HTTP_CLIENT_ERROR_CANCELLED when the hub shuts down first. Returns 0, or
 * -1 with errno set (done is not called then). */
int hub_channel_http_request(struct hub_channel *channel, const char *method,
    const char *url, const char *const *headers, const void *body,
    size_t body_len, long timeout_ms, http_client_done_fn done, void *arg);

/* --- Work off the loop ------------------------------------------------------ */

/* Runs a CPU-bound job (parsing) on the worker pool ("workers" threads). */
int hub_channel_run_job(struct hub_channel *channel, worker_run_fn run,
    worker_done_fn done, void *arg);

/* Runs a job that waits on the network (an SMTP dialogue, an IMAP poll) on
 * a pool of its own ("io_workers" threads), so that a slow peer never
 * holds up the CPU-bound jobs. */
int hub_channel_run_blocking(struct hub_channel *channel, worker_run_fn run,
    worker_done_fn done, void *arg);

/* --- Outbound messages ---------------------------------------------------- */

enum hub_delivery_status {
	HUB_DELIVERY_DELIVERED,
	HUB_DELIVERY_FAILED,
};

/* Records a delivery report of a channel with HUB_CHANNEL_DELIVERY_REPORTS:
 * message_id, an outbound message of this channel that was sent (or is
 * still queued), becomes "delivered" or "failed" with detail (NULL keeps
 * the detail stored). A report on another channel's message, or on one
 * already delivered or failed, changes nothing. The change is stored, then
 * published as message.delivery. Returns 0 when the report is queued for
 * the store, -1 when the hub is shutting down. */
int hub_channel_delivery(struct hub_channel *channel, int64_t message_id,
    enum hub_delivery_status status, const char *detail);

/* --- References of outbound messages -------------------------------------- */

/* Size of a reference made by hub_channel_reference, with its NUL. */
#define HUB_REFERENCE_TOKEN_SIZE 64

/* The reference of the hub's outbound message message_id on ticket_id:
 * "chub.T.M.MAC", ticket and message ids in decimal and a keyed hash of
 * both (16 hex digits) under a key kept in the store. A reply that quotes
 * it finds its ticket and a bounce finds its message, and a reference made
 * without the key fails hub_channel_reference_parse. Email appends "@" and its domain to make the
 * Message-ID. Safe on any thread after start. Returns 0, or -1 when out of
 * space. */
int hub_channel_reference(const struct hub_channel *channel, int64_t ticket_id,
    int64_t message_id, char reference[HUB_REFERENCE_TOKEN_SIZE]);

/* Whether id (a reference, with or without "@domain" and angle brackets)
 * was made by hub_channel_reference of this hub; then fills ticket_id and
 * message_id. Safe on any thread after start. Returns 1 or 0. */
int hub_channel_reference_parse(const struct hub_channel *channel,
    const char *id, int64_t *ticket_id, int64_t *message_id);

/* --- Attachments ----------------------------------------------------------- */

/* Stores data under the data directory by its SHA-256 (written to a
 * temporary file, synced, then renamed, so a file under its name is always
 * whole) and writes the hash in hex to sha256. Storing the same content
 * again changes nothing. Safe on any thread, so a module calls it from a
 * worker job. A file whose message is then not stored is removed by the
 * hub's prune timer after an hour. Returns 0, or -1 on an I/O error
 * (logged). */
int hub_channel_store_blob(const struct hub_channel *channel, const void *data,
    size_t size, char sha256[65]);

/* --- A module's own state in the store -------------------------------------- */

/* The value stored under key for this channel (an IMAP mailbox's
 * UIDVALIDITY and last UID), as a new string, or NULL when there is none or
 * on error. Main thread; one indexed read. */
char *hub_channel_state_get(struct hub_channel *channel, const char *key);

typedef void (*hub_state_done_fn)(int status, void *arg);

/* Stores value under key for this channel (NULL deletes it). done, when
 * not NULL, runs on the main thread after the commit with status 0, or -1
 * when the write failed. Returns 0, or -1 when the hub is shutting down or
 * out of memory (done is not called then). */
int hub_channel_state_set(struct hub_channel *channel, const char *key,
    const char *value, hub_state_done_fn done, void *arg);

/* --- Templates ------------------------------------------------------------ */

/* templates_render with the hub's template set. */
char *hub_channel_render(const struct hub_channel *channel, const char *language,
    const char *name, const json_t *vars);

/* --- SMS text -------------------------------------------------------------- */

/* The size of a text sent as one SMS message (concatenated when long):
 * GSM 03.38 7-bit when every character is in its basic or extension table
 * (the extension characters ^ { } [ ] ~ \ | and the euro sign count two),
 * else UCS-2 in UTF-16 code units. One part carries 160 septets or 70 units;
 * a concatenated message holds 153 or 67 per part. */
struct hub_sms_size {
	bool ucs2;		/* needs UCS-2 (false: GSM-7) */
	size_t units;		/* septets, or UTF-16 code units */
	size_t parts;		/* 1 for an empty text */
};

/* Measures valid UTF-8 text. Safe on any thread. */
void hub_sms_measure(const char *text, struct hub_sms_size *size);

/* --- Tickets a citizen may look up ---------------------------------------- */

/* Public view of a ticket: status, category, department and commune (ids,
 * and their configured names as category_name and department_name
 * {"vi", "en"} and commune_name, null when not configured), deadline and
 * times, no personal data. resolved_at is when the ticket was resolved,
 * null unless it is resolved or closed after a resolution. merged_into is
 * the code (plain) of the ticket that a merged ticket's case continues
 * under, null when not merged.
 * Returns a new JSON object. Returns NULL with errno ENOENT when code
 * (plain, ten digits) is not a ticket, and with another errno when reading
 * the ticket failed, so that a citizen can be told to try again later. */
json_t *hub_ticket_public(struct hub_channel *channel, const char *code);

/* The newest ticket of conversation_key (any status) among the tickets this
 * channel opened, or with resolved_only the one resolved last (resolved, or
 * closed after its resolution): its code (plain) and the time it was
 * resolved in Unix milliseconds, 0 when it is not resolved. Returns 1, 0
 * when there is none, -1 on error. */
int hub_conversation_latest(struct hub_channel *channel,
    const char *conversation_key, bool resolved_only,
    char code[TICKET_CODE_PLAIN_SIZE], int64_t *resolved_at_ms);

/* Whether the desk blocked the contact (value as the channel got it; a
 * phone number is normalized first). Messages from it are rejected by the
 * pipeline, and a channel answers it nothing either. Returns 1, 0, or -1
 * on error. Main thread; one indexed read. */
int hub_contact_blocked(struct hub_channel *channel, enum contact_kind kind,
    const char *value);

/* The categories of the desk in force, in configuration order, as a JSON
 * array of {id, name_vi, name_en}. It is read at each call, so a category
 * edited through the desk API shows at once. Returns a new array (empty
 * when no category is configured), or NULL on allocation failure. */
json_t *hub_desk_categories(struct hub_channel *channel);

enum hub_factor_kind {
	HUB_FACTOR_PHONE_SUFFIX,	/* last four digits of the citizen's phone */
	HUB_FACTOR_EMAIL,		/* the citizen's email address */
	HUB_FACTOR_TOKEN,		/* the per-ticket link token */
};

/* Whether value proves access to the ticket of code. */
bool hub_ticket_factor_valid(struct hub_channel *channel, const char *code,
    enum hub_factor_kind kind, const char *value);

/* The ticket's messages as a citizen may read them, oldest first, as a JSON
 * array of {id, direction, kind, channel, body, created_at, agent_name}.
 * Internal notes and outbound messages still queued are left out.
 * agent_name is the display name of the agent who wrote a reply, and null
 * for the citizen's messages, for the hub's notices and for every message
 * when replies.show_agent_names is false. Returns NULL when code is not a
 * ticket or on error. */
json_t *hub_ticket_messages(struct hub_channel *channel, const char *code);

/* The outcome of a rating. */
enum hub_rating_result {
	HUB_RATING_STORED,
	HUB_RATING_NOT_FOUND,
	HUB_RATING_NOT_RESOLVED,	/* neither resolved nor closed */
	HUB_RATING_FAILED,		/* the store failed; nothing stored */
	HUB_RATING_MERGED,		/* merged into another ticket */
};

typedef void (*hub_rate_done_fn)(enum hub_rating_result result,
    int previous, void *arg);

/* Stores the citizen's satisfaction rating (1 to 5, checked by the
 * caller, who has also checked a second factor) of the ticket of code
 * (plain), with an audit event. Only a resolved or closed ticket that is
 * not merged into another one takes a rating. A later rating replaces the earlier one, and done gets the
 * earlier rating as previous (0 for none). done runs once, after the
 * commit. Returns 0, or -1 when the hub is shutting down or out of memory
 * (done is not called then). */
int hub_ticket_rate(struct hub_channel *channel, const char *code, int rating,
    hub_rate_done_fn done, void *arg);

/* An address built on http.public_url: with_token gives the citizen's
 * status page with the ticket's access token ("/lookup?code=...&token=..."),
 * otherwise the JSON status API ("/api/v1/requests/CODE"). Returns a new
 * string, or NULL on allocation failure. */
char *hub_ticket_status_url(struct hub_channel *channel, const char *code,
    bool with_token);

/* --- Calls ------------------------------------------------------------------ */

/* One telephone call to the IVR, as the sip channel reports it when the call
 * has ended. Strings are the caller's; the hub copies what it keeps. */
struct hub_call {
	const char *call_id;		/* SIP Call-ID, at most 255 bytes */
	const char *caller;		/* the From user: a phone number as dialled
					 * ("0912345678", "+84912345678") or a
					 * SIP URI's user part */
	const char *callee;		/* the hotline number dialled */
	int64_t started_at_ms;		/* INVITE received, Unix ms */
	int64_t answered_at_ms;		/* 200 OK sent; 0 when never answered */
	int64_t ended_at_ms;
	const char *language;		/* "vi" or "en": the language at the end */
	/* The way through the menu: node names and the keys pressed, space
	 * separated ("main:1 category:3 record"), at most 1000 bytes. */
	const char *path;
	/* The ways the caller's keys arrived, a comma-separated subset of
	 * "rfc4733", "info" and "inband"; NULL or "" when no key was pressed. */
	const char *dtmf_methods;
	/* Why the call ended: "caller" (BYE or CANCEL from the caller),
	 * "completed" (the menu hung up), "no_input", "media_timeout",
	 * "max_duration", "transferred", "rejected", "shutdown", "error". */
	const char *end_reason;
	/* The ticket the call belongs to: the one its report opened, or the
	 * one whose status it asked for (plain code). NULL when none. */
	const char *ticket_code;
	/* The caller's recording stored with hub_channel_store_blob (hex),
	 * NULL for none; its length in milliseconds. */
	const char *recording_sha256;
	int64_t recording_ms;
};

/* Stores call, attached to its ticket when ticket_code names one, and
 * publishes it to the ticket's watchers. done, when not NULL, runs on the
 * main thread after the commit with 0, or -1 when the write failed. Returns
 * 0, or -1 when the hub is shutting down or out of memory (done is not
 * called then). */
int hub_call_record(struct hub_channel *channel, const struct hub_call *call,
    hub_state_done_fn done, void *arg);

#endif
