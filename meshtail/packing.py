"""Access-log events at rest: the raw line and the decision, attributes re-read on demand.

A parsed Envoy access-log event is ~25 attributes, a summary and a timestamp: about
3 KB of Python objects for a 370-byte line, so a million of them would need more than
3 GB.  The store keeps them packed instead — the raw line, where it came from and the
classified decision (category, outcome, violation, severity, action), which is all the
panes need to place an event — and parses the line again when something reads the
rest (a visible row, the detail screen, a filter on an attribute, an export).  The
parse is deterministic, so the event read back is the event that was stored; if it
ever is not (a parser change between store and read is impossible within one process,
but a bug is not), the re-read event says so in ``meshtail.repack_mismatch``.

Only ``envoy-text`` events are packed: they are the bulk of any mesh's logs, and
everything they hold comes from the line.  Other events (config changes with diffs,
health events, JSON lines) are stored as they are.

A packed record is a plain tuple of strings, integers and ``None`` (the source is an
index into the packer's table), because CPython's garbage collector stops tracking such
tuples: a million stored events then cost the collector nothing.  As objects they made
every full collection walk the whole store — 35 pauses of up to 0.7 s a minute while the
TUI ingested 20,000 lines/s (``benchmarks/tui_ingest.py``).  :class:`PackedEvent` is the
view of a record that the store hands out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from .events import AuditEvent, RawLine, Source
from .parse.detect import StreamParser
from .parse.envoy_access import CompiledFormat
from .parse.timestamps import split_kubelet_prefix

# a packed record: (raw, received, category, outcome, violation, severity, action,
#                   source index, line, kubelet stamp, Envoy log format name, decode error)
Record = tuple[str, str, str, str, bool, str, str, int, "int | None", "str | None", "str | None", bool]


def _field(position: int, name: str) -> property:
    """A read-only attribute of :class:`PackedEvent` taken from its record."""

    def get(self: PackedEvent) -> Any:
        return self._record[position]

    get.__name__ = name
    return property(get, doc=f"``{name}`` as stored")


class PackedEvent:
    """A stored ``envoy-text`` record, read like an :class:`AuditEvent`.

    Made on each read; two views of the same record compare equal.
    """

    __slots__ = ("_packer", "_record")
    format = "envoy-text"

    def __init__(self, record: Record, packer: Packer) -> None:
        self._record = record
        self._packer = packer

    # kept in the record
    raw = _field(0, "raw")
    received = _field(1, "received")
    category = _field(2, "category")
    outcome = _field(3, "outcome")
    violation = _field(4, "violation")
    severity = _field(5, "severity")
    action = _field(6, "action")

    # parsed again from the raw line
    def unpack(self) -> AuditEvent:
        """The full event, parsed again from the raw line (recent ones are cached)."""
        return self._packer.unpack(self._record)

    @property
    def time(self) -> str | None:
        return self.unpack().time

    @property
    def summary(self) -> str:
        return self.unpack().summary

    @property
    def attributes(self) -> dict[str, Any]:
        return self.unpack().attributes

    @property
    def source(self) -> Source:
        return self.unpack().source

    def to_dict(self) -> dict[str, Any]:
        return self.unpack().to_dict()

    def to_json(self) -> str:
        return self.unpack().to_json()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PackedEvent) and other._record is self._record

    def __hash__(self) -> int:
        return id(self._record)


class Packer:
    """Packs events for the store and unpacks them with the same parser settings (custom formats)."""

    def __init__(self, formats: list[CompiledFormat] | None = None, cache_size: int = 4096) -> None:
        self._parser = StreamParser(formats)
        # streams seen, by index: grows by one small entry per container ever followed
        self._source_index: dict[tuple[str, str | None, str | None, str | None, str | None], int] = {}
        self._sources: list[Source] = []
        self._cache: OrderedDict[int, tuple[Record, AuditEvent]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def pack(self, event: AuditEvent) -> AuditEvent | Record:
        """The record to store for *event*, or the event itself if it is not an access-log line."""
        if event.format != "envoy-text" or type(event) is not AuditEvent:
            return event
        src = event.source
        key = (src.kind, src.namespace, src.pod, src.container, src.path)
        index = self._source_index.get(key)
        if index is None:
            index = self._source_index[key] = len(self._sources)
            self._sources.append(Source(src.kind, src.namespace, src.pod, src.container, src.path))
        attrs = event.attributes
        stamp = attrs.get("k8s.log.timestamp")
        if stamp is not None and split_kubelet_prefix(event.raw)[0] == stamp:
            stamp = None  # it is in the line itself: parsing finds it again
        return (
            event.raw,
            event.received,
            event.category,
            event.outcome,
            event.violation,
            event.severity,
            event.action,
            index,
            src.line,
            stamp,
            attrs.get("envoy.log_format"),
            bool(attrs.get("meshtail.decode_error")),
        )

    def view(self, stored: AuditEvent | Record) -> AuditEvent | PackedEvent:
        """What readers of the store get: events as they are, records as :class:`PackedEvent`."""
        return PackedEvent(stored, self) if type(stored) is tuple else stored  # type: ignore[arg-type]

    def unpack(self, record: Record) -> AuditEvent:
        key = id(record)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] is record:
                self._cache.move_to_end(key)
                return hit[1]
            raw_text, received, category, outcome, violation, severity, action, index, line, stamp, log_format, bad = (
                record
            )
            shared = self._sources[index]
            source = Source(shared.kind, shared.namespace, shared.pod, shared.container, shared.path, line)
            event = self._parser.reparse(RawLine(raw_text, source, received, stamp, bad), log_format)
            stored = (category, outcome, violation, severity, action)
            now = (event.category, event.outcome, event.violation, event.severity, event.action)
            if stored != now or event.format != "envoy-text":
                event.attributes["meshtail.repack_mismatch"] = f"stored as {stored}, read again as {now}"
            self._cache[key] = (record, event)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return event
