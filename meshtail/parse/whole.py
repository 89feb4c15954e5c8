"""Whether a template's fixed pieces explain a whole message: shared by the Istio and Envoy template readers.

A short message pasted alone is one program's when a template of its prints all of it -- but only when each
value between the fixed pieces is one word: a value of several words means another message that happens to
share the fixed text ("Epoch 0 starting" is the agent's, "Epoch 3 of 10 starting" is not).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_BLANK = re.compile(r"\s")


def one_word_values(text: str, prefix: str, pieces: Sequence[str], open_end: bool) -> bool:
    """``text`` is ``prefix``, then each of ``pieces`` in order with one word (no blank) before each, then --
    when ``open_end`` (the template ends in a value) -- one more word, and nothing else."""
    if not text.startswith(prefix):
        return False
    position = len(prefix)
    for piece in pieces:
        at = text.find(piece, position)
        if at <= position or _BLANK.search(text, position, at) is not None:
            return False
        position = at + len(piece)
    rest = text[position:]
    return bool(rest) == open_end and _BLANK.search(rest) is None
