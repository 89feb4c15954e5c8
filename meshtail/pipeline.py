"""Lines in, audit events out: one sticky format detector per stream, then the filter.

Sources call :meth:`Pipeline.line` for log lines and :meth:`Pipeline.event` for events
they make themselves (health, config changes); both reach the sink only if the filter
matches.  Nothing here knows about Kubernetes, files or the UI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from .events import AuditEvent, RawLine
from .lag import LagWatch
from .parse.detect import StreamParser
from .parse.envoy_access import CompiledFormat
from .parse.records import BATCH_STARTS, split_records
from .query import Filter, StreamFilter, compile_filter

# a stream's health events after which it reads, with sinceTime, what was written while it was broken
_RECONNECTS = frozenset(("meshtail.stream.reconnect", "meshtail.stream.stall", "meshtail.stream.resume"))


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
        # per stream: its parser (formats are sticky) and the filter bound to its formats
        self._parsers: dict[tuple[str | None, str | None, str | None, str | None], StreamParser] = {}
        self._bound: dict[tuple[str | None, str | None, str | None, str | None], StreamFilter] = {}
        self.lines = 0
        self.skipped = 0
        self.events = 0
        self.matched = 0
        self.formats_seen: Counter[str] = Counter()
        self.health: Counter[str] = Counter()
        self.lag = LagWatch(self.event)
        self._newest = self.lag.newest
        # per stream, how its parser goes on (StreamParser.state), for streams whose parser starts here mid-way
        self.carried: dict[tuple[str | None, str | None, str | None, str | None], tuple[str | None, ...]] = {}

    def line(self, raw: RawLine, batch: bool = True) -> None:
        """One line in; ``batch=False`` for a record already split out of a batch line (not split again)."""
        self.lines += 1
        source, text = raw.source, raw.text
        key = (source.namespace, source.pod, source.container, source.path)
        if raw.timestamp is not None:
            self._newest[key] = raw  # for the lag (received, stamp), worked out when asked
        precheck = self.query.precheck
        if precheck is not None and not precheck(text):
            self.skipped += 1
            return
        # (an access line starts with "[" too: the prefixes first, not a call per line)
        if batch and text.startswith(BATCH_STARTS) and (parts := split_records(text)) is not None:
            # a batch of records on one line (OTLP, Loki, Fluent Bit json): a line, and an event, each
            self.lines -= 1
            for part in parts:
                self.line(RawLine(part, source, raw.received, raw.timestamp, raw.decode_error), False)
            return
        parser = self._parsers.get(key)
        if parser is None:
            parser = self._parsers[key] = StreamParser(self.formats)
            if self.carried and (state := self.carried.get(key)) is not None:
                parser.restore(state)  # type: ignore[arg-type]
            if self.query.text:
                self._bound[key] = StreamFilter(self.query, source)
        verdict = None
        matched = parser.match_fast(text)
        if matched is not None and self.query.text:
            # most access-log lines are judged on their regex match: no event for those that fail
            verdict = self._bound[key].verdict(*matched)
            if verdict is False:
                self.formats_seen["envoy-text"] += 1
                self.events += 1
                return
        event = parser.parse(raw, matched)
        self.formats_seen[event.format] += 1
        self._deliver(event, verdict)

    def states(self) -> dict[tuple[str | None, str | None, str | None, str | None], tuple[str | None, ...]]:
        """Every stream's parser state (:meth:`StreamParser.state`), to carry over to another pipeline."""
        return {key: parser.state() for key, parser in self._parsers.items()}

    def event(self, event: AuditEvent) -> None:
        if event.format == "meshtail":
            self.health[event.action] += 1
            action = event.action
            if action == "meshtail.stream.end":
                source = event.source
                key = (source.namespace, source.pod, source.container, source.path)
                self._parsers.pop(key, None)
                self._bound.pop(key, None)
                self.lag.forget(key)
            elif action in _RECONNECTS:
                # read again from where it broke: its next lines are a backlog, old by design (not meshtail slow)
                source = event.source
                self.lag.reconnecting((source.namespace, source.pod, source.container, source.path))
        self._deliver(event)

    def _deliver(self, event: AuditEvent, verdict: bool | None = None) -> None:
        self.events += 1
        if verdict or not self.query.text or self.query.matches(event):
            self.matched += 1
            self.sink(event)
