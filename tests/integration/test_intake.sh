#!/usr/bin/env bash
# Intake through the web channel: JSON submissions and their response, the HTML
# form post, Unicode normalization to NFC, Idempotency-Key replays (also
# concurrent ones), repeated external ids and a reloaded form.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

HUB_MIN_FILL_SECONDS=1

# header_value FILE NAME: prints the value of header NAME in a curl -D dump.
header_value() {
	tr -d '\r' <"$1" | sed -n "s/^$2: *//Ip" | tail -n 1
}

# hex_bytes TEXT: prints the bytes of TEXT in hexadecimal.
hex_bytes() {
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# post_keyed KEY BODY: posts BODY as JSON with Idempotency-Key KEY and
# writes the response headers to $TEST_TMP/headers.
post_keyed() {
	api POST /api/v1/requests "$2" -D "$TEST_TMP/headers" \
		-H "Idempotency-Key: $1"
}

# Writes the outcome of one keyed POST to $3.status and $3.body, like
# submit_background in lib.sh.
post_keyed_background() {
	local key=$1 body=$2 out=$3 status exit_code=0
	status=$(curl -s -o "$out.body" -w '%{http_code}' --max-time 20 \
		-H 'Content-Type: application/json' -H "Idempotency-Key: $key" \
		--data-binary "$body" "$HUB_URL/api/v1/requests") || exit_code=$?
	echo "${status:-000} $exit_code" >"$out.status"
}

case_begin "daemon starts for intake"
hub_start
case_end

# --- JSON submission ---------------------------------------------------------

case_begin "json submission returns 201"
api POST /api/v1/requests "$(request_body intake-1)"
check_status 201
first_body=$API_BODY
code=$(json_get "$first_body" code) || code=""
code_display=$(json_get "$first_body" code_display) || code_display=""
check_match "code" "$code" '^[0-9]{10}$'
case_end

case_begin "ticket code has damm check"
if [[ "$code" =~ ^[0-9]{10}$ ]]; then
	check_equal "code with the Damm check digit of its first nine digits" \
		"$(ticket_code_with_check "${code:0:9}")" "$code"
else
	fail "no ten-digit code to check: \"$code\""
fi
case_end

case_begin "code display grouped 4-4-2"
check_match "code_display" "$code_display" '^[0-9]{4}-[0-9]{4}-[0-9]{2}$'
check_equal "code_display without dashes" "$code" "${code_display//-/}"
case_end

case_begin "page url carries access token"
page_url=$(json_get "$first_body" page_url) || page_url=""
access_token=$(json_get "$first_body" access_token) || access_token=""
check_not_equal "access_token" "" "$access_token"
check_contains "page_url" "$page_url" "$HUB_URL/lookup?"
check_contains "page_url" "$page_url" "code=$code"
check_contains "page_url" "$page_url" "token=$access_token"
case_end

case_begin "acknowledgement vietnamese by default"
message=$(json_get "$first_body" message) || message=""
check_equal "language" vi "$(json_get "$first_body" language)"
check_contains "message" "$message" "Cảm ơn bạn đã gửi phản ánh"
check_contains "message" "$message" "$code_display"
case_end

case_begin "acknowledgement english on request"
api POST /api/v1/requests \
	'{"description":"Street light out in front of number 4.","language":"en"}'
check_status 201
message=$(json_get "$API_BODY" message) || message=""
check_equal "language" en "$(json_get "$API_BODY" language)"
check_contains "message" "$message" "Thank you for your report"
check_contains "message" "$message" "$(json_get "$API_BODY" code_display)"
check_not_contains "message" "$message" "Cảm ơn"
case_end

case_begin "admin api lists json ticket"
api_admin GET "/api/v1/tickets/$code"
check_status 200
check_equal "ticket.code" "$code" "$(json_get "$API_BODY" ticket.code)"
check_equal "ticket.channel" web "$(json_get "$API_BODY" ticket.channel)"
check_equal "ticket.messages.0.body" "Đèn đường trước nhà số intake-1 không sáng." \
	"$(json_get "$API_BODY" ticket.messages.0.body)"
case_end

# --- HTML form post ---------------------------------------------------------

case_begin "form post shows the code"
form_token_get
# The config sets channels.web.min_fill_seconds to 1.
sleep 1.1
form_body=$(form_encode form_token "$FORM_TOKEN" website "" \
	name "Trần Thị Bình" phone "0987654321" email "" \
	subject "Ngập nước" description "Đường Nguyễn Huệ ngập sau mưa." \
	category water address "" latitude "" longitude "" language vi \
	consent yes)
api POST "/api/v1/requests?lang=vi" "$form_body" -D "$TEST_TMP/headers"
check_status 201
check_contains "Content-Type" "$(header_value "$TEST_TMP/headers" Content-Type)" \
	"text/html"
form_code_display=$(printf '%s' "$API_BODY" |
	sed -n 's/.*<p class="code">\([0-9-]*\)<\/p>.*/\1/p' | head -n 1)
check_match "code on the page" "$form_code_display" \
	'^[0-9]{4}-[0-9]{4}-[0-9]{2}$'
check_contains "page" "$API_BODY" "Đã tiếp nhận phản ánh"
form_code=${form_code_display//-/}
check_contains "language link" "$API_BODY" \
	"<a href=\"/lookup?code=$form_code&amp;lang=en\" hreflang=\"en\" lang=\"en\">English</a>"
if [ -n "$form_code" ]; then
	api_admin GET "/api/v1/tickets/$form_code"
	check_status 200
	check_equal "ticket.citizen.name" "Trần Thị Bình" \
		"$(json_get "$API_BODY" ticket.citizen.name)"
fi
case_end

case_begin "acknowledgement wraps long urls"
api GET /static/site.css
check_status 200
check_match "site.css .ack" "$(grep '^\.ack ' <<<"$API_BODY")" \
	'overflow-wrap: *anywhere'
case_end

case_begin "form reload gives same code"
admin_ticket_count
count_before=$ADMIN_COUNT
api POST "/api/v1/requests?lang=vi" "$form_body"
check_status 201
check_contains "page after the reload" "$API_BODY" \
	"<p class=\"code\">$form_code_display</p>"
admin_ticket_count
check_equal "tickets after the reload" "$count_before" "$ADMIN_COUNT"
case_end

# --- Unicode normalization -----------------------------------------------------

case_begin "nfd json stored as nfc"
# "Nguyễn" decomposed: e, U+0302 (circumflex), U+0303 (tilde), as raw
# UTF-8 bytes in the body, not as \u escapes.
nfd_name=$(printf 'Nguye\xcc\x82\xcc\x83n Va\xcc\x86n Ba')
nfc_name=$(printf 'Nguy\xe1\xbb\x85n V\xc4\x83n Ba')
nfd_text=$(printf 'Cu\xcc\x9bo\xcc\x9b\xcc\x80ng') # "Cường", decomposed
nfc_text=$(printf 'C\xc6\xb0\xe1\xbb\x9dng')
printf '{"name":"%s","phone":"0912000111","consent":true,"description":"%s"}' \
	"$nfd_name" "$nfd_text" >"$TEST_TMP/nfd.json"
api POST /api/v1/requests "@$TEST_TMP/nfd.json"
check_status 201
nfd_code=$(json_get "$API_BODY" code) || nfd_code=""
api_admin GET "/api/v1/tickets/$nfd_code"
check_status 200
check_not_equal "bytes sent" "$(hex_bytes "$nfc_name")" "$(hex_bytes "$nfd_name")"
check_equal "citizen name bytes" "$(hex_bytes "$nfc_name")" \
	"$(hex_bytes "$(json_get "$API_BODY" ticket.citizen.name)")"
check_equal "message body bytes" "$(hex_bytes "$nfc_text")" \
	"$(hex_bytes "$(json_get "$API_BODY" ticket.messages.0.body)")"
case_end

case_begin "nfd form stored as nfc"
form_token_get
sleep 1.1
api POST "/api/v1/requests?lang=vi" "$(form_encode form_token "$FORM_TOKEN" \
	name "$nfd_name" phone "0912000222" description "$nfd_text" \
	consent yes)"
check_status 201
nfd_form_code=$(printf '%s' "$API_BODY" |
	sed -n 's/.*<p class="code">\([0-9-]*\)<\/p>.*/\1/p' | head -n 1)
nfd_form_code=${nfd_form_code//-/}
api_admin GET "/api/v1/tickets/$nfd_form_code"
check_status 200
check_equal "citizen name" "$nfc_name" \
	"$(json_get "$API_BODY" ticket.citizen.name)"
check_equal "message body" "$nfc_text" \
	"$(json_get "$API_BODY" ticket.messages.0.body)"
case_end

# --- Idempotency ----------------------------------------------------------------

case_begin "idempotent replay gives same code"
keyed_body=$(request_body keyed-1)
admin_ticket_count
count_before=$ADMIN_COUNT
post_keyed "intake-key-1" "$keyed_body"
check_status 201
keyed_code=$(json_get "$API_BODY" code) || keyed_code=""
check_equal "Idempotent-Replayed of the first request" "" \
	"$(header_value "$TEST_TMP/headers" Idempotent-Replayed)"
post_keyed "intake-key-1" "$keyed_body"
check_status 201
check_equal "code of the replay" "$keyed_code" "$(json_get "$API_BODY" code)"
check_equal "Idempotent-Replayed of the replay" true \
	"$(header_value "$TEST_TMP/headers" Idempotent-Replayed)"
check_equal "duplicate of the replay" true "$(json_get "$API_BODY" duplicate)"
admin_ticket_count
check_equal "tickets after two keyed requests" "$((count_before + 1))" \
	"$ADMIN_COUNT"
case_end

case_begin "reused key other body 422"
post_keyed "intake-key-1" "$(request_body keyed-2)"
check_status 422
check_equal "error.code" idempotency_key_reused \
	"$(json_get "$API_BODY" error.code)"
admin_ticket_count
check_equal "tickets after the reused key" "$((count_before + 1))" \
	"$ADMIN_COUNT"
case_end

case_begin "concurrent keyed requests one ticket"
admin_ticket_count
count_before=$ADMIN_COUNT
mkdir -p "$TEST_TMP/parallel"
parallel_body=$(request_body parallel-1)
parallel_pids=()
for i in $(seq 1 10); do
	post_keyed_background "intake-key-parallel" "$parallel_body" \
		"$TEST_TMP/parallel/$i" &
	parallel_pids+=($!)
done
wait "${parallel_pids[@]}"
check_equal "responses with HTTP 201" 10 \
	"$(grep -l '^201 ' "$TEST_TMP"/parallel/*.status | wc -l)"
check_equal "distinct codes returned" 1 \
	"$(codes_answered "$TEST_TMP/parallel" | sort -u | wc -l)"
admin_ticket_count
check_equal "tickets after 10 parallel requests" "$((count_before + 1))" \
	"$ADMIN_COUNT"
case_end

case_begin "repeated external id gives first"
admin_ticket_count
count_before=$ADMIN_COUNT
api POST /api/v1/requests \
	'{"external_id":"partner-4711","description":"Rác thải chưa được thu gom."}'
check_status 201
external_code=$(json_get "$API_BODY" code) || external_code=""
check_equal "duplicate of the first" false "$(json_get "$API_BODY" duplicate)"
api POST /api/v1/requests \
	'{"external_id":"partner-4711","description":"Rác thải chưa được thu gom."}'
check_status 201
check_equal "code of the repeat" "$external_code" "$(json_get "$API_BODY" code)"
check_equal "duplicate of the repeat" true "$(json_get "$API_BODY" duplicate)"
admin_ticket_count
check_equal "tickets after the repeat" "$((count_before + 1))" "$ADMIN_COUNT"
case_end

case_begin "repeated external id hides token"
api POST /api/v1/requests \
	'{"external_id":"partner-4712","description":"Cống thoát nước bị tắc."}'
check_status 201
external_code=$(json_get "$API_BODY" code) || external_code=""
json_get "$API_BODY" access_token >/dev/null ||
	fail "first answer without access_token: $(lib_shorten "$API_BODY")"
api POST /api/v1/requests \
	'{"external_id":"partner-4712","description":"Cống thoát nước bị tắc."}'
check_status 201
check_equal "code of the repeat" "$external_code" "$(json_get "$API_BODY" code)"
check_equal "code_display of the repeat" \
	"${external_code:0:4}-${external_code:4:4}-${external_code:8:2}" \
	"$(json_get "$API_BODY" code_display)"
check_equal "status_url of the repeat" \
	"$HUB_URL/api/v1/requests/$external_code" \
	"$(json_get "$API_BODY" status_url)"
check_equal "duplicate of the repeat" true "$(json_get "$API_BODY" duplicate)"
json_get "$API_BODY" message >/dev/null ||
	fail "repeat without message: $(lib_shorten "$API_BODY")"
json_get "$API_BODY" access_token >/dev/null &&
	fail "repeat carries access_token: $(lib_shorten "$API_BODY")"
json_get "$API_BODY" page_url >/dev/null &&
	fail "repeat carries page_url: $(lib_shorten "$API_BODY")"
check_not_contains "repeat" "$API_BODY" "token="
case_end

case_begin "form without categories has no category field"
api GET /
check_status 200
check_not_contains "category field" "$API_BODY" 'name="category"'
case_end

case_begin "form maxlength matches limits"
api GET /
check_status 200
for limit in name:120 subject:200 description:4000 address:300 email:254; do
	check_match "maxlength of ${limit%%:*}" "$API_BODY" \
		"name=\"${limit%%:*}\"[^>]* maxlength=\"${limit#*:}\""
done
case_end

case_begin "sigterm stops with status 0"
hub_stop
case_end

tests_done
