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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..events import SEVERITY_RANK, AuditEvent, Decision
from ..query import Filter, compile_filter
from .packing import Kind
from .store import EventStore

_WARNING = SEVERITY_RANK["warning"]


def _health(kind: Kind) -> bool:
    """Source trouble (breaks, stalls, gaps, errors) shows inline in every pane."""
    return kind.format == "meshtail" and SEVERITY_RANK.get(kind.decision.severity, 0) >= _WARNING


# Outcomes that are a decision about a request, a connection or a policy.
DECIDED = frozenset({"allow", "deny", "failure"})
# Auth families whose every line is about one request or connection: a `success` there
# (ztunnel's `mtls.accept`) is an allow.
AUTH_DECISION_FAMILIES = ("authz.", "jwt.", "extauthz.", "mtls.", "mixer.")
# Config families shown whatever their outcome: the inventory of mesh resources (a watch's
# `resource.observed`, an audit request's `resource.*`), pushes and the proxy's own config.
CONFIG_FAMILIES = ("resource.", "xds.push", "config.")


def auth_decision(decision: Decision) -> bool:
    """The Auth pane leads with decisions: who was allowed, denied or failed, and why.

    In: auth events whose outcome is allow, deny or failure (authz.*, jwt.*, extauthz.*,
    mtls.*, TLS handshake errors, CA and certificate *failures*), a success of a request or
    connection family (mTLS accepted), and every auth violation.  Out: the routine
    lifecycle that used to fill the pane — istio-agent's certificates and SDS pushes
    (``cert.*``, ``sds.*`` with success/unknown/change), filter chatter (``authz.check``,
    ``jwt.log``, ``tls.handshake``) — with no request and a ``?`` principal.  All of
    them stay one filter away: ``cat:auth`` on the All pane.
    """
    if decision.category != "auth":
        return False
    if decision.violation or decision.outcome in DECIDED:
        return True
    return decision.outcome == "success" and decision.action.startswith(AUTH_DECISION_FAMILIES)


def config_change(decision: Decision) -> bool:
    """The Config pane leads with changes, rejections and pushes.

    In: config events that changed something or were refused (outcome change, deny or
    failure: resource.create/update/delete, xds.reject, config.invalid, xds.update,
    proxy.config, istiod's service and workload adds), every config violation, and the
    ``resource.*``, ``xds.push*`` and ``config.*`` families whatever their outcome.  Out: the
    xDS plumbing with success/unknown outcome (``xds.connect``, ``xds.request``,
    ``xds.disconnect``, ``xds.ads``, stream chatter) that made the pane mostly ``connect``
    rows with no resource or actor.  ``cat:config`` on the All pane shows them all.
    """
    if decision.category != "config":
        return False
    if decision.violation or decision.outcome in ("change", "deny", "failure"):
        return True
    return decision.action.startswith(CONFIG_FAMILIES)


@dataclass(frozen=True)
class Pane:
    """A pane: which kinds of event it shows (decided from the decision and format alone) and its columns."""

    id: str
    title: str
    key: str
    matches: Callable[[Kind], bool]
    columns: tuple[str, ...]
    about: str = ""  # one line for the help screen: what the pane shows and where the rest is


PANES: tuple[Pane, ...] = (
    Pane(
        "all",
        "All",
        "1",
        lambda k: True,
        ("time", "severity", "action", "where", "summary"),
        "every event; with a filter such as cat:auth, everything of one kind",
    ),
    Pane(
        "auth",
        "Auth",
        "2",
        lambda k: auth_decision(k.decision) or _health(k),
        ("time", "route", "principal", "request", "decision", "policy"),
        "allow/deny/failure decisions (authz, JWT, ext_authz, mTLS, TLS, CA); certificate lifecycle: 1 + cat:auth",
    ),
    Pane(
        "routing",
        "Routing",
        "3",
        lambda k: k.decision.category == "routing" or _health(k),
        ("time", "status", "flags", "request", "route", "cluster", "duration"),
        "requests and connections: status, response flags in words, route, upstream",
    ),
    Pane(
        "config",
        "Config",
        "4",
        lambda k: config_change(k.decision) or _health(k),
        ("time", "resource", "verb", "actor", "diff", "summary"),
        "changes, rejections and pushes; xDS connections and requests: 1 + cat:config",
    ),
    Pane(
        "violations",
        "Violations",
        "5",
        lambda k: k.decision.violation or _health(k),
        ("time", "severity", "action", "where", "summary"),
        "every event that counts as a violation (violation:true), of any kind",
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
    """One pane's filtered index over the store.

    A view that shows every event (the All pane with no filter) holds no index at all: its
    positions are the store's own range, so a million events cost it nothing.
    """

    def __init__(self, store: EventStore, pane: Pane, query: Filter | None = None) -> None:
        self.store = store
        self.pane = pane
        self.query = query or compile_filter("")
        # absolute store indices of matches; an int64 array, not a list of int objects:
        # 8 bytes an entry instead of ~36, which is ~55 MB at a million stored events
        self._indices: array[int] = array("q")
        self.scanned = store.base
        self._first = store.base
        self._rate: deque[tuple[int, int]] = deque(maxlen=60)  # (second, matches)
        self._pane_says: dict[int, bool] = {}  # by kind index: the pane's verdict, decided once per kind
        # matches evicted from the front since the view began: a list that holds a position while paused moves it
        # up by as many (the store evicts its oldest when full, and every later position shifts)
        self.dropped = 0

    @property
    def _everything(self) -> bool:
        return self.pane.id == "all" and not self.query.text

    @property
    def indices(self) -> Sequence[int]:
        """Absolute store indices of the matches, oldest first."""
        if self._everything:
            # (from the front as of the last catch_up: positions move only when the list is told how far)
            return range(self._first, self.scanned)
        return self._indices

    @property
    def complete(self) -> bool:
        """True when every stored event has been examined under the current filter."""
        return self.scanned >= self.store.end

    def set_query(self, query: Filter) -> None:
        self.query = query
        self._indices = array("q")
        self.scanned = self.store.base
        self._first = self.store.base

    def _pane_match(self, kind_index: int) -> bool:
        verdict = self._pane_says.get(kind_index)
        if verdict is None:
            verdict = self._pane_says[kind_index] = self.pane.matches(self.store.packer.kinds[kind_index])
        return verdict

    def catch_up(self, budget_seconds: float = 0.02) -> int:
        """Examine new (or not yet re-filtered) events for up to ``budget_seconds``; return new matches."""
        store = self.store
        if self._everything:
            added = store.end - max(self.scanned, store.base)
            if self._first < store.base:
                self.dropped += min(store.base, self.scanned) - self._first
                self._first = store.base
            self.scanned = store.end
            self._count(added)
            return added
        added = 0
        query_match = self.query.matches
        # the filter's pre-check reads a line's raw text: stored line events that cannot match
        # are not parsed again (events made by meshtail itself hold no line)
        precheck = self.query.precheck
        everything = not self.query.text
        deadline = time.perf_counter() + budget_seconds
        while self.scanned < store.end:
            # small chunks: the time box is checked between them, so one slow filter cannot hold a frame
            first, kinds = store.kinds(self.scanned, min(store.end, self.scanned + 256))
            if not kinds:
                self.scanned = max(self.scanned, store.base)
                break
            for offset, kind in enumerate(kinds):
                if not self._pane_match(kind):
                    continue
                index = first + offset
                if everything:
                    self._indices.append(index)
                    added += 1
                    continue
                event = store.get(index)
                if event is None:
                    continue
                if (precheck is None or not event.raw or precheck(event.raw)) and query_match(event):
                    self._indices.append(index)
                    added += 1
            self.scanned = first + len(kinds)
            if time.perf_counter() > deadline:
                break
        self._trim()
        self._count(added)
        return added

    def _count(self, added: int) -> None:
        if added:
            second = int(time.monotonic())
            if self._rate and self._rate[-1][0] == second:
                self._rate[-1] = (second, self._rate[-1][1] + added)
            else:
                self._rate.append((second, added))

    def _trim(self) -> None:
        base = self.store.base
        if self._indices and self._indices[0] < base:
            gone = bisect_left(self._indices, base)
            del self._indices[:gone]
            self.dropped += gone

    def rates(self, seconds: int = 20) -> list[int]:
        """Matches per second over the last ``seconds`` (oldest first), for a sparkline."""
        now = int(time.monotonic())
        counts = dict(self._rate)
        return [counts.get(s, 0) for s in range(now - seconds + 1, now + 1)]

    def __len__(self) -> int:
        return len(self.indices)

    def event(self, position: int) -> AuditEvent | None:
        indices = self.indices
        if 0 <= position < len(indices):
            return self.store.get(indices[position])
        return None
