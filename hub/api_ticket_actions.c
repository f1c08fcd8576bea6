/*
 * The changes of the ticket desk API: replies, notes, status, assignment,
 * claims, merges and tags. Each handler checks the request body here, on
 * the main thread, then hands the change to a store job (api_ticket_apply.c)
 * and replies once the job's batch has committed, after publishing the
 * job's events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "api_tickets_internal.h"
#include "api_error.h"
#include "clock.h"
#include "events.h"
#include "http_server.h"
#include "log.h"
#include "store_casework.h"

/* --- Jobs ------------------------------------------------------------------ */

struct api_ticket_job *
api_ticket_job_new(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, enum api_ticket_kind action,
    int64_t ticket_id)
{
	struct api_ticket_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	job->api = api;
	job->req = req;
	job->agent = *agent;
	auth_actor(agent, job->actor, sizeof(job->actor));
	job->action = action;
	job->ticket_id = ticket_id;
	return job;
}

static void
action_job_free(struct api_ticket_job *job)
{
	for (size_t i = 0; i < job->event_count; i++)
		json_decref(job->events[i].payload);
	for (size_t i = 0; i < job->tag_count; i++)
		free(job->tags[i]);
	free(job->tags);
	free(job->text);
	json_decref(job->detail);
	free(job);
}

/* Sends 200 {"ticket": record} of ticket_id, or 500. */
static void
action_send_ticket(struct api_ticket_job *job, int64_t ticket_id)
{
	json_t *record = store_casework_ticket_json(job->api->store, ticket_id,
	    clock_now_ms());

	if (record == NULL) {
		log_error("http", "reading a ticket after a change failed "
		    "ticket=%lld", (long long)ticket_id);
		api_tickets_error(job->req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	http_send_json(job->req, 200, json_pack("{s:o}", "ticket", record));
}

static void
action_send_message(struct api_ticket_job *job, int status)
{
	json_t *message = store_casework_message_json(job->api->store,
	    job->message_id);

	if (message == NULL) {
		log_error("http", "reading a message after it was stored failed "
		    "ticket=%lld message=%lld", (long long)job->ticket_id,
		    (long long)job->message_id);
		api_tickets_error(job->req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	http_send_json(job->req, status, json_pack("{s:o}", "message",
	    message));
}

static void
action_send_merge(struct api_ticket_job *job)
{
	int64_t now = clock_now_ms();
	json_t *target = store_casework_ticket_json(job->api->store, job->other_id,
	    now);
	json_t *source = store_casework_ticket_json(job->api->store, job->ticket_id,
	    now);

	if (target == NULL || source == NULL) {
		json_decref(target);
		json_decref(source);
		log_error("http", "reading merged tickets failed ticket=%lld "
		    "into=%lld", (long long)job->ticket_id,
		    (long long)job->other_id);
		api_tickets_error(job->req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	http_send_json(job->req, 200, json_pack("{s:o, s:o}", "ticket", target,
	    "merged", source));
}

static void
action_send_success(struct api_ticket_job *job)
{
	switch (job->action) {
	case API_TICKET_READ:
		http_send_json(job->req, 200, json_pack("{s:O}", "ticket",
		    job->detail));
		break;
	case API_TICKET_REPLY:
		action_send_message(job, 202);
		break;
	case API_TICKET_NOTE:
		action_send_message(job, 201);
		break;
	case API_TICKET_MERGE:
		action_send_merge(job);
		break;
	default:
		action_send_ticket(job, job->ticket_id);
	}
}

static void
action_done(int result, void *arg)
{
	struct api_ticket_job *job = arg;
	struct events *events = job->api->events;

	if (result == 0) {
		for (size_t i = 0; events != NULL && i < job->event_count; i++)
			events_publish(events, job->events[i].name,
			    job->events[i].payload);
		action_send_success(job);
	} else if (result == 1) {
		log_debug("http", "desk request rejected action=%d ticket=%lld "
		    "agent=%lld error=%s field=%s", (int)job->action,
		    (long long)job->ticket_id, (long long)job->agent.id,
		    api_error_name(job->error.code), job->error.field);
		http_send_error(job->req, &job->error);
	} else {
		log_error("http", "desk change failed, nothing stored action=%d "
		    "ticket=%lld agent=%lld", (int)job->action,
		    (long long)job->ticket_id, (long long)job->agent.id);
		api_tickets_error(job->req, HUB_ERR_INTERNAL, NULL, 0);
	}
	action_job_free(job);
}

void
api_ticket_job_submit(struct api_ticket_job *job)
{
	job->job.apply = api_ticket_apply;
	job->job.done = action_done;
	job->job.arg = job;
	if (store_submit(job->api->store, &job->job) != 0) {
		log_error("http", "desk change not queued for the store "
		    "ticket=%lld", (long long)job->ticket_id);
		api_tickets_error(job->req, HUB_ERR_UNAVAILABLE, NULL, 0);
		action_job_free(job);
	}
}

/* Makes the job, or sends 500. */
static struct api_ticket_job *
action_job(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, enum api_ticket_kind action,
    int64_t ticket_id)
{
	struct api_ticket_job *job = api_ticket_job_new(api, req, agent, action,
	    ticket_id);

	if (job == NULL)
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
	return job;
}

/* The actions below /api/v1/tickets/ID/, with the members their bodies
 * may have. */
static const struct {
	const char *name;
	enum api_ticket_kind action;
	api_ticket_parse_fn parse;
	const char *keys[4];	/* NULL-terminated */
	bool empty_ok;		/* an empty body counts as {} */
} action_table[] = {
	{ "replies", API_TICKET_REPLY, api_ticket_parse_reply,
	  { "body", "contact_id", "language", NULL }, false },
	{ "notes", API_TICKET_NOTE, api_ticket_parse_note,
	  { "body", NULL }, false },
	{ "status", API_TICKET_STATUS, api_ticket_parse_status,
	  { "status", "note", NULL }, false },
	{ "assign", API_TICKET_ASSIGN, api_ticket_parse_assign,
	  { "agent_id", NULL }, false },
	{ "claim", API_TICKET_CLAIM, api_ticket_parse_claim,
	  { NULL }, true },
	{ "merge", API_TICKET_MERGE, api_ticket_parse_merge,
	  { "into", NULL }, false },
	{ "tags", API_TICKET_TAGS_SET, api_ticket_parse_tags,
	  { "tags", NULL }, false },
};

/* DELETE /api/v1/tickets/ID/tags/TAG: a tag that cannot be valid cannot be
 * on the ticket, so it is 404 like a tag the ticket lacks. */
static void
action_tag_remove(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, int64_t ticket_id, const char *tag)
{
	char *normalized = api_ticket_tag_normalize(tag, strlen(tag));
	struct api_ticket_job *job;

	if (normalized == NULL) {
		api_tickets_error(req, HUB_ERR_NOT_FOUND, "tag", 0);
		return;
	}
	job = action_job(api, req, agent, API_TICKET_TAG_REMOVE, ticket_id);
	if (job == NULL || (job->tags = calloc(1, sizeof(*job->tags))) == NULL) {
		free(normalized);
		if (job != NULL) {
			api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
			action_job_free(job);
		}
		return;
	}
	job->tags[0] = normalized;
	job->tag_count = 1;
	api_ticket_job_submit(job);
}

void
api_ticket_action(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, int64_t ticket_id, const char *action,
    const char *tag)
{
	size_t count = sizeof(action_table) / sizeof(action_table[0]);
	struct api_ticket_job *job;
	json_t *body;

	if (tag != NULL) {
		action_tag_remove(api, req, agent, ticket_id, tag);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(action, action_table[i].name) != 0)
			continue;
		body = api_ticket_body(api, req, action_table[i].keys,
		    action_table[i].empty_ok);
		if (body == NULL)
			return;
		job = action_job(api, req, agent, action_table[i].action,
		    ticket_id);
		if (job != NULL && action_table[i].parse(req, body, job) != 0) {
			action_job_free(job);
			job = NULL;
		}
		json_decref(body);
		if (job != NULL)
			api_ticket_job_submit(job);
		return;
	}
	api_tickets_error(req, HUB_ERR_NOT_FOUND, NULL, 0);
}
