"""One event as one row of cells, per pane's columns; styles from outcome and severity.

Cells are built as ``rich.text.Text`` from plain strings (never markup), and every string
from a log was already made visible-safe at ingest; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from ..events import AuditEvent
from ..output import where


def _attr(event: AuditEvent, *names: str) -> str:
    for name in names:
        value = event.attributes.get(name)
        if value not in (None, "", "-"):
            if isinstance(value, list):
                return ",".join(str(v) for v in value)
            return str(value)
    return ""


def _time(e: AuditEvent) -> str:
    stamp = e.time or e.received
    return stamp[11:23] if len(stamp) >= 19 and stamp[10] == "T" else stamp[:12]


def _route(e: AuditEvent) -> str:
    src = _attr(e, "istio.source.workload", "istio.source.principal", "client.address")
    dst = _attr(e, "istio.destination.workload", "istio.destination.service", "server.address")
    if not dst and e.source.pod:
        dst = e.source.pod
    return f"{src or '?'} → {dst or '?'}"


def _request(e: AuditEvent) -> str:
    method, path = _attr(e, "http.request.method"), _attr(e, "url.path")
    return f"{method} {path}".strip() or _attr(e, "ztunnel.target", "destination.address")


def _resource(e: AuditEvent) -> str:
    kind, name, ns = _attr(e, "k8s.kind", "k8s.resource"), _attr(e, "k8s.name"), _attr(e, "k8s.namespace")
    if not name:
        return _attr(e, "istio.config") or ""
    return f"{kind} {ns + '/' if ns else ''}{name}"


def _diff(e: AuditEvent) -> str:
    if "k8s.diff.added" not in e.attributes:
        return ""
    return f"+{e.attributes.get('k8s.diff.added', 0)} -{e.attributes.get('k8s.diff.removed', 0)}"


def _flags(e: AuditEvent) -> str:
    explained = e.attributes.get("envoy.response_flags_explained")
    if isinstance(explained, list) and explained:
        return "; ".join(str(x) for x in explained)
    return _attr(e, "envoy.response_flags")


def _duration(e: AuditEvent) -> str:
    value = _attr(e, "envoy.duration_ms", "ztunnel.duration_ms")
    return f"{value}ms" if value else ""


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    width: int  # 0: takes the remaining width
    value: Callable[[AuditEvent], str]


COLUMNS: dict[str, Column] = {
    c.name: c
    for c in (
        Column("time", "TIME", 12, _time),
        Column("severity", "SEV", 7, lambda e: e.severity),
        Column("action", "ACTION", 22, lambda e: e.action),
        Column("where", "SOURCE", 38, where),
        Column("summary", "SUMMARY", 0, lambda e: e.summary),
        Column("route", "SOURCE → DESTINATION", 44, _route),
        Column(
            "principal",
            "PRINCIPAL",
            28,
            lambda e: _attr(e, "istio.source.principal", "jwt.principal", "k8s.user", "k8s.manager"),
        ),
        Column("request", "REQUEST", 30, _request),
        Column("decision", "DECISION", 8, lambda e: e.outcome),
        Column(
            "policy",
            "POLICY / REASON",
            0,
            lambda e: (
                _attr(e, "istio.policy", "jwt.failure_reason", "envoy.response_code_details", "error.message")
                or e.summary
            ),
        ),
        Column("status", "STATUS", 6, lambda e: _attr(e, "http.response.status_code")),
        Column("flags", "FLAGS", 30, _flags),
        Column("route_name", "ROUTE", 14, lambda e: _attr(e, "envoy.route_name")),
        Column(
            "cluster",
            "UPSTREAM CLUSTER",
            0,
            lambda e: _attr(e, "envoy.upstream_cluster", "istio.destination.service") or e.summary,
        ),
        Column("duration", "TIME", 8, _duration),
        Column("resource", "RESOURCE", 42, _resource),
        Column("verb", "VERB", 8, lambda e: _attr(e, "k8s.verb") or e.action.split(".")[-1]),
        Column("actor", "ACTOR", 22, lambda e: _attr(e, "k8s.manager", "k8s.user")),
        Column("diff", "DIFF", 9, _diff),
    )
}
# the routing pane's "route" column means the route name
ROUTING_ALIASES = {"route": "route_name"}

RED = Style(color="red", bold=True)
STYLES: dict[str, Style] = {
    "violation": Style(color="bright_red", bold=True),
    "error": Style(color="red"),
    "warning": Style(color="yellow"),
    "debug": Style(dim=True),
    "change": Style(color="cyan"),
    "health": Style(color="magenta", italic=True),
}


def row_style(event: AuditEvent) -> Style | None:
    if event.format == "meshtail":
        return STYLES["health"]
    if event.violation or event.outcome == "deny":
        return STYLES["violation"]
    if event.severity == "error":
        return STYLES["error"]
    if event.severity == "warning":
        return STYLES["warning"]
    if event.outcome == "change":
        return STYLES["change"] if event.severity != "debug" else STYLES["debug"]
    if event.severity == "debug":
        return STYLES["debug"]
    return None


def resolve(names: tuple[str, ...] | list[str], pane: str) -> list[Column]:
    out = []
    for name in names:
        if pane == "routing":
            name = ROUTING_ALIASES.get(name, name)
        column = COLUMNS.get(name)
        if column is not None:
            out.append(column)
    return out


def layout(columns: list[Column], width: int) -> list[int]:
    """Cell widths: fixed columns as asked (shrunk if the terminal is narrow), the flexible ones share the rest."""
    gaps = max(0, len(columns) - 1)
    fixed = sum(c.width for c in columns if c.width)
    flexible = [c for c in columns if not c.width]
    room = max(0, width - 2 - gaps - fixed)  # 2: the mark column
    widths = []
    for c in columns:
        if c.width:
            widths.append(c.width)
        else:
            widths.append(max(10, room // max(1, len(flexible))))
    return widths


def fit(value: str, cells: int) -> str:
    """``value`` in exactly ``cells`` terminal cells: cut with ``…`` or padded with spaces.

    Measured in cells, not characters: a fullwidth or CJK character takes two, a combining
    mark none.  Counting characters let a wide host or path push the real DECISION out of
    its column (and a forged one in); here no value can move another column.
    """
    if cells <= 0:
        return ""
    if cell_len(value) <= cells:
        return set_cell_size(value, cells)
    return set_cell_size(value, cells - 1) + "…"


def header(columns: list[Column], width: int) -> Text:
    text = Text("  ", style="bold")
    for i, (column, cell) in enumerate(zip(columns, layout(columns, width), strict=True)):
        if i:
            text.append(" ")
        text.append(fit(column.title, cell), style="bold")
    text.truncate(width, pad=True)
    return text


def row(event: AuditEvent, columns: list[Column], width: int, marked: bool = False) -> Text:
    """The row's text, exactly ``width`` cells wide, every column at its own cell offset."""
    text = Text("● " if marked else "  ", style="bold green" if marked else "", no_wrap=True, end="")
    for i, (column, cell) in enumerate(zip(columns, layout(columns, width), strict=True)):
        if i:
            text.append(" ")
        # values were made visible-safe at ingest (no TAB, newline or format character is left)
        text.append(fit(column.value(event), cell))
    style = row_style(event)
    if style is not None:
        text.stylize(style, 2)
    text.truncate(width, pad=True)
    return text


def attribute_lines(event: AuditEvent) -> list[tuple[str, Any]]:
    return sorted(event.attributes.items())
