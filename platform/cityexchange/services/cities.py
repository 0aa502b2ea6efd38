"""Cities and partnerships."""

from __future__ import annotations

from cityexchange.extensions import db
from cityexchange.models import City
from cityexchange.services.slugs import unique_slug


def get_or_create_city(name: str, country: str, **profile) -> City:
    from cityexchange.services.case_studies import find_city

    city = find_city(name)
    if city is None:
        city = City(name=name.strip(), country=(country or "").upper()[:2],
                    slug=unique_slug(City, name), **profile)
        db.session.add(city)
        db.session.flush()
    return city
