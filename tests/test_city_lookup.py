"""Finding a known city by name, whatever its letters (the importer relies on it)."""

from cityexchange.services.case_studies import find_city
from tests.factories import make_city


def test_a_city_with_accented_capitals_is_found_by_its_name(app):
    city = make_city("Saint-Étienne", "FR")
    assert find_city("Saint-Étienne") == city
    assert find_city("saint-étienne") == city
    assert find_city("saint-etienne") == city
    assert find_city("Łódź") is None
    lodz = make_city("Łódź", "PL")
    assert find_city("Łódź") == lodz
    assert make_city("Łódź", "PL") == lodz  # no duplicate city
