"""Fault test on a real node of its own: Elasticsearch stops in the middle of a stream of writes.

Every write still commits, the outbox grows while the node is down, and once
the node is back the indexer worker (a real `cityex indexer run` process)
brings the index to exactly the published case studies of the database: same
ids, same content hashes. No mocks: the node is stopped and restarted with
tools/elasticsearch/es-node (`--keep-data`, as a restart after maintenance).

CITYEX_FAULT_REPORT=path.json writes the figures (docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, OutboxEntry
from cityexchange.schemas import CaseStudyInputSchema
from cityexchange.search_engine import get_engine
from cityexchange.services import case_studies
from cityexchange.services.indexing import build_document
from tests.conftest import build_app, make_config, unique_prefix
from tests.factories import make_case_study

pytestmark = pytest.mark.elasticsearch

ROOT = Path(__file__).resolve().parents[2]
ES_NODE = ROOT / "tools" / "elasticsearch" / "es-node"
CITIES = ["Dortmund", "Katowice", "Lyon", "Pittsburgh"]
TEXTS = {
    "en": ("Hydrogen buses for the city fleet {n}", "Fuel-cell buses refuel at the depot."),
    "de": ("Wasserstoffbusse für die Flotte {n}", "Die Busse tanken nachts im Depot."),
    "pl": ("Autobusy wodorowe w mieście {n}", "Autobusy tankują w nocy w zajezdni."),
    "fr": ("Bus à hydrogène pour la flotte {n}", "Les bus font le plein au dépôt."),
}


def free_port_pair() -> int:
    """A port P with P and P+100 (the node's transport port) both free."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 100 < 65536:
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port + 100))
                    return port
                except OSError:
                    continue
    raise RuntimeError("no free port pair")


class Node:
    def __init__(self, tmp_path: Path):
        self.port = free_port_pair()
        self.dir = tmp_path / "es-node"
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        command = [str(ES_NODE), *args, "--port", str(self.port), "--dir", str(self.dir)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr[-3000:]

    def start(self, keep_data: bool = False) -> None:
        self._run("start", *(["--keep-data"] if keep_data else []))

    def stop(self, keep_data: bool = False) -> None:
        self._run("stop", *(["--keep-data"] if keep_data else []))


@pytest.fixture
def node(tmp_path):
    node = Node(tmp_path)
    node.start()
    yield node
    node.stop()


@pytest.fixture
def app(tmp_path, node):
    config = make_config(tmp_path, SEARCH_ENGINE="elasticsearch", INDEX_AFTER_COMMIT=False,
                         ELASTICSEARCH_URL=node.url, INDEX_PREFIX=unique_prefix())
    app = build_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        app.extensions["search_engine"].close()


@pytest.fixture
def worker(app, tmp_path):
    """`cityex indexer run` in its own process, on the same database and node."""
    env = {**os.environ, "CITYEX_DATABASE_URL": app.config["DATABASE_URL"],
           "CITYEX_SEARCH_ENGINE": "elasticsearch",
           "CITYEX_ELASTICSEARCH_URL": app.config["ELASTICSEARCH_URL"],
           "CITYEX_INDEX_PREFIX": app.config["INDEX_PREFIX"],
           "CITYEX_SECRET_KEY": "test-secret", "CITYEX_LOG_LEVEL": "WARNING"}
    log = (tmp_path / "worker.log").open("w")
    cityex = Path(sys.executable).parent / "cityex"
    process = subprocess.Popen([str(cityex), "indexer", "run", "--poll", "0.2", "--max-backoff", "1"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    yield process
    process.terminate()
    process.wait(timeout=30)
    log.close()


def outbox_size() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEntry))


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def publish(n: int):
    language = list(TEXTS)[n % len(TEXTS)]
    title, body = TEXTS[language]
    return make_case_study(title.format(n=n), city=CITIES[n % len(CITIES)], body=body,
                           language=language, year=2015 + n % 10)


def edit(case_study: CaseStudy, note: str) -> None:
    data = {"title": case_study.title, "body": f"{case_study.body} {note}",
            "language": case_study.language}
    case_studies.update_case_study(case_study, CaseStudyInputSchema().load(data))


def expected_index() -> dict[int, tuple[int, str]]:
    published = db.session.scalars(select(CaseStudy).where(CaseStudy.status == "published"))
    return {cs.id: (cs.revision, build_document(cs).content_hash()) for cs in published}


def test_writes_survive_a_node_outage_and_the_index_catches_up(app, node, worker, tmp_path):
    worker_log = tmp_path / "worker.log"
    # Phase 1, the node is up and the worker drains as the writes come in.
    stream = [publish(0)]
    wait_until(lambda: outbox_size() == 0, timeout=60)  # the worker is live
    for n in range(1, 20):
        stream.append(publish(n))
        time.sleep(0.05)
    indexed_before = len(get_engine().indexed_versions())

    # Phase 2, the node stops midway (the worker may be in the middle of a batch).
    node.stop(keep_data=True)
    outage_started = time.monotonic()
    sizes, writes = [outbox_size()], 0
    for n in range(20, 40):
        stream.append(publish(n))
        writes += 1
        sizes.append(outbox_size())
    for case_study in stream[:5]:
        edit(case_study, "Edited during the outage.")
        writes += 1
        sizes.append(outbox_size())
    for case_study in stream[5:8]:
        case_studies.set_status(case_study, "draft")
        writes += 1
        sizes.append(outbox_size())
    # Every write committed, and each left one more row while nothing could drain.
    assert sizes == list(range(sizes[0], sizes[0] + writes + 1))
    assert db.session.scalar(select(func.count()).select_from(CaseStudy)) == 40
    assert app.test_client().get("/healthz").status_code == 503
    # The worker tried, failed, and waits to try again; it does not crash.
    wait_until(lambda: "search engine unavailable" in worker_log.read_text(), timeout=30)
    assert worker.poll() is None

    # Phase 3, the node is back with its data; writes go on while the worker catches up.
    node.start(keep_data=True)
    outage = time.monotonic() - outage_started
    back = time.monotonic()
    stream += [publish(n) for n in range(40, 60)]
    wait_until(lambda: outbox_size() == 0, timeout=120)
    drain = time.monotonic() - back

    result = app.test_cli_runner().invoke(args=["indexer", "run", "--once"])
    assert result.exit_code == 0, result.output
    expected = expected_index()
    assert len(expected) == 60 - 3
    assert get_engine().indexed_versions() == expected
    assert app.test_client().get("/healthz").status_code == 200

    _report(indexed_before=indexed_before, pending=sizes[0], writes=writes, peak=max(sizes),
            outage=outage, drain=drain)


def test_after_a_node_lost_its_data_a_rebuild_restores_the_index(app, node):
    runner = app.test_cli_runner()
    for n in range(10):
        publish(n)
    assert runner.invoke(args=["indexer", "run", "--once"]).exit_code == 0

    node.stop()  # and its data with it
    for n in range(10, 15):
        publish(n)
    node.start()
    app.extensions["search_engine"].close()  # a fresh client, as after a deploy

    # The outbox alone brings back only what changed during the outage ...
    assert runner.invoke(args=["indexer", "run", "--once"]).exit_code == 0
    assert len(get_engine().indexed_versions()) == 5
    # ... a rebuild brings back everything.
    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert get_engine().indexed_versions() == expected_index()
    assert len(expected_index()) == 15


def _report(*, indexed_before: int, pending: int, writes: int, peak: int, outage: float,
            drain: float) -> None:
    path = os.environ.get("CITYEX_FAULT_REPORT")
    if path:
        Path(path).write_text(json.dumps({
            "indexed_before_the_stop": indexed_before, "rows_pending_at_the_stop": pending,
            "writes_during_outage": writes, "outbox_peak_rows": peak,
            "outage_seconds": round(outage, 1), "drain_seconds_after_restart": round(drain, 2),
        }, indent=2) + "\n")
