"""Reading a line cut at its end: what istio_go, istio_cni, ztunnel and envoy_component share.

A paste, a log UI or a terminal often cuts a line at its width, and the cut message then matches no template whole.
Each family asks which of its templates the cut message could be the start of; these helpers say where a cut shows
itself (an author's "…", a word broken off) and keep the templates that explain the most of the message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def without_ellipsis(text: str) -> str:
    """The text without the "…" or "..." an author or a log UI put where they cut it (and the blanks around)."""
    text = text.rstrip()
    if text.endswith("…"):
        return text[:-1].rstrip()
    if text.endswith(".."):
        return text.rstrip(".").rstrip()
    return text


def cut_end(text: str) -> tuple[str, bool]:
    """:func:`without_ellipsis`, and whether there was one to take off: a cut the line says it has (``marked``)."""
    bare = without_ellipsis(text)
    return bare, len(bare) < len(text.rstrip())


def mid_word(fixed: str, at: int) -> bool:
    """Whether a line cut ``at`` this many characters of ``fixed`` text stops inside one of its words (the cut shows
    itself); one that stops where a word ends may be a whole message that happens to start the same way."""
    return 0 < at < len(fixed) and fixed[at - 1].isalnum() and fixed[at].isalnum()


def piece_start(text: str, position: int, piece: str, least: int) -> int:
    """How many characters of ``piece`` (at least ``least``, fewer than all) the text ends with after ``position``:
    a line cut inside a template's fixed text after a value; 0 when it does not end so."""
    for size in range(min(len(piece) - 1, len(text) - position), least - 1, -1):
        if text.endswith(piece[:size]):
            return size
    return 0


def most_shown(candidates: Iterable[T], shown: Callable[[T], int], least: int) -> tuple[list[T], int]:
    """The candidates whose template shows the most of a cut message (at least ``least`` characters), and how much:
    ``shown`` gives a candidate's share, -1 for one the message cannot be the start of."""
    best: list[T] = []
    most = least - 1
    for candidate in candidates:
        share = shown(candidate)
        if share > most:
            best, most = [candidate], share
        elif share == most and best:
            best.append(candidate)
    return best, most
