/*
 * The desk_settings table: the service desk configuration edited through
 * the admin API, which replaces the config file's sections at start-up
 * (desk_edit.c). One row per key; the admin API writes the key "desk".
 */
#ifndef HUB_STORE_DESK_H
#define HUB_STORE_DESK_H

#include <stdint.h>

#include "store.h"

/* The key under which the admin API stores the edited desk sections. */
#define STORE_DESK_KEY "desk"

struct store_desk_setting {
	char *value;		/* JSON text */
	int64_t updated_by;	/* agent id, 0 for the bootstrap admin token */
	int64_t updated_at;	/* Unix ms */
};

void store_desk_setting_clear(struct store_desk_setting *setting);

/* Reads the setting of key on the main thread's read connection (or
 * citizenhubctl's). Returns 1 when found (clear setting afterwards), 0
 * when there is none, -1 on error. */
int store_desk_setting_get(struct store *store, const char *key,
    struct store_desk_setting *setting);

/* Finds an agent whose departments include department, enabled or not.
 * Returns 1 with *agent_id set, 0 when there is none, -1 on error. */
int store_desk_department_agent(struct store *store, const char *department,
    int64_t *agent_id);

/* store_desk_department_agent inside a transaction, so that the answer
 * holds when the transaction commits. Store thread. */
int store_tx_desk_department_agent(struct store_tx *tx,
    const char *department, int64_t *agent_id);

/* Stores value under key with updated_by (0 for the bootstrap admin token)
 * and the batch time, replacing an earlier value. Store thread. */
int store_tx_desk_setting_put(struct store_tx *tx, const char *key,
    const char *value, int64_t updated_by);

/* Adds an audit event about the desk configuration: no ticket, the agent
 * who made the change (0 for the bootstrap admin token), action and a
 * JSON detail. Store thread. */
int store_tx_desk_audit(struct store_tx *tx, int64_t agent_id,
    const char *actor, const char *action, const char *detail);

#endif
