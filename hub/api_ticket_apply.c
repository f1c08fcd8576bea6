/*
 * The store jobs of the ticket desk API. Each runs on the store thread in
 * its own savepoint. It reads the ticket inside the transaction and checks
 * the caller's rights and the lifecycle there, so that two agents acting at
 * once cannot both pass a check. It writes the change, an audit event
 * naming the agent and the citizen, and an outbox row per event, and leaves
 * the events for the main thread to publish after the commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_tickets_internal.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "store_casework.h"

static int
apply_reject(struct api_ticket_job *job, enum hub_error_code code,
    const char *field)
{
	hub_error_set(&job->error, code, field, 0);
	return 1;
}

/* Keeps the event for publishing and writes its outbox row, which is the
 * durable copy for platform services. payload is stolen. */
static int
apply_event(struct store_tx *tx, struct api_ticket_job *job, const char *name,
    json_t *payload)
{
	char *text;
	int rc;

	if (payload == NULL || job->event_count == API_TICKET_EVENTS_MAX) {
		json_decref(payload);
		return -1;
	}
	text = json_dumps(payload, JSON_COMPACT);
	rc = text != NULL ? store_tx_outbox_add(tx, name, job->ticket_id,
	    text) : -1;
	free(text);
	if (rc != 0) {
		json_decref(payload);
		return -1;
	}
	job->events[job->event_count].name = name;
	job->events[job->event_count].payload = payload;
	job->event_count++;
	return 0;
}

/* Adds an audit event about ticket by the job's agent; detail is a JSON
 * object (stolen) or NULL. */
static int
apply_audit(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket, const char *action,
    json_t *detail)
{
	char *text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	int rc = -1;

	if (detail == NULL || text != NULL)
		rc = store_tx_casework_audit(tx, &(struct store_casework_audit){
		    .ticket_id = ticket->id, .citizen_id = ticket->citizen_id,
		    .agent_id = job->agent.id, .actor = job->actor,
		    .action = action, .detail = text }, clock_now_ms());
	free(text);
	json_decref(detail);
	return rc;
}

/* Reads ticket_id and checks that the caller may see its department.
 * Returns 0, 1 when rejected (404 naming field, or 403), -1 on error. */
static int
apply_load(struct store_tx *tx, struct api_ticket_job *job, int64_t ticket_id,
    struct store_casework_ticket *ticket, const char *field)
{
	int found = store_tx_casework_ticket(tx, ticket_id, ticket);

	if (found < 0)
		return -1;
	if (found == 0)
		return apply_reject(job, HUB_ERR_NOT_FOUND, field);
	if (!auth_sees_department(&job->agent, ticket->has_department ?
	    ticket->department : NULL))
		return apply_reject(job, HUB_ERR_FORBIDDEN, NULL);
	job->citizen_id = ticket->citizen_id;
	return 0;
}

static bool
apply_ticket_closed(const struct store_casework_ticket *ticket)
{
	return ticket->status == LIFECYCLE_CLOSED || ticket->merged_into != 0;
}

static int
apply_status_event(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket, enum lifecycle_status to)
{
	return apply_event(tx, job, "ticket.status_changed", json_pack(
	    "{s:I, s:s, s:s, s:s, s:I}", "ticket_id", (json_int_t)ticket->id,
	    "code", ticket->code, "from", lifecycle_status_name(ticket->status),
	    "to", lifecycle_status_name(to), "agent_id",
	    (json_int_t)job->agent.id));
}

static int
apply_assigned_event(struct store_tx *tx, struct api_ticket_job *job,
    int64_t assignee_id)
{
	return apply_event(tx, job, "ticket.assigned", json_pack(
	    "{s:I, s:I, s:I}", "ticket_id", (json_int_t)job->ticket_id,
	    "assignee_id", (json_int_t)assignee_id, "agent_id",
	    (json_int_t)job->agent.id));
}

/* --- Reads, replies and notes -------------------------------------------- */

static int
apply_read(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket)
{
	return apply_audit(tx, job, ticket, "ticket.read", json_pack("{s:s}",
	    "code", ticket->code));
}

static int
apply_channel_sends(const struct api_ticket_job *job, const char *channel)
{
	const struct api_context *api = job->api;

	return api->channel_sends != NULL ?
	    api->channel_sends(channel, api->channel_sends_arg) : 1;
}

/*
 * Picks the channel of a reply without contact_id: the ticket's, with the
 * contact that opened it. A channel that cannot send, such as the hotline,
 * hands the reply to "sms" when that contact is a phone number and "sms"
 * sends; otherwise the reply is rejected, since it could never leave.
 */
static int
apply_reply_default(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket, char *channel, int64_t *contact)
{
	enum contact_kind kind = CONTACT_EMAIL;
	int64_t citizen_id;
	int found = 0;

	snprintf(channel, STORE_CASEWORK_CHANNEL_SIZE, "%s", ticket->channel);
	*contact = ticket->contact_id;
	if (apply_channel_sends(job, ticket->channel) != 0)
		return 0;
	if (ticket->contact_id != 0 &&
	    (found = store_tx_casework_contact(tx, ticket->contact_id,
	    &citizen_id, &kind)) < 0)
		return -1;
	if (found == 1 && kind == CONTACT_PHONE &&
	    apply_channel_sends(job, "sms") == 1) {
		snprintf(channel, STORE_CASEWORK_CHANNEL_SIZE, "sms");
		return 0;
	}
	hub_error_set(&job->error, HUB_ERR_MISSING_FIELD, "contact_id",
	    HUB_ERROR_SILENT_CHANNEL);
	return 1;
}

/*
 * Picks the contact and channel of a reply. Without contact_id, see
 * apply_reply_default. With contact_id, which must belong to the ticket's
 * citizen or be on the ticket: a reply to a phone goes by "sms", to an
 * email by "email", and to a platform id on the channel it last wrote
 * from. Returns 0, 1 when rejected, -1 on error.
 */
static int
apply_reply_route(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket, char *channel, int64_t *contact)
{
	enum contact_kind kind;
	int64_t citizen_id;
	int found;

	if (job->contact_id == 0)
		return apply_reply_default(tx, job, ticket, channel, contact);
	*contact = job->contact_id;
	found = store_tx_casework_contact(tx, job->contact_id, &citizen_id, &kind);
	if (found == 1 && (citizen_id == 0 || citizen_id != ticket->citizen_id))
		found = store_tx_ticket_has_contact(tx, ticket->id,
		    job->contact_id);
	if (found <= 0)
		return found < 0 ? -1 : apply_reject(job,
		    HUB_ERR_INVALID_FIELD, "contact_id");
	if (kind == CONTACT_PHONE || kind == CONTACT_EMAIL) {
		snprintf(channel, STORE_CASEWORK_CHANNEL_SIZE, "%s",
		    kind == CONTACT_PHONE ? "sms" : "email");
		return 0;
	}
	found = store_tx_casework_contact_channel(tx, job->contact_id, channel);
	if (found <= 0)
		return found < 0 ? -1 : apply_reject(job,
		    HUB_ERR_INVALID_FIELD, "contact_id");
	return 0;
}

static int
apply_reply(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket)
{
	char channel[STORE_CASEWORK_CHANNEL_SIZE];
	struct store_casework_message message;
	const char *language;
	int64_t contact;
	int rc;

	if (apply_ticket_closed(ticket))
		return apply_reject(job, HUB_ERR_TICKET_CLOSED, NULL);
	if ((rc = apply_reply_route(tx, job, ticket, channel, &contact)) != 0)
		return rc;
	message = (struct store_casework_message){ .ticket_id = ticket->id,
	    .kind = "reply", .channel = channel, .contact_id = contact,
	    .agent_id = job->agent.id, .body = job->text,
	    .language = job->language[0] != '\0' ? job->language : NULL };
	if (store_tx_casework_message_add(tx, &message, clock_now_ms()) != 0 ||
	    store_tx_casework_touch(tx, ticket->id, clock_now_ms()) != 0)
		return -1;
	job->message_id = message.id;
	/* NULL: the send queue wraps the reply in the citizen's language. */
	language = message.language;
	if (apply_audit(tx, job, ticket, "message.reply", json_pack(
	    "{s:I, s:s, s:I, s:s?}", "message_id", (json_int_t)message.id,
	    "channel", channel, "contact_id", (json_int_t)contact,
	    "language", language)) != 0)
		return -1;
	return apply_event(tx, job, "message.queued", json_pack(
	    "{s:I, s:I, s:s, s:s?}", "ticket_id", (json_int_t)ticket->id,
	    "message_id", (json_int_t)message.id, "channel", channel,
	    "language", language));
}

static int
apply_note_add(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket, int64_t *message_id)
{
	struct store_casework_message note = { .ticket_id = ticket->id,
	    .kind = "note", .channel = STORE_CASEWORK_NOTE_CHANNEL,
	    .agent_id = job->agent.id, .body = job->text };

	if (store_tx_casework_message_add(tx, &note, clock_now_ms()) != 0)
		return -1;
	*message_id = note.id;
	return 0;
}

static int
apply_note(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket)
{
	if (apply_note_add(tx, job, ticket, &job->message_id) != 0 ||
	    store_tx_casework_touch(tx, ticket->id, clock_now_ms()) != 0)
		return -1;
	return apply_audit(tx, job, ticket, "message.note", json_pack("{s:I}",
	    "message_id", (json_int_t)job->message_id));
}

/* --- Status and assignment ----------------------------------------------- */

static int
apply_status(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket)
{
	struct lifecycle_effect effect;
	int64_t note_id = 0;

	switch (lifecycle_check(ticket->status, job->status,
	    auth_has_role(&job->agent, AUTH_ROLE_SUPERVISOR),
	    ticket->assignee_id != 0)) {
	case LIFECYCLE_NOT_ALLOWED:
		return apply_reject(job, HUB_ERR_STATUS_TRANSITION, "status");
	case LIFECYCLE_FORBIDDEN:
		return apply_reject(job, HUB_ERR_FORBIDDEN, NULL);
	case LIFECYCLE_ALLOWED:
		break;
	}
	lifecycle_effect(ticket->status, job->status, &effect);
	if (store_tx_casework_set_status(tx, ticket->id, job->status, &effect,
	    clock_now_ms()) != 0 ||
	    (job->text != NULL && apply_note_add(tx, job, ticket,
	    &note_id) != 0))
		return -1;
	if (apply_audit(tx, job, ticket, "ticket.status_changed", json_pack(
	    "{s:s, s:s, s:o}", "from", lifecycle_status_name(ticket->status),
	    "to", lifecycle_status_name(job->status), "note_message_id",
	    note_id != 0 ? json_integer(note_id) : json_null())) != 0 ||
	    apply_status_event(tx, job, ticket, job->status) != 0)
		return -1;
	if (effect.clear_assignee && ticket->assignee_id != 0)
		return apply_assigned_event(tx, job, 0);
	return 0;
}

/* Gives ticket to assignee_id (0: no assignee), moving a new ticket to assigned
 * and an assigned one without assignee back to new. */
static int
apply_assignment(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket, int64_t assignee_id)
{
	enum lifecycle_status status = lifecycle_after_assignment(
	    ticket->status, assignee_id != 0);

	if (ticket->assignee_id == assignee_id) {
		job->changed = false;
		return 0;
	}
	if (store_tx_casework_set_assignee(tx, ticket->id, assignee_id, status,
	    clock_now_ms()) != 0 ||
	    apply_audit(tx, job, ticket, "ticket.assigned", json_pack(
	    "{s:I, s:I, s:s, s:s}", "assignee_id", (json_int_t)assignee_id,
	    "previous_assignee_id", (json_int_t)ticket->assignee_id,
	    "from", lifecycle_status_name(ticket->status),
	    "to", lifecycle_status_name(status))) != 0 ||
	    apply_assigned_event(tx, job, assignee_id) != 0)
		return -1;
	if (status != ticket->status)
		return apply_status_event(tx, job, ticket, status);
	return 0;
}

static int
apply_assign(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket)
{
	int member;

	if (!auth_has_role(&job->agent, AUTH_ROLE_SUPERVISOR))
		return apply_reject(job, HUB_ERR_FORBIDDEN, NULL);
	if (apply_ticket_closed(ticket))
		return apply_reject(job, HUB_ERR_TICKET_CLOSED, NULL);
	if (job->assignee_id != 0) {
		member = ticket->has_department ? store_tx_casework_agent_member(tx,
		    job->assignee_id, ticket->department) : 0;
		if (member <= 0)
			return member < 0 ? -1 : apply_reject(job,
			    HUB_ERR_INVALID_FIELD, "agent_id");
	}
	return apply_assignment(tx, job, ticket, job->assignee_id);
}

static int
apply_claim(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket)
{
	int member = 0;

	if (job->agent.id != 0 && ticket->has_department)
		member = store_tx_casework_agent_member(tx, job->agent.id,
		    ticket->department);
	if (member <= 0)
		return member < 0 ? -1 : apply_reject(job, HUB_ERR_FORBIDDEN,
		    NULL);
	if (apply_ticket_closed(ticket))
		return apply_reject(job, HUB_ERR_TICKET_CLOSED, NULL);
	if (ticket->assignee_id != 0 && ticket->assignee_id != job->agent.id)
		return apply_reject(job, HUB_ERR_CONFLICT, "assignee_id");
	return apply_assignment(tx, job, ticket, job->agent.id);
}

/* --- Merging and tags ------------------------------------------------------ */

static int
apply_merge(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *source)
{
	struct store_casework_ticket target;
	int rc;

	if (job->other_id == source->id)
		return apply_reject(job, HUB_ERR_INVALID_FIELD, "into");
	if ((rc = apply_load(tx, job, job->other_id, &target, "into")) != 0)
		return rc;
	if (apply_ticket_closed(source))
		return apply_reject(job, HUB_ERR_TICKET_CLOSED, "id");
	if (apply_ticket_closed(&target))
		return apply_reject(job, HUB_ERR_TICKET_CLOSED, "into");
	if (source->citizen_id == 0 || source->citizen_id != target.citizen_id)
		return apply_reject(job, HUB_ERR_INVALID_FIELD, "into");

	if (store_tx_casework_merge(tx, source->id, target.id, clock_now_ms()) != 0 ||
	    apply_audit(tx, job, source, "ticket.merged", json_pack(
	    "{s:I, s:s}", "into", (json_int_t)target.id, "into_code",
	    target.code)) != 0 ||
	    apply_audit(tx, job, &target, "ticket.merge_received", json_pack(
	    "{s:I, s:s}", "from", (json_int_t)source->id, "from_code",
	    source->code)) != 0)
		return -1;
	return apply_status_event(tx, job, source, LIFECYCLE_CLOSED);
}

static int
apply_tags_set(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket)
{
	json_t *tags = json_array();

	for (size_t i = 0; tags != NULL && i < job->tag_count; i++) {
		if (json_array_append_new(tags, json_string(job->tags[i])) != 0) {
			json_decref(tags);
			tags = NULL;
		}
	}
	if (tags == NULL || store_tx_casework_tags_set(tx, ticket->id,
	    (const char *const *)job->tags, job->tag_count) != 0 ||
	    store_tx_casework_touch(tx, ticket->id, clock_now_ms()) != 0) {
		json_decref(tags);
		return -1;
	}
	return apply_audit(tx, job, ticket, "ticket.tags_set",
	    json_pack("{s:o}", "tags", tags));
}

static int
apply_tag_remove(struct store_tx *tx, struct api_ticket_job *job,
    const struct store_casework_ticket *ticket)
{
	int removed = store_tx_casework_tag_remove(tx, ticket->id, job->tags[0]);

	if (removed <= 0)
		return removed < 0 ? -1 : apply_reject(job, HUB_ERR_NOT_FOUND,
		    "tag");
	if (store_tx_casework_touch(tx, ticket->id, clock_now_ms()) != 0)
		return -1;
	return apply_audit(tx, job, ticket, "ticket.tag_removed",
	    json_pack("{s:s}", "tag", job->tags[0]));
}

int
api_ticket_apply(struct store_tx *tx, void *arg)
{
	struct api_ticket_job *job = arg;
	struct store_casework_ticket ticket;
	int rc;

	job->changed = true;
	if ((rc = apply_load(tx, job, job->ticket_id, &ticket, "id")) != 0)
		return rc;
	switch (job->action) {
	case API_TICKET_READ:
		return apply_read(tx, job, &ticket);
	case API_TICKET_REPLY:
		return apply_reply(tx, job, &ticket);
	case API_TICKET_NOTE:
		return apply_note(tx, job, &ticket);
	case API_TICKET_STATUS:
		return apply_status(tx, job, &ticket);
	case API_TICKET_ASSIGN:
		return apply_assign(tx, job, &ticket);
	case API_TICKET_CLAIM:
		return apply_claim(tx, job, &ticket);
	case API_TICKET_MERGE:
		return apply_merge(tx, job, &ticket);
	case API_TICKET_TAGS_SET:
		return apply_tags_set(tx, job, &ticket);
	case API_TICKET_TAG_REMOVE:
		return apply_tag_remove(tx, job, &ticket);
	}
	log_error("http", "unknown desk action action=%d", (int)job->action);
	return -1;
}
