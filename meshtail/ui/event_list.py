"""A live, virtual list of one pane's events (Line API: only visible rows are rendered).

Follow mode keeps the cursor on the newest event; moving up, scrolling up or ``p`` pauses
the view (ingestion goes on) and counts what arrived meanwhile; ``f`` or End resumes.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..storage.views import View
from .rows import Column, row


class EventList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    EventList { height: 1fr; background: $surface; }
    EventList > .event-list--cursor { background: $accent 40%; }
    EventList:focus > .event-list--cursor { background: $accent 70%; }
    """
    COMPONENT_CLASSES = {"event-list--cursor"}
    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("home,g", "first", "First", show=False, id="list.first"),
        Binding("end,G", "last", "Last + follow", show=False, id="list.last"),
        Binding("enter", "details", "Details", id="list.details"),
        Binding("space", "toggle_mark", "Mark", id="list.mark"),
        Binding("shift+up", "mark_up", "Mark up", show=False, id="list.mark_up"),
        Binding("shift+down", "mark_down", "Mark down", show=False, id="list.mark_down"),
        Binding("ctrl+a", "mark_all", "Mark all in view", show=False, id="list.mark_all"),
        Binding("u", "unmark_all", "Unmark all", show=False, id="list.unmark_all"),
        Binding("f", "follow", "Follow", show=False, id="list.follow"),
        Binding("p", "pause", "Pause", show=False, id="list.pause"),
    ]

    class OpenDetails(Message):
        """The user wants the highlighted event's details."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Changed(Message):
        """Cursor, follow state or marks changed (the status bar shows them)."""

    def __init__(self, view: View, columns: list[Column], marked: set[int], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view
        self.columns = columns
        self.marked = marked
        self.cursor = -1
        self.following = True
        self.new_since_pause = 0
        self._seen_dropped = view.dropped  # the view's front evictions the cursor has been moved for
        self._cache: LRUCache[tuple[int, int, bool, bool, bool], Strip] = LRUCache(2000)

    # ---- data ----------------------------------------------------------------------------
    def reset(self) -> None:
        """The view was re-filtered: start over at the end."""
        self._cache.clear()
        self.cursor = -1
        self.new_since_pause = 0
        self.following = True
        self._seen_dropped = self.view.dropped
        self.update_size()

    def set_columns(self, columns: list[Column]) -> None:
        self.columns = columns
        self._cache.clear()
        self.refresh()

    def update_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.view))

    def grew(self, added: int) -> None:
        """New matches were appended to the view (and the oldest may have been evicted from its front)."""
        shift = self.view.dropped - self._seen_dropped
        self._seen_dropped = self.view.dropped
        if not added and not shift and len(self.view) == self.virtual_size.height:
            return
        if shift:
            self._cache.clear()
        if self.following:
            self.update_size()
            self.cursor = len(self.view) - 1
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            # paused: the rows on screen and the cursor stay on the same events while the oldest are evicted
            # beneath them (found by an outside audit: once the store was full the paused view slid, and Enter
            # opened whatever event had moved under the cursor)
            top = self.scroll_offset.y
            self.update_size()
            if shift:
                self.cursor = max(0, self.cursor - shift) if self.cursor >= 0 else self.cursor
                self.scroll_to(y=max(0, top - shift), animate=False, immediate=True)
            self.new_since_pause = min(self.new_since_pause + added, max(0, len(self.view) - 1 - self.cursor))
            if shift:
                self.post_message(self.Changed())
        self.refresh()

    def current_index(self) -> int | None:
        if 0 <= self.cursor < len(self.view):
            return self.view.indices[self.cursor]
        return None

    # ---- rendering -----------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        position = scroll_y + y
        width = self.scrollable_content_region.width
        if position >= len(self.view) or width <= 0:
            return Strip.blank(width, self.rich_style)
        index = self.view.indices[position]
        event = self.view.store.get(index)
        if event is None:
            return Strip.blank(width, self.rich_style)
        is_cursor = position == self.cursor
        is_marked = index in self.marked
        redact = bool(getattr(self.app, "redact", True))
        key = (index, width, is_cursor, is_marked, redact)
        strip = self._cache.get(key)
        if strip is None:
            text = row(event, self.columns, width, is_marked, redact)
            if is_cursor:
                text.stylize(self.get_component_rich_style("event-list--cursor"))
            segments = list(text.render(self.app.console))
            strip = Strip(segments).adjust_cell_length(width, self.rich_style)
            self._cache[key] = strip
        return strip

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.update_size()

    # ---- cursor --------------------------------------------------------------------------
    def _move(self, position: int, pause: bool = True) -> None:
        if not len(self.view):
            return
        position = max(0, min(len(self.view) - 1, position))
        if pause and position < len(self.view) - 1:
            self.pause()
        self.cursor = position
        height = self.scrollable_content_region.height
        if position < self.scroll_offset.y:
            self.scroll_to(y=position, animate=False, immediate=True)
        elif position >= self.scroll_offset.y + height:
            self.scroll_to(y=position - height + 1, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Changed())

    def pause(self) -> None:
        if self.following:
            self.following = False
            self.new_since_pause = 0
            self.post_message(self.Changed())

    def action_cursor_up(self) -> None:
        self._move((self.cursor if self.cursor >= 0 else len(self.view)) - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1, pause=False)

    def action_page_up(self) -> None:
        self._move(self.cursor - max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self._move(self.cursor + max(1, self.scrollable_content_region.height - 1), pause=False)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self.action_follow()

    def action_follow(self) -> None:
        self.following = True
        self.new_since_pause = 0
        if len(self.view):
            self.cursor = len(self.view) - 1
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()
        self.post_message(self.Changed())

    def action_pause(self) -> None:
        self.pause()

    def action_details(self) -> None:
        index = self.current_index()
        if index is not None:
            self.post_message(self.OpenDetails(index))

    def _mark(self, position: int, on: bool | None = None) -> None:
        if 0 <= position < len(self.view):
            index = self.view.indices[position]
            if on is None:
                on = index not in self.marked
            if on:
                self.marked.add(index)
            else:
                self.marked.discard(index)

    def action_toggle_mark(self) -> None:
        if self.cursor < 0 and len(self.view):
            self.cursor = len(self.view) - 1
        self._mark(self.cursor)
        self._cache.clear()
        self._move(self.cursor + 1, pause=True) if self.cursor + 1 < len(self.view) else self.refresh()
        self.post_message(self.Changed())

    def action_mark_up(self) -> None:
        self._mark(self.cursor, True)
        self._move(self.cursor - 1)
        self._mark(self.cursor, True)
        self._cache.clear()
        self.refresh()

    def action_mark_down(self) -> None:
        self._mark(self.cursor, True)
        self._move(self.cursor + 1)
        self._mark(self.cursor, True)
        self._cache.clear()
        self.refresh()

    def action_mark_all(self) -> None:
        self.marked.update(self.view.indices)
        self._cache.clear()
        self.refresh()
        self.post_message(self.Changed())

    def action_unmark_all(self) -> None:
        self.marked.clear()
        self._cache.clear()
        self.refresh()
        self.post_message(self.Changed())

    # ---- mouse ---------------------------------------------------------------------------
    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.pause()

    def on_click(self, event: events.Click) -> None:
        position = self.scroll_offset.y + event.y
        if 0 <= position < len(self.view):
            self._move(position, pause=position < len(self.view) - 1)
            if event.chain >= 2:
                self.action_details()
