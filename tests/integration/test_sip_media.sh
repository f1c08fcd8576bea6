#!/usr/bin/env bash
# The IVR's media thread with real callers. Keys come from SIPp's bundled
# RFC 4733 pcaps (one SSRC, three end packets with one sequence number),
# from generated pcaps with repeated keys, from baresip (distinct sequence
# numbers) and from in-band tones. Then symmetric RTP, hold, and the end of
# a call in progress at shutdown. /sip/status counts the keys where the
# media thread reports them to the call, before the menu sees them.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

SIPP_PCAPS=/usr/share/sip-tester
MEDIA_SINK_PID=""

# One department with the categories that ivr/menu.json names.
HUB_CONFIG_EXTRA=$(sip_desk_config)

# media_digits: prints the key counters of /sip/status as
# "RFC4733 INFO INBAND".
media_digits() {
	sip_status_get
	python3 -c '
import json, sys
digits = json.loads(sys.argv[1])["digits"]
print(digits["rfc4733"], digits["info"], digits["inband"])
' "$API_BODY"
}

# media_check_keys BEFORE RFC4733 INBAND: checks the growth of the key
# counters since BEFORE (output of media_digits).
media_check_keys() {
	local before=$1 rfc_before info_before inband_before rfc info inband
	read -r rfc_before info_before inband_before <<<"$before"
	read -r rfc info inband <<<"$(media_digits)"
	check_equal "RFC 4733 keys" "$2" $((rfc - rfc_before))
	check_equal "in-band keys" "$3" $((inband - inband_before))
	check_equal "INFO keys" 0 $((info - info_before))
}

# media_silence_ulaw SECONDS OUT: writes SECONDS of u-law silence.
media_silence_ulaw() {
	sox -n -r 8000 -c 1 -e u-law -t wav "$2" trim 0 "$1"
}

# media_dial KEYS1 STREAM KEYS2 WAIT1 WAIT2 WAIT3 WAIT4: one call of
# calls_dial.xml (see there) with these media files and pauses (ms). SIPp
# plays in the background and a new pcap or stream cuts the one before, so
# WAIT2 + WAIT3 must cover KEYS1 and WAIT3 the stream.
media_dial() {
	sipp_run calls_dial "@keys1.pcap=$1" "@stream.wav=$2" "@keys2.pcap=$3" \
		-set wait1 "$4" -set wait2 "$5" -set wait3 "$6" -set wait4 "$7"
}

# media_sink_start PORT NAME: receives RTP on PORT into $TEST_TMP/NAME.json
# (see sip_audio.py rtp-sink) until media_sink_stop.
media_sink_start() {
	python3 "$SIP_AUDIO" rtp-sink "$1" "$TEST_TMP/$2" &
	MEDIA_SINK_PID=$!
	HUB_PIDS+=("$MEDIA_SINK_PID")
	sleep 0.3
}

media_sink_stop() {
	kill -TERM "$MEDIA_SINK_PID" 2>/dev/null || true
	wait "$MEDIA_SINK_PID" || true
}

# media_sink_field NAME EXPRESSION: prints a Python expression over the
# sink's result "r" (packets, times...).
media_sink_field() {
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
' "$TEST_TMP/$1.json" "$2"
}

sip_hub_start || exit 1
media_silence_ulaw 0.5 "$TEST_TMP/silence.wav"
sip_pcap "," "$TEST_TMP/nokeys.pcap"

# --- RFC 4733 ---------------------------------------------------------------------

case_begin "bundled pcaps give one key each"
before=$(media_digits)
media_dial "$SIPP_PCAPS/dtmf_2833_1.pcap" "$TEST_TMP/silence.wav" \
	"$SIPP_PCAPS/dtmf_2833_pound.pcap" 600 100 300 600
sip_idle_wait 10
media_check_keys "$before" 2 0
sip_call_wait "$SIPP_CALL_ID"
check_equal "DTMF methods of the call" '["rfc4733"]' \
	"$(sip_call_field dtmf_methods | tr -d ' ')"
sip_log_check_clean
case_end

# SIPp sends a pcap unchanged, so the same pcap twice repeats the SSRC and
# the timestamp: to the hub that is one press sent again.
case_begin "replayed pcap is one press"
before=$(media_digits)
media_dial "$SIPP_PCAPS/dtmf_2833_5.pcap" "$TEST_TMP/silence.wav" \
	"$SIPP_PCAPS/dtmf_2833_5.pcap" 600 100 300 600
sip_idle_wait 10
media_check_keys "$before" 1 0
sip_log_check_clean
case_end

case_begin "repeated keys with new timestamps count"
sip_pcap "1122" "$TEST_TMP/repeat1.pcap" --start-ms 0
sip_pcap "#" "$TEST_TMP/repeat2.pcap" --start-ms 10000
before=$(media_digits)
media_dial "$TEST_TMP/repeat1.pcap" "$TEST_TMP/silence.wav" \
	"$TEST_TMP/repeat2.pcap" 600 100 1400 600
sip_idle_wait 10
media_check_keys "$before" 5 0
sip_log_check_clean
case_end

case_begin "baresip keys with distinct sequence numbers"
sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/baresip-source.wav" trim 0 60
before=$(media_digits)
baresip_start keys "$TEST_TMP/baresip-source.wav"
baresip_command dial "sip:ivr@127.0.0.1:$SIP_PORT"
baresip_event_wait CALL_ESTABLISHED 10
sleep 1
baresip_keys "2112" 0.4
sleep 0.5
baresip_command hangup
baresip_event_wait CALL_CLOSED 10
baresip_stop
sip_idle_wait 10
# baresip sends its microphone too, so in-band detection ran until the
# first event and found nothing in the silence.
media_check_keys "$before" 4 0
sip_log_check_clean
case_end

# --- In-band ------------------------------------------------------------------------

# "2", then a ten-digit code and "#": the menu prompts for a code and
# waits, so the call lasts as long as the tones.
case_begin "in-band tones give one key each"
sip_tones_wav "20123456789#" "$TEST_TMP/tones.wav"
before=$(media_digits)
media_dial "$TEST_TMP/nokeys.pcap" "$TEST_TMP/tones.wav" \
	"$TEST_TMP/nokeys.pcap" 600 0 2800 300
sip_idle_wait 10
media_check_keys "$before" 0 12
sip_call_wait "$SIPP_CALL_ID"
check_equal "DTMF methods of the call" '["inband"]' \
	"$(sip_call_field dtmf_methods | tr -d ' ')"
sip_log_check_clean
case_end

# --- Symmetric RTP and hold -----------------------------------------------------------

# The SDP names the sink's port, and SIPp sends its keys from another
# port: the hub moves to that port at the first packet.
case_begin "hub latches on the caller's source"
SIPP_RTP_PORT=$(sip_free_udp_port)
media_sink_start "$SIPP_RTP_PORT" latch
sipp_run calls_latch "@keys1.pcap=$SIPP_PCAPS/dtmf_2833_3.pcap" \
	"@stream.wav=$TEST_TMP/silence.wav" "@keys2.pcap=$TEST_TMP/nokeys.pcap" \
	-set wait1 1000 -set wait2 100 -set wait3 1500 -set wait4 100
SIPP_RTP_PORT=""
media_sink_stop
sip_idle_wait 10
# SIPp streams silence from its own port from the ACK on: the hub sends to
# the SDP address until that first packet, and never after 1.6 s.
check_ge "packets at the SDP address" 1 \
	"$(media_sink_field latch 'r["audio_packets"]')"
check_equal "packets at the SDP address after 1.6 s" 0 \
	"$(media_sink_field latch 'sum(1 for t in r["times"] if t > r["times"][0] + 1.6)')"
check_ge "latches in the log" 1 \
	"$(grep -c 'sending to a new address.*reason=caller_source' "$HUB_LOG")"
sip_log_check_clean
case_end

case_begin "hold stops sending"
SIPP_RTP_PORT=$(sip_free_udp_port)
media_sink_start "$SIPP_RTP_PORT" hold
sipp_run calls_hold "@keys.pcap=$TEST_TMP/nokeys.pcap" -set wait1 800 \
	-set wait2 1500 -set wait3 800
SIPP_RTP_PORT=""
media_sink_stop
sip_idle_wait 10
# The maximum gap between two packets is the hold (1.5 s), give or take
# the signalling.
check_ge "longest gap in ms" 1200 "$(media_sink_field hold \
	'round(1000 * max(b - a for a, b in zip(r["times"], r["times"][1:])))')"
check_ge "packets after the hold" 20 "$(media_sink_field hold \
	'len(r["times"]) - 1 - max(range(len(r["times"]) - 1), key=lambda i: r["times"][i + 1] - r["times"][i])')"
sip_log_check_clean
case_end

# --- Shutdown -------------------------------------------------------------------------

case_begin "shutdown ends a call in progress"
sipp_start calls_dial "@keys1.pcap=$TEST_TMP/nokeys.pcap" \
	"@stream.wav=$TEST_TMP/silence.wav" "@keys2.pcap=$TEST_TMP/nokeys.pcap" \
	-set wait1 5000 -set wait2 0 -set wait3 0 -set wait4 0
sleep 1.5
check_equal "media calls before the stop" 1 "$(sip_status_field media_calls)"
hub_stop
wait "$SIPP_PID" || true
check_ge "calls ended at shutdown" 1 \
	"$(grep -c 'call ended.*reason=shutdown' "$HUB_LOG")"
check_ge "media thread stopped" 1 \
	"$(grep -c 'media: media thread stopped' "$HUB_LOG")"
sip_log_check_clean
case_end

tests_done
