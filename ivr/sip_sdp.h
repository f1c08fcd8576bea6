/*
 * SDP offers and answers of the IVR (RFC 3264): one audio stream of G.711
 * (PCMU or PCMA) with RFC 4733 telephone-event when offered. Pure
 * functions, no I/O, safe on any thread.
 */
#ifndef IVR_SIP_SDP_H
#define IVR_SIP_SDP_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ivr_msg.h"

/* m= lines of an offer that an answer mirrors; an offer with more is
 * invalid. */
#define SIP_SDP_MEDIA_MAX 16
/* Enough for an answer with SIP_SDP_MEDIA_MAX lines. */
#define SIP_SDP_ANSWER_SIZE 2048

enum sip_sdp_result {
	SIP_SDP_OK = 0,
	SIP_SDP_INVALID = -1,	/* not SDP, even with bad lines dropped */
	SIP_SDP_NO_CODEC = -2,	/* no audio stream with PCMU or PCMA */
	SIP_SDP_REFUSED = -3,	/* the only audio streams have port 0 */
	SIP_SDP_UNUSABLE = -4,	/* PCMU or PCMA, but no c= line, a host
				 * name in c= or a port above 65535 */
};

/* The reason in error for SIP_SDP_NO_CODEC when no stream offers PCMU or
 * PCMA at all. PCMU and PCMA are taken only under their static payload
 * types 0 and 8 (RFC 3551); the same codec under a dynamic type gets its
 * own reason. */
#define SIP_SDP_NO_CODEC_TEXT "PCMU or PCMA over RTP/AVP only"

/* One m= line of an offer, kept so that the answer can reject it with
 * port 0 in the same place. */
struct sip_sdp_media {
	char type[16];		/* "audio", "video" */
	char proto[32];		/* "RTP/AVP" */
	char format[32];	/* its first format */
};

/* The parts of an offer that the IVR uses. */
struct sip_sdp_offer {
	char address[INET6_ADDRSTRLEN];	/* c= of the chosen stream */
	int family;			/* AF_INET or AF_INET6 */
	uint16_t port;
	int payload_type;		/* 0 (PCMU) or 8 (PCMA) */
	int event_payload_type;		/* telephone-event/8000, or -1 */
	/* From the caller's side: a=sendonly, or c=0.0.0.0 (RFC 2543 hold),
	 * is IVR_SENDONLY. */
	enum ivr_direction direction;
	bool hold_address;		/* c= was 0.0.0.0 or :: */
	struct sip_sdp_media media[SIP_SDP_MEDIA_MAX];
	int media_count;
	int chosen;			/* index of the stream answered */
	int dropped_lines;		/* lines that failed to parse */
};

/* Parses an offer of length bytes. sofia-sip's sdp_parse rejects a whole
 * body for one line it cannot read (such as "a=rtpmap:31 LPC", which lacks
 * a clock rate), so on failure every line that fails alone is dropped and
 * the rest parsed again; offer->dropped_lines counts them. The first audio
 * stream over RTP/AVP with a port and PCMU or PCMA is chosen, the codec
 * that comes first in its format list. Returns SIP_SDP_OK, or
 * SIP_SDP_INVALID, SIP_SDP_NO_CODEC, SIP_SDP_REFUSED or SIP_SDP_UNUSABLE
 * with a reason in error; for the last three, the reason is the first
 * audio stream's, written for the Warning header (no quotes). */
int sip_sdp_parse_offer(const char *body, size_t length,
    struct sip_sdp_offer *offer, char *error, size_t error_size);

/* Writes the answer to offer into out: the chosen stream on address (a
 * numeric IPv4 or IPv6 address) and port with the chosen codec, the
 * telephone-event type when offered, ptime 20 and the mirrored direction
 * (sendonly gets recvonly, recvonly gets sendonly, inactive stays
 * inactive); every other m= line with port 0. session_id and version fill
 * the o= line; version grows with each answer in a dialog. Returns the
 * length, or -1 when out is too small or address is not numeric. */
int sip_sdp_build_answer(const struct sip_sdp_offer *offer,
    const char *address, uint16_t port, uint64_t session_id,
    unsigned int version, char *out, size_t size);

/* The RTP payload type of telephone-event in the hub's own offer. */
#define SIP_SDP_OFFER_EVENT_TYPE 101

/* Writes the hub's offer for an INVITE that came without one (RFC 3264
 * delayed offer) into out: one audio stream on address (a numeric IPv4 or
 * IPv6 address) and port with PCMU, PCMA and telephone-event
 * (SIP_SDP_OFFER_EVENT_TYPE), ptime 20, sendrecv. session_id and version
 * fill the o= line. Returns the length, or -1 when out is too small or
 * address is not numeric. */
int sip_sdp_build_offer(const char *address, uint16_t port,
    uint64_t session_id, unsigned int version, char *out, size_t size);

/* Parses the caller's answer to the offer of sip_sdp_build_offer into
 * answer, as sip_sdp_parse_offer does, and also rejects an answer with
 * more than one m= line as SIP_SDP_INVALID (RFC 3264 section 6: the answer
 * has as many m= lines as the offer). When the answer takes
 * telephone-event, answer->event_payload_type is SIP_SDP_OFFER_EVENT_TYPE,
 * since the caller sends with the payload types of the hub's offer
 * (RFC 3264 section 5.1). Returns SIP_SDP_OK, or SIP_SDP_INVALID,
 * SIP_SDP_NO_CODEC or SIP_SDP_REFUSED with a reason in error. */
int sip_sdp_parse_answer(const char *body, size_t length,
    struct sip_sdp_offer *answer, char *error, size_t error_size);

/* The caller's RTP address of offer as a socket address. Returns 0, or -1
 * when the c= address is not numeric. */
int sip_sdp_remote(const struct sip_sdp_offer *offer,
    struct sockaddr_storage *remote, socklen_t *length);

/* Checks where the chosen stream of offer would make the hub send RTP,
 * because over UDP the INVITE's source can be forged and the hub would
 * stream at a third party. Rejects a multicast, broadcast, link-local
 * (169.254.0.0/16, fe80::/10) or unspecified address. The unspecified
 * 0.0.0.0 or :: is allowed in a re-INVITE (initial false), where it is an
 * RFC 2543 hold. Also rejects a port below 1024 and an address family
 * other than local_family (the family of rtp_address). Returns 0, or the Warning code (RFC 3261 section 20.43:
 * 301 for the address family, 399 for the rest) with the reason in
 * error. */
int sip_sdp_check_target(const struct sip_sdp_offer *offer,
    int local_family, bool initial, char *error, size_t error_size);

struct media_net;

/* Checks that the chosen stream of offer sends RTP to the host that sent
 * the SIP request (source; NULL when unknown) or into one of the count
 * networks of channels.sip.media_networks. A request's source over UDP
 * can be forged, but a forger never sees the responses, so media to the
 * source reaches at worst the forged address, and only after the ACK
 * (sip_ua.h). As in sip_sdp_check_target, the unspecified address of a
 * re-INVITE (initial false) passes. Returns 0, or 399 (RFC 3261 section
 * 20.43) with the reason in error. */
int sip_sdp_check_source(const struct sip_sdp_offer *offer,
    const struct sockaddr *source, const struct media_net *nets, int count,
    bool initial, char *error, size_t error_size);

/* The a= direction attribute of the answer to direction. */
const char *sip_sdp_answer_direction(enum ivr_direction direction);

#endif
