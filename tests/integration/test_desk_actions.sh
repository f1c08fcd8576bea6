#!/usr/bin/env bash
# Changes through the ticket desk API: status changes the lifecycle allows
# and forbids, replies queued for the send queue and refused on a closed
# ticket, internal notes that the citizen never sees, claims and
# assignments, merging two tickets of one citizen, and tags. Every rejected
# request is checked to have changed nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=desk_lib.sh
. "$(dirname "$0")/desk_lib.sh"

# status_as USERNAME ID STATUS [NOTE]: asks for a status change.
status_as() {
	local body
	body=$(python3 -c '
import json, sys
body = {"status": sys.argv[1]}
if len(sys.argv) > 2:
    body["note"] = sys.argv[2]
print(json.dumps(body, ensure_ascii=False))
' "${@:3}")
	api_as "$1" POST "/api/v1/tickets/$2/status" "$body"
}

# json_body KEY VALUE...: prints a JSON object of string members.
json_body() {
	python3 -c '
import json, sys
pairs = sys.argv[1:]
print(json.dumps(dict(zip(pairs[::2], pairs[1::2])), ensure_ascii=False))
' "$@"
}

case_begin "desk actions set-up"
desk_start
report_web "Rác thải đầy hẻm 5"
A1=$ID A1_CODE=$CODE A1_TOKEN=$ACCESS_TOKEN
report_web "Rác cháy âm ỉ ở bãi đất trống"
A4=$ID
report_web "Ổ gà sâu trên cầu"
B1=$ID
report_chat u1 c1 "Rác chưa được thu gom ở chợ" 0912000111
A2=$ID
report_chat u1 c2 "Rác lại tràn ra kênh Xáng"
A3=$ID
case_end

case_begin "status changes the table forbids are 409"
before=$(ticket_state "$A1")
for status in waiting new; do
	status_as a1 "$A1" "$status"
	check_error 409 status_transition_not_allowed status
done
status_as a1 "$A1" assigned
check_error 409 status_transition_not_allowed status
check_unchanged "forbidden status changes" "$A1" "$before"
status_as a1 "$A1" open
check_error 422 invalid_field status
api_as a1 POST "/api/v1/tickets/$A1/status" '{}'
check_error 422 missing_field status
status_as b1 "$A1" in_progress
check_error 403 forbidden
check_unchanged "rejected status changes" "$A1" "$before"
case_end

case_begin "status changes the table allows"
status_as a1 "$A1" in_progress "Đã liên hệ tổ thu gom"
check_status 200
check_equal "status" in_progress "$(json_get "$API_BODY" ticket.status)"
status_as a1 "$A1" waiting
check_status 200
status_as a1 "$A1" in_progress
check_status 200
status_as a1 "$A1" resolved
check_status 200
check_not_equal "resolved_at" null "$(json_get "$API_BODY" ticket.resolved_at)"
status_as a1 "$A1" in_progress
check_status 200
check_equal "reopened resolved_at" null "$(json_get "$API_BODY" ticket.resolved_at)"
status_as a1 "$A1" resolved
check_status 200
status_as a1 "$A1" closed
check_status 200
check_not_equal "closed_at" null "$(json_get "$API_BODY" ticket.closed_at)"
ticket_get "$A1"
check_equal "note of the first change" "Đã liên hệ tổ thu gom" \
	"$(python3 -c '
import json, sys
notes = [m["body"] for m in json.loads(sys.argv[1])["messages"]
         if m["kind"] == "note"]
print(notes[0] if notes else "")
' "$TICKET")"
check_equal "status changes audited" 7 "$(python3 -c '
import json, sys
print(sum(1 for e in json.loads(sys.argv[1])["audit_events"]
          if e["action"] == "ticket.status_changed"))
' "$TICKET")"
before=$(ticket_state "$A1")
status_as sa "$A1" in_progress
check_error 409 status_transition_not_allowed status
check_unchanged "a change from closed" "$A1" "$before"
case_end

case_begin "closing before resolution needs a supervisor"
before=$(ticket_state "$A4")
status_as a1 "$A4" closed
check_error 403 forbidden
check_unchanged "an agent's close" "$A4" "$before"
status_as sa "$A4" closed
check_status 200
check_equal "status" closed "$(json_get "$API_BODY" ticket.status)"
case_end

case_begin "reply to a closed ticket is 409"
before=$(ticket_state "$A1")
api_as a1 POST "/api/v1/tickets/$A1/replies" '{"body":"Chúng tôi đã xử lý."}'
check_error 409 ticket_closed
check_unchanged "a reply to a closed ticket" "$A1" "$before"
case_end

case_begin "reply is queued on the ticket's channel"
reply="Cảm ơn anh, tổ thu gom sẽ đến trong hôm nay."
api_as a2 POST "/api/v1/tickets/$A2/replies" "$(json_body body "$reply")"
check_status 202
check_equal "kind" reply "$(json_get "$API_BODY" message.kind)"
check_equal "direction" out "$(json_get "$API_BODY" message.direction)"
check_equal "delivery_status" queued "$(json_get "$API_BODY" message.delivery_status)"
check_equal "channel" testchat "$(json_get "$API_BODY" message.channel)"
check_equal "agent" "${AGENT_ID[a2]}" "$(json_get "$API_BODY" message.agent_id)"
check_equal "body" "$reply" "$(json_get "$API_BODY" message.body)"
ticket_get "$A2"
check_equal "last message" "$reply" "$(python3 -c '
import json, sys
print(json.loads(sys.argv[1])["messages"][-1]["body"])
' "$TICKET")"
check_contains "audit" "$(json_get "$TICKET" audit_events)" '"message.reply"'
case_end

case_begin "reply to another contact of the citizen"
phone_contact=$(python3 -c '
import json, sys
for contact in json.loads(sys.argv[1])["citizen"]["contacts"]:
    if contact["kind"] == "phone":
        print(contact["id"])
' "$TICKET")
other_contact=$(ticket_field "$B1" citizen.contacts.0.id)
api_as a2 POST "/api/v1/tickets/$A2/replies" \
	"{\"body\":\"Xin gửi anh qua tin nhắn.\",\"contact_id\":$phone_contact,\"language\":\"en\"}"
check_status 202
check_equal "channel of a phone" sms "$(json_get "$API_BODY" message.channel)"
check_equal "contact" "$phone_contact" "$(json_get "$API_BODY" message.contact_id)"
before=$(ticket_state "$A2")
api_as a2 POST "/api/v1/tickets/$A2/replies" \
	"{\"body\":\"Sai người nhận.\",\"contact_id\":$other_contact}"
check_error 422 invalid_field contact_id
check_unchanged "a reply to another citizen's contact" "$A2" "$before"
case_end

case_begin "invalid replies are 422 and change nothing"
before=$(ticket_state "$A2")
api_as a2 POST "/api/v1/tickets/$A2/replies" '{"body":"   "}'
check_error 422 missing_field body
api_as a2 POST "/api/v1/tickets/$A2/replies" '{}'
check_error 422 missing_field body
api_as a2 POST "/api/v1/tickets/$A2/replies" \
	"$(json_body body "$(printf 'ư%.0s' {1..4001})")"
check_error 422 field_too_long body
check_equal "limit" 4000 "$(json_get "$API_BODY" error.limit)"
api_as a2 POST "/api/v1/tickets/$A2/replies" '{"body":"ok","language":"fr"}'
check_error 422 unknown_language language
api_as a2 POST "/api/v1/tickets/$A2/replies" '{"body":"ok","cc":"x"}'
check_error 422 invalid_field cc
api_as a2 POST "/api/v1/tickets/$A2/replies" '{"body":"ok"'
check_error 400 invalid_json
api_as b1 POST "/api/v1/tickets/$A2/replies" '{"body":"ok"}'
check_error 403 forbidden
check_unchanged "invalid replies" "$A2" "$before"
case_end

case_begin "note not visible to the citizen"
api_as a1 POST "/api/v1/tickets/$A1/notes" \
	'{"body":"GHI CHÚ NỘI BỘ: người dân đã gọi lại"}'
check_status 201
check_equal "kind" note "$(json_get "$API_BODY" message.kind)"
check_equal "channel" desk "$(json_get "$API_BODY" message.channel)"
check_equal "delivery_status" null "$(json_get "$API_BODY" message.delivery_status)"
api GET "/api/v1/requests/$A1_CODE?token=$A1_TOKEN"
check_status 200
check_contains "citizen's view" "$API_BODY" "Rác thải đầy hẻm 5"
check_not_contains "citizen's view" "$API_BODY" "GHI CHÚ"
check_not_contains "citizen's view" "$API_BODY" "Đã liên hệ tổ thu gom"
list_ids a1 "q=h%E1%BA%BBm"
check_listed "search of the report" "$A1" yes
list_ids a1 "q=noi%20bo"
check_listed "search of notes" "$A1" no
api_as a1 GET "/api/v1/tickets/$A1"
check_contains "agent's view" "$API_BODY" "GHI CHÚ NỘI BỘ"
case_end

case_begin "claim and its refusals"
api_as a2 POST "/api/v1/tickets/$A3/claim"
check_status 200
check_equal "assignee" "${AGENT_ID[a2]}" "$(json_get "$API_BODY" ticket.assignee_id)"
check_equal "assignee name" a2 "$(json_get "$API_BODY" ticket.assignee.username)"
check_equal "status" assigned "$(json_get "$API_BODY" ticket.status)"
before=$(ticket_state "$A3")
api_as a1 POST "/api/v1/tickets/$A3/claim" '{}'
check_error 409 conflict assignee_id
api_as b1 POST "/api/v1/tickets/$A3/claim"
check_error 403 forbidden
api_as admin POST "/api/v1/tickets/$A3/claim"
check_error 403 forbidden
check_unchanged "refused claims" "$A3" "$before"
api_as a2 POST "/api/v1/tickets/$A3/claim"
check_status 200
check_unchanged "a claim of one's own ticket" "$A3" "$before"
case_end

case_begin "assign by a supervisor"
api_as sa POST "/api/v1/tickets/$A3/assign" "{\"agent_id\":${AGENT_ID[a1]}}"
check_status 200
check_equal "assignee" "${AGENT_ID[a1]}" "$(json_get "$API_BODY" ticket.assignee_id)"
api_as sa POST "/api/v1/tickets/$A3/assign" '{"agent_id":null}'
check_status 200
check_equal "unassigned" null "$(json_get "$API_BODY" ticket.assignee_id)"
check_equal "back to new" new "$(json_get "$API_BODY" ticket.status)"
api_as admin POST "/api/v1/tickets/$A3/assign" "{\"agent_id\":${AGENT_ID[a2]}}"
check_status 200
check_equal "status" assigned "$(json_get "$API_BODY" ticket.status)"
ticket_get "$A3"
check_equal "assignments audited" 4 "$(python3 -c '
import json, sys
print(sum(1 for e in json.loads(sys.argv[1])["audit_events"]
          if e["action"] == "ticket.assigned"))
' "$TICKET")"
case_end

case_begin "assign refusals change nothing"
before=$(ticket_state "$A3")
api_as a1 POST "/api/v1/tickets/$A3/assign" "{\"agent_id\":${AGENT_ID[a1]}}"
check_error 403 forbidden
api_as sb POST "/api/v1/tickets/$A3/assign" "{\"agent_id\":${AGENT_ID[b1]}}"
check_error 403 forbidden
for agent in "${AGENT_ID[b1]}" "${AGENT_ID[off]}" 999999 0 '"a1"'; do
	api_as sa POST "/api/v1/tickets/$A3/assign" "{\"agent_id\":$agent}"
	check_error 422 invalid_field agent_id
done
api_as sa POST "/api/v1/tickets/$A3/assign" '{}'
check_error 422 missing_field agent_id
check_unchanged "refused assignments" "$A3" "$before"
api_as sa POST "/api/v1/tickets/$A1/assign" "{\"agent_id\":${AGENT_ID[a1]}}"
check_error 409 ticket_closed
case_end

case_begin "tags"
api_as a1 PUT "/api/v1/tickets/$A2/tags" \
	"$(python3 -c '
import json, unicodedata
print(json.dumps({"tags": ["Ngập Nước", unicodedata.normalize("NFD", "ngập nước"),
                           " Khẩn "]}, ensure_ascii=False))
')"
check_status 200
check_equal "tags" '["khẩn", "ngập nước"]' "$(json_get "$API_BODY" ticket.tags)"
list_ids a1 "tag=ng%E1%BA%ADp%20n%C6%B0%E1%BB%9Bc"
check_equal "tag filter" "$A2" "$LIST_IDS"
api_as a1 DELETE "/api/v1/tickets/$A2/tags/kh%E1%BA%A9n"
check_status 200
check_equal "tags after delete" '["ngập nước"]' "$(json_get "$API_BODY" ticket.tags)"
before=$(ticket_state "$A2")
api_as a1 DELETE "/api/v1/tickets/$A2/tags/kh%E1%BA%A9n"
check_error 404 not_found tag
api_as a1 PUT "/api/v1/tickets/$A2/tags" \
	"$(python3 -c 'import json; print(json.dumps({"tags": ["t%d" % i for i in range(21)]}))')"
check_error 422 invalid_field tags
api_as a1 PUT "/api/v1/tickets/$A2/tags" "{\"tags\":[\"$(printf 'a%.0s' {1..33})\"]}"
check_error 422 invalid_field tags
api_as a1 PUT "/api/v1/tickets/$A2/tags" '{"tags":[""]}'
check_error 422 invalid_field tags
api_as a1 PUT "/api/v1/tickets/$A2/tags" '{"tags":"khẩn"}'
check_error 422 invalid_field tags
api_as a1 PUT "/api/v1/tickets/$A2/tags" '{"tags":["a\u0085b"]}'
check_error 422 invalid_field tags
check_contains "tag message names control characters" "$API_BODY" "control characters"
api_as a1 PUT "/api/v1/tickets/$A2/tags" '{"tags":["a\u0001b"]}'
check_error 422 invalid_field tags
api_as b1 PUT "/api/v1/tickets/$A2/tags" '{"tags":["x"]}'
check_error 403 forbidden
api_as b1 DELETE "/api/v1/tickets/$A2/tags/ng%E1%BA%ADp%20n%C6%B0%E1%BB%9Bc"
check_error 403 forbidden
check_unchanged "refused tag changes" "$A2" "$before"
api_as a1 PUT "/api/v1/tickets/$A2/tags" '{"tags":[]}'
check_status 200
check_equal "no tags" '[]' "$(json_get "$API_BODY" ticket.tags)"
case_end

case_begin "duplicate tags count once"
api_as a1 PUT "/api/v1/tickets/$A2/tags" \
	"$(python3 -c 'import json; print(json.dumps({"tags": ["t%d" % i for i in range(20)] + ["t0", "T1"]}))')"
check_status 200
check_equal "20 distinct tags" 20 "$(json_length "$(json_get "$API_BODY" ticket.tags)")"
api_as a1 PUT "/api/v1/tickets/$A2/tags" '{"tags":[]}'
check_status 200
case_end

case_begin "merge refusals change nothing"
api_as a1 PUT "/api/v1/tickets/$A3/tags" '{"tags":["rác kênh"]}'
check_status 200
source_before=$(ticket_state "$A3")
target_before=$(ticket_state "$A2")
api_as a1 POST "/api/v1/tickets/$A3/merge" "{\"into\":$A4}"
check_error 409 ticket_closed into
api_as a1 POST "/api/v1/tickets/$A3/merge" "{\"into\":$A3}"
check_error 422 invalid_field into
api_as admin POST "/api/v1/tickets/$A3/merge" "{\"into\":$B1}"
check_error 422 invalid_field into
api_as a1 POST "/api/v1/tickets/$A3/merge" "{\"into\":$B1}"
check_error 403 forbidden
api_as a1 POST "/api/v1/tickets/$A3/merge" \
	"{\"into\":\"$(ticket_code_with_check 987654321)\"}"
check_error 404 not_found into
api_as a1 POST "/api/v1/tickets/$A3/merge" '{"into":"12-34"}'
check_error 422 invalid_field into
check_unchanged "refused merges (source)" "$A3" "$source_before"
check_unchanged "refused merges (target)" "$A2" "$target_before"
case_end

case_begin "merge two tickets of one citizen"
source_messages=$(json_length "$(ticket_field "$A3" messages)")
target_messages=$(json_length "$(ticket_field "$A2" messages)")
api_as a1 POST "/api/v1/tickets/$A3/merge" "{\"into\":\"$(ticket_field "$A2" code)\"}"
check_status 200
check_equal "target" "$A2" "$(json_get "$API_BODY" ticket.id)"
check_equal "source status" closed "$(json_get "$API_BODY" merged.status)"
check_equal "merged_into" "$A2" "$(json_get "$API_BODY" merged.merged_into)"
check_equal "tags follow" '["rác kênh"]' "$(json_get "$API_BODY" ticket.tags)"
ticket_get "$A2"
check_equal "target messages" $((source_messages + target_messages)) \
	"$(json_length "$(json_get "$TICKET" messages)")"
check_contains "target audit" "$(json_get "$TICKET" audit_events)" '"ticket.merge_received"'
ticket_get "$A3"
check_equal "source messages" 0 "$(json_length "$(json_get "$TICKET" messages)")"
check_contains "source audit" "$(json_get "$TICKET" audit_events)" '"ticket.merged"'
list_ids a1 "q=k%C3%AAnh%20X%C3%A1ng"
check_equal "search follows the messages" "$A2" "$LIST_IDS"
source_before=$(ticket_state "$A3")
api_as a1 POST "/api/v1/tickets/$A3/merge" "{\"into\":$A2}"
check_error 409 ticket_closed id
api_as a1 POST "/api/v1/tickets/$A3/replies" '{"body":"x"}'
check_error 409 ticket_closed
check_unchanged "actions on a merged ticket" "$A3" "$source_before"
case_end

case_begin "citizen writing on a merged conversation joins the target"
report_chat u1 c2 "Kênh vẫn đầy rác"
check_equal "answer" joined "$CHAT_STATUS"
check_equal "ticket" "$A2" "$ID"
case_end

hub_stop
tests_done
