"""What the portal asks an engine, and what it gets back."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

# Facets every engine declares (keyword fields in Elasticsearch, columns in
# the embedded engine). Filtering or faceting on anything else is an error.
FACETS: tuple[str, ...] = (
    "city",
    "country",
    "topic",
    "language",
    "year",
    "collection",
    "partnership",
    # Outcomes of a case study: project status (planned/running/completed)
    # and funding programme; SearchDocument.extra_facets carries them.
    "status",
    "funding",
    # Range facets in fixed bands (keyword values such as "1m-10m"): the budget band
    # and the CO2 savings band (tonnes per year) of a case study.
    "budget",
    "co2",
    # "human" when every translation was made by a person, "machine" when any
    # was machine-made (translation provenance).
    "translation",
)
SORTS = ("relevance", "newest")
MAX_PER_PAGE = 100
# Deep paging is capped: beyond this a user should narrow the search.
MAX_RESULT_WINDOW = 10_000


class QueryError(ValueError):
    """A query the engine cannot run; `parameter` names what is wrong."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Expansion:
    """Extra text to look for in one language, weighted below the literal query.

    Built above the engines (thesaurus, cross-language labels); each engine
    analyses `text` with the analysis of `language`.
    """

    language: str
    text: str
    boost: float = 0.5


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    facets: tuple[str, ...] = FACETS
    page: int = 1
    per_page: int = 20
    sort: str = "relevance"
    expansions: tuple[Expansion, ...] = ()
    # Thesaurus concept ids the query names: one clause on the topic field.
    concepts: tuple[str, ...] = ()
    # Concepts narrower than those, weighted fusion.NARROWER_WEIGHT.
    narrower_concepts: tuple[str, ...] = ()
    # The query's embedding (indexer/embedding.py, little-endian float32), for the
    # meaning signal; None: words and concepts only.
    vector: bytes | None = field(default=None, repr=False)
    # Or the vector still being computed (a Future of bytes): the engine asks for it
    # (meaning_vector) only after its lexical queries, so the two overlap.
    pending_vector: Future | None = field(default=None, repr=False, compare=False)
    # Allow edit-distance matches (typos) for the literal query terms.
    fuzzy: bool = False
    # Up to how many facet values to return per facet.
    facet_size: int = 50
    # False: hits come without highlights (cheaper, for lists that show none).
    highlight: bool = True
    # Called with the page's ids, best first, once the engine knows them and while it
    # still fetches their texts (Elasticsearch: the page request is in flight), so the
    # caller reads their rows from its own database meanwhile. An engine that has the
    # texts at hand need not call it.
    on_page: Callable[[list[int]], None] | None = field(default=None, repr=False,
                                                        compare=False)

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        if self.page < 1:
            raise QueryError("page", "page must be 1 or more")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError("per_page", f"per_page must be between 1 and {MAX_PER_PAGE}")
        if self.page * self.per_page > MAX_RESULT_WINDOW:
            raise QueryError(
                "page", f"results beyond {MAX_RESULT_WINDOW} are not served; narrow the search"
            )
        if self.sort not in SORTS:
            raise QueryError("sort", f"sort must be one of {', '.join(SORTS)}")
        for name in (*self.filters, *self.facets):
            if name not in FACETS:
                raise QueryError(
                    name,
                    f"'{name}' is not a declared facet; declare it in indexer.query.FACETS "
                    "and in the engines' mappings first",
                )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def is_browse(self) -> bool:
        return not self.text.strip()

    def vector_ready(self) -> bool:
        """Whether meaning_vector() would answer without waiting."""
        return self.vector is not None or self.pending_vector is None or (
            self.pending_vector.done())

    def meaning_vector(self) -> bytes | None:
        """`vector`, or the pending one once it is computed (waits for it)."""
        if self.vector is None and self.pending_vector is not None:
            return self.pending_vector.result()
        return self.vector


@dataclass(frozen=True)
class Hit:
    id: int
    score: float
    # field ("title", "summary", "body") -> HTML fragments with <mark>; all
    # other text in them is escaped.
    highlights: dict[str, list[str]] = field(default_factory=dict)
    # Languages whose text matched the query, best first.
    matched_languages: tuple[str, ...] = ()
    # Why it was found (indexer/fusion.py): "words", "concept", "meaning", and
    # "translation" when the words matched a translation only.
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
