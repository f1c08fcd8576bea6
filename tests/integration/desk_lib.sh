# shellcheck shell=bash
# Set-up shared by the ticket desk's integration tests (test_desk*.sh), to be
# sourced after lib.sh. The config has two departments, "moi-truong" for
# rubbish and "giao-thong" for potholes, and loads the testchat channel
# module for messages from verified chat users. Agents are created with
# citizenhubctl and log in with bearer tokens. Helpers file reports and
# compare a ticket before and after a rejected request.
#
# The daemon's clock starts on Monday 6 January 2025 at 08:00 in Vietnam
# (CITIZENHUB_TEST_CLOCK, read by a build with --enable-debug), so that a
# restart with a later clock can pass deadlines and the reopen window.

DESK_PASSWORD="desk-test-password-2025"
DESK_CLOCK=2025-01-06T08:00:00+07:00
export CITIZENHUB_TEST_CLOCK=$DESK_CLOCK

HUB_CHANNELS_EXTRA='"testchat": {}'
HUB_CONFIG_EXTRA=$(cat <<'JSON'
	"departments": [
		{ "id": "moi-truong", "name_vi": "Phòng Môi trường",
		  "name_en": "Environment Office" },
		{ "id": "giao-thong", "name_vi": "Phòng Giao thông",
		  "name_en": "Traffic Office" }
	],
	"categories": [
		{ "id": "environment", "name_vi": "Môi trường",
		  "name_en": "Environment", "keywords": ["rác"],
		  "department": "moi-truong",
		  "deadline": { "working_days": 2 } },
		{ "id": "traffic", "name_vi": "Giao thông", "name_en": "Traffic",
		  "keywords": ["ổ gà"], "department": "giao-thong",
		  "deadline": { "working_days": 5 } }
	],
	"communes": [ { "id": "phuong-my-tho", "name": "Phường Mỹ Tho" } ],
	"desk": { "reopen_days": 7 },
	"auth": { "bearer_days": 30 }
JSON
)

if [ ! -f "$HUB_MODULES_DIR/testchat.so" ]; then
	echo "missing $HUB_MODULES_DIR/testchat.so (run make channels/testchat.la)" >&2
	exit 1
fi

# Bearer token and id of each agent, by username; "admin" is the bootstrap
# admin token.
declare -A TOKEN AGENT_ID

# agent_add USERNAME ROLE [DEPARTMENT...]: creates an agent with
# citizenhubctl, or records a failure.
agent_add() {
	local username=$1 role=$2 department
	local -a args=(agent add "$username" --role "$role")
	shift 2
	for department in "$@"; do
		args+=(--department "$department")
	done
	ctl -c "$HUB_CONFIG" "${args[@]}" <<<"$DESK_PASSWORD"
	check_ctl "agent add $username" 0
}

# login USERNAME: logs in for a bearer token and keeps it with the agent's
# id in TOKEN and AGENT_ID.
login() {
	api POST /api/v1/session "$(printf '{"username":"%s","password":"%s","token":"bearer"}' \
		"$1" "$DESK_PASSWORD")"
	check_status 201
	TOKEN[$1]=$(json_get "$API_BODY" token || true)
	AGENT_ID[$1]=$(json_get "$API_BODY" agent.id || true)
	[ -n "${TOKEN[$1]}" ] || fail "login $1: no token in $(lib_shorten "$API_BODY")"
}

# api_as USERNAME METHOD PATH [BODY]: api with the agent's bearer token, or the
# admin token for "admin".
api_as() {
	local token=${TOKEN[$1]:-}
	if [ "$1" = admin ]; then
		token=$HUB_TOKEN
	fi
	api "$2" "$3" "${4:-}" -H "Authorization: Bearer $token"
}

# report_web DESCRIPTION: files a report through the web channel and sets
# CODE, ID and ACCESS_TOKEN, or records a failure.
report_web() {
	CODE="" ID="" ACCESS_TOKEN=""
	api POST /api/v1/requests "$(python3 -c '
import json, sys
print(json.dumps({"name": "Trần Thị Bình", "phone": "0912345678",
                  "subject": "Phản ánh", "description": sys.argv[1],
                  "address": sys.argv[2], "consent": True},
                 ensure_ascii=False))
' "$1" "${2:-12 Lê Lợi}")"
	check_status 201
	CODE=$(json_get "$API_BODY" code || true)
	ACCESS_TOKEN=$(json_get "$API_BODY" access_token || true)
	api_as admin GET "/api/v1/tickets/$CODE"
	ID=$(json_get "$API_BODY" ticket.id || true)
	[ -n "$ID" ] || fail "report_web: no ticket for code \"$CODE\""
}

# report_chat USER CONVERSATION TEXT [PHONE]: sends a testchat message from
# a verified chat user and sets CHAT_STATUS ("created" or "joined"), CODE
# and ID.
report_chat() {
	CHAT_STATUS="" CODE="" ID=""
	api POST /testchat/messages "$(python3 -c '
import json, sys
message = {"user": sys.argv[1], "conversation": sys.argv[2],
           "text": sys.argv[3], "name": "Lê Văn Cường"}
if len(sys.argv) > 4:
    message["phone"] = sys.argv[4]
print(json.dumps(message, ensure_ascii=False))
' "$@")"
	CHAT_STATUS=$(json_get "$API_BODY" status || true)
	CODE=$(json_get "$API_BODY" code || true)
	ID=$(json_get "$API_BODY" ticket_id || true)
	[ -n "$ID" ] || fail "report_chat: unexpected answer $API_STATUS" \
		"$(lib_shorten "$API_BODY")"
}

# ticket_get ID: reads the ticket's detail with the admin token into
# TICKET, or records a failure.
ticket_get() {
	api_as admin GET "/api/v1/tickets/$1"
	check_status 200
	TICKET=$(json_get "$API_BODY" ticket || true)
}

# ticket_field ID PATH: prints a value of the ticket's detail ("status",
# "assignee_id", "tags").
ticket_field() {
	ticket_get "$1"
	json_get "$TICKET" "$2" || true
}

# ticket_state ID: prints the ticket's detail as the admin reads it, less
# the audit events of reads (each read adds one) and the overdue flag, which
# moves with the clock: two states are equal when nothing was changed.
ticket_state() {
	ticket_get "$1"
	python3 -c '
import json, sys
ticket = json.loads(sys.argv[1])
ticket["audit_events"] = [event for event in ticket["audit_events"]
                          if event["action"] != "ticket.read"]
ticket.pop("overdue", None)
print(json.dumps(ticket, sort_keys=True, ensure_ascii=False))
' "$TICKET" 2>/dev/null || echo "unreadable: $TICKET"
}

# check_unchanged WHAT ID BEFORE: the ticket's state equals BEFORE.
check_unchanged() {
	local after
	after=$(ticket_state "$2")
	if [ "$3" != "$after" ]; then
		fail "$1 changed ticket $2: before $(lib_shorten "$3"), after $(lib_shorten "$after")"
	fi
}

# check_error STATUS CODE [FIELD]: the last answer is that error.
check_error() {
	check_status "$1"
	check_equal "$API_REQUEST: error.code" "$2" \
		"$(json_get "$API_BODY" error.code || true)"
	if [ $# -gt 2 ]; then
		check_equal "$API_REQUEST: error.field" "$3" \
			"$(json_get "$API_BODY" error.field || true)"
	fi
}

# list_ids USERNAME QUERY: lists tickets as the agent with QUERY and sets
# LIST_IDS to their ids, one a line, newest first.
list_ids() {
	LIST_IDS=""
	api_as "$1" GET "/api/v1/tickets${2:+?$2}"
	check_status 200
	LIST_IDS=$(python3 -c '
import json, sys
for ticket in json.loads(sys.argv[1])["tickets"]:
    print(ticket["id"])
' "$API_BODY" 2>/dev/null || true)
}

# check_listed WHAT ID yes|no: whether ID is in LIST_IDS.
check_listed() {
	local found=no
	if printf '%s\n' "$LIST_IDS" | grep -qx -- "$2"; then
		found=yes
	fi
	check_equal "$1: ticket $2 listed" "$3" "$found"
}

# desk_start: starts the daemon, creates the agents and logs them in:
# a1 and a2 agents and sa supervisor of moi-truong, b1 agent and sb
# supervisor of giao-thong, and off, an agent of moi-truong then disabled
# (which also ends its session).
desk_start() {
	hub_start || exit 1
	agent_add a1 agent moi-truong
	agent_add a2 agent moi-truong
	agent_add sa supervisor moi-truong
	agent_add b1 agent giao-thong
	agent_add sb supervisor giao-thong
	agent_add off agent moi-truong
	for user in a1 a2 sa b1 sb off; do
		login "$user"
	done
	ctl -c "$HUB_CONFIG" agent disable off
	check_ctl "agent disable off" 0
}
