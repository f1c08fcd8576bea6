/*
 * HTTP client: outgoing HTTP and HTTPS requests on the main thread, driven by
 * libcurl's multi interface on the main event_base, so that many requests
 * share the loop and the connection cache without a thread each.
 *
 * curl_global_init(CURL_GLOBAL_DEFAULT) must be called once, before any
 * other thread starts and before http_client_new; the daemon does it at
 * start-up.
 *
 * Requests use only http:// and https:// and do not follow redirects. A
 * response whose body exceeds the client's maximum response size fails.
 * libcurl's own messages go to the log at debug level under the "curl" trace
 * flag. Request and response headers and bodies are never logged, because
 * they may carry tokens.
 *
 * Every function here runs on the thread that runs the client's event_base.
 */
#ifndef HUB_HTTP_CLIENT_H
#define HUB_HTTP_CLIENT_H

#include <stddef.h>

struct event_base;
struct http_client;

/* Default maximum size of a response body, in bytes. */
#define HTTP_CLIENT_MAX_RESPONSE_DEFAULT (1024 * 1024)
/* Maximum number of request headers, and of bytes in one header line. */
#define HTTP_CLIENT_HEADERS_MAX 64
#define HTTP_CLIENT_HEADER_LENGTH_MAX 8192

enum http_client_error {
	HTTP_CLIENT_OK = 0,
	HTTP_CLIENT_ERROR_CONNECT,	/* name not resolved, connection refused */
	HTTP_CLIENT_ERROR_TIMEOUT,	/* the request's timeout_ms passed */
	HTTP_CLIENT_ERROR_TOO_LARGE,	/* body over the maximum response size */
	HTTP_CLIENT_ERROR_CANCELLED,	/* http_client_free ran first */
	HTTP_CLIENT_ERROR_OTHER,	/* TLS, protocol or local failure */
};

/* Outcome of one request, valid only during the done callback. */
struct http_client_response {
	int			 status;	/* HTTP status, or -1 on error */
	enum http_client_error	 error;
	const char		*error_text;	/* "" when error is HTTP_CLIENT_OK */
	const char		*body;		/* NUL-terminated, never NULL */
	size_t			 body_len;	/* bytes, without the NUL */
};

/*
 * Called once per accepted request on the loop thread, never from inside
 * http_client_request. Any HTTP status counts as a response: a 404 or a 500
 * arrives with error HTTP_CLIENT_OK. The callback may start new requests or
 * call http_client_free.
 */
typedef void (*http_client_done_fn)(const struct http_client_response *response,
    void *arg);

/*
 * Creates a client on base. max_total_connections limits open connections
 * over all hosts (0 means no limit); requests over it wait in libcurl's queue.
 * Returns NULL with errno set.
 */
struct http_client *http_client_new(struct event_base *base,
    long max_total_connections);

/*
 * Sets the maximum size of a response body in bytes for requests started
 * from now on. The default is HTTP_CLIENT_MAX_RESPONSE_DEFAULT.
 */
void http_client_set_max_response(struct http_client *client, size_t bytes);

/*
 * Starts a request. method is an upper-case token ("GET", "POST", "PUT",
 * "DELETE", ...); url starts with http:// or https://. headers is NULL or a
 * NULL-terminated array of "Name: value" lines without CR or LF. body is
 * copied and may be NULL when body_len is 0. GET and HEAD take no body; every
 * other method sends one, with "Content-Length: 0" when body_len is 0.
 * timeout_ms (more than 0) bounds the whole request, connection included.
 *
 * Returns 0 when the request was started, and done will then be called
 * exactly once. Returns -1 with errno set and never calls done: EINVAL for a
 * bad argument, ESHUTDOWN once http_client_free has begun, ENOMEM.
 */
int http_client_request(struct http_client *client, const char *method,
    const char *url, const char *const *headers, const void *body,
    size_t body_len, long timeout_ms, http_client_done_fn done, void *arg);

/* Number of requests started and not yet completed. */
size_t http_client_pending(struct http_client *client);

/*
 * Cancels the pending requests, calling each one's done with
 * HTTP_CLIENT_ERROR_CANCELLED, closes the connections and frees the client.
 */
void http_client_free(struct http_client *client);

#endif
