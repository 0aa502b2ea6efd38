"""marshmallow schemas: every input is validated here, every output serialised here."""

from __future__ import annotations

import re
from datetime import datetime, timezone

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

from flask_babel import gettext, lazy_gettext

from cityexchange.models import BUDGET_RANGES, CO2_BANDS, PROJECT_STATUSES, TRANSLATOR_KINDS
from indexer.analysis import LANGUAGES
from indexer.query import FACETS, MAX_RESULT_WINDOW
from cityexchange.services.tagging import unknown_concepts
from cityexchange.services.provenance import is_out_of_date

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_CHOICES = sorted(LANGUAGES)
MIN_YEAR, MAX_YEAR = 1900, 2100


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# Control characters have no place in a case study: only tab and line breaks
# (CR LF, as browsers send a textarea) pass. NUL cannot even be stored in PostgreSQL.
_REFUSED_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_character(value) -> str | None:
    """The first control character anywhere in a value (strings, lists, dicts), as U+XXXX."""
    if isinstance(value, str):
        found = _REFUSED_CONTROL.search(value)
        return f"U+{ord(found.group()):04X}" if found else None
    items = value.items() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = _control_character(item)
        if found:
            return found
    return None


def refuse_control_characters(data: dict) -> None:
    """ValidationError naming every field that holds a control character."""
    errors = {}
    for key, value in data.items():
        found = _control_character(value)
        if found:
            errors[key] = [f"contains the control character {found}; remove it (only tab and "
                           "line breaks are allowed)"]
    if errors:
        raise ValidationError(errors)


class TranslationSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    summary = fields.String(load_default="", validate=validate.Length(max=5_000))
    body = fields.String(load_default="", validate=validate.Length(max=200_000))
    # Provenance (all optional). A key left out keeps what is recorded; when the
    # text changes, translated_at and source_revision default to this save.
    # Nested errors reach API callers under "translations": the messages name the key.
    translator_kind = fields.String(allow_none=True, validate=validate.OneOf(
        TRANSLATOR_KINDS, error=lazy_gettext("translator_kind: use one of {choices}")))
    translator = fields.String(validate=validate.Length(
        max=200, error=lazy_gettext("translator: at most {max} characters")))
    translated_at = fields.DateTime(allow_none=True, error_messages={
        "invalid": lazy_gettext("translated_at: use a date (2024-05-02) or an ISO 8601 time")})
    source_revision = fields.Integer(allow_none=True, validate=validate.Range(
        min=1, error=lazy_gettext("source_revision: the original's revision number, 1 or more")),
        error_messages={"invalid": lazy_gettext("source_revision: the original's revision number")})

    @pre_load
    def _clean_provenance(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in ("translator_kind", "translated_at", "source_revision"):
            if isinstance(data.get(key), str) and not data[key].strip():
                data[key] = None
        when = data.get("translated_at")
        if isinstance(when, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", when.strip()):
            data["translated_at"] = when.strip() + "T00:00:00"  # a date alone: that day
        if isinstance(data.get("translator"), str):
            data["translator"] = data["translator"].strip()
        return data

    @validates_schema
    def _machine_names_its_tool(self, data, **kwargs):
        if data.get("translator_kind") == "machine" and not data.get("translator"):
            raise ValidationError(gettext("translator: name the machine translation tool "
                                          "(e.g. DeepL)"), "translator")

    @post_load
    def _naive_utc(self, data, **kwargs):
        when = data.get("translated_at")
        if when is not None and when.tzinfo is not None:
            data["translated_at"] = when.astimezone(timezone.utc).replace(tzinfo=None)
        return data


OUTCOME_FIELDS = ("project_status", "start_year", "end_year", "budget_range",
                  "funding_programme", "measured_results", "co2_reduction_t_per_year",
                  "people_reached")


def _year_field():
    return fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(MIN_YEAR, MAX_YEAR))


def _choice(choices):
    return fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        choices, error=lazy_gettext("use one of: {choices}")))


class OutcomeInputSchema(Schema):
    """Optional outcome fields of a case study (import keys, form fieldset, API)."""

    project_status = _choice(PROJECT_STATUSES)
    start_year = _year_field()
    end_year = _year_field()
    budget_range = _choice(BUDGET_RANGES)
    funding_programme = fields.String(load_default="", validate=validate.Length(max=200))
    measured_results = fields.String(load_default="", validate=validate.Length(max=20_000))
    co2_reduction_t_per_year = fields.Float(
        load_default=None, allow_none=True, allow_nan=False,
        validate=validate.Range(min=0, max=1e9,
                                error=lazy_gettext("give tonnes per year, 0 or more")))
    people_reached = fields.Integer(
        load_default=None, allow_none=True,
        validate=validate.Range(min=0, max=10**10,
                                error=lazy_gettext("give a number of people, 0 or more")))

    @pre_load
    def _clean_outcomes(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in ("project_status", "start_year", "end_year", "budget_range",
                    "co2_reduction_t_per_year", "people_reached"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip() or None
        co2 = data.get("co2_reduction_t_per_year")
        if isinstance(co2, str) and co2.count(",") == 1 and "." not in co2:
            data["co2_reduction_t_per_year"] = co2.replace(",", ".")  # 12,5 (German)
        for key in ("funding_programme", "measured_results"):
            if data.get(key) is None and key in data:
                data[key] = ""
        return data

    @validates_schema(skip_on_field_errors=False)  # report it along with other field errors
    def _time_span(self, data, **kwargs):
        start, end = data.get("start_year"), data.get("end_year")
        if start is not None and end is not None and end < start:
            raise ValidationError(gettext(
                "the end year comes before the start year (%(start)d)", start=start), "end_year")


class CaseStudyInputSchema(OutcomeInputSchema):
    """A case study as a contributor, an importer or an API client sends it."""

    class Meta:
        unknown = EXCLUDE

    slug = fields.String(
        validate=validate.Regexp(SLUG_RE, error=lazy_gettext(
            "use lower-case letters, digits and hyphens")),
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
    # Thesaurus concept ids to keep; those found in the text are added unless
    # dismissed (services/tagging.py).
    concepts = fields.List(fields.String(validate=validate.Length(min=1, max=80)),
                           load_default=list)
    dismissed_concepts = fields.List(fields.String(validate=validate.Length(min=1, max=80)),
                                     load_default=list)

    @pre_load
    def _clean(self, data, **kwargs):
        if not isinstance(data, dict):
            raise ValidationError("expected an object")
        refuse_control_characters(data)
        data = {key: _strip(value) for key, value in data.items()}
        for key in ("slug", "language", "year"):
            if data.get(key) == "":
                data[key] = None
        for key in ("topics", "partners", "concepts", "dismissed_concepts"):
            if isinstance(data.get(key), str):
                data[key] = [part.strip() for part in data[key].split(",") if part.strip()]
        return data

    @validates_schema
    def _translation_differs(self, data, **kwargs):
        language = data.get("language")
        if language and language in data.get("translations", {}):
            raise ValidationError(gettext(
                "a translation into '%(language)s' duplicates the original language",
                language=language), "translations")

    @validates_schema
    def _known_concepts(self, data, **kwargs):
        for name in ("concepts", "dismissed_concepts"):
            unknown = unknown_concepts(data.get(name) or [])
            if unknown:
                raise ValidationError(gettext(
                    "unknown concept %(concepts)s: use thesaurus ids (GET /api/v1/topics); free "
                    "words belong in topics", concepts=", ".join(unknown)), name)

    @post_load
    def _dedupe(self, data, **kwargs):
        data["topics"] = list(dict.fromkeys(data["topics"]))
        data["partners"] = list(dict.fromkeys(data["partners"]))
        data["concepts"] = list(dict.fromkeys(data["concepts"]))
        return data


class CoordinatesSchema(Schema):
    """A city's position in WGS 84 degrees: both or neither."""

    class Meta:
        unknown = EXCLUDE

    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(
        min=-90, max=90, error=lazy_gettext("use degrees from {min} to {max}")))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(
        min=-180, max=180, error=lazy_gettext("use degrees from {min} to {max}")))

    @validates_schema
    def _both_or_neither(self, data, **kwargs):
        for given, missing in (("latitude", "longitude"), ("longitude", "latitude")):
            if data.get(given) is not None and data.get(missing) is None:
                raise ValidationError(gettext("give latitude and longitude together"), missing)


class ImportLineSchema(CaseStudyInputSchema, CoordinatesSchema):
    """One line of a JSON Lines import: a case study plus its city (and the city's
    coordinates, optional)."""

    slug = fields.String(
        required=True,
        validate=validate.Regexp(SLUG_RE, error=lazy_gettext(
            "use lower-case letters, digits and hyphens")),
    )
    city = fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[A-Z]{2}$", error=lazy_gettext("use an ISO code like DE")),
    )


class ContactInputSchema(Schema):
    """A city's contact person; consent counts only with the date it was given."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(load_default="", validate=validate.Length(max=200))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    consent = fields.Boolean(load_default=False)
    consent_date = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _consent_has_a_date(self, data, **kwargs):
        if data.get("consent") and data.get("consent_date") is None:
            raise ValidationError(gettext("give the date the consent was given"), "consent_date")


class CitySchema(Schema):
    slug = fields.String()
    name = fields.String()
    country = fields.String()
    region = fields.String()
    population = fields.Integer(allow_none=True)
    description = fields.String()
    industrial_legacy = fields.String()
    focus_themes = fields.List(fields.String())
    latitude = fields.Float(allow_none=True, metadata={
        "description": "WGS 84 degrees; null when unknown (the city is not on the map)."})
    longitude = fields.Float(allow_none=True, metadata={"description": "WGS 84 degrees."})


class TranslationOutputSchema(Schema):
    language = fields.String()
    title = fields.String()
    summary = fields.String()
    body = fields.String()
    translator_kind = fields.String(allow_none=True)
    translator = fields.String()
    translated_at = fields.Method("_translated_at", allow_none=True)
    source_revision = fields.Integer(allow_none=True)
    # The original's text changed after the revision it was translated from.
    out_of_date = fields.Function(is_out_of_date)

    def _translated_at(self, translation):
        return UtcDateTime().serialize("translated_at", translation)


class UtcDateTime(fields.DateTime):
    """The database keeps naive UTC; the API says so (RFC 3339 needs the offset)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class CaseStudyOutputSchema(Schema):
    slug = fields.String()
    title = fields.String()
    summary = fields.String()
    body = fields.String()
    language = fields.String()
    year = fields.Integer(allow_none=True)
    topics = fields.List(fields.String())
    concepts = fields.List(fields.String())
    status = fields.String()
    revision = fields.Integer()
    city = fields.Function(lambda cs: cs.city.name)
    country = fields.Function(lambda cs: cs.city.country)
    partners = fields.Function(lambda cs: [c.name for c in cs.partners])
    translations = fields.List(fields.Nested(TranslationOutputSchema))
    published_at = UtcDateTime(allow_none=True)
    updated_at = UtcDateTime()
    project_status = fields.String(allow_none=True)
    start_year = fields.Integer(allow_none=True)
    end_year = fields.Integer(allow_none=True)
    budget_range = fields.String(allow_none=True)
    funding_programme = fields.String()
    measured_results = fields.String()
    co2_reduction_t_per_year = fields.Float(allow_none=True)
    people_reached = fields.Integer(allow_none=True)


# Control characters (a NUL from "%00" among them) carry no meaning in a query.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_FILTER_VALUES = 50


def _clean_text(value):
    return _CONTROL.sub(" ", value).strip() if isinstance(value, str) else value


def _filter_values(value_validator=None) -> fields.List:
    return fields.List(
        fields.String(validate=value_validator or validate.Length(min=1, max=200)),
        load_default=list,
        validate=validate.Length(max=MAX_FILTER_VALUES,
                                 error=lazy_gettext("at most {max} values, please")),
    )


class PageParamsSchema(Schema):
    """page and per_page of a paginated list; empty values mean the default."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_RESULT_WINDOW))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))

    @pre_load
    def _drop_empty(self, data, **kwargs):
        cleaned = {}
        for key, value in data.items():
            value = [_clean_text(v) for v in value if _clean_text(v)] if isinstance(
                value, list) else _clean_text(value)
            if value not in ("", None):
                cleaned[key] = value
        return cleaned


class LocalizedPageParamsSchema(PageParamsSchema):
    """A paginated list whose labels come in the reader's language."""

    ui_lang = fields.String(load_default=None, validate=validate.OneOf(LANGUAGE_CHOICES))


# Bounds of the year range filter: it becomes one term per year in the engines.
YEAR_MIN, YEAR_MAX = 1900, 2100


class SearchParamsSchema(PageParamsSchema):
    """GET /api/v1/search and the /search page: query string parameters.

    Facet filters arrive as lists (one query parameter, repeated).
    """

    q = fields.String(load_default="", validate=validate.Length(max=1_000))
    sort = fields.String(load_default=None, validate=validate.OneOf(["relevance", "newest"]))
    ui_lang = fields.String(load_default=None, validate=validate.OneOf(LANGUAGE_CHOICES))
    city = _filter_values()
    country = _filter_values()
    topic = _filter_values()
    language = _filter_values()
    year = _filter_values(
        validate.Regexp(r"^\d{4}$", error=lazy_gettext("use a year such as 2024")))
    collection = _filter_values()
    partnership = _filter_values()
    status = _filter_values(validate.OneOf(
        PROJECT_STATUSES, error=lazy_gettext("use one of: {choices}")))
    funding = _filter_values()
    # Range facets in fixed bands, smallest first.
    budget = _filter_values(validate.OneOf(
        BUDGET_RANGES, error=lazy_gettext("use one of: {choices}")))
    co2 = _filter_values(validate.OneOf(CO2_BANDS, error=lazy_gettext("use one of: {choices}")))
    # Year as a from–to range (either end may be left open); it narrows `year`.
    year_from = fields.Integer(load_default=None, validate=validate.Range(
        min=YEAR_MIN, max=YEAR_MAX, error=lazy_gettext("use a year from {min} to {max}")))
    year_to = fields.Integer(load_default=None, validate=validate.Range(
        min=YEAR_MIN, max=YEAR_MAX, error=lazy_gettext("use a year from {min} to {max}")))
    # Only case studies whose every translation was made by a person (or by a machine).
    translation = _filter_values(validate.OneOf(
        TRANSLATOR_KINDS, error=lazy_gettext("use one of: {choices}")))

    @validates_schema
    def _within_window(self, data, **kwargs):
        if data["page"] * data["per_page"] > MAX_RESULT_WINDOW:
            raise ValidationError(gettext(
                "results beyond the first %(max)d are not served; narrow the search with words "
                "or filters", max=MAX_RESULT_WINDOW), "page")

    # "Only my words": search the words as typed, without their concepts' labels in
    # other languages.
    literal = fields.Boolean(load_default=False)

    @validates_schema
    def _year_range_in_order(self, data, **kwargs):
        if data.get("year_from") and data.get("year_to") and data["year_from"] > data["year_to"]:
            raise ValidationError(gettext("year_to must not be before year_from"), "year_to")

    @post_load
    def _dedupe(self, data, **kwargs):
        for name in FACETS:
            data[name] = list(dict.fromkeys(data[name]))
        return data


class SuggestParamsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=100))
    ui_lang = fields.String(load_default=None, validate=validate.OneOf(LANGUAGE_CHOICES))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=10))

    @pre_load
    def _drop_empty(self, data, **kwargs):
        return {k: _clean_text(v) for k, v in data.items() if _clean_text(v) not in ("", None)}


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


# -- outputs of the JSON API (and the pages where they agree) -------------------------

class CityRefSchema(Schema):
    slug = fields.String()
    name = fields.String()
    country = fields.String()


class CaseStudyRefSchema(Schema):
    slug = fields.String()
    title = fields.String()
    year = fields.Integer(allow_none=True)
    language = fields.String()


class PartnershipSchema(Schema):
    slug = fields.String()
    name = fields.String()
    kind = fields.String()
    since_year = fields.Integer(allow_none=True)
    description = fields.String()
    themes = fields.List(fields.String())
    cities = fields.List(fields.Nested(CityRefSchema))


class CityDetailSchema(CitySchema):
    """A city with its partnerships and published case studies."""

    partnerships = fields.List(fields.Nested(PartnershipSchema(exclude=("cities",))))
    case_studies = fields.Function(
        lambda city: CaseStudyRefSchema(many=True).dump(
            sorted((cs for cs in city.case_studies if cs.is_published),
                   key=lambda cs: (-(cs.year or 0), cs.title))
        )
    )
    case_study_count = fields.Function(
        lambda city: sum(1 for cs in city.case_studies if cs.is_published))


class ConceptSchema(Schema):
    """A thesaurus concept; `label` is in the reader's language."""

    def __init__(self, *, ui_lang: str = "en", **kwargs):
        super().__init__(**kwargs)
        self.ui_lang = ui_lang

    id = fields.String()
    label = fields.Method("_label")
    labels = fields.Function(
        lambda concept: {
            language: {"pref": pref, "alt": list(concept.alt.get(language, ()))}
            for language, pref in sorted(concept.pref.items())
        }
    )
    broader = fields.List(fields.String())
    narrower = fields.List(fields.String())
    related = fields.List(fields.String())

    def _label(self, concept) -> str:
        return concept.label(self.ui_lang)


class SuggestionSchema(Schema):
    text = fields.String()
    kind = fields.String()  # "topic" | "city" | "case_study"
    value = fields.String()
    url = fields.String()
    matched = fields.String()  # the label or title the prefix matched


class SuggestResponseSchema(Schema):
    q = fields.String()
    suggestions = fields.List(fields.Nested(SuggestionSchema))


class FacetOptionSchema(Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer()
    selected = fields.Boolean()


class SearchHitSchema(Schema):
    """A ranked hit: the case study as the database has it, plus what the engine found."""

    slug = fields.String(attribute="case_study.slug")
    title = fields.String(attribute="case_study.title")
    summary = fields.String(attribute="case_study.summary")
    city = fields.String(attribute="case_study.city.name")
    country = fields.String(attribute="case_study.city.country")
    language = fields.String(attribute="case_study.language")
    languages = fields.List(fields.String(), attribute="case_study.languages")
    year = fields.Integer(attribute="case_study.year", allow_none=True)
    topics = fields.Function(lambda item: list(item.case_study.topics or []))
    # Thesaurus concepts found in the text; the topic facet counts topics and these.
    concepts = fields.Function(lambda item: list(item.case_study.concepts or []))
    # Fused rank score (indexer/fusion.py): compare within one result list only.
    score = fields.Function(lambda item: round(item.score, 6))
    highlights = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    matched_languages = fields.List(fields.String())
    # Why it was found: "words", "concept", "meaning", "translation" (extension).
    reasons = fields.List(fields.String())


class RecognisedConceptSchema(Schema):
    """A thesaurus concept the search recognised in q; label in the UI language."""

    id = fields.String()
    label = fields.String()


class SearchPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer(attribute="request.page")
    per_page = fields.Integer(attribute="request.per_page")
    pages = fields.Integer()
    q = fields.String(attribute="request.q")
    sort = fields.String(attribute="request.sort")
    # Nested(many=True): one dump of the whole list (List(Nested) dumps each item on its
    # own, ~1 ms more for a page of 20 hits and ~100 facet values).
    hits = fields.Nested(SearchHitSchema, many=True, attribute="items")
    facets = fields.Dict(keys=fields.String(), values=fields.Nested(FacetOptionSchema, many=True))
    # Extensions of the contract (optional for clients): a spelling suggestion for q
    # (null when none) and the concepts q was expanded with, across languages.
    did_you_mean = fields.String(allow_none=True)
    concepts = fields.List(fields.Nested(RecognisedConceptSchema))
