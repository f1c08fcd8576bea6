/*
 * GET /api/v1/stats/satisfaction: the citizens' ratings of resolved
 * tickets, per department and per agent, for supervisors (their
 * departments) and admins (every department).
 *
 * Query: from and to, dates as YYYY-MM-DD in Vietnam time, both included,
 * bound the time of the rating; department narrows the result to one
 * department that the caller may see. A ticket rated twice counts once, with its latest rating.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_error.h"
#include "api_satisfaction.h"
#include "auth.h"
#include "clock.h"
#include "http_server.h"
#include "log.h"
#include "store_replies.h"

#define API_SATISFACTION_PATH "/api/v1/stats/satisfaction"
#define API_SATISFACTION_DAY_MS (24 * 3600 * 1000LL)
#define API_SATISFACTION_DEPARTMENT_MAX 64

struct api_satisfaction_query {
	int64_t from;			/* Unix ms, 0 for none */
	int64_t to;			/* Unix ms, exclusive, 0 for none */
	char from_text[11];
	char to_text[11];
	const char *department;		/* into params, NULL for none */
};

static void
api_satisfaction_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field)
{
	struct hub_error error;

	hub_error_set(&error, code, field, 0);
	http_send_error(req, &error);
}

int
api_satisfaction_parse_date(const char *text, int64_t *ms)
{
	struct tm tm = { 0 }, check;
	time_t seconds;
	int year, month, day, used = 0;

	if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &year, &month,
	    &day, &used) != 3 || used != 10 || text[4] != '-' ||
	    text[7] != '-' || strspn(text, "0123456789-") != 10 ||
	    year < 2000 || year > 9999)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	seconds = timegm(&tm);
	/* timegm carries 2025-02-30 into March; a real date comes back. */
	if (gmtime_r(&seconds, &check) == NULL || check.tm_mday != day ||
	    check.tm_mon != month - 1)
		return -1;
	*ms = (int64_t)seconds * 1000 - CLOCK_VIETNAM_OFFSET_MS;
	return 0;
}

/* Applies one parameter. Returns NULL when valid, else its name. */
static const char *
api_satisfaction_parameter(const struct evkeyval *parameter,
    struct api_satisfaction_query *query)
{
	const char *key = parameter->key, *value = parameter->value;
	size_t length = strlen(value);

	if (strcmp(key, "from") == 0) {
		if (api_satisfaction_parse_date(value, &query->from) != 0)
			return "from";
		snprintf(query->from_text, sizeof query->from_text, "%s",
		    value);
	} else if (strcmp(key, "to") == 0) {
		if (api_satisfaction_parse_date(value, &query->to) != 0)
			return "to";
		query->to += API_SATISFACTION_DAY_MS;
		snprintf(query->to_text, sizeof query->to_text, "%s", value);
	} else if (strcmp(key, "department") == 0) {
		if (length == 0 || length > API_SATISFACTION_DEPARTMENT_MAX ||
		    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
		    length)
			return "department";
		query->department = value;
	} else if (strcmp(key, "lang") != 0) {
		return strlen(key) < 32 && strspn(key,
		    "abcdefghijklmnopqrstuvwxyz_") == strlen(key) ? key :
		    "query";
	}
	return NULL;
}

/* Fills query from the query string. Sends 422 naming the first bad
 * parameter and returns -1 when one is unknown, repeated or invalid, or
 * when from is after to. */
static int
api_satisfaction_parse(struct evhttp_request *req, struct evkeyvalq *params,
    struct api_satisfaction_query *query)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *text = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const struct evkeyval *parameter, *earlier;
	const char *bad;

	TAILQ_INIT(params);
	memset(query, 0, sizeof *query);
	if (text != NULL && evhttp_parse_query_str(text, params) != 0) {
		api_satisfaction_error(req, HUB_ERR_INVALID_FIELD, "query");
		return -1;
	}
	TAILQ_FOREACH(parameter, params, next) {
		bad = api_satisfaction_parameter(parameter, query);
		for (earlier = TAILQ_FIRST(params); bad == NULL &&
		    earlier != parameter; earlier = TAILQ_NEXT(earlier, next))
			if (strcmp(earlier->key, parameter->key) == 0)
				bad = parameter->key;
		if (bad != NULL) {
			api_satisfaction_error(req, HUB_ERR_INVALID_FIELD, bad);
			return -1;
		}
	}
	if (query->from != 0 && query->to != 0 && query->from >= query->to) {
		api_satisfaction_error(req, HUB_ERR_INVALID_FIELD, "from");
		return -1;
	}
	return 0;
}

/* The departments counted for agent, as a JSON array text, or NULL for
 * every department (an admin without a department filter). Sends 403 for
 * a department the caller does not see. Returns 0 or -1. */
static int
api_satisfaction_scope(struct evhttp_request *req,
    const struct auth_agent *agent, const char *department, char **scope)
{
	json_t *departments;

	*scope = NULL;
	if (department != NULL && !auth_sees_department(agent, department)) {
		auth_forbid(req);
		return -1;
	}
	if (department == NULL && auth_has_role(agent, AUTH_ROLE_ADMIN))
		return 0;
	departments = json_array();
	if (department != NULL)
		json_array_append_new(departments, json_string(department));
	for (size_t i = 0; department == NULL &&
	    i < agent->department_count; i++)
		json_array_append_new(departments,
		    json_string(agent->departments[i]));
	*scope = json_dumps(departments, JSON_COMPACT);
	json_decref(departments);
	if (*scope == NULL) {
		api_satisfaction_error(req, HUB_ERR_INTERNAL, NULL);
		return -1;
	}
	return 0;
}

static void
api_satisfaction_send(struct api_context *api, struct evhttp_request *req,
    const struct api_satisfaction_query *query, const char *scope)
{
	struct store_satisfaction_filter filter = { .from = query->from,
	    .to = query->to, .departments = scope };
	json_t *stats = store_satisfaction_json(api->store, &filter);

	if (stats == NULL) {
		log_error("http", "reading the satisfaction statistics failed");
		api_satisfaction_error(req, HUB_ERR_INTERNAL, NULL);
		return;
	}
	json_object_set_new(stats, "from", query->from_text[0] != '\0' ?
	    json_string(query->from_text) : json_null());
	json_object_set_new(stats, "to", query->to_text[0] != '\0' ?
	    json_string(query->to_text) : json_null());
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	http_send_json(req, 200, stats);
}

static void
api_satisfaction_route(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct api_satisfaction_query query;
	struct auth_agent agent;
	struct evkeyvalq params;
	char *scope = NULL;

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		api_satisfaction_error(req, HUB_ERR_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	if (!auth_request(api, req, &agent))
		return;
	if (!auth_has_role(&agent, AUTH_ROLE_SUPERVISOR)) {
		auth_forbid(req);
		return;
	}
	if (api_satisfaction_parse(req, &params, &query) == 0 &&
	    api_satisfaction_scope(req, &agent, query.department,
	    &scope) == 0)
		api_satisfaction_send(api, req, &query, scope);
	free(scope);
	evhttp_clear_headers(&params);
}

int
api_satisfaction_mount(struct api_context *api, char *err, size_t err_size)
{
	if (http_server_route(api->http, "core", API_SATISFACTION_PATH,
	    HTTP_ROUTE_EXACT, api_satisfaction_route, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_SATISFACTION_PATH);
		return -1;
	}
	return 0;
}
