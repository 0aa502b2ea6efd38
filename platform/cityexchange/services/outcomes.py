"""Outcome fields of a case study: project status, time span, budget, funding, results.

The outcome `project_status` (planned/running/completed) is not the workflow
status (draft/submitted/published); its search facet is called `status`.
"""

from __future__ import annotations

import re

from cityexchange.models import CO2_BANDS, CaseStudy

# Labels in the UI languages; other languages fall back to English.
PROJECT_STATUS_LABELS = {
    "en": {"planned": "planned", "running": "running", "completed": "completed"},
    "de": {"planned": "geplant", "running": "laufend", "completed": "abgeschlossen"},
    "fr": {"planned": "prévu", "running": "en cours", "completed": "terminé"},
    "nl": {"planned": "gepland", "running": "lopend", "completed": "afgerond"},
    "pl": {"planned": "planowany", "running": "w realizacji", "completed": "zakończony"},
    "es": {"planned": "previsto", "running": "en curso", "completed": "finalizado"},
    "it": {"planned": "previsto", "running": "in corso", "completed": "concluso"},
}
BUDGET_LABELS = {
    "lt-100k": "< 100k €",
    "100k-1m": "100k–1M €",
    "1m-10m": "1–10M €",
    "gt-10m": "> 10M €",
}

CO2_LABELS = {
    "lt-100": "< 100 t",
    "100-1k": "100–1,000 t",
    "1k-10k": "1,000–10,000 t",
    "gt-10k": "> 10,000 t",
}
# Upper bounds (exclusive) of the CO2 bands but the last, in CO2_BANDS order.
_CO2_LIMITS = (100, 1_000, 10_000)

FIELDS = ("project_status", "start_year", "end_year", "budget_range", "funding_programme",
          "measured_results", "co2_reduction_t_per_year", "people_reached")
_SPACES = re.compile(r"\s+")


def project_status_label(value: str, language: str) -> str:
    labels = PROJECT_STATUS_LABELS.get(language, PROJECT_STATUS_LABELS["en"])
    return labels.get(value, value)


def budget_label(value: str) -> str:
    return BUDGET_LABELS.get(value, value)


def co2_band(tonnes_per_year: float | None) -> str | None:
    """The `co2` facet band of a yearly CO2 saving: 250 -> "100-1k"."""
    if tonnes_per_year is None:
        return None
    for band, limit in zip(CO2_BANDS, _CO2_LIMITS):
        if tonnes_per_year < limit:
            return band
    return CO2_BANDS[-1]


def co2_label(value: str) -> str:
    return CO2_LABELS.get(value, value)


def funding_programmes(text: str) -> tuple[str, ...]:
    """The programmes named in the free text, one facet value each ("A; B" names two)."""
    found = (_SPACES.sub(" ", part).strip() for part in (text or "").split(";"))
    return tuple(dict.fromkeys(part for part in found if part))


def apply_outcomes(case_study: CaseStudy, data: dict) -> None:
    """Copy validated outcome fields (OutcomeInputSchema) onto a case study."""
    for name in FIELDS:
        value = data.get(name)
        if name in ("funding_programme", "measured_results"):
            value = value or ""
        setattr(case_study, name, value)


def outcome_snapshot(case_study: CaseStudy) -> dict:
    return {name: getattr(case_study, name) for name in FIELDS}


def search_facets(case_study: CaseStudy) -> dict[str, tuple[str, ...]]:
    """The outcome facets of the search document (indexer.query.FACETS `status`,
    `funding`, and the range facets `budget` and `co2`)."""
    facets = {}
    if case_study.project_status:
        facets["status"] = (case_study.project_status,)
    programmes = funding_programmes(case_study.funding_programme)
    if programmes:
        facets["funding"] = programmes
    if case_study.budget_range:
        facets["budget"] = (case_study.budget_range,)
    band = co2_band(case_study.co2_reduction_t_per_year)
    if band:
        facets["co2"] = (band,)
    return facets


def repeats_text(part: str, whole: str) -> bool:
    """True when `part` stands word for word in `whole` (spacing and Markdown marks aside):
    measured results that the body already says need not be shown twice."""
    def words(text: str) -> str:
        return " ".join(re.sub(r"[#*_>`-]+", " ", text or "").split()).casefold()
    part_words = words(part)
    return bool(part_words) and part_words in words(whole)


def tonnes(value: float) -> str:
    """1250.0 -> "1,250"; 12.5 -> "12.5" (one decimal at most)."""
    return f"{value:,.1f}".removesuffix(".0")


def time_span(case_study: CaseStudy) -> str:
    start, end = case_study.start_year, case_study.end_year
    if start and end:
        return str(start) if start == end else f"{start}–{end}"
    if start:
        return f"{start}–"
    return f"–{end}" if end else ""
