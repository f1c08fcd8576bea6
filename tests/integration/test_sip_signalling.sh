#!/usr/bin/env bash
# The SIP channel's signalling with real peers: sip-options (sofia-sip-bin)
# for OPTIONS, REGISTER and INFO outside a dialog, and SIPp scenarios
# (tests/integration/sipp) for a codec the hub does not take, a number it
# does not answer, CANCEL while ringing, INFO and hold in a call, transfer
# by REFER, the cap on concurrent calls and the INVITE rate per source.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

SCENARIOS=$TOP/tests/integration/sipp
TRANSFER_URI="sip:desk@127.0.0.1:5999"

for tool in sipp sip-options; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: sip test set-up: $tool not found (apt-get install" \
			"sip-tester sofia-sip-bin)"
		exit 1
	fi
done

# sip_options METHOD [EXTRA_FILE]: sends one request with sip-options from
# its own port on 127.0.0.1; sets SIP_OUTPUT (the response) and SIP_STATUS
# (the exit status: 0 for a 2xx).
sip_options() {
	local bind_port
	bind_port=$(lib_free_port)
	SIP_STATUS=0
	SIP_OUTPUT=$(timeout 10 sip-options --all --method="$1" \
		--bind="sip:127.0.0.1:$bind_port" "sip:1022@127.0.0.1:$SIP_PORT" \
		${2:+"$2"} 2>&1) || SIP_STATUS=$?
}

# sipp_run NAME SCENARIO SERVICE [SIPP_ARGS...]: runs a SIPp scenario
# against the hub from $TEST_TMP. Its messages go to NAME.messages and its
# errors to NAME.errors. Sets SIPP_STATUS (0 when every call passed).
sipp_run() {
	local name=$1 scenario=$2 service=$3
	shift 3
	SIPP_STATUS=0
	(cd "$TEST_TMP" && timeout 60 sipp -sf "$SCENARIOS/$scenario" \
		"127.0.0.1:$SIP_PORT" -s "$service" -i 127.0.0.1 \
		-p "$(lib_free_port)" -mp "$(lib_free_port)" -timeout 40 \
		-trace_msg -message_file "$name.messages" \
		-trace_err -error_file "$name.errors" "$@" \
		>"$TEST_TMP/$name.out" 2>&1) || SIPP_STATUS=$?
}

# sipp_check NAME: fails the case unless the last sipp_run passed.
sipp_check() {
	if [ "$SIPP_STATUS" != 0 ]; then
		fail "sipp $1 exited with status $SIPP_STATUS:" \
			"$(grep -v 'Failed to delete FD from epoll' \
			"$TEST_TMP/$1.errors" 2>/dev/null | tail -n 5)"
	fi
}

# sipp_count NAME LINE: how many messages of NAME's log start with LINE.
sipp_count() {
	grep -c "^$2" "$TEST_TMP/$1.messages" 2>/dev/null || true
}

SIP_CONFIG_EXTRA='"numbers": ["1022"], "ring_ms": 1500, "max_calls": 3,
	"invites_per_minute": 0, "transfer_uri": "'$TRANSFER_URI'",
	"transfer_timeout_seconds": 5'
case_begin "hub starts with the sip channel"
sip_hub_start
case_end

# --- Requests outside a call --------------------------------------------------

case_begin "options gets 200 with allow"
sip_options OPTIONS
check_equal "sip-options exit status" 0 "$SIP_STATUS"
check_contains "response" "$SIP_OUTPUT" "SIP/2.0 200 OK"
check_contains "response" "$SIP_OUTPUT" \
	"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY"
check_contains "response" "$SIP_OUTPUT" "Accept: application/sdp"
check_contains "response" "$SIP_OUTPUT" "User-Agent: Citizen Hub"
case_end

case_begin "register gets 405 with allow"
sip_options REGISTER
check_contains "response" "$SIP_OUTPUT" "SIP/2.0 405 Method Not Allowed"
check_contains "response" "$SIP_OUTPUT" \
	"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY"
case_end

case_begin "info outside a dialog gets 481"
printf 'Content-Type: application/dtmf-relay\r\n\r\nSignal=5\r\nDuration=160\r\n' \
	>"$TEST_TMP/info.extra"
sip_options INFO "$TEST_TMP/info.extra"
check_contains "response" "$SIP_OUTPUT" \
	"SIP/2.0 481 Call/Transaction Does Not Exist"
case_end

# --- Calls ---------------------------------------------------------------------

case_begin "g722 only offer gets 488"
sipp_run g722 uac_g722.xml 1022 -m 1
sipp_check g722
check_equal "488 responses" 1 "$(sipp_count g722 'SIP/2.0 488')"
case_end

case_begin "unknown number gets 404"
sipp_run unknown uac_unknown_number.xml 1999 -m 1
sipp_check unknown
check_equal "404 responses" 1 "$(sipp_count unknown 'SIP/2.0 404')"
check_equal "180 responses" 0 "$(sipp_count unknown 'SIP/2.0 180')"
case_end

case_begin "cancel while ringing gets 487"
sipp_run cancel uac_cancel.xml 1022 -m 1
sipp_check cancel
check_equal "487 responses" 1 "$(sipp_count cancel 'SIP/2.0 487')"
check_contains "daemon log" "$(cat "$HUB_LOG")" "cancelled by the caller"
case_end

case_begin "info and hold in a call"
sipp_run info_hold uac_info_hold.xml 1022 -m 1
sipp_check info_hold
case_end

case_begin "refer transfers to transfer_uri"
sipp_run refer uac_refer.xml 1022 -m 1 -key refer_target "$TRANSFER_URI"
sipp_check refer
check_contains "daemon log" "$(cat "$HUB_LOG")" "transfer status=200"
case_end

# --- Limits ----------------------------------------------------------------------

case_begin "calls beyond max_calls get 503"
# Eight calls at once, each held 4 s after the ring: three fit.
sipp_run burst uac_hold_open.xml 1022 -m 8 -l 8 -r 50 -d 4000 &
burst=$!
sleep 1
curl_status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"$HUB_URL/health" || true)
check_equal "GET /health during the burst" 200 "$curl_status"
submit sip-burst
wait "$burst"
sipp_check burst
check_equal "503 responses" 5 "$(sipp_count burst 'SIP/2.0 503')"
check_equal "Retry-After headers" 5 "$(sipp_count burst 'Retry-After: 30')"
check_equal "answered calls" 3 "$(sipp_count burst 'BYE sip:')"
check_contains "daemon log" "$(cat "$HUB_LOG")" "max_calls=3 reached"
case_end

case_begin "hub stops cleanly"
hub_stop
case_end

# --- Rate per source ---------------------------------------------------------------

SIP_CONFIG_EXTRA='"invites_per_minute": 3, "max_calls": 10'
case_begin "hub starts with an invite rate"
sip_hub_start
case_end

case_begin "invites beyond the rate get 503"
sipp_run rate uac_hold_open.xml 1022 -m 5 -l 1 -r 10 -d 100
sipp_check rate
check_equal "503 responses" 2 "$(sipp_count rate 'SIP/2.0 503')"
check_contains "daemon log" "$(cat "$HUB_LOG")" \
	"invites_per_minute=3 source=127.0.0.1"
case_end

case_begin "hub stops cleanly with the rate"
hub_stop
check_not_contains "daemon log" "$(cat "$HUB_LOG")" "AddressSanitizer"
case_end

tests_done
