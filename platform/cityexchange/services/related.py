""""Similar approaches in other cities": related case studies, across languages.

Two engine queries, both restricted to the other cities' case studies:
1. the case studies sharing a topic or concept; the (disjunctive) topic facet
   of the same query gives each concept's document frequency, hence its
   rarity (IDF);
2. a text query: the title, with the case study's stored vector (its
   meaning, indexer/embedding.py; the title embedded as a query when none is
   stored yet), so a French or Polish text on the same thing is found too.
A tag weighs its IDF, twice that when the contributor chose it as a topic.
The score mixes the weighted share of tags with the normalised text score;
the shared tags, weightiest first, say why a case study is listed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, CaseStudyVector, City
from cityexchange.services.embeddings import get_embedder
from cityexchange.search_engine import get_engine
from cityexchange.thesaurus import get_thesaurus
from indexer import EngineUnavailable, SearchQuery
from indexer.embedding import query_vector
from indexer.query import SearchResult

log = logging.getLogger(__name__)

MAX_RELATED = 5
# Candidates from each query.
CONCEPT_CANDIDATES = 50
TEXT_CANDIDATES = 15
CONCEPT_WEIGHT, TEXT_WEIGHT = 0.7, 0.3
# A contributor's topic weighs this much more than a concept found in the text.
TOPIC_BOOST = 2.0
# Below this a candidate is too loosely related to be shown.
MIN_SCORE = 0.18
# Reasons shown per related case study.
MAX_REASONS = 3


@dataclass(frozen=True)
class Related:
    case_study: CaseStudy
    score: float
    # Labels (UI language) of the shared topics and concepts, weightiest first.
    shared: tuple[str, ...]


def similar_case_studies(case_study: CaseStudy, ui_lang: str,
                         limit: int = MAX_RELATED) -> list[Related]:
    """Up to `limit` published case studies of other cities, most similar first.

    The engine being down only costs this list, never the page.
    """
    counts = _other_cities(case_study.city_id)
    if not counts:
        return []
    cities = tuple(counts)
    tags = case_study.all_topics
    try:
        by_concept = _concept_query(tags, cities)
        idf = _idf(tags, by_concept, sum(counts.values()))
        # The contributor's own topics say best what it is about.
        weights = {t: idf[t] * (TOPIC_BOOST if t in case_study.topics else 1.0) for t in tags}
        tags.sort(key=lambda t: -weights[t])
        by_text = _text_query(case_study, cities)
    except EngineUnavailable as error:
        log.warning("similar case studies unavailable: %s", error)
        return []
    ids = [hit.id for hit in by_concept.hits] if by_concept else []
    ids += [hit.id for hit in by_text.hits]
    ranked = _rank(_candidate_tags(ids, case_study.city_id), weights, _normalised(by_text))
    loaded = _load(score_id for _score, score_id, _shared in ranked[:limit])
    thesaurus = get_thesaurus()
    return [Related(loaded[candidate_id], round(score, 4),
                    tuple(thesaurus.label(t, ui_lang) for t in shared[:MAX_REASONS]))
            for score, candidate_id, shared in ranked[:limit] if candidate_id in loaded]


def _rank(candidates: dict[int, list[str]], weights: dict[str, float],
          text_scores: dict[int, float]) -> list[tuple[float, int, list[str]]]:
    """(score, id, shared tags weightiest first), best first, the loosely related left out.

    `weights` holds this case study's tags, weightiest first.
    """
    ranked = []
    for candidate_id, their_tags in candidates.items():
        shared = [t for t in weights if t in set(their_tags)]
        score = (CONCEPT_WEIGHT * _share(shared, weights)
                 + TEXT_WEIGHT * text_scores.get(candidate_id, 0.0))
        if score >= MIN_SCORE:
            ranked.append((score, candidate_id, shared))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return ranked


def _other_cities(city_id: int) -> dict[str, int]:
    """Other cities with published case studies (the engine's city filter): name -> count."""
    return dict(db.session.execute(
        select(City.name, func.count(CaseStudy.id)).join(CaseStudy, CaseStudy.city_id == City.id)
        .where(CaseStudy.status == "published", City.id != city_id)
        .group_by(City.name).order_by(City.name)
    ).all())


def _concept_query(tags: list[str], cities: tuple[str, ...]) -> SearchResult | None:
    if not tags:
        return None
    query = SearchQuery(filters={"topic": tuple(tags), "city": cities}, facets=("topic",),
                        per_page=CONCEPT_CANDIDATES, sort="newest", facet_size=1000)
    return get_engine().search(query)


def _idf(tags: list[str], result: SearchResult | None, total: int) -> dict[str, float]:
    """BM25-style IDF of each tag over the other cities' `total` published case studies.

    The topic facet ignores the query's own topic filter, so its counts are
    document frequencies among those cities.
    """
    if result is None:
        return {}
    counts = {value.value: value.count for value in result.facets.get("topic", [])}
    return {tag: math.log(1 + (total - counts.get(tag, 0) + 0.5) / (counts.get(tag, 0) + 0.5))
            for tag in tags}


def _text_query(case_study: CaseStudy, cities: tuple[str, ...]) -> SearchResult:
    """The title's words and the case study's meaning, among the other cities' case studies."""
    query = SearchQuery(text=case_study.title, filters={"city": cities}, facets=(),
                        per_page=TEXT_CANDIDATES, vector=_vector(case_study), highlight=False)
    return get_engine().search(query)


def _vector(case_study: CaseStudy) -> bytes | None:
    """The stored vector (never computed here); else the title embedded as a query (~7 ms)."""
    stored = db.session.get(CaseStudyVector, case_study.id)
    if stored is not None:
        return stored.vector
    embedder = get_embedder()
    return query_vector(embedder, case_study.title) if embedder else None


def _normalised(result: SearchResult) -> dict[int, float]:
    best = max((hit.score for hit in result.hits), default=0.0)
    return {hit.id: hit.score / best for hit in result.hits} if best > 0 else {}


def _share(shared: list[str], weights: dict[str, float]) -> float:
    """The weighted part of this case study's tags that the candidate shares."""
    total = sum(weights.values())
    return sum(weights[t] for t in shared) / total if total else 0.0


def _candidate_tags(ids: list[int], city_id: int) -> dict[int, list[str]]:
    """Topics and concepts of the candidates still published in another city (the DB decides)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(CaseStudy.id, CaseStudy.topics, CaseStudy.concepts)
        .where(CaseStudy.id.in_(set(ids)), CaseStudy.status == "published",
               CaseStudy.city_id != city_id))
    return {row.id: [*(row.topics or ()), *(row.concepts or ())] for row in rows}


def _load(ids) -> dict[int, CaseStudy]:
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(CaseStudy).where(CaseStudy.id.in_(ids))
        .options(joinedload(CaseStudy.city), selectinload(CaseStudy.translations)))
    return {case_study.id: case_study for case_study in rows}
