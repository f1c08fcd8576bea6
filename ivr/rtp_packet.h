/*
 * RTP packets (RFC 3550) and telephone events (RFC 4733): building the fixed
 * header, parsing a received packet, parsing an event payload, and the rule
 * that turns the packets of one key press into one key. Pure functions, no
 * I/O.
 */
#ifndef IVR_RTP_PACKET_H
#define IVR_RTP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_VERSION 2
#define RTP_HEADER_SIZE 12		/* fixed header, no CSRC */
#define RTP_PT_PCMU 0
#define RTP_PT_PCMA 8

/* The fields of the fixed header that the IVR uses. */
struct rtp_header {
	bool marker;
	uint8_t payload_type;		/* 0-127 */
	uint16_t sequence;
	uint32_t timestamp;
	uint32_t ssrc;
};

/* A parsed packet; payload points into the buffer given to the parser. */
struct rtp_packet {
	struct rtp_header header;
	const uint8_t *payload;
	size_t payload_len;
};

/* Writes header as a 12-byte version 2 header (no padding, extension or
 * CSRC) to buffer, which has room for RTP_HEADER_SIZE bytes. Returns
 * RTP_HEADER_SIZE. */
size_t rtp_packet_build_header(uint8_t *buffer, const struct rtp_header *header);

/* Parses a received datagram of len bytes, version 2 only. The CSRC list
 * and a header extension are skipped and padding is removed, so payload is
 * the media alone (possibly empty). Returns 0, or -1 when the packet is
 * too short for what its header announces or not version 2. */
int rtp_packet_parse(const uint8_t *data, size_t len, struct rtp_packet *packet);

/* An RFC 4733 telephone-event payload. */
struct rtp_event {
	uint8_t event;			/* 0-9, 10 '*', 11 '#', 12-15 A-D, ... */
	bool end;
	uint8_t volume;			/* -dBm0, 0-63 */
	uint16_t duration;		/* in timestamp units (1/8000 s) */
};

/* Parses the 4-byte event payload (longer payloads carry redundant events
 * after the first; only the first is read). Returns 0, or -1 when payload
 * is shorter than 4 bytes. */
int rtp_event_parse(const uint8_t *payload, size_t len, struct rtp_event *event);

/* The key of a DTMF event code: '0'-'9', '*', '#', 'A'-'D' for 0-15, and
 * '\0' for any other event (flash, tones). */
char rtp_event_digit(uint8_t event);

/*
 * Once-per-press rule of RFC 4733: every packet of one key press (the
 * updates and the end packet sent three times) carries the same SSRC and
 * timestamp, and a new press gets a new timestamp. Senders differ in the
 * rest: SIPp's bundled pcaps repeat the sequence number on the three end
 * packets, baresip gives each its own, so only the (SSRC, timestamp) pair
 * names a press. The filter remembers the last RTP_EVENT_FILTER_SIZE pairs
 * so that a late end packet of an earlier press is not taken for a new
 * one.
 */
#define RTP_EVENT_FILTER_SIZE 4

struct rtp_event_filter {
	struct {
		uint32_t ssrc;
		uint32_t timestamp;
	} seen[RTP_EVENT_FILTER_SIZE];
	unsigned int count;		/* pairs stored, at most the size */
	unsigned int next;		/* slot the next new pair replaces */
};

/* Returns true, and remembers the pair, when (ssrc, timestamp) is not one
 * of the remembered pairs: the packet starts a new press. A zeroed filter
 * is empty. */
bool rtp_event_filter_is_new(struct rtp_event_filter *filter, uint32_t ssrc,
    uint32_t timestamp);

#endif
