"""Cross-language search: the query an engine gets for a SearchRequest, and what was tried.

The literal text is searched in every language (each with its own stemming);
the thesaurus concepts it names become one clause on the documents' concepts,
and its embedding finds case studies of similar meaning in any language
(indexer/fusion.py fuses the three), so "Wasserstoff Busse" also finds
"bus à hydrogène". A word that
is no label word, lies close to one and matches nothing in the index is a
typo: "hydorgen" -> did you mean "hydrogen"; the search is then retried with
the correction (and the word as typed), kept unless it finds less.

Needs no app (the evaluation in bench/relevance.py runs it without one): the
caller passes the engine and the thesaurus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from flask_babel import gettext

from indexer import SearchEngine, SearchQuery, SearchResult
from indexer.analysis import (
    DECOMPOUND_LANGUAGES,
    LANGUAGES,
    analyze,
    compound_dictionary,
    subwords,
    tokenize,
)
from indexer.embedding import Embedder, query_vector_later
from indexer.common_words import NONE as NO_COMMON_WORDS, CommonWords, for_the_model
from indexer.expansion import concepts_of, recognised_spans
from indexer.spelling import corrected, suspects
from indexer.thesaurus import Thesaurus

from cityexchange.i18n import language_word

if TYPE_CHECKING:
    from cityexchange.services.search import SearchRequest

# Fewer hits than this: a word found only through its compound parts counts as a typo.
FEW_HITS = 3
# At most this many closest concepts are offered when nothing is found.
MAX_CLOSEST = 5


@dataclass(frozen=True)
class ConceptRef:
    id: str
    label: str


@dataclass
class Explanation:
    """What a search did with the text: for the page's "did you mean" and empty state."""

    words: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    concepts: tuple[ConceptRef, ...] = ()
    meaning: bool = False
    # The text the model read, when it left out a closing phrase of common words.
    meaning_read: str | None = None
    did_you_mean: str | None = None
    fuzzy_used: bool = False
    closest_concepts: tuple[ConceptRef, ...] = ()

    def page_fields(self) -> dict:
        """The SearchPage's cross-language fields."""
        return {"did_you_mean": self.did_you_mean, "fuzzy_used": self.fuzzy_used,
                "concepts": list(self.concepts), "closest_concepts": list(self.closest_concepts),
                "explanation": self}

    def tried(self) -> list[str]:
        """Human-readable lines, in the UI language: words, languages, concepts expanded,
        corrections. (gettext outside a request leaves the English text.)"""
        if not self.words:
            return []
        names = ", ".join(language_word(language) for language in self.languages)
        lines = [gettext("the words %(words)s in %(count)d languages (%(names)s)",
                         words=", ".join(self.words), count=len(self.languages), names=names)]
        if self.concepts:
            lines.append(gettext(
                "case studies tagged with the concepts %(labels)s",
                labels=", ".join(concept.label for concept in self.concepts)))
        else:
            lines.append(gettext("no thesaurus concept was recognised in the words"))
        if self.meaning and self.meaning_read:
            lines.append(gettext("case studies of similar meaning to “%(text)s”, in any language",
                                 text=self.meaning_read))
        elif self.meaning:
            lines.append(gettext("case studies of similar meaning, in any language"))
        if self.fuzzy_used and self.did_you_mean:
            lines.append(gettext("'%(spelling)s' and similar spellings (fuzzy matching)",
                                 spelling=self.did_you_mean))
        elif self.fuzzy_used:
            lines.append(gettext("similar spellings (fuzzy matching)"))
        return lines


def build_query(search_request: SearchRequest, thesaurus: Thesaurus, *,
                text: str | None = None, fuzzy: bool = False,
                embedder: Embedder | None = None,
                common_words: CommonWords = NO_COMMON_WORDS,
                on_page: Callable[[list[int]], None] | None = None,
                ) -> tuple[SearchQuery, Explanation]:
    """The SearchQuery for a request (its text, or `text` instead), and what it tries;
    `on_page`: see SearchQuery; `common_words`: what the model leaves out of the text."""
    text = search_request.q if text is None else text
    browse = not text.strip()
    # literal ("only my words"): the words typed only, no concepts, no similar meaning.
    literal = getattr(search_request, "literal", False)
    spans = () if browse or literal else recognised_spans(text, thesaurus)
    concepts = tuple(c for c in concepts_of(spans) if c in thesaurus)
    # Embedded in a worker thread: it runs while the engine runs its lexical queries
    # (and is cached). The model reads the query without the collection's common words,
    # but for those a recognised label covers (indexer/common_words.py).
    pending, read = None, text
    if embedder is not None and not browse and not literal and tokenize(text):
        covered = {word for span in spans for word in range(span.start, span.end)}
        read = for_the_model(text, common_words, covered)
        pending = query_vector_later(embedder, read)
    narrower = tuple(other for concept in concepts for other in thesaurus.get(concept).narrower
                     if other in thesaurus and other not in concepts)
    query = SearchQuery(
        text=text, filters=search_request.filters, page=search_request.page,
        per_page=search_request.per_page, sort=search_request.sort,
        concepts=concepts, narrower_concepts=narrower, pending_vector=pending, fuzzy=fuzzy,
        on_page=on_page,
    )
    if browse:
        return query, Explanation()
    explanation = Explanation(
        words=tuple(dict.fromkeys(tokenize(text))),
        languages=tuple(language for language in LANGUAGES if analyze(text, language)),
        concepts=_refs(concepts, thesaurus, search_request.ui_lang),
        meaning=pending is not None,
        meaning_read=read if read != text else None,
        fuzzy_used=fuzzy,
    )
    return query, explanation


def search(engine: SearchEngine, search_request: SearchRequest, thesaurus: Thesaurus,
           embedder: Embedder | None = None,
           on_page: Callable[[list[int]], None] | None = None,
           common_words: CommonWords = NO_COMMON_WORDS,
           ) -> tuple[SearchResult, Explanation]:
    """Run the request; when a word is a typo, retry with the correction. `on_page`:
    see SearchQuery (called for the retry's page too); `common_words`: see build_query."""
    query, explanation = build_query(search_request, thesaurus, embedder=embedder,
                                     common_words=common_words, on_page=on_page)
    result = engine.search(query)
    if query.is_browse:
        return result, explanation
    # "Similar meaning" is said only when the query's vector came (the model may fail);
    # the engine waited for it already, so this costs nothing.
    explanation.meaning = query.meaning_vector() is not None
    # Found by the words or a concept: neighbours in meaning alone do not make a query
    # with a typo look fine (the page's hits tell, they rank first).
    found = _found_by_text(result)
    typos = _typos(engine, query, found, thesaurus, search_request.ui_lang)
    # Without a typo there is no retry: it would send the same words, and neither engine
    # matches by edit distance itself (typos are corrected here).
    if typos:
        explanation.did_you_mean = corrected(query.text, typos)
        result, explanation = _retry(engine, search_request, thesaurus, typos, result,
                                     explanation, query)
    if not result.total:
        explanation.closest_concepts = _closest(query.text, explanation, thesaurus,
                                                search_request.ui_lang)
    return result, explanation


def _retry(engine, search_request, thesaurus, typos: dict[str, str], result: SearchResult,
           explanation: Explanation, query: SearchQuery) -> tuple[SearchResult, Explanation]:
    """The search again with the corrections and fuzzy matching; kept unless it finds
    nothing by words or concepts where the search as typed did."""
    # The words taken for typos stay: one may be a rare word the thesaurus lacks.
    text = " ".join([explanation.did_you_mean, *typos]) if typos else search_request.q
    retry_query, retry = build_query(search_request, thesaurus, text=text, fuzzy=True,
                                     on_page=query.on_page)
    # The meaning of the query as typed (embedding it again would cost another ~7 ms).
    vector = query.meaning_vector()
    retry_query = replace(retry_query, vector=vector)
    retry.meaning, retry.meaning_read = vector is not None, explanation.meaning_read
    retried = engine.search(retry_query)
    # A typo is a word no case study holds, no common word of a language, close to a label
    # word: the correction is what was meant. How many the two searches find says little
    # (the search as typed may match a broad concept, "alimentaire" -> food, where the
    # correction matches the narrow one, food waste; and totals count the neighbours in
    # meaning). Only a correction that finds nothing by text gives way. When both found
    # nothing, the retry is kept: it tells all that was tried.
    if not _page_by_text(retried) and _page_by_text(result):
        return result, explanation
    return retried, replace(retry, did_you_mean=explanation.did_you_mean)


def _page_by_text(result: SearchResult) -> int:
    """The hits of the page found by the words or a concept."""
    return sum(1 for hit in result.hits if {"words", "concept"} & set(hit.reasons))


def _found_by_text(result: SearchResult) -> int:
    """The page's hits found by text; the total when every hit of the page was."""
    on_page = _page_by_text(result)
    return on_page if on_page < len(result.hits) else result.total


def _typos(engine: SearchEngine, query: SearchQuery, found: int, thesaurus: Thesaurus,
           ui_lang: str) -> dict[str, str]:
    """Misspelt word -> suggestion, for words close to a label word that the index lacks."""
    close = suspects(query.text, thesaurus.speller, prefer=ui_lang)
    return {word: suggestion for word, suggestion in close.items()
            if _unindexed(engine, word, few=found < FEW_HITS)}


def _unindexed(engine: SearchEngine, word: str, few: bool) -> bool:
    """Whether no document holds `word` (a word the index holds is no typo, even when
    the thesaurus lacks it). German and Dutch words also match through their compound
    parts ("Strukturwandl" through "Struktur", "Wasserstof" through "Wasser"): a word
    its parts do not cover ("stof" is left over) counts as missing if no document holds
    the word itself; when the search found (almost) nothing, any such word does.

    Read from the index's vocabulary where the engine can (the embedded engine: no
    search at all); otherwise counted by searches, and "holds the word itself" is
    "finds more than its parts do"."""
    presence = engine.word_presence(word)
    hits = _count(engine, word) if presence is None else int(presence.matched)
    if not hits:
        return True
    folded = word.casefold()
    parts = list(dict.fromkeys(part for language in DECOMPOUND_LANGUAGES
                               for part in subwords(folded, compound_dictionary(language))))
    if not parts or not (few or _left_over(folded, parts)):
        return False
    if presence is not None:
        return not presence.itself
    return hits <= sum(_count(engine, part) for part in parts)


def _left_over(word: str, parts: list[str]) -> bool:
    """Whether letters of `word` lie in none of its compound parts."""
    covered = [False] * len(word)
    for part in parts:
        start = word.find(part)
        while start >= 0:
            covered[start:start + len(part)] = [True] * len(part)
            start = word.find(part, start + 1)
    return not all(covered)


def _count(engine: SearchEngine, text: str) -> int:
    # Only the total: no ranking (newest skips BM25 and fusion), no highlights.
    return engine.search(SearchQuery(text=text, per_page=1, facets=(), sort="newest",
                                     highlight=False)).total


def _refs(concept_ids, thesaurus: Thesaurus, ui_lang: str) -> tuple[ConceptRef, ...]:
    return tuple(ConceptRef(concept_id, thesaurus.label(concept_id, ui_lang))
                 for concept_id in concept_ids if concept_id in thesaurus)


def _closest(text: str, explanation: Explanation, thesaurus: Thesaurus,
             ui_lang: str) -> tuple[ConceptRef, ...]:
    """Concepts to offer when nothing was found: those recognised, then those with a
    label word closest to one of the query's words."""
    ids = [concept.id for concept in explanation.concepts]
    for word in tokenize(text):
        for near in (word, thesaurus.speller.closest(word, prefer=ui_lang)):
            if near:
                ids += thesaurus.concepts_with_word(near)
    return _refs(list(dict.fromkeys(ids))[:MAX_CLOSEST], thesaurus, ui_lang)
