"""The rest of what every real cluster holds: system namespaces, nodes, CRDs, Services and their endpoints,
ConfigMaps, ServiceAccounts, and the events the scheduler and the kubelet record about pods.

:class:`Kinds` writes them into the :class:`ObjectStore` as the controllers that own them would:
the endpoints and EndpointSlice controllers follow the pods (ready and not-ready addresses),
the kubelet's events are correlated as client-go's EventCorrelator does (a repeat bumps
``count`` and ``lastTimestamp`` of the same event), and old events go, as their TTL does.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from .controllers import safe_encode
from .pods import host_ip
from .resources import (
    CONFIGMAP,
    CRD,
    ENDPOINTS,
    ENDPOINTSLICE,
    EVENT,
    MESH_TYPES,
    NAMESPACE,
    NODE,
    SERVICE,
    SERVICEACCOUNT,
    ResourceType,
)
from .store import Conflict, NotFound, Obj, ObjectStore, rfc3339
from .topology import NODES, SimPod, Workload

# the namespaces a cluster has before anything is installed
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
CONTROL_PLANE = "demo-control-plane"
_CA = "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIMeshtailDemoCA\n-----END CERTIFICATE-----\n"
MAX_EVENTS = 1000  # the events kept (a real cluster keeps them an hour)


def _cluster_ip(namespace: str, name: str) -> str:
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).digest()
    return f"10.96.{digest[0]}.{max(2, digest[1])}"


def _suffix(text: str) -> str:
    return safe_encode(hashlib.sha256(text.encode()).digest()[:5].decode("latin-1"))


def service_selector(w: Workload) -> dict[str, str]:
    return w.selector() if w.kind in ("waypoint", "istiod", "gateway") else {"app": w.app}


def _service_ports(w: Workload) -> list[Obj]:
    if w.kind == "istiod":
        return [
            {"name": "grpc-xds", "port": 15010, "protocol": "TCP", "targetPort": 15010},
            {"name": "https-dns", "port": 15012, "protocol": "TCP", "targetPort": 15012},
            {"name": "https-webhook", "port": 443, "protocol": "TCP", "targetPort": 15017},
            {"name": "http-monitoring", "port": 15014, "protocol": "TCP", "targetPort": 15014},
        ]
    if w.kind == "gateway":
        return [
            {"name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021, "nodePort": 31021},
            {"name": "http2", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 31380},
            {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443, "nodePort": 31390},
        ]
    if w.kind == "waypoint":
        return [
            {"name": "status-port", "port": 15021, "protocol": "TCP", "appProtocol": "http", "targetPort": 15021},
            {"name": "mesh", "port": 15008, "protocol": "TCP", "appProtocol": "all", "targetPort": 15008},
        ]
    return [{"name": "http", "port": w.port, "protocol": "TCP", "targetPort": w.port}]


class Kinds:
    """The store's system objects, Services with their endpoints, and pod events."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.services: dict[tuple[str, str], tuple[dict[str, str], list[Obj]]] = {}  # (ns, name) -> selector, ports
        self._events: OrderedDict[tuple[str, ...], tuple[str, str]] = OrderedDict()  # key -> (namespace, name)

    # ---- what exists before the mesh -------------------------------------------------------
    def bootstrap(self) -> None:
        for ns in SYSTEM_NAMESPACES:
            self.namespace(ns, {})
        for name in (CONTROL_PLANE, *NODES):
            self.store.create(NODE, _node(name), "kubelet")
        for rtype in MESH_TYPES:
            self.store.create(CRD, _crd(rtype), "kube-apiserver")
        self._service("default", "kubernetes", {}, [{"name": "https", "port": 443, "protocol": "TCP"}])
        self.store.create(
            ENDPOINTS,
            {
                "metadata": {"name": "kubernetes", "namespace": "default", "labels": _API_LABELS},
                "subsets": [
                    {
                        "addresses": [{"ip": "172.18.0.4"}],
                        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
                    }
                ],
            },
            "kube-apiserver",
        )
        dns_ports = [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
            {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
        ]
        dns_labels = {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}
        self._service("kube-system", "kube-dns", {"k8s-app": "kube-dns"}, dns_ports, dns_labels, "10.96.0.10")
        self.sync_endpoints("kube-system", [])
        self._configmap("kube-system", "coredns", {"Corefile": ".:53 {\n    errors\n    health\n    ready\n}\n"})
        self._configmap("kube-public", "cluster-info", {"kubeconfig": "apiVersion: v1\nkind: Config\n"})

    def namespace(self, name: str, labels: dict[str, str]) -> None:
        """A namespace, with what the controllers put in every one: its ServiceAccount and root CA ConfigMap."""
        self.store.create(
            NAMESPACE,
            {
                "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
            "kube-apiserver",
        )
        self.service_account(name, "default")
        self._configmap(name, "kube-root-ca.crt", {"ca.crt": _CA}, manager="kube-controller-manager")
        if name not in SYSTEM_NAMESPACES:
            self._configmap(name, "istio-ca-root-cert", {"root-cert.pem": _CA}, {"istio.io/config": "true"}, "pilot")
        if name == "istio-system":
            self._configmap(
                name, "istio", {"mesh": "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n"}
            )

    def service_account(self, namespace: str, name: str) -> None:
        try:
            self.store.create(
                SERVICEACCOUNT, {"metadata": {"name": name, "namespace": namespace}}, "kube-controller-manager"
            )
        except Conflict:
            pass

    def _configmap(
        self,
        namespace: str,
        name: str,
        data: dict[str, str],
        labels: dict[str, str] | None = None,
        manager: str = "helm",
    ) -> None:
        metadata: Obj = {"name": name, "namespace": namespace}
        if labels:
            metadata["labels"] = labels
        self.store.create(CONFIGMAP, {"metadata": metadata, "data": data}, manager)

    # ---- Services and their endpoints ------------------------------------------------------
    def workload_service(self, w: Workload) -> None:
        """The Service of a workload (once per app), as its manifest or chart declares it."""
        name = "istio-ingressgateway" if w.kind == "gateway" else w.app
        if w.kind == "ztunnel" or w.namespace == "load" or (w.namespace, name) in self.services:
            return
        labels = {"app": name, "service": name} if w.kind in ("sidecar", "native", "ambient", "plain") else {}
        kind = "LoadBalancer" if w.kind == "gateway" else "ClusterIP"
        self._service(w.namespace, name, service_selector(w), _service_ports(w), labels, kind=kind)

    def _service(
        self,
        namespace: str,
        name: str,
        selector: dict[str, str],
        ports: list[Obj],
        labels: dict[str, str] | None = None,
        cluster_ip: str | None = None,
        kind: str = "ClusterIP",
    ) -> None:
        ip = cluster_ip or ("10.96.0.1" if name == "kubernetes" else _cluster_ip(namespace, name))
        spec: Obj = {
            "clusterIP": ip,
            "clusterIPs": [ip],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": ports,
            "sessionAffinity": "None",
            "type": kind,
        }
        if selector:
            spec["selector"] = dict(selector)
        if kind == "LoadBalancer":
            spec |= {"allocateLoadBalancerNodePorts": True, "externalTrafficPolicy": "Cluster"}
        metadata: Obj = {"name": name, "namespace": namespace}
        if name == "kubernetes":
            labels = _API_LABELS
        if labels:
            metadata["labels"] = dict(labels)
        obj = {"metadata": metadata, "spec": spec, "status": {"loadBalancer": {}}}
        self.store.create(SERVICE, obj, "kube-apiserver" if name == "kubernetes" else "kubectl-client-side-apply")
        if selector:
            self.services[(namespace, name)] = (dict(selector), ports)

    def sync_endpoints(self, namespace: str, pods: list[SimPod], workload: Workload | None = None) -> None:
        """The endpoints and EndpointSlice controllers: each Service's pods (those selecting ``workload``'s, if
        given), ready or not."""
        for (ns, name), (selector, ports) in self.services.items():
            if ns != namespace or (workload is not None and not _selects(selector, workload)):
                continue
            chosen = sorted(
                (p for p in pods if p.workload.namespace == ns and _selects(selector, p.workload)),
                key=lambda p: p.ip,
            )
            endpoint_ports = [
                {"name": p["name"], "port": int(p.get("targetPort", p["port"])), "protocol": p["protocol"]}
                for p in ports
            ]
            self._put(ENDPOINTS, ns, name, _endpoints(ns, name, chosen, endpoint_ports))
            slice_name = f"{name}-{_suffix(ns + '/' + name)}"
            self._put(ENDPOINTSLICE, ns, slice_name, _slice(ns, name, slice_name, chosen, endpoint_ports))

    def _put(self, rtype: ResourceType, namespace: str, name: str, obj: Obj) -> None:
        try:
            current = self.store.get(rtype, namespace, name)
        except NotFound:
            self.store.create(rtype, obj, "kube-controller-manager")
            return
        fields = {k: v for k, v in obj.items() if k != "metadata"}
        if {k: current.get(k) for k in fields} != fields or any(k not in obj for k in current if k in _BODY):

            def mutate(target: Obj) -> None:
                for key in _BODY:
                    target.pop(key, None)
                target.update(fields)

            self.store.update(rtype, namespace, name, mutate, "kube-controller-manager")

    # ---- events ----------------------------------------------------------------------------
    def pod_event(
        self,
        pod: SimPod,
        reason: str,
        message: str,
        field_path: str = "",
        component: str = "kubelet",
        kind: str = "Normal",
    ) -> None:
        """Record an event about a pod; a repeat of the same one counts up, as the kubelet's correlator does."""
        ns = pod.workload.namespace
        if ns == "load":
            # the benchmarks' high-churn namespace: its events would crowd the pods' changes out of the store's one
            # shared history (a real API server keeps a watch cache per resource)
            return
        now = rfc3339()
        key = (ns, pod.name, pod.uid, reason, message, field_path, component)
        known = self._events.get(key)
        if known is not None:

            def again(obj: Obj) -> None:
                obj["count"] = obj.get("count", 1) + 1
                obj["lastTimestamp"] = now

            try:
                self.store.update(EVENT, known[0], known[1], again, component)
                self._events.move_to_end(key)
                return
            except NotFound:
                del self._events[key]
        name = f"{pod.name}.{time.time_ns():x}"
        involved: Obj = {"kind": "Pod", "namespace": ns, "name": pod.name, "uid": pod.uid, "apiVersion": "v1"}
        if field_path:
            involved["fieldPath"] = field_path
        source = {"component": component, **({"host": pod.node} if component == "kubelet" else {})}
        event = {
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": kind,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": pod.node if component == "kubelet" else "",
        }
        self.store.create(EVENT, event, component)
        self._events[key] = (ns, name)
        while len(self._events) > MAX_EVENTS:  # the oldest go, as their TTL would take them
            _, (old_ns, old_name) = self._events.popitem(last=False)
            try:
                self.store.delete(EVENT, old_ns, old_name)
            except NotFound:
                pass


_BODY = ("subsets", "addressType", "endpoints", "ports")
_API_LABELS = {"component": "apiserver", "provider": "kubernetes"}


def _selects(selector: dict[str, str], w: Workload) -> bool:
    labels = w.labels()
    return all(labels.get(k) == v for k, v in selector.items())


def _target(pod: SimPod) -> Obj:
    return {"kind": "Pod", "name": pod.name, "namespace": pod.workload.namespace, "uid": pod.uid}


def _endpoints(namespace: str, name: str, pods: list[SimPod], ports: list[Obj]) -> Obj:
    obj: Obj = {"metadata": {"name": name, "namespace": namespace}}
    ready = [{"ip": p.ip, "nodeName": p.node, "targetRef": _target(p)} for p in pods if p.running]
    unready = [{"ip": p.ip, "nodeName": p.node, "targetRef": _target(p)} for p in pods if not p.running]
    if ready or unready:
        subset: Obj = {}
        if ready:
            subset["addresses"] = ready
        if unready:
            subset["notReadyAddresses"] = unready
        subset["ports"] = ports
        obj["subsets"] = [subset]
    return obj


def _slice(namespace: str, service: str, name: str, pods: list[SimPod], ports: list[Obj]) -> Obj:
    labels = {
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        "kubernetes.io/service-name": service,
    }
    endpoints = [
        {
            "addresses": [p.ip],
            "conditions": {"ready": p.running, "serving": p.running, "terminating": False},
            "nodeName": p.node,
            "targetRef": _target(p),
        }
        for p in pods
    ]
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "generateName": f"{service}-",
            "labels": labels,
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports,
    }


def _node(name: str) -> Obj:
    ip = "172.18.0.4" if name == CONTROL_PLANE else host_ip(name)
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    spec: Obj = {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"], "providerID": f"kind://docker/demo/{name}"}
    if name == CONTROL_PLANE:
        labels["node-role.kubernetes.io/control-plane"] = ""
        spec["taints"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]
    now = rfc3339()
    condition_text = {
        "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
    }
    conditions = [
        {
            "type": kind,
            "status": value,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }
        for kind, (value, reason, message) in condition_text.items()
    ]
    capacity = {"cpu": "8", "ephemeral-storage": "102625208Ki", "memory": "16351152Ki", "pods": "110"}
    return {
        "metadata": {"name": name, "labels": labels, "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
        "spec": spec,
        "status": {
            "addresses": [{"address": ip, "type": "InternalIP"}, {"address": name, "type": "Hostname"}],
            "allocatable": capacity,
            "capacity": capacity,
            "conditions": conditions,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": _uuidish(name + "boot"),
                "containerRuntimeVersion": "containerd://1.7.18",
                "kernelVersion": "6.8.0-45-generic",
                "kubeProxyVersion": "v1.31.0",
                "kubeletVersion": "v1.31.0",
                "machineID": hashlib.md5(name.encode()).hexdigest(),
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": _uuidish(name),
            },
        },
    }


def _uuidish(text: str) -> str:
    h = hashlib.sha256(text.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _crd(rtype: ResourceType) -> Obj:
    """The CustomResourceDefinition a type is served by, with its printer columns, as the charts install it."""
    from .printers import crd_columns

    columns = crd_columns(rtype)
    names: Obj = {"kind": rtype.kind, "listKind": f"{rtype.kind}List", "plural": rtype.plural}
    names["singular"] = rtype.singular
    if rtype.short_names:
        names["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        names["categories"] = list(rtype.categories)
    versions = []
    for version in rtype.versions:
        entry: Obj = {
            "name": version,
            "served": True,
            "storage": version == rtype.versions[0],
            "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
        }
        if columns:
            entry["additionalPrinterColumns"] = columns
        if any(sub == "status" for sub, _, _ in rtype.subresources):
            entry["subresources"] = {"status": {}}
        versions.append(entry)
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions = [
        {
            "type": kind,
            "status": "True",
            "reason": reason,
            "message": message,
            "lastTransitionTime": when,
        }
        for kind, reason, message in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        )
    ]
    labels: dict[str, Any] = (
        {"gateway.networking.k8s.io/bundle-version": "v1.2.0", "gateway.networking.k8s.io/channel": "standard"}
        if rtype.group.endswith("k8s.io")
        else {"app": "istio-pilot", "chart": "istio", "heritage": "Tiller", "release": "istio"}
    )
    return {
        "metadata": {"name": rtype.key, "labels": labels},
        "spec": {
            "group": rtype.group,
            "names": names,
            "scope": "Namespaced" if rtype.namespaced else "Cluster",
            "versions": versions,
            "conversion": {"strategy": "None"},
        },
        "status": {"acceptedNames": names, "conditions": conditions, "storedVersions": [rtype.versions[0]]},
    }
