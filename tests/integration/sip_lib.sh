# shellcheck shell=bash
# Globals such as SIP_PORT are read by the test files.
# shellcheck disable=SC2034
#
# Helpers of the SIP channel's tests: a hub with a channels.sip section on
# its own SIP port and RTP ports, and the SIP peers' common options. Source
# after lib.sh.
#
# Every config written here sets channels.sip.resolv_conf to a file that
# names only 127.0.0.1, because sofia-sip resolves host names found in
# malformed Via headers with its own resolver.

SIP_PORT=""
SIP_RESOLV_CONF=$TEST_TMP/resolv.conf
SIP_MENU_FILE=$TOP/ivr/menu.json
SIP_PROMPTS_DIR=$TOP/prompts
# Extra members of channels.sip for the next sip_hub_start, e.g.
# '"max_calls": 3'.
SIP_CONFIG_EXTRA=""

sip_require() {
	local missing=()
	[ -f "$HUB_MODULES_DIR/sip.so" ] ||
		missing+=("$HUB_MODULES_DIR/sip.so (run make)")
	[ -f "$SIP_MENU_FILE" ] || missing+=("$SIP_MENU_FILE")
	[ -d "$SIP_PROMPTS_DIR/vi" ] ||
		missing+=("$SIP_PROMPTS_DIR/vi (run make: it renders the prompts)")
	if [ ${#missing[@]} -gt 0 ]; then
		echo "FAIL: sip test set-up: missing ${missing[*]}"
		exit 1
	fi
}
sip_require

printf 'nameserver 127.0.0.1\n' >"$SIP_RESOLV_CONF"

# Picks 10 even RTP ports in 20000-39998 at random, so that suites that run
# at the same time rarely share one.
sip_rtp_ports() {
	local base=$((20000 + (RANDOM % 1000) * 20))
	printf '"rtp_port_min": %d, "rtp_port_max": %d' "$base" $((base + 18))
}

# sip_hub_start: starts the hub with the sip channel on a free SIP port
# (SIP_PORT) and the keys of SIP_CONFIG_EXTRA.
sip_hub_start() {
	SIP_PORT=$(lib_free_port)
	HUB_CHANNELS_EXTRA="\"sip\": {
		\"listen\": \"127.0.0.1:$SIP_PORT\",
		\"resolv_conf\": \"$SIP_RESOLV_CONF\",
		\"menu_file\": \"$SIP_MENU_FILE\",
		\"prompts_dir\": \"$SIP_PROMPTS_DIR\",
		\"no_input_seconds\": 2,
		\"media_timeout_seconds\": 10,
		\"max_call_seconds\": 60,
		$(sip_rtp_ports)${SIP_CONFIG_EXTRA:+, $SIP_CONFIG_EXTRA}
	}"
	hub_start
}
