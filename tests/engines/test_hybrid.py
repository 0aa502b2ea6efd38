"""Contract: the three signals of a text search (indexer/fusion.py), the same on every engine.

Vectors here are plain data (unit vectors along axes), so these tests need no model:
what is checked is how each engine finds, counts and filters by them.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import replace

import numpy as np
import pytest

from indexer import SearchQuery, fusion
from indexer.embedding import DIMENSIONS, to_bytes
from tests.engines.documents import counts, doc, ids, index


def unit(*weights: float) -> bytes:
    """A unit vector with these weights on the first axes."""
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    vector[:len(weights)] = weights
    return to_bytes(vector / np.linalg.norm(vector))


def test_one_word_of_four_is_not_enough(engine):
    index(engine,
          doc(1, "Hydrogen buses for the depot", body="Fuel cell fleet."),
          doc(2, "New bus shelters", body="Shelters with green roofs."),
          doc(3, "Hydrogen buses and fuel cell trucks", body="A depot for fuel cells."))
    result = engine.search(SearchQuery(text="hydrogen fuel cell buses"))
    assert ids(result) == [3, 1] or ids(result) == [1, 3]
    assert 2 not in ids(result) and result.total == 2
    assert all("words" in hit.reasons for hit in result.hits)


def test_the_query_concepts_are_one_clause_on_the_topics(engine):
    index(engine,
          doc(1, "Fuel cell fleet", topics=("hydrogen",)),
          doc(2, "Electrolyser at the harbour", topics=("hydrogen", "energy-transition")),
          doc(3, "Bus shelters", topics=("public-transport",)))
    result = engine.search(SearchQuery(text="Wasserstoff", concepts=("hydrogen",)))
    assert set(ids(result)) == {1, 2} and result.total == 2
    assert all(hit.reasons == ("concept",) for hit in result.hits)
    both = engine.search(SearchQuery(text="Wasserstoff Energiewende",
                                     concepts=("hydrogen", "energy-transition")))
    assert ids(both)[0] == 2  # tagged with both concepts


def test_narrower_concepts_count_less(engine):
    index(engine,
          doc(1, "Citizens' budget", topics=("participatory-budgeting",)),
          doc(2, "Citizens' assembly", topics=("citizen-participation",)))
    result = engine.search(SearchQuery(text="Bürgerbeteiligung", concepts=("citizen-participation",),
                                       narrower_concepts=("participatory-budgeting",)))
    assert ids(result) == [2, 1]


def test_a_concept_the_title_names_counts_more_than_one_the_body_mentions(engine):
    # Both are tagged "district heating"; only the first is about it.
    index(engine,
          doc(1, "District heating from waste heat", topics=("district-heating",),
              central_topics=("district-heating",), published_days=1),
          doc(2, "Climate plan 2030", body="Twenty measures, district heating among them.",
              topics=("district-heating", "climate-action-plan"), published_days=9))
    result = engine.search(SearchQuery(text="Fernwärme", concepts=("district-heating",)))
    assert ids(result) == [1, 2] and result.total == 2
    scores = [hit.score for hit in result.hits]
    assert scores[1] == pytest.approx(fusion.BODY_ONLY_SHARE * scores[0], rel=1e-6)


def test_meaning_finds_neighbours_above_the_floor_within_the_filters(engine):
    near, far = unit(1.0, 0.2), unit(0.0, 1.0)
    index(engine,
          replace(doc(1, "Stadtwerke fahren mit Brennstoffzellen", language="de",
                      city="Essen"), vector=near),
          replace(doc(2, "Autobuses de hidrógeno", language="es", city="Bilbao"), vector=near),
          replace(doc(3, "Youth theatre", city="Essen"), vector=far),
          doc(4, "Tram line without vector", city="Essen"))
    query = SearchQuery(text="hydrogen buses", vector=unit(1.0))
    result = engine.search(query)
    assert set(ids(result)) == {1, 2} and result.total == 2
    assert all(hit.reasons == ("meaning",) for hit in result.hits)
    assert counts(result, "city") == {"Essen": 1, "Bilbao": 1}
    essen = engine.search(replace(query, filters={"city": ("Essen",)}))
    assert ids(essen) == [1] and essen.total == 1


def test_a_document_without_vector_is_found_by_its_words(engine):
    index(engine, doc(1, "Tram line extension"),
          replace(doc(2, "Cycle lanes"), vector=unit(0.0, 1.0)))
    result = engine.search(SearchQuery(text="tram line", vector=unit(1.0)))
    assert ids(result) == [1]


def test_words_concept_and_meaning_add_up(engine):
    index(engine,
          replace(doc(1, "Hydrogen buses", topics=("hydrogen",)), vector=unit(1.0)),
          replace(doc(2, "Hydrogen buses"), vector=unit(0.0, 1.0)),
          doc(3, "Fuel cells", topics=("hydrogen",)))
    result = engine.search(SearchQuery(text="hydrogen buses", concepts=("hydrogen",),
                                       vector=unit(1.0)))
    assert ids(result)[0] == 1
    assert set(result.hits[0].reasons) == {"words", "concept", "meaning"}
    assert result.total == 3


def test_meaning_weighs_in_on_what_the_words_found_below_the_neighbours_floor(engine):
    # Both hold the words alike; the older one's meaning is close to the query's, though
    # under the floor of what meaning finds by itself (cosine 0.27 < SIMILARITY_FLOOR).
    closer = 0.27
    assert fusion.MEANING_ZERO < closer < fusion.SIMILARITY_FLOOR
    index(engine,
          replace(doc(1, "Rainwater harvesting in schools"),
                  vector=unit(closer, float(np.sqrt(1 - closer ** 2)))),
          replace(doc(2, "Rainwater harvesting in schools"), vector=unit(0.0, 1.0)),
          replace(doc(3, "Youth theatre"), vector=unit(0.0, 0.0, 1.0)))
    result = engine.search(SearchQuery(text="rainwater harvesting", vector=unit(1.0)))
    # Without meaning's say the newer one (2) would lead: the words tie them.
    assert ids(result) == [1, 2] and result.total == 2
    assert result.hits[0].score > result.hits[1].score


def test_a_document_found_by_words_and_meaning_counts_once_in_every_facet(engine):
    near = unit(1.0, 0.1)
    index(engine,
          replace(doc(1, "Hydrogen buses", city="Aachen"), vector=near),
          doc(2, "Hydrogen trucks", city="Aachen"),
          doc(3, "Hydrogen valley", city="Bonn"),
          replace(doc(4, "Brennstoffzellen", language="de", city="Bonn"), vector=near),
          replace(doc(5, "Brennstoffzellenbusse", language="de", city="Bonn"), vector=near),
          replace(doc(6, "Youth theatre", city="Bonn"), vector=unit(0.0, 1.0)))
    query = SearchQuery(text="hydrogen", vector=unit(1.0))
    result = engine.search(query)
    assert set(ids(result)) == {1, 2, 3, 4, 5} and result.total == 5
    assert counts(result, "city") == {"Aachen": 2, "Bonn": 3}
    # Only the top value: Bonn gets there with the documents found by meaning alone.
    top = engine.search(replace(query, facet_size=1))
    assert counts(top, "city") == {"Bonn": 3} and top.total == 5


def _later(vector: bytes | None, seconds: float = 0.05) -> Future:
    """A query vector the model hands over `seconds` after the search started."""
    pending: Future = Future()
    threading.Timer(seconds, pending.set_result, [vector]).start()
    return pending


def _answer(result) -> tuple:
    return (result.total, [(hit.id, round(hit.score, 6), hit.reasons) for hit in result.hits],
            counts(result, "city"))


@pytest.mark.parametrize("vector", [unit(1.0), None], ids=["vector", "model-failed"])
def test_a_vector_still_being_computed_gives_the_same_search(engine, vector):
    # The engines search words and concepts while the model works (the embedded engine
    # also reads the page ahead, Elasticsearch sends the meaning window after).
    index(engine,
          replace(doc(1, "Hydrogen buses", topics=("hydrogen",), city="Aachen"), vector=unit(1.0)),
          replace(doc(2, "Brennstoffzellen im Nahverkehr", language="de", city="Bonn"),
                  vector=unit(1.0, 0.3)),
          replace(doc(3, "Electrolyser at the harbour", topics=("hydrogen",), city="Bonn"),
                  vector=unit(0.0, 1.0)),
          replace(doc(4, "Hydrogen valley", city="Essen"), vector=unit(0.2, 1.0)))
    query = SearchQuery(text="hydrogen buses", concepts=("hydrogen",), facets=("city",))
    given = engine.search(replace(query, vector=vector))
    pending = engine.search(replace(query, pending_vector=_later(vector)))
    assert _answer(pending) == _answer(given)
    assert (2 in ids(given)) == (vector is not None)  # doc 2 is found by meaning alone


def test_the_caller_hears_of_the_page_in_its_own_thread(engine):
    # The portal reads the page's rows from its database (a session bound to the request's
    # thread) while Elasticsearch still highlights them; an engine with the texts at hand
    # need not call.
    index(engine, doc(1, "Hydrogen buses"), doc(2, "Hydrogen depot"), doc(3, "Bus shelters"))
    heard = []
    result = engine.search(SearchQuery(text="hydrogen", on_page=lambda page: heard.append(
        (list(page), threading.current_thread()))))
    assert ids(result) == [1, 2] or ids(result) == [2, 1]
    if engine.name == "elasticsearch":
        assert [page for page, _thread in heard] == [ids(result)]
    else:
        assert [page for page, _thread in heard] in ([], [ids(result)])
    assert all(thread is threading.current_thread() for _page, thread in heard)


def test_a_full_page_counts_what_the_whole_list_counts(engine):
    # Elasticsearch counts while it highlights a full page, and counts first when the
    # page may need the newest documents past the signals' windows.
    index(engine, *[
        replace(doc(n, f"Hydrogen depot {n}", city=("Aachen", "Bonn", "Essen")[n % 3]),
                vector=unit(1.0, n / 10))
        for n in range(1, 8)],
        replace(doc(8, "Brennstoffzellen", language="de", city="Bonn"), vector=unit(1.0)),
        replace(doc(9, "Youth theatre", city="Bonn"), vector=unit(0.0, 1.0)))
    query = SearchQuery(text="hydrogen depot", vector=unit(1.0), facets=("city",))
    whole = engine.search(query)
    pages = [engine.search(replace(query, page=page, per_page=3)) for page in (1, 2, 3)]
    assert whole.total == 8 and 9 not in ids(whole)
    assert [hit_id for page in pages for hit_id in ids(page)] == ids(whole)
    assert {(page.total, str(counts(page, "city"))) for page in pages} == {
        (8, str(counts(whole, "city")))}
