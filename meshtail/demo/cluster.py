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
from .lines import utcnow
from .podlogs import ContainerLog, PodLogs
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
        self.store.create(POD, self._pod_object(pod), "kube-controller-manager")
        if running:
            self.run(pod)
        else:
            self._sync_owner(owner)
        return pod

    def run(self, pod: SimPod, only: str | None = None) -> None:
        """Start (or restart) a pod's containers: new containerIDs, fresh logs, startup lines."""
        names, inits = pod.workload.containers()
        now = rfc3339()
        if "istio-init" in inits and "istio-init" not in pod.ids:
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
            pod.logs[name] = self.logs.start(pod.workload.namespace, pod.name, name, pod.ids[name])
        pod.running = True
        self.store.update(POD, pod.workload.namespace, pod.name, self._refresh(pod), "kubelet", "Update", "status")
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
        self.logs.remove_pod(pod.workload.namespace, pod.name)
        try:
            self.store.delete(POD, pod.workload.namespace, pod.name)
        except NotFound:
            pass
        if pod.owner is not None and pod.owner.pods.pop(pod.name, None) is not None:
            self._sync_owner(pod.owner)

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
    def _pod_object(self, pod: SimPod) -> Obj:
        w = pod.workload
        names, inits = w.containers()
        now = rfc3339()

        def spec_of(name: str) -> Obj:
            out: Obj = {"name": name, "image": w.image(name)}
            if name == "istio-proxy" and w.kind == "native":
                out["restartPolicy"] = "Always"
            return out

        def status_of(name: str, init: bool) -> Obj:
            entry: Obj = {"name": name, "image": spec_of(name)["image"], "restartCount": pod.restarts.get(name, 0)}
            if init and name == "istio-init" and name in pod.ids:
                terminated = {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": pod.started[name],
                    "finishedAt": pod.finished[name],
                    "containerID": pod.ids[name],
                }
                entry |= {"ready": True, "started": False, "containerID": pod.ids[name]}
                entry["state"] = {"terminated": terminated}
            elif init and name == "istio-init":
                entry |= {"ready": False, "started": False, "state": {"waiting": {"reason": "PodInitializing"}}}
            elif pod.running and name in pod.ids:
                entry |= {
                    "ready": True,
                    "started": True,
                    "containerID": pod.ids[name],
                    "state": {"running": {"startedAt": pod.started.get(name, now)}},
                }
                if name in pod.previous_ids:  # as the kubelet reports the instance before a restart
                    terminated = {
                        "exitCode": 137,
                        "reason": "Error",
                        "startedAt": pod.previous_started.get(name, now),
                        "finishedAt": pod.finished.get(name, now),
                        "containerID": pod.previous_ids[name],
                    }
                    entry["lastState"] = {"terminated": terminated}
            else:
                entry |= {"ready": False, "started": False, "state": {"waiting": {"reason": "ContainerCreating"}}}
            return entry

        annotations = {"kubectl.kubernetes.io/default-container": names[0]}
        if w.kind in ("sidecar", "native"):
            annotations["sidecar.istio.io/status"] = '{"containers":["istio-proxy"],"initContainers":["istio-init"]}'
        labels = w.labels()
        metadata: Obj = {"name": pod.name, "namespace": w.namespace, "labels": labels, "annotations": annotations}
        if pod.owner is not None:
            labels |= pod.owner.hash_label
            metadata["generateName"] = f"{pod.owner.owner_name}-"
            metadata["ownerReferences"] = [pod.owner.owner_reference()]
        host_ip = "172.18.0.2" if pod.node == NODES[0] else "172.18.0.3"
        obj: Obj = {
            "metadata": metadata,
            "spec": {
                "nodeName": pod.node,
                "serviceAccountName": w.sa or w.app,
                "containers": [spec_of(n) for n in names],
            },
            "status": {
                "phase": "Running" if pod.running else "Pending",
                "hostIP": host_ip,
                "hostIPs": [{"ip": host_ip}],
                "podIP": pod.ip,
                "podIPs": [{"ip": pod.ip}],
                "containerStatuses": [status_of(n, False) for n in names],
            },
        }
        if inits:
            obj["spec"]["initContainers"] = [spec_of(n) for n in inits]
            obj["status"]["initContainerStatuses"] = [status_of(n, True) for n in inits]
        return obj

    def _refresh(self, pod: SimPod) -> Callable[[Obj], None]:
        def mutate(obj: Obj) -> None:
            fresh = self._pod_object(pod)
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
