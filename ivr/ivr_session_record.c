/*
 * The menu engine's recordings: the intro and beep, recording until '#'
 * or the limit, the report handed to the hub and its result, and the
 * voicemail that replaces a failed transfer.
 */
#include "ivr_session_internal.h"

#include <stdio.h>
#include <string.h>

/* The bit of language in notice_heard: "vi" and "en" are the only
 * languages a session switches to. */
static unsigned
ivr_session_language_bit(const char *language)
{
	return strcmp(language, "en") == 0 ? 2u : 1u;
}

bool
ivr_session_notice_heard(const struct ivr_session *session)
{
	return (session->notice_heard &
	    ivr_session_language_bit(session->language)) != 0;
}

void
ivr_session_notice_mark(struct ivr_session *session)
{
	session->notice_heard |= ivr_session_language_bit(session->language);
}

/* The prompt before the beep: "record_intro" for a report under a
 * category; for a voicemail, "voicemail" (the operators did not answer)
 * or, on a channel without a transfer target, "voicemail_direct", which
 * does not speak of operators. */
static const char *
ivr_session_record_intro(const struct ivr_session *session)
{
	if (session->category[0] != '\0')
		return "record_intro";
	return session->params.transfer ? "voicemail" : "voicemail_direct";
}

/* Plays the recording notice, or the intro and the beep once the notice
 * has been heard in the current language. */
void
ivr_session_record_prompt(struct ivr_session *session)
{
	struct ivr_session_list list = { .count = 0 };

	if (!ivr_session_notice_heard(session)) {
		ivr_session_list_add(&list, IVR_SESSION_NOTICE);
		ivr_session_play(session, &list, IVR_SESSION_RECORD_PROMPT,
		    false);
		return;
	}
	ivr_session_list_add(&list, ivr_session_record_intro(session));
	ivr_session_list_add(&list, "beep");
	ivr_session_play(session, &list, IVR_SESSION_RECORD_PROMPT, true);
}

void
ivr_session_record_begin(struct ivr_session *session)
{
	/* Nothing is recorded before the notice was heard in the caller's
	 * language. */
	if (!ivr_session_notice_heard(session)) {
		ivr_session_record_prompt(session);
		return;
	}
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

/* The recording is closed with length_ms (-1: it failed) and voiced_ms
 * of the caller's voice. */
void
ivr_session_record_done(struct ivr_session *session, int64_t length_ms,
    int64_t voiced_ms)
{
	struct ivr_menu_prompts nothing = {
		.names = (char *[]){ "nothing_recorded" },
		.count = 1,
	};

	session->recording = false;
	if (length_ms < 0) {
		ivr_session_close_with(session, "report_failed", "goodbye",
		    "error");
		return;
	}
	if (length_ms < IVR_SESSION_RECORDING_MIN_MS ||
	    voiced_ms < IVR_SESSION_RECORDING_MIN_MS) {
		/* A recording of silence or keys opens no ticket, and the
		 * caller goes back to the node where recording was chosen. */
		session->actions->record_discard(session->arg);
		if (!ivr_session_fail(session))
			ivr_session_play_node(session, &nothing);
		return;
	}
	ivr_session_submit(session, length_ms);
	session->state = IVR_SESSION_REPORTING;
}

/* Stops whatever runs because the call ends. A recording with enough
 * voice is still submitted. */
void
ivr_session_interrupt(struct ivr_session *session)
{
	int64_t length_ms;
	int64_t voiced_ms = 0;

	ivr_session_stop_playing(session);
	ivr_session_timer_cancel(session);
	if (!session->recording)
		return;
	session->recording = false;
	length_ms = session->actions->record_stop(session->arg, &voiced_ms);
	if (length_ms >= IVR_SESSION_RECORDING_MIN_MS &&
	    voiced_ms >= IVR_SESSION_RECORDING_MIN_MS)
		ivr_session_submit(session, length_ms);
	else if (length_ms >= 0)
		session->actions->record_discard(session->arg);
}

void
ivr_session_voicemail(struct ivr_session *session)
{
	ivr_session_path_add(session, "voicemail");
	session->category = "";
	ivr_session_record_prompt(session);
}

void
ivr_session_recorded(struct ivr_session *session, int64_t length_ms,
    int64_t voiced_ms)
{
	if (session->state == IVR_SESSION_RECORDING)
		ivr_session_record_done(session, length_ms, voiced_ms);
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
