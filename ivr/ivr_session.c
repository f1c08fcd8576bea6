/*
 * The engine that walks one call through the menu: a state machine fed
 * with events by its call (ivr_call.c) and acting only through the call's
 * table of actions (see ivr_menu.h). This file takes the events and
 * dispatches them by state (see ivr_session_internal.h).
 */
#include "ivr_session_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		if (session->dropping_keys) {
			/* '#' ends the burst typed after a wrong code. */
			if (key == '#')
				session->dropping_keys = false;
			break;
		}
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
		if (!stops)
			break;
		ivr_session_stop_playing(session);
		ivr_session_record_begin(session);
		break;
	case IVR_SESSION_RECORDING:
		if (key == '#') {
			int64_t voiced_ms = 0;
			int64_t length_ms = session->actions->record_stop(
			    session->arg, &voiced_ms);

			ivr_session_record_done(session, length_ms, voiced_ms);
		}
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
	bool was_notice = session->playing_notice;

	if (!session->playing)
		return;
	session->playing = false;
	if (was_notice) {
		session->playing_notice = false;
		ivr_session_notice_mark(session);
	}
	switch (session->state) {
	case IVR_SESSION_MENU_PROMPT:
		if (ivr_session_play_rest(session))
			break;
		if (ivr_session_node(session)->has_next) {
			ivr_session_enter(session, ivr_session_node(session)->next,
			    false);
			break;
		}
		session->state = IVR_SESSION_MENU_WAIT;
		ivr_session_timer_start(session);
		break;
	case IVR_SESSION_CODE_PROMPT:
		session->dropping_keys = false;
		session->state = IVR_SESSION_CODE_WAIT;
		ivr_session_timer_start(session);
		break;
	case IVR_SESSION_STATUS_RESULT:
		ivr_session_enter(session, session->node, false);
		break;
	case IVR_SESSION_RECORD_PROMPT:
		/* After the notice alone, the intro and beep. */
		if (was_notice)
			ivr_session_record_prompt(session);
		else
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
	/* The result of a pending report is not awaited: the hub handles a
	 * report whose call has already ended. */
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
