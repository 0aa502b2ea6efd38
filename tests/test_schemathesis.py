"""schemathesis against /api/v1/openapi.json on a seeded app: no 5xx, answers as documented.

Every operation gets generated requests (valid ones, then schema-violating ones
that must be refused with a 4xx); writes carry a coordinator's bearer token.
Operations on one resource also run against seeded slugs, so the success
answers are checked too, not only the 404s. Deterministic: derandomized,
no example database. Record counts in docs/reliability.md ("API fuzzing").
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cityexchange.extensions import db
from cityexchange.openapi import get_spec
from cityexchange.services import api_tokens
from cityexchange.services import collections as collections_service
from tests.factories import make_case_study, make_partnership, make_user

EXAMPLES = 20  # per operation and round; the whole run stays well under a minute
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Seeded resources the slug rounds address; deleting ones are their own.
SLUGS = {
    ("GET", "/case-studies/{slug}"): "hydrogen-buses",
    ("PUT", "/case-studies/{slug}"): "hydrogen-buses",
    ("PATCH", "/case-studies/{slug}"): "hydrogen-buses",
    ("POST", "/case-studies/{slug}/publish"): "heat-pumps-draft",
    ("POST", "/case-studies/{slug}/unpublish"): "youth-exchange",
    ("DELETE", "/case-studies/{slug}"): "to-be-deleted",
    ("GET", "/cities/{slug}"): "dortmund",
    ("GET", "/collections/{slug}"): "hydrogen-collection",
    ("PUT", "/collections/{slug}"): "hydrogen-collection",
    ("DELETE", "/collections/{slug}"): "collection-to-delete",
}


def seed() -> tuple[str, str]:
    """Case studies in three cities (one a draft), a partnership, two collections; the
    tokens of a Dortmund coordinator and of a Buffalo contributor."""
    make_case_study("Hydrogen buses", slug="hydrogen-buses", year=2023, topics=["hydrogen"],
                    partners=["Pittsburgh"], translations={"de": {"title": "Wasserstoffbusse"}})
    make_case_study("Jugendaustausch mit Buffalo", slug="youth-exchange", city="Buffalo",
                    year=2021)
    make_case_study("Heat pumps (draft)", slug="heat-pumps-draft", publish=False)
    make_case_study("Soon gone", slug="to-be-deleted", city="Oklahoma City")
    make_partnership("dortmund-buffalo", "Dortmund–Buffalo", ["Dortmund", "Buffalo"])
    coordinator = make_user("coordinator", city="Dortmund")
    for title in ("Hydrogen collection", "Collection to delete"):
        collection = collections_service.create_collection(
            collections_service.CollectionInputSchema().load(
                {"title": title, "status": "published", "introduction": "Why *these*."}),
            owner=coordinator)
        case_study = collections_service.find_published_case_study("hydrogen-buses")
        collections_service.add_item(collection, case_study, "The first fleet.")
    secret = api_tokens.create_token(coordinator, "schemathesis").secret
    contributor = api_tokens.create_token(make_user("contributor", city="Buffalo"), "other")
    db.session.remove()
    return secret, contributor.secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


class Run:
    """Generated cases per operation and the failures found (collected, not shrunk)."""

    def __init__(self, secret: str):
        self.headers = bearer(secret)
        self.cases: Counter = Counter()
        self.statuses: Counter = Counter()
        self.failures: dict[str, list[str]] = {}

    def explore(self, operation, mode, checks, headers=None, **fixed) -> None:
        label = f"{operation.method.upper()} {operation.path}"

        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], print_blob=False,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.data_too_large])
        def one(case):
            self.cases[mode.value] += 1
            try:
                response = case.call_and_validate(headers=headers or self.headers,
                                                  checks=checks)
                self.statuses[response.status_code] += 1
            except (Failure, FailureGroup) as failure:
                self.failures.setdefault(label, []).append(
                    f"{case.as_curl_command()}\n{str(failure)[:2000]}")

        try:
            one()
        except Unsatisfiable:
            # Nothing of this operation can be made schema-violating (a free-form slug).
            assert mode is schemathesis.GenerationMode.NEGATIVE, label


def rejection_checks(spec: dict, operation) -> list:
    """negative_data_rejection for query parameters; not for repeatable lists or bodies.

    On the wire every query value is a string, so a "wrong type" schemathesis makes
    for a list parameter (`topic=false` from a boolean) arrives as a valid one-value
    list. JSON bodies go through the pages' schemas, which accept what a form sends
    ("" for null, "2024" for 2024, "a, b" for a list) on purpose. Those cases still
    run every other check: no 5xx, and each answer as documented.
    """
    documented = spec["paths"][operation.path][operation.method.lower()]
    lists = [p for p in documented.get("parameters", [])
             if p["in"] == "query" and p["schema"].get("type") == "array"]
    return [] if lists or "requestBody" in documented else [negative_data_rejection]


def operations(schema) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    # Deletions last, so the other operations still find what they address.
    return sorted(found, key=lambda op: op.method.upper() == "DELETE")


def test_the_api_answers_every_generated_request_as_documented(app):
    coordinator, contributor = seed()
    run = Run(coordinator)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    spec = get_spec(app)
    positive, negative = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE

    for operation in operations(schema):
        run.explore(operation, positive, CHECKS)
        slug = SLUGS.get((operation.method.upper(), operation.path))
        if slug:
            if operation.method.upper() != "GET":  # another city's contributor: 403s
                run.explore(operation, positive, CHECKS, headers=bearer(contributor),
                            path_parameters={"slug": slug})
            run.explore(operation, positive, CHECKS, path_parameters={"slug": slug})
        run.explore(operation, negative, CHECKS + rejection_checks(spec, operation))

    report = "\n\n".join(f"== {label}: {len(found)} failing cases\n" + "\n--\n".join(found[:3])
                         for label, found in run.failures.items())
    assert not run.failures, report
    print(f"\nschemathesis: {sum(run.cases.values())} cases ({dict(run.cases)}), "
          f"statuses {dict(sorted(run.statuses.items()))}")
    # The run reached the success answers, not only the errors.
    assert {200, 201, 204, 400, 401, 403, 404, 409} <= set(run.statuses)
    assert sum(run.cases.values()) >= 20 * len(SLUGS)
