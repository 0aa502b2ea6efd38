"""The OpenAPI 3 document (/api/v1/openapi.json) and the reference page made from it (/api/docs)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from openapi_spec_validator import validate

from cityexchange.schemas import CaseStudyInputSchema, SearchParamsSchema
from indexer import FACETS

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def api_routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path relative to /api/v1) of every route the app serves there."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routes |= {(method.lower(), path) for method in rule.methods - IGNORED_METHODS}
    return routes


def documented(spec: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in spec["paths"].items() for method in item}


def test_the_document_is_valid_openapi_3(spec):
    validate(spec)  # raises on any violation of the OpenAPI 3.0 schema
    assert spec["openapi"].startswith("3.0")
    assert spec["servers"] == [{"url": "/api/v1"}]


def test_every_route_under_api_v1_is_documented_and_nothing_else(app, spec):
    routes = api_routes(app)

    assert len(routes) >= 20
    assert routes == documented(spec)


def test_every_operation_documents_its_errors_with_the_error_schema(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert statuses & {"200", "201", "204"}, (method, path)
            assert "503" in statuses, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


def test_writes_need_the_bearer_scheme(spec):
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "get":
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_search_parameters_come_from_the_schema_and_facets_repeat(spec):
    parameters = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}

    assert set(parameters) == set(SearchParamsSchema().fields)
    for facet in FACETS:
        assert parameters[facet]["explode"] is True and parameters[facet]["style"] == "form"
        assert parameters[facet]["schema"]["type"] == "array"
    assert parameters["per_page"]["schema"]["maximum"] == 100
    assert parameters["sort"]["schema"]["enum"][:2] == ["relevance", "newest"]


def test_request_bodies_are_the_forms_schema(spec):
    schemas = spec["components"]["schemas"]
    write = schemas["CaseStudyWrite"]

    assert set(CaseStudyInputSchema().fields) <= set(write["properties"])
    assert {"city", "expected_revision"} <= set(write["properties"])
    assert write["required"] == ["title"] and write["properties"]["title"]["minLength"] == 3
    assert "required" not in schemas["CaseStudyPatch"]
    body = spec["paths"]["/case-studies"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/CaseStudyWrite"}


def test_computed_output_fields_have_types(spec):
    case_study = spec["components"]["schemas"]["CaseStudy"]["properties"]
    assert case_study["city"]["type"] == "string"
    assert case_study["partners"] == {"type": "array", "items": {"type": "string"},
                                      "readOnly": True}


class _Assets(HTMLParser):
    """Every address the page loads or links, and whether it has scripts."""

    def __init__(self):
        super().__init__()
        self.addresses: list[str] = []
        self.scripts = 0
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self.inline_scripts += tag == "script" and not dict(attrs).get("src")
        self.addresses += [value for name, value in attrs if name in ("src", "href") and value]


def test_docs_page_lists_every_endpoint_and_loads_nothing_from_elsewhere(client, spec):
    response = client.get("/api/docs")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for path, item in spec["paths"].items():
        assert f"/api/v1{path}</code>" in html
        for operation in item.values():
            assert f'id="{operation["operationId"]}"' in html
    assert 'id="schema-CaseStudyWrite"' in html and "expected_revision" in html
    assert "Authorization: Bearer" in html
    assets = _Assets()
    assets.feed(html)
    # Only the site's own scripts (search suggestions in the header), none inline.
    assert assets.inline_scripts == 0
    outside = [a for a in assets.addresses if re.match(r"^(https?:)?//", a)
               and not a.startswith(("http://localhost/", "//localhost/"))]
    assert outside == []
    assert "http://localhost/api/v1/case-studies" in html  # curl examples on this host
