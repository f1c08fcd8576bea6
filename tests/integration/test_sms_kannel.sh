#!/usr/bin/env bash
# The SMS channel with the real Kannel: fakesmsc sends citizens' texts (MO)
# through bearerbox and smsbox, whose sms-service calls the hub's get-url;
# the hub's texts go out through smsbox's sendsms and reach fakesmsc, which
# the tests read back decoded. Covers Vietnamese text in UCS-2 both ways,
# delivery reports, a number Kannel refuses, Kannel stopped while an agent
# replies, the status keyword, old 11-digit numbers, and sms-service's
# post-url.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sms_lib.sh
. "$(dirname "$0")/sms_lib.sh"
# shellcheck source-path=SCRIPTDIR source=sms_hub_lib.sh
. "$(dirname "$0")/sms_hub_lib.sh"

# smsbox retries a text the hub did not take, so that a restart of the hub
# loses none.
KANNEL_HTTP_RETRY=30
KANNEL_HTTP_QUEUE_DELAY=1
sms_hub_kannel_start || exit 1

# --- A citizen's first text ---------------------------------------------------

# fakesmsc takes lines of at most 255 bytes, about 40 characters of UCS-2.
REPORT="Đèn đường hẻm 45 Nguyễn Huệ bị hỏng"

case_begin "vietnamese mo becomes a ticket"
sms_mo_send 0912345678 "$KANNEL_SHORT_CODE" "$REPORT"
sms_ticket_wait +84912345678 1
check_equal "ticket body" "$REPORT" "$(sms_message_field "$SMS_TICKET" in 0 body)"
check_equal "ticket channel" sms "$(json_get "$SMS_TICKET" ticket.channel)"
check_equal "contact" "+84912345678" "$(sms_ticket_phone "$SMS_TICKET")"
CODE=$(json_get "$SMS_TICKET" ticket.code)
CODE_DISPLAY=$(json_get "$SMS_TICKET" ticket.code_display)
case_end

case_begin "acknowledgement arrives in ucs-2"
if sms_mt_expect "Mã số: $CODE_DISPLAY"; then
	check_equal "coding" ucs2 "$SMS_MT_CODING"
	check_equal "receiver" "$SMS_TO_PREFIX""84912345678" "$SMS_MT_TO"
	check_equal "sender" "$KANNEL_SHORT_CODE" "$SMS_MT_FROM"
	check_equal "text" "Cảm ơn bạn đã gửi phản ánh. Mã số: $CODE_DISPLAY" \
		"$SMS_MT_TEXT"
fi
case_end

case_begin "delivery report marks delivered"
sms_outbound_wait "$CODE" ack delivered
case_end

# --- Refusals ---------------------------------------------------------------------

case_begin "number kannel refuses shows failed"
# Kannel routes no number of the denied prefix: sendsms answers 403.
sms_mo_send "0${KANNEL_DENIED_PREFIX#84}1234567" "$KANNEL_SHORT_CODE" \
	"Cống bị tắc ở chợ Bến Thành"
sms_ticket_wait "+${KANNEL_DENIED_PREFIX}1234567" 1
sms_outbound_wait "$(json_get "$SMS_TICKET" ticket.code)" ack failed
check_contains "reason" "$SMS_OUTBOUND_DETAIL" "smsbox HTTP 403"
case_end

# --- Kannel away while an agent replies -------------------------------------------

REPLY="Đội điện chiếu sáng sẽ thay bóng đèn trong sáng mai."

case_begin "reply queued while kannel is down"
kannel_stop
sms_admin POST "/api/v1/tickets/$CODE/replies" "$(json_body body "$REPLY")"
check_status 202
REPLY_ID=$(json_get "$API_BODY" message.id || true)
# The send is retried with a growing delay while smsbox refuses connections.
hub_log_wait "sendsms failed gateway=kannel message=$REPLY_ID outcome=retry" 10
sms_message_state "$CODE" "$REPLY_ID"
check_equal "state while kannel is down" queued "$SMS_STATE"
kannel_start || fail "kannel did not start again"
if sms_mt_expect "$REPLY" 20; then
	check_equal "reply text" "PA $CODE_DISPLAY: $REPLY - Bộ phận tiếp nhận phản ánh" \
		"$SMS_MT_TEXT"
fi
sms_outbound_wait "$CODE" reply delivered
# Nothing is sent twice: wait out one more retry delay, then count.
sleep 3
check_equal "copies of the reply at the SMSC" 1 \
	"$(sms_mt_messages | grep -c -F -- "$REPLY")"
case_end

# --- Keywords -------------------------------------------------------------------------

case_begin "status keyword answers status"
sms_mo_send 0977654321 "$KANNEL_SHORT_CODE" "MA $CODE"
if sms_mt_expect "^[^ ]+ [^ ]*84977654321 .*PA $CODE_DISPLAY:"; then
	check_equal "status answer" "PA $CODE_DISPLAY: đã tiếp nhận, đang chờ phân công." \
		"$SMS_MT_TEXT"
fi
case_end

case_begin "wrong check digit gets clear message"
WRONG=${CODE:0:9}$(((${CODE:9:1} + 1) % 10))
sms_mo_send 0977654321 "$KANNEL_SHORT_CODE" "tra cứu $WRONG"
if sms_mt_expect "Mã $WRONG"; then
	check_contains "answer" "$SMS_MT_TEXT" "chữ số kiểm tra"
	check_not_contains "answer" "$SMS_MT_TEXT" "$CODE_DISPLAY"
fi
case_end

# --- Old and new numbers ------------------------------------------------------------------

case_begin "old and new number reach one citizen"
sms_mo_send 01628123456 "$KANNEL_SHORT_CODE" "Nước ngập sâu ở đường Lê Lợi"
sms_ticket_wait +84328123456 1
OLD_CODE=$(json_get "$SMS_TICKET" ticket.code)
OLD_CITIZEN=$(sms_ticket_citizen "$SMS_TICKET")
sms_mo_send 0328123456 "$KANNEL_SHORT_CODE" "Đến trưa vẫn còn ngập"
sms_ticket_wait +84328123456 2
check_equal "same ticket" "$OLD_CODE" "$(json_get "$SMS_TICKET" ticket.code)"
check_equal "same citizen" "$OLD_CITIZEN" "$(sms_ticket_citizen "$SMS_TICKET")"
check_equal "second text" "Đến trưa vẫn còn ngập" \
	"$(sms_message_field "$SMS_TICKET" in 1 body)"
case_end

# --- The hub away ----------------------------------------------------------------------

case_begin "text sent while hub is down arrives once"
DATA=$HUB_DATA
hub_stop
sms_mo_send 0909888777 "$KANNEL_SHORT_CODE" "Mất điện ở khu phố 3"
sleep 2
HUB_PORT_NEXT=$HUB_PORT hub_start "$DATA"
sms_ticket_wait +84909888777 1 30
sleep 2
api_admin GET "/api/v1/tickets/$(json_get "$SMS_TICKET" ticket.code)"
check_equal "inbound messages" 1 "$(sms_message_count "$API_BODY" in)"
check_equal "text" "Mất điện ở khu phố 3" "$(sms_message_field "$API_BODY" in 0 body)"
case_end

# --- post-url --------------------------------------------------------------------------------

case_begin "post-url delivers the text"
kannel_stop
KANNEL_MO_METHOD=post
KANNEL_MO_URL=$(sms_mo_url post)
kannel_start || fail "kannel did not start with post-url"
sms_mo_send 0903111222 "$KANNEL_SHORT_CODE" "Rác chưa được thu gom ở Tân Định"
sms_ticket_wait +84903111222 1
check_equal "ticket body" "Rác chưa được thu gom ở Tân Định" \
	"$(sms_message_field "$SMS_TICKET" in 0 body)"
case_end

kannel_stop
hub_stop
tests_done
