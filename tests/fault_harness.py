"""Run the real live source against the stand-in while it injects faults; compare what was served with what arrived.

The oracle is strict: a line written by a followed container must arrive exactly once.  It
may be missing only where meshtail said so, and only for the lines that statement covers:

* a gap (``meshtail.stream.gap``) excuses the lines of *that container instance* written
  after the gap's ``meshtail.gap.after`` — or, with ``meshtail.gap.scope`` ``container`` (the
  pod was deleted), of every instance of that container — and the gap itself must be true:
  the pod was deleted, the container restarted at least twice after that instance, or the
  instance's log is no longer held by the stand-in;

Faults stop a while before the source does, and every stream must have caught up by then: a
stream reported incomplete at the stop (``meshtail.stream.incomplete``) excuses nothing here
(``tests/test_faults.py`` checks that report on its own).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from meshtail.demo.faults import FaultLog, parse_faults, run_faults
from meshtail.demo.podlogs import kubelet_timestamp
from meshtail.demo.resources import POD
from meshtail.demo.run import Demo, write_kubeconfig
from meshtail.demo.store import NotFound
from meshtail.sources.kube.client import KubeClient
from meshtail.sources.kube.config import connect
from meshtail.sources.kube.follow import FollowOptions
from meshtail.sources.kube.live import LiveSource, Selection
from meshtail.sources.kube.resume import timestamp_key

from .conftest import Collector

Line = tuple[str, str, str]  # (kubelet timestamp, ns/pod/container, text)


@dataclass
class FaultRun:
    demo: Demo
    seen: Collector
    source: LiveSource
    injected: FaultLog
    served: set[Line] = field(default_factory=set)
    delivered: Counter[Line] = field(default_factory=Counter)
    written: dict[str, set[Line]] = field(default_factory=dict)  # by container instance id
    excused: set[Line] = field(default_factory=set)
    false_gaps: list[str] = field(default_factory=list)

    @property
    def duplicated(self) -> list[Line]:
        return [k for k, n in self.delivered.items() if n > 1]

    @property
    def all_written(self) -> set[Line]:
        return set().union(*self.written.values()) if self.written else set()

    @property
    def missing_unreported(self) -> list[Line]:
        """Served (or written by a followed container) but never delivered, and not covered by a report."""
        return sorted((self.served | self.all_written) - set(self.delivered) - self.excused)

    @property
    def gaps(self) -> list[str]:
        return [e.summary for e in self.seen.events if e.action == "meshtail.stream.gap"]

    def health(self, action: str) -> int:
        return len([e for e in self.seen.events if e.action == action])


async def run_with_faults(
    tmp: Path,
    faults: str,
    seconds: float = 4.0,
    rate: float = 300.0,
    seed: int = 5,
    stall_timeout: float = 1.5,
    settle: float = 30.0,
    during: Callable[[Demo], Awaitable[None]] | None = None,
) -> FaultRun:
    """``during``, if given, runs beside the fault schedule while the traffic flows: a test's own planted fault."""
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
            FollowOptions(stall_timeout=stall_timeout, reconnect_cap=1.0, resume_timeout=min(1.0, stall_timeout)),
        )
        task = asyncio.create_task(source.run())
        for _ in range(200):
            await asyncio.sleep(0.05)
            if len(demo.server._streams) >= 12:
                break
        traffic = asyncio.create_task(demo.mesh.run(rate, traffic_stop))
        faulting = asyncio.create_task(run_faults(demo, spec, fault_stop, seed))
        planted = asyncio.create_task(during(demo)) if during else None
        await asyncio.sleep(seconds)
        if planted:
            await planted
        fault_stop.set()
        injected = await faulting
        traffic_stop.set()
        await traffic
        demo.state.throttle = demo.state.error_rate = 0.0
        demo.state.stalled_until = 0.0
        demo.state.split_streams.clear()
        run = FaultRun(demo, seen, source, injected)

        def settled() -> bool:
            _collect(run)
            return not run.missing_unreported

        deadline = asyncio.get_running_loop().time() + settle
        while asyncio.get_running_loop().time() < deadline:  # for every stream to catch up after the last fault
            began = asyncio.get_running_loop().time()
            if settled():
                break
            # checking costs more as the run grows (a soak serves hundreds of thousands of lines)
            await asyncio.sleep(max(0.1, 4 * (asyncio.get_running_loop().time() - began)))
        await asyncio.sleep(0.3)
        await source.stop([task], why="the test stopped the source")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        _collect(run)
    await demo.stop()
    return run


def _collect(run: FaultRun) -> None:
    demo = run.demo
    run.served = {(stamp, origin, text) for stamp, origin, text in demo.state.sent or []}
    run.delivered = Counter(
        (r.timestamp or "", f"{r.source.namespace}/{r.source.pod}/{r.source.container}", r.text) for r in run.seen.lines
    )
    # every container meshtail followed: the live source lists only its open streams and the last
    # ``LiveSource.ended_kept`` ended ones (a soak with churn ends thousands), but each stream's
    # events name its container; without them an early stream's lines would drop out of the check,
    # and a true gap for it would excuse nothing of what was served
    followed = {
        f"{f.target.namespace}/{f.target.pod}/{f.target.container}"
        for f in [*run.source.followers.values(), *run.source.ended]
    }
    followed |= {
        f"{e.source.namespace}/{e.source.pod}/{e.source.container}"
        for e in run.seen.events
        if e.action.startswith("meshtail.stream.") and e.source.pod
    }
    run.written = {}
    for origin in followed:
        ns, pod, container = origin.split("/")
        for log in demo.logs.history(ns, pod, container):
            run.written.setdefault(log.container_id, set()).update(
                (kubelet_timestamp(t), origin, text) for t, text in log.lines
            )
    run.excused = set()
    run.false_gaps = []
    for event in run.seen.events:
        origin = f"{event.source.namespace}/{event.source.pod}/{event.source.container}"
        attrs = event.attributes
        if event.action == "meshtail.stream.gap":
            instance = attrs.get("k8s.container.id")
            after = attrs.get("meshtail.gap.after")
            if not _gap_is_true(demo, origin, instance, event.summary):
                run.false_gaps.append(f"{origin} {instance}: {event.summary}")
            if attrs.get("meshtail.gap.scope") == "container":
                # the pod was deleted: every instance's log went with it, those meshtail never saw included
                covered = {line for lines in run.written.values() for line in lines if line[1] == origin}
            else:
                covered = run.written.get(instance, set())
            run.excused |= {line for line in covered if after is None or timestamp_key(line[0]) > after}


def _gap_is_true(demo: Demo, origin: str, instance: str | None, why: str) -> bool:
    """A gap claims lines cannot be fetched again: check that against the stand-in."""
    ns, pod, container = origin.split("/")
    try:
        demo.store.get(POD, ns, pod)
    except NotFound:
        return True  # the pod was deleted: its logs went with it
    history = [log.container_id for log in demo.logs.history(ns, pod, container)]
    if instance not in history:
        return False
    later = len(history) - 1 - history.index(instance)
    return later >= 2  # the kubelet keeps the current and the previous instance's log only
