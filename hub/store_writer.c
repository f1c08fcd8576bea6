/*
 * The store thread: the only writer connection, and group commit.
 *
 * The main thread appends jobs to a locked queue. The store thread takes
 * every queued job (batch_max at most), runs each in its own savepoint inside
 * one transaction, commits, and posts the batch to the main thread's mailbox,
 * where the completions run in submission order. Jobs submitted while a
 * commit runs wait for the next batch, so concurrent writers share one fsync.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "mailbox.h"
#include "store_sqlite.h"

/* Pause before retrying an allocation or a post that ran out of memory. */
#define STORE_WRITER_RETRY_NS 10000000L

static const char store_writer_begin[] = "BEGIN IMMEDIATE";
static const char store_writer_commit_sql[] = "COMMIT";
static const char store_writer_rollback[] = "ROLLBACK";
static const char store_writer_savepoint[] = "SAVEPOINT job";
static const char store_writer_release[] = "RELEASE job";
static const char store_writer_rollback_to[] = "ROLLBACK TO job";

static void
store_writer_pause(void)
{
	struct timespec pause = { 0, STORE_WRITER_RETRY_NS };

	nanosleep(&pause, NULL);
}

static double
store_writer_clock(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int
store_writer_exec(struct store_conn *conn, const char *sql)
{
	sqlite3_stmt *stmt = store_sqlite_prepare(conn, sql);

	if (stmt == NULL)
		return -1;
	return store_sqlite_run(conn, stmt);
}

static int
store_writer_load_next_id(struct store_writer *writer)
{
	static const char sql[] = "SELECT COALESCE(MAX(id), 0) FROM tickets";
	int64_t max_id;

	if (store_sqlite_count(&writer->conn, sql, &max_id) != 0)
		return -1;
	writer->next_ticket_id = max_id + 1;
	return 0;
}

/* Waits for jobs and takes up to batch_max of them into a new batch.
 * Returns NULL once the store is stopping and the queue is empty. */
static struct store_batch *
store_writer_take(struct store_writer *writer)
{
	struct store_batch *batch;
	struct store_job *job;

	while ((batch = malloc(sizeof(*batch) + (size_t)writer->batch_max *
	    sizeof(batch->entries[0]))) == NULL) {
		log_error("store", "allocating a batch failed, retrying");
		store_writer_pause();
	}
	batch->count = 0;
	batch->seconds = 0;

	pthread_mutex_lock(&writer->lock);
	while (writer->head == NULL && !writer->stopping)
		pthread_cond_wait(&writer->wake, &writer->lock);
	while (writer->head != NULL && batch->count < (size_t)writer->batch_max) {
		job = writer->head;
		writer->head = job->next;
		job->next = NULL;
		batch->entries[batch->count++].job = job;
	}
	if (writer->head == NULL)
		writer->tail = NULL;
	pthread_mutex_unlock(&writer->lock);

	if (batch->count == 0) {
		free(batch);
		return NULL;
	}
	return batch;
}

/*
 * Runs one job in its savepoint. Returns -1 when the whole transaction is
 * lost: some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) make SQLite
 * roll back the transaction by itself, which shows as autocommit mode, and
 * then the savepoints of the earlier jobs are gone too.
 */
static int
store_writer_apply(struct store_tx *tx, struct store_batch_entry *entry)
{
	struct store_conn *conn = tx->conn;
	struct store_job *job = entry->job;

	if (store_writer_exec(conn, store_writer_savepoint) != 0)
		return -1;
	entry->result = job->apply(tx, job->arg);
	if (sqlite3_get_autocommit(conn->db))
		return -1;
	if (entry->result == 0)
		return store_writer_exec(conn, store_writer_release);
	if (store_writer_exec(conn, store_writer_rollback_to) != 0 ||
	    store_writer_exec(conn, store_writer_release) != 0)
		return -1;
	return 0;
}

static void
store_writer_fail(struct store_writer *writer, struct store_batch *batch)
{
	if (!sqlite3_get_autocommit(writer->conn.db))
		store_writer_exec(&writer->conn, store_writer_rollback);
	writer->checkpoint_requested = false;
	for (size_t i = 0; i < batch->count; i++)
		batch->entries[i].result = -1;

	/* Tickets created by the batch are gone; their ids may be reused. */
	if (store_writer_load_next_id(writer) != 0)
		log_error("store", "reloading the ticket counter failed");
	log_error("store", "batch failed, rolled back jobs=%zu", batch->count);
}

/* Copies the WAL into the database file and truncates the WAL to zero
 * bytes. It waits for readers of older snapshots up to the busy timeout.
 * When they do not finish in time, the old frames stay until a later
 * checkpoint overwrites them. */
static void
store_writer_checkpoint(struct store_writer *writer)
{
	int frames = 0, copied = 0;
	int rc = sqlite3_wal_checkpoint_v2(writer->conn.db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, &frames, &copied);

	writer->checkpoint_requested = false;
	if (rc != SQLITE_OK)
		log_warn("store", "truncating checkpoint failed: %s frames=%d "
		    "copied=%d", sqlite3_errmsg(writer->conn.db), frames,
		    copied);
	else
		log_trace(LOG_TRACE_STORE, "store", "WAL checkpointed and "
		    "truncated frames=%d", frames);
}

void
store_tx_checkpoint_after_commit(struct store_tx *tx)
{
	if (tx->store->writer != NULL)
		tx->store->writer->checkpoint_requested = true;
}

static void
store_writer_commit(struct store *store, struct store_batch *batch)
{
	struct store_writer *writer = store->writer;
	/* The batch time follows the daemon's clock, so that a debug build's
	 * test clock moves stored times as it moves received times. */
	struct store_tx tx = { store, &writer->conn, clock_now_ms() };
	double started = store_writer_clock();

	if (store_writer_exec(tx.conn, store_writer_begin) != 0) {
		store_writer_fail(writer, batch);
		return;
	}
	for (size_t i = 0; i < batch->count; i++) {
		if (store_writer_apply(&tx, &batch->entries[i]) != 0) {
			store_writer_fail(writer, batch);
			return;
		}
	}
	if (store_writer_exec(tx.conn, store_writer_commit_sql) != 0) {
		store_writer_fail(writer, batch);
		return;
	}
	batch->seconds = store_writer_clock() - started;
	if (writer->checkpoint_requested)
		store_writer_checkpoint(writer);
	log_trace(LOG_TRACE_STORE, "store", "batch committed jobs=%zu "
	    "seconds=%.6f", batch->count, batch->seconds);
}

static void
store_writer_post(struct store *store, struct store_batch *batch)
{
	while (mailbox_post(store->mailbox, batch) != 0) {
		if (errno != ENOMEM) {
			log_error("store", "posting a batch failed, completions "
			    "lost jobs=%zu: %s", batch->count, strerror(errno));
			free(batch);
			return;
		}
		store_writer_pause();
	}
}

static void *
store_writer_main(void *arg)
{
	struct store *store = arg;
	struct store_batch *batch;

	while ((batch = store_writer_take(store->writer)) != NULL) {
		store_writer_commit(store, batch);
		store_writer_post(store, batch);
	}
	return NULL;
}

/* Mailbox handler on the main thread: reports the batch, then runs the
 * completions in submission order. */
static void
store_writer_deliver(void *message, void *arg)
{
	struct store_batch *batch = message;
	struct store *store = arg;
	struct store_job *job;

	if (store->batch_observer != NULL)
		store->batch_observer((int)batch->count, batch->seconds,
		    store->batch_observer_arg);
	for (size_t i = 0; i < batch->count; i++) {
		job = batch->entries[i].job;
		store->in_flight--;
		if (job->done != NULL)
			job->done(batch->entries[i].result, job->arg);
	}
	free(batch);
}

static int
store_writer_open(struct store *store, const struct store_options *options,
    char *err, size_t err_size)
{
	struct store_writer *writer = store->writer;

	if (store_sqlite_open(&writer->conn, store->db_path, false,
	    options->busy_timeout_ms, err, err_size) != 0)
		return -1;
	if (store_writer_load_next_id(writer) != 0) {
		snprintf(err, err_size, "reading the ticket counter failed: %s",
		    sqlite3_errmsg(writer->conn.db));
		return -1;
	}
	return 0;
}

int
store_writer_start(struct store *store, struct event_base *base,
    const struct store_options *options, char *err, size_t err_size)
{
	struct store_writer *writer;
	int rc;

	if (options->batch_max < 1) {
		snprintf(err, err_size, "invalid batch_max %d: must be at "
		    "least 1", options->batch_max);
		return -1;
	}
	if ((writer = calloc(1, sizeof(*writer))) == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	pthread_mutex_init(&writer->lock, NULL);
	pthread_cond_init(&writer->wake, NULL);
	writer->batch_max = options->batch_max;
	store->writer = writer;
	if (store_writer_open(store, options, err, err_size) != 0)
		return -1;
	store->mailbox = mailbox_new(base, store_writer_deliver, store);
	if (store->mailbox == NULL) {
		snprintf(err, err_size, "creating the store mailbox failed: %s",
		    strerror(errno));
		return -1;
	}
	if ((rc = pthread_create(&writer->thread, NULL, store_writer_main,
	    store)) != 0) {
		snprintf(err, err_size, "starting the store thread failed: %s",
		    strerror(rc));
		return -1;
	}
	writer->thread_started = true;
	return 0;
}

/* Commits what is queued, joins the thread, runs the last completions and
 * closes the writer connection. Runs on the main thread. */
void
store_writer_stop(struct store *store)
{
	struct store_writer *writer = store->writer;

	pthread_mutex_lock(&writer->lock);
	writer->stopping = true;
	pthread_cond_signal(&writer->wake);
	pthread_mutex_unlock(&writer->lock);
	if (writer->thread_started)
		pthread_join(writer->thread, NULL);
	if (store->mailbox != NULL) {
		mailbox_drain(store->mailbox);
		mailbox_free(store->mailbox, NULL);
		store->mailbox = NULL;
	}
	store_sqlite_close(&writer->conn);
	pthread_mutex_destroy(&writer->lock);
	pthread_cond_destroy(&writer->wake);
	free(writer);
	store->writer = NULL;
}

int
store_submit(struct store *store, struct store_job *job)
{
	struct store_writer *writer = store->writer;

	if (writer == NULL || job->apply == NULL) {
		errno = writer == NULL ? EROFS : EINVAL;
		return -1;
	}
	pthread_mutex_lock(&writer->lock);
	if (writer->stopping) {
		pthread_mutex_unlock(&writer->lock);
		errno = ESHUTDOWN;
		return -1;
	}
	job->next = NULL;
	if (writer->tail != NULL)
		writer->tail->next = job;
	else
		writer->head = job;
	writer->tail = job;
	pthread_cond_signal(&writer->wake);
	pthread_mutex_unlock(&writer->lock);
	store->in_flight++;
	return 0;
}

size_t
store_in_flight(const struct store *store)
{
	return store->in_flight;
}

void
store_set_batch_observer(struct store *store,
    void (*fn)(int size, double seconds, void *arg), void *arg)
{
	store->batch_observer = fn;
	store->batch_observer_arg = arg;
}

int64_t
store_tx_now(const struct store_tx *tx)
{
	return tx->now;
}

