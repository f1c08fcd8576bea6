/*
 * The desk settings and the audit events of desk edits. See store_desk.h.
 */
#include <stdlib.h>
#include <string.h>

#include "store_desk.h"
#include "store_sqlite.h"

void
store_desk_setting_clear(struct store_desk_setting *setting)
{
	free(setting->value);
	memset(setting, 0, sizeof(*setting));
}

int
store_desk_setting_get(struct store *store, const char *key,
    struct store_desk_setting *setting)
{
	static const char sql[] = "SELECT value, updated_by, updated_at"
	    " FROM desk_settings WHERE key = ?";
	sqlite3_stmt *stmt;
	int rc;

	memset(setting, 0, sizeof(*setting));
	stmt = store_sqlite_query(&store->reader, sql, "t", key);
	if (stmt == NULL || (rc = store_sqlite_row(&store->reader, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = store_sqlite_column_dup(stmt, 0, &setting->value);
	setting->updated_by = sqlite3_column_int64(stmt, 1);
	setting->updated_at = sqlite3_column_int64(stmt, 2);
	sqlite3_reset(stmt);
	if (rc != 0 || setting->value == NULL) {
		store_desk_setting_clear(setting);
		return -1;
	}
	return 1;
}

static int
store_desk_agent_of(struct store_conn *conn, const char *department,
    int64_t *agent_id)
{
	static const char sql[] = "SELECT agent_id FROM agent_departments"
	    " WHERE department = ? ORDER BY agent_id LIMIT 1";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(conn, sql, "t", department);
	if (stmt == NULL || (rc = store_sqlite_row(conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		*agent_id = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return rc;
}

int
store_desk_department_agent(struct store *store, const char *department,
    int64_t *agent_id)
{
	return store_desk_agent_of(&store->reader, department, agent_id);
}

int
store_tx_desk_department_agent(struct store_tx *tx, const char *department,
    int64_t *agent_id)
{
	return store_desk_agent_of(tx->conn, department, agent_id);
}

int
store_tx_desk_setting_put(struct store_tx *tx, const char *key,
    const char *value, int64_t updated_by)
{
	static const char sql[] = "INSERT INTO desk_settings (key, value,"
	    " updated_by, updated_at) VALUES (?, ?, ?, ?)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
	    " updated_by = excluded.updated_by,"
	    " updated_at = excluded.updated_at";
	sqlite3_stmt *stmt;

	stmt = store_sqlite_query(tx->conn, sql, "ttri", key, value,
	    updated_by, tx->now);
	return stmt != NULL ? store_sqlite_run(tx->conn, stmt) : -1;
}

int
store_tx_desk_audit(struct store_tx *tx, int64_t agent_id, const char *actor,
    const char *action, const char *detail)
{
	static const char sql[] = "INSERT INTO audit_events (actor, action,"
	    " detail, agent_id, created_at) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *stmt;

	stmt = store_sqlite_query(tx->conn, sql, "tttri", actor, action,
	    detail, agent_id, tx->now);
	return stmt != NULL ? store_sqlite_run(tx->conn, stmt) : -1;
}
