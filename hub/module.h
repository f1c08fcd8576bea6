/*
 * The channel module loader and the hub's side of a loaded channel.
 */
#ifndef HUB_MODULE_H
#define HUB_MODULE_H

#include <stdbool.h>

#include "channel.h"

struct event_base;
struct events;
struct http_server;
struct pipeline;
struct sendq;
struct store;
struct templates;
struct worker_pool;

/* What the hub lends its channels. Members may be NULL while only the
 * configuration is checked (citizenhubd -t). */
struct hub_host {
	struct event_base *base;
	const struct hub_config *config;
	struct http_server *http;
	struct pipeline *pipeline;
	struct store *store;
	struct templates *templates;
	struct worker_pool *workers;
	struct worker_pool *io_workers;	/* jobs that wait on the network */
	struct sendq *sendq;		/* outcomes of sends go here */
	struct events *events;		/* changes published after commit */
	/* Outgoing HTTP of channels, created at the first request so that a
	 * hub whose channels make none runs no libcurl multi handle, and
	 * freed after the modules stop (then closed is set). */
	struct http_client *http_client;
	long http_client_connections;
	bool http_client_closed;
};

struct hub_channel {
	char *name;
	const struct hub_channel_module *module;
	void *handle;		/* from dlopen */
	void *state;		/* from the module's create */
	struct hub_host *host;
	bool started;
};

struct module_set;

/* Opens the module of every section under "channels" (modules_dir/NAME.so,
 * or modules_dir/.libs/NAME.so in a build tree), checks its ABI version and
 * name, and creates it from its section. Returns NULL with err filled in,
 * naming the section, on an unknown module, a wrong ABI version or an
 * invalid section. */
struct module_set *module_load_all(struct hub_host *host,
    struct config_error *err);

/* Starts every channel in config order. Returns 0, or -1 with a message
 * in err naming the channel that failed. */
int module_start_all(struct module_set *set, char *err, size_t err_size);

/* Stops every started channel: no new input. */
void module_stop_all(struct module_set *set);

/* Calls every started module's drain, when it has one: the hub is shutting
 * down and its loop still runs. */
void module_drain_all(struct module_set *set);

/* The sum of the started modules' busy counts. */
size_t module_busy_all(struct module_set *set);

/* Frees every channel and closes the modules. */
void module_free_all(struct module_set *set);

/* The loaded channel called name, or NULL. */
struct hub_channel *module_channel_find(struct module_set *set,
    const char *name);

#endif
