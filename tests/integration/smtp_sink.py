#!/usr/bin/python3
"""An SMTP server for the email tests: stores each message it accepts.

Run with Debian's /usr/bin/python3 and its python3-aiosmtpd package:

  smtp_sink.py --port PORT --dir DIR [--auth USER:PASSWORD]
               [--answer-file FILE] [--forward HOST:PORT [--forward-to ADDR]]

Each accepted message is written to DIR as NNNN.eml (the data as received)
with NNNN.env beside it (MAIL FROM on the first line, RCPT TO on the
following ones). With --auth the server offers AUTH PLAIN and LOGIN
(without TLS, which aiosmtpd allows with auth_require_tls=False) and
rejects mail without a login. With --answer-file, the file's first line,
when the file exists and is not empty, is the reply to every RCPT TO
("451 4.3.0 Try later", "550 5.1.1 No such user"), so a test can switch
the sink between accepting and refusing while it runs. With --forward, each
stored message is also handed to that LMTP server with its envelope (or to
--forward-to instead of its recipients), as a mail system between two hubs
would; a forward that fails is appended to DIR/forward-errors. The server
listens
on 127.0.0.1 only and writes "ready" to standard output once it accepts
connections.
"""

import argparse
import asyncio
import os
import smtplib
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, answer_file, forward=None, forward_to=None):
        self.directory = directory
        self.answer_file = answer_file
        self.forward = forward
        self.forward_to = forward_to
        self.count = 0

    def forward_message(self, mail_from, recipients, data):
        host, port = self.forward.rsplit(":", 1)
        if self.forward_to:
            recipients = [self.forward_to]
        try:
            with smtplib.LMTP(host, int(port), timeout=10) as client:
                client.sendmail(mail_from, recipients, data)
        except (OSError, smtplib.SMTPException) as error:
            with open(os.path.join(self.directory, "forward-errors"), "a",
                      encoding="utf-8") as errors:
                errors.write("%s\n" % error)

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
        if self.forward:
            await asyncio.get_running_loop().run_in_executor(
                None, self.forward_message, envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content or envelope.content)
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
    parser.add_argument("--forward", help="LMTP server HOST:PORT to hand "
                        "each message to")
    parser.add_argument("--forward-to", help="recipient of forwarded mail")
    options = parser.parse_args()

    settings = {}
    if options.auth:
        user, password = options.auth.split(":", 1)
        settings = {
            "authenticator": make_authenticator(user, password),
            "auth_required": True,
            "auth_require_tls": False,
        }
    sink = Sink(options.dir, options.answer_file, options.forward,
                options.forward_to)
    controller = Controller(sink,
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
