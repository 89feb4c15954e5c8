"""Faults the stand-in injects on a schedule: the failures a long-running log follower meets.

Spec (``meshtail demo --serve --faults SPEC``), comma-separated, any subset::

    cut=2s              every 2 s, cut every log stream mid-line (truncated chunked body)
    reset=5s            every 5 s, reset every log stream's connection
    hang=5s             every 5 s, break every log stream; its next request is answered and then sends nothing
    split=3s            every 3 s, each log stream breaks between two lines that share a timestamp
    stall=10s           every 10 s, log streams send nothing for 4 s (kubelet rotation stall)
    restart-api=30s     every 30 s, drop all streams and watches at once (API server restart)
    expire=20s          every 20 s, compact history and drop watches: resuming watches get 410 Expired
    churn=1s            every second, create a pod in 'load' and delete the oldest one there
    restart-container=15s   every 15 s, restart a random proxy container (new containerID)
    429=0.05            answer 5 % of requests 429 Too Many Requests (Retry-After: 1)
    503=0.02            answer 2 % of requests 503 Service Unavailable
    token=30s           every 30 s, the bearer token expires (401) and the exec plugin hands out a new one
    deny=ns1+ns2        403 for everything in these namespaces
    jitter=0.7          random schedule: each interval is drawn from its period × [0.3, 1.7] (seeded)
    buffer=16384        each log stream's socket and write buffers hold this many bytes, so a reader
                        that falls behind makes the server wait (a busy kubelet) within seconds
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import Demo

_PERIODIC = ("cut", "split", "reset", "hang", "stall", "restart-api", "expire", "churn", "restart-container", "token")
STALL_SECONDS = 4.0


@dataclass
class FaultSpec:
    every: dict[str, float] = field(default_factory=dict)
    throttle: float = 0.0
    errors: float = 0.0
    deny: list[str] = field(default_factory=list)
    buffer: int | None = None
    jitter: float = 0.0

    @property
    def token_rotation(self) -> bool:
        return "token" in self.every


def _duration(name: str, text: str) -> float:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)?", text.strip())
    if not found:
        raise ValueError(f"fault {name}: {text!r} is not a duration (e.g. 500ms, 2s, 1m)")
    value = float(found.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[found.group(2)]
    if value <= 0:
        raise ValueError(f"fault {name}: the interval must be positive")
    return value


def parse_faults(text: str) -> FaultSpec:
    """Parse a spec like ``cut=2s,reset=5s,429=0.05``; ValueError names the bad part."""
    spec = FaultSpec()
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep:
            raise ValueError(f"fault {part!r}: expected NAME=VALUE")
        if name in _PERIODIC:
            spec.every[name] = _duration(name, value)
        elif name in ("429", "503"):
            try:
                rate = float(value)
            except ValueError:
                raise ValueError(f"fault {name}: {value!r} is not a probability (0..1)") from None
            if not 0 <= rate <= 1:
                raise ValueError(f"fault {name}: {rate} is not a probability (0..1)")
            if name == "429":
                spec.throttle = rate
            else:
                spec.errors = rate
        elif name == "jitter":
            try:
                spec.jitter = float(value)
            except ValueError:
                raise ValueError(f"fault jitter: {value!r} is not a fraction (0..1)") from None
            if not 0 <= spec.jitter < 1:
                raise ValueError(f"fault jitter: {spec.jitter} is not a fraction in [0, 1)")
        elif name == "buffer":
            if not value.strip().isdigit() or int(value) < 1024:
                raise ValueError(f"fault buffer: {value!r} is not a byte count of at least 1024")
            spec.buffer = int(value)
        elif name == "deny":
            spec.deny = [ns for ns in value.split("+") if ns]
        else:
            known = ", ".join([*_PERIODIC, "429", "503", "deny", "jitter", "buffer"])
            raise ValueError(f"unknown fault {name!r} (known: {known})")
    return spec


@dataclass
class FaultLog:
    """What was injected, for the run's report."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1


async def run_faults(demo: Demo, spec: FaultSpec, stop: asyncio.Event, seed: int = 1) -> FaultLog:
    """Inject ``spec``'s faults into ``demo`` until ``stop`` is set."""
    rng = random.Random(seed)
    log = FaultLog()
    demo.state.throttle = spec.throttle
    demo.state.error_rate = spec.errors
    demo.state.deny_namespaces.update(spec.deny)
    demo.state.socket_buffer = spec.buffer

    def interval(name: str) -> float:
        every = spec.every[name]
        return every * rng.uniform(1 - spec.jitter, 1 + spec.jitter) if spec.jitter else every

    due = {name: time.monotonic() + interval(name) for name in spec.every}
    while not stop.is_set():
        if not due:
            await stop.wait()
            break
        name = min(due, key=due.__getitem__)
        wait = due[name] - time.monotonic()
        if wait > 0:
            try:
                await asyncio.wait_for(stop.wait(), wait)
                break
            except TimeoutError:
                pass
        due[name] = time.monotonic() + interval(name)
        inject(demo, name, rng)
        log.add(name)
    return log


def inject(demo: Demo, name: str, rng: random.Random) -> None:
    """One fault, now."""
    server, mesh = demo.server, demo.mesh
    if name == "cut":
        server.drop_streams(mid_line=True)
    elif name == "split":
        server.split_streams()
    elif name == "reset":
        server.drop_streams()
    elif name == "hang":
        server.hang_streams()
    elif name == "stall":
        demo.state.stalled_until = time.monotonic() + STALL_SECONDS
    elif name == "restart-api":
        server.restart()
    elif name == "expire":
        demo.store.compact()
        demo.store.close_watches()
    elif name == "churn":
        mesh.churn_load()
    elif name == "restart-container":
        proxies = sorted(
            (p for p in mesh.pods.values() if p.running and "istio-proxy" in p.ids and p.workload.kind != "ztunnel"),
            key=lambda p: p.name,
        )
        if proxies:
            mesh.restart_container(rng.choice(proxies), "istio-proxy")
    elif name == "token":
        demo.rotate_token()
