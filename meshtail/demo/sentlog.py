"""Check what meshtail delivered (``tail -o jsonl``) against what the stand-in served (``--sent-log``)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

Line = tuple[str, str, str]  # (kubelet timestamp, ns/pod/container, text)


@dataclass
class Comparison:
    served: set[Line] = field(default_factory=set)
    delivered: Counter[Line] = field(default_factory=Counter)
    health: Counter[str] = field(default_factory=Counter)
    gaps: set[str] = field(default_factory=set)  # streams that reported a gap

    @property
    def duplicated(self) -> list[Line]:
        return [k for k, n in self.delivered.items() if n > 1]

    @property
    def missing(self) -> set[Line]:
        return self.served - set(self.delivered)

    @property
    def unexplained(self) -> list[Line]:
        """Served but never delivered, in a stream that reported no gap."""
        return sorted(m for m in self.missing if m[1] not in self.gaps)

    @property
    def never_served(self) -> set[Line]:
        return set(self.delivered) - self.served


def compare(sent_path: str | Path, events_path: str | Path) -> Comparison:
    result = Comparison()
    for line in Path(sent_path).read_text("utf-8", errors="surrogateescape").splitlines():
        stamp, origin, text = line.split("\t", 2)
        result.served.add((stamp, origin, text))
    for line in Path(events_path).read_text("utf-8").splitlines():
        event = json.loads(line)
        source = event["source"]
        origin = f"{source.get('namespace')}/{source.get('pod')}/{source.get('container')}"
        if event["format"] == "meshtail":
            result.health[event["action"]] += 1
            if event["action"] == "meshtail.stream.gap":
                result.gaps.add(origin)
            continue
        stamp = event["attributes"].get("k8s.log.timestamp")
        if stamp:
            result.delivered[(stamp, origin, event["raw"])] += 1
    return result
