"""Logs of Istio's Go components: istiod (pilot-discovery) and istio-agent (pilot-agent).

Text: ``<ts>\\t<level>\\t[<scope>\\t]<message>[\\t<key=value ...>]`` (the scope column
is omitted for the ``default`` scope); JSON: ``{"level","time","scope","msg",...}``.
See ../shared/reference/log-formats.md §4.  Lines copied out of issues often have
their tabs expanded to spaces; :func:`split_line` reads both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..events import Source
from ..text import clip
from .keyvalues import parse_key_values
from .result import Parsed, action_word, attr_key, severity_of
from .timestamps import normalize

_HEAD = re.compile(
    r"^(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)[\t ]+)?"
    r"(debug|info|warn|warning|error|fatal|trace|critical|none)(?:\t| +)(.*)$",
    re.S,
)
_SCOPE = re.compile(r"^[A-Za-z][\w/.:-]*$")
_SCOPE_SPACED = re.compile(r"^([A-Za-z][\w/.:-]*)(?: {2,}| ?\t)(.*)$", re.S)
KNOWN_SCOPES = frozenset(
    "ads model kube controllers validationController validationServer validation authorization "
    "authorization/rbac klog pkica rootcertrotator serverca status xdsproxy sds cache secretfetcher ca "
    "citadelclient wasm dns healthcheck spiffe delta krt analysis leader election installer "
    "gateway ambient cni iptables envoy".split()
)
AGENT_SCOPES = frozenset(
    "xdsproxy sds cache secretfetcher ca citadelclient wasm dns healthcheck iptables envoy".split()
)
# In a tab-expanded copy, structured fields start after a run of spaces.
_SPACED_FIELDS = re.compile(r"\s{2,}(?=[A-Za-z_][\w.-]*=)")


@dataclass(slots=True)
class GoLine:
    stamp: str | None
    level: str
    scope: str | None
    message: str
    fields: dict[str, str]


def split_line(line: str) -> GoLine | None:
    """Split a Go-component (or ztunnel, or Istio-shaped Envoy) text line into its columns."""
    head = _HEAD.match(line)
    if head is None:
        return None
    stamp, level, rest = head.groups()
    if stamp is None and not rest.startswith("access"):
        # without a timestamp only ztunnel's access target is distinctive enough
        return None
    if "\t" in rest:
        parts = rest.split("\t")
        scope: str | None = None
        if len(parts) >= 2 and (_SCOPE.match(parts[0]) or parts[0].startswith("envoy ")):
            scope = parts.pop(0)
        message = parts[0]
        fields = parse_key_values("\t".join(parts[1:])) if len(parts) > 1 else {}
        if len(parts) > 1 and not fields:  # a tab inside the message, not structured fields
            message = "\t".join(parts)
        return GoLine(stamp, level, scope, message, fields)
    # tabs expanded to spaces: a scope is a single token followed by two or more spaces,
    # or a known scope name followed by one.
    if rest.startswith("envoy "):
        words = rest.split(None, 3)
        if len(words) >= 3 and re.search(r":\d+$", words[2]):
            scope, message = " ".join(words[:3]), (words[3] if len(words) > 3 else "")
        else:
            scope, message = " ".join(words[:2]), rest.split(None, 2)[2] if len(words) > 2 else ""
        return GoLine(stamp, level, scope, message, {})
    scope = None
    spaced = _SCOPE_SPACED.match(rest)
    if spaced:
        scope, rest = spaced.group(1), spaced.group(2)
    else:
        first, _, remainder = rest.partition(" ")
        if first in KNOWN_SCOPES and remainder:
            scope, rest = first, remainder.lstrip()
    message, *tail = _SPACED_FIELDS.split(rest, maxsplit=1)
    return GoLine(stamp, level, scope, message, parse_key_values(tail[0]) if tail else {})


# ---------------------------------------------------------------- istiod
_DEBOUNCE = re.compile(
    r"Push debounce stable\[(\d+)\] (\d+)(?: for (?:config (\S+?)(?: and (\d+) more configs?)?|reason (.+?)))?: "
    r"(\S+) since last change, (\S+) since last push, full=(true|false)"
)
_PUSH_FIELD = re.compile(r"(Services|ConnectedEndpoints|Version|Pushing):(\S+)")
_TYPE_PUSH = re.compile(
    r"^(\w+): PUSH(?: INC)?(?: request)? for node:(\S+)(?: resources:(\d+))?"
    r"(?: (?:clusters|listeners|routes):(\d+))?(.*)$"
)
_ACK_ERROR = re.compile(r"ADS:(\w+): ACK ERROR (.*)$")
_NODE_ID = re.compile(r"^(?:\S*~\S*|[\w.:-]+-\d+)$")
_SERVICE_EVENT = re.compile(r"\b(new|added|add|deleted|delete|removed|remove)\s+(service|workload)\s+(\S+)", re.I)


def _push_attrs(attrs: dict[str, Any], match: re.Match[str]) -> None:
    attrs["istio.push.id"] = int(match.group(1))
    attrs["istio.push.config_count"] = int(match.group(2))
    if match.group(3):
        attrs["istio.push.config"] = match.group(3)
    if match.group(5):
        attrs["istio.push.reason"] = match.group(5)
    attrs["istio.push.full"] = match.group(8) == "true"


def classify_istiod(time: str | None, level: str, scope: str | None, message: str, attrs: dict[str, Any]) -> Parsed:
    severity = severity_of(level)
    text = clip(message, 180)
    debounce = _DEBOUNCE.search(message)
    if debounce:
        _push_attrs(attrs, debounce)
        what = debounce.group(3) or f"{debounce.group(2)} change(s)"
        more = f" and {debounce.group(4)} more" if debounce.group(4) else ""
        if debounce.group(5):
            more += f" ({debounce.group(5)})"
        kind = "full" if debounce.group(8) == "true" else "incremental"
        return Parsed(
            time, "config", "success", False, severity, "xds.push", f"istiod debounced {what}{more}: {kind} push", attrs
        )
    ack = _ACK_ERROR.search(message)
    if ack:
        attrs["istio.xds.type"] = ack.group(1)
        tokens = ack.group(2).split(" ")
        proxy = next((t for t in tokens if _NODE_ID.match(t) and "~" in t), None) or next(
            (t for t in tokens if _NODE_ID.match(t)), None
        )
        if proxy:
            attrs["istio.proxy"] = proxy
        start = ack.group(2).find("Internal:")
        error = ack.group(2)[start:] if start >= 0 else ack.group(2)
        attrs["error.message"] = error
        return Parsed(
            time,
            "config",
            "failure",
            True,
            "error",
            "xds.reject",
            f"proxy {proxy or '?'} rejected {ack.group(1)} from istiod: {clip(error, 140)}",
            attrs,
        )
    if message.startswith("XDS") and "Pushing" in message:
        # "XDS: Pushing:2022-...Z/94 Services:6 ConnectedEndpoints:3  Version:..." (<=1.21) and
        # "XDS: Pushing Services:26 ConnectedEndpoints:0 Version:..." / "XDS: Incremental Pushing ..." (1.22+)
        found = dict(_PUSH_FIELD.findall(message))
        version = found.get("Version") or found.get("Pushing")
        if version:
            attrs["istio.push.version"] = version
        for key, name in (
            ("Services", "istio.push.services"),
            ("ConnectedEndpoints", "istio.push.connected_endpoints"),
        ):
            if key in found and found[key].isdigit():
                attrs[name] = int(found[key])
        attrs["istio.push.full"] = "Incremental" not in message and "EDSInc" not in message
        proxies = attrs.get("istio.push.connected_endpoints", "?")
        kind = "full" if attrs["istio.push.full"] else "incremental"
        return Parsed(
            time,
            "config",
            "success",
            False,
            severity,
            "xds.push",
            f"istiod {kind} push of version {version or '?'} to {proxies} proxies",
            attrs,
        )
    if message.startswith("ADS: new connection for node:"):
        attrs["istio.proxy"] = message.rsplit(":", 1)[-1]
        return Parsed(time, "config", "success", False, severity, "xds.connect", f"istiod: {text}", attrs)
    typed = _TYPE_PUSH.match(message)
    if typed:
        attrs["istio.xds.type"] = typed.group(1)
        attrs["istio.proxy"] = typed.group(2)
        count = typed.group(3) or typed.group(4)
        if count:
            attrs["istio.xds.resources"] = int(count)
        return Parsed(
            time,
            "config",
            "success",
            False,
            severity,
            "xds.push",
            f"istiod pushed {typed.group(1)} to {typed.group(2)} ({count or '?'} resources)",
            attrs,
        )
    lowered = message.lower()
    if "webhook-always-reject" in message:
        # istiod's own start-up probe of its validation webhook, not a user's config
        return Parsed(time, "other", "success", False, severity, "istiod.webhook_probe", f"istiod: {text}", attrs)
    if ((scope or "").startswith("validation") and severity in ("warning", "error")) or (
        "configuration is invalid" in lowered
        or "failed to validate" in lowered
        or "validation failed" in lowered
        or ("admission webhook" in lowered and "denied" in lowered)
    ):
        return Parsed(
            time,
            "config",
            "failure",
            True,
            "error" if severity == "error" else "warning",
            "config.invalid",
            f"istiod rejected invalid config: {text}",
            attrs,
        )
    service = _SERVICE_EVENT.search(message)
    if service:
        verb = service.group(1).lower()
        kind = service.group(2).lower()
        action = f"{kind}.{'add' if verb in ('new', 'added', 'add') else 'delete'}"
        attrs[f"istio.{kind}"] = service.group(3)
        return Parsed(time, "config", "change", False, severity, action, f"istiod: {text}", attrs)
    if "has no endpoints" in message:
        return Parsed(time, "config", "unknown", False, "warning", "service.no_endpoints", f"istiod: {text}", attrs)
    return Parsed(time, "other", "unknown", False, severity, f"istiod.{action_word(scope)}", f"istiod: {text}", attrs)


# ---------------------------------------------------------------- istio-agent
_CERT = re.compile(r"generated new workload certificate")
_READY_IN = re.compile(r"Readiness succeeded in (\S+)")


def classify_agent(time: str | None, level: str, scope: str | None, message: str, attrs: dict[str, Any]) -> Parsed:
    severity = severity_of(level)
    text = clip(message, 180)
    for key, name in (("latency", "istio.cert.latency"), ("ttl", "istio.cert.ttl"), ("resource", "istio.sds.resource")):
        if f"istio.{key}" in attrs:
            attrs[name] = attrs.pop(f"istio.{key}")
    if message.startswith("Envoy proxy is ready") or _READY_IN.match(message):
        return Parsed(time, "other", "success", False, severity, "proxy.ready", f"istio-agent: {text}", attrs)
    if message.startswith("Envoy proxy is NOT ready"):
        rejected = "but was rejected" in message
        if rejected:
            return Parsed(time, "config", "failure", True, "error", "xds.reject", f"istio-agent: {text}", attrs)
        return Parsed(time, "other", "failure", False, "warning", "proxy.not_ready", f"istio-agent: {text}", attrs)
    if _CERT.search(message):
        return Parsed(
            time,
            "auth",
            "success",
            False,
            severity,
            "cert.issue",
            f"istio-agent issued a workload certificate (ttl {attrs.get('istio.cert.ttl', '?')})",
            attrs,
        )
    if message.startswith("SDS: PUSH"):
        return Parsed(
            time,
            "auth",
            "success",
            False,
            severity,
            "sds.push",
            f"istio-agent pushed secret {attrs.get('istio.sds.resource', '?')} to Envoy",
            attrs,
        )
    lowered = message.lower()
    if (scope in ("sds", "ca", "cache", "citadelclient", "secretfetcher") and severity in ("warning", "error")) or (
        "certificate" in lowered and "fail" in lowered
    ):
        return Parsed(time, "auth", "failure", False, severity, "cert.failure", f"istio-agent: {text}", attrs)
    if "nack" in lowered or ("rejected" in lowered and "xds" in lowered):
        return Parsed(time, "config", "failure", True, "error", "xds.reject", f"istio-agent: {text}", attrs)
    if scope == "xdsproxy" and "connected to upstream" in message:
        return Parsed(time, "config", "success", False, severity, "xds.connect", f"istio-agent: {text}", attrs)
    return Parsed(
        time, "other", "unknown", False, severity, f"agent.{action_word(scope)}", f"istio-agent: {text}", attrs
    )


_AGENT_MESSAGES = (
    "Envoy proxy is",
    "Readiness succeeded",
    "Envoy command:",
    "Starting proxy agent",
    "Opening status port",
    "PilotSAN",
    "Epoch ",
    "Received new config",
)


def family(scope: str | None, message: str, source: Source | None) -> str:
    """``istiod`` or ``istio-agent`` for a Go-component line."""
    if scope in AGENT_SCOPES or message.startswith(_AGENT_MESSAGES):
        return "istio-agent"
    if scope is not None and scope in KNOWN_SCOPES:
        return "istiod"
    if source is not None and source.kind == "istiod":
        return "istiod"
    if source is not None and source.kind in ("sidecar", "gateway", "waypoint"):
        return "istio-agent"
    return "istiod"


def build(
    stamp: str | None, level: str, scope: str | None, message: str, fields: dict[str, Any], source: Source | None
) -> tuple[str, Parsed]:
    attrs: dict[str, Any] = {attr_key("istio", key): value for key, value in fields.items()}
    attrs["log.message"] = message
    if scope:
        attrs["istio.scope"] = scope
    time = normalize(stamp)
    name = family(scope, message, source)
    if name == "istiod":
        return name, classify_istiod(time, level, scope, message, attrs)
    return name, classify_agent(time, level, scope, message, attrs)


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """An istiod or istio-agent text line, or None."""
    line = split_line(body)
    if line is None:
        return None
    return build(line.stamp, line.level, line.scope, line.message, line.fields, source)


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """An istiod or istio-agent JSON line (``--log_as_json``), or None."""
    message = obj.get("msg", obj.get("message"))
    if "level" not in obj or not isinstance(message, str):
        return None
    scope = obj.get("scope")
    scope = scope if isinstance(scope, str) else None
    fields = {k: v for k, v in obj.items() if k not in ("level", "time", "scope", "msg", "message")}
    stamp = obj.get("time") if isinstance(obj.get("time"), str) else None
    name, parsed = build(stamp, str(obj.get("level")), scope, message, fields, source)
    parsed.decoded = True
    return name, parsed
