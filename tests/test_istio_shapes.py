# ruff: noqa: E501  (real log lines are long; they are kept whole, as their sources print them)
"""Every shape istiod (pilot-discovery) and istio-agent (pilot-agent) print, and what each means.

Lines are real (verbatim from tests/data/corpus/istio, each cited with its corpus record's ``src``)
unless a comment says it was built from Istio's source; the source decides nothing unless a test
says so (``Source("file")`` is a pasted file with nothing known about it).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse import istio_cni, istio_go
from meshtail.parse.detect import StreamParser
from meshtail.parse.istio_go import read_line

from .conftest import DATA, parse, verdict

FILE = Source("file", path="pasted.log", line=1)


def judge(line: str, source: Source | None = None) -> tuple[str, str, str, bool]:
    event = parse(line, source or FILE)
    return event.format, event.category, event.outcome, event.violation


# ------------------------------------------------------------------------------------ columns
def test_tab_columns_scope_and_labels() -> None:
    # istio/istio#45739
    line = read_line("2023-06-29T02:56:41.245272Z\tinfo\tcontrollers\tstarting\tcontroller=webhook patcher")
    assert line is not None
    assert (line.stamp, line.level, line.scope, line.message) == (
        "2023-06-29T02:56:41.245272Z",
        "info",
        "controllers",
        "starting",
    )
    assert line.fields == {"controller": "webhook patcher"}  # label values keep their spaces


def test_tabs_expanded_to_tab_stops_and_to_four_spaces() -> None:
    # istio/istio#54790 (8-column tab stops) and istio/istio#54475 (4 spaces)
    stops = read_line(
        "2025-01-22T06:43:41.524809Z     info    controllers     starting        "
        "controller=auto-register existing connections"
    )
    assert stops is not None and stops.scope == "controllers" and stops.message == "starting"
    assert stops.fields == {"controller": "auto-register existing connections"}
    four = read_line(
        "2024-12-26T08:20:11.976590Z    info    gateway    gateway updated    gateway=istio-system/istio-egress"
    )
    assert four is not None and (four.scope, four.message) == ("gateway", "gateway updated")
    assert four.fields == {"gateway": "istio-system/istio-egress"}


def test_a_seven_letter_scope_is_followed_by_one_space_when_tabs_are_expanded() -> None:
    # istio/istio#50072: "ambient" ends at column 47, so its tab became a single space
    line = read_line("2024-03-24T23:28:47.457353Z     error   ambient failed to add pod to ztunnel: exit status 1")
    assert line is not None and line.scope == "ambient" and line.message.startswith("failed to add pod")


def test_single_spaced_docs_rendering() -> None:
    # istio.io: zh/docs/ops/common-problems/security-issues
    line = read_line(
        "2021-04-23T20:53:29.507911Z debug authorization Processed authorization policy for "
        "httpbin-74fb669cc6-lpscm.foo with details:"
    )
    assert line is not None and (line.level, line.scope) == ("debug", "authorization")
    assert judge(
        "2021-04-23T20:53:29.507314Z info ads Push debounce stable[31] 1: 100.981865ms since last change, "
        "100.981653ms since last push, full=true"
    ) == ("istiod", "config", "change", False)


def test_default_scope_has_no_scope_column() -> None:
    # istio/istio#54790
    line = read_line("2025-01-22T06:43:41.523241Z     info    ControlZ available at 127.0.0.1:9876")
    assert line is not None and line.scope is None and line.message == "ControlZ available at 127.0.0.1:9876"
    # istio/istio tools/bug-report/pkg/testdata/input/ingress.log
    line = read_line('2020-06-29T23:37:27.285018Z\tinfo\tFLAG: --concurrency="0"')
    assert line is not None and line.scope is None and line.message == 'FLAG: --concurrency="0"'


def test_caller_column_tabbed_and_spaced() -> None:
    # istio/istio#37445 + pkg/log caller column (corpus istiod-derived.jsonl:7)
    tabbed = "2022-02-19T00:45:42.482188Z\tinfo\tads\txds/ads.go:568\tXDS: Pushing:2022-02-19T00:45:42Z/94 Services:6 ConnectedEndpoints:3  Version:2022-02-19T00:45:42Z/94"
    event = parse(tabbed, FILE)
    assert (event.format, event.category, event.outcome, event.action) == ("istiod", "config", "change", "xds.push")
    assert event.attributes["istio.caller"] == "xds/ads.go:568"
    assert event.attributes["istio.push.services"] == 6
    spaced = tabbed.replace("\t", "     ")
    event = parse(spaced, FILE)
    assert event.attributes["istio.caller"] == "xds/ads.go:568" and event.action == "xds.push"


def test_tabs_shown_as_backslash_t_and_trailing_spaces() -> None:
    # istio/istio#23031: copied out of a log aggregator's JSON field
    line = (
        "2020-07-31T04:25:33.876552Z\\twarn\\tads\\tADS:LDS: ACK ERROR 10.xx.xx.xx:35438 "
        "router~10.xx.xx.xx~usergateway-7844d4c765-8nplq.dev-ns~dev-ns.svc.cluster.local-5135 "
        "Internal:Error adding/updating listener(s) 0.0.0.0_10002: Invalid path: "
        "/etc/istio/ingressgateway-ca-certs/ca-chain.cert.pem"
    )
    event = parse(line, FILE)
    assert verdict(event) == ("istiod", "config", "failure", True)
    assert event.attributes["istio.proxy"].startswith("router~10.xx.xx.xx~usergateway")
    # istio/istio#30119, with trailing spaces as a terminal copy leaves them
    cert = parse(
        "2021-01-15T19:26:07.106529Z     info    cache   generated new workload certificate      "
        "latency=402.616431ms ttl=9m59.893482857s   ",
        FILE,
    )
    assert cert.action == "cert.issue" and cert.attributes["istio.cert.ttl"] == "9m59.893482857s"


def test_level_and_scope_without_timestamp() -> None:
    # istio/istio#26428
    event = parse(
        "error\tads\tFailed to authenticate client from [::1]:54835 Authenticator ClientCertAuthenticator: "
        "no verified chain is found",
        FILE,
    )
    assert verdict(event) == ("istiod", "auth", "deny", True)
    assert event.attributes["client.address"] == "[::1]:54835"
    assert event.attributes["error.message"] == "Authenticator ClientCertAuthenticator: no verified chain is found"


# ------------------------------------------------------------------------------------ fragments
@pytest.mark.parametrize(
    ("line", "family", "action"),
    [
        # istio/istio#39652: message-only paste
        (
            "Push debounce stable[5182] 3 for config ServiceEntry/manager-stable/admin-panel.manager-stable.svc."
            "cluster.local and 2 more configs: 100.566695ms since last change, 173.244626ms since last push, full=true",
            "istiod",
            "xds.push",
        ),
        # istio/istio#30582
        (
            "upstream terminated with unexpected error rpc error: code = Internal desc = stream terminated by "
            "RST_STREAM with error code: NO_ERROR",
            "istio-agent",
            "xds.upstream_error",
        ),
        # istio/istio#23031 (message only)
        (
            "ADS:LDS: ACK ERROR 10.xx.xx.xx:35438 router~10.xx.xx.xx~usergateway-7844d4c765-8nplq.dev-ns~dev-ns.svc."
            "cluster.local-5135 Internal:Error adding/updating listener(s) 0.0.0.0_10002: Invalid path: /x",
            "istiod",
            "xds.reject",
        ),
    ],
)
def test_fragments_that_are_istios(line: str, family: str, action: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.action) == (family, action)
    assert event.time is None  # no timestamp of its own (the event keeps when it was received)


@pytest.mark.parametrize(
    "line",
    [
        "The push went through after we restarted istiod",
        "error something happened while deploying",
        "info\tsome sentence that is not a log line",
        "Push the button",
        # the OpenTelemetry collector's zap console line (wrappers/otel-debug.jsonl:39): milliseconds, not pkg/log
        "2025-05-11T21:54:09.536Z info ResourceLog #0",
    ],
)
def test_bare_sentences_stay_unknown(line: str) -> None:
    assert istio_go.recognise(line, None) is None
    assert istio_cni.recognise(line, None) is None
    assert parse(line, FILE).format == "unknown"


# ------------------------------------------------------------------------------------ istiod
PUSHES = [
    # istio/istio#29974
    "2021-01-11T15:47:39.022347Z\tinfo\tads\tPush debounce stable[8] 1: 100.113051ms since last change, "
    "100.112868ms since last push, full=true",
    # istio/istio#54475 + pilot/pkg/xds/discovery.go:388 (corpus istiod-derived.jsonl:4, forced= on master)
    "2024-12-26T08:20:12.016981Z\tinfo\tads\tPush debounce stable[23397] 1 for config Gateway/istio-system/"
    "istio-egress: 100.779431ms since last change, 100.779331ms since last push, forced=true",
    # istio/istio#36465
    "2022-01-10T18:26:56.518121Z\tinfo\tads\tXDS: Pushing:2022-01-10T18:26:56Z/2821 Services:104 "
    "ConnectedEndpoints:4  Version:2022-01-10T18:26:56Z/2821",
    "2022-01-10T18:26:56.521678Z\tinfo\tads\tCDS: PUSH for node:istio-ingressgateway-6897dcd6f8-vrmvb.istio-system "
    "resources:137 size:118.2kB cached:131/136",
    # istio/istio#30765
    "2021-02-09T16:18:59.914811Z\tinfo\tads\tXDS: Incremental Pushing:2021-02-09T16:18:55Z/12 ConnectedEndpoints:3",
    # istio/istio#23208
    "2020-04-30T01:14:51.304622Z\tinfo\tads\tPushing sidecar~10.10.0.14~a-v1-5c6f864b6-5pl7z.mc-reachability-2-28442~"
    "mc-reachability-2-28442.svc.cluster.local-3",
    # istio/istio#10858 (Istio 1.0/1.1)
    "2019-04-08T07:41:56.785872Z     info    ads     ADS: RDS: PUSH for node: istio-ingressgateway-75b684df9-gx2kc."
    "istio-system addr:192.168.88.148:51776 routes:0",
    "2019-01-10T06:39:31.942945Z\tinfo\tads\tCDS: PUSH 2019-01-10T03:14:12Z for reseller-service-c6b557dd-jmpx6."
    'cap-staging "127.0.0.1:52310", Clusters: 78, Services 46',
    # istio/istio#28120 (JSON)
    '{"level":"info","time":"2020-10-20T18:38:58.574420Z","scope":"ads","msg":"XDS:EDSInc Pushing:2020-10-20T18:11:26Z'
    '/249 Services:map[admin.private-advert-service.svc.cluster.local:{}] ConnectedEndpoints:146"}',
]


@pytest.mark.parametrize("line", PUSHES)
def test_pushes_are_config_changes(line: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.violation, event.action) == (
        "istiod",
        "config",
        "change",
        False,
        "xds.push",
    )


def test_push_attributes() -> None:
    forced = parse(PUSHES[1], FILE).attributes
    assert forced["istio.push.config"] == "Gateway/istio-system/istio-egress" and forced["istio.push.forced"] is True
    typed = parse(PUSHES[3], FILE).attributes
    assert (typed["istio.xds.type"], typed["istio.xds.resources"]) == ("CDS", 137)
    assert parse(PUSHES[4], FILE).attributes["istio.push.full"] is False
    assert parse(PUSHES[8], FILE).attributes["istio.push.connected_endpoints"] == 146


def test_nack_text_and_json() -> None:
    # istio/istio#61097 (first line of a multi-line NACK) and its pkg/log JSON form (istiod-derived.jsonl:6)
    text = parse(
        "2026-08-03T03:41:48.503582Z\twarn\tads\tADS:CDS: ACK ERROR deviceuser-545b9b4c5f-k2sbk.device-47920 "
        "Internal:Proto constraint validation failed (ClusterValidationError.OutlierDetection: embedded message "
        "failed validation | caused by OutlierDetectionValidationError.Interval: value must be greater than 0",
        FILE,
    )
    assert (text.category, text.outcome, text.violation, text.severity) == ("config", "failure", True, "error")
    assert text.attributes["istio.proxy"] == "deviceuser-545b9b4c5f-k2sbk.device-47920"
    assert text.attributes["istio.xds.type"] == "CDS"
    obj = json.dumps(
        {
            "level": "warn",
            "time": "2026-08-03T03:41:48.503582Z",
            "scope": "ads",
            "msg": "ADS:CDS: ACK ERROR deviceuser-545b9b4c5f-k2sbk.device-47920 Internal:Proto constraint "
            "validation failed",
        }
    )
    event = parse(obj, FILE)
    assert (event.format, event.action, event.violation) == ("istiod", "xds.reject", True)


@pytest.mark.parametrize(
    ("line", "want"),
    [
        # istio/istio#20319: a proxy's request
        (
            "2020-01-20T05:39:42.553528Z     info    ads     ADS:CDS: REQ 127.0.0.1:36146 sidecar~10.0.0.74~"
            "app-33-ymgeudtr.workload~workload.svc.cluster.local-33 326.582µs version:",
            ("istiod", "config", "success", False),
        ),
        # istio/istio#38179
        (
            "2022-03-30T15:09:49.033646Z\tinfo\tads\tADS: new connection for node:router~10.233.106.13~"
            "cluster-local-gateway-7796d7bc87-xbwhx.istio-system~istio-system.svc.cluster.local-8",
            ("istiod", "config", "success", False),
        ),
        # istio/istio#30765: a proxy went away
        (
            '2021-02-09T16:43:19.804889Z\tinfo\tads\tADS: "10.215.2.17:35980" router~10.215.2.17~istio-ingressgateway-'
            "5c847bd59b-689tz.istio-system~istio-system.svc.cluster.local-1 terminated rpc error: code = Canceled "
            "desc = context canceled",
            ("istiod", "config", "unknown", False),
        ),
        # istio/istio#46947
        (
            "2023-09-12T03:57:40.980992Z\terror\tdelta\tADS:WDS: New ACK and old ACK check mismatch: true vs false",
            ("istiod", "config", "failure", False),
        ),
        # istio/istio#26428
        (
            "2020-08-12T18:26:49.872087Z\terror\tads\tFailed to authenticate client &{[::1]:51449 {{772 true false "
            "4865 h2 true localhost [] [] [] [] 0x1413000 []} {PrivacyAndIntegrity}}}",
            ("istiod", "auth", "deny", True),
        ),
        # istio/istio#29974: the validation webhook refused a config
        (
            "2021-01-11T15:47:30.005570Z\tinfo\tvalidationServer\tconfiguration is invalid: gateway must have at "
            "least one server",
            ("istiod", "config", "deny", True),
        ),
        (
            "2021-01-11T15:47:30.007233Z\tinfo\tvalidationController\tEndpoint successfully rejected invalid config. "
            "Switching to fail-close.",
            ("istiod", "config", "success", False),
        ),
        (
            "2021-01-11T15:47:29.628097Z\tinfo\tvalidationController\tReconcile(enter): add event (v1, Kind=Endpoints) "
            "istio-system/istiod",
            ("istiod", "config", "unknown", False),
        ),
        # istio/istio#53295: the webhook controller failing is not a rejected config
        (
            "2024-09-25T15:15:24.355836Z     error   validationController    failed to updated: Operation cannot be "
            'fulfilled on validatingwebhookconfigurations.admissionregistration.k8s.io "istio-validator-1-22-istio-'
            'system": the object has been modified; please apply your changes to the latest version and try again',
            ("istiod", "config", "failure", False),
        ),
        (
            "2024-09-25T15:15:23.016108Z     error   controllers     error handling istio-validator-1-22-istio-system, "
            "retrying (retry count: 1): webhook is not ready, retry        controller=validation",
            ("istiod", "config", "failure", False),
        ),
        # istio/istio#20319 / #18503 / #10858: the registry changed
        (
            "2020-01-20T05:39:42.348356Z     info    ads     Full push, new service app-33.workload.svc.cluster.local",
            ("istiod", "config", "change", False),
        ),
        ("2019-11-01T07:48:11.289393Z\tinfo\tAdding new cluster member: n2-k8s-secret", ("istiod", "config", "change", False)),
        (
            "2019-04-08T07:41:55.047283Z     info    Handling event update for pod productpage-v1-7dfb78b57f-8p5w8 in "
            "namespace hobby -> 192.168.94.1",
            ("istiod", "config", "change", False),
        ),
        # istio/istio#7525: leader election is not config
        (
            "2018-07-31T12:17:43.074976Z\terror\tFailed to update lock: Operation cannot be fulfilled on configmaps "
            '"istio-ingress-controller-leader-istio": the object has been modified; please apply your changes to the '
            "latest version and try again",
            ("istiod", "other", "failure", False),
        ),
        # istio/istio#54790: start-up
        ("2025-01-22T06:43:41.523622Z     info    status  Starting status manager", ("istiod", "other", "success", False)),
        ("2025-01-22T06:43:41.523882Z     info    Istiod CA has started", ("istiod", "other", "success", False)),
        ("2025-01-22T06:43:41.523241Z     info    ControlZ available at 127.0.0.1:9876", ("istiod", "other", "unknown", False)),
        # istio/istio#38179: the CA's root rotation
        ("2022-03-30T15:14:15.012188Z\tinfo\trootcertrotator\tCheck and rotate root cert.", ("istiod", "auth", "unknown", False)),
        # istio/istio#22242
        ("2020-03-17T09:55:04.414343Z\tinfo\tmcp\tNew MCP sink stream created", ("istiod", "config", "success", False)),
        # istio/istio#38179: a warning that is not a failure
        (
            "2022-03-30T15:09:49.036063Z\twarn\tconstructed http route config for route http.80 on port 80 with no "
            "vhosts; Setting up a default 404 vhost",
            ("istiod", "config", "unknown", False),
        ),
        # istio/istio#18503
        ("2019-11-01T07:48:11.188589Z\twarn\tRun: this operation is not supported by mcp controller", ("istiod", "other", "unknown", False)),
    ],
)  # fmt: skip
def test_istiod_decisions(line: str, want: tuple[str, str, str, bool]) -> None:
    assert judge(line) == want


def test_an_injector_template_that_renders_invalid_yaml_is_invalid_config() -> None:
    # rancher/rancher#30921 (Istio 1.5's istio-sidecar-injector, tests/data/holdout35): the injection config is
    # broken; it was a config failure that no Violations pane showed
    event = parse(
        "2021-01-20T20:16:08.176482Z\terror\tInjection data: err=failed parsing generated injected YAML (check Istio "
        "sidecar injector configuration): error converting YAML to JSON: yaml: line 160: did not find expected key spec=",
        FILE,
    )
    assert verdict(event) == ("istiod", "config", "failure", True)
    assert event.action == "config.invalid"


def test_webhook_self_probe_is_not_a_violation() -> None:
    # tests/data/istiod.log line 13 (istiod's start-up probe of its own webhook)
    event = parse(
        "2024-07-25T20:12:55.892521Z\tinfo\tvalidationServer\tconfiguration is invalid: "
        '"internal.istio.io/webhook-always-reject" annotation found, rejecting (dry run)',
        FILE,
    )
    assert (event.action, event.violation) == ("istiod.webhook_probe", False)


def test_gateway_controller_text_and_json() -> None:
    # istio/istio#54475 (4-space paste) and its pkg/log JSON form (istiod-derived.jsonl:5)
    text = parse(
        "2024-12-26T08:20:11.976590Z    info    gateway    gateway updated    gateway=istio-system/istio-egress", FILE
    )
    assert (text.format, text.category, text.outcome, text.action) == ("istiod", "config", "change", "gateway.update")
    assert text.attributes["istio.gateway"] == "istio-system/istio-egress"
    obj = parse(
        '{"level":"info","time":"2024-12-26T08:20:11.976590Z","scope":"gateway","msg":"gateway updated",'
        '"gateway":"istio-system/istio-egress"}',
        FILE,
    )
    assert (obj.format, obj.outcome, obj.attributes["istio.gateway"]) == (
        "istiod",
        "change",
        "istio-system/istio-egress",
    )
    # deploymentcontroller.go (istiod-derived.jsonl:2-3)
    reconciling = parse(
        "2024-12-26T08:20:11.976590Z\tinfo\tgateway\treconciling gateway with controller istio.io/gateway-controller"
        "\tgateway=istio-system/istio-egress",
        FILE,
    )
    assert (reconciling.category, reconciling.outcome, reconciling.action) == ("config", "unknown", "gateway.reconcile")
    # built from pkg/kube/krt/collection.go: h.log.Infof("%v synced (uid %v)", ...)
    synced = parse("2024-12-26T08:20:11.976590Z\tinfo\tkrt\tinformer/Pods synced (uid 3)", FILE)
    assert (synced.format, synced.category, synced.outcome, synced.action) == (
        "istiod",
        "config",
        "success",
        "krt.synced",
    )


def test_json_without_scope_and_with_typed_labels() -> None:
    # istio/istio tools/bug-report/pkg/testdata/input/format_json.log: default scope has no "scope" key
    event = parse(
        '{"level":"info","time":"2023-05-10T17:43:55.356626Z","msg":"FLAG: --keepaliveTimeout=\\"10s\\""}', FILE
    )
    assert (event.format, event.category, event.outcome) == ("istiod", "other", "unknown")
    assert "istio.scope" not in event.attributes and event.time == "2023-05-10T17:43:55.356626Z"
    # istio/istio#46065: a label as a typed key
    event = parse(
        '{"level":"error","time":"2023-07-18T22:45:23.289436Z","scope":"controllers","msg":"error handling '
        '/istiod-default-validator, retrying (retry count: 10): webhook is not ready, retry","controller":"validation"}',
        FILE,
    )
    assert (event.category, event.outcome, event.attributes["istio.controller"]) == ("config", "failure", "validation")
    # istio/istio#33360: arrays and nested objects as label values
    event = parse(
        '{"level":"info","time":"2021-06-11T13:45:57.750890Z","msg":"Proxy role","ips":["100.64.134.151",'
        '"fe80::e80f:8dff:fe9d:9002"],"type":"sidecar","id":"debug-diranged.test","domain":"test.svc.cluster.local",'
        '"meta":{"a":{"b":[1,2]}}}',
        FILE,
    )
    assert event.format == "istio-agent"
    assert event.attributes["istio.ips"] == ["100.64.134.151", "fe80::e80f:8dff:fe9d:9002"]
    assert event.attributes["istio.meta"] == {"a": {"b": [1, 2]}}


@pytest.mark.parametrize(
    "line",
    [
        # cert-manager/istio-csr#84, #161, #215: istio-csr logs through Istio's pkg/log, its klog bridge included
        "2021-08-11T02:46:06.989373Z\tinfo\tklog\tattempting to acquire leader lease istio-system/istio-csr...",
        "2022-06-13T16:23:06.639640Z     info    klog    successfully acquired lease istio-system/istio-csr",
        '2023-07-10T04:12:47.528397Z    error    klog    manager "msg"="error received after stop sequence was engaged" '
        '"error"="leader election lost" ',
        '2021-08-11T02:46:08.306969Z\tinfo\tklog\tcert-manager "msg"="created CertificateRequest" '
        '"identity"="istio-csr-serving" "name"="istio-csr-7hsrl" "namespace"="istio-system" ',
    ],
)
def test_another_programs_klog_lines_are_not_istiods(line: str) -> None:
    # istio-csr's leader election and controller-runtime's logr pairs read as istiod's own leader election
    assert parse(line, FILE).format == "unknown"


def test_istiods_own_klog_lines_stay_istiods() -> None:
    # istio/istio (holdout7): istiod's reflector through the same bridge
    line = "2023-07-19T06:48:44.482039Z     info    klog    Config not found: /var/run/secrets/remote/config"
    assert parse(line, FILE).format == "istiod"


# ------------------------------------------------------------------------------------ istio-agent
@pytest.mark.parametrize(
    ("line", "want"),
    [
        # istio/istio tools/bug-report/pkg/testdata/input/ingress.log
        ("2020-06-29T23:37:30.890178Z\tinfo\tEnvoy proxy is ready", ("istio-agent", "other", "success", False)),
        ("2020-06-29T23:37:27.439587Z\tinfo\tStarting proxy agent", ("istio-agent", "other", "success", False)),
        ("2020-06-29T23:37:27.439724Z\tinfo\tReceived new config, creating new Envoy epoch 0", ("istio-agent", "config", "change", False)),
        ("2020-06-29T23:37:27.535235Z\tinfo\tsds\tresource:default new connection", ("istio-agent", "auth", "success", False)),
        ("2020-06-29T23:37:27.671934Z\tinfo\tcache\tRoot cert has changed, start rotating root cert for SDS clients", ("istio-agent", "auth", "change", False)),
        ("2020-06-29T23:37:27.672377Z\tinfo\tsds\tresource:default pushed key/cert pair to proxy", ("istio-agent", "auth", "success", False)),
        ("2020-06-29T23:37:27.335723Z\tinfo\tUsing user-configured CA istiod.istio-system.svc:15012", ("istio-agent", "auth", "unknown", False)),
        ('2020-06-29T23:37:27.287996Z\tinfo\tPilotSAN []string{"istiod.istio-system.svc"}', ("istio-agent", "other", "unknown", False)),
        ("2020-06-29T23:37:27.285550Z\tinfo\tVersion 1.6.3-1e8c62baad31c829c5993235c429248f36a85478-dirty-Modified", ("istio-agent", "other", "unknown", False)),
        # an Istio 1.28 sidecar's start (a GitHub markdown log, tests/data/holdout34): the pod's resolver file is the
        # agent's to read (it was istiod's)
        (
            "2025-11-23T05:59:12.289107Z     warn    Failed to load the zone name of the pod from resolv.conf",
            ("istio-agent", "other", "failure", False),
        ),
        # the agent's platform probe and 0.6-1.0 locality guess (a GitHub markdown workshop, holdout29; a VM's
        # journal, holdout32): both were istiod's
        (
            "2018-04-04T14:08:02.514139Z\tinfo\tAvailability zone not set, proxy will default to not using zone aware "
            "routing.",
            ("istio-agent", "other", "unknown", False),
        ),
        (
            "2026-03-20T00:45:51.841490Z     debug   token is empty, will fallback to IMDSv1",
            ("istio-agent", "other", "unknown", False),
        ),
        # readiness: istio/istio#13215 (JSON, no scope) and istio/istio#45393
        (
            '{"level":"info","time":"2019-04-10T18:16:05.804067Z","msg":"Envoy proxy is NOT ready: config not received '
            'from Pilot (is Pilot running?): cds updates: 2 successful, 0 rejected; lds updates: 0 successful, 0 rejected"}',
            ("istio-agent", "other", "failure", False),
        ),
        (
            "2023-06-12T20:48:02.647553Z    warn    Envoy proxy is NOT ready: config received from XDS server, but was "
            "rejected: cds updates: 1 successful, 0 rejected; lds updates: 0 successful, 1 rejected",
            ("istio-agent", "config", "failure", True),
        ),
        # istio/istio#37888
        ("2023-09-08T19:39:55.975319Z     info    Readiness succeeded in 24.182425806s", ("istio-agent", "other", "success", False)),
        (
            '2023-09-08T19:44:06.938866Z     error   Request to probe app failed: Get "http://172.29.2.174:8400/internal/'
            'ping": context deadline exceeded (Client.Timeout exceeded while awaiting headers), original URL path = '
            "/app-health/app-name/livez",
            ("istio-agent", "other", "failure", False),
        ),
        # istio/istio#28192 / #29957 / #33877: the xDS proxy
        ("2020-10-22T14:55:42.314876Z     info    xdsproxy        Envoy ADS stream established", ("istio-agent", "config", "success", False)),
        (
            "2020-10-22T14:55:59.090566Z     error   xdsproxy        upstream send error for type url "
            "type.googleapis.com/envoy.config.listener.v3.Listener: context deadline exceeded",
            ("istio-agent", "config", "failure", False),
        ),
        ("2021-01-10T04:36:31.843754Z\twarn\txdsproxy\tunregister stream", ("istio-agent", "config", "unknown", False)),
        ("2021-07-08T02:13:56.465960Z\tinfo\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012", ("istio-agent", "config", "success", False)),
        # istio/istio#22443: gateway SDS could not load a secret
        (
            "2020-06-01T01:08:34.787721Z     warn    secretfetcher   failed load server cert/key pair from secret "
            "datahub-gateway-privatekey: server cert or private key is empty",
            ("istio-agent", "auth", "failure", False),
        ),
        # istio/istio#33293 / #37888: the agent's own SDS server logs under "ads"
        (
            "2021-06-07T15:16:22.311495Z\tinfo\tads\tSDS: PUSH for node:istio-ordering-5d4d8f775f-5g29v.service-mesh "
            "resources:1 size:6.7kB",
            ("istio-agent", "auth", "success", False),
        ),
        (
            "2023-09-08T19:39:53.561152Z     info    ads     SDS: PUSH request for node:edge-dev-app-name-primary-"
            "7d5fdc4dff-6c9vb.dev resources:1 size:3.9kB resource:default",
            ("istio-agent", "auth", "success", False),
        ),
        ("2021-06-07T15:16:22.210859Z\tinfo\tads\tXDS: Incremental Pushing:0 ConnectedEndpoints:5 Version:", ("istio-agent", "config", "change", False)),
        # istio/istio#30119
        ("2021-01-15T19:26:07.147099Z     info    sds     SDS: PUSH       resource=ROOTCA", ("istio-agent", "auth", "success", False)),
        # istio/istio#18505 / #45049 / #52370
        ("2019-10-31T15:36:11.817382Z     info    watching /etc/certs for changes", ("istio-agent", "auth", "unknown", False)),
        ("2023-05-23T12:47:23.577072Z     info    starting", ("istio-agent", "other", "success", False)),
        ("2024-07-27T15:26:01.115128Z     info    Workload SDS socket not found. Starting Istio SDS Server", ("istio-agent", "auth", "unknown", False)),
    ],
)  # fmt: skip
def test_agent_decisions(line: str, want: tuple[str, str, str, bool]) -> None:
    assert judge(line) == want


def test_envoy_command_is_other_unknown() -> None:
    # istio/istio tools/bug-report/pkg/testdata/input/ingress.log (cut)
    event = parse(
        "2020-06-29T23:37:27.457670Z\tinfo\tEnvoy command: [-c etc/istio/proxy/envoy-rev0.json --restart-epoch 0 "
        "--drain-time-s 45 --parent-shutdown-time-s 60 --service-cluster istio-ingressgateway]",
        FILE,
    )
    assert (event.format, event.category, event.outcome, event.action) == (
        "istio-agent",
        "other",
        "unknown",
        "proxy.command",
    )


def test_certificate_labels_text_and_json() -> None:
    # istio/istio#30119 + secretcache.go (agent-derived.jsonl:1 and :3)
    text = parse(
        "2021-01-15T19:26:07.106529Z\tinfo\tcache\tgenerated new workload certificate\tresourceName=default "
        "latency=402.616431ms ttl=9m59.893482857s",
        FILE,
    )
    assert text.attributes["istio.cert.latency"] == "402.616431ms"
    assert text.attributes["istio.sds.resource"] == "default"
    obj = parse(
        '{"level":"info","time":"2021-01-15T19:26:07.106529Z","scope":"cache","msg":"generated new workload '
        'certificate","resourceName":"default","latency":"402.616431ms","ttl":"9m59.893482857s"}',
        FILE,
    )
    assert (obj.format, obj.category, obj.action, obj.attributes["istio.cert.ttl"]) == (
        "istio-agent",
        "auth",
        "cert.issue",
        "9m59.893482857s",
    )


# ------------------------------------------------------------------------------------ which of the two
@pytest.mark.parametrize(
    ("line", "family"),
    [
        # the flag tells: istio/istio tools/bug-report/pkg/testdata/input/{ingress,format_json}.log, istio/istio#29088
        ('2020-06-29T23:37:27.285018Z\tinfo\tFLAG: --concurrency="0"', "istio-agent"),
        ('2020-11-20T16:25:40.027127Z     info    FLAG: --domain="istio-system.svc.cluster.local"', "istio-agent"),
        ('{"level":"info","time":"2023-05-10T17:43:55.356636Z","msg":"FLAG: --kubernetesApiBurst=\\"160\\""}', "istiod"),
        # pilot-agent says "Version", pilot-discovery "version:" (built from pilot/cmd/pilot-discovery/app/cmd.go)
        ("2020-06-29T23:37:27.285550Z\tinfo\tVersion 1.6.3-1e8c62baad31c829c5993235c429248f36a85478-dirty-Modified", "istio-agent"),
        ("2020-06-29T23:37:27.285550Z\tinfo\tversion: 1.6.3-1e8c62baad31c829c5993235c429248f36a85478-Clean", "istiod"),
    ],
)  # fmt: skip
def test_default_scope_told_apart_by_message(line: str, family: str) -> None:
    assert parse(line, FILE).format == family


def test_a_mixed_file_with_no_source_kind() -> None:
    """tests/data/istio/mixed-go.log: istiod, agent and CNI lines in one file (SOURCES.md there)."""
    want = [
        line.split("`")[1]
        for line in (DATA / "istio" / "SOURCES.md").read_text("utf-8").splitlines()
        if re.match(r"\d+\. `", line)
    ]
    parser = StreamParser()
    lines = (DATA / "istio" / "mixed-go.log").read_text("utf-8").splitlines()
    got = [parse(line, Source("file", path="mixed-go.log"), parser).format for line in lines]
    assert got == want and len(got) == 20


def test_the_source_settles_only_what_the_line_leaves_open() -> None:
    # istio/istio#52370: both components print this under "ads"; the line alone cannot tell
    line = "2024-07-27T15:26:01.121325Z     info    ads     All caches have been synced up in 5.038009041s, marking server ready"
    assert (
        parse(line, Source("sidecar", namespace="shop", pod="cart-1", container="istio-proxy")).format == "istio-agent"
    )
    assert (
        parse(line, Source("istiod", namespace="istio-system", pod="istiod-1", container="discovery")).format
        == "istiod"
    )
    # but a line that says whose it is is not overruled by a wrong source
    nack = "2022-01-10T18:26:56.518121Z\twarn\tads\tADS:LDS: ACK ERROR istio-ingressgateway-6897dcd6f8-vrmvb.istio-system-3 Internal:x"
    agent_scope = (
        "2021-07-08T02:13:56.465960Z\tinfo\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012"
    )
    assert parse(agent_scope, Source("istiod", container="discovery")).format == "istio-agent"
    assert parse(nack, Source("file")).format == "istiod"


# ------------------------------------------------------------------------------------ the taxonomy
def _declared(actions: tuple) -> list[tuple[re.Pattern[str], str, set[str], object]]:  # type: ignore[type-arg]
    out = []
    for action in actions:
        pattern = re.compile(re.sub(r"<[^>]*>", "[a-z0-9_]+", re.escape(action.name)) + "$")
        out.append((pattern, action.category, set(action.outcome.split("|")), action.violation))
    return out


def _corpus_lines() -> list[str]:
    lines = []
    for path in sorted((DATA / "corpus").rglob("*.jsonl")):
        lines += [json.loads(text)["raw"] for text in path.read_text("utf-8").splitlines()]
    for path in sorted(DATA.glob("*.log")):
        lines += path.read_text("utf-8").splitlines()
    return lines


def test_every_produced_action_is_declared() -> None:
    declared = {"istiod": _declared(istio_go.ACTIONS), "istio-agent": _declared(istio_go.ACTIONS)}
    declared["istio-cni"] = _declared(istio_cni.ACTIONS)
    seen = 0
    for line in _corpus_lines() + (DATA / "istio" / "mixed-go.log").read_text("utf-8").splitlines():
        event = StreamParser().parse(RawLine(line, FILE, "2026-01-01T00:00:00Z"))
        if event.format not in declared:
            continue
        seen += 1
        matches = [
            entry
            for entry in declared[event.format]
            if entry[0].match(event.action) and event.category in entry[1].split("|") and event.outcome in entry[2]
        ]
        assert matches, (event.format, event.action, event.category, event.outcome, line[:120])
        assert any(entry[3] == event.violation or isinstance(entry[3], str) for entry in matches)
    assert seen > 300


# ------------------------------------------------------------------------------------ hostile input
HOSTILE = {
    "spaces": "2024-08-22T10:01:02.345678Z info " + " " * 1_000_000,
    "word": "2024-08-22T10:01:02.345678Z\tinfo\t" + "a" * 1_000_000,
    "labels": "2024-08-22T10:01:02.345678Z\tinfo\tads\tmsg\t" + "a=b " * 250_000,
    "key-runs": "2024-08-22T10:01:02.345678Z\tinfo\tads\tmsg\tk=" + "a=" * 500_000,
    "wide gaps": "2024-08-22T10:01:02.345678Z    info    ads    x" + "  a" * 333_333,
    "debounce": "Push debounce stable[1] 1 for reason " + "a: " * 333_333,
    "type push": "CDS: PUSH for node:" + "a " * 500_000,
    "ack": "2024-08-22T10:01:02.345678Z\twarn\tads\tADS:CDS: ACK ERROR " + "a~b~c~d " * 125_000,
    "cni pods": "2024-08-22T10:01:02.345678Z\terror\tcni-agent\tfailed pod " + "a/" * 500_000,
    "klog": "2024-08-22T10:01:02.345678Z\tinfo\tklog\tcni " + "serviceaccount:a:" * 58_000,
    "flag": "2024-08-22T10:01:02.345678Z\tinfo\tFLAG: --" + "a-" * 500_000,
    "level only": "info " + "x " * 500_000,
    "rules tail": "COMMIT" + " " * 1_000_000 + "ns=a name=b",
    "authenticate": "2024-08-22T10:01:02.345678Z\terror\tads\tFailed to authenticate client from " + "[" * 1_000_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_megabyte_line_stays_linear(name: str) -> None:
    line = HOSTILE[name]
    start = time.perf_counter()
    first = istio_cni.recognise(line, None), istio_go.recognise(line, None)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0, f"{name}: {elapsed:.2f}s"
    # and the same answer again: deterministic
    again = istio_cni.recognise(line, None), istio_go.recognise(line, None)
    assert repr(first) == repr(again)


def test_corpus_decisions_do_not_depend_on_order() -> None:
    lines = (DATA / "istio" / "mixed-go.log").read_text("utf-8").splitlines()
    forward = [parse(line, FILE).format for line in lines]
    backward = [parse(line, FILE).format for line in reversed(lines)]
    assert forward == list(reversed(backward))


def test_corpus_floor_for_these_families() -> None:
    """The labelled corpus lines of istiod / istio-agent in tests/data/corpus/istio (real and derived)."""
    right = total = 0
    for path in sorted((DATA / "corpus" / "istio").glob("*.jsonl")):
        for text in path.read_text("utf-8").splitlines():
            record = json.loads(text)
            want = record["expect"]
            if want["format"] not in ("istiod", "istio-agent"):
                continue
            total += 1
            event = StreamParser().parse(RawLine(record["raw"], FILE, "2026-01-01T00:00:00Z"))
            got = (event.format, event.category, event.outcome, event.violation)
            right += got == (want["format"], want["category"], want["outcome"], want["violation"])
    assert total > 300 and right / total >= 0.9


def test_the_agents_own_sockets_say_an_unscoped_line_is_the_agents() -> None:
    """istio/istio#11067 (holdout42): the 1.1 node agent's SDS server, unscoped; the socket it serves Envoy on
    (/var/run/sds/uds_path) is the agent's alone, as is its SDS server's name.  Both were read as istiod's."""
    for line in (
        "2019-01-15T22:47:58.874608Z\tinfo\tSDS grpc server for workload proxies started",
        "2019-01-15T22:47:58.874647Z\tinfo\ttransport: http2Server.HandleStreams failed to read frame: read unix "
        "/var/run/sds/uds_path->@: use of closed network connection",
    ):
        assert judge(line)[0] == "istio-agent", line
    # the premise: the same grpc transport line with no agent socket is still istiod's (the default)
    assert judge("2019-01-15T22:47:58.874647Z\tinfo\ttransport: http2Server.HandleStreams failed to read frame")[0] == (
        "istiod"
    )


def test_a_krt_sync_complete_line_says_the_controller_is_ready() -> None:
    """istiod's krt collections say ``sync complete`` (no scope, the collection in ``name=``) when they are ready:
    readiness, as "caches have been synced" is (istio/istio#56923, an ambient multicluster istiod, pasted with tabs
    as spaces).  A ``waiting for sync`` beside it is not."""
    line = "2025-07-08T19:49:31.862347Z     info    sync complete   name=ambient/RemoteClusters attempt=1 time=12.272µs"
    for shape in (line, re.sub(r" {2,}", "\t", line)):
        event = parse(shape)
        assert (event.format, event.category, event.outcome) == ("istiod", "other", "success"), shape
    waiting = parse("2025-07-08T19:49:31.862347Z\tinfo\twaiting for sync...\tname=ambient/RemoteClusters attempt=1")
    assert waiting.outcome != "success"


def test_istio_s_test_framework_lines_are_not_a_mesh_component_s() -> None:
    # istio/istio#24784, a CI failure excerpt (holdout19, holdout62): pkg/test/framework logs in pkg/log's layout, scope
    # "tf" -- read as istiod's
    for line in (
        "2020-06-18T17:01:08.116047Z\tinfo\ttf\t=== FAILED: Setup: 'multicluster_centralistio' (1 errors occurred "
        "deploying remote clusters: 1 error occurred:",
        "2023-09-05T20:03:37.037671Z     error   tf      FAIL: cluster/pod/container cluster-0/istio-system/"
        "istiod-78f68b4b9-qqxfw/discovery crashed/restarted 1 times.",
    ):
        assert parse(line).format == "unknown", line


def test_glog_lines_of_istio_s_own_messages_are_read_without_a_wrapper_naming_the_program() -> None:
    # holdout66 (an istio/istio PR's diff of a VM's journal): Istio 1.0's node agent logging through glog
    for line, category, outcome in (
        ("I1013 21:32:29.483324    6941 nodeagent.go:112] Sending CSR (retrial #0) ...", "auth", "unknown"),
        (
            "Oct 13 21:32:29 demo-vm-1 node_agent[6941]: I1013 21:32:29.469314    6941 main.go:66] Starting Node Agent",
            "other",
            "success",
        ),
    ):
        event = parse(line)
        assert (event.format, event.category, event.outcome) == ("istio-agent", category, outcome), line
    # every other Kubernetes program's glog line stays unread
    assert (
        parse(
            "W0219 00:09:38.183083       1 client_config.go:529] Neither --kubeconfig nor --master was specified.  Using "
            "the inClusterConfig.  This might not work."
        ).format
        == "unknown"
    )


def test_the_ca_s_steps_done_are_successes() -> None:
    # holdout66 (istio/istio, a multi-trust-domain thread) and holdout43: the spiffe scope's trust bundle loaded
    for line in (
        "2021-02-10T00:05:23.341801Z\tinfo\tspiffe\tLoaded SPIFFE trust bundle for: a.local, containing 1 certs",
        "2023-11-21T00:20:25.808873Z\tinfo\tspiffe\tAdded 1 certs to trust domain cluster.local in peer cert verifier",
    ):
        event = parse(line)
        assert (event.format, event.category, event.outcome) == ("istiod", "auth", "success"), line
    # a step that failed is not one
    assert (
        parse("2021-02-10T00:05:23.341801Z\twarn\tspiffe\tfailed to load SPIFFE trust bundle for: a.local").outcome
        == "failure"
    )


def test_a_message_both_programs_build_in_is_claimed_by_its_scope_s_program() -> None:
    # pkg/security/retry.go logs under scope "ca" from the CA client, which runs in the agent (istiod builds the
    # package in too): the message alone, as pasted from a sidecar's log in holdout11 and the corpus, is the agent's
    event = parse("ca request failed, starting attempt 3 in 364.262718ms")
    assert (event.format, event.category, event.outcome) == ("istio-agent", "auth", "failure")
    # a shared message under a scope both use says nothing of whose it is: no claim ("ads")
    assert parse("All caches have been synced up in 318.545842ms, marking server ready").format == "unknown"


def test_a_bare_message_of_the_ads_scope_both_programs_print_is_claimed_by_what_it_says() -> None:
    # pkg/xds prints in istiod and in the agent's SDS server: a push named by istiod's push-context version is istiod's
    # (the corpus's istiod pushes, their columns cut away), an SDS push with no version the agent's
    assert parse("XDS: Incremental Pushing:2021-02-09T16:18:55Z/12 ConnectedEndpoints:3").format == "istiod"
    assert parse("XDS: Pushing Services:1 ConnectedEndpoints:2 Version:").format == "istio-agent"
    # words that say neither stay unclaimed alone (four labellers read this one as the agent's, one as istiod's)
    assert parse("All caches have been synced up in 318.545842ms, marking server ready").format == "unknown"
    # pkg/spiffe's trust bundles are istiod's (holdout66)
    assert parse("Loaded SPIFFE trust bundle for: a.local, containing 1 certs").format == "istiod"


def test_a_panic_recovered_is_a_failure_whatever_level_reported_it() -> None:
    # istio/istio#15084 (holdout75; the report behind CVE-2019-12995): Go's http2 server recovering a panic in
    # Galley, logged through the standard logger that Istio relays at info
    event = parse(
        "2019-06-13T11:22:49.757037Z     info    http2: panic serving 172.16.0.49:35736: runtime error: invalid memory "
        "address or nil pointer dereference"
    )
    assert (event.format, event.outcome) == ("istiod", "failure")
    # a line that only names the word is not one
    assert parse("2019-06-13T11:22:49.757037Z\tinfo\tads\tno panic expected here").outcome == "unknown"
