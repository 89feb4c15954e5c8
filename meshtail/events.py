"""The audit event: one per input line, the unit every later stage works on.

Its JSON form (``AuditEvent.to_dict``) is the project's interchange format: ``scan``
and ``tail`` write it as JSONL, the TUI exports it, and ``schema/audit-event.schema.json``
describes it.  Keep the two in step.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import orjson

Category = Literal["auth", "routing", "config", "other"]
Outcome = Literal["allow", "deny", "success", "failure", "change", "unknown"]
Severity = Literal["debug", "info", "warning", "error"]
SourceKind = Literal["sidecar", "gateway", "waypoint", "ztunnel", "istiod", "apiserver", "file", "stdin"]

CATEGORIES: tuple[str, ...] = ("auth", "routing", "config", "other")
OUTCOMES: tuple[str, ...] = ("allow", "deny", "success", "failure", "change", "unknown")
SEVERITIES: tuple[str, ...] = ("debug", "info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(slots=True)
class Source:
    """Where a line came from, as far as the source knows it."""

    kind: str = "file"
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    path: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.namespace is not None:
            out["namespace"] = self.namespace
        if self.pod is not None:
            out["pod"] = self.pod
        if self.container is not None:
            out["container"] = self.container
        if self.path is not None:
            out["path"] = self.path
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(slots=True)
class RawLine:
    """A line as a source delivers it, before any parsing.

    ``timestamp`` is the kubelet ``timestamps=true`` prefix when the source stripped
    one (Kubernetes log streams); ``received`` is when meshtail read the line.
    """

    text: str
    source: Source
    received: str
    timestamp: str | None = None
    decode_error: bool = False


@dataclass(slots=True)
class AuditEvent:
    """One typed audit event.  Field meanings are documented in the JSON Schema."""

    time: str | None
    received: str
    category: str
    outcome: str
    violation: bool
    severity: str
    action: str
    summary: str
    format: str
    source: Source
    attributes: dict[str, Any] = field(default_factory=dict)
    raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "received": self.received,
            "category": self.category,
            "outcome": self.outcome,
            "violation": self.violation,
            "severity": self.severity,
            "action": self.action,
            "summary": self.summary,
            "format": self.format,
            "source": self.source.to_dict(),
            "attributes": self.attributes,
            "raw": self.raw,
        }

    def to_json(self) -> str:
        """One JSON object on one line (control characters escaped by the encoder)."""
        return dumps(self.to_dict())

    def to_json_bytes(self) -> bytes:
        """:meth:`to_json` as UTF-8, for writers that skip the text layer."""
        return dumps_bytes(self.to_dict())


def dumps_bytes(obj: Any) -> bytes:
    """Compact JSON as UTF-8 bytes: the form of every JSONL line meshtail writes.

    orjson writes it about six times faster than the standard library (``benchmarks/
    parse_throughput.py``).  Values it refuses — integers beyond 64 bits, lone surrogates
    from decoded JSON — go through :mod:`json`; a lone surrogate becomes its ``\\uXXXX``
    escape, so the output is always valid UTF-8 and valid JSON.
    """
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


def dumps(obj: Any) -> str:
    """:func:`dumps_bytes` as text."""
    return dumps_bytes(obj).decode("utf-8")


_second: list[Any] = [-1, ""]  # the last whole second formatted, and its text


def now_rfc3339() -> str:
    """The current UTC time as RFC 3339 with microseconds, for ``received``.

    Called for every chunk a live stream delivers, so the date part is formatted once a second.
    """
    micros = time.time_ns() // 1000
    second, fraction = divmod(micros, 1_000_000)
    cached = _second
    if cached[0] != second:
        cached[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        cached[0] = second
    return f"{cached[1]}.{fraction:06d}Z"


def load_schema() -> dict[str, Any]:
    """The audit-event JSON Schema shipped inside the package."""
    text = resources.files("meshtail").joinpath("schema/audit-event.schema.json").read_text("utf-8")
    return json.loads(text)
