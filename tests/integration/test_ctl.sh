#!/usr/bin/env bash
# citizenhubctl: init, check-config, tickets list and show, stats, usage
# errors, and the commands that must refuse while the daemon runs.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

data=$TEST_TMP/ctl-data
codes=()

case_begin "init creates the data dir"
ctl --data-dir "$data" init
check_ctl "init" 0
[ -f "$data/citizenhub.db" ] || fail "init: $data/citizenhub.db missing"
check_equal "mode of the data dir" 700 "$(stat -c %a "$data" 2>/dev/null)"
ctl --data-dir "$data" init
check_ctl "init again" 0
ctl --data-dir "$data" stats --json
check_ctl "stats of an empty store" 0
check_equal "tickets of an empty store" 0 "$(json_get "$CTL_OUT" tickets)"
case_end

case_begin "check-config good and bad"
HUB_DATA=$data
HUB_PORT=$(lib_free_port)
lib_token_create
good=$TEST_TMP/good.json
hub_config_write "$good"
ctl check-config "$good"
check_ctl "check-config good" 0
check_contains "check-config good output" "$CTL_OUT" "OK"
ctl -c "$good" check-config
check_ctl "check-config from -c" 0
bad=$TEST_TMP/bad.json
sed 's/"workers": 2/"workers": "two"/' "$good" >"$bad"
ctl check-config "$bad"
check_ctl "check-config wrong type" 1
check_contains "check-config wrong type output" "$CTL_ERR" "$bad:5: workers"
sed 's/"workers": 2/"worker": 2/' "$good" >"$bad"
ctl check-config "$bad"
check_ctl "check-config unknown key" 1
check_contains "check-config unknown key output" "$CTL_ERR" "$bad:5: worker"
case_end

case_begin "usage errors exit 2"
ctl check-config
check_ctl "check-config without a file" 2
ctl no-such-command
check_ctl "unknown command" 2
ctl
check_ctl "no command" 2
ctl --data-dir "$data" tickets list --status bogus
check_ctl "tickets list --status bogus" 2
ctl --data-dir "$data" tickets list --limit 0
check_ctl "tickets list --limit 0" 2
ctl stats
check_ctl "stats without a data dir" 1
check_contains "stats without a data dir message" "$CTL_ERR" "--data-dir"
case_end

case_begin "help for every command"
for command in init check-config tickets stats backup restore; do
	ctl help "$command"
	check_ctl "help $command" 0
	check_contains "help $command" "$CTL_OUT" "usage: citizenhubctl"
	ctl "$command" --help
	check_ctl "$command --help" 0
done
ctl --help
check_ctl "--help" 0
check_contains "--help" "$CTL_OUT" "tickets"
case_end

case_begin "tickets list shows submitted tickets"
if hub_start "$data"; then
	for i in 1 2 3; do
		submit "ctl-$i"
		[ -z "$SUBMIT_CODE" ] || codes+=("$SUBMIT_CODE")
	done
	check_equal "tickets submitted" 3 "${#codes[@]}"
	ctl --data-dir "$data" tickets list
	check_ctl "tickets list" 0
	check_match "tickets list header" "$CTL_OUT" '^CODE +STATUS +CHANNEL'
	for code in "${codes[@]}"; do
		check_contains "tickets list" "$CTL_OUT" \
			"${code:0:4}-${code:4:4}-${code:8:2}"
	done
	check_contains "tickets list subject" "$CTL_OUT" "Đèn đường hỏng ctl-3"
	check_equal "rows of tickets list" 4 "$(printf '%s\n' "$CTL_OUT" | wc -l)"
fi
case_end

case_begin "tickets list limit and status"
ctl --data-dir "$data" tickets list --limit 2
check_ctl "tickets list --limit 2" 0
check_equal "rows of tickets list --limit 2" 3 \
	"$(printf '%s\n' "$CTL_OUT" | wc -l)"
ctl --data-dir "$data" tickets list --status closed
check_ctl "tickets list --status closed" 0
check_contains "tickets list --status closed" "$CTL_OUT" "No tickets match"
ctl --data-dir "$data" tickets list --status new --json
check_ctl "tickets list --status new --json" 0
check_equal "tickets with status new" 3 "$(json_length "$CTL_OUT")"
case_end

case_begin "tickets list json"
ctl --data-dir "$data" tickets list --json
check_ctl "tickets list --json" 0
json_valid "$CTL_OUT" || fail "tickets list --json: output is not JSON"
for code in "${codes[@]}"; do
	check_contains "tickets list --json" "$CTL_OUT" "\"$code\""
done
check_equal "newest ticket first" "${codes[2]:-}" \
	"$(json_get "$CTL_OUT" 0.code)"
case_end

case_begin "tickets show grouped and plain"
code=${codes[0]:-0000000000}
grouped="${code:0:4}-${code:4:4}-${code:8:2}"
for form in "$code" "$grouped" "${code:0:4} ${code:4:4} ${code:8:2}"; do
	ctl --data-dir "$data" tickets show "$form"
	check_ctl "tickets show \"$form\"" 0
	check_contains "tickets show \"$form\"" "$CTL_OUT" "$grouped ($code)"
	check_contains "tickets show \"$form\" subject" "$CTL_OUT" \
		"Đèn đường hỏng ctl-1"
	check_contains "tickets show \"$form\" message" "$CTL_OUT" \
		"Đèn đường trước nhà số ctl-1 không sáng."
done
ctl --data-dir "$data" tickets show "$grouped" --json
check_ctl "tickets show --json" 0
json_valid "$CTL_OUT" || fail "tickets show --json: output is not JSON"
check_contains "tickets show --json" "$CTL_OUT" "\"$code\""
case_end

case_begin "tickets show rejects bad codes"
code=${codes[0]:-0000000000}
last=${code:9:1}
wrong_check="${code:0:9}$(((last + 1) % 10))"
ctl --data-dir "$data" tickets show "$wrong_check"
check_ctl "tickets show with a wrong check digit" 1
check_contains "wrong check digit message" "$CTL_ERR" "invalid ticket code"
absent=""
for prefix in 123456789 987654321 555555555; do
	candidate=$(ticket_code_with_check "$prefix")
	if [[ " ${codes[*]} " != *" $candidate "* ]]; then
		absent=$candidate
		break
	fi
done
ctl --data-dir "$data" tickets show "$absent"
check_ctl "tickets show of an absent code" 1
check_contains "absent code message" "$CTL_ERR" "not found"
case_end

case_begin "stats counts tickets"
ctl --data-dir "$data" stats
check_ctl "stats" 0
check_match "stats tickets line" "$CTL_OUT" '^tickets +3$'
ctl --data-dir "$data" stats --json
check_ctl "stats --json" 0
check_equal "stats --json tickets" 3 "$(json_get "$CTL_OUT" tickets)"
check_ge "stats --json messages" 3 "$(json_get "$CTL_OUT" messages || echo 0)"
ctl -c "$HUB_CONFIG" stats --json
check_ctl "stats with -c" 0
check_equal "stats with -c tickets" 3 "$(json_get "$CTL_OUT" tickets)"
case_end

case_begin "init and restore refuse while the daemon runs"
ctl --data-dir "$data" init
check_ctl "init while the daemon runs" 1
check_match "init message" "$CTL_ERR" "running|stop"
ctl --data-dir "$data" backup "$TEST_TMP/ctl-backup.db"
check_ctl "backup while the daemon runs" 0
ctl --data-dir "$data" backup "$TEST_TMP/ctl-backup.db"
check_ctl "backup onto an existing file" 1
ctl --data-dir "$data" restore "$TEST_TMP/ctl-backup.db"
check_ctl "restore while the daemon runs" 1
check_match "restore message" "$CTL_ERR" "running|stop"
api GET /readyz
check_status 200
hub_stop
ctl --data-dir "$data" restore "$TEST_TMP/ctl-backup.db"
check_ctl "restore after the daemon stopped" 0
case_end

tests_done
