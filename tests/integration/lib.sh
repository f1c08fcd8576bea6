# shellcheck shell=bash
# Globals such as SUBMIT_CODE and HUB_EXIT are read by the test files.
# shellcheck disable=SC2034
#
# Harness of the integration tests. Each tests/integration/test_*.sh sources
# this file, starts the real citizenhubd on its own port and data directory
# and drives it with curl and citizenhubctl. Each test case ends with a line
# "PASS: name" or "FAIL: name", which scripts/test counts.
#
# Every server listens and every client connects on 127.0.0.1 only.
#
# Environment:
#   KEEP_TMP=1        keep the temporary folder of the test for inspection
#   HUB_LOG_LINES=N   lines of the daemon log printed for a failed case (40)

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HUB_BIN=$TOP/citizenhubd
CTL_BIN=$TOP/citizenhubctl
HUB_MODULES_DIR=$TOP/channels/.libs
HUB_TEMPLATES_DIR=$TOP/templates
TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/citizenhub-$TEST_NAME.XXXXXX")

# State of the daemon started last by hub_start.
HUB_PID=""
HUB_PORT=""
HUB_URL=""
HUB_DATA=""
HUB_CONFIG=""
HUB_TOKEN=""
HUB_TOKEN_FILE=""
HUB_LOG=$TEST_TMP/hub.log
# Set before hub_start: "on" turns the per-address rate limits on for
# 127.0.0.1, which is exempt otherwise.
HUB_RATE_LIMITS=off
# Extra top-level JSON members for the next config, e.g. '"workers": 1'.
HUB_CONFIG_EXTRA=""
# Extra members of "channels" for the next config, e.g. '"testchat": {}'.
HUB_CHANNELS_EXTRA=""
# http.max_body_bytes and channels.web.min_fill_seconds of the next config.
HUB_MAX_BODY_BYTES=65536
HUB_MIN_FILL_SECONDS=0

# Result of the last api call.
API_STATUS=""
API_BODY=""
API_BODY_FILE=$TEST_TMP/api-body

# Bookkeeping of the current test case.
CASE_NAME=""
CASE_FAILURES=()
CASE_LOG_START=0
CASES_FAILED=0
HUB_PIDS=()

# --- Set-up and clean-up ---------------------------------------------------

lib_cleanup() {
	local status=$? pid
	trap - EXIT
	if [ -n "$CASE_NAME" ]; then
		fail "the test script stopped inside this case (exit status $status)"
		case_end
		status=1
	fi
	for pid in "${HUB_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	# Background clients of the test (curl loops).
	for pid in $(jobs -p); do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "${KEEP_TMP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
		echo "# files of this test kept in $TEST_TMP"
	else
		rm -rf "$TEST_TMP"
	fi
	exit "$status"
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM

lib_require() {
	local missing=()
	[ -x "$HUB_BIN" ] || missing+=("$HUB_BIN (run make)")
	[ -x "$CTL_BIN" ] || missing+=("$CTL_BIN (run make)")
	[ -f "$HUB_MODULES_DIR/web.so" ] ||
		missing+=("$HUB_MODULES_DIR/web.so (run make)")
	command -v curl >/dev/null || missing+=("curl (apt-get install curl)")
	command -v python3 >/dev/null ||
		missing+=("python3 (apt-get install python3)")
	if [ ${#missing[@]} -gt 0 ]; then
		echo "missing: ${missing[*]}" >&2
		exit 1
	fi
}
lib_require

# --- Test cases -------------------------------------------------------------

case_begin() {
	CASE_NAME=$1
	CASE_FAILURES=()
	CASE_LOG_START=$(lib_log_lines)
	echo "--- $CASE_NAME"
}

lib_log_lines() {
	if [ -f "$HUB_LOG" ]; then
		wc -l <"$HUB_LOG"
	else
		echo 0
	fi
}

# Prints the daemon log written during the case (its last lines), or the
# last lines before it when the case wrote none.
lib_log_print() {
	local lines=${HUB_LOG_LINES:-40} start=$CASE_LOG_START
	[ -s "$HUB_LOG" ] || return 0
	if [ "$(lib_log_lines)" -le "$start" ]; then
		start=$((start > 10 ? start - 10 : 0))
	fi
	echo "    daemon log ($HUB_LOG) from line $((start + 1)), last $lines lines:"
	tail -n "+$((start + 1))" "$HUB_LOG" | tail -n "$lines" | sed 's/^/    | /'
}

# Records a failure of the current case; the case goes on.
fail() {
	CASE_FAILURES+=("$*")
}

case_end() {
	local reason
	if [ ${#CASE_FAILURES[@]} -eq 0 ]; then
		echo "PASS: $CASE_NAME"
	else
		echo "FAIL: $CASE_NAME"
		for reason in "${CASE_FAILURES[@]}"; do
			echo "    $reason"
		done
		CASES_FAILED=$((CASES_FAILED + 1))
		lib_log_print
	fi
	CASE_NAME=""
}

# Ends the test file: exit 1 when a case failed.
tests_done() {
	[ "$CASES_FAILED" -eq 0 ]
}

# check_equal WHAT EXPECTED GOT
check_equal() {
	if [ "$2" != "$3" ]; then
		fail "$1: expected \"$2\", got \"$3\""
	fi
}

# check_not_equal WHAT UNEXPECTED GOT
check_not_equal() {
	if [ "$2" = "$3" ]; then
		fail "$1: expected anything but \"$2\""
	fi
}

# check_contains WHAT TEXT NEEDLE
check_contains() {
	if [[ "$2" != *"$3"* ]]; then
		fail "$1: expected to contain \"$3\", got \"$(lib_shorten "$2")\""
	fi
}

# check_not_contains WHAT TEXT NEEDLE
check_not_contains() {
	if [[ "$2" == *"$3"* ]]; then
		fail "$1: expected not to contain \"$3\", got \"$(lib_shorten "$2")\""
	fi
}

# check_match WHAT TEXT EXTENDED_REGEX
check_match() {
	if ! printf '%s\n' "$2" | grep -Eq -- "$3"; then
		fail "$1: expected to match /$3/, got \"$(lib_shorten "$2")\""
	fi
}

# check_status EXPECTED: the status of the last api call.
check_status() {
	if [ "$API_STATUS" != "$1" ]; then
		fail "$API_REQUEST: expected HTTP $1, got $API_STATUS" \
			"with body \"$(lib_shorten "$API_BODY")\""
	fi
}

# check_ge WHAT MINIMUM GOT (integers)
check_ge() {
	if [ "$3" -lt "$2" ]; then
		fail "$1: expected at least $2, got $3"
	fi
}

lib_shorten() {
	local text=${1//$'\n'/ }
	if [ ${#text} -gt 300 ]; then
		text="${text:0:300}..."
	fi
	printf '%s' "$text"
}

# --- JSON --------------------------------------------------------------------

# json_get JSON PATH: prints the value at PATH ("code", "error.message.vi",
# "0.code"); strings raw, other values as JSON. Prints nothing and returns 1
# when the text is not JSON or the path is missing.
json_get() {
	python3 -c '
import json, sys
try:
    value = json.loads(sys.argv[1])
    for part in sys.argv[2].split(".") if sys.argv[2] else []:
        value = value[int(part)] if isinstance(value, list) else value[part]
except (ValueError, KeyError, IndexError, TypeError):
    sys.exit(1)
print(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
' "$1" "$2"
}

# json_length TEXT: prints the length of a JSON array or object, or nothing
# when TEXT is not one.
json_length() {
	python3 -c 'import json, sys; print(len(json.loads(sys.argv[1])))' \
		"$1" 2>/dev/null || true
}

# json_valid TEXT: whether TEXT is one JSON value.
json_valid() {
	python3 -c 'import json, sys; json.loads(sys.argv[1])' "$1" 2>/dev/null
}

# --- The daemon ----------------------------------------------------------------

# hub_log_wait TEXT SECONDS: waits until the daemon's log holds TEXT, or
# records a failure and returns 1.
hub_log_wait() {
	local deadline=$((SECONDS + $2))
	until grep -q -F -- "$1" "$HUB_LOG"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "the daemon's log has no \"$1\" within $2 s"
			return 1
		fi
		sleep 0.2
	done
}

lib_free_port() {
	python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
'
}

# Writes the test config to $1 for $HUB_DATA, $HUB_PORT and $HUB_TOKEN_FILE:
# short timeouts, small batches, rate limits exempting 127.0.0.1 unless
# HUB_RATE_LIMITS=on.
hub_config_write() {
	local exempt='"127.0.0.1"'
	if [ "$HUB_RATE_LIMITS" = on ]; then
		exempt=""
	fi
	cat >"$1" <<JSON
{
	"data_dir": "$HUB_DATA",
	"modules_dir": "$HUB_MODULES_DIR",
	"templates_dir": "$HUB_TEMPLATES_DIR",
	"workers": 2,
	"log": { "level": "debug" },
	"http": {
		"listen": "127.0.0.1:$HUB_PORT",
		"public_url": "http://127.0.0.1:$HUB_PORT",
		"max_body_bytes": $HUB_MAX_BODY_BYTES,
		"timeout_seconds": 5
	},
	"store": { "batch_max": 64, "busy_timeout_ms": 2000 },
	"rate_limits": {
		"submit_per_minute": 20,
		"lookup_per_minute": 60,
		"exempt": [ $exempt ]
	},
	"admin": { "token_file": "$HUB_TOKEN_FILE" },
	${HUB_CONFIG_EXTRA:+$HUB_CONFIG_EXTRA,}
	"channels": { "web": { "min_fill_seconds": $HUB_MIN_FILL_SECONDS }${HUB_CHANNELS_EXTRA:+, $HUB_CHANNELS_EXTRA} }
}
JSON
}

# Creates the admin token file (mode 0600) once per test file.
lib_token_create() {
	HUB_TOKEN_FILE=$TEST_TMP/admin.token
	if [ ! -s "$HUB_TOKEN_FILE" ]; then
		(umask 077 && head -c 24 /dev/urandom | od -An -v -tx1 |
			tr -d ' \n' >"$HUB_TOKEN_FILE")
	fi
	HUB_TOKEN=$(cat "$HUB_TOKEN_FILE")
}

# hub_start [DATA_DIR]: starts citizenhubd on a free port (HUB_PORT_NEXT
# when set, for a config that must name the port beforehand) with a fresh
# data directory, or DATA_DIR to restart on an existing one, and waits up to
# 10 s for /readyz. Returns 1 (with the log) when it does not come up.
# shellcheck disable=SC2120 # the argument is optional
hub_start() {
	HUB_DATA=${1:-$(mktemp -d "$TEST_TMP/data.XXXXXX")}
	HUB_PORT=${HUB_PORT_NEXT:-$(lib_free_port)}
	HUB_PORT_NEXT=""
	HUB_URL=http://127.0.0.1:$HUB_PORT
	HUB_CONFIG=$TEST_TMP/hub-$HUB_PORT.json
	lib_token_create
	hub_config_write "$HUB_CONFIG"

	echo "=== citizenhubd -c $HUB_CONFIG (data $HUB_DATA)" >>"$HUB_LOG"
	"$HUB_BIN" -c "$HUB_CONFIG" </dev/null >>"$HUB_LOG" 2>&1 &
	HUB_PID=$!
	HUB_PIDS+=("$HUB_PID")
	hub_wait_ready
}

hub_wait_ready() {
	local deadline=$((SECONDS + 10)) status
	while [ "$SECONDS" -lt "$deadline" ]; do
		if ! kill -0 "$HUB_PID" 2>/dev/null; then
			wait "$HUB_PID" && status=0 || status=$?
			fail "citizenhubd exited with status $status during start-up"
			return 1
		fi
		status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
			"$HUB_URL/readyz" || true)
		if [ "$status" = 200 ]; then
			return 0
		fi
		sleep 0.05
	done
	fail "citizenhubd did not answer 200 on /readyz within 10 s"
	return 1
}

# hub_stop: sends SIGTERM, waits up to 15 s and records a failure unless the
# daemon exited with status 0. Sets HUB_EXIT.
hub_stop() {
	local deadline=$((SECONDS + 15))
	HUB_EXIT=""
	[ -n "$HUB_PID" ] || return 0
	kill -TERM "$HUB_PID" 2>/dev/null || true
	while kill -0 "$HUB_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.05
	done
	if kill -0 "$HUB_PID" 2>/dev/null; then
		fail "citizenhubd (pid $HUB_PID) still runs 15 s after SIGTERM"
		kill -9 "$HUB_PID" 2>/dev/null || true
	fi
	wait "$HUB_PID" && HUB_EXIT=0 || HUB_EXIT=$?
	check_equal "exit status of citizenhubd after SIGTERM" 0 "$HUB_EXIT"
	HUB_PID=""
}

# hub_kill9: kills the daemon at once, as a power cut would.
hub_kill9() {
	[ -n "$HUB_PID" ] || return 0
	kill -9 "$HUB_PID" 2>/dev/null || true
	wait "$HUB_PID" 2>/dev/null || true
	HUB_PID=""
}

# --- HTTP ---------------------------------------------------------------------

# api METHOD PATH [BODY [CURL_ARGS...]]: sends a request to the daemon and
# sets API_STATUS ("000" when no response came) and API_BODY. A BODY starting
# with "{" is sent as JSON; "@FILE" sends the file's bytes, as JSON when
# FILE ends in .json.
api() {
	local method=$1 path=$2 body=${3:-}
	local -a args=(-s -o "$API_BODY_FILE" -w '%{http_code}' --max-time 10
		-X "$method")
	shift 3 2>/dev/null || shift $#
	if [ -n "$body" ]; then
		if [ "${body:0:1}" = "{" ] || [[ "$body" == @*.json ]]; then
			args+=(-H 'Content-Type: application/json')
		fi
		args+=(--data-binary "$body")
	fi
	API_REQUEST="$method $path"
	: >"$API_BODY_FILE"
	API_STATUS=$(curl "${args[@]}" "$@" "$HUB_URL$path") || true
	API_STATUS=${API_STATUS:-000}
	API_BODY=$(cat "$API_BODY_FILE")
}

# api_admin METHOD PATH: api with the admin token.
api_admin() {
	api "$1" "$2" "" -H "Authorization: Bearer $HUB_TOKEN"
}

# admin_codes: sets ADMIN_CODES to the codes of every ticket, one a line,
# read through the admin API page by page (200 tickets a page, newest
# first). Records a failure when a page's status is not 200.
admin_codes() {
	local before="" page
	ADMIN_CODES=""
	while :; do
		api_admin GET "/api/v1/tickets?limit=200${before:+&before=$before}"
		if [ "$API_STATUS" != 200 ]; then
			check_status 200
			return 0
		fi
		page=$(python3 -c '
import json, sys
page = json.loads(sys.argv[1])
print(page["next_before"] or "")
for ticket in page["tickets"]:
    print(ticket["code"])
' "$API_BODY") || {
			fail "GET /api/v1/tickets: unexpected body $(lib_shorten "$API_BODY")"
			return 0
		}
		before=$(printf '%s\n' "$page" | sed -n '1p')
		ADMIN_CODES+=$(printf '%s\n' "$page" | sed -n '2,$p')$'\n'

		[ -n "$before" ] || return 0
	done
}

# Prints a JSON body of a citizen's request; $1 makes it unique.
request_body() {
	printf '{"name":"Nguyễn Văn An","phone":"0912345678",'
	printf '"email":"an.nguyen@example.org","subject":"Đèn đường hỏng %s",' "$1"
	printf '"description":"Đèn đường trước nhà số %s không sáng.",' "$1"
	printf '"address":"12 Lê Lợi, phường Bến Thành","consent":true}'
}

# submit LABEL: files a request and sets SUBMIT_CODE to its code, or records
# a failure and sets SUBMIT_CODE to "".
submit() {
	SUBMIT_CODE=""
	api POST /api/v1/requests "$(request_body "$1")"
	if [ "$API_STATUS" != 201 ]; then
		fail "POST /api/v1/requests ($1): expected HTTP 201, got" \
			"$API_STATUS with body \"$(lib_shorten "$API_BODY")\""
		return 0
	fi
	SUBMIT_CODE=$(json_get "$API_BODY" code) ||
		fail "201 response without a code: $(lib_shorten "$API_BODY")"
}

# admin_ticket_count: sets ADMIN_COUNT to the number of tickets that the
# admin API lists.
admin_ticket_count() {
	admin_codes
	ADMIN_COUNT=$(printf '%s\n' "$ADMIN_CODES" | sed '/^$/d' | wc -l)
}

# form_encode NAME VALUE [NAME VALUE...]: prints the pairs as an
# application/x-www-form-urlencoded body, values encoded as UTF-8.
form_encode() {
	python3 -c '
import sys, urllib.parse
pairs = sys.argv[1:]
print(urllib.parse.urlencode(list(zip(pairs[::2], pairs[1::2]))), end="")
' "$@"
}

# form_token_get [QUERY]: opens the form at /?QUERY and sets FORM_TOKEN to
# its form_token, or records a failure and sets FORM_TOKEN to "".
# shellcheck disable=SC2120 # the argument is optional
form_token_get() {
	FORM_TOKEN=""
	api GET "/${1:+?$1}"
	if [ "$API_STATUS" != 200 ]; then
		check_status 200
		return 0
	fi
	FORM_TOKEN=$(printf '%s' "$API_BODY" |
		sed -n 's/.*name="form_token" value="\([0-9a-f]*\)".*/\1/p' |
		head -n 1)
	[ -n "$FORM_TOKEN" ] || fail "GET /: no form_token in the form"
}

# Writes the outcome of one POST in the background to $2.status and
# $2.body: "HTTP_STATUS CURL_EXIT". Used for load and shutdown tests.
submit_background() {
	local label=$1 out=$2 status exit_code=0
	status=$(curl -s -o "$out.body" -w '%{http_code}' --max-time 20 \
		-H 'Content-Type: application/json' \
		--data-binary "$(request_body "$label")" \
		"$HUB_URL/api/v1/requests") || exit_code=$?
	echo "${status:-000} $exit_code" >"$out.status"
}

# Prints the codes of the 201 responses among the outputs under folder $1,
# and "invalid-201-body:FILE" for a 201 response without a code.
codes_answered() {
	python3 - "$1" <<'PYTHON'
import glob, json, os, sys
for status_file in sorted(glob.glob(os.path.join(sys.argv[1], "*.status"))):
    with open(status_file) as f:
        if f.read().split()[0] != "201":
            continue
    body_file = status_file[: -len(".status")] + ".body"
    try:
        with open(body_file) as f:
            print(json.load(f)["code"])
    except (OSError, ValueError, KeyError):
        print("invalid-201-body:" + body_file)
PYTHON
}

# ctl ARGS...: runs citizenhubctl and sets CTL_STATUS, CTL_OUT (standard
# output) and CTL_ERR (standard error).
ctl() {
	CTL_STATUS=0
	"$CTL_BIN" "$@" >"$TEST_TMP/ctl.out" 2>"$TEST_TMP/ctl.err" ||
		CTL_STATUS=$?
	CTL_OUT=$(cat "$TEST_TMP/ctl.out")
	CTL_ERR=$(cat "$TEST_TMP/ctl.err")
}

# check_ctl WHAT EXPECTED_STATUS: the status of the last ctl call.
check_ctl() {
	if [ "$CTL_STATUS" != "$2" ]; then
		fail "$1: citizenhubctl exited with $CTL_STATUS, expected $2;" \
			"stdout \"$(lib_shorten "$CTL_OUT")\"," \
			"stderr \"$(lib_shorten "$CTL_ERR")\""
	fi
}

# Prints a valid ticket code (Damm check digit) built from the nine digits
# of $1, for codes that exist in no store.
ticket_code_with_check() {
	python3 -c '
import sys
table = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
]
interim = 0
for digit in sys.argv[1]:
    interim = table[interim][int(digit)]
print(sys.argv[1] + str(interim))
' "$1"
}
