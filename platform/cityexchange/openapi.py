"""The OpenAPI 3 document of /api/v1, generated from the marshmallow schemas (apispec).

The schemas that validate input and serialise output are the ones described
here, so the document cannot drift from what the API does; the operations
table below adds what a schema cannot say (paths, statuses, auth, examples).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema, fields

from cityexchange.blueprints.api_write import CaseStudyWriteSchema
from cityexchange.blueprints.audit import AuditEntrySchema
from cityexchange.schemas import (
    CaseStudyOutputSchema,
    CaseStudyRefSchema,
    CityDetailSchema,
    ConceptSchema,
    LocalizedPageParamsSchema,
    PageParamsSchema,
    PartnershipSchema,
    SearchPageSchema,
    SearchParamsSchema,
    SuggestParamsSchema,
    SuggestResponseSchema,
    pagination_schema,
)
from cityexchange.services.collection_schemas import (
    CollectionInputSchema,
    CollectionItemSchema,
    CollectionSchema,
    CollectionSummarySchema,
)

API_VERSION = "1.0.0"
# The curl examples start from this shell variable (the docs page fills in its host).
BASE_VARIABLE = "$CITYEX_API"
ERROR_STATUSES = {
    400: "A parameter or field is invalid; `error.parameter` names it.",
    401: "No valid API token: send `Authorization: Bearer <token>`.",
    403: "The token's user may not do this (another city's case study, not a curator).",
    404: "There is no such resource (or it is not published).",
    409: "A conflict: the case study changed since `expected_revision`, or the slug is taken.",
    413: "The request body is larger than the portal accepts (`CITYEX_MAX_CONTENT_LENGTH`).",
    503: "The search engine or the database is unavailable; try again in a few minutes.",
}


class ErrorDetailSchema(Schema):
    status = fields.Integer(required=True)
    message = fields.String(required=True, metadata={"description": "What went wrong and "
                                                                    "what to do."})
    parameter = fields.String(metadata={"description": "The parameter or field at fault."})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(),
                          values=fields.List(fields.String()),
                          metadata={"description": "Every invalid field with its messages."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


# What the schemas' Function and Method fields serialise to (apispec cannot see it).
COMPUTED_FIELDS = {
    ("CaseStudyOutputSchema", "city"): {"type": "string"},
    ("CaseStudyOutputSchema", "country"): {"type": "string"},
    ("CaseStudyOutputSchema", "partners"): _array({"type": "string"}),
    ("CityDetailSchema", "case_studies"): _array(_ref("CaseStudyRef")),
    ("CityDetailSchema", "case_study_count"): {"type": "integer"},
    ("ConceptSchema", "label"): {"type": "string"},
    ("ConceptSchema", "labels"): {"type": "object", "additionalProperties": {
        "type": "object", "properties": {"pref": {"type": "string"},
                                         "alt": _array({"type": "string"})}}},
    ("SearchHitSchema", "topics"): _array({"type": "string"}),
    ("SearchHitSchema", "score"): {"type": "number"},
    ("CollectionSummarySchema", "case_study_count"): {"type": "integer"},
    ("CollectionSchema", "case_study_count"): {"type": "integer"},
    ("CollectionSchema", "introduction_html"): {"type": "string"},
    ("CollectionSchema", "items"): _array(_ref("CollectionItem")),
    ("CollectionInputSchema", "saved_search"): {
        "type": "string", "nullable": True,
        "description": "Search words or a query string such as q=hydrogen&city=Dortmund; "
                       "its new matches are proposed to the curators."},
}


def _computed_field_types(self, field, **kwargs) -> dict:
    """apispec attribute function: the type of a computed field from COMPUTED_FIELDS."""
    if not isinstance(field, (fields.Function, fields.Method)) and field.name != "saved_search":
        return {}
    for cls in type(field.parent).__mro__:
        found = COMPUTED_FIELDS.get((cls.__name__, field.name))
        if found is not None:
            return dict(found)
    return {}


def _empty_means_default(self, field, ret, **kwargs) -> dict:
    """apispec parameter function: the query schemas drop empty values (`?page=` is page 1)."""
    return {"allowEmptyValue": True} if ret.get("in") == "query" else {}


def _schema_name(schema) -> str | None:
    """Named components for plain schemas; variants (only/exclude) are inlined."""
    if isinstance(schema, Schema) and (schema.only or schema.exclude or schema.partial):
        return None
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema") or None


# -- operations -----------------------------------------------------------------------

@dataclass
class Operation:
    method: str
    path: str  # relative to /api/v1, OpenAPI style: /case-studies/{slug}
    summary: str
    tag: str
    ok: tuple[int, str | None, str]  # status, component (None: no body), description
    description: str = ""
    query: type[Schema] | None = None
    body: str | None = None  # component of the JSON request body
    auth: str = "none"  # "none" | "optional" | "required"
    errors: tuple[int, ...] = (400, 503)
    example: dict | None = None  # request body example
    curl: str = ""


SLUG = {"in": "path", "name": "slug", "required": True, "schema": {"type": "string"},
        "description": "The resource's slug, as in its page address."}
READ_ERRORS = (400, 503)
ITEM_ERRORS = (404, 503)
WRITE_ERRORS = (400, 401, 403, 404, 503)
CASE_STUDY_EXAMPLE = {
    "title": "Hydrogen buses for the city fleet", "language": "en", "year": 2024,
    "summary": "Twenty fuel-cell buses on the city network.",
    "body": "The depot refuels **overnight** from a local electrolyser.",
    "topics": ["hydrogen"], "partners": ["Pittsburgh"],
    "translations": {"de": {"title": "Wasserstoffbusse für die städtische Flotte"}},
}
TOKEN = '-H "Authorization: Bearer $CITYEX_TOKEN"'
JSON = "-H 'Content-Type: application/json'"

OPERATIONS = [
    Operation("get", "/search", "Search case studies", "search", (200, "SearchPage", "Ranked hits "
              "with facet counts."), query=SearchParamsSchema,
              description="Full-text search across languages with disjunctive facets. Every "
              "facet parameter may repeat (`city=Dortmund&city=Buffalo`): values of one facet "
              "are OR-ed, facets AND-ed. An empty `q` browses all published case studies, "
              "newest first.", curl="curl '{base}/search?q=hydrogen&city=Dortmund&city=Buffalo'"),
    Operation("get", "/suggest", "Suggestions while typing", "search",
              (200, "SuggestResponse", "Topics, cities and case studies whose names start "
               "with q."), query=SuggestParamsSchema, curl="curl '{base}/suggest?q=wass'"),
    Operation("get", "/case-studies", "Published case studies", "case studies",
              (200, "CaseStudyList", "One page, newest first (without body and "
               "translations)."), query=PageParamsSchema,
              curl="curl '{base}/case-studies?page=2&per_page=50'"),
    Operation("get", "/case-studies/{slug}", "One case study", "case studies",
              (200, "CaseStudy", "The case study with body and translations."),
              auth="optional", errors=(401, 404, 503),
              description="Published case studies for everyone; drafts only for a token "
              "(or session) whose user may edit them.", curl="curl {base}/case-studies/SLUG"),
    Operation("post", "/case-studies", "Create a case study (draft)", "case studies",
              (201, "CaseStudy", "Created as a draft; `Location` is its address."),
              body="CaseStudyWrite", auth="required", errors=(400, 401, 403, 409, 503),
              example=CASE_STUDY_EXAMPLE,
              description="A contributor's case study belongs to their city; coordinators "
              "and admins name the `city`. Publish it with the publish endpoint.",
              curl=f"curl -X POST {{base}}/case-studies {TOKEN} {JSON} -d @case-study.json"),
    Operation("put", "/case-studies/{slug}", "Replace a case study", "case studies",
              (200, "CaseStudy", "Saved as a new revision."), body="CaseStudyWrite",
              auth="required", errors=WRITE_ERRORS + (409,),
              example={**CASE_STUDY_EXAMPLE, "expected_revision": 3},
              description="Every field as in the contribute form; fields left out become "
              "empty. With `expected_revision`, a save made meanwhile by someone else is "
              "refused with 409 instead of being overwritten.",
              curl=f"curl -X PUT {{base}}/case-studies/SLUG {TOKEN} {JSON} -d @case-study.json"),
    Operation("patch", "/case-studies/{slug}", "Change some fields of a case study",
              "case studies", (200, "CaseStudy", "Saved as a new revision."),
              body="CaseStudyPatch", auth="required", errors=WRITE_ERRORS + (409,),
              example={"year": 2025, "expected_revision": 3},
              description="Only the fields sent change.",
              curl=f"curl -X PATCH {{base}}/case-studies/SLUG {TOKEN} {JSON} "
                   "-d '{\"year\": 2025, \"expected_revision\": 3}'"),
    Operation("delete", "/case-studies/{slug}", "Delete a case study", "case studies",
              (204, None, "Deleted; it leaves the search index too."), auth="required",
              errors=(401, 403, 404, 503),
              curl=f"curl -X DELETE {{base}}/case-studies/SLUG {TOKEN}"),
    Operation("post", "/case-studies/{slug}/publish", "Publish a case study", "case studies",
              (200, "CaseStudy", "Published (or it was already): searchable."),
              auth="required", errors=(401, 403, 404, 503),
              curl=f"curl -X POST {{base}}/case-studies/SLUG/publish {TOKEN}"),
    Operation("post", "/case-studies/{slug}/unpublish", "Unpublish a case study",
              "case studies", (200, "CaseStudy", "A draft again (or it was already): no "
                                                 "longer searchable."),
              auth="required", errors=(401, 403, 404, 503),
              curl=f"curl -X POST {{base}}/case-studies/SLUG/unpublish {TOKEN}"),
    Operation("get", "/cities", "Cities of the network", "cities",
              (200, "CityList", "One page, by name."), query=PageParamsSchema,
              curl="curl {base}/cities"),
    Operation("get", "/cities/{slug}", "One city", "cities",
              (200, "CityDetail", "The city with its partnerships and published case "
                                  "studies."), errors=ITEM_ERRORS,
              curl="curl {base}/cities/dortmund"),
    Operation("get", "/partnerships", "Partnerships", "cities",
              (200, "PartnershipList", "One page, by name."), query=PageParamsSchema,
              curl="curl {base}/partnerships"),
    Operation("get", "/topics", "Thesaurus concepts", "search",
              (200, "ConceptList", "One page of concepts, labelled in ui_lang."),
              query=LocalizedPageParamsSchema, curl="curl '{base}/topics?ui_lang=de'"),
    Operation("get", "/collections", "Published collections", "collections",
              (200, "CollectionList", "One page, by title."), query=PageParamsSchema,
              curl="curl {base}/collections"),
    Operation("get", "/collections/{slug}", "One collection", "collections",
              (200, "Collection", "Its case studies in the curators' order."),
              auth="optional", errors=(401, 404, 503),
              description="Published collections for everyone; drafts for curators.",
              curl="curl {base}/collections/SLUG"),
    Operation("post", "/collections", "Create a collection", "collections",
              (201, "Collection", "Created; add case studies on its curate page."),
              body="CollectionInput", auth="required", errors=(400, 401, 403, 503),
              example={"title": "Hydrogen in public transport", "status": "draft",
                       "introduction": "What cities learned running **fuel-cell** buses.",
                       "saved_search": "q=hydrogen bus"},
              description="Coordinators and admins only.",
              curl=f"curl -X POST {{base}}/collections {TOKEN} {JSON} "
                   "-d '{\"title\": \"Hydrogen in public transport\"}'"),
    Operation("put", "/collections/{slug}", "Replace a collection's settings", "collections",
              (200, "Collection", "Saved."), body="CollectionInput", auth="required",
              errors=WRITE_ERRORS, example={"title": "Hydrogen in public transport",
                                            "status": "published", "featured": True},
              description="Coordinators and admins only. Fields left out take their "
                          "defaults (a draft, not featured).",
              curl=f"curl -X PUT {{base}}/collections/SLUG {TOKEN} {JSON} "
                   "-d '{\"title\": \"Hydrogen in public transport\", \"status\": \"published\"}'"),
    Operation("delete", "/collections/{slug}", "Delete a collection", "collections",
              (204, None, "Deleted; its case studies are untouched."), auth="required",
              errors=(401, 403, 404, 503), curl=f"curl -X DELETE {{base}}/collections/SLUG {TOKEN}"),
    Operation("get", "/audit", "The audit log (administrators)", "meta",
              (200, "AuditList", "One page, newest first."), query=PageParamsSchema,
              auth="required", errors=(400, 401, 403, 503),
              description="Who published, unpublished or deleted a case study, changed a "
              "role, created or revoked an API token, and which accounts were locked after "
              "failed logins. An administrator's token only.",
              curl=f"curl {{base}}/audit {TOKEN}"),
    Operation("get", "/openapi.json", "This document", "meta",
              (200, None, "The OpenAPI 3 document of the API."), errors=(503,),
              curl="curl {base}/openapi.json"),
]


@dataclass
class _Components:
    """The named schemas, registered before the paths refer to them."""

    schemas: dict[str, Schema] = field(default_factory=dict)

    @classmethod
    def build(cls) -> _Components:
        summary = CaseStudyOutputSchema(exclude=("body", "translations"))
        return cls({
            "Error": ErrorSchema(), "CaseStudyRef": CaseStudyRefSchema(),
            "CaseStudy": CaseStudyOutputSchema(), "CaseStudyWrite": CaseStudyWriteSchema(),
            "CaseStudyPatch": CaseStudyWriteSchema(partial=True),
            "CaseStudyList": pagination_schema(summary),
            "CityDetail": CityDetailSchema(),
            "CityList": pagination_schema(CityDetailSchema(exclude=("case_studies",))),
            "Partnership": PartnershipSchema(),
            "PartnershipList": pagination_schema(PartnershipSchema()),
            "Concept": ConceptSchema(), "ConceptList": pagination_schema(ConceptSchema()),
            "SearchPage": SearchPageSchema(), "SuggestResponse": SuggestResponseSchema(),
            "CollectionItem": CollectionItemSchema(), "Collection": CollectionSchema(),
            "CollectionSummary": CollectionSummarySchema(),
            "CollectionList": pagination_schema(CollectionSummarySchema()),
            "CollectionInput": CollectionInputSchema(),
            "AuditEntry": AuditEntrySchema(),
            "AuditList": pagination_schema(AuditEntrySchema()),
        })


def build_spec() -> dict:
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="CityExchange API", version=API_VERSION, openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "Case studies of partner cities, searchable across languages. "
                             "Reads are public; writes need a personal API token "
                             "(see /account/tokens)."},
        servers=[{"url": "/api/v1"}],
    )
    plugin.converter.add_attribute_function(_computed_field_types)
    plugin.converter.add_parameter_attribute_function(_empty_means_default)
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A personal API token from /account/tokens; it acts with its "
                       "user's permissions."})
    for name, schema in _Components.build().schemas.items():
        spec.components.schema(name, schema=schema)
    for path, operations in _paths().items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _paths() -> dict[str, dict]:
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return paths


def _operation(op: Operation) -> dict:
    operation = {
        "operationId": f"{op.method}{op.path.replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": op.summary, "tags": [op.tag], "responses": _responses(op),
    }
    if op.description:
        operation["description"] = op.description
    parameters = [SLUG] if "{slug}" in op.path else []
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    if parameters:
        operation["parameters"] = parameters
    if op.body:
        content = {"schema": _ref(op.body)}
        if op.example:
            content["example"] = op.example
        operation["requestBody"] = {"required": True, "content": {"application/json": content}}
    if op.auth == "required":
        operation["security"] = [{"bearerAuth": []}]
    elif op.auth == "optional":
        operation["security"] = [{"bearerAuth": []}, {}]
    if op.curl:
        source = op.curl.replace("{base}", BASE_VARIABLE)
        operation["x-codeSamples"] = [{"lang": "shell", "label": "curl", "source": source}]
    return operation


def _responses(op: Operation) -> dict:
    status, component, description = op.ok
    ok: dict = {"description": description}
    if component:
        ok["content"] = {"application/json": {"schema": _ref(component)}}
    if op.ok[0] == 201:
        ok["headers"] = {"Location": {"description": "The new resource's address.",
                                      "schema": {"type": "string"}}}
    responses = {str(status): ok}
    # Any request with a body can be too large (cityexchange.limits).
    for error in (*op.errors, *((413,) if op.body else ())):
        responses[str(error)] = _error_response(error)
    return responses


def _error_response(status: int) -> dict:
    response = {"description": ERROR_STATUSES[status],
                "content": {"application/json": {"schema": _ref("Error")}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {
            "description": "The Bearer challenge (RFC 6750).", "schema": {"type": "string"}}}
    return response


def get_spec(app: Flask) -> dict:
    """The document, built once per app."""
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = build_spec()
    return app.extensions["openapi"]
