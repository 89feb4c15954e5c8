"""The filter bar under the panes: an input with history and a line for errors.

It knows nothing of the app: it posts :class:`FilterBar.Changed` while the user types,
:class:`FilterBar.Applied` on Enter and :class:`FilterBar.Cancelled` on Esc, and the screen
holding it decides what a filter does (see :class:`~meshtail.ui.main_screen.MainScreen`).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from ..query import FilterError
from .safe_input import SafeInput

PLACEHOLDER = "filter every pane: cat:auth outcome:deny -ns:kube-system  (Enter applies, Esc cancels)"


class FilterInput(SafeInput):
    """The text field: live as you type, history with up/down, Enter applies."""

    BINDINGS = [
        Binding("up", "history(-1)", "Older filter", show=False, id="filter.older"),
        Binding("down", "history(1)", "Newer filter", show=False, id="filter.newer"),
        Binding("enter", "submit", "Apply", id="filter.apply"),
    ]

    def __init__(self) -> None:
        super().__init__(placeholder=PLACEHOLDER, id="filter")
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


class FilterBar(Vertical):
    """The input and its error line; hidden until opened, and it says what happened with messages."""

    # Esc is the bar's (its input's keys come first in the binding chain: Enter, then Esc in the footer)
    BINDINGS = [Binding("escape", "cancel", "Cancel edit", id="filter.close")]

    class Changed(Message):
        """The text changed as the user typed (the filter applies live)."""

        def __init__(self, bar: FilterBar, text: str) -> None:
            super().__init__()
            self.bar = bar
            self.text = text

        @property
        def control(self) -> FilterBar:
            return self.bar

    class Applied(Message):
        """Enter: the user wants ``text`` as the filter (the screen may refuse a bad one)."""

        def __init__(self, bar: FilterBar, text: str) -> None:
            super().__init__()
            self.bar = bar
            self.text = text

        @property
        def control(self) -> FilterBar:
            return self.bar

    class Cancelled(Message):
        """Esc: drop the edit (the screen puts back the filter from before it was opened)."""

        def __init__(self, bar: FilterBar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> FilterBar:
            return self.bar

    def __init__(self) -> None:
        super().__init__(id="filter-bar")
        self.input = FilterInput()

    def compose(self) -> ComposeResult:
        yield self.input
        yield Static(Text(""), id="filter-error")

    @property
    def is_open(self) -> bool:
        return self.has_class("visible")

    def open(self) -> None:
        self.add_class("visible")

    def close(self) -> None:
        self.remove_class("visible")

    def show(self, text: str) -> None:
        """Put ``text`` in the field without it counting as typed (no :class:`Changed`)."""
        box = self.input
        if box.value != text:
            with box.prevent(Input.Changed):
                box.value = text
                box.cursor_position = len(text)

    def remember(self, text: str) -> None:
        """Add ``text`` to the history (up/down)."""
        self.input.remember(text)

    def show_error(self, error: FilterError) -> None:
        """A bad filter: the message and a caret under the place, the field framed in red."""
        self.input.add_class("error")
        self.query_one("#filter-error", Static).update(Text(f"{error}\n{error.pointer()}"))

    def clear_error(self) -> None:
        self.input.remove_class("error")
        self.query_one("#filter-error", Static).update(Text(""))

    @on(Input.Changed, "#filter")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self, event.value))

    @on(Input.Submitted, "#filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Applied(self, event.value))

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled(self))
