/*
 * The fastest get-url endpoint we could write, for measuring how many MO
 * messages per second Kannel's smsbox can pass on when the endpoint costs
 * next to nothing. It runs one thread with epoll and keeps connections
 * alive. It sends "200 OK" with an empty body for every request as soon as
 * the request's head (and its Content-Length body, for a post-url) has
 * arrived. It parses nothing beyond that and writes nothing to disk.
 *
 *   mo_sink PORT
 *
 * It listens on 127.0.0.1:PORT only. The response to GET /stats is
 * "requests=N first=T last=T connections=N": the requests counted (every
 * request but /stats), the CLOCK_REALTIME of the first and the last, and
 * the connections accepted. It runs until it is killed.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SINK_IN_SIZE (64 * 1024)

struct sink_conn {
	int fd;
	size_t in_len;
	char in[SINK_IN_SIZE];
};

static const char sink_ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
    "Content-Type: text/plain\r\n\r\n";
static long requests, connections;
static double first_at, last_at;

static double
realtime_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static size_t
content_length(const char *head, size_t head_len)
{
	const char *p = head, *end = head + head_len;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);

		if (eol == NULL)
			break;
		if (eol - p > 15 && strncasecmp(p, "Content-Length:", 15) == 0)
			return strtoul(p + 15, NULL, 10);
		p = eol + 2;
	}
	return 0;
}

/* Sends the response to every complete request in conn->in. Returns -1
 * when the connection must be closed. */
static int
sink_serve(struct sink_conn *conn)
{
	for (;;) {
		char *end = memmem(conn->in, conn->in_len, "\r\n\r\n", 4);
		size_t head_len, total;
		char stats[256], reply[512];
		int length;

		if (end == NULL)
			return conn->in_len < sizeof conn->in ? 0 : -1;
		head_len = (size_t)(end - conn->in) + 4;
		total = head_len + content_length(conn->in, head_len);
		if (total > sizeof conn->in)
			return -1;
		if (conn->in_len < total)
			return 0;
		if (strncmp(conn->in, "GET /stats ", 11) == 0) {
			length = snprintf(stats, sizeof stats,
			    "requests=%ld first=%.6f last=%.6f connections=%ld\n",
			    requests, first_at, last_at, connections);
			length = snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\n"
			    "Content-Length: %d\r\nContent-Type: text/plain\r\n\r\n"
			    "%s", length, stats);
			if (write(conn->fd, reply, (size_t)length) != length)
				return -1;
		} else {
			last_at = realtime_now();
			if (requests++ == 0)
				first_at = last_at;
			if (write(conn->fd, sink_ok, sizeof sink_ok - 1) !=
			    (ssize_t)(sizeof sink_ok - 1))
				return -1;
		}
		memmove(conn->in, conn->in + total, conn->in_len - total);
		conn->in_len -= total;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in address = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event event, events[64];
	int listener, epoll_fd, one = 1;

	if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
		fprintf(stderr, "usage: mo_sink PORT\n");
		return 2;
	}
	address.sin_port = htons((uint16_t)atoi(argv[1]));
	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) != 0 || bind(listener, (struct sockaddr *)&address,
	    sizeof address) != 0 || listen(listener, 512) != 0) {
		perror("mo_sink: listen");
		return 1;
	}
	epoll_fd = epoll_create1(0);
	event = (struct epoll_event){ .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener,
	    &event) != 0) {
		perror("mo_sink: epoll");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(epoll_fd, events, 64, -1);

		for (int i = 0; i < n; i++) {
			struct sink_conn *conn = events[i].data.ptr;
			ssize_t got;

			if (conn == NULL) {
				int fd;

				while ((fd = accept4(listener, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					conn = calloc(1, sizeof *conn);
					if (conn == NULL) {
						close(fd);
						continue;
					}
					conn->fd = fd;
					connections++;
					event = (struct epoll_event){
						.events = EPOLLIN, .data.ptr = conn };
					epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
				}
				continue;
			}
			got = read(conn->fd, conn->in + conn->in_len,
			    sizeof conn->in - conn->in_len);
			if (got < 0 && errno == EAGAIN)
				continue;
			if (got > 0)
				conn->in_len += (size_t)got;
			if (got <= 0 || sink_serve(conn) != 0) {
				epoll_ctl(epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
				close(conn->fd);
				free(conn);
			}
		}
	}
}
