/*
 * GET /api/v1/calls: the admins' list of telephone calls to the IVR,
 * including the calls that opened or looked up no ticket. Agents and
 * supervisors see the calls of a ticket in its detail instead, because a
 * call without a ticket belongs to no department.
 */
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_auth.h"
#include "auth.h"
#include "api_citizens.h"
#include "clock.h"
#include "http_server.h"
#include "log.h"
#include "store_calls.h"

#define API_CALLS_PATH "/api/v1/calls"
#define API_CALLS_LIMIT_DEFAULT 100

struct api_calls_filter {
	int64_t since_ms;
	int64_t after_id;
	int limit;
};

/* Applies one parameter. Returns NULL when valid, else the name to
 * report. */
static const char *
api_calls_parameter(struct api_calls_filter *filter, const char *key,
    const char *value)
{
	int64_t number;

	if (strcmp(key, "since") == 0)
		return clock_parse_iso8601(value, &filter->since_ms) == 0 ?
		    NULL : key;
	if (strcmp(key, "after_id") == 0)
		return api_citizens_parse_id(value, &filter->after_id) ?
		    NULL : key;
	if (strcmp(key, "limit") == 0) {
		if (!api_citizens_parse_id(value, &number) ||
		    number > STORE_CALLS_LIMIT_MAX)
			return key;
		filter->limit = (int)number;
		return NULL;
	}
	if (strcmp(key, "lang") == 0)
		return NULL;
	return strlen(key) < 32 && strspn(key, "abcdefghijklmnopqrstuvwxyz_") ==
	    strlen(key) ? key : "query";
}

/* Fills filter from the query. Sends the error and returns false on a bad
 * parameter. */
static bool
api_calls_parse(struct evhttp_request *req, struct api_calls_filter *filter)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	struct evkeyval *parameter;
	const char *bad = NULL;

	memset(filter, 0, sizeof(*filter));
	filter->limit = API_CALLS_LIMIT_DEFAULT;
	TAILQ_INIT(&params);
	if (query != NULL && evhttp_parse_query_str(query, &params) != 0)
		bad = "query";
	TAILQ_FOREACH(parameter, &params, next) {
		if (bad != NULL)
			break;
		bad = api_calls_parameter(filter, parameter->key,
		    parameter->value);
	}
	if (bad != NULL)
		api_auth_error(req, HUB_ERR_INVALID_FIELD, bad,
		    strcmp(bad, "limit") == 0 ? STORE_CALLS_LIMIT_MAX : 0);
	evhttp_clear_headers(&params);
	return bad == NULL;
}

static void
api_calls_list(struct evhttp_request *req, void *arg)
{
	static const int methods[] = { EVHTTP_REQ_GET, EVHTTP_REQ_HEAD, 0 };
	struct api_context *api = arg;
	struct api_calls_filter filter;
	struct auth_agent agent;
	json_t *calls;

	if (!api_citizens_method(req, methods, "GET, HEAD") ||
	    !auth_request(api, req, &agent))
		return;
	if (!auth_has_role(&agent, AUTH_ROLE_ADMIN)) {
		auth_forbid(req);
		return;
	}
	if (!api_calls_parse(req, &filter))
		return;
	calls = store_calls_list_json(api->store, filter.since_ms,
	    filter.after_id, filter.limit);
	if (calls == NULL) {
		log_error("http", "reading calls failed since=%lld",
		    (long long)filter.since_ms);
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	/* Callers' numbers are personal data: no cache may keep a copy. */
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	/* "o" steals both values. */
	http_send_json(req, 200, json_pack("{s:o, s:o}", "calls", calls,
	    "next_after_id", api_page_next_id(calls, filter.limit)));
}

int
api_calls_mount(struct api_context *api, char *err, size_t err_size)
{
	if (http_server_route(api->http, "core", API_CALLS_PATH,
	    HTTP_ROUTE_EXACT, api_calls_list, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_CALLS_PATH);
		return -1;
	}
	return 0;
}
