"""Making attacker-controlled log text safe to show, once, at ingest.

Log lines carry paths, user agents and headers chosen by whoever sent the request.
Everything that meshtail derives from a line for display (summaries, attribute
values) passes through :func:`visible` when the event is built, so that no later
stage (terminal, TUI, text output) ever receives a raw control sequence.  The
``raw`` field keeps the exact line; its JSON form escapes control characters.
"""

from __future__ import annotations

import re

# C0 controls except TAB, DEL, C1 controls, and the Unicode bidi embedding,
# override and isolate characters that can reorder what a reader sees.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def _plain_ascii(text: str) -> bool:
    """True for printable ASCII (most log lines): two C passes, no regex, no Unicode lookups."""
    return text.isascii() and not text.encode("ascii").translate(None, _PRINTABLE_ASCII)


def has_unsafe(text: str) -> bool:
    """True when *text* holds a character that :func:`visible` would escape."""
    if _plain_ascii(text):
        return False
    return _UNSAFE.search(text) is not None


def visible(text: str) -> str:
    """Return *text* with every control or bidi character replaced by a visible escape.

    ``"\\x1b[31m"`` becomes the eight printable characters ``\\x1b[31m``; ordinary
    text is returned unchanged (the common case costs one regex scan).
    """
    if _plain_ascii(text) or _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def clip(text: str, limit: int = 200) -> str:
    """Shorten *text* for one-line summaries, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
