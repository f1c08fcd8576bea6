/*
 * The storage ceiling of intake: how many citizens' reports per second one
 * SQLite writer can store when nothing else runs, with the rows, pragmas and
 * transaction shape of citizenhubd.
 *
 * The database must be one created by `citizenhubctl --data-dir DIR init`,
 * so it has the daemon's schema, indexes and keys; the report tables are
 * emptied first. Per report, this program writes what the daemon's store
 * thread writes for a web report with one phone number and no
 * Idempotency-Key (hub/pipeline_identify.c, hub/pipeline_persist.c):
 *
 *   citizens, contacts (phone, not verified), tickets, the ticket_contacts
 *   lookup (no row, because the ticket's own contact_id already names the
 *   contact), messages, outbox (ticket.created and message.created) and
 *   audit_events,
 *
 * each report inside its own savepoint, the reports of a batch in one
 * BEGIN IMMEDIATE ... COMMIT, with the pragmas of the daemon's writer
 * connection (hub/store_sqlite.c). Batches follow the mean size given with
 * --batch: sizes alternate between the two nearest integers so that their
 * mean is that value.
 *
 * --no-savepoints stores the same rows as plain batched inserts, without
 * SAVEPOINT and RELEASE around each report: that is the ceiling of the
 * storage alone, without the cost of rolling back one report on its own.
 *
 * Ticket codes come from a multiplication modulo 10^9 instead of the
 * daemon's keyed permutation: they are unique and spread over the code
 * index like the daemon's, but their CPU cost is not measured.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#define CEILING_BUSY_TIMEOUT_MS 5000
#define CEILING_REPORTS_DEFAULT 0
#define CEILING_SECONDS_DEFAULT 10.0
#define CEILING_CODE_MODULUS 1000000000ULL
/* Odd and not a multiple of 5, so coprime to 10^9, which makes the map a
 * bijection. */
#define CEILING_CODE_MULTIPLIER 387420489ULL

enum ceiling_statement {
	CEILING_BEGIN,
	CEILING_COMMIT,
	CEILING_SAVEPOINT,
	CEILING_RELEASE,
	CEILING_CITIZEN,
	CEILING_CONTACT,
	CEILING_TICKET,
	CEILING_HAS_CONTACT,
	CEILING_TICKET_CONTACT,
	CEILING_MESSAGE,
	CEILING_OUTBOX,
	CEILING_AUDIT,
	CEILING_SEARCH,
	CEILING_STATEMENT_COUNT,
};

/* Statements with the same text as in hub/store_tx.c and hub/store_writer.c. */
static const char *const ceiling_sql[CEILING_STATEMENT_COUNT] = {
	[CEILING_BEGIN] = "BEGIN IMMEDIATE",
	[CEILING_COMMIT] = "COMMIT",
	[CEILING_SAVEPOINT] = "SAVEPOINT job",
	[CEILING_RELEASE] = "RELEASE job",
	[CEILING_CITIZEN] = "INSERT INTO citizens (name, language,"
	    " created_at) VALUES (?, COALESCE(?, 'vi'), ?)",
	[CEILING_CONTACT] = "INSERT INTO contacts (citizen_id, kind,"
	    " value, verified, created_at) VALUES (?, ?, ?, ?, ?)",
	[CEILING_TICKET] = "INSERT INTO tickets (id, code, citizen_id,"
	    " contact_id, channel, conversation_key, subject, category_hint,"
	    " address, latitude, longitude, language, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, 'vi'), ?, ?)",
	[CEILING_HAS_CONTACT] = "SELECT 1 FROM tickets WHERE id = ?1"
	    " AND contact_id = ?2 UNION ALL SELECT 1 FROM ticket_contacts"
	    " WHERE ticket_id = ?1 AND contact_id = ?2 LIMIT 1",
	[CEILING_TICKET_CONTACT] = "INSERT INTO ticket_contacts (ticket_id,"
	    " contact_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
	[CEILING_MESSAGE] = "INSERT INTO messages (ticket_id, direction,"
	    " kind, channel, external_id, contact_id, body, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
	[CEILING_OUTBOX] = "INSERT INTO outbox (event, ticket_id,"
	    " payload, created_at) VALUES (?, ?, ?, ?)",
	[CEILING_AUDIT] = "INSERT INTO audit_events (ticket_id, actor,"
	    " action, detail, created_at) VALUES (?, ?, ?, ?, ?)",
	[CEILING_SEARCH] = "INSERT INTO ticket_search (ticket_id, text)"
	    " VALUES (?, ?)",
};

/* Tables that one report writes to, emptied before the run. */
static const char *const ceiling_tables[] = {
	"idempotency_keys", "outbox", "audit_events", "attachments",
	"ticket_search", "messages", "ticket_contacts", "tickets", "contacts",
	"citizens",
};

/* Texts of the same kind as bench/intake.lua sends. */
static const char *const ceiling_names[] = {
	"Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Minh", "Phạm Thu Hà",
	"Hoàng Đức Thắng", "Võ Thị Kim Oanh", "Đặng Quốc Bảo", "Bùi Thị Lan",
	"Đỗ Minh Tuấn", "Huỳnh Ngọc Hân", "Ngô Thanh Sơn", "Dương Mỹ Linh",
};

static const char *const ceiling_categories[] = {
	"chieu_sang", "rac_thai", "giao_thong", "cap_nuoc", "thoat_nuoc",
	"cay_xanh", "trat_tu_do_thi", "tieng_on",
};

static const char *const ceiling_streets[] = {
	"Lê Lợi, phường Bến Thành, Quận 1",
	"Nguyễn Trãi, phường 7, Quận 5",
	"Trần Hưng Đạo, phường Cầu Kho, Quận 1",
	"Hai Bà Trưng, phường Tân Định, Quận 1",
	"Điện Biên Phủ, phường 15, Bình Thạnh",
	"Cách Mạng Tháng Tám, phường 11, Quận 3",
};

static const char *const ceiling_phone_prefixes[] = {
	"+8490", "+8491", "+8493", "+8497", "+8498", "+8486", "+8470", "+8483",
};

/* Subject, then the description around the house number. */
static const char *const ceiling_reports[][3] = {
	{ "Đèn đường hỏng", "Đèn đường trước nhà số ",
	  " không sáng đã ba đêm liền, đoạn đường rất tối và nguy hiểm cho "
	  "người đi bộ." },
	{ "Rác thải không được thu gom", "Rác thải tại đầu hẻm ",
	  " đã không được thu gom gần một tuần, bốc mùi hôi và thu hút chuột, "
	  "gián. Đề nghị phường cho xe đến thu gom sớm." },
	{ "Ổ gà trên đường", "Mặt đường có ổ gà lớn gần nhà số ",
	  ", sâu khoảng mười phân. Tối qua có hai xe máy bị ngã ở đây." },
	{ "Mất nước sinh hoạt", "Khu vực quanh nhà số ",
	  " bị mất nước từ sáng hôm qua mà không có thông báo trước. Nhiều hộ "
	  "có người già và trẻ nhỏ." },
	{ "Ngập nước khi mưa", "Mỗi lần mưa lớn, đoạn đường trước số ",
	  " ngập sâu đến đầu gối, cống thoát nước bị tắc. Xin kiểm tra và nạo "
	  "vét cống." },
	{ "Cây xanh có nguy cơ gãy đổ", "Cây me lớn trước nhà số ",
	  " bị nghiêng, nhiều cành khô treo trên dây điện. Mùa mưa bão sắp "
	  "đến, người dân rất lo lắng." },
	{ "Lấn chiếm vỉa hè", "Quán ăn ở số ",
	  " bày bàn ghế chiếm hết vỉa hè, người đi bộ phải đi xuống lòng "
	  "đường." },
	{ "Tiếng ồn ban đêm", "Công trình xây dựng cạnh nhà số ",
	  " làm việc đến hai giờ sáng, tiếng máy khoan rất lớn, cả khu phố "
	  "không ngủ được." },
};

#define CEILING_COUNT(array) (sizeof(array) / sizeof((array)[0]))

struct ceiling_options {
	const char *db_path;
	double batch_mean;
	int64_t reports;	/* 0: run for seconds instead */
	double seconds;
	uint64_t seed;
	bool savepoints;	/* one savepoint per report, as the daemon */
};

struct ceiling {
	sqlite3 *db;
	sqlite3_stmt *stmt[CEILING_STATEMENT_COUNT];
	uint64_t random_state;
	int64_t next_ticket_id;
	int64_t reports;
	int64_t batches;
	bool savepoints;
};

/* One report's texts, owned by the caller's buffers. */
struct ceiling_report {
	const char *name;
	char phone[24];
	const char *subject;
	char description[512];
	const char *category;
	char address[160];
};

static void
ceiling_usage(FILE *out)
{
	fprintf(out,
	    "usage: intake_ceiling --db PATH --batch MEAN "
	    "[--reports N | --seconds S] [--seed N] [--no-savepoints]\n"
	    "\n"
	    "Stores citizens' reports into a citizenhubd database as fast as one\n"
	    "SQLite writer can, with the daemon's rows and group commit, and\n"
	    "prints the reports stored per second.\n"
	    "\n"
	    "  --db PATH      database made by `citizenhubctl --data-dir DIR init`\n"
	    "                 (DIR/citizenhub.db); its report tables are emptied\n"
	    "  --batch MEAN   mean reports per transaction, at least 1, e.g. the\n"
	    "                 mean of hub_store_commit_batch_size from /metrics\n"
	    "  --reports N    store N reports, then stop\n"
	    "  --seconds S    store reports for S seconds (default %.0f)\n"
	    "  --seed N       seed of the text choices (default 1)\n"
	    "  --no-savepoints  write each batch as plain inserts, without the\n"
	    "                 daemon's SAVEPOINT and RELEASE around each report\n",
	    CEILING_SECONDS_DEFAULT);
}

static double
ceiling_clock(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int64_t
ceiling_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* xorshift64*: fast, and the sequence only picks texts. */
static uint32_t
ceiling_random(struct ceiling *ceiling, uint32_t bound)
{
	uint64_t x = ceiling->random_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	ceiling->random_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32) % bound;
}

static int
ceiling_fail(struct ceiling *ceiling, const char *what)
{
	fprintf(stderr, "intake_ceiling: %s failed: %s\n", what,
	    sqlite3_errmsg(ceiling->db));
	return -1;
}

static int
ceiling_parse_number(const char *text, const char *option, double minimum,
    double *value)
{
	char *end;

	errno = 0;
	*value = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(*value) ||
	    *value < minimum) {
		fprintf(stderr, "intake_ceiling: invalid %s \"%s\": expected a "
		    "number of at least %g\n", option, text, minimum);
		return -1;
	}
	return 0;
}

/* Returns 0, 1 after --help, or -1 on wrong usage. */
static int
ceiling_parse(int argc, char **argv, struct ceiling_options *options)
{
	static const struct option longs[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "batch", required_argument, NULL, 'b' },
		{ "reports", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "no-savepoints", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double value;
	int c;

	*options = (struct ceiling_options){
		.reports = CEILING_REPORTS_DEFAULT,
		.seconds = CEILING_SECONDS_DEFAULT,
		.seed = 1,
		.savepoints = true,
	};
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case 'd':
			options->db_path = optarg;
			break;
		case 'b':
			if (ceiling_parse_number(optarg, "--batch", 1,
			    &options->batch_mean) != 0)
				return -1;
			break;
		case 'r':
			if (ceiling_parse_number(optarg, "--reports", 1,
			    &value) != 0)
				return -1;
			options->reports = (int64_t)value;
			break;
		case 's':
			if (ceiling_parse_number(optarg, "--seconds", 0.1,
			    &options->seconds) != 0)
				return -1;
			break;
		case 'S':
			if (ceiling_parse_number(optarg, "--seed", 1,
			    &value) != 0)
				return -1;
			options->seed = (uint64_t)value;
			break;
		case 'n':
			options->savepoints = false;
			break;
		case 'h':
			ceiling_usage(stdout);
			return 1;
		default:
			ceiling_usage(stderr);
			return -1;
		}
	}
	if (optind != argc || options->db_path == NULL ||
	    options->batch_mean < 1) {
		fprintf(stderr, "intake_ceiling: --db and --batch are required\n");
		ceiling_usage(stderr);
		return -1;
	}
	return 0;
}

static int
ceiling_exec(struct ceiling *ceiling, const char *sql)
{
	if (sqlite3_exec(ceiling->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ceiling_fail(ceiling, sql);
	return 0;
}

/* Checks that the database has the daemon's schema with the search table,
 * which the migrations mark with a user_version of 2 or more. */
static int
ceiling_check_schema(struct ceiling *ceiling, const char *path)
{
	sqlite3_stmt *stmt;
	int version = 0;

	if (sqlite3_prepare_v2(ceiling->db, "PRAGMA user_version", -1, &stmt,
	    NULL) != SQLITE_OK)
		return ceiling_fail(ceiling, "reading user_version");
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (version < 2) {
		fprintf(stderr, "intake_ceiling: %s has no citizenhubd schema "
		    "(user_version %d): create it with `citizenhubctl "
		    "--data-dir DIR init` and pass DIR/citizenhub.db\n", path,
		    version);
		return -1;
	}
	return 0;
}

/* Opens the database with the pragmas of the daemon's writer connection in
 * hub/store_sqlite.c: the temporary store in memory, which holds the
 * savepoint journals, and its page cache. */
static int
ceiling_open(struct ceiling *ceiling, const char *path)
{
	if (sqlite3_open_v2(path, &ceiling->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fprintf(stderr, "intake_ceiling: opening database %s failed: "
		    "%s\n", path, ceiling->db != NULL ?
		    sqlite3_errmsg(ceiling->db) : "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(ceiling->db, 1);
	sqlite3_busy_timeout(ceiling->db, CEILING_BUSY_TIMEOUT_MS);
	if (ceiling_check_schema(ceiling, path) != 0)
		return -1;
	if (ceiling_exec(ceiling, "PRAGMA synchronous=FULL") != 0 ||
	    ceiling_exec(ceiling, "PRAGMA foreign_keys=ON") != 0 ||
	    ceiling_exec(ceiling, "PRAGMA temp_store=MEMORY") != 0 ||
	    ceiling_exec(ceiling, "PRAGMA journal_mode=WAL") != 0)
		return -1;
	return 0;
}

/* Empties the report tables and the WAL, so that every run starts from the
 * same state as a freshly initialized data directory. */
static int
ceiling_truncate(struct ceiling *ceiling)
{
	char sql[64];

	if (ceiling_exec(ceiling, "BEGIN IMMEDIATE") != 0)
		return -1;
	for (size_t i = 0; i < CEILING_COUNT(ceiling_tables); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s", ceiling_tables[i]);
		if (ceiling_exec(ceiling, sql) != 0)
			return -1;
	}
	if (ceiling_exec(ceiling, "COMMIT") != 0 ||
	    ceiling_exec(ceiling, "PRAGMA wal_checkpoint(TRUNCATE)") != 0)
		return -1;
	ceiling->next_ticket_id = 1;
	return 0;
}

static int
ceiling_prepare(struct ceiling *ceiling)
{
	for (int i = 0; i < CEILING_STATEMENT_COUNT; i++) {
		if (sqlite3_prepare_v3(ceiling->db, ceiling_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &ceiling->stmt[i],
		    NULL) != SQLITE_OK)
			return ceiling_fail(ceiling, ceiling_sql[i]);
	}
	return 0;
}

/* Returns the statement reset with its bindings cleared, as the daemon's
 * statement cache does before each use. */
static sqlite3_stmt *
ceiling_statement(struct ceiling *ceiling, enum ceiling_statement which)
{
	sqlite3_stmt *stmt = ceiling->stmt[which];

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return stmt;
}

/* Steps stmt once and resets it. Returns 1 for a row, 0 when done, -1 on
 * error. */
static int
ceiling_run(struct ceiling *ceiling, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return ceiling_fail(ceiling, sqlite3_sql(stmt));
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 1 : 0;
}

static int
ceiling_run_simple(struct ceiling *ceiling, enum ceiling_statement which)
{
	return ceiling_run(ceiling, ceiling_statement(ceiling, which)) < 0 ?
	    -1 : 0;
}

static void
ceiling_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
}

static void
ceiling_report_make(struct ceiling *ceiling, struct ceiling_report *report)
{
	const char *const *texts = ceiling_reports[ceiling_random(ceiling,
	    CEILING_COUNT(ceiling_reports))];
	int house = 1 + (int)ceiling_random(ceiling, 400);

	report->name = ceiling_names[ceiling_random(ceiling,
	    CEILING_COUNT(ceiling_names))];
	snprintf(report->phone, sizeof(report->phone), "%s%07" PRId64,
	    ceiling_phone_prefixes[ceiling_random(ceiling,
	    CEILING_COUNT(ceiling_phone_prefixes))],
	    ceiling->reports % 10000000);
	report->subject = texts[0];
	snprintf(report->description, sizeof(report->description), "%s%d%s",
	    texts[1], house, texts[2]);
	report->category = ceiling_categories[ceiling_random(ceiling,
	    CEILING_COUNT(ceiling_categories))];
	snprintf(report->address, sizeof(report->address), "%d %s", house,
	    ceiling_streets[ceiling_random(ceiling,
	    CEILING_COUNT(ceiling_streets))]);
}

/* A unique nine-digit number from the ticket id, then the id's last digit in
 * place of the daemon's check digit. */
static void
ceiling_ticket_code(int64_t id, char code[11])
{
	uint64_t permuted = ((uint64_t)id * CEILING_CODE_MULTIPLIER) %
	    CEILING_CODE_MODULUS;

	snprintf(code, 11, "%09" PRIu64 "%u", permuted,
	    (unsigned)((uint64_t)id % 10));
}

static int
ceiling_citizen_contact(struct ceiling *ceiling,
    const struct ceiling_report *report, int64_t now, int64_t *citizen_id,
    int64_t *contact_id)
{
	sqlite3_stmt *stmt = ceiling_statement(ceiling, CEILING_CITIZEN);

	ceiling_bind_text(stmt, 1, report->name);
	ceiling_bind_text(stmt, 2, "vi");
	sqlite3_bind_int64(stmt, 3, now);
	if (ceiling_run(ceiling, stmt) < 0)
		return -1;
	*citizen_id = sqlite3_last_insert_rowid(ceiling->db);

	stmt = ceiling_statement(ceiling, CEILING_CONTACT);
	sqlite3_bind_int64(stmt, 1, *citizen_id);
	ceiling_bind_text(stmt, 2, "phone");
	ceiling_bind_text(stmt, 3, report->phone);
	sqlite3_bind_int64(stmt, 4, 0);
	sqlite3_bind_int64(stmt, 5, now);
	if (ceiling_run(ceiling, stmt) < 0)
		return -1;
	*contact_id = sqlite3_last_insert_rowid(ceiling->db);
	return 0;
}

/*
 * Adds a search row for text, as the daemon does for a ticket's subject and
 * each message. The daemon folds the text first (hub/text.c); here it goes
 * in as written, which costs the tokenizer about the same and keeps this
 * program free of the hub's code.
 */
static int
ceiling_search(struct ceiling *ceiling, int64_t ticket_id, const char *text)
{
	sqlite3_stmt *stmt = ceiling_statement(ceiling, CEILING_SEARCH);

	sqlite3_bind_int64(stmt, 1, ticket_id);
	ceiling_bind_text(stmt, 2, text);
	return ceiling_run(ceiling, stmt) < 0 ? -1 : 0;
}

static int
ceiling_ticket(struct ceiling *ceiling, const struct ceiling_report *report,
    int64_t now, int64_t citizen_id, int64_t contact_id, int64_t ticket_id,
    const char *code)
{
	sqlite3_stmt *stmt = ceiling_statement(ceiling, CEILING_TICKET);

	sqlite3_bind_int64(stmt, 1, ticket_id);
	ceiling_bind_text(stmt, 2, code);
	sqlite3_bind_int64(stmt, 3, citizen_id);
	sqlite3_bind_int64(stmt, 4, contact_id);
	ceiling_bind_text(stmt, 5, "web");
	ceiling_bind_text(stmt, 7, report->subject);
	ceiling_bind_text(stmt, 8, report->category);
	ceiling_bind_text(stmt, 9, report->address);
	ceiling_bind_text(stmt, 12, "vi");
	sqlite3_bind_int64(stmt, 13, now);
	sqlite3_bind_int64(stmt, 14, now);
	if (ceiling_run(ceiling, stmt) < 0 ||
	    ceiling_search(ceiling, ticket_id, report->subject) != 0)
		return -1;

	/* The daemon adds a ticket_contacts row only for a contact that the
	 * ticket does not name yet. With one contact, this lookup finds it. */
	stmt = ceiling_statement(ceiling, CEILING_HAS_CONTACT);
	sqlite3_bind_int64(stmt, 1, ticket_id);
	sqlite3_bind_int64(stmt, 2, contact_id);
	switch (ceiling_run(ceiling, stmt)) {
	case 1:
		return 0;
	case 0:
		break;
	default:
		return -1;
	}
	stmt = ceiling_statement(ceiling, CEILING_TICKET_CONTACT);
	sqlite3_bind_int64(stmt, 1, ticket_id);
	sqlite3_bind_int64(stmt, 2, contact_id);
	return ceiling_run(ceiling, stmt) < 0 ? -1 : 0;
}

static int
ceiling_message(struct ceiling *ceiling, const struct ceiling_report *report,
    int64_t now, int64_t ticket_id, int64_t contact_id, int64_t *message_id)
{
	sqlite3_stmt *stmt = ceiling_statement(ceiling, CEILING_MESSAGE);

	sqlite3_bind_int64(stmt, 1, ticket_id);
	ceiling_bind_text(stmt, 2, "in");
	ceiling_bind_text(stmt, 3, "message");
	ceiling_bind_text(stmt, 4, "web");
	sqlite3_bind_int64(stmt, 6, contact_id);
	ceiling_bind_text(stmt, 7, report->description);
	sqlite3_bind_int64(stmt, 8, now);
	if (ceiling_run(ceiling, stmt) < 0)
		return -1;
	*message_id = sqlite3_last_insert_rowid(ceiling->db);
	return ceiling_search(ceiling, ticket_id, report->description);
}

/* Adds one outbox row with payload dumped as the daemon does. Steals
 * payload. */
static int
ceiling_outbox(struct ceiling *ceiling, const char *event, int64_t now,
    int64_t ticket_id, json_t *payload)
{
	char *text = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
	sqlite3_stmt *stmt;
	int rc;

	json_decref(payload);
	if (text == NULL) {
		fprintf(stderr, "intake_ceiling: building an outbox payload "
		    "failed: out of memory\n");
		return -1;
	}
	stmt = ceiling_statement(ceiling, CEILING_OUTBOX);
	ceiling_bind_text(stmt, 1, event);
	sqlite3_bind_int64(stmt, 2, ticket_id);
	ceiling_bind_text(stmt, 3, text);
	sqlite3_bind_int64(stmt, 4, now);
	rc = ceiling_run(ceiling, stmt);
	free(text);
	return rc < 0 ? -1 : 0;
}

static int
ceiling_events(struct ceiling *ceiling, const struct ceiling_report *report,
    int64_t now, int64_t ticket_id, const char *code, int64_t message_id)
{
	char detail[64];
	sqlite3_stmt *stmt;

	if (ceiling_outbox(ceiling, "ticket.created", now, ticket_id,
	    json_pack("{s:I, s:s, s:s, s:s*, s:s}", "ticket_id",
	    (json_int_t)ticket_id, "code", code, "channel", "web",
	    "category_hint", report->category, "language", "vi")) != 0 ||
	    ceiling_outbox(ceiling, "message.created", now, ticket_id,
	    json_pack("{s:I, s:I, s:s, s:s}", "ticket_id",
	    (json_int_t)ticket_id, "message_id", (json_int_t)message_id,
	    "channel", "web", "direction", "in")) != 0)
		return -1;

	snprintf(detail, sizeof(detail), "{\"message_id\":%" PRId64 "}",
	    message_id);
	stmt = ceiling_statement(ceiling, CEILING_AUDIT);
	sqlite3_bind_int64(stmt, 1, ticket_id);
	ceiling_bind_text(stmt, 2, "channel:web");
	ceiling_bind_text(stmt, 3, "ticket.created");
	ceiling_bind_text(stmt, 4, detail);
	sqlite3_bind_int64(stmt, 5, now);
	return ceiling_run(ceiling, stmt) < 0 ? -1 : 0;
}

/* Stores one report, in its own savepoint like one job of the daemon unless
 * --no-savepoints was given. */
static int
ceiling_store_report(struct ceiling *ceiling, int64_t now)
{
	struct ceiling_report report;
	int64_t citizen_id, contact_id, message_id;
	int64_t ticket_id = ceiling->next_ticket_id;
	char code[11];

	ceiling_report_make(ceiling, &report);
	ceiling_ticket_code(ticket_id, code);
	if ((ceiling->savepoints &&
	    ceiling_run_simple(ceiling, CEILING_SAVEPOINT) != 0) ||
	    ceiling_citizen_contact(ceiling, &report, now, &citizen_id,
	    &contact_id) != 0 ||
	    ceiling_ticket(ceiling, &report, now, citizen_id, contact_id,
	    ticket_id, code) != 0 ||
	    ceiling_message(ceiling, &report, now, ticket_id, contact_id,
	    &message_id) != 0 ||
	    ceiling_events(ceiling, &report, now, ticket_id, code,
	    message_id) != 0 ||
	    (ceiling->savepoints &&
	    ceiling_run_simple(ceiling, CEILING_RELEASE) != 0))
		return -1;
	ceiling->next_ticket_id++;
	ceiling->reports++;
	return 0;
}

/* Stores count reports in one transaction, as one batch of the daemon. */
static int
ceiling_store_batch(struct ceiling *ceiling, int64_t count)
{
	int64_t now = ceiling_now_ms();

	if (ceiling_run_simple(ceiling, CEILING_BEGIN) != 0)
		return -1;
	for (int64_t i = 0; i < count; i++) {
		if (ceiling_store_report(ceiling, now) != 0)
			return -1;
	}
	if (ceiling_run_simple(ceiling, CEILING_COMMIT) != 0)
		return -1;
	ceiling->batches++;
	return 0;
}

/* Returns the size of batch number index (from 0), chosen so that batches 0
 * to index contain round((index + 1) * mean) reports in all. */
static int64_t
ceiling_batch_size(double mean, int64_t index)
{
	return llround((double)(index + 1) * mean) -
	    llround((double)index * mean);
}

static int
ceiling_run_batches(struct ceiling *ceiling,
    const struct ceiling_options *options, double *elapsed)
{
	double started = ceiling_clock(), deadline = started + options->seconds;
	int64_t size;

	for (int64_t index = 0;; index++) {
		size = ceiling_batch_size(options->batch_mean, index);
		if (options->reports > 0) {
			if (ceiling->reports >= options->reports)
				break;
			if (size > options->reports - ceiling->reports)
				size = options->reports - ceiling->reports;
		} else if (ceiling_clock() >= deadline) {
			break;
		}
		if (ceiling_store_batch(ceiling, size) != 0)
			return -1;
	}
	*elapsed = ceiling_clock() - started;
	return 0;
}

static void
ceiling_close(struct ceiling *ceiling)
{
	for (int i = 0; i < CEILING_STATEMENT_COUNT; i++)
		sqlite3_finalize(ceiling->stmt[i]);
	if (ceiling->db != NULL && sqlite3_close(ceiling->db) != SQLITE_OK)
		fprintf(stderr, "intake_ceiling: closing the database failed: "
		    "%s\n", sqlite3_errmsg(ceiling->db));
}

int
main(int argc, char **argv)
{
	struct ceiling_options options;
	struct ceiling ceiling = { 0 };
	double elapsed = 0;
	int rc;

	rc = ceiling_parse(argc, argv, &options);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	ceiling.random_state = options.seed * 0x9E3779B97F4A7C15ULL | 1;
	ceiling.savepoints = options.savepoints;
	if (ceiling_open(&ceiling, options.db_path) != 0 ||
	    ceiling_truncate(&ceiling) != 0 || ceiling_prepare(&ceiling) != 0 ||
	    ceiling_run_batches(&ceiling, &options, &elapsed) != 0) {
		ceiling_close(&ceiling);
		return 1;
	}
	ceiling_close(&ceiling);

	printf("reports %" PRId64 "\n", ceiling.reports);
	printf("batches %" PRId64 "\n", ceiling.batches);
	printf("savepoints %s\n", ceiling.savepoints ? "yes" : "no");
	printf("batch_mean %.2f\n", ceiling.batches > 0 ?
	    (double)ceiling.reports / (double)ceiling.batches : 0.0);
	printf("seconds %.3f\n", elapsed);
	printf("reports_per_second %.0f\n", elapsed > 0 ?
	    (double)ceiling.reports / elapsed : 0.0);
	return 0;
}
