"""CityExchange: the Flask portal. `create_app` is the application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from cityexchange import (
    auth,
    errors,
    i18n,
    limits,
    search_engine,
    security,
    sqlite_tuning,
    views_support,
)
from cityexchange.blueprints import register_blueprints
from cityexchange.cli import register_commands
from cityexchange.extensions import csrf, db, migrate
from cityexchange.json_provider import OrjsonProvider
from cityexchange.logging_setup import configure_logging
from cityexchange.settings import INSTANCE_DIR, STATIC_DIR, TEMPLATE_DIR, load_settings


def create_app(config: dict | None = None) -> Flask:
    """Defaults, then environment, then the caller's dict (tests)."""
    settings = load_settings(config)
    app = Flask(
        __name__,
        template_folder=str(TEMPLATE_DIR),
        static_folder=str(STATIC_DIR),
        instance_path=str(INSTANCE_DIR),
        instance_relative_config=True,
    )
    app.json = OrjsonProvider(app)
    app.config.update(settings)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    configure_logging(settings["LOG_LEVEL"])

    db.init_app(app)
    sqlite_tuning.init_app(app)
    # Batch mode lets later migrations alter SQLite tables.
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    csrf.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    search_engine.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    limits.init_app(app)
    views_support.init_app(app)
    register_blueprints(app)
    register_commands(app)
    return app


def _migrations_dir():
    return Path(__file__).parent / "migrations"
