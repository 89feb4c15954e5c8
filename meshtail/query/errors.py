"""The one error type of the filter language."""

from __future__ import annotations

from ..text import cells, visible


class FilterError(ValueError):
    """A filter the user typed cannot be read; ``position`` is a 0-based index into it."""

    def __init__(self, message: str, position: int, query: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.query = query

    def pointer(self) -> str:
        """The query with a caret under the offending character, for terminals.

        The query may come from a profile file or a paste: it is shown visible-safe, and the caret
        is placed by terminal cells (a wide character before it takes two).
        """
        shown = visible(self.query)
        before = cells(visible(self.query[: self.position]))
        return f"{shown}\n{' ' * before}^"

    def __str__(self) -> str:
        return f"{visible(self.message)} (at column {self.position + 1})"
