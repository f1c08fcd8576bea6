#!/usr/bin/env bash
# Replies and satisfaction: an agent's reply goes through the send queue to
# the web channel, is delivered and shows on the citizen's status page
# (HTML, escaped, and JSON) with the agent's name and department, never an
# internal note; a reply through a channel that is not loaded fails with
# the reason; status changes queue notices, and the resolution notice asks
# for a rating, which the status page takes in a form and the API in JSON.
# Bad ratings store nothing, an open ticket cannot be rated, and the
# statistics count ratings per department and agent within the caller's
# departments. A merged ticket's status page points to its target, takes
# no rating and leaves the statistics. A reply queued while the queue is paused survives a restart
# and is delivered after it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

DESK_CONFIG='"departments": [
		{ "id": "roads", "name_vi": "Phòng Giao thông", "name_en": "Roads Office" },
		{ "id": "water", "name_vi": "Phòng Cấp nước", "name_en": "Water Office" }
	],
	"categories": [
		{ "id": "water", "name_vi": "Cấp nước", "name_en": "Water",
		  "keywords": ["mất nước", "vỡ ống"], "department": "water" }
	],
	"triage_department": "roads"'
REPLIES_FAST='"poll_interval_seconds": 1, "retry_base_seconds": 1,
		"retry_max_seconds": 2'
HUB_CONFIG_EXTRA="$DESK_CONFIG, \"replies\": { $REPLIES_FAST }"

PASSWORD="replies password 1"

# login USERNAME: prints a bearer token of USERNAME, or nothing.
login() {
	api POST /api/v1/session "$(python3 -c '
import json, sys
print(json.dumps({"username": sys.argv[1], "password": sys.argv[2],
                  "token": "bearer"}))' "$1" "$PASSWORD")"
	json_get "$API_BODY" token || true
}

# as TOKEN METHOD PATH [BODY]: api with the bearer token TOKEN.
as() {
	local token=$1
	shift
	api "$1" "$2" "${3:-}" -H "Authorization: Bearer $token"
}

# json_body KEY VALUE [KEY VALUE...]: prints a JSON object of strings;
# a value starting with "=" is taken as JSON ("=4", "=null").
json_body() {
	python3 -c '
import json, sys
pairs = sys.argv[1:]
body = {}
for key, value in zip(pairs[::2], pairs[1::2]):
    body[key] = json.loads(value[1:]) if value.startswith("=") else value
print(json.dumps(body, ensure_ascii=False))' "$@"
}

# file_report DESCRIPTION: files a report with the citizen's phone and sets
# CODE and ACCESS_TOKEN, or records a failure.
file_report() {
	api POST /api/v1/requests "$(json_body name "Nguyễn Thị Mai" \
		phone 0912345678 description "$1" consent =true)"
	check_status 201
	CODE=$(json_get "$API_BODY" code || true)
	ACCESS_TOKEN=$(json_get "$API_BODY" access_token || true)
}

# detail TOKEN CODE: sets DETAIL to the agent's view of ticket CODE.
detail() {
	as "$1" GET "/api/v1/tickets/$2"
	check_status 200
	DETAIL=$API_BODY
}

# message_field JSON MESSAGE_ID FIELD: prints FIELD of message MESSAGE_ID
# in the ticket detail JSON.
message_field() {
	python3 -c '
import json, sys
for message in json.loads(sys.argv[1])["ticket"]["messages"]:
    if str(message["id"]) == sys.argv[2]:
        value = message.get(sys.argv[3])
        print(value if isinstance(value, str) else json.dumps(value))
' "$1" "$2" "$3" 2>/dev/null || true
}

# outbound_ids JSON KIND: prints the ids of outbound messages of KIND in a
# ticket detail, oldest first.
outbound_ids() {
	python3 -c '
import json, sys
for message in json.loads(sys.argv[1])["ticket"]["messages"]:
    if message["direction"] == "out" and message["kind"] == sys.argv[2]:
        print(message["id"])
' "$1" "$2" 2>/dev/null || true
}

# wait_delivery TOKEN CODE MESSAGE_ID STATUS: waits up to 10 s for the
# message's delivery_status in the ticket detail, and records a failure
# with the last one seen.
wait_delivery() {
	local deadline=$((SECONDS + 10)) seen=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		as "$1" GET "/api/v1/tickets/$2"
		seen=$(message_field "$API_BODY" "$3" delivery_status)
		[ "$seen" = "$4" ] && return 0
		sleep 0.2
	done
	fail "message $3 of $2: delivery_status \"$seen\", expected \"$4\""
}

# wait_outbound TOKEN CODE KIND COUNT: waits up to 10 s until the ticket
# has COUNT outbound messages of KIND and sets LAST_ID to the newest.
wait_outbound() {
	local deadline=$((SECONDS + 10)) ids=""
	LAST_ID=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		as "$1" GET "/api/v1/tickets/$2"
		ids=$(outbound_ids "$API_BODY" "$3")
		if [ "$(printf '%s' "$ids" | grep -c .)" -ge "$4" ]; then
			LAST_ID=$(printf '%s\n' "$ids" | tail -n 1)
			return 0
		fi
		sleep 0.2
	done
	fail "ticket $2: expected $4 outbound $3 messages, got \"$ids\""
}

sql() {
	sqlite3 "file:$HUB_DATA/citizenhub.db?mode=ro" "$1"
}

# rate BODY: POST /api/v1/requests/$CODE/satisfaction with BODY.
rate() {
	api POST "/api/v1/requests/$CODE/satisfaction" "$1"
}

# --- Set-up -------------------------------------------------------------------

case_begin "daemon starts with agents"
hub_start
for spec in "admin1 admin" "sup1 supervisor roads" "tam roads-agent roads" \
	"thuy water-agent water"; do
	set -- $spec
	if [ "$2" = admin ] || [ "$2" = supervisor ]; then
		role=$2
	else
		role=agent
	fi
	name=$1
	[ "$1" = tam ] && name="Lê Văn Tâm"
	[ "$1" = thuy ] && name="Phạm Thu Thủy"
	ctl -c "$HUB_CONFIG" agent add "$1" --role "$role" --name "$name" \
		${3:+--department "$3"} <<<"$PASSWORD"
	check_ctl "agent add $1" 0
done
ADMIN=$(login admin1)
SUP=$(login sup1)
TAM=$(login tam)
THUY=$(login thuy)
for token_name in ADMIN SUP TAM THUY; do
	[ -n "${!token_name}" ] || fail "no bearer token in $token_name"
done
case_end

# --- A reply through the web channel -----------------------------------------

case_begin "reply delivered to the status page"
file_report "Ổ gà lớn trước số 12 Lê Lợi."
code=$CODE
token=$ACCESS_TOKEN
as "$TAM" POST "/api/v1/tickets/$code/claim" "{}"
check_status 200
as "$TAM" POST "/api/v1/tickets/$code/notes" \
	"$(json_body body "Ghi chú nội bộ: gọi đội bảo trì")"
check_status 201
reply_text='Chúng tôi đã cử đội <sửa chữa> & sẽ xong trong "2 ngày".'
as "$TAM" POST "/api/v1/tickets/$code/replies" "$(json_body body "$reply_text")"
check_status 202
reply_id=$(json_get "$API_BODY" message.id || true)
[ -n "$reply_id" ] || fail "no message id in $(lib_shorten "$API_BODY")"
wait_delivery "$TAM" "$code" "$reply_id" delivered
detail "$TAM" "$code"
check_equal "delivery_detail" "shown on the status page" \
	"$(message_field "$DETAIL" "$reply_id" delivery_detail)"
check_not_equal "delivered_at" null \
	"$(message_field "$DETAIL" "$reply_id" delivered_at)"
check_equal "attempts in the store" 1 \
	"$(sql "SELECT attempts FROM messages WHERE id = $reply_id")"
case_end

case_begin "status page HTML shows the reply escaped"
api GET "/lookup?code=$code&token=$token"
check_status 200
check_contains "reply text" "$API_BODY" \
	"Chúng tôi đã cử đội &lt;sửa chữa&gt; &amp; sẽ xong trong &quot;2 ngày&quot;."
check_not_contains "raw markup" "$API_BODY" "<sửa chữa>"
check_contains "agent name" "$API_BODY" "Lê Văn Tâm, Phòng Giao thông"
check_not_contains "internal note" "$API_BODY" "Ghi chú nội bộ"
api GET "/lookup?code=$code&token=$token&lang=en"
check_contains "department in English" "$API_BODY" "Lê Văn Tâm, Roads Office"
case_end

case_begin "status API shows the reply in JSON"
api GET "/api/v1/requests/$code?token=$token"
check_status 200
python3 - "$API_BODY" "$reply_text" <<'PYTHON' || fail "JSON messages: $(lib_shorten "$API_BODY")"
import json, sys
messages = json.loads(sys.argv[1])["messages"]
kinds = [m["kind"] for m in messages]
assert "note" not in kinds, kinds
replies = [m for m in messages if m["kind"] == "reply"]
assert len(replies) == 1, messages
assert replies[0]["body"] == sys.argv[2], replies[0]
assert replies[0]["agent_name"] == "Lê Văn Tâm", replies[0]
assert messages[0]["direction"] == "in", messages[0]
assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)
PYTHON
case_end

case_begin "reply through a channel not loaded fails"
detail "$TAM" "$code"
phone_id=$(python3 -c '
import json, sys
ticket = json.loads(sys.argv[1])["ticket"]
contacts = ticket.get("contacts") or (ticket.get("citizen") or {}).get("contacts") or []
print(next(c["id"] for c in contacts if c["kind"] == "phone"))' "$DETAIL" 2>/dev/null || true)
[ -n "$phone_id" ] || fail "no phone contact in $(lib_shorten "$DETAIL")"
as "$TAM" POST "/api/v1/tickets/$code/replies" \
	"$(json_body body "Tin nhắn qua SMS" contact_id "=$phone_id")"
check_status 202
sms_id=$(json_get "$API_BODY" message.id || true)
wait_delivery "$TAM" "$code" "$sms_id" failed
detail "$TAM" "$code"
check_equal "delivery_detail" "channel sms is not loaded" \
	"$(message_field "$DETAIL" "$sms_id" delivery_detail)"
case_end

# --- Notices ----------------------------------------------------------------------

case_begin "status change queues a notice"
as "$TAM" POST "/api/v1/tickets/$code/status" "$(json_body status in_progress)"
check_status 200
wait_outbound "$TAM" "$code" ack 1
notice_id=$LAST_ID
wait_delivery "$TAM" "$code" "$notice_id" delivered
detail "$TAM" "$code"
check_contains "notice text" "$(message_field "$DETAIL" "$notice_id" body)" \
	"đang được xử lý"
api GET "/lookup?code=$code&token=$token"
check_contains "notice on the page" "$API_BODY" "Tin nhắn tự động"
check_contains "notice text on the page" "$API_BODY" "đang được xử lý"
check_not_contains "citizen's name on the page" "$API_BODY" "Nguyễn Thị Mai"
case_end

case_begin "resolution asks for a rating"
api GET "/lookup?code=$code&token=$token"
check_not_contains "rating form before resolution" "$API_BODY" 'name="rating"'
as "$TAM" POST "/api/v1/tickets/$code/status" "$(json_body status resolved)"
check_status 200
wait_outbound "$TAM" "$code" ack 2
wait_delivery "$TAM" "$code" "$LAST_ID" delivered
detail "$TAM" "$code"
check_contains "resolution notice" "$(message_field "$DETAIL" "$LAST_ID" body)" \
	"từ 1 (rất không hài lòng) đến 5 (rất hài lòng)"
api GET "/lookup?code=$code&token=$token"
check_contains "rating form" "$API_BODY" 'name="rating" value="5"'
check_contains "rating form factor" "$API_BODY" \
	"<input type=\"hidden\" name=\"token\" value=\"$token\">"
api GET "/lookup?code=$code"
check_not_contains "rating form without a factor" "$API_BODY" 'name="rating"'
case_end

# --- Ratings -----------------------------------------------------------------------

case_begin "bad ratings store nothing"
CODE=$code
for body in "$(json_body rating =0 token "$token")" \
	"$(json_body rating =6 token "$token")" \
	"$(json_body rating 5 token "$token")" \
	"$(json_body rating =4.5 token "$token")" \
	"$(json_body token "$token")"; do
	rate "$body"
	check_status 422
	check_equal "field of $body" rating "$(json_get "$API_BODY" error.field)"
done
rate "$(json_body rating =4)"
check_status 422
check_equal "missing factor" missing_field "$(json_get "$API_BODY" error.code)"
rate "$(json_body rating =4 token 00112233445566778899aabbccddeeff)"
check_status 403
rate "$(json_body rating =4 token "$token" colour blue)"
check_status 422
check_equal "unknown member" colour "$(json_get "$API_BODY" error.field)"
api POST "/lookup" "$(form_encode code "$code" token "$token" rating 9)" \
	-H 'Content-Type: application/x-www-form-urlencoded'
check_status 422
check_contains "form error" "$API_BODY" "Hãy chọn một mức đánh giá từ 1 đến 5."
check_equal "satisfaction stored" "" \
	"$(sql "SELECT satisfaction FROM tickets WHERE code = '$code'")"
check_equal "ticket.rated audit events" 0 \
	"$(sql "SELECT count(*) FROM audit_events WHERE action = 'ticket.rated'")"
case_end

case_begin "open ticket cannot be rated"
file_report "Đèn đường tắt ở ngã tư."
open_code=$CODE
rate "$(json_body rating =5 token "$ACCESS_TOKEN")"
check_status 409
check_equal "error code" ticket_not_resolved "$(json_get "$API_BODY" error.code)"
check_contains "message" "$(json_get "$API_BODY" error.message.en)" \
	"not resolved yet"
check_equal "satisfaction stored" "" \
	"$(sql "SELECT satisfaction FROM tickets WHERE code = '$open_code'")"
CODE=$code
case_end

case_begin "rating through the API and the form"
rate "$(json_body rating =4 token "$token")"
check_status 200
check_equal "rating" 4 "$(json_get "$API_BODY" rating)"
check_equal "previous" null "$(json_get "$API_BODY" previous)"
check_equal "satisfaction" 4 \
	"$(sql "SELECT satisfaction FROM tickets WHERE code = '$code'")"
api POST "/lookup" "$(form_encode code "$code" phone_last4 5678 rating 2 \
	lang vi)" -H 'Content-Type: application/x-www-form-urlencoded'
check_status 200
check_contains "thanks" "$API_BODY" "Cảm ơn bạn đã đánh giá việc xử lý: 2/5."
check_contains "form keeps the factor" "$API_BODY" \
	'<input type="hidden" name="phone_last4" value="5678">'
check_equal "satisfaction replaced" 2 \
	"$(sql "SELECT satisfaction FROM tickets WHERE code = '$code'")"
check_equal "ticket.rated audit events" 2 \
	"$(sql "SELECT count(*) FROM audit_events WHERE action = 'ticket.rated'")"
check_contains "audit detail" \
	"$(sql "SELECT detail FROM audit_events WHERE action = 'ticket.rated' ORDER BY id DESC LIMIT 1")" \
	'"previous":4'
case_end

case_begin "satisfaction statistics"
file_report "Mất nước từ sáng ở khu phố 3."
water_code=$CODE
as "$THUY" POST "/api/v1/tickets/$water_code/claim" "{}"
check_status 200
as "$THUY" POST "/api/v1/tickets/$water_code/status" \
	"$(json_body status resolved)"
check_status 200
rate "$(json_body rating =5 token "$ACCESS_TOKEN")"
check_status 200
CODE=$code

as "$ADMIN" GET /api/v1/stats/satisfaction
check_status 200
python3 - "$API_BODY" <<'PYTHON' || fail "admin statistics: $(lib_shorten "$API_BODY")"
import json, sys
stats = json.loads(sys.argv[1])
assert stats["overall"]["count"] == 2, stats
assert stats["overall"]["average"] == 3.5, stats
assert stats["overall"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
departments = {d["department"]: d for d in stats["departments"]}
assert departments["roads"]["count"] == 1, departments
assert departments["roads"]["average"] == 2, departments
assert departments["water"]["distribution"]["5"] == 1
agents = {a["display_name"]: a for a in stats["agents"]}
assert agents["Lê Văn Tâm"]["count"] == 1, agents
assert agents["Phạm Thu Thủy"]["average"] == 5, agents
assert stats["from"] is None, stats
assert stats["to"] is None, stats
PYTHON

as "$SUP" GET /api/v1/stats/satisfaction
check_status 200
python3 - "$API_BODY" <<'PYTHON' || fail "supervisor statistics: $(lib_shorten "$API_BODY")"
import json, sys
stats = json.loads(sys.argv[1])
assert stats["overall"]["count"] == 1, stats
assert [d["department"] for d in stats["departments"]] == ["roads"], stats
assert [a["display_name"] for a in stats["agents"]] == ["Lê Văn Tâm"], stats
PYTHON
as "$SUP" GET "/api/v1/stats/satisfaction?department=water"
check_status 403
as "$TAM" GET /api/v1/stats/satisfaction
check_status 403
api GET /api/v1/stats/satisfaction
check_status 401

today=$(TZ=Asia/Ho_Chi_Minh date +%Y-%m-%d)
as "$ADMIN" GET "/api/v1/stats/satisfaction?from=$today&to=$today"
check_status 200
check_equal "count today" 2 "$(json_get "$API_BODY" overall.count)"
check_equal "from" "$today" "$(json_get "$API_BODY" from)"
as "$ADMIN" GET "/api/v1/stats/satisfaction?from=2099-01-01"
check_status 200
check_equal "count in 2099" 0 "$(json_get "$API_BODY" overall.count)"
check_equal "average without ratings" null "$(json_get "$API_BODY" overall.average)"
for query in from=2025-02-30 to=yesterday "from=2025-03-02&to=2025-03-01" \
	since=2025-01-01 "from=2025-01-01&from=2025-01-02"; do
	as "$ADMIN" GET "/api/v1/stats/satisfaction?$query"
	check_status 422
done
case_end

case_begin "merged ticket points to its target"
file_report "Nắp cống bị vỡ trước số 40 Hai Bà Trưng."
target_code=$CODE
file_report "Nắp cống trước số 40 Hai Bà Trưng vẫn vỡ, rất nguy hiểm."
merged_code=$CODE
merged_token=$ACCESS_TOKEN
as "$TAM" POST "/api/v1/tickets/$merged_code/claim" "{}"
check_status 200
as "$TAM" POST "/api/v1/tickets/$merged_code/status" \
	"$(json_body status resolved)"
check_status 200
as "$ADMIN" GET /api/v1/stats/satisfaction
count_before=$(json_get "$API_BODY" overall.count)
CODE=$merged_code
rate "$(json_body rating =1 token "$merged_token")"
check_status 200
as "$ADMIN" GET /api/v1/stats/satisfaction
check_equal "count with the rating" "$((count_before + 1))" \
	"$(json_get "$API_BODY" overall.count)"
# Only tickets of one citizen merge, and each web report made a citizen.
as "$ADMIN" GET "/api/v1/tickets/$target_code"
target_citizen=$(json_get "$API_BODY" ticket.citizen.id || true)
as "$ADMIN" GET "/api/v1/tickets/$merged_code"
merged_citizen=$(json_get "$API_BODY" ticket.citizen.id || true)
as "$SUP" POST "/api/v1/citizens/$target_citizen/merge" \
	"{\"from\": $merged_citizen}"
check_status 200
as "$SUP" POST "/api/v1/tickets/$merged_code/merge" \
	"$(json_body into "$target_code")"
check_status 200
as "$ADMIN" GET /api/v1/stats/satisfaction
check_equal "count after the merge" "$count_before" \
	"$(json_get "$API_BODY" overall.count)"

api GET "/api/v1/requests/$merged_code?token=$merged_token"
check_status 200
check_equal "merged_into" "$target_code" "$(json_get "$API_BODY" ticket.merged_into)"
api GET "/api/v1/requests/$target_code"
check_equal "target merged_into" null "$(json_get "$API_BODY" ticket.merged_into)"
target_display="${target_code:0:4}-${target_code:4:4}-${target_code:8:2}"
api GET "/lookup?code=$merged_code&token=$merged_token&lang=en"
check_status 200
check_contains "en notice" "$API_BODY" \
	"This report was merged into report $target_display."
check_contains "en link" "$API_BODY" \
	"<a href=\"/lookup?code=$target_code&amp;lang=en\">"
check_not_contains "en rating form" "$API_BODY" 'name="rating"'
api GET "/lookup?code=$merged_code&token=$merged_token&lang=vi"
check_status 200
check_contains "vi notice" "$API_BODY" \
	"Phản ánh này đã được gộp vào phản ánh $target_display."
check_contains "vi link" "$API_BODY" \
	"<a href=\"/lookup?code=$target_code&amp;lang=vi\">"
check_not_contains "vi rating form" "$API_BODY" 'name="rating"'

rated_before=$(sql "SELECT count(*) FROM audit_events WHERE action = 'ticket.rated'")
rate "$(json_body rating =5 token "$merged_token")"
check_status 409
check_equal "error code" ticket_closed "$(json_get "$API_BODY" error.code)"
api POST "/lookup" "$(form_encode code "$merged_code" token "$merged_token" \
	rating 5 lang en)" -H 'Content-Type: application/x-www-form-urlencoded'
check_status 409
check_contains "form error" "$API_BODY" \
	"This report was merged into another one, so it takes no rating."
check_equal "satisfaction kept" 1 \
	"$(sql "SELECT satisfaction FROM tickets WHERE code = '$merged_code'")"
check_equal "ticket.rated audit events" "$rated_before" \
	"$(sql "SELECT count(*) FROM audit_events WHERE action = 'ticket.rated'")"
as "$ADMIN" GET /api/v1/stats/satisfaction
check_equal "count after refused ratings" "$count_before" \
	"$(json_get "$API_BODY" overall.count)"
CODE=$code
case_end

case_begin "metrics count deliveries"
api GET /metrics
check_status 200
check_match "delivered counter" "$API_BODY" \
	'^hub_send_messages_total\{channel="web",outcome="delivered"\} [1-9]'
check_match "failed counter" "$API_BODY" \
	'^hub_send_messages_total\{channel="sms",outcome="failed"\} 1$'
check_match "queue depth" "$API_BODY" '^hub_send_queue_depth 0$'
case_end

# --- A queued reply survives a restart ---------------------------------------

case_begin "queued reply survives a restart"
hub_stop
data=$HUB_DATA
HUB_CONFIG_EXTRA="$DESK_CONFIG, \"replies\": { $REPLIES_FAST, \"paused\": true }"
hub_start "$data"
file_report "Cây đổ chắn đường Hai Bà Trưng."
late_code=$CODE
late_token=$ACCESS_TOKEN
as "$TAM" POST "/api/v1/tickets/$late_code/replies" \
	"$(json_body body "Đội cây xanh đang đến.")"
check_status 202
late_id=$(json_get "$API_BODY" message.id || true)
sleep 1.5
detail "$TAM" "$late_code"
check_equal "while paused" queued "$(message_field "$DETAIL" "$late_id" delivery_status)"
api GET "/api/v1/requests/$late_code?token=$late_token"
check_not_contains "queued reply hidden" "$API_BODY" "Đội cây xanh"
api GET /metrics
check_match "queue depth while paused" "$API_BODY" '^hub_send_queue_depth 1$'
hub_stop

HUB_CONFIG_EXTRA="$DESK_CONFIG, \"replies\": { $REPLIES_FAST }"
hub_start "$data"
wait_delivery "$TAM" "$late_code" "$late_id" delivered
api GET "/api/v1/requests/$late_code?token=$late_token"
check_contains "reply shown after the restart" "$API_BODY" "Đội cây xanh đang đến."
hub_stop
case_end

tests_done
