/* Unit tests of the pipeline: each stage on its own, then whole messages
 * through a real store in a temporary data directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "events.h"
#include "pipeline.h"
#include "pipeline_stages.h"
#include "store.h"
#include "store_casework.h"
#include "template.h"

static const struct hub_config_limits test_limits = {
	.name_chars = 20, .subject_chars = 40, .description_chars = 100,
	.address_chars = 50, .email_chars = 60, .category_chars = 20,
	.external_id_chars = 40,
};

static struct hub_message *
message_with_body(const char *body)
{
	struct hub_message *message = hub_message_new("web");

	ck_assert_ptr_nonnull(message);
	ck_assert_int_eq(hub_message_set(&message->body, body), 0);
	return message;
}

/* --- normalize -------------------------------------------------------------- */

START_TEST(normalize_nfd_becomes_nfc_and_trimmed)
{
	/* "Nguyễn" with the letter and its two marks decomposed. */
	struct hub_message *message = message_with_body(
	    "  Nguye\xcc\x82\xcc\x83n  \n");
	struct hub_error error;

	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), 0);
	ck_assert_str_eq(message->body, "Nguy\xe1\xbb\x85n");
	ck_assert_str_eq(message->language, "vi");
	hub_message_free(message);
}
END_TEST

START_TEST(normalize_invalid_utf8_names_field)
{
	struct hub_message *message = message_with_body("ok");
	struct hub_error error;

	hub_message_set(&message->subject, "bad \xc3\x28 byte");
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), -1);
	ck_assert_int_eq(error.code, HUB_ERR_INVALID_UTF8);
	ck_assert_str_eq(error.field, "subject");
	hub_message_free(message);
}
END_TEST

START_TEST(normalize_too_long_counts_characters)
{
	/* 100 characters of two bytes each fit; 101 do not. */
	char body[256] = "";
	struct hub_message *message;
	struct hub_error error;

	for (int i = 0; i < 100; i++)
		strcat(body, "\xc4\x91");	/* đ */
	message = message_with_body(body);
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), 0);
	hub_message_free(message);

	strcat(body, "\xc4\x91");
	message = message_with_body(body);
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), -1);
	ck_assert_int_eq(error.code, HUB_ERR_FIELD_TOO_LONG);
	ck_assert_str_eq(error.field, "description");
	ck_assert_int_eq(error.limit, 100);
	hub_message_free(message);
}
END_TEST

START_TEST(normalize_missing_description)
{
	struct hub_message *message = message_with_body(" \t\n ");
	struct hub_error error;

	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), -1);
	ck_assert_int_eq(error.code, HUB_ERR_MISSING_FIELD);
	ck_assert_str_eq(error.field, "description");
	hub_message_free(message);
}
END_TEST

START_TEST(normalize_contacts)
{
	struct hub_message *message = message_with_body("x");
	struct hub_error error;

	hub_message_add_contact(message, CONTACT_PHONE, " 0912-345-678 ", false);
	hub_message_add_contact(message, CONTACT_EMAIL, "An@Example.VN", false);
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), 0);
	ck_assert_str_eq(message->contacts[0].value, "+84912345678");
	ck_assert_str_eq(message->contacts[1].value, "An@example.vn");
	hub_message_free(message);

	message = message_with_body("x");
	hub_message_add_contact(message, CONTACT_PHONE, "091234567", false);
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), -1);
	ck_assert_int_eq(error.code, HUB_ERR_INVALID_FIELD);
	ck_assert_str_eq(error.field, "phone");
	hub_message_free(message);

	message = message_with_body("x");
	hub_message_add_contact(message, CONTACT_EMAIL, "no-at-sign", false);
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), -1);
	ck_assert_str_eq(error.field, "email");
	hub_message_free(message);
}
END_TEST

START_TEST(normalize_language_and_location)
{
	struct hub_message *message = message_with_body("x");
	struct hub_error error;

	hub_message_set(&message->language, "EN");
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), 0);
	ck_assert_str_eq(message->language, "en");
	hub_message_free(message);

	message = message_with_body("x");
	hub_message_set(&message->language, "fr");
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), -1);
	ck_assert_int_eq(error.code, HUB_ERR_UNKNOWN_LANGUAGE);
	hub_message_free(message);

	message = message_with_body("x");
	message->has_location = true;
	message->latitude = 91.0;
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), -1);
	ck_assert_str_eq(error.field, "latitude");
	hub_message_free(message);
}
END_TEST

START_TEST(normalize_control_characters)
{
	struct hub_message *message = message_with_body("line one\nline two");
	struct hub_error error;

	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), 0);
	hub_message_set(&message->name, "An\nB");
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), -1);
	ck_assert_str_eq(error.field, "name");
	hub_message_free(message);

	/* C1 controls and bidirectional overrides, in any field. */
	const char *const hidden[] = { "a\xc2\x9b" "b", "a\xe2\x80\xae" "b",
	    "a\xe2\x81\xa6" "b" };
	for (size_t i = 0; i < 3; i++) {
		message = message_with_body(hidden[i]);
		ck_assert_int_eq(pipeline_normalize(message, &test_limits,
		    &error), -1);
		ck_assert_int_eq(error.code, HUB_ERR_INVALID_FIELD);
		ck_assert_str_eq(error.field, "description");
		hub_message_free(message);
	}
	/* Vietnamese letters share lead bytes with them and pass. */
	message = message_with_body("\xe1\xbb\x85 \xc4\x91 \xe2\x80\x9c");
	ck_assert_int_eq(pipeline_normalize(message, &test_limits, &error), 0);
	hub_message_free(message);
}
END_TEST

/* --- dedupe ----------------------------------------------------------------- */

START_TEST(dedupe_keys_do_not_collide)
{
	struct hub_message *a = message_with_body("x"), *b = message_with_body("x");
	char *key_a, *key_b;

	hub_message_set(&a->external_id, "bc");
	hub_message_set(&a->channel, "sms");
	hub_message_set(&b->external_id, "c");
	hub_message_set(&b->channel, "smsb");
	key_a = pipeline_dedupe_external_key(a);
	key_b = pipeline_dedupe_external_key(b);
	ck_assert_str_ne(key_a, key_b);
	ck_assert_ptr_null(pipeline_dedupe_idempotency_key(a));
	free(key_a);
	free(key_b);
	hub_message_free(a);
	hub_message_free(b);
}
END_TEST

START_TEST(dedupe_pending_map)
{
	struct pipeline_pending *pending = pipeline_pending_new();
	int values[1000];
	char key[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		ck_assert_int_eq(pipeline_pending_add(pending, key, &values[i]), 0);
	}
	ck_assert_uint_eq(pipeline_pending_count(pending), 1000);
	for (int i = 0; i < 1000; i += 2) {
		snprintf(key, sizeof(key), "key-%d", i);
		pipeline_pending_remove(pending, key);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		ck_assert_ptr_eq(pipeline_pending_find(pending, key),
		    i % 2 == 0 ? NULL : &values[i]);
	}
	ck_assert_uint_eq(pipeline_pending_count(pending), 500);
	pipeline_pending_free(pending);
}
END_TEST

/* --- acknowledge ------------------------------------------------------------- */

START_TEST(access_token_depends_on_key_and_code)
{
	uint8_t key[32] = { 1 }, other[32] = { 2 };
	char a[PIPELINE_TOKEN_SIZE], b[PIPELINE_TOKEN_SIZE], c[PIPELINE_TOKEN_SIZE];

	pipeline_access_token(key, "3805172961", a);
	pipeline_access_token(key, "3805172961", b);
	ck_assert_str_eq(a, b);
	ck_assert_uint_eq(strlen(a), 32);
	pipeline_access_token(other, "3805172961", c);
	ck_assert_str_ne(a, c);
	pipeline_access_token(key, "3805172970", c);
	ck_assert_str_ne(a, c);
}
END_TEST

START_TEST(status_url_has_token_and_language)
{
	char *url = pipeline_status_url("http://h:1", "123", "abc", "en");

	ck_assert_str_eq(url, "http://h:1/lookup?code=123&token=abc&lang=en");
	free(url);
	url = pipeline_status_url("http://h:1", "123", NULL, "vi");
	ck_assert_str_eq(url, "http://h:1/lookup?code=123");
	free(url);
}
END_TEST

/* --- Whole messages through a store ------------------------------------------ */

struct fixture {
	char dir[64];
	struct event_base *base;
	struct store *store;
	struct templates *templates;
	struct events *events;
	struct hub_config config;
	struct pipeline *pipeline;
	int published;
	int status_changes;	/* "ticket.status_changed" events */
};

static struct fixture fx;

struct outcome {
	bool done;
	struct hub_answer answer;
	char ack[512];
	char token[64];		/* empty when the answer had none */
};

static void
on_event(const char *event, const json_t *payload, void *arg)
{
	fx.published++;
	if (strcmp(event, "ticket.status_changed") == 0)
		fx.status_changes++;
}

static void
fixture_setup(void)
{
	struct store_options options = { .batch_max = 64, .busy_timeout_ms = 1000 };
	struct pipeline_context context;
	char err[256];

	ck_assert_int_ge(sodium_init(), 0);
	memset(&fx, 0, sizeof(fx));
	strcpy(fx.dir, "/tmp/check-pipeline-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	fx.base = event_base_new();
	fx.store = store_open(fx.base, fx.dir, &options, err, sizeof(err));
	ck_assert_msg(fx.store != NULL, "store: %s", err);
	fx.templates = templates_load(TEST_TEMPLATE_DIR, err, sizeof(err));
	ck_assert_msg(fx.templates != NULL, "templates: %s", err);
	fx.events = events_new();
	events_subscribe(fx.events, on_event, NULL);
	fx.config.limits = test_limits;
	fx.config.idempotency_hours = 24;
	fx.config.public_url = "http://127.0.0.1:8080";
	context = (struct pipeline_context){ .config = &fx.config,
	    .store = fx.store, .templates = fx.templates, .events = fx.events };
	fx.pipeline = pipeline_new(&context);
}

static void
fixture_teardown(void)
{
	char command[128];

	store_close(fx.store);
	pipeline_free(fx.pipeline);
	templates_free(fx.templates);
	events_free(fx.events);
	event_base_free(fx.base);
	snprintf(command, sizeof(command), "rm -rf %s", fx.dir);
	ck_assert_int_eq(system(command), 0);
}

static void
on_answer(const struct hub_answer *answer, void *arg)
{
	struct outcome *outcome = arg;

	outcome->done = true;
	outcome->answer = *answer;
	snprintf(outcome->ack, sizeof(outcome->ack), "%s",
	    answer->ack_text != NULL ? answer->ack_text : "");
	snprintf(outcome->token, sizeof(outcome->token), "%s",
	    answer->access_token != NULL ? answer->access_token : "");
	outcome->answer.ack_text = NULL;
	outcome->answer.access_token = NULL;
	outcome->answer.language = NULL;
}

/* Runs the loop until every outcome is done, for two seconds at most. */
static void
wait_for(struct outcome *outcomes, int count)
{
	for (int round = 0; round < 2000; round++) {
		struct timeval tick = { .tv_usec = 1000 };
		bool all = true;

		for (int i = 0; i < count; i++)
			all = all && outcomes[i].done;
		if (all)
			return;
		event_base_loopexit(fx.base, &tick);
		event_base_dispatch(fx.base);
	}
	ck_abort_msg("pipeline did not answer in time");
}

static struct hub_message *
web_report(const char *body, const char *phone, bool verified)
{
	struct hub_message *message = message_with_body(body);

	if (phone != NULL)
		hub_message_add_contact(message, CONTACT_PHONE, phone, verified);
	return message;
}

static void
submit(struct hub_message *message, struct outcome *outcome)
{
	memset(outcome, 0, sizeof(*outcome));
	ck_assert_int_eq(pipeline_submit(fx.pipeline, message, on_answer,
	    outcome), 0);
}

static int64_t
citizen_of(int64_t ticket_id)
{
	struct store_ticket ticket;
	int64_t citizen;

	ck_assert_int_eq(store_ticket_get(fx.store, ticket_id, &ticket), 1);
	citizen = ticket.citizen_id;
	store_ticket_clear(&ticket);
	return citizen;
}

START_TEST(pipeline_creates_ticket_with_ack)
{
	struct outcome outcome;
	char grouped[TICKET_CODE_GROUPED_SIZE];

	submit(web_report("Đèn đường hỏng", "0912345678", false), &outcome);
	wait_for(&outcome, 1);
	ck_assert_int_eq(outcome.answer.status, HUB_ANSWER_CREATED);
	ck_assert(!outcome.answer.duplicate);
	ck_assert_int_eq(ticket_code_parse(outcome.answer.code, grouped), 0);
	ticket_code_group(outcome.answer.code, grouped);
	ck_assert_msg(strstr(outcome.ack, grouped) != NULL,
	    "ack without the code: %s", outcome.ack);
	ck_assert_int_eq(fx.published, 2);	/* ticket and message */
}
END_TEST

START_TEST(pipeline_rejection_stores_nothing)
{
	struct outcome outcome;
	struct store_stats stats;

	submit(web_report("x", "abc", false), &outcome);
	ck_assert(outcome.done);	/* answered before returning */
	ck_assert_int_eq(outcome.answer.status, HUB_ANSWER_REJECTED);
	ck_assert_str_eq(outcome.answer.error.field, "phone");
	ck_assert_int_eq(store_stats(fx.store, &stats), 0);
	ck_assert_int_eq(stats.tickets, 0);
	ck_assert_int_eq(stats.citizens, 0);
}
END_TEST

START_TEST(pipeline_unverified_phone_never_joins_citizen)
{
	struct outcome first, second, third;

	submit(web_report("first report", "0912345678", true), &first);
	wait_for(&first, 1);
	/* Someone types the same phone on a web form and quotes the code. */
	char body[128];

	snprintf(body, sizeof(body), "về mã %s", first.answer.code);
	submit(web_report(body, "0912345678", false), &second);
	wait_for(&second, 1);
	ck_assert_int_ne(second.answer.ticket_id, first.answer.ticket_id);
	ck_assert_int_ne(citizen_of(second.answer.ticket_id),
	    citizen_of(first.answer.ticket_id));

	/* The verified owner of the phone quoting the code joins it. */
	submit(web_report(body, "+84912345678", true), &third);
	wait_for(&third, 1);
	ck_assert_int_eq(third.answer.status, HUB_ANSWER_JOINED);
	ck_assert_int_eq(third.answer.ticket_id, first.answer.ticket_id);
}
END_TEST

START_TEST(pipeline_verified_contact_same_citizen_new_ticket)
{
	struct outcome first, second;

	submit(web_report("one", "0912345678", true), &first);
	wait_for(&first, 1);
	submit(web_report("two, no code", "0912345678", true), &second);
	wait_for(&second, 1);
	ck_assert_int_ne(second.answer.ticket_id, first.answer.ticket_id);
	ck_assert_int_eq(citizen_of(second.answer.ticket_id),
	    citizen_of(first.answer.ticket_id));
}
END_TEST

START_TEST(pipeline_conversation_key_threads)
{
	struct outcome first, second, other;
	struct hub_message *message;

	message = web_report("hello", NULL, false);
	hub_message_set(&message->conversation_key, "chat-1");
	submit(message, &first);
	wait_for(&first, 1);
	message = web_report("more", NULL, false);
	hub_message_set(&message->conversation_key, "chat-1");
	submit(message, &second);
	message = web_report("other", NULL, false);
	hub_message_set(&message->conversation_key, "chat-2");
	submit(message, &other);
	wait_for(&second, 1);
	wait_for(&other, 1);
	ck_assert_int_eq(second.answer.ticket_id, first.answer.ticket_id);
	ck_assert_int_ne(other.answer.ticket_id, first.answer.ticket_id);
}
END_TEST

START_TEST(pipeline_external_id_dedupes_in_flight_and_after)
{
	struct outcome outcomes[3];
	struct store_stats stats;

	for (int i = 0; i < 2; i++) {
		struct hub_message *message = web_report("same", NULL, false);

		hub_message_set(&message->external_id, "gw-42");
		submit(message, &outcomes[i]);
	}
	wait_for(outcomes, 2);
	struct hub_message *later = web_report("same", NULL, false);
	hub_message_set(&later->external_id, "gw-42");
	submit(later, &outcomes[2]);
	wait_for(&outcomes[2], 1);

	ck_assert(!outcomes[0].answer.duplicate);
	ck_assert(outcomes[1].answer.duplicate);
	ck_assert(outcomes[2].answer.duplicate);
	/* A client chooses its external id, so a repeat gets the code but
	 * not the access token, in the answer or in the acknowledgement. */
	ck_assert_uint_eq(strlen(outcomes[0].token), 32);
	ck_assert_ptr_nonnull(strstr(outcomes[0].ack, outcomes[0].token));
	for (int i = 1; i < 3; i++) {
		ck_assert_str_eq(outcomes[i].answer.code, outcomes[0].answer.code);
		ck_assert_int_eq(outcomes[i].answer.message_id,
		    outcomes[0].answer.message_id);
		ck_assert_str_eq(outcomes[i].token, "");
		ck_assert_ptr_null(strstr(outcomes[i].ack, outcomes[0].token));
		ck_assert_ptr_nonnull(strstr(outcomes[i].ack, "lookup?code="));
	}
	ck_assert_int_eq(store_stats(fx.store, &stats), 0);
	ck_assert_int_eq(stats.tickets, 1);
	ck_assert_int_eq(stats.messages, 1);
}
END_TEST

static struct hub_message *
keyed_report(const char *body, const char *key)
{
	struct hub_message *message = web_report(body, NULL, false);

	hub_message_set(&message->idempotency_route, "POST /api/v1/requests");
	hub_message_set(&message->idempotency_key, key);
	crypto_generichash(message->idempotency_body_hash, 32,
	    (const unsigned char *)body, strlen(body), NULL, 0);
	return message;
}

START_TEST(pipeline_idempotency_key)
{
	struct outcome outcomes[4];

	submit(keyed_report("body", "k1"), &outcomes[0]);
	submit(keyed_report("body", "k1"), &outcomes[1]);	/* in flight */
	submit(keyed_report("other body", "k1"), &outcomes[2]);
	ck_assert(outcomes[2].done);
	ck_assert_int_eq(outcomes[2].answer.status, HUB_ANSWER_REJECTED);
	ck_assert_int_eq(outcomes[2].answer.error.code,
	    HUB_ERR_IDEMPOTENCY_MISMATCH);
	wait_for(outcomes, 2);
	ck_assert_str_eq(outcomes[1].answer.code, outcomes[0].answer.code);
	ck_assert(outcomes[1].answer.duplicate);
	/* The same key and body prove the same request: the full answer. */
	ck_assert_str_eq(outcomes[1].token, outcomes[0].token);

	submit(keyed_report("body", "k1"), &outcomes[3]);	/* committed */
	wait_for(&outcomes[3], 1);
	ck_assert(outcomes[3].answer.duplicate);
	ck_assert_str_eq(outcomes[3].token, outcomes[0].token);
	ck_assert_str_eq(outcomes[3].answer.code, outcomes[0].answer.code);
	submit(keyed_report("other body", "k1"), &outcomes[2]);
	ck_assert_int_eq(outcomes[2].answer.error.code,
	    HUB_ERR_IDEMPOTENCY_MISMATCH);
}
END_TEST

START_TEST(pipeline_batch_of_many)
{
	struct outcome outcomes[200];
	struct store_stats stats;

	for (int i = 0; i < 200; i++) {
		char body[32];

		snprintf(body, sizeof(body), "report %d", i);
		submit(web_report(body, "0912345678", false), &outcomes[i]);
	}
	ck_assert_uint_eq(pipeline_in_flight(fx.pipeline), 200);
	wait_for(outcomes, 200);
	ck_assert_uint_eq(pipeline_in_flight(fx.pipeline), 0);
	ck_assert_int_eq(store_stats(fx.store, &stats), 0);
	ck_assert_int_eq(stats.tickets, 200);
	ck_assert_int_eq(stats.citizens, 200);	/* unverified: never merged */
}
END_TEST

static const char desk_config[] =
    "{\"departments\": ["
    " {\"id\": \"moi-truong\", \"name_vi\": \"Môi trường\", \"name_en\": \"Environment\"},"
    " {\"id\": \"giao-thong\", \"name_vi\": \"Giao thông\", \"name_en\": \"Traffic\"},"
    " {\"id\": \"tiep-nhan\", \"name_vi\": \"Tiếp nhận\", \"name_en\": \"Intake\"}],"
    " \"categories\": ["
    " {\"id\": \"environment\", \"name_vi\": \"Môi trường\", \"name_en\": \"Environment\","
    "  \"keywords\": [\"rác\"], \"department\": \"moi-truong\","
    "  \"deadline\": {\"working_hours\": 8}},"
    " {\"id\": \"traffic\", \"name_vi\": \"Giao thông\", \"name_en\": \"Traffic\","
    "  \"keywords\": [\"ổ gà\"], \"department\": \"giao-thong\"}],"
    " \"communes\": [{\"id\": \"my-tho\", \"name\": \"Phường Mỹ Tho\"}],"
    " \"triage_department\": \"tiep-nhan\"}";

/* Loads desk_config into a config of its own and lends its desk to the
 * fixture's config. */
static struct hub_config *
desk_load(void)
{
	struct hub_config *loaded = NULL;
	struct config_error err;
	char path[128];
	FILE *file;

	snprintf(path, sizeof(path), "%s/desk.json", fx.dir);
	file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	fputs(desk_config, file);
	fclose(file);
	ck_assert_msg(config_load(path, &loaded, &err) == 0, "%s", err.message);
	fx.config.desk = loaded->desk;
	return loaded;
}

static void
ticket_expect(int64_t ticket_id, const char *category, const char *department,
    const char *commune, int64_t due_at)
{
	struct store_ticket ticket;

	ck_assert_int_eq(store_ticket_get(fx.store, ticket_id, &ticket), 1);
	ck_assert_pstr_eq(ticket.category, category);
	ck_assert_pstr_eq(ticket.department, department);
	ck_assert_pstr_eq(ticket.commune, commune);
	ck_assert_int_eq(ticket.due_at, due_at);
	store_ticket_clear(&ticket);
}

START_TEST(pipeline_classifies_new_tickets_only)
{
	struct hub_config *loaded = desk_load();
	struct outcome first, joined, unclassified;
	struct hub_message *message;
	/* Monday 2025-01-06 09:00 in Vietnam; eight working hours end on
	 * Tuesday at 09:30. */
	int64_t monday_nine = 1736128800000LL;
	int64_t tuesday_half_past_nine = 1736217000000LL;

	clock_set_fixed_ms(monday_nine);
	message = web_report("Rác thải đầy đường", NULL, false);
	hub_message_set(&message->conversation_key, "chat-7");
	hub_message_set(&message->address, "12 Lê Lợi, phường Mỹ Tho");
	submit(message, &first);
	wait_for(&first, 1);
	ck_assert_int_eq(first.answer.status, HUB_ANSWER_CREATED);
	ticket_expect(first.answer.ticket_id, "environment", "moi-truong",
	    "my-tho", tuesday_half_past_nine);

	/* A later message about a pothole keeps the ticket's category. */
	message = web_report("Còn có ổ gà nữa", NULL, false);
	hub_message_set(&message->conversation_key, "chat-7");
	submit(message, &joined);
	wait_for(&joined, 1);
	ck_assert_int_eq(joined.answer.status, HUB_ANSWER_JOINED);
	ticket_expect(first.answer.ticket_id, "environment", "moi-truong",
	    "my-tho", tuesday_half_past_nine);

	submit(web_report("Xin hỏi giờ làm việc", NULL, false), &unclassified);
	wait_for(&unclassified, 1);
	ticket_expect(unclassified.answer.ticket_id, NULL, "tiep-nhan", NULL, 0);

	clock_set_fixed_ms(0);
	memset(&fx.config.desk, 0, sizeof(fx.config.desk));
	config_free(loaded);
}
END_TEST

START_TEST(pipeline_empty_desk_leaves_ticket_unrouted)
{
	struct outcome outcome;

	submit(web_report("Rác thải đầy đường", NULL, false), &outcome);
	wait_for(&outcome, 1);
	ticket_expect(outcome.answer.ticket_id, NULL, NULL, NULL, 0);
}
END_TEST

/* --- Reopening a resolved ticket ---------------------------------------------- */

/* Monday 2025-01-06 09:00 in Vietnam. */
#define REOPEN_START_MS 1736128800000LL
#define REOPEN_DAY_MS 86400000LL

struct status_job {
	struct store_job job;
	int64_t ticket_id;
	enum lifecycle_status from;
	enum lifecycle_status to;
	int64_t merge_into;	/* 0: a status change, else a merge */
	bool done;
	int result;
};

static int
status_job_apply(struct store_tx *tx, void *arg)
{
	struct status_job *change = arg;
	struct lifecycle_effect effect;

	if (change->merge_into != 0)
		return store_tx_casework_merge(tx, change->ticket_id,
		    change->merge_into, clock_now_ms());
	lifecycle_effect(change->from, change->to, &effect);
	return store_tx_casework_set_status(tx, change->ticket_id, change->to,
	    &effect, clock_now_ms());
}

static void
status_job_done(int result, void *arg)
{
	struct status_job *change = arg;

	change->done = true;
	change->result = result;
}

/* Runs one desk write through the store at the current clock. */
static void
status_job_run(struct status_job *change)
{
	change->job = (struct store_job){ .apply = status_job_apply,
	    .done = status_job_done, .arg = change };
	ck_assert_int_eq(store_submit(fx.store, &change->job), 0);
	for (int round = 0; round < 2000 && !change->done; round++) {
		struct timeval tick = { .tv_usec = 1000 };

		event_base_loopexit(fx.base, &tick);
		event_base_dispatch(fx.base);
	}
	ck_assert_msg(change->done, "store job did not finish in time");
	ck_assert_int_eq(change->result, 0);
}

static void
ticket_set_status(int64_t ticket_id, enum lifecycle_status from,
    enum lifecycle_status to)
{
	struct status_job change = { .ticket_id = ticket_id, .from = from,
	    .to = to };

	status_job_run(&change);
}

/* Checks the status of ticket_id and whether it has a resolved_at. */
static void
ticket_expect_status(int64_t ticket_id, const char *status, bool resolved_at)
{
	json_t *record = store_casework_ticket_json(fx.store, ticket_id,
	    clock_now_ms());

	ck_assert_ptr_nonnull(record);
	ck_assert_str_eq(json_string_value(json_object_get(record, "status")),
	    status);
	ck_assert_int_eq(json_is_string(json_object_get(record,
	    "resolved_at")), resolved_at);
	json_decref(record);
}

static struct hub_message *
chat_message(const char *body, const char *key)
{
	struct hub_message *message = web_report(body, NULL, false);

	hub_message_set(&message->conversation_key, key);
	return message;
}

/* Files a chat message at the clock's time and returns its outcome. */
static void
chat_submit(const char *body, const char *key, struct outcome *outcome)
{
	submit(chat_message(body, key), outcome);
	wait_for(outcome, 1);
	ck_assert_msg(outcome->answer.status == HUB_ANSWER_CREATED ||
	    outcome->answer.status == HUB_ANSWER_JOINED, "status %d",
	    outcome->answer.status);
}

START_TEST(reopen_conversation_within_window)
{
	struct outcome first, later;

	fx.config.desk_reopen_days = 7;
	clock_set_fixed_ms(REOPEN_START_MS);
	chat_submit("Rác chưa được thu gom", "chat-r1", &first);
	ticket_set_status(first.answer.ticket_id, LIFECYCLE_NEW,
	    LIFECYCLE_RESOLVED);
	ticket_expect_status(first.answer.ticket_id, "resolved", true);
	fx.status_changes = 0;

	clock_set_fixed_ms(REOPEN_START_MS + 7 * REOPEN_DAY_MS);
	chat_submit("Rác lại đầy", "chat-r1", &later);
	ck_assert_int_eq(later.answer.status, HUB_ANSWER_JOINED);
	ck_assert_int_eq(later.answer.ticket_id, first.answer.ticket_id);
	ticket_expect_status(first.answer.ticket_id, "in_progress", false);
	ck_assert_int_eq(fx.status_changes, 1);
	clock_set_fixed_ms(0);
}
END_TEST

START_TEST(reopen_conversation_after_window_new_ticket)
{
	struct outcome first, later;

	fx.config.desk_reopen_days = 7;
	clock_set_fixed_ms(REOPEN_START_MS);
	chat_submit("Rác chưa được thu gom", "chat-r2", &first);
	ticket_set_status(first.answer.ticket_id, LIFECYCLE_NEW,
	    LIFECYCLE_RESOLVED);
	fx.status_changes = 0;

	clock_set_fixed_ms(REOPEN_START_MS + 7 * REOPEN_DAY_MS + 1);
	chat_submit("Rác lại đầy", "chat-r2", &later);
	ck_assert_int_eq(later.answer.status, HUB_ANSWER_CREATED);
	ck_assert_int_ne(later.answer.ticket_id, first.answer.ticket_id);
	ticket_expect_status(first.answer.ticket_id, "resolved", true);
	ck_assert_int_eq(fx.status_changes, 0);
	clock_set_fixed_ms(0);
}
END_TEST

START_TEST(reopen_off_with_zero_days)
{
	struct outcome first, later;

	fx.config.desk_reopen_days = 0;
	clock_set_fixed_ms(REOPEN_START_MS);
	chat_submit("Rác chưa được thu gom", "chat-r3", &first);
	ticket_set_status(first.answer.ticket_id, LIFECYCLE_NEW,
	    LIFECYCLE_RESOLVED);
	chat_submit("Rác lại đầy", "chat-r3", &later);
	ck_assert_int_eq(later.answer.status, HUB_ANSWER_CREATED);
	ticket_expect_status(first.answer.ticket_id, "resolved", true);
	clock_set_fixed_ms(0);
}
END_TEST

START_TEST(reopen_never_closed_ticket)
{
	struct outcome first, later;

	fx.config.desk_reopen_days = 7;
	clock_set_fixed_ms(REOPEN_START_MS);
	chat_submit("Rác chưa được thu gom", "chat-r4", &first);
	ticket_set_status(first.answer.ticket_id, LIFECYCLE_NEW,
	    LIFECYCLE_RESOLVED);
	ticket_set_status(first.answer.ticket_id, LIFECYCLE_RESOLVED,
	    LIFECYCLE_CLOSED);
	chat_submit("Rác lại đầy", "chat-r4", &later);
	ck_assert_int_eq(later.answer.status, HUB_ANSWER_CREATED);
	ticket_expect_status(first.answer.ticket_id, "closed", true);
	clock_set_fixed_ms(0);
}
END_TEST

START_TEST(reopen_by_code_needs_verified_contact)
{
	struct outcome first, stranger, owner;
	char body[128];

	fx.config.desk_reopen_days = 7;
	clock_set_fixed_ms(REOPEN_START_MS);
	submit(web_report("Đèn đường hỏng", "0912345678", true), &first);
	wait_for(&first, 1);
	ticket_set_status(first.answer.ticket_id, LIFECYCLE_NEW,
	    LIFECYCLE_RESOLVED);
	snprintf(body, sizeof(body), "Về mã %s: đèn lại hỏng",
	    first.answer.code);

	clock_set_fixed_ms(REOPEN_START_MS + REOPEN_DAY_MS);
	submit(web_report(body, "0987654321", true), &stranger);
	wait_for(&stranger, 1);
	ck_assert_int_eq(stranger.answer.status, HUB_ANSWER_CREATED);
	ticket_expect_status(first.answer.ticket_id, "resolved", true);

	submit(web_report(body, "+84912345678", true), &owner);
	wait_for(&owner, 1);
	ck_assert_int_eq(owner.answer.status, HUB_ANSWER_JOINED);
	ck_assert_int_eq(owner.answer.ticket_id, first.answer.ticket_id);
	ticket_expect_status(first.answer.ticket_id, "in_progress", false);
	clock_set_fixed_ms(0);
}
END_TEST

START_TEST(reopen_merged_code_joins_target)
{
	struct outcome source, target, later;
	struct status_job merge = { 0 };
	char body[128];

	fx.config.desk_reopen_days = 7;
	submit(web_report("Đèn đường hỏng", "0912345678", true), &source);
	wait_for(&source, 1);
	submit(web_report("Đèn đường vẫn hỏng", "0912345678", true), &target);
	wait_for(&target, 1);
	ck_assert_int_ne(source.answer.ticket_id, target.answer.ticket_id);
	merge.ticket_id = source.answer.ticket_id;
	merge.merge_into = target.answer.ticket_id;
	status_job_run(&merge);
	ticket_expect_status(source.answer.ticket_id, "closed", false);

	snprintf(body, sizeof(body), "Mã %s thế nào rồi?", source.answer.code);
	submit(web_report(body, "0912345678", true), &later);
	wait_for(&later, 1);
	ck_assert_int_eq(later.answer.status, HUB_ANSWER_JOINED);
	ck_assert_int_eq(later.answer.ticket_id, target.answer.ticket_id);
}
END_TEST

Suite *
pipeline_suite(void)
{
	Suite *suite = suite_create("pipeline");
	TCase *stages = tcase_create("stages");
	TCase *whole = tcase_create("whole");

	tcase_add_test(stages, normalize_nfd_becomes_nfc_and_trimmed);
	tcase_add_test(stages, normalize_invalid_utf8_names_field);
	tcase_add_test(stages, normalize_too_long_counts_characters);
	tcase_add_test(stages, normalize_missing_description);
	tcase_add_test(stages, normalize_contacts);
	tcase_add_test(stages, normalize_language_and_location);
	tcase_add_test(stages, normalize_control_characters);
	tcase_add_test(stages, dedupe_keys_do_not_collide);
	tcase_add_test(stages, dedupe_pending_map);
	tcase_add_test(stages, access_token_depends_on_key_and_code);
	tcase_add_test(stages, status_url_has_token_and_language);
	suite_add_tcase(suite, stages);

	tcase_add_checked_fixture(whole, fixture_setup, fixture_teardown);
	tcase_set_timeout(whole, 20);
	tcase_add_test(whole, pipeline_creates_ticket_with_ack);
	tcase_add_test(whole, pipeline_rejection_stores_nothing);
	tcase_add_test(whole, pipeline_unverified_phone_never_joins_citizen);
	tcase_add_test(whole, pipeline_verified_contact_same_citizen_new_ticket);
	tcase_add_test(whole, pipeline_conversation_key_threads);
	tcase_add_test(whole, pipeline_external_id_dedupes_in_flight_and_after);
	tcase_add_test(whole, pipeline_idempotency_key);
	tcase_add_test(whole, pipeline_batch_of_many);
	tcase_add_test(whole, pipeline_classifies_new_tickets_only);
	tcase_add_test(whole, pipeline_empty_desk_leaves_ticket_unrouted);
	tcase_add_test(whole, reopen_conversation_within_window);
	tcase_add_test(whole, reopen_conversation_after_window_new_ticket);
	tcase_add_test(whole, reopen_off_with_zero_days);
	tcase_add_test(whole, reopen_never_closed_ticket);
	tcase_add_test(whole, reopen_by_code_needs_verified_contact);
	tcase_add_test(whole, reopen_merged_code_joins_target);
	suite_add_tcase(suite, whole);
	return suite;
}
