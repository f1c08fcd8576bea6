/*
 * The IVR menu: a JSON file of nodes, each with a prompt, its key choices,
 * a timeout and a retry count, and the actions a key leads to. Loaded and
 * checked once at start, then shared read-only by every call.
 *
 * The engine that walks a call through it (ivr_session_*) is declared
 * below this loader.
 */
#ifndef IVR_MENU_H
#define IVR_MENU_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ivr_msg.h"
#include "ivr_prompt.h"

struct ivr_menu;

/* Loads path. Every prompt it names must exist in prompts in both
 * languages, and every category must be one of categories (the desk's
 * array of {id, ...}). Returns NULL with err naming the file and the
 * node's key. */
struct ivr_menu *ivr_menu_load(const char *path,
    const struct ivr_prompts *prompts, const json_t *categories,
    struct config_error *err);

/* Whether prompt name exists in language, for ivr_menu_parse. */
typedef bool (*ivr_menu_prompt_fn)(void *arg, const char *language,
    const char *name);

/* ivr_menu_load with the prompt check done by has_prompt, so that the menu
 * can be checked without audio (the unit tests). ivr_menu_load calls it
 * with ivr_prompts_get. */
struct ivr_menu *ivr_menu_parse(const char *path, ivr_menu_prompt_fn has_prompt,
    void *arg, const json_t *categories, struct config_error *err);

void ivr_menu_free(struct ivr_menu *menu);

/* --- The loaded menu, read by the engine -------------------------------- */

/* Keys of a choice: '0'-'9', '*', '#'. */
#define IVR_MENU_KEYS 12
#define IVR_MENU_NAME_MAX 32	/* bytes of a node name */

enum ivr_menu_action_type {
	IVR_MENU_NONE,		/* the key is not a choice */
	IVR_MENU_GOTO,
	IVR_MENU_RECORD,
	IVR_MENU_STATUS,
	IVR_MENU_LANGUAGE,
	IVR_MENU_REPEAT,
	IVR_MENU_BACK,
	IVR_MENU_TRANSFER,
	IVR_MENU_HANGUP,
};

struct ivr_menu_action {
	enum ivr_menu_action_type type;
	size_t node;			/* GOTO: index of the target node */
	char *category;			/* RECORD: the desk's category id */
	char *language;			/* LANGUAGE: "vi" or "en"; NULL
					 * switches to the other one */
};

/* Prompt names played one after the other. */
struct ivr_menu_prompts {
	char **names;
	size_t count;
};

struct ivr_menu_node {
	char *name;
	struct ivr_menu_prompts prompt;
	/* Played instead of prompt when no transfer target is configured;
	 * count 0: prompt is played either way. */
	struct ivr_menu_prompts prompt_no_transfer;
	struct ivr_menu_prompts no_input_prompt;	/* default "no_input" */
	struct ivr_menu_prompts invalid_prompt;	/* default "invalid_choice" */
	struct ivr_menu_action choices[IVR_MENU_KEYS];	/* by ivr_menu_key_index */
	int timeout_seconds;		/* 0: the channel's no_input_seconds */
	int retries;			/* failed inputs allowed before hanging
					 * up: no input or a wrong key */
	bool interruptible;		/* a key stops the prompt (barge-in) */
	bool has_next;			/* after the prompt, go to next */
	size_t next;
};

/* Index of key in a node's choices, or -1 for a key that is never a
 * choice ('A'-'D'). */
int ivr_menu_key_index(char key);

/* The node the calls start at. */
const struct ivr_menu_node *ivr_menu_start(const struct ivr_menu *menu);
size_t ivr_menu_start_index(const struct ivr_menu *menu);

/* Node index of menu, which must be below ivr_menu_node_count. */
const struct ivr_menu_node *ivr_menu_node(const struct ivr_menu *menu,
    size_t index);
size_t ivr_menu_node_count(const struct ivr_menu *menu);

/* --- The engine: one call's walk through the menu ------------------------ */

/*
 * A session is a state machine without I/O. The call feeds it events (the
 * ivr_session_* functions below) and it asks for actions through a table
 * of callbacks, so the menu logic is tested with a fake table. A callback
 * must not call back into the session: the caller defers what an action
 * causes (a prompt that cannot play reports played from its next loop
 * turn).
 *
 * Play lists are arrays of items valid only during the call. An item is a
 * prompt name, or a value to speak: "code:3805172961" (a ticket code),
 * "date:1764892800000" (a day, Unix ms) or "status:in_progress" (a ticket
 * status).
 */
struct ivr_session_actions {
	void (*play)(void *arg, const char *const *items, size_t count);
	void (*stop_playing)(void *arg);
	/* Starts recording the caller to a new file. Returns 0 or -1. */
	int (*record_start)(void *arg);
	/* Closes the recording. Returns its length in ms and sets *voiced_ms
	 * to how much of it holds the caller's voice, or returns -1 when it
	 * failed (the file is gone then). */
	int64_t (*record_stop)(void *arg, int64_t *voiced_ms);
	/* Removes the closed recording that will not be handed over. */
	void (*record_discard)(void *arg);
	void (*timer_start)(void *arg, int seconds);
	void (*timer_cancel)(void *arg);
	/* Asks for the status of a valid plain code; answered by
	 * ivr_session_lookup_result. */
	void (*lookup)(void *arg, const char *code);
	/* Hands the closed recording to the hub as a report under category
	 * ("" for voicemail); answered by ivr_session_report_result. */
	void (*submit)(void *arg, const char *category);
	/* Asks the SIP side to transfer the caller; answered by
	 * ivr_session_transfer_result. */
	void (*transfer)(void *arg);
	/* Ends the call on the SIP side (BYE); reason is for the log. */
	void (*hangup)(void *arg, const char *reason);
};

struct ivr_session_params {
	int no_input_seconds;		/* timeout of nodes that set none */
	bool transfer;			/* a transfer target is configured */
};

struct ivr_session;

/* Creates a session at menu's start node, in Vietnamese. actions and
 * menu must outlive it. Returns NULL on allocation failure. */
struct ivr_session *ivr_session_new(const struct ivr_menu *menu,
    const struct ivr_session_params *params,
    const struct ivr_session_actions *actions, void *arg);

void ivr_session_free(struct ivr_session *session);

/* The call is answered: plays the start node. */
void ivr_session_start(struct ivr_session *session);

/* A key from any source: '0'-'9', '*', '#', 'A'-'D'. */
void ivr_session_key(struct ivr_session *session, char key);

/* The last play list has been sent to its end. */
void ivr_session_played(struct ivr_session *session);

/* The timer of timer_start fired. */
void ivr_session_timeout(struct ivr_session *session);

/* The recording reached its length limit and is closed: length_ms long
 * (-1: it failed), with voiced_ms of the caller's voice. */
void ivr_session_recorded(struct ivr_session *session, int64_t length_ms,
    int64_t voiced_ms);

/* The answer to lookup. */
void ivr_session_lookup_result(struct ivr_session *session,
    const struct ivr_ticket_status *ticket);

/* The answer to submit: status 0 and the new ticket's code, or -1. */
void ivr_session_report_result(struct ivr_session *session, int status,
    const char *code);

/* The final SIP status of the transfer (2xx: the SIP side has hung up). */
void ivr_session_transfer_result(struct ivr_session *session, int status);

/* The call reached its maximum length: plays "max_duration", hangs up. */
void ivr_session_max_duration(struct ivr_session *session);

/* No media from the caller: hangs up at once. */
void ivr_session_media_timeout(struct ivr_session *session);

/* The caller hung up (reason "caller"). A recording with at least a
 * second of voice is still submitted, and the session finishes once its result is in. */
void ivr_session_end(struct ivr_session *session, const char *reason);

/* The call must end now ("shutdown", "error"): submits a recording with
 * at least a second of voice, hangs up with reason and finishes at once, without
 * waiting for any answer. */
void ivr_session_shutdown(struct ivr_session *session, const char *reason);

/* Whether the session has finished: the call record can be written and
 * the session freed. */
bool ivr_session_finished(const struct ivr_session *session);

/* Whether the session has ended the SIP side or learnt that it ended. */
bool ivr_session_hung_up(const struct ivr_session *session);

/* The call's facts for its record. */
const char *ivr_session_language(const struct ivr_session *session);
/* "node:key" steps and the actions taken, space separated. */
const char *ivr_session_path(const struct ivr_session *session);
/* The ticket of the report, or the last one whose status was heard; "". */
const char *ivr_session_code(const struct ivr_session *session);
/* "completed", "no_input", ...; "" until the session has finished. */
const char *ivr_session_end_reason(const struct ivr_session *session);
/* Length of the recording handed over, 0 for none. */
int64_t ivr_session_recording_ms(const struct ivr_session *session);

#endif
