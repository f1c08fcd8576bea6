#!/usr/bin/env python3
"""Audio checks of the SIP integration tests, in plain Python (no numpy).

Commands (each prints one JSON object):
  info WAV                       duration, RMS and peak of a WAV
  segments WAV                   the speech segments (energy above a floor)
  decode WAV PROMPTS_DIR         the prompts heard in WAV, in order
  aliases PROMPTS_DIR            the prompts that sound the same as another
  rtp-sink PORT OUT              receive RTP on 127.0.0.1:PORT until SIGTERM
                                 or --seconds; write OUT.wav and OUT.json;
                                 with --reply, send silence back

All WAVs are 8 kHz mono 16-bit PCM, as the hub's prompts and baresip's
sndfile recordings are.

decode recognises the hub's prompts (every PROMPTS_DIR/*.wav) in a
recording of what the hub sent. The hub plays the prompts' samples through
G.711, which changes them by a few percent, so each prompt is found by
normalized correlation with its own samples: at each onset of sound
(the first sample above a threshold), every prompt whose onset aligns
there within a few samples is scored, and the best one above --min-score
is taken. Sound that matches no prompt is reported as "?". Prompts that
sound the same are reported under the first name, with all in "aliases"
(the aliases command lists them).
"""
import argparse
import array
import glob
import json
import math
import operator
import os
import signal
import socket
import struct
import sys
import time
import warnings
import wave

with warnings.catch_warnings():
    # audioop (G.711) is deprecated since Python 3.11 but still shipped.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

SAMPLE_RATE = 8000
# About -40 dBFS: quieter samples count as silence.
ONSET_THRESHOLD = 300
ONSET_WINDOW = SAMPLE_RATE // 500
PROBE_SAMPLES = 800
SHIFT_SAMPLES = 8


def load_wav(path):
    with wave.open(path, "rb") as wav:
        if (wav.getframerate() != SAMPLE_RATE or wav.getnchannels() != 1
                or wav.getsampwidth() != 2):
            raise SystemExit("%s: expected 8000 Hz mono 16-bit PCM, got %d Hz "
                             "%d channels %d-bit" % (path, wav.getframerate(),
                                                     wav.getnchannels(),
                                                     8 * wav.getsampwidth()))
        samples = array.array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def write_wav(path, samples):
    with wave.open(path, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())


def rms(samples):
    if not samples:
        return 0.0
    return math.sqrt(sum(map(operator.mul, samples, samples)) / len(samples))


def info(samples):
    return {"duration": round(len(samples) / SAMPLE_RATE, 3),
            "rms": round(rms(samples), 1),
            "peak": max((abs(x) for x in samples), default=0)}


def speech_segments(samples, floor, min_silence_ms, frame_ms=10):
    """Runs of 10 ms frames whose RMS exceeds floor, joined across
    silences shorter than min_silence_ms. Returns (start, end) in seconds."""
    frame = SAMPLE_RATE * frame_ms // 1000
    segments = []
    for index in range(0, len(samples) - frame + 1, frame):
        if rms(samples[index:index + frame]) <= floor:
            continue
        start, end = index / SAMPLE_RATE, (index + frame) / SAMPLE_RATE
        if segments and start - segments[-1][1] < min_silence_ms / 1000:
            segments[-1][1] = end
        else:
            segments.append([start, end])
    return [(round(s, 3), round(e, 3)) for s, e in segments]


# --- Prompt recognition ------------------------------------------------------

def is_onset(samples, index):
    """Whether sound starts at index: the sample is above the threshold
    and so is the mean level of the next 2 ms, so that a lone click is
    not taken for the start of a prompt."""
    if abs(samples[index]) <= ONSET_THRESHOLD:
        return False
    window = samples[index:index + ONSET_WINDOW]
    return sum(abs(x) for x in window) > ONSET_THRESHOLD * len(window) / 2


def sound_bounds(samples):
    """Index of the first onset and one past the last sample above the
    threshold, or None for silence."""
    first = next_onset(samples, 0)
    if first is None:
        return None
    last = len(samples) - next(i for i, x in enumerate(reversed(samples))
                               if abs(x) > ONSET_THRESHOLD)
    return first, last


class Prompt:
    def __init__(self, name, samples):
        self.name = name
        self.aliases = [name]
        self.duration = len(samples) / SAMPLE_RATE
        bounds = sound_bounds(samples)
        self.sound = samples[bounds[0]:bounds[1]] if bounds else array.array("h")
        self.probe = self.sound[:PROBE_SAMPLES]
        self.probe_norm = math.sqrt(sum(map(operator.mul, self.probe,
                                            self.probe)))
        self.norm = math.sqrt(sum(map(operator.mul, self.sound, self.sound)))


def same_sound(first, second):
    """Whether two prompts sound the same: equal length of sound and a
    correlation that only dither noise keeps below 1."""
    if len(first.sound) != len(second.sound) or not first.norm:
        return False
    return correlation(first.sound, 0, second.sound, second.norm) > 0.999


def load_prompts(directory):
    """Every directory/*.wav with sound. Prompts that sound the same (a
    word that means two things, like Vietnamese "năm", five and year) are
    one Prompt, named after the first in file name order and listing all
    in aliases, since no recording can tell them apart."""
    prompts = []
    for path in sorted(glob.glob(os.path.join(directory, "*.wav"))):
        prompt = Prompt(os.path.basename(path)[:-4], load_wav(path))
        # Silence has no sound to find: the gaps between prompts are skipped.
        if len(prompt.sound) < SAMPLE_RATE // 50:
            continue
        twin = next((p for p in prompts if same_sound(p, prompt)), None)
        if twin is None:
            prompts.append(prompt)
        else:
            twin.aliases.append(prompt.name)
    return prompts


def correlation(samples, start, template, template_norm):
    if start < 0 or start + len(template) > len(samples) or template_norm == 0:
        return 0.0
    window = samples[start:start + len(template)]
    norm = math.sqrt(sum(map(operator.mul, window, window)))
    if norm == 0:
        return 0.0
    return sum(map(operator.mul, window, template)) / (norm * template_norm)


def next_onset(samples, position):
    for index in range(position, len(samples)):
        if is_onset(samples, index):
            return index
    return None


def next_silence(samples, position, silence_samples=SAMPLE_RATE // 25):
    """Start of the next run of silence_samples quiet samples."""
    quiet = 0
    for index in range(position, len(samples)):
        quiet = quiet + 1 if abs(samples[index]) <= ONSET_THRESHOLD else 0
        if quiet == silence_samples:
            return index - silence_samples + 1
    return len(samples)


def matched_length(samples, start, prompt, block=SAMPLE_RATE // 50):
    """How many samples from start follow prompt, in 20 ms blocks: the
    part of a prompt that the hub cut short (a key pressed during it)."""
    length = 0
    while length + block <= len(prompt.sound):
        part = prompt.sound[length:length + block]
        norm = math.sqrt(sum(map(operator.mul, part, part)))
        if norm and correlation(samples, start + length, part, norm) < 0.5:
            break
        length += block
    return length


def best_prompt(samples, onset, prompts, min_score):
    """The prompt that starts at onset, as (score, shift, prompt, partial),
    or None. partial is True for a prompt of which only the beginning
    matches."""
    candidates = []
    for prompt in prompts:
        best = (0.0, 0)
        for shift in range(-SHIFT_SAMPLES, SHIFT_SAMPLES + 1):
            score = correlation(samples, onset + shift, prompt.probe,
                                prompt.probe_norm)
            if score > best[0]:
                best = (score, shift)
        if best[0] >= min_score:
            candidates.append((best[0], best[1], prompt))
    candidates.sort(key=lambda c: -c[0])
    # Every candidate is scored in full: prompts with a common first word
    # ("tháng ...") all match the probe.
    scored = []
    for _, shift, prompt in candidates:
        score = correlation(samples, onset + shift, prompt.sound, prompt.norm)
        scored.append((score, shift, prompt))
    scored.sort(key=lambda c: -c[0])
    if scored and scored[0][0] >= min_score:
        return scored[0] + (False,)
    # A prompt cut short matches only its beginning.
    if candidates and candidates[0][0] >= 0.9:
        return candidates[0] + (True,)
    return None


def decode(samples, prompts, min_score, start_seconds):
    heard = []
    position = int(start_seconds * SAMPLE_RATE)
    while True:
        onset = next_onset(samples, position)
        if onset is None:
            break
        found = best_prompt(samples, onset, prompts, min_score)
        if found is None:
            end = next_silence(samples, onset)
            heard.append({"name": "?", "start": round(onset / SAMPLE_RATE, 3),
                          "end": round(end / SAMPLE_RATE, 3)})
            position = end
            continue
        score, shift, prompt, partial = found
        start = onset + shift
        length = (matched_length(samples, start, prompt) if partial
                  else len(prompt.sound))
        entry = {"name": prompt.name, "aliases": prompt.aliases,
                 "start": round(start / SAMPLE_RATE, 3),
                 "end": round((start + length) / SAMPLE_RATE, 3),
                 "score": round(score, 3)}
        if partial:
            entry["partial"] = True
        heard.append(entry)
        position = start + max(length, 1)
    return heard


# --- RTP receiver ------------------------------------------------------------

def send_silence(sock, remote, state):
    """Sends the next 20 ms of PCMU silence to remote."""
    header = struct.pack("!BBHII", 0x80, 0, state["sequence"] & 0xFFFF,
                         state["timestamp"] & 0xFFFFFFFF, 0x5EED0001)
    sock.sendto(header + b"\xff" * 160, remote)
    state["sequence"] += 1
    state["timestamp"] += 160


class RtpRecord:
    """What an RTP receiver got: every packet's header fields and arrival
    times, the G.711 audio by RTP timestamp, and the RFC 4733 events."""

    def __init__(self):
        self.started = time.monotonic()
        self.packets = []
        self.audio = {}
        self.events = []
        self.first_timestamp = None

    def add(self, data):
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        payload_type = data[1] & 0x7F
        sequence, timestamp, ssrc = struct.unpack("!HII", data[2:12])
        payload = data[12 + 4 * (data[0] & 0x0F):]
        self.packets.append({"t": round(time.monotonic() - self.started, 4),
                             "wall": round(time.time(), 4),
                             "pt": payload_type, "seq": sequence,
                             "ts": timestamp, "ssrc": ssrc})
        if payload_type in (0, 8) and payload:
            if self.first_timestamp is None:
                self.first_timestamp = timestamp
            linear = (audioop.ulaw2lin(payload, 2) if payload_type == 0
                      else audioop.alaw2lin(payload, 2))
            offset = (timestamp - self.first_timestamp) & 0xFFFFFFFF
            self.audio[offset] = linear
        elif len(payload) >= 4:
            event, flags, duration = struct.unpack("!BBH", payload[:4])
            self.events.append({"ts": timestamp, "event": event,
                                "end": bool(flags & 0x80),
                                "duration": duration})

    def samples(self):
        """The audio placed by RTP timestamp, gaps as silence."""
        samples = array.array("h")
        for offset in sorted(self.audio):
            # Offsets beyond 2^31 come from a timestamp that went back.
            if offset >= 1 << 31:
                continue
            if offset > len(samples):
                samples.extend(array.array("h",
                                           bytes(2 * (offset - len(samples)))))
            chunk = array.array("h", self.audio[offset])
            samples[offset:offset + len(chunk)] = chunk
        return samples

    def write(self, out):
        write_wav(out + ".wav", self.samples())
        audio = [p for p in self.packets if p["pt"] in (0, 8)]
        with open(out + ".json", "w") as f:
            json.dump({"packets": len(self.packets),
                       "audio_packets": len(audio),
                       "ssrcs": sorted({p["ssrc"] for p in self.packets}),
                       "payload_types": sorted({p["pt"] for p in self.packets}),
                       "times": [p["t"] for p in audio],
                       "wall_times": [p["wall"] for p in audio],
                       "events": self.events}, f)


def rtp_sink(port, out, seconds, reply):
    """Receives RTP on 127.0.0.1:port and writes what it got: OUT.wav and
    OUT.json (packet counts, arrival times of audio packets from the start
    and as Unix time, SSRCs, payload types and RFC 4733 events).

    With reply, it also sends PCMU silence every 20 ms to the source of
    the first packet, as a caller does. The hub sends to the address its
    caller's packets come from (symmetric RTP), and it ends a call whose
    caller sends nothing for media_timeout_seconds."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    record = RtpRecord()
    remote = None
    silence = {"sequence": 1, "timestamp": 0}
    next_send = 0.0

    while not stopping and (seconds is None or
                            time.monotonic() - record.started < seconds):
        replying = reply and remote is not None
        if replying and time.monotonic() >= next_send:
            send_silence(sock, remote, silence)
            next_send = max(next_send + 0.02, time.monotonic() - 0.1)
        sock.settimeout(max(0.001, next_send - time.monotonic())
                        if replying else 0.1)
        try:
            data, source = sock.recvfrom(2048)
        except socket.timeout:
            continue
        if remote is None:
            remote = source
            next_send = time.monotonic()
        record.add(data)

    record.write(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("info")
    command.add_argument("wav")
    command = commands.add_parser("segments")
    command.add_argument("wav")
    command.add_argument("--floor", type=float, default=200,
                         help="RMS of a 10 ms frame that counts as sound (200)")
    command.add_argument("--min-silence-ms", type=int, default=400,
                         help="shorter silences join two segments (400)")
    command = commands.add_parser("decode")
    command.add_argument("wav")
    command.add_argument("prompts_dir")
    command.add_argument("--min-score", type=float, default=0.8,
                         help="lowest normalized correlation of a match (0.8)")
    command.add_argument("--from", dest="start", type=float, default=0.0,
                         help="seconds of WAV to skip (0)")
    command = commands.add_parser("aliases")
    command.add_argument("prompts_dir")
    command = commands.add_parser("rtp-sink")
    command.add_argument("port", type=int)
    command.add_argument("out", help="path without .wav or .json")
    command.add_argument("--seconds", type=float,
                         help="stop after this long (default: at SIGTERM)")
    command.add_argument("--reply", action="store_true",
                         help="send PCMU silence back to the first source")
    args = parser.parse_args()

    if args.command == "rtp-sink":
        rtp_sink(args.port, args.out, args.seconds, args.reply)
        return 0
    if args.command == "aliases":
        print(json.dumps({p.name: p.aliases for p in load_prompts(args.prompts_dir)
                          if len(p.aliases) > 1}))
        return 0
    samples = load_wav(args.wav)
    if args.command == "info":
        result = info(samples)
    elif args.command == "segments":
        result = {"segments": speech_segments(samples, args.floor,
                                              args.min_silence_ms)}
    else:
        result = {"heard": decode(samples, load_prompts(args.prompts_dir),
                                  args.min_score, args.start)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
