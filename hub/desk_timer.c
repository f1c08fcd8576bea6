/*
 * The deadline scan on the main thread: find due timers on the read
 * connection, fire each in its own store job (so that a ticket whose job
 * fails does not hold back the others), publish what fired.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "desk_timer.h"
#include "events.h"
#include "log.h"
#include "store.h"
#include "ticket_code.h"

struct desk_timer_scan;

/* One timer of a scan and its store job. */
struct desk_timer_item {
	struct store_job job;
	struct desk_timer_scan *scan;
	struct store_deadline_fire fire;
	struct desk_timer_names names;
	char *department;	/* copy of the id names belongs to */
	int result;
};

struct desk_timer_scan {
	struct desk_timer *timer;
	size_t count;
	size_t pending;		/* jobs whose completion has not run */
	bool full;		/* the scan found DESK_TIMER_SCAN_MAX timers */
	struct desk_timer_item items[];
};

struct desk_timer {
	struct event_base *base;
	struct store *store;
	struct events *events;
	const struct hub_config *config;
	struct event *tick;	/* every scan interval */
	struct event *again;	/* once, after a full scan */
	struct desk_timer_scan *scan;	/* NULL when no scan runs */
	bool stopped;
};

static void desk_timer_scan(struct desk_timer *timer);

/* --- The note --------------------------------------------------------------- */

/* Writes ms as "11:00 ngày 07/01/2025" (vi) and "2025-01-07 11:00" (en),
 * in Vietnam time. */
static void
desk_timer_format_due(int64_t ms, char *vi, char *en, size_t size)
{
	char iso[CLOCK_ISO8601_SIZE];

	if (clock_format_vietnam(ms, iso) != 0) {
		snprintf(vi, size, "?");
		snprintf(en, size, "?");
		return;
	}
	/* iso is "2025-01-07T11:00:00+07:00". */
	snprintf(vi, size, "%.5s ngày %.2s/%.2s/%.4s", iso + 11, iso + 8,
	    iso + 5, iso);
	snprintf(en, size, "%.10s %.5s", iso, iso + 11);
}

static void
desk_timer_write_person(FILE *out, const struct store_deadline_person *person)
{
	if (person->display_name != NULL && person->username != NULL)
		fprintf(out, "%s (%s)", person->display_name, person->username);
	else
		fprintf(out, "#%lld", (long long)person->id);
}

static void
desk_timer_write_supervisors(FILE *out, const struct store_deadline_fire *fire)
{
	for (size_t i = 0; i < fire->supervisor_count; i++) {
		if (i > 0)
			fputs(", ", out);
		desk_timer_write_person(out, &fire->supervisors[i]);
	}
}

static void
desk_timer_write_reminder(FILE *out, const struct store_deadline_fire *fire,
    const char *code, const char *due_vi, const char *due_en,
    const char *department_vi, const char *department_en)
{
	fprintf(out, "Nhắc hạn: phiếu %s đến hạn xử lý lúc %s (giờ Việt Nam). ",
	    code, due_vi);
	if (fire->assignee.id != 0) {
		fputs("Người phụ trách: ", out);
		desk_timer_write_person(out, &fire->assignee);
		fputs(".\n", out);
	} else if (department_vi != NULL) {
		fprintf(out, "Phiếu chưa có người phụ trách; nhắc gửi đến %s.\n",
		    department_vi);
	} else {
		fputs("Phiếu chưa có người phụ trách và chưa thuộc phòng ban "
		    "nào.\n", out);
	}

	fprintf(out, "Deadline reminder: ticket %s is due at %s (Vietnam "
	    "time). ", code, due_en);
	if (fire->assignee.id != 0) {
		fputs("Assignee: ", out);
		desk_timer_write_person(out, &fire->assignee);
		fputs(".", out);
	} else if (department_en != NULL) {
		fprintf(out, "The ticket has no assignee; the reminder goes to "
		    "%s.", department_en);
	} else {
		fputs("The ticket has no assignee and no department.", out);
	}
}

static void
desk_timer_write_escalation(FILE *out, const struct store_deadline_fire *fire,
    const char *code, const char *due_vi, const char *due_en,
    const char *department_vi, const char *department_en)
{
	fprintf(out, "Quá hạn: phiếu %s đã đến hạn xử lý lúc %s (giờ Việt "
	    "Nam). ", code, due_vi);
	if (department_vi == NULL)
		fputs("Phiếu chưa thuộc phòng ban nào nên không có giám sát "
		    "viên để chuyển lên.\n", out);
	else if (fire->supervisor_count == 0)
		fprintf(out, "%s chưa có giám sát viên nào.\n", department_vi);
	else {
		fprintf(out, "Chuyển lên giám sát viên của %s: ",
		    department_vi);
		desk_timer_write_supervisors(out, fire);
		fputs(".\n", out);
	}

	fprintf(out, "Overdue: ticket %s was due at %s (Vietnam time). ", code,
	    due_en);
	if (department_en == NULL)
		fputs("The ticket has no department, so there is no supervisor "
		    "to escalate to.", out);
	else if (fire->supervisor_count == 0)
		fprintf(out, "%s has no supervisor.", department_en);
	else {
		fprintf(out, "Escalated to the supervisors of %s: ",
		    department_en);
		desk_timer_write_supervisors(out, fire);
		fputs(".", out);
	}
}

char *
desk_timer_note_text(const struct store_deadline_fire *fire, void *arg)
{
	const struct desk_timer_names *names = arg;
	const char *department_vi = fire->department;
	const char *department_en = fire->department;
	char grouped[TICKET_CODE_GROUPED_SIZE], due_vi[40], due_en[40];
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	if (names != NULL && names->department != NULL &&
	    fire->department != NULL &&
	    strcmp(names->department, fire->department) == 0) {
		department_vi = names->name_vi;
		department_en = names->name_en;
	}
	ticket_code_group(fire->code, grouped);
	desk_timer_format_due(fire->due_at, due_vi, due_en, sizeof(due_vi));

	if ((out = open_memstream(&text, &size)) == NULL)
		return NULL;
	if (fire->timer == STORE_DEADLINE_REMINDER)
		desk_timer_write_reminder(out, fire, grouped, due_vi, due_en,
		    department_vi, department_en);
	else
		desk_timer_write_escalation(out, fire, grouped, due_vi, due_en,
		    department_vi, department_en);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* --- Scanning --------------------------------------------------------------- */

static void
desk_timer_publish(struct desk_timer *timer,
    const struct store_deadline_fire *fire)
{
	json_t *payload = store_deadline_payload(fire);
	const char *event = fire->timer == STORE_DEADLINE_REMINDER ?
	    "ticket.reminder" : "ticket.escalated";

	log_info("deadline", "%s ticket=%lld department=%s supervisors=%zu",
	    event, (long long)fire->ticket_id,
	    fire->department != NULL ? fire->department : "-",
	    fire->supervisor_count);
	if (payload != NULL)
		events_publish(timer->events, event, payload);
	json_decref(payload);
}

static void
desk_timer_scan_free(struct desk_timer_scan *scan)
{
	for (size_t i = 0; i < scan->count; i++) {
		store_deadline_fire_clear(&scan->items[i].fire);
		free(scan->items[i].department);
	}
	free(scan);
}

static void
desk_timer_finish(struct desk_timer_scan *scan)
{
	struct desk_timer *timer = scan->timer;
	bool again = scan->full;

	for (size_t i = 0; i < scan->count; i++) {
		struct desk_timer_item *item = &scan->items[i];

		if (item->result != 0) {
			log_error("deadline", "timer not fired, retried at the "
			    "next scan ticket=%lld", (long long)
			    item->fire.ticket_id);
			again = false;
		} else if (item->fire.fired) {
			desk_timer_publish(timer, &item->fire);
		}
	}
	timer->scan = NULL;
	desk_timer_scan_free(scan);
	if (again && !timer->stopped)
		event_active(timer->again, EV_TIMEOUT, 0);
}

static int
desk_timer_item_apply(struct store_tx *tx, void *arg)
{
	struct desk_timer_item *item = arg;

	return store_tx_deadline_fire(tx, &item->fire);
}

static void
desk_timer_item_done(int result, void *arg)
{
	struct desk_timer_item *item = arg;
	struct desk_timer_scan *scan = item->scan;

	item->result = result;
	if (result != 0)
		item->fire.fired = false;
	if (--scan->pending == 0)
		desk_timer_finish(scan);
}

/* Fills item for a due timer, with the department's names as configured
 * now, for the note. */
static int
desk_timer_item_init(struct desk_timer *timer, struct desk_timer_item *item,
    const struct store_deadline_due *due, int64_t now)
{
	const struct desk_department *department =
	    desk_department_find(desk_current(timer->config), due->department);

	item->fire.ticket_id = due->ticket_id;
	item->fire.timer = due->timer;
	item->fire.now = now;
	item->fire.remind_before_ms =
	    (int64_t)timer->config->deadline_remind_before_minutes * 60000;
	item->fire.note_text = desk_timer_note_text;
	item->fire.note_arg = &item->names;
	if (department == NULL)
		return 0;
	if ((item->department = strdup(department->id)) == NULL)
		return -1;
	item->names = (struct desk_timer_names){ item->department,
	    department->name_vi, department->name_en };
	return 0;
}

static struct desk_timer_scan *
desk_timer_scan_new(struct desk_timer *timer,
    const struct store_deadline_due *due, size_t count, int64_t now)
{
	struct desk_timer_scan *scan = calloc(1, sizeof(*scan) +
	    count * sizeof(scan->items[0]));

	if (scan == NULL)
		return NULL;
	scan->timer = timer;
	scan->full = count == DESK_TIMER_SCAN_MAX;
	for (size_t i = 0; i < count; i++) {
		struct desk_timer_item *item = &scan->items[i];

		scan->count++;
		item->scan = scan;
		item->job = (struct store_job){ .apply = desk_timer_item_apply,
		    .done = desk_timer_item_done, .arg = item };
		if (desk_timer_item_init(timer, item, &due[i], now) != 0) {
			desk_timer_scan_free(scan);
			return NULL;
		}
	}
	return scan;
}

static void
desk_timer_submit(struct desk_timer *timer, struct desk_timer_scan *scan)
{
	size_t count = scan->count;

	timer->scan = scan;
	/* pending counts every job first, so that no completion finishes the
	 * scan before the last job is queued. */
	scan->pending = count + 1;
	for (size_t i = 0; i < count; i++) {
		if (store_submit(timer->store, &scan->items[i].job) != 0) {
			scan->items[i].result = -1;
			scan->pending--;
		}
	}
	if (--scan->pending == 0)
		desk_timer_finish(scan);
}

static void
desk_timer_scan(struct desk_timer *timer)
{
	int64_t now = clock_now_ms();
	int64_t before = (int64_t)timer->config->deadline_remind_before_minutes *
	    60000;
	struct store_deadline_due *due;
	struct desk_timer_scan *scan;
	int found;

	if (timer->scan != NULL || timer->stopped)
		return;
	found = store_deadline_find(timer->store, now, before,
	    DESK_TIMER_SCAN_MAX, &due);
	if (found < 0) {
		log_error("deadline", "scan for due timers failed, retried in "
		    "seconds=%d", timer->config->deadline_scan_interval_seconds);
		return;
	}
	scan = found > 0 ? desk_timer_scan_new(timer, due, (size_t)found,
	    now) : NULL;
	store_deadline_due_free(due, (size_t)found);
	if (found > 0 && scan == NULL) {
		log_error("deadline", "scan failed: out of memory");
		return;
	}
	if (scan != NULL)
		desk_timer_submit(timer, scan);
}

static void
desk_timer_tick(evutil_socket_t fd, short what, void *arg)
{
	desk_timer_scan(arg);
}

/* --- Start and stop ------------------------------------------------------- */

struct desk_timer *
desk_timer_start(struct event_base *base, struct store *store,
    struct events *events, const struct hub_config *config)
{
	struct desk_timer *timer = calloc(1, sizeof(*timer));
	struct timeval interval = {
		.tv_sec = config->deadline_scan_interval_seconds,
	};

	if (timer == NULL)
		return NULL;
	*timer = (struct desk_timer){ .base = base, .store = store,
	    .events = events, .config = config };
	timer->tick = event_new(base, -1, EV_PERSIST, desk_timer_tick, timer);
	timer->again = event_new(base, -1, 0, desk_timer_tick, timer);
	if (timer->tick == NULL || timer->again == NULL ||
	    event_add(timer->tick, &interval) != 0) {
		desk_timer_free(timer);
		return NULL;
	}
	log_info("deadline", "timers started remind_before_minutes=%d "
	    "scan_interval_seconds=%d", config->deadline_remind_before_minutes,
	    config->deadline_scan_interval_seconds);
	desk_timer_scan(timer);
	return timer;
}

void
desk_timer_stop(struct desk_timer *timer)
{
	if (timer == NULL)
		return;
	timer->stopped = true;
	if (timer->tick != NULL)
		event_del(timer->tick);
	if (timer->again != NULL)
		event_del(timer->again);
}

void
desk_timer_free(struct desk_timer *timer)
{
	if (timer == NULL)
		return;
	if (timer->tick != NULL)
		event_free(timer->tick);
	if (timer->again != NULL)
		event_free(timer->again);
	free(timer);
}
