/*
 * Worker pool: threads that take jobs from one locked queue, waiting on a
 * condition variable while it is empty. A finished job travels back to the
 * loop thread through a mailbox, whose handler calls the job's done.
 *
 * The backlog counts a job from worker_pool_submit until its run returns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mailbox.h"
#include "worker.h"

#define WORKER_THREAD_NAME_MAX 15	/* bytes, without the NUL */

struct worker_job {
	struct worker_job	*next;
	worker_run_fn		 run;
	worker_done_fn		 done;
	void			*arg;
};

struct worker_pool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 wake;
	struct worker_job	*head;		/* under lock */
	struct worker_job	*tail;		/* under lock */
	size_t			 backlog;	/* under lock */
	bool			 stopping;	/* under lock */

	struct mailbox		*completions;
	pthread_t		*threads;
	int			 started;
};

/* Pops the next job, waiting for one. Returns NULL once stopping and empty. */
static struct worker_job *
worker_pool_next(struct worker_pool *pool)
{
	struct worker_job	*job;

	pthread_mutex_lock(&pool->lock);
	while (pool->head == NULL && !pool->stopping)
		pthread_cond_wait(&pool->wake, &pool->lock);

	job = pool->head;
	if (job != NULL) {
		pool->head = job->next;
		if (pool->head == NULL)
			pool->tail = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	return job;
}

static void
worker_pool_finish(struct worker_pool *pool, struct worker_job *job)
{
	pthread_mutex_lock(&pool->lock);
	pool->backlog--;
	pthread_mutex_unlock(&pool->lock);

	if (job->done == NULL) {
		free(job);
		return;
	}
	if (mailbox_post(pool->completions, job) == -1) {
		/* NOTE: done is never called for this job, so its arg leaks. */
		log_error("worker", "queueing a completion failed: job=%p: %s",
		    (void *)job, strerror(errno));
		free(job);
	}
}

static void *
worker_pool_main(void *arg)
{
	struct worker_pool	*pool = arg;
	struct worker_job	*job;

	while ((job = worker_pool_next(pool)) != NULL) {
		job->run(job->arg);
		worker_pool_finish(pool, job);
	}
	return NULL;
}

/* Mailbox handler: runs a finished job's done on the loop thread. */
static void
worker_pool_complete(void *message, void *arg)
{
	struct worker_job	*job = message;

	(void)arg;
	job->done(job->arg);
	free(job);
}

static void
worker_pool_stop(struct worker_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);

	for (int i = 0; i < pool->started; i++)
		pthread_join(pool->threads[i], NULL);
	pool->started = 0;
}

static void
worker_pool_destroy(struct worker_pool *pool)
{
	mailbox_free(pool->completions, NULL);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}

static int
worker_pool_start(struct worker_pool *pool, int threads)
{
	char	name[32];
	int	error;

	for (int i = 0; i < threads; i++) {
		error = pthread_create(&pool->threads[i], NULL, worker_pool_main,
		    pool);
		if (error != 0) {
			log_error("worker", "starting a thread failed: "
			    "thread=%d: %s", i, strerror(error));
			errno = error;
			return -1;
		}
		pool->started++;

		/* Thread names take 15 bytes; threads is at most 9999, so
		 * the cut never shortens a number. */
		snprintf(name, sizeof(name), "hub-worker-%u", (unsigned int)i);
		name[WORKER_THREAD_NAME_MAX] = '\0';
		pthread_setname_np(pool->threads[i], name);
	}
	return 0;
}

struct worker_pool *
worker_pool_new(struct event_base *base, int threads)
{
	struct worker_pool	*pool;
	int			 saved_errno;

	if (threads < 1 || threads > 9999) {
		errno = EINVAL;
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->threads = calloc((size_t)threads, sizeof(*pool->threads));
	if (pool->threads == NULL) {
		free(pool);
		return NULL;
	}
	pool->completions = mailbox_new(base, worker_pool_complete, pool);
	if (pool->completions == NULL) {
		saved_errno = errno;
		free(pool->threads);
		free(pool);
		errno = saved_errno;
		return NULL;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);

	if (worker_pool_start(pool, threads) == -1) {
		saved_errno = errno;
		worker_pool_stop(pool);
		worker_pool_destroy(pool);
		errno = saved_errno;
		return NULL;
	}
	return pool;
}

int
worker_pool_submit(struct worker_pool *pool, worker_run_fn run,
    worker_done_fn done, void *arg)
{
	struct worker_job	*job;

	job = malloc(sizeof(*job));
	if (job == NULL)
		return -1;
	job->next = NULL;
	job->run = run;
	job->done = done;
	job->arg = arg;

	pthread_mutex_lock(&pool->lock);
	if (pool->stopping) {
		pthread_mutex_unlock(&pool->lock);
		free(job);
		errno = ESHUTDOWN;
		return -1;
	}
	if (pool->tail == NULL)
		pool->head = job;
	else
		pool->tail->next = job;
	pool->tail = job;
	pool->backlog++;
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

size_t
worker_pool_backlog(struct worker_pool *pool)
{
	size_t	backlog;

	pthread_mutex_lock(&pool->lock);
	backlog = pool->backlog;
	pthread_mutex_unlock(&pool->lock);
	return backlog;
}

void
worker_pool_free(struct worker_pool *pool)
{
	if (pool == NULL)
		return;

	worker_pool_stop(pool);
	mailbox_drain(pool->completions);
	worker_pool_destroy(pool);
}
