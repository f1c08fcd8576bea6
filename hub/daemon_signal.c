#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "daemon_internal.h"
#include "http_server.h"
#include "log.h"
#include "pipeline.h"
#include "sendq.h"
#include "template.h"

#define DAEMON_DRAIN_POLL_MS 20
#define DAEMON_DRAIN_CLOSE_TICKS 5	/* 100 ms with nothing in flight */
#define DAEMON_DRAIN_QUIET_TICKS 10	/* 200 ms with nothing in flight */
#define DAEMON_DRAIN_GRACE_SECONDS 5	/* beyond the HTTP timeout */

static void daemon_handle_signal(evutil_socket_t signal_number, short what,
    void *arg);

int
daemon_watch_signals(struct daemon *daemon)
{
	const int numbers[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE };

	for (size_t i = 0; i < 4; i++) {
		daemon->signals[i] = evsignal_new(daemon->base, numbers[i],
		    daemon_handle_signal, daemon);
		if (daemon->signals[i] == NULL ||
		    evsignal_add(daemon->signals[i], NULL) != 0)
			return -1;
	}
	return 0;
}

/*
 * Ends the loop once every request received is answered and committed, or
 * when the grace period is over. The listening sockets stay open while
 * requests keep coming, so that a client that connected just before the
 * signal is served rather than reset. They close once nothing has been in
 * flight for DAEMON_DRAIN_CLOSE_TICKS ticks, or at close_deadline under
 * steady traffic. A connection accepted just before they closed may still
 * be sending its request, which counts as in flight only once it is read
 * whole, so the loop ends only after DAEMON_DRAIN_QUIET_TICKS more quiet
 * ticks.
 */
static void
daemon_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *daemon = arg;
	size_t requests, messages;
	time_t now = time(NULL);

	requests = http_server_in_flight(daemon->http);
	messages = pipeline_in_flight(daemon->pipeline) +
	    module_busy_all(daemon->modules);
	if (requests > 0 || messages > 0)
		daemon->drain_quiet_ticks = 0;
	else
		daemon->drain_quiet_ticks++;

	if (!daemon->listeners_closed) {
		if (daemon->drain_quiet_ticks >= DAEMON_DRAIN_CLOSE_TICKS ||
		    now >= daemon->close_deadline) {
			http_server_stop_accepting(daemon->http);
			daemon->listeners_closed = true;
			daemon->drain_quiet_ticks = 0;
		}
	} else if (daemon->drain_quiet_ticks >= DAEMON_DRAIN_QUIET_TICKS) {
		log_info("daemon", "all requests answered, stopping");
		event_base_loopexit(daemon->base, NULL);
		return;
	}
	if (now >= daemon->stop_deadline) {
		log_warn("daemon", "shutdown grace period over requests=%zu "
		    "messages=%zu", requests, messages);
		event_base_loopexit(daemon->base, NULL);
	}
}

void
daemon_stop(struct daemon *daemon, const char *reason)
{
	struct timeval poll = { .tv_usec = DAEMON_DRAIN_POLL_MS * 1000 };

	if (daemon->stopping)
		return;
	daemon->stopping = true;
	log_info("daemon", "shutdown started signal=%s in_flight=%zu", reason,
	    http_server_in_flight(daemon->http));
	/* A message queued from now on is sent after the restart. */
	sendq_stop(daemon->sendq);
	/* The IVR ends its calls now, while the loop can still store the
	 * reports and records those calls leave. */
	module_drain_all(daemon->modules);
	/* The channels keep taking requests until the drain ticks close the
	 * listening sockets: a client that connected before the signal is in
	 * flight, even when its request is still on its way. Replies close
	 * their connections from now on. */
	http_server_begin_stop(daemon->http);
	daemon->close_deadline = time(NULL) + DAEMON_DRAIN_GRACE_SECONDS;
	daemon->stop_deadline = time(NULL) +
	    daemon->config->http_timeout_seconds + DAEMON_DRAIN_GRACE_SECONDS;
	daemon->drain_timer = event_new(daemon->base, -1, EV_PERSIST,
	    daemon_drain_tick, daemon);
	if (daemon->drain_timer == NULL || event_add(daemon->drain_timer,
	    &poll) != 0)
		event_base_loopexit(daemon->base, NULL);
}

static void
daemon_reload(struct daemon *daemon)
{
	char err[512];

	if (log_reopen() != 0)
		log_error("daemon", "log not reopened file=%s error=%s",
		    daemon->config->log_file, strerror(errno));
	if (templates_reload(daemon->templates, err, sizeof(err)) != 0)
		log_error("daemon", "templates not reloaded, the loaded ones "
		    "stay: %s", err);
}

static void
daemon_handle_signal(evutil_socket_t signal_number, short what, void *arg)
{
	struct daemon *daemon = arg;

	switch (signal_number) {
	case SIGTERM:
		daemon_stop(daemon, "TERM");
		break;
	case SIGINT:
		daemon_stop(daemon, "INT");
		break;
	case SIGHUP:
		log_info("daemon", "SIGHUP: reopening the log and reloading "
		    "templates");
		daemon_reload(daemon);
		break;
	default:
		break;	/* SIGPIPE: a peer went away; the write reports it */
	}
}
