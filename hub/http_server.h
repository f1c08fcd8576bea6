/*
 * The HTTP server (evhttp) shared by the core API and the channel modules:
 * a route table, the client address behind trusted proxies, per-address rate
 * limits, request metrics, and replies in JSON with errors in Vietnamese and
 * English.
 *
 * Every reply goes through http_send_* so that the in-flight count, used to
 * finish requests on SIGTERM, and the metrics stay right.
 */
#ifndef HUB_HTTP_SERVER_H
#define HUB_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <jansson.h>

#include "message.h"

struct event_base;
struct evhttp_request;
struct hub_config;
struct metrics;
struct http_server;

typedef void (*http_handler_fn)(struct evhttp_request *req, void *arg);

enum http_route_flags {
	HTTP_ROUTE_EXACT = 0,
	HTTP_ROUTE_PREFIX = 1,	/* path is a prefix ending in '/' */
};

enum http_limit_kind {
	HTTP_LIMIT_SUBMIT,	/* creating tickets */
	HTTP_LIMIT_LOOKUP,	/* reading a ticket's status */
};

#define HTTP_ADDRESS_SIZE INET6_ADDRSTRLEN

/* Creates the server on base with the limits of config (body and header
 * sizes, timeout, trusted proxies, rate limits). Returns NULL with a message
 * in err. */
struct http_server *http_server_new(struct event_base *base,
    const struct hub_config *config, struct metrics *metrics, char *err,
    size_t err_size);

/* Binds address:port. Returns 0, or -1 with a message in err. */
int http_server_listen(struct http_server *server, const char *address,
    uint16_t port, char *err, size_t err_size);

/* The port of the first listening socket, as bound (for port 0, the one
 * the kernel chose). Returns 0 when the server does not listen. */
uint16_t http_server_port(const struct http_server *server);

/* Adds a route. channel labels the metrics ("core" for the hub's own API).
 * An exact route wins over a prefix route; the longest prefix wins. Returns
 * 0, or -1 when the path is taken. */
int http_server_route(struct http_server *server, const char *channel,
    const char *path, enum http_route_flags flags, http_handler_fn handler,
    void *arg);

/* Makes every reply from now on close its connection, so that clients
 * reconnect elsewhere while the server still takes requests. */
void http_server_begin_stop(struct http_server *server);

/* Closes the listening sockets; requests on connections already accepted
 * still finish, and their replies close the connection. */
void http_server_stop_accepting(struct http_server *server);

/* Requests received and not yet answered. */
size_t http_server_in_flight(const struct http_server *server);

void http_server_free(struct http_server *server);

/* The client's address: the peer, or when the peer is a trusted proxy the
 * rightmost X-Forwarded-For entry that is not a trusted proxy. */
const char *http_client_address(struct http_server *server,
    struct evhttp_request *req, char out[HTTP_ADDRESS_SIZE]);

/* Takes one token from the client's bucket of kind. Returns true when the
 * request may go on; otherwise it has sent 429 with Retry-After. */
bool http_rate_limit(struct http_server *server, struct evhttp_request *req,
    enum http_limit_kind kind);

/* The reader's language: "en" when the query has lang=en, else "vi".
 * Accept-Language is not followed. */
const char *http_request_language(struct evhttp_request *req);

/* The request body made contiguous. Returns 0, or -1 when the body is over
 * the configured limit (the caller answers HUB_ERR_BODY_TOO_LARGE). */
int http_request_body(struct http_server *server, struct evhttp_request *req,
    const char **data, size_t *len);

/* The media type of Content-Type without parameters, lower case, in out. */
void http_content_type(struct evhttp_request *req, char *out, size_t size);

/* Sends body (reference stolen) as application/json. */
void http_send_json(struct evhttp_request *req, int status, json_t *body);

/* Sends text with the given Content-Type. */
void http_send_text(struct evhttp_request *req, int status,
    const char *content_type, const char *text, size_t len);

/* Sends a redirect (303 See Other) to location. */
void http_send_redirect(struct evhttp_request *req, const char *location);

/* Sends {"error": {"code", "field", "limit", "message": {"vi", "en"}}} with
 * the status that belongs to the code. */
void http_send_error(struct evhttp_request *req, const struct hub_error *error);

#endif
