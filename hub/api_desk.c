/*
 * The desk configuration API: routes, callers, reads and the checks of a
 * request before its edit is queued (api_desk_edit.c). See api_desk.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api_desk.h"
#include "api_desk_internal.h"
#include "api_error.h"
#include "clock.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "store_desk.h"

#define API_DESK_PATH "/api/v1/desk"
#define API_DESK_PREFIX "/api/v1/desk/"
#define API_DESK_ID_FORM "1 to 32 of a-z, 0-9, _ and -"
#define API_DESK_CONTENT_TYPE_MAX 64

/* --- Replies ------------------------------------------------------------ */

static void
api_desk_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field, long limit)
{
	struct hub_error error;

	hub_error_set(&error, code, field, limit);
	http_send_error(req, &error);
}

static enum hub_error_code
api_desk_error_code(enum desk_edit_status status)
{
	switch (status) {
	case DESK_EDIT_INVALID:
		return HUB_ERR_INVALID_FIELD;
	case DESK_EDIT_MISSING:
		return HUB_ERR_MISSING_FIELD;
	case DESK_EDIT_NOT_FOUND:
		return HUB_ERR_NOT_FOUND;
	case DESK_EDIT_CONFLICT:
		return HUB_ERR_CONFLICT;
	default:
		return HUB_ERR_INTERNAL;
	}
}

void
api_desk_send_error(struct evhttp_request *req,
    const struct desk_edit_error *edit_error)
{
	enum hub_error_code code = api_desk_error_code(edit_error->status);
	struct hub_error error;
	json_t *detail, *body = NULL;

	/* hub_error keeps 63 bytes of a field and its messages quote the
	 * field. A longer path therefore gets the messages without a field,
	 * and the whole path goes into "field" below. */
	hub_error_set(&error, code, strlen(edit_error->path) <
	    sizeof(error.field) ? edit_error->path : NULL, 0);
	detail = api_error_json(&error);
	if (detail != NULL && edit_error->path[0] != '\0')
		json_object_set_new(detail, "field",
		    json_string(edit_error->path));
	if (detail != NULL && code != HUB_ERR_INTERNAL)
		json_object_set_new(detail, "detail",
		    json_string(edit_error->detail));
	if (detail != NULL)
		body = json_pack("{s:o}", "error", detail);
	if (body == NULL) {
		http_send_error(req, &error);
		return;
	}
	http_send_json(req, api_error_status(code), body);
}

/* Sends 405 naming the methods of the path. */
static void
api_desk_method_not_allowed(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	api_desk_error(req, HUB_ERR_METHOD_NOT_ALLOWED, NULL, 0);
}

/* --- Callers ------------------------------------------------------------ */

/* Identifies the caller; every agent may read, only admins may edit.
 * Returns false when a reply has been sent. */
static bool
api_desk_caller(struct api_context *api, struct evhttp_request *req,
    bool edit, struct auth_agent *agent)
{
	if (!auth_request(api, req, agent))
		return false;
	if (edit && !auth_has_role(agent, AUTH_ROLE_ADMIN))
		return auth_forbid(req);
	return true;
}

/* --- Reading ------------------------------------------------------------ */

static json_t *
api_desk_time_json(int64_t ms)
{
	char text[CLOCK_ISO8601_SIZE];

	if (ms == 0 || clock_format_vietnam(ms, text) != 0)
		return json_null();
	return json_string(text);
}

/* The working calendar in force: office hours and weekend with their
 * defaults filled in, holidays and make-up days as the file lists them. */
static json_t *
api_desk_calendar_json(const struct hub_config_desk *desk)
{
	static const char *const days[7] = { "sun", "mon", "tue", "wed",
	    "thu", "fri", "sat" };
	const struct calendar *calendar = &desk->calendar;
	const json_t *section = json_object_get(desk->sections, "calendar");
	json_t *holidays = json_object_get(section, "holidays");
	json_t *working_days = json_object_get(section, "working_days");
	json_t *hours = json_array(), *weekend = json_array();
	char start[16], end[16];

	for (int i = 0; hours != NULL && i < calendar->period_count; i++) {
		const struct calendar_period *period = &calendar->periods[i];

		snprintf(start, sizeof(start), "%02d:%02d",
		    period->start_minute / 60, period->start_minute % 60);
		snprintf(end, sizeof(end), "%02d:%02d", period->end_minute / 60,
		    period->end_minute % 60);
		json_array_append_new(hours, json_pack("[s, s]", start, end));
	}
	for (int day = 0; weekend != NULL && day < 7; day++) {
		if (calendar->weekend[day])
			json_array_append_new(weekend, json_string(days[day]));
	}
	/* "o" steals its value, also when packing fails, so the file's
	 * arrays are lent with a new reference. */
	return json_pack("{s:o, s:o, s:o, s:o}", "office_hours", hours,
	    "weekend", weekend,
	    "holidays", holidays != NULL ? json_incref(holidays) : json_array(),
	    "working_days", working_days != NULL ? json_incref(working_days) :
	    json_array());
}

/* The whole desk: its editable sections, the calendar, and when and by
 * whom it was last edited (null when it comes from the config file). */
static json_t *
api_desk_json(struct api_context *api, const struct hub_config_desk *desk)
{
	const json_t *sections = desk->sections;
	const json_t *triage = json_object_get(sections, "triage_department");
	struct store_desk_setting setting;
	int found;
	json_t *body;

	found = store_desk_setting_get(api->store, STORE_DESK_KEY, &setting);
	if (found < 0)
		return NULL;
	body = json_pack("{s:O, s:O, s:O, s:O, s:O, s:o, s:o, s:o}",
	    "departments", json_object_get(sections, "departments"),
	    "categories", json_object_get(sections, "categories"),
	    "communes", json_object_get(sections, "communes"),
	    "channel_categories", json_object_get(sections,
	    "channel_categories"),
	    "triage_department", triage != NULL ? triage : json_null(),
	    "calendar", api_desk_calendar_json(desk),
	    "updated_at", api_desk_time_json(found == 1 ?
	    setting.updated_at : 0),
	    "updated_by", found == 1 && setting.updated_by != 0 ?
	    json_integer(setting.updated_by) : json_null());
	if (found == 1)
		store_desk_setting_clear(&setting);
	return body;
}

static const char *const api_desk_singular[] = {
	[DESK_SECTION_DEPARTMENTS] = "department",
	[DESK_SECTION_CATEGORIES] = "category",
	[DESK_SECTION_COMMUNES] = "commune",
	[DESK_SECTION_TRIAGE] = "triage_department",
	[DESK_SECTION_CHANNEL_CATEGORIES] = "channel_categories",
};

json_t *
api_desk_element_json(enum desk_section section, const json_t *element)
{
	/* "O" takes a new reference; element stays the caller's. */
	return json_pack("{s:O}", api_desk_singular[section], element);
}

static void
api_desk_read(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	struct auth_agent agent;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	json_t *body;

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		api_desk_method_not_allowed(req, "GET, HEAD");
		return;
	}
	if (!api_desk_caller(api, req, false, &agent))
		return;
	body = api_desk_json(api, desk_current(api->config));
	if (body == NULL) {
		log_error("desk", "reading the desk settings for the API failed");
		api_desk_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	http_send_json(req, 200, body);
}

/* --- One element ---------------------------------------------------------- */

static bool
api_desk_id_valid(const char *id, size_t length)
{
	return length > 0 && length <= API_DESK_ID_MAX &&
	    strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") == length;
}

/*
 * Reads the section and the id of the request path into target. Returns 0,
 * -1 when the path names no section or has more segments (404), or -2 when
 * the id breaks the id rule (a PUT gets 422 for it, other methods 404).
 */
static int
api_desk_target(struct evhttp_request *req, struct api_desk_target *target)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *rest, *slash;
	char name[32], *id;
	size_t length = 0;
	int rc;

	if (path == NULL || strncmp(path, API_DESK_PREFIX,
	    strlen(API_DESK_PREFIX)) != 0)
		return -1;
	rest = path + strlen(API_DESK_PREFIX);
	slash = strchr(rest, '/');
	length = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	if (length >= sizeof(name))
		return -1;
	memcpy(name, rest, length);
	name[length] = '\0';
	if (desk_section_parse(name, &target->section) != 0)
		return -1;
	target->id[0] = '\0';
	if (desk_section_single(target->section))
		return slash == NULL ? 0 : -1;
	if (slash == NULL || strchr(slash + 1, '/') != NULL)
		return -1;
	if (strlen(slash + 1) > 3 * API_DESK_ID_MAX)
		return -2;
	id = evhttp_uridecode(slash + 1, 0, &length);
	if (id == NULL)
		return -1;
	rc = api_desk_id_valid(id, length) ? 0 : -2;
	if (rc == 0)
		memcpy(target->id, id, length + 1);
	free(id);
	return rc;
}

static void
api_desk_get_element(struct api_context *api, struct evhttp_request *req,
    const struct api_desk_target *target)
{
	const json_t *sections = desk_current(api->config)->sections;
	const json_t *element = desk_edit_find(sections, target->section,
	    target->id);
	json_t *body;

	if (element == NULL) {
		api_desk_error(req, HUB_ERR_NOT_FOUND,
		    desk_section_name(target->section), 0);
		return;
	}
	body = api_desk_element_json(target->section, element);
	if (body == NULL) {
		api_desk_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	http_send_json(req, 200, body);
}

/* Decodes the JSON object of a PUT. Returns it (caller releases it), or
 * NULL when a reply has been sent. */
static json_t *
api_desk_body(struct api_context *api, struct evhttp_request *req)
{
	char type[API_DESK_CONTENT_TYPE_MAX];
	json_error_t json_error;
	const char *data;
	size_t length;
	json_t *body;

	http_content_type(req, type, sizeof(type));
	if (strcmp(type, "application/json") != 0) {
		api_desk_error(req, HUB_ERR_CONTENT_TYPE, NULL,
		    HUB_ERROR_JSON_ONLY);
		return NULL;
	}
	if (http_request_body(api->http, req, &data, &length) != 0) {
		api_desk_error(req, HUB_ERR_BODY_TOO_LARGE, NULL,
		    (long)api->config->http_max_body_bytes);
		return NULL;
	}
	body = json_loadb(data, length, JSON_REJECT_DUPLICATES, &json_error);
	if (body == NULL) {
		api_desk_error(req, HUB_ERR_INVALID_JSON, NULL, 0);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		api_desk_error(req, HUB_ERR_INVALID_JSON, NULL,
		    HUB_ERROR_NOT_OBJECT);
		return NULL;
	}
	return body;
}

static void
api_desk_element(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	bool edit = method == EVHTTP_REQ_PUT || method == EVHTTP_REQ_DELETE;
	struct api_desk_target target;
	struct auth_agent agent;
	json_t *body = NULL;
	int found;

	if (!edit && method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		api_desk_method_not_allowed(req, "GET, HEAD, PUT, DELETE");
		return;
	}
	if (!api_desk_caller(api, req, edit, &agent))
		return;
	found = api_desk_target(req, &target);
	if (found == -2 && method == EVHTTP_REQ_PUT) {
		struct desk_edit_error error = { .status = DESK_EDIT_INVALID };

		snprintf(error.path, sizeof(error.path), "%s.id",
		    desk_section_name(target.section));
		snprintf(error.detail, sizeof(error.detail), "invalid id in "
		    "the path; expected %s", API_DESK_ID_FORM);
		api_desk_send_error(req, &error);
		return;
	}
	if (found != 0) {
		api_desk_error(req, HUB_ERR_NOT_FOUND, NULL, 0);
		return;
	}
	if (!edit) {
		api_desk_get_element(api, req, &target);
		return;
	}
	if (method == EVHTTP_REQ_PUT && (body = api_desk_body(api, req)) == NULL)
		return;
	api_desk_edit_submit(api, req, &target, body, &agent);
}

int
api_desk_mount(struct api_context *api, char *err, size_t err_size)
{
	if (http_server_route(api->http, "core", API_DESK_PATH,
	    HTTP_ROUTE_EXACT, api_desk_read, api) != 0 ||
	    http_server_route(api->http, "core", API_DESK_PREFIX,
	    HTTP_ROUTE_PREFIX, api_desk_element, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_DESK_PATH);
		return -1;
	}
	return 0;
}
