"""The int8 first pass's product (quantized.py): ONNX Runtime's MatMulInteger over a
constant int8 matrix, packed once when the session is made.

quantized.py loads this module when it first builds a copy, not when the engine is
imported: gunicorn's arbiter imports the app's package for its config and then forks,
and workers forked with ONNX Runtime already loaded abort on exit ("terminate called
... Invalid argument"), so gunicorn cannot stop them (tests/test_serve.py).
"""

from __future__ import annotations

import numpy as np
import onnxruntime
from onnx import TensorProto, helper, numpy_helper


def session(rows: np.ndarray, zero_point: int) -> onnxruntime.InferenceSession:
    """A session taking `query` (1 × dimensions, uint8 with `zero_point` for 0) and
    giving `dots`: its integer dot product with each of the int8 `rows`."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(_graph(rows, zero_point).SerializeToString(), options,
                                        providers=["CPUExecutionProvider"])


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
