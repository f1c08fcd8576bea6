#!/usr/bin/env bash
# The citizens' pages in a real browser: tests/browser/form.mjs drives
# Debian's headless Chromium through playwright-core against the daemon,
# fills the form in Vietnamese, looks the report up, and switches to English.
# Each step of the script is one test case here. Screenshots are kept under
# the test's folder (KEEP_TMP=1 keeps it after a passing run).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BROWSER_DIR=$TOP/tests/browser
CHROMIUM=/usr/bin/chromium
HUB_MIN_FILL_SECONDS=1
# The form lists the desk's categories, and form.mjs chooses "lighting".
HUB_CONFIG_EXTRA='"departments": [
		{ "id": "do-thi", "name_vi": "Phòng Quản lý đô thị",
		  "name_en": "Urban Management Office" }
	],
	"categories": [
		{ "id": "lighting", "name_vi": "Chiếu sáng công cộng",
		  "name_en": "Street lighting", "department": "do-thi" }
	],
	"triage_department": "do-thi"'
BROWSER_STEPS=(
	"form page in vietnamese"
	"form filled and submitted"
	"result page shows code"
	"lookup shows status"
	"language link switches to english"
)

# Installs playwright-core from tests/browser/package-lock.json when
# node_modules is missing or older than the lock file.
browser_install() {
	local installed=$BROWSER_DIR/node_modules/.package-lock.json
	if [ -f "$installed" ] && [ ! "$BROWSER_DIR/package-lock.json" -nt "$installed" ]; then
		return 0
	fi
	(cd "$BROWSER_DIR" && timeout 120 npm ci --no-audit --no-fund) \
		>"$TEST_TMP/npm-ci.log" 2>&1 ||
		fail "npm ci in $BROWSER_DIR failed: $(tail -n 5 "$TEST_TMP/npm-ci.log")"
}

case_begin "browser tools are installed"
command -v node >/dev/null || fail "node is missing (scripts/setup --test)"
command -v npm >/dev/null || fail "npm is missing (scripts/setup --test)"
[ -x "$CHROMIUM" ] || fail "$CHROMIUM is missing (scripts/setup --test)"
if [ ${#CASE_FAILURES[@]} -eq 0 ]; then
	browser_install
fi
browser_ready=${#CASE_FAILURES[@]}
case_end

case_begin "daemon starts for browser"
hub_start
case_end

browser_status=0
: >"$TEST_TMP/browser.out"
if [ "$browser_ready" -eq 0 ]; then
	mkdir -p "$TEST_TMP/screenshots"
	timeout 120 node "$BROWSER_DIR/form.mjs" "$HUB_URL" \
		"$TEST_TMP/screenshots" "$HUB_MIN_FILL_SECONDS" \
		>"$TEST_TMP/browser.out" 2>"$TEST_TMP/browser.err" ||
		browser_status=$?
fi
browser_out=$(cat "$TEST_TMP/browser.out")

for browser_step in "${BROWSER_STEPS[@]}"; do
	case_begin "$browser_step"
	if ! grep -qxF "ok - $browser_step" <<<"$browser_out"; then
		reason=$(grep -F "not ok - $browser_step: " <<<"$browser_out" |
			head -n 1)
		if [ -n "$reason" ]; then
			fail "${reason#not ok - }"
		else
			fail "step did not run (form.mjs exit status $browser_status;" \
				"stderr: $(lib_shorten "$(cat "$TEST_TMP/browser.err" 2>/dev/null)"))"
		fi
	fi
	case_end
done

case_begin "screenshots are png files"
shots=$(sed -n 's/^screenshot //p' <<<"$browser_out")
check_equal "screenshots taken" 4 "$(printf '%s\n' "$shots" | sed '/^$/d' | wc -l)"
while IFS= read -r shot; do
	[ -n "$shot" ] || continue
	echo "# screenshot $shot"
	check_equal "signature of $shot" "89504e47" \
		"$(head -c 4 "$shot" | od -An -tx1 | tr -d ' \n')"
done <<<"$shots"
case_end

case_begin "browser report in admin api"
api_admin GET "/api/v1/tickets?limit=10"
check_status 200
check_equal "tickets" 1 "$(json_length "$(json_get "$API_BODY" tickets)")"
check_equal "citizen phone" "+84977246813" \
	"$(json_get "$API_BODY" tickets.0.contacts.0.value)"
check_equal "subject" "Đèn đường không sáng" \
	"$(json_get "$API_BODY" tickets.0.subject)"
case_end

case_begin "sigterm stops with status 0"
hub_stop
case_end

tests_done
