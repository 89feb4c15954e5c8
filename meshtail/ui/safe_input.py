"""A text field that never hands the terminal a raw control or format character.

Textual's ``Input`` draws its value as it is: a profile's filter, a pasted text or a default path made from a
directory name (all of them someone else's text) reached the terminal with their ESC, C1 and bidi characters
raw -- a cleared screen, a changed window title (an outside audit of hostile input).  Here every value is kept as
:func:`~meshtail.text.visible` makes it: what the field holds is what it shows, and what the events hold (their
text was made visible at ingest, so a filter for ``\\x1b`` finds an ESC in a path).
"""

from __future__ import annotations

from textual.widgets import Input

from ..text import visible


class SafeInput(Input):
    """An ``Input`` whose value holds visible escapes instead of control and format characters."""

    def validate_value(self, value: str) -> str:
        return visible(value)

    def replace(self, text: str, start: int, end: int) -> None:
        # (typing, pasting and inserting all come here: escaped before the cursor is placed after the text)
        super().replace(visible(text), start, end)
