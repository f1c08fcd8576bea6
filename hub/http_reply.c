#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api_error.h"
#include "http_internal.h"
#include "log.h"

/* A fixed body for when even the error body cannot be built. */
#define HTTP_REPLY_FALLBACK \
	"{\"error\":{\"code\":\"internal_error\",\"message\":{" \
	"\"vi\":\"Hệ thống gặp lỗi nội bộ. Hãy thử lại sau ít phút.\"," \
	"\"en\":\"The service hit an internal error. Try again in a few " \
	"minutes.\"}}}"

#define HTTP_REPLY_CSP "default-src 'self'; style-src 'self' " \
	"'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"

/* Reason phrases, because libevent 2.1 has none for 422 and 429. */
static const char *
http_reply_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* Adds a header unless the handler already set one of that name. */
static void
http_reply_default_header(struct evhttp_request *req, const char *name,
    const char *value)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);

	if (evhttp_find_header(headers, name) == NULL)
		evhttp_add_header(headers, name, value);
}

/* Hands the reply to libevent. body may be NULL for none. */
static void
http_reply_send(struct evhttp_request *req, int status, struct evbuffer *body)
{
	struct http_request_context *context = http_server_context_find(req);

	http_reply_default_header(req, "X-Content-Type-Options", "nosniff");
	http_reply_default_header(req, "Referrer-Policy", "no-referrer");
	/* While the daemon stops, a kept-alive connection is closed after
	 * its reply, so that its client reconnects to a running instance. */
	if (context != NULL && context->server->stopping)
		http_reply_default_header(req, "Connection", "close");

	/* libevent 2.1.12 writes the body of a reply to HEAD, so it is left
	 * out here and only its length announced. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD && body != NULL) {
		char length[32];

		snprintf(length, sizeof length, "%zu", evbuffer_get_length(body));
		http_reply_default_header(req, "Content-Length", length);
		body = NULL;
	}

	http_server_context_reply(req, status);
	evhttp_send_reply(req, status, http_reply_reason(status), body);
}

static void
http_reply_bytes(struct evhttp_request *req, int status, const char *data,
    size_t length)
{
	struct evbuffer *body = evbuffer_new();

	if (body == NULL || evbuffer_add(body, data, length) != 0) {
		log_error("http", "cannot build a reply body: out of memory "
		    "status=%d bytes=%zu", status, length);
		if (body != NULL)
			evbuffer_free(body);
		http_reply_send(req, 500, NULL);
		return;
	}
	http_reply_send(req, status, body);
	evbuffer_free(body);
}

static void
http_reply_fallback(struct evhttp_request *req)
{
	http_reply_default_header(req, "Content-Type",
	    "application/json; charset=utf-8");
	http_reply_default_header(req, "Cache-Control", "no-store");
	http_reply_bytes(req, 500, HTTP_REPLY_FALLBACK,
	    strlen(HTTP_REPLY_FALLBACK));
}

void
http_send_json(struct evhttp_request *req, int status, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);	/* the caller's reference is stolen */
	http_reply_default_header(req, "Content-Type",
	    "application/json; charset=utf-8");
	http_reply_default_header(req, "Cache-Control", "no-store");

	if (text == NULL) {
		log_error("http", "cannot encode a JSON reply status=%d", status);
		http_reply_fallback(req);
		return;
	}
	http_reply_bytes(req, status, text, strlen(text));
	free(text);
}

void
http_send_text(struct evhttp_request *req, int status,
    const char *content_type, const char *text, size_t len)
{
	http_reply_default_header(req, "Content-Type", content_type);
	if (strncmp(content_type, "text/html", 9) == 0) {
		/* Pages carry form tokens and status links with access
		 * tokens: no cache may keep them. */
		http_reply_default_header(req, "Content-Security-Policy",
		    HTTP_REPLY_CSP);
		http_reply_default_header(req, "Cache-Control", "no-store");
	}
	http_reply_bytes(req, status, text, len);
}

void
http_send_redirect(struct evhttp_request *req, const char *location)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);

	evhttp_remove_header(headers, "Location");
	evhttp_add_header(headers, "Location", location);
	http_reply_default_header(req, "Cache-Control", "no-store");
	http_reply_send(req, 303, NULL);
}

void
http_send_error(struct evhttp_request *req, const struct hub_error *error)
{
	json_t *detail = api_error_json(error);
	json_t *body = NULL;

	/* json_pack's "o" steals detail, also when packing fails. */
	if (detail != NULL)
		body = json_pack("{s:o}", "error", detail);
	if (body == NULL) {
		log_error("http", "cannot build an error reply code=%s",
		    api_error_name(error->code));
		http_reply_fallback(req);
		return;
	}
	http_send_json(req, api_error_status(error->code), body);
}
