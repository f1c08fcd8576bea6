#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_sendq.h"

#define API_OPS_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Sends 405 unless the request is a GET or a HEAD. Returns true when the
 * handler may go on. */
static bool
api_ops_read_only(struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct hub_error error;

	if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, HEAD");
	hub_error_set(&error, HUB_ERR_METHOD_NOT_ALLOWED, path, 0);
	http_send_error(req, &error);
	return false;
}

static void
api_ops_healthz(struct evhttp_request *req, void *arg)
{
	if (!api_ops_read_only(req, "/healthz"))
		return;
	http_send_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void
api_ops_readyz(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	const char *reason = NULL;

	if (!api_ops_read_only(req, "/readyz"))
		return;
	if (api->readiness != NULL)
		reason = api->readiness(api->readiness_arg);
	if (reason == NULL) {
		http_send_json(req, 200, json_pack("{s:s}", "status", "ready"));
		return;
	}
	http_send_json(req, 503, json_pack("{s:s, s:s}", "status", "not ready",
	    "reason", reason));
}

static void
api_ops_metrics(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	int64_t depth;
	char *text;

	if (!api_ops_read_only(req, "/metrics"))
		return;
	if (api->store != NULL) {
		if (store_outbox_depth(api->store, &depth) == 0)
			metrics_set_outbox_depth(api->metrics, depth);
		else
			log_warn("http", "cannot read the outbox depth for "
			    "/metrics; the gauge keeps its last value");
		if (store_sendq_depth(api->store, &depth) == 0)
			metrics_set_send_queue_depth(api->metrics, depth);
		else
			log_warn("http", "cannot read the send queue depth for "
			    "/metrics; the gauge keeps its last value");
	}

	text = metrics_render(api->metrics);
	if (text == NULL) {
		struct hub_error error;

		log_error("http", "cannot render the metrics: out of memory");
		hub_error_set(&error, HUB_ERR_INTERNAL, NULL, 0);
		http_send_error(req, &error);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	http_send_text(req, 200, API_OPS_METRICS_TYPE, text, strlen(text));
	free(text);
}

int
api_ops_mount(struct api_context *api, char *err, size_t err_size)
{
	static const struct {
		const char *path;
		http_handler_fn handler;
	} routes[] = {
		{ "/healthz", api_ops_healthz },
		{ "/readyz", api_ops_readyz },
		{ "/metrics", api_ops_metrics },
	};

	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (http_server_route(api->http, "core", routes[i].path,
		    HTTP_ROUTE_EXACT, routes[i].handler, api) != 0) {
			snprintf(err, err_size, "cannot mount %s: the path is "
			    "taken", routes[i].path);
			return -1;
		}
	}
	return 0;
}
