/*
 * The generic HTTP gateway's keys of a gateway object in channels.sms:
 * checked with the hub's field tables, so every error names the key's path
 * and the form to write, then loaded into struct sms_http_config.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sms_http.h"

#define SMS_HTTP_PATH_MAX 256
#define SMS_HTTP_PLACEHOLDERS "placeholders among {{to}}, {{from}}, " \
	"{{text}}, {{reference}}, {{coding}}, {{unicode}}, {{parts}}, " \
	"{{username}} and {{password}}"

const char *const sms_http_config_keys[] = {
	"url", "method", "headers", "body", "body_encoding", "success",
	"temporary_statuses", "message_id_field", NULL
};

static const char *
sms_http_check_url(const json_t *value)
{
	const char *text = json_string_value(value);

	if (strncmp(text, "http://", 7) != 0 &&
	    strncmp(text, "https://", 8) != 0)
		return "an http:// or https:// URL such as "
		    "\"https://sms.example.vn/api/send?to={{to}}\"";
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	    p++) {
		if (*p <= 0x20 || *p == 0x7f)
			return "a URL without spaces or control characters "
			    "(write %20 for a space)";
	}
	return NULL;
}

static const char *
sms_http_check_method(const json_t *value)
{
	const char *text = json_string_value(value);

	if (strcmp(text, "GET") != 0 && strcmp(text, "POST") != 0)
		return "\"GET\" or \"POST\"";
	return NULL;
}

static const char *
sms_http_check_encoding(const json_t *value)
{
	const char *text = json_string_value(value);

	if (strcmp(text, "json") != 0 && strcmp(text, "form") != 0 &&
	    strcmp(text, "raw") != 0)
		return "\"json\", \"form\" or \"raw\"";
	return NULL;
}

/* A dotted path of JSON members ("result.code"), no member empty. */
static const char *
sms_http_check_json_path(const json_t *value)
{
	const char *text = json_string_value(value);
	size_t length = strlen(text);

	if (length == 0 || text[0] == '.' || text[length - 1] == '.' ||
	    strstr(text, "..") != NULL)
		return "member names separated by dots, such as "
		    "\"result.code\"";
	return NULL;
}

static const struct config_field sms_http_fields[] = {
	{ "url", CONFIG_STRING, 1, 4096, sms_http_check_url, NULL },
	{ "method", CONFIG_STRING, 0, 0, sms_http_check_method, NULL },
	{ "headers", CONFIG_OBJECT, 0, 0, NULL,
	    "an object of header names to values, such as "
	    "{\"Content-Type\": \"application/json\"}" },
	{ "body", CONFIG_STRING, 1, 65536, NULL, NULL },
	{ "body_encoding", CONFIG_STRING, 0, 0, sms_http_check_encoding,
	    NULL },
	{ "success", CONFIG_OBJECT, 0, 0, NULL, NULL },
	{ "temporary_statuses", CONFIG_ARRAY, 0, 0, NULL,
	    "an array of HTTP statuses, such as [429, 500, 502, 503]" },
	{ "message_id_field", CONFIG_STRING, 1, 200, sms_http_check_json_path,
	    NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

/* json_value is left out: it is a string or a number, which no field type
 * covers, so sms_http_config_success checks it. */
static const struct config_field sms_http_success_fields[] = {
	{ "statuses", CONFIG_ARRAY, 0, 0, NULL,
	    "an array of HTTP statuses, such as [200]" },
	{ "contains", CONFIG_STRING, 1, 1000, NULL, NULL },
	{ "json_field", CONFIG_STRING, 1, 200, sms_http_check_json_path,
	    NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

/* Checks the keys of object (at path) that are in fields, and leaves the
 * others to the common gateway loader. */
static int
sms_http_config_check_own(const struct hub_config *hub_config,
    const char *path, const json_t *object, const struct config_field *fields,
    struct config_error *err)
{
	json_t *own = json_object();
	int result;

	if (own == NULL)
		return config_error_problem(hub_config, path, err,
		    "out of memory", NULL);
	for (const struct config_field *field = fields; field->key != NULL;
	    field++) {
		json_t *value = json_object_get(object, field->key);

		if (value != NULL)
			json_object_set(own, field->key, value);
	}
	result = config_check_section(hub_config, path, own, fields, err);
	json_decref(own);
	return result;
}

/* Checks every key of success (at path) but json_value. */
static int
sms_http_config_check_success(const struct hub_config *hub_config,
    const char *path, const json_t *success, struct config_error *err)
{
	json_t *copy = json_object();
	const char *key;
	json_t *value;
	int result;

	if (copy == NULL)
		return config_error_problem(hub_config, path, err,
		    "out of memory", NULL);
	/* jansson has no const iteration; the loop only reads success. */
	json_object_foreach((json_t *)success, key, value) {
		if (strcmp(key, "json_value") != 0)
			json_object_set(copy, key, value);
	}
	result = config_check_section(hub_config, path, copy,
	    sms_http_success_fields, err);
	json_decref(copy);
	return result;
}

/* Reads an array of HTTP statuses at path into statuses. */
static int
sms_http_config_statuses(const struct hub_config *hub_config,
    const char *path, const json_t *array, int *statuses, size_t *count,
    struct config_error *err)
{
	char element[SMS_HTTP_PATH_MAX + 16];
	char problem[64];

	if (json_array_size(array) > SMS_STATUSES_MAX) {
		snprintf(problem, sizeof problem, "too many elements (%zu)",
		    json_array_size(array));
		return config_error_problem(hub_config, path, err, problem,
		    "at most 16 HTTP statuses");
	}
	*count = 0;
	for (size_t i = 0; i < json_array_size(array); i++) {
		const json_t *item = json_array_get(array, i);

		snprintf(element, sizeof element, "%s[%zu]", path, i);
		if (!json_is_integer(item) || json_integer_value(item) < 100 ||
		    json_integer_value(item) > 599)
			return config_error_problem(hub_config, element, err,
			    "invalid HTTP status",
			    "an integer from 100 to 599");
		statuses[(*count)++] = (int)json_integer_value(item);
	}
	return 0;
}

static int
sms_http_config_template(const struct hub_config *hub_config,
    const char *path, const char *template, struct config_error *err)
{
	char problem[96];

	if (sms_http_template_check(template, problem, sizeof problem) != 0)
		return config_error_problem(hub_config, path, err, problem,
		    SMS_HTTP_PLACEHOLDERS);
	return 0;
}

static bool
sms_http_header_name_valid(const char *name)
{
	static const char token[] = "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t length = strlen(name);

	return length > 0 && length <= 100 && strspn(name, token) == length;
}

static bool
sms_http_header_value_valid(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0';
	    p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	}
	return true;
}

/* Checks one header of headers and copies it into config. */
static int
sms_http_config_header(const struct hub_config *hub_config,
    const char *path, const char *name, const json_t *value,
    struct sms_http_config *config, struct config_error *err)
{
	char at[SMS_HTTP_PATH_MAX];
	size_t index = config->header_count;
	int written = snprintf(at, sizeof at, "%s.%s", path, name);

	if (written < 0 || (size_t)written >= sizeof at ||
	    !sms_http_header_name_valid(name))
		return config_error_problem(hub_config, at, err,
		    "invalid header name", "a name of letters, digits and "
		    "!#$%&'*+-.^_`|~, such as \"X-Api-Key\"");
	if (strcasecmp(name, "Content-Length") == 0 ||
	    strcasecmp(name, "Transfer-Encoding") == 0 ||
	    strcasecmp(name, "Host") == 0)
		return config_error_problem(hub_config, at, err,
		    "header set by the hub", "no Content-Length, "
		    "Transfer-Encoding or Host header");
	if (!json_is_string(value))
		return config_error_problem(hub_config, at, err,
		    "invalid type", "a string, the header's value");
	if (!sms_http_header_value_valid(json_string_value(value)))
		return config_error_problem(hub_config, at, err,
		    "invalid header value", "a value without line breaks or "
		    "other control characters");
	if (sms_http_config_template(hub_config, at, json_string_value(value),
	    err) != 0)
		return -1;
	config->header_names[index] = strdup(name);
	config->header_values[index] = strdup(json_string_value(value));
	config->header_count++;
	if (config->header_names[index] == NULL ||
	    config->header_values[index] == NULL)
		return config_error_problem(hub_config, at, err,
		    "out of memory", NULL);
	return 0;
}

static int
sms_http_config_headers(const struct hub_config *hub_config,
    const char *path, const json_t *headers, struct sms_http_config *config,
    struct config_error *err)
{
	const char *name;
	json_t *value;

	if (json_object_size(headers) > SMS_HEADERS_MAX)
		return config_error_problem(hub_config, path, err,
		    "too many headers", "at most 16 headers");
	json_object_foreach((json_t *)headers, name, value) {
		if (sms_http_config_header(hub_config, path, name, value,
		    config, err) != 0)
			return -1;
	}
	return 0;
}

static int
sms_http_config_success(const struct hub_config *hub_config,
    const char *path, const json_t *success, struct sms_http_config *config,
    struct config_error *err)
{
	char at[SMS_HTTP_PATH_MAX];
	const json_t *statuses = json_object_get(success, "statuses");
	const json_t *contains = json_object_get(success, "contains");
	const json_t *field = json_object_get(success, "json_field");
	const json_t *value = json_object_get(success, "json_value");

	snprintf(at, sizeof at, "%s.success", path);
	if (sms_http_config_check_success(hub_config, at, success, err) != 0)
		return -1;
	snprintf(at, sizeof at, "%s.success.statuses", path);
	if (statuses != NULL && sms_http_config_statuses(hub_config, at,
	    statuses, config->success_statuses,
	    &config->success_status_count, err) != 0)
		return -1;
	snprintf(at, sizeof at, "%s.success.json_value", path);
	if (value != NULL && !json_is_string(value) && !json_is_number(value))
		return config_error_problem(hub_config, at, err,
		    "invalid type", "a string or a number, such as \"100\"");
	if (field != NULL && value == NULL)
		return config_error_at(hub_config, at, err, "the value that "
		    "success.json_field must hold, such as \"100\" "
		    "(success.json_field is set)");
	if (field == NULL && value != NULL) {
		snprintf(at, sizeof at, "%s.success.json_field", path);
		return config_error_at(hub_config, at, err, "the member that "
		    "must hold success.json_value, such as \"CodeResult\" "
		    "(success.json_value is set)");
	}
	if (contains != NULL && (config->success_contains =
	    strdup(json_string_value(contains))) == NULL)
		return config_error_problem(hub_config, at, err,
		    "out of memory", NULL);
	if (field != NULL && ((config->success_json_field =
	    strdup(json_string_value(field))) == NULL ||
	    (config->success_json_value = sms_http_json_scalar(value)) ==
	    NULL))
		return config_error_problem(hub_config, at, err,
		    "out of memory", NULL);
	return 0;
}

/* The body's encoding when body_encoding is not set: from the
 * Content-Type header, else raw. */
static enum sms_body_encoding
sms_http_config_default_encoding(const struct sms_http_config *config)
{
	for (size_t i = 0; i < config->header_count; i++) {
		const char *value = config->header_values[i];

		if (strcasecmp(config->header_names[i], "Content-Type") != 0)
			continue;
		if (strcasestr(value, "json") != NULL)
			return SMS_BODY_JSON;
		if (strcasestr(value, "x-www-form-urlencoded") != NULL)
			return SMS_BODY_FORM;
	}
	return SMS_BODY_RAW;
}

/* Checks that a JSON body template is JSON once its placeholders are
 * filled in, which catches a string placeholder written without quotes. */
static int
sms_http_config_json_body(const struct hub_config *hub_config,
    const char *path, const char *body, struct config_error *err)
{
	static const struct sms_http_values sample = {
		.to = "84912345678", .from = "HOTLINE", .text = "text",
		.reference = "chub.1.2.0123456789abcdef", .coding = "gsm7",
		.unicode = "0", .parts = "1", .username = "user",
		.password = "password",
	};
	char at[SMS_HTTP_PATH_MAX];
	json_error_t error;
	char *filled;
	json_t *parsed;

	snprintf(at, sizeof at, "%s.body", path);
	if (sms_http_expand(body, SMS_HTTP_ESCAPE_JSON, &sample, &filled) != 0)
		return config_error_problem(hub_config, at, err,
		    "out of memory", NULL);
	parsed = json_loads(filled, JSON_DECODE_ANY, &error);
	free(filled);
	if (parsed != NULL) {
		json_decref(parsed);
		return 0;
	}
	return config_error_at(hub_config, at, err, "a JSON text once the "
	    "placeholders are filled in (%s, at character %d), with string "
	    "placeholders inside quotes, such as \"{{text}}\"", error.text,
	    error.position);
}

/* Reads method, body and body_encoding, which depend on each other. */
static int
sms_http_config_request(const struct hub_config *hub_config,
    const char *path, const json_t *object, struct sms_http_config *config,
    struct config_error *err)
{
	const json_t *method = json_object_get(object, "method");
	const json_t *body = json_object_get(object, "body");
	const json_t *encoding = json_object_get(object, "body_encoding");
	const char *name = method != NULL ? json_string_value(method) :
	    body != NULL ? "POST" : "GET";
	char at[SMS_HTTP_PATH_MAX];

	snprintf(at, sizeof at, "%s.body", path);
	if (body != NULL && strcmp(name, "GET") == 0)
		return config_error_at(hub_config, at, err, "no body with "
		    "method \"GET\": put the values in the url's query, or "
		    "set method to \"POST\"");
	if (body != NULL && sms_http_config_template(hub_config, at,
	    json_string_value(body), err) != 0)
		return -1;
	snprintf(at, sizeof at, "%s.body_encoding", path);
	if (encoding != NULL && body == NULL)
		return config_error_at(hub_config, at, err, "body_encoding "
		    "only with a body: add body or remove body_encoding");
	if ((config->method = strdup(name)) == NULL ||
	    (body != NULL &&
	    (config->body = strdup(json_string_value(body))) == NULL))
		return config_error_problem(hub_config, at, err,
		    "out of memory", NULL);
	if (encoding == NULL)
		config->body_encoding = sms_http_config_default_encoding(config);
	else if (strcmp(json_string_value(encoding), "json") == 0)
		config->body_encoding = SMS_BODY_JSON;
	else if (strcmp(json_string_value(encoding), "form") == 0)
		config->body_encoding = SMS_BODY_FORM;
	else
		config->body_encoding = SMS_BODY_RAW;
	if (config->body_encoding == SMS_BODY_JSON)
		return sms_http_config_json_body(hub_config, path, config->body,
		    err);
	return 0;
}

static int
sms_http_config_read(const struct hub_config *hub_config, const json_t *object,
    const char *path, struct sms_http_config *config, struct config_error *err)
{
	const json_t *url = json_object_get(object, "url");
	const json_t *headers = json_object_get(object, "headers");
	const json_t *success = json_object_get(object, "success");
	const json_t *temporary = json_object_get(object, "temporary_statuses");
	const json_t *message_id = json_object_get(object, "message_id_field");
	char at[SMS_HTTP_PATH_MAX];

	if (sms_http_config_check_own(hub_config, path, object,
	    sms_http_fields, err) != 0)
		return -1;
	snprintf(at, sizeof at, "%s.url", path);
	if (url == NULL)
		return config_error_problem(hub_config, at, err, "missing",
		    "the gateway's API address, such as "
		    "\"https://sms.example.vn/api/send\"");
	if (sms_http_config_template(hub_config, at, json_string_value(url),
	    err) != 0)
		return -1;
	if ((config->url = strdup(json_string_value(url))) == NULL)
		return config_error_problem(hub_config, at, err,
		    "out of memory", NULL);
	snprintf(at, sizeof at, "%s.headers", path);
	if (headers != NULL && sms_http_config_headers(hub_config, at, headers,
	    config, err) != 0)
		return -1;
	if (sms_http_config_request(hub_config, path, object, config,
	    err) != 0)
		return -1;
	if (success != NULL && sms_http_config_success(hub_config, path,
	    success, config, err) != 0)
		return -1;
	snprintf(at, sizeof at, "%s.temporary_statuses", path);
	if (temporary != NULL && sms_http_config_statuses(hub_config, at,
	    temporary, config->temporary_statuses,
	    &config->temporary_status_count, err) != 0)
		return -1;
	snprintf(at, sizeof at, "%s.message_id_field", path);
	if (message_id != NULL && (config->message_id_field =
	    strdup(json_string_value(message_id))) == NULL)
		return config_error_problem(hub_config, at, err,
		    "out of memory", NULL);
	return 0;
}

int
sms_http_config_load(const struct hub_config *hub_config,
    const json_t *object, const char *path, struct sms_http_config *config,
    struct config_error *err)
{
	memset(config, 0, sizeof *config);
	if (sms_http_config_read(hub_config, object, path, config, err) != 0) {
		sms_http_config_free(config);
		return -1;
	}
	return 0;
}

void
sms_http_config_free(struct sms_http_config *config)
{
	free(config->url);
	free(config->method);
	for (size_t i = 0; i < config->header_count; i++) {
		free(config->header_names[i]);
		free(config->header_values[i]);
	}
	free(config->body);
	free(config->success_contains);
	free(config->success_json_field);
	free(config->success_json_value);
	free(config->message_id_field);
	memset(config, 0, sizeof *config);
}
