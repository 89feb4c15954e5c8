"""The Kubernetes side of the demo mesh: pods, their owners, container starts and the logs they write.

:class:`Cluster` does what the controller manager and the kubelet would: it makes a
workload's pods through its Deployment and ReplicaSet (or DaemonSet), starts and restarts
containers under new containerIDs, counts pods into the owners' statuses, and deletes pods.
It also owns writing to container logs, so every simulated line (traffic, istiod pushes,
proxy startup) is counted in one place.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from . import lines
from .controllers import (
    Controller,
    daemonset_object,
    daemonset_status,
    deployment_object,
    deployment_status,
    pod_template,
    replicaset_annotations,
    replicaset_object,
    replicaset_status,
)
from .kinds import Kinds
from .lines import utcnow
from .podlogs import ContainerLog, PodLogs
from .pods import pod_object
from .resources import DAEMONSET, DEPLOYMENT, POD, REPLICASET, ResourceType
from .store import NotFound, Obj, ObjectStore, rfc3339
from .topology import NODES, Identities, SimPod, Workload


class Cluster:
    """Pods and their owners, written into an ObjectStore, with their containers' logs in PodLogs."""

    def __init__(self, store: ObjectStore, logs: PodLogs, rng: random.Random) -> None:
        self.store = store
        self.logs = logs
        self.rng = rng
        self.ids = Identities(rng)
        self.pods: dict[tuple[str, str], SimPod] = {}
        self.controllers: dict[tuple[str, str], Controller] = {}  # (namespace, name) of Deployments/DaemonSets
        self.lines = 0  # lines written to container logs so far
        self.stamp_ns: int | None = None  # the timestamp lines written now share, if any
        self.kinds = Kinds(store)  # Services, endpoints and events follow the pods

    # ---- writing logs ----------------------------------------------------------------------
    def write(self, log: ContainerLog | None, text: str) -> None:
        if log is not None and not log.ended:
            log.append(text, self.stamp_ns)
            self.lines += 1

    def istiod(self, level: str, scope: str, message: str) -> None:
        """A line in (one of) istiod's log."""
        pod = self.one("istio-system", "istiod")
        if pod is not None:
            self.write(pod.proxy, lines.istiod(utcnow(), level, scope, message))

    # ---- lookups ---------------------------------------------------------------------------
    def one(self, namespace: str, app: str, version: str | None = None) -> SimPod | None:
        """A running pod of the app (any, picked at random), as a Service would pick an endpoint."""
        found = [
            p
            for p in self.pods.values()
            if p.workload.namespace == namespace
            and p.workload.app == app
            and p.running
            and (version is None or p.workload.version == version)
        ]
        return self.rng.choice(sorted(found, key=lambda p: p.name)) if found else None

    def ztunnel(self, node: str) -> SimPod | None:
        for p in self.pods.values():
            if p.workload.kind == "ztunnel" and p.node == node:
                return p
        return None

    def running(self, namespace: str) -> list[SimPod]:
        return [p for p in self.pods.values() if p.workload.namespace == namespace and p.running]

    # ---- pods ------------------------------------------------------------------------------
    def add_pod(self, w: Workload, running: bool = False) -> SimPod:
        """A new pod of ``w``, made by its ReplicaSet (or DaemonSet): named, labelled and owned as one would.

        A Deployment with fewer replicas than it would now have pods is scaled up first
        (``kubectl scale``), so ``spec.replicas``, the ReplicaSet and the pods always agree.
        """
        owner = self._controller(w)
        if owner.kind == "Deployment" and len(owner.pods) + 1 > owner.replicas:
            self._scale(owner, len(owner.pods) + 1)
        pod = SimPod(w, f"{owner.owner_name}-{self.ids.suffix(5)}", self.ids.ip(), w.node or self.rng.choice(NODES))
        pod.owner = owner
        owner.pods[pod.name] = pod
        self.pods[(w.namespace, pod.name)] = pod
        pod.created = rfc3339()
        pod.uid = self.store.create(POD, pod_object(pod), "kube-controller-manager")["metadata"]["uid"]
        self.kinds.service_account(w.namespace, w.sa or w.app)
        self.kinds.workload_service(w)
        self.kinds.pod_event(
            pod,
            "Scheduled",
            f"Successfully assigned {w.namespace}/{pod.name} to {pod.node}",
            component="default-scheduler",
        )
        if running:
            self.run(pod)
        else:
            self._sync_owner(owner)
            self._sync_endpoints(pod)
        return pod

    def run(self, pod: SimPod, only: str | None = None) -> None:
        """Start (or restart) a pod's containers: new containerIDs, fresh logs, startup lines."""
        names, inits = pod.workload.containers()
        now = rfc3339()
        fresh_init = "istio-init" in inits and "istio-init" not in pod.ids
        started: list[str] = []
        if fresh_init:
            # the init container runs once, before the others: it sets up iptables, logs so and exits 0
            pod.ids["istio-init"] = f"containerd://{self.ids.hex(64)}"
            pod.started["istio-init"] = pod.finished["istio-init"] = now
            log = self.logs.start(pod.workload.namespace, pod.name, "istio-init", pod.ids["istio-init"])
            for text in lines.istio_init(utcnow()):
                self.write(log, text)
            log.finish()
        for name in [*names, *[i for i in inits if i != "istio-init"]]:
            if only and name != only:
                continue
            if name in pod.ids:
                pod.restarts[name] = pod.restarts.get(name, 0) + 1
                pod.previous_ids[name] = pod.ids[name]
                pod.finished[name] = now
                pod.previous_started[name] = pod.started.get(name, now)
            pod.ids[name] = f"containerd://{self.ids.hex(64)}"
            pod.started[name] = now
            started.append(name)
            pod.logs[name] = self.logs.start(pod.workload.namespace, pod.name, name, pod.ids[name])
        pod.running = True
        self.store.update(POD, pod.workload.namespace, pod.name, self._refresh(pod), "kubelet", "Update", "status")
        self._started_events(pod, [*(["istio-init"] if fresh_init else []), *started])
        self._sync_endpoints(pod)
        self._sync_owner(pod.owner)
        self._startup_lines(pod, only)

    def restart_container(self, pod: SimPod, name: str) -> None:
        """The container dies and the kubelet starts it again under a new containerID."""
        self.run(pod, only=name)

    def promote_pending(self) -> None:
        """Pending pods start running (the kubelet got to them)."""
        for pod in list(self.pods.values()):
            if not pod.running:
                self.run(pod)

    def delete_pod(self, pod: SimPod) -> None:
        """The pod goes (evicted, or deleted by hand); its ReplicaSet still wants it, so a new one can replace it."""
        self.pods.pop((pod.workload.namespace, pod.name), None)
        try:
            # graceful deletion, as a real API server does it: the pod is marked (Terminating) first, and goes
            # once the kubelet has stopped its containers
            self.store.update(POD, pod.workload.namespace, pod.name, _terminating, "kube-controller-manager")
            for name in pod.ids if pod.running else ():
                if name != "istio-init":
                    self.kinds.pod_event(pod, "Killing", f"Stopping container {name}", _field_path(pod, name))
            self.logs.remove_pod(pod.workload.namespace, pod.name)
            self.store.delete(POD, pod.workload.namespace, pod.name)
        except NotFound:
            self.logs.remove_pod(pod.workload.namespace, pod.name)
        if pod.owner is not None and pod.owner.pods.pop(pod.name, None) is not None:
            self._sync_owner(pod.owner)
        self._sync_endpoints(pod)

    def scale_down(self, pod: SimPod) -> None:
        """The pod's Deployment is scaled down by one and this pod is the one removed."""
        if pod.owner is not None:
            self._scale(pod.owner, max(0, len(pod.owner.pods) - 1))
        self.delete_pod(pod)

    def remove_workload(self, owner: Controller) -> None:
        """``kubectl delete deploy/NAME``: the Deployment goes, then (garbage collection) its ReplicaSet and pods."""
        if self.controllers.pop((owner.namespace, owner.name), None) is None:
            return
        if owner.kind == "DaemonSet":
            self.store.delete(DAEMONSET, owner.namespace, owner.name)
        else:
            self.store.delete(DEPLOYMENT, owner.namespace, owner.name)
            self.store.delete(REPLICASET, owner.namespace, owner.owner_name)
        for pod in list(owner.pods.values()):
            self.delete_pod(pod)

    # ---- owners: Deployments, ReplicaSets, DaemonSets --------------------------------------
    def _controller(self, w: Workload) -> Controller:
        """The owner of ``w``'s pods, created (Deployment + ReplicaSet, or DaemonSet) on first use."""
        key = (w.namespace, w.controller)
        owner = self.controllers.get(key)
        if owner is not None:
            return owner
        names, _inits = w.containers()
        if w.kind in ("sidecar", "native"):
            names = [n for n in names if n != "istio-proxy"]  # the injector adds the proxy to the pod, not here
        containers = [(n, w.image(n), w.port if i == 0 else None) for i, n in enumerate(names)]
        labels = w.labels()
        if w.kind in ("sidecar", "native"):  # the injector labels the pod; the manifest does not
            labels = {k: v for k, v in labels.items() if not k.startswith(("security.istio.io/", "service.istio.io/"))}
        template = pod_template(labels, w.sa or w.app, containers)
        if w.namespace == "istio-system":
            manager = "helm"
        elif w.kind == "waypoint":
            manager = "istio.io/gateway-controller"
        else:
            manager = "kubectl-client-side-apply"
        if w.kind == "ztunnel":
            owner = Controller("DaemonSet", w.namespace, w.controller, w.selector(), template, manager, len(NODES))
            ds = self.store.create(DAEMONSET, daemonset_object(owner), manager)
            owner.owner_uid = ds["metadata"]["uid"]
        else:
            owner = Controller("Deployment", w.namespace, w.controller, w.selector(), template, manager)
            deploy = self.store.create(DEPLOYMENT, deployment_object(owner), manager)
            owner.deployment_uid = deploy["metadata"]["uid"]
            rs = self.store.create(REPLICASET, replicaset_object(owner), "kube-controller-manager")
            owner.owner_uid = rs["metadata"]["uid"]
        self.controllers[key] = owner
        return owner

    def _scale(self, owner: Controller, replicas: int) -> None:
        """``kubectl scale deploy/NAME --replicas=N``: the Deployment's spec, then its ReplicaSet's."""
        if owner.kind != "Deployment" or owner.replicas == replicas:
            return
        owner.replicas = replicas

        def deployment(obj: Obj) -> None:
            obj["spec"]["replicas"] = replicas

        def replicaset(obj: Obj) -> None:
            obj["spec"]["replicas"] = replicas
            obj["metadata"]["annotations"] = replicaset_annotations(replicas)

        self.store.update(DEPLOYMENT, owner.namespace, owner.name, deployment, "kubectl", "Update", "scale")
        self.store.update(REPLICASET, owner.namespace, owner.owner_name, replicaset, "kube-controller-manager")

    def _sync_owner(self, owner: Controller | None) -> None:
        """Count the owner's pods into its status (and its Deployment's), as the controller manager does.

        Writes only when a count changed, so a container restart adds no MODIFIED events.
        """
        if owner is None or (owner.namespace, owner.name) not in self.controllers:
            return
        ready = sum(1 for p in owner.pods.values() if p.running)
        now = rfc3339()
        if owner.kind == "DaemonSet":
            self._write_status(DAEMONSET, owner, owner.name, lambda gen: daemonset_status(owner, gen, ready))
            return
        self._write_status(REPLICASET, owner, owner.owner_name, lambda gen: replicaset_status(owner, gen, ready))
        self._write_status(DEPLOYMENT, owner, owner.name, lambda gen: deployment_status(owner, gen, ready, now))

    def _write_status(self, rtype: ResourceType, owner: Controller, name: str, make: Callable[[int], Obj]) -> None:
        current = self.store.get(rtype, owner.namespace, name)
        status = make(current["metadata"].get("generation", 1))
        if current.get("status") != status:

            def mutate(obj: Obj) -> None:
                obj["status"] = status

            self.store.update(rtype, owner.namespace, name, mutate, "kube-controller-manager", "Update", "status")

    # ---- the pod object and container starts -----------------------------------------------
    def _started_events(self, pod: SimPod, names: list[str]) -> None:
        """What the kubelet records as it starts containers (a restart repeats them: their counts go up)."""
        for name in names:
            where = _field_path(pod, name)
            image = pod.workload.image(name)
            self.kinds.pod_event(pod, "Pulled", f'Container image "{image}" already present on machine', where)
            self.kinds.pod_event(pod, "Created", f"Created container {name}", where)
            self.kinds.pod_event(pod, "Started", f"Started container {name}", where)

    def _sync_endpoints(self, pod: SimPod) -> None:
        ns = pod.workload.namespace
        if not any(key[0] == ns for key in self.kinds.services):
            return
        self.kinds.sync_endpoints(ns, [p for p in self.pods.values() if p.workload.namespace == ns], pod.workload)

    def _refresh(self, pod: SimPod) -> Callable[[Obj], None]:
        def mutate(obj: Obj) -> None:
            fresh = pod_object(pod)
            obj["status"] = fresh["status"]

        return mutate

    def _startup_lines(self, pod: SimPod, only: str | None) -> None:
        """What istio-agent logs as the proxy starts (and istiod as it connects); istiod's first push."""
        w = pod.workload
        proxy = pod.logs.get("istio-proxy")
        now = utcnow()
        if proxy is not None and w.kind not in ("ztunnel",) and only in (None, "istio-proxy"):
            self.write(
                proxy,
                lines.agent(now, "info", "xdsproxy", "connected to upstream XDS server: istiod.istio-system.svc:15012"),
            )
            latency = f"{self.rng.randint(80, 400)}.{self.ids.digits(6)}ms"
            ttl = f"23h59m59.{self.ids.digits(9)}s"
            self.write(
                proxy,
                lines.agent(now, "info", "cache", f"generated new workload certificate\tlatency={latency} ttl={ttl}"),
            )
            self.write(proxy, lines.agent(now, "info", "sds", "SDS: PUSH\tresource=ROOTCA"))
            self.write(proxy, lines.agent(now, "info", None, "Envoy proxy is ready"))
            self.istiod(
                "info", "ads", f"ADS: new connection for node:{pod.name}.{w.namespace}-{self.rng.randint(1, 99)}"
            )
        if w.kind == "istiod" and pod.proxy is not None:
            self.write(
                pod.proxy,
                lines.istiod(
                    now, "info", "model", "Full push, new service istio-system/istiod.istio-system.svc.cluster.local"
                ),
            )


def _terminating(obj: Obj) -> None:
    """What a DELETE with the default grace period writes: the deadline, and the grace period it was given."""
    grace = obj["spec"].get("terminationGracePeriodSeconds", 30)
    obj["metadata"]["deletionTimestamp"] = rfc3339(datetime.now(UTC) + timedelta(seconds=grace))
    obj["metadata"]["deletionGracePeriodSeconds"] = grace


def _field_path(pod: SimPod, name: str) -> str:
    """The ``involvedObject.fieldPath`` of a container's events: ``spec.containers{name}`` (or initContainers)."""
    inits = pod.workload.containers()[1]
    return f"spec.{'initContainers' if name in inits else 'containers'}{{{name}}}"
