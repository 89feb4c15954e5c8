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
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from .events import AuditEvent, RawLine, Source
from .parse.detect import StreamParser
from .parse.envoy_access import CompiledFormat
from .parse.timestamps import split_kubelet_prefix


class PackedEvent:
    """An ``envoy-text`` event as the store holds it; reads like an :class:`AuditEvent`."""

    __slots__ = (
        "_decode_error",
        "_line",
        "_log_format",
        "_packer",
        "_source",
        "_stamp",
        "action",
        "category",
        "outcome",
        "raw",
        "received",
        "severity",
        "violation",
    )
    format = "envoy-text"

    def __init__(self, event: AuditEvent, packer: Packer, source: Source, stamp: str | None) -> None:
        attrs = event.attributes
        self.raw = event.raw
        self.received = event.received
        self.category = event.category
        self.outcome = event.outcome
        self.violation = event.violation
        self.severity = event.severity
        self.action = event.action
        self._source = source
        self._line = event.source.line
        self._stamp = stamp
        self._log_format = attrs.get("envoy.log_format")
        self._decode_error = bool(attrs.get("meshtail.decode_error"))
        self._packer = packer

    def unpack(self) -> AuditEvent:
        """The full event, parsed again from the raw line (recent ones are cached)."""
        return self._packer.unpack(self)

    # the AuditEvent fields that are not kept
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


class Packer:
    """Packs events for the store and unpacks them with the same parser settings (custom formats)."""

    def __init__(self, formats: list[CompiledFormat] | None = None, cache_size: int = 4096) -> None:
        self._formats = formats
        self._parser = StreamParser(formats)
        self._sources: dict[tuple[str, str | None, str | None, str | None, str | None], Source] = {}
        self._cache: OrderedDict[int, tuple[PackedEvent, AuditEvent]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.unpacked = 0  # parses done to read packed events (a figure for benchmarks)

    def pack(self, event: AuditEvent) -> AuditEvent | PackedEvent:
        if event.format != "envoy-text" or type(event) is not AuditEvent:
            return event
        src = event.source
        key = (src.kind, src.namespace, src.pod, src.container, src.path)
        source = self._sources.get(key)
        if source is None:
            if len(self._sources) > 100_000:
                self._sources.clear()  # pod churn over days: old names are not needed for sharing
            source = self._sources[key] = Source(src.kind, src.namespace, src.pod, src.container, src.path)
        stamp = event.attributes.get("k8s.log.timestamp")
        if stamp is not None and split_kubelet_prefix(event.raw)[0] == stamp:
            stamp = None  # it is in the line itself: parsing finds it again
        return PackedEvent(event, self, source, stamp)

    def unpack(self, packed: PackedEvent) -> AuditEvent:
        key = id(packed)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] is packed:
                self._cache.move_to_end(key)
                return hit[1]
            shared = packed._source
            source = Source(shared.kind, shared.namespace, shared.pod, shared.container, shared.path, packed._line)
            raw = RawLine(packed.raw, source, packed.received, packed._stamp, packed._decode_error)
            event = self._parser.reparse(raw, packed._log_format)
            self.unpacked += 1
            stored = (packed.category, packed.outcome, packed.violation, packed.severity, packed.action)
            now = (event.category, event.outcome, event.violation, event.severity, event.action)
            if stored != now or event.format != "envoy-text":
                event.attributes["meshtail.repack_mismatch"] = f"stored as {stored}, read again as {now}"
            self._cache[key] = (packed, event)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return event
