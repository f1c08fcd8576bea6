/*
 * SQLite backend of the store: the structures and helpers shared by the
 * store_*.c files. Nothing outside the store includes this header.
 */
#ifndef HUB_STORE_SQLITE_H
#define HUB_STORE_SQLITE_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* Version of the newest migration, which is the last one in store_migrate.c. */
#define STORE_SCHEMA_VERSION 6

/* Distinct statements one connection prepares at most. */
#define STORE_STATEMENT_CACHE_MAX 256

#define STORE_PATH_MAX 4096

/* Statuses after which a ticket no longer counts as open. */
#define STORE_CLOSED_STATUSES "('resolved','closed')"

/* Columns read by store_read_ticket_row, in its order. */
#define STORE_TICKET_COLUMNS "id, code, citizen_id, channel, status,"	\
	" subject, category, category_hint, department, commune, address,"	\
	" language, latitude, longitude, due_at, created_at, updated_at"

struct store_cached_statement {
	const char *sql;	/* the statement's text; its address is the key */
	sqlite3_stmt *stmt;
};

/* One SQLite connection with its prepared statements. A connection is used
 * by one thread at a time. */
struct store_conn {
	sqlite3 *db;
	struct store_cached_statement cache[STORE_STATEMENT_CACHE_MAX];
	size_t cached;
};

/* A committed (or failed) batch on its way to the main thread. */
struct store_batch_entry {
	struct store_job *job;
	int result;
};

struct store_batch {
	size_t count;
	double seconds;		/* from BEGIN to the end of COMMIT */
	struct store_batch_entry entries[];
};

/* The store thread and its queue. */
struct store_writer {
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct store_job *head;	/* under lock */
	struct store_job *tail;	/* under lock */
	bool stopping;		/* under lock: submissions are refused */
	int batch_max;

	/* Store thread only, once started. */
	struct store_conn conn;
	int64_t next_ticket_id;
	bool checkpoint_requested;	/* by a job of the running batch */
};

struct store {
	char data_dir[STORE_PATH_MAX];
	char db_path[STORE_PATH_MAX];
	uint8_t code_key[STORE_KEY_BYTES];
	uint8_t token_key[STORE_KEY_BYTES];
	uint8_t session_key[STORE_KEY_BYTES];

	struct store_conn reader;	/* main thread */
	struct store_writer *writer;	/* NULL when read-only */
	struct mailbox *mailbox;	/* completions to the main thread */

	size_t in_flight;		/* main thread */
	void (*batch_observer)(int size, double seconds, void *arg);
	void *batch_observer_arg;
};

struct store_tx {
	struct store *store;
	struct store_conn *conn;
	int64_t now;
};

/* store_sqlite.c: connections and statements. */
int store_sqlite_open(struct store_conn *conn, const char *path, bool readonly,
    int busy_timeout_ms, char *err, size_t err_size);
void store_sqlite_close(struct store_conn *conn);
sqlite3_stmt *store_sqlite_prepare(struct store_conn *conn, const char *sql);
int store_sqlite_bind(struct store_conn *conn, sqlite3_stmt *stmt,
    const char *types, ...);
sqlite3_stmt *store_sqlite_query(struct store_conn *conn, const char *sql,
    const char *types, ...);
int store_sqlite_row(struct store_conn *conn, sqlite3_stmt *stmt);
int store_sqlite_run(struct store_conn *conn, sqlite3_stmt *stmt);
int store_sqlite_count(struct store_conn *conn, const char *sql,
    int64_t *count);
int store_sqlite_column_dup(sqlite3_stmt *stmt, int column, char **out);
int store_sqlite_load_keys(struct store_conn *conn, uint8_t *code_key,
    uint8_t *token_key, uint8_t *session_key, char *err, size_t err_size);
int64_t store_sqlite_now_ms(void);

/* store_migrate.c: schema versions and the secret keys. */
int store_migrate(sqlite3 *db, const char *path, char *err, size_t err_size);
int store_migrate_version(sqlite3 *db, int *version);

/* store_search.c: the full-text index of tickets. */
/* Indexes text under ticket_id, in the job's savepoint, as folded (text
 * folded by text_fold) or, when folded is NULL, folded here. NULL or empty
 * text adds nothing. */
int store_search_add(struct store_tx *tx, int64_t ticket_id, const char *text,
    const char *folded);
/* Indexes every ticket subject and every message that is not a note, for
 * the migration that creates the index. */
int store_search_index_existing(sqlite3 *db);
/* Returns query as a JSON array of quoted FTS5 terms, one per word after
 * folding, and sets count to their number. Caller frees; NULL when out of
 * memory. */
char *store_search_terms(const char *query, size_t *count);

/* store_read.c: rows into structures. */
int store_read_ticket_row(sqlite3_stmt *stmt, struct store_ticket *ticket);

/* store_json.c: JSON of rows, shared with store_casework_read.c. */
/* A time as "2026-12-04T20:15:25+07:00", or null for 0 (none). */
json_t *store_json_time(int64_t milliseconds);
/* The public fields of a ticket. Returns a new reference or NULL. */
json_t *store_json_ticket(const struct store_ticket *ticket);
/* One JSON value per row of stmt, built by row_json, as an array. stmt
 * NULL gives NULL. Returns a new reference or NULL. */
json_t *store_json_rows(struct store *store, sqlite3_stmt *stmt,
    json_t *(*row_json)(sqlite3_stmt *));

/* store_writer.c: the store thread. */
/* Asks for a checkpoint that truncates the WAL once the running batch has
 * committed, so that the page versions written before a job erased
 * personal data leave the WAL file as well. */
void store_tx_checkpoint_after_commit(struct store_tx *tx);
int store_writer_start(struct store *store, struct event_base *base,
    const struct store_options *options, char *err, size_t err_size);
void store_writer_stop(struct store *store);

#endif
