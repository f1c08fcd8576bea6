#include <stdbool.h>
#include <time.h>

#include <event2/event.h>

#include "attachment.h"
#include "daemon_internal.h"
#include "log.h"
#include "store.h"
#include "store_mail.h"

struct daemon_prune {
	struct daemon *daemon;
	struct store_job job;
	int64_t outbox_before;
	int64_t idempotency_before;
	int64_t outbox_deleted;
	int64_t idempotency_deleted;
	bool running;
};

static struct daemon_prune daemon_prune_state;

static int
daemon_prune_apply(struct store_tx *tx, void *arg)
{
	struct daemon_prune *prune = arg;

	return store_tx_prune(tx, prune->outbox_before, prune->idempotency_before,
	    &prune->outbox_deleted, &prune->idempotency_deleted);
}

static int
daemon_prune_referenced(const char *sha256, void *arg)
{
	return store_attachment_referenced(arg, sha256);
}

/* Removes attachment files that no attachment row refers to, once they are
 * an hour old (ATTACHMENT_ORPHAN_AGE_MS): a module stores the file before
 * it submits the message, and the message may be rejected or dropped. File times are real time, so the
 * cut-off is too. NOTE: the scan lists every folder on the main thread,
 * with one indexed read per old file; a very large attachment store would
 * want it in a worker job. */
static void
daemon_prune_attachments(struct daemon *daemon)
{
	int64_t before = (int64_t)time(NULL) * 1000 - ATTACHMENT_ORPHAN_AGE_MS;
	int64_t removed = attachment_prune(store_data_dir(daemon->store),
	    before, daemon_prune_referenced, daemon->store);

	if (removed < 0)
		log_error("daemon", "attachment folder not readable, prune "
		    "retried at the next interval");
	else if (removed > 0)
		log_info("daemon", "pruned attachment files=%lld",
		    (long long)removed);
}

static void
daemon_prune_done(int result, void *arg)
{
	struct daemon_prune *prune = arg;

	prune->running = false;
	if (!prune->daemon->stopping)
		daemon_prune_attachments(prune->daemon);
	if (result != 0)
		log_error("daemon", "prune failed, retried at the next "
		    "interval seconds=%d", prune->daemon->config->
		    outbox_prune_interval_seconds);
	else if (prune->outbox_deleted > 0 || prune->idempotency_deleted > 0)
		log_info("daemon", "pruned outbox=%lld idempotency_keys=%lld",
		    (long long)prune->outbox_deleted,
		    (long long)prune->idempotency_deleted);
}

static void
daemon_prune_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *daemon = arg;
	struct daemon_prune *prune = &daemon_prune_state;
	const struct hub_config *config = daemon->config;
	int64_t now = (int64_t)time(NULL) * 1000;

	if (prune->running || daemon->stopping)
		return;
	prune->daemon = daemon;
	prune->outbox_before = now -
	    (int64_t)config->outbox_retention_hours * 3600 * 1000;
	prune->idempotency_before = now -
	    (int64_t)config->idempotency_hours * 3600 * 1000;
	prune->job = (struct store_job){ .apply = daemon_prune_apply,
	    .done = daemon_prune_done, .arg = prune };
	if (store_submit(daemon->store, &prune->job) == 0)
		prune->running = true;
}

void
daemon_start_prune(struct daemon *daemon)
{
	struct timeval interval = {
		.tv_sec = daemon->config->outbox_prune_interval_seconds,
	};

	daemon->prune_timer = event_new(daemon->base, -1, EV_PERSIST,
	    daemon_prune_tick, daemon);
	if (daemon->prune_timer != NULL)
		event_add(daemon->prune_timer, &interval);
}
