/*
 * HTTP client tests against an evhttp server on 127.0.0.1 that runs in the
 * client's own event_base.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "check_http_client.h"
#include "check_loop.h"
#include "http_client.h"
#include "log.h"

#define CHECK_HTTP_LIMIT 1024
#define CHECK_HTTP_SECRET_TOKEN "Bearer check-secret-token-7f3a"
#define CHECK_HTTP_SECRET_BODY "check-secret-body-91c2"

/* What the test server saw of the last request to /echo. */
struct check_http_server {
	struct evhttp	*http;
	int		 port;
	int		 echo_requests;
	int		 method;
	char		 header[256];
	char		 body[1024];
};

/* What one done callback received. */
struct check_http_result {
	int			calls;
	int			status;
	enum http_client_error	error;
	char			error_text[CURL_ERROR_SIZE];
	char			body[8192];
	size_t			body_len;
	bool			on_loop;
	bool			done;
};

static struct event_base	*check_http_base;
static struct http_client	*check_http_client;
static struct check_http_server	 check_http_server;
static pthread_t		 check_http_loop_thread;

static void
check_http_copy(char *target, size_t size, const char *source, size_t length)
{
	if (length >= size)
		length = size - 1;
	memcpy(target, source, length);
	target[length] = '\0';
}

static void
check_http_reply_text(struct evhttp_request *request, int status,
    const char *text, size_t length)
{
	struct evbuffer	*reply = evbuffer_new();

	evbuffer_add(reply, text, length);
	evhttp_send_reply(request, status, "Status", reply);
	evbuffer_free(reply);
}

static void
check_http_serve_echo(struct evhttp_request *request)
{
	struct check_http_server	*server = &check_http_server;
	struct evbuffer			*input;
	const char			*header;
	char				 reply[1100];
	size_t				 length;

	server->echo_requests++;
	server->method = evhttp_request_get_command(request);
	header = evhttp_find_header(evhttp_request_get_input_headers(request),
	    "X-Hub-Test");
	check_http_copy(server->header, sizeof(server->header),
	    header != NULL ? header : "", header != NULL ? strlen(header) : 0);

	input = evhttp_request_get_input_buffer(request);
	length = evbuffer_get_length(input);
	if (length >= sizeof(server->body))
		length = sizeof(server->body) - 1;
	evbuffer_copyout(input, server->body, length);
	server->body[length] = '\0';

	snprintf(reply, sizeof(reply), "echo:%s", server->body);
	check_http_reply_text(request,
	    server->method == EVHTTP_REQ_POST ? 201 : 200, reply, strlen(reply));
}

/* Returns the "n" query parameter of request, or 0. */
static size_t
check_http_query_n(struct evhttp_request *request)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(request);
	struct evkeyvalq	 query;
	const char		*value;
	size_t			 n = 0;

	if (evhttp_uri_get_query(uri) == NULL ||
	    evhttp_parse_query_str(evhttp_uri_get_query(uri), &query) == -1)
		return 0;
	value = evhttp_find_header(&query, "n");
	if (value != NULL)
		n = strtoul(value, NULL, 10);
	evhttp_clear_headers(&query);
	return n;
}

static void
check_http_serve_bytes(struct evhttp_request *request, bool chunked)
{
	size_t		 n = check_http_query_n(request);
	char		*bytes = malloc(n + 1);
	struct evbuffer	*chunk;

	memset(bytes, 'x', n);
	if (!chunked) {
		check_http_reply_text(request, 200, bytes, n);
		free(bytes);
		return;
	}

	evhttp_send_reply_start(request, 200, "OK");
	for (size_t sent = 0; sent < n; sent += 256) {
		chunk = evbuffer_new();
		evbuffer_add(chunk, bytes + sent, n - sent < 256 ? n - sent : 256);
		evhttp_send_reply_chunk(request, chunk);
		evbuffer_free(chunk);
	}
	evhttp_send_reply_end(request);
	free(bytes);
}

static void
check_http_serve(struct evhttp_request *request, void *arg)
{
	const char	*path;

	(void)arg;
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(request));
	if (strcmp(path, "/echo") == 0)
		check_http_serve_echo(request);
	else if (strcmp(path, "/bytes") == 0)
		check_http_serve_bytes(request, false);
	else if (strcmp(path, "/chunked") == 0)
		check_http_serve_bytes(request, true);
	else if (strcmp(path, "/hang") == 0)
		return;	/* evhttp frees the request when the peer closes */
	else
		check_http_reply_text(request, 404, "not here", 8);
}

static int
check_http_socket_port(evutil_socket_t fd)
{
	struct sockaddr_in	address;
	socklen_t		length = sizeof(address);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&address, &length),
	    0);
	return ntohs(address.sin_port);
}

static void
check_http_server_start(void)
{
	struct evhttp_bound_socket	*bound;

	memset(&check_http_server, 0, sizeof(check_http_server));
	check_http_server.http = evhttp_new(check_http_base);
	ck_assert_ptr_nonnull(check_http_server.http);
	evhttp_set_gencb(check_http_server.http, check_http_serve, NULL);
	bound = evhttp_bind_socket_with_handle(check_http_server.http,
	    "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bound);
	check_http_server.port = check_http_socket_port(
	    evhttp_bound_socket_get_fd(bound));
}

static void
check_http_setup(void)
{
	/* Requests to 127.0.0.1 must not go through a proxy from the environment. */
	setenv("no_proxy", "*", 1);
	setenv("NO_PROXY", "*", 1);
	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);

	check_http_loop_thread = pthread_self();
	check_http_base = event_base_new();
	ck_assert_ptr_nonnull(check_http_base);
	check_http_server_start();
	check_http_client = http_client_new(check_http_base, 8);
	ck_assert_ptr_nonnull(check_http_client);
}

static void
check_http_teardown(void)
{
	http_client_free(check_http_client);
	evhttp_free(check_http_server.http);
	event_base_free(check_http_base);
	curl_global_cleanup();
}

static void
check_http_done(const struct http_client_response *response, void *arg)
{
	struct check_http_result	*result = arg;

	result->calls++;
	result->status = response->status;
	result->error = response->error;
	check_http_copy(result->error_text, sizeof(result->error_text),
	    response->error_text, strlen(response->error_text));
	check_http_copy(result->body, sizeof(result->body), response->body,
	    response->body_len);
	result->body_len = response->body_len;
	result->on_loop = pthread_equal(pthread_self(), check_http_loop_thread);
	result->done = true;
}

static void
check_http_url(char *url, size_t size, int port, const char *path)
{
	snprintf(url, size, "http://127.0.0.1:%d%s", port, path);
}

/* Starts a request to path on the test server and runs the loop until done. */
static void
check_http_fetch(const char *method, const char *path,
    const char *const *headers, const char *body, long timeout_ms,
    struct check_http_result *result)
{
	char	url[128];

	check_http_url(url, sizeof(url), check_http_server.port, path);
	ck_assert_int_eq(http_client_request(check_http_client, method, url,
	    headers, body, body != NULL ? strlen(body) : 0, timeout_ms,
	    check_http_done, result), 0);
	ck_assert(check_loop_run(check_http_base, &result->done, 5000));
	ck_assert_int_eq(result->calls, 1);
	ck_assert(result->on_loop);
}

START_TEST(http_client_get)
{
	const char *const		 headers[] = { "X-Hub-Test: get-value", NULL };
	struct check_http_result	 result = { 0 };

	check_http_fetch("GET", "/echo", headers, NULL, 2000, &result);
	ck_assert_int_eq(result.error, HTTP_CLIENT_OK);
	ck_assert_str_eq(result.error_text, "");
	ck_assert_int_eq(result.status, 200);
	ck_assert_str_eq(result.body, "echo:");
	ck_assert_uint_eq(result.body_len, 5);
	ck_assert_int_eq(check_http_server.echo_requests, 1);
	ck_assert_int_eq(check_http_server.method, EVHTTP_REQ_GET);
	ck_assert_str_eq(check_http_server.header, "get-value");
	ck_assert_uint_eq(http_client_pending(check_http_client), 0);
}
END_TEST

START_TEST(http_client_post_body_header)
{
	const char *const		 headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"X-Hub-Test: post-value",
		NULL,
	};
	const char			*body = "name=An&text=Xin%20ch%C3%A0o";
	struct check_http_result	 result = { 0 };

	check_http_fetch("POST", "/echo", headers, body, 2000, &result);
	ck_assert_int_eq(result.error, HTTP_CLIENT_OK);
	ck_assert_int_eq(result.status, 201);
	ck_assert_str_eq(result.body, "echo:name=An&text=Xin%20ch%C3%A0o");
	ck_assert_int_eq(check_http_server.method, EVHTTP_REQ_POST);
	ck_assert_str_eq(check_http_server.header, "post-value");
	ck_assert_str_eq(check_http_server.body, body);
}
END_TEST

START_TEST(http_client_put_custom_method)
{
	struct check_http_result	result = { 0 };

	check_http_fetch("PUT", "/echo", NULL, "replaced", 2000, &result);
	ck_assert_int_eq(result.error, HTTP_CLIENT_OK);
	ck_assert_int_eq(result.status, 200);
	ck_assert_int_eq(check_http_server.method, EVHTTP_REQ_PUT);
	ck_assert_str_eq(check_http_server.body, "replaced");
}
END_TEST

START_TEST(http_client_error_status_is_response)
{
	struct check_http_result	result = { 0 };

	check_http_fetch("GET", "/missing", NULL, NULL, 2000, &result);
	ck_assert_int_eq(result.error, HTTP_CLIENT_OK);
	ck_assert_int_eq(result.status, 404);
	ck_assert_str_eq(result.body, "not here");
}
END_TEST

/* Returns a port on 127.0.0.1 that was just free and has no listener. */
static int
check_http_closed_port(void)
{
	struct sockaddr_in	address = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&address, sizeof(address)),
	    0);
	port = check_http_socket_port(fd);
	close(fd);
	return port;
}

START_TEST(http_client_closed_port_fails)
{
	struct check_http_result	result = { 0 };
	char				url[128];

	check_http_url(url, sizeof(url), check_http_closed_port(), "/");
	ck_assert_int_eq(http_client_request(check_http_client, "GET", url,
	    NULL, NULL, 0, 2000, check_http_done, &result), 0);
	ck_assert(check_loop_run(check_http_base, &result.done, 5000));
	ck_assert_int_eq(result.calls, 1);
	ck_assert_int_eq(result.status, -1);
	ck_assert_int_eq(result.error, HTTP_CLIENT_ERROR_CONNECT);
	ck_assert_str_ne(result.error_text, "");
}
END_TEST

static long
check_http_elapsed_ms(const struct timespec *start)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_nsec - start->tv_nsec) / 1000000;
}

START_TEST(http_client_timeout_fails)
{
	struct check_http_result	result = { 0 };
	struct timespec			start;
	long				elapsed;

	clock_gettime(CLOCK_MONOTONIC, &start);
	check_http_fetch("GET", "/hang", NULL, NULL, 200, &result);
	elapsed = check_http_elapsed_ms(&start);

	ck_assert_int_eq(result.status, -1);
	ck_assert_int_eq(result.error, HTTP_CLIENT_ERROR_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(result.error_text, "timed out"));
	ck_assert_int_ge(elapsed, 190);
	ck_assert_int_lt(elapsed, 2000);
}
END_TEST

START_TEST(http_client_limit_with_length)
{
	struct check_http_result	at_limit = { 0 }, over_limit = { 0 };

	http_client_set_max_response(check_http_client, CHECK_HTTP_LIMIT);

	check_http_fetch("GET", "/bytes?n=1024", NULL, NULL, 2000, &at_limit);
	ck_assert_int_eq(at_limit.error, HTTP_CLIENT_OK);
	ck_assert_int_eq(at_limit.status, 200);
	ck_assert_uint_eq(at_limit.body_len, CHECK_HTTP_LIMIT);

	check_http_fetch("GET", "/bytes?n=1025", NULL, NULL, 2000, &over_limit);
	ck_assert_int_eq(over_limit.status, -1);
	ck_assert_int_eq(over_limit.error, HTTP_CLIENT_ERROR_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(over_limit.error_text, "1024 bytes"));
}
END_TEST

START_TEST(http_client_limit_chunked)
{
	struct check_http_result	under_limit = { 0 }, over_limit = { 0 };

	http_client_set_max_response(check_http_client, CHECK_HTTP_LIMIT);

	check_http_fetch("GET", "/chunked?n=1000", NULL, NULL, 2000,
	    &under_limit);
	ck_assert_int_eq(under_limit.error, HTTP_CLIENT_OK);
	ck_assert_uint_eq(under_limit.body_len, 1000);

	check_http_fetch("GET", "/chunked?n=4096", NULL, NULL, 2000,
	    &over_limit);
	ck_assert_int_eq(over_limit.status, -1);
	ck_assert_int_eq(over_limit.error, HTTP_CLIENT_ERROR_TOO_LARGE);
	ck_assert_uint_le(over_limit.body_len, CHECK_HTTP_LIMIT);
}
END_TEST

START_TEST(http_client_free_cancels_pending)
{
	struct check_http_result	result = { 0 };
	bool				never = false;
	char				url[128];

	check_http_url(url, sizeof(url), check_http_server.port, "/hang");
	ck_assert_int_eq(http_client_request(check_http_client, "GET", url,
	    NULL, NULL, 0, 5000, check_http_done, &result), 0);
	ck_assert_uint_eq(http_client_pending(check_http_client), 1);
	check_loop_run(check_http_base, &never, 100);
	ck_assert_int_eq(result.calls, 0);

	http_client_free(check_http_client);
	check_http_client = NULL;
	ck_assert_int_eq(result.calls, 1);
	ck_assert_int_eq(result.status, -1);
	ck_assert_int_eq(result.error, HTTP_CLIENT_ERROR_CANCELLED);
}
END_TEST

static void
check_http_done_then_free(const struct http_client_response *response,
    void *arg)
{
	check_http_done(response, arg);
	http_client_free(check_http_client);
	check_http_client = NULL;
}

START_TEST(http_client_free_from_done)
{
	struct check_http_result	first = { 0 }, hung = { 0 };
	char				url[128];

	check_http_url(url, sizeof(url), check_http_server.port, "/hang");
	ck_assert_int_eq(http_client_request(check_http_client, "GET", url,
	    NULL, NULL, 0, 5000, check_http_done, &hung), 0);
	check_http_url(url, sizeof(url), check_http_server.port, "/echo");
	ck_assert_int_eq(http_client_request(check_http_client, "GET", url,
	    NULL, NULL, 0, 5000, check_http_done_then_free, &first), 0);

	ck_assert(check_loop_run(check_http_base, &first.done, 5000));
	ck_assert_ptr_null(check_http_client);
	ck_assert_int_eq(first.error, HTTP_CLIENT_OK);
	ck_assert_int_eq(first.status, 200);
	ck_assert_int_eq(hung.calls, 1);
	ck_assert_int_eq(hung.error, HTTP_CLIENT_ERROR_CANCELLED);
}
END_TEST

START_TEST(http_client_rejects_bad_arguments)
{
	const char *const		 crlf[] = { "X-Hub-Test: a\r\nHost: b", NULL };
	const char *const		 no_name[] = { ": value", NULL };
	struct check_http_result	 result = { 0 };
	bool				 never = false;
	char				 url[128];

	check_http_url(url, sizeof(url), check_http_server.port, "/echo");
	struct {
		const char		*method;
		const char		*url;
		const char *const	*headers;
		const char		*body;
		long			 timeout_ms;
	} cases[] = {
		{ "GET", "ftp://127.0.0.1/file", NULL, NULL, 1000 },
		{ "GET", "file:///etc/passwd", NULL, NULL, 1000 },
		{ "GET", "127.0.0.1/echo", NULL, NULL, 1000 },
		{ "get", url, NULL, NULL, 1000 },
		{ "", url, NULL, NULL, 1000 },
		{ "GET", url, crlf, NULL, 1000 },
		{ "GET", url, no_name, NULL, 1000 },
		{ "GET", url, NULL, "body", 1000 },
		{ "GET", url, NULL, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		ck_assert_msg(http_client_request(check_http_client,
		    cases[i].method, cases[i].url, cases[i].headers,
		    cases[i].body, cases[i].body != NULL ?
		    strlen(cases[i].body) : 0, cases[i].timeout_ms,
		    check_http_done, &result) == -1, "case %zu accepted", i);
		ck_assert_int_eq(errno, EINVAL);
	}
	check_loop_run(check_http_base, &never, 50);
	ck_assert_int_eq(result.calls, 0);
	ck_assert_int_eq(check_http_server.echo_requests, 0);
}
END_TEST

/* Reads the file at path into buffer, NUL-terminated. */
static void
check_http_read_file(const char *path, char *buffer, size_t size)
{
	FILE	*file = fopen(path, "r");
	size_t	 length;

	ck_assert_ptr_nonnull(file);
	length = fread(buffer, 1, size - 1, file);
	buffer[length] = '\0';
	fclose(file);
}

START_TEST(http_client_trace_hides_secrets)
{
	const char *const		 headers[] = {
		"Authorization: " CHECK_HTTP_SECRET_TOKEN,
		NULL,
	};
	struct check_http_result	 result = { 0 };
	char				 path[] = "/tmp/check_http_log.XXXXXX";
	static char			 contents[65536];
	int				 fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(path), 0);
	log_set_trace(LOG_TRACE_CURL);

	check_http_fetch("POST", "/echo", headers, CHECK_HTTP_SECRET_BODY, 2000,
	    &result);
	log_close();
	check_http_read_file(path, contents, sizeof(contents));
	unlink(path);

	ck_assert_int_eq(result.status, 201);
	ck_assert_ptr_nonnull(strstr(result.body, CHECK_HTTP_SECRET_BODY));
	ck_assert_msg(strstr(contents, "curl") != NULL &&
	    strstr(contents, "request=1") != NULL,
	    "no libcurl lines in the log: %s", contents);
	ck_assert_ptr_null(strstr(contents, "check-secret-token"));
	ck_assert_ptr_null(strstr(contents, CHECK_HTTP_SECRET_BODY));
}
END_TEST

TCase *
check_http_client_tcase(void)
{
	TCase	*tc = tcase_create("http_client");

	tcase_add_checked_fixture(tc, check_http_setup, check_http_teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, http_client_get);
	tcase_add_test(tc, http_client_post_body_header);
	tcase_add_test(tc, http_client_put_custom_method);
	tcase_add_test(tc, http_client_error_status_is_response);
	tcase_add_test(tc, http_client_closed_port_fails);
	tcase_add_test(tc, http_client_timeout_fails);
	tcase_add_test(tc, http_client_limit_with_length);
	tcase_add_test(tc, http_client_limit_chunked);
	tcase_add_test(tc, http_client_free_cancels_pending);
	tcase_add_test(tc, http_client_free_from_done);
	tcase_add_test(tc, http_client_rejects_bad_arguments);
	tcase_add_test(tc, http_client_trace_hides_secrets);
	return tc;
}
