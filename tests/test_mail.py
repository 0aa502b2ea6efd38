"""Outgoing mail against a real SMTP server: delivered, server down then up, a bad address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import OutgoingMail
from cityexchange.services.mail import queue_mail, send_queued
from tests.conftest import build_app, make_config
from tests.smtp import REFUSED_DOMAIN, free_port, mail_config, smtp_server


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def app(tmp_path, port):
    app = build_app(make_config(tmp_path, **mail_config(port)))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


def _mails():
    return db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()


def test_a_queued_mail_is_delivered_with_its_headers(app, port):
    queue_mail("lena@essen.example", "Your question about green roofs", "Hello Lena,\nthanks.",
               reply_to="asker@leeds.example")
    db.session.commit()

    with smtp_server(port) as server:
        report = send_queued()

    assert (report.sent, report.failed, report.deferred) == (1, 0, 0)
    [message] = server.messages
    assert message["To"] == "lena@essen.example"
    assert message["From"] == "CityExchange <noreply@cityexchange.test>"
    assert message["Reply-To"] == "asker@leeds.example"
    assert message["Subject"] == "Your question about green roofs"
    assert message.get_content().splitlines() == ["Hello Lena,", "thanks."]
    [mail] = _mails()
    assert mail.status == "sent" and mail.sent_at is not None and mail.attempts == 1


def test_nothing_is_lost_while_the_server_is_down(app, port, runner):
    queue_mail("anna@dortmund.example", "Hydrogen buses", "A question.")
    queue_mail("jonas@dortmund.example", "Brownfields", "Another question.")
    db.session.commit()

    down = runner.invoke(args=["mail", "send"])  # nothing listens on the port yet
    assert down.exit_code == 2, down.output
    assert "0 sent" in down.output and "2 still queued" in down.output
    assert "SMTP server unavailable" in down.output
    assert [(m.status, m.attempts) for m in _mails()] == [("queued", 1), ("queued", 1)]
    assert all(m.last_error for m in _mails())

    with smtp_server(port) as server:
        up = runner.invoke(args=["mail", "send"])
        again = runner.invoke(args=["mail", "send"])

    assert up.exit_code == 0, up.output
    assert "2 sent" in up.output
    assert sorted(m["To"] for m in server.messages) == ["anna@dortmund.example",
                                                        "jonas@dortmund.example"]
    assert "0 sent" in again.output and len(server.messages) == 2  # never sent twice
    assert [(m.status, m.last_error) for m in _mails()] == [("sent", ""), ("sent", "")]


def test_a_refused_address_fails_with_the_answer_and_is_not_retried(app, port):
    queue_mail(f"nobody@{REFUSED_DOMAIN}", "Lost", "Nobody reads this.")
    queue_mail("lena@essen.example", "Found", "Lena reads this.")
    db.session.commit()

    with smtp_server(port) as server:
        first = send_queued()
        second = send_queued()

    assert (first.sent, first.failed, first.deferred) == (1, 1, 0)
    assert (second.sent, second.failed, second.deferred) == (0, 0, 0)
    assert [m["To"] for m in server.messages] == ["lena@essen.example"]
    refused, delivered = _mails()
    assert refused.status == "failed" and refused.attempts == 1
    assert refused.last_error.startswith("550") and "mailbox unknown" in refused.last_error
    assert delivered.status == "sent"


def test_an_unknown_tls_mode_is_a_clear_error(tmp_path, port):
    app = build_app(make_config(tmp_path, **{**mail_config(port), "MAIL_TLS": "yes"}))
    with app.app_context():
        queue_mail("lena@essen.example", "x", "y")
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["mail", "send"])
        db.session.remove()
        app.extensions["search_engine"].close()
    assert result.exit_code == 1
    assert "MAIL_TLS is 'yes'; use one of none, starttls, ssl" in result.output
