"""Time order across streams within a window, for ``meshtail tail --order DUR``.

Each container's log arrives in its own order, but streams are read concurrently, so the
merged output interleaves them as they arrive (as stern and ``kubectl logs -l`` do).  With a
window, events are held for that long after arrival and released in event-time order: two
events from different pods that happened within the window of each other come out in time
order.  An event later than the window (a stream that fell behind, a resume) is released at
once and out of order: holding it longer would be unbounded, and dropping it would lose it.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable

from ..events import AuditEvent
from ..sources.kube.resume import timestamp_key


def time_key(stamp: str | None) -> str:
    """A string that sorts RFC 3339 UTC stamps by time whatever their fractional digits.

    ``...:13Z``, ``...:13.5Z`` and ``...:13.329Z`` compare right once the fraction has nine
    digits (the kube resume's :func:`timestamp_key`); stamps that are not UTC ``Z`` (rare after
    normalisation) compare as they are.
    """
    if not stamp:
        return ""
    return timestamp_key(stamp) if stamp.endswith("Z") else stamp


class Orderer:
    """Holds events for ``window`` seconds after arrival and emits them in event-time order.

    No event waits much longer than the window: when the longest-held one is due, everything
    stamped before it goes out first (in order), then it does.
    """

    def __init__(self, emit: Callable[[AuditEvent], None], window: float, clock: Callable[[], float] = time.monotonic):
        self.emit = emit
        self.window = window
        self.clock = clock
        self._held: list[tuple[str, int, AuditEvent]] = []  # a heap by (time, arrival sequence)
        self._arrivals: deque[tuple[float, int]] = deque()  # (arrival, sequence), oldest first
        self._gone: set[int] = set()  # sequences emitted but still in _arrivals
        self._seq = 0
        self._released_up_to = ""
        self.late = 0  # events released out of order because later-stamped ones had gone out

    def push(self, event: AuditEvent) -> None:
        key = time_key(event.time or event.received)
        if key < self._released_up_to:
            self.late += 1
            self.emit(event)
            return
        self._seq += 1
        heapq.heappush(self._held, (key, self._seq, event))
        self._arrivals.append((self.clock(), self._seq))

    def _pop(self) -> None:
        key, seq, event = heapq.heappop(self._held)
        self._released_up_to = max(self._released_up_to, key)
        self._gone.add(seq)
        self.emit(event)

    def release(self) -> None:
        """Emit, in time order, what has waited out the window (call it a few times a second)."""
        due = self.clock() - self.window
        arrivals, gone = self._arrivals, self._gone
        while arrivals:
            arrived, seq = arrivals[0]
            if seq in gone:
                arrivals.popleft()
                gone.discard(seq)
                continue
            if arrived > due:
                break
            while seq not in gone:  # everything stamped before the due event goes first
                self._pop()

    def flush(self) -> None:
        """Emit everything held, in time order (at the end of the run)."""
        while self._held:
            self._pop()
        self._arrivals.clear()
        self._gone.clear()
