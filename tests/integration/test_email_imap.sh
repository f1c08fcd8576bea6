#!/usr/bin/env bash
# IMAP polling of the email channel against a Dovecot started by the test on
# 127.0.0.1 (its own config, password file and maildir, no TLS). A message
# put into the mailbox becomes a ticket and is marked \Seen only then; the
# same message fetched again (its flag reset and the hub restarted, or a
# second copy under a new UID) is stored once, and a new message after the
# restart is still fetched.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=email_lib.sh
. "$(dirname "$0")/email_lib.sh"

# wait_flags UID FLAG: waits up to 15 s (two polls) until message UID has
# FLAG.
wait_flags() {
	local deadline=$((SECONDS + 15)) flags=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		flags=$(imap_flags "$1")
		[[ "$flags" == *"$2"* ]] && return 0
		sleep 0.3
	done
	fail "message $1 in the mailbox: flags \"$flags\", expected $2"
}

case_begin "Dovecot and the hub polling it start"
imap_start || exit 1
mail1=$TEST_TMP/imap-1.eml
make_mail "$mail1" "Bùi Thị Thu <thu.bui@example.com>" "Xe rác đổ rác sai giờ" \
	"Xe rác đổ rác lúc 2 giờ sáng ở đường Trần Hưng Đạo, rất ồn." \
	Message-ID "<imap-first-$RANDOM@mail.example.com>"
imap_deliver "$mail1"
check_not_contains "flags before the hub polls" "$(imap_flags 1)" '\Seen'
sink_start
# No ticket exists before the hub first starts.
BEFORE=""
email_hub_start "$(imap_section)" || exit 1
case_end

case_begin "a message in the mailbox becomes a ticket, then is seen"
if wait_new_codes "$BEFORE" 1 15; then
	IMAP_CODE=$NEW_CODES
	detail "$IMAP_CODE"
	check_equal "subject" "Xe rác đổ rác sai giờ" "$(detail_get 't["subject"]')"
	check_contains "body" "$(detail_get 'inbound[0]["body"]')" "đường Trần Hưng Đạo"
	check_equal "contact" thu.bui@example.com \
		"$(detail_get '[c["value"] for c in t["contacts"] if c["kind"] == "email"][0]')"
else
	fail "no ticket from the mailbox within 15 s"
	IMAP_CODE=""
fi
wait_flags 1 '\Seen'
case_end

case_begin "the same message fetched again after a restart is stored once"
DATA_KEPT=$HUB_DATA
hub_stop
imap_command 'UID STORE 1 -FLAGS (\Seen)' >/dev/null
check_not_contains "flags after the reset" "$(imap_flags 1)" '\Seen'
email_hub_start "$(imap_section)" "$DATA_KEPT" || exit 1
admin_codes
BEFORE=$ADMIN_CODES
# Two polls (poll_seconds is at least 5).
sleep 11
check_equal "tickets opened after the restart" "" "$(new_codes "$BEFORE")"
if [ -n "$IMAP_CODE" ]; then
	detail "$IMAP_CODE"
	check_equal "inbound messages" 1 "$(detail_get 'len(inbound)')"
fi
case_end

case_begin "a second copy under a new UID is stored once"
imap_deliver "$mail1"
wait_flags 2 '\Seen'
check_equal "tickets opened by the copy" "" "$(new_codes "$BEFORE")"
if [ -n "$IMAP_CODE" ]; then
	detail "$IMAP_CODE"
	check_equal "inbound messages" 1 "$(detail_get 'len(inbound)')"
fi
case_end

case_begin "a new message after the restart is fetched"
mail3=$TEST_TMP/imap-3.eml
make_mail "$mail3" "Cao Văn Hải <hai.cao@example.com>" "Biển báo bị che khuất" \
	"Biển báo giao thông ở cầu Chữ Y bị cây che khuất."
imap_deliver "$mail3"
if wait_new_codes "$BEFORE" 1 15; then
	detail "$NEW_CODES"
	check_equal "subject" "Biển báo bị che khuất" "$(detail_get 't["subject"]')"
else
	fail "the new message opened no ticket within 15 s"
fi
wait_flags 3 '\Seen'
hub_stop
sink_stop
imap_stop
case_end

tests_done
