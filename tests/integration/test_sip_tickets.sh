#!/usr/bin/env bash
# Tickets and calls of the SIP channel, end to end: SIPp calls the hub's
# IVR, records a voice report under a category and asks for a ticket's
# status; the tests read what the desk API then shows. The voice report's
# ticket has the recording as a downloadable audio/wav attachment (the
# bytes the call record names by hash), the caller as an unverified phone
# contact and the call in calls[]; the status call is attached to the
# ticket it asked for; a call that reached no ticket is listed by
# GET /api/v1/calls only. The sip channel cannot send: on a hub without
# the sms channel, an agent's reply without a contact is rejected and a
# status notice is left out; with it, both go by SMS to the caller.
#
# The prompts are replaced by 60 ms of silence so that a call takes a few
# seconds; the menu is ivr/menu.json.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

TICKETS_PASSWORD="tickets-test-password-2026"

# The categories of ivr/menu.json, each with its department.
HUB_CONFIG_EXTRA=$(cat <<'JSON'
	"departments": [
		{ "id": "xay-dung", "name_vi": "Phòng Xây dựng",
		  "name_en": "Construction Office" },
		{ "id": "moi-truong", "name_vi": "Phòng Môi trường",
		  "name_en": "Environment Office" }
	],
	"categories": [
		{ "id": "traffic", "name_vi": "Giao thông", "name_en": "Traffic",
		  "department": "xay-dung" },
		{ "id": "lighting", "name_vi": "Chiếu sáng công cộng",
		  "name_en": "Street lighting", "department": "xay-dung" },
		{ "id": "environment", "name_vi": "Môi trường",
		  "name_en": "Environment", "department": "moi-truong" },
		{ "id": "other", "name_vi": "Khác", "name_en": "Other",
		  "department": "moi-truong" }
	]
JSON
)

# tickets_silent_prompts DIR: writes 60 ms of silence under DIR/{vi,en}/ for
# every rendered prompt and fragment.
tickets_silent_prompts() {
	python3 - "$SIP_PROMPTS_DIR" "$1" <<'PYTHON'
import os, sys, wave
source, target = sys.argv[1], sys.argv[2]
for language in ("vi", "en"):
    os.makedirs(os.path.join(target, language), exist_ok=True)
    for name in os.listdir(os.path.join(source, language)):
        if not name.endswith(".wav"):
            continue
        with wave.open(os.path.join(target, language, name), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(bytes(2 * 480))
PYTHON
}

# tickets_json EXPRESSION JSON: prints the value of a Python expression over
# the parsed JSON as "v" (strings raw, the rest as JSON).
tickets_json() {
	python3 -c '
import json, sys
v = json.loads(sys.argv[2])
result = eval(sys.argv[1])
print(result if isinstance(result, str) else json.dumps(result))
' "$1" "$2" 2>/dev/null || echo "unreadable"
}

# tickets_reply_wait TICKET MESSAGE_ID: waits up to 10 s until the message
# is no longer queued and sets REPLY to it.
tickets_reply_wait() {
	local deadline=$((SECONDS + 10)) status=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		sip_ticket_get "$1"
		REPLY=$(tickets_json "[m for m in v['ticket']['messages'] if m['id'] == $2][0]" \
			"$API_BODY")
		status=$(tickets_json "v['delivery_status']" "$REPLY")
		[ "$status" != queued ] && return 0
		sleep 0.2
	done
	fail "message $2 still queued after 10 s"
}

mkdir -p "$TEST_TMP/prompts"
tickets_silent_prompts "$TEST_TMP/prompts"
SIP_PROMPTS_OVERRIDE_DIR=$TEST_TMP/prompts
# The INFO caller sends no RTP, which the default media timeout would end.
SIP_MEDIA_TIMEOUT_SECONDS=20
sip_hub_start || exit 1
FIRST_DATA=$HUB_DATA

# --- A voice report ----------------------------------------------------------------

sip_speech_wav "Đèn đường trước nhà số mười hai đường Lê Lợi không sáng." \
	"$TEST_TMP/speech.wav" "$TEST_TMP/speech_ulaw.wav"
SPEECH_SECONDS=$(sip_wav_seconds "$TEST_TMP/speech.wav")
SPEECH_MS=$(sip_ms "$SPEECH_SECONDS")
# 1: report a problem, 2: street lighting; then # ends the recording.
sip_pcap 12 "$TEST_TMP/keys1.pcap" --start-ms 0
sip_pcap '#' "$TEST_TMP/keys2.pcap" --start-ms 60000
# The stream is sent while the caller waits wait3 before the #. The caller
# hangs up 400 ms after the #, while the code is still being read out (14
# prompts of 60 ms after the report is stored), so the call ends by the
# caller's BYE and never by the hub's.
REPORT_WAIT_MS=$((SPEECH_MS + 1000))

case_begin "voice report opens ticket"
sipp_run calls_dial "@keys1.pcap=$TEST_TMP/keys1.pcap" \
	"@stream.wav=$TEST_TMP/speech_ulaw.wav" \
	"@keys2.pcap=$TEST_TMP/keys2.pcap" \
	-set wait1 800 -set wait2 1200 -set wait3 "$REPORT_WAIT_MS" \
	-set wait4 400
REPORT_CALL_ID=$SIPP_CALL_ID
sip_call_wait "$REPORT_CALL_ID"
REPORT_CODE=$(sip_call_field ticket_code)
REPORT_SHA256=$(sip_call_field recording_sha256)
check_match "ticket code" "$REPORT_CODE" '^[0-9]{10}$'
check_match "recording hash" "$REPORT_SHA256" '^[0-9a-f]{64}$'
check_equal "caller" "+84912345678" "$(sip_call_field caller)"
check_equal "caller as received" "0912345678" "$(sip_call_field caller_raw)"
check_equal "key methods" '["rfc4733"]' "$(sip_call_field dtmf_methods)"
check_contains "path" "$(sip_call_field path)" "record"
check_equal "end reason" caller "$(sip_call_field end_reason)"
check_match "answered at" "$(sip_call_field answered_at)" '^20[0-9-]+T'
check_match "ended at" "$(sip_call_field ended_at)" '^20[0-9-]+T'
RECORDING_MS=$(sip_call_field recording_ms)
check_ge "recording ms" $((SPEECH_MS - 500)) "$RECORDING_MS"
check_ge "wait above the recording ms" "$RECORDING_MS" $((REPORT_WAIT_MS + 1500))
sip_log_check_clean
case_end

case_begin "report ticket shows recording and caller"
sip_ticket_get "$REPORT_CODE"
check_status 200
TICKET=$API_BODY
check_equal "channel" sip "$(json_get "$TICKET" ticket.channel)"
check_equal "category hint" lighting "$(json_get "$TICKET" ticket.category_hint)"
check_equal "subject" "Phản ánh qua tổng đài" "$(json_get "$TICKET" ticket.subject)"
check_equal "body" "Phản ánh qua tổng đài: ghi âm $(( (RECORDING_MS + 500) / 1000 )) giây." \
	"$(json_get "$TICKET" ticket.messages.0.body)"
check_equal "attachment type" audio/wav \
	"$(json_get "$TICKET" ticket.messages.0.attachments.0.content_type)"
check_match "attachment name" \
	"$(json_get "$TICKET" ticket.messages.0.attachments.0.filename)" \
	'^call-[0-9]{8}-[0-9]{6}\.wav$'
ATTACHMENT_ID=$(json_get "$TICKET" ticket.messages.0.attachments.0.id || true)
check_equal "contact" "+84912345678" \
	"$(tickets_json "[c['value'] for c in v['ticket']['citizen']['contacts'] if c['kind'] == 'phone'][0]" "$TICKET")"
check_equal "contact unverified" false \
	"$(tickets_json "[c['verified'] for c in v['ticket']['citizen']['contacts'] if c['kind'] == 'phone'][0]" "$TICKET")"
check_equal "calls on the ticket" 1 "$(tickets_json "len(v['ticket']['calls'])" "$TICKET")"
check_equal "call on the ticket" "$REPORT_CALL_ID" "$(json_get "$TICKET" ticket.calls.0.call_id)"
check_equal "call's attachment" "$ATTACHMENT_ID" \
	"$(json_get "$TICKET" ticket.calls.0.recording_attachment_id)"
check_equal "no acknowledgement queued" 1 \
	"$(tickets_json "len(v['ticket']['messages'])" "$TICKET")"
case_end

case_begin "recording downloads as audio/wav"
curl -s -D "$TEST_TMP/download.headers" -o "$TEST_TMP/download.wav" \
	-H "Authorization: Bearer $HUB_TOKEN" \
	"$HUB_URL/api/v1/tickets/$REPORT_CODE/attachments/$ATTACHMENT_ID"
check_contains "type" "$(cat "$TEST_TMP/download.headers")" "Content-Type: audio/wav"
check_equal "bytes" "$REPORT_SHA256" "$(sha256sum "$TEST_TMP/download.wav" | cut -d' ' -f1)"
DOWNLOAD_INFO=$(python3 "$SIP_AUDIO" info "$TEST_TMP/download.wav" 2>&1 || true)
# The file holds whole 20 ms packets; recording_ms is measured in ms.
check_ge "40 ms above the length's distance to recording_ms" \
	"$(tickets_json "abs(round(v['duration'] * 1000) - $RECORDING_MS)" "$DOWNLOAD_INFO")" 40
# The caller spoke: the recording is no silence.
check_ge "loudness" 100 "$(tickets_json "int(v['rms'])" "$DOWNLOAD_INFO")"
check_equal "no recording left behind" "" "$(ls "$TEST_TMP/recordings")"
case_end

# --- A status call -------------------------------------------------------------------

case_begin "status call joins looked-up ticket"
# 2: ticket status, then the code and # as SIP INFO.
sipp_run calls_info -set keys "2${REPORT_CODE}#" -set wait1 800 \
	-set wait2 150 -set wait3 2500
STATUS_CALL_ID=$SIPP_CALL_ID
sip_call_wait "$STATUS_CALL_ID"
check_equal "ticket code" "$REPORT_CODE" "$(sip_call_field ticket_code)"
check_equal "key methods" '["info"]' "$(sip_call_field dtmf_methods)"
check_equal "no recording" null "$(sip_call_field recording_sha256)"
check_equal "recording ms" 0 "$(sip_call_field recording_ms)"
sip_ticket_get "$REPORT_CODE"
check_equal "calls on the ticket" "$REPORT_CALL_ID $STATUS_CALL_ID" \
	"$(tickets_json "' '.join(c['call_id'] for c in v['ticket']['calls'])" "$API_BODY")"
sip_log_check_clean
case_end

case_begin "call without ticket is listed"
# 9 switches to English; the caller hangs up without a ticket.
sipp_run calls_info -set keys 9 -set wait1 800 -set wait2 150 -set wait3 800
sip_call_wait "$SIPP_CALL_ID"
check_equal "ticket" null "$(sip_call_field ticket_id)"
check_equal "language" en "$(sip_call_field language)"
api_admin GET "/api/v1/calls?since=2000-01-01T00:00:00Z&limit=2"
check_status 200
check_equal "first page" "$REPORT_CALL_ID $STATUS_CALL_ID" \
	"$(tickets_json "' '.join(c['call_id'] for c in v['calls'])" "$API_BODY")"
NEXT=$(json_get "$API_BODY" next_after_id || true)
api_admin GET "/api/v1/calls?after_id=$NEXT"
check_equal "second page" "$SIPP_CALL_ID" \
	"$(tickets_json "' '.join(c['call_id'] for c in v['calls'])" "$API_BODY")"
check_equal "last page" null "$(json_get "$API_BODY" next_after_id)"
api_admin GET "/api/v1/calls?since=2100-01-01T00:00:00%2B07:00"
check_equal "none since" 0 "$(tickets_json "len(v['calls'])" "$API_BODY")"
api_admin GET "/api/v1/calls?since=yesterday"
check_status 422
check_equal "bad since" since "$(json_get "$API_BODY" error.field || true)"
sip_log_check_clean
case_end

case_begin "calls list is for admins only"
ctl -c "$HUB_CONFIG" agent add sup --role supervisor --department xay-dung \
	<<<"$TICKETS_PASSWORD"
check_ctl "agent add sup" 0
api POST /api/v1/session "$(printf '{"username":"sup","password":"%s","token":"bearer"}' \
	"$TICKETS_PASSWORD")"
check_status 201
SUP_TOKEN=$(json_get "$API_BODY" token || true)
api GET /api/v1/calls "" -H "Authorization: Bearer $SUP_TOKEN"
check_status 403
# A supervisor of the ticket's department sees its calls in the detail.
api GET "/api/v1/tickets/$REPORT_CODE" "" -H "Authorization: Bearer $SUP_TOKEN"
check_status 200
check_equal "calls in the detail" 2 "$(tickets_json "len(v['ticket']['calls'])" "$API_BODY")"
api GET /api/v1/calls
check_status 401
case_end

# --- Replies on a phone ticket ---------------------------------------------------------

case_begin "reply without contact on sip is rejected"
sip_ticket_get "$REPORT_CODE"
MESSAGES_BEFORE=$(tickets_json "len(v['ticket']['messages'])" "$API_BODY")
api POST "/api/v1/tickets/$REPORT_CODE/replies" \
	'{"body": "Chúng tôi đã chuyển phản ánh cho đội chiếu sáng."}' \
	-H "Authorization: Bearer $HUB_TOKEN" -H "Accept-Language: vi"
# The sip channel cannot send and this hub has no sms channel: the reply
# could never leave, so it is not stored.
check_status 422
check_equal "code" missing_field "$(json_get "$API_BODY" error.code)"
check_equal "field" contact_id "$(json_get "$API_BODY" error.field)"
check_contains "message" "$API_BODY" "gọi lại cho người dân"
sip_ticket_get "$REPORT_CODE"
check_equal "messages" "$MESSAGES_BEFORE" \
	"$(tickets_json "len(v['ticket']['messages'])" "$API_BODY")"
sip_log_check_clean
case_end

case_begin "reply to phone contact goes by sms"
CONTACT_ID=$(tickets_json "[c['id'] for c in v['ticket']['citizen']['contacts'] if c['kind'] == 'phone'][0]" "$API_BODY")
api POST "/api/v1/tickets/$REPORT_CODE/replies" \
	"{\"body\": \"Đèn đã được sửa.\", \"contact_id\": $CONTACT_ID}" \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 202
MESSAGE_ID=$(json_get "$API_BODY" message.id || true)
tickets_reply_wait "$REPORT_CODE" "$MESSAGE_ID"
check_equal "channel" sms "$(tickets_json "v['channel']" "$REPLY")"
# This hub has no sms channel, so the send fails, naming the channel.
check_equal "detail" "channel sms is not loaded" \
	"$(tickets_json "v['delivery_detail']" "$REPLY")"
case_end

case_begin "status notice on phone ticket needs sms"
sip_ticket_get "$REPORT_CODE"
OUTBOUND_BEFORE=$(tickets_json "len([m for m in v['ticket']['messages'] if m['direction'] == 'out'])" "$API_BODY")
api POST "/api/v1/tickets/$REPORT_CODE/status" '{"status": "in_progress"}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 200
# The sip channel cannot send and this hub has no sms channel: the notice
# is left out rather than stored as failed.
hub_log_wait "no notice: channel sip cannot send" 5
sip_ticket_get "$REPORT_CODE"
check_equal "outbound messages" "$OUTBOUND_BEFORE" \
	"$(tickets_json "len([m for m in v['ticket']['messages'] if m['direction'] == 'out'])" "$API_BODY")"
case_end

case_begin "hub stops cleanly"
sip_idle_wait 10
hub_stop
check_equal "no recording left behind" "" "$(ls "$TEST_TMP/recordings")"
case_end

# The hub is stopped (SIGTERM) while the caller is still speaking: the call
# ends with a BYE, and the part recorded so far is stored as the report.
case_begin "shutdown while recording keeps the report"
STOP_DATA=$(mktemp -d "$TEST_TMP/data.XXXXXX")
sip_hub_start "$STOP_DATA" || exit 1
sipp_start calls_dial "@keys1.pcap=$TEST_TMP/keys1.pcap" \
	"@stream.wav=$TEST_TMP/speech_ulaw.wav" \
	"@keys2.pcap=$TEST_TMP/keys2.pcap" \
	-set wait1 800 -set wait2 1200 -set wait3 "$REPORT_WAIT_MS" \
	-set wait4 400
STOP_CALL_ID=$SIPP_CALL_ID
# The keys at 0.8 s, the recording from about 1 s and the speech from
# about 2 s. The stop comes 2.5 s into the speech, since a recording with
# less than 1 s of voice opens no ticket.
sleep 4.5
hub_stop
wait "$SIPP_PID" || true
sip_hub_start "$STOP_DATA" || exit 1
sip_call_wait "$STOP_CALL_ID"
STOP_CODE=$(sip_call_field ticket_code)
check_match "ticket code" "$STOP_CODE" '^[0-9]{10}$'
check_equal "end reason" shutdown "$(sip_call_field end_reason)"
check_ge "recording ms" 1000 "$(sip_call_field recording_ms)"
sip_ticket_get "$STOP_CODE"
check_equal "attachment type" audio/wav \
	"$(json_get "$API_BODY" ticket.messages.0.attachments.0.content_type)"
hub_stop
check_equal "no recording left behind" "" "$(ls "$TEST_TMP/recordings")"
case_end

# The same data with an sms channel whose gateway does not answer: the
# reply and the status notice of the phone ticket go by SMS to the caller
# and wait in the queue for the gateway.
case_begin "with sms a phone ticket is answered by sms"
printf 'sms-secret-of-the-test\n' >"$TEST_TMP/sms-secret"
printf 'kannel-password\n' >"$TEST_TMP/kannel-password"
SIP_OTHER_CHANNELS=$(cat <<JSON
"sms": {
	"inbound": { "secret_file": "$TEST_TMP/sms-secret" },
	"gateways": [ { "name": "kannel", "type": "kannel",
		"sendsms_url": "http://127.0.0.1:$(lib_free_port)/cgi-bin/sendsms",
		"username": "hub", "password_file": "$TEST_TMP/kannel-password",
		"from": "1022", "callback_url": "http://127.0.0.1:9",
		"timeout_seconds": 2 } ]
}
JSON
)
if sip_hub_start "$FIRST_DATA"; then
	api POST "/api/v1/tickets/$REPORT_CODE/replies" \
		'{"body": "Đội chiếu sáng sẽ thay bóng đèn trong sáng mai."}' \
		-H "Authorization: Bearer $HUB_TOKEN"
	check_status 202
	check_equal "reply channel" sms "$(json_get "$API_BODY" message.channel)"
	api POST "/api/v1/tickets/$REPORT_CODE/status" '{"status": "resolved"}' \
		-H "Authorization: Bearer $HUB_TOKEN"
	check_status 200
	hub_log_wait "notice queued ticket=" 5
	sip_ticket_get "$REPORT_CODE"
	check_equal "notice channel" sms \
		"$(tickets_json "[m['channel'] for m in v['ticket']['messages'] if m['kind'] == 'ack'][-1]" "$API_BODY")"
	hub_stop
fi
SIP_OTHER_CHANNELS=""
case_end

tests_done
