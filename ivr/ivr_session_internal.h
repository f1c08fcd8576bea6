/*
 * The menu engine's state, shared by its files: ivr_session.c (events),
 * ivr_session_menu.c (play lists, timers, nodes and keys),
 * ivr_session_record.c (recordings and reports) and ivr_session_status.c
 * (ticket codes and lookups).
 *
 * A state names what the session waits for. The *_PROMPT states wait for
 * a play list to end; a key stops the list when it is interruptible. The
 * *_WAIT states have the no-input timer armed. CLOSING plays the last list
 * before hanging up, and ENDED waits, after the SIP side has ended, for the
 * result of a report already submitted.
 */
#ifndef IVR_SESSION_INTERNAL_H
#define IVR_SESSION_INTERNAL_H

#include "ivr_menu.h"

#define IVR_SESSION_ITEMS_MAX 24
#define IVR_SESSION_VALUES_MAX 4
#define IVR_SESSION_VALUE_SIZE 40
#define IVR_SESSION_HISTORY_MAX 16
#define IVR_SESSION_CODE_KEYS_MAX 12	/* keys of a code before it is checked */
/* The call record keeps at most 1000 bytes of path: the last steps, after
 * IVR_SESSION_PATH_CUT when older ones were dropped. */
#define IVR_SESSION_PATH_MAX 1000
#define IVR_SESSION_PATH_CUT "..."
/* A recording with less of the caller's voice is no report: it is
 * dropped, and on hang-up no ticket is opened. */
#define IVR_SESSION_RECORDING_MIN_MS 1000
/* The prompt that says the call is recorded; see ivr_session_play. */
#define IVR_SESSION_NOTICE "recording_notice"

enum ivr_session_state {
	IVR_SESSION_IDLE,
	IVR_SESSION_MENU_PROMPT,	/* a node's prompt */
	IVR_SESSION_MENU_WAIT,		/* a key for the node's choices */
	IVR_SESSION_CODE_PROMPT,	/* "enter_code" or "code_invalid" */
	IVR_SESSION_CODE_WAIT,		/* the code's keys */
	IVR_SESSION_LOOKUP,		/* the lookup's result */
	IVR_SESSION_STATUS_RESULT,	/* the ticket's status */
	IVR_SESSION_RECORD_PROMPT,	/* "record_intro" or a voicemail
					 * prompt, beep */
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
	bool playing_notice;		/* the list playing holds the notice */
	/* MENU_PROMPT: the prompt names that follow the list playing, which
	 * ends with the notice; see ivr_session_play_node. */
	const char *rest[IVR_SESSION_ITEMS_MAX];
	size_t rest_count;
	unsigned notice_heard;		/* languages the notice was heard in,
					 * by ivr_session_language_bit */
	bool timer_armed;

	char language[4];
	char digits[IVR_SESSION_CODE_KEYS_MAX + 1];	/* the code typed */
	size_t digit_count;
	bool dropping_keys;		/* CODE_PROMPT after a wrong code: keys
					 * are dropped until it ends or '#' */
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

/* --- ivr_session_menu.c -------------------------------------------------- */

/* Adds an item, prompts or a value ("KIND:VALUE") to list. What does not
 * fit is dropped. */
void ivr_session_list_add(struct ivr_session_list *list, const char *item);
void ivr_session_list_add_prompts(struct ivr_session_list *list,
    const struct ivr_menu_prompts *prompts);
void ivr_session_list_add_value(struct ivr_session_list *list,
    const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The current node. */
const struct ivr_menu_node *ivr_session_node(
    const struct ivr_session *session);

/* Appends a step to the path, space separated. When the path would
 * exceed IVR_SESSION_PATH_MAX, its oldest steps give way to
 * IVR_SESSION_PATH_CUT. */
void ivr_session_path_add(struct ivr_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Plays list and enters state, which waits for it to end. A list that
 * holds the recording notice and plays to its end marks the notice
 * heard in the current language. */
void ivr_session_play(struct ivr_session *session,
    struct ivr_session_list *list, enum ivr_session_state state,
    bool interruptible);
void ivr_session_stop_playing(struct ivr_session *session);

/* Arms the no-input timer with the current node's timeout. */
void ivr_session_timer_start(struct ivr_session *session);
void ivr_session_timer_cancel(struct ivr_session *session);

/* The SIP side has ended or was sent a hangup: the session is done, or
 * waits for a report's result first. */
void ivr_session_finish(struct ivr_session *session, const char *reason);

/* Hangs up the SIP side, unless it has ended, and finishes. */
void ivr_session_hangup(struct ivr_session *session, const char *reason);

/* Plays list, then hangs up with reason. */
void ivr_session_close(struct ivr_session *session,
    struct ivr_session_list *list, const char *reason);
/* Plays first and second (NULL for none), then hangs up with reason. */
void ivr_session_close_with(struct ivr_session *session, const char *first,
    const char *second, const char *reason);

/* Counts a no input or a wrong key. Returns true, after closing the call,
 * when the node's retries are used up. */
bool ivr_session_fail(struct ivr_session *session);

/* Plays the current node's prompt after prefix (NULL for none). When
 * that list holds the recording notice, not yet heard in the current
 * language, before other prompts, it is played in two lists: up to the
 * notice, then the rest. A key during the rest then leaves the notice
 * marked heard. */
void ivr_session_play_node(struct ivr_session *session,
    const struct ivr_menu_prompts *prefix);

/* Plays the prompts that ivr_session_play_node held back. Returns false
 * when there are none. */
bool ivr_session_play_rest(struct ivr_session *session);

/* Enters node index; with push, "back" returns to the current node. */
void ivr_session_enter(struct ivr_session *session, size_t index, bool push);

/* A key for the current node's choices. */
void ivr_session_menu_key(struct ivr_session *session, char key);

/* --- ivr_session_record.c ------------------------------------------------ */

/* Plays the recording notice when it has not been heard in the current
 * language, then the record intro (without a category "voicemail", or
 * "voicemail_direct" on a channel without a transfer target) and the
 * beep, then records. */
void ivr_session_record_prompt(struct ivr_session *session);

/* Starts recording after the intro, or closes the call when it cannot. */
void ivr_session_record_begin(struct ivr_session *session);

/* The recording is closed with length_ms (-1: it failed) and voiced_ms
 * of the caller's voice. */
void ivr_session_record_done(struct ivr_session *session, int64_t length_ms,
    int64_t voiced_ms);

/* Whether the caller has heard the recording notice in the call's
 * current language. */
bool ivr_session_notice_heard(const struct ivr_session *session);

/* Marks the recording notice heard in the call's current language. */
void ivr_session_notice_mark(struct ivr_session *session);

/* Stops whatever runs because the call ends. A recording with enough
 * voice is still submitted. */
void ivr_session_interrupt(struct ivr_session *session);

/* Plays "voicemail" (or "voicemail_direct") and the beep, then records
 * a report with no category. */
void ivr_session_voicemail(struct ivr_session *session);

/* --- ivr_session_status.c ------------------------------------------------ */

/* Plays prefix (NULL for none) and name, then collects a new code. */
void ivr_session_code_prompt(struct ivr_session *session,
    const struct ivr_menu_prompts *prefix, const char *name);

/* A key of the code: '#' or the 12th key checks it. */
void ivr_session_code_key(struct ivr_session *session, char key);

/* No key for the timeout: checks the keys typed, or counts a no input. */
void ivr_session_code_timeout(struct ivr_session *session);

#endif
