"""Test data made through the services, as a user would make it."""

from __future__ import annotations

import itertools

from cityexchange.extensions import db
from cityexchange.models import Partnership, User
from cityexchange.schemas import CaseStudyInputSchema
from cityexchange.services import case_studies
from cityexchange.services.cities import get_or_create_city
from cityexchange.services.users import create_user, find_user

_counter = itertools.count(1)

COUNTRIES = {"Dortmund": "DE", "Buffalo": "US", "Pittsburgh": "US", "Oklahoma City": "US",
             "Lyon": "FR", "Katowice": "PL", "Rotterdam": "NL", "Bilbao": "ES", "Turin": "IT"}


def make_city(name: str = "Dortmund", country: str | None = None):
    city = get_or_create_city(name, country or COUNTRIES.get(name, "DE"))
    db.session.commit()
    return city


def make_user(role: str = "contributor", city: str | None = "Dortmund", email: str | None = None,
              password: str = "correct horse battery") -> User:
    email = email or f"{role}-{next(_counter)}@example.org"
    existing = find_user(email)
    if existing:
        return existing
    if city:
        make_city(city)
    return create_user({"email": email, "password": password, "role": role,
                        "city": city if role == "contributor" or city else None})


def make_case_study(title: str = "Hydrogen buses for the city fleet", *, city: str = "Dortmund",
                    publish: bool = True, author=None, **fields):
    data = CaseStudyInputSchema().load({"title": title, **fields})
    return case_studies.create_case_study(data, city=make_city(city), author=author,
                                          publish=publish, create_missing_partners=True)


def make_partnership(slug: str, name: str, cities: list[str], kind: str = "twinning",
                     since_year: int | None = None) -> Partnership:
    partnership = Partnership(slug=slug, name=name, kind=kind, since_year=since_year,
                              cities=[make_city(c) for c in cities])
    db.session.add(partnership)
    db.session.commit()
    return partnership
