"""``meshtail tail`` and the headless side of ``meshtail demo``: the live pipeline writing to stdout."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from ..gctune import tune_for_streaming
from ..lag import say_lag
from ..parse.envoy_access import CompiledFormat
from ..pipeline import Pipeline
from ..query import Filter
from ..sinks.ordering import Orderer
from ..sinks.output import Writer
from ..sources.kube.client import KubeClient
from ..sources.kube.config import ConfigError, ConnectOptions, connect
from ..sources.kube.errors import KubeError
from ..sources.kube.follow import FollowOptions
from ..sources.kube.live import LiveSource, Selection
from ..writer_process import WriterJob, WriterProcess
from .exitcodes import EXIT_INPUT, EXIT_OK, EXIT_USAGE, say

if TYPE_CHECKING:  # the simulator (aiohttp server, cryptography) loads only for `meshtail demo`
    from ..demo.run import Demo
    from ..demo.session import DemoOptions
    from ..sources.loki.parsed import Counts, ParallelOutput
    from .loki_args import LokiRun


@dataclass
class LiveRun:
    """Everything ``tail`` needs, resolved from the command line."""

    kubeconfig: str | None = None
    context: str | None = None
    selection: Selection = field(default_factory=Selection)
    options: FollowOptions = field(default_factory=FollowOptions)
    query: Filter | None = None
    formats: list[CompiledFormat] | None = None
    output: str = "text"
    duration: float | None = None
    quiet: bool = False
    redact: bool = True
    connection: ConnectOptions = field(default_factory=ConnectOptions)  # --as, --as-group, --request-timeout
    order: float | None = None  # --order: hold events this long and write them in time order across streams
    loki: LokiRun | None = None  # --loki: read Grafana Loki instead of the Kubernetes API


# a closed terminal's SIGHUP stops a run as Ctrl-C does: its summary said, its Loki history worker ended
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


async def _preflight(client: KubeClient, source: LiveSource) -> int:
    """Reach the server and read pods in each namespace once, so problems are named before streaming."""
    try:
        await client.get_json("/api", what=f"connect to {client.cluster.host}")
    except KubeError as exc:
        say(exc.message)
        return EXIT_INPUT
    failures = []
    scopes = source.scopes()
    for scope in scopes:
        path = source.pod_path(scope)
        try:
            await client.get_json(path, {"limit": "1"}, what=f"list pods in {scope or 'all namespaces'}")
        except KubeError as exc:
            failures.append(exc.message)
            say(exc.message)
    return EXIT_INPUT if failures and len(failures) == len(scopes) else EXIT_OK


def raise_file_limit() -> None:
    """One socket per followed container: lift the soft open-files limit to the hard one (1,000+ streams)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else 65536
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ImportError, ValueError, OSError):
        pass


@contextlib.asynccontextmanager
async def _kube_source(
    run: LiveRun, pipeline: Pipeline, cluster: Any, ahead: Callable[[list[str]], None] | None = None
) -> AsyncIterator[tuple[Any, int]]:
    """The Kubernetes API source, reached and checked once before streaming."""
    async with KubeClient(cluster) as client:
        source = LiveSource(client, run.selection, pipeline.line, pipeline.event, run.options, ahead)
        yield source, await _preflight(client, source)


@contextlib.asynccontextmanager
async def _loki_source(
    run: LiveRun, on_line: Callable[[Any], None], on_event: Callable[[Any], None]
) -> AsyncIterator[tuple[Any, int]]:
    """The Loki source: labels discovered and the query built (errors named in one line) before streaming."""
    from ..sources.loki import prepared

    assert run.loki is not None
    text = run.query.text if run.query is not None else ""
    loki = run.loki
    async with prepared(loki.config, loki.selection, on_line, on_event, loki.options, text) as found:
        source, error = found
        if error is not None:
            say(error)
            yield source, EXIT_INPUT
            return
        if not run.quiet and source.query is not None:
            say(f"reading Loki at {loki.config.where}: {source.query.render()}")
        yield source, EXIT_OK


def _writing(run: LiveRun, out: TextIO) -> dict[str, Any]:
    """How this run writes, for a process that writes part of its output (a history worker, a writer process):
    the same writer format, redaction, filter text and ``--format-string`` values, in ``out``'s encoding."""
    return {
        "output": run.output,
        "redact": run.redact,
        "filter_text": run.query.text if run.query is not None else "",
        "format_strings": [compiled.format_string for compiled in run.formats or []],
        "encoding": getattr(out, "encoding", None) or "utf-8",
        "errors": getattr(out, "errors", None) or "surrogateescape",
    }


def _parallel(
    run: LiveRun,
    out: TextIO,
    write_segment: Callable[[str], None],
    add: Callable[[Counts], None],
    states: Callable[[], dict[Any, tuple[str | None, ...]]],
) -> ParallelOutput:
    """How a Loki history worker writes its half: with this run's writer's settings (see sources.loki.parsed)."""
    from ..sources.loki import parsed
    from ..sources.loki.parsed import Output, ParallelOutput

    assert run.loki is not None
    output = Output(
        **_writing(run, out),
        where=run.loki.config.where,
        segment_bytes=parsed.SEGMENT_BYTES,
        max_segments=parsed.MAX_SEGMENTS,
    )
    return ParallelOutput(output, write_segment, add, states)


async def _writer_process(run: LiveRun, out: TextIO) -> WriterProcess | None:
    """A Loki live tail parses and writes in a second process (see meshtail.writer_process), where it can.

    Not for a bounded read (its history worker splits the window instead), nor ``--order`` (which holds
    events here), nor an output without a file descriptor; a child that cannot start leaves the work here."""
    if run.loki is None or run.order or run.loki.options.bounded or not WriterProcess.usable(out):
        return None
    process = WriterProcess()
    job = WriterJob(**_writing(run, out))
    try:
        await process.start(job, out)
    except OSError as exc:
        say(f"warning: cannot start the writer process ({exc.strerror or exc}): parsing in this process")
        return None
    return process


async def run_live(run: LiveRun, stream: TextIO | None = None, stop: asyncio.Event | None = None) -> int:
    """Follow the cluster (or Loki) into ``stream`` until stopped, ``duration`` passes, or all is read."""
    out = stream or sys.stdout
    raise_file_limit()
    cluster = None
    if run.loki is None:
        try:
            cluster = await connect(run.kubeconfig, run.context, run.connection)
        except ConfigError as exc:
            say(str(exc))
            return EXIT_USAGE
        for warning in cluster.warnings:
            say(f"warning: {warning}")
    writer = Writer(out, run.output, redact=run.redact)
    tune_for_streaming()
    broken = asyncio.Event()
    broken_flag: list[bool] = []  # the same, read once an event without a call
    closed_after: list[int] = []  # events handed to the output when its reader closed it

    def until_broken(call: Callable[[Any], None]) -> Callable[[Any], None]:
        """``call``, or nothing once the output is gone (a closed pipe ends the run, once)."""

        def guarded(item: Any) -> None:
            if broken_flag:
                return
            try:
                call(item)
            except BrokenPipeError:
                broken_flag.append(True)
                closed_after.append(pipeline.matched - 1)  # (this one was not taken)
                broken.set()

        return guarded

    write = until_broken(writer.write)
    orderer = Orderer(write, run.order) if run.order else None
    pipeline = Pipeline(orderer.push if orderer else write, run.query, run.formats)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    # (a Loki live tail: this process reads, a second one parses and writes; its counts come back at the end)
    offload = await _writer_process(run, out)
    counted = True  # the summary's counts are known (not so when a writer process died)
    on_line, on_event = (pipeline.line, pipeline.event) if offload is None else (offload.line, offload.event)
    opened = (
        _kube_source(run, pipeline, cluster, writer.expect)
        if run.loki is None
        else _loki_source(run, on_line, on_event)
    )
    try:
        async with opened as (source, status):
            if status != EXIT_OK:
                return status
            if run.loki is not None and orderer is None and run.loki.options.bounded:
                from ..sources.loki.parsed import copy_file

                write_segment = until_broken(lambda path: copy_file(path, out))
                source.parallel = _parallel(  # (the worker's counts are added to this run's for the summary)
                    run, out, write_segment, lambda counts: counts.add_to(pipeline, writer), pipeline.states
                )
            task = asyncio.create_task(source.run(), name="live source")

            pipeline.lag.allowance = getattr(source, "lag_allowance", 0.0)

            async def flusher() -> None:
                ticks = 0
                history = None
                while True:
                    await asyncio.sleep(0.2)
                    if orderer is not None:
                        orderer.release()
                    try:
                        out.flush()
                    except BrokenPipeError:
                        if not broken_flag:
                            closed_after.append(pipeline.matched)
                        broken_flag.append(True)
                        broken.set()
                    ticks += 1
                    reading = getattr(source, "reading_history", False)
                    if offload is not None:  # (the lag is measured where the lines are parsed)
                        if reading != history:
                            offload.history(reading)
                            history = reading
                        continue
                    # once a second: is meshtail keeping up? (said on stderr, and as an event) -- not while
                    # Loki history or a bounded read is read: its lines are old by design, a lag says nothing
                    if pipeline.lag.live(reading):
                        say_lag(pipeline.lag, ticks, say)

            if offload is not None:
                offload.history(getattr(source, "reading_history", False))
                offload.allowance(pipeline.lag.allowance)
            flush = asyncio.create_task(flusher())
            waits = [task, asyncio.create_task(stop.wait()), asyncio.create_task(broken.wait())]
            if offload is not None and offload.ended is not None:
                waits.append(asyncio.ensure_future(asyncio.shield(offload.ended)))
            if run.duration is not None:
                waits.append(asyncio.create_task(asyncio.sleep(run.duration)))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in [*waits, flush]:
                    waiter.cancel()
                if offload is not None:
                    offload.judge()  # (a child that ended first: a closed output, or a failure)
                await source.stop()
                await asyncio.gather(*waits, flush, return_exceptions=True)
                for sig in _STOP_SIGNALS:
                    with contextlib.suppress(NotImplementedError, RuntimeError):
                        loop.remove_signal_handler(sig)
            if task.done() and not task.cancelled() and task.exception() is not None:
                say(f"live source failed: {task.exception()!r}")
                status = EXIT_INPUT
    finally:
        if offload is not None:  # everything sent is written before the summary is said
            totals = await offload.close()
            if totals is not None:
                totals.add_to(pipeline, writer)
            else:  # (a writer process that died took its counts with it: what was handed to it is known)
                pipeline.lines += offload.lines
                counted = False
    if offload is not None and offload.failure is not None:
        say(offload.failure)
        status = EXIT_INPUT
    if orderer is not None:
        orderer.flush()
    with contextlib.suppress(BrokenPipeError):
        out.flush()
    if not run.quiet:
        # (every stream of the run, ended ones and each container instance too: found by an outside audit, the
        # count left out streams that ended before the stop and instances that replaced one another)
        streams, reconnects, dropped = source.totals()
        parts = [
            f"{streams} streams",
            f"{pipeline.lines} lines",
            f"{pipeline.matched} events written" if counted else "events written not known (the writer process died)",
        ]
        if closed_after and counted:
            # (not "10123 events written" after `| head -2`: found by an outside audit)
            parts[-1] = f"at most {min(closed_after)} events written before the output's reader closed it"
        parts += [
            f"{reconnects} reconnects",
            f"{dropped} repeated lines dropped on resume",
        ]
        unknown = pipeline.formats_seen.get("unknown", 0)
        if unknown:
            parts.append(f"{unknown} lines not recognised (kept as format 'unknown')")
        if pipeline.lag.peak >= 1.0:
            parts.append(f"ingest lag at most {pipeline.lag.peak:.1f}s")
        if orderer is not None and orderer.late:
            parts.append(f"{orderer.late} events came later than --order {run.order:g}s and were written out of order")
        if writer.redactions:
            parts.append(f"{writer.redactions} credentials redacted (--no-redact keeps them)")
        say(", ".join(parts))
    if run.loki is not None:  # one Loki query is every stream: any error means the read is incomplete
        return EXIT_INPUT if source.errors else status
    return EXIT_INPUT if source.errors and not source.streams else status


async def run_demo(run: LiveRun, options: DemoOptions, serve: bool, kubeconfig_out: str | None) -> int:
    """Start the stand-in cluster; then either serve it (``--serve``) or follow it like a real one."""
    from ..demo.loki_feed import CLUSTER
    from ..demo.run import kubeconfig_file
    from ..demo.session import DemoError, demo_session

    try:
        async with demo_session(options, say) as demo:
            with kubeconfig_file(demo, kubeconfig_out) as path:
                if serve:
                    return await _serve(demo, run, path, options.seed, options.rate, CLUSTER)
                run.kubeconfig = path
                if demo.loki is not None:  # the same mesh, read through the Loki its logs are shipped to
                    from .loki_args import demo_loki_run

                    run.loki = demo_loki_run(demo.loki_url)
                return await run_live(run)
    except DemoError as exc:
        say(str(exc))
        return EXIT_USAGE if exc.usage else EXIT_INPUT


async def _serve(demo: Demo, run: LiveRun, path: str, seed: int, rate: float, cluster: str) -> int:
    """``demo --serve``: say where the stand-in is and how to try it, then serve until told to stop."""
    say(f"stand-in API server on {demo.url} (seed {seed}, about {rate:g} lines/s)")
    say(f"kubeconfig: {path}")
    say(f"try: kubectl --kubeconfig {path} get pods -A")
    if demo.loki is not None:
        say(f"Loki stand-in on {demo.loki_url} (the same logs, Promtail labels, cluster={cluster})")
        say(f"try: meshtail scan --loki {demo.loki_url} --since 10m -f outcome:deny")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waits = [asyncio.create_task(stop.wait())]
    if run.duration is not None:
        waits.append(asyncio.create_task(asyncio.sleep(run.duration)))
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waits:
        waiter.cancel()
    return EXIT_OK
