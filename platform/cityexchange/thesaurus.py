"""The portal's thesaurus, loaded once per app from config/thesaurus/."""

from __future__ import annotations

from flask import current_app

from cityexchange.settings import CONFIG_DIR
from indexer.thesaurus import Thesaurus

THESAURUS_PATH = CONFIG_DIR / "thesaurus" / "concepts.json"


def get_thesaurus() -> Thesaurus:
    thesaurus = current_app.extensions.get("thesaurus")
    if thesaurus is None:
        thesaurus = Thesaurus.load(THESAURUS_PATH) if THESAURUS_PATH.exists() else Thesaurus([])
        current_app.extensions["thesaurus"] = thesaurus
    return thesaurus
