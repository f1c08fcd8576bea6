/* Unit tests of the hub's side of mail-like channels: references,
 * attachments, threading by reference, automatic messages, queued
 * acknowledgements and the channels' own state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "api_tickets_internal.h"
#include "attachment.h"
#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "events.h"
#include "lifecycle.h"
#include "module.h"
#include "pipeline.h"
#include "pipeline_stages.h"
#include "reference.h"
#include "store.h"
#include "store_casework.h"
#include "store_mail.h"
#include "store_sendq.h"
#include "template.h"

static const struct hub_config_limits mail_limits = {
	.name_chars = 40, .subject_chars = 80, .description_chars = 400,
	.address_chars = 50, .email_chars = 80, .category_chars = 20,
	.external_id_chars = 80,
};

/* --- References ------------------------------------------------------------ */

static void
mail_key(uint8_t key[REFERENCE_KEY_BYTES], unsigned char fill)
{
	uint8_t token_key[32];

	memset(token_key, fill, sizeof token_key);
	reference_key_derive(token_key, key);
}

START_TEST(reference_round_trip)
{
	uint8_t key[REFERENCE_KEY_BYTES];
	char token[HUB_REFERENCE_TOKEN_SIZE], quoted[128];
	int64_t ticket = 0, message = 0;

	mail_key(key, 1);
	ck_assert_int_eq(reference_make(key, 42, 9001, token, sizeof token), 0);
	ck_assert_msg(strncmp(token, "chub.42.9001.", 13) == 0, "%s", token);
	ck_assert_uint_eq(strlen(token), 13 + 16);
	ck_assert_int_eq(reference_parse(key, token, &ticket, &message), 1);
	ck_assert_int_eq(ticket, 42);
	ck_assert_int_eq(message, 9001);

	snprintf(quoted, sizeof quoted, " <%s@hub.example.vn> ", token);
	ticket = message = 0;
	ck_assert_int_eq(reference_parse(key, quoted, &ticket, &message), 1);
	ck_assert_int_eq(ticket, 42);
	ck_assert_int_eq(message, 9001);
}
END_TEST

START_TEST(reference_rejects_forgeries)
{
	uint8_t key[REFERENCE_KEY_BYTES], other[REFERENCE_KEY_BYTES];
	char token[HUB_REFERENCE_TOKEN_SIZE], changed[HUB_REFERENCE_TOKEN_SIZE];
	char trailing[HUB_REFERENCE_TOKEN_SIZE + 8];
	int64_t ticket, message;
	size_t length;

	mail_key(key, 1);
	mail_key(other, 2);
	ck_assert_int_eq(reference_make(key, 7, 8, token, sizeof token), 0);
	ck_assert_int_eq(reference_parse(other, token, &ticket, &message), 0);

	/* Another ticket id under the same hash. */
	snprintf(changed, sizeof changed, "chub.6.8.%s", token + 9);
	ck_assert_int_eq(reference_parse(key, changed, &ticket, &message), 0);
	/* One hash digit changed. */
	snprintf(changed, sizeof changed, "%s", token);
	length = strlen(changed);
	changed[length - 1] = changed[length - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(reference_parse(key, changed, &ticket, &message), 0);
	/* Upper-case hash digits are not what the hub writes. */
	snprintf(changed, sizeof changed, "%s", token);
	for (char *p = changed + 9; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	if (strcmp(changed, token) != 0)
		ck_assert_int_eq(reference_parse(key, changed, &ticket,
		    &message), 0);

	ck_assert_int_eq(reference_parse(key, "chub.07.8.0123456789abcdef",
	    &ticket, &message), 0);
	ck_assert_int_eq(reference_parse(key, "chub.7.8", &ticket, &message), 0);
	ck_assert_int_eq(reference_parse(key, "", &ticket, &message), 0);
	ck_assert_int_eq(reference_parse(key, NULL, &ticket, &message), 0);
	ck_assert_int_eq(reference_parse(key, "abc@example.vn", &ticket,
	    &message), 0);

	/* Anything after "@domain>" makes it another id. */
	snprintf(trailing, sizeof trailing, "<%s@x>y", token);
	ck_assert_int_eq(reference_parse(key, trailing, &ticket, &message), 0);
	ck_assert_int_eq(reference_make(key, 0, 8, changed, sizeof changed), -1);
	ck_assert_int_eq(reference_make(key, 7, 8, changed, 10), -1);
}
END_TEST

/* --- normalize ------------------------------------------------------------- */

static struct hub_message *
mail_message(const char *body)
{
	struct hub_message *message = hub_message_new("testmail");

	ck_assert_ptr_nonnull(message);
	ck_assert_int_eq(hub_message_set(&message->body, body), 0);
	return message;
}

static const char mail_hash[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

START_TEST(normalize_reference_fields)
{
	struct hub_message *message = mail_message("x");
	struct hub_error error;
	char longer[HUB_REFERENCE_MAX + 2];

	hub_message_set(&message->reference, "abc@mail.example.vn");
	hub_message_add_reference(message, "<parent@mail.example.vn>");
	ck_assert_int_eq(pipeline_normalize(message, &mail_limits, &error), 0);
	ck_assert_str_eq(message->references[0], "parent@mail.example.vn");
	hub_message_free(message);

	message = mail_message("x");
	hub_message_set(&message->reference, "two words@x");
	ck_assert_int_eq(pipeline_normalize(message, &mail_limits, &error), -1);
	ck_assert_int_eq(error.code, HUB_ERR_INVALID_FIELD);
	ck_assert_str_eq(error.field, "reference");
	hub_message_free(message);

	message = mail_message("x");
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	hub_message_set(&message->reference, longer);
	ck_assert_int_eq(pipeline_normalize(message, &mail_limits, &error), -1);
	ck_assert_str_eq(error.field, "reference");
	hub_message_free(message);

	/* A channel that fills references itself is checked as well. */
	message = mail_message("x");
	hub_message_add_reference(message, "good@x");
	message->references[message->reference_count++] =
	    strdup("b\xc3\xa0\x64@x");
	ck_assert_int_eq(pipeline_normalize(message, &mail_limits, &error), -1);
	ck_assert_str_eq(error.field, "references[1]");
	hub_message_free(message);
}
END_TEST

START_TEST(normalize_attachment_fields)
{
	struct hub_message *message = mail_message("x");
	struct hub_error error;

	/* "bá.pdf" with the accent decomposed, and an upper-case type. */
	ck_assert_int_eq(hub_message_add_attachment(message, mail_hash,
	    " ba\xcc\x81.pdf ", "Application/PDF", 10), 0);
	ck_assert_int_eq(hub_message_add_attachment(message, mail_hash, NULL,
	    NULL, 0), 0);
	ck_assert_int_eq(pipeline_normalize(message, &mail_limits, &error), 0);
	ck_assert_str_eq(message->attachments[0].filename, "b\xc3\xa1.pdf");
	ck_assert_str_eq(message->attachments[0].content_type,
	    "application/pdf");
	ck_assert_ptr_null(message->attachments[1].filename);
	ck_assert_str_eq(message->attachments[1].content_type,
	    "application/octet-stream");
	hub_message_free(message);

	static const char *const bad_names[] = { "../etc/passwd", "a\\b.txt",
	    "line\nbreak", "tab\there", "bell\a", "..", "bad \xc3\x28" };
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		message = mail_message("x");
		hub_message_add_attachment(message, mail_hash, "ok.txt",
		    "text/plain", 1);
		hub_message_add_attachment(message, mail_hash, bad_names[i],
		    "text/plain", 1);
		ck_assert_int_eq(pipeline_normalize(message, &mail_limits,
		    &error), -1);
		ck_assert_msg(strcmp(error.field, "attachments[1].filename") ==
		    0, "name %zu: field %s", i, error.field);
		hub_message_free(message);
	}

	static const char *const bad_types[] = { "text", "text/", "/plain",
	    "text/plain; charset=utf-8", "text/pl ain", "a/b/c\"" };
	for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
		message = mail_message("x");
		hub_message_add_attachment(message, mail_hash, "f", bad_types[i],
		    1);
		ck_assert_int_eq(pipeline_normalize(message, &mail_limits,
		    &error), -1);
		ck_assert_msg(strcmp(error.field,
		    "attachments[0].content_type") == 0, "type %s: field %s",
		    bad_types[i], error.field);
		hub_message_free(message);
	}

	message = mail_message("x");
	hub_message_add_attachment(message, mail_hash, "f", "text/plain", 1);
	message->attachments[0].sha256[3] = 'G';
	ck_assert_int_eq(pipeline_normalize(message, &mail_limits, &error), -1);
	ck_assert_str_eq(error.field, "attachments[0].sha256");
	hub_message_free(message);
}
END_TEST

/* --- Attachment files -------------------------------------------------------- */

static char mail_dir[64];

static void
mail_dir_make(void)
{
	strcpy(mail_dir, "/tmp/check-mail-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(mail_dir));
}

static void
mail_dir_remove(void)
{
	char command[128];

	snprintf(command, sizeof command, "rm -rf %s", mail_dir);
	ck_assert_int_eq(system(command), 0);
}

static int
mail_referenced(const char *sha256, void *arg)
{
	return strcmp(sha256, arg) == 0;
}

/* Sets the modification time of path seconds into the past. */
static void
mail_age(const char *path, int seconds)
{
	struct timeval times[2];

	gettimeofday(&times[0], NULL);
	times[0].tv_sec -= seconds;
	times[1] = times[0];
	ck_assert_int_eq(utimes(path, times), 0);
}

START_TEST(attachment_store_and_prune)
{
	char first[65], again[65], second[65], path[256], content[16];
	struct stat st;
	FILE *file;
	int64_t orphan_cutoff;

	ck_assert_int_ge(sodium_init(), 0);
	mail_dir_make();
	ck_assert_int_eq(attachment_store(mail_dir, "hello", 5, first), 0);
	/* SHA-256 of "hello". */
	ck_assert_str_eq(first, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa"
	    "7425e73043362938b9824");
	ck_assert_int_eq(attachment_path(mail_dir, first, path, sizeof path), 0);
	ck_assert_msg(strstr(path, "/attachments/2c/2cf24dba") != NULL, "%s",
	    path);
	file = fopen(path, "r");
	ck_assert_ptr_nonnull(file);
	ck_assert_uint_eq(fread(content, 1, sizeof content, file), 5);
	fclose(file);
	ck_assert_int_eq(memcmp(content, "hello", 5), 0);
	ck_assert_int_eq(attachment_store(mail_dir, "hello", 5, again), 0);
	ck_assert_str_eq(again, first);
	ck_assert_int_eq(attachment_store(mail_dir, "", 0, second), 0);
	ck_assert_int_eq(attachment_path(mail_dir, "../x", path, sizeof path),
	    -1);

	/* Two days old: the unreferenced one goes, the referenced stays. */
	attachment_path(mail_dir, first, path, sizeof path);
	mail_age(path, 2 * 86400);
	attachment_path(mail_dir, second, path, sizeof path);
	mail_age(path, 2 * 86400);
	orphan_cutoff = clock_now_ms() - ATTACHMENT_ORPHAN_AGE_MS;
	ck_assert_int_eq(attachment_prune(mail_dir, orphan_cutoff,
	    mail_referenced, first), 1);
	ck_assert_int_ne(stat(path, &st), 0);
	attachment_path(mail_dir, first, path, sizeof path);
	ck_assert_int_eq(stat(path, &st), 0);

	/* A new unreferenced file stays until it is an hour old. */
	ck_assert_int_eq(attachment_store(mail_dir, "new", 3, second), 0);
	ck_assert_int_eq(attachment_prune(mail_dir, orphan_cutoff,
	    mail_referenced, first), 0);
	attachment_path(mail_dir, second, path, sizeof path);
	ck_assert_int_eq(stat(path, &st), 0);
	mail_age(path, 50 * 60);
	ck_assert_int_eq(attachment_prune(mail_dir, orphan_cutoff,
	    mail_referenced, first), 0);
	ck_assert_int_eq(stat(path, &st), 0);

	/* Two hours old, as a rejected message's file would be: removed. */
	mail_age(path, 2 * 3600);
	ck_assert_int_eq(attachment_prune(mail_dir, orphan_cutoff,
	    mail_referenced, first), 1);
	ck_assert_int_ne(stat(path, &st), 0);
	mail_dir_remove();
}
END_TEST

START_TEST(attachment_disposition_forms)
{
	char *value = api_attachment_disposition("b\xc3\xa1o c\xc3\xa1o \"1\".pdf");

	ck_assert_ptr_nonnull(value);
	ck_assert_str_eq(value, "attachment; filename=\"b__o c__o _1_.pdf\"; "
	    "filename*=UTF-8''b%C3%A1o%20c%C3%A1o%20%221%22.pdf");
	free(value);
	value = api_attachment_disposition(NULL);
	ck_assert_str_eq(value, "attachment; filename=\"attachment\"; "
	    "filename*=UTF-8''attachment");
	free(value);
}
END_TEST

/* --- Configuration ------------------------------------------------------------ */

/* Loads text as a config file; returns the config, or NULL with err. */
static struct hub_config *
mail_config_load(const char *text, struct config_error *err)
{
	char path[128];
	struct hub_config *config = NULL;
	FILE *file;

	mail_dir_make();
	snprintf(path, sizeof path, "%s/hub.json", mail_dir);
	file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	ck_assert_int_ge(fputs(text, file), 0);
	ck_assert_int_eq(fclose(file), 0);
	if (config_load(path, &config, err) != 0)
		config = NULL;
	mail_dir_remove();
	return config;
}

START_TEST(config_ack_limits)
{
	struct config_error err;
	struct hub_config *config = mail_config_load("{}\n", &err);

	ck_assert_msg(config != NULL, "%s", err.message);
	ck_assert_int_eq(config->replies.ack_limit_per_recipient, 5);
	ck_assert_int_eq(config->replies.ack_limit_per_ticket, 3);
	ck_assert_int_eq(config->replies.ack_limit_window_minutes, 60);
	config_free(config);

	config = mail_config_load("{\"replies\": {\"ack_limit_per_recipient\": 0,"
	    " \"ack_limit_per_ticket\": 7, \"ack_limit_window_minutes\": 15}}\n",
	    &err);
	ck_assert_msg(config != NULL, "%s", err.message);
	ck_assert_int_eq(config->replies.ack_limit_per_recipient, 0);
	ck_assert_int_eq(config->replies.ack_limit_per_ticket, 7);
	ck_assert_int_eq(config->replies.ack_limit_window_minutes, 15);
	config_free(config);

	config = mail_config_load("{\"replies\": "
	    "{\"ack_limit_window_minutes\": 0}}\n", &err);
	ck_assert_ptr_null(config);
	ck_assert_str_eq(err.path, "replies.ack_limit_window_minutes");
	config = mail_config_load("{\"replies\": "
	    "{\"ack_limit_per_ticket\": \"3\"}}\n", &err);
	ck_assert_ptr_null(config);
	ck_assert_str_eq(err.path, "replies.ack_limit_per_ticket");
}
END_TEST

/* --- Whole messages through a store ------------------------------------------ */

struct mail_fixture {
	char dir[64];
	struct event_base *base;
	struct store *store;
	struct templates *templates;
	struct events *events;
	struct hub_config config;
	struct pipeline *pipeline;
	struct hub_host host;
	struct hub_channel channel;
	int queued;		/* "message.queued" events */
	int64_t queued_message;
};

static struct mail_fixture mx;

struct mail_outcome {
	bool done;
	struct hub_answer answer;
};

static void
mail_on_event(const char *event, const json_t *payload, void *arg)
{
	if (strcmp(event, "message.queued") == 0) {
		mx.queued++;
		mx.queued_message = json_integer_value(json_object_get(payload,
		    "message_id"));
	}
}

static void
mail_setup(void)
{
	struct store_options options = { .batch_max = 64,
	    .busy_timeout_ms = 1000 };
	struct pipeline_context context;
	char err[256];

	ck_assert_int_ge(sodium_init(), 0);
	memset(&mx, 0, sizeof mx);
	strcpy(mx.dir, "/tmp/check-mail-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(mx.dir));
	mx.base = event_base_new();
	mx.store = store_open(mx.base, mx.dir, &options, err, sizeof err);
	ck_assert_msg(mx.store != NULL, "store: %s", err);
	mx.templates = templates_load(TEST_TEMPLATE_DIR, err, sizeof err);
	ck_assert_msg(mx.templates != NULL, "templates: %s", err);
	mx.events = events_new();
	events_subscribe(mx.events, mail_on_event, NULL);
	mx.config.limits = mail_limits;
	mx.config.idempotency_hours = 24;
	mx.config.desk_reopen_days = 7;
	mx.config.public_url = "http://127.0.0.1:8080";
	mx.config.replies.ack_limit_per_recipient = 2;
	mx.config.replies.ack_limit_per_ticket = 3;
	mx.config.replies.ack_limit_window_minutes = 60;
	context = (struct pipeline_context){ .config = &mx.config,
	    .store = mx.store, .templates = mx.templates,
	    .events = mx.events };
	mx.pipeline = pipeline_new(&context);
	mx.host = (struct hub_host){ .base = mx.base, .config = &mx.config,
	    .pipeline = mx.pipeline, .store = mx.store,
	    .templates = mx.templates };
	mx.channel = (struct hub_channel){ .name = "testmail",
	    .host = &mx.host };
}

static void
mail_teardown(void)
{
	char command[128];

	store_close(mx.store);
	pipeline_free(mx.pipeline);
	templates_free(mx.templates);
	events_free(mx.events);
	event_base_free(mx.base);
	snprintf(command, sizeof command, "rm -rf %s", mx.dir);
	ck_assert_int_eq(system(command), 0);
	clock_set_fixed_ms(0);
}

static void
mail_on_answer(const struct hub_answer *answer, void *arg)
{
	struct mail_outcome *outcome = arg;

	outcome->done = true;
	outcome->answer = *answer;
	outcome->answer.ack_text = NULL;
	outcome->answer.access_token = NULL;
	outcome->answer.language = NULL;
}

static void
mail_run_until(const bool *done)
{
	for (int round = 0; round < 2000 && !*done; round++) {
		struct timeval tick = { .tv_usec = 1000 };

		event_base_loopexit(mx.base, &tick);
		event_base_dispatch(mx.base);
	}
	ck_assert_msg(*done, "no answer in time");
}

/* A mail from address with its own reference and the ones it replies to
 * (NULL-terminated). */
static struct hub_message *
mail_from(const char *address, const char *body, const char *reference,
    const char *const *references)
{
	struct hub_message *message = mail_message(body);

	if (address != NULL)
		ck_assert_int_eq(hub_message_add_contact(message, CONTACT_EMAIL,
		    address, true), 0);
	if (reference != NULL)
		hub_message_set(&message->reference, reference);
	for (size_t i = 0; references != NULL && references[i] != NULL; i++)
		hub_message_add_reference(message, references[i]);
	hub_message_set(&message->subject, "Đèn đường hỏng");
	return message;
}

static enum hub_answer_status
mail_submit(struct hub_message *message, struct mail_outcome *outcome)
{
	memset(outcome, 0, sizeof *outcome);
	ck_assert_int_eq(pipeline_submit(mx.pipeline, message, mail_on_answer,
	    outcome), 0);
	mail_run_until(&outcome->done);
	return outcome->answer.status;
}

/* Sets the status of ticket_id through a store job. */
struct mail_status_job {
	struct store_job job;
	int64_t ticket_id;
	enum lifecycle_status from, to;
	bool done;
	int result;
};

static int
mail_status_apply(struct store_tx *tx, void *arg)
{
	struct mail_status_job *change = arg;
	struct lifecycle_effect effect;

	lifecycle_effect(change->from, change->to, &effect);
	return store_tx_casework_set_status(tx, change->ticket_id, change->to,
	    &effect, clock_now_ms());
}

static void
mail_status_done(int result, void *arg)
{
	struct mail_status_job *change = arg;

	change->result = result;
	change->done = true;
}

static void
mail_resolve(int64_t ticket_id)
{
	struct mail_status_job change = { .ticket_id = ticket_id,
	    .from = LIFECYCLE_NEW, .to = LIFECYCLE_RESOLVED };

	change.job = (struct store_job){ .apply = mail_status_apply,
	    .done = mail_status_done, .arg = &change };
	ck_assert_int_eq(store_submit(mx.store, &change.job), 0);
	mail_run_until(&change.done);
	ck_assert_int_eq(change.result, 0);
}

static const char *
mail_status_of(int64_t ticket_id)
{
	static char status[32];
	struct store_ticket ticket;

	ck_assert_int_eq(store_ticket_get(mx.store, ticket_id, &ticket), 1);
	snprintf(status, sizeof status, "%s", ticket.status);
	store_ticket_clear(&ticket);
	return status;
}

static int64_t
mail_ticket_count(void)
{
	struct store_stats stats;

	ck_assert_int_eq(store_stats(mx.store, &stats), 0);
	return stats.tickets;
}

START_TEST(channel_reference_round_trip)
{
	char token[HUB_REFERENCE_TOKEN_SIZE], quoted[128];
	int64_t ticket = 0, message = 0;
	uint8_t key[REFERENCE_KEY_BYTES];

	ck_assert_int_eq(hub_channel_reference(&mx.channel, 12, 34, token), 0);
	snprintf(quoted, sizeof quoted, "<%s@hub.example.vn>", token);
	ck_assert_int_eq(hub_channel_reference_parse(&mx.channel, quoted,
	    &ticket, &message), 1);
	ck_assert_int_eq(ticket, 12);
	ck_assert_int_eq(message, 34);

	/* The key is the store's: another key does not verify it. */
	mail_key(key, 9);
	ck_assert_int_eq(reference_parse(key, token, &ticket, &message), 0);
}
END_TEST

START_TEST(thread_by_own_reference)
{
	struct mail_outcome first, reply, forged;
	char token[HUB_REFERENCE_TOKEN_SIZE], forgery[HUB_REFERENCE_TOKEN_SIZE];
	const char *refs[2] = { token, NULL };
	const char *forged_refs[2] = { forgery, NULL };
	size_t length;

	ck_assert_int_eq(mail_submit(mail_from("an@example.vn", "Đèn hỏng",
	    "m1@mail.example.vn", NULL), &first), HUB_ANSWER_CREATED);
	ck_assert_int_eq(hub_channel_reference(&mx.channel,
	    first.answer.ticket_id, first.answer.message_id + 100, token), 0);

	/* Another address quoting the hub's reference joins: the hash proves
	 * the hub wrote it. */
	ck_assert_int_eq(mail_submit(mail_from("other@example.vn", "Vẫn hỏng",
	    NULL, refs), &reply), HUB_ANSWER_JOINED);
	ck_assert_int_eq(reply.answer.ticket_id, first.answer.ticket_id);

	snprintf(forgery, sizeof forgery, "%s", token);
	length = strlen(forgery);
	forgery[length - 1] = forgery[length - 1] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(mail_submit(mail_from("other@example.vn", "Giả mạo",
	    NULL, forged_refs), &forged), HUB_ANSWER_CREATED);
	ck_assert_int_ne(forged.answer.ticket_id, first.answer.ticket_id);
}
END_TEST

START_TEST(thread_by_channel_reference)
{
	struct mail_outcome first, reply, stranger, elsewhere;
	const char *refs[] = { "unknown@x", "m1@mail.example.vn", NULL };
	struct hub_message *message;

	ck_assert_int_eq(mail_submit(mail_from("an@example.vn", "Đèn hỏng",
	    "m1@mail.example.vn", NULL), &first), HUB_ANSWER_CREATED);
	ck_assert_int_eq(mail_submit(mail_from("an@example.vn", "Trả lời",
	    "m2@mail.example.vn", refs), &reply), HUB_ANSWER_JOINED);
	ck_assert_int_eq(reply.answer.ticket_id, first.answer.ticket_id);

	/* Someone who only saw the citizen's Message-ID (in Cc, say) is
	 * not on the ticket, so quoting it opens a ticket of their own. */
	ck_assert_int_eq(mail_submit(mail_from("cc@example.vn", "Trả lời",
	    "m3@mail.example.vn", refs), &stranger), HUB_ANSWER_CREATED);
	ck_assert_int_ne(stranger.answer.ticket_id, first.answer.ticket_id);

	/* The same id through another channel is another message. */
	message = mail_from("an@example.vn", "Trả lời", NULL, refs);
	hub_message_set(&message->channel, "otherchannel");
	ck_assert_int_eq(mail_submit(message, &elsewhere), HUB_ANSWER_CREATED);
	ck_assert_int_ne(elsewhere.answer.ticket_id, first.answer.ticket_id);
}
END_TEST

START_TEST(thread_reference_reopens_within_window)
{
	struct mail_outcome first, reply;
	const char *refs[] = { "m1@mail.example.vn", NULL };

	clock_set_fixed_ms(1736128800000LL);
	ck_assert_int_eq(mail_submit(mail_from("an@example.vn", "Đèn hỏng",
	    "m1@mail.example.vn", NULL), &first), HUB_ANSWER_CREATED);
	mail_resolve(first.answer.ticket_id);
	ck_assert_int_eq(mail_submit(mail_from("an@example.vn", "Vẫn hỏng",
	    NULL, refs), &reply), HUB_ANSWER_JOINED);
	ck_assert_int_eq(reply.answer.ticket_id, first.answer.ticket_id);
	ck_assert_str_eq(mail_status_of(first.answer.ticket_id), "in_progress");
}
END_TEST

START_TEST(automatic_dropped_without_ticket)
{
	struct mail_outcome outcome;
	struct hub_message *message = mail_from("mailer-daemon@example.vn",
	    "Undeliverable", "bounce1@example.vn", NULL);

	message->automatic = true;
	message->ack = HUB_ACK_QUEUE;
	ck_assert_int_eq(mail_submit(message, &outcome), HUB_ANSWER_DROPPED);
	ck_assert_int_eq(outcome.answer.error.code, HUB_OK);
	ck_assert_int_eq(outcome.answer.ticket_id, 0);
	ck_assert_int_eq(mail_ticket_count(), 0);
	ck_assert_int_eq(mx.queued, 0);
}
END_TEST

START_TEST(automatic_joins_open_never_reopens)
{
	struct mail_outcome first, joined, dropped;
	const char *refs[] = { "m1@mail.example.vn", NULL };
	struct hub_message *message;
	json_t *detail, *messages;

	clock_set_fixed_ms(1736128800000LL);
	ck_assert_int_eq(mail_submit(mail_from("an@example.vn", "Đèn hỏng",
	    "m1@mail.example.vn", NULL), &first), HUB_ANSWER_CREATED);
	message = mail_from("an@example.vn", "Out of office", NULL, refs);
	message->automatic = true;
	ck_assert_int_eq(mail_submit(message, &joined), HUB_ANSWER_JOINED);
	ck_assert_int_eq(joined.answer.ticket_id, first.answer.ticket_id);

	detail = store_casework_ticket_detail_json(mx.store,
	    first.answer.ticket_id, clock_now_ms());
	ck_assert_ptr_nonnull(detail);
	messages = json_object_get(detail, "messages");
	ck_assert_uint_eq(json_array_size(messages), 2);
	ck_assert(json_is_false(json_object_get(json_array_get(messages, 0),
	    "automatic")));
	ck_assert(json_is_true(json_object_get(json_array_get(messages, 1),
	    "automatic")));
	json_decref(detail);

	mail_resolve(first.answer.ticket_id);
	message = mail_from("an@example.vn", "Out of office", NULL, refs);
	message->automatic = true;
	ck_assert_int_eq(mail_submit(message, &dropped), HUB_ANSWER_DROPPED);
	ck_assert_str_eq(mail_status_of(first.answer.ticket_id), "resolved");
	ck_assert_int_eq(mail_ticket_count(), 1);
}
END_TEST

/* Reads the queued messages, which the test clears. */
static int
mail_queued(struct store_sendq_message *messages, size_t limit)
{
	int count = store_sendq_due(mx.store, clock_now_ms() + 1, "[]",
	    messages, limit);

	ck_assert_int_ge(count, 0);
	return count;
}

START_TEST(queued_ack_and_recipient_limit)
{
	struct store_sendq_message queued[8];
	struct mail_outcome outcomes[4];
	char grouped[TICKET_CODE_GROUPED_SIZE];
	struct hub_message *message;
	int count;

	for (int i = 0; i < 3; i++) {
		message = mail_from("an@example.vn", "Đèn hỏng", NULL, NULL);
		message->ack = HUB_ACK_QUEUE;
		ck_assert_int_eq(mail_submit(message, &outcomes[i]),
		    HUB_ANSWER_CREATED);
	}
	/* The limit is two per recipient: the third ticket gets none. */
	count = mail_queued(queued, 8);
	ck_assert_int_eq(count, 2);
	ck_assert_int_eq(mx.queued, 2);
	ck_assert_str_eq(queued[0].kind, "ack");
	ck_assert_str_eq(queued[0].channel, "testmail");
	ck_assert_int_eq(queued[0].ticket_id, outcomes[0].answer.ticket_id);
	ck_assert_str_eq(queued[0].addressee.to, "an@example.vn");
	ticket_code_group(outcomes[0].answer.code, grouped);
	ck_assert_msg(strstr(queued[0].body, grouped) != NULL, "%s",
	    queued[0].body);
	ck_assert_msg(strstr(queued[0].body, "token=") != NULL, "%s",
	    queued[0].body);
	ck_assert_int_eq(mx.queued_message, queued[1].id);
	for (int i = 0; i < count; i++)
		store_sendq_message_clear(&queued[i]);

	/* Another address still gets its own; answer mode and no contact
	 * queue nothing. */
	message = mail_from("binh@example.vn", "Cây đổ", NULL, NULL);
	message->ack = HUB_ACK_QUEUE;
	ck_assert_int_eq(mail_submit(message, &outcomes[3]), HUB_ANSWER_CREATED);
	message = mail_from(NULL, "Không địa chỉ", NULL, NULL);
	message->ack = HUB_ACK_QUEUE;
	ck_assert_int_eq(mail_submit(message, &outcomes[3]), HUB_ANSWER_CREATED);
	message = mail_from("chi@example.vn", "Trả lời tại chỗ", NULL, NULL);
	ck_assert_int_eq(mail_submit(message, &outcomes[3]), HUB_ANSWER_CREATED);
	count = mail_queued(queued, 8);
	ck_assert_int_eq(count, 3);
	ck_assert_str_eq(queued[2].addressee.to, "binh@example.vn");
	for (int i = 0; i < count; i++)
		store_sendq_message_clear(&queued[i]);
}
END_TEST

START_TEST(queued_ack_not_for_joined_message)
{
	struct store_sendq_message queued[4];
	struct mail_outcome first, reply;
	const char *refs[] = { "m1@mail.example.vn", NULL };
	struct hub_message *message;
	int count;

	message = mail_from("an@example.vn", "Đèn hỏng", "m1@mail.example.vn",
	    NULL);
	message->ack = HUB_ACK_QUEUE;
	ck_assert_int_eq(mail_submit(message, &first), HUB_ANSWER_CREATED);
	message = mail_from("an@example.vn", "Vẫn hỏng", NULL, refs);
	message->ack = HUB_ACK_QUEUE;
	ck_assert_int_eq(mail_submit(message, &reply), HUB_ANSWER_JOINED);
	count = mail_queued(queued, 4);
	ck_assert_int_eq(count, 1);
	for (int i = 0; i < count; i++)
		store_sendq_message_clear(&queued[i]);
}
END_TEST

START_TEST(attachments_stored_and_listed)
{
	struct mail_outcome outcome;
	struct hub_message *message = mail_from("an@example.vn", "Ảnh",
	    NULL, NULL);
	struct store_attachment attachment;
	json_t *detail, *attachments;
	char sha256[65];

	ck_assert_int_eq(hub_channel_store_blob(&mx.channel, "photo", 5,
	    sha256), 0);
	hub_message_add_attachment(message, sha256, "ảnh.jpg", "IMAGE/JPEG", 5);
	ck_assert_int_eq(mail_submit(message, &outcome), HUB_ANSWER_CREATED);

	detail = store_casework_ticket_detail_json(mx.store,
	    outcome.answer.ticket_id, clock_now_ms());
	ck_assert_ptr_nonnull(detail);
	attachments = json_object_get(json_array_get(json_object_get(detail,
	    "messages"), 0), "attachments");
	ck_assert_uint_eq(json_array_size(attachments), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    attachments, 0), "filename")), "ảnh.jpg");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    attachments, 0), "content_type")), "image/jpeg");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    attachments, 0), "size")), 5);

	ck_assert_int_eq(store_attachment_get(mx.store,
	    outcome.answer.ticket_id, json_integer_value(json_object_get(
	    json_array_get(attachments, 0), "id")), &attachment), 1);
	ck_assert_str_eq(attachment.sha256, sha256);
	store_attachment_clear(&attachment);
	ck_assert_int_eq(store_attachment_get(mx.store,
	    outcome.answer.ticket_id + 1, 1, &attachment), 0);
	ck_assert_int_eq(store_attachment_referenced(mx.store, sha256), 1);
	ck_assert_int_eq(store_attachment_referenced(mx.store, mail_hash), 0);
	json_decref(detail);
}
END_TEST

START_TEST(threading_of_outbound)
{
	struct mail_outcome outcomes[12];
	char reference[32], *subject, *in_reply_to, *references;
	const char *refs[2] = { "r0@x", NULL };

	for (int i = 0; i < 12; i++) {
		snprintf(reference, sizeof reference, "r%d@x", i);
		ck_assert_int_le(mail_submit(mail_from("an@example.vn", "Thư",
		    reference, i > 0 ? refs : NULL), &outcomes[i]),
		    HUB_ANSWER_JOINED);
		ck_assert_int_eq(outcomes[i].answer.ticket_id,
		    outcomes[0].answer.ticket_id);
	}
	ck_assert_int_eq(store_mail_threading(mx.store,
	    outcomes[0].answer.ticket_id, "testmail", &subject, &in_reply_to,
	    &references), 0);
	ck_assert_str_eq(subject, "Đèn đường hỏng");
	ck_assert_str_eq(in_reply_to, "r11@x");
	ck_assert_str_eq(references, "r2@x r3@x r4@x r5@x r6@x r7@x r8@x r9@x "
	    "r10@x r11@x");
	free(subject);
	free(in_reply_to);
	free(references);

	ck_assert_int_eq(store_mail_threading(mx.store,
	    outcomes[0].answer.ticket_id, "web", &subject, &in_reply_to,
	    &references), 0);
	ck_assert_str_eq(subject, "Đèn đường hỏng");
	ck_assert_ptr_null(in_reply_to);
	ck_assert_ptr_null(references);
	free(subject);
}
END_TEST

struct mail_state_outcome {
	bool done;
	int status;
};

static void
mail_state_done(int status, void *arg)
{
	struct mail_state_outcome *outcome = arg;

	outcome->status = status;
	outcome->done = true;
}

START_TEST(channel_state_set_get_delete)
{
	struct mail_state_outcome outcome = { 0 };
	char *value;

	ck_assert_ptr_null(hub_channel_state_get(&mx.channel, "INBOX.uid"));
	ck_assert_int_eq(hub_channel_state_set(&mx.channel, "INBOX.uid", "17",
	    mail_state_done, &outcome), 0);
	mail_run_until(&outcome.done);
	ck_assert_int_eq(outcome.status, 0);
	value = hub_channel_state_get(&mx.channel, "INBOX.uid");
	ck_assert_str_eq(value, "17");
	free(value);

	memset(&outcome, 0, sizeof outcome);
	ck_assert_int_eq(hub_channel_state_set(&mx.channel, "INBOX.uid", "18",
	    mail_state_done, &outcome), 0);
	mail_run_until(&outcome.done);
	value = hub_channel_state_get(&mx.channel, "INBOX.uid");
	ck_assert_str_eq(value, "18");
	free(value);

	/* Another channel's key of the same name is its own. */
	ck_assert_ptr_null(store_channel_state_get(mx.store, "other",
	    "INBOX.uid"));

	memset(&outcome, 0, sizeof outcome);
	ck_assert_int_eq(hub_channel_state_set(&mx.channel, "INBOX.uid", NULL,
	    mail_state_done, &outcome), 0);
	mail_run_until(&outcome.done);
	ck_assert_ptr_null(hub_channel_state_get(&mx.channel, "INBOX.uid"));
}
END_TEST

Suite *
mail_suite(void)
{
	Suite *suite = suite_create("mail");
	TCase *units = tcase_create("units");
	TCase *whole = tcase_create("whole");

	tcase_add_test(units, reference_round_trip);
	tcase_add_test(units, reference_rejects_forgeries);
	tcase_add_test(units, normalize_reference_fields);
	tcase_add_test(units, normalize_attachment_fields);
	tcase_add_test(units, attachment_store_and_prune);
	tcase_add_test(units, attachment_disposition_forms);
	tcase_add_test(units, config_ack_limits);
	suite_add_tcase(suite, units);

	tcase_add_checked_fixture(whole, mail_setup, mail_teardown);
	tcase_set_timeout(whole, 30);
	tcase_add_test(whole, channel_reference_round_trip);
	tcase_add_test(whole, thread_by_own_reference);
	tcase_add_test(whole, thread_by_channel_reference);
	tcase_add_test(whole, thread_reference_reopens_within_window);
	tcase_add_test(whole, automatic_dropped_without_ticket);
	tcase_add_test(whole, automatic_joins_open_never_reopens);
	tcase_add_test(whole, queued_ack_and_recipient_limit);
	tcase_add_test(whole, queued_ack_not_for_joined_message);
	tcase_add_test(whole, attachments_stored_and_listed);
	tcase_add_test(whole, threading_of_outbound);
	tcase_add_test(whole, channel_state_set_get_delete);
	suite_add_tcase(suite, whole);
	return suite;
}
