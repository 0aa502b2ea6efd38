"""UI language: ?ui_lang=, then the session, then the browser's Accept-Language."""

from __future__ import annotations

from flask import Flask, current_app, request, session

from flask_babel import refresh

from cityexchange.extensions import babel
from cityexchange.settings import TRANSLATIONS_DIR


def select_ui_language() -> str:
    supported = current_app.config["UI_LANGUAGES"]
    requested = request.args.get("ui_lang")
    if requested in supported:
        session["ui_lang"] = requested
        return requested
    if session.get("ui_lang") in supported:
        return session["ui_lang"]
    return request.accept_languages.best_match(supported) or current_app.config[
        "DEFAULT_UI_LANGUAGE"
    ]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_ui_language)
    # Flask-Babel caches the locale on `g`; where one app context spans several
    # requests (the test client inside an app context), each request chooses anew.
    app.before_request(refresh)
