"""What a family parser hands back: the classified part of an audit event.

The pipeline (``detect.StreamParser``) adds what only it knows: the source, when the
line was received, the raw text and the parser's format name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

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
