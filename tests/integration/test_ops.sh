#!/usr/bin/env bash
# Operations: health, readiness and metrics endpoints, the admin API's token,
# config checks at start-up, signals, and the data directory's lock.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Writes a config whose http section contains $2 as its last member, on
# line 7.
write_config_with_http_member() {
	cat >"$1" <<JSON
{
	"data_dir": "$TEST_TMP/data-invalid",
	"modules_dir": "$HUB_MODULES_DIR",
	"templates_dir": "$HUB_TEMPLATES_DIR",
	"http": {
		"listen": "127.0.0.1:$(lib_free_port)",
		$2
	},
	"channels": { "web": {} }
}
JSON
}

# Runs citizenhubd in the foreground with a 10 s bound; sets RUN_STATUS and
# RUN_OUTPUT (standard output and error together).
run_daemon() {
	RUN_STATUS=0
	RUN_OUTPUT=$(timeout 10 "$HUB_BIN" "$@" </dev/null 2>&1) ||
		RUN_STATUS=$?
}

case_begin "daemon start line and readiness"
if hub_start; then
	check_contains "start line in the log" "$(cat "$HUB_LOG")" "$HUB_URL"
	api GET /readyz
	check_status 200
fi
case_end

case_begin "healthz answers 200"
api GET /healthz
check_status 200
case_end

case_begin "metrics count http requests"
api GET /healthz
api GET /metrics
check_status 200
check_contains "/metrics" "$API_BODY" "hub_http_requests_total"
check_match "/metrics sample line" "$API_BODY" \
	'^hub_http_requests_total(\{[^}]*\})? [0-9]+'
case_end

case_begin "admin api without token is 401"
api GET /api/v1/tickets
check_status 401
check_equal "error.code" unauthorized "$(json_get "$API_BODY" error.code)"
check_not_equal "error.message.vi" "" "$(json_get "$API_BODY" error.message.vi)"
check_not_equal "error.message.en" "" "$(json_get "$API_BODY" error.message.en)"
case_end

case_begin "admin api with wrong token is 401"
api GET /api/v1/tickets "" -H "Authorization: Bearer wrong-$HUB_TOKEN"
check_status 401
api GET /api/v1/tickets "" -H "Authorization: Basic $HUB_TOKEN"
check_status 401
case_end

case_begin "admin api with token is 200"
submit "ops-1"
api_admin GET /api/v1/tickets
check_status 200
json_valid "$API_BODY" || fail "GET /api/v1/tickets: body is not JSON"
if [ -n "$SUBMIT_CODE" ]; then
	check_contains "ticket list" "$API_BODY" "$SUBMIT_CODE"
fi
case_end

case_begin "admin ticket id with control character is 404"
api_admin GET /api/v1/tickets
ticket_id=$(json_get "$API_BODY" tickets.0.id) ||
	fail "no ticket id in the list: $(lib_shorten "$API_BODY")"
api_admin GET "/api/v1/tickets/$ticket_id"
check_status 200
for suffix in %00 %00x %0A %1F %7F; do
	api_admin GET "/api/v1/tickets/$ticket_id$suffix"
	check_status 404
	check_equal "error.code for $suffix" not_found \
		"$(json_get "$API_BODY" error.code)"
done
case_end

case_begin "admin repeated parameter is named"
for name in limit status; do
	value=5
	[ "$name" = status ] && value=new
	api_admin GET "/api/v1/tickets?$name=$value&$name=$value"
	check_status 422
	check_equal "error.code for $name" invalid_field \
		"$(json_get "$API_BODY" error.code)"
	check_equal "error.field for $name" "$name" \
		"$(json_get "$API_BODY" error.field)"
done
case_end

case_begin "patch and trace answer json 405"
headers=$TEST_TMP/headers
api PATCH /healthz "" -D "$headers"
check_status 405
check_equal "PATCH error.code" method_not_allowed \
	"$(json_get "$API_BODY" error.code)"
check_match "PATCH Allow header" "$(tr -d '\r' <"$headers")" \
	'^Allow: GET, HEAD$'
api TRACE /healthz "" -D "$headers" -H "X-Echo-Probe: trace-secret"
check_status 405
check_equal "TRACE error.code" method_not_allowed \
	"$(json_get "$API_BODY" error.code)"
check_match "TRACE Allow header" "$(tr -d '\r' <"$headers")" '^Allow: '
check_not_contains "TRACE body" "$API_BODY" "trace-secret"
# libevent 2.1.12 answers a method it does not know itself, in HTML.
api FOO /healthz
check_status 501
case_end

case_begin "duplicate content-length is 400 and closes"
# Two requests on one connection: the second must stay unanswered.
raw=$(python3 -c '
import socket, sys
request = (b"POST /api/v1/requests HTTP/1.1\r\nHost: h\r\n"
           b"Content-Type: application/json\r\n"
           b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}"
           b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5) as s:
    s.sendall(request)
    response = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        response += chunk
sys.stdout.write(response.decode("utf-8", "replace"))
' "$HUB_PORT" 2>&1) || fail "raw request failed: $(lib_shorten "$raw")"
check_match "status line" "$raw" '^HTTP/1.1 400 '
check_contains "Connection header" "$raw" "Connection: close"
check_contains "error field" "$raw" '"field":"Content-Length"'
check_equal "responses on the connection" 1 \
	"$(grep -c '^HTTP/1.1 ' <<<"$raw")"
case_end

case_begin "body limit answers 413"
# The test config sets http.max_body_bytes to 65536.
python3 -c '
import json, sys
for name, size in (("over", 70000), ("far-over", 300000)):
    with open(sys.argv[1] + "/" + name + ".json", "w") as f:
        json.dump({"description": "a" * size, "phone": "0912345678",
                   "consent": True}, f)
' "$TEST_TMP"
api POST /api/v1/requests "@$TEST_TMP/over.json"
check_status 413
check_equal "error.code over the limit" body_too_large \
	"$(json_get "$API_BODY" error.code)"
check_equal "error.limit over the limit" 65536 \
	"$(json_get "$API_BODY" error.limit)"
api POST /api/v1/requests "@$TEST_TMP/far-over.json"
check_status 413
api GET /healthz
check_status 200
case_end

case_begin "sighup keeps the daemon serving"
kill -HUP "$HUB_PID" || fail "no daemon to send SIGHUP to"
sleep 0.3
kill -0 "$HUB_PID" 2>/dev/null || fail "citizenhubd exited on SIGHUP"
api GET /healthz
check_status 200
case_end

case_begin "second daemon on same data dir refuses"
first_pid=$HUB_PID
first_url=$HUB_URL
second_config=$TEST_TMP/second.json
saved_port=$HUB_PORT
HUB_PORT=$(lib_free_port)
hub_config_write "$second_config"
HUB_PORT=$saved_port
run_daemon -c "$second_config"
check_not_equal "exit status of the second daemon" 0 "$RUN_STATUS"
check_not_equal "exit status of the second daemon (not a timeout)" 124 \
	"$RUN_STATUS"
check_match "message of the second daemon" "$RUN_OUTPUT" \
	"lock|running|$HUB_DATA"
kill -0 "$first_pid" 2>/dev/null || fail "the first daemon stopped"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
	"$first_url/readyz" || true)
check_equal "first daemon /readyz" 200 "$status"
case_end

case_begin "sigterm stops with status 0"
hub_stop
case_end

case_begin "check-config accepts a good config"
run_daemon -c "$HUB_CONFIG" -t
check_equal "citizenhubd -t exit status" 0 "$RUN_STATUS"
run_daemon -c "$HUB_CONFIG" --check-config
check_equal "citizenhubd --check-config exit status" 0 "$RUN_STATUS"
case_end

case_begin "check-config rejects an unknown key"
bad=$TEST_TMP/unknown-key.json
write_config_with_http_member "$bad" '"max_body_byte": 65536'
run_daemon -c "$bad" -t
check_not_equal "citizenhubd -t exit status" 0 "$RUN_STATUS"
check_not_equal "citizenhubd -t exit status (not a timeout)" 124 "$RUN_STATUS"
check_contains "citizenhubd -t output" "$RUN_OUTPUT" \
	"$bad:7: http.max_body_byte"
case_end

case_begin "start rejects a wrong type"
bad=$TEST_TMP/wrong-type.json
write_config_with_http_member "$bad" '"timeout_seconds": "5"'
run_daemon -c "$bad"
check_not_equal "citizenhubd exit status" 0 "$RUN_STATUS"
check_not_equal "citizenhubd exit status (not a timeout)" 124 "$RUN_STATUS"
check_contains "citizenhubd output" "$RUN_OUTPUT" "http.timeout_seconds"
check_contains "citizenhubd output" "$RUN_OUTPUT" "$bad:7"
case_end

case_begin "start rejects a missing config file"
run_daemon -c "$TEST_TMP/no-such-config.json"
check_not_equal "citizenhubd exit status" 0 "$RUN_STATUS"
check_contains "citizenhubd output" "$RUN_OUTPUT" "no-such-config.json"
case_end

tests_done
