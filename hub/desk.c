/*
 * The desk in force: one atomic pointer to an immutable struct
 * hub_config_desk, replaced as a whole when an admin edit commits.
 *
 * Old desks are kept until config_free and never freed earlier. A reader
 * on the store thread may hold a desk for a whole job (the routing it
 * builds points into it), and the main thread is not notified when that
 * job is done with it. Edits are rare admin actions, and a desk takes from a
 * few kilobytes to some hundreds (an estimate for a province's list of
 * categories and keywords), so keeping them costs little.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "config_internal.h"
#include "desk.h"

struct desk_state {
	_Atomic(struct hub_config_desk *) current;
};

/* The desk of a config that has none: no department, category or commune,
 * so every report stays unclassified and unrouted. */
static const struct hub_config_desk desk_empty;

const struct hub_config_desk *
desk_current(const struct hub_config *config)
{
	const struct hub_config_desk *desk;

	if (config == NULL || config->desk == NULL)
		return &desk_empty;
	/* Acquire pairs with the release in desk_replace: a reader that sees
	 * the new pointer also sees every field written before the swap. */
	desk = atomic_load_explicit(&config->desk->current,
	    memory_order_acquire);
	return desk != NULL ? desk : &desk_empty;
}

void
desk_replace(const struct hub_config *config, struct hub_config_desk *desk)
{
	struct desk_state *state = config->desk;

	/* Only the main thread writes, so reading the old pointer and storing
	 * the new one need not be one atomic step. */
	desk->previous = atomic_load_explicit(&state->current,
	    memory_order_relaxed);
	atomic_store_explicit(&state->current, desk, memory_order_release);
}

struct desk_state *
desk_state_new(struct hub_config_desk *desk)
{
	struct desk_state *state = malloc(sizeof(*state));

	if (state == NULL)
		return NULL;
	atomic_init(&state->current, desk);
	return state;
}

void
desk_state_free(struct desk_state *state)
{
	struct hub_config_desk *desk, *previous;

	if (state == NULL)
		return;
	desk = atomic_load_explicit(&state->current, memory_order_relaxed);
	for (; desk != NULL; desk = previous) {
		previous = desk->previous;
		desk_free(desk);
	}
	free(state);
}

void
desk_free(struct hub_config_desk *desk)
{
	if (desk == NULL)
		return;
	config_desk_free(desk);
	free(desk);
}
