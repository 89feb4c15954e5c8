"""Check what meshtail delivered (``tail -o jsonl``) against what the stand-in served (``--sent-log``).

A served line may be missing from the output only where meshtail said it could be:

* after a **gap** (``meshtail.stream.gap``): lines of that stream written after the gap's
  ``meshtail.gap.after`` (just before the last line delivered: the rest of its timestamp's run
  may be lost too) and before the gap was reported — the
  instance whose log could not be read again ended before meshtail noticed;
* after an **incomplete** stream at the end of the run (``meshtail.stream.incomplete``):
  lines written after its ``meshtail.incomplete.after`` (just before its ``meshtail.stream.last_delivered``,
  as for a gap);
* **before the first line asked for**: lines of the same second as a stream's first delivered line, written before
  it -- ``--tail``/``--since`` did not ask for them, and a resume from that second serves them again (sinceTime has
  whole seconds), for meshtail to drop;
* in the **last seconds of the run**: lines written less than ``grace`` seconds before
  meshtail stopped (``meshtail.source.stop``), or after it — they may still have been on
  the wire.

Every other served line must be delivered exactly once.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..sinks.redact import MARK
from ..sources.kube.resume import timestamp_key

Line = tuple[str, str, str]  # (kubelet timestamp, ns/pod/container, text)


def sent_line(stamp: str, origin: str, text: str) -> str:
    """One line of a sent log, as the API server's and the Loki stand-in's ``--sent-log`` write it and
    :func:`compare` reads it: ``<kubelet timestamp>\t<namespace>/<pod>/<container>\t<line>\n``."""
    return f"{stamp}\t{origin}\t{text}\n"


@dataclass
class Excuse:
    """Lines of one stream written in (after, until] may be missing; None is open-ended."""

    after: str | None
    until: str | None
    why: str

    def covers(self, stamp: str) -> bool:
        key = timestamp_key(stamp)
        return (self.after is None or key > timestamp_key(self.after)) and (
            self.until is None or key <= timestamp_key(self.until)
        )


@dataclass
class Comparison:
    served: set[Line] = field(default_factory=set)
    delivered: Counter[Line] = field(default_factory=Counter)
    health: Counter[str] = field(default_factory=Counter)
    excuses: dict[str, list[Excuse]] = field(default_factory=dict)  # by ns/pod/container
    stopped_at: str | None = None
    grace: float = 2.0
    first_delivered: dict[str, str] = field(default_factory=dict)  # by ns/pod/container, in timestamp_key form

    @property
    def gaps(self) -> set[str]:
        """Streams that reported a gap."""
        return {origin for origin, found in self.excuses.items() if any(e.why == "gap" for e in found)}

    @property
    def duplicated(self) -> list[Line]:
        return [k for k, n in self.delivered.items() if n > 1]

    @property
    def missing(self) -> set[Line]:
        return self.served - set(self.delivered)

    def excused(self, line: Line) -> bool:
        stamp, origin, _ = line
        if self.stopped_at is not None and _seconds_before(stamp, self.stopped_at) < self.grace:
            return True
        first = self.first_delivered.get(origin)
        if first is not None:
            key = timestamp_key(stamp)
            if key < first and key[:19] == first[:19]:
                return True  # before the boundary --tail/--since drew inside that second
        return any(excuse.covers(stamp) for excuse in self.excuses.get(origin, ()))

    @property
    def unexplained(self) -> list[Line]:
        """Served but never delivered, and not covered by anything meshtail reported."""
        return sorted(m for m in self.missing if not self.excused(m))

    @property
    def never_served(self) -> set[Line]:
        return set(self.delivered) - self.served


def _seconds_before(stamp: str, later: str) -> float:
    """``later - stamp`` in seconds, for RFC 3339 UTC stamps."""
    from datetime import datetime

    def parse(text: str) -> float:
        key = timestamp_key(text)
        return datetime.fromisoformat(key[:19] + "+00:00").timestamp() + int(key[20:29]) / 1e9

    return parse(later) - parse(stamp)


def excuse_for(event: dict) -> tuple[str, Excuse] | None:  # type: ignore[type-arg]
    """What a health event (JSON form) allows to be missing, and for which stream."""
    source, attrs = event.get("source", {}), event.get("attributes", {})
    origin = f"{source.get('namespace')}/{source.get('pod')}/{source.get('container')}"
    if event["action"] == "meshtail.stream.gap":
        return origin, Excuse(attrs.get("meshtail.gap.after"), event.get("time"), "gap")
    if event["action"] == "meshtail.stream.incomplete":
        after = attrs.get("meshtail.incomplete.after", attrs.get("meshtail.stream.last_delivered"))
        return origin, Excuse(after, None, "incomplete")
    return None


def _unredacted(raw: str, stamp: str, origin: str, served: dict[tuple[str, str], list[str]]) -> str:
    """The served line a redacted ``raw`` was made from (same stream and time, equal outside the redactions)."""
    pattern = re.compile(".*?".join(re.escape(part) for part in raw.split(MARK)), re.S)
    for text in served.get((stamp, origin), ()):
        if pattern.fullmatch(text):
            return text
    return raw


def compare(sent_path: str | Path, events_path: str | Path, grace: float = 2.0) -> Comparison:
    """Served lines against delivered events; events written with redaction on are matched around the redactions."""
    result = Comparison(grace=grace)
    by_place: dict[tuple[str, str], list[str]] = {}
    for line in Path(sent_path).read_text("utf-8", errors="surrogateescape").splitlines():
        stamp, origin, text = line.split("\t", 2)
        result.served.add((stamp, origin, text))
        by_place.setdefault((stamp, origin), []).append(text)
    for line in Path(events_path).read_text("utf-8").splitlines():
        event = json.loads(line)
        source = event["source"]
        origin = f"{source.get('namespace')}/{source.get('pod')}/{source.get('container')}"
        if event["format"] == "meshtail":
            result.health[event["action"]] += 1
            found = excuse_for(event)
            if found is not None:
                result.excuses.setdefault(found[0], []).append(found[1])
            if event["action"] == "meshtail.source.stop":
                result.stopped_at = event["time"]
            continue
        stamp = event["attributes"].get("k8s.log.timestamp")
        if stamp:
            raw = event["raw"]
            if event["attributes"].get("meshtail.redacted"):
                raw = _unredacted(raw, stamp, origin, by_place)
            result.delivered[(stamp, origin, raw)] += 1
            key = timestamp_key(stamp)
            if key < result.first_delivered.get(origin, "~"):
                result.first_delivered[origin] = key
    return result
