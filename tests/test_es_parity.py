"""What the tests run is what production runs: the analysis the mapping needs exists there.

docker/elasticsearch/analysis-components.json lists what the official 8.14.3
distribution (server + analysis-common) and the plugins of
docker/elasticsearch/Dockerfile provide. Every component the *effective*
mapping uses (after stem overrides and decompounding lists are merged in) must
be on that list, and the dev node may register nothing that is not on it.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import yaml

from indexer.elasticsearch import mapping

ROOT = Path(__file__).resolve().parents[1]
IMAGE_DIR = ROOT / "docker" / "elasticsearch"
KINDS = ("analyzer", "tokenizer", "filter", "char_filter")


def components(plugins: list[str] | None = None) -> dict[str, set[str]]:
    """kind -> names: the distribution, plus the given plugins (default: all listed ones)."""
    data = json.loads((IMAGE_DIR / "analysis-components.json").read_text(encoding="utf-8"))
    chosen = data["plugins"] if plugins is None else {p: data["plugins"][p] for p in plugins}
    provided = {kind: set() for kind in KINDS}
    for provider in [*data["providers"].values(), *chosen.values()]:
        for kind in KINDS:
            provided[kind] |= set(provider[kind])
    return provided


def used_components(body: dict) -> set[tuple[str, str, str]]:
    """(kind, name, where) of every built-in component a mapping body refers to."""
    analysis = body["settings"].get("analysis", {})
    used: set[tuple[str, str, str]] = set()

    def refer(kind: str, name: str, where: str) -> None:
        declared = analysis.get(kind, {}).get(name)
        if declared is None:
            used.add((kind, name, where))  # a built-in, referred to by name
        elif kind != "analyzer" or declared.get("type", "custom") != "custom":
            used.add((kind, declared["type"], f"{kind} {name}"))

    for name, analyzer in analysis.get("analyzer", {}).items():
        refer("analyzer", name, f"analyzer {name}")
        if analyzer.get("type", "custom") == "custom":
            refer("tokenizer", analyzer["tokenizer"], f"analyzer {name}")
            for filter_name in analyzer.get("filter", []):
                refer("filter", filter_name, f"analyzer {name}")
            for char_filter in analyzer.get("char_filter", []):
                refer("char_filter", char_filter, f"analyzer {name}")

    def walk(properties: dict, path: str) -> None:
        for field, spec in properties.items():
            for key in ("analyzer", "search_analyzer", "search_quote_analyzer"):
                if key in spec:
                    refer("analyzer", spec[key], f"field {path}{field}")
            walk(spec.get("properties", {}), f"{path}{field}.")
            walk(spec.get("fields", {}), f"{path}{field}.")

    walk(body["mappings"].get("properties", {}), "")
    return used


def missing(body: dict, provided: dict[str, set[str]]) -> list[str]:
    return sorted(f"{kind} '{name}' ({where})" for kind, name, where in used_components(body)
                  if name not in provided[kind])


def installed_plugins() -> list[str]:
    text = (IMAGE_DIR / "Dockerfile").read_text(encoding="utf-8")
    return re.findall(r"elasticsearch-plugin install --batch (\S+)", text)


def test_every_component_of_the_effective_mapping_is_in_the_production_image():
    body = mapping.load_mapping()
    assert missing(body, components()) == []
    # the walk sees the templated parts, not only the file
    used = used_components(body)
    assert ("filter", "stemmer_override", "filter cityex_en_overrides") in used
    assert ("filter", "dictionary_decompounder", "filter cityex_de_decompound") in used
    assert ("char_filter", "mapping", "char_filter cityex_word_breaks") in used


def test_the_check_catches_a_plugin_the_image_lacks():
    # The bug this guards against: the official image alone has no polish_stem.
    assert missing(mapping.load_mapping(), components(plugins=[])) == [
        "filter 'polish_stem' (filter cityex_pl_stem)"]
    broken = copy.deepcopy(mapping.load_mapping())
    broken["settings"]["analysis"]["analyzer"]["cityex_en"]["filter"].append("porter2")
    broken["mappings"]["properties"]["slug_text"] = {"type": "text", "analyzer": "icu_analyzer"}
    assert missing(broken, components()) == [
        "analyzer 'icu_analyzer' (field slug_text)", "filter 'porter2' (analyzer cityex_en)"]


def test_the_image_is_the_official_one_plus_the_listed_plugins():
    data = json.loads((IMAGE_DIR / "analysis-components.json").read_text(encoding="utf-8"))
    dockerfile = (IMAGE_DIR / "Dockerfile").read_text(encoding="utf-8")
    froms = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert froms == [f"docker.elastic.co/elasticsearch/elasticsearch:{data['version']}"]
    assert sorted(installed_plugins()) == sorted(data["plugins"])
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    build = compose["services"]["elasticsearch"]["build"]
    assert (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).resolve() == (
        IMAGE_DIR / "Dockerfile").resolve()


def dev_node_registrations() -> set[tuple[str, str]]:
    """(kind, name) of every analysis component DevNodePlugin.java registers."""
    source = (ROOT / "tools" / "elasticsearch" / "DevNodePlugin.java").read_text(encoding="utf-8")
    found = {("analyzer", n) for n in re.findall(r'analyzers\.put\("([^"]+)"', source)}
    found |= {("filter", n) for n in re.findall(r'filters\.put\("([^"]+)"', source)}
    found |= {("tokenizer", n) for n in re.findall(r'PreConfiguredTokenizer\.singleton\("([^"]+)"', source)}
    char_filters = re.search(r"getCharFilters\(\) \{(.*?)\n    \}", source, re.S).group(1)
    found |= {("char_filter", n) for n in re.findall(r'Map\.of\("([^"]+)"', char_filters)}
    return found


def test_the_dev_node_registers_only_official_components():
    registered = dev_node_registrations()
    assert ("filter", "polish_stem") in registered and ("char_filter", "mapping") in registered
    provided = components()
    extra = sorted(f"{kind} {name}" for kind, name in registered if name not in provided[kind])
    assert extra == []
