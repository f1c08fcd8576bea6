#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "web.h"

#define WEB_FORM_NUMBER_MAX 32

static int
web_form_limits(const struct web *web, json_t *vars)
{
	const struct hub_config *config = hub_channel_config(web->channel);
	const struct hub_config_limits *limits;
	json_t *object;

	if (config == NULL)
		return 0;
	limits = &config->limits;
	object = json_pack("{s:i, s:i, s:i, s:i, s:i}",
	    "name", limits->name_chars, "subject", limits->subject_chars,
	    "description", limits->description_chars,
	    "address", limits->address_chars, "email", limits->email_chars);
	return json_object_set_new(vars, "limits", object);
}

static int
web_form_values(const struct web_intake *intake, const char *language,
    json_t *vars)
{
	const char *reply_language = intake->values[WEB_FIELD_LANGUAGE];
	json_t *values = json_object();
	const char *value;
	int i, rc = 0;

	if (json_object_set_new(vars, "values", values) != 0)
		return -1;
	for (i = 0; i < WEB_FIELD_COUNT; i++) {
		value = intake->values[i];
		/* json_string rejects a value that is not UTF-8, so such a
		 * value is left out of the page. */
		if (value != NULL)
			(void)json_object_set_new(values,
			    web_intake_field_key((enum web_field)i),
			    json_string(value));
	}
	rc |= web_view_flag(vars, "language_is",
	    reply_language != NULL ? reply_language : language);
	rc |= json_object_set_new(vars, "consent",
	    json_boolean(intake->consent));
	return rc == 0 ? 0 : -1;
}

/* The category choices of the desk in force, in the page's language, as
 * categories [{id, name, selected}] and has_categories. With no category
 * configured both are left out, and the form then has no category field. */
static int
web_form_categories(const struct web *web, const char *language,
    const struct web_intake *intake, json_t *vars)
{
	const char *chosen = intake->values[WEB_FIELD_CATEGORY];
	const char *name_key = strcmp(language, "en") == 0 ? "name_en" :
	    "name_vi";
	json_t *categories = hub_desk_categories(web->channel);
	json_t *choices, *category;
	const char *id, *name;
	size_t i;
	int rc = 0;

	if (categories == NULL)
		return -1;
	if (json_array_size(categories) == 0) {
		json_decref(categories);
		return 0;
	}
	choices = json_array();
	json_array_foreach(categories, i, category) {
		id = json_string_value(json_object_get(category, "id"));
		name = json_string_value(json_object_get(category, name_key));
		rc |= json_array_append_new(choices, json_pack("{s:s, s:s, s:b}",
		    "id", id, "name", name != NULL ? name : id, "selected",
		    chosen != NULL && strcmp(chosen, id) == 0));
	}
	json_decref(categories);
	rc |= json_object_set_new(vars, "categories", choices);
	rc |= json_object_set_new(vars, "has_categories", json_true());
	return rc == 0 ? 0 : -1;
}

/* The variables of form.html. Returns a new reference or NULL. */
static json_t *
web_form_vars(const struct web *web, const char *language,
    const struct web_intake *intake, const char *token_text)
{
	json_t *vars = json_object();
	int rc = 0;

	if (vars == NULL)
		return NULL;
	rc |= web_view_common(web, language, vars);
	rc |= json_object_set_new(vars, "form_token", json_string(token_text));
	rc |= json_object_set_new(vars, "honeypot_field",
	    json_string(web->config.honeypot_field));
	rc |= web_form_limits(web, vars);
	rc |= web_form_values(intake, language, vars);
	rc |= web_form_categories(web, language, intake, vars);
	if (rc != 0) {
		json_decref(vars);
		return NULL;
	}
	return vars;
}

static void
web_form_send(struct web *web, struct evhttp_request *req, int status,
    const char *language, json_t *vars)
{
	if (vars == NULL) {
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	web_reply_page(web, req, status, language, "web/form.html", vars);
	json_decref(vars);
}

void
web_form_page(struct evhttp_request *req, void *arg)
{
	struct web *web = arg;
	struct web_intake intake = { 0 };
	char token_text[WEB_TOKEN_TEXT_SIZE];
	const char *language;

	if (!web_reply_method_get(req))
		return;
	language = web_reply_language(req);
	web_token_issue(web, web_token_now(), token_text);
	web_form_send(web, req, 200, language,
	    web_form_vars(web, language, &intake, token_text));
}

void
web_form_reject(struct web *web, struct evhttp_request *req,
    const char *language, const struct web_intake *intake,
    const char *token_text, const struct hub_error *error)
{
	json_t *vars = web_form_vars(web, language, intake, token_text);

	if (vars != NULL && web_view_error(error, language, vars) != 0) {
		json_decref(vars);
		vars = NULL;
	}
	web_form_send(web, req, api_error_status(error->code), language, vars);
}

/* Parses a coordinate as typed, with '.' or ',' as the decimal mark.
 * Returns 0 or -1. */
static int
web_form_number(const char *text, double *out)
{
	char copy[WEB_FORM_NUMBER_MAX], *comma, *end;

	if (strlen(text) >= sizeof copy)
		return -1;
	strcpy(copy, text);
	comma = strchr(copy, ',');
	if (comma != NULL && strchr(copy, '.') == NULL)
		*comma = '.';
	*out = strtod(copy, &end);
	if (end == copy || *end != '\0' || !isfinite(*out))
		return -1;
	return 0;
}

static int
web_form_location(struct web_intake *intake, struct hub_error *error)
{
	const char *latitude = intake->values[WEB_FIELD_LATITUDE];
	const char *longitude = intake->values[WEB_FIELD_LONGITUDE];
	bool has_latitude = latitude != NULL && *latitude != '\0';
	bool has_longitude = longitude != NULL && *longitude != '\0';

	if (!has_latitude && !has_longitude)
		return 0;
	if (!has_latitude ||
	    web_form_number(latitude, &intake->latitude) != 0) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "latitude", 0);
		return -1;
	}
	if (!has_longitude ||
	    web_form_number(longitude, &intake->longitude) != 0) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "longitude", 0);
		return -1;
	}
	intake->has_location = true;
	return 0;
}

/* Stores one form parameter in intake. Returns 0, or -1 with error. */
static int
web_form_param(const struct web *web, const struct web_param *param,
    struct web_intake *intake, struct hub_error *error)
{
	enum web_field field;

	if (strcmp(param->key, "form_token") == 0 ||
	    strcmp(param->key, web->config.honeypot_field) == 0)
		return 0;
	if (strcmp(param->key, "consent") == 0) {
		intake->consent = param->value[0] != '\0';
		return 0;
	}
	if (web_intake_field_find(param->key, &field) != 0 ||
	    field == WEB_FIELD_EXTERNAL_ID) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, param->key, 0);
		return -1;
	}
	if (web_intake_set(intake, field, param->value) != 0) {
		hub_error_set(error, HUB_ERR_INTERNAL, "", 0);
		return -1;
	}
	if (strlen(param->value) != param->value_len) {
		hub_error_set(error, HUB_ERR_INVALID_UTF8, param->key,
		    HUB_ERROR_NUL_CHARACTER);
		return -1;
	}
	return 0;
}

/* Stores every parameter, so that a re-rendered form keeps them, and
 * returns the first error. */
static int
web_form_params(const struct web *web, const struct web_params *params,
    struct web_intake *intake, struct hub_error *error)
{
	struct hub_error first;
	size_t i;
	int rc = 0;

	for (i = 0; i < params->count; i++) {
		if (web_form_param(web, &params->items[i], intake, &first) != 0 &&
		    rc == 0) {
			*error = first;
			rc = -1;
		}
	}
	return rc;
}

/* Checks the honeypot, the token and the fill time, in that order. */
static int
web_form_guard(struct web *web, const struct web_params *params,
    struct web_token *token, char token_text[WEB_TOKEN_TEXT_SIZE],
    struct hub_error *error)
{
	const char *honeypot = web_query_get(params, web->config.honeypot_field);
	time_t now = web_token_now();

	if (web_token_verify(web, web_query_get(params, "form_token"),
	    token) != 0) {
		web_token_issue(web, now, token_text);
		if (honeypot == NULL || honeypot[0] == '\0') {
			hub_error_set(error, HUB_ERR_INVALID_FIELD,
			    "form_token", 0);
			return -1;
		}
	} else
		web_token_issue(web, token->issued_at, token_text);

	if (honeypot != NULL && honeypot[0] != '\0') {
		hub_error_set(error, HUB_ERR_FORM_REJECTED, "", 0);
		return -1;
	}
	if (now - token->issued_at < web->config.min_fill_seconds) {
		hub_error_set(error, HUB_ERR_FORM_TOO_FAST, "",
		    web->config.min_fill_seconds);
		return -1;
	}
	return 0;
}

int
web_form_decode(struct web *web, const struct web_params *params,
    struct web_intake *intake, struct web_token *token,
    char token_text[WEB_TOKEN_TEXT_SIZE], struct hub_error *error)
{
	struct hub_error params_error;
	int params_rc;

	params_rc = web_form_params(web, params, intake, &params_error);
	if (web_form_guard(web, params, token, token_text, error) != 0)
		return -1;
	if (params_rc != 0) {
		*error = params_error;
		return -1;
	}
	return web_form_location(intake, error);
}
