#!/usr/bin/env bash
# Status lookups: GET /api/v1/requests/{code} and the /lookup page. Without a
# second factor a lookup shows the ticket's public status only. The access
# token, the last four phone digits or the email add the messages, sent in
# the query or, from the lookup form, as a form post. Wrong factors are
# rejected, and five wrong phone digits or emails lock those two factors of
# the ticket while the token keeps working. Unknown codes are 404,
# lookups are rate-limited per address, and a phone typed on the web form
# never opens another citizen's ticket.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# header_value FILE NAME: prints the value of header NAME in a curl -D dump.
header_value() {
	tr -d '\r' <"$1" | sed -n "s/^$2: *//Ip" | tail -n 1
}

# has_messages JSON: whether the response has a "messages" member.
has_messages() {
	json_get "$1" messages >/dev/null
}

# submit_json BODY: files BODY and sets CODE, CODE_DISPLAY and ACCESS_TOKEN,
# or records a failure and sets them to "".
submit_json() {
	CODE="" CODE_DISPLAY="" ACCESS_TOKEN=""
	api POST /api/v1/requests "$1"
	check_status 201
	CODE=$(json_get "$API_BODY" code) || CODE=""
	CODE_DISPLAY=$(json_get "$API_BODY" code_display) || CODE_DISPLAY=""
	ACCESS_TOKEN=$(json_get "$API_BODY" access_token) || ACCESS_TOKEN=""
}

# submit_form PHONE DESCRIPTION: files a report through the HTML form and
# sets CODE and ACCESS_TOKEN from the page, or records a failure and sets
# them to "".
submit_form() {
	CODE="" ACCESS_TOKEN=""
	form_token_get
	api POST "/api/v1/requests?lang=vi" "$(form_encode \
		form_token "$FORM_TOKEN" website "" name "Người dân" \
		phone "$1" description "$2" consent yes)"
	check_status 201
	CODE=$(printf '%s' "$API_BODY" |
		sed -n 's/.*\/lookup?code=\([0-9]*\)&amp;token=\([0-9a-f]*\).*/\1/p' |
		head -n 1)
	ACCESS_TOKEN=$(printf '%s' "$API_BODY" |
		sed -n 's/.*\/lookup?code=\([0-9]*\)&amp;token=\([0-9a-f]*\).*/\2/p' |
		head -n 1)
	[ -n "$CODE" ] || fail "no status link on the page after the form post"
}

# The config of lib.sh, with channels.web.factor_table_size set to
# WEB_FACTOR_TABLE_SIZE and rate_limits.lookup_per_minute to
# HUB_LOOKUP_PER_MINUTE when they are not empty.
WEB_FACTOR_TABLE_SIZE=""
HUB_LOOKUP_PER_MINUTE=""
eval "lib_$(declare -f hub_config_write)"
hub_config_write() {
	lib_hub_config_write "$1"
	if [ -n "$WEB_FACTOR_TABLE_SIZE" ]; then
		sed -i "s/\"min_fill_seconds\": \([0-9]*\) }/\"min_fill_seconds\": \1, \"factor_table_size\": $WEB_FACTOR_TABLE_SIZE }/" "$1"
	fi
	if [ -n "$HUB_LOOKUP_PER_MINUTE" ]; then
		sed -i "s/\"lookup_per_minute\": [0-9]*/\"lookup_per_minute\": $HUB_LOOKUP_PER_MINUTE/" "$1"
	fi
}

# admin_ticket CODE: sets TICKET to the admin API's JSON of ticket CODE.
admin_ticket() {
	api_admin GET "/api/v1/tickets/$1"
	check_status 200
	TICKET=$API_BODY
}

case_begin "daemon starts for lookups"
hub_start
case_end

citizen_name="Phạm Thị Hoa"
citizen_phone="0987123456"
citizen_email="hoa.pham@example.org"
citizen_text="Cây đổ chắn ngang đường Hai Bà Trưng từ sáng nay."
submit_json "$(python3 -c '
import json, sys
print(json.dumps({"name": sys.argv[1], "phone": sys.argv[2],
                  "email": sys.argv[3], "description": sys.argv[4],
                  "category": "environment", "consent": True},
                 ensure_ascii=False))
' "$citizen_name" "$citizen_phone" "$citizen_email" "$citizen_text")"
code=$CODE
code_display=$CODE_DISPLAY
access_token=$ACCESS_TOKEN

# --- Public status ------------------------------------------------------------

case_begin "lookup by plain code"
api GET "/api/v1/requests/$code"
check_status 200
check_equal "ticket.code" "$code" "$(json_get "$API_BODY" ticket.code)"
check_equal "ticket.status" new "$(json_get "$API_BODY" ticket.status)"
for key in category department due_at created_at; do
	json_get "$API_BODY" "ticket.$key" >/dev/null ||
		fail "ticket.$key missing from $(lib_shorten "$API_BODY")"
done
has_messages "$API_BODY" && fail "messages shown without a second factor"
case_end

case_begin "lookup by grouped code"
api GET "/api/v1/requests/$code_display"
check_status 200
check_equal "ticket.code" "$code" "$(json_get "$API_BODY" ticket.code)"
api GET "/api/v1/requests/${code:0:4}%20${code:4:4}%20${code:8:2}"
check_status 200
check_equal "ticket.code (spaces)" "$code" "$(json_get "$API_BODY" ticket.code)"
case_end

case_begin "status shows no personal data"
api GET "/api/v1/requests/$code"
check_status 200
check_not_contains "status" "$API_BODY" "$citizen_name"
check_not_contains "status" "$API_BODY" "${citizen_phone:1}"
check_not_contains "status" "$API_BODY" "$citizen_email"
check_not_contains "status" "$API_BODY" "$citizen_text"
case_end

# --- Second factors -------------------------------------------------------------

case_begin "token shows the messages"
api GET "/api/v1/requests/$code?token=$access_token"
check_status 200
check_contains "messages" "$(json_get "$API_BODY" messages)" "$citizen_text"
case_end

case_begin "phone last4 shows the messages"
api GET "/api/v1/requests/$code?phone_last4=${citizen_phone: -4}"
check_status 200
check_contains "messages" "$(json_get "$API_BODY" messages)" "$citizen_text"
case_end

case_begin "email shows the messages"
api GET "/api/v1/requests/$code?email=$citizen_email"
check_status 200
check_contains "messages" "$(json_get "$API_BODY" messages)" "$citizen_text"
check_not_contains "response with email" "$API_BODY" "${citizen_phone:1}"
api GET "/api/v1/requests/$code?email=${citizen_email^^}"
check_status 200
check_contains "messages (upper-case email)" "$(json_get "$API_BODY" messages)" \
	"$citizen_text"
case_end

case_begin "malformed phone last4 is 422"
for digits in 123 12345 12ab; do
	api GET "/api/v1/requests/$code?phone_last4=$digits"
	check_status 422
	check_equal "error.field ($digits)" phone_last4 \
		"$(json_get "$API_BODY" error.field)"
	has_messages "$API_BODY" && fail "messages shown with phone_last4=$digits"
done
case_end

case_begin "repeated factor parameter is 422"
for query in "phone_last4=5678&phone_last4=3456" "email=a%40b.vn&email=c%40d.vn" \
	"token=$access_token&token=$access_token"; do
	api GET "/api/v1/requests/$code?$query"
	check_status 422
	check_equal "error.code ($query)" invalid_field \
		"$(json_get "$API_BODY" error.code)"
	check_equal "error.field ($query)" "${query%%=*}" \
		"$(json_get "$API_BODY" error.field)"
	has_messages "$API_BODY" && fail "messages shown with $query"
done
api GET "/lookup?code=$code&lang=en&phone_last4=${citizen_phone: -4}&phone_last4=0000"
check_status 422
check_contains "page" "$API_BODY" '“Last 4 digits of your phone” is not valid'
check_not_contains "page" "$API_BODY" "$citizen_text"
case_end

case_begin "two factors at once are 422"
for query in "phone_last4=${citizen_phone: -4}&email=$citizen_email" \
	"token=$access_token&phone_last4=${citizen_phone: -4}" \
	"email=$citizen_email&token=$access_token"; do
	api GET "/api/v1/requests/$code?$query"
	check_status 422
	check_equal "error.code ($query)" invalid_field \
		"$(json_get "$API_BODY" error.code)"
	second=${query#*&}
	check_equal "error.field ($query)" "${second%%=*}" \
		"$(json_get "$API_BODY" error.field)"
	has_messages "$API_BODY" && fail "messages shown with $query"
done
api GET "/api/v1/requests/$code?phone_last4=${citizen_phone: -4}&email=$citizen_email"
check_contains "error.message.en" "$(json_get "$API_BODY" error.message.en)" \
	"Send only one second factor: token, phone_last4 or email."
check_contains "error.message.vi" "$(json_get "$API_BODY" error.message.vi)" \
	"Chỉ gửi một yếu tố xác minh thứ hai: token, phone_last4 hoặc email."
check_not_contains "error.message.en" \
	"$(json_get "$API_BODY" error.message.en)" "expected an email address"
api GET "/lookup?code=$code&phone_last4=${citizen_phone: -4}&email=$citizen_email"
check_status 422
check_contains "page" "$API_BODY" \
	'Chỉ nhập một trong hai: 4 số cuối của số điện thoại, hoặc địa chỉ email.'
check_contains "page" "$API_BODY" 'maxlength="254" aria-invalid="true"'
check_not_contains "page" "$API_BODY" "$citizen_text"
api GET "/lookup?code=$code&phone_last4=${citizen_phone: -4}&email="
check_status 200
check_contains "page with an empty email" "$API_BODY" "$citizen_text"
case_end

case_begin "lookup email maxlength 254"
for query in "" "lang=en" "code=$code" "code=$code&lang=en"; do
	api GET "/lookup?$query"
	check_status 200
	check_contains "email input (/lookup?$query)" "$API_BODY" \
		'name="email" autocomplete="email" maxlength="254"'
	check_not_contains "/lookup?$query" "$API_BODY" 'maxlength="320"'
done
case_end

case_begin "status page in vietnamese"
api GET "/lookup?code=$code&token=$access_token"
check_status 200
check_contains "page" "$API_BODY" '<html lang="vi">'
check_contains "page" "$API_BODY" '<span class="status">Mới tiếp nhận</span>'
check_contains "page" "$API_BODY" "$citizen_text"
check_contains "page" "$API_BODY" "$code_display"
case_end

case_begin "lookup form posts"
for query in "" "lang=en"; do
	api GET "/lookup?$query"
	check_contains "form (/lookup?$query)" "$API_BODY" \
		'<form method="post" action="/lookup" class="card">'
	check_not_contains "/lookup?$query" "$API_BODY" 'method="get"'
done
api GET "/lookup?code=$code"
check_contains "factor form" "$API_BODY" \
	'<form method="post" action="/lookup" class="card">'
check_not_contains "status page" "$API_BODY" 'method="get"'
case_end

case_begin "lookup by form post"
api POST /lookup "$(form_encode lang vi code "$code_display" \
	phone_last4 "${citizen_phone: -4}" email "")"
check_status 200
check_contains "page" "$API_BODY" '<html lang="vi">'
check_contains "page" "$API_BODY" "$citizen_text"
check_not_contains "page" "$API_BODY" "phone_last4=${citizen_phone: -4}"
check_not_contains "page" "$API_BODY" "phone_last4="
check_not_contains "page" "$API_BODY" "email="
api POST /lookup "$(form_encode lang en code "$code" phone_last4 "" \
	email "$citizen_email")"
check_status 200
check_contains "page" "$API_BODY" '<html lang="en">'
check_contains "page" "$API_BODY" "$citizen_text"
check_not_contains "page" "$API_BODY" "$citizen_email"
check_not_contains "page" "$API_BODY" "email="
api POST /lookup "$(form_encode lang vi code "$code" \
	phone_last4 "${citizen_phone: -4}" email "$citizen_email")"
check_status 422
check_contains "page" "$API_BODY" 'Chỉ nhập một trong hai'
check_not_contains "page" "$API_BODY" "$citizen_text"
api POST /lookup "$(form_encode lang vi code abc)"
check_status 404
check_contains "page" "$API_BODY" "Không tìm thấy phản ánh có mã này"
api POST /lookup "code=$code" -H 'Content-Type: text/plain'
check_status 415
case_end

case_begin "status link by get"
api GET "/lookup?code=$code&token=$access_token"
check_status 200
check_contains "page" "$API_BODY" "$citizen_text"
case_end

case_begin "status page without factor"
api GET "/lookup?code=$code"
check_status 200
check_contains "page" "$API_BODY" "Mới tiếp nhận"
check_not_contains "page" "$API_BODY" "$citizen_text"
check_not_contains "page" "$API_BODY" "$citizen_name"
case_end

# A ticket of its own for wrong tokens, which never lock it.
submit_json '{"description":"Ống nước vỡ.","phone":"0905111222","consent":true}'
token_code=$CODE

case_begin "wrong tokens do not lock"
for i in 1 2 3 4 5 6 7; do
	api GET "/api/v1/requests/$token_code?token=0123456789abcdef0123456789abcde$i"
	check_status 403
done
api GET "/api/v1/requests/$token_code?phone_last4=1222"
check_status 200
has_messages "$API_BODY" || fail "no messages after wrong tokens"
case_end

# A ticket of its own for the wrong factors, which lock it after five.
submit_json '{"description":"Vỉa hè bị lấn chiếm.","phone":"0905555777","consent":true}'
locked_code=$CODE
locked_token=$ACCESS_TOKEN

case_begin "wrong factors are 403"
for query in "token=0123456789abcdef0123456789abcdef" "phone_last4=0000" \
	"email=someone.else@example.org"; do
	api GET "/api/v1/requests/$locked_code?$query"
	check_status 403
	check_equal "error.code ($query)" forbidden \
		"$(json_get "$API_BODY" error.code)"
	check_equal "error.field ($query)" "${query%%=*}" \
		"$(json_get "$API_BODY" error.field)"
	has_messages "$API_BODY" && fail "messages shown with $query"
done
case_end

case_begin "five wrong factors lock lookup"
# The wrong token above does not count: two wrong values so far.
api GET "/api/v1/requests/$locked_code?phone_last4=1234"
check_status 403
api GET "/api/v1/requests/$locked_code?phone_last4=4321"
check_status 403
api GET "/api/v1/requests/$locked_code?email=third.person@example.org"
check_status 403
api GET "/api/v1/requests/$locked_code?phone_last4=5777" "" \
	-D "$TEST_TMP/headers"
check_status 429
check_equal "error.code" rate_limited "$(json_get "$API_BODY" error.code)"
check_match "Retry-After" "$(header_value "$TEST_TMP/headers" Retry-After)" \
	'^[1-9][0-9]*$'
has_messages "$API_BODY" && fail "messages shown on a locked ticket"
api GET "/api/v1/requests/$locked_code?email=someone.else@example.org"
check_status 429
for i in $(seq 1 40); do
	! grep -q "warn web: second factor locked code=$locked_code client=127\.0\.0\.1" \
		"$HUB_LOG" || break
	sleep 0.05
done
check_match "daemon log" "$(cat "$HUB_LOG")" \
	"warn web: second factor locked code=$locked_code client=127\.0\.0\.1"
case_end

case_begin "token works on a locked ticket"
api GET "/api/v1/requests/$locked_code?token=$locked_token"
check_status 200
has_messages "$API_BODY" || fail "no messages with the token on a locked ticket"
api GET "/lookup?code=$locked_code&token=$locked_token"
check_status 200
check_contains "page" "$API_BODY" "Vỉa hè bị lấn chiếm."
api GET "/api/v1/requests/$locked_code?token=0123456789abcdef0123456789abcdef"
check_status 403
check_equal "error.code" forbidden "$(json_get "$API_BODY" error.code)"
case_end

case_begin "lock message gives minutes"
api GET "/api/v1/requests/$locked_code?phone_last4=5777"
check_status 429
check_equal "error.limit" 15 "$(json_get "$API_BODY" error.limit)"
check_contains "error.message.en" "$(json_get "$API_BODY" error.message.en)" \
	"Try again in 15 min."
check_equal "error.message.vi" \
	"Đã nhập sai quá nhiều lần nên việc kiểm tra tạm dừng. Hãy thử lại sau 15 phút." \
	"$(json_get "$API_BODY" error.message.vi)"
check_not_contains "error.message.en" \
	"$(json_get "$API_BODY" error.message.en)" "Wait a moment"
api GET "/lookup?code=$locked_code&phone_last4=5777"
check_status 429
check_contains "page" "$API_BODY" \
	"Đã nhập sai quá nhiều lần nên việc kiểm tra tạm dừng. Hãy thử lại sau 15 phút."
api GET "/lookup?code=$locked_code&phone_last4=5777&lang=en"
check_status 429
check_contains "page" "$API_BODY" "Try again in 15 min."
case_end

case_begin "lock leaves other tickets open"
api GET "/api/v1/requests/$code?token=$access_token"
check_status 200
check_contains "messages" "$(json_get "$API_BODY" messages)" "$citizen_text"
api GET "/api/v1/requests/$locked_code"
check_status 200
case_end

# --- Unknown codes -------------------------------------------------------------------

case_begin "unknown code is 404"
unknown=$(ticket_code_with_check 123456789)
[ "$unknown" != "$code" ] || unknown=$(ticket_code_with_check 987654321)
api GET "/api/v1/requests/$unknown"
check_status 404
check_equal "error.code" not_found "$(json_get "$API_BODY" error.code)"
check_equal "error.message.vi" \
	"Không tìm thấy phản ánh có mã này. Hãy kiểm tra lại 10 chữ số của mã." \
	"$(json_get "$API_BODY" error.message.vi)"
check_equal "error.message.en" \
	"No report has this code. Check the ten digits of the code." \
	"$(json_get "$API_BODY" error.message.en)"
case_end

case_begin "wrong check digit is 404"
last=${code: -1}
api GET "/api/v1/requests/${code:0:9}$(((last + 1) % 10))"
check_status 404
check_equal "error.code" not_found "$(json_get "$API_BODY" error.code)"
case_end

case_begin "malformed codes are 404"
for bad in abc 12345 "${code}0" "${code:0:5}x${code:5}"; do
	api GET "/api/v1/requests/$bad"
	check_status 404
done
api GET "/lookup?code=abc"
check_status 404
check_contains "page" "$API_BODY" "Không tìm thấy phản ánh có mã này"
case_end

case_begin "code with nul byte is 404"
api GET "/api/v1/requests/$code%00"
check_status 404
api GET "/api/v1/requests/$code%00123"
check_status 404
api GET "/lookup?code=$code%00123"
check_status 404
case_end

# --- A phone typed on the form proves nothing ------------------------------------------

shared_phone="0938246810"
submit_form "$shared_phone" "Đèn tín hiệu giao thông ở ngã tư bị hỏng."
code_a=$CODE
token_a=$ACCESS_TOKEN
submit_form "$shared_phone" "Tôi muốn xem phản ánh $code_a và bổ sung thông tin."
code_b=$CODE
token_b=$ACCESS_TOKEN

case_begin "shared phone gives new ticket"
check_not_equal "code of the second report" "" "$code_b"
check_not_equal "code of the second report" "$code_a" "$code_b"
case_end

case_begin "shared phone leaves ticket alone"
admin_ticket "$code_a"
check_equal "messages on the first ticket" 1 \
	"$(json_length "$(json_get "$TICKET" ticket.messages)")"
check_not_contains "first ticket" "$TICKET" "bổ sung thông tin"
case_end

case_begin "shared phone separate citizens"
admin_ticket "$code_a"
citizen_a=$(json_get "$TICKET" ticket.citizen.id) || citizen_a=""
admin_ticket "$code_b"
citizen_b=$(json_get "$TICKET" ticket.citizen.id) || citizen_b=""
check_match "citizen of the first ticket" "$citizen_a" '^[0-9]+$'
check_match "citizen of the second ticket" "$citizen_b" '^[0-9]+$'
check_not_equal "citizen of the second ticket" "$citizen_a" "$citizen_b"
case_end

case_begin "phone last4 opens own ticket"
api GET "/api/v1/requests/$code_a?phone_last4=${shared_phone: -4}"
check_status 200
check_contains "messages" "$(json_get "$API_BODY" messages)" \
	"Đèn tín hiệu giao thông"
case_end

case_begin "other ticket token is 403"
check_not_equal "token of the second report" "" "$token_b"
api GET "/api/v1/requests/$code_a?token=$token_b"
check_status 403
has_messages "$API_BODY" && fail "messages of the first ticket shown"
api GET "/api/v1/requests/$code_a?token=$token_a"
check_status 200
case_end

case_begin "sigterm stops with status 0"
hub_stop
case_end

# --- Lockout table ------------------------------------------------------------------

# A table of 16 tickets: one ticket is locked, then one wrong factor on each
# of 17 others needs more entries than the table has.
WEB_FACTOR_TABLE_SIZE=16

case_begin "daemon starts with small lockout table"
hub_start
table_codes=()
for i in $(seq 0 17); do
	submit "lockout table $i"
	table_codes+=("$SUBMIT_CODE")
done
case_end

case_begin "full table keeps the lock"
for digits in 0001 0002 0003 0004 0005; do
	api GET "/api/v1/requests/${table_codes[0]}?phone_last4=$digits"
	check_status 403
done
for i in $(seq 1 17); do
	api GET "/api/v1/requests/${table_codes[$i]}?phone_last4=0000"
	check_status 403
done
api GET "/api/v1/requests/${table_codes[0]}?phone_last4=5678"
check_status 429
has_messages "$API_BODY" && fail "messages shown on a locked ticket"
case_end

case_begin "table of locks fails closed"
for i in $(seq 1 15); do
	# Up to five wrong factors lock the ticket; the next one is refused.
	for digits in 0001 0002 0003 0004 0005 0006; do
		api GET "/api/v1/requests/${table_codes[$i]}?phone_last4=$digits"
		[ "$API_STATUS" != 429 ] || break
	done
	check_status 429
done
api GET "/api/v1/requests/${table_codes[17]}?phone_last4=5678" "" \
	-D "$TEST_TMP/headers"
check_status 429
check_equal "error.code" rate_limited "$(json_get "$API_BODY" error.code)"
check_match "Retry-After" "$(header_value "$TEST_TMP/headers" Retry-After)" \
	'^[1-9][0-9]*$'
has_messages "$API_BODY" && fail "messages shown while the table is full"
# The daemon may write the line just after the response.
for i in $(seq 1 40); do
	! grep -q 'warn web: .*factor check refused.*client=127\.0\.0\.1' \
		"$HUB_LOG" || break
	sleep 0.05
done
check_match "daemon log" "$(tail -n "+$((CASE_LOG_START + 1))" "$HUB_LOG")" \
	'warn web: .*factor check refused.*client=127\.0\.0\.1'
api GET "/api/v1/requests/${table_codes[17]}"
check_status 200
case_end

case_begin "sigterm after lockout table"
hub_stop
case_end

WEB_FACTOR_TABLE_SIZE=""

# --- Rate limit ---------------------------------------------------------------------

# Two lookups a minute: the bucket refills one lookup every 30 s, so a few
# quick requests find it empty however slow the machine is.
HUB_RATE_LIMITS=on
HUB_LOOKUP_PER_MINUTE=2

case_begin "lookups are rate limited"
hub_start
submit_json '{"description":"Nắp cống bị mất."}'
limited_at=""
for i in $(seq 1 10); do
	status=$(curl -s -o "$API_BODY_FILE" -D "$TEST_TMP/headers" \
		-w '%{http_code}' --max-time 5 "$HUB_URL/api/v1/requests/$CODE")
	if [ "$status" = 429 ]; then
		limited_at=$i
		break
	fi
	check_equal "status of lookup $i" 200 "$status"
done
API_BODY=$(cat "$API_BODY_FILE")
check_not_equal "lookup returned 429" "" "$limited_at"
check_ge "lookups before the first 429" 2 "$((${limited_at:-0} - 1))"
check_equal "error.code" rate_limited "$(json_get "$API_BODY" error.code)"
check_equal "error.limit" 2 "$(json_get "$API_BODY" error.limit)"
retry_after=$(header_value "$TEST_TMP/headers" Retry-After)
check_match "Retry-After" "$retry_after" '^[1-9][0-9]*$'
check_contains "error.message.vi" "$(json_get "$API_BODY" error.message.vi)" \
	"Hãy chờ $retry_after giây rồi thử lại."
check_contains "error.message.en" "$(json_get "$API_BODY" error.message.en)" \
	"Wait $retry_after seconds and try again."
# The page shares the lookup limit.
page_status=""
for i in $(seq 1 10); do
	page_status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		"$HUB_URL/lookup?code=$CODE")
	[ "$page_status" != 429 ] || break
done
check_equal "status of /lookup after the limit" 429 "$page_status"
api POST /lookup "$(form_encode code "$CODE" phone_last4 0000)"
check_status 429
case_end

case_begin "sigterm after rate limits"
hub_stop
case_end

tests_done
