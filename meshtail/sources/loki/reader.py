"""Reading a time range from Loki exactly once: query_range pages, and what the tail may repeat.

Loki's ``query_range`` has no cursor.  A forward page holds the oldest ``limit`` entries of
``[start, end)``; the next page starts *at* the last entry's timestamp (inclusive: the page
may have cut a run of entries sharing it) and skips the entries of that one timestamp it
already delivered — by (stream, line), so memory holds one timestamp's entries, never the
window's.  A page whose entries all share its first timestamp cannot move the cursor:
that nanosecond is then read on its own with the largest limit the server allows, and if
it is still full, stream by stream (``/loki/api/v1/series``); only what even that cannot
read is reported as a gap.

:class:`Seen` is the live side's memory: the entries of the last few seconds, so that the
tail, its reconnect backfills and re-fetches of what it dropped can overlap freely and each
entry is still delivered once.  Loki itself keeps one entry per (stream, timestamp, line),
so a set is exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from ...events import Source
from .client import LokiClient, LokiError
from .labels import Layout, source_for
from .logql import LogQuery

# (timestamp ns, stream key, line, source): the stream key names the stream and its structured metadata
Entry = tuple[int, str, str, Source]
Gap = Callable[[Source, int, str], None]  # (where, first timestamp that may be missing, why)

_seconds: dict[int, str] = {}


def stamp(ns: int) -> str:
    """A Loki timestamp (ns since the epoch) as RFC 3339 UTC with nine fraction digits."""
    second, fraction = divmod(ns, 1_000_000_000)
    head = _seconds.get(second)
    if head is None:
        if len(_seconds) > 4096:
            _seconds.clear()
        head = _seconds[second] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{head}.{fraction:09d}Z"


_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d\d:?\d\d)?")


def parse_time(text: str) -> int:
    """``--from``/``--to`` as nanoseconds since the epoch.

    RFC 3339 to the nanosecond (``2024-05-01T10:00:00.123456789Z``, ``…+02:00``; without a zone,
    UTC), a date alone (its midnight UTC), or Unix time: seconds (``1714557600``, ``1714557600.5``)
    or, with more than 10 digits, nanoseconds as Loki writes them.  Raises ``ValueError`` with a
    one-line message.
    """
    value = text.strip()
    if re.fullmatch(r"\d+", value):
        return int(value) * (1 if len(value) > 10 else 1_000_000_000)
    if re.fullmatch(r"\d+\.\d*", value):
        whole, _, fraction = value.partition(".")
        return int(whole) * 1_000_000_000 + int((fraction + "000000000")[:9])
    found = _TIME.fullmatch(value)
    if found is None:
        raise ValueError(f"cannot read the time {text!r} (use RFC 3339, e.g. 2024-05-01T10:00:00Z, or Unix seconds)")
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        base = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"cannot read the time {text!r}: {exc}") from None
    seconds = int(base.timestamp())
    if zone and zone not in "Zz":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds * 1_000_000_000 + int(((fraction or "") + "000000000")[:9])


def stream_key(labels: dict[str, str]) -> str:
    """A stream's identity: its labels (and structured metadata) in order."""
    return ",".join(f"{name}={labels[name]}" for name in sorted(labels))


class Entries:
    """Turns response streams into sorted :data:`Entry` lists; sources and keys are made once per stream."""

    def __init__(self, layout: Layout, tenant_label: str | None = None) -> None:
        self.layout = layout
        self.tenant_label = tenant_label  # added to every stream's labels (several tenants read apart)
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, Source]] = {}
        self.base: dict[str, str] = {}  # key of a stream with structured metadata -> key of its stream alone
        self._sent: dict[tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]], tuple[str, Source]] = {}

    def identify(self, labels: dict[str, str], metadata: dict[str, str] | None) -> tuple[str, Source]:
        # a tail frame repeats its stream's labels for every entry, in the same order: known by them as sent
        sent = (tuple(labels.items()), tuple(metadata.items()) if metadata else ())
        found = self._sent.get(sent)
        if found is None:
            found = self._identify(labels, metadata)
            if len(self._sent) > 200_000:
                self._sent.clear()
            self._sent[sent] = found
        return found

    def _identify(self, labels: dict[str, str], metadata: dict[str, str] | None) -> tuple[str, Source]:
        labels = {name: value for name, value in labels.items() if name != "__tenant_id__"}
        base = stream_key(labels)
        items = tuple(sorted(metadata.items())) if metadata else ()
        found = self._cache.get((base, items))
        if found is None:
            merged = {**labels, **dict(items)}
            if len(self._cache) > 200_000:
                self._cache.clear()
                self.base.clear()
            key = stream_key(merged) if items else base
            if self.tenant_label is not None:
                key = f"{self.tenant_label}/{key}"
            if items:
                self.base[key] = f"{self.tenant_label}/{base}" if self.tenant_label is not None else base
            found = self._cache[(base, items)] = (key, source_for(self.layout, labels, dict(items)))
        return found

    def flatten_json(self, items: Any) -> list[Entry]:
        """A query_range page's ``data.result`` or a tail frame's ``streams``, as decoded, into entries sorted by
        time; malformed values are skipped.  With ``categorize-labels`` each value is ``[ns, line,
        {"structuredMetadata": {…}, "parsed": {…}}]``; without it, ``[ns, line]`` (structured metadata is then
        merged into the stream's labels by Loki).  One pass, no objects in between: a tail frame is one stream
        object per entry, and a page is 5,000 entries."""
        out: list[Entry] = []
        append = out.append
        identify = self.identify
        for item in items or ():
            if not isinstance(item, dict):
                continue
            labels = item.get("stream") or {}
            if not isinstance(labels, dict):
                labels = {}
            plain: tuple[str, Source] | None = None
            for value in item.get("values") or ():
                try:
                    ts = int(value[0])
                    line = value[1]
                except (IndexError, TypeError, ValueError):
                    continue
                metadata = None
                if len(value) > 2 and isinstance(value[2], dict):
                    metadata = value[2].get("structuredMetadata") or None
                if metadata:
                    key, source = identify(labels, metadata)
                else:
                    if plain is None:
                        plain = identify(labels, None)
                    key, source = plain
                append((ts, key, line if isinstance(line, str) else str(line), source))
        out.sort(key=itemgetter(0))
        return out


@dataclass
class Seen:
    """The entries delivered in the last ``lookback_ns`` before the newest: what a re-read may repeat."""

    lookback_ns: int
    newest: int = -1
    _buckets: dict[int, set[tuple[str, str]]] = field(default_factory=dict)
    _order: list[int] = field(default_factory=list)
    repeats: int = 0
    unjudged: int = 0  # entries older than the memory, delivered as new (arrived later than lookback)
    # tail frames held while dropped entries are read again carry entries the re-read delivers too; the
    # re-read moves ``newest`` on (to now), so the memory keeps everything from the oldest held entry on
    # until they are delivered: -1 when nothing is held
    pin: int = -1

    @property
    def floor(self) -> int:
        """Entries at or after this are remembered; -1 before anything was delivered."""
        if self.newest < 0:
            return -1
        floor = self.newest - self.lookback_ns
        return min(floor, self.pin) if self.pin >= 0 else floor

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._buckets.values())

    def contains(self, ts: int, key: str, line: str) -> bool:
        bucket = self._buckets.get(ts)
        return bucket is not None and (key, line) in bucket

    def add(self, ts: int, key: str, line: str) -> bool:
        """True if the entry is new (and is now remembered); False if it was delivered before."""
        # (the floor worked out here, not by the property: this runs once an entry, 20,000 times a second)
        newest, pin = self.newest, self.pin
        if newest >= 0:
            floor = newest - self.lookback_ns
            if 0 <= pin < floor:
                floor = pin
            if ts < floor:
                self.unjudged += 1
                return True
        bucket = self._buckets.get(ts)
        if bucket is None:
            bucket = self._buckets[ts] = set()
            heapq.heappush(self._order, ts)
        elif (key, line) in bucket:
            self.repeats += 1
            return False
        bucket.add((key, line))
        if ts > self.newest:
            self.newest = ts
            floor = self.floor
            order, buckets = self._order, self._buckets
            while order and order[0] < floor:
                del buckets[heapq.heappop(order)]
        return True


class Pager:
    """query_range for one tenant and one query, page after page, each entry once."""

    def __init__(
        self,
        client: LokiClient,
        tenant: str | None,
        entries: Entries,
        index_labels: set[str],
        on_gap: Gap,
        limit: int = 5000,
        max_limit: int = 5000,
    ) -> None:
        self.client = client
        self.tenant = tenant
        self.entries = entries
        self.index_labels = index_labels
        self.on_gap = on_gap
        self.limit = limit
        self.max_limit = max(limit, max_limit)
        self.pages = 0
        self.split_timestamps = 0  # nanoseconds read on their own because a page could not get past them
        self.position = -1  # see read()
        self._stop: int | None = None

    async def page(self, query: str, start_ns: int, end_ns: int, limit: int) -> tuple[list[Entry], bool]:
        """One page of ``[start_ns, end_ns)`` and whether it was full; lowers the limit to the server's maximum."""
        while True:
            try:
                result = await self.client.query_range(query, start_ns, end_ns, limit, self.tenant)
                break
            except LokiError as exc:
                allowed = exc.max_entries
                if allowed is None or allowed >= limit or allowed <= 0:
                    raise
                self.max_limit = allowed
                self.limit = min(self.limit, allowed)
                limit = allowed
        self.pages += 1
        found = self.entries.flatten_json(result)
        full = len(found) >= limit
        return [entry for entry in found if start_ns <= entry[0] < end_ns], full

    async def read(self, query: LogQuery, start_ns: int, end_ns: int) -> AsyncIterator[list[Entry]]:
        """Every entry of ``[start_ns, end_ns)`` once, oldest first, a page at a time.

        The next page is asked for before this one is handed on (its cursor is known once the page is in):
        Loki serves it while the caller parses, instead of after.  At most one page is read ahead.
        While the read runs, :meth:`stop_at` may move its end earlier (another reader takes the rest); after
        each page handed on from a clean cut, :attr:`position` is the timestamp the read goes on from.
        """
        text = query.render()
        cursor = start_ns
        boundary_ts, boundary = -1, set[tuple[str, str]]()
        ahead: asyncio.Task[tuple[list[Entry], bool]] | None = None
        self.position = -1
        self._stop = None
        try:
            while cursor < end_ns:
                self.position = -1
                if ahead is not None:
                    found, full = await ahead
                    ahead = None
                else:
                    found, full = await self.page(text, cursor, end_ns, self.limit)
                if self._stop is not None and self._stop < end_ns:
                    end_ns = self._stop
                    if found and found[-1][0] >= end_ns:
                        # read past the new end: the page held every entry before it (pages are oldest first)
                        found, full = [e for e in found if e[0] < end_ns], False
                fresh = [e for e in found if e[0] != boundary_ts or (e[1], e[2]) not in boundary]
                if not full:
                    if fresh:
                        yield fresh
                    return
                if not found:  # a full page with nothing in range: the server ignored the bounds
                    raise LokiError(f"query Loki: the answer for {stamp(cursor)} onwards held no entry in the range")
                last = found[-1][0]
                if last == cursor:
                    # every entry of the page shares the cursor's timestamp: read that nanosecond to its end
                    if fresh:
                        yield fresh
                    done = {(e[1], e[2]) for e in found}
                    if boundary_ts == cursor:
                        done |= boundary
                    rest = await self._one_timestamp(query, cursor, done)
                    if rest:
                        yield rest
                    cursor, boundary_ts, boundary = cursor + 1, -1, set()
                    continue
                boundary_ts, boundary = last, {(e[1], e[2]) for e in found if e[0] == last}
                cursor = last
                ahead = asyncio.ensure_future(self.page(text, cursor, end_ns, self.limit))
                await asyncio.sleep(0)  # the request goes out now, not when the caller next waits
                self.position = cursor
                if fresh:
                    yield fresh
        finally:
            if ahead is not None and not ahead.done():
                ahead.cancel()
                with contextlib.suppress(asyncio.CancelledError, LokiError):
                    await ahead
            elif ahead is not None and not ahead.cancelled():
                ahead.exception()  # retrieved: a read the caller stopped wanting is not an error

    def stop_at(self, end_ns: int) -> None:
        """End the running read before ``end_ns`` (exactly: query_range ranges are half-open)."""
        self._stop = end_ns

    async def _one_timestamp(self, query: LogQuery, ts: int, done: set[tuple[str, str]]) -> list[Entry]:
        """The entries at exactly ``ts`` not in ``done``: with the largest limit, else stream by stream."""
        self.split_timestamps += 1
        text = query.render()
        found, full = await self.page(text, ts, ts + 1, self.max_limit)
        out: list[Entry] = []
        seen = set(done)

        def take(entries: list[Entry]) -> None:
            for entry in entries:
                key = (entry[1], entry[2])
                if entry[0] == ts and key not in seen:
                    seen.add(key)
                    out.append(entry)

        if not full:
            take(found)
            return out
        selector = "{" + ", ".join(m.render() for m in query.matchers) + "}"
        try:
            series = await self.client.series(selector, ts, ts + 1, self.tenant)
        except LokiError as exc:
            take(found)
            self.on_gap(
                Source(kind="loki"),
                ts,
                f"more than {self.max_limit} entries share the timestamp {stamp(ts)} and Loki cannot list "
                f"their streams to read them one by one ({exc.message}): some of them may be missing",
            )
            return out
        for labels in series:
            one = query.for_stream(labels, self.index_labels)
            entries, stream_full = await self.page(one.render(), ts, ts + 1, self.max_limit)
            take(entries)
            if stream_full:
                self.on_gap(
                    self.entries.identify(labels, None)[1],
                    ts,
                    f"one stream has more than {self.max_limit} entries at the single timestamp {stamp(ts)} "
                    "(Loki's maximum page): the rest of them may be missing",
                )
        return out
