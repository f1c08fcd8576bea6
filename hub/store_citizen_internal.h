/*
 * Helpers shared by the store_citizen*.c files only.
 */
#ifndef HUB_STORE_CITIZEN_INTERNAL_H
#define HUB_STORE_CITIZEN_INTERNAL_H

#include <stdint.h>

#include <jansson.h>

#include "store_citizen.h"
#include "store_sqlite.h"

/* The condition "ticket t is inside the scope bound as parameter N". */
#define STORE_CITIZEN_IN_SCOPE(n)					\
	"(?" #n " IS NULL OR t.department IN"				\
	" (SELECT value FROM json_each(?" #n ")))"

/* Prepares sql without the statement cache, for statements that run
 * rarely (erasure, merges, exports), and binds parameters as
 * store_sqlite_bind does. The caller finalizes the statement. Returns NULL
 * on error (logged). */
sqlite3_stmt *store_citizen_prepare(struct store_conn *conn, const char *sql,
    const char *types, ...);

/* Steps an uncached statement that returns no rows and finalizes it.
 * Sets *changes to the rows changed when changes is not NULL. */
int store_citizen_run(struct store_conn *conn, sqlite3_stmt *stmt,
    int64_t *changes);

/* A time as ISO 8601 in Vietnam time, or null for 0. New reference. */
json_t *store_citizen_time(int64_t milliseconds);

/* Column column of stmt as a JSON string, or null. New reference. */
json_t *store_citizen_text(sqlite3_stmt *stmt, int column);

/* Column column of stmt as an integer, or null when NULL. */
json_t *store_citizen_integer(sqlite3_stmt *stmt, int column);

/* Column column of stmt, Unix ms, as store_citizen_time gives it. */
json_t *store_citizen_column_time(sqlite3_stmt *stmt, int column);

/* Runs the statement and appends row_json's value for each row to array.
 * Finalizes stmt. Returns 0 or -1. */
int store_citizen_rows(struct store_conn *conn, sqlite3_stmt *stmt,
    json_t *array, json_t *(*row_json)(sqlite3_stmt *));

/* Runs a read in one transaction of the read connection, so that its parts
 * agree with each other. */
int store_citizen_read_begin(struct store *store);
void store_citizen_read_end(struct store *store);

#endif
