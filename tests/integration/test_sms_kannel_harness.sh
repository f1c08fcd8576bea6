#!/usr/bin/env bash
# The Kannel set-up of the SMS tests (sms_lib.sh) against the real bearerbox,
# smsbox and fakesmsc, with a local HTTP listener in place of the hub:
# - everything listens on 127.0.0.1 only;
# - MT messages sent through /cgi-bin/sendsms reach fakesmsc and decode to
#   the exact Vietnamese text, in one part or concatenated;
# - a wrong password, the denied prefix and the black list are rejected;
# - delivery reports and MO messages reach the listener;
# - queued MT messages survive a bearerbox restart after SIGKILL;
# - kannel_stop closes every port.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sms_lib.sh
. "$(dirname "$0")/sms_lib.sh"

RECEIVER=84901234567
VIETNAMESE="Đường Nguyễn Huệ"

# Prints the local address of every TCP and UDP socket that the processes of
# the Kannel process groups listen on, one per line.
kannel_listen_addresses() {
	local pgid pid
	for pgid in "$KANNEL_BEARERBOX_PGID" "$KANNEL_SMSBOX_PGID" "$KANNEL_FAKESMSC_PGID"; do
		for pid in $(pgrep -g "$pgid"); do
			ss -H -l -n -t -u -p | awk -v pid="pid=$pid," \
				'index($0, pid) { print $5 }'
		done
	done | sort -u
}

sms_listener_start
KANNEL_MO_URL="$SMS_LISTENER_URL/mo?from=%p&to=%P&text=%a&coding=%c&charset=%C&id=%I&time=%T&smsc=%i"

case_begin "kannel starts on loopback only"
if kannel_start; then
	addresses=$(kannel_listen_addresses)
	check_contains "listening sockets" "$addresses" "127.0.0.1:$KANNEL_ADMIN_PORT"
	check_contains "listening sockets" "$addresses" "127.0.0.1:$KANNEL_SMSBOX_PORT"
	check_contains "listening sockets" "$addresses" "127.0.0.1:$KANNEL_SENDSMS_PORT"
	check_contains "listening sockets" "$addresses" "127.0.0.1:$KANNEL_FAKE_PORT"
	other=$(grep -v '^127\.0\.0\.1:' <<<"$addresses" || true)
	check_equal "sockets not on 127.0.0.1" "" "$other"
fi
case_end

case_begin "sendsms ucs2 vietnamese reaches fakesmsc"
kannel_sendsms --data-urlencode "to=$RECEIVER" --data-urlencode charset=UTF-8 \
	--data-urlencode coding=2 --data-urlencode "text=$VIETNAMESE"
check_equal "sendsms status" 202 "$KANNEL_STATUS"
check_equal "sendsms body" "0: Accepted for delivery" "$KANNEL_BODY"
if sms_mt_expect "^$KANNEL_SHORT_CODE $RECEIVER ucs2 "; then
	check_equal "decoded text" "$VIETNAMESE" "$SMS_MT_TEXT"
fi
raw=$(grep " $RECEIVER ucs-2 " "$KANNEL_MT_LOG" | head -n 1 || true)
check_equal "fakesmsc line" \
	"$KANNEL_SHORT_CODE $RECEIVER ucs-2 %01%10%01%B0%1E%DD%00n%00g%00+%00N%00g%00u%00y%1E%C5%00n%00+%00H%00u%1E%C7" \
	"$raw"
case_end

case_begin "sendsms gsm text keeps accents"
kannel_sendsms --data-urlencode "to=84901234568" --data-urlencode charset=UTF-8 \
	--data-urlencode coding=0 --data-urlencode "text=Xin chào"
check_equal "sendsms status" 202 "$KANNEL_STATUS"
if sms_mt_expect "^$KANNEL_SHORT_CODE 84901234568 "; then
	check_equal "coding" gsm "$SMS_MT_CODING"
	check_equal "text" "Xin chào" "$SMS_MT_TEXT"
fi
case_end

case_begin "sendsms long ucs2 text concatenated"
long_text=$(printf 'Phản ánh số %s về đường Nguyễn Huệ. ' 1 2 3)
kannel_sendsms --data-urlencode "to=84901234569" --data-urlencode charset=UTF-8 \
	--data-urlencode coding=2 --data-urlencode "text=$long_text"
check_equal "sendsms status" 202 "$KANNEL_STATUS"
if sms_mt_expect "^$KANNEL_SHORT_CODE 84901234569 "; then
	check_equal "coding" ucs2 "$SMS_MT_CODING"
	check_equal "joined text" "$long_text" "$SMS_MT_TEXT"
fi
parts=$(grep -c "^$KANNEL_SHORT_CODE 84901234569 udh %05%00%03" "$KANNEL_MT_LOG" || true)
check_equal "parts with a concatenation UDH" 2 "$parts"
case_end

case_begin "sendsms wrong password rejected"
saved_password=$KANNEL_PASSWORD
KANNEL_PASSWORD="wrong password"
kannel_sendsms --data-urlencode "to=$RECEIVER" --data-urlencode "text=x"
KANNEL_PASSWORD=$saved_password
check_equal "sendsms status" 403 "$KANNEL_STATUS"
check_equal "sendsms body" "Authorization failed for sendsms" "$KANNEL_BODY"
case_end

case_begin "sendsms denied prefix gives dlr 16"
before=$(sms_listener_requests)
kannel_sendsms --data-urlencode "to=${KANNEL_DENIED_PREFIX}1234567" \
	--data-urlencode "text=denied" --data-urlencode dlr-mask=31 \
	--data-urlencode "dlr-url=$SMS_LISTENER_URL/dlr?type=%d&answer=%A&ref=denied"
check_equal "sendsms status" 403 "$KANNEL_STATUS"
check_equal "sendsms body" "Not routable. Do not try again." "$KANNEL_BODY"
if sms_listener_wait $((before + 1)); then
	check_equal "dlr path" "/dlr?type=16&answer=NACK%2Fno+SMSC&ref=denied" \
		"$(sms_listener_field $((before + 1)) path)"
fi
case_end

case_begin "sendsms black list rejected"
kannel_sendsms --data-urlencode "to=84981234567" --data-urlencode "text=blocked"
check_equal "sendsms status" 400 "$KANNEL_STATUS"
check_equal "sendsms body" \
	"Number(s) has/have been denied by white- and/or black-lists." "$KANNEL_BODY"
case_end

case_begin "sendsms dlr 8 and 1"
before=$(sms_listener_requests)
kannel_sendsms --data-urlencode "to=84901234570" --data-urlencode "text=dlr" \
	--data-urlencode dlr-mask=31 \
	--data-urlencode "dlr-url=$SMS_LISTENER_URL/dlr?type=%d&answer=%A&ref=ok"
check_equal "sendsms status" 202 "$KANNEL_STATUS"
# smsbox calls the dlr-url from a pool of connections, so the two reports
# may arrive in either order.
if sms_listener_wait $((before + 2)); then
	check_equal "reports" "/dlr?type=1&answer=&ref=ok /dlr?type=8&answer=ACK%2F&ref=ok" \
		"$(printf '%s\n' "$(sms_listener_field $((before + 1)) path)" \
			"$(sms_listener_field $((before + 2)) path)" | sort | tr '\n' ' ' |
			sed 's/ $//')"
fi
case_end

case_begin "mo gsm text reaches the get-url"
before=$(sms_listener_requests)
if sms_mo_send 84912345678 "$KANNEL_SHORT_CODE" "Xin chao" &&
	sms_listener_wait $((before + 1)); then
	n=$((before + 1))
	check_equal "method" GET "$(sms_listener_field "$n" method)"
	check_equal "from" 84912345678 "$(sms_listener_query "$n" from)"
	check_equal "to" "$KANNEL_SHORT_CODE" "$(sms_listener_query "$n" to)"
	check_equal "text" "Xin chao" "$(sms_listener_query "$n" text)"
	check_equal "coding" 0 "$(sms_listener_query "$n" coding)"
	check_equal "charset" UTF-8 "$(sms_listener_query "$n" charset)"
	check_equal "smsc" fake "$(sms_listener_query "$n" smsc)"
	check_match "id" "$(sms_listener_query "$n" id)" '^[0-9a-f-]{36}$'
	check_match "time" "$(sms_listener_query "$n" time)" '^[0-9]{10}$'
fi
case_end

case_begin "mo ucs2 text reaches the get-url"
before=$(sms_listener_requests)
if sms_mo_send 84912345678 "$KANNEL_SHORT_CODE" "$VIETNAMESE" &&
	sms_listener_wait $((before + 1)); then
	n=$((before + 1))
	check_equal "coding" 2 "$(sms_listener_query "$n" coding)"
	check_equal "charset" UTF-16BE "$(sms_listener_query "$n" charset)"
	check_equal "text as UTF-16BE" "$VIETNAMESE" \
		"$(sms_listener_query "$n" text utf-16-be)"
fi
case_end

case_begin "mo no reply sms"
# max-messages = 0 in the sms-service: the listener's responses above were
# not sent back as SMS.
check_equal "MT messages to the MO sender" "" \
	"$(sms_mt_messages | grep '^[0-9]* 84912345678 ' || true)"
case_end

case_begin "queued mt survives bearerbox kill"
kannel_fakesmsc_stop
kannel_sendsms --data-urlencode "to=84901234571" --data-urlencode "text=queued"
check_equal "sendsms status" 202 "$KANNEL_STATUS"
check_equal "sendsms body" "3: Queued for later delivery" "$KANNEL_BODY"
if kannel_restart_bearerbox kill; then
	sms_mt_expect "^$KANNEL_SHORT_CODE 84901234571 gsm queued\$" 15 || true
fi
case_end

case_begin "kannel stop closes the ports"
kannel_stop || true
for port in "$KANNEL_ADMIN_PORT" "$KANNEL_SMSBOX_PORT" "$KANNEL_SENDSMS_PORT" \
	"$KANNEL_FAKE_PORT"; do
	if kannel_port_open "$port"; then
		fail "port $port is still open"
	fi
done
kannel_sendsms --data-urlencode "to=$RECEIVER" --data-urlencode "text=x"
check_equal "sendsms status with smsbox down" 000 "$KANNEL_STATUS"
case_end

sms_listener_stop
tests_done
