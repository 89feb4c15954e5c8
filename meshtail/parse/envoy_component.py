"""Envoy's own component logs inside istio-proxy (rbac, jwt, ext_authz, config, ...).

Handles every prefix shape Istio has shipped (../shared/reference/log-formats.md §3):
standalone ``[ts][thread][level][logger] [file:line] msg`` (optionally behind
``[Envoy (Epoch 0)] ``), and Istio's tab-separated ``ts\\tlevel\\tenvoy logger[ file:line]\\tmsg[\\tthread=N]``.
"""

from __future__ import annotations

import re
from typing import Any

from ..events import Source
from ..text import clip
from .result import Parsed, action_word, attr_key, severity_of
from .timestamps import normalize

_BRACKETED = re.compile(
    r"^(?:\[Envoy \(Epoch \d+\)\] )?\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)\]"
    r"\[(\d+)\]\[(trace|debug|info|warning|warn|error|critical)\]\[([\w.]+)\] ?(.*)$"
)
_LOCATION = re.compile(r"^\[?([\w./+-]+\.(?:cc|h|cpp)):(\d+)\] ?(.*)$", re.S)
_TAGS = re.compile(r"^\[Tags: ([^\]]*)\] ?(.*)$", re.S)
_TAG_PAIR = re.compile(r'"(\w+)":"([^"]*)"')
_POLICY = re.compile(r"matched policy (\S+)")
_JWT_DONE = re.compile(r"(?:JWT token verification|Jwt authentication) completed with: (.*)$")
_XDS_REJECT = re.compile(r"gRPC config for (\S+?)(?: update)? rejected: (.*)$")
_EXT_AUTHZ_CODE = re.compile(r"Response status code: (\d+)")

LEVELS = ("trace", "debug", "info", "warning", "warn", "error", "critical")


def parse_bracketed(line: str, source: Source | None = None) -> Parsed | None:
    """``[2024-09-26 11:40:13.329][3492045][debug][rbac] [source/...cc:182] enforced allowed, ...``"""
    match = _BRACKETED.match(line)
    if match is None:
        return None
    stamp, thread, level, logger, rest = match.groups()
    attrs: dict[str, Any] = {"thread.id": int(thread)}
    return classify(normalize(stamp), level, logger, rest, attrs, source)


def parse_tabbed(stamp: str, level: str, logger_field: str, rest: str, source: Source | None) -> Parsed:
    """Istio's shape, already split by the caller: ``envoy <logger>[ <file>:<line>]`` then the message."""
    parts = logger_field.split()
    logger = parts[1] if len(parts) > 1 else "envoy"
    attrs: dict[str, Any] = {}
    if len(parts) > 2:
        file, _, lineno = parts[2].rpartition(":")
        attrs["code.filepath"] = file
        if lineno.isdigit():
            attrs["code.lineno"] = int(lineno)
    message, tab, tail = rest.partition("\tthread=")
    if tab and tail.strip().isdigit():
        attrs["thread.id"] = int(tail.strip())
    else:
        message = rest
    return classify(normalize(stamp), level, logger, message, attrs, source)


def classify(
    time: str | None, level: str, logger: str, message: str, attrs: dict[str, Any], source: Source | None
) -> Parsed:
    location = _LOCATION.match(message)
    if location:
        attrs["code.filepath"] = location.group(1)
        attrs["code.lineno"] = int(location.group(2))
        message = location.group(3)
    tags = _TAGS.match(message)
    if tags:
        for key, value in _TAG_PAIR.findall(tags.group(1)):
            attrs[attr_key("envoy", re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower())] = value
        message = tags.group(2)
    attrs["envoy.logger"] = logger
    attrs["log.message"] = message
    severity = severity_of(level)
    where = f"{source.namespace}/{source.pod}" if source and source.pod and source.namespace else "proxy"
    text = clip(message, 160)

    if logger == "rbac":
        policy_match = _POLICY.search(message)
        policy = policy_match.group(1).rstrip(",") if policy_match else None
        if policy:
            attrs["istio.policy"] = policy
        shadow = message.startswith("shadow")
        if "denied" in message:
            action = "authz.shadow_deny" if shadow else "authz.deny"
            # A shadow (dry-run) denial did not block the request: outcome allow, but a violation.
            outcome = "allow" if shadow else "deny"
            by = f" by {policy}" if policy and policy != "none" else " (no ALLOW policy matched)" if policy else ""
            verb = "would deny (dry-run)" if shadow else "denied"
            return Parsed(time, "auth", outcome, True, "warning", action, f"{where} {verb} a request{by}", attrs)
        if "allowed" in message:
            action = "authz.shadow_allow" if shadow else "authz.allow"
            by = f" by {policy}" if policy else ""
            return Parsed(time, "auth", "allow", False, severity, action, f"{where} allowed a request{by}", attrs)
        return Parsed(time, "auth", "unknown", False, severity, "authz.check", f"rbac: {text}", attrs)
    if logger in ("jwt", "jwt_authn"):
        done = _JWT_DONE.search(message)
        if done:
            reason = done.group(1).strip()
            attrs["jwt.result"] = reason
            if reason == "OK":
                return Parsed(time, "auth", "allow", False, severity, "jwt.accept", f"{where} accepted a JWT", attrs)
            if reason == "Jwt is missing":
                return Parsed(
                    time,
                    "auth",
                    "unknown",
                    False,
                    severity,
                    "jwt.missing",
                    f"{where} saw a request without a JWT",
                    attrs,
                )
            attrs["jwt.failure_reason"] = reason
            return Parsed(
                time, "auth", "deny", True, "warning", "jwt.reject", f"{where} rejected a JWT: {reason}", attrs
            )
        return Parsed(time, "auth", "unknown", False, severity, "jwt.log", f"jwt: {text}", attrs)
    if logger == "ext_authz" and "ext_authz filter" in message:
        code = _EXT_AUTHZ_CODE.search(message)
        if code:
            attrs["http.response.status_code"] = int(code.group(1))
        if "rejected the request with an error" in message:
            return Parsed(
                time,
                "auth",
                "failure",
                False,
                "error",
                "extauthz.error",
                f"{where} external authorization failed: {text}",
                attrs,
            )
        if "rejected" in message:
            return Parsed(
                time,
                "auth",
                "deny",
                True,
                "warning",
                "extauthz.deny",
                f"{where} external authorization denied a request",
                attrs,
            )
        if "accepted" in message:
            return Parsed(
                time,
                "auth",
                "allow",
                False,
                severity,
                "extauthz.allow",
                f"{where} external authorization allowed a request",
                attrs,
            )
    reject = _XDS_REJECT.search(message)
    if reject:
        attrs["istio.xds.type"] = reject.group(1)
        attrs["error.message"] = reject.group(2)
        kind = reject.group(1).rsplit(".", 1)[-1]
        return Parsed(
            time,
            "config",
            "failure",
            True,
            "error",
            "xds.reject",
            f"{where} rejected {kind} config: {clip(reject.group(2), 140)}",
            attrs,
        )
    if logger in ("config", "upstream") and ("error adding listener" in message or "fetch failure" in message):
        attrs["error.message"] = message
        return Parsed(time, "config", "failure", True, "error", "xds.reject", f"{where} rejected config: {text}", attrs)
    if "gRPC config stream closed" in message or "Unable to establish new stream" in message:
        return Parsed(
            time, "config", "failure", False, "warning", "xds.stream_closed", f"{where} xDS stream: {text}", attrs
        )
    return Parsed(
        time, "other", "unknown", False, severity, f"envoy.{action_word(logger)}", f"envoy {logger}: {text}", attrs
    )


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """Any text shape of Envoy's component log (the bracketed prefixes, Istio's tab prefix), or None."""
    if body.startswith("["):
        parsed = parse_bracketed(body, source)
        return None if parsed is None else ("envoy-component", parsed)
    from .istio_go import split_line

    line = split_line(body)
    if line is None or line.scope is None or not line.scope.startswith("envoy"):
        return None
    return "envoy-component", parse_tabbed(line.stamp, line.level, line.scope, line.message, source)


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """Envoy's component log as JSON (Istio's ``--log_as_json`` relays it with scope ``envoy <logger>``), or None."""
    return None
