/*
 * Unit tests of replies: the send queue's backoff and state changes with
 * fake channel modules, the notices of status changes, the messages of the
 * status page, and satisfaction ratings with their statistics. Rows are
 * made with store jobs, as the daemon makes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>
#include <sqlite3.h>

#include "channel.h"
#include "check_loop.h"
#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "events.h"
#include "metrics.h"
#include "module.h"
#include "notice.h"
#include "sendq.h"
#include "store.h"
#include "store_replies.h"
#include "store_sendq.h"
#include "store_sqlite.h"
#include "template.h"
#include "ticket_code.h"

#define WAIT_MS 3000

/* --- Fake channel modules ------------------------------------------------- */

enum fake_mode {
	FAKE_OK,		/* delivered at once */
	FAKE_FAIL_THEN_OK,	/* fails for now fail_count times, then ok */
	FAKE_FAIL_ALWAYS,	/* fails for now every time */
	FAKE_FAIL_FOR_GOOD,	/* fails for good */
	FAKE_REFUSE,		/* send returns -1 */
	FAKE_SILENT,		/* never reports; the test does it */
};

struct fake {
	enum fake_mode mode;
	int fail_count;
	int calls;
	int64_t last_message;
	char last_text[2048];
	char last_to[128];
	bool last_automatic;
};

static struct fake fake_state;
static struct hub_channel fake_channel;

static int
fake_send(void *state, const struct hub_outbound *out, hub_send_done_fn done)
{
	struct fake *fake = state;

	fake->calls++;
	fake->last_message = out->message_id;
	fake->last_automatic = out->automatic;
	snprintf(fake->last_text, sizeof fake->last_text, "%s", out->text);
	snprintf(fake->last_to, sizeof fake->last_to, "%s",
	    out->to != NULL ? out->to : "");
	switch (fake->mode) {
	case FAKE_OK:
		done(&fake_channel, out->message_id, 0, "accepted");
		break;
	case FAKE_FAIL_THEN_OK:
		if (fake->calls <= fake->fail_count)
			done(&fake_channel, out->message_id, 1, "peer busy");
		else
			done(&fake_channel, out->message_id, 0, NULL);
		break;
	case FAKE_FAIL_ALWAYS:
		done(&fake_channel, out->message_id, 1, "peer busy");
		break;
	case FAKE_FAIL_FOR_GOOD:
		done(&fake_channel, out->message_id, -1, "mailbox unknown");
		break;
	case FAKE_REFUSE:
		return -1;
	case FAKE_SILENT:
		break;
	}
	return 0;
}

static struct hub_channel_module fake_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "fake",
	.capabilities = HUB_CHANNEL_INBOUND | HUB_CHANNEL_OUTBOUND,
	.send = fake_send,
};

/* A module that only receives. */
static const struct hub_channel_module inbound_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "inbound",
	.capabilities = HUB_CHANNEL_INBOUND,
};

static struct hub_channel inbound_channel;

/* Set: the fake channel is loaded as "sms" (its name must say so too). */
static bool fake_is_sms;

/* --- Fixture ---------------------------------------------------------------- */

struct fixture {
	char dir[64];
	struct event_base *base;
	struct store *store;
	struct templates *templates;
	struct events *events;
	struct metrics *metrics;
	struct hub_config config;
	struct hub_host host;
	struct sendq *sendq;
	struct notices *notices;
	struct sendq_options options;
	struct replies_context context;
	/* message.delivery events, in order */
	char deliveries[16][16];
	int delivery_count;
	int queued_events;
};

static struct fixture fx;
static char *notice_statuses[] = { "in_progress", "resolved", NULL };

static struct hub_channel *
find_channel(const char *name, void *arg)
{
	if (strcmp(name, "fake") == 0)
		return &fake_channel;
	if (strcmp(name, "inbound") == 0)
		return &inbound_channel;
	if (fake_is_sms && strcmp(name, "sms") == 0)
		return &fake_channel;
	return NULL;
}

static void
on_event(const char *event, const json_t *payload, void *arg)
{
	const char *status;

	if (strcmp(event, "message.queued") == 0)
		fx.queued_events++;
	if (strcmp(event, "message.delivery") != 0 || fx.delivery_count == 16)
		return;
	status = json_string_value(json_object_get(payload,
	    "delivery_status"));
	snprintf(fx.deliveries[fx.delivery_count++], 16, "%s",
	    status != NULL ? status : "?");
}

static void
setup(void)
{
	struct store_options options = { .batch_max = 64,
	    .busy_timeout_ms = 1000 };
	char err[256];

	ck_assert_int_ge(sodium_init(), 0);
	memset(&fx, 0, sizeof fx);
	memset(&fake_state, 0, sizeof fake_state);
	fake_module.capabilities = HUB_CHANNEL_INBOUND | HUB_CHANNEL_OUTBOUND;
	strcpy(fx.dir, "/tmp/check-sendq-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	fx.base = event_base_new();
	fx.store = store_open(fx.base, fx.dir, &options, err, sizeof err);
	ck_assert_msg(fx.store != NULL, "store: %s", err);
	fx.templates = templates_load(TEST_TEMPLATE_DIR, err, sizeof err);
	ck_assert_msg(fx.templates != NULL, "templates: %s", err);
	fx.events = events_new();
	fx.metrics = metrics_new();
	events_subscribe(fx.events, on_event, NULL);
	fx.config.public_url = "http://127.0.0.1:8080";
	fx.config.replies.show_agent_names = true;
	fx.config.replies.notice_statuses = notice_statuses;

	fx.options = (struct sendq_options){
		.poll_interval_ms = 50,
		.max_in_flight = 4,
		.max_attempts = 3,
		.retry_base_ms = 20,
		.retry_max_ms = 80,
		.send_timeout_ms = 2000,
	};
	fx.context = (struct replies_context){
		.base = fx.base, .store = fx.store, .templates = fx.templates,
		.events = fx.events, .metrics = fx.metrics,
		.config = &fx.config, .find_channel = find_channel,
	};
	fx.host = (struct hub_host){ .base = fx.base, .config = &fx.config,
	    .store = fx.store, .templates = fx.templates };
	fake_channel = (struct hub_channel){ .name = "fake",
	    .module = &fake_module, .state = &fake_state, .host = &fx.host,
	    .started = true };
	inbound_channel = (struct hub_channel){ .name = "inbound",
	    .module = &inbound_module, .host = &fx.host, .started = true };
	fake_is_sms = false;
}

static void
teardown(void)
{
	char command[128];

	notice_stop(fx.notices);
	sendq_close(fx.sendq);
	store_close(fx.store);
	sendq_free(fx.sendq);
	notice_free(fx.notices);
	templates_free(fx.templates);
	events_free(fx.events);
	metrics_free(fx.metrics);
	event_base_free(fx.base);
	snprintf(command, sizeof command, "rm -rf %s", fx.dir);
	ck_assert_int_eq(system(command), 0);
}

static void
sendq_begin(void)
{
	fx.sendq = sendq_new(&fx.context, &fx.options);
	ck_assert_ptr_nonnull(fx.sendq);
	fx.host.sendq = fx.sendq;
	ck_assert_int_eq(sendq_start(fx.sendq), 0);
}

/* --- Store jobs for the tests ---------------------------------------------- */

/* A job that runs fn with arg on the store thread; wait with job_run. */
struct job {
	struct store_job job;
	int (*fn)(struct store_tx *, void *);
	void *arg;
	bool done;
	int result;
};

static int
job_apply(struct store_tx *tx, void *arg)
{
	struct job *job = arg;

	return job->fn(tx, job->arg);
}

static void
job_done(int result, void *arg)
{
	struct job *job = arg;

	job->done = true;
	job->result = result;
}

static int
job_run(int (*fn)(struct store_tx *, void *), void *arg)
{
	struct job job = { .fn = fn, .arg = arg };

	job.job = (struct store_job){ .apply = job_apply, .done = job_done,
	    .arg = &job };
	ck_assert_int_eq(store_submit(fx.store, &job.job), 0);
	ck_assert(check_loop_run(fx.base, &job.done, WAIT_MS));
	return job.result;
}

/* A ticket of a citizen with a phone typed into a form (unverified, so
 * that every ticket may have the same one), on channel. */
struct ticket_seed {
	const char *channel;
	const char *language;
	const char *department;
	int64_t ticket_id;
	int64_t contact_id;
	char code[TICKET_CODE_PLAIN_SIZE];
};

static int
seed_ticket_apply(struct store_tx *tx, void *arg)
{
	struct ticket_seed *seed = arg;
	struct store_ticket_new ticket = { .channel = seed->channel,
	    .subject = "Đèn đường hỏng", .language = seed->language,
	    .department = seed->department };
	int64_t citizen_id;

	if (store_tx_citizen_create(tx, "Nguyễn Văn An", seed->language,
	    &citizen_id) != 0 ||
	    store_tx_contact_add(tx, citizen_id, CONTACT_PHONE, "+84912345678",
	    false, &seed->contact_id) != 0)
		return -1;
	ticket.citizen_id = citizen_id;
	ticket.contact_id = seed->contact_id;
	if (store_tx_ticket_create(tx, &ticket) != 0)
		return -1;
	seed->ticket_id = ticket.id;
	memcpy(seed->code, ticket.code, sizeof seed->code);
	return 0;
}

static struct ticket_seed
seed_ticket(const char *channel, const char *language)
{
	struct ticket_seed seed = { .channel = channel, .language = language };

	ck_assert_int_eq(job_run(seed_ticket_apply, &seed), 0);
	return seed;
}

struct message_seed {
	struct store_sendq_new message;
};

static int
seed_message_apply(struct store_tx *tx, void *arg)
{
	struct message_seed *seed = arg;

	return store_tx_sendq_add(tx, &seed->message);
}

/* Queues a message of kind on the ticket of seed through channel. */
static int64_t
queue_message(const struct ticket_seed *ticket, const char *channel,
    const char *kind, const char *body, int64_t agent_id)
{
	struct message_seed seed = { .message = {
		.ticket_id = ticket->ticket_id, .kind = kind,
		.channel = channel, .contact_id = ticket->contact_id,
		.agent_id = agent_id, .body = body, .at = clock_now_ms(),
	} };

	ck_assert_int_eq(job_run(seed_message_apply, &seed), 0);
	return seed.message.id;
}

/* Runs sql (no rows) in a job with ?1 an integer and ?2 a text, which
 * NULL leaves unbound. */
struct sql_seed {
	const char *sql;
	int64_t number;
	const char *text;
};

static int
run_sql_apply(struct store_tx *tx, void *arg)
{
	struct sql_seed *seed = arg;
	sqlite3_stmt *stmt = seed->text != NULL ?
	    store_sqlite_query(tx->conn, seed->sql, "it", seed->number,
	    seed->text) :
	    store_sqlite_query(tx->conn, seed->sql, "i", seed->number);

	return stmt != NULL ? store_sqlite_run(tx->conn, stmt) : -1;
}

static void
run_sql(const char *sql, int64_t number, const char *text)
{
	struct sql_seed seed = { sql, number, text };

	ck_assert_int_eq(job_run(run_sql_apply, &seed), 0);
}

/* Adds an agent whose display name is username + " name". */
static void
add_agent(const char *username)
{
	run_sql("INSERT INTO agents (username, display_name, role,"
	    " password_hash, created_at, updated_at)"
	    " VALUES (?2, ?2 || ' name', 'agent', 'x', ?1, ?1)", 1, username);
}

/* The stored delivery state of a message. */
struct state {
	char status[16];
	char detail[256];
	int attempts;
	int64_t next_attempt_at;
	int64_t delivered_at;
};

static struct state
message_state(int64_t message_id)
{
	char path[128];
	struct state state;
	sqlite3 *db;
	sqlite3_stmt *stmt;
	const unsigned char *text;

	memset(&state, 0, sizeof state);
	snprintf(path, sizeof path, "%s/%s", fx.dir, STORE_DB_FILE);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT delivery_status,"
	    " delivery_detail, attempts, next_attempt_at, delivered_at"
	    " FROM messages WHERE id = ?", -1, &stmt, NULL), SQLITE_OK);
	sqlite3_bind_int64(stmt, 1, message_id);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	text = sqlite3_column_text(stmt, 0);
	snprintf(state.status, sizeof state.status, "%s",
	    text != NULL ? (const char *)text : "");
	text = sqlite3_column_text(stmt, 1);
	snprintf(state.detail, sizeof state.detail, "%s",
	    text != NULL ? (const char *)text : "");
	state.attempts = sqlite3_column_int(stmt, 2);
	state.next_attempt_at = sqlite3_column_int64(stmt, 3);
	state.delivered_at = sqlite3_column_int64(stmt, 4);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return state;
}

/* Runs the loop until message_id has status, or fails the test. */
static void
wait_status(int64_t message_id, const char *status)
{
	struct state state;

	for (int round = 0; round < WAIT_MS / 10; round++) {
		bool never = false;

		state = message_state(message_id);
		if (strcmp(state.status, status) == 0 &&
		    sendq_in_flight(fx.sendq) == 0)
			return;
		check_loop_run(fx.base, &never, 10);
	}
	ck_abort_msg("message %lld is \"%s\" (attempts %d, detail \"%s\"), "
	    "expected \"%s\"", (long long)message_id, state.status,
	    state.attempts, state.detail, status);
}

/* Runs the loop for ms. */
static void
run_for(int ms)
{
	bool never = false;

	check_loop_run(fx.base, &never, ms);
}

/* --- Backoff ---------------------------------------------------------------- */

START_TEST(backoff_doubles_up_to_max)
{
	static const int64_t low[] = { 500, 1000, 2000, 4000, 5000, 5000 };
	static const int64_t high[] = { 1000, 2000, 4000, 8000, 10000, 10000 };

	for (int attempt = 1; attempt <= 6; attempt++) {
		ck_assert_int_eq(sendq_backoff_ms(attempt, 1000, 10000, 0),
		    low[attempt - 1]);
		ck_assert_int_eq(sendq_backoff_ms(attempt, 1000, 10000, 1),
		    high[attempt - 1]);
	}
}
END_TEST

START_TEST(backoff_jitter_within_half)
{
	for (int attempt = 1; attempt <= 40; attempt++) {
		int64_t delay = sendq_backoff_ms(attempt, 30000, 3600000,
		    (double)(attempt % 11) / 10);
		int64_t full = sendq_backoff_ms(attempt, 30000, 3600000, 1);

		ck_assert_int_ge(delay, full / 2);
		ck_assert_int_le(delay, full);
		ck_assert_int_le(full, 3600000);
	}
	/* A random value out of range is clamped. */
	ck_assert_int_eq(sendq_backoff_ms(1, 1000, 5000, -3), 500);
	ck_assert_int_eq(sendq_backoff_ms(1, 1000, 5000, 7), 1000);
	/* A base above the maximum is cut to it. */
	ck_assert_int_eq(sendq_backoff_ms(1, 9000, 4000, 1), 4000);
}
END_TEST

/* --- The queue's state changes ---------------------------------------------- */

START_TEST(sendq_retries_then_delivers)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	char grouped[TICKET_CODE_GROUPED_SIZE];
	int64_t id;
	struct state state;

	fake_state.mode = FAKE_FAIL_THEN_OK;
	fake_state.fail_count = 2;
	id = queue_message(&ticket, "fake", "reply",
	    "Đèn đã được thay <sáng nay>.", 0);
	sendq_begin();
	wait_status(id, "delivered");

	state = message_state(id);
	ck_assert_int_eq(fake_state.calls, 3);
	ck_assert_int_eq(state.attempts, 3);
	ck_assert_int_gt(state.delivered_at, 0);
	ck_assert_int_eq(state.next_attempt_at, 0);
	ck_assert_int_eq(fx.delivery_count, 3);
	ck_assert_str_eq(fx.deliveries[0], "queued");
	ck_assert_str_eq(fx.deliveries[1], "queued");
	ck_assert_str_eq(fx.deliveries[2], "delivered");

	/* The reply went out wrapped: greeting, text as written, code. */
	ticket_code_group(ticket.code, grouped);
	ck_assert_msg(strstr(fake_state.last_text, "Kính gửi Nguyễn Văn An,")
	    != NULL, "no greeting: %s", fake_state.last_text);
	ck_assert_ptr_nonnull(strstr(fake_state.last_text,
	    "Đèn đã được thay <sáng nay>."));
	ck_assert_ptr_nonnull(strstr(fake_state.last_text, grouped));
	ck_assert_ptr_nonnull(strstr(fake_state.last_text, "token="));
	ck_assert_str_eq(fake_state.last_to, "+84912345678");
	ck_assert(!fake_state.last_automatic);
}
END_TEST

START_TEST(sendq_retry_waits_for_backoff)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;
	struct state state;

	fake_state.mode = FAKE_FAIL_THEN_OK;
	fake_state.fail_count = 1;
	fx.options.retry_base_ms = 400;
	fx.options.retry_max_ms = 400;
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	sendq_begin();
	run_for(100);
	state = message_state(id);
	ck_assert_str_eq(state.status, "queued");
	ck_assert_int_eq(state.attempts, 1);
	ck_assert_str_eq(state.detail, "peer busy");
	ck_assert_int_gt(state.next_attempt_at, 0);
	/* The backoff of the first retry is 200 to 400 ms. */
	ck_assert_int_eq(fake_state.calls, 1);
	wait_status(id, "delivered");
	ck_assert_int_eq(fake_state.calls, 2);
}
END_TEST

START_TEST(sendq_gives_up_after_max_attempts)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;
	struct state state;

	fake_state.mode = FAKE_FAIL_ALWAYS;
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	sendq_begin();
	wait_status(id, "failed");

	state = message_state(id);
	ck_assert_int_eq(fake_state.calls, 3);
	ck_assert_int_eq(state.attempts, 3);
	ck_assert_str_eq(state.detail, "gave up after 3 attempts: peer busy");
	ck_assert_int_eq(state.delivered_at, 0);
	ck_assert_int_eq(state.next_attempt_at, 0);
	ck_assert_str_eq(fx.deliveries[fx.delivery_count - 1], "failed");
	run_for(200);
	ck_assert_int_eq(fake_state.calls, 3);
}
END_TEST

START_TEST(sendq_permanent_failure_stops)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;
	struct state state;

	fake_state.mode = FAKE_FAIL_FOR_GOOD;
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	sendq_begin();
	wait_status(id, "failed");
	state = message_state(id);
	ck_assert_int_eq(fake_state.calls, 1);
	ck_assert_int_eq(state.attempts, 1);
	ck_assert_str_eq(state.detail, "mailbox unknown");
	ck_assert_int_eq(fx.delivery_count, 1);
}
END_TEST

START_TEST(sendq_refusal_fails)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;

	fake_state.mode = FAKE_REFUSE;
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	sendq_begin();
	wait_status(id, "failed");
	ck_assert_str_eq(message_state(id).detail, "refused by the channel");
}
END_TEST

START_TEST(sendq_channel_not_loaded_fails)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t missing, inbound;

	missing = queue_message(&ticket, "sms", "reply", "Đã xử lý.", 0);
	inbound = queue_message(&ticket, "inbound", "reply", "Đã xử lý.", 0);
	sendq_begin();
	wait_status(missing, "failed");
	wait_status(inbound, "failed");
	ck_assert_str_eq(message_state(missing).detail,
	    "channel sms is not loaded");
	ck_assert_str_eq(message_state(inbound).detail,
	    "channel inbound cannot send messages");
	ck_assert_int_eq(fake_state.calls, 0);
}
END_TEST

START_TEST(sendq_delivery_reports)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id, other;

	fake_module.capabilities |= HUB_CHANNEL_DELIVERY_REPORTS;
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	other = queue_message(&ticket, "fake", "reply", "Lần hai.", 0);
	sendq_begin();
	wait_status(id, "sent");
	wait_status(other, "sent");
	ck_assert_int_eq(message_state(id).delivered_at, 0);

	ck_assert_int_eq(hub_channel_delivery(&fake_channel, id,
	    HUB_DELIVERY_DELIVERED, "handset"), 0);
	ck_assert_int_eq(hub_channel_delivery(&fake_channel, other,
	    HUB_DELIVERY_FAILED, "absent subscriber"), 0);
	wait_status(id, "delivered");
	wait_status(other, "failed");
	ck_assert_int_gt(message_state(id).delivered_at, 0);
	ck_assert_str_eq(message_state(id).detail, "handset");
	ck_assert_str_eq(message_state(other).detail, "absent subscriber");

	/* A late report on a message already settled changes nothing. */
	fx.delivery_count = 0;
	ck_assert_int_eq(hub_channel_delivery(&fake_channel, other,
	    HUB_DELIVERY_DELIVERED, NULL), 0);
	run_for(100);
	ck_assert_str_eq(message_state(other).status, "failed");
	ck_assert_int_eq(fx.delivery_count, 0);
}
END_TEST

START_TEST(sendq_refusal_after_failure_report_keeps_both_reasons)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t refused, accepted;

	fake_module.capabilities |= HUB_CHANNEL_DELIVERY_REPORTS;
	fake_state.mode = FAKE_SILENT;
	refused = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	accepted = queue_message(&ticket, "fake", "reply", "Lần hai.", 0);
	sendq_begin();
	run_for(100);
	ck_assert_int_eq(fake_state.calls, 2);

	/* The failure reports overtake the answers to the sends. */
	ck_assert_int_eq(hub_channel_delivery(&fake_channel, refused,
	    HUB_DELIVERY_FAILED, "rejected by the SMSC"), 0);
	ck_assert_int_eq(hub_channel_delivery(&fake_channel, accepted,
	    HUB_DELIVERY_FAILED, "absent subscriber"), 0);
	run_for(100);
	sendq_send_done(&fake_channel, refused, -1, "smsbox HTTP 403");
	sendq_send_done(&fake_channel, accepted, 0, "accepted");
	wait_status(refused, "failed");
	wait_status(accepted, "failed");
	ck_assert_str_eq(message_state(refused).detail,
	    "smsbox HTTP 403; rejected by the SMSC");
	ck_assert_str_eq(message_state(accepted).detail, "absent subscriber");
	ck_assert_int_eq(message_state(refused).attempts, 0);
}
END_TEST

START_TEST(sendq_report_of_other_channel_ignored)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;

	fake_module.capabilities |= HUB_CHANNEL_DELIVERY_REPORTS;
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	sendq_begin();
	wait_status(id, "sent");
	ck_assert_int_eq(hub_channel_delivery(&inbound_channel, id,
	    HUB_DELIVERY_FAILED, "not mine"), 0);
	run_for(100);
	ck_assert_str_eq(message_state(id).status, "sent");
}
END_TEST

START_TEST(sendq_bounds_sends_in_flight)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t ids[6];

	fake_state.mode = FAKE_SILENT;
	fx.options.max_in_flight = 2;
	for (int i = 0; i < 6; i++)
		ids[i] = queue_message(&ticket, "fake", "reply", "Đã xử lý.",
		    0);
	sendq_begin();
	run_for(200);
	ck_assert_int_eq(fake_state.calls, 2);
	ck_assert_int_eq(sendq_in_flight(fx.sendq), 2);

	/* Each outcome lets one more message go. */
	for (int round = 0; round < 3; round++) {
		int calls = fake_state.calls;

		for (int i = 0; i < 6; i++)
			if (strcmp(message_state(ids[i]).status, "queued") == 0)
				sendq_send_done(&fake_channel, ids[i], 0, NULL);
		run_for(100);
		ck_assert_int_le(fake_state.calls, calls + 2);
	}
	for (int i = 0; i < 6; i++)
		wait_status(ids[i], "delivered");
	ck_assert_int_eq(fake_state.calls, 6);
}
END_TEST

START_TEST(sendq_timeout_counts_as_temporary)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;
	struct state state;

	fake_state.mode = FAKE_SILENT;
	fx.options.send_timeout_ms = 50;
	fx.options.max_attempts = 2;
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	sendq_begin();
	wait_status(id, "failed");
	state = message_state(id);
	ck_assert_int_eq(fake_state.calls, 2);
	ck_assert_str_eq(state.detail, "gave up after 2 attempts: no outcome "
	    "from the channel within 0.05 s");
	/* A report after the timeout is ignored. */
	sendq_send_done(&fake_channel, id, 0, NULL);
	run_for(50);
	ck_assert_str_eq(message_state(id).status, "failed");
}
END_TEST

START_TEST(sendq_wakes_on_queued_event)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	json_t *payload;
	int64_t id;

	fx.options.poll_interval_ms = 60000;
	sendq_begin();
	run_for(50);
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	payload = json_pack("{s:I, s:I}", "ticket_id",
	    (json_int_t)ticket.ticket_id, "message_id", (json_int_t)id);
	events_publish(fx.events, "message.queued", payload);
	json_decref(payload);
	wait_status(id, "delivered");
}
END_TEST

START_TEST(sendq_paused_sends_nothing)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;

	fx.options.paused = true;
	id = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	sendq_begin();
	run_for(200);
	ck_assert_int_eq(fake_state.calls, 0);
	ck_assert_str_eq(message_state(id).status, "queued");
}
END_TEST

START_TEST(sendq_sms_channel_gets_sms_text)
{
	struct ticket_seed ticket = seed_ticket("fake", "en");
	int64_t id;

	fake_module.capabilities |= HUB_CHANNEL_SMS_TEXT;
	id = queue_message(&ticket, "fake", "reply",
	    "Fixed \xe2\x80\x9ctoday\xe2\x80\x9d \xe2\x80\x93 thanks", 0);
	sendq_begin();
	wait_status(id, "delivered");
	ck_assert_msg(strncmp(fake_state.last_text, "Report ", 7) == 0,
	    "not the SMS form: %s", fake_state.last_text);
	ck_assert_ptr_nonnull(strstr(fake_state.last_text,
	    "Fixed \"today\" - thanks"));
	ck_assert_ptr_null(strstr(fake_state.last_text, "Dear"));
}
END_TEST

/* The language an agent chose for a reply wins over the citizen's. */
START_TEST(sendq_reply_in_chosen_language)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;

	id = queue_message(&ticket, "fake", "reply", "The lamp is fixed.", 0);
	run_sql("UPDATE messages SET language = ?2 WHERE id = ?1", id, "en");
	sendq_begin();
	wait_status(id, "delivered");
	ck_assert_msg(strncmp(fake_state.last_text, "Dear Nguyễn Văn An,",
	    strlen("Dear Nguyễn Văn An,")) == 0, "not the English wrapper: %s",
	    fake_state.last_text);
	ck_assert_ptr_null(strstr(fake_state.last_text, "Kính gửi"));
}
END_TEST

START_TEST(sendq_notice_sent_as_stored)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	int64_t id;

	id = queue_message(&ticket, "fake", "ack", "Phản ánh đang được xử lý.",
	    0);
	sendq_begin();
	wait_status(id, "delivered");
	ck_assert_str_eq(fake_state.last_text, "Phản ánh đang được xử lý.");
	ck_assert(fake_state.last_automatic);
}
END_TEST

/* --- Notices ------------------------------------------------------------------- */

static void
publish_status(int64_t ticket_id, const char *from, const char *to)
{
	json_t *payload = json_pack("{s:I, s:s, s:s, s:s, s:I}", "ticket_id",
	    (json_int_t)ticket_id, "code", "", "from", from, "to", to,
	    "agent_id", (json_int_t)0);

	events_publish(fx.events, "ticket.status_changed", payload);
	json_decref(payload);
}

/* The newest outbound message of a ticket, read from the database file. */
struct outbound {
	int64_t id;
	char kind[16];
	char status[16];
	char channel[16];
	char body[2048];
};

static struct outbound
newest_outbound(int64_t ticket_id)
{
	struct outbound outbound;
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *stmt;

	memset(&outbound, 0, sizeof outbound);
	snprintf(path, sizeof path, "%s/%s", fx.dir, STORE_DB_FILE);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT id, kind,"
	    " delivery_status, body, channel FROM messages WHERE ticket_id = ?"
	    " AND direction = 'out' ORDER BY id DESC LIMIT 1", -1, &stmt,
	    NULL), SQLITE_OK);
	sqlite3_bind_int64(stmt, 1, ticket_id);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		outbound.id = sqlite3_column_int64(stmt, 0);
		snprintf(outbound.kind, sizeof outbound.kind, "%s",
		    sqlite3_column_text(stmt, 1));
		snprintf(outbound.status, sizeof outbound.status, "%s",
		    sqlite3_column_text(stmt, 2));
		snprintf(outbound.body, sizeof outbound.body, "%s",
		    sqlite3_column_text(stmt, 3));
		snprintf(outbound.channel, sizeof outbound.channel, "%s",
		    sqlite3_column_text(stmt, 4));
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return outbound;
}

START_TEST(notice_queued_on_status_change)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	char grouped[TICKET_CODE_GROUPED_SIZE];
	struct outbound notice;

	fx.notices = notice_start(&fx.context);
	ck_assert_ptr_nonnull(fx.notices);
	sendq_begin();
	/* "assigned" is not among the fixture's notice statuses. */
	publish_status(ticket.ticket_id, "new", "assigned");
	run_for(100);
	ck_assert_int_eq(fx.queued_events, 0);
	ck_assert_int_eq(newest_outbound(ticket.ticket_id).id, 0);

	publish_status(ticket.ticket_id, "assigned", "in_progress");
	for (int i = 0; i < 100 && fake_state.calls == 0; i++)
		run_for(10);
	ck_assert_int_eq(fx.queued_events, 1);
	ck_assert_int_eq(fake_state.calls, 1);
	notice = newest_outbound(ticket.ticket_id);
	wait_status(notice.id, "delivered");
	ck_assert_str_eq(notice.kind, "ack");
	ticket_code_group(ticket.code, grouped);
	ck_assert_ptr_nonnull(strstr(notice.body, grouped));
	ck_assert_msg(strstr(notice.body, "đang được xử lý") != NULL, "%s",
	    notice.body);
	ck_assert_str_eq(fake_state.last_text, notice.body);
	ck_assert(fake_state.last_automatic);
}
END_TEST

START_TEST(notice_of_resolution_asks_rating)
{
	struct ticket_seed ticket = seed_ticket("fake", "en");
	struct outbound notice;

	fx.notices = notice_start(&fx.context);
	publish_status(ticket.ticket_id, "in_progress", "resolved");
	for (int i = 0; i < 100 && fx.queued_events == 0; i++)
		run_for(10);
	ck_assert_int_eq(fx.queued_events, 1);
	notice = newest_outbound(ticket.ticket_id);
	ck_assert_str_eq(notice.kind, "ack");
	ck_assert_str_eq(notice.status, "queued");
	ck_assert_msg(strstr(notice.body, "has been resolved") != NULL, "%s",
	    notice.body);
	ck_assert_ptr_nonnull(strstr(notice.body, "from 1"));
	ck_assert_ptr_nonnull(strstr(notice.body, "to 5"));
	ck_assert_ptr_nonnull(strstr(notice.body, "/lookup?code="));
	ck_assert_ptr_nonnull(strstr(notice.body, "&lang=en"));
	ck_assert_ptr_nonnull(strstr(notice.body, "Dear Nguyễn Văn An,"));
}
END_TEST

START_TEST(notice_skips_merged_ticket)
{
	struct ticket_seed source = seed_ticket("fake", "vi");
	struct ticket_seed target = seed_ticket("fake", "vi");

	fx.notices = notice_start(&fx.context);
	run_sql("UPDATE tickets SET merged_into = ?1 + 1, status = 'closed'"
	    " WHERE id = ?1", source.ticket_id, NULL);
	ck_assert_int_eq(target.ticket_id, source.ticket_id + 1);
	/* in_progress is among the fixture's notice statuses, closed is not. */
	publish_status(source.ticket_id, "new", "in_progress");
	run_for(100);
	ck_assert_int_eq(fx.queued_events, 0);
	ck_assert_int_eq(newest_outbound(source.ticket_id).id, 0);
}
END_TEST

START_TEST(notice_on_web_names_nobody)
{
	struct ticket_seed ticket = seed_ticket("web", "vi");
	struct outbound notice;

	fx.notices = notice_start(&fx.context);
	publish_status(ticket.ticket_id, "in_progress", "resolved");
	for (int i = 0; i < 100 && fx.queued_events == 0; i++)
		run_for(10);
	notice = newest_outbound(ticket.ticket_id);
	ck_assert_msg(strstr(notice.body, "đã được giải quyết") != NULL, "%s",
	    notice.body);
	ck_assert_ptr_nonnull(strstr(notice.body, "trên trang này"));
	ck_assert_ptr_null(strstr(notice.body, "Nguyễn Văn An"));
	ck_assert_ptr_null(strstr(notice.body, "token="));
}
END_TEST

/* A ticket opened on a channel that cannot send, such as a phone call. */
START_TEST(notice_on_silent_channel_goes_by_sms)
{
	struct ticket_seed ticket = seed_ticket("inbound", "vi");
	struct outbound notice;

	fx.notices = notice_start(&fx.context);
	sendq_begin();
	publish_status(ticket.ticket_id, "assigned", "in_progress");
	run_for(200);
	ck_assert_int_eq(fx.queued_events, 0);
	ck_assert_int_eq(newest_outbound(ticket.ticket_id).id, 0);

	fake_is_sms = true;
	fake_channel.name = "sms";
	fake_module.capabilities |= HUB_CHANNEL_SMS_TEXT;
	publish_status(ticket.ticket_id, "in_progress", "resolved");
	for (int i = 0; i < 100 && fake_state.calls == 0; i++)
		run_for(10);
	notice = newest_outbound(ticket.ticket_id);
	wait_status(notice.id, "delivered");
	ck_assert_str_eq(notice.channel, "sms");
	ck_assert_str_eq(fake_state.last_to, "+84912345678");
	ck_assert_msg(strstr(fake_state.last_text, "PA ") == fake_state.last_text,
	    "not the SMS form: %s", fake_state.last_text);
}
END_TEST

/* --- The status page's messages ------------------------------------------------- */

static int
note_apply(struct store_tx *tx, void *arg)
{
	const struct ticket_seed *ticket = arg;
	struct store_message_new note = { .ticket_id = ticket->ticket_id,
	    .direction = "in", .kind = "note", .channel = "fake",
	    .body = "internal" };
	struct store_message_new message = { .ticket_id = ticket->ticket_id,
	    .direction = "in", .kind = "message", .channel = "fake",
	    .body = "Đèn hỏng" };

	if (store_tx_message_add(tx, &message) != 0)
		return -1;
	return store_tx_message_add(tx, &note) == 0 ? 0 : -1;
}

START_TEST(public_messages_leave_out_notes_and_queued)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	json_t *messages;
	int64_t reply, queued;

	add_agent("lan");
	ck_assert_int_eq(job_run(note_apply, &ticket), 0);
	reply = queue_message(&ticket, "fake", "reply", "Đã xử lý.", 0);
	run_sql("UPDATE messages SET delivery_status = 'delivered',"
	    " agent_id = (SELECT id FROM agents WHERE username = ?2)"
	    " WHERE id = ?1", reply, "lan");
	queued = queue_message(&ticket, "fake", "reply", "Chưa gửi.", 0);
	ck_assert_int_gt(queued, reply);

	messages = store_replies_messages_json(fx.store, ticket.ticket_id,
	    true);
	ck_assert_ptr_nonnull(messages);
	ck_assert_int_eq(json_array_size(messages), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    messages, 0), "body")), "Đèn hỏng");
	ck_assert(json_is_null(json_object_get(json_array_get(messages, 0),
	    "agent_name")));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    messages, 1), "agent_name")), "lan name");
	json_decref(messages);

	messages = store_replies_messages_json(fx.store, ticket.ticket_id,
	    false);
	ck_assert(json_is_null(json_object_get(json_array_get(messages, 1),
	    "agent_name")));
	json_decref(messages);
}
END_TEST

/* --- Ratings and their statistics ---------------------------------------------- */

static int
rate_apply(struct store_tx *tx, void *arg)
{
	return store_tx_rating(tx, arg);
}

static struct store_rating
rate(const char *code, int value)
{
	struct store_rating rating = { .code = code, .rating = value,
	    .at = 1736000000000 };

	ck_assert_int_eq(job_run(rate_apply, &rating), 0);
	return rating;
}

START_TEST(rating_needs_resolution_and_replaces)
{
	struct ticket_seed ticket = seed_ticket("fake", "vi");
	struct store_rating rating;
	int64_t audits;

	rating = rate(ticket.code, 4);
	ck_assert_int_eq(rating.result, STORE_RATING_NOT_RESOLVED);
	rating = rate("1234567890", 4);
	ck_assert_int_eq(rating.result, STORE_RATING_NOT_FOUND);

	run_sql("UPDATE tickets SET status = 'resolved' WHERE id = ?1",
	    ticket.ticket_id, NULL);
	rating = rate(ticket.code, 2);
	ck_assert_int_eq(rating.result, STORE_RATING_STORED);
	ck_assert_int_eq(rating.previous, 0);
	rating = rate(ticket.code, 5);
	ck_assert_int_eq(rating.result, STORE_RATING_STORED);
	ck_assert_int_eq(rating.previous, 2);

	ck_assert_int_eq(store_sqlite_count(&fx.store->reader, "SELECT"
	    " COUNT(*) FROM audit_events WHERE action = 'ticket.rated'"
	    " AND actor = 'citizen' AND citizen_id IS NOT NULL", &audits), 0);
	ck_assert_int_eq(audits, 2);
	ck_assert_int_eq(store_sqlite_count(&fx.store->reader, "SELECT"
	    " satisfaction FROM tickets", &audits), 0);
	ck_assert_int_eq(audits, 5);
}
END_TEST

START_TEST(satisfaction_stats_by_department_and_agent)
{
	struct ticket_seed tickets[4];
	static const char *const departments[] = { "roads", "roads", "water",
	    NULL };
	static const int ratings[] = { 5, 2, 4, 1 };
	struct store_satisfaction_filter all = { 0 };
	struct store_satisfaction_filter roads = {
	    .departments = "[\"roads\"]" };
	json_t *stats, *group;

	add_agent("lan");
	for (int i = 0; i < 4; i++) {
		tickets[i] = seed_ticket("fake", "vi");
		run_sql("UPDATE tickets SET status = 'closed', department = ?2,"
		    " assignee_id = CASE WHEN ?2 = 'roads' THEN"
		    " (SELECT id FROM agents) END WHERE id = ?1",
		    tickets[i].ticket_id, departments[i]);
		ck_assert_int_eq(rate(tickets[i].code, ratings[i]).result,
		    STORE_RATING_STORED);
	}

	stats = store_satisfaction_json(fx.store, &all);
	ck_assert_ptr_nonnull(stats);
	group = json_object_get(stats, "overall");
	ck_assert_int_eq(json_integer_value(json_object_get(group, "count")),
	    4);
	ck_assert(json_real_value(json_object_get(group, "average")) == 3.0);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    group, "distribution"), "5")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    group, "distribution"), "3")), 0);
	/* Departments by id, null (no department) first. */
	ck_assert_int_eq(json_array_size(json_object_get(stats,
	    "departments")), 3);
	group = json_array_get(json_object_get(stats, "departments"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(group,
	    "department")), "roads");
	ck_assert(json_real_value(json_object_get(group, "average")) == 3.5);
	/* Agents: none for two tickets, lan for the two of roads. */
	group = json_array_get(json_object_get(stats, "agents"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(group,
	    "display_name")), "lan name");
	ck_assert_int_eq(json_integer_value(json_object_get(group, "count")),
	    2);
	json_decref(stats);

	stats = store_satisfaction_json(fx.store, &roads);
	group = json_object_get(stats, "overall");
	ck_assert_int_eq(json_integer_value(json_object_get(group, "count")),
	    2);
	ck_assert_int_eq(json_array_size(json_object_get(stats,
	    "departments")), 1);
	json_decref(stats);

	/* A period without ratings. */
	all.from = 1736000000001;
	stats = store_satisfaction_json(fx.store, &all);
	group = json_object_get(stats, "overall");
	ck_assert_int_eq(json_integer_value(json_object_get(group, "count")),
	    0);
	ck_assert(json_is_null(json_object_get(group, "average")));
	json_decref(stats);
}
END_TEST

Suite *
sendq_suite(void)
{
	Suite *suite = suite_create("sendq");
	TCase *backoff = tcase_create("backoff");
	TCase *queue = tcase_create("queue");
	TCase *notices = tcase_create("notices");
	TCase *ratings = tcase_create("ratings");

	tcase_add_test(backoff, backoff_doubles_up_to_max);
	tcase_add_test(backoff, backoff_jitter_within_half);
	suite_add_tcase(suite, backoff);

	tcase_add_checked_fixture(queue, setup, teardown);
	tcase_set_timeout(queue, 30);
	tcase_add_test(queue, sendq_retries_then_delivers);
	tcase_add_test(queue, sendq_retry_waits_for_backoff);
	tcase_add_test(queue, sendq_gives_up_after_max_attempts);
	tcase_add_test(queue, sendq_permanent_failure_stops);
	tcase_add_test(queue, sendq_refusal_fails);
	tcase_add_test(queue, sendq_channel_not_loaded_fails);
	tcase_add_test(queue, sendq_delivery_reports);
	tcase_add_test(queue, sendq_report_of_other_channel_ignored);
	tcase_add_test(queue,
	    sendq_refusal_after_failure_report_keeps_both_reasons);
	tcase_add_test(queue, sendq_bounds_sends_in_flight);
	tcase_add_test(queue, sendq_timeout_counts_as_temporary);
	tcase_add_test(queue, sendq_wakes_on_queued_event);
	tcase_add_test(queue, sendq_paused_sends_nothing);
	tcase_add_test(queue, sendq_sms_channel_gets_sms_text);
	tcase_add_test(queue, sendq_reply_in_chosen_language);
	tcase_add_test(queue, sendq_notice_sent_as_stored);
	suite_add_tcase(suite, queue);

	tcase_add_checked_fixture(notices, setup, teardown);
	tcase_set_timeout(notices, 30);
	tcase_add_test(notices, notice_queued_on_status_change);
	tcase_add_test(notices, notice_of_resolution_asks_rating);
	tcase_add_test(notices, notice_on_web_names_nobody);
	tcase_add_test(notices, notice_skips_merged_ticket);
	tcase_add_test(notices, notice_on_silent_channel_goes_by_sms);
	suite_add_tcase(suite, notices);

	tcase_add_checked_fixture(ratings, setup, teardown);
	tcase_add_test(ratings, public_messages_leave_out_notes_and_queued);
	tcase_add_test(ratings, rating_needs_resolution_and_replaces);
	tcase_add_test(ratings, satisfaction_stats_by_department_and_agent);
	suite_add_tcase(suite, ratings);
	return suite;
}
