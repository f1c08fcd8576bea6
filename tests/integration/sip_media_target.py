"""One call over UDP from 127.0.0.1 that checks where and when the hub sends
RTP, with UDP listeners on 127.0.0.1 and 127.0.0.2 (both loopback).

Usage: sip_media_target.py HUB_PORT USER MODE

MODE:
  other     the SDP names c=IN IP4 127.0.0.2, whose port a listener holds;
            on a 200 the caller ACKs and listens 2 s, then sends BYE
  late_ack  the SDP names 127.0.0.1; after the 200 the caller waits 1 s,
            sends an ACK with a wrong To tag, waits 0.5 s more, then sends
            the right ACK, listens 1 s and sends BYE
  latch     the SDP names 127.0.0.1; after the ACK one RTP packet goes to
            the hub's RTP port from 127.0.0.2, as a forger would send it;
            the caller listens 1.5 s on both addresses, then sends BYE

Prints one line a step: "call_id CALL_ID", "invite_response STATUS LINE",
"warning TEXT" (the Warning header, or "none"), and then, by mode:
other: "packets_at_other N"; late_ack: "packets_before_ack N",
"packets_after_wrong_ack N", "first_packet_after_ack_ms MS" (or "none");
latch: "packets_at_forger N", "packets_at_caller_after_forgery N".
"""
import socket
import struct
import sys
import time

from sip_udp_caller import Call

SDP = ("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 %s\r\n"
       "t=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


class Listener:
    """A UDP socket on address that counts the datagrams it gets."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.first = None

    def drain(self):
        while True:
            try:
                self.sock.recv(2048)
            except BlockingIOError:
                return self.count
            self.count += 1
            if self.first is None:
                self.first = time.monotonic()


def listen(listeners, seconds):
    """Drains every listener for seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for listener in listeners:
            listener.drain()
        time.sleep(0.005)


def rtp_port_of(body):
    for line in body.split("\r\n"):
        if line.startswith("m=audio "):
            return int(line.split()[1])
    return 0


def rtp_packet():
    return struct.pack("!BBHII", 0x80, 0, 1, 160, 0x1234) + b"\xff" * 160


def main():
    hub_port, user, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    call = Call(hub_port, user)
    caller = Listener("127.0.0.1")
    other = Listener("127.0.0.2")
    print("call_id %s" % call.call_id, flush=True)
    target = other if mode == "other" else caller
    call.request("INVITE", call.uri, 1, "Content-Type: application/sdp\r\n",
                 SDP % ("127.0.0.2" if mode == "other" else "127.0.0.1",
                        target.port))
    final = call.response("INVITE")
    print("invite_response %s" % (final[0] if final else "none"))
    if final is None:
        return 1
    first, headers, body = final
    print("warning %s" % headers.get("warning", "none"))
    if not first.startswith("SIP/2.0 200"):
        call.to = headers["to"]
        call.request("ACK", call.uri, 1, branch=call.invite_branch)
        listen([other], 2)
        print("packets_at_other %d" % other.count)
        return 0
    right_to = headers["to"]
    contact = headers.get("contact", "<%s>" % call.uri)
    dialog_uri = contact[contact.find("<") + 1:contact.find(">")]
    if mode == "late_ack":
        listen([caller], 1)
        print("packets_before_ack %d" % caller.count)
        call.to = right_to.split(";tag=")[0] + ";tag=forged0"
        call.request("ACK", dialog_uri, 1)
        listen([caller], 0.5)
        print("packets_after_wrong_ack %d" % caller.count)
    call.to = right_to
    acked = time.monotonic()
    call.request("ACK", dialog_uri, 1)
    if mode == "other":
        listen([other], 2)
        print("packets_at_other %d" % other.count)
    elif mode == "late_ack":
        listen([caller], 1)
        print("first_packet_after_ack_ms %s" % (
            "%d" % ((caller.first - acked) * 1000) if caller.first
            else "none"))
    else:
        listen([caller, other], 0.5)
        other.sock.sendto(rtp_packet(), ("127.0.0.1", rtp_port_of(body)))
        listen([caller, other], 0.3)
        before = caller.count
        listen([caller, other], 1.2)
        print("packets_at_forger %d" % other.count)
        print("packets_at_caller_after_forgery %d" % (caller.count - before))
    call.request("BYE", dialog_uri, 2)
    call.response("BYE", 5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
