/*
 * The store's part of agents' authentication: agents with their
 * departments, login sessions and bearer tokens (kept as keyed hashes
 * only), and the counters of failed logins.
 *
 * Reads run on the main thread's read connection (or citizenhubctl's) and
 * writes inside store jobs, as in store.h. Times are Unix milliseconds from
 * clock_now_ms, passed in by the caller. Functions return 0 on success and
 * -1 on a database error (logged), unless said otherwise.
 */
#ifndef HUB_STORE_AUTH_H
#define HUB_STORE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth_internal.h"
#include "store.h"

/* Bytes of a display name at most: AUTH_DISPLAY_NAME_MAX_CHARS code points
 * of up to 4 bytes and the NUL. */
#define STORE_AGENT_NAME_SIZE (4 * AUTH_DISPLAY_NAME_MAX_CHARS + 1)

/* One row of agents with its departments, sorted. */
struct store_agent {
	int64_t id;
	char username[AUTH_USERNAME_MAX + 1];
	char display_name[STORE_AGENT_NAME_SIZE];
	enum auth_role role;
	char language[3];	/* "vi" or "en" */
	bool available;
	bool disabled;
	size_t department_count;
	char departments[AUTH_DEPARTMENTS_MAX][AUTH_DEPARTMENT_ID_MAX + 1];
	int64_t created_at;
	int64_t updated_at;
};

/* A session or bearer token found by its hash, with its agent. */
struct store_session {
	int64_t id;
	int64_t agent_id;
	bool bearer;		/* kind 'bearer', else 'cookie' */
	bool has_csrf;
	uint8_t csrf_hash[AUTH_TOKEN_HASH_BYTES];
	int64_t last_seen_at;
	int64_t expires_at;
	int64_t revoked_at;	/* 0 when not revoked */
	bool agent_disabled;
};

/* A new session; token_hash and csrf_hash (NULL for a bearer token) are
 * AUTH_TOKEN_HASH_BYTES each. */
struct store_session_new {
	int64_t agent_id;
	bool bearer;
	const uint8_t *token_hash;
	const uint8_t *csrf_hash;
	const char *address;	/* the client's, NULL when unknown */
	int64_t now;
	int64_t expires_at;
	int64_t id;		/* set on success */
};

/* --- Reading -------------------------------------------------------------- */

/* Each returns 1 when found, 0 when not, -1 on error. */
int store_agent_get(struct store *store, int64_t id, struct store_agent *agent);
/* Finds an agent by normalized username; when password_hash is not NULL,
 * copies the agent's hash into it (AUTH_PASSWORD_HASH_SIZE bytes). */
int store_agent_find(struct store *store, const char *username,
    struct store_agent *agent, char *password_hash);
int store_session_find(struct store *store,
    const uint8_t token_hash[AUTH_TOKEN_HASH_BYTES],
    struct store_session *session);
int store_lockout_get(struct store *store, const char *key,
    struct auth_lockout_state *state);

/* Calls fn for every agent in id order until it returns non-zero. Returns
 * 0, fn's non-zero value, or -1 on error. */
int store_agents_each(struct store *store,
    int (*fn)(const struct store_agent *agent, void *arg), void *arg);

/* {id, username, display_name, role, departments, available, disabled,
 * language, created_at, updated_at}. Returns a new reference or NULL. */
json_t *store_agent_json(const struct store_agent *agent);

/* --- Writing (store thread, inside a job) -------------------------------- */

int store_tx_agent_get(struct store_tx *tx, int64_t id,
    struct store_agent *agent);
int store_tx_agent_find(struct store_tx *tx, const char *username,
    struct store_agent *agent);

/* Inserts agent (its id is set) with password_hash and its departments.
 * Returns 0, 1 when the username is taken (nothing added), or -1. */
int store_tx_agent_create(struct store_tx *tx, struct store_agent *agent,
    const char *password_hash, int64_t now);

/* Writes every column of agent and replaces its departments; a
 * password_hash that is not NULL replaces the password. */
int store_tx_agent_update(struct store_tx *tx, const struct store_agent *agent,
    const char *password_hash, int64_t now);

/* Adds an audit event about agent_id (0 for none) by actor. */
int store_tx_agent_audit(struct store_tx *tx, int64_t agent_id,
    const char *actor, const char *action, const char *detail);

int store_tx_session_create(struct store_tx *tx,
    struct store_session_new *session);
/* Revokes one session, or every session of an agent; revoking twice keeps
 * the first time. */
int store_tx_session_revoke(struct store_tx *tx, int64_t session_id,
    int64_t now);
int store_tx_sessions_revoke_agent(struct store_tx *tx, int64_t agent_id,
    int64_t now);
/* Moves last_seen_at forward to now. */
int store_tx_session_touch(struct store_tx *tx, int64_t session_id,
    int64_t now);
/* Deletes sessions that expired or were revoked before before. */
int store_tx_sessions_prune(struct store_tx *tx, int64_t before);

/* Returns 1 with state filled, 0 when the key has no row, -1 on error. */
int store_tx_lockout_get(struct store_tx *tx, const char *key,
    struct auth_lockout_state *state);
int store_tx_lockout_put(struct store_tx *tx, const char *key,
    const struct auth_lockout_state *state);
int store_tx_lockout_clear(struct store_tx *tx, const char *key);
/* Deletes rows whose window and lock both ended before now. */
int store_tx_lockout_prune(struct store_tx *tx, int64_t window_ms,
    int64_t now);

/* --- citizenhubctl -------------------------------------------------------- */

/*
 * Runs apply in one IMMEDIATE transaction on a connection of its own to the
 * database of data_dir, for citizenhubctl. SQLite in WAL mode lets this
 * writer wait for the daemon's (busy timeout) while the daemon runs, and
 * the daemon reads agents and sessions from the database on every request,
 * so changes made here apply without a restart. apply returns 0 to commit,
 * else the transaction is rolled back and its value returned. Returns -1
 * with a message in err when the database cannot be opened or committed.
 */
int store_auth_direct(const char *data_dir, int busy_timeout_ms,
    int (*apply)(struct store_tx *tx, void *arg), void *arg, char *err,
    size_t err_size);

#endif
