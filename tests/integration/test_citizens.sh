#!/usr/bin/env bash
# The citizens API through the real daemon. A citizen is found by phone,
# email or name and read with every contact and ticket, limited to the
# caller's departments, and each read leaves a "citizen.read" audit event.
# Two citizens are merged by hand, after the requests a merge rejects. A
# blocked contact's next web submission, JSON or form, is rejected with
# contact_blocked until the contact is unblocked. Every rejected request is checked to change nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=citizens_lib.sh
. "$(dirname "$0")/citizens_lib.sh"

PHONE=0912345678
PHONE_E164=+84912345678

case_begin "daemon starts with agents of two departments"
hub_start || exit 1
agent_add lan agent roads
agent_add minh agent environment
agent_add hoa supervisor roads
login lan
LAN_TOKEN=$DESK_TOKEN
LAN_ID=$DESK_AGENT_ID
login minh
MINH_TOKEN=$DESK_TOKEN
login hoa
HOA_TOKEN=$DESK_TOKEN
check_not_equal "lan's token" "" "$LAN_TOKEN"
case_end

case_begin "two reports from one phone make two citizens"
file_report "Nguyễn Văn An" "$PHONE" "An.Nguyen@Example.org" \
	"Đèn đường trước nhà số 12 không sáng"
LIGHT_CODE=$REPORT_CODE
file_report "Nguyễn Văn An" "$PHONE" "" "Rác thải đổ trộm ở đầu hẻm"
WASTE_CODE=$REPORT_CODE
ANH=$(citizen_of_code "$LIGHT_CODE")
ANH_WASTE=$(citizen_of_code "$WASTE_CODE")
check_not_equal "citizen of the waste report" "$ANH" "$ANH_WASTE"
case_end

case_begin "admin finds both citizens by phone"
api_admin GET "/api/v1/citizens?phone=$(url_encode "0912 345 678")"
check_status 200
check_equal "citizens found" 2 "$(json_query "$API_BODY" "len(d['citizens'])")"
check_equal "newest first" "$ANH_WASTE" "$(json_get "$API_BODY" citizens.0.id)"
check_equal "next_before" null "$(json_get "$API_BODY" next_before)"
case_end

case_begin "citizen shows every contact and ticket"
api_admin GET "/api/v1/citizens/$ANH"
check_status 200
check_equal "name" "Nguyễn Văn An" "$(json_get "$API_BODY" citizen.name)"
check_equal "contacts" '["phone:+84912345678:False:None", "email:An.Nguyen@example.org:False:None"]' \
	"$(json_query "$API_BODY" "[c['kind'] + ':' + c['value'] + ':' + str(c['verified']) + ':' + str(c['blocked_at']) for c in d['citizen']['contacts']]")"
check_equal "ticket code" "$LIGHT_CODE" "$(json_get "$API_BODY" citizen.tickets.0.code)"
check_equal "ticket status" new "$(json_get "$API_BODY" citizen.tickets.0.status)"
check_equal "ticket department" roads "$(json_get "$API_BODY" citizen.tickets.0.department)"
check_equal "ticket category" lighting "$(json_get "$API_BODY" citizen.tickets.0.category)"
check_match "ticket created_at" "$(json_get "$API_BODY" citizen.tickets.0.created_at)" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+07:00$'
case_end

case_begin "email in another case and name words find the citizen"
api_admin GET "/api/v1/citizens?email=an.nguyen%40example.org"
check_status 200
check_equal "citizen by email" "$ANH" "$(json_get "$API_BODY" citizens.0.id)"
api_admin GET "/api/v1/citizens?q=$(url_encode "nguyen AN")"
check_status 200
check_equal "citizens by folded name" 2 "$(json_query "$API_BODY" "len(d['citizens'])")"
api_admin GET "/api/v1/citizens?q=$(url_encode "Nguyễn Bình")"
check_status 200
check_equal "citizens by a name that does not match" 0 \
	"$(json_query "$API_BODY" "len(d['citizens'])")"
api_admin GET "/api/v1/citizens?q=nguyen&limit=1"
check_status 200
check_equal "first page" "$ANH_WASTE" "$(json_get "$API_BODY" citizens.0.id)"
check_equal "next_before of a full page" "$ANH_WASTE" "$(json_get "$API_BODY" next_before)"
api_admin GET "/api/v1/citizens?q=nguyen&limit=1&before_id=$ANH_WASTE"
check_equal "second page" "$ANH" "$(json_get "$API_BODY" citizens.0.id)"
case_end

case_begin "agent sees only citizens and tickets of own department"
api_as "$LAN_TOKEN" GET "/api/v1/citizens?phone=$PHONE"
check_status 200
check_equal "citizens lan finds" "[$ANH]" "$(json_query "$API_BODY" "[c['id'] for c in d['citizens']]")"
api_as "$LAN_TOKEN" GET "/api/v1/citizens/$ANH_WASTE"
check_status 404
check_equal "error.field" id "$(json_get "$API_BODY" error.field)"
api_as "$LAN_TOKEN" GET "/api/v1/citizens/$ANH"
check_status 200
check_equal "tickets lan sees" "[\"$LIGHT_CODE\"]" \
	"$(json_query "$API_BODY" "[t['code'] for t in d['citizen']['tickets']]")"
api_as "$MINH_TOKEN" GET "/api/v1/citizens/$ANH"
check_status 404
api_as "$MINH_TOKEN" GET "/api/v1/citizens/$ANH_WASTE"
check_status 200
check_equal "tickets minh sees" "[\"$WASTE_CODE\"]" \
	"$(json_query "$API_BODY" "[t['code'] for t in d['citizen']['tickets']]")"
case_end

case_begin "citizen.read audit names the agent"
api_admin GET "/api/v1/audit?citizen=$ANH&action=citizen.read&agent=$LAN_ID"
check_status 200
check_ge "citizen.read events of lan" 2 "$(json_query "$API_BODY" "len(d['events'])")"
check_equal "actor" "agent:$LAN_ID:lan" "$(json_get "$API_BODY" events.0.actor)"
check_equal "agent_id" "$LAN_ID" "$(json_get "$API_BODY" events.0.agent_id)"
check_equal "citizen_id" "$ANH" "$(json_get "$API_BODY" events.0.citizen_id)"
check_equal "detail of the newest" '{"by": "id"}' "$(json_get "$API_BODY" events.0.detail)"
check_equal "detail of the search" '{"by": "phone"}' "$(json_get "$API_BODY" events.1.detail)"
check_match "created_at" "$(json_get "$API_BODY" events.0.created_at)" '\+07:00$'
case_end

case_begin "bad searches are 422 and unauthenticated is 401"
api_admin GET "/api/v1/citizens?phone=12ab"
check_status 422
check_equal "invalid phone field" phone "$(json_get "$API_BODY" error.field)"
api_admin GET "/api/v1/citizens?email=not-an-address"
check_equal "invalid email field" email "$(json_get "$API_BODY" error.field)"
api_admin GET "/api/v1/citizens"
check_status 422
check_equal "missing search" missing_field "$(json_get "$API_BODY" error.code)"
api_admin GET "/api/v1/citizens?phone=$PHONE&q=an"
check_status 422
check_equal "two searches" q "$(json_get "$API_BODY" error.field)"
# A valid email after a phone: the message asks for one search term and
# does not call the address invalid.
api_admin GET "/api/v1/citizens?phone=$PHONE&email=an.nguyen%40example.org"
check_status 422
check_equal "phone and email code" invalid_field "$(json_get "$API_BODY" error.code)"
check_equal "phone and email field" email "$(json_get "$API_BODY" error.field)"
check_contains "phone and email message en" "$(json_get "$API_BODY" error.message.en)" \
	"Send only one search term: phone, email or q"
check_contains "phone and email message vi" "$(json_get "$API_BODY" error.message.vi)" \
	"Chỉ gửi một điều kiện tìm kiếm"
check_not_contains "phone and email message" "$API_BODY" "expected an email address"
for limit in 0 101 abc -1; do
	api_admin GET "/api/v1/citizens?q=an&limit=$limit"
	check_status 422
	check_equal "limit=$limit code" invalid_field "$(json_get "$API_BODY" error.code)"
	check_equal "limit=$limit field" limit "$(json_get "$API_BODY" error.field)"
	check_equal "limit=$limit bound" 100 "$(json_get "$API_BODY" error.limit)"
	check_not_contains "limit=$limit message" "$API_BODY" "longer than"
done
for query in "q=" "q=%20%20" "q=%09"; do
	api_admin GET "/api/v1/citizens?$query"
	check_status 422
	check_equal "$query code" missing_field "$(json_get "$API_BODY" error.code)"
	check_equal "$query field" q "$(json_get "$API_BODY" error.field)"
done
api_admin GET "/api/v1/citizens?q=%FF"
check_equal "q not UTF-8" invalid_field "$(json_get "$API_BODY" error.code)"
check_equal "q not UTF-8 field" q "$(json_get "$API_BODY" error.field)"
api_admin GET "/api/v1/citizens?q=$(printf 'a%.0s' {1..101})"
check_equal "long q" field_too_long "$(json_get "$API_BODY" error.code)"
check_equal "long q bound" 100 "$(json_get "$API_BODY" error.limit)"
api_admin GET "/api/v1/citizens?q=an&sort=name"
check_equal "unknown parameter" sort "$(json_get "$API_BODY" error.field)"
api GET "/api/v1/citizens?q=an"
check_status 401
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH"
check_status 405
api_admin GET "/api/v1/citizens/abc"
check_status 404
api_admin GET "/api/v1/citizens/999999"
check_status 404
case_end

audit_before=$(stats_count audit_events)

case_begin "merge by an agent is 403 and changes nothing"
api_as "$LAN_TOKEN" POST "/api/v1/citizens/$ANH/merge" "{\"from\": $ANH_WASTE}"
check_status 403
api_as "$HOA_TOKEN" POST "/api/v1/citizens/$ANH/merge" "{\"from\": $ANH_WASTE}"
check_status 404
check_equal "citizen outside the supervisor's departments" from \
	"$(json_get "$API_BODY" error.field)"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH/merge" "{\"from\": $ANH}"
check_status 422
check_equal "merge into itself" from "$(json_get "$API_BODY" error.field)"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH/merge" '{"from": 999999}'
check_status 404
check_equal "unknown from" from "$(json_get "$API_BODY" error.field)"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/999999/merge" "{\"from\": $ANH}"
check_status 404
check_equal "unknown id" id "$(json_get "$API_BODY" error.field)"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH/merge" '{}'
check_equal "missing from" missing_field "$(json_get "$API_BODY" error.code)"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH/merge" '{"from": "2"}'
check_equal "from as text" invalid_field "$(json_get "$API_BODY" error.code)"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH/merge" "{\"from\": $ANH_WASTE, \"x\": 1}"
check_equal "unknown member" x "$(json_get "$API_BODY" error.field)"
check_equal "audit events after refused merges" "$audit_before" "$(stats_count audit_events)"
api_admin GET "/api/v1/citizens/$ANH_WASTE"
check_equal "other citizen still has its ticket" "$WASTE_CODE" \
	"$(json_get "$API_BODY" citizen.tickets.0.code)"
check_equal "other citizen not merged" null "$(json_get "$API_BODY" citizen.merged_into)"
case_end

case_begin "manual merge moves contacts and tickets"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH/merge" "{\"from\": $ANH_WASTE}"
check_status 200
check_equal "tickets_moved" 1 "$(json_get "$API_BODY" tickets_moved)"
check_equal "contacts_moved" 1 "$(json_get "$API_BODY" contacts_moved)"
check_equal "contacts_joined" 1 "$(json_get "$API_BODY" contacts_joined)"
api_admin GET "/api/v1/citizens/$ANH"
check_equal "tickets after the merge" "[\"$WASTE_CODE\", \"$LIGHT_CODE\"]" \
	"$(json_query "$API_BODY" "[t['code'] for t in d['citizen']['tickets']]")"
check_equal "phone kept once" 1 \
	"$(json_query "$API_BODY" "len([c for c in d['citizen']['contacts'] if c['value'] == '$PHONE_E164'])")"
check_equal "merged_from" "[$ANH_WASTE]" "$(json_get "$API_BODY" citizen.merged_from)"
api_admin GET "/api/v1/citizens/$ANH_WASTE"
check_equal "merged_into" "$ANH" "$(json_get "$API_BODY" citizen.merged_into)"
api_admin GET "/api/v1/citizens?phone=$PHONE"
check_equal "merged citizen no longer listed" "[$ANH]" \
	"$(json_query "$API_BODY" "[c['id'] for c in d['citizens']]")"
api_admin GET "/api/v1/audit?citizen=$ANH&action=citizen.merge"
check_equal "citizen.merge actor" admin-token "$(json_get "$API_BODY" events.0.actor)"
check_equal "citizen.merge detail from" "$ANH_WASTE" "$(json_get "$API_BODY" events.0.detail.from)"
api_admin GET "/api/v1/audit?citizen=$ANH_WASTE&action=citizen.merged_into"
check_equal "citizen.merged_into actor" admin-token "$(json_get "$API_BODY" events.0.actor)"
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH/merge" "{\"from\": $ANH_WASTE}"
check_status 422
check_equal "merging an already merged citizen" from "$(json_get "$API_BODY" error.field)"
case_end

case_begin "erasing a merged citizen names the citizen to erase"
audit_before=$(stats_count audit_events)
api_as "$HUB_TOKEN" POST "/api/v1/citizens/$ANH_WASTE/erase"
check_status 422
check_equal "merged erase code" invalid_field "$(json_get "$API_BODY" error.code)"
check_equal "merged erase field" id "$(json_get "$API_BODY" error.field)"
check_equal "merged erase target" "$ANH" "$(json_get "$API_BODY" error.merged_into)"
check_contains "merged erase message en" "$(json_get "$API_BODY" error.message.en)" "was merged into"
check_contains "merged erase message vi" "$(json_get "$API_BODY" error.message.vi)" "đã được gộp vào"
check_equal "audit events after the refused erasure" "$audit_before" "$(stats_count audit_events)"
api_admin GET "/api/v1/citizens/$ANH"
check_equal "target citizen keeps its name" "Nguyễn Văn An" "$(json_get "$API_BODY" citizen.name)"
case_end

case_begin "blocked contact is rejected until unblocked"
api_admin GET "/api/v1/citizens/$ANH"
PHONE_ID=$(json_query "$API_BODY" "[c['id'] for c in d['citizen']['contacts'] if c['kind'] == 'phone'][0]")
tickets_before=$(stats_count tickets)
audit_before=$(stats_count audit_events)
api_as "$LAN_TOKEN" POST "/api/v1/contacts/$PHONE_ID/block" '{"reason": "spam"}'
check_status 403
api_as "$HOA_TOKEN" POST "/api/v1/contacts/$PHONE_ID/block" '{}'
check_status 422
check_equal "missing reason" reason "$(json_get "$API_BODY" error.field)"
api_as "$HOA_TOKEN" POST "/api/v1/contacts/999999/block" '{"reason": "spam"}'
check_status 404
check_equal "audit events after refused blocks" "$audit_before" "$(stats_count audit_events)"

api_as "$HOA_TOKEN" POST "/api/v1/contacts/$PHONE_ID/block" \
	"{\"reason\": \"Gửi tin rác liên tục từ số $PHONE\"}"
check_status 200
check_equal "blocked" true "$(json_get "$API_BODY" blocked)"
check_match "blocked_at" "$(json_get "$API_BODY" blocked_at)" '\+07:00$'
api POST /api/v1/requests "$(report_body "Nguyễn Văn An" "$PHONE" "" "Đèn đường lại hỏng")"
check_status 403
check_equal "error.code" contact_blocked "$(json_get "$API_BODY" error.code)"
check_equal "error.field" phone "$(json_get "$API_BODY" error.field)"
check_equal "tickets after the blocked submission" "$tickets_before" "$(stats_count tickets)"
for lang in vi en; do
	form_token_get "lang=$lang"
	api POST "/api/v1/requests?lang=$lang" "$(form_encode form_token "$FORM_TOKEN" \
		name "Nguyễn Văn An" phone "$PHONE" description "Đèn đường lại hỏng" \
		language "$lang" consent yes)"
	check_status 403
	check_contains "blocked phone on the $lang form" "$API_BODY" 'aria-invalid="true"'
	if [ "$lang" = vi ]; then
		check_contains "vi form message" "$API_BODY" \
			"“Số điện thoại” bạn nhập đã bị chặn vì lạm dụng dịch vụ"
		check_contains "vi form advice" "$API_BODY" "liên hệ trực tiếp bộ phận một cửa"
	else
		check_contains "en form message" "$API_BODY" \
			"The “Phone number” you entered is blocked for abusing the service"
		check_contains "en form advice" "$API_BODY" "contact the one-stop desk in person"
	fi
done
check_equal "tickets after the blocked form posts" "$tickets_before" "$(stats_count tickets)"
api_admin GET "/api/v1/citizens/$ANH"
check_not_equal "blocked_at in the citizen view" null \
	"$(json_query "$API_BODY" "[c['blocked_at'] for c in d['citizen']['contacts'] if c['id'] == $PHONE_ID][0]")"
api_admin GET "/api/v1/audit?action=contact.block&limit=1"
check_equal "contact.block actor" "agent:" "$(json_get "$API_BODY" events.0.actor | cut -c1-6)"
check_equal "contact.block masked value" "+84******678" "$(json_get "$API_BODY" events.0.detail.value)"
check_equal "contact.block reason" "Gửi tin rác liên tục từ số *******678" \
	"$(json_get "$API_BODY" events.0.detail.reason)"
check_not_contains "contact.block event" "$API_BODY" "912345678"
api_as "$HOA_TOKEN" DELETE "/api/v1/contacts/$PHONE_ID/block"
check_status 200
api_as "$HOA_TOKEN" POST "/api/v1/contacts/$PHONE_ID/block" \
	'{"reason": "x a@b.vn y a@example.org z ab@cd.vn w lan@b.co v x@gmail.com"}'
check_status 200
api_admin GET "/api/v1/audit?action=contact.block&limit=1"
check_equal "one-letter emails masked in the reason" \
	"x *@b.vn y *@example.org z a*@cd.vn w l**@b.co v *@gmail.com" \
	"$(json_get "$API_BODY" events.0.detail.reason)"

api_as "$HOA_TOKEN" DELETE "/api/v1/contacts/$PHONE_ID/block"
check_status 200
check_equal "unblocked" false "$(json_get "$API_BODY" blocked)"
api POST /api/v1/requests "$(report_body "Nguyễn Văn An" "$PHONE" "" "Đèn đường lại hỏng")"
check_status 201
check_equal "tickets after unblocking" "$((tickets_before + 1))" "$(stats_count tickets)"
api_admin GET "/api/v1/audit?action=contact.unblock"
check_equal "contact.unblock events" 2 "$(json_query "$API_BODY" "len(d['events'])")"
case_end

case_begin "daemon stops cleanly"
hub_stop
case_end

tests_done
