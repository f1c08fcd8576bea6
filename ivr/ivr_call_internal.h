/*
 * The call object shared by ivr_call.c (its life and messages) and
 * ivr_call_actions.c (the menu engine's actions). Media thread only.
 */
#ifndef IVR_CALL_INTERNAL_H
#define IVR_CALL_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "ivr.h"
#include "ivr_call.h"
#include "ivr_menu.h"
#include "ivr_msg.h"

#define IVR_CALL_LOG "ivr"

struct event;
struct rtp_session;

struct ivr_call {
	struct media_thread *media;
	struct ivr *ivr;
	uint64_t id;
	struct rtp_session *rtp;	/* NULL once the SIP side has ended */
	struct ivr_session *session;

	struct event *input_timer;	/* the menu's no-input timer */
	struct event *max_timer;	/* max_call_seconds */
	/* Run from the loop, outside any RTP callback: frees the media once
	 * the call is hung up, and the call once its session has finished. */
	struct event *settle;
	/* Reports a play list that could not be sent as played. */
	struct event *played_later;

	char call_id[IVR_CALL_ID_SIZE];
	char caller[IVR_PARTY_SIZE];
	char callee[IVR_PARTY_SIZE];
	int64_t started_at_ms;
	int64_t answered_at_ms;
	unsigned int dtmf_methods;	/* enum ivr_dtmf_method bits */
	/* The last key taken, to drop its copy sent by another method. */
	char last_key;
	enum ivr_dtmf_method last_key_method;
	int64_t last_key_us;		/* monotonic */

	int recording_count;		/* files made, for their names */
	/* The recording this call still owns (written, or closed and not
	 * handed to the hub); "" for none. Removed at the end. */
	char recording_path[PATH_MAX];
};

/* The engine's actions, implemented with the call's RTP session, the
 * prompts and the other threads' mailboxes. */
extern const struct ivr_session_actions ivr_call_actions;

/* Posts the messages of the call's end. */
void ivr_call_post_hangup(const struct ivr *ivr, uint64_t id,
    const char *reason);

#endif
