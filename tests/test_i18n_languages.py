"""The user interface in all seven content languages: complete catalogues, no unmarked
text, and pages, flash messages, error pages and labels in the reader's language."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[1]  # the repository
from tests.factories import make_case_study
from tests.i18n_scan import (
    template_text_nodes,
    unmarked_in_python,
    unmarked_in_templates,
    words_needing_translation,
)

CATALOGUE_LANGUAGES = ("de", "fr", "nl", "pl", "es", "it")
UI_LANGUAGES = ("en", *CATALOGUE_LANGUAGES)
PLURAL_FORMS = {"de": 2, "fr": 2, "nl": 2, "pl": 3, "es": 2, "it": 2}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
# A translation may equal the English only where the word is the same in that language.
SAME_AS_ENGLISH = {
    "de": {"Name", "Feed", "Administrator", "Status", "Tokens", "Parameter", "In", "Schemas",
           "Revision", "Text", "Budget", "Markdown", "optional", "Indexer"},
    "fr": {"Actions", "Type", "Concepts", "original", "Population", "Collections", "Budget",
           "Markdown", "Date", "Action", "(import)", "Introduction", "Collection", "Pages"},
    "nl": {"Feed", "Status", "Tokens", "Parameter", "Type", "Markdown", "(import)", "Filters", "Indexer"},
    "pl": {"Administrator", "Status", "Markdown", "(import)"},
    "es": {"Tokens", "original", "Markdown"},
    "it": {"Feed", "Markdown", "Password"},
}
# The JSON API speaks English to programs (its field names and messages are documented
# in English); every page a person reads goes through the catalogues.
# Answers to programs (JSON API) and the command line (backups), read in English.
API_MODULES = {"blueprints/api.py", "blueprints/api_write.py", "blueprints/api_auth.py",
               "services/backup.py"}
TOOLS = ROOT / "tools"


def po_path(language: str) -> Path:
    return ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"


def read_catalogue(language: str):
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language)


@pytest.fixture(autouse=True, scope="module")
def compiled_catalogues():
    """The .mo files the app loads; compiled here when `make` has not (or a .po is newer)."""
    for language in CATALOGUE_LANGUAGES:
        po, mo = po_path(language), po_path(language).with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            partial = mo.with_name(f"messages.mo.{os.getpid()}")
            with partial.open("wb") as file:
                write_mo(file, read_catalogue(language))
            partial.replace(mo)  # atomic: a parallel run never reads half a file


def extracted_ids() -> set[str]:
    method_map = [("platform/cityexchange/**.py", "python"), ("templates/**.html", "jinja2")]
    found = extract_from_dir(str(ROOT), method_map=method_map, keywords=KEYWORDS)
    return {message[2] if isinstance(message[2], str) else message[2][0] for message in found}


def text_of(response) -> str:
    return response.get_data(as_text=True)


# -- the catalogues -----------------------------------------------------------------------

@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_every_ui_string_is_translated_and_none_is_fuzzy(language):
    catalogue = read_catalogue(language)
    done, open_ = set(), []
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            open_.append(key)
        else:
            done.add(key)
    missing = sorted(extracted_ids() - done)
    assert not open_ and not missing, (
        f"{language}: {len(open_)} untranslated or fuzzy, {len(missing)} not in the catalogue, "
        f"e.g. {(open_ + missing)[:5]}. Run `make extract-translations`, then "
        f"`tools/translations-missing {language}` and `tools/translations-fill`.")


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_plural_forms_match_the_language(language):
    catalogue = read_catalogue(language)
    assert catalogue.num_plurals == PLURAL_FORMS[language]
    for message in catalogue:
        if message.pluralizable:
            assert len(message.string) == PLURAL_FORMS[language], message.id
            assert all(message.string), message.id


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_translations_keep_placeholders_and_html(language):
    catalogue = read_catalogue(language)
    assert [(m.id, errors) for m, errors in catalogue.check() if errors] == []
    tag = re.compile(r"</?[a-z][^>]*>")
    for message in catalogue:
        if message.id and isinstance(message.id, str):
            assert sorted(tag.findall(message.string)) == sorted(tag.findall(message.id))


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_no_translation_is_a_copy_of_the_english(language):
    copies = {message.id for message in read_catalogue(language)
              if message.id and isinstance(message.id, str) and message.string == message.id}
    assert copies - SAME_AS_ENGLISH[language] == set(), (
        "translate these, or add them to SAME_AS_ENGLISH if the word really is the same")


def test_polish_uses_three_plural_forms(app):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("pl"):
        forms = [ngettext("%(num)d case study", "%(num)d case studies", n) for n in (1, 3, 5, 22)]
    assert forms == ["1 studium przypadku", "3 studia przypadków", "5 studiów przypadków",
                     "22 studia przypadków"]


# -- nothing unmarked ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def jinja():
    return Environment(extensions=["jinja2.ext.i18n"])


def test_templates_have_no_text_outside_the_catalogue(jinja):
    assert unmarked_in_templates(ROOT / "templates", jinja) == {}


def test_python_messages_a_person_reads_are_marked():
    assert unmarked_in_python(ROOT / "platform" / "cityexchange", API_MODULES) == []


def test_the_template_check_finds_unmarked_text_and_spares_names(jinja):
    found = template_text_nodes(
        '<h1>Search results</h1><p title="Remove filter">{{ _("ok") }}</p>'
        '<span class="{{ \'danger\' if x }}">{{ "Draft" if draft else _("Published") }}</span>'
        '{% trans %}Marked text{% endtrans %}<code>GET /api/v1/search</code>'
        '<p>CityExchange · 2024 — API: /api/v1/topics, openapi.json (CO₂)</p>', jinja)
    assert found == ["Search results", "title=Remove filter", "Draft"]


def test_the_python_check_finds_unmarked_flash_and_abort(tmp_path):
    (tmp_path / "view.py").write_text(
        "flash(f'Saved {title}.', 'success')\n"
        "flash(gettext('Saved %(t)s.', t=title), 'success')\n"
        "abort(404, description='There is no city.')\n"
        "abort(404, description=gettext('There is no city.'))\n"
        "form.add_error('city', 'Choose a city.')\n"
        "flash(message, 'info')\n"
        "raise ValidationError('Give a year.', 'year')\n"
        "year = fields.String(validate=validate.Length(max=4, error='At most four.'))\n"
        "raise ValidationError('expected form fields')\n"
        "raise ValidationError(gettext('Give a year.'), 'year')\n")
    found = unmarked_in_python(tmp_path, set())
    assert [line.split(":")[1] for line in found] == ["1", "3", "5", "7", "8"]


def test_words_that_need_no_translation():
    assert words_needing_translation("CityExchange · API · 2024 — /search?q=x · €") == []
    assert words_needing_translation("Deutsch · Français · Polski") == []
    assert words_needing_translation("Save") == ["Save"]


# -- pages in every language --------------------------------------------------------------

SEARCH_HEADING = {"en": "Search case studies", "de": "Fallstudien durchsuchen",
                  "fr": "Rechercher des études de cas", "nl": "Praktijkvoorbeelden doorzoeken",
                  "pl": "Przeszukaj studia przypadków", "es": "Buscar estudios de caso",
                  "it": "Cerca casi di studio"}
TOPIC_FACET = {"en": "Topic", "de": "Thema", "fr": "Thème", "nl": "Thema", "pl": "Temat",
               "es": "Tema", "it": "Tema"}
HYDROGEN = {"en": "hydrogen", "de": "Wasserstoff", "fr": "hydrogène", "nl": "waterstof",
            "pl": "wodór", "es": "hidrógeno", "it": "idrogeno"}
GERMAN = {"en": "German", "de": "Deutsch", "fr": "Allemand", "nl": "Duits", "pl": "Niemiecki",
          "es": "Alemán", "it": "Tedesco"}
GERMANY = {"en": "Germany", "de": "Deutschland", "fr": "Allemagne", "nl": "Duitsland",
           "pl": "Niemcy", "es": "Alemania", "it": "Germania"}
ONE_CASE_STUDY = {"en": "1 case study", "de": "1 Fallstudie", "fr": "1 étude de cas",
                  "nl": "1 praktijkvoorbeeld", "pl": "1 studium przypadku",
                  "es": "1 estudio de caso", "it": "1 caso di studio"}


def facet_section(html: str, facet: str) -> str:
    return html.split(f'data-facet="{facet}"')[1].split("</section>")[0]


@pytest.fixture
def hydrogen(app):
    return make_case_study("Wasserstoffbusse für die städtische Flotte", city="Dortmund",
                           language="de", topics=["hydrogen"],
                           body="Zwanzig Brennstoffzellenbusse.", year=2024)


@pytest.mark.parametrize("language", UI_LANGUAGES)
def test_search_page_in_each_language(client, hydrogen, language):
    html = text_of(client.get(f"/search?ui_lang={language}"))
    assert f'<html lang="{language}">' in html
    assert f"<h1>{SEARCH_HEADING[language]}</h1>" in html
    assert f"<h2>{TOPIC_FACET[language]}</h2>" in html
    # Thesaurus and language labels follow the UI language.
    assert f"☐ {HYDROGEN[language]}</a>" in facet_section(html, "topic")
    assert f"☐ {GERMAN[language]}</a>" in facet_section(html, "language")
    assert f"☐ {GERMANY[language]}</a>" in facet_section(html, "country")
    assert ONE_CASE_STUDY[language] in html


def test_language_chooser_lists_all_seven_in_their_own_names(client):
    html = text_of(client.get("/?ui_lang=pl"))
    chooser = html.split('class="ui-langs"')[1].split("</span>")[0]
    names = re.findall(r'lang="(\w+)" hreflang="\w+" class="ui-lang[^"]*"[^>]*>([^<]+)</a>',
                       chooser)
    assert names == [("en", "English"), ("de", "Deutsch"), ("fr", "Français"),
                     ("nl", "Nederlands"), ("pl", "Polski"), ("es", "Español"),
                     ("it", "Italiano")]
    assert 'aria-current="true">Polski</a>' in chooser


@pytest.mark.parametrize("language, title, message", [
    ("fr", "Page introuvable", "Il n&#39;existe pas d&#39;étude de cas publiée « nowhere »."),
    ("nl", "Niet gevonden", "Er is geen gepubliceerd praktijkvoorbeeld ‘nowhere’."),
    ("pl", "Nie znaleziono", "Nie ma opublikowanego studium przypadku „nowhere”."),
    ("es", "No encontrado", "No existe ningún estudio de caso publicado «nowhere»."),
    ("it", "Pagina non trovata", "Non esiste un caso di studio pubblicato «nowhere»."),
])
def test_error_pages_in_each_language(client, language, title, message):
    response = client.get(f"/case-studies/nowhere?ui_lang={language}")
    assert response.status_code == 404
    html = text_of(response)
    assert f"<h1>{title}</h1>" in html and message in html


def test_werkzeug_messages_are_replaced_by_translated_ones(client):
    html = text_of(client.get("/no-such-page?ui_lang=es"))
    assert "Esta página no existe." in html and "requested URL" not in html


def test_case_study_page_names_languages_in_the_ui_language(client):
    case_study = make_case_study(
        "Wasserstoffbusse für den Nahverkehr", city="Dortmund", language="de",
        body="Zwanzig Brennstoffzellenbusse.",
        translations={"fr": {"title": "Bus à hydrogène", "body": "Vingt bus."}})
    html = text_of(client.get(f"/case-studies/{case_study.slug}?lang=fr&ui_lang=fr"))
    assert "<h1>Bus à hydrogène</h1>" in html
    assert "Allemand (original): Wasserstoffbusse für den Nahverkehr" in html
    assert "Traduction ; l'original est en allemand" in html


def test_flash_messages_follow_the_ui_language(app, client, auth):
    auth.login(role="coordinator")
    client.get("/?ui_lang=it")
    response = client.post("/curate/collections/new", follow_redirects=True, data={
        "title": "Idrogeno nei trasporti", "status": "draft"})
    assert "«Idrogeno nei trasporti» creata. Ora aggiunga casi di studio" in text_of(response)


# -- the tools that keep the catalogues complete after a merge --------------------------

def test_missing_and_fill_tools_round_trip(tmp_path):
    """What the lead does after re-extracting: list what is missing, fill it in."""
    root = tmp_path / "repo"
    (root / "tools").mkdir(parents=True)
    for name in ("translations-missing", "translations-fill"):
        (root / "tools" / name).write_text((TOOLS / name).read_text())
    target = root / "translations" / "pl" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: pl\\n"\n'
        '"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && '
        '(n%100<10 || n%100>=20) ? 1 : 2);\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Save"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Saved %(title)s."\nmsgstr "Zapisz"\n\n'
        'msgid "%(num)d city"\nmsgid_plural "%(num)d cities"\nmsgstr[0] ""\nmsgstr[1] ""\n'
        'msgstr[2] ""\n', encoding="utf-8")

    def run(*args):
        return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              cwd=root)

    listed = run("tools/translations-missing", "pl")
    assert listed.returncode == 1
    assert json.loads(listed.stdout) == {"pl": {
        "Save": "", "Saved %(title)s.": "", "%(num)d city": ["", "", ""],
        "#plural %(num)d city": "%(num)d cities"}}

    answers = tmp_path / "pl.json"
    answers.write_text(json.dumps({"Save": "Zapisz", "Saved %(title)s.": "Zapisano.",
                                   "%(num)d city": ["%(num)d miasto", "%(num)d miasta",
                                                    "%(num)d miast"]}))
    refused = run("tools/translations-fill", "pl", str(answers))
    assert refused.returncode == 1 and "placeholders" in refused.stderr

    answers.write_text(json.dumps({"Save": "Zapisz", "Saved %(title)s.": "Zapisano %(title)s.",
                                   "%(num)d city": ["%(num)d miasto", "%(num)d miasta",
                                                    "%(num)d miast"]}))
    assert run("tools/translations-fill", "pl", str(answers)).returncode == 0
    assert run("tools/translations-missing", "pl").returncode == 0
    with (target / "messages.po").open("rb") as file:
        catalogue = read_po(file, locale="pl")
    assert not catalogue["Saved %(title)s."].fuzzy
    assert catalogue["%(num)d city"].string == ("%(num)d miasto", "%(num)d miasta",
                                                "%(num)d miast")


# -- marshmallow's own messages on forms --------------------------------------------------

def test_marshmallow_messages_are_localised_and_ours_kept(app):
    from cityexchange.validation_text import localised

    with app.test_request_context("/?ui_lang=es"):
        assert localised({
            "title": ["Missing data for required field."],
            "year": ["Must be greater than or equal to 1900 and less than or equal to 2100."],
            "translations": {"fr": {"value": {"body": ["Longer than maximum length 200."]}}},
            "city": ["Ya existe."],
        }) == {
            "title": ["Rellene este campo."],
            "year": ["Introduzca un número entre 1900 y 2100."],
            "translations": {"fr": {"value": {"body": [
                "Introduzca como máximo 200 caracteres."]}}},
            "city": ["Ya existe."],
        }


def test_contribute_form_errors_in_polish(client, auth):
    auth.login(city="Dortmund")
    client.get("/?ui_lang=pl")
    response = client.post("/contribute/new", data={
        "title": "", "body": "Dwadzieścia autobusów.", "language": "pl", "year": "dwa"})
    html = text_of(response)
    assert response.status_code == 400
    assert "Proszę poprawić pola oznaczone poniżej" in html
    assert "Proszę podać liczbę całkowitą." in html
    assert "Missing data" not in html and "Not a valid" not in html
