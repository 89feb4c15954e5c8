"""The resource types the stand-in serves, as discovery describes them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ResourceType:
    group: str
    versions: tuple[str, ...]  # served versions, preferred first
    plural: str
    kind: str
    singular: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = field(default=())
    verbs: tuple[str, ...] = ("get", "list", "watch")

    @property
    def key(self) -> str:
        """``plural.group`` (``pods`` for the core group), the store's key for the type."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def api_version(self, version: str | None = None) -> str:
        version = version or self.versions[0]
        return f"{self.group}/{version}" if self.group else version


POD = ResourceType("", ("v1",), "pods", "Pod", "pod", short_names=("po",), categories=("all",))
NAMESPACE = ResourceType("", ("v1",), "namespaces", "Namespace", "namespace", namespaced=False, short_names=("ns",))

# The workload controllers that own the pods: kubectl resolves ``deploy/NAME`` (logs, describe)
# through these, so the stand-in serves them with the ownership chain a real cluster has.
DEPLOYMENT = ResourceType(
    "apps", ("v1",), "deployments", "Deployment", "deployment", short_names=("deploy",), categories=("all",)
)
REPLICASET = ResourceType(
    "apps", ("v1",), "replicasets", "ReplicaSet", "replicaset", short_names=("rs",), categories=("all",)
)
DAEMONSET = ResourceType(
    "apps", ("v1",), "daemonsets", "DaemonSet", "daemonset", short_names=("ds",), categories=("all",)
)
APPS_TYPES: tuple[ResourceType, ...] = (DEPLOYMENT, REPLICASET, DAEMONSET)

_ISTIO_NET = ("v1", "v1beta1", "v1alpha3")
_ISTIO_SEC = ("v1", "v1beta1")
_GW = ("v1", "v1beta1")

MESH_TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "networking.istio.io", _ISTIO_NET, "virtualservices", "VirtualService", "virtualservice", True, ("vs",)
    ),
    ResourceType(
        "networking.istio.io", _ISTIO_NET, "destinationrules", "DestinationRule", "destinationrule", True, ("dr",)
    ),
    ResourceType("networking.istio.io", _ISTIO_NET, "gateways", "Gateway", "gateway", True, ("gw",)),
    ResourceType("networking.istio.io", _ISTIO_NET, "serviceentries", "ServiceEntry", "serviceentry", True, ("se",)),
    ResourceType("networking.istio.io", _ISTIO_NET, "sidecars", "Sidecar", "sidecar", True),
    ResourceType("networking.istio.io", ("v1alpha3",), "envoyfilters", "EnvoyFilter", "envoyfilter", True),
    ResourceType(
        "security.istio.io",
        _ISTIO_SEC,
        "authorizationpolicies",
        "AuthorizationPolicy",
        "authorizationpolicy",
        True,
        ("ap",),
    ),
    ResourceType(
        "security.istio.io",
        _ISTIO_SEC,
        "peerauthentications",
        "PeerAuthentication",
        "peerauthentication",
        True,
        ("pa",),
    ),
    ResourceType(
        "security.istio.io",
        _ISTIO_SEC,
        "requestauthentications",
        "RequestAuthentication",
        "requestauthentication",
        True,
        ("ra",),
    ),
    ResourceType(
        "telemetry.istio.io", ("v1", "v1alpha1"), "telemetries", "Telemetry", "telemetry", True, ("telemetry",)
    ),
    ResourceType("gateway.networking.k8s.io", _GW, "gateways", "Gateway", "gateway", True, ("gtw",)),
    ResourceType("gateway.networking.k8s.io", _GW, "httproutes", "HTTPRoute", "httproute", True),
    ResourceType(
        "gateway.networking.k8s.io", ("v1",), "gatewayclasses", "GatewayClass", "gatewayclass", False, ("gc",)
    ),
    ResourceType(
        "gateway.networking.k8s.io",
        ("v1beta1",),
        "referencegrants",
        "ReferenceGrant",
        "referencegrant",
        True,
        ("refgrant",),
    ),
)

GROUPED_TYPES: tuple[ResourceType, ...] = (*APPS_TYPES, *MESH_TYPES)
ALL_TYPES: tuple[ResourceType, ...] = (POD, NAMESPACE, *GROUPED_TYPES)
BY_KEY = {t.key: t for t in ALL_TYPES}


def _review(group: str, plural: str, kind: str, namespaced: bool = False) -> ResourceType:
    return ResourceType(group, ("v1",), plural, kind, kind.lower(), namespaced, verbs=("create",))


# The review kinds every real API server has: "create" requests that store nothing and answer in
# ``status`` (``kubectl auth can-i``, ``auth can-i --list``, ``auth whoami``).  Served outside the
# object store; the ones a user without RBAC grants cannot create are refused as on a real server.
SELF_SUBJECT_REVIEW = _review("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview")
SELF_SUBJECT_ACCESS_REVIEW = _review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview")
SELF_SUBJECT_RULES_REVIEW = _review("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview")
REVIEW_TYPES: tuple[ResourceType, ...] = (
    SELF_SUBJECT_REVIEW,
    _review("authentication.k8s.io", "tokenreviews", "TokenReview"),
    _review("authorization.k8s.io", "localsubjectaccessreviews", "LocalSubjectAccessReview", namespaced=True),
    SELF_SUBJECT_ACCESS_REVIEW,
    SELF_SUBJECT_RULES_REVIEW,
    _review("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview"),
)
# every type discovery lists, in a real server's group order (core, apps, authentication, authorization, CRDs)
DISCOVERED_TYPES: tuple[ResourceType, ...] = (POD, NAMESPACE, *APPS_TYPES, *REVIEW_TYPES, *MESH_TYPES)


def groups() -> dict[str, list[str]]:
    """Every non-core group with its served versions, preferred first (``apps`` first, as a real server lists it)."""
    out: dict[str, list[str]] = {}
    for t in DISCOVERED_TYPES:
        if not t.group:
            continue
        versions = out.setdefault(t.group, [])
        for v in t.versions:
            if v not in versions:
                versions.append(v)
    order = {"v1": 0, "v1beta1": 1, "v1alpha3": 2, "v1alpha2": 3, "v1alpha1": 4}
    return {g: sorted(vs, key=lambda v: order.get(v, 9)) for g, vs in out.items()}


def find(group: str, version: str, plural: str, among: tuple[ResourceType, ...] = ALL_TYPES) -> ResourceType | None:
    """The type served at ``/apis/group/version/plural`` (``/api/v1/plural`` for core), if any."""
    for t in among:
        if t.group == group and t.plural == plural and version in t.versions:
            return t
    return None
