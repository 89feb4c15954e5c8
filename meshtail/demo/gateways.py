"""What istiod (1.24) writes about Gateway API objects: its GatewayClasses and the status of Gateways and routes.

On a real ambient cluster istiod's gateway controllers install the ``istio``, ``istio-remote``
and ``istio-waypoint`` GatewayClasses and mark them Accepted, and report every Gateway and
route they handle in its ``status`` subresource: a waypoint Gateway is Accepted and Programmed
with its Service's address (``kubectl get gateways`` prints them in its ADDRESS and PROGRAMMED
columns), each listener has its four conditions, and an HTTPRoute bound to a Service is
Accepted with its references resolved.  The condition texts and their (sorted) order are
pilot/pkg/config/kube/gateway's.
"""

from __future__ import annotations

from typing import Any

from .resources import BY_KEY, SERVICE
from .store import NotFound, Obj, ObjectStore, rfc3339

GATEWAY_CLASS = BY_KEY["gatewayclasses.gateway.networking.k8s.io"]
GATEWAY = BY_KEY["gateways.gateway.networking.k8s.io"]
HTTPROUTE = BY_KEY["httproutes.gateway.networking.k8s.io"]
MANAGER = "pilot-discovery"
ROUTE_CONTROLLER = "istio.io/gateway-controller"
# name, controllerName, description (pilot/pkg/config/kube/gateway: classInfos)
CLASSES = (
    ("istio", "istio.io/gateway-controller", "The default Istio GatewayClass"),
    ("istio-remote", "istio.io/unmanaged-gateway", "Remote to this cluster. Does not deploy or affect configuration."),
    ("istio-waypoint", "istio.io/mesh-controller", "The default Istio waypoint GatewayClass"),
)


def _condition(kind: str, reason: str, message: str, generation: int, status: str = "True") -> Obj:
    return {
        "lastTransitionTime": rfc3339(),
        "message": message,
        "observedGeneration": generation,
        "reason": reason,
        "status": status,
        "type": kind,
    }


def install_classes(store: ObjectStore) -> None:
    """The GatewayClasses istiod creates at start, each Accepted ("Handled by Istio controller")."""
    for name, controller, description in CLASSES:
        obj = {"metadata": {"name": name}, "spec": {"controllerName": controller, "description": description}}
        created = store.create(GATEWAY_CLASS, obj, MANAGER)
        accepted = _condition("Accepted", "Accepted", "Handled by Istio controller", created["metadata"]["generation"])
        _write_status(store, GATEWAY_CLASS, "", name, {"conditions": [accepted]})


def report(store: ObjectStore) -> None:
    """Status for every Gateway API Gateway and HTTPRoute in the store, as istiod's status writer leaves it."""
    for gateway in store.list(GATEWAY, None, lambda _: True)[0]:
        meta = gateway["metadata"]
        _write_status(store, GATEWAY, meta["namespace"], meta["name"], gateway_status(store, gateway))
    for route in store.list(HTTPROUTE, None, lambda _: True)[0]:
        refresh_route(store, route["metadata"]["namespace"], route["metadata"]["name"])


def refresh_route(store: ObjectStore, namespace: str, name: str) -> None:
    """Report an HTTPRoute again (after an edit): its parents, at the route's current generation."""
    route = store.get(HTTPROUTE, namespace, name)
    _write_status(store, HTTPROUTE, namespace, name, route_status(route))


def gateway_status(store: ObjectStore, gateway: Obj) -> Obj:
    """A managed Gateway's status: its Service's address, Accepted and Programmed, and each listener's conditions."""
    meta, spec = gateway["metadata"], gateway["spec"]
    generation = meta.get("generation", 1)
    host = f"{meta['name']}.{meta['namespace']}.svc.cluster.local"
    try:
        service = store.get(SERVICE, meta["namespace"], meta["name"])
    except NotFound:
        service = None
    if service is None:
        missing = f'Failed to assign to any requested addresses: hostname "{host}" not found'
        programmed = _condition("Programmed", "AddressNotUsable", missing, generation, "False")
        addresses: list[Obj] = []
    else:
        ports = ", ".join(f"{host}:{listener['port']}" for listener in spec.get("listeners", []))
        message = f"Resource programmed, assigned to service(s) {ports}"
        programmed = _condition("Programmed", "Programmed", message, generation)
        # a waypoint reports both address types, the IP first (what the ADDRESS column shows)
        addresses = [{"type": "IPAddress", "value": service["spec"]["clusterIP"]}, {"type": "Hostname", "value": host}]
    status: Obj = {}
    if addresses:
        status["addresses"] = addresses
    status["conditions"] = [_condition("Accepted", "Accepted", "Resource accepted", generation), programmed]
    status["listeners"] = [_listener_status(listener, generation) for listener in spec.get("listeners", [])]
    return status


def _listener_status(listener: Obj, generation: int) -> Obj:
    fine = "No errors found"
    return {
        "attachedRoutes": 0,
        "conditions": [
            _condition("Accepted", "Accepted", fine, generation),
            _condition("Conflicted", "NoConflicts", fine, generation, "False"),
            _condition("Programmed", "Programmed", fine, generation),
            _condition("ResolvedRefs", "ResolvedRefs", fine, generation),
        ],
        "name": listener["name"],
        "supportedKinds": _supported_kinds(listener.get("protocol", "")),
    }


def _supported_kinds(protocol: str) -> list[Obj]:
    """generateSupportedKinds: HTTP(S) takes HTTPRoute and GRPCRoute; an HBONE (waypoint) listener none."""
    group = "gateway.networking.k8s.io"
    if protocol in ("HTTP", "HTTPS"):
        return [{"group": group, "kind": "HTTPRoute"}, {"group": group, "kind": "GRPCRoute"}]
    if protocol == "TCP":
        return [{"group": group, "kind": "TCPRoute"}]
    return []


def route_status(route: Obj) -> Obj:
    """Each parent of a route Accepted ("Route was valid") with its references resolved."""
    generation = route["metadata"].get("generation", 1)
    parents: list[Any] = []
    for ref in route["spec"].get("parentRefs", []):
        conditions = [
            _condition("Accepted", "Accepted", "Route was valid", generation),
            _condition("ResolvedRefs", "ResolvedRefs", "All references resolved", generation),
        ]
        parents.append({"conditions": conditions, "controllerName": ROUTE_CONTROLLER, "parentRef": dict(ref)})
    return {"parents": parents}


def _write_status(store: ObjectStore, rtype: Any, namespace: str, name: str, status: Obj) -> None:
    """One write to the status subresource by istiod (a status change never bumps the generation)."""

    def mutate(obj: Obj) -> None:
        obj["status"] = status

    store.update(rtype, namespace, name, mutate, MANAGER, "Update", "status")
