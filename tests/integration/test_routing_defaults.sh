#!/usr/bin/env bash
# Channel default categories and communes found from a location. A web
# report that names no category and matches no keyword gets the default
# category of the web channel, but keywords and the form's category still
# come first. A report whose location lies in a commune's area gets that
# commune even when its address names another one. Both are edited through
# the admin API and survive a restart. A bad value stops start-up, or is
# rejected by the API, with the path of the value at fault.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Xã Mỹ Phong's area is a square around (10.38, 106.32), given closed (the
# last point repeats the first). Phường Mỹ Tho has no area and is found by
# name only.
DESK_CONFIG=$(cat <<'JSON'
	"departments": [
		{ "id": "quan-ly-do-thi", "name_vi": "Phòng Quản lý đô thị",
		  "name_en": "Urban Management Office" },
		{ "id": "tiep-nhan", "name_vi": "Bộ phận tiếp nhận",
		  "name_en": "Intake desk" }
	],
	"categories": [
		{ "id": "traffic", "name_vi": "Giao thông", "name_en": "Traffic",
		  "keywords": ["ổ gà", "kẹt xe"], "department": "quan-ly-do-thi" },
		{ "id": "general-enquiry", "name_vi": "Hỏi đáp chung",
		  "name_en": "General enquiry", "department": "tiep-nhan",
		  "deadline": { "working_days": 3 } },
		{ "id": "environment", "name_vi": "Môi trường",
		  "name_en": "Environment", "keywords": ["rác"] }
	],
	"communes": [
		{ "id": "phuong-my-tho", "name": "Phường Mỹ Tho" },
		{ "id": "xa-my-phong", "name": "Xã Mỹ Phong",
		  "area": [[10.36, 106.30], [10.36, 106.34], [10.40, 106.34],
		           [10.40, 106.30], [10.36, 106.30]] }
	],
	"channel_categories": { "web": "general-enquiry" },
	"triage_department": "tiep-nhan"
JSON
)
HUB_CONFIG_EXTRA=$DESK_CONFIG

# admin METHOD PATH [BODY]: api with the admin token.
admin() {
	api "$1" "$2" "${3:-}" -H "Authorization: Bearer $HUB_TOKEN"
}

# report DESCRIPTION ADDRESS [CATEGORY [LATITUDE LONGITUDE]]: files a JSON
# report and sets PUBLIC to its public status, or records a failure and
# sets PUBLIC to "". An empty CATEGORY sends none.
report() {
	local body
	PUBLIC=""
	body=$(python3 -c '
import json, sys
report = {"name": "Nguyễn Văn An", "phone": "0912345678",
          "subject": "Phản ánh", "description": sys.argv[1],
          "address": sys.argv[2], "consent": True}
if len(sys.argv) > 3 and sys.argv[3]:
    report["category"] = sys.argv[3]
if len(sys.argv) > 5:
    report["latitude"] = float(sys.argv[4])
    report["longitude"] = float(sys.argv[5])
print(json.dumps(report, ensure_ascii=False))
' "$@")
	api POST /api/v1/requests "$body"
	check_status 201
	CODE=$(json_get "$API_BODY" code) || return 0
	api GET "/api/v1/requests/$CODE"
	check_status 200
	PUBLIC=$API_BODY
}

# refused_start NAME EXTRA PATTERN: starts the daemon with EXTRA as its desk
# config and checks that it exits and that its log matches PATTERN.
refused_start() {
	local log_lines failures
	HUB_CONFIG_EXTRA=$2
	log_lines=$(lib_log_lines)
	failures=("${CASE_FAILURES[@]}")
	if hub_start 2>/dev/null; then
		failures+=("$1: citizenhubd started")
		hub_stop
	fi
	# hub_start records the exit it was made to cause as a failure.
	CASE_FAILURES=("${failures[@]}")
	tail -n "+$((log_lines + 1))" "$HUB_LOG" | grep -q -- "$3" ||
		fail "$1: the log does not contain: $3"
}

case_begin "routing defaults daemon starts"
hub_start || true
case_end

case_begin "routing defaults GET shows channel_categories and area"
admin GET /api/v1/desk
check_status 200
check_equal "channel_categories" '{"web": "general-enquiry"}' \
	"$(json_get "$API_BODY" channel_categories)"
check_equal "area points" 5 "$(json_length "$(json_get "$API_BODY" communes.1.area)")"
admin GET /api/v1/desk/channel_categories
check_status 200
check_equal "one section" general-enquiry \
	"$(json_get "$API_BODY" channel_categories.web)"
case_end

case_begin "routing defaults web default applies"
report "Tôi muốn hỏi giờ làm việc của bộ phận một cửa" "12 Lê Lợi"
check_equal "category" general-enquiry "$(json_get "$PUBLIC" ticket.category)"
check_equal "department" tiep-nhan "$(json_get "$PUBLIC" ticket.department)"
check_match "deadline of the default" "$(json_get "$PUBLIC" ticket.due_at)" \
	'^20[0-9-]+T'
case_end

case_begin "routing defaults keywords and form win"
report "Đường có ổ gà sâu" "12 Lê Lợi"
check_equal "keywords" traffic "$(json_get "$PUBLIC" ticket.category)"
report "Tôi muốn hỏi thủ tục" "12 Lê Lợi" environment
check_equal "form category" environment "$(json_get "$PUBLIC" ticket.category)"
report "Tôi muốn hỏi thủ tục" "12 Lê Lợi" "khong-co"
check_equal "unknown form category" general-enquiry \
	"$(json_get "$PUBLIC" ticket.category)"
case_end

case_begin "routing defaults location wins over address"
report "Kẹt xe" "Số 5 Lê Lợi, phường Mỹ Tho" "" 10.38 106.32
check_equal "commune of the area" xa-my-phong "$(json_get "$PUBLIC" ticket.commune)"
check_equal "commune name" "Xã Mỹ Phong" "$(json_get "$PUBLIC" ticket.commune_name)"
report "Kẹt xe" "Số 5 Lê Lợi, phường Mỹ Tho" "" 10.40 106.32
check_equal "on the area's edge" xa-my-phong "$(json_get "$PUBLIC" ticket.commune)"
report "Kẹt xe" "Số 5 Lê Lợi, phường Mỹ Tho" "" 10.30 106.32
check_equal "outside every area" phuong-my-tho \
	"$(json_get "$PUBLIC" ticket.commune)"
report "Kẹt xe" "Số 5 Lê Lợi, phường Mỹ Tho"
check_equal "without a location" phuong-my-tho \
	"$(json_get "$PUBLIC" ticket.commune)"
report "Kẹt xe" "Số 5 Lê Lợi" "" 10.30 106.32
check_equal "no area, no name" null "$(json_get "$PUBLIC" ticket.commune)"
case_end

case_begin "routing defaults API edits channel_categories"
admin PUT /api/v1/desk/channel_categories '{"web": "traffic"}'
check_status 200
check_equal "reply" traffic "$(json_get "$API_BODY" channel_categories.web)"
report "Tôi muốn hỏi giờ làm việc" "12 Lê Lợi"
check_equal "new default" traffic "$(json_get "$PUBLIC" ticket.category)"
check_equal "its department" quan-ly-do-thi "$(json_get "$PUBLIC" ticket.department)"
admin GET /api/v1/desk
BEFORE=$API_BODY
admin PUT /api/v1/desk/channel_categories '{"web": "khong-co"}'
check_status 422
check_equal "code" invalid_field "$(json_get "$API_BODY" error.code)"
check_equal "unknown category" channel_categories.web \
	"$(json_get "$API_BODY" error.field)"
admin PUT /api/v1/desk/channel_categories '{"Web": "traffic"}'
check_status 422
check_equal "bad channel name" channel_categories.Web \
	"$(json_get "$API_BODY" error.field)"
admin PUT /api/v1/desk/channel_categories/web '{"category": "traffic"}'
check_status 404
admin DELETE /api/v1/desk/categories/traffic
check_status 409
check_equal "code" conflict "$(json_get "$API_BODY" error.code)"
check_equal "user of the category" channel_categories.web \
	"$(json_get "$API_BODY" error.field)"
admin GET /api/v1/desk
check_equal "desk after the rejected edits" "$BEFORE" "$API_BODY"
case_end

case_begin "routing defaults API edits area"
admin PUT /api/v1/desk/communes/xa-moi \
	'{"name": "Xã Mới", "area": [[10.50, 106.50], [10.52, 106.50]]}'
check_status 422
check_equal "two points" communes.xa-moi.area "$(json_get "$API_BODY" error.field)"
check_contains "detail" "$(json_get "$API_BODY" error.detail)" "at least 3"
admin PUT /api/v1/desk/communes/xa-moi \
	'{"name": "Xã Mới", "area": [[10.50, 106.50], [91, 106.50], [10.52, 106.52]]}'
check_status 422
check_equal "latitude 91" "communes.xa-moi.area[1][0]" \
	"$(json_get "$API_BODY" error.field)"
check_contains "detail" "$(json_get "$API_BODY" error.detail)" "from -90 to 90"
admin PUT /api/v1/desk/communes/xa-moi \
	'{"name": "Xã Mới", "area": [[10.50, 106.50], [10.50, 106.60], [10.60, 106.55]]}'
check_status 201
report "Kẹt xe" "phường Mỹ Tho" "" 10.52 106.55
check_equal "edited area" xa-moi "$(json_get "$PUBLIC" ticket.commune)"
case_end

case_begin "routing defaults survive restart"
hub_stop
hub_start "$HUB_DATA" || true
admin GET /api/v1/desk
check_equal "channel_categories" '{"web": "traffic"}' \
	"$(json_get "$API_BODY" channel_categories)"
report "Tôi muốn hỏi giờ làm việc" "12 Lê Lợi"
check_equal "default after the restart" traffic "$(json_get "$PUBLIC" ticket.category)"
report "Kẹt xe" "phường Mỹ Tho" "" 10.52 106.55
check_equal "area after the restart" xa-moi "$(json_get "$PUBLIC" ticket.commune)"
admin DELETE /api/v1/desk/channel_categories
check_status 204
admin GET /api/v1/desk/channel_categories
check_equal "none left" '{}' "$(json_get "$API_BODY" channel_categories)"
report "Tôi muốn hỏi giờ làm việc" "12 Lê Lợi"
check_equal "no default: triage" null "$(json_get "$PUBLIC" ticket.category)"
check_equal "triage department" tiep-nhan "$(json_get "$PUBLIC" ticket.department)"
admin DELETE /api/v1/desk/categories/traffic
check_status 204
case_end

case_begin "routing defaults bad config stops start-up"
hub_stop
refused_start "two points" '"communes": [{ "id": "x", "name": "Xã X",
	"area": [[10.5, 106.5], [10.6, 106.5]] }]' \
	'communes\[0\]\.area: too few points (2)'
refused_start "latitude 91" '"communes": [{ "id": "x", "name": "Xã X",
	"area": [[10.5, 106.5], [91, 106.5], [10.6, 106.6]] }]' \
	'communes\[0\]\.area\[1\]\[0\]: latitude 91 out of range'
refused_start "unknown category" '"channel_categories": { "web": "khong-co" }' \
	'channel_categories\.web: unknown category "khong-co"'
refused_start "not an object" '"channel_categories": ["web"]' \
	'channel_categories: invalid type (array)'
case_end

tests_done
