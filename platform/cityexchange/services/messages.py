"""“Ask this city”: a member's question to a city's consenting contact person.

The question is stored first, so the contact reads it in their inbox even when
the e-mail fails; the e-mail is queued in the same transaction. The contact's
address never reaches the sender: they choose a contact by name and role.

Who reads an inbox: the account whose e-mail is the contact person's e-mail
(case-insensitive). A contact without such an account gets the e-mail only.
Coordinators and admins see how many questions each city received, never what
they say. A sender may send MESSAGES_PER_DAY questions in 24 hours, counted in
the database (so every web worker sees the same count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, CityMessage, ContactPerson, User, utcnow
from cityexchange.services.mail import public_url, queue_mail

SUBJECT_MAX, BODY_MAX = 200, 5_000


class RateLimited(Exception):
    """The sender asked too many questions in the last 24 hours."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class AskInputSchema(Schema):
    """The “Ask this city” form."""

    class Meta:
        unknown = EXCLUDE  # csrf_token

    contact = fields.Integer(required=True, error_messages={
        "required": lazy_gettext("Choose whom to ask."), "invalid": lazy_gettext("Choose whom to ask.")})
    subject = fields.String(required=True, validate=validate.Length(
        min=1, max=SUBJECT_MAX, error=lazy_gettext("Give a subject of 1 to 200 characters.")),
        error_messages={"required": lazy_gettext("Give a subject of 1 to 200 characters.")})
    message = fields.String(required=True, validate=validate.Length(
        min=1, max=BODY_MAX, error=lazy_gettext("Write a message of 1 to 5,000 characters.")),
        error_messages={"required": lazy_gettext("Write a message of 1 to 5,000 characters.")})
    share_email = fields.Boolean(load_default=False)

    @pre_load
    def _strip(self, data, **kwargs):
        data = {key: value.strip() if isinstance(value, str) else value
                for key, value in dict(data).items()}
        # An unticked checkbox is absent; a ticked one sends "on".
        data["share_email"] = data.get("share_email") in ("on", "true", "1", True)
        return data


def askable_contacts(city: City) -> list[ContactPerson]:
    """The city's contact persons who agreed to be contacted."""
    return [contact for contact in city.contacts if contact.may_be_shown]


def validate_ask(city: City, raw: dict) -> tuple[dict, ContactPerson]:
    """The form's data and the chosen contact; ValidationError names the field at fault."""
    data = AskInputSchema().load(raw)
    contact = next((c for c in askable_contacts(city) if c.id == data["contact"]), None)
    if contact is None:
        raise ValidationError({"contact": [gettext("Choose one of this city's contacts.")]})
    return data, contact


def sent_today(sender: User) -> int:
    since = utcnow() - timedelta(days=1)
    return db.session.scalar(select(func.count(CityMessage.id)).where(
        CityMessage.sender_id == sender.id, CityMessage.created_at > since)) or 0


def ask_city(sender: User, city: City, data: dict, contact: ContactPerson,
             case_study: CaseStudy | None = None) -> CityMessage:
    """Store the question and queue its e-mail, in one transaction."""
    limit = current_app.config["MESSAGES_PER_DAY"]
    if sent_today(sender) >= limit:
        raise RateLimited(limit)
    message = CityMessage(sender_id=sender.id, city_id=city.id, contact_id=contact.id,
                          case_study_id=getattr(case_study, "id", None),
                          subject=data["subject"], body=data["message"],
                          share_email=data["share_email"])
    db.session.add(message)
    db.session.flush()
    message.mail = queue_mail(contact.email, _mail_subject(message), _mail_body(
        message, sender, contact, case_study),
        reply_to=sender.email if message.share_email else "")
    db.session.commit()
    return message


def _mail_subject(message: CityMessage) -> str:
    return f"[CityExchange] {message.subject}"


def _mail_body(message: CityMessage, sender: User, contact: ContactPerson,
               case_study: CaseStudy | None) -> str:
    # The contact's language is unknown: the portal's default UI language.
    with force_locale(current_app.config["DEFAULT_UI_LANGUAGE"]):
        who = sender.name or gettext("A member of the network")
        if sender.city is not None:
            who = f"{who} ({sender.city.name})"
        lines = [gettext("Dear %(name)s,", name=contact.name), "",
                 gettext("%(who)s asks you through CityExchange:", who=who), "",
                 message.subject, "", message.body, ""]
        if case_study is not None:
            lines += [gettext("About the case study: %(title)s", title=case_study.title),
                      public_url("public.case_study", slug=case_study.slug), ""]
        if message.share_email:
            lines.append(gettext("Reply to this e-mail to answer: it goes to %(email)s.",
                                 email=sender.email))
        else:
            lines.append(gettext("The sender did not share their e-mail address; you can read "
                                 "the question in your CityExchange inbox."))
        lines += [public_url("messages.inbox")]
    return "\n".join(lines) + "\n"


# -- reading -------------------------------------------------------------------------------

def inbox_of(user: User) -> list[CityMessage]:
    """Questions to the contact person whose e-mail is this account's e-mail."""
    return list(db.session.scalars(
        select(CityMessage).join(ContactPerson, CityMessage.contact_id == ContactPerson.id)
        .where(func.lower(ContactPerson.email) == user.email.lower())
        .options(selectinload(CityMessage.sender), selectinload(CityMessage.case_study))
        .order_by(CityMessage.created_at.desc(), CityMessage.id.desc())))


def sent_by(user: User) -> list[CityMessage]:
    return list(db.session.scalars(
        select(CityMessage).where(CityMessage.sender_id == user.id)
        .options(selectinload(CityMessage.contact), selectinload(CityMessage.city))
        .order_by(CityMessage.created_at.desc(), CityMessage.id.desc())))


def readable_message(user: User, message_id: int) -> CityMessage | None:
    """A question its addressee or its sender may read; anyone else: as if missing."""
    message = db.session.get(CityMessage, message_id)
    if message is None:
        return None
    addressee = message.contact.email.lower() if message.contact else None
    if message.sender_id == user.id or addressee == user.email.lower():
        return message
    return None


@dataclass
class CityVolume:
    city: City
    total: int
    last_30_days: int


def volume_per_city() -> list[CityVolume]:
    """How many questions each city received: counts only, never content."""
    recent = utcnow() - timedelta(days=30)
    rows = db.session.execute(
        select(City, func.count(CityMessage.id),
               func.count(CityMessage.id).filter(CityMessage.created_at > recent))
        .join(CityMessage, CityMessage.city_id == City.id)
        .group_by(City.id).order_by(func.count(CityMessage.id).desc(), City.name)).all()
    return [CityVolume(city, total, last) for city, total, last in rows]
