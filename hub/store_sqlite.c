/*
 * SQLite connections of the store: opening with the pragmas, the cache of
 * prepared statements, binding helpers and the store's open and close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "datadir.h"
#include "log.h"
#include "store_sqlite.h"

/* Longest part of a statement's text written into a log line. */
#define STORE_SQLITE_LOG_SQL 80

static int
store_sqlite_pragmas(struct store_conn *conn, bool readonly, char *err,
    size_t err_size)
{
	static const char wal[] = "PRAGMA journal_mode=WAL";
	sqlite3_stmt *stmt;
	int rc;

	/* temp_store=MEMORY keeps the journals of the per-job savepoints in
	 * memory; on disk they cost several writes to a temporary file per
	 * job, more than the WAL itself. */
	if (sqlite3_exec(conn->db, "PRAGMA synchronous=FULL; "
	    "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
	    "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456", NULL, NULL,
	    NULL) != SQLITE_OK) {
		snprintf(err, err_size, "setting pragmas failed: %s",
		    sqlite3_errmsg(conn->db));
		return -1;
	}
	if (readonly)
		return 0;

	/* secure_delete=ON overwrites deleted content with zeros, so that
	 * personal data erased or anonymized does not stay in free space of
	 * the pages or on the freelist. */
	if (sqlite3_exec(conn->db, "PRAGMA secure_delete=ON", NULL, NULL,
	    NULL) != SQLITE_OK) {
		snprintf(err, err_size, "setting secure_delete failed: %s",
		    sqlite3_errmsg(conn->db));
		return -1;
	}

	/* journal_mode returns the mode in force, which stays "delete" when
	 * WAL is not possible (a file system without shared memory). */
	if (sqlite3_prepare_v2(conn->db, wal, -1, &stmt, NULL) != SQLITE_OK) {
		snprintf(err, err_size, "setting WAL mode failed: %s",
		    sqlite3_errmsg(conn->db));
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW || sqlite3_stricmp(
	    (const char *)sqlite3_column_text(stmt, 0), "wal") != 0) {
		snprintf(err, err_size, "setting WAL mode failed: %s",
		    rc == SQLITE_ROW ? "the file system does not support it" :
		    sqlite3_errmsg(conn->db));
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

int
store_sqlite_open(struct store_conn *conn, const char *path, bool readonly,
    int busy_timeout_ms, char *err, size_t err_size)
{
	int flags = SQLITE_OPEN_NOMUTEX;

	flags |= readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	memset(conn, 0, sizeof(*conn));
	if (sqlite3_open_v2(path, &conn->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, err_size, "opening database %s failed: %s", path,
		    conn->db != NULL ? sqlite3_errmsg(conn->db) : "out of memory");
		store_sqlite_close(conn);
		return -1;
	}
	sqlite3_extended_result_codes(conn->db, 1);
	sqlite3_busy_timeout(conn->db, busy_timeout_ms);
	if (store_sqlite_pragmas(conn, readonly, err, err_size) != 0) {
		store_sqlite_close(conn);
		return -1;
	}
	return 0;
}

void
store_sqlite_close(struct store_conn *conn)
{
	for (size_t i = 0; i < conn->cached; i++)
		sqlite3_finalize(conn->cache[i].stmt);
	conn->cached = 0;
	if (conn->db != NULL && sqlite3_close(conn->db) != SQLITE_OK)
		log_error("store", "closing database failed: %s",
		    sqlite3_errmsg(conn->db));
	conn->db = NULL;
}

static void
store_sqlite_log(struct store_conn *conn, const char *sql, const char *what)
{
	log_error("store", "%s failed: %s (%d) sql=\"%.*s\"", what,
	    sqlite3_errmsg(conn->db), sqlite3_extended_errcode(conn->db),
	    STORE_SQLITE_LOG_SQL, sql);
}

/*
 * Returns the cached statement for sql, reset and with its bindings cleared,
 * preparing it on first use. The cache is keyed by the address of the text,
 * so sql must be a string literal or another constant.
 */
sqlite3_stmt *
store_sqlite_prepare(struct store_conn *conn, const char *sql)
{
	struct store_cached_statement *entry;

	for (size_t i = 0; i < conn->cached; i++) {
		entry = &conn->cache[i];
		if (entry->sql == sql) {
			sqlite3_reset(entry->stmt);
			sqlite3_clear_bindings(entry->stmt);
			return entry->stmt;
		}
	}
	if (conn->cached == STORE_STATEMENT_CACHE_MAX) {
		log_error("store", "statement cache full (%d statements)",
		    STORE_STATEMENT_CACHE_MAX);
		return NULL;
	}
	entry = &conn->cache[conn->cached];
	if (sqlite3_prepare_v3(conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &entry->stmt, NULL) != SQLITE_OK) {
		store_sqlite_log(conn, sql, "preparing statement");
		return NULL;
	}
	entry->sql = sql;
	conn->cached++;
	return entry->stmt;
}

static int
store_sqlite_bind_one(sqlite3_stmt *stmt, int index, char type, va_list *ap)
{
	const char *text;
	const void *blob;
	int64_t value;
	int size;

	switch (type) {
	case 't':
		text = va_arg(*ap, const char *);
		if (text == NULL)
			return sqlite3_bind_null(stmt, index);
		return sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
	case 'i':
		return sqlite3_bind_int64(stmt, index, va_arg(*ap, int64_t));
	case 'r':
		value = va_arg(*ap, int64_t);
		if (value == 0)
			return sqlite3_bind_null(stmt, index);
		return sqlite3_bind_int64(stmt, index, value);
	case 'f':
		return sqlite3_bind_double(stmt, index, va_arg(*ap, double));
	case 'b':
		blob = va_arg(*ap, const void *);
		size = va_arg(*ap, int);
		return sqlite3_bind_blob(stmt, index, blob, size, SQLITE_STATIC);
	case 'n':
		return sqlite3_bind_null(stmt, index);
	}
	return SQLITE_MISUSE;
}

static int
store_sqlite_vbind(struct store_conn *conn, sqlite3_stmt *stmt,
    const char *types, va_list ap)
{
	va_list copy;
	int rc = SQLITE_OK;

	va_copy(copy, ap);
	for (int i = 0; types[i] != '\0' && rc == SQLITE_OK; i++)
		rc = store_sqlite_bind_one(stmt, i + 1, types[i], &copy);
	va_end(copy);
	if (rc != SQLITE_OK) {
		store_sqlite_log(conn, sqlite3_sql(stmt), "binding parameters");
		return -1;
	}
	return 0;
}

/*
 * Binds parameters 1, 2, ... in the order of types: 't' text (NULL binds
 * NULL), 'i' int64_t, 'r' int64_t row id (0 binds NULL), 'f' double, 'b' a
 * blob as (const void *, int), 'n' NULL without an argument. Texts and blobs
 * are not copied and must outlive the statement's next reset.
 */
int
store_sqlite_bind(struct store_conn *conn, sqlite3_stmt *stmt,
    const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = store_sqlite_vbind(conn, stmt, types, ap);
	va_end(ap);
	return rc;
}

/* Prepares sql from the cache and binds its parameters as store_sqlite_bind
 * does. Returns the statement or NULL (logged). */
sqlite3_stmt *
store_sqlite_query(struct store_conn *conn, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int rc;

	if ((stmt = store_sqlite_prepare(conn, sql)) == NULL)
		return NULL;
	va_start(ap, types);
	rc = store_sqlite_vbind(conn, stmt, types, ap);
	va_end(ap);
	return rc == 0 ? stmt : NULL;
}

/* Steps stmt: 1 for a row, 0 when there are no more (stmt is reset), -1 on
 * an error (logged, stmt reset). A caller that stops at a row resets stmt
 * itself, so that the connection's read snapshot ends. */
int
store_sqlite_row(struct store_conn *conn, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		store_sqlite_log(conn, sqlite3_sql(stmt), "statement");
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Runs a statement that returns no rows. Returns 0, or -1 logged. */
int
store_sqlite_run(struct store_conn *conn, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_sqlite_log(conn, sqlite3_sql(stmt), "statement");
		return -1;
	}
	return 0;
}

/* Runs a query without parameters whose first column is an integer. */
int
store_sqlite_count(struct store_conn *conn, const char *sql, int64_t *count)
{
	sqlite3_stmt *stmt = store_sqlite_prepare(conn, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	*count = 0;
	if ((rc = store_sqlite_row(conn, stmt)) != 1)
		return rc;
	*count = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return 0;
}

/* Copies a text column into a new string (caller frees); NULL stays NULL.
 * Returns 0, or -1 when out of memory. */
int
store_sqlite_column_dup(sqlite3_stmt *stmt, int column, char **out)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	*out = NULL;
	if (text == NULL)
		return 0;
	if ((*out = strdup((const char *)text)) == NULL)
		return -1;
	return 0;
}

static int
store_sqlite_load_key(struct store_conn *conn, const char *name, uint8_t *key)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	sqlite3_stmt *stmt = store_sqlite_query(conn, sql, "t", name);
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(conn, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	if (sqlite3_column_bytes(stmt, 0) != STORE_KEY_BYTES) {
		sqlite3_reset(stmt);
		return 0;
	}
	memcpy(key, sqlite3_column_blob(stmt, 0), STORE_KEY_BYTES);
	sqlite3_reset(stmt);
	return 1;
}

/* Reads the secret keys from meta. Returns 0, or -1 with a message. */
int
store_sqlite_load_keys(struct store_conn *conn, uint8_t *code_key,
    uint8_t *token_key, uint8_t *session_key, char *err, size_t err_size)
{
	static const char *const names[] = {
		"code_key", "token_key", "session_key",
	};
	uint8_t *keys[] = { code_key, token_key, session_key };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int found = store_sqlite_load_key(conn, names[i], keys[i]);

		if (found < 0) {
			snprintf(err, err_size, "reading the keys failed: %s",
			    sqlite3_errmsg(conn->db));
			return -1;
		}
		if (found == 0) {
			snprintf(err, err_size, "the database has no valid %s "
			    "in its meta table", names[i]);
			return -1;
		}
	}
	return 0;
}

int64_t
store_sqlite_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int
store_sqlite_paths(struct store *store, const char *data_dir, char *err,
    size_t err_size)
{
	if (snprintf(store->data_dir, sizeof(store->data_dir), "%s",
	    data_dir) >= (int)sizeof(store->data_dir) ||
	    datadir_path(data_dir, STORE_DB_FILE, store->db_path,
	    sizeof(store->db_path)) != 0) {
		snprintf(err, err_size, "data directory path too long: %.64s...",
		    data_dir);
		return -1;
	}
	return 0;
}

int
store_init(const char *data_dir, char *err, size_t err_size)
{
	char path[STORE_PATH_MAX];
	struct store_conn conn;
	int rc;

	if (sodium_init() < 0) {
		snprintf(err, err_size, "libsodium initialization failed");
		return -1;
	}
	if (datadir_prepare(data_dir, err, err_size) != 0)
		return -1;
	if (datadir_path(data_dir, STORE_DB_FILE, path, sizeof(path)) != 0) {
		snprintf(err, err_size, "data directory path too long: %.64s...",
		    data_dir);
		return -1;
	}
	if (store_sqlite_open(&conn, path, false, 5000, err, err_size) != 0)
		return -1;
	rc = store_migrate(conn.db, path, err, err_size);
	store_sqlite_close(&conn);
	return rc;
}

static struct store *
store_sqlite_open_reader(const char *data_dir, char *err, size_t err_size)
{
	struct store *store;
	int version;

	if ((store = calloc(1, sizeof(*store))) == NULL) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (store_sqlite_paths(store, data_dir, err, err_size) != 0 ||
	    store_sqlite_open(&store->reader, store->db_path, true, 5000, err,
	    err_size) != 0) {
		free(store);
		return NULL;
	}
	if (store_migrate_version(store->reader.db, &version) != 0 ||
	    version != STORE_SCHEMA_VERSION) {
		snprintf(err, err_size, "database %s has schema version %d, "
		    "this program uses %d", store->db_path, version,
		    STORE_SCHEMA_VERSION);
		store_close(store);
		return NULL;
	}
	if (store_sqlite_load_keys(&store->reader, store->code_key,
	    store->token_key, store->session_key, err, err_size) != 0) {
		store_close(store);
		return NULL;
	}
	return store;
}

struct store *
store_open(struct event_base *base, const char *data_dir,
    const struct store_options *options, char *err, size_t err_size)
{
	struct store *store;

	if (store_init(data_dir, err, err_size) != 0)
		return NULL;
	if ((store = store_sqlite_open_reader(data_dir, err, err_size)) == NULL)
		return NULL;
	sqlite3_busy_timeout(store->reader.db, options->busy_timeout_ms);
	if (store_writer_start(store, base, options, err, err_size) != 0) {
		store_close(store);
		return NULL;
	}
	log_info("store", "opened path=%s batch_max=%d", store->db_path,
	    options->batch_max);
	return store;
}

struct store *
store_open_readonly(const char *data_dir, char *err, size_t err_size)
{
	if (sodium_init() < 0) {
		snprintf(err, err_size, "libsodium initialization failed");
		return NULL;
	}
	return store_sqlite_open_reader(data_dir, err, err_size);
}

void
store_close(struct store *store)
{
	if (store == NULL)
		return;
	if (store->writer != NULL)
		store_writer_stop(store);
	store_sqlite_close(&store->reader);
	sodium_memzero(store->code_key, sizeof(store->code_key));
	sodium_memzero(store->token_key, sizeof(store->token_key));
	sodium_memzero(store->session_key, sizeof(store->session_key));
	free(store);
}

const uint8_t *
store_code_key(const struct store *store)
{
	return store->code_key;
}

const uint8_t *
store_token_key(const struct store *store)
{
	return store->token_key;
}

const uint8_t *
store_session_key(const struct store *store)
{
	return store->session_key;
}
