"""/api/docs: the API reference, rendered on the server from the OpenAPI document.

No script and no CDN: the page is plain HTML made from /api/v1/openapi.json,
so it documents exactly what the API validates.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup, escape

from cityexchange.openapi import BASE_VARIABLE, get_spec

bp = Blueprint("api_docs", __name__)

REF_PREFIX = "#/components/schemas/"
_CODE = re.compile(r"`([^`]+)`")
CONSTRAINTS = (("minLength", "at least {} characters"), ("maxLength", "at most {} characters"),
               ("minimum", "≥ {}"), ("maximum", "≤ {}"), ("maxItems", "at most {} values"),
               ("pattern", "matches {}"))


@bp.get("/api/docs")
def docs():
    spec = get_spec(current_app)
    base = request.host_url.rstrip("/") + spec["servers"][0]["url"]
    return render_template(
        "api/docs.html", spec=spec, base=base, base_variable=BASE_VARIABLE,
        tags=_operations_by_tag(spec, base), code=inline_code,
        schemas=[(name, _properties(schema)) for name, schema in
                 sorted(spec["components"]["schemas"].items())],
    )


def inline_code(text: str) -> Markup:
    """`word` in the document's descriptions as <code>; everything else escaped."""
    return Markup(_CODE.sub(r"<code>\1</code>", str(escape(text))))


def _operations_by_tag(spec: dict, base: str) -> dict[str, list[dict]]:
    tags: dict[str, list[dict]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            tags.setdefault(operation["tags"][0], []).append(_operation(path, method, operation,
                                                                        base))
    return tags


def _operation(path: str, method: str, operation: dict, base: str) -> dict:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    security = operation.get("security") or []
    return {
        "id": operation["operationId"], "method": method.upper(), "path": path,
        "summary": operation["summary"], "description": operation.get("description", ""),
        "auth": ("optional" if {} in security else "required") if security else "",
        "parameters": [_parameter(p) for p in operation.get("parameters", [])],
        "body": _type_text(body["schema"]) if body else None,
        "body_schema": _ref_name(body["schema"]) if body else None,
        "example": json.dumps(body["example"], indent=2, ensure_ascii=False)
        if body and "example" in body else None,
        "responses": [(status, response["description"], _response_schema(response))
                      for status, response in operation["responses"].items()],
        "curl": [sample["source"].replace(BASE_VARIABLE, base)
                 for sample in operation.get("x-codeSamples", [])],
    }


def _parameter(parameter: dict) -> dict:
    schema = parameter.get("schema", {})
    return {"name": parameter["name"], "in": parameter["in"],
            "required": parameter.get("required", False),
            "type": _type_text(schema),
            "repeatable": parameter.get("explode", False) and schema.get("type") == "array",
            "description": parameter.get("description") or schema.get("description", ""),
            "constraints": _constraints(schema.get("items", schema) if schema.get(
                "type") == "array" else schema)}


def _response_schema(response: dict) -> str | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return _ref_name(schema) if schema else None


def _properties(schema: dict) -> list[dict]:
    required = set(schema.get("required", []))
    return [{"name": name, "type": _type_text(prop), "required": name in required,
             "ref": _ref_name(prop.get("items", prop)),
             "description": prop.get("description", ""), "constraints": _constraints(prop)}
            for name, prop in schema.get("properties", {}).items()]


def _ref_name(schema: dict | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.removeprefix(REF_PREFIX) if ref.startswith(REF_PREFIX) else None


def _type_text(schema: dict) -> str:
    """A JSON schema as a person reads it: "array of string", "integer or null"."""
    if not schema:
        return "any"
    name = _ref_name(schema)
    if name:
        return name
    kind = schema.get("type", "any")
    if kind == "array":
        text = f"array of {_type_text(schema.get('items', {}))}"
    elif kind == "object" and "additionalProperties" in schema:
        text = f"object of {_type_text(schema['additionalProperties'])}"
    elif kind == "object" and "properties" in schema:
        text = "object {" + ", ".join(schema["properties"]) + "}"
    else:
        text = kind + (f" ({schema['format']})" if "format" in schema else "")
    return text + (" or null" if schema.get("nullable") else "")


def _constraints(schema: dict) -> str:
    parts = [template.format(schema[key]) for key, template in CONSTRAINTS if key in schema]
    if "enum" in schema:
        parts.append("one of " + ", ".join(str(v) for v in schema["enum"] if v is not None))
    if schema.get("default") not in (None, "", [], {}):
        parts.append(f"default {schema['default']}")
    return "; ".join(parts)
