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
import sys

from sip_udp_caller import Call

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


def answer_body(mode):
    media, address = ANSWERS[mode]
    return ("v=0\r\no=caller 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
            "t=0 0\r\n%s" % (address, address, media))


def main():
    hub_port, user, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    call = Call(hub_port, user)
    print("call_id %s" % call.call_id, flush=True)
    invite_uri = "sip:%s@127.0.0.1:%d" % (user, hub_port)
    call.request("INVITE", invite_uri, 1)
    if mode == "cancel":
        while True:
            message = call.receive(10)
            if message is None or message[0].startswith("SIP/2.0 180"):
                break
        call.request("CANCEL", invite_uri, 1, branch=call.invite_branch)
        cancel = call.response("CANCEL")
        print("cancel_response %s" % (cancel[0] if cancel else "none"))
        final = call.response("INVITE")
        print("invite_response %s" % (final[0] if final else "none"))
        if final:
            call.to = final[1]["to"]
            call.request("ACK", invite_uri, 1, branch=call.invite_branch)
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
    if mode == "bye":
        call.request("BYE", target, 2)
        bye = call.response("BYE")
        print("bye_response %s" % (bye[0] if bye else "none"))
        return 0
    if mode == "text":
        call.request("ACK", target, 1, "Content-Type: text/plain\r\n",
                     "hello\r\n")
    else:
        call.request("ACK", target, 1, "Content-Type: application/sdp\r\n",
                     answer_body(mode))
    reason = call.wait_bye(10)
    print("bye %s" % reason if reason is not None else "no bye")
    return 0


if __name__ == "__main__":
    sys.exit(main())
