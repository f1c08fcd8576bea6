#!/usr/bin/env bash
# Deadlines, reminders and escalation. A report filed on a Friday afternoon
# before a holiday Monday is due on Tuesday. The daemon is restarted with
# its clock past the reminder time, then past the due time, then later
# still, and each timer fires once: an internal note, an audit event, an
# outbox row and the ticket's reminded_at or escalated_at. The clock is
# CITIZENHUB_TEST_CLOCK, which only a build with --enable-debug reads; a
# release build checks only what needs no test clock.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

HUB_CONFIG_EXTRA=$(cat <<'JSON'
	"departments": [
		{ "id": "quan-ly-do-thi", "name_vi": "Phòng Quản lý đô thị",
		  "name_en": "Urban Management Office" }
	],
	"categories": [
		{ "id": "traffic", "name_vi": "Giao thông", "name_en": "Traffic",
		  "keywords": ["ổ gà", "đèn giao thông"],
		  "department": "quan-ly-do-thi",
		  "deadline": { "working_days": 1 } }
	],
	"calendar": { "holidays": ["2025-01-06"] },
	"deadlines": { "remind_before_minutes": 120, "scan_interval_seconds": 1 }
JSON
)
# Friday 3 January 2025, 16:30 in Vietnam, inside office hours, so counting
# starts on Friday. One working day later is not Saturday or Sunday, nor
# the holiday Monday 6 January, but Tuesday 7 January, due at the close of
# its office hours, 17:00. The reminder is due two hours earlier, at 15:00.
# A working-days deadline does not depend on the seconds that pass on the
# test clock, which runs at the real pace, before the report is filed.
FILED_AT=2025-01-03T16:30:00+07:00
DUE_AT=2025-01-07T17:00:00+07:00
AFTER_REMINDER=2025-01-07T15:30:00+07:00
AFTER_DUE=2025-01-07T17:05:00+07:00
LATER=2025-01-07T17:20:00+07:00
export CITIZENHUB_TEST_CLOCK=$FILED_AT

# Whether the daemon started last runs on the test clock.
test_clock_on() {
	tail -n "+$HUB_LOG_START" "$HUB_LOG" | grep -q "test clock started"
}

# restart_at TIME: stops the daemon and starts it again on the same data
# directory with its clock at TIME.
restart_at() {
	hub_stop
	export CITIZENHUB_TEST_CLOCK=$1
	HUB_LOG_START=$(($(lib_log_lines) + 1))
	hub_start "$HUB_DATA" || true
}

# ticket_read: sets TICKET to the ticket's record from the admin API.
ticket_read() {
	api_admin GET "/api/v1/tickets/$CODE"
	check_status 200
	TICKET=$(json_get "$API_BODY" ticket) || TICKET="{}"
}

# ticket_count WHAT: prints the number of notes whose body contains WHAT
# ("note:TEXT") or of audit events with action WHAT ("audit:ACTION").
ticket_count() {
	python3 -c '
import json, sys
ticket = json.loads(sys.argv[1])
kind, _, text = sys.argv[2].partition(":")
if kind == "note":
    rows = [m for m in ticket.get("messages", [])
            if m["kind"] == "note" and text in m["body"]]
else:
    rows = [e for e in ticket.get("audit_events", [])
            if e["action"] == text and e["actor"] == "deadline"]
print(len(rows))
' "$TICKET" "$1"
}

# note_body PREFIX: prints the body of the first note starting with PREFIX.
note_body() {
	python3 -c '
import json, sys
for message in json.loads(sys.argv[1]).get("messages", []):
    if message["kind"] == "note" and message["body"].startswith(sys.argv[2]):
        print(message["body"])
        break
' "$TICKET" "$1"
}

# outbox_count EVENT: prints the outbox rows of EVENT for the ticket.
outbox_count() {
	python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute("SELECT COUNT(*) FROM outbox WHERE event = ? AND"
                 " ticket_id = ?", (sys.argv[2], int(sys.argv[3])))
      .fetchone()[0])
' "$HUB_DATA/citizenhub.db" "$1" "$TICKET_ID"
}

# outbox_payload EVENT: prints the payload of the event's outbox row.
outbox_payload() {
	python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
row = db.execute("SELECT payload FROM outbox WHERE event = ? AND"
                 " ticket_id = ?", (sys.argv[2], int(sys.argv[3]))).fetchone()
print(row[0] if row else "")
' "$HUB_DATA/citizenhub.db" "$1" "$TICKET_ID"
}

# wait_for FIELD: waits up to 10 s until the ticket's FIELD is not null.
wait_for() {
	local deadline=$((SECONDS + 10))
	while [ "$SECONDS" -lt "$deadline" ]; do
		ticket_read
		[ "$(json_get "$TICKET" "$1")" != null ] && return 0
		sleep 0.2
	done
	fail "$1 still null 10 s after start-up"
}

# agent_add USERNAME ROLE NAME: creates an agent of the department.
agent_add() {
	ctl -c "$HUB_CONFIG" agent add "$1" --role "$2" \
		--department quan-ly-do-thi --name "$3" <<<"mat-khau-rat-dai-$1"
	check_ctl "agent add $1" 0
}

HUB_LOG_START=1

case_begin "deadlines daemon starts with timers"
hub_start || true
check_contains "log" "$(cat "$HUB_LOG")" "timers started remind_before_minutes=120 scan_interval_seconds=1"
case_end

case_begin "deadlines due time skips weekend and holiday"
agent_add giamsat supervisor "Lê Minh Chi"
agent_add giamsat2 supervisor "Vũ Thu Hà"
agent_add canbo agent "Nguyễn Văn An"
ctl -c "$HUB_CONFIG" agent disable giamsat2
check_ctl "agent disable giamsat2" 0
SUPERVISOR_ID=$(ctl -c "$HUB_CONFIG" agent list --json &&
	python3 -c '
import json, sys
print([a["id"] for a in json.loads(sys.argv[1]) if a["username"] == "giamsat"][0])
' "$CTL_OUT") || fail "no id for the supervisor in agent list: $CTL_OUT"
api POST /api/v1/requests '{"name":"Trần Thị Bình","phone":"0912345678","subject":"Ổ gà","description":"Ổ gà lớn trước chợ","address":"Chợ Mỹ Tho","consent":true}'
check_status 201
CODE=$(json_get "$API_BODY" code) || CODE=""
ticket_read
TICKET_ID=$(json_get "$TICKET" id) || TICKET_ID=0
check_equal "category" traffic "$(json_get "$TICKET" category)"
check_equal "reminded_at" null "$(json_get "$TICKET" reminded_at)"
check_equal "escalated_at" null "$(json_get "$TICKET" escalated_at)"
if test_clock_on; then
	check_equal "due_at" "$DUE_AT" "$(json_get "$TICKET" due_at)"
	# Two scans run on Friday afternoon: nothing is due yet.
	sleep 2.2
	ticket_read
	check_equal "reminded_at after scans on Friday" null \
		"$(json_get "$TICKET" reminded_at)"
	check_equal "notes on Friday" 0 "$(ticket_count note:)"
else
	echo "# not a debug build: due_at checked for presence only"
	check_match "due_at" "$(json_get "$TICKET" due_at)" '^20[0-9-]+T'
fi
case_end

if ! test_clock_on; then
	echo "# not a debug build: the timers need CITIZENHUB_TEST_CLOCK"
	hub_stop
	tests_done
	exit
fi

case_begin "deadlines reminder fires after restart"
restart_at "$AFTER_REMINDER"
wait_for reminded_at
check_match "reminded_at" "$(json_get "$TICKET" reminded_at)" \
	'^2025-01-07T15:3[0-9]:[0-9]{2}\+07:00$'
check_equal "escalated_at" null "$(json_get "$TICKET" escalated_at)"
check_equal "reminder notes" 1 "$(ticket_count "note:Nhắc hạn")"
check_equal "reminder audit events" 1 "$(ticket_count audit:ticket.reminder)"
check_equal "reminder outbox rows" 1 "$(outbox_count ticket.reminder)"
REMINDER=$(note_body "Nhắc hạn")
check_contains "reminder note" "$REMINDER" "17:00 ngày 07/01/2025"
check_contains "reminder note" "$REMINDER" "Phòng Quản lý đô thị"
check_contains "reminder note" "$REMINDER" "due at 2025-01-07 17:00"
check_contains "reminder note" "$REMINDER" "goes to Urban Management Office"
check_equal "reminder outbox due_at" "$DUE_AT" \
	"$(json_get "$(outbox_payload ticket.reminder)" due_at)"
case_end

case_begin "deadlines escalation fires after restart"
REMINDED_AT=$(json_get "$TICKET" reminded_at)
restart_at "$AFTER_DUE"
wait_for escalated_at
check_match "escalated_at" "$(json_get "$TICKET" escalated_at)" \
	'^2025-01-07T17:0[5-9]:[0-9]{2}\+07:00$'
check_equal "reminded_at kept" "$REMINDED_AT" "$(json_get "$TICKET" reminded_at)"
check_equal "escalation notes" 1 "$(ticket_count "note:Quá hạn")"
check_equal "escalation audit events" 1 \
	"$(ticket_count audit:ticket.escalated)"
check_equal "escalation outbox rows" 1 "$(outbox_count ticket.escalated)"
ESCALATION=$(note_body "Quá hạn")
check_contains "escalation note" "$ESCALATION" \
	"giám sát viên của Phòng Quản lý đô thị: Lê Minh Chi (giamsat)."
check_contains "escalation note" "$ESCALATION" \
	"supervisors of Urban Management Office: Lê Minh Chi (giamsat)."
check_not_contains "escalation note" "$ESCALATION" "giamsat2"
check_not_contains "escalation note" "$ESCALATION" "canbo"
check_equal "outbox supervisor_ids" "[$SUPERVISOR_ID]" \
	"$(json_get "$(outbox_payload ticket.escalated)" supervisor_ids)"
check_equal "ticket.escalated events logged" 1 \
	"$(grep -c "deadline: ticket.escalated ticket=$TICKET_ID " "$HUB_LOG")"
case_end

case_begin "deadlines nothing fires twice"
ESCALATED_AT=$(json_get "$TICKET" escalated_at)
restart_at "$LATER"
# Start-up scan and at least two periodic scans.
sleep 2.5
ticket_read
check_equal "reminded_at" "$REMINDED_AT" "$(json_get "$TICKET" reminded_at)"
check_equal "escalated_at" "$ESCALATED_AT" "$(json_get "$TICKET" escalated_at)"
check_equal "reminder notes" 1 "$(ticket_count "note:Nhắc hạn")"
check_equal "escalation notes" 1 "$(ticket_count "note:Quá hạn")"
check_equal "reminder audit events" 1 "$(ticket_count audit:ticket.reminder)"
check_equal "escalation audit events" 1 \
	"$(ticket_count audit:ticket.escalated)"
check_equal "reminder outbox rows" 1 "$(outbox_count ticket.reminder)"
check_equal "escalation outbox rows" 1 "$(outbox_count ticket.escalated)"
check_equal "ticket.escalated events logged" 1 \
	"$(grep -c "deadline: ticket.escalated ticket=$TICKET_ID " "$HUB_LOG")"
case_end

case_begin "deadlines invalid config stops start-up"
hub_stop
HUB_CONFIG_EXTRA='"deadlines": { "scan_interval_seconds": 0 }'
hub_start 2>/dev/null && fail "citizenhubd started with scan_interval_seconds 0"
CASE_FAILURES=()
grep -q 'deadlines.scan_interval_seconds: ' "$HUB_LOG" ||
	fail "the log does not name deadlines.scan_interval_seconds"
case_end

tests_done
