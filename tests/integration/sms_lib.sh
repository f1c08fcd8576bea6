# shellcheck shell=bash
# Globals such as KANNEL_SENDSMS_URL and SMS_MT_TEXT are read by the tests.
# shellcheck disable=SC2034
#
# Kannel for the SMS channel's integration tests, to be sourced after lib.sh.
# It starts the real bearerbox and smsbox of Debian's kannel package with a
# config of the test's own folder, and fakesmsc (kannel-extras) as the SMS
# centre: MO messages go in through sms_mo_send, and every MT message that
# Kannel delivers is written to $KANNEL_MT_LOG and read back, decoded to
# UTF-8, with sms_mt_wait.
#
# Every server listens and every client connects on 127.0.0.1 only. The
# Debian service of Kannel is not involved: its init script is not run and
# /etc/kannel/kannel.conf is not read.
#
# Behaviour of Kannel 1.4.5 (Debian 1.4.5-12) that the set-up relies on:
# - bearerbox restores the MT messages of its store file on start, also after
#   SIGKILL, so queued messages survive a restart.
# - fakesmsc dies when bearerbox goes away, and smsbox re-executes itself
#   (new pid, same process group) when it loses bearerbox. Each program is
#   therefore started in its own process group and stopped as a group.
# - fakesmsc reads MO lines from its standard input with a 256-byte buffer:
#   a longer line, or a second line written before the first was sent, stays
#   in that buffer until more input arrives. sms_mo_send writes one line at a
#   time, waits until fakesmsc reports it sent, and rejects lines of 255
#   bytes or more.

# --- Settings (set before kannel_start) ---------------------------------------

# First of four consecutive ports (admin, smsbox, sendsms, fake SMSC). Empty:
# each port is a free port of 127.0.0.1 chosen at start.
KANNEL_PORT_BASE=${KANNEL_PORT_BASE:-}
# The sendsms-user of the hub.
KANNEL_USER=hub
KANNEL_PASSWORD="kannel test password"
KANNEL_ADMIN_PASSWORD="kannel admin password"
# The hotline's short code, used as sender of the tests' MT messages.
KANNEL_SHORT_CODE=8088
# Receivers starting with this prefix are not routed to the fake SMSC: sendsms
# responds 403 "Not routable. Do not try again." and a delivery report of type
# 16 ("NACK/no SMSC") goes to the dlr-url.
KANNEL_DENIED_PREFIX=8499
# Receivers matching this regex are rejected by the sendsms-user's black list:
# sendsms responds 400 "Number(s) has/have been denied by white- and/or
# black-lists." and no delivery report is sent.
KANNEL_BLACK_LIST_REGEX='^8498'
# URL of the sms-service that receives MO messages, with Kannel escapes
# (%p sender, %P receiver, %a text, %c coding...). Empty: MO messages are
# accepted and dropped.
KANNEL_MO_URL=""
# "get" (get-url) or "post" (post-url, with X-Kannel-From sent).
KANNEL_MO_METHOD="get"
# "true" makes smsbox convert UCS-2 MO text to UTF-8 (%c becomes 0).
KANNEL_MO_RECODE=false
# smsbox's HTTP client for the MO service: attempts after the first (any
# status but 2xx, refused connections and timeouts are retried), seconds
# between attempts, and seconds before a request times out.
KANNEL_HTTP_RETRY=0
KANNEL_HTTP_QUEUE_DELAY=1
KANNEL_HTTP_TIMEOUT=5
# log-level of bearerbox and smsbox: 0 debug, 1 info, 2 warning.
KANNEL_LOG_LEVEL=1

# --- State (set by kannel_start) -----------------------------------------------

KANNEL_DIR=""
KANNEL_CONFIG=""
KANNEL_ADMIN_PORT=""
KANNEL_SMSBOX_PORT=""
KANNEL_SENDSMS_PORT=""
KANNEL_FAKE_PORT=""
KANNEL_SENDSMS_URL=""
KANNEL_ADMIN_URL=""
# MT messages as fakesmsc prints them, one line per SMS part:
# "SENDER RECEIVER text TEXT", "... ucs-2 URLENCODED_UTF16BE",
# "... data URLENCODED" or "... udh URLENCODED_UDH data URLENCODED".
KANNEL_MT_LOG=""
KANNEL_MO_FIFO=""
# Process group ids of the running programs.
KANNEL_BEARERBOX_PGID=""
KANNEL_SMSBOX_PGID=""
KANNEL_FAKESMSC_PGID=""
KANNEL_LAST_PGID=""

# Result of the last kannel_sendsms call.
KANNEL_STATUS=""
KANNEL_BODY=""

# The message found by the last sms_mt_wait.
SMS_MT_LINE=""
SMS_MT_FROM=""
SMS_MT_TO=""
SMS_MT_CODING=""
SMS_MT_TEXT=""

KANNEL_BIN_DIR=/usr/sbin
FAKESMSC_BIN=/usr/lib/kannel/test/fakesmsc
SMS_SYSTEM_PYTHON=/usr/bin/python3

# kannel_require: exits 1 with a list of what is missing.
kannel_require() {
	local missing=()
	[ -x "$KANNEL_BIN_DIR/bearerbox" ] ||
		missing+=("$KANNEL_BIN_DIR/bearerbox (apt-get install kannel)")
	[ -x "$KANNEL_BIN_DIR/smsbox" ] ||
		missing+=("$KANNEL_BIN_DIR/smsbox (apt-get install kannel)")
	[ -x "$FAKESMSC_BIN" ] ||
		missing+=("$FAKESMSC_BIN (apt-get install kannel-extras)")
	command -v setsid >/dev/null ||
		missing+=("setsid (apt-get install util-linux)")
	if [ ${#missing[@]} -gt 0 ]; then
		echo "missing: ${missing[*]}" >&2
		exit 1
	fi
}
kannel_require

# --- Configuration -------------------------------------------------------------

kannel_ports_choose() {
	if [ -n "$KANNEL_PORT_BASE" ]; then
		KANNEL_ADMIN_PORT=$KANNEL_PORT_BASE
		KANNEL_SMSBOX_PORT=$((KANNEL_PORT_BASE + 1))
		KANNEL_SENDSMS_PORT=$((KANNEL_PORT_BASE + 2))
		KANNEL_FAKE_PORT=$((KANNEL_PORT_BASE + 3))
	else
		KANNEL_ADMIN_PORT=$(lib_free_port)
		KANNEL_SMSBOX_PORT=$(lib_free_port)
		KANNEL_SENDSMS_PORT=$(lib_free_port)
		KANNEL_FAKE_PORT=$(lib_free_port)
	fi
	KANNEL_SENDSMS_URL=http://127.0.0.1:$KANNEL_SENDSMS_PORT/cgi-bin/sendsms
	KANNEL_ADMIN_URL=http://127.0.0.1:$KANNEL_ADMIN_PORT
}

# Prints the sms-service group for KANNEL_MO_URL and KANNEL_MO_METHOD.
kannel_service_write() {
	local url_key=get-url
	echo "group = sms-service"
	echo "keyword = default"
	echo "catch-all = true"
	if [ -z "$KANNEL_MO_URL" ]; then
		echo 'text = ""'
	else
		if [ "$KANNEL_MO_METHOD" = post ]; then
			url_key=post-url
			echo "send-sender = true"
		fi
		echo "$url_key = \"$KANNEL_MO_URL\""
	fi
	# No reply SMS at all: neither the service's response body nor the
	# texts of reply-couldnotfetch and reply-emptymessage.
	echo "max-messages = 0"
	echo "omit-empty = true"
}

# kannel_config_write FILE: the config of bearerbox and smsbox for the ports
# and settings above, with logs and the store under KANNEL_DIR.
kannel_config_write() {
	{
		cat <<CONF
group = core
admin-port = $KANNEL_ADMIN_PORT
admin-interface = 127.0.0.1
admin-password = "$KANNEL_ADMIN_PASSWORD"
admin-allow-ip = 127.0.0.1
smsbox-port = $KANNEL_SMSBOX_PORT
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "$KANNEL_DIR/bearerbox.log"
log-level = $KANNEL_LOG_LEVEL
access-log = "$KANNEL_DIR/access.log"
dlr-storage = internal
store-type = file
store-location = "$KANNEL_DIR/store"
store-dump-freq = 1

group = smsc
smsc = fake
smsc-id = fake
port = $KANNEL_FAKE_PORT
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1
denied-prefix = "$KANNEL_DENIED_PREFIX"
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $KANNEL_SMSBOX_PORT
sendsms-port = $KANNEL_SENDSMS_PORT
sendsms-interface = 127.0.0.1
log-file = "$KANNEL_DIR/smsbox.log"
log-level = $KANNEL_LOG_LEVEL
access-log = "$KANNEL_DIR/smsbox-access.log"
http-request-retry = $KANNEL_HTTP_RETRY
http-queue-delay = $KANNEL_HTTP_QUEUE_DELAY
http-timeout = $KANNEL_HTTP_TIMEOUT
mo-recode = $KANNEL_MO_RECODE

group = sendsms-user
username = "$KANNEL_USER"
password = "$KANNEL_PASSWORD"
black-list-regex = "$KANNEL_BLACK_LIST_REGEX"
max-messages = 10
concatenation = true

CONF
		kannel_service_write
	} >"$1"
}

# --- Processes -----------------------------------------------------------------

# kannel_group_run LOG COMMAND...: runs COMMAND in the background as leader of
# a new process group and sets KANNEL_LAST_PGID to that group's id. The group
# is killed by lib_cleanup when the test ends.
kannel_group_run() {
	local log=$1
	shift
	setsid "$@" </dev/null >>"$log" 2>&1 &
	KANNEL_LAST_PGID=$!
	# Out of the job table, so that the shell prints no "Killed" line when
	# a test kills the group. The shell still reaps the process.
	disown "$KANNEL_LAST_PGID"
	# lib_cleanup runs "kill -9 ID": a negative ID kills the whole group.
	HUB_PIDS+=("-$KANNEL_LAST_PGID")
}

# kannel_group_stop PGID [SECONDS]: sends SIGTERM to the group, then SIGKILL
# after SECONDS (5) when some process of it is still running.
kannel_group_stop() {
	local pgid=$1 deadline=$((SECONDS + ${2:-5}))
	[ -n "$pgid" ] || return 0
	kill -TERM -- "-$pgid" 2>/dev/null || true
	while kill -0 -- "-$pgid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			kill -KILL -- "-$pgid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
}

# kannel_port_open PORT: whether something accepts connections on
# 127.0.0.1:PORT.
kannel_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# kannel_status: prints bearerbox's status page (status.txt).
kannel_status() {
	curl -s --max-time 2 \
		"$KANNEL_ADMIN_URL/status.txt?password=$(kannel_urlencode "$KANNEL_ADMIN_PASSWORD")"
}

kannel_urlencode() {
	"$SMS_SYSTEM_PYTHON" -c \
		'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# kannel_wait_until SECONDS WHAT COMMAND...: runs COMMAND every 0.1 s until
# it succeeds; records a failure naming WHAT and returns 1 after SECONDS.
kannel_wait_until() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			fail "$what within $1 s (logs in $KANNEL_DIR)"
			return 1
		fi
		sleep 0.1
	done
}

# The status page is read whole before grep: with pipefail, grep -q closing
# the pipe early could fail the check.
kannel_status_matches() {
	local status
	status=$(kannel_status || true)
	grep -Eq -- "$1" <<<"$status"
}

kannel_bearerbox_ready() {
	kannel_status_matches '^Status: running'
}

kannel_smsbox_connected() {
	kannel_status_matches 'smsbox:.*on-?line'
}

kannel_fakesmsc_connected() {
	kannel_status_matches '^ +fake\[fake\].*\(online'
}

# kannel_bearerbox_start: starts bearerbox on KANNEL_CONFIG and waits until
# its status page reports it running.
kannel_bearerbox_start() {
	kannel_group_run "$KANNEL_DIR/bearerbox.out" \
		"$KANNEL_BIN_DIR/bearerbox" -v 2 "$KANNEL_CONFIG"
	KANNEL_BEARERBOX_PGID=$KANNEL_LAST_PGID
	kannel_wait_until 10 "bearerbox did not report running on 127.0.0.1:$KANNEL_ADMIN_PORT" \
		kannel_bearerbox_ready
}

# kannel_smsbox_start: starts smsbox and waits until it is connected to
# bearerbox and sendsms accepts connections.
kannel_smsbox_start() {
	kannel_group_run "$KANNEL_DIR/smsbox.out" \
		"$KANNEL_BIN_DIR/smsbox" -v 2 "$KANNEL_CONFIG"
	KANNEL_SMSBOX_PGID=$KANNEL_LAST_PGID
	kannel_smsbox_wait
}

# kannel_smsbox_wait: waits until smsbox is connected to bearerbox and its
# sendsms port accepts connections (also after smsbox re-executed itself).
kannel_smsbox_wait() {
	kannel_wait_until 15 "smsbox did not connect to bearerbox" \
		kannel_smsbox_connected &&
		kannel_wait_until 10 "smsbox did not open sendsms on 127.0.0.1:$KANNEL_SENDSMS_PORT" \
			kannel_port_open "$KANNEL_SENDSMS_PORT"
}

# kannel_fakesmsc_start: starts fakesmsc with its standard input on
# KANNEL_MO_FIFO and its output in fakesmsc.log, writes the MT lines to
# KANNEL_MT_LOG, and waits until bearerbox reports the fake SMSC online.
kannel_fakesmsc_start() {
	# The FIFO is opened for reading and writing, so fakesmsc never reads
	# end-of-file from it and a writer never blocks while fakesmsc runs.
	# -i 0: no pause between MO messages.
	# shellcheck disable=SC2016 # the inner script expands its own arguments
	kannel_group_run "$KANNEL_DIR/fakesmsc.err" \
		bash -c 'exec 3<>"$1"
"$2" -H 127.0.0.1 -r "$3" -i 0 <&3 2>&1 |
	tee -a "$4" |
	sed -u -n "s/^.* Got message [0-9]*: <\(.*\)>\$/\1/p" >>"$5"' \
		fakesmsc "$KANNEL_MO_FIFO" "$FAKESMSC_BIN" "$KANNEL_FAKE_PORT" \
		"$KANNEL_DIR/fakesmsc.log" "$KANNEL_MT_LOG"
	KANNEL_FAKESMSC_PGID=$KANNEL_LAST_PGID
	kannel_wait_until 10 "fakesmsc did not connect to 127.0.0.1:$KANNEL_FAKE_PORT" \
		kannel_fakesmsc_connected
}

kannel_fakesmsc_stop() {
	kannel_group_stop "$KANNEL_FAKESMSC_PGID"
	KANNEL_FAKESMSC_PGID=""
}

kannel_smsbox_stop() {
	kannel_group_stop "$KANNEL_SMSBOX_PGID"
	KANNEL_SMSBOX_PGID=""
}

# kannel_bearerbox_stop [kill]: stops bearerbox with SIGTERM, or SIGKILL when
# the argument is "kill". fakesmsc is stopped too since it exits (or
# crashes) when bearerbox closes its connection.
kannel_bearerbox_stop() {
	if [ "${1:-}" = kill ] && [ -n "$KANNEL_BEARERBOX_PGID" ]; then
		kill -KILL -- "-$KANNEL_BEARERBOX_PGID" 2>/dev/null || true
	fi
	kannel_group_stop "$KANNEL_BEARERBOX_PGID" 10
	KANNEL_BEARERBOX_PGID=""
	kannel_fakesmsc_stop
}

# kannel_start: writes the config and starts bearerbox, smsbox and fakesmsc
# under $TEST_TMP/kannel. Returns 1 with a failure recorded when one of them
# does not come up.
kannel_start() {
	KANNEL_DIR=$TEST_TMP/kannel
	KANNEL_CONFIG=$KANNEL_DIR/kannel.conf
	KANNEL_MT_LOG=$KANNEL_DIR/mt.log
	KANNEL_MO_FIFO=$KANNEL_DIR/mo.fifo
	mkdir -p "$KANNEL_DIR"
	[ -p "$KANNEL_MO_FIFO" ] || mkfifo "$KANNEL_MO_FIFO"
	touch "$KANNEL_MT_LOG"
	# Ports chosen before (for a hub config that names them) are kept.
	[ -n "$KANNEL_SENDSMS_PORT" ] || kannel_ports_choose
	kannel_config_write "$KANNEL_CONFIG"
	kannel_bearerbox_start &&
		kannel_smsbox_start &&
		kannel_fakesmsc_start
}

# kannel_restart_bearerbox [kill]: stops bearerbox (SIGKILL with "kill"),
# starts it again on the same config and store, and waits until smsbox has
# reconnected and fakesmsc is connected again.
kannel_restart_bearerbox() {
	kannel_bearerbox_stop "${1:-}"
	kannel_bearerbox_start &&
		kannel_smsbox_wait &&
		kannel_fakesmsc_start
}

# kannel_stop: stops fakesmsc, smsbox and bearerbox and waits until their
# ports are closed.
kannel_stop() {
	local port
	kannel_fakesmsc_stop
	kannel_smsbox_stop
	kannel_bearerbox_stop
	for port in "$KANNEL_SENDSMS_PORT" "$KANNEL_SMSBOX_PORT" \
		"$KANNEL_ADMIN_PORT" "$KANNEL_FAKE_PORT"; do
		[ -n "$port" ] || continue
		kannel_wait_until 5 "port $port is still open after Kannel stopped" \
			kannel_port_closed "$port" || return 1
	done
}

kannel_port_closed() {
	! kannel_port_open "$1"
}

# --- Messages --------------------------------------------------------------------

# kannel_sendsms [CURL_ARGS...]: GET /cgi-bin/sendsms with username, password
# and from (the short code) plus the arguments, typically
# --data-urlencode "to=..." --data-urlencode "text=...". Sets KANNEL_STATUS
# (000 when the connection failed) and KANNEL_BODY.
kannel_sendsms() {
	local body_file=$KANNEL_DIR/sendsms-body
	KANNEL_STATUS=$(curl -s -G -o "$body_file" -w '%{http_code}' --max-time 10 \
		--data-urlencode "username=$KANNEL_USER" \
		--data-urlencode "password=$KANNEL_PASSWORD" \
		--data-urlencode "from=$KANNEL_SHORT_CODE" \
		"$@" "$KANNEL_SENDSMS_URL" || true)
	KANNEL_BODY=$(cat "$body_file" 2>/dev/null || true)
}

kannel_mo_sent_count() {
	grep -c 'fakesmsc: sent message' "$KANNEL_DIR/fakesmsc.log" 2>/dev/null || true
}

# sms_mo_send SENDER RECEIVER TEXT [TYPE]: makes fakesmsc send an MO message
# and waits until it did. TYPE is "text" (the default when TEXT is printable
# ASCII) or "ucs2" (the default otherwise: UTF-16BE, URL-encoded). Returns 1
# with a failure recorded when the line is too long or was not sent.
sms_mo_send() {
	local sender=$1 receiver=$2 text=$3 type=${4:-} line before
	if [ -z "$type" ]; then
		if LC_ALL=C grep -q '^[[:print:]]*$' <<<"$text"; then
			type=text
		else
			type=ucs2
		fi
	fi
	case $type in
	text) line="$sender $receiver text $text" ;;
	ucs2)
		line="$sender $receiver ucs2 $("$SMS_SYSTEM_PYTHON" -c '
import sys, urllib.parse
print(urllib.parse.quote(sys.argv[1].encode("utf-16-be"), safe=""))
' "$text")"
		;;
	*)
		fail "sms_mo_send: unknown type \"$type\" (text or ucs2)"
		return 1
		;;
	esac
	if [ "$(printf '%s\n' "$line" | wc -c)" -ge 256 ]; then
		fail "sms_mo_send: the fakesmsc line for \"$text\" is longer than 255 bytes"
		return 1
	fi
	if [ -z "$KANNEL_FAKESMSC_PGID" ] || ! kill -0 "$KANNEL_FAKESMSC_PGID" 2>/dev/null; then
		fail "sms_mo_send: fakesmsc is not running"
		return 1
	fi
	before=$(kannel_mo_sent_count)
	printf '%s\n' "$line" >"$KANNEL_MO_FIFO"
	kannel_wait_until 5 "fakesmsc did not send the MO \"$text\"" \
		kannel_mo_sent_after "$before"
}

kannel_mo_sent_after() {
	[ "$(kannel_mo_sent_count)" -gt "$1" ]
}

# sms_mt_messages: prints the MT messages of KANNEL_MT_LOG decoded, one per
# line: "SENDER RECEIVER CODING TEXT" with CODING gsm (fakesmsc type text),
# ucs2 or 8bit (the text as hex) and newlines of TEXT written as \n. The
# parts of a concatenated message are joined once all of them arrived.
sms_mt_messages() {
	"$SMS_SYSTEM_PYTHON" - "$KANNEL_MT_LOG" <<'PYTHON'
import sys, urllib.parse


def unquote(text):
    # Kannel's URL encoding writes a space as "+" and a "+" as "%2B".
    return urllib.parse.unquote_to_bytes(text.replace("+", " "))


def looks_ucs2(data):
    # Concatenated parts arrive as "udh ... data ..." for GSM-7 and UCS-2
    # alike. GSM-7 text is passed on as UTF-8 with no control characters
    # but CR and LF, while UCS-2 of Latin and Vietnamese letters contains
    # bytes below 0x20 (0x00, 0x01 and 0x1E as high bytes).
    # NOTE: UCS-2 made only of characters at U+2000 and above (CJK) that
    # is also valid UTF-8 would be taken for GSM-7 text.
    if len(data) % 2 == 0 and any(b < 0x20 and b not in (10, 13) for b in data):
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return len(data) % 2 == 0
    return False


def decoded(coding, data):
    if coding == "ucs2":
        return data.decode("utf-16-be", errors="replace")
    if coding == "8bit":
        return data.hex()
    return data.decode("utf-8", errors="replace")


def concatenation(udh):
    # Information elements 0x00 (8-bit reference) and 0x08 (16-bit).
    i = 1
    while i + 1 < len(udh):
        tag, size = udh[i], udh[i + 1]
        value = udh[i + 2:i + 2 + size]
        if tag == 0x00 and size == 3:
            return value[0], value[1], value[2]
        if tag == 0x08 and size == 4:
            return (value[0] << 8) | value[1], value[2], value[3]
        i += 2 + size
    return None


def emit(sender, receiver, coding, text):
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    print(f"{sender} {receiver} {coding} {text}")


pending = {}
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        fields = line.rstrip("\n").split(" ", 3)
        if len(fields) < 3:
            continue
        sender, receiver, kind = fields[0], fields[1], fields[2]
        rest = fields[3] if len(fields) > 3 else ""
        if kind == "text":
            emit(sender, receiver, "gsm", rest)
        elif kind == "ucs-2":
            emit(sender, receiver, "ucs2", decoded("ucs2", unquote(rest)))
        elif kind == "data":
            emit(sender, receiver, "8bit", decoded("8bit", unquote(rest)))
        elif kind == "udh":
            udh_text, _, data_text = rest.partition(" data ")
            udh, data = unquote(udh_text), unquote(data_text)
            part = concatenation(udh)
            if part is None:
                coding = "ucs2" if looks_ucs2(data) else "gsm"
                emit(sender, receiver, coding, decoded(coding, data))
                continue
            reference, total, number = part
            key = (sender, receiver, reference, total)
            pending.setdefault(key, {})[number] = data
            if len(pending[key]) == total:
                parts = pending.pop(key)
                whole = b"".join(parts[n] for n in sorted(parts))
                coding = "ucs2" if looks_ucs2(whole) else "gsm"
                emit(sender, receiver, coding, decoded(coding, whole))
PYTHON
}

# sms_mt_count: prints the number of decoded MT messages.
sms_mt_count() {
	sms_mt_messages | wc -l
}

kannel_mt_find() {
	local messages found rest
	messages=$(sms_mt_messages)
	found=$(grep -E -m 1 -- "$1" <<<"$messages" || true)
	[ -n "$found" ] || return 1
	SMS_MT_LINE=$found
	# Not "read", which would strip the text's leading and trailing spaces.
	SMS_MT_FROM=${found%% *}
	rest=${found#* }
	SMS_MT_TO=${rest%% *}
	rest=${rest#* }
	SMS_MT_CODING=${rest%% *}
	SMS_MT_TEXT=${rest#* }
}

# sms_mt_wait PATTERN [SECONDS]: waits up to SECONDS (10) for a decoded MT
# message (see sms_mt_messages) matching the extended regex PATTERN and sets
# SMS_MT_LINE, SMS_MT_FROM, SMS_MT_TO, SMS_MT_CODING and SMS_MT_TEXT from the
# first one. Returns 1 when there is none.
sms_mt_wait() {
	local deadline=$((SECONDS + ${2:-10}))
	SMS_MT_LINE=""
	SMS_MT_FROM=""
	SMS_MT_TO=""
	SMS_MT_CODING=""
	SMS_MT_TEXT=""
	until kannel_mt_find "$1"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# sms_mt_expect PATTERN [SECONDS]: as sms_mt_wait, and records a failure
# with the messages seen when none matches.
sms_mt_expect() {
	sms_mt_wait "$@" && return 0
	fail "no MT message matching /$1/ reached fakesmsc; decoded MT messages:" \
		"$(lib_shorten "$(sms_mt_messages)")"
	return 1
}

# --- A stand-in for the hub's MO and delivery-report URLs ------------------------

# sms_listener_start: starts an HTTP server on a free port of 127.0.0.1 that
# answers every request with 200 and an empty body and writes it to
# SMS_LISTENER_LOG as one JSON object per line (method, path, headers, body
# as hex). Sets SMS_LISTENER_PORT, SMS_LISTENER_URL and SMS_LISTENER_LOG.
sms_listener_start() {
	SMS_LISTENER_PORT=$(lib_free_port)
	SMS_LISTENER_URL=http://127.0.0.1:$SMS_LISTENER_PORT
	SMS_LISTENER_LOG=$TEST_TMP/listener-$SMS_LISTENER_PORT.jsonl
	: >"$SMS_LISTENER_LOG"
	"$SMS_SYSTEM_PYTHON" - "$SMS_LISTENER_PORT" "$SMS_LISTENER_LOG" \
		>"$SMS_LISTENER_LOG.err" 2>&1 <<'PYTHON' &
import http.server, json, sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {"method": self.command, "path": self.path,
                  "headers": dict(self.headers.items()), "body": body.hex()}
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print("ready", flush=True)
server.serve_forever()
PYTHON
	SMS_LISTENER_PID=$!
	HUB_PIDS+=("$SMS_LISTENER_PID")
	kannel_wait_until 10 "the HTTP listener did not start" \
		kannel_port_open "$SMS_LISTENER_PORT"
}

sms_listener_stop() {
	[ -n "${SMS_LISTENER_PID:-}" ] || return 0
	kill "$SMS_LISTENER_PID" 2>/dev/null || true
	{ wait "$SMS_LISTENER_PID"; } 2>/dev/null || true
	SMS_LISTENER_PID=""
}

# sms_listener_requests: prints the number of requests the listener received.
sms_listener_requests() {
	wc -l <"$SMS_LISTENER_LOG"
}

# sms_listener_wait COUNT [SECONDS]: waits until the listener received at
# least COUNT requests; records a failure and returns 1 otherwise.
sms_listener_wait() {
	kannel_wait_until "${2:-10}" "the HTTP listener did not receive $1 requests" \
		sms_listener_has "$1"
}

sms_listener_has() {
	[ "$(sms_listener_requests)" -ge "$1" ]
}

# sms_listener_query N NAME [CHARSET]: prints the query parameter NAME of the
# listener's request N (1 = first), its bytes decoded with CHARSET (UTF-8).
sms_listener_query() {
	"$SMS_SYSTEM_PYTHON" - "$SMS_LISTENER_LOG" "$@" <<'PYTHON'
import json, sys, urllib.parse
with open(sys.argv[1], encoding="utf-8") as log:
    record = json.loads(log.readlines()[int(sys.argv[2]) - 1])
charset = sys.argv[4] if len(sys.argv) > 4 else "utf-8"
query = urllib.parse.urlsplit(record["path"]).query
for pair in query.split("&"):
    name, _, value = pair.partition("=")
    if name == sys.argv[3]:
        raw = urllib.parse.unquote_to_bytes(value.replace("+", " "))
        print(raw.decode(charset, errors="replace"))
        break
PYTHON
}

# sms_listener_field N FIELD: prints method, path, body (hex) or a header
# (header:NAME) of the listener's request N.
sms_listener_field() {
	"$SMS_SYSTEM_PYTHON" - "$SMS_LISTENER_LOG" "$@" <<'PYTHON'
import json, sys
with open(sys.argv[1], encoding="utf-8") as log:
    record = json.loads(log.readlines()[int(sys.argv[2]) - 1])
field = sys.argv[3]
if field.startswith("header:"):
    wanted = field[len("header:"):].lower()
    for name, value in record["headers"].items():
        if name.lower() == wanted:
            print(value)
else:
    print(record[field])
PYTHON
}
