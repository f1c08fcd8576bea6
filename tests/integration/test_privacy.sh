#!/usr/bin/env bash
# Personal data through the real daemon. The cases cover the admins' audit
# view and its filters, and the export of everything held about a citizen.
# Erasure is refused while a ticket is still being handled; afterwards no
# trace of the name, phone, email or message text is left in the API, the
# search index or the database file. The retention timer anonymizes a
# closed ticket once the period has passed and does not repeat itself after
# a restart. A debug build moves the daemon's clock past the period with
# CITIZENHUB_TEST_CLOCK; a release build backdates closed_at instead.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=citizens_lib.sh
. "$(dirname "$0")/citizens_lib.sh"

command -v sqlite3 >/dev/null || {
	echo "missing: sqlite3 (apt-get install sqlite3)" >&2
	exit 1
}

PRIVACY_CONFIG='"privacy": { "retention_days": 30, "check_interval_seconds": 1 }'
HUB_CONFIG_EXTRA="$HUB_CONFIG_EXTRA_DESK, $PRIVACY_CONFIG"
DAY_MS=86400000
export CITIZENHUB_TEST_CLOCK=2025-01-04T10:00:00+07:00

# The citizen whose data is erased: nothing else in the store shares these.
ERASED_NAME="Phạm Thị Quỳnh"
ERASED_PHONE=0977000111
ERASED_DIGITS=977000111
ERASED_EMAIL=quynh.pham@example.org
ERASED_WORD=Zebracorn
ERASED_TEXT="Cống thoát nước bị tắc ở hẻm 45 $ERASED_WORD"

# sql STATEMENT: runs STATEMENT on the daemon's database, waiting up to
# 5 s for the daemon's writer.
sql() {
	sqlite3 -cmd ".timeout 5000" "$HUB_DATA/citizenhub.db" "$1" 2>&1 ||
		fail "sqlite3 \"$1\" failed"
}

# audit_count QUERY: prints the number of audit events of the audit view
# for QUERY ("action=ticket.anonymized").
audit_count() {
	api_as "$HUB_TOKEN" GET "/api/v1/audit?limit=200&$1"
	json_query "$API_BODY" "len(d['events'])"
}

# copy_database FOLDER: copies the running daemon's database and WAL into
# FOLDER.
copy_database() {
	mkdir -p "$1"
	rm -f "$1/citizenhub.db" "$1/citizenhub.db-wal"
	cp "$HUB_DATA/citizenhub.db" "$1/citizenhub.db"
	[ ! -f "$HUB_DATA/citizenhub.db-wal" ] ||
		cp "$HUB_DATA/citizenhub.db-wal" "$1/citizenhub.db-wal"
}

# raw_trace FILE... : prints how many of the files hold any of the erased
# strings as bytes, case folded.
raw_trace() {
	local file count=0
	for file in "$@"; do
		[ -f "$file" ] || continue
		if grep -a -i -q -e "$ERASED_DIGITS" -e "$ERASED_WORD" \
			-e "quynh.pham" -e "$ERASED_NAME" "$file"; then
			count=$((count + 1))
			echo "# trace found in $file" >&2
		fi
	done
	echo "$count"
}

case_begin "daemon starts with privacy config"
hub_start || exit 1
agent_add lan agent roads
login lan
LAN_TOKEN=$DESK_TOKEN
case_end

DEBUG_BUILD=no
grep -q "test clock started" "$HUB_LOG" && DEBUG_BUILD=yes

case_begin "audit view is for admins only"
file_report "Trần Văn Bảo" 0912000222 "" "Đèn đường hỏng ở ngã tư"
FIRST_CODE=$REPORT_CODE
file_report "Lê Thị Cúc" 0912000333 "" "Đèn đường nhấp nháy cả đêm"
api_as "$LAN_TOKEN" GET /api/v1/audit
check_status 403
api GET /api/v1/audit
check_status 401
api_as "$HUB_TOKEN" GET /api/v1/audit
check_status 200
check_equal "newest first" true \
	"$(json_query "$API_BODY" "[e['id'] for e in d['events']] == sorted([e['id'] for e in d['events']], reverse=True)")"
check_match "created_at in Vietnam time" "$(json_get "$API_BODY" events.0.created_at)" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+07:00$'
check_not_contains "audit events" "$API_BODY" "nhấp nháy"
check_not_contains "audit events" "$API_BODY" "912000333"
api_as "$HUB_TOKEN" GET "/api/v1/audit?ticket=$FIRST_CODE"
check_status 200
check_equal "events of the first ticket" '["ticket.created"]' \
	"$(json_query "$API_BODY" "[e['action'] for e in d['events']]")"
check_equal "ticket_code" "$FIRST_CODE" "$(json_get "$API_BODY" events.0.ticket_code)"
check_equal "actor" "channel:web" "$(json_get "$API_BODY" events.0.actor)"
api_as "$HUB_TOKEN" GET "/api/v1/audit?action=ticket.created&limit=1"
check_equal "one event a page" 1 "$(json_query "$API_BODY" "len(d['events'])")"
newest=$(json_get "$API_BODY" events.0.id)
check_equal "next_before" "$newest" "$(json_get "$API_BODY" next_before)"
api_as "$HUB_TOKEN" GET "/api/v1/audit?action=ticket.created&before_id=$newest"
check_equal "the page before" "$FIRST_CODE" "$(json_get "$API_BODY" events.0.ticket_code)"
case_end

case_begin "bad audit filters are 422 or 404"
for query in limit=0 limit=201 "action=Bad%21" ticket=1234567890 citizen=x \
	agent=0 sort=id "limit=5&limit=6"; do
	api_as "$HUB_TOKEN" GET "/api/v1/audit?$query"
	check_status 422
done
api_as "$HUB_TOKEN" GET "/api/v1/audit?ticket=$(ticket_code_with_check 123456789)"
check_status 404
check_equal "unknown ticket field" ticket "$(json_get "$API_BODY" error.field)"
case_end

case_begin "export contains the ticket and its messages"
file_report "$ERASED_NAME" "$ERASED_PHONE" "$ERASED_EMAIL" "$ERASED_TEXT"
ERASED_CODE=$REPORT_CODE
CITIZEN=$(citizen_of_code "$ERASED_CODE")
api_as "$LAN_TOKEN" GET "/api/v1/citizens/$CITIZEN/export"
check_status 403
api_as "$HUB_TOKEN" GET "/api/v1/citizens/$CITIZEN/export?include_notes=maybe"
check_status 422
headers=$TEST_TMP/export.headers
api_as "$HUB_TOKEN" GET "/api/v1/citizens/$CITIZEN/export" "" -D "$headers"
check_status 200
check_contains "Content-Disposition" "$(cat "$headers")" \
	"Content-Disposition: attachment; filename=\"citizen-$CITIZEN.json\""
check_equal "format" citizenhub.citizen-export "$(json_get "$API_BODY" format)"
check_equal "name" "$ERASED_NAME" "$(json_get "$API_BODY" citizen.name)"
check_equal "contacts" "[\"+84$ERASED_DIGITS\", \"$ERASED_EMAIL\"]" \
	"$(json_query "$API_BODY" "[c['value'] for c in d['contacts']]")"
check_equal "ticket code" "$ERASED_CODE" "$(json_get "$API_BODY" tickets.0.code)"
check_equal "message body" "$ERASED_TEXT" "$(json_get "$API_BODY" tickets.0.messages.0.body)"
check_equal "notes_included" false "$(json_get "$API_BODY" notes_included)"
check_equal "notes_withheld" 0 "$(json_get "$API_BODY" tickets.0.notes_withheld)"
check_contains "audit events about the citizen" \
	"$(json_query "$API_BODY" "[e['action'] for e in d['audit_events']]")" ticket.created
check_equal "citizen.export recorded" 1 "$(audit_count "citizen=$CITIZEN&action=citizen.export")"
api_as "$HUB_TOKEN" GET "/api/v1/tickets?q=${ERASED_WORD,,}"
check_equal "search by a word of the message before the erasure" 1 \
	"$(json_query "$API_BODY" "len(d['tickets'])")"
case_end

case_begin "erasure refused while a ticket is open"
audit_before=$(stats_count audit_events)
api_as "$LAN_TOKEN" POST "/api/v1/citizens/$CITIZEN/erase"
check_status 403
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$CITIZEN/erase"
check_status 409
check_equal "error.code" erasure_held "$(json_get "$API_BODY" error.code)"
check_equal "error.field" open_tickets "$(json_get "$API_BODY" error.field)"
check_equal "error.tickets" "[\"$ERASED_CODE\"]" "$(json_get "$API_BODY" error.tickets)"
check_contains "message in Vietnamese" "$(json_get "$API_BODY" error.message.vi)" "xử lý"
api_as "$HUB_TOKEN" POST /api/v1/citizens/999999/erase
check_status 404
check_equal "audit events after refused erasures" "$audit_before" "$(stats_count audit_events)"
api_as "$HUB_TOKEN" GET "/api/v1/citizens/$CITIZEN"
check_equal "name kept" "$ERASED_NAME" "$(json_get "$API_BODY" citizen.name)"
# The byte check below can fail: before the erasure it finds the data.
copy_database "$TEST_TMP/before"
check_ge "files with raw traces before the erasure" 1 \
	"$(raw_trace "$TEST_TMP/before/citizenhub.db" \
	"$TEST_TMP/before/citizenhub.db-wal" 2>/dev/null)"
case_end

case_begin "erasure removes name, phone and message everywhere"
# Closed through a second connection while the daemon runs, so that the
# WAL still contains the pages written since the last checkpoint.
sql "UPDATE tickets SET status = 'closed', closed_at = updated_at
	WHERE code = '$ERASED_CODE'"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$CITIZEN/erase"
check_status 200
check_equal "tickets erased" 1 "$(json_get "$API_BODY" tickets)"
check_match "erased_at" "$(json_get "$API_BODY" erased_at)" '\+07:00$'
check_equal "contacts erased" 2 "$(json_get "$API_BODY" contacts)"
api_as "$HUB_TOKEN" GET "/api/v1/citizens/$CITIZEN/export"
check_status 200
check_equal "name after erasure" null "$(json_get "$API_BODY" citizen.name)"
check_equal "contacts after erasure" true \
	"$(json_query "$API_BODY" "all(c['value'] == 'erased:%d' % c['id'] and not c['verified'] for c in d['contacts'])")"
check_equal "subject after erasure" null "$(json_get "$API_BODY" tickets.0.subject)"
check_contains "body after erasure" "$(json_get "$API_BODY" tickets.0.messages.0.body)" \
	"Content erased"
check_not_equal "anonymized_at" null "$(json_get "$API_BODY" citizen.anonymized_at)"
check_not_contains "export after erasure" "$API_BODY" "$ERASED_DIGITS"
check_not_contains "export after erasure" "$API_BODY" "$ERASED_WORD"
check_not_contains "export after erasure" "$API_BODY" "$ERASED_NAME"
api_as "$HUB_TOKEN" GET "/api/v1/tickets?q=${ERASED_WORD,,}"
check_status 200
check_equal "search by a word of the message" 0 "$(json_query "$API_BODY" "len(d['tickets'])")"
api_as "$HUB_TOKEN" GET "/api/v1/citizens?phone=$ERASED_PHONE"
check_equal "search by the phone" 0 "$(json_query "$API_BODY" "len(d['citizens'])")"
api_as "$HUB_TOKEN" GET "/api/v1/audit?citizen=$CITIZEN&action=citizen.erase"
check_equal "citizen.erase actor" admin-token "$(json_get "$API_BODY" events.0.actor)"
check_equal "citizen.erase detail" '{"tickets": 1, "messages": 1, "contacts": 2, "attachments": 0}' \
	"$(json_get "$API_BODY" events.0.detail)"

# A copy of the running daemon's database and WAL, read with sqlite3 and
# as raw bytes: secure_delete and the checkpoint after the erasure leave
# nothing in free pages or old WAL frames.
copy=$TEST_TMP/copy
copy_database "$copy"
check_equal "files with raw traces" 0 \
	"$(raw_trace "$copy/citizenhub.db" "$copy/citizenhub.db-wal")"
dump=$(sqlite3 "$copy/citizenhub.db" .dump)
check_not_contains "sqlite3 .dump" "$dump" "$ERASED_DIGITS"
check_not_contains "sqlite3 .dump" "$dump" "$ERASED_WORD"
check_not_contains "sqlite3 .dump" "$dump" "$ERASED_NAME"
check_not_contains "sqlite3 .dump" "$dump" "quynh.pham"
check_contains "sqlite3 .dump still holds other citizens" "$dump" "Trần Văn Bảo"
case_end

case_begin "retention anonymizes a closed ticket past the period"
file_report "Đỗ Văn Khoa" 0912000444 "" "Đèn đường tắt từ tối qua Quokka"
OLD_CODE=$REPORT_CODE
file_report "Vũ Thị Lan" 0912000555 "" "Đèn đường mờ"
RECENT_CODE=$REPORT_CODE
OLD_CITIZEN=$(citizen_of_code "$OLD_CODE")
hub_stop
if [ "$DEBUG_BUILD" = yes ]; then
	# Closed when filed, and 20 days later; the clock then moves to
	# 37 days after filing, past the 30 days of the first only.
	sql "UPDATE tickets SET status = 'closed', closed_at = updated_at
		WHERE code = '$OLD_CODE'"
	sql "UPDATE tickets SET status = 'closed',
		closed_at = updated_at + 20 * $DAY_MS WHERE code = '$RECENT_CODE'"
	export CITIZENHUB_TEST_CLOCK=2025-02-10T10:00:00+07:00
else
	echo "# not a debug build: closed_at is backdated instead of moving the clock"
	sql "UPDATE tickets SET status = 'closed',
		closed_at = updated_at - 40 * $DAY_MS WHERE code = '$OLD_CODE'"
	sql "UPDATE tickets SET status = 'closed',
		closed_at = updated_at - 10 * $DAY_MS WHERE code = '$RECENT_CODE'"
fi
hub_start "$HUB_DATA" || true
for _ in $(seq 50); do
	[ "$(audit_count "action=ticket.anonymized")" = 1 ] && break
	sleep 0.1
done
api_as "$HUB_TOKEN" GET "/api/v1/audit?action=ticket.anonymized"
check_equal "ticket.anonymized events" "[\"$OLD_CODE\"]" \
	"$(json_query "$API_BODY" "[e['ticket_code'] for e in d['events']]")"
check_equal "actor" retention "$(json_get "$API_BODY" events.0.actor)"
check_equal "agent_id" null "$(json_get "$API_BODY" events.0.agent_id)"
api_as "$HUB_TOKEN" GET "/api/v1/tickets/$OLD_CODE"
check_equal "subject of the old ticket" null "$(json_get "$API_BODY" ticket.subject)"
check_not_contains "old ticket" "$API_BODY" Quokka
check_equal "citizen of the old ticket" null "$(json_get "$API_BODY" ticket.citizen.name)"
check_equal "citizen.anonymized events" 1 \
	"$(audit_count "citizen=$OLD_CITIZEN&action=citizen.anonymized")"
api_as "$HUB_TOKEN" GET "/api/v1/tickets?q=quokka"
check_equal "search by a word of the old ticket" 0 "$(json_query "$API_BODY" "len(d['tickets'])")"
api_as "$HUB_TOKEN" GET "/api/v1/tickets/$RECENT_CODE"
check_equal "subject of the recent ticket" "Phản ánh" "$(json_get "$API_BODY" ticket.subject)"
check_equal "citizen of the recent ticket" "Vũ Thị Lan" "$(json_get "$API_BODY" ticket.citizen.name)"
case_end

case_begin "restart neither loses nor repeats retention work"
hub_stop
hub_start "$HUB_DATA" || true
sleep 2.5
check_equal "ticket.anonymized events after a restart" 1 \
	"$(audit_count "action=ticket.anonymized")"
check_equal "citizen.anonymized events after a restart" 1 \
	"$(audit_count "action=citizen.anonymized")"
case_end

case_begin "retention shorter than the erasure hold is rejected"
bad=$TEST_TMP/bad-privacy.json
sed 's/"retention_days": 30/"retention_days": 5, "hold_closed_days": 10/' \
	"$HUB_CONFIG" >"$bad"
ctl check-config "$bad"
check_ctl "check-config with a short retention" 1
check_contains "check-config message" "$CTL_ERR" "privacy.retention_days"
sed 's/"check_interval_seconds": 1/"check_interval_seconds": 0/' \
	"$HUB_CONFIG" >"$bad"
ctl check-config "$bad"
check_ctl "check-config with interval 0" 1
check_contains "check-config message" "$CTL_ERR" "privacy.check_interval_seconds"
case_end

case_begin "daemon stops cleanly"
hub_stop
case_end

tests_done
