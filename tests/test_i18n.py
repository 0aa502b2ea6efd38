"""The German user interface (Flask-Babel) and the languages shown with each case study."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.factories import make_case_study

ROOT = Path(__file__).resolve().parents[1]  # the repository

CATALOGUE = ROOT / "translations" / "de" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def read_catalogue():
    with (CATALOGUE / "messages.po").open("rb") as file:
        return read_po(file, locale="de")


@pytest.fixture(autouse=True, scope="module")
def compiled_catalogue():
    """The .mo the app loads; compiled here when `make` has not (or the .po is newer)."""
    po, mo = CATALOGUE / "messages.po", CATALOGUE / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        partial = mo.with_name(f"messages.mo.{os.getpid()}")
        with partial.open("wb") as file:
            write_mo(file, read_catalogue())
        partial.replace(mo)  # atomic: a parallel run never reads half a file
    return mo


def text_of(response) -> str:
    return response.get_data(as_text=True)


def facet_headings(html: str) -> list[str]:
    return re.findall(r'<details class="facet"[^>]*>\s*<summary><h2>([^<]+)</h2>', html)


def topic_labels(html: str) -> list[str]:
    section = html.split('data-facet="topic"')[1].split('data-facet="language"')[0]
    return [label.strip() for label in re.findall(r"[☐☑] ([^<]+)</a>", section)]


# -- the catalogue ----------------------------------------------------------------------

def test_every_ui_string_has_a_german_translation():
    catalogue = read_catalogue()
    translated = {message.id for message in catalogue
                  if message.id and all(message.string if isinstance(message.string, tuple)
                                        else [message.string]) and not message.fuzzy}
    found = {message[2] if isinstance(message[2], str) else message[2][0]
             for message in _extract()}
    catalogue_ids = {m if isinstance(m, str) else m[0] for m in translated}
    missing = sorted(found - catalogue_ids)
    assert not missing, (f"{len(missing)} UI strings have no German translation, e.g. "
                         f"{missing[:5]}: run `make extract-translations` and fill in "
                         "translations/de/LC_MESSAGES/messages.po")


def _extract():
    method_map = [("platform/cityexchange/**.py", "python"), ("templates/**.html", "jinja2")]
    return extract_from_dir(str(ROOT), method_map=method_map, keywords=KEYWORDS)


def test_translations_keep_their_placeholders():
    problems = [(message.id, errors) for message, errors in read_catalogue().check() if errors]
    assert problems == []


# -- choosing the UI language -------------------------------------------------------------

@pytest.fixture
def hydrogen(app):
    return make_case_study("Hydrogen buses for the city fleet", city="Dortmund",
                           topics=["hydrogen"], body="Twenty fuel cell buses.", year=2024)


def test_search_page_in_german(client, hydrogen):
    html = text_of(client.get("/search?ui_lang=de"))
    assert '<html lang="de">' in html
    assert {"Stadt", "Thema", "Sprache", "Jahr", "Land"} <= set(facet_headings(html))
    assert "Wasserstoff" in topic_labels(html) and "Fallstudien durchsuchen" in html
    assert ">Suchen</button>" in html and "1 Fallstudie" in html


def test_search_page_in_english(client, hydrogen):
    html = text_of(client.get("/search?ui_lang=en"))
    assert '<html lang="en">' in html
    assert {"City", "Topic", "Language", "Year", "Country"} <= set(facet_headings(html))
    assert "hydrogen" in topic_labels(html) and "Wasserstoff" not in topic_labels(html)
    assert "1 case study" in html


def test_browser_language_picks_german_and_ui_lang_sticks(client, hydrogen):
    german = text_of(client.get("/search", headers={"Accept-Language": "de-DE,de;q=0.9"}))
    assert "Thema" in facet_headings(german)
    # Portuguese is no UI language: the next one the browser accepts wins.
    english = text_of(client.get("/search", headers={"Accept-Language": "pt, en;q=0.5"}))
    assert "Topic" in facet_headings(english)
    french = text_of(client.get("/search", headers={"Accept-Language": "fr-CH, en;q=0.5"}))
    assert "Thème" in facet_headings(french)
    client.get("/?ui_lang=de")
    assert "Thema" in facet_headings(text_of(client.get("/search")))
    client.get("/?ui_lang=en")
    assert "Topic" in facet_headings(text_of(client.get("/search")))


def test_contribute_form_and_messages_in_german(app, client, auth):
    auth.login(city="Dortmund")
    html = text_of(client.get("/contribute/new?ui_lang=de"))
    for label in ("Titel", "Zusammenfassung", "Themen", "Begriffe", "Übersetzungen", "Speichern"):
        assert f">{label}" in html, label
    response = client.post("/contribute/new", follow_redirects=True, data={
        "title": "Wasserstoffbusse", "body": "Zwanzig Brennstoffzellenbusse.", "language": "de"})
    assert "Entwurf „Wasserstoffbusse“ gespeichert (Revision 1)" in text_of(response)


# -- languages of a case study ------------------------------------------------------------

@pytest.fixture
def translated(app):
    return make_case_study(
        "Wasserstoffbusse für den Nahverkehr", city="Dortmund", language="de",
        body="Zwanzig Brennstoffzellenbusse.",
        translations={"en": {"title": "Hydrogen buses for local transport",
                             "body": "Twenty fuel cell buses."}})


def test_search_hit_offers_the_translation_in_the_readers_language(client, translated):
    english = text_of(client.get("/search?q=buses&ui_lang=en"))
    assert f'href="/case-studies/{translated.slug}?lang=en">also in English</a>' in english
    assert ">German</span>" in english  # the original language, named in the UI language
    german = text_of(client.get("/search?q=buses&ui_lang=de"))
    assert "?lang=" not in german  # the original already is in the reader's language


def test_case_study_page_shows_the_asked_translation_first(client, translated):
    original = text_of(client.get(f"/case-studies/{translated.slug}?ui_lang=en"))
    assert "<h1>Wasserstoffbusse für den Nahverkehr</h1>" in original
    assert f'href="/case-studies/{translated.slug}?lang=en">also in English</a>' in original

    html = text_of(client.get(f"/case-studies/{translated.slug}?lang=en"))
    assert "<h1>Hydrogen buses for local transport</h1>" in html
    assert "German (original): Wasserstoffbusse für den Nahverkehr" in html
    assert html.index("<h1>") < html.index("German (original)")
    # A language it has no translation into shows the original.
    unknown = text_of(client.get(f"/case-studies/{translated.slug}?lang=pl"))
    assert "<h1>Wasserstoffbusse für den Nahverkehr</h1>" in unknown
