/*
 * Satisfaction ratings: POST /api/v1/requests/{code}/satisfaction (JSON)
 * and the rating form of the status page (a form post to /lookup).
 *
 * A rating takes the same second factors as a lookup, checked the same
 * way (web_lookup_run), and is checked itself before anything else, so
 * that a bad rating stores nothing and costs no factor attempt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "web.h"

#define WEB_RATING_KEY_MAX 31

/* One rating waiting for the store. */
struct web_rating {
	struct web *web;
	struct evhttp_request *req;
	const char *language;		/* of the page */
	char code[TICKET_CODE_PLAIN_SIZE];
	int rating;
	struct web_params params;	/* the form's fields (owned) */
};

int
web_rating_parse_text(const char *text, int *rating)
{
	if (text == NULL || strlen(text) != 1 || text[0] < '1' ||
	    text[0] > '5')
		return -1;
	*rating = text[0] - '0';
	return 0;
}

static void
web_rating_free(struct web_rating *rating)
{
	web_query_clear(&rating->params);
	free(rating);
}

/* --- The JSON API --------------------------------------------------------- */

/* Takes one member of the JSON body into params (a factor) or *rating.
 * Returns 0, or -1 with error naming the member. */
static int
web_rating_member(const char *key, const json_t *value,
    struct web_params *params, int *rating, struct hub_error *error)
{
	struct web_param *param;
	size_t length;

	if (strcmp(key, "rating") == 0) {
		if (!json_is_integer(value) || json_integer_value(value) < 1 ||
		    json_integer_value(value) > 5) {
			hub_error_set(error, HUB_ERR_INVALID_FIELD, "rating", 0);
			return -1;
		}
		*rating = (int)json_integer_value(value);
		return 0;
	}
	if (strcmp(key, "token") != 0 && strcmp(key, "phone_last4") != 0 &&
	    strcmp(key, "email") != 0) {
		/* Echo only a short lower-case name. */
		length = strlen(key);
		hub_error_set(error, HUB_ERR_INVALID_FIELD, length > 0 &&
		    length <= WEB_RATING_KEY_MAX && strspn(key,
		    "abcdefghijklmnopqrstuvwxyz0123456789_") == length ? key :
		    "", 0);
		return -1;
	}
	if (json_is_null(value))
		return 0;
	if (!json_is_string(value) || params->count == WEB_PARAMS_MAX) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, key, 0);
		return -1;
	}
	param = &params->items[params->count];
	snprintf(param->key, sizeof param->key, "%s", key);
	param->value = strdup(json_string_value(value));
	if (param->value == NULL) {
		hub_error_set(error, HUB_ERR_INTERNAL, "", 0);
		return -1;
	}
	param->value_len = json_string_length(value);
	params->count++;
	return 0;
}

/* Decodes {rating, and token, phone_last4 or email}. Returns 0, or -1 with
 * error: the rating is checked before the factors. */
static int
web_rating_decode(const char *body, size_t len, struct web_params *params,
    int *rating, struct hub_error *error)
{
	json_error_t jerror;
	json_t *root, *value;
	const char *key;
	int rc = 0;

	*rating = 0;
	params->count = 0;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerror);
	if (root == NULL || !json_is_object(root)) {
		hub_error_set(error, HUB_ERR_INVALID_JSON, "", root != NULL ?
		    HUB_ERROR_NOT_OBJECT : 0);
		json_decref(root);
		return -1;
	}
	value = json_object_get(root, "rating");
	if (value == NULL || json_is_null(value)) {
		hub_error_set(error, HUB_ERR_MISSING_FIELD, "rating", 0);
		rc = -1;
	}
	if (rc == 0 && web_rating_member("rating", value, params, rating,
	    error) != 0)
		rc = -1;
	json_object_foreach(root, key, value) {
		if (rc != 0)
			break;
		if (strcmp(key, "rating") != 0 &&
		    web_rating_member(key, value, params, rating, error) != 0)
			rc = -1;
	}
	json_decref(root);
	if (rc != 0)
		web_query_clear(params);
	return rc;
}

static void
web_rating_api_done(enum hub_rating_result result, int previous, void *arg)
{
	struct web_rating *rating = arg;
	struct evhttp_request *req = rating->req;

	rating->web->submissions_in_flight--;
	switch (result) {
	case HUB_RATING_STORED:
		http_send_json(req, 200, json_pack("{s:s, s:i, s:o}", "code",
		    rating->code, "rating", rating->rating, "previous",
		    previous > 0 ? json_integer(previous) : json_null()));
		break;
	case HUB_RATING_NOT_FOUND:
		web_reply_error(req, HUB_ERR_NOT_FOUND, "code");
		break;
	case HUB_RATING_NOT_RESOLVED:
		web_reply_error(req, HUB_ERR_NOT_RESOLVED, "");
		break;
	case HUB_RATING_MERGED:
		web_reply_error(req, HUB_ERR_TICKET_CLOSED, "");
		break;
	case HUB_RATING_FAILED:
	default:
		web_reply_error(req, HUB_ERR_UNAVAILABLE, "");
		break;
	}
	web_rating_free(rating);
}

/* Sends the error of a lookup that did not prove access. */
static void
web_rating_api_refuse(struct evhttp_request *req,
    const struct web_lookup *lookup)
{
	struct hub_error error;
	char seconds[32];

	if (lookup->error.code == HUB_ERR_RATE_LIMITED) {
		snprintf(seconds, sizeof seconds, "%ld", lookup->retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", seconds);
	}
	if (lookup->error.code != HUB_OK) {
		http_send_error(req, &lookup->error);
		return;
	}
	hub_error_set(&error, HUB_ERR_MISSING_FIELD, "token",
	    HUB_ERROR_NO_FACTOR);
	http_send_error(req, &error);
}

/* Hands a checked rating to the hub; the reply follows its commit. */
static void
web_rating_store(struct web_rating *rating,
    void (*done)(enum hub_rating_result, int, void *))
{
	if (hub_ticket_rate(rating->web->channel, rating->code, rating->rating,
	    done, rating) != 0) {
		web_reply_error(rating->req, HUB_ERR_UNAVAILABLE, "");
		web_rating_free(rating);
		return;
	}
	rating->web->submissions_in_flight++;
}

/* Checks the request of the JSON API up to its body. Returns 0, or -1
 * when an error was sent. */
static int
web_rating_api_accept(struct web *web, struct evhttp_request *req,
    const char **body, size_t *len)
{
	char type[128];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		web_reply_error(req, HUB_ERR_METHOD_NOT_ALLOWED, "");
		return -1;
	}
	if (web->stopped) {
		web_reply_error(req, HUB_ERR_UNAVAILABLE, "");
		return -1;
	}
	if (!http_rate_limit(hub_channel_http(web->channel), req,
	    HTTP_LIMIT_LOOKUP))
		return -1;
	http_content_type(req, type, sizeof type);
	if (strcmp(type, "application/json") != 0) {
		web_reply_error(req, HUB_ERR_CONTENT_TYPE, "");
		return -1;
	}
	if (http_request_body(hub_channel_http(web->channel), req, body,
	    len) != 0) {
		web_reply_error(req, HUB_ERR_BODY_TOO_LARGE, "");
		return -1;
	}
	return 0;
}

void
web_rating_api(struct web *web, struct evhttp_request *req,
    const char *code_text)
{
	char address[HTTP_ADDRESS_SIZE];
	struct web_rating *rating;
	struct web_lookup lookup;
	struct hub_error error;
	const char *body;
	size_t len;

	if (web_rating_api_accept(web, req, &body, &len) != 0)
		return;
	rating = calloc(1, sizeof *rating);
	if (rating == NULL) {
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	rating->web = web;
	rating->req = req;
	if (web_rating_decode(body, len, &rating->params, &rating->rating,
	    &error) != 0) {
		http_send_error(req, &error);
		web_rating_free(rating);
		return;
	}
	web_lookup_run(web, code_text, &rating->params,
	    http_client_address(hub_channel_http(web->channel), req, address),
	    &lookup);
	if (lookup.messages == NULL) {
		web_rating_api_refuse(req, &lookup);
		web_lookup_clear(&lookup);
		web_rating_free(rating);
		return;
	}
	memcpy(rating->code, lookup.code, sizeof rating->code);
	web_lookup_clear(&lookup);
	web_rating_store(rating, web_rating_api_done);
}

/* --- The status page's form ----------------------------------------------- */

/* Sends the status page of code after a rating, with error or thanks. */
static void
web_rating_page(struct web *web, struct evhttp_request *req,
    const char *language, const char *code_text,
    const struct web_params *params, const struct hub_error *error,
    int rated)
{
	char address[HTTP_ADDRESS_SIZE];
	struct web_lookup lookup;

	web_lookup_run(web, code_text, params,
	    http_client_address(hub_channel_http(web->channel), req, address),
	    &lookup);
	if (lookup.ticket == NULL)
		web_pages_lookup_form(web, req, language, code_text,
		    &lookup.error);
	else
		web_pages_status(web, req, language, &lookup, params, error,
		    rated);
	web_lookup_clear(&lookup);
}

static void
web_rating_form_done(enum hub_rating_result result, int previous, void *arg)
{
	struct web_rating *rating = arg;
	struct hub_error error;

	rating->web->submissions_in_flight--;
	hub_error_set(&error, HUB_OK, "", 0);
	if (result == HUB_RATING_NOT_RESOLVED)
		hub_error_set(&error, HUB_ERR_NOT_RESOLVED, "", 0);
	else if (result == HUB_RATING_MERGED)
		hub_error_set(&error, HUB_ERR_TICKET_CLOSED, "", 0);
	else if (result == HUB_RATING_NOT_FOUND)
		hub_error_set(&error, HUB_ERR_NOT_FOUND, "code", 0);
	else if (result != HUB_RATING_STORED)
		hub_error_set(&error, HUB_ERR_UNAVAILABLE, "", 0);
	web_rating_page(rating->web, rating->req, rating->language,
	    rating->code, &rating->params, &error,
	    result == HUB_RATING_STORED ? rating->rating : 0);
	web_rating_free(rating);
}

/* Sends the status page with the error of a form post that did not
 * prove access to the ticket of lookup. */
static void
web_rating_form_refuse(struct web *web, struct evhttp_request *req,
    const char *language, const char *code_text,
    const struct web_params *params, const struct web_lookup *lookup)
{
	struct hub_error error = lookup->error;

	if (lookup->ticket == NULL) {
		web_pages_lookup_form(web, req, language, code_text,
		    &lookup->error);
		return;
	}
	if (error.code == HUB_OK)
		hub_error_set(&error, HUB_ERR_MISSING_FIELD, "token",
		    HUB_ERROR_NO_FACTOR);
	web_pages_status(web, req, language, lookup, params, &error, 0);
}

void
web_rating_form(struct web *web, struct evhttp_request *req,
    const char *language, const char *code_text, struct web_params *params)
{
	char address[HTTP_ADDRESS_SIZE];
	struct web_rating *rating;
	struct web_lookup lookup;
	struct hub_error error;
	int value;

	if (web_rating_parse_text(web_query_get(params, "rating"),
	    &value) != 0) {
		hub_error_set(&error, HUB_ERR_INVALID_FIELD, "rating", 0);
		web_rating_page(web, req, language, code_text, params, &error,
		    0);
		return;
	}
	if (web->stopped) {
		web_reply_error(req, HUB_ERR_UNAVAILABLE, "");
		return;
	}
	web_lookup_run(web, code_text, params,
	    http_client_address(hub_channel_http(web->channel), req, address),
	    &lookup);
	if (lookup.messages == NULL) {
		web_rating_form_refuse(web, req, language, code_text, params,
		    &lookup);
		web_lookup_clear(&lookup);
		return;
	}
	rating = calloc(1, sizeof *rating);
	if (rating == NULL) {
		web_lookup_clear(&lookup);
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	*rating = (struct web_rating){ .web = web, .req = req,
	    .language = language, .rating = value, .params = *params };
	/* The rating owns the parameters from here on. */
	params->count = 0;
	memcpy(rating->code, lookup.code, sizeof rating->code);
	web_lookup_clear(&lookup);
	web_rating_store(rating, web_rating_form_done);
}
