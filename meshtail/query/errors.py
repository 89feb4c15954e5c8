"""The one error type of the filter language."""

from __future__ import annotations


class FilterError(ValueError):
    """A filter the user typed cannot be read; ``position`` is a 0-based index into it."""

    def __init__(self, message: str, position: int, query: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.query = query

    def pointer(self) -> str:
        """The query with a caret under the offending character, for terminals."""
        return f"{self.query}\n{' ' * self.position}^"

    def __str__(self) -> str:
        return f"{self.message} (at column {self.position + 1})"
