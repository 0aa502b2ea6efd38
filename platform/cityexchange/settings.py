"""Settings: defaults from config/settings.json, then CITYEX_* environment, then a test's dict."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sys
from importlib.resources import files
from pathlib import Path

from sqlalchemy.engine import make_url

ENV_PREFIX = "CITYEX_"


def package_folder(package: str) -> Path:
    """The folder of a data package (pyproject.toml maps config/, templates/ ... onto them).

    In a checkout it is the repository's folder, in an installed wheel the copy in
    site-packages. Flask and Babel need real folders, not a zip archive.
    """
    folder = files(package)
    if not isinstance(folder, Path):
        raise RuntimeError(f"{package} is not installed as a folder ({folder}): "
                           "install CityExchange unpacked (pip install)")
    return folder


CONFIG_DIR = package_folder("cityexchange_config")
TEMPLATE_DIR = package_folder("cityexchange.templates")
STATIC_DIR = package_folder("cityexchange.static")
TRANSLATIONS_DIR = package_folder("cityexchange.translations")


def _instance_dir() -> Path:
    """Where the SQLite file, the embedded index and the secret live by default.

    CITYEX_INSTANCE_PATH if set; in a source checkout its instance/ folder; when
    installed from a wheel Flask's convention, <prefix>/var/cityexchange-instance.
    """
    configured = os.environ.get(ENV_PREFIX + "INSTANCE_PATH")
    if configured:
        return Path(configured).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "platform").is_dir():
        return checkout / "instance"
    return Path(sys.prefix) / "var" / "cityexchange-instance"


INSTANCE_DIR = _instance_dir()


def _coerce(raw: str, default):
    """Environment values are strings; read them as the default's type."""
    if isinstance(default, bool) or default is None and raw.lower() in ("true", "false"):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load_settings(overrides: dict | None = None, environ=os.environ) -> dict:
    defaults = json.loads((CONFIG_DIR / "settings.json").read_text(encoding="utf-8"))
    defaults.pop("_comment", None)
    settings = dict(defaults)
    for name, default in defaults.items():
        raw = environ.get(ENV_PREFIX + name)
        if raw is not None:
            settings[name] = _coerce(raw, default)
    settings.update(overrides or {})
    return _fill_derived(settings)


def _fill_derived(settings: dict) -> dict:
    if not settings.get("DATABASE_URL"):
        settings["DATABASE_URL"] = f"sqlite:///{INSTANCE_DIR / 'cityexchange.sqlite3'}"
    if not settings.get("EMBEDDED_INDEX_PATH"):
        settings["EMBEDDED_INDEX_PATH"] = str(default_index_path(settings["DATABASE_URL"]))
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _instance_secret()
    if settings.get("INDEX_AFTER_COMMIT") is None:
        # The embedded engine is local and fast: index right after the commit so a
        # contributor finds a just-published case study at once. With Elasticsearch
        # the indexer worker drains the outbox.
        settings["INDEX_AFTER_COMMIT"] = settings["SEARCH_ENGINE"] == "embedded"
    return settings


def database_identity(url: str) -> str:
    """Which database a URL names, without user, password or driver.

    The embedded index records it and refuses to serve another database.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        name = parsed.database or ""
        if name in ("", ":memory:") or name.startswith("file:"):
            return f"sqlite:{name or ':memory:'}"
        # Flask-SQLAlchemy reads a relative SQLite path inside the instance folder.
        return f"sqlite:{(INSTANCE_DIR / name).resolve()}"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{backend}://{host}{port}/{parsed.database or ''}"


def default_index_path(url: str) -> Path:
    """One embedded index per database: beside a SQLite file, else in instance/search-indexes/."""
    identity = database_identity(url)
    if identity.startswith("sqlite:/"):
        database = Path(identity.removeprefix("sqlite:"))
        return database.with_name(database.name + ".search-index")
    readable = re.sub(r"[^A-Za-z0-9.]+", "-", identity).strip("-")[:80]
    digest = hashlib.sha256(identity.encode()).hexdigest()[:10]
    return INSTANCE_DIR / "search-indexes" / f"{readable}-{digest}"


def _instance_secret() -> str:
    """A per-installation secret kept in instance/, so sessions survive restarts."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
