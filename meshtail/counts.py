"""What a pipeline and its writers counted, carried between processes for one summary.

A Loki history worker and a writer process each run a :class:`~meshtail.pipeline.Pipeline` and a
:class:`~meshtail.sinks.output.Writer` of their own; the summary is said by meshtail's process from its own
(idle or partial) pipeline and writer, so their counts travel back and are added there.  (A module of its own,
without the parsers: a fetch-only history worker imports it.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counts:
    """What a pipeline and its writers counted, sent from a process that parsed (a Loki history worker, a writer
    process) to the one that says the summary, and added to that one's own there."""

    lines: int = 0
    skipped: int = 0
    events: int = 0
    matched: int = 0
    formats_seen: dict[str, int] = field(default_factory=dict)
    health: dict[str, int] = field(default_factory=dict)
    written: int = 0
    redactions: int = 0

    def take(self, pipeline: Any, writers: Iterable[Any]) -> None:
        """Set to what ``pipeline`` and ``writers`` (sinks.output.Writer) have counted so far."""
        self.lines, self.skipped, self.events, self.matched = (
            pipeline.lines,
            pipeline.skipped,
            pipeline.events,
            pipeline.matched,
        )
        self.formats_seen, self.health = dict(pipeline.formats_seen), dict(pipeline.health)
        writers = list(writers)
        self.written = sum(writer.written for writer in writers)
        self.redactions = sum(writer.redactions for writer in writers)

    def add_to(self, pipeline: Any, writer: Any) -> None:
        """Add these to ``pipeline``'s and ``writer``'s own, which the summary reads."""
        pipeline.lines += self.lines
        pipeline.skipped += self.skipped
        pipeline.events += self.events
        pipeline.matched += self.matched
        pipeline.formats_seen.update(self.formats_seen)
        pipeline.health.update(self.health)
        writer.written += self.written
        writer.redactions += self.redactions
