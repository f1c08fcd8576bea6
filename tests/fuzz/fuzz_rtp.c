/*
 * Fuzzes the RTP parsers of ivr/rtp_packet.h with whole datagrams. A parsed
 * packet's payload must lie inside the datagram after the fixed header,
 * and a packet built from the parsed header must parse to the same fields.
 * The payload also goes through the RFC 4733 parser and the once-per-press
 * filter.
 */
#include <stdio.h>

#include "rtp_packet.h"

#include "fuzz.h"

static void
fuzz_rtp_fail(const char *what)
{
	fprintf(stderr, "fuzz_rtp: %s\n", what);
	abort();
}

static void
fuzz_rtp_check_round_trip(const struct rtp_header *header)
{
	uint8_t built[RTP_HEADER_SIZE];
	struct rtp_packet again;

	rtp_packet_build_header(built, header);
	if (rtp_packet_parse(built, sizeof(built), &again) != 0)
		fuzz_rtp_fail("a built header does not parse");
	if (again.header.marker != header->marker ||
	    again.header.payload_type != header->payload_type ||
	    again.header.sequence != header->sequence ||
	    again.header.timestamp != header->timestamp ||
	    again.header.ssrc != header->ssrc || again.payload_len != 0)
		fuzz_rtp_fail("a built header parses to other fields");
}

static void
fuzz_rtp_check_event(const struct rtp_packet *packet)
{
	static struct rtp_event_filter filter;
	struct rtp_event event;

	if (rtp_event_parse(packet->payload, packet->payload_len, &event) != 0) {
		if (packet->payload_len >= 4)
			fuzz_rtp_fail("a 4-byte event payload was rejected");
		return;
	}
	if (event.volume > 63)
		fuzz_rtp_fail("volume over 63");
	if ((rtp_event_digit(event.event) != '\0') != (event.event < 16))
		fuzz_rtp_fail("digit for an event outside 0-15");
	if (rtp_event_filter_is_new(&filter, packet->header.ssrc,
	    packet->header.timestamp) &&
	    rtp_event_filter_is_new(&filter, packet->header.ssrc,
	    packet->header.timestamp))
		fuzz_rtp_fail("one press reported twice");
	if (filter.count > RTP_EVENT_FILTER_SIZE ||
	    filter.next >= RTP_EVENT_FILTER_SIZE)
		fuzz_rtp_fail("filter indexes out of range");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_packet packet;
	uint8_t *copy = malloc(size > 0 ? size : 1);

	/* A copy of exactly size bytes, so ASan sees any read past it. */
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	if (rtp_packet_parse(copy, size, &packet) == 0) {
		if (size < RTP_HEADER_SIZE || copy[0] >> 6 != RTP_VERSION)
			fuzz_rtp_fail("accepted a short or non-version-2 packet");
		if (packet.payload < copy + RTP_HEADER_SIZE ||
		    packet.payload + packet.payload_len > copy + size)
			fuzz_rtp_fail("payload outside the datagram");
		fuzz_rtp_check_round_trip(&packet.header);
		fuzz_rtp_check_event(&packet);
	}
	free(copy);
	return 0;
}
