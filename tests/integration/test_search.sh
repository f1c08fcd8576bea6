#!/usr/bin/env bash
# Full-text search of tickets through the real daemon: every row of
# tests/cases/text/search-folding.tsv through GET /api/v1/tickets?q=, the
# bound on q, FTS5 syntax in q taken as plain words, paging and filters with
# q, and citizenhubctl tickets list --search.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CASES_FILE=$TOP/tests/cases/text/search-folding.tsv

# Prints a JSON body of a request whose description is $1. The subject
# shares no word with any query of the cases file.
search_request_body() {
	python3 -c '
import json, sys
print(json.dumps({"name": "Trần Thị Bình", "phone": "0912345678",
                  "subject": "Phản ánh", "description": sys.argv[1],
                  "consent": True}, ensure_ascii=False))
' "$1"
}

# Prints $1 percent-encoded for a query string.
url_encode() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# Prints $1 in NFD.
nfd() {
	python3 -c 'import sys, unicodedata; print(unicodedata.normalize("NFD", sys.argv[1]))' "$1"
}

# search QUERY [PARAMETERS]: GET /api/v1/tickets?q=QUERY&PARAMETERS with the
# admin token; sets SEARCH_CODES to the codes found, one a line, in the
# order of the response.
search() {
	SEARCH_CODES=""
	api_admin GET "/api/v1/tickets?q=$(url_encode "$1")${2:+&$2}"
	if [ "$API_STATUS" != 200 ]; then
		check_status 200
		return 0
	fi
	SEARCH_CODES=$(python3 -c '
import json, sys
for ticket in json.loads(sys.argv[1])["tickets"]:
    print(ticket["code"])
' "$API_BODY") || fail "GET /api/v1/tickets?q=$1: unexpected body" \
		"$(lib_shorten "$API_BODY")"
}

# check_found WHAT CODE EXPECTED: EXPECTED is "match" or "no match".
check_found() {
	local found="no match"
	if printf '%s\n' "$SEARCH_CODES" | grep -qx -- "$2"; then
		found=match
	fi
	check_equal "$1: ticket $2" "$3" "$found"
}

# check_same_codes QUERY REFERENCE: QUERY finds the same tickets as the
# plain words of REFERENCE.
check_same_codes() {
	local expected
	search "$2"
	expected=$SEARCH_CODES
	search "$1"
	check_equal "tickets found by q=$1 and by q=$2" "$expected" "$SEARCH_CODES"
}

hub_start || exit 1

# Query, expected outcome and ticket code of each row of the cases file.
rows_query=()
rows_expected=()
rows_code=()
case_begin "every case document submitted"
while IFS=$'\t' read -r query document expected; do
	[ "$query" = query ] && continue
	api POST /api/v1/requests "$(search_request_body "$document")"
	check_status 201
	rows_query+=("$query")
	rows_expected+=("$expected")
	rows_code+=("$(json_get "$API_BODY" code || true)")
done <"$CASES_FILE"
check_ge "rows of $CASES_FILE" 10 "${#rows_query[@]}"
case_end

for i in "${!rows_query[@]}"; do
	query=${rows_query[$i]}
	case_begin "row $((i + 2)): q \"$query\" is ${rows_expected[$i]}"
	search "$query"
	check_found "q=$query" "${rows_code[$i]}" "${rows_expected[$i]}"
	search "$(nfd "$query")"
	check_found "q=$query in NFD" "${rows_code[$i]}" "${rows_expected[$i]}"
	case_end
done

case_begin "q over 200 characters is 422"
api_admin GET "/api/v1/tickets?q=$(printf 'a%.0s' {1..201})"
check_status 422
check_equal "error.code" field_too_long "$(json_get "$API_BODY" error.code)"
check_equal "error.field" q "$(json_get "$API_BODY" error.field)"
check_contains "error.message.en" "$(json_get "$API_BODY" error.message.en)" 200
search "$(printf 'đ%.0s' {1..200})"
case_end

case_begin "q of invalid utf-8 is 422"
for bytes in %FF %C3%28 %ED%A0%80; do
	api_admin GET "/api/v1/tickets?q=duong$bytes"
	check_status 422
	check_equal "error.code for $bytes" invalid_field \
		"$(json_get "$API_BODY" error.code)"
	check_equal "error.field for $bytes" q "$(json_get "$API_BODY" error.field)"
done
case_end

case_begin "repeated q is 422"
api_admin GET "/api/v1/tickets?q=duong&q=rac"
check_status 422
check_equal "error.field" q "$(json_get "$API_BODY" error.field)"
case_end

case_begin "q without words finds nothing"
for query in "" " " '"' "!?" "- * :"; do
	search "$query"
	check_equal "tickets found by q=\"$query\"" "" "$SEARCH_CODES"
done
case_end

case_begin "fts5 syntax in q is plain text"
search duong
check_not_equal "tickets found by q=duong" "" "$SEARCH_CODES"
check_same_codes '"duong"' duong
check_same_codes 'duong*' duong
check_same_codes 'duo*' duo
check_same_codes '-duong' duong
check_same_codes 'duong:' duong
check_same_codes 'text:duong' 'text duong'
check_same_codes 'nguyen -hue' 'nguyen hue'
check_same_codes 'nguyen NOT hue' 'nguyen not hue'
check_same_codes 'ngap OR rac' 'ngap or rac'
check_same_codes 'NEAR(nguyen hue)' 'near nguyen hue'
check_same_codes 'NEAR(' near
check_same_codes '"nguyen" "hue' 'nguyen hue'
check_same_codes '^duong' duong
check_same_codes '{text}: duong' 'text duong'
search 'nguyen -hue'
check_not_equal "tickets found by q=nguyen -hue" "" "$SEARCH_CODES"
search 'ngap OR rac'
check_equal "tickets found by q=ngap OR rac" "" "$SEARCH_CODES"
case_end

case_begin "paging with q"
search duong limit=200
all=$SEARCH_CODES
check_ge "tickets found by q=duong" 3 "$(printf '%s\n' "$all" | wc -l)"
before=""
paged=""
pages=0
while :; do
	search duong "limit=1${before:+&before=$before}"
	[ "$API_STATUS" = 200 ] || break
	pages=$((pages + 1))
	[ -z "$SEARCH_CODES" ] || paged+=$SEARCH_CODES$'\n'
	before=$(json_get "$API_BODY" next_before)
	[ "$before" != null ] && [ "$pages" -lt 50 ] || break
done
check_equal "codes over pages of one" "$all" "$(printf '%s' "$paged" | sed '/^$/d')"
check_ge "pages of one ticket" 3 "$pages"
api_admin GET "/api/v1/tickets?q=duong&limit=200"
check_status 200
order=$(python3 -c '
import json, sys
ids = [t["id"] for t in json.loads(sys.argv[1])["tickets"]]
print("newest first" if ids == sorted(ids, reverse=True) else ids)
' "$API_BODY" 2>/dev/null)
check_equal "order of q=duong" "newest first" "$order"
case_end

case_begin "filters combine with q"
search duong limit=200
all=$SEARCH_CODES
search duong "status=new&channel=web&limit=200"
check_equal "q=duong with status=new and channel=web" "$all" "$SEARCH_CODES"
search duong "status=closed"
check_equal "q=duong with status=closed" "" "$SEARCH_CODES"
search duong "channel=sms"
check_equal "q=duong with channel=sms" "" "$SEARCH_CODES"
case_end

case_begin "ctl tickets list --search"
search "Đồng Tháp" limit=200
ctl --data-dir "$HUB_DATA" tickets list --search "Đồng Tháp" --json
check_ctl "tickets list --search" 0
check_equal "codes of tickets list --search" "$SEARCH_CODES" "$(python3 -c '
import json, sys
for ticket in json.loads(sys.argv[1]):
    print(ticket["code"])
' "$CTL_OUT" 2>/dev/null)"
check_not_equal "codes of tickets list --search" "" "$SEARCH_CODES"
ctl --data-dir "$HUB_DATA" tickets list --search "$(printf 'a%.0s' {1..201})"
check_ctl "tickets list --search of 201 characters" 2
check_contains "tickets list --search of 201 characters" "$CTL_ERR" 200
ctl --data-dir "$HUB_DATA" tickets list --search "khong co tu nay"
check_ctl "tickets list --search without a match" 0
check_contains "tickets list --search without a match" "$CTL_OUT" \
	"No tickets match"
case_end

hub_stop
tests_done
