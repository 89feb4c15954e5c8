"""A simulated mesh: Bookinfo with sidecars, an ambient ``shop`` namespace, gateway, istiod, ztunnel.

Everything is driven by one seeded ``random.Random`` and by request counts (not wall
time), so ``--seed`` replays the same sequence of requests, denials, config changes and
pod churn.  Denials follow the AuthorizationPolicies currently in the store: when a
config change edits or deletes a policy, the traffic's outcome changes with it, and
istiod logs the push like the real one does.
"""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

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
from .lines import Hop, utcnow
from .podlogs import ContainerLog, PodLogs
from .resources import BY_KEY, DAEMONSET, DEPLOYMENT, NAMESPACE, POD, REPLICASET, ResourceType
from .store import NotFound, Obj, ObjectStore, rfc3339

PROXY_IMAGE = "docker.io/istio/proxyv2:1.24.2"
AP = BY_KEY["authorizationpolicies.security.istio.io"]
VS = BY_KEY["virtualservices.networking.istio.io"]
DR = BY_KEY["destinationrules.networking.istio.io"]
GW = BY_KEY["gateways.networking.istio.io"]
PA = BY_KEY["peerauthentications.security.istio.io"]
RA = BY_KEY["requestauthentications.security.istio.io"]
EF = BY_KEY["envoyfilters.networking.istio.io"]
HR = BY_KEY["httproutes.gateway.networking.k8s.io"]
KGW = BY_KEY["gateways.gateway.networking.k8s.io"]
NODES = ("demo-worker", "demo-worker2")
USER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
)


@dataclass
class Workload:
    namespace: str
    app: str
    version: str | None
    port: int
    kind: str  # sidecar | native | gateway | waypoint | ztunnel | istiod | ambient | plain
    sa: str = ""
    node: str | None = None

    @property
    def service(self) -> str:
        return f"{self.app}.{self.namespace}.svc.cluster.local"

    @property
    def principal(self) -> str:
        return f"cluster.local/ns/{self.namespace}/sa/{self.sa or self.app}"

    def labels(self) -> dict[str, str]:
        out = {"app": self.app}
        if self.version:
            out["version"] = self.version
        if self.kind in ("sidecar", "native"):
            out |= {"security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": self.app}
        elif self.kind == "gateway":
            out |= {"istio": "ingressgateway", "app": "istio-ingressgateway"}
        elif self.kind == "waypoint":
            out = {
                "gateway.istio.io/managed": "istio.io-mesh-controller",
                "gateway.networking.k8s.io/gateway-name": "waypoint",
                "istio.io/gateway-name": "waypoint",
            }
        elif self.kind == "ztunnel":
            out |= {"app": "ztunnel", "sidecar.istio.io/inject": "false"}
        elif self.kind == "istiod":
            out |= {"app": "istiod", "istio": "pilot"}
        elif self.kind == "ambient":
            out |= {"istio.io/dataplane-mode": "ambient"}
        return out

    @property
    def controller(self) -> str:
        """The name of the Deployment (or, for ztunnel, the DaemonSet) that owns this workload's pods."""
        if self.kind in ("ztunnel", "waypoint", "gateway"):
            return {"ztunnel": "ztunnel", "waypoint": "waypoint", "gateway": "istio-ingressgateway"}[self.kind]
        return f"{self.app}-{self.version}" if self.version else self.app

    def selector(self) -> dict[str, str]:
        """``spec.selector.matchLabels`` of the owner, as the Istio charts and Bookinfo manifests write them."""
        if self.kind == "waypoint":
            return {"gateway.networking.k8s.io/gateway-name": "waypoint"}
        if self.kind == "istiod":
            return {"app": "istiod", "istio": "pilot"}
        if self.kind == "gateway":
            return {"app": "istio-ingressgateway", "istio": "ingressgateway"}
        if self.kind == "ztunnel":
            return {"app": "ztunnel"}
        return {"app": self.app, **({"version": self.version} if self.version else {})}

    def image(self, container: str) -> str:
        if container in ("istio-proxy", "istio-init"):
            return PROXY_IMAGE
        if container == "discovery":
            return "docker.io/istio/pilot:1.24.2"
        return f"docker.io/istio/examples-{self.app}:1.20"

    def containers(self) -> tuple[list[str], list[str]]:
        """(containers, init containers) by name."""
        if self.kind == "sidecar":
            return [self.app, "istio-proxy"], ["istio-init"]
        if self.kind == "native":
            return [self.app], ["istio-init", "istio-proxy"]
        if self.kind in ("gateway", "waypoint", "ztunnel"):
            return ["istio-proxy"], []
        if self.kind == "istiod":
            return ["discovery"], []
        return [self.app], []


@dataclass
class SimPod:
    workload: Workload
    name: str
    ip: str
    node: str
    running: bool = False
    ids: dict[str, str] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    previous_ids: dict[str, str] = field(default_factory=dict)
    logs: dict[str, ContainerLog] = field(default_factory=dict)
    owner: Controller | None = None

    @property
    def proxy(self) -> ContainerLog | None:
        return self.logs.get("discovery" if self.workload.kind == "istiod" else "istio-proxy")


def _workloads() -> list[Workload]:
    return [
        Workload("istio-system", "istiod", None, 15010, "istiod"),
        Workload("istio-system", "istio-ingressgateway", None, 8080, "gateway", "istio-ingressgateway-service-account"),
        Workload("istio-system", "ztunnel", None, 15008, "ztunnel", node=NODES[0]),
        Workload("istio-system", "ztunnel", None, 15008, "ztunnel", node=NODES[1]),
        Workload("bookinfo", "productpage", "v1", 9080, "sidecar", "bookinfo-productpage"),
        Workload("bookinfo", "details", "v1", 9080, "sidecar", "bookinfo-details"),
        Workload("bookinfo", "reviews", "v1", 9080, "sidecar", "bookinfo-reviews"),
        Workload("bookinfo", "reviews", "v2", 9080, "sidecar", "bookinfo-reviews"),
        Workload("bookinfo", "reviews", "v3", 9080, "native", "bookinfo-reviews"),
        Workload("bookinfo", "ratings", "v1", 9080, "sidecar", "bookinfo-ratings"),
        Workload("bookinfo", "sleep", None, 80, "sidecar", "sleep"),
        Workload("shop", "waypoint", None, 15008, "waypoint"),
        Workload("shop", "frontend", "v1", 8080, "ambient"),
        Workload("shop", "cart", "v1", 8080, "ambient"),
        Workload("shop", "payments", "v1", 8080, "ambient"),
        Workload("legacy", "client", None, 80, "plain"),
    ]


def _policies() -> list[tuple[Any, Obj]]:
    def meta(ns: str, name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "namespace": ns}
        if labels:
            out["labels"] = labels
        return {"metadata": out}

    return [
        (
            AP,
            meta("bookinfo", "details-viewer")
            | {
                "spec": {
                    "selector": {"matchLabels": {"app": "details"}},
                    "action": "ALLOW",
                    "rules": [
                        {"from": [{"source": {"principals": ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"]}}]}
                    ],
                }
            },
        ),
        (
            AP,
            meta("bookinfo", "deny-admin-paths")
            | {
                "spec": {
                    "selector": {"matchLabels": {"app": "productpage"}},
                    "action": "DENY",
                    "rules": [{"to": [{"operation": {"paths": ["/admin*"]}}]}],
                }
            },
        ),
        (
            AP,
            meta("istio-system", "require-jwt")
            | {
                "spec": {
                    "selector": {"matchLabels": {"istio": "ingressgateway"}},
                    "action": "DENY",
                    "rules": [
                        {
                            "from": [{"source": {"notRequestPrincipals": ["*"]}}],
                            "to": [{"operation": {"paths": ["/api/*"]}}],
                        }
                    ],
                }
            },
        ),
        (
            AP,
            meta("shop", "deny-legacy")
            | {
                "spec": {
                    "action": "DENY",
                    "rules": [{"from": [{"source": {"namespaces": ["legacy"]}}]}],
                }
            },
        ),
        (
            RA,
            meta("istio-system", "jwt-example")
            | {
                "spec": {
                    "selector": {"matchLabels": {"istio": "ingressgateway"}},
                    "jwtRules": [
                        {
                            "issuer": "https://auth.example.com",
                            "jwksUri": "https://auth.example.com/.well-known/jwks.json",
                        }
                    ],
                }
            },
        ),
        (PA, meta("bookinfo", "default") | {"spec": {"mtls": {"mode": "STRICT"}}}),
        (
            GW,
            meta("bookinfo", "bookinfo-gateway")
            | {
                "spec": {
                    "selector": {"istio": "ingressgateway"},
                    "servers": [
                        {
                            "port": {"number": 8080, "name": "http", "protocol": "HTTP"},
                            "hosts": ["bookinfo.example.com"],
                        }
                    ],
                }
            },
        ),
        (
            VS,
            meta("bookinfo", "bookinfo")
            | {
                "spec": {
                    "hosts": ["bookinfo.example.com"],
                    "gateways": ["bookinfo-gateway"],
                    "http": [
                        {
                            "match": [{"uri": {"prefix": "/"}}],
                            "route": [{"destination": {"host": "productpage", "port": {"number": 9080}}}],
                        }
                    ],
                }
            },
        ),
        (
            VS,
            meta("bookinfo", "reviews")
            | {
                "spec": {
                    "hosts": ["reviews"],
                    "http": [
                        {
                            "route": [
                                {"destination": {"host": "reviews", "subset": "v1"}, "weight": 50},
                                {"destination": {"host": "reviews", "subset": "v2"}, "weight": 30},
                                {"destination": {"host": "reviews", "subset": "v3"}, "weight": 20},
                            ]
                        }
                    ],
                }
            },
        ),
        (
            DR,
            meta("bookinfo", "reviews")
            | {
                "spec": {
                    "host": "reviews",
                    "subsets": [{"name": v, "labels": {"version": v}} for v in ("v1", "v2", "v3")],
                    "trafficPolicy": {"outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s"}},
                }
            },
        ),
        (
            KGW,
            meta("shop", "waypoint", {"istio.io/waypoint-for": "service"})
            | {
                "spec": {
                    "gatewayClassName": "istio-waypoint",
                    "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
                }
            },
        ),
        (
            HR,
            meta("shop", "cart")
            | {
                "spec": {
                    "parentRefs": [{"group": "", "kind": "Service", "name": "cart", "port": 8080}],
                    "rules": [{"backendRefs": [{"name": "cart", "port": 8080}], "timeouts": {"request": "2s"}}],
                }
            },
        ),
    ]


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
        self.pods: dict[tuple[str, str], SimPod] = {}
        self.requests = 0
        self.lines = 0
        self._stamp_ns: int | None = None  # the timestamp lines written now share, if any
        self.push_count = 0
        self.broken_v3 = 0  # browse requests left that fail at reviews-v3 after its restart
        self._config_step = 0
        self._churn_step = 0
        self._saved: dict[str, Obj] = {}
        self._churned = 0
        self.controllers: dict[tuple[str, str], Controller] = {}  # (namespace, name) of Deployments/DaemonSets

    # ---- identities ------------------------------------------------------------------------
    def _hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def _suffix(self, n: int) -> str:
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))

    def _ip(self) -> str:
        return f"10.244.{self.rng.randint(0, 3)}.{self.rng.randint(2, 250)}"

    def _rid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # ---- pods ------------------------------------------------------------------------------
    def bootstrap(self) -> None:
        """Namespaces, mesh configuration, and every pod already running."""
        for ns in ("istio-system", "bookinfo", "shop", "legacy", *(["load"] if self.extra_pods else [])):
            labels = {"kubernetes.io/metadata.name": ns}
            if ns == "bookinfo":
                labels["istio-injection"] = "enabled"
            if ns == "shop":
                labels["istio.io/dataplane-mode"] = "ambient"
            self.store.create(NAMESPACE, {"metadata": {"name": ns, "labels": labels}}, "kube-apiserver")
        for rtype, obj in _policies():
            self.store.create(rtype, obj, "argocd-controller", "Apply")
        for workload in _workloads():
            self.add_pod(workload, running=True)
        for i in range(self.extra_pods):
            self.add_pod(Workload("load", f"load{i:04d}", "v1", 8080, "sidecar", "load"), running=True)

    def add_pod(self, w: Workload, running: bool = False) -> SimPod:
        """A new pod of ``w``, made by its ReplicaSet (or DaemonSet): named, labelled and owned as one would.

        A Deployment with fewer replicas than it would now have pods is scaled up first
        (``kubectl scale``), so ``spec.replicas``, the ReplicaSet and the pods always agree.
        """
        owner = self._controller(w)
        if owner.kind == "Deployment" and len(owner.pods) + 1 > owner.replicas:
            self._scale(owner, len(owner.pods) + 1)
        pod = SimPod(w, f"{owner.owner_name}-{self._suffix(5)}", self._ip(), w.node or self.rng.choice(NODES))
        pod.owner = owner
        owner.pods[pod.name] = pod
        self.pods[(w.namespace, pod.name)] = pod
        self.store.create(POD, self._pod_object(pod), "kube-controller-manager")
        if running:
            self._run(pod)
        else:
            self._sync_owner(owner)
        return pod

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

    def scale_down(self, pod: SimPod) -> None:
        """The pod's Deployment is scaled down by one and this pod is the one removed."""
        if pod.owner is not None:
            self._scale(pod.owner, max(0, len(pod.owner.pods) - 1))
        self.delete_pod(pod)

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
            if init and name == "istio-init":
                entry |= {"ready": False, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
                entry["containerID"] = f"containerd://{pod.name}-init"
            elif pod.running and name in pod.ids:
                entry |= {
                    "ready": True,
                    "started": True,
                    "containerID": pod.ids[name],
                    "state": {"running": {"startedAt": now}},
                }
                if name in pod.previous_ids:  # as the kubelet reports the instance before a restart
                    terminated = {"exitCode": 137, "reason": "Error", "containerID": pod.previous_ids[name]}
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
        obj: Obj = {
            "metadata": metadata,
            "spec": {
                "nodeName": pod.node,
                "serviceAccountName": w.sa or w.app,
                "containers": [spec_of(n) for n in names],
            },
            "status": {
                "phase": "Running" if pod.running else "Pending",
                "hostIP": "172.18.0.2" if pod.node == NODES[0] else "172.18.0.3",
                "podIP": pod.ip,
                "containerStatuses": [status_of(n, False) for n in names],
            },
        }
        if inits:
            obj["spec"]["initContainers"] = [spec_of(n) for n in inits]
            obj["status"]["initContainerStatuses"] = [status_of(n, True) for n in inits]
        return obj

    def _run(self, pod: SimPod, only: str | None = None) -> None:
        """Start (or restart) a pod's containers: new containerIDs, fresh logs, startup lines."""
        names, inits = pod.workload.containers()
        for name in [*names, *[i for i in inits if i != "istio-init"]]:
            if only and name != only:
                continue
            if name in pod.ids:
                pod.restarts[name] = pod.restarts.get(name, 0) + 1
                pod.previous_ids[name] = pod.ids[name]
            pod.ids[name] = f"containerd://{self._hex(64)}"
            pod.logs[name] = self.logs.start(pod.workload.namespace, pod.name, name, pod.ids[name])
        pod.running = True
        self.store.update(POD, pod.workload.namespace, pod.name, self._refresh(pod), "kubelet", "Update", "status")
        self._sync_owner(pod.owner)
        self._startup_lines(pod, only)

    def _refresh(self, pod: SimPod) -> Callable[[Obj], None]:
        def mutate(obj: Obj) -> None:
            fresh = self._pod_object(pod)
            obj["status"] = fresh["status"]

        return mutate

    def _startup_lines(self, pod: SimPod, only: str | None) -> None:
        w = pod.workload
        proxy = pod.logs.get("istio-proxy")
        now = utcnow()
        if proxy is not None and w.kind not in ("ztunnel",) and only in (None, "istio-proxy"):
            self._write(
                proxy,
                lines.agent(now, "info", "xdsproxy", "connected to upstream XDS server: istiod.istio-system.svc:15012"),
            )
            self._write(
                proxy,
                lines.agent(
                    now,
                    "info",
                    "cache",
                    f"generated new workload certificate\t"
                    f"latency={self.rng.randint(80, 400)}.{self._digits(6)}ms "
                    "ttl=23h59m59.{self._digits(9)}s".replace("{self._digits(9)}", self._digits(9)),
                ),
            )
            self._write(proxy, lines.agent(now, "info", "sds", "SDS: PUSH\tresource=ROOTCA"))
            self._write(proxy, lines.agent(now, "info", None, "Envoy proxy is ready"))
            self._istiod(
                "info", "ads", f"ADS: new connection for node:{pod.name}.{w.namespace}-{self.rng.randint(1, 99)}"
            )
        if w.kind == "istiod" and pod.proxy is not None:
            self._write(
                pod.proxy,
                lines.istiod(
                    now, "info", "model", "Full push, new service istio-system/istiod.istio-system.svc.cluster.local"
                ),
            )

    def _jwt(self) -> str:
        """A token shaped like a JWT (header.payload.signature, base64url); it signs nothing."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        payload = "".join(self.rng.choice(alphabet) for _ in range(48))
        signature = "".join(self.rng.choice(alphabet) for _ in range(43))
        return f"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.{signature}"

    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def _write(self, log: ContainerLog | None, text: str) -> None:
        if log is not None and not log.ended:
            log.append(text, self._stamp_ns)
            self.lines += 1

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

    def restart_container(self, pod: SimPod, name: str) -> None:
        """The container dies and the kubelet starts it again under a new containerID."""
        self._run(pod, only=name)

    def _promote_pending(self) -> None:
        for pod in list(self.pods.values()):
            if not pod.running:
                self._run(pod)

    # ---- lookups ---------------------------------------------------------------------------
    def _one(self, namespace: str, app: str, version: str | None = None) -> SimPod | None:
        found = [
            p
            for p in self.pods.values()
            if p.workload.namespace == namespace
            and p.workload.app == app
            and p.running
            and (version is None or p.workload.version == version)
        ]
        return self.rng.choice(sorted(found, key=lambda p: p.name)) if found else None

    def _ztunnel(self, node: str) -> SimPod | None:
        for p in self.pods.values():
            if p.workload.kind == "ztunnel" and p.node == node:
                return p
        return None

    def _istiod(self, level: str, scope: str, message: str) -> None:
        pod = self._one("istio-system", "istiod")
        if pod is not None:
            self._write(pod.proxy, lines.istiod(utcnow(), level, scope, message))

    # ---- policy ----------------------------------------------------------------------------
    def decide(
        self, namespace: str, labels: dict[str, str], principal: str | None, src_ns: str | None, path: str, jwt: bool
    ) -> tuple[bool, str]:
        """Istio's AuthorizationPolicy decision for the few rule shapes the demo uses."""
        items, _ = self.store.list(AP, namespace, lambda o: True)
        allow_exists = allowed = False
        for policy in items:
            spec = policy.get("spec", {})
            wanted = spec.get("selector", {}).get("matchLabels", {})
            if any(labels.get(k) != v for k, v in wanted.items()):
                continue
            action = spec.get("action", "ALLOW")
            for i, rule in enumerate(spec.get("rules", [])):
                if _rule_matches(rule, principal, src_ns, path, jwt):
                    if action == "DENY":
                        return False, f"ns[{namespace}]-policy[{policy['metadata']['name']}]-rule[{i}]"
                    allowed = True
            if action == "ALLOW":
                allow_exists = True
        if allow_exists and not allowed:
            return False, "none"
        return True, ""

    # ---- traffic ---------------------------------------------------------------------------
    def tick(self) -> int:
        """One request scenario (plus any scheduled config change or churn); returns lines written.

        In about a third of the scenarios the lines each proxy writes share one timestamp, as
        when Envoy flushes its access-log buffer in one write and the runtime stamps it once.
        """
        before = self.lines
        self._stamp_ns = time.time_ns() if self.rng.random() < 0.3 else None
        self._promote_pending()
        self.requests += 1
        if self.config_every and self.requests % self.config_every == 0:
            self.config_change()
        if self.churn_every and self.requests % self.churn_every == 0:
            self.churn()
        roll = self.rng.random()
        if roll < 0.45:
            self.browse()
        elif roll < 0.55:
            self.sleep_to_details()
        elif roll < 0.60:
            self.admin_probe()
        elif roll < 0.70:
            self.api_call()
        elif roll < 0.74:
            self.no_route()
        elif roll < 0.94:
            self.shop()
        else:
            self.legacy_to_shop()
        if self.extra_pods or self._churned:
            self.load_traffic()
        self._stamp_ns = None  # lines written between scenarios (restarts, churn) get times of their own
        return self.lines - before

    def _hop_pair(
        self,
        client: SimPod | None,
        server: SimPod | None,
        method: str,
        path: str,
        code: int,
        rid: str,
        ua: str,
        *,
        client_details: str = "via_upstream",
        server_details: str = "via_upstream",
        flags: str = "-",
        authority: str | None = None,
        subset: str = "",
        xff: str = "-",
    ) -> int:
        """The outbound line at the client's proxy and the inbound line at the server's proxy."""
        assert server is not None
        sw = server.workload
        duration = self.rng.randint(1, 40) if code < 500 else self.rng.randint(20, 3000)
        size = self.rng.randint(150, 6000) if code < 400 else self.rng.randint(0, 120)
        authority = authority or f"{sw.app}:{sw.port}"
        client_port = self.rng.randint(32768, 60999)
        now = utcnow()
        server_reached = not flags.startswith("UF") and "U" not in flags.split(",")[0][:1]
        if client is not None and client.proxy is not None:
            cw = client.workload
            local = f"{client.ip}:{client_port}"
            if cw.kind == "gateway":
                downstream_local = f"{client.ip}:8080"
                remote = f"{xff}:{self.rng.randint(1024, 65000)}" if xff != "-" else f"{self._ip()}:{client_port}"
                route = "-"
            else:
                downstream_local = f"10.96.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}:{sw.port}"
                remote = f"{client.ip}:{self.rng.randint(32768, 60999)}"
                route = "default"
            self._write(
                client.proxy,
                lines.envoy_access(
                    Hop(
                        method,
                        path,
                        code,
                        flags,
                        client_details,
                        0,
                        size,
                        duration + 1,
                        str(duration) if server_reached else "-",
                        xff,
                        ua,
                        rid,
                        authority,
                        f"{server.ip}:{sw.port}",
                        f"outbound|{sw.port}|{subset}|{sw.service}",
                        local,
                        downstream_local,
                        remote,
                        "-",
                        route,
                    ),
                    now,
                ),
            )
        if server_reached and server.proxy is not None:
            sent = size if server_details == "via_upstream" else 19
            self._write(
                server.proxy,
                lines.envoy_access(
                    Hop(
                        method,
                        path,
                        code if server_details == "via_upstream" else 403,
                        "-",
                        server_details,
                        0,
                        sent,
                        duration if server_details == "via_upstream" else 0,
                        str(max(duration - 1, 0)) if server_details == "via_upstream" else "-",
                        xff,
                        ua,
                        rid,
                        authority,
                        f"{server.ip}:{sw.port}" if server_details == "via_upstream" else "-",
                        f"inbound|{sw.port}||",
                        f"127.0.0.6:{self.rng.randint(32768, 60999)}" if server_details == "via_upstream" else "-",
                        f"{server.ip}:{sw.port}",
                        f"{client.ip if client else self._ip()}:{client_port}",
                        f"outbound_.{sw.port}_.{subset or '_'}_.{sw.service}",
                        "default",
                    ),
                    now,
                ),
            )
        return code

    def _reviews_version(self) -> str:
        try:
            vs = self.store.get(VS, "bookinfo", "reviews")
            routes = vs["spec"]["http"][0]["route"]
        except (NotFound, KeyError, IndexError):
            return self.rng.choice(("v1", "v2", "v3"))
        total = sum(int(r.get("weight", 0)) for r in routes) or 1
        pick = self.rng.uniform(0, total)
        for r in routes:
            pick -= int(r.get("weight", 0))
            if pick <= 0:
                return r["destination"].get("subset", "v1")
        return routes[-1]["destination"].get("subset", "v1")

    def browse(self, path: str = "/productpage") -> None:
        gw, pp = self._one("istio-system", "istio-ingressgateway"), self._one("bookinfo", "productpage")
        if gw is None or pp is None:
            return
        rid, ua, xff = self._rid(), self.rng.choice(USER_AGENTS), f"203.0.113.{self.rng.randint(1, 254)}"
        allowed, policy = self.decide(
            "bookinfo",
            pp.workload.labels(),
            "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
            "istio-system",
            path,
            False,
        )
        if not allowed:
            self._hop_pair(
                gw,
                pp,
                "GET",
                path,
                403,
                rid,
                ua,
                server_details=f"rbac_access_denied_matched_policy[{policy}]",
                authority="bookinfo.example.com",
                xff=xff,
            )
            return
        details = self._one("bookinfo", "details")
        if details is not None:
            ok, pol = self.decide(
                "bookinfo", details.workload.labels(), pp.workload.principal, "bookinfo", "/details/0", False
            )
            self._hop_pair(
                pp,
                details,
                "GET",
                "/details/0",
                200 if ok else 403,
                rid,
                ua,
                server_details="via_upstream" if ok else f"rbac_access_denied_matched_policy[{pol}]",
            )
        version = self._reviews_version()
        reviews = self._one("bookinfo", "reviews", version)
        status = 200
        if reviews is not None:
            if version == "v3" and self.broken_v3 > 0:
                self.broken_v3 -= 1
                self._hop_pair(
                    pp,
                    reviews,
                    "GET",
                    "/reviews/0",
                    503,
                    rid,
                    ua,
                    flags="UF,URX",
                    client_details="upstream_reset_before_response_started{connection_failure}",
                    subset=version,
                )
            else:
                self._hop_pair(pp, reviews, "GET", "/reviews/0", 200, rid, ua, subset=version)
                ratings = self._one("bookinfo", "ratings")
                if version != "v1" and ratings is not None:
                    self._hop_pair(reviews, ratings, "GET", "/ratings/0", 200, rid, ua)
        self._hop_pair(gw, pp, "GET", path, status, rid, ua, authority="bookinfo.example.com", xff=xff)
        # the application container logs too (Flask's werkzeug access line): reachable with -c productpage
        stamp = utcnow().strftime("%d/%b/%Y %H:%M:%S")
        self._write(
            pp.logs.get("productpage"), f'INFO:werkzeug:127.0.0.6 - - [{stamp}] "GET {path} HTTP/1.1" {status} -'
        )

    def admin_probe(self) -> None:
        self.browse(self.rng.choice(("/admin", "/admin/users", "/admin/config?debug=1")))

    def sleep_to_details(self) -> None:
        sleep, details = self._one("bookinfo", "sleep"), self._one("bookinfo", "details")
        if sleep is None or details is None:
            return
        ok, policy = self.decide(
            "bookinfo", details.workload.labels(), sleep.workload.principal, "bookinfo", "/details/1", False
        )
        self._hop_pair(
            sleep,
            details,
            "GET",
            "/details/1",
            200 if ok else 403,
            self._rid(),
            "curl/8.5.0",
            server_details="via_upstream" if ok else f"rbac_access_denied_matched_policy[{policy}]",
        )

    def api_call(self) -> None:
        gw, pp = self._one("istio-system", "istio-ingressgateway"), self._one("bookinfo", "productpage")
        if gw is None or pp is None or gw.proxy is None:
            return
        rid, xff = self._rid(), f"198.51.100.{self.rng.randint(1, 254)}"
        path = f"/api/v1/products/{self.rng.randint(0, 9)}"
        token = self.rng.choice(("valid", "expired", "none"))
        if token != "none" and self.rng.random() < 0.3:
            # browser websocket/SSE clients pass the JWT in the query string: a credential in the access log
            path += f"?access_token={self._jwt()}"
        if token == "expired":
            self._gateway_local(gw, path, 401, "jwt_authn_access_denied{Jwt_is_expired}", rid, xff, 14)
            return
        ok, policy = self.decide("istio-system", gw.workload.labels(), None, None, path, token == "valid")
        if not ok:
            self._gateway_local(gw, path, 403, f"rbac_access_denied_matched_policy[{policy}]", rid, xff, 19)
            return
        self._hop_pair(
            gw, pp, "GET", path, 200, rid, "python-requests/2.32.3", authority="bookinfo.example.com", xff=xff
        )

    def _gateway_local(self, gw: SimPod, path: str, code: int, details: str, rid: str, xff: str, size: int) -> None:
        """A reply the gateway sends itself (no upstream): JWT and RBAC denials, no route."""
        self._write(
            gw.proxy,
            lines.envoy_access(
                Hop(
                    "GET",
                    path,
                    code,
                    "NR" if code == 404 else "-",
                    details,
                    0,
                    size,
                    0,
                    "-",
                    xff,
                    "python-requests/2.32.3",
                    rid,
                    "bookinfo.example.com" if code != 404 else f"{self.rng.choice(('shop', 'api', 'old'))}.example.net",
                    "-",
                    "-",
                    "-",
                    f"{gw.ip}:8080",
                    f"{xff}:{self.rng.randint(1024, 65000)}",
                    "-",
                    "-",
                ),
                utcnow(),
            ),
        )

    def no_route(self) -> None:
        gw = self._one("istio-system", "istio-ingressgateway")
        if gw is not None:
            self._gateway_local(gw, "/", 404, "route_not_found", self._rid(), f"192.0.2.{self.rng.randint(1, 254)}", 0)

    def _ambient(self, src: SimPod | None, dst: SimPod | None, denied_by: str | None) -> None:
        if dst is None:
            return
        src_ns = src.workload.namespace if src else "legacy"
        src_name = src.name if src else "unknown"
        sa = (src.workload.sa or src.workload.app) if src else "default"
        fields: dict[str, str | int] = {
            "src.addr": f"{src.ip if src else self._ip()}:{self.rng.randint(32768, 60999)}",
            "src.workload": src_name,
            "src.namespace": src_ns,
            "src.identity": f"spiffe://cluster.local/ns/{src_ns}/sa/{sa}",
            "dst.addr": f"{dst.ip}:15008",
            "dst.hbone_addr": f"{dst.ip}:{dst.workload.port}",
            "dst.service": dst.workload.service,
            "dst.workload": dst.name,
            "dst.namespace": dst.workload.namespace,
            "dst.identity": f"spiffe://cluster.local/ns/{dst.workload.namespace}/sa/{dst.workload.app}",
            "direction": "inbound",
        }
        zt = self._ztunnel(dst.node)
        if zt is None:
            return
        if denied_by:
            fields |= {
                "bytes_sent": 0,
                "bytes_recv": 0,
                "duration": "0ms",
                "error": f"connection closed due to policy rejection: explicitly denied by: {denied_by}",
            }
            self._write(zt.proxy, lines.ztunnel_access(utcnow(), "error", fields))
            return
        fields |= {
            "bytes_sent": self.rng.randint(100, 9000),
            "bytes_recv": self.rng.randint(100, 3000),
            "duration": f"{self.rng.randint(1, 80)}ms",
        }
        self._write(zt.proxy, lines.ztunnel_access(utcnow(), "info", fields))

    def shop(self) -> None:
        frontend = self._one("shop", "frontend")
        target = self._one("shop", self.rng.choice(("cart", "payments")))
        waypoint = self._one("shop", "waypoint")
        if frontend is None or target is None:
            return
        self._ambient(frontend, target, None)
        if waypoint is not None and waypoint.proxy is not None:
            tw = target.workload
            code = 200 if self.rng.random() > 0.05 else 504
            self._write(
                waypoint.proxy,
                lines.envoy_access(
                    Hop(
                        self.rng.choice(("GET", "POST")),
                        f"/{tw.app}/{self.rng.randint(1, 999)}",
                        code,
                        "UT" if code == 504 else "-",
                        "response_timeout" if code == 504 else "via_upstream",
                        0,
                        self.rng.randint(40, 900) if code == 200 else 24,
                        self.rng.randint(2, 60) if code == 200 else 2000,
                        "-",
                        "-",
                        "Go-http-client/1.1",
                        self._rid(),
                        f"{tw.service}:{tw.port}",
                        f"{target.ip}:{tw.port}",
                        f"inbound-vip|{tw.port}|http|{tw.service}",
                        f"{waypoint.ip}:{self.rng.randint(32768, 60999)}",
                        f"10.96.7.{self.rng.randint(1, 254)}:{tw.port}",
                        f"{frontend.ip}:{self.rng.randint(32768, 60999)}",
                        "-",
                        "default",
                    ),
                    utcnow(),
                ),
            )

    def legacy_to_shop(self) -> None:
        client = self._one("legacy", "client")
        target = self._one("shop", "payments")
        ok, policy = self.decide("shop", target.workload.labels() if target else {}, None, "legacy", "/", False)
        name = policy.split("-policy[")[-1].split("]")[0] if not ok else None
        self._ambient(client, target, f"shop/{name}" if name else None)

    def load_traffic(self) -> None:
        pods = [p for p in self.pods.values() if p.workload.namespace == "load" and p.running]
        if not pods:
            return
        for pod in self.rng.sample(pods, min(len(pods), 3)):
            self._hop_pair(None, pod, "GET", "/load", 200, self._rid(), "Go-http-client/1.1")

    def load_burst(self, count: int) -> int:
        """``count`` inbound access lines spread over the ``load`` pods, a few per pod.

        The heavy-load generator for benchmarks (``meshtail demo --load-rate``): one cheap
        line per request at the server's proxy, mostly 200s with some 503 UF,URX and 403
        RBAC denials.  Each pod gets its lines together, as Envoy flushes its access-log
        buffer in bursts and the kubelet streams what it finds.
        """
        pods = [p for p in self.pods.values() if p.workload.namespace == "load" and p.running]
        if not pods or count <= 0:
            return 0
        rng = self.rng
        now = utcnow()
        written = 0
        start = rng.randrange(len(pods))
        per_pod = max(1, count // len(pods))
        index = 0
        while written < count:
            pod = pods[(start + index) % len(pods)]
            index += 1
            log = pod.proxy
            if log is None or log.ended:
                if index > len(pods) * 2:
                    break
                continue
            burst_ns = time.time_ns() if rng.random() < 0.5 else None  # one flush, one runtime stamp
            for _ in range(min(per_pod, count - written)):
                self.requests += 1
                roll = rng.random()
                code, flags, details = 200, "-", "via_upstream"
                if roll < 0.02:
                    code, flags, details = 503, "UF,URX", "upstream_reset_before_response_started{connection_failure}"
                elif roll < 0.04:
                    code, details = 403, "rbac_access_denied_matched_policy[ns[load]-policy[deny-debug]-rule[0]]"
                hop = Hop(
                    "GET",
                    f"/api/items/{self.requests % 100_000}",
                    code,
                    flags,
                    details,
                    0,
                    rng.randint(150, 6000) if code == 200 else 0,
                    rng.randint(1, 40),
                    "-" if code != 200 else str(rng.randint(1, 39)),
                    "-",
                    "Go-http-client/1.1",
                    self._rid(),
                    "load:8080",
                    f"{pod.ip}:8080" if code != 403 else "-",
                    "inbound|8080||",
                    f"127.0.0.6:{rng.randint(32768, 60999)}",
                    f"{pod.ip}:8080",
                    f"10.244.9.{rng.randint(2, 250)}:{rng.randint(32768, 60999)}",
                    "outbound_.8080_._.load.load.svc.cluster.local",
                    "default",
                )
                log.append(lines.envoy_access(hop, now), burst_ns)
                self.lines += 1
                written += 1
        return written

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

    # ---- configuration changes -------------------------------------------------------------
    def _push(self, kind: str, namespace: str, name: str) -> None:
        """What istiod logs after a config change: debounce, the push, per-proxy pushes."""
        self.push_count += 1
        n = self.push_count
        since_change = f"{100 + self.rng.random():.6f}".rstrip("0")
        since_push = f"{100 + self.rng.uniform(0, 500):.6f}".rstrip("0")
        self._istiod(
            "info",
            "ads",
            f"Push debounce stable[{n}] 1 for config {kind}/{namespace}/{name}: "
            f"{since_change}ms since last change, {since_push}ms since last push, full=true",
        )
        proxies = [
            p
            for p in self.pods.values()
            if p.running and p.workload.kind in ("sidecar", "native", "gateway", "waypoint")
        ]
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._istiod(
            "info",
            "ads",
            f"XDS: Pushing Services:{len(_workloads())} ConnectedEndpoints:{len(proxies)} Version:{stamp}/{n}",
        )
        for p in sorted(proxies, key=lambda p: p.name)[:4]:
            self._istiod(
                "info",
                "ads",
                f"LDS: PUSH for node:{p.name}.{p.workload.namespace} "
                f"resources:{self.rng.randint(8, 40)} size:{self.rng.uniform(5, 90):.1f}kB",
            )

    def config_change(self) -> None:
        """The next change in a fixed rotation, each by the tool that would really make it."""
        steps: list[Callable[[], None]] = [
            self._edit_reviews_weights,
            self._toggle_details_viewer,
            self._tune_outlier_detection,
            self._toggle_deny_admin,
            self._toggle_envoyfilter,
            self._flip_peer_auth,
            self._edit_cart_route,
        ]
        steps[self._config_step % len(steps)]()
        self._config_step += 1

    def _edit_reviews_weights(self) -> None:
        a = self.rng.choice((10, 20, 30, 40, 50, 60, 70, 80))
        b = self.rng.choice([x for x in (0, 10, 20) if x <= 100 - a])

        def mutate(obj: Obj) -> None:
            routes = obj["spec"]["http"][0]["route"]
            routes[0]["weight"], routes[1]["weight"], routes[2]["weight"] = a, 100 - a - b, b

        self.store.update(VS, "bookinfo", "reviews", mutate, "kubectl-edit", "Update")
        self._push("VirtualService", "bookinfo", "reviews")

    def _toggle_details_viewer(self) -> None:
        sleep = "cluster.local/ns/bookinfo/sa/sleep"

        def mutate(obj: Obj) -> None:
            principals = obj["spec"]["rules"][0]["from"][0]["source"]["principals"]
            if sleep in principals:
                principals.remove(sleep)
            else:
                principals.append(sleep)

        self.store.update(AP, "bookinfo", "details-viewer", mutate, "argocd-controller", "Apply")
        self._push("AuthorizationPolicy", "bookinfo", "details-viewer")

    def _tune_outlier_detection(self) -> None:
        def mutate(obj: Obj) -> None:
            od = obj["spec"]["trafficPolicy"]["outlierDetection"]
            od["consecutive5xxErrors"] = self.rng.choice((3, 5, 7))
            od["baseEjectionTime"] = self.rng.choice(("30s", "1m", "3m"))

        self.store.update(DR, "bookinfo", "reviews", mutate, "helm", "Update")
        self._push("DestinationRule", "bookinfo", "reviews")

    def _toggle_deny_admin(self) -> None:
        try:
            self._saved["deny-admin"] = copy.deepcopy(self.store.get(AP, "bookinfo", "deny-admin-paths"))
            self.store.delete(AP, "bookinfo", "deny-admin-paths")
        except NotFound:
            saved = self._saved.get("deny-admin")
            if saved is None:
                return
            obj = {"metadata": {"name": "deny-admin-paths", "namespace": "bookinfo"}, "spec": saved["spec"]}
            self.store.create(AP, obj, "argocd-controller", "Apply")
        self._push("AuthorizationPolicy", "bookinfo", "deny-admin-paths")

    def _toggle_envoyfilter(self) -> None:
        try:
            self.store.get(EF, "bookinfo", "add-debug-header")
            self.store.delete(EF, "bookinfo", "add-debug-header")
            self._push("EnvoyFilter", "bookinfo", "add-debug-header")
            return
        except NotFound:
            pass
        self.store.create(
            EF,
            {
                "metadata": {"name": "add-debug-header", "namespace": "bookinfo"},
                "spec": {
                    "workloadSelector": {"labels": {"app": "productpage"}},
                    "configPatches": [
                        {
                            "applyTo": "HTTP_FILTER",
                            "match": {"context": "SIDECAR_INBOUND"},
                            "patch": {"operation": "INSERT_BEFORE", "value": {"name": "envoy.lua.debug"}},
                        }
                    ],
                },
            },
            "kubectl-client-side-apply",
            "Update",
        )
        self._push("EnvoyFilter", "bookinfo", "add-debug-header")
        pp = self._one("bookinfo", "productpage")
        if pp is not None:
            self._istiod(
                "warn",
                "ads",
                f"ADS:LDS: ACK ERROR {pp.ip}:{self.rng.randint(32768, 60999)} "
                f"sidecar~{pp.ip}~{pp.name}.bookinfo~bookinfo.svc.cluster.local-{self.rng.randint(1, 9999)} "
                "Internal:Error adding/updating listener(s) virtualInbound: Didn't find a registered "
                "implementation for 'envoy.lua.debug' with type URL: ''",
            )

    def _flip_peer_auth(self) -> None:
        def mutate(obj: Obj) -> None:
            mtls = obj["spec"]["mtls"]
            mtls["mode"] = "PERMISSIVE" if mtls["mode"] == "STRICT" else "STRICT"

        self.store.update(PA, "bookinfo", "default", mutate, "kubectl-patch", "Update")
        self._push("PeerAuthentication", "bookinfo", "default")

    def _edit_cart_route(self) -> None:
        def mutate(obj: Obj) -> None:
            obj["spec"]["rules"][0]["timeouts"]["request"] = self.rng.choice(("1s", "2s", "5s", "10s"))

        self.store.update(HR, "shop", "cart", mutate, "kubectl-edit", "Update")
        self._push("HTTPRoute", "shop", "cart")

    # ---- churn -----------------------------------------------------------------------------
    def churn(self) -> None:
        """Pods come and go and restart, in a fixed rotation."""
        step = self._churn_step % 4
        self._churn_step += 1
        if step == 0:
            pod = self._one("bookinfo", "reviews", "v3")
            if pod is not None:
                self.restart_container(pod, "istio-proxy")
                self.broken_v3 = 8
        elif step == 1:
            pod = self._one("bookinfo", "ratings")
            if pod is not None:
                self.delete_pod(pod)
                self.add_pod(pod.workload)
        elif step == 2:
            pod = self._one("bookinfo", "sleep")
            if pod is not None:
                self.scale_down(pod)
            else:
                self.add_pod(next(w for w in _workloads() if w.app == "sleep"))
        else:
            cart = [p for p in self.pods.values() if p.workload.app == "cart"]
            if len(cart) > 1:
                self.scale_down(sorted(cart, key=lambda p: p.name)[-1])
            else:
                self.add_pod(cart[0].workload if cart else next(w for w in _workloads() if w.app == "cart"))

    def churn_load(self, keep: int = 5) -> None:
        """High-rate churn: a new sidecar pod in 'load', and the oldest one there deleted."""
        try:
            self.store.get(NAMESPACE, "", "load")
        except NotFound:
            labels = {"kubernetes.io/metadata.name": "load"}
            self.store.create(NAMESPACE, {"metadata": {"name": "load", "labels": labels}}, "kube-apiserver")
        self._churned += 1
        pod = self.add_pod(Workload("load", f"churn{self._churned % 1000:03d}", "v1", 8080, "sidecar", "load"))
        self._run(pod)
        load = [p for p in self.pods.values() if p.workload.namespace == "load" and p.workload.app.startswith("churn")]
        if len(load) > keep:
            if load[0].owner is not None:
                self.remove_workload(load[0].owner)  # the workload goes with its pod: no ReplicaSet left behind
            else:
                self.delete_pod(load[0])

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


def _glob(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def _rule_matches(rule: Obj, principal: str | None, src_ns: str | None, path: str, jwt: bool) -> bool:
    for source in [f.get("source", {}) for f in rule.get("from", [])] or [{}]:
        if "principals" in source and not any(_glob(p, principal or "") for p in source["principals"]):
            return False
        if "namespaces" in source and (src_ns or "") not in source["namespaces"]:
            return False
        if "notRequestPrincipals" in source and jwt:
            return False
    for op in [t.get("operation", {}) for t in rule.get("to", [])] or [{}]:
        if "paths" in op and not any(_glob(p, path.split("?")[0]) for p in op["paths"]):
            return False
    return True


def started_at(offset: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) - offset).strftime("%Y-%m-%dT%H:%M:%SZ")
