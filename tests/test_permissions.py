"""Every cell of docs/permissions.md, walked against the real pages and API routes.

The tables are read from the document, so the document and the behaviour cannot
drift apart. A "yes" cell must succeed and make its change; any other cell must
answer its status and change nothing.

One app and one logged-in client per role serve the whole module (an Argon2
login costs ~0.2 s). Requests run outside any app context, so Flask's `g` (which
holds the logged-in user) is never shared between clients.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from cityexchange.errors import Forbidden
from cityexchange.extensions import db
from cityexchange.models import CaseStudy, City, CityMessage, Collection, SavedSearch, User
from cityexchange.schemas import CaseStudyInputSchema, ContactInputSchema
from cityexchange.services import case_studies
from cityexchange.services import collections as collections_service
from cityexchange.services import alerts as alerts_service
from cityexchange.services import messages as messages_service
from cityexchange.services import saved_searches as saved_searches_service
from cityexchange.services.collections import CollectionInputSchema
from cityexchange.services.network import save_contact
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_city, make_user

ROOT = Path(__file__).resolve().parents[1]  # the repository

DOC = ROOT / "docs" / "permissions.md"
ROLES = ("anonymous", "contributor of city A", "contributor of city B", "coordinator", "admin")
ACTIONS = ("view", "create", "edit", "publish", "delete")
CONTACT = "contact person of city A"
# heading: (resource, the table's action columns, its role rows)
SECTIONS = {
    "Case studies of city A": ("case study", ACTIONS, ROLES),
    "Collections": ("collection", ACTIONS, ROLES),
    "User accounts": ("user", ACTIONS, ROLES),
    "Questions to city A": ("question", ("ask", "read", "volume"),
                            (*ROLES[:3], CONTACT, *ROLES[3:])),
    "E-mail alerts": ("alert", ("own alert", "another's alert", "unsubscribe"), ROLES),
}
OK, LOGIN = "yes", "log in"
PASSWORD = "correct horse battery"
CITY_A, CITY_B = "Dortmund", "Buffalo"
CONTACT_EMAIL = "anna.becker@dortmund.example"
_unique = itertools.count(1)


def read_tables() -> list[tuple[str, str, str, object]]:
    """(resource, action, role, expected) for every cell of the document's tables."""
    cells = []
    for heading, body in re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", DOC.read_text("utf-8"),
                                    re.M | re.S):
        if heading not in SECTIONS:
            continue
        rows = [line.strip("|").split("|") for line in body.splitlines() if line.startswith("|")]
        resource, actions, roles = SECTIONS[heading]
        header, table = [c.strip() for c in rows[0]], rows[2:]
        assert header == ["role", *actions], header
        assert [row[0].strip() for row in table] == list(roles), heading
        for row in table:
            for action, cell in zip(actions, row[1:]):
                cells.append((resource, action, row[0].strip(), _expected(cell)))
    assert len(cells) == sum(len(actions) * len(roles) for _, actions, roles in SECTIONS.values())
    return cells


def _expected(cell: str):
    cell = cell.strip()
    if cell == OK:
        return OK
    if cell == "log in (302)":
        return LOGIN
    return int(re.fullmatch(r"no \((\d{3})\)", cell).group(1))


# -- the world: one app, a client per role ---------------------------------------------------

@dataclass
class World:
    app: object
    clients: dict
    city_a_id: int
    target_user_id: int
    contact_id: int
    asker_id: int
    emails: dict

    def context(self):
        return self.app.app_context()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = build_app(make_config(tmp_path_factory.mktemp("permissions"), MESSAGES_PER_DAY=1000))
    accounts = {"contributor of city A": ("contributor", CITY_A),
                "contributor of city B": ("contributor", CITY_B),
                "coordinator": ("coordinator", None), "admin": ("admin", None)}
    with app.app_context():
        emails = {role: make_user(kind, city=city, password=PASSWORD).email
                  for role, (kind, city) in accounts.items()}
        target = make_user("contributor", city=CITY_A, email="target@example.org").id
        city_a = make_city(CITY_A)
        # The contact person reads their inbox with the account of the same e-mail.
        contact = save_contact(city_a, ContactInputSchema().load({
            "name": "Anna Becker", "email": CONTACT_EMAIL, "consent": True,
            "consent_date": "2024-03-12"}))
        emails[CONTACT] = make_user("contributor", city=CITY_A, email=CONTACT_EMAIL.upper(),
                                    password=PASSWORD).email
        asker = make_user("contributor", city=CITY_B, email="asker@example.org").id
        db.session.commit()
        city_a, contact = city_a.id, contact.id
        db.session.remove()
    clients = {"anonymous": app.test_client()}
    for role, email in emails.items():
        clients[role] = app.test_client()
        response = clients[role].post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.data
    yield World(app, clients, city_a, target, contact, asker, emails)
    app.extensions["search_engine"].close()


def _slug(prefix: str) -> str:
    return f"{prefix} {next(_unique)}"


# -- case studies of city A --------------------------------------------------------------------

def _case_study(world: World, *, publish: bool) -> tuple[str, str]:
    with world.context():
        case_study = make_case_study(_slug("Depot plan"), city=CITY_A, language="en",
                                     publish=publish)
        return case_study.slug, case_study.title


def _case_study_row(world: World, slug: str) -> CaseStudy | None:
    with world.context():
        found = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
        if found is not None:
            db.session.expunge(found)
        return found


def view_case_study(world: World, client):
    published, _ = _case_study(world, publish=True)
    assert client.get(f"/case-studies/{published}").status_code == 200  # public for all
    slug, title = _case_study(world, publish=False)
    response = client.get(f"/contribute/{slug}/edit")
    return response, response.status_code == 200 and title in response.get_data(as_text=True)


def create_case_study(world: World, client):
    title = _slug("New depot")
    response = client.post("/api/v1/case-studies", json={"title": title, "city": CITY_A,
                                                         "language": "en"})
    with world.context():
        created = db.session.scalar(select(CaseStudy).join(City).where(
            CaseStudy.title == title, City.name == CITY_A))
        return response, created is not None


def edit_case_study(world: World, client):
    slug, _ = _case_study(world, publish=True)
    response = client.post(f"/contribute/{slug}/edit", data={
        "title": "Edited depot plan", "language": "en", "city": str(world.city_a_id),
        "action": "save"})
    return response, _case_study_row(world, slug).title == "Edited depot plan"


def publish_case_study(world: World, client):
    slug, _ = _case_study(world, publish=False)
    response = client.post(f"/contribute/{slug}/status", data={"status": "published"})
    return response, _case_study_row(world, slug).status == "published"


def delete_case_study(world: World, client):
    slug, _ = _case_study(world, publish=True)
    response = client.delete(f"/api/v1/case-studies/{slug}")
    return response, _case_study_row(world, slug) is None


# -- collections --------------------------------------------------------------------------------

def _collection(world: World, status: str = "draft") -> tuple[str, str]:
    with world.context():
        collection = collections_service.create_collection(
            CollectionInputSchema().load({"title": _slug("Hydrogen set"), "status": status}))
        return collection.slug, collection.title


def _collection_row(world: World, slug: str) -> Collection | None:
    with world.context():
        found = collections_service.get_collection(slug)
        if found is not None:
            db.session.expunge(found)
        return found


def view_collection(world: World, client):
    published, _ = _collection(world, "published")
    assert client.get(f"/collections/{published}").status_code == 200  # public for all
    slug, title = _collection(world)
    response = client.get(f"/collections/{slug}")
    return response, response.status_code == 200 and title in response.get_data(as_text=True)


def create_collection(world: World, client):
    title = _slug("Coal phase-out stories")
    response = client.post("/curate/collections/new", data={"title": title, "status": "draft"})
    with world.context():
        return response, db.session.scalar(
            select(Collection).where(Collection.title == title)) is not None


def edit_collection(world: World, client):
    slug, _ = _collection(world)
    response = client.post(f"/curate/collections/{slug}",
                           data={"title": "Renamed set", "status": "draft"})
    return response, _collection_row(world, slug).title == "Renamed set"


def publish_collection(world: World, client):
    slug, title = _collection(world)
    response = client.post(f"/curate/collections/{slug}",
                           data={"title": title, "status": "published"})
    return response, _collection_row(world, slug).status == "published"


def delete_collection(world: World, client):
    slug, _ = _collection(world)
    response = client.post(f"/curate/collections/{slug}/delete")
    return response, _collection_row(world, slug) is None


# -- user accounts ---------------------------------------------------------------------------

def _target(world: World, *, active: bool, name: str = "") -> int:
    """The one target account, reset for this cell."""
    with world.context():
        user = db.session.get(User, world.target_user_id)
        user.active, user.name = active, name
        db.session.commit()
    return world.target_user_id


def _target_row(world: World) -> User:
    with world.context():
        user = db.session.get(User, world.target_user_id)
        db.session.expunge(user)
        return user


def view_users(world: World, client):
    response = client.get("/admin/users")
    body = response.get_data(as_text=True)
    return response, response.status_code == 200 and "target@example.org" in body


def create_user(world: World, client):
    email = f"new-{next(_unique)}@example.org"
    response = client.post("/admin/users", data={
        "email": email, "password": "a long enough password", "role": "contributor",
        "city": "dortmund"})
    with world.context():
        return response, db.session.scalar(select(User).where(User.email == email)) is not None


def edit_user(world: World, client):
    user_id = _target(world, active=True)
    response = client.post(f"/admin/users/{user_id}", data={
        "name": "Renamed", "role": "contributor", "city": "dortmund"})
    return response, _target_row(world).name == "Renamed"


def activate_user(world: World, client):
    user_id = _target(world, active=False)
    response = client.post(f"/admin/users/{user_id}/activate")
    return response, _target_row(world).active


def deactivate_user(world: World, client):
    user_id = _target(world, active=True)
    response = client.post(f"/admin/users/{user_id}/deactivate")
    return response, not _target_row(world).active


# -- questions to city A ---------------------------------------------------------------------

def ask_question(world: World, client):
    subject = _slug("Depot question")
    response = client.post("/cities/dortmund/ask", data={
        "contact": str(world.contact_id), "subject": subject, "message": "How many pumps?"})
    with world.context():
        return response, db.session.scalar(
            select(CityMessage).where(CityMessage.subject == subject)) is not None


def read_question(world: World, client):
    """A question another member asked city A's contact person."""
    subject = _slug("Private question")
    with world.context():
        city, asker = db.session.get(City, world.city_a_id), db.session.get(User, world.asker_id)
        data, contact = messages_service.validate_ask(city, {
            "contact": world.contact_id, "subject": subject, "message": "Only for Anna"})
        message_id = messages_service.ask_city(asker, city, data, contact).id
    response = client.get(f"/account/messages/{message_id}")
    body = response.get_data(as_text=True)
    return response, response.status_code == 200 and "Only for Anna" in body


def question_volume(world: World, client):
    response = client.get("/network/questions")
    body = response.get_data(as_text=True)
    return response, response.status_code == 200 and 'data-city="dortmund"' in body


# -- e-mail alerts -----------------------------------------------------------------------------

def _saved_search(world: World, user_id: int, alert: str | None = None) -> tuple[int, str]:
    with world.context():
        saved = saved_searches_service.create(db.session.get(User, user_id), {
            "name": _slug("Hydrogen"), "query": "q=hydrogen"})
        if alert:
            alerts_service.set_alert(saved, alert)
        return saved.id, alerts_service.unsubscribe_token(saved)


def _alert_of(world: World, saved_id: int) -> str | None:
    with world.context():
        return db.session.get(SavedSearch, saved_id).alert


def own_alert(world: World, client):
    """Switch on the alert of one's own saved search (anonymous: of anybody's)."""
    email = world.emails.get(next(r for r, c in world.clients.items() if c is client))
    with world.context():
        owner = db.session.scalar(select(User.id).where(User.email == email)) if email else None
    saved_id, _ = _saved_search(world, owner or world.asker_id)
    response = client.post(f"/account/searches/{saved_id}/alert", data={"alert": "daily"})
    return response, _alert_of(world, saved_id) == "daily"


def another_alert(world: World, client):
    saved_id, _ = _saved_search(world, world.asker_id)
    response = client.post(f"/account/searches/{saved_id}/alert", data={"alert": "daily"})
    return response, _alert_of(world, saved_id) == "daily"


def unsubscribe_alert(world: World, client):
    """Another member's alert, with the link from their e-mail: the token is the credential."""
    saved_id, token = _saved_search(world, world.asker_id, alert="weekly")
    response = client.post(f"/alerts/unsubscribe/{token}")
    return response, _alert_of(world, saved_id) is None


CHECKS = {
    ("alert", "own alert"): own_alert, ("alert", "another's alert"): another_alert,
    ("alert", "unsubscribe"): unsubscribe_alert,
    ("question", "ask"): ask_question, ("question", "read"): read_question,
    ("question", "volume"): question_volume,
    ("case study", "view"): view_case_study, ("case study", "create"): create_case_study,
    ("case study", "edit"): edit_case_study, ("case study", "publish"): publish_case_study,
    ("case study", "delete"): delete_case_study,
    ("collection", "view"): view_collection, ("collection", "create"): create_collection,
    ("collection", "edit"): edit_collection, ("collection", "publish"): publish_collection,
    ("collection", "delete"): delete_collection,
    ("user", "view"): view_users, ("user", "create"): create_user, ("user", "edit"): edit_user,
    ("user", "publish"): activate_user, ("user", "delete"): deactivate_user,
}


@pytest.mark.parametrize("resource, action, role, expected", read_tables(),
                         ids=lambda value: str(value).replace(" ", "-"))
def test_permission_cell(world, resource, action, role, expected):
    response, done = CHECKS[(resource, action)](world, world.clients[role])

    location = response.headers.get("Location", "")
    if expected == OK:
        assert response.status_code in (200, 201, 204, 302), response.get_data(as_text=True)
        assert not location.startswith("/login")
        assert done, f"{role} may {action} a {resource}, but nothing changed"
    elif expected == LOGIN:
        assert response.status_code == 302 and location.startswith("/login"), location
        assert not done
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:500]
        assert not done, f"{role} may not {action} a {resource}, yet it changed"
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")



# -- the same case-study cells through the other adapter and the service itself ---------------

def api_edit_case_study(world: World, client):
    slug, _ = _case_study(world, publish=True)
    response = client.patch(f"/api/v1/case-studies/{slug}", json={"title": "Edited by API"})
    return response, _case_study_row(world, slug).title == "Edited by API"


def api_publish_case_study(world: World, client):
    slug, _ = _case_study(world, publish=False)
    response = client.post(f"/api/v1/case-studies/{slug}/publish")
    return response, _case_study_row(world, slug).status == "published"


API_CHECKS = {"edit": api_edit_case_study, "publish": api_publish_case_study}
CASE_STUDY_CELLS = [cell for cell in read_tables() if cell[0] == "case study"]


@pytest.mark.parametrize("resource, action, role, expected",
                         [cell for cell in CASE_STUDY_CELLS if cell[1] in API_CHECKS],
                         ids=lambda value: str(value).replace(" ", "-"))
def test_case_study_cell_through_the_api(world, resource, action, role, expected):
    """The pages' cells hold for the JSON API too; it answers 401 where a page asks to log in."""
    response, done = API_CHECKS[action](world, world.clients[role])

    if expected == OK:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert done
    else:
        assert response.status_code == (401 if expected == LOGIN else expected)
        assert response.get_json()["error"]["message"]
        assert not done


def _actor(world: World, role: str):
    if role == "anonymous":
        return AnonymousUserMixin()
    return db.session.scalar(select(User).where(User.role == role.split()[0]).where(
        User.email != "target@example.org").where(
        User.city_id.is_(None) if role in ("coordinator", "admin") else
        User.city.has(City.name == (CITY_A if role.endswith("A") else CITY_B))))


def _service_call(world: World, action: str, actor):
    """Run one write through the service; True when it was done."""
    with world.context():
        slug, _ = _case_study(world, publish=action == "delete")
    with world.context():
        actor = _actor(world, actor)
        if action == "create":
            data = CaseStudyInputSchema().load({"title": _slug("Service depot"), "language": "en"})
            case_studies.create(data, actor=actor, city=CITY_A)
            return True
        case_study = case_studies.editable(slug, actor)  # view
        if action == "edit":
            data = {**case_studies.case_study_fields(case_study), "title": "Edited in service"}
            case_studies.save(case_study, CaseStudyInputSchema().load(data), actor=actor,
                              expected_revision=case_study.revision)
        elif action == "publish":
            case_studies.publish(case_study, actor=actor)
        elif action == "delete":
            case_studies.delete(case_study, actor=actor)
        return True


@pytest.mark.parametrize("resource, action, role, expected", CASE_STUDY_CELLS,
                         ids=lambda value: str(value).replace(" ", "-"))
def test_case_study_cell_in_the_service(world, resource, action, role, expected):
    """The write service itself refuses (Forbidden) every cell the table refuses."""
    if expected == OK:
        assert _service_call(world, action, role)
    else:
        with pytest.raises(Forbidden):
            _service_call(world, action, role)
