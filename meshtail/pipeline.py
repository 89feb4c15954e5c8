"""Lines in, audit events out: one sticky format detector per stream, then the filter.

Sources call :meth:`Pipeline.line` for log lines and :meth:`Pipeline.event` for events
they make themselves (health, config changes); both reach the sink only if the filter
matches.  Nothing here knows about Kubernetes, files or the UI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from .events import AuditEvent, RawLine
from .parse.detect import StreamParser
from .parse.envoy_access import CompiledFormat
from .query import Filter, compile_filter


class Pipeline:
    def __init__(
        self,
        sink: Callable[[AuditEvent], None],
        query: Filter | None = None,
        formats: list[CompiledFormat] | None = None,
    ) -> None:
        self.sink = sink
        self.query = query or compile_filter("")
        self.formats = formats
        self._parsers: dict[tuple[str | None, str | None, str | None, str | None], StreamParser] = {}
        self.lines = 0
        self.skipped = 0
        self.events = 0
        self.matched = 0
        self.formats_seen: Counter[str] = Counter()
        self.health: Counter[str] = Counter()

    def line(self, raw: RawLine) -> None:
        self.lines += 1
        precheck = self.query.precheck
        if precheck is not None and not precheck(raw.text):
            self.skipped += 1
            return
        source = raw.source
        key = (source.namespace, source.pod, source.container, source.path)
        parser = self._parsers.get(key)
        if parser is None:
            parser = self._parsers[key] = StreamParser(self.formats)
        event = parser.parse(raw)
        self.formats_seen[event.format] += 1
        self._deliver(event)

    def event(self, event: AuditEvent) -> None:
        if event.format == "meshtail":
            self.health[event.action] += 1
            if event.action == "meshtail.stream.end":
                source = event.source
                self._parsers.pop((source.namespace, source.pod, source.container, source.path), None)
        self._deliver(event)

    def _deliver(self, event: AuditEvent) -> None:
        self.events += 1
        if self.query.matches(event):
            self.matched += 1
            self.sink(event)
