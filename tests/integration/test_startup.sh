#!/usr/bin/env bash
# Start-up checks: what citizenhubd -t and citizenhubctl check-config find
# before the daemon runs, and the start-up errors a person sees on the
# terminal when the log goes to a file.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# run_check PROGRAM ARGS...: runs a check with a time limit and sets
# RUN_STATUS and RUN_OUTPUT (standard output and error together).
run_check() {
	RUN_STATUS=0
	RUN_OUTPUT=$(timeout 10 "$@" </dev/null 2>&1) || RUN_STATUS=$?
}

# write_config FILE EXTRA: a valid test config with the JSON members EXTRA
# added at the top level.
write_config() {
	HUB_DATA=$TEST_TMP/data
	HUB_PORT=$(lib_free_port)
	lib_token_create
	HUB_CONFIG_EXTRA=$2 hub_config_write "$1"
}

case_begin "empty config is valid"
printf '{}\n' >"$TEST_TMP/empty.json"
run_check "$HUB_BIN" -c "$TEST_TMP/empty.json" -t
check_equal "citizenhubd -t exit status" 0 "$RUN_STATUS"
check_contains "citizenhubd -t output" "$RUN_OUTPUT" "configuration OK"
case_end

case_begin "check finds a token file open to others"
write_config "$TEST_TMP/open-token.json" ""
chmod 644 "$HUB_TOKEN_FILE"
run_check "$HUB_BIN" -c "$TEST_TMP/open-token.json" -t
check_equal "citizenhubd -t exit status" 1 "$RUN_STATUS"
check_contains "citizenhubd -t output" "$RUN_OUTPUT" "admin.token_file"
check_contains "citizenhubd -t advice" "$RUN_OUTPUT" "chmod 600"
chmod 600 "$HUB_TOKEN_FILE"
case_end

case_begin "check finds a missing token file"
sed "s|$HUB_TOKEN_FILE|$TEST_TMP/no-such.token|" "$TEST_TMP/open-token.json" \
	>"$TEST_TMP/missing-token.json"
run_check "$HUB_BIN" -c "$TEST_TMP/missing-token.json" -t
check_equal "citizenhubd -t exit status" 1 "$RUN_STATUS"
check_contains "citizenhubd -t output" "$RUN_OUTPUT" "no-such.token"
case_end

case_begin "check finds a log folder missing"
write_config "$TEST_TMP/bad-log.json" \
	"\"log\": { \"file\": \"$TEST_TMP/no-such-folder/hub.log\" }"
# The second "log" member would be a duplicate key: drop the first one.
sed -i '0,/"log": { "level": "debug" },/{//d}' "$TEST_TMP/bad-log.json"
run_check "$HUB_BIN" -c "$TEST_TMP/bad-log.json" -t
check_equal "citizenhubd -t exit status" 1 "$RUN_STATUS"
check_contains "citizenhubd -t output" "$RUN_OUTPUT" "log.file"
check_contains "citizenhubd -t names the folder" "$RUN_OUTPUT" "no-such-folder"
case_end

case_begin "ctl check-config reads channel sections"
write_config "$TEST_TMP/web-typo.json" ""
sed -i 's/"min_fill_seconds"/"min_fill"/' "$TEST_TMP/web-typo.json"
ctl check-config "$TEST_TMP/web-typo.json"
check_ctl "check-config of a channel typo" 1
check_contains "check-config output" "$CTL_ERR" "channels.web.min_fill"
check_match "check-config line" "$CTL_ERR" "web-typo.json:[0-9]+:"
write_config "$TEST_TMP/good.json" ""
ctl check-config "$TEST_TMP/good.json"
check_ctl "check-config of a good config" 0
check_equal "check-config output" OK "$CTL_OUT"
case_end

case_begin "unknown channel module is named"
write_config "$TEST_TMP/unknown-module.json" ""
sed -i 's/"channels": { "web": {/"channels": { "pager": {/' \
	"$TEST_TMP/unknown-module.json"
run_check "$HUB_BIN" -c "$TEST_TMP/unknown-module.json" -t
check_equal "citizenhubd -t exit status" 1 "$RUN_STATUS"
check_contains "citizenhubd -t output" "$RUN_OUTPUT" \
	'unknown channel module "pager"'
check_match "citizenhubd -t line" "$RUN_OUTPUT" \
	"unknown-module.json:[0-9]+: channels.pager"
case_end

case_begin "module of another ABI is refused"
modules=$TEST_TMP/modules
mkdir -p "$modules"
cat >"$TEST_TMP/old.c" <<'C'
#include "channel.h"
const struct hub_channel_module hub_channel_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION + 1,
	.name = "old",
};
C
read -ra jansson_flags < <(pkg-config --cflags jansson)
if gcc -shared -fPIC -I"$TOP/hub" "${jansson_flags[@]}" \
	-o "$modules/old.so" "$TEST_TMP/old.c"; then
	write_config "$TEST_TMP/old-abi.json" ""
	sed -i -e "s|\"modules_dir\": \"[^\"]*\"|\"modules_dir\": \"$modules\"|" \
		-e 's/"channels": { "web": {[^}]*}/"channels": { "old": {}/' \
		"$TEST_TMP/old-abi.json"
	run_check "$HUB_BIN" -c "$TEST_TMP/old-abi.json" -t
	check_equal "citizenhubd -t exit status" 1 "$RUN_STATUS"
	check_match "citizenhubd -t output" "$RUN_OUTPUT" \
		"ABI version [0-9]+ but this hub needs [0-9]+"
else
	fail "the test module did not compile"
fi
case_end

case_begin "database files are private"
if hub_start; then
	for file in citizenhub.db citizenhub.db-wal; do
		check_equal "mode of $file" 600 "$(stat -c %a "$HUB_DATA/$file")"
	done
	check_equal "mode of the data directory" 700 "$(stat -c %a "$HUB_DATA")"
	hub_stop
fi
case_end

case_begin "start-up error reaches the terminal"
if hub_start; then
	running_data=$HUB_DATA
	running_port=$HUB_PORT
	write_config "$TEST_TMP/second.json" \
		"\"log\": { \"file\": \"$TEST_TMP/second.log\" }"
	sed -i '0,/"log": { "level": "debug" },/{//d}' "$TEST_TMP/second.json"
	# The same data directory as the running daemon: its lock is taken.
	sed -i "s|\"data_dir\": \"[^\"]*\"|\"data_dir\": \"$running_data\"|" \
		"$TEST_TMP/second.json"
	run_check "$HUB_BIN" -c "$TEST_TMP/second.json"
	check_equal "second daemon exit status" 1 "$RUN_STATUS"
	check_match "second daemon message on the terminal" "$RUN_OUTPUT" \
		"data directory|lock"
	check_contains "the same message in its log file" \
		"$(cat "$TEST_TMP/second.log")" "data directory"
	HUB_DATA=$running_data
	HUB_PORT=$running_port
	hub_stop
fi
case_end

tests_done
