"""The labelled corpus of real lines (tests/data/corpus, README there) holds its floor.

Floors sit a little under today's figures so that a change that makes meshtail read the
lines operators paste worse fails here, by family; ``scripts/corpus_report.py --misses N``
shows which lines.  A denial outside ``auth``/Violations is never allowed.
"""

from __future__ import annotations

import importlib.util
from collections import Counter, defaultdict
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "corpus_report", Path(__file__).parent.parent / "scripts" / "corpus_report.py"
)
assert _SPEC is not None and _SPEC.loader is not None
report = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(report)

# (recognised, right) floors per labelled format, and for every line together
FLOORS: dict[str, tuple[float, float]] = {
    "envoy-text": (0.97, 0.95),
    "envoy-json": (0.90, 0.85),
    "envoy-component": (0.95, 0.93),
    "istio-agent": (0.95, 0.90),
    "istiod": (0.90, 0.88),
    "istio-cni": (0.88, 0.85),
    "ztunnel": (0.97, 0.95),
    "k8s-audit": (0.97, 0.95),
    "unknown": (1.0, 0.80),
    "all": (0.97, 0.95),
}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, Counter[str]]:
    by_family: dict[str, Counter[str]] = defaultdict(Counter)
    records = report.records()
    assert len(records) >= 1000  # the premise: the corpus is there
    for _path, _number, record in records:
        verdict = report.judge(record)
        for key in (record["expect"]["format"], "all"):
            c = by_family[key]
            c["lines"] += 1
            c["recognised"] += verdict["recognised"]
            c["right"] += verdict["right"]
            c["missed_denial"] += verdict["missed_denial"]
    return by_family


@pytest.mark.parametrize("family", sorted(FLOORS))
def test_family_floor(verdicts: dict[str, Counter[str]], family: str) -> None:
    c = verdicts[family]
    assert c["lines"] >= 20, f"too few {family} lines to hold a floor"
    recognised, right = c["recognised"] / c["lines"], c["right"] / c["lines"]
    floor_recognised, floor_right = FLOORS[family]
    assert recognised >= floor_recognised and right >= floor_right, (
        f"{family}: recognised {recognised:.1%} (floor {floor_recognised:.0%}), right {right:.1%} "
        f"(floor {floor_right:.0%}); see python scripts/corpus_report.py --family {family} --misses 20"
    )


def test_no_denial_outside_auth_or_violations(verdicts: dict[str, Counter[str]]) -> None:
    assert verdicts["all"]["missed_denial"] == 0, "python scripts/corpus_report.py lists them"
