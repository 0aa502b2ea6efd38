"""tools/elasticsearch/es-node refuses ports it cannot have, before building or starting anything."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

ES_NODE = Path(__file__).resolve().parents[1] / "tools" / "elasticsearch" / "es-node"


def listening_pair() -> tuple[int, socket.socket]:
    """A port P that is free while P+100 is taken (by the returned listening socket)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 100 > 65535:
            continue
        taken = socket.socket()
        try:
            taken.bind(("127.0.0.1", port + 100))
        except OSError:
            taken.close()
            continue
        taken.listen()
        return port, taken
    pytest.fail("no free port pair found")


@pytest.mark.parametrize("nodes", ["1", "3"])
def test_start_refuses_a_taken_transport_port(tmp_path, nodes):
    # a node on P uses P+100 for its transport: a node on 9300 would take 9200's
    port, taken = listening_pair()
    with taken:
        result = subprocess.run(
            [str(ES_NODE), "start", "--port", str(port), "--dir", str(tmp_path / "node"),
             "--nodes", nodes],
            capture_output=True, text=True, timeout=60,
            env={"PATH": "/usr/bin:/bin", "ES_NODE_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 1
    assert f"port {port + 100} is already in use" in result.stderr
    assert not (tmp_path / "cache").exists()  # refused before any build
    assert not (tmp_path / "node").exists()
