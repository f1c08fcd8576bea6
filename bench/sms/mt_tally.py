"""Counts the MT messages fakesmsc prints, for the SMS benchmark.

Reads fakesmsc's output on standard input and copies it to LOG. Every
"Got message" line is one MT message (one SMS part) that reached the fake
SMSC. Every 20 ms, and when the input ends, it writes
"parts=N received=N first=T last=T" to STATUS. parts counts SMS parts.
received counts messages: a part without a concatenation header, or the
part numbered last of a concatenated message, so that each message counts
once whatever the order of its parts. first and last are the wall-clock
times (seconds since the epoch) at which the first part and the last
message were read.

usage: python3 mt_tally.py STATUS LOG
"""

import os
import select
import sys
import time
import urllib.parse


def completes(line):
    """Return whether an MT line of fakesmsc completes a message."""
    start = line.find(b"<")
    fields = line[start + 1:].split(b" ", 4)
    if len(fields) < 5 or fields[2] != b"udh":
        return True
    udh = urllib.parse.unquote_to_bytes(fields[3].decode("ascii", "replace"))
    i = 1
    while i + 1 < len(udh):
        tag, size = udh[i], udh[i + 1]
        value = udh[i + 2:i + 2 + size]
        if tag == 0x00 and size == 3:
            return value[2] == value[1]
        if tag == 0x08 and size == 4:
            return value[3] == value[2]
        i += 2 + size
    return True


def main():
    status, log_path = sys.argv[1], sys.argv[2]
    parts, received, first, last = 0, 0, 0.0, 0.0
    written = None
    pending = b""
    fd = sys.stdin.fileno()
    with open(log_path, "ab", buffering=0) as log:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.02)
            ended = False
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    ended = True
                else:
                    now = time.time()
                    log.write(chunk)
                    pending += chunk
                    lines = pending.split(b"\n")
                    pending = lines.pop()
                    got = [line for line in lines if b" Got message " in line]
                    if got:
                        if parts == 0:
                            first = now
                        parts += len(got)
                        whole = sum(1 for line in got if completes(line))
                        if whole:
                            received += whole
                            last = now
            state = (parts, received, first, last)
            if state != written:
                with open(status + ".tmp", "w", encoding="ascii") as out:
                    out.write(f"parts={parts} received={received} first={first:.6f} "
                              f"last={last:.6f}\n")
                os.replace(status + ".tmp", status)
                written = state
            if ended:
                return


if __name__ == "__main__":
    main()
