/*
 * The SIP TCP watchdog (sip_tcp.h).
 */

#include <dirent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "sip_tcp.h"

/* One accepted connection, known by its socket's inode so that a reused
 * descriptor number counts as a new connection. */
struct sip_tcp_connection {
	ino_t inode;
	int64_t first_seen_ms;
	struct sockaddr_storage peer;
	bool used;		/* a request arrived from peer */
	bool present;		/* found by the current scan */
};

/* Peers of the latest requests, for connections that deliver their first
 * request before a scan first finds them. */
#define SIP_TCP_RECENT 256

struct sip_tcp {
	struct sockaddr_storage local;
	int64_t idle_ms;
	struct sip_tcp_connection *connections;
	size_t count, size;
	struct sockaddr_storage recent[SIP_TCP_RECENT];
	size_t recent_next;
};

struct sip_tcp *
sip_tcp_new(const char *host, int port, int64_t idle_ms)
{
	struct sip_tcp *tcp = calloc(1, sizeof *tcp);
	struct sockaddr_in *v4 = (struct sockaddr_in *)&tcp->local;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&tcp->local;

	if (tcp == NULL)
		return NULL;
	tcp->idle_ms = idle_ms;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
	}
	return tcp;
}

void
sip_tcp_free(struct sip_tcp *tcp)
{
	if (tcp == NULL)
		return;
	free(tcp->connections);
	free(tcp);
}

/* Compares family, address and port. With any_address set, only family
 * and port count, for a listen address that is the unspecified address. */
static bool
sip_tcp_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
    bool any_address)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && (any_address ||
		    x->sin_addr.s_addr == y->sin_addr.s_addr);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port && (any_address ||
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0);
	}
	return false;
}

static bool
sip_tcp_local_any(const struct sockaddr_storage *local)
{
	if (local->ss_family == AF_INET)
		return ((const struct sockaddr_in *)local)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)local)->sin6_addr);
}

void
sip_tcp_request_seen(struct sip_tcp *tcp, const struct sockaddr *peer,
    socklen_t length)
{
	struct sockaddr_storage address = { 0 };

	if (tcp == NULL || length > sizeof address)
		return;
	memcpy(&address, peer, length);
	tcp->recent[tcp->recent_next] = address;
	tcp->recent_next = (tcp->recent_next + 1) % SIP_TCP_RECENT;
	for (size_t i = 0; i < tcp->count; i++)
		if (sip_tcp_same(&tcp->connections[i].peer, &address, false))
			tcp->connections[i].used = true;
}

/* Returns the entry of inode, adding it with first_seen_ms = now_ms.
 * Returns NULL on allocation failure. */
static struct sip_tcp_connection *
sip_tcp_entry(struct sip_tcp *tcp, ino_t inode, int64_t now_ms)
{
	for (size_t i = 0; i < tcp->count; i++)
		if (tcp->connections[i].inode == inode)
			return &tcp->connections[i];
	if (tcp->count == tcp->size) {
		size_t size = tcp->size == 0 ? 64 : tcp->size * 2;
		void *grown = realloc(tcp->connections,
		    size * sizeof *tcp->connections);

		if (grown == NULL)
			return NULL;
		tcp->connections = grown;
		tcp->size = size;
	}
	tcp->connections[tcp->count] = (struct sip_tcp_connection){
		.inode = inode, .first_seen_ms = now_ms,
	};
	return &tcp->connections[tcp->count++];
}

/* Checks whether fd is a connected TCP socket whose local end is the SIP
 * address and port, and stores its peer. */
static bool
sip_tcp_is_connection(const struct sip_tcp *tcp, int fd,
    struct sockaddr_storage *peer)
{
	struct sockaddr_storage local;
	socklen_t length = sizeof local;
	int type = 0, listening = 1;
	socklen_t size = sizeof type;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 ||
	    type != SOCK_STREAM)
		return false;
	size = sizeof listening;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 ||
	    listening)
		return false;
	if (getsockname(fd, (struct sockaddr *)&local, &length) != 0 ||
	    !sip_tcp_same(&local, &tcp->local, sip_tcp_local_any(&tcp->local)))
		return false;
	length = sizeof *peer;
	return getpeername(fd, (struct sockaddr *)peer, &length) == 0;
}

/* Shuts down descriptor fd when it is an expired SIP connection. Returns 1
 * when it did. */
static int
sip_tcp_check(struct sip_tcp *tcp, int fd, int64_t now_ms)
{
	struct sip_tcp_connection *entry;
	struct sockaddr_storage peer;
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    !sip_tcp_is_connection(tcp, fd, &peer))
		return 0;
	if ((entry = sip_tcp_entry(tcp, st.st_ino, now_ms)) == NULL)
		return 0;
	if (entry->first_seen_ms == now_ms) {
		entry->peer = peer;
		for (size_t i = 0; i < SIP_TCP_RECENT && !entry->used; i++)
			entry->used = sip_tcp_same(&tcp->recent[i], &peer, false);
	}
	entry->present = true;
	if (entry->used || now_ms - entry->first_seen_ms < tcp->idle_ms)
		return 0;
	/* sofia-sip reads end-of-file and closes the transport itself. */
	shutdown(fd, SHUT_RDWR);
	entry->used = true;
	return 1;
}

/* Drops the entries of connections that are gone. */
static void
sip_tcp_prune(struct sip_tcp *tcp)
{
	size_t kept = 0;

	for (size_t i = 0; i < tcp->count; i++) {
		if (!tcp->connections[i].present)
			continue;
		tcp->connections[i].present = false;
		tcp->connections[kept++] = tcp->connections[i];
	}
	tcp->count = kept;
}

int
sip_tcp_scan(struct sip_tcp *tcp, int64_t now_ms)
{
	DIR *directory = opendir("/proc/self/fd");
	struct dirent *item;
	int closed = 0;

	if (directory == NULL)
		return 0;
	while ((item = readdir(directory)) != NULL) {
		char *end;
		long fd = strtol(item->d_name, &end, 10);

		if (*end != '\0' || end == item->d_name || fd == dirfd(directory))
			continue;
		closed += sip_tcp_check(tcp, (int)fd, now_ms);
	}
	closedir(directory);
	sip_tcp_prune(tcp);
	return closed;
}
