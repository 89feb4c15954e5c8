"""``key=value`` and ``key="quoted value"`` fields, as istiod, istio-agent and ztunnel print them."""

from __future__ import annotations

import re

# A key starts the text or follows whitespace, and its characters are taken possessively: without
# both, a megabyte run of word characters costs a quadratic backtrack (found by scripts/fuzz.py).
_KV = re.compile(r'(?<!\S)([A-Za-z_][\w.-]*+)=("(?:[^"\\]|\\.)*+"|\S*)')


def parse_key_values(text: str) -> dict[str, str]:
    """``a=1 b="x \\"y\\""`` -> ``{"a": "1", "b": 'x "y"'}``; quotes removed, escapes undone."""
    out: dict[str, str] = {}
    for key, value in _KV.findall(text):
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[key] = value
    return out
