"""Run the real live source against the stand-in while it injects faults; compare what was served with what arrived."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from meshtail.demo.faults import FaultLog, parse_faults, run_faults
from meshtail.demo.podlogs import kubelet_timestamp
from meshtail.demo.run import Demo, write_kubeconfig
from meshtail.sources.kube.client import KubeClient
from meshtail.sources.kube.config import connect
from meshtail.sources.kube.follow import FollowOptions
from meshtail.sources.kube.live import LiveSource, Selection

from .conftest import Collector


@dataclass
class FaultRun:
    demo: Demo
    seen: Collector
    source: LiveSource
    injected: FaultLog
    served: set[tuple[str, str, str]] = field(default_factory=set)
    delivered: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    written: set[tuple[str, str, str]] = field(default_factory=set)
    gaps: set[str] = field(default_factory=set)

    @property
    def duplicated(self) -> list[tuple[str, str, str]]:
        return [k for k, n in self.delivered.items() if n > 1]

    @property
    def missing_unreported(self) -> list[tuple[str, str, str]]:
        """Served (or written) lines that never arrived, in streams with no gap event."""
        return sorted(k for k in (self.served | self.written) - set(self.delivered) if k[1] not in self.gaps)

    def health(self, action: str) -> int:
        return len([e for e in self.seen.events if e.action == action])


async def run_with_faults(
    tmp: Path, faults: str, seconds: float = 4.0, rate: float = 300.0, seed: int = 5, stall_timeout: float = 1.5
) -> FaultRun:
    spec = parse_faults(faults)
    demo = Demo(seed=seed, rate=rate, config_every=60, churn_every=90, exec_auth=spec.token_rotation)
    demo.logs.keep_removed = True
    demo.state.sent = []
    await demo.start(traffic=False)
    path = tmp / "kubeconfig"
    write_kubeconfig(path, demo.kubeconfig())
    seen = Collector()
    traffic_stop, fault_stop = asyncio.Event(), asyncio.Event()
    async with KubeClient(await connect(str(path))) as client:
        source = LiveSource(
            client,
            Selection(all_namespaces=True),
            seen.line,
            seen.event,
            FollowOptions(stall_timeout=stall_timeout, reconnect_cap=1.0),
        )
        task = asyncio.create_task(source.run())
        for _ in range(200):
            await asyncio.sleep(0.05)
            if len(demo.server._streams) >= 12:
                break
        traffic = asyncio.create_task(demo.mesh.run(rate, traffic_stop))
        faulting = asyncio.create_task(run_faults(demo, spec, fault_stop, seed))
        await asyncio.sleep(seconds)
        fault_stop.set()
        injected = await faulting
        traffic_stop.set()
        await traffic
        demo.state.throttle = demo.state.error_rate = 0.0
        demo.state.stalled_until = 0.0
        run = FaultRun(demo, seen, source, injected)

        def settled() -> bool:
            _collect(run)
            return not run.missing_unreported

        for _ in range(300):  # up to 30 s for every stream to catch up after the last fault
            if settled():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        _collect(run)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await demo.stop()
    return run


def _collect(run: FaultRun) -> None:
    run.served = {(stamp, origin, text) for stamp, origin, text in run.demo.state.sent or []}
    run.delivered = Counter(
        (r.timestamp or "", f"{r.source.namespace}/{r.source.pod}/{r.source.container}", r.text) for r in run.seen.lines
    )
    followed = {
        f"{f.target.namespace}/{f.target.pod}/{f.target.container}"
        for f in [*run.source.followers.values(), *run.source.ended]
    }
    run.written = set()
    for origin in followed:
        ns, pod, container = origin.split("/")
        for log in run.demo.logs.history(ns, pod, container):
            run.written.update((kubelet_timestamp(t), origin, text) for t, text in log.lines)
    run.gaps = {
        f"{e.source.namespace}/{e.source.pod}/{e.source.container}"
        for e in run.seen.events
        if e.action == "meshtail.stream.gap"
    }
