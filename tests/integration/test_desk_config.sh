#!/usr/bin/env bash
# Editing the desk configuration through the admin API without a restart.
# A new category classifies and routes the next report and shows on the
# web form, and a renamed department shows on the status page. A bad edit
# is rejected with the field's path and changes nothing. Agents may read but not edit, and a
# department in use cannot be deleted. Concurrent edits all apply, and the
# edits survive a restart and win over the config file.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

HUB_CONFIG_EXTRA=$(cat <<'JSON'
	"departments": [
		{ "id": "quan-ly-do-thi", "name_vi": "Phòng Quản lý đô thị",
		  "name_en": "Urban Management Office" },
		{ "id": "tiep-nhan", "name_vi": "Bộ phận tiếp nhận",
		  "name_en": "Intake desk" }
	],
	"categories": [
		{ "id": "traffic", "name_vi": "Giao thông", "name_en": "Traffic",
		  "keywords": ["ổ gà", "kẹt xe"], "department": "quan-ly-do-thi",
		  "deadline": { "working_days": 2 } }
	],
	"communes": [
		{ "id": "phuong-my-tho", "name": "Phường Mỹ Tho" }
	],
	"triage_department": "tiep-nhan"
JSON
)

# admin METHOD PATH [BODY]: api with the admin token.
admin() {
	api "$1" "$2" "${3:-}" -H "Authorization: Bearer $HUB_TOKEN"
}

# report DESCRIPTION: files a report, sets CODE and PUBLIC (its public
# status), or records a failure and sets PUBLIC to "".
report() {
	local body
	PUBLIC=""
	body=$(python3 -c '
import json, sys
print(json.dumps({"name": "Lê Văn Cường", "phone": "0912345678",
                  "subject": "Phản ánh", "description": sys.argv[1],
                  "address": "12 Lê Lợi", "consent": True},
                 ensure_ascii=False))
' "$1")
	api POST /api/v1/requests "$body"
	check_status 201
	CODE=$(json_get "$API_BODY" code) || return 0
	api GET "/api/v1/requests/$CODE"
	check_status 200
	PUBLIC=$API_BODY
}

# Prints the JSON of a category for PUT.
category_json() {
	python3 -c '
import json, sys
print(json.dumps({"name_vi": sys.argv[1], "name_en": sys.argv[2],
                  "keywords": sys.argv[4].split(","),
                  "department": sys.argv[3],
                  "deadline": {"working_hours": 8}}, ensure_ascii=False))
' "$@"
}

case_begin "desk config daemon starts"
hub_start || true
case_end

case_begin "desk config GET shows sections"
admin GET /api/v1/desk
check_status 200
check_equal "first category" traffic "$(json_get "$API_BODY" categories.0.id)"
check_equal "triage" tiep-nhan "$(json_get "$API_BODY" triage_department)"
check_equal "commune" "Phường Mỹ Tho" "$(json_get "$API_BODY" communes.0.name)"
check_equal "calendar weekend" '["sun", "sat"]' \
	"$(json_get "$API_BODY" calendar.weekend)"
check_equal "updated_at from the file" null "$(json_get "$API_BODY" updated_at)"
admin GET /api/v1/desk/categories/traffic
check_status 200
check_equal "one category" Traffic "$(json_get "$API_BODY" category.name_en)"
admin GET /api/v1/desk/categories/khong-co
check_status 404
case_end

case_begin "desk config without credentials 401"
api GET /api/v1/desk
check_status 401
api PUT /api/v1/desk/categories/noise '{"name_vi": "Ồn", "name_en": "Noise"}'
check_status 401
api PUT /api/v1/desk/categories/noise '{"name_vi": "Ồn", "name_en": "Noise"}' \
	-H "Authorization: Bearer not-the-token"
check_status 401
case_end

case_begin "desk config agent reads but cannot edit"
printf 'mat-khau-dai-12345\n' | "$CTL_BIN" -c "$HUB_CONFIG" agent add \
	nhanvien --role supervisor --department tiep-nhan \
	>"$TEST_TMP/agent.out" 2>&1 || fail "agent add: $(cat "$TEST_TMP/agent.out")"
api POST /api/v1/session \
	'{"username": "nhanvien", "password": "mat-khau-dai-12345", "token": "bearer"}'
check_status 201
AGENT_TOKEN=$(json_get "$API_BODY" token) || AGENT_TOKEN=""
check_match "bearer token" "$AGENT_TOKEN" '^[A-Za-z0-9_-]{20,}$'
api GET /api/v1/desk "" -H "Authorization: Bearer $AGENT_TOKEN"
check_status 200
api PUT /api/v1/desk/categories/noise '{"name_vi": "Ồn", "name_en": "Noise"}' \
	-H "Authorization: Bearer $AGENT_TOKEN"
check_status 403
api DELETE /api/v1/desk/categories/traffic "" \
	-H "Authorization: Bearer $AGENT_TOKEN"
check_status 403
admin GET /api/v1/desk/categories/traffic
check_status 200
case_end

case_begin "desk config new category routes next report"
report "Hàng xóm mở nhạc karaoke ồn ào cả đêm"
check_equal "category before the edit" null "$(json_get "$PUBLIC" ticket.category)"
check_equal "department before the edit" tiep-nhan \
	"$(json_get "$PUBLIC" ticket.department)"
admin PUT /api/v1/desk/departments/moi-truong \
	'{"name_vi": "Phòng Môi trường", "name_en": "Environment Office"}'
check_status 201
admin PUT /api/v1/desk/categories/noise \
	"$(category_json "Tiếng ồn" "Noise" moi-truong "karaoke,ồn ào")"
check_status 201
check_equal "stored keywords" '["karaoke", "ồn ào"]' \
	"$(json_get "$API_BODY" category.keywords)"
report "Quán bên cạnh hát KARAOKE đến nửa đêm"
check_equal "category" noise "$(json_get "$PUBLIC" ticket.category)"
check_equal "department" moi-truong "$(json_get "$PUBLIC" ticket.department)"
check_equal "category name" "Tiếng ồn" "$(json_get "$PUBLIC" ticket.category_name.vi)"
check_match "deadline" "$(json_get "$PUBLIC" ticket.due_at)" '^20[0-9-]+T'
case_end

case_begin "desk config new category on the web form"
api GET /
check_contains "configured category" "$API_BODY" '<option value="traffic">Giao thông</option>'
check_contains "new category in Vietnamese" "$API_BODY" '<option value="noise">Tiếng ồn</option>'
api GET "/?lang=en"
check_contains "new category in English" "$API_BODY" '<option value="noise">Noise</option>'
check_not_contains "no fixed category" "$API_BODY" 'value="urban_order"'
form_token_get
api POST "/api/v1/requests?lang=en" "$(form_encode form_token "$FORM_TOKEN" \
	category noise description "Tiếng máy khoan từ công trình bên cạnh")"
check_status 201
form_code=$(printf '%s' "$API_BODY" |
	sed -n 's/.*<p class="code">\([0-9-]*\)<\/p>.*/\1/p' | head -n 1)
api GET "/api/v1/requests/${form_code//-/}"
check_equal "chosen category" noise "$(json_get "$API_BODY" ticket.category)"
# A category that is not configured is ignored, as in the JSON API, and
# the report is classified by its words.
form_token_get
api POST "/api/v1/requests?lang=en" "$(form_encode form_token "$FORM_TOKEN" \
	category water description "Đường có nhiều ổ gà sau mưa")"
check_status 201
form_code=$(printf '%s' "$API_BODY" |
	sed -n 's/.*<p class="code">\([0-9-]*\)<\/p>.*/\1/p' | head -n 1)
api GET "/api/v1/requests/${form_code//-/}"
check_equal "unknown category ignored" traffic "$(json_get "$API_BODY" ticket.category)"
case_end

case_begin "desk config rename shows on status page"
report "Đường có ổ gà lớn"
check_equal "category" traffic "$(json_get "$PUBLIC" ticket.category)"
admin PUT /api/v1/desk/departments/quan-ly-do-thi \
	'{"name_vi": "Phòng Kinh tế, Hạ tầng và Đô thị", "name_en": "Economy, Infrastructure and Urban Office"}'
check_status 200
api GET "/api/v1/requests/$CODE"
check_equal "public department name" "Phòng Kinh tế, Hạ tầng và Đô thị" \
	"$(json_get "$API_BODY" ticket.department_name.vi)"
api GET "/lookup?code=$CODE"
check_status 200
check_contains "status page" "$API_BODY" "Phòng Kinh tế, Hạ tầng và Đô thị"
check_not_contains "status page" "$API_BODY" "Phòng Quản lý đô thị"
api GET "/lookup?code=$CODE&lang=en"
check_contains "English status page" "$API_BODY" \
	"Economy, Infrastructure and Urban Office"
case_end

case_begin "desk config bad edit 422 changes nothing"
admin GET /api/v1/desk
BEFORE=$API_BODY
admin PUT /api/v1/desk/categories/traffic \
	'{"name_vi": "Giao thông", "name_en": "Traffic", "keywords": ["ổ gà"], "deadline": {"working_days": 0}}'
check_status 422
check_equal "code" invalid_field "$(json_get "$API_BODY" error.code)"
check_equal "field" categories.traffic.deadline.working_days \
	"$(json_get "$API_BODY" error.field)"
check_contains "detail" "$(json_get "$API_BODY" error.detail)" "1 to 365"
check_contains "message in Vietnamese" "$(json_get "$API_BODY" error.message.vi)" \
	"categories.traffic.deadline.working_days"
admin PUT /api/v1/desk/categories/traffic '{"name_en": "Traffic"}'
check_status 422
check_equal "missing field" categories.traffic.name_vi \
	"$(json_get "$API_BODY" error.field)"
admin PUT /api/v1/desk/categories/traffic \
	'{"name_vi": "Giao thông", "name_en": "Traffic", "department": "khong-co"}'
check_status 422
check_equal "unknown department" categories.traffic.department \
	"$(json_get "$API_BODY" error.field)"
admin PUT /api/v1/desk/communes/xa-moi '{"name": "Xã Mới", "ma": 1}'
check_status 422
check_equal "unknown key" communes.xa-moi.ma "$(json_get "$API_BODY" error.field)"
admin PUT /api/v1/desk/categories/Giao%20Thong '{"name_vi": "G", "name_en": "T"}'
check_status 422
check_equal "bad id" categories.id "$(json_get "$API_BODY" error.field)"
api PUT /api/v1/desk/categories/traffic '[1, 2]' \
	-H "Authorization: Bearer $HUB_TOKEN" -H 'Content-Type: application/json'
check_status 400
check_equal "not an object" invalid_json "$(json_get "$API_BODY" error.code)"
api PUT /api/v1/desk/categories/traffic 'name_vi=G' \
	-H "Authorization: Bearer $HUB_TOKEN"
check_status 415
admin PUT /api/v1/desk/triage_department '{"department": "khong-co"}'
check_status 422
check_equal "triage" triage_department "$(json_get "$API_BODY" error.field)"
admin GET /api/v1/desk
check_equal "GET /api/v1/desk after the rejected edits" "$BEFORE" "$API_BODY"
report "Kẹt xe ở ngã tư"
check_equal "old rules still route" quan-ly-do-thi \
	"$(json_get "$PUBLIC" ticket.department)"
case_end

case_begin "desk config department in use 409"
admin DELETE /api/v1/desk/departments/quan-ly-do-thi
check_status 409
check_equal "code" conflict "$(json_get "$API_BODY" error.code)"
check_equal "user" categories.traffic.department \
	"$(json_get "$API_BODY" error.field)"
admin DELETE /api/v1/desk/departments/tiep-nhan
check_status 409
check_equal "triage user" triage_department "$(json_get "$API_BODY" error.field)"
admin PUT /api/v1/desk/triage_department '{"department": "moi-truong"}'
check_status 200
admin DELETE /api/v1/desk/departments/tiep-nhan
check_status 409
check_match "agent user" "$(json_get "$API_BODY" error.field)" \
	'^agents\.[0-9]+\.departments$'
admin PUT /api/v1/desk/departments/tam '{"name_vi": "Tạm", "name_en": "Temporary"}'
check_status 201
admin DELETE /api/v1/desk/departments/tam
check_status 204
admin GET /api/v1/desk/departments/tam
check_status 404
admin DELETE /api/v1/desk/departments/tam
check_status 404
case_end

# An agent joins a department while its delete waits for the database: a
# second writer holds the write lock, the delete passes the first check on
# the committed data, and the writer adds agent nhanvien to the department
# before it lets go. The delete then finds the agent inside its transaction.
case_begin "desk config agent joining during delete 409"
admin PUT /api/v1/desk/departments/tam-thoi '{"name_vi": "Tạm thời", "name_en": "Temporary"}'
check_status 201
python3 - "$HUB_DATA/citizenhub.db" "$TEST_TMP/lock.ready" <<'PYTHON' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
db.execute("BEGIN IMMEDIATE")
agent = db.execute("SELECT id FROM agents WHERE username = 'nhanvien'").fetchone()[0]
db.execute("INSERT INTO agent_departments (agent_id, department) VALUES (?, ?)",
           (agent, "tam-thoi"))
open(sys.argv[2], "w").close()
time.sleep(0.8)
db.execute("COMMIT")
PYTHON
LOCK_PID=$!
for _ in $(seq 50); do [ -e "$TEST_TMP/lock.ready" ] && break; sleep 0.05; done
admin DELETE /api/v1/desk/departments/tam-thoi
wait "$LOCK_PID" || fail "the lock holder failed"
check_status 409
check_match "agent user" "$(json_get "$API_BODY" error.field)" \
	'^agents\.[0-9]+\.departments$'
admin GET /api/v1/desk/departments/tam-thoi
check_status 200
case_end

# The other way round: while the delete of a department waits for the
# database, an agent's change that adds the department gets 422, so no
# agent is left in it once the delete is stored.
case_begin "desk config agent change during delete 422"
admin PUT /api/v1/desk/departments/tam-hai '{"name_vi": "Tạm hai", "name_en": "Temporary two"}'
check_status 201
admin GET /api/v1/agents
STAFF_ID=$(python3 -c '
import json, sys
print([a["id"] for a in json.loads(sys.argv[1])["agents"] if a["username"] == "nhanvien"][0])
' "$API_BODY" 2>/dev/null || echo 0)
rm -f "$TEST_TMP/lock.ready"
python3 - "$HUB_DATA/citizenhub.db" "$TEST_TMP/lock.ready" <<'PYTHON' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(1.0)
db.execute("COMMIT")
PYTHON
LOCK_PID=$!
for _ in $(seq 50); do [ -e "$TEST_TMP/lock.ready" ] && break; sleep 0.05; done
curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X DELETE \
	-H "Authorization: Bearer $HUB_TOKEN" \
	"$HUB_URL/api/v1/desk/departments/tam-hai" >"$TEST_TMP/delete.status" &
DELETE_PID=$!
sleep 0.3
admin PATCH "/api/v1/agents/$STAFF_ID" '{"departments": ["tiep-nhan", "tam-hai"]}'
check_status 422
check_equal "field" departments "$(json_get "$API_BODY" error.field)"
wait "$DELETE_PID" || fail "curl of the delete failed"
wait "$LOCK_PID" || fail "the lock holder failed"
check_equal "delete" 204 "$(cat "$TEST_TMP/delete.status")"
admin GET "/api/v1/agents/$STAFF_ID"
check_equal "agent in the deleted department" False \
	"$(python3 -c 'import json, sys; print("tam-hai" in json.loads(sys.argv[1])["agent"]["departments"])' "$API_BODY")"
case_end

case_begin "desk config deleted category kept on tickets"
report "Tiếng karaoke ồn ào"
NOISE_CODE=$CODE
check_equal "category" noise "$(json_get "$PUBLIC" ticket.category)"
admin DELETE /api/v1/desk/categories/noise
check_status 204
api GET "/api/v1/requests/$NOISE_CODE"
check_equal "ticket keeps the id" noise "$(json_get "$API_BODY" ticket.category)"
check_equal "no name any more" null "$(json_get "$API_BODY" ticket.category_name)"
api GET /
check_not_contains "deleted category on the form" "$API_BODY" 'value="noise"'
report "Tiếng karaoke ồn ào nữa"
check_equal "next report to triage" moi-truong \
	"$(json_get "$PUBLIC" ticket.department)"
check_equal "unclassified" null "$(json_get "$PUBLIC" ticket.category)"
case_end

case_begin "desk config concurrent edits all apply"
pids=()
for i in 1 2 3 4 5 6 7 8; do
	curl -s -o "$TEST_TMP/put-$i.body" -w '%{http_code}' --max-time 10 \
		-X PUT -H "Authorization: Bearer $HUB_TOKEN" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"name\": \"Xã số $i\", \"department\": \"moi-truong\"}" \
		"$HUB_URL/api/v1/desk/communes/xa-$i" >"$TEST_TMP/put-$i.status" &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || fail "curl of a concurrent PUT failed"
done
for i in 1 2 3 4 5 6 7 8; do
	check_equal "PUT xa-$i" 201 "$(cat "$TEST_TMP/put-$i.status")"
done
admin GET /api/v1/desk
check_equal "communes" 9 "$(json_length "$(json_get "$API_BODY" communes)")"
case_end

case_begin "desk config agent add knows edited departments"
printf 'mat-khau-dai-12345\n' | "$CTL_BIN" -c "$HUB_CONFIG" agent add \
	moitruong --role agent --department moi-truong \
	>"$TEST_TMP/agent2.out" 2>&1 ||
	fail "agent add with a department made through the API:" \
		"$(cat "$TEST_TMP/agent2.out")"
printf 'mat-khau-dai-12345\n' | "$CTL_BIN" -c "$HUB_CONFIG" agent add \
	khongco --role agent --department khong-co \
	>"$TEST_TMP/agent3.out" 2>&1 &&
	fail "agent add accepted the unknown department khong-co"
check_contains "agent add error" "$(cat "$TEST_TMP/agent3.out")" \
	'unknown department "khong-co"'
case_end

case_begin "desk config edits stored with audit events"
DB=$HUB_DATA/citizenhub.db
if command -v sqlite3 >/dev/null; then
	check_equal "stored by" "" \
		"$(sqlite3 "$DB" "SELECT updated_by FROM desk_settings WHERE key = 'desk'")"
	check_equal "audit events" 18 \
		"$(sqlite3 "$DB" "SELECT count(*) FROM audit_events WHERE action LIKE 'desk.%' AND actor = 'admin-token'")"
	check_equal "audit of the category put" \
		'{"section":"categories","id":"noise","created":true}' \
		"$(sqlite3 "$DB" "SELECT detail FROM audit_events WHERE action = 'desk.category.put' ORDER BY id LIMIT 1")"
else
	echo "# sqlite3 missing: the stored rows are checked through the API only"
fi
admin GET /api/v1/desk
check_match "updated_at" "$(json_get "$API_BODY" updated_at)" '^20[0-9-]+T'
case_end

case_begin "desk config survives restart and wins over file"
admin GET /api/v1/desk
BEFORE=$(python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(json.dumps([d["departments"], d["categories"], d["communes"], d["triage_department"]]))' "$API_BODY")
hub_stop
hub_start "$HUB_DATA" || true
admin GET /api/v1/desk
AFTER=$(python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(json.dumps([d["departments"], d["categories"], d["communes"], d["triage_department"]]))' "$API_BODY")
check_equal "desk after the restart" "$BEFORE" "$AFTER"
check_equal "department renamed" "Phòng Kinh tế, Hạ tầng và Đô thị" \
	"$(json_get "$API_BODY" departments.0.name_vi)"
grep -q "desk settings from the database replace the config file's" "$HUB_LOG" ||
	fail "the log does not say that the database replaces the file's sections"
# The categories are the file's again, since noise was deleted.
grep -q "warn desk: the config file's departments, communes, triage_department differ" "$HUB_LOG" ||
	fail "the log does not warn that the file's departments, communes and triage_department differ"
report "Karaoke ồn ào"
check_equal "deleted category stays deleted" null \
	"$(json_get "$PUBLIC" ticket.category)"
report "Có ổ gà"
check_equal "file category still there" traffic \
	"$(json_get "$PUBLIC" ticket.category)"
ctl check-config "$HUB_CONFIG"
check_ctl "check-config checks the file" 0
case_end

hub_stop
tests_done
