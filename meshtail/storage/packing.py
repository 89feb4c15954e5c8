"""Line events at rest: a few numbers and the raw line; everything else is read from the line again.

A parsed Envoy access-log event is ~25 attributes, a summary and a timestamp: about
3 KB of Python objects for a 370-byte line, so a million of them would need more than
3 GB.  The store keeps each event made from a line as columns instead (see
:mod:`meshtail.storage.store`): the raw line as UTF-8 bytes, the index of its *kind* (decision,
format and how it was read — a few hundred distinct values in a mesh), the index of its
source (one per container ever followed), its line number, its kubelet timestamp and
when it was received as integers.  That is what the panes need to place an event; the
rest is parsed again when something reads it (a visible row, the detail screen, a filter
on an attribute, an export).  The parse is deterministic, so the event read back is the
event that was stored; if it ever is not (a bug), the event says so in
``meshtail.repack_mismatch``.

None of this is visible to the garbage collector (bytes, ints in arrays), which used to walk
every stored event on each full collection — 35 pauses of up to 0.7 s a minute while the
TUI ingested 20,000 lines/s (``benchmarks/tui_ingest.py``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..events import MISSING, AuditEvent, Decision, RawLine, Source
from ..parse.detect import StreamParser
from ..parse.envoy_access import CompiledFormat
from ..parse.timestamps import split_kubelet_prefix


class Kind(NamedTuple):
    """What events of one kind share: the decision, the format and how the line is read again."""

    decision: Decision
    format: str
    hint: str | None  # None: not a line event (kept whole)
    decode_error: bool


def micros(stamp: str) -> int | None:
    """``2026-01-02T03:04:05.123456Z`` as integer microseconds, or None if it is not in exactly that form."""
    if len(stamp) != 27 or stamp[19] != "." or stamp[26] != "Z":
        return None
    try:
        whole = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        return int(whole.timestamp()) * 1_000_000 + int(stamp[20:26])
    except ValueError:
        return None


def nanos(stamp: str) -> int | None:
    """A kubelet stamp (``…T03:04:05.123456789Z``, nine digits) as integer nanoseconds, or None."""
    if len(stamp) != 30 or stamp[19] != "." or stamp[29] != "Z":
        return None
    try:
        whole = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        return int(whole.timestamp()) * 1_000_000_000 + int(stamp[20:29])
    except ValueError:
        return None


_second_cache: dict[int, str] = {}


def _second(seconds: int) -> str:
    text = _second_cache.get(seconds)
    if text is None:
        if len(_second_cache) > 4096:
            _second_cache.clear()
        text = _second_cache[seconds] = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text


def from_micros(value: int) -> str:
    seconds, fraction = divmod(value, 1_000_000)
    return f"{_second(seconds)}.{fraction:06d}Z"


def from_nanos(value: int) -> str:
    seconds, fraction = divmod(value, 1_000_000_000)
    return f"{_second(seconds)}.{fraction:09d}Z"


class StoredDetail:
    """A stored line event's way to its attributes: parse the raw line again (recent ones are cached).

    One per :class:`Packer`; an event's ``_data`` is ``(kind, kubelet stamp)``.
    """

    __slots__ = ("packer",)

    def __init__(self, packer: Packer) -> None:
        self.packer = packer

    def _full(self, event: AuditEvent) -> AuditEvent:
        kind, stamp = event._data
        return self.packer.reparsed(event, kind, stamp)

    def expand(self, event: AuditEvent) -> tuple[dict[str, Any], str, str | None]:
        full = self._full(event)
        return full.attributes, full.summary, full.time

    def attr(self, event: AuditEvent, name: str) -> Any:
        full = self._full(event)
        if full.expanded:
            return full.attributes.get(name)
        return full.attr(name)

    def time(self, event: AuditEvent) -> str | None:
        return self._full(event).time

    def origin(self, event: AuditEvent) -> tuple[str, str | None, bool]:
        kind, stamp = event._data
        return kind.hint or kind.format, stamp, kind.decode_error


class Packer:
    """The tables the store's columns index (kinds, sources) and the parser that reads lines again.

    Read again with the same parser settings (the user's custom formats) as at ingest.
    """

    def __init__(self, formats: list[CompiledFormat] | None = None, cache_size: int = 4096) -> None:
        self._parser = StreamParser(formats)
        self.kinds: list[Kind] = []
        self._kind_index: dict[Kind, int] = {}
        # streams seen, by index: grows by one small entry per container ever followed
        self.sources: list[Source] = []
        self._source_index: dict[tuple[str, str | None, str | None, str | None, str | None], int] = {}
        self._cache: OrderedDict[int, AuditEvent] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.detail = StoredDetail(self)

    def kind_of(self, event: AuditEvent) -> tuple[int, str | None]:
        """The index of the event's kind in :attr:`kinds`, and its kubelet stamp (events made from lines)."""
        detail = event._detail
        if detail is None:  # made by meshtail itself: kept whole
            hint, stamp, decode_error = None, None, False
        else:
            hint, stamp, decode_error = detail.origin(event)
        kind = Kind(event.decision, event.format, hint, decode_error)
        index = self._kind_index.get(kind)
        if index is None:
            index = self._kind_index[kind] = len(self.kinds)
            self.kinds.append(kind)
        return index, stamp

    def source_of(self, source: Source) -> int:
        key = (source.kind, source.namespace, source.pod, source.container, source.path)
        index = self._source_index.get(key)
        if index is None:
            index = self._source_index[key] = len(self.sources)
            self.sources.append(Source(source.kind, source.namespace, source.pod, source.container, source.path))
        return index

    @staticmethod
    def stamp_to_keep(event: AuditEvent, stamp: str | None) -> str | None:
        """The kubelet stamp to keep beside the raw line: None when the line itself holds it (files)."""
        if stamp is not None and event.raw[:1].isdigit() and split_kubelet_prefix(event.raw)[0] == stamp:
            return None  # parsing finds it again
        return stamp

    def reparsed(self, event: AuditEvent, kind: Kind, stamp: str | None) -> AuditEvent:
        """The stored event parsed again (cached by store index), checked against what was stored."""
        key = event.index  # absolute store indices are never reused
        with self._lock:
            if key is not None:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit
            raw = RawLine(event.raw, event.source, event.received, stamp, kind.decode_error)
            full = self._parser.reparse(raw, kind.hint)
            if full.decision != kind.decision or full.format != kind.format:
                was, now = (*kind.decision, kind.format), (*full.decision, full.format)
                full.attributes["meshtail.repack_mismatch"] = f"stored as {was}, read again as {now}"
            if key is not None:
                self._cache[key] = full
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return full


__all__ = ["MISSING", "Kind", "Packer", "StoredDetail", "from_micros", "from_nanos", "micros", "nanos"]
