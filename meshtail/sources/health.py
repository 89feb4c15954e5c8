"""Source health as audit events: stream starts, ends, breaks, reconnects, stalls, errors.

A gap the user cannot see is a line lost silently; so every such thing becomes an event
in the same stream as the log lines (format ``meshtail``, actions ``meshtail.*``), and
per-stream counters are kept for the status bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..events import AuditEvent, Source, now_rfc3339
from ..text import visible

_OUTCOME = {"info": "success", "debug": "success", "warning": "failure", "error": "failure"}


def health_event(
    action: str,
    summary: str,
    severity: str = "info",
    source: Source | None = None,
    attributes: dict[str, Any] | None = None,
) -> AuditEvent:
    """A ``meshtail.*`` event; summary and attribute strings are made safe here (they can hold server text)."""
    now = now_rfc3339()
    attrs = {k: visible(v) if isinstance(v, str) else v for k, v in (attributes or {}).items()}
    return AuditEvent(
        time=now,
        received=now,
        category="other",
        outcome=_OUTCOME.get(severity, "unknown"),
        violation=False,
        severity=severity,
        action=action,
        summary=visible(summary),
        format="meshtail",
        source=source or Source(kind="meshtail"),
        attributes=attrs,
        raw="",
    )


@dataclass
class StreamStats:
    """What the status bar shows for one followed container."""

    state: str = "starting"  # starting | following | reconnecting | waiting | ended | failed
    lines: int = 0
    reconnects: int = 0
    duplicates_dropped: int = 0
    stalls: int = 0
    quiet_checks: int = 0  # silences the log itself showed to be a quiet container, not a stuck stream
    errors: int = 0
    last_error: str = ""
