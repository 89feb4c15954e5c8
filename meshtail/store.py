"""The one place events live while meshtail runs: a bounded, append-only ring with absolute indices.

Sources append from the ingest thread; the UI reads on a timer.  Indices are absolute
(the n-th event ever stored), so views can hold integer positions that survive eviction:
an index below :attr:`EventStore.base` was evicted (counted in :attr:`evicted`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from .events import AuditEvent
from .packing import PackedEvent, Packer, Record

Stored = AuditEvent | PackedEvent


class EventStore:
    """Events in arrival order; access-log events are kept packed (see :mod:`meshtail.packing`)."""

    def __init__(self, capacity: int = 1_000_000, packer: Packer | None = None) -> None:
        self.capacity = capacity
        self.packer = packer or Packer()
        self._events: deque[AuditEvent | Record] = deque()
        self.base = 0
        self.evicted = 0
        self.lock = threading.Lock()

    @property
    def end(self) -> int:
        """Absolute index one past the newest event."""
        return self.base + len(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def append(self, event: AuditEvent) -> None:
        packed = self.packer.pack(event)
        with self.lock:
            self._events.append(packed)
            if len(self._events) > self.capacity:
                self._events.popleft()
                self.base += 1
                self.evicted += 1

    def extend(self, events: Iterable[AuditEvent]) -> None:
        pack = self.packer.pack
        packed = [pack(event) for event in events]
        with self.lock:
            self._events.extend(packed)
            over = len(self._events) - self.capacity
            for _ in range(max(0, over)):
                self._events.popleft()
            if over > 0:
                self.base += over
                self.evicted += over

    def get(self, index: int) -> Stored | None:
        """The event at absolute ``index``, or None if it was evicted (or is not stored yet).

        Under the lock: the ingest thread evicts from the front, and reading ``base`` and the
        position apart from each other would hand back the neighbouring event.
        """
        with self.lock:
            position = index - self.base
            if position < 0 or position >= len(self._events):
                return None
            stored = self._events[position]
        return self.packer.view(stored)

    def range(self, start: int, stop: int) -> list[tuple[int, Stored]]:
        """(index, event) for absolute indices in [start, stop) still held."""
        with self.lock:
            start = max(start, self.base)
            stop = min(stop, self.base + len(self._events))
            events = self._events
            base = self.base
            view = self.packer.view
            return [(i, view(events[i - base])) for i in range(start, stop)]
