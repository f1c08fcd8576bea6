/*
 * Login sessions, bearer tokens and the counters of failed logins in the
 * store. A session is found by the keyed hash of its token; the token
 * itself is never stored.
 */
#include <string.h>

#include "store_auth.h"
#include "store_sqlite.h"

int
store_session_find(struct store *store,
    const uint8_t token_hash[AUTH_TOKEN_HASH_BYTES],
    struct store_session *session)
{
	static const char sql[] = "SELECT s.id, s.agent_id, s.kind,"
	    " s.csrf_hash, s.last_seen_at, s.expires_at, s.revoked_at,"
	    " a.disabled FROM sessions s JOIN agents a ON a.id = s.agent_id"
	    " WHERE s.token_hash = ?";
	struct store_conn *conn = &store->reader;
	sqlite3_stmt *stmt;
	const void *csrf;
	int rc;

	stmt = store_sqlite_query(conn, sql, "b", (const void *)token_hash,
	    AUTH_TOKEN_HASH_BYTES);
	if (stmt == NULL || (rc = store_sqlite_row(conn, stmt)) <= 0)
		return stmt == NULL ? -1 : rc;

	memset(session, 0, sizeof *session);
	session->id = sqlite3_column_int64(stmt, 0);
	session->agent_id = sqlite3_column_int64(stmt, 1);
	session->bearer = strcmp((const char *)sqlite3_column_text(stmt, 2),
	    "bearer") == 0;
	csrf = sqlite3_column_blob(stmt, 3);
	if (csrf != NULL &&
	    sqlite3_column_bytes(stmt, 3) == AUTH_TOKEN_HASH_BYTES) {
		memcpy(session->csrf_hash, csrf, AUTH_TOKEN_HASH_BYTES);
		session->has_csrf = true;
	}
	session->last_seen_at = sqlite3_column_int64(stmt, 4);
	session->expires_at = sqlite3_column_int64(stmt, 5);
	session->revoked_at = sqlite3_column_int64(stmt, 6);
	session->agent_disabled = sqlite3_column_int(stmt, 7) != 0;
	sqlite3_reset(stmt);
	return 1;
}

static int
store_lockout_read(struct store_conn *conn, const char *key,
    struct auth_lockout_state *state)
{
	static const char sql[] = "SELECT failures, first_at,"
	    " COALESCE(locked_until, 0) FROM login_failures WHERE key = ?";
	sqlite3_stmt *stmt = store_sqlite_query(conn, sql, "t", key);
	int rc;

	memset(state, 0, sizeof *state);
	if (stmt == NULL || (rc = store_sqlite_row(conn, stmt)) <= 0)
		return stmt == NULL ? -1 : rc;
	state->failures = sqlite3_column_int64(stmt, 0);
	state->first_at = sqlite3_column_int64(stmt, 1);
	state->locked_until = sqlite3_column_int64(stmt, 2);
	sqlite3_reset(stmt);
	return 1;
}

int
store_lockout_get(struct store *store, const char *key,
    struct auth_lockout_state *state)
{
	return store_lockout_read(&store->reader, key, state);
}

/* --- Writing -------------------------------------------------------------- */

static int
store_session_run(struct store_tx *tx, sqlite3_stmt *stmt)
{
	return stmt != NULL ? store_sqlite_run(tx->conn, stmt) : -1;
}

int
store_tx_session_create(struct store_tx *tx, struct store_session_new *session)
{
	static const char sql[] = "INSERT INTO sessions (agent_id, token_hash,"
	    " kind, csrf_hash, address, created_at, last_seen_at, expires_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *stmt;

	stmt = store_sqlite_query(tx->conn, sql, "ibt", session->agent_id,
	    (const void *)session->token_hash, AUTH_TOKEN_HASH_BYTES,
	    session->bearer ? "bearer" : "cookie");
	if (stmt == NULL)
		return -1;
	if ((session->csrf_hash != NULL ? sqlite3_bind_blob(stmt, 4,
	    session->csrf_hash, AUTH_TOKEN_HASH_BYTES, SQLITE_STATIC) :
	    sqlite3_bind_null(stmt, 4)) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 5, session->address, -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 6, session->now) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 7, session->now) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 8, session->expires_at) != SQLITE_OK)
		return -1;
	if (store_sqlite_run(tx->conn, stmt) != 0)
		return -1;
	session->id = sqlite3_last_insert_rowid(tx->conn->db);
	return 0;
}

int
store_tx_session_revoke(struct store_tx *tx, int64_t session_id, int64_t now)
{
	static const char sql[] = "UPDATE sessions SET revoked_at = ?"
	    " WHERE id = ? AND revoked_at IS NULL";

	return store_session_run(tx, store_sqlite_query(tx->conn, sql, "ii",
	    now, session_id));
}

int
store_tx_sessions_revoke_agent(struct store_tx *tx, int64_t agent_id,
    int64_t now)
{
	static const char sql[] = "UPDATE sessions SET revoked_at = ?"
	    " WHERE agent_id = ? AND revoked_at IS NULL";

	return store_session_run(tx, store_sqlite_query(tx->conn, sql, "ii",
	    now, agent_id));
}

int
store_tx_session_touch(struct store_tx *tx, int64_t session_id, int64_t now)
{
	static const char sql[] = "UPDATE sessions SET last_seen_at = ?1"
	    " WHERE id = ?2 AND last_seen_at < ?1 AND revoked_at IS NULL";

	return store_session_run(tx, store_sqlite_query(tx->conn, sql, "ii",
	    now, session_id));
}

int
store_tx_sessions_prune(struct store_tx *tx, int64_t before)
{
	static const char sql[] = "DELETE FROM sessions WHERE expires_at < ?1"
	    " OR revoked_at < ?1";

	return store_session_run(tx, store_sqlite_query(tx->conn, sql, "i",
	    before));
}

int
store_tx_lockout_get(struct store_tx *tx, const char *key,
    struct auth_lockout_state *state)
{
	return store_lockout_read(tx->conn, key, state);
}

int
store_tx_lockout_put(struct store_tx *tx, const char *key,
    const struct auth_lockout_state *state)
{
	static const char sql[] = "INSERT INTO login_failures (key, failures,"
	    " first_at, locked_until) VALUES (?, ?, ?, NULLIF(?, 0))"
	    " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
	    " first_at = excluded.first_at,"
	    " locked_until = excluded.locked_until";

	return store_session_run(tx, store_sqlite_query(tx->conn, sql, "tiii",
	    key, state->failures, state->first_at, state->locked_until));
}

int
store_tx_lockout_clear(struct store_tx *tx, const char *key)
{
	static const char sql[] = "DELETE FROM login_failures WHERE key = ?";

	return store_session_run(tx, store_sqlite_query(tx->conn, sql, "t",
	    key));
}

int
store_tx_lockout_prune(struct store_tx *tx, int64_t window_ms, int64_t now)
{
	static const char sql[] = "DELETE FROM login_failures"
	    " WHERE first_at <= ?1 AND COALESCE(locked_until, 0) <= ?2";

	return store_session_run(tx, store_sqlite_query(tx->conn, sql, "ii",
	    now - window_ms, now));
}
