/*
 * The receiving side of an RTP session: reading the socket, symmetric RTP,
 * keys from RFC 4733 events and in-band tones, audio for the recording,
 * and the media timeout.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <spandsp.h>

#include "log.h"
#include "media_net.h"
#include "media_thread.h"
#include "rtp_dtmf.h"
#include "rtp_session_internal.h"

/* Datagrams taken by one recvmmsg. A batch that comes back short shows
 * the queue is empty, which saves the read that would fail with EAGAIN. */
#define RTP_BATCH 8
/* Batches read per readiness before other events get their turn. The
 * socket stays readable, so the rest is read on the next round. */
#define RTP_BATCHES_MAX 4
/* A timestamp gap longer than this (2 s) is filled only up to it, and a
 * step back further than it starts the audio stream anew. */
#define RTP_GAP_MAX_SAMPLES 16000

static void
rtp_receive_digit(struct rtp_session *session, char digit,
    enum ivr_dtmf_method method)
{
	rtp_session_count(&session->stats->digits[method ==
	    IVR_DTMF_RFC4733 ? 0 : 2], 1);
	log_debug(RTP_LOG, "key call=%llu method=%s",
	    (unsigned long long)session->call,
	    method == IVR_DTMF_RFC4733 ? "rfc4733" : "inband");
	if (session->events.digit != NULL)
		session->events.digit(session->arg, digit, method);
}

/* Whether a packet from from may come from the caller: its host is the
 * SDP address's, the INVITE's source or inside channels.sip.media_networks.
 * Symmetric RTP latches on such a source only, so a packet with a forged
 * source cannot turn the stream to a third party. */
static bool
rtp_receive_source_allowed(struct rtp_session *session,
    const struct sockaddr_storage *from)
{
	const struct sockaddr *address = (const struct sockaddr *)from;
	char host[INET6_ADDRSTRLEN];

	if (media_net_same_host(address,
	    (const struct sockaddr *)&session->sdp_remote) ||
	    (session->signal_source.ss_family != AF_UNSPEC &&
	    media_net_same_host(address,
	    (const struct sockaddr *)&session->signal_source)) ||
	    media_net_contains(session->networks, session->network_count,
	    address))
		return true;
	if (!session->foreign_logged) {
		session->foreign_logged = true;
		if (getnameinfo(address, sizeof *from, host, sizeof host, NULL,
		    0, NI_NUMERICHOST) != 0)
			snprintf(host, sizeof host, "unknown");
		log_info(RTP_LOG, "RTP from an address outside the call and "
		    "channels.sip.media_networks dropped call=%llu address=%s",
		    (unsigned long long)session->call, host);
	}
	return false;
}

/* Sends to the source of the caller's first valid packet from now on. */
static void
rtp_receive_latch(struct rtp_session *session,
    const struct sockaddr_storage *from, socklen_t from_len)
{
	session->latched = true;
	if (from_len == session->remote_len &&
	    memcmp(from, &session->remote, from_len) == 0)
		return;
	memcpy(&session->remote, from, from_len);
	session->remote_len = from_len;
	session->remote_usable = rtp_session_address_usable(&session->remote);
	rtp_session_log_remote(session, "caller_source");
}

static void
rtp_receive_event(struct rtp_session *session, const struct rtp_packet *packet)
{
	struct rtp_event event;
	char digit;

	if (rtp_event_parse(packet->payload, packet->payload_len, &event) != 0)
		return;
	session->event_seen = true;
	digit = rtp_event_digit(event.event);
	if (digit == '\0' || !rtp_event_filter_is_new(&session->event_filter,
	    packet->header.ssrc, packet->header.timestamp))
		return;
	rtp_receive_digit(session, digit, IVR_DTMF_RFC4733);
}

/*
 * Places an audio packet of count samples in the caller's stream: sets
 * *gap to the samples lost before it. Returns false for a packet to drop
 * (a duplicate or one that came too late).
 */
static bool
rtp_receive_place(struct rtp_session *session, const struct rtp_header *header,
    size_t count, size_t *gap)
{
	int32_t ahead = (int32_t)(header->timestamp - session->audio_next);

	*gap = 0;
	if (session->audio_started && header->ssrc == session->audio_ssrc) {
		if (ahead < 0 && ahead > -RTP_GAP_MAX_SAMPLES)
			return false;
		if (ahead > 0)
			*gap = ahead > RTP_GAP_MAX_SAMPLES ?
			    RTP_GAP_MAX_SAMPLES : (size_t)ahead;
	}
	session->audio_started = true;
	session->audio_ssrc = header->ssrc;
	session->audio_next = header->timestamp + (uint32_t)count;
	return true;
}

static void
rtp_receive_detect(struct rtp_session *session, size_t gap,
    const int16_t *samples, size_t count)
{
	char keys[RTP_DTMF_KEYS_MAX];
	size_t found;

	if (gap > 0)
		rtp_dtmf_skip(session->dtmf, gap);
	found = rtp_dtmf_feed(session->dtmf, samples, count, keys);
	for (size_t i = 0; i < found && !session->dead; i++)
		rtp_receive_digit(session, keys[i], IVR_DTMF_INBAND);
}

static void
rtp_receive_audio(struct rtp_session *session, const struct rtp_packet *packet)
{
	int16_t samples[RTP_DATAGRAM_MAX];
	size_t count = packet->payload_len, gap;

	if (count == 0 || !rtp_receive_place(session, &packet->header, count,
	    &gap))
		return;
	for (size_t i = 0; i < count; i++)
		samples[i] = session->payload_type == RTP_PT_PCMA ?
		    alaw_to_linear(packet->payload[i]) :
		    ulaw_to_linear(packet->payload[i]);

	if (session->record_state == RTP_RECORD_ACTIVE)
		rtp_record_audio(session, gap, samples, count);
	if (!session->event_seen && !session->dead)
		rtp_receive_detect(session, gap, samples, count);
}

static void
rtp_receive_packet(struct rtp_session *session, const uint8_t *data, size_t len,
    const struct sockaddr_storage *from, socklen_t from_len, int64_t now)
{
	struct rtp_packet packet;
	int type;
	bool is_event;

	if (rtp_packet_parse(data, len, &packet) != 0)
		return;
	type = packet.header.payload_type;
	is_event = session->event_payload_type >= 0 &&
	    type == session->event_payload_type;
	if (type != session->payload_type && !is_event)
		return;
	/* Once latched, only the caller's source counts: a packet from
	 * elsewhere could otherwise inject keys or audio into the call. A
	 * re-INVITE clears the latch. */
	if (session->latched && (from_len != session->remote_len ||
	    memcmp(from, &session->remote, from_len) != 0))
		return;
	if (!session->latched && !rtp_receive_source_allowed(session, from))
		return;
	rtp_session_count(&session->stats->packets_received, 1);
	session->last_receive_us = now;
	session->timeout_reported = false;
	if (!session->latched)
		rtp_receive_latch(session, from, from_len);
	if (is_event)
		rtp_receive_event(session, &packet);
	else
		rtp_receive_audio(session, &packet);
}

/* Reads one batch into data and from. Returns the number of datagrams,
 * or -1 when the socket has nothing more or failed. */
static int
rtp_receive_batch(struct rtp_session *session, int fd,
    uint8_t data[RTP_BATCH][RTP_DATAGRAM_MAX],
    struct sockaddr_storage from[RTP_BATCH], struct mmsghdr messages[RTP_BATCH],
    struct iovec iov[RTP_BATCH])
{
	int n;

	for (int i = 0; i < RTP_BATCH; i++) {
		iov[i].iov_base = data[i];
		iov[i].iov_len = RTP_DATAGRAM_MAX;
		memset(&messages[i], 0, sizeof(messages[i]));
		messages[i].msg_hdr.msg_name = &from[i];
		messages[i].msg_hdr.msg_namelen = sizeof(from[i]);
		messages[i].msg_hdr.msg_iov = &iov[i];
		messages[i].msg_hdr.msg_iovlen = 1;
	}
	do
		n = recvmmsg(fd, messages, RTP_BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		log_debug(RTP_LOG, "receiving failed call=%llu: %s",
		    (unsigned long long)session->call, strerror(errno));
	return n;
}

void
rtp_receive_readable(evutil_socket_t fd, short what, void *arg)
{
	struct rtp_session *session = arg;
	uint8_t data[RTP_BATCH][RTP_DATAGRAM_MAX];
	struct sockaddr_storage from[RTP_BATCH];
	struct mmsghdr messages[RTP_BATCH];
	struct iovec iov[RTP_BATCH];
	int64_t now = rtp_session_now_us();
	int n = RTP_BATCH;

	(void)what;
	rtp_session_enter(session);
	for (int round = 0; round < RTP_BATCHES_MAX && n == RTP_BATCH &&
	    !session->dead; round++) {
		n = rtp_receive_batch(session, fd, data, from, messages, iov);
		for (int i = 0; i < n && !session->dead; i++) {
			/* Longer than RTP_DATAGRAM_MAX: not RTP we take. */
			if (messages[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			rtp_receive_packet(session, data[i], messages[i].msg_len,
			    &from[i], messages[i].msg_hdr.msg_namelen, now);
		}
	}
	rtp_session_leave(session);
}

/* The media timeout until the caller's first packet from the address in
 * its SDP. An INVITE's source can be forged over UDP, so its SDP may name a
 * third party: a caller that never sends RTP is hung up within 5 s, which
 * bounds the packets such an offer aims elsewhere to about 250. */
#define RTP_FIRST_PACKET_TIMEOUT_US (5 * 1000000LL)

void
rtp_receive_check_timeout(struct rtp_session *session, int64_t now_us)
{
	int64_t timeout_us = session->media_timeout_us;

	if (!session->latched && timeout_us > RTP_FIRST_PACKET_TIMEOUT_US)
		timeout_us = RTP_FIRST_PACKET_TIMEOUT_US;
	/* A caller that holds (also the old way, with the address 0.0.0.0)
	 * or only listens may send nothing. */
	if (timeout_us == 0 || session->timeout_reported ||
	    session->direction != IVR_SENDRECV || !session->remote_usable ||
	    now_us - session->last_receive_us < timeout_us)
		return;
	session->timeout_reported = true;
	log_info(RTP_LOG, "media timeout call=%llu after_ms=%lld",
	    (unsigned long long)session->call,
	    (long long)((now_us - session->last_receive_us) / 1000));
	if (session->events.timeout != NULL)
		session->events.timeout(session->arg);
}
