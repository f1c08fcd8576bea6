/*
 * The engine that walks one call through the menu: a state machine fed
 * with events by its call (ivr_call.c) and acting only through the call's
 * table of actions (see ivr_menu.h).
 *
 * A state names what the session waits for. The *_PROMPT states wait for
 * a play list to end; a key stops the list when it is interruptible. The
 * *_WAIT states have the no-input timer armed. CLOSING plays the last list
 * before hanging up, and ENDED waits, after the SIP side has ended, for the
 * result of a report already submitted.
 */
#include "ivr_menu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IVR_SESSION_ITEMS_MAX 24
#define IVR_SESSION_VALUES_MAX 4
#define IVR_SESSION_VALUE_SIZE 40
#define IVR_SESSION_HISTORY_MAX 16
#define IVR_SESSION_CODE_KEYS_MAX 12	/* keys of a code before it is checked */
/* The call record keeps at most 1000 bytes of path. */
#define IVR_SESSION_PATH_MAX 1000
/* A shorter recording is no report: it is dropped, and on hang-up no
 * ticket is opened. */
#define IVR_SESSION_RECORDING_MIN_MS 1000

enum ivr_session_state {
	IVR_SESSION_IDLE,
	IVR_SESSION_MENU_PROMPT,	/* a node's prompt */
	IVR_SESSION_MENU_WAIT,		/* a key for the node's choices */
	IVR_SESSION_CODE_PROMPT,	/* "enter_code" or "code_invalid" */
	IVR_SESSION_CODE_WAIT,		/* the code's keys */
	IVR_SESSION_LOOKUP,		/* the lookup's result */
	IVR_SESSION_STATUS_RESULT,	/* the ticket's status */
	IVR_SESSION_RECORD_PROMPT,	/* "record_intro" or "voicemail", beep */
	IVR_SESSION_RECORDING,		/* '#' or the recording limit */
	IVR_SESSION_REPORTING,		/* the report's result */
	IVR_SESSION_TRANSFER_PROMPT,	/* "transfer" */
	IVR_SESSION_TRANSFERRING,	/* the transfer's result */
	IVR_SESSION_CLOSING,		/* the last prompt, then hang up */
	IVR_SESSION_ENDED,		/* hung up; the report's result */
	IVR_SESSION_DONE,
};

/* A play list being built. Values ("code:...") live in the list. */
struct ivr_session_list {
	const char *items[IVR_SESSION_ITEMS_MAX];
	size_t count;
	char values[IVR_SESSION_VALUES_MAX][IVR_SESSION_VALUE_SIZE];
	size_t value_count;
};

struct ivr_session {
	const struct ivr_menu *menu;
	struct ivr_session_params params;
	const struct ivr_session_actions *actions;
	void *arg;

	enum ivr_session_state state;
	size_t node;			/* the current node */
	size_t history[IVR_SESSION_HISTORY_MAX];	/* for "back" */
	size_t history_count;
	int failures;			/* no inputs and wrong keys in a row */
	bool playing;
	bool interruptible;		/* a key stops what is playing */
	bool timer_armed;

	char language[4];
	char digits[IVR_SESSION_CODE_KEYS_MAX + 1];	/* the code typed */
	size_t digit_count;
	char lookup_code[TICKET_CODE_PLAIN_SIZE];

	const char *category;		/* of the recording; "" for voicemail */
	bool recording;
	bool report_pending;		/* submitted, no result yet */
	bool hung_up;			/* the SIP side has ended or was told to */
	int64_t recording_ms;		/* of the recording handed over */

	char close_reason[IVR_NAME_SIZE];	/* CLOSING: the end reason */
	char end_reason[IVR_NAME_SIZE];
	char code[TICKET_CODE_PLAIN_SIZE];
	char path[IVR_SESSION_PATH_MAX + 1];
};

static void
ivr_session_list_add(struct ivr_session_list *list, const char *item)
{
	if (list->count < IVR_SESSION_ITEMS_MAX)
		list->items[list->count++] = item;
}

static void
ivr_session_list_add_prompts(struct ivr_session_list *list,
    const struct ivr_menu_prompts *prompts)
{
	for (size_t i = 0; i < prompts->count; i++)
		ivr_session_list_add(list, prompts->names[i]);
}

/* Adds a value item, "KIND:VALUE". */
static void
ivr_session_list_add_value(struct ivr_session_list *list, const char *fmt, ...)
{
	char *value;
	va_list ap;

	if (list->value_count == IVR_SESSION_VALUES_MAX)
		return;
	value = list->values[list->value_count++];
	va_start(ap, fmt);
	vsnprintf(value, IVR_SESSION_VALUE_SIZE, fmt, ap);
	va_end(ap);
	ivr_session_list_add(list, value);
}

static const struct ivr_menu_node *
ivr_session_node(const struct ivr_session *session)
{
	return ivr_menu_node(session->menu, session->node);
}

/* Appends a step to the path, space separated. A step that does not fit
 * is dropped, and so are all after it. */
static void
ivr_session_path_add(struct ivr_session *session, const char *fmt, ...)
{
	char step[IVR_MENU_NAME_MAX + 16];
	size_t used = strlen(session->path);
	size_t need;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(step, sizeof(step), fmt, ap);
	va_end(ap);
	need = strlen(step) + (used > 0 ? 1 : 0);
	if (used + need > IVR_SESSION_PATH_MAX)
		return;
	snprintf(session->path + used, sizeof(session->path) - used, "%s%s",
	    used > 0 ? " " : "", step);
}

static void
ivr_session_play(struct ivr_session *session, struct ivr_session_list *list,
    enum ivr_session_state state, bool interruptible)
{
	session->state = state;
	session->playing = true;
	session->interruptible = interruptible;
	session->actions->play(session->arg, list->items, list->count);
}

static void
ivr_session_stop_playing(struct ivr_session *session)
{
	if (!session->playing)
		return;
	session->playing = false;
	session->actions->stop_playing(session->arg);
}

static void
ivr_session_timer_start(struct ivr_session *session)
{
	const struct ivr_menu_node *node = ivr_session_node(session);
	int seconds = node->timeout_seconds > 0 ? node->timeout_seconds :
	    session->params.no_input_seconds;

	session->timer_armed = true;
	session->actions->timer_start(session->arg, seconds);
}

static void
ivr_session_timer_cancel(struct ivr_session *session)
{
	if (!session->timer_armed)
		return;
	session->timer_armed = false;
	session->actions->timer_cancel(session->arg);
}

/* The SIP side is gone or told to go: the session is done, or waits for
 * a report's result first. */
static void
ivr_session_finish(struct ivr_session *session, const char *reason)
{
	ivr_session_stop_playing(session);
	ivr_session_timer_cancel(session);
	snprintf(session->end_reason, sizeof(session->end_reason), "%s", reason);
	session->state = session->report_pending ? IVR_SESSION_ENDED :
	    IVR_SESSION_DONE;
}

static void
ivr_session_hangup(struct ivr_session *session, const char *reason)
{
	if (!session->hung_up) {
		session->hung_up = true;
		session->actions->hangup(session->arg, reason);
	}
	ivr_session_finish(session, reason);
}

/* Plays list, then hangs up with reason. */
static void
ivr_session_close(struct ivr_session *session, struct ivr_session_list *list,
    const char *reason)
{
	ivr_session_stop_playing(session);
	ivr_session_timer_cancel(session);
	snprintf(session->close_reason, sizeof(session->close_reason), "%s",
	    reason);
	ivr_session_play(session, list, IVR_SESSION_CLOSING, false);
}

static void
ivr_session_close_with(struct ivr_session *session, const char *first,
    const char *second, const char *reason)
{
	struct ivr_session_list list = { .count = 0 };

	ivr_session_list_add(&list, first);
	if (second != NULL)
		ivr_session_list_add(&list, second);
	ivr_session_close(session, &list, reason);
}

/* Counts a no input or a wrong key. Returns true, after closing the call,
 * when the node's retries are used up. */
static bool
ivr_session_fail(struct ivr_session *session)
{
	session->failures++;
	if (session->failures <= ivr_session_node(session)->retries)
		return false;
	ivr_session_close_with(session, "goodbye", NULL, "no_input");
	return true;
}

/* Plays the current node's prompt after prefix (NULL for none). */
static void
ivr_session_play_node(struct ivr_session *session,
    const struct ivr_menu_prompts *prefix)
{
	const struct ivr_menu_node *node = ivr_session_node(session);
	struct ivr_session_list list = { .count = 0 };

	if (prefix != NULL)
		ivr_session_list_add_prompts(&list, prefix);
	ivr_session_list_add_prompts(&list, &node->prompt);
	ivr_session_play(session, &list, IVR_SESSION_MENU_PROMPT,
	    node->interruptible);
}

/* Enters node index; with push, "back" returns to the current node. */
static void
ivr_session_enter(struct ivr_session *session, size_t index, bool push)
{
	if (push) {
		if (session->history_count == IVR_SESSION_HISTORY_MAX) {
			memmove(session->history, session->history + 1,
			    (IVR_SESSION_HISTORY_MAX - 1) *
			    sizeof(session->history[0]));
			session->history_count--;
		}
		session->history[session->history_count++] = session->node;
	}
	session->node = index;
	session->failures = 0;
	ivr_session_play_node(session, NULL);
}

/* --- Recording --------------------------------------------------------- */

static void
ivr_session_record_prompt(struct ivr_session *session)
{
	struct ivr_session_list list = { .count = 0 };

	ivr_session_list_add(&list, session->category[0] != '\0' ?
	    "record_intro" : "voicemail");
	ivr_session_list_add(&list, "beep");
	ivr_session_play(session, &list, IVR_SESSION_RECORD_PROMPT, true);
}

static void
ivr_session_record_begin(struct ivr_session *session)
{
	if (session->actions->record_start(session->arg) != 0) {
		ivr_session_close_with(session, "report_failed", "goodbye",
		    "error");
		return;
	}
	session->recording = true;
	session->state = IVR_SESSION_RECORDING;
}

static void
ivr_session_submit(struct ivr_session *session, int64_t length_ms)
{
	session->recording_ms = length_ms;
	session->report_pending = true;
	session->actions->submit(session->arg, session->category);
}

/* The recording is closed with length_ms (-1: it failed). */
static void
ivr_session_record_done(struct ivr_session *session, int64_t length_ms)
{
	session->recording = false;
	if (length_ms < 0) {
		ivr_session_close_with(session, "report_failed", "goodbye",
		    "error");
		return;
	}
	if (length_ms < IVR_SESSION_RECORDING_MIN_MS) {
		session->actions->record_discard(session->arg);
		if (!ivr_session_fail(session))
			ivr_session_record_prompt(session);
		return;
	}
	ivr_session_submit(session, length_ms);
	session->state = IVR_SESSION_REPORTING;
}

/* Stops whatever runs because the call ends: a recording long enough is
 * still submitted. */
static void
ivr_session_interrupt(struct ivr_session *session)
{
	int64_t length_ms;

	ivr_session_stop_playing(session);
	ivr_session_timer_cancel(session);
	if (!session->recording)
		return;
	session->recording = false;
	length_ms = session->actions->record_stop(session->arg);
	if (length_ms >= IVR_SESSION_RECORDING_MIN_MS)
		ivr_session_submit(session, length_ms);
	else if (length_ms >= 0)
		session->actions->record_discard(session->arg);
}

static void
ivr_session_voicemail(struct ivr_session *session)
{
	ivr_session_path_add(session, "voicemail");
	session->category = "";
	session->failures = 0;
	ivr_session_record_prompt(session);
}

/* --- Ticket status ----------------------------------------------------- */

static void
ivr_session_code_prompt(struct ivr_session *session,
    const struct ivr_menu_prompts *prefix, const char *name)
{
	struct ivr_session_list list = { .count = 0 };

	session->digit_count = 0;
	session->digits[0] = '\0';
	if (prefix != NULL)
		ivr_session_list_add_prompts(&list, prefix);
	ivr_session_list_add(&list, name);
	ivr_session_play(session, &list, IVR_SESSION_CODE_PROMPT, true);
}

static void
ivr_session_code_check(struct ivr_session *session)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	bool valid = session->digit_count == TICKET_CODE_DIGITS &&
	    ticket_code_parse(session->digits, code) == 0;

	if (!valid) {
		if (!ivr_session_fail(session))
			ivr_session_code_prompt(session, NULL, "code_invalid");
		return;
	}
	memcpy(session->lookup_code, code, sizeof(code));
	session->state = IVR_SESSION_LOOKUP;
	session->actions->lookup(session->arg, code);
}

static void
ivr_session_code_key(struct ivr_session *session, char key)
{
	if (key == '#') {
		ivr_session_code_check(session);
		return;
	}
	session->digits[session->digit_count++] = key;
	session->digits[session->digit_count] = '\0';
	if (session->digit_count == IVR_SESSION_CODE_KEYS_MAX) {
		ivr_session_code_check(session);
		return;
	}
	session->state = IVR_SESSION_CODE_WAIT;
	ivr_session_timer_start(session);
}

static void
ivr_session_code_timeout(struct ivr_session *session)
{
	if (session->digit_count > 0) {
		ivr_session_code_check(session);
		return;
	}
	if (!ivr_session_fail(session))
		ivr_session_code_prompt(session,
		    &ivr_session_node(session)->no_input_prompt, "enter_code");
}

/* --- Menu keys --------------------------------------------------------- */

static void
ivr_session_switch_language(struct ivr_session *session,
    const struct ivr_menu_action *action)
{
	const char *language = action->language;

	if (language == NULL)
		language = strcmp(session->language, "vi") == 0 ? "en" : "vi";
	snprintf(session->language, sizeof(session->language), "%s", language);
	ivr_session_enter(session, session->node, false);
}

static void
ivr_session_back(struct ivr_session *session)
{
	size_t index = session->node;

	if (session->history_count > 0)
		index = session->history[--session->history_count];
	ivr_session_enter(session, index, false);
}

static void
ivr_session_transfer(struct ivr_session *session)
{
	struct ivr_session_list list = { .count = 0 };

	ivr_session_path_add(session, "transfer");
	if (!session->params.transfer) {
		ivr_session_voicemail(session);
		return;
	}
	ivr_session_list_add(&list, "transfer");
	ivr_session_play(session, &list, IVR_SESSION_TRANSFER_PROMPT, false);
}

static void
ivr_session_act(struct ivr_session *session,
    const struct ivr_menu_action *action)
{
	switch (action->type) {
	case IVR_MENU_GOTO:
		ivr_session_enter(session, action->node, true);
		break;
	case IVR_MENU_RECORD:
		ivr_session_path_add(session, "record");
		session->category = action->category;
		session->failures = 0;
		ivr_session_record_prompt(session);
		break;
	case IVR_MENU_STATUS:
		ivr_session_path_add(session, "status");
		session->failures = 0;
		ivr_session_code_prompt(session, NULL, "enter_code");
		break;
	case IVR_MENU_LANGUAGE:
		ivr_session_switch_language(session, action);
		break;
	case IVR_MENU_REPEAT:
		ivr_session_enter(session, session->node, false);
		break;
	case IVR_MENU_BACK:
		ivr_session_back(session);
		break;
	case IVR_MENU_TRANSFER:
		ivr_session_transfer(session);
		break;
	case IVR_MENU_HANGUP:
		ivr_session_close_with(session, "goodbye", NULL, "completed");
		break;
	case IVR_MENU_NONE:
		break;
	}
}

static void
ivr_session_menu_key(struct ivr_session *session, char key)
{
	const struct ivr_menu_node *node = ivr_session_node(session);
	int index = ivr_menu_key_index(key);

	ivr_session_path_add(session, "%s:%c", node->name, key);
	if (index < 0 || node->choices[index].type == IVR_MENU_NONE) {
		if (!ivr_session_fail(session))
			ivr_session_play_node(session, &node->invalid_prompt);
		return;
	}
	ivr_session_act(session, &node->choices[index]);
}

/* --- Events ------------------------------------------------------------ */

struct ivr_session *
ivr_session_new(const struct ivr_menu *menu,
    const struct ivr_session_params *params,
    const struct ivr_session_actions *actions, void *arg)
{
	struct ivr_session *session = calloc(1, sizeof(*session));

	if (session == NULL)
		return NULL;
	session->menu = menu;
	session->params = *params;
	session->actions = actions;
	session->arg = arg;
	session->node = ivr_menu_start_index(menu);
	session->category = "";
	snprintf(session->language, sizeof(session->language), "vi");
	return session;
}

void
ivr_session_free(struct ivr_session *session)
{
	free(session);
}

void
ivr_session_start(struct ivr_session *session)
{
	if (session->state == IVR_SESSION_IDLE)
		ivr_session_enter(session, ivr_menu_start_index(session->menu),
		    false);
}

void
ivr_session_key(struct ivr_session *session, char key)
{
	bool stops = session->playing && session->interruptible;

	switch (session->state) {
	case IVR_SESSION_MENU_PROMPT:
		if (!stops)
			break;
		ivr_session_stop_playing(session);
		ivr_session_menu_key(session, key);
		break;
	case IVR_SESSION_MENU_WAIT:
		ivr_session_timer_cancel(session);
		ivr_session_menu_key(session, key);
		break;
	case IVR_SESSION_CODE_PROMPT:
		ivr_session_stop_playing(session);
		ivr_session_code_key(session, key);
		break;
	case IVR_SESSION_CODE_WAIT:
		ivr_session_timer_cancel(session);
		ivr_session_code_key(session, key);
		break;
	case IVR_SESSION_STATUS_RESULT:
		ivr_session_stop_playing(session);
		ivr_session_enter(session, session->node, false);
		break;
	case IVR_SESSION_RECORD_PROMPT:
		ivr_session_stop_playing(session);
		ivr_session_record_begin(session);
		break;
	case IVR_SESSION_RECORDING:
		if (key == '#')
			ivr_session_record_done(session,
			    session->actions->record_stop(session->arg));
		break;
	default:
		/* Keys are ignored while the hub or the SIP side works and
		 * while the call closes. */
		break;
	}
}

void
ivr_session_played(struct ivr_session *session)
{
	if (!session->playing)
		return;
	session->playing = false;
	switch (session->state) {
	case IVR_SESSION_MENU_PROMPT:
		if (ivr_session_node(session)->has_next) {
			ivr_session_enter(session, ivr_session_node(session)->next,
			    false);
			break;
		}
		session->state = IVR_SESSION_MENU_WAIT;
		ivr_session_timer_start(session);
		break;
	case IVR_SESSION_CODE_PROMPT:
		session->state = IVR_SESSION_CODE_WAIT;
		ivr_session_timer_start(session);
		break;
	case IVR_SESSION_STATUS_RESULT:
		ivr_session_enter(session, session->node, false);
		break;
	case IVR_SESSION_RECORD_PROMPT:
		ivr_session_record_begin(session);
		break;
	case IVR_SESSION_TRANSFER_PROMPT:
		session->state = IVR_SESSION_TRANSFERRING;
		session->actions->transfer(session->arg);
		break;
	case IVR_SESSION_CLOSING:
		ivr_session_hangup(session, session->close_reason);
		break;
	default:
		break;
	}
}

void
ivr_session_timeout(struct ivr_session *session)
{
	if (!session->timer_armed)
		return;
	session->timer_armed = false;
	if (session->state == IVR_SESSION_MENU_WAIT) {
		if (!ivr_session_fail(session))
			ivr_session_play_node(session,
			    &ivr_session_node(session)->no_input_prompt);
	} else if (session->state == IVR_SESSION_CODE_WAIT) {
		ivr_session_code_timeout(session);
	}
}

void
ivr_session_recorded(struct ivr_session *session, int64_t length_ms)
{
	if (session->state == IVR_SESSION_RECORDING)
		ivr_session_record_done(session, length_ms);
}

void
ivr_session_lookup_result(struct ivr_session *session,
    const struct ivr_ticket_status *ticket)
{
	struct ivr_session_list list = { .count = 0 };

	if (session->state != IVR_SESSION_LOOKUP)
		return;
	if (ticket->found != 1) {
		/* NOTE: a failed lookup (found -1) is heard as an unknown
		 * code, since no prompt says that the lookup failed. */
		ivr_session_list_add(&list, "code_unknown");
		ivr_session_play(session, &list, IVR_SESSION_STATUS_RESULT, true);
		return;
	}
	memcpy(session->code, session->lookup_code, sizeof(session->code));
	ivr_session_list_add(&list, "status_intro");
	ivr_session_list_add_value(&list, "code:%s", session->lookup_code);
	ivr_session_list_add_value(&list, "status:%s", ticket->status);
	if (ticket->merged_into[0] != '\0') {
		ivr_session_list_add(&list, "status_merged");
		ivr_session_list_add_value(&list, "code:%s", ticket->merged_into);
	}
	if (ticket->due_at_ms > 0 && ticket->resolved_at_ms == 0) {
		ivr_session_list_add(&list, "due_intro");
		ivr_session_list_add_value(&list, "date:%lld",
		    (long long)ticket->due_at_ms);
	}
	ivr_session_play(session, &list, IVR_SESSION_STATUS_RESULT, true);
}

void
ivr_session_report_result(struct ivr_session *session, int status,
    const char *code)
{
	struct ivr_session_list list = { .count = 0 };
	bool saved = status == 0 && code != NULL && code[0] != '\0';

	if (!session->report_pending)
		return;
	session->report_pending = false;
	if (saved)
		snprintf(session->code, sizeof(session->code), "%s", code);
	if (session->state == IVR_SESSION_ENDED) {
		session->state = IVR_SESSION_DONE;
		return;
	}
	if (session->state != IVR_SESSION_REPORTING)
		return;
	if (!saved) {
		ivr_session_close_with(session, "report_failed", "goodbye",
		    "error");
		return;
	}
	ivr_session_list_add(&list, "report_saved");
	ivr_session_list_add_value(&list, "code:%s", session->code);
	ivr_session_list_add(&list, "code_again");
	ivr_session_list_add_value(&list, "code:%s", session->code);
	ivr_session_list_add(&list, "goodbye");
	ivr_session_close(session, &list, "completed");
}

void
ivr_session_transfer_result(struct ivr_session *session, int status)
{
	if (session->state != IVR_SESSION_TRANSFERRING)
		return;
	if (status >= 200 && status < 300) {
		/* The SIP side ends the call itself after a transfer. */
		session->hung_up = true;
		ivr_session_finish(session, "transferred");
		return;
	}
	ivr_session_voicemail(session);
}

void
ivr_session_max_duration(struct ivr_session *session)
{
	struct ivr_session_list list = { .count = 0 };

	if (session->state == IVR_SESSION_IDLE ||
	    session->state == IVR_SESSION_CLOSING ||
	    session->state == IVR_SESSION_ENDED ||
	    session->state == IVR_SESSION_DONE)
		return;
	ivr_session_interrupt(session);
	ivr_session_list_add(&list, "max_duration");
	ivr_session_close(session, &list, "max_duration");
}

void
ivr_session_media_timeout(struct ivr_session *session)
{
	if (session->state == IVR_SESSION_ENDED ||
	    session->state == IVR_SESSION_DONE)
		return;
	ivr_session_interrupt(session);
	ivr_session_hangup(session, "media_timeout");
}

void
ivr_session_end(struct ivr_session *session, const char *reason)
{
	if (session->state == IVR_SESSION_ENDED ||
	    session->state == IVR_SESSION_DONE)
		return;
	ivr_session_interrupt(session);
	session->hung_up = true;
	ivr_session_finish(session, reason);
}

void
ivr_session_shutdown(struct ivr_session *session, const char *reason)
{
	if (session->state == IVR_SESSION_DONE)
		return;
	if (session->state != IVR_SESSION_ENDED) {
		ivr_session_interrupt(session);
		ivr_session_hangup(session, reason);
	}
	/* A report still pending is answered to a call that has ended; the
	 * hub keeps the ticket either way. */
	session->state = IVR_SESSION_DONE;
}

bool
ivr_session_finished(const struct ivr_session *session)
{
	return session->state == IVR_SESSION_DONE;
}

bool
ivr_session_hung_up(const struct ivr_session *session)
{
	return session->hung_up;
}

const char *
ivr_session_language(const struct ivr_session *session)
{
	return session->language;
}

const char *
ivr_session_path(const struct ivr_session *session)
{
	return session->path;
}

const char *
ivr_session_code(const struct ivr_session *session)
{
	return session->code;
}

const char *
ivr_session_end_reason(const struct ivr_session *session)
{
	return session->end_reason;
}

int64_t
ivr_session_recording_ms(const struct ivr_session *session)
{
	return session->recording_ms;
}
