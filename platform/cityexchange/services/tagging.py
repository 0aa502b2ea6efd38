"""Thesaurus concepts of a case study: found in its texts, confirmed or removed by people.

Rule on every save: concepts = the ones given (kept) + every concept found in
the original text and the translations (each in its own language), minus the
dismissed ones. A concept a contributor unticks is remembered as dismissed, so
detection never adds it back; ticking it again takes it out of that list.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale, gettext

from cityexchange.markdown import plain_text
from cityexchange.models import CaseStudy
from cityexchange.thesaurus import get_thesaurus
from indexer.analysis import detect_language, fold

# Form fields of the concept checkboxes: ticked ids, every id shown, typed additions.
FORM_FIELDS = ("concepts", "concepts_offered", "concepts_add")


def find_in_texts(texts: list[tuple[str, str]]) -> list[str]:
    """Concept ids found in (language, text) pairs, in order of appearance."""
    thesaurus = get_thesaurus()
    found: list[str] = []
    for language, text in texts:
        for concept_id in thesaurus.find_concepts(text, language):
            if concept_id not in found:
                found.append(concept_id)
    return found


def _text(title: str, summary: str, body: str) -> str:
    return " \n ".join([title or "", summary or "", plain_text(body)])


def detect_concepts(case_study: CaseStudy) -> list[str]:
    texts = [(case_study.language, _text(case_study.title, case_study.summary, case_study.body))]
    texts += [(t.language, _text(t.title, t.summary, t.body)) for t in case_study.translations]
    return find_in_texts(texts)


def apply_concepts(case_study: CaseStudy, data: dict) -> None:
    """Set concepts from validated input (after text and translations are set)."""
    kept = list(data.get("concepts") or [])
    dismissed = set(case_study.dismissed_concepts or []) | set(data.get("dismissed_concepts") or [])
    dismissed -= set(kept)
    detected = [c for c in detect_concepts(case_study) if c not in dismissed]
    case_study.concepts = list(dict.fromkeys(kept + detected))
    case_study.dismissed_concepts = sorted(dismissed)


def unknown_concepts(ids: list[str]) -> list[str]:
    thesaurus = get_thesaurus()
    return [concept_id for concept_id in ids if concept_id not in thesaurus]


# -- the contribute form ----------------------------------------------------------------

@dataclass(frozen=True)
class ConceptChoice:
    id: str
    label: str
    checked: bool


def _split(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in (value or "").split(",") if part.strip()))


def form_values(form) -> dict[str, str]:
    """The concept fields of a posted form (a MultiDict), kept as strings like the others."""
    return {"concepts": ",".join(form.getlist("concepts")),
            "concepts_offered": ",".join(form.getlist("concepts_offered")),
            "concepts_add": form.get("concepts_add", "")}


def case_study_values(case_study: CaseStudy) -> dict[str, str]:
    concepts = list(case_study.concepts or [])
    shown = concepts + [c for c in case_study.dismissed_concepts or [] if c not in concepts]
    return {"concepts": ",".join(concepts), "concepts_offered": ",".join(shown),
            "concepts_add": ""}


def form_input(values: dict, add_error) -> dict:
    """Schema input from the checkboxes: ticked and typed ones kept, unticked ones dismissed."""
    added, unknown = resolve_labels(_split(values.get("concepts_add", "")))
    if unknown:
        add_error("concepts_add", gettext(
            "Unknown concept: %(words)s. Choose a concept of the thesaurus from the list; "
            "free words belong in Topics.", words=", ".join(unknown)))
    kept = list(dict.fromkeys(_split(values.get("concepts", "")) + added))
    offered = _split(values.get("concepts_offered", ""))
    return {"concepts": kept, "dismissed_concepts": [c for c in offered if c not in kept]}


def resolve_labels(words: list[str]) -> tuple[list[str], list[str]]:
    """(concept ids, words that name no concept): an id or a label in any language."""
    index = _label_index()
    ids, unknown = [], []
    for word in words:
        concept_id = word if word in get_thesaurus() else index.get(_key(word))
        (ids if concept_id else unknown).append(concept_id or word)
    return ids, unknown


def _key(text: str) -> str:
    return " ".join(fold(text.casefold()).split())


def _label_index() -> dict[str, str]:
    """Folded label in any language -> concept id; built once per thesaurus."""
    thesaurus = get_thesaurus()
    index = getattr(thesaurus, "_portal_label_index", None)
    if index is None:
        index = {}
        for concept in thesaurus.concepts.values():
            for language in concept.pref:
                for label in concept.labels(language):
                    index.setdefault(_key(label), concept.id)
        thesaurus._portal_label_index = index
    return index


def form_choices(form) -> list[ConceptChoice]:
    """Checkboxes: the concepts shown before (ticked as they were), then newly found ones ticked.

    New ones come from the typed text, so a preview or a form with errors
    already shows what saving will tag.
    """
    values = form.values
    ticked = set(_split(values.get("concepts", "")))
    offered = _split(values.get("concepts_offered", ""))
    found = [c for c in find_in_texts(_form_texts(form)) if c not in offered]
    ui_lang = str(get_locale() or "en")
    thesaurus = get_thesaurus()
    ids = [c for c in offered + sorted(ticked - set(offered)) + found if c in thesaurus]
    return [ConceptChoice(c, thesaurus.label(c, ui_lang), c in ticked or c in found)
            for c in dict.fromkeys(ids)]


def _form_texts(form) -> list[tuple[str, str]]:
    values = form.values
    text = _text(values.get("title", ""), values.get("summary", ""), values.get("body", ""))
    if not text.strip():
        return []
    texts = [(values.get("language") or detect_language(text), text)]
    for block in form.translations:
        if block.get("language") and (block.get("title") or block.get("body")):
            texts.append((block["language"],
                          _text(block["title"], block.get("summary", ""), block.get("body", ""))))
    return texts


def concept_labels() -> list[str]:
    """Every concept's label in the UI language, sorted: suggestions for the add field."""
    thesaurus = get_thesaurus()
    ui_lang = str(get_locale() or "en")
    return sorted({c.label(ui_lang) for c in thesaurus.concepts.values()}, key=str.casefold)
