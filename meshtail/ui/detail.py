"""The detail view of one event: summary, attributes, explanations, diff, related hops, raw and JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.highlight import highlight
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..events import AuditEvent, dumps
from ..sinks.output import where
from ..sinks.redact import redact_event
from ..storage.store import EventStore
from ..text import visible
from .rows import clock, hanging, row_style

REQUEST_ID = "http.request.header.x-request-id"


def related(store: EventStore, event: AuditEvent, limit: int = 50, window: int = 200_000) -> list[AuditEvent]:
    """Other events with the same x-request-id (the same request at other proxies), oldest first."""
    rid = event.attributes.get(REQUEST_ID)
    if not rid or rid == "-":
        return []
    found = []
    for _, other in store.range(max(store.base, store.end - window), store.end):
        # the raw line holds the id: only candidates are read in full (packed events parse again)
        if rid in other.raw and other != event and other.attributes.get(REQUEST_ID) == rid:
            found.append(other)
            if len(found) >= limit:
                break
    return found


# Longer strings are shown cut, saying how much more there is: a 50 MB line laid out and highlighted whole held the
# screen for 26 s and 2 GB (found by an outside audit).  `c` still copies the whole event, as the export writes it.
SHOWN_CHARACTERS = 65_536


def _cut(value: str) -> str:
    if len(value) <= SHOWN_CHARACTERS:
        return value
    more = len(value) - SHOWN_CHARACTERS
    return f"{value[:SHOWN_CHARACTERS]}… [{more:,} more characters: `c` copies the whole event, export writes it]"


def _cut_all(value: Any) -> Any:
    """``value`` (an event's JSON form) with every long string cut for the screen."""
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, dict):
        return {key: _cut_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut_all(item) for item in value]
    return value


def _section(title: str) -> Text:
    return Text(f"\n{title}\n", style="bold underline")


def describe(
    event: AuditEvent, store: EventStore, shown: dict[str, Any] | None = None, width: int | None = None
) -> Text:
    """Everything about the event as one Text (plain strings only: no markup is interpreted).

    ``shown`` is the event's JSON form as it would be exported (credentials redacted or not):
    summary and attributes are taken from it, so the screen shows what an export would write.
    ``width`` (cells) lets long attribute values wrap under their own column.
    """
    shown = shown if shown is not None else event.to_dict()
    attributes: dict[str, Any] = shown["attributes"]
    text = Text()
    text.append(shown["summary"] or event.action, style=row_style(event) or "bold")
    text.append("\n")
    meta = (
        f"{event.time or '-'}  received {event.received}\n"
        f"{event.category}/{event.action}  outcome {event.outcome}  severity {event.severity}"
        f"{'  VIOLATION' if event.violation else ''}  format {event.format}\n"
        f"from {where(event)} ({event.source.kind})"
    )
    text.append(meta)
    explained = attributes.get("envoy.response_flags_explained")
    details = attributes.get("envoy.response_code_details_explained")
    if explained or details:
        text.append_text(_section("What happened"))
        for line in explained if isinstance(explained, list) else ([explained] if explained else []):
            text.append(f"• {line}\n")
        if details:
            text.append(f"• {details}\n")
    diff = attributes.get("k8s.diff")
    if isinstance(diff, list) and diff:
        text.append_text(_section("Spec diff"))
        for line in diff:
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            text.append(f"{line}\n", style=style)
    text.append_text(_section("Attributes"))
    names = max((cell_len(k) for k in attributes), default=10)
    for key, value in sorted(attributes.items()):
        if key == "k8s.diff":
            continue
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        text.append(f"{key.ljust(names)}  ", style="bold cyan")
        text.append(f"{hanging(shown, names + 2, width)}\n")
    hops = related(store, event)
    if hops:
        text.append_text(_section(f"Same request elsewhere (x-request-id, {len(hops)})"))
        for other in hops:
            text.append(
                f"{clock(other.time or other.received)}  {where(other)}  {other.action}  {other.summary}\n",
                style=row_style(other) or "",
            )
    return text


class DetailScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Back", id="detail.close"),
        Binding("c", "copy", "Copy JSON", id="detail.copy"),
    ]
    DEFAULT_CSS = """
    DetailScreen VerticalScroll { padding: 0 1; }
    DetailScreen .title { text-style: bold; background: $panel; padding: 0 1; margin-top: 1; }
    DetailScreen #raw, DetailScreen #json { background: $boost; padding: 0 1; }
    """

    def __init__(self, event: AuditEvent, store: EventStore, redact: bool = True) -> None:
        super().__init__()
        self.event = event
        self.store = store
        self.redact = redact
        # what an export would write: the screen, the JSON and `c` all show this, never more
        self.shown = event.to_dict()
        self.redactions = 0
        if redact:
            self.shown, self.redactions = redact_event(self.shown)
        self.on_screen = _cut_all(self.shown)  # (and long values cut, saying so)

    def compose(self) -> ComposeResult:
        self._wrapped_at = max(20, self.app.size.width - 4)  # padding and scrollbar; corrected on resize
        with VerticalScroll():
            yield Static(describe(self.event, self.store, self.on_screen, self._wrapped_at), id="about")
            yield Static("Raw line", classes="title", markup=False)
            # raw is the exact line (it may hold escape sequences): shown with them made visible
            raw = self.on_screen["raw"]
            yield Static(Text(visible(raw) or "(no raw line: meshtail made this event)"), id="raw")
            note = (
                f"credentials redacted: {self.redactions}"
                if self.redactions
                else "credentials redacted"
                if self.redact
                else "REDACTION OFF: credentials shown as logged"
            )
            yield Static(f"Event JSON (as exported, {note})", classes="title", markup=False)
            # made visible line by line: the layout's own line breaks stay line breaks
            as_json = "\n".join(
                visible(line) for line in json.dumps(self.on_screen, indent=2, ensure_ascii=False).split("\n")
            )
            yield Static(highlight(as_json, language="json"), id="json")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        """Lay the attribute values out again for the width the text really has."""
        about = self.query_one("#about", Static)
        width = about.content_region.width
        if width > 0 and width != self._wrapped_at:
            self._wrapped_at = width
            about.update(describe(self.event, self.store, self.on_screen, width))

    def action_close(self) -> None:
        self.dismiss()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(dumps(self.shown))
        state = "credentials redacted" if self.redact else "redaction off"
        self.notify(f"Event copied to the clipboard as JSON ({state})", markup=False)
