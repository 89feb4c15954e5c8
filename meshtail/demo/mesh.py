"""A simulated mesh: Bookinfo with sidecars, an ambient ``shop`` namespace, gateway, istiod, ztunnel.

Everything is driven by one seeded ``random.Random`` and by request counts (not wall
time), so ``--seed`` replays the same sequence of requests, denials, config changes and
pod churn.  Denials follow the AuthorizationPolicies currently in the store: when a
config change edits or deletes a policy, the traffic's outcome changes with it, and
istiod logs the push like the real one does.

:class:`Mesh` composes the parts and runs them: :mod:`.topology` (namespaces, workloads,
routing, as data), :mod:`.policies` (the security policies, as data, and their evaluator),
:mod:`.cluster` (pods, owners, container logs), :mod:`.traffic` (requests and their access
lines) and :mod:`.churn` (config edits and pod churn).
"""

from __future__ import annotations

import asyncio
import random
import time

from . import gateways
from .churn import ConfigEdits, PodChurn
from .cluster import Cluster
from .controllers import Controller
from .podlogs import PodLogs
from .policies import POLICIES
from .store import ObjectStore
from .topology import NAMESPACES, ROUTING, WORKLOADS, SimPod, Workload
from .traffic import Traffic


class Mesh:
    """Pods, policies and traffic of the demo cluster, written into an ObjectStore and PodLogs."""

    def __init__(
        self,
        store: ObjectStore,
        logs: PodLogs,
        seed: int = 1,
        config_every: int = 150,
        churn_every: int = 250,
        extra_pods: int = 0,
    ) -> None:
        self.store = store
        self.logs = logs
        self.rng = random.Random(seed)
        self.config_every = config_every
        self.churn_every = churn_every
        self.extra_pods = extra_pods
        self.cluster = Cluster(store, logs, self.rng)
        self.traffic = Traffic(self.cluster, store, self.rng)
        self.config_edits = ConfigEdits(self.cluster, store, self.rng)
        self.pod_churn = PodChurn(self.cluster, store)

    # ---- state, as the tests and the fault injector see it ---------------------------------
    @property
    def pods(self) -> dict[tuple[str, str], SimPod]:
        return self.cluster.pods

    @property
    def controllers(self) -> dict[tuple[str, str], Controller]:
        return self.cluster.controllers

    @property
    def lines(self) -> int:
        """Lines written to container logs so far."""
        return self.cluster.lines

    @property
    def requests(self) -> int:
        return self.traffic.requests

    # ---- setting up ------------------------------------------------------------------------
    def bootstrap(self) -> None:
        """Namespaces, mesh configuration, and every pod already running."""
        namespaces = {**NAMESPACES, **({"load": {}} if self.extra_pods else {})}
        self.cluster.kinds.bootstrap()
        for ns, extra in namespaces.items():
            self.cluster.kinds.namespace(ns, extra)
        gateways.install_classes(self.store)
        for fixture in (*POLICIES, *ROUTING):
            self.store.create(fixture.rtype, fixture.object(), "argocd-controller", "Apply")
        for workload in WORKLOADS:
            self.cluster.add_pod(workload, running=True)
        gateways.report(self.store)  # istiod's status for the waypoint and the route, once their Services exist
        for i in range(self.extra_pods):
            self.cluster.add_pod(Workload("load", f"load{i:04d}", "v1", 8080, "sidecar", "load"), running=True)

    # ---- one step --------------------------------------------------------------------------
    def tick(self) -> int:
        """One request scenario (plus any scheduled config change or churn); returns lines written.

        In about a third of the scenarios the lines each proxy writes share one timestamp, as
        when Envoy flushes its access-log buffer in one write and the runtime stamps it once.
        """
        before = self.cluster.lines
        self.cluster.stamp_ns = time.time_ns() if self.rng.random() < 0.3 else None
        self.cluster.promote_pending()
        self.traffic.requests += 1
        n = self.traffic.requests
        if self.config_every and n % self.config_every == 0:
            self.config_edits.next()
        if self.churn_every and n % self.churn_every == 0:
            self.pod_churn.next()
        self.traffic.scenario()
        if self.extra_pods or self.pod_churn.churned:
            self.traffic.load_traffic()
        self.cluster.stamp_ns = None  # lines written between scenarios (restarts, churn) get times of their own
        return self.cluster.lines - before

    # ---- running ---------------------------------------------------------------------------
    async def run(self, rate: float, stop: asyncio.Event | None = None) -> None:
        """Emit about ``rate`` lines per second until ``stop`` is set.

        Yields to the event loop after every few requests even when behind schedule (the API
        server runs in the same loop), and never bursts to catch up more than a second.
        """
        stop = stop or asyncio.Event()
        start, emitted, ticks = time.monotonic(), 0, 0
        while not stop.is_set():
            emitted += self.tick()
            ticks += 1
            elapsed = time.monotonic() - start
            ahead = emitted / rate - elapsed
            if ahead > 0:
                try:
                    await asyncio.wait_for(stop.wait(), ahead)
                except TimeoutError:
                    pass
            else:
                if ahead < -1.0:  # too far behind: start counting again rather than burst
                    start, emitted = time.monotonic(), 0
                if ticks % 10 == 0:
                    await asyncio.sleep(0)

    async def run_load(self, rate: float, stop: asyncio.Event, interval: float = 0.05) -> None:
        """Write about ``rate`` lines per second to the ``load`` pods, in bursts every ``interval``."""
        start, emitted = time.monotonic(), 0
        while not stop.is_set():
            due = int((time.monotonic() - start) * rate) - emitted
            if due > rate:  # more than a second behind: say so by not bursting to catch up
                start, emitted, due = time.monotonic(), 0, 0
            emitted += self.load_burst(due)
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass

    # ---- what tests, benchmarks and the fault injector drive directly ----------------------
    def add_pod(self, w: Workload, running: bool = False) -> SimPod:
        return self.cluster.add_pod(w, running)

    def delete_pod(self, pod: SimPod) -> None:
        self.cluster.delete_pod(pod)

    def restart_container(self, pod: SimPod, name: str) -> None:
        self.cluster.restart_container(pod, name)

    def scale_down(self, pod: SimPod) -> None:
        self.cluster.scale_down(pod)

    def browse(self, path: str = "/productpage") -> None:
        self.traffic.browse(path)

    def load_burst(self, count: int) -> int:
        return self.traffic.load_burst(count)

    def churn(self) -> None:
        self.pod_churn.next()

    def churn_load(self, keep: int = 5) -> None:
        self.pod_churn.load(keep)

    def _one(self, namespace: str, app: str, version: str | None = None) -> SimPod | None:
        return self.cluster.one(namespace, app, version)

    def _promote_pending(self) -> None:
        self.cluster.promote_pending()

    def _edit_reviews_weights(self) -> None:
        self.config_edits.edit_reviews_weights()

    def _toggle_details_viewer(self) -> None:
        self.config_edits.toggle_details_viewer()

    def _toggle_deny_admin(self) -> None:
        self.config_edits.toggle_deny_admin()
