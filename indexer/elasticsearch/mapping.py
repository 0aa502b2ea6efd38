"""Index mappings (config/mappings/*.json) and the names built from them.

Physical index: <prefix>case-studies-v<N>-<timestamp>; the portal reads and
writes through the alias <prefix>case-studies.
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import lru_cache

from indexer import analysis
from indexer.analysis import LANGUAGES, stem_overrides

MAPPINGS_DIR = analysis.CONFIG_DIR / "mappings"
MAPPING_VERSION = 2
BASE_NAME = "case-studies"
TEXT_FIELDS = ("title", "summary", "body")
# Field weights, as in the embedded engine's BM25 column weights.
FIELD_BOOSTS = {"title": 3, "summary": 2, "body": 1}


@lru_cache(maxsize=None)
def load_mapping(version: int = MAPPING_VERSION) -> dict:
    data = json.loads((MAPPINGS_DIR / f"case-study-v{version}.json").read_text(encoding="utf-8"))
    data.pop("_comment", None)
    _add_stem_overrides(data["settings"]["analysis"])
    _add_decompounders(data["settings"]["analysis"])
    return data


@lru_cache(maxsize=None)
def mapping_hash(version: int = MAPPING_VERSION) -> str:
    """The identity of the effective mapping (file + merged stem overrides and word lists).

    Stored in the index's `_meta`; a different value means the index was built from
    another configuration and must be rebuilt.
    """
    canonical = json.dumps(load_mapping(version), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def index_meta(version: int = MAPPING_VERSION) -> dict:
    """The `_meta` every physical index is created with."""
    return {"mapping_version": version, "mapping_hash": mapping_hash(version)}


def _add_stem_overrides(analysis: dict) -> None:
    """The shared stem overrides as stemmer_override filters, right before each stemmer."""
    for language, words in stem_overrides().items():
        analyzer = analysis["analyzer"].get(f"cityex_{language}")
        stem_filter = f"cityex_{language}_stem"
        if analyzer is None or stem_filter not in analyzer["filter"]:
            continue
        name = f"cityex_{language}_overrides"
        analysis["filter"][name] = {
            "type": "stemmer_override",
            "rules": [f"{word} => {stem}" for word, stem in sorted(words.items())],
        }
        filters = analyzer["filter"]
        filters.insert(filters.index(stem_filter), name)


def _add_decompounders(analysis_settings: dict) -> None:
    """German and Dutch compounds split into dictionary words right after lowercase, with
    the embedded engine's dictionary and sizes (indexer.analysis)."""
    for language in analysis.DECOMPOUND_LANGUAGES:
        analyzer = analysis_settings["analyzer"].get(f"cityex_{language}")
        if analyzer is None or "lowercase" not in analyzer["filter"]:
            continue
        name = f"cityex_{language}_decompound"
        analysis_settings["filter"][name] = {
            "type": "dictionary_decompounder",
            "word_list": sorted(analysis.compound_dictionary(language)),
            "min_word_size": analysis.MIN_COMPOUND_LENGTH,
            "min_subword_size": analysis.MIN_SUBWORD,
            "max_subword_size": analysis.MAX_SUBWORD,
            "only_longest_match": True,
        }
        filters = analyzer["filter"]
        filters.insert(filters.index("lowercase") + 1, name)
    # The dictionary is case-folded (ß -> ss, as the embedded engine's tokens are);
    # lowercase keeps ß, so "Straßenbahn" would not split without this.
    for char_filter in analysis_settings.get("char_filter", {}).values():
        if char_filter.get("type") == "mapping":
            char_filter["mappings"] = [*char_filter["mappings"], "ß => ss", "ẞ => ss"]


def alias_name(prefix: str) -> str:
    return f"{prefix}{BASE_NAME}"


def physical_name(prefix: str, version: int = MAPPING_VERSION) -> str:
    """...-v<version>-<UTC yyyymmddHHMMSS><milliseconds>: names sort in creation order."""
    now = time.time_ns()
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now // 1_000_000_000))
    return f"{prefix}{BASE_NAME}-v{version}-{stamp}{now // 1_000_000 % 1000:03d}"


def physical_pattern(prefix: str) -> str:
    return f"{prefix}{BASE_NAME}-v*"


def text_field(field: str, language: str) -> str:
    return f"{field}_{language}"


def language_fields(language: str, boosted: bool = True) -> list[str]:
    return [
        f"{text_field(field, language)}^{FIELD_BOOSTS[field]}" if boosted
        else text_field(field, language)
        for field in TEXT_FIELDS
    ]


def all_text_fields() -> list[str]:
    return [text_field(field, language) for language in LANGUAGES for field in TEXT_FIELDS]
