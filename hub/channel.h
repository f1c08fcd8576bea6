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
#include <stdint.h>

#include <jansson.h>

#include "api_error.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "message.h"
#include "worker.h"

/* Raised on any incompatible change to this header or to the descriptor. */
#define HUB_CHANNEL_ABI_VERSION 1

enum hub_channel_capability {
	HUB_CHANNEL_INBOUND = 1u << 0,
	HUB_CHANNEL_OUTBOUND = 1u << 1,
	HUB_CHANNEL_DELIVERY_REPORTS = 1u << 2,
	HUB_CHANNEL_ATTACHMENTS = 1u << 3,
	HUB_CHANNEL_LOCATIONS = 1u << 4,
};

/* The hub's handle of one loaded channel. */
struct hub_channel;

/* An outbound message for the channel to deliver. */
struct hub_outbound {
	int64_t ticket_id;
	int64_t message_id;
	const char *to;		/* contact value: E.164 phone, email, platform id */
	const char *language;
	const char *text;
};

/* Reports the outcome of send: status 0 delivered or accepted by the peer,
 * -1 failed for good, 1 failed for now (the hub retries). */
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
	 * queued (done follows), -1 when refused at once. */
	int (*send)(void *state, const struct hub_outbound *out,
	    hub_send_done_fn done);
	void (*free)(void *state);
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

/* --- Work off the loop ------------------------------------------------------ */

int hub_channel_run_job(struct hub_channel *channel, worker_run_fn run,
    worker_done_fn done, void *arg);

/* --- Templates ------------------------------------------------------------ */

/* templates_render with the hub's template set. */
char *hub_channel_render(const struct hub_channel *channel, const char *language,
    const char *name, const json_t *vars);

/* --- Tickets a citizen may look up ---------------------------------------- */

/* Public view of a ticket: status, category, department and commune (ids,
 * and their configured names as category_name and department_name
 * {"vi", "en"} and commune_name, null when not configured), deadline and
 * times, no personal data. Returns a new JSON object, or NULL when code
 * (plain, ten digits) is not a ticket. */
json_t *hub_ticket_public(struct hub_channel *channel, const char *code);

enum hub_factor_kind {
	HUB_FACTOR_PHONE_SUFFIX,	/* last four digits of the citizen's phone */
	HUB_FACTOR_EMAIL,		/* the citizen's email address */
	HUB_FACTOR_TOKEN,		/* the per-ticket link token */
};

/* Whether value proves access to the ticket of code. */
bool hub_ticket_factor_valid(struct hub_channel *channel, const char *code,
    enum hub_factor_kind kind, const char *value);

/* The ticket's messages without internal notes, as a JSON array, or NULL. */
json_t *hub_ticket_messages(struct hub_channel *channel, const char *code);

/* An address built on http.public_url: with_token gives the citizen's
 * status page with the ticket's access token ("/lookup?code=...&token=..."),
 * otherwise the JSON status API ("/api/v1/requests/CODE"). Returns a new
 * string, or NULL on allocation failure. */
char *hub_ticket_status_url(struct hub_channel *channel, const char *code,
    bool with_token);

#endif
