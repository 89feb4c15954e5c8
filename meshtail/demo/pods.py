"""The Pod object of a simulated pod, as the API server holds it after admission, defaulting and the kubelet.

Everything a real pod carries shows: the defaulted spec (``restartPolicy``, ``dnsPolicy``,
``terminationGracePeriodSeconds``, ``imagePullPolicy``, the ``kube-api-access-*`` projected
volume the ServiceAccount admission plugin mounts, the default NoExecute tolerations), and a
status the kubelet would write (``startTime``, the five conditions in the kubelet's order,
``qosClass``, ``imageID``, ``lastState: {}``, ``PodInitializing`` while init containers run).
"""

from __future__ import annotations

import hashlib
from typing import Any

from .controllers import safe_encode
from .store import Obj, rfc3339
from .topology import NODES, SimPod

_SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
# the injected proxy's and init container's resources (Istio's default sidecar template)
_PROXY_RESOURCES = {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}
_RESOURCES = {
    "istio-proxy": _PROXY_RESOURCES,
    "istio-init": _PROXY_RESOURCES,
    "discovery": {"requests": {"cpu": "500m", "memory": "2Gi"}},
}
# DefaultTolerationSeconds admission: every pod tolerates an unready or unreachable node for five minutes
_DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]
# what the DaemonSet controller adds to its pods (no tolerationSeconds: they stay on the node)
_DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def host_ip(node: str) -> str:
    """The InternalIP of a node (kind's addresses)."""
    return f"172.18.0.{NODES.index(node) + 2}" if node in NODES else "172.18.0.2"


def image_id(image: str) -> str:
    """The digest reference the runtime resolved the image to (``repo@sha256:…``), as ``imageID`` reports it."""
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _api_volume(pod_name: str) -> str:
    """``kube-api-access-xxxxx``: a random suffix on a real cluster; derived from the pod's name here."""
    return "kube-api-access-" + safe_encode(hashlib.sha256(pod_name.encode()).digest()[:5].decode("latin-1"))


def _condition(kind: str, value: bool, since: str, reason: str = "", message: str = "") -> Obj:
    out: Obj = {"type": kind, "status": str(value), "lastProbeTime": None, "lastTransitionTime": since}
    if reason:
        out |= {"reason": reason, "message": message}
    return out


def qos_class(containers: list[Obj]) -> str:
    """``qos.GetPodQOS``: Guaranteed when every container's requests equal its limits, BestEffort with none."""
    requests = [c.get("resources", {}).get("requests") or {} for c in containers]
    limits = [c.get("resources", {}).get("limits") or {} for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        set(lim) >= {"cpu", "memory"} and (not req or req == lim) for req, lim in zip(requests, limits, strict=True)
    )
    return "Guaranteed" if guaranteed else "Burstable"


def pod_object(pod: SimPod) -> Obj:
    """The whole Pod as a GET returns it."""
    w = pod.workload
    names, inits = w.containers()
    now = rfc3339()
    created = pod.created or now
    volume = _api_volume(pod.name)
    mount = {"mountPath": _SA_MOUNT, "name": volume, "readOnly": True}

    def spec_of(name: str, index: int) -> Obj:
        out: Obj = {
            "name": name,
            "image": w.image(name),
            "imagePullPolicy": "IfNotPresent",
            "resources": _RESOURCES.get(name, {}),
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "volumeMounts": [mount],
        }
        if name == "istio-proxy" and w.kind == "native":
            out["restartPolicy"] = "Always"
        if name == "istio-proxy":
            out["ports"] = [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}]
        elif index == 0 and name not in inits:
            out["ports"] = [{"containerPort": w.port, "protocol": "TCP"}]
        return out

    waiting = "PodInitializing" if inits else "ContainerCreating"  # the kubelet's default waiting reason

    def status_of(name: str, init: bool) -> Obj:
        image = w.image(name)
        entry: Obj = {"name": name, "image": image, "imageID": "", "lastState": {}, "restartCount": 0}
        entry["restartCount"] = pod.restarts.get(name, 0)
        volume_mounts = [{**mount, "recursiveReadOnly": "Disabled"}]
        if init and name == "istio-init" and name in pod.ids:
            terminated = {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": pod.started[name],
                "finishedAt": pod.finished[name],
                "containerID": pod.ids[name],
            }
            entry |= {"imageID": image_id(image), "ready": True, "started": False, "containerID": pod.ids[name]}
            entry["state"] = {"terminated": terminated}
        elif pod.running and name in pod.ids:
            entry |= {
                "imageID": image_id(image),
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
            entry |= {"ready": False, "started": False, "state": {"waiting": {"reason": waiting}}}
        entry["volumeMounts"] = volume_mounts
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
    containers = [spec_of(n, i) for i, n in enumerate(names)]
    init_containers = [spec_of(n, -1) for n in inits]
    service_account = w.sa or w.app
    spec: Obj = {
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "nodeName": pod.node,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": service_account,
        "serviceAccountName": service_account,
        "terminationGracePeriodSeconds": 30,
        "tolerations": [dict(t) for t in (_DAEMON_TOLERATIONS if w.kind == "ztunnel" else _DEFAULT_TOLERATIONS)],
        "volumes": [_projected_volume(volume)],
    }
    if w.kind == "ztunnel":
        spec |= {"priorityClassName": "system-node-critical", "priority": 2000001000}
    if init_containers:
        spec["initContainers"] = init_containers
    ip = host_ip(pod.node)
    obj: Obj = {
        "metadata": metadata,
        "spec": spec,
        "status": {
            "phase": "Running" if pod.running else "Pending",
            "conditions": _conditions(pod, names, inits, created),
            "hostIP": ip,
            "hostIPs": [{"ip": ip}],
            "podIP": pod.ip,
            "podIPs": [{"ip": pod.ip}],
            "startTime": created,
            "containerStatuses": [status_of(n, False) for n in names],
            "qosClass": qos_class([*containers, *init_containers]),
        },
    }
    if inits:
        obj["status"]["initContainerStatuses"] = [status_of(n, True) for n in inits]
    return obj


def _conditions(pod: SimPod, names: list[str], inits: list[str], created: str) -> list[Obj]:
    """The kubelet's pod conditions, in the order it writes them."""
    if pod.running:
        started = [pod.started[n] for n in [*names, *inits] if n in pod.started and n != "istio-init"]
        ready_since = max(started, default=created)
        initialized = pod.finished.get("istio-init", created) if "istio-init" in inits else created
        return [
            _condition("PodReadyToStartContainers", True, created),
            _condition("Initialized", True, initialized),
            _condition("Ready", True, ready_since),
            _condition("ContainersReady", True, ready_since),
            _condition("PodScheduled", True, created),
        ]
    sidecars = [n for n in inits if n != "istio-init"]
    unready = f"containers with unready status: [{' '.join([*names, *sidecars])}]"
    init_done = not inits
    return [
        _condition("PodReadyToStartContainers", False, created),
        _condition(
            "Initialized",
            init_done,
            created,
            "" if init_done else "ContainersNotInitialized",
            "" if init_done else f"containers with incomplete status: [{' '.join(inits)}]",
        ),
        _condition("Ready", False, created, "ContainersNotReady", unready),
        _condition("ContainersReady", False, created, "ContainersNotReady", unready),
        _condition("PodScheduled", True, created),
    ]


def _projected_volume(name: str) -> Obj:
    """The service account token volume the ServiceAccount admission plugin adds to every pod."""
    sources: list[dict[str, Any]] = [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {
            "downwardAPI": {
                "items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]
            }
        },
    ]
    return {"name": name, "projected": {"sources": sources, "defaultMode": 420}}
