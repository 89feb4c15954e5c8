"""Server-side printing: the ``meta.k8s.io/v1`` Tables kubectl asks for, cell for cell as the real printers.

Pods, namespaces and the workload controllers as ``pkg/printers/internalversion`` prints them;
custom resources by their CRDs' ``additionalPrinterColumns``; ages as
``k8s.io/apimachinery/pkg/util/duration.HumanDuration`` words them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .resources import DAEMONSET, DEPLOYMENT, NAMESPACE, POD, REPLICASET, ResourceType
from .store import Obj


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration`` (k8s.io/apimachinery/pkg/util/duration), ported rule for rule.

    ~2-3 significant figures: ``95s``, ``8m3s``, ``150m``, ``3h5m``, ``47h``, ``2d5h``, ``300d``, ``2y13d``.
    """
    whole = int(seconds)  # Go's int(d.Seconds()): truncated toward zero
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 60 * 2:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        s = whole % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def age(created: str | None, now: datetime | None = None) -> str:
    """kubectl's ``translateTimestampSince``: the HumanDuration since a timestamp, ``<unknown>`` without one."""
    if not created:
        return "<unknown>"
    then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return human_duration(((now or datetime.now(UTC)) - then).total_seconds())


_NAME_COL = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
_AGE_COL = {
    "name": "Age",
    "type": "string",
    "format": "",
    "description": "CreationTimestamp is a timestamp representing the server time when this object was created.",
    "priority": 0,
}


def _finished(entry: Obj) -> str | None:
    return ((entry.get("lastState") or {}).get("terminated") or {}).get("finishedAt")


def _pod_cells(pod: Obj) -> list[Any]:
    """``printPod`` of pkg/printers/internalversion, branch for branch (init containers, native sidecars,
    the last restart's age, Terminating)."""
    spec, st = pod.get("spec", {}), pod.get("status", {})
    restarts = sidecar_restarts = 0
    total = len(spec.get("containers", []))
    ready = 0
    last_restart: str | None = None
    last_sidecar_restart: str | None = None
    reason = st.get("reason") or st.get("phase", "")
    for condition in st.get("conditions", []):
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    inits = {c["name"]: c for c in spec.get("initContainers", [])}
    sidecars = {name for name, c in inits.items() if c.get("restartPolicy") == "Always"}
    total += len(sidecars)
    initializing = False
    for i, entry in enumerate(st.get("initContainerStatuses", [])):
        restarts += int(entry.get("restartCount", 0))
        finished = _finished(entry)
        if finished and (last_restart is None or finished > last_restart):
            last_restart = finished
        if entry.get("name") in sidecars:
            sidecar_restarts += int(entry.get("restartCount", 0))
            if finished and (last_sidecar_restart is None or finished > last_sidecar_restart):
                last_sidecar_restart = finished
        state = entry.get("state", {})
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if entry.get("name") in sidecars and entry.get("started"):
            ready += 1 if entry.get("ready") else 0
            continue
        if terminated is not None:
            if not terminated.get("reason"):
                if terminated.get("signal"):
                    reason = f"Init:Signal:{terminated['signal']}"
                else:
                    reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
            else:
                reason = "Init:" + terminated["reason"]
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers', []))}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True" for c in st.get("conditions", []))
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for entry in reversed(st.get("containerStatuses", [])):
            restarts += int(entry.get("restartCount", 0))
            finished = _finished(entry)
            if finished and (last_restart is None or finished > last_restart):
                last_restart = finished
            state = entry.get("state", {})
            terminated, waiting = state.get("terminated"), state.get("waiting")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                signal = terminated.get("signal")
                reason = f"Signal:{signal}" if signal else f"ExitCode:{terminated.get('exitCode', 0)}"
            elif entry.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions", []))
            reason = "Running" if pod_ready else "NotReady"
    if pod["metadata"].get("deletionTimestamp"):
        if st.get("reason") == "NodeLost":
            reason = "Unknown"
        elif st.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    # RESTARTS is a string column: "0", or "2 (5m ago)" after the last container restart
    restart_cell = f"{restarts} ({age(last_restart)} ago)" if restarts and last_restart else str(restarts)
    gates = spec.get("readinessGates") or []
    conditions = {c.get("type"): c.get("status") for c in st.get("conditions", [])}
    gates_cell = f"{sum(1 for g in gates if conditions.get(g.get('conditionType')) == 'True')}/{len(gates)}"
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        reason,
        restart_cell,
        age(pod["metadata"].get("creationTimestamp")),
        st.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        st.get("nominatedNodeName") or "<none>",
        gates_cell if gates else "<none>",
    ]


def _column(name: str, kind: str, description: str, priority: int = 0) -> dict[str, Any]:
    return {"name": name, "type": kind, "format": "", "description": description, "priority": priority}


# the wide (priority 1) columns every workload controller has; the API server always sends them
_TEMPLATE_COLUMNS = [
    _column("Containers", "string", "Names of each container in the template.", 1),
    _column("Images", "string", "Images referenced by each container in the template.", 1),
    _column("Selector", "string", "A label query over pods that should match the replica count.", 1),
]


def _template_cells(obj: Obj) -> list[Any]:
    """CONTAINERS, IMAGES and SELECTOR (``-o wide``), comma-joined as the API server's printers join them."""
    containers = obj["spec"]["template"]["spec"].get("containers", [])
    match = obj["spec"].get("selector", {}).get("matchLabels", {})
    return [
        ",".join(c["name"] for c in containers),
        ",".join(c.get("image", "") for c in containers),
        ",".join(f"{k}={v}" for k, v in sorted(match.items())) or "<none>",
    ]


def _deployment_cells(obj: Obj) -> list[Any]:
    spec, st = obj["spec"], obj.get("status", {})
    return [
        obj["metadata"]["name"],
        f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        st.get("updatedReplicas", 0),
        st.get("availableReplicas", 0),
        age(obj["metadata"].get("creationTimestamp")),
        *_template_cells(obj),
    ]


def _replicaset_cells(obj: Obj) -> list[Any]:
    spec, st = obj["spec"], obj.get("status", {})
    return [
        obj["metadata"]["name"],
        spec.get("replicas", 1),
        st.get("replicas", 0),
        st.get("readyReplicas", 0),
        age(obj["metadata"].get("creationTimestamp")),
        *_template_cells(obj),
    ]


def _daemonset_cells(obj: Obj) -> list[Any]:
    st = obj.get("status", {})
    node_selector = obj["spec"]["template"]["spec"].get("nodeSelector") or {}
    return [
        obj["metadata"]["name"],
        st.get("desiredNumberScheduled", 0),
        st.get("currentNumberScheduled", 0),
        st.get("numberReady", 0),
        st.get("updatedNumberScheduled", 0),
        st.get("numberAvailable", 0),
        ",".join(f"{k}={v}" for k, v in sorted(node_selector.items())) or "<none>",
        age(obj["metadata"].get("creationTimestamp")),
        *_template_cells(obj),
    ]


# columns as pkg/printers/internalversion defines them (kubectl get deploy / rs / ds)
_WORKLOAD_COLUMNS: dict[ResourceType, tuple[list[dict[str, Any]], Callable[[Obj], list[Any]]]] = {
    DEPLOYMENT: (
        [
            _NAME_COL,
            _column("Ready", "string", "Number of the pod with ready state"),
            _column(
                "Up-to-date",
                "string",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            _column(
                "Available",
                "string",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
            _AGE_COL,
            *_TEMPLATE_COLUMNS,
        ],
        _deployment_cells,
    ),
    REPLICASET: (
        [
            _NAME_COL,
            _column("Desired", "integer", "Replicas is the number of desired replicas."),
            _column("Current", "integer", "Replicas is the most recently observed number of replicas."),
            _column("Ready", "integer", "The number of pods targeted by this ReplicaSet with a Ready Condition."),
            _AGE_COL,
            *_TEMPLATE_COLUMNS,
        ],
        _replicaset_cells,
    ),
    DAEMONSET: (
        [
            _NAME_COL,
            _column("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
            _column("Current", "integer", "The number of nodes that are running at least 1 daemon pod."),
            _column(
                "Ready",
                "integer",
                "The number of nodes that should be running the daemon pod and have one "
                "or more of the daemon pod running with a Ready Condition.",
            ),
            _column("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
            _column(
                "Available",
                "integer",
                "The number of nodes that should be running the daemon pod and have "
                "one or more of the daemon pod running and available.",
            ),
            _column(
                "Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node."
            ),
            _AGE_COL,
            *_TEMPLATE_COLUMNS,
        ],
        _daemonset_cells,
    ),
}


# as pkg/printers/internalversion's podColumnDefinitions (``-o wide`` shows the priority 1 ones)
_POD_COLUMNS = [
    _NAME_COL,
    _column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    _column("Status", "string", "The aggregate status of the containers in this pod."),
    _column(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container "
        "in this pod has restarted.",
    ),
    _AGE_COL,
    _column("IP", "string", "podIP address allocated to the pod. Routable at least within the cluster.", 1),
    _column("Node", "string", "NodeName indicates in which node this pod is scheduled.", 1),
    _column("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods.", 1),
    _column("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
]
_NAMESPACE_COLUMNS = [
    _NAME_COL,
    _column("Status", "string", "The status of the namespace"),
    _AGE_COL,
]


def _crd_column(name: str, kind: str, path: str, description: str, priority: int = 0) -> dict[str, Any]:
    return {**_column(name, kind, description, priority), "jsonPath": path}


_CRD_AGE = _crd_column(
    "Age",
    "date",
    ".metadata.creationTimestamp",
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC. Populated by the system. Read-only. Null for lists. More "
    "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
)
# additionalPrinterColumns of the CRDs as Istio and Gateway API ship them (type, JSONPath, description)
_CRD_COLUMNS: dict[str, list[dict[str, Any]]] = {
    "virtualservices.networking.istio.io": [
        _crd_column(
            "Gateways",
            "string",
            ".spec.gateways",
            "The names of gateways and sidecars that should apply these routes",
        ),
        _crd_column("Hosts", "string", ".spec.hosts", "The destination hosts to which traffic is being sent"),
        _CRD_AGE,
    ],
    "destinationrules.networking.istio.io": [
        _crd_column("Host", "string", ".spec.host", "The name of a service from the service registry"),
        _CRD_AGE,
    ],
    "serviceentries.networking.istio.io": [
        _crd_column("Hosts", "string", ".spec.hosts", "The hosts associated with the ServiceEntry"),
        _crd_column(
            "Location", "string", ".spec.location", "Whether the service is external to the mesh or part of the mesh."
        ),
        _crd_column("Resolution", "string", ".spec.resolution", "Service resolution mode for the hosts."),
        _CRD_AGE,
    ],
    "authorizationpolicies.security.istio.io": [
        _crd_column("Action", "string", ".spec.action", "The operation to take."),
        _CRD_AGE,
    ],
    "peerauthentications.security.istio.io": [
        _crd_column("Mode", "string", ".spec.mtls.mode", "Defines the mTLS mode used for peer authentication."),
        _CRD_AGE,
    ],
    "gateways.gateway.networking.k8s.io": [
        _crd_column("Class", "string", ".spec.gatewayClassName", ""),
        _crd_column("Address", "string", ".status.addresses[*].value", ""),
        _crd_column("Programmed", "string", '.status.conditions[?(@.type=="Programmed")].status', ""),
        _CRD_AGE,
    ],
    "httproutes.gateway.networking.k8s.io": [
        _crd_column("Hostnames", "string", ".spec.hostnames", ""),
        _CRD_AGE,
    ],
    "gatewayclasses.gateway.networking.k8s.io": [
        _crd_column("Controller", "string", ".spec.controllerName", ""),
        _crd_column("Accepted", "string", '.status.conditions[?(@.type=="Accepted")].status', ""),
        _CRD_AGE,
        _crd_column("Description", "string", ".spec.description", "", 1),
    ],
}


def crd_columns(rtype: ResourceType) -> list[dict[str, Any]]:
    """A CRD's ``additionalPrinterColumns`` as its manifest lists them."""
    out = []
    for column in _CRD_COLUMNS.get(rtype.key, []):
        entry = {"name": column["name"], "type": column["type"], "jsonPath": column["jsonPath"]}
        if column["description"]:
            entry["description"] = column["description"]
        if column["priority"]:
            entry["priority"] = column["priority"]
        out.append(entry)
    return out


def _json_path(obj: Any, path: str) -> Any:
    """The few JSONPath forms the CRDs' printer columns use: ``.a.b``, ``.a[*].b``, ``.a[?(@.k=="v")].b``."""
    values = [obj]
    for part in re.findall(r"\.([A-Za-z0-9_]+)(\[[^\]]*\])?", path):
        name, index = part
        values = [v[name] for v in values if isinstance(v, dict) and name in v]
        if index == "[*]":
            values = [item for v in values if isinstance(v, list) for item in v]
        elif index:
            match = re.fullmatch(r'\[\?\(@\.(\w+)=="([^"]*)"\)\]', index)
            key, wanted = match.groups() if match else ("", "")
            values = [item for v in values if isinstance(v, list) for item in v if item.get(key) == wanted]
    return values


def _crd_cell(column: dict[str, Any], obj: Obj) -> Any:
    """A CRD column's cell as the API server's table convertor prints it (JSON for lists, age for dates)."""
    values = _json_path(obj, column["jsonPath"])
    if not values:
        return None
    if column["type"] == "date":
        return age(values[0]) if isinstance(values[0], str) else None
    value = values[0]  # the table convertor prints the first result only (results[0][0])
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


# ---- the other core kinds (pkg/printers/internalversion: printService, printEndpoints, printEvent, ...) ----------


def _created(obj: Obj) -> str:
    return age(obj["metadata"].get("creationTimestamp"))


def _service_cells(obj: Obj) -> list[Any]:
    spec, st = obj.get("spec", {}), obj.get("status", {})
    kind = spec.get("type", "ClusterIP")
    external = "<none>"
    if kind == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") for i in st.get("loadBalancer", {}).get("ingress", [])]
        external = ",".join(i for i in ingress if i) or "<pending>"
    elif spec.get("externalIPs"):
        external = ",".join(spec["externalIPs"])
    ports = []
    for port in spec.get("ports", []):
        node = f":{port['nodePort']}" if port.get("nodePort") and kind in ("NodePort", "LoadBalancer") else ""
        ports.append(f"{port['port']}{node}/{port.get('protocol', 'TCP')}")
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [
        obj["metadata"]["name"],
        kind,
        spec.get("clusterIP") or "<none>",
        external,
        ",".join(ports) or "<none>",
        _created(obj),
        selector,
    ]


def _endpoints_cell(obj: Obj) -> str:
    """``formatEndpoints``: the first three ``ip:port``, then `` + N more...``."""
    subsets = obj.get("subsets") or []
    if not subsets:
        return "<none>"
    listed: list[str] = []
    count, more = 0, False
    for subset in subsets:
        addresses = subset.get("addresses") or []
        targets = [str(a["ip"]) for a in addresses]
        if subset.get("ports"):
            targets = [f"{a['ip']}:{p['port']}" for p in subset["ports"] for a in addresses]
        count += len(targets)
        for target in targets:
            if len(listed) == 3:
                more = True
                break
            listed.append(target)
    text = ",".join(listed)
    return f"{text} + {count - 3} more..." if more else text


def _event_cells(obj: Obj) -> list[Any]:
    involved = obj.get("involvedObject", {})
    first = age(obj.get("firstTimestamp")) if obj.get("firstTimestamp") else age(_micro(obj.get("eventTime")))
    last = age(obj.get("lastTimestamp")) if obj.get("lastTimestamp") else first
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    parts = (
        [source.get("component", ""), source.get("host", "")]
        if source.get("component")
        else [obj.get("reportingComponent", ""), obj.get("reportingInstance", "")]
    )
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        ", ".join(p for p in parts if p),
        str(obj.get("message", "")).strip(),
        first,
        obj.get("count") or 1,
        obj["metadata"]["name"],
    ]


def _micro(value: str | None) -> str | None:
    return value[:19] + "Z" if value else None


def _node_cells(obj: Obj) -> list[Any]:
    st = obj.get("status", {})
    conditions = {c["type"]: c["status"] for c in st.get("conditions", [])}
    state = {"True": "Ready", "False": "NotReady"}.get(conditions.get("Ready", ""), "Unknown")
    if obj.get("spec", {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = obj["metadata"].get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    addresses = {a["type"]: a["address"] for a in st.get("addresses", [])}
    info = st.get("nodeInfo", {})
    return [
        obj["metadata"]["name"],
        state,
        ",".join(roles) or "<none>",
        _created(obj),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info.get("osImage", "<unknown>"),
        info.get("kernelVersion", "<unknown>"),
        info.get("containerRuntimeVersion", "<unknown>"),
    ]


def _slice_cells(obj: Obj) -> list[Any]:
    ports = ",".join(str(p.get("port", "")) for p in obj.get("ports") or []) or "<unset>"
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses", [])]
    shown = ",".join(addresses[:3]) + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")
    return [obj["metadata"]["name"], obj.get("addressType", ""), ports, shown or "<unset>", _created(obj)]


def _str_col(name: str, description: str, priority: int = 0) -> dict[str, Any]:
    return _column(name, "string", description, priority)


_CORE_PRINTERS: dict[str, tuple[list[dict[str, Any]], Callable[[Obj], list[Any]]]] = {
    "services": (
        [
            _NAME_COL,
            _str_col("Type", "The type of service."),
            _str_col("Cluster-IP", "The cluster IP of the service."),
            _str_col("External-IP", "The external IPs of the service."),
            _str_col("Port(s)", "The ports of the service."),
            _AGE_COL,
            _str_col("Selector", "The selector of the service.", 1),
        ],
        _service_cells,
    ),
    "endpoints": (
        [_NAME_COL, _str_col("Endpoints", "Endpoints of the endpoints."), _AGE_COL],
        lambda o: [o["metadata"]["name"], _endpoints_cell(o), _created(o)],
    ),
    "events": (
        [
            _str_col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
            _str_col("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
            _str_col(
                "Reason",
                "This should be a short, machine understandable string that gives the reason for "
                "the transition into the object's current status.",
            ),
            _str_col("Object", "The object that this event is about."),
            _str_col("Subobject", "The field path of the object this event is about.", 1),
            _str_col("Source", "The component reporting this event.", 1),
            _str_col("Message", "A human-readable description of the status of this operation."),
            _str_col("First Seen", "The time at which the event was first recorded.", 1),
            _str_col("Count", "The number of times this event has occurred.", 1),
            _str_col("Name", "Name must be unique within a namespace.", 1),
        ],
        _event_cells,
    ),
    "configmaps": (
        [_NAME_COL, _column("Data", "integer", "Data contains the configuration data."), _AGE_COL],
        lambda o: [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}), _created(o)],
    ),
    "secrets": (
        [
            _NAME_COL,
            _str_col("Type", "The type of secret"),
            _column("Data", "integer", "Data contains the secret data."),
            _AGE_COL,
        ],
        lambda o: [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}), _created(o)],
    ),
    "serviceaccounts": (
        [_NAME_COL, _column("Secrets", "string", "Secrets is a list of the secrets in the same namespace."), _AGE_COL],
        lambda o: [o["metadata"]["name"], len(o.get("secrets") or []), _created(o)],
    ),
    "nodes": (
        [
            _NAME_COL,
            _str_col("Status", "The status of the node"),
            _str_col("Roles", "The roles of the node"),
            _AGE_COL,
            _str_col("Version", "Kubelet Version reported by the node."),
            _str_col(
                "Internal-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1
            ),
            _str_col(
                "External-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1
            ),
            _str_col(
                "OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1
            ),
            _str_col(
                "Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1
            ),
            _str_col(
                "Container-Runtime",
                "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
                1,
            ),
        ],
        _node_cells,
    ),
    "endpointslices.discovery.k8s.io": (
        [
            _NAME_COL,
            _str_col("AddressType", "The IP protocol for this slice"),
            _str_col("Ports", "The ports of the slice"),
            _str_col("Endpoints", "The endpoints of the slice"),
            _AGE_COL,
        ],
        _slice_cells,
    ),
    "customresourcedefinitions.apiextensions.k8s.io": (
        [
            _NAME_COL,
            {**_column("Created At", "date", _AGE_COL["description"]), "format": ""},
        ],
        lambda o: [o["metadata"]["name"], o["metadata"].get("creationTimestamp")],
    ),
}


def table(rtype: ResourceType, items: list[Obj], rv: str, include: str = "Metadata") -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table, the shape kubectl asks for with ``as=Table``.

    ``include`` is the request's ``includeObject``: each row carries the whole object
    (``Object``, which ``kubectl get --sort-by`` asks for), its metadata only (``Metadata``,
    the default) or nothing (``None``).
    """
    if rtype is POD:
        columns = _POD_COLUMNS
        rows = [_pod_cells(o) for o in items]
    elif rtype is NAMESPACE:
        columns = _NAMESPACE_COLUMNS
        rows = [
            [
                o["metadata"]["name"],
                o.get("status", {}).get("phase", "Active"),
                age(o["metadata"].get("creationTimestamp")),
            ]
            for o in items
        ]
    elif rtype in _WORKLOAD_COLUMNS:
        columns, cells_of = _WORKLOAD_COLUMNS[rtype]
        rows = [cells_of(o) for o in items]
    elif rtype.key in _CORE_PRINTERS:
        columns, cells_of = _CORE_PRINTERS[rtype.key]
        rows = [cells_of(o) for o in items]
    elif rtype.key in _CRD_COLUMNS:
        extra = _CRD_COLUMNS[rtype.key]
        columns = [_NAME_COL, *[{k: v for k, v in c.items() if k != "jsonPath"} for c in extra]]
        rows = [[o["metadata"]["name"], *[_crd_cell(c, o) for c in extra]] for o in items]
    else:
        columns = [_NAME_COL, _AGE_COL]
        rows = [[o["metadata"]["name"], age(o["metadata"].get("creationTimestamp"))] for o in items]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": columns,
        "rows": [{"cells": cells, "object": _row_object(o, include)} for cells, o in zip(rows, items, strict=True)],
    }


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "Object":
        return obj
    if include == "None":
        return None
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {k: v for k, v in obj["metadata"].items() if k != "managedFields"},
    }
