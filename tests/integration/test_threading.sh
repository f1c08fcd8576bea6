#!/usr/bin/env bash
# Threading by reference and what mail-like channels need from the hub,
# driven through the testchat module: a reply that quotes an earlier
# message's reference joins its ticket, and so does one that quotes the
# hub's own reference (chub.T.M.MAC), while a forged one opens a new
# ticket. Automatic messages join an open ticket without reopening a
# resolved one, and are dropped when no open ticket takes them. Queued
# acknowledgements go out through the channel with the ticket's subject
# until the per-recipient limit stops them; an agent's reply carries
# In-Reply-To and References of the citizen's messages. An attachment is
# listed in the ticket detail and served by the download endpoint.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ ! -f "$HUB_MODULES_DIR/testchat.so" ]; then
	echo "missing $HUB_MODULES_DIR/testchat.so (run make channels/testchat.la)" >&2
	exit 1
fi

HUB_CHANNELS_EXTRA='"testchat": { "outbound": true }'
HUB_CONFIG_EXTRA='"replies": { "poll_interval_seconds": 1,
		"ack_limit_per_recipient": 2, "ack_limit_per_ticket": 3,
		"ack_limit_window_minutes": 60 }'

# admin METHOD PATH [BODY [CURL_ARGS...]]: api with the admin token.
admin() {
	local method=$1 path=$2 body=${3:-}
	shift 3 2>/dev/null || shift $#
	api "$method" "$path" "$body" -H "Authorization: Bearer $HUB_TOKEN" "$@"
}

# chat KEY VALUE [KEY VALUE...]: posts a testchat message built from the
# pairs; a value starting with "=" is JSON. Sets TICKET, CODE and MESSAGE
# from the answer (empty when absent).
chat() {
	api POST /testchat/messages "$(python3 -c '
import json, sys
pairs = sys.argv[1:]
body = {}
for key, value in zip(pairs[::2], pairs[1::2]):
    body[key] = json.loads(value[1:]) if value.startswith("=") else value
print(json.dumps(body, ensure_ascii=False))' "$@")"
	TICKET=$(json_get "$API_BODY" ticket_id || true)
	CODE=$(json_get "$API_BODY" code || true)
	MESSAGE=$(json_get "$API_BODY" message_id || true)
}

# sent_field FILTER FIELD: prints FIELD of each message the testchat module
# sent whose JSON text contains FILTER, one a line.
sent_field() {
	api GET /testchat/sent
	python3 -c '
import json, sys
for message in json.loads(sys.argv[1])["sent"]:
    if sys.argv[2] in json.dumps(message, ensure_ascii=False):
        value = message.get(sys.argv[3])
        print(value if isinstance(value, str) else json.dumps(value))
' "$API_BODY" "$1" "$2" 2>/dev/null || true
}

# wait_sent FILTER COUNT: waits up to 10 s for COUNT sent messages matching
# FILTER, or records a failure.
wait_sent() {
	local deadline=$((SECONDS + 10)) count=0
	while [ "$SECONDS" -lt "$deadline" ]; do
		count=$(sent_field "$1" message_id | grep -c . || true)
		[ "$count" -ge "$2" ] && return 0
		sleep 0.2
	done
	fail "sent messages with \"$1\": expected $2, got $count"
}

# ticket_status ID: prints the status of ticket ID.
ticket_status() {
	admin GET "/api/v1/tickets/$1"
	json_get "$API_BODY" ticket.status || true
}

hub_start

case_begin "reply quoting a message's reference joins its ticket"
chat user u1 email "an@example.vn" subject "Đèn đường hỏng" \
	text "Đèn đường trước nhà số 5 bị hỏng." reference "m1@mail.test"
check_status 201
FIRST=$TICKET
FIRST_CODE=$CODE
chat user u1 text "Vẫn chưa sửa." reference "m2@mail.test" \
	references '=["unknown@elsewhere", "m1@mail.test"]'
check_status 200
check_equal "joined ticket" "$FIRST" "$TICKET"
chat user u3 text "Thư mới, không liên quan." references '=["m9@mail.test"]'
check_status 201
check_not_equal "unknown reference" "$FIRST" "$TICKET"
case_end

case_begin "stranger quoting a citizen's reference gets a new ticket"
chat user u5 email "la@example.vn" text "Tôi cũng muốn xem hồ sơ này." \
	reference "m5@mail.test" references '=["m1@mail.test"]'
check_status 201
check_not_equal "stranger's ticket" "$FIRST" "$TICKET"
case_end

case_begin "invalid reference is rejected with its field"
chat user u1 text "x" reference "two words@mail.test"
check_status 422
check_equal "field" reference "$(json_get "$API_BODY" error.field)"
case_end

case_begin "agent reply carries In-Reply-To and References"
admin POST "/api/v1/tickets/$FIRST/replies" '{"body":"Chúng tôi đã tiếp nhận."}'
check_status 202
REPLY_ID=$(json_get "$API_BODY" message.id || true)
wait_sent "\"message_id\": $REPLY_ID" 1
check_equal "kind" reply "$(sent_field "\"message_id\": $REPLY_ID" kind)"
check_equal "subject" "Đèn đường hỏng" \
	"$(sent_field "\"message_id\": $REPLY_ID" subject)"
check_equal "in_reply_to" "m2@mail.test" \
	"$(sent_field "\"message_id\": $REPLY_ID" in_reply_to)"
check_equal "references" "m1@mail.test m2@mail.test" \
	"$(sent_field "\"message_id\": $REPLY_ID" references)"
HUB_REFERENCE=$(sent_field "\"message_id\": $REPLY_ID" reference)
check_match "hub reference" "$HUB_REFERENCE" '^chub\.[0-9]+\.[0-9]+\.[0-9a-f]{16}$'
case_end

case_begin "reply quoting the hub's reference joins, a forged one does not"
chat user u4 email "tu@example.vn" text "Trả lời thư của trung tâm." \
	references "=[\"<$HUB_REFERENCE@hub.example.vn>\"]"
check_status 200
check_equal "joined ticket" "$FIRST" "$TICKET"
last=${HUB_REFERENCE: -1}
if [ "$last" = 0 ]; then forged=${HUB_REFERENCE%?}1; else forged=${HUB_REFERENCE%?}0; fi
chat user u4 text "Thư giả mạo." references "=[\"$forged@hub.example.vn\"]"
check_status 201
check_not_equal "forged reference" "$FIRST" "$TICKET"
# Another ticket's id under the real hash does not verify either.
other="chub.$((FIRST + 1)).${HUB_REFERENCE#chub.*.}"
chat user u4 text "Thư giả mạo khác." references "=[\"$other\"]"
check_status 201
check_not_equal "ticket id swapped" "$FIRST" "$TICKET"
case_end

case_begin "notice goes to the citizen, not to someone who joined"
# u4 joined the ticket by quoting the hub's reference above; the notice of
# a status change still goes to the citizen who wrote it.
admin POST "/api/v1/tickets/$FIRST/status" '{"status":"in_progress"}'
check_status 200
wait_sent "\"ticket_id\": $FIRST, " 2
check_equal "notice to" "testchat:u1" \
	"$(sent_field "\"ticket_id\": $FIRST, " to | tail -n 1)"
# Waiting for the citizen, so that the next case can move it on.
admin POST "/api/v1/tickets/$FIRST/status" '{"status":"waiting"}'
check_status 200
api GET "/api/v1/requests/$FIRST_CODE?email=tu@example.vn"
check_not_equal "lookup by the joiner's address" 200 "$API_STATUS"
case_end

case_begin "automatic message without an open ticket is dropped"
before=$(admin GET "/api/v1/tickets?limit=200" >/dev/null; json_length "$(json_get "$API_BODY" tickets)")
chat user daemon text "Delivery failed" reference "bounce1@mail.test" \
	automatic =true ack queue
check_status 202
check_equal "status" dropped "$(json_get "$API_BODY" status)"
admin GET "/api/v1/tickets?limit=200"
check_equal "tickets" "$before" "$(json_length "$(json_get "$API_BODY" tickets)")"
check_contains "log" "$(cat "$HUB_LOG")" \
	"automatic message dropped: no open ticket to join channel=testchat"
check_contains "log reference" "$(cat "$HUB_LOG")" \
	"reference=bounce1@mail.test"
case_end

case_begin "automatic message joins an open ticket without reopening"
chat user u1 text "Tôi đang đi vắng." references '=["m1@mail.test"]' \
	automatic =true
check_status 200
check_equal "joined ticket" "$FIRST" "$TICKET"
AUTO_ID=$MESSAGE
admin GET "/api/v1/tickets/$FIRST"
check_equal "automatic flag" true "$(python3 -c '
import json, sys
for message in json.loads(sys.argv[1])["ticket"]["messages"]:
    if str(message["id"]) == sys.argv[2]:
        print(json.dumps(message.get("automatic")))
' "$API_BODY" "$AUTO_ID")"
admin POST "/api/v1/tickets/$FIRST/status" '{"status":"in_progress"}'
check_status 200
admin POST "/api/v1/tickets/$FIRST/status" '{"status":"resolved"}'
check_status 200
chat user u1 text "Tôi đang đi vắng." references '=["m1@mail.test"]' \
	automatic =true
check_status 202
check_equal "status after" resolved "$(ticket_status "$FIRST")"
# A citizen's own reply within the window still reopens it.
chat user u1 text "Đèn lại hỏng." references '=["m1@mail.test"]'
check_status 200
check_equal "reopened" in_progress "$(ticket_status "$FIRST")"
case_end

case_begin "queued acknowledgements stop at the recipient limit"
ACK_CODES=()
ACK_TICKETS=()
for i in 1 2 3; do
	chat user acker email "binh@example.vn" subject "Cây đổ số $i" \
		text "Cây đổ chắn đường $i." ack queue
	check_status 201
	ACK_CODES+=("$CODE")
	ACK_TICKETS+=("$TICKET")
done
wait_sent '"to": "testchat:acker"' 2
sleep 2
check_equal "acks sent" 2 "$(sent_field '"to": "testchat:acker"' kind | grep -c ack || true)"
check_equal "ack subject" "Cây đổ số 1" \
	"$(sent_field '"to": "testchat:acker"' subject | head -n 1)"
check_equal "ack automatic" true \
	"$(sent_field '"to": "testchat:acker"' automatic | head -n 1)"
check_contains "ack text has the status link" \
	"$(sent_field '"to": "testchat:acker"' text)" "code=${ACK_CODES[0]}"
check_not_contains "no ack for the third ticket" \
	"$(sent_field '"to": "testchat:acker"' text)" "code=${ACK_CODES[2]}"
check_contains "log" "$(cat "$HUB_LOG")" \
	"acknowledgement not queued: recipient limit reached ticket=${ACK_TICKETS[2]}"
check_not_contains "log without the address" \
	"$(grep 'acknowledgement not queued' "$HUB_LOG" || true)" "acker"
# Another recipient still gets one; an automatic message never does.
chat user other text "Ngập nước." ack queue
check_status 201
wait_sent '"to": "testchat:other"' 1
chat user other text "Thư tự động." automatic =true ack queue
check_status 202
case_end

case_begin "attachment is listed and served to agents"
content=$'Biên bản hiện trường\n'
encoded=$(printf '%s' "$content" | base64 -w0)
chat user u5 text "Gửi kèm biên bản." \
	attachment "={\"filename\": \"biên bản 1.txt\", \"content_type\": \"Text/Plain\", \"content\": \"$encoded\"}"
check_status 201
ATTACH_TICKET=$TICKET
admin GET "/api/v1/tickets/$ATTACH_TICKET"
ATTACHMENT_ID=$(json_get "$API_BODY" ticket.messages.0.attachments.0.id || true)
check_equal "filename" "biên bản 1.txt" \
	"$(json_get "$API_BODY" ticket.messages.0.attachments.0.filename || true)"
check_equal "content_type" text/plain \
	"$(json_get "$API_BODY" ticket.messages.0.attachments.0.content_type || true)"
check_equal "size" "$(printf '%s' "$content" | wc -c)" \
	"$(json_get "$API_BODY" ticket.messages.0.attachments.0.size || true)"
headers=$TEST_TMP/attachment-headers
curl -s -D "$headers" -o "$TEST_TMP/attachment-body" \
	-H "Authorization: Bearer $HUB_TOKEN" \
	"$HUB_URL/api/v1/tickets/$ATTACH_TICKET/attachments/$ATTACHMENT_ID"
check_equal "content" "$(printf '%s' "$content" | sha256sum)" \
	"$(sha256sum <"$TEST_TMP/attachment-body")"
check_contains "status" "$(head -n 1 "$headers")" "200"
check_contains "type" "$(cat "$headers")" "Content-Type: text/plain"
check_contains "disposition" "$(cat "$headers")" \
	"filename*=UTF-8''bi%C3%AAn%20b%E1%BA%A3n%201.txt"
check_contains "nosniff" "$(cat "$headers")" "X-Content-Type-Options: nosniff"
admin GET "/api/v1/tickets/$ATTACH_TICKET"
check_contains "audit" "$API_BODY" '"attachment.read"'
admin GET "/api/v1/tickets/$ATTACH_TICKET/attachments/999999"
check_status 404
check_equal "field" attachment_id "$(json_get "$API_BODY" error.field || true)"
check_equal "message vi" yes "$([ -n "$(json_get "$API_BODY" error.message.vi)" ] && echo yes)"
check_equal "message en" yes "$([ -n "$(json_get "$API_BODY" error.message.en)" ] && echo yes)"
# Another ticket's path does not reach the attachment.
admin GET "/api/v1/tickets/$FIRST/attachments/$ATTACHMENT_ID"
check_status 404
api GET "/api/v1/tickets/$ATTACH_TICKET/attachments/$ATTACHMENT_ID"
check_status 401
case_end

case_begin "HTML attachment is served as a download only"
encoded=$(printf '<script>alert(1)</script>' | base64 -w0)
chat user u6 text "Trang web." \
	attachment "={\"filename\": \"page.html\", \"content_type\": \"text/html\", \"content\": \"$encoded\"}"
check_status 201
admin GET "/api/v1/tickets/$TICKET"
id=$(json_get "$API_BODY" ticket.messages.0.attachments.0.id || true)
curl -s -D "$headers" -o /dev/null -H "Authorization: Bearer $HUB_TOKEN" \
	"$HUB_URL/api/v1/tickets/$TICKET/attachments/$id"
check_contains "type" "$(cat "$headers")" "Content-Type: application/octet-stream"
check_contains "disposition" "$(cat "$headers")" \
	'Content-Disposition: attachment; filename="page.html"'
case_end

case_begin "attachment with a path in its name is rejected"
chat user u7 text "x" attachment '={"filename": "../x.txt", "content": "eA=="}'
check_status 422
check_equal "field" "attachments[0].filename" "$(json_get "$API_BODY" error.field || true)"
case_end

hub_stop
tests_done
