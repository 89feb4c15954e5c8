"""Panes as filtered views of the store: which events each pane shows, kept up to date incrementally.

No Textual here.  A view holds absolute store indices of matching events; ``catch_up``
examines new events within a time budget, so re-filtering half a million events spreads
over several UI ticks instead of freezing one.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .events import SEVERITY_RANK, AuditEvent
from .packing import PackedEvent
from .query import Filter, compile_filter
from .store import EventStore

_WARNING = SEVERITY_RANK["warning"]


def _health(event: AuditEvent) -> bool:
    """Source trouble (breaks, stalls, gaps, errors) shows inline in every pane."""
    return event.format == "meshtail" and SEVERITY_RANK.get(event.severity, 0) >= _WARNING


@dataclass(frozen=True)
class Pane:
    id: str
    title: str
    key: str
    matches: Callable[[AuditEvent], bool]
    columns: tuple[str, ...]


PANES: tuple[Pane, ...] = (
    Pane("all", "All", "1", lambda e: True, ("time", "severity", "action", "where", "summary")),
    Pane(
        "auth",
        "Auth",
        "2",
        lambda e: e.category == "auth" or _health(e),
        ("time", "route", "principal", "request", "decision", "policy"),
    ),
    Pane(
        "routing",
        "Routing",
        "3",
        lambda e: e.category == "routing" or _health(e),
        ("time", "status", "flags", "request", "route", "cluster", "duration"),
    ),
    Pane(
        "config",
        "Config",
        "4",
        lambda e: e.category == "config" or _health(e),
        ("time", "resource", "verb", "actor", "diff", "summary"),
    ),
    Pane(
        "violations",
        "Violations",
        "5",
        lambda e: e.violation or _health(e),
        ("time", "severity", "action", "where", "summary"),
    ),
)
PANES_BY_ID = {pane.id: pane for pane in PANES}
# every column a pane can show (profiles name them; the UI's rows.COLUMNS draws them)
COLUMN_NAMES = frozenset(
    {
        "time", "severity", "action", "where", "summary", "route", "principal", "request", "decision", "policy",
        "status", "flags", "route_name", "cluster", "duration", "resource", "verb", "actor", "diff",
    }
)  # fmt: skip


class View:
    """One pane's filtered index over the store."""

    def __init__(self, store: EventStore, pane: Pane, query: Filter | None = None) -> None:
        self.store = store
        self.pane = pane
        self.query = query or compile_filter("")
        # absolute store indices of matches; an int64 array, not a list of int objects:
        # 8 bytes an entry instead of ~36, which is ~55 MB at a million stored events
        self.indices: array[int] = array("q")
        self.scanned = store.base
        self._rate: deque[tuple[int, int]] = deque(maxlen=60)  # (second, matches)

    @property
    def complete(self) -> bool:
        """True when every stored event has been examined under the current filter."""
        return self.scanned >= self.store.end

    def set_query(self, query: Filter) -> None:
        self.query = query
        self.indices = array("q")
        self.scanned = self.store.base

    def catch_up(self, budget_seconds: float = 0.02) -> int:
        """Examine new (or not yet re-filtered) events for up to ``budget_seconds``; return new matches."""
        added = 0
        pane_match = self.pane.matches
        query_match = self.query.matches
        # the filter's pre-check reads a line's raw text, so packed (line) events that cannot
        # match are not parsed again; events made by meshtail itself are not lines
        precheck = self.query.precheck
        deadline = time.perf_counter() + budget_seconds
        while self.scanned < self.store.end:
            # small chunks: the time box is checked between them, so one slow filter cannot hold a frame
            chunk = self.store.range(self.scanned, min(self.store.end, self.scanned + 256))
            if not chunk:
                self.scanned = max(self.scanned, self.store.base)
                break
            for index, event in chunk:
                if (
                    pane_match(event)
                    and (precheck is None or type(event) is not PackedEvent or precheck(event.raw))
                    and query_match(event)
                ):
                    self.indices.append(index)
                    added += 1
            self.scanned = chunk[-1][0] + 1
            if time.perf_counter() > deadline:
                break
        self._trim()
        if added:
            second = int(time.monotonic())
            if self._rate and self._rate[-1][0] == second:
                self._rate[-1] = (second, self._rate[-1][1] + added)
            else:
                self._rate.append((second, added))
        return added

    def _trim(self) -> None:
        base = self.store.base
        if self.indices and self.indices[0] < base:
            del self.indices[: bisect_left(self.indices, base)]

    def rates(self, seconds: int = 20) -> list[int]:
        """Matches per second over the last ``seconds`` (oldest first), for a sparkline."""
        now = int(time.monotonic())
        counts = dict(self._rate)
        return [counts.get(s, 0) for s in range(now - seconds + 1, now + 1)]

    def __len__(self) -> int:
        return len(self.indices)

    def event(self, position: int) -> AuditEvent | None:
        if 0 <= position < len(self.indices):
            return self.store.get(self.indices[position])
        return None
