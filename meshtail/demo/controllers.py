"""What the Deployment, ReplicaSet and DaemonSet controllers would have written for the demo's workloads.

kubectl finds a workload's pods through these objects: ``kubectl logs deploy/NAME`` reads the
Deployment's ``spec.selector`` and lists pods with it; ``kubectl describe deploy`` lists the
ReplicaSets with the same selector and keeps those whose controller ``ownerReference`` is the
Deployment, then picks the one whose template equals the Deployment's (ignoring the
``pod-template-hash`` label).  So the stand-in keeps the real chain: pod → ReplicaSet →
Deployment (or pod → DaemonSet for ztunnel), with the hash in names, labels and selectors,
and statuses counted from the pods, as the controller manager does.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

# k8s.io/apimachinery/pkg/util/rand: the alphabet without vowels and look-alike digits
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString``: each byte mapped into the safe alphabet (how hashes become name parts)."""
    return "".join(_SAFE[ord(ch) % len(_SAFE)] for ch in text)


def template_hash(template: Obj) -> str:
    """A ``pod-template-hash`` shaped as the Deployment controller makes it: FNV-32a, in decimal, safe-encoded.

    The controller hashes its Go struct dump; hashing the canonical JSON keeps the same
    properties (stable for one template, different for another) and the same look
    (``5b8f9c7d4``: 8-10 characters from ``4-9bcdf``).
    """
    value = 0x811C9DC5
    for byte in json.dumps(template, sort_keys=True, separators=(",", ":")).encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return safe_encode(str(value))


@dataclass(eq=False)
class Controller:
    """One workload's owner chain: a Deployment with its ReplicaSet, or a DaemonSet.

    ``pods`` are the live pods it owns, by name; ``replicas`` the desired count (a
    Deployment's ``spec.replicas``; a DaemonSet's desired count is one per node).
    """

    kind: str  # "Deployment" | "DaemonSet"
    namespace: str
    name: str
    selector: dict[str, str]
    template: Obj
    manager: str  # who created it (kubectl apply, helm, istio's gateway controller)
    replicas: int = 1
    hash: str = ""
    owner_uid: str = ""  # uid of what the pods' ownerReference names (the ReplicaSet or the DaemonSet)
    deployment_uid: str = ""
    pods: dict[str, Any] = field(default_factory=dict)
    available: bool | None = None  # the Available condition as last written
    available_since: str = ""

    def __post_init__(self) -> None:
        self.hash = template_hash(self.template)

    @property
    def owner_name(self) -> str:
        """The name in the pods' ownerReference: ``NAME-HASH`` (ReplicaSet) or ``NAME`` (DaemonSet)."""
        return f"{self.name}-{self.hash}" if self.kind == "Deployment" else self.name

    @property
    def hash_label(self) -> dict[str, str]:
        """The label the controller adds to its pods (and, for a ReplicaSet, to its selector)."""
        if self.kind == "Deployment":
            return {"pod-template-hash": self.hash}
        return {"controller-revision-hash": self.hash, "pod-template-generation": "1"}

    def owner_reference(self) -> Obj:
        """The pods' controller ownerReference, as the ReplicaSet or DaemonSet controller writes it."""
        return {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet" if self.kind == "Deployment" else "DaemonSet",
            "name": self.owner_name,
            "uid": self.owner_uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }


def pod_template(labels: dict[str, str], service_account: str, containers: list[tuple[str, str, int | None]]) -> Obj:
    """A ``PodTemplateSpec`` as the API server stores it after defaulting (what ``describe`` prints)."""
    specs = []
    for name, image, port in containers:
        spec: Obj = {
            "name": name,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "resources": {},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
        }
        if port:
            spec["ports"] = [{"containerPort": port, "protocol": "TCP"}]
        specs.append(spec)
    return {
        "metadata": {"labels": dict(labels)},
        "spec": {
            "containers": specs,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": service_account,
            "serviceAccount": service_account,
            "securityContext": {},
            "schedulerName": "default-scheduler",
        },
    }


def _max_surge(replicas: int) -> int:
    return -(-replicas * 25 // 100)  # maxSurge 25 %, rounded up


def _max_unavailable(replicas: int) -> int:
    return replicas * 25 // 100  # maxUnavailable 25 %, rounded down


def deployment_object(ctl: Controller) -> Obj:
    """The Deployment as ``kubectl apply`` (or helm) created it; status is written separately."""
    return {
        "metadata": {
            "name": ctl.name,
            "namespace": ctl.namespace,
            "labels": dict(ctl.selector),
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {
            "replicas": ctl.replicas,
            "selector": {"matchLabels": dict(ctl.selector)},
            "template": copy.deepcopy(ctl.template),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {},
    }


def replicaset_object(ctl: Controller) -> Obj:
    """The Deployment's ReplicaSet: its template plus the hash label, owned by the Deployment."""
    template = copy.deepcopy(ctl.template)
    template["metadata"]["labels"] |= ctl.hash_label
    return {
        "metadata": {
            "name": ctl.owner_name,
            "namespace": ctl.namespace,
            "labels": {**ctl.template["metadata"]["labels"], **ctl.hash_label},
            "annotations": replicaset_annotations(ctl.replicas),
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": ctl.name,
                    "uid": ctl.deployment_uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": ctl.replicas,
            "selector": {"matchLabels": {**ctl.selector, **ctl.hash_label}},
            "template": template,
        },
        "status": {"replicas": 0},
    }


def replicaset_annotations(replicas: int) -> dict[str, str]:
    """What the Deployment controller notes on its ReplicaSet (``kubectl rollout`` reads the revision)."""
    return {
        "deployment.kubernetes.io/desired-replicas": str(replicas),
        "deployment.kubernetes.io/max-replicas": str(replicas + _max_surge(replicas)),
        "deployment.kubernetes.io/revision": "1",
    }


def daemonset_object(ctl: Controller) -> Obj:
    """The DaemonSet (ztunnel runs one pod per node)."""
    template = copy.deepcopy(ctl.template)
    return {
        "metadata": {
            "name": ctl.name,
            "namespace": ctl.namespace,
            "labels": dict(ctl.selector),
            "annotations": {"deprecated.daemonset.template.generation": "1"},
        },
        "spec": {
            "selector": {"matchLabels": dict(ctl.selector)},
            "template": template,
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
            "revisionHistoryLimit": 10,
        },
        "status": {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0},
    }


def _nonzero(**counts: int) -> dict[str, int]:
    """Go's ``omitempty``: zero counts are left out of the JSON."""
    return {k: v for k, v in counts.items() if v}


def replicaset_status(ctl: Controller, generation: int, ready: int) -> Obj:
    """``status`` of the ReplicaSet: ``replicas`` is always written, the other counts only when non-zero."""
    current = len(ctl.pods)
    return {
        "replicas": current,
        **_nonzero(fullyLabeledReplicas=current, readyReplicas=ready, availableReplicas=ready),
        "observedGeneration": generation,
    }


def deployment_status(ctl: Controller, generation: int, ready: int, now: str) -> Obj:
    """``status`` of the Deployment, with the Available and Progressing conditions ``describe`` prints."""
    current = len(ctl.pods)
    available = ready >= ctl.replicas - _max_unavailable(ctl.replicas)
    if available != ctl.available:
        ctl.available, ctl.available_since = available, now
    since = ctl.available_since
    condition = (
        ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        if available
        else ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
    )
    return {
        "observedGeneration": generation,
        **_nonzero(
            replicas=current,
            updatedReplicas=current,
            readyReplicas=ready,
            availableReplicas=ready,
            unavailableReplicas=max(0, ctl.replicas - ready),
        ),
        "conditions": [
            {
                "type": "Available",
                "status": condition[0],
                "lastUpdateTime": since,
                "lastTransitionTime": since,
                "reason": condition[1],
                "message": condition[2],
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": since,
                "lastTransitionTime": since,
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{ctl.owner_name}" has successfully progressed.',
            },
        ],
    }


def daemonset_status(ctl: Controller, generation: int, ready: int) -> Obj:
    """``status`` of the DaemonSet: the four counts the API requires, the rest only when non-zero."""
    current = len(ctl.pods)
    return {
        "currentNumberScheduled": current,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": ctl.replicas,
        "numberReady": ready,
        "observedGeneration": generation,
        **_nonzero(
            updatedNumberScheduled=current, numberAvailable=ready, numberUnavailable=max(0, ctl.replicas - ready)
        ),
    }
