"""The one interface both search engines implement."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from indexer.documents import SearchDocument
from indexer.query import SearchQuery, SearchResult


class EngineUnavailable(RuntimeError):
    """The engine cannot be reached or refused the request; retry later."""


class EngineMisconfigured(EngineUnavailable):
    """The engine answered, but refused the request for good (a 4xx: an index built
    with a missing analyzer, wrong credentials, ...). Searches cannot work until an
    operator fixes it; the worker waits as for an unreachable engine."""


class DocumentsRefused(RuntimeError):
    """The engine refused some documents of a write for good (e.g. a field the strict
    mapping does not declare); every other document of the write was applied.

    `refused`: document id -> the engine's reason.
    """

    def __init__(self, refused: dict[int, str]):
        self.refused = refused
        first = next(iter(refused.items()), (None, ""))
        super().__init__(f"{len(refused)} document(s) refused, e.g. {first[0]}: {first[1]}")


@dataclass(frozen=True)
class Deletion:
    """Remove document `id`, unless the index holds a version newer than `version`."""

    id: int
    version: int


@dataclass(frozen=True)
class WordPresence:
    """Whether documents hold one query word, in some language: at all (`matched`, also
    through a compound part's stem, as a search for it matches) and through the
    word's own stem (`itself`)."""

    matched: bool
    itself: bool


class SearchEngine(abc.ABC):
    """Index and search case studies.

    Writes are idempotent and ordered: a document or deletion carries the case
    study's revision, and an engine ignores any write older than what it holds.
    """

    name: str

    @abc.abstractmethod
    def ensure_index(self) -> None:
        """Create the index (and its alias) if missing."""

    @abc.abstractmethod
    def index(self, documents: Iterable[SearchDocument]) -> int:
        """Add or replace documents in bulk; returns how many were applied.

        A document whose version is older than the indexed one is skipped, not
        an error. Raises EngineUnavailable if the engine did not acknowledge.
        """

    @abc.abstractmethod
    def delete(self, deletions: Iterable[Deletion]) -> int:
        """Remove documents in bulk; missing ones are not an error."""

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """Run a query: ranked ids, total, disjunctive facets, highlights."""

    @abc.abstractmethod
    def rebuild(self, documents: Iterable[SearchDocument], on_refused=None) -> str:
        """Build a fresh index from `documents` and switch to it atomically.

        Searches keep being answered from the old index until the switch.
        Returns the new physical index name. Documents the engine refuses for
        good are left out and passed to `on_refused({id: reason})` after the
        switch; without it, DocumentsRefused is raised after the switch.
        """

    @abc.abstractmethod
    def indexed_versions(self) -> Mapping[int, tuple[int, str]]:
        """id -> (version, content hash) of every indexed document."""

    @abc.abstractmethod
    def health(self) -> dict:
        """{"status": "up"|"down", ...details}; never raises."""

    def word_presence(self, word: str) -> WordPresence | None:
        """What the index holds of `word`, read from its vocabulary without searching;
        None where the engine cannot tell so (the caller then counts by searches)."""
        return None

    def refresh(self) -> None:
        """Make recent writes visible to search (no-op where they already are)."""

    def close(self) -> None:
        """Release connections."""
