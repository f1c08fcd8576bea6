# shellcheck shell=bash
# Set-up shared by the email channel's integration tests (test_email*.sh),
# to be sourced after lib.sh. It starts an SMTP sink (smtp_sink.py) that
# plays the smarthost, starts the hub with the email module listening for
# LMTP on a free port of 127.0.0.1, and hands messages over by LMTP (swaks)
# or through citizenhub-mailgate. Outbound mail is read back from the sink
# and decoded with Debian's /usr/bin/python3.
#
# Every server listens and every client connects on 127.0.0.1 only.

EMAIL_ADDRESS=tiepnhan@hub.example.org
EMAIL_DOMAIN=hub.example.org
CASES_DIR=$TOP/tests/cases/email
MAILGATE_BIN=$TOP/citizenhub-mailgate
SYSTEM_PYTHON=/usr/bin/python3
SINK_SCRIPT=$TOP/tests/integration/smtp_sink.py
# Acknowledgements per recipient and per ticket in the test config.
EMAIL_ACK_LIMIT=3
AGENT_PASSWORD="email test password 1"

# email_require [COMMAND...]: exits 1 with a list of what is missing among
# the email module, citizenhub-mailgate, swaks, aiosmtpd and each COMMAND
# that the suite also needs (sqlite3, dovecot).
email_require() {
	local missing=() command
	[ -f "$HUB_MODULES_DIR/email.so" ] ||
		missing+=("$HUB_MODULES_DIR/email.so (configure without --disable-email, then make)")
	[ -x "$MAILGATE_BIN" ] || missing+=("$MAILGATE_BIN (run make)")
	command -v swaks >/dev/null || missing+=("swaks (apt-get install swaks)")
	"$SYSTEM_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
		missing+=("aiosmtpd for $SYSTEM_PYTHON (apt-get install python3-aiosmtpd)")
	for command in "$@"; do
		case $command in
		dovecot)
			[ -x /usr/sbin/dovecot ] ||
				missing+=("dovecot (apt-get install dovecot-imapd)")
			;;
		*)
			command -v "$command" >/dev/null ||
				missing+=("$command (apt-get install $command)")
			;;
		esac
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "missing: ${missing[*]}" >&2
		exit 1
	fi
}
email_require

# --- The SMTP sink ----------------------------------------------------------

# sink_start [ARGS...]: starts smtp_sink.py on a free port with a new folder
# and sets SINK_DIR, SINK_PORT and SINK_PID. ARGS go to the sink
# (--forward HOST:PORT, --auth USER:PASSWORD, --answer-file FILE).
sink_start() {
	local deadline=$((SECONDS + 10))
	SINK_DIR=$(mktemp -d "$TEST_TMP/sink.XXXXXX")
	SINK_PORT=$(lib_free_port)
	"$SYSTEM_PYTHON" "$SINK_SCRIPT" --port "$SINK_PORT" --dir "$SINK_DIR" "$@" \
		>"$SINK_DIR.log" 2>&1 &
	SINK_PID=$!
	HUB_PIDS+=("$SINK_PID")
	until grep -q '^ready' "$SINK_DIR.log" 2>/dev/null; do
		if ! kill -0 "$SINK_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
			fail "the SMTP sink did not start: $(cat "$SINK_DIR.log")"
			return 1
		fi
		sleep 0.1
	done
}

sink_stop() {
	[ -n "${SINK_PID:-}" ] || return 0
	kill "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=""
}

# sink_count [DIR]: prints the number of messages the sink accepted.
# shellcheck disable=SC2120 # DIR is optional
sink_count() {
	local dir=${1:-$SINK_DIR}
	find "$dir" -maxdepth 1 -name '[0-9]*.eml' | wc -l
}

# sink_wait COUNT [SECONDS]: waits until the sink contains at least COUNT
# messages; returns 1 when it does not within SECONDS (10).
sink_wait() {
	local deadline=$((SECONDS + ${2:-10}))
	while [ "$(sink_count)" -lt "$1" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# sink_expect COUNT [SECONDS]: waits as sink_wait does and records a failure
# with the count seen when the sink does not reach COUNT messages.
sink_expect() {
	sink_wait "$@" && return 0
	# shellcheck disable=SC2119 # DIR is optional
	fail "the SMTP sink contains $(sink_count) messages, expected $1"
	return 1
}

# mail_header FILE NAME: prints the decoded header NAME of the message in
# FILE (RFC 2047 words decoded), or nothing when it is absent.
mail_header() {
	"$SYSTEM_PYTHON" - "$1" "$2" <<'PYTHON'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    message = email.message_from_binary_file(f, policy=email.policy.default)
value = message.get(sys.argv[2])
if value is not None:
    print(str(value))
PYTHON
}

# mail_text FILE [SUBTYPE]: prints the decoded text of the message's part of
# type text/SUBTYPE (plain).
mail_text() {
	"$SYSTEM_PYTHON" - "$1" "${2:-plain}" <<'PYTHON'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    message = email.message_from_binary_file(f, policy=email.policy.default)
for part in message.walk():
    if part.get_content_type() == "text/" + sys.argv[2]:
        print(part.get_content())
        break
PYTHON
}

# mail_content_type FILE: prints the content type of the message in FILE,
# e.g. "multipart/alternative".
mail_content_type() {
	"$SYSTEM_PYTHON" - "$1" <<'PYTHON'
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    message = email.message_from_binary_file(f, policy=email.policy.default)
print(message.get_content_type())
PYTHON
}

# sink_find HEADER TEXT: prints the sink files whose decoded HEADER contains
# TEXT, oldest first.
sink_find() {
	"$SYSTEM_PYTHON" - "$SINK_DIR" "$1" "$2" <<'PYTHON'
import email, email.policy, glob, os, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "[0-9]*.eml"))):
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    if sys.argv[3] in str(message.get(sys.argv[2], "")):
        print(path)
PYTHON
}

# --- The hub with the email module ------------------------------------------

# email_config: prints the channels.email section for LMTP port $1 and SMTP
# port $2, with $3 extra members.
email_config() {
	cat <<JSON
"email": {
		"address": "$EMAIL_ADDRESS",
		"domain": "$EMAIL_DOMAIN",
		"from_name": { "vi": "Tiếp nhận phản ánh", "en": "Citizen Hub" },
		"lmtp": { "listen": "127.0.0.1:$1" },
		"smtp": { "host": "127.0.0.1", "port": $2, "starttls": "no",
			  "timeout_seconds": 5 }${3:+,
		$3}
	}
JSON
}

# email_hub_start [EMAIL_EXTRA [DATA_DIR]]: starts the hub with the email
# channel on a new LMTP port (LMTP_PORT), sending to the running sink. The
# reply queue polls every second and allows EMAIL_ACK_LIMIT acknowledgements
# per recipient and per ticket. Then creates the agent "tam" and sets
# AGENT_TOKEN.
# A preset LMTP_PORT_NEXT is used (and cleared) instead of a new port.
email_hub_start() {
	LMTP_PORT=${LMTP_PORT_NEXT:-$(lib_free_port)}
	LMTP_PORT_NEXT=""
	HUB_CHANNELS_EXTRA=$(email_config "$LMTP_PORT" "$SINK_PORT" "${1:-}")
	HUB_CONFIG_EXTRA="\"replies\": { \"poll_interval_seconds\": 1,
		\"retry_base_seconds\": 1, \"retry_max_seconds\": 2,
		\"ack_limit_per_recipient\": $EMAIL_ACK_LIMIT,
		\"ack_limit_per_ticket\": $EMAIL_ACK_LIMIT,
		\"ack_limit_window_minutes\": 60 }"
	# shellcheck disable=SC2119 # DATA_DIR is optional
	if [ -n "${2:-}" ]; then
		hub_start "$2" || return 1
	else
		hub_start || return 1
	fi
	lmtp_wait_ready || return 1
	agent_login
}

# lmtp_wait_ready: waits up to 10 s for the LMTP port to take connections.
lmtp_wait_ready() {
	local deadline=$((SECONDS + 10))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
sys.exit(0 if s.recv(512).startswith(b"220") else 1)' "$LMTP_PORT" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	fail "the LMTP listener on 127.0.0.1:$LMTP_PORT did not greet within 10 s"
	return 1
}

# agent_login [USERNAME [DISPLAY_NAME]]: creates the admin agent USERNAME
# ("tam") with AGENT_PASSWORD, once per data directory, and sets AGENT_TOKEN
# to a bearer token of it. CTL_STATUS is that of "agent add", for check_ctl.
agent_login() {
	local username=${1:-tam} name_option=()
	[ -z "${2:-}" ] || name_option=(--name "$2")
	ctl -c "$HUB_CONFIG" agent add "$username" --role admin "${name_option[@]}" \
		<<<"$AGENT_PASSWORD"
	api POST /api/v1/session "$(python3 -c '
import json, sys
print(json.dumps({"username": sys.argv[1], "password": sys.argv[2], "token": "bearer"}))
' "$username" "$AGENT_PASSWORD")"
	AGENT_TOKEN=$(json_get "$API_BODY" token || true)
	[ -n "$AGENT_TOKEN" ] || fail "agent $username cannot log in: $API_STATUS $(lib_shorten "$API_BODY")"
}

# as_agent METHOD PATH [BODY]: api with the agent's bearer token.
as_agent() {
	api "$1" "$2" "${3:-}" -H "Authorization: Bearer $AGENT_TOKEN"
}

# --- Handing mail over ---------------------------------------------------------

# case_sender FILE: prints the envelope sender of a case file: its
# Return-Path, else its From address ("" for the null sender <>).
case_sender() {
	python3 - "$1" <<'PYTHON'
import email, email.utils, sys
with open(sys.argv[1], "rb") as f:
    message = email.message_from_binary_file(f)
path = message.get("Return-Path")
if path is not None:
    print(path.strip().strip("<>"))
else:
    print(email.utils.parseaddr(message.get("From", ""))[1])
PYTHON
}

# lmtp_deliver FILE SENDER [RECIPIENT...]: hands FILE over by LMTP with
# swaks to every RECIPIENT (the hub's address by default) in one
# transaction. Sets LMTP_EXIT (swaks's status), LMTP_OUT (the dialogue) and
# LMTP_DATA_REPLIES (the server's replies after DATA, one a line).
lmtp_deliver() {
	local file=$1 sender=$2 recipients
	shift 2
	recipients=$(IFS=,; echo "${*:-$EMAIL_ADDRESS}")
	# swaks sends "MAIL FROM:<>" for --from '<>' (an empty --from means
	# its default sender).
	LMTP_EXIT=0
	LMTP_OUT=$(swaks --protocol LMTP --server 127.0.0.1 --port "$LMTP_PORT" \
		--from "${sender:-<>}" --to "$recipients" --data "$file" \
		--timeout 30 --suppress-data 2>&1) || LMTP_EXIT=$?
	# swaks prints "<-  250 ..." (or "<** 451 ...") for each reply. The
	# replies after " -> N lines sent" are those to DATA, one per recipient.
	LMTP_DATA_REPLIES=$(printf '%s\n' "$LMTP_OUT" |
		sed -n '/^ *-> [0-9]* lines sent/,$p' |
		grep -E '^<[-*~]+ +[0-9]{3}' | grep -Ev '^<[-*~]+ +221' |
		sed -E 's/^<[-*~]+ +//' || true)
}

# check_lmtp_250 WHAT: the last LMTP transaction was accepted with 250 for
# every recipient.
check_lmtp_250() {
	check_equal "$1: swaks exit status" 0 "$LMTP_EXIT"
	if [ -z "$LMTP_DATA_REPLIES" ] ||
		printf '%s\n' "$LMTP_DATA_REPLIES" | grep -vq '^250'; then
		fail "$1: LMTP replies after DATA \"$(lib_shorten "$LMTP_DATA_REPLIES")\", expected 250"
	fi
}

# mailgate_run ARGS... <FILE: runs citizenhub-mailgate with ARGS for at most
# 30 s and sets MAILGATE_EXIT and MAILGATE_ERR (its standard error).
mailgate_run() {
	MAILGATE_EXIT=0
	MAILGATE_ERR=$(timeout 30 "$MAILGATE_BIN" "$@" 2>&1 >/dev/null) || MAILGATE_EXIT=$?
}

# mailgate_deliver FILE SENDER: pipes FILE into citizenhub-mailgate with
# the test config and the envelope sender, as an MTA's pipe transport does.
# Sets MAILGATE_EXIT and MAILGATE_ERR.
mailgate_deliver() {
	mailgate_run -c "$HUB_CONFIG" -f "$2" -r "$EMAIL_ADDRESS" --timeout 20 <"$1"
}

# silent_server_start: starts a TCP server on a free port of 127.0.0.1 that
# accepts connections and never sends a byte, as a hung peer does, and sets
# SILENT_PORT and SILENT_PID. The server exits by itself after 120 s.
silent_server_start() {
	local port_file=$TEST_TMP/silent-$RANDOM.port deadline=$((SECONDS + 5))
	python3 -c '
import os, socket, sys, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(50)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)' "$port_file" &
	SILENT_PID=$!
	HUB_PIDS+=("$SILENT_PID")
	while [ ! -s "$port_file" ] && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	SILENT_PORT=$(cat "$port_file" 2>/dev/null || true)
	if [ -z "$SILENT_PORT" ]; then
		fail "the silent TCP server did not start within 5 s"
		return 1
	fi
}

silent_server_stop() {
	[ -n "${SILENT_PID:-}" ] || return 0
	kill "$SILENT_PID" 2>/dev/null || true
	wait "$SILENT_PID" 2>/dev/null || true
	SILENT_PID=""
}

# make_mail FILE FROM SUBJECT BODY [HEADER VALUE...]: writes a plain text
# message in UTF-8 (quoted-printable, CRLF line ends) with its subject
# encoded per RFC 2047. It gets a new Message-ID unless one is given.
make_mail() {
	python3 - "$@" <<'PYTHON'
import email.policy, email.utils, sys
from email.message import EmailMessage
path, sender, subject, body = sys.argv[1:5]
extra = sys.argv[5:]
message = EmailMessage(policy=email.policy.SMTP)
message["From"] = sender
message["To"] = "tiepnhan@hub.example.org"
message["Subject"] = subject
message["Date"] = email.utils.formatdate(localtime=True)
names = [name.lower() for name in extra[::2]]
if "message-id" not in names:
    message["Message-ID"] = email.utils.make_msgid(domain="mail.example.com")
for name, value in zip(extra[::2], extra[1::2]):
    if name.lower() == "to":
        del message["To"]
    message[name] = value
message.set_content(body, charset="utf-8", cte="quoted-printable")
with open(path, "wb") as f:
    f.write(message.as_bytes())
PYTHON
}

# --- Reading tickets ------------------------------------------------------------

# new_codes BEFORE: prints the ticket codes listed now and not in BEFORE
# (a list of codes, one a line).
new_codes() {
	admin_codes
	comm -13 <(printf '%s\n' "$1" | sed '/^$/d' | sort) \
		<(printf '%s\n' "$ADMIN_CODES" | sed '/^$/d' | sort)
}

# wait_new_codes BEFORE COUNT [SECONDS]: waits until COUNT tickets exist
# that BEFORE lacks and sets NEW_CODES; records nothing.
wait_new_codes() {
	local deadline=$((SECONDS + ${3:-5}))
	while :; do
		NEW_CODES=$(new_codes "$1")
		[ "$(printf '%s' "$NEW_CODES" | grep -c .)" -ge "$2" ] && return 0
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# detail CODE: sets DETAIL to the ticket detail as the agent reads it.
detail() {
	as_agent GET "/api/v1/tickets/$1"
	check_status 200
	DETAIL=$API_BODY
}

# detail_get PYTHON_EXPRESSION: prints the expression evaluated on the
# ticket t of DETAIL (strings raw, others as JSON), or nothing on error.
detail_get() {
	python3 -c '
import json, sys
t = json.loads(sys.argv[1])["ticket"]
inbound = [m for m in t["messages"] if m["direction"] == "in"]
outbound = [m for m in t["messages"] if m["direction"] == "out"]
value = eval("(" + sys.argv[2] + ")")
print(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
' "$DETAIL" "$1" 2>/dev/null || true
}

# search_codes QUERY: prints the codes of tickets found by q=QUERY.
search_codes() {
	api_admin GET "/api/v1/tickets?q=$(python3 -c '
import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")"
	python3 -c '
import json, sys
for ticket in json.loads(sys.argv[1])["tickets"]:
    print(ticket["code"])
' "$API_BODY" 2>/dev/null || true
}

# wait_delivery CODE MESSAGE_ID STATUS: waits up to 10 s for the message's
# delivery_status and records a failure with the last one seen.
wait_delivery() {
	local deadline=$((SECONDS + 10)) seen=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		detail "$1"
		seen=$(detail_get "[m['delivery_status'] for m in t['messages'] if m['id'] == $2][0]")
		[ "$seen" = "$3" ] && return 0
		sleep 0.3
	done
	fail "message $2 of $1: delivery_status \"$seen\", expected \"$3\""
}

# reply CODE TEXT: an agent's reply through the ticket's email contact; sets
# REPLY_ID.
reply() {
	as_agent POST "/api/v1/tickets/$1/replies" "$(python3 -c '
import json, sys; print(json.dumps({"body": sys.argv[1]}, ensure_ascii=False))' "$2")"
	check_status 202
	REPLY_ID=$(json_get "$API_BODY" message.id || true)
	[ -n "$REPLY_ID" ] || fail "reply to $1: no message id in $(lib_shorten "$API_BODY")"
}

# --- An IMAP server (Dovecot) ----------------------------------------------------

# imap_start: starts Dovecot in the foreground on a free port of 127.0.0.1
# with its own config, base_dir, password file and maildir under the
# test's folder, and sets IMAP_PORT, IMAP_URL, IMAP_USER, IMAP_PASSWORD_FILE
# and IMAP_MAILDIR. Run as root, the mail belongs to the user "dovecot".
imap_start() {
	local dir=$TEST_TMP/imap deadline=$((SECONDS + 10)) owner uid
	command -v dovecot >/dev/null || {
		fail "dovecot is missing (apt-get install dovecot-imapd)"
		return 1
	}
	IMAP_PORT=$(lib_free_port)
	IMAP_USER=hub
	IMAP_URL="imap://127.0.0.1:$IMAP_PORT/INBOX"
	IMAP_PASSWORD_FILE=$dir/hub-password
	IMAP_MAILDIR=$dir/mail/$IMAP_USER
	mkdir -p "$dir/base" "$IMAP_MAILDIR/new" "$IMAP_MAILDIR/cur" "$IMAP_MAILDIR/tmp"
	head -c 12 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$IMAP_PASSWORD_FILE"
	printf '%s:{PLAIN}%s\n' "$IMAP_USER" "$(cat "$IMAP_PASSWORD_FILE")" >"$dir/passwd"
	owner=$(id -un)
	uid=$(id -u)
	if [ "$uid" -eq 0 ]; then
		owner=dovecot
		# The mail processes run as dovecot and cross the test's folder.
		chmod 0711 "$TEST_TMP" "$dir"
		chown -R dovecot:dovecot "$dir/mail"
		chmod 0644 "$dir/passwd"
	fi
	IMAP_OWNER=$owner
	cat >"$dir/dovecot.conf" <<CONF
base_dir = $dir/base
state_dir = $dir/base/state
instance_name = citizenhub-$IMAP_PORT
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = $dir/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:$dir/mail/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$owner gid=$owner home=$dir/mail/%u
}
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
	if [ "$uid" -ne 0 ]; then
		sed -i -e '/^default_login_user/d' -e '/^default_internal_user/d' \
			"$dir/dovecot.conf"
	fi
	dovecot -F -c "$dir/dovecot.conf" >>"$dir/dovecot.out" 2>&1 &
	IMAP_PID=$!
	HUB_PIDS+=("$IMAP_PID")
	while [ "$SECONDS" -lt "$deadline" ]; do
		if imap_command "NOOP" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	fail "Dovecot did not answer on 127.0.0.1:$IMAP_PORT within 10 s" \
		"($(tail -n 3 "$dir/dovecot.out" "$dir/dovecot.log" 2>/dev/null | tr '\n' ' '))"
	return 1
}

imap_stop() {
	[ -n "${IMAP_PID:-}" ] || return 0
	kill "$IMAP_PID" 2>/dev/null || true
	wait "$IMAP_PID" 2>/dev/null || true
	IMAP_PID=""
}

# imap_command COMMAND: runs one IMAP command on INBOX with curl and prints
# the untagged responses.
imap_command() {
	curl -s --max-time 5 -u "$IMAP_USER:$(cat "$IMAP_PASSWORD_FILE")" \
		"$IMAP_URL" -X "$1"
}

# imap_section: the "imap" member of channels.email for the Dovecot of
# imap_start, polled every 5 s for up to 10 messages.
imap_section() {
	printf '"imap": { "url": "%s", "username": "%s", "password_file": "%s", "poll_seconds": 5, "batch": 10 }' \
		"$IMAP_URL" "$IMAP_USER" "$IMAP_PASSWORD_FILE"
}

# imap_deliver FILE [NAME]: puts FILE into the maildir's new/ folder under
# NAME (a new unique name by default) as a local delivery agent does;
# Dovecot gives it the next UID, unseen.
imap_deliver() {
	local name=${2:-}
	[ -n "$name" ] || name="$(date +%s).$$_$RANDOM.citizenhub-test"
	cp "$1" "$IMAP_MAILDIR/tmp/$name"
	[ "$IMAP_OWNER" = "$(id -un)" ] || chown "$IMAP_OWNER:$IMAP_OWNER" "$IMAP_MAILDIR/tmp/$name"
	mv "$IMAP_MAILDIR/tmp/$name" "$IMAP_MAILDIR/new/$name"
}

# imap_flags UID: prints the flags of message UID, e.g. "(\Seen)".
imap_flags() {
	imap_command "UID FETCH $1 (FLAGS)" | sed -n 's/.*FLAGS \(([^)]*)\).*/\1/p'
}

# maildir_flags NAME: prints the maildir flags of the message that
# imap_deliver put in under NAME, read from its file name ("" for none, "-"
# while it is still in new/, unread by any client).
maildir_flags() {
	local file
	if [ -e "$IMAP_MAILDIR/new/$1" ]; then
		echo -
		return
	fi
	file=$(find "$IMAP_MAILDIR/cur" -name "$1:2,*" | head -n 1)
	echo "${file##*:2,}"
}
