/*
 * One call's RTP session on the media thread: G.711 prompts sent as 20 ms
 * packets paced from the monotonic clock, symmetric RTP, keys from RFC 4733
 * events and in-band tones, and the caller's audio recorded to WAV.
 */
#ifndef IVR_RTP_H
#define IVR_RTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ivr_msg.h"
#include "ivr_prompt.h"

struct event_base;
struct media_net;
struct media_stats;
struct rtp_session;

/* What the session reports to its call, on the media thread. */
struct rtp_session_events {
	/* A key, once per press (RFC 4733: once per SSRC and timestamp;
	 * in-band: once per tone; in-band detection stops once the caller
	 * has sent an RFC 4733 event). */
	void (*digit)(void *arg, char digit, enum ivr_dtmf_method method);
	/* The list given to rtp_session_play has been sent to its end. */
	void (*played)(void *arg);
	/* The recording reached its length limit, or a write to it failed,
	 * and it was closed (rtp_session_record_stop then returns -1). */
	void (*recorded)(void *arg);
	/* No packet from the caller for the media timeout. The time is not
	 * counted while the caller holds or only listens (sendonly,
	 * recvonly, inactive, or the address 0.0.0.0). */
	void (*timeout)(void *arg);
};

struct rtp_session_params {
	uint64_t call;			/* the call's id, for the log */
	int fd;				/* bound UDP socket; the session owns it
					 * (closed also when new fails) */
	const struct sockaddr *remote;	/* from SDP; replaced by the source of
					 * the caller's packets (symmetric RTP) */
	socklen_t remote_len;
	/* The sources symmetric RTP may latch on: the host of remote or of
	 * signal_source (the INVITE's source, NULL when unknown), or one of
	 * the networks (media_net.h). Packets from elsewhere are dropped, so
	 * that a forged packet cannot turn the stream to a third party. */
	const struct sockaddr *signal_source;
	const struct media_net *networks;
	int network_count;
	int payload_type;		/* 0 or 8 */
	int event_payload_type;		/* -1 for none */
	int64_t media_timeout_ms;
	struct media_stats *stats;	/* the thread's counters */
};

/* Starts sending (silence until something plays) and receiving. Returns
 * NULL with errno set. */
struct rtp_session *rtp_session_new(struct event_base *base,
    const struct rtp_session_params *params,
    const struct rtp_session_events *events, void *arg);

/* A re-INVITE: the new address (NULL keeps it) and direction. While the
 * caller holds (sendonly or inactive) nothing is sent and the prompt waits
 * where it stopped; it goes on at sendrecv. */
void rtp_session_update(struct rtp_session *session,
    const struct sockaddr *remote, socklen_t remote_len,
    enum ivr_direction direction);

/* Plays the segments one after the other, replacing what was playing.
 * The list is copied (at most IVR_SAY_MAX + 16 segments); the audio must
 * outlive the session (prompts do). Returns 0 or -1. */
int rtp_session_play(struct rtp_session *session,
    const struct ivr_audio *const *segments, size_t count);

/* Stops the prompt (a key interrupts it); silence follows. */
void rtp_session_stop_playing(struct rtp_session *session);

/* Starts writing the caller's audio to path as WAV (8 kHz mono 16-bit PCM)
 * for at most max_ms. Returns 0, or -1 with errno set. */
int rtp_session_record_start(struct rtp_session *session, const char *path,
    int64_t max_ms);

/* Closes the recording (header completed) and gives its length and its
 * voiced length: the 20 ms frames whose RMS level is above -45 dBm0.
 * length_ms and voiced_ms may be NULL. Returns 0, or -1 when nothing was
 * recording or the file failed (removed then). */
int rtp_session_record_stop(struct rtp_session *session,
    int64_t *length_ms, int64_t *voiced_ms);

/* Microseconds on CLOCK_MONOTONIC, the clock libevent's precise timers
 * use. */
int64_t rtp_session_now_us(void);

/* Stops everything, closes the socket and any recording (the file is left
 * for the caller to remove) and frees session. */
void rtp_session_free(struct rtp_session *session);

#endif
