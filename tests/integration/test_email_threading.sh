#!/usr/bin/env bash
# Threading and loop prevention of the email channel, through LMTP to the
# real daemon with an SMTP sink as its smarthost:
# - a citizen's answer to the acknowledgement, sent from another mail
#   program with a new subject and only In-Reply-To, joins the ticket; an
#   answer with only the subject tag joins it too, while a stranger's mail
#   with the same tag opens a ticket of its own;
# - a message delivered to two of the hub's addresses in one LMTP
#   transaction, or twice with different Delivered-To headers, is stored
#   once;
# - an agent's reply leaves with the hub's From, the citizen's To, the code
#   in the subject, a Message-ID at the configured domain, In-Reply-To and
#   References, multipart/alternative in UTF-8, no Auto-Submitted, and its
#   Vietnamese text intact; the citizen's answer to it joins the ticket;
# - the acknowledgements to one address stop at the configured limit;
# - two hubs whose smarthosts hand each other's mail back by LMTP stop
#   mailing each other;
# - with the hub stopped, citizenhub-mailgate exits 75 (the MTA keeps the
#   message) and the same message is stored once the hub is back;
# - SIGTERM while sends wait on a smarthost that never greets still ends
#   the daemon with status 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=email_lib.sh
. "$(dirname "$0")/email_lib.sh"

# inbound_count CODE: reads the ticket into DETAIL and sets INBOUND to the
# number of its inbound messages.
inbound_count() {
	detail "$1"
	INBOUND=$(detail_get 'len(inbound)')
}

# check_stored_once BEFORE: waits a second, then checks that one ticket is
# new since BEFORE (a list of codes) and that it has one inbound message.
check_stored_once() {
	sleep 1
	NEW_CODES=$(new_codes "$1")
	check_equal "tickets opened" 1 "$(printf '%s' "$NEW_CODES" | grep -c .)"
	if [ -n "$NEW_CODES" ]; then
		inbound_count "$NEW_CODES"
		check_equal "inbound messages" 1 "$INBOUND"
	fi
}

# wait_inbound CODE COUNT: waits up to 5 s until the ticket has COUNT
# inbound messages; records a failure with the count seen.
wait_inbound() {
	local deadline=$((SECONDS + 5)) seen=""
	while :; do
		inbound_count "$1"
		seen=$INBOUND
		[ "$seen" = "$2" ] && return 0
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.2
	done
	fail "ticket $1: $seen inbound messages, expected $2"
}

# open_ticket FROM SUBJECT BODY [HEADER VALUE...]: mails the hub by LMTP
# and sets CODE to the ticket opened and MAIL to the file sent.
open_ticket() {
	local sender
	MAIL=$(mktemp "$TEST_TMP/mail.XXXXXX")
	make_mail "$MAIL" "$@"
	admin_codes
	BEFORE=$ADMIN_CODES
	sender=$(python3 -c 'import email.utils, sys; print(email.utils.parseaddr(sys.argv[1])[1])' "$1")
	lmtp_deliver "$MAIL" "$sender"
	check_lmtp_250 "mail from $sender"
	CODE=""
	if wait_new_codes "$BEFORE" 1; then
		CODE=$(printf '%s\n' "$NEW_CODES" | head -n 1)
	else
		fail "mail from $sender opened no ticket"
	fi
}

# wait_mail_to ADDRESS COUNT: waits up to 10 s until the sink contains COUNT
# messages to ADDRESS and sets MAIL_TO_FILE to the newest.
wait_mail_to() {
	local deadline=$((SECONDS + 10)) files=""
	while :; do
		files=$(sink_find To "$1")
		[ "$(printf '%s' "$files" | grep -c .)" -ge "$2" ] && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "expected $2 messages to $1 at the sink, got $(printf '%s' "$files" | grep -c .)"
			break
		fi
		sleep 0.3
	done
	MAIL_TO_FILE=$(printf '%s\n' "$files" | sed '/^$/d' | tail -n 1)
}

message_id_of() {
	mail_header "$1" Message-ID | tr -d '<> \r'
}

case_begin "hub with the email channel starts"
sink_start
email_hub_start '"addresses": [ "hotro@hub.example.org" ]' || exit 1
case_end

case_begin "answer to the acknowledgement with only In-Reply-To joins"
open_ticket "Lý Thị Hoa <hoa.ly@example.com>" "Cây xanh đổ trên đường Nguyễn Trãi" \
	"Một cây xanh lớn đổ chắn ngang đường Nguyễn Trãi từ sáng nay."
THREAD_CODE=$CODE
wait_mail_to hoa.ly@example.com 1
ACK_FILE=$MAIL_TO_FILE
ACK_ID=$(message_id_of "$ACK_FILE")
check_match "acknowledgement Message-ID" "$ACK_ID" "@$EMAIL_DOMAIN\$"
check_equal "acknowledgement Auto-Submitted" auto-replied "$(mail_header "$ACK_FILE" Auto-Submitted)"
check_contains "acknowledgement subject" "$(mail_header "$ACK_FILE" Subject)" "$THREAD_CODE"
ACK_SUBJECT=$(mail_header "$ACK_FILE" Subject)
answer=$TEST_TMP/answer-ack.eml
make_mail "$answer" "Hoa Ly <hoa.ly@example.com>" "Thêm ảnh và vị trí" \
	"Cây đổ gần số 120, xe máy không qua được." \
	Message-ID "<CAJ7q9Wc+X2Fx_0aB3@mail.gmail.example>" \
	In-Reply-To "<$ACK_ID>"
admin_codes
BEFORE=$ADMIN_CODES
lmtp_deliver "$answer" hoa.ly@example.com
check_lmtp_250 "answer to the acknowledgement"
wait_inbound "$THREAD_CODE" 2
check_equal "tickets opened by the answer" "" "$(new_codes "$BEFORE")"
check_contains "second message" "$(detail_get 'inbound[-1]["body"]')" "xe máy không qua được"
case_end

case_begin "subject tag joins for the ticket's contact only"
tagged=$TEST_TMP/tagged-contact.eml
make_mail "$tagged" "hoa.ly@example.com" "Re: $ACK_SUBJECT" "Đã có người đến dọn chưa ạ?"
lmtp_deliver "$tagged" hoa.ly@example.com
check_lmtp_250 "tagged mail of the contact"
wait_inbound "$THREAD_CODE" 3
stranger=$TEST_TMP/tagged-stranger.eml
make_mail "$stranger" "Kẻ Lạ <stranger@example.net>" "Re: $ACK_SUBJECT" \
	"Tôi muốn xem phản ánh của người khác."
admin_codes
BEFORE=$ADMIN_CODES
lmtp_deliver "$stranger" stranger@example.net
check_lmtp_250 "tagged mail of a stranger"
if wait_new_codes "$BEFORE" 1; then
	check_not_equal "the stranger's ticket" "$THREAD_CODE" "$NEW_CODES"
else
	fail "the stranger's mail opened no ticket"
fi
inbound_count "$THREAD_CODE"
check_equal "inbound messages of the tagged ticket" 3 "$INBOUND"
check_not_contains "the tagged ticket" "$DETAIL" "stranger@example.net"
case_end

case_begin "one message to two addresses in one transaction is stored once"
twice=$TEST_TMP/two-recipients.eml
make_mail "$twice" "Phan Văn Tú <tu.phan@example.com>" "Nắp cống bị mất" \
	"Nắp cống trước chợ Bến Thành bị mất, rất nguy hiểm." \
	To "tiepnhan@hub.example.org, hotro@hub.example.org"
admin_codes
BEFORE=$ADMIN_CODES
lmtp_deliver "$twice" tu.phan@example.com tiepnhan@hub.example.org hotro@hub.example.org
check_lmtp_250 "two recipients"
check_equal "LMTP replies after DATA" 2 "$(printf '%s\n' "$LMTP_DATA_REPLIES" | grep -c '^250')"
check_stored_once "$BEFORE"
case_end

case_begin "one message delivered twice with different Delivered-To is stored once"
base=$TEST_TMP/redelivered.eml
make_mail "$base" "Đỗ Thị Mai <mai.do@example.com>" "Đèn tín hiệu giao thông hỏng" \
	"Đèn tín hiệu ở ngã tư Hàng Xanh không hoạt động." \
	To "tiepnhan@hub.example.org, hotro@hub.example.org"
printf 'Delivered-To: tiepnhan@hub.example.org\r\n' | cat - "$base" >"$TEST_TMP/first.eml"
printf 'Delivered-To: hotro@hub.example.org\r\n' | cat - "$base" >"$TEST_TMP/second.eml"
admin_codes
BEFORE=$ADMIN_CODES
lmtp_deliver "$TEST_TMP/first.eml" mai.do@example.com tiepnhan@hub.example.org
check_lmtp_250 "first delivery"
lmtp_deliver "$TEST_TMP/second.eml" mai.do@example.com hotro@hub.example.org
check_lmtp_250 "second delivery"
check_stored_once "$BEFORE"
wait_mail_to mai.do@example.com 1
sleep 1.5
check_equal "acknowledgements to mai.do@example.com" 1 \
	"$(sink_find To mai.do@example.com | grep -c .)"
case_end

case_begin "agent's reply has the headers of a reply and threads back"
REPLY_TEXT="Chào chị Hoa, đội cây xanh đã dọn cây đổ trên đường Nguyễn Trãi lúc 14 giờ."
last_in=$(message_id_of "$tagged")
before_count=$(sink_find To hoa.ly@example.com | grep -c .)
reply "$THREAD_CODE" "$REPLY_TEXT"
wait_mail_to hoa.ly@example.com $((before_count + 1))
REPLY_FILE=$MAIL_TO_FILE
check_contains "From" "$(mail_header "$REPLY_FILE" From)" "$EMAIL_ADDRESS"
check_contains "To" "$(mail_header "$REPLY_FILE" To)" hoa.ly@example.com
check_contains "Subject" "$(mail_header "$REPLY_FILE" Subject)" "$THREAD_CODE"
REPLY_MESSAGE_ID=$(message_id_of "$REPLY_FILE")
check_match "Message-ID" "$REPLY_MESSAGE_ID" "^[^@ ]+@$EMAIL_DOMAIN\$"
check_equal "In-Reply-To (the citizen's newest message)" "<$last_in>" \
	"$(mail_header "$REPLY_FILE" In-Reply-To | tr -d ' ')"
references=$(mail_header "$REPLY_FILE" References)
check_contains "References" "$references" "<$last_in>"
check_contains "References" "$references" "CAJ7q9Wc+X2Fx_0aB3@mail.gmail.example"
check_equal "Auto-Submitted of an agent's reply" "" \
	"$(mail_header "$REPLY_FILE" Auto-Submitted | grep -v '^no$' || true)"
check_equal "Content-Type" multipart/alternative "$("$SYSTEM_PYTHON" -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_content_type())' "$REPLY_FILE")"
check_equal "charsets of the text parts" "plain utf-8 html utf-8" "$("$SYSTEM_PYTHON" -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(" ".join("%s %s" % (p.get_content_subtype(), (p.get_content_charset() or "").lower())
               for p in m.walk() if p.get_content_maintype() == "text"))' "$REPLY_FILE")"
check_contains "decoded text part" "$(mail_text "$REPLY_FILE" plain)" "$REPLY_TEXT"
check_contains "decoded HTML part" "$(mail_text "$REPLY_FILE" html)" "đội cây xanh đã dọn cây đổ"
# Mail has delivery reports (bounces), so a reply the smarthost took is
# "sent" until a bounce makes it "failed".
wait_delivery "$THREAD_CODE" "$REPLY_ID" sent
answer=$TEST_TMP/answer-reply.eml
make_mail "$answer" "hoa.ly@example.com" "Cảm ơn" "Cảm ơn các anh chị rất nhiều." \
	Message-ID "<0100018c-thunder-7f3a@outlook.example>" \
	In-Reply-To "<$REPLY_MESSAGE_ID>" References "<$last_in> <$REPLY_MESSAGE_ID>"
lmtp_deliver "$answer" hoa.ly@example.com
check_lmtp_250 "answer to the reply"
wait_inbound "$THREAD_CODE" 4
case_end

case_begin "acknowledgements to one address stop at the limit"
for n in $(seq 1 $((EMAIL_ACK_LIMIT + 2))); do
	open_ticket "Robot Thử <flood@example.org>" "Phản ánh số $n về rác thải" \
		"Rác thải chưa được thu gom, lần thứ $n."
done
sleep 3
check_equal "acknowledgements to flood@example.org" "$EMAIL_ACK_LIMIT" \
	"$(sink_find To flood@example.org | grep -c .)"
case_end

case_begin "hub stopped: mailgate exits 75, the message arrives after restart"
DATA_KEPT=$HUB_DATA
LMTP_PORT_NEXT=$LMTP_PORT
hub_stop
late=$TEST_TMP/late.eml
make_mail "$late" "Vũ Minh Châu <chau.vu@example.com>" "Nước ngập hẻm 12" \
	"Hẻm 12 đường Lê Văn Sỹ ngập sâu sau cơn mưa."
mailgate_deliver "$late" chau.vu@example.com
check_equal "mailgate exit status with the hub stopped" 75 "$MAILGATE_EXIT"
email_hub_start '"addresses": [ "hotro@hub.example.org" ]' "$DATA_KEPT" || exit 1
admin_codes
BEFORE=$ADMIN_CODES
mailgate_deliver "$late" chau.vu@example.com
check_equal "mailgate exit status after restart (stderr \"$MAILGATE_ERR\")" 0 "$MAILGATE_EXIT"
if wait_new_codes "$BEFORE" 1; then
	detail "$NEW_CODES"
	check_contains "stored body" "$(detail_get 'inbound[0]["body"]')" "Lê Văn Sỹ ngập sâu"
else
	fail "the message retried after the restart opened no ticket"
fi
hub_stop
sink_stop
case_end

case_begin "two hubs answering each other stop"
# Hub A's smarthost hands its mail to hub B's LMTP listener and back.
PORT_A=$(lib_free_port)
PORT_B=$(lib_free_port)
sink_start --forward "127.0.0.1:$PORT_B" --forward-to tiepnhan@hub-b.example
SINK_A=$SINK_DIR SINK_A_PID=$SINK_PID
EMAIL_ADDRESS=tiepnhan@hub-a.example EMAIL_DOMAIN=hub-a.example LMTP_PORT_NEXT=$PORT_A \
	email_hub_start || exit 1
HUB_A_URL=$HUB_URL HUB_A_PID=$HUB_PID
sink_start --forward "127.0.0.1:$PORT_A" --forward-to tiepnhan@hub-a.example
SINK_B=$SINK_DIR
EMAIL_ADDRESS=tiepnhan@hub-b.example EMAIL_DOMAIN=hub-b.example LMTP_PORT_NEXT=$PORT_B \
	email_hub_start || exit 1
HUB_B_PID=$HUB_PID
# Hub B's address writes to hub A as a person would: A acknowledges to B,
# B's answer to that goes back to A, and so on while nothing stops it.
first=$TEST_TMP/loop-start.eml
make_mail "$first" "tiepnhan@hub-b.example" "Chuyển phản ánh" "Chuyển tiếp phản ánh của công dân." \
	To tiepnhan@hub-a.example
LMTP_PORT=$PORT_A lmtp_deliver "$first" tiepnhan@hub-b.example tiepnhan@hub-a.example
check_lmtp_250 "first mail to hub A"
# Wait until neither sink has grown for 3 s (at most 20 s).
deadline=$((SECONDS + 20)) last="" stable=0
while [ "$SECONDS" -lt "$deadline" ] && [ "$stable" -lt 3 ]; do
	now="$(sink_count "$SINK_A") $(sink_count "$SINK_B")"
	if [ "$now" = "$last" ]; then
		stable=$((stable + 1))
	else
		stable=0
	fi
	last=$now
	sleep 1
done
read -r count_a count_b <<<"$last"
check_equal "mail stopped" 3 "$stable"
check_ge "mail from hub A (its acknowledgement)" 1 "$count_a"
total=$((count_a + count_b))
if [ "$total" -ge "$EMAIL_ACK_LIMIT" ]; then
	fail "the hubs sent $total messages, not fewer than the limit $EMAIL_ACK_LIMIT"
fi
check_equal "forwarding errors" "" "$(cat "$SINK_A/forward-errors" "$SINK_B/forward-errors" 2>/dev/null)"
HUB_PID=$HUB_B_PID
hub_stop
HUB_PID=$HUB_A_PID HUB_URL=$HUB_A_URL
hub_stop
sink_stop
SINK_PID=$SINK_A_PID
sink_stop
case_end

case_begin "hub stops cleanly while sends wait on the smarthost"
# A smarthost that takes connections and never sends its greeting, so each
# acknowledgement's send waits until smtp.timeout_seconds.
silent_server_start || exit 1
SINK_PORT=$SILENT_PORT
EMAIL_ADDRESS=tiepnhan@hub.example.org EMAIL_DOMAIN=hub.example.org email_hub_start || exit 1
for n in 1 2 3; do
	make_mail "$TEST_TMP/waiting-$n.eml" "Người dân $n <dan$n@example.com>" \
		"Phản ánh số $n" "Nội dung phản ánh số $n."
	lmtp_deliver "$TEST_TMP/waiting-$n.eml" "dan$n@example.com"
	check_lmtp_250 "mail $n"
done
# The acknowledgements' sends are now waiting for the greeting.
sleep 2
hub_stop
silent_server_stop
case_end

tests_done
