/*
 * The HTTP layer: the error catalogue, the metrics text, and the server run
 * in process on 127.0.0.1 with a port chosen by the kernel, driven by a
 * blocking client on a second thread while the test's thread runs the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "api.h"
#include "api_error.h"
#include "check_suites.h"
#include "config.h"
#include "http_server.h"
#include "metrics.h"
#include "store.h"

#define CHECK_HTTP_RESPONSE_MAX 65536
#define CHECK_HTTP_MAX_BODY 100

/* --- Error catalogue ---------------------------------------------------- */

START_TEST(error_catalogue_complete)
{
	struct hub_error error;

	for (int code = 1; code < HUB_ERR_COUNT; code++) {
		const char *name = api_error_name(code);
		int status = api_error_status(code);

		ck_assert_msg(name != NULL && name[0] != '\0', "code %d has no "
		    "name", code);
		ck_assert_msg(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
		    strlen(name), "name %s is not snake_case", name);
		ck_assert_msg(status >= 400 && status <= 599, "%s has status %d",
		    name, status);
		for (int other = 1; other < code; other++)
			ck_assert_str_ne(name, api_error_name(other));

		hub_error_set(&error, code, "description", 0);
		for (int i = 0; i < 2; i++) {
			const char *language = i == 0 ? "vi" : "en";
			char *message = api_error_message(&error, language);

			ck_assert_ptr_nonnull(message);
			ck_assert_msg(strstr(message, "\"description\"") != NULL,
			    "%s in %s does not name the field: %s", name,
			    language, message);
			free(message);
		}

		hub_error_set(&error, code, NULL, 0);
		for (int i = 0; i < 2; i++) {
			char *message = api_error_message(&error, i ? "en" : "vi");

			ck_assert_msg(message != NULL && strlen(message) > 20,
			    "%s has no plain message", name);
			ck_assert_msg(strchr(message, '{') == NULL, "%s leaves a "
			    "placeholder: %s", name, message);
			free(message);
		}
	}
}
END_TEST

START_TEST(error_statuses)
{
	ck_assert_int_eq(api_error_status(HUB_ERR_INVALID_JSON), 400);
	ck_assert_int_eq(api_error_status(HUB_ERR_CONTENT_TYPE), 415);
	ck_assert_int_eq(api_error_status(HUB_ERR_BODY_TOO_LARGE), 413);
	ck_assert_int_eq(api_error_status(HUB_ERR_FIELD_TOO_LONG), 422);
	ck_assert_int_eq(api_error_status(HUB_ERR_RATE_LIMITED), 429);
	ck_assert_int_eq(api_error_status(HUB_ERR_NOT_FOUND), 404);
	ck_assert_int_eq(api_error_status(HUB_ERR_UNAUTHORIZED), 401);
	ck_assert_int_eq(api_error_status(HUB_ERR_METHOD_NOT_ALLOWED), 405);
	ck_assert_int_eq(api_error_status(HUB_ERR_UNAVAILABLE), 503);
	ck_assert_int_eq(api_error_status(HUB_ERR_INTERNAL), 500);
	ck_assert_str_eq(api_error_name(HUB_ERR_IDEMPOTENCY_MISMATCH),
	    "idempotency_key_reused");
	ck_assert_str_eq(api_error_name(HUB_ERR_COUNT + 5), "internal_error");
}
END_TEST

START_TEST(error_message_field_and_limit)
{
	struct hub_error error;
	char *vi, *en;

	hub_error_set(&error, HUB_ERR_FIELD_TOO_LONG, "description", 4000);
	vi = api_error_message(&error, "vi");
	en = api_error_message(&error, "en");
	ck_assert_str_eq(vi, "Trường \"description\" dài quá 4000 ký tự. Hãy "
	    "rút gọn nội dung rồi gửi lại.");
	ck_assert_str_eq(en, "The field \"description\" is longer than 4000 "
	    "characters. Shorten it and send it again.");
	free(vi);
	free(en);

	hub_error_set(&error, HUB_ERR_BODY_TOO_LARGE, NULL, 65536);
	en = api_error_message(&error, "en");
	ck_assert_ptr_nonnull(strstr(en, "65536 bytes"));
	free(en);
}
END_TEST

START_TEST(error_message_gives_expected_form)
{
	struct hub_error error;
	char *vi, *en;

	hub_error_set(&error, HUB_ERR_INVALID_FIELD, "phone", 0);
	vi = api_error_message(&error, "vi");
	en = api_error_message(&error, "en");
	ck_assert_ptr_nonnull(strstr(vi, "\"phone\""));
	ck_assert_ptr_nonnull(strstr(vi, "0912 345 678"));
	ck_assert_ptr_nonnull(strstr(en, "expected a phone number"));
	free(vi);
	free(en);

	hub_error_set(&error, HUB_ERR_INVALID_FIELD, "consent", 0);
	en = api_error_message(&error, "en");
	ck_assert_ptr_nonnull(strstr(en, "expected true"));
	free(en);

	/* A field without a known form is named as unknown or invalid. */
	hub_error_set(&error, HUB_ERR_INVALID_FIELD, "colour", 0);
	en = api_error_message(&error, "en");
	ck_assert_ptr_nonnull(strstr(en, "\"colour\" is invalid or not "
	    "supported"));
	free(en);
}
END_TEST

START_TEST(error_json_shape)
{
	struct hub_error error;
	json_t *object;

	hub_error_set(&error, HUB_ERR_FIELD_TOO_LONG, "name", 200);
	object = api_error_json(&error);
	ck_assert_ptr_nonnull(object);
	ck_assert_str_eq(json_string_value(json_object_get(object, "code")),
	    "field_too_long");
	ck_assert_str_eq(json_string_value(json_object_get(object, "field")),
	    "name");
	ck_assert_int_eq(json_integer_value(json_object_get(object, "limit")),
	    200);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
	    json_object_get(object, "message"), "vi")), "200 ký tự"));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
	    json_object_get(object, "message"), "en")), "200 characters"));
	json_decref(object);

	hub_error_set(&error, HUB_ERR_NOT_FOUND, NULL, 0);
	object = api_error_json(&error);
	ck_assert_ptr_null(json_object_get(object, "field"));
	ck_assert_ptr_null(json_object_get(object, "limit"));
	json_decref(object);
}
END_TEST

/* --- Metrics ------------------------------------------------------------ */

static void
check_http_assert_line(const char *text, const char *line)
{
	char *needle;

	ck_assert(asprintf(&needle, "\n%s\n", line) > 0);
	ck_assert_msg(strstr(text, needle) != NULL, "line missing: %s", line);
	free(needle);
}

START_TEST(metrics_counters_and_escaping)
{
	struct metrics *metrics = metrics_new();
	char *text;

	metrics_http_request(metrics, "web", "/api/v1/reports", 201);
	metrics_http_request(metrics, "web", "/api/v1/reports", 201);
	metrics_http_request(metrics, "web", "/api/v1/reports", 422);
	metrics_http_request(metrics, "core", "a\"b\\c\nd", 200);
	metrics_pipeline(metrics, "web", "created", 0.003);
	metrics_commit_batch(metrics, 3, 0.02);
	metrics_set_outbox_depth(metrics, 7);

	text = metrics_render(metrics);
	ck_assert_ptr_nonnull(text);
	check_http_assert_line(text, "hub_http_requests_total{channel=\"web\","
	    "route=\"/api/v1/reports\",status=\"201\"} 2");
	check_http_assert_line(text, "hub_http_requests_total{channel=\"web\","
	    "route=\"/api/v1/reports\",status=\"422\"} 1");
	check_http_assert_line(text, "hub_http_errors_total{channel=\"web\","
	    "route=\"/api/v1/reports\"} 1");
	check_http_assert_line(text, "hub_http_requests_total{channel=\"core\","
	    "route=\"a\\\"b\\\\c\\nd\",status=\"200\"} 1");
	check_http_assert_line(text, "hub_pipeline_messages_total{channel="
	    "\"web\",outcome=\"created\"} 1");
	check_http_assert_line(text, "hub_pipeline_seconds_bucket{channel="
	    "\"web\",le=\"0.0025\"} 0");
	check_http_assert_line(text, "hub_pipeline_seconds_bucket{channel="
	    "\"web\",le=\"0.005\"} 1");
	check_http_assert_line(text, "hub_pipeline_seconds_bucket{channel="
	    "\"web\",le=\"+Inf\"} 1");
	check_http_assert_line(text, "hub_pipeline_seconds_count{channel="
	    "\"web\"} 1");
	check_http_assert_line(text, "hub_store_commit_batch_size_bucket{le="
	    "\"2\"} 0");
	check_http_assert_line(text, "hub_store_commit_batch_size_bucket{le="
	    "\"4\"} 1");
	check_http_assert_line(text, "hub_store_commit_batch_size_bucket{le="
	    "\"4096\"} 1");
	check_http_assert_line(text, "hub_store_commit_seconds_count 1");
	check_http_assert_line(text, "hub_outbox_depth 7");
	check_http_assert_line(text, "# TYPE hub_http_requests_total counter");
	check_http_assert_line(text, "# TYPE hub_pipeline_seconds histogram");
	ck_assert_ptr_nonnull(strstr(text, "\nhub_process_resident_bytes "));
	ck_assert_ptr_nonnull(strstr(text, "\nhub_start_time_seconds "));
	ck_assert_ptr_null(strstr(text, "status=\"201\"} 1\n"));
	free(text);
	metrics_free(metrics);
}
END_TEST

/* --- Server in process -------------------------------------------------- */

struct check_http_fixture {
	struct event_base *base;
	struct hub_config config;
	char *trusted[4];
	char *exempt[2];
	struct metrics *metrics;
	struct http_server *server;
	uint16_t port;
	int handler_calls;
	int deferred_in_flight;		/* in flight seen by the deferred reply */
	struct event *deferred;
	struct evhttp_request *deferred_req;
	struct api_context api;
	const char *not_ready_reason;
};

static struct check_http_fixture fixture;

struct check_http_exchange {
	char request[4096];
	char response[CHECK_HTTP_RESPONSE_MAX];
	size_t response_length;
	bool close_early;	/* close right after sending */
	atomic_bool done;
};

static void *
check_http_client(void *arg)
{
	struct check_http_exchange *exchange = arg;
	struct sockaddr_in address = { .sin_family = AF_INET };
	struct timeval timeout = { .tv_sec = 3 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	address.sin_port = htons(fixture.port);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
		snprintf(exchange->response, sizeof exchange->response,
		    "connect: %s", strerror(errno));
		goto out;
	}
	if (write(fd, exchange->request, strlen(exchange->request)) < 0)
		goto out;
	if (exchange->close_early) {
		/* A reset, so that the server's reply fails to be written. */
		struct linger linger = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
		usleep(20000);
		goto out;
	}
	while (exchange->response_length < sizeof exchange->response - 1 &&
	    (n = read(fd, exchange->response + exchange->response_length,
	    sizeof exchange->response - 1 - exchange->response_length)) > 0)
		exchange->response_length += (size_t)n;
	exchange->response[exchange->response_length] = '\0';
out:
	close(fd);
	atomic_store(&exchange->done, true);
	return NULL;
}

static void
check_http_poll(evutil_socket_t fd, short what, void *arg)
{
	struct check_http_exchange *exchange = arg;

	if (atomic_load(&exchange->done))
		event_base_loopbreak(fixture.base);
}

/* Runs the loop until the client thread has read the response. */
static void
check_http_run(struct check_http_exchange *exchange)
{
	struct timeval tick = { .tv_usec = 5000 };
	struct event *poll = event_new(fixture.base, -1, EV_PERSIST,
	    check_http_poll, exchange);
	pthread_t thread;

	atomic_init(&exchange->done, false);
	event_add(poll, &tick);
	ck_assert_int_eq(pthread_create(&thread, NULL, check_http_client,
	    exchange), 0);
	event_base_dispatch(fixture.base);
	pthread_join(thread, NULL);
	event_free(poll);
}

/* Sends one request and returns the raw response (static storage). */
static const char *
check_http_request(const char *request)
{
	static struct check_http_exchange exchange;

	memset(&exchange, 0, sizeof exchange);
	snprintf(exchange.request, sizeof exchange.request, "%s", request);
	check_http_run(&exchange);
	return exchange.response;
}

static const char *
check_http_body(const char *response)
{
	const char *body = strstr(response, "\r\n\r\n");

	return body != NULL ? body + 4 : "";
}

/* Runs the loop until nothing is in flight, for at most about two seconds. */
static void
check_http_drain(void)
{
	for (int i = 0; i < 400 && http_server_in_flight(fixture.server) > 0;
	    i++) {
		struct timeval tick = { .tv_usec = 5000 };

		event_base_loopexit(fixture.base, &tick);
		event_base_dispatch(fixture.base);
	}
}

static void
check_http_echo(struct evhttp_request *req, void *arg)
{
	char address[HTTP_ADDRESS_SIZE];
	char content_type[64];

	fixture.handler_calls++;
	http_content_type(req, content_type, sizeof content_type);
	http_send_json(req, 200, json_pack("{s:s, s:s, s:s, s:s}",
	    "client", http_client_address(fixture.server, req, address),
	    "language", http_request_language(req),
	    "content_type", content_type,
	    "route", (const char *)arg));
}

static void
check_http_limited(struct evhttp_request *req, void *arg)
{
	if (!http_rate_limit(fixture.server, req, HTTP_LIMIT_SUBMIT))
		return;
	http_send_json(req, 201, json_pack("{s:b}", "ok", 1));
}

static void
check_http_deferred_reply(evutil_socket_t fd, short what, void *arg)
{
	fixture.deferred_in_flight = (int)http_server_in_flight(fixture.server);
	http_send_text(fixture.deferred_req, 200, "text/html; charset=utf-8",
	    "<p>late</p>", 11);
	fixture.deferred_req = NULL;
}

static void
check_http_slow(struct evhttp_request *req, void *arg)
{
	struct timeval delay = { .tv_usec = 100000 };

	fixture.deferred_req = req;
	event_add(fixture.deferred, &delay);
}

static void
check_http_start(char **trusted, int submit_per_minute)
{
	char err[256] = "";

	memset(&fixture, 0, sizeof fixture);
	fixture.base = event_base_new();
	fixture.metrics = metrics_new();
	fixture.config.http_max_body_bytes = CHECK_HTTP_MAX_BODY;
	fixture.config.http_max_header_bytes = 8192;
	fixture.config.http_timeout_seconds = 5;
	fixture.config.trusted_proxies = trusted;
	fixture.config.rate_submit_per_minute = submit_per_minute;
	fixture.config.rate_lookup_per_minute = 0;
	fixture.exempt[0] = NULL;
	fixture.config.rate_exempt = fixture.exempt;

	fixture.server = http_server_new(fixture.base, &fixture.config,
	    fixture.metrics, err, sizeof err);
	ck_assert_msg(fixture.server != NULL, "server: %s", err);
	ck_assert_msg(http_server_listen(fixture.server, "127.0.0.1", 0, err,
	    sizeof err) == 0, "listen: %s", err);
	fixture.port = http_server_port(fixture.server);
	ck_assert_uint_ne(fixture.port, 0);
	fixture.deferred = evtimer_new(fixture.base, check_http_deferred_reply,
	    NULL);

	ck_assert_int_eq(http_server_route(fixture.server, "test", "/echo",
	    HTTP_ROUTE_EXACT, check_http_echo, "exact"), 0);
	ck_assert_int_eq(http_server_route(fixture.server, "test", "/p/",
	    HTTP_ROUTE_PREFIX, check_http_echo, "short prefix"), 0);
	ck_assert_int_eq(http_server_route(fixture.server, "test", "/p/q/",
	    HTTP_ROUTE_PREFIX, check_http_echo, "long prefix"), 0);
	ck_assert_int_eq(http_server_route(fixture.server, "test", "/limited",
	    HTTP_ROUTE_EXACT, check_http_limited, NULL), 0);
	ck_assert_int_eq(http_server_route(fixture.server, "test", "/slow",
	    HTTP_ROUTE_EXACT, check_http_slow, NULL), 0);
}

static void
check_http_setup(void)
{
	check_http_start(NULL, 0);
}

static void
check_http_teardown(void)
{
	event_free(fixture.deferred);
	http_server_free(fixture.server);
	metrics_free(fixture.metrics);
	event_base_free(fixture.base);
}

static void
check_http_wake(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
}

/* Runs fixture.base for ms milliseconds and returns how many loop
 * iterations that took. A timer wakes the loop every 50 ms. */
static int
check_http_loop_iterations(int ms)
{
	struct event *wake = event_new(fixture.base, -1, EV_PERSIST,
	    check_http_wake, NULL);
	struct timeval period = { .tv_usec = 50000 };
	struct timespec start, now;
	int iterations = 0;

	ck_assert_ptr_nonnull(wake);
	event_add(wake, &period);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		event_base_loop(fixture.base, EVLOOP_ONCE);
		iterations++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000 +
	    (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
	event_free(wake);
	return iterations;
}

START_TEST(server_accept_emfile_pauses)
{
	struct sockaddr_in address = {
		.sin_family = AF_INET,
		.sin_port = htons(fixture.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct rlimit saved, low;
	int client = socket(AF_INET, SOCK_STREAM, 0);
	int lowest_free;

	ck_assert_int_ge(client, 0);
	ck_assert_int_eq(connect(client, (struct sockaddr *)&address,
	    sizeof address), 0);

	/* No descriptor is left, so accept() fails with EMFILE. */
	lowest_free = dup(0);
	ck_assert_int_ge(lowest_free, 0);
	close(lowest_free);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = (rlim_t)lowest_free;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	int iterations = check_http_loop_iterations(300);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);

	/* A spinning listener runs thousands of iterations in 300 ms. */
	ck_assert_int_le(iterations, 20);

	/* The listener accepts again after its pause. */
	check_http_loop_iterations(1200);
	const char *response = check_http_request("GET /echo HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ck_assert_msg(strstr(response, "200") != NULL, "response: %s",
	    response);
	close(client);
}
END_TEST

START_TEST(server_unknown_path_json_404)
{
	const char *response = check_http_request("GET /nowhere HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n\r\n");

	ck_assert_msg(strncmp(response, "HTTP/1.1 404 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response,
	    "Content-Type: application/json; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(response, "Cache-Control: no-store\r\n"));
	ck_assert_ptr_nonnull(strstr(response,
	    "X-Content-Type-Options: nosniff\r\n"));
	ck_assert_ptr_nonnull(strstr(response, "Referrer-Policy: no-referrer\r\n"));
	ck_assert_ptr_nonnull(strstr(check_http_body(response),
	    "{\"error\":{\"code\":\"not_found\""));
	ck_assert_int_eq(fixture.handler_calls, 0);
}
END_TEST

START_TEST(server_body_over_limit_json_413)
{
	char request[1024];
	char body[CHECK_HTTP_MAX_BODY + 2];
	const char *response;

	memset(body, 'x', sizeof body - 1);
	body[sizeof body - 1] = '\0';
	snprintf(request, sizeof request, "POST /echo HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\nContent-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	response = check_http_request(request);

	ck_assert_msg(strncmp(response, "HTTP/1.1 413 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "application/json"));
	ck_assert_ptr_nonnull(strstr(response, "\"code\":\"body_too_large\""));
	ck_assert_ptr_nonnull(strstr(response, "\"limit\":100"));
	ck_assert_int_eq(fixture.handler_calls, 0);
}
END_TEST

START_TEST(server_body_at_limit_accepted)
{
	char request[1024];
	char body[CHECK_HTTP_MAX_BODY + 1];
	const char *response;

	memset(body, 'x', sizeof body - 1);
	body[sizeof body - 1] = '\0';
	snprintf(request, sizeof request, "POST /echo HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\nContent-Type: Text/Plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	response = check_http_request(request);

	ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response,
	    "\"content_type\":\"text/plain\""));
	ck_assert_int_eq(fixture.handler_calls, 1);
}
END_TEST

START_TEST(server_exact_and_longest_prefix)
{
	const char *response;

	response = check_http_request("GET /echo HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(response, "\"route\":\"exact\""));
	response = check_http_request("GET /p/x HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(response, "\"route\":\"short prefix\""));
	response = check_http_request("GET /p/q/x?y=1 HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(response, "\"route\":\"long prefix\""));
	response = check_http_request("GET /echo/more HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert(strncmp(response, "HTTP/1.1 404 ", 13) == 0);
}
END_TEST

/* Sends request and checks the answer: status 400, the JSON error naming
 * header, and a closed connection that leaves the pipelined request after
 * it unanswered. */
static void
check_http_assert_framing_rejected(const char *headers, const char *header)
{
	char request[1024];
	char field[64];
	const char *response;

	snprintf(request, sizeof request, "POST /echo HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: text/plain\r\n%s\r\nxyGET /echo HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n\r\n", headers);
	snprintf(field, sizeof field, "\"field\":\"%s\"", header);
	response = check_http_request(request);

	ck_assert_msg(strncmp(response, "HTTP/1.1 400 ", 13) == 0,
	    "headers \"%s\": got %s", headers, response);
	ck_assert_msg(strstr(response, "Connection: close\r\n") != NULL,
	    "headers \"%s\": no Connection: close in %s", headers, response);
	ck_assert_msg(strstr(response, "\"code\":\"invalid_field\"") != NULL,
	    "headers \"%s\": got %s", headers, response);
	ck_assert_msg(strstr(response, field) != NULL, "headers \"%s\": "
	    "expected %s in %s", headers, field, response);
	ck_assert_msg(strstr(response + 13, "HTTP/1.1 ") == NULL,
	    "headers \"%s\": the pipelined request was answered: %s", headers,
	    response);
	ck_assert_int_eq(fixture.handler_calls, 0);
}

START_TEST(server_framing_duplicate_length)
{
	check_http_assert_framing_rejected("Content-Length: 2\r\n"
	    "Content-Length: 2\r\n", "Content-Length");
	check_http_assert_framing_rejected("Content-Length: 2\r\n"
	    "Content-Length: 40\r\n", "Content-Length");
	check_http_assert_framing_rejected("Content-Length: +2\r\n",
	    "Content-Length");
}
END_TEST

START_TEST(server_framing_transfer_encoding)
{
	const char *response;

	/* A GET body is not read by libevent, so the dispatcher sees these
	 * headers without a body to frame. */
	response = check_http_request("GET /echo HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 400 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "Connection: close\r\n"));
	ck_assert_ptr_nonnull(strstr(response,
	    "\"field\":\"Transfer-Encoding\""));

	/* Debian's libevent 2.1.12-stable-8+deb12u1 answers these with its
	 * own HTML 400 before the dispatcher runs, so only the status is
	 * checked. */
	response = check_http_request("GET /echo HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 400 ", 13) == 0, "got: %s",
	    response);
	response = check_http_request("GET /echo HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 400 ", 13) == 0, "got: %s",
	    response);
	ck_assert_int_eq(fixture.handler_calls, 0);
}
END_TEST

START_TEST(server_framing_length_and_chunked)
{
	const char *response = check_http_request("POST /echo HTTP/1.1\r\n"
	    "Host: h\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n2\r\nxy\r\n0\r\n\r\nGET /echo HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");

	/* Debian's libevent 2.1.12-stable-8+deb12u1 already answers this
	 * with its own HTML 400; the dispatcher's check covers builds that
	 * pass it on. Either way nothing after it may be answered. */
	ck_assert_msg(strncmp(response, "HTTP/1.1 400 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "Connection: close\r\n"));
	ck_assert_ptr_null(strstr(response + 13, "HTTP/1.1 "));
	ck_assert_int_eq(fixture.handler_calls, 0);
}
END_TEST

START_TEST(server_framing_single_length_accepted)
{
	const char *response = check_http_request("POST /echo HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\nContent-Length: 2\r\n\r\nxy");

	ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "got: %s",
	    response);
	response = check_http_request("POST /echo HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nxy\r\n0\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "got: %s",
	    response);
	ck_assert_int_eq(fixture.handler_calls, 2);
}
END_TEST

START_TEST(server_trace_and_connect_405)
{
	/* libevent 2.1.12 keeps the connection open after a reply to CONNECT
	 * whatever its Connection header says, so a request with
	 * "Connection: close" follows each CONNECT to end the exchange. */
	static const char *const requests[] = {
		"TRACE /echo HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
		"X-Secret: echo-me\r\n\r\n",
		"CONNECT /echo HTTP/1.1\r\nHost: h\r\n\r\n"
		"GET /nowhere HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: h\r\n\r\n"
		"GET /nowhere HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"TRACE /nowhere HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
		const char *response = check_http_request(requests[i]);

		ck_assert_msg(strncmp(response, "HTTP/1.1 405 ", 13) == 0,
		    "request %zu: got %s", i, response);
		ck_assert_ptr_nonnull(strstr(response, "\r\nAllow: GET, "));
		ck_assert_ptr_nonnull(strstr(response,
		    "Content-Type: application/json"));
		ck_assert_ptr_nonnull(strstr(response,
		    "\"code\":\"method_not_allowed\""));
		ck_assert_ptr_null(strstr(response, "echo-me"));
	}
	ck_assert_int_eq(fixture.handler_calls, 0);
}
END_TEST

START_TEST(server_patch_reaches_route)
{
	const char *response = check_http_request("PATCH /echo HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");

	ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "got: %s",
	    response);
	ck_assert_int_eq(fixture.handler_calls, 1);
}
END_TEST

START_TEST(server_encoded_nul_not_truncated)
{
	static const char *const paths[] = {
		"/echo%00", "/echo%00/more", "/ech%6f", "/p%00/q/x",
	};
	char request[256];

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		const char *response;

		snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: h"
		    "\r\nConnection: close\r\n\r\n", paths[i]);
		response = check_http_request(request);
		ck_assert_msg(strncmp(response, "HTTP/1.1 404 ", 13) == 0,
		    "path %s: got %s", paths[i], response);
	}
	ck_assert_int_eq(fixture.handler_calls, 0);
}
END_TEST

START_TEST(server_route_rules)
{
	ck_assert_int_eq(http_server_route(fixture.server, "test", "/echo",
	    HTTP_ROUTE_EXACT, check_http_echo, NULL), -1);
	ck_assert_int_eq(http_server_route(fixture.server, "test", "/nodash",
	    HTTP_ROUTE_PREFIX, check_http_echo, NULL), -1);
	ck_assert_int_eq(http_server_route(fixture.server, "test", "relative",
	    HTTP_ROUTE_EXACT, check_http_echo, NULL), -1);
	ck_assert_int_eq(http_server_route(fixture.server, "test", "/echo/",
	    HTTP_ROUTE_PREFIX, check_http_echo, NULL), 0);
}
END_TEST

START_TEST(server_language_choice)
{
	static const struct {
		const char *query;
		const char *accept;
		const char *expected;
	} cases[] = {
		{ "", NULL, "vi" },
		{ "?lang=en", NULL, "en" },
		{ "?lang=vi", "en", "vi" },
		{ "?lang=fr", "en", "vi" },
		{ "", "en-US,en;q=0.9,vi;q=0.5", "vi" },
		{ "?lang=en", "vi", "en" },
		{ "", "fr", "vi" },
	};
	char request[512];
	char expected[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int n = snprintf(request, sizeof request, "GET /echo%s HTTP/1.1"
		    "\r\nHost: h\r\nConnection: close\r\n", cases[i].query);

		if (cases[i].accept != NULL)
			n += snprintf(request + n, sizeof request - n,
			    "Accept-Language: %s\r\n", cases[i].accept);
		snprintf(request + n, sizeof request - n, "\r\n");
		snprintf(expected, sizeof expected, "\"language\":\"%s\"",
		    cases[i].expected);
		ck_assert_msg(strstr(check_http_request(request), expected),
		    "case %zu (query \"%s\", Accept-Language %s) expected %s",
		    i, cases[i].query, cases[i].accept ? cases[i].accept : "none",
		    cases[i].expected);
	}
}
END_TEST

START_TEST(server_head_on_get_route)
{
	char expected[64];
	const char *response = check_http_request("GET /echo HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n\r\n");

	snprintf(expected, sizeof expected, "Content-Length: %zu\r\n",
	    strlen(check_http_body(response)));
	response = check_http_request("HEAD /echo HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "got: %s",
	    response);
	ck_assert_str_eq(check_http_body(response), "");
	ck_assert_msg(strstr(response, expected) != NULL, "expected %s in: %s",
	    expected, response);
}
END_TEST

START_TEST(server_in_flight_returns_to_zero)
{
	const char *response = check_http_request("GET /slow HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n\r\n");

	ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "Content-Security-Policy: "
	    "default-src 'self'; style-src 'self' 'unsafe-inline'; "
	    "frame-ancestors 'none'; form-action 'self'\r\n"));
	ck_assert_int_eq(fixture.deferred_in_flight, 1);
	check_http_drain();
	ck_assert_uint_eq(http_server_in_flight(fixture.server), 0);
}
END_TEST

START_TEST(server_in_flight_after_client_left)
{
	static struct check_http_exchange exchange;
	char *text;

	memset(&exchange, 0, sizeof exchange);
	snprintf(exchange.request, sizeof exchange.request,
	    "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
	exchange.close_early = true;
	check_http_run(&exchange);
	check_http_drain();

	ck_assert_int_eq(fixture.deferred_in_flight, 1);
	ck_assert_ptr_null(fixture.deferred_req);
	ck_assert_uint_eq(http_server_in_flight(fixture.server), 0);
	text = metrics_render(fixture.metrics);
	ck_assert_ptr_nonnull(strstr(text, "hub_http_requests_total{channel="
	    "\"test\",route=\"/slow\",status=\"200\"} 1\n"));
	free(text);
}
END_TEST

START_TEST(server_metrics_count_requests)
{
	char *text;

	check_http_request("GET /echo HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	check_http_request("GET /missing HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	check_http_drain();
	text = metrics_render(fixture.metrics);
	ck_assert_ptr_nonnull(strstr(text, "hub_http_requests_total{channel="
	    "\"test\",route=\"/echo\",status=\"200\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "hub_http_errors_total{channel="
	    "\"core\",route=\"unmatched\"} 1\n"));
	ck_assert_ptr_null(strstr(text, "/missing"));
	free(text);
}
END_TEST

START_TEST(server_stop_accepting)
{
	const char *response;

	http_server_stop_accepting(fixture.server);
	response = check_http_request("GET /echo HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert_msg(strncmp(response, "connect:", 8) == 0, "got: %s",
	    response);
}
END_TEST

/* --- Client address behind proxies -------------------------------------- */

static void
check_http_setup_proxies(void)
{
	static char proxy_loopback[] = "::ffff:127.0.0.1";
	static char proxy_inner[] = "10.0.0.1";
	static char *trusted[] = { proxy_loopback, proxy_inner, NULL };

	check_http_start(trusted, 2);
}

static void
check_http_assert_client(const char *headers, const char *client)
{
	char request[1024];
	char expected[128];

	snprintf(request, sizeof request, "GET /echo HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n%s\r\n", headers);
	snprintf(expected, sizeof expected, "\"client\":\"%s\"", client);
	ck_assert_msg(strstr(check_http_request(request), expected) != NULL,
	    "headers \"%s\": expected client %s", headers, client);
}

START_TEST(proxy_forwarded_for)
{
	check_http_assert_client("", "127.0.0.1");
	check_http_assert_client("X-Forwarded-For: 203.0.113.7\r\n",
	    "203.0.113.7");
	check_http_assert_client("X-Forwarded-For: 198.51.100.4, 203.0.113.7,"
	    " 10.0.0.1\r\n", "203.0.113.7");
	check_http_assert_client("X-Forwarded-For: 198.51.100.4\r\n"
	    "X-Forwarded-For: 203.0.113.9\r\n", "203.0.113.9");
	check_http_assert_client("X-Forwarded-For: 2001:db8::1\r\n",
	    "2001:db8::1");
	check_http_assert_client("X-Forwarded-For: [2001:db8::2]\r\n",
	    "2001:db8::2");
	check_http_assert_client("X-Forwarded-For: 10.0.0.1\r\n", "10.0.0.1");
	check_http_assert_client("X-Forwarded-For: not-an-address\r\n",
	    "127.0.0.1");
	check_http_assert_client("X-Forwarded-For: 203.0.113.7, bogus\r\n",
	    "127.0.0.1");
	check_http_assert_client("X-Forwarded-For: bogus, 203.0.113.7\r\n",
	    "203.0.113.7");
}
END_TEST

START_TEST(proxy_untrusted_peer_ignored)
{
	check_http_teardown();
	check_http_start(NULL, 0);
	check_http_assert_client("X-Forwarded-For: 203.0.113.7\r\n",
	    "127.0.0.1");
}
END_TEST

START_TEST(rate_limit_per_client)
{
	const char *request_a = "POST /limited HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\nX-Forwarded-For: 203.0.113.1\r\n"
	    "Content-Length: 0\r\n\r\n";
	const char *request_b = "POST /limited HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\nX-Forwarded-For: 203.0.113.2\r\n"
	    "Content-Length: 0\r\n\r\n";
	const char *response;

	ck_assert(strncmp(check_http_request(request_a), "HTTP/1.1 201 ", 13)
	    == 0);
	ck_assert(strncmp(check_http_request(request_a), "HTTP/1.1 201 ", 13)
	    == 0);
	response = check_http_request(request_a);
	ck_assert_msg(strncmp(response, "HTTP/1.1 429 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "Retry-After: "));
	ck_assert_ptr_nonnull(strstr(response, "\"code\":\"rate_limited\""));
	ck_assert_ptr_nonnull(strstr(response, "\"limit\":2"));

	ck_assert(strncmp(check_http_request(request_b), "HTTP/1.1 201 ", 13)
	    == 0);
}
END_TEST

/* --- Core API ----------------------------------------------------------- */

static const char *
check_http_readiness(void *arg)
{
	return fixture.not_ready_reason;
}

static void
check_http_setup_api(void)
{
	char err[256] = "";

	check_http_start(NULL, 0);
	fixture.api.http = fixture.server;
	fixture.api.metrics = fixture.metrics;
	fixture.api.config = &fixture.config;
	fixture.api.readiness = check_http_readiness;
	ck_assert_msg(api_ops_mount(&fixture.api, err, sizeof err) == 0, "%s",
	    err);
}

START_TEST(api_health_and_readiness)
{
	const char *response;

	response = check_http_request("GET /healthz HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert(strncmp(response, "HTTP/1.1 200 ", 13) == 0);
	ck_assert_str_eq(check_http_body(response), "{\"status\":\"ok\"}");

	response = check_http_request("GET /readyz HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert_str_eq(check_http_body(response), "{\"status\":\"ready\"}");

	fixture.not_ready_reason = "shutting down";
	response = check_http_request("GET /readyz HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert(strncmp(response, "HTTP/1.1 503 ", 13) == 0);
	ck_assert_ptr_nonnull(strstr(response, "\"reason\":\"shutting down\""));

	response = check_http_request("POST /healthz HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\nContent-Length: 0\r\n\r\n");
	ck_assert(strncmp(response, "HTTP/1.1 405 ", 13) == 0);
	ck_assert_ptr_nonnull(strstr(response, "Allow: GET, HEAD\r\n"));
}
END_TEST

START_TEST(api_health_other_methods)
{
	const char *response;

	response = check_http_request("PATCH /healthz HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\nContent-Length: 0\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 405 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "Allow: GET, HEAD\r\n"));
	ck_assert_ptr_nonnull(strstr(response,
	    "\"code\":\"method_not_allowed\""));

	response = check_http_request("TRACE /healthz HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 405 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "\r\nAllow: "));
	ck_assert_ptr_nonnull(strstr(response,
	    "\"code\":\"method_not_allowed\""));
	ck_assert_ptr_null(strstr(response, "TRACE /healthz"));
}
END_TEST

START_TEST(api_metrics_endpoint)
{
	const char *response;

	check_http_request("GET /healthz HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	check_http_drain();
	response = check_http_request("GET /metrics HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert(strncmp(response, "HTTP/1.1 200 ", 13) == 0);
	ck_assert_ptr_nonnull(strstr(response, "Content-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(response, "hub_http_requests_total{"
	    "channel=\"core\",route=\"/healthz\",status=\"200\"} 1\n"));
}
END_TEST

/* Without admin.token_file the desk API still serves agents, so it
 * requires credentials (401) instead of sending 404. */
START_TEST(api_tickets_without_token_file)
{
	char err[256] = "";
	const char *response;

	fixture.config.admin_token_file = NULL;
	ck_assert_int_eq(api_tickets_mount(&fixture.api, err, sizeof err), 0);
	ck_assert(!fixture.api.admin_enabled);
	response = check_http_request("GET /api/v1/tickets HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 401 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "\"code\":\"unauthorized\""));
	response = check_http_request("GET /api/v1/tickets/12 HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 401 ", 13) == 0, "got: %s",
	    response);
}
END_TEST

static void
check_http_write_token(char *path, mode_t mode, const char *content)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

START_TEST(api_tickets_token_file_mode)
{
	char path[] = "/tmp/check_http_token_XXXXXX";
	char err[256] = "";

	check_http_write_token(path, 0644, "secret-token\n");
	fixture.config.admin_token_file = path;
	ck_assert_int_eq(api_tickets_mount(&fixture.api, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "chmod 600") != NULL, "error: %s", err);
	ck_assert_ptr_nonnull(strstr(err, path));
	unlink(path);
}
END_TEST

START_TEST(api_tickets_bearer_required)
{
	char path[] = "/tmp/check_http_token_XXXXXX";
	char err[256] = "";
	const char *response;

	check_http_write_token(path, 0600, "  secret-token \nsecond line\n");
	fixture.config.admin_token_file = path;
	ck_assert_msg(api_tickets_mount(&fixture.api, err, sizeof err) == 0,
	    "mount: %s", err);
	unlink(path);

	response = check_http_request("GET /api/v1/tickets HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n\r\n");
	ck_assert(strncmp(response, "HTTP/1.1 401 ", 13) == 0);
	ck_assert_ptr_nonnull(strstr(response, "WWW-Authenticate: Bearer"));
	ck_assert_ptr_nonnull(strstr(response, "\"code\":\"unauthorized\""));

	response = check_http_request("GET /api/v1/tickets HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n"
	    "Authorization: Bearer secret-tokem\r\n\r\n");
	ck_assert(strncmp(response, "HTTP/1.1 401 ", 13) == 0);

	response = check_http_request("GET /api/v1/tickets/5 HTTP/1.1\r\n"
	    "Host: h\r\nConnection: close\r\n"
	    "Authorization: Bearer second line\r\n\r\n");
	ck_assert(strncmp(response, "HTTP/1.1 401 ", 13) == 0);

	/* The right token passes the check and reaches the query rules. */
	response = check_http_request("GET /api/v1/tickets?limit=500 HTTP/1.1"
	    "\r\nHost: h\r\nConnection: close\r\n"
	    "Authorization: bearer secret-token\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 422 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "\"field\":\"limit\""));
	ck_assert_ptr_nonnull(strstr(response, "\"limit\":200"));

	response = check_http_request("GET /api/v1/tickets?status=open HTTP/1.1"
	    "\r\nHost: h\r\nConnection: close\r\n"
	    "Authorization: Bearer secret-token\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(response, "\"field\":\"status\""));

	response = check_http_request("GET /api/v1/tickets?before=-3 HTTP/1.1"
	    "\r\nHost: h\r\nConnection: close\r\n"
	    "Authorization: Bearer secret-token\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(response, "\"field\":\"before\""));

	response = check_http_request("GET /api/v1/tickets?colour=red HTTP/1.1"
	    "\r\nHost: h\r\nConnection: close\r\n"
	    "Authorization: Bearer secret-token\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(response, "\"field\":\"colour\""));

	response = check_http_request("GET /api/v1/tickets?limit=5&limit=6 "
	    "HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
	    "Authorization: Bearer secret-token\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 422 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "\"field\":\"limit\""));
	ck_assert_ptr_null(strstr(response, "\"limit\":200"));

	response = check_http_request("GET /api/v1/tickets?status=new&"
	    "status=new HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
	    "Authorization: Bearer secret-token\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(response, "\"field\":\"status\""));

	response = check_http_request("GET /api/v1/tickets/3805-1729-62 "
	    "HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
	    "Authorization: Bearer secret-token\r\n\r\n");
	ck_assert_msg(strncmp(response, "HTTP/1.1 422 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "\"field\":\"id\""));
}
END_TEST

static int
check_http_remove_entry(const char *path, const struct stat *status,
    int type, struct FTW *walk)
{
	return remove(path);
}

START_TEST(api_tickets_store_reads)
{
	char data_dir[] = "/tmp/check_http_store_XXXXXX";
	char path[] = "/tmp/check_http_token_XXXXXX";
	char err[256] = "";
	const char *auth = "Host: h\r\nConnection: close\r\n"
	    "Authorization: Bearer secret-token\r\n\r\n";
	char request[512];
	const char *response;

	ck_assert_ptr_nonnull(mkdtemp(data_dir));
	ck_assert_msg(store_init(data_dir, err, sizeof err) == 0, "%s", err);
	fixture.api.store = store_open_readonly(data_dir, err, sizeof err);
	ck_assert_msg(fixture.api.store != NULL, "%s", err);
	check_http_write_token(path, 0600, "secret-token\n");
	fixture.config.admin_token_file = path;
	ck_assert_msg(api_tickets_mount(&fixture.api, err, sizeof err) == 0,
	    "mount: %s", err);
	unlink(path);

	snprintf(request, sizeof request, "GET /api/v1/tickets?status=new&"
	    "limit=10 HTTP/1.1\r\n%s", auth);
	response = check_http_request(request);
	ck_assert_msg(strncmp(response, "HTTP/1.1 200 ", 13) == 0, "got: %s",
	    response);
	ck_assert_str_eq(check_http_body(response),
	    "{\"tickets\":[],\"next_before\":null}");

	snprintf(request, sizeof request, "GET /api/v1/tickets/5 HTTP/1.1\r\n%s",
	    auth);
	response = check_http_request(request);
	ck_assert_msg(strncmp(response, "HTTP/1.1 404 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_nonnull(strstr(response, "\"field\":\"id\""));

	/* Without the check, "5%00" reads as id 5 and the 404 names "id". */
	snprintf(request, sizeof request, "GET /api/v1/tickets/5%%00 HTTP/1.1"
	    "\r\n%s", auth);
	response = check_http_request(request);
	ck_assert_msg(strncmp(response, "HTTP/1.1 404 ", 13) == 0, "got: %s",
	    response);
	ck_assert_ptr_null(strstr(response, "\"field\":\"id\""));

	snprintf(request, sizeof request, "GET /api/v1/tickets/3805-1729-61 "
	    "HTTP/1.1\r\n%s", auth);
	response = check_http_request(request);
	ck_assert_msg(strncmp(response, "HTTP/1.1 404 ", 13) == 0, "got: %s",
	    response);

	response = check_http_request("GET /metrics HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(response, "\nhub_outbox_depth 0\n"));

	store_close(fixture.api.store);
	fixture.api.store = NULL;
	nftw(data_dir, check_http_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}
END_TEST

Suite *
http_suite(void)
{
	Suite *suite = suite_create("http");
	TCase *errors = tcase_create("api_error");
	TCase *metrics = tcase_create("metrics");
	TCase *server = tcase_create("server");
	TCase *proxies = tcase_create("proxies");
	TCase *api = tcase_create("api");

	tcase_add_test(errors, error_catalogue_complete);
	tcase_add_test(errors, error_statuses);
	tcase_add_test(errors, error_message_field_and_limit);
	tcase_add_test(errors, error_message_gives_expected_form);
	tcase_add_test(errors, error_json_shape);
	suite_add_tcase(suite, errors);

	tcase_add_test(metrics, metrics_counters_and_escaping);
	suite_add_tcase(suite, metrics);

	tcase_add_checked_fixture(server, check_http_setup, check_http_teardown);
	tcase_add_test(server, server_unknown_path_json_404);
	tcase_add_test(server, server_body_over_limit_json_413);
	tcase_add_test(server, server_body_at_limit_accepted);
	tcase_add_test(server, server_exact_and_longest_prefix);
	tcase_add_test(server, server_framing_duplicate_length);
	tcase_add_test(server, server_framing_transfer_encoding);
	tcase_add_test(server, server_framing_length_and_chunked);
	tcase_add_test(server, server_framing_single_length_accepted);
	tcase_add_test(server, server_trace_and_connect_405);
	tcase_add_test(server, server_patch_reaches_route);
	tcase_add_test(server, server_encoded_nul_not_truncated);
	tcase_add_test(server, server_route_rules);
	tcase_add_test(server, server_language_choice);
	tcase_add_test(server, server_head_on_get_route);
	tcase_add_test(server, server_in_flight_returns_to_zero);
	tcase_add_test(server, server_in_flight_after_client_left);
	tcase_add_test(server, server_metrics_count_requests);
	tcase_add_test(server, server_stop_accepting);
	tcase_add_test(server, server_accept_emfile_pauses);
	suite_add_tcase(suite, server);

	tcase_add_checked_fixture(proxies, check_http_setup_proxies,
	    check_http_teardown);
	tcase_add_test(proxies, proxy_forwarded_for);
	tcase_add_test(proxies, proxy_untrusted_peer_ignored);
	tcase_add_test(proxies, rate_limit_per_client);
	suite_add_tcase(suite, proxies);

	tcase_add_checked_fixture(api, check_http_setup_api, check_http_teardown);
	tcase_add_test(api, api_health_and_readiness);
	tcase_add_test(api, api_health_other_methods);
	tcase_add_test(api, api_metrics_endpoint);
	tcase_add_test(api, api_tickets_without_token_file);
	tcase_add_test(api, api_tickets_token_file_mode);
	tcase_add_test(api, api_tickets_bearer_required);
	tcase_add_test(api, api_tickets_store_reads);
	suite_add_tcase(suite, api);
	return suite;
}
