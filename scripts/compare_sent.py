"""Compare what the stand-in served (``--sent-log``) with what meshtail delivered (``tail --output jsonl``).

    python scripts/compare_sent.py SENT_LOG EVENTS_JSONL

Prints the counts, lines served but never delivered, lines delivered twice, and the
health events (reconnects, resumes, stalls, gaps) meshtail reported.  Exit status 1 when a
served line is missing without a gap reported for its stream, or a line was delivered twice.
"""

from __future__ import annotations

import json
import sys
from collections import Counter


def main(sent_path: str, events_path: str) -> int:
    sent: set[tuple[str, str, str]] = set()
    with open(sent_path, encoding="utf-8", errors="surrogateescape") as handle:
        for line in handle:
            stamp, origin, text = line.rstrip("\n").split("\t", 2)
            sent.add((stamp, origin, text))
    delivered: Counter[tuple[str, str, str]] = Counter()
    health: Counter[str] = Counter()
    gaps: set[str] = set()
    with open(events_path, encoding="utf-8") as handle:
        for line in handle:
            event = json.loads(line)
            source = event["source"]
            origin = f"{source.get('namespace')}/{source.get('pod')}/{source.get('container')}"
            if event["format"] == "meshtail":
                health[event["action"]] += 1
                if event["action"] == "meshtail.stream.gap":
                    gaps.add(origin)
                continue
            stamp = event["attributes"].get("k8s.log.timestamp")
            if stamp:
                delivered[(stamp, origin, event["raw"])] += 1
    twice = [k for k, n in delivered.items() if n > 1]
    missing = sent - set(delivered)
    unexplained = [m for m in missing if m[1] not in gaps]
    extra = set(delivered) - sent
    print(f"served {len(sent)} distinct lines, delivered {sum(delivered.values())} ({len(delivered)} distinct)")
    print(
        f"missing {len(missing)} ({len(unexplained)} without a reported gap), duplicated {len(twice)}, "
        f"delivered but never served {len(extra)}"
    )
    print("health events: " + ", ".join(f"{k} {v}" for k, v in sorted(health.items())))
    for stamp, origin, text in sorted(unexplained)[:10]:
        print(f"  missing: {stamp} {origin} {text[:100]}")
    for stamp, origin, text in sorted(twice)[:10]:
        print(f"  twice:   {stamp} {origin} {text[:100]}")
    return 1 if unexplained or twice or extra else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
