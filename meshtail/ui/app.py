"""The meshtail TUI: live panes over one event store, filter bar, details, marks and export, profiles."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, ScreenStackError
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Input, Static, Tab, Tabs

from ..events import AuditEvent
from ..export import ExportResult
from ..gctune import tune_for_streaming
from ..ingest import Ingest, SourceSpec
from ..keymap import key_label, load_keymap
from ..lag import describe as describe_lag
from ..profiles import Profile
from ..profiles import load as load_profiles
from ..query import Filter, FilterError, compile_filter
from ..store import EventStore
from ..text import visible
from ..views import PANES, PANES_BY_ID, View
from .commands import MeshtailCommands
from .detail import DetailScreen
from .dialogs import ExportRequest, ExportScreen, HealthScreen, HelpScreen, QuickFilterScreen, SaveProfileScreen
from .event_list import EventList
from .rows import fit, hanging, header, resolve

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    top = max(values) if values else 0
    if not top:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(7, (v * 7 + top - 1) // top)] if v else SPARKS[0] for v in values)


def compact_count(n: int) -> str:
    """``987``, ``12.3k``, ``1.2M``: a count in at most five cells, for tabs on a narrow terminal."""
    if n < 1000:
        return str(n)
    if n < 100_000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M".replace(".0M", "M")


# the tab titles when even compact counts do not fit (below ~60 columns)
SHORT_TITLES = {"routing": "Route", "config": "Conf", "violations": "Viol"}


class WholeCellScrollBar(ScrollBarRender):
    """Scrollbar thumbs drawn in whole cells.

    Textual draws a thumb's ends with eighth-block glyphs (``▁▂▃▄▅▆▇``) for sub-cell
    precision.  At the right edge of the event list and of the detail view they read as
    stray sparkline blocks (``▂▂``, ``▇▇``) inside the rows: in a terminal with few
    colours, and in any text copied or captured from the screen.
    """

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


class FilterInput(Input):
    """The filter bar: live as you type, history with up/down; Enter applies, Esc puts the old filter back."""

    BINDINGS = [
        Binding("up", "history(-1)", "Older filter", show=False, id="filter.older"),
        Binding("down", "history(1)", "Newer filter", show=False, id="filter.newer"),
        Binding("enter", "submit", "Apply", id="filter.apply"),
        Binding("escape", "close", "Cancel edit", id="filter.close"),
    ]

    def __init__(self) -> None:
        super().__init__(
            placeholder="filter every pane: cat:auth outcome:deny -ns:kube-system  (Enter applies, Esc cancels)",
            id="filter",
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
        self.app.action_cancel_filter()  # type: ignore[attr-defined]


class MeshtailApp(App[None]):
    TITLE = "meshtail"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {MeshtailCommands}
    ENABLE_COMMAND_PALETTE = True
    # `/` and the pane keys are priority bindings: the app acts on them the moment it reads
    # them, before it routes the next key.  As ordinary bindings they ran only after the keys
    # behind them (a fast typist, a paste, a slow SSH link) had already been sent to the list:
    # `/tmp/qa` quit the app.  `check_action` leaves them to a focused text field (a `/` or a
    # digit typed into the filter) and keeps them off dialogs and the details.
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("slash", "open_filter", "Filter", priority=True, id="filter.open"),
        *[
            Binding(p.key, f"pane('{p.id}')", f"{p.title} pane", show=False, priority=True, id=f"pane.{p.id}")
            for p in PANES
        ],
        Binding("equals_sign", "quick_filter", "Quick filter from the event", show=False, id="filter.quick"),
        Binding("e", "export", "Export", id="export.open"),
        Binding("S", "save_profile", "Save profile", show=False, id="profile.save"),
        Binding("h", "health", "Source health", show=False, id="app.health"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
    ]
    # actions that act on the main screen's list or filter bar: not while a dialog or the details are on top
    MAIN_SCREEN_ACTIONS = frozenset({"pane", "open_filter", "quick_filter"})

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
        ScrollBar.renderer = WholeCellScrollBar  # a class setting in Textual: every scrollbar of the app
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
        # one filter for every pane (as in lnav and k9s): each pane shows its own kind of
        # event *and* this filter, so the tab counts agree with what `/` says
        self.filter_query: Filter = compile_filter("")
        self._filter_before = ""  # the filter when `/` was pressed: Esc puts it back
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

    def get_key_display(self, binding: Binding) -> str:
        """Keys in the footer as typed (``/``, ``?``, ``Ctrl+P``, ``Esc``), the same as in the help."""
        if binding.key_display:
            return binding.key_display
        return key_label(binding.key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Pane keys, `/` and `=` act on the main screen only, and never while a text field has the keys.

        Textual hands an Input the printable keys it consumes before priority bindings, but
        not `/` (its key name, ``slash``, maps to no character there): without this a second
        `/` in ``path:/api/`` would reopen the bar instead of being typed.
        """
        if action in self.MAIN_SCREEN_ACTIONS and (len(self.screen_stack) > 1 or isinstance(self.focused, Input)):
            return False
        return True

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
        self._focus(self.list())
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
        self.call_after_refresh(self._update_tabs)

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

    def tab_labels(self, width: int) -> dict[str, str]:
        """Every pane's tab label, as rich as ``width`` cells allow for all the visible tabs together.

        Full (key, title, count, sparkline), then without the sparkline, with compact counts,
        with short titles, and last key and title alone: at 80 columns the fifth tab used
        to be pushed off the screen by the four before it.
        """
        shown = [p for p in PANES if p.id in self.visible_panes]
        labels: dict[str, str] = {}
        for level in range(5):
            for p in PANES:
                view = self.views[p.id]
                waiting = "" if view.complete else " …"
                title = SHORT_TITLES.get(p.id, p.title) if level >= 3 else p.title
                count = compact_count(len(view)) if level >= 2 else f"{len(view):,}"
                label = f"{p.key} {title}"
                if level < 4:
                    label += f" {count}{waiting}"
                if level == 0:
                    label += f" {sparkline(view.rates(8))}"
                labels[p.id] = label
            if sum(cell_len(labels[p.id]) + 2 for p in shown) <= width:  # 2: a tab's padding
                break
        return labels

    def _update_tabs(self) -> None:
        tabs = self.main_query(Tabs)
        for pane_id, text in self.tab_labels(tabs.size.width or self.size.width).items():
            tab = tabs.query_one(f"#tab-{pane_id}", Tab)
            if tab.label.plain != text:
                tab.label = Content(text)

    def _update_status(self) -> None:
        now = time.monotonic()
        then, count = self._rate_mark
        if now - then >= 1.0:
            self.events_per_second = (self.store.end - count) / (now - then)
            self._rate_mark = (now, self.store.end)
        parts: list[tuple[str, str]] = []
        # what the user set comes first, so a narrow terminal still shows it: the filter (on every pane)
        if self.filter_text:
            parts.append((f"filter: {visible(self.filter_text)}", "bold cyan"))
        event_list = self.list()
        if event_list.following:
            parts.append(("FOLLOW", "bold green"))
        else:
            parts.append((f"PAUSED +{event_list.new_since_pause:,} new (f: follow)", "bold yellow"))
        if self.marked:
            parts.append((f"{len(self.marked):,} marked", "bold green"))
        if not self.redact:
            parts.append(("REDACTION OFF", "bold red"))
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
        self._show_pane(pane)  # now, not when Tabs' message arrives: a `/` right behind must find this pane

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        self._show_pane(event.tab.id.removeprefix("tab-"))

    def _show_pane(self, pane: str) -> None:
        """Bring ``pane`` to the front and give its list the keys, unless the filter is being edited."""
        if pane != self.current or self.main_query(ContentSwitcher).current != f"pane-{pane}":
            self.current = pane
            self.main_query(ContentSwitcher).current = f"pane-{pane}"
        if not self._editing_filter():
            self._focus(self.list())
        self._update_status()

    def _focus(self, widget: Widget) -> None:
        """Focus at once (``Widget.focus`` waits for the next refresh: keys typed meanwhile went elsewhere)."""
        self.screen_stack[0].set_focus(widget)

    # ---- filter: one for every pane --------------------------------------------------------
    @property
    def filter_text(self) -> str:
        """The filter every pane applies on top of its own kind of event ("" for none)."""
        return self.filter_query.text

    def _editing_filter(self) -> bool:
        return self.screen_stack[0].focused is self.main_query(FilterInput)

    def action_open_filter(self) -> None:
        bar = self.main_query("#filter-bar")
        if not bar.has_class("visible"):
            self._filter_before = self.filter_text
        bar.add_class("visible")
        self._sync_filter_input()
        self._focus(self.main_query(FilterInput))

    def _sync_filter_input(self) -> None:
        box = self.main_query(FilterInput)
        if box.value != self.filter_text:
            with box.prevent(Input.Changed):
                box.value = self.filter_text
                box.cursor_position = len(box.value)

    def action_close_filter(self) -> None:
        """Hide the bar and give the keys back to the list, keeping the filter as it is."""
        self.main_query("#filter-bar").remove_class("visible")
        self._focus(self.list())

    def action_cancel_filter(self) -> None:
        """Esc in the bar: drop the edit and put back the filter from before `/`.

        Typing applies the filter live; without this a half-typed ``status:403 (cat:auth``
        stayed active as ``status:403`` after Esc.
        """
        self.set_filter(self._filter_before)
        self._sync_filter_input()
        self.action_close_filter()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self.set_filter(event.value):
            self.main_query(FilterInput).remember(event.value)
            self._filter_before = event.value
            self.action_close_filter()

    def set_filter(self, text: str) -> bool:
        """Apply ``text`` to every pane; a bad filter is shown in place and changes nothing.

        The pane in front is re-filtered at once, the others over the next ticks (their tabs
        show ``…`` until they have caught up).
        """
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
        if self.filter_query.text != text:
            self.filter_query = query
            for pane_id, view in self.views.items():
                view.set_query(query)
                self.list(pane_id).reset()
            self.list().grew(self.views[self.current].catch_up(0.03))
            self._update_tabs()
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
                combined = f"{self.filter_text} {term}".strip()
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
            filter=self.filter_text,
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
        # a profile holds one filter, and so does the app: every pane applies it
        self.set_filter(profile.filter)
        self._filter_before = profile.filter
        self._sync_filter_input()
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
    def key_groups(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        """(heading, [(keys, what, binding id)]) for the help: the user's keymap applied, Ctrl+P included."""
        keymap = getattr(self, "_keymap", {}) or {}

        def lines(bindings: list[Binding | tuple[str, str] | tuple[str, str, str]]) -> list[tuple[str, str, str]]:
            out = []
            for binding in bindings:
                if isinstance(binding, Binding):
                    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
                    out.append((keys, binding.description, binding.id or ""))
            return out

        main = lines(self.BINDINGS)
        main.append((self.COMMAND_PALETTE_BINDING, "Command palette: every action, pane, profile", ""))
        return [
            ("Main screen", main),
            ("Event list", lines(EventList.BINDINGS)),
            ("Filter bar (after /)", lines(FilterInput.BINDINGS)),
            ("Details (after Enter)", lines(DetailScreen.BINDINGS)),
            ("Dialogs and this help", [("escape", "Close or cancel (the footer says which key)", "")]),
        ]

    def key_lines(self) -> list[tuple[str, str, str]]:
        """Every key as (keys, what, binding id), in help order; the ids are what keymap.toml can remap."""
        return [line for _, lines in self.key_groups() for line in lines]

    def help_notes(self, width: int) -> Text:
        """What the panes show and how the filter works (the part of the help that is not keys), for ``width``."""
        text = Text("\nPanes\n", style="bold underline")
        titles = max(len(p.title) for p in PANES) + 4  # key, space, title, two spaces
        for p in PANES:
            text.append(f"{key_label(p.key)} {p.title}".ljust(titles), style="bold cyan")
            text.append(f"{hanging(p.about, titles, width)}\n")
        text.append("\nFilter\n", style="bold underline")
        text.append(
            "One filter for every pane: / edits it (live), Enter applies, Esc puts the previous one back; "
            "the status bar shows it on every tab.\n"
            'Language: field:value, -negate, OR, (groups), status:>=500, path:/regex/i, "phrases". '
            "Fields: cat outcome action ns pod status method path policy flags user duration …\n"
            "Everything of a kind: 1 then cat:auth (certificates and SDS too), or cat:config (xDS connections too).\n"
        )
        return text

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
        self.push_screen(HelpScreen(self.key_groups(), self.help_notes))

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
