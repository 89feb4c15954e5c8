"""ztunnel (Istio ambient) logs: access logs and policy rejections.

Text shape ``<ts>\\t<level>\\t<target>\\t<message>\\t<key=value ...>`` and the JSON mode
(``"scope":"access","message":...`` plus dotted keys); see
../shared/reference/log-formats.md §5.  Quoting of values varies by version, so
both ``key="v"`` and ``key=v`` are read.
"""

from __future__ import annotations

import re
from typing import Any

from ..events import Source
from ..text import clip
from .addresses import set_hostport
from .result import Parsed, attr_key, severity_of

_DENIED_BY = re.compile(r"explicitly denied by: (\S+)")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|us|µs)$")

_MAP = {
    "src.workload": "istio.source.workload",
    "src.namespace": "istio.source.namespace",
    "src.identity": "istio.source.principal",
    "dst.service": "istio.destination.service",
    "dst.workload": "istio.destination.workload",
    "dst.namespace": "istio.destination.namespace",
    "dst.identity": "istio.destination.principal",
    "dst.hbone_addr": "ztunnel.dst.hbone_addr",
    "direction": "istio.direction",
    "error": "error.message",
}


def is_ztunnel_target(target: str) -> bool:
    return target == "access" or "::" in target or target in ("ztunnel", "xds", "dns", "state", "proxy")


def _duration_ms(value: str) -> int | float | str:
    match = _DURATION.match(value)
    if not match:
        return value
    number, unit = float(match.group(1)), match.group(2)
    scale = {"ms": 1, "s": 1000, "us": 0.001, "µs": 0.001}[unit]
    result = number * scale
    return int(result) if result == int(result) else result


def build(
    time: str | None, level: str, target: str, message: str, fields: dict[str, Any], source: Source | None
) -> Parsed:
    attrs: dict[str, Any] = {"ztunnel.target": target, "log.message": message}
    for key, value in fields.items():
        if key == "src.addr":
            set_hostport(attrs, "client", str(value))
        elif key == "dst.addr":
            set_hostport(attrs, "destination", str(value))
        elif key in ("bytes_sent", "bytes_recv"):
            attrs[f"ztunnel.{key}"] = int(value) if str(value).isdigit() else value
        elif key == "duration":
            attrs["ztunnel.duration_ms"] = _duration_ms(str(value))
        elif key in _MAP:
            attrs[_MAP[key]] = value
        else:
            attrs[attr_key("ztunnel", key)] = value
    severity = severity_of(level)
    src = attrs.get("istio.source.workload") or attrs.get("client.address", "?")
    if attrs.get("istio.source.namespace"):
        src = f"{attrs['istio.source.namespace']}/{src}"
    dst = (
        attrs.get("istio.destination.service")
        or attrs.get("istio.destination.workload")
        or attrs.get("destination.address", "?")
    )
    error = attrs.get("error.message")
    if target == "access":
        if error and "policy rejection" in str(error):
            denied_by = _DENIED_BY.search(str(error))
            policy = denied_by.group(1) if denied_by else "none"
            attrs["istio.policy"] = policy
            by = policy if policy != "none" else "default deny (ALLOW policies exist, none matched)"
            return Parsed(
                time, "auth", "deny", True, "warning", "authz.deny", f"ztunnel denied {src} -> {dst} by {by}", attrs
            )
        if error:
            return Parsed(
                time,
                "routing",
                "failure",
                False,
                "error" if severity == "error" else "warning",
                "connection.failure",
                f"{src} -> {dst} failed: {clip(str(error), 140)}",
                attrs,
            )
        if message == "connection opened":
            return Parsed(time, "routing", "success", False, severity, "tcp.open", f"{src} -> {dst} opened", attrs)
        duration = attrs.get("ztunnel.duration_ms")
        timing = f" in {duration}ms" if duration is not None else ""
        return Parsed(
            time, "routing", "success", False, severity, "tcp.connection", f"{src} -> {dst} {message}{timing}", attrs
        )
    if error and "policy rejection" in str(error):
        return Parsed(time, "auth", "deny", True, "warning", "authz.deny", f"ztunnel: {clip(str(error), 160)}", attrs)
    return Parsed(
        time, "other", "unknown", False, severity, "ztunnel.log", f"ztunnel {target}: {clip(message, 160)}", attrs
    )


_SPLIT = re.compile(r"\s+(?=[A-Za-z_][\w.]*=)")


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """A ztunnel text line (recognised from its content), or None."""
    from .istio_go import split_line
    from .keyvalues import parse_key_values
    from .timestamps import normalize

    line = split_line(body)
    if line is None:
        return None
    scope = line.scope
    if not (
        scope is not None
        and is_ztunnel_target(scope)
        and ((source is not None and source.kind == "ztunnel") or scope == "access" or "::" in scope)
    ):
        return None
    message, fields = line.message, dict(line.fields)
    if not fields:
        parts = _SPLIT.split(message, maxsplit=1)
        if len(parts) == 2:
            message, fields = parts[0], parse_key_values(parts[1])
    return "ztunnel", build(normalize(line.stamp), line.level, scope, message.strip(), fields, source)


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """A ztunnel JSON line (``LOG_FORMAT=json``), or None."""
    from .timestamps import normalize

    message = obj.get("msg", obj.get("message"))
    if "level" not in obj or not isinstance(message, str):
        return None
    scope = obj.get("scope") or obj.get("target")
    scope = scope if isinstance(scope, str) else None
    ours = scope == "access" or "src.addr" in obj or (scope and "::" in scope)
    if not (ours or (source is not None and source.kind == "ztunnel")):
        return None
    fields = {k: v for k, v in obj.items() if k not in ("level", "time", "scope", "msg", "message", "target")}
    stamp = obj.get("time") if isinstance(obj.get("time"), str) else None
    parsed = build(normalize(stamp), str(obj.get("level")), scope or "access", message, fields, source)
    parsed.decoded = True
    return "ztunnel", parsed
