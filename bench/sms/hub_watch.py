"""Watches the hub's /metrics during an SMS benchmark phase.

Polls GET /metrics on one kept-alive connection every INTERVAL seconds and
sums the series given with --series (exact "name{labels}" strings). It stops
when the sum has grown by --count or after --timeout seconds, and prints one
line: "count=N start=N first=T reached=T polls=N connections=N idle=0|1".
start is the sum at the start. first and reached are the wall-clock times
(seconds since the epoch) of the first poll that saw the sum above start
and of the poll that saw it grown by --count (0 when it did not). With
--port-of-peer PORT, connections is the number of TCP connections seen to
127.0.0.1:PORT (see below).

With --idle-after FILE, it also stops, with "idle=1" in its line, at the
first poll after FILE exists that reads 0 for every --idle-series gauge
(hub_send_queue_depth, hub_send_in_flight). Every queued text then has a
stored outcome, even one whose "sent" outcome was never counted because its
delivery report was stored first.

Connections are counted with "ss -tan", sampled with each poll and once
more at the end, and identified by the client's port. They are every socket
whose peer is PORT (the client's side, in any state) and every TIME-WAIT
socket whose local port is PORT (the server's side of a connection that the
server closed first). A connection opened and closed between two samples whose client
side left no TIME-WAIT socket would be missed; a client port used twice
within the phase would be counted once.

usage: python3 hub_watch.py --port HUB_PORT --series S [--series S]...
           --count N [--timeout SECONDS] [--interval SECONDS]
           [--port-of-peer PORT] [--idle-after FILE --idle-series S...]
           [--from N]

--from N takes N as the start value in place of the first reading, for a
hub that may have sent texts before the first poll.
"""

import argparse
import http.client
import os
import subprocess
import sys
import time


def read_metrics(connection):
    connection.request("GET", "/metrics")
    response = connection.getresponse()
    body = response.read().decode("utf-8", errors="replace")
    if response.status != 200:
        raise RuntimeError(f"GET /metrics returned status {response.status}")
    values = {}
    for line in body.splitlines():
        name, _, value = line.rpartition(" ")
        if name and not line.startswith("#"):
            values[name] = int(float(value))
    return values


def series_sum(values, series):
    return sum(values.get(name, 0) for name in series)


def client_ports(port):
    """Return the client-side ports of the connections to 127.0.0.1:port."""
    output = subprocess.run(["ss", "-tanH"], capture_output=True, text=True,
                            check=False).stdout
    ports = set()
    for line in output.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        state, local, peer = fields[0], fields[3], fields[4]
        local_host, _, local_port = local.rpartition(":")
        peer_host, _, peer_port = peer.rpartition(":")
        if peer_port == str(port) and peer_host == "127.0.0.1":
            ports.add(local_port)
        elif (local_port == str(port) and local_host == "127.0.0.1" and
              state == "TIME-WAIT"):
            ports.add(peer_port)
    return ports


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--series", action="append", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--port-of-peer", type=int, default=0)
    parser.add_argument("--idle-after", default="")
    parser.add_argument("--idle-series", action="append", default=[])
    parser.add_argument("--from", dest="start", type=int, default=None)
    args = parser.parse_args()

    series = set(args.series)
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    start = series_sum(read_metrics(connection), series)
    if args.start is not None:
        start = args.start
    count = start
    idle = 0
    first = reached = 0.0
    polls = 0
    ports = set()
    deadline = time.monotonic() + args.timeout
    # The ready line lets the caller start the load only once the start
    # value is read.
    print("ready", flush=True)
    while True:
        values = read_metrics(connection)
        count = series_sum(values, series)
        now = time.time()
        polls += 1
        if args.port_of_peer:
            ports |= client_ports(args.port_of_peer)
        if count > start and first == 0.0:
            first = now
        if count >= start + args.count:
            reached = now
            break
        if (args.idle_after and os.path.exists(args.idle_after) and
                count > start and
                all(values.get(name, 1) == 0 for name in args.idle_series)):
            reached = now
            idle = 1
            break
        if time.monotonic() >= deadline:
            break
        time.sleep(args.interval)
    if args.port_of_peer:
        ports |= client_ports(args.port_of_peer)
    print(f"count={count} start={start} first={first:.6f} "
          f"reached={reached:.6f} polls={polls} connections={len(ports)} "
          f"idle={idle}",
          flush=True)
    return 0 if reached else 1


if __name__ == "__main__":
    sys.exit(main())
