/*
 * The state of one RTP session, shared by its three files: rtp_session.c
 * (life cycle, pacing and sending), rtp_receive.c (reading, symmetric RTP,
 * keys, media timeout) and rtp_record.c (the caller's audio to WAV). Media
 * thread only.
 */
#ifndef IVR_RTP_SESSION_INTERNAL_H
#define IVR_RTP_SESSION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rtp.h"
#include "rtp_packet.h"

#define RTP_LOG "rtp"
#define RTP_PACKET_US 20000		/* one packet every 20 ms */
#define RTP_PACKET_SAMPLES 160		/* 20 ms at 8 kHz, one byte each */
#define RTP_SEGMENTS_MAX (IVR_SAY_MAX + 16)
/* Largest datagram read; a G.711 packet of 20 ms is 172 bytes, and
 * anything longer than an Ethernet frame is dropped. */
#define RTP_DATAGRAM_MAX 1500

struct rtp_dtmf;
struct rtp_wav;

enum rtp_record_state {
	RTP_RECORD_NONE,
	RTP_RECORD_ACTIVE,
	RTP_RECORD_DONE,		/* closed at its length limit */
};

struct rtp_session {
	struct event_base *base;
	uint64_t call;
	int fd;
	struct event *read_event;
	struct event *send_timer;
	struct rtp_session_events events;
	void *arg;
	struct media_stats *stats;

	/* Destination of the packets: the SDP address, then the source of
	 * the caller's first valid packet (latched). */
	struct sockaddr_storage sdp_remote;
	socklen_t sdp_remote_len;
	struct sockaddr_storage remote;
	socklen_t remote_len;
	bool remote_usable;		/* not 0.0.0.0, :: or port 0 */
	bool latched;
	/* Where the caller's packets may come from besides the SDP address
	 * (rtp_session_params); a packet from elsewhere is dropped. */
	struct sockaddr_storage signal_source;	/* AF_UNSPEC: none */
	const struct media_net *networks;
	int network_count;
	bool foreign_logged;		/* one log line per call */

	int payload_type;
	int event_payload_type;
	enum ivr_direction direction;
	int64_t media_timeout_us;	/* 0: none */

	/* Sending. Packet n of the current schedule goes at epoch_us +
	 * n * 20 ms; the schedule restarts after hold. */
	bool sending;
	uint8_t silence;		/* 0xFF (PCMU) or 0xD5 (PCMA) */
	uint32_t ssrc;
	uint16_t sequence;
	uint32_t timestamp;		/* of the next packet */
	bool marker;			/* on the next packet */
	int64_t epoch_us;
	uint64_t next_index;
	int64_t last_send_us;		/* 0: no previous send to measure */
	int64_t held_at_us;
	bool send_error_logged;

	/* The prompt. */
	bool playing;
	const struct ivr_audio *segments[RTP_SEGMENTS_MAX];
	size_t segment_count;
	size_t segment_index;
	size_t sample_offset;		/* within the current segment */

	/* Receiving. */
	int64_t last_receive_us;
	bool timeout_reported;
	bool event_seen;		/* an RFC 4733 event: in-band is off */
	struct rtp_event_filter event_filter;
	struct rtp_dtmf *dtmf;
	bool audio_started;		/* audio_ssrc and audio_next are set */
	uint32_t audio_ssrc;
	uint32_t audio_next;		/* timestamp expected next */

	/* Recording. */
	enum rtp_record_state record_state;
	struct rtp_wav *wav;
	char *record_path;
	int record_status;		/* DONE: 0 or -1 */
	uint32_t record_samples;	/* DONE: the length */
	uint32_t record_voiced;		/* samples in voiced frames */
	uint64_t frame_energy;		/* sum of squares of frame_samples */
	uint32_t frame_samples;		/* of the 20 ms frame in progress */

	/* A callback into the call may free the session: the free is put
	 * off until the libevent callback that reported the event returns. */
	int depth;
	bool dead;
};

/* Bracket a libevent callback. rtp_session_leave returns false when the
 * session was freed meanwhile and must not be touched. */
void rtp_session_enter(struct rtp_session *session);
bool rtp_session_leave(struct rtp_session *session);

/* Logs at info level the address packets go to from now on, with the
 * reason of the change. */
void rtp_session_log_remote(const struct rtp_session *session,
    const char *reason);

/* Whether remote is an address to send to: 0.0.0.0 (the old way of
 * holding a call in SDP), :: and port 0 are not. */
bool rtp_session_address_usable(const struct sockaddr_storage *remote);

/* Adds value to a media_stats counter with a relaxed atomic, because any
 * thread may read the counters. */
void rtp_session_count(uint64_t *counter, uint64_t value);

/* rtp_receive.c: the read event's callback. */
void rtp_receive_readable(int fd, short what, void *arg);

/* rtp_receive.c: reports the media timeout when it has passed at now_us. */
void rtp_receive_check_timeout(struct rtp_session *session, int64_t now_us);

/* rtp_record.c: the decoded audio of one packet, after gap samples of
 * loss (written as silence). */
void rtp_record_audio(struct rtp_session *session, size_t gap,
    const int16_t *samples, size_t count);

/* rtp_record.c: closes an active recording when the session ends. */
void rtp_record_discard(struct rtp_session *session);

#endif
