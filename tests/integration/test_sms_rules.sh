#!/usr/bin/env bash
# The SMS channel's conversation rules and keywords, through the real Kannel
# with fakesmsc: PA opens a new report, TC stops acknowledgements and
# notices and PA turns them on again, a lone digit or DG rates a resolved
# ticket, English texts get English answers in GSM-7, long replies are cut
# at a word, and an open ticket older than the conversation window takes
# no more texts. Then bad requests to the hub's Kannel routes, duplicates,
# failover between gateways and config errors.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sms_lib.sh
. "$(dirname "$0")/sms_lib.sh"
# shellcheck source-path=SCRIPTDIR source=sms_hub_lib.sh
. "$(dirname "$0")/sms_hub_lib.sh"

# The daemon's clock starts here in a build with --enable-debug, so that a
# restart with a later clock can leave the conversation window.
SMS_CLOCK=2026-03-02T08:00:00+07:00
SMS_CLOCK_LATER=2026-03-06T09:00:00+07:00
export CITIZENHUB_TEST_CLOCK=$SMS_CLOCK
SMS_CHANNEL_EXTRA=', "conversation_days": 3, "rating_window_hours": 48'

sms_hub_kannel_start || exit 1
SC=$KANNEL_SHORT_CODE

# sms_mt_count_matching FIXED_TEXT: prints how many MT messages hold it.
sms_mt_count_matching() {
	sms_mt_messages | grep -c -F -- "$1" || true
}

# --- New reports and joins ---------------------------------------------------------

case_begin "pa opens new ticket while one is open"
sms_mo_send 0912000111 "$SC" "Ổ gà ở đường Hai Bà Trưng"
sms_ticket_wait +84912000111 1
FIRST=$(json_get "$SMS_TICKET" ticket.code)
sms_mo_send 0912000111 "$SC" "PA: Cống tràn ở chợ Tân Định"
sms_ticket_wait_new +84912000111 "$FIRST"
SECOND=$(json_get "$SMS_TICKET" ticket.code)
check_not_equal "code of the PA report" "$FIRST" "$SECOND"
check_equal "body without keyword" "Cống tràn ở chợ Tân Định" \
	"$(sms_message_field "$SMS_TICKET" in 0 body)"
SECOND_DISPLAY=$(json_get "$SMS_TICKET" ticket.code_display)
sms_mt_expect "Mã số: $SECOND_DISPLAY" || true
case_end

case_begin "later text joins newest open ticket"
sms_mo_send 0912000111 "$SC" "Nước đã tràn vào nhà dân"
sms_ticket_wait +84912000111 2
check_equal "joined ticket" "$SECOND" "$(json_get "$SMS_TICKET" ticket.code)"
case_end

# --- Opt-out and back -----------------------------------------------------------------

case_begin "tc stops acknowledgements and notices"
sms_mo_send 0912000111 "$SC" "TC"
sms_mt_expect "ngừng nhận tin" || true
sms_admin POST "/api/v1/tickets/$SECOND/status" '{"status": "in_progress"}'
check_status 200
sms_outbound_wait "$SECOND" ack failed
check_contains "notice's reason" "$SMS_OUTBOUND_DETAIL" "turned notices off"
check_equal "notices at the SMSC" 0 "$(sms_mt_count_matching "PA $SECOND_DISPLAY đang được xử lý")"
case_end

case_begin "agent reply still reaches opted-out number"
sms_admin POST "/api/v1/tickets/$SECOND/replies" \
	"$(json_body body "Đã báo công ty thoát nước")"
check_status 202
sms_mt_expect "Đã báo công ty thoát nước" || true
case_end

case_begin "pa turns notices back on"
sms_mo_send 0912000111 "$SC" "PA Cây đổ ở công viên"
sms_ticket_wait_new +84912000111 "$SECOND"
THIRD=$(json_get "$SMS_TICKET" ticket.code)
THIRD_DISPLAY=$(json_get "$SMS_TICKET" ticket.code_display)
# PA turns notices on again: this report is acknowledged.
sms_mt_expect "Mã số: $THIRD_DISPLAY" || true
case_end

# --- Ratings ----------------------------------------------------------------------------

case_begin "lone digit rates resolved ticket"
sms_admin POST "/api/v1/tickets/$THIRD/status" '{"status": "resolved"}'
check_status 200
sms_mt_expect "PA $THIRD_DISPLAY đã được giải quyết" || true
sms_mo_send 0912000111 "$SC" "4"
if sms_mt_expect "đánh giá 4/5"; then
	check_equal "receipt" "Cảm ơn bạn đã đánh giá 4/5 cho phản ánh $THIRD_DISPLAY." \
		"$SMS_MT_TEXT"
fi
sms_admin GET /api/v1/stats/satisfaction
check_equal "ratings counted" 1 "$(json_get "$API_BODY" overall.count)"
check_equal "rating 4" 1 "$(json_get "$API_BODY" overall.distribution.4)"
case_end

case_begin "dg changes rating and dg alone helps"
sms_mo_send 0912000111 "$SC" "đg 5"
sms_mt_expect "đánh giá 5/5" || true
sms_mo_send 0912000111 "$SC" "DG"
sms_mt_expect "nhắn DG và một số từ 1 đến 5" || true
sms_admin GET /api/v1/stats/satisfaction
check_equal "rating replaced" 1 "$(json_get "$API_BODY" overall.distribution.5)"
check_equal "ratings counted" 1 "$(json_get "$API_BODY" overall.count)"
case_end

case_begin "rating of merged ticket goes to its target"
sms_mo_send 0968000777 "$SC" "Vỉa hè bị lấn chiếm"
sms_ticket_wait +84968000777 1
TARGET=$(json_get "$SMS_TICKET" ticket.code)
TARGET_DISPLAY=$(json_get "$SMS_TICKET" ticket.code_display)
sms_mo_send 0968000777 "$SC" "PA Vỉa hè vẫn bị lấn chiếm"
sms_ticket_wait_new +84968000777 "$TARGET"
SOURCE=$(json_get "$SMS_TICKET" ticket.code)
sms_admin POST "/api/v1/tickets/$SOURCE/merge" "{\"into\": \"$TARGET\"}"
check_status 200
sms_admin POST "/api/v1/tickets/$TARGET/status" '{"status": "resolved"}'
check_status 200
sms_mo_send 0968000777 "$SC" "DG 2"
if sms_mt_expect "đánh giá 2/5"; then
	check_contains "receipt names the target" "$SMS_MT_TEXT" "$TARGET_DISPLAY"
fi
sms_admin GET /api/v1/stats/satisfaction
check_equal "rating 2" 1 "$(json_get "$API_BODY" overall.distribution.2)"
case_end

case_begin "lone digit without resolution is a report"
sms_mo_send 0933000222 "$SC" "3"
sms_ticket_wait +84933000222 1
check_equal "body" 3 "$(sms_message_field "$SMS_TICKET" in 0 body)"
case_end

case_begin "sentence starting like a status request is a report"
# "But 3 days on it is still not fixed": MA and a digit, then more words.
sms_mo_send 0933000223 "$SC" "Mà 3 ngày rồi vẫn chưa sửa"
sms_ticket_wait +84933000223 1
check_equal "body" "Mà 3 ngày rồi vẫn chưa sửa" \
	"$(sms_message_field "$SMS_TICKET" in 0 body)"
case_end

# --- Language and length ----------------------------------------------------------------

case_begin "english text gets english ack in gsm-7"
sms_mo_send 0944000333 "$SC" "The street light is broken"
sms_ticket_wait +84944000333 1
CODE=$(json_get "$SMS_TICKET" ticket.code)
DISPLAY=$(json_get "$SMS_TICKET" ticket.code_display)
check_equal "ticket language" en "$(json_get "$SMS_TICKET" ticket.language)"
if sms_mt_expect "Reference: $DISPLAY"; then
	check_equal "coding" gsm "$SMS_MT_CODING"
	check_equal "text" "Thank you for your report. Reference: $DISPLAY. Text MA $CODE for its status." \
		"$SMS_MT_TEXT"
fi
case_end

LONG_REPLY="Chào anh, chúng tôi đã tiếp nhận phản ánh về đèn đường. Đội điện chiếu sáng của phường sẽ kiểm tra toàn bộ tuyến đường vào sáng thứ Hai, thay bóng đèn hỏng và sửa dây dẫn bị đứt. Nếu sau ngày thứ Tư đèn vẫn chưa sáng, anh vui lòng nhắn lại để chúng tôi báo cho Công ty Điện lực."

case_begin "long reply cut at a word in three parts"
MT_LINES_BEFORE=$(wc -l <"$KANNEL_MT_LOG")
sms_admin POST "/api/v1/tickets/$SECOND/replies" "$(json_body body "$LONG_REPLY")"
check_status 202
if sms_mt_expect "Chào anh, chúng tôi"; then
	check_match "starts with the code" "$SMS_MT_TEXT" "^PA $SECOND_DISPLAY: Chào anh"
	check_match "ends with an ellipsis after a word" "$SMS_MT_TEXT" "[[:alpha:]]…$"
	python3 - "$SMS_MT_TEXT" "$LONG_REPLY" <<'PYTHON' || fail "cut text: $(lib_shorten "$SMS_MT_TEXT")"
import sys
text, reply = sys.argv[1], sys.argv[2]
units = len(text.encode("utf-16-be")) // 2
assert units <= 3 * 67, units
assert units > 2 * 67, units
kept = text.split(": ", 1)[1][:-1]
assert reply.startswith(kept), kept
assert reply[len(kept)] == " ", reply[len(kept):]
PYTHON
	sms_outbound_wait "$SECOND" reply delivered
	check_contains "agents see the cut" "$SMS_OUTBOUND_DETAIL" "cut at a word to 3 SMS parts"
	# fakesmsc writes one line per part, with the concatenation UDH.
	check_equal "parts at the SMSC" 3 \
		"$(tail -n "+$((MT_LINES_BEFORE + 1))" "$KANNEL_MT_LOG" |
			grep -c ' udh %05%00%03' || true)"
fi
case_end

# --- Bad requests -------------------------------------------------------------------------

# mo_get QUERY: GET of the MO route as smsbox's get-url would send it.
mo_get() {
	api GET "/sms/kannel/mo?$1"
}

TICKETS_BEFORE=$(admin_ticket_count)
case_begin "mo route rejects bad requests"
SECRET_Q="secret=${SMS_SECRET// /+}"
mo_get "from=0912345678&text=Xin+chao&coding=0"
check_status 403
check_contains "missing secret" "$API_BODY" "secret"
mo_get "secret=wrong&from=0912345678&text=Xin+chao&coding=0"
check_status 403
mo_get "$SECRET_Q&text=Xin+chao&coding=0"
check_status 400
check_contains "missing sender" "$API_BODY" "from:"
mo_get "$SECRET_Q&from=0912345678&text=%C3%28&coding=0&charset=UTF-8"
check_status 400
check_contains "invalid text" "$API_BODY" "text:"
mo_get "$SECRET_Q&from=0912345678&text=%D8%00%00A&coding=2&charset=UTF-16BE"
check_status 400
check_contains "lone surrogate" "$API_BODY" "text:"
mo_get "$SECRET_Q&from=0912345678&coding=0"
check_status 400
check_contains "missing text" "$API_BODY" "text:"
mo_get "$SECRET_Q&from=0912345678&text=%ZZ"
check_status 400
# Past twice the limit the bytes are refused before they are decoded.
mo_get "$SECRET_Q&from=0912345678&coding=0&text=$(printf 'a%.0s' $(seq 1 4100))"
check_status 413
check_contains "text too long" "$API_BODY" "max_text_bytes"
api PUT "/sms/kannel/mo?$SECRET_Q&from=0912345678&text=a"
check_status 405
api DELETE "/sms/kannel/dlr?ref=x&type=1"
check_status 405
check_equal "tickets stored" "$TICKETS_BEFORE" "$(admin_ticket_count)"
case_end

# --- Texts the hub takes and drops, or keeps cut -------------------------------------

case_begin "unusable texts answered 200 and dropped"
TICKETS_BEFORE=$(admin_ticket_count)
# smsbox sends again whatever is not answered 200, so these are taken and
# dropped: an alphanumeric sender, a number too short, a blank text, 8-bit
# data. The log names why each sender was dropped.
mo_get "$SECRET_Q&from=VIETTEL&text=Khuyen+mai&coding=0&id=drop-1"
check_status 200
hub_log_wait "not a phone number (an alphanumeric sender)" 5
mo_get "$SECRET_Q&from=091234567&text=Xin+chao&coding=0&id=drop-5"
check_status 200
hub_log_wait "the sender is not a valid phone number" 5
mo_get "$SECRET_Q&from=12ab&text=Xin+chao&coding=0&id=drop-2"
check_status 200
mo_get "$SECRET_Q&from=0912345600&text=+++&coding=0&id=drop-3"
check_status 200
mo_get "$SECRET_Q&from=0912345600&text=%01%02%03&coding=1&id=drop-4"
check_status 200
check_equal "tickets stored" "$TICKETS_BEFORE" "$(admin_ticket_count)"
case_end

case_begin "long text kept cut with ellipsis"
mo_get "$SECRET_Q&from=0912345601&coding=0&id=long-2&text=$(printf 'a%.0s' $(seq 1 2100))"
check_status 200
sms_ticket_wait +84912345601 1
python3 - "$(sms_message_field "$SMS_TICKET" in 0 body)" <<'PYTHON' || fail "cut text: $(lib_shorten "$(sms_message_field "$SMS_TICKET" in 0 body)")"
import sys
body = sys.argv[1]
assert body.endswith("\u2026"), body[-5:]
assert len(body.encode()) <= 2000, len(body.encode())
assert body[:-1] == "a" * (len(body) - 1)
PYTHON
case_end

case_begin "foreign sender without plus gets english"
mo_get "$SECRET_Q&from=12025550123&text=The+street+light+is+broken&coding=0&id=intl-1"
check_status 200
sms_ticket_wait +12025550123 1
DISPLAY=$(json_get "$SMS_TICKET" ticket.code_display)
sms_mt_expect "^[^ ]+ 12025550123 .*Reference: $DISPLAY" || true
mo_get "$SECRET_Q&from=12025550123&text=MA+$(json_get "$SMS_TICKET" ticket.code)&coding=0&id=intl-2"
if sms_mt_expect "^[^ ]+ 12025550123 .*Report $DISPLAY:"; then
	check_equal "coding" gsm "$SMS_MT_CODING"
fi
case_end

case_begin "status request with text joins the ticket"
sms_mo_send 0922000123 "$SC" "Đèn tắt ở hẻm 12"
sms_ticket_wait +84922000123 1
JOIN=$(json_get "$SMS_TICKET" ticket.code)
sms_mo_send 0922000123 "$SC" "Mã số $JOIN lại hỏng"
sms_ticket_wait +84922000123 2
check_equal "joined ticket" "$JOIN" "$(json_get "$SMS_TICKET" ticket.code)"
check_equal "text kept" "Mã số $JOIN lại hỏng" \
	"$(sms_message_field "$SMS_TICKET" in 1 body)"
case_end

case_begin "lone digit rates resolved ticket not newest"
sms_mo_send 0922000124 "$SC" "Cống bể ở chợ"
sms_ticket_wait +84922000124 1
RESOLVED=$(json_get "$SMS_TICKET" ticket.code)
RESOLVED_DISPLAY=$(json_get "$SMS_TICKET" ticket.code_display)
sms_admin POST "/api/v1/tickets/$RESOLVED/status" '{"status": "resolved"}'
check_status 200
sms_mo_send 0922000124 "$SC" "PA Đường tối"
sms_ticket_wait_new +84922000124 "$RESOLVED"
sms_mo_send 0922000124 "$SC" "2"
if sms_mt_expect "đánh giá 2/5 cho phản ánh $RESOLVED_DISPLAY"; then
	check_equal "receipt" "Cảm ơn bạn đã đánh giá 2/5 cho phản ánh $RESOLVED_DISPLAY." \
		"$SMS_MT_TEXT"
fi
case_end

case_begin "blocked number gets no answer"
sms_mo_send 0922000125 "$SC" "Tin rác"
sms_ticket_wait +84922000125 1
BLOCKED_CODE=$(json_get "$SMS_TICKET" ticket.code)
sms_mt_expect "Mã số: $(json_get "$SMS_TICKET" ticket.code_display)" || true
CONTACT_ID=$(python3 -c '
import json, sys
print(json.loads(sys.argv[1])["ticket"]["contacts"][0]["id"])' "$SMS_TICKET" 2>/dev/null || true)
sms_admin POST "/api/v1/contacts/$CONTACT_ID/block" '{"reason": "spam"}'
check_status 200
MT_BEFORE=$(sms_mt_messages | grep -c ' 84922000125 ' || true)
mo_get "$SECRET_Q&from=0922000125&text=MA+$BLOCKED_CODE&coding=0&id=blocked-1"
check_status 200
mo_get "$SECRET_Q&from=0922000125&text=PA+spam&coding=0&id=blocked-2"
check_status 200
sleep 2
check_equal "answers to the blocked number" "$MT_BEFORE" \
	"$(sms_mt_messages | grep -c ' 84922000125 ' || true)"
check_equal "tickets of the blocked number" "$BLOCKED_CODE" \
	"$(sms_ticket_of +84922000125)"
case_end

case_begin "answers limited per number and hour"
for i in $(seq 1 12); do
	mo_get "$SECRET_Q&from=0922000126&text=MA+123456789$((i % 10))&coding=0&id=flood-$i"
done
sleep 3
check_equal "answers sent" 10 "$(sms_mt_messages | grep -c ' 84922000126 ' || true)"
case_end

case_begin "new reports limited per number and hour"
for i in $(seq 1 7); do
	mo_get "$SECRET_Q&from=0922000127&text=PA+Bao+cao+so+$i&coding=0&id=pa-$i"
done
api_admin GET "/api/v1/tickets?channel=sms&limit=200"
check_equal "tickets of the number" 5 "$(python3 -c '
import json, sys
tickets = json.loads(sys.argv[1])["tickets"]
print(sum(1 for t in tickets if any(c["value"] == "+84922000127" for c in t["contacts"])))' "$API_BODY")"
case_end

case_begin "same id from two numbers both stored"
mo_get "$SECRET_Q&from=0922000128&text=Mat+dien&coding=0&id=shared-1"
mo_get "$SECRET_Q&from=0922000129&text=Mat+dien&coding=0&id=shared-1"
sms_ticket_wait +84922000128 1
sms_ticket_wait +84922000129 1
case_end

case_begin "same kannel id stored once"
mo_get "$SECRET_Q&from=0955000444&text=M%E1%BA%A5t+n%C6%B0%E1%BB%9Bc&coding=0&charset=UTF-8&id=dup-1"
check_status 200
mo_get "$SECRET_Q&from=0955000444&text=M%E1%BA%A5t+n%C6%B0%E1%BB%9Bc&coding=0&charset=UTF-8&id=dup-1"
check_status 200
sms_ticket_wait +84955000444 1
check_equal "inbound messages" 1 "$(sms_message_count "$SMS_TICKET" in)"
check_equal "body" "Mất nước" "$(sms_message_field "$SMS_TICKET" in 0 body)"
case_end

case_begin "same kannel id answered once"
# smsbox sends a text again when the hub's 200 did not reach it.
for _ in 1 2; do
	mo_get "$SECRET_Q&from=0955000446&text=MA+3805172961&coding=0&charset=UTF-8&id=kw-dup-1"
	check_status 200
done
sms_mt_expect "84955000446 .*3805-1729-61" || true
sleep 2
check_equal "status answers" 1 \
	"$(sms_mt_messages | grep -F " 84955000446 " | grep -c -F "3805-1729-61")"
case_end

case_begin "long ucs-2 text stored whole"
# smsbox joins the parts of a concatenated text before it calls the get-url.
LONG_TEXT="$LONG_REPLY Xin cảm ơn."
mo_get "$SECRET_Q&from=0955000445&coding=2&charset=UTF-16BE&id=long-1&text=$(
	python3 -c 'import sys, urllib.parse
print(urllib.parse.quote(sys.argv[1].encode("utf-16-be"), safe=""))' "$LONG_TEXT")"
check_status 200
sms_ticket_wait +84955000445 1
check_equal "body" "$LONG_TEXT" "$(sms_message_field "$SMS_TICKET" in 0 body)"
case_end

case_begin "dlr route rejects forged reference"
api GET "/sms/kannel/dlr?ref=chub.1.2.0000000000000000&type=1"
check_status 403
api GET "/sms/kannel/dlr?type=1"
check_status 403
case_end

# --- The conversation window ------------------------------------------------------------------

case_begin "open ticket past window takes no text"
if ! grep -q "test clock started" "$HUB_LOG"; then
	echo "    (skipped: only a build with --enable-debug runs on the test clock)"
else
	sms_mo_send 0966000555 "$SC" "Đường ngập nước"
	sms_ticket_wait +84966000555 1
	OLD=$(json_get "$SMS_TICKET" ticket.code)
	DATA=$HUB_DATA
	hub_stop
	CITIZENHUB_TEST_CLOCK=$SMS_CLOCK_LATER HUB_PORT_NEXT=$HUB_PORT hub_start "$DATA"
	sms_mo_send 0966000555 "$SC" "Lại ngập nữa"
	sms_ticket_wait_new +84966000555 "$OLD"
	check_not_equal "ticket after four days" "$OLD" "$(json_get "$SMS_TICKET" ticket.code)"
	# The rating window of the ticket resolved on the first day has passed.
	sms_mo_send 0912000111 "$SC" "5"
	sms_ticket_wait_new +84912000111 "$THIRD"
	check_equal "late digit is a report" 5 "$(sms_message_field "$SMS_TICKET" in 0 body)"
fi
case_end

# --- Failover and config ------------------------------------------------------------------------

case_begin "second gateway takes over"
DATA=$HUB_DATA
hub_stop
DEAD_PORT=$(lib_free_port)
HUB_PORT_NEXT=$HUB_PORT
HUB_CHANNELS_EXTRA=$(sms_hub_config | python3 -c '
import json, sys
text = sys.stdin.read()
section = json.loads("{" + text + "}")["sms"]
kannel = section["gateways"][0]
dead = dict(kannel, name="primary",
            sendsms_url="http://127.0.0.1:'"$DEAD_PORT"'/cgi-bin/sendsms")
section["gateways"] = [dead, kannel]
print("\"sms\": " + json.dumps(section, ensure_ascii=False))
')
hub_start "$DATA"
sms_mo_send 0977000666 "$SC" "Trụ điện nghiêng"
sms_ticket_wait +84977000666 1
DISPLAY=$(json_get "$SMS_TICKET" ticket.code_display)
sms_mt_expect "Mã số: $DISPLAY" || true
hub_log_wait "gateway failed for now, trying the next gateway=primary next=kannel" 5
case_end

case_begin "keyword from a number no gateway serves is answered 200"
# The gateways serve +84 only: a status request or rating help from abroad
# cannot be answered, and asking smsbox to send it again changes nothing.
DATA=$HUB_DATA
hub_stop
HUB_PORT_NEXT=$HUB_PORT
HUB_CHANNELS_EXTRA=$(sms_hub_config | python3 -c '
import json, sys
section = json.loads("{" + sys.stdin.read() + "}")["sms"]
section["gateways"][0]["prefixes"] = ["+84"]
print("\"sms\": " + json.dumps(section, ensure_ascii=False))
')
hub_start "$DATA"
SECRET_Q="secret=${SMS_SECRET// /+}"
mo_get "$SECRET_Q&from=%2B14155550123&text=MA+3805172961&coding=0&charset=UTF-8"
check_status 200
mo_get "$SECRET_Q&from=%2B14155550123&text=DG&coding=0&charset=UTF-8"
check_status 200
hub_log_wait "no gateway serves the number" 5
case_end

case_begin "stop with answers in flight, queued and waiting to retry"
# Gateway "silent" accepts connections and never answers, so its first
# answer stays in flight and the next ones wait in its queue. Gateway
# "dead" refuses connections, so its answer waits to be sent again. The
# daemon must stop at once, free everything and exit 0 (a leak would make
# the sanitizer build exit otherwise).
SILENT_PORT=$(lib_free_port)
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
time.sleep(60)
' "$SILENT_PORT" &
SILENT_PID=$!
DEAD_PORT=$(lib_free_port)
DATA=$HUB_DATA
hub_stop
HUB_PORT_NEXT=$HUB_PORT
HUB_CHANNELS_EXTRA=$(sms_hub_config | python3 -c '
import json, sys
section = json.loads("{" + sys.stdin.read() + "}")["sms"]
section["answers"] = {"attempts": 5, "retry_seconds": 60}
kannel = section["gateways"][0]
silent = dict(kannel, name="silent", prefixes=["+8491"], max_in_flight=1,
              rate_per_second=1, timeout_seconds=60,
              sendsms_url="http://127.0.0.1:'"$SILENT_PORT"'/cgi-bin/sendsms")
dead = dict(kannel, name="dead", prefixes=["+8498"],
            sendsms_url="http://127.0.0.1:'"$DEAD_PORT"'/cgi-bin/sendsms")
section["gateways"] = [silent, dead]
print("\"sms\": " + json.dumps(section, ensure_ascii=False))
')
hub_start "$DATA"
SECRET_Q="secret=${SMS_SECRET// /+}"
for number in 0912000301 0912000302 0912000303 0982000304; do
	mo_get "$SECRET_Q&from=$number&text=MA+3805172961&coding=0&charset=UTF-8"
	check_status 200
done
hub_log_wait "sendsms failed gateway=dead" 5
sleep 1
hub_stop
kill "$SILENT_PID" 2>/dev/null || true
wait "$SILENT_PID" 2>/dev/null || true
case_end

case_begin "config errors name the key"
inbound='"inbound": { "secret_file": "'"$TEST_TMP"'/sms-secret" }'
kannel='"name": "k", "type": "kannel", "sendsms_url": "http://127.0.0.1:13013/cgi-bin/sendsms", "dlr_mask": 0'
password='"password_file": "'"$TEST_TMP"'/kannel-password"'
for broken in \
	'"sms": { '"$inbound"', "gateways": [ { '"$kannel"', "username": "hub" } ] }|channels.sms.gateways[0].password_file: missing' \
	'"sms": { '"$inbound"', "gateways": [ { '"$kannel"', '"$password"' } ] }|channels.sms.gateways[0].username: missing' \
	'"sms": { '"$inbound"', "gateways": [ { '"$kannel"' } ] }|channels.sms.gateways[0]: missing username and password_file' \
	'"sms": { '"$inbound"', "gateways": [ { '"$kannel"', "username": "hub", '"$password"', "from": "CITIZENHUB-HOTLINE-12" } ] }|a brandname of at most 11 characters (the hub takes up to 20)' \
	'"sms": { '"$inbound"', "keywords": { "status": [ "PA" ] }, "gateways": [] }|channels.sms.keywords.status: keyword "PA" is also a default new keyword' \
	'"sms": { '"$inbound"', "keywords": { "new": [ "dg" ] }, "gateways": [] }|channels.sms.keywords.new' \
	'"sms": { '"$inbound"', "keywords": { "status": [ "KT" ], "stop": [ "kt" ] }, "gateways": [] }|channels.sms.keywords.stop' \
	'"sms": { '"$inbound"', "keywords": { "rate": [ "tra  cuu" ] }, "gateways": [] }|channels.sms.keywords.rate' \
	'"sms": { "gateways": [] }|channels.sms.inbound.secret_file' \
	'"sms": { "inbound": { "secret_file": "'"$TEST_TMP"'/sms-secret" }, "gateways": [] }|channels.sms.gateways' \
	'"sms": { "inbound": { "secret_file": "'"$TEST_TMP"'/sms-secret" }, "gateways": [ { "name": "k", "type": "smpp" } ] }|channels.sms.gateways[0].type' \
	'"sms": { "inbound": { "secret_file": "'"$TEST_TMP"'/sms-secret" }, "gateways": [ { "name": "k", "type": "kannel" } ] }|channels.sms.gateways[0].sendsms_url' \
	'"sms": { "inbound": { "secret_file": "'"$TEST_TMP"'/sms-secret" }, "keywords": { "stop": [ "HỦY" ] }, "gateways": [] }|channels.sms.keywords.stop'; do
	HUB_CHANNELS_EXTRA=${broken%|*}
	hub_config_write "$TEST_TMP/broken.json"
	status=0
	output=$(timeout 10 "$HUB_BIN" -c "$TEST_TMP/broken.json" -t 2>&1) || status=$?
	check_equal "exit status for ${broken#*|}" 1 "$status"
	check_contains "error names ${broken#*|}" "$output" "${broken#*|}"
done
case_end

kannel_stop
hub_stop
tests_done
