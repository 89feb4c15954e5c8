"""The resource types the stand-in serves, as discovery describes them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# what discovery lists for every resource a real server stores (whatever RBAC then allows)
FULL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_GET_PATCH_UPDATE = ("get", "patch", "update")
_STATUS = (("status", "", _GET_PATCH_UPDATE),)


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
    verbs: tuple[str, ...] = FULL_VERBS
    subresources: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (name, kind, verbs), as discovery lists them

    @property
    def key(self) -> str:
        """``plural.group`` (``pods`` for the core group), the store's key for the type."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def api_version(self, version: str | None = None) -> str:
        version = version or self.versions[0]
        return f"{self.group}/{version}" if self.group else version


POD = ResourceType(
    "",
    ("v1",),
    "pods",
    "Pod",
    "pod",
    short_names=("po",),
    categories=("all",),
    subresources=(
        ("attach", "PodAttachOptions", ("create", "get")),
        ("binding", "Binding", ("create",)),
        ("ephemeralcontainers", "", _GET_PATCH_UPDATE),
        ("eviction", "Eviction", ("create",)),
        ("exec", "PodExecOptions", ("create", "get")),
        ("log", "", ("get",)),
        ("portforward", "PodPortForwardOptions", ("create", "get")),
        ("proxy", "PodProxyOptions", ("create", "delete", "get", "patch", "update")),
        ("resize", "", _GET_PATCH_UPDATE),
        ("status", "", _GET_PATCH_UPDATE),
    ),
)
NAMESPACE = ResourceType(
    "",
    ("v1",),
    "namespaces",
    "Namespace",
    "namespace",
    namespaced=False,
    short_names=("ns",),
    verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    subresources=(("finalize", "", ("update",)), ("status", "", _GET_PATCH_UPDATE)),
)
# the core kinds every cluster has (the demo's own objects in them: kinds.py)
SERVICE = ResourceType(
    "",
    ("v1",),
    "services",
    "Service",
    "service",
    short_names=("svc",),
    categories=("all",),
    verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    subresources=(("proxy", "ServiceProxyOptions", ("create", "delete", "get", "patch", "update")), *_STATUS),
)
ENDPOINTS = ResourceType("", ("v1",), "endpoints", "Endpoints", "endpoints", short_names=("ep",))
EVENT = ResourceType("", ("v1",), "events", "Event", "event", short_names=("ev",))
CONFIGMAP = ResourceType("", ("v1",), "configmaps", "ConfigMap", "configmap", short_names=("cm",))
SECRET = ResourceType("", ("v1",), "secrets", "Secret", "secret")
SERVICEACCOUNT = ResourceType(
    "",
    ("v1",),
    "serviceaccounts",
    "ServiceAccount",
    "serviceaccount",
    short_names=("sa",),
    subresources=(("token", "TokenRequest", ("create",)),),
)
NODE = ResourceType(
    "",
    ("v1",),
    "nodes",
    "Node",
    "node",
    namespaced=False,
    short_names=("no",),
    subresources=(("proxy", "NodeProxyOptions", ("create", "delete", "get", "patch", "update")), *_STATUS),
)
EVENTS_V1 = ResourceType("events.k8s.io", ("v1",), "events", "Event", "event", short_names=("ev",))
ENDPOINTSLICE = ResourceType("discovery.k8s.io", ("v1",), "endpointslices", "EndpointSlice", "endpointslice")
CRD = ResourceType(
    "apiextensions.k8s.io",
    ("v1",),
    "customresourcedefinitions",
    "CustomResourceDefinition",
    "customresourcedefinition",
    namespaced=False,
    short_names=("crd", "crds"),
    categories=("api-extensions",),
    subresources=_STATUS,
)
HPA = ResourceType(
    "autoscaling",
    ("v2", "v1"),
    "horizontalpodautoscalers",
    "HorizontalPodAutoscaler",
    "horizontalpodautoscaler",
    short_names=("hpa",),
    categories=("all",),
    subresources=_STATUS,
)
CORE_TYPES: tuple[ResourceType, ...] = (
    POD,
    NAMESPACE,
    SERVICE,
    ENDPOINTS,
    EVENT,
    CONFIGMAP,
    SECRET,
    SERVICEACCOUNT,
    NODE,
)

# The workload controllers that own the pods: kubectl resolves ``deploy/NAME`` (logs, describe)
# through these, so the stand-in serves them with the ownership chain a real cluster has.
_SCALE = (("scale", "Scale", _GET_PATCH_UPDATE), *_STATUS)
DEPLOYMENT = ResourceType(
    "apps",
    ("v1",),
    "deployments",
    "Deployment",
    "deployment",
    short_names=("deploy",),
    categories=("all",),
    subresources=_SCALE,
)
REPLICASET = ResourceType(
    "apps",
    ("v1",),
    "replicasets",
    "ReplicaSet",
    "replicaset",
    short_names=("rs",),
    categories=("all",),
    subresources=_SCALE,
)
DAEMONSET = ResourceType(
    "apps",
    ("v1",),
    "daemonsets",
    "DaemonSet",
    "daemonset",
    short_names=("ds",),
    categories=("all",),
    subresources=_STATUS,
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

# the CRDs' categories (``kubectl get istio-io``) and their status subresource, as Istio and Gateway API ship them
_CATEGORIES = {
    "networking.istio.io": ("istio-io", "networking-istio-io"),
    "security.istio.io": ("istio-io", "security-istio-io"),
    "telemetry.istio.io": ("istio-io", "telemetry-istio-io"),
    "extensions.istio.io": ("istio-io", "extensions-istio-io"),
    "gateway.networking.k8s.io": ("gateway-api",),
}
MESH_TYPES = tuple(
    replace(
        t,
        categories=_CATEGORIES[t.group],
        subresources=() if t.kind == "ReferenceGrant" else _STATUS,
    )
    for t in (
        *MESH_TYPES,
        ResourceType("extensions.istio.io", ("v1alpha1",), "wasmplugins", "WasmPlugin", "wasmplugin", True),
    )
)

GROUPED_TYPES: tuple[ResourceType, ...] = (*APPS_TYPES, EVENTS_V1, HPA, CRD, ENDPOINTSLICE, *MESH_TYPES)
ALL_TYPES: tuple[ResourceType, ...] = (*CORE_TYPES, *GROUPED_TYPES)
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
DISCOVERED_TYPES: tuple[ResourceType, ...] = (
    *CORE_TYPES,
    *APPS_TYPES,
    EVENTS_V1,
    HPA,
    CRD,
    ENDPOINTSLICE,
    *REVIEW_TYPES,
    *MESH_TYPES,
)


# the aggregator's group priorities (DefaultGenericAPIServicePriorities and the kube-apiserver's own); every
# CustomResourceDefinition's group is registered at 1000 (crdregistration's autoregistered APIServices)
GROUP_PRIORITY = {
    "apiregistration.k8s.io": 18000,
    "apps": 17800,
    "events.k8s.io": 17750,
    "authentication.k8s.io": 17700,
    "authorization.k8s.io": 17600,
    "autoscaling": 17500,
    "batch": 17400,
    "certificates.k8s.io": 17300,
    "networking.k8s.io": 17200,
    "policy": 17100,
    "rbac.authorization.k8s.io": 17000,
    "storage.k8s.io": 16800,
    "admissionregistration.k8s.io": 16700,
    "apiextensions.k8s.io": 16700,
    "scheduling.k8s.io": 16600,
    "coordination.k8s.io": 16500,
    "node.k8s.io": 16300,
    "discovery.k8s.io": 16200,
    "flowcontrol.apiserver.k8s.io": 16100,
}
CRD_GROUP_PRIORITY = 1000


def groups() -> dict[str, list[str]]:
    """Every non-core group with its served versions, preferred first, in the aggregator's order.

    The aggregator sorts its APIServices by group priority (highest first), then by APIService name
    (``version.group``), and lists each group where its first APIService falls: so among CRD groups
    ``v1.gateway.networking.k8s.io`` comes before ``v1.networking.istio.io``, and ``kubectl get gateways``
    means Gateway API's Gateway, as on a real cluster with both installed (istio/istio#44354).
    """
    out: dict[str, list[str]] = {}
    for t in DISCOVERED_TYPES:
        if not t.group:
            continue
        versions = out.setdefault(t.group, [])
        for v in t.versions:
            if v not in versions:
                versions.append(v)
    order = {"v1": 0, "v1beta1": 1, "v1alpha3": 2, "v1alpha2": 3, "v1alpha1": 4}

    def position(group: str) -> tuple[int, str]:
        return -GROUP_PRIORITY.get(group, CRD_GROUP_PRIORITY), min(f"{v}.{group}" for v in out[group])

    return {g: sorted(out[g], key=lambda v: order.get(v, 9)) for g in sorted(out, key=position)}


def find(group: str, version: str, plural: str, among: tuple[ResourceType, ...] = ALL_TYPES) -> ResourceType | None:
    """The type served at ``/apis/group/version/plural`` (``/api/v1/plural`` for core), if any."""
    for t in among:
        if t.group == group and t.plural == plural and version in t.versions:
            return t
    return None
