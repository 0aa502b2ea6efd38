"""“Ask this city”: stored, queued as e-mail, read in the contact's inbox; rate-limited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CityMessage, ContactPerson, OutgoingMail
from cityexchange.services.mail import send_queued
from cityexchange.services.network import save_contact
from cityexchange.schemas import ContactInputSchema
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_city, make_user
from tests.smtp import free_port, mail_config, smtp_server

PASSWORD = "correct horse battery"
ANNA = "anna.becker@dortmund.example"


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def app(tmp_path, port):
    app = build_app(make_config(tmp_path, MESSAGES_PER_DAY=2, **mail_config(port)))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


def add_contact(city_name: str, name: str, email: str, consent: bool = True) -> ContactPerson:
    city = make_city(city_name)
    contact = save_contact(city, ContactInputSchema().load({
        "name": name, "email": email, "role": "Hydrogen buses", "consent": consent,
        "consent_date": "2024-03-12" if consent else None}))
    db.session.commit()
    return contact


@pytest.fixture
def world(app):
    anna = add_contact("Dortmund", "Anna Becker", ANNA)
    hidden = add_contact("Dortmund", "Miriam Özdemir", "miriam@dortmund.example", consent=False)
    case_study = make_case_study("Hydrogen buses for the city fleet", city="Dortmund")
    return {"anna": anna.id, "hidden": hidden.id, "slug": case_study.slug}


def log_in(client, email: str, **kwargs):
    make_user(email=email, password=PASSWORD, **kwargs)
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def ask(client, world, **fields):
    data = {"contact": str(world["anna"]), "subject": "Depot layout",
            "message": "How many fuel pumps did you need for 20 buses?",
            "about": world["slug"], **fields}
    return client.post("/cities/dortmund/ask", data=data)


def test_the_case_study_page_offers_the_question_to_a_consenting_contact(client, world):
    page = client.get(f"/case-studies/{world['slug']}").get_data(as_text=True)
    assert f'href="/cities/dortmund/ask?about={world["slug"]}"' in page
    assert "Ask this city" in page

    assert client.get(f"/cities/dortmund/ask?about={world['slug']}").status_code == 302  # log in
    log_in(client, "sam@leeds.example", city="Leeds", role="contributor")
    form = client.get(f"/cities/dortmund/ask?about={world['slug']}").get_data(as_text=True)
    assert "Anna Becker" in form and "Miriam" not in form  # only who consented
    assert ANNA not in form  # the address stays private
    assert 'value="Hydrogen buses for the city fleet"' in form  # subject prefilled


def test_a_question_is_stored_queued_and_delivered_without_showing_the_address(
        client, world, port):
    log_in(client, "sam@leeds.example", city="Leeds", role="contributor")
    response = ask(client, world, share_email="on")

    assert response.status_code == 302 and response.location.endswith(f"/{world['slug']}")
    message = db.session.scalar(select(CityMessage))
    assert (message.subject, message.share_email) == ("Depot layout", True)
    assert message.mail.status == "queued" and message.mail.to_address == ANNA
    with smtp_server(port) as server:
        assert send_queued().sent == 1
    [mail] = server.messages
    assert mail["To"] == ANNA and mail["Reply-To"] == "sam@leeds.example"
    text = mail.get_content()
    assert "How many fuel pumps" in text and "sam@leeds.example" in text
    assert f"http://127.0.0.1:5000/case-studies/{world['slug']}" in text
    assert "http://127.0.0.1:5000/account/messages" in text

    follow = client.get(response.location).get_data(as_text=True)
    assert "Your question went to Anna Becker of Dortmund" in follow
    for page in ("/account/messages", f"/account/messages/{message.id}"):
        body = client.get(page).get_data(as_text=True)
        assert "Depot layout" in body and "Anna Becker" in body
        assert ANNA not in body


def test_the_contact_reads_it_in_the_inbox_even_when_mail_fails(client, world, app):
    make_user(email="sam@leeds.example", password=PASSWORD, city="Leeds")
    client.post("/login", data={"email": "sam@leeds.example", "password": PASSWORD})
    ask(client, world)  # without sharing the address
    assert send_queued().deferred == 1  # no SMTP server: the mail waits
    client.post("/logout")

    log_in(client, ANNA.upper(), city="Dortmund")  # the same address, another case
    inbox = client.get("/account/messages").get_data(as_text=True)
    assert "Depot layout" in inbox
    message_id = db.session.scalar(select(CityMessage.id))
    page = client.get(f"/account/messages/{message_id}").get_data(as_text=True)
    assert "How many fuel pumps" in page
    assert "did not share their e-mail address" in page and "sam@leeds.example" not in page


def test_bad_input_keeps_what_was_typed_and_names_the_field(client, world):
    log_in(client, "sam@leeds.example", city="Leeds")
    response = ask(client, world, subject="", message="Keep me")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give a subject of 1 to 200 characters." in body and "Keep me" in body

    hidden = ask(client, world, contact=str(world["hidden"]))
    assert hidden.status_code == 400
    assert "Choose one of this city" in hidden.get_data(as_text=True)
    assert db.session.scalar(select(CityMessage)) is None
    assert db.session.scalar(select(OutgoingMail)) is None


def test_the_rate_limit_counts_the_last_24_hours(client, world):
    log_in(client, "sam@leeds.example", city="Leeds")
    assert ask(client, world).status_code == 302
    assert ask(client, world).status_code == 302
    refused = ask(client, world, subject="Third")
    assert refused.status_code == 429
    assert "the most one account may send" in refused.get_data(as_text=True)
    assert "Third" in refused.get_data(as_text=True)  # the form keeps it
    assert len(db.session.scalars(select(CityMessage)).all()) == 2

    for message in db.session.scalars(select(CityMessage)):  # a day later
        message.created_at -= dt.timedelta(hours=25)
    db.session.commit()
    assert ask(client, world, subject="Third").status_code == 302


def test_coordinators_see_counts_per_city_never_content(client, world):
    log_in(client, "sam@leeds.example", city="Leeds")
    ask(client, world, subject="Secret depot question")
    client.post("/logout")
    log_in(client, "coord@network.example", role="coordinator", city=None)

    page = client.get("/network/questions").get_data(as_text=True)
    assert 'data-city="dortmund"' in page and "<td>1</td>" in page
    assert "Secret depot question" not in page and "fuel pumps" not in page
    message_id = db.session.scalar(select(CityMessage.id))
    assert client.get(f"/account/messages/{message_id}").status_code == 404


def test_the_form_needs_a_csrf_token(tmp_path, port):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True, **mail_config(port)))
    with app.app_context():
        add_contact("Dortmund", "Anna Becker", ANNA)
        make_user(email="sam@leeds.example", password=PASSWORD, city="Leeds")
        db.session.remove()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"email": "sam@leeds.example", "password": PASSWORD,
                                "csrf_token": token})
    response = client.post("/cities/dortmund/ask", data={"contact": "1", "subject": "x",
                                                         "message": "y"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(CityMessage)) is None
        db.session.remove()
        app.extensions["search_engine"].close()
