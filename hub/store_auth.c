/*
 * Agents and their departments in the store, read on a read connection or
 * written inside a job. Sessions and login failures are in
 * store_session.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "store_auth.h"
#include "store_sqlite.h"

#define STORE_AGENT_COLUMNS "id, username, display_name, role, language," \
	" available, disabled, created_at, updated_at"

static void
store_agent_copy_text(sqlite3_stmt *stmt, int column, char *out, size_t size)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	snprintf(out, size, "%s", text != NULL ? (const char *)text : "");
}

/* Fills agent from a row of STORE_AGENT_COLUMNS, without departments. */
static void
store_agent_row(sqlite3_stmt *stmt, struct store_agent *agent)
{
	char role[16];

	memset(agent, 0, sizeof *agent);
	agent->id = sqlite3_column_int64(stmt, 0);
	store_agent_copy_text(stmt, 1, agent->username, sizeof agent->username);
	store_agent_copy_text(stmt, 2, agent->display_name,
	    sizeof agent->display_name);
	store_agent_copy_text(stmt, 3, role, sizeof role);
	if (auth_role_parse(role, &agent->role) != 0)
		agent->role = AUTH_ROLE_AGENT;
	store_agent_copy_text(stmt, 4, agent->language, sizeof agent->language);
	agent->available = sqlite3_column_int(stmt, 5) != 0;
	agent->disabled = sqlite3_column_int(stmt, 6) != 0;
	agent->created_at = sqlite3_column_int64(stmt, 7);
	agent->updated_at = sqlite3_column_int64(stmt, 8);
}

static int
store_agent_departments(struct store_conn *conn, struct store_agent *agent)
{
	static const char sql[] = "SELECT department FROM agent_departments"
	    " WHERE agent_id = ? ORDER BY department";
	sqlite3_stmt *stmt = store_sqlite_query(conn, sql, "i", agent->id);
	int rc;

	if (stmt == NULL)
		return -1;
	agent->department_count = 0;
	while ((rc = store_sqlite_row(conn, stmt)) == 1) {
		if (agent->department_count == AUTH_DEPARTMENTS_MAX) {
			sqlite3_reset(stmt);
			break;
		}
		store_agent_copy_text(stmt, 0,
		    agent->departments[agent->department_count++],
		    AUTH_DEPARTMENT_ID_MAX + 1);
	}
	return rc < 0 ? -1 : 0;
}

/* Reads the one agent that stmt selects, with its departments. */
static int
store_agent_read(struct store_conn *conn, sqlite3_stmt *stmt,
    struct store_agent *agent, char *password_hash)
{
	int rc;

	if (stmt == NULL || (rc = store_sqlite_row(conn, stmt)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	store_agent_row(stmt, agent);
	if (password_hash != NULL)
		store_agent_copy_text(stmt, 9, password_hash,
		    AUTH_PASSWORD_HASH_SIZE);
	sqlite3_reset(stmt);
	return store_agent_departments(conn, agent) == 0 ? 1 : -1;
}

static int
store_agent_get_on(struct store_conn *conn, int64_t id,
    struct store_agent *agent)
{
	static const char sql[] = "SELECT " STORE_AGENT_COLUMNS
	    " FROM agents WHERE id = ?";

	return store_agent_read(conn, store_sqlite_query(conn, sql, "i", id),
	    agent, NULL);
}

int
store_agent_get(struct store *store, int64_t id, struct store_agent *agent)
{
	return store_agent_get_on(&store->reader, id, agent);
}

static int
store_agent_find_on(struct store_conn *conn, const char *username,
    struct store_agent *agent, char *password_hash)
{
	static const char sql[] = "SELECT " STORE_AGENT_COLUMNS
	    ", password_hash FROM agents WHERE username = ?";

	return store_agent_read(conn, store_sqlite_query(conn, sql, "t",
	    username), agent, password_hash);
}

int
store_agent_find(struct store *store, const char *username,
    struct store_agent *agent, char *password_hash)
{
	return store_agent_find_on(&store->reader, username, agent,
	    password_hash);
}

int
store_agents_each(struct store *store,
    int (*fn)(const struct store_agent *agent, void *arg), void *arg)
{
	static const char sql[] = "SELECT " STORE_AGENT_COLUMNS
	    " FROM agents WHERE id > ? ORDER BY id LIMIT 1";
	struct store_agent agent;
	int64_t after = 0;
	int rc;

	/* One agent a query, so that reading each agent's departments does
	 * not reset the statement that walks the agents. */
	for (;;) {
		rc = store_agent_read(&store->reader, store_sqlite_query(
		    &store->reader, sql, "i", after), &agent, NULL);
		if (rc <= 0)
			return rc;
		if ((rc = fn(&agent, arg)) != 0)
			return rc;
		after = agent.id;
	}
}

/* A time as ISO 8601 in Vietnam time, or null for 0. */
static json_t *
store_agent_time(int64_t ms)
{
	char text[CLOCK_ISO8601_SIZE];

	if (ms == 0 || clock_format_vietnam(ms, text) != 0)
		return json_null();
	return json_string(text);
}

json_t *
store_agent_json(const struct store_agent *agent)
{
	json_t *departments = json_array();

	if (departments == NULL)
		return NULL;
	for (size_t i = 0; i < agent->department_count; i++) {
		if (json_array_append_new(departments,
		    json_string(agent->departments[i])) != 0) {
			json_decref(departments);
			return NULL;
		}
	}
	/* "o" steals departments and the times, also when packing fails. */
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:b, s:b, s:s, s:o, s:o}",
	    "id", (json_int_t)agent->id, "username", agent->username,
	    "display_name", agent->display_name,
	    "role", auth_role_name(agent->role), "departments", departments,
	    "available", agent->available, "disabled", agent->disabled,
	    "language", agent->language,
	    "created_at", store_agent_time(agent->created_at),
	    "updated_at", store_agent_time(agent->updated_at));
}

/* --- Writing -------------------------------------------------------------- */

int
store_tx_agent_get(struct store_tx *tx, int64_t id, struct store_agent *agent)
{
	return store_agent_get_on(tx->conn, id, agent);
}

int
store_tx_agent_find(struct store_tx *tx, const char *username,
    struct store_agent *agent)
{
	return store_agent_find_on(tx->conn, username, agent, NULL);
}

static int
store_tx_agent_departments(struct store_tx *tx, const struct store_agent *agent)
{
	static const char delete_sql[] = "DELETE FROM agent_departments"
	    " WHERE agent_id = ?";
	static const char insert_sql[] = "INSERT INTO agent_departments"
	    " (agent_id, department) VALUES (?, ?) ON CONFLICT DO NOTHING";
	sqlite3_stmt *stmt;

	stmt = store_sqlite_query(tx->conn, delete_sql, "i", agent->id);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	for (size_t i = 0; i < agent->department_count; i++) {
		stmt = store_sqlite_query(tx->conn, insert_sql, "it", agent->id,
		    agent->departments[i]);
		if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
			return -1;
	}
	return 0;
}

int
store_tx_agent_create(struct store_tx *tx, struct store_agent *agent,
    const char *password_hash, int64_t now)
{
	static const char taken_sql[] = "SELECT 1 FROM agents"
	    " WHERE username = ?";
	static const char insert_sql[] = "INSERT INTO agents (username,"
	    " display_name, role, password_hash, language, available, disabled,"
	    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_sqlite_query(tx->conn, taken_sql, "t", agent->username);
	if (stmt == NULL || (rc = store_sqlite_row(tx->conn, stmt)) < 0)
		return -1;
	if (rc == 1) {
		sqlite3_reset(stmt);
		return 1;
	}

	stmt = store_sqlite_query(tx->conn, insert_sql, "ttttt" "iiii",
	    agent->username, agent->display_name, auth_role_name(agent->role),
	    password_hash, agent->language, (int64_t)agent->available,
	    (int64_t)agent->disabled, now, now);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	agent->id = sqlite3_last_insert_rowid(tx->conn->db);
	agent->created_at = agent->updated_at = now;
	return store_tx_agent_departments(tx, agent);
}

int
store_tx_agent_update(struct store_tx *tx, const struct store_agent *agent,
    const char *password_hash, int64_t now)
{
	static const char sql[] = "UPDATE agents SET display_name = ?,"
	    " role = ?, language = ?, available = ?, disabled = ?,"
	    " password_hash = COALESCE(?, password_hash), updated_at = ?"
	    " WHERE id = ?";
	sqlite3_stmt *stmt;

	stmt = store_sqlite_query(tx->conn, sql, "ttt" "ii" "t" "ii",
	    agent->display_name, auth_role_name(agent->role), agent->language,
	    (int64_t)agent->available, (int64_t)agent->disabled, password_hash,
	    now, agent->id);
	if (stmt == NULL || store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	if (sqlite3_changes(tx->conn->db) != 1) {
		log_error("store", "updating agent failed: not found agent=%lld",
		    (long long)agent->id);
		return -1;
	}
	return store_tx_agent_departments(tx, agent);
}

int
store_tx_agent_audit(struct store_tx *tx, int64_t agent_id, const char *actor,
    const char *action, const char *detail)
{
	static const char sql[] = "UPDATE audit_events SET agent_id = ?"
	    " WHERE id = ?";
	sqlite3_stmt *stmt;

	if (store_tx_audit_add(tx, 0, actor, action, detail) != 0)
		return -1;
	if (agent_id == 0)
		return 0;
	stmt = store_sqlite_query(tx->conn, sql, "ii", agent_id,
	    (int64_t)sqlite3_last_insert_rowid(tx->conn->db));
	return stmt != NULL ? store_sqlite_run(tx->conn, stmt) : -1;
}

/* --- citizenhubctl -------------------------------------------------------- */

int
store_auth_direct(const char *data_dir, int busy_timeout_ms,
    int (*apply)(struct store_tx *tx, void *arg), void *arg, char *err,
    size_t err_size)
{
	char path[STORE_PATH_MAX];
	struct store_conn conn;
	struct store_tx tx;
	int version, result;

	if (snprintf(path, sizeof path, "%s/%s", data_dir, STORE_DB_FILE) >=
	    (int)sizeof path) {
		snprintf(err, err_size, "data directory path too long");
		return -1;
	}
	/* store_sqlite_open would create a missing database. */
	if (access(path, F_OK) != 0) {
		snprintf(err, err_size, "cannot open %s: %s (run 'citizenhubctl "
		    "--data-dir %s init' to create it)", path, strerror(errno),
		    data_dir);
		return -1;
	}
	if (store_sqlite_open(&conn, path, false, busy_timeout_ms, err,
	    err_size) != 0)
		return -1;
	if (store_migrate_version(conn.db, &version) != 0 ||
	    version != STORE_SCHEMA_VERSION) {
		snprintf(err, err_size, "database %s has schema version %d, "
		    "this program uses %d", path, version, STORE_SCHEMA_VERSION);
		store_sqlite_close(&conn);
		return -1;
	}
	if (sqlite3_exec(conn.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(err, err_size, "starting a transaction on %s failed: %s",
		    path, sqlite3_errmsg(conn.db));
		store_sqlite_close(&conn);
		return -1;
	}

	tx = (struct store_tx){ .store = NULL, .conn = &conn,
	    .now = clock_now_ms() };
	result = apply(&tx, arg);
	if (result == 0 && sqlite3_exec(conn.db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(err, err_size, "committing to %s failed: %s", path,
		    sqlite3_errmsg(conn.db));
		result = -1;
	}
	if (result != 0)
		sqlite3_exec(conn.db, "ROLLBACK", NULL, NULL, NULL);
	store_sqlite_close(&conn);
	return result;
}
