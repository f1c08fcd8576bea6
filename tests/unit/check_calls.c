/*
 * Calls. Suite "calls": hub_call_record with its store rows, the ticket
 * detail and the erasure of a citizen. Suite "ivr_hub": the IVR's
 * main-thread side (ivr_hub.c) driven through its mailbox, with a real
 * store, pipeline and worker pool. A list of the messages posted replaces
 * the media thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "check_suites.h"
#include "clock.h"
#include "events.h"
#ifdef HUB_TEST_SIP
#include "ivr_hub.h"
#include "media_thread.h"
#endif
#include "module.h"
#include "pipeline.h"
#include "store.h"
#include "store_calls.h"
#include "store_casework.h"
#include "store_citizen.h"
#include "store_sqlite.h"
#include "template.h"

#define CALLS_MEDIA_MAX 8

static const struct hub_config_limits calls_limits = {
	.name_chars = 40, .subject_chars = 80, .description_chars = 400,
	.address_chars = 50, .email_chars = 80, .category_chars = 20,
	.external_id_chars = 200,
};

struct calls_fixture {
	char dir[64];
	struct event_base *base;
	struct store *store;
	struct templates *templates;
	struct events *events;
	struct worker_pool *io_workers;
	struct hub_config config;
	struct pipeline *pipeline;
	struct hub_host host;
	struct hub_channel channel;
#ifdef HUB_TEST_SIP
	struct ivr ivr;
#endif
	int recorded_events;	/* "call.recorded" */
	int64_t recorded_ticket;
#ifdef HUB_TEST_SIP
	/* What the media thread would have got. */
	struct ivr_media_msg *media[CALLS_MEDIA_MAX];
	int media_count;
#endif
};

static struct calls_fixture cx;

/* The sip module's descriptor as far as the hub reads it. */
static const struct hub_channel_module calls_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "sip",
	.capabilities = HUB_CHANNEL_INBOUND | HUB_CHANNEL_ATTACHMENTS,
};

#ifdef HUB_TEST_SIP
/* Replaces the module's media thread: the messages posted to it are kept
 * for the test to read. */
int
media_thread_post(struct media_thread *media, struct ivr_media_msg *message)
{
	(void)media;
	if (cx.media_count == CALLS_MEDIA_MAX) {
		free(message);
		return -1;
	}
	cx.media[cx.media_count++] = message;
	return 0;
}
#endif

static void
calls_on_event(const char *event, const json_t *payload, void *arg)
{
	(void)arg;
	if (strcmp(event, "call.recorded") == 0) {
		cx.recorded_events++;
		cx.recorded_ticket = json_integer_value(json_object_get(payload,
		    "ticket_id"));
	}
}

static void
calls_setup(void)
{
	struct store_options options = { .batch_max = 64,
	    .busy_timeout_ms = 1000 };
	struct pipeline_context context;
	char err[256];

	ck_assert_int_ge(sodium_init(), 0);
	memset(&cx, 0, sizeof cx);
	strcpy(cx.dir, "/tmp/check-calls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(cx.dir));
	cx.base = event_base_new();
	cx.store = store_open(cx.base, cx.dir, &options, err, sizeof err);
	ck_assert_msg(cx.store != NULL, "store: %s", err);
	cx.templates = templates_load(TEST_TEMPLATE_DIR, err, sizeof err);
	ck_assert_msg(cx.templates != NULL, "templates: %s", err);
	cx.events = events_new();
	events_subscribe(cx.events, calls_on_event, NULL);
	cx.io_workers = worker_pool_new(cx.base, 1);
	ck_assert_ptr_nonnull(cx.io_workers);
	cx.config.limits = calls_limits;
	cx.config.idempotency_hours = 24;
	cx.config.desk_reopen_days = 7;
	cx.config.public_url = "http://127.0.0.1:8080";
	context = (struct pipeline_context){ .config = &cx.config,
	    .store = cx.store, .templates = cx.templates,
	    .events = cx.events };
	cx.pipeline = pipeline_new(&context);
	cx.host = (struct hub_host){ .base = cx.base, .config = &cx.config,
	    .pipeline = cx.pipeline, .store = cx.store,
	    .templates = cx.templates, .io_workers = cx.io_workers,
	    .events = cx.events };
	cx.channel = (struct hub_channel){ .name = "sip",
	    .module = &calls_module, .host = &cx.host, .started = true };
#ifdef HUB_TEST_SIP
	cx.ivr.channel = &cx.channel;
	cx.ivr.config.max_recording_seconds = 60;
	cx.ivr.media = (struct media_thread *)&cx;
#endif
}

static void
calls_teardown(void)
{
	char command[128];

	worker_pool_free(cx.io_workers);
	store_close(cx.store);
	pipeline_free(cx.pipeline);
	templates_free(cx.templates);
	events_free(cx.events);
	event_base_free(cx.base);
#ifdef HUB_TEST_SIP
	for (int i = 0; i < cx.media_count; i++)
		free(cx.media[i]);
#endif
	snprintf(command, sizeof command, "rm -rf %s", cx.dir);
	ck_assert_int_eq(system(command), 0);
}

static void
calls_run_until(const bool *done)
{
	for (int round = 0; round < 3000 && !*done; round++) {
		struct timeval tick = { .tv_usec = 1000 };

		event_base_loopexit(cx.base, &tick);
		event_base_dispatch(cx.base);
	}
	ck_assert_msg(*done, "no answer in time");
}

/* --- Tickets to attach calls to ------------------------------------------------ */

struct calls_answer {
	bool done;
	enum hub_answer_status status;
	int64_t ticket_id;
	char code[TICKET_CODE_PLAIN_SIZE];
};

static void
calls_on_answer(const struct hub_answer *answer, void *arg)
{
	struct calls_answer *outcome = arg;

	outcome->done = true;
	outcome->status = answer->status;
	outcome->ticket_id = answer->ticket_id;
	memcpy(outcome->code, answer->code, sizeof(outcome->code));
}

/* Opens a ticket from phone with an attachment of content; fills sha256. */
static void
calls_ticket(const char *phone, const char *content,
    struct calls_answer *outcome, char sha256[65])
{
	struct hub_message *message = hub_message_new("sip");

	ck_assert_int_eq(hub_channel_store_blob(&cx.channel, content,
	    strlen(content), sha256), 0);
	hub_message_set(&message->body, "Phản ánh qua tổng đài: ghi âm 3 giây.");
	message->ack = HUB_ACK_NONE;
	ck_assert_int_eq(hub_message_add_contact(message, CONTACT_PHONE, phone,
	    false), 0);
	ck_assert_int_eq(hub_message_add_attachment(message, sha256,
	    "call.wav", "audio/wav", (int64_t)strlen(content)), 0);
	memset(outcome, 0, sizeof(*outcome));
	ck_assert_int_eq(hub_channel_submit(&cx.channel, message,
	    calls_on_answer, outcome), 0);
	calls_run_until(&outcome->done);
	ck_assert_int_eq(outcome->status, HUB_ANSWER_CREATED);
}

struct calls_recorded {
	bool done;
	int status;
};

static void
calls_on_recorded(int status, void *arg)
{
	struct calls_recorded *recorded = arg;

	recorded->done = true;
	recorded->status = status;
}

static void
calls_record(const struct hub_call *call)
{
	struct calls_recorded recorded = { 0 };

	ck_assert_int_eq(hub_call_record(&cx.channel, call, calls_on_recorded,
	    &recorded), 0);
	calls_run_until(&recorded.done);
	ck_assert_int_eq(recorded.status, 0);
}

static json_t *
calls_detail(int64_t ticket_id)
{
	json_t *detail = store_casework_ticket_detail_json(cx.store, ticket_id,
	    clock_now_ms());

	ck_assert_ptr_nonnull(detail);
	return detail;
}

static const char *
calls_text(const json_t *object, const char *name)
{
	return json_string_value(json_object_get(object, name));
}

/* --- Suite "calls" ------------------------------------------------------------- */

START_TEST(test_call_attached_to_ticket)
{
	struct calls_answer ticket;
	char sha256[65];
	json_t *detail, *calls, *call, *attachment;

	calls_ticket("0912345678", "RIFF voice", &ticket, sha256);
	calls_record(&(struct hub_call){ .call_id = "a84b4c76e66710@pc33",
	    .caller = "0912345678", .callee = "1022",
	    .started_at_ms = 1764900000000, .answered_at_ms = 1764900002000,
	    .ended_at_ms = 1764900062000, .language = "vi",
	    .path = "main:1 category:3 record", .dtmf_methods = "rfc4733,info",
	    .end_reason = "completed", .ticket_code = ticket.code,
	    .recording_sha256 = sha256, .recording_ms = 42000 });

	detail = calls_detail(ticket.ticket_id);
	calls = json_object_get(detail, "calls");
	ck_assert_int_eq(json_array_size(calls), 1);
	call = json_array_get(calls, 0);
	ck_assert_int_eq(json_integer_value(json_object_get(call, "ticket_id")),
	    ticket.ticket_id);
	ck_assert_str_eq(calls_text(call, "ticket_code"), ticket.code);
	ck_assert_str_eq(calls_text(call, "call_id"), "a84b4c76e66710@pc33");
	ck_assert_str_eq(calls_text(call, "caller"), "+84912345678");
	ck_assert_str_eq(calls_text(call, "caller_raw"), "0912345678");
	ck_assert_str_eq(calls_text(call, "callee"), "1022");
	ck_assert_str_eq(calls_text(call, "started_at"),
	    "2025-12-05T09:00:00+07:00");
	ck_assert_str_eq(calls_text(call, "answered_at"),
	    "2025-12-05T09:00:02+07:00");
	ck_assert_str_eq(calls_text(call, "ended_at"),
	    "2025-12-05T09:01:02+07:00");
	ck_assert_int_eq(json_integer_value(json_object_get(call, "talk_ms")),
	    60000);
	ck_assert_str_eq(calls_text(call, "path"), "main:1 category:3 record");
	ck_assert_int_eq(json_array_size(json_object_get(call,
	    "dtmf_methods")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(call,
	    "dtmf_methods"), 1)), "info");
	ck_assert_str_eq(calls_text(call, "end_reason"), "completed");
	ck_assert_str_eq(calls_text(call, "recording_sha256"), sha256);
	ck_assert_int_eq(json_integer_value(json_object_get(call,
	    "recording_ms")), 42000);
	attachment = json_array_get(json_object_get(json_array_get(
	    json_object_get(detail, "messages"), 0), "attachments"), 0);
	ck_assert_ptr_nonnull(attachment);
	ck_assert_int_eq(json_integer_value(json_object_get(call,
	    "recording_attachment_id")),
	    json_integer_value(json_object_get(attachment, "id")));
	ck_assert_int_eq(cx.recorded_events, 1);
	ck_assert_int_eq(cx.recorded_ticket, ticket.ticket_id);
	json_decref(detail);
}
END_TEST

START_TEST(test_call_without_ticket)
{
	json_t *calls, *call;

	calls_record(&(struct hub_call){ .call_id = "no-ticket-1",
	    .caller = "alice", .started_at_ms = 1764900000000,
	    .ended_at_ms = 1764900001000, .end_reason = "caller",
	    .ticket_code = "0000000000" });
	/* The same call's record again is ignored, not stored twice. */
	calls_record(&(struct hub_call){ .call_id = "no-ticket-1",
	    .caller = "alice", .started_at_ms = 1764900000000,
	    .ended_at_ms = 1764900001000 });
	/* Another call that reused the Call-ID is a call of its own. */
	calls_record(&(struct hub_call){ .call_id = "no-ticket-1",
	    .caller = "bob", .started_at_ms = 1764900005000,
	    .ended_at_ms = 1764900006000 });

	calls = store_calls_list_json(cx.store, 0, 0, 10);
	ck_assert_ptr_nonnull(calls);
	ck_assert_int_eq(json_array_size(calls), 2);
	ck_assert_str_eq(calls_text(json_array_get(calls, 1), "caller"), "bob");
	ck_assert_str_eq(calls_text(json_array_get(calls, 1), "call_id"),
	    "no-ticket-1");
	call = json_array_get(calls, 0);
	ck_assert(json_is_null(json_object_get(call, "ticket_id")));
	ck_assert(json_is_null(json_object_get(call, "ticket_code")));
	ck_assert_str_eq(calls_text(call, "caller"), "alice");
	ck_assert(json_is_null(json_object_get(call, "answered_at")));
	ck_assert(json_is_null(json_object_get(call, "talk_ms")));
	ck_assert_int_eq(json_array_size(json_object_get(call,
	    "dtmf_methods")), 0);
	ck_assert(json_is_null(json_object_get(call, "recording_sha256")));
	ck_assert_int_eq(cx.recorded_events, 0);
	json_decref(calls);

	calls = store_calls_list_json(cx.store, 1764900000001, 0, 10);
	ck_assert_int_eq(json_array_size(calls), 1);
	json_decref(calls);
}
END_TEST

START_TEST(test_call_record_without_call_id)
{
	ck_assert_int_eq(hub_call_record(&cx.channel, &(struct hub_call){
	    .caller = "0912345678", .started_at_ms = 1 }, NULL, NULL), -1);
}
END_TEST

/* Runs apply with arg as one store job and returns its result. */
struct calls_job {
	struct store_job job;
	int (*apply)(struct store_tx *tx, void *arg);
	void *arg;
	bool done;
	int result;
};

static int
calls_job_apply(struct store_tx *tx, void *arg)
{
	struct calls_job *job = arg;

	return job->apply(tx, job->arg);
}

static void
calls_job_done(int result, void *arg)
{
	struct calls_job *job = arg;

	job->done = true;
	job->result = result;
}

static int
calls_job_run(int (*apply)(struct store_tx *tx, void *arg), void *arg)
{
	struct calls_job job = { .apply = apply, .arg = arg };

	job.job = (struct store_job){ .apply = calls_job_apply,
	    .done = calls_job_done, .arg = &job };
	ck_assert_int_eq(store_submit(cx.store, &job.job), 0);
	calls_run_until(&job.done);
	return job.result;
}

/* Erases the ticket and its citizen in one store job, as the erasure
 * does. */
struct calls_erase {
	int64_t ticket_id;
	int64_t citizen_id;
};

static int
calls_erase_apply(struct store_tx *tx, void *arg)
{
	struct calls_erase *erase = arg;
	struct store_anonymized counts;
	int rc;

	memset(&counts, 0, sizeof(counts));
	rc = store_tx_ticket_anonymize(tx, erase->ticket_id, clock_now_ms(),
	    &counts);
	if (rc == 0)
		rc = store_tx_citizen_anonymize(tx, erase->citizen_id,
		    clock_now_ms(), &counts);
	store_anonymized_clear(&counts);
	return rc;
}

START_TEST(test_call_caller_erased)
{
	struct calls_answer ticket;
	struct store_ticket row;
	struct calls_erase erase = { 0 };
	char sha256[65];
	json_t *calls;

	calls_ticket("0912345678", "RIFF erased", &ticket, sha256);
	calls_record(&(struct hub_call){ .call_id = "erase-ticket",
	    .caller = "0912345678", .started_at_ms = 1764900000000,
	    .ended_at_ms = 1764900060000, .ticket_code = ticket.code,
	    .recording_sha256 = sha256, .recording_ms = 3000 });
	/* A later call of the same number that reached no ticket. */
	calls_record(&(struct hub_call){ .call_id = "erase-lookup",
	    .caller = "+84 912 345 678", .started_at_ms = 1764900100000,
	    .ended_at_ms = 1764900110000 });
	calls_record(&(struct hub_call){ .call_id = "someone-else",
	    .caller = "0987654321", .started_at_ms = 1764900200000,
	    .ended_at_ms = 1764900210000 });
	ck_assert_int_eq(store_ticket_get(cx.store, ticket.ticket_id, &row), 1);
	erase.citizen_id = row.citizen_id;
	store_ticket_clear(&row);
	ck_assert_int_ne(erase.citizen_id, 0);

	erase.ticket_id = ticket.ticket_id;
	ck_assert_int_eq(calls_job_run(calls_erase_apply, &erase), 0);

	calls = store_calls_list_json(cx.store, 0, 0, 10);
	ck_assert_int_eq(json_array_size(calls), 3);
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 0),
	    "caller")));
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 0),
	    "caller_raw")));
	ck_assert_str_eq(calls_text(json_array_get(calls, 0),
	    "recording_sha256"), STORE_ERASED_SHA256);
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 1),
	    "caller")));
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 1),
	    "caller_raw")));
	ck_assert_str_eq(calls_text(json_array_get(calls, 2), "caller"),
	    "+84987654321");
	json_decref(calls);
}
END_TEST

static int
calls_retention_apply(struct store_tx *tx, void *arg)
{
	struct store_retention_run *run = arg;

	return store_tx_retention_run(tx, run);
}

START_TEST(test_call_caller_retention)
{
	struct store_retention_run run = { .closed_before = 1764900050000,
	    .now_ms = 1764900100000, .max_tickets = 10 };
	json_t *calls;

	calls_record(&(struct hub_call){ .call_id = "old-lookup",
	    .caller = "0912345678", .started_at_ms = 1764900000000,
	    .ended_at_ms = 1764900010000 });
	calls_record(&(struct hub_call){ .call_id = "new-lookup",
	    .caller = "0912345678", .started_at_ms = 1764900060000,
	    .ended_at_ms = 1764900070000 });
	ck_assert_int_eq(calls_job_run(calls_retention_apply, &run), 0);
	store_anonymized_clear(&run.counts);

	calls = store_calls_list_json(cx.store, 0, 0, 10);
	ck_assert_int_eq(json_array_size(calls), 2);
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 0),
	    "caller")));
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 0),
	    "caller_raw")));
	ck_assert_str_eq(calls_text(json_array_get(calls, 1), "caller"),
	    "+84912345678");
	json_decref(calls);
}
END_TEST

START_TEST(test_public_view_resolved_at)
{
	struct calls_answer ticket;
	char sha256[65];
	json_t *view;

	calls_ticket("0912345678", "RIFF public", &ticket, sha256);
	view = hub_ticket_public(&cx.channel, ticket.code);
	ck_assert_ptr_nonnull(view);
	ck_assert_str_eq(calls_text(view, "status"), "new");
	ck_assert(json_is_null(json_object_get(view, "resolved_at")));
	json_decref(view);
}
END_TEST

Suite *
calls_suite(void)
{
	Suite *suite = suite_create("calls");
	TCase *tcase = tcase_create("record");

	tcase_add_checked_fixture(tcase, calls_setup, calls_teardown);
	tcase_set_timeout(tcase, 30);
	tcase_add_test(tcase, test_call_attached_to_ticket);
	tcase_add_test(tcase, test_call_without_ticket);
	tcase_add_test(tcase, test_call_record_without_call_id);
	tcase_add_test(tcase, test_call_caller_erased);
	tcase_add_test(tcase, test_call_caller_retention);
	tcase_add_test(tcase, test_public_view_resolved_at);
	suite_add_tcase(suite, tcase);
	return suite;
}

#ifdef HUB_TEST_SIP
/* --- Suite "ivr_hub" ------------------------------------------------------------ */

/* Writes size bytes of a fake recording to name under the fixture's
 * directory; fills path and the content's SHA-256 in hex. */
static void
ivr_hub_wav(const char *name, size_t size, char path[256], char sha256[65])
{
	unsigned char *data = malloc(size), digest[crypto_hash_sha256_BYTES];
	FILE *file;

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 7);
	memcpy(data, "RIFF", 4);
	snprintf(path, 256, "%s/%s", cx.dir, name);
	file = fopen(path, "wb");
	ck_assert_ptr_nonnull(file);
	ck_assert_uint_eq(fwrite(data, 1, size, file), size);
	fclose(file);
	crypto_hash_sha256(digest, data, size);
	sodium_bin2hex(sha256, 65, digest, sizeof(digest));
	free(data);
}

static struct ivr_hub_msg *
ivr_hub_message(enum ivr_hub_type type, uint64_t call, const char *call_id)
{
	struct ivr_hub_msg *message = ivr_msg_new(sizeof(*message), type);

	ck_assert_ptr_nonnull(message);
	message->call = call;
	snprintf(message->call_id, sizeof(message->call_id), "%s", call_id);
	snprintf(message->caller, sizeof(message->caller), "0912345678");
	snprintf(message->callee, sizeof(message->callee), "1022");
	snprintf(message->language, sizeof(message->language), "vi");
	return message;
}

static struct ivr_hub_msg *
ivr_hub_report_message(uint64_t call, const char *call_id, const char *path,
    const char *category)
{
	struct ivr_hub_msg *message = ivr_hub_message(IVR_HUB_REPORT, call,
	    call_id);

	snprintf(message->category, sizeof(message->category), "%s", category);
	snprintf(message->recording_path, sizeof(message->recording_path),
	    "%s", path);
	message->recording_ms = 41600;
	return message;
}

static struct ivr_hub_msg *
ivr_hub_done_message(uint64_t call, const char *call_id)
{
	struct ivr_hub_msg *message = ivr_hub_message(IVR_HUB_CALL_DONE, call,
	    call_id);

	message->started_at_ms = 1764900000000;
	message->answered_at_ms = 1764900001000;
	message->ended_at_ms = 1764900050000;
	snprintf(message->path, sizeof(message->path),
	    "main:1 category:2 record");
	message->dtmf_methods = IVR_DTMF_RFC4733 | IVR_DTMF_INBAND;
	snprintf(message->end_reason, sizeof(message->end_reason), "caller");
	return message;
}

/* Runs the loop until the media thread got count messages. */
static void
ivr_hub_wait_media(int count)
{
	bool done = false;

	for (int round = 0; round < 3000 && !done; round++) {
		struct timeval tick = { .tv_usec = 1000 };

		event_base_loopexit(cx.base, &tick);
		event_base_dispatch(cx.base);
		done = cx.media_count >= count;
	}
	ck_assert_int_ge(cx.media_count, count);
}

/* Runs the loop until the calls table has count rows. */
static json_t *
ivr_hub_wait_calls(size_t count)
{
	json_t *calls = NULL;

	for (int round = 0; round < 3000; round++) {
		struct timeval tick = { .tv_usec = 1000 };

		json_decref(calls);
		calls = store_calls_list_json(cx.store, 0, 0, 10);
		ck_assert_ptr_nonnull(calls);
		if (json_array_size(calls) >= count)
			return calls;
		event_base_loopexit(cx.base, &tick);
		event_base_dispatch(cx.base);
	}
	ck_abort_msg("calls not stored in time");
	return NULL;
}

START_TEST(test_ivr_hub_report_then_record)
{
	struct ivr_hub *hub = ivr_hub_new(&cx.ivr);
	char path[256], sha256[65];
	json_t *calls, *call, *detail, *message, *attachment, *contact;
	int64_t ticket_id;

	ck_assert_ptr_nonnull(hub);
	ivr_hub_wav("report.wav", 3000, path, sha256);
	/* The caller hangs up while the report is saved: the record comes
	 * before the report's answer and must wait for it. */
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_report_message(7,
	    "report-call@127.0.0.1", path, "lighting")), 0);
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_done_message(7,
	    "report-call@127.0.0.1")), 0);
	ivr_hub_wait_media(1);
	ck_assert_int_eq(cx.media[0]->type, IVR_MEDIA_REPORT);
	ck_assert_int_eq(cx.media[0]->call, 7);
	ck_assert_int_eq(cx.media[0]->report_status, 0);
	ck_assert_int_eq(strlen(cx.media[0]->code), 10);
	ck_assert_int_ne(access(path, F_OK), 0);

	calls = ivr_hub_wait_calls(1);
	call = json_array_get(calls, 0);
	ck_assert_str_eq(calls_text(call, "ticket_code"), cx.media[0]->code);
	ck_assert_str_eq(calls_text(call, "recording_sha256"), sha256);
	ck_assert_int_eq(json_integer_value(json_object_get(call,
	    "recording_ms")), 41600);
	ck_assert_str_eq(calls_text(call, "caller"), "+84912345678");
	ck_assert_str_eq(calls_text(call, "path"), "main:1 category:2 record");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(call,
	    "dtmf_methods"), 1)), "inband");
	ck_assert(json_is_integer(json_object_get(call,
	    "recording_attachment_id")));
	ticket_id = json_integer_value(json_object_get(call, "ticket_id"));
	json_decref(calls);

	detail = calls_detail(ticket_id);
	ck_assert_str_eq(calls_text(detail, "channel"), "sip");
	ck_assert_str_eq(calls_text(detail, "subject"), "Phản ánh qua tổng đài");
	ck_assert_str_eq(calls_text(detail, "category_hint"), "lighting");
	message = json_array_get(json_object_get(detail, "messages"), 0);
	ck_assert_str_eq(calls_text(message, "body"),
	    "Phản ánh qua tổng đài: ghi âm 42 giây.");
	attachment = json_array_get(json_object_get(message, "attachments"), 0);
	ck_assert_str_eq(calls_text(attachment, "content_type"), "audio/wav");
	ck_assert_int_eq(json_integer_value(json_object_get(attachment,
	    "size")), 3000);
	ck_assert_int_eq(strncmp(calls_text(attachment, "filename"), "call-",
	    5), 0);
	contact = json_array_get(json_object_get(json_object_get(detail,
	    "citizen"), "contacts"), 0);
	ck_assert_str_eq(calls_text(contact, "value"), "+84912345678");
	ck_assert(json_is_false(json_object_get(contact, "verified")));
	json_decref(detail);
	ivr_hub_stop(hub);
	ivr_hub_free(hub);
}
END_TEST

/* A PBX that numbers its Call-IDs can repeat one: the second call opens
 * its own ticket and never hears the first caller's code. */
START_TEST(test_ivr_hub_reused_call_id)
{
	struct ivr_hub *hub = ivr_hub_new(&cx.ivr);
	struct ivr_hub_msg *report;
	char first[256], second[256], sha256[65];

	ivr_hub_wav("first.wav", 3000, first, sha256);
	ivr_hub_wav("second.wav", 2000, second, sha256);
	report = ivr_hub_report_message(8, "1-1234@127.0.0.1", first, "lighting");
	report->started_at_ms = 1764900000000;
	ck_assert_int_eq(ivr_hub_post(hub, report), 0);
	ivr_hub_wait_media(1);
	report = ivr_hub_report_message(9, "1-1234@127.0.0.1", second,
	    "traffic");
	report->started_at_ms = 1764900060000;
	ck_assert_int_eq(ivr_hub_post(hub, report), 0);
	ivr_hub_wait_media(2);
	ck_assert_int_eq(cx.media[0]->report_status, 0);
	ck_assert_int_eq(cx.media[1]->report_status, 0);
	ck_assert_int_eq(strlen(cx.media[1]->code), 10);
	ck_assert_str_ne(cx.media[0]->code, cx.media[1]->code);
	ivr_hub_stop(hub);
	ivr_hub_free(hub);
}
END_TEST

START_TEST(test_ivr_hub_voicemail_in_english)
{
	struct ivr_hub *hub = ivr_hub_new(&cx.ivr);
	struct ivr_hub_msg *report;
	char path[256], sha256[65];
	json_t *calls, *detail;

	ivr_hub_wav("voicemail.wav", 500, path, sha256);
	report = ivr_hub_report_message(8, "voicemail@127.0.0.1", path, "");
	snprintf(report->language, sizeof(report->language), "en");
	snprintf(report->caller, sizeof(report->caller), "anonymous");
	ck_assert_int_eq(ivr_hub_post(hub, report), 0);
	ivr_hub_wait_media(1);
	ck_assert_int_eq(cx.media[0]->report_status, 0);
	/* The record comes after the report's answer this time. */
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_done_message(8,
	    "voicemail@127.0.0.1")), 0);
	calls = ivr_hub_wait_calls(1);
	ck_assert_str_eq(calls_text(json_array_get(calls, 0),
	    "recording_sha256"), sha256);
	detail = calls_detail(json_integer_value(json_object_get(
	    json_array_get(calls, 0), "ticket_id")));
	ck_assert_str_eq(calls_text(detail, "subject"), "Voicemail by phone");
	ck_assert(json_is_null(json_object_get(detail, "category_hint")));
	ck_assert_str_eq(calls_text(json_array_get(json_object_get(detail,
	    "messages"), 0), "body"),
	    "Voicemail by phone: recording of 42 seconds.");
	/* "anonymous" is no phone number: the ticket has no contact. */
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(
	    detail, "citizen"), "contacts")), 0);
	json_decref(detail);
	json_decref(calls);
	ivr_hub_free(hub);
}
END_TEST

START_TEST(test_ivr_hub_report_too_long)
{
	struct ivr_hub *hub = ivr_hub_new(&cx.ivr);
	char path[256], sha256[65];
	json_t *calls;

	cx.ivr.config.max_recording_seconds = 1;
	ivr_hub_wav("long.wav", 16000 + 4096 + 1, path, sha256);
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_report_message(9,
	    "long@127.0.0.1", path, "roads")), 0);
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_done_message(9,
	    "long@127.0.0.1")), 0);
	ivr_hub_wait_media(1);
	ck_assert_int_eq(cx.media[0]->report_status, -1);
	ck_assert_str_eq(cx.media[0]->code, "");
	ck_assert_int_ne(access(path, F_OK), 0);
	calls = ivr_hub_wait_calls(1);
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 0),
	    "ticket_id")));
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 0),
	    "recording_sha256")));
	json_decref(calls);
	ivr_hub_free(hub);
}
END_TEST

START_TEST(test_ivr_hub_lookup)
{
	struct ivr_hub *hub = ivr_hub_new(&cx.ivr);
	struct calls_answer ticket;
	struct ivr_hub_msg *lookup;
	char sha256[65];

	calls_ticket("0912345678", "RIFF lookup", &ticket, sha256);
	lookup = ivr_hub_message(IVR_HUB_LOOKUP, 11, "lookup@127.0.0.1");
	memcpy(lookup->code, ticket.code, sizeof(lookup->code));
	ck_assert_int_eq(ivr_hub_post(hub, lookup), 0);
	lookup = ivr_hub_message(IVR_HUB_LOOKUP, 12, "unknown@127.0.0.1");
	snprintf(lookup->code, sizeof(lookup->code), "0000000000");
	ck_assert_int_eq(ivr_hub_post(hub, lookup), 0);
	ivr_hub_wait_media(2);
	ck_assert_int_eq(cx.media[0]->type, IVR_MEDIA_LOOKUP);
	ck_assert_int_eq(cx.media[0]->call, 11);
	ck_assert_int_eq(cx.media[0]->ticket.found, 1);
	ck_assert_str_eq(cx.media[0]->ticket.status, "new");
	ck_assert_int_eq(cx.media[0]->ticket.resolved_at_ms, 0);
	ck_assert_str_eq(cx.media[0]->ticket.merged_into, "");
	ck_assert_int_eq(cx.media[1]->call, 12);
	ck_assert_int_eq(cx.media[1]->ticket.found, 0);
	ivr_hub_free(hub);
}
END_TEST

/* Renames the tickets table behind the store's back, so that every read
 * of a ticket fails. */
static void
calls_break_tickets(void)
{
	char path[256];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", cx.dir, STORE_DB_FILE);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "ALTER TABLE tickets RENAME TO"
	    " tickets_gone", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

START_TEST(test_ivr_hub_lookup_failure)
{
	struct ivr_hub *hub = ivr_hub_new(&cx.ivr);
	struct calls_answer ticket;
	struct ivr_hub_msg *lookup;
	char sha256[65];

	calls_ticket("0912345678", "RIFF failure", &ticket, sha256);
	errno = 0;
	ck_assert_ptr_null(hub_ticket_public(&cx.channel, "0000000000"));
	ck_assert_int_eq(errno, ENOENT);
	calls_break_tickets();
	errno = 0;
	ck_assert_ptr_null(hub_ticket_public(&cx.channel, ticket.code));
	ck_assert_int_ne(errno, ENOENT);
	ck_assert_int_ne(errno, 0);

	lookup = ivr_hub_message(IVR_HUB_LOOKUP, 13, "failure@127.0.0.1");
	memcpy(lookup->code, ticket.code, sizeof(lookup->code));
	ck_assert_int_eq(ivr_hub_post(hub, lookup), 0);
	ivr_hub_wait_media(1);
	ck_assert_int_eq(cx.media[0]->call, 13);
	ck_assert_int_eq(cx.media[0]->ticket.found, -1);
	ivr_hub_free(hub);
}
END_TEST

START_TEST(test_ivr_hub_stop_refuses_posts)
{
	struct ivr_hub *hub = ivr_hub_new(&cx.ivr);
	struct ivr_hub_msg *lookup;
	char path[256], sha256[65];
	json_t *calls;

	/* Queued before the stop: the record is stored, the lookup is
	 * answered to nobody because the media thread is gone. */
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_done_message(13,
	    "stopped@127.0.0.1")), 0);
	lookup = ivr_hub_message(IVR_HUB_LOOKUP, 14, "stopped-lookup");
	snprintf(lookup->code, sizeof(lookup->code), "0000000000");
	ck_assert_int_eq(ivr_hub_post(hub, lookup), 0);
	cx.ivr.media = NULL;
	ivr_hub_stop(hub);
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_done_message(15,
	    "late@127.0.0.1")), -1);
	/* A report refused after the stop removes its recording. */
	ivr_hub_wav("late.wav", 100, path, sha256);
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_report_message(15,
	    "late@127.0.0.1", path, "roads")), -1);
	ck_assert_int_ne(access(path, F_OK), 0);
	calls = ivr_hub_wait_calls(1);
	ck_assert_int_eq(json_array_size(calls), 1);
	ck_assert_str_eq(calls_text(json_array_get(calls, 0), "call_id"),
	    "stopped@127.0.0.1");
	ck_assert_int_eq(cx.media_count, 0);
	json_decref(calls);
	ivr_hub_free(hub);
}
END_TEST

START_TEST(test_ivr_hub_stop_during_report)
{
	struct ivr_hub *hub = ivr_hub_new(&cx.ivr);
	struct store_ticket ticket;
	char path[256], sha256[65];
	json_t *calls;
	bool opened = false;

	ivr_hub_wav("stopping.wav", 800, path, sha256);
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_report_message(16,
	    "stopping@127.0.0.1", path, "roads")), 0);
	ck_assert_int_eq(ivr_hub_post(hub, ivr_hub_done_message(16,
	    "stopping@127.0.0.1")), 0);
	/* Both are handled by the stop; the record cannot wait for the
	 * report and is stored without its ticket. */
	cx.ivr.media = NULL;
	ivr_hub_stop(hub);
	calls = ivr_hub_wait_calls(1);
	ck_assert(json_is_null(json_object_get(json_array_get(calls, 0),
	    "ticket_id")));
	json_decref(calls);
	/* The report still opens its ticket while the pipeline is open. */
	for (int round = 0; round < 3000 && !opened; round++) {
		struct timeval tick = { .tv_usec = 1000 };

		event_base_loopexit(cx.base, &tick);
		event_base_dispatch(cx.base);
		opened = store_ticket_get(cx.store, 1, &ticket) == 1;
		if (opened)
			store_ticket_clear(&ticket);
	}
	ck_assert(opened);
	ck_assert_int_eq(cx.media_count, 0);
	ivr_hub_free(hub);
}
END_TEST

Suite *
ivr_hub_suite(void)
{
	Suite *suite = suite_create("ivr_hub");
	TCase *tcase = tcase_create("mailbox");

	tcase_add_checked_fixture(tcase, calls_setup, calls_teardown);
	tcase_set_timeout(tcase, 30);
	tcase_add_test(tcase, test_ivr_hub_report_then_record);
	tcase_add_test(tcase, test_ivr_hub_voicemail_in_english);
	tcase_add_test(tcase, test_ivr_hub_report_too_long);
	tcase_add_test(tcase, test_ivr_hub_lookup);
	tcase_add_test(tcase, test_ivr_hub_reused_call_id);
	tcase_add_test(tcase, test_ivr_hub_lookup_failure);
	tcase_add_test(tcase, test_ivr_hub_stop_refuses_posts);
	tcase_add_test(tcase, test_ivr_hub_stop_during_report);
	suite_add_tcase(suite, tcase);
	return suite;
}
#endif
