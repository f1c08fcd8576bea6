#!/usr/bin/env python3
"""Send the RFC 4475 torture messages to the hub's SIP port and check each
response against the one its README states for a UAS that is not a
registrar.

Usage: sip_torture.py CASES_DIR SIP_PORT HTTP_URL

Every message goes to 127.0.0.1: over UDP from an ephemeral port, or over
TCP when its top Via names TCP. A UDP response to a request without rport
goes to the port of the top Via (5060, or 5050 for quotbal), so the script
listens there too. Those ports must be free, which is why the test runs it
in a network namespace of its own. After each message an OPTIONS must get 200
and GET /healthz must answer 200, which shows the hub neither crashed nor
stalled.

Prints one line per message: "PASS: rfc4475 NAME", "FAIL: rfc4475 NAME"
with the reasons below it, "SKIP: ..." for bext01 (TLS is not built), and
for a known deviation of sofia-sip 1.12.11 a "KNOWN: ..." line with the
reason, next to "PASS: rfc4475 NAME survives". Then intmeth once more
with its NUL byte replaced, which must get 501 with Allow. Exits 1 when a
case failed.
"""
import os
import random
import re
import socket
import sys
import time
import urllib.request

REPLY_WAIT = 0.8
VIA_PORTS = (5060, 5050)

# The README's expected responses for a UAS that is not a registrar and
# answers any Request-URI: file -> (transport, accepted status codes, note).
# An empty set means no response at all. "Normal answer" to an INVITE
# with a PCMU offer is 200.
EXPECTED = {
    "wsinv": ("udp", {481, 200}, "481 for the To tag, or a new call"),
    "intmeth": ("tcp", {501}, "501 with Allow"),
    "esc01": ("udp", {200}, "normal answer"),
    "escnull": ("udp", {405}, "405 for REGISTER"),
    "esc02": ("tcp", {501}, "501, never read as REGISTER"),
    "lwsdisp": ("udp", {200}, "200 to OPTIONS"),
    "longreq": ("tcp", {200}, "normal answer copying 34 Via values"),
    "dblreq": ("udp", {405}, "405 for the REGISTER, nothing for the INVITE"),
    "semiuri": ("udp", {200}, "200 to OPTIONS"),
    "transports": ("udp", {200}, "200 copying five Via values"),
    "mpart01": ("udp", {405, 501, 415}, "never 400; to the source port"),
    "unreason": ("udp", set(), "no response"),
    "noreason": ("udp", set(), "no response"),
    "badinv01": ("udp", {400}, "400"),
    "clerr": ("udp", {400}, "400"),
    "ncl": ("udp", {400}, "400"),
    "scalar02": ("tcp", {400}, "400 for the CSeq"),
    "scalarlg": ("udp", set(), "no response"),
    "quotbal": ("udp", {400, 200}, "400 or normal, to port 5050"),
    "ltgtruri": ("udp", {400, 200}, "400 or normal"),
    "lwsruri": ("udp", {400, 481}, "400, or 481 for the To tag"),
    "lwsstart": ("udp", {400, 200}, "400 or normal"),
    "trws": ("tcp", {400, 200}, "400 or 200"),
    "escruri": ("udp", {400, 200}, "400 or normal"),
    "baddate": ("udp", {200}, "normal answer"),
    "regbadct": ("udp", {400, 405}, "400 or 405"),
    "badaspec": ("udp", {400, 200}, "400 or 200"),
    "baddn": ("udp", {400, None}, "400, or silence for the missing end"),
    "badvers": ("udp", {505}, "505"),
    "mismatch01": ("udp", {400}, "400"),
    "mismatch02": ("udp", {501, 400}, "501 or 400"),
    "bigcode": ("udp", set(), "no response"),
    "badbranch": ("udp", {400, 200}, "400 or 200"),
    "insuf": ("udp", {400}, "400"),
    "unkscm": ("tcp", {416}, "416"),
    "novelsc": ("tcp", {416}, "416"),
    "unksm2": ("udp", {405}, "405"),
    "bext01": ("tls", {420}, "420 with Unsupported"),
    "invut": ("udp", {415}, "415 with Accept"),
    "regaut01": ("tcp", {405}, "405"),
    "multi01": ("udp", {400}, "400"),
    "mcl01": ("udp", {400}, "400"),
    "bcast": ("udp", set(), "no response"),
    "zeromf": ("udp", {200}, "200 to OPTIONS"),
    "cparam01": ("udp", {405}, "405"),
    "cparam02": ("udp", {405}, "405"),
    "regescrt": ("udp", {405}, "405"),
    "sdp01": ("udp", {406, 400}, "406 with Warning 399, or 400"),
    "inv2543": ("udp", {200}, "normal answer"),
}

# Messages that sofia-sip 1.12.11 cannot answer as the README says, even
# with the hub's message class (ivr/sip_parser.c): file -> (what it does,
# why). A deviation that no longer occurs fails the case, so that this
# table is kept true.
KNOWN_DEVIATIONS = {
    "intmeth": (None, "the request line parses, but sofia-sip's message "
                "parser ends a header line at the NUL byte in the To "
                "display name and makes no progress past it, so the "
                "message never completes and nothing answers it"),
}

# Requests whose response the hub sends to the top Via's port with the
# received parameter, which sofia-sip alone does not do for them.
RECEIVED_CHECKED = ("lwsruri", "badinv01", "badvers")


def header_values(message, name, short=None):
    """Values of a header (long or compact form) in a raw message."""
    head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    names = {name.lower()} | ({short.lower()} if short else set())
    values = []
    for line in re.sub(r"\r\n[ \t]+", " ", head).split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() not in names:
            continue
        # Only Via values are split: a display name may hold a comma.
        if name.lower() == "via":
            values.extend(v.strip() for v in value.split(","))
        else:
            values.append(value.strip())
    return values


def status_of(message):
    match = re.match(rb"SIP/2\.0 (\d{3}) ", message)
    return int(match.group(1)) if match else None


def call_id_of(message):
    values = header_values(message, "Call-ID", "i")
    return values[0] if values else None


class Listener:
    """UDP sockets that receive responses: the sender's own and the Via
    ports."""

    def __init__(self):
        self.sender = self.bind(0)
        self.via = {port: self.bind(port) for port in VIA_PORTS}
        self.port = self.sender.getsockname()[1]

    @staticmethod
    def bind(port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", port))
        sock.setblocking(False)
        return sock

    def collect(self, wait):
        """Datagrams received within wait seconds, as (port, data)."""
        received = []
        end = time.monotonic() + wait
        sockets = [(self.port, self.sender)] + list(self.via.items())
        while time.monotonic() < end:
            got = False
            for port, sock in sockets:
                try:
                    received.append((port, sock.recv(65535)))
                    got = True
                except BlockingIOError:
                    pass
            if not got:
                time.sleep(0.02)
        return received


def tcp_exchange(sip_port, data, wait):
    """Sends data over a new TCP connection and returns the responses read
    within wait seconds, and the socket (still open)."""
    sock = socket.create_connection(("127.0.0.1", sip_port), timeout=2)
    sock.sendall(data)
    sock.settimeout(0.1)
    buffer = b""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            chunk = sock.recv(65535)
            if not chunk:
                break
            buffer += chunk
        except socket.timeout:
            pass
    return split_stream(buffer), sock


def split_stream(buffer):
    """Responses in a TCP byte stream, framed by Content-Length."""
    messages = []
    while buffer:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            break
        head = buffer[:head_end + 4]
        lengths = header_values(head, "Content-Length", "l")
        length = int(lengths[0]) if lengths and lengths[0].isdigit() else 0
        messages.append(buffer[:head_end + 4 + length])
        buffer = buffer[head_end + 4 + length:]
    return messages


def in_dialog_request(method, response, sip_port, local_port, transport,
                      cseq):
    """ACK or BYE for the dialog a 2xx response to an INVITE set up."""
    contact = header_values(response, "Contact", "m")
    uri = re.search(r"<([^>]+)>", contact[0]).group(1) if contact else \
        "sip:127.0.0.1:%d" % sip_port
    lines = [
        "%s %s SIP/2.0" % (method, uri),
        "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%08x;rport" % (
            transport.upper(), local_port, random.getrandbits(32)),
        "Max-Forwards: 70",
        "From: " + ", ".join(header_values(response, "From", "f")),
        "To: " + ", ".join(header_values(response, "To", "t")),
        "Call-ID: " + call_id_of(response),
        "CSeq: %d %s" % (cseq, method),
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def close_call(response, sip_port, listener, tcp_sock):
    """Sends ACK and BYE for an answered INVITE, so that the call ends."""
    cseq_values = header_values(response, "CSeq")
    cseq = int(cseq_values[0].split()[0]) if cseq_values else 1
    for method, number in (("ACK", cseq), ("BYE", cseq + 1)):
        if tcp_sock is not None:
            port = tcp_sock.getsockname()[1]
            tcp_sock.sendall(in_dialog_request(method, response, sip_port,
                                               port, "tcp", number))
        else:
            listener.sender.sendto(
                in_dialog_request(method, response, sip_port,
                                  listener.port, "udp", number),
                ("127.0.0.1", sip_port))


def options_answered(sip_port, listener):
    call_id = "probe-%08x" % random.getrandbits(32)
    request = (
        "OPTIONS sip:probe@127.0.0.1:%d SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:torture@127.0.0.1>;tag=t1\r\n"
        "To: <sip:probe@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n" % (sip_port, listener.port, call_id,
                                       call_id)).encode()
    listener.sender.sendto(request, ("127.0.0.1", sip_port))
    end = time.monotonic() + 3
    while time.monotonic() < end:
        for _, data in listener.collect(0.1):
            if call_id_of(data) == call_id:
                return status_of(data) == 200
    return False


def health_answered(http_url):
    try:
        with urllib.request.urlopen(http_url + "/healthz", timeout=3) as reply:
            return reply.status == 200
    except OSError:
        return False


def file_call_id(data):
    values = header_values(data, "Call-ID", "i")
    return values[0] if values else None


class Result:
    def __init__(self, name):
        self.name = name
        self.problems = []
        self.statuses = []


def send_one(name, data, transport, sip_port, listener, others):
    """Sends one message and returns the responses that belong to it: those
    with its Call-ID, or any not of another message when it has none."""
    own = file_call_id(data)
    tcp_sock = None
    if transport == "tcp":
        responses, tcp_sock = tcp_exchange(sip_port, data, REPLY_WAIT)
        received = [(None, r) for r in responses]
    else:
        listener.sender.sendto(data, ("127.0.0.1", sip_port))
        received = listener.collect(REPLY_WAIT)
    mine = []
    for port, response in received:
        call_id = call_id_of(response)
        if call_id == own or (own is None and call_id not in others):
            mine.append((port, response))
    return mine, tcp_sock


def check_extra(name, result, responses, listener):
    """The checks beyond the status code that the README names."""
    finals = [r for _, r in responses if (status_of(r) or 0) >= 200]
    if name == "longreq" and finals:
        count = len(header_values(finals[0], "Via", "v"))
        if count != 34:
            result.problems.append("%d Via values copied, expected 34" %
                                   count)
    if name == "transports" and finals:
        count = len(header_values(finals[0], "Via", "v"))
        if count != 5:
            result.problems.append("%d Via values copied, expected 5" %
                                   count)
    if name == "invut" and finals:
        accept = " ".join(header_values(finals[0], "Accept"))
        if "application/sdp" not in accept:
            result.problems.append("415 without Accept: application/sdp")
    if name == "sdp01" and finals and status_of(finals[0]) == 406:
        warning = header_values(finals[0], "Warning")
        if not warning or not warning[0].startswith("399"):
            result.problems.append("406 without Warning 399")
    if name == "mpart01":
        ports = {port for port, r in responses}
        if ports and ports != {listener.port}:
            result.problems.append("response went to port(s) %s, not to "
                                   "the source port" % sorted(ports))
    if name in RECEIVED_CHECKED and finals:
        ports = {port for port, r in responses}
        if ports != {5060}:
            result.problems.append("response went to port(s) %s, not to "
                                   "the top Via's 5060" % sorted(ports))
        top = header_values(finals[0], "Via", "v")
        if not top or "received=127.0.0.1" not in top[0]:
            result.problems.append("top Via of the response lacks "
                                   "received=127.0.0.1: %s" % top[:1])
    if name == "dblreq":
        for _, response in responses:
            if "INVITE" in " ".join(header_values(response, "CSeq")):
                result.problems.append("a response to the INVITE bytes "
                                       "after the REGISTER")


def judge(name, result, finals):
    """Compares the final responses with the README and the deviations.
    Returns "pass", "fail" or "known"."""
    transport, accepted, note = EXPECTED[name]
    codes = sorted(set(finals))
    if len(codes) > 1:
        result.problems.append("several final responses %s" % codes)
        return "fail"
    got = codes[0] if codes else None
    if (not accepted and got is None) or got in accepted:
        if name in KNOWN_DEVIATIONS:
            result.problems.append("known deviation no longer occurs: "
                                   "remove it from KNOWN_DEVIATIONS")
            return "fail"
        return "pass"
    if name in KNOWN_DEVIATIONS and KNOWN_DEVIATIONS[name][0] == got:
        return "known"
    result.problems.append("expected %s (%s), got %s" % (
        sorted(c for c in accepted if c is not None) or "no response",
        note, got if got is not None else "no response"))
    return "fail"


def run_case(name, folder, sip_port, http_url, listener, sent_ids):
    with open(os.path.join(folder, name + ".dat"), "rb") as handle:
        data = handle.read()
    transport = EXPECTED[name][0]
    result = Result(name)
    responses, tcp_sock = send_one(name, data, transport, sip_port,
                                   listener, sent_ids)
    own = file_call_id(data)
    if own is not None:
        sent_ids.add(own)
    finals = [status_of(r) for _, r in responses
              if (status_of(r) or 0) >= 200]
    check_extra(name, result, responses, listener)
    verdict = judge(name, result, finals)
    for _, response in responses:
        if status_of(response) == 200 and \
                "INVITE" in " ".join(header_values(response, "CSeq")):
            close_call(response, sip_port, listener, tcp_sock)
            break
    if tcp_sock is not None:
        time.sleep(0.1)
        tcp_sock.close()
    survived = options_answered(sip_port, listener)
    if not survived:
        result.problems.append("no 200 to OPTIONS afterwards")
    if not health_answered(http_url):
        survived = False
        result.problems.append("GET /healthz failed afterwards")
    return verdict, survived, finals, result


def run_intmeth_variant(folder, sip_port):
    """intmeth.dat with its NUL byte replaced by "0": the rest of the
    message, its method above all, must get 501 with Allow. Returns the
    problems found."""
    with open(os.path.join(folder, "intmeth.dat"), "rb") as handle:
        data = handle.read().replace(b"\x00", b"0")
    responses, sock = tcp_exchange(sip_port, data, REPLY_WAIT)
    sock.close()
    finals = [r for r in responses if (status_of(r) or 0) >= 200]
    if [status_of(r) for r in finals] != [501]:
        return ["expected one 501, got %s" %
                ([status_of(r) for r in finals] or "no response")]
    allow = " ".join(header_values(finals[0], "Allow"))
    if "INVITE" not in allow:
        return ["501 without an Allow header listing INVITE: %r" % allow]
    return []


def main():
    folder, sip_port, http_url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    listener = Listener()
    sent_ids = set()
    failed = 0
    for name in sorted(EXPECTED):
        if EXPECTED[name][0] == "tls":
            print("SKIP: rfc4475 %s: TLS is not built, and nta drops it "
                  "over UDP for its Via transport" % name)
            continue
        verdict, survived, finals, result = run_case(
            name, folder, sip_port, http_url, listener, sent_ids)
        if verdict == "known" and survived:
            print("KNOWN: rfc4475 %s: README expects %s, sofia-sip 1.12.11 "
                  "sends %s: %s" % (name, EXPECTED[name][2],
                                    finals or "nothing",
                                    KNOWN_DEVIATIONS[name][1]))
            print("PASS: rfc4475 %s survives" % name)
        elif verdict == "pass" and not result.problems:
            print("PASS: rfc4475 %s (%s)" % (
                name, "/".join(map(str, sorted(set(finals)))) or
                "no response"))
        else:
            failed += 1
            print("FAIL: rfc4475 %s" % name)
            for problem in result.problems:
                print("    %s" % problem)
        sys.stdout.flush()
    problems = run_intmeth_variant(folder, sip_port)
    if problems:
        failed += 1
        print("FAIL: rfc4475 intmeth without its NUL byte")
        for problem in problems:
            print("    %s" % problem)
    else:
        print("PASS: rfc4475 intmeth without its NUL byte (501 with Allow)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
