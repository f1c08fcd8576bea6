#!/usr/bin/env bash
# Durability: a ticket acknowledged with 201 survives kill -9, and SIGTERM
# finishes the requests in flight before the daemon exits.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ROUNDS=5
IN_FLIGHT=50
acknowledged=()

# Checks that every code given is in the running daemon: by the public
# status endpoint and in the admin list.
check_codes_present() {
	local code
	admin_codes
	for code in "$@"; do
		api GET "/api/v1/requests/$code"
		check_status 200
		if ! grep -qx -- "$code" <<<"$ADMIN_CODES"; then
			fail "ticket $code missing from GET /api/v1/tickets"
		fi
	done
}

case_begin "kill -9 after each 201 keeps the ticket"
data=""
for round in $(seq 1 "$ROUNDS"); do
	hub_start "$data" || break
	data=$HUB_DATA
	for i in 1 2; do
		submit "kill9-$round-$i"
		[ -z "$SUBMIT_CODE" ] || acknowledged+=("$SUBMIT_CODE")
	done
	hub_kill9
done
check_equal "tickets acknowledged" $((ROUNDS * 2)) "${#acknowledged[@]}"
if hub_start "$data"; then
	check_codes_present "${acknowledged[@]}"
fi
case_end

case_begin "kill -9 during a burst keeps acknowledged tickets"
burst=$TEST_TMP/burst
mkdir -p "$burst"
for i in $(seq 1 20); do
	submit_background "burst-$i" "$burst/$i" &
done
deadline=$((SECONDS + 10))
until grep -qs '^201 ' "$burst"/*.status || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.01
done
hub_kill9
wait
mapfile -t burst_codes < <(codes_answered "$burst")
check_ge "201 answers before kill -9" 1 "${#burst_codes[@]}"
for file in "$burst"/*.status; do
	read -r status curl_exit <"$file"
	if [ "$status" != 201 ] && [ "$status" != 000 ]; then
		fail "$(basename "$file" .status): HTTP $status (curl exit $curl_exit)"
	fi
done
if hub_start "$data"; then
	check_codes_present "${acknowledged[@]}" "${burst_codes[@]}"
fi
case_end

case_begin "sigterm with requests in flight"
flight=$TEST_TMP/flight
mkdir -p "$flight"
for i in $(seq 1 "$IN_FLIGHT"); do
	submit_background "flight-$i" "$flight/$i" &
done
deadline=$((SECONDS + 10))
until grep -qs '^201 ' "$flight"/*.status || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.005
done
hub_stop
wait
answered=0
refused=0
for file in "$flight"/*.status; do
	read -r status curl_exit <"$file"
	name=$(basename "$file" .status)
	if [ "$status" = 201 ]; then
		answered=$((answered + 1))
	elif [ "$status" = 000 ] && [ "$curl_exit" = 7 ]; then
		refused=$((refused + 1))
	else
		fail "request $name: HTTP $status, curl exit $curl_exit" \
			"(expected 201 or a refused connection, exit 7;" \
			"52 is an empty reply, 56 a reset)"
	fi
done
echo "# $answered answered with 201, $refused refused"
outcomes=("$flight"/*.status)
check_equal "requests accounted for" "$IN_FLIGHT" "${#outcomes[@]}"
check_ge "201 answers" 1 "$answered"
mapfile -t flight_codes < <(codes_answered "$flight")
if hub_start "$data"; then
	check_codes_present "${flight_codes[@]}"
	hub_stop
fi
case_end

tests_done
