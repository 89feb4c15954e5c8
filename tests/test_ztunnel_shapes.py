"""Every shape ztunnel prints, recognised from its content, and what each line means to an auditor.

Lines are real: each cites the corpus record it comes from (tests/data/corpus/ztunnel/<file>:<line>,
then that record's ``src``).  Lines marked "built" change a real line in the one way named.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse import ztunnel
from meshtail.parse.detect import StreamParser
from meshtail.parse.result import Action

from .conftest import parse, verdict

CORPUS = Path(__file__).parent / "data" / "corpus"

# (citation, line, (category, outcome, violation, action))
SHAPES = [
    # ---- access log, Istio layout with its tabs (1.22+)
    (
        "access.jsonl:1 istio/ztunnel#1500",
        "2025-04-01T14:01:02.476412Z\tinfo\taccess\tconnection complete\tsrc.addr=10.244.3.9:52462 "
        'src.workload="simple-http-waypoint-547d6d7b8b-4xckr" src.protocol=TCP src.namespace="default" '
        'src.identity="spiffe://cluster.local/ns/default/sa/simple-http-waypoint" dst.addr=10.244.3.8:15008 '
        'dst.hbone_addr=10.244.3.8:8080 dst.service="httpbin.default.svc.cluster.local" '
        'dst.workload="httpbin-54845dfb75-4tsvd" dst.protocol=HBONE dst.namespace="default" '
        'dst.identity="spiffe://cluster.local/ns/default/sa/httpbin" direction="inbound" bytes_sent=564 '
        'bytes_recv=156 duration="5013ms"',
        ("routing", "success", False, "tcp.connection"),
    ),
    # ---- tabs rendered as runs of spaces
    (
        "access.jsonl:4 istio.io: zh/docs/ambient/usage/troubleshoot-ztunnel",
        "2024-05-04T09:59:05.028709Z info    access  connection complete src.addr=10.244.1.12:60059 src."
        'workload="sleep-'
        '7656cf8794-r7zb9" src.namespace="default" src.identity="spiffe://cluster.local/ns/default/sa/sleep" '
        'dst.addr=10.244.1.10:9080 dst.hbone_addr="10.244.1.10:9080" dst.service="productpage.default.sv'
        'c.cluster.local" '
        'dst.workload="productpage-v1-87d54dd59-fn6vw" dst.namespace="productpage" '
        'dst.identity="spiffe://cluster.local/ns/default/sa/bookinfo-productpage" direction="inbound" bytes_sent=175 '
        'bytes_recv=80 duration="1ms"',
        ("routing", "success", False, "tcp.connection"),
    ),
    # ---- single spaces as pasted
    (
        "access.jsonl:14 kubewarden/network-enforcer RFC (PR #204)",
        '2026-08-03T15:47:26.637407Z info access connection complete src.addr=10.244.0.5:54646 src.workload="http-'
        'client-6b4b85489f-t6sl2" src.namespace="default" dst.addr=142.251.209.46:80 direction="outbound'
        '" bytes_sent=74 '
        'bytes_recv=773 duration="357ms"',
        ("routing", "success", False, "tcp.connection"),
    ),
    # ---- fragments: fields only, a cut message
    (
        "access.jsonl:12 kubewarden/network-enforcer scraper test comments",
        'src.addr=10.244.0.17:34010 src.workload="client" src.namespace="istio-system" dst.addr=10.244.1.15:18080 '
        'dst.service="http-service.default.svc.cluster.local" dst.workload="http-server-6cbcc86f5d-bxb9w" '
        'dst.namespace="default" direction="inbound" bytes_sent=16 bytes_recv=16 duration="1004ms"',
        ("routing", "success", False, "tcp.connection"),
    ),
    (
        "access.jsonl:13 kubewarden/network-enforcer scraper test comments",
        'complete src.addr=10.244.0.5:54646 src.workload="http-client-6b4b85489f-t6sl2" src.namespace="default" '
        'dst.addr=142.251.209.46:80 direction="outbound" bytes_sent=74 bytes_recv=773 duration="357ms"',
        ("routing", "success", False, "tcp.connection"),
    ),
    # ---- built: real line with its timestamp removed (level first)
    (
        "access-derived.jsonl:9 kubewarden/network-enforcer RFC (PR #204), built",
        'info\taccess\tconnection complete\tsrc.addr=10.244.0.5:40516 src.workload="http-client-6b4b85489f-t6sl2" '
        'src.namespace="default" dst.addr=10.244.1.5:15008 dst.hbone_addr=10.244.1.5:18080 direction="outbound" '
        'bytes_sent=16 bytes_recv=16 duration="1006ms"',
        ("routing", "success", False, "tcp.connection"),
    ),
    # ---- opened: no outcome yet
    (
        "access.jsonl:25 github Go test fixture 'realDebugTrace' (package ztlog)",
        "2026-08-19T22:32:58.367972Z\tdebug\taccess\tconnection opened\tsrc.addr=10.244.0.7:40461 src.wo"
        'rkload="ztunnel-'
        'diag-1787178776283731000-0" src.namespace="ztunnel-diag" dst.addr=172.17.0.3:8443 '
        'dst.service="kubernetes.default.svc.cluster.local" dst.workload="kubernetes" dst.namespace="default" '
        'direction="outbound"',
        ("routing", "unknown", False, "tcp.open"),
    ),
    # ---- failures: an early deny behind a k9s border, an io error behind a log UI's stamp
    (
        "access.jsonl:23 istio/istio#56956",
        "│ 2025-07-10T14:11:09.363095Z    warn    access    connection failed    src.addr=10.191.236.54:37990 "
        'dst.addr=10.191.231.144:9090 direction="inbound" error="unknown destination: 10.191.231.144" ',
        ("routing", "failure", False, "connection.failure"),
    ),
    (
        "access.jsonl:24 istio/istio#53696",
        "2024-10-29T17:39:45.936Z | 2024-10-29T17:39:45.936188Z error access connection complete "
        'src.addr=192.168.14.52:36166 src.workload="cloudflared-ingress-76f7f5c69d-r2774" dst.addr=192.1'
        "68.152.170:15008 "
        'direction="outbound" bytes_sent=0 bytes_recv=0 duration="3ms" error="io error: Connection refus'
        'ed (os error 111)"',
        ("routing", "failure", False, "connection.failure"),
    ),
    (
        "access-derived.jsonl:6 kubewarden/network-enforcer RFC + ztunnel src/proxy.rs ClosedFromDrain, built",
        "2026-08-03T15:39:07.536483Z\terror\taccess\tconnection complete\tsrc.addr=10.244.0.5:49084 dst."
        "addr=10.244.1.5:"
        '15008 direction="inbound" bytes_sent=0 bytes_recv=0 duration="0ms" error="connection closed due to connection '
        'drain"',
        ("routing", "failure", False, "connection.failure"),
    ),
    # ---- policy rejections on the access line
    (
        "policy.jsonl:1 istio/istio#53696",
        "2024-10-30T11:49:40.421833Z error access connection complete src.addr=192.168.240.64:55909 "
        'dst.addr=192.168.14.30:5050 dst.service="private-operator-ingress.api.svc.cluster.local" '
        'dst.workload="operator-68cc96bd7b-vfkgk" dst.namespace="api" direction="inbound" bytes_sent=0 bytes_recv=0 '
        'duration="0ms" error="connection closed due to policy rejection: allow policies exist, but none allowed"',
        ("auth", "deny", True, "authz.deny"),
    ),
    (
        "policy.jsonl:16 kubewarden/network-enforcer RFC (PR #204): the source side of a destination deny",
        '2026-08-03T15:39:07.560543Z error access connection complete src.addr=10.244.0.5:55480 src.workload="http-'
        'client-6b4b85489f-t6sl2" src.namespace="default" dst.addr=10.244.1.5:15008 dst.hbone_addr=10.244.1.5:18080 '
        'direction="outbound" bytes_sent=0 bytes_recv=0 duration="0ms" error="http status: 401 Unauthorized"',
        ("auth", "deny", True, "authz.deny"),
    ),
    (
        "access-derived.jsonl:2 kubewarden/network-enforcer RFC + ztunnel src/proxy.rs, built",
        "2026-08-03T15:39:07.536483Z\terror\taccess\tconnection complete\tsrc.addr=10.244.0.5:49084 dst."
        "addr=10.244.1.5:"
        '15008 direction="inbound" bytes_sent=0 bytes_recv=0 duration="0ms" error="connection closed due to policy '
        'change"',
        ("auth", "deny", True, "authz.late_deny"),
    ),
    (
        "access-derived.jsonl:3 kubewarden/network-enforcer RFC + ztunnel src/proxy.rs, built",
        "2026-08-03T15:39:07.536483Z\terror\taccess\tconnection complete\tsrc.addr=10.244.0.5:49084 dst."
        "addr=10.244.1.5:"
        '15008 direction="inbound" bytes_sent=0 bytes_recv=0 duration="0ms" error="connection closed: peer certificate '
        'revoked by CRL"',
        ("auth", "deny", True, "cert.revoked"),
    ),
    # ---- pasted error values
    (
        "policy.jsonl:8 kgateway ambient notes",
        "connection closed due to policy rejection: explicitly denied by: istio-system/istio_converted_static_strict",
        ("auth", "deny", True, "authz.deny"),
    ),
    (
        "policy.jsonl:9 ztunnel troubleshooting notes",
        'error="connection closed due to policy rejection: explicitly denied by: chatqa/chatqa-prompt-tmpl-usvc"',
        ("auth", "deny", True, "authz.deny"),
    ),
    (
        "policy.jsonl:10 ztunnel troubleshooting notes",
        'error="http status: 401 Unauthorized"',
        ("auth", "deny", True, "authz.deny"),
    ),
    (
        "access.jsonl:35 istio/istio#52742",
        "connection timed out, maybe a NetworkPolicy is blocking HBONE port 15008: deadline has elapsed",
        ("routing", "failure", False, "connection.failure"),
    ),
    # ---- authorization-policy decisions (state, span-prefixed target)
    (
        "policy.jsonl:17 kubewarden/network-enforcer RFC (PR #204)",
        "2026-08-03T15:39:07.536444Z info state:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=86c37af8d376f"
        'cc847c48d4730137d42 peer=10.244.0.5:49084} deny policy match policy="default/deny-http-server-protect"',
        ("auth", "deny", True, "authz.deny"),
    ),
    (
        "policy.jsonl:20 kubewarden/network-enforcer RFC (PR #204)",
        "2026-08-03T15:40:53.359711Z info state:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=d16227601269"
        "25234857353d59b402dc peer=10.244.0.5:49084} no allow policies matched ",
        ("auth", "deny", True, "authz.deny"),
    ),
    (
        "policy.jsonl:12 kubewarden/network-enforcer RFC (PR #204)",
        "2026-08-03T15:34:57.746680Z info state:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=a050131fa769a"
        '20e255b9840bf445424 peer=10.244.0.5:49084} dry-run: deny policy match policy="default/deny-http'
        '-server-monitor"',
        ("auth", "allow", True, "authz.dry_run_deny"),
    ),
    (
        "policy.jsonl:14 kubewarden/network-enforcer RFC (PR #204)",
        "2026-08-03T15:36:17.033568Z info state:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=f03d939b04f87"
        "02eb7ad3a6281d793d5 peer=10.244.0.5:49084} dry-run: no allow policies match ",
        ("auth", "allow", True, "authz.dry_run_deny"),
    ),
    (
        "policy.jsonl:13 kubewarden/network-enforcer RFC (PR #204)",
        "2026-08-03T15:34:57.746710Z info state:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=a050131fa769a"
        "20e255b9840bf445424 peer=10.244.0.5:49084} no allow policies, allow ",
        ("auth", "allow", False, "authz.allow"),
    ),
    (
        "policy-derived.jsonl:7 kubewarden/network-enforcer RFC + ztunnel src/state.rs, built",
        "2026-08-03T15:34:57.746680Z\tinfo\tstate:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=a050131fa76"
        '9a20e255b9840bf445424 peer=10.244.0.5:49084}\tallow policy match\tpolicy="default/allow-http-server-protect"',
        ("auth", "allow", False, "authz.allow"),
    ),
    (
        "policy-derived.jsonl:6 kubewarden/network-enforcer RFC + ztunnel src/state.rs, built",
        "2026-08-03T15:34:57.746680Z\tinfo\tstate:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=a050131fa76"
        '9a20e255b9840bf445424 peer=10.244.0.5:49084}\tdry-run: allow policy match\tpolicy="default/allow-http-server-'
        'monitor"',
        ("auth", "allow", False, "authz.dry_run_allow"),
    ),
    (
        "policy-derived.jsonl:11 kubewarden/network-enforcer RFC + ztunnel src/state.rs, built",
        "2026-08-03T15:39:07.536444Z\twarn\tstate:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=86c37af8d37"
        "6fcc847c48d4730137d42 peer=10.244.0.5:49084}\tskipping unknown policy default/deny-http-server-protect\t",
        ("auth", "unknown", False, "authz.policy_unknown"),
    ),
    # ---- TLS and certificates
    (
        "tracing-derived.jsonl:1 istio/istio#56956 (k9s border kept)",
        "│ 2025-07-10T14:10:59.533672Z    warn    hyper_util:proxy{wl=dev/colorapp-am-864d89b8c6-9qxqt}    TLS "
        "handshake error: certificate lookup error: /10.191.231.144 is not a known destination",
        ("auth", "failure", True, "mtls.handshake_failure"),
    ),
    (
        "tracing.jsonl:1 cilium/cilium#41945",
        "2025-09-29T22:21:34.946963Z     debug   proxy::inbound:proxy{wl=server-ns/netshoot-server-6b478"
        "b859-fb9mz}      "
        "fetching cert   identity=default.server-ns (netshoot-server-6b478b859-fb9mz)",
        ("auth", "unknown", False, "tls.event"),
    ),
    (
        "tracing.jsonl:4 cilium/cilium#41945",
        "2025-09-29T22:21:34.947243Z     debug   rustls::server::hs:proxy{wl=server-ns/netshoot-server-6"
        "b478b859-fb9mz}  "
        "decided upon suite TLS13_AES_256_GCM_SHA384",
        ("auth", "unknown", False, "tls.event"),
    ),
    (
        "tracing.jsonl:6 cilium/cilium#41945",
        "2025-09-29T22:21:34.948951Z     debug   proxy::inbound:proxy{wl=server-ns/netshoot-server-6b478"
        "b859-fb9mz}      "
        "accepted TLS connection latency=2.017522ms",
        ("auth", "success", False, "mtls.accept"),
    ),
    (
        "tracing.jsonl:7 cilium/cilium#41945",
        "2025-09-29T22:21:34.948987Z     debug   proxy::inbound:proxy{wl=server-ns/netshoot-server-6b478"
        "b859-fb9mz}      "
        "accepted connection     conn=10.244.0.192:49356(spiffe://cluster.local/ns/client-ns2/sa/default)->10.244.1.2"
        "43:15008",
        ("routing", "unknown", False, "connection.event"),
    ),
    (
        "tracing.jsonl:5 cilium/cilium#41945",
        "2025-09-29T22:21:34.947407Z     debug   rustls::server::hs:proxy{wl=server-ns/netshoot-server-6"
        "b478b859-fb9mz}  "
        "Chosen ALPN protocol [104, 50]",
        ("other", "unknown", False, "ztunnel.rustls_server_hs"),
    ),
    # ---- xDS (the connection to istiod)
    (
        "tracing.jsonl:14 istio/istio#52487",
        "2024-08-07T08:11:50.646570Z\twarn\txds::client:xds{id=8}\tXDS client connection error: gRPC connection error "
        'connecting to https://istiod.kube-system.svc:15012: status: Unknown, message: "client error (Co'
        'nnect)", source: '
        "dns error: failed to lookup address information: Temporary failure in name resolution (hint: is"
        " the DNS server "
        "reachable?), retrying in 2.56s",
        ("config", "failure", False, "xds.connection_failure"),
    ),
    (
        "tracing.jsonl:28 istio/istio#54912 (single spaces)",
        "2025-01-29T23:09:48.677202Z warn xds::client:xds{id=1} XDS client connection error: gRPC connection error "
        'connecting to https://istiod.istio-system.svc:15012: status: Unknown, message: "client error (Connect)", '
        "source: dns error: failed to lookup address information: Name or service not known, retrying in 20ms",
        ("config", "failure", False, "xds.connection_failure"),
    ),
    (
        "tracing-derived.jsonl:3 istio/istio#52487, built: target first (time and level cut)",
        "xds::client:xds{id=8}\tXDS client connection error: gRPC connection error connecting to https://istiod.kube-"
        'system.svc:15012: status: Unknown, message: "client error (Connect)", source: dns error: failed to lookup '
        "address information: Temporary failure in name resolution (hint: is the DNS server reachable?),"
        " retrying in 2.56s",
        ("config", "failure", False, "xds.connection_failure"),
    ),
    (
        "tracing.jsonl:17 istio/ztunnel#663 (message only)",
        "XDS client connection error: gRPC connection error (Unknown error): client error (Connect), retrying in 80ms",
        ("config", "failure", False, "xds.connection_failure"),
    ),
    (
        "tracing.jsonl:51 istio/istio#52487",
        '2024-08-07T08:16:27.672871Z\tinfo\txds::client:xds{id=24}\treceived response\ttype_url="type.googleapis.com/'
        'istio.workload.Address" size=203 removes=0',
        ("config", "success", False, "xds.update"),
    ),
    (
        "tracing.jsonl:64 github Go test fixture 'realDebugTrace' (trailing tab after a message with no fields)",
        "2026-08-19T21:13:40.121023Z\twarn\tstate\ttimed out waiting for workload 'ztunnel-diag-run1-180.ztunnel-diag "
        "(ztunnel-diag-run1-180)' from xds\t",
        ("config", "failure", False, "xds.workload_timeout"),
    ),
    # ---- pre-1.22: tracing_subscriber's default layout
    (
        "tracing.jsonl:19 istio/ztunnel#400",
        "2023-02-15T20:54:40.204428Z  WARN xds{id=1}: ztunnel::xds::client: XDS client error: gRPC error (Unknown "
        "error): error reading a body from connection: broken pipe, retrying",
        ("config", "failure", False, "xds.connection_failure"),
    ),
    (
        "tracing.jsonl:36 istio/istio#46163",
        "2023-07-25T23:50:10.021420Z  INFO xds{id=1}: ztunnel::xds::client: received response "
        'type_url="type.googleapis.com/istio.workload.Address" size=1',
        ("config", "success", False, "xds.update"),
    ),
    (
        "tracing.jsonl:38 istio/istio#46163",
        "2023-07-25T23:50:27.331610Z  INFO xds{id=1}: ztunnel::xds: handling delete Kubernetes//Pod/istio-system/"
        "grafana-7bd5db55c4-dvff2",
        ("config", "change", False, "xds.change"),
    ),
    (
        "tracing.jsonl:44 istio/ztunnel#287",
        "2022-12-16T17:07:45.483499Z  INFO ztunnel::admin: Readiness blocker complete, still awaiting 2 tasks "
        'task="workload manager" dur=968.62µs',
        ("other", "success", False, "proxy.ready"),
    ),
    (
        "access.jsonl:3 ztunnel README (Logging section)",
        "2024-04-11T15:38:42.182974Z  INFO access: connection complete",
        ("routing", "success", False, "tcp.connection"),
    ),
    # ---- start-up, readiness, in-pod enrolment, DNS
    (
        "tracing.jsonl:21 istio/istio#53308",
        '2024-09-26T10:15:42.309427Z info ztunnel version: version.BuildInfo{Version:"2eaa669fecf8505c9abb9676b64ff6a50'
        'f124a37", RustVersion:"1.77.2", BuildProfile:"release", GitTag:"1.22.3-5-g2eaa669", IstioVersion:"unknown"}',
        ("other", "unknown", False, "ztunnel.ztunnel"),
    ),
    (
        "tracing.jsonl:22 istio/istio#54912",
        "2025-01-29T23:09:38.664871Z info app shared proxy mode - in-pod mode enabled",
        ("other", "unknown", False, "ztunnel.app"),
    ),
    (
        "tracing.jsonl:23 istio/istio#54912",
        '2025-01-29T23:09:38.664875Z info hyper_util listener established address=[::]:15021 component="readiness"',
        ("other", "success", False, "listener.start"),
    ),
    (
        "tracing.jsonl:26 istio/istio#54912",
        "2025-01-29T23:09:38.664933Z info readiness Task 'dns proxy' complete (751.439µs), still awaiting 3 tasks",
        ("other", "success", False, "proxy.ready"),
    ),
    (
        "tracing.jsonl:55 istio/istio#52487",
        '2024-08-07T08:16:27.676289Z\tinfo\tinpod::statemanager\tpod received, starting proxy\tuid="4a7f439b-b4c0-4f11-'
        'b6af-7d4bcb4563b0" name="stackstorm-ha-st2actionrunner-5d9fc664c7-fr49p" namespace="herculesdev9a-worker"',
        ("config", "change", False, "inpod.add"),
    ),
    (
        "tracing.jsonl:58 istio/istio#52487",
        "2024-08-07T08:16:27.676582Z\terror\tinpod::workloadmanager\tfailed to start proxy: Bind([::1]:1"
        "5053, Os { code: "
        '99, kind: AddrNotAvailable, message: "Cannot assign requested address" })',
        ("other", "failure", False, "ztunnel.inpod_workloadmanager"),
    ),
    (
        "tracing.jsonl:30 istio/istio#53371",
        "2024-09-26T15:20:55.119650Z     info    drain:proxy{wl=default/shell-6d8bcd654d-bshz9}  shutdow"
        "n complete       "
        'component="inbound"',
        ("other", "unknown", False, "ztunnel.drain"),
    ),
    (
        "tracing.jsonl:63 github Go test fixture 'realDebugTrace': the DNS access log has no message",
        '2026-08-19T22:32:58.367675Z\tdebug\tdns\tsrc.workload="ztunnel-diag-1787178776283731000-0" src.'
        'namespace="ztunn'
        'el-diag" query="A" domain="kubernetes.default.svc.cluster.local.ztunnel-diag.svc.cluster.local.'
        '" result="success"'
        " endpoints=1",
        ("routing", "success", False, "dns.query"),
    ),
    (
        "tracing.jsonl:32 istio/istio#53371",
        "2024-09-26T15:20:55.120291Z     info    dns::server:dns_proxy{wl=default/shell-6d8bcd654d-bshz9}        dns "
        "server drained",
        ("other", "unknown", False, "ztunnel.dns_server"),
    ),
    # ---- the process's exit report (anyhow), code-block indentation removed
    (
        "tracing.jsonl:8 'Service Mesh / mTLS / 접근통제 (Istio Ambient Mode)'",
        "Error: readiness server starts",
        ("other", "failure", False, "ztunnel.fatal"),
    ),
    (
        "tracing.jsonl:9 'Service Mesh / mTLS / 접근통제 (Istio Ambient Mode)'",
        "Caused by: Address family not supported by protocol (os error 97)",
        ("other", "failure", False, "ztunnel.fatal"),
    ),
    # ---- a vendor build's L7 access log (wrapped by kubectl logs --prefix)
    (
        "wrappers/kubectl-prefix.jsonl:1 ambient multicluster workshop",
        "[pod/ztunnel-qfrmt/istio-proxy] 2026-02-27T17:16:04.946312Z     info    http access     request complete     "
        'src.addr=10.129.0.27:40900 src.workload="ingress-istio-68bd49d649-rrbt5" src.namespace="istio-system" '
        "dst.addr=10.129.0.21:15008 dst.hbone_addr=productpage.bookinfo-frontends.svc.cluster.local:9080 "
        'dst.service="productpage.bookinfo-frontends.svc.cluster.local" direction="inbound" method=GET '
        'path="/productpage" protocol=HTTP1 response_code=200 duration="35ms"',
        ("routing", "success", False, "http.request"),
    ),
]


@pytest.mark.parametrize(("cite", "line", "want"), SHAPES, ids=[s[0][:60] for s in SHAPES])
def test_each_shape_is_read_and_decided(cite: str, line: str, want: tuple[str, str, bool, str]) -> None:
    event = parse(line)
    assert event.format == "ztunnel", cite
    assert (event.category, event.outcome, event.violation, event.action) == want, cite
    assert event.summary


def test_access_attributes_keep_their_names() -> None:
    # policy.jsonl:4, a Korean ambient write-up on Istio 1.31 (src.cluster / dst.cluster are new in 1.31)
    event = parse(
        '2026-09-30T06:45:59.689271Z error access connection complete src.addr=198.18.4.182:46376 src.workload="attac'
        'ker" src.namespace="attacker" src.cluster="Kubernetes" dst.addr=198.18.0.40:80 dst.service="backend.backend.s'
        'vc.cluster.local" dst.workload="backend" dst.namespace="backend" dst.cluster="Kubernetes" direction="inbound" '
        'bytes_sent=0 bytes_recv=0 duration="0ms" error="connection closed due to policy rejection: explicitly denied '
        'by: istio-system/istio_converted_static_strict"'
    )
    a = event.attributes
    assert (event.category, event.outcome, event.violation, event.severity) == ("auth", "deny", True, "error")
    assert a["istio.policy"] == "istio-system/istio_converted_static_strict"
    assert a["client.address"] == "198.18.4.182" and a["client.port"] == 46376
    assert a["destination.address"] == "198.18.0.40" and a["destination.port"] == 80
    assert a["istio.source.workload"] == "attacker" and a["istio.source.namespace"] == "attacker"
    assert a["istio.source.cluster"] == "Kubernetes" and a["istio.destination.cluster"] == "Kubernetes"
    assert a["istio.destination.service"] == "backend.backend.svc.cluster.local"
    assert a["istio.direction"] == "inbound"
    assert a["ztunnel.bytes_sent"] == 0 and a["ztunnel.duration_ms"] == 0
    assert a["ztunnel.target"] == "access" and a["log.message"] == "connection complete"
    assert a["error.message"].startswith("connection closed due to policy rejection")
    assert event.summary == (
        "ztunnel denied attacker/attacker -> backend.backend.svc.cluster.local by istio-system/istio_con"
        "verted_static_strict"
    )


def test_policy_line_spans_become_attributes() -> None:
    # policy.jsonl:17, kubewarden/network-enforcer RFC (PR #204)
    event = parse(
        "2026-08-03T15:39:07.536444Z info state:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=86c37af8d376f"
        'cc847c48d4730137d42 peer=10.244.0.5:49084} deny policy match policy="default/deny-http-server-protect"'
    )
    a = event.attributes
    assert a["ztunnel.target"] == "state" and a["ztunnel.spans"] == "proxy:inbound"
    assert a["ztunnel.span.wl"] == "default/http-server-6cbcc86f5d-lhq82"
    assert a["ztunnel.span.id"] == "86c37af8d376fcc847c48d4730137d42"
    assert a["ztunnel.span.peer"] == "10.244.0.5:49084"
    assert a["client.address"] == "10.244.0.5" and a["client.port"] == 49084
    assert a["istio.destination.namespace"] == "default"
    assert a["istio.policy"] == "default/deny-http-server-protect"
    assert event.severity == "info" and event.time == "2026-08-03T15:39:07.536444Z"
    assert event.summary == (
        "ztunnel denied 10.244.0.5:49084 -> default/http-server-6cbcc86f5d-lhq82 by default/deny-http-server-protect"
    )
    # the dry-run form (policy.jsonl:12) says it did not block
    dry = parse(
        "2026-08-03T15:34:57.746680Z info state:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=a050131fa769a"
        '20e255b9840bf445424 peer=10.244.0.5:49084} dry-run: deny policy match policy="default/deny-http'
        '-server-monitor"'
    )
    assert dry.attributes["ztunnel.dry_run"] is True and "would deny" in dry.summary
    # "no allow policies matched" (policy.jsonl:20): the default deny, no policy named
    none = parse(
        "2026-08-03T15:40:53.359711Z info state:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id=d16227601269"
        "25234857353d59b402dc peer=10.244.0.5:49084} no allow policies matched "
    )
    assert none.attributes["istio.policy"] == "none"


# (citation, JSON line, (category, outcome, violation, action))
JSON_SHAPES = [
    (
        "json.jsonl:1 kubewarden/network-enforcer scraper test comments",
        '{"level":"info","time":"2026-08-11T10:45:04.121633Z","scope":"ztunnel::state","message":"dry-run: deny policy '
        'match","policy":"default/deny-http-server-monitor","proxy":{"wl":"default/http-server-7bbf596dd'
        '9-8gs65"},"inbou'
        'nd":{"id":"4703222e84d01205aa1511f86681682f","peer":"10.244.0.9:46266"}}',
        ("auth", "allow", True, "authz.dry_run_deny"),
    ),
    (
        "json.jsonl:3 kubewarden/network-enforcer scraper test comments (no time key)",
        '{"level":"info","scope":"ztunnel::state","message":"deny policy match","policy":"default/deny-h'
        'ttp-server","pro'
        'xy":{"wl":"default/http-server-7bbf596dd9-8gs65"},"inbound":{"id":"...","peer":"10.244.0.9:46266"}}',
        ("auth", "deny", True, "authz.deny"),
    ),
    (
        "json.jsonl:5 kubewarden/network-enforcer scraper test comments",
        '{"level":"info","time":"2026-08-10T08:19:58.950669Z","scope":"access","message":"connection complete","src.add'
        'r":"10.244.0.6:57866","src.workload":"http-client-7fc85576c4-h95l5","src.namespace":"default","'
        'dst.addr":"10.244'
        '.0.7:15008","dst.hbone_addr":"10.244.0.7:18080","direction":"outbound","bytes_sent":16,"bytes_r'
        'ecv":16,"duration'
        '":"1006ms"}',
        ("routing", "success", False, "tcp.connection"),
    ),
    (
        "json-derived.jsonl:1 kubewarden/network-enforcer + ztunnel src/telemetry.rs, built",
        '{"level":"error","time":"2026-08-10T08:19:58.949999Z","scope":"access","message":"connection co'
        'mplete","src.add'
        'r":"10.244.0.6:59470","dst.addr":"10.244.0.7:15008","direction":"inbound","bytes_sent":0,"bytes'
        '_recv":0,"durati'
        'on":"0ms","error":"connection closed due to policy rejection: explicitly denied by: default/den'
        'y-http-server"}',
        ("auth", "deny", True, "authz.deny"),
    ),
]


@pytest.mark.parametrize(("cite", "line", "want"), JSON_SHAPES, ids=[s[0][:60] for s in JSON_SHAPES])
def test_json_shapes(cite: str, line: str, want: tuple[str, str, bool, str]) -> None:
    event = parse(line)
    assert event.format == "ztunnel", cite
    assert (event.category, event.outcome, event.violation, event.action) == want, cite


def test_json_spans_and_numbers() -> None:
    found = ztunnel.recognise_json(json.loads(JSON_SHAPES[0][1]))
    assert found is not None
    parsed = found[1]
    assert parsed.decoded is True and parsed.time == "2026-08-11T10:45:04.121633Z"
    a = parsed.attributes
    assert a["ztunnel.target"] == "state" and a["ztunnel.spans"] == "proxy:inbound"
    assert a["ztunnel.span.peer"] == "10.244.0.9:46266" and a["client.port"] == 46266
    assert a["istio.policy"] == "default/deny-http-server-monitor" and a["ztunnel.dry_run"] is True
    access = ztunnel.recognise_json(json.loads(JSON_SHAPES[2][1]))
    assert access is not None and access[1].attributes["ztunnel.bytes_sent"] == 16
    assert access[1].attributes["ztunnel.duration_ms"] == 1006
    # Istio's Go components write "msg", never "message": not ztunnel's
    assert ztunnel.recognise_json({"level": "info", "time": "x", "scope": "dns", "msg": "updated lookup table"}) is None
    assert ztunnel.recognise_json({"level": "info", "scope": "ads", "message": "x"}) is None


def _collapse(line: str, spaces: str) -> str:
    return line.replace("\t", spaces)


@pytest.mark.parametrize("spaces", [" ", "  ", "    "])
def test_tabs_collapsed_to_spaces_decide_the_same(spaces: str) -> None:
    for cite, line, want in SHAPES:
        if "\t" not in line or line.startswith("xds::client"):
            continue
        event = parse(_collapse(line, spaces))
        assert event.format == "ztunnel", cite
        assert (event.category, event.outcome, event.violation, event.action) == want, (cite, spaces)


def test_a_stripped_trailing_tab_and_trailing_spaces_change_nothing() -> None:
    # tracing.jsonl:64 (message with no fields ends in a tab), then with it stripped, then padded
    line = (
        "2026-08-19T21:13:40.121023Z\twarn\tstate\ttimed out waiting for workload 'ztunnel-diag-run1-180.ztunnel-diag "
        "(ztunnel-diag-run1-180)' from xds\t"
    )
    events = [parse(text) for text in (line, line.rstrip("\t"), line.rstrip("\t") + "   ")]
    assert {(e.action, e.attributes["log.message"]) for e in events} == {
        (
            "xds.workload_timeout",
            "timed out waiting for workload 'ztunnel-diag-run1-180.ztunnel-diag (ztunnel-diag-run1-180)' from xds",
        )
    }


def test_bare_values_with_spaces_and_quoted_escapes() -> None:
    fields = dict(ztunnel.parse_fields('wl=default.server-ns (netshoot-server-6b) a="x \\"y\\" \\\\ z" n=3'))
    assert fields == {"wl": "default.server-ns (netshoot-server-6b)", "a": 'x "y" \\ z', "n": "3"}


# Lines of the other families that share the column layout: none is ztunnel's.
NOT_ZTUNNEL = [
    # istio/istio#30119 (istio-agent, scope cache)
    "2021-01-15T19:26:07.106529Z\tinfo\tcache\tgenerated new workload certificate\tresourceName=default "
    "latency=402.616431ms ttl=9m59.893482857s",
    # istio/istio#28192 (istio-agent, scope xdsproxy, tabs expanded)
    "2020-10-22T14:55:42.314876Z     info    xdsproxy        Envoy ADS stream established",
    # istio/istio tools/bug-report testdata ingress.log (istio-agent, scope sds)
    '2020-06-29T23:37:27.438932Z\tinfo\tsds\tSDS gRPC server for workload UDS starts, listening on "'
    './etc/istio/proxy/SDS"',
    # istio/istio#33293 (istiod, scope ads)
    "2021-06-07T15:16:22.210859Z\tinfo\tads\tXDS: Incremental Pushing:0 ConnectedEndpoints:5 Version:",
    # istio/istio#49199 (istio-cni, scope ambient)
    "2024-02-05T02:08:04.497005Z    debug    ambient    Pod is now stopped or opt out... cleaning up.    "
    "ns=default name=httpbin-worker1-7b47f9576c-vt8mh",
    # istio/istio#55913 (istio-cni, scope cni-agent)
    "2025-04-14T06:25:20.170619Z\terror\tcni-agent\tfailed to restore iptables rules: exit status 1",
    # istio/istio#46057 (istio-cni, scope cni)
    "2023-07-21T10:46:11.703728Z\tinfo\tcni\tistio-cni cmdAdd podName: details-v1-7c7dbcb4b5-m65nd podIPs: "
    "[{IP:10.244.1.6 Mask:ffffff00}]",
    # istio/istio#29974 (istiod, scope validationController)
    "2021-01-11T15:47:29.628097Z\tinfo\tvalidationController\tReconcile(enter): add event (v1, Kind=Endpoints) "
    "istio-system/istiod",
    # built from istio/istio pkg/dns/client/dns.go: istio-agent's own `dns` scope
    "2024-08-07T08:16:27.672486Z\tdebug\tdns\tupdated lookup table with 12 hosts",
    "2024-08-07T08:16:27.672486Z\twarn\tdns\tfailed to load /etc/resolv.conf: open /etc/resolv.conf: no such file",
    "2024-08-07T08:16:27.672486Z  debug  dns  updated lookup table with 12 hosts",
]


@pytest.mark.parametrize("line", NOT_ZTUNNEL)
def test_go_component_lines_are_not_claimed(line: str) -> None:
    assert ztunnel.recognise(line) is None
    assert parse(line).format != "ztunnel"


def _corpus(label: str | None = None, exclude: str | None = None) -> list[tuple[str, str]]:
    out = []
    for path in sorted(CORPUS.rglob("*.jsonl")):
        for number, text in enumerate(path.read_text("utf-8").splitlines(), 1):
            record = json.loads(text)
            fmt = record["expect"]["format"]
            if (label is None or fmt == label) and (exclude is None or fmt != exclude):
                out.append((f"{path.relative_to(CORPUS)}:{number}", record["raw"]))
    return out


def test_no_other_familys_corpus_line_becomes_ztunnel() -> None:
    wrong = [cite for cite, raw in _corpus(exclude="ztunnel") if parse(raw).format == "ztunnel"]
    assert wrong == []


def _listed(action: str) -> bool:
    for entry in ztunnel.ACTIONS:
        pattern = re.escape(entry.name).replace(re.escape("<target>"), "[a-z0-9_]+")
        if re.fullmatch(pattern, action):
            return True
    return False


def test_every_action_produced_is_listed() -> None:
    assert all(isinstance(a, Action) and a.trigger for a in ztunnel.ACTIONS)
    assert len({a.name for a in ztunnel.ACTIONS}) == len(ztunnel.ACTIONS)
    produced = {parse(raw).action for _, raw in _corpus("ztunnel")}
    produced |= {parse(line).action for _, line, _ in SHAPES + JSON_SHAPES}
    produced.discard("log.unparsed")
    assert [a for a in sorted(produced) if not _listed(a)] == []
    listed = {a.name: a for a in ztunnel.ACTIONS}
    for _, _line, (category, outcome, violation, action) in SHAPES + JSON_SHAPES:
        entry = listed.get(action) or listed["ztunnel.<target>"]
        assert category == entry.category and outcome in entry.outcome.split("|")
        assert violation == entry.violation


def test_reading_twice_gives_the_same_event() -> None:
    # the store parses a line again, trying first the family that read it, and compares
    source = Source("file", path="test.log", line=1)
    for _, line, _ in SHAPES + JSON_SHAPES:
        first = parse(line, source)
        hint = first._data[0]  # type: ignore[index]
        again = StreamParser().reparse(RawLine(line, source, "2026-01-01T00:00:00.000000Z"), hint)
        keys = ("time", "category", "outcome", "violation", "severity", "action", "summary", "attributes", "format")
        assert [getattr(first, k) for k in keys] == [getattr(again, k) for k in keys], line[:80]


MEGABYTE = 1_000_000
TS = "2024-08-22T10:01:02.345678Z"
HOSTILE = {
    "word characters": "x" * MEGABYTE,
    "after a head": f"{TS}\tinfo\t" + "x" * MEGABYTE,
    "spaces": f"{TS} info " + " " * MEGABYTE + "x",
    "open braces": f"{TS}\tinfo\tstate:" + "{" * MEGABYTE,
    "unclosed quotes in a span": f"{TS}\tinfo\tstate:proxy{{" + 'a="' * (MEGABYTE // 3),
    "paths": f"{TS}\tinfo\t" + "a::" * (MEGABYTE // 3),
    "spans": f"{TS}\tinfo\tstate" + ":a{}" * (MEGABYTE // 4),
    "empty fields": "src.addr=1 " + "k= " * (MEGABYTE // 3),
    "keys without spaces": "src.addr=" + "k=" * (MEGABYTE // 2),
    "unterminated quote": f'{TS}\terror\taccess\tconnection complete\tsrc.addr=10.244.1.6:45208 dst.namespace="d'
    + "x" * MEGABYTE,
    "backslashes": 'dst.addr=1 error="' + "\\" * MEGABYTE,
    "spaced words": f"{TS} info access connection complete " + "a " * (MEGABYTE // 2),
    "stamps": (TS + " ") * (MEGABYTE // 28),
    "message and pairs": "XDS client error" + " a=b" * (MEGABYTE // 4),
    "escapes": "\x1b[" * (MEGABYTE // 2),
    # the template table's paths: old-layout fragments, conn= values, messages and error texts alone
    "old-layout paths": "ztunnel::a: " * (MEGABYTE // 12),
    "old-layout spans": "inbound{id=1}: " * (MEGABYTE // 15),
    "conn": f"{TS}  INFO ztunnel::proxy::inbound: RBAC rejected conn=" + "a(" * (MEGABYTE // 2),
    "template alone": "XDS client connection error: " + "x, retrying in " * (MEGABYTE // 15),
    "error wrappers": 'error="' + "receive: " * (MEGABYTE // 9) + '"',
    "capital Ts": "T" * MEGABYTE,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_megabyte_of_hostile_input_stays_fast(name: str) -> None:
    line = HOSTILE[name]
    started = time.perf_counter()
    ztunnel.recognise(line)
    assert time.perf_counter() - started < 1.0, name
    event = parse(line)
    assert event.raw == line


# ---- every layout reaches ztunnel's own message table (meshtail/parse/ztunnel_templates.py)
# istio/istio.io content/en/docs/ops/ambient/usage/ztunnel/index.md (Istio 1.20/1.21): the old layout
RBAC_OLD = (
    "2023-10-10T23:14:00.534962Z  INFO inbound{id=cc493da5e89877489a786fd3886bd2cf peer_ip=10.240.2.2 "
    "peer_id=spiffe://cluster.local/ns/ambient-demo/sa/notsleep}: ztunnel::proxy::inbound: RBAC rejected "
    "conn=10.240.2.2(spiffe://cluster.local/ns/ambient-demo/sa/notsleep)->10.240.1.2:80"
)
_CONN = "conn=10.240.2.2(spiffe://cluster.local/ns/ambient-demo/sa/notsleep)->10.240.1.2:80"
LAYOUTS = {
    "old layout": RBAC_OLD,
    "built: without its time": RBAC_OLD.split("Z  ", 1)[1],
    "built: without time and level": RBAC_OLD.split("INFO ", 1)[1],
    "built: without spans": f"2023-10-10T23:14:00.534962Z  INFO ztunnel::proxy::inbound: RBAC rejected {_CONN}",
    "built: target first": f"ztunnel::proxy::inbound: RBAC rejected {_CONN}",
    "built: message first": f"RBAC rejected {_CONN}",
    "built: Istio layout": "2023-10-10T23:14:00.534962Z\tinfo\tproxy::inbound:inbound{id=cc49}\tRBAC rejected\t"
    + _CONN,
    "built: Istio layout, spaces": f"2023-10-10T23:14:00.534962Z     info    proxy::inbound  RBAC rejected   {_CONN}",
    "built: JSON": json.dumps(
        {
            "level": "info",
            "time": "2023-10-10T23:14:00.534962Z",
            "scope": "ztunnel::proxy::inbound",
            "message": "RBAC rejected",
            "conn": _CONN[5:],
            "inbound": {"id": "cc49"},
        }
    ),
    "built: colours": "\x1b[2m2023-10-10T23:14:00.534962Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[1minbound\x1b[0m"
    "\x1b[1m{\x1b[0mid=cc49\x1b[1m}\x1b[0m\x1b[2m:\x1b[0m \x1b[2mztunnel::proxy::inbound\x1b[0m\x1b[2m:\x1b[0m "
    f"RBAC rejected \x1b[3mconn\x1b[0m\x1b[2m=\x1b[0m{_CONN[5:]}",
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_layout_reaches_the_template_table(name: str) -> None:
    event = parse(LAYOUTS[name])
    assert (event.format, event.category, event.outcome, event.violation, event.action) == (
        "ztunnel",
        "auth",
        "deny",
        True,
        "authz.deny",
    ), name
    assert event.attributes["ztunnel.template"] == "RBAC rejected"
    assert event.attributes["client.address"] == "10.240.2.2"


@pytest.mark.parametrize(
    "line",
    [
        "2023-03-01T10:00:00.000000Z  INFO ztunnel::workload: handling delete 10.244.1.42",  # built: before 1.19
        "ztunnel::workload: handling delete 10.244.1.42",
        "2023-07-25T23:50:27.331610Z  INFO xds{id=1}: ztunnel::xds: handling RBAC update default/deny-all",
        "2024-08-07T08:16:27.672871Z\tinfo\txds\thandling RBAC delete default/deny-all",
    ],
)
def test_workload_and_policy_updates_from_xds_are_changes(line: str) -> None:
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.action) == ("ztunnel", "config", "change", "xds.change")


def test_an_old_err_field_is_read_like_error() -> None:
    # handson lab (index file id 48340828848): the source side of a refused connection, before 1.22
    line = (
        "WARN proxy{uid=e50ffaf0-9486-468b-85ba-1399f0793ffa}:outbound{id=9f733045fc630ba161476e6e1dc01a16}: "
        "ztunnel::proxy::outbound: failed dur=1.143567ms err=http status: 401 Unauthorized"
    )
    event = parse(line)
    assert (event.category, event.outcome, event.violation, event.action) == ("auth", "deny", True, "authz.deny")
    assert event.attributes["error.message"] == "http status: 401 Unauthorized"
    assert event.summary == "ztunnel proxy::outbound: failed: http status: 401 Unauthorized"
    other = parse(line.replace("http status: 401 Unauthorized", "io error: Connection refused (os error 111)"))
    assert (other.category, other.outcome, other.violation) == ("routing", "failure", False)


def test_a_template_only_a_different_level_printed_is_not_applied() -> None:
    # `listener established` is info; an error line with that text is not the listener starting
    line = "2025-04-15T19:39:27.314164Z\terror\tproxy::inbound\tlistener established\taddress=[::]:15008"
    event = parse(line)
    assert event.format == "ztunnel" and event.outcome == "failure"


# ztunnel logs some failures at info (istio/istio#55794), and a paste may carry no level at all
# (istio/istio#52077): the message's own words say it failed
RETRY_FAILED = '2025-04-03T14:02:04.440974Z    info    inpod::statemanager    retrying workload failed: failed to bind to address [::1]:15053: Cannot assign requested address (os error 99)    uid="977102b2-1599-4d65-b9d4-7a467648f2cb"'  # noqa: E501
NO_SERVER = 'inpod::workloadmanager    failed to connect to server "/var/run/ztunnel/ztunnel.sock": Os { code: 2, kind: NotFound, message: "No such file or directory" }.'  # noqa: E501


@pytest.mark.parametrize("line", [RETRY_FAILED, NO_SERVER])
def test_a_message_that_says_it_failed_is_a_failure_at_any_level(line: str) -> None:
    event = parse(line)
    assert event.format == "ztunnel" and event.outcome == "failure", (event.action, event.outcome)
    assert not event.violation


# the reason of a policy rejection quoted alone (Korean troubleshooting notes of an ambient install, public code
# search index file 37844933009): ztunnel's AuthorizationRejectionError texts (src/proxy.rs, impl Display), which
# only ever follow "connection closed due to policy rejection: "
@pytest.mark.parametrize(
    "line",
    ['error="allow policies exist, but none allowed"', "allow policies exist, but none allowed"],
)
def test_a_policy_rejection_reason_alone_is_a_ztunnel_denial(line: str) -> None:
    event = parse(line)
    assert verdict(event) == ("ztunnel", "auth", "deny", True)
    assert event.action == "authz.deny"


def test_the_pod_ztunnel_enrols_is_found_by_its_namespace() -> None:
    """istio/istio#52487 (tracing.jsonl:55): ztunnel enrolling a pod names it as istio-cni's lines do, so
    ``ns:herculesdev9a-worker`` finds the enrolment ztunnel logs from its own pod in istio-system."""
    from meshtail.query import compile_filter

    line = (
        '2024-08-07T08:16:27.676289Z\tinfo\tinpod::statemanager\tpod received, starting proxy\tuid="4a7f439b-b4c0-4f11-'
        'b6af-7d4bcb4563b0" name="stackstorm-ha-st2actionrunner-5d9fc664c7-fr49p" namespace="herculesdev9a-worker"'
    )
    event = parse(line, Source("kube", "istio-system", "ztunnel-x7k2p", "istio-proxy"))
    assert event.action == "inpod.add" and event.source.namespace == "istio-system", "premise: from ztunnel's pod"
    assert compile_filter("ns:herculesdev9a-worker").matches(event)
    assert event.attributes["k8s.pod.name"] == "stackstorm-ha-st2actionrunner-5d9fc664c7-fr49p"
    assert not compile_filter("ns:default").matches(event)


def test_kialis_ztunnel_log_view_line_is_a_completed_connection() -> None:
    """kiali/kiali#8146: Kiali's ztunnel log view keeps the pod in brackets and only the access fields; with its
    bytes and duration it is a completed connection (routing/success) of that pod, as the whole line is."""
    line = (
        '[ztunnel-b8dqs] src.addr=10.244.0.23:37034 src.workload="waypoint-5f89fbb8b5-jwb7g" src.namespace="bookinfo"'
        ' src.identity="spiffe://cluster.local/ns/bookinfo/sa/waypoint" dst.addr=10.244.0.12:15008 dst.hbone_addr=10.24'
        '4.0.12:9080 dst.service="ratings.bookinfo.svc.cluster.local" dst.workload="ratings-v1-794db9df8f-pmrj9" dst.na'
        'mespace="bookinfo" dst.identity="spiffe://cluster.local/ns/bookinfo/sa/bookinfo-ratings" direction="inbound" b'
        'ytes_sent=444 bytes_recv=716 duration="6000ms"'
    )
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.action) == (
        "ztunnel",
        "routing",
        "success",
        "tcp.connection",
    )
    assert event.source.pod == "ztunnel-b8dqs" and event.attributes["ztunnel.duration_ms"] == 6000


def test_an_access_record_kept_without_its_level_and_target() -> None:
    # a ztunnel access-log collector's Go test fixture (search-index file 56489498162, tests/data/holdout5): the
    # record's fields only, its destination the HBONE address; it was JSON of no family
    line = (
        '{"src.addr":"10.0.0.5:45000","dst.hbone_addr":"10.244.0.20:9080","direction":"outbound",'
        '"message":"connection complete"}'
    )
    event = parse(line)
    assert (event.format, event.category, event.action) == ("ztunnel", "routing", "tcp.connection")
    # an address alone is nobody's
    assert parse('{"src.addr":"10.0.0.5:45000","message":"connection complete"}').format == "unknown"


def test_a_zap_console_line_with_a_ztunnel_target_word_is_not_ztunnels() -> None:
    """kumahq/kuma (holdout43): Kuma's data-plane agent, zap's console encoder, logs under "config"; ztunnel writes
    its tab layout's level in lower case (telemetry.rs), so an upper-case level between tabs is a Go program's."""
    event = parse("2024-01-25T08:30:22.010Z\tINFO\tconfig\tskipping reading config from file")
    assert event.format == "unknown"
    # the premise: the same words in ztunnel's own layout are ztunnel's
    assert parse("2024-01-25T08:30:22.010215Z\tinfo\tconfig\tskipping reading config from file").format == "ztunnel"


def test_colour_codes_inside_an_uncoloured_lines_values_stay_to_be_seen() -> None:
    """An outside audit: ``src.workload="wl-\\x1b[31mRED\\x1b[0m"`` read as ``wl-RED``, one workload's name the same
    as another's though the line said otherwise; tracing's own colours (the time dimmed at the start) still go."""
    line = (
        '2024-08-07T08:16:27.676582Z\tinfo\taccess\tconnection complete\tsrc.addr=10.0.0.1:1234 src.workload="wl-'
        '\x1b[31mRED\x1b[0m" dst.addr=10.0.0.2:15008 direction="inbound" bytes_sent=1 bytes_recv=2 duration="1ms"'
    )
    event = parse(line)
    assert event.format == "ztunnel" and event.attributes["istio.source.workload"] == "wl-\\x1b[31mRED\\x1b[0m"
    assert "\x1b" not in event.summary and "wl-\\x1b[31mRED" in event.summary
    coloured = parse(LAYOUTS["built: colours"])
    assert coloured.action == "authz.deny" and "\\x1b" not in coloured.summary


def test_a_ztunnel_message_alone_is_claimed_by_its_own_fields_or_a_long_exact_text() -> None:
    # EKS Auto Mode notes (holdout56): the messages an operator looks for, quoted in a shell comment's list
    for line, action in (
        ('# - "listener established address=:15020 component=stats"', "listener.start"),
        ('# - "shared proxy mode - in-pod mode enabled"', None),
        ("workload proxy manager is ready", None),
    ):
        event = parse(line)
        assert event.format == "ztunnel", line
        if action:
            assert (event.action, event.outcome) == (action, "success")
    # the same short message with fields ztunnel never prints beside it, or alone, is anyone's
    assert parse("listener established port=80").format == "unknown"
    assert parse("listener established").format == "unknown"


def test_rustls_refusing_a_peer_s_certificate_pasted_alone_is_a_handshake_failure() -> None:
    # holdout56 (an ambient multicluster thread): the end of ztunnel's error= quoted on its own line
    event = parse("invalid peer certificate: BadSignature")
    assert verdict(event) == ("ztunnel", "auth", "failure", True)
    # istiod's certificate refused by ztunnel's XDS client stays the control plane's trust failure, not mesh traffic's
    xds = parse("XDS client connection error: invalid peer certificate: BadSignature")
    assert (xds.action, xds.violation) == ("xds.tls_failure", False)


def test_a_peer_that_did_not_present_the_expected_identity_is_an_mtls_failure() -> None:
    # istio/istio#61609 (holdout62): multi-network ambient with mismatched trust domains -- ztunnel closed the
    # connection because the peer's SPIFFE identity was not the one expected (src/tls/lib.rs TlsError::SanError); the
    # access line read as a plain connection failure, the re-wrapped fragment as nothing
    line = (
        "2025-01-01T00:00:00.000000Z\terror\taccess\tconnection complete\tsrc.addr=10.0.0.1:5000 "
        "dst.addr=10.0.0.2:15008 "
        'direction="outbound" error="connection closed due to identity verification error: peer did not present the '
        'expected SAN (spiffe://mesh.local/ns/sample/sa/default), got [\\"spiffe://cluster.local/ns/sample/sa/default\\"]"'
    )
    for text in (line, "  peer did not present the expected SAN (spiffe://mesh.local/ns/sample/sa/default),"):
        event = parse(text)
        assert verdict(event) == ("ztunnel", "auth", "failure", True)


def test_a_line_cut_inside_its_spans_is_still_ztunnel_s() -> None:
    # the corpus's ztunnel policy lines (a 2026 lab's ambient denials), cut where a terminal or an author cut them:
    # inside the span after the first, or inside a first span only ztunnel opens its lines with
    for line in (
        "2026-08-03T15:34:57.746680Z\tinfo\tstate:proxy{wl=default/http-server-6cbcc86f5d-lhq82}:inbound{id="
        "a050131fa769a20e255b9840bf445424 peer=10.244.0.5:4908",
        "2026-08-03T15:34:57.746680Z\tinfo\tinbound{id=a050131fa769a20e255b9840bf445424 peer=10.244.0.5:4908",
    ):
        assert parse(line).format == "ztunnel", line
    # a brace another program opens and never closes is not a span of ztunnel's
    assert (
        parse("2026-08-03T15:34:57.746680Z\tinfo\tfoo{id=a050131fa769a20e255b9840bf445424 peer=1").format != "ztunnel"
    )


def test_a_line_cut_in_front_inside_its_spans_is_read_from_the_message() -> None:
    # holdout129 (istio/ztunnel#1585): an author cut the line's time, level, target and most of its span away
    cut = "b57f79f-46cr9}\tTLS handshake error: Too many open files (os error 24)"
    event = parse(cut)
    assert verdict(event) == ("ztunnel", "auth", "failure", True)
    assert event.attributes["meshtail.partial"] is True
    # the corpus's policy lines cut inside their inbound span (fields with blanks left), with tabs or spaces after
    for line in (
        'f445424 peer=10.244.0.5:49084}\tdeny policy match\tpolicy="default/deny-http-server-protect"',
        "9b402dc peer=10.244.0.5:49084}    no allow policies matched",
    ):
        assert verdict(parse(line)) == ("ztunnel", "auth", "deny", True), line
    # the spans whole but nothing before them, and a log UI's label set cut before a level-first line
    assert verdict(
        parse("inbound{peer_ip=10.0.0.1 peer_id=spiffe://x}\tTLS handshake error: Too many open files (os error 24)")
    ) == (
        "ztunnel",
        "auth",
        "failure",
        True,
    )
    labels = 'mespace="istio-system", pod="ztunnel-4hx7d"} warn\txds::client:xds{id=12}\tXDS client connection error: x'
    assert parse(labels).format == "ztunnel"
    # a brace and a tab before words of no ztunnel message, or before another span's, are nobody's
    assert parse("foo}\tsome words of any program here").format == "unknown"
    assert parse("inbound{x=1}  some random words here").format == "unknown"


def test_a_span_left_open_inside_a_whole_line_is_no_cut() -> None:
    # (found in review) an unbalanced quote in a span's value left its brace unclosed, and the rest of the line --
    # message and fields -- was taken for the span's: a line that goes on past the open brace (a later "}" or a
    # column's tab) was not cut there
    line = (
        '2026-08-03T15:34:57.746680Z\tinfo\tstate:proxy{wl=default/x name="a}:inbound{id=1 peer=2}\tdeny policy match'
        "\tpolicy=default/deny"
    )
    assert parse(line).summary != "ztunnel state: "


def test_a_panic_in_ztunnels_source_is_its_exit() -> None:
    # holdout93 (istio/ztunnel thread, a prow run): Rust's panic report before 1.73, located in ztunnel's own tree;
    # and since 1.73, the location first ("panicked at src/xds/client.rs:237:57:", the message on the next line)
    for line in (
        "thread 'main' panicked at 'called `Result::unwrap()` on an `Err` value: Decode(DecodeError { description: "
        '"unexpected end group tag", stack: [("Workload", "rbac")] })\', '
        "/home/prow/go/src/istio.io/ztunnel/src/xds/client.rs:237:57",
        "thread 'tokio-runtime-worker' panicked at src/proxy/inbound.rs:120:9:",
    ):
        event = parse(line)
        assert (event.format, event.outcome, event.action) == ("ztunnel", "failure", "ztunnel.fatal"), line
    # any other Rust program's panic is its own
    assert parse("thread 'main' panicked at 'boom', src/main.rs:1:1").format == "unknown"


def test_another_rust_programs_panic_is_its_own() -> None:
    # (found in review) "src/app.rs", "src/config.rs": a module of one level is any Rust program's (Vector has both)
    for line in ("thread 'main' panicked at src/app.rs:20:5:", "thread 'main' panicked at 'x', src/config.rs:42:10"):
        assert parse(line).format == "unknown", line


def test_a_ztunnel_message_pasted_without_its_start_and_first_value() -> None:
    # holdout116 (a sidecar-to-ambient guide's cut-down output): "pod {} received netns, starting proxy" quoted from
    # its words after the pod; what is left is ztunnel's alone ("netns"), so it reads as the enrolment it is
    for line in ("... received netns, starting proxy", "received netns, starting proxy"):
        event = parse(line)
        assert (verdict(event), event.action) == (("ztunnel", "config", "change", False), "inpod.add"), line
    assert parse("starting proxy").format == "unknown"  # premise: the words alone without "received netns" are not


def test_the_tail_of_a_ztunnel_message_in_plain_english_is_not_claimed() -> None:
    # (second reader) "connection {} closed because it's no longer allowed after a policy update" cut to its words
    # after the value is any author's English: only a tail naming ztunnel's own things is read
    for line in (
        "closed because it's no longer allowed after a policy update",
        "but it did not have the expected namespace/hostname format",
    ):
        assert parse(line).format == "unknown", line
