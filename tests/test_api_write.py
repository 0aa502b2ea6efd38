"""Write endpoints of the JSON API: the permissions of the pages, the schemas of the pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, Collection
from cityexchange.services import api_tokens
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_city, make_user

NEW = {"title": "Hydrogen depot for city buses", "language": "en", "year": 2024,
       "summary": "How the depot was planned and paid for.",
       "body": "The **depot** refuels forty buses a night.", "topics": ["hydrogen"]}


def token_for(role: str = "contributor", city: str | None = "Dortmund") -> dict:
    user = make_user(role, city=city)
    return {"Authorization": f"Bearer {api_tokens.create_token(user, 'test').secret}"}


def error_of(response) -> dict:
    return response.get_json()["error"]


def count_case_studies() -> int:
    return db.session.scalar(select(func.count(CaseStudy.id)))


def searchable(client, slug: str) -> bool:
    hits = client.get("/api/v1/search").get_json()["hits"]
    return slug in [hit["slug"] for hit in hits]


@pytest.fixture
def dortmund():
    return token_for("contributor", "Dortmund")


@pytest.fixture
def buffalo_draft():
    return make_case_study("Lake Erie shoreline restoration", city="Buffalo", publish=False)


# -- create ---------------------------------------------------------------------------

def test_contributor_creates_a_draft_in_their_city(client, dortmund):
    response = client.post("/api/v1/case-studies", json=NEW, headers=dortmund)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["city"], body["status"], body["revision"]) == ("Dortmund", "draft", 1)
    assert response.headers["Location"] == f"/api/v1/case-studies/{body['slug']}"
    case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == body["slug"]))
    assert case_study.title == NEW["title"] and len(case_study.revisions) == 1
    assert not searchable(client, body["slug"])


def test_contributor_cannot_create_for_another_city(client, dortmund):
    make_city("Buffalo")

    response = client.post("/api/v1/case-studies", json={**NEW, "city": "Buffalo"},
                           headers=dortmund)

    assert response.status_code == 403
    assert "Dortmund" in error_of(response)["message"]
    assert count_case_studies() == 0


def test_anonymous_write_gets_401_json(client):
    response = client.post("/api/v1/case-studies", json=NEW)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["status"] == 401
    assert count_case_studies() == 0


@pytest.mark.parametrize("payload, field", [
    ({**NEW, "title": "H2"}, "title"),
    ({**NEW, "year": 1800}, "year"),
    ({**NEW, "language": "xx"}, "language"),
    ({**NEW, "topics": "not, a, list", "partners": ["Atlantis"]}, "partners"),
    ({**NEW, "translations": {"de": {"summary": "ohne Titel"}}}, "translations"),
    ({**NEW, "end_year": 2020, "start_year": 2022}, "end_year"),
    ({**NEW, "summary": "Escape \x1b[31m red"}, "summary"),
    ({**NEW, "body": "Form\x0cfeed"}, "body"),
])
def test_bad_field_gets_400_naming_it(client, dortmund, payload, field):
    response = client.post("/api/v1/case-studies", json=payload, headers=dortmund)

    assert response.status_code == 400, response.get_json()
    assert error_of(response)["parameter"] == field
    assert count_case_studies() == 0


@pytest.mark.parametrize("payload, field", [
    ({**NEW, "title": "Lone \ud800 surrogate"}, "title"),
    ({**NEW, "topics": ["ok", "nul\x00"]}, "topics"),
    ({**NEW, "translations": {"de": {"title": "Titel \udfff"}}}, "translations"),
])
def test_text_no_database_can_store_gets_400_not_500(client, dortmund, payload, field):
    own = make_case_study("Heat pumps in schools")

    created = client.post("/api/v1/case-studies", json=payload, headers=dortmund)
    patched = client.patch(f"/api/v1/case-studies/{own.slug}", json={field: payload[field]},
                           headers=dortmund)

    assert (created.status_code, error_of(created)["parameter"]) == (400, field)
    assert (patched.status_code, error_of(patched)["parameter"]) == (400, field)
    assert count_case_studies() == 1


def test_a_body_that_is_not_a_json_object_gets_400(client, dortmund):
    as_form = client.post("/api/v1/case-studies", data=NEW, headers=dortmund)
    as_list = client.post("/api/v1/case-studies", json=[NEW], headers=dortmund)

    assert as_form.status_code == as_list.status_code == 400
    assert error_of(as_form)["parameter"] == "body"


def test_a_taken_slug_is_a_409_naming_the_slug(client, dortmund):
    make_case_study("Existing", slug="h2-depot")

    response = client.post("/api/v1/case-studies", json={**NEW, "slug": "h2-depot"},
                           headers=dortmund)

    assert response.status_code == 409
    assert error_of(response)["parameter"] == "slug"


def test_coordinator_names_the_city(client):
    coordinator = token_for("coordinator", city=None)
    make_city("Buffalo")

    missing = client.post("/api/v1/case-studies", json=NEW, headers=coordinator)
    unknown = client.post("/api/v1/case-studies", json={**NEW, "city": "Atlantis"},
                          headers=coordinator)
    created = client.post("/api/v1/case-studies", json={**NEW, "city": "buffalo"},
                          headers=coordinator)

    assert (missing.status_code, error_of(missing)["parameter"]) == (400, "city")
    assert (unknown.status_code, error_of(unknown)["parameter"]) == (400, "city")
    assert created.status_code == 201 and created.get_json()["city"] == "Buffalo"


# -- update ---------------------------------------------------------------------------

def test_put_replaces_and_saves_a_new_revision(client, dortmund):
    own = make_case_study("Heat pumps in schools", publish=True, year=2020, topics=["heat"])

    response = client.put(f"/api/v1/case-studies/{own.slug}", headers=dortmund,
                          json={"title": "Heat pumps in every school", "year": 2023,
                                "expected_revision": own.revision})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["title"], body["year"], body["revision"]) == ("Heat pumps in every school",
                                                               2023, 2)
    assert body["topics"] == []  # left out: emptied, as in the form
    assert searchable(client, own.slug)


def test_patch_changes_only_the_fields_sent(client, dortmund):
    make_city("Pittsburgh")
    own = make_case_study("Heat pumps in schools", year=2020, topics=["heat"],
                          body="Original body.", partners=["Pittsburgh"],
                          translations={"de": {"title": "Wärmepumpen in Schulen"}})

    response = client.patch(f"/api/v1/case-studies/{own.slug}", json={"year": 2025},
                            headers=dortmund)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["year"] == 2025 and body["title"] == "Heat pumps in schools"
    assert (body["body"], body["topics"], body["partners"]) == (
        "Original body.", ["heat"], ["Pittsburgh"])
    assert [t["title"] for t in body["translations"]] == ["Wärmepumpen in Schulen"]


def test_stale_expected_revision_gets_409_and_changes_nothing(client, dortmund):
    own = make_case_study("Heat pumps in schools", year=2020)
    client.patch(f"/api/v1/case-studies/{own.slug}", json={"year": 2021}, headers=dortmund)

    response = client.patch(f"/api/v1/case-studies/{own.slug}", headers=dortmund,
                            json={"year": 2030, "expected_revision": 1})

    assert response.status_code == 409
    assert error_of(response)["parameter"] == "expected_revision"
    assert "revision 2" in error_of(response)["message"]
    db.session.refresh(own)
    assert (own.year, own.revision) == (2021, 2)


def test_contributor_gets_403_on_another_citys_case_study(client, dortmund, buffalo_draft):
    for method in ("put", "patch"):
        response = getattr(client, method)(f"/api/v1/case-studies/{buffalo_draft.slug}",
                                           json={"title": "Taken over"}, headers=dortmund)
        assert response.status_code == 403
        assert "Buffalo" in error_of(response)["message"]
    assert client.delete(f"/api/v1/case-studies/{buffalo_draft.slug}",
                         headers=dortmund).status_code == 403
    assert client.post(f"/api/v1/case-studies/{buffalo_draft.slug}/publish",
                       headers=dortmund).status_code == 403
    db.session.refresh(buffalo_draft)
    assert (buffalo_draft.title, buffalo_draft.status) == ("Lake Erie shoreline restoration",
                                                           "draft")


def test_contributor_cannot_move_a_case_study_to_another_city(client, dortmund):
    own = make_case_study("Heat pumps in schools")
    make_city("Buffalo")

    response = client.patch(f"/api/v1/case-studies/{own.slug}", json={"city": "Buffalo"},
                            headers=dortmund)

    assert response.status_code == 403


def test_coordinator_edits_any_city_and_may_move_it(client, buffalo_draft):
    coordinator = token_for("coordinator", city=None)
    make_city("Dortmund")

    response = client.patch(f"/api/v1/case-studies/{buffalo_draft.slug}", headers=coordinator,
                            json={"summary": "Edited by the network office.",
                                  "city": "Dortmund"})

    assert response.status_code == 200
    assert response.get_json()["city"] == "Dortmund"


@pytest.mark.parametrize("method, suffix", [
    ("put", ""), ("patch", ""), ("delete", ""), ("post", "/publish"), ("post", "/unpublish")])
def test_unknown_slug_gets_404_json(client, dortmund, method, suffix):
    response = getattr(client, method)(f"/api/v1/case-studies/no-such-thing{suffix}",
                                       json={"title": "Whatever it is"}, headers=dortmund)

    assert response.status_code == 404
    assert "no-such-thing" in error_of(response)["message"]


# -- publish, unpublish, delete, drafts ---------------------------------------------------

def test_publish_makes_it_searchable_and_unpublish_removes_it(client, dortmund):
    draft = make_case_study("Heat pumps in schools", publish=False)

    published = client.post(f"/api/v1/case-studies/{draft.slug}/publish", headers=dortmund)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    assert searchable(client, draft.slug)

    unpublished = client.post(f"/api/v1/case-studies/{draft.slug}/unpublish", headers=dortmund)
    assert unpublished.get_json()["status"] == "draft"
    assert not searchable(client, draft.slug)


def test_delete_removes_it_from_the_api_and_search(client, dortmund):
    own = make_case_study("Heat pumps in schools")
    assert searchable(client, own.slug)
    slug = own.slug

    response = client.delete(f"/api/v1/case-studies/{slug}", headers=dortmund)

    assert response.status_code == 204 and response.data == b""
    assert client.get(f"/api/v1/case-studies/{slug}").status_code == 404
    assert not searchable(client, slug)


def test_a_draft_is_readable_with_an_editors_token_only(client, dortmund, buffalo_draft):
    own = make_case_study("Heat pumps in schools", publish=False)
    url = f"/api/v1/case-studies/{own.slug}"

    assert client.get(url).status_code == 404
    assert client.get(url, headers=dortmund).get_json()["status"] == "draft"
    assert client.get(f"/api/v1/case-studies/{buffalo_draft.slug}",
                      headers=dortmund).status_code == 404
    wrong = {"Authorization": "Bearer cx_wrong"}
    assert client.get(url, headers=wrong).status_code == 401
    published = make_case_study("Published heat pumps")
    assert client.get(f"/api/v1/case-studies/{published.slug}", headers=wrong).status_code == 401


# -- collections ----------------------------------------------------------------------------

def test_contributors_do_not_curate(client, dortmund):
    response = client.post("/api/v1/collections", json={"title": "Hydrogen"}, headers=dortmund)

    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Collection.id))) == 0


def test_coordinator_creates_and_publishes_a_collection(client):
    coordinator = token_for("coordinator", city=None)

    created = client.post("/api/v1/collections", headers=coordinator,
                          json={"title": "Hydrogen in public transport",
                                "introduction": "What cities *learned*."})
    assert created.status_code == 201, created.get_json()
    slug = created.get_json()["slug"]
    assert client.get(f"/api/v1/collections/{slug}").status_code == 404  # a draft
    assert client.get(f"/api/v1/collections/{slug}", headers=coordinator).status_code == 200
    assert client.get("/api/v1/collections").get_json()["total"] == 0

    saved = client.put(f"/api/v1/collections/{slug}", headers=coordinator,
                       json={"title": "Hydrogen in public transport", "status": "published",
                             "introduction": "What cities *learned*."})

    assert saved.status_code == 200
    listing = client.get("/api/v1/collections").get_json()
    assert (listing["total"], listing["page"], listing["per_page"]) == (1, 1, 20)
    assert listing["items"][0]["slug"] == slug
    detail = client.get(f"/api/v1/collections/{slug}").get_json()
    assert "<em>learned</em>" in detail["introduction_html"]


def test_collection_errors_name_the_field(client):
    coordinator = token_for("coordinator", city=None)

    bad = client.post("/api/v1/collections", json={"title": ""}, headers=coordinator)
    bad_search = client.post("/api/v1/collections", headers=coordinator,
                             json={"title": "Hydrogen", "saved_search": "nonsense=1"})
    missing = client.put("/api/v1/collections/nope", json={"title": "Hydrogen"},
                         headers=coordinator)

    assert (bad.status_code, error_of(bad)["parameter"]) == (400, "title")
    assert error_of(bad_search)["parameter"] == "saved_search"
    assert missing.status_code == 404


# -- CSRF -----------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


def logged_in_client(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    return client


def test_a_session_cookie_post_needs_the_csrf_token(csrf_app):
    user = make_user("contributor", city="Dortmund")
    client = logged_in_client(csrf_app, user)

    forged = client.post("/api/v1/case-studies", json=NEW)

    assert forged.status_code == 400
    assert "CSRF" in error_of(forged)["message"]
    assert count_case_studies() == 0
    page = client.get("/account/tokens").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    with_token = client.post("/api/v1/case-studies", json=NEW,
                             headers={"X-CSRFToken": csrf_token})
    assert with_token.status_code == 201


def test_a_bearer_token_post_needs_no_csrf_token(csrf_app):
    client = csrf_app.test_client()

    response = client.post("/api/v1/case-studies", json=NEW, headers=token_for())

    assert response.status_code == 201, response.get_json()
    assert count_case_studies() == 1
