/*
 * The hub's own HTTP API, mounted on the shared server under the channel
 * label "core":
 *
 *   GET /healthz            the process is up
 *   GET /readyz             the daemon takes new work
 *   GET /metrics            Prometheus text format 0.0.4
 *   GET /api/v1/tickets     operators' read API, behind a bearer token
 *   GET /api/v1/tickets/ID  (ID: internal id, or a ticket code)
 */
#ifndef HUB_API_H
#define HUB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct events;
struct hub_config;
struct http_server;
struct metrics;
struct store;
struct templates;
struct worker_pool;

#define API_TOKEN_HASH_BYTES 32
#define API_TICKETS_LIMIT_DEFAULT 50
#define API_TICKETS_LIMIT_MAX 200

/* Returns NULL when the daemon takes new work, or why it does not
 * ("shutting down", "store not accepting writes"). */
typedef const char *(*api_readiness_fn)(void *arg);

/* Shared state of the API handlers. The caller fills the first block and
 * keeps the context alive as long as the HTTP server. */
struct api_context {
	struct http_server *http;
	struct store *store;		/* NULL: /metrics skips the outbox */
	struct metrics *metrics;
	const struct hub_config *config;
	struct events *events;		/* NULL: changes are not published */
	struct templates *templates;
	struct worker_pool *workers;
	api_readiness_fn readiness;	/* NULL: always ready */
	void *readiness_arg;
	/* Whether the channel called name sends: 1 when it does, 0 when it is
	 * loaded but cannot send (the hotline), -1 when it is not loaded.
	 * NULL: every channel sends. Called from store jobs, which is safe
	 * because the loaded channels do not change while requests are
	 * served. */
	int (*channel_sends)(const char *name, void *arg);
	void *channel_sends_arg;

	/* Set by api_tickets_mount. */
	bool admin_enabled;
	uint8_t admin_token_hash[API_TOKEN_HASH_BYTES];
};

/* Mounts /healthz, /readyz and /metrics. Returns 0, or -1 with a message in
 * err when a path is taken. */
int api_ops_mount(struct api_context *api, char *err, size_t err_size);

/* Reads the admin token from the first line of path, which must be a
 * regular file closed to group and others, and stores its hash. Returns 0,
 * or -1 with a message naming admin.token_file in err. Call sodium_init
 * first. */
int api_admin_token_load(const char *path, uint8_t hash[API_TOKEN_HASH_BYTES],
    char *err, size_t err_size);

/* Mounts /api/v1/tickets and /api/v1/tickets/ID. With admin.token_file set,
 * reads the token from the first line of that file, which must not be
 * readable by group or others. Without it the routes reply 404 saying that
 * admin.token_file is not set. Returns 0, or -1 with a message in err when
 * the file cannot be read, is open to others, holds no token, or a path is
 * taken. */
int api_tickets_mount(struct api_context *api, char *err, size_t err_size);

#endif
