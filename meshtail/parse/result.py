"""What a family parser hands back: the classified part of an audit event.

The pipeline (``detect.StreamParser``) adds what only it knows: the source, when the
line was received, the raw text and the parser's format name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..text import visible

_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_.:\-]")


@dataclass(slots=True)
class Parsed:
    time: str | None
    category: str
    outcome: str
    violation: bool
    severity: str
    action: str
    summary: str
    attributes: dict[str, Any] = field(default_factory=dict)
    # Set by parsers whose attribute values were decoded (JSON) rather than sliced
    # from the line, so the pipeline knows they need the control-character pass.
    decoded: bool = False


LEVELS = {
    "trace": "debug",
    "debug": "debug",
    "info": "info",
    "warn": "warning",
    "warning": "warning",
    "error": "error",
    "err": "error",
    "critical": "error",
    "fatal": "error",
    "panic": "error",
}


def severity_of(level: str | None, default: str = "info") -> str:
    """Map a log level word (any family's spelling) to meshtail's four severities."""
    if not level:
        return default
    return LEVELS.get(level.lower(), default)


def attr_key(prefix: str, key: str) -> str:
    """An attribute name for a key taken from the log itself (JSON keys, key=value fields).

    Such keys are attacker-controlled: anything outside ``[A-Za-z0-9_.:-]`` becomes ``_``.
    """
    return f"{prefix}.{_KEY_UNSAFE.sub('_', key)[:128]}"


def action_word(name: str | None) -> str:
    """A log scope or logger name as one lowercase segment of a dotted action name."""
    if not name:
        return "default"
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:40] or "default"


def finish(attrs: dict[str, Any], summary: str, stamp: str | None, decode_error: bool, needs_cleaning: bool) -> str:
    """What every parsed line gets whatever its family: the kubelet stamp, the decode flag, and
    (when the line holds anything unsafe to show) the control-character pass; returns the summary."""
    if stamp is not None:
        attrs["k8s.log.timestamp"] = stamp
    if decode_error:
        attrs["meshtail.decode_error"] = True
    if needs_cleaning:
        summary = visible(summary)
        clean(attrs)
    return summary


def clean(value: Any) -> Any:
    """Escape control characters in every string inside *value* (in place for containers).

    Keys need no pass: every key taken from a log went through ``attr_key``.
    """
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = clean(value[key])
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = clean(item)
        return value
    return value


@dataclass(frozen=True, slots=True)
class Action:
    """One action a parser can give an event, as the taxonomy (docs/taxonomy.md) lists it.

    ``name`` may end in ``<...>`` for a family of actions named after a log's own words
    (``envoy.<logger>``); ``outcome`` may list several (``success|failure``) when the line decides.
    """

    name: str
    category: str
    outcome: str
    violation: bool | str  # True, False, or "dry-run" / "when ..." for the conditional ones
    trigger: str
