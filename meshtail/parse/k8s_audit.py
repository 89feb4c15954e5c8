"""Kubernetes API-server audit events, in every shape they are exported.

JSON shapes (:func:`recognise_json`):

* ``audit.k8s.io/v1`` and ``v1beta1`` Events, one object per line (the log backend), with any
  optional field missing (``RequestReceived`` has no ``responseStatus`` and no annotations;
  ``v1beta1`` has ``timestamp`` and ``metadata.creationTimestamp``);
* GKE Cloud Audit Logs: a LogEntry whose ``protoPayload`` is a ``google.cloud.audit.AuditLog``
  of ``serviceName`` ``k8s.io`` (``methodName`` ``io.k8s.<group>.<version>.<resource>.<verb>``,
  ``resourceName`` ``<group>/<version>/namespaces/<ns>/<resource>/<name>``, gRPC ``status``);
* an Event inside a cloud envelope that reached this parser unpeeled: AKS diagnostic records
  (``properties.log``, a JSON string or an object), CloudWatch exports (``@message``), and the
  generic ``log`` / ``message`` / ``textPayload`` / ``jsonPayload`` envelopes;
* a row of AKS's resource-specific tables (``AKSAudit`` / ``AKSAuditAdmin``: ``Verb``, ``User``,
  ``ObjectRef``, ``ResponseStatus`` …, the dynamic columns as objects or as JSON strings);
* a Falco alert of the ``k8s_audit`` source (the k8saudit plugin): the request as its ``ka.*``
  output fields tell it.

Text shapes (:func:`recognise`): the legacy ``AUDIT: id="…" ip="…" method="…" …`` lines (and
their ``response="…"`` follow-ups), ``aws logs tail`` lines (``kube-apiserver-audit-<hash>
{Event JSON}``) and CloudWatch Logs Insights CSV rows (``kube-apiserver-audit-<hash>,<time>,
"{""kind"":…}"``), and an Event behind a prefix no wrapper peeled (Fluent Bit's stdout
``[0] tag: [<time>, {Event}]``, a node name).

Events that are not valid JSON as pasted (elided with ``...``, cut by a hard wrap, a quote lost,
the opening brace missing) are read by :func:`recognise_fragment`: the top-level fields found by
plain string search, in the order the API server writes them.

Changes to mesh resources (Istio's ``*.istio.io`` groups, the Gateway API, the CRDs that define
them, Istio's mesh ConfigMaps, its admission webhook configurations and its RBAC objects) become
``config`` events naming the actor; a forbidden attempt is a ``deny`` violation, a rejected one
(admission webhook or policy, invalid object) a ``failure`` violation, one a ValidatingAdmissionPolicy
in ``Audit`` mode found invalid a ``change`` violation, and a server-side dry run a ``success``.
A forbidden request for anything else is an ``auth`` denial; every other request stays available
as an ``other`` event with the same attributes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..events import Source
from ..text import clip
from .result import Action, Parsed, action_word
from .timestamps import normalize

MESH_GROUPS = frozenset(
    {
        "networking.istio.io",
        "security.istio.io",
        "telemetry.istio.io",
        "extensions.istio.io",
        "gateway.networking.k8s.io",
        "gateway.networking.x-k8s.io",
    }
)
# Istio's mesh-wide configuration in core ConfigMaps (MeshConfig, injection template and values);
# revisioned installs add "-<revision>" to both names.
MESH_CONFIGMAPS = frozenset({"istio", "istio-sidecar-injector"})
_WEBHOOK_RESOURCES = frozenset({"mutatingwebhookconfigurations", "validatingwebhookconfigurations"})
_RBAC_RESOURCES = frozenset({"roles", "clusterroles", "rolebindings", "clusterrolebindings"})
_VAP_FAILURE = "validation.policy.admission.k8s.io/validation_failure"

_CHANGE_VERBS = {
    "create": "create",
    "update": "update",
    "patch": "update",
    "apply": "update",
    "delete": "delete",
    "deletecollection": "delete",
}
_HTTP_VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_READ_VERBS = frozenset({"get", "list", "watch"})
_PAST = {"create": "created", "update": "updated", "delete": "deleted"}
_FINAL_STAGES = (None, "ResponseComplete", "Panic")
_OBJECT_REF = {
    "resource": "k8s.resource",
    "namespace": "k8s.namespace",
    "name": "k8s.name",
    "apiGroup": "k8s.api_group",
    "apiVersion": "k8s.api_version",
    "subresource": "k8s.subresource",
    "uid": "k8s.uid",
}
# google.rpc.Code names, for GKE's status.code
_GRPC = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}
_GRPC_DENIED = (7, 16)
# envelopes whose value may hold an Event when the wrapper layer has not peeled them
_ENVELOPE_KEYS = ("@message", "log", "message", "textPayload", "jsonPayload")
_AUDIT_MARK = '"audit.k8s.io/'
_LEGACY_MARK = "AUDIT: "
_TAIL_MARK = "kube-apiserver-audit"

ACTIONS: tuple[Action, ...] = (
    Action(
        "resource.create",
        "config",
        "change|deny|failure|success|unknown",
        "when forbidden or rejected, or found invalid by an admission policy in Audit mode",
        "create of an Istio / Gateway API resource or of the CRD defining one, Istio's mesh ConfigMaps "
        "(istio, istio-sidecar-injector in istio-system), Istio's admission webhook configurations or RBAC "
        "objects; deny when RBAC forbids it (403, decision forbid, GKE PERMISSION_DENIED / granted false), "
        "failure when an admission webhook, an admission policy or validation rejects it, success for a "
        "server-side dry run (dryRun=All: nothing persisted), unknown at RequestReceived",
    ),
    Action(
        "resource.update",
        "config",
        "change|deny|failure|success|unknown",
        "when forbidden or rejected, or found invalid by an admission policy in Audit mode",
        "update or patch of a mesh resource (as resource.create); writes of the status subresource "
        "by controllers are k8s.<verb> events",
    ),
    Action(
        "resource.delete",
        "config",
        "change|deny|failure|success|unknown",
        "when forbidden or rejected",
        "delete or deletecollection of a mesh resource (as resource.create)",
    ),
    Action(
        "k8s.<verb>",
        "other",
        "success|failure|unknown",
        False,
        "any other API-server request, named after its verb (k8s.get, k8s.list, k8s.watch, k8s.update, "
        "k8s.create …; k8s.request when the event names none); debug for reads; also a Falco k8s_audit "
        "alert, read from its ka.* fields",
    ),
    Action(
        "k8s.<verb>",
        "auth",
        "deny",
        True,
        "a request that is not a change of a mesh resource, forbidden or unauthenticated (401/403, "
        "decision forbid, GKE PERMISSION_DENIED / UNAUTHENTICATED / granted false)",
    ),
    Action(
        "k8s.response",
        "other",
        "success|failure",
        False,
        'legacy AUDIT follow-up line carrying only id="…" response="…" (with 401/403 it is the auth denial above)',
    ),
)


@dataclass(slots=True)
class _Request:
    """What any shape says about one API request, before it is classified."""

    user: str | None = None
    impersonated: str | None = None
    verb: str = ""
    stage: str | None = None
    code: int | None = None  # HTTP status, from the audit Event
    grpc: int | None = None  # google.rpc.Code, from a GKE entry (0 = OK)
    completed: bool = False  # the request is known to have finished (a GKE entry, an empty status)
    decision: str | None = None
    authn_denied: bool = False  # an authentication decision annotation said deny (a login refused)
    granted: bool | None = None
    dry_run: bool = False  # dryRun=All: admission ran, nothing was persisted
    policy_audit: str | None = None  # a ValidatingAdmissionPolicy in Audit mode found the object invalid
    message: str | None = None
    group: str | None = None
    resource: str | None = None
    subresource: str | None = None
    namespace: str | None = None
    name: str | None = None
    path: str | None = None  # non-resource URL or GKE resourceName, for the summary
    time: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ small readers


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _is_version(segment: str) -> bool:
    return len(segment) > 1 and segment[0] == "v" and segment[1].isdigit()


def _split_resource_path(segments: list[str], req: _Request) -> None:
    """``[namespaces, <ns>,] <resource>[, <name>[, <subresource>]]`` into *req*."""
    if segments and segments[0] == "watch":  # the deprecated /api/v1/watch/... paths
        segments = segments[1:]
    if len(segments) >= 3 and segments[0] == "namespaces" and segments[2] not in ("status", "finalize"):
        req.namespace = segments[1]
        segments = segments[2:]
    if not segments:
        return
    req.resource = segments[0]
    if len(segments) > 1:
        req.name = segments[1]
    if len(segments) > 2:
        req.subresource = segments[2]


def _read_uri(uri: str, req: _Request) -> None:
    """The object a request URI names (``/apis/<group>/<version>/namespaces/<ns>/<resource>/<name>``)."""
    path = uri.split("?", 1)[0]
    segments = [s for s in path.split("/") if s][:8]
    if len(segments) >= 2 and segments[0] == "api":
        req.group, rest = "", segments[2:]
        req.attrs.setdefault("k8s.api_version", segments[1])
    elif len(segments) >= 3 and segments[0] == "apis":
        req.group, rest = segments[1], segments[3:]
        req.attrs.setdefault("k8s.api_version", segments[2])
    else:
        req.path = path or None
        return
    _split_resource_path(rest, req)


def _fill_object(req: _Request) -> None:
    for key, value in (
        ("k8s.resource", req.resource),
        ("k8s.namespace", req.namespace),
        ("k8s.name", req.name),
        ("k8s.api_group", req.group),
        ("k8s.subresource", req.subresource),
    ):
        if value:
            req.attrs.setdefault(key, value)


def _named(message: str | None, head: str, verdict: str) -> str | None:
    """The name quoted after ``head`` in a message saying ``verdict`` (``?`` when cut); None if it is not one."""
    if not message:
        return None
    at = message.find(head)
    if at < 0 or verdict not in message:
        return None
    start = at + len(head)
    end = message.find(head[-1], start, start + 256)
    return message[start:end] if end > start else "?"


def _webhook(message: str | None) -> str | None:
    """The admission webhook named in a ``admission webhook "X" denied the request`` message."""
    return _named(message, 'admission webhook "', "denied the request")


def _policy(message: str | None) -> str | None:
    """The policy named in a ``ValidatingAdmissionPolicy 'X' with binding 'Y' denied request`` message."""
    return _named(message, "ValidatingAdmissionPolicy '", "denied request")


def _dry_run(uri: str | None) -> bool:
    """Whether a request URI asks for a server-side dry run (``dryRun=All``)."""
    if not uri:
        return False
    query = uri.partition("?")[2]
    return "dryRun=All" in query


def _authorization(req: _Request, decision: Any, reason: Any) -> None:
    """The authorizer's decision and its reason, as GKE's labels and Falco's fields carry them."""
    req.decision = _str(decision)
    if req.decision:
        req.attrs["k8s.authorization.decision"] = req.decision
    said = _str(reason)
    if said:
        req.attrs["k8s.authorization.reason"] = said


def _policy_failure(annotations: dict[str, Any], req: _Request) -> None:
    """A ValidatingAdmissionPolicy's ``Audit`` finding (the annotation holds a JSON list of failures)."""
    value = _str(annotations.get(_VAP_FAILURE))
    if not value:
        return
    req.attrs["k8s.admission_policy.validation_failure"] = clip(value, 1024)
    name = None
    if len(value) <= 8192:
        try:
            failures = json.loads(value)
        except (ValueError, RecursionError):
            failures = None
        if isinstance(failures, list) and failures and isinstance(failures[0], dict):
            name = _str(failures[0].get("policy"))
    req.policy_audit = name or "?"


def _mesh_group(group: str) -> bool:
    return group in MESH_GROUPS or group.endswith(".istio.io")


def is_mesh(group: str | None, resource: str | None, namespace: str | None, name: str | None) -> bool:
    """Whether a request is about mesh configuration (see the module docstring)."""
    if group is not None and _mesh_group(group):
        return True
    if resource == "customresourcedefinitions" and name:
        # <plural>.<group>: deleting the CRD deletes every object of the kind
        return _mesh_group(name.partition(".")[2])
    if resource == "configmaps" and not group and namespace and namespace.endswith("istio-system"):
        if name is None:
            return True  # deletecollection of the namespace's ConfigMaps takes the mesh config with it
        return (
            name in MESH_CONFIGMAPS
            or name.startswith("istio-sidecar-injector-")
            or (name.startswith("istio-") and name[6:7].isdigit())  # istio-1-22-3 (revisioned MeshConfig)
            or name.startswith(("istio-asm-", "istio-shared-configmap-"))  # AKS Istio add-on
        )
    if resource in _WEBHOOK_RESOURCES and name:
        return "istio" in name
    if resource in _RBAC_RESOURCES and name and group in (None, "rbac.authorization.k8s.io"):
        return "istio" in name  # istiod's and the gateways' roles and bindings
    return False


# ------------------------------------------------------------------ shapes


def looks_like(obj: dict[str, Any]) -> bool:
    """An ``audit.k8s.io`` Event (``kind`` may be missing in re-exported events)."""
    version = obj.get("apiVersion")
    kind = obj.get("kind")
    if version is None:
        # re-exported without apiVersion (Falco's audit traces, some shippers): an audit event's own keys say so
        keys = "auditID" in obj and "stage" in obj and ("verb" in obj or "requestURI" in obj)
        return kind in ("Event", None) and keys
    if not (isinstance(version, str) and version.startswith("audit.k8s.io/")):
        return False
    return kind == "Event" or (kind is None and "auditID" in obj)


def _set_actor(req: _Request, user: str | None, impersonated: str | None, groups: list[str] | None = None) -> None:
    """Who made the request (and their groups), and whom they acted as: on the request and in its attributes."""
    req.user, req.impersonated = user, impersonated
    if user:
        req.attrs["k8s.user"] = user
    if groups:
        req.attrs["k8s.user.groups"] = groups
    if impersonated:
        req.attrs["k8s.impersonated_user"] = impersonated


def _set_verb(req: _Request, verb: str | None) -> None:
    req.verb = verb or ""
    req.attrs["k8s.verb"] = req.verb


def _from_event(obj: dict[str, Any]) -> _Request:
    req = _Request()
    attrs = req.attrs
    user = _dict(obj.get("user"))
    impersonated = _str(_dict(obj.get("impersonatedUser")).get("username"))
    _set_actor(req, _str(user.get("username")), impersonated, _strings(user.get("groups")))
    _set_verb(req, _str(obj.get("verb")))
    for key, name in (
        ("auditID", "k8s.audit_id"),
        ("stage", "k8s.stage"),
        ("level", "k8s.audit_level"),
        ("requestURI", "k8s.request_uri"),
        ("userAgent", "user_agent.original"),
    ):
        value = _str(obj.get(key))
        if value is not None:
            attrs[name] = value
    req.stage = _str(obj.get("stage"))
    ips = _strings(obj.get("sourceIPs"))
    if ips:
        attrs["client.address"] = ips[0]
        if len(ips) > 1:
            attrs["k8s.source_ips"] = ips
    ref = _dict(obj.get("objectRef"))
    for key, name in _OBJECT_REF.items():
        value = _str(ref.get(key))
        if value is not None:
            attrs[name] = value
    if ref:
        req.group = ref.get("apiGroup") if isinstance(ref.get("apiGroup"), str) else ""
        req.resource = _str(ref.get("resource"))
        req.subresource = _str(ref.get("subresource"))
        req.namespace = _str(ref.get("namespace"))
        req.name = _str(ref.get("name"))
    uri = _str(obj.get("requestURI"))
    if not ref and uri:
        _read_uri(uri, req)
        _fill_object(req)
    elif uri and not req.resource:
        req.path = uri.split("?", 1)[0]
    if _dry_run(uri):
        req.dry_run = attrs["k8s.dry_run"] = True
    status = _dict(obj.get("responseStatus"))
    req.code = _int(status.get("code"))
    reason = _str(status.get("reason"))
    if req.code is None and reason in ("Forbidden", "Unauthorized"):
        req.code = 403 if reason == "Forbidden" else 401  # a Status with its reason but no code (metav1.Status)
    if req.code is not None:
        attrs["http.response.status_code"] = req.code
    if reason:
        attrs["k8s.response_reason"] = reason
    req.message = _str(status.get("message"))
    if req.message:
        attrs["k8s.response_message"] = req.message
    annotations = _dict(obj.get("annotations"))
    req.decision = _str(annotations.get("authorization.k8s.io/decision"))
    if req.decision:
        attrs["k8s.authorization.decision"] = req.decision
    for key, value in annotations.items():  # OpenShift's oauth-server: authentication.openshift.io/decision
        if isinstance(key, str) and key.startswith("authentication.") and key.endswith("/decision"):
            attrs["k8s.authentication.decision"] = _str(value)
            req.authn_denied = _str(value) in ("deny", "error")
    reason = _str(annotations.get("authorization.k8s.io/reason"))
    if reason:
        attrs["k8s.authorization.reason"] = reason
    _policy_failure(annotations, req)
    stamp = (
        _str(obj.get("stageTimestamp"))
        or _str(obj.get("requestReceivedTimestamp"))
        or _str(obj.get("timestamp"))
        or _str(_dict(obj.get("metadata")).get("creationTimestamp"))
    )
    req.time = normalize(stamp) if stamp else None
    return req


def _is_gke(obj: dict[str, Any]) -> bool:
    payload = obj.get("protoPayload")
    if not isinstance(payload, dict):
        return False
    kind = payload.get("@type")
    if kind is not None and not (isinstance(kind, str) and kind.endswith("google.cloud.audit.AuditLog")):
        return False
    method = payload.get("methodName")
    return payload.get("serviceName") == "k8s.io" or (isinstance(method, str) and method.startswith("io.k8s."))


def _group_from_method(parts: list[str]) -> str | None:
    """The API group in ``io.k8s.<group>.<version>.…``, as far as GKE's mangled form tells it."""
    group = ".".join(parts)
    if group == "core":
        return ""
    if group.endswith(".istio"):
        return f"{group}.io"
    if group in ("gateway.networking", "gateway.networking.x"):
        return "gateway.networking.k8s.io" if group == "gateway.networking" else "gateway.networking.x-k8s.io"
    return group or None


def _from_gke(obj: dict[str, Any]) -> _Request:
    payload = obj["protoPayload"]
    req = _Request(completed=True)
    attrs = req.attrs
    attrs["cloud.provider"] = "gcp"
    principal = _str(_dict(payload.get("authenticationInfo")).get("principalEmail"))
    req.user = principal
    if principal:
        attrs["k8s.user"] = principal
    method = _str(payload.get("methodName")) or ""
    if method:
        attrs["gcp.method_name"] = method
    parts = method.split(".")[:12]
    req.verb = parts[-1] if len(parts) > 2 else ""
    attrs["k8s.verb"] = req.verb
    operation = _dict(obj.get("operation"))
    audit_id = _str(operation.get("id")) or _str(obj.get("insertId"))
    if audit_id:
        attrs["k8s.audit_id"] = audit_id
    metadata = _dict(payload.get("requestMetadata"))
    for key, name in (("callerIp", "client.address"), ("callerSuppliedUserAgent", "user_agent.original")):
        value = _str(metadata.get(key))
        if value:
            attrs[name] = value
    # the object: resourceName, else the first authorizationInfo's resource, else the method name
    info_list = payload.get("authorizationInfo")
    infos = [i for i in info_list[:16] if isinstance(i, dict)] if isinstance(info_list, list) else []
    resource_name = _str(payload.get("resourceName")) or next(
        (r for r in (_str(i.get("resource")) for i in infos) if r), None
    )
    if resource_name:
        attrs["gcp.resource_name"] = resource_name
        segments = [s for s in resource_name.split("/") if s][:8]
        if len(segments) >= 2 and _is_version(segments[1]):
            req.group = "" if segments[0] == "core" else segments[0]
            attrs["k8s.api_version"] = segments[1]
            _split_resource_path(segments[2:], req)
        else:
            req.path = resource_name
    if req.resource is None and len(parts) >= 5:
        version_at = next((i for i in range(2, len(parts) - 2) if _is_version(parts[i])), None)
        if version_at is not None:
            req.group = _group_from_method(parts[2:version_at])
            attrs["k8s.api_version"] = parts[version_at]
            req.resource = parts[version_at + 1]
            if version_at + 2 < len(parts) - 1:
                req.subresource = parts[version_at + 2]
    _fill_object(req)
    granted = [i.get("granted") for i in infos if isinstance(i.get("granted"), bool)]
    if granted:
        req.granted = all(granted)
    status = _dict(payload.get("status"))
    req.grpc = _int(status.get("code")) or 0
    if req.grpc:
        attrs["rpc.grpc.status_code"] = req.grpc
    req.message = _str(status.get("message"))
    if req.message:
        attrs["k8s.response_message"] = req.message
    labels = _dict(obj.get("labels"))
    _authorization(req, labels.get("authorization.k8s.io/decision"), labels.get("authorization.k8s.io/reason"))
    _policy_failure(labels, req)
    resource = _dict(obj.get("resource"))
    resource_labels = _dict(resource.get("labels"))
    for key, name in (
        ("cluster_name", "k8s.cluster"),
        ("location", "cloud.region"),
        ("project_id", "cloud.account.id"),
    ):
        value = _str(resource_labels.get(key))
        if value:
            attrs[name] = value
    stamp = _str(obj.get("timestamp")) or _str(obj.get("receiveTimestamp"))
    req.time = normalize(stamp) if stamp else None
    return req


def _decode(value: Any, audit: bool = False) -> dict[str, Any] | None:
    """An envelope's value as an object, when it may be an audit Event (or a GKE entry); ``audit``: the envelope
    says it holds one."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or (not audit and _AUDIT_MARK not in value and "protoPayload" not in value):
        return None
    text = value.strip()
    if not text.startswith("{"):
        return None
    try:
        inner = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return inner if isinstance(inner, dict) else None


def _aks_place(attrs: dict[str, Any], resource_id: str | None, pod: str | None) -> None:
    """The AKS cluster named in an Azure resource id (``…/managedClusters/<name>``) and the API server pod."""
    at = (resource_id or "").upper().find("/MANAGEDCLUSTERS/")
    if at >= 0:
        cluster = (resource_id or "")[at + len("/MANAGEDCLUSTERS/") :].split("/", 1)[0]
        if cluster:
            attrs["k8s.cluster"] = cluster
    if pod:
        attrs["k8s.apiserver.pod"] = pod


AKS_AUDIT_CATEGORIES = frozenset(("kube-audit", "kube-audit-admin"))  # AKS diagnostic settings' audit categories


def _envelope(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(inner Event, attributes the envelope adds)`` for an envelope around an audit Event."""
    properties = obj.get("properties")
    if isinstance(properties, dict) and "log" in properties:  # AKS diagnostic record
        category = _str(obj.get("category"))
        inner = _decode(properties["log"], category in AKS_AUDIT_CATEGORIES)
        if inner is not None and (
            looks_like(inner) or (category in AKS_AUDIT_CATEGORIES and inner.get("kind") == "Event")
        ):
            # (the kube-audit categories say what the log is, however few of its fields the event kept)
            extra: dict[str, Any] = {"cloud.provider": "azure"}
            if category:
                extra["azure.log_category"] = category
            _aks_place(extra, _str(obj.get("resourceId")), _str(properties.get("pod")))
            return inner, extra
    raw = _dict(properties).get("RawEventData") if isinstance(properties, dict) else None
    if isinstance(raw, dict) and (_str(raw.get("ApiVersion")) or "").startswith("audit.k8s.io/"):
        # Microsoft Defender XDR's CloudAuditEvents (its streaming export): the AKS audit Event under
        # properties.RawEventData, every key capitalised ("Verb", "RequestURI", "ObjectRef", "ResponseStatus")
        inner = {key[:1].lower() + key[1:]: value for key, value in raw.items()}
        extra = {"cloud.provider": "azure", "azure.log_category": _str(obj.get("category")) or "CloudAuditEvents"}
        _aks_place(extra, _str(raw.get("AzureResourceId")), None)
        return inner, extra
    for key in _ENVELOPE_KEYS:
        if key not in obj:
            continue
        inner = _decode(obj[key])
        if inner is None or not (looks_like(inner) or _is_gke(inner)):
            continue
        extra = {}
        if key == "@message":  # CloudWatch Logs (EKS control-plane logging)
            extra["cloud.provider"] = "aws"
            group = _str(obj.get("@log")) or ""  # "<account>:/aws/eks/<cluster>/cluster"
            account, _, name = group.partition(":")
            if name.startswith("/aws/eks/"):
                extra["k8s.cluster"] = name[len("/aws/eks/") :].split("/", 1)[0]
                if account.isdigit():
                    extra["cloud.account.id"] = account
            stream = _str(obj.get("@logStream"))
            if stream:
                extra["aws.log.stream"] = stream
        return inner, extra
    return None


# AKS resource-specific tables (AKSAudit, AKSAuditAdmin): column -> Event key
_AKS_COLUMNS = {
    "AuditId": "auditID",
    "Level": "level",
    "Stage": "stage",
    "RequestUri": "requestURI",
    "Verb": "verb",
    "User": "user",
    "ImpersonatedUser": "impersonatedUser",
    "SourceIps": "sourceIPs",
    "UserAgent": "userAgent",
    "ObjectRef": "objectRef",
    "ResponseStatus": "responseStatus",
    "Annotations": "annotations",
    "RequestReceivedTime": "requestReceivedTimestamp",
    "StageReceivedTime": "stageTimestamp",
}
_AKS_DYNAMIC = ("User", "ImpersonatedUser", "SourceIps", "ObjectRef", "ResponseStatus", "Annotations")


def _is_aks_row(obj: dict[str, Any]) -> bool:
    kind = obj.get("Type")
    if kind in ("AKSAudit", "AKSAuditAdmin"):
        return True
    return kind is None and "AuditId" in obj and "Stage" in obj and ("Verb" in obj or "RequestUri" in obj)


def _from_aks_row(obj: dict[str, Any]) -> _Request:
    event: dict[str, Any] = {}
    for column, key in _AKS_COLUMNS.items():
        value = obj.get(column)
        if column in _AKS_DYNAMIC and isinstance(value, str) and value[:1] in ("{", "["):
            try:  # `az monitor log-analytics query` and CSV exports give dynamic columns as JSON text
                value = json.loads(value)
            except (ValueError, RecursionError):
                continue
        if value is not None:
            event[key] = value
    req = _from_event(event)
    attrs = req.attrs
    attrs["cloud.provider"] = "azure"
    kind = _str(obj.get("Type"))
    if kind:
        attrs["azure.log_table"] = kind
    _aks_place(attrs, _str(obj.get("_ResourceId")), _str(obj.get("PodName")))
    if req.time is None:
        stamp = _str(obj.get("TimeGenerated"))
        req.time = normalize(stamp) if stamp else None
    return req


# OCSF's API Activity class: Amazon Security Lake delivers EKS audit events so (metadata.product.version names the
# audit API), each field where OCSF puts it and the rest under "unmapped" by its Event path
_OCSF_API_ACTIVITY = 6003


def _is_ocsf_audit(obj: dict[str, Any]) -> bool:
    product = _dict(_dict(obj.get("metadata")).get("product"))
    return (_str(product.get("version")) or "").startswith("audit.k8s.io/") or "Kubernetes" in str(
        _dict(product.get("feature")).get("name", "")
    )


def _from_ocsf(obj: dict[str, Any]) -> dict[str, Any]:
    """The audit Event an OCSF API Activity record was mapped from, as far as it keeps it."""
    api, actor = _dict(obj.get("api")), _dict(obj.get("actor"))
    user = _dict(actor.get("user"))
    request = _dict(obj.get("http_request"))
    unmapped = _dict(obj.get("unmapped"))
    groups = [_str(_dict(group).get("name")) for group in _list(user.get("groups"))]
    resources = [item for item in _list(obj.get("resources")) if isinstance(item, dict)]
    target = resources[0] if resources else {}
    object_ref = {
        "resource": _str(target.get("type")),
        "name": _str(target.get("name")),
        "namespace": _str(target.get("namespace")) or _str(unmapped.get("objectRef.namespace")),
        "apiGroup": _str(unmapped.get("objectRef.apiGroup")),
        "subresource": _str(unmapped.get("objectRef.subresource")),
    }
    annotations = {
        key.removeprefix("annotations."): value for key, value in unmapped.items() if key.startswith("annotations.")
    }
    stamp = obj.get("time")
    event: dict[str, Any] = {
        "apiVersion": _str(_dict(_dict(obj.get("metadata")).get("product")).get("version")),
        "kind": "Event",
        "auditID": _str(_dict(api.get("request")).get("uid")),
        "stage": _str(obj.get("message")),
        "level": _str(_dict(obj.get("metadata")).get("log_level")),
        "verb": _str(api.get("operation")),
        "requestURI": _str(_dict(request.get("url")).get("path")),
        "userAgent": _str(request.get("user_agent")),
        "sourceIPs": [ip] if (ip := _str(_dict(obj.get("src_endpoint")).get("ip"))) else None,
        "user": {"username": _str(user.get("name")), "uid": _str(user.get("uid")), "groups": [g for g in groups if g]},
        "objectRef": {key: value for key, value in object_ref.items() if value},
        "responseStatus": {"code": _int(_dict(api.get("response")).get("code"))},
        "annotations": annotations or None,
        "requestReceivedTimestamp": (
            datetime.fromtimestamp(stamp / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            if isinstance(stamp, int | float) and 0 < stamp < 1e14
            else None
        ),
    }
    return {key: value for key, value in event.items() if value is not None}


def _is_falco(obj: dict[str, Any]) -> bool:
    """A Falco alert of the k8s_audit source (the k8saudit plugin) with the request's ``ka.*`` fields."""
    if obj.get("source") not in ("k8s_audit", "k8saudit"):
        return False
    fields = obj.get("output_fields")
    return isinstance(fields, dict) and ("ka.verb" in fields or "ka.uri" in fields)


def _from_falco(obj: dict[str, Any]) -> _Request:
    fields: dict[str, Any] = obj["output_fields"]
    req = _Request(completed=True)  # Falco's k8s_audit rules read finished requests (their response code)
    attrs = req.attrs
    _set_actor(req, _str(fields.get("ka.user.name")), _str(fields.get("ka.impuser.name")))
    _set_verb(req, _str(fields.get("ka.verb")))
    uri = _str(fields.get("ka.uri"))
    if uri:
        attrs["k8s.request_uri"] = uri
        _read_uri(uri, req)
        req.dry_run = _dry_run(uri)
    for key, name in (
        ("ka.target.resource", "resource"),
        ("ka.target.namespace", "namespace"),
        ("ka.target.name", "name"),
    ):
        value = _str(fields.get(key))
        if value and value != "<NA>":
            setattr(req, name, value)
    subresource = _str(fields.get("ka.target.subresource"))
    if subresource and subresource != "<NA>":
        req.subresource = subresource
    _fill_object(req)
    code = _str(fields.get("ka.response.code"))
    if code and code.isdigit() and len(code) == 3:
        req.code = attrs["http.response.status_code"] = int(code)
    _authorization(req, fields.get("ka.auth.decision"), fields.get("ka.auth.reason"))
    ips = fields.get("ka.sourceips")
    if isinstance(ips, list) and ips and isinstance(ips[0], str):
        attrs["client.address"] = ips[0]
    for key, name in (("rule", "falco.rule"), ("priority", "falco.priority"), ("hostname", "host.name")):
        value = _str(obj.get(key))
        if value:
            attrs[name] = value
    stamp = _str(obj.get("time"))
    req.time = normalize(stamp) if stamp else None
    return req


def _parse(obj: dict[str, Any], depth: int = 0) -> Parsed | None:
    if looks_like(obj):
        return _classify(_from_event(obj))
    if _is_gke(obj):
        return _classify(_from_gke(obj))
    if _is_aks_row(obj):
        return _classify(_from_aks_row(obj))
    if _is_falco(obj):
        return _classify(_from_falco(obj))
    if obj.get("class_uid") == _OCSF_API_ACTIVITY and _is_ocsf_audit(obj):
        req = _from_event(_from_ocsf(obj))
        req.attrs["ocsf.class"] = "API Activity"
        return _classify(req)
    items = obj.get("items")
    if obj.get("kind") == "EventList" and isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict):
        # the webhook backend's batch, as the docs print it; a batch of several is many events, not one line's
        version = obj.get("apiVersion")
        if isinstance(version, str) and version.startswith("audit.k8s.io/"):
            return _classify(_from_event(items[0]))
    if depth >= 3:
        return None
    found = _envelope(obj)
    if found is None:
        return None
    inner, extra = found
    parsed = _parse(inner, depth + 1)
    if parsed is None and extra.get("azure.log_category") in AKS_AUDIT_CATEGORIES:
        parsed = _classify(_from_event(inner))  # an event with none of the fields looks_like asks for
    if parsed is not None:
        for key, value in extra.items():
            parsed.attributes.setdefault(key, value)
    return parsed


def parse_object(obj: dict[str, Any], source: Source | None = None) -> Parsed:
    """An ``audit.k8s.io`` Event, classified."""
    return _classify(_from_event(obj))


# ------------------------------------------------------------------ legacy text


def _unquote(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    escaped = False
    for ch in raw:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


def _legacy_fields(text: str, pos: int) -> dict[str, str]:
    """``key="value"`` (Go ``%q`` quoting) and ``key=value`` pairs from *pos*; linear in the line's length."""
    fields: dict[str, str] = {}
    size = len(text)
    while pos < size and len(fields) < 32:
        eq = text.find("=", pos, pos + 40)
        if eq < 0:
            break
        key = text[pos:eq].strip()
        if not key.isidentifier():
            break
        if text.startswith('"', eq + 1):
            start = scan = eq + 2
            while True:
                quote = text.find('"', scan)
                if quote < 0:
                    return fields  # unterminated value: keep what was read
                back = quote - 1
                while back >= scan and text[back] == "\\":
                    back -= 1
                if (quote - 1 - back) % 2 == 0:
                    break
                scan = quote + 1
            fields[key] = _unquote(text[start:quote])
            pos = quote + 1
        else:  # an unquoted value (response=200 in the first releases)
            end = text.find(" ", eq + 1)
            end = size if end < 0 else end
            fields[key] = text[eq + 1 : end]
            pos = end
        while pos < size and text[pos] == " ":
            pos += 1
    return fields


def _legacy(body: str, at: int) -> Parsed | None:
    fields = _legacy_fields(body, at + len(_LEGACY_MARK))
    audit_id = fields.get("id")
    if not audit_id:
        return None
    req = _Request()
    attrs = req.attrs
    attrs["k8s.audit_id"] = audit_id
    attrs["k8s.audit_format"] = "legacy"
    prefix = body[:at].split()
    if prefix:
        req.time = normalize(prefix[-1]) or normalize(prefix[0])
    user = fields.get("user")
    if user:
        req.user = attrs["k8s.user"] = user
    groups = fields.get("groups")
    if groups and groups != "<none>":
        attrs["k8s.user.groups"] = [g.strip('"') for g in groups.split(",") if g.strip('"')][:64]
    impersonated = fields.get("as")
    if impersonated and impersonated not in ("<self>", "<none>"):
        req.impersonated = attrs["k8s.impersonated_user"] = impersonated
    ip = fields.get("ip")
    if ip:
        attrs["client.address"] = ip
    req.stage = fields.get("stage")
    if req.stage:
        attrs["k8s.stage"] = req.stage
    method = fields.get("method")
    if method:
        if method in _HTTP_VERBS:  # before 1.8 the line named the HTTP method, not the verb
            attrs["http.request.method"] = method
            method = _HTTP_VERBS[method]
        req.verb = attrs["k8s.verb"] = method
    uri = fields.get("uri")
    if uri:
        attrs["k8s.request_uri"] = uri
        _read_uri(uri, req)
        _fill_object(req)
        if _dry_run(uri):
            req.dry_run = attrs["k8s.dry_run"] = True
    namespace = fields.get("namespace")
    if namespace and namespace != "<none>":
        req.namespace = req.namespace or namespace
        attrs["k8s.namespace"] = req.namespace
    response = fields.get("response")
    if response is not None:
        if response.isdigit() and len(response) == 3:
            req.code = attrs["http.response.status_code"] = int(response)
    if req.code is None and req.stage is None:  # response="<deferred>", or a request line before 1.8
        req.stage = "RequestReceived"
    if method or req.code is None:
        return _classify(req)
    # the follow-up line of the first releases: id and response only
    req.verb = "response"
    parsed = _classify(req)
    parsed.summary = clip(f"response {req.code} to request {audit_id}", 240)
    return parsed


def _tail(body: str, at: int) -> Parsed | None:
    """``[<time>] kube-apiserver-audit-<hash> {Event JSON}`` (``aws logs tail``), or a CloudWatch Logs
    Insights CSV row ``kube-apiserver-audit-<hash>,<time>,…,"{""kind"":…}"`` (quotes doubled)."""
    end = at + len(_TAIL_MARK)
    size = min(len(body), end + 80)
    while end < size and (body[end].isalnum() or body[end] in "-_"):
        end += 1
    stream = body[at:end]
    csv = body.startswith(",", end)
    if not (csv or body.startswith(" ", end)) or len(body[:at].split()) > 1:
        return None
    brace = body.find("{", end)
    if brace >= 0 and len(body[end:brace].split()) > 2:
        brace = -1  # more than a time between the stream and the brace: not this shape
    doubled = csv and '""' in body
    parsed: Parsed | None = None
    if brace >= 0 and _AUDIT_MARK in body:
        text = body[brace:]
        if doubled:
            text = text.rstrip()
            if text.endswith('"') and body[brace - 1 : brace] == '"':
                text = text[:-1]
            text = text.replace('""', '"')
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict) and looks_like(obj):
            parsed = _classify(_from_event(obj))
    if parsed is None:  # elided or cut, as pasted
        rest = body[end:]
        parsed = _fragment(rest.replace('""', '"') if doubled else rest, known=True)
    if parsed is None and csv:
        parsed = _csv_fields(body[end + 1 :])
    if parsed is None:
        return None
    parsed.attributes.setdefault("aws.log.stream", stream)
    parsed.attributes.setdefault("cloud.provider", "aws")
    return parsed


_VERBS = frozenset(_CHANGE_VERBS) | _READ_VERBS | {"proxy", "connect", "impersonate", "bind", "escalate"}


def _csv_fields(row: str) -> Parsed | None:
    """A Logs Insights CSV row of selected fields (``<time>,<requestURI>,<verb>,<user>`` in the
    query's order): the request URI, the verb and the user, found by their form; no outcome."""
    cells = row.split(",", 12)[:12]
    req = _Request()
    for cell in cells:
        cell = cell.strip().strip('"')
        if cell.startswith("/") and not req.attrs.get("k8s.request_uri"):
            req.attrs["k8s.request_uri"] = cell
            _read_uri(cell, req)
            _fill_object(req)
        elif cell in _VERBS and not req.verb:
            req.verb = req.attrs["k8s.verb"] = cell
        elif not req.user and (cell.startswith("system:") or "@" in cell) and " " not in cell:
            req.user = req.attrs["k8s.user"] = cell
    if not (req.verb and req.attrs.get("k8s.request_uri")):
        return None
    req.attrs["meshtail.partial"] = True  # no stage and no response in the row: the outcome is not known
    return _classify(req)


# ------------------------------------------------------------------ events that are not valid JSON


def _string_at(text: str, start: int) -> str | None:
    """The JSON string whose body starts at *start* (after its opening quote), decoded; linear."""
    scan = start
    limit = min(len(text), start + 8192)
    while True:
        quote = text.find('"', scan, limit)
        if quote < 0:
            return None
        back = quote - 1
        while back >= scan and text[back] == "\\":
            back -= 1
        if (quote - 1 - back) % 2 == 0:
            break
        scan = quote + 1
    raw = text[start:quote]
    if "\\" not in raw:
        return raw
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return _unquote(raw)
    return value if isinstance(value, str) else None


def _value_at(text: str, key: str, opener: str, start: int = 0, end: int | None = None) -> int:
    """Where the value of the first ``"key":`` in ``[start, end)`` starts when it opens with *opener*
    (a quote, a brace), spaces after the colon allowed; -1 if there is none."""
    end = len(text) if end is None else end
    needle = f'"{key}":'
    at = text.find(needle, start, end)
    while at >= 0:
        pos = at + len(needle)
        while pos < len(text) and pos - at < len(needle) + 4 and text[pos] == " ":
            pos += 1
        if text.startswith(opener, pos):
            return pos
        at = text.find(needle, pos, end)
    return -1


def _field(text: str, key: str, start: int = 0, end: int | None = None) -> str | None:
    at = _value_at(text, key, '"', start, end)
    return None if at < 0 else _string_at(text, at + 1)


def _object_at(text: str, key: str) -> tuple[int, dict[str, Any] | None]:
    """Where ``"key":{`` opens, and the object when it is flat (objectRef) and readable."""
    at = _value_at(text, key, "{")
    if at < 0:
        return -1, None
    start = at
    close = text.find("}", start, start + 2048)
    if close < 0:
        return at, None
    try:
        obj = json.loads(text[start : close + 1])
    except (ValueError, RecursionError):
        return at, None
    return at, obj if isinstance(obj, dict) else None


_FRAGMENT_STRINGS = (
    "auditID",
    "stage",
    "level",
    "requestURI",
    "verb",
    "userAgent",
    "requestReceivedTimestamp",
    "stageTimestamp",
    "timestamp",
)


def _fragment(text: str, known: bool = False) -> Parsed | None:
    """An audit Event that does not parse as JSON, from its fields found by string search.

    The API server writes an Event's fields in a fixed order (kind … verb, user, impersonatedUser,
    sourceIPs, userAgent, objectRef, responseStatus, requestObject, responseObject, timestamps,
    annotations); a key in a JSON string has its quotes escaped, so ``"key":"`` is a key of the
    event or of an object it holds — the first is the event's for the keys before requestObject,
    the last for the annotations after it.
    """
    if not known and '"kind":"Event"' not in text[:600] and _AUDIT_MARK not in text[:600]:
        return None  # *known*: the line's stream already said it is an audit event
    event: dict[str, Any] = {"kind": "Event"}
    for key in _FRAGMENT_STRINGS:
        value = _field(text, key)
        if value is not None:
            event[key] = value
    if not ("verb" in event or "requestURI" in event or ("auditID" in event and "stage" in event)):
        return None
    for key in ("user", "impersonatedUser"):
        at = _value_at(text, key, "{")
        if at >= 0:
            name = _field(text, "username", at, at + 1024)
            if name is not None:
                event[key] = {"username": name}
    at = _value_at(text, "sourceIPs", '["')
    if at >= 0:
        ip = _string_at(text, at + 2)
        if ip:
            event["sourceIPs"] = [ip]
    at, ref = _object_at(text, "objectRef")
    if ref is not None:
        event["objectRef"] = ref
    elif at >= 0:
        close = text.find("}", at, at + 2048)
        event["objectRef"] = {
            key: value
            for key in ("resource", "namespace", "name", "apiGroup", "apiVersion", "subresource")
            if (value := _field(text, key, at, close if close > 0 else at + 2048)) is not None
        }
    at = _value_at(text, "responseStatus", "{")
    if at >= 0:
        status: dict[str, Any] = {}
        code_at = text.find('"code":', at, at + 8192)
        if code_at >= 0:
            digits = text[code_at + 7 : code_at + 12].strip()[:3]
            if digits.isdigit() and len(digits) == 3:
                status["code"] = int(digits)
        stop = code_at if code_at >= 0 else at + 8192
        for key in ("reason", "message"):
            value = _field(text, key, at, stop)
            if value is not None:
                status[key] = value
        event["responseStatus"] = status
    annotations = {}
    for key in ("authorization.k8s.io/decision", "authorization.k8s.io/reason", _VAP_FAILURE):
        at = text.rfind(f'"{key}":"')
        if at >= 0:
            value = _string_at(text, at + len(key) + 4)
            if value is not None:
                annotations[key] = value
    if annotations:
        event["annotations"] = annotations
    parsed = _classify(_from_event(event))
    parsed.attributes["meshtail.partial"] = True
    return parsed


def recognise_cut(obj: dict[str, Any]) -> tuple[str, Parsed] | None:
    """An audit Event cut before the keys :func:`looks_like` wants (closed by :mod:`.cutjson`): its auditID, or the
    authorizer's annotations (labels in Cloud Logging's export) that only an audit event carries."""
    marks = _dict(obj.get("annotations")) or _dict(obj.get("labels"))
    if "auditID" not in obj and not any(str(key).startswith("authorization.k8s.io/") for key in marks):
        return None
    return "k8s-audit", _classify(_from_event(obj))


def recognise_fragment(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """An audit Event that is not valid JSON as pasted (elided, cut, a quote lost), or None."""
    parsed = _fragment(body)
    return None if parsed is None else ("k8s-audit", parsed)


def _embedded(body: str, mark: int) -> Parsed | None:
    """An Event after a prefix no wrapper peeled (Fluent Bit's ``[0] tag: [<time>, {…}]``, a node
    name), or pasted without its opening brace."""
    if body.startswith('"kind":"Event"'):
        try:
            obj = json.loads("{" + body)
        except (ValueError, RecursionError):
            return _fragment(body)
        return _classify(_from_event(obj)) if isinstance(obj, dict) and looks_like(obj) else None
    decoder = json.JSONDecoder()
    for brace in (body.find("{", 0, mark), body.rfind("{", 0, mark)):
        if brace < 0:
            continue
        try:
            obj, _ = decoder.raw_decode(body, brace)
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict) and looks_like(obj):
            return _classify(_from_event(obj))
    return None


# ------------------------------------------------------------------ classification


def _target(req: _Request) -> str:
    if req.resource:
        resource = f"{req.resource}/{req.subresource}" if req.subresource else req.resource
        if req.namespace:
            return f"{resource} {req.namespace}/{req.name}" if req.name else f"{resource} in {req.namespace}"
        return f"{resource} {req.name}" if req.name else resource
    return req.path or "?"


def _result(
    time: str | None,
    category: str,
    outcome: str,
    violation: bool,
    severity: str,
    action: str,
    summary: str,
    attrs: dict[str, Any],
) -> Parsed:
    return Parsed(time, category, outcome, violation, severity, action, clip(summary, 240), attrs, decoded=True)


def _classify(req: _Request) -> Parsed:
    attrs = req.attrs
    actor = req.user or "unknown user"
    if req.impersonated:
        actor = f"{actor} (as {req.impersonated})"
    verb = req.verb
    target = _target(req)
    change = _CHANGE_VERBS.get(verb)
    mesh = is_mesh(req.group, req.resource, req.namespace, req.name)
    code, grpc = req.code, req.grpc
    webhook = _webhook(req.message)
    if webhook:
        attrs["k8s.admission_webhook"] = webhook
    policy = None if webhook else _policy(req.message)
    if policy:
        attrs["k8s.admission_policy"] = policy
    denied = (
        req.decision == "forbid"
        or req.authn_denied
        or code in (401, 403)
        or grpc in _GRPC_DENIED
        or (req.granted is False and req.decision != "allow")
    )
    failed = (code is not None and code >= 400) or bool(grpc) or req.stage == "Panic"
    final = req.stage in _FINAL_STAGES
    known = code is not None or grpc is not None or req.completed
    status = str(code) if code is not None else _GRPC.get(grpc or 0, f"code {grpc}") if grpc else ""
    t = req.time

    # a write of the status subresource is a controller's report, not configuration, unless forbidden
    if mesh and change and (req.subresource != "status" or denied):
        action = f"resource.{change}"
        group = f" ({req.group})" if req.group else " (mesh config)"
        admission = webhook or policy
        if denied and not (admission and req.decision != "forbid"):
            summary = f"{actor} was denied {verb} on {target}{group}"
            return _result(t, "config", "deny", True, "warning", action, summary, attrs)
        if admission:
            what = "admission webhook" if webhook else "admission policy"
            summary = f'{what} "{clip(admission, 80)}" rejected {actor}\'s {verb} of {target}{group}'
            return _result(t, "config", "failure", True, "warning", action, summary, attrs)
        if failed:
            summary = f"{actor} failed to {verb} {target}{group}: {status or req.stage}"
            severity = "error" if req.stage == "Panic" else "warning"
            # rejected as invalid (400/422) is a violation; a conflict, a missing object or a server error is not
            invalid = code in (400, 422) or grpc == 3
            return _result(t, "config", "failure", invalid, severity, action, summary, attrs)
        if not final or not (known or req.stage == "ResponseComplete"):
            summary = f"{actor} {verb} {target}{group} ({req.stage or 'no response'})"
            return _result(t, "config", "unknown", False, "debug", action, summary, attrs)
        if req.dry_run:  # admitted, validated and not persisted
            summary = f"{actor} dry-run {verb} of {target}{group} passed (not persisted)"
            return _result(t, "config", "success", False, "info", action, summary, attrs)
        summary = f"{actor} {_PAST[change]} {target}{group}"
        if req.policy_audit:  # admitted, but a policy in Audit mode would have rejected it
            summary += f'; admission policy "{clip(req.policy_audit, 80)}" (Audit) found it invalid'
            return _result(t, "config", "change", True, "warning", action, summary, attrs)
        return _result(t, "config", "change", False, "info", action, summary, attrs)
    word = action_word(verb or "request")
    if denied:  # at any stage: a 401/403 is answered before the response starts (a watch's ResponseStarted too)
        summary = f"{actor} was denied {verb or 'a request'} on {target}" + (f" -> {status}" if status else "")
        return _result(t, "auth", "deny", True, "warning", f"k8s.{word}", summary, attrs)
    if not final:
        # a watch's or an exec's response has started: granted, and answered (200 for a watch, 101 an upgrade)
        outcome = "success" if code is not None and (code == 101 or 200 <= code < 300) else "unknown"
    elif failed:
        outcome = "failure"
    else:
        outcome = "success" if known else "unknown"
    if outcome == "failure":
        severity = "error" if req.stage == "Panic" or (code is not None and code >= 500) else "warning"
    else:
        severity = "debug" if verb in _READ_VERBS or not final else "info"
    summary = f"{actor} {verb or 'request'} {target}"
    if status:
        summary += f" -> {status}"
    elif req.stage and not final:
        summary += f" ({req.stage})"
    return _result(t, "other", outcome, False, severity, f"k8s.{word}", summary, attrs)


# ------------------------------------------------------------------ entry points


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """An API-server audit event in any JSON shape (see the module docstring), or None."""
    parsed = _parse(obj)
    return None if parsed is None else ("k8s-audit", parsed)


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """An audit event in a text shape (legacy ``AUDIT: id=…`` lines, ``aws logs tail`` lines), or None."""
    at = body.find(_LEGACY_MARK, 0, 120)
    if at >= 0 and body.startswith('id="', at + len(_LEGACY_MARK)):
        parsed = _legacy(body, at)
        return None if parsed is None else ("k8s-audit", parsed)
    at = body.find(_TAIL_MARK, 0, 120)
    if at >= 0:
        parsed = _tail(body, at)
        if parsed is not None:
            return "k8s-audit", parsed
    mark = body.find(_AUDIT_MARK, 0, 400)
    if mark >= 0:
        parsed = _embedded(body, mark)
        if parsed is not None:
            return "k8s-audit", parsed
    return None
