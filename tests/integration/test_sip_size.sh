#!/usr/bin/env bash
# What a SIP request above 64 KiB gets: over TCP, 413 when its headers fit
# and its body makes it too large, and a closed connection without any
# response when its headers alone pass 64 KiB; over UDP a datagram cannot
# pass the limit, so a 65 kB INVITE is handled as any other.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sip_lib.sh
. "$(dirname "$0")/sip_lib.sh"

HUB_CONFIG_EXTRA=$(sip_desk_config)

# size_probe TRANSPORT HEADER_PAD BODY_PAD: sends one INVITE with an X-Pad
# header and an SDP attribute of the given lengths and prints the first
# line of the first final or provisional response, "closed" when a TCP
# connection closed without one, or "none".
size_probe() {
	python3 - "$SIP_PORT" "$@" <<'PY'
import socket, sys
port, transport = int(sys.argv[1]), sys.argv[2]
header_pad, body_pad = int(sys.argv[3]), int(sys.argv[4])
body = "v=0\r\na=x-pad:" + "x" * body_pad + "\r\n"
invite = ("INVITE sip:1022@127.0.0.1:%d SIP/2.0\r\n"
          "Via: SIP/2.0/%s 127.0.0.1:9;branch=z9hG4bK-size;rport\r\n"
          "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:1022@127.0.0.1>\r\n"
          "Call-ID: size-%s-%d-%d@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
          "Max-Forwards: 70\r\nX-Pad: %s\r\n"
          "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
          % (port, transport, transport, header_pad, body_pad,
             "a" * header_pad, len(body), body)).encode()
if transport == "UDP":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.sendto(invite, ("127.0.0.1", port))
else:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(invite)
    except OSError:
        pass
s.settimeout(5)
try:
    data = s.recv(65536)
except OSError:
    data = None
if data is None:
    print("none")
elif data == b"":
    print("closed")
else:
    print(data.split(b"\r\n", 1)[0].decode("latin-1"))
PY
}

case_begin "hub starts"
sip_hub_start
case_end

case_begin "tcp request with a 70 kB body gets 413"
check_equal "response" "SIP/2.0 413 Request Entity Too Large" \
	"$(size_probe TCP 0 70000)"
case_end

case_begin "tcp request with 70 kB of headers is closed without a response"
check_equal "response" closed "$(size_probe TCP 70000 0)"
case_end

case_begin "udp datagram of 65 kB is handled"
check_equal "response" "SIP/2.0 100 Trying" "$(size_probe UDP 0 65000)"
curl_status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"$HUB_URL/healthz" || true)
check_equal "GET /healthz" 200 "$curl_status"
case_end

case_begin "hub stops cleanly"
hub_stop
check_not_contains "daemon log" "$(cat "$HUB_LOG")" "AddressSanitizer"
case_end

tests_done
