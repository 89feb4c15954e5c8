"""Requests through the demo mesh and the access lines they leave at each proxy and ztunnel.

Each scenario picks its pods the way a Service would (any running endpoint), asks the
AuthorizationPolicies in the store whether the request is allowed (:mod:`.policies`),
and writes what Envoy (``%REQ(...)%`` text access log), the waypoint and ztunnel would log
for it.  :data:`SCENARIOS` says how often each one runs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from . import lines
from .cluster import Cluster
from .lines import Hop, utcnow
from .policies import AP, INGRESS_PRINCIPAL, Decision, Request, evaluate
from .store import NotFound, ObjectStore
from .topology import VS, SimPod

USER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
)

HOST = "bookinfo.example.com"  # what users type; the Gateway and VirtualService name it


class Traffic:
    """The request scenarios; every line goes through :meth:`Cluster.write`."""

    def __init__(self, cluster: Cluster, store: ObjectStore, rng: random.Random) -> None:
        self.cluster = cluster
        self.store = store
        self.rng = rng
        self.ids = cluster.ids
        self.requests = 0

    def scenario(self) -> None:
        """One request scenario, picked by :data:`SCENARIOS`."""
        roll = self.rng.random()
        run = next((run for share, run in SCENARIOS if roll < share), SCENARIOS[-1][1])
        run(self)

    # ---- policy ----------------------------------------------------------------------------
    def authorize(self, namespace: str, labels: dict[str, str], request: Request) -> Decision:
        """The decision of the AuthorizationPolicies currently in the store for a request to ``labels``."""
        policies, _ = self.store.list(AP, namespace, lambda _: True)
        return evaluate(policies, namespace, labels, request)

    # ---- sidecars and the ingress gateway --------------------------------------------------
    def browse(self, path: str = "/productpage") -> None:
        """A page view: gateway → productpage → details and reviews (→ ratings for v2 and v3)."""
        one = self.cluster.one
        gw, pp = one("istio-system", "istio-ingressgateway"), one("bookinfo", "productpage")
        if gw is None or pp is None:
            return
        rid, ua, xff = self.ids.request_id(), self.rng.choice(USER_AGENTS), f"203.0.113.{self.rng.randint(1, 254)}"
        entry = self.authorize("bookinfo", pp.workload.labels(), Request(path, INGRESS_PRINCIPAL, "istio-system"))
        if not entry.allowed:
            self._hop_pair(gw, pp, "GET", path, 403, rid, ua, server_details=entry.details, authority=HOST, xff=xff)
            return
        # a denied call to details, reviews or ratings leaves the page up, without that part (as Bookinfo does)
        details = one("bookinfo", "details")
        if details is not None:
            self._call(pp, details, "/details/0", rid, ua)
        version = self._reviews_version()
        reviews = one("bookinfo", "reviews", version)
        status = 200
        if reviews is not None:
            if version == "v3" and reviews.failing > 0:
                reviews.failing -= 1
                self._hop_pair(
                    pp,
                    reviews,
                    "GET",
                    "/reviews/0",
                    503,
                    rid,
                    ua,
                    flags="UF,URX",
                    client_details="upstream_reset_before_response_started{connection_failure}",
                    subset=version,
                )
            elif self._call(pp, reviews, "/reviews/0", rid, ua, subset=version):
                ratings = one("bookinfo", "ratings")
                if version != "v1" and ratings is not None:
                    self._call(reviews, ratings, "/ratings/0", rid, ua)
        self._hop_pair(gw, pp, "GET", path, status, rid, ua, authority=HOST, xff=xff)
        # the application container logs too (Flask's werkzeug access line): reachable with -c productpage
        stamp = utcnow().strftime("%d/%b/%Y %H:%M:%S")
        self.cluster.write(
            pp.logs.get("productpage"), f'INFO:werkzeug:127.0.0.6 - - [{stamp}] "GET {path} HTTP/1.1" {status} -'
        )

    def admin_probe(self) -> None:
        self.browse(self.rng.choice(("/admin", "/admin/users", "/admin/config?debug=1")))

    def sleep_to_details(self) -> None:
        sleep, details = self.cluster.one("bookinfo", "sleep"), self.cluster.one("bookinfo", "details")
        if sleep is not None and details is not None:
            self._call(sleep, details, "/details/1", self.ids.request_id(), "curl/8.5.0")

    def _call(self, client: SimPod, server: SimPod, path: str, rid: str, ua: str, subset: str = "") -> bool:
        """A GET between two sidecars, decided by the policies over the server; True if it was allowed."""
        sw = server.workload
        request = Request(path, client.workload.principal, client.workload.namespace)
        got = self.authorize(sw.namespace, sw.labels(), request)
        code = 200 if got.allowed else 403
        self._hop_pair(client, server, "GET", path, code, rid, ua, server_details=got.details, subset=subset)
        return got.allowed

    def api_call(self) -> None:
        gw, pp = self.cluster.one("istio-system", "istio-ingressgateway"), self.cluster.one("bookinfo", "productpage")
        if gw is None or pp is None or gw.proxy is None:
            return
        rid, xff = self.ids.request_id(), f"198.51.100.{self.rng.randint(1, 254)}"
        path = f"/api/v1/products/{self.rng.randint(0, 9)}"
        token = self.rng.choice(("valid", "expired", "none"))
        if token != "none" and self.rng.random() < 0.3:
            # browser websocket/SSE clients pass the JWT in the query string: a credential in the access log
            path += f"?access_token={self._jwt()}"
        if token == "expired":
            self._gateway_local(gw, path, 401, "jwt_authn_access_denied{Jwt_is_expired}", rid, xff, 14)
            return
        ok = self.authorize("istio-system", gw.workload.labels(), Request(path, jwt=token == "valid"))
        if not ok.allowed:
            self._gateway_local(gw, path, 403, ok.details, rid, xff, 19)
            return
        self._hop_pair(gw, pp, "GET", path, 200, rid, "python-requests/2.32.3", authority=HOST, xff=xff)

    def no_route(self) -> None:
        gw = self.cluster.one("istio-system", "istio-ingressgateway")
        if gw is not None:
            rid, xff = self.ids.request_id(), f"192.0.2.{self.rng.randint(1, 254)}"
            self._gateway_local(gw, "/", 404, "route_not_found", rid, xff, 0)

    # ---- ambient: ztunnel and the waypoint -------------------------------------------------
    def shop(self) -> None:
        frontend = self.cluster.one("shop", "frontend")
        target = self.cluster.one("shop", self.rng.choice(("cart", "payments")))
        waypoint = self.cluster.one("shop", "waypoint")
        if frontend is None or target is None:
            return
        # ztunnel enforces the namespace's policies at L4, before the waypoint sees the request
        got = self.authorize("shop", target.workload.labels(), Request("/", frontend.workload.principal, "shop"))
        self._ambient(frontend, target, got.rejection)
        if got.allowed and waypoint is not None and waypoint.proxy is not None:
            tw = target.workload
            code = 200 if self.rng.random() > 0.05 else 504
            self.cluster.write(
                waypoint.proxy,
                lines.envoy_access(
                    Hop(
                        self.rng.choice(("GET", "POST")),
                        f"/{tw.app}/{self.rng.randint(1, 999)}",
                        code,
                        "UT" if code == 504 else "-",
                        "response_timeout" if code == 504 else "via_upstream",
                        0,
                        self.rng.randint(40, 900) if code == 200 else 24,
                        self.rng.randint(2, 60) if code == 200 else 2000,
                        "-",
                        "-",
                        "Go-http-client/1.1",
                        self.ids.request_id(),
                        f"{tw.service}:{tw.port}",
                        f"{target.ip}:{tw.port}",
                        f"inbound-vip|{tw.port}|http|{tw.service}",
                        f"{waypoint.ip}:{self.rng.randint(32768, 60999)}",
                        f"10.96.7.{self.rng.randint(1, 254)}:{tw.port}",
                        f"{frontend.ip}:{self.rng.randint(32768, 60999)}",
                        "-",
                        "default",
                    ),
                    utcnow(),
                ),
            )

    def legacy_to_shop(self) -> None:
        client = self.cluster.one("legacy", "client")
        target = self.cluster.one("shop", "payments")
        got = self.authorize("shop", target.workload.labels() if target else {}, Request("/", namespace="legacy"))
        self._ambient(client, target, got.rejection)

    def _ambient(self, src: SimPod | None, dst: SimPod | None, rejection: str | None) -> None:
        """ztunnel's access line for an HBONE connection to ``dst``: its bytes, or why policy closed it."""
        if dst is None:
            return
        src_ns = src.workload.namespace if src else "legacy"
        src_name = src.name if src else "unknown"
        sa = (src.workload.sa or src.workload.app) if src else "default"
        fields: dict[str, str | int] = {
            "src.addr": f"{src.ip if src else self.ids.ip()}:{self.rng.randint(32768, 60999)}",
            "src.workload": src_name,
            "src.namespace": src_ns,
            "src.identity": f"spiffe://cluster.local/ns/{src_ns}/sa/{sa}",
            "dst.addr": f"{dst.ip}:15008",
            "dst.hbone_addr": f"{dst.ip}:{dst.workload.port}",
            "dst.service": dst.workload.service,
            "dst.workload": dst.name,
            "dst.namespace": dst.workload.namespace,
            "dst.identity": dst.workload.spiffe_id,
            "direction": "inbound",
        }
        zt = self.cluster.ztunnel(dst.node)
        if zt is None:
            return
        if rejection:
            fields |= {
                "bytes_sent": 0,
                "bytes_recv": 0,
                "duration": "0ms",
                "error": f"connection closed due to policy rejection: {rejection}",
            }
            self.cluster.write(zt.proxy, lines.ztunnel_access(utcnow(), "error", fields))
            return
        fields |= {
            "bytes_sent": self.rng.randint(100, 9000),
            "bytes_recv": self.rng.randint(100, 3000),
            "duration": f"{self.rng.randint(1, 80)}ms",
        }
        self.cluster.write(zt.proxy, lines.ztunnel_access(utcnow(), "info", fields))

    # ---- the load namespace (benchmarks, churn) --------------------------------------------
    def load_traffic(self) -> None:
        pods = self.cluster.running("load")
        if not pods:
            return
        for pod in self.rng.sample(pods, min(len(pods), 3)):
            self._hop_pair(None, pod, "GET", "/load", 200, self.ids.request_id(), "Go-http-client/1.1")

    def load_burst(self, count: int) -> int:
        """``count`` inbound access lines spread over the ``load`` pods, a few per pod.

        The heavy-load generator for benchmarks (``meshtail demo --load-rate``): one cheap
        line per request at the server's proxy, mostly 200s with some 503 UF,URX and 403
        RBAC denials.  Each pod gets its lines together, as Envoy flushes its access-log
        buffer in bursts and the kubelet streams what it finds.
        """
        pods = self.cluster.running("load")
        if not pods or count <= 0:
            return 0
        rng = self.rng
        now = utcnow()
        written = 0
        start = rng.randrange(len(pods))
        per_pod = max(1, count // len(pods))
        index = 0
        while written < count:
            pod = pods[(start + index) % len(pods)]
            index += 1
            log = pod.proxy
            if log is None or log.ended:
                if index > len(pods) * 2:
                    break
                continue
            burst_ns = time.time_ns() if rng.random() < 0.5 else None  # one flush, one runtime stamp
            for _ in range(min(per_pod, count - written)):
                self.requests += 1
                roll = rng.random()
                code, flags, details = 200, "-", "via_upstream"
                if roll < 0.02:
                    code, flags, details = 503, "UF,URX", "upstream_reset_before_response_started{connection_failure}"
                elif roll < 0.04:
                    code, details = 403, "rbac_access_denied_matched_policy[ns[load]-policy[deny-debug]-rule[0]]"
                hop = Hop(
                    "GET",
                    f"/api/items/{self.requests % 100_000}",
                    code,
                    flags,
                    details,
                    0,
                    rng.randint(150, 6000) if code == 200 else 0,
                    rng.randint(1, 40),
                    "-" if code != 200 else str(rng.randint(1, 39)),
                    "-",
                    "Go-http-client/1.1",
                    self.ids.request_id(),
                    "load:8080",
                    f"{pod.ip}:8080" if code != 403 else "-",
                    "inbound|8080||",
                    f"127.0.0.6:{rng.randint(32768, 60999)}",
                    f"{pod.ip}:8080",
                    f"10.244.9.{rng.randint(2, 250)}:{rng.randint(32768, 60999)}",
                    "outbound_.8080_._.load.load.svc.cluster.local",
                    "default",
                )
                log.append(lines.envoy_access(hop, now), burst_ns)
                self.cluster.lines += 1
                written += 1
        return written

    # ---- the lines of one hop --------------------------------------------------------------
    def _hop_pair(
        self,
        client: SimPod | None,
        server: SimPod | None,
        method: str,
        path: str,
        code: int,
        rid: str,
        ua: str,
        *,
        client_details: str = "via_upstream",
        server_details: str = "via_upstream",
        flags: str = "-",
        authority: str | None = None,
        subset: str = "",
        xff: str = "-",
    ) -> None:
        """The outbound line at the client's proxy and the inbound line at the server's proxy."""
        assert server is not None
        sw = server.workload
        duration = self.rng.randint(1, 40) if code < 500 else self.rng.randint(20, 3000)
        size = self.rng.randint(150, 6000) if code < 400 else self.rng.randint(0, 120)
        authority = authority or f"{sw.app}:{sw.port}"
        client_port = self.rng.randint(32768, 60999)
        now = utcnow()
        server_reached = not flags.startswith("UF") and "U" not in flags.split(",")[0][:1]
        if client is not None and client.proxy is not None:
            cw = client.workload
            local = f"{client.ip}:{client_port}"
            if cw.kind == "gateway":
                downstream_local = f"{client.ip}:8080"
                remote = f"{xff}:{self.rng.randint(1024, 65000)}" if xff != "-" else f"{self.ids.ip()}:{client_port}"
                route = "-"
            else:
                downstream_local = f"10.96.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}:{sw.port}"
                remote = f"{client.ip}:{self.rng.randint(32768, 60999)}"
                route = "default"
            hop = Hop(
                method,
                path,
                code,
                flags,
                client_details,
                0,
                size,
                duration + 1,
                str(duration) if server_reached else "-",
                xff,
                ua,
                rid,
                authority,
                f"{server.ip}:{sw.port}",
                f"outbound|{sw.port}|{subset}|{sw.service}",
                local,
                downstream_local,
                remote,
                "-",
                route,
            )
            self.cluster.write(client.proxy, lines.envoy_access(hop, now))
        if server_reached and server.proxy is not None:
            upstream = server_details == "via_upstream"
            hop = Hop(
                method,
                path,
                code if upstream else 403,
                "-",
                server_details,
                0,
                size if upstream else 19,
                duration if upstream else 0,
                str(max(duration - 1, 0)) if upstream else "-",
                xff,
                ua,
                rid,
                authority,
                f"{server.ip}:{sw.port}" if upstream else "-",
                f"inbound|{sw.port}||",
                f"127.0.0.6:{self.rng.randint(32768, 60999)}" if upstream else "-",
                f"{server.ip}:{sw.port}",
                f"{client.ip if client else self.ids.ip()}:{client_port}",
                f"outbound_.{sw.port}_.{subset or '_'}_.{sw.service}",
                "default",
            )
            self.cluster.write(server.proxy, lines.envoy_access(hop, now))

    def _gateway_local(self, gw: SimPod, path: str, code: int, details: str, rid: str, xff: str, size: int) -> None:
        """A reply the gateway sends itself (no upstream): JWT and RBAC denials, no route."""
        self.cluster.write(
            gw.proxy,
            lines.envoy_access(
                Hop(
                    "GET",
                    path,
                    code,
                    "NR" if code == 404 else "-",
                    details,
                    0,
                    size,
                    0,
                    "-",
                    xff,
                    "python-requests/2.32.3",
                    rid,
                    HOST if code != 404 else f"{self.rng.choice(('shop', 'api', 'old'))}.example.net",
                    "-",
                    "-",
                    "-",
                    f"{gw.ip}:8080",
                    f"{xff}:{self.rng.randint(1024, 65000)}",
                    "-",
                    "-",
                ),
                utcnow(),
            ),
        )

    def _reviews_version(self) -> str:
        """The reviews subset the ``reviews`` VirtualService's weights pick (any, if it is gone)."""
        try:
            vs = self.store.get(VS, "bookinfo", "reviews")
            routes = vs["spec"]["http"][0]["route"]
        except (NotFound, KeyError, IndexError):
            return self.rng.choice(("v1", "v2", "v3"))
        total = sum(int(r.get("weight", 0)) for r in routes) or 1
        pick = self.rng.uniform(0, total)
        for r in routes:
            pick -= int(r.get("weight", 0))
            if pick <= 0:
                return r["destination"].get("subset", "v1")
        return routes[-1]["destination"].get("subset", "v1")

    def _jwt(self) -> str:
        """A token shaped like a JWT (header.payload.signature, base64url); it signs nothing."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        payload = "".join(self.rng.choice(alphabet) for _ in range(48))
        signature = "".join(self.rng.choice(alphabet) for _ in range(43))
        return f"{_JWT_HEADER}.{payload}.{signature}"


_JWT_HEADER = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"  # {"alg":"RS256","typ":"JWT"}


# (cumulative share, scenario): one random roll per tick picks the first share above it
SCENARIOS: tuple[tuple[float, Callable[[Traffic], None]], ...] = (
    (0.45, Traffic.browse),  # a user on Bookinfo through the ingress gateway
    (0.55, Traffic.sleep_to_details),  # sleep calls details directly: allowed only while details-viewer lets it
    (0.60, Traffic.admin_probe),  # someone tries productpage's /admin pages: deny-admin-paths
    (0.70, Traffic.api_call),  # API clients with a valid, an expired or no JWT: require-jwt
    (0.74, Traffic.no_route),  # a host the gateway has no route for
    (0.94, Traffic.shop),  # ambient traffic: ztunnel and the shop waypoint
    (1.00, Traffic.legacy_to_shop),  # the legacy namespace tries the shop: deny-legacy at ztunnel
)
