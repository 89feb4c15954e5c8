"""The one place events live while meshtail runs: a bounded ring of columns, with absolute indices.

Sources append from the ingest thread; the UI reads on a timer.  Indices are absolute
(the n-th event ever stored), so views can hold integer positions that survive eviction:
an index below :attr:`EventStore.base` was evicted (counted in :attr:`evicted`).

An event made from a line is kept as columns (:mod:`meshtail.storage.packing`): about 25 bytes
beside its raw line, and the raw lines themselves in compressed chunks of 1,024 (zlib,
level 1: about a quarter of their size on generated access logs, less on real ones).  A
million access-log lines then take ~250 MB in all instead of the ~450 MB of the bare
lines held as strings.  Events meshtail makes itself (health, config changes with their
diffs) are kept whole.  Reading hands out an :class:`~meshtail.events.AuditEvent` — the
same protocol as at ingest — whose attributes are parsed again on first read.
"""

from __future__ import annotations

import threading
import zlib
from array import array
from collections import OrderedDict, deque
from collections.abc import Iterable

from ..events import AuditEvent, Source
from .packing import Kind, Packer, from_micros, from_nanos, micros, nanos

CHUNK = 1024  # raw lines compressed together


class _Chunk:
    """Up to CHUNK raw lines: a list while it fills, then one zlib blob and the offsets into it."""

    __slots__ = ("blob", "count", "lines", "offsets")

    def __init__(self) -> None:
        self.lines: list[bytes] | None = []
        self.blob: bytes | None = None
        self.offsets: array[int] | None = None
        self.count = 0

    def add(self, raw: bytes) -> None:
        assert self.lines is not None
        self.lines.append(raw)
        self.count += 1

    def seal(self) -> None:
        """Compress a full chunk (readers use the list until the blob is in place)."""
        lines = self.lines
        if lines is None:
            return
        offsets = array("I", [0])
        total = 0
        for line in lines:
            total += len(line)
            offsets.append(total)
        blob = zlib.compress(b"".join(lines), 1)
        self.offsets, self.blob = offsets, blob
        self.lines = None  # from here on readers decompress


class EventStore:
    """Events in arrival order, at most ``capacity`` of them; the oldest are evicted first."""

    def __init__(self, capacity: int = 1_000_000, packer: Packer | None = None) -> None:
        self.capacity = max(1, capacity)
        self.packer = packer or Packer()
        self.base = 0
        self.end = 0  # absolute index one past the newest event
        self.evicted = 0
        self.lock = threading.Lock()
        # the raw lines, in chunks of CHUNK events: the newest open (a list), the others compressed
        self._chunks: deque[_Chunk] = deque()
        self._chunk_base = 0  # absolute index of the first event of _chunks[0]
        self._unpacked: OrderedDict[int, bytes] = OrderedDict()  # a few decompressed chunks, by id
        # the other columns, as a ring: absolute index i lives at slot i % capacity
        self._kind = array("H")
        self._source = array("I")
        self._line = array("I")  # 0: none
        self._stamp = array("q")  # kubelet timestamp in ns; 0: none (or in the line); -1: see _odd
        self._received = array("q")  # microseconds; -1: see _odd
        self._whole: dict[int, AuditEvent] = {}  # events kept as they are, by absolute index
        self._odd: dict[int, tuple[str, str | None]] = {}  # received/stamp strings of no canonical form

    def __len__(self) -> int:
        return self.end - self.base

    # ---- writing ---------------------------------------------------------------------------
    def append(self, event: AuditEvent) -> None:
        self.extend((event,))

    def extend(self, events: Iterable[AuditEvent]) -> None:
        packer = self.packer
        rows = []
        for event in events:
            kind, stamp = packer.kind_of(event)
            if packer.kinds[kind].hint is None:
                rows.append((kind, None, 0, 0, 0, 0, event, None))
                continue
            source = event.source
            stamp = packer.stamp_to_keep(event, stamp)
            stamp_ns = (nanos(stamp) or -1) if stamp is not None else 0
            received = micros(event.received)
            odd = None
            if received is None or stamp_ns == -1:
                odd = (event.received, stamp)
                received = -1
            rows.append(
                (
                    kind,
                    event.raw.encode("utf-8", "surrogatepass"),
                    packer.source_of(source),
                    source.line or 0,
                    stamp_ns,
                    received,
                    None,
                    odd,
                )
            )
        with self.lock:
            for row in rows:
                self._put(*row)
            full = [chunk for chunk in self._chunks if chunk.lines is not None and len(chunk.lines) == CHUNK]
        for chunk in full:  # compressed outside the lock (zlib lets other threads run meanwhile)
            chunk.seal()

    def _put(
        self,
        kind: int,
        raw: bytes | None,
        source: int,
        line: int,
        stamp: int,
        received: int,
        whole: AuditEvent | None,
        odd: tuple[str, str | None] | None,
    ) -> None:
        index = self.end
        slot = index % self.capacity
        if index - self.base >= self.capacity:  # full: the slot holds the oldest event
            self._whole.pop(self.base, None)
            self._odd.pop(self.base, None)
            self.base += 1
            self.evicted += 1
            if self.base >= self._chunk_base + CHUNK:
                gone = self._chunks.popleft()
                self._unpacked.pop(id(gone), None)
                self._chunk_base += CHUNK
        if not self._chunks or self._chunks[-1].count == CHUNK:
            self._chunks.append(_Chunk())
        self._chunks[-1].add(raw or b"")
        if slot == len(self._kind):  # still growing to capacity
            self._kind.append(kind)
            self._source.append(source)
            self._line.append(line)
            self._stamp.append(stamp)
            self._received.append(received)
        else:
            self._kind[slot] = kind
            self._source[slot] = source
            self._line[slot] = line
            self._stamp[slot] = stamp
            self._received[slot] = received
        if whole is not None:
            self._whole[index] = whole
        if odd is not None:
            self._odd[index] = odd
        self.end = index + 1

    # ---- reading ---------------------------------------------------------------------------
    def kind(self, index: int) -> Kind | None:
        """What the event at ``index`` is (decision, format), without making an event; None if evicted."""
        with self.lock:
            if not self.base <= index < self.end:
                return None
            return self.packer.kinds[self._kind[index % self.capacity]]

    def kinds(self, start: int, stop: int) -> tuple[int, list[int]]:
        """The kind indices of ``[start, stop)`` still held, and the first index they start at."""
        with self.lock:
            start, stop = max(start, self.base), min(stop, self.end)
            if start >= stop:
                return start, []
            column = self._kind
            cap = self.capacity
            return start, [column[i % cap] for i in range(start, stop)]

    def _event(self, index: int) -> AuditEvent:
        """The event at ``index`` (the caller holds the lock and checked the bounds)."""
        whole = self._whole.get(index)
        if whole is not None:
            return whole
        slot = index % self.capacity
        packer = self.packer
        kind = packer.kinds[self._kind[slot]]
        shared = packer.sources[self._source[slot]]
        line = self._line[slot]
        source = Source(shared.kind, shared.namespace, shared.pod, shared.container, shared.path, line or None)
        stamp_ns, received_us = self._stamp[slot], self._received[slot]
        if received_us == -1 or stamp_ns == -1:
            received, stamp = self._odd[index]
        else:
            received = from_micros(received_us)
            stamp = from_nanos(stamp_ns) if stamp_ns else None
        raw = self._raw(index)
        event = AuditEvent.lazy(
            kind.decision,
            kind.format,
            source,
            raw.decode("utf-8", "surrogatepass"),
            received,
            packer.detail,
            (kind, stamp),
        )
        event.index = index
        return event

    def _raw(self, index: int) -> bytes:
        """The raw line at ``index`` (the caller holds the lock)."""
        offset = index - self._chunk_base
        chunk = self._chunks[offset // CHUNK]
        position = offset % CHUNK
        lines = chunk.lines  # once: the ingest thread may seal the chunk meanwhile (blob first, then this)
        if lines is not None:
            return lines[position]
        key = id(chunk)
        blob = self._unpacked.get(key)
        if blob is None:
            blob = self._unpacked[key] = zlib.decompress(chunk.blob)  # type: ignore[arg-type]
            if len(self._unpacked) > 8:
                self._unpacked.popitem(last=False)
        else:
            self._unpacked.move_to_end(key)
        offsets = chunk.offsets
        return blob[offsets[position] : offsets[position + 1]]  # type: ignore[index]

    def get(self, index: int) -> AuditEvent | None:
        """The event at absolute ``index``, or None if it was evicted (or is not stored yet).

        Under the lock: the ingest thread evicts from the front, and reading ``base`` and the
        slot apart from each other would hand back the neighbouring event.
        """
        with self.lock:
            if not self.base <= index < self.end:
                return None
            return self._event(index)

    def range(self, start: int, stop: int) -> list[tuple[int, AuditEvent]]:
        """(index, event) for absolute indices in [start, stop) still held."""
        with self.lock:
            start, stop = max(start, self.base), min(stop, self.end)
            return [(i, self._event(i)) for i in range(start, stop)]
