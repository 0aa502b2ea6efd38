"""Translation provenance: recorded by API, form and import; shown; stale flag; search filter."""

from __future__ import annotations

import io
import json

import pytest

from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy
from cityexchange.schemas import CaseStudyInputSchema
from cityexchange.services import api_tokens
from cityexchange.services import case_studies as service
from cityexchange.services.importer import import_lines
from tests.factories import make_city, make_user

GERMAN = {"title": "Wasserstoffbusse für die Flotte", "language": "de",
          "summary": "Zwanzig Brennstoffzellenbusse.", "body": "Der Betriebshof tankt nachts."}
HUMAN = {"title": "Hydrogen buses for the fleet", "summary": "Twenty fuel cell buses.",
         "body": "The depot refuels at night.", "translator_kind": "human",
         "translator": "Maria Rossi", "translated_at": "2024-05-02"}


def bearer(role="contributor", city="Dortmund") -> dict:
    user = make_user(role, city=city)
    return {"Authorization": f"Bearer {api_tokens.create_token(user, 'test').secret}"}


def german(translations: dict, **fields):
    data = CaseStudyInputSchema().load({**GERMAN, "translations": translations, **fields})
    return service.create_case_study(data, city=make_city("Dortmund"), publish=True)


def edit(case_study, **changes):
    current = {"title": case_study.title, "summary": case_study.summary,
               "body": case_study.body, "language": case_study.language,
               "translations": {t.language: {"title": t.title, "summary": t.summary,
                                             "body": t.body} for t in case_study.translations}}
    service.update_case_study(case_study, CaseStudyInputSchema().load({**current, **changes}))


def test_the_api_records_and_returns_provenance(client):
    headers = bearer()
    response = client.post("/api/v1/case-studies", headers=headers, json={
        **GERMAN, "translations": {"en": HUMAN, "fr": {
            "title": "Bus à hydrogène", "translator_kind": "machine", "translator": "DeepL"}}})
    assert response.status_code == 201, response.get_json()
    slug = response.get_json()["slug"]

    translations = {t["language"]: t for t in
                    client.get(f"/api/v1/case-studies/{slug}", headers=headers)
                    .get_json()["translations"]}
    assert translations["en"]["translator_kind"] == "human"
    assert translations["en"]["translator"] == "Maria Rossi"
    assert translations["en"]["translated_at"] == "2024-05-02T00:00:00+00:00"
    assert translations["en"]["source_revision"] == 1
    assert translations["en"]["out_of_date"] is False
    assert (translations["fr"]["translator_kind"], translations["fr"]["translator"]) == (
        "machine", "DeepL")
    assert translations["fr"]["translated_at"]  # dated by the save


@pytest.mark.parametrize("translation, field", [
    ({"title": "x", "translator_kind": "machine"}, "translator"),
    ({"title": "x", "translator_kind": "robot", "translator": "x"}, "translator_kind"),
    ({"title": "x", "translated_at": "yesterday"}, "translated_at"),
    ({"title": "x", "source_revision": 0}, "source_revision"),
])
def test_bad_provenance_is_a_400_naming_the_field(client, translation, field):
    response = client.post("/api/v1/case-studies", headers=bearer(),
                           json={**GERMAN, "translations": {"en": translation}})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == "translations" and f"{field}:" in error["message"]


def test_the_page_says_who_translated_and_flags_a_stale_translation(client, app):
    case_study = german({"en": HUMAN, "fr": {"title": "Bus", "translator_kind": "machine",
                                             "translator": "DeepL"}})
    page = client.get(f"/case-studies/{case_study.slug}?lang=en").get_data(as_text=True)
    assert "Translated from German by Maria Rossi on May 2, 2024." in page
    assert "Machine-translated from German with DeepL on" in page
    assert "may be out of date" not in page

    edit(case_study, topics=["hydrogen"])  # not the original's text: still current
    assert "may be out of date" not in client.get(
        f"/case-studies/{case_study.slug}").get_data(as_text=True)

    edit(case_study, body="Der Betriebshof tankt jetzt auch tagsüber.")
    page = client.get(f"/case-studies/{case_study.slug}?lang=en").get_data(as_text=True)
    assert page.count("This translation may be out of date") == 2  # en and fr

    translations = {t.language: t for t in case_study.translations}
    edit(case_study, translations={
        "en": {**HUMAN, "body": "The depot now refuels by day too."},
        "fr": {"title": "Bus", "summary": "", "body": ""}})
    assert translations["en"].source_revision == case_study.revision  # made from this one
    assert translations["fr"].translator == "DeepL"  # left out: kept
    page = client.get(f"/case-studies/{case_study.slug}?lang=en").get_data(as_text=True)
    assert page.count("This translation may be out of date") == 1  # fr only

    german_page = client.get(f"/case-studies/{case_study.slug}?lang=en&ui_lang=de")
    assert "Übersetzt aus dem Original (Deutsch) von Maria Rossi am 2. Mai 2024." in \
        german_page.get_data(as_text=True)


def test_the_form_records_who_translated(client, auth):
    auth.login(role="contributor", city="Dortmund")
    case_study = german({})
    form = {"title": GERMAN["title"], "summary": GERMAN["summary"], "body": GERMAN["body"],
            "language": "de", "action": "save", "translations-0-language": "en",
            "translations-0-title": "Hydrogen buses", "translations-0-summary": "",
            "translations-0-body": "Twenty buses.", "translations-0-translator_kind": "machine",
            "translations-0-translator": ""}
    refused = client.post(f"/contribute/{case_study.slug}/edit", data=form)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "name the machine translation tool" in body and "Twenty buses." in body

    saved = client.post(f"/contribute/{case_study.slug}/edit",
                        data={**form, "translations-0-translator": "DeepL"})
    assert saved.status_code == 302
    db.session.refresh(case_study)
    [translation] = case_study.translations
    assert (translation.translator_kind, translation.translator) == ("machine", "DeepL")
    assert translation.translated_at is not None
    edit_page = client.get(f"/contribute/{case_study.slug}/edit").get_data(as_text=True)
    assert 'value="DeepL"' in edit_page and '<option value="machine" selected>' in edit_page


def test_the_import_format_carries_provenance(app):
    line = {**GERMAN, "slug": "h2-depot", "city": "Dortmund", "country": "DE",
            "translations": {"en": {**HUMAN, "source_revision": 1}}}
    report = import_lines(io.BytesIO(json.dumps(line).encode() + b"\n"), publish=True)
    assert report.errors == [] and report.imported == 1
    case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "h2-depot"))
    [translation] = case_study.translations
    assert (translation.translator, translation.source_revision) == ("Maria Rossi", 1)


def test_search_filters_human_translated_case_studies(engine_client):
    german({"en": HUMAN}, title="Menschlich übersetzt")
    german({"en": HUMAN, "fr": {"title": "Bus", "translator_kind": "machine",
                                "translator": "DeepL"}}, title="Teils maschinell")
    german({}, title="Nicht übersetzt")

    body = engine_client.get("/api/v1/search?translation=human").get_json()
    assert [hit["title"] for hit in body["hits"]] == ["Menschlich übersetzt"]
    everything = engine_client.get("/api/v1/search").get_json()
    assert {o["value"]: o["count"] for o in everything["facets"]["translation"]} == {
        "human": 1, "machine": 1}
    bad = engine_client.get("/api/v1/search?translation=robot")
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "translation"
    page = engine_client.get("/search?translation=human").get_data(as_text=True)
    assert "Translation: by a person" in page


def test_openapi_documents_the_filter_and_the_fields(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert "translation" in parameters
    schemas = json.dumps(spec["components"]["schemas"])
    for name in ("translator_kind", "translator", "translated_at", "source_revision",
                 "out_of_date"):
        assert name in schemas
