"""Cities and partnerships."""

from __future__ import annotations

from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import City
from cityexchange.services.slugs import slugify, unique_slug


def find_city(name_or_slug: str) -> City | None:
    key = name_or_slug.strip()
    # SQL lower() folds ASCII only: the slug also finds "Saint-Étienne" and "Łódź".
    slugs = {key.lower(), slugify(key)}
    return db.session.scalar(
        select(City).where((func.lower(City.name) == key.lower()) | City.slug.in_(slugs))
    )


def get_or_create_city(name: str, country: str, **profile) -> City:
    city = find_city(name)
    if city is None:
        city = City(name=name.strip(), country=(country or "").upper()[:2],
                    slug=unique_slug(City, name), **profile)
        db.session.add(city)
        db.session.flush()
    return city
