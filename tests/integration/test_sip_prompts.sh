#!/usr/bin/env bash
# The IVR's prompts as a caller hears them: the rendered welcome, a recorded
# u-law prompt from prompts_override_dir in its place, an override that the
# hub rejects at start-up, and a ticket code read digit by digit in a status
# lookup. baresip is the caller and records what it hears; sip_audio.py
# finds the rendered prompts in that recording.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

# One department with the categories that ivr/menu.json names.
HUB_CONFIG_EXTRA=$(sip_desk_config)

# baresip ends a call when its microphone file ends: a minute of silence.
sox -n -r 8000 -c 1 -b 16 "$TEST_TMP/silence.wav" trim 0 60

# prompts_call NAME SECONDS [KEYS_AT KEYS]...: calls the hub with baresip,
# listens for SECONDS, sends each KEYS (RFC 4733) KEYS_AT seconds after the
# answer, hangs up and sets HEARD to the prompts of SIP_HEARD_DIR found in
# the recording ("START END NAME" lines).
prompts_call() {
	local name=$1 seconds=$2 keys_at keys now=0
	shift 2
	HEARD=""
	baresip_start "$name" "$TEST_TMP/silence.wav" || return 0
	baresip_command dial "sip:ivr@127.0.0.1:$SIP_PORT" || return 0
	baresip_event_wait CALL_ESTABLISHED 10 || return 0
	while [ $# -ge 2 ]; do
		keys_at=$1 keys=$2
		shift 2
		sleep "$(prompts_add "$keys_at" "-$now")"
		baresip_keys "$keys" 0.3
		now=$(prompts_add "$keys_at" "0.3 * ${#keys}")
	done
	sleep "$(prompts_add "$seconds" "-$now")"
	baresip_command hangup
	baresip_event_wait CALL_CLOSED 10
	baresip_stop
	sip_idle_wait 10
	HEARD=$(sip_heard "$(baresip_recording)")
	echo "heard in call $name:" >>"$HUB_LOG"
	printf '%s\n' "$HEARD" >>"$HUB_LOG"
}

# prompts_add NUMBER EXPRESSION: prints NUMBER plus a Python EXPRESSION,
# at least 0.
prompts_add() {
	python3 -c "print(max(0, $1 + $2))"
}

# prompts_code_spoken: prints the digits heard in HEARD between status_intro
# and the status phrase. date_year and num_5 are the same word in
# Vietnamese, "năm", so the decoder may give either or both
# ("date_year|num_5") for a 5. In English num_1_after_tens is "one" like
# num_1, and the decoder may name either.
prompts_code_spoken() {
	printf '%s\n' "$HEARD" | awk '
	$3 ~ /^status_intro/ { on = 1; next }
	on && $3 ~ /^status_/ { exit }
	on {
		digit = ""
		count = split($3, names, "|")
		for (i = 1; i <= count; i++) {
			if (names[i] ~ /^num_[0-9](_after_tens)?$/)
				digit = substr(names[i], 5, 1)
			else if (names[i] == "date_year")
				digit = 5
		}
		printf "%s", digit
	}'
}

# prompts_seconds LANGUAGE NAME: prints the length of a rendered prompt.
prompts_seconds() {
	python3 "$SIP_AUDIO" info "$SIP_PROMPTS_DIR/$1/$2.wav" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["duration"])'
}

# prompts_first_heard: prints the name of the first prompt found in HEARD.
prompts_first_heard() {
	printf '%s\n' "$HEARD" | awk '$3 != "?" { print $3; exit }'
}

# --- The rendered welcome ----------------------------------------------------------

sip_hub_start || exit 1

case_begin "rendered welcome is heard first"
# The whole welcome is heard: its first word, "Xin", also starts code_again,
# so a welcome cut short can be taken for either.
prompts_call rendered "$(python3 -c 'import sys; print(float(sys.argv[1]) + 1)' \
	"$(sip_prompt_seconds welcome)")"
check_equal "first prompt heard" welcome "$(prompts_first_heard)"
sip_log_check_clean
case_end

# --- A code read out ----------------------------------------------------------------

# The welcome and the recording notice cannot be interrupted; "2" then
# leads to the code prompt, and the code with "#" looks the ticket up:
# "Phản ánh mã" + the code in groups of 4-4-2 + its status. This config
# sets no deadlines, so no date follows.
case_begin "status lookup reads the code digit by digit"
submit "prompts"
code=$SUBMIT_CODE
keys_at=$(prompts_add "$(prompts_seconds vi welcome)" \
	"$(prompts_seconds vi recording_notice) + 1")
prompts_call lookup "$(prompts_add "$keys_at" 22)" "$keys_at" "2${code}#"
check_equal "digits heard after status_intro" "$code" "$(prompts_code_spoken)"
check_contains "status heard" "$HEARD" status_new
sip_log_check_clean
case_end

# 9 switches to English: the caller hears the recording notice in English,
# then the main menu again; "2", the code and "#" get the status in English.
case_begin "english caller hears status in english"
en_notice=$(prompts_seconds en recording_notice)
english_at=$(prompts_add "$keys_at" "0.3 + $en_notice + 1")
SIP_HEARD_DIR=$SIP_PROMPTS_DIR/en
prompts_call english "$(prompts_add "$english_at" 22)" "$keys_at" 9 \
	"$english_at" "2${code}#"
SIP_HEARD_DIR=$SIP_PROMPTS_DIR/vi
# The decoder does not find prompts as long as the notice in a recording,
# so the hub's log shows that it was played.
check_contains "english notice played" "$(cat "$HUB_LOG")" \
	'language=en items="recording_notice'
check_equal "digits heard in english" "$code" "$(prompts_code_spoken)"
check_contains "english status heard" "$HEARD" status_new
sip_log_check_clean
case_end

hub_stop

# --- Recorded prompts ----------------------------------------------------------------

# The override replaces welcome with the goodbye prompt's samples in u-law,
# as a recorded prompt often comes.
case_begin "recorded u-law prompt replaces the rendered one"
mkdir -p "$TEST_TMP/recorded/vi"
sox "$SIP_PROMPTS_DIR/vi/goodbye.wav" -e u-law "$TEST_TMP/recorded/vi/welcome.wav"
SIP_PROMPTS_OVERRIDE_DIR=$TEST_TMP/recorded
if sip_hub_start; then
	prompts_call recorded 3
	check_equal "first prompt heard" goodbye "$(prompts_first_heard)"
	sip_log_check_clean
	hub_stop
fi
case_end

case_begin "override at another rate stops start-up"
sox "$SIP_PROMPTS_DIR/vi/goodbye.wav" -r 16000 "$TEST_TMP/recorded/vi/welcome.wav"
SIP_PROMPTS_OVERRIDE_DIR=$TEST_TMP/recorded
log_start=$(wc -l <"$HUB_LOG")
if sip_hub_start; then
	fail "the hub started with a 16000 Hz prompt"
	hub_stop
else
	# The start-up failure that sip_hub_start records is the outcome
	# this case expects.
	CASE_FAILURES=()
fi
errors=$(tail -n +"$((log_start + 1))" "$HUB_LOG")
check_contains "error names the file" "$errors" "recorded/vi/welcome.wav"
check_contains "error says what it found" "$errors" "16000 Hz"
check_contains "error gives the conversion" "$errors" "sox "
case_end

tests_done
