"""``host:port`` values as OpenTelemetry ``<prefix>.address`` / ``<prefix>.port`` attributes."""

from __future__ import annotations

from typing import Any

# an IPv4 address an author hid before pasting ("x.x.x.x", "xxx.xxx.xxx.xxx", "<IP>", "<redacted>", "***"): a rule
# that tells a line by its address takes these for it (a regex fragment, no groups)
REDACTED_IPV4 = r"(?:[xX]{1,3}(?:\.[xX]{1,3}){3}|<(?:ip|IP|ipv4|IPv4|redacted|REDACTED)>|\*{3,})"


def split_hostport(value: str) -> tuple[str, int | None]:
    """``10.0.0.1:80`` -> ``("10.0.0.1", 80)``; ``[::1]:80`` -> ``("::1", 80)``; no port -> ``(value, None)``."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdecimal() and len(port) <= 5 else None
    host, sep, port = value.rpartition(":")
    # (a port has at most five digits: a longer run is no port, and 4,300 digits crashed int() -- found by a review)
    if sep and port.isdecimal() and len(port) <= 5 and ":" not in host:
        return host, int(port)
    return value, None


def set_hostport(attrs: dict[str, Any], prefix: str, value: str) -> None:
    host, port = split_hostport(value)
    attrs[f"{prefix}.address"] = host
    if port is not None:
        attrs[f"{prefix}.port"] = port
