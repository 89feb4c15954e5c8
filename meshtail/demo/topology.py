"""Who is in the demo mesh: namespaces, workloads and their identities, and how traffic is routed.

The fixtures are plain data: :data:`NAMESPACES`, :data:`WORKLOADS` and :data:`ROUTING`
(Gateway, VirtualServices, DestinationRule, the ``shop`` waypoint and HTTPRoute) describe
the cluster ``meshtail demo`` starts with; the AuthorizationPolicies and friends are in
:mod:`.policies`.  :class:`Identities` makes the random parts (pod name suffixes, IPs,
container and request ids) from the mesh's one seeded generator.
"""

from __future__ import annotations

import copy
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from .controllers import Controller
from .podlogs import ContainerLog
from .resources import BY_KEY, ResourceType
from .store import Obj

PROXY_IMAGE = "docker.io/istio/proxyv2:1.24.2"
VS = BY_KEY["virtualservices.networking.istio.io"]
DR = BY_KEY["destinationrules.networking.istio.io"]
GW = BY_KEY["gateways.networking.istio.io"]
HR = BY_KEY["httproutes.gateway.networking.k8s.io"]
KGW = BY_KEY["gateways.gateway.networking.k8s.io"]
NODES = ("demo-worker", "demo-worker2")


@dataclass(frozen=True)
class Workload:
    """One kind of pod: what it runs, under which service account, and how Istio meets it."""

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
        """The mTLS principal AuthorizationPolicies match (``source.principals``)."""
        return f"cluster.local/ns/{self.namespace}/sa/{self.sa or self.app}"

    @property
    def spiffe_id(self) -> str:
        """The SPIFFE identity in the workload's certificate, as ztunnel logs it."""
        return f"spiffe://{self.principal}"

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
    uid: str = ""
    created: str = ""  # creationTimestamp (and startTime: the kubelet sees it at once)
    ids: dict[str, str] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    previous_ids: dict[str, str] = field(default_factory=dict)
    started: dict[str, str] = field(default_factory=dict)  # container -> startedAt of its current instance
    finished: dict[str, str] = field(default_factory=dict)  # container -> finishedAt of its last ended instance
    previous_started: dict[str, str] = field(default_factory=dict)  # container -> startedAt of that instance
    logs: dict[str, ContainerLog] = field(default_factory=dict)
    owner: Controller | None = None
    failing: int = 0  # requests left that this pod's proxy fails (connection failure) after a restart

    @property
    def proxy(self) -> ContainerLog | None:
        return self.logs.get("discovery" if self.workload.kind == "istiod" else "istio-proxy")


@dataclass(frozen=True)
class Fixture:
    """One configuration object the demo cluster starts with: its type, name and ``spec``, as applied."""

    rtype: ResourceType
    namespace: str
    name: str
    spec: dict[str, Any]
    labels: dict[str, str] | None = None

    def object(self) -> Obj:
        """A fresh manifest (the store and the config edits may change what they are given)."""
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        return {"metadata": metadata, "spec": copy.deepcopy(self.spec)}


# namespace → the labels it carries besides kubernetes.io/metadata.name
NAMESPACES: dict[str, dict[str, str]] = {
    "istio-system": {},
    "bookinfo": {"istio-injection": "enabled"},
    "shop": {"istio.io/dataplane-mode": "ambient"},
    "legacy": {},
}

WORKLOADS: tuple[Workload, ...] = (
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
)


def workload(app: str) -> Workload:
    """The fixture workload named ``app`` (the first, for apps with several versions)."""
    return next(w for w in WORKLOADS if w.app == app)


ROUTING: tuple[Fixture, ...] = (
    Fixture(
        GW,
        "bookinfo",
        "bookinfo-gateway",
        {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {"port": {"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": ["bookinfo.example.com"]}
            ],
        },
    ),
    Fixture(
        VS,
        "bookinfo",
        "bookinfo",
        {
            "hosts": ["bookinfo.example.com"],
            "gateways": ["bookinfo-gateway"],
            "http": [
                {
                    "match": [{"uri": {"prefix": "/"}}],
                    "route": [{"destination": {"host": "productpage", "port": {"number": 9080}}}],
                }
            ],
        },
    ),
    Fixture(
        VS,
        "bookinfo",
        "reviews",
        {
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
        },
    ),
    Fixture(
        DR,
        "bookinfo",
        "reviews",
        {
            "host": "reviews",
            "subsets": [{"name": v, "labels": {"version": v}} for v in ("v1", "v2", "v3")],
            "trafficPolicy": {"outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s"}},
        },
    ),
    Fixture(
        KGW,
        "shop",
        "waypoint",
        {
            "gatewayClassName": "istio-waypoint",
            # allowedRoutes: the Gateway CRD's default, which the API server writes into every stored listener
            "listeners": [
                {"allowedRoutes": {"namespaces": {"from": "Same"}}, "name": "mesh", "port": 15008, "protocol": "HBONE"}
            ],
        },
        {"istio.io/waypoint-for": "service"},
    ),
    Fixture(
        HR,
        "shop",
        "cart",
        {
            "parentRefs": [{"group": "", "kind": "Service", "name": "cart", "port": 8080}],
            # backendRefs' group, kind and weight and the rule's matches: the HTTPRoute CRD's defaults, as stored
            "rules": [
                {
                    "backendRefs": [{"group": "", "kind": "Service", "name": "cart", "port": 8080, "weight": 1}],
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "timeouts": {"request": "2s"},
                }
            ],
        },
    ),
)


class Identities:
    """The random parts of names and ids, all drawn from the mesh's one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def suffix(self, n: int) -> str:
        """A pod name suffix, from the alphabet Kubernetes uses (no vowels, no look-alike digits)."""
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def ip(self) -> str:
        return f"10.244.{self.rng.randint(0, 3)}.{self.rng.randint(2, 250)}"

    def request_id(self) -> str:
        """An ``x-request-id`` as Envoy makes them (UUID v4)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
