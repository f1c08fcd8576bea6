/*
 * GET /api/v1/citizens, GET /api/v1/citizens/ID, POST
 * /api/v1/citizens/ID/merge and POST or DELETE /api/v1/contacts/ID/block,
 * and the dispatch of /api/v1/citizens/ID/export and .../erase to
 * privacy_api.c.
 *
 * Agents and supervisors see a citizen only when one of the citizen's
 * tickets belongs to one of their departments, and then only those
 * tickets. A citizen outside that scope is "not found", so that ids cannot
 * be probed. Admins see every citizen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_auth.h"
#include "api_citizens.h"
#include "clock.h"
#include "contact.h"
#include "http_server.h"
#include "log.h"
#include "store_citizen.h"
#include "text.h"

#define API_CITIZENS_PATH "/api/v1/citizens"
#define API_CITIZENS_PREFIX "/api/v1/citizens/"
#define API_CONTACTS_PREFIX "/api/v1/contacts/"
#define API_CITIZENS_LIMIT_DEFAULT 20
/* Maximum length of a name query, in code points. */
#define API_CITIZENS_QUERY_MAX 100
/* Maximum length of the reason of a block, in code points. */
#define API_CITIZENS_REASON_MAX 500
#define API_CITIZENS_ID_DIGITS_MAX 18

static const int api_citizens_read_methods[] = {
	EVHTTP_REQ_GET, EVHTTP_REQ_HEAD, 0,
};
static const int api_citizens_post_method[] = { EVHTTP_REQ_POST, 0 };
static const int api_citizens_block_methods[] = {
	EVHTTP_REQ_POST, EVHTTP_REQ_DELETE, 0,
};

/* --- Shared helpers ------------------------------------------------------- */

char *
api_citizens_scope(const struct auth_agent *agent, bool *failed)
{
	json_t *departments;
	char *text;

	*failed = false;
	if (agent->role == AUTH_ROLE_ADMIN)
		return NULL;
	departments = json_array();
	for (size_t i = 0; departments != NULL &&
	    i < agent->department_count; i++)
		json_array_append_new(departments,
		    json_string(agent->departments[i]));
	text = departments != NULL ? json_dumps(departments, JSON_COMPACT) :
	    NULL;
	json_decref(departments);
	*failed = text == NULL;
	return text;
}

bool
api_citizens_parse_id(const char *text, int64_t *id)
{
	size_t digits = strspn(text, "0123456789");
	int64_t value = 0;

	if (digits == 0 || digits > API_CITIZENS_ID_DIGITS_MAX ||
	    text[digits] != '\0' || text[0] == '0')
		return false;
	for (size_t i = 0; i < digits; i++)
		value = value * 10 + (text[i] - '0');
	*id = value;
	return true;
}

json_t *
api_page_next_id(json_t *items, int limit)
{
	size_t count = json_array_size(items);
	json_t *id;

	if (count == 0 || count < (size_t)limit)
		return json_null();
	id = json_object_get(json_array_get(items, count - 1), "id");
	return json_is_integer(id) ? json_incref(id) : json_null();
}

bool
api_citizens_method(struct evhttp_request *req, const int *allowed,
    const char *allow)
{
	int method = (int)evhttp_request_get_command(req);

	for (size_t i = 0; allowed[i] != 0; i++) {
		if (allowed[i] == method)
			return true;
	}
	api_auth_method_not_allowed(req, allow);
	return false;
}

/* Identifies the caller and checks its role; sends the error and returns
 * false otherwise. */
static bool
api_citizens_caller(struct api_context *api, struct evhttp_request *req,
    struct auth_agent *agent, enum auth_role role)
{
	if (!auth_request(api, req, agent))
		return false;
	if (!auth_has_role(agent, role))
		return auth_forbid(req);
	return true;
}

/* --- GET /api/v1/citizens ----------------------------------------------------- */

/* The parsed query of a search; strings owned. */
struct api_citizens_search {
	struct store_citizen_query query;
	const char *by;		/* "phone", "email" or "name" */
	char *value;
	char *name;
};

static void
api_citizens_search_clear(struct api_citizens_search *search)
{
	free(search->value);
	free(search->name);
}

/* Sets the search term of parameter key. Returns HUB_OK, or the error
 * code for the value: missing_field for an empty or blank name,
 * field_too_long for a name over API_CITIZENS_QUERY_MAX, internal when
 * out of memory, invalid_field otherwise. */
static enum hub_error_code
api_citizens_search_term(struct api_citizens_search *search, const char *key,
    const char *value)
{
	char phone[CONTACT_E164_MAX];
	size_t length = strlen(value);

	if (strcmp(key, "phone") == 0) {
		if (contact_phone_e164(value, phone) != 0)
			return HUB_ERR_INVALID_FIELD;
		search->query.kind = CONTACT_PHONE;
		search->value = strdup(phone);
	} else if (strcmp(key, "email") == 0) {
		search->query.kind = CONTACT_EMAIL;
		if ((search->value = contact_email_normalize(value)) == NULL)
			return HUB_ERR_INVALID_FIELD;
	} else {
		if (!text_valid_utf8(value, length))
			return HUB_ERR_INVALID_FIELD;
		if ((search->name = text_normalize(value, length)) == NULL)
			return HUB_ERR_INTERNAL;
		/* text_normalize trims, so a blank name is empty here. */
		if (search->name[0] == '\0')
			return HUB_ERR_MISSING_FIELD;
		if (text_length(search->name) > API_CITIZENS_QUERY_MAX)
			return HUB_ERR_FIELD_TOO_LONG;
		search->query.name = search->name;
	}
	/* A literal, because key lives only as long as the parsed query. */
	search->by = strcmp(key, "q") == 0 ? "name" :
	    strcmp(key, "phone") == 0 ? "phone" : "email";
	search->query.value = search->value;
	return search->value != NULL || search->name != NULL ? HUB_OK :
	    HUB_ERR_INTERNAL;
}

/* Applies one query parameter. Returns true when valid, else false with
 * error set to the code, the parameter to report and its bound. */
static bool
api_citizens_search_parameter(struct api_citizens_search *search,
    const char *key, const char *value, struct hub_error *error)
{
	enum hub_error_code code;
	int64_t number;

	if (strcmp(key, "phone") == 0 || strcmp(key, "email") == 0 ||
	    strcmp(key, "q") == 0) {
		if (search->by != NULL) {
			hub_error_set(error, HUB_ERR_INVALID_FIELD, key,
			    HUB_ERROR_ONE_SEARCH);
			return false;
		}
		code = api_citizens_search_term(search, key, value);
		if (code == HUB_OK)
			return true;
		hub_error_set(error, code, code == HUB_ERR_INTERNAL ? NULL :
		    key, code == HUB_ERR_FIELD_TOO_LONG ?
		    API_CITIZENS_QUERY_MAX : 0);
		return false;
	}
	if (strcmp(key, "before_id") == 0) {
		if (api_citizens_parse_id(value, &number)) {
			search->query.before_id = number;
			return true;
		}
		hub_error_set(error, HUB_ERR_INVALID_FIELD, key, 0);
		return false;
	}
	if (strcmp(key, "limit") == 0) {
		if (api_citizens_parse_id(value, &number) &&
		    number <= STORE_CITIZENS_LIMIT_MAX) {
			search->query.limit = (int)number;
			return true;
		}
		hub_error_set(error, HUB_ERR_INVALID_FIELD, key,
		    STORE_CITIZENS_LIMIT_MAX);
		return false;
	}
	if (strcmp(key, "lang") == 0)
		return true;
	hub_error_set(error, HUB_ERR_INVALID_FIELD, strlen(key) < 32 &&
	    strspn(key, "abcdefghijklmnopqrstuvwxyz_") == strlen(key) ? key :
	    "query", 0);
	return false;
}

/* Fills search from the query string. Sends 422 and returns false on an
 * unknown, repeated, invalid or missing parameter. */
static bool
api_citizens_search_parse(struct evhttp_request *req,
    struct api_citizens_search *search)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	struct evkeyval *parameter;
	struct hub_error error;
	bool valid = true;

	memset(search, 0, sizeof(*search));
	search->query.limit = API_CITIZENS_LIMIT_DEFAULT;
	TAILQ_INIT(&params);
	if (query != NULL && evhttp_parse_query_str(query, &params) != 0) {
		hub_error_set(&error, HUB_ERR_INVALID_FIELD, "query", 0);
		valid = false;
	}
	TAILQ_FOREACH(parameter, &params, next) {
		if (!valid)
			break;
		valid = api_citizens_search_parameter(search, parameter->key,
		    parameter->value, &error);
	}
	if (valid && search->by == NULL) {
		hub_error_set(&error, HUB_ERR_MISSING_FIELD, "q", 0);
		valid = false;
	}
	if (!valid)
		http_send_error(req, &error);
	evhttp_clear_headers(&params);
	return valid;
}

static json_t *
api_citizens_next_before(json_t *citizens, int limit)
{
	size_t count = json_array_size(citizens);
	json_t *id;

	if (count == 0 || count < (size_t)limit)
		return json_null();
	id = json_object_get(json_array_get(citizens, count - 1), "id");
	return json_is_integer(id) ? json_incref(id) : json_null();
}

/* Replies with the citizens found, once a "citizen.read" event for each of
 * them has committed. */
static void
api_citizens_send_found(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, const struct api_citizens_search *search,
    json_t *citizens)
{
	struct api_citizens_audited *reply;
	size_t index;
	json_t *citizen;

	reply = api_citizens_audited_new(api, req, agent, 200, json_pack(
	    "{s:O, s:o}", "citizens", citizens, "next_before",
	    api_citizens_next_before(citizens, search->query.limit)));
	if (reply == NULL)
		return;
	json_array_foreach(citizens, index, citizen) {
		if (api_citizens_audit_add(reply, "citizen.read",
		    json_integer_value(json_object_get(citizen, "id")), 0,
		    json_pack("{s:s}", "by", search->by)) != 0) {
			api_citizens_audited_fail(reply);
			return;
		}
	}
	api_citizens_audited_send(reply);
}

static void
api_citizens_list(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	struct api_citizens_search search;
	struct auth_agent agent;
	json_t *citizens;
	bool failed;
	char *scope;

	if (!api_citizens_method(req, api_citizens_read_methods, "GET, HEAD") ||
	    !api_citizens_caller(api, req, &agent, AUTH_ROLE_AGENT))
		return;
	if (!api_citizens_search_parse(req, &search)) {
		api_citizens_search_clear(&search);
		return;
	}
	scope = api_citizens_scope(&agent, &failed);
	citizens = failed ? NULL : store_citizens_find_json(api->store,
	    &search.query, scope);
	if (citizens == NULL)
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
	else
		api_citizens_send_found(api, req, &agent, &search, citizens);
	json_decref(citizens);
	free(scope);
	api_citizens_search_clear(&search);
}

/* --- GET /api/v1/citizens/ID ---------------------------------------------------- */

static void
api_citizens_detail(struct api_context *api, struct evhttp_request *req,
    int64_t citizen_id)
{
	struct api_citizens_audited *reply;
	struct auth_agent agent;
	json_t *citizen;
	bool failed;
	char *scope;

	if (!api_citizens_method(req, api_citizens_read_methods, "GET, HEAD") ||
	    !api_citizens_caller(api, req, &agent, AUTH_ROLE_AGENT))
		return;
	scope = api_citizens_scope(&agent, &failed);
	citizen = failed ? NULL : store_citizen_json(api->store, citizen_id,
	    scope);
	free(scope);
	if (citizen == NULL) {
		if (!failed && errno == ENOENT)
			api_auth_error(req, HUB_ERR_NOT_FOUND, "id", 0);
		else
			api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	reply = api_citizens_audited_new(api, req, &agent, 200,
	    json_pack("{s:o}", "citizen", citizen));
	if (reply == NULL)
		return;
	if (api_citizens_audit_add(reply, "citizen.read", citizen_id, 0,
	    json_pack("{s:s}", "by", "id")) != 0) {
		api_citizens_audited_fail(reply);
		return;
	}
	api_citizens_audited_send(reply);
}

/* --- Store jobs with a reply ------------------------------------------------- */

/* A merge or a block on its way through the store. */
struct api_citizens_change {
	struct api_context *api;
	struct evhttp_request *req;
	struct store_job job;
	char *scope;		/* NULL for an admin */
	char actor[AUTH_USERNAME_MAX + 32];
	char *reason;
	struct store_citizen_merge merge;
	struct store_contact_block block;
};

static struct api_citizens_change *
api_citizens_change_new(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, const char **scope)
{
	struct api_citizens_change *change = calloc(1, sizeof(*change));
	bool failed = true;
	char *text = NULL;

	if (change != NULL)
		text = api_citizens_scope(agent, &failed);
	if (failed) {
		free(change);
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return NULL;
	}
	change->api = api;
	change->req = req;
	change->scope = text;
	auth_actor(agent, change->actor, sizeof(change->actor));
	*scope = text;
	return change;
}

static void
api_citizens_change_free(struct api_citizens_change *change)
{
	free(change->reason);
	free(change->scope);
	free(change);
}

static void
api_citizens_change_submit(struct api_citizens_change *change,
    int (*apply)(struct store_tx *, void *), void (*done)(int, void *))
{
	change->job = (struct store_job){ .apply = apply, .done = done,
	    .arg = change };
	if (store_submit(change->api->store, &change->job) != 0) {
		api_auth_error(change->req, HUB_ERR_UNAVAILABLE, NULL, 0);
		api_citizens_change_free(change);
	}
}

/* Sends the error of a change that was not done. */
static void
api_citizens_change_refused(struct evhttp_request *req,
    enum store_citizen_outcome outcome, const char *field)
{
	if (outcome == STORE_CITIZEN_NOT_FOUND)
		api_auth_error(req, HUB_ERR_NOT_FOUND, field, 0);
	else
		api_auth_error(req, HUB_ERR_INVALID_FIELD, field, 0);
}

/* --- POST /api/v1/citizens/ID/merge ----------------------------------------------- */

static int
api_citizens_merge_apply(struct store_tx *tx, void *arg)
{
	struct api_citizens_change *change = arg;

	if (store_tx_citizen_merge(tx, &change->merge) != 0)
		return -1;
	return change->merge.outcome == STORE_CITIZEN_DONE ? 0 : 1;
}

static void
api_citizens_merge_done(int result, void *arg)
{
	struct api_citizens_change *change = arg;
	const struct store_citizen_merge *merge = &change->merge;

	if (result == 0) {
		log_info("http", "citizens merged into=%lld from=%lld actor=%s",
		    (long long)merge->into, (long long)merge->from,
		    change->actor);
		http_send_json(change->req, 200, json_pack("{s:I, s:I, s:I,"
		    " s:I, s:I}", "id", (json_int_t)merge->into,
		    "from", (json_int_t)merge->from,
		    "contacts_moved", (json_int_t)merge->contacts_moved,
		    "contacts_joined", (json_int_t)merge->contacts_joined,
		    "tickets_moved", (json_int_t)merge->tickets_moved));
	} else if (result == 1) {
		api_citizens_change_refused(change->req, merge->outcome,
		    merge->field);
	} else {
		log_error("http", "merging citizens failed into=%lld from=%lld",
		    (long long)merge->into, (long long)merge->from);
		api_auth_error(change->req, HUB_ERR_INTERNAL, NULL, 0);
	}
	api_citizens_change_free(change);
}

/* Reads {"from": ID}. Returns false when an error was sent. */
static bool
api_citizens_merge_body(struct api_context *api, struct evhttp_request *req,
    int64_t *from)
{
	static const char *const members[] = { "from", NULL };
	json_t *body = api_auth_body(api, req);
	json_t *value;
	bool valid;

	if (body == NULL || !api_auth_known_members(req, body, members)) {
		json_decref(body);
		return false;
	}
	value = json_object_get(body, "from");
	valid = json_is_integer(value) && json_integer_value(value) > 0;
	if (value == NULL)
		api_auth_error(req, HUB_ERR_MISSING_FIELD, "from", 0);
	else if (!valid)
		api_auth_error(req, HUB_ERR_INVALID_FIELD, "from", 0);
	else
		*from = json_integer_value(value);
	json_decref(body);
	return valid;
}

static void
api_citizens_merge(struct api_context *api, struct evhttp_request *req,
    int64_t citizen_id)
{
	struct api_citizens_change *change;
	struct auth_agent agent;
	const char *scope;
	int64_t from;

	if (!api_citizens_method(req, api_citizens_post_method, "POST") ||
	    !api_citizens_caller(api, req, &agent, AUTH_ROLE_SUPERVISOR) ||
	    !api_citizens_merge_body(api, req, &from))
		return;
	if ((change = api_citizens_change_new(api, req, &agent, &scope)) == NULL)
		return;
	change->merge = (struct store_citizen_merge){
		.into = citizen_id, .from = from, .scope = scope,
		.actor = change->actor, .agent_id = agent.id,
	};
	api_citizens_change_submit(change, api_citizens_merge_apply,
	    api_citizens_merge_done);
}

/* --- POST and DELETE /api/v1/contacts/ID/block ---------------------------------- */

static int
api_citizens_block_apply(struct store_tx *tx, void *arg)
{
	struct api_citizens_change *change = arg;

	if (store_tx_contact_block(tx, &change->block) != 0)
		return -1;
	return change->block.outcome == STORE_CITIZEN_DONE ? 0 : 1;
}

static void
api_citizens_block_done(int result, void *arg)
{
	struct api_citizens_change *change = arg;
	const struct store_contact_block *block = &change->block;
	char blocked_at[CLOCK_ISO8601_SIZE];

	if (result == 0) {
		log_info("http", "contact %s contact=%lld rows=%lld actor=%s",
		    block->block ? "blocked" : "unblocked",
		    (long long)block->contact_id,
		    (long long)block->rows_changed, change->actor);
		if (block->blocked_at == 0 ||
		    clock_format_vietnam(block->blocked_at, blocked_at) != 0)
			blocked_at[0] = '\0';
		http_send_json(change->req, 200, json_pack("{s:I, s:b, s:s?,"
		    " s:I}", "contact_id", (json_int_t)block->contact_id,
		    "blocked", block->block, "blocked_at",
		    blocked_at[0] != '\0' ? blocked_at : NULL,
		    "contacts_changed", (json_int_t)block->rows_changed));
	} else if (result == 1) {
		api_citizens_change_refused(change->req, block->outcome, "id");
	} else {
		log_error("http", "blocking a contact failed contact=%lld",
		    (long long)block->contact_id);
		api_auth_error(change->req, HUB_ERR_INTERNAL, NULL, 0);
	}
	api_citizens_change_free(change);
}

/* Reads {"reason": TEXT} into a new NFC string. Returns NULL when an error
 * was sent. */
static char *
api_citizens_block_reason(struct api_context *api, struct evhttp_request *req)
{
	static const char *const members[] = { "reason", NULL };
	json_t *body = api_auth_body(api, req);
	const char *text;
	char *reason = NULL;
	json_t *value;

	if (body == NULL || !api_auth_known_members(req, body, members)) {
		json_decref(body);
		return NULL;
	}
	value = json_object_get(body, "reason");
	text = json_string_value(value);
	if (text != NULL)
		reason = text_normalize(text, json_string_length(value));
	if (value == NULL)
		api_auth_error(req, HUB_ERR_MISSING_FIELD, "reason", 0);
	else if (reason == NULL || reason[0] == '\0')
		api_auth_error(req, reason == NULL && text != NULL ?
		    HUB_ERR_INTERNAL : HUB_ERR_MISSING_FIELD, "reason", 0);
	else if (text_length(reason) > API_CITIZENS_REASON_MAX)
		api_auth_error(req, HUB_ERR_FIELD_TOO_LONG, "reason",
		    API_CITIZENS_REASON_MAX);
	else {
		json_decref(body);
		return reason;
	}
	free(reason);
	json_decref(body);
	return NULL;
}

static void
api_citizens_block(struct api_context *api, struct evhttp_request *req,
    int64_t contact_id)
{
	struct api_citizens_change *change;
	struct auth_agent agent;
	const char *scope;
	char *reason = NULL;
	bool block;

	if (!api_citizens_method(req, api_citizens_block_methods,
	    "POST, DELETE") ||
	    !api_citizens_caller(api, req, &agent, AUTH_ROLE_SUPERVISOR))
		return;
	block = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	if (block && (reason = api_citizens_block_reason(api, req)) == NULL)
		return;
	if ((change = api_citizens_change_new(api, req, &agent, &scope)) ==
	    NULL) {
		free(reason);
		return;
	}
	change->reason = reason;
	change->block = (struct store_contact_block){
		.contact_id = contact_id, .block = block, .reason = reason,
		.scope = scope, .actor = change->actor, .agent_id = agent.id,
	};
	api_citizens_change_submit(change, api_citizens_block_apply,
	    api_citizens_block_done);
}

/* --- Dispatch and mounting ---------------------------------------------------- */

/* Splits the path after prefix into "ID" and "ACTION" ("" when absent).
 * Returns false for any other shape. */
static bool
api_citizens_split(struct evhttp_request *req, const char *prefix,
    int64_t *id, char *action, size_t action_size)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	char segment[API_CITIZENS_ID_DIGITS_MAX + 2];
	const char *rest, *slash;
	size_t length;

	if (path == NULL || strncmp(path, prefix, strlen(prefix)) != 0)
		return false;
	rest = path + strlen(prefix);
	slash = strchr(rest, '/');
	length = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	if (length == 0 || length >= sizeof(segment))
		return false;
	memcpy(segment, rest, length);
	segment[length] = '\0';
	action[0] = '\0';
	if (slash != NULL) {
		if (strlen(slash + 1) >= action_size ||
		    strchr(slash + 1, '/') != NULL)
			return false;
		snprintf(action, action_size, "%s", slash + 1);
	}
	return api_citizens_parse_id(segment, id);
}

static void
api_citizens_route(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	char action[16];
	int64_t id;

	if (!api_citizens_split(req, API_CITIZENS_PREFIX, &id, action,
	    sizeof(action)))
		api_auth_error(req, HUB_ERR_NOT_FOUND, NULL, 0);
	else if (action[0] == '\0')
		api_citizens_detail(api, req, id);
	else if (strcmp(action, "merge") == 0)
		api_citizens_merge(api, req, id);
	else if (strcmp(action, "export") == 0) {
		if (api_citizens_method(req, api_citizens_read_methods,
		    "GET, HEAD"))
			privacy_api_export(api, req, id);
	} else if (strcmp(action, "erase") == 0) {
		if (api_citizens_method(req, api_citizens_post_method, "POST"))
			privacy_api_erase(api, req, id);
	} else
		api_auth_error(req, HUB_ERR_NOT_FOUND, NULL, 0);
}

static void
api_citizens_contacts_route(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	char action[16];
	int64_t id;

	if (!api_citizens_split(req, API_CONTACTS_PREFIX, &id, action,
	    sizeof(action)) || strcmp(action, "block") != 0)
		api_auth_error(req, HUB_ERR_NOT_FOUND, NULL, 0);
	else
		api_citizens_block(api, req, id);
}

int
api_citizens_mount(struct api_context *api, char *err, size_t err_size)
{
	if (http_server_route(api->http, "core", API_CITIZENS_PATH,
	    HTTP_ROUTE_EXACT, api_citizens_list, api) != 0 ||
	    http_server_route(api->http, "core", API_CITIZENS_PREFIX,
	    HTTP_ROUTE_PREFIX, api_citizens_route, api) != 0 ||
	    http_server_route(api->http, "core", API_CONTACTS_PREFIX,
	    HTTP_ROUTE_PREFIX, api_citizens_contacts_route, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_CITIZENS_PATH);
		return -1;
	}
	return 0;
}
