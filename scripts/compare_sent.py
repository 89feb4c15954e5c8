"""Compare what the stand-in served (``--sent-log``) with what meshtail delivered (``tail --output jsonl``).

    python scripts/compare_sent.py SENT_LOG EVENTS_JSONL [--grace SECONDS]

Prints the counts, lines served but never delivered, lines delivered twice, and the
health events (reconnects, resumes, stalls, gaps) meshtail reported.  Exit status 1 when a
served line is missing where meshtail reported nothing that covers it, or a line was
delivered twice.  What covers a missing line (a gap after its stream's last delivered
line, a stream reported incomplete when meshtail stopped, the last ``--grace`` seconds
before it stopped, 2 by default) is in meshtail/demo/sentlog.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from meshtail.demo.sentlog import compare


def main(sent_path: str, events_path: str, grace: float = 2.0) -> int:
    result = compare(sent_path, events_path, grace)
    delivered, twice, unexplained = result.delivered, result.duplicated, result.unexplained
    print(
        f"served {len(result.served)} distinct lines, delivered {sum(delivered.values())} ({len(delivered)} distinct)"
    )
    print(
        f"missing {len(result.missing)} ({len(unexplained)} not covered by a gap, an incomplete stream or the "
        f"last {grace:g}s), duplicated {len(twice)}, "
        f"delivered but never served {len(result.never_served)}"
    )
    print("health events: " + ", ".join(f"{k} {v}" for k, v in sorted(result.health.items())))
    for stamp, origin, text in unexplained[:10]:
        print(f"  missing: {stamp} {origin} {text[:100]}")
    for stamp, origin, text in sorted(twice)[:10]:
        print(f"  twice:   {stamp} {origin} {text[:100]}")
    return 1 if unexplained or twice or result.never_served else 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sent_log")
    parser.add_argument("events")
    parser.add_argument("--grace", type=float, default=2.0, help="seconds before the stop that may be missing")
    args = parser.parse_args()
    raise SystemExit(main(args.sent_log, args.events, args.grace))
