#!/usr/bin/env bash
# The RFC 4475 torture messages (tests/cases/sip/rfc4475) against the hub's
# SIP channel: each gets the response its README states, or is listed in
# sip_torture.py as a known deviation of sofia-sip 1.12.11 with the reason,
# and after each one the hub still answers OPTIONS and GET /healthz.
#
# The suite runs in a network namespace of its own with only loopback:
# some messages make sofia-sip resolve the host names of their Via headers,
# and the INVITEs offer media on 192.0.2.x, so nothing may leave the
# machine. The script re-executes itself under `unshare --net`, which
# needs root or CAP_SYS_ADMIN.
if [ "${SIP_TORTURE_NETNS:-0}" != 1 ]; then
	if ! unshare --net -- true 2>/dev/null; then
		echo "FAIL: sip torture set-up: unshare --net is not permitted" \
			"here; run the suite as root or with CAP_SYS_ADMIN"
		exit 1
	fi
	exec unshare --net -- env SIP_TORTURE_NETNS=1 bash "$0" "$@"
fi
if ! ip link set lo up; then
	echo "FAIL: sip torture set-up: cannot bring up lo in the namespace"
	exit 1
fi

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

CASES=$TOP/tests/cases/sip/rfc4475

# One department with the categories that ivr/menu.json names.
HUB_CONFIG_EXTRA=$(sip_desk_config)


case_begin "rfc4475 copies match their checksums"
sums=$(sed -n '/^```$/,/^```$/p' "$CASES/README.md" | grep -v '^```')
check_equal "files listed" 49 "$(printf '%s\n' "$sums" | grep -c '\.dat$')"
result=$(cd "$CASES" && printf '%s\n' "$sums" | sha256sum -c --quiet 2>&1) ||
	fail "sha256sum -c: $result"
case_end

# No ringing, so that an INVITE gets its final response at once. The
# script closes the calls it set up with BYE. The RFC 4475 offers name
# media addresses in 192.0.2.0/24 while the messages come from 127.0.0.1,
# so media_networks admits that network; this namespace has no route to it.
SIP_RING_MS=0
SIP_CHANNEL_EXTRA=', "max_calls": 20, "invites_per_minute": 0,
	"media_networks": ["192.0.2.0/24"]'
case_begin "hub starts with the sip channel"
sip_hub_start
case_end

python3 "$TOP/tests/integration/sip_torture.py" "$CASES" "$SIP_PORT" "$HUB_URL" ||
	CASES_FAILED=$((CASES_FAILED + 1))

case_begin "hub stops cleanly after the torture"
hub_stop
check_not_contains "daemon log" "$(cat "$HUB_LOG")" "AddressSanitizer"
check_not_contains "daemon log" "$(cat "$HUB_LOG")" "runtime error:"
case_end

tests_done
