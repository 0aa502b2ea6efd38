"""The contributor workflow through the test client: write, preview, save, publish, unpublish."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, Revision
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_city, make_user

BODY = "# Depot\n\nThe **quokkadepot** refuels forty buses a night.\n\n<script>alert(1)</script>"


def form_data(**overrides) -> dict:
    data = {
        "title": "Hydrogen depot for city buses",
        "summary": "How the depot was planned and paid for.",
        "body": BODY,
        "language": "en",
        "year": "2024",
        "topics": "hydrogen, public transport",
        "partners": "",
        "translations-0-language": "",
        "translations-0-title": "",
        "translations-0-summary": "",
        "translations-0-body": "",
        "action": "save",
    }
    data.update(overrides)
    return data


def count_case_studies() -> int:
    return db.session.scalar(select(func.count(CaseStudy.id)))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def search_slugs(client, word: str) -> list[str]:
    response = client.get(f"/api/v1/search?q={word}")
    assert response.status_code == 200
    return [hit["slug"] for hit in response.get_json()["hits"]]


def create(client, **overrides) -> CaseStudy:
    response = client.post("/contribute/new", data=form_data(**overrides))
    assert response.status_code == 302, text_of(response)
    slug = response.headers["Location"].split("/")[2]
    return db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))


def set_status(client, slug: str, status: str, **extra):
    return client.post(f"/contribute/{slug}/status", data={"status": status, **extra},
                       follow_redirects=True)


# -- anonymous users ---------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("get", "/contribute/"), ("get", "/contribute/new"), ("post", "/contribute/new"),
    ("get", "/contribute/some-slug/edit"), ("post", "/contribute/some-slug/status"),
    ("get", "/contribute/some-slug/history"),
])
def test_anonymous_user_is_sent_to_login(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_draft_is_never_on_public_pages(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    assert case_study.status == "draft"
    auth.logout()
    assert client.get(f"/case-studies/{case_study.slug}").status_code == 404
    assert client.get(f"/api/v1/case-studies/{case_study.slug}").status_code == 404
    assert case_study.title not in text_of(client.get("/cities/dortmund"))
    assert search_slugs(client, "quokkadepot") == []


# -- create, preview, edit ---------------------------------------------------------------

def test_create_saves_a_draft_with_its_first_revision(app, client, auth):
    user = auth.login(city="Dortmund")
    make_city("Buffalo")
    response = client.post("/contribute/new", data=form_data(
        partners="Buffalo", **{"translations-0-language": "de",
                               "translations-0-title": "Wasserstoffdepot für Stadtbusse",
                               "translations-0-body": "Das Depot betankt Busse."}),
        follow_redirects=True)
    assert response.status_code == 200
    assert "Saved draft “Hydrogen depot for city buses” (revision 1)" in text_of(response)
    case_study = db.session.scalar(select(CaseStudy))
    assert (case_study.city.name, case_study.status, case_study.revision) == (
        "Dortmund", "draft", 1)
    assert case_study.topics == ["hydrogen", "public transport"]
    assert [c.name for c in case_study.partners] == ["Buffalo"]
    assert case_study.translation("de").title == "Wasserstoffdepot für Stadtbusse"
    assert case_study.revisions[0].author_id == user.id


def test_preview_renders_sanitised_markdown_and_saves_nothing(app, client, auth):
    auth.login(city="Dortmund")
    response = client.post("/contribute/new", data=form_data(action="preview"))
    html = text_of(response)
    assert response.status_code == 200
    preview = html.split('id="preview"')[1].split("</section>")[0]
    assert "<h1>Depot</h1>" in preview and "<strong>quokkadepot</strong>" in preview
    assert "<script>" not in html
    # The form is still filled with what was typed, raw Markdown included.
    assert "# Depot" in html and 'value="Hydrogen depot for city buses"' in html
    assert count_case_studies() == 0


def test_edit_saves_a_new_revision_and_history_shows_the_change(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    response = client.post(f"/contribute/{case_study.slug}/edit", data=form_data(
        body="# Depot\n\nNow sixty buses a night.", base_revision="1"), follow_redirects=True)
    assert "Saved revision 2." in text_of(response)
    assert case_study.revision == 2 and "sixty" in case_study.body

    history = text_of(client.get(f"/contribute/{case_study.slug}/history?revision=1"))
    assert history.count("<tr") == 3  # header + two revisions
    assert "-The **quokkadepot** refuels forty buses a night." in history
    assert "+Now sixty buses a night." in history


def test_history_refuses_a_revision_that_does_not_exist(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    assert client.get(f"/contribute/{case_study.slug}/history?revision=9").status_code == 404
    response = client.get(f"/contribute/{case_study.slug}/history?revision=abc")
    assert response.status_code == 400 and "revision" in text_of(response)


def test_add_translation_button_adds_a_block_and_keeps_the_text(app, client, auth):
    auth.login(city="Dortmund")
    response = client.post("/contribute/new", data=form_data(action="add_translation", **{
        "translations-0-language": "de", "translations-0-title": "Wasserstoffdepot"}))
    html = text_of(response)
    assert response.status_code == 200
    assert 'name="translations-1-title"' in html
    assert 'value="Wasserstoffdepot"' in html and "# Depot" in html
    assert count_case_studies() == 0


def test_emptied_translation_is_removed_on_save(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client, **{"translations-0-language": "de",
                                   "translations-0-title": "Wasserstoffdepot"})
    assert case_study.languages == ["en", "de"]
    client.post(f"/contribute/{case_study.slug}/edit",
                data=form_data(**{"translations-0-language": "de"}))
    assert case_study.languages == ["en"]


def test_save_refuses_to_overwrite_a_newer_revision(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    client.post(f"/contribute/{case_study.slug}/edit", data=form_data(title="Second version",
                                                                      base_revision="1"))
    response = client.post(f"/contribute/{case_study.slug}/edit",
                           data=form_data(title="Stale edit", base_revision="1"))
    assert response.status_code == 409
    assert "Someone saved revision 2" in text_of(response)
    assert 'value="Stale edit"' in text_of(response)
    assert case_study.title == "Second version"


# -- form errors -------------------------------------------------------------------------

def test_form_errors_keep_every_typed_value_and_name_the_field(app, client, auth):
    auth.login(city="Dortmund")
    make_city("Buffalo")
    response = client.post("/contribute/new", data=form_data(
        title="Hy", year="twenty", partners="Buffalo, Atlantis", topics="hydrogen, buses"))
    html = text_of(response)
    assert response.status_code == 400
    assert re.search(r'id="title-error">Length must be between 3 and 300', html)
    assert re.search(r'id="year-error">Not a valid integer', html)
    assert re.search(r'id="partners-error">Unknown city: Atlantis\.', html)
    for typed in ('value="Hy"', 'value="twenty"', 'value="Buffalo, Atlantis"',
                  'value="hydrogen, buses"', "# Depot", "forty buses a night"):
        assert typed in html
    assert count_case_studies() == 0


def test_translation_errors_are_shown_at_the_translation(app, client, auth):
    auth.login(city="Dortmund")
    response = client.post("/contribute/new", data=form_data(**{
        "translations-0-body": "Ein Text ohne Sprache und Titel."}))
    html = text_of(response)
    assert response.status_code == 400
    assert 'id="translations-0-language-error">Choose the language of this translation' in html
    assert "Ein Text ohne Sprache und Titel." in html


def test_translation_in_the_original_language_is_refused(app, client, auth):
    auth.login(city="Dortmund")
    response = client.post("/contribute/new", data=form_data(**{
        "translations-0-language": "en", "translations-0-title": "Same language"}))
    assert response.status_code == 400
    assert "duplicates the original language" in text_of(response)


# -- status: submit, publish, unpublish --------------------------------------------------

def test_publish_makes_it_searchable_and_unpublish_removes_it(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    assert search_slugs(client, "quokkadepot") == []

    response = set_status(client, case_study.slug, "published")
    assert "Published — it is now searchable (revision 2)." in text_of(response)
    assert search_slugs(client, "quokkadepot") == [case_study.slug]
    assert client.get(f"/case-studies/{case_study.slug}").status_code == 200

    response = set_status(client, case_study.slug, "draft", return_to="dashboard")
    assert "Unpublished" in text_of(response) and "My case studies" in text_of(response)
    assert search_slugs(client, "quokkadepot") == []
    assert client.get(f"/case-studies/{case_study.slug}").status_code == 404
    actions = db.session.scalars(select(Revision.action).order_by(Revision.number)).all()
    assert actions == ["create", "published", "draft"]


def test_editing_a_published_case_study_updates_search(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    set_status(client, case_study.slug, "published")
    client.post(f"/contribute/{case_study.slug}/edit",
                data=form_data(body="The wallabyhall stores the buses."))
    assert search_slugs(client, "wallabyhall") == [case_study.slug]
    assert search_slugs(client, "quokkadepot") == []


def test_submit_for_review_keeps_it_off_public_pages(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    response = set_status(client, case_study.slug, "submitted")
    assert "Submitted for review (revision 2)." in text_of(response)
    assert case_study.status == "submitted"
    assert client.get(f"/case-studies/{case_study.slug}").status_code == 404


def test_unknown_status_is_refused(app, client, auth):
    auth.login(city="Dortmund")
    case_study = create(client)
    assert set_status(client, case_study.slug, "archived").status_code == 400
    assert case_study.status == "draft"


# -- permissions -------------------------------------------------------------------------

@pytest.fixture
def buffalo_case_study(app):
    return make_case_study("Buffalo grain silos as climbing halls", city="Buffalo",
                           publish=False, body="Silo reuse.", language="en")


def test_contributor_sees_a_clear_403_on_another_citys_case_study(app, client, auth,
                                                                   buffalo_case_study):
    auth.login(city="Dortmund")
    slug = buffalo_case_study.slug
    for response in (client.get(f"/contribute/{slug}/edit"),
                     client.post(f"/contribute/{slug}/edit", data=form_data(title="Taken over")),
                     client.post(f"/contribute/{slug}/status", data={"status": "published"}),
                     client.get(f"/contribute/{slug}/history")):
        assert response.status_code == 403
        assert "This case study belongs to Buffalo" in text_of(response)
        assert "Traceback" not in text_of(response)
    db.session.refresh(buffalo_case_study)
    assert buffalo_case_study.title == "Buffalo grain silos as climbing halls"
    assert (buffalo_case_study.status, buffalo_case_study.revision) == ("draft", 1)


def test_dashboard_lists_only_the_own_citys_case_studies(app, client, auth, buffalo_case_study):
    make_case_study("Dortmund Phoenix lake", city="Dortmund", publish=False)
    auth.login(city="Dortmund")
    html = text_of(client.get("/contribute/"))
    assert "Dortmund Phoenix lake" in html
    assert "Buffalo grain silos" not in html


def test_contributor_cannot_move_a_case_study_to_another_city(app, client, auth):
    auth.login(city="Dortmund")
    buffalo = make_city("Buffalo")
    case_study = create(client, city=str(buffalo.id))
    assert case_study.city.name == "Dortmund"


def test_coordinator_chooses_the_city_and_edits_any_city(app, client, auth, buffalo_case_study):
    auth.login(role="coordinator", city=None)
    html = text_of(client.get("/contribute/"))
    assert "Buffalo grain silos" in html
    response = client.post("/contribute/new", data=form_data())
    assert response.status_code == 400
    assert 'id="city-error">Choose the city' in text_of(response)

    pittsburgh = make_city("Pittsburgh")
    case_study = create(client, city=str(pittsburgh.id))
    assert case_study.city.name == "Pittsburgh"
    response = set_status(client, buffalo_case_study.slug, "published")
    assert "Published" in text_of(response)


def test_case_study_page_links_to_edit_only_for_those_allowed(app, client, auth):
    case_study = make_case_study("Buffalo waterfront", city="Buffalo", language="en")
    auth.login(city="Dortmund")
    assert f"/contribute/{case_study.slug}/edit" not in text_of(
        client.get(f"/case-studies/{case_study.slug}"))
    auth.logout()
    auth.login(city="Buffalo")
    html = text_of(client.get(f"/case-studies/{case_study.slug}"))
    assert f"/contribute/{case_study.slug}/edit" in html
    assert f"/contribute/{case_study.slug}/history" in html


def test_missing_case_study_is_a_404_page(app, client, auth):
    auth.login(city="Dortmund")
    response = client.get("/contribute/no-such-thing/edit")
    assert response.status_code == 404 and "no-such-thing" in text_of(response)


# -- CSRF --------------------------------------------------------------------------------

def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def csrf_app(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


def test_post_without_csrf_token_is_rejected_and_saves_nothing(csrf_app):
    client = csrf_app.test_client()
    make_user(email="c@example.org", city="Dortmund")
    token = csrf_token(text_of(client.get("/login")))
    response = client.post("/login", data={"email": "c@example.org", "csrf_token": token,
                                           "password": "correct horse battery"})
    assert response.status_code == 302

    response = client.post("/contribute/new", data=form_data(title="Typed for an hour"))
    assert response.status_code == 400
    assert "security token (CSRF) expired or was missing, so nothing was saved" in text_of(response)
    assert 'value="Typed for an hour"' in text_of(response)
    assert count_case_studies() == 0

    token = csrf_token(text_of(client.get("/contribute/new")))
    assert client.post("/contribute/new", data=form_data(csrf_token=token)).status_code == 302
    assert count_case_studies() == 1
    assert db.session.scalar(select(City.name).join(CaseStudy)) == "Dortmund"

    slug = db.session.scalar(select(CaseStudy.slug))
    response = client.post(f"/contribute/{slug}/status", data={"status": "published"})
    assert response.status_code == 400
    token = csrf_token(text_of(client.get(f"/contribute/{slug}/edit")))
    response = client.post(f"/contribute/{slug}/status",
                           data={"status": "published", "csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(select(CaseStudy.status)) == "published"


def test_csrf_failure_on_someone_elses_case_study_shows_nothing_of_it(csrf_app):
    client = csrf_app.test_client()
    case_study = make_case_study("Buffalo grain silos", city="Buffalo", publish=False)
    make_user(email="c@example.org", city="Dortmund")
    token = csrf_token(text_of(client.get("/login")))
    client.post("/login", data={"email": "c@example.org", "csrf_token": token,
                                "password": "correct horse battery"})
    response = client.post(f"/contribute/{case_study.slug}/edit", data=form_data())
    assert response.status_code == 400
    assert 'name="title"' not in text_of(response)
    anonymous = csrf_app.test_client()
    assert anonymous.post("/contribute/new", data=form_data()).status_code == 400
    assert count_case_studies() == 1


def test_a_control_character_is_refused_naming_the_field_and_the_text_is_kept(app, client,
                                                                             auth):
    auth.login(city="Dortmund")
    response = client.post("/contribute/new", data=form_data(
        title="Depot\x00 plan", body="Line one\r\n\tindented line two"))

    assert response.status_code == 400
    html = text_of(response)
    assert re.search(r'id="title-error">[^<]*control character U\+0000', html)
    assert "body-error" not in html  # tab and CR LF are fine
    assert db.session.scalar(select(CaseStudy)) is None
