/*
 * HTTP client on libcurl's multi interface, driven by libevent.
 *
 * libcurl reports which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to call it back (CURLMOPT_TIMERFUNCTION). Each socket gets one
 * persistent event and the client keeps one timer event. When either fires,
 * curl_multi_socket_action advances the transfers and curl_multi_info_read
 * returns the finished ones, whose done callbacks then run.
 *
 * A done callback may call http_client_free. The client counts the event
 * callbacks on the stack and frees itself when the outermost one returns.
 *
 * The requests themselves (options, headers, body, response buffer) are in
 * http_client_request.c.
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http_client.h"
#include "http_client_internal.h"
#include "log.h"

/* One socket that libcurl asked to watch. */
struct http_client_socket {
	LIST_ENTRY(http_client_socket)	 entry;
	struct event			*event;
};

struct http_client {
	struct event_base		*base;
	CURLM				*multi;
	struct event			*timer;
	LIST_HEAD(, http_client_request) requests;
	LIST_HEAD(, http_client_socket)	 sockets;
	size_t				 pending;
	size_t				 max_response;
	uint64_t			 next_id;
	int				 depth;		/* event callbacks on the stack */
	bool				 closing;
};

static void	http_client_destroy(struct http_client *);

static void
http_client_enter(struct http_client *client)
{
	client->depth++;
}

/* Frees the client when http_client_free ran inside the outermost callback. */
static void
http_client_leave(struct http_client *client)
{
	client->depth--;
	if (client->depth == 0 && client->closing)
		http_client_destroy(client);
}

static void
http_client_finish(struct http_client *client, struct http_client_request *request,
    CURLcode result)
{
	LIST_REMOVE(request, entry);
	client->pending--;
	curl_multi_remove_handle(client->multi, request->easy);

	http_client_request_complete(request, result);
	http_client_request_free(request);
}

/* Runs the done callbacks of finished transfers. */
static void
http_client_collect(struct http_client *client)
{
	struct http_client_request	*request;
	CURLMsg				*message;
	CURLcode			 result;
	int				 left;

	while (!client->closing) {
		message = curl_multi_info_read(client->multi, &left);
		if (message == NULL)
			break;
		if (message->msg != CURLMSG_DONE)
			continue;

		/* message is invalid once the handle is removed. */
		result = message->data.result;
		request = NULL;
		curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &request);
		http_client_finish(client, request, result);
	}
}

static void
http_client_act(struct http_client *client, curl_socket_t fd, int action)
{
	CURLMcode	code;
	int		running;

	http_client_enter(client);
	code = curl_multi_socket_action(client->multi, fd, action, &running);
	if (code != CURLM_OK)
		log_error("http-client", "curl_multi_socket_action failed: fd=%d: %s",
		    (int)fd, curl_multi_strerror(code));
	http_client_collect(client);
	http_client_leave(client);
}

static void
http_client_socket_event(evutil_socket_t fd, short what, void *arg)
{
	int	action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	http_client_act(arg, fd, action);
}

static void
http_client_timer_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_client_act(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void
http_client_socket_free(struct http_client_socket *socket)
{
	LIST_REMOVE(socket, entry);
	event_free(socket->event);
	free(socket);
}

static struct http_client_socket *
http_client_socket_new(struct http_client *client, curl_socket_t fd)
{
	struct http_client_socket	*socket;

	socket = calloc(1, sizeof(*socket));
	if (socket == NULL)
		return NULL;
	socket->event = event_new(client->base, fd, 0, http_client_socket_event,
	    client);
	if (socket->event == NULL) {
		free(socket);
		return NULL;
	}
	LIST_INSERT_HEAD(&client->sockets, socket, entry);
	curl_multi_assign(client->multi, fd, socket);
	return socket;
}

static int
http_client_socket_watch(struct http_client *client,
    struct http_client_socket *socket, curl_socket_t fd, int what)
{
	short	events = EV_PERSIST;

	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;

	event_del(socket->event);
	if (event_assign(socket->event, client->base, fd, events,
	    http_client_socket_event, client) == -1 ||
	    event_add(socket->event, NULL) == -1) {
		log_error("http-client", "watching a socket failed: fd=%d", (int)fd);
		return -1;
	}
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION */
static int
http_client_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct http_client		*client = userp;
	struct http_client_socket	*socket = socketp;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (socket != NULL) {
			http_client_socket_free(socket);
			curl_multi_assign(client->multi, fd, NULL);
		}
		return 0;
	}
	if (socket == NULL) {
		socket = http_client_socket_new(client, fd);
		if (socket == NULL)
			return -1;
	}
	return http_client_socket_watch(client, socket, fd, what);
}

/* CURLMOPT_TIMERFUNCTION */
static int
http_client_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client	*client = userp;
	struct timeval		 delay;

	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(client->timer);

	delay.tv_sec = timeout_ms / 1000;
	delay.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(client->timer, &delay);
}

static int
http_client_multi_init(struct http_client *client, long max_total_connections)
{
	CURLM	*multi;

	multi = curl_multi_init();
	if (multi == NULL)
		return -1;
	client->multi = multi;

	if (curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION,
	    http_client_socket_cb) != CURLM_OK ||
	    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, client) != CURLM_OK ||
	    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION,
	    http_client_timer_cb) != CURLM_OK ||
	    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, client) != CURLM_OK ||
	    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    max_total_connections) != CURLM_OK)
		return -1;
	/*
	 * By default libcurl sizes the connection cache at 4 times the easy
	 * handles added at the time. Each request adds and removes its own
	 * handle, so the cache shrinks when few requests are in flight and
	 * closes the connections that a burst opened. Keeping as many idle
	 * connections as may be open lets the next burst reuse them.
	 */
	if (max_total_connections > 0 && curl_multi_setopt(multi,
	    CURLMOPT_MAXCONNECTS, max_total_connections) != CURLM_OK)
		return -1;
	return 0;
}

struct http_client *
http_client_new(struct event_base *base, long max_total_connections)
{
	struct http_client	*client;

	if (base == NULL || max_total_connections < 0) {
		errno = EINVAL;
		return NULL;
	}
	client = calloc(1, sizeof(*client));
	if (client == NULL)
		return NULL;
	client->base = base;
	client->max_response = HTTP_CLIENT_MAX_RESPONSE_DEFAULT;
	client->next_id = 1;
	LIST_INIT(&client->requests);
	LIST_INIT(&client->sockets);

	client->timer = evtimer_new(base, http_client_timer_event, client);
	if (client->timer == NULL ||
	    http_client_multi_init(client, max_total_connections) == -1) {
		log_error("http-client", "creating the client failed");
		http_client_destroy(client);
		errno = ENOMEM;
		return NULL;
	}
	return client;
}

void
http_client_set_max_response(struct http_client *client, size_t bytes)
{
	client->max_response = bytes;
}

int
http_client_request(struct http_client *client, const char *method,
    const char *url, const char *const *headers, const void *body,
    size_t body_len, long timeout_ms, http_client_done_fn done, void *arg)
{
	struct http_client_request	*request;
	struct http_client_options	 options = {
		.method = method,
		.url = url,
		.headers = headers,
		.body = body,
		.body_len = body_len,
		.timeout_ms = timeout_ms,
		.max_response = client->max_response,
	};
	CURLMcode			 code;

	if (client->closing) {
		errno = ESHUTDOWN;
		return -1;
	}
	if (done == NULL || http_client_request_check(&options) == -1) {
		errno = EINVAL;
		return -1;
	}
	request = http_client_request_new(&options, client->next_id, done, arg);
	if (request == NULL)
		return -1;

	code = curl_multi_add_handle(client->multi, request->easy);
	if (code != CURLM_OK) {
		log_error("http-client", "adding a request failed: request=%" PRIu64
		    ": %s", request->id, curl_multi_strerror(code));
		http_client_request_free(request);
		errno = ENOMEM;
		return -1;
	}
	client->next_id++;
	client->pending++;
	LIST_INSERT_HEAD(&client->requests, request, entry);
	return 0;
}

size_t
http_client_pending(struct http_client *client)
{
	return client->pending;
}

static void
http_client_destroy(struct http_client *client)
{
	if (client->multi != NULL)
		curl_multi_cleanup(client->multi);

	/* Sockets that curl_multi_cleanup closed without CURL_POLL_REMOVE. */
	while (!LIST_EMPTY(&client->sockets))
		http_client_socket_free(LIST_FIRST(&client->sockets));
	if (client->timer != NULL)
		event_free(client->timer);
	free(client);
}

void
http_client_free(struct http_client *client)
{
	struct http_client_request	*request;

	if (client == NULL || client->closing)
		return;

	/* Requests started from the done callbacks below fail with ESHUTDOWN. */
	client->closing = true;
	while ((request = LIST_FIRST(&client->requests)) != NULL) {
		request->cancelled = true;
		http_client_finish(client, request, CURLE_OK);
	}

	if (client->depth == 0)
		http_client_destroy(client);
}
