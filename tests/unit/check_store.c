/*
 * Store: migrations, group commit, savepoints, reads, backup and restore,
 * and the data directory lock. Every test runs a real store in its own
 * temporary directory with its own event_base.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "check_suites.h"
#include "check_util.h"
#include "datadir.h"
#include "store.h"
#include "store_sqlite.h"
#include "ticket_code.h"

#define TEST_STORE_DEADLINE_SECONDS 30

struct test_store {
	char dir[64];
	char db_path[128];
	struct event_base *base;
	struct store *store;
	int done;		/* completions run */
	int batches;
	int batch_jobs;
	int batch_largest;
};

struct test_job {
	struct store_job job;
	struct test_store *env;
	int index;
	bool fail;		/* apply stores rows, then returns -1 */
	const char *external_id;
	int result;
	bool completed;
	bool visible_at_done;	/* the job's ticket was readable in done */
	int64_t ticket_id;
	char code[TICKET_CODE_PLAIN_SIZE];
};

static int
test_remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return remove(path);
}

static void
test_remove_tree(const char *dir)
{
	nftw(dir, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_observer(int size, double seconds, void *arg)
{
	struct test_store *env = arg;

	ck_assert_int_ge(seconds, 0);
	env->batches++;
	env->batch_jobs += size;
	if (size > env->batch_largest)
		env->batch_largest = size;
}

static void
test_open(struct test_store *env, int batch_max)
{
	struct store_options options = { batch_max, 5000 };
	char err[512] = "";

	env->store = store_open(env->base, env->dir, &options, err,
	    sizeof(err));
	ck_assert_msg(env->store != NULL, "store_open: %s", err);
	store_set_batch_observer(env->store, test_observer, env);
}

static void
test_setup(struct test_store *env, int batch_max)
{
	memset(env, 0, sizeof(*env));
	snprintf(env->dir, sizeof(env->dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(env->dir));
	snprintf(env->db_path, sizeof(env->db_path), "%s/%s", env->dir,
	    STORE_DB_FILE);
	env->base = event_base_new();
	ck_assert_ptr_nonnull(env->base);
	test_open(env, batch_max);
}

static void
test_teardown(struct test_store *env)
{
	store_close(env->store);
	event_base_free(env->base);
	test_remove_tree(env->dir);
}

static void
test_tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Runs the loop until *counter reaches at least target, or fails the test
 * at the deadline. */
static void
test_run_until(struct test_store *env, const int *counter, int target)
{
	struct timeval period = { 0, 50000 };
	struct event *tick;
	time_t deadline = time(NULL) + TEST_STORE_DEADLINE_SECONDS;

	tick = event_new(env->base, -1, EV_PERSIST, test_tick, NULL);
	event_add(tick, &period);
	while (*counter < target && time(NULL) < deadline)
		event_base_loop(env->base, EVLOOP_ONCE);
	event_free(tick);
	ck_assert_int_ge(*counter, target);
}

static int64_t
test_count(const char *db_path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t count = -1;

	ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		count = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return count;
}

/* Whether a fresh connection, not the store's, reads the ticket. */
static bool
test_ticket_visible(const char *db_path, int64_t ticket_id)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	bool visible;

	ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db,
	    "SELECT 1 FROM tickets WHERE id = ?", -1, &stmt, NULL), SQLITE_OK);
	sqlite3_bind_int64(stmt, 1, ticket_id);
	visible = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return visible;
}

/* Creates a citizen, a ticket and two messages of about 1 KB each, so that
 * a few hundred jobs fill enough pages for a backup to take several steps. */
static int
test_apply_ticket(struct store_tx *tx, void *arg)
{
	struct test_job *job = arg;
	struct store_ticket_new ticket = { .channel = "web",
	    .subject = "Đèn đường hỏng", .language = "vi" };
	struct store_message_new message = { .direction = "in",
	    .kind = "message", .channel = "web" };
	char name[32], body[1024];
	int rc;

	snprintf(name, sizeof(name), "citizen %d", job->index);
	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	message.body = body;
	if (store_tx_citizen_create(tx, name, "vi", &ticket.citizen_id) != 0 ||
	    store_tx_ticket_create(tx, &ticket) != 0)
		return -1;
	job->ticket_id = ticket.id;
	memcpy(job->code, ticket.code, sizeof(job->code));
	message.ticket_id = ticket.id;
	message.external_id = job->external_id;
	if ((rc = store_tx_message_add(tx, &message)) != 0)
		return rc;
	message.external_id = NULL;
	message.kind = "ack";
	message.direction = "out";
	if (store_tx_message_add(tx, &message) != 0)
		return -1;
	return job->fail ? -1 : 0;
}

static void
test_done(int result, void *arg)
{
	struct test_job *job = arg;

	job->result = result;
	job->completed = true;
	if (result == 0)
		job->visible_at_done = test_ticket_visible(job->env->db_path,
		    job->ticket_id);
	job->env->done++;
}

static void
test_submit(struct test_store *env, struct test_job *job, int index)
{
	job->job.apply = test_apply_ticket;
	job->job.done = test_done;
	job->job.arg = job;
	job->env = env;
	job->index = index;
	ck_assert_int_eq(store_submit(env->store, &job->job), 0);
}

static struct test_job *
test_submit_many(struct test_store *env, int count)
{
	struct test_job *jobs = calloc((size_t)count, sizeof(*jobs));

	ck_assert_ptr_nonnull(jobs);
	for (int i = 0; i < count; i++)
		test_submit(env, &jobs[i], i);
	return jobs;
}

START_TEST(test_migrations)
{
	static const char *const tables[] = { "meta", "citizens", "contacts",
	    "tickets", "ticket_contacts", "messages", "attachments",
	    "audit_events", "outbox", "idempotency_keys", "ticket_search",
	    "agents", "agent_departments", "sessions", "login_failures",
	    "ticket_tags", "desk_settings" };
	struct test_store env;
	uint8_t code_key[STORE_KEY_BYTES];
	char sql[128], err[512];

	test_setup(&env, 16);
	memcpy(code_key, store_code_key(env.store), sizeof(code_key));
	ck_assert_int_eq(test_count(env.db_path, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM sqlite_schema"
		    " WHERE type = 'table' AND name = '%s'", tables[i]);
		ck_assert_msg(test_count(env.db_path, sql) == 1,
		    "table %s missing", tables[i]);
	}
	ck_assert_int_eq(test_count(env.db_path, "SELECT COUNT(*) FROM meta"
	    " WHERE length(value) = 32"), 3);
	store_close(env.store);

	ck_assert_int_eq(store_init(env.dir, err, sizeof(err)), 0);
	test_open(&env, 16);
	ck_assert_int_eq(test_count(env.db_path, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	ck_assert_mem_eq(store_code_key(env.store), code_key, sizeof(code_key));
	test_teardown(&env);
}
END_TEST

START_TEST(test_migrations_newer_refused)
{
	struct store_options options = { 16, 1000 };
	struct test_store env;
	char err[512] = "";
	sqlite3 *db;

	test_setup(&env, 16);
	store_close(env.store);
	env.store = NULL;
	ck_assert_int_eq(sqlite3_open(env.db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	ck_assert_int_eq(store_init(env.dir, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "newer"));
	err[0] = '\0';
	ck_assert_ptr_null(store_open(env.base, env.dir, &options, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "99"));
	ck_assert_ptr_null(store_open_readonly(env.dir, err, sizeof(err)));
	test_teardown(&env);
}
END_TEST

START_TEST(test_group_commit)
{
	struct test_store env;
	struct store_stats stats;
	struct test_job *jobs;
	char err[512];

	test_setup(&env, 64);
	jobs = test_submit_many(&env, 500);
	ck_assert_uint_eq(store_in_flight(env.store), 500);
	test_run_until(&env, &env.done, 500);
	ck_assert_uint_eq(store_in_flight(env.store), 0);
	ck_assert_int_eq(env.batch_jobs, 500);
	ck_assert_int_lt(env.batches, 500);
	ck_assert_int_le(env.batch_largest, 64);
	for (int i = 0; i < 500; i++) {
		ck_assert_int_eq(jobs[i].result, 0);
		if (i > 0)
			ck_assert_int_eq(jobs[i].ticket_id,
			    jobs[i - 1].ticket_id + 1);
	}
	store_close(env.store);

	env.store = store_open_readonly(env.dir, err, sizeof(err));
	ck_assert_msg(env.store != NULL, "%s", err);
	ck_assert_int_eq(store_stats(env.store, &stats), 0);
	ck_assert_int_eq(stats.tickets, 500);
	ck_assert_int_eq(stats.citizens, 500);
	ck_assert_int_eq(stats.messages, 1000);
	ck_assert_int_eq(stats.schema_version, STORE_SCHEMA_VERSION);
	free(jobs);
	test_teardown(&env);
}
END_TEST

/* A job that keeps the store thread busy until released, so that the jobs
 * submitted meanwhile form one batch. */
struct test_gate {
	pthread_mutex_t lock;
	pthread_cond_t open_cond;
	bool open;
	bool entered;
};

static int
test_apply_gate(struct store_tx *tx, void *arg)
{
	struct test_gate *gate = arg;

	pthread_mutex_lock(&gate->lock);
	gate->entered = true;
	pthread_cond_broadcast(&gate->open_cond);
	while (!gate->open)
		pthread_cond_wait(&gate->open_cond, &gate->lock);
	pthread_mutex_unlock(&gate->lock);
	return 0;
}

static void
test_done_gate(int result, void *arg)
{
}

static void
test_gate_close(struct test_store *env, struct test_gate *gate,
    struct store_job *job)
{
	memset(gate, 0, sizeof(*gate));
	pthread_mutex_init(&gate->lock, NULL);
	pthread_cond_init(&gate->open_cond, NULL);
	*job = (struct store_job){ test_apply_gate, test_done_gate, gate, NULL };
	ck_assert_int_eq(store_submit(env->store, job), 0);
	pthread_mutex_lock(&gate->lock);
	while (!gate->entered)
		pthread_cond_wait(&gate->open_cond, &gate->lock);
	pthread_mutex_unlock(&gate->lock);
}

static void
test_gate_open(struct test_gate *gate)
{
	pthread_mutex_lock(&gate->lock);
	gate->open = true;
	pthread_cond_broadcast(&gate->open_cond);
	pthread_mutex_unlock(&gate->lock);
}

START_TEST(test_savepoint_isolation)
{
	struct test_store env;
	struct test_gate gate;
	struct store_job gate_job;
	struct test_job jobs[5];

	test_setup(&env, 64);
	memset(jobs, 0, sizeof(jobs));
	test_gate_close(&env, &gate, &gate_job);
	for (int i = 0; i < 5; i++) {
		jobs[i].fail = i == 2;
		test_submit(&env, &jobs[i], i);
	}
	test_gate_open(&gate);
	test_run_until(&env, &env.done, 5);

	ck_assert_int_eq(env.batches, 2);
	ck_assert_int_eq(env.batch_largest, 5);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(jobs[i].result, i == 2 ? -1 : 0);
	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(*) FROM tickets"), 4);
	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(*) FROM messages"), 8);
	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(*) FROM citizens WHERE name = 'citizen 2'"), 0);
	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(*) FROM citizens WHERE name = 'citizen 3'"), 1);
	test_teardown(&env);
}
END_TEST

START_TEST(test_completion_after_commit)
{
	struct test_store env;
	struct test_job *jobs;

	test_setup(&env, 8);
	jobs = test_submit_many(&env, 40);
	test_run_until(&env, &env.done, 40);
	for (int i = 0; i < 40; i++) {
		ck_assert(jobs[i].completed);
		ck_assert_msg(jobs[i].visible_at_done,
		    "job %d ran before its ticket was visible", i);
	}
	free(jobs);
	test_teardown(&env);
}
END_TEST

START_TEST(test_duplicate_external_id)
{
	struct test_store env;
	struct test_job jobs[2];
	int64_t ticket_id = 0, message_id = 0;

	test_setup(&env, 8);
	memset(jobs, 0, sizeof(jobs));
	jobs[0].external_id = "sms-4711";
	jobs[1].external_id = "sms-4711";
	test_submit(&env, &jobs[0], 0);
	test_submit(&env, &jobs[1], 1);
	test_run_until(&env, &env.done, 2);

	ck_assert_int_eq(jobs[0].result, 0);
	ck_assert_int_eq(jobs[1].result, 1);
	ck_assert_int_eq(test_count(env.db_path, "SELECT COUNT(*) FROM messages"
	    " WHERE external_id = 'sms-4711'"), 1);
	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(*) FROM tickets"), 1);
	ck_assert_int_eq(store_message_find_external(env.store, "web",
	    "sms-4711", &ticket_id, &message_id), 1);
	ck_assert_int_eq(ticket_id, jobs[0].ticket_id);
	ck_assert_int_eq(store_message_find_external(env.store, "sms",
	    "sms-4711", &ticket_id, &message_id), 0);
	test_teardown(&env);
}
END_TEST

START_TEST(test_ticket_codes)
{
	struct test_store env;
	struct test_job *jobs;
	uint64_t counter;

	test_setup(&env, 32);
	jobs = test_submit_many(&env, 200);
	test_run_until(&env, &env.done, 200);
	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(DISTINCT code) FROM tickets"), 200);
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(strlen(jobs[i].code), TICKET_CODE_DIGITS);
		ck_assert_int_eq(ticket_code_decode(store_code_key(env.store),
		    jobs[i].code, &counter), 0);
		ck_assert_uint_eq(counter, (uint64_t)jobs[i].ticket_id);
	}
	free(jobs);
	test_teardown(&env);
}
END_TEST

/* One job with its own apply, run to completion. */
struct test_step {
	struct store_job job;
	struct test_store *env;
	int result;
	int64_t ids[4];
	int64_t counts[2];
	int64_t now;
};

static void
test_step_done(int result, void *arg)
{
	struct test_step *step = arg;

	step->result = result;
	step->env->done++;
}

static int
test_step_run(struct test_store *env, struct test_step *step,
    int (*apply)(struct store_tx *, void *))
{
	int target = env->done + 1;

	step->job = (struct store_job){ apply, test_step_done, step, NULL };
	step->env = env;
	ck_assert_int_eq(store_submit(env->store, &step->job), 0);
	test_run_until(env, &env->done, target);
	return step->result;
}

static int
test_apply_verified_phone(struct store_tx *tx, void *arg)
{
	struct test_step *step = arg;

	if (store_tx_citizen_create(tx, NULL, NULL, &step->ids[0]) != 0)
		return -1;
	return store_tx_contact_add(tx, step->ids[0], CONTACT_PHONE,
	    "+84912345678", true, &step->ids[1]);
}

static int
test_apply_unverified_phone(struct store_tx *tx, void *arg)
{
	struct test_step *step = arg;

	if (store_tx_citizen_create(tx, NULL, NULL, &step->ids[0]) != 0)
		return -1;
	return store_tx_contact_add(tx, step->ids[0], CONTACT_PHONE,
	    "+84987654321", false, &step->ids[1]);
}

static int
test_apply_find_phone(struct store_tx *tx, void *arg)
{
	struct test_step *step = arg;

	return store_tx_contact_find_verified(tx, CONTACT_PHONE,
	    "+84912345678", &step->ids[1], &step->ids[0]);
}

START_TEST(test_verified_contact_unique)
{
	struct test_store env;
	struct test_step first = { 0 }, second = { 0 }, found = { 0 };
	struct test_step loose[2];

	memset(loose, 0, sizeof(loose));
	test_setup(&env, 8);
	ck_assert_int_eq(test_step_run(&env, &first,
	    test_apply_verified_phone), 0);
	ck_assert_int_eq(test_step_run(&env, &second,
	    test_apply_verified_phone), -1);
	ck_assert_int_eq(test_step_run(&env, &found, test_apply_find_phone), 1);
	ck_assert_int_eq(found.ids[0], first.ids[0]);
	ck_assert_int_eq(found.ids[1], first.ids[1]);
	ck_assert_int_eq(test_step_run(&env, &loose[0],
	    test_apply_unverified_phone), 0);
	ck_assert_int_eq(test_step_run(&env, &loose[1],
	    test_apply_unverified_phone), 0);
	ck_assert_int_eq(test_count(env.db_path, "SELECT COUNT(*) FROM contacts"
	    " WHERE value = '+84912345678'"), 1);
	ck_assert_int_eq(test_count(env.db_path, "SELECT COUNT(*) FROM contacts"
	    " WHERE value = '+84987654321'"), 2);
	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(*) FROM citizens"), 3);
	test_teardown(&env);
}
END_TEST

/* A ticket with a phone contact, an email contact added to it, three
 * messages (one an internal note) and an audit event. */
static int
test_apply_read_fixture(struct store_tx *tx, void *arg)
{
	struct test_step *step = arg;
	struct store_ticket_new ticket = { .channel = "web",
	    .subject = "Ngập nước", .address = "12 Lê Lợi", .language = "vi",
	    .has_location = true, .latitude = 10.3599, .longitude = 106.3653 };
	struct store_message_new message = { .direction = "in",
	    .kind = "message", .channel = "web", .body = "first" };
	int64_t email_id;

	if (store_tx_citizen_create(tx, "Nguyễn An", "vi",
	    &ticket.citizen_id) != 0 ||
	    store_tx_contact_add(tx, ticket.citizen_id, CONTACT_PHONE,
	    "+84912345678", true, &ticket.contact_id) != 0 ||
	    store_tx_ticket_create(tx, &ticket) != 0)
		return -1;
	step->ids[0] = ticket.id;
	message.ticket_id = ticket.id;
	if (store_tx_message_add(tx, &message) != 0)
		return -1;
	step->ids[1] = message.id;
	message.kind = "note";
	message.body = "internal";
	if (store_tx_message_add(tx, &message) != 0)
		return -1;
	message.kind = "reply";
	message.direction = "out";
	message.body = "third";
	if (store_tx_message_add(tx, &message) != 0)
		return -1;
	step->ids[2] = message.id;
	if (store_tx_contact_add(tx, ticket.citizen_id, CONTACT_EMAIL,
	    "An.Nguyen@example.vn", false, &email_id) != 0 ||
	    store_tx_ticket_add_contact(tx, ticket.id, email_id) != 0 ||
	    store_tx_audit_add(tx, ticket.id, "agent:7", "status", "new") != 0)
		return -1;
	step->now = store_tx_now(tx);
	return 0;
}

/* The expected ISO 8601 text of a time in Asia/Ho_Chi_Minh. */
static void
test_iso_time(int64_t milliseconds, char *out, size_t size)
{
	time_t seconds = (time_t)(milliseconds / 1000) + 7 * 3600;
	struct tm tm;

	gmtime_r(&seconds, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%S+07:00", &tm);
}

START_TEST(test_read_ticket_by_code)
{
	struct test_store env;
	struct test_step step = { 0 };
	struct store_ticket ticket;
	char code[TICKET_CODE_PLAIN_SIZE];

	test_setup(&env, 8);
	ck_assert_int_eq(test_step_run(&env, &step, test_apply_read_fixture),
	    0);
	ck_assert_int_eq(store_ticket_get(env.store, step.ids[0], &ticket), 1);
	memcpy(code, ticket.code, sizeof(code));
	store_ticket_clear(&ticket);

	ck_assert_int_eq(store_ticket_get_code(env.store, code, &ticket), 1);
	ck_assert_int_eq(ticket.id, step.ids[0]);
	ck_assert_str_eq(ticket.status, "new");
	ck_assert_str_eq(ticket.subject, "Ngập nước");
	ck_assert_str_eq(ticket.address, "12 Lê Lợi");
	ck_assert(ticket.has_location);
	ck_assert_double_eq_tol(ticket.latitude, 10.3599, 1e-9);
	ck_assert_ptr_null(ticket.category);
	ck_assert_int_eq(ticket.created_at, step.now);
	store_ticket_clear(&ticket);
	ck_assert_int_eq(store_ticket_get_code(env.store, "0000000000",
	    &ticket), 0);
	test_teardown(&env);
}
END_TEST

START_TEST(test_read_messages_json)
{
	struct test_store env;
	struct test_step step = { 0 };
	char expected[32];
	json_t *all, *public;

	test_setup(&env, 8);
	ck_assert_int_eq(test_step_run(&env, &step, test_apply_read_fixture),
	    0);
	all = store_ticket_messages_json(env.store, step.ids[0], true);
	public = store_ticket_messages_json(env.store, step.ids[0], false);
	ck_assert_ptr_nonnull(all);
	ck_assert_ptr_nonnull(public);
	ck_assert_uint_eq(json_array_size(all), 3);
	ck_assert_uint_eq(json_array_size(public), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(all, 1), "kind")), "note");
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(public, 0), "id")), step.ids[1]);
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(public, 1), "id")), step.ids[2]);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(public, 1), "body")), "third");
	test_iso_time(step.now, expected, sizeof(expected));
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(public, 0), "created_at")), expected);
	json_decref(all);
	json_decref(public);
	test_teardown(&env);
}
END_TEST

START_TEST(test_read_ticket_json)
{
	struct test_store env;
	struct test_step step = { 0 };
	struct store_ticket_filter filter = { .status = "new", .limit = 10 };
	char grouped[TICKET_CODE_GROUPED_SIZE];
	json_t *list, *detail, *record;

	test_setup(&env, 8);
	ck_assert_int_eq(test_step_run(&env, &step, test_apply_read_fixture),
	    0);
	list = store_tickets_json(env.store, &filter);
	ck_assert_ptr_nonnull(list);
	ck_assert_uint_eq(json_array_size(list), 1);
	record = json_array_get(list, 0);
	ticket_code_group(json_string_value(json_object_get(record, "code")),
	    grouped);
	ck_assert_str_eq(json_string_value(json_object_get(record,
	    "code_display")), grouped);
	ck_assert_str_eq(json_string_value(json_object_get(record, "status")),
	    "new");
	ck_assert_double_eq_tol(json_real_value(json_object_get(
	    json_object_get(record, "location"), "lat")), 10.3599, 1e-9);
	ck_assert(json_is_null(json_object_get(record, "due_at")));
	ck_assert_uint_eq(json_array_size(json_object_get(record,
	    "contacts")), 2);
	json_decref(list);

	filter.status = "closed";
	list = store_tickets_json(env.store, &filter);
	ck_assert_ptr_nonnull(list);
	ck_assert_uint_eq(json_array_size(list), 0);
	json_decref(list);

	filter.status = NULL;
	filter.channel = "web";
	list = store_tickets_json(env.store, &filter);
	ck_assert_ptr_nonnull(list);
	ck_assert_uint_eq(json_array_size(list), 1);
	json_decref(list);

	filter.channel = "sms";
	list = store_tickets_json(env.store, &filter);
	ck_assert_ptr_nonnull(list);
	ck_assert_uint_eq(json_array_size(list), 0);
	json_decref(list);

	filter.channel = NULL;
	filter.before_id = step.ids[0];
	list = store_tickets_json(env.store, &filter);
	ck_assert_ptr_nonnull(list);
	ck_assert_uint_eq(json_array_size(list), 0);
	json_decref(list);

	detail = store_ticket_detail_json(env.store, step.ids[0]);
	ck_assert_ptr_nonnull(detail);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    detail, "citizen"), "name")), "Nguyễn An");
	ck_assert_uint_eq(json_array_size(json_object_get(detail,
	    "messages")), 3);
	ck_assert_uint_eq(json_array_size(json_object_get(detail,
	    "audit_events")), 1);
	json_decref(detail);
	ck_assert_ptr_null(store_ticket_detail_json(env.store, 999));
	test_teardown(&env);
}
END_TEST

START_TEST(test_read_second_factors)
{
	struct test_store env;
	struct test_step step = { 0 };
	int64_t id;

	test_setup(&env, 8);
	ck_assert_int_eq(test_step_run(&env, &step, test_apply_read_fixture),
	    0);
	id = step.ids[0];
	ck_assert_int_eq(store_ticket_phone_suffix_matches(env.store, id,
	    "5678"), 1);
	ck_assert_int_eq(store_ticket_phone_suffix_matches(env.store, id,
	    "912345678"), 1);
	ck_assert_int_eq(store_ticket_phone_suffix_matches(env.store, id,
	    "5679"), 0);
	ck_assert_int_eq(store_ticket_phone_suffix_matches(env.store, id,
	    "678"), 0);
	ck_assert_int_eq(store_ticket_phone_suffix_matches(env.store, id,
	    "56a8"), 0);
	ck_assert_int_eq(store_ticket_phone_suffix_matches(env.store, id + 1,
	    "5678"), 0);
	ck_assert_int_eq(store_ticket_email_matches(env.store, id,
	    "An.Nguyen@EXAMPLE.vn"), 1);
	ck_assert_int_eq(store_ticket_email_matches(env.store, id,
	    "an.nguyen@example.vn"), 1);
	ck_assert_int_eq(store_ticket_email_matches(env.store, id,
	    "an.nguyen2@example.vn"), 0);
	ck_assert_int_eq(store_ticket_email_matches(env.store, id,
	    "An.Nguyen@example.com"), 0);
	ck_assert_int_eq(store_ticket_email_matches(env.store, id, ""), 0);
	test_teardown(&env);
}
END_TEST

static int
test_apply_prune_fixture(struct store_tx *tx, void *arg)
{
	struct test_step *step = arg;
	uint8_t hash[32] = { 1, 2, 3 };

	step->now = store_tx_now(tx);
	for (int i = 0; i < 3; i++) {
		if (store_tx_outbox_add(tx, "ticket.created", 0, "{}") != 0)
			return -1;
	}
	if (store_tx_idempotency_add(tx, "POST /tickets", "key-1", hash, 1,
	    1) != 0 ||
	    store_tx_idempotency_add(tx, "POST /tickets", "key-2", hash, 2,
	    2) != 0)
		return -1;
	return 0;
}

static int
test_apply_prune(struct store_tx *tx, void *arg)
{
	struct test_step *step = arg;

	return store_tx_prune(tx, step->ids[0], step->ids[1],
	    &step->counts[0], &step->counts[1]);
}

START_TEST(test_prune)
{
	struct test_store env;
	struct test_step fixture = { 0 }, keep = { 0 }, drop = { 0 };
	uint8_t hash[32];
	int64_t ticket_id, message_id, depth;

	test_setup(&env, 8);
	ck_assert_int_eq(test_step_run(&env, &fixture,
	    test_apply_prune_fixture), 0);
	ck_assert_int_eq(store_outbox_depth(env.store, &depth), 0);
	ck_assert_int_eq(depth, 3);
	ck_assert_int_eq(store_idempotency_find(env.store, "POST /tickets",
	    "key-2", fixture.now, hash, &ticket_id, &message_id), 1);
	ck_assert_int_eq(ticket_id, 2);
	ck_assert_int_eq(hash[2], 3);
	ck_assert_int_eq(store_idempotency_find(env.store, "POST /tickets",
	    "key-2", fixture.now + 1, hash, &ticket_id, &message_id), 0);

	keep.ids[0] = keep.ids[1] = fixture.now;
	ck_assert_int_eq(test_step_run(&env, &keep, test_apply_prune), 0);
	ck_assert_int_eq(keep.counts[0], 0);
	ck_assert_int_eq(keep.counts[1], 0);

	drop.ids[0] = drop.ids[1] = fixture.now + 1;
	ck_assert_int_eq(test_step_run(&env, &drop, test_apply_prune), 0);
	ck_assert_int_eq(drop.counts[0], 3);
	ck_assert_int_eq(drop.counts[1], 2);
	ck_assert_int_eq(store_outbox_depth(env.store, &depth), 0);
	ck_assert_int_eq(depth, 0);
	test_teardown(&env);
}
END_TEST

struct test_backup {
	pthread_t thread;
	const char *data_dir;
	char path[128];
	int rc;
	int progress_calls;
	char err[512];
};

/* Slows the copy down, so that the store thread commits while it runs. */
static void
test_backup_progress(int remaining, int total, void *arg)
{
	struct timespec pause = { 0, 10000000 };
	struct test_backup *backup = arg;

	ck_assert_int_ge(total, remaining);
	backup->progress_calls++;
	nanosleep(&pause, NULL);
}

static void *
test_backup_main(void *arg)
{
	struct test_backup *backup = arg;

	backup->rc = store_backup(backup->data_dir, backup->path,
	    test_backup_progress, backup, backup->err, sizeof(backup->err));
	return NULL;
}

/* Checks that the restored database contains whole jobs only: N tickets with
 * ids 1..N, each with its citizen and both messages. */
static void
test_check_restored(const char *dir, const uint8_t *code_key)
{
	struct store_stats stats;
	struct store *store;
	char path[160], err[512];

	store = store_open_readonly(dir, err, sizeof(err));
	ck_assert_msg(store != NULL, "%s", err);
	ck_assert_int_eq(store_stats(store, &stats), 0);
	ck_assert_int_ge(stats.tickets, 400);
	ck_assert_int_le(stats.tickets, 2000);
	ck_assert_int_eq(stats.citizens, stats.tickets);
	ck_assert_int_eq(stats.messages, 2 * stats.tickets);
	/* A restore renews the code key; see test_restore_new_codes. */
	ck_assert(memcmp(store_code_key(store), code_key, STORE_KEY_BYTES) != 0);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_FILE);
	ck_assert_int_eq(test_count(path, "SELECT MAX(id) FROM tickets"),
	    stats.tickets);
	ck_assert_int_eq(test_count(path, "SELECT COUNT(*) FROM tickets t"
	    " WHERE (SELECT COUNT(*) FROM messages m"
	    " WHERE m.ticket_id = t.id) <> 2"), 0);
	store_close(store);
}

START_TEST(test_backup_while_writing)
{
	struct test_store env;
	struct test_backup backup = { 0 };
	struct test_job *jobs;
	uint8_t code_key[STORE_KEY_BYTES];
	char fresh[64], data[96], err[512];

	test_setup(&env, 16);
	memcpy(code_key, store_code_key(env.store), sizeof(code_key));
	backup.data_dir = env.dir;
	/* Beside the data directory: a backup inside it is refused. */
	snprintf(backup.path, sizeof(backup.path), "%s.backup.db", env.dir);
	jobs = calloc(2000, sizeof(*jobs));
	ck_assert_ptr_nonnull(jobs);
	for (int i = 0; i < 400; i++)
		test_submit(&env, &jobs[i], i);
	test_run_until(&env, &env.done, 400);

	/* The other 1,600 jobs commit while the backup copies. */
	ck_assert_int_eq(pthread_create(&backup.thread, NULL,
	    test_backup_main, &backup), 0);
	for (int i = 400; i < 2000; i++)
		test_submit(&env, &jobs[i], i);
	test_run_until(&env, &env.done, 2000);
	pthread_join(backup.thread, NULL);
	ck_assert_msg(backup.rc == 0, "store_backup: %s", backup.err);
	ck_assert_int_gt(backup.progress_calls, 0);

	snprintf(fresh, sizeof(fresh), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fresh));
	snprintf(data, sizeof(data), "%s/data/hub", fresh);
	ck_assert_msg(store_restore(data, backup.path, NULL, NULL, err,
	    sizeof(err)) == 0, "store_restore: %s", err);
	test_check_restored(data, code_key);
	unlink(backup.path);
	free(jobs);
	test_remove_tree(fresh);
	test_teardown(&env);
}
END_TEST

/* Tickets made after a backup are lost by its restore; the tickets made
 * after the restore must not get their codes, or a lost ticket's link would
 * open a stranger's ticket. */
START_TEST(test_restore_new_codes)
{
	struct test_store env, restored = { 0 };
	struct test_job before[3] = { 0 }, lost[3] = { 0 }, after[3] = { 0 };
	uint8_t token_key[STORE_KEY_BYTES];
	char backup_path[128], err[512];

	test_setup(&env, 16);
	memcpy(token_key, store_token_key(env.store), sizeof(token_key));
	for (int i = 0; i < 3; i++)
		test_submit(&env, &before[i], i);
	test_run_until(&env, &env.done, 3);
	snprintf(backup_path, sizeof(backup_path), "%s.backup.db", env.dir);
	ck_assert_msg(store_backup(env.dir, backup_path, NULL, NULL, err,
	    sizeof(err)) == 0, "store_backup: %s", err);
	for (int i = 0; i < 3; i++)
		test_submit(&env, &lost[i], 3 + i);
	test_run_until(&env, &env.done, 6);

	snprintf(restored.dir, sizeof(restored.dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(restored.dir));
	ck_assert_msg(store_restore(restored.dir, backup_path, NULL, NULL, err,
	    sizeof(err)) == 0, "store_restore: %s", err);
	snprintf(restored.db_path, sizeof(restored.db_path), "%s/%s",
	    restored.dir, STORE_DB_FILE);
	restored.base = event_base_new();
	test_open(&restored, 16);
	ck_assert_mem_eq(store_token_key(restored.store), token_key,
	    STORE_KEY_BYTES);
	for (int i = 0; i < 3; i++)
		test_submit(&restored, &after[i], 3 + i);
	test_run_until(&restored, &restored.done, 3);

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(after[i].ticket_id, lost[i].ticket_id);
		for (int j = 0; j < 3; j++) {
			ck_assert_str_ne(after[i].code, lost[j].code);
			ck_assert_str_ne(after[i].code, before[j].code);
		}
	}
	test_teardown(&restored);
	test_teardown(&env);
	unlink(backup_path);
}
END_TEST

START_TEST(test_backup_refuses_data_directory)
{
	struct test_store env;
	char path[160], err[512];

	test_setup(&env, 16);
	ck_assert_int_eq(store_backup(env.dir, env.db_path, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "inside the data directory") != NULL,
	    "%s", err);
	snprintf(path, sizeof(path), "%s/./sub/../copy.db", env.dir);
	ck_assert_int_eq(store_backup(env.dir, path, NULL, NULL, err,
	    sizeof(err)), -1);
	snprintf(path, sizeof(path), "%s/missing-folder/copy.db", env.dir);
	ck_assert_int_eq(store_backup(env.dir, path, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(test_count(env.db_path, "SELECT COUNT(*) FROM meta"),
	    3);
	test_teardown(&env);
}
END_TEST

static void
test_write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");

	ck_assert_ptr_nonnull(file);
	fputs(text, file);
	fclose(file);
}

static void
test_create_database(const char *path, const char *sql)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

START_TEST(test_restore_refuses)
{
	struct test_store env;
	struct test_job *jobs;
	char path[128], err[512];

	test_setup(&env, 8);
	jobs = test_submit_many(&env, 3);
	test_run_until(&env, &env.done, 3);
	store_close(env.store);
	env.store = NULL;

	snprintf(path, sizeof(path), "%s/notes.txt", env.dir);
	test_write_file(path, "SQLite is a library, this is a text file.\n");
	ck_assert_int_eq(store_restore(env.dir, path, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a SQLite database"));

	snprintf(path, sizeof(path), "%s/other.db", env.dir);
	test_create_database(path, "CREATE TABLE meta (key, value);"
	    " INSERT INTO meta VALUES ('code_key', 'short');"
	    " PRAGMA user_version = 1");
	ck_assert_int_eq(store_restore(env.dir, path, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "code_key"));

	snprintf(path, sizeof(path), "%s/empty.db", env.dir);
	test_create_database(path, "CREATE TABLE notes (text)");
	ck_assert_int_eq(store_restore(env.dir, path, NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a Citizen Hub database"));

	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(*) FROM tickets"), 3);
	free(jobs);
	test_teardown(&env);
}
END_TEST

START_TEST(test_readonly_refuses_writes)
{
	struct test_store env;
	struct test_job job = { 0 };
	struct store *readonly;
	char err[512];

	test_setup(&env, 8);
	readonly = store_open_readonly(env.dir, err, sizeof(err));
	ck_assert_msg(readonly != NULL, "%s", err);
	job.job.apply = test_apply_ticket;
	job.job.done = test_done;
	job.job.arg = &job;
	ck_assert_int_eq(store_submit(readonly, &job.job), -1);
	ck_assert_uint_eq(store_in_flight(readonly), 0);
	store_close(readonly);
	test_teardown(&env);
}
END_TEST

START_TEST(test_datadir_lock)
{
	char dir[64], nested[96], err[512] = "", restore_err[512];
	long pid = 0;
	int fd, second;

	snprintf(dir, sizeof(dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(nested, sizeof(nested), "%s/a/b", dir);
	ck_assert_int_eq(datadir_prepare(nested, err, sizeof(err)), 0);
	ck_assert_int_eq(access(nested, W_OK), 0);
	ck_assert(!datadir_locked(nested, &pid));

	fd = datadir_lock(nested, err, sizeof(err));
	ck_assert_msg(fd >= 0, "%s", err);
	second = datadir_lock(nested, err, sizeof(err));
	ck_assert_int_eq(second, -1);
	ck_assert_ptr_nonnull(strstr(err, "in use"));
	ck_assert(datadir_locked(nested, &pid));
	ck_assert_int_eq(pid, (long)getpid());
	ck_assert_int_eq(store_restore(nested, "/nonexistent.db", NULL, NULL,
	    restore_err, sizeof(restore_err)), -1);
	ck_assert_ptr_nonnull(strstr(restore_err, "stop citizenhubd"));

	close(fd);
	ck_assert(!datadir_locked(nested, &pid));
	fd = datadir_lock(nested, err, sizeof(err));
	ck_assert_int_ge(fd, 0);
	close(fd);
	test_remove_tree(dir);
}
END_TEST

START_TEST(test_datadir_path_bounds)
{
	char out[16];

	ck_assert_int_eq(datadir_path("/var/hub", "x.db", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/var/hub/x.db");
	ck_assert_int_eq(datadir_path("/var/hub/", "x.db", out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "/var/hub/x.db");
	ck_assert_int_eq(datadir_path("/var/hub", "long-name.db", out,
	    sizeof(out)), -1);
}
END_TEST

/* --- Search ----------------------------------------------------------- */

#define TEST_SEARCH_CASES TEST_CASES_DIR "/text/search-folding.tsv"
#define TEST_SEARCH_LINE_MAX 1024
#define TEST_SEARCH_ROWS_MAX 128

/* A ticket written for the search tests: any of subject, body and note may
 * be NULL. */
struct test_search_ticket {
	struct store_job job;
	struct test_store *env;
	const char *channel;
	const char *subject;
	const char *body;	/* a citizen's message */
	const char *note;	/* an internal note */
	int result;
	int64_t id;
};

static int
test_search_apply(struct store_tx *tx, void *arg)
{
	struct test_search_ticket *entry = arg;
	struct store_ticket_new ticket = { .channel = entry->channel != NULL ?
	    entry->channel : "web", .subject = entry->subject,
	    .language = "vi" };
	struct store_message_new message = { .direction = "in",
	    .kind = "message", .channel = ticket.channel };

	if (store_tx_ticket_create(tx, &ticket) != 0)
		return -1;
	entry->id = ticket.id;
	message.ticket_id = ticket.id;
	message.body = entry->body;
	if (entry->body != NULL && store_tx_message_add(tx, &message) != 0)
		return -1;
	message.kind = "note";
	message.body = entry->note;
	if (entry->note != NULL && store_tx_message_add(tx, &message) != 0)
		return -1;
	return 0;
}

static void
test_search_done(int result, void *arg)
{
	struct test_search_ticket *entry = arg;

	entry->result = result;
	entry->env->done++;
}

/* Writes the tickets in one batch and waits for their commit. */
static void
test_search_write(struct test_store *env, struct test_search_ticket *tickets,
    size_t count)
{
	int target = env->done + (int)count;

	for (size_t i = 0; i < count; i++) {
		tickets[i].job = (struct store_job){ test_search_apply,
		    test_search_done, &tickets[i], NULL };
		tickets[i].env = env;
		ck_assert_int_eq(store_submit(env->store, &tickets[i].job), 0);
	}
	test_run_until(env, &env->done, target);
	for (size_t i = 0; i < count; i++)
		ck_assert_int_eq(tickets[i].result, 0);
}

/* Ids of the tickets that filter lists, newest first, as a JSON array. */
static json_t *
test_search_ids(struct test_store *env, const char *query,
    const struct store_ticket_filter *base)
{
	struct store_ticket_filter filter = { .limit = STORE_TICKETS_LIMIT_MAX };
	json_t *tickets, *ids, *ticket;
	size_t index;

	if (base != NULL)
		filter = *base;
	filter.search = query;
	tickets = store_tickets_json(env->store, &filter);
	ck_assert_msg(tickets != NULL, "search \"%s\" failed", query);
	ids = json_array();
	json_array_foreach(tickets, index, ticket)
		json_array_append(ids, json_object_get(ticket, "id"));
	json_decref(tickets);
	return ids;
}

static bool
test_search_found(struct test_store *env, const char *query, int64_t id)
{
	json_t *ids = test_search_ids(env, query, NULL);
	json_t *value;
	size_t index;
	bool found = false;

	json_array_foreach(ids, index, value)
		found = found || json_integer_value(value) == id;
	json_decref(ids);
	return found;
}

/* One row of search-folding.tsv: its query and document in NFC and NFD,
 * and the four tickets that carry the document (subject and message body,
 * each in both forms). */
struct test_search_row {
	int line;
	bool match;
	char *query[2];
	char *document[2];
	struct test_search_ticket tickets[4];
};

static int
test_search_read_rows(struct test_search_row *rows)
{
	FILE *file = fopen(TEST_SEARCH_CASES, "r");
	char line[TEST_SEARCH_LINE_MAX];
	int number = 0, count = 0;

	ck_assert_msg(file != NULL, "cannot open %s", TEST_SEARCH_CASES);
	while (fgets(line, sizeof(line), file) != NULL) {
		char *query, *document, *expected, *rest = line;
		struct test_search_row *row = &rows[count];

		number++;
		line[strcspn(line, "\r\n")] = '\0';
		if (number == 1 || line[0] == '\0')
			continue;
		query = strsep(&rest, "\t");
		document = strsep(&rest, "\t");
		expected = strsep(&rest, "\t");
		ck_assert_msg(expected != NULL && rest == NULL,
		    "line %d: expected three tab-separated fields", number);
		ck_assert_msg(strcmp(expected, "match") == 0 ||
		    strcmp(expected, "no match") == 0,
		    "line %d: unknown expectation \"%s\"", number, expected);
		ck_assert_int_lt(count, TEST_SEARCH_ROWS_MAX);
		row->line = number;
		row->match = strcmp(expected, "match") == 0;
		row->query[0] = strdup(query);
		row->query[1] = check_nfd(query);
		row->document[0] = strdup(document);
		row->document[1] = check_nfd(document);
		count++;
	}
	fclose(file);
	return count;
}

static void
test_search_check_row(struct test_store *env, struct test_search_row *row)
{
	static const char *const forms[] = { "NFC", "NFD" };
	static const char *const places[] = { "subject", "message" };

	for (int q = 0; q < 2; q++) {
		for (int t = 0; t < 4; t++) {
			bool found = test_search_found(env, row->query[q],
			    row->tickets[t].id);

			ck_assert_msg(found == row->match, "line %d: query \"%s\""
			    " (%s) on the %s \"%s\" (%s): expected %s", row->line,
			    row->query[q], forms[q], places[t / 2],
			    row->document[t % 2], forms[t % 2],
			    row->match ? "match" : "no match");
		}
	}
}

START_TEST(test_search_folding_cases)
{
	struct test_search_row *rows = calloc(TEST_SEARCH_ROWS_MAX,
	    sizeof(*rows));
	struct test_store env;
	int count;

	ck_assert_ptr_nonnull(rows);
	count = test_search_read_rows(rows);
	ck_assert_int_gt(count, 10);
	test_setup(&env, 64);
	for (int i = 0; i < count; i++) {
		for (int t = 0; t < 4; t++) {
			if (t < 2)
				rows[i].tickets[t].subject = rows[i].document[t];
			else
				rows[i].tickets[t].body = rows[i].document[t - 2];
		}
		test_search_write(&env, rows[i].tickets, 4);
	}
	for (int i = 0; i < count; i++)
		test_search_check_row(&env, &rows[i]);
	for (int i = 0; i < count; i++) {
		free(rows[i].query[0]);
		free(rows[i].query[1]);
		free(rows[i].document[0]);
		free(rows[i].document[1]);
	}
	free(rows);
	test_teardown(&env);
}
END_TEST

/* Asserts that query finds exactly the tickets of expected (a JSON array of
 * ids, newest first). */
static void
test_search_expect(struct test_store *env, const char *query,
    const char *expected)
{
	json_t *ids = test_search_ids(env, query, NULL);
	char *got = json_dumps(ids, JSON_COMPACT);

	ck_assert_msg(strcmp(got, expected) == 0, "search \"%s\": expected %s,"
	    " got %s", query, expected, got);
	free(got);
	json_decref(ids);
}

START_TEST(test_search_rules)
{
	struct test_search_ticket tickets[] = {
		{ .subject = "Đèn đường hỏng", .body = "Trước nhà số 5",
		  .note = "bí mật nội bộ" },
		{ .body = "Rác thải chưa thu gom" },
	};
	struct test_store env;
	char one[32], two[32];

	test_setup(&env, 8);
	test_search_write(&env, tickets, 2);
	snprintf(one, sizeof(one), "[%lld]", (long long)tickets[0].id);
	snprintf(two, sizeof(two), "[%lld]", (long long)tickets[1].id);

	test_search_expect(&env, "den nha", one);
	test_search_expect(&env, "ĐÈN   số", one);
	test_search_expect(&env, "den rac", "[]");
	test_search_expect(&env, "bi mat", "[]");
	test_search_expect(&env, "duo", "[]");
	test_search_expect(&env, "", "[]");
	test_search_expect(&env, " !? \"\" ", "[]");
	test_search_expect(&env, "\"rac\"", two);
	test_search_expect(&env, "rac*", two);
	test_search_expect(&env, "ra*", "[]");
	test_search_expect(&env, "den -duong", one);
	test_search_expect(&env, "den NOT duong", "[]");
	test_search_expect(&env, "den OR rac", "[]");
	test_search_expect(&env, "NEAR(den duong)", "[]");
	test_search_expect(&env, "text:rac", "[]");
	test_search_expect(&env, "ticket_id:rac", "[]");
	test_search_expect(&env, "rac\" OR \"den", "[]");
	test_search_expect(&env, "^rac", two);
	test_search_expect(&env, "(rac)", two);
	test_teardown(&env);
}
END_TEST

START_TEST(test_search_filters_and_paging)
{
	struct test_search_ticket tickets[] = {
		{ .body = "Ngập nước đầu hẻm" },
		{ .body = "Ngập nước", .channel = "zalo" },
		{ .body = "Cây đổ" },
		{ .body = "Đường ngập nước" },
		{ .subject = "ngập nước" },
	};
	struct store_ticket_filter filter = { .limit = 2 };
	struct test_store env;
	char expected[96], *got;
	json_t *ids;

	test_setup(&env, 8);
	test_search_write(&env, tickets, 5);

	ids = test_search_ids(&env, "ngap nuoc", &filter);
	got = json_dumps(ids, JSON_COMPACT);
	snprintf(expected, sizeof(expected), "[%lld,%lld]",
	    (long long)tickets[4].id, (long long)tickets[3].id);
	ck_assert_str_eq(got, expected);
	free(got);
	json_decref(ids);

	filter.before_id = tickets[3].id;
	ids = test_search_ids(&env, "ngap nuoc", &filter);
	got = json_dumps(ids, JSON_COMPACT);
	snprintf(expected, sizeof(expected), "[%lld,%lld]",
	    (long long)tickets[1].id, (long long)tickets[0].id);
	ck_assert_str_eq(got, expected);
	free(got);
	json_decref(ids);

	filter = (struct store_ticket_filter){ .channel = "zalo", .limit = 10 };
	ids = test_search_ids(&env, "ngap", &filter);
	ck_assert_int_eq(json_array_size(ids), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(ids, 0)),
	    tickets[1].id);
	json_decref(ids);

	filter = (struct store_ticket_filter){ .status = "closed", .limit = 10 };
	ids = test_search_ids(&env, "ngap", &filter);
	ck_assert_int_eq(json_array_size(ids), 0);
	json_decref(ids);
	filter.status = "new";
	ids = test_search_ids(&env, "ngap", &filter);
	ck_assert_int_eq(json_array_size(ids), 4);
	json_decref(ids);
	test_teardown(&env);
}
END_TEST

/* A database of schema version 1 has no search table: migration 2 creates
 * it and must index what the database already holds. */
START_TEST(test_search_migration_indexes_existing)
{
	struct test_search_ticket tickets[] = {
		{ .subject = "Đèn đường hỏng", .body = "Trước nhà số 5",
		  .note = "bí mật nội bộ" },
		{ .body = "Rác thải chưa thu gom" },
	};
	struct test_store env;
	char err[512];
	sqlite3 *db;

	test_setup(&env, 8);
	test_search_write(&env, tickets, 2);
	store_close(env.store);
	ck_assert_int_eq(sqlite3_open(env.db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE ticket_search;"
	    "CREATE VIRTUAL TABLE ticket_search USING fts5(ticket_id UNINDEXED,"
	    " text, tokenize = 'unicode61 remove_diacritics 2',"
	    " detail = none, columnsize = 0);", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_search_index_existing(db), 0);
	sqlite3_close(db);

	ck_assert_int_eq(store_init(env.dir, err, sizeof(err)), 0);
	test_open(&env, 8);
	ck_assert_int_eq(test_count(env.db_path,
	    "SELECT COUNT(*) FROM ticket_search"), 3);
	ck_assert(test_search_found(&env, "DUONG", tickets[0].id));
	ck_assert(test_search_found(&env, "so 5", tickets[0].id));
	ck_assert(test_search_found(&env, "rác", tickets[1].id));
	ck_assert(!test_search_found(&env, "noi bo", tickets[0].id));
	test_teardown(&env);
}
END_TEST

Suite *
store_suite(void)
{
	Suite *suite = suite_create("store");
	TCase *schema = tcase_create("schema");
	TCase *writer = tcase_create("writer");
	TCase *read = tcase_create("read");
	TCase *backup = tcase_create("backup");
	TCase *datadir = tcase_create("datadir");
	TCase *search = tcase_create("search");

	tcase_add_test(schema, test_migrations);
	tcase_add_test(schema, test_migrations_newer_refused);
	tcase_add_test(writer, test_group_commit);
	tcase_add_test(writer, test_savepoint_isolation);
	tcase_add_test(writer, test_completion_after_commit);
	tcase_add_test(writer, test_duplicate_external_id);
	tcase_add_test(writer, test_ticket_codes);
	tcase_add_test(writer, test_verified_contact_unique);
	tcase_add_test(writer, test_readonly_refuses_writes);
	tcase_add_test(read, test_read_ticket_by_code);
	tcase_add_test(read, test_read_messages_json);
	tcase_add_test(read, test_read_ticket_json);
	tcase_add_test(read, test_read_second_factors);
	tcase_add_test(read, test_prune);
	tcase_add_test(backup, test_backup_while_writing);
	tcase_add_test(backup, test_restore_new_codes);
	tcase_add_test(backup, test_backup_refuses_data_directory);
	tcase_add_test(backup, test_restore_refuses);
	tcase_add_test(datadir, test_datadir_lock);
	tcase_add_test(datadir, test_datadir_path_bounds);
	tcase_add_test(search, test_search_folding_cases);
	tcase_add_test(search, test_search_rules);
	tcase_add_test(search, test_search_filters_and_paging);
	tcase_add_test(search, test_search_migration_indexes_existing);
	tcase_set_timeout(search, 60);
	tcase_set_timeout(writer, 60);
	tcase_set_timeout(backup, 60);
	suite_add_tcase(suite, schema);
	suite_add_tcase(suite, writer);
	suite_add_tcase(suite, read);
	suite_add_tcase(suite, backup);
	suite_add_tcase(suite, datadir);
	suite_add_tcase(suite, search);
	return suite;
}
