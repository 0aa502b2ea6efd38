"""Contract: filters, disjunctive facets, highlights, pages, sorting, browsing."""

from __future__ import annotations

import pytest

import re

from indexer import SearchQuery
from indexer.analysis import THESAURUS_PATH, stopwords
from indexer.expansion import expand
from indexer.thesaurus import Thesaurus
from tests.engines.documents import counts, doc, ids, index


def search(engine, text: str = "", **options):
    return engine.search(SearchQuery(text=text, **options))


@pytest.fixture
def cities(engine):
    """Hydrogen case studies in three cities, plus one without the word."""
    index(engine,
          doc(1, "Hydrogen buses", city="Dortmund", topics=("hydrogen", "mobility"), year=2023),
          doc(2, "Hydrogen depot", city="Dortmund", topics=("hydrogen",), year=2024),
          doc(3, "Hydrogen valley", city="Pittsburgh", country="US", topics=("hydrogen",),
              year=2024),
          doc(4, "Hydrogen trucks", city="Buffalo", country="US", topics=("mobility",),
              year=2022),
          doc(5, "Youth theatre", city="Buffalo", country="US", topics=("culture",), year=2024))
    return engine


def test_filters_are_or_within_a_facet(cities):
    result = search(cities, "hydrogen", filters={"city": ("Dortmund", "Buffalo")})
    assert sorted(ids(result)) == [1, 2, 4]
    assert result.total == 3


def test_filters_are_and_across_facets(cities):
    result = search(cities, "hydrogen", filters={"city": ("Dortmund", "Buffalo"),
                                                 "topic": ("mobility",)})
    assert sorted(ids(result)) == [1, 4]
    result = search(cities, "hydrogen", filters={"country": ("US",), "year": ("2024",)})
    assert ids(result) == [3]


def test_a_filter_value_nobody_has_gives_no_hits(cities):
    result = search(cities, "hydrogen", filters={"city": ("Atlantis",)})
    assert result.total == 0 and result.hits == []


def test_facet_counts_follow_the_text_query(cities):
    result = search(cities, "hydrogen")
    assert counts(result, "city") == {"Dortmund": 2, "Pittsburgh": 1, "Buffalo": 1}
    assert counts(result, "topic") == {"hydrogen": 3, "mobility": 2}
    assert counts(result, "year") == {"2022": 1, "2023": 1, "2024": 2}


def test_a_selected_facet_still_shows_the_other_values(cities):
    result = search(cities, "hydrogen", filters={"city": ("Dortmund",)})
    assert result.total == 2
    # Disjunctive: the city counts ignore the city selection ...
    assert counts(result, "city") == {"Dortmund": 2, "Pittsburgh": 1, "Buffalo": 1}
    # ... and every other facet respects it.
    assert counts(result, "topic") == {"hydrogen": 2, "mobility": 1}
    assert counts(result, "country") == {"DE": 2}


def test_facet_counts_respect_the_other_filters(cities):
    result = search(cities, "hydrogen", filters={"city": ("Dortmund",), "topic": ("mobility",)})
    assert ids(result) == [1]
    assert counts(result, "city") == {"Dortmund": 1, "Buffalo": 1}
    assert counts(result, "topic") == {"hydrogen": 2, "mobility": 1}


def test_facet_values_are_ordered_by_count(cities):
    result = search(cities)
    assert [v.value for v in result.facets["city"]][0] in {"Dortmund", "Buffalo"}
    values = [v.count for v in result.facets["city"]]
    assert values == sorted(values, reverse=True)


def test_only_the_requested_facets_come_back(cities):
    result = search(cities, "hydrogen", facets=("city",))
    assert set(result.facets) == {"city"}


def test_highlights_mark_the_matching_word_by_stem(engine):
    index(engine, doc(1, "Fleet renewal", body="The city bought a bus that runs on hydrogen."))
    hit = search(engine, "buses").hits[0]
    assert any("<mark>bus</mark>" in fragment for fragment in hit.highlights["body"])
    assert "<mark>" not in "".join(hit.highlights.get("title", []))


def test_highlights_mark_words_in_the_title(engine):
    index(engine, doc(1, "Hydrogen buses in Dortmund", body="Plans for the depot."))
    hit = search(engine, "hydrogen").hits[0]
    assert "<mark>Hydrogen</mark>" in "".join(hit.highlights["title"])


def test_highlights_escape_everything_else(engine):
    index(engine, doc(1, "Scripted buses",
                      body='Our page had <script>alert("x")</script> next to the bus timetable.'))
    hit = search(engine, "bus").hits[0]
    body = " ".join(hit.highlights["body"])
    assert "<mark>bus</mark>" in body
    assert "<script>" not in body
    assert "&lt;script&gt;" in body


def _marked(hit) -> list[str]:
    return [word for fragments in hit.highlights.values() for fragment in fragments
            for word in re.findall(r"<mark>(.*?)</mark>", fragment)]


def test_snippets_never_mark_function_words(engine):
    index(engine,
          doc(1, "Des bus à hydrogène pour la métropole", language="fr",
              summary="Les bus à hydrogène de la ligne 7 roulent depuis 2023.",
              body="Le dépôt des bus à hydrogène a sa propre station. La pile à combustible "
                   "des bus à hydrogène est contrôlée chaque mois."),
          doc(2, "Wasserstoffbusse im Betriebshof", language="de",
              summary="Die Busse der Stadtwerke fahren im Norden mit Wasserstoff.",
              body="Der Betriebshof des Unternehmens hat eine Wasserstofftankstelle."))
    # "Wasserstoff Busse" as the portal asks for it: the literal words and the thesaurus's
    # labels in every language ("bus à hydrogène", "autobus de hidrógeno" ...).
    expanded = expand("Wasserstoff Busse", Thesaurus.load(THESAURUS_PATH))
    result = engine.search(SearchQuery(text="Wasserstoff Busse", expansions=expanded.expansions))
    languages = {1: "fr", 2: "de"}
    assert sorted(ids(result)) == [1, 2]
    for hit in result.hits:
        marked = [word.casefold() for word in _marked(hit)]
        assert marked, "the snippet marks the matching words"
        assert not set(marked) & stopwords(languages[hit.id]), marked
        assert not set(marked) & {"de", "des", "à", "la", "der", "die", "im", "mit"}


def test_a_snippet_never_glues_a_heading_to_the_next_sentence(engine):
    # A search document holds a heading as a line of its own (cityexchange.markdown.plain_text).
    body = ("Context\nThe city renewed its fleet in 2022 after a long debate.\nResults\n"
            "The hydrogen buses averaged 350 km a day. Drivers liked the quiet ride.")
    index(engine, doc(1, "Fleet renewal", body=body))
    fragments = search(engine, "hydrogen buses").hits[0].highlights["body"]
    assert any(fragment.startswith("The <mark>hydrogen</mark> <mark>buses</mark> averaged")
               for fragment in fragments), fragments
    assert not any("Results" in fragment or "Context" in fragment for fragment in fragments)


def test_a_browse_has_no_highlights(engine):
    index(engine, doc(1, "Hydrogen buses", body="bus"))
    assert search(engine).hits[0].highlights == {}


@pytest.fixture
def seven(engine):
    index(engine, *[doc(i, f"Hydrogen study number {i}") for i in range(1, 8)])
    return engine


def test_pages_split_the_results(seven):
    first = search(seven, "hydrogen", sort="newest", per_page=3, page=1)
    second = search(seven, "hydrogen", sort="newest", per_page=3, page=2)
    last = search(seven, "hydrogen", sort="newest", per_page=3, page=3)
    assert ids(first) == [7, 6, 5]
    assert ids(second) == [4, 3, 2]
    assert ids(last) == [1]  # the last page is partial
    assert first.total == second.total == last.total == 7


def test_a_page_beyond_the_end_is_empty_with_the_right_total(seven):
    result = search(seven, "hydrogen", per_page=3, page=4)
    assert result.hits == [] and result.total == 7
    result = search(seven, per_page=100, page=50)
    assert result.hits == [] and result.total == 7


def test_one_per_page(seven):
    pages = [ids(search(seven, "hydrogen", sort="newest", per_page=1, page=p)) for p in (1, 7)]
    assert pages == [[7], [1]]


def test_relevance_and_newest_order_differently(engine):
    index(engine,
          doc(1, "Hydrogen hydrogen hydrogen", summary="Hydrogen strategy", body="hydrogen",
              published_days=1),
          doc(2, "Street lights", body="One mention of hydrogen among many other words "
              "about lamps, poles, cables, budgets and maintenance contracts.",
              published_days=9))
    assert ids(search(engine, "hydrogen", sort="relevance")) == [1, 2]
    assert ids(search(engine, "hydrogen", sort="newest")) == [2, 1]
    scores = [hit.score for hit in search(engine, "hydrogen").hits]
    assert scores[0] > scores[1] > 0


def test_an_empty_query_browses_everything_newest_first_with_facets(engine):
    index(engine, doc(1, "Old", published_days=1, city="Buffalo", country="US"),
          doc(2, "Newest", published_days=30), doc(3, "Middle", published_days=10))
    for text in ("", "   "):
        result = search(engine, text, sort="newest")
        assert ids(result) == [2, 3, 1]
        assert result.total == 3
        assert counts(result, "city") == {"Dortmund": 2, "Buffalo": 1}


def test_a_browse_respects_filters_and_keeps_disjunctive_counts(engine):
    index(engine, doc(1, "A", city="Buffalo", country="US"), doc(2, "B"), doc(3, "C"))
    result = search(engine, sort="newest", filters={"city": ("Dortmund",)})
    assert ids(result) == [3, 2]
    assert counts(result, "city") == {"Dortmund": 2, "Buffalo": 1}
    assert counts(result, "country") == {"DE": 2}


def test_an_empty_index_answers(engine):
    result = search(engine, "hydrogen")
    assert result.total == 0 and result.hits == []
    assert search(engine).total == 0
