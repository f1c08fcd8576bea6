#!/usr/bin/env bash
# The email channel's transport against real peers: swaks delivers by LMTP
# and a ticket opens; the acknowledgement and an agent's reply reach an SMTP
# sink (smtp_sink.py, with AUTH) as threaded multipart mail in Vietnamese;
# the LMTP listener refuses unknown recipients and oversized mail; a bounce
# of the reply marks it failed; citizenhub-mailgate exits 0, 65 or 75 as
# MTAs expect, and mail refused while the hub was down is taken after its
# restart; IMAP polling against a Dovecot of the test takes a message once,
# marks it \Seen after it is stored, and a too large one stays unseen.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=email_lib.sh
. "$(dirname "$0")/email_lib.sh"
email_require sqlite3 dovecot

EMAIL_ADDRESS=hotline@hub.test
EMAIL_DOMAIN=hub.test
AGENT_PASSWORD="email password 1"
SMTP_PASSWORD="sink password 2"

LMTP_PORT=$(lib_free_port)
SINK_ANSWER=$TEST_TMP/sink-answer
printf '%s\n' "$SMTP_PASSWORD" >"$TEST_TMP/smtp.password"

# The lmtp member of channels.email; the IMAP cases move it to a socket.
LMTP_MEMBER="\"listen\": \"127.0.0.1:$LMTP_PORT\""

# smtp.starttls: the sink offers no STARTTLS.
SMTP_STARTTLS=no

# email_section [IMAP_MEMBER]: the channels.email section of the tests.
email_section() {
	cat <<JSON
"email": {
		"address": "$EMAIL_ADDRESS",
		"addresses": ["Hotro@Hub.test"],
		"from_name": { "vi": "Đường dây nóng tỉnh", "en": "Province hotline" },
		"lmtp": { $LMTP_MEMBER, "timeout_seconds": 5, "max_connections": 3 },
		"limits": { "max_message_bytes": 65536 },
		"smtp": { "host": "127.0.0.1", "port": $SINK_PORT, "starttls": "$SMTP_STARTTLS",
			"username": "hub", "password_file": "$TEST_TMP/smtp.password",
			"timeout_seconds": 5 }${1:+,
		$1}
	}
JSON
}

HUB_CONFIG_EXTRA='"replies": { "poll_interval_seconds": 1,
		"retry_base_seconds": 1, "retry_max_seconds": 2 }'

sql() {
	sqlite3 "file:$HUB_DATA/citizenhub.db?mode=ro" "$1"
}

# lmtp_reply: prints the server's first reply to the end of DATA in the
# last lmtp_deliver.
lmtp_reply() {
	printf '%s\n' "$LMTP_DATA_REPLIES" | head -n 1
}

# write_mail FILE MESSAGE_ID SUBJECT BODY [EXTRA_HEADER]: a citizen's
# message with CRLF line ends.
write_mail() {
	python3 - "$@" <<'PYTHON'
import sys
from email.header import Header
path, message_id, subject, body = sys.argv[1:5]
extra = sys.argv[5] + "\r\n" if len(sys.argv) > 5 and sys.argv[5] else ""
text = ("From: =?UTF-8?B?Tmd1eeG7hW4gVsSDbiBBbg==?= <an.nguyen@example.com>\r\n"
        "To: hotline@hub.test\r\n"
        "Subject: " + Header(subject, "utf-8").encode() + "\r\n"
        "Message-ID: <" + message_id + ">\r\n"
        "Date: Sat, 04 Jan 2025 10:00:00 +0700\r\n" + extra +
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body.replace("\n", "\r\n"))
open(path, "wb").write(text.encode("utf-8"))
PYTHON
}

# wait_sql QUERY EXPECTED: waits up to 10 s for QUERY to print EXPECTED.
wait_sql() {
	local deadline=$((SECONDS + 10)) seen=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		seen=$(sql "$1" 2>/dev/null || true)
		[ "$seen" = "$2" ] && return 0
		sleep 0.2
	done
	fail "$1: expected \"$2\", got \"$seen\""
}

# --- Set-up -------------------------------------------------------------------

case_begin "smtp sink and daemon start"
sink_start --auth "hub:$SMTP_PASSWORD" --answer-file "$SINK_ANSWER"
HUB_CHANNELS_EXTRA=$(email_section)
hub_start
lmtp_wait_ready
agent_login admin1 "Lê Văn Tâm"
check_ctl "agent add admin1" 0
case_end

# --- LMTP ---------------------------------------------------------------------

case_begin "lmtp delivery opens a ticket"
write_mail "$TEST_TMP/m1.eml" c1@example.com \
	"Phản ánh: đèn đường hỏng tại ấp Bình Đông" \
	$'Kính gửi,\nĐèn đường trước nhà số 12 không sáng.\n.Dòng bắt đầu bằng dấu chấm\n'
lmtp_deliver "$TEST_TMP/m1.eml" an.nguyen@example.com "$EMAIL_ADDRESS"
reply=$(lmtp_reply)
check_match "reply to DATA" "$reply" '^250 2\.0\.0 Stored as ticket [0-9]{10}$'
CODE=${reply##* }
check_equal "inbound email messages" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE channel = 'email' AND direction = 'in'")"
body=$(sql "SELECT body FROM messages WHERE reference = 'c1@example.com'")
check_contains "stored body" "$body" "Đèn đường trước nhà số 12 không sáng."
check_contains "dot-unstuffed line" "$body" $'\n.Dòng bắt đầu bằng dấu chấm'
check_not_contains "no doubled dot" "$body" "..Dòng"
TICKET_ID=$(sql "SELECT ticket_id FROM messages WHERE reference = 'c1@example.com'")
case_end

case_begin "acknowledgement reaches the sink"
if sink_expect 1; then
	ack=$SINK_DIR/0001.eml
	check_equal "envelope sender" "$EMAIL_ADDRESS" "$(sed -n 1p "$SINK_DIR/0001.env")"
	check_equal "envelope recipient" an.nguyen@example.com \
		"$(sed -n 2p "$SINK_DIR/0001.env")"
	check_equal "To" an.nguyen@example.com "$(mail_header "$ack" To)"
	check_equal "From" "Đường dây nóng tỉnh <hotline@hub.test>" \
		"$(mail_header "$ack" From)"
	check_equal "Subject" \
		"[#$CODE] Re: Phản ánh: đèn đường hỏng tại ấp Bình Đông" \
		"$(mail_header "$ack" Subject)"
	check_equal "Auto-Submitted" auto-replied "$(mail_header "$ack" Auto-Submitted)"
	check_equal "X-Auto-Response-Suppress" All \
		"$(mail_header "$ack" X-Auto-Response-Suppress)"
	check_equal "In-Reply-To" "<c1@example.com>" "$(mail_header "$ack" In-Reply-To)"
	check_match "Message-ID" "$(mail_header "$ack" Message-ID)" \
		"^<chub\\.$TICKET_ID\\.[0-9]+\\.[0-9a-f]{16}@hub\\.test>\$"
	check_equal "content type" multipart/alternative "$(mail_content_type "$ack")"
	check_equal "Content-Language" vi "$(mail_header "$ack" Content-Language)"
	check_match "code in the text" "$(mail_text "$ack" plain)" \
		"${CODE:0:4}-?${CODE:4:4}-?${CODE:8:2}"
	check_contains "HTML part" "$(mail_text "$ack" html)" "<p>"
	check_equal "8-bit bytes in the headers" 0 "$(python3 -c '
import sys
head = open(sys.argv[1], "rb").read().split(b"\r\n\r\n")[0]
print(sum(1 for byte in head if byte > 127))' "$ack")"
fi
wait_sql "SELECT delivery_status FROM messages WHERE ticket_id = $TICKET_ID AND kind = 'ack'" sent
case_end

case_begin "agent reply reaches the sink"
reply_text="Chúng tôi đã cử đội sửa chữa đến đường Lê Lợi; đèn sẽ sáng lại trong hai ngày."
reply "$CODE" "$reply_text"
if sink_expect 2; then
	mail=$SINK_DIR/0002.eml
	REPLY_MESSAGE_ID=$(mail_header "$mail" Message-ID)
	check_match "Message-ID" "$REPLY_MESSAGE_ID" \
		"^<chub\\.$TICKET_ID\\.$REPLY_ID\\.[0-9a-f]{16}@hub\\.test>\$"
	check_equal "Subject" \
		"[#$CODE] Re: Phản ánh: đèn đường hỏng tại ấp Bình Đông" \
		"$(mail_header "$mail" Subject)"
	check_equal "Auto-Submitted" "" "$(mail_header "$mail" Auto-Submitted)"
	check_equal "In-Reply-To" "<c1@example.com>" "$(mail_header "$mail" In-Reply-To)"
	check_contains "References" "$(mail_header "$mail" References)" "<c1@example.com>"
	check_contains "Vietnamese text" "$(mail_text "$mail" plain)" "$reply_text"
	check_contains "HTML text" "$(mail_text "$mail" html)" \
		"Chúng tôi đã cử đội sửa chữa đến đường Lê Lợi; đèn sẽ sáng lại"
	check_contains "quoted-printable" "$(cat "$mail")" \
		"Content-Transfer-Encoding: quoted-printable"
fi
wait_sql "SELECT delivery_status FROM messages WHERE id = ${REPLY_ID:-0}" sent
case_end

case_begin "lmtp accepts own addresses only"
lmtp_deliver "$TEST_TMP/m1.eml" an.nguyen@example.com "nobody@hub.test,HOTRO@Hub.TEST"
check_contains "unknown recipient" "$LMTP_OUT" "550 5.1.1"
check_contains "second own address, other case" "$LMTP_OUT" "250 2.1.5"
check_match "repeated message stored once" "$(lmtp_reply)" \
	"^250 2\\.0\\.0 Already stored as ticket $CODE\$"
check_equal "inbound email messages" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE channel = 'email' AND direction = 'in'")"
case_end

# lmtp_raw TEXT: sends TEXT at once to the LMTP port and prints every reply
# line until the server closes or 5 s pass.
lmtp_raw() {
	python3 - "$LMTP_PORT" "$1" <<'PYTHON'
import socket, sys
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
connection.sendall(sys.argv[2].encode())
received = b""
try:
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
except socket.timeout:
    pass
print(received.decode(errors="replace").replace("\r\n", "\n"), end="")
PYTHON
}

case_begin "lmtp pipelined commands answered in order"
out=$(lmtp_raw $'LHLO test\r\nMAIL FROM:<a@example.com> SIZE=100000\r\nMAIL FROM:<a@example.com> SIZE=100\r\nRCPT TO:<b@example.com>\r\nVRFY x\r\nHELO x\r\nRSET\r\nDATA\r\nNOOP\r\nQUIT\r\n')
codes=$(printf '%s\n' "$out" | grep -Eo '^[0-9]{3}[ ]' | tr -d ' ' | tr '\n' ' ')
check_equal "reply codes" "220 250 552 250 550 252 500 250 503 250 221 " "$codes"
check_contains "LHLO extensions" "$out" $'250-PIPELINING\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 SIZE 65536'
case_end

case_begin "lmtp message over the size limit"
python3 -c 'import sys; sys.stdout.write("Subject: big\r\n\r\n" + ("x" * 998 + "\r\n") * 70)' \
	>"$TEST_TMP/big.eml"
lmtp_deliver "$TEST_TMP/big.eml" an.nguyen@example.com "$EMAIL_ADDRESS"
check_match "reply to DATA" "$(lmtp_reply)" '^552 5\.3\.4 '
out=$(lmtp_raw "LHLO test"$'\r\n'"$(printf 'x%.0s' $(seq 1100))"$'\r\n')
check_contains "overlong command line" "$out" "500 5.5.2 Line too long"
case_end

case_begin "lmtp connections beyond the limit refused"
out=$(python3 - "$LMTP_PORT" <<'PYTHON'
import socket, sys
port = int(sys.argv[1])
held = []
for _ in range(3):
    connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    connection.recv(4096)
    held.append(connection)
extra = socket.create_connection(("127.0.0.1", port), timeout=5)
print(extra.recv(4096).decode(errors="replace").strip())
for connection in held:
    connection.sendall(b"QUIT\r\n")
    connection.recv(4096)
again = socket.create_connection(("127.0.0.1", port), timeout=5)
print(again.recv(4096).decode(errors="replace").strip())
PYTHON
)
check_contains "fourth connection" "$out" "421 4.3.2 Too many connections"
check_contains "after the others quit" "$out" "220 hub.test LMTP"
case_end

case_begin "lmtp idle session closed"
out=$(python3 - "$LMTP_PORT" <<'PYTHON'
import socket, sys, time
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
started = time.monotonic()
received = b""
while True:
    chunk = connection.recv(4096)
    if not chunk:
        break
    received += chunk
print(received.decode(errors="replace").replace("\r\n", "\n"), end="")
print("closed after %d s" % round(time.monotonic() - started))
PYTHON
)
check_contains "timeout reply" "$out" "421 4.4.2"
check_match "closed by the hub" "$out" 'closed after [4-7] s'
case_end

# --- Loops: auto-replies and bounces ----------------------------------------------

case_begin "auto-reply dropped without a ticket"
before=$(sql "SELECT COUNT(*) FROM tickets")
write_mail "$TEST_TMP/auto.eml" auto1@example.com "Out of office" \
	$'I am away until Monday.\n' "Auto-Submitted: auto-replied"
lmtp_deliver "$TEST_TMP/auto.eml" vacation@example.com "$EMAIL_ADDRESS"
check_match "reply to DATA" "$(lmtp_reply)" '^250 2\.0\.0 '
check_equal "tickets" "$before" "$(sql "SELECT COUNT(*) FROM tickets")"
check_contains "logged with its Message-ID" "$(cat "$HUB_LOG")" "auto1@example.com"
case_end

case_begin "bounce of the reply marks it failed"
cat >"$TEST_TMP/bounce.eml" <<EML
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: $EMAIL_ADDRESS
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce1@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; an.nguyen@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--b1
Content-Type: text/rfc822-headers

From: $EMAIL_ADDRESS
To: an.nguyen@example.com
Subject: [#$CODE] Re: test
Message-ID: ${REPLY_MESSAGE_ID:-<none@hub.test>}

--b1--
EML
mailgate_run -c "$HUB_CONFIG" -f "" <"$TEST_TMP/bounce.eml"
check_equal "mailgate exit status" 0 "$MAILGATE_EXIT"
wait_sql "SELECT delivery_status FROM messages WHERE id = ${REPLY_ID:-0}" failed
check_equal "tickets from the bounce" 0 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'bounce1@mx.example.com'")"
case_end

# --- Smarthost outcomes and config -----------------------------------------------

case_begin "smarthost 5xx fails the reply"
echo "550 5.1.1 No such user here" >"$SINK_ANSWER"
reply "$CODE" "Phản hồi thứ hai."
wait_sql "SELECT delivery_status FROM messages WHERE id = ${REPLY_ID:-0}" failed
check_contains "detail" \
	"$(sql "SELECT delivery_detail FROM messages WHERE id = ${REPLY_ID:-0}")" \
	"550 5.1.1 No such user here"
check_equal "attempts" 1 "$(sql "SELECT attempts FROM messages WHERE id = ${REPLY_ID:-0}")"
case_end

case_begin "smarthost 4xx retries the reply"
echo "451 4.3.0 Try again later" >"$SINK_ANSWER"
reply "$CODE" "Phản hồi thứ ba."
deadline=$((SECONDS + 10))
while [ "$(sql "SELECT attempts FROM messages WHERE id = ${REPLY_ID:-0}")" -lt 2 ] &&
	[ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.2
done
check_ge "attempts while the sink answers 451" 2 \
	"$(sql "SELECT attempts FROM messages WHERE id = ${REPLY_ID:-0}")"
check_contains "detail" \
	"$(sql "SELECT delivery_detail FROM messages WHERE id = ${REPLY_ID:-0}")" \
	"451 4.3.0 Try again later"
rm -f "$SINK_ANSWER"
wait_sql "SELECT delivery_status FROM messages WHERE id = ${REPLY_ID:-0}" sent
case_end

case_begin "config rejects an unknown email key"
sed 's/"max_connections": 3 },/"max_connections": 3, "listn": "x" },/' \
	"$HUB_CONFIG" >"$TEST_TMP/bad.json"
status=0
"$HUB_BIN" -c "$TEST_TMP/bad.json" --check-config >"$TEST_TMP/check.out" 2>&1 ||
	status=$?
check_not_equal "check-config exit status" 0 "$status"
check_contains "key path" "$(cat "$TEST_TMP/check.out")" "channels.email.lmtp.listn"
sed 's/"starttls": "no"/"starttls": "sometimes"/' "$HUB_CONFIG" \
	>"$TEST_TMP/bad2.json"
status=0
"$HUB_BIN" -c "$TEST_TMP/bad2.json" --check-config >"$TEST_TMP/check.out" 2>&1 ||
	status=$?
check_not_equal "check-config exit status" 0 "$status"
check_contains "starttls path" "$(cat "$TEST_TMP/check.out")" \
	"channels.email.smtp.starttls"
case_end

# --- citizenhub-mailgate --------------------------------------------------------

case_begin "mailgate stores a message"
write_mail "$TEST_TMP/g1.eml" g1@example.com "Nước sinh hoạt bị đục" \
	$'Nước máy ở hẻm 45 bị đục từ sáng nay.\n'
mailgate_run -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/g1.eml"
check_equal "exit status" 0 "$MAILGATE_EXIT"
check_equal "standard error" "" "$MAILGATE_ERR"
check_equal "stored" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'g1@example.com'")"
case_end

case_begin "mailgate takes the sender from Return-Path"
printf 'Return-Path: <an.ho@example.com>\r\nFrom: An Ho\r\nTo: %s\r\nSubject: =?UTF-8?Q?C=E1=BB=91ng_t=E1=BA=AFc?=\r\nMessage-ID: <g2@example.com>\r\n\r\nCống thoát nước bị tắc ở hẻm 45.\r\n' \
	"$EMAIL_ADDRESS" >"$TEST_TMP/g2.eml"
mailgate_run -c "$HUB_CONFIG" <"$TEST_TMP/g2.eml"
check_equal "exit status" 0 "$MAILGATE_EXIT"
check_equal "contact from the envelope sender" an.ho@example.com \
	"$(sql "SELECT c.value FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE m.reference = 'g2@example.com'")"
case_end

case_begin "mailgate exits 65 on a permanent refusal"
mailgate_run -c "$HUB_CONFIG" -f an.nguyen@example.com -r nobody@hub.test \
	<"$TEST_TMP/g1.eml"
check_equal "exit status" 65 "$MAILGATE_EXIT"
check_contains "hub's reply on standard error" "$MAILGATE_ERR" "550 5.1.1"
mailgate_run -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/big.eml"
check_equal "exit status of an oversized message" 65 "$MAILGATE_EXIT"
check_contains "size reply" "$MAILGATE_ERR" "552 5.3.4"
case_end

case_begin "mailgate exits 75 on a silent hub"
silent_server_start
started=$SECONDS
mailgate_run --lmtp "127.0.0.1:$SILENT_PORT" --timeout 1 \
	-r "$EMAIL_ADDRESS" -f a@example.com <"$TEST_TMP/g1.eml"
check_equal "exit status" 75 "$MAILGATE_EXIT"
check_contains "reason" "$MAILGATE_ERR" "timed out"
check_ge "seconds left before the limit" 0 $((5 - (SECONDS - started)))
silent_server_stop
case_end

case_begin "mailgate exits 75 while the hub is down"
hub_stop
write_mail "$TEST_TMP/g3.eml" g3@example.com "Cây đổ chắn đường" \
	$'Cây đổ chắn ngang đường Nguyễn Huệ.\n'
mailgate_run -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/g3.eml"
check_equal "exit status" 75 "$MAILGATE_EXIT"
check_contains "reason" "$MAILGATE_ERR" "cannot connect to the hub"
case_end

case_begin "mailgate delivers after the restart"
hub_start "$HUB_DATA"
mailgate_run -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/g3.eml"
check_equal "exit status" 0 "$MAILGATE_EXIT"
check_equal "stored" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'g3@example.com'")"
case_end

# --- IMAP polling with Dovecot ---------------------------------------------------------

# wait_maildir_flags NAME FLAGS: waits up to 10 s until the message that
# imap_deliver put in under NAME has the maildir flags FLAGS.
wait_maildir_flags() {
	local deadline=$((SECONDS + 10))
	while [ "$(maildir_flags "$1")" != "$2" ] && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.2
	done
}

# log_count TEXT: how many lines of the daemon log contain TEXT.
log_count() {
	grep -cF -- "$1" "$HUB_LOG" || true
}

case_begin "imap poll stores a message once and marks it seen"
imap_start
write_mail "$TEST_TMP/i1.eml" i1@example.com "Rác thải ở chợ" \
	$'Rác thải tràn ra lề đường ở chợ Bình Tây.\n'
imap_deliver "$TEST_TMP/i1.eml" 1000.i1
hub_stop
# A relative socket path is taken from the config file's folder.
LMTP_MEMBER='"socket": "lmtp.sock"'
# From here on mail must go out over TLS, which the sink cannot offer.
SMTP_STARTTLS=required
HUB_CHANNELS_EXTRA=$(email_section "$(imap_section)")
hub_start "$HUB_DATA"
wait_sql "SELECT COUNT(*) FROM messages WHERE reference = 'i1@example.com'" 1
wait_maildir_flags 1000.i1 S
check_equal "flags after the poll" S "$(maildir_flags 1000.i1)"
wait_sql "SELECT value FROM channel_state WHERE channel = 'email' AND key = 'imap.last_uid'" 1
check_match "UIDVALIDITY stored" \
	"$(sql "SELECT value FROM channel_state WHERE channel = 'email' AND key = 'imap.uidvalidity'")" \
	'^[0-9]+$'
case_end

case_begin "starttls required keeps mail from a plain smarthost"
sent_before=$(sink_count)
ack_query="SELECT m.attempts FROM messages m JOIN messages i ON i.ticket_id = m.ticket_id WHERE i.reference = 'i1@example.com' AND m.kind = 'ack'"
deadline=$((SECONDS + 10))
while [ "$(sql "$ack_query")" != 1 ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.2
done
check_ge "send attempts of the acknowledgement" 1 "$(sql "$ack_query")"
ack_detail=$(sql "SELECT m.delivery_status || ' ' || m.delivery_detail FROM messages m JOIN messages i ON i.ticket_id = m.ticket_id WHERE i.reference = 'i1@example.com' AND m.kind = 'ack'")
check_not_contains "not sent" "$ack_detail" "sent "
check_match "reason names TLS" "$ack_detail" 'TLS'
check_equal "messages in the sink" "$sent_before" "$(sink_count)"
case_end

case_begin "mailgate delivers over the unix socket"
[ -S "$TEST_TMP/lmtp.sock" ] || fail "no socket at $TEST_TMP/lmtp.sock"
write_mail "$TEST_TMP/g4.eml" g4@example.com "Đường ngập" $'Đường ngập sau mưa.\n'
mailgate_run -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/g4.eml"
check_equal "exit status" 0 "$MAILGATE_EXIT"
check_equal "stored" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'g4@example.com'")"
case_end

case_begin "imap second poll stores nothing twice"
taken=$(log_count "imap message taken")
sleep 6
check_equal "messages taken since" "$taken" "$(log_count "imap message taken")"
check_equal "stored once" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'i1@example.com'")"
case_end

case_begin "imap too large message stays unseen"
imap_deliver "$TEST_TMP/big.eml" 1001.big
write_mail "$TEST_TMP/i3.eml" i3@example.com "Ổ gà" $'Ổ gà lớn trước số 3.\n'
imap_deliver "$TEST_TMP/i3.eml" 1002.i3
wait_sql "SELECT COUNT(*) FROM messages WHERE reference = 'i3@example.com'" 1
wait_sql "SELECT value FROM channel_state WHERE channel = 'email' AND key = 'imap.last_uid'" 3
check_equal "flags of the large message" "" "$(maildir_flags 1001.big)"
wait_maildir_flags 1002.i3 S
check_equal "flags of the stored message" S "$(maildir_flags 1002.i3)"
check_ge "too large logged" 1 "$(log_count "left unseen uid=2")"
case_end

case_begin "imap state survives a restart"
taken=$(log_count "imap message taken")
hub_stop
hub_start "$HUB_DATA"
sleep 2
check_equal "messages taken after the restart" "$taken" \
	"$(log_count "imap message taken")"
check_equal "i1 stored once" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'i1@example.com'")"
hub_stop
imap_stop
sink_stop
case_end

tests_done
