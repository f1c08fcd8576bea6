"""Measure the spacing of captured RTP packets, stream by stream.

Reads the lines that

    tshark -r FILE -d udp.port==PORT,rtp -T fields -E separator=/t \
        -e frame.time_epoch -e udp.srcport -e rtp.ssrc -e rtp.seq \
        -e rtp.timestamp -e rtp.p_type

prints, groups the packets into streams by (UDP source port, SSRC), and
measures the time between consecutive packets of a stream. A delta counts
only between packets whose sequence numbers follow each other, because a
gap in them is a packet lost from the capture (seq_gaps). Deltas whose RTP
timestamps are not --samples apart (160 samples: 20 ms of 8 kHz audio) are
counted too, and also apart as timestamp_jumps: a sender that skips the
packets it is late for keeps its sequence numbers and advances its
timestamps, and the caller hears that gap.

Prints one line of key=value pairs:

    streams=N packets=N deltas=N within_1ms=N within_2ms=N beyond_2ms=N
    within_2ms_percent=P max_us=N p99_us=N seq_gaps=N timestamp_jumps=N
    clean_intervals_percent=P worst_interval_beyond=N

within_2ms counts the deltas at most 2 ms from --period-ms, within_1ms
those at most 1 ms (so within_1ms <= within_2ms); beyond_2ms the rest.
p99_us is the 99th percentile of the distance from the period, in
microseconds. The capture is also cut into 100 ms intervals by the time
of the later packet of each delta: clean_intervals_percent is the share of
intervals with no delta beyond 2 ms, and worst_interval_beyond the most
such deltas in one interval. Late packets spread evenly over the intervals
point at the sender's own pacing; late packets crowded into a few
intervals point at stalls of the sending thread, as when it is preempted.

usage: python3 rtp_spacing.py [--period-ms 20] [--samples 160] < FIELDS
"""

import argparse
import sys


def parse_packets(lines):
    """Yield (time_s, stream, seq, timestamp) for each RTP line."""
    for line in lines:
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 5 or not fields[2] or not fields[3]:
            continue
        time_s = float(fields[0])
        stream = (fields[1], fields[2])
        yield time_s, stream, int(fields[3]), int(fields[4])


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def measure(packets, period_us, samples):
    last = {}
    counts = {"packets": 0, "deltas": 0, "within_1ms": 0, "within_2ms": 0,
              "beyond_2ms": 0, "seq_gaps": 0, "timestamp_jumps": 0}
    distances = []
    first_time = None
    intervals = {}
    for time_s, stream, seq, timestamp in packets:
        if first_time is None:
            first_time = time_s
        counts["packets"] += 1
        previous = last.get(stream)
        last[stream] = (time_s, seq, timestamp)
        if previous is None:
            continue
        seq_step = (seq - previous[1]) % 65536
        timestamp_step = (timestamp - previous[2]) % (1 << 32)
        if seq_step != 1:
            counts["seq_gaps"] += 1
            continue
        if timestamp_step != samples:
            counts["timestamp_jumps"] += 1
        distance = abs(round((time_s - previous[0]) * 1e6) - period_us)
        distances.append(distance)
        counts["deltas"] += 1
        interval = int((time_s - first_time) * 10)
        intervals[interval] = intervals.get(interval, 0) + (distance > 2000)
        if distance <= 1000:
            counts["within_1ms"] += 1
        if distance <= 2000:
            counts["within_2ms"] += 1
        else:
            counts["beyond_2ms"] += 1
    distances.sort()
    counts["streams"] = len(last)
    counts["max_us"] = distances[-1] if distances else 0
    counts["p99_us"] = percentile(distances, 0.99)
    clean = sum(1 for beyond in intervals.values() if beyond == 0)
    counts["clean_intervals_percent"] = (
        f"{100.0 * clean / len(intervals):.1f}" if intervals else "0")
    counts["worst_interval_beyond"] = max(intervals.values(), default=0)
    counts["within_2ms_percent"] = (
        f"{100.0 * counts['within_2ms'] / counts['deltas']:.3f}"
        if counts["deltas"] else "0")
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--period-ms", type=float, default=20.0,
                        help="expected time between packets, in ms")
    parser.add_argument("--samples", type=int, default=160,
                        help="RTP timestamp step of one packet, in samples")
    args = parser.parse_args()
    counts = measure(parse_packets(sys.stdin), round(args.period_ms * 1000),
                     args.samples)
    order = ["streams", "packets", "deltas", "within_1ms", "within_2ms",
             "beyond_2ms", "within_2ms_percent", "max_us", "p99_us",
             "seq_gaps", "timestamp_jumps", "clean_intervals_percent",
             "worst_interval_beyond"]
    print(" ".join(f"{key}={counts[key]}" for key in order))


if __name__ == "__main__":
    main()
