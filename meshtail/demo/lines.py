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


def istio_init(now: datetime, uid: int = 1337) -> list[str]:
    """What ``istio-iptables`` (the istio-init container) prints as it sets up traffic capture, then exits."""
    stamp = go_time(now)
    rules = [
        "* nat",
        "-N ISTIO_INBOUND",
        "-N ISTIO_REDIRECT",
        "-N ISTIO_IN_REDIRECT",
        "-N ISTIO_OUTPUT",
        "-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN",
        "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
        "-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
        "-A PREROUTING -p tcp -j ISTIO_INBOUND",
        "-A ISTIO_INBOUND -p tcp --dport 15090 -j RETURN",
        "-A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN",
        "-A ISTIO_INBOUND -p tcp --dport 15020 -j RETURN",
        "-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT",
        "-A OUTPUT -p tcp -j ISTIO_OUTPUT",
        "-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN",
        "-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner "
        f"--uid-owner {uid} -j ISTIO_IN_REDIRECT",
        f"-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner {uid} -j RETURN",
        f"-A ISTIO_OUTPUT -m owner --uid-owner {uid} -j RETURN",
        "-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner "
        f"--gid-owner {uid} -j ISTIO_IN_REDIRECT",
        f"-A ISTIO_OUTPUT -o lo -m owner ! --gid-owner {uid} -j RETURN",
        f"-A ISTIO_OUTPUT -m owner --gid-owner {uid} -j RETURN",
        "-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN",
        "-A ISTIO_OUTPUT -j ISTIO_REDIRECT",
        "COMMIT",
    ]
    return [
        f"{stamp}\tinfo\tIstio iptables environment:",
        "ENVOY_PORT=",
        "INBOUND_CAPTURE_PORT=",
        "ISTIO_INBOUND_INTERCEPTION_MODE=",
        "ISTIO_INBOUND_PORTS=",
        "ISTIO_OUTBOUND_PORTS=",
        "ISTIO_LOCAL_EXCLUDE_PORTS=",
        "ISTIO_EXCLUDE_INTERFACES=",
        "ISTIO_SERVICE_CIDR=",
        "ISTIO_SERVICE_EXCLUDE_CIDR=",
        "ISTIO_META_DNS_CAPTURE=",
        "INVALID_DROP=",
        f"{stamp}\tinfo\tIstio iptables variables:",
        "IPTABLES_VERSION=",
        "PROXY_PORT=15001",
        "PROXY_INBOUND_CAPTURE_PORT=15006",
        "PROXY_TUNNEL_PORT=15008",
        f"PROXY_UID={uid}",
        f"PROXY_GID={uid}",
        "INBOUND_INTERCEPTION_MODE=REDIRECT",
        "INBOUND_PORTS_INCLUDE=*",
        "INBOUND_PORTS_EXCLUDE=15090,15021,15020",
        "OUTBOUND_IP_RANGES_INCLUDE=*",
        "OUTBOUND_IP_RANGES_EXCLUDE=",
        "KUBE_VIRT_INTERFACES=",
        "ENABLE_INBOUND_IPV6=false",
        "DNS_CAPTURE=false",
        "DRY_RUN=false",
        f"{stamp}\tinfo\tRunning iptables-restore with the following input:",
        *rules,
        f"{stamp}\tinfo\tRunning command (with wait lock): iptables-restore --noflush --wait=30",
    ]
