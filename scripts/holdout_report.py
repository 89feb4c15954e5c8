"""How well meshtail reads the holdout set: recognition and correctness per family and per file.

    python scripts/holdout_report.py [--misses N] [--family NAME] [--derived | --real]

Same measure as ``scripts/corpus_report.py`` (its ``judge`` is reused), over
``tests/data/holdout/**/*.jsonl``: real lines from public sources the corpus does not cite, labelled
before meshtail was run on them.  Adds a table per source kind (real/derived, and where the line came from).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOLDOUT = ROOT / "tests" / "data" / "holdout"

_spec = importlib.util.spec_from_file_location("corpus_report", ROOT / "scripts" / "corpus_report.py")
assert _spec and _spec.loader
corpus_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus_report)
judge = corpus_report.judge
KEYS = corpus_report.KEYS


def records(kind: str = "all") -> list[tuple[Path, int, dict]]:  # type: ignore[type-arg]
    out = []
    for path in sorted(HOLDOUT.rglob("*.jsonl")):
        derived = path.stem.endswith("-derived")
        if (kind == "real" and derived) or (kind == "derived" and not derived):
            continue
        for number, text in enumerate(path.read_text("utf-8").splitlines(), 1):
            out.append((path, number, json.loads(text)))
    return out


def source_kind(path: Path, record: dict) -> str:  # type: ignore[type-arg]
    """Where the line came from, coarsely: issue/PR thread, repository file (fixture or notes), docs."""
    if path.stem.endswith("-derived"):
        return "derived (wrapper built around a real line)"
    src = record.get("src", "")
    if re.match(r"^[\w.-]+/[\w.-]+#\d+$", src):
        return "issue / PR thread"
    if "index file id" in src:
        return "github file (notes, blog, lab write-up)"
    if re.match(r"^[\w.-]+/[\w.-]+ \S+", src):
        return "upstream repository fixture"
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong lines")
    parser.add_argument("--family", help="only records labelled with this format")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--derived", action="store_true", help="only *-derived files")
    group.add_argument("--real", action="store_true", help="only real lines")
    args = parser.parse_args(argv)
    kind = "derived" if args.derived else "real" if args.real else "all"
    rows = [(p, n, r) for p, n, r in records(kind) if not args.family or r["expect"]["format"] == args.family]
    by_family: dict[str, Counter[str]] = defaultdict(Counter)
    by_file: dict[str, Counter[str]] = defaultdict(Counter)
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    wrong_keys: Counter[str] = Counter()
    misses = []
    denials = []
    for path, number, record in rows:
        verdict = judge(record)
        for table, key in (
            (by_family, record["expect"]["format"]),
            (by_file, str(path.relative_to(HOLDOUT))),
            (by_source, source_kind(path, record)),
        ):
            table[key]["lines"] += 1
            table[key]["recognised"] += verdict["recognised"]
            table[key]["right"] += verdict["right"]
        if not verdict["right"]:
            for k in KEYS:
                if verdict["got"][k] != verdict["want"][k]:
                    wrong_keys[k] += 1
            misses.append((path, number, record, verdict))
        if verdict["missed_denial"]:
            denials.append((path, number, record, verdict))

    def table(title: str, data: dict[str, Counter[str]]) -> None:
        print(f"\n{title:<44} {'lines':>6} {'recognised':>11} {'right':>8}")
        for key in sorted(data):
            c = data[key]
            print(f"{key:<44} {c['lines']:>6} {c['recognised'] / c['lines']:>10.1%} {c['right'] / c['lines']:>8.1%}")

    total = Counter()  # type: ignore[var-annotated]
    for c in by_family.values():
        total.update(c)
    table("by labelled format", by_family)
    if not args.family:
        table("by file", by_file)
        table("by source kind", by_source)
    lines = total["lines"] or 1
    print(
        f"\nall: {total['lines']} lines ({kind}), recognised {total['recognised'] / lines:.1%}, "
        f"right {total['right'] / lines:.1%}; wrong by key: {dict(wrong_keys)}"
    )
    print(f"denials outside auth/Violations: {len(denials)}")
    for path, number, record, verdict in denials[:20]:
        print(f"  {path.relative_to(HOLDOUT)}:{number} {verdict['action']} {record['raw'][:140]!r}")
    for path, number, record, verdict in misses[: args.misses]:
        got, want = verdict["got"], verdict["want"]
        diff = ", ".join(f"{k} {got[k]}≠{want[k]}" for k in KEYS if got[k] != want[k])
        print(f"- {path.relative_to(HOLDOUT)}:{number} [{verdict['action']}] {diff}\n    {record['raw'][:220]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
