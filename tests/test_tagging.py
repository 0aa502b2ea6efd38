"""Concept tagging: thesaurus concepts found in a case study's texts, editable by contributors."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy
from cityexchange.services.importer import import_lines
from cityexchange.services.indexing import build_document
from tests.factories import make_case_study, make_city

GERMAN_TITLE = "Wasserstoffbusse für den Strukturwandel"
GERMAN_BODY = ("Dortmund stellt die Stadtbusflotte auf Wasserstoffbusse um. Der Strukturwandel "
               "im Ruhrgebiet braucht neue Arbeitsplätze in der Fahrzeugtechnik.")


def form_data(**overrides) -> dict:
    data = {"title": GERMAN_TITLE, "summary": "", "body": GERMAN_BODY, "language": "de",
            "year": "2024", "topics": "", "partners": "", "translations-0-language": "",
            "translations-0-title": "", "translations-0-summary": "", "translations-0-body": "",
            "action": "save"}
    data.update(overrides)
    return data


def text_of(response) -> str:
    return response.get_data(as_text=True)


def topic_facet(client, ui_lang: str, **params) -> dict[str, str]:
    response = client.get("/api/v1/search", query_string={"ui_lang": ui_lang, **params})
    assert response.status_code == 200, response.get_json()
    return {v["value"]: v["label"] for v in response.get_json()["facets"]["topic"]}


def test_german_text_gets_its_concepts_and_free_topics_stay(app):
    case_study = make_case_study(GERMAN_TITLE, body=GERMAN_BODY, language="de",
                                 topics=["Busdepot"])
    assert case_study.concepts == ["fuel-cell-bus", "structural-change"]
    assert case_study.topics == ["Busdepot"]
    assert case_study.all_topics == ["Busdepot", "fuel-cell-bus", "structural-change"]


def test_translations_are_searched_for_concepts_in_their_language(app):
    case_study = make_case_study(
        "Stadtbusse im Depot", body="Ein neues Depot.", language="de",
        translations={"en": {"title": "City buses", "body": "Our district heating network."}})
    assert case_study.concepts == ["district-heating"]


def test_topic_facet_shows_concepts_in_the_ui_language(app, client):
    make_case_study(GERMAN_TITLE, body=GERMAN_BODY, language="de")
    german = topic_facet(client, "de")
    english = topic_facet(client, "en")
    assert german["fuel-cell-bus"] == "Brennstoffzellenbus"
    assert german["structural-change"] == "Strukturwandel"
    assert english["fuel-cell-bus"] == "fuel cell bus"
    assert english["structural-change"] == "structural change"
    # A concept nobody typed into topics filters like any topic.
    hits = client.get("/api/v1/search?topic=structural-change").get_json()["hits"]
    assert [(hit["title"], hit["concepts"]) for hit in hits] == [
        (GERMAN_TITLE, ["fuel-cell-bus", "structural-change"])]


def test_form_shows_found_concepts_as_ticked_checkboxes(app, client, auth):
    auth.login(city="Dortmund")
    html = text_of(client.post("/contribute/new?ui_lang=de", data=form_data(action="preview")))
    assert 'name="concepts" value="fuel-cell-bus" checked' in html
    assert 'name="concepts" value="structural-change" checked' in html
    assert "Brennstoffzellenbus" in html


def create(client) -> CaseStudy:
    response = client.post("/contribute/new", data=form_data())
    assert response.status_code == 302, text_of(response)
    return db.session.scalar(select(CaseStudy).where(CaseStudy.title == GERMAN_TITLE))


def edit(client, case_study: CaseStudy, **overrides):
    html = text_of(client.get(f"/contribute/{case_study.slug}/edit"))
    assert 'value="structural-change"' in html
    data = form_data(base_revision=str(case_study.revision), **overrides)
    return client.post(f"/contribute/{case_study.slug}/edit", data=data)


def test_unticked_concept_stays_removed_and_added_ones_stay(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    assert case_study.concepts == ["fuel-cell-bus", "structural-change"]

    # Untick structural change, add hydrogen by its German label.
    response = edit(client, case_study, concepts=["fuel-cell-bus"],
                    concepts_offered=["fuel-cell-bus", "structural-change"],
                    concepts_add="Wasserstoff")
    assert response.status_code == 302, text_of(response)
    assert case_study.concepts == ["fuel-cell-bus", "hydrogen"]

    # The edit form shows the removed concept unticked; saving it as shown keeps it off.
    html = text_of(client.get(f"/contribute/{case_study.slug}/edit"))
    assert 'name="concepts" value="structural-change">' in html
    assert 'name="concepts" value="hydrogen" checked' in html
    edit(client, case_study, concepts=["fuel-cell-bus", "hydrogen"],
         concepts_offered=["fuel-cell-bus", "hydrogen", "structural-change"])
    assert case_study.concepts == ["fuel-cell-bus", "hydrogen"]
    assert "structural-change" not in topic_facet(client, "en")

    # Ticking it again brings it back.
    edit(client, case_study, concepts=["fuel-cell-bus", "hydrogen", "structural-change"],
         concepts_offered=["fuel-cell-bus", "hydrogen", "structural-change"])
    assert case_study.concepts == ["fuel-cell-bus", "hydrogen", "structural-change"]
    assert case_study.dismissed_concepts == []


def test_unknown_concept_is_a_field_error_that_keeps_the_text(app, client, auth):
    auth.login(city="Dortmund")
    response = client.post("/contribute/new", data=form_data(concepts_add="Quokkawirtschaft"))
    html = text_of(response)
    assert response.status_code == 400
    assert 'id="concepts_add-error"' in html and "Unknown concept: Quokkawirtschaft" in html
    assert 'value="Quokkawirtschaft"' in html and "Ruhrgebiet" in html
    assert db.session.scalar(select(CaseStudy)) is None


def test_import_tags_concepts_and_rejects_unknown_concept_ids(app):
    make_city("Dortmund")
    lines = [
        {"slug": "h2", "city": "Dortmund", "language": "de", "title": GERMAN_TITLE,
         "body": GERMAN_BODY, "concepts": ["hydrogen"], "dismissed_concepts": ["structural-change"]},
        {"slug": "bad", "city": "Dortmund", "title": "Something else", "concepts": ["no-such"]},
    ]
    report = import_lines(io.StringIO("\n".join(json.dumps(line) for line in lines)))
    assert report.created == 1
    assert [(e.line, "concepts" in e.message and "no-such" in e.message)
            for e in report.errors] == [(2, True)]
    imported = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "h2"))
    assert imported.concepts == ["hydrogen", "fuel-cell-bus"]


def test_concepts_detect_fills_case_studies_saved_before_concepts_existed(app, runner, client):
    case_study = make_case_study(GERMAN_TITLE, body=GERMAN_BODY, language="de")
    unrelated = make_case_study("Youth exchange", body="Students meet.", language="en")
    case_study.concepts = []  # as the migration leaves older rows
    db.session.commit()
    revision = case_study.revision

    result = runner.invoke(args=["concepts", "detect"])
    assert result.exit_code == 0, result.output
    assert "concepts found again in 2 case studies; 1 changed" in result.output
    assert case_study.concepts == ["fuel-cell-bus", "structural-change"]
    assert (case_study.revision, case_study.revisions[0].action) == (revision + 1, "concepts")
    assert unrelated.revision == 1
    assert "structural-change" in topic_facet(client, "en")


def test_the_search_document_knows_which_concepts_its_title_or_summary_names(app):
    # A title about hydrogen buses; district heating only in passing, in the body.
    case_study = make_case_study(
        GERMAN_TITLE, language="de",
        body=GERMAN_BODY + " Die Abwärme der Elektrolyse speist das Fernwärmenetz.")
    document = build_document(case_study)
    assert {"fuel-cell-bus", "district-heating"} <= set(document.topics)
    assert "fuel-cell-bus" in document.central_topics
    assert "district-heating" not in document.central_topics
    assert set(document.central_topics) <= set(document.topics)
