/*
 * The media thread: a libevent base with precise timers that runs every
 * answered call's RTP session and menu (ivr_call.c).
 */
#ifndef IVR_MEDIA_THREAD_H
#define IVR_MEDIA_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "ivr.h"
#include "ivr_msg.h"

/* Counters of the media thread, updated with relaxed atomics and read from
 * any thread (the status route, the benchmark). */
struct media_stats {
	uint64_t calls;			/* calls started */
	uint64_t active;		/* calls now */
	uint64_t packets_sent;
	uint64_t packets_received;
	/* Spacing of consecutive packets sent on one call, measured on the
	 * monotonic clock at each send: how far from 20 ms. The three
	 * counters are disjoint (up to 1 ms, over 1 and up to 2 ms, over
	 * 2 ms) and together count every send after a call's first one
	 * and after each hold. */
	uint64_t spacing_within_1ms;
	uint64_t spacing_within_2ms;
	uint64_t spacing_beyond_2ms;
	uint64_t spacing_max_us;	/* largest distance from 20 ms seen */
	uint64_t digits[3];		/* keys by RFC 4733, INFO, in-band */
	/* Packets not sent because the thread fell more than a few packets
	 * behind their time (their timestamps are skipped too). */
	uint64_t packets_skipped;
};

/* Starts the thread. Main thread. Returns NULL with err filled in. */
struct media_thread *media_thread_start(struct ivr *ivr,
    struct config_error *err);

/* Hands message to the media thread (ownership taken, also on failure).
 * Safe from any thread. Returns 0, or -1 once the thread is stopping. */
int media_thread_post(struct media_thread *media, struct ivr_media_msg *message);

/* Whether the thread still takes calls: false once the hub's shutdown has
 * ended them. Any thread. */
bool media_thread_accepting(struct media_thread *media);

/* Copies the counters. Any thread. */
void media_thread_stats(const struct media_thread *media,
    struct media_stats *stats);

/* Ends every call (reason "shutdown": each posts its hangup to the SIP
 * thread and its record to the main thread) and joins the thread. Later
 * posts fail, but media stays allocated: the SIP thread may still post
 * until sip_thread_stop returns. Main thread. */
void media_thread_stop(struct media_thread *media);

/* Frees a stopped media thread, after sip_thread_stop. Main thread. */
void media_thread_free(struct media_thread *media);

#endif
