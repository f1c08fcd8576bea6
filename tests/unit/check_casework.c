/* Unit tests of the desk's store writes and reads (store_casework*.c) on a
 * real store in a temporary data directory, and of tag normalization. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "api_tickets_internal.h"
#include "check_suites.h"
#include "check_util.h"
#include "store_auth.h"
#include "store_casework.h"

/* --- Tags ------------------------------------------------------------------ */

static void
tag_expect(const char *input, const char *expected)
{
	char *tag = api_ticket_tag_normalize(input, strlen(input));

	ck_assert_pstr_eq(tag, expected);
	free(tag);
}

START_TEST(tag_lower_case_nfc_trimmed)
{
	char *nfd = check_nfd("Ngập Nước");

	tag_expect("  Ngập Nước ", "ngập nước");
	tag_expect(nfd, "ngập nước");
	tag_expect("ĐƯỜNG", "đường");
	tag_expect("a/b", "a/b");
	free(nfd);
}
END_TEST

START_TEST(tag_bounds_and_controls)
{
	char long_tag[64];

	memset(long_tag, 'a', 32);
	long_tag[32] = '\0';
	tag_expect(long_tag, long_tag);
	long_tag[32] = 'a';
	long_tag[33] = '\0';
	tag_expect(long_tag, NULL);
	/* 32 letters of two bytes each still fit: the bound counts
	 * characters. */
	tag_expect("đđđđđđđđđđđđđđđđđđđđđđđđđđđđđđđđ",
	    "đđđđđđđđđđđđđđđđđđđđđđđđđđđđđđđđ");
	tag_expect("", NULL);
	tag_expect("   ", NULL);
	tag_expect("a\tb", NULL);
	tag_expect("a\x7f", NULL);
	/* C1 controls: U+0080, U+0085 (NEL) and U+009F. */
	tag_expect("a\xc2\x80" "b", NULL);
	tag_expect("a\xc2\x85" "b", NULL);
	tag_expect("a\xc2\x9f" "b", NULL);
	/* U+00A0 and U+00E9 follow the C1 block and are no controls. */
	tag_expect("a\xc2\xa0" "b", "a\xc2\xa0" "b");
	tag_expect("caf\xc3\xa9", "caf\xc3\xa9");
	tag_expect("\xff", NULL);
	ck_assert_ptr_null(api_ticket_tag_normalize("ab\0c", 4));
}
END_TEST

/* --- The store ---------------------------------------------------------------- */

struct casework_fixture {
	char dir[64];
	struct event_base *base;
	struct store *store;
};

static struct casework_fixture fx;

static void
casework_setup(void)
{
	struct store_options options = { .batch_max = 16, .busy_timeout_ms = 1000 };
	char err[256];

	ck_assert_int_ge(sodium_init(), 0);
	memset(&fx, 0, sizeof(fx));
	strcpy(fx.dir, "/tmp/check-casework-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	fx.base = event_base_new();
	fx.store = store_open(fx.base, fx.dir, &options, err, sizeof(err));
	ck_assert_msg(fx.store != NULL, "store: %s", err);
}

static void
casework_teardown(void)
{
	char command[128];

	store_close(fx.store);
	event_base_free(fx.base);
	snprintf(command, sizeof(command), "rm -rf %s", fx.dir);
	ck_assert_int_eq(system(command), 0);
}

struct casework_job {
	struct store_job job;
	int (*apply)(struct store_tx *tx, struct casework_job *job);
	bool done;
	int result;
	/* Inputs and outputs of the apply functions below. */
	int64_t ids[4];
	int found;
	struct store_casework_ticket ticket;
};

static int
casework_job_apply(struct store_tx *tx, void *arg)
{
	struct casework_job *job = arg;

	return job->apply(tx, job);
}

static void
casework_job_done(int result, void *arg)
{
	struct casework_job *job = arg;

	job->done = true;
	job->result = result;
}

/* Runs apply in one store job and returns its result. */
static int
casework_run(int (*apply)(struct store_tx *, struct casework_job *),
    struct casework_job *job)
{
	job->apply = apply;
	job->done = false;
	job->job = (struct store_job){ .apply = casework_job_apply,
	    .done = casework_job_done, .arg = job };
	ck_assert_int_eq(store_submit(fx.store, &job->job), 0);
	for (int round = 0; round < 2000 && !job->done; round++) {
		struct timeval tick = { .tv_usec = 1000 };

		event_base_loopexit(fx.base, &tick);
		event_base_dispatch(fx.base);
	}
	ck_assert_msg(job->done, "store job did not finish in time");
	return job->result;
}

/* Creates a citizen with a phone, and two tickets of theirs in department
 * "moi-truong" with one message each: ids[0] and ids[1]; ids[2] is the
 * phone contact. */
static int
make_tickets(struct store_tx *tx, struct casework_job *job)
{
	struct store_ticket_new ticket = { .channel = "testchat",
	    .subject = "Rác", .department = "moi-truong", .language = "vi" };
	struct store_message_new message = { .direction = "in",
	    .kind = "message", .channel = "testchat" };
	int64_t citizen;

	if (store_tx_citizen_create(tx, "An", "vi", &citizen) != 0 ||
	    store_tx_contact_add(tx, citizen, CONTACT_PHONE, "+84912000111",
	    true, &job->ids[2]) != 0)
		return -1;
	ticket.citizen_id = citizen;
	ticket.contact_id = job->ids[2];
	for (int i = 0; i < 2; i++) {
		if (store_tx_ticket_create(tx, &ticket) != 0)
			return -1;
		job->ids[i] = ticket.id;
		message.ticket_id = ticket.id;
		message.contact_id = job->ids[2];
		message.body = i == 0 ? "rác ở chợ" : "kênh Xáng đầy rác";
		if (store_tx_message_add(tx, &message) != 0)
			return -1;
	}
	return 0;
}

static int
read_ticket(struct store_tx *tx, struct casework_job *job)
{
	job->found = store_tx_casework_ticket(tx, job->ids[0], &job->ticket);
	return job->found < 0 ? -1 : 0;
}

static void
ticket_read(int64_t id, struct store_casework_ticket *ticket)
{
	struct casework_job job = { .ids = { id } };

	ck_assert_int_eq(casework_run(read_ticket, &job), 0);
	ck_assert_int_eq(job.found, 1);
	*ticket = job.ticket;
}

static int
resolve_then_reopen(struct store_tx *tx, struct casework_job *job)
{
	struct lifecycle_effect effect;
	int64_t now = job->ids[3];

	lifecycle_effect(LIFECYCLE_NEW, LIFECYCLE_RESOLVED, &effect);
	if (store_tx_casework_set_status(tx, job->ids[0], LIFECYCLE_RESOLVED,
	    &effect, now) != 0)
		return -1;
	if (job->found == 0)
		return 0;
	lifecycle_effect(LIFECYCLE_RESOLVED, LIFECYCLE_IN_PROGRESS, &effect);
	return store_tx_casework_set_status(tx, job->ids[0],
	    LIFECYCLE_IN_PROGRESS, &effect, now + 1);
}

START_TEST(casework_status_sets_and_clears_times)
{
	struct casework_job job = { 0 };
	struct store_casework_ticket ticket;

	ck_assert_int_eq(casework_run(make_tickets, &job), 0);
	job.ids[3] = 1736128800000LL;
	job.found = 0;
	ck_assert_int_eq(casework_run(resolve_then_reopen, &job), 0);
	ticket_read(job.ids[0], &ticket);
	ck_assert_int_eq(ticket.status, LIFECYCLE_RESOLVED);
	ck_assert_int_eq(ticket.resolved_at, 1736128800000LL);

	job.found = 1;
	ck_assert_int_eq(casework_run(resolve_then_reopen, &job), 0);
	ticket_read(job.ids[0], &ticket);
	ck_assert_int_eq(ticket.status, LIFECYCLE_IN_PROGRESS);
	ck_assert_int_eq(ticket.resolved_at, 0);
	ck_assert_str_eq(ticket.department, "moi-truong");
	ck_assert(ticket.has_department);
	ck_assert_str_eq(ticket.channel, "testchat");
}
END_TEST

static int
make_agents(struct store_tx *tx, struct casework_job *job)
{
	struct store_agent agent = { .role = AUTH_ROLE_AGENT,
	    .language = "vi", .department_count = 1,
	    .departments = { "moi-truong" } };

	strcpy(agent.username, "a1");
	strcpy(agent.display_name, "A Một");
	if (store_tx_agent_create(tx, &agent, "x", 1) != 0)
		return -1;
	job->ids[0] = agent.id;
	strcpy(agent.username, "off");
	agent.disabled = true;
	if (store_tx_agent_create(tx, &agent, "x", 1) != 0)
		return -1;
	job->ids[1] = agent.id;
	return 0;
}

static int
check_members(struct store_tx *tx, struct casework_job *job)
{
	job->found = store_tx_casework_agent_member(tx, job->ids[0],
	    "moi-truong") * 100 +
	    store_tx_casework_agent_member(tx, job->ids[0], "giao-thong") * 10 +
	    store_tx_casework_agent_member(tx, job->ids[1], "moi-truong");
	return 0;
}

START_TEST(casework_agent_member_enabled_only)
{
	struct casework_job job = { 0 };

	ck_assert_int_eq(casework_run(make_agents, &job), 0);
	ck_assert_int_eq(casework_run(check_members, &job), 0);
	/* a1 belongs to moi-truong, not giao-thong; off is disabled. */
	ck_assert_int_eq(job.found, 100);
}
END_TEST

static int
tags_and_merge(struct store_tx *tx, struct casework_job *job)
{
	const char *first[] = { "khẩn", "ngập" };
	const char *second[] = { "ngập", "kênh" };

	if (store_tx_casework_tags_set(tx, job->ids[0], first, 2) != 0 ||
	    store_tx_casework_tags_set(tx, job->ids[1], second, 2) != 0)
		return -1;
	job->found = store_tx_casework_tag_remove(tx, job->ids[0], "khẩn") * 10 +
	    store_tx_casework_tag_remove(tx, job->ids[0], "khẩn");
	return store_tx_casework_merge(tx, job->ids[1], job->ids[0],
	    1736128800000LL);
}

static int64_t
search_count(const char *query, int64_t ticket_id)
{
	struct store_casework_filter filter = { .search = query, .limit = 10 };
	json_t *tickets = store_casework_tickets_json(fx.store, &filter);
	json_t *ticket;
	size_t index;
	int64_t count = 0;

	ck_assert_ptr_nonnull(tickets);
	json_array_foreach(tickets, index, ticket) {
		if (json_integer_value(json_object_get(ticket, "id")) ==
		    ticket_id)
			count++;
	}
	json_decref(tickets);
	return count;
}

START_TEST(casework_merge_moves_messages_tags_search)
{
	struct casework_job job = { 0 };
	struct store_casework_ticket source;
	json_t *target, *messages;

	ck_assert_int_eq(casework_run(make_tickets, &job), 0);
	ck_assert_int_eq(search_count("kenh xang", job.ids[1]), 1);
	ck_assert_int_eq(casework_run(tags_and_merge, &job), 0);
	ck_assert_int_eq(job.found, 10);	/* removed once, then absent */

	ticket_read(job.ids[1], &source);
	ck_assert_int_eq(source.status, LIFECYCLE_CLOSED);
	ck_assert_int_eq(source.merged_into, job.ids[0]);

	target = store_casework_ticket_detail_json(fx.store, job.ids[0],
	    1736128800000LL);
	ck_assert_ptr_nonnull(target);
	messages = json_object_get(target, "messages");
	ck_assert_uint_eq(json_array_size(messages), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    messages, 1), "body")), "kênh Xáng đầy rác");
	ck_assert_uint_eq(json_array_size(json_object_get(target, "tags")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
	    target, "tags"), 0)), "kênh");
	json_decref(target);

	ck_assert_int_eq(search_count("kenh xang", job.ids[1]), 0);
	ck_assert_int_eq(search_count("kenh xang", job.ids[0]), 1);
}
END_TEST

static int
add_reply_and_note(struct store_tx *tx, struct casework_job *job)
{
	struct store_casework_message reply = { .ticket_id = job->ids[0],
	    .kind = "reply", .channel = "sms", .contact_id = job->ids[2],
	    .body = "Đã cử người xử lý" };
	struct store_casework_message note = { .ticket_id = job->ids[0],
	    .kind = "note", .channel = STORE_CASEWORK_NOTE_CHANNEL,
	    .body = "ghi chu noi bo" };
	char channel[STORE_CASEWORK_CHANNEL_SIZE];

	if (store_tx_casework_message_add(tx, &reply, 1736128800000LL) != 0 ||
	    store_tx_casework_message_add(tx, &note, 1736128800000LL) != 0)
		return -1;
	job->ids[3] = reply.id;
	job->found = store_tx_casework_contact_channel(tx, job->ids[2],
	    channel);
	return job->found == 1 && strcmp(channel, "testchat") == 0 ? 0 : -1;
}

START_TEST(casework_reply_queued_note_not_searched)
{
	struct casework_job job = { 0 };
	json_t *message;

	ck_assert_int_eq(casework_run(make_tickets, &job), 0);
	ck_assert_int_eq(casework_run(add_reply_and_note, &job), 0);
	message = store_casework_message_json(fx.store, job.ids[3]);
	ck_assert_ptr_nonnull(message);
	ck_assert_str_eq(json_string_value(json_object_get(message,
	    "delivery_status")), "queued");
	ck_assert_str_eq(json_string_value(json_object_get(message,
	    "direction")), "out");
	json_decref(message);
	ck_assert_int_eq(search_count("cu nguoi", job.ids[0]), 1);
	ck_assert_int_eq(search_count("noi bo", job.ids[0]), 0);
}
END_TEST

Suite *
casework_suite(void)
{
	Suite *suite = suite_create("casework");
	TCase *tags = tcase_create("tags");
	TCase *store = tcase_create("store");

	tcase_add_test(tags, tag_lower_case_nfc_trimmed);
	tcase_add_test(tags, tag_bounds_and_controls);
	suite_add_tcase(suite, tags);

	tcase_add_checked_fixture(store, casework_setup, casework_teardown);
	tcase_set_timeout(store, 20);
	tcase_add_test(store, casework_status_sets_and_clears_times);
	tcase_add_test(store, casework_agent_member_enabled_only);
	tcase_add_test(store, casework_merge_moves_messages_tags_search);
	tcase_add_test(store, casework_reply_queued_note_not_searched);
	suite_add_tcase(suite, store);
	return suite;
}
