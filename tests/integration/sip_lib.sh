# shellcheck shell=bash
# Globals such as SIPP_STATUS and SIP_CALL are read by the test files.
# shellcheck disable=SC2034
#
# Real SIP peers for the IVR's integration tests, sourced after lib.sh: a
# hub with the channels.sip section on free ports of 127.0.0.1, SIPp
# (sip-tester 3.6.1) running the scenarios of tests/integration/sipp/,
# baresip 1.0.0 as a headless caller driven over ctrl_tcp, and the media
# files the callers send (RFC 4733 pcaps, in-band DTMF tones, speech).
#
# Every peer listens and sends on 127.0.0.1 only. The hub's SIP stack
# resolves host names with a resolver file that names only 127.0.0.1.
#
# SIPp 3.6.1 facts the scenarios rely on: play_pcap_audio and rtp_stream
# take a file name literally or from a keyword ("-key NAME VALUE", written
# [NAME]), never from a variable; <pause variable="NAME"/> takes a global
# variable set with "-set NAME MS", declared in <Global variables=.../>.

SIP_DIR=$TOP/tests/integration
SIP_SCENARIOS=$SIP_DIR/sipp
SIP_AUDIO=$SIP_DIR/sip_audio.py
SIP_PCAP=$SIP_DIR/sip_dtmf_pcap.py
SIP_PROMPTS_DIR=$TOP/prompts
# The Vietnamese prompts as the hub plays them: SIP_PROMPTS_DIR/vi, or a copy
# with the replacements of sip_prompts_shorten.
SIP_HEARD_DIR=$SIP_PROMPTS_DIR/vi

# --- Settings of the next sip_hub_start ---------------------------------------

SIP_RING_MS=0
SIP_NO_INPUT_SECONDS=2
SIP_MEDIA_TIMEOUT_SECONDS=5
SIP_MAX_RECORDING_SECONDS=10
SIP_MAX_CALL_SECONDS=120
SIP_MENU_FILE=${SIP_MENU_FILE:-$TOP/ivr/menu.json}
# Replacements of rendered prompts ({vi,en}/NAME.wav), or "" for none.
SIP_PROMPTS_OVERRIDE_DIR=""
# Extra members of the channels.sip section (',"max_calls": 2').
SIP_CHANNEL_EXTRA=""

# --- State ----------------------------------------------------------------------

SIP_PORT=""
SIP_RTP_MIN=""
SIP_RTP_MAX=""
SIP_RESOLV_CONF=""
# Result of the last sipp_run or sipp_wait.
SIPP_STATUS=""
SIPP_DIR=""
SIPP_PID=""
SIPP_CALL_ID=""
SIPP_COUNT=0
# SIP and media ports of the last sipp_start.
SIPP_LOCAL_PORT=""
SIPP_MEDIA_PORT=""
# The caller's number (From user) of the next sipp_start, and the RTP port
# that a scenario with [rtp_port] in its SDP names ("": the SIPp media
# port). Only calls_hold.xml names [rtp_port]: the other scenarios name
# [media_port], because SIPp 3.6.1 sends play_pcap_audio packets from port
# 0 unless [media_port] is on the SDP's m= line.
SIPP_CALLER=0912345678
SIPP_RTP_PORT=""
# The Request-URI user of the next sipp_start.
SIPP_SERVICE=ivr
# The call record found by the last sip_call_wait (JSON).
SIP_CALL=""

sip_require() {
	local missing=()
	command -v sipp >/dev/null || missing+=("sipp (apt-get install sip-tester)")
	command -v baresip >/dev/null ||
		missing+=("baresip (apt-get install baresip-core)")
	command -v espeak-ng >/dev/null ||
		missing+=("espeak-ng (apt-get install espeak-ng)")
	command -v sox >/dev/null || missing+=("sox (apt-get install sox)")
	[ -f "$HUB_MODULES_DIR/sip.so" ] ||
		missing+=("$HUB_MODULES_DIR/sip.so (run make)")
	if [ ${#missing[@]} -gt 0 ]; then
		echo "missing: ${missing[*]}" >&2
		exit 1
	fi
}
sip_require

# Prints a port of 127.0.0.1 that is free now for UDP and TCP, from 20000
# to 24999; port ranges come from 25000 up, so the two never overlap.
sip_free_udp_port() {
	python3 - <<'PYTHON'
import random, socket
# Below the kernel's ephemeral range, so no client socket takes the port
# between this check and the hub's bind; free for UDP and TCP alike, since
# the hub listens on both.
for _ in range(200):
    port = random.randrange(20000, 25000)
    sockets = []
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            sockets.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in sockets:
            s.close()
    print(port)
    break
PYTHON
}

# Prints the first port of N consecutive free UDP ports, even.
sip_free_udp_range() {
	python3 - "$1" <<'PYTHON'
import random, socket, sys
count = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(25000, 32700 - count) & ~1
    sockets = []
    try:
        for port in range(base, base + count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in sockets:
            s.close()
    print(base)
    break
else:
    sys.exit("no free UDP port range of %d" % count)
PYTHON
}

# --- The hub --------------------------------------------------------------------

# sip_hub_config: prints the channels.sip section for SIP_PORT.
sip_hub_config() {
	local override=""
	if [ -n "$SIP_PROMPTS_OVERRIDE_DIR" ]; then
		override="\"prompts_override_dir\": \"$SIP_PROMPTS_OVERRIDE_DIR\","
	fi
	cat <<JSON
"sip": {
	"listen": "127.0.0.1:$SIP_PORT",
	"domain": "127.0.0.1",
	"rtp_address": "127.0.0.1",
	"rtp_port_min": $SIP_RTP_MIN,
	"rtp_port_max": $SIP_RTP_MAX,
	"resolv_conf": "$SIP_RESOLV_CONF",
	"ring_ms": $SIP_RING_MS,
	"no_input_seconds": $SIP_NO_INPUT_SECONDS,
	"media_timeout_seconds": $SIP_MEDIA_TIMEOUT_SECONDS,
	"max_recording_seconds": $SIP_MAX_RECORDING_SECONDS,
	"max_call_seconds": $SIP_MAX_CALL_SECONDS,
	"menu_file": "$SIP_MENU_FILE",
	"prompts_dir": "$SIP_PROMPTS_DIR",
	$override
	"recordings_dir": "$TEST_TMP/recordings",
	"trace": true$SIP_CHANNEL_EXTRA
}
JSON
}

# sip_hub_start [DATA_DIR]: starts a hub with the web channel, the sip
# channel and the sections of SIP_OTHER_CHANNELS on free ports (on DATA_DIR
# to restart on existing data) and waits until /sip/status responds.
# Returns 1 when it does not come up.
# shellcheck disable=SC2120 # the argument is optional
sip_hub_start() {
	SIP_PORT=$(sip_free_udp_port)
	SIP_RTP_MIN=$(sip_free_udp_range 40)
	SIP_RTP_MAX=$((SIP_RTP_MIN + 39))
	SIP_RESOLV_CONF=$TEST_TMP/resolv.conf
	echo "nameserver 127.0.0.1" >"$SIP_RESOLV_CONF"
	mkdir -p "$TEST_TMP/recordings"
	HUB_CHANNELS_EXTRA=$(sip_hub_config)${SIP_OTHER_CHANNELS:+, $SIP_OTHER_CHANNELS}
	hub_start "$@" || return 1
	sip_status_get
	if [ "$API_STATUS" != 200 ]; then
		fail "GET /sip/status after start-up: HTTP $API_STATUS"
		return 1
	fi
}

sip_status_get() {
	api GET /sip/status
}

# sip_idle_wait [SECONDS]: waits until /sip/status shows no call on either
# thread; records a failure otherwise.
sip_idle_wait() {
	local deadline=$((SECONDS + ${1:-10})) calls=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		sip_status_get
		calls=$(python3 -c '
import json, sys
status = json.loads(sys.argv[1])
print(status["sip_calls"] + status["media_calls"])
' "$API_BODY" 2>/dev/null || echo "?")
		[ "$calls" = 0 ] && return 0
		sleep 0.2
	done
	fail "/sip/status still shows calls after ${1:-10} s: $(lib_shorten "$API_BODY")"
	return 1
}

# sip_status_field PATH: prints a field of /sip/status ("digits.info").
sip_status_field() {
	sip_status_get
	json_get "$API_BODY" "$1" || true
}

# sip_log_check_clean: records a failure for every error line that the hub
# logged since the case began, and for any sanitizer report.
sip_log_check_clean() {
	local errors
	errors=$(tail -n "+$((CASE_LOG_START + 1))" "$HUB_LOG" |
		grep -E ' error [a-z_]+: |AddressSanitizer|LeakSanitizer|runtime error:' ||
		true)
	if [ -n "$errors" ]; then
		fail "the hub logged errors: $(lib_shorten "$errors")"
	fi
}

# --- Call records -----------------------------------------------------------------

# sip_call_get CALL_ID: sets SIP_CALL to the stored record of the call with
# SIP Call-ID CALL_ID, or "" when there is none yet.
sip_call_get() {
	SIP_CALL=""
	api_admin GET "/api/v1/calls?limit=200"
	[ "$API_STATUS" = 200 ] || return 0
	SIP_CALL=$(python3 -c '
import json, sys
body = json.loads(sys.argv[1])
calls = body["calls"] if isinstance(body, dict) else body
for call in calls:
    if call.get("call_id") == sys.argv[2]:
        print(json.dumps(call))
        break
' "$API_BODY" "$1" 2>/dev/null || true)
}

# sip_call_wait CALL_ID [SECONDS]: waits until the call record of CALL_ID is
# stored and sets SIP_CALL to it. Records a failure when it is not stored
# within SECONDS (10).
sip_call_wait() {
	local deadline=$((SECONDS + ${2:-10}))
	while [ "$SECONDS" -lt "$deadline" ]; do
		sip_call_get "$1"
		[ -n "$SIP_CALL" ] && return 0
		sleep 0.2
	done
	fail "no call record of Call-ID $1 within ${2:-10} s" \
		"(last GET /api/v1/calls: HTTP $API_STATUS)"
	return 1
}

# sip_call_field NAME: prints a field of SIP_CALL (strings raw, the rest as
# JSON).
sip_call_field() {
	json_get "$SIP_CALL" "$1" || true
}

# sip_ticket_get CODE: sets API_BODY to the ticket's detail (admin API).
sip_ticket_get() {
	api_admin GET "/api/v1/tickets/$1"
}

# --- Media files for the callers ------------------------------------------------

# sip_pcap KEYS OUT [OPTIONS...]: writes an RFC 4733 pcap of KEYS (see
# sip_dtmf_pcap.py).
sip_pcap() {
	python3 "$SIP_PCAP" "$@"
}

# sip_tones_wav KEYS OUT: writes KEYS as in-band DTMF, 100 ms of tone and
# 100 ms of silence each, to a u-law WAV for SIPp's rtp_stream. A comma is
# one second of silence.
sip_tones_wav() {
	local keys=$1 out=$2 dir key low high i=0
	local -a parts=()
	dir=$(mktemp -d "$TEST_TMP/tones.XXXXXX")
	while [ -n "$keys" ]; do
		key=${keys:0:1}
		keys=${keys:1}
		i=$((i + 1))
		case $key in
		1) low=697 high=1209 ;; 2) low=697 high=1336 ;; 3) low=697 high=1477 ;;
		4) low=770 high=1209 ;; 5) low=770 high=1336 ;; 6) low=770 high=1477 ;;
		7) low=852 high=1209 ;; 8) low=852 high=1336 ;; 9) low=852 high=1477 ;;
		'*') low=941 high=1209 ;; 0) low=941 high=1336 ;; '#') low=941 high=1477 ;;
		A) low=697 high=1633 ;; B) low=770 high=1633 ;;
		C) low=852 high=1633 ;; D) low=941 high=1633 ;;
		,)
			sox -n -r 8000 -c 1 -b 16 "$dir/$i.wav" trim 0 1
			parts+=("$dir/$i.wav")
			continue
			;;
		*)
			echo "sip_tones_wav: invalid key $key" >&2
			return 1
			;;
		esac
		# synth makes one channel per sine; remix 1,2 adds them into one.
		sox -n -r 8000 -b 16 "$dir/$i.wav" synth 0.1 sine "$low" \
			sine "$high" remix 1,2 gain -10 pad 0 0.1
		parts+=("$dir/$i.wav")
	done
	sox "${parts[@]}" -e u-law -t wav "$out"
	rm -rf "$dir"
}

# sip_speech_wav TEXT OUT_PCM OUT_ULAW: renders TEXT with espeak-ng as 8 kHz
# mono 16-bit PCM (what the hub should store) and as u-law WAV (what SIPp's
# rtp_stream sends).
sip_speech_wav() {
	espeak-ng -v vi-vn-x-south -s 150 --stdout "$1" |
		sox -q -t wav - -r 8000 -c 1 -b 16 -e signed-integer "$2" \
			norm -3 highpass 300 lowpass 3400
	sox "$2" -e u-law -t wav "$3"
}

# sip_wav_seconds WAV: prints the length of WAV in seconds.
sip_wav_seconds() {
	python3 "$SIP_AUDIO" info "$1" | python3 -c \
		'import json, sys; print(json.load(sys.stdin)["duration"])'
}

# sip_ms SECONDS: prints SECONDS (a decimal) as whole milliseconds.
sip_ms() {
	python3 -c 'import sys; print(round(float(sys.argv[1]) * 1000))' "$1"
}

# --- SIPp -------------------------------------------------------------------------

# sipp_start SCENARIO [@NAME=FILE...] [SIPP_ARGS...]: runs
# tests/integration/sipp/SCENARIO.xml for one call against the hub
# (SIP_PORT, or SIPP_TARGET when set) in the background, in its own folder
# ($SIPP_DIR, with its logs). Each @NAME=FILE copies FILE to NAME in that
# folder, where the scenario opens its media files (rtp_stream takes no
# keyword). The call's Call-ID is $SIPP_CALL_ID. The SIP port
# ($SIPP_LOCAL_PORT) and the media port ($SIPP_MEDIA_PORT, -mp) are free,
# and so are the three ports after the media port. The keywords [caller]
# (SIPP_CALLER) and [rtp_port] (SIPP_RTP_PORT, or the media port) are set.
sipp_start() {
	local scenario=$1 port media file
	shift
	SIPP_COUNT=$((SIPP_COUNT + 1))
	SIPP_DIR=$TEST_TMP/sipp-$SIPP_COUNT-$scenario
	mkdir -p "$SIPP_DIR"
	sipp_defaults_write "$SIPP_DIR"
	while [ $# -gt 0 ] && [ "${1:0:1}" = @ ]; do
		file=${1#@}
		cp "${file#*=}" "$SIPP_DIR/${file%%=*}"
		shift
	done
	port=$(sip_free_udp_port)
	media=$(sip_free_udp_range 4)
	SIPP_LOCAL_PORT=$port
	SIPP_MEDIA_PORT=$media
	SIPP_CALL_ID="test-$SIPP_COUNT-$$-$RANDOM@127.0.0.1"
	SIPP_STATUS=""
	(
		cd "$SIPP_DIR" &&
			exec sipp -sf "$SIP_SCENARIOS/$scenario.xml" \
				"${SIPP_TARGET:-127.0.0.1:$SIP_PORT}" -s "$SIPP_SERVICE" \
				-i 127.0.0.1 -p "$port" -mp "$media" \
				-key caller "$SIPP_CALLER" \
				-key rtp_port "${SIPP_RTP_PORT:-$media}" -m 1 -timeout 90 \
				-timeout_error -cid_str "$SIPP_CALL_ID" \
				-trace_err -trace_msg -nostdin "$@" \
				>"$SIPP_DIR/stdout" 2>&1 </dev/null
	) &
	SIPP_PID=$!
	HUB_PIDS+=("$SIPP_PID")
}

# Writes the media files that the scenarios open unless a test gives its
# own: one second of u-law silence as silence.wav and stream.wav, and pcaps
# without packets as keys.pcap, keys1.pcap and keys2.pcap.
sipp_defaults_write() {
	local empty=$TEST_TMP/sipp-empty.pcap silence=$TEST_TMP/sipp-silence.wav
	if [ ! -s "$silence" ]; then
		sox -n -r 8000 -c 1 -e u-law -t wav "$silence" trim 0 1
		python3 -c '
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
' "$empty"
	fi
	cp "$silence" "$1/silence.wav"
	cp "$silence" "$1/stream.wav"
	cp "$empty" "$1/keys.pcap"
	cp "$empty" "$1/keys1.pcap"
	cp "$empty" "$1/keys2.pcap"
}

# sipp_wait: waits for the SIPp of sipp_start and sets SIPP_STATUS to its
# exit status. A status other than 0 (a call failed) is recorded as a
# failure with the end of SIPp's error log.
sipp_wait() {
	SIPP_STATUS=0
	wait "$SIPP_PID" || SIPP_STATUS=$?
	if [ "$SIPP_STATUS" != 0 ]; then
		fail "sipp $(basename "$SIPP_DIR") exited with $SIPP_STATUS:" \
			"$(sipp_errors)"
	fi
}

# sipp_run SCENARIO [SIPP_ARGS...]: sipp_start, then sipp_wait.
sipp_run() {
	sipp_start "$@"
	sipp_wait
}

# Prints the end of the last SIPp's error log, without the notice that every
# run writes when it closes its sockets.
sipp_errors() {
	cat "$SIPP_DIR"/*_errors.log 2>/dev/null |
		grep -v -e 'Failed to delete FD from epoll' \
			-e '^The following events occurred:' |
		tail -n 5 | tr '\n' ' '
}

# --- baresip -------------------------------------------------------------------------

BARESIP_DIR=""
BARESIP_PID=""
BARESIP_CTRL_PORT=""
BARESIP_SIP_PORT=""
BARESIP_EVENTS=""
BARESIP_EVENTS_PID=""
BARESIP_RESPONSE=""
BARESIP_FIFO=""
BARESIP_COUNT=0
# answermode of the next baresip_start: "manual" for a caller, "auto" for
# a baresip that answers calls.
BARESIP_ANSWERMODE=manual
# The user part of the next baresip_start's own URI.
BARESIP_USER=caller
# The name of the baresip that the functions below drive (see
# baresip_select), and the saved state of the others.
BARESIP_NAME=""
declare -A BARESIP_SAVED=()
# The state that each baresip has of its own.
BARESIP_STATE="BARESIP_DIR BARESIP_PID BARESIP_CTRL_PORT BARESIP_SIP_PORT
	BARESIP_EVENTS BARESIP_EVENTS_PID BARESIP_RESPONSE BARESIP_FIFO"

# baresip_select NAME: makes the baresip started as NAME the one that the
# baresip_* functions drive, so that a suite can run several at once. The
# state of the one driven until now is kept for a later baresip_select.
baresip_select() {
	local var
	[ "$1" = "$BARESIP_NAME" ] && return 0
	for var in $BARESIP_STATE; do
		[ -n "$BARESIP_NAME" ] && BARESIP_SAVED[$BARESIP_NAME.$var]=${!var}
		printf -v "$var" '%s' "${BARESIP_SAVED[$1.$var]-}"
	done
	BARESIP_NAME=$1
}

# baresip_start NAME SOURCE_WAV: starts baresip as a headless caller in
# $TEST_TMP/baresip-NAME, as sip:BARESIP_USER@127.0.0.1:BARESIP_SIP_PORT,
# and selects it (baresip_select NAME). SOURCE_WAV (8 kHz mono 16-bit) is
# its microphone; baresip ends a call when the file ends, so make it longer
# than the call. sndfile writes what it sends (*-enc.wav) and hears
# (*-dec.wav) to $BARESIP_DIR/rec. Events of ctrl_tcp are logged to
# $BARESIP_EVENTS, one JSON object a line.
baresip_start() {
	local name=$1 source=$2 rtp_base
	baresip_select "$name"
	BARESIP_DIR=$TEST_TMP/baresip-$name
	mkdir -p "$BARESIP_DIR/rec"
	BARESIP_SIP_PORT=$(sip_free_udp_port)
	BARESIP_CTRL_PORT=$(lib_free_port)
	rtp_base=$(sip_free_udp_range 20)
	cat >"$BARESIP_DIR/accounts" <<CONF
<sip:$BARESIP_USER@127.0.0.1:$BARESIP_SIP_PORT>;regint=0;answermode=$BARESIP_ANSWERMODE;audio_codecs=pcmu,pcma;ptime=20
CONF
	# The whole config is written: a folder without one makes baresip
	# write a template that listens on every address.
	cat >"$BARESIP_DIR/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:$BARESIP_SIP_PORT
net_interface		127.0.0.1
call_local_timeout	120
call_max_calls		1
audio_source		aufile,$source
audio_player		alsa,null
audio_alert		alsa,null
ausrc_format		s16
auplay_format		s16
auenc_format		s16
audec_format		s16
audio_buffer		20-160
rtp_ports		$rtp_base-$((rtp_base + 19))
rtcp_mux		no
jitter_buffer_delay	5-10
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			alsa.so
module			sndfile.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
snd_path		$BARESIP_DIR/rec
ctrl_tcp_listen		127.0.0.1:$BARESIP_CTRL_PORT
CONF
	baresip -f "$BARESIP_DIR" </dev/null >"$BARESIP_DIR/baresip.log" 2>&1 &
	BARESIP_PID=$!
	HUB_PIDS+=("$BARESIP_PID")
	if ! baresip_events_start; then
		fail "baresip did not open ctrl_tcp on port $BARESIP_CTRL_PORT:" \
			"$(tail -n 5 "$BARESIP_DIR/baresip.log" | tr '\n' ' ')"
		return 1
	fi
}

# Keeps the one ctrl_tcp connection open: baresip 1.0.0 sends responses
# and events only to its newest connection. Commands are written to the
# FIFO $BARESIP_DIR/commands, one JSON object a line, and a line "pause MS"
# delays the ones after it. Every response and event is appended to
# $BARESIP_EVENTS, one JSON object a line.
baresip_events_start() {
	BARESIP_EVENTS=$BARESIP_DIR/events.jsonl
	BARESIP_FIFO=$BARESIP_DIR/commands
	: >"$BARESIP_EVENTS"
	rm -f "$BARESIP_FIFO"
	mkfifo "$BARESIP_FIFO"
	python3 - "$BARESIP_CTRL_PORT" "$BARESIP_EVENTS" "$BARESIP_FIFO" \
		>"$BARESIP_DIR/ctrl.log" 2>&1 <<'PYTHON' &
import os, selectors, socket, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("ctrl_tcp did not accept a connection within 10 s")
        time.sleep(0.05)
# Opened read-write, so that the FIFO never reports end of file.
fifo = os.open(sys.argv[3], os.O_RDWR | os.O_NONBLOCK)
selector = selectors.DefaultSelector()
selector.register(connection, selectors.EVENT_READ)
selector.register(fifo, selectors.EVENT_READ)
received = commands = b""
queue = []
send_at = 0.0
with open(sys.argv[2], "ab", buffering=0) as events:
    events.write(b'{"connected":true}\n')
    while True:
        # A line "pause MS" delays the commands queued after it.
        while queue and time.monotonic() >= send_at:
            line = queue.pop(0)
            if line.startswith(b"pause "):
                send_at = time.monotonic() + int(line[6:]) / 1000
            else:
                connection.sendall(b"%d:%s," % (len(line), line))
        timeout = max(0.0, send_at - time.monotonic()) if queue else None
        for key, _ in selector.select(timeout):
            if key.fileobj == fifo:
                commands += os.read(fifo, 65536)
                while b"\n" in commands:
                    line, _, commands = commands.partition(b"\n")
                    queue.append(line)
                continue
            chunk = connection.recv(65536)
            if not chunk:
                sys.exit(0)
            received += chunk
            # Netstrings: LENGTH ":" JSON ",".
            while b":" in received:
                length, _, rest = received.partition(b":")
                if len(rest) < int(length) + 1:
                    break
                events.write(rest[:int(length)] + b"\n")
                received = rest[int(length) + 1:]
PYTHON
	BARESIP_EVENTS_PID=$!
	HUB_PIDS+=("$BARESIP_EVENTS_PID")
	local deadline=$((SECONDS + 10))
	until grep -q connected "$BARESIP_EVENTS"; do
		kill -0 "$BARESIP_EVENTS_PID" 2>/dev/null || return 1
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# baresip_command COMMAND [PARAMS]: sends one ctrl_tcp command and sets
# BARESIP_RESPONSE to baresip's response (JSON). Returns 1, with a failure
# recorded, when the response is missing or not ok.
baresip_command() {
	baresip_send "$@"
	baresip_response_check "$1 ${2:-}" "$BARESIP_COUNT"
}

# baresip_send COMMAND [PARAMS]: baresip_command without the check; waits
# up to 5 s for the response. PARAMS must not contain '"' or '\'.
baresip_send() {
	BARESIP_COUNT=$((BARESIP_COUNT + 1))
	printf '{"command":"%s","params":"%s","token":"t%d"}\n' "$1" "${2:-}" \
		"$BARESIP_COUNT" >"$BARESIP_FIFO"
	baresip_response_wait "$BARESIP_COUNT" 5
}

# Waits up to $2 seconds for the response to command number $1 and sets
# BARESIP_RESPONSE to it ("" when none came).
baresip_response_wait() {
	local deadline=$((SECONDS + $2))
	BARESIP_RESPONSE=""
	while [ "$SECONDS" -le "$deadline" ]; do
		BARESIP_RESPONSE=$(grep -F "\"token\":\"t$1\"" "$BARESIP_EVENTS" |
			grep -F '"response":true' | head -n 1 || true)
		[ -n "$BARESIP_RESPONSE" ] && return 0
		sleep 0.05
	done
}

# Records a failure (about command $1) unless BARESIP_RESPONSE is ok.
baresip_response_check() {
	if [[ "$BARESIP_RESPONSE" != *'"ok":true'* ]]; then
		fail "baresip command $1: response \"$BARESIP_RESPONSE\""
		return 1
	fi
}

# baresip_event_wait TYPE [SECONDS]: waits until baresip reported an event
# of TYPE (CALL_ESTABLISHED, CALL_CLOSED...). Records a failure and returns
# 1 when it does not come within SECONDS (10).
baresip_event_wait() {
	local deadline=$((SECONDS + ${2:-10}))
	until grep -q "\"type\":\"$1\"" "$BARESIP_EVENTS"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "baresip reported no $1 within ${2:-10} s"
			return 1
		fi
		sleep 0.05
	done
}

# baresip_keys KEYS [GAP_SECONDS]: sends each key as RFC 4733 (sndcode), one
# command a key, GAP_SECONDS (0.3) apart, paced by the ctrl_tcp client, and
# waits for every response. Returns 1 with a failure recorded when one is
# not ok.
baresip_keys() {
	local keys=$1 key first=$((BARESIP_COUNT + 1)) lines="" number gap_ms
	gap_ms=$(awk -v seconds="${2:-0.3}" 'BEGIN { printf "%d", seconds * 1000 }')
	while [ -n "$keys" ]; do
		key=${keys:0:1}
		keys=${keys:1}
		BARESIP_COUNT=$((BARESIP_COUNT + 1))
		lines+=$(printf '{"command":"sndcode","params":"%s","token":"t%d"}' \
			"$key" "$BARESIP_COUNT")$'\n'"pause $gap_ms"$'\n'
	done
	printf '%s' "$lines" >"$BARESIP_FIFO"
	for number in $(seq "$first" "$BARESIP_COUNT"); do
		baresip_response_wait "$number" 10
		baresip_response_check "sndcode (key $((number - first + 1)) of $1)" || return 1
	done
}

# baresip_recording: prints the path of what baresip heard (the newest
# *-dec.wav).
baresip_recording() {
	find "$BARESIP_DIR/rec" -name '*-dec.wav' -printf '%T@ %p\n' |
		sort -n | tail -n 1 | cut -d' ' -f2-
}

# baresip_stop: quits baresip (sndfile closes its files) and its event
# logger.
baresip_stop() {
	local deadline=$((SECONDS + 5))
	[ -n "$BARESIP_PID" ] || return 0
	baresip_send quit
	while kill -0 "$BARESIP_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.05
	done
	kill "$BARESIP_PID" 2>/dev/null || true
	wait "$BARESIP_PID" 2>/dev/null || true
	kill "$BARESIP_EVENTS_PID" 2>/dev/null || true
	wait "$BARESIP_EVENTS_PID" 2>/dev/null || true
	BARESIP_PID=""
}

# --- Audio checks ------------------------------------------------------------------

# sip_heard WAV [FROM_SECONDS]: prints the prompts heard in WAV as lines
# "START END NAME [partial]" (see sip_audio.py decode), using the Vietnamese
# prompts of SIP_HEARD_DIR. "partial" marks a prompt cut short by a key.
sip_heard() {
	python3 "$SIP_AUDIO" decode "$1" "$SIP_HEARD_DIR" --from "${2:-0}" |
		python3 -c '
import json, sys
for item in json.load(sys.stdin)["heard"]:
    print(item["start"], item["end"], item["name"],
          "partial" if item.get("partial") else "")
'
}

# sip_prompt_seconds NAME...: prints the summed length of the prompts NAME
# as the hub plays them (SIP_HEARD_DIR), in seconds.
sip_prompt_seconds() {
	python3 - "$SIP_HEARD_DIR" "$@" <<'PYTHON'
import os, sys, wave
total = 0.0
for name in sys.argv[2:]:
    with wave.open(os.path.join(sys.argv[1], name + ".wav")) as w:
        total += w.getnframes() / w.getframerate()
print(round(total, 3))
PYTHON
}

# sip_prompts_shorten NAME...: replaces the prompts NAME in both languages by
# a short English rendering of the name (prompts_override_dir), so that a
# call reaches the menus under test sooner. SIP_HEARD_DIR becomes the
# Vietnamese prompts as the hub will play them, for sip_heard.
sip_prompts_shorten() {
	local name language
	SIP_PROMPTS_OVERRIDE_DIR=$TEST_TMP/prompts-short
	SIP_HEARD_DIR=$TEST_TMP/prompts-heard
	mkdir -p "$SIP_PROMPTS_OVERRIDE_DIR/vi" "$SIP_PROMPTS_OVERRIDE_DIR/en" \
		"$SIP_HEARD_DIR"
	cp "$SIP_PROMPTS_DIR"/vi/*.wav "$SIP_HEARD_DIR/"
	for name in "$@"; do
		for language in vi en; do
			espeak-ng -v en-us -s 170 --stdout "${name//_/ }" |
				sox -q -t wav - -r 8000 -c 1 -b 16 -e signed-integer \
					"$SIP_PROMPTS_OVERRIDE_DIR/$language/$name.wav" \
					norm -3 highpass 300 lowpass 3400
		done
		cp "$SIP_PROMPTS_OVERRIDE_DIR/vi/$name.wav" "$SIP_HEARD_DIR/"
	done
}

# --- A receiver in place of the caller's RTP port ----------------------------------

SIP_SINK_PID=""
SIP_SINK_PORT=""
SIP_SINK_OUT=""

# sip_sink_start NAME: receives RTP on a free port of 127.0.0.1 (SIP_SINK_PORT)
# until sip_sink_stop, which writes $SIP_SINK_OUT.wav and .json (see
# sip_audio.py rtp-sink). It sends silence back to the first source, so
# that the hub latches on it and keeps the call. Give the port to
# calls_hold.xml as SIPP_RTP_PORT.
sip_sink_start() {
	SIP_SINK_PORT=$(sip_free_udp_port)
	SIP_SINK_OUT=$TEST_TMP/sink-$1
	python3 "$SIP_AUDIO" rtp-sink "$SIP_SINK_PORT" "$SIP_SINK_OUT" \
		--seconds 120 --reply 2>"$SIP_SINK_OUT.err" &
	SIP_SINK_PID=$!
	HUB_PIDS+=("$SIP_SINK_PID")
}

sip_sink_stop() {
	[ -n "$SIP_SINK_PID" ] || return 0
	kill -TERM "$SIP_SINK_PID" 2>/dev/null || true
	wait "$SIP_SINK_PID" 2>/dev/null || true
	SIP_SINK_PID=""
	if [ ! -s "$SIP_SINK_OUT.json" ]; then
		fail "the RTP receiver wrote nothing: $(cat "$SIP_SINK_OUT.err")"
	fi
}

# --- The desk ---------------------------------------------------------------------------

# sip_desk_config: prints top-level config members with one department and
# every category that SIP_MENU_FILE names (any member "category"), each with
# a deadline of 5 working days, since the hub checks the menu's categories
# against the desk's. Web requests get the first category, so that their
# tickets have a deadline for the status prompt to read.
sip_desk_config() {
	python3 - "$SIP_MENU_FILE" <<'PYTHON'
import json, sys

def categories(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "category" and isinstance(value, str) and value:
                found.append(value)
            else:
                categories(value, found)
    elif isinstance(node, list):
        for value in node:
            categories(value, found)
    return found

with open(sys.argv[1]) as f:
    ids = list(dict.fromkeys(categories(json.load(f), [])))
desk = {
    "departments": [{"id": "tiep-nhan", "name_vi": "Bộ phận tiếp nhận",
                     "name_en": "Intake"}],
    "categories": [{"id": i, "name_vi": i, "name_en": i,
                    "department": "tiep-nhan",
                    "deadline": {"working_days": 5}} for i in ids],
    "channel_categories": {"web": ids[0]} if ids else {},
}
print(json.dumps(desk, ensure_ascii=False)[1:-1])
PYTHON
}

# --- The prompts the hub plays -------------------------------------------------

# sip_status_names CODE STATUS [DUE_AT]: prints the prompt names of a
# ticket's status in Vietnamese: status_intro, the code, the status phrase
# and, for a deadline (ISO 8601), due_intro and the day in Asia/Ho_Chi_Minh
# as "ngày D tháng M năm Y" in Vietnamese number words.
sip_status_names() {
	python3 - "$@" <<'PYTHON'
import datetime, sys

def below_100(n):
    if n < 20:
        return ["num_%d" % n]
    words = ["num_%d" % (n // 10 * 10)]
    unit = n % 10
    if unit in (1, 4, 5):
        words.append("num_%d_after_tens" % unit)
    elif unit:
        words.append("num_%d" % unit)
    return words

def below_1000(n, after_thousands):
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds or after_thousands:
        words += ["num_%d" % hundreds, "num_hundred"]
    if rest == 0:
        return words
    if words and rest < 10:
        return words + ["num_zero_tens", "num_%d" % rest]
    return words + below_100(rest)

def number(n):
    if n == 0:
        return ["num_0"]
    thousands, rest = divmod(n, 1000)
    words = below_1000(thousands, False) + ["num_thousand"] if thousands else []
    return words + (below_1000(rest, bool(thousands)) if rest else [])

code, status = sys.argv[1], sys.argv[2]
names = ["status_intro"]
for i, digit in enumerate(code):
    if i in (4, 8):
        names.append("silence_300")
    names.append("num_" + digit)
names.append("status_" + status)
if len(sys.argv) > 3 and sys.argv[3] not in ("", "null"):
    due = datetime.datetime.fromisoformat(sys.argv[3])
    day = due.astimezone(datetime.timezone(datetime.timedelta(hours=7)))
    names += ["due_intro", "date_day_early" if day.day <= 10 else "date_day"]
    names += number(day.day)
    names += ["month_%d" % day.month, "date_year"] + number(day.year)
print(" ".join(names))
PYTHON
}

# sipp_message_time sent|received START CSEQ: prints the Unix time (seconds)
# at which the last SIPp run first sent or received a message whose first
# line starts with START ("SIP/2.0 200", "INVITE") and whose CSeq header is
# CSEQ ("2 INVITE"), from its message trace; nothing when there is none.
sipp_message_time() {
	python3 - "$SIPP_DIR" "$@" <<'PYTHON'
import datetime, glob, re, sys
folder, direction, start, cseq = sys.argv[1:5]
for path in glob.glob(folder + "/*_messages.log"):
    text = open(path, errors="replace").read()
    for block in re.split(r"^-{20,} ", text, flags=re.M):
        lines = block.split("\n")
        match = re.match(r"(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)", lines[0])
        if not match or len(lines) < 4 or direction not in lines[1]:
            continue
        if not lines[3].startswith(start):
            continue
        if not any(line.strip() == "CSeq: " + cseq for line in lines[3:]):
            continue
        stamp = datetime.datetime.strptime(" ".join(match.groups()),
                                           "%Y-%m-%d %H:%M:%S.%f")
        print(stamp.timestamp())
        sys.exit(0)
PYTHON
}

# check_between WHAT LOW HIGH GOT (integers)
check_between() {
	if [ "${4:-x}" -lt "$2" ] 2>/dev/null || [ "${4:-x}" -gt "$3" ] 2>/dev/null ||
		! [ "${4:-x}" -eq "${4:-x}" ] 2>/dev/null; then
		fail "$1: expected $2 to $3, got \"${4:-}\""
	fi
}

# Writes the prompts of SIP_HEARD_DIR that sound the same as another, as
# JSON {first name: [names]} (see sip_audio.py aliases), to
# $TEST_TMP/aliases.json once, and prints that path.
sip_aliases_file() {
	local file=$TEST_TMP/aliases.json
	[ -s "$file" ] || python3 "$SIP_AUDIO" aliases "$SIP_HEARD_DIR" >"$file"
	printf '%s' "$file"
}

# check_heard WHAT EXPECTED HEARD: records a failure unless the prompt
# names HEARD (from sip_heard, which names prompts that sound the same by
# the first of them) are the names EXPECTED, one for one.
check_heard() {
	if ! python3 - "$2" "$3" "$(sip_aliases_file)" <<'PYTHON'
import json, sys
groups = json.load(open(sys.argv[3]))
expected, heard = sys.argv[1].split(), sys.argv[2].split()
sys.exit(len(expected) != len(heard) or
         any(e != h and e not in groups.get(h, []) for e, h in zip(expected, heard)))
PYTHON
	then
		fail "$1: expected \"$2\", got \"$3\""
	fi
}

# sip_heard_digits NAMES: prints the digits that the prompt names NAMES
# (num_0 to num_9, or a prompt that sounds the same, from sip_heard) stand
# for, "?" for any other name.
sip_heard_digits() {
	python3 - "$1" "$(sip_aliases_file)" <<'PYTHON'
import json, re, sys
groups = json.load(open(sys.argv[2]))
digits = []
for name in sys.argv[1].split():
    found = [m.group(1) for m in map(re.compile(r"num_(\d)$").match,
                                     groups.get(name, [name])) if m]
    digits.append(found[0] if found else "?")
print("".join(digits))
PYTHON
}
