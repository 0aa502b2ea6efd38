"""Saved searches: save from the search page, list, rename, delete, "new since your last visit"."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from cityexchange.extensions import db
from cityexchange.models import SavedSearch
from cityexchange.services import saved_searches
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_user


def text(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    return text(response).split("<main>", 1)[1].split("</main>", 1)[0]


def save(client, name: str, query: str):
    return client.post("/account/searches", data={"name": name, "query": query})


def saved_named(name: str) -> SavedSearch:
    db.session.expire_all()
    return db.session.scalar(select(SavedSearch).where(SavedSearch.name == name))


def new_count(client, saved: SavedSearch) -> str:
    row = main(client.get("/account/searches")).split(f'data-saved-search="{saved.id}"')[1]
    return re.search(r'class="(?:badge )?new-count"[^>]*>([^<]+)<', row).group(1)


def nav_badge(response) -> str | None:
    found = re.search(r'class="saved-searches-nav">[^<]*<span class="badge new-count"[^>]*>'
                      r'([^<]+)</span>', text(response))
    return found.group(1) if found else None


@pytest.fixture
def hydrogen(app):
    return make_case_study("Hydrogen bus depot", language="en", topics=["hydrogen"])


@pytest.fixture
def user(auth):
    return auth.login("contributor", city="Dortmund")


# -- saving -----------------------------------------------------------------------------------

def test_visitors_are_asked_to_log_in(client, hydrogen):
    assert client.get("/account/searches").headers["Location"].startswith("/login")
    assert save(client, "Hydrogen", "q=hydrogen").status_code == 302
    assert saved_named("Hydrogen") is None
    assert "Log in to save this search" in main(client.get("/search?q=hydrogen"))


def test_save_the_search_shown_on_the_search_page(client, user, hydrogen):
    page = main(client.get("/search?q=hydrogen&city=Dortmund&page=1&per_page=10"))
    form = page.split('class="inline save-search"', 1)[1].split("</form>", 1)[0]
    query = html.unescape(re.search(r'name="query" value="([^"]*)"', form).group(1))
    name = html.unescape(re.search(r'name="name" value="([^"]*)"', form).group(1))

    response = save(client, name, query)

    assert response.status_code == 302 and response.headers["Location"] == "/account/searches"
    saved = saved_named("hydrogen")
    assert saved.query == "q=hydrogen&city=Dortmund"  # page and per_page are not kept
    listing = main(client.get("/account/searches"))
    assert "hydrogen" in listing and "City: Dortmund" in listing
    assert new_count(client, saved) == "0"


def test_a_bad_search_is_refused_naming_the_parameter_and_keeping_the_name(client, user):
    response = save(client, "Recent hydrogen", "q=hydrogen&year=last")

    assert response.status_code == 400
    page = main(response)
    assert "year: use a year such as 2024" in page
    assert 'value="Recent hydrogen"' in page
    assert saved_named("Recent hydrogen") is None


def test_a_name_is_required_and_unique_per_user(client, user, auth):
    assert "Give a name" in main(save(client, "  ", "q=hydrogen"))
    assert save(client, "Hydrogen", "q=hydrogen").status_code == 302

    twice = save(client, "Hydrogen", "q=buses")

    assert twice.status_code == 400 and "named “Hydrogen” already" in main(twice)
    # Another user may use the same name.
    auth.logout()
    auth.login("coordinator", city=None)
    assert save(client, "Hydrogen", "q=hydrogen").status_code == 302


# -- new since the last visit -------------------------------------------------------------------

def test_counts_case_studies_published_since_the_search_was_last_opened(client, user, hydrogen):
    save(client, "Hydrogen", "q=hydrogen")
    saved = saved_named("Hydrogen")
    make_case_study("Hydrogen ferry", city="Buffalo", language="en")
    make_case_study("Hydrogen trains plan", city="Lyon", language="en", publish=False)
    make_case_study("Youth orchestra exchange", city="Buffalo", language="en")

    assert new_count(client, saved) == "1"  # not the draft, not the orchestra, not the old one
    assert nav_badge(client.get("/account/searches")) == "1"

    opened = client.get(f"/account/searches/{saved.id}")

    assert opened.status_code == 302 and opened.headers["Location"] == "/search?q=hydrogen"
    assert new_count(client, saved) == "0"
    assert nav_badge(client.get("/account/searches")) is None


def test_the_nav_badge_follows_new_case_studies(app, client, user, hydrogen):
    app.config["SAVED_SEARCH_BADGE_SECONDS"] = 0  # no caching: each page counts afresh
    save(client, "Hydrogen", "q=hydrogen")
    assert nav_badge(client.get("/")) is None

    make_case_study("Hydrogen ferry", city="Buffalo", language="en")
    make_case_study("Hydrogen valley", city="Turin", language="en")

    assert nav_badge(client.get("/")) == "2"


def test_the_nav_badge_is_kept_for_a_while(client, user, hydrogen):
    save(client, "Hydrogen", "q=hydrogen")
    assert nav_badge(client.get("/")) is None

    make_case_study("Hydrogen ferry", city="Buffalo", language="en")

    assert nav_badge(client.get("/")) is None  # counted minutes ago: kept in the session
    assert nav_badge(client.get("/account/searches")) == "1"  # the list counts afresh
    assert nav_badge(client.get("/")) == "1"


def test_many_new_case_studies_show_as_a_lower_bound(client, user, monkeypatch):
    monkeypatch.setattr(saved_searches, "NEW_COUNT_WINDOW", 2)
    save(client, "Everything", "")
    for title in ("Hydrogen ferry", "Hydrogen valley", "Heat pumps"):
        make_case_study(title, city="Buffalo", language="en")

    assert new_count(client, saved_named("Everything")) == "2+"


def test_counts_look_further_when_the_first_look_is_all_new(client, user, hydrogen,
                                                           monkeypatch):
    monkeypatch.setattr(saved_searches, "FIRST_LOOK", 2)
    save(client, "Everything", "")
    for title in ("Hydrogen ferry", "Hydrogen valley", "Heat pumps"):
        make_case_study(title, city="Buffalo", language="en")

    assert new_count(client, saved_named("Everything")) == "3"  # not "2", not the old one


def test_counts_wait_while_search_is_down(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file: the index directory cannot be created under it")
    app = build_app(make_config(tmp_path, EMBEDDED_INDEX_PATH=str(blocker / "index")))
    with app.app_context():
        user = make_user("contributor", city="Dortmund")
        db.session.add(SavedSearch(user_id=user.id, name="Hydrogen", query="q=hydrogen"))
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": "correct horse battery"})

        response = client.get("/account/searches")

        assert response.status_code == 200
        assert "cannot count now" in main(response)
        assert client.get("/").status_code == 200
        db.session.remove()


# -- rename, delete, only one's own --------------------------------------------------------------

def test_rename_and_delete(client, user):
    save(client, "Hydrogen", "q=hydrogen")
    saved = saved_named("Hydrogen")

    renamed = client.post(f"/account/searches/{saved.id}/rename", data={"name": "H2 buses"})
    assert renamed.status_code == 302 and saved_named("H2 buses") is not None
    empty = client.post(f"/account/searches/{saved.id}/rename", data={"name": ""})
    assert empty.status_code == 400 and "Give a name" in main(empty)
    assert saved_named("H2 buses") is not None

    deleted = client.post(f"/account/searches/{saved.id}/delete")
    assert deleted.status_code == 302 and saved_named("H2 buses") is None


def test_another_users_saved_search_is_not_found(client, user, auth):
    save(client, "Hydrogen", "q=hydrogen")
    saved = saved_named("Hydrogen")
    auth.logout()
    auth.login("admin", city=None)

    assert client.get(f"/account/searches/{saved.id}").status_code == 404
    assert client.post(f"/account/searches/{saved.id}/rename",
                       data={"name": "Mine"}).status_code == 404
    assert client.post(f"/account/searches/{saved.id}/delete").status_code == 404
    assert "Hydrogen" not in main(client.get("/account/searches"))
    assert saved_named("Hydrogen") is not None


def test_forms_need_the_csrf_token(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        user = make_user("contributor", city="Dortmund")
        client = app.test_client()
        login_page = text(client.get("/login"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
        client.post("/login", data={"email": user.email, "password": "correct horse battery",
                                    "csrf_token": token})

        forged = save(client, "Hydrogen", "q=hydrogen")

        assert forged.status_code == 400 and saved_named("Hydrogen") is None
        page = text(client.get("/account/searches"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        accepted = client.post("/account/searches", data={
            "name": "Hydrogen", "query": "q=hydrogen", "csrf_token": token})
        assert accepted.status_code == 302 and saved_named("Hydrogen") is not None
        db.session.remove()
