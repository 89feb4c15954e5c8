"""Log lines in the exact shapes the real components print (see tests/data/SOURCES.md).

Envoy access lines use Istio's default TEXT format (1.9+); istiod, istio-agent and
ztunnel lines copy the message shapes of real lines in tests/data, with new values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def _ms(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def go_time(now: datetime) -> str:
    """istiod/istio-agent/ztunnel's timestamp: microseconds, Z."""
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Hop:
    """One request as one proxy logs it."""

    method: str
    path: str
    code: int
    flags: str = "-"
    details: str = "via_upstream"
    bytes_in: int = 0
    bytes_out: int = 0
    duration: int = 1
    upstream_time: str = "-"
    xff: str = "-"
    user_agent: str = "-"
    request_id: str = "-"
    authority: str = "-"
    upstream_host: str = "-"
    cluster: str = "-"
    upstream_local: str = "-"
    downstream_local: str = "-"
    downstream_remote: str = "-"
    sni: str = "-"
    route: str = "-"
    protocol: str = "HTTP/1.1"


def envoy_access(hop: Hop, now: datetime) -> str:
    """Istio's default access-log TEXT line (format of 1.9 and later)."""
    return (
        f'[{_ms(now)}] "{hop.method} {hop.path} {hop.protocol}" {hop.code} {hop.flags} {hop.details} - "-" '
        f"{hop.bytes_in} {hop.bytes_out} {hop.duration} {hop.upstream_time} "
        f'"{hop.xff}" "{hop.user_agent}" "{hop.request_id}" "{hop.authority}" "{hop.upstream_host}" '
        f"{hop.cluster} {hop.upstream_local} {hop.downstream_local} {hop.downstream_remote} {hop.sni} {hop.route}"
    )


def istiod(now: datetime, level: str, scope: str, message: str) -> str:
    return f"{go_time(now)}\t{level}\t{scope}\t{message}"


def agent(now: datetime, level: str, scope: str | None, message: str) -> str:
    return f"{go_time(now)}\t{level}\t{scope}\t{message}" if scope else f"{go_time(now)}\t{level}\t{message}"


def ztunnel_access(now: datetime, level: str, fields: dict[str, str | int]) -> str:
    parts = []
    for key, value in fields.items():
        parts.append(f"{key}={value}" if isinstance(value, int) else f'{key}="{value}"')
    # addresses are unquoted in ztunnel's output
    text = " ".join(parts)
    for key in ("src.addr", "dst.addr", "dst.hbone_addr"):
        if key in fields:
            text = text.replace(f'{key}="{fields[key]}"', f"{key}={fields[key]}")
    return f"{go_time(now)}\t{level}\taccess\tconnection complete\t{text}"
