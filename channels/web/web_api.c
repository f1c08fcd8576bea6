#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "web.h"

#define WEB_API_CONTENT_TYPE_MAX 128
#define WEB_API_IDEMPOTENCY_KEY_MAX 255
#define WEB_API_CODE_TEXT_MAX 64

/* One submission waiting for the pipeline's answer. */
struct web_submission {
	struct web *web;
	struct evhttp_request *req;
	bool form;
	bool idempotency_header;
	const char *language;	/* of the page or of the error messages */
	struct web_intake intake;
	struct web_token token;
	char token_text[WEB_TOKEN_TEXT_SIZE];
};

static void
web_api_submission_free(struct web_submission *submission)
{
	web_intake_clear(&submission->intake);
	free(submission);
}

/* Sends error: the form again for a form post, JSON otherwise. */
static void
web_api_reject(struct web_submission *submission,
    const struct hub_error *error)
{
	if (submission->form)
		web_form_reject(submission->web, submission->req,
		    submission->language, &submission->intake,
		    submission->token_text, error);
	else
		http_send_error(submission->req, error);
}

static void
web_api_reject_code(struct web_submission *submission,
    enum hub_error_code code, const char *field)
{
	struct hub_error error;

	hub_error_set(&error, code, field, 0);
	web_api_reject(submission, &error);
}

/* The ticket's status for the answer: "new" for a new ticket, else what
 * the ticket shows now. */
static json_t *
web_api_ticket_status(struct web *web, const struct hub_answer *answer)
{
	json_t *ticket, *status = NULL;

	if (answer->status == HUB_ANSWER_JOINED) {
		ticket = hub_ticket_public(web->channel, answer->code);
		status = json_incref(json_object_get(ticket, "status"));
		json_decref(ticket);
	}
	return json_is_string(status) ? status : json_string("new");
}

/* Adds access_token and page_url to result. Returns 0 or -1. */
static int
web_api_result_token(struct web *web, const struct hub_answer *answer,
    json_t *result)
{
	char *page_url;
	int rc;

	rc = json_object_set_new(result, "access_token",
	    json_string(answer->access_token));
	page_url = hub_ticket_status_url(web->channel, answer->code, true);
	if (page_url == NULL) {
		log_error("web", "failed to build the status page URL code=%s",
		    answer->code);
		return rc == 0 ? 0 : -1;
	}
	rc |= json_object_set_new(result, "page_url", json_string(page_url));
	free(page_url);
	return rc == 0 ? 0 : -1;
}

/*
 * The body of a stored submission. Returns a new reference or NULL. An
 * answer without an access token, as to a repeated external_id, gets no
 * access_token and no page_url, because the status page link carries the
 * token.
 */
static json_t *
web_api_result(struct web *web, const struct hub_answer *answer)
{
	char grouped[TICKET_CODE_GROUPED_SIZE];
	char *status_url;
	json_t *result;

	ticket_code_group(answer->code, grouped);
	status_url = hub_ticket_status_url(web->channel, answer->code, false);
	result = json_pack("{s:s, s:s, s:o, s:s?, s:s?, s:s, s:b}",
	    "code", answer->code, "code_display", grouped,
	    "status", web_api_ticket_status(web, answer),
	    "status_url", status_url,
	    "message", answer->ack_text,
	    "language", answer->language != NULL ? answer->language :
	    HUB_LANGUAGE_DEFAULT,
	    "duplicate", answer->duplicate);
	free(status_url);
	if (result != NULL && answer->access_token != NULL &&
	    web_api_result_token(web, answer, result) != 0) {
		json_decref(result);
		return NULL;
	}
	return result;
}

static void
web_api_stored(struct web_submission *submission,
    const struct hub_answer *answer)
{
	struct evkeyvalq *headers =
	    evhttp_request_get_output_headers(submission->req);
	json_t *result = web_api_result(submission->web, answer);
	const char *status_url = json_string_value(json_object_get(result,
	    "status_url"));

	if (result == NULL) {
		web_api_reject_code(submission, HUB_ERR_INTERNAL, "");
		return;
	}
	log_info("web", "stored code=%s ticket=%lld message=%lld duplicate=%d "
	    "form=%d", answer->code, (long long)answer->ticket_id,
	    (long long)answer->message_id, answer->duplicate, submission->form);
	if (submission->form) {
		web_pages_submitted(submission->web, submission->req,
		    submission->language, result);
		json_decref(result);
		return;
	}
	if (status_url != NULL)
		evhttp_add_header(headers, "Location", status_url);
	if (answer->duplicate && submission->idempotency_header)
		evhttp_add_header(headers, "Idempotent-Replayed", "true");
	/* http_send_json steals result. */
	http_send_json(submission->req, 201, result);
}

static void
web_api_done(const struct hub_answer *answer, void *arg)
{
	struct web_submission *submission = arg;

	submission->web->submissions_in_flight--;
	switch (answer->status) {
	case HUB_ANSWER_CREATED:
	case HUB_ANSWER_JOINED:
		web_api_stored(submission, answer);
		break;
	case HUB_ANSWER_REJECTED:
		log_debug("web", "rejected error=%s field=%s",
		    api_error_name(answer->error.code),
		    answer->error.field);
		web_api_reject(submission, &answer->error);
		break;
	case HUB_ANSWER_DROPPED:
		/* Only automatic messages are dropped, and the web channel
		 * sends none; answer like a failure if one ever is. */
		log_error("web", "submission dropped, nothing stored");
		web_api_reject_code(submission, HUB_ERR_UNAVAILABLE, "");
		break;
	case HUB_ANSWER_FAILED:
	default:
		log_error("web", "submission failed, nothing stored");
		web_api_reject_code(submission, HUB_ERR_UNAVAILABLE, "");
		break;
	}
	web_api_submission_free(submission);
}

/* The number of Idempotency-Key headers of req. */
static size_t
web_api_idempotency_count(struct evhttp_request *req)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
	struct evkeyval *header;
	size_t count = 0;

	TAILQ_FOREACH(header, headers, next) {
		if (strcasecmp(header->key, "Idempotency-Key") == 0)
			count++;
	}
	return count;
}

/* Checks the Idempotency-Key header: sent at most once, with 1 to 255
 * visible ASCII characters. A repeated header is rejected even with equal
 * values, because proxies may join or drop repeats and the key must be
 * unambiguous. Returns 0 when absent or valid, or -1 with error filled
 * in. */
static int
web_api_idempotency_header(struct evhttp_request *req, const char **key,
    struct hub_error *error)
{
	const char *value = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Idempotency-Key");
	size_t i, len;

	*key = value;
	if (value == NULL)
		return 0;
	if (web_api_idempotency_count(req) > 1) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "Idempotency-Key",
		    HUB_ERROR_REPEATED);
		return -1;
	}
	hub_error_set(error, HUB_ERR_INVALID_FIELD, "Idempotency-Key",
	    WEB_API_IDEMPOTENCY_KEY_MAX);
	len = strlen(value);
	if (len == 0 || len > WEB_API_IDEMPOTENCY_KEY_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (value[i] < '!' || value[i] > '~')
			return -1;
	}
	return 0;
}

static int
web_api_idempotency(struct hub_message *message, const char *key,
    const char *body, size_t len)
{
	if (hub_message_set(&message->idempotency_route,
	    WEB_ROUTE_SUBMIT) != 0 ||
	    hub_message_set(&message->idempotency_key, key) != 0)
		return -1;
	crypto_generichash(message->idempotency_body_hash,
	    sizeof message->idempotency_body_hash, (const unsigned char *)body,
	    len, NULL, 0);
	return 0;
}

/* Decodes the body of either kind into submission->intake. Returns 0, or
 * -1 with error; *key receives the idempotency key, NULL for none. */
static int
web_api_decode(struct web_submission *submission, const char *body,
    size_t len, char *form_key, size_t form_key_size, const char **key,
    struct hub_error *error)
{
	struct web_params params;
	int rc;

	if (!submission->form) {
		if (web_api_idempotency_header(submission->req, key,
		    error) != 0)
			return -1;
		submission->idempotency_header = *key != NULL;
		return web_json_decode(body, len, &submission->intake, error);
	}

	web_token_issue(submission->web, web_token_now(),
	    submission->token_text);
	if (web_query_parse(body, len, &params, error) != 0)
		return -1;
	rc = web_form_decode(submission->web, &params, &submission->intake,
	    &submission->token, submission->token_text, error);
	web_query_clear(&params);
	web_token_idempotency_key(&submission->token, form_key, form_key_size);
	*key = form_key;
	return rc;
}

/* Builds the message and hands it to the pipeline. */
static void
web_api_hand_over(struct web_submission *submission, const char *key,
    const char *body, size_t len)
{
	struct web *web = submission->web;
	char address[HTTP_ADDRESS_SIZE];
	struct hub_message *message;

	message = web_intake_message(&submission->intake);
	if (message == NULL || (key != NULL &&
	    web_api_idempotency(message, key, body, len) != 0) ||
	    hub_message_set(&message->client_address,
	    http_client_address(hub_channel_http(web->channel),
	    submission->req, address)) != 0) {
		hub_message_free(message);
		web_api_reject_code(submission, HUB_ERR_INTERNAL, "");
		web_api_submission_free(submission);
		return;
	}
	/* hub_channel_submit owns message from here, also on failure. */
	if (hub_channel_submit(web->channel, message, web_api_done,
	    submission) != 0) {
		web_api_reject_code(submission, HUB_ERR_UNAVAILABLE, "");
		web_api_submission_free(submission);
		return;
	}
	web->submissions_in_flight++;
}

static void
web_api_intake(struct web_submission *submission, const char *body,
    size_t len)
{
	char form_key[64];
	const char *key = NULL;
	struct hub_error error;

	if (web_api_decode(submission, body, len, form_key, sizeof form_key,
	    &key, &error) != 0 ||
	    web_intake_check(&submission->intake, &error) != 0) {
		web_api_reject(submission, &error);
		web_api_submission_free(submission);
		return;
	}
	web_api_hand_over(submission, key, body, len);
}

/* Checks the method, the state, the rate limit and the Content-Type.
 * Returns a new submission, or NULL when an error response was sent. */
static struct web_submission *
web_api_accept(struct web *web, struct evhttp_request *req)
{
	char type[WEB_API_CONTENT_TYPE_MAX];
	struct web_submission *submission;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		web_reply_error(req, HUB_ERR_METHOD_NOT_ALLOWED, "");
		return NULL;
	}
	if (web->stopped) {
		web_reply_error(req, HUB_ERR_UNAVAILABLE, "");
		return NULL;
	}
	if (!http_rate_limit(hub_channel_http(web->channel), req,
	    HTTP_LIMIT_SUBMIT))
		return NULL;
	http_content_type(req, type, sizeof type);
	if (strcmp(type, "application/json") != 0 &&
	    strcmp(type, "application/x-www-form-urlencoded") != 0) {
		web_reply_error(req, HUB_ERR_CONTENT_TYPE, "");
		return NULL;
	}
	submission = calloc(1, sizeof *submission);
	if (submission == NULL) {
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return NULL;
	}
	submission->web = web;
	submission->req = req;
	submission->form = strcmp(type, "application/json") != 0;
	submission->language = web_reply_language(req);
	return submission;
}

void
web_api_submit(struct evhttp_request *req, void *arg)
{
	struct web *web = arg;
	struct web_submission *submission;
	const char *body;
	size_t len;

	submission = web_api_accept(web, req);
	if (submission == NULL)
		return;
	if (http_request_body(hub_channel_http(web->channel), req, &body,
	    &len) != 0) {
		if (submission->form)
			web_token_issue(web, web_token_now(),
			    submission->token_text);
		web_api_reject_code(submission, HUB_ERR_BODY_TOO_LARGE, "");
		web_api_submission_free(submission);
		return;
	}
	web_api_intake(submission, body, len);
}

static void
web_api_ticket_send(struct evhttp_request *req, struct web_lookup *lookup)
{
	char seconds[32];
	json_t *result;

	if (lookup->error.code == HUB_ERR_RATE_LIMITED) {
		snprintf(seconds, sizeof seconds, "%ld", lookup->retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", seconds);
	}
	if (lookup->error.code != HUB_OK) {
		http_send_error(req, &lookup->error);
		return;
	}
	result = json_pack("{s:O}", "ticket", lookup->ticket);
	if (result != NULL && lookup->messages != NULL)
		json_object_set(result, "messages", lookup->messages);
	if (result == NULL) {
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	/* http_send_json steals result. */
	http_send_json(req, 200, result);
}

/* Decodes the code of a path under WEB_PATH_TICKET into code_text, and
 * sets *satisfaction when the path ends with WEB_PATH_SATISFACTION. Returns 0, or -1
 * when the code does not decode to a C string. */
static int
web_api_ticket_path(const char *path, char *code_text, size_t size,
    bool *satisfaction)
{
	size_t prefix = strlen(WEB_PATH_TICKET);
	size_t suffix = strlen(WEB_PATH_SATISFACTION);
	size_t length;
	long decoded;

	*satisfaction = false;
	if (path == NULL || strncmp(path, WEB_PATH_TICKET, prefix) != 0)
		return -1;
	path += prefix;
	length = strlen(path);
	if (length > suffix &&
	    strcmp(path + length - suffix, WEB_PATH_SATISFACTION) == 0) {
		*satisfaction = true;
		length -= suffix;
	}
	decoded = web_query_decode(path, length, false, code_text, size);
	/* A decoded NUL ("%00") would end the code early as a C string. */
	if (decoded < 0 || (size_t)decoded != strlen(code_text))
		return -1;
	return 0;
}

void
web_api_ticket(struct evhttp_request *req, void *arg)
{
	struct web *web = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	char code_text[WEB_API_CODE_TEXT_MAX];
	char address[HTTP_ADDRESS_SIZE];
	struct web_params query;
	struct web_lookup lookup;
	struct hub_error error;
	bool satisfaction;
	int rc;

	rc = web_api_ticket_path(path, code_text, sizeof code_text,
	    &satisfaction);
	if (rc == 0 && satisfaction) {
		web_rating_api(web, req, code_text);
		return;
	}
	if (!web_reply_method_get(req) ||
	    !http_rate_limit(hub_channel_http(web->channel), req,
	    HTTP_LIMIT_LOOKUP))
		return;
	if (rc != 0) {
		web_reply_error(req, HUB_ERR_NOT_FOUND, "code");
		return;
	}
	if (web_query_parse_request(req, &query, &error) != 0) {
		http_send_error(req, &error);
		return;
	}
	web_lookup_run(web, code_text, &query,
	    http_client_address(hub_channel_http(web->channel), req, address),
	    &lookup);
	web_api_ticket_send(req, &lookup);
	web_lookup_clear(&lookup);
	web_query_clear(&query);
}
