/*
 * One answered call on the media thread: its RTP session, its walk through
 * the menu, its recording, and the messages it sends to the SIP thread
 * (hangup, REFER) and to the main thread (lookups, the report, the call
 * record). The media thread (media_thread.c) keeps the calls by id and
 * hands each its messages.
 */
#ifndef IVR_CALL_H
#define IVR_CALL_H

#include "ivr.h"
#include "ivr_msg.h"

struct ivr_call;

/* Starts the call of start (an IVR_MEDIA_START message; its rtp_fd is
 * taken, also on failure): the session, the first menu node, the call's
 * timers. Returns NULL when it cannot (the fd is closed, a hangup posted
 * to the SIP thread and the record to the main thread). */
struct ivr_call *ivr_call_start(struct media_thread *media,
    const struct ivr_media_msg *start);

/* A later message for this call: UPDATE, DIGIT, END, TRANSFER, LOOKUP or
 * REPORT. After END the call frees its media at once and itself (calling
 * media_thread_forget) from the next loop turn, or, when a voice report
 * is still out, once the REPORT answer has come. */
void ivr_call_handle(struct ivr_call *call, const struct ivr_media_msg *message);

/* Ends the call with reason ("shutdown"): hangup to the SIP thread, record
 * to the main thread, then frees it (media_thread_forget is called). */
void ivr_call_end(struct ivr_call *call, const char *reason);

/* --- What media_thread.c offers the calls (media thread only) ----------- */

struct ivr *media_thread_ivr(struct media_thread *media);
struct event_base *media_thread_base(struct media_thread *media);
struct media_stats *media_thread_counters(struct media_thread *media);
/* Removes id from the thread's table; the call frees itself. */
void media_thread_forget(struct media_thread *media, uint64_t id);

#endif
