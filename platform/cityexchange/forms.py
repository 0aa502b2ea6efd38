"""HTML form handling on top of the marshmallow schemas.

A form keeps what was typed as strings (so an error never loses it) and maps
marshmallow's nested error messages back onto the names of the form fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from cityexchange.schemas import OUTCOME_FIELDS, CaseStudyInputSchema
from cityexchange.services import tagging
from cityexchange.services.case_studies import case_study_fields
from cityexchange.validation_text import localised

TEXT_FIELDS = ("title", "summary", "body", "language", "year", "topics", "partners", "city")
TRANSLATION_FIELDS = ("language", "title", "summary", "body", "translator_kind", "translator")
MAX_TRANSLATIONS = 6


def translation_field(index: int, name: str) -> str:
    """The form field name of one part of a translation block."""
    return f"translations-{index}-{name}"


def _empty_translation() -> dict:
    return dict.fromkeys(TRANSLATION_FIELDS, "")


@dataclass
class CaseStudyForm:
    values: dict = field(
        default_factory=lambda: dict.fromkeys(
            TEXT_FIELDS + tagging.FORM_FIELDS + OUTCOME_FIELDS, ""))
    translations: list[dict] = field(default_factory=lambda: [_empty_translation()])
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Which block each translation language came from, to put its errors there.
    _language_index: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_request(cls, form: MultiDict) -> CaseStudyForm:
        values = {name: form.get(name, "") for name in TEXT_FIELDS}
        values.update(tagging.form_values(form))
        values.update({name: form.get(name, "") for name in OUTCOME_FIELDS})
        translations = []
        for index in range(MAX_TRANSLATIONS):
            block = {name: form.get(translation_field(index, name)) for name in TRANSLATION_FIELDS}
            if all(value is None for value in block.values()):
                break
            translations.append({name: value or "" for name, value in block.items()})
        return cls(values=values, translations=translations or [_empty_translation()])

    @classmethod
    def from_case_study(cls, case_study) -> CaseStudyForm:
        data = case_study_fields(case_study)
        values = {name: "" if data.get(name) is None else str(data[name])
                  for name in ("title", "summary", "body", "language", "year")}
        values["topics"] = ", ".join(data["topics"])
        values["partners"] = ", ".join(data["partners"])
        values["city"] = str(case_study.city_id)
        values.update(tagging.case_study_values(case_study))
        values.update(_outcome_values(data))
        translations = [{"language": language,
                         **{key: "" if value is None else value for key, value in text.items()}}
                        for language, text in data["translations"].items()]
        return cls(values=values, translations=translations or [_empty_translation()])

    @property
    def can_add_translation(self) -> bool:
        return len(self.translations) < MAX_TRANSLATIONS

    def add_translation(self) -> None:
        if self.can_add_translation:
            self.translations.append(_empty_translation())

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def validate(self) -> dict | None:
        """The validated data (CaseStudyInputSchema), or None with self.errors filled."""
        translations = self._translations_input()
        raw = {name: self.values[name] for name in TEXT_FIELDS if name != "city"}
        raw["translations"] = translations
        raw.update(tagging.form_input(self.values, self.add_error))
        raw.update({name: self.values.get(name, "") for name in OUTCOME_FIELDS})
        try:
            data = CaseStudyInputSchema().load(raw)
        except ValidationError as error:
            self._map_errors(localised(error.messages))
            return None
        return None if self.errors else data

    def _translations_input(self) -> dict:
        """Filled translation blocks keyed by language; blank blocks are left out."""
        result = {}
        for index, block in enumerate(self.translations):
            if not any(block[name].strip() for name in ("title", "summary", "body")):
                continue
            language = block["language"].strip()
            if not language:
                self.add_error(translation_field(index, "language"),
                               gettext("Choose the language of this translation."))
            elif language in result:
                self.add_error(translation_field(index, "language"),
                               gettext("There is already a translation into '%(language)s'.",
                                       language=language))
            else:
                result[language] = {name: block[name] for name in TRANSLATION_FIELDS[1:]}
                self._language_index[language] = index
        return result

    def _map_errors(self, messages: dict) -> None:
        for name, detail in messages.items():
            if name == "translations" and isinstance(detail, dict):
                self._map_translation_errors(detail)
            else:
                for message in _flatten(detail):
                    self.add_error(_error_field(name), message)

    def _map_translation_errors(self, detail: dict) -> None:
        for language, parts in detail.items():
            index = self._language_index.get(language, 0)
            for message in _flatten(parts.get("key", [])):
                self.add_error(translation_field(index, "language"), message)
            for part, messages in (parts.get("value") or {}).items():
                for message in _flatten(messages):
                    self.add_error(translation_field(index, part), message)


def _error_field(name: str) -> str:
    """The form field that shows a schema error (concept ids come from the concept fields)."""
    if name in TEXT_FIELDS or name in OUTCOME_FIELDS:
        return name
    return "concepts_add" if name in ("concepts", "dismissed_concepts") else "translations"


def _outcome_values(data: dict) -> dict[str, str]:
    """Outcome fields as the form shows them: blank when unset, numbers without a trailing .0."""
    values = {}
    for name in OUTCOME_FIELDS:
        value = data.get(name)
        if isinstance(value, float):
            value = format(value, "f").rstrip("0").rstrip(".")
        values[name] = "" if value is None else str(value)
    return values


def _flatten(detail) -> list[str]:
    """marshmallow messages may nest (list items by index); a person reads one line each."""
    if isinstance(detail, str):
        return [detail]
    if isinstance(detail, dict):
        return [f"item {int(key) + 1}: {message}" if isinstance(key, int) else message
                for key, value in detail.items() for message in _flatten(value)]
    return [message for item in detail for message in _flatten(item)]
