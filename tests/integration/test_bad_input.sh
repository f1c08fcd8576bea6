#!/usr/bin/env bash
# Bad input to POST /api/v1/requests: broken JSON, wrong media types, bodies
# over http.max_body_bytes, missing, too long, invalid or unknown fields,
# invalid UTF-8, missing consent, and the form's spam checks. Every JSON
# error carries a code and a message in Vietnamese and English, every form
# error re-renders the form, and nothing of a rejected request is stored.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

HUB_MAX_BODY_BYTES=4096
# Three seconds, so that a form posted right after GET / is too fast even
# when the clock's second changes in between.
HUB_MIN_FILL_SECONDS=3

# check_error STATUS CODE [FIELD]: checks that the last response is the JSON
# error CODE with HTTP STATUS, messages in Vietnamese and English, and, with
# FIELD, error.field and both messages naming FIELD.
check_error() {
	local vi en
	check_status "$1"
	check_equal "error.code" "$2" "$(json_get "$API_BODY" error.code)"
	vi=$(json_get "$API_BODY" error.message.vi) || vi=""
	en=$(json_get "$API_BODY" error.message.en) || en=""
	check_not_equal "error.message.en" "" "$en"
	python3 -c '
import sys
letters = set("ạảãàáâầấậẩẫăằắặẳẵđêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹ")
sys.exit(0 if letters & set(sys.argv[1].lower()) else 1)
' "$vi" || fail "error.message.vi has no Vietnamese letters: \"$vi\""
	if [ -n "${3:-}" ]; then
		check_equal "error.field" "$3" "$(json_get "$API_BODY" error.field)"
		check_contains "error.message.vi" "$vi" "\"$3\""
		check_contains "error.message.en" "$en" "\"$3\""
	fi
}

# check_form_error STATUS ALERT: checks that the last response is the form page
# again, in Vietnamese, with HTTP STATUS and ALERT in its alert box.
check_form_error() {
	check_status "$1"
	check_contains "page" "$API_BODY" '<html lang="vi">'
	check_contains "page" "$API_BODY" 'class="alert"'
	check_contains "alert" "$API_BODY" "$2"
	check_contains "page" "$API_BODY" 'name="form_token"'
}

case_begin "daemon starts with small limits"
hub_start
# A token for the form posts below, which must be older than
# min_fill_seconds when they are sent.
form_token_get
aged_token=$FORM_TOKEN
aged_since=$SECONDS
case_end

# --- Body and media type --------------------------------------------------------

case_begin "invalid json is 400"
api POST /api/v1/requests '{"description": "Cống bị tắc",'
check_error 400 invalid_json
case_end

case_begin "json array is invalid json"
api POST /api/v1/requests '["description"]' -H 'Content-Type: application/json'
check_error 400 invalid_json
api POST /api/v1/requests '[]' -H 'Content-Type: application/json'
check_error 400 invalid_json
check_equal "error.message.vi" \
	"Nội dung gửi lên phải là một đối tượng JSON ({...})." \
	"$(json_get "$API_BODY" error.message.vi)"
check_equal "error.message.en" \
	"The request body must be a JSON object ({...})." \
	"$(json_get "$API_BODY" error.message.en)"
case_end

case_begin "duplicate json key is 400"
api POST /api/v1/requests '{"description":"a","description":"b"}'
check_error 400 invalid_json description
check_contains "error.message.en" "$(json_get "$API_BODY" error.message.en)" \
	"appears twice"
case_end

case_begin "text plain is 415"
api POST /api/v1/requests 'description=Cống bị tắc' \
	-H 'Content-Type: text/plain'
check_error 415 unsupported_content_type
case_end

case_begin "body over limit is 413"
python3 -c '
import json, sys
for name, size in (("over", 5000), ("far-over", 5 * 4096)):
    with open(sys.argv[1] + "/" + name + ".json", "w") as f:
        json.dump({"description": "a" * size}, f)
' "$TEST_TMP"
api POST /api/v1/requests "@$TEST_TMP/over.json"
check_error 413 body_too_large
check_equal "error.limit" 4096 "$(json_get "$API_BODY" error.limit)"
check_contains "error.message.vi" "$(json_get "$API_BODY" error.message.vi)" 4096
check_contains "error.message.en" "$(json_get "$API_BODY" error.message.en)" 4096
check_not_contains "error.message.vi" \
	"$(json_get "$API_BODY" error.message.vi)" "đính kèm"
check_not_contains "error.message.en" \
	"$(json_get "$API_BODY" error.message.en)" "attachment"
case_end

case_begin "chunked body over limit is 413"
api POST /api/v1/requests "@$TEST_TMP/over.json" \
	-H 'Transfer-Encoding: chunked'
check_error 413 body_too_large
check_equal "error.limit" 4096 "$(json_get "$API_BODY" error.limit)"
case_end

case_begin "body five times over is 413"
# libevent itself rejects a body over four times the limit, with its own
# HTML page, so only the status is checked here.
api POST /api/v1/requests "@$TEST_TMP/far-over.json"
check_status 413
api GET /healthz
check_status 200
case_end

# --- Fields ------------------------------------------------------------------------

case_begin "missing description is 422"
api POST /api/v1/requests '{"subject":"Cống bị tắc"}'
check_error 422 missing_field description
case_end

case_begin "empty description is 422"
api POST /api/v1/requests '{"description":""}'
check_error 422 missing_field description
case_end

case_begin "invalid utf8 in json string"
# \xc3 starts a two-byte sequence, and "(" cannot continue it.
printf '{"description":"C\xc3\x28ng b\xe1\xbb\x8b t\xe1\xba\xafc"}' \
	>"$TEST_TMP/invalid-utf8.json"
api POST /api/v1/requests "@$TEST_TMP/invalid-utf8.json"
check_error 400 invalid_utf8 description
case_end

case_begin "nul character in json string"
api POST /api/v1/requests '{"description":"Cống\u0000bị tắc"}'
check_error 400 invalid_utf8 description
check_contains "error.message.vi" "$(json_get "$API_BODY" error.message.vi)" \
	"chứa ký tự NUL (U+0000), ký tự này không được phép"
check_contains "error.message.en" "$(json_get "$API_BODY" error.message.en)" \
	"contains a NUL character (U+0000), which is not allowed"
check_not_contains "error.message.en" \
	"$(json_get "$API_BODY" error.message.en)" "not valid UTF-8"
json_get "$API_BODY" error.limit >/dev/null &&
	fail "error.limit set for a NUL: $(lib_shorten "$API_BODY")"
case_end

case_begin "control character in name"
api POST /api/v1/requests \
	'{"name":"Lê\u0007Văn","description":"Cống bị tắc","consent":true}'
check_error 422 invalid_field name
case_end

case_begin "name over limit is 422"
long_name=$(printf 'ễ%.0s' $(seq 1 121))
api POST /api/v1/requests \
	"{\"name\":\"$long_name\",\"description\":\"Cống bị tắc\",\"consent\":true}"
check_error 422 field_too_long name
check_equal "error.limit" 120 "$(json_get "$API_BODY" error.limit)"
check_contains "error.message.vi" "$(json_get "$API_BODY" error.message.vi)" 120
case_end

case_begin "description over limit is 422"
long_description=$(printf 'a%.0s' $(seq 1 4001))
api POST /api/v1/requests "{\"description\":\"$long_description\"}"
check_error 422 field_too_long description
check_equal "error.limit" 4000 "$(json_get "$API_BODY" error.limit)"
case_end

case_begin "unknown language is 422"
api POST /api/v1/requests '{"description":"Cống bị tắc","language":"fr"}'
check_error 422 unknown_language language
case_end

case_begin "unknown json key is 422"
api POST /api/v1/requests '{"description":"Cống bị tắc","colour":"red"}'
check_error 422 invalid_field colour
case_end

case_begin "wrong type description is 422"
api POST /api/v1/requests '{"description":42}'
check_error 422 invalid_field description
case_end

case_begin "wrong type consent is 422"
api POST /api/v1/requests \
	'{"description":"Cống bị tắc","phone":"0912345678","consent":"yes"}'
check_error 422 invalid_field consent
case_end

case_begin "wrong type phone is 422"
api POST /api/v1/requests \
	'{"description":"Cống bị tắc","phone":912345678,"consent":true}'
check_error 422 invalid_field phone
case_end

case_begin "phone without consent is 422"
api POST /api/v1/requests '{"description":"Cống bị tắc","phone":"0912345678"}'
check_error 422 consent_required consent
api POST /api/v1/requests \
	'{"description":"Cống bị tắc","email":"an@example.org","consent":false}'
check_error 422 consent_required consent
case_end

case_begin "latitude out of range"
api POST /api/v1/requests \
	'{"description":"Cống bị tắc","latitude":91,"longitude":106.7}'
check_error 422 invalid_field latitude
case_end

case_begin "invalid idempotency key"
api POST /api/v1/requests '{"description":"Cống bị tắc"}' \
	-H 'Idempotency-Key: two words'
check_error 422 invalid_field Idempotency-Key
case_end

case_begin "repeated idempotency key is 422"
api POST /api/v1/requests '{"description":"Cống bị tắc"}' \
	-H 'Idempotency-Key: key-one' -H 'Idempotency-Key: key-two'
check_error 422 invalid_field Idempotency-Key
check_contains "error.message.en" "$(json_get "$API_BODY" error.message.en)" \
	"more than once"
api POST /api/v1/requests '{"description":"Cống bị tắc"}' \
	-H 'Idempotency-Key: key-same' -H 'Idempotency-Key: key-same'
check_error 422 invalid_field Idempotency-Key
check_contains "error.message.vi" "$(json_get "$API_BODY" error.message.vi)" \
	"được gửi nhiều lần"
case_end

# --- Form posts ------------------------------------------------------------------

case_begin "form without token is rejected"
api POST "/api/v1/requests?lang=vi" "$(form_encode \
	description "Cống bị tắc")"
check_form_error 422 "Biểu mẫu đã hết hạn hoặc không hợp lệ"
case_end

case_begin "form posted too fast"
form_token_get
api POST "/api/v1/requests?lang=vi" "$(form_encode form_token "$FORM_TOKEN" \
	website "" name "Lê Văn Cường" phone "0903111222" \
	subject "Cống bị tắc" description "Cống trước chợ Bến Thành bị tắc." \
	consent yes)"
check_form_error 422 "Biểu mẫu được gửi quá nhanh"
check_contains "name kept" "$API_BODY" 'value="Lê Văn Cường"'
check_contains "phone kept" "$API_BODY" 'value="0903111222"'
check_contains "subject kept" "$API_BODY" 'value="Cống bị tắc"'
check_contains "description kept" "$API_BODY" \
	'>Cống trước chợ Bến Thành bị tắc.</textarea>'
check_contains "consent kept" "$API_BODY" 'value="yes" checked'
case_end

# The posts below pass the fill time check with the token taken at start-up.
fill_wait=$((HUB_MIN_FILL_SECONDS + 1 - (SECONDS - aged_since)))
if [ "$fill_wait" -gt 0 ]; then
	sleep "$fill_wait"
fi

case_begin "form honeypot filled is rejected"
api POST "/api/v1/requests?lang=vi" "$(form_encode form_token "$aged_token" \
	website "http://spam.example" description "Mua ngay hôm nay")"
check_form_error 422 "Hệ thống không nhận biểu mẫu này"
case_end

case_begin "invalid utf8 in form field"
api POST "/api/v1/requests?lang=vi" \
	"form_token=$aged_token&website=&description=C%C3%28ng+b%E1%BB%8B+t%E1%BA%AFc"
check_form_error 400 '“Nội dung phản ánh” có ký tự không hợp lệ'
check_contains "description marked invalid" "$API_BODY" \
	'maxlength="4000" aria-invalid="true"'
case_end

case_begin "form name over limit"
api POST "/api/v1/requests?lang=vi" "$(form_encode form_token "$aged_token" \
	name "$long_name" description "Cống bị tắc" consent yes)"
check_form_error 422 '“Họ và tên” dài quá mức cho phép (120 ký tự)'
case_end

case_begin "form phone without consent"
api POST "/api/v1/requests?lang=vi" "$(form_encode form_token "$aged_token" \
	phone "0903111222" description "Cống bị tắc")"
check_form_error 422 "Vui lòng đánh dấu ô đồng ý"
check_contains "phone kept" "$API_BODY" 'value="0903111222"'
case_end

# --- Nothing stored ---------------------------------------------------------------

case_begin "no ticket after bad input"
admin_ticket_count
check_equal "tickets in the admin API" 0 "$ADMIN_COUNT"
ctl --data-dir "$HUB_DATA" stats --json
check_ctl "citizenhubctl stats --json" 0
for counter in tickets citizens contacts messages outbox_pending audit_events; do
	check_equal "stats $counter" 0 "$(json_get "$CTL_OUT" "$counter")"
done
case_end

case_begin "sigterm stops with status 0"
hub_stop
case_end

tests_done
