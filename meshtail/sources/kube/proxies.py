"""Which containers of a pod carry mesh logs, and what kind of proxy each one is.

Decided from the pod alone (labels, container names, native-sidecar init containers),
so it is a pure function that tests can feed real pod objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PROXY = "istio-proxy"


@dataclass(frozen=True, slots=True)
class Target:
    """One container log to follow: a container instance (containerID) of a pod."""

    namespace: str
    pod: str
    container: str
    kind: str  # sidecar | gateway | waypoint | ztunnel | istiod | pod
    container_id: str | None
    state: str  # running | waiting | terminated | unknown
    previous_id: str | None = None  # the instance before this one (lastState.terminated.containerID)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.namespace, self.pod, self.container

    @property
    def name(self) -> str:
        return f"{self.namespace}/{self.pod}[{self.container}]"


def pod_kind(labels: dict[str, str]) -> str | None:
    """The proxy kind the pod's labels announce, if any (sidecars are found by container)."""
    if labels.get("app") == "istiod" or labels.get("istio") == "pilot":
        return "istiod"
    if labels.get("app") == "ztunnel":
        return "ztunnel"
    if (
        labels.get("gateway.istio.io/managed") == "istio.io-mesh-controller"
        or labels.get("gateway.networking.k8s.io/gateway-class-name") == "istio-waypoint"
    ):
        return "waypoint"
    if labels.get("istio") in ("ingressgateway", "egressgateway") or "gateway.networking.k8s.io/gateway-name" in labels:
        return "gateway"
    return None


def _statuses(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    status = pod.get("status") or {}
    out = {}
    for entry in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        if isinstance(entry, dict) and "name" in entry:
            out[entry["name"]] = entry
    return out


def _state(entry: dict[str, Any] | None) -> str:
    state = (entry or {}).get("state") or {}
    for name in ("running", "waiting", "terminated"):
        if name in state:
            return name
    return "unknown"


def targets(pod: dict[str, Any], extra_containers: Iterable[str] = ()) -> list[Target]:
    """Every mesh container of ``pod`` (and any container named in ``extra_containers``)."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    labels = meta.get("labels") or {}
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    kind = pod_kind(labels)
    extra = set(extra_containers)
    statuses = _statuses(pod)
    chosen: list[tuple[str, str]] = []
    for container in spec.get("containers") or []:
        cname = container.get("name", "")
        if kind == "istiod" and cname == "discovery":
            chosen.append((cname, "istiod"))
        elif cname == PROXY:
            chosen.append((cname, kind if kind in ("gateway", "waypoint", "ztunnel") else "sidecar"))
        elif cname in extra:
            chosen.append((cname, "pod"))
    for container in spec.get("initContainers") or []:
        cname = container.get("name", "")
        # a native sidecar: an init container that keeps running (restartPolicy: Always)
        if cname == PROXY and container.get("restartPolicy") == "Always":
            chosen.append((cname, kind if kind in ("gateway", "waypoint") else "sidecar"))
        elif cname in extra:
            chosen.append((cname, "pod"))
    out = []
    for cname, ckind in chosen:
        entry = statuses.get(cname)
        entry = entry or {}
        previous = ((entry.get("lastState") or {}).get("terminated") or {}).get("containerID") or None
        out.append(Target(namespace, name, cname, ckind, entry.get("containerID") or None, _state(entry), previous))
    return out
