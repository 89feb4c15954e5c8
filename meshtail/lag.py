"""How far behind meshtail is: the kubelet's time of each stream's newest line against when it was read.

Falling behind used to be silent: at 40,000 lines/s the screen showed events 28 s old with
no sign of it.  When meshtail cannot keep up, lines wait in the sockets, so the time a line
is read (``received``) drifts away from the time the kubelet stamped it.  The pipeline
notes each stream's newest pair (two string assignments a line); the numbers are worked out
only when asked — by the status bar, the health panel, ``tail``'s stderr — and crossing
:data:`BEHIND` becomes a health event (and crossing back, another).

Late lines are not always meshtail's doing.  A stream that hung or broke and was reconnected with
``sinceTime`` reads the lines written meanwhile: they are old when read because that stream is
catching up (a backlog being read), not because meshtail is slow.  So the event says which it is
(``meshtail.ingest.cause``): ``backlog`` (the worst stream reconnected and is reading what it
missed), ``processing`` (meshtail's process was busy -- :data:`BUSY` of a core -- while lines
were late: they arrive faster than they are processed), or ``arrival`` (neither: the lines reach
meshtail late).  And a stream that has sent nothing for :data:`FRESH` seconds has nothing waiting
to be read: it is not behind, whatever its last line's age was, so the lag clears when traffic
stops (it was kept for 30 s, and ``lag 5.2s`` stayed on an idle screen with no ``caught_up``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .events import AuditEvent, RawLine, Source
from .sources.health import health_event

BEHIND = 5.0  # seconds of ingest lag that make a health event
# a stream counts as behind only while it delivers: one quiet this many seconds has nothing waiting (the
# lag is looked at once a second; a stream meshtail could not keep up with is read on every turn of the loop)
FRESH = 3.0
BUSY = 0.8  # CPU seconds per second of meshtail's process above which late lines are its processing's fault

StreamKey = tuple[str | None, str | None, str | None, str | None]
_seconds_cache: dict[str, float] = {}


def epoch(stamp: str) -> float | None:
    """An RFC 3339 UTC stamp (``…Z``, any fraction) as seconds since the epoch, or None."""
    second = stamp[:19]
    whole = _seconds_cache.get(second)
    if whole is None:
        try:
            whole = datetime.strptime(second, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
        except ValueError:
            return None
        if len(_seconds_cache) > 4096:
            _seconds_cache.clear()
        _seconds_cache[second] = whole
    fraction = stamp[20:].rstrip("Z") if len(stamp) > 20 and stamp[19] == "." else ""
    return whole + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)


@dataclass
class Lag:
    """The ingest lag now: overall (the worst stream still delivering) and per stream.

    ``catching_up``: the streams reading a backlog after a reconnect (their lines are old by design)."""

    overall: float = 0.0
    worst: StreamKey | None = None
    streams: dict[StreamKey, float] = field(default_factory=dict)
    catching_up: frozenset[StreamKey] = frozenset()


class LagWatch:
    """Each stream's newest (received, kubelet stamp), and the health events when meshtail falls behind."""

    def __init__(self, emit: Callable[[AuditEvent], None], threshold: float = BEHIND) -> None:
        # each stream's newest line with a kubelet stamp (the line itself: no object made per line)
        self.newest: dict[StreamKey, RawLine] = {}
        self.emit = emit
        self.threshold = threshold
        self.behind = False
        self.peak = 0.0
        # seconds every line is late by design, not meshtail's: Loki's tail holds entries ``delay_for``
        self.allowance = 0.0
        self._history = True  # until the source says it follows (see live)
        # streams reconnected (with sinceTime: they read what was written meanwhile), and when (time.time())
        self.reconnected: dict[StreamKey, float] = {}
        self.cause = ""  # why the lag crossed the threshold (the last ``behind`` event's cause)
        self._load = 0.0
        self._cpu = (time.monotonic(), time.process_time())

    def forget(self, key: StreamKey) -> None:
        self.newest.pop(key, None)
        self.reconnected.pop(key, None)

    def reconnecting(self, key: StreamKey) -> None:
        """The stream broke or stalled and is read again from where it stopped: its next lines are a backlog."""
        self.reconnected[key] = time.time()

    def load(self) -> float:
        """CPU seconds per second of this process since the last look (one that came too soon repeats the last)."""
        wall, cpu = time.monotonic(), time.process_time()
        before_wall, before_cpu = self._cpu
        if wall - before_wall >= 0.5:
            self._load = (cpu - before_cpu) / (wall - before_wall)
            self._cpu = (wall, cpu)
        return self._load

    def live(self, reading_history: bool) -> bool:
        """Whether the lag means anything now, told whether the source still reads history.

        Lines read from history are old by design: nothing is measured while it lasts, and what it noted
        is forgotten once it ends -- also when it ended before the first look (a short Loki history), which
        otherwise read as meshtail being behind by the history's age."""
        if reading_history:
            self._history = True
            return False
        if self._history:
            self._history = False
            self.newest.clear()
        return True

    def measure(self) -> Lag:
        now = time.time()
        lag = Lag()
        catching_up = set()
        for key, raw in list(self.newest.items()):
            read, written = epoch(raw.received), epoch(raw.timestamp or "")
            if read is None or written is None:
                continue
            # quiet for FRESH seconds: nothing of it is waiting to be read, it is not behind (any more)
            behind = max(0.0, read - written - self.allowance) if now - read <= FRESH else 0.0
            lag.streams[key] = behind
            since = self.reconnected.get(key)
            if since is not None:
                if read >= since and behind < self.threshold / 2:
                    del self.reconnected[key]  # a line read after the reconnect is current: caught up
                else:
                    catching_up.add(key)
            if behind > lag.overall:
                lag.overall, lag.worst = behind, key
        lag.catching_up = frozenset(catching_up)
        return lag

    def why(self, lag: Lag) -> str:
        """Why the lag is what it is: ``backlog``, ``processing`` or ``arrival`` (see the module's words)."""
        others = [v for k, v in lag.streams.items() if k not in lag.catching_up]
        if lag.worst in lag.catching_up and max(others, default=0.0) < self.threshold:
            return "backlog"
        return "processing" if self.load() >= BUSY else "arrival"

    def check(self) -> Lag:
        """Measure, and say so when the lag crosses the threshold (either way)."""
        lag = self.measure()
        load = self.load()  # (sampled every look: the busy share is of the last second, not since the start)
        self.peak = max(self.peak, lag.overall)
        where = _name(lag.worst)
        if not self.behind and lag.overall >= self.threshold:
            self.behind = True
            self.cause = cause = self.why(lag)
            if cause == "backlog":
                summary = (
                    f"{where} is {lag.overall:.1f}s behind the logs: the stream is catching up, reading the "
                    "backlog written while it was reconnecting (meshtail itself keeps up)"
                )
            elif cause == "processing":
                summary = (
                    f"meshtail is {lag.overall:.1f}s behind the logs (worst: {where}): lines arrive faster "
                    f"than they are processed (busy {load:.0%} of a core)"
                )
            else:
                summary = (
                    f"lines reach meshtail {lag.overall:.1f}s behind the logs (worst: {where}); meshtail is "
                    f"not busy ({load:.0%} of a core): they arrive late, they are not processed late"
                )
            self.emit(
                health_event(
                    "meshtail.ingest.behind",
                    summary,
                    "warning",
                    _source(lag.worst),
                    {"meshtail.ingest.lag_seconds": round(lag.overall, 3), "meshtail.ingest.cause": cause},
                )
            )
        elif self.behind and lag.overall < self.threshold / 2:
            self.behind = False
            self.emit(
                health_event(
                    "meshtail.ingest.caught_up",
                    f"meshtail caught up with the logs (lag {lag.overall:.1f}s, at most {self.peak:.1f}s)",
                    "info",
                    attributes={"meshtail.ingest.lag_seconds": round(lag.overall, 3)},
                )
            )
            self.peak = lag.overall
        return lag


def say_lag(watch: LagWatch, ticks: int, say: Callable[[str], None]) -> None:
    """A headless run's look at the lag, on its 0.2 s ticks: once a second measured (crossings are health events),
    and said on stderr when meshtail falls behind (again every ten seconds while it is) and when it catches up."""
    if ticks % 5:
        return
    was = watch.behind
    lag = watch.check()
    if watch.behind and (not was or ticks % 50 == 0):
        say(f"falling behind the logs: {describe(lag)}")
    elif was and not watch.behind:
        say(f"caught up with the logs ({describe(lag)})")


def _name(key: StreamKey | None) -> str:
    if key is None:
        return "-"
    namespace, pod, container, path = key
    if pod:
        return f"{namespace}/{pod}[{container}]" if namespace else f"{pod}[{container}]"
    return path or "-"


def _source(key: StreamKey | None) -> Source | None:
    if key is None:
        return None
    namespace, pod, container, path = key
    return Source("meshtail", namespace, pod, container, path)


def describe(lag: Lag) -> str:
    """``lag 0.3s``, ``lag 12.4s (shop/cart-1[istio-proxy])`` or ``lag 9.1s (shop/cart-1[istio-proxy] catching
    up)`` (the stream reads a backlog after a reconnect) for a status line."""
    if lag.overall < 1.0:
        return f"lag {lag.overall:.1f}s"
    catching = " catching up" if lag.worst in lag.catching_up else ""
    return f"lag {lag.overall:.1f}s ({_name(lag.worst)}{catching})"
