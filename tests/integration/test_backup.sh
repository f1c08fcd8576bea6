#!/usr/bin/env bash
# Backups: citizenhubctl backup while the daemon takes submissions, restore
# into a new data directory, and the cases where restore must refuse.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SUBMISSIONS=300
LOAD_WORKERS=4
PROGRESS_PATTERN='\[[#.]{10}\] +[0-9]+% [0-9]+/[0-9]+ pages'
backup=$TEST_TMP/backup.db
load=$TEST_TMP/load

# Files SUBMISSIONS requests from LOAD_WORKERS clients in the background.
load_start() {
	local worker per_worker=$((SUBMISSIONS / LOAD_WORKERS))
	mkdir -p "$load"
	load_pids=()
	for worker in $(seq 1 "$LOAD_WORKERS"); do
		(
			for i in $(seq 1 "$per_worker"); do
				submit_background "load-$worker-$i" "$load/$worker-$i"
			done
		) &
		load_pids+=($!)
	done
}

count_201() {
	grep -ls '^201 ' "$load"/*.status 2>/dev/null | wc -l
}

# Prints the number of tickets that citizenhubctl stats reports for the
# data directory $1, or records a failure and prints -1.
stats_tickets() {
	local count
	ctl --data-dir "$1" stats --json
	if [ "$CTL_STATUS" != 0 ] ||
		! count=$(json_get "$CTL_OUT" tickets); then
		echo "stats of $1 failed ($CTL_STATUS): $CTL_ERR" >&2
		echo -1
		return
	fi
	echo "$count"
}

case_begin "backup while submissions run"
backup_tickets=-1
before_codes=()
if hub_start; then
	live_data=$HUB_DATA
	load_start
	deadline=$((SECONDS + 20))
	until [ "$(count_201)" -ge 30 ] || [ "$SECONDS" -ge "$deadline" ]; do
		sleep 0.02
	done
	mapfile -t before_codes < <(codes_answered "$load")
	ctl --data-dir "$live_data" backup "$backup"
	answered_after=$(count_201)
	check_ctl "backup" 0
	check_match "backup progress bar" "$CTL_ERR" "$PROGRESS_PATTERN"
	echo "# ${#before_codes[@]} answered before the backup began," \
		"$answered_after when it ended"
	check_ge "201 answers before the backup" 30 "${#before_codes[@]}"
	wait "${load_pids[@]}"
	check_equal "201 answers of the load" "$SUBMISSIONS" "$(count_201)"
	hub_stop
	[ -f "$backup" ] || fail "backup file $backup missing"

	view=$TEST_TMP/backup-view
	mkdir -p "$view"
	cp "$backup" "$view/citizenhub.db"
	backup_tickets=$(stats_tickets "$view")
	check_ge "tickets in the backup" "${#before_codes[@]}" "$backup_tickets"
fi
case_end

case_begin "restore into a new data dir"
restored=$TEST_TMP/restored
ctl --data-dir "$restored" restore "$backup"
check_ctl "restore" 0
check_match "restore progress bar" "$CTL_ERR" "$PROGRESS_PATTERN"
check_equal "tickets of the restored store" "$backup_tickets" \
	"$(stats_tickets "$restored")"
if hub_start "$restored"; then
	ctl --data-dir "$restored" tickets list --json --limit 100000
	check_ctl "tickets list --json" 0
	missing_codes=0
	for code in "${before_codes[@]}"; do
		[[ "$CTL_OUT" == *"\"$code\""* ]] || missing_codes=$((missing_codes + 1))
		api GET "/api/v1/requests/$code"
		check_status 200
	done
	check_equal "codes answered before the backup missing after restore" \
		0 "$missing_codes"
fi
case_end

case_begin "restore refuses while the daemon runs"
ctl --data-dir "$restored" restore "$backup"
check_not_equal "restore exit status" 0 "$CTL_STATUS"
check_match "restore message" "$CTL_ERR" "running|stop"
api GET /readyz
check_status 200
case_end

case_begin "restore refuses garbage files"
hub_stop
head -c 65536 /dev/urandom >"$TEST_TMP/garbage.db"
printf 'not a database\n' >"$TEST_TMP/text.db"
sqlite3 "$TEST_TMP/other.db" 'CREATE TABLE notes (body TEXT);'
for file in garbage.db text.db other.db no-such-file.db; do
	ctl --data-dir "$restored" restore "$TEST_TMP/$file"
	check_not_equal "restore $file exit status" 0 "$CTL_STATUS"
	check_not_equal "restore $file message" "" "$CTL_ERR"
done
check_equal "tickets after the refused restores" "$backup_tickets" \
	"$(stats_tickets "$restored")"
case_end

case_begin "backup refuses the data directory"
if hub_start "$restored"; then
	ctl --data-dir "$restored" backup "$restored/citizenhub.db" --force
	check_not_equal "backup over the database exit status" 0 "$CTL_STATUS"
	check_contains "backup message" "$CTL_ERR" "inside the data directory"
	api POST /api/v1/requests '{"description":"Sau khi sao lưu bị từ chối"}'
	check_status 201
	hub_stop
	check_equal "integrity of the database" ok \
		"$(sqlite3 "$restored/citizenhub.db" 'PRAGMA integrity_check')"
	check_equal "tickets after the refused backup" \
		"$((backup_tickets + 1))" "$(stats_tickets "$restored")"
fi
case_end

tests_done
