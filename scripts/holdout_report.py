"""How well meshtail reads the holdout set: recognition and correctness per family and per file.

    python scripts/holdout_report.py [--dir tests/data/holdout2] [--misses N] [--family NAME] [--derived | --real]

Same measure as ``scripts/corpus_report.py`` (its ``judge`` is reused), over
``tests/data/holdout/**/*.jsonl`` (or ``--dir``'s): real lines from public sources the corpus does not cite, labelled
before meshtail was run on them.  Adds a table per source kind (real/derived, and where the line came from).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOLDOUT = ROOT / "tests" / "data" / "holdout"

_spec = importlib.util.spec_from_file_location("corpus_report", ROOT / "scripts" / "corpus_report.py")
assert _spec and _spec.loader
corpus_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus_report)
judge = corpus_report.judge
KEYS = corpus_report.KEYS


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
    parser = corpus_report.arguments(__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=HOLDOUT, help="the holdout set (default tests/data/holdout)")
    args = parser.parse_args(argv)
    root = args.dir.resolve()
    return corpus_report.report(args, root, (("by source kind", source_kind),))


if __name__ == "__main__":
    raise SystemExit(main())
