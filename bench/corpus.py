"""A synthetic, deterministic corpus of case studies and a fixed query mix.

    python bench/corpus.py 5000 out.jsonl [--seed 42]

writes the JSON Lines import format of ARCHITECTURE.md; `documents(n)` yields
the same case studies as SearchDocuments (ids 1..n) for engine-only runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.vocabulary import (  # noqa: E402
    CITIES, DOMAIN, FILLER, HOME_COUNTRIES, LANGUAGE_WEIGHTS, LANGUAGES,
)
from indexer import LanguageText, SearchDocument  # noqa: E402
from indexer.query import FACETS, SearchQuery  # noqa: E402

TOPICS = [line.strip() for line in
          (ROOT / "config" / "thesaurus" / "core-ids.txt").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
BASE_TIME = datetime(2015, 1, 1)
_COLUMN = {language: index for index, language in enumerate(LANGUAGES)}


def _zipf(count: int) -> list[float]:
    """Cumulative Zipf weights: the first items are by far the most frequent."""
    return list(itertools.accumulate(1.0 / (rank + 1) for rank in range(count)))


_FILLER_WEIGHTS = {language: _zipf(len(words)) for language, words in FILLER.items()}
_TOPIC_WEIGHTS = _zipf(len(TOPICS))
_CITY_WEIGHTS = _zipf(len(CITIES))


def term(concept: int, language: str) -> str:
    return DOMAIN[concept][_COLUMN[language]]


def _sentence(rng: random.Random, language: str, concepts: list[int]) -> str:
    words = rng.choices(FILLER[language], cum_weights=_FILLER_WEIGHTS[language],
                        k=rng.randint(6, 16))
    for _ in range(rng.randint(1, 3)):
        concept = rng.choice(concepts) if rng.random() < 0.85 else rng.randrange(len(DOMAIN))
        words.insert(rng.randrange(len(words) + 1), term(concept, language))
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng, language, concepts, sentences: int) -> str:
    return " ".join(_sentence(rng, language, concepts) for _ in range(sentences))


def _text(rng: random.Random, language: str, concepts: list[int], city: str) -> dict:
    title_terms = [term(c, language) for c in concepts[:2]]
    title = f"{' '.join(title_terms).capitalize()} in {city}"
    paragraphs = [_paragraph(rng, language, concepts, rng.randint(3, 7))
                  for _ in range(rng.randint(3, 6))]
    body = "\n\n".join(paragraphs[:1] + [f"## {term(concepts[-1], language).capitalize()}"]
                       + paragraphs[1:])
    return {"title": title, "summary": _paragraph(rng, language, concepts, 2), "body": body}


def _city(rng: random.Random, language: str) -> tuple[str, str]:
    if rng.random() < 0.8:
        home = [c for c in CITIES if c[1] in HOME_COUNTRIES[language]]
        return rng.choice(home)
    return rng.choices(CITIES, cum_weights=_CITY_WEIGHTS)[0]


def record(rng: random.Random, number: int, known_cities: list[str]) -> dict:
    """One case study in the import format; partners are cities of earlier lines."""
    language = rng.choices(list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values()))[0]
    city, country = _city(rng, language)
    concepts = rng.sample(range(len(DOMAIN)), k=rng.randint(2, 4))
    data = {"slug": f"cs-{number:06d}", "city": city, "country": country, "language": language,
            **_text(rng, language, concepts, city),
            "year": rng.randint(2008, 2025),
            "topics": sorted(set(rng.choices(TOPICS, cum_weights=_TOPIC_WEIGHTS,
                                             k=rng.randint(1, 3)))),
            "partners": sorted({rng.choice(known_cities) for _ in range(rng.randint(0, 2))
                                if known_cities} - {city})}
    translate_to = "en" if language != "en" else "de"
    if rng.random() < (0.3 if language != "en" else 0.15):
        data["translations"] = {translate_to: _text(rng, translate_to, concepts, city)}
    return data


def records(count: int, seed: int = 42) -> Iterator[dict]:
    rng = random.Random(seed)
    known: dict[str, None] = {}
    for number in range(1, count + 1):
        data = record(rng, number, list(known))
        known.setdefault(data["city"])
        yield data


_HEADING = re.compile(r"^#+\s*", re.MULTILINE)


def to_document(data: dict, id: int) -> SearchDocument:
    """What build_document makes of the imported case study (Markdown as plain text)."""
    def texts_of(fields, is_translation=False):
        return LanguageText(title=fields["title"], summary=fields["summary"],
                            body=_HEADING.sub("", fields["body"]), is_translation=is_translation)

    texts = {data["language"]: texts_of(data)}
    for language, fields in data.get("translations", {}).items():
        texts[language] = texts_of(fields, is_translation=True)
    return SearchDocument(
        id=id, version=1, slug=data["slug"], language=data["language"], texts=texts,
        city=data["city"], country=data["country"], year=data["year"],
        topics=tuple(data["topics"]), published_at=BASE_TIME + timedelta(hours=id * 7 % 90_000),
        # build_document keeps the topics the title or summary names; the synthetic
        # texts name none by label, so the first topic stands for them (same cost).
        central_topics=tuple(data["topics"][:1]),
    )


def documents(count: int, seed: int = 42) -> Iterator[SearchDocument]:
    for number, data in enumerate(records(count, seed), start=1):
        yield to_document(data, number)


def write_jsonl(path: str | Path, count: int, seed: int = 42) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        for data in records(count, seed):
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
    return path


def query_mix(count: int = 200, seed: int = 7) -> list[dict]:
    """A fixed mix: 1-3 words in all languages, filters, browsing, pages 2..5, sorts."""
    rng = random.Random(seed)
    mix = []
    for _ in range(count):
        spec: dict = {"q": "", "filters": {}, "page": 1, "sort": None}
        if rng.random() >= 0.15:
            language = rng.choices(list(LANGUAGE_WEIGHTS),
                                   weights=list(LANGUAGE_WEIGHTS.values()))[0]
            words = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
            spec["q"] = " ".join(term(rng.randrange(len(DOMAIN)), language)
                                 for _ in range(words))
        if rng.random() < (0.35 if spec["q"] else 0.5):
            spec["filters"] = _filters(rng)
        if rng.random() < 0.2:
            spec["page"] = rng.randint(2, 5)
        if rng.random() < 0.1:
            spec["sort"] = "newest"
        mix.append(spec)
    return mix


def _filters(rng: random.Random) -> dict[str, list[str]]:
    choices = {
        "city": lambda: rng.choice(CITIES)[0],
        "country": lambda: rng.choice(CITIES)[1],
        "topic": lambda: rng.choices(TOPICS, cum_weights=_TOPIC_WEIGHTS)[0],
        "year": lambda: str(rng.randint(2008, 2025)),
        "language": lambda: rng.choice(LANGUAGES),
    }
    facets = rng.sample(sorted(choices), k=rng.choice((1, 1, 2)))
    return {facet: sorted({choices[facet]() for _ in range(rng.choice((1, 1, 2)))})
            for facet in facets}


def to_search_query(spec: dict, per_page: int = 20) -> SearchQuery:
    """The query the portal's search service would send for these parameters."""
    sort = spec["sort"] or ("relevance" if spec["q"] else "newest")
    return SearchQuery(text=spec["q"], filters={k: tuple(v) for k, v in spec["filters"].items()},
                       facets=FACETS, page=spec["page"], per_page=per_page, sort=sort)


def to_search_request(spec: dict, per_page: int = 20):
    """The same query as the portal's SearchRequest (what the cross-language layer takes)."""
    from cityexchange.services.search import SearchRequest

    return SearchRequest(q=spec["q"], page=spec["page"], per_page=per_page, ui_lang="en",
                         sort=spec["sort"] or ("relevance" if spec["q"] else "newest"),
                         filters={k: tuple(v) for k, v in spec["filters"].items()})


def to_params(spec: dict) -> list[tuple[str, str]]:
    """The same query as /api/v1/search parameters."""
    params = [("q", spec["q"]), ("page", str(spec["page"]))]
    if spec["sort"]:
        params.append(("sort", spec["sort"]))
    params += [(facet, value) for facet, values in spec["filters"].items() for value in values]
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    write_jsonl(args.output, args.count, args.seed)
    print(f"wrote {args.count} case studies to {args.output}")


if __name__ == "__main__":
    main()
