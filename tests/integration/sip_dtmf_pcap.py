#!/usr/bin/env python3
"""Write a pcap of RFC 4733 telephone-events for SIPp's play_pcap_audio.

Usage: sip_dtmf_pcap.py [options] KEYS OUT.pcap

KEYS is a sequence of 0-9, *, #, A-D; a comma is a pause (--pause-ms).
Every key is one event: a first packet with the marker bit, one packet
every 20 ms with the duration so far, then three end packets. Each event
has its own RTP timestamp (the time it starts), so that a receiver which
reports a key once per (SSRC, timestamp) sees a repeated key twice.

SIPp 3.6.1 sends the packets unchanged apart from addresses and ports:
the SSRC, sequence numbers, timestamps and payload type (101) below are
what the hub receives, and the pcap's packet times set the pacing. Give
each pcap of one call a different --start-ms, so that the events of two
pcaps do not share a timestamp.
"""
import argparse
import random
import struct
import sys

EVENT_CODES = {str(d): d for d in range(10)}
EVENT_CODES.update({"*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15})

SAMPLE_RATE = 8000
PACKET_MS = 20
LINKTYPE_ETHERNET = 1


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(rtp, source_port, destination_port):
    """Ethernet + IPv4 + UDP around one RTP packet, 127.0.0.1 both ways."""
    source = destination = bytes([127, 0, 0, 1])
    udp_length = 8 + len(rtp)
    pseudo = source + destination + struct.pack("!BBH", 0, 17, udp_length)
    udp = struct.pack("!HHHH", source_port, destination_port, udp_length, 0)
    udp_sum = checksum(pseudo + udp + rtp) or 0xFFFF
    udp = struct.pack("!HHHH", source_port, destination_port, udp_length,
                      udp_sum)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_length, 0, 0, 64, 17,
                     0, source, destination)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    ethernet = bytes(6) + bytes(6) + struct.pack("!H", 0x0800)
    return ethernet + ip + udp + rtp


class Writer:
    def __init__(self, args):
        self.args = args
        self.sequence = args.sequence
        self.records = []

    def rtp(self, marker, timestamp, event, end, duration):
        first = 0x80
        second = (0x80 if marker else 0) | self.args.payload_type
        header = struct.pack("!BBHII", first, second, self.sequence & 0xFFFF,
                             timestamp & 0xFFFFFFFF, self.args.ssrc)
        self.sequence += 1
        flags = (0x80 if end else 0) | (self.args.volume & 0x3F)
        return header + struct.pack("!BBH", event, flags, duration)

    def add(self, time_ms, rtp):
        self.records.append((time_ms, frame(rtp, 6000, 6000)))

    def event(self, time_ms, key):
        """Adds one key pressed at time_ms; returns when its tone ends."""
        code = EVENT_CODES[key]
        timestamp = self.args.timestamp + time_ms * SAMPLE_RATE // 1000
        tone = self.args.tone_ms * SAMPLE_RATE // 1000
        packets = max(1, self.args.tone_ms // PACKET_MS)
        for i in range(packets):
            duration = min(tone, (i + 1) * PACKET_MS * SAMPLE_RATE // 1000)
            self.add(time_ms + i * PACKET_MS,
                     self.rtp(i == 0, timestamp, code, False, duration))
        end_ms = time_ms + packets * PACKET_MS
        for i in range(3):
            self.add(end_ms + i * 5, self.rtp(False, timestamp, code, True,
                                              tone))
        return time_ms + self.args.tone_ms

    def write(self, path):
        with open(path, "wb") as out:
            out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535,
                                  LINKTYPE_ETHERNET))
            for time_ms, data in self.records:
                seconds, milliseconds = divmod(time_ms, 1000)
                out.write(struct.pack("<IIII", seconds, milliseconds * 1000,
                                      len(data), len(data)))
                out.write(data)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("keys", help="keys to send, e.g. 1234567890#; "
                        "a comma pauses")
    parser.add_argument("out", help="pcap file to write")
    parser.add_argument("--tone-ms", type=int, default=100,
                        help="length of each key's event in ms (100)")
    parser.add_argument("--gap-ms", type=int, default=200,
                        help="silence after each key in ms (200)")
    parser.add_argument("--pause-ms", type=int, default=1000,
                        help="length of a comma in ms (1000)")
    parser.add_argument("--start-ms", type=int, default=0,
                        help="offset of the first key's RTP timestamp from "
                        "--timestamp, in ms (0)")
    parser.add_argument("--timestamp", type=int,
                        help="RTP timestamp at --start-ms (random)")
    parser.add_argument("--sequence", type=int,
                        help="first RTP sequence number (random)")
    parser.add_argument("--ssrc", type=lambda text: int(text, 0),
                        help="SSRC (random)")
    parser.add_argument("--payload-type", type=int, default=101,
                        help="payload type of telephone-event (101)")
    parser.add_argument("--volume", type=int, default=10,
                        help="event volume in -dBm0 (10)")
    args = parser.parse_args()
    bad = [key for key in args.keys if key != "," and key not in EVENT_CODES]
    if bad:
        parser.error("invalid key %r: use 0-9, *, #, A-D or a comma" % bad[0])
    if args.tone_ms < PACKET_MS:
        parser.error("--tone-ms must be at least %d" % PACKET_MS)
    rng = random.SystemRandom()
    if args.timestamp is None:
        args.timestamp = rng.randrange(1 << 31)
    args.timestamp += args.start_ms * SAMPLE_RATE // 1000
    if args.sequence is None:
        args.sequence = rng.randrange(1 << 15)
    if args.ssrc is None:
        args.ssrc = rng.randrange(1, 1 << 32)
    return args


def main():
    args = parse_arguments()
    writer = Writer(args)
    time_ms = 0
    for key in args.keys:
        if key == ",":
            time_ms += args.pause_ms
            continue
        time_ms = writer.event(time_ms, key) + args.gap_ms
    writer.write(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
