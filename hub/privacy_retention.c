/*
 * The retention timer: closed tickets are anonymized once
 * privacy.retention_days have passed since their closed_at, by the clock of
 * clock_now_ms(), so that a debug build's test clock can move past the
 * period.
 *
 * Work is found in the store, not remembered: a run takes the closed tickets
 * due whose anonymized_at is still NULL, and sets it in the same
 * transaction, so a restart neither loses nor repeats a ticket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "privacy.h"
#include "store.h"
#include "store_citizen.h"

/* Tickets anonymized by one store job at most, so that one job does not
 * hold up the store thread for long. */
#define PRIVACY_RETENTION_BATCH 100
#define PRIVACY_DAY_MS (24 * 3600 * 1000LL)

struct privacy_retention {
	struct store *store;
	const struct hub_config_privacy *config;
	struct event *timer;	/* every check interval */
	struct event *again;	/* at once, after a full batch */
	struct store_job job;
	struct store_retention_run run;
	bool running;
	bool rewrite_pending;
};

static int
privacy_retention_apply(struct store_tx *tx, void *arg)
{
	struct privacy_retention *retention = arg;

	return store_tx_retention_run(tx, &retention->run);
}

static void
privacy_retention_done(int result, void *arg)
{
	struct privacy_retention *retention = arg;
	struct store_retention_run *run = &retention->run;
	bool full = run->counts.tickets >= PRIVACY_RETENTION_BATCH;
	struct timeval now = { 0, 0 };

	retention->running = false;
	if (result != 0) {
		log_error("privacy", "retention run failed, retried at the next "
		    "interval seconds=%d", retention->config->
		    check_interval_seconds);
	} else if (run->counts.tickets > 0) {
		log_info("privacy", "retention anonymized tickets=%lld "
		    "citizens=%lld messages=%lld", (long long)run->counts.tickets,
		    (long long)run->citizens, (long long)run->counts.messages);
	}
	/* NOTE: the pending rewrite is kept in memory only. A stop between a
	 * full batch and the run after it leaves the deleted words in the
	 * index's pages until SQLite merges them, or until a later run that
	 * anonymizes a ticket rewrites the index. */
	if (result == 0 && run->rewritten)
		retention->rewrite_pending = false;
	else if (result == 0 && run->counts.tickets > 0)
		retention->rewrite_pending = true;
	store_anonymized_clear(&run->counts);
	if (result == 0 && full && retention->again != NULL)
		event_add(retention->again, &now);
}

static void
privacy_retention_submit(struct privacy_retention *retention)
{
	int64_t now = clock_now_ms();

	if (retention->running)
		return;
	memset(&retention->run, 0, sizeof(retention->run));
	retention->run.now_ms = now;
	retention->run.closed_before = now -
	    (int64_t)retention->config->retention_days * PRIVACY_DAY_MS;
	retention->run.max_tickets = PRIVACY_RETENTION_BATCH;
	retention->run.rewrite_pending = retention->rewrite_pending;
	retention->job = (struct store_job){ .apply = privacy_retention_apply,
	    .done = privacy_retention_done, .arg = retention };
	if (store_submit(retention->store, &retention->job) == 0)
		retention->running = true;
}

static void
privacy_retention_tick(evutil_socket_t fd, short what, void *arg)
{
	privacy_retention_submit(arg);
}

struct privacy_retention *
privacy_retention_start(struct event_base *base, struct store *store,
    const struct hub_config *config)
{
	struct privacy_retention *retention;
	struct timeval interval = {
		.tv_sec = config->privacy.check_interval_seconds,
	};
	struct timeval first = { 0, 0 };

	if (config->privacy.retention_days == 0) {
		errno = 0;
		return NULL;
	}
	if ((retention = calloc(1, sizeof(*retention))) == NULL)
		return NULL;
	retention->store = store;
	retention->config = &config->privacy;
	retention->timer = event_new(base, -1, EV_PERSIST,
	    privacy_retention_tick, retention);
	retention->again = event_new(base, -1, 0, privacy_retention_tick,
	    retention);
	if (retention->timer == NULL || retention->again == NULL ||
	    event_add(retention->timer, &interval) != 0) {
		privacy_retention_free(retention);
		errno = ENOMEM;
		return NULL;
	}
	/* The first run starts at once, so that work left by a stop is
	 * picked up without waiting for an interval. */
	event_add(retention->again, &first);
	log_info("privacy", "retention started days=%d interval_seconds=%d",
	    config->privacy.retention_days,
	    config->privacy.check_interval_seconds);
	return retention;
}

void
privacy_retention_free(struct privacy_retention *retention)
{
	if (retention == NULL)
		return;
	if (retention->timer != NULL)
		event_free(retention->timer);
	if (retention->again != NULL)
		event_free(retention->again);
	free(retention);
}
