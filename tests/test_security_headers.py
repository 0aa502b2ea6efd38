"""Every response carries the security headers: pages, the API, /api/docs, feeds, exports,
errors and static files; HTTPS mode adds HSTS and Secure cookies; ProxyFix trusts the
configured number of proxies only."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import HTTPException

from tests.conftest import build_app, make_config
from tests.factories import make_case_study

# Routes that need an argument, one real address each (the rest are walked from the url map).
WITH_ARGUMENTS = ["/case-studies/{slug}", "/cities/dortmund", "/feeds/cities/dortmund.atom",
                  "/api/v1/case-studies/{slug}", "/static/site.css", "/no-such-page",
                  "/api/v1/no-such-thing", "/case-studies/{slug}/export.json",
                  "/alerts/unsubscribe/not-a-valid-token"]


def assert_protected(response, url):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, url
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "same-origin", url


def test_every_blueprint_answers_with_the_security_headers(app, client, auth):
    slug = make_case_study("Hydrogen bus depot").slug
    auth.login(role="admin", city="Dortmund")  # admin pages answer 200, not a redirect
    urls, blueprints = [], set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            urls.append(rule.rule)
            blueprints.add(rule.endpoint.rpartition(".")[0])
    urls += [url.format(slug=slug) for url in WITH_ARGUMENTS]
    adapter = app.url_map.bind("localhost")
    for url in WITH_ARGUMENTS:
        try:
            endpoint, _ = adapter.match(url.format(slug=slug), method="GET")
        except HTTPException:  # the 404 pages
            continue
        if "." in endpoint:  # not the app's own static route
            blueprints.add(endpoint.rpartition(".")[0])
    for url in urls:
        response = client.get(url)
        assert_protected(response, url)
        response.close()  # static files are streamed from an open file
    # The write API has no GET: one write (and its 401 for a missing token) stands for it.
    written = client.post("/api/v1/case-studies", json={"title": "Depot headers"})
    assert written.status_code == 201
    assert_protected(written, "POST /api/v1/case-studies")
    assert_protected(app.test_client().post("/api/v1/collections", json={}), "401")
    blueprints.add("api_write")
    assert blueprints == set(app.blueprints), set(app.blueprints) - blueprints


def test_exports_and_api_docs_carry_the_headers_too(client):
    for url in ("/search/export.csv", "/search/export.json", "/api/docs", "/api/v1/openapi.json",
                "/feeds/search.atom"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_protected(response, url)
        response.close()


def test_session_cookie_is_samesite_lax_and_not_secure_without_https(client, auth):
    auth.login()
    cookie = client.get_cookie("session")
    assert cookie.same_site == "Lax" and not cookie.secure
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.fixture
def https_app(tmp_path):
    app = build_app(make_config(tmp_path, HTTPS=True, PROXY_COUNT=1))
    yield app
    app.extensions["search_engine"].close()


def test_https_mode_sends_hsts_and_secure_cookies_and_trusts_one_proxy(https_app):
    client = https_app.test_client()
    response = client.get("/login", headers={"X-Forwarded-Proto": "https",
                                            "X-Forwarded-For": "203.0.113.5"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_proxyfix_reads_the_client_address_from_the_configured_hop(https_app):
    """With one proxy, the last X-Forwarded-For entry is the client; a forged first one is not."""
    seen = []
    https_app.add_url_rule("/_whoami", "whoami", lambda: seen.append(
        __import__("flask").request.remote_addr) or "ok")
    https_app.test_client().get("/_whoami", headers={
        "X-Forwarded-For": "10.9.9.9, 203.0.113.5"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen == ["203.0.113.5"]
