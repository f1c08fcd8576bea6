/*
 * SDP offers and answers of the IVR with sofia-sip's SDP parser.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "media_net.h"
#include "sip_sdp.h"

/* Maximum offer length in bytes: a few streams with their attributes. */
#define SIP_SDP_OFFER_MAX 16384

/* The session a line is tested in when it is tested alone. */
#define SIP_SDP_SKELETON "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"

static void
sip_sdp_error(char *error, size_t size, const char *text)
{
	if (size > 0)
		snprintf(error, size, "%s", text);
}

/* Whether line parses alone inside a minimal session: at session level
 * when media is NULL, else after media, the m= line it belongs to (an
 * rtpmap is checked only for a format of its m= line). Lengths exclude the
 * line end. */
static bool
sip_sdp_line_valid(const char *line, size_t length, const char *media,
    size_t media_length)
{
	char text[SIP_SDP_OFFER_MAX];
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_parser_t *parser;
	int used;
	bool valid;

	used = snprintf(text, sizeof text, "%s%.*s%s%.*s\r\n",
	    SIP_SDP_SKELETON, (int)media_length, media != NULL ? media : "",
	    media != NULL ? "\r\n" : "", (int)length, line);
	if (used < 0 || (size_t)used >= sizeof text)
		return false;
	parser = sdp_parse(home, text, used, 0);
	valid = sdp_session(parser) != NULL;
	sdp_parser_free(parser);
	su_home_deinit(home);
	return valid;
}

/* Copies body into out, each line ending in CRLF, without the lines that
 * fail alone. v=, o=, s=, t=, c= and m= lines are always kept: without them
 * the session means nothing, so the parse that follows fails on them.
 * Returns the lines dropped. */
static int
sip_sdp_drop_bad_lines(const char *body, size_t length, char *out,
    size_t *out_length)
{
	const char *end = body + length, *media = NULL;
	size_t used = 0, media_length = 0;
	int dropped = 0;

	for (const char *line = body; line < end;) {
		const char *newline = memchr(line, '\n', (size_t)(end - line));
		const char *next = newline != NULL ? newline + 1 : end;
		size_t line_length = (size_t)((newline != NULL ? newline : end) -
		    line);

		if (line_length > 0 && line[line_length - 1] == '\r')
			line_length--;
		if (line_length > 0 && line[0] == 'm') {
			media = line;
			media_length = line_length;
		}
		if (line_length > 0 && (strchr("vostcm", line[0]) != NULL ||
		    sip_sdp_line_valid(line, line_length, media,
		    media_length))) {
			memcpy(out + used, line, line_length);
			memcpy(out + used + line_length, "\r\n", 2);
			used += line_length + 2;
		} else if (line_length > 0) {
			dropped++;
		}
		line = next;
	}
	out[used] = '\0';
	*out_length = used;
	return dropped;
}

static enum ivr_direction
sip_sdp_direction(unsigned int mode)
{
	switch (mode) {
	case sdp_sendonly:
		return IVR_SENDONLY;
	case sdp_recvonly:
		return IVR_RECVONLY;
	case sdp_inactive:
		return IVR_INACTIVE;
	default:
		return IVR_SENDRECV;
	}
}

/* Picks PCMU or PCMA, whichever comes first, and telephone-event. */
static bool
sip_sdp_pick_codec(const sdp_media_t *media, struct sip_sdp_offer *offer)
{
	offer->payload_type = -1;
	offer->event_payload_type = -1;
	for (const sdp_rtpmap_t *map = media->m_rtpmaps; map != NULL;
	    map = map->rm_next) {
		if (map->rm_encoding == NULL || map->rm_rate != 8000)
			continue;
		if (offer->payload_type < 0 &&
		    ((map->rm_pt == 0 &&
		    strcasecmp(map->rm_encoding, "PCMU") == 0) ||
		    (map->rm_pt == 8 &&
		    strcasecmp(map->rm_encoding, "PCMA") == 0)))
			offer->payload_type = (int)map->rm_pt;
		if (offer->event_payload_type < 0 && map->rm_pt >= 96 &&
		    strcasecmp(map->rm_encoding, "telephone-event") == 0)
			offer->event_payload_type = (int)map->rm_pt;
	}
	return offer->payload_type >= 0;
}

/* Whether media offers PCMU or PCMA under a dynamic payload type. */
static bool
sip_sdp_dynamic_g711(const sdp_media_t *media)
{
	for (const sdp_rtpmap_t *map = media->m_rtpmaps; map != NULL;
	    map = map->rm_next)
		if (map->rm_encoding != NULL && map->rm_rate == 8000 &&
		    map->rm_pt >= 96 &&
		    (strcasecmp(map->rm_encoding, "PCMU") == 0 ||
		    strcasecmp(map->rm_encoding, "PCMA") == 0))
			return true;
	return false;
}

/* Why the audio stream media cannot be answered, once its codec is known
 * to be usable or not; sets *result to SIP_SDP_NO_CODEC or
 * SIP_SDP_UNUSABLE. */
static const char *
sip_sdp_stream_problem(const sdp_session_t *session, const sdp_media_t *media,
    bool codec, int *result)
{
	const sdp_connection_t *connection = media->m_connections != NULL ?
	    media->m_connections : session->sdp_connection;
	unsigned char binary[sizeof(struct in6_addr)];

	*result = SIP_SDP_NO_CODEC;
	if (media->m_proto != sdp_proto_rtp)
		return SIP_SDP_NO_CODEC_TEXT;
	if (!codec)
		return sip_sdp_dynamic_g711(media) ? "PCMU and PCMA only under "
		    "the static payload types 0 and 8" : SIP_SDP_NO_CODEC_TEXT;
	*result = SIP_SDP_UNUSABLE;
	if (media->m_port > 65535)
		return "an audio port above 65535";
	if (connection == NULL || connection->c_address == NULL)
		return "no c= line for the audio stream";
	if (inet_pton(connection->c_addrtype == sdp_addr_ip6 ? AF_INET6 :
	    AF_INET, connection->c_address, binary) != 1)
		return "a host name or an invalid address in c=, where a "
		    "numeric address is needed";
	return "an audio stream that cannot be answered";
}

/* Takes the stream's address, port and direction into offer. */
static bool
sip_sdp_take_stream(const sdp_session_t *session, const sdp_media_t *media,
    struct sip_sdp_offer *offer)
{
	const sdp_connection_t *connection = media->m_connections != NULL ?
	    media->m_connections : session->sdp_connection;
	unsigned char binary[sizeof(struct in6_addr)];

	if (connection == NULL || connection->c_address == NULL)
		return false;
	offer->family = connection->c_addrtype == sdp_addr_ip6 ? AF_INET6 :
	    AF_INET;
	if (inet_pton(offer->family, connection->c_address, binary) != 1 ||
	    strlen(connection->c_address) >= sizeof offer->address)
		return false;
	snprintf(offer->address, sizeof offer->address, "%s",
	    connection->c_address);
	offer->port = (uint16_t)media->m_port;
	offer->direction = sip_sdp_direction(media->m_mode);
	offer->hold_address = strcmp(offer->address, "0.0.0.0") == 0 ||
	    strcmp(offer->address, "::") == 0;
	/* RFC 2543 hold: the caller will not receive, so the hub stops
	 * sending. */
	if (offer->hold_address)
		offer->direction = offer->direction == IVR_SENDRECV ||
		    offer->direction == IVR_SENDONLY ? IVR_SENDONLY :
		    IVR_INACTIVE;
	return true;
}

static void
sip_sdp_keep_media(const sdp_media_t *media, struct sip_sdp_media *kept)
{
	if (media->m_rtpmaps != NULL)
		snprintf(kept->format, sizeof kept->format, "%u",
		    media->m_rtpmaps->rm_pt);
	else if (media->m_format != NULL && media->m_format->l_text != NULL)
		snprintf(kept->format, sizeof kept->format, "%s",
		    media->m_format->l_text);
	else
		snprintf(kept->format, sizeof kept->format, "0");
	snprintf(kept->type, sizeof kept->type, "%s",
	    media->m_type_name != NULL ? media->m_type_name : "audio");
	snprintf(kept->proto, sizeof kept->proto, "%s",
	    media->m_proto_name != NULL ? media->m_proto_name : "RTP/AVP");
}

static int
sip_sdp_read_session(const sdp_session_t *session,
    struct sip_sdp_offer *offer, char *error, size_t error_size)
{
	const char *problem = NULL;
	int result = SIP_SDP_NO_CODEC;
	bool refused = false;

	offer->chosen = -1;
	for (const sdp_media_t *media = session->sdp_media; media != NULL;
	    media = media->m_next) {
		bool codec;

		if (offer->media_count == SIP_SDP_MEDIA_MAX) {
			sip_sdp_error(error, error_size, "too many m= lines");
			return SIP_SDP_INVALID;
		}
		sip_sdp_keep_media(media, &offer->media[offer->media_count]);
		if (offer->chosen < 0 && media->m_type == sdp_media_audio &&
		    media->m_port != 0) {
			codec = media->m_proto == sdp_proto_rtp &&
			    sip_sdp_pick_codec(media, offer);
			if (codec && media->m_port <= 65535 &&
			    sip_sdp_take_stream(session, media, offer))
				offer->chosen = offer->media_count;
			else if (problem == NULL)
				problem = sip_sdp_stream_problem(session, media,
				    codec, &result);
		}
		if (media->m_type == sdp_media_audio && media->m_port == 0)
			refused = true;
		offer->media_count++;
	}
	if (offer->chosen >= 0)
		return SIP_SDP_OK;
	if (refused) {
		sip_sdp_error(error, error_size, "the audio stream was "
		    "refused with port 0");
		return SIP_SDP_REFUSED;
	}
	sip_sdp_error(error, error_size, problem != NULL ? problem :
	    SIP_SDP_NO_CODEC_TEXT);
	return result;
}

int
sip_sdp_parse_offer(const char *body, size_t length,
    struct sip_sdp_offer *offer, char *error, size_t error_size)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_parser_t *parser;
	sdp_session_t *session;
	char *filtered = NULL;
	int result;

	memset(offer, 0, sizeof *offer);
	offer->payload_type = offer->event_payload_type = offer->chosen = -1;
	if (length == 0 || length >= SIP_SDP_OFFER_MAX) {
		sip_sdp_error(error, error_size, length == 0 ? "empty body" :
		    "body too long");
		return SIP_SDP_INVALID;
	}
	parser = sdp_parse(home, body, (issize_t)length, 0);
	session = sdp_session(parser);
	/* Each line ends in CRLF in the copy, so it may grow by one byte a
	 * line. */
	if (session == NULL && (filtered = malloc(2 * length + 1)) != NULL) {
		size_t filtered_length;

		sdp_parser_free(parser);
		offer->dropped_lines = sip_sdp_drop_bad_lines(body, length,
		    filtered, &filtered_length);
		parser = sdp_parse(home, filtered, (issize_t)filtered_length,
		    0);
		session = sdp_session(parser);
	}
	if (session == NULL) {
		sip_sdp_error(error, error_size, filtered == NULL ?
		    "out of memory" : sdp_parsing_error(parser));
		result = SIP_SDP_INVALID;
	} else {
		result = sip_sdp_read_session(session, offer, error,
		    error_size);
	}
	sdp_parser_free(parser);
	free(filtered);
	su_home_deinit(home);
	return result;
}

/* Returns the reason an IPv4 address is no RTP target, or NULL. */
static const char *
sip_sdp_check_ip4(const struct in_addr *address)
{
	uint32_t host = ntohl(address->s_addr);

	if ((host & 0xf0000000U) == 0xe0000000U)
		return "a multicast address";
	if (host == 0xffffffffU)
		return "the broadcast address";
	if ((host & 0xffff0000U) == 0xa9fe0000U)
		return "a link-local address";
	if ((host & 0xff000000U) == 0)
		return "an unspecified address";
	return NULL;
}

/* Returns the reason an IPv6 address is no RTP target, or NULL. */
static const char *
sip_sdp_check_ip6(const struct in6_addr *address)
{
	if (IN6_IS_ADDR_MULTICAST(address))
		return "a multicast address";
	if (IN6_IS_ADDR_LINKLOCAL(address))
		return "a link-local address";
	if (IN6_IS_ADDR_UNSPECIFIED(address))
		return "an unspecified address";
	if (IN6_IS_ADDR_V4MAPPED(address))
		return sip_sdp_check_ip4((const struct in_addr *)
		    &address->s6_addr[12]);
	return NULL;
}

int
sip_sdp_check_target(const struct sip_sdp_offer *offer, int local_family,
    bool initial, char *error, size_t error_size)
{
	unsigned char binary[sizeof(struct in6_addr)];
	const char *reason;

	if (offer->hold_address && !initial)
		return 0;
	if (offer->family != local_family) {
		snprintf(error, error_size, "an %s address where the "
		    "hub's RTP is %s", offer->family == AF_INET6 ? "IPv6" :
		    "IPv4", local_family == AF_INET6 ? "IPv6" : "IPv4");
		return 301;
	}
	if (inet_pton(offer->family, offer->address, binary) != 1) {
		sip_sdp_error(error, error_size, "an invalid address");
		return 399;
	}
	reason = offer->family == AF_INET6 ?
	    sip_sdp_check_ip6((const struct in6_addr *)binary) :
	    sip_sdp_check_ip4((const struct in_addr *)binary);
	if (reason != NULL) {
		snprintf(error, error_size, "RTP to %s is not sent",
		    reason);
		return 399;
	}
	if (offer->port < 1024) {
		snprintf(error, error_size, "RTP to port %u, below "
		    "1024, is not sent", offer->port);
		return 399;
	}
	return 0;
}

int
sip_sdp_check_source(const struct sip_sdp_offer *offer,
    const struct sockaddr *source, const struct media_net *nets, int count,
    bool initial, char *error, size_t error_size)
{
	struct sockaddr_storage target;
	socklen_t length;
	char host[INET6_ADDRSTRLEN] = "unknown";

	if (offer->hold_address && !initial)
		return 0;
	if (sip_sdp_remote(offer, &target, &length) != 0) {
		sip_sdp_error(error, error_size, "an invalid address");
		return 399;
	}
	if ((source != NULL && media_net_same_host(source,
	    (const struct sockaddr *)&target)) ||
	    media_net_contains(nets, count, (const struct sockaddr *)&target))
		return 0;
	if (source != NULL && source->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)source)->sin_addr,
		    host, sizeof host);
	else if (source != NULL && source->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)source)->sin6_addr, host,
		    sizeof host);
	snprintf(error, error_size, "RTP to %s is not sent: the address is "
	    "neither the SIP source %s nor in channels.sip.media_networks",
	    offer->address, host);
	return 399;
}

const char *
sip_sdp_answer_direction(enum ivr_direction direction)
{
	switch (direction) {
	case IVR_SENDONLY:
		return "recvonly";
	case IVR_RECVONLY:
		return "sendonly";
	case IVR_INACTIVE:
		return "inactive";
	default:
		return "sendrecv";
	}
}

/* Appends the formatted text at out + *used. Returns 0, or -1 when it does
 * not fit. */
static int __attribute__((format(printf, 4, 5)))
sip_sdp_append(char *out, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int written;

	va_start(ap, fmt);
	written = vsnprintf(out + *used, size - *used, fmt, ap);
	va_end(ap);
	if (written < 0 || (size_t)written >= size - *used)
		return -1;
	*used += (size_t)written;
	return 0;
}

static int
sip_sdp_append_stream(const struct sip_sdp_offer *offer, uint16_t port,
    char *out, size_t size, size_t *used)
{
	const int pt = offer->payload_type, event = offer->event_payload_type;
	char event_format[16] = "";

	if (event >= 0)
		snprintf(event_format, sizeof event_format, " %d", event);
	if (sip_sdp_append(out, size, used, "m=audio %u RTP/AVP %d%s\r\n"
	    "a=rtpmap:%d %s/8000\r\n", port, pt, event_format, pt,
	    pt == 0 ? "PCMU" : "PCMA") != 0)
		return -1;
	if (event >= 0 && sip_sdp_append(out, size, used,
	    "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n",
	    event, event) != 0)
		return -1;
	return sip_sdp_append(out, size, used, "a=ptime:20\r\na=%s\r\n",
	    sip_sdp_answer_direction(offer->direction));
}

int
sip_sdp_build_answer(const struct sip_sdp_offer *offer,
    const char *address, uint16_t port, uint64_t session_id,
    unsigned int version, char *out, size_t size)
{
	unsigned char binary[sizeof(struct in6_addr)];
	const char *ip = strchr(address, ':') != NULL ? "IP6" : "IP4";
	size_t used = 0;

	if (inet_pton(ip[2] == '6' ? AF_INET6 : AF_INET, address,
	    binary) != 1 || offer->chosen < 0)
		return -1;
	if (sip_sdp_append(out, size, &used, "v=0\r\n"
	    "o=- %llu %u IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n",
	    (unsigned long long)session_id, version, ip, address, ip,
	    address) != 0)
		return -1;
	for (int i = 0; i < offer->media_count; i++) {
		const struct sip_sdp_media *media = &offer->media[i];

		if (i == offer->chosen) {
			if (sip_sdp_append_stream(offer, port, out, size,
			    &used) != 0)
				return -1;
		} else if (sip_sdp_append(out, size, &used, "m=%s 0 %s %s\r\n",
		    media->type, media->proto, media->format) != 0) {
			return -1;
		}
	}
	return (int)used;
}

int
sip_sdp_remote(const struct sip_sdp_offer *offer,
    struct sockaddr_storage *remote, socklen_t *length)
{
	memset(remote, 0, sizeof *remote);
	if (offer->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)remote;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(offer->port);
		*length = sizeof *in6;
		return inet_pton(AF_INET6, offer->address,
		    &in6->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)remote;

		in->sin_family = AF_INET;
		in->sin_port = htons(offer->port);
		*length = sizeof *in;
		return inet_pton(AF_INET, offer->address,
		    &in->sin_addr) == 1 ? 0 : -1;
	}
}

int
sip_sdp_build_offer(const char *address, uint16_t port, uint64_t session_id,
    unsigned int version, char *out, size_t size)
{
	unsigned char binary[sizeof(struct in6_addr)];
	const char *ip = strchr(address, ':') != NULL ? "IP6" : "IP4";
	const int event = SIP_SDP_OFFER_EVENT_TYPE;
	size_t used = 0;

	if (inet_pton(ip[2] == '6' ? AF_INET6 : AF_INET, address,
	    binary) != 1)
		return -1;
	if (sip_sdp_append(out, size, &used, "v=0\r\n"
	    "o=- %llu %u IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n"
	    "m=audio %u RTP/AVP 0 8 %d\r\n"
	    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
	    "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n"
	    "a=ptime:20\r\na=sendrecv\r\n",
	    (unsigned long long)session_id, version, ip, address, ip, address,
	    port, event, event, event) != 0)
		return -1;
	return (int)used;
}

int
sip_sdp_parse_answer(const char *body, size_t length,
    struct sip_sdp_offer *answer, char *error, size_t error_size)
{
	int result = sip_sdp_parse_offer(body, length, answer, error,
	    error_size);

	if (result == SIP_SDP_INVALID)
		return result;
	if (answer->media_count > 1) {
		snprintf(error, error_size, "the answer has %d m= lines where "
		    "the offer had 1", answer->media_count);
		return SIP_SDP_INVALID;
	}
	if (result == SIP_SDP_OK && answer->event_payload_type >= 0)
		answer->event_payload_type = SIP_SDP_OFFER_EVENT_TYPE;
	return result;
}
