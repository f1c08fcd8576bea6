#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "api.h"
#include "api_auth.h"
#include "api_citizens.h"
#include "assign.h"
#include "api_desk.h"
#include "api_satisfaction.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "daemon_internal.h"
#include "datadir.h"
#include "desk_timer.h"
#include "desk_edit.h"
#include "events.h"
#include "http_client.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "module.h"
#include "notice.h"
#include "pipeline.h"
#include "privacy.h"
#include "sendq.h"
#include "store.h"
#include "template.h"
#include "worker.h"

/* Connections the channels' outgoing HTTP keeps open over all peers; more
 * requests wait in libcurl's queue. */
#define DAEMON_HTTP_CLIENT_CONNECTIONS 64

/* --- Start-up steps ------------------------------------------------------ */

/*
 * A debug build lets integration tests start the pipeline's clock at a
 * chosen time, so that deadlines can be checked against a known received
 * time: CITIZENHUB_TEST_CLOCK="2025-01-03T16:30:00+07:00". Release builds
 * ignore the variable.
 */
static int
daemon_set_test_clock(void)
{
#ifdef HUB_DEBUG
	const char *start = getenv("CITIZENHUB_TEST_CLOCK");
	int64_t ms;

	if (start == NULL || *start == '\0')
		return 0;
	if (clock_parse_iso8601(start, &ms) != 0) {
		log_error("daemon", "invalid CITIZENHUB_TEST_CLOCK value=%s; "
		    "expected a time as 2025-01-03T16:30:00+07:00", start);
		return -1;
	}
	clock_start_at(ms);
	log_warn("daemon", "test clock started at=%s", start);
#endif
	return 0;
}

int
daemon_load_config(const struct daemon_options *options,
    struct hub_config **config, char *err, size_t err_size)
{
	struct config_error config_err;

	*config = NULL;
	if (config_load(options->config_path, config, &config_err) != 0) {
		snprintf(err, err_size, "%s", config_err.message);
		return -1;
	}
	if (options->http_listen != NULL && config_override_listen(*config,
	    options->http_listen, &config_err) != 0) {
		snprintf(err, err_size, "--http: %s", config_err.message);
		goto fail;
	}
	if (options->data_dir != NULL && config_override_data_dir(*config,
	    options->data_dir) != 0) {
		snprintf(err, err_size, "--data-dir: out of memory");
		goto fail;
	}
	return 0;
fail:
	config_free(*config);
	*config = NULL;
	return -1;
}

static int
daemon_open_log(struct daemon *daemon, int verbose)
{
	const struct hub_config *config = daemon->config;

	if (log_open(config->log_file) != 0) {
		fprintf(stderr, "citizenhubd: log.file %s: %s\n",
		    config->log_file, strerror(errno));
		return -1;
	}
	log_set_level(verbose > 0 ? LOG_LEVEL_DEBUG : config->log_level);
	log_set_trace(verbose > 1 ? LOG_TRACE_ALL : config->log_trace);
	log_route_libevent();
	return 0;
}

static int
daemon_open_store(struct daemon *daemon)
{
	const struct hub_config *config = daemon->config;
	struct store_options options = {
		.batch_max = config->store_batch_max,
		.busy_timeout_ms = config->store_busy_timeout_ms,
	};
	char err[512];

	if (datadir_prepare(config->data_dir, err, sizeof(err)) != 0 ||
	    (daemon->lock_fd = datadir_lock(config->data_dir, err,
	    sizeof(err))) < 0) {
		log_error("daemon", "data directory not usable: %s", err);
		return -1;
	}
	daemon->store = store_open(daemon->base, config->data_dir, &options,
	    err, sizeof(err));
	if (daemon->store == NULL) {
		log_error("daemon", "store not opened: %s", err);
		return -1;
	}
	return 0;
}

/* Puts the desk sections edited through the admin API in place of the
 * config file's, before anything reads the desk. */
static int
daemon_load_desk(struct daemon *daemon)
{
	char err[CONFIG_ERROR_MAX + 256];

	if (desk_edit_load_stored(daemon->config, daemon->store, err,
	    sizeof(err)) != 0) {
		log_error("daemon", "desk settings not loaded: %s", err);
		return -1;
	}
	return 0;
}

static void
daemon_observe_batch(int size, double seconds, void *arg)
{
	struct daemon *daemon = arg;

	metrics_commit_batch(daemon->metrics, size, seconds);
}

static int
daemon_create_parts(struct daemon *daemon)
{
	const struct hub_config *config = daemon->config;
	char err[512];

	daemon->templates = templates_load(config->templates_dir, err,
	    sizeof(err));
	if (daemon->templates == NULL) {
		log_error("daemon", "templates not loaded: %s", err);
		return -1;
	}
	daemon->metrics = metrics_new();
	daemon->events = events_new();
	daemon->workers = worker_pool_new(daemon->base, config->workers);
	daemon->io_workers = worker_pool_new(daemon->base, config->io_workers);
	if (daemon->metrics == NULL || daemon->events == NULL ||
	    daemon->workers == NULL || daemon->io_workers == NULL) {
		log_error("daemon", "start-up failed: %s", strerror(errno));
		return -1;
	}
	store_set_batch_observer(daemon->store, daemon_observe_batch, daemon);

	struct pipeline_context context = {
		.config = config,
		.store = daemon->store,
		.templates = daemon->templates,
		.events = daemon->events,
		.metrics = daemon->metrics,
	};
	daemon->pipeline = pipeline_new(&context);
	return daemon->pipeline != NULL ? 0 : -1;
}

/* The send queue's lookup of channels, in the module set loaded later. */
static struct hub_channel *
daemon_find_channel(const char *name, void *arg)
{
	struct daemon *daemon = arg;

	return module_channel_find(daemon->modules, name);
}

/* The desk API's question whether a channel sends; see api.h. */
static int
daemon_channel_sends(const char *name, void *arg)
{
	struct daemon *daemon = arg;
	const struct hub_channel *channel;

	if (daemon->modules == NULL ||
	    (channel = module_channel_find(daemon->modules, name)) == NULL)
		return -1;
	return (channel->module->capabilities & HUB_CHANNEL_OUTBOUND) != 0 &&
	    channel->module->send != NULL ? 1 : 0;
}

static void
daemon_replies_context(struct daemon *daemon, struct replies_context *context)
{
	*context = (struct replies_context){
		.base = daemon->base,
		.store = daemon->store,
		.templates = daemon->templates,
		.events = daemon->events,
		.metrics = daemon->metrics,
		.config = daemon->config,
		.find_channel = daemon_find_channel,
		.find_channel_arg = daemon,
	};
}

/* Creates the send queue, which the channels' host hands to modules. */
static int
daemon_create_sendq(struct daemon *daemon)
{
	struct replies_context context;
	struct sendq_options options;

	daemon_replies_context(daemon, &context);
	sendq_options_from_config(daemon->config, &options);
	daemon->sendq = sendq_new(&context, &options);
	if (daemon->sendq == NULL) {
		log_error("daemon", "send queue not created: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Starts sending queued messages and queueing notices of status changes,
 * once the channels run. */
static int
daemon_start_replies(struct daemon *daemon)
{
	struct replies_context context;

	daemon_replies_context(daemon, &context);
	daemon->notices = notice_start(&context);
	if (daemon->notices == NULL || sendq_start(daemon->sendq) != 0) {
		log_error("daemon", "replies not started: out of memory");
		return -1;
	}
	return 0;
}

static const char *
daemon_readiness(void *arg)
{
	struct daemon *daemon = arg;

	return daemon->stopping ? "shutting down" : NULL;
}

static int
daemon_start_http(struct daemon *daemon)
{
	const struct hub_config *config = daemon->config;
	char err[512];

	daemon->http = http_server_new(daemon->base, config, daemon->metrics,
	    err, sizeof(err));
	if (daemon->http == NULL) {
		log_error("daemon", "HTTP server not created: %s", err);
		return -1;
	}
	daemon->api = (struct api_context){
		.http = daemon->http,
		.store = daemon->store,
		.metrics = daemon->metrics,
		.config = config,
		.events = daemon->events,
		.templates = daemon->templates,
		.workers = daemon->workers,
		.readiness = daemon_readiness,
		.readiness_arg = daemon,
		.channel_sends = daemon_channel_sends,
		.channel_sends_arg = daemon,
	};
	if (api_ops_mount(&daemon->api, err, sizeof(err)) != 0 ||
	    api_tickets_mount(&daemon->api, err, sizeof(err)) != 0 ||
	    api_session_mount(&daemon->api, err, sizeof(err)) != 0 ||
	    api_agents_mount(&daemon->api, err, sizeof(err)) != 0 ||
	    api_citizens_mount(&daemon->api, err, sizeof(err)) != 0 ||
	    api_audit_mount(&daemon->api, err, sizeof(err)) != 0 ||
	    api_calls_mount(&daemon->api, err, sizeof(err)) != 0 ||
	    api_desk_mount(&daemon->api, err, sizeof(err)) != 0 ||
	    api_satisfaction_mount(&daemon->api, err, sizeof(err)) != 0) {
		log_error("daemon", "API not mounted: %s", err);
		return -1;
	}
	return 0;
}

static void
daemon_fill_host(struct daemon *daemon)
{
	daemon->host = (struct hub_host){
		.base = daemon->base,
		.config = daemon->config,
		.http = daemon->http,
		.pipeline = daemon->pipeline,
		.store = daemon->store,
		.templates = daemon->templates,
		.workers = daemon->workers,
		.io_workers = daemon->io_workers,
		.sendq = daemon->sendq,
		.events = daemon->events,
		.http_client_connections = DAEMON_HTTP_CLIENT_CONNECTIONS,
	};
}

static int
daemon_start_channels(struct daemon *daemon)
{
	struct config_error config_err;
	char err[512];

	daemon_fill_host(daemon);
	daemon->modules = module_load_all(&daemon->host, &config_err);
	if (daemon->modules == NULL) {
		log_error("daemon", "channels not loaded: %s", config_err.message);
		return -1;
	}
	if (module_start_all(daemon->modules, err, sizeof(err)) != 0) {
		log_error("daemon", "channels not started: %s", err);
		return -1;
	}
	return 0;
}

static int
daemon_listen(struct daemon *daemon)
{
	const struct hub_config *config = daemon->config;
	char err[512];

	if (http_server_listen(daemon->http, config->http_address,
	    config->http_port, err, sizeof(err)) != 0) {
		log_error("daemon", "HTTP listen failed: %s", err);
		return -1;
	}
	return 0;
}

/* Starts automatic assignment and the deadline timers, once the store and
 * the event bus run. */
static int
daemon_start_desk(struct daemon *daemon)
{
	daemon->assign = assign_start(daemon->store, daemon->events,
	    daemon->config);
	daemon->desk_timer = desk_timer_start(daemon->base, daemon->store,
	    daemon->events, daemon->config);
	if (daemon->assign == NULL || daemon->desk_timer == NULL) {
		log_error("daemon", "assignment or deadline timers not "
		    "started: out of memory");
		return -1;
	}
	return 0;
}

/* --- Run and clean up --------------------------------------------------- */

static void
daemon_free(struct daemon *daemon)
{
	for (size_t i = 0; i < 4; i++)
		if (daemon->signals[i] != NULL)
			event_free(daemon->signals[i]);
	if (daemon->prune_timer != NULL)
		event_free(daemon->prune_timer);
	if (daemon->drain_timer != NULL)
		event_free(daemon->drain_timer);
	/* The channels stop taking input while the pipeline and the store
	 * still take what a channel hands over as it stops: the SIP channel
	 * stores the records of the calls that its stop ends. */
	module_stop_all(daemon->modules);
	if (daemon->pipeline != NULL)
		pipeline_close(daemon->pipeline);
	assign_stop(daemon->assign);
	desk_timer_stop(daemon->desk_timer);
	notice_stop(daemon->notices);
	sendq_close(daemon->sendq);
	/* The store commits what is queued and runs the completions, which
	 * still reply through the HTTP server and the pipeline and publish
	 * through the send queue and the notices. */
	if (daemon->store != NULL)
		store_close(daemon->store);
	privacy_retention_free(daemon->retention);
	assign_free(daemon->assign);
	desk_timer_free(daemon->desk_timer);
	/* The worker pools finish the jobs of the stopped modules, join their
	 * threads and deliver the completions while the modules are still
	 * loaded: a module's completion or a thread-exit destructor of one
	 * of its libraries must not run after dlclose. */
	/* Requests still waiting end as cancelled, and their modules report
	 * the sends as failed for now, to be sent again after a restart. */
	daemon->host.http_client_closed = true;
	if (daemon->host.http_client != NULL) {
		http_client_free(daemon->host.http_client);
		daemon->host.http_client = NULL;
	}
	if (daemon->io_workers != NULL) {
		worker_pool_free(daemon->io_workers);
		daemon->io_workers = NULL;
	}
	if (daemon->workers != NULL) {
		worker_pool_free(daemon->workers);
		daemon->workers = NULL;
	}
	module_free_all(daemon->modules);
	/* A module may report an outcome while it stops. */
	sendq_free(daemon->sendq);
	notice_free(daemon->notices);
	if (daemon->http != NULL)
		http_server_free(daemon->http);
	pipeline_free(daemon->pipeline);
	templates_free(daemon->templates);
	events_free(daemon->events);
	metrics_free(daemon->metrics);
	if (daemon->base != NULL)
		event_base_free(daemon->base);
	if (daemon->lock_fd >= 0)
		close(daemon->lock_fd);
	config_free(daemon->config);
	curl_global_cleanup();
}

static int
daemon_start(struct daemon *daemon)
{
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_error("daemon", "libsodium or libcurl failed to initialize");
		return -1;
	}
	daemon->base = event_base_new();
	if (daemon->base == NULL) {
		log_error("daemon", "event loop not created");
		return -1;
	}
	if (daemon_open_store(daemon) != 0 || daemon_load_desk(daemon) != 0 ||
	    daemon_create_parts(daemon) != 0 ||
	    daemon_create_sendq(daemon) != 0 ||
	    daemon_start_http(daemon) != 0 || daemon_start_channels(daemon) != 0 ||
	    daemon_start_replies(daemon) != 0 ||
	    daemon_watch_signals(daemon) != 0 || daemon_listen(daemon) != 0 ||
	    daemon_start_desk(daemon) != 0)
		return -1;
	daemon_start_prune(daemon);
	daemon->retention = privacy_retention_start(daemon->base,
	    daemon->store, daemon->config);
	if (daemon->retention == NULL && errno != 0) {
		log_error("daemon", "retention timer not started: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
daemon_run(const struct daemon_options *options)
{
	struct daemon daemon = { .lock_fd = -1 };
	int status = 1;

	char err[CONFIG_ERROR_MAX + 64];

	/* Every file the daemon creates (database, log) holds personal data
	 * or secrets: readable by its own user only. */
	umask(077);
	if (daemon_load_config(options, &daemon.config, err, sizeof(err)) != 0) {
		fprintf(stderr, "citizenhubd: %s\n", err);
		return 1;
	}
	if (daemon_open_log(&daemon, options->verbose) != 0) {
		config_free(daemon.config);
		return 1;
	}
	log_copy_errors_to_stderr(true);
	if (daemon_set_test_clock() == 0 && daemon_start(&daemon) == 0) {
		log_copy_errors_to_stderr(false);
		log_info("daemon", "citizenhubd %s started url=%s data_dir=%s "
		    "pid=%ld", PACKAGE_VERSION, daemon.config->public_url,
		    daemon.config->data_dir, (long)getpid());
		event_base_dispatch(daemon.base);
		status = 0;
	}
	daemon_free(&daemon);
	log_info("daemon", "citizenhubd stopped status=%d", status);
	log_close();
	return status;
}
