#!/usr/bin/env bash
# The transfer to an operator with two real baresip peers: a caller that
# dials the hub and presses 0, and an operator at channels.sip.transfer_uri.
# The hub sends REFER to the caller. baresip 1.0.0 accepts it with 202, and
# its menu module dials the Refer-To target ("menu: transferring call" in
# its log). It reports that call's outcome to the hub in NOTIFY requests
# with a message/sipfrag body.
#
# The operator picks up at once: the hub ends its leg as transferred and
# the caller stays with the operator. It rejects the call with 486:
# voicemail at once. It lets the call ring: voicemail after
# transfer_timeout_seconds, and when it picks up later the hub leaves the
# voicemail as transferred.
#
# The menu is the repository's ivr/menu.json with its prompts shortened.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

TRANSFER_TIMEOUT_SECONDS=3

sip_prompts_shorten welcome recording_notice for_english main_menu transfer \
	voicemail nothing_recorded
sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/silence.wav" trim 0 60

# The operator runs for the whole suite, since transfer_uri names its port.
BARESIP_USER=operator BARESIP_ANSWERMODE=auto baresip_start operator \
	"$TEST_TMP/silence.wav" || exit 1
OPERATOR_URI=sip:operator@127.0.0.1:$BARESIP_SIP_PORT
SIP_CHANNEL_EXTRA=",
	\"transfer_uri\": \"$OPERATOR_URI\",
	\"transfer_timeout_seconds\": $TRANSFER_TIMEOUT_SECONDS"
HUB_CONFIG_EXTRA=$(sip_desk_config)
sip_hub_start || exit 1

# Until the end of main_menu: the caller presses 0 after the whole menu.
MENU_END=$(sip_prompt_seconds welcome recording_notice for_english main_menu)

# The caller of the current case: its baresip name, its URI, the Call-ID
# of its call to the hub, and the Unix time at which that call was
# established.
CALLER_NAME=""
CALLER_URI=""
CALL_ID=""
CALL_START=0

# operator_begin ANSWERMODE: selects the operator, sets its answer mode
# (auto or manual) and clears its event log, so that the case sees only
# its own events.
operator_begin() {
	baresip_select operator
	baresip_command answermode "$1"
	: >"$BARESIP_EVENTS"
}

# operator_event FIELD TYPE: prints FIELD of the operator's first event of
# TYPE in the current case.
operator_event() {
	baresip_select operator
	python3 - "$BARESIP_EVENTS" "$1" "$2" <<'PYTHON'
import json, sys
for line in open(sys.argv[1]):
    event = json.loads(line)
    if event.get("type") == sys.argv[3]:
        print(event.get(sys.argv[2], ""))
        break
PYTHON
}

# operator_event_count TYPE: prints how many events of TYPE the operator
# reported in the current case.
operator_event_count() {
	baresip_select operator
	grep -c "\"type\":\"$1\"" "$BARESIP_EVENTS" || true
}

# caller_event FIELD TYPE PEER: prints FIELD of the caller's first event of
# TYPE whose peer is PEER (a SIP URI).
caller_event() {
	baresip_select "$CALLER_NAME"
	python3 - "$BARESIP_EVENTS" "$1" "$2" "$3" <<'PYTHON'
import json, sys
for line in open(sys.argv[1]):
    event = json.loads(line)
    if event.get("type") == sys.argv[3] and event.get("peeruri") == sys.argv[4]:
        print(event.get(sys.argv[2], ""))
        break
PYTHON
}

# caller_dial NAME: starts a caller baresip named NAME, dials the hub and
# presses 0 after the main menu. Returns 1 when the call does not come up.
caller_dial() {
	CALLER_NAME=$1
	BARESIP_USER=caller BARESIP_ANSWERMODE=manual baresip_start "$CALLER_NAME" \
		"$TEST_TMP/silence.wav" || return 1
	CALLER_URI=sip:caller@127.0.0.1:$BARESIP_SIP_PORT
	baresip_command dial "sip:ivr@127.0.0.1:$SIP_PORT" || return 1
	baresip_event_wait CALL_ESTABLISHED 10 || return 1
	CALL_START=$(date +%s.%N)
	CALL_ID=$(caller_event id CALL_ESTABLISHED "sip:ivr@127.0.0.1:$SIP_PORT")
	sleep "$(python3 -c "import time; print(max(0, $CALL_START + $MENU_END + 0.3 - time.time()))")"
	baresip_keys 0
}

# hub_case_log: prints the daemon log written since the case began. Each
# case keeps it in CASE_LOG once its calls are over.
hub_case_log() {
	tail -n "+$((CASE_LOG_START + 1))" "$HUB_LOG"
}

# caller_heard: sets CALLER_HEARD to the prompt names that the caller heard
# from the hub, one line, from the caller's first *-dec.wav (its call to
# the hub). Call it once that call is over, when sndfile has closed the
# file.
caller_heard() {
	local recording names
	CALLER_HEARD=""
	baresip_select "$CALLER_NAME"
	recording=$(find "$BARESIP_DIR/rec" -name '*-dec.wav' | sort | head -n 1)
	if [ -z "$recording" ]; then
		fail "baresip recorded nothing of the call to the hub"
		return 0
	fi
	if ! names=$(sip_heard "$recording" 2>"$BARESIP_DIR/heard.err"); then
		fail "no prompts found in $recording: $(tail -n 1 "$BARESIP_DIR/heard.err")"
		return 0
	fi
	CALLER_HEARD=$(awk '$3 != "?" { printf "%s%s", sep, $3; sep = " " }' <<<"$names")
}

# transfer_ms: prints the time from the REFER to the transfer's outcome in
# the media thread, in milliseconds, from the daemon log of the case
# ($CASE_LOG).
transfer_ms() {
	printf '%s\n' "$CASE_LOG" | python3 -c '
import datetime, re, sys
times = {}
for line in sys.stdin:
    match = re.match(r"(\S+Z) .*(call=\d+ REFER$|transfer outcome)", line.rstrip())
    if match:
        stamp = datetime.datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        times.setdefault(match.group(2).split()[-1], stamp)
if "REFER" in times and "outcome" in times:
    print(round((times["outcome"] - times["REFER"]).total_seconds() * 1000))
'
}

# check_hub_dialled_nobody: records a failure when the hub sent an INVITE
# during the case (its SIP trace logs every request it sends).
check_hub_dialled_nobody() {
	check_not_contains "INVITEs the hub sent" "$CASE_LOG" "nta: sent INVITE"
}

# The waits of the cases go on after a failure, which they record, so that
# every check of the case runs.

# --- The operator picks up ----------------------------------------------------

case_begin "transfer answered by operator"
operator_begin auto || true
if caller_dial answered; then
	baresip_select operator
	baresip_event_wait CALL_ESTABLISHED 10 || true
	# The hub hangs up its leg on the NOTIFY with 200.
	baresip_select answered
	baresip_event_wait CALL_CLOSED 10 || true
fi
check_equal "Refer-To that the caller got" "<$OPERATOR_URI>" \
	"$(caller_event param TRANSFER "sip:ivr@127.0.0.1:$SIP_PORT")"
check_equal "the operator's peer" "$CALLER_URI" \
	"$(operator_event peeruri CALL_ESTABLISHED)"
check_equal "calls to the operator" 1 "$(operator_event_count CALL_ESTABLISHED)"
CASE_LOG=$(hub_case_log)
check_hub_dialled_nobody
check_equal "who closed the call to the hub" "Connection reset by peer" \
	"$(caller_event param CALL_CLOSED "sip:ivr@127.0.0.1:$SIP_PORT")"
# The caller still talks to the operator after the hub has left.
check_equal "operator call closed" "" "$(operator_event param CALL_CLOSED)"
check_equal "media to the operator" audio "$(operator_event param CALL_RTPESTAB)"
check_contains "daemon log" "$CASE_LOG" "NOTIFY refer status=200"
check_contains "daemon log" "$CASE_LOG" "transfer status=200"
if [ -n "$CALL_ID" ] && sip_call_wait "$CALL_ID"; then
	check_equal "end reason" transferred "$(sip_call_field end_reason)"
	check_equal "menu path" "main:0 transfer" "$(sip_call_field path)"
fi
baresip_select answered
baresip_command hangup || true
baresip_select operator
baresip_event_wait CALL_CLOSED 10 || true
baresip_select answered
baresip_stop
caller_heard
check_heard "prompts heard" \
	"welcome recording_notice for_english main_menu transfer" "$CALLER_HEARD"
sip_idle_wait 10 || true
sip_log_check_clean
case_end

# --- The operator rejects the call -----------------------------------------------

case_begin "operator busy gives voicemail"
operator_begin manual || true
if caller_dial busy; then
	baresip_select operator
	if baresip_event_wait CALL_INCOMING 10; then
		# Rejects the ringing call: baresip 1.0.0 responds 486 Rejected.
		baresip_command hangup || true
	fi
	if hub_log_wait "NOTIFY refer status=486" 10; then
		sleep "$(python3 -c "print($(sip_prompt_seconds voicemail beep) + 0.8)")"
	fi
	baresip_select busy
	baresip_command hangup || true
	baresip_event_wait CALL_CLOSED 10 || true
fi
CASE_LOG=$(hub_case_log)
check_equal "the operator's caller" "$CALLER_URI" "$(operator_event peeruri CALL_INCOMING)"
check_hub_dialled_nobody
check_equal "caller's call to the operator" "486 Rejected" \
	"$(caller_event param CALL_CLOSED "$OPERATOR_URI")"
check_contains "daemon log" "$CASE_LOG" "NOTIFY refer status=486"
check_contains "daemon log" "$CASE_LOG" "transfer status=486"
if [ -n "$CALL_ID" ] && sip_call_wait "$CALL_ID"; then
	check_equal "end reason" caller "$(sip_call_field end_reason)"
	check_equal "menu path" "main:0 transfer voicemail" "$(sip_call_field path)"
fi
baresip_select busy
baresip_stop
caller_heard
check_heard "prompts heard" \
	"welcome recording_notice for_english main_menu transfer voicemail beep" \
	"$CALLER_HEARD"
sip_idle_wait 10 || true
sip_log_check_clean
case_end

# --- The operator lets it ring, then picks up -----------------------------------

case_begin "unanswered transfer times out"
operator_begin manual || true
if caller_dial late; then
	baresip_select operator
	baresip_event_wait CALL_INCOMING 10 || true
	if hub_log_wait "no final NOTIFY for the REFER" $((TRANSFER_TIMEOUT_SECONDS + 5)); then
		sleep "$(python3 -c "print($(sip_prompt_seconds voicemail beep) + 0.8)")"
	fi
fi
CASE_LOG=$(hub_case_log)
check_equal "the operator's caller" "$CALLER_URI" "$(operator_event peeruri CALL_INCOMING)"
check_hub_dialled_nobody
check_not_contains "daemon log" "$CASE_LOG" "NOTIFY refer status=2"
check_contains "daemon log" "$CASE_LOG" "transfer status=408"
WAITED_MS=$(transfer_ms)
echo "# REFER to voicemail: ${WAITED_MS:-?} ms"
check_between "REFER to voicemail (ms)" $((TRANSFER_TIMEOUT_SECONDS * 1000)) \
	$((TRANSFER_TIMEOUT_SECONDS * 1000 + 500)) "$WAITED_MS"
# The caller is in voicemail, and the operator's phone still rings.
check_equal "call to the hub closed" "" \
	"$(caller_event param CALL_CLOSED "sip:ivr@127.0.0.1:$SIP_PORT")"
check_equal "call to the operator closed" "" "$(caller_event param CALL_CLOSED "$OPERATOR_URI")"
case_end

# The same call goes on: a final 2xx after the timeout means that the
# caller now talks to the operator, so the hub leaves the voicemail.
case_begin "late pickup ends hub leg"
baresip_select operator
baresip_command accept || true
baresip_event_wait CALL_ESTABLISHED 10 || true
baresip_select late
baresip_event_wait CALL_CLOSED 10 || true
CASE_LOG=$(hub_case_log)
check_contains "daemon log" "$CASE_LOG" "NOTIFY refer status=200"
check_contains "daemon log" "$CASE_LOG" "transfer status=200 after the timeout"
check_hub_dialled_nobody
check_equal "who closed the call to the hub" "Connection reset by peer" \
	"$(caller_event param CALL_CLOSED "sip:ivr@127.0.0.1:$SIP_PORT")"
check_equal "the operator's peer" "$CALLER_URI" "$(operator_event peeruri CALL_ESTABLISHED)"
check_equal "operator call closed" "" "$(operator_event param CALL_CLOSED)"
if [ -n "$CALL_ID" ] && sip_call_wait "$CALL_ID"; then
	check_equal "end reason" transferred "$(sip_call_field end_reason)"
	check_equal "menu path" "main:0 transfer voicemail" "$(sip_call_field path)"
fi
baresip_select late
baresip_command hangup || true
baresip_select operator
baresip_event_wait CALL_CLOSED 10 || true
baresip_select late
baresip_stop
caller_heard
check_heard "prompts heard" \
	"welcome recording_notice for_english main_menu transfer voicemail beep" \
	"$CALLER_HEARD"
sip_idle_wait 10 || true
sip_log_check_clean
case_end

case_begin "hub stops cleanly"
baresip_select operator
baresip_stop
hub_stop
sip_log_check_clean
case_end

tests_done
