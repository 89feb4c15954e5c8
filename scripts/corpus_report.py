"""How well meshtail reads the labelled corpus: recognition and correctness per family and per file.

    python scripts/corpus_report.py [--misses N] [--family NAME] [--derived | --real]

Every record of ``tests/data/corpus/**/*.jsonl`` (see its README) is parsed on its own, by a
fresh parser, as a pasted line would be.  A line is *recognised* when meshtail names a
family for it (anything but ``unknown``; a line labelled ``unknown`` counts as recognised
when meshtail also says ``unknown``), and *right* when format, category, outcome and
violation all match the label.  Denials (``outcome: deny``) that do not land in ``auth`` or
with ``violation`` are listed apart: an auditor filtering the Violations pane would miss them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meshtail.events import RawLine, Source  # noqa: E402
from meshtail.parse.detect import StreamParser  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus"
KEYS = ("format", "category", "outcome", "violation")


def records(kind: str = "all", root: Path = CORPUS) -> list[tuple[Path, int, dict]]:  # type: ignore[type-arg]
    """Every record under ``root`` (``kind``: all, real, or derived files only), with its file and line."""
    out = []
    for path in sorted(root.rglob("*.jsonl")):
        derived = path.stem.endswith("-derived")
        if (kind == "real" and derived) or (kind == "derived" and not derived):
            continue
        for number, text in enumerate(path.read_text("utf-8").splitlines(), 1):
            out.append((path, number, json.loads(text)))
    return out


def judge(record: dict) -> dict:  # type: ignore[type-arg]
    """What meshtail makes of one record, beside what the label says."""
    event = StreamParser().parse(RawLine(record["raw"], Source("file", path="corpus", line=1), "2026-01-01T00:00:00Z"))
    got = {
        "format": event.format,
        "category": event.category,
        "outcome": event.outcome,
        "violation": event.violation,
    }
    want = record["expect"]
    recognised = got["format"] != "unknown" or want["format"] == "unknown"
    return {
        "got": got,
        "want": want,
        "recognised": recognised,
        "right": all(got[k] == want[k] for k in KEYS),
        "missed_denial": want["outcome"] == "deny" and not (got["category"] == "auth" or got["violation"]),
        "action": event.action,
    }


Grouping = tuple[str, Callable[[Path, dict], str]]  # type: ignore[type-arg]


def arguments(description: str) -> argparse.ArgumentParser:
    """The options both reports take."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong lines")
    parser.add_argument("--family", help="only records labelled with this format")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--derived", action="store_true", help="only *-derived files")
    group.add_argument("--real", action="store_true", help="only real lines")
    return parser


def report(args: argparse.Namespace, root: Path, extra: tuple[Grouping, ...] = ()) -> int:
    """Judge every record under ``root`` and print the tables (by format, by file, and ``extra`` groupings),
    the totals, the denials outside auth/Violations and the first ``--misses`` wrong lines."""
    kind = "derived" if args.derived else "real" if args.real else "all"
    rows = [(p, n, r) for p, n, r in records(kind, root) if not args.family or r["expect"]["format"] == args.family]
    groupings: tuple[Grouping, ...] = (
        ("by labelled format", lambda _path, record: record["expect"]["format"]),
        ("by file", lambda path, _record: str(path.relative_to(root))),
        *extra,
    )
    tables: dict[str, dict[str, Counter[str]]] = {title: defaultdict(Counter) for title, _key in groupings}
    wrong_keys: Counter[str] = Counter()
    misses = []
    denials = []
    for path, number, record in rows:
        verdict = judge(record)
        for title, key_of in groupings:
            counts = tables[title][key_of(path, record)]
            counts["lines"] += 1
            counts["recognised"] += verdict["recognised"]
            counts["right"] += verdict["right"]
        if not verdict["right"]:
            for k in KEYS:
                if verdict["got"][k] != verdict["want"][k]:
                    wrong_keys[k] += 1
            misses.append((path, number, record, verdict))
        if verdict["missed_denial"]:
            denials.append((path, number, record, verdict))

    for title, _key in groupings[:1] if args.family else groupings:
        print(f"\n{title:<44} {'lines':>6} {'recognised':>11} {'right':>8}")
        data = tables[title]
        for key in sorted(data):
            c = data[key]
            print(f"{key:<44} {c['lines']:>6} {c['recognised'] / c['lines']:>10.1%} {c['right'] / c['lines']:>8.1%}")
    total: Counter[str] = Counter()
    for c in tables["by labelled format"].values():
        total.update(c)
    lines = total["lines"] or 1
    print(
        f"\nall: {total['lines']} lines ({kind}), recognised {total['recognised'] / lines:.1%}, "
        f"right {total['right'] / lines:.1%}; wrong by key: {dict(wrong_keys)}"
    )
    print(f"denials outside auth/Violations: {len(denials)}")
    for path, number, record, verdict in denials[:20]:
        print(f"  {path.relative_to(root)}:{number} {verdict['action']} {record['raw'][:140]!r}")
    for path, number, record, verdict in misses[: args.misses]:
        got, want = verdict["got"], verdict["want"]
        diff = ", ".join(f"{k} {got[k]}≠{want[k]}" for k in KEYS if got[k] != want[k])
        print(f"- {path.relative_to(root)}:{number} [{verdict['action']}] {diff}\n    {record['raw'][:220]!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return report(arguments(__doc__.splitlines()[0]).parse_args(argv), CORPUS)


if __name__ == "__main__":
    raise SystemExit(main())
