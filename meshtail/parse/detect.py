"""Format detection and the per-stream parser: every line in, exactly one event out.

A stream usually keeps one format (a sidecar mixes access logs, Envoy component logs
and istio-agent lines, but in runs), so the family that read the previous line is
tried first; the others are tried only when it fails, cheapest-first by the line's
first character.  Wrappers around a container's line (kubelet ``--timestamps``, CRI,
``kubectl logs --prefix``) are peeled off before detection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..events import AuditEvent, RawLine, Source
from ..text import clip, has_unsafe, visible
from . import envoy_component, envoy_json, istio_go, k8s_audit, ztunnel
from .envoy_access import AccessLogParser, CompiledFormat, compile_format, istio_text_parser
from .keyvalues import parse_key_values
from .result import Parsed, attr_key, severity_of
from .timestamps import normalize, split_kubelet_prefix

MAX_PARSE = 1 << 20  # lines longer than this are kept whole but not parsed
# pod and container names are Kubernetes DNS names: nothing else may become a Source field
_KUBECTL_PREFIX = re.compile(r"^\[pod/([a-z0-9][a-z0-9.-]*)/([a-z0-9][a-z0-9-]*)\] ")
_ZTUNNEL_SPLIT = re.compile(r"\s+(?=[A-Za-z_][\w.]*=)")

Family = Callable[[str, Source], "tuple[str, Parsed] | None"]


class StreamParser:
    """Parses the lines of one stream (a container, a file, stdin).

    ``custom_formats`` are the user's own Envoy access-log format strings; they are
    tried before Istio's defaults.
    """

    def __init__(self, custom_formats: list[CompiledFormat] | None = None) -> None:
        self._custom = AccessLogParser(custom_formats) if custom_formats else None
        self._istio = istio_text_parser()
        self._last: Family | None = None
        self.counts: dict[str, int] = {}

    # ------------------------------------------------------------ families
    def _access(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        if self._custom is not None:
            parsed = self._custom(body, source)
            if parsed is not None:
                return "envoy-text", parsed
        if body.startswith("["):
            parsed = self._istio(body, source)
            if parsed is not None:
                return "envoy-text", parsed
        return None

    def _bracketed(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        if not body.startswith("["):
            return None
        parsed = envoy_component.parse_bracketed(body, source)
        return None if parsed is None else ("envoy-component", parsed)

    def _columns(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        line = istio_go.split_line(body)
        if line is None:
            return None
        scope = line.scope
        if scope is not None and scope.startswith("envoy"):
            return "envoy-component", envoy_component.parse_tabbed(line.stamp, line.level, scope, line.message, source)
        if (
            scope is not None
            and ztunnel.is_ztunnel_target(scope)
            and (source.kind == "ztunnel" or scope == "access" or "::" in scope)
        ):
            message, fields = line.message, dict(line.fields)
            if not fields:
                parts = _ZTUNNEL_SPLIT.split(message, maxsplit=1)
                if len(parts) == 2:
                    message, fields = parts[0], parse_key_values(parts[1])
            return "ztunnel", ztunnel.build(normalize(line.stamp), line.level, scope, message.strip(), fields, source)
        return istio_go.build(line.stamp, line.level, scope, line.message, line.fields, source)

    def _json(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        if not body.startswith("{"):
            return None
        try:
            obj = json.loads(body)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        if k8s_audit.looks_like(obj):
            return "k8s-audit", k8s_audit.parse_object(obj, source)
        if envoy_json.looks_like(obj):
            return "envoy-json", envoy_json.parse_object(obj, source)
        message = obj.get("msg", obj.get("message"))
        if "level" in obj and isinstance(message, str):
            scope = obj.get("scope") or obj.get("target")
            scope = scope if isinstance(scope, str) else None
            fields = {k: v for k, v in obj.items() if k not in ("level", "time", "scope", "msg", "message", "target")}
            stamp = obj.get("time") if isinstance(obj.get("time"), str) else None
            level = str(obj.get("level"))
            if scope == "access" or "src.addr" in obj or (scope and "::" in scope) or source.kind == "ztunnel":
                parsed = ztunnel.build(normalize(stamp), level, scope or "access", message, fields, source)
                name = "ztunnel"
            else:
                name, parsed = istio_go.build(stamp, level, scope, message, fields, source)
            parsed.decoded = True
            return name, parsed
        return "json", _unrecognised_json(obj)

    # ------------------------------------------------------------ driver
    def _detect(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        last = self._last
        if last is not None:
            found = last(body, source)
            if found is not None:
                return found
        first = body[:1]
        if first == "{":
            order: tuple[Family, ...] = (self._json, self._access)
        elif first == "[":
            order = (self._access, self._bracketed)
        elif first.isdigit():
            order = (self._columns, self._access)
        else:
            order = (self._access, self._columns)
        for family in order:
            if family is last:
                continue
            found = family(body, source)
            if found is not None:
                self._last = family
                return found
        return None

    def reparse(self, raw: RawLine, log_format: str | None) -> AuditEvent:
        """Parse again a line this parser's settings once read as ``envoy-text`` in *log_format*.

        The access-log family and that format are tried first, as they were when the line
        was first read in its stream, so the same line gives the same event.
        """
        self._last = self._access
        for parser in (self._custom, self._istio):
            if parser is not None:
                for compiled in parser.formats:
                    if compiled.name == log_format:
                        parser.last = compiled
        return self.parse(raw)

    def parse(self, raw: RawLine) -> AuditEvent:
        """One event for *raw*, whatever it holds; never raises for any input text."""
        text = raw.text
        source = raw.source
        stamp = raw.timestamp
        body = text
        if stamp is None:
            stamp, body = split_kubelet_prefix(text)
        if body.startswith("[pod/"):
            prefix = _KUBECTL_PREFIX.match(body)
            if prefix:
                source = replace(source, pod=prefix.group(1), container=prefix.group(2))
                body = body[prefix.end() :]
        found: tuple[str, Parsed] | None = None
        error: str | None = None
        if len(body) <= MAX_PARSE:
            try:
                found = self._detect(body, source)
                if found is None and body is not text and raw.timestamp is None:
                    # what looked like a kubelet prefix may be the line's own timestamp
                    found = self._detect(text, source)
                    if found is not None:
                        stamp, body = None, text
            except Exception as exc:  # a parser bug must not lose the line
                error = f"{type(exc).__name__}: {exc}"
                found = None
        else:
            error = f"line of {len(body)} characters is longer than the {MAX_PARSE} meshtail parses"
        if found is None:
            name = "unknown"
            attrs: dict[str, Any] = {"meshtail.unparsed": True}
            if error:
                attrs["meshtail.parse_error"] = error
            parsed = Parsed(
                None,
                "other",
                "unknown",
                False,
                _guess_severity(body),
                "log.unparsed",
                clip(body.strip(), 200) or "(empty line)",
                attrs,
            )
            needs_cleaning = True
        else:
            name, parsed = found
            needs_cleaning = parsed.decoded or has_unsafe(body)
        attrs = parsed.attributes
        if stamp is not None:
            attrs["k8s.log.timestamp"] = stamp
        if raw.decode_error:
            attrs["meshtail.decode_error"] = True
        summary = parsed.summary
        if needs_cleaning:
            summary = visible(summary)
            _clean(attrs)
        self.counts[name] = self.counts.get(name, 0) + 1
        return AuditEvent(
            time=parsed.time or normalize(stamp),
            received=raw.received,
            category=parsed.category,
            outcome=parsed.outcome,
            violation=parsed.violation,
            severity=parsed.severity,
            action=parsed.action,
            summary=summary,
            format=name,
            source=source,
            attributes=attrs,
            raw=text,
        )


def _clean(value: Any) -> Any:
    """Escape control characters in every string inside *value* (in place for containers).

    Keys need no pass: every key taken from a log went through ``attr_key``.
    """
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _clean(value[key])
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _clean(item)
        return value
    return value


_LEVEL_WORD = re.compile(r"\b(ERROR|Error|error|WARN|Warn|warn|WARNING|warning|FATAL|fatal|PANIC|panic)\b")


def _guess_severity(body: str) -> str:
    match = _LEVEL_WORD.search(body[:200])
    return severity_of(match.group(1).lower(), "info") if match else "info"


def _unrecognised_json(obj: dict[str, Any]) -> Parsed:
    attrs: dict[str, Any] = {"meshtail.unparsed": True}
    for key, value in obj.items():
        if isinstance(value, str | int | float | bool) or value is None:
            attrs[attr_key("json", str(key))] = value
    message = obj.get("msg", obj.get("message", obj.get("log")))
    summary = clip(str(message), 200) if message is not None else "JSON line of unknown shape"
    stamp = obj.get("time", obj.get("timestamp", obj.get("ts")))
    level = obj.get("level", obj.get("severity"))
    return Parsed(
        normalize(stamp) if isinstance(stamp, str) else None,
        "other",
        "unknown",
        False,
        severity_of(str(level)) if level else "info",
        "json.unrecognized",
        summary,
        attrs,
        decoded=True,
    )


def compile_formats(formats: list[str]) -> list[CompiledFormat]:
    """The user's ``--format-string`` values, compiled (raises ``FormatError``)."""
    return [
        compile_format(fmt, name=f"custom-{index + 1}" if len(formats) > 1 else "custom")
        for index, fmt in enumerate(formats)
    ]
