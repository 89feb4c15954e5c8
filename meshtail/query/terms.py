"""Filter terms built from values that came from a log (quick filters): exact, quoted, escaped.

A request id of ``/./`` or ``*`` must select that request, not every event; a value with a
quote, a backslash or a parenthesis must not end the term early.  ``field:="…"`` is the
language's exact match: no wildcard, no regex, no case folding.
"""

from __future__ import annotations


def quote(value: str) -> str:
    """``value`` as a quoted phrase of the filter language (``\\`` and ``"`` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def exact_term(field: str, value: object, negate: bool = False) -> str:
    """A term matching events whose ``field`` is exactly ``value`` (``-`` in front to exclude them)."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"{'-' if negate else ''}{field}:={quote(text)}"
