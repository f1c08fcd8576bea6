/*
 * Internals shared by the files of the HTTP server (http_server.c,
 * http_request.c, http_reply.c). Nothing outside them includes this.
 */
#ifndef HUB_HTTP_INTERNAL_H
#define HUB_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_server.h"

#define HTTP_ROUTES_MAX 256
#define HTTP_LISTEN_MAX 8
#define HTTP_RATELIMIT_KEYS_MAX 100000

struct evhttp;
struct evhttp_bound_socket;
struct evhttp_connection;
struct ratelimit;

/* An IP address in binary: IPv4 is kept as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), so that both spellings of one client compare equal. */
struct http_address {
	uint8_t bytes[16];
};

struct http_route {
	char *channel;
	char *path;
	size_t path_length;
	enum http_route_flags flags;
	http_handler_fn handler;
	void *arg;
};

/* A request between dispatch and the end of its reply. */
struct http_request_context {
	struct http_server *server;
	struct evhttp_request *req;
	/* NULL once libevent has detached the request from its connection
	 * (the client went away before the reply). */
	struct evhttp_connection *connection;
	const char *channel;	/* metric labels, owned by the route table */
	const char *route;
	int status;
	bool replied;

	struct http_request_context *previous;	/* server's list */
	struct http_request_context *next;
	struct http_request_context *hash_next;	/* lookup by req */
};

struct http_server {
	struct event_base *base;
	struct evhttp *evhttp;
	struct metrics *metrics;
	size_t max_body_bytes;

	struct http_route routes[HTTP_ROUTES_MAX];
	size_t route_count;
	struct evhttp_bound_socket *sockets[HTTP_LISTEN_MAX];
	size_t socket_count;
	/* Re-enable a listener that accept() errors paused. */
	struct event *accept_timers[HTTP_LISTEN_MAX];

	struct http_address *trusted_proxies;
	size_t trusted_proxy_count;
	struct http_address *rate_exempt;
	size_t rate_exempt_count;
	struct ratelimit *limits[2];	/* by enum http_limit_kind */
	int per_minute[2];

	struct http_request_context *requests;
	size_t in_flight;
	bool stopping;		/* shutting down: replies close */
};

/* Parses a numeric IPv4 or IPv6 address. Returns 0 or -1. */
int http_address_parse(const char *text, struct http_address *address);

/* Writes address as text: dotted IPv4 for mapped addresses. */
void http_address_format(const struct http_address *address,
    char out[HTTP_ADDRESS_SIZE]);

bool http_address_in(const struct http_address *address,
    const struct http_address *list, size_t count);

/* Checks the headers that frame the body of req. Returns NULL when they are
 * unambiguous, else the name of the header to blame: "Content-Length" when
 * it is repeated, not a plain decimal number or sent together with
 * Transfer-Encoding, and "Transfer-Encoding" when that header is repeated or
 * its value is not "chunked" (compared without case, as libevent does). */
const char *http_request_framing_error(struct evhttp_request *req);

/* The context of req, or NULL when the request is not tracked. */
struct http_request_context *http_server_context_find(
    struct evhttp_request *req);

/* Records the status of the reply to req, just before the reply is handed
 * to libevent. */
void http_server_context_reply(struct evhttp_request *req, int status);

#endif
