""""Similar approaches in other cities" on the case-study page, on both engines."""

from __future__ import annotations

import pytest

from cityexchange.extensions import db
from cityexchange.services.related import similar_case_studies
from tests.conftest import app_dropping_indexes, build_app, make_config
from tests.elasticsearch.conftest import closed_port
from tests.factories import make_case_study

ENGINES = ["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]


@pytest.fixture(params=ENGINES)
def engine_app(request, tmp_path):
    app = build_app(make_config(tmp_path, request.param))
    with app_dropping_indexes(app):
        yield app


def hydrogen_network():
    """A Dortmund hydrogen bus study and what it should, and should not, find."""
    dortmund = make_case_study(
        "Wasserstoffbusse für den Nahverkehr", city="Dortmund", language="de",
        topics=["hydrogen", "fuel-cell-bus"],
        body="Die Stadtwerke setzen zwanzig Brennstoffzellenbusse ein und bauen eine "
             "Wasserstoff-Tankstelle am Betriebshof.")
    others = {
        "lyon": make_case_study(
            "Bus à hydrogène dans la Vallée de la chimie", city="Lyon", language="fr",
            body="La métropole exploite des bus à hydrogène ; l'hydrogène vient d'un "
                 "électrolyseur de la Vallée de la chimie."),
        "pittsburgh": make_case_study(
            "Fuel cell bus pilot", city="Pittsburgh", language="en",
            body="Port Authority runs ten hydrogen buses; the hydrogen fuel comes by truck."),
        "dortmund": make_case_study(
            "Wasserstoff-Tankstelle für Müllfahrzeuge", city="Dortmund", language="de",
            topics=["hydrogen"], body="Brennstoffzellenbusse und Müllfahrzeuge tanken Wasserstoff."),
        "buffalo": make_case_study(
            "Youth exchange with Dortmund", city="Buffalo", language="en",
            topics=["youth-exchange"], body="Students from Buffalo spend two weeks in a school."),
    }
    return dortmund, others


def test_hydrogen_buses_of_other_cities_are_related_across_languages(engine_app):
    dortmund, others = hydrogen_network()
    related = similar_case_studies(dortmund, "en")
    slugs = [r.case_study.slug for r in related]
    assert set(slugs[:2]) == {others["lyon"].slug, others["pittsburgh"].slug}
    assert others["dortmund"].slug not in slugs
    assert others["buffalo"].slug not in slugs
    reasons = {r.case_study.slug: r.shared for r in related}
    assert reasons[others["lyon"].slug][:2] == ("hydrogen", "fuel cell bus")
    assert similar_case_studies(dortmund, "de")[0].shared[:2] == ("Wasserstoff",
                                                                  "Brennstoffzellenbus")


def test_case_study_page_shows_them_with_the_reason(engine_app):
    dortmund, others = hydrogen_network()
    html = engine_app.test_client().get(f"/case-studies/{dortmund.slug}?ui_lang=en").get_data(
        as_text=True)
    related = html.split('id="related-heading"')[1]
    assert "Similar approaches in other cities" in html
    assert "Bus à hydrogène dans la Vallée de la chimie" in related
    assert "Fuel cell bus pilot" in related
    assert "shares: hydrogen, fuel cell bus" in related
    assert "Müllfahrzeuge" not in related and "Youth exchange" not in related


def test_a_case_study_alone_in_the_network_has_no_section(app, client):
    lonely = make_case_study("Hydrogen buses", city="Dortmund")
    make_case_study("Hydrogen refuelling", city="Dortmund")
    html = client.get(f"/case-studies/{lonely.slug}").get_data(as_text=True)
    assert "Similar approaches" not in html


def test_page_still_renders_when_the_engine_is_down(tmp_path):
    app = build_app(make_config(tmp_path, SEARCH_ENGINE="elasticsearch", INDEX_AFTER_COMMIT=False,
                                ELASTICSEARCH_URL=f"http://127.0.0.1:{closed_port()}"))
    with app.app_context():
        dortmund, _others = hydrogen_network()
        response = app.test_client().get(f"/case-studies/{dortmund.slug}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Wasserstoffbusse für den Nahverkehr" in html
        assert "Similar approaches" not in html
        db.session.remove()
        app.extensions["search_engine"].close()


def test_a_case_study_with_no_shared_tag_or_word_is_related_by_meaning(engine_app):
    library = make_case_study(
        "Öffentliche Bibliothek als Treffpunkt für Senioren", city="Dortmund", language="de",
        body="Die Stadtbibliothek lädt ältere Menschen jede Woche zum Vorlesen ein.")
    reading = make_case_study(
        "Reading afternoons for older residents at the public library", city="Lyon",
        language="en", body="Volunteers read aloud to pensioners every Tuesday.")
    make_case_study("Bike lanes on the ring road", city="Lyon",
                    body="Protected cycle lanes replace a car lane.")
    engine_app.test_cli_runner().invoke(args=["index", "vectors"])
    related = similar_case_studies(library, "en")
    assert [found.case_study.id for found in related][:1] == [reading.id]
