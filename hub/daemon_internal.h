/*
 * The daemon's state, shared by daemon.c (start-up and clean-up),
 * daemon_signal.c (signals and shutdown) and daemon_prune.c (the pruning
 * timer).
 */
#ifndef HUB_DAEMON_INTERNAL_H
#define HUB_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <time.h>

#include "api.h"
#include "config.h"
#include "daemon.h"
#include "module.h"

struct event;
struct event_base;

struct daemon {
	struct hub_config *config;
	int lock_fd;
	struct event_base *base;
	struct store *store;
	struct templates *templates;
	struct metrics *metrics;
	struct events *events;
	struct worker_pool *workers;
	struct worker_pool *io_workers;	/* jobs that wait on the network */
	struct http_server *http;
	struct pipeline *pipeline;
	struct api_context api;
	struct module_set *modules;
	struct hub_host host;
	struct assign *assign;
	struct desk_timer *desk_timer;
	struct sendq *sendq;
	struct notices *notices;

	struct event *signals[4];
	struct event *prune_timer;
	struct privacy_retention *retention;	/* NULL: retention off */
	struct event *drain_timer;
	int drain_quiet_ticks;	/* drain ticks in a row with nothing in flight */
	bool listeners_closed;
	bool stopping;
	time_t close_deadline;	/* the listening sockets close by then */
	time_t stop_deadline;
};

/* Loads the config file of options and applies --http and --data-dir.
 * Returns 0, or -1 with the message in err. */
int daemon_load_config(const struct daemon_options *options,
    struct hub_config **config, char *err, size_t err_size);

/* Watches SIGTERM, SIGINT (shutdown), SIGHUP (reopen the log, reload the
 * templates) and SIGPIPE (ignored). Returns 0 or -1. */
int daemon_watch_signals(struct daemon *daemon);

/* Starts the shutdown: not ready, no new connections, channels stopped; the
 * loop ends once every request is answered. reason names the signal. */
void daemon_stop(struct daemon *daemon, const char *reason);

/* Starts the timer that prunes old outbox rows and idempotency keys. */
void daemon_start_prune(struct daemon *daemon);

#endif
