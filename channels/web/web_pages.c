#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "web.h"

#define WEB_PAGES_TIME_MAX 32
#define WEB_PAGES_QUERY_MAX 1024
#define WEB_PAGES_CONTENT_TYPE_MAX 128

void
web_pages_css(struct evhttp_request *req, void *arg)
{
	struct web *web = arg;
	json_t *vars;
	char *text;

	if (!web_reply_method_get(req))
		return;
	vars = json_object();
	text = hub_channel_render(web->channel, "vi", "web/site.css", vars);
	json_decref(vars);
	if (text == NULL) {
		log_error("web", "failed to render template=web/site.css: %s",
		    strerror(errno));
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "public, max-age=3600");
	http_send_text(req, 200, "text/css; charset=utf-8", text, strlen(text));
	free(text);
}

void
web_pages_submitted(struct web *web, struct evhttp_request *req,
    const char *language, const json_t *result)
{
	json_t *vars = json_deep_copy(result);

	if (vars == NULL || web_view_common(web, language, vars) != 0) {
		json_decref(vars);
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	web_reply_page(web, req, 201, language, "web/submitted.html", vars);
	json_decref(vars);
}

/* Copies the time at key of from, formatted, to key of to. */
static void
web_pages_time(json_t *to, const char *key, const json_t *from,
    const char *from_key)
{
	char text[WEB_PAGES_TIME_MAX];

	if (web_view_time(json_object_get(from, from_key), text,
	    sizeof text) == 0)
		json_object_set_new(to, key, json_string(text));
}

/* The code that a merged ticket continues under, as merged_code (plain)
 * and merged_code_display (grouped). The page links to it without a
 * token, because the citizen's factor for this code may not prove access
 * to the other one. */
static int
web_pages_merged(json_t *vars, const json_t *ticket)
{
	const char *target = json_string_value(json_object_get(ticket,
	    "merged_into"));
	char grouped[TICKET_CODE_GROUPED_SIZE];
	int rc = 0;

	if (target == NULL || strlen(target) != TICKET_CODE_PLAIN_SIZE - 1)
		return 0;
	ticket_code_group(target, grouped);
	rc |= json_object_set_new(vars, "merged_code", json_string(target));
	rc |= json_object_set_new(vars, "merged_code_display",
	    json_string(grouped));
	return rc == 0 ? 0 : -1;
}

/* The ticket's public fields as the status page shows them. */
static int
web_pages_ticket(json_t *vars, const json_t *ticket, const char *code)
{
	static const char *const texts[] = { "category", "department",
	    "commune" };
	static const char *const names[] = { "category_name",
	    "department_name", "commune_name" };
	char grouped[TICKET_CODE_GROUPED_SIZE];
	const char *status = json_string_value(json_object_get(ticket,
	    "status"));
	const json_t *value;
	size_t i;

	ticket_code_group(code, grouped);
	json_object_set_new(vars, "code", json_string(code));
	json_object_set_new(vars, "code_display", json_string(grouped));
	json_object_set_new(vars, "status", json_string(status != NULL ?
	    status : ""));
	web_view_flag(vars, "status_is", status);
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		value = json_object_get(ticket, texts[i]);
		if (json_is_string(value) && json_string_length(value) > 0)
			json_object_set(vars, texts[i], (json_t *)value);
	}
	/* Configured names ({"vi", "en"}, or a string for the commune): the
	 * template shows them in its language, and the id without them. */
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		value = json_object_get(ticket, names[i]);
		if (json_is_object(value) || json_is_string(value))
			json_object_set(vars, names[i], (json_t *)value);
	}
	web_pages_time(vars, "deadline", ticket, "deadline");
	if (json_object_get(vars, "deadline") == NULL)
		web_pages_time(vars, "deadline", ticket, "due_at");
	web_pages_time(vars, "created", ticket, "created_at");
	web_pages_time(vars, "updated", ticket, "updated_at");
	return web_pages_merged(vars, ticket);
}

/* One message of the conversation as the status page shows it, or NULL to
 * leave it out. */
static json_t *
web_pages_message(const json_t *message)
{
	const char *direction = json_string_value(json_object_get(message,
	    "direction"));
	const char *kind = json_string_value(json_object_get(message, "kind"));
	const json_t *body = json_object_get(message, "body");
	json_t *shown;

	if (kind != NULL && strcmp(kind, "note") == 0)
		return NULL;
	if (!json_is_string(body))
		body = json_object_get(message, "text");
	shown = json_pack("{s:b, s:b, s:O?, s:O?}",
	    "from_citizen", direction != NULL && direction[0] == 'i',
	    "automatic", kind != NULL && strcmp(kind, "ack") == 0,
	    "text", json_is_string(body) ? (json_t *)body : NULL,
	    "agent_name", json_is_string(json_object_get(message,
	    "agent_name")) ? json_object_get(message, "agent_name") : NULL);
	if (shown != NULL)
		web_pages_time(shown, "time", message, "created_at");
	return shown;
}

static int
web_pages_messages(json_t *vars, const json_t *messages)
{
	json_t *shown = json_array(), *item;
	size_t i;

	if (json_object_set_new(vars, "messages", shown) != 0)
		return -1;
	for (i = 0; i < json_array_size(messages); i++) {
		item = web_pages_message(json_array_get(messages, i));
		if (item != NULL)
			json_array_append_new(shown, item);
	}
	json_object_set_new(vars, "factor_valid", json_true());
	return 0;
}

/* The query that reopens this page in the other language: the code, and
 * the token when it proved access. */
static int
web_pages_switch_query(json_t *vars, const struct web_lookup *lookup,
    const struct web_params *query)
{
	const char *token = web_query_get_nonempty(query, "token");
	char text[WEB_PAGES_QUERY_MAX];
	char *encoded = NULL;

	if (token != NULL && lookup->messages != NULL)
		encoded = evhttp_encode_uri(token);
	snprintf(text, sizeof text, "code=%s%s%s", lookup->code,
	    encoded != NULL ? "&token=" : "", encoded != NULL ? encoded : "");
	free(encoded);
	return json_object_set_new(vars, "switch_query", json_string(text));
}

/* The rating form's values: open on a resolved or closed ticket, not
 * merged into another one, whose messages a factor opened, with that
 * factor to post again. */
static int
web_pages_rating(json_t *vars, const struct web_lookup *lookup,
    const struct web_params *query, int rated)
{
	const char *status = json_string_value(json_object_get(lookup->ticket,
	    "status"));
	const char *factor = lookup->factor_param;
	const char *value = factor != NULL ?
	    web_query_get_nonempty(query, factor) : NULL;
	int rc = 0;

	if (rated > 0)
		rc |= json_object_set_new(vars, "rated", json_integer(rated));
	if (status == NULL || lookup->messages == NULL || value == NULL ||
	    json_is_string(json_object_get(lookup->ticket, "merged_into")) ||
	    (strcmp(status, "resolved") != 0 && strcmp(status, "closed") != 0))
		return rc == 0 ? 0 : -1;
	rc |= json_object_set_new(vars, "rating_open", json_true());
	rc |= json_object_set_new(vars, "factor_param", json_string(factor));
	/* A value that proved access is the hex token, four digits or a
	 * stored email, so json_string takes it. */
	rc |= json_object_set_new(vars, "factor_value", json_string(value));
	return rc == 0 ? 0 : -1;
}

void
web_pages_status(struct web *web, struct evhttp_request *req,
    const char *language, const struct web_lookup *lookup,
    const struct web_params *query, const struct hub_error *error,
    int rated)
{
	json_t *vars = json_object();
	int status = 200;

	if (error == NULL || error->code == HUB_OK)
		error = &lookup->error;
	if (vars == NULL || web_view_common(web, language, vars) != 0 ||
	    web_pages_ticket(vars, lookup->ticket, lookup->code) != 0 ||
	    web_pages_switch_query(vars, lookup, query) != 0 ||
	    (lookup->messages != NULL &&
	    web_pages_messages(vars, lookup->messages) != 0) ||
	    web_pages_rating(vars, lookup, query, rated) != 0) {
		json_decref(vars);
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	if (error->code != HUB_OK) {
		web_view_error(error, language, vars);
		status = api_error_status(error->code);
	}
	web_reply_page(web, req, status, language, "web/status.html", vars);
	json_decref(vars);
}

void
web_pages_lookup_form(struct web *web, struct evhttp_request *req,
    const char *language, const char *code_text,
    const struct hub_error *error)
{
	json_t *vars = json_object();
	int status = 200;

	if (vars == NULL || web_view_common(web, language, vars) != 0) {
		json_decref(vars);
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	if (code_text != NULL)
		json_object_set_new(vars, "code", json_string(code_text));
	if (error != NULL && error->code != HUB_OK) {
		web_view_error(error, language, vars);
		status = api_error_status(error->code);
	}
	web_reply_page(web, req, status, language, "web/lookup.html", vars);
	json_decref(vars);
}

/* Sends the page for a lookup of code_text: the status page when the
 * ticket exists, else the lookup form with the error. */
static void
web_pages_lookup_code(struct web *web, struct evhttp_request *req,
    const char *language, const char *code_text,
    const struct web_params *query)
{
	char address[HTTP_ADDRESS_SIZE];
	struct web_lookup lookup;

	web_lookup_run(web, code_text, query,
	    http_client_address(hub_channel_http(web->channel), req, address),
	    &lookup);
	if (lookup.ticket == NULL)
		web_pages_lookup_form(web, req, language, code_text,
		    &lookup.error);
	else
		web_pages_status(web, req, language, &lookup, query, NULL, 0);
	web_lookup_clear(&lookup);
}

/* Sends the status page of code_text, after storing the rating of a form
 * post that carries one. */
static void
web_pages_lookup_code_or_rate(struct web *web, struct evhttp_request *req,
    const char *language, const char *code_text, struct web_params *query)
{
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST &&
	    web_query_get(query, "rating") != NULL)
		web_rating_form(web, req, language, code_text, query);
	else
		web_pages_lookup_code(web, req, language, code_text, query);
}

/* Whether req's method is GET, HEAD or POST; answers 405 when not. */
static bool
web_pages_lookup_method(struct evhttp_request *req)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD ||
	    method == EVHTTP_REQ_POST)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, HEAD, POST");
	web_reply_error(req, HUB_ERR_METHOD_NOT_ALLOWED, "");
	return false;
}

/*
 * Reads the parameters of a lookup: the query string of a GET, the body of
 * a POST. The lookup form posts, so that the phone digits and the email
 * stay out of URLs and thus out of access logs. A GET keeps working for
 * the status links that citizens receive. Returns 0, or -1 with error.
 */
static int
web_pages_lookup_params(struct web *web, struct evhttp_request *req,
    struct web_params *params, struct hub_error *error)
{
	char type[WEB_PAGES_CONTENT_TYPE_MAX];
	const char *body;
	size_t len;

	params->count = 0;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
		return web_query_parse_request(req, params, error);
	http_content_type(req, type, sizeof type);
	if (strcmp(type, "application/x-www-form-urlencoded") != 0) {
		hub_error_set(error, HUB_ERR_CONTENT_TYPE, "", 0);
		return -1;
	}
	if (http_request_body(hub_channel_http(web->channel), req, &body,
	    &len) != 0) {
		hub_error_set(error, HUB_ERR_BODY_TOO_LARGE, "", 0);
		return -1;
	}
	return web_query_parse(body, len, params, error);
}

/* The page language: lang from params when it is "vi" or "en", else as
 * web_reply_language decides. */
static const char *
web_pages_language(struct evhttp_request *req,
    const struct web_params *params)
{
	const char *lang = web_query_get(params, "lang");

	if (lang != NULL && strcmp(lang, "en") == 0)
		return "en";
	if (lang != NULL && strcmp(lang, "vi") == 0)
		return "vi";
	return web_reply_language(req);
}

void
web_pages_lookup(struct evhttp_request *req, void *arg)
{
	struct web *web = arg;
	struct web_params query;
	struct hub_error error;
	const char *language, *code_text;

	if (!web_pages_lookup_method(req))
		return;
	if (web_pages_lookup_params(web, req, &query, &error) != 0) {
		if (error.code == HUB_ERR_CONTENT_TYPE ||
		    error.code == HUB_ERR_BODY_TOO_LARGE)
			http_send_error(req, &error);
		else
			web_pages_lookup_form(web, req,
			    web_reply_language(req), NULL, &error);
		return;
	}
	language = web_pages_language(req, &query);
	code_text = web_query_get_nonempty(&query, "code");
	if (code_text != NULL && web_query_has_nul(&query, "code")) {
		hub_error_set(&error, HUB_ERR_NOT_FOUND, "code", 0);
		web_pages_lookup_form(web, req, language, NULL, &error);
	} else if (code_text == NULL)
		web_pages_lookup_form(web, req, language, NULL, NULL);
	else if (http_rate_limit(hub_channel_http(web->channel), req,
	    HTTP_LIMIT_LOOKUP))
		web_pages_lookup_code_or_rate(web, req, language, code_text,
		    &query);
	web_query_clear(&query);
}
