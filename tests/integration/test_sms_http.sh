#!/usr/bin/env bash
# The SMS channel's generic HTTP gateway against a mock carrier API
# (sms_carrier.py). A citizen's text comes in through Kannel's get-url
# route, and the acknowledgement goes out as the carrier's JSON request
# with the Vietnamese text intact and the number in national form. A JSON
# error code with HTTP 200 and an HTTP 400 mark the message failed, with
# the carrier's response as the reason. An HTTP 500 and a timeout are
# retried until the carrier accepts. The rate limit spaces the requests, and an
# unaccented gateway sends "Cam on ban..." as a GET query judged by a
# status word. The password never shows in the hub's log.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sms_lib.sh
. "$(dirname "$0")/sms_lib.sh"

SYSTEM_PYTHON=/usr/bin/python3
CARRIER_SCRIPT=$TOP/tests/integration/sms_carrier.py
[ -f "$HUB_MODULES_DIR/sms.so" ] || {
	echo "missing: $HUB_MODULES_DIR/sms.so (run make)" >&2
	exit 1
}

SMS_SECRET="kannel-get-url-secret-0123456789"
CARRIER_PASSWORD='carrier&pass word+1'
printf '%s\n' "$SMS_SECRET" >"$TEST_TMP/sms.secret"
printf '%s\n' "$CARRIER_PASSWORD" >"$TEST_TMP/carrier.password"

CARRIER_DIR=$TEST_TMP/carrier
CARRIER_SCENARIO=$TEST_TMP/carrier-scenario.json
CARRIER_REQUESTS=$CARRIER_DIR/requests.jsonl
mkdir -p "$CARRIER_DIR"

SUCCESS_RESPONSE='{"status": 200, "body": "{\"CodeResult\": \"100\", \"SMSID\": \"carrier-77\"}"}'

HUB_CONFIG_EXTRA='"replies": { "poll_interval_seconds": 1,
		"retry_base_seconds": 1, "retry_max_seconds": 2,
		"max_attempts": 5 }'

# --- The mock carrier ----------------------------------------------------------

carrier_start() {
	local deadline=$((SECONDS + 10))
	CARRIER_PORT=$(lib_free_port)
	"$SYSTEM_PYTHON" "$CARRIER_SCRIPT" --port "$CARRIER_PORT" \
		--dir "$CARRIER_DIR" --scenario "$CARRIER_SCENARIO" \
		>"$CARRIER_DIR.log" 2>&1 &
	CARRIER_PID=$!
	HUB_PIDS+=("$CARRIER_PID")
	until grep -q '^ready' "$CARRIER_DIR.log" 2>/dev/null; do
		if ! kill -0 "$CARRIER_PID" 2>/dev/null ||
			[ "$SECONDS" -ge "$deadline" ]; then
			fail "the mock carrier did not start: $(cat "$CARRIER_DIR.log")"
			return 1
		fi
		sleep 0.1
	done
}

carrier_stop() {
	[ -n "${CARRIER_PID:-}" ] || return 0
	kill "$CARRIER_PID" 2>/dev/null || true
	wait "$CARRIER_PID" 2>/dev/null || true
	CARRIER_PID=""
}

# scenario RESPONSE...: sets the carrier's responses to the next requests,
# each a JSON object {"status", "body", "delay"}, and the last one repeats.
# It also clears the requests recorded so far.
scenario() {
	local IFS=,
	printf '[%s]\n' "$*" >"$CARRIER_SCENARIO"
	: >"$CARRIER_REQUESTS"
}

carrier_count() {
	if [ -f "$CARRIER_REQUESTS" ]; then
		grep -c . "$CARRIER_REQUESTS" || true
	else
		echo 0
	fi
}

# carrier_wait COUNT [SECONDS]: waits until the carrier recorded COUNT
# requests, or records a failure.
carrier_wait() {
	local deadline=$((SECONDS + ${2:-10}))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(carrier_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the carrier got $(carrier_count) requests, expected $1"
	return 1
}

# carrier_request N: prints the Nth recorded request (1 is the first) as
# JSON.
carrier_request() {
	sed -n "${1}p" "$CARRIER_REQUESTS"
}

# request_field N EXPRESSION: prints a Python expression of the Nth
# request r, with the JSON body parsed as body when it is JSON.
request_field() {
	"$SYSTEM_PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1])
try:
    body = json.loads(r["body"])
except ValueError:
    body = None
value = eval(sys.argv[2])
print(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
' "$(carrier_request "$1")" "$2" 2>/dev/null || true
}

# --- The hub -----------------------------------------------------------------------

# sms_section GATEWAY: the channels.sms section with one gateway object.
sms_section() {
	cat <<JSON
"sms": {
		"inbound": { "secret_file": "$TEST_TMP/sms.secret" },
		"gateways": [ $1 ]
	}
JSON
}

# The gateway of most cases: a JSON POST, and a JSON code in the response.
json_gateway() {
	cat <<JSON
{
			"name": "brandname", "type": "http", "from": "UBND TINH",
			"username": "hub", "password_file": "$TEST_TMP/carrier.password",
			"number_format": "national", "timeout_seconds": 2,
			"max_parts": 3${1:+, $1},
			"url": "http://127.0.0.1:$CARRIER_PORT/api/send?key={{password}}",
			"headers": { "Content-Type": "application/json",
				"X-Api-User": "{{username}}" },
			"body": "{\"Phone\": \"{{to}}\", \"Content\": \"{{text}}\", \"Brandname\": \"{{from}}\", \"IsUnicode\": {{unicode}}, \"Ref\": \"{{reference}}\"}",
			"success": { "json_field": "CodeResult", "json_value": 100 },
			"message_id_field": "SMSID"
		}
JSON
}

# The unaccented gateway: a GET with query parameters, and "OK ..." in the
# response.
query_gateway() {
	cat <<JSON
{
			"name": "query", "type": "http", "from": "UBND TINH",
			"username": "hub", "password_file": "$TEST_TMP/carrier.password",
			"unaccented": true, "timeout_seconds": 2,
			"url": "http://127.0.0.1:$CARRIER_PORT/sendsms?user={{username}}&pass={{password}}&to={{to}}&text={{text}}&from={{from}}&unicode={{unicode}}",
			"success": { "statuses": [200], "contains": "OK" }
		}
JSON
}

# sms_hub_start GATEWAY: (re)starts the hub with GATEWAY.
sms_hub_start() {
	[ -z "$HUB_PID" ] || hub_stop
	HUB_CHANNELS_EXTRA=$(sms_section "$1")
	hub_start
}

# mo_send NUMBER TEXT: a citizen's text as smsbox's get-url delivers it.
mo_send() {
	local status
	status=$(curl -s -o "$TEST_TMP/mo-body" -w '%{http_code}' --max-time 10 -G \
		--data-urlencode "secret=$SMS_SECRET" --data-urlencode "from=$1" \
		--data-urlencode "to=8079" --data-urlencode "text=$2" \
		--data-urlencode "charset=UTF-8" --data-urlencode "coding=0" \
		--data-urlencode "id=mo-$RANDOM$RANDOM" \
		"$HUB_URL/sms/kannel/mo") || true
	check_equal "get-url response status for $1" 200 "$status"
}

# code_of_text TEXT: prints the ticket code written in an SMS text
# ("3805-1729-61" gives 3805172961).
code_of_text() {
	printf '%s' "$1" | grep -Eo '[0-9]{4}-[0-9]{4}-[0-9]{2}' | head -n 1 |
		tr -d '-'
}

# ack_field CODE FIELD: prints FIELD of the ticket's outbound message.
ack_field() {
	api_admin GET "/api/v1/tickets/$1"
	python3 -c '
import json, sys
for message in json.loads(sys.argv[1])["ticket"]["messages"]:
    if message["direction"] == "out":
        value = message.get(sys.argv[2])
        print(value if isinstance(value, str) else json.dumps(value))
        break
' "$API_BODY" "$2" 2>/dev/null || true
}

# wait_ack_status CODE STATUS [SECONDS]: waits for the delivery_status of
# the ticket's acknowledgement.
wait_ack_status() {
	local deadline=$((SECONDS + ${3:-10})) seen=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		seen=$(ack_field "$1" delivery_status)
		[ "$seen" = "$2" ] && return 0
		sleep 0.2
	done
	fail "acknowledgement of $1: delivery_status \"$seen\", expected \"$2\""
}

carrier_start
scenario "$SUCCESS_RESPONSE"
sms_hub_start "$(json_gateway)"

case_begin "ack sent as carrier JSON"
scenario "$SUCCESS_RESPONSE"
mo_send +84912345678 'Đèn đường số 5 "Lê Lợi" hỏng\từ tối qua'
carrier_wait 1
code=$(code_of_text "$(request_field 1 'body["Content"]')")
check_equal "method" POST "$(request_field 1 'r["method"]')"
check_equal "path" /api/send "$(request_field 1 'r["path"]')"
check_equal "key query parameter" "$CARRIER_PASSWORD" \
	"$(request_field 1 'r["query"]["key"][0]')"
check_equal "raw query" "key=carrier%26pass%20word%2B1" \
	"$(request_field 1 'r["raw_query"]')"
check_equal "Content-Type" application/json \
	"$(request_field 1 'r["headers"]["content-type"]')"
check_equal "X-Api-User" hub "$(request_field 1 'r["headers"]["x-api-user"]')"
check_equal "Phone" 0912345678 "$(request_field 1 'body["Phone"]')"
check_match "ticket code in the text" "$code" '^[0-9]{10}$'
check_equal "Content" \
	"Cảm ơn bạn đã gửi phản ánh. Mã số: ${code:0:4}-${code:4:4}-${code:8:2}" \
	"$(request_field 1 'body["Content"]')"
check_equal "Brandname" "UBND TINH" "$(request_field 1 'body["Brandname"]')"
check_equal "IsUnicode" 1 "$(request_field 1 'body["IsUnicode"]')"
check_match "Ref" "$(request_field 1 'body["Ref"]')" '^chub\.[0-9]+\.[0-9]+\.[0-9a-f]{16}$'
check_equal "keys of the body" '["Brandname", "Content", "IsUnicode", "Phone", "Ref"]' \
	"$(request_field 1 'sorted(body)')"
if [ -n "$code" ]; then
	wait_ack_status "$code" sent
	api_admin GET "/api/v1/tickets/$code"
	check_contains "citizen's text in the ticket" "$API_BODY" \
		'Đèn đường số 5 \"Lê Lợi\" hỏng\\từ tối qua'
fi
check_contains "carrier's message id in the log" "$(cat "$HUB_LOG")" \
	"gateway_message_id=carrier-77"
case_end

case_begin "MO through Kannel reaches carrier"
scenario "$SUCCESS_RESPONSE"
KANNEL_MO_URL="$HUB_URL/sms/kannel/mo?secret=$SMS_SECRET&from=%p&to=%P&text=%b&charset=%C&coding=%c&id=%I"
if kannel_start && sms_mo_send 84912000111 8079 "Ổ gà lớn trên đường Trần Phú"; then
	carrier_wait 1 15
	code=$(code_of_text "$(request_field 1 'body["Content"]')")
	check_equal "Phone" 0912000111 "$(request_field 1 'body["Phone"]')"
	check_equal "Content" \
		"Cảm ơn bạn đã gửi phản ánh. Mã số: ${code:0:4}-${code:4:4}-${code:8:2}" \
		"$(request_field 1 'body["Content"]')"
	if [ -n "$code" ]; then
		wait_ack_status "$code" sent
		api_admin GET "/api/v1/tickets/$code"
		check_contains "citizen's text in the ticket" "$API_BODY" \
			"Ổ gà lớn trên đường Trần Phú"
	fi
fi
kannel_stop
case_end

case_begin "carrier error code fails message"
scenario '{"status": 200, "body": "{\"CodeResult\": \"104\", \"ErrorMessage\": \"Brandname chưa được đăng ký\"}"}'
mo_send 0987654321 "Nước sinh hoạt bị đục ở tổ 7"
carrier_wait 1
code=$(code_of_text "$(request_field 1 'body["Content"]')")
if [ -n "$code" ]; then
	wait_ack_status "$code" failed
	check_equal "delivery_detail" \
		'HTTP 200: {"CodeResult": "104", "ErrorMessage": "Brandname chưa được đăng ký"}' \
		"$(ack_field "$code" delivery_detail)"
else
	fail "no ticket code in the carrier's request"
fi
sleep 2
check_equal "requests for a failure for good" 1 "$(carrier_count)"
case_end

case_begin "HTTP 400 fails message"
scenario '{"status": 400, "body": "{\"error\": \"invalid phone\"}\n"}'
mo_send 0356789012 "Rác thải chưa được thu gom"
carrier_wait 1
code=$(code_of_text "$(request_field 1 'body["Content"]')")
check_equal "Phone" 0356789012 "$(request_field 1 'body["Phone"]')"
if [ -n "$code" ]; then
	wait_ack_status "$code" failed
	check_equal "delivery_detail" 'HTTP 400: {"error": "invalid phone"}' \
		"$(ack_field "$code" delivery_detail)"
else
	fail "no ticket code in the carrier's request"
fi
case_end

case_begin "HTTP 500 retried then sent"
scenario '{"status": 500, "body": "busy"}' "$SUCCESS_RESPONSE"
mo_send 0771234567 "Cây đổ chắn đường"
carrier_wait 2 15
code=$(code_of_text "$(request_field 1 'body["Content"]')")
check_equal "same text retried" "$(request_field 1 'r["body"]')" \
	"$(request_field 2 'r["body"]')"
if [ -n "$code" ]; then
	wait_ack_status "$code" sent
else
	fail "no ticket code in the carrier's request"
fi
check_equal "requests" 2 "$(carrier_count)"
case_end

case_begin "slow carrier times out then sent"
scenario '{"status": 200, "body": "{\"CodeResult\": \"100\"}", "delay": 4}' \
	"$SUCCESS_RESPONSE"
mo_send 0823456789 "Cống thoát nước bị tắc"
carrier_wait 2 15
code=$(code_of_text "$(request_field 1 'body["Content"]')")
if [ -n "$code" ]; then
	wait_ack_status "$code" sent 15
else
	fail "no ticket code in the carrier's request"
fi
check_contains "timeout in the log" "$(cat "$HUB_LOG")" \
	"timed out: no response within 2 s"
case_end

case_begin "rate limit spaces requests"
sms_hub_start "$(json_gateway '"rate_per_second": 1')"
scenario "$SUCCESS_RESPONSE"
for number in 0911000001 0911000002 0911000003 0911000004; do
	mo_send "$number" "Đường ngập nước số $number"
done
carrier_wait 4 15
gaps=$("$SYSTEM_PYTHON" -c '
import json, sys
times = [json.loads(line)["time"] for line in open(sys.argv[1]) if line.strip()]
print(" ".join("%.2f" % (b - a) for a, b in zip(times, times[1:])))
' "$CARRIER_REQUESTS")
for gap in $gaps; do
	check_match "gap between requests at 1 per second ($gaps)" "$gap" \
		'^(0\.(8|9)[0-9]|[1-9][0-9]*\.[0-9]+)$'
done
check_equal "number of gaps ($gaps)" 3 "$(wc -w <<<"$gaps" | tr -d ' ')"
case_end

case_begin "unaccented gateway sends GET"
sms_hub_start "$(query_gateway)"
scenario '{"status": 200, "body": "OK 5521", "content_type": "text/plain"}'
mo_send +84901234567 "Chó thả rông ở công viên"
carrier_wait 1
text=$(request_field 1 'r["query"]["text"][0]')
code=$(code_of_text "$text")
check_equal "method" GET "$(request_field 1 'r["method"]')"
check_equal "body" "" "$(request_field 1 'r["body"]')"
check_equal "text" "Cam on ban da gui phan anh. Ma so: ${code:0:4}-${code:4:4}-${code:8:2}" \
	"$text"
check_equal "to" 84901234567 "$(request_field 1 'r["query"]["to"][0]')"
check_equal "from" "UBND TINH" "$(request_field 1 'r["query"]["from"][0]')"
check_equal "pass" "$CARRIER_PASSWORD" "$(request_field 1 'r["query"]["pass"][0]')"
check_equal "unicode" 0 "$(request_field 1 'r["query"]["unicode"][0]')"
if [ -n "$code" ]; then
	wait_ack_status "$code" sent
else
	fail "no ticket code in the carrier's request"
fi
case_end

case_begin "password never logged"
check_not_contains "hub log" "$(cat "$HUB_LOG")" "$CARRIER_PASSWORD"
check_not_contains "hub log" "$(cat "$HUB_LOG")" "carrier%26pass"
case_end

case_begin "send outcome detail only at debug"
# The detail quotes the carrier's answer, which may echo the number and
# the text, so the info line leaves it out.
outcomes=$(grep -F " info sendq: send outcome " "$HUB_LOG" || true)
check_contains "info send outcome" "$outcomes" "status=sent"
check_not_contains "info send outcome" "$outcomes" "detail="
details=$(grep -F " debug sendq: send outcome detail " "$HUB_LOG" || true)
check_contains "debug send outcome detail" "$details" "detail="
case_end

hub_stop
carrier_stop
tests_done
