/*
 * Automatic assignment and deadline timers in the store: the round robin
 * and fewest-open choices, new tickets, backlogs and released agents, the
 * scan for due timers and firing each timer once, the note text, and the
 * "assignment" and "deadlines" config keys. Every test runs a real store in
 * its own temporary directory with its own event_base.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "desk_timer.h"
#include "store.h"
#include "store_assign.h"
#include "store_deadline.h"
#include "store_sqlite.h"

#define TEST_ASSIGN_DEADLINE_SECONDS 30
#define TEST_HOUR_MS (3600 * 1000LL)

/* Saturday 4 January 2025, 10:00 in Vietnam. */
#define TEST_NOW_MS 1735959600000LL

struct test_env {
	char dir[64];
	char db_path[128];
	struct event_base *base;
	struct store *store;
};

/* A store job whose apply is a function of the test. */
struct test_job {
	struct store_job job;
	int (*apply)(struct store_tx *tx, struct test_job *job);
	const char *sql;		/* for test_apply_sql */
	int64_t id;			/* ticket or agent */
	const char *department;
	enum desk_assignment assignment;
	int limit;
	const struct store_assign_policy *policies;
	size_t policy_count;
	struct store_assign_changes changes;
	int64_t chosen;
	bool more;
	struct store_deadline_fire fire;
	int result;
	bool done;
};

static int
test_remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return remove(path);
}

static void
test_open(struct test_env *env)
{
	struct store_options options = { 64, 5000 };
	char err[512] = "";

	env->store = store_open(env->base, env->dir, &options, err,
	    sizeof(err));
	ck_assert_msg(env->store != NULL, "store_open: %s", err);
}

static void
test_setup(struct test_env *env)
{
	memset(env, 0, sizeof(*env));
	snprintf(env->dir, sizeof(env->dir), "/tmp/check_assign.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(env->dir));
	snprintf(env->db_path, sizeof(env->db_path), "%s/%s", env->dir,
	    STORE_DB_FILE);
	env->base = event_base_new();
	ck_assert_ptr_nonnull(env->base);
	test_open(env);
	clock_set_fixed_ms(TEST_NOW_MS);
}

static void
test_teardown(struct test_env *env)
{
	store_close(env->store);
	event_base_free(env->base);
	nftw(env->dir, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	clock_set_fixed_ms(0);
}

static int
test_job_apply(struct store_tx *tx, void *arg)
{
	struct test_job *job = arg;

	return job->apply(tx, job);
}

static void
test_job_done(int result, void *arg)
{
	struct test_job *job = arg;

	job->result = result;
	job->done = true;
}

static void
test_tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Submits count jobs at once, so that they share a batch, and runs the
 * loop until every completion ran. */
static void
test_run_jobs(struct test_env *env, struct test_job *jobs, size_t count)
{
	struct timeval period = { 0, 20000 };
	time_t deadline = time(NULL) + TEST_ASSIGN_DEADLINE_SECONDS;
	struct event *tick = event_new(env->base, -1, EV_PERSIST, test_tick,
	    NULL);
	bool all;

	for (size_t i = 0; i < count; i++) {
		jobs[i].job = (struct store_job){ .apply = test_job_apply,
		    .done = test_job_done, .arg = &jobs[i] };
		ck_assert_int_eq(store_submit(env->store, &jobs[i].job), 0);
	}
	event_add(tick, &period);
	do {
		event_base_loop(env->base, EVLOOP_ONCE);
		all = true;
		for (size_t i = 0; i < count; i++)
			all = all && jobs[i].done;
	} while (!all && time(NULL) < deadline);
	event_free(tick);
	ck_assert_msg(all, "store jobs did not complete");
}

static void
test_run(struct test_env *env, struct test_job *job)
{
	test_run_jobs(env, job, 1);
}

static int
test_apply_sql(struct store_tx *tx, struct test_job *job)
{
	char *message = NULL;
	int rc = sqlite3_exec(tx->conn->db, job->sql, NULL, NULL, &message);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", job->sql, message);
	return 0;
}

/* Runs sql (any number of statements) in a store job. */
static void
test_exec(struct test_env *env, const char *sql)
{
	struct test_job job = { .apply = test_apply_sql, .sql = sql };

	test_run(env, &job);
	ck_assert_int_eq(job.result, 0);
}

static int64_t
test_query(struct test_env *env, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t value = -1;

	ck_assert_int_eq(sqlite3_open_v2(env->db_path, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) ==
	    SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(stmt) == SQLITE_ROW)
		value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

static char *
test_query_text(struct test_env *env, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	char *text = NULL;

	ck_assert_int_eq(sqlite3_open_v2(env->db_path, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) ==
	    SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_text(stmt, 0) != NULL)
		text = strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return text;
}

/*
 * Agents of the tests: 1 and 2 are available agents of "roads", 3 is an
 * available supervisor of "roads", 4 is unavailable, 5 disabled, 6 an
 * admin, 7 an available agent of "parks" only; 8 a disabled supervisor of
 * "roads".
 */
static const char test_agents_sql[] =
    "INSERT INTO agents (id, username, display_name, role, password_hash,"
    " available, disabled, created_at, updated_at) VALUES"
    " (1, 'an', 'Nguyễn Văn An', 'agent', 'x', 1, 0, 0, 0),"
    " (2, 'binh', 'Trần Thị Bình', 'agent', 'x', 1, 0, 0, 0),"
    " (3, 'chi', 'Lê Minh Chi', 'supervisor', 'x', 1, 0, 0, 0),"
    " (4, 'dung', 'Phạm Dũng', 'agent', 'x', 0, 0, 0, 0),"
    " (5, 'em', 'Hoàng Em', 'agent', 'x', 1, 1, 0, 0),"
    " (6, 'giang', 'Võ Giang', 'admin', 'x', 1, 0, 0, 0),"
    " (7, 'hoa', 'Đỗ Hoa', 'agent', 'x', 1, 0, 0, 0),"
    " (8, 'khanh', 'Bùi Khánh', 'supervisor', 'x', 1, 1, 0, 0);"
    "INSERT INTO agent_departments (agent_id, department) VALUES"
    " (1, 'roads'), (2, 'roads'), (3, 'roads'), (4, 'roads'),"
    " (5, 'roads'), (6, 'roads'), (7, 'parks'), (8, 'roads');";

static const struct store_assign_policy test_policies[] = {
	{ "roads", DESK_ASSIGNMENT_ROUND_ROBIN },
	{ "parks", DESK_ASSIGNMENT_FEWEST_OPEN },
};

#define TEST_POLICY_COUNT 2

/* Inserts a ticket with id, department (NULL for none), status,
 * assignee (0 for none) and due time (0 for none). */
static void
test_ticket(struct test_env *env, int64_t id, const char *department,
    const char *status, int64_t assignee_id, int64_t due_at)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO tickets (id, code, channel,"
	    " status, department, assignee_id, due_at, created_at,"
	    " updated_at) VALUES (%lld, '%010lld', 'web', '%s', %s%s%s,"
	    " NULLIF(%lld, 0), NULLIF(%lld, 0), 0, 0)", (long long)id,
	    (long long)(1000000000 + id), status,
	    department != NULL ? "'" : "", department != NULL ? department :
	    "NULL", department != NULL ? "'" : "", (long long)assignee_id,
	    (long long)due_at);
	test_exec(env, sql);
}

static int64_t
test_assignee(struct test_env *env, int64_t ticket_id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT IFNULL(assignee_id, 0) FROM tickets"
	    " WHERE id = %lld", (long long)ticket_id);
	return test_query(env, sql);
}

static char *
test_status(struct test_env *env, int64_t ticket_id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT status FROM tickets WHERE id = %lld",
	    (long long)ticket_id);
	return test_query_text(env, sql);
}

static void
test_check_status(struct test_env *env, int64_t ticket_id,
    const char *expected)
{
	char *status = test_status(env, ticket_id);

	ck_assert_ptr_nonnull(status);
	ck_assert_str_eq(status, expected);
	free(status);
}

/* --- Choosing an agent ----------------------------------------------------- */

static int
test_apply_choose(struct store_tx *tx, struct test_job *job)
{
	return store_tx_assign_choose(tx, job->department, job->assignment,
	    job->id, &job->chosen) < 0 ? -1 : 0;
}

static int64_t
test_choose(struct test_env *env, const char *department,
    enum desk_assignment assignment, int64_t exclude_id)
{
	struct test_job job = { .apply = test_apply_choose,
	    .department = department, .assignment = assignment,
	    .id = exclude_id };

	test_run(env, &job);
	ck_assert_int_eq(job.result, 0);
	return job.chosen;
}

START_TEST(test_round_robin_order)
{
	struct test_env env;

	test_setup(&env);
	test_exec(&env, test_agents_sql);

	/* Only 1, 2 and 3 qualify: 4 is unavailable, 5 disabled, 6 an admin,
	 * 7 of another department. */
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 1);
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 2);
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 3);
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 1);
	/* Excluding the next one skips it, and the cursor follows. */
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 2), 3);
	ck_assert_int_eq(test_query(&env, "SELECT value FROM desk_settings"
	    " WHERE key = 'assignment.cursor.roads'"), 3);

	/* The cursor is stored: it survives closing the store. */
	store_close(env.store);
	test_open(&env);
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 1);

	/* An agent who became unavailable is skipped. */
	test_exec(&env, "UPDATE agents SET available = 0 WHERE id = 2");
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 3);
	test_teardown(&env);
}
END_TEST

START_TEST(test_round_robin_cursors_per_department)
{
	struct test_env env;

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	test_exec(&env, "INSERT INTO agent_departments (agent_id, department)"
	    " VALUES (2, 'parks')");
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 1);
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 2);
	/* The cursor of parks is its own: it starts at its lowest id. */
	ck_assert_int_eq(test_choose(&env, "parks",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 2);
	ck_assert_int_eq(test_choose(&env, "parks",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 7);
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 3);
	test_teardown(&env);
}
END_TEST

START_TEST(test_choose_none)
{
	struct test_env env;

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	ck_assert_int_eq(test_choose(&env, "roads", DESK_ASSIGNMENT_MANUAL, 0),
	    0);
	ck_assert_int_eq(test_choose(&env, "water",
	    DESK_ASSIGNMENT_ROUND_ROBIN, 0), 0);
	ck_assert_int_eq(test_choose(&env, "parks",
	    DESK_ASSIGNMENT_FEWEST_OPEN, 7), 0);
	/* No cursor is written when no agent was chosen. */
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM desk_settings"),
	    0);
	test_teardown(&env);
}
END_TEST

START_TEST(test_fewest_open_choice)
{
	struct test_env env;

	test_setup(&env);
	test_exec(&env, test_agents_sql);

	/* A tie of three agents without tickets goes to the lowest id. */
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_FEWEST_OPEN, 0), 1);

	/* Agent 1 has two open tickets, agent 2 one open ticket, agent 3
	 * one open ticket in another department; resolved and closed ones do
	 * not count. */
	test_ticket(&env, 1, "roads", "assigned", 1, 0);
	test_ticket(&env, 2, "roads", "waiting", 1, 0);
	test_ticket(&env, 3, "roads", "in_progress", 2, 0);
	test_ticket(&env, 4, "parks", "assigned", 3, 0);
	test_ticket(&env, 5, "roads", "resolved", 2, 0);
	test_ticket(&env, 6, "roads", "closed", 3, 0);
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_FEWEST_OPEN, 0), 2);

	test_exec(&env, "UPDATE tickets SET status = 'resolved' WHERE id = 2");
	test_exec(&env, "UPDATE tickets SET status = 'closed' WHERE id = 3");
	/* Now 1 has one, 2 none, 3 one. */
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_FEWEST_OPEN, 0), 2);
	ck_assert_int_eq(test_choose(&env, "roads",
	    DESK_ASSIGNMENT_FEWEST_OPEN, 2), 1);
	/* Fewest open keeps no cursor. */
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM desk_settings"),
	    0);
	test_teardown(&env);
}
END_TEST

/* --- Assigning tickets ------------------------------------------------------ */

static int
test_apply_ticket(struct store_tx *tx, struct test_job *job)
{
	return store_tx_assign_ticket(tx, job->id, test_policies,
	    TEST_POLICY_COUNT, &job->changes);
}

static void
test_assign_ticket(struct test_env *env, int64_t ticket_id,
    struct test_job *job)
{
	*job = (struct test_job){ .apply = test_apply_ticket, .id = ticket_id };
	test_run(env, job);
	ck_assert_int_eq(job->result, 0);
}

START_TEST(test_new_ticket_assigned)
{
	struct test_env env;
	struct test_job job;
	char *detail;

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	test_ticket(&env, 1, "roads", "new", 0, 0);
	test_assign_ticket(&env, 1, &job);

	ck_assert_uint_eq(job.changes.count, 1);
	ck_assert_int_eq(job.changes.items[0].ticket_id, 1);
	ck_assert_int_eq(job.changes.items[0].assignee_id, 1);
	ck_assert_int_eq(job.changes.items[0].previous_id, 0);
	ck_assert_int_eq(test_assignee(&env, 1), 1);
	test_check_status(&env, 1, "assigned");
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM audit_events"
	    " WHERE ticket_id = 1 AND actor = 'assignment'"
	    " AND action = 'ticket.assigned'"), 1);
	detail = test_query_text(&env, "SELECT detail FROM audit_events"
	    " WHERE ticket_id = 1");
	ck_assert_ptr_nonnull(detail);
	ck_assert_ptr_nonnull(strstr(detail, "\"policy\":\"round_robin\""));
	ck_assert_ptr_nonnull(strstr(detail, "\"reason\":\"new_ticket\""));
	free(detail);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM outbox"
	    " WHERE event = 'ticket.assigned' AND ticket_id = 1"
	    " AND json_extract(payload, '$.assignee_id') = 1"
	    " AND json_extract(payload, '$.agent_id') = 0"), 1);
	store_assign_changes_clear(&job.changes);

	/* Assigned already: a second event changes nothing. */
	test_assign_ticket(&env, 1, &job);
	ck_assert_uint_eq(job.changes.count, 0);
	ck_assert_int_eq(test_assignee(&env, 1), 1);
	store_assign_changes_clear(&job.changes);
	test_teardown(&env);
}
END_TEST

START_TEST(test_new_ticket_left_unassigned)
{
	struct test_env env;
	struct test_job job;

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	/* A manual department, a ticket without department, an automatic
	 * department without an available agent. */
	test_ticket(&env, 1, "permits", "new", 0, 0);
	test_ticket(&env, 2, NULL, "new", 0, 0);
	test_exec(&env, "UPDATE agents SET available = 0 WHERE id = 7");
	test_ticket(&env, 3, "parks", "new", 0, 0);
	for (int64_t id = 1; id <= 3; id++) {
		test_assign_ticket(&env, id, &job);
		ck_assert_uint_eq(job.changes.count, 0);
		ck_assert_int_eq(test_assignee(&env, id), 0);
		test_check_status(&env, id, "new");
		store_assign_changes_clear(&job.changes);
	}
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM audit_events"),
	    0);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM outbox"), 0);
	test_teardown(&env);
}
END_TEST

START_TEST(test_same_batch_round_robin)
{
	struct test_env env;
	struct test_job jobs[4];

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	test_exec(&env, "UPDATE agents SET available = 0 WHERE id = 3");
	for (int64_t id = 1; id <= 4; id++)
		test_ticket(&env, id, "roads", "new", 0, 0);
	for (int i = 0; i < 4; i++)
		jobs[i] = (struct test_job){ .apply = test_apply_ticket,
		    .id = i + 1 };
	/* Four tickets arriving together alternate between agents 1 and 2. */
	test_run_jobs(&env, jobs, 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(jobs[i].result, 0);
		ck_assert_int_eq(test_assignee(&env, i + 1),
		    (i % 2 == 0 ? 1 : 2));
		store_assign_changes_clear(&jobs[i].changes);
	}
	test_teardown(&env);
}
END_TEST

static int
test_apply_backlog(struct store_tx *tx, struct test_job *job)
{
	return store_tx_assign_backlog(tx, job->department, job->assignment,
	    job->id, job->limit, &job->changes, &job->more);
}

START_TEST(test_backlog_oldest_first)
{
	struct test_env env;
	struct test_job job;

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	test_ticket(&env, 1, "parks", "new", 0, 0);
	test_ticket(&env, 2, "parks", "new", 0, 0);
	test_ticket(&env, 3, "parks", "in_progress", 0, 0);
	test_ticket(&env, 4, "roads", "new", 0, 0);
	test_ticket(&env, 5, "parks", "new", 0, 0);
	test_ticket(&env, 6, "parks", "new", 7, 0);

	/* Agent 3 is not in parks: nothing happens for that agent. */
	job = (struct test_job){ .apply = test_apply_backlog,
	    .department = "parks", .assignment = DESK_ASSIGNMENT_FEWEST_OPEN,
	    .id = 3, .limit = 10 };
	test_run(&env, &job);
	ck_assert_int_eq(job.result, 0);
	ck_assert_uint_eq(job.changes.count, 0);
	store_assign_changes_clear(&job.changes);

	/* Agent 7 of parks: the oldest two first, then the limit stops. */
	job = (struct test_job){ .apply = test_apply_backlog,
	    .department = "parks", .assignment = DESK_ASSIGNMENT_FEWEST_OPEN,
	    .id = 7, .limit = 2 };
	test_run(&env, &job);
	ck_assert_int_eq(job.result, 0);
	ck_assert_uint_eq(job.changes.count, 2);
	ck_assert_int_eq(job.changes.items[0].ticket_id, 1);
	ck_assert_int_eq(job.changes.items[1].ticket_id, 2);
	ck_assert(job.more);
	store_assign_changes_clear(&job.changes);

	/* The rest, for every agent (id 0). */
	job = (struct test_job){ .apply = test_apply_backlog,
	    .department = "parks", .assignment = DESK_ASSIGNMENT_FEWEST_OPEN,
	    .limit = 2 };
	test_run(&env, &job);
	ck_assert_uint_eq(job.changes.count, 1);
	ck_assert_int_eq(job.changes.items[0].ticket_id, 5);
	ck_assert(!job.more);
	store_assign_changes_clear(&job.changes);

	ck_assert_int_eq(test_assignee(&env, 1), 7);
	ck_assert_int_eq(test_assignee(&env, 5), 7);
	ck_assert_int_eq(test_assignee(&env, 3), 0);
	ck_assert_int_eq(test_assignee(&env, 4), 0);
	test_teardown(&env);
}
END_TEST

static int
test_apply_release(struct store_tx *tx, struct test_job *job)
{
	return store_tx_assign_release(tx, job->id, test_policies,
	    TEST_POLICY_COUNT, &job->changes);
}

START_TEST(test_release_reassigns)
{
	struct test_env env;
	struct test_job job;

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	test_ticket(&env, 1, "roads", "assigned", 1, 0);
	test_ticket(&env, 2, "roads", "in_progress", 1, 0);
	test_ticket(&env, 3, "roads", "waiting", 1, 0);
	test_ticket(&env, 4, "permits", "assigned", 1, 0);
	test_ticket(&env, 5, "roads", "resolved", 1, 0);
	test_exec(&env, "UPDATE agents SET available = 0 WHERE id = 1");

	job = (struct test_job){ .apply = test_apply_release, .id = 1 };
	test_run(&env, &job);
	ck_assert_int_eq(job.result, 0);
	ck_assert_uint_eq(job.changes.count, 3);

	/* Round robin in roads: 2, then 3. */
	ck_assert_int_eq(test_assignee(&env, 1), 2);
	ck_assert_int_eq(test_assignee(&env, 2), 3);
	test_check_status(&env, 1, "assigned");
	test_check_status(&env, 2, "assigned");
	/* A manual department: back to new without an assignee. */
	ck_assert_int_eq(test_assignee(&env, 4), 0);
	test_check_status(&env, 4, "new");
	/* Waiting and resolved tickets stay with the agent. */
	ck_assert_int_eq(test_assignee(&env, 3), 1);
	ck_assert_int_eq(test_assignee(&env, 5), 1);
	ck_assert_int_eq(job.changes.items[0].previous_id, 1);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM audit_events"
	    " WHERE actor = 'assignment'"
	    " AND json_extract(detail, '$.reason') = 'agent_unavailable'"), 3);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM audit_events"
	    " WHERE ticket_id = 4 AND action = 'ticket.unassigned'"), 1);
	store_assign_changes_clear(&job.changes);
	test_teardown(&env);
}
END_TEST

START_TEST(test_release_without_agents)
{
	struct test_env env;
	struct test_job job;

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	test_ticket(&env, 1, "parks", "in_progress", 7, 0);
	test_exec(&env, "UPDATE agents SET disabled = 1 WHERE id = 7");
	job = (struct test_job){ .apply = test_apply_release, .id = 7 };
	test_run(&env, &job);
	ck_assert_int_eq(job.result, 0);
	ck_assert_uint_eq(job.changes.count, 1);
	ck_assert_int_eq(job.changes.items[0].assignee_id, 0);
	ck_assert_int_eq(test_assignee(&env, 1), 0);
	test_check_status(&env, 1, "new");
	store_assign_changes_clear(&job.changes);
	test_teardown(&env);
}
END_TEST

static int
test_apply_release_departed(struct store_tx *tx, struct test_job *job)
{
	return store_tx_assign_release_departed(tx, job->id, test_policies,
	    TEST_POLICY_COUNT, &job->changes);
}

START_TEST(test_release_departed)
{
	struct test_env env;
	struct test_job job;

	test_setup(&env);
	test_exec(&env, test_agents_sql);
	/* Agent 1 moves from roads to parks. */
	test_exec(&env, "UPDATE agent_departments SET department = 'parks'"
	    " WHERE agent_id = 1");
	test_ticket(&env, 1, "roads", "assigned", 1, 0);
	test_ticket(&env, 2, "roads", "in_progress", 1, 0);
	test_ticket(&env, 3, "roads", "waiting", 1, 0);
	test_ticket(&env, 4, "parks", "assigned", 1, 0);
	test_ticket(&env, 5, "permits", "assigned", 1, 0);
	test_ticket(&env, 6, NULL, "assigned", 1, 0);

	job = (struct test_job){ .apply = test_apply_release_departed,
	    .id = 1 };
	test_run(&env, &job);
	ck_assert_int_eq(job.result, 0);
	ck_assert_uint_eq(job.changes.count, 3);
	/* Round robin among the other agents of roads: 2, then 3. */
	ck_assert_int_eq(test_assignee(&env, 1), 2);
	ck_assert_int_eq(test_assignee(&env, 2), 3);
	test_check_status(&env, 2, "assigned");
	/* A manual department: back to new. */
	ck_assert_int_eq(test_assignee(&env, 5), 0);
	test_check_status(&env, 5, "new");
	/* Waiting tickets, tickets of a department kept and tickets without
	 * a department stay. */
	ck_assert_int_eq(test_assignee(&env, 3), 1);
	ck_assert_int_eq(test_assignee(&env, 4), 1);
	ck_assert_int_eq(test_assignee(&env, 6), 1);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM audit_events"
	    " WHERE actor = 'assignment' AND json_extract(detail, '$.reason')"
	    " = 'agent_left_department'"), 3);
	store_assign_changes_clear(&job.changes);
	test_teardown(&env);
}
END_TEST

START_TEST(test_ticket_json_fields)
{
	struct test_env env;
	json_t *detail;

	test_setup(&env);
	test_ticket(&env, 1, "roads", "new", 0, TEST_NOW_MS);
	detail = store_ticket_detail_json(env.store, 1);
	ck_assert_ptr_nonnull(detail);
	ck_assert(json_is_null(json_object_get(detail, "assignee_id")));
	ck_assert(json_is_null(json_object_get(detail, "reminded_at")));
	ck_assert(json_is_null(json_object_get(detail, "escalated_at")));
	json_decref(detail);

	test_exec(&env, test_agents_sql);
	test_exec(&env, "UPDATE tickets SET assignee_id = 2,"
	    " reminded_at = 1735959600000, escalated_at = 1735963200000");
	detail = store_ticket_detail_json(env.store, 1);
	ck_assert_ptr_nonnull(detail);
	ck_assert_int_eq(json_integer_value(json_object_get(detail,
	    "assignee_id")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(detail,
	    "reminded_at")), "2025-01-04T10:00:00+07:00");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
	    "escalated_at")), "2025-01-04T11:00:00+07:00");
	json_decref(detail);
	test_teardown(&env);
}
END_TEST

/* --- Deadline timers --------------------------------------------------------- */

/* Tickets of the timer tests, by their due time relative to TEST_NOW_MS. */
static void
test_deadline_tickets(struct test_env *env)
{
	test_exec(env, test_agents_sql);
	/* 1: due in 3 h, 2: due in 1 h, 3: due 1 h ago, 4: due in 1 h but
	 * resolved, 5: no due time, 6: due in 1 h, reminded already, 7: due
	 * 2 h ago, escalated already, 8: due 1 h ago, reminded. */
	test_ticket(env, 1, "roads", "new", 0, TEST_NOW_MS + 3 * TEST_HOUR_MS);
	test_ticket(env, 2, "roads", "assigned", 1,
	    TEST_NOW_MS + TEST_HOUR_MS);
	test_ticket(env, 3, "roads", "in_progress", 2,
	    TEST_NOW_MS - TEST_HOUR_MS);
	test_ticket(env, 4, "roads", "resolved", 1, TEST_NOW_MS + TEST_HOUR_MS);
	test_ticket(env, 5, "roads", "new", 0, 0);
	test_ticket(env, 6, "parks", "new", 0, TEST_NOW_MS + TEST_HOUR_MS);
	test_ticket(env, 7, "roads", "waiting", 1,
	    TEST_NOW_MS - 2 * TEST_HOUR_MS);
	test_ticket(env, 8, NULL, "new", 0, TEST_NOW_MS - TEST_HOUR_MS);
	test_exec(env, "UPDATE tickets SET reminded_at = 1 WHERE id IN (6, 8);"
	    "UPDATE tickets SET escalated_at = 1 WHERE id = 7");
}

START_TEST(test_deadline_find_due)
{
	struct test_env env;
	struct store_deadline_due *due;
	int found;

	test_setup(&env);
	test_deadline_tickets(&env);

	/* Reminders two hours ahead: 2 for a reminder; 7 escalated and 3
	 * and 8 due for escalation, earliest due time first. */
	found = store_deadline_find(env.store, TEST_NOW_MS, 2 * TEST_HOUR_MS,
	    10, &due);
	ck_assert_int_eq(found, 3);
	ck_assert_int_eq(due[0].ticket_id, 3);
	ck_assert_int_eq(due[0].timer, STORE_DEADLINE_ESCALATION);
	ck_assert_str_eq(due[0].department, "roads");
	ck_assert_int_eq(due[1].ticket_id, 8);
	ck_assert_int_eq(due[1].timer, STORE_DEADLINE_ESCALATION);
	ck_assert_ptr_null(due[1].department);
	ck_assert_int_eq(due[2].ticket_id, 2);
	ck_assert_int_eq(due[2].timer, STORE_DEADLINE_REMINDER);
	ck_assert_int_eq(due[2].due_at, TEST_NOW_MS + TEST_HOUR_MS);
	store_deadline_due_free(due, (size_t)found);

	/* The limit keeps the earliest. */
	found = store_deadline_find(env.store, TEST_NOW_MS, 2 * TEST_HOUR_MS,
	    1, &due);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(due[0].ticket_id, 3);
	store_deadline_due_free(due, (size_t)found);

	/* Without reminders only the escalations are due. */
	found = store_deadline_find(env.store, TEST_NOW_MS, 0, 10, &due);
	ck_assert_int_eq(found, 2);
	ck_assert_int_eq(due[0].ticket_id, 3);
	ck_assert_int_eq(due[1].ticket_id, 8);
	store_deadline_due_free(due, (size_t)found);

	/* Four hours later ticket 1 is due for its reminder and 2 for its
	 * escalation, which replaces its reminder. */
	found = store_deadline_find(env.store, TEST_NOW_MS + 2 * TEST_HOUR_MS,
	    2 * TEST_HOUR_MS, 10, &due);
	ck_assert_int_eq(found, 5);
	ck_assert_int_eq(due[2].ticket_id, 2);
	ck_assert_int_eq(due[2].timer, STORE_DEADLINE_ESCALATION);
	ck_assert_int_eq(due[3].ticket_id, 6);
	ck_assert_int_eq(due[3].timer, STORE_DEADLINE_ESCALATION);
	ck_assert_int_eq(due[4].ticket_id, 1);
	ck_assert_int_eq(due[4].timer, STORE_DEADLINE_REMINDER);
	store_deadline_due_free(due, (size_t)found);
	test_teardown(&env);
}
END_TEST

START_TEST(test_deadline_find_uses_index)
{
	struct test_env env;
	sqlite3 *db;
	sqlite3_stmt *stmt;
	bool uses_index = false;

	test_setup(&env);
	ck_assert_int_eq(sqlite3_open_v2(env.db_path, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* The conditions of store_deadline_find, with constants. */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN"
	    " SELECT id, department, due_at FROM tickets"
	    " WHERE due_at IS NOT NULL AND status NOT IN ('resolved','closed')"
	    " AND due_at <= 2 AND escalated_at IS NULL"
	    " AND (due_at <= 1 OR reminded_at IS NULL)"
	    " ORDER BY due_at, id LIMIT 10", -1, &stmt, NULL), SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(stmt, 3);

		if (detail != NULL && strstr(detail, "tickets_due") != NULL)
			uses_index = true;
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	ck_assert_msg(uses_index, "the scan does not use tickets_due");
	test_teardown(&env);
}
END_TEST

static char *
test_note(const struct store_deadline_fire *fire, void *arg)
{
	return desk_timer_note_text(fire, arg);
}

static int
test_apply_fire(struct store_tx *tx, struct test_job *job)
{
	return store_tx_deadline_fire(tx, &job->fire);
}

static const struct desk_timer_names test_roads_names = {
	"roads", "Phòng Quản lý đô thị", "Urban Management Office",
};

static bool
test_fire(struct test_env *env, int64_t ticket_id,
    enum store_deadline_timer timer, int64_t now, struct test_job *job)
{
	*job = (struct test_job){ .apply = test_apply_fire };
	job->fire = (struct store_deadline_fire){ .ticket_id = ticket_id,
	    .timer = timer, .now = now, .remind_before_ms = 2 * TEST_HOUR_MS,
	    .note_text = test_note, .note_arg = (void *)&test_roads_names };
	test_run(env, job);
	ck_assert_int_eq(job->result, 0);
	return job->fire.fired;
}

START_TEST(test_deadline_reminder_once)
{
	struct test_env env;
	struct test_job job;
	char *note;

	test_setup(&env);
	test_deadline_tickets(&env);

	ck_assert(test_fire(&env, 2, STORE_DEADLINE_REMINDER, TEST_NOW_MS,
	    &job));
	ck_assert_int_eq(job.fire.assignee.id, 1);
	ck_assert_str_eq(job.fire.assignee.username, "an");
	ck_assert_int_eq(job.fire.due_at, TEST_NOW_MS + TEST_HOUR_MS);
	store_deadline_fire_clear(&job.fire);
	ck_assert_int_eq(test_query(&env, "SELECT reminded_at FROM tickets"
	    " WHERE id = 2"), TEST_NOW_MS);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM messages"
	    " WHERE ticket_id = 2 AND kind = 'note'"), 1);
	note = test_query_text(&env, "SELECT body FROM messages"
	    " WHERE ticket_id = 2 AND kind = 'note'");
	ck_assert_ptr_nonnull(note);
	ck_assert_ptr_nonnull(strstr(note, "Nhắc hạn"));
	ck_assert_ptr_nonnull(strstr(note, "11:00 ngày 04/01/2025"));
	ck_assert_ptr_nonnull(strstr(note, "Nguyễn Văn An (an)"));
	ck_assert_ptr_nonnull(strstr(note, "due at 2025-01-04 11:00"));
	free(note);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM audit_events"
	    " WHERE ticket_id = 2 AND actor = 'deadline'"
	    " AND action = 'ticket.reminder'"), 1);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM outbox"
	    " WHERE ticket_id = 2 AND event = 'ticket.reminder'"
	    " AND json_extract(payload, '$.assignee_id') = 1"
	    " AND json_extract(payload, '$.due_at')"
	    " = '2025-01-04T11:00:00+07:00'"), 1);

	/* A second scan, at once or later, does not fire it again. */
	ck_assert(!test_fire(&env, 2, STORE_DEADLINE_REMINDER, TEST_NOW_MS,
	    &job));
	ck_assert(!test_fire(&env, 2, STORE_DEADLINE_REMINDER,
	    TEST_NOW_MS + TEST_HOUR_MS / 2, &job));
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM messages"
	    " WHERE ticket_id = 2 AND kind = 'note'"), 1);

	/* Not due yet, resolved, or past due: no reminder. */
	ck_assert(!test_fire(&env, 1, STORE_DEADLINE_REMINDER, TEST_NOW_MS,
	    &job));
	ck_assert(!test_fire(&env, 4, STORE_DEADLINE_REMINDER, TEST_NOW_MS,
	    &job));
	ck_assert(!test_fire(&env, 3, STORE_DEADLINE_REMINDER, TEST_NOW_MS,
	    &job));
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM tickets"
	    " WHERE reminded_at IS NOT NULL"), 3);
	test_teardown(&env);
}
END_TEST

START_TEST(test_deadline_escalation_once)
{
	struct test_env env;
	struct test_job job;
	char *note;

	test_setup(&env);
	test_deadline_tickets(&env);

	ck_assert(!test_fire(&env, 2, STORE_DEADLINE_ESCALATION, TEST_NOW_MS,
	    &job));
	ck_assert(test_fire(&env, 3, STORE_DEADLINE_ESCALATION, TEST_NOW_MS,
	    &job));
	/* The enabled supervisors of roads: 3, not the disabled 8. */
	ck_assert_uint_eq(job.fire.supervisor_count, 1);
	ck_assert_int_eq(job.fire.supervisors[0].id, 3);
	store_deadline_fire_clear(&job.fire);
	ck_assert_int_eq(test_query(&env, "SELECT escalated_at FROM tickets"
	    " WHERE id = 3"), TEST_NOW_MS);
	note = test_query_text(&env, "SELECT body FROM messages"
	    " WHERE ticket_id = 3 AND kind = 'note'");
	ck_assert_ptr_nonnull(note);
	ck_assert_ptr_nonnull(strstr(note, "Quá hạn"));
	ck_assert_ptr_nonnull(strstr(note, "Phòng Quản lý đô thị: "
	    "Lê Minh Chi (chi)"));
	ck_assert_ptr_nonnull(strstr(note, "supervisors of Urban Management "
	    "Office: Lê Minh Chi (chi)"));
	ck_assert_ptr_null(strstr(note, "khanh"));
	free(note);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM outbox"
	    " WHERE ticket_id = 3 AND event = 'ticket.escalated'"
	    " AND json_extract(payload, '$.supervisor_ids') = '[3]'"), 1);
	ck_assert_int_eq(test_query(&env, "SELECT COUNT(*) FROM audit_events"
	    " WHERE ticket_id = 3 AND action = 'ticket.escalated'"), 1);

	ck_assert(!test_fire(&env, 3, STORE_DEADLINE_ESCALATION,
	    TEST_NOW_MS + TEST_HOUR_MS, &job));
	ck_assert(!test_fire(&env, 7, STORE_DEADLINE_ESCALATION, TEST_NOW_MS,
	    &job));

	/* No department: the note states that no supervisor receives the escalation. */
	ck_assert(test_fire(&env, 8, STORE_DEADLINE_ESCALATION, TEST_NOW_MS,
	    &job));
	ck_assert_uint_eq(job.fire.supervisor_count, 0);
	store_deadline_fire_clear(&job.fire);
	note = test_query_text(&env, "SELECT body FROM messages"
	    " WHERE ticket_id = 8 AND kind = 'note'");
	ck_assert_ptr_nonnull(note);
	ck_assert_ptr_nonnull(strstr(note, "no department"));
	free(note);

	/* After both scans nothing is due any more. */
	{
		struct store_deadline_due *due;
		int found = store_deadline_find(env.store, TEST_NOW_MS,
		    2 * TEST_HOUR_MS, 10, &due);

		ck_assert_int_eq(found, 1);
		ck_assert_int_eq(due[0].ticket_id, 2);
		store_deadline_due_free(due, (size_t)found);
	}
	test_teardown(&env);
}
END_TEST

START_TEST(test_deadline_note_without_assignee)
{
	struct store_deadline_fire fire = { .ticket_id = 1,
	    .timer = STORE_DEADLINE_REMINDER, .code = "3805172961",
	    .due_at = TEST_NOW_MS, .department = (char *)"roads" };
	struct desk_timer_names other = { "parks", "Phòng Cây xanh",
	    "Parks Office" };
	char *text;

	text = desk_timer_note_text(&fire, (void *)&test_roads_names);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "phiếu 3805-1729-61 đến hạn xử lý "
	    "lúc 10:00 ngày 04/01/2025"));
	ck_assert_ptr_nonnull(strstr(text, "nhắc gửi đến Phòng Quản lý đô "
	    "thị"));
	ck_assert_ptr_nonnull(strstr(text, "the reminder goes to Urban "
	    "Management Office"));
	free(text);

	/* Names of another department are not used: the id is shown. */
	text = desk_timer_note_text(&fire, &other);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "the reminder goes to roads."));
	free(text);

	fire.timer = STORE_DEADLINE_ESCALATION;
	text = desk_timer_note_text(&fire, (void *)&test_roads_names);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "Urban Management Office has no "
	    "supervisor."));
	free(text);
}
END_TEST

/* --- Config ------------------------------------------------------------------ */

/* Writes text to hub.json in a new temporary folder dir; returns the
 * file's path (caller frees; test_config_remove deletes both). */
static char *
test_config_write(const char *text, char *dir, size_t size)
{
	char *path;
	FILE *file;

	snprintf(dir, size, "/tmp/check_assign_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ne(asprintf(&path, "%s/hub.json", dir), -1);
	file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	ck_assert_int_ge(fputs(text, file), 0);
	ck_assert_int_eq(fclose(file), 0);
	return path;
}

static void
test_config_remove(char *path, const char *dir)
{
	free(path);
	nftw(dir, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

START_TEST(test_config_assignment_keys)
{
	struct hub_config *config = NULL;
	struct config_error err;
	char dir[64];
	char *path = test_config_write("{\n"
	    "  \"departments\": [\n"
	    "    { \"id\": \"a\", \"name_vi\": \"A\", \"name_en\": \"A\" },\n"
	    "    { \"id\": \"b\", \"name_vi\": \"B\", \"name_en\": \"B\",\n"
	    "      \"assignment\": \"round_robin\" },\n"
	    "    { \"id\": \"c\", \"name_vi\": \"C\", \"name_en\": \"C\",\n"
	    "      \"assignment\": \"fewest_open\" }\n"
	    "  ],\n"
	    "  \"deadlines\": { \"remind_before_minutes\": 30,\n"
	    "    \"scan_interval_seconds\": 1 }\n"
	    "}\n", dir, sizeof(dir));

	ck_assert_msg(config_load(path, &config, &err) == 0, "%s",
	    err.message);
	ck_assert_int_eq(desk_current(config)->departments[0].assignment,
	    DESK_ASSIGNMENT_MANUAL);
	ck_assert_int_eq(desk_current(config)->departments[1].assignment,
	    DESK_ASSIGNMENT_ROUND_ROBIN);
	ck_assert_int_eq(desk_current(config)->departments[2].assignment,
	    DESK_ASSIGNMENT_FEWEST_OPEN);
	ck_assert_int_eq(config->deadline_remind_before_minutes, 30);
	ck_assert_int_eq(config->deadline_scan_interval_seconds, 1);
	config_free(config);
	test_config_remove(path, dir);

	/* Defaults. */
	path = test_config_write("{}\n", dir, sizeof(dir));
	ck_assert_int_eq(config_load(path, &config, &err), 0);
	ck_assert_int_eq(config->deadline_remind_before_minutes, 120);
	ck_assert_int_eq(config->deadline_scan_interval_seconds, 60);
	config_free(config);
	test_config_remove(path, dir);
}
END_TEST

START_TEST(test_config_assignment_invalid)
{
	struct hub_config *config = NULL;
	struct config_error err;
	char dir[64];
	char *path = test_config_write("{\n"
	    "  \"departments\": [\n"
	    "    { \"id\": \"a\", \"name_vi\": \"A\", \"name_en\": \"A\",\n"
	    "      \"assignment\": \"random\" }\n"
	    "  ]\n"
	    "}\n", dir, sizeof(dir));

	ck_assert_int_eq(config_load(path, &config, &err), -1);
	ck_assert_str_eq(err.path, "departments[0].assignment");
	ck_assert_int_eq(err.line, 4);
	ck_assert_ptr_nonnull(strstr(err.message,
	    "one of manual, round_robin, fewest_open"));
	test_config_remove(path, dir);

	path = test_config_write("{ \"deadlines\": {"
	    " \"scan_interval_seconds\": 0 } }\n", dir, sizeof(dir));
	ck_assert_int_eq(config_load(path, &config, &err), -1);
	ck_assert_str_eq(err.path, "deadlines.scan_interval_seconds");
	test_config_remove(path, dir);
}
END_TEST

Suite *
assign_suite(void)
{
	Suite *suite = suite_create("assign");
	TCase *choice = tcase_create("choice");
	TCase *tickets = tcase_create("tickets");
	TCase *deadline = tcase_create("deadline");
	TCase *config = tcase_create("config");

	tcase_set_timeout(choice, 60);
	tcase_set_timeout(tickets, 60);
	tcase_set_timeout(deadline, 60);
	tcase_add_test(choice, test_round_robin_order);
	tcase_add_test(choice, test_round_robin_cursors_per_department);
	tcase_add_test(choice, test_choose_none);
	tcase_add_test(choice, test_fewest_open_choice);
	tcase_add_test(tickets, test_new_ticket_assigned);
	tcase_add_test(tickets, test_new_ticket_left_unassigned);
	tcase_add_test(tickets, test_same_batch_round_robin);
	tcase_add_test(tickets, test_backlog_oldest_first);
	tcase_add_test(tickets, test_release_reassigns);
	tcase_add_test(tickets, test_release_without_agents);
	tcase_add_test(tickets, test_release_departed);
	tcase_add_test(tickets, test_ticket_json_fields);
	tcase_add_test(deadline, test_deadline_find_due);
	tcase_add_test(deadline, test_deadline_find_uses_index);
	tcase_add_test(deadline, test_deadline_reminder_once);
	tcase_add_test(deadline, test_deadline_escalation_once);
	tcase_add_test(deadline, test_deadline_note_without_assignee);
	tcase_add_test(config, test_config_assignment_keys);
	tcase_add_test(config, test_config_assignment_invalid);
	suite_add_tcase(suite, choice);
	suite_add_tcase(suite, tickets);
	suite_add_tcase(suite, deadline);
	suite_add_tcase(suite, config);
	return suite;
}
