"""A caller over UDP on 127.0.0.1 for the SIP tests that SIPp scenarios
cannot express: one dialog, requests written by hand, and the hub's
responses and requests read back.
"""
import socket
import time
import uuid


class Call:
    def __init__(self, hub_port, user):
        self.hub = ("127.0.0.1", hub_port)
        self.user = user
        self.uri = "sip:%s@127.0.0.1:%d" % (user, hub_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.call_id = uuid.uuid4().hex + "@127.0.0.1"
        self.tag = uuid.uuid4().hex[:8]
        self.invite_branch = None
        self.to = "<sip:%s@127.0.0.1>" % user

    def request(self, method, uri, cseq, headers="", body="", branch=None):
        """Sends a request. A new branch is made unless one is given: a
        CANCEL, or the ACK of an error, passes the INVITE's."""
        branch = branch or "z9hG4bK" + uuid.uuid4().hex
        if method == "INVITE":
            self.invite_branch = branch
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
        """The next final response to method as (first line, headers,
        body); 1xx responses and requests from the hub are skipped."""
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
