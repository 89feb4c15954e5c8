"""Compare a --sent-log with a JSONL of delivered events (the test side of scripts/compare_sent.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def compare(
    sent_path: Path, events_path: Path
) -> tuple[int, int, list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(distinct lines served, lines delivered, delivered twice, served but missing without a gap event)."""
    sent = set()
    for line in sent_path.read_text("utf-8", errors="surrogateescape").splitlines():
        stamp, origin, text = line.split("\t", 2)
        sent.add((stamp, origin, text))
    delivered: Counter[tuple[str, str, str]] = Counter()
    gaps = set()
    for line in events_path.read_text("utf-8").splitlines():
        event = json.loads(line)
        source = event["source"]
        origin = f"{source.get('namespace')}/{source.get('pod')}/{source.get('container')}"
        if event["format"] == "meshtail":
            if event["action"] == "meshtail.stream.gap":
                gaps.add(origin)
            continue
        stamp = event["attributes"].get("k8s.log.timestamp")
        if stamp:
            delivered[(stamp, origin, event["raw"])] += 1
    twice = [k for k, n in delivered.items() if n > 1]
    missing = sorted(k for k in sent - set(delivered) if k[1] not in gaps)
    return len(sent), sum(delivered.values()), twice, missing
