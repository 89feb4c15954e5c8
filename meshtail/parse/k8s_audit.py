"""Kubernetes API-server audit events (``audit.k8s.io/v1`` and ``v1beta1``, one JSON object per line).

Changes to Istio and Gateway API resources become ``config`` events naming the actor,
the verb and the object; a forbidden attempt to change them is a violation.  All other
audit events stay available as ``other`` events with the same attributes.
"""

from __future__ import annotations

from typing import Any

from ..events import Source
from .result import Parsed, action_word
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
_CHANGE_VERBS = {
    "create": "create",
    "update": "update",
    "patch": "update",
    "delete": "delete",
    "deletecollection": "delete",
}
_OBJECT_REF = {
    "resource": "k8s.resource",
    "namespace": "k8s.namespace",
    "name": "k8s.name",
    "apiGroup": "k8s.api_group",
    "apiVersion": "k8s.api_version",
    "subresource": "k8s.subresource",
    "uid": "k8s.uid",
}
_PAST = {"create": "created", "update": "updated", "delete": "deleted"}


def looks_like(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == "Event" and str(obj.get("apiVersion", "")).startswith("audit.k8s.io/")


def parse_object(obj: dict[str, Any], source: Source | None = None) -> Parsed:
    attrs: dict[str, Any] = {}
    user = obj.get("user") if isinstance(obj.get("user"), dict) else {}
    username = user.get("username")
    if username:
        attrs["k8s.user"] = username
    if user.get("groups"):
        attrs["k8s.user.groups"] = user["groups"]
    impersonated = obj.get("impersonatedUser")
    if isinstance(impersonated, dict) and impersonated.get("username"):
        attrs["k8s.impersonated_user"] = impersonated["username"]
    verb = str(obj.get("verb", ""))
    attrs["k8s.verb"] = verb
    for key, name in (
        ("auditID", "k8s.audit_id"),
        ("stage", "k8s.stage"),
        ("level", "k8s.audit_level"),
        ("requestURI", "k8s.request_uri"),
        ("userAgent", "user_agent.original"),
    ):
        if obj.get(key) is not None:
            attrs[name] = obj[key]
    ips = obj.get("sourceIPs")
    if isinstance(ips, list) and ips:
        attrs["client.address"] = ips[0]
        if len(ips) > 1:
            attrs["k8s.source_ips"] = ips
    ref = obj.get("objectRef") if isinstance(obj.get("objectRef"), dict) else {}
    for key, name in _OBJECT_REF.items():
        if ref.get(key):
            attrs[name] = ref[key]
    status = obj.get("responseStatus") if isinstance(obj.get("responseStatus"), dict) else {}
    code = status.get("code")
    if isinstance(code, int):
        attrs["http.response.status_code"] = code
    if status.get("reason"):
        attrs["k8s.response_reason"] = status["reason"]
    if status.get("message"):
        attrs["k8s.response_message"] = status["message"]
    annotations = obj.get("annotations") if isinstance(obj.get("annotations"), dict) else {}
    decision = annotations.get("authorization.k8s.io/decision")
    if decision:
        attrs["k8s.authorization.decision"] = decision
    if annotations.get("authorization.k8s.io/reason"):
        attrs["k8s.authorization.reason"] = annotations["authorization.k8s.io/reason"]

    stamp = obj.get("stageTimestamp") or obj.get("requestReceivedTimestamp") or obj.get("timestamp")
    time = normalize(stamp) if isinstance(stamp, str) else None
    actor = username or "unknown user"
    resource = ref.get("resource", "?")
    if ref.get("subresource"):
        resource = f"{resource}/{ref['subresource']}"
    name = ref.get("name") or ""
    target = f"{resource} {ref['namespace']}/{name}" if ref.get("namespace") else f"{resource} {name}".rstrip()
    mesh = ref.get("apiGroup") in MESH_GROUPS
    change = _CHANGE_VERBS.get(verb)
    stage = obj.get("stage")
    denied = decision == "forbid" or code in (401, 403)
    failed = isinstance(code, int) and code >= 400

    if mesh and change:
        action = f"resource.{change}"
        group = f" ({ref.get('apiGroup')})"
        if denied:
            return Parsed(
                time,
                "config",
                "deny",
                True,
                "warning",
                action,
                f"{actor} was denied {verb} on {target}{group}",
                attrs,
                decoded=True,
            )
        if failed:
            return Parsed(
                time,
                "config",
                "failure",
                False,
                "warning",
                action,
                f"{actor} failed to {verb} {target}{group}: {code}",
                attrs,
                decoded=True,
            )
        if stage not in (None, "ResponseComplete"):
            return Parsed(
                time,
                "config",
                "unknown",
                False,
                "debug",
                action,
                f"{actor} {verb} {target}{group} ({stage})",
                attrs,
                decoded=True,
            )
        return Parsed(
            time,
            "config",
            "change",
            False,
            "info",
            action,
            f"{actor} {_PAST[change]} {target}{group}",
            attrs,
            decoded=True,
        )
    outcome = "deny" if denied else "failure" if failed else "success" if isinstance(code, int) else "unknown"
    severity = "warning" if denied or failed else "debug" if verb in ("get", "list", "watch") else "info"
    return Parsed(
        time,
        "auth" if denied else "other",
        outcome,
        denied and bool(change),
        severity,
        f"k8s.{action_word(verb or 'request')}",
        f"{actor} {verb} {target}" + (f" -> {code}" if code else ""),
        attrs,
        decoded=True,
    )


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """An API-server audit event, or None."""
    if not looks_like(obj):
        return None
    return "k8s-audit", parse_object(obj, source)


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """An audit event in a text shape (the legacy ``AUDIT: id=…`` lines), or None."""
    return None
