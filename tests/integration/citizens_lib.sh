# shellcheck shell=bash
# Globals such as DESK_TOKEN and CITIZEN_ID are read by the test files.
# shellcheck disable=SC2034
#
# Helpers of test_citizens.sh and test_privacy.sh, sourced after lib.sh: a
# desk with two departments, agents created with citizenhubctl and logged
# in with bearer tokens, and reports filed through the web channel.

# Two departments: street lights go to "roads", waste to "environment".
HUB_CONFIG_EXTRA_DESK=$(cat <<'JSON'
	"departments": [
		{ "id": "roads", "name_vi": "Phòng Quản lý đô thị",
		  "name_en": "Urban Management Office" },
		{ "id": "environment", "name_vi": "Phòng Nông nghiệp và Môi trường",
		  "name_en": "Agriculture and Environment Office" },
		{ "id": "intake", "name_vi": "Bộ phận tiếp nhận",
		  "name_en": "Intake desk" }
	],
	"categories": [
		{ "id": "lighting", "name_vi": "Chiếu sáng", "name_en": "Lighting",
		  "keywords": ["đèn đường"], "department": "roads" },
		{ "id": "waste", "name_vi": "Rác thải", "name_en": "Waste",
		  "keywords": ["rác"], "department": "environment" }
	],
	"triage_department": "intake"
JSON
)
HUB_CONFIG_EXTRA=$HUB_CONFIG_EXTRA_DESK

# agent_add USERNAME ROLE [DEPARTMENT]: creates an agent whose password is
# "password-USERNAME" through citizenhubctl, against the running config.
agent_add() {
	local -a departments=()
	[ -z "${3:-}" ] || departments=(--department "$3")
	if ! printf 'password-%s\n' "$1" | "$CTL_BIN" -c "$HUB_CONFIG" agent add \
		"$1" --role "$2" "${departments[@]}" >"$TEST_TMP/agent.out" 2>&1; then
		fail "citizenhubctl agent add $1: $(cat "$TEST_TMP/agent.out")"
	fi
}

# login USERNAME: logs in with a bearer token and sets DESK_TOKEN and
# DESK_AGENT_ID, or records a failure and sets them to "".
login() {
	DESK_TOKEN=""
	DESK_AGENT_ID=""
	api POST /api/v1/session \
		"{\"username\":\"$1\",\"password\":\"password-$1\",\"token\":\"bearer\"}"
	if [ "$API_STATUS" != 201 ]; then
		fail "login $1: expected HTTP 201, got $API_STATUS: $(lib_shorten "$API_BODY")"
		return 0
	fi
	DESK_TOKEN=$(json_get "$API_BODY" token || true)
	DESK_AGENT_ID=$(json_get "$API_BODY" agent.id || true)
}

# api_as TOKEN METHOD PATH [BODY [CURL_ARGS...]]: api with a bearer token.
api_as() {
	local token=$1 method=$2 path=$3 body=${4:-}
	shift 4 2>/dev/null || shift $#
	api "$method" "$path" "$body" -H "Authorization: Bearer $token" "$@"
}

# report_body NAME PHONE EMAIL DESCRIPTION: prints a web report as JSON;
# an empty EMAIL is left out.
report_body() {
	python3 -c '
import json, sys
name, phone, email, description = sys.argv[1:5]
report = {"name": name, "phone": phone, "subject": "Phản ánh",
          "description": description, "consent": True}
if email:
    report["email"] = email
print(json.dumps(report, ensure_ascii=False))
' "$@"
}

# file_report NAME PHONE EMAIL DESCRIPTION: files a report and sets
# REPORT_CODE, or records a failure and sets it to "".
file_report() {
	REPORT_CODE=""
	api POST /api/v1/requests "$(report_body "$@")"
	if [ "$API_STATUS" != 201 ]; then
		fail "POST /api/v1/requests: expected HTTP 201, got $API_STATUS" \
			"with body \"$(lib_shorten "$API_BODY")\""
		return 0
	fi
	REPORT_CODE=$(json_get "$API_BODY" code || true)
}

# citizen_of_code CODE: prints the citizen id of the ticket CODE, read
# through the operators' ticket API.
citizen_of_code() {
	api_admin GET "/api/v1/tickets/$1"
	json_get "$API_BODY" ticket.citizen.id || true
}

# stats_count KEY: prints a count of citizenhubctl stats --json.
stats_count() {
	ctl --data-dir "$HUB_DATA" stats --json
	json_get "$CTL_OUT" "$1" || echo "stats failed: $CTL_ERR"
}

# url_encode TEXT: prints TEXT percent-encoded for a query string.
url_encode() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# json_query JSON EXPRESSION: prints the Python expression's value over
# the parsed JSON "d" ("len(d['citizens'])"), strings raw.
json_query() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
value = eval(sys.argv[2])
print(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
' "$1" "$2" 2>/dev/null || true
}
