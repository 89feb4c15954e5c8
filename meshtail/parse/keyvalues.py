"""``key=value`` and ``key="quoted value"`` fields, as istiod, istio-agent and ztunnel print them."""

from __future__ import annotations

import re

_KV = re.compile(r'([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_key_values(text: str) -> dict[str, str]:
    """``a=1 b="x \\"y\\""`` -> ``{"a": "1", "b": 'x "y"'}``; quotes removed, escapes undone."""
    out: dict[str, str] = {}
    for key, value in _KV.findall(text):
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[key] = value
    return out
