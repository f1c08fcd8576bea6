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

SYSTEM_PYTHON=/usr/bin/python3
MAILGATE_BIN=$TOP/citizenhub-mailgate
HUB_ADDRESS=hotline@hub.test
PASSWORD="email password 1"
SMTP_PASSWORD="sink password 2"
IMAP_PASSWORD="imap password 3"

email_require() {
	local missing=()
	[ -f "$HUB_MODULES_DIR/email.so" ] ||
		missing+=("$HUB_MODULES_DIR/email.so (configure without --disable-email, then make)")
	[ -x "$MAILGATE_BIN" ] || missing+=("$MAILGATE_BIN (run make)")
	command -v swaks >/dev/null || missing+=("swaks (apt-get install swaks)")
	command -v sqlite3 >/dev/null || missing+=("sqlite3 (apt-get install sqlite3)")
	[ -x /usr/sbin/dovecot ] ||
		missing+=("dovecot (apt-get install dovecot-imapd)")
	"$SYSTEM_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
		missing+=("aiosmtpd for $SYSTEM_PYTHON (apt-get install python3-aiosmtpd)")
	if [ ${#missing[@]} -gt 0 ]; then
		echo "missing: ${missing[*]}" >&2
		exit 1
	fi
}
email_require

LMTP_PORT=$(lib_free_port)
SMTP_PORT=$(lib_free_port)
IMAP_PORT=$(lib_free_port)
SINK_DIR=$TEST_TMP/sink
SINK_ANSWER=$TEST_TMP/sink-answer
DOVECOT_DIR=$TEST_TMP/dovecot
MAILDIR=$DOVECOT_DIR/mail/hub/Maildir
mkdir -p "$SINK_DIR"
printf '%s\n' "$SMTP_PASSWORD" >"$TEST_TMP/smtp.password"
printf '%s\n' "$IMAP_PASSWORD" >"$TEST_TMP/imap.password"

# The lmtp member of channels.email; the IMAP cases move it to a socket.
LMTP_MEMBER="\"listen\": \"127.0.0.1:$LMTP_PORT\""

# smtp.starttls: the sink offers no STARTTLS.
SMTP_STARTTLS=no

# email_section [IMAP_MEMBER]: the channels.email section of the tests.
email_section() {
	cat <<JSON
"email": {
		"address": "$HUB_ADDRESS",
		"addresses": ["Hotro@Hub.test"],
		"from_name": { "vi": "Đường dây nóng tỉnh", "en": "Province hotline" },
		"lmtp": { $LMTP_MEMBER, "timeout_seconds": 5, "max_connections": 3 },
		"limits": { "max_message_bytes": 65536 },
		"smtp": { "host": "127.0.0.1", "port": $SMTP_PORT, "starttls": "$SMTP_STARTTLS",
			"username": "hub", "password_file": "$TEST_TMP/smtp.password",
			"timeout_seconds": 5 }${1:+,
		$1}
	}
JSON
}

HUB_CONFIG_EXTRA='"replies": { "poll_interval_seconds": 1,
		"retry_base_seconds": 1, "retry_max_seconds": 2 }'
HUB_CHANNELS_EXTRA=$(email_section)

sql() {
	sqlite3 "file:$HUB_DATA/citizenhub.db?mode=ro" "$1"
}

# login USERNAME: prints a bearer token of USERNAME, or nothing.
login() {
	api POST /api/v1/session "$(python3 -c '
import json, sys
print(json.dumps({"username": sys.argv[1], "password": sys.argv[2],
                  "token": "bearer"}))' "$1" "$PASSWORD")"
	json_get "$API_BODY" token || true
}

# lmtp_send FROM TO FILE [SWAKS_ARGS...]: delivers FILE by LMTP with swaks
# and sets LMTP_OUT to the dialogue.
lmtp_send() {
	local from=$1 to=$2 file=$3
	shift 3
	LMTP_OUT=$(swaks --protocol LMTP --server 127.0.0.1 --port "$LMTP_PORT" \
		--from "$from" --to "$to" --data "$file" --timeout 10 "$@" 2>&1) || true
}

# lmtp_reply: the server's reply to the end of DATA in LMTP_OUT.
lmtp_reply() {
	printf '%s\n' "$LMTP_OUT" | sed -n '/^ -> \.$/,$p' | grep -m1 '^<' |
		sed 's/^<[*~ -]*//'
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

# sink_wait COUNT: waits up to 10 s for COUNT messages in the sink.
sink_wait() {
	local deadline=$((SECONDS + 10))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(find "$SINK_DIR" -name '*.eml' | wc -l)" -ge "$1" ] && return 0
		sleep 0.2
	done
	fail "the SMTP sink holds $(find "$SINK_DIR" -name '*.eml' | wc -l) messages, expected $1"
	return 1
}

# mail_field FILE FIELD: prints a decoded header, "text" (the plain part),
# "html" (the HTML part) or "type" (the top content type) of a stored mail.
mail_field() {
	python3 - "$1" "$2" <<'PYTHON'
import sys
from email import policy
from email.parser import BytesParser
message = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
field = sys.argv[2]
if field == "type":
    print(message.get_content_type())
elif field in ("text", "html"):
    part = message.get_body(preferencelist=("plain",) if field == "text" else ("html",))
    print(part.get_content() if part is not None else "")
else:
    value = message.get(field)
    print(" ".join(str(value).split()) if value is not None else "")
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
"$SYSTEM_PYTHON" "$(dirname "$0")/smtp_sink.py" --port "$SMTP_PORT" \
	--dir "$SINK_DIR" --auth "hub:$SMTP_PASSWORD" \
	--answer-file "$SINK_ANSWER" >"$TEST_TMP/sink.log" 2>&1 &
SINK_PID=$!
for _ in $(seq 50); do
	grep -q ready "$TEST_TMP/sink.log" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$TEST_TMP/sink.log" ||
	fail "smtp_sink.py did not start: $(cat "$TEST_TMP/sink.log")"
hub_start
ctl -c "$HUB_CONFIG" agent add admin1 --role admin --name "Lê Văn Tâm" \
	<<<"$PASSWORD"
check_ctl "agent add admin1" 0
ADMIN=$(login admin1)
[ -n "$ADMIN" ] || fail "no bearer token for admin1"
case_end

# --- LMTP ---------------------------------------------------------------------

case_begin "lmtp delivery opens a ticket"
write_mail "$TEST_TMP/m1.eml" c1@example.com \
	"Phản ánh: đèn đường hỏng tại ấp Bình Đông" \
	$'Kính gửi,\nĐèn đường trước nhà số 12 không sáng.\n.Dòng bắt đầu bằng dấu chấm\n'
lmtp_send an.nguyen@example.com "$HUB_ADDRESS" "$TEST_TMP/m1.eml"
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
if sink_wait 1; then
	ack=$SINK_DIR/0001.eml
	check_equal "envelope sender" "$HUB_ADDRESS" "$(sed -n 1p "$SINK_DIR/0001.env")"
	check_equal "envelope recipient" an.nguyen@example.com \
		"$(sed -n 2p "$SINK_DIR/0001.env")"
	check_equal "To" an.nguyen@example.com "$(mail_field "$ack" To)"
	check_equal "From" "Đường dây nóng tỉnh <hotline@hub.test>" \
		"$(mail_field "$ack" From)"
	check_equal "Subject" \
		"[#$CODE] Re: Phản ánh: đèn đường hỏng tại ấp Bình Đông" \
		"$(mail_field "$ack" Subject)"
	check_equal "Auto-Submitted" auto-replied "$(mail_field "$ack" Auto-Submitted)"
	check_equal "X-Auto-Response-Suppress" All \
		"$(mail_field "$ack" X-Auto-Response-Suppress)"
	check_equal "In-Reply-To" "<c1@example.com>" "$(mail_field "$ack" In-Reply-To)"
	check_match "Message-ID" "$(mail_field "$ack" Message-ID)" \
		"^<chub\\.$TICKET_ID\\.[0-9]+\\.[0-9a-f]{16}@hub\\.test>\$"
	check_equal "content type" multipart/alternative "$(mail_field "$ack" type)"
	check_equal "Content-Language" vi "$(mail_field "$ack" Content-Language)"
	check_match "code in the text" "$(mail_field "$ack" text)" \
		"${CODE:0:4}-?${CODE:4:4}-?${CODE:8:2}"
	check_contains "HTML part" "$(mail_field "$ack" html)" "<p>"
	check_equal "8-bit bytes in the headers" 0 "$(python3 -c '
import sys
head = open(sys.argv[1], "rb").read().split(b"\r\n\r\n")[0]
print(sum(1 for byte in head if byte > 127))' "$ack")"
fi
wait_sql "SELECT delivery_status FROM messages WHERE ticket_id = $TICKET_ID AND kind = 'ack'" sent
case_end

case_begin "agent reply reaches the sink"
reply_text="Chúng tôi đã cử đội sửa chữa đến đường Lê Lợi; đèn sẽ sáng lại trong hai ngày."
api POST "/api/v1/tickets/$CODE/replies" \
	"$(python3 -c 'import json, sys; print(json.dumps({"body": sys.argv[1]}))' "$reply_text")" \
	-H "Authorization: Bearer $ADMIN"
check_status 202
REPLY_ID=$(json_get "$API_BODY" message.id || true)
[ -n "$REPLY_ID" ] || fail "no message id in $(lib_shorten "$API_BODY")"
if sink_wait 2; then
	mail=$SINK_DIR/0002.eml
	REPLY_MESSAGE_ID=$(mail_field "$mail" Message-ID)
	check_match "Message-ID" "$REPLY_MESSAGE_ID" \
		"^<chub\\.$TICKET_ID\\.$REPLY_ID\\.[0-9a-f]{16}@hub\\.test>\$"
	check_equal "Subject" \
		"[#$CODE] Re: Phản ánh: đèn đường hỏng tại ấp Bình Đông" \
		"$(mail_field "$mail" Subject)"
	check_equal "Auto-Submitted" "" "$(mail_field "$mail" Auto-Submitted)"
	check_equal "In-Reply-To" "<c1@example.com>" "$(mail_field "$mail" In-Reply-To)"
	check_contains "References" "$(mail_field "$mail" References)" "<c1@example.com>"
	check_contains "Vietnamese text" "$(mail_field "$mail" text)" "$reply_text"
	check_contains "HTML text" "$(mail_field "$mail" html)" \
		"Chúng tôi đã cử đội sửa chữa đến đường Lê Lợi; đèn sẽ sáng lại"
	check_contains "quoted-printable" "$(cat "$mail")" \
		"Content-Transfer-Encoding: quoted-printable"
fi
wait_sql "SELECT delivery_status FROM messages WHERE id = ${REPLY_ID:-0}" sent
case_end

case_begin "lmtp accepts own addresses only"
lmtp_send an.nguyen@example.com "nobody@hub.test,HOTRO@Hub.TEST" "$TEST_TMP/m1.eml"
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
lmtp_send an.nguyen@example.com "$HUB_ADDRESS" "$TEST_TMP/big.eml"
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
lmtp_send vacation@example.com "$HUB_ADDRESS" "$TEST_TMP/auto.eml"
check_match "reply to DATA" "$(lmtp_reply)" '^250 2\.0\.0 '
check_equal "tickets" "$before" "$(sql "SELECT COUNT(*) FROM tickets")"
check_contains "logged with its Message-ID" "$(cat "$HUB_LOG")" "auto1@example.com"
case_end

case_begin "bounce of the reply marks it failed"
cat >"$TEST_TMP/bounce.eml" <<EML
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: $HUB_ADDRESS
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

From: $HUB_ADDRESS
To: an.nguyen@example.com
Subject: [#$CODE] Re: test
Message-ID: ${REPLY_MESSAGE_ID:-<none@hub.test>}

--b1--
EML
status=0
"$MAILGATE_BIN" -c "$HUB_CONFIG" -f "" <"$TEST_TMP/bounce.eml" \
	2>"$TEST_TMP/mailgate.err" || status=$?
check_equal "mailgate exit status" 0 "$status"
wait_sql "SELECT delivery_status FROM messages WHERE id = ${REPLY_ID:-0}" failed
check_equal "tickets from the bounce" 0 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'bounce1@mx.example.com'")"
case_end

# --- Smarthost outcomes and config -----------------------------------------------

# send_reply TEXT: an agent's reply on ticket CODE; sets REPLY_ID.
send_reply() {
	api POST "/api/v1/tickets/$CODE/replies" \
		"$(python3 -c 'import json, sys; print(json.dumps({"body": sys.argv[1]}))' "$1")" \
		-H "Authorization: Bearer $ADMIN"
	check_status 202
	REPLY_ID=$(json_get "$API_BODY" message.id || true)
	[ -n "$REPLY_ID" ] || fail "no message id in $(lib_shorten "$API_BODY")"
}

case_begin "smarthost 5xx fails the reply"
echo "550 5.1.1 No such user here" >"$SINK_ANSWER"
send_reply "Phản hồi thứ hai."
wait_sql "SELECT delivery_status FROM messages WHERE id = ${REPLY_ID:-0}" failed
check_contains "detail" \
	"$(sql "SELECT delivery_detail FROM messages WHERE id = ${REPLY_ID:-0}")" \
	"550 5.1.1 No such user here"
check_equal "attempts" 1 "$(sql "SELECT attempts FROM messages WHERE id = ${REPLY_ID:-0}")"
case_end

case_begin "smarthost 4xx retries the reply"
echo "451 4.3.0 Try again later" >"$SINK_ANSWER"
send_reply "Phản hồi thứ ba."
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

# mailgate ARGS... < FILE: runs citizenhub-mailgate and sets MAILGATE_STATUS
# and MAILGATE_ERR.
mailgate() {
	MAILGATE_STATUS=0
	"$MAILGATE_BIN" "$@" 2>"$TEST_TMP/mailgate.err" || MAILGATE_STATUS=$?
	MAILGATE_ERR=$(cat "$TEST_TMP/mailgate.err")
}

case_begin "mailgate stores a message"
write_mail "$TEST_TMP/g1.eml" g1@example.com "Nước sinh hoạt bị đục" \
	$'Nước máy ở hẻm 45 bị đục từ sáng nay.\n'
mailgate -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/g1.eml"
check_equal "exit status" 0 "$MAILGATE_STATUS"
check_equal "standard error" "" "$MAILGATE_ERR"
check_equal "stored" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'g1@example.com'")"
case_end

case_begin "mailgate takes the sender from Return-Path"
printf 'Return-Path: <an.ho@example.com>\r\nFrom: An Ho\r\nTo: %s\r\nSubject: =?UTF-8?Q?C=E1=BB=91ng_t=E1=BA=AFc?=\r\nMessage-ID: <g2@example.com>\r\n\r\nCống thoát nước bị tắc ở hẻm 45.\r\n' \
	"$HUB_ADDRESS" >"$TEST_TMP/g2.eml"
mailgate -c "$HUB_CONFIG" <"$TEST_TMP/g2.eml"
check_equal "exit status" 0 "$MAILGATE_STATUS"
check_equal "contact from the envelope sender" an.ho@example.com \
	"$(sql "SELECT c.value FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE m.reference = 'g2@example.com'")"
case_end

case_begin "mailgate exits 65 on a permanent refusal"
mailgate -c "$HUB_CONFIG" -f an.nguyen@example.com -r nobody@hub.test \
	<"$TEST_TMP/g1.eml"
check_equal "exit status" 65 "$MAILGATE_STATUS"
check_contains "hub's reply on standard error" "$MAILGATE_ERR" "550 5.1.1"
mailgate -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/big.eml"
check_equal "exit status of an oversized message" 65 "$MAILGATE_STATUS"
check_contains "size reply" "$MAILGATE_ERR" "552 5.3.4"
case_end

case_begin "mailgate exits 75 on a silent hub"
python3 -c '
import socket, sys, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(4)
print(listener.getsockname()[1], flush=True)
time.sleep(30)' >"$TEST_TMP/silent.port" &
SILENT_PID=$!
for _ in $(seq 50); do
	[ -s "$TEST_TMP/silent.port" ] && break
	sleep 0.1
done
started=$SECONDS
mailgate --lmtp "127.0.0.1:$(cat "$TEST_TMP/silent.port")" --timeout 1 \
	-r "$HUB_ADDRESS" -f a@example.com <"$TEST_TMP/g1.eml"
check_equal "exit status" 75 "$MAILGATE_STATUS"
check_contains "reason" "$MAILGATE_ERR" "timed out"
check_ge "seconds left before the limit" 0 $((5 - (SECONDS - started)))
kill "$SILENT_PID" 2>/dev/null || true
case_end

case_begin "mailgate exits 75 while the hub is down"
hub_stop
write_mail "$TEST_TMP/g3.eml" g3@example.com "Cây đổ chắn đường" \
	$'Cây đổ chắn ngang đường Nguyễn Huệ.\n'
mailgate -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/g3.eml"
check_equal "exit status" 75 "$MAILGATE_STATUS"
check_contains "reason" "$MAILGATE_ERR" "cannot connect to the hub"
case_end

case_begin "mailgate delivers after the restart"
hub_start "$HUB_DATA"
mailgate -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/g3.eml"
check_equal "exit status" 0 "$MAILGATE_STATUS"
check_equal "stored" 1 \
	"$(sql "SELECT COUNT(*) FROM messages WHERE reference = 'g3@example.com'")"
case_end

# --- IMAP polling with Dovecot ---------------------------------------------------------

# maildir_deliver NAME FILE: puts FILE into the test mailbox as a new
# message, the way a local delivery agent does.
maildir_deliver() {
	cp "$2" "$MAILDIR/tmp/$1"
	chown dovecot:dovecot "$MAILDIR/tmp/$1"
	mv "$MAILDIR/tmp/$1" "$MAILDIR/new/$1"
}

# maildir_flags NAME: the flags of message NAME ("" for none, "-" when it
# is still new, unread by any client).
maildir_flags() {
	local file
	if [ -e "$MAILDIR/new/$1" ]; then
		echo -
		return
	fi
	file=$(find "$MAILDIR/cur" -name "$1:2,*" | head -n 1)
	echo "${file##*:2,}"
}

dovecot_start() {
	# Dovecot's processes run as its own users and must reach the folder.
	chmod 711 "$TEST_TMP"
	mkdir -p "$DOVECOT_DIR/run" "$MAILDIR/cur" "$MAILDIR/new" "$MAILDIR/tmp"
	chown -R dovecot:dovecot "$DOVECOT_DIR/mail"
	printf 'hub:{PLAIN}%s::::%s::\n' "$IMAP_PASSWORD" "$DOVECOT_DIR/mail/hub" \
		>"$DOVECOT_DIR/passwd"
	cat >"$DOVECOT_DIR/dovecot.conf" <<CONF
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/run/state
log_path = $DOVECOT_DIR/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = $DOVECOT_DIR/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$DOVECOT_DIR/mail/%u
}
mail_location = maildir:$MAILDIR
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
CONF
	/usr/sbin/dovecot -F -c "$DOVECOT_DIR/dovecot.conf" \
		>"$DOVECOT_DIR/stdout.log" 2>&1 &
	DOVECOT_PID=$!
	for _ in $(seq 50); do
		curl -s --max-time 1 "imap://127.0.0.1:$IMAP_PORT/" \
			-u "hub:$IMAP_PASSWORD" -X NOOP >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "dovecot did not answer on 127.0.0.1:$IMAP_PORT:" \
		"$(cat "$DOVECOT_DIR/stdout.log" "$DOVECOT_DIR/dovecot.log" 2>/dev/null)"
}

# log_count TEXT: how many lines of the daemon log contain TEXT.
log_count() {
	grep -cF -- "$1" "$HUB_LOG" || true
}

case_begin "imap poll stores a message once and marks it seen"
dovecot_start
write_mail "$TEST_TMP/i1.eml" i1@example.com "Rác thải ở chợ" \
	$'Rác thải tràn ra lề đường ở chợ Bình Tây.\n'
maildir_deliver 1000.i1 "$TEST_TMP/i1.eml"
hub_stop
# A relative socket path is taken from the config file's folder.
LMTP_MEMBER='"socket": "lmtp.sock"'
# From here on mail must go out over TLS, which the sink cannot offer.
SMTP_STARTTLS=required
HUB_CHANNELS_EXTRA=$(email_section "\"imap\": { \"url\": \"imap://127.0.0.1:$IMAP_PORT/INBOX\",
			\"username\": \"hub\", \"password_file\": \"$TEST_TMP/imap.password\",
			\"poll_seconds\": 5, \"batch\": 10 }")
hub_start "$HUB_DATA"
wait_sql "SELECT COUNT(*) FROM messages WHERE reference = 'i1@example.com'" 1
deadline=$((SECONDS + 10))
while [ "$(maildir_flags 1000.i1)" != S ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.2
done
check_equal "flags after the poll" S "$(maildir_flags 1000.i1)"
wait_sql "SELECT value FROM channel_state WHERE channel = 'email' AND key = 'imap.last_uid'" 1
check_match "UIDVALIDITY stored" \
	"$(sql "SELECT value FROM channel_state WHERE channel = 'email' AND key = 'imap.uidvalidity'")" \
	'^[0-9]+$'
case_end

case_begin "starttls required keeps mail from a plain smarthost"
sent_before=$(find "$SINK_DIR" -name '*.eml' | wc -l)
ack_query="SELECT m.attempts FROM messages m JOIN messages i ON i.ticket_id = m.ticket_id WHERE i.reference = 'i1@example.com' AND m.kind = 'ack'"
deadline=$((SECONDS + 10))
while [ "$(sql "$ack_query")" != 1 ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.2
done
check_ge "send attempts of the acknowledgement" 1 "$(sql "$ack_query")"
ack_detail=$(sql "SELECT m.delivery_status || ' ' || m.delivery_detail FROM messages m JOIN messages i ON i.ticket_id = m.ticket_id WHERE i.reference = 'i1@example.com' AND m.kind = 'ack'")
check_not_contains "not sent" "$ack_detail" "sent "
check_match "reason names TLS" "$ack_detail" 'TLS'
check_equal "messages in the sink" "$sent_before" \
	"$(find "$SINK_DIR" -name '*.eml' | wc -l)"
case_end

case_begin "mailgate delivers over the unix socket"
[ -S "$TEST_TMP/lmtp.sock" ] || fail "no socket at $TEST_TMP/lmtp.sock"
write_mail "$TEST_TMP/g4.eml" g4@example.com "Đường ngập" $'Đường ngập sau mưa.\n'
mailgate -c "$HUB_CONFIG" -f an.nguyen@example.com <"$TEST_TMP/g4.eml"
check_equal "exit status" 0 "$MAILGATE_STATUS"
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
maildir_deliver 1001.big "$TEST_TMP/big.eml"
write_mail "$TEST_TMP/i3.eml" i3@example.com "Ổ gà" $'Ổ gà lớn trước số 3.\n'
maildir_deliver 1002.i3 "$TEST_TMP/i3.eml"
wait_sql "SELECT COUNT(*) FROM messages WHERE reference = 'i3@example.com'" 1
wait_sql "SELECT value FROM channel_state WHERE channel = 'email' AND key = 'imap.last_uid'" 3
check_equal "flags of the large message" "" "$(maildir_flags 1001.big)"
deadline=$((SECONDS + 10))
while [ "$(maildir_flags 1002.i3)" != S ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.2
done
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
kill "$DOVECOT_PID" 2>/dev/null || true
case_end

tests_done
