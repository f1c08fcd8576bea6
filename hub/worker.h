/*
 * Worker pool: threads that run blocking or CPU-heavy jobs (sending mail
 * with libesmtp, parsing large MIME messages, image processing) away from the
 * event loop. A job's completion runs back on the loop thread through a
 * mailbox.
 */
#ifndef HUB_WORKER_H
#define HUB_WORKER_H

#include <stddef.h>

struct event_base;
struct worker_pool;

/* Runs on a worker thread. Must not touch loop-thread state. */
typedef void (*worker_run_fn)(void *arg);
/* Runs on the loop thread after run has returned. */
typedef void (*worker_done_fn)(void *arg);

/* Starts threads worker threads (1 to 9999) whose completions are delivered
 * on base's thread. Returns NULL with errno set. */
struct worker_pool *worker_pool_new(struct event_base *base, int threads);

/* Queues a job. done may be NULL. Returns 0, or -1 with errno set (ENOMEM,
 * or ESHUTDOWN after worker_pool_free has begun). */
int worker_pool_submit(struct worker_pool *pool, worker_run_fn run,
    worker_done_fn done, void *arg);

/* Jobs queued or running. */
size_t worker_pool_backlog(struct worker_pool *pool);

/* Finishes queued jobs, joins the threads, delivers the remaining
 * completions and frees the pool. Call on the loop thread. */
void worker_pool_free(struct worker_pool *pool);

#endif
