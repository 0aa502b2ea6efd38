"""E-mail alerts: a saved search sends a daily or weekly digest of new matching case studies.

`cityex alerts send` (cron) queues the digests that are due. A digest holds the
case studies published since the alert was switched on that its user has never
been sent (AlertDelivery records each one: nobody gets the same case study twice,
not even from two saved searches). Each digest links back to the search and has
a one-click unsubscribe link carrying a signed token (itsdangerous): the token is
the credential, so unsubscribing needs no login.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from cityexchange.errors import ApiError
from cityexchange.extensions import db
from cityexchange.models import ALERT_FREQUENCIES, AlertDelivery, SavedSearch, utcnow
from cityexchange.services import search as search_service
from cityexchange.services.mail import public_url, queue_mail
from indexer import EngineUnavailable, QueryError

log = logging.getLogger(__name__)

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
# Cron runs a little early or late: a digest is due this much before its period ends.
SLACK = timedelta(hours=1)
# The newest matches a digest looks at, and the most it lists.
WINDOW, DIGEST_MAX = 100, 20
SALT = "alert-unsubscribe"


class AlertInputSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token

    alert = fields.String(required=True, validate=validate.OneOf(
        ("off", *ALERT_FREQUENCIES), error=lazy_gettext("Choose off, daily or weekly.")))


def set_alert(saved: SavedSearch, frequency: str) -> None:
    """Switch a saved search's alert off, or to daily/weekly."""
    if frequency == "off":
        saved.alert = None
    else:
        if saved.alert is None:  # only what is published from now on is news
            saved.alert_since, saved.alert_last_sent_at = utcnow(), None
        saved.alert = frequency
    db.session.commit()


# -- the unsubscribe token -------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(saved: SavedSearch) -> str:
    return _serializer().dumps({"s": saved.id, "u": saved.user_id})


def saved_search_of_token(token: str) -> SavedSearch | None:
    """The saved search a token names; None for a forged token or a deleted search."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return db.session.scalar(select(SavedSearch).where(
        SavedSearch.id == data.get("s"), SavedSearch.user_id == data.get("u")))


def unsubscribe(saved: SavedSearch) -> None:
    saved.alert = None
    db.session.commit()


# -- digests --------------------------------------------------------------------------------

def is_due(saved: SavedSearch, now: datetime) -> bool:
    last = saved.alert_last_sent_at
    return saved.alert in PERIODS and (last is None or now - last >= PERIODS[saved.alert] - SLACK)


def send_due_digests(now: datetime | None = None) -> int:
    """Queue every digest that is due; returns how many were queued."""
    now = now or utcnow()
    queued = 0
    for saved in db.session.scalars(select(SavedSearch).where(SavedSearch.alert.is_not(None))
                                    .order_by(SavedSearch.id)).all():
        if not is_due(saved, now):
            continue
        try:
            new = new_case_studies(saved)
        except (EngineUnavailable, QueryError, ApiError) as error:
            log.warning("alert %s skipped, tried again next run: %s", saved.id, error)
            continue  # not marked as sent: the next run tries again
        if new:
            _queue_digest(saved, new)
            queued += 1
        saved.alert_last_sent_at = now
        db.session.commit()  # one digest, its deliveries and its time together
    return queued


def new_case_studies(saved: SavedSearch) -> list:
    """Matching case studies published since the alert began, never sent to this user."""
    args = MultiDict(parse_qsl(saved.query))
    args.setlist("sort", ["newest"])
    args.setlist("per_page", [str(WINDOW)])
    page = search_service.search(search_service.parse_search_args(args))
    sent = set(db.session.scalars(select(AlertDelivery.case_study_id).where(
        AlertDelivery.user_id == saved.user_id)))
    since = saved.alert_since or saved.created_at
    found = [item.case_study for item in page.items
             if item.case_study.published_at and item.case_study.published_at > since
             and item.case_study.id not in sent]
    return found[:DIGEST_MAX]


def _queue_digest(saved: SavedSearch, case_studies: list) -> None:
    unsubscribe_url = public_url("alerts.unsubscribe", token=unsubscribe_token(saved))
    search_url = public_url("search.search_page") + (f"?{saved.query}" if saved.query else "")
    with force_locale(current_app.config["DEFAULT_UI_LANGUAGE"]):
        subject = ngettext("%(num)d new case study for “%(name)s”",
                           "%(num)d new case studies for “%(name)s”",
                           len(case_studies), name=saved.name)
        lines = [gettext("New case studies match your saved search “%(name)s”:",
                         name=saved.name), ""]
        for case_study in case_studies:
            year = f", {case_study.year}" if case_study.year else ""
            lines += [f"- {case_study.title} ({case_study.city.name}{year})",
                      "  " + public_url("public.case_study", slug=case_study.slug)]
        lines += ["", gettext("All results of the search:"), search_url, "",
                  gettext("Stop these e-mails with one click:"), unsubscribe_url]
    queue_mail(saved.user.email, f"[CityExchange] {subject}", "\n".join(lines) + "\n",
               headers={"List-Unsubscribe": f"<{unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    for case_study in case_studies:
        db.session.add(AlertDelivery(user_id=saved.user_id, case_study_id=case_study.id,
                                     saved_search_id=saved.id))
