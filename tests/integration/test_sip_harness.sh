#!/usr/bin/env bash
# The SIP test harness itself, without the hub's IVR: the RFC 4733 pcaps
# for SIPp (a repeated key must be an event of its own), SIPp's streamed
# audio as baresip records it, and the recognition of prompts in a
# recording that went through G.711 and baresip. When test_sip_calls or
# test_sip_baresip fails and this passes, look at the hub first.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

# --- The pcap writer ----------------------------------------------------------------

case_begin "pcap repeated key own timestamp"
sip_pcap '11#' "$TEST_TMP/keys.pcap" --ssrc 0x1234
EVENTS=$(python3 - "$TEST_TMP/keys.pcap" <<'PYTHON'
import struct, sys
data = open(sys.argv[1], "rb").read()
offset, events = 24, {}
sequences = []
while offset < len(data):
    length = struct.unpack("<I", data[offset + 8:offset + 12])[0]
    rtp = data[offset + 16 + 42:offset + 16 + length]
    offset += 16 + length
    sequence, timestamp, ssrc = struct.unpack("!HII", rtp[2:12])
    event, flags, duration = struct.unpack("!BBH", rtp[12:16])
    sequences.append(sequence)
    events.setdefault((ssrc, timestamp), set()).add(event)
    assert rtp[1] & 0x7F == 101, "payload type"
print(len(events), len(set(sequences)) == len(sequences),
      " ".join(str(sorted(e)[0]) for _, e in sorted(events.items())))
PYTHON
)
check_equal "events, distinct sequence numbers, event codes" "3 True 1 1 11" "$EVENTS"
case_end

# --- SIPp's media into baresip ------------------------------------------------------------

case_begin "sipp speech reaches baresip"
sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/silence.wav" trim 0 30
BARESIP_ANSWERMODE=auto baresip_start answer "$TEST_TMP/silence.wav"
sip_speech_wav "Một hai ba bốn năm sáu bảy tám chín mười" \
	"$TEST_TMP/speech.wav" "$TEST_TMP/speech-ulaw.wav"
SPEECH_SECONDS=$(sip_wav_seconds "$TEST_TMP/speech.wav")
SIPP_TARGET=127.0.0.1:$BARESIP_SIP_PORT SIPP_SERVICE=caller sipp_run calls_dial \
	@stream.wav="$TEST_TMP/speech-ulaw.wav" \
	-set wait1 500 -set wait2 500 \
	-set wait3 "$(python3 -c "print(round($SPEECH_SECONDS * 1000 + 500))")" \
	-set wait4 300
baresip_event_wait CALL_CLOSED 10
baresip_stop
# Sound from the start of the first to the end of the last segment of at
# least 100 ms.
SPAN='
import json, sys
segments = [(start, end) for start, end in json.load(sys.stdin)["segments"]
            if end - start >= 0.1]
print(round(segments[-1][1] - segments[0][0], 2) if segments else 0)'
HEARD_SPEECH=$(python3 "$SIP_AUDIO" segments --min-silence-ms 100 \
	"$(baresip_recording)" | python3 -c "$SPAN")
SENT_SPEECH=$(python3 "$SIP_AUDIO" segments --min-silence-ms 100 \
	"$TEST_TMP/speech.wav" | python3 -c "$SPAN")
echo "# speech sent ${SENT_SPEECH} s, baresip heard ${HEARD_SPEECH} s"
check_between "speech baresip heard (ms) within 10 % of the sent" \
	"$(python3 -c "print(round($SENT_SPEECH * 900))")" \
	"$(python3 -c "print(round($SENT_SPEECH * 1100))")" \
	"$(python3 -c "print(round($HEARD_SPEECH * 1000))")"
case_end

# --- Prompt recognition through G.711 ---------------------------------------------------------

case_begin "prompts found in echoed audio"
SENT="report_saved num_3 num_1 num_4 num_1 num_5 num_9 num_2 num_6 num_5 num_3 code_again status_new"
FILES=()
for name in $SENT; do
	FILES+=("$SIP_PROMPTS_DIR/vi/$name.wav")
done
sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/lead.wav" trim 0 0.7
sox "$TEST_TMP/lead.wav" "${FILES[@]}" "$TEST_TMP/prompts.wav" pad 0 3
# Silence after the prompts for the rest of the call: baresip hangs up at
# the end of its source file.
sox "$TEST_TMP/prompts.wav" "$TEST_TMP/prompts-source.wav" pad 0 30
PROMPTS_SECONDS=$(sip_wav_seconds "$TEST_TMP/prompts.wav")
sipp_start calls_uas_echo -rtp_echo
UAS_DIR=$SIPP_DIR
BARESIP_ANSWERMODE=manual baresip_start echo "$TEST_TMP/prompts-source.wav"
baresip_command dial "sip:echo@127.0.0.1:$SIPP_LOCAL_PORT"
baresip_event_wait CALL_ESTABLISHED 10
sleep "$PROMPTS_SECONDS"
baresip_command hangup
baresip_event_wait CALL_CLOSED 10
baresip_stop
sipp_wait
check_equal "sipp answering side" "" "$(SIPP_DIR=$UAS_DIR sipp_errors)"
HEARD=$(sip_heard "$(baresip_recording)" | awk '$3 != "?" { printf "%s%s", sep, $3; sep = " " }')
check_heard "prompts heard" "$SENT" "$HEARD"
case_end

tests_done
