"""Compare what the stand-in served (``--sent-log``) with what meshtail delivered (``tail --output jsonl``).

    python scripts/compare_sent.py SENT_LOG EVENTS_JSONL

Prints the counts, lines served but never delivered, lines delivered twice, and the
health events (reconnects, resumes, stalls, gaps) meshtail reported.  Exit status 1 when a
served line is missing without a gap reported for its stream, or a line was delivered twice.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from meshtail.demo.sentlog import compare


def main(sent_path: str, events_path: str) -> int:
    result = compare(sent_path, events_path)
    delivered, twice, unexplained = result.delivered, result.duplicated, result.unexplained
    print(
        f"served {len(result.served)} distinct lines, delivered {sum(delivered.values())} ({len(delivered)} distinct)"
    )
    print(
        f"missing {len(result.missing)} ({len(unexplained)} without a reported gap), duplicated {len(twice)}, "
        f"delivered but never served {len(result.never_served)}"
    )
    print("health events: " + ", ".join(f"{k} {v}" for k, v in sorted(result.health.items())))
    for stamp, origin, text in unexplained[:10]:
        print(f"  missing: {stamp} {origin} {text[:100]}")
    for stamp, origin, text in sorted(twice)[:10]:
        print(f"  twice:   {stamp} {origin} {text[:100]}")
    return 1 if unexplained or twice or result.never_served else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
