"""Schema creation and upgrades through Alembic (Flask-Migrate)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_migrate import upgrade


def init_database() -> None:
    """Bring the database to the newest migration (creates it when missing)."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(directory=current_app.extensions["migrate"].directory)
