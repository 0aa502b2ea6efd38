"""Translation provenance: who translated, when, from which revision; is it out of date?

A translation is out of date when the original's text (title, summary, body)
changed in a revision after the one it was translated from. The revisions'
snapshots tell when the original text last changed; other edits (topics,
outcomes, another translation) do not make a translation stale.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from cityexchange.models import CaseStudy, Translation, utcnow

ORIGINAL_TEXT = ("title", "summary", "body", "language")


def original_changed_at(case_study: CaseStudy) -> int | None:
    """The revision number in which the original's text last changed (None: no history)."""
    changed, previous = None, None
    for revision in sorted(case_study.revisions, key=lambda r: r.number):
        text = tuple((revision.snapshot or {}).get(key) for key in ORIGINAL_TEXT)
        if text != previous:
            changed, previous = revision.number, text
    return changed


def is_out_of_date(translation: Translation) -> bool:
    if translation.source_revision is None or translation.case_study is None:
        return False
    changed = original_changed_at(translation.case_study)
    return changed is not None and changed > translation.source_revision


def stale_languages(case_study: CaseStudy) -> set[str]:
    """Languages of the translations that may be out of date."""
    changed = original_changed_at(case_study)
    if changed is None:
        return set()
    return {t.language for t in case_study.translations
            if t.source_revision is not None and changed > t.source_revision}


def apply_provenance(translation: Translation, data: dict, *, text_changed: bool,
                     next_revision: int) -> None:
    """Provenance keys given in `data` are recorded; a changed text dates itself.

    `next_revision`: the revision this save records, i.e. the original it was made from.
    """
    for key in ("translator_kind", "translator", "translated_at", "source_revision"):
        if key in data:
            setattr(translation, key, data[key] if key != "translator" else data[key] or "")
    if text_changed:
        if data.get("translated_at") is None:
            translation.translated_at = utcnow()
        if data.get("source_revision") is None:
            translation.source_revision = next_revision


def kinds(case_study: CaseStudy) -> tuple[str, ...]:
    """The search facet `translation`: "human" when every translation was made by a
    person, "machine" when any was machine-made; nothing when untranslated or unknown."""
    found = {t.translator_kind for t in case_study.translations}
    if not found:
        return ()
    if "machine" in found:
        return ("machine",)
    return ("human",) if found == {"human"} else ()


def language_name_in(code: str, ui_lang: str) -> str:
    """A language's name in the UI language ("German" in English, "Deutsch" in German)."""
    try:
        return Locale.parse(ui_lang).languages.get(code, code)
    except (ValueError, UnknownLocaleError):
        return code
