#!/usr/bin/env bash
# Agents and sessions: citizenhubctl agent, logins with a cookie or a bearer
# token, logout, idle expiry, CSRF checks, the login lockout per username
# and per address (also across a restart), disabled agents, roles and the
# agents API. Every rejected request is checked to have changed nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Short limits, so that idle expiry and lockouts happen within seconds.
# 127.0.0.1 is a trusted proxy, so each lockout case can come from its own
# client address in X-Forwarded-For.
HUB_CONFIG_EXTRA='"departments": [
		{ "id": "roads", "name_vi": "Giao thông", "name_en": "Roads" },
		{ "id": "water", "name_vi": "Cấp nước", "name_en": "Water" }
	],
	"auth": {
		"session_idle_seconds": 3,
		"lockout_failures": 3,
		"lockout_address_failures": 6,
		"lockout_window_seconds": 120,
		"lockout_seconds": 120
	}'

eval "lib_$(declare -f hub_config_write)"
hub_config_write() {
	lib_hub_config_write "$1"
	python3 - "$1" "$HUB_PUBLIC_URL" "$HUB_LOCK_SECONDS" <<'PYTHON'
import json, sys
with open(sys.argv[1]) as f:
    config = json.load(f)
config["http"]["trusted_proxies"] = ["127.0.0.1"]
if sys.argv[2]:
    config["http"]["public_url"] = sys.argv[2]
if sys.argv[3]:
    config["auth"]["lockout_seconds"] = int(sys.argv[3])
with open(sys.argv[1], "w") as f:
    json.dump(config, f, indent=1)
PYTHON
}
# Set before hub_start: the http.public_url of the next config, when not
# the default.
HUB_PUBLIC_URL=""
# Set before hub_start: the auth.lockout_seconds of the next config, when
# not the 120 of HUB_CONFIG_EXTRA.
HUB_LOCK_SECONDS=""

ADMIN_PASSWORD="admin password 1"
SUP_PASSWORD="supervisor password"
AGENT_PASSWORD="agent password ok"
WATER_PASSWORD="water password ok"
HEADERS=$TEST_TMP/headers

# login USERNAME PASSWORD [cookie|bearer] [CURL_ARGS...]: POST
# /api/v1/session; sets COOKIE ("citizenhub_session=...") from Set-Cookie,
# CSRF and TOKEN from the body (empty when absent).
login() {
	local username=$1 password=$2 kind=${3:-cookie}
	shift 2
	shift 2>/dev/null || true
	api POST /api/v1/session "$(python3 -c '
import json, sys
print(json.dumps({"username": sys.argv[1], "password": sys.argv[2],
                  "token": sys.argv[3]}))' "$username" "$password" "$kind")" \
		-D "$HEADERS" "$@"
	COOKIE=$(grep -io 'citizenhub_session=[^;]*' "$HEADERS" | head -n 1 || true)
	CSRF=$(json_get "$API_BODY" csrf_token || true)
	TOKEN=$(json_get "$API_BODY" token || true)
}

# header NAME: the value of header NAME in the reply whose headers were
# saved with -D "$HEADERS" (login does that).
header() {
	grep -i "^$1:" "$HEADERS" | head -n 1 | cut -d' ' -f2- | tr -d '\r' || true
}

# admin_agents: sets AGENTS to the list of agents read with the admin
# token.
admin_agents() {
	api GET /api/v1/agents "" -H "Authorization: Bearer $HUB_TOKEN"
	check_status 200
	AGENTS=$API_BODY
}

# agent_field ID FIELD: prints FIELD of agent ID read with the admin token.
agent_field() {
	api GET "/api/v1/agents/$1" "" -H "Authorization: Bearer $HUB_TOKEN"
	json_get "$API_BODY" "agent.$2" || true
}

# agent_id USERNAME: prints the id of USERNAME from citizenhubctl.
agent_id() {
	ctl -c "$HUB_CONFIG" agent list --json
	python3 -c '
import json, sys
for agent in json.loads(sys.argv[1]):
    if agent["username"] == sys.argv[2]:
        print(agent["id"])' "$CTL_OUT" "$1" 2>/dev/null || true
}

audit_count() {
	sqlite3 "file:$HUB_DATA/citizenhub.db?mode=ro" \
		"SELECT count(*) FROM audit_events WHERE action = '$1'"
}

# --- citizenhubctl agent -------------------------------------------------

case_begin "ctl agent add and list"
hub_start
ctl -c "$HUB_CONFIG" agent add Admin1 --role admin --name "Quản trị" \
	<<<"$ADMIN_PASSWORD"
check_ctl "agent add admin1" 0
check_contains "agent add output" "$CTL_OUT" "admin1"
ctl -c "$HUB_CONFIG" agent add sup1 --role supervisor --department roads \
	--department water --name "Trần Thị Giám Sát" <<<"$SUP_PASSWORD"
check_ctl "agent add sup1" 0
ctl -c "$HUB_CONFIG" agent add agent1 --role agent --department roads \
	--language en <<<"$AGENT_PASSWORD"
check_ctl "agent add agent1" 0
ctl -c "$HUB_CONFIG" agent add water1 --role agent --department water \
	<<<"$WATER_PASSWORD"
check_ctl "agent add water1" 0
ctl -c "$HUB_CONFIG" agent list
check_ctl "agent list" 0
for name in admin1 sup1 agent1 water1; do
	check_contains "agent list" "$CTL_OUT" "$name"
done
check_contains "agent list shows departments" "$CTL_OUT" "roads,water"
check_equal "agent.created audit events" 4 "$(audit_count agent.created)"
case_end

case_begin "ctl agent add rejects bad input"
ctl -c "$HUB_CONFIG" agent add shorty --role agent --department roads \
	<<<"too short"
check_ctl "password of 9 characters" 1
check_contains "short password message" "$CTL_ERR" "10"
ctl -c "$HUB_CONFIG" agent add nodept --role agent --department parks \
	<<<"long enough password"
check_ctl "unknown department" 2
check_contains "unknown department message" "$CTL_ERR" "parks"
ctl -c "$HUB_CONFIG" agent add agent1 --role agent --department roads \
	<<<"long enough password"
check_ctl "duplicate username" 1
check_contains "duplicate username message" "$CTL_ERR" "taken"
ctl -c "$HUB_CONFIG" agent add "bad name" --role agent --department roads \
	<<<"long enough password"
check_ctl "invalid username" 2
ctl -c "$HUB_CONFIG" agent add nopass --role agent --department roads \
	</dev/null
check_ctl "no password on standard input" 1
ctl -c "$HUB_CONFIG" agent add blank --role agent --department roads \
	<<<"            "
check_ctl "password of only spaces" 1
check_contains "blank password message" "$CTL_ERR" "white space"
ctl -c "$HUB_CONFIG" agent list --json
check_equal "agents after rejected adds" 4 "$(json_length "$CTL_OUT")"
case_end

ADMIN1_ID=$(agent_id admin1)
SUP1_ID=$(agent_id sup1)
AGENT1_ID=$(agent_id agent1)
WATER1_ID=$(agent_id water1)

# --- Logging in and out --------------------------------------------------------

case_begin "login with a cookie"
login agent1 "$AGENT_PASSWORD"
check_status 201
set_cookie=$(header Set-Cookie)
check_match "Set-Cookie" "$set_cookie" '^citizenhub_session=[A-Za-z0-9_-]{43};'
for attribute in "HttpOnly" "SameSite=Strict" "Path=/" "Max-Age=43200"; do
	check_contains "Set-Cookie attributes" "$set_cookie" "$attribute"
done
check_not_contains "Set-Cookie on http" "$set_cookie" "Secure"
check_equal "agent.username" agent1 "$(json_get "$API_BODY" agent.username)"
check_equal "agent.role" agent "$(json_get "$API_BODY" agent.role)"
check_equal "agent.departments" '["roads"]' \
	"$(json_get "$API_BODY" agent.departments)"
check_equal "agent.language" en "$(json_get "$API_BODY" agent.language)"
check_match "csrf_token" "$CSRF" '^[A-Za-z0-9_-]{43}$'
check_match "expires_at" "$(json_get "$API_BODY" expires_at)" '^20[0-9-]+T'
check_equal "no bearer token" "" "$TOKEN"
api GET /api/v1/session "" -H "Cookie: $COOKIE"
check_status 200
check_equal "GET session kind" cookie "$(json_get "$API_BODY" kind)"
check_equal "GET session agent.id" "$AGENT1_ID" "$(json_get "$API_BODY" agent.id)"
case_end

case_begin "login with a bearer token"
login AGENT1 "$AGENT_PASSWORD" bearer
check_status 201
check_equal "no Set-Cookie" "" "$(header Set-Cookie)"
check_match "token" "$TOKEN" '^[A-Za-z0-9_-]{43}$'
check_equal "no csrf_token" "" "$CSRF"
api GET /api/v1/session "" -H "Authorization: Bearer $TOKEN"
check_status 200
check_equal "GET session kind" bearer "$(json_get "$API_BODY" kind)"
check_equal "GET session username" agent1 "$(json_get "$API_BODY" agent.username)"
api GET /api/v1/session "" -H "Cookie: citizenhub_session=$TOKEN"
check_status 401
check_equal "bearer token as a cookie" unauthorized \
	"$(json_get "$API_BODY" error.code)"
case_end

case_begin "logout then 401"
login agent1 "$AGENT_PASSWORD"
check_status 201
api DELETE /api/v1/session "" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" \
	-D "$HEADERS"
check_status 204
check_contains "logout clears the cookie" "$(header Set-Cookie)" "Max-Age=0"
api GET /api/v1/session "" -H "Cookie: $COOKIE"
check_status 401
check_equal "after logout" session_expired "$(json_get "$API_BODY" error.code)"
login agent1 "$AGENT_PASSWORD" bearer
api DELETE /api/v1/session "" -H "Authorization: Bearer $TOKEN"
check_status 204
api GET /api/v1/session "" -H "Authorization: Bearer $TOKEN"
check_status 401
check_equal "bearer after logout" session_expired \
	"$(json_get "$API_BODY" error.code)"
check_ge "session.revoked audit events" 2 "$(audit_count session.revoked)"
case_end

case_begin "logout needs the CSRF token"
login agent1 "$AGENT_PASSWORD"
api DELETE /api/v1/session "" -H "Cookie: $COOKIE"
check_status 403
check_equal "error.code" csrf_token_invalid "$(json_get "$API_BODY" error.code)"
api GET /api/v1/session "" -H "Cookie: $COOKIE"
check_status 200
case_end

case_begin "idle session expires"
login agent1 "$AGENT_PASSWORD"
check_status 201
# Requests every second keep the session alive past the idle timeout (3 s).
for _ in 1 2 3 4 5 6; do
	sleep 1
	api GET /api/v1/session "" -H "Cookie: $COOKIE"
	check_status 200
done
sleep 5
api GET /api/v1/session "" -H "Cookie: $COOKIE"
check_status 401
check_equal "error.code" session_expired "$(json_get "$API_BODY" error.code)"
case_end

case_begin "unauthenticated requests are 401"
api GET /api/v1/session
check_status 401
check_equal "no credentials" unauthorized "$(json_get "$API_BODY" error.code)"
api GET /api/v1/agents "" -H "Authorization: Bearer not-a-token"
check_status 401
api GET /api/v1/agents "" \
	-H "Cookie: citizenhub_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
check_status 401
case_end

case_begin "bootstrap admin token"
api GET /api/v1/session "" -H "Authorization: Bearer $HUB_TOKEN"
check_status 200
check_equal "agent.id" 0 "$(json_get "$API_BODY" agent.id)"
check_equal "agent.role" admin "$(json_get "$API_BODY" agent.role)"
check_equal "kind" admin_token "$(json_get "$API_BODY" kind)"
api DELETE /api/v1/session "" -H "Authorization: Bearer $HUB_TOKEN"
check_status 409
api GET /api/v1/session "" -H "Authorization: Bearer $HUB_TOKEN"
check_status 200
case_end

# --- CSRF --------------------------------------------------------------------

case_begin "CSRF on cookie writes"
login admin1 "$ADMIN_PASSWORD"
check_status 201
new_agent='{"username":"csrf1","password":"csrf password 1","role":"agent","departments":["roads"]}'
api POST /api/v1/agents "$new_agent" -H "Cookie: $COOKIE"
check_status 403
check_equal "without token" csrf_token_invalid "$(json_get "$API_BODY" error.code)"
api POST /api/v1/agents "$new_agent" -H "Cookie: $COOKIE" \
	-H "X-CSRF-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
check_status 403
check_equal "wrong token" csrf_token_invalid "$(json_get "$API_BODY" error.code)"
api POST /api/v1/agents "$new_agent" -H "Cookie: $COOKIE" -H "X-CSRF-Token: x"
check_status 403
admin_agents
check_not_contains "agents after rejected POSTs" "$AGENTS" '"csrf1"'
api PATCH "/api/v1/agents/$AGENT1_ID" '{"display_name":"Changed"}' \
	-H "Cookie: $COOKIE"
check_status 403
check_equal "display_name after rejected PATCH" agent1 \
	"$(agent_field "$AGENT1_ID" display_name)"
api POST /api/v1/agents "$new_agent" -H "Cookie: $COOKIE" \
	-H "X-CSRF-Token: $CSRF"
check_status 201
check_equal "created" csrf1 "$(json_get "$API_BODY" agent.username)"
api PATCH "/api/v1/agents/$AGENT1_ID" '{"display_name":"Nguyễn Văn Một"}' \
	-H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF"
check_status 200
check_equal "display_name after PATCH" "Nguyễn Văn Một" \
	"$(agent_field "$AGENT1_ID" display_name)"
case_end

# --- Failed logins and the lockout ---------------------------------------------

case_begin "login takes JSON only"
api POST /api/v1/session "username=admin1&password=admin+password+1" \
	-H 'Content-Type: application/x-www-form-urlencoded' \
	-H "X-Forwarded-For: 192.0.2.19"
check_status 415
check_equal "error.code" unsupported_content_type \
	"$(json_get "$API_BODY" error.code)"
check_contains "415 message en" "$(json_get "$API_BODY" error.message.en)" \
	"application/json"
check_not_contains "415 message en" "$(json_get "$API_BODY" error.message.en)" \
	"form"
check_not_contains "415 message vi" "$(json_get "$API_BODY" error.message.vi)" \
	"biểu mẫu"
# The citizens' endpoint takes forms and still says so.
api POST /api/v1/requests "description=x" -H 'Content-Type: text/plain'
check_status 415
check_contains "415 message of a form endpoint" \
	"$(json_get "$API_BODY" error.message.en)" "web form"
case_end

case_begin "wrong username and password replies are identical"
api POST /api/v1/session '{"username":"nobody","password":"whatever 12345"}' \
	-H "X-Forwarded-For: 192.0.2.10"
check_status 401
cp "$API_BODY_FILE" "$TEST_TMP/unknown-user.json"
api POST /api/v1/session '{"username":"admin1","password":"whatever 12345"}' \
	-H "X-Forwarded-For: 192.0.2.10"
check_status 401
cmp -s "$API_BODY_FILE" "$TEST_TMP/unknown-user.json" ||
	fail "bodies differ: \"$(cat "$TEST_TMP/unknown-user.json")\" and \"$API_BODY\""
check_equal "error.code" login_failed "$(json_get "$API_BODY" error.code)"
check_not_contains "body names no field" "$API_BODY" '"field"'
case_end

# lock_out USERNAME ADDRESS: three wrong passwords, each 401.
lock_out() {
	local i
	for i in 1 2 3; do
		api POST /api/v1/session \
			"{\"username\":\"$1\",\"password\":\"wrong password $i\"}" \
			-H "X-Forwarded-For: $2"
		check_status 401
	done
}

# check_locked USERNAME PASSWORD ADDRESS [FIELD]: the login is 429
# login_locked with Retry-After and no session.
check_locked() {
	login "$1" "$2" cookie -H "X-Forwarded-For: $3"
	check_status 429
	check_equal "error.code" login_locked "$(json_get "$API_BODY" error.code)"
	check_equal "error.field" "${4:-}" "$(json_get "$API_BODY" error.field || true)"
	retry=$(header Retry-After)
	check_match "Retry-After" "$retry" '^[0-9]+$'
	check_equal "error.limit is Retry-After" "$retry" \
		"$(json_get "$API_BODY" error.limit)"
	[ "${retry:-0}" -ge 1 ] && [ "${retry:-999}" -le 120 ] ||
		fail "Retry-After $retry is not within 1 to 120"
	check_equal "no cookie while locked" "" "$COOKIE"
	check_equal "no csrf_token while locked" "" "$CSRF"
}

case_begin "lockout of an existing username"
sessions_before=$(sqlite3 "file:$HUB_DATA/citizenhub.db?mode=ro" \
	"SELECT count(*) FROM sessions")
lock_out sup1 192.0.2.11
check_locked sup1 "$SUP_PASSWORD" 192.0.2.11 username
check_contains "username lock message en" \
	"$(json_get "$API_BODY" error.message.en)" "This username is locked"
check_contains "username lock message vi" \
	"$(json_get "$API_BODY" error.message.vi)" "Tên đăng nhập này"
cp "$API_BODY_FILE" "$TEST_TMP/locked-existing.json"
# The lock follows the username, not the address, and any letter case.
check_locked SUP1 "$SUP_PASSWORD" 192.0.2.99 username
check_equal "sessions after locked logins" "$sessions_before" \
	"$(sqlite3 "file:$HUB_DATA/citizenhub.db?mode=ro" "SELECT count(*) FROM sessions")"
case_end

case_begin "lockout of an unknown username"
lock_out ghost 192.0.2.12
check_locked ghost "$SUP_PASSWORD" 192.0.2.12 username
python3 - "$TEST_TMP/locked-existing.json" "$API_BODY_FILE" <<'PYTHON' ||
import json, sys
a, b = (json.load(open(name))["error"] for name in sys.argv[1:])
for error in (a, b):
    error.pop("limit")
    error["message"] = {}
sys.exit(0 if a == b else 1)
PYTHON
	fail "locked replies differ for an existing and an unknown username"
case_end

case_begin "lockout per address"
for i in 1 2 3 4 5 6; do
	api POST /api/v1/session \
		"{\"username\":\"someone$i\",\"password\":\"wrong password\"}" \
		-H "X-Forwarded-For: 192.0.2.13"
	check_status 401
done
check_locked agent1 "$AGENT_PASSWORD" 192.0.2.13 address
# A new password does not lift an address lock, so the message does not
# suggest one.
check_contains "address lock message en" \
	"$(json_get "$API_BODY" error.message.en)" "network address"
check_not_contains "address lock message en" \
	"$(json_get "$API_BODY" error.message.en)" "password"
check_contains "address lock message vi" \
	"$(json_get "$API_BODY" error.message.vi)" "địa chỉ mạng"
check_not_contains "address lock message vi" \
	"$(json_get "$API_BODY" error.message.vi)" "mật khẩu"
login agent1 "$AGENT_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.14"
check_status 201
case_end

case_begin "parallel attempts cannot pass the threshold"
burst_pids=()
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 \
		-H 'Content-Type: application/json' -H "X-Forwarded-For: 192.0.2.18" \
		--data-binary '{"username":"burst","password":"wrong password"}' \
		"$HUB_URL/api/v1/session" >"$TEST_TMP/burst-$i" &
	burst_pids+=($!)
done
wait "${burst_pids[@]}"
check_equal "401 replies of 8 parallel attempts" 3 \
	"$(cat "$TEST_TMP"/burst-* | grep -c '^401$' || true)"
check_equal "429 replies of 8 parallel attempts" 5 \
	"$(cat "$TEST_TMP"/burst-* | grep -c '^429$' || true)"
case_end

case_begin "success clears the username counter"
for _ in 1 2; do
	api POST /api/v1/session \
		'{"username":"water1","password":"wrong password"}' \
		-H "X-Forwarded-For: 192.0.2.15"
	check_status 401
done
login water1 "$WATER_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.15"
check_status 201
for _ in 1 2; do
	api POST /api/v1/session \
		'{"username":"water1","password":"wrong password"}' \
		-H "X-Forwarded-For: 192.0.2.16"
	check_status 401
done
login water1 "$WATER_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.16"
check_status 201
case_end

case_begin "lockout survives a restart"
hub_stop
hub_start "$HUB_DATA"
check_locked sup1 "$SUP_PASSWORD" 192.0.2.17 username
check_locked agent1 "$AGENT_PASSWORD" 192.0.2.13 address
case_end

# --- Disabled agents -------------------------------------------------------------

case_begin "disabled agent cannot log in"
login water1 "$WATER_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.20"
check_status 201
water_cookie=$COOKIE
ctl -c "$HUB_CONFIG" agent disable water1
check_ctl "agent disable" 0
api GET /api/v1/session "" -H "Cookie: $water_cookie"
check_status 401
check_equal "session of a disabled agent" session_expired \
	"$(json_get "$API_BODY" error.code)"
login water1 "$WATER_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.20"
check_status 401
check_equal "login of a disabled agent" login_failed \
	"$(json_get "$API_BODY" error.code)"
check_equal "disabled" true "$(agent_field "$WATER1_ID" disabled)"
ctl -c "$HUB_CONFIG" agent enable water1
check_ctl "agent enable" 0
login water1 "$WATER_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.21"
check_status 201
case_end

case_begin "ctl agent passwd"
login agent1 "$AGENT_PASSWORD" bearer -H "X-Forwarded-For: 192.0.2.22"
check_status 201
old_token=$TOKEN
ctl -c "$HUB_CONFIG" agent passwd agent1 <<<"short"
check_ctl "passwd with a short password" 1
login agent1 "$AGENT_PASSWORD" bearer -H "X-Forwarded-For: 192.0.2.22"
check_status 201
ctl -c "$HUB_CONFIG" agent passwd agent1 <<<"a brand new password"
check_ctl "agent passwd" 0
api GET /api/v1/session "" -H "Authorization: Bearer $old_token"
check_status 401
login agent1 "$AGENT_PASSWORD" bearer -H "X-Forwarded-For: 192.0.2.23"
check_status 401
AGENT_PASSWORD="a brand new password"
login agent1 "$AGENT_PASSWORD" bearer -H "X-Forwarded-For: 192.0.2.23"
check_status 201
case_end

# --- Roles and the agents API ------------------------------------------------------

case_begin "agent cannot create agents"
login agent1 "$AGENT_PASSWORD" bearer -H "X-Forwarded-For: 192.0.2.30"
agent_token=$TOKEN
admin_agents
count_before=$(json_length "$(json_get "$AGENTS" agents)")
api POST /api/v1/agents \
	'{"username":"sneaky","password":"sneaky password","role":"admin"}' \
	-H "Authorization: Bearer $agent_token"
check_status 403
check_equal "error.code" forbidden "$(json_get "$API_BODY" error.code)"
api GET /api/v1/agents "" -H "Authorization: Bearer $agent_token"
check_status 403
admin_agents
check_equal "agents after the rejected POST" "$count_before" \
	"$(json_length "$(json_get "$AGENTS" agents)")"
check_not_contains "agents after the rejected POST" "$AGENTS" '"sneaky"'
case_end

case_begin "agent changes only own availability"
api PATCH "/api/v1/agents/$AGENT1_ID" '{"available":true}' \
	-H "Authorization: Bearer $agent_token"
check_status 200
check_equal "available" true "$(json_get "$API_BODY" agent.available)"
api PATCH "/api/v1/agents/$AGENT1_ID" '{"role":"admin"}' \
	-H "Authorization: Bearer $agent_token"
check_status 403
check_equal "role after rejected PATCH" agent "$(agent_field "$AGENT1_ID" role)"
api PATCH "/api/v1/agents/$WATER1_ID" '{"available":true}' \
	-H "Authorization: Bearer $agent_token"
check_status 404
check_equal "other agent after rejected PATCH" false \
	"$(agent_field "$WATER1_ID" available)"
api GET "/api/v1/agents/$WATER1_ID" "" -H "Authorization: Bearer $agent_token"
check_status 404
api GET "/api/v1/agents/$AGENT1_ID" "" -H "Authorization: Bearer $agent_token"
check_status 200
case_end

case_begin "supervisor sees agents of own departments"
ctl -c "$HUB_CONFIG" agent add sup2 --role supervisor --department roads \
	<<<"second supervisor"
check_ctl "agent add sup2" 0
login sup2 "second supervisor" bearer -H "X-Forwarded-For: 192.0.2.31"
check_status 201
sup_token=$TOKEN
api GET /api/v1/agents "" -H "Authorization: Bearer $sup_token"
check_status 200
check_contains "supervisor list" "$API_BODY" '"agent1"'
check_contains "supervisor list" "$API_BODY" '"sup2"'
check_not_contains "supervisor list" "$API_BODY" '"water1"'
check_not_contains "supervisor list" "$API_BODY" '"admin1"'
api PATCH "/api/v1/agents/$AGENT1_ID" '{"available":false}' \
	-H "Authorization: Bearer $sup_token"
check_status 200
check_equal "available" false "$(agent_field "$AGENT1_ID" available)"
api PATCH "/api/v1/agents/$AGENT1_ID" '{"departments":["water"]}' \
	-H "Authorization: Bearer $sup_token"
check_status 403
check_equal "departments after rejected PATCH" '["roads"]' \
	"$(agent_field "$AGENT1_ID" departments)"
api PATCH "/api/v1/agents/$WATER1_ID" '{"available":true}' \
	-H "Authorization: Bearer $sup_token"
check_status 404
check_equal "water1 after rejected PATCH" false \
	"$(agent_field "$WATER1_ID" available)"
case_end

case_begin "agents api validates new agents"
admin_agents
count_before=$(json_length "$(json_get "$AGENTS" agents)")
post_agent() {
	api POST /api/v1/agents "$1" -H "Authorization: Bearer $HUB_TOKEN"
}
post_agent '{"username":"Bad Name","password":"long enough pw","role":"agent","departments":["roads"]}'
check_status 422
check_equal "bad username field" username "$(json_get "$API_BODY" error.field)"
post_agent '{"username":"shortpw","password":"123456789","role":"agent","departments":["roads"]}'
check_status 422
check_equal "short password field" password "$(json_get "$API_BODY" error.field)"
check_equal "short password limit" 10 "$(json_get "$API_BODY" error.limit)"
check_contains "short password message vi" \
	"$(json_get "$API_BODY" error.message.vi)" "10 ký tự"
check_contains "short password message en" \
	"$(json_get "$API_BODY" error.message.en)" "10 characters"
post_agent '{"username":"nodept","password":"long enough pw","role":"agent","departments":["parks"]}'
check_status 422
check_equal "unknown department field" departments \
	"$(json_get "$API_BODY" error.field)"
post_agent '{"username":"nodept","password":"long enough pw","role":"agent","departments":[]}'
check_status 422
post_agent '{"username":"blank","password":"          ","role":"agent","departments":["roads"]}'
check_status 422
check_equal "blank password field" password "$(json_get "$API_BODY" error.field)"
check_contains "blank password message en" \
	"$(json_get "$API_BODY" error.message.en)" "only white space"
check_contains "blank password message vi" \
	"$(json_get "$API_BODY" error.message.vi)" "khoảng trắng"
# Ideographic spaces (U+3000) are white space too.
post_agent '{"username":"blank","password":"\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000","role":"agent","departments":["roads"]}'
check_status 422
check_equal "ideographic blank password field" password \
	"$(json_get "$API_BODY" error.field)"
post_agent '{"username":"badrole","password":"long enough pw","role":"boss","departments":["roads"]}'
check_status 422
check_equal "bad role field" role "$(json_get "$API_BODY" error.field)"
post_agent '{"username":"AGENT1","password":"long enough pw","role":"agent","departments":["roads"]}'
check_status 409
check_equal "duplicate code" conflict "$(json_get "$API_BODY" error.code)"
check_equal "duplicate field" username "$(json_get "$API_BODY" error.field)"
post_agent '{"username":"extra","password":"long enough pw","role":"agent","departments":["roads"],"is_root":true}'
check_status 422
admin_agents
check_equal "agents after rejected POSTs" "$count_before" \
	"$(json_length "$(json_get "$AGENTS" agents)")"
case_end

case_begin "agents api creates and changes an agent"
audit_before=$(audit_count agent.updated)
api POST /api/v1/agents \
	'{"username":"New.Agent","display_name":"Lê Văn Mới","password":"new agent password","role":"agent","departments":["water","roads","water"],"language":"en"}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 201
new_id=$(json_get "$API_BODY" agent.id || true)
check_equal "username lowered" new.agent "$(json_get "$API_BODY" agent.username)"
check_equal "departments" '["roads", "water"]' \
	"$(json_get "$API_BODY" agent.departments)"
check_equal "language" en "$(json_get "$API_BODY" agent.language)"
login new.agent "new agent password" bearer -H "X-Forwarded-For: 192.0.2.40"
check_status 201
new_token=$TOKEN
api PATCH "/api/v1/agents/$new_id" \
	'{"role":"supervisor","departments":["water"],"available":true}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 200
check_equal "role" supervisor "$(json_get "$API_BODY" agent.role)"
check_equal "departments" '["water"]' "$(json_get "$API_BODY" agent.departments)"
api GET /api/v1/session "" -H "Authorization: Bearer $new_token"
check_status 200
check_equal "role seen by the session" supervisor \
	"$(json_get "$API_BODY" agent.role)"
api PATCH "/api/v1/agents/$new_id" '{"password":"short"}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 422
api PATCH "/api/v1/agents/$new_id" '{"password":"\t          \n"}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 422
check_equal "blank password field" password "$(json_get "$API_BODY" error.field)"
api GET /api/v1/session "" -H "Authorization: Bearer $new_token"
check_status 200
api PATCH "/api/v1/agents/$new_id" '{"password":"another new password"}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 200
api GET /api/v1/session "" -H "Authorization: Bearer $new_token"
check_status 401
login new.agent "another new password" bearer -H "X-Forwarded-For: 192.0.2.40"
check_status 201
new_token=$TOKEN
api PATCH "/api/v1/agents/$new_id" '{"disabled":true}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 200
check_equal "disabled" true "$(json_get "$API_BODY" agent.disabled)"
check_equal "disabled agent is unavailable" false \
	"$(json_get "$API_BODY" agent.available)"
api GET /api/v1/session "" -H "Authorization: Bearer $new_token"
check_status 401
login new.agent "another new password" bearer -H "X-Forwarded-For: 192.0.2.41"
check_status 401
check_equal "agent.updated audit events" $((audit_before + 3)) \
	"$(audit_count agent.updated)"
api GET /api/v1/agents/999999 "" -H "Authorization: Bearer $HUB_TOKEN"
check_status 404
case_end

case_begin "role change keeps departments"
api POST /api/v1/agents \
	'{"username":"adm2","password":"second admin password","role":"admin"}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 201
adm2_id=$(json_get "$API_BODY" agent.id || true)
audit_before=$(audit_count agent.updated)
for role in agent supervisor; do
	api PATCH "/api/v1/agents/$adm2_id" "{\"role\":\"$role\"}" \
		-H "Authorization: Bearer $HUB_TOKEN"
	check_status 422
	check_equal "$role without departments: code" missing_field \
		"$(json_get "$API_BODY" error.code)"
	check_equal "$role without departments: field" departments \
		"$(json_get "$API_BODY" error.field)"
	check_equal "role after the rejected PATCH" admin \
		"$(agent_field "$adm2_id" role)"
done
check_equal "agent.updated audit events after rejected PATCHes" \
	"$audit_before" "$(audit_count agent.updated)"
api PATCH "/api/v1/agents/$adm2_id" '{"role":"agent","departments":["roads"]}' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 200
check_equal "departments with the new role" '["roads"]' \
	"$(json_get "$API_BODY" agent.departments)"
case_end

case_begin "a correct login leaves no address lock"
hub_stop
HUB_LOCK_SECONDS=2
hub_start "$HUB_DATA"
HUB_LOCK_SECONDS=""
for i in 1 2 3 4 5 6; do
	api POST /api/v1/session \
		"{\"username\":\"office$i\",\"password\":\"wrong password\"}" \
		-H "X-Forwarded-For: 192.0.2.50"
	check_status 401
done
check_locked agent1 "$AGENT_PASSWORD" 192.0.2.50 address
sleep 3
# The lock has ended but the window has not: each correct login counts a
# failure before its password is checked, and must take it back without
# leaving a lock.
login agent1 "$AGENT_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.50"
check_status 201
login admin1 "$ADMIN_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.50"
check_status 201
login water1 "$WATER_PASSWORD" cookie -H "X-Forwarded-For: 192.0.2.50"
check_status 201
check_equal "address failures after correct logins" 6 \
	"$(sqlite3 "file:$HUB_DATA/citizenhub.db?mode=ro" \
	"SELECT failures FROM login_failures WHERE key = 'addr:192.0.2.50'")"
# A failure still locks at once, as the window still holds six.
api POST /api/v1/session '{"username":"office7","password":"wrong password"}' \
	-H "X-Forwarded-For: 192.0.2.50"
check_status 401
check_locked agent1 "$AGENT_PASSWORD" 192.0.2.50 address
case_end

case_begin "cookie is Secure behind an https public_url"
hub_stop
HUB_PUBLIC_URL="https://127.0.0.1:8443"
hub_start "$HUB_DATA"
HUB_PUBLIC_URL=""
login admin1 "$ADMIN_PASSWORD"
check_status 201
check_contains "Set-Cookie" "$(header Set-Cookie)" "; Secure"
case_end

case_begin "daemon stops cleanly"
hub_stop
case_end

tests_done
