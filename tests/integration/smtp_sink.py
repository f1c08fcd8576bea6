#!/usr/bin/python3
"""An SMTP server for the email tests: stores each message it accepts.

Run with Debian's /usr/bin/python3 and its python3-aiosmtpd package:

  smtp_sink.py --port PORT --dir DIR [--auth USER:PASSWORD]
               [--answer-file FILE]

Each accepted message is written to DIR as NNNN.eml (the data as received)
with NNNN.env beside it (MAIL FROM on the first line, RCPT TO on the
following ones). With --auth the server offers AUTH PLAIN and LOGIN
(without TLS, which aiosmtpd allows with auth_require_tls=False) and
rejects mail without a login. With --answer-file, the file's first line,
when the file exists and is not empty, is the reply to every RCPT TO
("451 4.3.0 Try later", "550 5.1.1 No such user"), so a test can switch
the sink between accepting and refusing while it runs. The server listens
on 127.0.0.1 only and writes "ready" to standard output once it accepts
connections.
"""

import argparse
import asyncio
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, answer_file):
        self.directory = directory
        self.answer_file = answer_file
        self.count = 0

    def forced_answer(self):
        if not self.answer_file or not os.path.exists(self.answer_file):
            return None
        with open(self.answer_file, encoding="ascii") as answer:
            line = answer.readline().strip()
        return line or None

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        answer = self.forced_answer()
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%04d" % self.count)
        with open(base + ".tmp", "wb") as data:
            data.write(envelope.original_content or envelope.content)
        with open(base + ".env", "w", encoding="utf-8") as env:
            env.write(envelope.mail_from + "\n")
            for recipient in envelope.rcpt_tos:
                env.write(recipient + "\n")
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 Stored as %04d" % self.count


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login.decode() == user and
              auth_data.password.decode() == password)
        return AuthResult(success=ok)
    return authenticate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--auth", help="USER:PASSWORD required to send")
    parser.add_argument("--answer-file")
    options = parser.parse_args()

    settings = {}
    if options.auth:
        user, password = options.auth.split(":", 1)
        settings = {
            "authenticator": make_authenticator(user, password),
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(Sink(options.dir, options.answer_file),
                            hostname="127.0.0.1", port=options.port,
                            server_hostname="sink.test", **settings)
    controller.start()
    print("ready", flush=True)
    try:
        loop = asyncio.new_event_loop()
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
