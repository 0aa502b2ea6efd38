"""The client's TLS and authentication path, for real.

nginx from Debian's packages (tools/run-tests installs it) terminates TLS with a
certificate from a throwaway CA made here with openssl, checks basic auth (or an
API key) and passes requests on to the test node, as a managed or secured
cluster would answer. The portal talks to it through its settings only.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cityexchange.extensions import db
from cityexchange.search_engine import get_engine
from indexer import EngineUnavailable
from tests.conftest import build_app, elasticsearch_url, make_config
from tests.elasticsearch.conftest import closed_port
from tests.factories import make_case_study

pytestmark = pytest.mark.elasticsearch

USER, PASSWORD = "cityex", "s3cret-proxy-password"
API_KEY = base64.b64encode(b"key-id:key-secret").decode()
# The proxy's two listeners: CITYEX_TEST_TLS_PORT and the next port, or two free ports.
TLS_PORT, API_KEY_PORT = ((int(os.environ["CITYEX_TEST_TLS_PORT"]),) * 2 if
                          os.environ.get("CITYEX_TEST_TLS_PORT") else (closed_port(), closed_port()))
if TLS_PORT == API_KEY_PORT:
    API_KEY_PORT += 1


def openssl(*args: str, cwd: Path) -> str:
    return subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def make_ca_and_server_cert(directory: Path) -> None:
    """ca.pem (a throwaway CA) and server.pem/server.key for localhost and 127.0.0.1."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
            "/CN=CityExchange test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=directory)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "server.key", "-out", "server.csr", cwd=directory)
    (directory / "san.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "1", "-extfile", "san.ext", "-out", "server.pem",
            cwd=directory)


NGINX_CONF = """
master_process off;
daemon off;
pid {dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  ssl_certificate {dir}/server.pem;
  ssl_certificate_key {dir}/server.key;
  # basic auth, as a secured cluster with users and passwords
  server {{
    listen 127.0.0.1:{basic_port} ssl;
    auth_basic "elasticsearch";
    auth_basic_user_file {dir}/htpasswd;
    location / {{
      proxy_pass {upstream};
      proxy_set_header Authorization "";
    }}
  }}
  # an API key, as Elasticsearch's "Authorization: ApiKey <base64 id:key>"
  server {{
    listen 127.0.0.1:{api_key_port} ssl;
    location / {{
      if ($http_authorization != "ApiKey {api_key}") {{ return 401; }}
      proxy_pass {upstream};
      proxy_set_header Authorization "";
    }}
  }}
}}
"""


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    """nginx in front of the test node: https://localhost:TLS_PORT (basic auth) and
    https://localhost:TLS_PORT+1 (API key); yields the CA certificate's path."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        pytest.fail("nginx is missing: tools/run-tests installs Debian's nginx-light "
                    "(apt-get install nginx-light)", pytrace=False)
    directory = tmp_path_factory.mktemp("tls-proxy")
    make_ca_and_server_cert(directory)
    hashed = openssl("passwd", "-apr1", PASSWORD, cwd=directory).strip()
    (directory / "htpasswd").write_text(f"{USER}:{hashed}\n")
    (directory / "nginx.conf").write_text(NGINX_CONF.format(
        dir=directory, basic_port=TLS_PORT, api_key_port=API_KEY_PORT,
        upstream=elasticsearch_url().rstrip("/"), api_key=API_KEY))
    process = subprocess.Popen([nginx, "-p", str(directory), "-c", str(directory / "nginx.conf")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until_listening(process, directory / "ca.pem")
        yield directory / "ca.pem"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _wait_until_listening(process, ca: Path) -> None:
    import ssl

    context = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            pytest.fail(f"nginx exited: {process.stdout.read()}", pytrace=False)
        try:
            urllib.request.urlopen(f"https://localhost:{TLS_PORT}/", context=context, timeout=2)
        except urllib.error.HTTPError as error:
            assert error.code == 401  # up, and asking for a password
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def portal(app):
    with app.app_context():
        try:
            yield app
        finally:
            try:
                get_engine().drop_all()
            except EngineUnavailable:
                pass  # a refused sign-in or certificate created nothing
            db.session.remove()
            app.extensions["search_engine"].close()


def secured_app(tmp_path, **settings):
    settings = {"ELASTICSEARCH_URL": f"https://localhost:{TLS_PORT}", **settings}
    return build_app(make_config(tmp_path, "elasticsearch", INDEX_AFTER_COMMIT=False,
                                 **settings))


def index_and_search(app) -> list[str]:
    make_case_study("Hydrogen buses", body="Fuel-cell buses for the city fleet.")
    result = app.test_cli_runner().invoke(args=["indexer", "run", "--once"])
    assert result.exit_code == 0, result.output
    response = app.test_client().get("/api/v1/search", query_string={"q": "hydrogen"})
    assert response.status_code == 200, response.get_json()
    return [hit["slug"] for hit in response.get_json()["hits"]]


def test_the_portal_works_through_tls_and_basic_auth(proxy, tmp_path):
    app = secured_app(tmp_path, ELASTICSEARCH_USERNAME=USER, ELASTICSEARCH_PASSWORD=PASSWORD,
                      ELASTICSEARCH_CA_CERTS=str(proxy))
    with portal(app):
        assert index_and_search(app) == ["hydrogen-buses"]
        health = app.test_client().get("/healthz").get_json()
        assert health["status"] == "up" and health["search_engine"]["mapping"] == "current"


def test_an_api_key_signs_in(proxy, tmp_path):
    app = build_app(make_config(
        tmp_path, "elasticsearch", INDEX_AFTER_COMMIT=False,
        ELASTICSEARCH_URL=f"https://localhost:{API_KEY_PORT}", ELASTICSEARCH_API_KEY=API_KEY,
        ELASTICSEARCH_CA_CERTS=str(proxy)))
    with portal(app):
        assert index_and_search(app) == ["hydrogen-buses"]


def test_several_hosts_one_down_the_next_answers(proxy, tmp_path):
    app = secured_app(tmp_path, ELASTICSEARCH_USERNAME=USER, ELASTICSEARCH_PASSWORD=PASSWORD,
                      ELASTICSEARCH_CA_CERTS=str(proxy),
                      ELASTICSEARCH_URL=f"https://localhost:{closed_port()},"
                                        f"https://localhost:{TLS_PORT}")
    with portal(app):
        for _attempt in range(3):  # whichever node the client picks first
            assert app.test_client().get("/api/v1/search").status_code == 200


def test_a_wrong_password_is_a_clear_503(proxy, tmp_path):
    app = secured_app(tmp_path, ELASTICSEARCH_USERNAME=USER, ELASTICSEARCH_PASSWORD="wrong",
                      ELASTICSEARCH_CA_CERTS=str(proxy))
    with portal(app):
        client = app.test_client()
        response = client.get("/api/v1/search", query_string={"q": "hydrogen"})
        assert response.status_code == 503
        assert "refused the request" in response.get_json()["error"]["message"]
        health = client.get("/healthz")
        assert health.status_code == 503
        assert "401" in health.get_json()["search_engine"]["error"]


def test_an_untrusted_certificate_is_refused(proxy, tmp_path):
    app = secured_app(tmp_path, ELASTICSEARCH_USERNAME=USER, ELASTICSEARCH_PASSWORD=PASSWORD)
    with portal(app):
        client = app.test_client()
        assert client.get("/api/v1/search", query_string={"q": "x"}).status_code == 503
        health = client.get("/healthz")
        assert health.status_code == 503
        assert "CERTIFICATE_VERIFY_FAILED" in health.get_json()["search_engine"]["error"]
