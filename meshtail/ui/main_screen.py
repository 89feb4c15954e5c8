"""The main screen: the pane tabs over one event store, a live list per pane, the filter bar and the status line.

It holds the view's state (the panes' views, the one filter every pane applies, the marks,
the pane in front) and the keys that act on it (`/`, `1`–`5`, `=`).  What is app-wide (the
store and its ingest thread, profiles, redaction, help, health, export) stays with
:class:`~meshtail.ui.app.MeshtailApp`; widgets report to this screen with messages
(:class:`FilterBar.Applied`, :class:`EventList.OpenDetails` …), never by calling the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult, ScreenStackError
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Input, Static, Tabs

from ..gctune import tune_for_streaming
from ..ingest import Ingest, SourceSpec
from ..query import Filter, FilterError, compile_filter
from ..settings.profiles import Profile
from ..storage.store import EventStore
from ..storage.views import PANES, PANES_BY_ID, View
from ..text import visible
from .detail import DetailScreen
from .dialogs import ExportRequest, QuickFilterScreen
from .event_list import EventList
from .filter_bar import FilterBar
from .pane_tabs import PaneTabs
from .rows import header, resolve
from .status_bar import StatusBar

if TYPE_CHECKING:
    from .app import MeshtailApp


def title_text(spec: SourceSpec | None, ingest: Ingest | None) -> str:
    """The title line; file names and contexts are not meshtail's text, so they are shown visible-safe."""
    if spec is None:
        return "meshtail"
    if spec.kind == "files":
        return visible(f"meshtail · {', '.join('stdin' if p == '-' else p for p in spec.paths)}")
    if spec.kind == "demo":
        return f"meshtail · demo mesh (seed {spec.demo_seed})"
    context = ingest.context if ingest else ""
    return visible(f"meshtail · {context or spec.context or 'current context'}")


class MainScreen(Screen[None]):
    # `/` and the pane keys are priority bindings: the screen acts on them the moment the app
    # reads them, before it routes the next key.  As ordinary bindings they ran only after the
    # keys behind them (a fast typist, a paste, a slow SSH link) had already been sent to the
    # list: `/tmp/qa` quit the app.  `check_action` leaves them to a focused text field (a `/`
    # or a digit typed into the filter).  Being this screen's, they are off on dialogs and details.
    BINDINGS = [
        # the app's help key, listed here too: a footer shows a screen's keys before the app's,
        # and `?` leads the main screen's footer (on other screens the app's binding serves)
        Binding("question_mark", "app.help", "Help", id="app.help"),
        Binding("slash", "open_filter", "Filter", priority=True, id="filter.open"),
        *[
            Binding(p.key, f"pane('{p.id}')", f"{p.title} pane", show=False, priority=True, id=f"pane.{p.id}")
            for p in PANES
        ],
        Binding("equals_sign", "quick_filter", "Quick filter from the event", show=False, id="filter.quick"),
    ]
    # actions on the list or the filter bar: not while a text field has the keys
    LIST_ACTIONS = frozenset({"pane", "open_filter", "quick_filter"})

    def __init__(
        self,
        store: EventStore,
        *,
        spec: SourceSpec | None = None,
        ingest: Ingest | None = None,
        profile: Profile | None = None,
        tick: float = 0.1,
    ) -> None:
        super().__init__()
        self.store = store
        self.spec = spec
        self.ingest = ingest
        self.profile = profile  # applied when the screen is mounted
        self._title = ""  # the title line as last shown
        self.marked: set[int] = set()
        self.views = {p.id: View(self.store, p) for p in PANES}
        self.current = "all"
        # one filter for every pane (as in lnav and k9s): each pane shows its own kind of
        # event *and* this filter, so the tab counts agree with what `/` says
        self.filter_query: Filter = compile_filter("")
        self._filter_before = ""  # the filter when `/` was pressed: Esc puts it back
        self.visible_panes = [p.id for p in PANES]
        self.columns = {p.id: resolve(p.columns, p.id) for p in PANES}
        self._tick_interval = tick
        self._ticks = 0
        self._status_tick = 0
        self._status_due = False
        # the widgets it composes, made here so that they are at hand without a query
        self.tabs = PaneTabs()
        self.lists = {
            p.id: EventList(self.views[p.id], self.columns[p.id], self.marked, id=f"list-{p.id}") for p in PANES
        }
        self.filter_bar = FilterBar()
        self.status_bar = StatusBar()

    @property
    def redact(self) -> bool:
        """The app's redaction setting: the status line shows it, and the details show events as exported."""
        return cast("MeshtailApp", self.app).redact

    # ---- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self._title = title_text(self.spec, self.ingest)
        yield Static(Text(self._title), id="title")
        yield self.tabs
        with ContentSwitcher(initial="pane-all"):
            for p in PANES:
                with Vertical(id=f"pane-{p.id}"):
                    yield Static(Text(""), classes="pane-header", id=f"header-{p.id}")
                    yield self.lists[p.id]
        yield self.filter_bar
        yield self.status_bar
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Pane keys, `/` and `=` act while this screen is in front, and never while a text field has the keys.

        Textual hands an Input the printable keys it consumes before priority bindings, but
        not `/` (its key name, ``slash``, maps to no character there): without this a second
        `/` in ``path:/api/`` would reopen the bar instead of being typed.  Behind a dialog the
        keys are not this screen's anyway, but its footer would still offer them.
        """
        return not (action in self.LIST_ACTIONS and (not self.is_active or isinstance(self.focused, Input)))

    def on_mount(self) -> None:
        if self.profile is not None:
            self.apply_profile(self.profile, announce=False)
        self.set_interval(self._tick_interval, self.tick)
        tune_for_streaming()  # the screen is composed: its objects are long-lived (see gctune)
        self._focus(self.list())
        self.update_headers()

    def list(self, pane: str | None = None) -> EventList:
        """The list of ``pane`` (the one in front by default)."""
        return self.lists[pane or self.current]

    def update_headers(self) -> None:
        for p in PANES:
            width = self.lists[p.id].scrollable_content_region.width or self.size.width
            self.query_one(f"#header-{p.id}", Static).update(header(self.columns[p.id], width))

    def update_tabs(self) -> None:
        self.tabs.show_counts(self.views, self.visible_panes, self.size.width)

    def on_resize(self) -> None:
        self.call_after_refresh(self.update_headers)
        self.call_after_refresh(self.update_tabs)

    # ---- the clock -----------------------------------------------------------------------
    def tick(self) -> None:
        """Pull new events into the views (the current one first and with the bigger budget)."""
        try:
            self._tick()
        except (NoMatches, ScreenStackError):  # the app is shutting down: its widgets or screens are gone
            return

    def _tick(self) -> None:
        self._ticks += 1
        with self.app.batch_update():
            changed = False
            for pane_id in [self.current, *[p for p in self.views if p != self.current]]:
                view = self.views[pane_id]
                budget = 0.04 if pane_id == self.current else 0.005
                added = view.catch_up(budget)
                if added or pane_id == self.current:
                    self.lists[pane_id].grew(added)
                changed = changed or (pane_id == self.current and added > 0)
            # tabs twice a second, the status at most three times: each update of their text
            # makes Textual lay out the screen again (~30 ms), which delayed keys under load
            if self._ticks % 5 == 1:
                self.update_tabs()
            self._status_due = self._status_due or changed
            if self._ticks % 5 == 1 or (self._status_due and self._ticks - self._status_tick >= 3):
                self._status_tick, self._status_due = self._ticks, False
                self.update_status()

    def refresh_lists(self) -> None:
        """Redraw every pane's rows (the redaction setting changed what a cell may show)."""
        for event_list in self.lists.values():
            event_list.refresh()

    def update_status(self) -> None:
        event_list = self.list()
        self.status_bar.show(
            filter_text=self.filter_text,
            following=event_list.following,
            new_since_pause=event_list.new_since_pause,
            marked=len(self.marked),
            redact=self.redact,
            store=self.store,
            ingest=self.ingest,
            files=self.spec is not None and self.spec.kind == "files",
        )
        title = title_text(self.spec, self.ingest)
        if title != self._title:
            # the context is known once the source has connected (it said "current context" for the whole run)
            self._title = title
            self.query_one("#title", Static).update(Text(title))

    @on(EventList.Changed)
    def _list_changed(self) -> None:
        self.update_status()

    # ---- panes ---------------------------------------------------------------------------
    def action_pane(self, pane: str) -> None:
        if pane not in self.visible_panes:
            return
        self.tabs.active = f"tab-{pane}"
        self._show_pane(pane)  # now, not when Tabs' message arrives: a `/` right behind must find this pane

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        self._show_pane(event.tab.id.removeprefix("tab-"))

    def _show_pane(self, pane: str) -> None:
        """Bring ``pane`` to the front and give its list the keys, unless the filter is being edited."""
        switcher = self.query_one(ContentSwitcher)
        if pane != self.current or switcher.current != f"pane-{pane}":
            self.current = pane
            switcher.current = f"pane-{pane}"
        if not self._editing_filter():
            self._focus(self.list())
        self.update_status()

    def _focus(self, widget: Widget) -> None:
        """Focus at once (``Widget.focus`` waits for the next refresh: keys typed meanwhile went elsewhere)."""
        self.set_focus(widget)

    # ---- filter: one for every pane --------------------------------------------------------
    @property
    def filter_text(self) -> str:
        """The filter every pane applies on top of its own kind of event ("" for none)."""
        return self.filter_query.text

    def _editing_filter(self) -> bool:
        return self.focused is self.filter_bar.input

    def action_open_filter(self) -> None:
        if not self.filter_bar.is_open:
            self._filter_before = self.filter_text
        self.filter_bar.open()
        self.filter_bar.show(self.filter_text)
        self._focus(self.filter_bar.input)

    def close_filter(self) -> None:
        """Hide the bar and give the keys back to the list, keeping the filter as it is."""
        self.filter_bar.close()
        self._focus(self.list())

    @on(FilterBar.Changed)
    def _filter_changed(self, message: FilterBar.Changed) -> None:
        self.set_filter(message.text)

    @on(FilterBar.Applied)
    def _filter_applied(self, message: FilterBar.Applied) -> None:
        if self.set_filter(message.text):
            self.filter_bar.remember(message.text)
            self._filter_before = message.text
            self.close_filter()

    @on(FilterBar.Cancelled)
    def _filter_cancelled(self) -> None:
        """Esc in the bar: drop the edit and put back the filter from before `/`.

        Typing applies the filter live; without this a half-typed ``status:403 (cat:auth``
        stayed active as ``status:403`` after Esc.
        """
        self.set_filter(self._filter_before)
        self.filter_bar.show(self.filter_text)
        self.close_filter()

    def set_filter(self, text: str) -> bool:
        """Apply ``text`` to every pane; a bad filter is shown in place and changes nothing.

        The pane in front is re-filtered at once, the others over the next ticks (their tabs
        show ``…`` until they have caught up).
        """
        try:
            query = compile_filter(text)
        except FilterError as exc:
            self.filter_bar.show_error(exc)
            return False
        self.filter_bar.clear_error()
        if self.filter_query.text != text:
            self.filter_query = query
            for pane_id, view in self.views.items():
                view.set_query(query)
                self.lists[pane_id].reset()
            self.list().grew(self.views[self.current].catch_up(0.03))
            self.update_tabs()
        self.update_status()
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
                self.filter_bar.remember(combined)

        self.app.push_screen(QuickFilterScreen(event), chosen)

    # ---- details and export ----------------------------------------------------------------
    @on(EventList.OpenDetails)
    def _details(self, message: EventList.OpenDetails) -> None:
        event = self.store.get(message.index)
        if event is not None:
            self.app.push_screen(DetailScreen(event, self.store, self.redact))

    def export_request(self) -> ExportRequest:
        """The marks and the pane in front, as store indices (copies: the worker reads the events)."""
        return ExportRequest(self.store, list(self.marked), self.views[self.current].indices[:])

    # ---- profiles ------------------------------------------------------------------------
    def current_profile(self, name: str) -> Profile:
        """This view (filter, panes, columns) and the sources, as a profile named ``name``."""
        spec = self.spec
        selection = spec.selection if spec is not None else None
        return Profile(
            name,
            filter=self.filter_text,
            # the pane in front first: a profile opens on its first pane (found by an outside audit: saved on Auth,
            # the profile opened on All)
            panes=[self.current, *(p for p in self.visible_panes if p != self.current)],
            columns={
                p: [c.name for c in cols]
                for p, cols in self.columns.items()
                if [c.name for c in cols] != list(PANES_BY_ID[p].columns)
            },
            context=(spec.context or "") if spec is not None else "",
            namespaces=list(selection.namespaces) if selection is not None else [],
            selector=(selection.selector or "") if selection is not None else "",
        )

    def apply_profile(self, profile: Profile, announce: bool = True) -> None:
        """Show the profile's panes and columns, apply its filter and bring its first pane to the front."""
        self.profile = profile
        self.visible_panes = [p.id for p in PANES if p.id in profile.panes] or ["all"]
        for p in PANES:
            if p.id in self.visible_panes:
                self.tabs.show(f"tab-{p.id}")
            else:
                self.tabs.hide(f"tab-{p.id}")
            columns = profile.columns.get(p.id)
            self.columns[p.id] = resolve(columns, p.id) if columns else resolve(p.columns, p.id)
            self.lists[p.id].set_columns(self.columns[p.id])
        # a profile holds one filter, and so does the view: every pane applies it
        self.set_filter(profile.filter)
        self._filter_before = profile.filter
        self.filter_bar.show(self.filter_text)
        self.update_headers()
        first = profile.panes[0] if profile.panes and profile.panes[0] in self.visible_panes else self.visible_panes[0]
        self.action_pane(first)
        if announce:
            self.notify(f"Profile {profile.name}: {profile.filter or 'no filter'}", markup=False)
