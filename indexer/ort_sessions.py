"""ONNX Runtime sessions as this project runs them: the query model's (e5_onnx.py) and
the int8 first pass's (embedded/int8_kernel.py).

Imported only by those two modules, which are loaded on first use: a process that
forks (gunicorn's arbiter) must not hold ONNX Runtime (see embedded/int8_kernel.py).
"""

from __future__ import annotations

import onnxruntime
from onnx import ModelProto


def session(model: ModelProto, threads: int = 1) -> onnxruntime.InferenceSession:
    """A CPU session of `model` that keeps to `threads` cores."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # Idle worker threads must not spin on the cores the web workers need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Without its arena a session holds what it uses, not its peak: the query model
    # ~35 MB instead of ~105 MB after a batch of passages, at the same speed
    # (docs/benchmarks.md).
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model.SerializeToString(), options,
                                        providers=["CPUExecutionProvider"])
