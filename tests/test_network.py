"""The city network: city profiles, contacts, partnerships, "cities like mine", outcome fields."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, ContactPerson
from cityexchange.schemas import ContactInputSchema
from cityexchange.services import network
from cityexchange.services.importer import import_lines
from tests.factories import make_case_study, make_city, make_partnership

DORTMUND_LEGACY = ("For more than a century Dortmund lived from deep coal mines, blast furnaces "
                   "and large breweries; the last pit closed in 1987.")


def main(response) -> str:
    html = response.get_data(as_text=True)
    return re.search(r"<main>(.*)</main>", html, re.S).group(1)


def make_profile(name: str, country: str, population: int | None, legacy: str = "",
                 themes: tuple[str, ...] = (), **profile) -> City:
    city = make_city(name, country)
    city.population, city.industrial_legacy = population, legacy
    city.focus_themes = list(themes)
    for key, value in profile.items():
        setattr(city, key, value)
    db.session.commit()
    return city


def add_contact(city: City, **data) -> ContactPerson:
    contact = network.save_contact(city, ContactInputSchema().load(data))
    db.session.commit()
    return contact


@pytest.fixture
def ruhr_and_friends(app):
    """Dortmund, three cities like it, and three that are not."""
    cities = {
        "Dortmund": make_profile("Dortmund", "DE", 595_000, DORTMUND_LEGACY,
                                 ("structural-change", "hydrogen", "district-heating")),
        "Essen": make_profile("Essen", "DE", 584_000,
                              "Coal mining and a steel company; its last colliery closed in 1986.",
                              ("water-management",)),
        "Katowice": make_profile("Katowice", "PL", 285_000,
                                 "Hard-coal mining and zinc and iron works made the city grow.",
                                 ("structural-change", "coal-phase-out")),
        "Pittsburgh": make_profile("Pittsburgh", "US", 303_000,
                                   "Steel mills and coke works lined the river for a century.",
                                   ("hydrogen", "innovation-district")),
        "Montpellier": make_profile("Montpellier", "FR", 300_000,
                                    "A university and wine trade town, never industrial.",
                                    ("cycling-infrastructure",)),
        "Lyon": make_profile("Lyon", "FR", 522_000,
                             "Silk weaving, followed by chemistry and pharmaceuticals.",
                             ("school-meals",)),
        "Smallville": make_profile("Smallville", "US", 20_000, "", ()),
    }
    return cities


# -- city profile and contacts ----------------------------------------------------------

def test_city_page_shows_the_profile_with_theme_labels_in_the_ui_language(client, app):
    make_profile("Dortmund", "DE", 595_000, DORTMUND_LEGACY, ("hydrogen", "structural-change"),
                 region="North Rhine-Westphalia", description="Largest city of the **Ruhr**.")

    page = main(client.get("/cities/dortmund?ui_lang=de"))

    assert "North Rhine-Westphalia" in page and "595,000" in page
    assert "<strong>Ruhr</strong>" in page and "blast furnaces" in page
    assert '<a class="tag" href="/search?topic=hydrogen">Wasserstoff</a>' in page
    assert ">Strukturwandel</a>" in page


def test_contacts_are_hidden_from_anonymous_readers(client, app):
    dortmund = make_city("Dortmund")
    add_contact(dortmund, name="Anna Becker", role="Hydrogen buses",
                email="anna@dortmund.example", consent=True, consent_date="2024-03-12")

    page = main(client.get("/cities/dortmund"))

    assert "Anna Becker" not in page and "anna@dortmund.example" not in page
    assert 'href="/login?next=/cities/dortmund"' in page
    assert "anna@dortmund.example" not in client.get("/api/v1/cities/dortmund").get_data(
        as_text=True)


def test_logged_in_members_see_only_contacts_who_consented(client, auth, app):
    dortmund = make_city("Dortmund")
    add_contact(dortmund, name="Anna Becker", role="Hydrogen buses",
                email="anna@dortmund.example", consent=True, consent_date="2024-03-12")
    add_contact(dortmund, name="Miriam Özdemir", email="miriam@dortmund.example", consent=False)
    # A consent flag without its date is not a recorded consent.
    db.session.add(ContactPerson(city=dortmund, name="Undated Consent", email="u@d.example",
                                 consent=True, consent_date=None))
    db.session.commit()
    auth.login(role="contributor", city="Pittsburgh")

    page = main(client.get("/cities/dortmund"))

    assert "Anna Becker" in page and 'href="/cities/dortmund/ask"' in page
    assert "anna@dortmund.example" not in page  # questions go through "Ask this city"
    assert "Hydrogen buses" in page
    assert "Miriam" not in page and "Undated Consent" not in page


def test_consent_needs_its_date():
    with pytest.raises(Exception, match="date the consent was given"):
        ContactInputSchema().load({"name": "A", "email": "a@b.example", "consent": True})


def test_withdrawn_consent_hides_the_contact_again(client, auth, app):
    dortmund = make_city("Dortmund")
    add_contact(dortmund, name="Anna Becker", email="anna@dortmund.example", consent=True,
                consent_date="2024-03-12")
    add_contact(dortmund, name="Anna Becker", email="ANNA@dortmund.example", consent=False)
    auth.login()

    assert "Anna Becker" not in main(client.get("/cities/dortmund"))
    assert len(dortmund.contacts) == 1 and dortmund.contacts[0].consent_date is None


# -- partnerships -----------------------------------------------------------------------

@pytest.fixture
def innovation_partnership(app):
    partnership = make_partnership("dortmund-pittsburgh", "Dortmund–Pittsburgh innovation "
                                   "partnership", ["Dortmund", "Pittsburgh"],
                                   kind="innovation-partnership", since_year=2021)
    partnership.themes = ["hydrogen"]
    db.session.commit()
    make_city("Lyon")
    make_case_study("Fuel cell buses on hills", city="Pittsburgh", partners=["Dortmund"],
                    year=2022)
    make_case_study("Hydrogen depot", city="Dortmund", partners=["Pittsburgh", "Lyon"], year=2023)
    make_case_study("Canteens with Lyon", city="Dortmund", partners=["Lyon"])
    make_case_study("Draft with Pittsburgh", city="Dortmund", partners=["Pittsburgh"],
                    publish=False)
    make_case_study("Pittsburgh alone", city="Pittsburgh")
    return partnership


def test_partnership_page_lists_the_joint_case_studies(client, innovation_partnership):
    response = client.get("/partnerships/dortmund-pittsburgh")

    assert response.status_code == 200
    page = main(response)
    assert "Innovation partnership" in page and "2021" in page
    assert '<a class="tag" href="/search?topic=hydrogen">hydrogen</a>' in page
    assert 'href="/cities/dortmund"' in page and 'href="/cities/pittsburgh"' in page
    joint = re.search(r'class="cards joint-case-studies">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r'href="/case-studies/([^"]+)"', joint) == [
        "hydrogen-depot", "fuel-cell-buses-on-hills"]


def test_joint_case_studies_agree_with_the_partnership_facet(client, innovation_partnership):
    body = client.get("/api/v1/search?partnership=dortmund-pittsburgh").get_json()

    expected = {cs.slug for cs in network.joint_case_studies(innovation_partnership)}
    assert {hit["slug"] for hit in body["hits"]} == expected == {
        "hydrogen-depot", "fuel-cell-buses-on-hills"}
    options = client.get("/api/v1/search").get_json()["facets"]["partnership"]
    assert options == [{"value": "dortmund-pittsburgh", "count": 2, "selected": False,
                        "label": "Dortmund–Pittsburgh innovation partnership"}]


def test_partnerships_list_and_city_page_link_to_partnership_pages(client, innovation_partnership):
    listing = main(client.get("/partnerships"))
    city_page = main(client.get("/cities/dortmund"))

    assert 'href="/partnerships/dortmund-pittsburgh"' in listing
    assert "Dortmund, Pittsburgh" in listing
    assert 'href="/partnerships/dortmund-pittsburgh"' in city_page


def test_unknown_partnership_is_a_helpful_404(client, app):
    response = client.get("/partnerships/atlantis")

    assert response.status_code == 404
    assert "There is no partnership &#39;atlantis&#39;." in main(response)


# -- cities like mine -------------------------------------------------------------------

def test_similar_cities_rank_industrial_peers_above_unrelated_cities(ruhr_and_friends):
    ranked = network.similar_cities(ruhr_and_friends["Dortmund"], limit=10)

    names = [found.city.name for found in ranked]
    assert set(names[:3]) == {"Essen", "Katowice", "Pittsburgh"}
    assert names[0] == "Essen"  # same size band and the same coal-and-steel past
    assert "Smallville" not in names  # nothing in common: left out
    by_name = {found.city.name: found for found in ranked}
    assert by_name["Essen"].explanation == (
        "industrial legacy: coal, mining, steel; similar size (500k–1M inhabitants)")
    assert by_name["Katowice"].themes == ["structural change"]
    assert by_name["Pittsburgh"].legacy == ["coal", "steel"]
    assert "hydrogen" in by_name["Pittsburgh"].explanation
    assert by_name["Lyon"].legacy == [] and by_name["Lyon"].size_band == "500k–1M"


def test_similarity_explanation_in_german(ruhr_and_friends):
    essen = network.similar_cities(ruhr_and_friends["Dortmund"], limit=1, language="de")[0]

    assert essen.explanation == (
        "industrielles Erbe: Bergbau, Kohle, Stahl; ähnliche Größe (500k–1M Einwohner)")


@pytest.mark.parametrize(("text", "expected"), [
    ("Steinkohlenzechen und Hochöfen prägten die Stadt.", {"coal", "steel"}),
    ("Górnictwo węgla kamiennego i huty.", {"coal", "mining", "steel"}),
    ("Shipbuilding, oil refining and the port.", {"port", "oil"}),
    ("Important portions of the report.", set()),
])
def test_legacy_keywords_in_several_languages(app, text, expected):
    assert expected <= network.legacy_signals(text)
    assert not ({"coal", "steel", "port", "oil", "mining"} - expected) & network.legacy_signals(
        text)


@pytest.mark.parametrize(("population", "band"), [
    (None, None), (99_999, 0), (100_000, 1), (499_999, 1), (500_000, 2), (1_000_000, 3)])
def test_population_bands(population, band):
    assert network.size_band(population) == band


def test_city_page_shows_similar_cities_with_their_latest_case_studies(client, ruhr_and_friends):
    make_case_study("Colliery turned culture zone", city="Katowice", year=2015)
    make_case_study("Green jobs for miners", city="Katowice", year=2021)
    make_case_study("Older Katowice study", city="Katowice", year=2010)

    page = main(client.get("/cities/dortmund"))

    similar = re.search(r'<section class="similar-cities".*?</section>', page, re.S).group(0)
    assert 'href="/cities/essen"' in similar and "industrial legacy: coal" in similar
    assert "Smallville" not in similar
    katowice = re.search(r'href="/cities/katowice".*?</li>\s*</ul>', similar, re.S).group(0)
    assert re.findall(r'/case-studies/([^"]+)"', katowice) == [
        "green-jobs-for-miners", "colliery-turned-culture-zone"]
    assert 'href="/search?like=dortmund"' in similar


def test_search_like_a_city_redirects_to_a_city_filter(client, ruhr_and_friends):
    make_case_study("Hydrogen buses in Essen", city="Essen")
    make_case_study("Hydrogen in Smallville", city="Smallville")

    response = client.get("/search?like=dortmund&q=hydrogen&city=Smallville&page=3")

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/search?q=hydrogen&city=Essen&city=Katowice&city=Pittsburgh")
    assert "Smallville" not in location and "like=" not in location and "page=" not in location
    page = main(client.get(location))
    assert re.findall(r'class="hit-title" href="/case-studies/([^"]+)"', page) == [
        "hydrogen-buses-in-essen"]


def test_search_like_an_unknown_city_says_so(client, app):
    response = client.get("/search?like=atlantis")

    assert response.status_code == 404
    assert "There is no city &#39;atlantis&#39; to compare with." in main(response)


# -- outcome fields ---------------------------------------------------------------------

OUTCOME_FORM = {
    "project_status": "running", "start_year": "2021", "end_year": "2025",
    "budget_range": "1m-10m", "funding_programme": "Just Transition Fund; KfW 432",
    "measured_results": "Availability **91 %**.", "co2_reduction_t_per_year": "1450,5",
    "people_reached": "12000",
}


def form_data(**overrides) -> dict:
    data = {"title": "Hydrogen depot for city buses", "summary": "How it was paid for.",
            "body": "The depot refuels forty buses.", "language": "en", "year": "2024",
            "topics": "hydrogen", "partners": "", "translations-0-language": "",
            "translations-0-title": "", "translations-0-summary": "", "translations-0-body": "",
            "action": "save", **OUTCOME_FORM}
    data.update(overrides)
    return data


def test_outcome_fields_round_trip_through_the_form(client, auth, app):
    auth.login()

    response = client.post("/contribute/new", data=form_data())

    assert response.status_code == 302
    saved = db.session.scalar(select(CaseStudy))
    assert (saved.project_status, saved.start_year, saved.end_year, saved.budget_range) == (
        "running", 2021, 2025, "1m-10m")
    assert saved.funding_programme == "Just Transition Fund; KfW 432"
    assert (saved.co2_reduction_t_per_year, saved.people_reached) == (1450.5, 12000)
    form = client.get(f"/contribute/{saved.slug}/edit").get_data(as_text=True)
    assert '<option value="running" selected>' in form
    assert '<option value="1m-10m" selected>' in form
    assert 'name="co2_reduction_t_per_year" value="1450.5"' in form
    assert 'name="people_reached" value="12000"' in form
    assert "Availability **91 %**.</textarea>" in form


def test_outcome_errors_name_the_field_and_keep_the_text(client, auth, app):
    auth.login()

    response = client.post("/contribute/new", data=form_data(
        end_year="2019", budget_range="a lot", people_reached="-5"))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="end_year-error">the end year comes before the start year (2021)' in page
    assert 'id="budget_range-error">use one of: lt-100k, 100k-1m, 1m-10m, gt-10m' in page
    assert 'id="people_reached-error">give a number of people, 0 or more' in page
    assert 'value="Just Transition Fund; KfW 432"' in page
    assert db.session.scalar(select(CaseStudy)) is None


def test_case_study_page_shows_the_outcomes(client, app):
    make_case_study("Hydrogen depot", project_status="completed", start_year=2020,
                    end_year=2023, budget_range="gt-10m", funding_programme="EU Horizon Europe",
                    measured_results="Saves **1,450 t** a year.", co2_reduction_t_per_year=1450,
                    people_reached=250000)

    page = main(client.get("/case-studies/hydrogen-depot?ui_lang=de"))

    outcomes = re.search(r'<section class="outcomes".*?</section>', page, re.S).group(0)
    assert '<a class="tag" href="/search?status=completed">abgeschlossen</a>' in outcomes
    assert "2020–2023" in outcomes and "&gt; 10M €" in outcomes
    assert 'href="/search?funding=EU+Horizon+Europe"' in outcomes
    assert "<strong>1,450 t</strong>" in outcomes and "<dd>1,450 t" in outcomes
    assert "250,000" in outcomes


def test_a_case_study_without_outcomes_has_no_outcome_section(client, app):
    make_case_study("Hydrogen depot")

    assert 'class="outcomes"' not in main(client.get("/case-studies/hydrogen-depot"))


def import_line(**fields) -> str:
    data = {"slug": "essen-repair", "city": "Essen", "country": "DE", "language": "en",
            "title": "Repair network", "body": "Repair cafés."}
    data.update(fields)
    return json.dumps(data)


def test_import_takes_the_optional_outcome_keys(app, client):
    report = import_lines(io.StringIO("\n".join([
        import_line(project_status="running", start_year=2019, budget_range="100k-1m",
                    funding_programme="ESF Plus", measured_results="780 t less waste.",
                    co2_reduction_t_per_year=780, people_reached=5000),
        import_line(slug="essen-plain", title="No outcomes at all"),
        import_line(slug="essen-bad", project_status="finished"),
    ])), publish=True)

    assert (report.created, [e.line for e in report.errors]) == (2, [3])
    assert "project_status: use one of: planned, running, completed" in report.errors[0].message
    repair = client.get("/api/v1/case-studies/essen-repair").get_json()
    assert {key: repair[key] for key in ("project_status", "start_year", "end_year",
                                        "budget_range", "funding_programme",
                                        "co2_reduction_t_per_year", "people_reached")} == {
        "project_status": "running", "start_year": 2019, "end_year": None,
        "budget_range": "100k-1m", "funding_programme": "ESF Plus",
        "co2_reduction_t_per_year": 780.0, "people_reached": 5000}
    plain = client.get("/api/v1/case-studies/essen-plain").get_json()
    assert (plain["project_status"], plain["funding_programme"]) == (None, "")


@pytest.fixture
def outcomes(engine_client):
    make_case_study("Depot one", project_status="completed", funding_programme="EU Horizon Europe")
    make_case_study("Depot two", project_status="running",
                    funding_programme="EU Horizon Europe; Just Transition Fund")
    make_case_study("Depot three", city="Katowice", project_status="running",
                    funding_programme="Just Transition Fund")
    make_case_study("Depot four")


def counts(body: dict, facet: str) -> dict[str, int]:
    return {option["value"]: option["count"] for option in body["facets"][facet]}


def test_status_and_funding_are_search_facets(engine_client, outcomes):
    client = engine_client
    body = client.get("/api/v1/search").get_json()

    assert counts(body, "status") == {"running": 2, "completed": 1}
    assert counts(body, "funding") == {"EU Horizon Europe": 2, "Just Transition Fund": 2}
    narrowed = client.get("/api/v1/search?status=running&city=Dortmund").get_json()
    assert [hit["slug"] for hit in narrowed["hits"]] == ["depot-two"]
    # Disjunctive: the status counts ignore the status selection, respect the city filter.
    assert counts(narrowed, "status") == {"running": 1, "completed": 1}
    assert counts(narrowed, "funding") == {"EU Horizon Europe": 1, "Just Transition Fund": 1}


def test_status_labels_follow_the_ui_language(engine_client, outcomes):
    body = engine_client.get("/api/v1/search?ui_lang=de").get_json()

    assert {o["value"]: o["label"] for o in body["facets"]["status"]} == {
        "running": "laufend", "completed": "abgeschlossen"}


def test_an_unknown_status_is_a_400_naming_the_parameter(client, app):
    response = client.get("/api/v1/search?status=finished")

    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "status"


def test_search_page_shows_the_outcome_facets(engine_client, outcomes):
    page = main(engine_client.get("/search?funding=Just+Transition+Fund"))

    assert re.search(r'data-facet="status"[^>]*>\s*<summary><h2>Project status</h2>', page)
    assert re.search(r'data-facet="funding"[^>]*>\s*<summary><h2>Funding programme</h2>', page)
    assert "Funding programme: Just Transition Fund" in page  # the active filter chip
    assert "Depot three" in page and "Depot one" not in page


def test_revision_history_shows_outcome_changes(client, auth, app):
    auth.login()
    client.post("/contribute/new", data=form_data())
    slug = db.session.scalar(select(CaseStudy.slug))
    client.post(f"/contribute/{slug}/edit", data=form_data(project_status="completed",
                                                           base_revision="1"))

    page = client.get(f"/contribute/{slug}/history?revision=1").get_data(as_text=True)

    assert "-Project status: running" in page and "+Project status: completed" in page


# -- demo data --------------------------------------------------------------------------

def test_demo_data_has_contacts_and_outcomes(app):
    from cityexchange.services.demo import load_demo

    summary = load_demo()

    assert summary["contacts"] >= 10
    contacts = db.session.scalars(select(ContactPerson)).all()
    assert any(c.may_be_shown for c in contacts) and any(not c.consent for c in contacts)
    assert all(c.consent_date <= date.today() for c in contacts if c.consent)
    with_status = db.session.scalars(select(CaseStudy).where(
        CaseStudy.project_status.is_not(None))).all()
    assert len(with_status) >= 40
    dortmund = db.session.scalar(select(City).where(City.slug == "dortmund"))
    similar = [found.city.name for found in network.similar_cities(dortmund, 3)]
    assert "Essen" in similar and "Katowice" in similar


def test_cities_whose_case_studies_do_alike_work_are_similar(app):
    for name, country, title, body in [
        ("Aarhus", "DK", "Reading afternoons for older residents at the public library",
         "Volunteers read aloud to pensioners every week."),
        ("Porto", "PT", "Bibliothèque publique : lectures pour les seniors",
         "Des bénévoles lisent à voix haute pour les personnes âgées."),
        ("Tampere", "FI", "Protected bike lanes on the ring road",
         "Cycle lanes replace a car lane."),
    ]:
        make_profile(name, country, None)
        make_case_study(title, city=name, body=body)
    app.test_cli_runner().invoke(args=["index", "vectors"])
    aarhus = db.session.scalar(select(City).where(City.name == "Aarhus"))
    ranked = network.similar_cities(aarhus, limit=5)
    assert [found.city.name for found in ranked][:1] == ["Porto"]
    assert "case studies on similar work" in ranked[0].explanation
