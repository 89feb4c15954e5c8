"""One run of the stand-in cluster with everything ``meshtail demo`` can ask of it: faults on a schedule, the
sent logs kept on disk, traffic that stops, a fixed port.

Shared by the headless demo (``-o``, ``--serve``) and the TUI's, so a flag means the same in both: the TUI's demo
once took only the seed, rate and pods and ignored ``--faults`` and ``--sent-log`` without a word (found by an
outside audit driving the TUI under faults).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TextIO

from .faults import FaultSpec, parse_faults, run_faults
from .run import Demo


@dataclass
class DemoOptions:
    """What ``meshtail demo`` was asked for (its flags, as parsed)."""

    seed: int = 1
    rate: float = 40.0
    extra_pods: int = 0
    loki: bool = False
    faults: str = ""
    sent_log: str | None = None
    traffic_for: float | None = None
    load_rate: float = 0.0
    port: int = 0
    loki_port: int = 0
    loki_sent_log: str | None = None

    @classmethod
    def from_args(cls, args: Any) -> DemoOptions:
        """``meshtail demo``'s parsed flags (the TUI's and the line output's alike)."""
        return cls(
            seed=args.seed,
            rate=args.rate,
            extra_pods=args.pods,
            loki=args.loki,
            faults=args.faults,
            sent_log=args.sent_log,
            traffic_for=args.traffic_for,
            load_rate=args.load_rate,
            port=args.port,
            loki_port=args.loki_port,
            loki_sent_log=args.loki_sent_log,
        )


class DemoError(Exception):
    """The demo cannot start as asked: a bad fault spec (``usage``), a file or port it cannot have."""

    def __init__(self, message: str, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def fault_spec(options: DemoOptions) -> FaultSpec:
    try:
        return parse_faults(options.faults)
    except ValueError as exc:
        raise DemoError(f"bad --faults: {exc}", usage=True) from exc


def _open_sent_log(flag: str, path: str) -> TextIO:
    """A sent log opened for appending (lines as served, undecodable bytes kept), or the flag's refusal."""
    try:
        return open(path, "a", encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise DemoError(f"cannot open {flag} {path}: {exc.strerror or exc}") from exc


def check(options: DemoOptions) -> None:
    """Everything that can be refused before a screen opens: the fault spec, the sent logs' files."""
    fault_spec(options)
    for flag, path in (("--sent-log", options.sent_log), ("--loki-sent-log", options.loki_sent_log)):
        if path:
            _open_sent_log(flag, path).close()


async def _flush_sent_log(demo: Demo, loki_sent: TextIO | None = None) -> None:
    """Keep the sent logs current on disk (ten times a second), so they can be compared while the server runs."""
    while True:
        await asyncio.sleep(0.1)
        for handle in (demo.state.sent_log, loki_sent):
            if handle is not None:
                handle.flush()


@contextlib.asynccontextmanager
async def demo_session(options: DemoOptions, report: Callable[[str], None]) -> AsyncIterator[Demo]:
    """The stand-in started as asked, its faults running; on the way out what was injected is ``report``-ed."""
    spec = fault_spec(options)
    demo = Demo(
        seed=options.seed,
        rate=options.rate,
        extra_pods=options.extra_pods,
        exec_auth=spec.token_rotation,
        load_rate=options.load_rate,
        loki=options.loki,
    )
    loki_sent: TextIO | None = None
    try:
        if options.sent_log:
            demo.state.sent_log = _open_sent_log("--sent-log", options.sent_log)
        if options.loki_sent_log and demo.loki is not None:
            from .loki_feed import SentLogFile

            loki_sent = _open_sent_log("--loki-sent-log", options.loki_sent_log)
            demo.loki.sent_log = SentLogFile(loki_sent)  # type: ignore[assignment]
        try:
            await demo.start(port=options.port, loki_port=options.loki_port)
        except OSError as exc:
            where = f"port {options.port}, Loki port {options.loki_port}"
            raise DemoError(f"cannot listen on 127.0.0.1 ({where}): {exc.strerror or exc}") from exc
        stop_faults = asyncio.Event()
        fault_task = asyncio.create_task(run_faults(demo, spec, stop_faults, options.seed))
        flusher = asyncio.create_task(_flush_sent_log(demo, loki_sent)) if demo.state.sent_log or loki_sent else None
        if options.traffic_for is not None:
            asyncio.get_running_loop().call_later(options.traffic_for, demo.stop_traffic)
        try:
            yield demo
        finally:
            stop_faults.set()
            if flusher is not None:
                flusher.cancel()
            injected = await fault_task
            if injected.counts:
                report("faults injected: " + ", ".join(f"{k} {v}" for k, v in sorted(injected.counts.items())))
            if demo.state.faulted:
                report("what clients met: " + ", ".join(f"{k} {v}" for k, v in sorted(demo.state.faulted.items())))
            await demo.stop()
    finally:
        if demo.state.sent_log is not None:
            demo.state.sent_log.close()
        if loki_sent is not None:
            loki_sent.close()
