"""The meshtail TUI: live panes over one event store, filter bar, details, marks and export, profiles."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, ScreenStackError
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.widgets import ContentSwitcher, Footer, Input, Static, Tab, Tabs

from ..events import AuditEvent
from ..export import ExportResult
from ..gctune import tune_for_streaming
from ..ingest import Ingest, SourceSpec
from ..keymap import load_keymap
from ..lag import describe as describe_lag
from ..profiles import Profile
from ..profiles import load as load_profiles
from ..query import FilterError, compile_filter
from ..store import EventStore
from ..text import visible
from ..views import PANES, PANES_BY_ID, View
from .commands import MeshtailCommands
from .detail import DetailScreen
from .dialogs import ExportRequest, ExportScreen, HealthScreen, HelpScreen, QuickFilterScreen, SaveProfileScreen
from .event_list import EventList
from .rows import fit, header, resolve

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    top = max(values) if values else 0
    if not top:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(7, (v * 7 + top - 1) // top)] if v else SPARKS[0] for v in values)


class FilterInput(Input):
    """The filter bar: live as you type, history with up/down."""

    BINDINGS = [
        Binding("up", "history(-1)", "Older filter", show=False, id="filter.older"),
        Binding("down", "history(1)", "Newer filter", show=False, id="filter.newer"),
        Binding("escape", "close", "Close filter", id="filter.close"),
    ]

    def __init__(self) -> None:
        super().__init__(
            placeholder="filter: cat:auth outcome:deny -ns:kube-system  (Enter keeps it, Esc closes)", id="filter"
        )
        self.history: list[str] = []
        self._position = 0

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._position = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else ""
        self.cursor_position = len(self.value)

    def action_close(self) -> None:
        self.app.action_close_filter()  # type: ignore[attr-defined]


class MeshtailApp(App[None]):
    TITLE = "meshtail"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {MeshtailCommands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
        *[Binding(p.key, f"pane('{p.id}')", p.title, show=False, id=f"pane.{p.id}") for p in PANES],
        Binding("slash", "open_filter", "Filter", id="filter.open"),
        Binding("equals_sign", "quick_filter", "Quick filter", id="filter.quick"),
        Binding("e", "export", "Export", id="export.open"),
        Binding("S", "save_profile", "Save profile", id="profile.save"),
        Binding("h", "health", "Health", id="app.health"),
        Binding("question_mark", "help", "Help", id="app.help"),
    ]

    def __init__(
        self,
        spec: SourceSpec | None = None,
        *,
        profile: Profile | None = None,
        store: EventStore | None = None,
        capacity: int = 1_000_000,
        profile_problems: list[str] | None = None,
        tick: float = 0.1,
        redact: bool = True,
    ) -> None:
        super().__init__()
        # one setting for everything that leaves the screen: export, details "as exported", copy
        self.redact = redact
        self.spec = spec
        self.store = store if store is not None else EventStore(capacity)
        self.ingest = Ingest(spec, self.store) if spec is not None else None
        self.marked: set[int] = set()
        self.views = {p.id: View(self.store, p) for p in PANES}
        self.profile = profile
        self.profile_problems = list(profile_problems or [])
        self.current = "all"
        self.visible_panes = [p.id for p in PANES]
        self.columns = {p.id: resolve(p.columns, p.id) for p in PANES}
        self._tick_interval = tick
        self._ticks = 0
        self._status_text = Text()
        self._status_tick = 0
        self._status_due = False
        self._rate_mark = (time.monotonic(), 0)
        self.events_per_second = 0.0

    # ---- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text(self._title_text()), id="title")
        yield Tabs(*[Tab(Content(p.title), id=f"tab-{p.id}") for p in PANES], id="tabs")
        with ContentSwitcher(initial="pane-all"):
            for p in PANES:
                with Vertical(id=f"pane-{p.id}"):
                    yield Static(Text(""), classes="pane-header", id=f"header-{p.id}")
                    yield EventList(self.views[p.id], self.columns[p.id], self.marked, id=f"list-{p.id}")
        with Vertical(id="filter-bar"):
            yield FilterInput()
            yield Static(Text(""), id="filter-error")
        yield Static(Text(""), id="status")
        yield Footer()

    def _title_text(self) -> str:
        """The title line; file names and contexts are not meshtail's text, so they are shown visible-safe."""
        if self.spec is None:
            return "meshtail"
        if self.spec.kind == "files":
            return visible(f"meshtail · {', '.join('stdin' if p == '-' else p for p in self.spec.paths)}")
        if self.spec.kind == "demo":
            return f"meshtail · demo mesh (seed {self.spec.demo_seed})"
        context = self.ingest.context if self.ingest else ""
        return visible(f"meshtail · {context or self.spec.context or 'current context'}")

    def notify(  # type: ignore[override]
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text made visible-safe: messages carry file names, profile text, paths."""
        super().notify(visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        keymap, problems = load_keymap({line[2] for line in self.key_lines() if line[2]})
        self.profile_problems.extend(problems)
        if keymap:
            self.set_keymap(keymap)
        if self.profile is not None:
            self.apply_profile(self.profile, announce=False)
        for problem in self.profile_problems:
            self.notify(problem, title="profiles", severity="warning", markup=False, timeout=15)
        if self.ingest is not None:
            self.ingest.start()
        self.set_interval(self._tick_interval, self.tick)
        tune_for_streaming()  # the screen is composed: its objects are long-lived (see gctune)
        self.list().focus()
        self._update_headers()

    def on_unmount(self) -> None:
        if self.ingest is not None:
            self.ingest.stop()

    def main_query(self, selector, expect_type=None):  # type: ignore[no-untyped-def]
        """Query the main screen, whichever screen (detail, dialog) is on top."""
        base = self.screen_stack[0] if self.screen_stack else self.screen
        return base.query_one(selector, expect_type) if expect_type else base.query_one(selector)

    def list(self, pane: str | None = None) -> EventList:
        return self.main_query(f"#list-{pane or self.current}", EventList)

    def _update_headers(self) -> None:
        for p in PANES:
            width = self.main_query(f"#list-{p.id}", EventList).scrollable_content_region.width or self.size.width
            self.main_query(f"#header-{p.id}", Static).update(header(self.columns[p.id], width))

    def on_resize(self) -> None:
        self.call_after_refresh(self._update_headers)

    # ---- the clock -----------------------------------------------------------------------
    def tick(self) -> None:
        """Pull new events into the views (the current one first and with the bigger budget)."""
        try:
            self._tick()
        except (NoMatches, ScreenStackError):  # the app is shutting down: its widgets or screens are gone
            return

    def _tick(self) -> None:
        self._ticks += 1
        with self.batch_update():
            changed = False
            for pane_id in [self.current, *[p for p in self.views if p != self.current]]:
                view = self.views[pane_id]
                budget = 0.04 if pane_id == self.current else 0.005
                added = view.catch_up(budget)
                if added or pane_id == self.current:
                    self.list(pane_id).grew(added)
                changed = changed or (pane_id == self.current and added > 0)
            # tabs twice a second, the status at most three times: each update of their text
            # makes Textual lay out the screen again (~30 ms), which delayed keys under load
            if self._ticks % 5 == 1:
                self._update_tabs()
            self._status_due = self._status_due or changed
            if self._ticks % 5 == 1 or (self._status_due and self._ticks - self._status_tick >= 3):
                self._status_tick, self._status_due = self._ticks, False
                self._update_status()

    def _update_tabs(self) -> None:
        tabs = self.main_query(Tabs)
        for p in PANES:
            view = self.views[p.id]
            waiting = "" if view.complete else " …"
            label = Content(f"{p.key} {p.title} {len(view):,}{waiting} {sparkline(view.rates(8))}")
            tab = tabs.query_one(f"#tab-{p.id}", Tab)
            if tab.label.plain != label.plain:
                tab.label = label

    def _update_status(self) -> None:
        now = time.monotonic()
        then, count = self._rate_mark
        if now - then >= 1.0:
            self.events_per_second = (self.store.end - count) / (now - then)
            self._rate_mark = (now, self.store.end)
        parts: list[tuple[str, str]] = []
        if self.ingest is not None:
            status = self.ingest.status()
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
            if status.done and self.spec is not None and self.spec.kind == "files":
                parts.append(("input read", "green"))
        parts.append((f"{self.events_per_second:,.0f} ev/s", ""))
        parts.append((f"{len(self.store):,} stored", ""))
        if self.store.evicted:
            parts.append((f"{self.store.evicted:,} evicted (store full)", "yellow"))
        event_list = self.list()
        if event_list.following:
            parts.append(("FOLLOW", "bold green"))
        else:
            parts.append((f"PAUSED +{event_list.new_since_pause:,} new (f: follow)", "bold yellow"))
        if self.marked:
            parts.append((f"{len(self.marked):,} marked", "bold green"))
        if not self.redact:
            parts.append(("REDACTION OFF", "bold red"))
        query = self.views[self.current].query
        if query.text:
            parts.append((f"filter: {visible(query.text)}", "cyan"))
        text = Text()
        for i, (part, style) in enumerate(parts):
            if i:
                text.append(" │ ", style="dim")
            text.append(part, style=style)
        status = self.main_query("#status", Static)
        if text != self._status_text:
            self._status_text = text
            status.update(text)

    @on(EventList.Changed)
    def _list_changed(self) -> None:
        self._update_status()

    # ---- panes ---------------------------------------------------------------------------
    def action_pane(self, pane: str) -> None:
        if pane not in self.visible_panes:
            return
        self.main_query(Tabs).active = f"tab-{pane}"

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        pane = event.tab.id.removeprefix("tab-")
        self.current = pane
        self.main_query(ContentSwitcher).current = f"pane-{pane}"
        self.list().focus()
        self._sync_filter_input()
        self._update_status()

    # ---- filter --------------------------------------------------------------------------
    def action_open_filter(self) -> None:
        bar = self.main_query("#filter-bar")
        bar.add_class("visible")
        self._sync_filter_input()
        self.main_query(FilterInput).focus()

    def _sync_filter_input(self) -> None:
        box = self.main_query(FilterInput)
        text = self.views[self.current].query.text
        if box.value != text:
            with box.prevent(Input.Changed):
                box.value = text

    def action_close_filter(self) -> None:
        self.main_query("#filter-bar").remove_class("visible")
        self.list().focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self.set_filter(event.value):
            self.main_query(FilterInput).remember(event.value)
            self.action_close_filter()

    def set_filter(self, text: str, pane: str | None = None) -> bool:
        """Apply ``text`` to a pane (the current one); a bad filter is shown in place and changes nothing."""
        box = self.main_query(FilterInput)
        error = self.main_query("#filter-error", Static)
        try:
            query = compile_filter(text)
        except FilterError as exc:
            box.add_class("error")
            error.update(Text(f"{exc}\n{exc.pointer()}"))
            return False
        box.remove_class("error")
        error.update(Text(""))
        pane = pane or self.current
        view = self.views[pane]
        if view.query.text != text:
            view.set_query(query)
            self.list(pane).reset()
            self.list(pane).grew(view.catch_up(0.03))
        self._update_status()
        return True

    def action_quick_filter(self) -> None:
        index = self.list().current_index()
        event = self.store.get(index) if index is not None else None
        if event is None:
            self.notify("Highlight an event first", markup=False)
            return

        def chosen(term: str | None) -> None:
            if term:
                current = self.views[self.current].query.text
                combined = f"{current} {term}".strip()
                self.set_filter(combined)
                self.main_query(FilterInput).remember(combined)

        self.push_screen(QuickFilterScreen(event), chosen)

    # ---- details -------------------------------------------------------------------------
    @on(EventList.OpenDetails)
    def _details(self, message: EventList.OpenDetails) -> None:
        event = self.store.get(message.index)
        if event is not None:
            self.push_screen(DetailScreen(event, self.store, self.redact))

    # ---- export --------------------------------------------------------------------------
    def export_request(self) -> ExportRequest:
        marked = [e for i in sorted(self.marked) if (e := self.store.get(i)) is not None]
        view = self.views[self.current]
        events = [e for i in list(view.indices) if (e := self.store.get(i)) is not None]
        return ExportRequest(marked, events)

    def action_export(self) -> None:
        def done(result: ExportResult | None) -> None:
            if result is not None:
                note = f", {result.redactions} credentials redacted" if result.redactions else ""
                self.notify(f"Exported {result.count} events to {result.path}{note}", markup=False)

        self.push_screen(ExportScreen(self.export_request(), self.redact), done)

    # ---- profiles ------------------------------------------------------------------------
    def current_profile(self, name: str) -> Profile:
        spec = self.spec
        selection = spec.selection if spec is not None else None
        return Profile(
            name,
            filter=self.views[self.current].query.text,
            panes=[p for p in self.visible_panes],
            columns={
                p: [c.name for c in cols]
                for p, cols in self.columns.items()
                if [c.name for c in cols] != list(PANES_BY_ID[p].columns)
            },
            context=(spec.context or "") if spec is not None else "",
            namespaces=list(selection.namespaces) if selection is not None else [],
            selector=(selection.selector or "") if selection is not None else "",
        )

    def action_save_profile(self) -> None:
        self.push_screen(SaveProfileScreen(self.current_profile))

    def apply_profile(self, profile: Profile, announce: bool = True) -> None:
        self.profile = profile
        tabs = self.main_query(Tabs)
        self.visible_panes = [p.id for p in PANES if p.id in profile.panes] or ["all"]
        for p in PANES:
            if p.id in self.visible_panes:
                tabs.show(f"tab-{p.id}")
            else:
                tabs.hide(f"tab-{p.id}")
            columns = profile.columns.get(p.id)
            self.columns[p.id] = resolve(columns, p.id) if columns else resolve(p.columns, p.id)
            self.list(p.id).set_columns(self.columns[p.id])
            self.set_filter(profile.filter, p.id)
        self._update_headers()
        first = profile.panes[0] if profile.panes and profile.panes[0] in self.visible_panes else self.visible_panes[0]
        self.action_pane(first)
        if announce:
            self.notify(f"Profile {profile.name}: {profile.filter or 'no filter'}", markup=False)

    def load_profile(self, name: str) -> None:
        profiles, problems = load_profiles()
        for problem in problems:
            self.notify(problem, severity="warning", markup=False)
        if name in profiles:
            self.apply_profile(profiles[name])

    # ---- help and palette ----------------------------------------------------------------
    def key_lines(self) -> list[tuple[str, str, str]]:
        lines = []
        for binding in [*self.BINDINGS, *EventList.BINDINGS, *FilterInput.BINDINGS, *DetailScreen.BINDINGS]:
            if isinstance(binding, Binding):
                lines.append((binding.key, binding.description, binding.id or ""))
        return lines

    def health_text(self) -> Text:
        """Source health: every stream's state and counters, then the totals."""
        text = Text("Source health\n\n", style="bold")
        source = self.ingest.source if self.ingest is not None else None
        if source is None:
            status = self.ingest.status() if self.ingest is not None else None
            problem = visible(status.error) if status is not None and status.error else ""
            text.append(problem or "no live streams (files or stdin)\n")
        else:
            lags = self.ingest.lag.streams if self.ingest is not None else {}
            by_name = {f"{k[0]}/{k[1]}[{k[2]}]": v for k, v in lags.items()}
            text.append(
                f"{'STREAM':<70} {'STATE':<13} {'LINES':>9} {'LAG':>7} {'RECONN':>6} {'REPEATS':>7} {'STALLS':>6}"
                "  LAST ERROR\n",
                style="bold",
            )
            for name, stats in sorted(source.streams.items()):
                style = {"failed": "red", "reconnecting": "yellow", "ended": "dim"}.get(stats.state, "")
                lag = by_name.get(name)
                shown_lag = f"{lag:.1f}s" if lag is not None else "-"
                # stream names and errors come from the cluster: visible-safe, laid out by cells
                counts = f"{stats.lines:>9,} {shown_lag:>7} {stats.reconnects:>6} {stats.duplicates_dropped:>7}"
                text.append(
                    f"{fit(visible(name), 70)} {stats.state:<13} {counts} {stats.stalls:>6}  "
                    f"{fit(visible(stats.last_error), 80).rstrip()}\n",
                    style=style,
                )
        health = self.ingest.pipeline.health if self.ingest is not None else {}
        if health:
            text.append("\nHealth events so far: ", style="bold")
            text.append(", ".join(f"{k.removeprefix('meshtail.')} {v}" for k, v in sorted(health.items())) + "\n")
        text.append(f"\nstored {len(self.store):,}, evicted {self.store.evicted:,}\n")
        return text

    def action_toggle_redaction(self) -> None:
        self.redact = not self.redact
        state = "on: credentials are replaced" if self.redact else "OFF: exports and copies hold credentials as logged"
        self.notify(f"Redaction {state}", severity="information" if self.redact else "warning")
        self._update_status()

    def action_health(self) -> None:
        self.push_screen(HealthScreen(self.health_text))

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_lines()))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (f"Pane: {p.title}", f"switch to the {p.title} pane (key {p.key})", lambda p=p: self.action_pane(p.id))
            for p in PANES
            if p.id in self.visible_panes
        ]
        commands += [
            (
                "Export marked or filtered events to JSONL",
                "write a JSONL file (credentials redacted)",
                self.action_export,
            ),
            ("Save current view as profile", "filter, panes, columns and sources", self.action_save_profile),
            ("Filter", "open the filter bar", self.action_open_filter),
            ("Follow newest events", "resume following in this pane", lambda: self.list().action_follow()),
            ("Pause", "stop scrolling (ingestion continues)", lambda: self.list().action_pause()),
            ("Mark all in view", "mark every event in this pane", lambda: self.list().action_mark_all()),
            ("Unmark all", "clear the marks", lambda: self.list().action_unmark_all()),
            ("Help: keys", "every key and its binding id", self.action_help),
            (
                "Turn credential redaction " + ("off" if self.redact else "on"),
                "for export, details and copy (on by default)",
                self.action_toggle_redaction,
            ),
            ("Source health", "every stream: state, lines, reconnects, errors", self.action_health),
        ]
        profiles, _ = load_profiles()
        for name, profile in profiles.items():
            # names, descriptions and filters are the profile file's text: shown visible-safe
            label, about = visible(f"Profile: {name}"), visible(profile.description or profile.filter)
            commands.append((label, about, lambda n=name: self.load_profile(n)))
        return commands


def events_of(app: MeshtailApp, pane: str) -> list[AuditEvent]:
    """The events a pane currently shows (tests and screenshots)."""
    return [e for i in app.views[pane].indices if (e := app.store.get(i)) is not None]


__all__ = ["MeshtailApp", "Path", "events_of"]
