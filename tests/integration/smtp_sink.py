#!/usr/bin/python3
"""An SMTP server for the email tests: it plays the hub's smarthost.

Each message it accepts is written to the folder DIR as NNNNNN.eml (the
data as received) with NNNNNN.json beside it ({"mail_from", "rcpt_tos",
"received_at"}), the .json last, so that a reader who sees it finds the
whole message. With --forward HOST:PORT it also hands each message to that
LMTP server with the same envelope, as a mail system between two hubs
would; a message the LMTP server refuses is kept and counted in
DIR/forward-errors.

It listens on 127.0.0.1 only, writes its port to DIR/port once it accepts
connections, and runs until SIGTERM.

Usage: smtp_sink.py DIR [--port N] [--forward HOST:PORT] [--forward-to ADDR]
Runs with Debian's /usr/bin/python3 and python3-aiosmtpd.
"""

import argparse
import asyncio
import json
import os
import signal
import smtplib
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, forward, forward_to):
        self.folder = folder
        self.forward = forward
        self.forward_to = forward_to
        self.count = 0
        self.lock = threading.Lock()

    def write(self, name, data):
        temporary = os.path.join(self.folder, "." + name)
        with open(temporary, "wb") as out:
            out.write(data)
        os.rename(temporary, os.path.join(self.folder, name))

    def forward_message(self, envelope):
        host, port = self.forward.rsplit(":", 1)
        recipients = [self.forward_to] if self.forward_to else envelope.rcpt_tos
        try:
            with smtplib.LMTP(host, int(port), timeout=10) as client:
                client.sendmail(envelope.mail_from or "", recipients,
                                envelope.original_content or envelope.content)
            outcome = "forwarded"
        except (OSError, smtplib.SMTPException) as error:
            outcome = "forward failed: %s" % error
            with open(os.path.join(self.folder, "forward-errors"), "a") as log:
                log.write(outcome + "\n")
        return outcome

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "received_at": time.time(), "size": len(data)}
        if self.forward:
            loop = asyncio.get_running_loop()
            meta["forward"] = await loop.run_in_executor(
                None, self.forward_message, envelope)
        self.write("%06d.eml" % number, data)
        self.write("%06d.json" % number, json.dumps(meta).encode())
        return "250 2.0.0 stored as %06d" % number


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--forward", help="LMTP server HOST:PORT")
    parser.add_argument("--forward-to", help="recipient for forwarded mail")
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)

    port = args.port
    if port == 0:
        import socket
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
    handler = Sink(args.folder, args.forward, args.forward_to)
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            decode_data=False, data_size_limit=64 << 20,
                            enable_SMTPUTF8=True)
    controller.start()
    with open(os.path.join(args.folder, ".port"), "w") as out:
        out.write("%d\n" % port)
    os.rename(os.path.join(args.folder, ".port"),
              os.path.join(args.folder, "port"))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
