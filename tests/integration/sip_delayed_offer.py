"""One call over UDP whose INVITE has no SDP (RFC 3264 delayed offer), for
the cases that SIPp scenarios cannot vary: what the ACK carries, or a BYE
or CANCEL in place of the ACK.

Usage: sip_delayed_offer.py HUB_PORT USER MODE

MODE is the caller's move after the hub's 200 (after its 180 for cancel):
  text       ACK with a text/plain body
  g722       ACK with an answer that takes only G.722
  multicast  ACK with an answer naming 224.0.0.1
  other      ACK with an answer naming 127.0.0.2, not the caller's address
  two        ACK with an answer of two m= lines
  bye        BYE, no ACK
  cancel     CANCEL after the 180, ACK for the 487

Prints one line a step: "call_id CALL_ID", "offer M_LINE" (the hub's m= line), then for the
ACK modes "bye REASON" (the Reason header of the hub's BYE, which gets 200)
or "no bye"; for bye "bye_response STATUS"; for cancel "cancel_response
STATUS" and "invite_response STATUS". Every address is 127.0.0.1.
"""
import socket
import sys
import time
import uuid

ANSWERS = {
    "g722": ("m=audio 7000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n",
             "127.0.0.1"),
    "multicast": ("m=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
                  "224.0.0.1"),
    "other": ("m=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
              "127.0.0.2"),
    "two": ("m=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            "m=video 7002 RTP/AVP 31\r\n", "127.0.0.1"),
}


class Call:
    def __init__(self, hub_port, user):
        self.hub = ("127.0.0.1", hub_port)
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.call_id = uuid.uuid4().hex + "@127.0.0.1"
        self.tag = uuid.uuid4().hex[:8]
        self.invite_branch = "z9hG4bK" + uuid.uuid4().hex
        self.to = "<sip:%s@127.0.0.1>" % user

    def request(self, method, uri, cseq, branch, headers="", body=""):
        text = ("%s %s SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
                "From: <sip:0912345678@127.0.0.1>;tag=%s\r\nTo: %s\r\n"
                "Call-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n"
                "Contact: <sip:caller@127.0.0.1:%d>\r\n%s"
                "Content-Length: %d\r\n\r\n%s"
                % (method, uri, self.port, branch, self.tag, self.to,
                   self.call_id, cseq, method, self.port, headers,
                   len(body.encode()), body))
        self.sock.sendto(text.encode(), self.hub)

    def receive(self, seconds):
        """The next message as (first line, {lower-case name: value},
        body), or None after seconds."""
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(65536).decode("latin-1")
        except socket.timeout:
            return None
        head, _, body = data.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        return lines[0], headers, body

    def response(self, method, seconds=10):
        """The next final response to method; 1xx are skipped."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.receive(max(0.01, deadline - time.monotonic()))
            if message is None:
                break
            first, headers, body = message
            if (first.startswith("SIP/2.0 ") and
                    headers.get("cseq", "").endswith(method) and
                    int(first.split()[1]) >= 200):
                return first, headers, body
        return None

    def answer_request(self, first, headers):
        """Sends 200 to a request from the hub."""
        text = ("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
                "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n"
                % (headers["via"], headers["from"], headers["to"],
                   headers["call-id"], headers["cseq"]))
        self.sock.sendto(text.encode(), self.hub)

    def wait_bye(self, seconds):
        """The Reason header of the hub's BYE, after answering it, or
        None."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.receive(max(0.01, deadline - time.monotonic()))
            if message is None:
                return None
            first, headers, _ = message
            if first.startswith("BYE "):
                self.answer_request(first, headers)
                return headers.get("reason", "no Reason")
        return None


def answer_body(mode):
    media, address = ANSWERS[mode]
    return ("v=0\r\no=caller 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
            "t=0 0\r\n%s" % (address, address, media))


def main():
    hub_port, user, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    call = Call(hub_port, user)
    print("call_id %s" % call.call_id, flush=True)
    invite_uri = "sip:%s@127.0.0.1:%d" % (user, hub_port)
    call.request("INVITE", invite_uri, 1, call.invite_branch)
    if mode == "cancel":
        while True:
            message = call.receive(10)
            if message is None or message[0].startswith("SIP/2.0 180"):
                break
        call.request("CANCEL", invite_uri, 1, call.invite_branch)
        cancel = call.response("CANCEL")
        print("cancel_response %s" % (cancel[0] if cancel else "none"))
        final = call.response("INVITE")
        print("invite_response %s" % (final[0] if final else "none"))
        if final:
            call.to = final[1]["to"]
            call.request("ACK", invite_uri, 1, call.invite_branch)
        return 0
    final = call.response("INVITE")
    if final is None or not final[0].startswith("SIP/2.0 200"):
        print("invite_response %s" % (final[0] if final else "none"))
        return 1
    first, headers, body = final
    m_line = [line for line in body.split("\r\n") if line.startswith("m=")]
    print("offer %s" % (m_line[0] if m_line else "none"))
    call.to = headers["to"]
    contact = headers.get("contact", "<%s>" % invite_uri)
    target = contact[contact.find("<") + 1:contact.find(">")]
    branch = "z9hG4bK" + uuid.uuid4().hex
    if mode == "bye":
        call.request("BYE", target, 2, branch)
        bye = call.response("BYE")
        print("bye_response %s" % (bye[0] if bye else "none"))
        return 0
    if mode == "text":
        call.request("ACK", target, 1, branch,
                     "Content-Type: text/plain\r\n", "hello\r\n")
    else:
        call.request("ACK", target, 1, branch,
                     "Content-Type: application/sdp\r\n", answer_body(mode))
    reason = call.wait_bye(10)
    print("bye %s" % reason if reason is not None else "no bye")
    return 0


if __name__ == "__main__":
    sys.exit(main())
