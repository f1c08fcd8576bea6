/*
 * Automatic assignment of tickets to agents, by each department's policy
 * ("assignment" in the departments of the config: manual, round_robin or
 * fewest_open). It listens to in-process events on the main thread:
 *
 *   ticket.created       a new ticket of an automatic department gets an
 *                        available agent, or stays new and unassigned;
 *   agent.availability   available true: the new unassigned tickets of the
 *                        agent's automatic departments are assigned,
 *                        oldest first; available false (also sent when an
 *                        agent is disabled): the agent's assigned and
 *                        in_progress tickets go to another available agent
 *                        by their department's policy, or back to new
 *                        without an assignee;
 *   agent.departments    {agent_id, available}, after the agent's
 *                        departments changed: the agent's assigned and
 *                        in_progress tickets of departments they left are
 *                        moved as for available false (waiting tickets
 *                        stay with them, as they do then); then, when
 *                        available, the backlog is assigned as for
 *                        available true;
 *   desk.changed         the policies are read again and every automatic
 *                        department's unassigned tickets are assigned.
 *
 * At start-up the same sweep runs, for tickets whose event was lost in a
 * crash. Each choice and its write are one store job (store_assign.h).
 * After the commit every change is published as "ticket.assigned"
 * {ticket_id, assignee_id (0: none), agent_id: 0}.
 */
#ifndef HUB_ASSIGN_H
#define HUB_ASSIGN_H

struct events;
struct hub_config;
struct store;
struct assign;

/* Maximum number of tickets that one store job of a sweep assigns. A sweep
 * that reaches it goes on in another job. */
#define ASSIGN_SWEEP_MAX 200

/* Subscribes to the events and starts the start-up sweep. Returns NULL
 * when out of memory. */
struct assign *assign_start(struct store *store, struct events *events,
    const struct hub_config *config);

/* Unsubscribes from the events. Jobs already queued still run and publish
 * their changes. */
void assign_stop(struct assign *assign);

/* Frees the state. Call it after store_close, which runs the completions
 * of the jobs still queued. NULL is ignored. */
void assign_free(struct assign *assign);

#endif
