#!/usr/bin/env bash
# Phone numbers through the JSON intake: each row of
# tests/cases/sms/phone-numbers.tsv (input, then the expected E.164 number or
# "invalid") is submitted as the phone of a report. A valid number is stored
# on the ticket in E.164 form; an invalid one is rejected on the field
# "phone" and nothing is stored.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

PHONE_CASES=$TOP/tests/cases/sms/phone-numbers.tsv

# Prints the JSON body of a report with phone $1, made unique by $2.
phone_body() {
	python3 -c '
import json, sys
print(json.dumps({"phone": sys.argv[1], "consent": True,
                  "description": "Phản ánh số " + sys.argv[2]},
                 ensure_ascii=False))
' "$1" "$2"
}

# Prints the counters of the store that a rejected report must not change.
stored_counts() {
	ctl --data-dir "$HUB_DATA" stats --json
	python3 -c '
import json, sys
stats = json.loads(sys.argv[1])
print(" ".join("%s=%s" % (k, stats[k]) for k in
               ("tickets", "citizens", "contacts", "messages")))
' "$CTL_OUT"
}

# Prints the phone numbers among the contacts of the ticket in the JSON
# response $1 of GET /api/v1/tickets/{code}, one a line.
ticket_phones() {
	python3 -c '
import json, sys
for contact in json.loads(sys.argv[1])["ticket"]["contacts"]:
    if contact["kind"] == "phone":
        print(contact["value"])
' "$1"
}

case_begin "daemon starts for phone cases"
hub_start
case_end

row=0
while IFS= read -r line; do
	row=$((row + 1))
	[ "$row" -gt 1 ] || continue
	input=${line%%$'\t'*}
	expected=${line#*$'\t'}

	case_begin "phone \"$input\" gives $expected"
	counts_before=$(stored_counts)
	api POST /api/v1/requests "$(phone_body "$input" "$row")"
	if [ "$expected" = invalid ]; then
		check_status 422
		check_equal "error.code" invalid_field "$(json_get "$API_BODY" error.code)"
		check_equal "error.field" phone "$(json_get "$API_BODY" error.field)"
		check_equal "stored counts" "$counts_before" "$(stored_counts)"
	else
		check_status 201
		code=$(json_get "$API_BODY" code) || code=""
		api_admin GET "/api/v1/tickets/$code"
		check_status 200
		check_equal "phone on the ticket" "$expected" \
			"$(ticket_phones "$API_BODY")"
	fi
	case_end
done <"$PHONE_CASES"

case_begin "every phone row was run"
check_ge "rows of $PHONE_CASES" 10 "$row"
case_end

case_begin "sigterm stops with status 0"
hub_stop
case_end

tests_done
