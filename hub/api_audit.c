/*
 * GET /api/v1/audit, the admins' view of the audit trail, and the replies
 * that are sent only once their own audit events have committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_auth.h"
#include "api_citizens.h"
#include "http_server.h"
#include "log.h"
#include "store_citizen.h"
#include "ticket_code.h"

#define API_AUDIT_PATH "/api/v1/audit"
#define API_AUDIT_LIMIT_DEFAULT 50
/* Up to nine digits is an internal ticket id, ten a ticket code. */
#define API_AUDIT_TICKET_ID_DIGITS_MAX 9

/* --- Replies after their audit events ------------------------------------ */

struct api_citizens_audited {
	struct api_context *api;
	struct evhttp_request *req;
	struct store_job job;
	int status;
	json_t *body;
	json_t *events;		/* [{action, citizen_id, ticket_id, detail}] */
	json_t *headers;	/* {name: value} */
	char actor[AUTH_USERNAME_MAX + 32];
	int64_t agent_id;
};

static void
api_audit_reply_free(struct api_citizens_audited *reply)
{
	json_decref(reply->body);
	json_decref(reply->events);
	json_decref(reply->headers);
	free(reply);
}

struct api_citizens_audited *
api_citizens_audited_new(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, int status, json_t *body)
{
	struct api_citizens_audited *reply = calloc(1, sizeof(*reply));

	if (reply == NULL || body == NULL ||
	    (reply->events = json_array()) == NULL ||
	    (reply->headers = json_object()) == NULL) {
		json_decref(body);
		if (reply != NULL)
			api_audit_reply_free(reply);
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return NULL;
	}
	reply->api = api;
	reply->req = req;
	reply->status = status;
	reply->body = body;
	reply->agent_id = agent->id;
	auth_actor(agent, reply->actor, sizeof(reply->actor));
	return reply;
}

int
api_citizens_audit_add(struct api_citizens_audited *reply,
    const char *action, int64_t citizen_id, int64_t ticket_id,
    json_t *detail)
{
	char *text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	json_t *event;

	json_decref(detail);
	if (detail != NULL && text == NULL)
		return -1;
	event = json_pack("{s:s, s:I, s:I, s:s?}", "action", action,
	    "citizen_id", (json_int_t)citizen_id,
	    "ticket_id", (json_int_t)ticket_id, "detail", text);
	free(text);
	return json_array_append_new(reply->events, event);
}

int
api_citizens_audited_header(struct api_citizens_audited *reply,
    const char *name, const char *value)
{
	return json_object_set_new(reply->headers, name, json_string(value));
}

static int
api_audit_reply_apply(struct store_tx *tx, void *arg)
{
	struct api_citizens_audited *reply = arg;
	size_t index;
	json_t *event;

	json_array_foreach(reply->events, index, event) {
		struct store_audit_new stored = {
			.citizen_id = json_integer_value(json_object_get(event,
			    "citizen_id")),
			.ticket_id = json_integer_value(json_object_get(event,
			    "ticket_id")),
			.agent_id = reply->agent_id,
			.actor = reply->actor,
			.action = json_string_value(json_object_get(event,
			    "action")),
			.detail = json_string_value(json_object_get(event,
			    "detail")),
		};

		if (store_tx_audit_add_event(tx, &stored) != 0)
			return -1;
	}
	return 0;
}

static void
api_audit_reply_done(int result, void *arg)
{
	struct api_citizens_audited *reply = arg;
	struct evkeyvalq *headers = evhttp_request_get_output_headers(
	    reply->req);
	const char *name;
	json_t *value;

	if (result != 0) {
		log_error("http", "recording audit events failed, reply "
		    "withheld actor=%s", reply->actor);
		api_auth_error(reply->req, HUB_ERR_INTERNAL, NULL, 0);
		api_audit_reply_free(reply);
		return;
	}
	json_object_foreach(reply->headers, name, value)
		evhttp_add_header(headers, name, json_string_value(value));
	/* Personal data: no cache may keep a copy. */
	evhttp_add_header(headers, "Cache-Control", "no-store");
	http_send_json(reply->req, reply->status, reply->body);
	reply->body = NULL;
	api_audit_reply_free(reply);
}

void
api_citizens_audited_fail(struct api_citizens_audited *reply)
{
	log_error("http", "building an audited reply failed: out of memory "
	    "actor=%s", reply->actor);
	api_auth_error(reply->req, HUB_ERR_INTERNAL, NULL, 0);
	api_audit_reply_free(reply);
}

void
api_citizens_audited_send(struct api_citizens_audited *reply)
{
	reply->job = (struct store_job){ .apply = api_audit_reply_apply,
	    .done = api_audit_reply_done, .arg = reply };
	if (store_submit(reply->api->store, &reply->job) != 0) {
		api_auth_error(reply->req, HUB_ERR_UNAVAILABLE, NULL, 0);
		api_audit_reply_free(reply);
	}
}

/* --- GET /api/v1/audit ------------------------------------------------------- */

/* Resolves a ticket filter: an internal id of up to nine digits, or a
 * ticket code. Returns 1, 0 when no such ticket, -1 when malformed, -2 on a
 * store error. */
static int
api_audit_ticket(struct api_context *api, const char *value,
    int64_t *ticket_id)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	struct store_ticket ticket;
	size_t digits = strspn(value, "0123456789");
	int found;

	if (digits > 0 && digits <= API_AUDIT_TICKET_ID_DIGITS_MAX &&
	    value[digits] == '\0')
		return api_citizens_parse_id(value, ticket_id) ? 1 : -1;
	if (ticket_code_parse(value, code) != 0)
		return -1;
	found = store_ticket_get_code(api->store, code, &ticket);
	if (found == 1)
		*ticket_id = ticket.id;
	store_ticket_clear(&ticket);
	return found < 0 ? -2 : found;
}

static bool
api_audit_action_valid(const char *value)
{
	size_t length = strlen(value);

	return length > 0 && length <= STORE_AUDIT_ACTION_MAX &&
	    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789._-") == length;
}

/* Applies one parameter. Returns NULL when valid, else the name to report;
 * *missing is set for a ticket that does not exist. */
static const char *
api_audit_parameter(struct api_context *api, struct store_audit_filter *filter,
    const char *key, const char *value, bool *missing)
{
	int64_t number;
	int found;

	if (strcmp(key, "ticket") == 0) {
		found = api_audit_ticket(api, value, &filter->ticket_id);
		*missing = found == 0 || found == -2;
		return found == 1 ? NULL : key;
	}
	if (strcmp(key, "citizen") == 0)
		return api_citizens_parse_id(value, &filter->citizen_id) ?
		    NULL : key;
	if (strcmp(key, "agent") == 0)
		return api_citizens_parse_id(value, &filter->agent_id) ?
		    NULL : key;
	if (strcmp(key, "action") == 0) {
		filter->action = value;
		return api_audit_action_valid(value) ? NULL : key;
	}
	if (strcmp(key, "before_id") == 0)
		return api_citizens_parse_id(value, &filter->before_id) ?
		    NULL : key;
	if (strcmp(key, "limit") == 0) {
		if (!api_citizens_parse_id(value, &number) ||
		    number > STORE_AUDIT_LIMIT_MAX)
			return key;
		filter->limit = (int)number;
		return NULL;
	}
	if (strcmp(key, "lang") == 0)
		return NULL;
	return strlen(key) < 32 && strspn(key, "abcdefghijklmnopqrstuvwxyz_") ==
	    strlen(key) ? key : "query";
}

/* Whether a parameter before parameter has the same name. */
static bool
api_audit_repeated(const struct evkeyvalq *params,
    const struct evkeyval *parameter)
{
	const struct evkeyval *earlier;

	TAILQ_FOREACH(earlier, params, next) {
		if (earlier == parameter)
			return false;
		if (strcmp(earlier->key, parameter->key) == 0)
			return true;
	}
	return false;
}

/* Fills filter from the query, whose strings it points into. Sends the
 * error and returns false on a bad parameter. */
static bool
api_audit_parse(struct api_context *api, struct evhttp_request *req,
    struct evkeyvalq *params, struct store_audit_filter *filter)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyval *parameter;
	const char *bad = NULL;
	bool missing = false;

	memset(filter, 0, sizeof(*filter));
	filter->limit = API_AUDIT_LIMIT_DEFAULT;
	TAILQ_INIT(params);
	if (query != NULL && evhttp_parse_query_str(query, params) != 0)
		bad = "query";
	TAILQ_FOREACH(parameter, params, next) {
		if (bad != NULL)
			break;
		bad = api_audit_parameter(api, filter, parameter->key,
		    parameter->value, &missing);
		if (bad == NULL && api_audit_repeated(params, parameter))
			bad = parameter->key;
	}
	if (bad == NULL)
		return true;
	if (missing)
		api_auth_error(req, HUB_ERR_NOT_FOUND, bad, 0);
	else
		api_auth_error(req, HUB_ERR_INVALID_FIELD, bad,
		    strcmp(bad, "limit") == 0 ? STORE_AUDIT_LIMIT_MAX : 0);
	return false;
}

static void
api_audit_list(struct evhttp_request *req, void *arg)
{
	static const int methods[] = { EVHTTP_REQ_GET, EVHTTP_REQ_HEAD, 0 };
	struct api_context *api = arg;
	struct store_audit_filter filter;
	struct auth_agent agent;
	struct evkeyvalq params;
	json_t *events;

	if (!api_citizens_method(req, methods, "GET, HEAD") ||
	    !auth_request(api, req, &agent))
		return;
	if (!auth_has_role(&agent, AUTH_ROLE_ADMIN)) {
		auth_forbid(req);
		return;
	}
	if (!api_audit_parse(api, req, &params, &filter)) {
		evhttp_clear_headers(&params);
		return;
	}
	events = store_audit_json(api->store, &filter);
	if (events == NULL) {
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Cache-Control", "no-store");
		/* "o" steals both values. */
		http_send_json(req, 200, json_pack("{s:o, s:o}", "events",
		    events, "next_before", api_page_next_id(events,
		    filter.limit)));
	}
	evhttp_clear_headers(&params);
}

int
api_audit_mount(struct api_context *api, char *err, size_t err_size)
{
	if (http_server_route(api->http, "core", API_AUDIT_PATH,
	    HTTP_ROUTE_EXACT, api_audit_list, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_AUDIT_PATH);
		return -1;
	}
	return 0;
}
