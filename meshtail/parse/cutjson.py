"""A JSON record whose end a paste, a terminal or a page cut off, closed so the JSON families can read what is left.

``{"level":"info","time":"…","scope":"ads","msg":"Push debounce stable[3] 1 for con`` is istiod's record all the
same: its level, time, scope and the start of its message are there.  :func:`close_cut_object` ends the string the
cut fell in, or drops the member it fell in, and closes the brackets still open; the event made from the result is
flagged partial by the caller.  Only a text that opens an object and is no JSON as it stands is tried, once per line,
in linear time.
"""

from __future__ import annotations

import json
import re
from typing import Any

_LIMIT = 65536  # longer lines are someone's dump, not a record a selection cut
_TRAILING_MARKS = ("…", "...", " [truncated]", "[truncated]")
_CUT_LITERAL = re.compile(r":\s*(n(?:u(?:l)?)?|t(?:r(?:u)?)?|f(?:a(?:l(?:s)?)?)?)\Z")
_LITERALS = {"n": "null", "t": "true", "f": "false"}


def close_cut_object(text: str) -> dict[str, Any] | None:
    """The object ``text`` starts, closed where it was cut, or None when it cannot be made one."""
    text = text.rstrip()
    for mark in _TRAILING_MARKS:
        if text.endswith(mark):
            text = text[: -len(mark)]
            break
    if not text.startswith('{"') or len(text) > _LIMIT:
        return None
    closers: list[str] = []
    commas: list[tuple[int, str]] = []  # where a member ends, and what closes the brackets open there
    in_string = escaped = False
    for at, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            closers.append("}" if char == "{" else "]")
        elif char in "}]":
            if not closers or closers.pop() != char:
                return None  # not a cut object: brackets that do not pair
        elif char == ",":
            commas.append((at, "".join(reversed(closers))))
    if not closers:
        return None  # closed (a whole object, which json rejected for another reason)
    closing = "".join(reversed(closers))
    if in_string:  # end the string the cut fell in (an escape cut in half is dropped)
        candidates = [(text[:-1] if escaped else text) + '"' + closing]
    else:
        literal = _CUT_LITERAL.search(text, max(0, len(text) - 8))
        if literal is not None:  # a null, true or false cut inside ("…_details":nul): the value it was
            text = text[: literal.start(1)] + _LITERALS[literal.group(1)[0]]
        candidates = [text.rstrip(" ,:") + closing]
    candidates.extend(text[:at] + closing for at, closing in reversed(commas[-3:]))
    for candidate in candidates:
        try:
            found = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(found, dict) and len(found) >= 2:
            return found
    return None
