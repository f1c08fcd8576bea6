/*
 * GET and POST /api/v1/agents, GET and PATCH /api/v1/agents/ID.
 *
 * Admins see and change every agent. A supervisor sees the agents who
 * share a department with them and may set their availability; an agent
 * sees and sets only their own. An agent the caller may not see gets 404,
 * like an id that does not exist, so the API does not reveal who exists.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "api_auth.h"
#include "api_desk_internal.h"
#include "auth_internal.h"
#include "clock.h"
#include "config.h"
#include "events.h"
#include "http_server.h"
#include "log.h"
#include "store_auth.h"
#include "text.h"
#include "worker.h"

#define API_AGENTS_PATH "/api/v1/agents"
#define API_AGENTS_DETAIL_PATH "/api/v1/agents/"
#define API_AGENTS_ID_DIGITS_MAX 18
#define API_AGENTS_DETAIL_MAX 512

/* Members of a request body, as bits of api_agent_change.fields. */
enum api_agents_field {
	API_AGENTS_USERNAME = 1 << 0,
	API_AGENTS_DISPLAY_NAME = 1 << 1,
	API_AGENTS_ROLE = 1 << 2,
	API_AGENTS_DEPARTMENTS = 1 << 3,
	API_AGENTS_PASSWORD = 1 << 4,
	API_AGENTS_DISABLED = 1 << 5,
	API_AGENTS_LANGUAGE = 1 << 6,
	API_AGENTS_AVAILABLE = 1 << 7,
};

static const char *const api_agents_field_names[] = {
	"username", "display_name", "role", "departments", "password",
	"disabled", "language", "available", NULL,
};

/* Outcomes of a change's store job other than success and failure. */
enum {
	API_AGENTS_CONFLICT = 1,
	API_AGENTS_GONE = 2,
	API_AGENTS_NO_DEPARTMENTS = 3,
};

/* A creation or a change on its way through the worker and the store. */
struct api_agent_change {
	struct api_context *api;
	struct evhttp_request *req;
	struct store_job job;
	char actor[AUTH_USERNAME_MAX + 32];
	bool create;
	unsigned int fields;
	struct store_agent values;	/* the members sent */
	char *password;
	char hash[AUTH_PASSWORD_HASH_SIZE];
	bool hashed;
	int64_t now;
	char detail[API_AGENTS_DETAIL_MAX];

	/* Outcome. */
	int64_t agent_id;
	bool publish;		/* availability changed or agent disabled */
	bool departments_changed;
	bool available;
};

static void
api_agents_change_free(struct api_agent_change *change)
{
	auth_password_free(change->password);
	free(change);
}

/* --- Visibility ------------------------------------------------------------ */

static bool
api_agents_share_department(const struct auth_agent *caller,
    const struct store_agent *agent)
{
	for (size_t i = 0; i < agent->department_count; i++) {
		if (auth_sees_department(caller, agent->departments[i]))
			return true;
	}
	return false;
}

/* Whether caller may see agent: admins all, an agent themself, a
 * supervisor the agents of their departments. */
static bool
api_agents_visible(const struct auth_agent *caller,
    const struct store_agent *agent)
{
	if (caller->role == AUTH_ROLE_ADMIN || caller->id == agent->id)
		return true;
	return caller->role == AUTH_ROLE_SUPERVISOR &&
	    api_agents_share_department(caller, agent);
}

/* --- GET /api/v1/agents ---------------------------------------------------- */

struct api_agents_listing {
	const struct auth_agent *caller;
	json_t *agents;
};

static int
api_agents_list_one(const struct store_agent *agent, void *arg)
{
	struct api_agents_listing *listing = arg;

	if (!api_agents_visible(listing->caller, agent))
		return 0;
	return json_array_append_new(listing->agents,
	    store_agent_json(agent)) != 0 ? -1 : 0;
}

static void
api_agents_list(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *caller)
{
	struct api_agents_listing listing = { caller, json_array() };

	if (!auth_has_role(caller, AUTH_ROLE_SUPERVISOR)) {
		json_decref(listing.agents);
		auth_forbid(req);
		return;
	}
	if (listing.agents == NULL ||
	    store_agents_each(api->store, api_agents_list_one, &listing) != 0) {
		json_decref(listing.agents);
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	http_send_json(req, 200, json_pack("{s:o}", "agents", listing.agents));
}

/* --- Members of a body ----------------------------------------------------- */

static bool
api_agents_parse_departments(struct api_agent_change *change, json_t *value)
{
	const struct hub_config_desk *desk = desk_current(change->api->config);
	struct store_agent *agent = &change->values;
	size_t index;
	json_t *item;

	if (!json_is_array(value) ||
	    json_array_size(value) > AUTH_DEPARTMENTS_MAX)
		return false;
	agent->department_count = 0;
	json_array_foreach(value, index, item) {
		const char *id = json_string_value(item);
		bool repeated = false;

		if (id == NULL || desk_department_find(desk, id) == NULL ||
		    api_desk_department_deleting(id) ||
		    strlen(id) > AUTH_DEPARTMENT_ID_MAX)
			return false;
		for (size_t i = 0; i < agent->department_count; i++)
			repeated = repeated ||
			    strcmp(agent->departments[i], id) == 0;
		if (!repeated)
			snprintf(agent->departments[agent->department_count++],
			    AUTH_DEPARTMENT_ID_MAX + 1, "%s", id);
	}
	return true;
}

static bool
api_agents_parse_display_name(struct api_agent_change *change, json_t *value)
{
	const char *text = json_string_value(value);
	char *normalized;
	bool valid;

	if (text == NULL)
		return false;
	normalized = text_normalize(text, json_string_length(value));
	valid = normalized != NULL && normalized[0] != '\0' &&
	    text_length(normalized) <= AUTH_DISPLAY_NAME_MAX_CHARS;
	if (valid)
		snprintf(change->values.display_name,
		    sizeof change->values.display_name, "%s", normalized);
	free(normalized);
	return valid;
}

static bool
api_agents_parse_password(struct api_agent_change *change, json_t *value)
{
	enum hub_error_code code;
	long limit;

	if (!json_is_string(value)) {
		api_auth_error(change->req, HUB_ERR_INVALID_FIELD, "password",
		    0);
		return false;
	}
	change->password = auth_password_prepare(json_string_value(value),
	    json_string_length(value), &code, &limit);
	if (change->password == NULL) {
		api_auth_error(change->req, code, "password", limit);
		return false;
	}
	if (auth_password_blank(change->password)) {
		api_auth_error(change->req, HUB_ERR_INVALID_FIELD, "password",
		    HUB_ERROR_BLANK);
		return false;
	}
	return true;
}

/* Checks one member and copies it into change. Returns false when an
 * error was sent. */
static bool
api_agents_parse_member(struct api_agent_change *change, unsigned int field,
    json_t *value)
{
	struct store_agent *agent = &change->values;
	const char *text = json_string_value(value);
	bool valid = true;

	switch (field) {
	case API_AGENTS_USERNAME:
		valid = text != NULL &&
		    auth_username_normalize(text, agent->username) == 0;
		break;
	case API_AGENTS_DISPLAY_NAME:
		valid = api_agents_parse_display_name(change, value);
		break;
	case API_AGENTS_ROLE:
		valid = text != NULL && auth_role_parse(text, &agent->role) == 0;
		break;
	case API_AGENTS_DEPARTMENTS:
		valid = api_agents_parse_departments(change, value);
		break;
	case API_AGENTS_PASSWORD:
		if (!api_agents_parse_password(change, value))
			return false;
		break;
	case API_AGENTS_LANGUAGE:
		if (text == NULL || (strcmp(text, "vi") != 0 &&
		    strcmp(text, "en") != 0)) {
			api_auth_error(change->req, HUB_ERR_UNKNOWN_LANGUAGE,
			    "language", 0);
			return false;
		}
		snprintf(agent->language, sizeof agent->language, "%s", text);
		break;
	case API_AGENTS_DISABLED:
	case API_AGENTS_AVAILABLE:
		valid = json_is_boolean(value);
		if (field == API_AGENTS_DISABLED)
			agent->disabled = json_is_true(value);
		else
			agent->available = json_is_true(value);
		break;
	}
	if (!valid) {
		for (int i = 0; api_agents_field_names[i] != NULL; i++) {
			if (field == 1u << i)
				api_auth_error(change->req,
				    HUB_ERR_INVALID_FIELD,
				    api_agents_field_names[i], 0);
		}
		return false;
	}
	change->fields |= field;
	return true;
}

/* Reads the members of body that names allows into change, and writes
 * their names into change->detail for the audit event. */
static bool
api_agents_parse(struct api_agent_change *change, json_t *body,
    const char *const *names)
{
	json_t *fields = json_array();
	json_t *object;
	char *detail;
	bool valid = api_auth_known_members(change->req, body, names);

	for (int i = 0; valid && api_agents_field_names[i] != NULL; i++) {
		json_t *value = json_object_get(body, api_agents_field_names[i]);

		if (value == NULL)
			continue;
		valid = api_agents_parse_member(change, 1u << i, value);
		json_array_append_new(fields,
		    json_string(api_agents_field_names[i]));
	}
	/* "o" steals fields. */
	object = json_pack("{s:o}", "fields", fields);
	detail = json_dumps(object, JSON_COMPACT);
	json_decref(object);
	snprintf(change->detail, sizeof change->detail, "%s",
	    detail != NULL ? detail : "{}");
	free(detail);
	return valid;
}

/* --- Store jobs ------------------------------------------------------------ */

static int
api_agents_create_apply(struct store_tx *tx, void *arg)
{
	struct api_agent_change *change = arg;
	int rc = store_tx_agent_create(tx, &change->values, change->hash,
	    change->now);

	if (rc != 0)
		return rc == 1 ? API_AGENTS_CONFLICT : -1;
	change->agent_id = change->values.id;
	return store_tx_agent_audit(tx, change->agent_id, change->actor,
	    "agent.created", change->detail) != 0 ? -1 : 0;
}

/* Copies the members sent in change onto agent. */
static void
api_agents_merge(const struct api_agent_change *change,
    struct store_agent *agent)
{
	const struct store_agent *values = &change->values;

	if (change->fields & API_AGENTS_DISPLAY_NAME)
		memcpy(agent->display_name, values->display_name,
		    sizeof agent->display_name);
	if (change->fields & API_AGENTS_ROLE)
		agent->role = values->role;
	if (change->fields & API_AGENTS_DEPARTMENTS) {
		agent->department_count = values->department_count;
		memcpy(agent->departments, values->departments,
		    sizeof agent->departments);
	}
	if (change->fields & API_AGENTS_LANGUAGE)
		memcpy(agent->language, values->language,
		    sizeof agent->language);
	if (change->fields & API_AGENTS_DISABLED)
		agent->disabled = values->disabled;
	if (change->fields & API_AGENTS_AVAILABLE)
		agent->available = values->available;
	/* A disabled agent takes no work. */
	if (agent->disabled)
		agent->available = false;
}

/* Whether every department of a is one of b's. */
static bool
api_agents_departments_within(const struct store_agent *a,
    const struct store_agent *b)
{
	for (size_t i = 0; i < a->department_count; i++) {
		bool found = false;

		for (size_t j = 0; j < b->department_count && !found; j++)
			found = strcmp(a->departments[i],
			    b->departments[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static int
api_agents_update_apply(struct store_tx *tx, void *arg)
{
	struct api_agent_change *change = arg;
	struct store_agent agent;
	struct store_agent before;
	bool was_available, was_disabled;
	int found = store_tx_agent_get(tx, change->agent_id, &agent);

	if (found <= 0)
		return found == 0 ? API_AGENTS_GONE : -1;
	was_available = agent.available;
	was_disabled = agent.disabled;
	before = agent;
	api_agents_merge(change, &agent);
	change->departments_changed =
	    !api_agents_departments_within(&before, &agent) ||
	    !api_agents_departments_within(&agent, &before);
	/* Checked again on the row as stored now, since the request read
	 * it: only an admin works without a department. */
	if (agent.department_count == 0 && agent.role != AUTH_ROLE_ADMIN)
		return API_AGENTS_NO_DEPARTMENTS;

	if (store_tx_agent_update(tx, &agent, change->hashed ? change->hash :
	    NULL, change->now) != 0)
		return -1;
	/* A new password or disabling ends every session of the agent. */
	if ((change->hashed || (agent.disabled && !was_disabled)) &&
	    store_tx_sessions_revoke_agent(tx, agent.id, change->now) != 0)
		return -1;
	change->publish = agent.available != was_available ||
	    (agent.disabled && !was_disabled);
	change->available = agent.available;
	return store_tx_agent_audit(tx, agent.id, change->actor,
	    "agent.updated", change->detail) != 0 ? -1 : 0;
}

static void
api_agents_publish(struct api_agent_change *change)
{
	json_t *payload;

	if (change->api->events == NULL ||
	    (!change->publish && !change->departments_changed))
		return;
	payload = json_pack("{s:I, s:b}", "agent_id",
	    (json_int_t)change->agent_id, "available", change->available);
	if (payload == NULL)
		return;
	if (change->publish)
		events_publish(change->api->events, "agent.availability",
		    payload);
	/* The tickets of departments left, and the backlog of departments
	 * joined, are handed on by automatic assignment. */
	if (change->departments_changed)
		events_publish(change->api->events, "agent.departments",
		    payload);
	json_decref(payload);
}

static void
api_agents_stored(int result, void *arg)
{
	struct api_agent_change *change = arg;
	struct store_agent agent;

	if (result == API_AGENTS_CONFLICT) {
		api_auth_error(change->req, HUB_ERR_CONFLICT, "username", 0);
	} else if (result == API_AGENTS_GONE) {
		api_auth_error(change->req, HUB_ERR_NOT_FOUND, "id", 0);
	} else if (result == API_AGENTS_NO_DEPARTMENTS) {
		api_auth_error(change->req, HUB_ERR_MISSING_FIELD,
		    "departments", 0);
	} else if (result != 0 ||
	    store_agent_get(change->api->store, change->agent_id, &agent) != 1) {
		log_error("auth", "storing an agent failed agent=%lld",
		    (long long)change->agent_id);
		api_auth_error(change->req, HUB_ERR_INTERNAL, NULL, 0);
	} else {
		log_info("auth", "agent %s agent=%lld by=%s",
		    change->create ? "created" : "updated",
		    (long long)change->agent_id, change->actor);
		api_agents_publish(change);
		http_send_json(change->req, change->create ? 201 : 200,
		    json_pack("{s:o}", "agent", store_agent_json(&agent)));
	}
	api_agents_change_free(change);
}

static void
api_agents_store(struct api_agent_change *change)
{
	change->now = clock_now_ms();
	change->job = (struct store_job){
		.apply = change->create ? api_agents_create_apply :
		    api_agents_update_apply,
		.done = api_agents_stored, .arg = change,
	};
	if (store_submit(change->api->store, &change->job) != 0) {
		api_auth_error(change->req, HUB_ERR_UNAVAILABLE, NULL, 0);
		api_agents_change_free(change);
	}
}

/* --- Hashing the password on a worker ---------------------------------------- */

static void
api_agents_hash(void *arg)
{
	struct api_agent_change *change = arg;

	change->hashed = auth_password_hash(change->password,
	    change->hash) == 0;
}

static void
api_agents_hashed(void *arg)
{
	struct api_agent_change *change = arg;

	auth_password_free(change->password);
	change->password = NULL;
	if (!change->hashed) {
		log_error("auth", "hashing a password failed: out of memory");
		api_auth_error(change->req, HUB_ERR_INTERNAL, NULL, 0);
		api_agents_change_free(change);
		return;
	}
	api_agents_store(change);
}

/* Hashes the password, if one was sent, then stores the change. */
static void
api_agents_submit(struct api_agent_change *change)
{
	if (change->password == NULL) {
		api_agents_store(change);
		return;
	}
	if (worker_pool_submit(change->api->workers, api_agents_hash,
	    api_agents_hashed, change) != 0) {
		api_auth_error(change->req, HUB_ERR_UNAVAILABLE, NULL, 0);
		api_agents_change_free(change);
	}
}

/* --- POST /api/v1/agents and PATCH /api/v1/agents/ID ----------------------- */

static struct api_agent_change *
api_agents_change_new(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *caller)
{
	struct api_agent_change *change = calloc(1, sizeof *change);

	if (change == NULL) {
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return NULL;
	}
	change->api = api;
	change->req = req;
	auth_actor(caller, change->actor, sizeof change->actor);
	return change;
}

/* Checks the members that a new agent needs. */
static bool
api_agents_complete(struct api_agent_change *change)
{
	static const unsigned int required[] = {
		API_AGENTS_USERNAME, API_AGENTS_PASSWORD, API_AGENTS_ROLE,
	};
	struct store_agent *agent = &change->values;

	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (change->fields & required[i])
			continue;
		for (int bit = 0; api_agents_field_names[bit] != NULL; bit++) {
			if (required[i] == 1u << bit)
				api_auth_error(change->req,
				    HUB_ERR_MISSING_FIELD,
				    api_agents_field_names[bit], 0);
		}
		return false;
	}
	if (agent->department_count == 0 && agent->role != AUTH_ROLE_ADMIN) {
		api_auth_error(change->req, HUB_ERR_MISSING_FIELD,
		    "departments", 0);
		return false;
	}
	if (!(change->fields & API_AGENTS_DISPLAY_NAME))
		snprintf(agent->display_name, sizeof agent->display_name, "%s",
		    agent->username);
	if (!(change->fields & API_AGENTS_LANGUAGE))
		snprintf(agent->language, sizeof agent->language, "vi");
	return true;
}

static void
api_agents_create(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *caller)
{
	static const char *const members[] = { "username", "display_name",
	    "password", "role", "departments", "language", NULL };
	struct api_agent_change *change;
	json_t *body;

	if (!auth_has_role(caller, AUTH_ROLE_ADMIN)) {
		auth_forbid(req);
		return;
	}
	if ((body = api_auth_body(api, req)) == NULL)
		return;
	if ((change = api_agents_change_new(api, req, caller)) == NULL) {
		json_decref(body);
		return;
	}
	change->create = true;
	if (!api_agents_parse(change, body, members) ||
	    !api_agents_complete(change)) {
		json_decref(body);
		api_agents_change_free(change);
		return;
	}
	json_decref(body);
	api_agents_submit(change);
}

/* Whether caller may make the change to target: admins any, others only
 * availability, of themselves or (supervisors) of their departments'
 * agents. */
static bool
api_agents_may_change(const struct auth_agent *caller,
    const struct store_agent *target, unsigned int fields)
{
	if (caller->role == AUTH_ROLE_ADMIN)
		return true;
	if ((fields & ~(unsigned int)API_AGENTS_AVAILABLE) != 0)
		return false;
	return api_agents_visible(caller, target);
}

static void
api_agents_update(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *caller, const struct store_agent *target)
{
	static const char *const members[] = { "display_name", "role",
	    "departments", "password", "disabled", "language", "available",
	    NULL };
	struct api_agent_change *change;
	json_t *body;

	if ((body = api_auth_body(api, req)) == NULL)
		return;
	if ((change = api_agents_change_new(api, req, caller)) == NULL) {
		json_decref(body);
		return;
	}
	change->agent_id = target->id;
	if (!api_agents_parse(change, body, members)) {
		json_decref(body);
		api_agents_change_free(change);
		return;
	}
	json_decref(body);
	if (!api_agents_may_change(caller, target, change->fields)) {
		auth_forbid(req);
		api_agents_change_free(change);
		return;
	}
	if ((change->fields & API_AGENTS_DEPARTMENTS) &&
	    change->values.department_count == 0 &&
	    (change->fields & API_AGENTS_ROLE ? change->values.role :
	    target->role) != AUTH_ROLE_ADMIN) {
		api_auth_error(req, HUB_ERR_INVALID_FIELD, "departments", 0);
		api_agents_change_free(change);
		return;
	}
	/* A new role other than admin needs departments, as a new agent
	 * does. */
	if (!(change->fields & API_AGENTS_DEPARTMENTS) &&
	    (change->fields & API_AGENTS_ROLE) &&
	    change->values.role != AUTH_ROLE_ADMIN &&
	    target->department_count == 0) {
		api_auth_error(req, HUB_ERR_MISSING_FIELD, "departments", 0);
		api_agents_change_free(change);
		return;
	}
	api_agents_submit(change);
}

/* --- Routes ---------------------------------------------------------------- */

static void
api_agents_collection(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct auth_agent caller;

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD &&
	    method != EVHTTP_REQ_POST) {
		api_auth_method_not_allowed(req, "GET, HEAD, POST");
		return;
	}
	if (!auth_request(api, req, &caller))
		return;
	if (method == EVHTTP_REQ_POST)
		api_agents_create(api, req, &caller);
	else
		api_agents_list(api, req, &caller);
}

/* The agent id of the path, or 0 when it is not 1 to 18 digits. */
static int64_t
api_agents_path_id(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *segment;
	size_t digits;

	if (path == NULL || strncmp(path, API_AGENTS_DETAIL_PATH,
	    strlen(API_AGENTS_DETAIL_PATH)) != 0)
		return 0;
	segment = path + strlen(API_AGENTS_DETAIL_PATH);
	digits = strspn(segment, "0123456789");
	if (digits == 0 || digits > API_AGENTS_ID_DIGITS_MAX ||
	    segment[digits] != '\0')
		return 0;
	return strtoll(segment, NULL, 10);
}

static void
api_agents_detail(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct auth_agent caller;
	struct store_agent target;
	int64_t id;
	int found = 0;

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD &&
	    method != EVHTTP_REQ_PATCH) {
		api_auth_method_not_allowed(req, "GET, HEAD, PATCH");
		return;
	}
	if (!auth_request(api, req, &caller))
		return;
	id = api_agents_path_id(req);
	if (id > 0)
		found = store_agent_get(api->store, id, &target);
	if (found < 0) {
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	if (found == 0 || !api_agents_visible(&caller, &target)) {
		api_auth_error(req, HUB_ERR_NOT_FOUND, "id", 0);
		return;
	}
	if (method == EVHTTP_REQ_PATCH)
		api_agents_update(api, req, &caller, &target);
	else
		http_send_json(req, 200, json_pack("{s:o}", "agent",
		    store_agent_json(&target)));
}

int
api_agents_mount(struct api_context *api, char *err, size_t err_size)
{
	if (http_server_route(api->http, "core", API_AGENTS_PATH,
	    HTTP_ROUTE_EXACT, api_agents_collection, api) != 0 ||
	    http_server_route(api->http, "core", API_AGENTS_DETAIL_PATH,
	    HTTP_ROUTE_PREFIX, api_agents_detail, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_AGENTS_PATH);
		return -1;
	}
	return 0;
}
