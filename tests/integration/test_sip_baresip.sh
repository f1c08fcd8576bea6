#!/usr/bin/env bash
# The IVR with baresip as the caller, which records what it hears: a
# voice report whose ticket code is read out twice, and a status request
# with RFC 4733 keys that first gets a code with a wrong check digit. The
# hub's audio is checked by finding its prompts in baresip's recording
# (sip_audio.py decode), against the ticket's own code, status and
# deadline.
#
# The menu is the repository's ivr/menu.json. The long menu prompts are
# replaced (prompts_override_dir) by short ones; digits, status phrases
# and dates are the rendered prompts.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

SPEECH="Cống thoát nước trước chợ bị tắc, nước tràn ra đường."

sip_prompts_shorten welcome recording_notice for_english main_menu \
	main_menu_voicemail category_menu record_intro enter_code report_saved \
	code_again goodbye no_input invalid_choice code_invalid
HUB_CONFIG_EXTRA=$(sip_desk_config)
sip_hub_start || exit 1

GREETING=$(sip_prompt_seconds welcome recording_notice)

# ms PYTHON_EXPRESSION: prints the expression as an integer.
ms() {
	python3 -c "print(round($1))"
}

# Unix time of the last baresip call's CALL_ESTABLISHED event, as read by
# the test when it saw the event.
CALL_START=0

# call_start: dials the hub from baresip and waits until the call is up.
call_start() {
	baresip_command dial "sip:ivr@127.0.0.1:$SIP_PORT" || return 1
	baresip_event_wait CALL_ESTABLISHED 10 || return 1
	CALL_START=$(date +%s.%N)
}

# at SECONDS: sleeps until SECONDS after CALL_START.
at() {
	local delay
	delay=$(python3 -c "import time; print(max(0, $CALL_START + $1 - time.time()))")
	sleep "$delay"
}

# heard_names FROM_NAME [UNTIL_NAME]: prints the prompt names heard in the
# recording ($HEARD, from sip_heard) from the first FROM_NAME (excluded) up
# to the next UNTIL_NAME (excluded), one line; prompts cut short by a key
# are left out.
heard_names() {
	awk -v from="$1" -v until="${2:-}" '
		on && $3 == until { exit }
		on && $4 != "partial" { printf "%s%s", sep, $3; sep = " " }
		$3 == from && !on { on = 1 }
		END { print "" }' "$HEARD"
}

# --- A voice report read back -----------------------------------------------------------

case_begin "report code read out twice"
sip_speech_wav "$SPEECH" "$TEST_TMP/speech.wav" "$TEST_TMP/speech-ulaw.wav"
SPEECH_SECONDS=$(sip_wav_seconds "$TEST_TMP/speech.wav")
# The keys: 1 at the greeting's end, 2 (the category) 0.5 s later; the
# recording starts after record_intro and the beep.
KEY_AT=$(python3 -c "print($GREETING + 0.4)")
SPEECH_AT=$(python3 -c "print($KEY_AT + 0.5 + $(sip_prompt_seconds record_intro beep) + 0.6)")
# The microphone: silence until SPEECH_AT, the speech, then silence for
# the rest of the call (baresip ends a call when its source file ends).
sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/lead.wav" trim 0 "$SPEECH_AT"
sox "$TEST_TMP/lead.wav" "$TEST_TMP/speech.wav" "$TEST_TMP/report-source.wav" pad 0 90
baresip_start report "$TEST_TMP/report-source.wav"
if call_start; then
	at "$KEY_AT"
	baresip_keys 12 0.5
	at "$(python3 -c "print($SPEECH_AT + $SPEECH_SECONDS + 0.5)")"
	baresip_keys '#'
	# The hub reads the code twice, says goodbye and hangs up.
	baresip_event_wait CALL_CLOSED 60
fi
baresip_stop
RECORDING=$(baresip_recording)
HEARD=$TEST_TMP/report-heard.txt
sip_heard "$RECORDING" >"$HEARD"
CODE_FIRST=$(sip_heard_digits "$(heard_names report_saved code_again)")
CODE_SECOND=$(sip_heard_digits "$(heard_names code_again goodbye)")
api_admin GET "/api/v1/calls?limit=500"
REPORT_CODE=$(python3 -c '
import json, sys
calls = json.loads(sys.argv[1])["calls"]
print(calls[-1]["ticket_code"] or "" if calls else "")' "$API_BODY" 2>/dev/null || true)
check_match "ticket code of the call" "$REPORT_CODE" '^[0-9]{10}$'
echo "# ticket $REPORT_CODE, heard $CODE_FIRST and $CODE_SECOND"
check_equal "code read first" "$REPORT_CODE" "$CODE_FIRST"
check_equal "code read again" "$REPORT_CODE" "$CODE_SECOND"
check_contains "prompts heard" "$(tr '\n' ' ' <"$HEARD")" " beep "
sip_idle_wait 10
sip_log_check_clean
case_end

# --- Status with a wrong check digit first ------------------------------------------------

submit "tra cứu bằng baresip"
STATUS_CODE=$SUBMIT_CODE
sip_ticket_get "$STATUS_CODE"
TICKET=$API_BODY
STATUS_NAMES=$(sip_status_names "$STATUS_CODE" \
	"$(json_get "$TICKET" ticket.status)" "$(json_get "$TICKET" ticket.due_at || true)")
# The code with its last digit changed: a Damm check digit catches every
# single-digit error.
WRONG_CODE=${STATUS_CODE:0:9}$(((${STATUS_CODE:9:1} + 1) % 10))

case_begin "wrong check digit heard"
sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/status-source.wav" trim 0 90
baresip_start status "$TEST_TMP/status-source.wav"
if call_start; then
	at "$(python3 -c "print($GREETING + 0.4)")"
	baresip_keys 2 0.5
	baresip_keys "$WRONG_CODE#"
	sleep "$(python3 -c "print($(sip_prompt_seconds code_invalid) + 0.3)")"
	baresip_keys "$STATUS_CODE#"
	# shellcheck disable=SC2086 # one prompt name per word
	sleep "$(python3 -c "print($(sip_prompt_seconds $STATUS_NAMES) + 1.5)")"
	baresip_command hangup
	baresip_event_wait CALL_CLOSED 10
fi
baresip_stop
RECORDING=$(baresip_recording)
HEARD=$TEST_TMP/status-heard.txt
sip_heard "$RECORDING" >"$HEARD"
# Whole prompts only: the ones a key cut short and the unrecognized sound
# are left out.
WHOLE=$(awk '$4 != "partial" && $3 != "?" { printf "%s ", $3 }' "$HEARD")
check_contains "prompts heard" "$WHOLE" " code_invalid status_intro "
check_equal "code_invalid heard once" 1 "$(grep -c ' code_invalid' "$HEARD")"
sip_idle_wait 10
sip_log_check_clean
case_end

case_begin "status read out matches ticket"
EXPECTED=$(tr ' ' '\n' <<<"$STATUS_NAMES" | grep -v '^silence_' | tr '\n' ' ' | sed 's/ $//')
# shellcheck disable=SC2086 # one prompt name per word
EXPECTED_SECONDS=$(sip_prompt_seconds $STATUS_NAMES)
COUNT=$(wc -w <<<"$EXPECTED")
# The first COUNT whole prompts from status_intro on.
STATUS_HEARD=$(awk -v count="$COUNT" '
	$3 == "status_intro" { on = 1 }
	on && $4 != "partial" { print; if (++seen == count) exit }' "$HEARD")
HEARD_NAMES=$(awk '{ printf "%s%s", sep, $3; sep = " " }' <<<"$STATUS_HEARD")
check_heard "status prompts heard" "$EXPECTED" "$HEARD_NAMES"
# From the start of status_intro to the end of the date's last word; the
# prompts' own leading and trailing silence makes the rendered sum longer.
SPOKEN=$(awk 'NR == 1 { start = $1 } END { print $2 - start }' <<<"$STATUS_HEARD")
echo "# status read-out ${SPOKEN:-?} s, rendered prompts $EXPECTED_SECONDS s"
check_between "status read-out (ms) within 10 % of the rendered prompts" \
	"$(ms "$EXPECTED_SECONDS * 900")" "$(ms "$EXPECTED_SECONDS * 1100")" \
	"$(ms "${SPOKEN:-0} * 1000")"
api_admin GET "/api/v1/tickets/$STATUS_CODE"
check_equal "calls of the ticket" 1 "$(python3 -c '
import json, sys
print(len(json.loads(sys.argv[1])["ticket"]["calls"]))' "$API_BODY" 2>/dev/null)"
check_equal "dtmf methods" '["rfc4733"]' "$(json_get "$API_BODY" ticket.calls.0.dtmf_methods)"
check_equal "end reason" caller "$(json_get "$API_BODY" ticket.calls.0.end_reason)"
case_end

case_begin "hub stops cleanly"
hub_stop
sip_log_check_clean
case_end

tests_done
