"""One event as one row of cells, per pane's columns; styles from outcome and severity.

Cells are built as ``rich.text.Text`` from plain strings (never markup), and every string
from a log was already made visible-safe at ingest; this module only lays them out.

Columns adapt to the terminal by priority (:func:`layout`): on a narrow one the least
important columns shrink to their minimum, then are left out, so an 80-column Auth pane
keeps DECISION and POLICY and gives up the principal; values cut to fit end in ``…``,
measured in terminal cells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.style import Style
from rich.text import Text

from ..events import AuditEvent
from ..sinks.output import where
from ..sinks.redact import redact_text, secrets_of


def _attr(event: AuditEvent, *names: str) -> str:
    for name in names:
        value = event.attributes.get(name)
        if value not in (None, "", "-"):
            if isinstance(value, list):
                return ",".join(str(v) for v in value)
            return str(value)
    return ""


def clock(stamp: str) -> str:
    """``HH:MM:SS.mmm`` of an ISO-8601 stamp, whatever precision it was written with.

    One precision in every pane: a watch's ``…T22:51:09Z`` (whole seconds) used to show as
    ``22:51:09Z`` beside ``22:51:09.720`` from a log, so the column did not line up.
    """
    if len(stamp) < 19 or stamp[10] not in "T ":
        return stamp[:12]
    fraction = ""
    if len(stamp) > 20 and stamp[19] in ".,":
        for ch in stamp[20:23]:
            if not ch.isdigit():
                break
            fraction += ch
    return f"{stamp[11:19]}.{fraction.ljust(3, '0')}"


def _time(e: AuditEvent) -> str:
    return clock(e.time or e.received)


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
    """The object a config event is about: a Kubernetes object, or what istiod pushed or added."""
    kind, name, ns = _attr(e, "k8s.kind", "k8s.resource"), _attr(e, "k8s.name"), _attr(e, "k8s.namespace")
    if not name:
        return _attr(e, "istio.config", "istio.push.config", "istio.service", "xds.type", "envoy.listener")
    return f"{kind} {ns + '/' if ns else ''}{name}"


def _actor(e: AuditEvent) -> str:
    """Who made the change: the field manager or API user; else the component that logged it (istiod, a proxy)."""
    return _attr(e, "k8s.manager", "k8s.user") or (e.source.pod or "")


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
    """A column: its preferred width (0: flexible, takes what is left), how narrow it may get, and its rank.

    ``priority`` decides on a narrow terminal: lower numbers keep their width longest and
    are left out last (the decision before where it came from).
    """

    name: str
    title: str
    width: int  # 0: takes the remaining width
    value: Callable[[AuditEvent], str]
    priority: int = 5
    min_width: int = 0  # 0: the preferred width (a flexible column: 12)

    @property
    def narrowest(self) -> int:
        return self.min_width or self.width or 12


COLUMNS: dict[str, Column] = {
    c.name: c
    for c in (
        Column("time", "TIME", 12, _time, priority=0),
        Column("severity", "SEV", 7, lambda e: e.severity, priority=7),
        Column("action", "ACTION", 22, lambda e: e.action, priority=1, min_width=14),
        Column("where", "SOURCE", 38, where, priority=5, min_width=14),
        Column("summary", "SUMMARY", 0, lambda e: e.summary, priority=2, min_width=16),
        Column("route", "SOURCE → DESTINATION", 44, _route, priority=3, min_width=18),
        Column(
            "principal",
            "PRINCIPAL",
            28,
            lambda e: _attr(e, "istio.source.principal", "jwt.principal", "k8s.user", "k8s.manager"),
            priority=6,
            min_width=12,
        ),
        Column("request", "REQUEST", 30, _request, priority=4, min_width=12),
        Column("decision", "DECISION", 8, lambda e: e.outcome, priority=1),
        Column(
            "policy",
            "POLICY / REASON",
            0,
            lambda e: (
                _attr(e, "istio.policy", "jwt.failure_reason", "envoy.response_code_details", "error.message")
                or e.summary
            ),
            priority=2,
            # 12: at 40 columns with a scrollbar the Auth pane still shows why (an audit found POLICY left out at 16)
            min_width=12,
        ),
        Column("status", "STATUS", 6, lambda e: _attr(e, "http.response.status_code"), priority=1),
        Column("flags", "FLAGS", 30, _flags, priority=2, min_width=10),
        Column("route_name", "ROUTE", 14, lambda e: _attr(e, "envoy.route_name"), priority=5, min_width=8),
        Column(
            "cluster",
            "UPSTREAM CLUSTER",
            0,
            lambda e: _attr(e, "envoy.upstream_cluster", "istio.destination.service") or e.summary,
            priority=3,
            min_width=12,
        ),
        Column("duration", "TIME", 8, _duration, priority=6, min_width=6),
        Column("resource", "RESOURCE", 42, _resource, priority=1, min_width=16),
        Column("verb", "VERB", 8, lambda e: _attr(e, "k8s.verb") or e.action.split(".")[-1], priority=2, min_width=6),
        Column("actor", "ACTOR", 22, _actor, priority=3, min_width=10),
        Column("diff", "DIFF", 9, _diff, priority=6, min_width=7),
    )
}
# the routing pane's "route" column means the route name
ROUTING_ALIASES = {"route": "route_name"}

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


# a flexible column is satisfied at this width before lower-ranked columns grow past their minimum
FLEXIBLE_WANTS = 24


def layout(columns: list[Column] | tuple[Column, ...], width: int) -> list[tuple[Column, int]]:
    """The columns that fit in ``width`` cells, in their order, each with its width.

    1. Every column starts at its narrowest; while they do not fit, the lowest-ranked
       (highest ``priority``) is left out — never the last one.
    2. The cells left over go, in rank order, to each column up to its preferred width (a
       flexible one up to ``FLEXIBLE_WANTS``), then all to the flexible columns (or, if there
       is none, to the last column).
    """
    return list(_layout(tuple(columns), width))


@lru_cache(maxsize=256)
def _layout(columns: tuple[Column, ...], width: int) -> tuple[tuple[Column, int], ...]:
    room = max(0, width - 2)  # 2: the mark column
    kept = list(columns)

    def needed(cols: list[Column]) -> int:
        return sum(c.narrowest for c in cols) + max(0, len(cols) - 1)

    while len(kept) > 1 and needed(kept) > room:
        kept.remove(max(kept, key=lambda c: (c.priority, kept.index(c))))
    widths = {id(c): c.narrowest for c in kept}
    spare = room - needed(kept)
    for c in sorted(kept, key=lambda c: c.priority):
        if spare <= 0:
            break
        grow = min(spare, max(0, (c.width or FLEXIBLE_WANTS) - widths[id(c)]))
        widths[id(c)] += grow
        spare -= grow
    flexible = [c for c in kept if not c.width] or kept[-1:]
    for i, c in enumerate(flexible):
        share = spare // len(flexible) + (1 if i < spare % len(flexible) else 0)
        widths[id(c)] += max(0, share)
    return tuple((c, widths[id(c)]) for c in kept)


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
    for i, (column, cell) in enumerate(layout(columns, width)):
        if i:
            text.append(" ")
        text.append(fit(column.title, cell), style="bold")
    text.truncate(width, pad=True)
    return text


# the columns whose values mean the same for meshtail's own events as for the mesh's (the All pane's)
HEALTH_COLUMNS = frozenset({"time", "severity", "action", "where", "summary"})


def health_line(event: AuditEvent) -> str:
    """A meshtail health event in one line: ``meshtail warning  shop/cart-1[istio-proxy]  the stream broke…``."""
    source = event.source
    stream = where(event) if source.pod or source.path else ""  # (a watch's problem is about no stream)
    return "  ".join(part for part in ("meshtail", event.severity, stream, event.summary) if part)


_HEALTH_SPAN = Column("health", "", 0, health_line)


def _health_cells(event: AuditEvent, cells: list[tuple[Column, int]]) -> list[tuple[Column, int]]:
    """A health event's cells in a domain pane (Auth, Routing, Config): its leading TIME kept, every column after
    it one cell with :func:`health_line`.  Laid out in the domain columns it read as a domain event (an audit saw
    ``? → load0013-v1-…  failure  the stream broke`` in Auth: a reconnect as an auth failure, a pod as ACTOR)."""
    lead = 0
    while lead < len(cells) and cells[lead][0].name == "time":
        lead += 1
    rest = cells[lead:]
    if not rest:
        return cells
    span = sum(cell for _, cell in rest) + len(rest) - 1  # (the separators between the columns it spans)
    if lead:
        return [*cells[:lead], (_HEALTH_SPAN, span)]
    # no TIME first (a profile's order): the time leads the line
    return [(Column("health", "", 0, lambda e: f"{_time(e)}  {health_line(e)}"), span)]


def row(event: AuditEvent, columns: list[Column], width: int, marked: bool = False, redact: bool = False) -> Text:
    """The row's text, exactly ``width`` cells wide, every column at its own cell offset.  With ``redact`` (the
    app's setting) credentials in a cell are replaced as the details and exports replace them: a list on a shared
    screen must not show the token its details screen hides (``envoy header: 'authorization', 'Bearer …'``)."""
    text = Text("● " if marked else "  ", style="bold green" if marked else "", no_wrap=True, end="")
    # (and the values of its credential attributes wherever they stand, as the export replaces them: found in review,
    # a JSON access log's opaque "authorization" value repeated in its path)
    secrets = secrets_of(event.attributes) if redact else ()
    cells = layout(columns, width)
    if event.format == "meshtail" and any(column.name not in HEALTH_COLUMNS for column, _ in cells):
        cells = _health_cells(event, cells)
    for i, (column, cell) in enumerate(cells):
        if i:
            text.append(" ")
        # values were made visible-safe at ingest (no TAB, newline or format character is left)
        value = column.value(event)
        if redact:
            value = redact_text(value, secrets)[0]
        text.append(fit(value, cell))
    style = row_style(event)
    if style is not None:
        text.stylize(style, 2)
    text.truncate(width, pad=True)
    return text


# only for measuring and wrapping plain text (cell widths, word breaks); never prints
_MEASURE = Console(width=10_000, color_system=None, legacy_windows=False)


def hanging(value: str, indent: int, width: int | None) -> str:
    """``value`` wrapped to ``width`` cells with every line after the first indented by ``indent``.

    A long value (a request URI, a JWT, a policy list) used to wrap back to column 1, under
    the attribute names; now it stays in its own column.  Word breaks where there are
    spaces, cuts by cell width where there are none.  Too narrow a screen: no wrapping here.
    """
    room = (width or 0) - indent
    if width is None or room < 16 or cell_len(value) <= room:
        return value
    lines = Text(value).wrap(_MEASURE, room, overflow="fold")
    return ("\n" + " " * indent).join(line.plain.rstrip() for line in lines)
