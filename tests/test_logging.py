"""Application logs are one JSON object per line on stderr, at CITYEX_LOG_LEVEL."""

from __future__ import annotations

import json
import logging

import pytest

from cityexchange import create_app
from cityexchange.extensions import db
from tests.conftest import build_app, make_config
from tests.factories import make_case_study


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_log_lines_are_json_at_the_configured_level(tmp_path, capsys):
    create_app(make_config(tmp_path, LOG_LEVEL="WARNING"))
    log = logging.getLogger("cityexchange.test")
    log.info("not shown at WARNING")
    log.warning("index update deferred for %s", "dortmund-h2", extra={"case_study": 7})
    lines = _json_lines(capsys.readouterr().err)
    assert [line["message"] for line in lines] == ["index update deferred for dortmund-h2"]
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "cityexchange.test"
    assert lines[0]["case_study"] == 7
    assert lines[0]["time"].endswith("+00:00")


def test_a_wrong_log_level_is_named(tmp_path):
    with pytest.raises(ValueError, match="CITYEX_LOG_LEVEL must be one of DEBUG, INFO"):
        create_app(make_config(tmp_path, LOG_LEVEL="verbose"))


def test_the_indexer_logs_each_drained_batch(tmp_path):
    app = build_app(make_config(tmp_path, INDEX_AFTER_COMMIT=False, LOG_LEVEL="INFO"))
    with app.app_context():
        make_case_study("Hydrogen buses for the city fleet")
        make_case_study("Youth exchange Dortmund Buffalo", city="Buffalo")
        result = app.test_cli_runner().invoke(args=["indexer", "run", "--once"])
        db.session.remove()
        app.extensions["search_engine"].close()
    assert result.exit_code == 0, result.output
    batches = [line for line in _json_lines(result.stderr)
               if line["message"].startswith("outbox batch drained")]
    assert len(batches) == 1
    assert batches[0]["indexed"] == 2
    assert batches[0]["deleted"] == 0
    assert batches[0]["logger"] == "cityexchange.services.indexing"


def test_per_request_library_chatter_stays_out_of_info_logs(tmp_path, capsys):
    create_app(make_config(tmp_path, LOG_LEVEL="INFO"))
    logging.getLogger("elastic_transport.transport").info("POST http://es:9200/_bulk [status:200]")
    logging.getLogger("elastic_transport.transport").warning("node unreachable")
    messages = [line["message"] for line in _json_lines(capsys.readouterr().err)]
    assert messages == ["node unreachable"]
