"""Template filters and globals shared by every page."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import get_locale
from flask_login import current_user

from cityexchange import auth
from cityexchange.i18n import country_name, language_label, language_word
from cityexchange.markdown import render_markdown
from indexer.analysis import LANGUAGE_NAMES


def init_app(app: Flask) -> None:
    app.add_template_filter(render_markdown, "markdown")
    # Labels and sentences in the UI language; `language_names` (each in its own name)
    # is for the language chooser.
    app.add_template_filter(lambda code: language_label(code), "language_name")
    app.add_template_filter(lambda code: language_word(code), "language_word")
    app.add_template_filter(lambda code: country_name(code or ""), "country_name")

    @app.context_processor
    def _globals():
        return {
            "ui_lang": str(get_locale() or app.config["DEFAULT_UI_LANGUAGE"]),
            "ui_languages": app.config["UI_LANGUAGES"],
            "can_edit": lambda case_study: auth.can_edit_case_study(current_user, case_study),
            "is_staff": auth.is_staff(current_user),
            "language_names": LANGUAGE_NAMES,
            "request_args": request.args,
        }
