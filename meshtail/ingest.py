"""Run a source and the parser off the UI: a thread with its own event loop, feeding the store.

The TUI reads the store on a timer and never parses; this thread never touches Textual.
Kinds of source: files/stdin, a live cluster, and the demo (stand-in server + live
source, both in this thread's loop).  ``status()`` summarises health for the status bar.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .events import AuditEvent
from .lag import Lag
from .parse.envoy_access import CompiledFormat
from .pipeline import Pipeline
from .sources.files import SourceError, read_batches
from .sources.health import health_event
from .sources.kube.follow import FollowOptions
from .sources.kube.live import LiveSource, Selection
from .storage.packing import Packer
from .storage.store import EventStore

if TYPE_CHECKING:
    from .commands.loki_args import LokiRun
    from .demo.session import DemoOptions


@dataclass
class SourceSpec:
    """What to read: ``kind`` is files | kube | loki | demo."""

    kind: str
    paths: list[str] = field(default_factory=list)
    kubeconfig: str | None = None
    context: str | None = None
    selection: Selection = field(default_factory=Selection)
    options: FollowOptions = field(default_factory=FollowOptions)
    formats: list[CompiledFormat] | None = None
    demo_seed: int = 1
    demo_rate: float = 40.0
    demo_pods: int = 0
    demo_loki: bool = False  # the demo read through its Loki stand-in instead of its API server
    demo_options: DemoOptions | None = None  # the rest of ``meshtail demo``'s flags (faults, sent log, …)
    stdin_fd: int | None = None  # a dup of the piped stdin (the terminal takes fd 0 for keys)
    loki: LokiRun | None = None  # kind "loki": Grafana Loki's history, then its live tail


@dataclass
class Status:
    context: str = ""
    streams: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    lines: int = 0
    events: int = 0
    unparsed: int = 0
    evicted: int = 0
    reconnects: int = 0
    gaps: int = 0
    done: bool = False
    error: str = ""
    lag: Lag = field(default_factory=Lag)


class Ingest:
    def __init__(self, spec: SourceSpec, store: EventStore) -> None:
        self.spec = spec
        self.store = store
        if spec.formats:
            store.packer = Packer(spec.formats)  # packed events are read again with the same formats
        self._batch: list[AuditEvent] = []
        self.pipeline = Pipeline(self._batch.append, None, spec.formats)
        self.lag = Lag()
        self.source: LiveSource | None = None
        self.context = ""
        self.error = ""
        self.notes: list[str] = []  # what to say when the screen has closed (the demo's faults injected)
        self.done = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    # ---- thread --------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="meshtail-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        if self._loop is not None and self._stop is not None and not self.done:
            with contextlib.suppress(RuntimeError):  # the loop already finished (files read to the end)
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        flusher = asyncio.create_task(self._flush_forever())
        work = asyncio.create_task(self._source())
        stopper = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait([work, stopper], return_when=asyncio.FIRST_COMPLETED)
            if work.done() and not work.cancelled() and work.exception() is not None:
                exc = work.exception()
                self.error = f"source failed: {exc!r}"
                self.pipeline.event(health_event("meshtail.source.error", self.error, "error"))
        finally:
            for task in (work, stopper):
                task.cancel()
            if self.source is not None:
                await self.source.stop()
            await asyncio.gather(work, stopper, return_exceptions=True)
            self._flush()
            self.done = True
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)

    async def _flush_forever(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(0.05)
            self._flush()
            ticks += 1
            # once a second: is ingestion keeping up? (a health event when it is not) — not while a
            # source replays history (Loki): its lines are old by design, not late
            if ticks % 20 == 0 and self.pipeline.lag.live(getattr(self.source, "reading_history", False)):
                self.lag = self.pipeline.lag.check()

    def _flush(self) -> None:
        if self._batch:
            batch = self._batch[:]
            self._batch.clear()
            self.store.extend(batch)

    # ---- sources -------------------------------------------------------------------------
    async def _source(self) -> None:
        kind = self.spec.kind
        if kind == "files":
            await self._files()
        elif kind == "kube":
            await self._kube(self.spec.kubeconfig, self.spec.context)
        elif kind == "loki":
            assert self.spec.loki is not None
            await self._loki(self.spec.loki)
        elif kind == "demo":
            await self._demo()

    async def _files(self) -> None:
        for path in self.spec.paths:
            name = path
            count = 0
            try:
                stdin = None
                if path == "-":
                    name = "<stdin>"
                    if self.spec.stdin_fd is not None:
                        stdin = os.fdopen(self.spec.stdin_fd, "rb")
                batches = read_batches(path, stdin)
                while True:
                    # the blocking read runs in a worker thread: a live pipe (`kubectl logs -f | meshtail -`)
                    # that sends a line now and then must not hold up this loop, or nothing reaches the store
                    batch = await asyncio.to_thread(next, batches, None)
                    if batch is None:
                        break
                    if batch.note is not None:
                        self.pipeline.event(health_event("meshtail.source.warning", batch.note, "warning"))
                    for raw in batch.raw_lines(path):
                        self.pipeline.line(raw)
                    count += len(batch.texts)
                    self._flush()  # a batch is what arrived: show it now
            except SourceError as exc:  # (health events make their text visible-safe)
                self.pipeline.event(health_event("meshtail.source.error", f"cannot read {exc}", "error"))
                continue
            self.pipeline.event(health_event("meshtail.source.end", f"read {count} lines from {name}"))

    async def _kube(self, kubeconfig: str | None, context: str | None) -> None:
        from .sources.kube.client import KubeClient
        from .sources.kube.config import ConfigError, connect

        try:
            cluster = await connect(kubeconfig, context)
        except ConfigError as exc:
            self.error = str(exc)
            self.pipeline.event(health_event("meshtail.source.error", str(exc), "error"))
            return
        self.context = cluster.context
        for warning in cluster.warnings:
            self.pipeline.event(health_event("meshtail.source.warning", warning, "warning"))
        async with KubeClient(cluster) as client:
            self.source = LiveSource(
                client, self.spec.selection, self.pipeline.line, self.pipeline.event, self.spec.options
            )
            await self.source.run()

    async def _loki(self, run: LokiRun) -> None:
        from .sources.loki import prepared

        self.context = f"loki {run.config.where}"
        # no filter pushed down: the TUI's filter changes as the user types, the selection does not
        async with prepared(run.config, run.selection, self.pipeline.line, self.pipeline.event, run.options) as found:
            source, error = found
            if error is not None:
                self.error = error
                self.pipeline.event(health_event("meshtail.source.error", error, "error"))
                return
            self.source = source  # type: ignore[assignment]
            self.pipeline.lag.allowance = source.lag_allowance
            await source.run()

    async def _demo(self) -> None:
        from .commands.loki_args import demo_loki_run
        from .demo.run import kubeconfig_file
        from .demo.session import DemoError, DemoOptions, demo_session

        spec = self.spec
        options = spec.demo_options or DemoOptions(spec.demo_seed, spec.demo_rate, spec.demo_pods, spec.demo_loki)
        try:
            # (what the faults did is said when the screen has closed: the notes are printed then)
            async with demo_session(options, self.notes.append) as demo:
                if options.loki:  # the same mesh, read through the Loki its logs are shipped to
                    await self._loki(demo_loki_run(demo.loki_url))
                    return
                with kubeconfig_file(demo) as path:
                    await self._kube(path, None)
        except DemoError as exc:
            self.error = str(exc)
            self.pipeline.event(health_event("meshtail.source.error", self.error, "error"))

    # ---- status --------------------------------------------------------------------------
    def status(self) -> Status:
        status = Status(
            context=self.context,
            lines=self.pipeline.lines,
            events=self.pipeline.events,
            evicted=self.store.evicted,
            done=self.done,
            error=self.error,
            lag=self.lag,
        )
        status.unparsed = self.pipeline.formats_seen.get("unknown", 0)
        status.gaps = self.pipeline.health.get("meshtail.stream.gap", 0)
        if self.source is not None:
            for name, stats in list(self.source.streams.items()):
                status.streams[stats.state] += 1
                status.reconnects += stats.reconnects
                if stats.state == "failed":
                    status.failed.append(f"{name}: {stats.last_error}")
            totals = getattr(self.source, "totals", None)
            if totals is not None:
                # the whole run's counts: the per-stream table forgets a restarted container's old stream and
                # keeps the last 500 ended ones, and its sums went backwards (found by an outside audit: "686
                # reconnects", a second later "654")
                started, reconnects, _dropped = totals()
                status.reconnects = max(status.reconnects, reconnects)
                others = sum(count for state, count in status.streams.items() if state != "ended")
                status.streams["ended"] = max(status.streams["ended"], started - others)
                if not status.streams["ended"]:
                    del status.streams["ended"]
        return status
