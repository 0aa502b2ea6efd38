"""A real install: the wheel, installed (not editable) into a fresh virtual environment, works.

The slow install test (~20 s): it builds the wheel from a copy of the sources
without the compiled catalogues, offline (--no-build-isolation with this
environment's setuptools and Babel), installs it into a new virtual environment
and runs `cityex init-db`, `cityex import` and a search there, from a folder
with no checkout in sight. The dependencies come from this environment's
site-packages through a .pth file, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the build needs, and nothing else: the package data must come from here.
SOURCES = ("pyproject.toml", "setup.py", "platform", "indexer", "config", "templates", "static",
           "translations")
DATA_PACKAGES = {"config": "cityexchange_config", "templates": "cityexchange/templates",
                 "static": "cityexchange/static", "translations": "cityexchange/translations"}

pytestmark = pytest.mark.install

CASE_STUDIES = [
    {"slug": "dortmund-h2-bus-depot", "city": "Dortmund", "country": "DE", "language": "de",
     "title": "Wasserstoffbusse im Depot Dortmund",
     "summary": "Die Stadt betankt zwanzig Busse mit grünem Wasserstoff.",
     "body": "Ein Elektrolyseur am Depot erzeugt Wasserstoff für die Busflotte.",
     "year": 2024, "topics": ["hydrogen"]},
    {"slug": "pittsburgh-retrofits", "city": "Pittsburgh", "country": "US", "language": "en",
     "title": "Retrofitting municipal buildings",
     "summary": "Forty city buildings got heat pumps and insulation.",
     "body": "Energy audits ranked all city buildings by savings potential.", "year": 2021},
]


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            timeout=120, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=skip)
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "--quiet", "-w", dist, source])
    (built,) = dist.glob("cityexchange-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv with the wheel installed; returns its python, cityex and environment."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home / "env", with_pip=False)
    python = home / "env" / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "--quiet", wheel])
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    # The dependencies, from this environment (its .pth files, e.g. the editable
    # checkout's finder, are not run from a path added this way).
    (site / "outer-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path_factory.mktemp("work")  # the working folder: no checkout in it or above
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITYEX_", "PYTHON"))}
    env.update(HOME=str(work), CITYEX_SECRET_KEY="install-test")
    return {"python": python, "cityex": home / "env" / "bin" / "cityex", "site": site,
            "prefix": home / "env", "env": env, "cwd": work}


def test_the_wheel_holds_every_data_file_and_the_compiled_catalogues(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, package in DATA_PACKAGES.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".mo":
                assert f"{package}/{path.relative_to(ROOT / folder).as_posix()}" in names, path
    catalogues = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))
    assert catalogues
    for po in catalogues:
        mo = po.relative_to(ROOT / "translations").with_suffix(".mo").as_posix()
        assert f"cityexchange/translations/{mo}" in names
    assert "cityexchange/migrations/alembic.ini" in names


def test_installed_portal_creates_its_database_imports_and_searches(installed):
    run = {"env": installed["env"], "cwd": installed["cwd"]}
    cityex, python = installed["cityex"], installed["python"]
    assert "database is at the newest schema" in _run([cityex, "init-db"], **run).stdout
    lines = installed["cwd"] / "case-studies.jsonl"
    lines.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in CASE_STUDIES) + "\n",
                     encoding="utf-8")
    assert "imported 2 case studies" in _run([cityex, "import", lines, "--publish"], **run).stdout

    probe = """
import json, cityexchange
from cityexchange import create_app
app = create_app()
client = app.test_client()
search = client.get("/api/v1/search?q=Wasserstoff").get_json()
page = client.get("/case-studies/dortmund-h2-bus-depot?ui_lang=de")
print(json.dumps({"package": cityexchange.__file__, "templates": app.template_folder,
                  "database": app.config["DATABASE_URL"], "total": search["total"],
                  "hits": [hit["slug"] for hit in search["hits"]], "status": page.status_code,
                  "german": "Suchen" in page.get_data(as_text=True)}))
"""
    seen = json.loads(_run([python, "-c", probe], **run).stdout.splitlines()[-1])
    site = str(installed["site"])
    assert seen["package"].startswith(site) and seen["templates"].startswith(site)
    # Installed from a wheel, the instance folder is <prefix>/var/cityexchange-instance.
    assert str(installed["prefix"] / "var" / "cityexchange-instance") in seen["database"]
    assert (seen["total"], seen["hits"]) == (1, ["dortmund-h2-bus-depot"])
    assert seen["status"] == 200
    assert seen["german"], "the German catalogue was not found in the installed wheel"
