"""The fuzz target runs (briefly) in CI; longer runs: python scripts/fuzz.py --seconds 600."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .conftest import parse

FUZZ = Path(__file__).parent.parent / "scripts" / "fuzz.py"


def test_fuzz_target_finds_nothing(capsys) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("meshtail_fuzz", FUZZ)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--seconds", "6", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "fuzz lines:" in out and "fuzz formats:" in out and "fuzz filters:" in out


def test_a_megabyte_of_word_characters_after_a_key_does_not_backtrack() -> None:
    # found by the fuzz target: an unterminated quoted value followed by ~1 MB of letters made the
    # key=value reader backtrack quadratically (minutes for one line)
    line = (
        '2024-08-22T10:01:02.345678Z\terror\taccess\tconnection complete\tsrc.addr=10.244.1.6:45208 dst.namespace="d'
        + "x" * 1_000_000
    )
    event = parse(line)
    assert event.format == "ztunnel" and event.raw == line
