/*
 * Automatic assignment in the store: choosing an agent for a ticket of a
 * department and writing the assignment, in one store job, so that the
 * choice sees every assignment committed or made earlier in the same batch.
 *
 * An agent qualifies for a department when the agent is enabled, available,
 * has the role agent or supervisor and belongs to the department
 * (agent_departments). Round robin takes the qualifying agent with the
 * lowest id above the department's cursor, wrapping to the lowest id, and
 * moves the cursor to that agent; the cursor is the desk_settings row
 * "assignment.cursor.DEPARTMENT", so it survives a restart. Fewest open
 * takes the qualifying agent with the fewest tickets, over all departments,
 * whose status is not resolved or closed, the lower id on a tie.
 *
 * Every change sets the ticket's assignee and status ("assigned", or "new"
 * when the ticket loses its assignee), and adds an audit event with the
 * actor "assignment" and an outbox row "ticket.assigned".
 */
#ifndef HUB_STORE_ASSIGN_H
#define HUB_STORE_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "desk.h"
#include "store.h"

/* The audit actor of automatic assignment. */
#define STORE_ASSIGN_ACTOR "assignment"

/* The policy of one department, copied from the desk configuration for the
 * store thread, which does not read the configuration. */
struct store_assign_policy {
	const char *department;
	enum desk_assignment assignment;
};

/* One ticket whose assignee changed in a job. */
struct store_assign_change {
	int64_t ticket_id;
	int64_t assignee_id;	/* 0: the ticket is unassigned */
	int64_t previous_id;	/* 0: it had no assignee */
};

/* The changes of one job, in the order made. */
struct store_assign_changes {
	struct store_assign_change *items;
	size_t count;
	size_t capacity;
};

void store_assign_changes_clear(struct store_assign_changes *changes);

/* Finds the policy of department in policies. Returns
 * DESK_ASSIGNMENT_MANUAL for a department that is not listed or NULL. */
enum desk_assignment store_assign_policy_of(
    const struct store_assign_policy *policies, size_t count,
    const char *department);

/* Chooses an agent for a ticket of department under assignment, other than
 * exclude_id (0 for none). Round robin also moves the department's cursor
 * to the agent chosen. Returns 1 with *agent_id set, 0 when no agent
 * qualifies or the policy is manual, -1 on error. */
int store_tx_assign_choose(struct store_tx *tx, const char *department,
    enum desk_assignment assignment, int64_t exclude_id, int64_t *agent_id);

/* Assigns a ticket that is new and has no assignee, when its department
 * has an automatic policy and an agent qualifies; otherwise changes
 * nothing. Appends the change to changes. Returns 0 or -1. */
int store_tx_assign_ticket(struct store_tx *tx, int64_t ticket_id,
    const struct store_assign_policy *policies, size_t count,
    struct store_assign_changes *changes);

/* Assigns the new tickets without an assignee of department, oldest first,
 * until no agent qualifies or limit tickets were assigned; *more is set
 * when the limit stopped it. With agent_id other than 0, only when that
 * agent belongs to the department. Returns 0 or -1. */
int store_tx_assign_backlog(struct store_tx *tx, const char *department,
    enum desk_assignment assignment, int64_t agent_id, int limit,
    struct store_assign_changes *changes, bool *more);

/* Moves the tickets of agent_id whose status is assigned or in_progress,
 * for an agent who became unavailable or was disabled. Each goes to
 * another qualifying agent by its department's policy, or loses its
 * assignee (status new) when the policy is manual or no other agent
 * qualifies. Returns 0 or -1. */
int store_tx_assign_release(struct store_tx *tx, int64_t agent_id,
    const struct store_assign_policy *policies, size_t count,
    struct store_assign_changes *changes);

/* Moves the tickets of agent_id whose status is assigned or in_progress
 * and whose department the agent no longer belongs to, after a change of
 * the agent's departments, as store_tx_assign_release does. Tickets in
 * waiting status stay with the agent, as on unavailability. Returns 0 or
 * -1. */
int store_tx_assign_release_departed(struct store_tx *tx, int64_t agent_id,
    const struct store_assign_policy *policies, size_t count,
    struct store_assign_changes *changes);

/* Adds "assignee_id", "reminded_at" and "escalated_at" (Vietnam time, or
 * null) of ticket_id to record, from the main thread's read connection.
 * Returns 0 or -1. */
int store_assign_json_add(struct store *store, json_t *record,
    int64_t ticket_id);

#endif
