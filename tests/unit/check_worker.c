#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "check_http_client.h"
#include "check_loop.h"
#include "check_suites.h"
#include "worker.h"

#define CHECK_WORKER_JOBS 1000
#define CHECK_WORKER_QUEUED 200

/* One job: its input, what run computed, and where each callback ran. */
struct check_worker_job {
	uint64_t	n;
	uint64_t	sum_of_squares;
	pthread_t	run_thread;
	char		run_thread_name[16];
	int		runs;
	int		dones;
	bool		done_on_loop;
	int		submit_result;
	int		submit_errno;
};

static struct event_base	*check_worker_base;
static struct worker_pool	*check_worker_pool;
static pthread_t		 check_worker_loop_thread;
static int			 check_worker_completed;
static int			 check_worker_expected;
static bool			 check_worker_all_done;

/* Gate that blocks the first jobs of a test until the test opens it. */
static pthread_mutex_t		 check_worker_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 check_worker_gate_cond = PTHREAD_COND_INITIALIZER;
static bool			 check_worker_gate_open;

static void
check_worker_setup(void)
{
	check_worker_base = event_base_new();
	ck_assert_ptr_nonnull(check_worker_base);
	check_worker_loop_thread = pthread_self();
	check_worker_completed = 0;
	check_worker_expected = 0;
	check_worker_all_done = false;
	check_worker_gate_open = false;
}

static void
check_worker_teardown(void)
{
	event_base_free(check_worker_base);
}

static void
check_worker_run(void *arg)
{
	struct check_worker_job	*job = arg;
	uint64_t		 sum = 0;

	for (uint64_t k = 1; k <= job->n; k++)
		sum += k * k;
	job->sum_of_squares = sum;
	job->run_thread = pthread_self();
	pthread_getname_np(pthread_self(), job->run_thread_name,
	    sizeof(job->run_thread_name));
	job->runs++;
}

static void
check_worker_done(void *arg)
{
	struct check_worker_job	*job = arg;

	job->dones++;
	job->done_on_loop = pthread_equal(pthread_self(),
	    check_worker_loop_thread);
	if (++check_worker_completed == check_worker_expected)
		check_worker_all_done = true;
}

static struct check_worker_job *
check_worker_jobs(int count)
{
	struct check_worker_job	*jobs;

	jobs = calloc((size_t)count, sizeof(*jobs));
	ck_assert_ptr_nonnull(jobs);
	for (int i = 0; i < count; i++)
		jobs[i].n = (uint64_t)i + 1;
	check_worker_expected = count;
	return jobs;
}

/* Sum of k * k for k = 1 .. n, by the closed form. */
static uint64_t
check_worker_expected_sum(uint64_t n)
{
	return n * (n + 1) * (2 * n + 1) / 6;
}

START_TEST(worker_thousand_jobs)
{
	struct check_worker_job	*jobs;

	check_worker_pool = worker_pool_new(check_worker_base, 4);
	ck_assert_ptr_nonnull(check_worker_pool);
	jobs = check_worker_jobs(CHECK_WORKER_JOBS);
	for (int i = 0; i < CHECK_WORKER_JOBS; i++)
		ck_assert_int_eq(worker_pool_submit(check_worker_pool,
		    check_worker_run, check_worker_done, &jobs[i]), 0);

	ck_assert(check_loop_run(check_worker_base, &check_worker_all_done,
	    5000));
	for (int i = 0; i < CHECK_WORKER_JOBS; i++) {
		ck_assert_uint_eq(jobs[i].sum_of_squares,
		    check_worker_expected_sum(jobs[i].n));
		ck_assert_int_eq(jobs[i].runs, 1);
		ck_assert_int_eq(jobs[i].dones, 1);
		ck_assert(jobs[i].done_on_loop);
		ck_assert(!pthread_equal(jobs[i].run_thread,
		    check_worker_loop_thread));
		ck_assert_msg(strncmp(jobs[i].run_thread_name, "hub-worker-",
		    11) == 0, "job %d ran on thread \"%s\"", i,
		    jobs[i].run_thread_name);
	}
	ck_assert_uint_eq(worker_pool_backlog(check_worker_pool), 0);

	worker_pool_free(check_worker_pool);
	free(jobs);
}
END_TEST

static void
check_worker_wait_gate(void *arg)
{
	pthread_mutex_lock(&check_worker_gate_lock);
	while (!check_worker_gate_open)
		pthread_cond_wait(&check_worker_gate_cond,
		    &check_worker_gate_lock);
	pthread_mutex_unlock(&check_worker_gate_lock);
	check_worker_run(arg);
}

static void
check_worker_open_gate(void)
{
	pthread_mutex_lock(&check_worker_gate_lock);
	check_worker_gate_open = true;
	pthread_cond_broadcast(&check_worker_gate_cond);
	pthread_mutex_unlock(&check_worker_gate_lock);
}

static void
check_worker_run_slowly(void *arg)
{
	const struct timespec	pause = { 0, 1000 * 1000 };

	nanosleep(&pause, NULL);
	check_worker_run(arg);
}

START_TEST(worker_free_finishes_queued)
{
	struct check_worker_job	*jobs;

	check_worker_pool = worker_pool_new(check_worker_base, 2);
	ck_assert_ptr_nonnull(check_worker_pool);
	jobs = check_worker_jobs(CHECK_WORKER_QUEUED);

	/* Both threads block on the gate, so every other job stays queued. */
	for (int i = 0; i < CHECK_WORKER_QUEUED; i++)
		ck_assert_int_eq(worker_pool_submit(check_worker_pool,
		    i < 2 ? check_worker_wait_gate : check_worker_run_slowly,
		    check_worker_done, &jobs[i]), 0);
	ck_assert_uint_eq(worker_pool_backlog(check_worker_pool),
	    CHECK_WORKER_QUEUED);
	ck_assert_int_eq(check_worker_completed, 0);

	check_worker_open_gate();
	worker_pool_free(check_worker_pool);

	ck_assert_int_eq(check_worker_completed, CHECK_WORKER_QUEUED);
	for (int i = 0; i < CHECK_WORKER_QUEUED; i++) {
		ck_assert_int_eq(jobs[i].runs, 1);
		ck_assert_int_eq(jobs[i].dones, 1);
		ck_assert(jobs[i].done_on_loop);
		ck_assert_uint_eq(jobs[i].sum_of_squares,
		    check_worker_expected_sum(jobs[i].n));
	}
	free(jobs);
}
END_TEST

static void
check_worker_done_submits(void *arg)
{
	struct check_worker_job	*job = arg;

	check_worker_done(arg);
	errno = 0;
	job->submit_result = worker_pool_submit(check_worker_pool,
	    check_worker_run, check_worker_done, job);
	job->submit_errno = errno;
}

START_TEST(worker_submit_during_free_fails)
{
	struct check_worker_job	*jobs;

	check_worker_pool = worker_pool_new(check_worker_base, 2);
	ck_assert_ptr_nonnull(check_worker_pool);
	jobs = check_worker_jobs(10);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(worker_pool_submit(check_worker_pool,
		    check_worker_run, check_worker_done_submits, &jobs[i]), 0);

	/* The loop has not run, so every done runs inside worker_pool_free. */
	worker_pool_free(check_worker_pool);
	ck_assert_int_eq(check_worker_completed, 10);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(jobs[i].submit_result, -1);
		ck_assert_int_eq(jobs[i].submit_errno, ESHUTDOWN);
		ck_assert_int_eq(jobs[i].runs, 1);
	}
	free(jobs);
}
END_TEST

static void
check_worker_done_frees_pool(void *arg)
{
	check_worker_done(arg);
	if (check_worker_completed == 1)
		worker_pool_free(check_worker_pool);
}

START_TEST(worker_free_from_done)
{
	struct check_worker_job	*jobs;

	check_worker_pool = worker_pool_new(check_worker_base, 2);
	ck_assert_ptr_nonnull(check_worker_pool);
	jobs = check_worker_jobs(20);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(worker_pool_submit(check_worker_pool,
		    i < 2 ? check_worker_wait_gate : check_worker_run,
		    check_worker_done_frees_pool, &jobs[i]), 0);
	check_worker_open_gate();

	/* The first done frees the pool, which delivers every other one. */
	ck_assert(check_loop_run(check_worker_base, &check_worker_all_done,
	    5000));
	ck_assert_int_eq(check_worker_completed, 20);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(jobs[i].runs, 1);
		ck_assert_int_eq(jobs[i].dones, 1);
		ck_assert(jobs[i].done_on_loop);
	}
	free(jobs);
}
END_TEST

START_TEST(worker_done_null_runs_job)
{
	struct check_worker_job	*jobs;
	const struct timespec	 pause = { 0, 1000 * 1000 };
	int			 waited = 0;

	check_worker_pool = worker_pool_new(check_worker_base, 3);
	ck_assert_ptr_nonnull(check_worker_pool);
	jobs = check_worker_jobs(50);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(worker_pool_submit(check_worker_pool,
		    check_worker_run, NULL, &jobs[i]), 0);

	while (worker_pool_backlog(check_worker_pool) > 0 && waited++ < 2000)
		nanosleep(&pause, NULL);
	ck_assert_uint_eq(worker_pool_backlog(check_worker_pool), 0);
	worker_pool_free(check_worker_pool);

	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(jobs[i].runs, 1);
		ck_assert_uint_eq(jobs[i].sum_of_squares,
		    check_worker_expected_sum(jobs[i].n));
	}
	free(jobs);
}
END_TEST

START_TEST(worker_new_rejects_zero_threads)
{
	errno = 0;
	ck_assert_ptr_null(worker_pool_new(check_worker_base, 0));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

Suite *
worker_suite(void)
{
	Suite	*suite = suite_create("worker");
	TCase	*tc = tcase_create("pool");

	tcase_add_checked_fixture(tc, check_worker_setup, check_worker_teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, worker_thousand_jobs);
	tcase_add_test(tc, worker_free_finishes_queued);
	tcase_add_test(tc, worker_submit_during_free_fails);
	tcase_add_test(tc, worker_free_from_done);
	tcase_add_test(tc, worker_done_null_runs_job);
	tcase_add_test(tc, worker_new_rejects_zero_threads);
	suite_add_tcase(suite, tc);

	suite_add_tcase(suite, check_http_client_tcase());
	return suite;
}
