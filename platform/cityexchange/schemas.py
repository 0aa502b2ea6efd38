"""marshmallow schemas: every input is validated here, every output serialised here."""

from __future__ import annotations

import re

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from indexer.analysis import LANGUAGES

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_CHOICES = sorted(LANGUAGES)
MIN_YEAR, MAX_YEAR = 1900, 2100


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TranslationSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    summary = fields.String(load_default="", validate=validate.Length(max=5_000))
    body = fields.String(load_default="", validate=validate.Length(max=200_000))


class CaseStudyInputSchema(Schema):
    """A case study as a contributor, an importer or an API client sends it."""

    class Meta:
        unknown = EXCLUDE

    slug = fields.String(
        validate=validate.Regexp(SLUG_RE, error="use lower-case letters, digits and hyphens"),
        load_default=None,
    )
    title = fields.String(required=True, validate=validate.Length(min=3, max=300))
    summary = fields.String(load_default="", validate=validate.Length(max=5_000))
    body = fields.String(load_default="", validate=validate.Length(max=200_000))
    # Omitted: detected from the text.
    language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGE_CHOICES))
    year = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(MIN_YEAR, MAX_YEAR)
    )
    topics = fields.List(fields.String(validate=validate.Length(min=1, max=80)), load_default=list)
    partners = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                           load_default=list)
    translations = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGE_CHOICES)),
        values=fields.Nested(TranslationSchema),
        load_default=dict,
    )

    @pre_load
    def _clean(self, data, **kwargs):
        if not isinstance(data, dict):
            raise ValidationError("expected an object")
        data = {key: _strip(value) for key, value in data.items()}
        for key in ("slug", "language", "year"):
            if data.get(key) == "":
                data[key] = None
        for key in ("topics", "partners"):
            if isinstance(data.get(key), str):
                data[key] = [part.strip() for part in data[key].split(",") if part.strip()]
        return data

    @validates_schema
    def _translation_differs(self, data, **kwargs):
        language = data.get("language")
        if language and language in data.get("translations", {}):
            raise ValidationError(
                f"a translation into '{language}' duplicates the original language",
                "translations",
            )

    @post_load
    def _dedupe(self, data, **kwargs):
        data["topics"] = list(dict.fromkeys(data["topics"]))
        data["partners"] = list(dict.fromkeys(data["partners"]))
        return data


class ImportLineSchema(CaseStudyInputSchema):
    """One line of a JSON Lines import: a case study plus its city."""

    slug = fields.String(
        required=True,
        validate=validate.Regexp(SLUG_RE, error="use lower-case letters, digits and hyphens"),
    )
    city = fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = fields.String(
        load_default=None, validate=validate.Regexp(r"^[A-Z]{2}$", error="use an ISO code like DE")
    )


class CitySchema(Schema):
    slug = fields.String()
    name = fields.String()
    country = fields.String()
    region = fields.String()
    population = fields.Integer(allow_none=True)
    description = fields.String()
    industrial_legacy = fields.String()
    focus_themes = fields.List(fields.String())


class TranslationOutputSchema(Schema):
    language = fields.String()
    title = fields.String()
    summary = fields.String()
    body = fields.String()


class CaseStudyOutputSchema(Schema):
    slug = fields.String()
    title = fields.String()
    summary = fields.String()
    body = fields.String()
    language = fields.String()
    year = fields.Integer(allow_none=True)
    topics = fields.List(fields.String())
    status = fields.String()
    revision = fields.Integer()
    city = fields.Function(lambda cs: cs.city.name)
    country = fields.Function(lambda cs: cs.city.country)
    partners = fields.Function(lambda cs: [c.name for c in cs.partners])
    translations = fields.List(fields.Nested(TranslationOutputSchema))
    published_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()


class SearchParamsSchema(Schema):
    """GET /api/v1/search and the /search page: query string parameters."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=1_000))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    sort = fields.String(load_default=None, validate=validate.OneOf(["relevance", "newest"]))
    ui_lang = fields.String(load_default=None)


def pagination_schema(item_schema: Schema) -> Schema:
    """{"total", "page", "per_page", "items"} around a resource schema."""
    return Schema.from_dict(
        {
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "items": fields.List(fields.Nested(item_schema)),
        }
    )()
