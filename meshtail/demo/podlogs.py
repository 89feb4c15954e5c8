"""Container logs as the kubelet keeps them: one log per container instance, with timestamps.

Each line gets the RFC 3339 timestamp (nanoseconds) the kubelet would prefix with
``timestamps=true``.  A restarted container gets a new log (the old one stays for
``previous=true``).  Logs are bounded like rotated kubelet files: old lines fall off
the front, and readers address lines by absolute index so rotation never shifts them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime


def kubelet_timestamp(ns: int) -> str:
    """``2025-01-02T03:04:05.123456789Z``: RFC3339Nano with exactly nine fractional digits."""
    seconds, frac = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def parse_timestamp_ns(text: str) -> int:
    """The inverse of :func:`kubelet_timestamp` for any RFC 3339 time (sinceTime)."""
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    frac = 0
    if "." in text:
        head, rest = text.split(".", 1)
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        frac = int((digits + "000000000")[:9])
        text = head + rest
    when = datetime.fromisoformat(text)
    return int(when.timestamp()) * 1_000_000_000 + frac


class ContainerLog:
    """The log of one container instance (one containerID)."""

    def __init__(
        self, container_id: str, keep: int = 100_000, on_line: Callable[[int, str], None] | None = None
    ) -> None:
        self.container_id = container_id
        self.on_line = on_line  # a log shipper reading along (the demo's Loki), as promtail reads the file
        self.lines: deque[tuple[int, str]] = deque(maxlen=keep)
        self.base = 0  # absolute index of lines[0]
        self.ended = False
        self._last_ns = 0
        self._changed = asyncio.Event()

    @property
    def end(self) -> int:
        """Absolute index one past the newest line."""
        return self.base + len(self.lines)

    def append(self, text: str, at_ns: int | None = None) -> int:
        """Add one line (no newline); returns its timestamp in ns.

        Without ``at_ns`` every line gets a time of its own.  With it, lines may share one:
        a runtime stamps the lines of one read from the container's pipe alike, so real logs
        hold runs of identical timestamps, and a resume can fall inside one.
        """
        if at_ns is None:
            ns = max(time.time_ns(), self._last_ns + 1)
        else:
            ns = max(at_ns, self._last_ns)
        self._last_ns = ns
        if len(self.lines) == self.lines.maxlen:
            self.base += 1
        self.lines.append((ns, text))
        self._wake()
        if self.on_line is not None:
            self.on_line(ns, text)
        return ns

    def finish(self) -> None:
        """The container stopped: followers get a clean end of stream."""
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, index: int, timeout: float) -> None:
        """Wait until a line at ``index`` exists, the log ends, or ``timeout`` passes."""
        if index < self.end or self.ended:
            return
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            pass

    def line(self, index: int) -> tuple[int, str] | None:
        """The line at absolute ``index``; None if rotated away or not written yet."""
        if index < self.base or index >= self.end:
            return None
        return self.lines[index - self.base]

    def first_index_since(self, since_ns: int) -> int:
        """Absolute index of the first line at or after ``since_ns``."""
        lo, hi = 0, len(self.lines)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.lines[mid][0] < since_ns:
                lo = mid + 1
            else:
                hi = mid
        return self.base + lo


class PodLogs:
    """Every container log in the simulated cluster, by (namespace, pod, container)."""

    def __init__(self, keep: int = 100_000, keep_removed: bool = False) -> None:
        self.keep = keep
        # called for every line written, with its (namespace, pod, container): the demo's log shipper
        self.on_line: Callable[[tuple[str, str, str], int, str], None] | None = None
        self._logs: dict[tuple[str, str, str], list[ContainerLog]] = {}
        # tests compare what meshtail delivered with everything ever written, deleted pods included
        self.keep_removed = keep_removed
        self.removed: dict[tuple[str, str, str], list[ContainerLog]] = {}

    def start(self, namespace: str, pod: str, container: str, container_id: str) -> ContainerLog:
        """A container (re)started: a fresh log; the previous instance's log ends."""
        instances = self._logs.setdefault((namespace, pod, container), [])
        if instances:
            instances[-1].finish()
        key = (namespace, pod, container)
        log = ContainerLog(container_id, self.keep, lambda ns, text: self._shipped(key, ns, text))
        instances.append(log)
        if self.keep_removed and len(instances) > 2:
            self.removed.setdefault((namespace, pod, container), []).extend(instances[:-2])
        del instances[:-2]  # the kubelet keeps the current and the previous instance
        return log

    def _shipped(self, key: tuple[str, str, str], ns: int, text: str) -> None:
        if self.on_line is not None:
            self.on_line(key, ns, text)

    def current(self, namespace: str, pod: str, container: str) -> ContainerLog | None:
        instances = self._logs.get((namespace, pod, container))
        return instances[-1] if instances else None

    def previous(self, namespace: str, pod: str, container: str) -> ContainerLog | None:
        instances = self._logs.get((namespace, pod, container), [])
        return instances[-2] if len(instances) > 1 else None

    def remove_pod(self, namespace: str, pod: str) -> None:
        for key in [k for k in self._logs if k[:2] == (namespace, pod)]:
            instances = self._logs.pop(key)
            for log in instances:
                log.finish()
            if self.keep_removed:
                self.removed.setdefault(key, []).extend(instances)

    def history(self, namespace: str, pod: str, container: str) -> list[ContainerLog]:
        """Every instance's log of a container, oldest first (removed ones only with ``keep_removed``)."""
        key = (namespace, pod, container)
        return [*self.removed.get(key, []), *self._logs.get(key, [])]
