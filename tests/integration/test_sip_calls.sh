#!/usr/bin/env bash
# The IVR with SIPp as the caller: a voice report (RFC 4733 keys from
# pcaps, speech streamed as PCMU), a voicemail and a report in English
# right after the language switch, ticket status requests
# with RFC 4733 keys, SIP INFO and in-band tones, a caller who hangs up
# during a prompt, one who holds and resumes, one who never presses a
# key, and a CANCEL while the hub rings. Each call must end with its record stored, no call left on
# /sip/status and no error in the hub's log.
#
# The menu is the repository's ivr/menu.json. The long menu prompts are
# replaced (prompts_override_dir) by short ones, so that a call reaches
# the part under test sooner; digits, status phrases and dates are the
# rendered prompts.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

CALLER=0912345678
CALLER_E164=+84912345678
VOICEMAIL_CALLER=0987654321
VOICEMAIL_CALLER_E164=+84987654321
SPEECH="Đèn đường trước nhà số mười hai đường Lê Lợi bị hỏng từ tối hôm qua."

sip_prompts_shorten welcome recording_notice for_english main_menu \
	main_menu_voicemail category_menu record_intro enter_code report_saved \
	code_again goodbye no_input invalid_choice code_invalid voicemail \
	voicemail_direct
HUB_CONFIG_EXTRA=$(sip_desk_config)
sip_hub_start || exit 1

# Seconds from the answer until the main menu takes keys: the welcome
# and the recording notice cannot be interrupted.
GREETING=$(sip_prompt_seconds welcome recording_notice)
SPEECH_WAV=$TEST_TMP/speech.wav
sip_speech_wav "$SPEECH" "$SPEECH_WAV" "$TEST_TMP/speech-ulaw.wav"
SPEECH_SECONDS=$(sip_wav_seconds "$SPEECH_WAV")

# ms MILLISECONDS_EXPRESSION: prints a python expression as an integer.
ms() {
	python3 -c "print(round($1))"
}

# sipp_wait_for PID DIR CALL_ID: sipp_wait for a call that sipp_start began
# while others ran.
sipp_wait_for() {
	SIPP_PID=$1
	SIPP_DIR=$2
	SIPP_CALL_ID=$3
	sipp_wait
}

# case_end_clean: the checks that every call ends with: no call left on
# /sip/status, no error logged during the case.
case_end_clean() {
	sip_idle_wait 10
	sip_log_check_clean
	case_end
}

# ticket_view DETAIL EXPRESSION: prints a Python expression over the
# ticket t of a detail response (strings raw, the rest as JSON).
ticket_view() {
	python3 -c '
import json, sys
t = json.loads(sys.argv[1])["ticket"]
attachments = [a for m in t.get("messages", []) for a in m.get("attachments", [])]
value = eval(sys.argv[2])
print(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
' "$1" "$2" 2>/dev/null || true
}

# --- A voice report ------------------------------------------------------------

# The report and a voicemail run at the same time.
# 1 (new report), then 2 (the category) half a second later.
sip_pcap 1,2 "$TEST_TMP/report-menu.pcap" --pause-ms 500
sip_pcap '#' "$TEST_TMP/report-end.pcap"
CATEGORY=$(python3 -c '
import json, sys
menu = json.load(open(sys.argv[1]))
print(menu["nodes"]["category"]["choices"]["2"]["category"])' "$SIP_MENU_FILE")
# The beep ends record_intro; the speech starts 0.3 s after it.
SIPP_CALLER=$CALLER sipp_start calls_report \
	@keys1.pcap="$TEST_TMP/report-menu.pcap" \
	@stream.wav="$TEST_TMP/speech-ulaw.wav" \
	@keys2.pcap="$TEST_TMP/report-end.pcap" \
	-set wait1 "$(ms "($GREETING + 0.4) * 1000")" \
	-set wait2 "$(ms "(1.0 + $(sip_prompt_seconds record_intro beep) + 0.3) * 1000")" \
	-set wait3 "$(ms "($SPEECH_SECONDS + 0.4) * 1000")"
REPORT_CALL=("$SIPP_PID" "$SIPP_DIR" "$SIPP_CALL_ID")

# 0: without a transfer_uri the caller leaves a voicemail after the
# voicemail_direct prompt (no word of busy operators) and the beep.
sip_pcap 0 "$TEST_TMP/voicemail-menu.pcap"
SIPP_CALLER=$VOICEMAIL_CALLER sipp_start calls_report \
	@keys1.pcap="$TEST_TMP/voicemail-menu.pcap" \
	@stream.wav="$TEST_TMP/speech-ulaw.wav" \
	@keys2.pcap="$TEST_TMP/report-end.pcap" \
	-set wait1 "$(ms "($GREETING + 0.4) * 1000")" \
	-set wait2 "$(ms "(0.5 + $(sip_prompt_seconds voicemail_direct beep) + 0.3) * 1000")" \
	-set wait3 "$(ms "($SPEECH_SECONDS + 0.4) * 1000")"
VOICEMAIL_CALL=("$SIPP_PID" "$SIPP_DIR" "$SIPP_CALL_ID")

case_begin "report by rfc4733 opens ticket"
sipp_wait_for "${REPORT_CALL[@]}"
REPORT_CALL_ID=$SIPP_CALL_ID
sip_call_wait "$REPORT_CALL_ID" 15
check_equal "end reason" completed "$(sip_call_field end_reason)"
check_equal "caller" "$CALLER_E164" "$(sip_call_field caller)"
check_equal "dtmf methods" '["rfc4733"]' "$(sip_call_field dtmf_methods)"
check_contains "path" "$(sip_call_field path)" record
REPORT_CODE=$(sip_call_field ticket_code)
check_match "ticket code of the call" "$REPORT_CODE" '^[0-9]{10}$'
RECORDING_MS=$(sip_call_field recording_ms)
check_between "recording_ms against the speech sent" \
	"$(ms "$SPEECH_SECONDS * 1000 - 200")" \
	"$(ms "$SPEECH_SECONDS * 1000 + 2000")" "$RECORDING_MS"
sip_log_check_clean
case_end

case_begin "report ticket has recording and contact"
admin_codes
check_contains "codes of the admin ticket list" "$ADMIN_CODES" "$REPORT_CODE"
sip_ticket_get "$REPORT_CODE"
check_status 200
DETAIL=$API_BODY
check_equal "category" "$CATEGORY" "$(ticket_view "$DETAIL" 't["category"]')"
check_equal "channel" sip "$(ticket_view "$DETAIL" 't["channel"]')"
check_contains "contacts" "$(ticket_view "$DETAIL" '[c["value"] for c in t["contacts"]]')" \
	"\"$CALLER_E164\""
check_equal "calls of the ticket" "[\"$REPORT_CALL_ID\"]" \
	"$(ticket_view "$DETAIL" '[c["call_id"] for c in t["calls"]]')"
ATTACHMENT_ID=$(ticket_view "$DETAIL" '[a["id"] for a in attachments][0]')
check_equal "recording attachment of the call" "$ATTACHMENT_ID" \
	"$(ticket_view "$DETAIL" 't["calls"][0]["recording_attachment_id"]')"
api_admin GET "/api/v1/tickets/$REPORT_CODE/attachments/$ATTACHMENT_ID"
check_status 200
cp "$API_BODY_FILE" "$TEST_TMP/recording.wav"
RECORDING=$(python3 "$SIP_AUDIO" info "$TEST_TMP/recording.wav" 2>&1 || true)
RECORDING_SECONDS=$(json_get "$RECORDING" duration || echo 0)
check_between "attachment length (ms) against the speech sent" \
	"$(ms "$SPEECH_SECONDS * 1000 - 200")" \
	"$(ms "$SPEECH_SECONDS * 1000 + 2000")" "$(ms "$RECORDING_SECONDS * 1000")"
# The speech sent was normalized to -3 dBFS: its RMS is in the thousands,
# and silence or a lost stream stays near 0.
check_ge "recording RMS" 500 "$(ms "$(json_get "$RECORDING" rms || echo 0)")"
# Sound from the start of the first to the end of the last segment of at
# least 100 ms: a click where the caller's stream changes is no speech.
SPAN='
import json, sys
segments = [(start, end) for start, end in json.load(sys.stdin)["segments"]
            if end - start >= 0.1]
print(round(segments[-1][1] - segments[0][0], 2) if segments else 0)'
SPOKEN=$(python3 "$SIP_AUDIO" segments --min-silence-ms 100 \
	"$TEST_TMP/recording.wav" | python3 -c "$SPAN")
SENT_SPOKEN=$(python3 "$SIP_AUDIO" segments --min-silence-ms 100 \
	"$SPEECH_WAV" | python3 -c "$SPAN")
echo "# recording ${RECORDING_SECONDS} s with ${SPOKEN} s of speech;" \
	"sent ${SPEECH_SECONDS} s with ${SENT_SPOKEN} s of speech"
check_between "speech in the recording (ms) within 15 % of the sent" \
	"$(ms "$SENT_SPOKEN * 850")" "$(ms "$SENT_SPOKEN * 1150")" \
	"$(ms "$SPOKEN * 1000")"
case_end

case_begin "voicemail opens ticket without category"
sipp_wait_for "${VOICEMAIL_CALL[@]}"
sip_call_wait "$SIPP_CALL_ID" 15
check_equal "end reason" completed "$(sip_call_field end_reason)"
check_equal "caller" "$VOICEMAIL_CALLER_E164" "$(sip_call_field caller)"
# No REFER was sent, so the path has no transfer step.
check_equal "path" "main:0 voicemail" "$(sip_call_field path)"
VOICEMAIL_CODE=$(sip_call_field ticket_code)
check_match "ticket code of the call" "$VOICEMAIL_CODE" '^[0-9]{10}$'
check_not_equal "ticket of the voicemail" "$REPORT_CODE" "$VOICEMAIL_CODE"
sip_ticket_get "$VOICEMAIL_CODE"
check_status 200
check_equal "category" null "$(ticket_view "$API_BODY" 't["category"]')"
check_contains "contacts" "$(ticket_view "$API_BODY" '[c["value"] for c in t["contacts"]]')" \
	"\"$VOICEMAIL_CALLER_E164\""
check_equal "recording attachments" 1 "$(ticket_view "$API_BODY" 'len(attachments)')"
case_end_clean

# 9 (English): the English recording notice plays to its end, and 1 stops
# the main menu that follows it. 1 then picks the category, and the record
# action goes straight to record_intro: the notice does not play again,
# so the speech and # that come right after the beep file the report.
case_begin "english report right after switch"
NOTICE_GAP_MS=$(ms "($(sip_prompt_seconds recording_notice) + 0.6) * 1000")
sip_pcap 9,1,1 "$TEST_TMP/english-menu.pcap" --pause-ms "$NOTICE_GAP_MS"
SIPP_CALLER=$CALLER sipp_run calls_report \
	@keys1.pcap="$TEST_TMP/english-menu.pcap" \
	@stream.wav="$TEST_TMP/speech-ulaw.wav" \
	@keys2.pcap="$TEST_TMP/report-end.pcap" \
	-set wait1 "$(ms "($GREETING + 0.4) * 1000")" \
	-set wait2 "$(ms "0.7 + 2 * $NOTICE_GAP_MS + \
		($(sip_prompt_seconds record_intro beep) + 0.3) * 1000")" \
	-set wait3 "$(ms "($SPEECH_SECONDS + 0.4) * 1000")"
sip_call_wait "$SIPP_CALL_ID" 15
check_equal "end reason" completed "$(sip_call_field end_reason)"
check_equal "language" en "$(sip_call_field language)"
check_equal "path" "main:9 main:1 category:1 record" "$(sip_call_field path)"
ENGLISH_CALL=$(sed -n "s/.*sip: call=\([0-9]*\) INVITE call_id=$SIPP_CALL_ID .*/\1/p" \
	"$HUB_LOG" | tail -n 1)
ENGLISH_PLAYS=$(grep "play call=${ENGLISH_CALL:-x} language=en " "$HUB_LOG" |
	sed 's/.*items="\(.*\)"/\1/')
echo "# english plays: $(printf '%s' "$ENGLISH_PLAYS" | tr '\n' '|')"
check_equal "english plays with the notice" 1 \
	"$(printf '%s\n' "$ENGLISH_PLAYS" | grep -c recording_notice)"
check_contains "english plays" "$ENGLISH_PLAYS" "record_intro beep"
ENGLISH_CODE=$(sip_call_field ticket_code)
check_match "ticket code of the call" "$ENGLISH_CODE" '^[0-9]{10}$'
sip_ticket_get "$ENGLISH_CODE"
check_status 200
check_equal "ticket language" en "$(ticket_view "$API_BODY" 't["language"]')"
check_equal "recording attachments" 1 "$(ticket_view "$API_BODY" 'len(attachments)')"
case_end_clean

# --- Ticket status ------------------------------------------------------------------

submit "tra cứu qua tổng đài"
STATUS_CODE=$SUBMIT_CODE
sip_ticket_get "$STATUS_CODE"
STATUS_NAMES=$(sip_status_names "$STATUS_CODE" \
	"$(ticket_view "$API_BODY" 't["status"]')" \
	"$(ticket_view "$API_BODY" 't.get("due_at")')")
# shellcheck disable=SC2086 # one prompt name per word
STATUS_SECONDS=$(sip_prompt_seconds $STATUS_NAMES)

# check_status_call METHOD: the record of the last SIPp call looked the
# status of STATUS_CODE up with keys of METHOD, and the ticket lists it.
check_status_call() {
	sip_call_wait "$SIPP_CALL_ID" 10
	check_equal "end reason" caller "$(sip_call_field end_reason)"
	check_equal "dtmf methods" "[\"$1\"]" "$(sip_call_field dtmf_methods)"
	check_contains "path" "$(sip_call_field path)" status
	check_equal "ticket of the call" "$STATUS_CODE" "$(sip_call_field ticket_code)"
	sip_ticket_get "$STATUS_CODE"
	check_contains "calls of the ticket" \
		"$(ticket_view "$API_BODY" '[c["call_id"] for c in t["calls"]]')" \
		"\"$SIPP_CALL_ID\""
}

# The three status calls run at the same time, so that the hub also
# serves concurrent calls.

# 2 (status), then the code and # 300 ms apart, each key an event with its
# own RTP timestamp, so that a repeated digit counts twice.
sip_pcap "2,${STATUS_CODE}#" "$TEST_TMP/status-keys.pcap" --pause-ms 500
sipp_start calls_dial @keys1.pcap="$TEST_TMP/status-keys.pcap" \
	-set wait1 "$(ms "($GREETING + 0.4) * 1000")" \
	-set wait2 "$(ms "(0.8 + 0.3 * 11) * 1000")" -set wait3 1000 \
	-set wait4 "$(ms "($STATUS_SECONDS + 1.0) * 1000")"
RFC4733_CALL=("$SIPP_PID" "$SIPP_DIR" "$SIPP_CALL_ID")

# 2 (status), then the code and # as INFO dtmf-relay, 250 ms apart.
sipp_start calls_info -set keys "2${STATUS_CODE}#" \
	-set wait1 "$(ms "($GREETING + 0.4) * 1000")" -set wait2 250 \
	-set wait3 "$(ms "($STATUS_SECONDS + 1.0) * 1000")"
INFO_CALL=("$SIPP_PID" "$SIPP_DIR" "$SIPP_CALL_ID")

# The same keys as tones of 100 ms with 100 ms of silence after each.
sip_tones_wav "2${STATUS_CODE}#" "$TEST_TMP/tones.wav"
TONES_SECONDS=$(python3 -c "print(0.2 * $((${#STATUS_CODE} + 2)))")
sipp_start calls_dial @stream.wav="$TEST_TMP/tones.wav" \
	-set wait1 0 -set wait2 "$(ms "($GREETING + 0.4) * 1000")" \
	-set wait3 "$(ms "($TONES_SECONDS + 0.2) * 1000")" \
	-set wait4 "$(ms "($STATUS_SECONDS + 1.0) * 1000")"
INBAND_CALL=("$SIPP_PID" "$SIPP_DIR" "$SIPP_CALL_ID")

case_begin "status by rfc4733 pcap"
sipp_wait_for "${RFC4733_CALL[@]}"
check_status_call rfc4733
sip_log_check_clean
case_end

case_begin "status by sip info"
sipp_wait_for "${INFO_CALL[@]}"
check_status_call info
check_ge "INFO keys on /sip/status" 12 "$(sip_status_field digits.info)"
sip_log_check_clean
case_end

case_begin "status by inband tones"
sipp_wait_for "${INBAND_CALL[@]}"
check_status_call inband
case_end_clean

# A phone that sends every key twice, as INFO and as a tone in its audio:
# the tones start with the INFOs and keep their pace, 200 ms a key. The
# code is taken once, so the lookup finds the ticket.
case_begin "keys sent twice count once"
INFO_WAIT1_MS=$(ms "($GREETING + 0.4) * 1000")
sox -n -r 8000 -c 1 -e u-law -t wav "$TEST_TMP/lead.wav" \
	trim 0 "$(python3 -c "print($INFO_WAIT1_MS / 1000)")"
sox -n -r 8000 -c 1 -e u-law -t wav "$TEST_TMP/tail.wav" trim 0 30
sox "$TEST_TMP/lead.wav" "$TEST_TMP/tones.wav" "$TEST_TMP/tail.wav" \
	"$TEST_TMP/info-tones.wav"
sipp_run calls_info "@silence.wav=$TEST_TMP/info-tones.wav" \
	-set keys "2${STATUS_CODE}#" -set wait1 "$INFO_WAIT1_MS" -set wait2 200 \
	-set wait3 "$(ms "($STATUS_SECONDS + 1.0) * 1000")"
check_status_call info
check_contains "copies in the log" "$(cat "$HUB_LOG")" "key dropped as a copy"
case_end_clean

# The same status request with SIP over TCP: one connection carries the
# INVITE, the INFOs and the BYE.
case_begin "status call over tcp"
sipp_run calls_info -t t1 -set keys "2${STATUS_CODE}#" \
	-set wait1 "$INFO_WAIT1_MS" -set wait2 250 \
	-set wait3 "$(ms "($STATUS_SECONDS + 1.0) * 1000")"
check_status_call info
check_contains "hub's answer over tcp" "$(cat "$SIPP_DIR"/*_messages.log)" \
	"SIP/2.0/TCP"
case_end_clean

# --- Calls that end early ---------------------------------------------------------

case_begin "bye during welcome prompt"
sipp_run calls_hangup -set wait1 "$(ms "$GREETING * 500")"
sip_call_wait "$SIPP_CALL_ID" 10
check_equal "end reason" caller "$(sip_call_field end_reason)"
check_not_equal "answered" null "$(sip_call_field answered_at)"
case_end_clean

case_begin "hold stops hub audio until resume"
# The receiver is the caller's media: the hub latches on it and sends it
# every packet.
sip_sink_start hold
SIPP_RTP_PORT=$SIP_SINK_PORT sipp_run calls_hold \
	-set wait1 "$(ms "($GREETING + 0.3) * 1000")" -set wait2 2000 -set wait3 1500
sip_sink_stop
# The hold begins with the 200 OK of the re-INVITE with a=sendonly (CSeq 2)
# and ends when the re-INVITE with a=sendrecv (CSeq 3) leaves.
HOLD_AT=$(sipp_message_time received "SIP/2.0 200" "2 INVITE")
RESUME_AT=$(sipp_message_time sent INVITE "3 INVITE")
read -r BEFORE DURING AFTER < <(python3 - "$SIP_SINK_OUT.json" "$HOLD_AT" "$RESUME_AT" <<'PYTHON'
import json, sys
times = json.load(open(sys.argv[1]))["wall_times"]
hold, resume = float(sys.argv[2]), float(sys.argv[3])
print(sum(t < hold for t in times),
      sum(hold + 0.1 < t < resume for t in times),
      sum(t > resume + 0.3 for t in times))
PYTHON
)
echo "# hub packets: $BEFORE before the hold, $DURING while held, $AFTER after the resume"
check_ge "hub packets before the hold" 20 "${BEFORE:-0}"
check_equal "hub packets while held" 0 "${DURING:-x}"
check_ge "hub packets after the resume" 20 "${AFTER:-0}"
sip_call_wait "$SIPP_CALL_ID" 10
check_equal "end reason" caller "$(sip_call_field end_reason)"
case_end_clean

case_begin "silent caller ends no_input"
sipp_run calls_silent
sip_call_wait "$SIPP_CALL_ID" 10
check_equal "end reason" no_input "$(sip_call_field end_reason)"
check_equal "dtmf methods" '[]' "$(sip_call_field dtmf_methods)"
case_end_clean

case_begin "hub stops cleanly"
hub_stop
sip_log_check_clean
case_end

# --- CANCEL while ringing -------------------------------------------------------

SIP_RING_MS=3000
sip_hub_start || exit 1

case_begin "cancel while ringing"
sipp_run calls_cancel
sip_call_wait "$SIPP_CALL_ID" 10
check_equal "end reason" caller "$(sip_call_field end_reason)"
check_equal "answered" null "$(sip_call_field answered_at)"
case_end_clean

case_begin "ringing hub stops cleanly"
hub_stop
sip_log_check_clean
case_end

tests_done
