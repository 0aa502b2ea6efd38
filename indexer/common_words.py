"""Words most of a language's case studies hold, and the query as the model reads it.

Every case study of this portal is about a city, so "hydrogen buses in cities" asks
what "hydrogen buses" asks; the model, though, reads "cities" as a third of the query
and moves its vector towards whatever the collection says about cities
(docs/relevance.md: queries ending "in cities" lost 0.014 nDCG@10 cross-language and
0.029 same-language). A stem is common in a language when more than CUT of its case
studies hold it. The model reads the query without its closing phrase of common words:
function words, then common words only, after the query's last other word (Lucene's
old `common` terms query, narrowed to that phrase and to the meaning signal; the words
signal still matches them).

Kept: a common word that qualifies another ("municipal buildings", "city centre") or
follows no function word ("sustainable cities"), a word inside a thesaurus label the
query names ("network of cities"), and the whole query when nothing else is left.

Both engines read the same text, so both must know the same shares: the indexer counts
them (`count`) and the portal keeps them in its database; the relevance evaluation
counts its own collection.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from indexer.analysis import (
    QUERY_WORD,
    analyze,
    analyze_words,
    guess_language,
    stopwords,
    tokenize,
)
from indexer.documents import LanguageText, SearchDocument

# Share of a language's case studies above which a stem is common. At 0.2 or 0.35 the
# model also lost words a query is about ("gemeentelijk", "municipales"), measured.
CUT = 0.5
# Fewer case studies in a language than this and a share says little (a topic word that
# three of five Polish case studies hold): nothing in it is common.
MIN_DOCUMENTS = 20
# The indexer counts at most this many case studies per language, drawn at random: a
# share near CUT estimated from 1,000 is off by more than 1.6 points one time in three.
SAMPLE = 1000


@dataclass(frozen=True)
class CommonWords:
    """language -> the stems more than CUT of its case studies hold."""

    stems: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # language -> how many of its case studies were counted (for the operator).
    documents: Mapping[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.stems.values())

    def of(self, language: str) -> frozenset[str]:
        return self.stems.get(language, frozenset())


NONE = CommonWords()


def count(texts: Iterable[tuple[str, LanguageText]]) -> CommonWords:
    """The common stems of each language, from (language, text) pairs: each case study's
    original and translations (title, summary, body) count for their own language."""
    holding: dict[str, Counter] = {}
    counted: Counter = Counter()
    for language, text in texts:
        stems = set(analyze(" \n ".join([text.title, text.summary, text.body]), language))
        holding.setdefault(language, Counter()).update(stems)
        counted[language] += 1
    return CommonWords(
        stems={language: frozenset(stem for stem, n in holding[language].items()
                                   if n > CUT * counted[language])
               for language in counted if counted[language] >= MIN_DOCUMENTS},
        documents=dict(counted))


def texts_of(documents: Iterable[SearchDocument]) -> Iterator[tuple[str, LanguageText]]:
    """Every (language, text) of the documents, for `count`."""
    for document in documents:
        yield from document.texts.items()


def sample(ids: Iterable[int], size: int = SAMPLE, seed: int = 0) -> list[int]:
    """At most `size` of `ids`, drawn at random (the same draw for the same ids)."""
    ids = sorted(ids)
    return ids if len(ids) <= size else sorted(random.Random(seed).sample(ids, size))


def for_the_model(text: str, common: CommonWords, covered: Collection[int] = ()) -> str:
    """`text` without a closing phrase of common words, as the model should read it; else
    unchanged. `covered`: the positions (in `tokenize(text)`) of the words a recognised
    thesaurus label covers, kept."""
    if not common:
        return text
    words = QUERY_WORD.findall(text)
    language = guess_language(" ".join(words))
    stems, function = common.of(language), stopwords(language)
    if not stems:
        return text
    kinds, position = [], 0
    for word in words:
        tokens = tokenize(word)
        at = range(position, position + len(tokens))
        position += len(tokens)
        content = [token for token in tokens if token not in function]
        if not content:
            kinds.append("function")
        elif not any(p in covered for p in at) and all(
                analyzed and analyzed[0] in stems
                for analyzed in analyze_words(content, language)):
            kinds.append("common")
        else:
            kinds.append("content")
    # The closing phrase: function words, then common words only, after the last content
    # word ("… in cities"). A common word that qualifies another ("municipal buildings",
    # "city centre") or stands alone ("sustainable cities") says what is meant, and stays.
    end = len(kinds)
    while end and kinds[end - 1] == "common":
        end -= 1
    start = end
    while start and kinds[start - 1] == "function":
        start -= 1
    if end == len(kinds) or start == end or "content" not in kinds[:start]:
        return text
    return " ".join(words[:start])
