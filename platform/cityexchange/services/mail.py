"""Outgoing e-mail: a queue in the database, sent over SMTP by `cityex mail send`.

Whoever wants to send a mail queues it in their own transaction (`queue_mail`);
nothing talks to the SMTP server inside a web request. `send_queued` delivers
what is queued: a mail the server cannot take now (down, 4xx) stays queued with
its error and is tried again next time; one it refuses for good (5xx, e.g. an
unknown recipient) is marked "failed" with the server's answer and left alone.
Python's smtplib and email packages do the protocol and the MIME encoding.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import OutgoingMail, utcnow

log = logging.getLogger(__name__)

TLS_MODES = ("none", "starttls", "ssl")
# A batch is bounded so one run of `cityex mail send` cannot run for ever.
BATCH_SIZE = 200


class MailConfigError(ValueError):
    """The MAIL_* settings cannot work (e.g. an unknown MAIL_TLS)."""


def public_url(endpoint: str, **values) -> str:
    """An absolute URL on PUBLIC_URL, for links in e-mails (made in requests and by cron)."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def queue_mail(to_address: str, subject: str, body: str, *, reply_to: str = "",
               headers: dict | None = None) -> OutgoingMail:
    """A mail in the caller's transaction; it leaves when `send_queued` runs."""
    mail = OutgoingMail(to_address=to_address, subject=subject[:300], body=body,
                        reply_to=reply_to or "", headers=dict(headers or {}), status="queued")
    db.session.add(mail)
    return mail


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0  # refused for good, not tried again
    deferred: int = 0  # still queued (server down or a temporary refusal)
    error: str = ""  # why the run stopped early (server unreachable)


def send_queued(limit: int = BATCH_SIZE) -> SendReport:
    """Send queued mails, oldest first, over one SMTP connection."""
    queued = list(db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.status == "queued")
        .order_by(OutgoingMail.id).limit(limit)))
    report = SendReport()
    if not queued:
        return report
    try:
        connection = _connect()
    except (OSError, smtplib.SMTPException) as error:
        # Nothing was sent: every mail stays queued for the next run.
        report.error = _describe(error)
        for mail in queued:
            _attempted(mail, report.error)
        report.deferred = len(queued)
        db.session.commit()
        return report
    try:
        for index, mail in enumerate(queued):
            outcome = _send_one(connection, mail)
            setattr(report, outcome, getattr(report, outcome) + 1)
            db.session.commit()  # each mail's state is kept even if a later one breaks
            if outcome == "deferred" and not _alive(connection):
                report.error = mail.last_error
                for rest in queued[index + 1:]:
                    _attempted(rest, report.error)
                    report.deferred += 1
                db.session.commit()
                break
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return report


def _send_one(connection: smtplib.SMTP, mail: OutgoingMail) -> str:
    try:
        refused = connection.send_message(_message(mail))
    except smtplib.SMTPRecipientsRefused as error:
        code, answer = next(iter(error.recipients.values()))
        return _refused(mail, code, answer)
    except smtplib.SMTPResponseException as error:
        return _refused(mail, error.smtp_code, error.smtp_error)
    except (OSError, smtplib.SMTPException) as error:
        _attempted(mail, _describe(error))
        return "deferred"
    if refused:  # only with several recipients; ours have one
        code, answer = next(iter(refused.values()))
        return _refused(mail, code, answer)
    _attempted(mail, "")
    mail.status, mail.sent_at = "sent", utcnow()
    return "sent"


def _refused(mail: OutgoingMail, code: int, answer) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    _attempted(mail, f"{code} {text}")
    if 500 <= code < 600:
        mail.status = "failed"
        log.warning("mail %s to %s refused for good: %s", mail.id, mail.to_address,
                    mail.last_error)
        return "failed"
    return "deferred"


def _attempted(mail: OutgoingMail, error: str) -> None:
    mail.attempts += 1
    mail.last_attempt_at = utcnow()
    mail.last_error = error


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _alive(connection: smtplib.SMTP) -> bool:
    try:
        return connection.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _message(mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="cityexchange")
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    for name, value in (mail.headers or {}).items():
        message[name] = value
    message.set_content(mail.body)
    return message


def _connect() -> smtplib.SMTP:
    """An SMTP connection as the MAIL_* settings say (TLS, login)."""
    config = current_app.config
    mode = config["MAIL_TLS"]
    if mode not in TLS_MODES:
        raise MailConfigError(f"MAIL_TLS is '{mode}'; use one of {', '.join(TLS_MODES)}")
    host, port, timeout = config["MAIL_HOST"], int(config["MAIL_PORT"]), config["MAIL_TIMEOUT"]
    if mode == "ssl":
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                      context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
        if mode == "starttls":
            connection.starttls(context=ssl.create_default_context())
    if config["MAIL_USER"]:
        connection.login(config["MAIL_USER"], config["MAIL_PASSWORD"])
    return connection


def queue_counts() -> dict[str, int]:
    """How many mails are in each state (for operators)."""
    rows = db.session.execute(select(OutgoingMail.status, func.count()).group_by(
        OutgoingMail.status)).all()
    return {status: count for status, count in rows}
