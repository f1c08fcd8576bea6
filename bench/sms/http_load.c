/*
 * HTTP load for the SMS benchmark: sends COUNT requests to one HTTP/1.1
 * server on 127.0.0.1 over CONNECTIONS kept-alive connections, one request
 * at a time on each, and prints what came back.
 *
 *   http_load --port PORT --requests FILE --count N --connections C
 *             [--header "Name: value"]... [--warm-up PATH]
 *
 * Each line of FILE is "METHOD<TAB>PATH" or "METHOD<TAB>PATH<TAB>BODY"
 * (a body is sent as application/json); request i uses line i modulo the
 * number of lines. Responses need a Content-Length (or no body, for 204
 * and 304); a connection the server closes is opened again.
 *
 * With --warm-up PATH, each connection first sends GET PATH and waits for
 * its response, whatever the status, and the counted requests start once
 * every connection has had one. The timing then leaves out the opening of
 * the connections.
 *
 * Output, one line of KEY=VALUE: requests, ok (2xx), other (any other
 * status), errors (connections lost with a request in flight), connects,
 * first and last (CLOCK_REALTIME of the first request written and of the
 * last response read, in seconds), seconds (between them), rate (requests
 * per second), and status_NNN for each status seen.
 *
 * Only 127.0.0.1 is ever connected to.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOAD_HEADERS_MAX 16
#define LOAD_IN_SIZE (64 * 1024)
#define LOAD_STATUS_MAX 600

struct load_line {
	char *method;
	char *path;
	char *body;		/* NULL for none */
};

struct load_conn {
	int fd;
	char *out;
	size_t out_len, out_sent;
	char in[LOAD_IN_SIZE];
	size_t in_len;
	bool busy;		/* a request is in flight */
	bool warm;		/* its warm-up request got a response */
};

static struct {
	int port;
	const char *requests_file;
	long count;
	int connections;
	const char *headers[LOAD_HEADERS_MAX];
	int header_count;
	const char *warm_up_path;	/* NULL for no warm-up */
} options = { .connections = 8 };

static struct load_line *lines;
static size_t line_count;
static long started, answered, ok, other, errors, connects, warmed;
static struct load_conn *conns;
static long statuses[LOAD_STATUS_MAX];
static double first_at, last_at;
static int epoll_fd;

static double
realtime_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "http_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: http_load --port PORT --requests FILE "
	    "--count N [--connections C] [--header \"Name: value\"]... "
	    "[--warm-up PATH]\n");
	exit(2);
}

static void
lines_load(const char *path)
{
	FILE *file = fopen(path, "r");
	char *line = NULL;
	size_t size = 0;
	ssize_t length;

	if (file == NULL)
		die(path);
	while ((length = getline(&line, &size, file)) > 0) {
		char *method, *target, *body;

		if (line[length - 1] == '\n')
			line[--length] = '\0';
		if (length == 0)
			continue;
		method = strtok(line, "\t");
		target = strtok(NULL, "\t");
		body = strtok(NULL, "");
		if (method == NULL || target == NULL) {
			fprintf(stderr, "http_load: %s: a line without a path\n",
			    path);
			exit(2);
		}
		lines = realloc(lines, (line_count + 1) * sizeof *lines);
		if (lines == NULL)
			die("realloc");
		lines[line_count].method = strdup(method);
		lines[line_count].path = strdup(target);
		lines[line_count].body = body != NULL ? strdup(body) : NULL;
		line_count++;
	}
	free(line);
	fclose(file);
	if (line_count == 0) {
		fprintf(stderr, "http_load: %s: no requests\n", path);
		exit(2);
	}
}

static void
conn_open(struct load_conn *conn)
{
	struct sockaddr_in address = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)options.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct epoll_event event = { .events = EPOLLIN | EPOLLOUT,
		.data.ptr = conn };
	int one = 1;

	conn->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (conn->fd < 0)
		die("socket");
	setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(conn->fd, (struct sockaddr *)&address, sizeof address) != 0
	    && errno != EINPROGRESS)
		die("connect");
	connects++;
	conn->in_len = 0;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, conn->fd, &event) != 0)
		die("epoll_ctl");
}

static void
conn_close(struct load_conn *conn)
{
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	conn->fd = -1;
}

/* Builds the warm-up request in conn->out. */
static void
conn_warm_up(struct load_conn *conn)
{
	free(conn->out);
	if (asprintf(&conn->out, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "\r\n", options.warm_up_path, options.port) < 0)
		die("asprintf");
	conn->out_len = strlen(conn->out);
	conn->out_sent = 0;
	conn->busy = true;
}

static void conn_watch(struct load_conn *conn, uint32_t events);

/* Builds the next request in conn->out. */
static void
conn_next(struct load_conn *conn)
{
	const struct load_line *line = &lines[started % (long)line_count];
	size_t capacity = 1024 + strlen(line->path) +
	    (line->body != NULL ? strlen(line->body) : 0);
	int length;

	for (int i = 0; i < options.header_count; i++)
		capacity += strlen(options.headers[i]) + 2;
	free(conn->out);
	conn->out = malloc(capacity);
	if (conn->out == NULL)
		die("malloc");
	length = snprintf(conn->out, capacity, "%s %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n", line->method, line->path, options.port);
	for (int i = 0; i < options.header_count; i++)
		length += snprintf(conn->out + length, capacity - (size_t)length,
		    "%s\r\n", options.headers[i]);
	if (line->body != NULL)
		length += snprintf(conn->out + length, capacity - (size_t)length,
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n%s", strlen(line->body),
		    line->body);
	else
		length += snprintf(conn->out + length, capacity - (size_t)length,
		    "\r\n");
	conn->out_len = (size_t)length;
	conn->out_sent = 0;
	conn->busy = true;
	if (started == 0)
		first_at = realtime_now();
	started++;
}

static void
conn_watch(struct load_conn *conn, uint32_t events)
{
	struct epoll_event event = { .events = events, .data.ptr = conn };

	epoll_ctl(epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
}

/* A connection lost: its request counts as an error and is not sent
 * again. */
static void
conn_lost(struct load_conn *conn)
{
	conn_close(conn);
	if (!conn->warm) {
		fprintf(stderr, "http_load: a connection closed before its "
		    "warm-up response\n");
		exit(1);
	}
	if (conn->busy) {
		errors++;
		answered++;
		conn->busy = false;
	}
	if (started < options.count) {
		conn_open(conn);
		conn_next(conn);
	}
}

static bool
header_value(const char *head, size_t head_len, const char *name, char *out,
    size_t out_size)
{
	size_t name_len = strlen(name);
	const char *p = head, *end = head + head_len;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > name_len && p[name_len] == ':' &&
		    strncasecmp(p, name, name_len) == 0) {
			const char *value = p + name_len + 1;
			size_t length;

			while (value < eol && (*value == ' ' || *value == '\t'))
				value++;
			length = (size_t)(eol - value);
			if (length >= out_size)
				length = out_size - 1;
			memcpy(out, value, length);
			out[length] = '\0';
			return true;
		}
		p = eol + 2;
	}
	return false;
}

/* Takes complete responses off conn->in. Returns false when the
 * connection must be closed. */
static bool
conn_parse(struct load_conn *conn)
{
	for (;;) {
		char *end = memmem(conn->in, conn->in_len, "\r\n\r\n", 4);
		char value[64];
		size_t head_len, body_len = 0, total;
		int status;
		bool keep = true;

		if (end == NULL)
			return conn->in_len < sizeof conn->in;
		head_len = (size_t)(end - conn->in) + 4;
		if (sscanf(conn->in, "HTTP/1.%*d %d", &status) != 1)
			return false;
		if (header_value(conn->in, head_len, "Transfer-Encoding", value,
		    sizeof value)) {
			fprintf(stderr, "http_load: chunked responses are not "
			    "supported\n");
			exit(1);
		}
		if (header_value(conn->in, head_len, "Content-Length", value,
		    sizeof value))
			body_len = strtoul(value, NULL, 10);
		if (header_value(conn->in, head_len, "Connection", value,
		    sizeof value) && strcasecmp(value, "close") == 0)
			keep = false;
		if (strncmp(conn->in, "HTTP/1.0", 8) == 0 && !(header_value(
		    conn->in, head_len, "Connection", value, sizeof value) &&
		    strcasecmp(value, "keep-alive") == 0))
			keep = false;
		total = head_len + body_len;
		if (total > sizeof conn->in)
			return false;
		if (conn->in_len < total)
			return true;
		if (!conn->busy)
			return false;
		conn->busy = false;
		memmove(conn->in, conn->in + total, conn->in_len - total);
		conn->in_len -= total;
		if (!conn->warm) {
			if (!keep) {
				fprintf(stderr, "http_load: the server closed a "
				    "connection after its warm-up response\n");
				exit(1);
			}
			conn->warm = true;
			/* The last warm-up response starts the counted requests
			 * on every connection. */
			if (++warmed == options.connections)
				for (int i = 0; i < options.connections; i++) {
					conn_next(&conns[i]);
					conn_watch(&conns[i], EPOLLIN | EPOLLOUT);
				}
			continue;
		}
		answered++;
		last_at = realtime_now();
		if (status >= 200 && status < 300)
			ok++;
		else
			other++;
		if (status > 0 && status < LOAD_STATUS_MAX)
			statuses[status]++;
		if (!keep)
			return false;
		if (started < options.count) {
			conn_next(conn);
			conn_watch(conn, EPOLLIN | EPOLLOUT);
		}
	}
}

static void
conn_event(struct load_conn *conn, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		conn_lost(conn);
		return;
	}
	if (events & EPOLLOUT && conn->out_sent < conn->out_len) {
		ssize_t n = write(conn->fd, conn->out + conn->out_sent,
		    conn->out_len - conn->out_sent);

		if (n < 0 && errno != EAGAIN) {
			conn_lost(conn);
			return;
		}
		if (n > 0)
			conn->out_sent += (size_t)n;
		if (conn->out_sent == conn->out_len)
			conn_watch(conn, EPOLLIN);
	}
	if (events & EPOLLIN) {
		ssize_t n = read(conn->fd, conn->in + conn->in_len,
		    sizeof conn->in - conn->in_len);

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_lost(conn);
			return;
		}
		conn->in_len += (size_t)n;
		if (!conn_parse(conn))
			conn_lost(conn);
	}
}

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "requests", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "connections", required_argument, NULL, 'c' },
		{ "header", required_argument, NULL, 'H' },
		{ "warm-up", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct epoll_event events[64];
	int option;

	while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (option) {
		case 'p': options.port = atoi(optarg); break;
		case 'r': options.requests_file = optarg; break;
		case 'n': options.count = atol(optarg); break;
		case 'c': options.connections = atoi(optarg); break;
		case 'w': options.warm_up_path = optarg; break;
		case 'H':
			if (options.header_count == LOAD_HEADERS_MAX)
				usage();
			options.headers[options.header_count++] = optarg;
			break;
		default: usage();
		}
	}
	if (options.port <= 0 || options.port > 65535 ||
	    options.requests_file == NULL || options.count <= 0 ||
	    options.connections <= 0)
		usage();
	if (options.connections > options.count)
		options.connections = (int)options.count;
	lines_load(options.requests_file);
	epoll_fd = epoll_create1(0);
	if (epoll_fd < 0)
		die("epoll_create1");
	conns = calloc((size_t)options.connections, sizeof *conns);
	if (conns == NULL)
		die("calloc");
	for (int i = 0; i < options.connections; i++) {
		conns[i].warm = options.warm_up_path == NULL;
		conn_open(&conns[i]);
		if (conns[i].warm)
			conn_next(&conns[i]);
		else
			conn_warm_up(&conns[i]);
	}
	while (answered < options.count) {
		int n = epoll_wait(epoll_fd, events, 64, 30000);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		if (n == 0) {
			fprintf(stderr, "http_load: no response for 30 s; %ld of "
			    "%ld requests completed\n", answered, options.count);
			break;
		}
		for (int i = 0; i < n; i++)
			conn_event(events[i].data.ptr, events[i].events);
	}
	printf("requests=%ld ok=%ld other=%ld errors=%ld connects=%ld "
	    "first=%.6f last=%.6f seconds=%.3f rate=%.0f", answered, ok, other,
	    errors, connects, first_at, last_at, last_at - first_at,
	    last_at > first_at ? (double)ok / (last_at - first_at) : 0.0);
	for (int status = 0; status < LOAD_STATUS_MAX; status++)
		if (statuses[status] != 0)
			printf(" status_%d=%ld", status, statuses[status]);
	printf("\n");
	return answered == options.count && errors == 0 ? 0 : 1;
}
