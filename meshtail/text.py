"""Making attacker-controlled log text safe to show, once, at ingest.

Log lines carry paths, user agents and headers chosen by whoever sent the request.
Everything that meshtail derives from a line for display (summaries, attribute
values) passes through :func:`visible` when the event is built, so that no later
stage (terminal, TUI, text output) ever receives a raw control sequence.  The
``raw`` field keeps the exact line; its JSON form escapes control characters.
"""

from __future__ import annotations

import re
import unicodedata

# Every character that is not shown as itself: the Unicode categories Cc (C0 and C1 controls,
# TAB and DEL among them), Cf (format characters: bidi overrides and isolates, zero-width
# space/joiners, U+061C, U+2060, U+FEFF, soft hyphen, tag characters …), Zl and Zp (line and
# paragraph separators) and Cs (lone surrogates, from decoded JSON).  They reorder what a
# reader sees, hide text, or move a column; a test checks this class against unicodedata.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


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
    """Return *text* with every control, format or separator character replaced by a visible escape.

    ``"\\x1b[31m"`` becomes the eight printable characters ``\\x1b[31m``; a TAB becomes
    ``\\t``, a newline ``\\n``, U+200B ``\\u200b``.  Ordinary text is returned unchanged
    (the common case, printable ASCII, costs two C passes).
    """
    if _plain_ascii(text) or _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes: two for wide (East Asian) characters, none for combining marks.

    For layout outside the UI (carets under a filter, columns on stderr); the UI uses Rich's own.
    """
    if text.isascii():
        return len(text)
    total = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def clip(text: str, limit: int = 200) -> str:
    """Shorten *text* for one-line summaries, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
