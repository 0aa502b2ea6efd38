"""A real SMTP server for the tests (aiosmtpd), on a free local port.

Mail to an address at `refused.example` is refused for good at RCPT TO (550),
as a real server refuses an unknown mailbox.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket

from aiosmtpd.controller import Controller

REFUSED_DOMAIN = "refused.example"


class Recorder:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 <%s>: mailbox unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def smtp_server(port: int):
    """An SMTP server on 127.0.0.1:port while the block runs; yields its Recorder."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


def mail_config(port: int) -> dict:
    return {"MAIL_HOST": "127.0.0.1", "MAIL_PORT": port, "MAIL_TLS": "none",
            "MAIL_SENDER": "CityExchange <noreply@cityexchange.test>", "MAIL_TIMEOUT": 5}
