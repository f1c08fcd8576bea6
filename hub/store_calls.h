/*
 * Telephone calls in the store: the record of each call to the IVR, its
 * ticket when it has one, and the reads of the desk API.
 */
#ifndef HUB_STORE_CALLS_H
#define HUB_STORE_CALLS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* Most calls GET /api/v1/calls returns at once. */
#define STORE_CALLS_LIMIT_MAX 500

/* A call to store. Strings are borrowed for the job; NULL stores NULL. */
struct store_call {
	const char *channel;
	const char *call_id;
	const char *caller;		/* E.164, or the user as received */
	const char *caller_raw;		/* the user as received */
	const char *callee;
	int64_t started_at;		/* Unix ms */
	int64_t answered_at;		/* 0: never answered */
	int64_t ended_at;
	const char *language;
	const char *path;
	const char *dtmf_methods;	/* "rfc4733,info", NULL for none */
	const char *end_reason;
	const char *ticket_code;	/* plain; NULL for none */
	const char *recording_sha256;	/* NULL for none */
	int64_t recording_ms;

	/* Set by store_tx_call_add. */
	int64_t id;			/* the new row, 0 for a duplicate */
	int64_t ticket_id;		/* 0 when ticket_code names none */
	bool duplicate;			/* this call_id and started_at exist */
};

/* Inserts call. A ticket_code that names no ticket stores ticket_id NULL,
 * and the attachment row of the recording is found among the ticket's
 * attachments by its hash. A second record of the same (channel, call_id,
 * started_at) changes nothing and sets duplicate. A call with a ticket gets
 * an outbox row "call.recorded". Store thread. Returns 0 or -1. */
int store_tx_call_add(struct store_tx *tx, struct store_call *call);

/* The calls of ticket_id, oldest first, as a JSON array of the objects
 * that docs/api.md describes under "calls". Main thread, reader
 * connection. Returns a new array or NULL on error. */
json_t *store_calls_ticket_json(struct store *store, int64_t ticket_id);

/* The calls started at or after since_ms (Unix ms) whose id is greater
 * than after_id, in the order they were stored, at most limit, each with
 * the code of its ticket or null. Returns a new array or NULL on error. */
json_t *store_calls_list_json(struct store *store, int64_t since_ms,
    int64_t after_id, int limit);

/* When ticket_id was resolved, in Unix ms: 0 when it is not resolved or
 * closed after a resolution. Returns 1, 0 when there is no such ticket, or
 * -1 on error. */
int store_ticket_resolved_at(struct store *store, int64_t ticket_id,
    int64_t *resolved_at);

#endif
