/*
 * Edits of the desk through the API, one at a time. Each is built on the
 * desk in force and checked, then stored in desk_settings with an audit
 * event on the store thread. After the commit the main thread swaps it in
 * and only then replies. A second edit that arrives meanwhile waits in a queue,
 * so that it starts from the desk that the first one left instead of
 * undoing it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_desk_internal.h"
#include "config.h"
#include "events.h"
#include "http_server.h"
#include "log.h"
#include "store.h"
#include "store_desk.h"

#define API_DESK_ACTOR_MAX 96

struct api_desk_edit {
	struct store_job job;
	struct api_context *api;
	struct evhttp_request *req;
	struct api_desk_target target;
	json_t *body;		/* NULL for a delete */
	int64_t agent_id;	/* 0 for the bootstrap admin token */
	char actor[API_DESK_ACTOR_MAX];

	/* Set when the edit goes to the store. The store thread reads only
	 * value, detail and the strings above. */
	struct hub_config_desk *desk;
	json_t *reply;		/* the element put, for the reply */
	char *value;		/* the sections to store, as JSON text */
	char *detail;		/* the audit event's detail */
	bool created;
	/* A department delete: the agent found in the department by the
	 * store thread, which then stored nothing. */
	int64_t member_id;

	struct api_desk_edit *next;
};

/* Edits waiting for the one being stored. There is one desk per process,
 * so one queue. Main thread only. */
static struct {
	struct api_desk_edit *head;
	struct api_desk_edit *tail;
	struct api_desk_edit *storing;	/* NULL when none is */
} api_desk_queue;

static void api_desk_edit_next(void);

static void
api_desk_edit_free(struct api_desk_edit *edit)
{
	json_decref(edit->body);
	json_decref(edit->reply);
	desk_free(edit->desk);
	free(edit->value);
	free(edit->detail);
	free(edit);
}

static const char *
api_desk_edit_action(const struct api_desk_edit *edit)
{
	static const char *const actions[][2] = {
		[DESK_SECTION_DEPARTMENTS] = { "desk.department.put",
		    "desk.department.delete" },
		[DESK_SECTION_CATEGORIES] = { "desk.category.put",
		    "desk.category.delete" },
		[DESK_SECTION_COMMUNES] = { "desk.commune.put",
		    "desk.commune.delete" },
		[DESK_SECTION_TRIAGE] = { "desk.triage_department.put",
		    "desk.triage_department.delete" },
		[DESK_SECTION_CHANNEL_CATEGORIES] = {
		    "desk.channel_categories.put",
		    "desk.channel_categories.delete" },
	};

	return actions[edit->target.section][edit->body == NULL];
}

/* --- Building the edit ---------------------------------------------------- */

/* Fills error with the conflict of deleting a department of agent_id. */
static void
api_desk_edit_member_error(const struct api_desk_edit *edit, int64_t agent_id,
    struct desk_edit_error *error)
{
	memset(error, 0, sizeof(*error));
	error->status = DESK_EDIT_CONFLICT;
	snprintf(error->path, sizeof(error->path), "agents.%lld.departments",
	    (long long)agent_id);
	snprintf(error->detail, sizeof(error->detail), "department \"%s\" is "
	    "a department of agent %lld; remove it from the agent first",
	    edit->target.id, (long long)agent_id);
}

/* Checks that no agent belongs to the department a delete would remove.
 * The store thread checks again inside the transaction, since an agent
 * may join the department meanwhile. */
static int
api_desk_edit_check_agents(struct api_desk_edit *edit,
    struct desk_edit_error *error)
{
	int64_t agent_id;
	int found;

	if (edit->body != NULL ||
	    edit->target.section != DESK_SECTION_DEPARTMENTS)
		return 0;
	found = store_desk_department_agent(edit->api->store, edit->target.id,
	    &agent_id);
	if (found == 0)
		return 0;
	memset(error, 0, sizeof(*error));
	if (found < 0) {
		error->status = DESK_EDIT_FAILED;
		return -1;
	}
	api_desk_edit_member_error(edit, agent_id, error);
	return -1;
}

/* Fills the texts that the store job writes. */
static int
api_desk_edit_texts(struct api_desk_edit *edit, const json_t *sections)
{
	json_t *stored = desk_edit_stored(sections);
	json_t *detail = json_pack("{s:s, s:s, s:b}", "section",
	    desk_section_name(edit->target.section), "id", edit->target.id,
	    "created", edit->created);

	if (stored != NULL)
		edit->value = json_dumps(stored, JSON_COMPACT);
	if (detail != NULL)
		edit->detail = json_dumps(detail, JSON_COMPACT);
	json_decref(stored);
	json_decref(detail);
	return edit->value != NULL && edit->detail != NULL ? 0 : -1;
}

/* Builds the new desk of edit from the desk in force. Returns 0, or -1
 * with error filled in. */
static int
api_desk_edit_build(struct api_desk_edit *edit, struct desk_edit_error *error)
{
	const json_t *current = desk_current(edit->api->config)->sections;
	const struct api_desk_target *target = &edit->target;
	json_t *sections;
	const json_t *element;

	if (edit->body != NULL)
		sections = desk_edit_put(current, target->section, target->id,
		    edit->body, &edit->created, error);
	else
		sections = desk_edit_delete(current, target->section,
		    target->id, error);
	if (sections == NULL)
		return -1;
	if (api_desk_edit_check_agents(edit, error) != 0) {
		json_decref(sections);
		return -1;
	}

	edit->desk = desk_edit_build(sections, error);
	element = desk_edit_find(sections, target->section, target->id);
	if (edit->desk != NULL && edit->body != NULL && element != NULL)
		edit->reply = api_desk_element_json(target->section, element);
	if (edit->desk != NULL && (api_desk_edit_texts(edit, sections) != 0 ||
	    (edit->body != NULL && edit->reply == NULL))) {
		error->status = DESK_EDIT_FAILED;
		error->path[0] = '\0';
	}
	json_decref(sections);
	return edit->desk != NULL && error->status == DESK_EDIT_OK ? 0 : -1;
}

/* --- The store job -------------------------------------------------------- */

static int
api_desk_edit_apply(struct store_tx *tx, void *arg)
{
	struct api_desk_edit *edit = arg;
	int found;

	if (edit->body == NULL &&
	    edit->target.section == DESK_SECTION_DEPARTMENTS) {
		found = store_tx_desk_department_agent(tx, edit->target.id,
		    &edit->member_id);
		if (found != 0)
			return found;
	}
	if (store_tx_desk_setting_put(tx, STORE_DESK_KEY, edit->value,
	    edit->agent_id) != 0 ||
	    store_tx_desk_audit(tx, edit->agent_id, edit->actor,
	    api_desk_edit_action(edit), edit->detail) != 0)
		return -1;
	return 0;
}

/* Publishes desk.changed {} to the in-process subscribers. */
static void
api_desk_edit_publish(struct api_context *api)
{
	json_t *payload;

	if (api->events == NULL)
		return;
	payload = json_object();
	if (payload == NULL) {
		log_error("desk", "desk.changed not published: out of memory");
		return;
	}
	events_publish(api->events, "desk.changed", payload);
	json_decref(payload);
}

static void
api_desk_edit_reply(struct api_desk_edit *edit)
{
	if (edit->body == NULL) {
		http_send_text(edit->req, 204, "text/plain; charset=utf-8", "",
		    0);
		return;
	}
	/* http_send_json steals the reference. */
	http_send_json(edit->req, edit->created ? 201 : 200, edit->reply);
	edit->reply = NULL;
}

/* Runs on the main thread after the commit: the new desk goes in force
 * before the reply, so the caller's next report already uses it. */
static void
api_desk_edit_done(int result, void *arg)
{
	struct api_desk_edit *edit = arg;
	struct desk_edit_error conflict;
	struct hub_error error;

	if (result == 1) {
		log_info("desk", "desk edit rejected: an agent joined the "
		    "department action=%s id=%s agent=%lld actor=%s",
		    api_desk_edit_action(edit), edit->target.id,
		    (long long)edit->member_id, edit->actor);
		api_desk_edit_member_error(edit, edit->member_id, &conflict);
		api_desk_send_error(edit->req, &conflict);
	} else if (result != 0) {
		log_error("desk", "storing a desk edit failed action=%s id=%s "
		    "actor=%s", api_desk_edit_action(edit), edit->target.id,
		    edit->actor);
		hub_error_set(&error, HUB_ERR_INTERNAL, NULL, 0);
		http_send_error(edit->req, &error);
	} else {
		desk_replace(edit->api->config, edit->desk);
		edit->desk = NULL;
		log_info("desk", "desk edited action=%s id=%s actor=%s",
		    api_desk_edit_action(edit), edit->target.id, edit->actor);
		api_desk_edit_publish(edit->api);
		api_desk_edit_reply(edit);
	}
	api_desk_edit_free(edit);
	api_desk_queue.storing = NULL;
	api_desk_edit_next();
}

/* Builds edit and submits it to the store. Returns 0 when the reply
 * follows the commit, -1 when an error reply was sent already. */
static int
api_desk_edit_start(struct api_desk_edit *edit)
{
	struct desk_edit_error error = { .status = DESK_EDIT_OK };
	struct hub_error unavailable;

	if (api_desk_edit_build(edit, &error) != 0) {
		if (error.status == DESK_EDIT_FAILED)
			log_error("desk", "building a desk edit failed "
			    "action=%s id=%s", api_desk_edit_action(edit),
			    edit->target.id);
		api_desk_send_error(edit->req, &error);
		return -1;
	}
	edit->job = (struct store_job){
		.apply = api_desk_edit_apply,
		.done = api_desk_edit_done,
		.arg = edit,
	};
	if (store_submit(edit->api->store, &edit->job) != 0) {
		log_error("desk", "desk edit not queued for the store action=%s "
		    "id=%s", api_desk_edit_action(edit), edit->target.id);
		hub_error_set(&unavailable, HUB_ERR_UNAVAILABLE, NULL, 0);
		http_send_error(edit->req, &unavailable);
		return -1;
	}
	return 0;
}

/* Starts the queued edits in order until one goes to the store. */
static void
api_desk_edit_next(void)
{
	struct api_desk_edit *edit;

	while (api_desk_queue.storing == NULL && api_desk_queue.head != NULL) {
		edit = api_desk_queue.head;
		api_desk_queue.head = edit->next;
		if (api_desk_queue.head == NULL)
			api_desk_queue.tail = NULL;
		if (api_desk_edit_start(edit) == 0)
			api_desk_queue.storing = edit;
		else
			api_desk_edit_free(edit);
	}
}

void
api_desk_edit_submit(struct api_context *api, struct evhttp_request *req,
    const struct api_desk_target *target, json_t *body,
    const struct auth_agent *agent)
{
	struct api_desk_edit *edit = calloc(1, sizeof(*edit));
	struct hub_error error;

	if (edit == NULL) {
		json_decref(body);
		hub_error_set(&error, HUB_ERR_INTERNAL, NULL, 0);
		http_send_error(req, &error);
		return;
	}
	edit->api = api;
	edit->req = req;
	edit->target = *target;
	edit->body = body;
	edit->agent_id = agent->id;
	auth_actor(agent, edit->actor, sizeof(edit->actor));

	if (api_desk_queue.tail != NULL)
		api_desk_queue.tail->next = edit;
	else
		api_desk_queue.head = edit;
	api_desk_queue.tail = edit;
	api_desk_edit_next();
}

static bool
api_desk_edit_deletes(const struct api_desk_edit *edit, const char *id)
{
	return edit->body == NULL &&
	    edit->target.section == DESK_SECTION_DEPARTMENTS &&
	    strcmp(edit->target.id, id) == 0;
}

bool
api_desk_department_deleting(const char *id)
{
	const struct api_desk_edit *edit;

	if (api_desk_queue.storing != NULL &&
	    api_desk_edit_deletes(api_desk_queue.storing, id))
		return true;
	for (edit = api_desk_queue.head; edit != NULL; edit = edit->next)
		if (api_desk_edit_deletes(edit, id))
			return true;
	return false;
}
