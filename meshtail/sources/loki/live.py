"""The Loki source: history with query_range, then the tail websocket, each line delivered once.

Per tenant (Loki's tail takes one ``X-Scope-OrgID``), one reader:

1. **History** ``[start, now)`` page by page (:class:`~.reader.Pager`), forward.
2. **Tail**: the websocket with ``delay_for`` (Loki holds entries that long to put late writes
   in order) and ``start`` = now.  Right after it connects, ``query_range`` reads again from a
   little before the last delivered entry up to now: whatever was written while connecting is
   in the store, whatever comes later arrives on the tail, and :class:`~.reader.Seen` drops the
   overlap exactly.
3. **Drops**: ``dropped_entries`` (the tail could not send them in time; Loki lists at most
   1,000 a frame) are fetched again by ONE query_range of the whole query, from the oldest
   dropped or last delivered entry up to now, deduped by :class:`~.reader.Seen`.  It runs as
   one task while the socket is still read: frames arriving meanwhile are held (bounded) and
   delivered after it, their drops coalesced into the next recovery.  Listed entries Loki no
   longer has, or older than the dedupe memory, become a ``meshtail.stream.gap`` naming the
   stream and time, and a failed read after a full list a gap for the whole query.
4. **Breaks**: a disconnect, and the 1011 close at Loki's ``tail_max_duration``, reconnect
   with back-off (the max-duration close at once) and read the break with query_range the
   same way.

Health events are the kube source's: ``meshtail.stream.start`` / ``reconnect`` / ``resume`` /
``gap`` / ``end``, ``meshtail.stream.incomplete`` at a stop while behind, and
``meshtail.source.stop``.  Events carry ``source.kind = "loki"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import os
import random
import shutil
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

import aiohttp
import orjson

from ...events import AuditEvent, RawLine, Source, now_rfc3339
from ..health import StreamStats, health_event
from . import parsed
from .client import LokiClient, LokiError, parse_dropped
from .config import LokiConfig
from .labels import Layout, detect_layout
from .logql import LogQuery, LokiSelection, build_query
from .parsed import ParallelOutput, gap_event
from .reader import Entries, Entry, Pager, Seen, stamp
from .worker import HANDOFF_LINES, HistoryProcess, Job, Page
from .worker import enabled as worker_enabled

MAX_DELAY_FOR = 5  # Loki refuses a larger delay_for
MAX_DURATION_CLOSE = 1011
# Loki's tailer lists at most this many dropped entries a frame (pkg/querier/tail/tail.go
# ``maxDroppedEntriesPerTailResponse``): a full list means more may have been dropped
MAX_LISTED_DROPS = 1000
INBOX_BYTES = 64 << 20  # characters of tail messages read ahead of parsing (~150,000 access lines)
HELD_MAX = 50_000  # tail entries held while dropped ones are read again; older ones beyond are read again too
YIELD_EVERY = 512  # history lines handed on between turns of the event loop (the next page arrives meanwhile)

Drop = tuple[str | None, int, Source]  # (stream key, or None when Loki did not name it; timestamp; source)


def backoff(attempt: int, cap: float = 15.0, base: float = 0.25) -> float:
    """Exponential back-off with full jitter."""
    return random.uniform(0, min(cap, base * 2**attempt)) + 0.05


@dataclass
class LokiOptions:
    """How to read.  Times are nanoseconds since the epoch (Loki's own unit).

    ``start_ns``: history from (default: ``since_seconds`` before now, else one hour);
    ``end_ns``: history until (set it, or ``follow=False``, for a bounded read — ``scan``);
    ``delay_for``: seconds the tail holds entries to order late writes (0–5, Loki's range);
    ``limit``: entries per query_range page (lowered to the server's maximum if it refuses);
    ``lookback``: seconds of delivered entries remembered to drop repeats after a reconnect
    (None: ``delay_for`` + 10); ``layout``: force a label layout (``promtail``, ``alloy``,
    ``otlp``, ``generic``); ``label_terms``: push the filter's pod/container/namespace/cluster
    terms down as stream matchers too — off by default, because a line that names another
    pod than its stream (a shipper's envelope) would be dropped by Loki while meshtail's
    filter keeps it (see :mod:`.logql`); the selection (``LokiSelection``) is always pushed.
    """

    start_ns: int | None = None
    since_seconds: float | None = None
    end_ns: int | None = None
    follow: bool = True
    delay_for: int = 2
    limit: int = 5000
    tail_limit: int = 1000
    lookback: float | None = None
    reconnect_cap: float = 15.0
    layout: str | None = None
    label_terms: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.delay_for <= MAX_DELAY_FOR:
            raise ValueError(f"delay_for must be 0 to {MAX_DELAY_FOR} seconds (Loki's limit)")
        if self.limit <= 0 or self.tail_limit <= 0:
            raise ValueError("the Loki page limit must be positive")
        if self.start_ns is not None and self.end_ns is not None and self.start_ns >= self.end_ns:
            raise ValueError(
                f"the time window is empty: --from {stamp(self.start_ns)} is not before --to {stamp(self.end_ns)}"
            )

    @property
    def bounded(self) -> bool:
        """A read that ends (``scan``, ``--to``, ``--no-follow``): no tail to meet, nothing read twice."""
        return not self.follow or self.end_ns is not None

    @property
    def lookback_ns(self) -> int:
        seconds = self.lookback if self.lookback is not None else self.delay_for + 10.0
        return int(seconds * 1e9)

    def window(self, now_ns: int) -> tuple[int, int | None]:
        start = self.start_ns
        if start is None:
            start = now_ns - int((self.since_seconds if self.since_seconds is not None else 3600.0) * 1e9)
        return start, self.end_ns


@dataclass
class _Tenant:
    """One tenant's reading state."""

    name: str | None
    pager: Pager
    seen: Seen
    stats: StreamStats = field(default_factory=StreamStats)
    history_done: bool = False
    last: int | None = None  # newest delivered timestamp
    recorded_from: int = -1  # history entries before this were delivered without being remembered
    # what the tail reader still holds (dropped entries being read again, frames held meanwhile, messages
    # read ahead and not parsed), asked at the moment of a stop: None when nothing
    backlog: Callable[[], str | None] | None = None
    last_by_stream: dict[str, int] = field(default_factory=dict)
    source_by_stream: dict[str, Source] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"loki {self.name}" if self.name else "loki"


@dataclass(slots=True)
class _Frame:
    """A tail message held while a recovery runs: its entries and what it says was dropped."""

    batch: list[Entry]
    drops: list[Drop]
    capped: bool = False  # Loki listed its maximum: more may have been dropped than listed
    requeued: int = 0  # drops that are held entries let go (HELD_MAX), not Loki's
    newest: int | None = None  # the newest entry of the frame that reported its drops (what they are older than)


class _Inbox:
    """The tail socket read as fast as it delivers, into memory, by a task of its own.

    Loki queues ten frames for a tail client and drops entries when they are full (its
    ``maxBufferedTailResponses``); aiohttp stops reading the socket once 64 kB of messages wait
    unread.  Read only between frames being parsed, a burst or a slow moment fills both and Loki
    drops, and every drop is a ``query_range`` of the store, costlier than the tail itself.  Up to
    :data:`INBOX_BYTES` of messages wait here instead; beyond that the socket is left unread (and
    Loki drops, reported and read again as ever).  Ends after a close or error message.
    """

    __slots__ = ("_arrived", "_room", "messages", "size", "ws")

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        # each message with the wall-clock time it came off the socket (what a capped drop list is older than)
        self.messages: deque[tuple[aiohttp.WSMessage, int]] = deque()
        self.size = 0  # characters (or bytes) of the messages waiting
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    async def fill(self) -> None:
        ws, messages = self.ws, self.messages
        while True:
            if self.size >= INBOX_BYTES:
                self._room.clear()
                await self._room.wait()
            try:
                message = await ws.receive()
            except Exception as exc:  # aiohttp answers a ping outside its own try: a reset there is a break
                message = aiohttp.WSMessage(aiohttp.WSMsgType.ERROR, exc, None)
            data = message.data
            self.size += len(data) if isinstance(data, str | bytes) else 0
            messages.append((message, time.time_ns()))
            self._arrived.set()
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                return  # close, closing, closed, error: the reader ends on it

    async def wait(self) -> bool:
        while not self.messages:
            self._arrived.clear()
            await self._arrived.wait()
        return True

    def take(self) -> tuple[aiohttp.WSMessage, int]:
        message, arrived = self.messages.popleft()
        data = message.data
        self.size -= len(data) if isinstance(data, str | bytes) else 0
        if self.size < INBOX_BYTES:
            self._room.set()
        return message, arrived


class LokiSource:
    """Reads a Loki selection: history, then (``follow``) the live tail; lines and events go to callbacks.

    ``await prepare()`` first to fail fast with one line (unreachable, credentials, tenant,
    a selection Loki cannot express); ``run()`` prepares if needed.  ``filter_text`` is the
    meshtail filter whose pushable part goes into the query (the caller still applies it all).
    """

    ended_kept = 500

    def __init__(
        self,
        client: LokiClient,
        selection: LokiSelection,
        on_line: Callable[[RawLine], None],
        on_event: Callable[[AuditEvent], None],
        options: LokiOptions | None = None,
        filter_text: str = "",
    ) -> None:
        self.client = client
        self.selection = selection
        self.on_line = on_line
        self.on_event = on_event
        self.options = options or LokiOptions()
        self.filter_text = filter_text
        self.tenants: list[str | None] = list(client.config.tenants) or [None]
        self.layout: Layout | None = None
        self.index_labels: set[str] = set()
        self.query: LogQuery | None = None
        self.errors: list[str] = []
        self._states: dict[str | None, _Tenant] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False
        # a long history goes on in a worker process from a split ~``handoff_lines`` past its first page (.worker)
        self.handoff_lines = HANDOFF_LINES
        # a bounded read written by a plain writer: the worker parses and writes its half too (.parsed)
        self.parallel: ParallelOutput | None = None

    # ---- setup ---------------------------------------------------------------------------
    async def prepare(self, now_ns: int | None = None) -> LogQuery:
        """Discover the labels of every tenant, pick the layout, build the query.  Raises on failure.

        Raises :class:`LokiError` (the server), :class:`~.logql.LokiQueryError` (the selection)
        or :class:`~meshtail.query.FilterError`; each message is one line.
        """
        if self.query is not None:
            return self.query
        now = now_ns or time.time_ns()
        start, end = self.options.window(now)
        labels: set[str] = set()
        for tenant in self.tenants:
            labels.update(await self.client.labels(min(start, now - 3_600_000_000_000), end or now, tenant))
        if not labels:
            where = f" (tenant {', '.join(t for t in self.tenants if t)})" if self.tenants != [None] else ""
            raise LokiError(f"Loki at {self.client.config.where} holds no log streams in the time asked{where}")
        self.index_labels = labels
        self.layout = detect_layout(labels, self.options.layout)
        self.query = build_query(
            self.selection, self.layout, labels, self.filter_text, label_terms=self.options.label_terms
        )
        several = len(self.tenants) > 1
        for tenant in self.tenants:
            entries = Entries(self.layout, tenant if several else None)
            pager = Pager(
                self.client,
                tenant,
                entries,
                labels,
                self._gap_reporter(tenant),
                self.options.limit,
                max(self.options.limit, 5000),
            )
            self._states[tenant] = _Tenant(tenant, pager, Seen(self.options.lookback_ns))
        for warning in self.query.warnings:
            self.on_event(health_event("meshtail.source.warning", warning, "warning"))
        return self.query

    @property
    def streams(self) -> dict[str, StreamStats]:
        """Per-tenant reading state for a status bar (one Loki query is one stream to meshtail)."""
        return {state.label: state.stats for state in self._states.values()}

    def totals(self) -> tuple[int, int, int]:
        """(streams, reconnects, repeated lines dropped) of the whole run, as the kube source counts them."""
        stats = list(self.streams.values())
        return len(stats), sum(s.reconnects for s in stats), sum(s.duplicates_dropped for s in stats)

    @property
    def reading_history(self) -> bool:
        """True for a bounded read, and until every reader has read its history: lines are old by design
        then, so an ingest lag (received minus written) says nothing about keeping up."""
        if self.options.bounded:
            return True
        return not self._states or not all(state.history_done for state in self._states.values())

    @property
    def lag_allowance(self) -> float:
        """Seconds every tailed line is late by design: Loki holds each entry ``delay_for`` to order late
        writes, which is not meshtail falling behind (the ingest lag is measured beyond it)."""
        return float(self.options.delay_for) if self.options.follow else 0.0

    # ---- events --------------------------------------------------------------------------
    def _attrs(self, state: _Tenant) -> dict[str, object]:
        attrs: dict[str, object] = {
            "meshtail.stream.lines": state.stats.lines,
            "meshtail.stream.reconnects": state.stats.reconnects,
            "meshtail.stream.duplicates_dropped": state.stats.duplicates_dropped,
            "loki.query": self.query.render() if self.query else "",
            "loki.url": self.client.config.where,
        }
        if state.name:
            attrs["loki.tenant"] = state.name
        if state.seen.unjudged:  # entries too old for the dedupe memory: delivered, but a repeat cannot be ruled out
            attrs["loki.dedupe.unjudged"] = state.seen.unjudged
        return attrs

    def _event(self, state: _Tenant, action: str, summary: str, severity: str = "info", **extra: object) -> None:
        attrs = self._attrs(state) | {k.replace("__", "."): v for k, v in extra.items() if v is not None}
        self.on_event(health_event(action, summary, severity, Source(kind="loki"), attrs))

    def _gap_reporter(self, tenant: str | None) -> Callable[..., None]:
        def report(source: Source, first_missing: int, why: str, **extra: object) -> None:
            state = self._states.get(tenant)
            self.on_event(gap_event(source, first_missing, why, self.client.config.where, tenant, extra))
            if state is not None:
                state.stats.errors += 1

        return report

    # ---- delivery ------------------------------------------------------------------------
    def _deliver(self, state: _Tenant, batch: list[Entry], seen: Seen | None, record_from: int = -1) -> int:
        """Hand ``batch`` to ``on_line``, minus what ``seen`` says was delivered; returns how many went."""
        received = now_rfc3339()
        on_line = self.on_line
        last_by_stream, sources = state.last_by_stream, state.source_by_stream
        count = 0
        for ts, key, line, source in batch:
            if seen is not None and ts >= record_from and not seen.add(ts, key, line):
                state.stats.duplicates_dropped += 1
                continue
            on_line(RawLine(line, source, received, stamp(ts)))
            count += 1
            if last_by_stream.get(key, -1) < ts:
                last_by_stream[key] = ts
                if key not in sources:
                    sources[key] = source
            if state.last is None or ts > state.last:
                state.last = ts
        state.stats.lines += count
        return count

    async def _deliver_paced(
        self, state: _Tenant, batch: list[Entry], seen: Seen | None, record_from: int = -1
    ) -> None:
        """:meth:`_deliver` a page :data:`YIELD_EVERY` entries at a time, the event loop turning in between: the
        page read ahead comes in, and the tail keeps being read (a stalled reader is what Loki drops for)."""
        for at in range(0, len(batch), YIELD_EVERY):
            self._deliver(state, batch[at : at + YIELD_EVERY], seen, record_from)
            await asyncio.sleep(0)

    # ---- history -------------------------------------------------------------------------
    async def history(self, start_ns: int, end_ns: int) -> AsyncIterator[RawLine]:
        """Every line of ``[start_ns, end_ns)``, oldest first, merged across tenants by time.

        For ``scan``: no tail, no health events but gaps.  ``prepare()`` must have run.
        """
        query = self.query
        assert query is not None, "prepare() first"
        iterators = [self._history_entries(state, query, start_ns, end_ns) for state in self._states.values()]
        received = now_rfc3339()
        if len(iterators) == 1:
            async with contextlib.aclosing(iterators[0]) as pages:  # a reader that stops ends the read ahead now
                async for batch in pages:
                    for i, (ts, _key, line, source) in enumerate(batch, 1):
                        yield RawLine(line, source, received, stamp(ts))
                        if not i % YIELD_EVERY:
                            await asyncio.sleep(0)  # the page read ahead comes in while this one is parsed
            return
        async with contextlib.aclosing(_merge(iterators)) as merged:
            async for ts, _key, line, source in merged:
                yield RawLine(line, source, received, stamp(ts))

    async def _history_entries(
        self, state: _Tenant, query: LogQuery, start_ns: int, end_ns: int
    ) -> AsyncIterator[list[Entry]]:
        async with contextlib.aclosing(state.pager.read(query, start_ns, end_ns)) as pages:
            async for batch in pages:
                state.stats.lines += len(batch)
                yield batch

    async def _read_history(self, state: _Tenant, start_ns: int, end_ns: int) -> None:
        assert self.query is not None
        state.stats.state = "replaying"
        self._event(
            state,
            "meshtail.stream.start",
            f"reading Loki history {stamp(start_ns)} to {stamp(end_ns)}: {self.query.render()}"
            + (f" ({self.query.default_selector})" if self.query.default_selector else ""),
            loki__layout=self.layout.describe() if self.layout else None,
            loki__pushed=list(self.query.pushed) or None,
        )
        record_from = end_ns - self.options.lookback_ns  # only the last seconds can meet the tail
        seen = None if self.options.bounded else state.seen  # no tail: no repeats
        state.recorded_from = record_from
        pager = state.pager
        helper: HistoryProcess | None = None
        try_worker = worker_enabled()
        parallel = self.parallel if seen is None and len(self._states) == 1 else None  # see .parsed
        spool = ""
        try:
            async with contextlib.aclosing(pager.read(self.query, start_ns, end_ns)) as pages:
                async for batch in pages:
                    await self._deliver_paced(state, batch, seen, record_from)
                    if try_worker and pager.position >= 0:
                        try_worker = False  # decided on the first full page
                        timed = record_from if seen is not None else -1  # (the timestamps the dedupe memory learns)
                        handed = await self._hand_off(state, start_ns, end_ns, timed, parallel)
                        if handed is None:
                            continue  # a short read, or no worker: all of it here
                        helper, spool, split = handed
                        # this read goes on to the split while the worker starts and reads ahead from it
                        pager.stop_at(split)
            if helper is not None and spool:
                assert parallel is not None
                await self._history_parsed_in_worker(state, helper, parallel)
            elif helper is not None:
                await self._history_in_worker(state, helper, seen)
        finally:
            if spool:  # before any await: a stop cancels again while this task waits, and the rest is skipped
                if helper is not None:
                    helper.kill()  # (it writes no more segments then)
                shutil.rmtree(spool, ignore_errors=True)
            if helper is not None:
                await helper.close()
        state.history_done = True

    async def _hand_off(
        self, state: _Tenant, start_ns: int, end_ns: int, timestamps_from: int, parallel: ParallelOutput | None
    ) -> tuple[HistoryProcess, str, int] | None:
        """Start a worker on the rest of the window after the first full page: the worker, its spool when it
        parses too (:mod:`.parsed`; else ""), the split; or None to read it all here."""
        pager = state.pager
        split = -1
        spool = ""
        if parallel is not None:
            # halves of the entries, not of the window: a day asked for may hold logs in its last hours only
            newest = await self._newest_entry(state, pager.position, end_ns)
            split = self._half_point(start_ns, pager.position, end_ns if newest is None else newest + 1, pager.limit)
            if split >= 0:
                try:
                    spool = parsed.make_spool()  # (0700: the output's own)
                except OSError as exc:  # the worker only fetches then, as for the TUI
                    why = f"cannot make a spool for the Loki history reader ({exc.strerror or exc})"
                    self._event(state, "meshtail.source.warning", f"{why}: parsing it all here", "warning")
                    split = -1
        if not spool:
            split = self._split_point(start_ns, pager.position, end_ns, pager.limit)
            if split < 0:
                return None
        job = self._job(state, split, end_ns, timestamps_from)
        if spool:
            assert parallel is not None
            job.output = replace(parallel.output, spool=spool, states=parallel.states())
        helper = HistoryProcess()
        try:
            await helper.start(job)
        except LokiError as exc:  # read on here: the same lines, slower
            if spool:
                shutil.rmtree(spool, ignore_errors=True)
            self._event(state, "meshtail.source.warning", f"{exc.message}; reading on in-process", "warning")
            return None
        except BaseException:  # a stop while the worker starts (Ctrl-C the moment it appears): leave none of it
            helper.kill()
            if spool:
                shutil.rmtree(spool, ignore_errors=True)
            raise
        return helper, spool, split

    def _split_point(self, start_ns: int, cursor: int, end_ns: int, limit: int) -> int:
        """Where a worker takes over a long read, or -1 to read it all here.

        The first full page says how dense the window is; this process reads on for ~:attr:`handoff_lines`
        (the worker's start-up and its first pages overlap that), the worker reads from there to the end --
        an exact split: query_range ranges are half-open in nanoseconds.  Worth it only for several pages."""
        span = cursor - start_ns
        if span <= 0:
            return -1
        split = cursor + span * max(1, self.handoff_lines // limit)
        left_pages = (end_ns - split) // span
        return split if left_pages >= 2 else -1

    async def _newest_entry(self, state: _Tenant, start_ns: int, end_ns: int) -> int | None:
        """The timestamp of the window's newest entry (one backward page of one entry), or None if Loki says not."""
        assert self.query is not None
        try:
            found = await self.client.query_range(self.query.render(), start_ns, end_ns, 1, state.name, "backward")
        except LokiError:
            return None
        entries = state.pager.entries.flatten_json(found)
        return entries[-1][0] if entries else None

    @staticmethod
    def _half_point(start_ns: int, cursor: int, end_ns: int, limit: int) -> int:
        """Where a worker that parses too (:mod:`.parsed`) takes over, or -1 when the window is too short for it.

        As dense throughout as its first page (``limit`` entries up to ``cursor``), the rest of the window is
        shared so that both processes end together: this one parses :data:`~.parsed.STARTUP_LINES` more than the
        worker, which starts meanwhile."""
        span = cursor - start_ns
        if span <= 0:
            return -1
        left = (end_ns - cursor) * limit // span  # lines, estimated
        if left < parsed.WORTH_LINES or left < 2 * limit:
            return -1
        split = cursor + (left + parsed.STARTUP_LINES) // 2 * span // limit
        return split if (end_ns - split) // span >= 1 else -1

    def _job(self, state: _Tenant, start_ns: int, end_ns: int, timestamps_from: int) -> Job:
        assert self.query is not None and self.layout is not None
        pager = state.pager
        return Job(
            self.client.config,
            state.name,
            pager.entries.tenant_label,
            self.layout,
            self.index_labels,
            self.query,
            pager.limit,
            pager.max_limit,
            start_ns,
            end_ns,
            timestamps_from=timestamps_from,
        )

    async def _history_in_worker(self, state: _Tenant, helper: HistoryProcess, seen: Seen | None) -> None:
        """The rest of the window, read by ``helper``'s process (see :mod:`.worker`)."""
        pager = state.pager
        report = self._gap_reporter(state.name)
        base = pager.pages
        async for page in helper.read():
            if isinstance(page, tuple):  # ("gap", source, ts, why)
                report(page[1], page[2], page[3])
                continue
            pager.pages = base + helper.pages
            await self._deliver_page(state, helper.table, page, seen)
        pager.pages = base + helper.pages
        pager.split_timestamps += helper.split_timestamps

    async def _history_parsed_in_worker(self, state: _Tenant, helper: HistoryProcess, parallel: ParallelOutput) -> None:
        """The rest of the window, parsed and written by ``helper``'s process: its segments copied to the output
        in order once this process has written its part, its counts added to this process's (see :mod:`.parsed`)."""
        pager = state.pager
        base = pager.pages
        last_by_stream, sources = state.last_by_stream, state.source_by_stream
        applied = parsed.Counts()

        def add(totals: parsed.Counts) -> None:  # the worker's running totals: what is new since the last ones
            nonlocal applied
            counts, applied = totals.minus(applied), totals
            parallel.add_counts(counts)
            state.stats.lines += counts.entries
            state.stats.errors += counts.gaps

        try:
            async for frame in helper.read():  # (segments only: the worker writes its gaps in their place)
                _, path, _new, lasts, newest, totals = frame
                parallel.write_file(path)
                add(totals)  # (what a stop right after this reports has these in its counts)
                with contextlib.suppress(OSError):
                    os.unlink(path)  # (the worker waits while too many are left)
                for index, ts in lasts:  # as far as each stream is written, should a stop come next
                    key, source = helper.table[index]
                    if last_by_stream.get(key, -1) < ts:
                        last_by_stream[key] = ts
                        sources.setdefault(key, source)
                if newest >= 0 and (state.last is None or newest > state.last):
                    state.last = newest
                pager.pages = base + helper.pages
                await asyncio.sleep(0)
        finally:
            if helper.counts is not None:
                add(helper.counts)
        pager.pages = base + helper.pages
        pager.split_timestamps += helper.split_timestamps

    async def _deliver_page(
        self, state: _Tenant, table: list[tuple[str, Source]], page: Page, seen: Seen | None
    ) -> None:
        """:meth:`_deliver_paced` for a page the worker made: lines, stamps and stream indexes already there."""
        received = now_rfc3339()
        on_line = self.on_line
        lines, stamps, streams = page.lines, page.stamps, page.streams
        timed, first_timed = page.timestamps, page.first_timed
        count = len(lines)
        for at in range(0, count, YIELD_EVERY):
            stop = min(at + YIELD_EVERY, count)
            if seen is None or timed is None or stop <= first_timed:
                for line, when, index in zip(lines[at:stop], stamps[at:stop], streams[at:stop], strict=True):
                    on_line(RawLine(line, table[index][1], received, when))
            else:
                for i in range(at, stop):
                    key, source = table[streams[i]]
                    if i >= first_timed and not seen.add(timed[i - first_timed], key, lines[i]):
                        state.stats.duplicates_dropped += 1
                        continue
                    on_line(RawLine(lines[i], source, received, stamps[i]))
            await asyncio.sleep(0)
        last_by_stream, sources = state.last_by_stream, state.source_by_stream
        for index, ts in page.lasts:
            key, source = table[index]
            if last_by_stream.get(key, -1) < ts:
                last_by_stream[key] = ts
                if key not in sources:
                    sources[key] = source
        if state.last is None or page.newest > state.last:
            state.last = page.newest
        state.stats.lines += count

    # ---- live ----------------------------------------------------------------------------
    async def _backfill(self, state: _Tenant, start_ns: int, end_ns: int) -> int:
        """Read ``[start_ns, end_ns)`` again and deliver what was not delivered yet."""
        assert self.query is not None
        count = 0
        async with contextlib.aclosing(state.pager.read(self.query, max(0, start_ns), end_ns)) as pages:
            async for batch in pages:
                count += self._deliver(state, batch, state.seen)
        return count

    def _resume_point(self, state: _Tenant, fallback: int) -> int:
        """Where a re-read starts: what the dedupe memory still holds (older entries are known delivered) --
        never before the history began recording, which it read whole (the memory's floor is its newest entry
        less the lookback, and history's newest is older than its end: the seconds between were delivered
        unrecorded, and a re-read from the floor would deliver them twice)."""
        floor = state.seen.floor
        if floor < 0:
            return fallback
        return max(floor, state.recorded_from) if state.history_done else floor

    def _drops(self, state: _Tenant, listed: list[tuple[dict[str, str], int]]) -> list[Drop]:
        """A frame's ``dropped_entries`` as :data:`Drop` s.  Loki (``dropEntry``) may put the line where the
        labels belong: such a drop names no stream, and any entry of its timestamp accounts for it."""
        out: list[Drop] = []
        identify = state.pager.entries.identify
        for labels, ts in listed:
            if labels:
                key, source = identify(labels, None)
                out.append((key, ts, source))
            else:
                out.append((None, ts, Source(kind="loki")))
        return out

    async def _recover_dropped(
        self, state: _Tenant, drops: list[Drop], capped: bool = False, requeued: int = 0, until: int | None = None
    ) -> None:
        """Fetch again what the tail dropped, and say so whatever came of it: a drop is never silent.

        ONE query_range of the whole query reads ``[start, until]`` again, where start is the oldest
        dropped entry or the last delivered one, whichever is older (Loki lists at most
        :data:`MAX_LISTED_DROPS` dropped entries a frame, the oldest first: what it did not list lies
        after them, so the window holds it too), and ``until`` the newest entry of the frames that
        reported the drops: Loki's tailer drops an entry only while its channel is full and lists it
        in the next frame it gets out, so every entry dropped before that frame is older than the
        frame's own (None: ``now + delay_for + 1s``).  Reading on to now would read again everything
        the tail delivered since — a second road for the whole stream while the reader is busiest.
        :class:`~.reader.Seen` drops what was delivered before.
        The start is never older than Seen's memory: listed entries older than that cannot be told
        apart from ones delivered before and are reported rather than risked twice.  Listed entries
        the read did not find (Loki no longer has them, or the read failed) become a
        ``meshtail.stream.gap`` for their stream with the counts; a failed read after Loki listed its
        maximum is a gap for the whole query too (the unlisted ones are unknown).  Then one event for
        the whole drop: ``meshtail.stream.resume`` (``loki.tail.dropped``, ``loki.tail.recovered``,
        ``loki.tail.lost``), a warning when something was lost.  ``requeued``: entries of the tail that
        were not held while a recovery ran (:data:`HELD_MAX`) and are read again the same way.
        """
        assert self.query is not None
        report = self._gap_reporter(state.name)
        floor = max(state.seen.floor, state.recorded_from)  # from here on, a repeat is recognised
        oldest = min(ts for _key, ts, _source in drops)
        start = max(oldest if state.last is None else min(oldest, state.last), floor)
        end = time.time_ns() + (self.options.delay_for + 1) * 1_000_000_000 if until is None else until + 1
        wanted: Counter[tuple[str | None, int]] = Counter((key, ts) for key, ts, _source in drops if ts >= start)
        any_stream = any(key is None for key, _ts, _source in drops)
        base = state.pager.entries.base
        lines_before = state.stats.lines
        failed: str | None = None
        try:
            async with contextlib.aclosing(state.pager.read(self.query, start, end)) as pages:
                async for batch in pages:
                    if wanted:
                        for ts, key, _line, _source in batch:  # delivered before or now: not lost
                            for one in (key, base.get(key, key), None) if any_stream else (key, base.get(key, key)):
                                if wanted.get((one, ts), 0) > 0:
                                    wanted[(one, ts)] -= 1
                                    break
                    await self._deliver_paced(state, batch, state.seen)
        except LokiError as exc:
            failed = exc.message
        delivered = state.stats.lines - lines_before
        lost_by_stream: dict[str | None, list[Drop]] = {}
        count_by_stream: Counter[str | None] = Counter()
        for drop in drops:
            key, ts, _source = drop
            count_by_stream[key] += 1
            if ts < start:
                lost_by_stream.setdefault(key, []).append(drop)
            elif wanted.get((key, ts), 0) > 0:
                wanted[(key, ts)] -= 1
                lost_by_stream.setdefault(key, []).append(drop)
        why = f"reading them again failed ({failed})" if failed else "they cannot be read again"
        for key, lost in lost_by_stream.items():
            stamps = [ts for _key, ts, _source in lost]
            first, last = min(stamps), max(stamps)
            old = sum(1 for ts in stamps if ts < start)
            reason = why if not old else f"{why}, or are older than the dedupe memory ({old})"
            report(
                lost[0][2],
                first,
                f"Loki's tail dropped {count_by_stream[key]} entries of "
                + ("this stream" if key is not None else "unnamed streams")
                + f" and {len(lost)} of them are lost: {reason} ({stamp(first)} to {stamp(last)})",
                **{"loki.tail.dropped": count_by_stream[key], "loki.tail.lost": len(lost)},
            )
        if failed and capped:
            report(
                Source(kind="loki"),
                start,
                f"Loki's tail dropped more entries than it lists ({MAX_LISTED_DROPS} a frame) and reading "
                f"{stamp(start)} to {stamp(end)} again failed ({failed}): any line of the query in that time "
                "may be lost",
                **{"loki.tail.more_dropped": True, "meshtail.gap.until": stamp(end)},
            )
        total = len(drops)
        listed = total - requeued
        lost_total = sum(len(lost) for lost in lost_by_stream.values())
        recovered = total - lost_total
        first, last = oldest, max(ts for _key, ts, _source in drops)
        streams = len(count_by_stream)
        what = f"at least {listed}" if capped else str(listed)
        self._event(
            state,
            "meshtail.stream.resume",
            f"Loki's tail dropped {what} entries of {streams} streams ({stamp(first)} to {stamp(last)}), "
            "the reader being too slow"
            + (f" (Loki lists at most {MAX_LISTED_DROPS} a frame)" if capped else "")
            + (f", and {requeued} more were not held while reading" if requeued else "")
            + f": read again from the store from {stamp(start)}: "
            + (
                f"all {total} listed found"
                if not lost_total and not failed
                else f"{recovered} listed found, {lost_total} lost (a gap event names each stream)"
            )
            + f"; {delivered} lines delivered",
            "warning" if lost_total or failed else "info",
            loki__tail__dropped=listed,
            loki__tail__recovered=recovered,
            loki__tail__lost=lost_total,
            loki__tail__more_dropped=capped or None,
            loki__tail__requeued=requeued or None,
            meshtail__resume__since_time=stamp(start),
        )

    def _tail_message(self, state: _Tenant, data: str | bytes, arrived: int | None = None) -> _Frame | None:
        """One tail message: its entries and its dropped entries (None if it is not a message).

        A frame that lists drops also says how far a re-read must go (``newest``): with the whole list,
        its newest listed entry (or the frame's own newest, whichever is later); with a capped list the
        unlisted drops are unknown, but Loki sent only what was older than its clock less ``delay_for``,
        so the frame's arrival + ``delay_for`` + 1 s (clock skew) bounds them.  Not the frame's own
        entries alone: a late write (an older entry reaching the tailer after newer ones) can make every
        entry of the reporting frame older than what it reports dropped."""
        try:
            message = orjson.loads(data)
        except orjson.JSONDecodeError:
            state.stats.errors += 1
            state.stats.last_error = "the tail sent something other than JSON"
            return None
        if not isinstance(message, dict):
            return None
        batch = state.pager.entries.flatten_json(message.get("streams"))
        listed = parse_dropped(message.get("dropped_entries"))
        if not listed:
            return _Frame(batch, [])
        capped = len(listed) >= MAX_LISTED_DROPS
        newest: int | None
        if capped:
            newest = None if arrived is None else arrived + (self.options.delay_for + 1) * 1_000_000_000
        else:
            newest = max([ts for _labels, ts in listed] + [entry[0] for entry in batch])
        return _Frame(batch, self._drops(state, listed), capped, newest=newest)

    def _release_one(self, state: _Tenant, held: deque[_Frame]) -> asyncio.Task[None] | None:
        """One step through the held frames, oldest first: deliver one, or — when it says Loki dropped
        something — start one recovery for every drop held (coalesced: one read covers them all; the frames
        wait for it, for order per stream).  One frame a turn: tens of thousands of held entries delivered at
        once would leave the socket unread for seconds, and Loki drops for that."""
        frame = held[0]
        if not frame.drops:
            held.popleft()
            if frame.batch:
                self._deliver(state, frame.batch, state.seen)
            if not held:
                state.seen.pin = -1  # nothing held: the memory is the lookback again
            return None
        drops: list[Drop] = []
        capped, requeued = False, 0
        until: int | None = -1
        for each in held:
            if each.drops:
                # a frame that reported drops without entries of its own bounds nothing: read on to now
                until = None if until is None or each.newest is None else max(until, each.newest)
            drops += each.drops
            capped |= each.capped
            requeued += each.requeued
            each.drops, each.capped, each.requeued = [], False, 0
        recovery = self._recover_dropped(state, drops, capped, requeued, until)
        return asyncio.create_task(recovery, name=f"{state.label} drops")

    @staticmethod
    def _bound_held(held: deque[_Frame]) -> None:
        """At most :data:`HELD_MAX` entries held: the oldest beyond become drops, read again from the store."""
        total = sum(len(frame.batch) for frame in held)
        while total > HELD_MAX and len(held) > 1:
            old = held.popleft()
            total -= len(old.batch)
            following = held[0]
            unbounded = (bool(following.drops) and following.newest is None) or (bool(old.drops) and old.newest is None)
            following.drops = old.drops + [(key, ts, source) for ts, key, _line, source in old.batch] + following.drops
            following.capped |= old.capped
            following.requeued += old.requeued + len(old.batch)
            # the entries let go and what the old frame reported are all older than what it and this one hold
            bounds = [
                following.newest,
                old.newest,
                *(max(e[0] for e in frame.batch) for frame in (old, following) if frame.batch),
            ]
            known = [bound for bound in bounds if bound is not None]
            following.newest = None if unbounded or not known else max(known)  # None: read on to now

    async def _read_tail(self, state: _Tenant, ws: aiohttp.ClientWebSocketResponse) -> tuple[int | None, str]:
        """Deliver tail messages until the socket closes; the close code and reason.

        The socket is read by a task of its own into an inbox (:class:`_Inbox`, at most
        :data:`INBOX_BYTES`), so a moment spent parsing never leaves Loki's ten-frame queue full:
        Loki drops what it cannot queue, and every drop costs a read of the store.  Dropped entries
        are read again by one recovery task at a time while the socket is still read: the frames
        that arrive meanwhile are held (at most :data:`HELD_MAX` entries) and delivered after it,
        their own drops coalesced into the next recovery.
        """
        held: deque[_Frame] = deque()
        recovery: asyncio.Task[None] | None = None
        inbox = _Inbox(ws)
        receiver = asyncio.create_task(inbox.fill(), name=f"{state.label} tail socket")
        waiting: asyncio.Task[bool] | None = None
        error: BaseException | None = None

        def backlog() -> str | None:
            """What a stop now would leave unread (asked live: a flag set once a turn goes stale)."""
            if (recovery is not None and not recovery.done()) or held:
                return "reading dropped tail entries again"
            if inbox.messages:
                count = len(inbox.messages)
                return f"holding {count} tail message{'' if count == 1 else 's'} read but not yet parsed"
            return None

        state.backlog = backlog
        try:
            while True:
                if recovery is not None and recovery.done():
                    recovery.result()
                    recovery = None
                if recovery is None and held:  # held frames before newer ones, one a turn
                    recovery = self._release_one(state, held)
                    await asyncio.sleep(0)
                    continue
                if not inbox.messages:
                    if receiver.done():  # ended without a close or error message: a break all the same
                        receiver.result()
                        result: tuple[int | None, str] = (ws.close_code, "")
                        break
                    if waiting is None:
                        waiting = asyncio.create_task(inbox.wait())
                    await asyncio.wait(
                        (waiting, receiver, recovery) if recovery is not None else (waiting, receiver),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if waiting.done():
                        waiting = None
                    continue
                message, arrived = inbox.take()
                kind = message.type
                if kind in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    frame = self._tail_message(state, message.data, arrived)
                    if frame is None:
                        continue
                    if recovery is None and not held and not frame.drops:
                        if frame.batch:
                            self._deliver(state, frame.batch, state.seen)
                        await asyncio.sleep(0)  # the socket task reads on while the next frame is parsed
                        continue
                    held.append(frame)
                    if frame.batch and (state.seen.pin < 0 or frame.batch[0][0] < state.seen.pin):
                        state.seen.pin = frame.batch[0][0]  # remembered until it is delivered, whatever comes
                    self._bound_held(held)
                    continue
                if kind == aiohttp.WSMsgType.CLOSE:
                    result = (message.data, str(message.extra or ""))
                elif kind in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                    result = (ws.close_code, "")
                elif kind == aiohttp.WSMsgType.ERROR:
                    data = message.data
                    error = data if isinstance(data, Exception) else aiohttp.ClientError(f"websocket error: {data}")
                    result = (ws.close_code, "")
                else:
                    continue
                break
            while recovery is not None or held:  # the socket is done: finish what it dropped, then what was held
                if recovery is not None:
                    await recovery
                    recovery = None
                else:
                    recovery = self._release_one(state, held)
                    await asyncio.sleep(0)
            if error is not None:
                raise error
            return result
        finally:
            left = backlog()  # what this reader leaves: the next connection reads it again from the store
            state.backlog = (lambda: left) if left is not None else None
            if held:
                state.seen.pin = -1  # held entries were never delivered: nothing of theirs to remember
            for task in (recovery, waiting, receiver):
                if task is not None and not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

    async def _follow(self, state: _Tenant, history_end: int) -> None:
        assert self.query is not None
        options = self.options
        attempt = 0
        broke_at: float | None = None
        first = True
        while True:
            why = ""
            retry_after: float | None = None
            try:
                if broke_at is not None:
                    # catch up before connecting, so the socket does not queue the whole outage
                    state.stats.state = "replaying"
                    await self._backfill(state, self._resume_point(state, history_end), time.time_ns())
                repeats_before = state.stats.duplicates_dropped
                lines_before = state.stats.lines
                resume_from = self._resume_point(state, history_end - options.lookback_ns)
                async with self.client.tail(
                    self.query.render(), time.time_ns(), options.delay_for, options.tail_limit, state.name
                ) as ws:
                    # written while the tail connected: in the store now; later lines come on the tail
                    # (a second past now and the tail's delay: a writer whose clock runs ahead is read too)
                    await self._backfill(state, resume_from, time.time_ns() + (options.delay_for + 1) * 1_000_000_000)
                    if first:
                        self._event(
                            state,
                            "meshtail.stream.start",
                            f"following the Loki tail (delay_for {options.delay_for}s)",
                            loki__delay_for=options.delay_for,
                        )
                        first = False
                    elif broke_at is not None:
                        self._event(
                            state,
                            "meshtail.stream.resume",
                            f"resumed from {stamp(resume_from)} after {time.monotonic() - broke_at:.1f}s; "
                            f"{state.stats.lines - lines_before} lines read again from the store, "
                            f"{state.stats.duplicates_dropped - repeats_before} repeated lines dropped",
                            meshtail__gap_seconds=round(time.monotonic() - broke_at, 3),
                            meshtail__resume__since_time=stamp(resume_from),
                            meshtail__resume__repeats_dropped=state.stats.duplicates_dropped - repeats_before,
                        )
                    broke_at = None
                    state.stats.state = "following"
                    attempt = 0
                    code, reason = await self._read_tail(state, ws)
                if code == MAX_DURATION_CLOSE:
                    why = f"Loki closed the tail (1011 {reason or 'internal error'}): its tail_max_duration"
                    retry_after = 0.0
                else:
                    why = f"Loki closed the tail ({code}{' ' + reason if reason else ''})"
            except LokiError as exc:
                state.stats.errors += 1
                state.stats.last_error = exc.message
                if not exc.transient and exc.status in (400, 404):
                    state.stats.state = "failed"
                    self.errors.append(exc.message)
                    self._event(state, "meshtail.stream.error", exc.message, "error", error__message=exc.message)
                    return
                if exc.status in (401, 403):
                    state.stats.state = "failed"
                    self._event(
                        state,
                        "meshtail.stream.error",
                        f"{exc.message}; retrying in 30s",
                        "error",
                        error__message=exc.message,
                    )
                    retry_after = 30.0
                why = exc.message
            except (aiohttp.ClientError, ConnectionError, TimeoutError) as exc:
                state.stats.errors += 1
                why = f"the tail broke ({type(exc).__name__}: {exc})"
                state.stats.last_error = why
            broke_at = broke_at if broke_at is not None else time.monotonic()
            state.stats.reconnects += 1
            state.stats.state = "reconnecting"
            last = f"from {stamp(state.last)}" if state.last is not None else "from the start"
            self._event(
                state, "meshtail.stream.reconnect", f"{why}; reconnecting {last}", "warning", error__message=why
            )
            await asyncio.sleep(retry_after if retry_after is not None else backoff(attempt, options.reconnect_cap))
            attempt += 1

    async def _tenant(self, state: _Tenant, start_ns: int, end_ns: int | None) -> None:
        now = time.time_ns()
        history_end = end_ns if end_ns is not None else now
        try:
            await self._read_history(state, start_ns, history_end)
        except LokiError as exc:
            state.stats.state = "failed"
            state.stats.last_error = exc.message
            self.errors.append(exc.message)
            self._event(state, "meshtail.stream.error", exc.message, "error", error__message=exc.message)
            return
        if self.options.bounded:  # (end_ns is the options' end)
            state.stats.state = "ended"
            self._event(state, "meshtail.stream.end", f"history read: {state.stats.lines} lines")
            return
        await self._follow(state, history_end)

    async def run(self) -> None:
        """History, then the tail until cancelled (``follow``); or history only, then return."""
        await self.prepare()
        start, end = self.options.window(time.time_ns())
        jobs = [
            asyncio.create_task(self._tenant(state, start, end), name=state.label) for state in self._states.values()
        ]
        self._tasks.update(jobs)
        try:
            # not gather: cancelling run() must leave the readers running until stop() has said where they were
            await asyncio.wait(jobs)
            for job in jobs:
                if not job.cancelled() and job.exception() is not None:
                    raise job.exception()  # type: ignore[misc]
        finally:
            if not self.options.bounded:
                await self.stop(jobs)
            self._tasks.difference_update(jobs)

    # ---- stopping ------------------------------------------------------------------------
    def behind(self, state: _Tenant) -> str | None:
        if state.stats.state in ("ended", "failed"):
            return None
        if not state.history_done:
            return "reading history"
        if state.stats.state != "following":
            return state.stats.state
        return state.backlog() if state.backlog is not None else None

    def _report_stop(self, why: str) -> None:
        if self._stopped:
            return
        self._stopped = True
        behind = 0
        for state in self._states.values():
            reason = self.behind(state)
            if reason is None:
                continue
            behind += 1
            # per stream, as far as it was read (the sent-log judge excuses lines after that, stream by stream)
            streams = sorted(state.last_by_stream.items(), key=lambda item: item[1])[-self.ended_kept :]
            for key, last in streams:
                source = state.source_by_stream[key]
                attrs = self._attrs(state) | {
                    "meshtail.stream.last_delivered": stamp(last),
                    "meshtail.incomplete.after": stamp(last - 1),  # (entries sharing its nanosecond, not all read)
                }
                self.on_event(
                    health_event(
                        "meshtail.stream.incomplete",
                        f"{why} while the Loki reader was {reason}: lines at or after {stamp(last)} were not read, "
                        "other than those delivered",
                        "warning",
                        source,
                        attrs,
                    )
                )
            last = stamp(state.last) if state.last is not None else None
            self._event(
                state,
                "meshtail.stream.incomplete",
                f"{why} while the Loki reader was {reason}: "
                + (
                    f"lines at or after {last} were not read, other than those delivered"
                    if last
                    else "none of its lines were read"
                ),
                "warning",
                meshtail__stream__last_delivered=last,
                meshtail__incomplete__after=stamp(state.last - 1) if state.last is not None else None,
            )
        live = len(self._states)
        self.on_event(
            health_event(
                "meshtail.source.stop",
                f"{why}: {live} Loki readers, {behind} of them behind (reported each)"
                if behind
                else f"{why}: {live} Loki readers, all read up to the tail's delay_for",
                "warning" if behind else "info",
                Source(kind="loki"),
                {"meshtail.source.streams": live, "meshtail.source.behind": behind},
            )
        )

    async def stop(self, jobs: list[asyncio.Task[None]] | None = None, why: str = "meshtail stopped") -> None:
        """Cancel every reader, first saying where each one that is behind got to."""
        if any(not task.done() for task in [*(jobs or []), *self._tasks]):
            self._report_stop(why)
        pending = {task for task in [*(jobs or []), *self._tasks] if not task.done()}
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=2.0)


@contextlib.asynccontextmanager
async def prepared(
    config: LokiConfig,
    selection: LokiSelection,
    on_line: Callable[[RawLine], None],
    on_event: Callable[[AuditEvent], None],
    options: LokiOptions,
    filter_text: str = "",
) -> AsyncIterator[tuple[LokiSource, str | None]]:
    """A source with its labels discovered and its query built, on a client open for the block; or, in
    place of None, the one line that stopped it (the server, the selection or the filter)."""
    from ...query import FilterError
    from .logql import LokiQueryError

    async with LokiClient(config) as client:
        source = LokiSource(client, selection, on_line, on_event, options, filter_text)
        try:
            await source.prepare()
        except (LokiError, LokiQueryError, FilterError) as exc:
            yield source, str(exc)
            return
        yield source, None


async def _merge(iterators: list[AsyncIterator[list[Entry]]]) -> AsyncIterator[Entry]:
    """Entries of several time-ordered page iterators, in time order (one page of each held)."""
    heap: list[tuple[int, int, int, list[Entry]]] = []

    async def refill(index: int) -> None:
        while (batch := await anext(iterators[index], None)) is not None:
            if batch:
                heapq.heappush(heap, (batch[0][0], index, 0, batch))
                return

    try:
        for index in range(len(iterators)):
            await refill(index)
        while heap:
            _ts, index, position, batch = heapq.heappop(heap)
            yield batch[position]
            if position + 1 < len(batch):
                heapq.heappush(heap, (batch[position + 1][0], index, position + 1, batch))
            else:
                await refill(index)
    finally:
        for iterator in iterators:  # each ends its page read ahead
            await iterator.aclose()  # type: ignore[attr-defined]
