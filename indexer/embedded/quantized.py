"""An int8 copy of the vector matrix: a meaning search's first pass, then exact cosines.

Below REDUCED_FROM rows a meaning search reads the whole float32 matrix twice (the
query's neighbours, then feedback's): 10k × 384 take ~0.7-1.8 ms each from memory on
the bench host. From QUANTIZED_FROM rows on, the snapshot also keeps the matrix as int8
(one scale per row, max |x| / 127): a quarter of the bytes, multiplied by ONNX Runtime's
MatMulInteger (integer dot products; ~0.3 ms at 10k from memory). Every approximate
cosine comes with a bound on its error from the two roundings, so the rows that can be
among the k nearest are known: those whose upper bound reaches the k-th best lower
bound. Only they are scored exactly, so the neighbours are those the whole matrix gives
(unlike the reduced pass of larger snapshots, this one misses none).

The copy is built by a background thread when a snapshot is loaded or updated (~25 ms
at 10k, ~200 ms at 50k); searches meanwhile read the float32 rows.
"""

from __future__ import annotations

import importlib
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger(__name__)
# Below this many rows the float32 matrix stays in the cache and is read as fast.
QUANTIZED_FROM = 4096
# An int8 value of the query is stored as uint8 with this offset (MatMulInteger's
# uint8 × int8 form).
ZERO_POINT = 128
# The module that makes the product's ONNX Runtime session (loaded on first use).
KERNEL = "indexer.embedded.int8_kernel"
# Covers float32 rounding: of the exact cosines' dot products (384 terms) and of the
# approximate ones' scaling.
ROUNDING = 1e-4


@dataclass(frozen=True)
class FirstPass:
    """Approximate cosines of every row and a bound on each one's error."""

    cosines: np.ndarray
    errors: np.ndarray


@dataclass(frozen=True, eq=False)
class Quantized:
    session: onnxruntime.InferenceSession  # holds the int8 rows (packed once)
    scales: np.ndarray  # per row: max |x| / 127
    norms_l1: np.ndarray  # per row: sum |x|, for the query's rounding error

    def first_pass(self, vector: np.ndarray) -> FirstPass:
        vector = np.asarray(vector, dtype=np.float32)
        step = float(np.abs(vector).max()) / 127 or 1.0
        rounded = np.rint(vector / step)
        query = (rounded + ZERO_POINT).astype(np.uint8)[None, :]
        dots = self.session.run(None, {"query": query})[0][0]
        cosines = dots * (self.scales * step)
        # |q·x - q'·x'| <= |(q - q')·x| + |q'·(x - x')|, each coordinate rounded by at
        # most half its step.
        errors = (step / 2) * self.norms_l1 + (self.scales / 2) * float(
            np.abs(rounded).sum() * step) + ROUNDING
        return FirstPass(cosines, errors)

    def candidates(self, first: FirstPass, inside: np.ndarray, floor: float,
                   k: int) -> np.ndarray:
        """The rows (within the boolean mask `inside`, in row order) that may be among
        the `k` nearest at `floor` or above: every row whose cosine can reach the k-th
        best of the cosines the others surely reach."""
        upper = first.cosines + first.errors
        possible = inside & (upper >= floor)
        if np.count_nonzero(possible) > k:
            lower = np.where(possible, first.cosines - first.errors, -np.inf)
            surely = np.partition(lower, len(lower) - k)[len(lower) - k]
            possible &= upper >= surely
        return np.flatnonzero(possible)


_BUILDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="int8-rows")


class Int8Rows:
    """A matrix's int8 copy, built in the background: `ready` is None until it is there."""

    def __init__(self, vectors: np.ndarray):
        self.ready: Quantized | None = None
        # Weakly: a snapshot replaced by a newer one before its turn is not built for.
        _BUILDER.submit(_build, weakref.ref(self), vectors)


def _build(holder: weakref.ref[Int8Rows], vectors: np.ndarray) -> None:
    if holder() is None:
        return
    try:
        built_copy = quantized_of(vectors)
    except Exception:  # the searches go on over the float32 rows
        log.exception("could not build the int8 copy of %d vectors", len(vectors))
        return
    if (rows := holder()) is not None:
        rows.ready = built_copy


def built() -> None:
    """Wait until the copies asked for so far are built (tests, benchmarks)."""
    _BUILDER.submit(lambda: None).result()


def quantized_of(vectors: np.ndarray) -> Quantized:
    """The int8 copy of a float32 matrix (rows: unit vectors or any)."""
    scales = np.abs(vectors).max(axis=1) / 127
    scales[scales == 0] = 1.0
    rows = np.rint(vectors / scales[:, None]).astype(np.int8)
    # Loaded now, not with the engine (see int8_kernel.py: a process that forks must not
    # hold ONNX Runtime).
    kernel = importlib.import_module(KERNEL)
    return Quantized(kernel.session(rows, ZERO_POINT), scales.astype(np.float32),
                     np.abs(vectors).sum(axis=1).astype(np.float32))
