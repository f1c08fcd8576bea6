#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "web.h"

const char *
web_reply_language(struct evhttp_request *req)
{
	struct web_params query;
	struct hub_error error;
	const char *lang;
	bool vietnamese;

	/* An invalid query leaves query empty, so the header decides. */
	(void)web_query_parse_request(req, &query, &error);
	lang = web_query_get(&query, "lang");
	vietnamese = lang != NULL && strcmp(lang, "vi") == 0;
	web_query_clear(&query);
	return vietnamese ? "vi" : http_request_language(req);
}

void
web_reply_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field)
{
	struct hub_error error;

	hub_error_set(&error, code, field, 0);
	http_send_error(req, &error);
}

bool
web_reply_method_get(struct evhttp_request *req)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, HEAD");
	web_reply_error(req, HUB_ERR_METHOD_NOT_ALLOWED, "");
	return false;
}

void
web_reply_page_headers(struct evhttp_request *req)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);

	evhttp_add_header(headers, "Content-Security-Policy",
	    "default-src 'none'; style-src 'self'; img-src 'self'; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
	/* Status page addresses carry an access token. */
	evhttp_add_header(headers, "Referrer-Policy", "no-referrer");
	evhttp_add_header(headers, "Cache-Control", "no-store");
}

void
web_reply_page(struct web *web, struct evhttp_request *req, int status,
    const char *language, const char *name, const json_t *vars)
{
	char *text = hub_channel_render(web->channel, language, name, vars);

	if (text == NULL) {
		log_error("web", "failed to render template=%s language=%s: %s",
		    name, language, strerror(errno));
		web_reply_error(req, HUB_ERR_INTERNAL, "");
		return;
	}
	web_reply_page_headers(req);
	http_send_text(req, status, "text/html; charset=utf-8", text,
	    strlen(text));
	free(text);
}
