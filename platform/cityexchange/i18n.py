"""UI language: ?ui_lang=, then the session, then the browser's Accept-Language.

Names of languages follow the UI language (CLDR data from Babel): a French reader sees
"allemand", a Polish one "niemiecki". Only the language chooser uses each language's own
name (indexer.analysis.LANGUAGE_NAMES), so a reader finds their language in any UI.
"""

from __future__ import annotations

import functools

from babel import Locale
from flask import Flask, current_app, has_request_context, request, session

from flask_babel import get_locale, refresh

from cityexchange.extensions import babel
from cityexchange.settings import TRANSLATIONS_DIR


def select_ui_language() -> str:
    supported = current_app.config["UI_LANGUAGES"]
    if not has_request_context():  # the CLI: messages in the default language
        return current_app.config["DEFAULT_UI_LANGUAGE"]
    requested = request.args.get("ui_lang")
    if requested in supported:
        session["ui_lang"] = requested
        return requested
    if session.get("ui_lang") in supported:
        return session["ui_lang"]
    # In the browser's order of preference, a regional tag counting as its language:
    # "fr-CH, en;q=0.5" is French (werkzeug's best_match would pick the exact "en").
    for value, _quality in request.accept_languages:
        primary = value.replace("_", "-").split("-")[0].lower()
        if primary in supported:
            return primary
    return current_app.config["DEFAULT_UI_LANGUAGE"]


@functools.lru_cache(maxsize=64)
def _names(ui_lang: str) -> dict[str, str]:
    return dict(Locale.parse(ui_lang).languages)


def current_ui_language() -> str:
    if has_request_context():
        return str(get_locale() or current_app.config["DEFAULT_UI_LANGUAGE"])
    return "en"


def language_word(code: str, ui_lang: str | None = None) -> str:
    """A language's name as the UI language writes it inside a sentence ("en allemand")."""
    return _names(ui_lang or current_ui_language()).get(code, code)


def language_label(code: str, ui_lang: str | None = None) -> str:
    """A language's name as a label or badge: capitalised ("Allemand", "Niemiecki")."""
    word = language_word(code, ui_lang)
    return word[:1].upper() + word[1:]


@functools.lru_cache(maxsize=64)
def _territories(ui_lang: str) -> dict[str, str]:
    return dict(Locale.parse(ui_lang).territories)


def country_name(code: str, ui_lang: str | None = None) -> str:
    """"DE" as the UI language names it: Germany, Allemagne, Niemcy."""
    return _territories(ui_lang or current_ui_language()).get(code.upper(), code)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_ui_language)
    # Flask-Babel caches the locale on `g`; where one app context spans several
    # requests (the test client inside an app context), each request chooses anew.
    app.before_request(refresh)
