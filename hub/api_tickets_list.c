/*
 * GET /api/v1/tickets: the desk's ticket list with its filters, limited to
 * the departments the caller may see.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_tickets_internal.h"
#include "clock.h"
#include "http_server.h"
#include "log.h"
#include "store_casework.h"
#include "text.h"

/* The list's filter with the strings it owns. */
struct list_query {
	struct store_casework_filter filter;
	char *tag;			/* normalized */
	char *visible_departments;	/* JSON text */
};

static bool
list_parse_count(const char *text, int64_t min, int64_t max, int64_t *value)
{
	char *end;
	long long number;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	number = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || number < min || number > max)
		return false;
	*value = number;
	return true;
}

/* Whether value is an id as the config writes departments, categories,
 * communes and channels. */
static bool
list_valid_id(const char *value)
{
	size_t length = strlen(value);

	return length > 0 && length <= API_TICKETS_ID_MAX &&
	    strspn(value, API_TICKETS_ID_CHARS) == length;
}

static bool
list_valid_search(const char *value)
{
	return text_valid_utf8(value, strlen(value)) &&
	    text_length(value) <= STORE_SEARCH_QUERY_MAX;
}

/* assignee: an agent id, "me" (the caller, who must be an agent) or
 * "none". */
static bool
list_assignee(const char *value, const struct auth_agent *agent,
    struct store_casework_filter *filter)
{
	if (strcmp(value, "none") == 0) {
		filter->unassigned = true;
		return true;
	}
	if (strcmp(value, "me") == 0) {
		filter->assignee_id = agent->id;
		return agent->id != 0;
	}
	return list_parse_count(value, 1, INT64_MAX, &filter->assignee_id);
}

static bool
list_overdue(const char *value, struct store_casework_filter *filter)
{
	filter->overdue = strcmp(value, "true") == 0;
	return filter->overdue || strcmp(value, "false") == 0;
}

static bool
list_tag(const char *value, struct list_query *query)
{
	query->tag = api_ticket_tag_normalize(value, strlen(value));
	query->filter.tag = query->tag;
	return query->tag != NULL;
}

/* The filter's member for a parameter whose value is an id, or NULL for
 * another parameter. */
static const char **
list_id_filter(struct store_casework_filter *filter, const char *key)
{
	if (strcmp(key, "department") == 0)
		return &filter->department;
	if (strcmp(key, "channel") == 0)
		return &filter->channel;
	if (strcmp(key, "category") == 0)
		return &filter->category;
	if (strcmp(key, "commune") == 0)
		return &filter->commune;
	return NULL;
}

/* Applies one parameter to query. Returns true when it is known and
 * valid. */
static bool
list_apply(const struct evkeyval *parameter, const struct auth_agent *agent,
    struct list_query *query)
{
	struct store_casework_filter *filter = &query->filter;
	const char *key = parameter->key;
	const char *value = parameter->value;
	enum lifecycle_status status;
	const char **slot;
	int64_t number;

	if (strcmp(key, "status") == 0) {
		filter->status = value;
		return lifecycle_status_parse(value, &status) == 0;
	}
	if ((slot = list_id_filter(filter, key)) != NULL) {
		*slot = value;
		return list_valid_id(value);
	}
	if (strcmp(key, "before_id") == 0 || strcmp(key, "before") == 0) {
		filter->before_id = 0;
		return list_parse_count(value, 1, INT64_MAX, &filter->before_id);
	}
	if (strcmp(key, "limit") == 0) {
		if (!list_parse_count(value, 1, API_TICKETS_LIMIT_MAX, &number))
			return false;
		filter->limit = (int)number;
		return true;
	}
	if (strcmp(key, "q") == 0) {
		filter->search = value;
		return list_valid_search(value);
	}
	if (strcmp(key, "assignee") == 0)
		return list_assignee(value, agent, filter);
	if (strcmp(key, "overdue") == 0)
		return list_overdue(value, filter);
	if (strcmp(key, "tag") == 0)
		return list_tag(value, query);
	return strcmp(key, "lang") == 0;
}

/* Whether a parameter before parameter has the same name, or is the other
 * name of the same one (before and before_id). */
static bool
list_repeated(const struct evkeyvalq *params, const struct evkeyval *parameter)
{
	const struct evkeyval *earlier;
	bool paging = strncmp(parameter->key, "before", 6) == 0;

	for (earlier = params->tqh_first; earlier != parameter;
	    earlier = earlier->next.tqe_next) {
		if (strcmp(earlier->key, parameter->key) == 0 ||
		    (paging && (strcmp(earlier->key, "before") == 0 ||
		    strcmp(earlier->key, "before_id") == 0)))
			return true;
	}
	return false;
}

/* Sends 422 naming the bad parameter, with its bound when it has one, or
 * with detail (HUB_ERROR_REPEATED). The name is echoed only when it is
 * short and plain. */
static void
list_reject(struct evhttp_request *req, const struct evkeyval *parameter,
    long detail)
{
	const char *key = parameter->key;
	bool plain = strlen(key) <= 32 && strspn(key,
	    "abcdefghijklmnopqrstuvwxyz_") == strlen(key);

	if (detail != 0)
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, plain ? key : "query",
		    detail);
	else if (strcmp(key, "q") == 0 &&
	    text_valid_utf8(parameter->value, strlen(parameter->value)))
		api_tickets_error(req, HUB_ERR_FIELD_TOO_LONG, key,
		    STORE_SEARCH_QUERY_MAX);
	else if (strcmp(key, "limit") == 0)
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, key,
		    API_TICKETS_LIMIT_MAX);
	else
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, plain ? key : "query",
		    0);
}

/* Fills query from the request's query string. Sends the error and
 * returns -1 when a parameter is unknown, repeated or invalid. The filter's
 * strings point into params, which the caller clears. */
static int
list_parse(struct evhttp_request *req, const struct auth_agent *agent,
    struct evkeyvalq *params, struct list_query *query)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *text = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const struct evkeyval *parameter;

	TAILQ_INIT(params);
	query->filter.limit = API_TICKETS_LIMIT_DEFAULT;
	if (text == NULL)
		return 0;
	if (evhttp_parse_query_str(text, params) != 0) {
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, "query", 0);
		return -1;
	}
	for (parameter = params->tqh_first; parameter != NULL;
	    parameter = parameter->next.tqe_next) {
		if (list_repeated(params, parameter)) {
			list_reject(req, parameter, HUB_ERROR_REPEATED);
			return -1;
		}
		if (!list_apply(parameter, agent, query)) {
			list_reject(req, parameter, 0);
			return -1;
		}
	}
	return 0;
}

/* Limits the list to the caller's departments, unless the caller is an
 * admin. A department filter outside them is 403. */
static int
list_scope(struct evhttp_request *req, const struct auth_agent *agent,
    struct list_query *query)
{
	json_t *departments;

	if (query->filter.department != NULL &&
	    !auth_sees_department(agent, query->filter.department)) {
		auth_forbid(req);
		return -1;
	}
	if (auth_has_role(agent, AUTH_ROLE_ADMIN))
		return 0;
	if ((departments = json_array()) == NULL)
		goto fail;
	for (size_t i = 0; i < agent->department_count; i++) {
		if (json_array_append_new(departments,
		    json_string(agent->departments[i])) != 0) {
			json_decref(departments);
			goto fail;
		}
	}
	query->visible_departments = json_dumps(departments, JSON_COMPACT);
	json_decref(departments);
	query->filter.visible_departments = query->visible_departments;
	if (query->visible_departments != NULL)
		return 0;
fail:
	api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
	return -1;
}

static json_t *
list_next_before(json_t *tickets, int limit)
{
	size_t count = json_array_size(tickets);
	json_t *id;

	if (count == 0 || count < (size_t)limit)
		return json_null();
	id = json_object_get(json_array_get(tickets, count - 1), "id");
	return json_is_integer(id) ? json_incref(id) : json_null();
}

void
api_tickets_list(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent)
{
	struct list_query query = { 0 };
	struct evkeyvalq params;
	json_t *tickets;

	if (list_parse(req, agent, &params, &query) == 0 &&
	    list_scope(req, agent, &query) == 0) {
		/* Admins see personal data in the list. Agents and
		 * supervisors see it only in the detail, whose reads are
		 * audited, so their list leaves it out. */
		query.filter.with_personal = auth_has_role(agent,
		    AUTH_ROLE_ADMIN);
		query.filter.now = clock_now_ms();
		tickets = store_casework_tickets_json(api->store, &query.filter);
		if (tickets == NULL) {
			log_error("http", "listing tickets failed agent=%lld",
			    (long long)agent->id);
			api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
		} else {
			/* "o" steals both values. */
			http_send_json(req, 200, json_pack("{s:o, s:o}",
			    "tickets", tickets, "next_before",
			    list_next_before(tickets, query.filter.limit)));
		}
	}
	evhttp_clear_headers(&params);
	free(query.tag);
	free(query.visible_departments);
}
