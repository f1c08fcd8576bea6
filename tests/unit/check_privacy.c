/*
 * Personal data: masked contact values, the anonymization of tickets and
 * citizens (what is cleared and what stays), erasure with its holds, the
 * retention run, merges of citizens, and the identify stage's rejection of
 * blocked contacts. Every store test runs a real store in its own temporary
 * directory; rows are seeded through jobs and checked with a separate
 * SQLite connection.
 */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>
#include <sqlite3.h>

#include "check_suites.h"
#include "pipeline_stages.h"
#include "privacy.h"
#include "store.h"
#include "store_citizen.h"
#include "store_sqlite.h"

#define TEST_SHA_ONE \
	"1111111111111111111111111111111111111111111111111111111111111111"
#define TEST_SHA_SHARED \
	"2222222222222222222222222222222222222222222222222222222222222222"
#define TEST_DAY_MS (24 * 3600 * 1000LL)

/* --- Masks ---------------------------------------------------------------- */

START_TEST(mask_phone_keeps_ends)
{
	char out[PRIVACY_MASKED_SIZE];

	privacy_mask_contact(CONTACT_PHONE, "+84912345678", out);
	ck_assert_str_eq(out, "+84******678");
	privacy_mask_contact(CONTACT_PHONE, "+8412", out);
	ck_assert_str_eq(out, "***");
}
END_TEST

START_TEST(mask_email_keeps_first_and_domain)
{
	char out[PRIVACY_MASKED_SIZE];

	privacy_mask_contact(CONTACT_EMAIL, "an.nguyen@example.org", out);
	ck_assert_str_eq(out, "a***@example.org");
	privacy_mask_contact(CONTACT_EMAIL, "\xc4\x91@example.org", out);
	ck_assert_str_eq(out, "***@example.org");
	privacy_mask_contact(CONTACT_EMAIL, "no-at-sign", out);
	ck_assert_str_eq(out, "***");
}
END_TEST

/* A one-character local part would be kept whole by the first-character
 * rule, so it is masked like a multibyte one. */
START_TEST(mask_email_table)
{
	static const struct {
		const char *email;
		const char *contact;	/* privacy_mask_contact */
		const char *text;	/* privacy_mask_text */
	} cases[] = {
		{ "a@example.org", "***@example.org", "*@example.org" },
		{ "x@gmail.com", "***@gmail.com", "*@gmail.com" },
		{ "a@b.vn", "***@b.vn", "*@b.vn" },
		{ "ab@cd.vn", "a***@cd.vn", "a*@cd.vn" },
		{ "lan@b.co", "l***@b.co", "l**@b.co" },
		{ "\xc4\x91@b.vn", "***@b.vn", "**@b.vn" },
		{ "\xc4\x91n@b.vn", "***@b.vn", "***@b.vn" },
	};
	char out[PRIVACY_MASKED_SIZE];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *masked = privacy_mask_text(cases[i].email);

		privacy_mask_contact(CONTACT_EMAIL, cases[i].email, out);
		ck_assert_str_eq(out, cases[i].contact);
		ck_assert_ptr_nonnull(masked);
		ck_assert_str_eq(masked, cases[i].text);
		free(masked);
	}
}
END_TEST

START_TEST(mask_text_one_letter_emails)
{
	char *masked = privacy_mask_text("x a@b.vn y a@example.org z ab@cd.vn "
	    "w lan@b.co v x@gmail.com");

	ck_assert_ptr_nonnull(masked);
	ck_assert_str_eq(masked, "x *@b.vn y *@example.org z a*@cd.vn "
	    "w l**@b.co v *@gmail.com");
	free(masked);
}
END_TEST

START_TEST(mask_platform_keeps_prefix)
{
	char out[PRIVACY_MASKED_SIZE];

	privacy_mask_contact(CONTACT_PLATFORM, "zalo:12345678", out);
	ck_assert_str_eq(out, "zalo:***78");
	privacy_mask_contact(CONTACT_PLATFORM, NULL, out);
	ck_assert_str_eq(out, "***");
}
END_TEST

START_TEST(mask_text_hides_numbers_and_addresses)
{
	static const struct {
		const char *text;
		const char *masked;
	} cases[] = {
		{ "gọi từ số 0912345678 liên tục",
		  "gọi từ số *******678 liên tục" },
		{ "số 0912 345 678.", "số **** *** 678." },
		{ "+84-91-234-5678", "+**-**-***-*678" },
		{ "mã 12345 và năm 2025", "mã 12345 và năm 2025" },
		{ "thư từ an.nguyen@example.org, spam",
		  "thư từ a********@example.org, spam" },
		{ "\xc4\x91" "an@example.org", "****@example.org" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *masked = privacy_mask_text(cases[i].text);

		ck_assert_ptr_nonnull(masked);
		ck_assert_str_eq(masked, cases[i].masked);
		free(masked);
	}
}
END_TEST

/* --- A store with seeded rows ---------------------------------------------- */

struct fixture {
	char dir[64];
	char db_path[128];
	struct event_base *base;
	struct store *store;
	sqlite3 *db;		/* for seeding and checks */
};

static struct fixture fx;

static void
fixture_setup(void)
{
	struct store_options options = { .batch_max = 16,
	    .busy_timeout_ms = 2000 };
	char err[256];

	ck_assert_int_ge(sodium_init(), 0);
	memset(&fx, 0, sizeof(fx));
	strcpy(fx.dir, "/tmp/check-privacy-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	snprintf(fx.db_path, sizeof(fx.db_path), "%s/%s", fx.dir,
	    STORE_DB_FILE);
	fx.base = event_base_new();
	fx.store = store_open(fx.base, fx.dir, &options, err, sizeof(err));
	ck_assert_msg(fx.store != NULL, "store: %s", err);
	ck_assert_int_eq(sqlite3_open(fx.db_path, &fx.db), SQLITE_OK);
	sqlite3_busy_timeout(fx.db, 2000);
}

static int
fixture_remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return remove(path);
}

static void
fixture_teardown(void)
{
	sqlite3_close(fx.db);
	store_close(fx.store);
	event_base_free(fx.base);
	nftw(fx.dir, fixture_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct test_job {
	struct store_job job;
	int (*apply)(struct store_tx *tx, void *arg);
	void *arg;
	bool done;
	int result;
};

static int
test_job_apply(struct store_tx *tx, void *arg)
{
	struct test_job *run = arg;

	return run->apply(tx, run->arg);
}

static void
test_job_done(int result, void *arg)
{
	struct test_job *run = arg;

	run->done = true;
	run->result = result;
}

/* Runs apply(tx, arg) as a store job and returns its result. */
static int
run_job(int (*apply)(struct store_tx *, void *), void *arg)
{
	struct test_job run = { .apply = apply, .arg = arg };

	run.job = (struct store_job){ .apply = test_job_apply,
	    .done = test_job_done, .arg = &run };
	ck_assert_int_eq(store_submit(fx.store, &run.job), 0);
	for (int round = 0; round < 5000 && !run.done; round++) {
		struct timeval tick = { .tv_usec = 1000 };

		event_base_loopexit(fx.base, &tick);
		event_base_dispatch(fx.base);
	}
	ck_assert_msg(run.done, "store job did not complete");
	return run.result;
}

/* One citizen with a phone and an email, and one ticket with a message, a
 * note, an attachment and search rows. */
struct seed {
	const char *name;
	const char *phone;
	const char *body;
	int64_t citizen_id;
	int64_t phone_id;
	int64_t email_id;
	int64_t ticket_id;
	char code[TICKET_CODE_PLAIN_SIZE];
};

static int
seed_apply(struct store_tx *tx, void *arg)
{
	struct seed *seed = arg;
	struct store_ticket_new ticket = {
		.channel = "web",
		.conversation_key = "conversation-1",
		.subject = "Đèn đường hỏng",
		.category_hint = "chiếu sáng",
		.address = "12 Lê Lợi",
		.has_location = true,
		.latitude = 10.77,
		.longitude = 106.70,
		.language = "vi",
		.category = "lighting",
		.department = "roads",
		.commune = "ben-thanh",
	};
	struct store_message_new message = {
		.direction = "in", .kind = "message", .channel = "web",
		.external_id = seed->phone, .body = seed->body,
	};
	struct store_message_new note = {
		.direction = "out", .kind = "note", .channel = "web",
		.body = "Ghi chú nội bộ",
	};

	if (store_tx_citizen_create(tx, seed->name, "vi",
	    &seed->citizen_id) != 0 ||
	    store_tx_contact_add(tx, seed->citizen_id, CONTACT_PHONE,
	    seed->phone, true, &seed->phone_id) != 0 ||
	    store_tx_contact_add(tx, seed->citizen_id, CONTACT_EMAIL,
	    "an@example.org", false, &seed->email_id) != 0)
		return -1;
	ticket.citizen_id = seed->citizen_id;
	ticket.contact_id = seed->phone_id;
	if (store_tx_ticket_create(tx, &ticket) != 0)
		return -1;
	seed->ticket_id = ticket.id;
	memcpy(seed->code, ticket.code, sizeof(seed->code));
	message.ticket_id = note.ticket_id = ticket.id;
	message.contact_id = seed->phone_id;
	if (store_tx_message_add(tx, &message) != 0 ||
	    store_tx_message_add(tx, &note) != 0 ||
	    store_tx_ticket_add_contact(tx, ticket.id, seed->phone_id) != 0)
		return -1;
	return 0;
}

/* Runs the statement printed from format on the check connection. */
static void exec_sql(const char *format, ...)
	__attribute__((format(printf, 1, 2)));

static void
exec_sql(const char *format, ...)
{
	char sql[512];
	char *error = NULL;
	va_list ap;

	va_start(ap, format);
	vsnprintf(sql, sizeof(sql), format, ap);
	va_end(ap);
	ck_assert_msg(sqlite3_exec(fx.db, sql, NULL, NULL, &error) == SQLITE_OK,
	    "%s: %s", sql, error != NULL ? error : "");
}

static void
seed_citizen(struct seed *seed, const char *name, const char *phone,
    const char *body)
{
	memset(seed, 0, sizeof(*seed));
	seed->name = name;
	seed->phone = phone;
	seed->body = body;
	ck_assert_int_eq(run_job(seed_apply, seed), 0);
}

/* Adds an attachment with sha256 to the first message of ticket_id. */
static void
seed_attachment(int64_t ticket_id, const char *sha256)
{
	exec_sql("INSERT INTO attachments (message_id, sha256, filename,"
	    " content_type, size, created_at) SELECT MIN(id), '%s',"
	    " 'cmnd-nguyen-van-an.jpg', 'image/jpeg', 1234, 1 FROM messages"
	    " WHERE ticket_id = %lld", sha256, (long long)ticket_id);
}

/* The text of the first column of the first row of the query printed from
 * format, or "NULL". */
static char *query_text(const char *format, ...)
	__attribute__((format(printf, 1, 2)));

static char *
query_text(const char *format, ...)
{
	static char out[512];
	char sql[512];
	sqlite3_stmt *stmt;
	va_list ap;

	va_start(ap, format);
	vsnprintf(sql, sizeof(sql), format, ap);
	va_end(ap);
	ck_assert_msg(sqlite3_prepare_v2(fx.db, sql, -1, &stmt, NULL) ==
	    SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(fx.db));
	snprintf(out, sizeof(out), "%s", "NULL");
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		snprintf(out, sizeof(out), "%s",
		    (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return out;
}

static long long query_count(const char *format, ...)
	__attribute__((format(printf, 1, 2)));

static long long
query_count(const char *format, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, format);
	vsnprintf(sql, sizeof(sql), format, ap);
	va_end(ap);
	return atoll(query_text("%s", sql));
}

static void
write_attachment_file(const char *sha256)
{
	char path[256];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, STORE_ATTACHMENTS_DIR);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/%s", fx.dir, STORE_ATTACHMENTS_DIR,
	    sha256);
	ck_assert_ptr_nonnull(file = fopen(path, "w"));
	fputs("photo", file);
	fclose(file);
}

static bool
attachment_file_exists(const char *sha256)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", fx.dir, STORE_ATTACHMENTS_DIR,
	    sha256);
	return access(path, F_OK) == 0;
}

/* --- Anonymizing a ticket ---------------------------------------------------- */

struct anonymize_job {
	int64_t ticket_id;
	int64_t citizen_id;
	int64_t now_ms;
	struct store_anonymized counts;
};

static int
anonymize_ticket_apply(struct store_tx *tx, void *arg)
{
	struct anonymize_job *job = arg;

	if (store_tx_ticket_anonymize(tx, job->ticket_id, job->now_ms,
	    &job->counts) != 0)
		return -1;
	return store_tx_anonymize_finish(tx, &job->counts, true);
}

START_TEST(anonymize_ticket_clears_personal_fields)
{
	struct anonymize_job job = { .now_ms = 1767225600000LL };
	struct seed seed;
	long long id;

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678",
	    "Đèn trước nhà tôi, số 0912345678, không sáng");
	seed_attachment(seed.ticket_id, TEST_SHA_ONE);
	write_attachment_file(TEST_SHA_ONE);
	id = (long long)seed.ticket_id;
	ck_assert_int_gt(query_count("SELECT COUNT(*) FROM ticket_search"
	    " WHERE ticket_id = %lld", id), 0);

	job.ticket_id = seed.ticket_id;
	ck_assert_int_eq(run_job(anonymize_ticket_apply, &job), 0);
	ck_assert_int_eq(job.counts.tickets, 1);
	ck_assert_int_eq(job.counts.messages, 2);
	ck_assert_int_eq(job.counts.attachments, 1);

	ck_assert_str_eq(query_text("SELECT subject FROM tickets WHERE id ="
	    " %lld", id), "NULL");
	ck_assert_str_eq(query_text("SELECT category_hint FROM tickets"
	    " WHERE id = %lld", id), "NULL");
	ck_assert_str_eq(query_text("SELECT address FROM tickets WHERE id ="
	    " %lld", id), "NULL");
	ck_assert_str_eq(query_text("SELECT latitude FROM tickets WHERE id ="
	    " %lld", id), "NULL");
	ck_assert_str_eq(query_text("SELECT longitude FROM tickets WHERE id ="
	    " %lld", id), "NULL");
	ck_assert_str_eq(query_text("SELECT conversation_key FROM tickets"
	    " WHERE id = %lld", id), "NULL");
	ck_assert_str_eq(query_text("SELECT anonymized_at FROM tickets"
	    " WHERE id = %lld", id), "1767225600000");
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM messages"
	    " WHERE ticket_id = %lld AND body = '" STORE_ERASED_BODY "'", id),
	    2);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM messages"
	    " WHERE ticket_id = %lld AND external_id IS NOT NULL", id), 0);
	ck_assert_str_eq(query_text("SELECT filename FROM attachments"
	    " WHERE message_id IN (SELECT id FROM messages WHERE ticket_id ="
	    " %lld)", id), "NULL");
	ck_assert_str_eq(query_text("SELECT sha256 FROM attachments"
	    " WHERE message_id IN (SELECT id FROM messages WHERE ticket_id ="
	    " %lld)", id), STORE_ERASED_SHA256);
	ck_assert(!attachment_file_exists(TEST_SHA_ONE));
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM ticket_search"
	    " WHERE ticket_id = %lld", id), 0);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM ticket_search"
	    " WHERE ticket_search MATCH '0912345678'"), 0);
	store_anonymized_clear(&job.counts);
}
END_TEST

START_TEST(anonymize_ticket_keeps_work_data)
{
	struct anonymize_job job = { .now_ms = 1767225600000LL };
	struct seed seed;
	long long id;

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	id = (long long)seed.ticket_id;
	exec_sql("UPDATE tickets SET status = 'closed', closed_at = 5,"
	    " satisfaction = 4 WHERE id = %lld", id);
	job.ticket_id = seed.ticket_id;
	ck_assert_int_eq(run_job(anonymize_ticket_apply, &job), 0);

	ck_assert_str_eq(query_text("SELECT code FROM tickets WHERE id ="
	    " %lld", id), seed.code);
	ck_assert_str_eq(query_text("SELECT status FROM tickets WHERE id ="
	    " %lld", id), "closed");
	ck_assert_str_eq(query_text("SELECT category FROM tickets WHERE id ="
	    " %lld", id), "lighting");
	ck_assert_str_eq(query_text("SELECT department FROM tickets WHERE id"
	    " = %lld", id), "roads");
	ck_assert_str_eq(query_text("SELECT commune FROM tickets WHERE id ="
	    " %lld", id), "ben-thanh");
	ck_assert_str_eq(query_text("SELECT closed_at FROM tickets WHERE id ="
	    " %lld", id), "5");
	ck_assert_str_eq(query_text("SELECT satisfaction FROM tickets"
	    " WHERE id = %lld", id), "4");
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM messages"
	    " WHERE ticket_id = %lld", id), 2);
	/* The citizen and its contacts wait for the citizen's own turn. */
	ck_assert_str_eq(query_text("SELECT name FROM citizens WHERE id ="
	    " %lld", (long long)seed.citizen_id), "Nguyễn Văn An");
	ck_assert_str_eq(query_text("SELECT value FROM contacts WHERE id ="
	    " %lld", (long long)seed.phone_id), "+84912345678");
	store_anonymized_clear(&job.counts);
}
END_TEST

START_TEST(anonymize_ticket_keeps_shared_file)
{
	struct anonymize_job job = { .now_ms = 1767225600000LL };
	struct seed first, second;

	seed_citizen(&first, "A", "+84912345678", "one");
	seed_citizen(&second, "B", "+84912345679", "two");
	seed_attachment(first.ticket_id, TEST_SHA_SHARED);
	seed_attachment(second.ticket_id, TEST_SHA_SHARED);
	write_attachment_file(TEST_SHA_SHARED);

	job.ticket_id = first.ticket_id;
	ck_assert_int_eq(run_job(anonymize_ticket_apply, &job), 0);
	ck_assert(attachment_file_exists(TEST_SHA_SHARED));
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM attachments"
	    " WHERE sha256 = '" TEST_SHA_SHARED "'"), 1);
	store_anonymized_clear(&job.counts);
}
END_TEST

/* --- Anonymizing a citizen ---------------------------------------------------- */

static int
anonymize_citizen_apply(struct store_tx *tx, void *arg)
{
	struct anonymize_job *job = arg;

	return store_tx_citizen_anonymize(tx, job->citizen_id, job->now_ms,
	    &job->counts);
}

START_TEST(anonymize_citizen_clears_name_and_contacts)
{
	struct anonymize_job job = { .now_ms = 1767225600000LL };
	struct seed seed;
	long long id;

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	id = (long long)seed.citizen_id;
	exec_sql("UPDATE contacts SET blocked_at = 7 WHERE citizen_id = %lld",
	    id);
	exec_sql("INSERT INTO citizens (name, created_at, merged_into)"
	    " VALUES ('Nguyen V. An', 1, %lld)", id);
	exec_sql("INSERT INTO audit_events (actor, action, detail, created_at,"
	    " citizen_id) VALUES ('admin-token', 'contact.block',"
	    " '{\"contact_id\":1,\"value\":\"+84******678\",\"reason\":"
	    "\"An spams\"}', 1, %lld)", id);

	job.citizen_id = seed.citizen_id;
	ck_assert_int_eq(run_job(anonymize_citizen_apply, &job), 0);
	ck_assert_int_eq(job.counts.contacts, 2);
	ck_assert_str_eq(query_text("SELECT name FROM citizens WHERE id ="
	    " %lld", id), "NULL");
	ck_assert_str_eq(query_text("SELECT anonymized_at FROM citizens"
	    " WHERE id = %lld", id), "1767225600000");
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM citizens"
	    " WHERE merged_into = %lld AND name IS NULL", id), 1);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM contacts"
	    " WHERE citizen_id = %lld AND value = 'erased:' || id"
	    " AND verified = 0 AND blocked_at IS NULL", id), 2);
	ck_assert_str_eq(query_text("SELECT kind FROM contacts WHERE id ="
	    " %lld", (long long)seed.phone_id), "phone");
	ck_assert_str_eq(query_text("SELECT detail FROM audit_events"
	    " WHERE citizen_id = %lld", id), "{\"contact_id\":1}");
	/* The ticket is left to store_tx_ticket_anonymize. */
	ck_assert_str_eq(query_text("SELECT subject FROM tickets WHERE id ="
	    " %lld", (long long)seed.ticket_id), "Đèn đường hỏng");
	store_anonymized_clear(&job.counts);
}
END_TEST

/* --- Erasure ---------------------------------------------------------------------- */

static int
erase_apply(struct store_tx *tx, void *arg)
{
	return store_tx_citizen_erase(tx, arg);
}

START_TEST(erase_held_while_ticket_open)
{
	struct store_citizen_erase request = {
		.now_ms = 1767225600000LL, .hold_open_tickets = true,
		.actor = "admin-token",
	};
	struct seed seed;

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	request.citizen_id = seed.citizen_id;
	ck_assert_int_eq(run_job(erase_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_HELD);
	ck_assert_str_eq(request.reason, "open_tickets");
	ck_assert_str_eq(json_string_value(json_array_get(request.held_codes,
	    0)), seed.code);
	ck_assert_str_eq(query_text("SELECT name FROM citizens WHERE id ="
	    " %lld", (long long)seed.citizen_id), "Nguyễn Văn An");
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM audit_events"
	    " WHERE action = 'citizen.erase'"), 0);
	json_decref(request.held_codes);
	store_anonymized_clear(&request.counts);
}
END_TEST

START_TEST(erase_held_while_recently_closed)
{
	struct store_citizen_erase request = {
		.now_ms = 100 * TEST_DAY_MS, .hold_open_tickets = true,
		.hold_closed_days = 30, .actor = "admin-token",
	};
	struct seed seed;

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	exec_sql("UPDATE tickets SET status = 'closed', closed_at = %lld",
	    (long long)(80 * TEST_DAY_MS));
	request.citizen_id = seed.citizen_id;
	ck_assert_int_eq(run_job(erase_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_HELD);
	ck_assert_str_eq(request.reason, "recently_closed_tickets");
	json_decref(request.held_codes);

	request.hold_closed_days = 10;
	request.held_codes = NULL;
	ck_assert_int_eq(run_job(erase_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_DONE);
	store_anonymized_clear(&request.counts);
}
END_TEST

START_TEST(erase_anonymizes_everything_and_audits)
{
	struct store_citizen_erase request = {
		.now_ms = 1767225600000LL, .hold_open_tickets = true,
		.actor = "admin-token",
	};
	struct seed seed, other;

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	seed_citizen(&other, "Trần Thị Bình", "+84987654321", "Rác");
	exec_sql("UPDATE tickets SET status = 'resolved' WHERE citizen_id ="
	    " %lld", (long long)seed.citizen_id);
	seed_attachment(seed.ticket_id, TEST_SHA_ONE);
	write_attachment_file(TEST_SHA_ONE);
	request.citizen_id = seed.citizen_id;
	ck_assert_int_eq(run_job(erase_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_DONE);
	ck_assert_int_eq(request.counts.tickets, 1);
	ck_assert(!attachment_file_exists(TEST_SHA_ONE));
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM contacts"
	    " WHERE value LIKE '%%912345678%%'"), 0);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM citizens"
	    " WHERE name IS NOT NULL AND id = %lld",
	    (long long)seed.citizen_id), 0);
	ck_assert_str_eq(query_text("SELECT detail FROM audit_events"
	    " WHERE action = 'citizen.erase' AND citizen_id = %lld",
	    (long long)seed.citizen_id),
	    "{\"tickets\":1,\"messages\":2,\"contacts\":2,\"attachments\":1}");
	/* The other citizen is untouched. */
	ck_assert_str_eq(query_text("SELECT name FROM citizens WHERE id ="
	    " %lld", (long long)other.citizen_id), "Trần Thị Bình");
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM ticket_search"
	    " WHERE ticket_id = %lld", (long long)other.ticket_id), 2);
	store_anonymized_clear(&request.counts);
}
END_TEST

START_TEST(erase_unknown_or_merged_changes_nothing)
{
	struct store_citizen_erase request = {
		.now_ms = 1767225600000LL, .actor = "admin-token",
	};
	struct seed seed;

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	request.citizen_id = seed.citizen_id + 100;
	ck_assert_int_eq(run_job(erase_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_NOT_FOUND);

	exec_sql("INSERT INTO citizens (name, created_at, merged_into)"
	    " VALUES ('Old', 1, %lld)", (long long)seed.citizen_id);
	request.citizen_id = sqlite3_last_insert_rowid(fx.db);
	ck_assert_int_eq(run_job(erase_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_MERGED);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM citizens"
	    " WHERE name IS NULL"), 0);
	store_anonymized_clear(&request.counts);
}
END_TEST

/* --- Retention ------------------------------------------------------------------ */

static int
retention_apply(struct store_tx *tx, void *arg)
{
	return store_tx_retention_run(tx, arg);
}

START_TEST(retention_anonymizes_old_closed_tickets_once)
{
	struct store_retention_run run = {
		.closed_before = 50 * TEST_DAY_MS, .now_ms = 100 * TEST_DAY_MS,
		.max_tickets = 10,
	};
	struct seed old, recent;
	long long id;

	seed_citizen(&old, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	seed_citizen(&recent, "Trần Thị Bình", "+84987654321", "Rác");
	exec_sql("UPDATE tickets SET status = 'closed', closed_at = %lld"
	    " WHERE citizen_id = (SELECT MIN(id) FROM citizens)",
	    (long long)(10 * TEST_DAY_MS));
	exec_sql("UPDATE tickets SET status = 'closed', closed_at = %lld"
	    " WHERE citizen_id = (SELECT MAX(id) FROM citizens)",
	    (long long)(60 * TEST_DAY_MS));

	ck_assert_int_eq(run_job(retention_apply, &run), 0);
	ck_assert_int_eq(run.counts.tickets, 1);
	ck_assert_int_eq(run.citizens, 1);
	ck_assert(run.rewritten);
	id = (long long)old.ticket_id;
	ck_assert_str_eq(query_text("SELECT actor FROM audit_events"
	    " WHERE action = 'ticket.anonymized' AND ticket_id = %lld", id),
	    "retention");
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM audit_events"
	    " WHERE action = 'citizen.anonymized' AND citizen_id = %lld",
	    (long long)old.citizen_id), 1);
	ck_assert_str_eq(query_text("SELECT name FROM citizens WHERE id ="
	    " %lld", (long long)old.citizen_id), "NULL");
	ck_assert_str_eq(query_text("SELECT subject FROM tickets WHERE id ="
	    " %lld", (long long)recent.ticket_id), "Đèn đường hỏng");
	store_anonymized_clear(&run.counts);

	/* A second run finds nothing left and records nothing. */
	ck_assert_int_eq(run_job(retention_apply, &run), 0);
	ck_assert_int_eq(run.counts.tickets, 0);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM audit_events"
	    " WHERE action = 'ticket.anonymized'"), 1);
	store_anonymized_clear(&run.counts);
}
END_TEST

static int
ticket_create_apply(struct store_tx *tx, void *arg)
{
	return store_tx_ticket_create(tx, arg);
}

START_TEST(retention_keeps_citizen_with_open_ticket)
{
	struct store_retention_run run = {
		.closed_before = 50 * TEST_DAY_MS, .now_ms = 100 * TEST_DAY_MS,
		.max_tickets = 1,
	};
	struct seed seed;
	struct store_ticket_new second = {
		.channel = "web", .subject = "Khác", .language = "vi",
	};

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	exec_sql("UPDATE tickets SET status = 'closed', closed_at = 1"
	    " WHERE id = %lld", (long long)seed.ticket_id);
	second.citizen_id = seed.citizen_id;
	ck_assert_int_eq(run_job(ticket_create_apply, &second), 0);

	ck_assert_int_eq(run_job(retention_apply, &run), 0);
	ck_assert_int_eq(run.counts.tickets, 1);
	ck_assert_int_eq(run.citizens, 0);
	/* A full batch leaves the rewrite of the index to a later run. */
	ck_assert(!run.rewritten);
	ck_assert_str_eq(query_text("SELECT name FROM citizens WHERE id ="
	    " %lld", (long long)seed.citizen_id), "Nguyễn Văn An");
	store_anonymized_clear(&run.counts);
}
END_TEST

/* --- Merging ------------------------------------------------------------------- */

static int
merge_apply(struct store_tx *tx, void *arg)
{
	return store_tx_citizen_merge(tx, arg);
}

START_TEST(merge_moves_contacts_and_tickets)
{
	struct store_citizen_merge request = { .actor = "agent:2:lan" };
	struct seed into, from;
	long long into_id;

	seed_citizen(&into, "Nguyễn Văn An", "+84912345678", "one");
	seed_citizen(&from, "Nguyen Van An", "+84912345670", "two");
	/* The same email typed on both: one row is kept. */
	into_id = (long long)into.citizen_id;
	request.into = into.citizen_id;
	request.from = from.citizen_id;
	ck_assert_int_eq(run_job(merge_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_DONE);
	ck_assert_int_eq(request.tickets_moved, 1);
	ck_assert_int_eq(request.contacts_moved, 2);
	ck_assert_int_eq(request.contacts_joined, 1);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM tickets"
	    " WHERE citizen_id = %lld", into_id), 2);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM contacts"
	    " WHERE citizen_id = %lld", into_id), 3);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM contacts"
	    " WHERE citizen_id = %lld AND value = 'an@example.org'", into_id),
	    1);
	ck_assert_str_eq(query_text("SELECT merged_into FROM citizens"
	    " WHERE id = %lld", (long long)from.citizen_id),
	    query_text("SELECT %lld", into_id));
	ck_assert_str_eq(query_text("SELECT actor FROM audit_events"
	    " WHERE action = 'citizen.merge' AND citizen_id = %lld", into_id),
	    "agent:2:lan");
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM audit_events"
	    " WHERE action = 'citizen.merged_into' AND citizen_id = %lld",
	    (long long)from.citizen_id), 1);
}
END_TEST

START_TEST(merge_keeps_verified_duplicate_once)
{
	struct store_citizen_merge request = { .actor = "admin-token" };
	struct seed into, from;
	long long kept;

	seed_citizen(&into, "A", "+84912345678", "one");
	seed_citizen(&from, "B", "+84912345670", "two");
	/* The same phone on the second citizen, typed on a form. */
	exec_sql("INSERT INTO contacts (citizen_id, kind, value, verified,"
	    " created_at) VALUES (%lld, 'phone', '+84912345678', 0, 1)",
	    (long long)from.citizen_id);
	exec_sql("UPDATE tickets SET contact_id = (SELECT MAX(id) FROM"
	    " contacts) WHERE citizen_id = %lld", (long long)from.citizen_id);
	request.into = into.citizen_id;
	request.from = from.citizen_id;
	ck_assert_int_eq(run_job(merge_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_DONE);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM contacts WHERE"
	    " value = '+84912345678' AND citizen_id = %lld",
	    (long long)into.citizen_id), 1);
	kept = query_count("SELECT id FROM contacts WHERE value ="
	    " '+84912345678' AND verified = 1");
	ck_assert_int_eq(kept, into.phone_id);
	ck_assert_int_eq(query_count("SELECT contact_id FROM tickets"
	    " WHERE id = %lld", (long long)from.ticket_id), kept);
}
END_TEST

START_TEST(merge_refusals_change_nothing)
{
	struct store_citizen_merge request = { .actor = "admin-token" };
	struct seed one, two;

	seed_citizen(&one, "A", "+84912345678", "one");
	seed_citizen(&two, "B", "+84912345670", "two");

	request.into = request.from = one.citizen_id;
	ck_assert_int_eq(run_job(merge_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_SAME);
	ck_assert_str_eq(request.field, "from");

	request.from = two.citizen_id + 50;
	ck_assert_int_eq(run_job(merge_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_NOT_FOUND);
	ck_assert_str_eq(request.field, "from");

	/* A supervisor of another department sees neither citizen. */
	request.from = two.citizen_id;
	request.scope = "[\"water\"]";
	ck_assert_int_eq(run_job(merge_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_NOT_FOUND);
	ck_assert_str_eq(request.field, "id");

	exec_sql("UPDATE citizens SET merged_into = (SELECT MIN(id) FROM"
	    " citizens) WHERE id = %lld", (long long)two.citizen_id);
	request.scope = NULL;
	request.into = one.citizen_id;
	request.from = two.citizen_id;
	ck_assert_int_eq(run_job(merge_apply, &request), 0);
	ck_assert_int_eq(request.outcome, STORE_CITIZEN_MERGED);
	ck_assert_str_eq(request.field, "from");

	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM audit_events"
	    " WHERE action LIKE 'citizen.merge%%'"), 0);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM tickets"
	    " WHERE citizen_id = %lld", (long long)two.citizen_id), 1);
}
END_TEST

/* --- Blocked contacts ------------------------------------------------------------- */

static int
block_apply(struct store_tx *tx, void *arg)
{
	return store_tx_contact_block(tx, arg);
}

struct identify_job {
	struct hub_message *message;
	struct pipeline_identity identity;
	struct hub_error error;
	int rc;
};

static int
identify_apply(struct store_tx *tx, void *arg)
{
	struct identify_job *job = arg;

	job->rc = pipeline_identify(tx, job->message, &job->identity,
	    &job->error);
	/* Roll back, so that the test sees what a rejection leaves. */
	return 1;
}

/* Runs the identify stage on a web message from phone and email. */
static void
identify(struct identify_job *job, const char *phone, const char *email)
{
	memset(job, 0, sizeof(*job));
	job->message = hub_message_new("web");
	ck_assert_ptr_nonnull(job->message);
	ck_assert_int_eq(hub_message_set(&job->message->body, "x"), 0);
	if (phone != NULL)
		hub_message_add_contact(job->message, CONTACT_PHONE, phone,
		    false);
	if (email != NULL)
		hub_message_add_contact(job->message, CONTACT_EMAIL, email,
		    false);
	ck_assert_int_eq(run_job(identify_apply, job), 1);
	hub_message_free(job->message);
}

START_TEST(identify_rejects_blocked_contact)
{
	struct store_contact_block block = {
		.block = true, .reason = "gửi tin rác từ an@example.org",
		.actor = "admin-token",
	};
	struct identify_job job;
	struct seed seed;
	long long citizens;
	char expected[256];

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	block.contact_id = seed.email_id;
	ck_assert_int_eq(run_job(block_apply, &block), 0);
	ck_assert_int_eq(block.outcome, STORE_CITIZEN_DONE);
	ck_assert_int_eq(block.rows_changed, 1);
	snprintf(expected, sizeof(expected), "{\"contact_id\":%lld,"
	    "\"kind\":\"email\",\"value\":\"a***@example.org\",\"rows\":1,"
	    "\"reason\":\"gửi tin rác từ a*@example.org\"}",
	    (long long)seed.email_id);
	ck_assert_str_eq(query_text("SELECT detail FROM audit_events"
	    " WHERE action = 'contact.block'"), expected);

	citizens = query_count("SELECT COUNT(*) FROM citizens");
	identify(&job, "+84900000001", "an@example.org");
	ck_assert_int_eq(job.rc, 1);
	ck_assert_int_eq(job.error.code, HUB_ERR_CONTACT_BLOCKED);
	ck_assert_str_eq(job.error.field, "email");

	identify(&job, "+84900000001", "other@example.org");
	ck_assert_int_eq(job.rc, 0);
	ck_assert_int_gt(job.identity.citizen_id, 0);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM citizens"), citizens);

	block.block = false;
	ck_assert_int_eq(run_job(block_apply, &block), 0);
	ck_assert_int_eq(block.rows_changed, 1);
	identify(&job, NULL, "an@example.org");
	ck_assert_int_eq(job.rc, 0);
}
END_TEST

START_TEST(block_outside_scope_changes_nothing)
{
	struct store_contact_block block = {
		.block = true, .reason = "x", .actor = "agent:3:minh",
		.scope = "[\"water\"]",
	};
	struct seed seed;

	seed_citizen(&seed, "Nguyễn Văn An", "+84912345678", "Đèn hỏng");
	block.contact_id = seed.phone_id;
	ck_assert_int_eq(run_job(block_apply, &block), 0);
	ck_assert_int_eq(block.outcome, STORE_CITIZEN_NOT_FOUND);
	block.contact_id = seed.phone_id + 100;
	block.scope = NULL;
	ck_assert_int_eq(run_job(block_apply, &block), 0);
	ck_assert_int_eq(block.outcome, STORE_CITIZEN_NOT_FOUND);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM contacts"
	    " WHERE blocked_at IS NOT NULL"), 0);
	ck_assert_int_eq(query_count("SELECT COUNT(*) FROM audit_events"
	    ""), 0);
}
END_TEST

Suite *
privacy_suite(void)
{
	Suite *suite = suite_create("privacy");
	TCase *masks = tcase_create("masks");
	TCase *store = tcase_create("store");

	tcase_add_test(masks, mask_phone_keeps_ends);
	tcase_add_test(masks, mask_email_keeps_first_and_domain);
	tcase_add_test(masks, mask_email_table);
	tcase_add_test(masks, mask_text_one_letter_emails);
	tcase_add_test(masks, mask_platform_keeps_prefix);
	tcase_add_test(masks, mask_text_hides_numbers_and_addresses);
	suite_add_tcase(suite, masks);

	tcase_add_checked_fixture(store, fixture_setup, fixture_teardown);
	tcase_set_timeout(store, 30);
	tcase_add_test(store, anonymize_ticket_clears_personal_fields);
	tcase_add_test(store, anonymize_ticket_keeps_work_data);
	tcase_add_test(store, anonymize_ticket_keeps_shared_file);
	tcase_add_test(store, anonymize_citizen_clears_name_and_contacts);
	tcase_add_test(store, erase_held_while_ticket_open);
	tcase_add_test(store, erase_held_while_recently_closed);
	tcase_add_test(store, erase_anonymizes_everything_and_audits);
	tcase_add_test(store, erase_unknown_or_merged_changes_nothing);
	tcase_add_test(store, retention_anonymizes_old_closed_tickets_once);
	tcase_add_test(store, retention_keeps_citizen_with_open_ticket);
	tcase_add_test(store, merge_moves_contacts_and_tickets);
	tcase_add_test(store, merge_keeps_verified_duplicate_once);
	tcase_add_test(store, merge_refusals_change_nothing);
	tcase_add_test(store, identify_rejects_blocked_contact);
	tcase_add_test(store, block_outside_scope_changes_nothing);
	suite_add_tcase(suite, store);
	return suite;
}
