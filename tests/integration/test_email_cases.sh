#!/usr/bin/env bash
# Every message of tests/cases/email/ handed to the email channel twice: by
# LMTP (swaks) and through citizenhub-mailgate, each time to a fresh hub
# whose smarthost is an SMTP sink. Each case gives the outcome its README
# line states: a ticket with its subject, contact, sender's name, body in
# NFC, search hits and attachments (downloaded as sent, their files stored
# under their SHA-256), or no ticket and no acknowledgement for an
# auto-reply and a bounce, which LMTP still answers 250 and the pipe
# command with exit 0. A bounce of the
# hub's own reply, found by the reply's Message-ID, marks that reply
# failed. The message of 3,000 links and 1 MB of white space costs less
# than a second of the daemon's CPU while /healthz keeps answering.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=email_lib.sh
. "$(dirname "$0")/email_lib.sh"

# deliver FILE SENDER: hands FILE over by $TRANSPORT and checks that the
# transport reports success (LMTP 250, mailgate exit 0).
deliver() {
	local name
	name=$(basename "$1")
	if [ "$TRANSPORT" = lmtp ]; then
		lmtp_deliver "$1" "$2"
		check_lmtp_250 "$name"
	else
		mailgate_deliver "$1" "$2"
		check_equal "$name: citizenhub-mailgate exit status (stderr \"$(lib_shorten "$MAILGATE_ERR")\")" \
			0 "$MAILGATE_EXIT"
	fi
}

# deliver_case NUMBER: delivers the case file NUMBER-*.eml with its envelope
# sender and sets CASE_FILE and CODE, the one ticket it opened, or records a
# failure. BEFORE contains the codes from before the delivery.
deliver_case() {
	CASE_FILE=$(echo "$CASES_DIR/$1"-*.eml)
	admin_codes
	BEFORE=$ADMIN_CODES
	deliver "$CASE_FILE" "$(case_sender "$CASE_FILE")"
	CODE=""
	if wait_new_codes "$BEFORE" 1; then
		CODE=$(printf '%s\n' "$NEW_CODES" | head -n 1)
		check_equal "tickets opened by $1" 1 "$(printf '%s' "$NEW_CODES" | grep -c .)"
		detail "$CODE"
	else
		fail "$(basename "$CASE_FILE"): no new ticket within 5 s"
		DETAIL='{"ticket": {"messages": []}}'
	fi
}

# check_dropped NUMBER ADDRESS MESSAGE_ID: the case opened no ticket, no
# acknowledgement went to ADDRESS and the log names the Message-ID.
check_dropped() {
	local file
	file=$(echo "$CASES_DIR/$1"-*.eml)
	admin_codes
	BEFORE=$ADMIN_CODES
	deliver "$file" "$(case_sender "$file")"
	# Two polls of the reply queue (poll_interval_seconds 1).
	sleep 2.5
	check_equal "tickets opened by $(basename "$file")" "" "$(new_codes "$BEFORE")"
	check_equal "mail to $2 at the sink" "" "$(sink_find To "$2")"
	if ! grep -qF "$3" "$HUB_LOG"; then
		fail "the daemon log does not name the dropped message <$3>"
	fi
}

# check_ack ADDRESS: an acknowledgement to ADDRESS reaches the sink within
# 10 s, marked Auto-Submitted: auto-replied.
check_ack() {
	local deadline=$((SECONDS + 10)) files=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		files=$(sink_find To "$1")
		[ -n "$files" ] && break
		sleep 0.3
	done
	if [ -z "$files" ]; then
		fail "no acknowledgement to $1 at the sink within 10 s"
		return 0
	fi
	check_equal "Auto-Submitted of the acknowledgement to $1" auto-replied \
		"$(mail_header "$(printf '%s\n' "$files" | head -n 1)" Auto-Submitted)"
}

# hub_cpu_seconds: prints the daemon's user and system CPU time in seconds.
hub_cpu_seconds() {
	python3 -c '
import os, sys
fields = open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split()
print((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
' "$HUB_PID"
}

run_cases() {
	TRANSPORT=$1

	case_begin "$TRANSPORT: hub with the email channel starts"
	sink_start
	email_hub_start || exit 1
	case_end

	case_begin "$TRANSPORT: 01 subject split inside a multibyte character"
	deliver_case 01
	check_equal "subject" "Phản ánh: đèn đường hỏng tại ấp Bình Đông" "$(detail_get 't["subject"]')"
	check_equal "channel" email "$(detail_get 'inbound[0]["channel"]')"
	check_equal "contact" an.nguyen@example.com \
		"$(detail_get '[c["value"] for c in t["contacts"] if c["kind"] == "email"][0]')"
	check_equal "name" "Nguyễn Văn An" "$(detail_get 't["citizen"]["name"]')"
	check_ack an.nguyen@example.com
	CODE_01=$CODE
	case_end

	case_begin "$TRANSPORT: 02 windows-1258 quoted-printable"
	deliver_case 02
	check_equal "subject" "Nước sinh hoạt bị đục" "$(detail_get 't["subject"]')"
	check_equal "name" "Trần Thị Bích" "$(detail_get 't["citizen"]["name"]')"
	check_equal "body starts in NFC with Xin chào," yes "$(detail_get '
"yes" if inbound[0]["body"].startswith("Xin chào,") and
__import__("unicodedata").is_normalized("NFC", inbound[0]["body"]) else inbound[0]["body"][:60]')"
	case_end

	case_begin "$TRANSPORT: 03 decomposed body stored in NFC and found"
	deliver_case 03
	check_equal "body in NFC" yes "$(detail_get '
"yes" if inbound[0]["body"] and __import__("unicodedata").is_normalized("NFC", inbound[0]["body"]) else repr(inbound[0]["body"][:60])')"
	for query in "đường" "duong" "NGUYEN HUE"; do
		check_contains "tickets found by q=$query" "$(search_codes "$query")" "$CODE"
	done
	case_end

	case_begin "$TRANSPORT: 04 auto-reply dropped"
	check_dropped 04 thu.pham@example.com case04@mail.example.com
	case_end

	case_begin "$TRANSPORT: 05 bounce of an unknown message dropped"
	check_dropped 05 MAILER-DAEMON@mx.example.net case05@mx.example.net
	check_equal "mail to nobody@example.net" "" "$(sink_find To nobody@example.net)"
	case_end

	case_begin "$TRANSPORT: 06 attachments with RFC 2231 names"
	deliver_case 06
	local attachments
	attachments=$(detail_get 'inbound[0]["attachments"]')
	check_equal "attachment count" 2 "$(json_length "$attachments")"
	check_equal "JPEG attachment" "Ảnh hiện trường.jpg image/jpeg 22" "$(python3 -c '
import json, sys
for a in json.loads(sys.argv[1]):
    if a["content_type"] == "image/jpeg":
        print(a["filename"], a["content_type"], a["size"])' "$attachments" 2>/dev/null)"
	check_equal "PDF name is safe" ok "$(python3 -c '
import json, sys
for a in json.loads(sys.argv[1]):
    if a["content_type"] == "application/pdf":
        name = a["filename"] or ""
        bad = [c for c in name if c in "/\\" or ord(c) < 32 or ord(c) == 127]
        print("ok" if name and not bad and name.lower().endswith(".pdf") and
              name not in (".", "..") else repr(name))' "$attachments" 2>/dev/null)"
	# Each attachment downloads as the decoded bytes that were sent, and
	# its file under the data directory is named by their SHA-256.
	local attachment_id content_type
	: >"$TEST_TMP/blobs"
	for attachment_id in $(python3 -c '
import json, sys
for a in json.loads(sys.argv[1]):
    print(a["id"])' "$attachments" 2>/dev/null); do
		curl -s -o "$TEST_TMP/download" -w '%{http_code} %{content_type}\n' --max-time 10 \
			-H "Authorization: Bearer $AGENT_TOKEN" \
			"$HUB_URL/api/v1/tickets/$CODE/attachments/$attachment_id" >"$TEST_TMP/download.status"
		content_type=$(python3 -c '
import json, sys
print([a["content_type"] for a in json.loads(sys.argv[1]) if str(a["id"]) == sys.argv[2]][0])
' "$attachments" "$attachment_id")
		python3 - "$CASE_FILE" "$content_type" "$TEST_TMP/download" "$HUB_DATA" \
			"$(cat "$TEST_TMP/download.status")" >>"$TEST_TMP/blobs" <<'PYTHON' || true
import email, email.policy, hashlib, os, sys
case_file, content_type, download, data_dir, status = sys.argv[1:6]
with open(case_file, "rb") as f:
    message = email.message_from_binary_file(f, policy=email.policy.compat32)
sent = [p.get_payload(decode=True) for p in message.walk()
        if p.get_content_type() == content_type][0]
got = open(download, "rb").read()
digest = hashlib.sha256(sent).hexdigest()
if not status.startswith("200"):
    print("%s: download answered %s" % (content_type, status))
elif got != sent:
    print("%s: download of %d bytes differs from the %d bytes sent" % (content_type, len(got), len(sent)))
found = [os.path.join(d, n) for d, _, names in os.walk(data_dir) for n in names if n == digest]
if not found:
    print("%s: no file named %s under the data directory" % (content_type, digest))
elif open(found[0], "rb").read() != sent:
    print("%s: stored file %s differs from the attachment" % (content_type, found[0]))
PYTHON
	done
	check_equal "stored attachment files" "" "$(cat "$TEST_TMP/blobs")"
	case_end

	case_begin "$TRANSPORT: 07 pathological HTML within a second of CPU"
	local cpu_before cpu_after probe_pid
	cpu_before=$(hub_cpu_seconds)
	# A second client reads /healthz every 50 ms meanwhile.
	(
		while :; do
			curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
				--max-time 5 "$HUB_URL/healthz" || echo "000 5"
			sleep 0.05
		done
	) >"$TEST_TMP/health-$TRANSPORT" &
	probe_pid=$!
	sleep 0.3
	deliver_case 07
	sleep 0.3
	kill "$probe_pid" 2>/dev/null || true
	wait "$probe_pid" 2>/dev/null || true
	cpu_after=$(hub_cpu_seconds)
	check_equal "CPU seconds under 1 (before $cpu_before, after $cpu_after)" yes \
		"$(python3 -c 'import sys; print("yes" if float(sys.argv[2]) - float(sys.argv[1]) < 1 else "no")' \
			"$cpu_before" "$cpu_after")"
	check_contains "text body" "$(detail_get 'inbound[0]["body"]')" \
		"Chợ đầu mối bị lấn chiếm lề đường."
	check_equal "/healthz answers meanwhile (status and slowest)" "ok" "$(python3 -c '
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
bad = [r for r in rows if r[0] != "200"]
slowest = max((float(r[1]) for r in rows), default=99)
print("ok" if rows and not bad and slowest < 0.5 else
      "%d probes, %d not 200, slowest %.3f s" % (len(rows), len(bad), slowest))
' "$TEST_TMP/health-$TRANSPORT")"
	case_end

	case_begin "$TRANSPORT: 08 From without an address"
	deliver_case 08
	check_equal "contact from the envelope sender" an.ho@example.com \
		"$(detail_get '[c["value"] for c in t["contacts"] if c["kind"] == "email"][0]')"
	case_end

	case_begin "$TRANSPORT: 09 Date header of 200 characters"
	local delivered_at
	delivered_at=$(date +%s)
	deliver_case 09
	check_equal "ticket time is the time of receipt" yes "$(python3 -c '
import datetime, json, sys
t = json.loads(sys.argv[1])["ticket"]
created = datetime.datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")).timestamp()
print("yes" if abs(created - int(sys.argv[2])) < 60 else t["created_at"])' "$DETAIL" "$delivered_at" 2>/dev/null)"
	case_end

	case_begin "$TRANSPORT: 10 UTF-8 labelled us-ascii"
	deliver_case 10
	check_contains "body" "$(detail_get 'inbound[0]["body"]')" \
		"Cống thoát nước bị tắc ở hẻm 45."
	case_end

	case_begin "$TRANSPORT: bounce of the hub's reply marks the reply failed"
	local reply_file message_id dsn
	if [ -n "${CODE_01:-}" ]; then
		local sent_before
		sent_before=$(sink_count)
		reply "$CODE_01" "Chúng tôi đã chuyển phản ánh về đèn đường cho đội điện."
		sink_wait $((sent_before + 1)) || fail "the reply did not reach the sink"
		reply_file=$(sink_find Subject "$CODE_01" | tail -n 1)
		message_id=$(mail_header "$reply_file" Message-ID | tr -d '<> ')
		check_match "Message-ID of the reply" "$message_id" "@$EMAIL_DOMAIN\$"
		dsn=$TEST_TMP/dsn-$TRANSPORT.eml
		sed -e "s/reply-unknown-ticket@hub.example.org/$message_id/" \
			-e "s/nobody@example.net/an.nguyen@example.com/g" \
			-e "s/case05@mx.example.net/dsn-$TRANSPORT@mx.example.net/" \
			"$CASES_DIR/05-dsn-bounce.eml" >"$dsn"
		admin_codes
		BEFORE=$ADMIN_CODES
		deliver "$dsn" ""
		wait_delivery "$CODE_01" "$REPLY_ID" failed
		check_equal "tickets opened by the bounce" "" "$(new_codes "$BEFORE")"
	else
		fail "case 01 opened no ticket to reply to"
	fi
	case_end

	case_begin "$TRANSPORT: hub stops cleanly"
	hub_stop
	sink_stop
	case_end
}

run_cases lmtp
run_cases mailgate

case_begin "mailgate help shows the master.cf example of docs/email.md"
help_text=$("$MAILGATE_BIN" --help 2>&1 || true)
# The fenced block after "In `/etc/postfix/master.cf`:", each line
# indented by two spaces as the help text prints it.
master_cf=$(awk '/^In `\/etc\/postfix\/master.cf`:/ { found = 1; next }
	found && /^```/ { if (inside) exit; inside = 1; next }
	inside { print "  " $0 }' "$TOP/docs/email.md")
check_not_equal "master.cf example in docs/email.md" "" "$master_cf"
while IFS= read -r line; do
	printf '%s\n' "$help_text" | grep -qxF -- "$line" ||
		fail "citizenhub-mailgate --help lacks the line \"$line\""
done <<<"$master_cf"
case_end

# --- Bounds on slow LMTP clients ---------------------------------------------

# A hub whose LMTP commands get 2 s and whose messages get 3 s after the 354.
# email_config is wrapped so that its lmtp member carries the two bounds.
eval "$(declare -f email_config | sed '1s/^email_config/email_config_plain/')"
email_config() {
	email_config_plain "$@" | sed "s/\"listen\": \"127.0.0.1:$1\" }/\"listen\": \"127.0.0.1:$1\", \"timeout_seconds\": 2, \"data_timeout_seconds\": 3 }/"
}

# slow_lmtp PHASE: talks to the LMTP listener, sending one byte every
# 0.5 s of a command (PHASE "command") or of a message after the 354
# (PHASE "data") for up to 12 s. Prints the hub's replies, then "closed
# after N s", N counted from the first slow byte.
slow_lmtp() {
	python3 - "$LMTP_PORT" "$1" "$EMAIL_ADDRESS" <<'PYTHON'
import socket, sys, time
port, phase, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
connection = socket.create_connection(("127.0.0.1", port), timeout=15)
received = b""

def reply():
    global received
    while not received.endswith(b"\r\n"):
        chunk = connection.recv(4096)
        if not chunk:
            return
        received += chunk

reply()
if phase == "data":
    for command in (b"LHLO slow.example\r\n", b"MAIL FROM:<slow@example.com>\r\n",
                    b"RCPT TO:<" + rcpt.encode() + b">\r\n", b"DATA\r\n"):
        connection.sendall(command)
        reply()
    text = (b"From: slow@example.com\r\nSubject: slow\r\n\r\n"
            + b"x" * 200 + b"\r\n.\r\n")
else:
    text = b"LHLO " + b"s" * 200 + b".example\r\n"
started = time.monotonic()
connection.settimeout(0.5)
closed = False
for byte in text:
    if time.monotonic() - started > 12:
        break
    try:
        connection.sendall(bytes([byte]))
        chunk = connection.recv(4096)
        if not chunk:
            closed = True
            break
        received += chunk
    except socket.timeout:
        pass
    except OSError:
        closed = True
        break
connection.settimeout(5)
try:
    while not closed:
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
except OSError:
    pass
print(received.decode(errors="replace").replace("\r\n", "\n"), end="")
print("closed after %d s" % round(time.monotonic() - started))
PYTHON
}

case_begin "lmtp slow hub starts"
sink_start
email_hub_start || exit 1
case_end

case_begin "lmtp slow command closed"
out=$(slow_lmtp command)
check_contains "reply" "$out" "421 4.4.2"
check_match "closed within the command bound" "$out" 'closed after [1-4] s'
case_end

case_begin "lmtp slow message closed"
admin_codes
BEFORE=$ADMIN_CODES
out=$(slow_lmtp data)
check_contains "354 first" "$out" "354 "
check_contains "reply" "$out" "421 4.4.2"
check_match "closed within the data bound" "$out" 'closed after [2-5] s'
sleep 1
check_equal "tickets opened" "" "$(new_codes "$BEFORE")"
case_end

case_begin "lmtp after slow clients delivers"
make_mail "$TEST_TMP/after-slow.eml" "Bình <binh@example.com>" \
	"Ổ gà trên đường Lê Lợi" "Ổ gà lớn trước số 12."
admin_codes
BEFORE=$ADMIN_CODES
lmtp_deliver "$TEST_TMP/after-slow.eml" binh@example.com
check_lmtp_250 "after slow clients"
wait_new_codes "$BEFORE" 1 || fail "no ticket for the mail after the slow clients"
case_end

case_begin "lmtp subject-only mail with a long subject"
long_subject=$(python3 -c 'print("Đèn đường hỏng " * 20)')
make_mail "$TEST_TMP/subject-only.eml" "Chi <chi@example.com>" "$long_subject" ""
admin_codes
BEFORE=$ADMIN_CODES
lmtp_deliver "$TEST_TMP/subject-only.eml" chi@example.com
check_lmtp_250 "subject-only mail"
if wait_new_codes "$BEFORE" 1; then
	detail "$NEW_CODES"
	check_equal "subject within 200 characters" true \
		"$(detail_get 'len(t["subject"]) <= 200 and len(t["subject"]) >= 190')"
	check_equal "subject end" "…" "$(detail_get 't["subject"][-1]')"
	check_contains "body is the subject" "$(detail_get 'inbound[0]["body"]')" \
		"Đèn đường hỏng Đèn đường hỏng"
else
	fail "no ticket for the subject-only mail"
fi
case_end

case_begin "lmtp robot envelope sender opens no ticket"
make_mail "$TEST_TMP/robot-envelope.eml" "Dung <dung@example.com>" \
	"Returned mail" "The message could not be delivered."
admin_codes
BEFORE=$ADMIN_CODES
sent_before=$(sink_count)
lmtp_deliver "$TEST_TMP/robot-envelope.eml" MAILER-DAEMON@mx.example.net
check_lmtp_250 "robot envelope sender"
sleep 2
check_equal "tickets opened" "" "$(new_codes "$BEFORE")"
check_equal "acknowledgements sent" "$sent_before" "$(sink_count)"
case_end

case_begin "lmtp slow hub stops"
hub_stop
sink_stop
case_end

tests_done
