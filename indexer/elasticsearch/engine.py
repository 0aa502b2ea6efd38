"""The Elasticsearch engine: bulk writes with external versions, alias-switched rebuilds."""

from __future__ import annotations

import functools
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import islice

import numpy as np
from elasticsearch import (
    ApiError,
    ConnectionTimeout,
    Elasticsearch,
    NotFoundError,
    TransportError,
    helpers,
)

from indexer.documents import SearchDocument
from indexer.elasticsearch import mapping
from indexer.elasticsearch.client import client_options
from indexer.elasticsearch.documents import to_source
from indexer import fusion
from indexer.elasticsearch.errors import (
    Unavailable,
    bulk_item_reason,
    retryable,
    transport_detail,
)
from indexer.elasticsearch.query_builder import (
    build_count_body,
    build_cosines_body,
    build_feedback_body,
    build_lexical_bodies,
    build_meaning_body,
    build_page_body,
    build_vectors_body,
)
from indexer.elasticsearch.results import (
    cosines_of,
    doc_ids,
    facets_of,
    page_hits,
    ranked,
    total_of,
    vectors_of,
)
from indexer.engine import (
    Deletion,
    DocumentsRefused,
    EngineMisconfigured,
    EngineUnavailable,
    SearchEngine,
)
from indexer.query import MAX_PER_PAGE, SearchQuery, SearchResult

log = logging.getLogger(__name__)
BULK_CHUNK = 500
# A rebuild streams into an index nobody reads yet: bigger requests, two in flight
# (Python builds one while Elasticsearch indexes the other), no refresh, no fsync
# per request. Measured in bench/es_bench.py (docs/benchmarks.md).
REBUILD_CHUNK = 1000
REBUILD_THREADS = 2
BULK_LOAD_SETTINGS = {"refresh_interval": "-1", "translog.durability": "async",
                      "auto_expand_replicas": False, "number_of_replicas": 0}
KEEP_INDEXES = 2
# A rebuild's bulk requests also build the vectors' HNSW graph: on a busy node one
# chunk took over the default 30 s (bench/es_bench.py, load ~20 on 2 cores).
REBUILD_REQUEST_TIMEOUT = 120.0
# A search that meets a fail-over (a node leaving while it coordinates or holds the shard
# copy asked) answers 5xx or loses its connection; asked again, another node answers.
SEARCH_RETRY_PAUSE = 0.25  # seconds
HEALTH_TIMEOUT = 3.0  # seconds; a health check must answer fast, even when ES does not
OUT_OF_DATE = "index out of date — run `cityex index rebuild`"
# The meaning request of a search whose query vector is still being computed (sent when
# it is there, while the words are in flight), the page request while the caller reads
# the page's rows, and the count beside the page (ElasticsearchEngine._search); the
# client is thread-safe and pools its connections.
_IN_FLIGHT = ThreadPoolExecutor(max_workers=4, thread_name_prefix="es-in-flight")


class ElasticsearchEngine(SearchEngine):
    name = "elasticsearch"

    def __init__(self, url: str | list[str], prefix: str = "cityex-",
                 request_timeout: float = 30.0, client: Elasticsearch | None = None,
                 rebuild_chunk: int = REBUILD_CHUNK, rebuild_threads: int = REBUILD_THREADS,
                 *, api_key: str | None = None, username: str | None = None,
                 password: str | None = None, ca_certs: str | None = None):
        self.prefix = prefix
        self.rebuild_chunk = rebuild_chunk
        self.rebuild_threads = rebuild_threads
        self.alias = mapping.alias_name(prefix)
        self.client = client or Elasticsearch(**client_options(
            url, request_timeout=request_timeout, api_key=api_key, username=username,
            password=password, ca_certs=ca_certs))
        # Searches check the alias once, not each time (a round trip each); a 404 re-checks.
        self._alias_ready = False
        self._mapping_checked = False
        # The last refusal (4xx) of a search or an index creation, until one succeeds:
        # /healthz shows it, as waiting will not fix it.
        self.last_refusal: str | None = None

    # -- index lifecycle -----------------------------------------------------------
    def _create_physical(self, *, bulk_loading: bool = False) -> str:
        name = mapping.physical_name(self.prefix)
        body = mapping.load_mapping()
        settings = dict(body["settings"])
        if bulk_loading:
            settings.update(BULK_LOAD_SETTINGS)
        try:
            self.client.indices.create(index=name, settings=settings,
                                       mappings={**body["mappings"], "_meta": mapping.index_meta()})
        except ApiError as error:
            # Two processes creating the index in the same millisecond pick the same
            # name: the second uses the first's (the same mapping). A rebuild does not
            # share the index it fills.
            if bulk_loading or error.error != "resource_already_exists_exception":
                raise
        return name

    def _finish_bulk_load(self, name: str) -> None:
        """The mapping's settings back (or ES defaults), everything durable and searchable."""
        configured = mapping.load_mapping()["settings"]
        self.client.indices.put_settings(index=name, settings={
            key: configured.get(key) for key in BULK_LOAD_SETTINGS})
        self.client.indices.flush(index=name)
        self.client.indices.refresh(index=name)

    def ensure_index(self) -> None:
        with self._unavailable_on_failure("create the index"):
            if not self.client.indices.exists_alias(name=self.alias):
                name = self._create_physical()
                self.client.indices.put_alias(index=name, name=self.alias)
                self._settle_alias()
            if not self._mapping_checked:  # once per process: its first use of the index
                self._mapping_checked = True
                if not self.mapping_status()["current"]:
                    log.warning("%s: %s", self.alias, OUT_OF_DATE)
        self._alias_ready = True

    def mapping_status(self) -> dict:
        """Whether the index behind the alias was built from today's effective mapping."""
        found = self.client.indices.get_mapping(index=self.alias, filter_path="*.mappings._meta")
        meta = next(iter(found.body.values()), {}).get("mappings", {}).get("_meta", {})
        return {"current": meta.get("mapping_hash") == mapping.mapping_hash(),
                "index_hash": meta.get("mapping_hash"), "expected_hash": mapping.mapping_hash()}

    def _settle_alias(self) -> None:
        """Two processes (web, indexer) may both find no alias and both create an index.
        Each then keeps the oldest of the alias's indexes and drops the others, so they
        agree whichever runs first."""
        targets = set(self.client.indices.get_alias(name=self.alias))
        extra = [name for name in self._physical_indexes() if name in targets][1:]
        if extra:
            self.client.indices.update_aliases(actions=[
                {"remove": {"index": name, "alias": self.alias}} for name in extra])
            for name in extra:
                self._drop_quietly(name)

    def _ensure_once(self) -> None:
        if not self._alias_ready:
            self.ensure_index()

    def _with_index(self, call):
        """Run `call()` against the alias; if the alias vanished (dropped by hand), recreate it once."""
        self._ensure_once()
        try:
            return call()
        except NotFoundError:
            self._alias_ready = False
            self.ensure_index()
            return call()

    def _physical_indexes(self) -> list[str]:
        """This prefix's physical indexes, oldest first (by creation date, then name)."""
        found = self.client.indices.get(index=mapping.physical_pattern(self.prefix),
                                        expand_wildcards="open",
                                        filter_path="*.settings.index.creation_date")
        created = {name: int(info["settings"]["index"]["creation_date"])
                   for name, info in found.items()}
        return sorted(created, key=lambda name: (created[name], name))

    def drop_all(self) -> None:
        """Remove every index of this prefix (tests and throwaway setups)."""
        with self._unavailable_on_failure("drop the indexes"):
            for name in self._physical_indexes():
                self.client.indices.delete(index=name, ignore_unavailable=True)
        self._alias_ready = False

    # -- writes --------------------------------------------------------------------
    def index(self, documents: Iterable[SearchDocument]) -> int:
        # Checked on every write: a bulk to a missing alias would auto-create a plain index by that name.
        self.ensure_index()
        actions = (
            {
                "_op_type": "index",
                "_index": self.alias,
                "_id": str(document.id),
                "version": document.version,
                "version_type": "external_gte",
                "_source": to_source(document),
            }
            for document in documents
        )
        return self._bulk(actions)

    def delete(self, deletions: Iterable[Deletion]) -> int:
        self.ensure_index()
        actions = (
            {
                "_op_type": "delete",
                "_index": self.alias,
                "_id": str(deletion.id),
                "version": deletion.version,
                "version_type": "external_gte",
            }
            for deletion in deletions
        )
        return self._bulk(actions)

    def _bulk(self, actions: Iterable[dict], index: str | None = None,
              chunk_size: int = BULK_CHUNK, refused: dict | None = None,
              client: Elasticsearch | None = None) -> int:
        """Send actions in chunks; version conflicts and missing docs are not errors.

        A document refused for good (a 4xx) does not stop the others: every chunk is
        sent, then DocumentsRefused names the refused ones (or, given `refused`, they
        are added to it and the caller decides).
        """
        applied = 0
        collect = refused is not None
        refused = {} if refused is None else refused
        with self._unavailable_on_failure("write to the index"):
            for ok, item in helpers.streaming_bulk(
                client or self.client, actions, chunk_size=chunk_size, raise_on_error=False,
                raise_on_exception=True, index=index,
            ):
                result = next(iter(item.values()))
                status = result.get("status", 200)
                if ok:
                    applied += result.get("result") != "not_found"
                elif status in (404, 409):
                    continue  # stale (older version) or already gone
                elif retryable(status):
                    raise EngineUnavailable(f"Elasticsearch answered {status}: {result.get('error')}")
                else:
                    refused[int(result["_id"])] = bulk_item_reason(status, result.get("error"))
        if refused and not collect:
            raise DocumentsRefused(refused)
        return applied

    def _bulk_pipelined(self, actions: Iterable[dict], index: str, refused: dict) -> int:
        """`rebuild_threads` chunks in flight while the next one is built.

        The actions are built in this thread: their source may read the database
        through a session bound to it (elasticsearch.helpers.parallel_bulk would
        pull them from a thread of its own).
        """
        applied, pending = 0, deque()
        actions = iter(actions)
        client = self.client.options(request_timeout=REBUILD_REQUEST_TIMEOUT)
        with ThreadPoolExecutor(self.rebuild_threads, thread_name_prefix="es-bulk") as pool:
            while chunk := list(islice(actions, self.rebuild_chunk)):
                pending.append(pool.submit(self._bulk, chunk, index, self.rebuild_chunk,
                                           refused, client))
                # Wait only when every sender is busy AND a chunk is queued: the
                # next chunk is built while `rebuild_threads` requests are in
                # flight (waiting at `>=` left one sender idle during the build).
                if len(pending) > self.rebuild_threads:
                    applied += pending.popleft().result()
            while pending:
                applied += pending.popleft().result()
        return applied

    def refresh(self) -> None:
        with self._unavailable_on_failure("refresh the index"):
            self._with_index(lambda: self.client.indices.refresh(index=self.alias))

    def rebuild(self, documents: Iterable[SearchDocument], on_refused=None) -> str:
        """Fill a new physical index, then swap the alias to it in one request.

        Documents the engine refuses for good are left out and handed to
        `on_refused(id -> reason)` after the switch (without it: DocumentsRefused).
        """
        refused: dict[int, str] = {}
        with self._unavailable_on_failure("rebuild the index"):
            name = self._create_physical(bulk_loading=True)
            actions = (
                {"_op_type": "index", "_id": str(d.id), "version": d.version,
                 "version_type": "external_gte", "_source": to_source(d)}
                for d in documents
            )
            try:
                self._bulk_pipelined(actions, index=name, refused=refused)
                self._finish_bulk_load(name)
            except BaseException:
                self._drop_quietly(name)  # a half-filled index must not pass for a rollback
                raise
            self._switch_alias(name)
            self._remove_old_indexes(keep=name)
        self._alias_ready = True
        self.last_refusal = None
        if refused:
            if on_refused is None:
                raise DocumentsRefused(refused)
            on_refused(refused)
        return name

    def _drop_quietly(self, name: str) -> None:
        try:
            self.client.indices.delete(index=name, ignore_unavailable=True)
        except (TransportError, ApiError) as error:
            log.warning("could not remove the unfinished index %s: %s", name, error)

    def _switch_alias(self, name: str) -> None:
        actions = [{"add": {"index": name, "alias": self.alias}}]
        if self.client.indices.exists_alias(name=self.alias):
            current = self.client.indices.get_alias(name=self.alias)
            actions = [{"remove": {"index": old, "alias": self.alias}} for old in current] + actions
        self.client.indices.update_aliases(actions=actions)

    def _remove_old_indexes(self, keep: str) -> None:
        old = [name for name in self._physical_indexes() if name != keep]
        for name in old[: max(0, len(old) + 1 - KEEP_INDEXES)]:
            self.client.indices.delete(index=name, ignore_unavailable=True)

    # -- reads ---------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        """Browse/newest: one request. Relevance: the signals in one _msearch (or
        words and concept while the model still embeds the query, then meaning), fused
        by indexer.fusion with the feedback window, then the page with its highlights
        and the count at once (query_builder). A search that fails with
        Elasticsearch unavailable is asked once more (SEARCH_RETRY_PAUSE)."""
        try:
            result = self._search_once(query)
        except EngineUnavailable as error:
            if isinstance(error, EngineMisconfigured) or isinstance(error.__cause__, ConnectionTimeout):
                raise  # a refusal stays one; a timeout retried would double a long wait
            log.warning("search failed, asking again in %.2f s: %s", SEARCH_RETRY_PAUSE, error)
            time.sleep(SEARCH_RETRY_PAUSE)
            result = self._search_once(query)
        self.last_refusal = None
        return result

    def _search_once(self, query: SearchQuery) -> SearchResult:
        with self._unavailable_on_failure("search"):
            return self._with_index(lambda: self._search(query))

    def _search(self, query: SearchQuery) -> SearchResult:
        wanted = query.offset + query.per_page
        counting = None  # the count's request while it is in flight beside the page's
        if query.is_browse or query.sort == "newest":
            count = self.client.search(index=self.alias,
                                       **build_count_body(query, size=query.per_page)).body
            order = doc_ids(count)
            scores, reasons = {}, {}
        else:
            fused, count, feedback = self._fused(query)
            order = [item.id for item in fused]
            scores = {item.id: item.score for item in fused}
            reasons = {item.id: item.reasons for item in fused}
            if count is None and len(order) >= wanted:
                # The page is known without the total: the node counts while it
                # highlights the page (two requests at once; the count's time saved).
                counting = _IN_FLIGHT.submit(self._count, query, feedback)
            elif count is None:
                count = self._count(query, feedback)
            if counting is None and len(order) < min(wanted, total_of(count)):
                order += self._newest_rest(query, set(order), wanted - len(order), feedback)
            order = order[query.offset:wanted]
        hits = []
        if order and not query.is_browse:
            hits = page_hits(self._page(query, order), order, scores, reasons)
        elif order:
            hits = page_hits(count, order, scores, reasons)
        if counting is not None:
            count = counting.result()
        return SearchResult(total=total_of(count), hits=hits, facets=facets_of(count, query))

    def _fused(self, query: SearchQuery) -> tuple[list[fusion.Fused], dict | None,
                                                  np.ndarray | None]:
        """The signals' windows fused; with a vector, fused again with the feedback's
        window and the candidates' cosines (indexer.fusion, one request for both). Also
        the count's response when it went with them (no vector), and the feedback vector."""
        bodies = build_lexical_bodies(query)
        if bodies and not query.vector_ready():
            # The model is still embedding the query in its worker thread: the words
            # and concept windows are searched from this thread at once, and a second
            # thread asks for the meaning window as soon as the vector is there, while
            # they are usually still in flight (the node searches both at once).
            later = _IN_FLIGHT.submit(lambda: self._msearch(self._vector_bodies(query)))
            responses = self._msearch(bodies)
            responses.update(later.result())
        else:
            responses = self._msearch({**bodies, **self._vector_bodies(query)})
        meaning = "meaning" in responses
        count = responses.pop("count", None)
        windows = {name: ranked(response, vector=name == "meaning")
                   for name, response in responses.items()}
        fused = fusion.fuse(windows)
        feedback = None
        if meaning:
            # The final fusion: the feedback's neighbours, and the cosines of the words'
            # and concept's documents that are not among the meaning neighbours.
            feedback = self._feedback_vector(fused, vectors_of(responses["meaning"]))
            second = {}
            if feedback is not None:
                second["feedback"] = build_feedback_body(query, feedback)
            candidates = fusion.meaning_candidates(windows)
            if candidates:
                second["cosines"] = build_cosines_body(query, candidates)
            if second:
                found = self._msearch(second)
                if "feedback" in found:
                    windows["feedback"] = ranked(found["feedback"], vector=True)
                if "cosines" in found:
                    windows["meaning"] = fusion.with_cosines(windows["meaning"],
                                                             cosines_of(found["cosines"]))
                fused = fusion.fuse(windows)
        return fused, count, feedback

    @staticmethod
    def _vector_bodies(query: SearchQuery) -> dict[str, dict]:
        """The meaning window's body, waiting for the query's vector; without one, the
        count's (it then goes with the first request)."""
        meaning = build_meaning_body(query)
        return {"meaning": meaning} if meaning is not None else {"count": build_count_body(query)}

    def _count(self, query: SearchQuery, feedback: np.ndarray | None) -> dict:
        """Total and facet counts of a text search (build_count_body)."""
        return self.client.search(index=self.alias,
                                  **build_count_body(query, feedback=feedback)).body

    def _page(self, query: SearchQuery, order: list[int]) -> dict:
        """The page's hits with their highlights. The request is in flight while the
        caller's on_page reads the page's rows (~1 ms off a search)."""
        ask = functools.partial(self.client.search, index=self.alias,
                                include_named_queries_score=True,
                                **build_page_body(query, order))
        if query.on_page is None:
            return ask().body
        asked = _IN_FLIGHT.submit(ask)
        query.on_page(order)
        return asked.result().body

    def _feedback_vector(self, fused: list[fusion.Fused],
                         vectors: dict[int, np.ndarray]) -> np.ndarray | None:
        """fusion.feedback_vector from the best documents' stored vectors: those of the
        meaning window, the others (found by words or a concept only) fetched."""
        missing = [doc_id for doc_id in fusion.feedback_ids(fused) if doc_id not in vectors]
        if missing:
            found = self.client.search(index=self.alias, **build_vectors_body(missing)).body
            vectors = {**vectors, **vectors_of(found)}
        return fusion.feedback_vector(fused, vectors)

    def _newest_rest(self, query: SearchQuery, seen: set[int], count: int,
                     feedback: np.ndarray | None = None) -> list[int]:
        """Past every signal's window: the other counted documents, newest first."""
        body = build_count_body(replace(query, sort="newest", page=1,
                                        per_page=min(MAX_PER_PAGE, len(seen) + count)),
                                size=min(MAX_PER_PAGE, len(seen) + count), feedback=feedback)
        body.pop("aggs")
        newest = doc_ids(self.client.search(index=self.alias, **body).body)
        return [doc_id for doc_id in newest if doc_id not in seen][:count]

    def _msearch(self, bodies: dict[str, dict]) -> dict[str, dict]:
        """name -> response of each body, searched in one round trip."""
        searches = []
        for body in bodies.values():
            searches += [{"index": self.alias}, body]
        responses = self.client.msearch(searches=searches).body["responses"]
        for response in responses:
            error = response.get("error")
            if error is None:
                continue
            status = response.get("status", 500)
            if status == 404:
                raise NotFoundError(message=str(error), meta=None, body=response)
            if retryable(status):
                raise EngineUnavailable(f"cannot search: Elasticsearch answered {status}")
            self.last_refusal = (f"cannot search: Elasticsearch refused it "
                                 f"({bulk_item_reason(status, error)}); check the index and "
                                 f"the cluster settings, then run `cityex index rebuild`")
            raise EngineMisconfigured(self.last_refusal)
        return dict(zip(bodies, responses))

    def indexed_versions(self) -> Mapping[int, tuple[int, str]]:
        self.ensure_index()
        with self._unavailable_on_failure("read the index"):
            return {
                int(hit["_id"]): (hit["_version"], hit["_source"]["content_hash"])
                for hit in self._scan({"_source": ["content_hash"], "version": True})
            }

    def _scan(self, body: dict) -> Iterator[dict]:
        return helpers.scan(self.client, index=self.alias, query=body)

    def health(self) -> dict:
        try:
            health = self.client.options(request_timeout=HEALTH_TIMEOUT).cluster.health(timeout="2s")
        except (TransportError, ApiError) as error:
            return {"status": "down", "engine": self.name, "error": transport_detail(error)[:200]}
        status = "down" if health["status"] == "red" else "up"
        report = {"status": status, "engine": self.name, "cluster": health["status"],
                  "alias": self.alias}
        if self.last_refusal:
            return {**report, "status": "down", "error": self.last_refusal[:500]}
        try:
            if self.client.options(request_timeout=HEALTH_TIMEOUT).indices.exists_alias(
                    name=self.alias):
                current = self.mapping_status()["current"]
                report["mapping"] = "current" if current else "out of date"
                if not current:
                    report["warning"] = OUT_OF_DATE
        except (TransportError, ApiError) as error:
            log.warning("health check: cannot read the index mapping: %s", error)
        return report

    def close(self) -> None:
        self.client.close()

    # -- errors --------------------------------------------------------------------
    def _unavailable_on_failure(self, action: str):
        return Unavailable(action, self)
