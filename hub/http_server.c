#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "api_error.h"
#include "config.h"
#include "http_internal.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"

#define HTTP_CONTEXT_BUCKETS 1024

/* The methods passed on to the routes' handlers. */
#define HTTP_SERVER_ROUTE_METHODS \
	"GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH"

/*
 * Contexts of the requests in flight, found by request pointer, because
 * http_send_* receive only the request. Every server runs on the main
 * thread, so one table serves them all without a lock.
 */
static struct http_request_context *http_server_contexts[HTTP_CONTEXT_BUCKETS];

static size_t
http_server_context_bucket(const struct evhttp_request *req)
{
	uintptr_t value = (uintptr_t)req;

	return (size_t)((value >> 4) ^ (value >> 14)) % HTTP_CONTEXT_BUCKETS;
}

struct http_request_context *
http_server_context_find(struct evhttp_request *req)
{
	struct http_request_context *context;

	context = http_server_contexts[http_server_context_bucket(req)];
	while (context != NULL && context->req != req)
		context = context->hash_next;
	return context;
}

static void
http_server_context_add(struct http_request_context *context)
{
	struct http_server *server = context->server;
	size_t bucket = http_server_context_bucket(context->req);

	context->hash_next = http_server_contexts[bucket];
	http_server_contexts[bucket] = context;

	context->next = server->requests;
	if (server->requests != NULL)
		server->requests->previous = context;
	server->requests = context;
	server->in_flight++;
}

static void
http_server_context_remove(struct http_request_context *context)
{
	struct http_server *server = context->server;
	struct http_request_context **slot;

	slot = &http_server_contexts[http_server_context_bucket(context->req)];
	while (*slot != context)
		slot = &(*slot)->hash_next;
	*slot = context->hash_next;

	if (context->previous != NULL)
		context->previous->next = context->next;
	else
		server->requests = context->next;
	if (context->next != NULL)
		context->next->previous = context->previous;
	server->in_flight--;
}

/* Ends a request: counts it in the metrics and frees its context. */
static void
http_server_context_finish(struct http_request_context *context)
{
	struct http_server *server = context->server;

	if (server->metrics != NULL)
		metrics_http_request(server->metrics, context->channel,
		    context->route, context->status);
	http_server_context_remove(context);
	free(context);
}

void
http_server_context_reply(struct evhttp_request *req, int status)
{
	struct http_request_context *context = http_server_context_find(req);

	if (context == NULL)
		return;
	context->status = status;
	context->replied = true;

	/* libevent frees a detached request on reply without calling its
	 * completion callback, so the request ends here. */
	if (evhttp_request_get_connection(req) == NULL)
		http_server_context_finish(context);
}

static void
http_server_request_complete(struct evhttp_request *req, void *arg)
{
	http_server_context_finish(arg);
}

/*
 * Runs when libevent frees a connection. A request whose reply was under
 * way is freed with it, without its completion callback, so it ends here.
 * A request without a reply yet has been detached from the connection and
 * stays in flight until its handler replies.
 */
static void
http_server_connection_close(struct evhttp_connection *connection, void *arg)
{
	struct http_server *server = arg;
	struct http_request_context *context, *next;

	for (context = server->requests; context != NULL; context = next) {
		next = context->next;
		if (context->connection != connection)
			continue;
		if (context->replied)
			http_server_context_finish(context);
		else
			context->connection = NULL;
	}
}

static struct http_request_context *
http_server_context_start(struct http_server *server,
    struct evhttp_request *req, const struct http_route *route)
{
	struct http_request_context *context = calloc(1, sizeof *context);

	if (context == NULL)
		return NULL;
	context->server = server;
	context->req = req;
	context->connection = evhttp_request_get_connection(req);
	context->channel = route != NULL ? route->channel : "core";
	context->route = route != NULL ? route->path : "unmatched";
	context->status = 500;
	http_server_context_add(context);

	evhttp_request_set_on_complete_cb(req, http_server_request_complete,
	    context);
	if (context->connection != NULL)
		evhttp_connection_set_closecb(context->connection,
		    http_server_connection_close, server);
	return context;
}

/* The exact route for path, else the longest prefix route, else NULL. */
static const struct http_route *
http_server_match(const struct http_server *server, const char *path)
{
	const struct http_route *best = NULL;
	const struct http_route *route;

	for (size_t i = 0; i < server->route_count; i++) {
		route = &server->routes[i];
		if (route->flags == HTTP_ROUTE_EXACT &&
		    strcmp(route->path, path) == 0)
			return route;
		if (route->flags == HTTP_ROUTE_PREFIX &&
		    strncmp(route->path, path, route->path_length) == 0 &&
		    (best == NULL || route->path_length > best->path_length))
			best = route;
	}
	return best;
}

static const char *
http_server_request_path(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

	return path != NULL && path[0] != '\0' ? path : "/";
}

/*
 * Sends 400 invalid_field naming header, a header that frames the body
 * ambiguously, and closes the connection, because the bytes after this
 * request cannot be trusted to start the next one.
 */
static void
http_server_reject_framing(struct evhttp_request *req, const char *header)
{
	struct hub_error error;
	json_t *detail;
	json_t *body = NULL;

	log_trace(LOG_TRACE_HTTP, "http", "rejected ambiguous body framing "
	    "header=%s", header);
	hub_error_set(&error, HUB_ERR_INVALID_FIELD, header, 0);
	detail = api_error_json(&error);
	/* json_pack's "o" steals detail, also when packing fails. */
	if (detail != NULL)
		body = json_pack("{s:o}", "error", detail);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
	    "close");
	http_send_json(req, 400, body);
}

/*
 * Sends 405 to TRACE and CONNECT on every path, so that no handler
 * echoes a TRACE or acts as a proxy. A CONNECT names a host and port rather
 * than a path, so it rarely matches a route.
 * NOTE: the dispatcher does not know which methods each route serves, so
 * Allow lists every method that the server passes on to its routes.
 */
static bool
http_server_method_rejected(struct evhttp_request *req)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct hub_error error;

	if (method != EVHTTP_REQ_TRACE && method != EVHTTP_REQ_CONNECT)
		return false;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    HTTP_SERVER_ROUTE_METHODS);
	hub_error_set(&error, HUB_ERR_METHOD_NOT_ALLOWED, NULL, 0);
	/* NOTE: libevent 2.1.12 keeps the connection open after a reply to
	 * CONNECT, whatever the Connection headers contain, and reads the next
	 * bytes as another request. */
	http_send_error(req, &error);
	return true;
}

/*
 * Requests whose body framing is ambiguous get a 400 and a closed
 * connection before anything else. Bodies over http_max_body_bytes get a
 * JSON 413 from here before any handler runs. libevent itself gets a hard
 * cap of four times that limit, because it replies to bodies over its own
 * cap with a plain HTML 413 that libevent 2.1 offers no way to replace. Only
 * bodies over the hard cap get that plain 413.
 *
 * Routes are matched on the path as received, still percent-encoded, so an
 * encoded NUL cannot cut a path short. Decoding is left to the handlers.
 */
static void
http_server_dispatch(struct evhttp_request *req, void *arg)
{
	struct http_server *server = arg;
	const char *path = http_server_request_path(req);
	const struct http_route *route = http_server_match(server, path);
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	const char *framing_error;
	struct hub_error error;

	if (http_server_context_start(server, req, route) == NULL) {
		log_error("http", "cannot track request: out of memory path=%s",
		    route != NULL ? route->path : "unmatched");
		evhttp_send_error(req, 503, NULL);
		return;
	}

	framing_error = http_request_framing_error(req);
	if (framing_error != NULL) {
		http_server_reject_framing(req, framing_error);
		return;
	}
	if (evbuffer_get_length(body) > server->max_body_bytes) {
		hub_error_set(&error, HUB_ERR_BODY_TOO_LARGE, NULL,
		    (long)server->max_body_bytes);
		http_send_error(req, &error);
		return;
	}
	if (http_server_method_rejected(req))
		return;
	if (route == NULL) {
		hub_error_set(&error, HUB_ERR_NOT_FOUND, NULL, 0);
		http_send_error(req, &error);
		return;
	}
	route->handler(req, route->arg);
}

/* Parses a NULL-terminated list of numeric addresses from the config. */
static int
http_server_parse_addresses(char **texts, const char *key,
    struct http_address **list, size_t *count, char *err, size_t err_size)
{
	size_t n = 0;

	while (texts != NULL && texts[n] != NULL)
		n++;
	*count = 0;
	*list = NULL;
	if (n == 0)
		return 0;

	*list = calloc(n, sizeof **list);
	if (*list == NULL) {
		snprintf(err, err_size, "out of memory reading %s", key);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (http_address_parse(texts[i], &(*list)[i]) != 0) {
			snprintf(err, err_size, "%s[%zu]: \"%s\" is not a numeric "
			    "IPv4 or IPv6 address", key, i, texts[i]);
			return -1;
		}
	}
	*count = n;
	return 0;
}

static int
http_server_setup_limits(struct http_server *server,
    const struct hub_config *config, char *err, size_t err_size)
{
	server->per_minute[HTTP_LIMIT_SUBMIT] = config->rate_submit_per_minute;
	server->per_minute[HTTP_LIMIT_LOOKUP] = config->rate_lookup_per_minute;

	for (int kind = HTTP_LIMIT_SUBMIT; kind <= HTTP_LIMIT_LOOKUP; kind++) {
		int per_minute = server->per_minute[kind];

		server->limits[kind] = ratelimit_new(per_minute,
		    per_minute > 0 ? per_minute : 1, HTTP_RATELIMIT_KEYS_MAX);
		if (server->limits[kind] == NULL) {
			snprintf(err, err_size, "cannot create the rate limit "
			    "(%d per minute)", per_minute);
			return -1;
		}
	}
	return http_server_parse_addresses(config->rate_exempt,
	    "rate_limits.exempt", &server->rate_exempt,
	    &server->rate_exempt_count, err, err_size);
}

static void
http_server_setup_evhttp(struct http_server *server,
    const struct hub_config *config)
{
	size_t hard_cap = config->http_max_body_bytes;

	if (hard_cap <= (size_t)INT64_MAX / 4)
		hard_cap *= 4;
	evhttp_set_max_body_size(server->evhttp, (ev_ssize_t)hard_cap);
	if (config->http_max_header_bytes > 0)
		evhttp_set_max_headers_size(server->evhttp,
		    (ev_ssize_t)config->http_max_header_bytes);
	if (config->http_timeout_seconds > 0)
		evhttp_set_timeout(server->evhttp, config->http_timeout_seconds);
	/* Every method that libevent 2.1.12 parses, so that the dispatcher
	 * and the routes reply to them in JSON instead of libevent's HTML 501.
	 * libevent rejects any other method itself, with a plain HTML 501,
	 * because it gives such requests a private type that no allowed-method
	 * mask can name. */
	evhttp_set_allowed_methods(server->evhttp, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(server->evhttp, http_server_dispatch, server);
}

struct http_server *
http_server_new(struct event_base *base, const struct hub_config *config,
    struct metrics *metrics, char *err, size_t err_size)
{
	struct http_server *server = calloc(1, sizeof *server);

	if (server == NULL) {
		snprintf(err, err_size, "out of memory creating the HTTP server");
		return NULL;
	}
	server->base = base;
	server->metrics = metrics;
	server->max_body_bytes = config->http_max_body_bytes;

	server->evhttp = evhttp_new(base);
	if (server->evhttp == NULL) {
		snprintf(err, err_size, "evhttp_new failed");
		goto fail;
	}
	http_server_setup_evhttp(server, config);

	if (http_server_parse_addresses(config->trusted_proxies,
	    "http.trusted_proxies", &server->trusted_proxies,
	    &server->trusted_proxy_count, err, err_size) != 0)
		goto fail;
	if (http_server_setup_limits(server, config, err, err_size) != 0)
		goto fail;
	return server;

fail:
	http_server_free(server);
	return NULL;
}

/* How long a listener pauses after accept() failed with an error that is
 * not retriable at once, such as EMFILE or ENFILE. Without the pause,
 * libevent retries on every loop and the loop spins. */
#define HTTP_ACCEPT_PAUSE_MS 1000

static void
http_server_accept_resume(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	evconnlistener_enable(arg);
}

/* The listeners' timers. The error callback gets evhttp's argument, not
 * one of ours, so it finds its timer here. Only the main thread listens. */
static struct {
	struct evconnlistener *listener;
	struct event *timer;
} http_server_pauses[2 * HTTP_LISTEN_MAX];

static struct event *
http_server_pause_timer(const struct evconnlistener *listener)
{
	for (size_t i = 0; i < 2 * HTTP_LISTEN_MAX; i++)
		if (http_server_pauses[i].listener == listener)
			return http_server_pauses[i].timer;
	return NULL;
}

/* Returns 0, or -1 when every entry is taken. */
static int
http_server_pause_register(struct evconnlistener *listener,
    struct event *timer)
{
	for (size_t i = 0; i < 2 * HTTP_LISTEN_MAX; i++) {
		if (http_server_pauses[i].listener == NULL) {
			http_server_pauses[i].listener = listener;
			http_server_pauses[i].timer = timer;
			return 0;
		}
	}
	return -1;
}

static void
http_server_pause_unregister(const struct evconnlistener *listener)
{
	for (size_t i = 0; i < 2 * HTTP_LISTEN_MAX; i++) {
		if (http_server_pauses[i].listener == listener) {
			http_server_pauses[i].listener = NULL;
			http_server_pauses[i].timer = NULL;
		}
	}
}

static void
http_server_accept_error(struct evconnlistener *listener, void *arg)
{
	struct event *timer = http_server_pause_timer(listener);
	const struct timeval pause = {
		.tv_sec = HTTP_ACCEPT_PAUSE_MS / 1000,
		.tv_usec = HTTP_ACCEPT_PAUSE_MS % 1000 * 1000,
	};
	int error = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (timer == NULL)
		return;
	evconnlistener_disable(listener);
	evtimer_add(timer, &pause);
	log_warn("http", "accept() failed: %s, pausing the listener for %d ms",
	    evutil_socket_error_to_string(error), HTTP_ACCEPT_PAUSE_MS);
}

/* Gives socket's listener the accept error callback and its timer.
 * Returns 0 or -1. */
static int
http_server_accept_pause_setup(struct http_server *server, size_t index)
{
	struct evconnlistener *listener =
	    evhttp_bound_socket_get_listener(server->sockets[index]);
	struct event *timer = evtimer_new(server->base,
	    http_server_accept_resume, listener);

	if (timer == NULL)
		return -1;
	if (http_server_pause_register(listener, timer) != 0) {
		event_free(timer);
		return -1;
	}
	server->accept_timers[index] = timer;
	evconnlistener_set_error_cb(listener, http_server_accept_error);
	return 0;
}

int
http_server_listen(struct http_server *server, const char *address,
    uint16_t port, char *err, size_t err_size)
{
	struct evhttp_bound_socket *socket;

	if (server->socket_count == HTTP_LISTEN_MAX) {
		snprintf(err, err_size, "cannot listen on %s:%u: at most %d "
		    "listening addresses", address, port, HTTP_LISTEN_MAX);
		return -1;
	}
	socket = evhttp_bind_socket_with_handle(server->evhttp, address, port);
	if (socket == NULL) {
		snprintf(err, err_size, "cannot listen on %s:%u: %s", address,
		    port, strerror(errno));
		return -1;
	}
	server->sockets[server->socket_count] = socket;
	if (http_server_accept_pause_setup(server, server->socket_count) != 0) {
		evhttp_del_accept_socket(server->evhttp, socket);
		snprintf(err, err_size, "cannot listen on %s:%u: out of memory "
		    "or too many listeners", address, port);
		return -1;
	}
	server->socket_count++;
	return 0;
}

uint16_t
http_server_port(const struct http_server *server)
{
	struct sockaddr_storage address;
	socklen_t length = sizeof address;
	evutil_socket_t fd;

	if (server->socket_count == 0)
		return 0;
	fd = evhttp_bound_socket_get_fd(server->sockets[0]);
	if (getsockname(fd, (struct sockaddr *)&address, &length) != 0)
		return 0;
	if (address.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&address)->sin_port);
	if (address.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
	return 0;
}

static bool
http_server_route_taken(const struct http_server *server, const char *path,
    enum http_route_flags flags)
{
	for (size_t i = 0; i < server->route_count; i++) {
		if (server->routes[i].flags == flags &&
		    strcmp(server->routes[i].path, path) == 0)
			return true;
	}
	return false;
}

int
http_server_route(struct http_server *server, const char *channel,
    const char *path, enum http_route_flags flags, http_handler_fn handler,
    void *arg)
{
	struct http_route *route;
	size_t length = strlen(path);

	if (path[0] != '/' || server->route_count == HTTP_ROUTES_MAX ||
	    http_server_route_taken(server, path, flags))
		return -1;
	if (flags == HTTP_ROUTE_PREFIX && path[length - 1] != '/')
		return -1;

	route = &server->routes[server->route_count];
	route->channel = strdup(channel);
	route->path = strdup(path);
	if (route->channel == NULL || route->path == NULL) {
		free(route->channel);
		free(route->path);
		memset(route, 0, sizeof *route);
		return -1;
	}
	route->path_length = length;
	route->flags = flags;
	route->handler = handler;
	route->arg = arg;
	server->route_count++;
	return 0;
}

void
http_server_begin_stop(struct http_server *server)
{
	server->stopping = true;
}

void
http_server_stop_accepting(struct http_server *server)
{
	for (size_t i = 0; i < server->socket_count; i++) {
		http_server_pause_unregister(
		    evhttp_bound_socket_get_listener(server->sockets[i]));
		evhttp_del_accept_socket(server->evhttp, server->sockets[i]);
		event_free(server->accept_timers[i]);
		server->accept_timers[i] = NULL;
	}
	server->socket_count = 0;
	server->stopping = true;
}

size_t
http_server_in_flight(const struct http_server *server)
{
	return server->in_flight;
}

void
http_server_free(struct http_server *server)
{
	if (server == NULL)
		return;

	/* Free the contexts first, because evhttp_free closes the
	 * connections and their close callbacks would otherwise walk this list. */
	while (server->requests != NULL) {
		struct http_request_context *context = server->requests;

		http_server_context_remove(context);
		free(context);
	}
	for (size_t i = 0; i < server->socket_count; i++) {
		http_server_pause_unregister(
		    evhttp_bound_socket_get_listener(server->sockets[i]));
		event_free(server->accept_timers[i]);
	}
	if (server->evhttp != NULL)
		evhttp_free(server->evhttp);

	for (size_t i = 0; i < server->route_count; i++) {
		free(server->routes[i].channel);
		free(server->routes[i].path);
	}
	ratelimit_free(server->limits[HTTP_LIMIT_SUBMIT]);
	ratelimit_free(server->limits[HTTP_LIMIT_LOOKUP]);
	free(server->trusted_proxies);
	free(server->rate_exempt);
	free(server);
}
