#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "channel.h"
#include "clock.h"
#include "contact.h"
#include "desk.h"
#include "module.h"
#include "pipeline.h"
#include "pipeline_stages.h"
#include "store.h"
#include "store_calls.h"
#include "store_replies.h"
#include "template.h"
#include "ticket_code.h"


const char *
hub_channel_name(const struct hub_channel *channel)
{
	return channel->name;
}

const struct hub_config *
hub_channel_config(const struct hub_channel *channel)
{
	return channel->host->config;
}

struct event_base *
hub_channel_event_base(const struct hub_channel *channel)
{
	return channel->host->base;
}

struct http_server *
hub_channel_http(const struct hub_channel *channel)
{
	return channel->host->http;
}

int
hub_channel_submit(struct hub_channel *channel, struct hub_message *message,
    hub_submit_done_fn done, void *arg)
{
	if (channel->host->pipeline == NULL ||
	    hub_message_set(&message->channel, channel->name) != 0) {
		hub_message_free(message);
		return -1;
	}
	message->sms_text =
	    (channel->module->capabilities & HUB_CHANNEL_SMS_TEXT) != 0;
	return pipeline_submit(channel->host->pipeline, message, done, arg);
}

int
hub_channel_route(struct hub_channel *channel, const char *path,
    enum http_route_flags flags, http_handler_fn handler, void *arg)
{
	return http_server_route(channel->host->http, channel->name, path, flags,
	    handler, arg);
}

int
hub_channel_run_job(struct hub_channel *channel, worker_run_fn run,
    worker_done_fn done, void *arg)
{
	return worker_pool_submit(channel->host->workers, run, done, arg);
}

int
hub_channel_run_blocking(struct hub_channel *channel, worker_run_fn run,
    worker_done_fn done, void *arg)
{
	return worker_pool_submit(channel->host->io_workers, run, done, arg);
}

char *
hub_channel_render(const struct hub_channel *channel, const char *language,
    const char *name, const json_t *vars)
{
	return templates_render(channel->host->templates, language, name, vars);
}

/* Formats Unix milliseconds as ISO 8601 in Vietnam time, or JSON null. */
static json_t *
channel_time_json(int64_t ms)
{
	char text[CLOCK_ISO8601_SIZE];

	if (ms == 0 || clock_format_vietnam(ms, text) != 0)
		return json_null();
	return json_string(text);
}

static json_t *
channel_string_json(const char *value)
{
	return value != NULL ? json_string(value) : json_null();
}

/* {"vi": ..., "en": ...} of a configured name, or JSON null. */
static json_t *
channel_names_json(const char *vi, const char *en)
{
	if (vi == NULL || en == NULL)
		return json_null();
	return json_pack("{s:s, s:s}", "vi", vi, "en", en);
}

/* Adds the configured names of the ticket's category, department and
 * commune, so that pages show names and not ids. */
static void
channel_add_names(const struct hub_config *config,
    const struct store_ticket *ticket, json_t *view)
{
	const struct hub_config_desk *desk = desk_current(config);
	const struct desk_category *category = ticket->category != NULL ?
	    desk_category_find(desk, ticket->category) : NULL;
	const struct desk_department *department = ticket->department != NULL ?
	    desk_department_find(desk, ticket->department) : NULL;
	const char *commune = NULL;

	for (size_t i = 0; ticket->commune != NULL && i < desk->commune_count;
	    i++)
		if (strcmp(desk->communes[i].id, ticket->commune) == 0)
			commune = desk->communes[i].name;
	json_object_set_new(view, "category_name", category != NULL ?
	    channel_names_json(category->name_vi, category->name_en) :
	    json_null());
	json_object_set_new(view, "department_name", department != NULL ?
	    channel_names_json(department->name_vi, department->name_en) :
	    json_null());
	json_object_set_new(view, "commune_name", commune != NULL ?
	    json_string(commune) : json_null());
}

json_t *
hub_desk_categories(struct hub_channel *channel)
{
	const struct hub_config_desk *desk = desk_current(
	    channel->host->config);
	const struct desk_category *category;
	json_t *categories = json_array();

	for (size_t i = 0; categories != NULL && i < desk->category_count;
	    i++) {
		category = &desk->categories[i];
		if (json_array_append_new(categories, json_pack(
		    "{s:s, s:s?, s:s?}", "id", category->id,
		    "name_vi", category->name_vi,
		    "name_en", category->name_en)) != 0) {
			json_decref(categories);
			categories = NULL;
		}
	}
	return categories;
}

/* Sets merged_into of view to the code that a merged ticket continues
 * under, or null. Returns 0, or -1 when the store failed. */
static int
channel_add_merged_into(struct store *store, int64_t ticket_id, json_t *view)
{
	char target[TICKET_CODE_PLAIN_SIZE];
	int merged = store_replies_merged_code(store, ticket_id, target);

	if (merged < 0) {
		log_error("channel", "reading merged_into failed ticket=%lld",
		    (long long)ticket_id);
		return -1;
	}
	return json_object_set_new(view, "merged_into", merged == 1 ?
	    json_string(target) : json_null());
}

/* Sets resolved_at of view: when the ticket was resolved, null unless it
 * is resolved or closed after a resolution. Returns 0, or -1 when the
 * store failed. */
static int
channel_add_resolved_at(struct store *store, int64_t ticket_id, json_t *view)
{
	int64_t resolved_at;

	if (store_ticket_resolved_at(store, ticket_id, &resolved_at) < 0) {
		log_error("channel", "reading resolved_at failed ticket=%lld",
		    (long long)ticket_id);
		return -1;
	}
	return json_object_set_new(view, "resolved_at",
	    channel_time_json(resolved_at));
}

json_t *
hub_ticket_public(struct hub_channel *channel, const char *code)
{
	struct store_ticket ticket;
	char grouped[TICKET_CODE_GROUPED_SIZE];
	json_t *view;
	int found;

	found = store_ticket_get_code(channel->host->store, code, &ticket);
	if (found != 1) {
		errno = found == 0 ? ENOENT : EIO;
		return NULL;
	}
	ticket_code_group(ticket.code, grouped);
	/* Public facts only: no name, contact, address or location, which
	 * would tell a stranger where the citizen lives. */
	view = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "code", ticket.code, "code_display", grouped,
	    "status", ticket.status, "channel", ticket.channel,
	    "category", channel_string_json(ticket.category),
	    "department", channel_string_json(ticket.department),
	    "commune", channel_string_json(ticket.commune),
	    "due_at", channel_time_json(ticket.due_at),
	    "created_at", channel_time_json(ticket.created_at),
	    "updated_at", channel_time_json(ticket.updated_at));
	if (view != NULL)
		channel_add_names(channel->host->config, &ticket, view);
	if (view != NULL && channel_add_resolved_at(channel->host->store,
	    ticket.id, view) != 0) {
		json_decref(view);
		view = NULL;
	}
	if (view != NULL && channel_add_merged_into(channel->host->store,
	    ticket.id, view) != 0) {
		json_decref(view);
		view = NULL;
	}
	store_ticket_clear(&ticket);
	if (view == NULL)
		errno = EIO;
	return view;
}

static bool
channel_token_valid(struct store *store, const char *code, const char *value)
{
	char token[PIPELINE_TOKEN_SIZE];

	if (strlen(value) != PIPELINE_TOKEN_SIZE - 1)
		return false;
	pipeline_access_token(store_token_key(store), code, token);
	return sodium_memcmp(token, value, PIPELINE_TOKEN_SIZE - 1) == 0;
}

static bool
channel_phone_suffix_valid(struct store *store, int64_t ticket_id,
    const char *value)
{
	if (strlen(value) != 4 || strspn(value, "0123456789") != 4)
		return false;
	return store_ticket_phone_suffix_matches(store, ticket_id, value) == 1;
}

static bool
channel_email_valid(struct store *store, int64_t ticket_id, const char *value)
{
	char *email = contact_email_normalize(value);
	bool valid;

	if (email == NULL)
		return false;
	valid = store_ticket_email_matches(store, ticket_id, email) == 1;
	free(email);
	return valid;
}

bool
hub_ticket_factor_valid(struct hub_channel *channel, const char *code,
    enum hub_factor_kind kind, const char *value)
{
	struct store *store = channel->host->store;
	struct store_ticket ticket;
	bool valid = false;

	if (value == NULL || store_ticket_get_code(store, code, &ticket) != 1)
		return false;
	switch (kind) {
	case HUB_FACTOR_TOKEN:
		valid = channel_token_valid(store, ticket.code, value);
		break;
	case HUB_FACTOR_PHONE_SUFFIX:
		valid = channel_phone_suffix_valid(store, ticket.id, value);
		break;
	case HUB_FACTOR_EMAIL:
		valid = channel_email_valid(store, ticket.id, value);
		break;
	}
	store_ticket_clear(&ticket);
	return valid;
}

char *
hub_ticket_status_url(struct hub_channel *channel, const char *code,
    bool with_token)
{
	const char *public_url = channel->host->config->public_url;
	char token[PIPELINE_TOKEN_SIZE];
	char *url = NULL;

	if (with_token) {
		pipeline_access_token(store_token_key(channel->host->store),
		    code, token);
		return pipeline_status_url(public_url, code, token, NULL);
	}
	if (asprintf(&url, "%s/api/v1/requests/%s", public_url, code) < 0)
		return NULL;
	return url;
}

void
hub_sms_measure(const char *text, struct hub_sms_size *size)
{
	struct template_sms_size measured;

	template_sms_measure(text, &measured);
	size->ucs2 = measured.ucs2;
	size->units = measured.units;
	size->parts = measured.parts;
}

int
hub_conversation_latest(struct hub_channel *channel,
    const char *conversation_key, bool resolved_only,
    char code[TICKET_CODE_PLAIN_SIZE], int64_t *resolved_at_ms)
{
	return store_conversation_latest(channel->host->store, channel->name,
	    conversation_key, resolved_only, code, resolved_at_ms);
}

int
hub_contact_blocked(struct hub_channel *channel, enum contact_kind kind,
    const char *value)
{
	char e164[CONTACT_E164_MAX];

	if (kind == CONTACT_PHONE) {
		if (contact_phone_e164(value, e164) != 0)
			return 0;
		value = e164;
	}
	return store_contact_blocked(channel->host->store, kind, value);
}

int
hub_channel_http_request(struct hub_channel *channel, const char *method,
    const char *url, const char *const *headers, const void *body,
    size_t body_len, long timeout_ms, http_client_done_fn done, void *arg)
{
	struct hub_host *host = channel->host;

	if (host->http_client_closed) {
		errno = ESHUTDOWN;
		return -1;
	}
	if (host->http_client == NULL &&
	    (host->http_client = http_client_new(host->base,
	    host->http_client_connections)) == NULL) {
		log_error("channel", "HTTP client not created channel=%s: %s",
		    channel->name, strerror(errno));
		return -1;
	}
	return http_client_request(channel->host->http_client, method, url,
	    headers, body, body_len, timeout_ms, done, arg);
}
