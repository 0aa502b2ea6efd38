"""Search indexing library: documents, engines, analysis, thesaurus.

Knows nothing of Flask or the database; the portal hands it plain
`SearchDocument`s and `SearchQuery`s and gets `SearchResult`s back.
"""

from indexer.documents import SearchDocument, LanguageText
from indexer.engine import (
    DocumentsRefused,
    EngineMisconfigured,
    EngineUnavailable,
    SearchEngine,
)
from indexer.engines import create_engine
from indexer.query import (
    FACETS,
    FacetValue,
    Hit,
    QueryError,
    SearchQuery,
    SearchResult,
)

__all__ = [
    "FACETS",
    "DocumentsRefused",
    "EngineMisconfigured",
    "EngineUnavailable",
    "FacetValue",
    "Hit",
    "LanguageText",
    "QueryError",
    "SearchDocument",
    "SearchEngine",
    "SearchQuery",
    "SearchResult",
    "create_engine",
]
