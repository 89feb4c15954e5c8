"""Which event values a filter field name reads.

Short names are what operators type (``ns``, ``status``, ``policy``); several read
more than one place, and a term matches when any of them does.  Any attribute works
by its full name (``http.request.header.x-request-id:abc``), as do ``source.<key>``
and the event's own keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from ..events import AuditEvent

Getter = Callable[[AuditEvent], Iterable[Any]]

_RBAC_ID = re.compile(r"^ns\[([^\]]*)\]-policy\[([^\]]*)\]-rule\[(\d+)\]$")


def _attr(*names: str) -> Getter:
    def get(event: AuditEvent) -> Iterable[Any]:
        attrs = event.attributes
        for name in names:
            value = attrs.get(name)
            if value is None:
                continue
            if isinstance(value, list):
                yield from value
            else:
                yield value

    return get


def _top(name: str) -> Getter:
    def get(event: AuditEvent) -> Iterable[Any]:
        value = getattr(event, name)
        if value is not None:
            yield value

    return get


def _source(name: str) -> Getter:
    def get(event: AuditEvent) -> Iterable[Any]:
        value = getattr(event.source, name, None)
        if value is not None:
            yield value

    return get


def _both(*getters: Getter) -> Getter:
    def get(event: AuditEvent) -> Iterable[Any]:
        for getter in getters:
            yield from getter(event)

    return get


def _policy(event: AuditEvent) -> Iterable[Any]:
    """The policy id as logged, plus ``ns/name`` and ``name`` for Envoy's RBAC ids."""
    value = event.attributes.get("istio.policy")
    if value is None:
        return
    yield value
    match = _RBAC_ID.match(str(value))
    if match:
        yield f"{match.group(1)}/{match.group(2)}"
        yield match.group(2)
    elif "/" in str(value):
        yield str(value).split("/", 1)[1]


FIELDS: dict[str, Getter] = {
    "cat": _top("category"),
    "category": _top("category"),
    "outcome": _top("outcome"),
    "severity": _top("severity"),
    "sev": _top("severity"),
    "action": _top("action"),
    "format": _top("format"),
    "violation": _top("violation"),
    "summary": _top("summary"),
    "raw": _top("raw"),
    "time": _top("time"),
    "received": _top("received"),
    "ns": _both(_source("namespace"), _attr("k8s.namespace", "istio.destination.namespace")),
    "namespace": _both(_source("namespace"), _attr("k8s.namespace", "istio.destination.namespace")),
    "pod": _source("pod"),
    "container": _source("container"),
    "kind": _source("kind"),
    "src": _attr("client.address", "istio.source.workload", "istio.source.principal", "istio.source.namespace"),
    "dst": _attr(
        "server.address",
        "http.request.header.host",
        "istio.destination.service",
        "istio.destination.workload",
        "envoy.upstream_host",
        "destination.address",
        "envoy.upstream_cluster",
    ),
    "status": _attr("http.response.status_code"),
    "method": _attr("http.request.method"),
    "path": _attr("url.path"),
    "policy": _policy,
    "flags": _attr("envoy.response_flags"),
    "user": _attr("k8s.user", "k8s.manager", "k8s.impersonated_user"),
    "principal": _attr("istio.source.principal"),
    "duration": _attr("envoy.duration_ms", "ztunnel.duration_ms"),
    "route": _attr("envoy.route_name"),
    "cluster": _attr("envoy.upstream_cluster"),
    "details": _attr("envoy.response_code_details"),
    "resource": _attr("k8s.resource"),
    "request_id": _attr("http.request.header.x-request-id"),
    "message": _attr("log.message"),
}

# Fields whose values appear verbatim in the raw line, so a literal value can be
# looked for in the raw text before parsing (see compile.prechecks).
VERBATIM_FIELDS = frozenset({"status", "method", "path", "flags", "policy", "route", "cluster", "request_id"})

TOP_KEYS = frozenset(
    {"category", "outcome", "severity", "action", "format", "violation", "summary", "raw", "time", "received"}
)


def resolve(name: str) -> Getter | None:
    """The getter for a field name, or None if meshtail does not know it."""
    lowered = name.lower()
    if lowered in FIELDS:
        return FIELDS[lowered]
    if lowered.startswith("source."):
        return _source(lowered.split(".", 1)[1])
    if lowered.startswith("attributes."):
        return _attr(name.split(".", 1)[1])
    if "." in name:
        return _attr(name)
    return None
