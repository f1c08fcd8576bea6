/*
 * The store's side of what citizens see of the replies and how they rate
 * them: the messages of the status page, satisfaction ratings and their
 * statistics.
 */
#ifndef HUB_STORE_REPLIES_H
#define HUB_STORE_REPLIES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* A ticket's messages as hub_ticket_messages (channel.h) describes them:
 * no notes, no outbound message still queued, in the order they were
 * stored, each with
 * agent_name (a reply's author when agent_names, else null). Returns a new
 * array or NULL on error. */
json_t *store_replies_messages_json(struct store *store, int64_t ticket_id,
    bool agent_names);

/* Follows merged_into from ticket_id and copies the code of the ticket
 * that the case continues under (the last one of the chain, at most
 * STORE_CASEWORK_MERGE_HOPS_MAX hops away) to code. Returns 1 when
 * ticket_id is merged, 0 when it is not or does not exist, -1 on error. */
int store_replies_merged_code(struct store *store, int64_t ticket_id,
    char code[TICKET_CODE_PLAIN_SIZE]);

enum store_rating_result {
	STORE_RATING_STORED,
	STORE_RATING_NOT_FOUND,
	STORE_RATING_NOT_RESOLVED,
	STORE_RATING_MERGED,
};

/* A citizen's rating of a ticket. */
struct store_rating {
	const char *code;	/* plain */
	int rating;		/* 1 to 5 */
	int64_t at;
	/* Set by store_tx_rating: */
	enum store_rating_result result;
	int previous;		/* the rating replaced, 0 for none */
	int64_t ticket_id;
};

/* Stores rating->rating as the satisfaction of a resolved or closed
 * ticket, replacing an earlier rating, with the audit event
 * "ticket.rated" {rating, previous, assignee_id} by the actor "citizen". A
 * ticket merged into another one (STORE_RATING_MERGED) or in another
 * status (STORE_RATING_NOT_RESOLVED) is left alone. */
int store_tx_rating(struct store_tx *tx, struct store_rating *rating);

/* The selection of ratings that the statistics count. */
struct store_satisfaction_filter {
	int64_t from;		/* satisfaction_at >= from; 0 for no bound */
	int64_t to;		/* satisfaction_at < to; 0 for no bound */
	/* NULL for every ticket, else a JSON array text of the department
	 * ids counted; tickets without a department are then left out. */
	const char *departments;
};

/*
 * Ratings of the tickets that filter selects, as
 *
 *   {"overall": SUMMARY,
 *    "departments": [{"department", ...SUMMARY}],
 *    "agents": [{"agent_id", "display_name", ...SUMMARY}]}
 *
 * where SUMMARY is "count", "average" (null when count is 0) and
 * "distribution" {"1": n, ..., "5": n}. An agent is the ticket's assignee
 * (agent_id null for tickets rated without one). Departments and agents
 * are ordered by id. Returns a new object or NULL on error.
 */
json_t *store_satisfaction_json(struct store *store,
    const struct store_satisfaction_filter *filter);

#endif
