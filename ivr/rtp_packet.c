/*
 * RTP header and RFC 4733 event payload, in network byte order.
 */
#include "rtp_packet.h"

#define RTP_EVENT_PAYLOAD_SIZE 4

static void
rtp_packet_put16(uint8_t *p, uint16_t value)
{
	p[0] = (uint8_t)(value >> 8);
	p[1] = (uint8_t)value;
}

static void
rtp_packet_put32(uint8_t *p, uint32_t value)
{
	p[0] = (uint8_t)(value >> 24);
	p[1] = (uint8_t)(value >> 16);
	p[2] = (uint8_t)(value >> 8);
	p[3] = (uint8_t)value;
}

static uint16_t
rtp_packet_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rtp_packet_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

size_t
rtp_packet_build_header(uint8_t *buffer, const struct rtp_header *header)
{
	buffer[0] = RTP_VERSION << 6;
	buffer[1] = (uint8_t)((header->marker ? 0x80 : 0) |
	    (header->payload_type & 0x7f));
	rtp_packet_put16(buffer + 2, header->sequence);
	rtp_packet_put32(buffer + 4, header->timestamp);
	rtp_packet_put32(buffer + 8, header->ssrc);
	return RTP_HEADER_SIZE;
}

int
rtp_packet_parse(const uint8_t *data, size_t len, struct rtp_packet *packet)
{
	size_t header_len, padding = 0;

	if (len < RTP_HEADER_SIZE || data[0] >> 6 != RTP_VERSION)
		return -1;
	header_len = RTP_HEADER_SIZE + 4 * (size_t)(data[0] & 0x0f);
	if (len < header_len)
		return -1;

	/* Extension: 16 bits profile data, 16 bits length in 32-bit words. */
	if (data[0] & 0x10) {
		if (len < header_len + 4)
			return -1;
		header_len += 4 + 4 * (size_t)rtp_packet_get16(data +
		    header_len + 2);
		if (len < header_len)
			return -1;
	}

	/* Padding: the last byte counts the padding bytes, itself included. */
	if (data[0] & 0x20) {
		padding = data[len - 1];
		if (padding == 0 || padding > len - header_len)
			return -1;
	}

	packet->header.marker = (data[1] & 0x80) != 0;
	packet->header.payload_type = data[1] & 0x7f;
	packet->header.sequence = rtp_packet_get16(data + 2);
	packet->header.timestamp = rtp_packet_get32(data + 4);
	packet->header.ssrc = rtp_packet_get32(data + 8);
	packet->payload = data + header_len;
	packet->payload_len = len - header_len - padding;
	return 0;
}

int
rtp_event_parse(const uint8_t *payload, size_t len, struct rtp_event *event)
{
	if (len < RTP_EVENT_PAYLOAD_SIZE)
		return -1;
	event->event = payload[0];
	event->end = (payload[1] & 0x80) != 0;
	event->volume = payload[1] & 0x3f;
	event->duration = rtp_packet_get16(payload + 2);
	return 0;
}

char
rtp_event_digit(uint8_t event)
{
	static const char digits[] = "0123456789*#ABCD";

	return event < sizeof(digits) - 1 ? digits[event] : '\0';
}

bool
rtp_event_filter_is_new(struct rtp_event_filter *filter, uint32_t ssrc,
    uint32_t timestamp)
{
	for (unsigned int i = 0; i < filter->count; i++) {
		if (filter->seen[i].ssrc == ssrc &&
		    filter->seen[i].timestamp == timestamp)
			return false;
	}

	filter->seen[filter->next].ssrc = ssrc;
	filter->seen[filter->next].timestamp = timestamp;
	filter->next = (filter->next + 1) % RTP_EVENT_FILTER_SIZE;
	if (filter->count < RTP_EVENT_FILTER_SIZE)
		filter->count++;
	return true;
}
