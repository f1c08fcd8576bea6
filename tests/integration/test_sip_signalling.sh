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

# One department with the categories that ivr/menu.json names.
HUB_CONFIG_EXTRA=$(sip_desk_config)


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

# A short welcome, so that a key reaches the main menu at once, and a long
# media timeout. Before the caller's first RTP packet the hub waits 5 s at
# most, so a scenario that lasts longer streams silence.
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

# silence.wav for the scenarios that stream RTP.
sipp_defaults_write "$TEST_TMP"

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

# --- INVITE without SDP (delayed offer) -----------------------------------------

# delayed_udp MODE: runs sip_delayed_offer.py MODE against the hub and sets
# DELAYED_OUTPUT to what it printed and DELAYED_CALL_ID to its Call-ID.
delayed_udp() {
	DELAYED_OUTPUT=$(timeout 30 python3 "$SIP_DIR/sip_delayed_offer.py" \
		"$SIP_PORT" 1022 "$1" 2>&1 || true)
	DELAYED_CALL_ID=$(sed -n 's/^call_id //p' <<<"$DELAYED_OUTPUT")
}

# delayed_end_check END_REASON ANSWERED: waits for the call record of
# DELAYED_CALL_ID and checks its end reason, and whether answered_at is set
# (yes) or null (no).
delayed_end_check() {
	sip_call_wait "$DELAYED_CALL_ID" || return 0
	check_equal "end reason" "$1" "$(sip_call_field end_reason)"
	if [ "$2" = yes ]; then
		check_not_contains "answered at" "$(sip_call_field answered_at)" null
	else
		check_equal "answered at" null "$(sip_call_field answered_at)"
	fi
}

# delayed_rtp_sockets: prints how many UDP sockets the hub has open on ports
# from SIP_RTP_MIN to SIP_RTP_MAX.
delayed_rtp_sockets() {
	ss -Hanup | grep -F "pid=$HUB_PID," | awk '{ print $4 }' |
		sed 's/.*://' | awk -v low="$SIP_RTP_MIN" -v high="$SIP_RTP_MAX" \
		'$1 >= low && $1 <= high' | wc -l
}

case_begin "delayed offer takes answer from ack"
sip_sink_start delayed
signalling_sipp delayed uac_delayed_offer.xml 1022 -m 1 -d 2500 \
	-key rtp_port "$SIP_SINK_PORT"
sip_sink_stop
signalling_check delayed
check_contains "daemon log" "$(cat "$HUB_LOG")" \
	"SDP answer in the ACK codec=PCMA events=101"
sink=$(cat "$SIP_SINK_OUT.json" 2>/dev/null || echo '{}')
# 2.5 s after the ACK at 20 ms a packet: about 125 packets.
check_ge "audio packets at the answer's port" 50 \
	"$(json_get "$sink" audio_packets || echo 0)"
check_equal "payload types at the answer's port" "[8]" \
	"$(json_get "$sink" payload_types || true)"
if sip_call_wait "$(signalling_call_id delayed)"; then
	check_equal "end reason" caller "$(sip_call_field end_reason)"
	check_not_contains "answered at" "$(sip_call_field answered_at)" null
fi
case_end

case_begin "delayed offer ack without answer gets bye"
signalling_sipp delayed_no_answer uac_delayed_no_answer.xml 1022 -m 1
signalling_check delayed_no_answer
DELAYED_CALL_ID=$(signalling_call_id delayed_no_answer)
check_contains "daemon log" "$(cat "$HUB_LOG")" \
	"call_id=$DELAYED_CALL_ID ACK without a usable SDP answer: no SDP answer in the ACK"
delayed_end_check answer_invalid yes
case_end

case_begin "delayed offer bad answers get bye"
for mode in text g722 multicast two; do
	delayed_udp "$mode"
	check_contains "$mode: the hub's offer" "$DELAYED_OUTPUT" \
		"offer m=audio"
	check_contains "$mode: BYE with Reason" "$DELAYED_OUTPUT" \
		"bye SIP;cause=488"
	check_contains "$mode: daemon log" "$(cat "$HUB_LOG")" \
		"call_id=$DELAYED_CALL_ID ACK without a usable SDP answer"
	delayed_end_check answer_invalid yes
done
check_contains "Reason for a text/plain ACK" "$(cat "$HUB_LOG")" \
	"usable SDP answer: the ACK's body is not application/sdp"
check_contains "Reason for a G.722 answer" "$(cat "$HUB_LOG")" \
	"usable SDP answer: PCMU or PCMA over RTP/AVP only"
check_contains "Reason for a multicast answer" "$(cat "$HUB_LOG")" \
	"RTP to a multicast address is not sent"
check_contains "Reason for two m= lines" "$(cat "$HUB_LOG")" \
	"the answer has 2 m= lines where the offer had 1"
case_end

case_begin "delayed offer bye before ack"
delayed_udp bye
check_contains "BYE response" "$DELAYED_OUTPUT" "bye_response SIP/2.0 200"
delayed_end_check caller yes
case_end

case_begin "delayed offer cancel while ringing"
delayed_udp cancel
check_contains "CANCEL response" "$DELAYED_OUTPUT" \
	"cancel_response SIP/2.0 200"
check_contains "INVITE response" "$DELAYED_OUTPUT" \
	"invite_response SIP/2.0 487"
delayed_end_check caller no
case_end

case_begin "delayed offer without ack frees the call"
# nua retransmits the 200 until 64 * T1 (32 s), then sends BYE.
signalling_sipp delayed_no_ack uac_delayed_no_ack.xml 1022 -m 1 -timeout 55
signalling_check delayed_no_ack
DELAYED_CALL_ID=$(signalling_call_id delayed_no_ack)
check_contains "daemon log" "$(cat "$HUB_LOG")" \
	"call_id=$DELAYED_CALL_ID no ACK for the 200"
delayed_end_check ack_timeout yes
sip_idle_wait 10
check_equal "UDP sockets of the hub in its RTP range" 0 "$(delayed_rtp_sockets)"
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
# Five rejections from one source in a minute: one line.
check_equal "logged rejections" 1 "$(grep -c 'INVITE rejected' "$HUB_LOG")"
case_end

case_begin "offers aimed elsewhere get 488"
# signalling_invite_udp ADDRESS_TYPE ADDRESS PORT: sends one INVITE over UDP
# whose SDP names ADDRESS and PORT, and prints the status line and the
# Warning of the final response.
signalling_invite_udp() {
	python3 - "$SIP_PORT" "$1" "$2" "$3" <<'PY'
import socket, sys, uuid
port, family, address, media_port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
local = s.getsockname()[1]
call_id = uuid.uuid4().hex
body = ("v=0\r\no=- 1 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n"
        "m=audio %s RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        % (family, address, family, address, media_port))
invite = ("INVITE sip:1022@127.0.0.1:%s SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
          "From: <sip:probe@127.0.0.1>;tag=%s\r\nTo: <sip:1022@127.0.0.1>\r\n"
          "Call-ID: %s@127.0.0.1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
          "Contact: <sip:probe@127.0.0.1:%d>\r\n"
          "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
          % (port, local, call_id, call_id[:8], call_id, local, len(body), body))
s.sendto(invite.encode(), ("127.0.0.1", int(port)))
while True:
    try:
        data = s.recv(65536).decode("latin-1")
    except socket.timeout:
        print("timeout")
        break
    status = data.split("\r\n", 1)[0]
    code = int(status.split()[1])
    if code < 200:
        continue
    warning = [l for l in data.split("\r\n") if l.lower().startswith("warning:")]
    print(status)
    print(warning[0] if warning else "no Warning")
    if code >= 300:
        ack = invite.split("\r\n\r\n")[0].replace("INVITE sip:", "ACK sip:", 1)
        s.sendto(ack.encode(), ("127.0.0.1", int(port)))
    break
PY
}
for target in "IP4 169.254.169.254 7000 link-local" "IP4 224.0.0.1 7000 multicast" \
	"IP4 127.0.0.99 80 port 80" "IP6 ::1 7000 IPv6" "IP4 127.0.0.1 0 refused"; do
	read -r family address port reason <<<"$target"
	reply=$(signalling_invite_udp "$family" "$address" "$port")
	check_contains "response to $address port $port" "$reply" \
		"SIP/2.0 488"
	check_contains "Warning for $address port $port" "$reply" "$reason"
done
case_end

case_begin "hub stops cleanly"
# A call whose 200 carries the hub's offer and gets no ACK is still up at
# the stop: the hub ends it with BYE.
pending_line="waiting for the answer in the ACK"
pending_before=$(grep -c "$pending_line" "$HUB_LOG" || true)
(
	signalling_sipp stop_pending uac_delayed_no_ack.xml 1022 -m 1
	exit "$SIPP_STATUS"
) &
stop_pending=$!
deadline=$((SECONDS + 10))
until [ "$(grep -c "$pending_line" "$HUB_LOG" || true)" -gt "$pending_before" ] ||
	[ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
hub_stop
SIPP_STATUS=0
wait "$stop_pending" || SIPP_STATUS=$?
signalling_check stop_pending
check_contains "daemon log" "$(cat "$HUB_LOG")" "hangup reason=shutdown"
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

# --- TCP connections ----------------------------------------------------------------

# signalling_tcp_probe: opens 20 silent TCP connections, one that sends a
# byte of garbage every 0.3 s and one that sends a 100 kB INVITE to
# SIP_PORT, then prints for each kind how many seconds it stayed open (-1
# while still open after 20 s) and the first line of any response.
signalling_tcp_probe() {
	python3 - "$SIP_PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    return s
silent = [connect() for _ in range(20)]
garbage = connect()
big = connect()
body = "v=0\r\n" + "a=x-pad:" + "x" * 100000 + "\r\n"
invite = ("INVITE sip:1022@127.0.0.1:%d SIP/2.0\r\n"
          "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-big\r\n"
          "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:1022@127.0.0.1>\r\n"
          "Call-ID: big-sdp@127.0.0.1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
          "Contact: <sip:probe@127.0.0.1:9;transport=tcp>\r\n"
          "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
          % (port, len(body), body)).encode()
big.setblocking(True)
try:
    big.sendall(invite)
except OSError:
    pass
big.setblocking(False)
start = time.monotonic()
closed = {}
big_reply = b""
def is_closed(s):
    try:
        data = s.recv(65536)
    except BlockingIOError:
        return False, b""
    except OSError:
        return True, b""
    return data == b"", data
next_garbage = start
while time.monotonic() - start < 20 and len(closed) < 3:
    now = time.monotonic()
    if "silent" not in closed:
        if all(is_closed(s)[0] for s in silent):
            closed["silent"] = now - start
    if "garbage" not in closed:
        if now >= next_garbage:
            try:
                garbage.send(b"\x00")
            except OSError:
                pass
            next_garbage = now + 0.3
        if is_closed(garbage)[0]:
            closed["garbage"] = now - start
    if "big" not in closed:
        done, data = is_closed(big)
        big_reply += data
        if done:
            closed["big"] = now - start
    time.sleep(0.1)
for kind in ("silent", "garbage", "big"):
    print("%s %d" % (kind, closed.get(kind, -1)))
first = big_reply.split(b"\r\n", 1)[0].decode("latin-1")
print("big_reply " + (first or "none"))
PY
}

SIP_CHANNEL_EXTRA=', "tcp_idle_seconds": 2'
case_begin "hub starts with a short tcp idle time"
sip_hub_start
case_end

case_begin "idle and garbage tcp connections are closed"
probe=$(signalling_tcp_probe)
silent=$(sed -n 's/^silent //p' <<<"$probe")
garbage=$(sed -n 's/^garbage //p' <<<"$probe")
big_reply=$(sed -n 's/^big_reply //p' <<<"$probe")
# -1 means still open after 20 s.
check_ge "seconds until the silent connections closed" 0 "${silent:--1}"
[ "${silent:-99}" -le 5 ] ||
	fail "silent connections: expected closed within 5 s, took $silent"
check_ge "seconds until the garbage connection closed" 0 "${garbage:--1}"
[ "${garbage:-99}" -le 15 ] ||
	fail "garbage connection: expected closed within 15 s, took $garbage"
check_not_contains "response to a 100 kB INVITE" "$big_reply" "SIP/2.0 100"
check_not_contains "response to a 100 kB INVITE" "$big_reply" "SIP/2.0 200"
curl_status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"$HUB_URL/healthz" || true)
check_equal "GET /healthz after the probe" 200 "$curl_status"
case_end

case_begin "hub stops cleanly after the tcp probe"
hub_stop
check_not_contains "daemon log" "$(cat "$HUB_LOG")" "AddressSanitizer"
case_end

tests_done
