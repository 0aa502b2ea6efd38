"""The demo data set in config/demo/: cities, partnerships, users, case studies."""

from __future__ import annotations

import json

from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import Partnership
from cityexchange.schemas import ContactInputSchema, CoordinatesSchema
from cityexchange.services.cities import find_city
from cityexchange.services.cities import get_or_create_city
from cityexchange.services.importer import import_lines
from cityexchange.services.network import save_contact
from cityexchange.services.users import create_user, find_user
from cityexchange.settings import CONFIG_DIR
from cityexchange.models import CaseStudy, CityMessage, Collection
from cityexchange.services import collections as collection_service
from cityexchange.services import messages
from cityexchange.services.collection_schemas import CollectionInputSchema
from cityexchange.services.slugs import slugify

DEMO_DIR = CONFIG_DIR / "demo"


def _read_json(name: str):
    path = DEMO_DIR / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def load_demo() -> dict:
    """Load (or refresh) the demo data; running it twice changes nothing."""
    cities = _read_json("cities.json")
    for profile in cities:
        profile = dict(profile)
        city = get_or_create_city(profile.pop("name"), profile.pop("country"))
        profile.update(CoordinatesSchema().load(
            {key: profile.pop(key) for key in ("latitude", "longitude") if key in profile}))
        for key, value in profile.items():
            setattr(city, key, value)
    contacts = _load_contacts(_read_json("contacts.json"))
    partnerships = _read_json("partnerships.json")
    for data in partnerships:
        _upsert_partnership(dict(data))
    db.session.commit()

    accounts = _read_json("users.json")
    for account in accounts:
        if find_user(account["email"]) is None:
            create_user(account)

    with (DEMO_DIR / "case-studies.jsonl").open(encoding="utf-8") as stream:
        report = import_lines(stream, publish=True)
    if report.errors:
        raise RuntimeError(f"demo data has invalid lines: {report.errors[:3]}")
    collections = _load_collections(_read_json("collections.json"), accounts)
    questions = _load_questions(_read_json("questions.json"))
    return {
        "cities": len(cities),
        "partnerships": len(partnerships),
        "contacts": contacts,
        "case_studies": report.imported,
        "users": len(accounts),
        "collections": collections,
        "questions": questions,
        "accounts": accounts,
    }


def _load_collections(entries: list[dict], accounts: list[dict]) -> int:
    """Curated collections, owned by the demo coordinator; existing ones are kept as they are."""
    coordinator = next((find_user(a["email"]) for a in accounts if a["role"] == "coordinator"), None)
    for entry in entries:
        entry = dict(entry)
        items = entry.pop("items")
        if db.session.scalar(select(Collection).where(Collection.slug == slugify(entry["title"]))):
            continue
        collection = collection_service.create_collection(
            CollectionInputSchema().load(entry), owner=coordinator
        )
        for item in items:
            case_study = db.session.scalar(
                select(CaseStudy).where(CaseStudy.slug == item["case_study"])
            )
            collection_service.add_item(collection, case_study, note=item["note"])
    return len(entries)


def _load_questions(entries: list[dict]) -> int:
    """“Ask this city” questions (questions.json); one already asked is not asked again."""
    for entry in entries:
        sender, city = find_user(entry["from"]), find_city(entry["city"])
        if sender is None or city is None:
            raise RuntimeError(f"questions.json names an unknown sender or city: {entry}")
        if db.session.scalar(select(CityMessage.id).where(
                CityMessage.sender_id == sender.id, CityMessage.subject == entry["subject"])):
            continue
        contact = next(c for c in city.contacts if c.email == entry["contact"])
        data, contact = messages.validate_ask(city, {
            "contact": contact.id, "subject": entry["subject"], "message": entry["message"],
            "share_email": entry.get("share_email", False)})
        case_study = db.session.scalar(select(CaseStudy).where(
            CaseStudy.slug == entry.get("case_study", "")))
        messages.ask_city(sender, city, data, contact, case_study)
    return len(entries)


def _load_contacts(entries: list[dict]) -> int:
    """Contact persons per city (contacts.json); some without consent, who stay hidden."""
    schema = ContactInputSchema()
    for entry in entries:
        city = find_city(entry["city"])
        if city is None:
            raise RuntimeError(f"contacts.json names an unknown city: {entry['city']}")
        save_contact(city, schema.load(entry))
    return len(entries)


def _upsert_partnership(data: dict) -> Partnership:
    members = [find_city(name) or get_or_create_city(name, "") for name in data.pop("cities")]
    partnership = db.session.scalar(select(Partnership).where(Partnership.slug == data["slug"]))
    if partnership is None:
        partnership = Partnership(slug=data["slug"])
        db.session.add(partnership)
    for key, value in data.items():
        setattr(partnership, key, value)
    partnership.cities = members
    return partnership
