/*
 * Automatic assignment on the main thread: events in, store jobs out,
 * "ticket.assigned" published after each commit.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "assign.h"
#include "config.h"
#include "events.h"
#include "log.h"
#include "store.h"
#include "store_assign.h"

/*
 * The automatic policies of the desk configuration, copied, so that a job
 * keeps the policies it started with while the configuration is replaced.
 * The main thread counts its references, and the store thread only reads
 * it.
 */
struct assign_policies {
	int references;
	size_t count;
	struct store_assign_policy items[];
};

enum assign_job_kind {
	ASSIGN_JOB_TICKET,	/* a new ticket */
	ASSIGN_JOB_SWEEP,	/* unassigned tickets of automatic departments */
	ASSIGN_JOB_RELEASE,	/* the tickets of an unavailable agent */
	/* the tickets of an agent in departments they left, then, for an
	 * available agent, the backlog of their departments */
	ASSIGN_JOB_DEPARTMENTS,
};

struct assign_job {
	struct store_job job;
	struct assign *assign;
	enum assign_job_kind kind;
	/* The ticket, or the agent: a sweep for an agent covers the agent's
	 * departments, a sweep for 0 every automatic department. */
	int64_t id;
	struct assign_policies *policies;
	struct store_assign_changes changes;
	bool more;		/* a sweep stopped at ASSIGN_SWEEP_MAX */
	bool available;		/* ASSIGN_JOB_DEPARTMENTS: sweep after */
};

struct assign {
	struct store *store;
	struct events *events;
	const struct hub_config *config;
	int subscription;	/* 0 when not subscribed */
	struct assign_policies *policies;
	size_t jobs;		/* queued, completion not run yet */
	bool stopped;
};

/* --- Policies ------------------------------------------------------------- */

static void
assign_policies_release(struct assign_policies *policies)
{
	if (policies == NULL || --policies->references > 0)
		return;
	for (size_t i = 0; i < policies->count; i++)
		free((char *)policies->items[i].department);
	free(policies);
}

/* Copies the departments whose policy is not manual. */
static struct assign_policies *
assign_policies_copy(const struct hub_config_desk *desk)
{
	struct assign_policies *policies;

	policies = calloc(1, sizeof(*policies) + desk->department_count *
	    sizeof(policies->items[0]));
	if (policies == NULL)
		return NULL;
	policies->references = 1;
	for (size_t i = 0; i < desk->department_count; i++) {
		const struct desk_department *department =
		    &desk->departments[i];
		struct store_assign_policy *item =
		    &policies->items[policies->count];

		if (department->assignment == DESK_ASSIGNMENT_MANUAL)
			continue;
		item->assignment = department->assignment;
		if ((item->department = strdup(department->id)) == NULL) {
			assign_policies_release(policies);
			return NULL;
		}
		policies->count++;
	}
	return policies;
}

/* Reads the policies of the desk configuration as it is now. */
static int
assign_policies_load(struct assign *assign)
{
	struct assign_policies *policies =
	    assign_policies_copy(desk_current(assign->config));

	if (policies == NULL) {
		log_error("assign", "reading the assignment policies failed: "
		    "out of memory");
		return -1;
	}
	assign_policies_release(assign->policies);
	assign->policies = policies;
	return 0;
}

/* --- Jobs ----------------------------------------------------------------- */

static int
assign_job_sweep(struct store_tx *tx, struct assign_job *job)
{
	const struct assign_policies *policies = job->policies;
	int remaining;
	bool more;

	for (size_t i = 0; i < policies->count; i++) {
		remaining = ASSIGN_SWEEP_MAX - (int)job->changes.count;
		if (remaining <= 0) {
			job->more = true;
			return 0;
		}
		if (store_tx_assign_backlog(tx, policies->items[i].department,
		    policies->items[i].assignment, job->id, remaining,
		    &job->changes, &more) != 0)
			return -1;
		job->more = job->more || more;
	}
	return 0;
}

static int
assign_job_apply(struct store_tx *tx, void *arg)
{
	struct assign_job *job = arg;
	const struct assign_policies *policies = job->policies;

	switch (job->kind) {
	case ASSIGN_JOB_TICKET:
		return store_tx_assign_ticket(tx, job->id, policies->items,
		    policies->count, &job->changes);
	case ASSIGN_JOB_SWEEP:
		return assign_job_sweep(tx, job);
	case ASSIGN_JOB_RELEASE:
		return store_tx_assign_release(tx, job->id, policies->items,
		    policies->count, &job->changes);
	case ASSIGN_JOB_DEPARTMENTS:
		if (store_tx_assign_release_departed(tx, job->id,
		    policies->items, policies->count, &job->changes) != 0)
			return -1;
		return job->available ? assign_job_sweep(tx, job) : 0;
	}
	return -1;
}

static void
assign_publish(struct assign *assign, const struct store_assign_change *change)
{
	json_t *payload = json_pack("{s:I, s:I, s:I}",
	    "ticket_id", (json_int_t)change->ticket_id,
	    "assignee_id", (json_int_t)change->assignee_id,
	    "agent_id", (json_int_t)0);

	if (payload != NULL)
		events_publish(assign->events, "ticket.assigned", payload);
	json_decref(payload);
}

static void assign_submit(struct assign *assign, enum assign_job_kind kind,
    int64_t id, bool available);

static void
assign_job_done(int result, void *arg)
{
	struct assign_job *job = arg;
	struct assign *assign = job->assign;

	if (result != 0)
		log_error("assign", "assignment job failed, nothing changed "
		    "kind=%d id=%lld", (int)job->kind, (long long)job->id);
	for (size_t i = 0; result == 0 && i < job->changes.count; i++)
		assign_publish(assign, &job->changes.items[i]);
	if (result == 0 && job->more && !assign->stopped)
		assign_submit(assign, ASSIGN_JOB_SWEEP, job->id, false);

	store_assign_changes_clear(&job->changes);
	assign_policies_release(job->policies);
	free(job);
	assign->jobs--;
}

static void
assign_submit(struct assign *assign, enum assign_job_kind kind, int64_t id,
    bool available)
{
	struct assign_job *job;

	/* Without an automatic department, new tickets and sweeps have
	 * nothing to do, but released tickets must still be unassigned. */
	if (assign->policies->count == 0 && kind != ASSIGN_JOB_RELEASE &&
	    kind != ASSIGN_JOB_DEPARTMENTS)
		return;
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		log_error("assign", "assignment not queued: out of memory "
		    "kind=%d id=%lld", (int)kind, (long long)id);
		return;
	}
	job->assign = assign;
	job->kind = kind;
	job->id = id;
	job->available = available;
	job->policies = assign->policies;
	job->policies->references++;
	job->job = (struct store_job){ .apply = assign_job_apply,
	    .done = assign_job_done, .arg = job };
	if (store_submit(assign->store, &job->job) != 0) {
		log_error("assign", "assignment not queued: the store is "
		    "closing kind=%d id=%lld", (int)kind, (long long)id);
		assign_policies_release(job->policies);
		free(job);
		return;
	}
	assign->jobs++;
}

/* --- Events --------------------------------------------------------------- */

static int64_t
assign_payload_id(const json_t *payload, const char *key)
{
	const json_t *value = json_object_get(payload, key);

	return json_is_integer(value) ? json_integer_value(value) : 0;
}

static void
assign_on_event(const char *event, const json_t *payload, void *arg)
{
	struct assign *assign = arg;
	int64_t id;

	if (strcmp(event, "ticket.created") == 0) {
		if ((id = assign_payload_id(payload, "ticket_id")) > 0)
			assign_submit(assign, ASSIGN_JOB_TICKET, id, false);
	} else if (strcmp(event, "agent.availability") == 0) {
		if ((id = assign_payload_id(payload, "agent_id")) <= 0)
			return;
		if (json_is_true(json_object_get(payload, "available")))
			assign_submit(assign, ASSIGN_JOB_SWEEP, id, false);
		else
			assign_submit(assign, ASSIGN_JOB_RELEASE, id, false);
	} else if (strcmp(event, "agent.departments") == 0) {
		if ((id = assign_payload_id(payload, "agent_id")) > 0)
			assign_submit(assign, ASSIGN_JOB_DEPARTMENTS, id,
			    json_is_true(json_object_get(payload,
			    "available")));
	} else if (strcmp(event, "desk.changed") == 0) {
		if (assign_policies_load(assign) == 0)
			assign_submit(assign, ASSIGN_JOB_SWEEP, 0, false);
	}
}

/* --- Start and stop ------------------------------------------------------- */

struct assign *
assign_start(struct store *store, struct events *events,
    const struct hub_config *config)
{
	struct assign *assign = calloc(1, sizeof(*assign));

	if (assign == NULL)
		return NULL;
	*assign = (struct assign){ .store = store, .events = events,
	    .config = config };
	if (assign_policies_load(assign) != 0 ||
	    (assign->subscription = events_subscribe(events, assign_on_event,
	    assign)) < 0) {
		assign->subscription = 0;
		assign_free(assign);
		return NULL;
	}
	log_info("assign", "automatic assignment started departments=%zu",
	    assign->policies->count);
	assign_submit(assign, ASSIGN_JOB_SWEEP, 0, false);
	return assign;
}

void
assign_stop(struct assign *assign)
{
	if (assign == NULL || assign->stopped)
		return;
	assign->stopped = true;
	if (assign->subscription > 0)
		events_unsubscribe(assign->events, assign->subscription);
	assign->subscription = 0;
}

void
assign_free(struct assign *assign)
{
	if (assign == NULL)
		return;
	assign_stop(assign);
	if (assign->jobs > 0)
		log_error("assign", "freed with jobs queued jobs=%zu",
		    assign->jobs);
	assign_policies_release(assign->policies);
	free(assign);
}
