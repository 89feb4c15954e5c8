"""Deterministic generator of Istio access-log lines (default TEXT format, Istio 1.9+).

A realistic mix: mostly 2xx, some 3xx/4xx/5xx, RBAC denials, NR, UF/URX, UH, TCP lines.
Usage: python benchmarks/gen_access_log.py N > access.log   (N lines; seed fixed)
"""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Iterator

SERVICES = ["productpage", "reviews", "ratings", "details", "cart", "checkout", "payments", "search"]
NAMESPACES = ["shop", "bookinfo", "payments", "default"]
PATHS = [
    "/",
    "/productpage",
    "/api/v1/products",
    "/api/v1/products/{n}",
    "/reviews/{n}",
    "/ratings/{n}",
    "/cart/items",
    "/checkout",
    "/admin",
    "/healthz",
    "/static/app.{n}.js",
]
AGENTS = [
    "curl/8.5.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "fortio.org/fortio-1.69.5",
]


def lines(count: int, seed: int = 42) -> Iterator[str]:
    rng = random.Random(seed)
    for i in range(count):
        ms = i * 7
        hours, minutes, seconds = (ms // 3_600_000) % 24, (ms // 60_000) % 60, (ms // 1000) % 60
        stamp = f"2026-03-01T{hours:02d}:{minutes:02d}:{seconds:02d}.{ms % 1000:03d}Z"
        svc = rng.choice(SERVICES)
        ns = rng.choice(NAMESPACES)
        ip = f"10.244.{rng.randrange(4)}.{rng.randrange(2, 250)}"
        upstream_ip = f"10.244.{rng.randrange(4)}.{rng.randrange(2, 250)}"
        rid = str(uuid.UUID(int=rng.getrandbits(128)))
        cluster = f"outbound|9080||{svc}.{ns}.svc.cluster.local"
        roll = rng.random()
        if roll < 0.03:
            yield (
                f'[{stamp}] "- - -" 0 UF,URX - - "-" 0 0 {rng.randrange(1, 10000)} - "-" "-" "-" "-" '
                f'"{upstream_ip}:5432" outbound|5432||postgres.{ns}.svc.cluster.local - '
                f"{upstream_ip}:5432 {ip}:{rng.randrange(30000, 60000)} - -"
            )
            continue
        method = rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD"])
        path = rng.choice(PATHS).replace("{n}", str(rng.randrange(1000)))
        agent = rng.choice(AGENTS)
        dur = int(rng.expovariate(1 / 40))
        if roll < 0.05:
            details, flags, code, up, upstream = (
                f"rbac_access_denied_matched_policy[ns[{ns}]-policy[deny-admin]-rule[0]]",
                "-",
                403,
                "-",
                "inbound|9080||",
            )
        elif roll < 0.06:
            details, flags, code, up, upstream = (
                "rbac_access_denied_matched_policy[none]",
                "-",
                403,
                "-",
                "inbound|9080||",
            )
        elif roll < 0.08:
            details, flags, code, up, upstream = "route_not_found", "NR", 404, "-", "-"
        elif roll < 0.10:
            details, flags, code, up, upstream = (
                "upstream_reset_before_response_started{connection_failure}",
                "UF,URX",
                503,
                f"{upstream_ip}:9080",
                cluster,
            )
        elif roll < 0.11:
            details, flags, code, up, upstream = "no_healthy_upstream", "UH", 503, "-", cluster
        else:
            code = rng.choices([200, 201, 204, 301, 304, 400, 401, 404, 500, 502], [70, 5, 3, 2, 4, 3, 2, 6, 3, 2])[0]
            details, flags, up, upstream = "via_upstream", "-", f"{upstream_ip}:9080", cluster
        sent = 0 if code in (204, 304) else rng.randrange(19, 20000)
        svc_time = "-" if up == "-" else str(max(0, dur - 1))
        yield (
            f'[{stamp}] "{method} {path} HTTP/1.1" {code} {flags} {details} - "-" '
            f"{rng.randrange(0, 2000)} {sent} {dur} "
            f'{svc_time} "-" "{agent}" "{rid}" "{svc}.{ns}:9080" "{up}" {upstream} '
            f"{ip}:{rng.randrange(30000, 60000)} "
            f"{upstream_ip}:9080 {ip}:{rng.randrange(30000, 60000)} "
            f"outbound_.9080_._.{svc}.{ns}.svc.cluster.local default"
        )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = sys.stdout
    for line in lines(count):
        out.write(line)
        out.write("\n")
