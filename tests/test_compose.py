"""docker-compose.yml, .env.example and the Dockerfile agree with the code and the Compose spec.

Docker does not run here, so the production shape is checked statically, and
the web service's own command (gunicorn cityexchange.wsgi:app) is run for real.
"""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
# Vendored with its licence; tests/schemas/README.md says where it comes from.
SCHEMA = ROOT / "tests" / "schemas" / "compose-spec.json"
APP_SERVICES = ("web", "indexer", "migrate")
# Test values for the two secrets .env.example leaves empty on purpose.
SECRETS = {"CITYEX_SECRET_KEY": "test-secret-key", "POSTGRES_PASSWORD": "test-password",
           "ELASTIC_PASSWORD": "test-es-password"}

_SUBSTITUTION = re.compile(
    r"(?<!\$)\$(?:\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))"
)


class MissingVariable(Exception):
    pass


def interpolate(value, env: dict):
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, applied through a loaded file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match):
        name = match["braced"] or match["bare"]
        op, arg, current = match["op"], match["arg"], env.get(name)
        unset = current is None or (current == "" and op and op.startswith(":"))
        if op and op.endswith("-"):
            return arg if unset else current
        if op and op.endswith("?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    return _SUBSTITUTION.sub(replace, value)


def read_env_file(path: Path) -> dict:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def env_example() -> dict:
    return read_env_file(ROOT / ".env.example")


@pytest.fixture(scope="module")
def resolved(compose, env_example) -> dict:
    """The file as `docker compose config` would see it with .env.example plus secrets."""
    return interpolate(compose, {**env_example, **SECRETS})


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # It declares draft-07 by an https URL that jsonschema does not recognise.
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def known_settings() -> set[str]:
    defaults = json.loads((ROOT / "config" / "settings.json").read_text(encoding="utf-8"))
    return {f"CITYEX_{name}" for name in defaults if not name.startswith("_")}


def test_compose_file_follows_the_compose_spec(compose, validator):
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_spec_check_rejects_a_misspelt_key(compose, validator):
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["helthcheck"] = broken["services"]["web"].pop("healthcheck")
    assert not validator.is_valid(broken)


def test_every_cityex_variable_is_a_setting_the_code_reads(compose, env_example):
    known = known_settings()
    assert {"CITYEX_DATABASE_URL", "CITYEX_SECRET_KEY", "CITYEX_LOG_LEVEL"} <= known
    for service in APP_SERVICES:
        names = {n for n in compose["services"][service]["environment"] if n.startswith("CITYEX_")}
        assert names, service
        assert names <= known, f"{service} sets unknown settings {sorted(names - known)}"
    example = {name for name in env_example if name.startswith("CITYEX_")}
    assert example <= known, f".env.example names unknown settings {sorted(example - known)}"


def test_web_indexer_and_migrate_share_database_and_search_settings(resolved):
    envs = {service: resolved["services"][service]["environment"] for service in APP_SERVICES}
    for name in ("CITYEX_DATABASE_URL", "CITYEX_ELASTICSEARCH_URL", "CITYEX_SEARCH_ENGINE",
                 "CITYEX_INDEX_PREFIX", "CITYEX_SECRET_KEY"):
        values = {service: env[name] for service, env in envs.items()}
        assert envs["web"][name] == envs["indexer"][name] == envs["migrate"][name], values
    web = envs["web"]
    assert web["CITYEX_SEARCH_ENGINE"] == "elasticsearch"
    url = make_url(web["CITYEX_DATABASE_URL"])
    assert (url.drivername, url.host, url.password) == ("postgresql+psycopg", "postgres",
                                                        "test-password")
    assert web["CITYEX_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert {"postgres", "elasticsearch"} <= set(resolved["services"])


def test_elasticsearch_is_an_8_x_single_node_on_the_internal_network(compose, resolved):
    es = resolved["services"]["elasticsearch"]
    # built from docker/elasticsearch/ (the official image plus plugins: tests/test_es_parity.py)
    assert es["build"]["context"] == "docker/elasticsearch"
    assert es["image"].rpartition(":")[2].split(".")[0] == "8"
    assert es["environment"]["discovery.type"] == "single-node"
    assert "-Xms1g -Xmx1g" in es["environment"]["ES_JAVA_OPTS"]
    assert es["deploy"]["resources"]["limits"]["memory"] == "2g"
    assert "_cluster/health" in " ".join(es["healthcheck"]["test"])
    for name in ("elasticsearch", "postgres"):
        assert "ports" not in compose["services"][name], name
        assert compose["services"][name]["networks"] == ["backend"]
    assert compose["networks"]["backend"]["internal"] is True
    assert "pg_isready" in " ".join(compose["services"]["postgres"]["healthcheck"]["test"])


def test_elasticsearch_runs_with_security_and_the_portal_signs_in(compose, resolved):
    es = resolved["services"]["elasticsearch"]["environment"]
    assert es["xpack.security.enabled"] == "true"
    assert es["ELASTIC_PASSWORD"] == "test-es-password"
    # the healthcheck signs in too ($$: the container's shell reads the variable)
    assert '-u "elastic:$$ELASTIC_PASSWORD"' in " ".join(
        compose["services"]["elasticsearch"]["healthcheck"]["test"])
    for service in APP_SERVICES:
        env = resolved["services"][service]["environment"]
        assert env["CITYEX_ELASTICSEARCH_USERNAME"] == "elastic", service
        assert env["CITYEX_ELASTICSEARCH_PASSWORD"] == "test-es-password", service
    with pytest.raises(MissingVariable, match="ELASTIC_PASSWORD: set it in .env"):
        interpolate(compose, {**SECRETS, "ELASTIC_PASSWORD": ""})


def test_web_healthcheck_targets_healthz(resolved):
    web = resolved["services"]["web"]
    check = " ".join(web["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in check
    assert web["ports"] == ["8000:8000"]
    assert "--bind=0.0.0.0:8000" in web["command"]


def test_services_start_in_order(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["cityex", "init-db"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["indexer"]["command"] == ["cityex", "indexer", "run"]
    assert services["web"]["command"][0] == "gunicorn"
    assert services["web"]["command"][-1] == "cityexchange.wsgi:app"
    for name in ("web", "indexer"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert services[name]["image"] == services["migrate"]["image"], name


def test_env_example_documents_every_substituted_variable(compose_text, env_example):
    substituted = {m["braced"] or m["bare"] for m in _SUBSTITUTION.finditer(compose_text)}
    assert {"CITYEX_SECRET_KEY", "POSTGRES_PASSWORD", "ES_HEAP"} <= substituted
    assert substituted <= set(env_example), f"undocumented: {sorted(substituted - set(env_example))}"
    # No secret is committed: the example leaves them empty.
    assert all(env_example[name] == "" for name in SECRETS)


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_a_secret(compose, env_example, missing):
    env = {**env_example, **SECRETS, missing: ""}
    with pytest.raises(MissingVariable, match=f"{missing}: set it in .env"):
        interpolate(compose, env)


def _dockerfile_stages() -> list[list[str]]:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    stages: list[list[str]] = []
    for line in lines:
        if line.startswith("FROM "):
            stages.append([])
        if stages and line and not line.startswith("#"):
            stages[-1].append(line)
    return stages


def test_dockerfile_builds_a_non_root_gunicorn_image():
    final = _dockerfile_stages()[-1]
    assert final[0] == "FROM python:3.11-slim"
    assert any("optional-dependencies']['postgres']" in line for line in final)
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "cityexchange.wsgi:app" in next(line for line in final if line.startswith("CMD"))


def test_the_image_installs_the_wheel_not_the_source_tree():
    """The build stage makes the wheel from what tests/test_install.py builds it from;
    the image installs that wheel like any package, with no checkout in it."""
    from tests.test_install import SOURCES

    build, final = _dockerfile_stages()
    assert build[0] == "FROM python:3.11-slim AS build"
    copied = {part for line in build if line.startswith("COPY ") for part in line.split()[1:-1]}
    assert copied == set(SOURCES)
    assert any(line.startswith("RUN pip wheel --no-deps") for line in build)
    text = "\n".join(final)
    assert "COPY --from=build /dist" in text
    assert "pip install --no-deps /tmp/dist/cityexchange-*.whl" in text
    assert " -e " not in text and not any(line.startswith("COPY . ") for line in final)
    # The instance folder (SQLite, embedded index) is set and the app user may write it.
    assert "CITYEX_INSTANCE_PATH=/srv/cityexchange/instance" in text
    assert "chown cityex /srv/cityexchange/instance" in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, deadline: float) -> int:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_web_and_migrate_commands_run_the_portal(resolved, tmp_path):
    """migrate's and web's commands as compose runs them, on SQLite and the embedded engine."""
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYEX_")}
    env.update(CITYEX_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               CITYEX_EMBEDDED_INDEX_PATH=str(tmp_path / "index"),
               CITYEX_SECRET_KEY="test-secret", CITYEX_LOG_LEVEL="INFO",
               HOME=str(tmp_path))  # gunicorn's control socket goes under $HOME
    migrate = resolved["services"]["migrate"]["command"]
    subprocess.run([str(bin_dir / migrate[0]), *migrate[1:]], env=env, check=True,
                   capture_output=True, timeout=120)

    port = _free_port()
    command = [f"--bind=127.0.0.1:{port}" if arg.startswith("--bind=") else arg
               for arg in resolved["services"]["web"]["command"]]
    server = subprocess.Popen([str(bin_dir / command[0]), *command[1:]], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 60) == 200
        assert _wait_for(f"http://127.0.0.1:{port}/", time.monotonic() + 10) == 200
    finally:
        server.terminate()
        access_log, error_log = server.communicate(timeout=30)
    assert server.returncode == 0, error_log
    assert re.search(r'"GET /healthz HTTP/1\.1" 200 ', access_log), access_log
    assert "Booting worker" in error_log
    assert "[ERROR]" not in error_log, error_log
