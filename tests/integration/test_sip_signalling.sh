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

TRANSFER_URI="sip:desk@127.0.0.1:5999"

# The desk's categories that the menu file records reports under.
HUB_CONFIG_EXTRA=$(cat <<'JSON'
	"departments": [
		{ "id": "ubnd", "name_vi": "Văn phòng UBND", "name_en": "People's Committee Office" }
	],
	"categories": [
		{ "id": "traffic", "name_vi": "Giao thông", "name_en": "Traffic", "department": "ubnd" },
		{ "id": "lighting", "name_vi": "Chiếu sáng", "name_en": "Lighting", "department": "ubnd" },
		{ "id": "environment", "name_vi": "Môi trường", "name_en": "Environment", "department": "ubnd" },
		{ "id": "other", "name_vi": "Khác", "name_en": "Other", "department": "ubnd" }
	]
JSON
)


command -v sip-options >/dev/null || {
	echo "missing: sip-options (apt-get install sofia-sip-bin)" >&2
	exit 1
}

# sip_options METHOD [EXTRA_FILE]: sends one request with sip-options from
# its own port on 127.0.0.1. Sets SIP_OUTPUT (the response) and SIP_STATUS
# (the exit status: 0 for a 2xx).
sip_options() {
	local bind_port
	bind_port=$(sip_free_udp_port)
	SIP_STATUS=0
	SIP_OUTPUT=$(timeout 10 sip-options --all --method="$1" \
		--bind="sip:127.0.0.1:$bind_port" "sip:1022@127.0.0.1:$SIP_PORT" \
		${2:+"$2"} 2>&1) || SIP_STATUS=$?
}

# signalling_sipp NAME SCENARIO SERVICE [SIPP_ARGS...]: runs a SIPp scenario
# that may place several calls (sipp_run of sip_lib.sh places one call with
# a fixed Call-ID) from $TEST_TMP. Its messages go to NAME.messages and its errors to
# NAME.errors. Sets SIPP_STATUS (0 when every call passed).
signalling_sipp() {
	local name=$1 scenario=$2 service=$3
	shift 3
	SIPP_STATUS=0
	(cd "$TEST_TMP" && exec timeout 60 sipp -sf "$SIP_SCENARIOS/$scenario" \
		"127.0.0.1:$SIP_PORT" -s "$service" -i 127.0.0.1 \
		-p "$(sip_free_udp_port)" -mp "$(sip_free_udp_range 4)" \
		-timeout 40 -nostdin \
		-trace_msg -message_file "$name.messages" \
		-trace_err -error_file "$name.errors" "$@" \
		>"$TEST_TMP/$name.out" 2>&1 </dev/null) || SIPP_STATUS=$?
}

# signalling_check NAME: fails the case unless the last signalling_sipp
# passed.
signalling_check() {
	if [ "$SIPP_STATUS" != 0 ]; then
		fail "sipp $1 exited with status $SIPP_STATUS:" \
			"$(grep -v 'Failed to delete FD from epoll' \
			"$TEST_TMP/$1.errors" 2>/dev/null | tail -n 5)"
	fi
}

# signalling_count NAME LINE: how many messages of NAME's log start with
# LINE.
signalling_count() {
	grep -c "^$2" "$TEST_TMP/$1.messages" 2>/dev/null || true
}

# A short welcome, so that a key reaches the main menu at once, and no
# media timeout: SIPp sends no RTP in these scenarios.
mkdir -p "$TEST_TMP/override/vi" "$TEST_TMP/override/en"
for language in vi en; do
	sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/override/$language/welcome.wav" \
		trim 0 0.3
done
# The recording notice that follows the welcome cannot be skipped either.
for language in vi en; do
	cp "$TEST_TMP/override/$language/welcome.wav" \
		"$TEST_TMP/override/$language/recording_notice.wav"
done
SIP_PROMPTS_OVERRIDE_DIR=$TEST_TMP/override
SIP_MEDIA_TIMEOUT_SECONDS=60
# signalling_call_id NAME: prints the Call-ID of the first call in NAME's
# log.
signalling_call_id() {
	sed -n 's/^Call-ID: *//p' "$TEST_TMP/$1.messages" | head -n 1 |
		tr -d '\r'
}

SIP_RING_MS=1500
SIP_CHANNEL_EXTRA=', "numbers": ["1022"], "max_calls": 3,
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
signalling_sipp g722 uac_g722.xml 1022 -m 1
signalling_check g722
check_equal "488 responses" 1 "$(signalling_count g722 'SIP/2.0 488')"
case_end

case_begin "unknown number gets 404"
signalling_sipp unknown uac_unknown_number.xml 1999 -m 1
signalling_check unknown
check_equal "404 responses" 1 "$(signalling_count unknown 'SIP/2.0 404')"
check_equal "180 responses" 0 "$(signalling_count unknown 'SIP/2.0 180')"
case_end

case_begin "cancel while ringing gets 487"
signalling_sipp cancel uac_cancel.xml 1022 -m 1
signalling_check cancel
check_equal "487 responses" 1 "$(signalling_count cancel 'SIP/2.0 487')"
check_contains "daemon log" "$(cat "$HUB_LOG")" "cancelled by the caller"
if sip_call_wait "$(signalling_call_id cancel)"; then
	check_equal "end reason" caller "$(sip_call_field end_reason)"
	check_equal "answered at" null "$(sip_call_field answered_at)"
	check_equal "callee" 1022 "$(sip_call_field callee)"
fi
case_end

case_begin "info and hold in a call"
signalling_sipp info_hold uac_info_hold.xml 1022 -m 1
signalling_check info_hold
if sip_call_wait "$(signalling_call_id info_hold)"; then
	check_equal "end reason" caller "$(sip_call_field end_reason)"
	check_equal "key methods" '["info"]' "$(sip_call_field dtmf_methods)"
fi
case_end

case_begin "refer transfers to transfer_uri"
signalling_sipp refer uac_refer.xml 1022 -m 1 -key refer_target "$TRANSFER_URI"
signalling_check refer
check_contains "daemon log" "$(cat "$HUB_LOG")" "transfer status=200"
if sip_call_wait "$(signalling_call_id refer)"; then
	check_equal "end reason" transferred "$(sip_call_field end_reason)"
	check_contains "menu path" "$(sip_call_field path)" "main:0"
fi
case_end

# --- Limits ----------------------------------------------------------------------

case_begin "calls beyond max_calls get 503"
# Eight calls at once, each held 4 s after the ring: three fit.
(
	signalling_sipp burst uac_hold_open.xml 1022 -m 8 -l 8 -r 50 -d 4000
	exit "$SIPP_STATUS"
) &
burst=$!
sleep 1
curl_status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"$HUB_URL/healthz" || true)
check_equal "GET /healthz during the burst" 200 "$curl_status"
submit sip-burst
SIPP_STATUS=0
wait "$burst" || SIPP_STATUS=$?
signalling_check burst
check_equal "503 responses" 5 "$(signalling_count burst 'SIP/2.0 503')"
check_equal "Retry-After headers" 5 "$(signalling_count burst 'Retry-After: 30')"
check_equal "answered calls" 3 "$(signalling_count burst 'BYE sip:')"
check_contains "daemon log" "$(cat "$HUB_LOG")" "max_calls=3 reached"
case_end

case_begin "hub stops cleanly"
hub_stop
case_end

# --- Rate per source ---------------------------------------------------------------

SIP_RING_MS=0
SIP_CHANNEL_EXTRA=', "invites_per_minute": 3, "max_calls": 10'
case_begin "hub starts with an invite rate"
sip_hub_start
case_end

case_begin "invites beyond the rate get 503"
signalling_sipp rate uac_hold_open.xml 1022 -m 5 -l 1 -r 10 -d 100
signalling_check rate
check_equal "503 responses" 2 "$(signalling_count rate 'SIP/2.0 503')"
check_contains "daemon log" "$(cat "$HUB_LOG")" \
	"invites_per_minute=3 source=127.0.0.1"
case_end

case_begin "hub stops cleanly with the rate"
hub_stop
check_not_contains "daemon log" "$(cat "$HUB_LOG")" "AddressSanitizer"
case_end

tests_done
