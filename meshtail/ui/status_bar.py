"""The status line at the bottom of the main screen: the view's state first, then the sources', then counts."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from ..ingest import Ingest
from ..lag import describe as describe_lag
from ..storage.store import EventStore
from ..text import visible


class StatusBar(Static):
    """One line of parts separated by ``│``; what the user set comes first, so a narrow terminal still shows it.

    It also measures the ingest rate (events stored per second, over at least a second).
    """

    def __init__(self) -> None:
        super().__init__(Text(""), id="status")
        self._shown = Text()
        self._rate_mark = (time.monotonic(), 0)
        self.events_per_second = 0.0

    def show(
        self,
        *,
        filter_text: str,
        following: bool,
        new_since_pause: int,
        marked: int,
        redact: bool,
        store: EventStore,
        ingest: Ingest | None,
        files: bool,
    ) -> None:
        """Lay the line out again; the widget is updated only when the text changed (an update costs a layout)."""
        now = time.monotonic()
        then, count = self._rate_mark
        if now - then >= 1.0:
            self.events_per_second = (store.end - count) / (now - then)
            self._rate_mark = (now, store.end)
        parts: list[tuple[str, str]] = []
        # the filter (on every pane)
        if filter_text:
            parts.append((f"filter: {visible(filter_text)}", "bold cyan"))
        if following:
            parts.append(("FOLLOW", "bold green"))
        else:
            parts.append((f"PAUSED +{new_since_pause:,} new (f: follow)", "bold yellow"))
        if marked:
            parts.append((f"{marked:,} marked", "bold green"))
        if not redact:
            parts.append(("REDACTION OFF", "bold red"))
        if ingest is not None:
            parts.extend(source_parts(ingest, files))
        parts.append((f"{self.events_per_second:,.0f} ev/s", ""))
        parts.append((f"{len(store):,} stored", ""))
        if store.evicted:
            parts.append((f"{store.evicted:,} evicted (store full)", "yellow"))
        text = Text()
        for i, (part, style) in enumerate(parts):
            if i:
                text.append(" │ ", style="dim")
            text.append(part, style=style)
        if text != self._shown:
            self._shown = text
            self.update(text)


def source_parts(ingest: Ingest, files: bool) -> list[tuple[str, str]]:
    """(text, style) for the sources: context, streams, reconnects, lag, gaps, errors; ``files``: say when read."""
    parts: list[tuple[str, str]] = []
    status = ingest.status()
    if status.context:
        parts.append((visible(status.context), "bold"))
    if status.streams:
        states = " · ".join(f"{n} {state}" for state, n in sorted(status.streams.items()))
        parts.append((f"streams {states}", "red" if status.streams.get("failed") else ""))
    if status.reconnects:
        parts.append((f"{status.reconnects} reconnects", "yellow"))
    if status.lag.streams:
        overall = status.lag.overall
        style = "bold red" if overall >= 10 else "yellow" if overall >= 2 else ""
        parts.append((visible(describe_lag(status.lag)), style))
    if status.gaps:
        parts.append((f"{status.gaps} gaps", "bold red"))
    if status.unparsed:
        parts.append((f"{status.unparsed} unparsed", "yellow"))
    if status.error:
        parts.append((visible(status.error), "bold red"))
    if status.done and files:
        parts.append(("input read", "green"))
    return parts
