/*
 * The menu engine's play lists, timers, path and endings, and the walk
 * through the menu's nodes by key.
 */
#include "ivr_session_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
ivr_session_list_add(struct ivr_session_list *list, const char *item)
{
	if (list->count < IVR_SESSION_ITEMS_MAX)
		list->items[list->count++] = item;
}

void
ivr_session_list_add_prompts(struct ivr_session_list *list,
    const struct ivr_menu_prompts *prompts)
{
	for (size_t i = 0; i < prompts->count; i++)
		ivr_session_list_add(list, prompts->names[i]);
}

/* Adds a value item, "KIND:VALUE". */
void
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

const struct ivr_menu_node *
ivr_session_node(const struct ivr_session *session)
{
	return ivr_menu_node(session->menu, session->node);
}

/* Drops the oldest steps of the path until need more bytes fit, and
 * puts IVR_SESSION_PATH_CUT in their place, so that the record keeps
 * what the caller did last. */
static void
ivr_session_path_trim(struct ivr_session *session, size_t need)
{
	const size_t cut_length = strlen(IVR_SESSION_PATH_CUT);
	const char *keep = session->path;
	size_t rest;

	if (strncmp(keep, IVR_SESSION_PATH_CUT " ", cut_length + 1) == 0)
		keep += cut_length + 1;
	while (*keep != '\0' &&
	    cut_length + 1 + strlen(keep) + need > IVR_SESSION_PATH_MAX) {
		const char *space = strchr(keep, ' ');

		keep = space != NULL ? space + 1 : keep + strlen(keep);
	}
	/* The loop dropped at least one step, so the marker and the steps
	 * kept fit where the path was. */
	rest = strlen(keep);
	memmove(session->path + cut_length + 1, keep, rest + 1);
	memcpy(session->path, IVR_SESSION_PATH_CUT " ", cut_length + 1);
	if (rest == 0)
		session->path[cut_length] = '\0';
}

/* Appends a step to the path, space separated. When the path would
 * exceed IVR_SESSION_PATH_MAX, its oldest steps are dropped. */
void
ivr_session_path_add(struct ivr_session *session, const char *fmt, ...)
{
	char step[IVR_MENU_NAME_MAX + 16];
	size_t used = strlen(session->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(step, sizeof(step), fmt, ap);
	va_end(ap);
	if (used > 0 && used + 1 + strlen(step) > IVR_SESSION_PATH_MAX) {
		ivr_session_path_trim(session, 1 + strlen(step));
		used = strlen(session->path);
	}
	snprintf(session->path + used, sizeof(session->path) - used, "%s%s",
	    used > 0 ? " " : "", step);
}

void
ivr_session_play(struct ivr_session *session, struct ivr_session_list *list,
    enum ivr_session_state state, bool interruptible)
{
	session->state = state;
	session->playing = true;
	session->rest_count = 0;
	session->interruptible = interruptible;
	session->playing_notice = false;
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], IVR_SESSION_NOTICE) == 0)
			session->playing_notice = true;
	session->actions->play(session->arg, list->items, list->count);
}

void
ivr_session_stop_playing(struct ivr_session *session)
{
	if (!session->playing)
		return;
	session->playing = false;
	session->playing_notice = false;
	session->rest_count = 0;
	session->actions->stop_playing(session->arg);
}

void
ivr_session_timer_start(struct ivr_session *session)
{
	const struct ivr_menu_node *node = ivr_session_node(session);
	int seconds = node->timeout_seconds > 0 ? node->timeout_seconds :
	    session->params.no_input_seconds;

	session->timer_armed = true;
	session->actions->timer_start(session->arg, seconds);
}

void
ivr_session_timer_cancel(struct ivr_session *session)
{
	if (!session->timer_armed)
		return;
	session->timer_armed = false;
	session->actions->timer_cancel(session->arg);
}

/* The SIP side has ended or was sent a hangup: the session is done, or
 * waits for a report's result first. */
void
ivr_session_finish(struct ivr_session *session, const char *reason)
{
	ivr_session_stop_playing(session);
	ivr_session_timer_cancel(session);
	snprintf(session->end_reason, sizeof(session->end_reason), "%s", reason);
	session->state = session->report_pending ? IVR_SESSION_ENDED :
	    IVR_SESSION_DONE;
}

void
ivr_session_hangup(struct ivr_session *session, const char *reason)
{
	if (!session->hung_up) {
		session->hung_up = true;
		session->actions->hangup(session->arg, reason);
	}
	ivr_session_finish(session, reason);
}

/* Plays list, then hangs up with reason. */
void
ivr_session_close(struct ivr_session *session, struct ivr_session_list *list,
    const char *reason)
{
	ivr_session_stop_playing(session);
	ivr_session_timer_cancel(session);
	snprintf(session->close_reason, sizeof(session->close_reason), "%s",
	    reason);
	ivr_session_play(session, list, IVR_SESSION_CLOSING, false);
}

void
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
bool
ivr_session_fail(struct ivr_session *session)
{
	session->failures++;
	if (session->failures <= ivr_session_node(session)->retries)
		return false;
	ivr_session_close_with(session, "goodbye", NULL, "no_input");
	return true;
}

/* Index of the last recording notice in list that other items follow,
 * or -1. */
static long
ivr_session_notice_split(const struct ivr_session_list *list)
{
	for (size_t i = list->count; i-- > 0;)
		if (strcmp(list->items[i], IVR_SESSION_NOTICE) == 0)
			return i + 1 < list->count ? (long)i : -1;
	return -1;
}

/* Plays the current node's prompt after prefix (NULL for none). The
 * notice is split off so that it is marked heard when it ends, not when
 * the whole list does. */
void
ivr_session_play_node(struct ivr_session *session,
    const struct ivr_menu_prompts *prefix)
{
	const struct ivr_menu_node *node = ivr_session_node(session);
	struct ivr_session_list list = { .count = 0 };
	bool offers_operator = session->params.transfer ||
	    node->prompt_no_transfer.count == 0;
	size_t first;
	size_t count;
	long split;

	if (prefix != NULL)
		ivr_session_list_add_prompts(&list, prefix);
	ivr_session_list_add_prompts(&list, offers_operator ? &node->prompt :
	    &node->prompt_no_transfer);
	split = ivr_session_notice_heard(session) ? -1 :
	    ivr_session_notice_split(&list);
	if (split < 0) {
		ivr_session_play(session, &list, IVR_SESSION_MENU_PROMPT,
		    node->interruptible);
		return;
	}
	/* The items are prompt names that live as long as the menu, so the
	 * rest can wait in the session. */
	first = (size_t)split + 1;
	count = list.count;
	list.count = first;
	ivr_session_play(session, &list, IVR_SESSION_MENU_PROMPT,
	    node->interruptible);
	for (size_t i = first; i < count; i++)
		session->rest[session->rest_count++] = list.items[i];
}

bool
ivr_session_play_rest(struct ivr_session *session)
{
	struct ivr_session_list list = { .count = 0 };

	if (session->rest_count == 0)
		return false;
	for (size_t i = 0; i < session->rest_count; i++)
		ivr_session_list_add(&list, session->rest[i]);
	ivr_session_play(session, &list, IVR_SESSION_MENU_PROMPT,
	    ivr_session_node(session)->interruptible);
	return true;
}

/* Enters node index; with push, "back" returns to the current node. */
void
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

static void
ivr_session_switch_language(struct ivr_session *session,
    const struct ivr_menu_action *action)
{
	const char *language = action->language;

	struct ivr_menu_prompts notice = {
		.names = (char *[]){ IVR_SESSION_NOTICE },
		.count = 1,
	};

	if (language == NULL)
		language = strcmp(session->language, "vi") == 0 ? "en" : "vi";
	snprintf(session->language, sizeof(session->language), "%s", language);
	session->failures = 0;
	/* A caller who chose a language hears the notice in it first; the
	 * record action plays it again if a key cut it short. */
	ivr_session_play_node(session, ivr_session_notice_heard(session) ?
	    NULL : &notice);
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

	/* Without a transfer target no REFER is sent, so the path shows
	 * voicemail only. */
	if (!session->params.transfer) {
		ivr_session_voicemail(session);
		return;
	}
	ivr_session_path_add(session, "transfer");
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
		/* The failures are kept: a recording without voice brings
		 * the caller back here and counts as one more. */
		ivr_session_path_add(session, "record");
		session->category = action->category;
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

void
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
