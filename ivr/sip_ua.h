/*
 * The SIP thread's inside: its state, the calls' SIP legs and the nua
 * callback. Only sip_thread.c and sip_ua*.c include this header, and every
 * function here runs on the SIP thread.
 *
 * A leg exists from an admitted INVITE until nua reports the call
 * terminated. While it rings (ring_ms) only the SIP thread tracks it. Once
 * answered and acknowledged, the media thread runs the call under the
 * leg's id: no RTP leaves before the ACK of the 200, because only a caller
 * that received the 200 knows its To tag, and an INVITE with a forged UDP
 * source never gets its 200 to the forger. After an INVITE without SDP
 * the ACK also brings the caller's answer. Whoever
 * learns first that the call ended tells the other side: the SIP thread
 * posts IVR_MEDIA_END for a BYE from the caller, the media thread posts
 * IVR_SIP_HANGUP when its menu ends the call.
 */
#ifndef IVR_SIP_UA_H
#define IVR_SIP_UA_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct sip_thread;
struct sip_leg;
struct sip_thread_letter;

/* The types sofia-sip passes back to the callbacks; they must be defined
 * before its headers. */
#define SU_ROOT_MAGIC_T struct sip_thread
#define NUA_MAGIC_T struct sip_thread
#define NUA_HMAGIC_T struct sip_leg
#define SU_MSG_ARG_T struct sip_thread_letter
#define SU_TIMER_ARG_T struct sip_leg

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_wait.h>

#include "ivr.h"
#include "ivr_msg.h"
#include "sip_limit.h"
#include "sip_sdp.h"

#define SIP_LOG "sip"

enum sip_leg_state {
	SIP_LEG_RINGING,	/* 180 sent, waiting for ring_ms */
	SIP_LEG_ANSWERED,	/* 200 sent; the media thread has the call */
	SIP_LEG_ENDING,		/* BYE, CANCEL or a final error under way */
};

/* One call's SIP side. */
struct sip_leg {
	struct sip_leg *next;
	struct sip_thread *sip;
	nua_handle_t *handle;
	uint64_t call;			/* id shared with the other threads */
	enum sip_leg_state state;

	int rtp_fd;			/* -1 once handed to the media thread */
	uint16_t rtp_port;
	/* The caller's last SDP: its offer, or its answer to the hub's
	 * offer. */
	struct sip_sdp_offer offer;
	uint64_t sdp_session;
	unsigned int sdp_version;

	char call_id[IVR_CALL_ID_SIZE];
	char caller[IVR_PARTY_SIZE];
	char callee[IVR_PARTY_SIZE];
	char source[48];		/* the INVITE's source address */
	struct sockaddr_storage source_address;	/* the same, ss_family
						 * AF_UNSPEC when unknown */
	int64_t started_at_ms;
	int64_t answered_at_ms;

	/* The INVITE had no SDP (RFC 3264 delayed offer): the 200 carries the
	 * hub's offer and the ACK the caller's answer. */
	bool delayed_offer;
	/* The 200 is sent and no ACK has come yet; the media thread starts
	 * the call on the ACK (once its answer is read, for a delayed
	 * offer). */
	bool ack_pending;

	/* The media thread took the call (IVR_MEDIA_START), so it stores
	 * the call record. */
	bool media_owned;
	/* The media thread runs the call and has not heard of its end; it
	 * must hear of it once. */
	bool media_running;
	/* A leg that never reached the media thread is recorded by the SIP
	 * thread when it ends, with this reason. */
	char end_reason[IVR_NAME_SIZE];
	bool recorded;
	su_timer_t *ring_timer;

	/* REFER in progress: no final NOTIFY yet. */
	bool refer_pending;
	/* The wait for the last REFER's final NOTIFY timed out. */
	bool refer_expired;
	su_timer_t *refer_timer;
};

/* The SIP thread (sip_thread.h). */
struct sip_thread {
	struct ivr *ivr;
	const struct ivr_config *config;
	pthread_t thread;

	su_home_t home[1];
	su_root_t *root;
	nua_t *nua;

	/* Posts from other threads: closed once the root is going away. */
	pthread_mutex_t post_lock;
	bool post_closed;

	/* Start-up handshake with sip_thread_start. */
	pthread_mutex_t ready_lock;
	pthread_cond_t ready_cond;
	int ready;			/* 0 waiting, 1 running, -1 failed */
	char error[256];

	struct sip_leg *legs;
	atomic_int leg_count;
	uint64_t next_call;
	unsigned int next_port;		/* where the RTP port search starts */
	struct sip_limit limit;
	bool stopping;
	su_timer_t *shutdown_timer;
	struct sip_tcp *tcp;		/* closes silent TCP connections */
	su_timer_t *tcp_timer;		/* runs the TCP watchdog's scan */
	struct msg_mclass_s *mclass;	/* nua's parser, see sip_parser.h */
};

/* --- sip_thread.c ---------------------------------------------------------- */

/* Unix time in milliseconds. */
int64_t sip_thread_now_ms(void);

/* Creates a leg for handle, binds it and counts it. Returns NULL on
 * allocation failure. */
struct sip_leg *sip_thread_leg_new(struct sip_thread *sip,
    nua_handle_t *handle);

/* The leg of call, or NULL when it has ended. */
struct sip_leg *sip_thread_leg_find(struct sip_thread *sip, uint64_t call);

/* Unlinks and frees leg: its timers, its RTP socket unless handed over,
 * and its nua handle. */
void sip_thread_leg_free(struct sip_thread *sip, struct sip_leg *leg);

/* --- sip_ua.c -------------------------------------------------------------- */

/* The nua callback: every event of every handle. */
void sip_ua_callback(nua_event_t event, int status, char const *phrase,
    nua_t *nua, struct sip_thread *sip, nua_handle_t *handle,
    struct sip_leg *leg, sip_t const *message, tagi_t tags[]);

/* Posts IVR_MEDIA_END with reason to the media thread when it runs the
 * leg's call, once. */
void sip_ua_media_end(struct sip_leg *leg, const char *reason);

/* Posts the call record of a leg the media thread never took, once. */
void sip_ua_record(struct sip_leg *leg, const char *reason);

/* Ends leg from the hub's side: BYE when answered, 503 while ringing.
 * reason goes to the log and, for a ringing leg, to its call record. */
void sip_ua_hangup(struct sip_leg *leg, const char *reason);

/* --- sip_ua_invite.c ------------------------------------------------------- */

/* A new INVITE: admission, checks, RTP socket, 180 or 200. */
void sip_ua_invite(struct sip_thread *sip, nua_handle_t *handle,
    sip_t const *message);

/* A re-INVITE in leg's dialog: answer on the same port and tell the media
 * thread the new address and direction. */
void sip_ua_reinvite(struct sip_leg *leg, sip_t const *message);

/* Answers a ringing leg with 200 carrying the SDP answer, or for a
 * delayed offer the hub's offer (sip_ua_offer_send); the media starts on
 * the ACK (sip_ua_ack). */
void sip_ua_answer(struct sip_leg *leg);

/* Sends 200 with sdp as its body on a ringing leg, marks it answered and
 * waiting for the ACK. */
void sip_ua_respond_answered(struct sip_leg *leg, const char *sdp);

/* The ACK of the 200 in leg's dialog (nua matched it by its tags):
 * starts the media, after reading the answer in it for a delayed offer. */
void sip_ua_ack(struct sip_leg *leg, sip_t const *message);

/* Hands the answered call to the media thread with leg's RTP socket and
 * the caller's SDP in leg->offer. Returns 0, or -1 when the media thread
 * rejected it; either way the socket is no longer leg's. */
int sip_ua_media_start(struct sip_leg *leg);

/* --- sip_ua_offer.c -------------------------------------------------------- */

/* Answers a ringing leg whose INVITE had no SDP with 200 carrying the
 * hub's offer, and waits for the caller's answer in the ACK. */
void sip_ua_offer_send(struct sip_leg *leg);

/* The ACK of a 200 that carried the hub's offer: reads the caller's answer
 * and starts the media, or ends the call with BYE and a Reason header when
 * the ACK has no valid answer. */
void sip_ua_offer_ack(struct sip_leg *leg, sip_t const *message);

/* --- sip_ua_refer.c -------------------------------------------------------- */

/* IVR_SIP_REFER: sends REFER to the caller with target. */
void sip_ua_refer(struct sip_leg *leg, const char *target);

/* A REFER's own response. */
void sip_ua_refer_response(struct sip_leg *leg, int status);

/* A NOTIFY in leg's dialog (nua has answered it). */
void sip_ua_notify(struct sip_leg *leg, sip_t const *message);

/* Drops the REFER's timer without reporting. */
void sip_ua_refer_cancel(struct sip_leg *leg);

#endif
