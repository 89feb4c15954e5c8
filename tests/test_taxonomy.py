"""Every action a line can produce is in the taxonomy, with the category and outcome it lists.

An action nobody documented is one no profile or filter was written for; an outcome the
taxonomy does not list for an action is a classification that contradicts its own docs.
The lines: every corpus record, every line of the test data files, the demo's generated lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser
from meshtail.taxonomy import all_actions, entries_for, markdown

DATA = Path(__file__).parent / "data"


def _lines() -> list[str]:
    lines = []
    for path in sorted((DATA / "corpus").rglob("*.jsonl")):
        lines += [json.loads(record)["raw"] for record in path.read_text(encoding="utf-8").splitlines() if record]
    for path in sorted(DATA.glob("*.log")):
        lines += path.read_text(encoding="utf-8").splitlines()
    return lines


def test_every_action_produced_is_listed_with_its_category_and_outcome() -> None:
    lines = _lines()
    assert len(lines) > 1500  # the premise: the corpus and the data files were read
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for text in lines:
        event = StreamParser().parse(RawLine(text, Source("file", path="t.log", line=1), "2026-01-01T00:00:00Z"))
        seen.add(event.action)
        entries = entries_for(event.action)
        if not entries:
            problems[event.action] = f"not in the taxonomy (from {text[:80]!r})"
            continue
        if not any(
            event.category in entry.category.split("|") and event.outcome in entry.outcome.split("|")
            for entry in entries
        ):
            listed = "; ".join(f"{e.category}/{e.outcome}" for e in entries)
            problems.setdefault(
                event.action, f"gave {event.category}/{event.outcome}, listed {listed} (from {text[:80]!r})"
            )
    assert len(seen) > 40
    assert not problems, "\n".join(f"{action}: {why}" for action, why in sorted(problems.items()))


def test_taxonomy_entries_are_well_formed() -> None:
    categories = {"auth", "routing", "config", "other"}
    outcomes = {"allow", "deny", "success", "failure", "change", "unknown"}
    for action in all_actions():
        assert set(action.category.split("|")) <= categories, action
        assert set(action.outcome.split("|")) <= outcomes, action
        assert action.trigger, action


@pytest.mark.parametrize("name", ["envoy.upstream", "authz.deny", "meshtail.stream.gap"])
def test_wildcard_and_exact_names_are_found(name: str) -> None:
    assert entries_for(name)


def test_docs_taxonomy_is_generated_from_the_code() -> None:
    text = (Path(__file__).parent.parent / "docs" / "taxonomy.md").read_text(encoding="utf-8")
    assert text == markdown(), "docs/taxonomy.md is out of date: run python scripts/taxonomy.py"


def test_every_format_produced_is_one_the_export_schema_allows() -> None:
    """The JSONL schema exports are checked against names every family a line can be read as (found by the
    property test in CI: istio-cni, a family of its own since issue 11, was missing from the schema's list)."""
    schema = json.loads((Path(__file__).parent.parent / "meshtail" / "schema" / "audit-event.schema.json").read_text())
    allowed = set(schema["properties"]["format"]["enum"])
    formats = {
        StreamParser().parse(RawLine(text, Source("file", path="t.log", line=1), "2026-01-01T00:00:00Z")).format
        for text in _lines()
    }
    assert {"istio-cni", "ztunnel", "k8s-audit", "envoy-text"} <= formats  # the premise: every family was read
    assert formats <= allowed, formats - allowed
