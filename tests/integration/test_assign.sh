#!/usr/bin/env bash
# Automatic assignment. A round-robin department alternates between its two
# available agents, also for reports filed at the same time and across a
# restart. A fewest-open department picks the agent with fewer open
# tickets. Without an available agent a ticket stays new until an agent
# becomes available. An agent who becomes unavailable or is disabled hands
# the tickets over to another agent, or back to new when no agent is left.
# An agent moved to another department hands on the tickets of the old one
# and takes the new one's backlog. citizenhubctl agent disable hands on the
# agent's tickets too, while the daemon runs.
# Agents are created with citizenhubctl and made available through PATCH
# /api/v1/agents/ID with the admin token.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

HUB_CONFIG_EXTRA=$(cat <<'JSON'
	"departments": [
		{ "id": "do-thi", "name_vi": "Phòng Quản lý đô thị",
		  "name_en": "Urban Management Office",
		  "assignment": "round_robin" },
		{ "id": "moi-truong", "name_vi": "Phòng Môi trường",
		  "name_en": "Environment Office", "assignment": "fewest_open" },
		{ "id": "cay-xanh", "name_vi": "Đội cây xanh",
		  "name_en": "Parks Team", "assignment": "round_robin" },
		{ "id": "tiep-nhan", "name_vi": "Bộ phận tiếp nhận",
		  "name_en": "Intake desk" }
	],
	"categories": [
		{ "id": "traffic", "name_vi": "Giao thông", "name_en": "Traffic",
		  "keywords": ["ổ gà"], "department": "do-thi" },
		{ "id": "environment", "name_vi": "Môi trường",
		  "name_en": "Environment", "keywords": ["rác"],
		  "department": "moi-truong" },
		{ "id": "trees", "name_vi": "Cây xanh", "name_en": "Trees",
		  "keywords": ["cây đổ"], "department": "cay-xanh" }
	],
	"triage_department": "tiep-nhan"
JSON
)

# report_body TEXT: prints the JSON of a report whose description is TEXT.
report_body() {
	python3 -c '
import json, sys
print(json.dumps({"name": "Trần Thị Bình", "phone": "0912345678",
                  "subject": "Phản ánh", "description": sys.argv[1],
                  "address": "Mỹ Tho", "consent": True}, ensure_ascii=False))
' "$1"
}

# file_report TEXT: files a report and appends its code to CODES.
file_report() {
	api POST /api/v1/requests "$(report_body "$1")"
	check_status 201
	CODES+=("$(json_get "$API_BODY" code || echo missing)")
}

# ticket_field CODE FIELD: prints FIELD of the ticket from the admin API.
ticket_field() {
	api_admin GET "/api/v1/tickets/$1"
	json_get "$API_BODY" "ticket.$2" || echo "missing"
}

# wait_assignee CODE EXPECTED: waits up to 5 s for the ticket's assignee_id
# to become EXPECTED (an id, or null), then checks it and the status that
# goes with it.
wait_assignee() {
	local deadline=$((SECONDS + 5)) got
	while :; do
		got=$(ticket_field "$1" assignee_id)
		[ "$got" = "$2" ] || [ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.1
	done
	check_equal "assignee of $1" "$2" "$got"
	if [ "$2" = null ]; then
		check_equal "status of $1" new "$(ticket_field "$1" status)"
	else
		check_equal "status of $1" assigned "$(ticket_field "$1" status)"
	fi
}

# agent_add USERNAME DEPARTMENT: creates an agent of DEPARTMENT and sets
# AGENT_ID to its id.
agent_add() {
	ctl -c "$HUB_CONFIG" agent add "$1" --role agent --department "$2" \
		<<<"mat-khau-cua-$1"
	check_ctl "agent add $1" 0
	ctl -c "$HUB_CONFIG" agent list --json
	AGENT_ID=$(python3 -c '
import json, sys
print([a["id"] for a in json.loads(sys.argv[1]) if a["username"] == sys.argv[2]][0])
' "$CTL_OUT" "$1") || fail "no id for $1 in agent list: $CTL_OUT"
}

# agent_patch ID JSON: changes an agent through the API as the admin.
agent_patch() {
	api PATCH "/api/v1/agents/$1" "$2" -H "Authorization: Bearer $HUB_TOKEN"
	check_status 200
}

# audit_count CODE ACTION REASON: prints the audit events of the ticket
# with actor "assignment", ACTION and REASON in their detail.
audit_count() {
	api_admin GET "/api/v1/tickets/$1"
	python3 -c '
import json, sys
events = json.loads(sys.argv[1])["ticket"]["audit_events"]
print(sum(1 for e in events if e["actor"] == "assignment"
          and e["action"] == sys.argv[2]
          and json.loads(e["detail"])["reason"] == sys.argv[3]))
' "$API_BODY" "$2" "$3" 2>/dev/null || echo "invalid"
}

# audit_id CODE REASON: prints the id of the ticket's ticket.assigned audit
# event with REASON, or 0.
audit_id() {
	api_admin GET "/api/v1/tickets/$1"
	python3 -c '
import json, sys
events = json.loads(sys.argv[1])["ticket"]["audit_events"]
print(next((e["id"] for e in events if e["action"] == "ticket.assigned"
            and json.loads(e["detail"])["reason"] == sys.argv[2]), 0))
' "$API_BODY" "$2" 2>/dev/null || echo 0
}

# outbox_assigned TICKET_ID: prints the assignee_id of every ticket.assigned
# outbox row of the ticket, oldest first, on one line.
outbox_assigned() {
	python3 -c '
import json, sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rows = db.execute("SELECT payload FROM outbox WHERE event = ? AND"
                  " ticket_id = ? ORDER BY id",
                  ("ticket.assigned", int(sys.argv[2]))).fetchall()
print(" ".join(str(json.loads(r[0])["assignee_id"]) for r in rows))
' "$HUB_DATA/citizenhub.db" "$1"
}

case_begin "assign daemon starts with policies"
hub_start || true
check_contains "log" "$(cat "$HUB_LOG")" \
	"automatic assignment started departments=3"
agent_add rr1 do-thi
RR1=$AGENT_ID
agent_add rr2 do-thi
RR2=$AGENT_ID
agent_add fo1 moi-truong
FO1=$AGENT_ID
agent_add fo2 moi-truong
FO2=$AGENT_ID
agent_add cx1 cay-xanh
CX1=$AGENT_ID
agent_add tn1 tiep-nhan
TN1=$AGENT_ID
for id in "$RR1" "$RR2" "$FO1" "$TN1"; do
	agent_patch "$id" '{"available":true}'
done
case_end

case_begin "assign round robin alternates"
CODES=()
for i in 1 2 3 4; do
	file_report "Ổ gà số $i trên đường Lê Lợi"
	wait_assignee "${CODES[-1]}" "$([ $((i % 2)) = 1 ] && echo "$RR1" || echo "$RR2")"
done
check_equal "audit events of the first ticket" 1 \
	"$(audit_count "${CODES[0]}" ticket.assigned new_ticket)"
api_admin GET "/api/v1/tickets/${CODES[0]}"
FIRST_ID=$(json_get "$API_BODY" ticket.id)
check_equal "ticket.assigned outbox rows" "$RR1" "$(outbox_assigned "$FIRST_ID")"
case_end

case_begin "assign round robin for simultaneous reports"
mkdir -p "$TEST_TMP/together"
CURL_PIDS=()
for i in 1 2 3 4 5 6; do
	curl -s -o "$TEST_TMP/together/$i.body" --max-time 20 \
		-H 'Content-Type: application/json' \
		--data-binary "$(report_body "Ổ gà cùng lúc $i")" \
		"$HUB_URL/api/v1/requests" &
	CURL_PIDS+=($!)
done
wait "${CURL_PIDS[@]}"
# In the order of their ids, the six tickets alternate from rr1 on, since
# rr2 got the last ticket before them.
mapfile -t TOGETHER < <(python3 -c '
import glob, json
for path in glob.glob("'"$TEST_TMP"'/together/*.body"):
    print(json.load(open(path))["code"])
')
check_equal "reports stored" 6 "${#TOGETHER[@]}"
ORDERED=()
for code in "${TOGETHER[@]}"; do
	ORDERED+=("$(ticket_field "$code" id) $code")
done
mapfile -t ORDERED < <(printf '%s\n' "${ORDERED[@]}" | sort -n | cut -d' ' -f2)
i=0
for code in "${ORDERED[@]}"; do
	wait_assignee "$code" "$([ $((i % 2)) = 0 ] && echo "$RR1" || echo "$RR2")"
	i=$((i + 1))
done
case_end

case_begin "assign round robin survives restart"
CODES=()
file_report "Ổ gà trước khi khởi động lại"
wait_assignee "${CODES[-1]}" "$RR1"
hub_stop
hub_start "$HUB_DATA" || true
file_report "Ổ gà sau khi khởi động lại"
wait_assignee "${CODES[-1]}" "$RR2"
case_end

case_begin "assign fewest open tickets"
CODES=()
# fo2 is not available yet: fo1 takes the first two.
file_report "Rác thải ở chợ 1"
wait_assignee "${CODES[-1]}" "$FO1"
file_report "Rác thải ở chợ 2"
wait_assignee "${CODES[-1]}" "$FO1"
agent_patch "$FO2" '{"available":true}'
# fo2 has none open: it takes two; then both have two and the lower id wins.
file_report "Rác thải ở chợ 3"
wait_assignee "${CODES[-1]}" "$FO2"
file_report "Rác thải ở chợ 4"
wait_assignee "${CODES[-1]}" "$FO2"
file_report "Rác thải ở chợ 5"
wait_assignee "${CODES[-1]}" "$FO1"
case_end

case_begin "assign manual department stays unassigned"
CODES=()
file_report "Xin hỏi thủ tục cấp giấy phép"
sleep 0.5
check_equal "department" tiep-nhan "$(ticket_field "${CODES[-1]}" department)"
wait_assignee "${CODES[-1]}" null
case_end

case_begin "assign waits for an available agent"
CODES=()
file_report "Cây đổ chắn đường 1"
file_report "Cây đổ chắn đường 2"
sleep 0.5
wait_assignee "${CODES[0]}" null
wait_assignee "${CODES[1]}" null
check_contains "log" "$(cat "$HUB_LOG")" "ticket left unassigned: no available agent"
agent_patch "$CX1" '{"available":true}'
wait_assignee "${CODES[0]}" "$CX1"
wait_assignee "${CODES[1]}" "$CX1"
check_equal "audit of the first" 1 \
	"$(audit_count "${CODES[0]}" ticket.assigned agent_available)"
FIRST_AUDIT=$(audit_id "${CODES[0]}" agent_available)
SECOND_AUDIT=$(audit_id "${CODES[1]}" agent_available)
[ "$FIRST_AUDIT" -lt "$SECOND_AUDIT" ] ||
	fail "the older ticket was assigned after the newer one" \
		"(audit events $FIRST_AUDIT and $SECOND_AUDIT)"
case_end

case_begin "assign reassigns when agent becomes unavailable"
RR1_CODES=()
RR2_CODES=()
admin_codes
for code in $ADMIN_CODES; do
	case "$(ticket_field "$code" assignee_id)" in
	"$RR1") RR1_CODES+=("$code") ;;
	"$RR2") RR2_CODES+=("$code") ;;
	esac
done
check_equal "tickets of rr1" 6 "${#RR1_CODES[@]}"
check_equal "tickets of rr2" 6 "${#RR2_CODES[@]}"
agent_patch "$RR1" '{"available":false}'
for code in "${RR1_CODES[@]}"; do
	wait_assignee "$code" "$RR2"
done
check_equal "audit of a reassigned ticket" 1 \
	"$(audit_count "${RR1_CODES[0]}" ticket.assigned agent_unavailable)"
case_end

case_begin "assign unassigns when nobody is left"
agent_patch "$RR2" '{"disabled":true}'
for code in "${RR1_CODES[@]}" "${RR2_CODES[@]}"; do
	wait_assignee "$code" null
done
check_equal "audit of an unassigned ticket" 1 \
	"$(audit_count "${RR2_CODES[0]}" ticket.unassigned agent_unavailable)"
# rr1 back: the department's unassigned tickets go to rr1, oldest first.
agent_patch "$RR1" '{"available":true}'
for code in "${RR1_CODES[@]}" "${RR2_CODES[@]}"; do
	wait_assignee "$code" "$RR1"
done
case_end

case_begin "assign hands on tickets when departments change"
# rr2 back in do-thi; cx1 away, so that two tree reports wait in cay-xanh.
agent_patch "$RR2" '{"disabled":false,"available":true}'
agent_patch "$CX1" '{"available":false}'
CODES=()
file_report "Cây đổ trước trụ sở 1"
file_report "Cây đổ trước trụ sở 2"
TREE_CODES=("${CODES[@]}")
for code in "${TREE_CODES[@]}"; do
	wait_assignee "$code" null
done
# rr1 moves from do-thi to cay-xanh: the do-thi tickets go to rr2, the only
# other agent there, and the cay-xanh backlog comes to rr1.
agent_patch "$RR1" '{"departments":["cay-xanh"]}'
for code in "${RR1_CODES[@]}" "${RR2_CODES[@]}"; do
	wait_assignee "$code" "$RR2"
done
for code in "${TREE_CODES[@]}"; do
	wait_assignee "$code" "$RR1"
done
check_equal "audit of a handed-on ticket" 1 \
	"$(audit_count "${RR1_CODES[0]}" ticket.assigned agent_left_department)"
check_equal "audit of a backlog ticket" 1 \
	"$(audit_count "${TREE_CODES[0]}" ticket.assigned agent_available)"
case_end

case_begin "assign ctl disable hands on tickets"
# rr1 rejoins do-thi; rr2, disabled from the command line while the daemon
# runs, hands every do-thi ticket to rr1, the only other agent there.
agent_patch "$RR1" '{"departments":["do-thi","cay-xanh"]}'
ctl -c "$HUB_CONFIG" agent disable rr2
check_ctl "agent disable rr2" 0
check_contains "handed-on count" "$CTL_OUT" \
	"tickets handed on: $((${#RR1_CODES[@]} + ${#RR2_CODES[@]}))"
for code in "${RR1_CODES[@]}" "${RR2_CODES[@]}"; do
	wait_assignee "$code" "$RR1"
done
check_equal "audit of a ticket handed on by ctl" 1 \
	"$(audit_count "${RR2_CODES[0]}" ticket.assigned agent_unavailable)"
case_end

case_begin "assign unknown policy stops start-up"
hub_stop
HUB_CONFIG_EXTRA='"departments": [ { "id": "a", "name_vi": "A", "name_en": "A", "assignment": "random" } ]'
hub_start 2>/dev/null && fail "citizenhubd started with assignment \"random\""
CASE_FAILURES=()
grep -q 'departments\[0\].assignment: .*one of manual, round_robin, fewest_open' \
	"$HUB_LOG" || fail "the log does not name departments[0].assignment"
case_end

tests_done
