"""The int8 first pass's product (quantized.py): ONNX Runtime's MatMulInteger over a
constant int8 matrix, packed once when the session is made.

quantized.py loads this module when it first builds a copy, not when the engine is
imported: gunicorn's arbiter imports the app's package for its config and then forks,
and workers forked with ONNX Runtime already loaded abort on exit ("terminate called
... Invalid argument"), so gunicorn cannot stop them (tests/test_serve.py).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from indexer import ort_sessions


def session(rows: np.ndarray, zero_point: int):
    """A session taking `query` (1 × dimensions, uint8 with `zero_point` for 0) and
    giving `dots`: its integer dot product with each of the int8 `rows`."""
    return ort_sessions.session(_graph(rows, zero_point))


def _graph(rows: np.ndarray, zero_point: int):
    count, dimensions = rows.shape
    matrix = numpy_helper.from_array(np.ascontiguousarray(rows.T), "matrix")
    offset = numpy_helper.from_array(np.array(zero_point, dtype=np.uint8), "zero_point")
    node = helper.make_node("MatMulInteger", ["query", "matrix", "zero_point"], ["dots"])
    graph = helper.make_graph(
        [node], "int8_rows",
        [helper.make_tensor_value_info("query", TensorProto.UINT8, [1, dimensions])],
        [helper.make_tensor_value_info("dots", TensorProto.INT32, [1, count])],
        initializer=[matrix, offset])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
