# shellcheck shell=bash
# shellcheck disable=SC2034
#
# The hub's side of the SMS integration tests, sourced after lib.sh and
# sms_lib.sh: a hub with the sms channel whose gateway is the Kannel of
# sms_lib.sh, and helpers that read its tickets and outbound messages.

# The secret of the sms-service's get-url and post-url.
SMS_SECRET="sms-service secret for the tests 0123"
# The receiver as fakesmsc prints it: the gateway writes numbers in the
# international format without "+".
SMS_TO_PREFIX=""
# Extra keys of the channels.sms section (",\"conversation_days\": 1").
SMS_CHANNEL_EXTRA=${SMS_CHANNEL_EXTRA:-}

SMS_TICKET=""
SMS_STATE=""
SMS_OUTBOUND_DETAIL=""

# sms_mo_url get|post: the sms-service URL for Kannel, with its escapes: %p
# sender, %P receiver, %b the text's bytes as received, %C their charset,
# %c the coding, %I Kannel's id of the message.
sms_mo_url() {
	local url="$HUB_URL/sms/kannel/mo?secret=${SMS_SECRET// /+}&from=%p&to=%P"
	url+="&charset=%C&coding=%c&id=%I"
	if [ "$1" = get ]; then
		url+="&text=%b"
	fi
	printf '%s' "$url"
}

# sms_hub_config: the channels.sms section for the Kannel of sms_lib.sh,
# for a hub that will listen on HUB_PORT_NEXT.
sms_hub_config() {
	printf '%s\n' "$SMS_SECRET" >"$TEST_TMP/sms-secret"
	printf '%s\n' "$KANNEL_PASSWORD" >"$TEST_TMP/kannel-password"
	cat <<JSON
"sms": {
	"inbound": { "secret_file": "$TEST_TMP/sms-secret" },
	"answers": { "attempts": 3, "retry_seconds": 1 }$SMS_CHANNEL_EXTRA,
	"gateways": [ {
		"name": "kannel",
		"type": "kannel",
		"sendsms_url": "$KANNEL_SENDSMS_URL",
		"username": "$KANNEL_USER",
		"password_file": "$TEST_TMP/kannel-password",
		"from": "$KANNEL_SHORT_CODE",
		"number_format": "international",
		"callback_url": "http://127.0.0.1:$HUB_PORT_NEXT",
		"timeout_seconds": 3
	} ]
}
JSON
}

# sms_hub_kannel_start: starts a hub with the sms channel and Kannel with
# fakesmsc, the sms-service calling the hub's get-url. Retries of sends
# come after 1 to 2 s.
sms_hub_kannel_start() {
	kannel_ports_choose
	HUB_PORT_NEXT=$(lib_free_port)
	HUB_CHANNELS_EXTRA=$(sms_hub_config)
	HUB_CONFIG_EXTRA='"replies": { "retry_base_seconds": 1, "retry_max_seconds": 2, "max_attempts": 50 }'
	hub_start || return 1
	KANNEL_MO_METHOD=get
	KANNEL_MO_URL=$(sms_mo_url get)
	kannel_start
}

# sms_admin METHOD PATH [BODY]: the API with the admin token.
sms_admin() {
	api "$1" "$2" "${3:-}" -H "Authorization: Bearer $HUB_TOKEN"
}

# sms_ticket_of NUMBER: prints the code of the newest ticket whose contact is
# NUMBER (E.164), or nothing.
sms_ticket_of() {
	api_admin GET "/api/v1/tickets?channel=sms&limit=200"
	python3 -c '
import json, sys
for ticket in json.loads(sys.argv[1])["tickets"]:
    if any(c["value"] == sys.argv[2] for c in ticket["contacts"]):
        print(ticket["code"])
        break
' "$API_BODY" "$1" 2>/dev/null || true
}

# sms_ticket_wait NUMBER COUNT [SECONDS]: waits until the newest ticket of
# NUMBER has COUNT inbound messages and sets SMS_TICKET to its detail.
# Records a failure when it does not happen within SECONDS (10).
sms_ticket_wait() {
	local deadline=$((SECONDS + ${3:-10})) code
	SMS_TICKET=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		code=$(sms_ticket_of "$1")
		if [ -n "$code" ]; then
			api_admin GET "/api/v1/tickets/$code"
			SMS_TICKET=$API_BODY
			if [ "$(sms_message_count "$SMS_TICKET" in)" -ge "$2" ]; then
				return 0
			fi
		fi
		sleep 0.2
	done
	fail "no ticket of $1 with $2 inbound messages within ${3:-10} s;" \
		"last seen: $(lib_shorten "$SMS_TICKET")"
	return 1
}

# sms_ticket_wait_new NUMBER PREVIOUS_CODE [SECONDS]: waits until NUMBER has a
# ticket newer than PREVIOUS_CODE with an inbound message and sets SMS_TICKET
# to its detail. Records a failure when it does not happen within SECONDS
# (10).
sms_ticket_wait_new() {
	local deadline=$((SECONDS + ${3:-10})) code
	SMS_TICKET=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		code=$(sms_ticket_of "$1")
		if [ -n "$code" ] && [ "$code" != "$2" ]; then
			api_admin GET "/api/v1/tickets/$code"
			SMS_TICKET=$API_BODY
			if [ "$(sms_message_count "$SMS_TICKET" in)" -ge 1 ]; then
				return 0
			fi
		fi
		sleep 0.2
	done
	fail "no ticket of $1 newer than $2 within ${3:-10} s"
	return 1
}

# sms_message_count DETAIL DIRECTION [KIND]: prints how many messages of the
# ticket go in DIRECTION (of KIND).
sms_message_count() {
	python3 -c '
import json, sys
messages = json.loads(sys.argv[1])["ticket"]["messages"]
print(sum(1 for m in messages if m["direction"] == sys.argv[2]
          and (len(sys.argv) < 4 or m["kind"] == sys.argv[3])))
' "$@" 2>/dev/null || echo 0
}

# sms_message_field DETAIL DIRECTION INDEX FIELD: prints FIELD of the
# INDEX-th message (from 0) of DIRECTION.
sms_message_field() {
	python3 -c '
import json, sys
messages = [m for m in json.loads(sys.argv[1])["ticket"]["messages"]
            if m["direction"] == sys.argv[2]]
value = messages[int(sys.argv[3])][sys.argv[4]]
print(value if isinstance(value, str) else json.dumps(value))
' "$@" 2>/dev/null || true
}

# sms_ticket_phone DETAIL: prints the ticket's phone contact.
sms_ticket_phone() {
	python3 -c '
import json, sys
ticket = json.loads(sys.argv[1])["ticket"]
print(next(c["value"] for c in ticket["contacts"] if c["kind"] == "phone"))
' "$1" 2>/dev/null || true
}

# sms_ticket_citizen DETAIL: prints the id of the ticket's citizen.
sms_ticket_citizen() {
	json_get "$1" ticket.citizen.id || true
}

# sms_message_state CODE MESSAGE_ID: sets SMS_STATE and SMS_OUTBOUND_DETAIL to
# the delivery state and detail of one message of ticket CODE.
sms_message_state() {
	api_admin GET "/api/v1/tickets/$1"
	read -r SMS_STATE SMS_OUTBOUND_DETAIL < <(python3 -c '
import json, sys
for m in json.loads(sys.argv[1])["ticket"]["messages"]:
    if str(m["id"]) == sys.argv[2]:
        print(m.get("delivery_status"), m.get("delivery_detail") or "")
' "$API_BODY" "$2" 2>/dev/null) || true
}

# sms_outbound_wait CODE KIND STATE [SECONDS]: waits until the newest
# outbound message of KIND (ack, reply) of ticket CODE is in STATE and sets
# SMS_OUTBOUND_DETAIL to its delivery detail. Records a failure when it
# does not happen within SECONDS (15).
sms_outbound_wait() {
	local deadline=$((SECONDS + ${4:-15})) line=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		api_admin GET "/api/v1/tickets/$1"
		line=$(python3 -c '
import json, sys
out = [m for m in json.loads(sys.argv[1])["ticket"]["messages"]
       if m["direction"] == "out" and m["kind"] == sys.argv[2]]
if out:
    print(out[-1].get("delivery_status"), out[-1].get("delivery_detail") or "")
' "$API_BODY" "$2" 2>/dev/null || true)
		if [ "${line%% *}" = "$3" ]; then
			SMS_OUTBOUND_DETAIL=${line#* }
			return 0
		fi
		sleep 0.2
	done
	fail "the $2 of $1 is not $3 within ${4:-15} s; last state: \"$line\""
	return 1
}

# json_body KEY VALUE ...: a JSON object of string members.
json_body() {
	python3 -c '
import json, sys
args = sys.argv[1:]
print(json.dumps(dict(zip(args[0::2], args[1::2])), ensure_ascii=False))
' "$@"
}
