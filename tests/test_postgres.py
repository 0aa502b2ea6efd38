"""The portal on a real PostgreSQL server: Alembic migrations, then publish and search.

A throwaway cluster (initdb in a temporary directory, pg_ctl on a free port)
lives for the test session. Without the server binaries these tests fail:
tools/run-tests installs them (Debian's `postgresql`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import inspect, select

from cityexchange import create_app
from cityexchange.extensions import db
from cityexchange.models import CommonWordCount, OutboxEntry
from cityexchange.search_engine import get_engine
from cityexchange.services import indexing
from indexer.common_words import CommonWords
from tests.conftest import make_config
from tests.factories import make_case_study

pytestmark = pytest.mark.postgres

USER = "cityex"


def _server_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]))
    initdb = candidates[-1] if candidates else shutil.which("initdb")
    if not initdb:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are missing: run tools/run-tests, "
                    "which installs them, or `apt-get install postgresql`", pytrace=False)
    return Path(initdb).resolve().parent


def _as_server_user(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: use the postgres (or nobody) account."""
    if os.geteuid() != 0:
        return argv
    account = "postgres" if _has_account("postgres") else "nobody"
    return ["runuser", "-u", account, "--", *argv]


def _has_account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(argv: list[str], **kwargs) -> None:
    result = subprocess.run(_as_server_user(argv), capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_server():
    """host, port of a fresh cluster; trust auth on 127.0.0.1 only, fsync off (throwaway)."""
    bin_dir = _server_bin_dir()
    base = Path(tempfile.mkdtemp(prefix="cityex-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres" if _has_account("postgres") else "nobody")
        os.chown(base, account.pw_uid, account.pw_gid)
    data, port = base / "data", _free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
          "--encoding=UTF8", "--no-locale"], timeout=120)
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"),
          "-o", options, "-w", "-t", "60", "start"], timeout=90)
    try:
        yield "127.0.0.1", port
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                        "-w", "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def database_url(postgres_server):
    """A fresh, empty database per test."""
    host, port = postgres_server
    name = f"cityex_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(host=host, port=port, user=USER, dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield f"postgresql+psycopg://{USER}@{host}:{port}/{name}"
    with psycopg.connect(host=host, port=port, user=USER, dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                           .format(sql.Identifier(name)))


@pytest.fixture(params=[
    pytest.param("embedded", id="embedded"),
    # docker-compose.yml's combination: PostgreSQL and Elasticsearch.
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.elasticsearch),
])
def pg_app(request, tmp_path, database_url):
    # As in docker-compose.yml: requests only write the outbox; the indexer drains it.
    app = create_app(make_config(tmp_path, engine=request.param, DATABASE_URL=database_url,
                                 INDEX_AFTER_COMMIT=False))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
        engine = get_engine()
        if hasattr(engine, "drop_all"):  # Elasticsearch: every index under the test prefix
            engine.drop_all()
        app.extensions["search_engine"].close()


def _cli(app, *args: str):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result


@pytest.mark.parametrize("pg_app", ["embedded"], indirect=True)
def test_migrations_build_the_models_schema(pg_app):
    _cli(pg_app, "init-db")
    _cli(pg_app, "init-db")  # a second run (every deploy) changes nothing
    directory = pg_app.extensions["migrate"].directory
    head = ScriptDirectory(directory).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == [], "the migrations and models.py disagree on PostgreSQL"
    assert {"case_studies", "outbox"} <= set(inspect(db.engine).get_table_names())


def test_publish_then_search_round_trip(pg_app):
    _cli(pg_app, "init-db")
    client = pg_app.test_client()
    case_study = make_case_study(
        "Wasserstoffbusse für die Dortmunder Stadtflotte", language="de",
        summary="Brennstoffzellenbusse im Linienverkehr: Erfahrungen der DSW21.",
        body="Seit 2023 fahren in Dortmund Busse mit **Wasserstoff**.", year=2024)
    assert db.session.scalars(select(OutboxEntry.case_study_id)).all() == [case_study.id]

    def found(query: str) -> list[str]:
        response = client.get("/api/v1/search", query_string={"q": query})
        assert response.status_code == 200, response.get_json()
        return [hit["slug"] for hit in response.get_json()["hits"]]

    assert found("Wasserstoff") == []  # the outbox keeps it until the indexer runs
    assert "outbox drained: 1 indexed" in _cli(pg_app, "indexer", "run", "--once").output
    assert found("Wasserstoff") == [case_study.slug]
    assert db.session.scalars(select(OutboxEntry)).all() == []

    page = client.get(f"/case-studies/{case_study.slug}")
    assert page.status_code == 200
    assert "Wasserstoffbusse für die Dortmunder Stadtflotte" in page.get_data(as_text=True)
    health = client.get("/healthz").get_json()
    assert health["database"] == {"status": "up", "dialect": "postgresql"}
    assert health["search_engine"]["status"] == "up"
    assert health["search_engine"]["engine"] == pg_app.config["SEARCH_ENGINE"]


def test_a_sqlite_portal_and_a_postgresql_portal_keep_their_own_indexes(tmp_path, database_url,
                                                                         monkeypatch):
    """From one checkout, with no index path set: each database gets its own embedded index."""
    from cityexchange import settings

    monkeypatch.setattr(settings, "INSTANCE_DIR", tmp_path / "instance")
    (tmp_path / "instance").mkdir()
    apps = {"sqlite": create_app(make_config(tmp_path, EMBEDDED_INDEX_PATH=None, DATABASE_URL=None)),
            "postgresql": create_app(make_config(tmp_path, EMBEDDED_INDEX_PATH=None,
                                                 DATABASE_URL=database_url))}
    slugs = {}
    for name, app in apps.items():
        with app.app_context():
            _cli(app, "init-db")
            slugs[name] = make_case_study(f"Hydrogen buses on {name}").slug
            db.session.remove()
            app.extensions["search_engine"].close()
    assert apps["sqlite"].config["EMBEDDED_INDEX_PATH"] != apps["postgresql"].config["EMBEDDED_INDEX_PATH"]
    for name, app in apps.items():
        with app.app_context():
            body = app.test_client().get("/api/v1/search?q=hydrogen").get_json()
            db.session.remove()
            db.engine.dispose()
            app.extensions["search_engine"].close()
        assert (body["total"], [hit["slug"] for hit in body["hits"]]) == (1, [slugs[name]])


def test_a_sqlite_backup_restores_into_postgresql(tmp_path, database_url):
    """export-all on SQLite, import-all on PostgreSQL: same pages and search; new rows get new ids."""
    from tests.test_backup import _invoke, _pages, _search_results

    (tmp_path / "sqlite").mkdir()
    source = create_app(make_config(tmp_path / "sqlite"))
    _invoke(source, "demo", "--no-serve")
    backup = tmp_path / "backup.jsonl"
    _invoke(source, "export-all", str(backup))
    target = create_app(make_config(tmp_path, DATABASE_URL=database_url,
                                    EMBEDDED_INDEX_PATH=str(tmp_path / "pg-index")))
    _invoke(target, "import-all", str(backup))

    assert _pages(target) == _pages(source)
    assert _search_results(target) == _search_results(source)
    with target.app_context():  # the id sequences were moved past the restored rows
        created = make_case_study("Written after the restore", city="Dortmund")
        assert created.id > 49
        db.session.remove()
        db.engine.dispose()
        target.extensions["search_engine"].close()


@pytest.mark.parametrize("pg_app", ["embedded"], indirect=True)
def test_a_count_of_the_common_words_beside_another_waits_for_it(pg_app):
    """A rebuild counting while the worker counts: the second waits, then replaces."""
    _cli(pg_app, "init-db")
    for number in range(3):
        make_case_study(f"Tree planting {number}", body="The city plants trees.")
    indexing.count_common_words()
    first = CommonWords(stems={"en": frozenset({"tree"})}, documents={"en": 3})
    indexing.store_common_words(first, published=3)  # open: this session holds its rows
    errors = []

    def count_beside() -> None:
        with pg_app.app_context():
            try:
                indexing.count_common_words()
            except Exception as error:  # reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    beside = threading.Thread(target=count_beside)
    beside.start()
    beside.join(timeout=1)
    assert beside.is_alive(), "the second count did not wait for the first"
    db.session.commit()
    beside.join(timeout=30)
    assert errors == []
    rows = db.session.scalars(select(CommonWordCount)).all()
    assert [(row.language, row.documents, row.stems) for row in rows] == [("en", 3, [])]
