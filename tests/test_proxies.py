"""Which containers meshtail follows, from pod objects shaped like Istio's injected and managed pods.

Labels and container layouts follow Istio's docs and manifests: sidecar injection adds an
``istio-proxy`` container (or, with native sidecars, an init container with
``restartPolicy: Always``); gateways run ``istio-proxy`` alone with ``istio: ingressgateway``;
waypoints carry ``gateway.istio.io/managed: istio.io-mesh-controller``; ztunnel is
``app: ztunnel``; istiod runs ``discovery`` with ``app: istiod``.
"""

from __future__ import annotations

from typing import Any

from meshtail.sources.kube.proxies import targets


def pod(
    labels: dict[str, str], containers: list[str], inits: list[dict[str, Any]] | None = None, running: bool = True
) -> dict[str, Any]:
    statuses = [
        {"name": c, "containerID": f"containerd://{c}-1", "state": {"running": {}}}
        if running
        else {"name": c, "state": {"waiting": {"reason": "ContainerCreating"}}}
        for c in containers
    ]
    spec: dict[str, Any] = {"containers": [{"name": c} for c in containers]}
    status: dict[str, Any] = {"containerStatuses": statuses}
    if inits:
        spec["initContainers"] = inits
        status["initContainerStatuses"] = [
            {"name": i["name"], "containerID": f"containerd://{i['name']}-1", "state": {"running": {}}} for i in inits
        ]
    return {"metadata": {"namespace": "ns", "name": "p", "labels": labels}, "spec": spec, "status": status}


def kinds(obj: dict[str, Any], extra: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(t.container, t.kind) for t in targets(obj, extra)]


def test_sidecar_container_and_native_sidecar() -> None:
    assert kinds(pod({"app": "reviews"}, ["reviews", "istio-proxy"], [{"name": "istio-init"}])) == [
        ("istio-proxy", "sidecar")
    ]
    native = pod(
        {"app": "reviews"}, ["reviews"], [{"name": "istio-init"}, {"name": "istio-proxy", "restartPolicy": "Always"}]
    )
    assert kinds(native) == [("istio-proxy", "sidecar")]


def test_gateways_waypoints_ztunnel_istiod() -> None:
    assert kinds(pod({"app": "istio-ingressgateway", "istio": "ingressgateway"}, ["istio-proxy"])) == [
        ("istio-proxy", "gateway")
    ]
    assert kinds(pod({"gateway.networking.k8s.io/gateway-name": "public"}, ["istio-proxy"])) == [
        ("istio-proxy", "gateway")
    ]
    waypoint = {"gateway.istio.io/managed": "istio.io-mesh-controller", "gateway.networking.k8s.io/gateway-name": "w"}
    assert kinds(pod(waypoint, ["istio-proxy"])) == [("istio-proxy", "waypoint")]
    assert kinds(pod({"app": "ztunnel"}, ["istio-proxy"])) == [("istio-proxy", "ztunnel")]
    assert kinds(pod({"app": "istiod", "istio": "pilot"}, ["discovery"])) == [("discovery", "istiod")]


def test_plain_pods_are_skipped_unless_a_container_is_named() -> None:
    plain = pod({"app": "client"}, ["client"])
    assert kinds(plain) == []
    assert kinds(plain, ("client",)) == [("client", "pod")]


def test_container_instance_and_state_come_from_status() -> None:
    waiting = targets(pod({"app": "x"}, ["x", "istio-proxy"], running=False))
    assert [(t.container_id, t.state) for t in waiting] == [(None, "waiting")]
    running = targets(pod({"app": "x"}, ["x", "istio-proxy"]))[0]
    assert running.container_id == "containerd://istio-proxy-1" and running.state == "running"
    assert running.name == "ns/p[istio-proxy]"
