"""Other programs' log messages are not the mesh's: a regression guard against false claims.

``tests/data/lookalikes/go-programs.jsonl`` holds log message strings from the Go sources of the programs whose
lines operators paste beside mesh logs -- Kiali, Contour, Envoy Gateway and its AI gateway, Emissary,
consul-dataplane, Gloo, the Sail operator, Linkerd's control plane, cert-manager, istio-csr and OPA's Envoy
plugin -- each with its repository, commit and ``path:line`` (its ``%v`` verbs filled with plain values).  Every
message the parser claimed at stop 25 is there, and one in eight of the rest.  None of these programs is a mesh
family, so any family meshtail names for them is a false claim -- but for the messages marked ``shared``: the very
words of a message an Istio program prints as well (Envoy Gateway carries a copy of Istio's Wasm fetcher, and
``Envoy proxy is ready`` is consul-dataplane's and the agent's).

At stop 25, 82 of these were claimed bare or behind stern's names, and every one of them in tracing's Rust
layout (read as ztunnel).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser

RECORDS = [json.loads(line) for line in (Path(__file__).parent / "data" / "lookalikes" / "go-programs.jsonl").open()]

SHAPES = {
    "bare": lambda m: m,
    "stern": lambda m: f"contour-7d9f8b6c5d-x2k4q contour {m}",  # stern's POD CONTAINER, an application's
    "Rust tracing": lambda m: f"2024-05-01T10:00:00.123456Z  INFO gateway_controller::server: {m}",
    "Rust tracing JSON": lambda m: json.dumps(
        {"timestamp": "2024-05-01T10:00:00.123456Z", "level": "INFO", "message": m, "target": "controller::server"}
    ),
}


def test_the_premise_many_programs_many_messages() -> None:
    assert len(RECORDS) > 1000 and len({record["repo"] for record in RECORDS}) >= 12
    assert all(len(record["commit"]) == 40 and ":" in record["path"] for record in RECORDS)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_no_mesh_family_is_claimed_for_another_programs_message(shape: str) -> None:
    parser_source = Source("file", path="pasted.log", line=1)
    claimed = []
    for record in RECORDS:
        if "shared" in record:
            continue
        line = SHAPES[shape](record["message"])
        event = StreamParser().parse(RawLine(line, parser_source, "2026-01-01T00:00:00Z"))
        if event.format != "unknown":
            claimed.append((record["repo"], record["path"], event.format, record["message"][:80]))
    assert not claimed, claimed[:10]
