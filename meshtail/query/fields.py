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

from ..events import AuditEvent, Source
from ..text import has_unsafe

Getter = Callable[[AuditEvent], Iterable[Any]]
# Bound to one access-log format (and the source of its lines): the values read from a regex
# match, or None when they cannot be known without building the event (see Filter.bind).
MatchReader = Callable[["re.Match[str]"], "list[Any] | None"]

_RBAC_ID = re.compile(r"^ns\[([^\]]*)\]-policy\[([^\]]*)\]-rule\[(\d+)\]$")
_DECISION_FIELDS = frozenset({"category", "outcome", "violation", "severity", "action"})


class _Attr:
    """Attributes by name (several places; a term matches if any value does)."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def __call__(self, event: AuditEvent) -> Iterable[Any]:
        # event.attr reads one attribute: on an access log it is one regex group, not the whole event
        out: list[Any] = []
        for name in self.names:
            value = event.attr(name)
            if value is None:
                continue
            if type(value) is list:
                out.extend(value)
            else:
                out.append(value)
        return out

    def bind(self, compiled: Any, source: Source) -> MatchReader | None:
        readers = []
        for name in self.names:
            if name not in compiled.possible:
                continue  # no line of this format has it
            reader = compiled.accessors.get(name)
            if reader is None:
                return None
            readers.append(reader)
        if not readers:
            return lambda m: []

        def read(m: re.Match[str]) -> list[Any] | None:
            out: list[Any] = []
            for reader in readers:
                value = reader(m)
                if value is None:
                    continue
                values = value if type(value) is list else (value,)
                for item in values:
                    if type(item) is str and has_unsafe(item):
                        return None  # the event shows it escaped: let the event answer
                out.extend(values)
            return out

        return read


class _Top:
    """One of the event's own fields (the decision, format, time, summary, raw, received)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, event: AuditEvent) -> Iterable[Any]:
        value = getattr(event, self.name)
        return () if value is None else (value,)

    def bind(self, compiled: Any, source: Source) -> MatchReader | None:
        name = self.name
        if name in _DECISION_FIELDS:
            return lambda m: [getattr(compiled.decide(m), name)]
        if name == "format":
            return lambda m: ["envoy-text"]
        if name == "raw":
            return lambda m: [m.string]
        if name == "time":  # without a start time in the line, the event's time is the kubelet's
            return lambda m: None if (t := compiled.time(m.groups())) is None else [t]
        return None  # summary, received: not known from the match


class _Source:
    """A field of where the line came from: the same for every line of a bound stream."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, event: AuditEvent) -> Iterable[Any]:
        value = getattr(event.source, self.name, None)
        return () if value is None else (value,)

    def bind(self, compiled: Any, source: Source) -> MatchReader | None:
        if self.name == "line":
            return None
        value = getattr(source, self.name, None)
        values = [] if value is None else [value]
        return lambda m: values


class _Both:
    def __init__(self, *getters: Any) -> None:
        self.getters = getters

    def __call__(self, event: AuditEvent) -> Iterable[Any]:
        out: list[Any] = []
        for getter in self.getters:
            out.extend(getter(event))
        return out

    def bind(self, compiled: Any, source: Source) -> MatchReader | None:
        readers = [getter.bind(compiled, source) for getter in self.getters]
        if any(reader is None for reader in readers):
            return None

        def read(m: re.Match[str]) -> list[Any] | None:
            out: list[Any] = []
            for reader in readers:
                values = reader(m)  # type: ignore[misc]
                if values is None:
                    return None
                out.extend(values)
            return out

        return read


class _Policy:
    """The policy id as logged, plus ``ns/name`` and ``name`` for Envoy's RBAC ids."""

    def __call__(self, event: AuditEvent) -> Iterable[Any]:
        value = event.attr("istio.policy")
        if value is None:
            return ()
        out = [value]
        match = _RBAC_ID.match(str(value))
        if match:
            out.append(f"{match.group(1)}/{match.group(2)}")
            out.append(match.group(2))
        elif "/" in str(value):
            out.append(str(value).split("/", 1)[1])
        return out

    def bind(self, compiled: Any, source: Source) -> MatchReader | None:
        return None  # derived from the response code details when the event is built


_attr, _top, _source, _both = _Attr, _Top, _Source, _Both
_policy = _Policy()
# where it ran, the object it is about (an audited resource; the pod istio-cni, istiod or ztunnel handled), where it
# went
_namespace = _both(_source("namespace"), _attr("k8s.namespace", "k8s.namespace.name", "istio.destination.namespace"))


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
    "ns": _namespace,
    "namespace": _namespace,
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
