"""Watch the answering side of an IVR benchmark run and sample it.

Started before SIPp places the calls. It samples the answering process
(--pid) once as idle, prints "ready", then every --interval seconds reads
the number of calls in progress and the process's memory and CPU time into
--timeline. The calls in progress come from the hub's GET /sip/status
(media_calls) with --status-url, otherwise from the last line of SIPp's
statistics file (--caller-csv, column CurrentCall).

The plateau starts --settle seconds after the first reading of at least
--concurrent calls and lasts --window seconds. Over the window it measures
the process's CPU time (in all and per thread), its VmRSS (mean and
maximum), its open file descriptors, the bytes queued in its UDP sockets
(ss -uamp) and the machine's UDP socket slabs (both sampled once in the
middle of the window) and, with
--status-url, the hub's packets and spacing counters at both ends. With
--capture-file it runs dumpcap on lo with --capture-filter for
--capture-seconds, centred in the window.

At the end of the window, or on SIGTERM, or after --timeout seconds, it
prints one line of key=value pairs and exits: 0 when the window was
measured, 3 when the plateau was not reached (the line then says
plateau=0 and the max_calls seen).

usage: python3 load_watch.py --pid PID --concurrent N --timeline FILE
           [--status-url URL] [--caller-csv FILE] [--window S] [--settle S]
           [--capture-file F --capture-filter EXPR --capture-seconds S]
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def read_status(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def caller_current_calls(path):
    """Return CurrentCall from the last complete line of SIPp's -trace_stat
    file, or 0 before it has one."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stats:
            lines = stats.read().splitlines()
    except FileNotFoundError:
        return 0
    if len(lines) < 2:
        return 0
    header = lines[0].split(";")
    values = lines[-1].split(";")
    if len(values) < len(header) - 1:
        values = lines[-2].split(";") if len(lines) > 2 else []
    try:
        return int(values[header.index("CurrentCall")])
    except (ValueError, IndexError):
        return 0


def process_ticks(pid):
    """Return user + system CPU time of pid in clock ticks."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_ticks(pid):
    """Return {thread name: CPU ticks}, threads of one name summed."""
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", encoding="utf-8",
                      errors="replace") as stat:
                text = stat.read()
        except FileNotFoundError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")].replace(" ", "_")
        fields = text.rsplit(")", 1)[1].split()
        ticks[name] = ticks.get(name, 0) + int(fields[11]) + int(fields[12])
    return ticks


def thread_switches(pid):
    """Return {thread name: [voluntary, involuntary]} context switches,
    threads of one name summed. An involuntary switch is a preemption."""
    switches = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        counts = {}
        try:
            with open(f"/proc/{pid}/task/{tid}/status", encoding="utf-8",
                      errors="replace") as status:
                for line in status:
                    key, _, value = line.partition(":")
                    counts[key] = value.strip()
        except FileNotFoundError:
            continue
        name = counts.get("Name", "?").replace(" ", "_")
        total = switches.setdefault(name, [0, 0])
        total[0] += int(counts.get("voluntary_ctxt_switches", 0))
        total[1] += int(counts.get("nonvoluntary_ctxt_switches", 0))
    return switches


def memory_kb(pid):
    """Return {VmRSS, VmHWM, RssAnon, ...} of pid in kB."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                values[key] = int(rest.split()[0])
    return values


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def udp_socket_memory(pid):
    """Return (sockets, rmem bytes, wmem bytes) of the UDP sockets of pid,
    from ss -uamp (skmem r and t: bytes queued in the kernel)."""
    output = subprocess.run(["ss", "-uampnH"], capture_output=True, text=True,
                            check=False).stdout
    sockets = rmem = wmem = 0
    owned = False
    for line in output.splitlines():
        if not line.startswith(("\t", " ")) or "users:" in line:
            owned = f"pid={pid}," in line
            if owned:
                sockets += 1
        match = re.search(r"skmem:\(r(\d+),rb\d+,t(\d+)", line)
        if owned and match:
            rmem += int(match.group(1))
            wmem += int(match.group(2))
    return sockets, rmem, wmem


SOCKET_SLABS = ("UDP", "sock_inode_cache")


def socket_slab_kb():
    """Return the kB of the whole machine's UDP socket objects (slab caches
    UDP and sock_inode_cache: active objects times object size), or 0 when
    /proc/slabinfo is not readable (it needs root)."""
    total = 0
    try:
        with open("/proc/slabinfo", encoding="ascii") as slabinfo:
            for line in slabinfo:
                fields = line.split()
                if fields and fields[0] in SOCKET_SLABS:
                    total += int(fields[1]) * int(fields[3])
    except OSError:
        return 0
    return total // 1024


class Watch:
    def __init__(self, args):
        self.args = args
        self.result = {}
        self.max_calls = 0
        self.capture = None
        self.timeline = open(args.timeline, "w", encoding="ascii")
        self.timeline.write("time calls vm_rss_kb cpu_ticks packets_sent "
                            "spacing_within_2ms spacing_beyond_2ms\n")

    def calls(self, status):
        if status is not None:
            return int(status.get("media_calls", 0))
        return caller_current_calls(self.args.caller_csv)

    def status(self):
        if not self.args.status_url:
            return None
        try:
            return read_status(self.args.status_url)
        except (OSError, ValueError) as error:
            print(f"load_watch: GET {self.args.status_url} failed: {error}",
                  file=sys.stderr)
            return None

    def sample(self):
        status = self.status()
        calls = self.calls(status)
        self.max_calls = max(self.max_calls, calls)
        rss = memory_kb(self.args.pid).get("VmRSS", 0)
        ticks = process_ticks(self.args.pid)
        packets = status.get("packets_sent", 0) if status else 0
        spacing = status.get("spacing", {}) if status else {}
        within = spacing.get("within_1ms", 0) + spacing.get("within_2ms", 0)
        self.timeline.write(f"{time.time():.3f} {calls} {rss} {ticks} {packets} "
                            f"{within} {spacing.get('beyond_2ms', 0)}\n")
        self.timeline.flush()
        return status, calls, rss

    def idle(self):
        memory = memory_kb(self.args.pid)
        self.result.update(
            idle_vm_rss_kb=memory.get("VmRSS", 0),
            idle_rss_anon_kb=memory.get("RssAnon", 0),
            idle_fds=open_fds(self.args.pid),
            idle_socket_slab_kb=socket_slab_kb())

    def wait_for_plateau(self, deadline):
        while time.time() < deadline:
            _, calls, _ = self.sample()
            if calls >= self.args.concurrent:
                self.result["plateau_reached_at"] = f"{time.time():.3f}"
                return True
            time.sleep(self.args.interval)
        return False

    def start_capture(self):
        self.capture = subprocess.Popen(
            ["dumpcap", "-q", "-i", "lo", "-B", "64", "-s", "96", "-f",
             self.args.capture_filter, "-a",
             f"duration:{self.args.capture_seconds}", "-w",
             self.args.capture_file],
            stdout=subprocess.DEVNULL,
            stderr=open(self.args.capture_file + ".log", "w", encoding="utf-8"))
        self.result["capture_started_at"] = f"{time.time():.3f}"

    def measure_window(self):
        args = self.args
        time.sleep(args.settle)
        start = time.time()
        status_start = self.status()
        ticks_start = process_ticks(args.pid)
        threads_start = thread_ticks(args.pid)
        switches_start = thread_switches(args.pid)
        capture_at = start + max(0.0, (args.window - args.capture_seconds) / 2)
        middle_at = start + args.window / 2
        rss_values, call_values, sockets = [], [], None
        spacing_samples = []

        while time.time() < start + args.window:
            status, calls, rss = self.sample()
            if status:
                spacing_samples.append((time.time(), status["spacing"]))
            rss_values.append(rss)
            call_values.append(calls)
            if args.capture_file and self.capture is None and time.time() >= capture_at:
                self.start_capture()
            if sockets is None and time.time() >= middle_at:
                sockets = udp_socket_memory(args.pid)
                self.result.update(
                    plateau_fds=open_fds(args.pid),
                    plateau_socket_slab_kb=socket_slab_kb())
            time.sleep(args.interval)

        seconds = time.time() - start
        ticks = process_ticks(args.pid) - ticks_start
        threads_end = thread_ticks(args.pid)
        switches_end = thread_switches(args.pid)
        status_end = self.status()
        memory = memory_kb(args.pid)
        self.result.update(
            plateau=1,
            window_seconds=f"{seconds:.1f}",
            calls_min=min(call_values), calls_max=max(call_values),
            cpu_seconds=f"{ticks / CLOCK_TICKS:.2f}",
            cpu_percent=f"{100.0 * ticks / CLOCK_TICKS / seconds:.1f}",
            plateau_vm_rss_kb_max=max(rss_values),
            plateau_vm_rss_kb_mean=round(sum(rss_values) / len(rss_values)),
            plateau_rss_anon_kb=memory.get("RssAnon", 0),
            vm_hwm_kb=memory.get("VmHWM", 0))

        busy = sorted(((threads_end.get(name, 0) - threads_start.get(name, 0), name)
                       for name in threads_end), reverse=True)
        self.result["threads"] = ",".join(
            f"{name}:{100.0 * spent / CLOCK_TICKS / seconds:.1f}%"
            for spent, name in busy if spent > 0) or "none"
        # Per second of the window: voluntary/involuntary switches.
        self.result["switches_per_s"] = ",".join(
            f"{name}:{(end[0] - switches_start.get(name, [0, 0])[0]) / seconds:.0f}"
            f"/{(end[1] - switches_start.get(name, [0, 0])[1]) / seconds:.0f}"
            for name, end in sorted(switches_end.items()))
        if sockets is not None:
            self.result.update(udp_sockets=sockets[0], udp_rmem_bytes=sockets[1],
                               udp_wmem_bytes=sockets[2])
        if status_start and status_end:
            self.spacing_delta(status_start, status_end)
            self.spacing_during_capture(spacing_samples)

    def spacing_delta(self, before, after):
        """Store the hub's counters over the window. The media thread
        counts each spacing in exactly one of the three buckets."""
        delta = {key: after["spacing"][key] - before["spacing"][key]
                 for key in ("within_1ms", "within_2ms", "beyond_2ms")}
        for key, value in delta.items():
            self.result[f"window_{key}"] = value
        total = sum(delta.values())
        within = delta["within_1ms"] + delta["within_2ms"]
        self.result["window_within_2ms_percent"] = (
            f"{100.0 * within / total:.3f}" if total else "0")
        for key in ("packets_sent", "packets_skipped"):
            if key in after and key in before:
                self.result[f"window_{key}"] = after[key] - before[key]

    def spacing_during_capture(self, samples):
        """Store the share of the hub's spacings within 2 ms between the
        samples that bound the capture, to compare with the whole window:
        dumpcap takes CPU from the same two cores."""
        if self.capture is None:
            return
        start = float(self.result["capture_started_at"])
        inside = [spacing for at, spacing in samples
                  if start <= at <= start + self.args.capture_seconds]
        if len(inside) < 2:
            return
        delta = {key: inside[-1][key] - inside[0][key]
                 for key in ("within_1ms", "within_2ms", "beyond_2ms")}
        total = sum(delta.values())
        if total:
            within = delta["within_1ms"] + delta["within_2ms"]
            self.result["capture_hub_within_2ms_percent"] = (
                f"{100.0 * within / total:.3f}")

    def finish(self, code):
        if self.capture is not None:
            try:
                self.capture.wait(timeout=self.args.capture_seconds + 10)
            except subprocess.TimeoutExpired:
                self.capture.terminate()
                self.capture.wait()
        self.result.setdefault("plateau", 0)
        self.result["max_calls"] = self.max_calls
        print(" ".join(f"{key}={value}" for key, value in self.result.items()),
              flush=True)
        sys.exit(code)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pid", type=int, required=True,
                        help="process that answers the calls")
    parser.add_argument("--concurrent", type=int, required=True,
                        help="calls in progress that start the plateau")
    parser.add_argument("--timeline", required=True,
                        help="file for one line per sample")
    parser.add_argument("--status-url", help="the hub's GET /sip/status URL")
    parser.add_argument("--caller-csv", help="SIPp's -trace_stat file")
    parser.add_argument("--window", type=float, default=20.0,
                        help="seconds measured on the plateau")
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds from reaching --concurrent to the window")
    parser.add_argument("--interval", type=float, default=0.5,
                        help="seconds between samples")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds to wait for the plateau")
    parser.add_argument("--capture-file", help="pcap file written by dumpcap")
    parser.add_argument("--capture-filter", default="udp",
                        help="capture filter of dumpcap")
    parser.add_argument("--capture-seconds", type=float, default=10.0,
                        help="length of the capture")
    args = parser.parse_args()
    if not args.status_url and not args.caller_csv:
        parser.error("give --status-url or --caller-csv")

    watch = Watch(args)
    signal.signal(signal.SIGTERM, lambda *_: watch.finish(3))
    time.sleep(1.0)
    watch.idle()
    print("ready", flush=True)
    if not watch.wait_for_plateau(time.time() + args.timeout):
        watch.finish(3)
    watch.measure_window()
    watch.finish(0)


if __name__ == "__main__":
    main()
