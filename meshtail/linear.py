"""Regular expressions that run in linear time (RE2), for text meshtail does not control.

Python's ``re`` backtracks: a user's ``/(a+)+$/`` took 17 s on 28 characters, and even a
plain alternation of words costs ~100 µs on a log line because every alternative is tried
at every position.  RE2 reads the text once.  Its Python binding wraps each search in a
generator and offset bookkeeping (~1 µs); :meth:`Linear.found` calls the engine directly
when only "is there a match?" is asked, which is what filters and the redaction pre-check ask.
"""

from __future__ import annotations

from typing import Any

import re2


class LinearError(ValueError):
    """A pattern RE2 cannot compile; the message is RE2's own."""


class Linear:
    """One compiled RE2 pattern."""

    __slots__ = ("_anchor", "_engine", "_null", "pattern")

    def __init__(self, pattern: str, case_sensitive: bool = True) -> None:
        options = re2.Options()
        options.log_errors = False  # RE2 would print its own complaint on stderr, over the TUI
        options.case_sensitive = case_sensitive
        try:
            self.pattern: Any = re2.compile(pattern, options)
        except re2.error as exc:
            reason = exc.args[0] if exc.args else exc
            raise LinearError(reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)) from None
        # the engine behind the binding's generator; if a release renames it, the public API still works
        self._engine = getattr(self.pattern, "_regexp", None)
        self._anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
        self._null = getattr(re2, "_NULL_SPAN", (-1, -1))

    def found(self, text: str) -> bool:
        """True if the pattern occurs anywhere in ``text``."""
        data = text.encode("utf-8", "surrogatepass")
        engine = self._engine
        if engine is not None and self._anchor is not None:
            return engine.Match(self._anchor, data, 0, len(data))[0] != self._null  # type: ignore[no-any-return]
        return self.pattern.search(data) is not None  # type: ignore[no-any-return]

    def start(self, data: bytes, pos: int = 0) -> int:
        """Where the first match at or after byte ``pos`` of UTF-8 ``data`` starts, or -1."""
        engine = self._engine
        if engine is not None and self._anchor is not None:
            return engine.Match(self._anchor, data, pos, len(data))[0][0]  # type: ignore[no-any-return]
        match = self.pattern.search(data, pos)
        return -1 if match is None else match.start()  # type: ignore[no-any-return]
