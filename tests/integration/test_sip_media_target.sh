#!/usr/bin/env bash
# Where and when the hub sends RTP, with a Python caller on 127.0.0.1 and
# UDP listeners on 127.0.0.1 and 127.0.0.2 (sip_media_target.py): an offer
# naming an address other than the INVITE's source gets 488 unless
# channels.sip.media_networks covers it, nothing is sent before the ACK of
# the 200, and symmetric RTP does not latch on a source outside the call.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

HUB_CONFIG_EXTRA=$(sip_desk_config)
SIP_MEDIA_TIMEOUT_SECONDS=10

# target_call MODE: runs sip_media_target.py MODE against the hub and sets
# TARGET_OUTPUT to what it printed, which target.out also keeps.
target_call() {
	TARGET_OUTPUT=$(timeout 30 python3 "$SIP_DIR/sip_media_target.py" \
		"$SIP_PORT" 1022 "$1" 2>&1 || true)
	printf '%s\n' "== $1" "$TARGET_OUTPUT" >>"$TEST_TMP/target.out"
}

# target_value NAME: the value of the line "NAME VALUE" of TARGET_OUTPUT.
target_value() {
	sed -n "s/^$1 //p" <<<"$TARGET_OUTPUT" | head -n 1
}

case_begin "hub starts without media_networks"
sip_hub_start
case_end

case_begin "offer naming another address gets 488"
target_call other
check_equal "INVITE response" "SIP/2.0 488 Not Acceptable Here" \
	"$(target_value invite_response)"
check_contains "Warning" "$(target_value warning)" \
	'399 127.0.0.1 "RTP to 127.0.0.2 is not sent: the address is neither the SIP source 127.0.0.1 nor in channels.sip.media_networks"'
check_equal "RTP packets at 127.0.0.2" 0 "$(target_value packets_at_other)"
check_contains "daemon log" "$(cat "$HUB_LOG")" \
	"SDP offer rejected: RTP to 127.0.0.2 is not sent"
case_end

case_begin "delayed offer answer naming another address gets bye"
DELAYED_OUTPUT=$(timeout 30 python3 "$SIP_DIR/sip_delayed_offer.py" \
	"$SIP_PORT" 1022 other 2>&1 || true)
check_contains "BYE with Reason" "$DELAYED_OUTPUT" \
	'bye SIP;cause=488;text="RTP to 127.0.0.2 is not sent'
case_end

case_begin "no rtp before the ack of the 200"
target_call late_ack
check_equal "INVITE response" "SIP/2.0 200 OK" "$(target_value invite_response)"
check_equal "RTP packets in the 1 s before the ACK" 0 \
	"$(target_value packets_before_ack)"
check_equal "RTP packets after an ACK with a wrong To tag" 0 \
	"$(target_value packets_after_wrong_ack)"
first=$(target_value first_packet_after_ack_ms)
check_match "first packet after the ACK (ms)" "$first" '^[0-9]+$'
if [[ "$first" =~ ^[0-9]+$ ]] && [ "$first" -gt 500 ]; then
	fail "first packet $first ms after the ACK, expected 500 ms or less"
fi
case_end

case_begin "symmetric rtp does not latch on a forged source"
target_call latch
check_equal "INVITE response" "SIP/2.0 200 OK" "$(target_value invite_response)"
check_equal "RTP packets at the forged source" 0 \
	"$(target_value packets_at_forger)"
after=$(target_value packets_at_caller_after_forgery)
check_ge "RTP packets at the caller after the forgery" 30 "${after:-0}"
check_contains "daemon log" "$(cat "$HUB_LOG")" \
	"RTP from an address outside the call and channels.sip.media_networks dropped"
case_end

case_begin "hub stops cleanly without media_networks"
sip_idle_wait 15
sip_log_check_clean
hub_stop
case_end

SIP_CHANNEL_EXTRA=', "media_networks": ["127.0.0.2/32"]'
case_begin "hub starts with media_networks"
sip_hub_start
case_end

case_begin "media_networks lets an offer name 127.0.0.2"
target_call other
check_equal "INVITE response" "SIP/2.0 200 OK" "$(target_value invite_response)"
# 2 s after the ACK at 20 ms a packet: about 100.
packets=$(target_value packets_at_other)
check_ge "RTP packets at 127.0.0.2" 50 "${packets:-0}"
case_end

case_begin "hub stops cleanly with media_networks"
sip_idle_wait 15
sip_log_check_clean
hub_stop
check_not_contains "daemon log" "$(cat "$HUB_LOG")" "AddressSanitizer"
case_end

tests_done
