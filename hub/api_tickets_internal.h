/*
 * Parts shared by the files of the ticket desk API: api_tickets.c (routing
 * and the detail), api_tickets_list.c (the list), api_ticket_input.c (the
 * request bodies), api_ticket_actions.c (jobs and replies) and
 * api_ticket_apply.c (the store jobs that carry out the changes).
 * Not for the rest of the daemon.
 */
#ifndef HUB_API_TICKETS_INTERNAL_H
#define HUB_API_TICKETS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "lifecycle.h"
#include "message.h"
#include "store.h"

struct api_context;
struct evhttp_request;

/* Path of one ticket; what follows the ticket's segment names an action. */
#define API_TICKETS_TICKET_PATH "/api/v1/tickets/"

/* Characters allowed in the id of a department, category or commune, as
 * the config allows them. */
#define API_TICKETS_ID_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"
#define API_TICKETS_ID_MAX 32

enum api_ticket_kind {
	API_TICKET_READ,		/* GET: the audit event of a read */
	API_TICKET_REPLY,
	API_TICKET_NOTE,
	API_TICKET_STATUS,
	API_TICKET_ASSIGN,
	API_TICKET_CLAIM,
	API_TICKET_MERGE,
	API_TICKET_TAGS_SET,
	API_TICKET_TAG_REMOVE,
};

#define API_TICKET_EVENTS_MAX 3

/* An event to publish after the commit; payload is owned. */
struct api_ticket_event {
	const char *name;
	json_t *payload;
};

/*
 * One request of the desk API that writes: built on the main thread, its
 * apply function runs in a store job, and its done function replies to the
 * request on the main thread after the commit. apply returns 0 when the
 * change is made, 1 when a rule rejects it (error is set, and the savepoint
 * is rolled back so nothing changes), or -1 on a database error.
 */
struct api_ticket_job {
	struct store_job job;
	struct api_context *api;
	struct evhttp_request *req;
	struct auth_agent agent;
	char actor[160];	/* auth_actor's text */
	enum api_ticket_kind action;
	int64_t ticket_id;

	/* Inputs; which ones are set depends on action. */
	char *text;		/* reply or note body, or the note of a
				 * status change (NULL for none) */
	char language[3];	/* of a reply, "" for the ticket's */
	int64_t contact_id;	/* of a reply, 0 for the ticket's contact */
	enum lifecycle_status status;
	int64_t assignee_id;	/* 0 to unassign */
	int64_t other_id;	/* the target of a merge */
	char **tags;		/* tags to set, or the one to remove */
	size_t tag_count;
	json_t *detail;		/* a read: the ticket to send once audited */

	/* Outputs of apply. */
	struct hub_error error;
	bool changed;		/* false when the request changed nothing */
	int64_t message_id;	/* a reply or note */
	int64_t citizen_id;
	struct api_ticket_event events[API_TICKET_EVENTS_MAX];
	size_t event_count;
};

/* api_tickets.c */

/* Sends an error reply with code, field (NULL for none) and limit. */
void api_tickets_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field, long limit);

/* Resolves a ticket's path segment or a merge's "into": up to nine digits
 * are the internal id, anything else must be a ticket code. Returns 1
 * found, 0 not found, -1 malformed, -2 on a store error. */
int api_tickets_resolve(struct api_context *api, const char *segment,
    int64_t *ticket_id);

/* api_tickets_list.c */

/* Handles GET /api/v1/tickets for agent. */
void api_tickets_list(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent);

/* api_ticket_actions.c */

/* Handles a request on /api/v1/tickets/ID/ACTION (or .../tags/TAG) whose
 * method already matched and whose caller is agent. */
void api_ticket_action(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, int64_t ticket_id, const char *action,
    const char *tag);

/* Allocates a job for action on ticket_id by agent. Returns NULL when out
 * of memory. */
struct api_ticket_job *api_ticket_job_new(struct api_context *api,
    struct evhttp_request *req, const struct auth_agent *agent,
    enum api_ticket_kind action, int64_t ticket_id);

/* Submits job to the store, or sends 503 and frees it. */
void api_ticket_job_submit(struct api_ticket_job *job);

/* api_attachments.c */

/* Handles GET /api/v1/tickets/ID/attachments/ATTACHMENT_ID for agent:
 * sends the file after an audit event of the read has committed. */
void api_ticket_attachment(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, int64_t ticket_id, const char *id_text);

/* The Content-Disposition value "attachment" with filename (NULL for none)
 * as an ASCII fallback and in RFC 6266's filename*=UTF-8'' form. Returns a
 * new string, or NULL when out of memory. */
char *api_attachment_disposition(const char *filename);

/* api_ticket_input.c */

/* Reads the request body as a JSON object whose members are among keys
 * (NULL-terminated). An empty body counts as {} when empty_ok. Returns a
 * new reference, or sends the error and returns NULL. */
json_t *api_ticket_body(struct api_context *api, struct evhttp_request *req,
    const char *const *keys, bool empty_ok);

/* Normalizes a tag: valid UTF-8 without control characters, NFC, trimmed,
 * in lower case, of 1 to STORE_CASEWORK_TAG_CHARS code points. Returns a new
 * string, or NULL when the tag is invalid or memory ran out. */
char *api_ticket_tag_normalize(const char *text, size_t length);

/* Read the inputs of one action from body into job. Each returns 0, or
 * sends the error and returns -1. */
typedef int (*api_ticket_parse_fn)(struct evhttp_request *req,
    const json_t *body, struct api_ticket_job *job);
int api_ticket_parse_reply(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job);
int api_ticket_parse_note(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job);
int api_ticket_parse_status(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job);
int api_ticket_parse_assign(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job);
int api_ticket_parse_claim(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job);
int api_ticket_parse_merge(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job);
int api_ticket_parse_tags(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job);

/* api_ticket_apply.c */

/* The store job's apply function for every action. */
int api_ticket_apply(struct store_tx *tx, void *arg);

#endif
