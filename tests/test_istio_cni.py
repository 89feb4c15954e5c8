# ruff: noqa: E501  (real log lines are long; they are kept whole, as their sources print them)
"""istio-cni: the CNI plugin, the node agent, ambient enrolment and the repair controller.

Lines are real (verbatim from tests/data/corpus/istio, each cited with its corpus record's
``src``) unless a comment says it was built from Istio's source (cni/pkg/...), where no public
copy of that message was found.
"""

from __future__ import annotations

import json

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse import istio_cni
from meshtail.parse.detect import StreamParser

from .conftest import DATA, parse, verdict

FILE = Source("file", path="pasted.log", line=1)


def judge(line: str, source: Source | None = None) -> tuple[str, str, str, bool]:
    event = parse(line, source or FILE)
    return event.format, event.category, event.outcome, event.violation


# ------------------------------------------------------------------------------------ enrolment
@pytest.mark.parametrize(
    "line",
    [
        # istio/istio#55913
        "2025-04-14T06:25:20.167997Z\tinfo\tcni-agent\tadding pod to the mesh\tns=slow-cooker name=nginx-deployment-1-7588ccf8f7-n8kvl",
        # istio/istio#50072 (k3s; tabs expanded)
        "2024-08-21T19:44:34.463634Z     info    cni-agent       adding pod to the mesh  ns=default name=productpage-v1-d5789fdfb-tk78f",
        # istio/istio#55913 + cni/pkg (pkg/log JSON form, cni-derived.jsonl:4)
        '{"level":"info","time":"2025-04-14T06:25:20.167997Z","scope":"cni-agent","msg":"adding pod to the mesh","ns":"slow-cooker","name":"nginx-deployment-1-7588ccf8f7-n8kvl"}',
        # istio/istio#54645 (the grep prefix removed)
        "2025-01-10T10:04:20.422580Z        info    cni-agent       sending pod add to ztunnel      uid=9aba6449-2fdb-4240-af2d-cb0bbbc84a78 name=captured-v1-9945c6685-58zx7 namespace=echo-1-98991 serviceAccount=captured",
    ],
)  # fmt: skip
def test_a_pod_added_to_the_mesh_is_a_config_change(line: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.violation, event.action) == (
        "istio-cni",
        "config",
        "change",
        False,
        "cni.pod_add",
    )
    assert event.attributes["k8s.pod.name"] in (
        "nginx-deployment-1-7588ccf8f7-n8kvl",
        "productpage-v1-d5789fdfb-tk78f",
        "captured-v1-9945c6685-58zx7",
    )
    assert event.attributes["k8s.namespace.name"] in ("slow-cooker", "default", "echo-1-98991")
    assert "pod" in event.summary


@pytest.mark.parametrize(
    "line",
    [
        # istio/istio#55913 + cni/pkg (cni-derived.jsonl:8)
        "2025-04-14T06:25:20.167997Z\tinfo\tcni-agent\tremoving pod from mesh\tns=slow-cooker name=nginx-deployment-1-7588ccf8f7-n8kvl deleted=false",
        # istio/istio#49199 (1.21, scope ambient, 4-space paste)
        "2024-02-05T02:08:04.497028Z    info    ambient    in pod mode - deleting pod from ztunnel    ns=default name=httpbin-worker1-7b47f9576c-vt8mh",
        "2024-02-05T02:08:04.497005Z    debug    ambient    Pod is now stopped or opt out... cleaning up.    ns=default name=httpbin-worker1-7b47f9576c-vt8mh",
    ],
)  # fmt: skip
def test_a_pod_removed_from_the_mesh_is_a_config_change(line: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.action) == (
        "istio-cni",
        "config",
        "change",
        "cni.pod_remove",
    )


def test_removed_label_is_kept() -> None:
    event = parse(
        "2025-04-14T06:25:20.167997Z\tinfo\tcni-agent\tremoving pod from mesh\tns=slow-cooker "
        "name=nginx-deployment-1-7588ccf8f7-n8kvl deleted=false",
        FILE,
    )
    assert event.attributes["istio.cni.deleted"] == "false"


# ------------------------------------------------------------------------------------ failures
@pytest.mark.parametrize(
    ("line", "action"),
    [
        # Istio 1.31 on NKS (github markdown, index file id 70932045783): no timestamp, single spaces
        ("error cni-agent Failed capturing pod, will not retry.", "cni.enrol_failure"),
        ("error cni-agent failed to add route ({... Dst: ::/0 ...}): operation not supported", "cni.redirect_failure"),
        # istio/istio#50072 (1.21 on k3s/Calico)
        ("2024-03-24T23:28:47.457136Z     error   Command error output: xtables other problem: line 2 failed", "cni.redirect_failure"),
        ("2024-03-24T23:28:47.457224Z     error   iptables        failed to restore iptables rules: exit status 1", "cni.redirect_failure"),
        ("2024-03-24T23:28:47.457330Z     error   ambient failed to update POD inpod: default/details-v1-698d88b-n42tz exit status 1", "cni.enrol_failure"),
        ("2024-03-24T23:28:47.457353Z     error   ambient failed to add pod to ztunnel: exit status 1", "cni.enrol_failure"),
        ("2024-03-24T23:29:01.150318Z     warn    ambient failed to find pod netns        ns=default name=details-v1-698d88b-n42tz", "cni.enrol_failure"),
        # istio/istio#55913 + cni/pkg (cni-derived.jsonl:7, :9)
        ("2025-04-14T06:25:20.170594Z\terror\tcni-agent\tfailed to program nftable rules in the host network namespace: exit status 1", "cni.redirect_failure"),
        ("2025-04-14T06:25:20.167997Z\terror\tcni-agent\tfailed to add pod to ztunnel: pod partially added, annotating with pending status\tns=slow-cooker name=nginx-deployment-1-7588ccf8f7-n8kvl", "cni.enrol_failure"),
        # istio/istio#46057 (1.18: the ambient controller through "controllers")
        ("2023-07-21T10:45:22.999331Z\terror\tcontrollers\terror handling istio-system/ztunnel-n6898, retrying (retry count: 1): failed to get veth device: no routes found for 10.244.1.5\tcontroller=ambient", "cni.enrol_failure"),
        # built from cni/pkg/nodeagent/informers.go: log.Warnf("Unable to send pod to ztunnel. Will retry. ...")
        ("2025-04-14T06:25:20.167997Z\twarn\tcni-agent\tUnable to send pod to ztunnel. Will retry. AddPodToMesh returned: connection refused\tns=a name=b", "cni.enrol_failure"),
    ],
)  # fmt: skip
def test_failing_to_capture_or_redirect_is_a_failure(line: str, action: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.violation, event.action) == (
        "istio-cni",
        "other",
        "failure",
        False,
        action,
    )


def test_failure_attributes() -> None:
    # istio/istio#50072
    event = parse(
        "2024-03-24T23:28:47.457330Z     error   ambient failed to update POD inpod: default/details-v1-698d88b-n42tz "
        "exit status 1",
        FILE,
    )
    assert (event.attributes["k8s.namespace.name"], event.attributes["k8s.pod.name"]) == (
        "default",
        "details-v1-698d88b-n42tz",
    )
    assert event.attributes["istio.scope"] == "ambient" and event.severity == "error"
    # istio/istio#55913 + cni/pkg
    event = parse(
        "2025-04-14T06:25:20.167997Z\terror\tcni-agent\tfailed to add pod to ztunnel: pod partially added, "
        "annotating with pending status\tns=slow-cooker name=nginx-deployment-1-7588ccf8f7-n8kvl",
        FILE,
    )
    assert event.attributes["error.message"] == "pod partially added, annotating with pending status"


def test_a_klog_error_names_the_cni_service_account() -> None:
    # maistra/istio-operator#1804
    event = parse(
        "2024-06-19T08:25:04.540517Z\tinfo\tklog\tk8s.io/client-go@v0.28.3/tools/cache/reflector.go:229: failed to "
        'list *v1.Pod: pods is forbidden: User "system:serviceaccount:istio-operator:ossm-cni" cannot list resource '
        '"pods" in API group "" at the cluster scope',
        FILE,
    )
    assert (event.format, event.category, event.outcome) == ("istio-cni", "other", "failure")


# ------------------------------------------------------------------------------------ repair, ztunnel, install
@pytest.mark.parametrize(
    "line",
    [
        # istio/istio#25763 (repair controller, JSON, default scope)
        '{"level":"info","time":"2020-07-28T18:20:53.925621Z","msg":"Pod detected as broken, deleting: default/httpbin-654c6cbbb9-xv4km"}',
        # istio/istio#57332 (1.27, JSON with a pod label)
        '{"level":"info","time":"2025-08-13T09:11:37.074413Z","scope":"cni-agent","msg":"Repairing pod...","pod":"pass/processing-order-data-00684-deployment-6b67d8686f-4h5ft"}',
    ],
)  # fmt: skip
def test_the_repair_controller_changes_pods(line: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.action) == ("istio-cni", "other", "change", "cni.repair")
    assert event.attributes["k8s.pod.name"] in (
        "httpbin-654c6cbbb9-xv4km",
        "processing-order-data-00684-deployment-6b67d8686f-4h5ft",
    )
    assert event.time is not None and event.time.startswith("20")


def test_a_ztunnel_connecting_is_a_success() -> None:
    # built from cni/pkg/nodeagent/ztunnelserver.go: log.Infof("new ztunnel connected, total connected: %v", ...)
    # with the conn_uuid label it carries
    event = parse(
        "2025-04-14T06:25:20.167997Z\tinfo\tcni-agent\tnew ztunnel connected, total connected: 1"
        "\tconn_uuid=8a8b2c1e-3f4d-4c5e-9a6b-7c8d9e0f1a2b",
        FILE,
    )
    assert (event.format, event.category, event.outcome, event.action) == (
        "istio-cni",
        "other",
        "success",
        "cni.ztunnel_connect",
    )
    assert event.attributes["istio.cni.ztunnel_connections"] == 1
    assert event.attributes["istio.cni.conn_uuid"] == "8a8b2c1e-3f4d-4c5e-9a6b-7c8d9e0f1a2b"


@pytest.mark.parametrize(
    ("line", "want"),
    [
        # istio/istio#55139 (JSON; the default scope has no scope key)
        ('{"level":"info","time":"2025-02-17T15:13:09.322388Z","msg":"file modified: /var/run/secrets/kubernetes.io/serviceaccount/..2025_02_17_15_13_09.2851387268"}', ("istio-cni", "other", "unknown", False)),
        ('{"level":"info","time":"2025-02-17T15:13:09.360932Z","scope":"cni-agent","msg":"Copied istio-cni to /host/opt/cni/bin"}', ("istio-cni", "other", "success", False)),
        ('{"level":"info","time":"2025-02-17T15:13:09.324730Z","scope":"cni-agent","msg":"detected changes to the node-level CNI setup, checking to see if configs or binaries need redeploying"}', ("istio-cni", "other", "unknown", False)),
        # maistra/istio-operator#1804
        ("2024-06-19T08:25:04.529176Z\tinfo\tCNI race repair configuration: ", ("istio-cni", "other", "unknown", False)),
        ("2024-06-19T08:25:04.529398Z\tinfo\tStart a UDS server for CNI plugin logs", ("istio-cni", "other", "success", False)),
        ("2024-06-19T08:25:04.529604Z\tinfo\trepair\tStart CNI race condition repair.", ("istio-cni", "other", "success", False)),
        ('2024-06-19T08:25:04.530923Z\tinfo\tcluster "" kube client started', ("istio-cni", "other", "success", False)),
        # istio/istio#46054 (install-cni flags are kebab-case)
        ('2023-07-18T10:34:54.346071Z     info    FLAG: --ambient-enabled="false"', ("istio-cni", "other", "unknown", False)),
        # istio/istio#23457 (repair controller options)
        ('{"level":"info","time":"2020-05-01T13:08:36.637040Z","msg":"Controller Option: Running as a Daemon."}', ("istio-cni", "other", "unknown", False)),
        # istio/istio#46057 (1.18 plugin)
        ("2023-07-21T10:46:11.703728Z\tinfo\tcni\tistio-cni cmdAdd podName: details-v1-7c7dbcb4b5-m65nd podIPs: [{IP:10.244.1.6 Mask:ffffff00}]", ("istio-cni", "other", "unknown", False)),
        ("2023-07-21T10:45:22.993272Z\twarn\tambient\tdid not find existing inbound tunnel istioin to delete: Link not found", ("istio-cni", "other", "unknown", False)),
        # istio/istio#55913
        ("2025-04-14T06:25:20.170619Z\tinfo\tcni-agent\tRunning iptables-legacy-restore with the following input:", ("istio-cni", "other", "unknown", False)),
        ("2025-04-14T06:25:20.170572Z\tinfo\tcni-agent\tClean-state detected, new iptables are needed\tns=slow-cooker name=nginx-deployment-1-7588ccf8f7-n8kvl", ("istio-cni", "other", "unknown", False)),
        # istio/istio#49199
        ("2024-02-05T02:08:04.497236Z    debug    ambient    removed pod name httpbin-worker1-7b47f9576c-vt8mh with UID 78e0e965-fc00-46ba-b40b-abe0a2c94cce from host ipset istio-inpod-probes by ip 10.101.1.26", ("istio-cni", "other", "unknown", False)),
        # istio/istio#54645: the last line of the multi-line iptables input carries the entry's labels
        ("COMMIT     ns=echo-1-98991 name=captured-v1-9945c6685-58zx7", ("istio-cni", "other", "unknown", False)),
    ],
)  # fmt: skip
def test_node_agent_chatter(line: str, want: tuple[str, str, str, bool]) -> None:
    assert judge(line) == want


# ------------------------------------------------------------------------------------ only its own lines
ISTIOD_AND_AGENT = [
    # istio/istio#36465, #29974, #45739, #53295, #54790 (istiod); #28192, #30119 (agent)
    "2022-01-10T18:26:56.521678Z\tinfo\tads\tCDS: PUSH for node:istio-ingressgateway-6897dcd6f8-vrmvb.istio-system resources:137 size:118.2kB cached:131/136",
    "2021-01-11T15:47:30.005570Z\tinfo\tvalidationServer\tconfiguration is invalid: gateway must have at least one server",
    "2023-06-29T02:56:41.245272Z\tinfo\tcontrollers\tstarting\tcontroller=webhook patcher",
    "2024-09-25T15:15:23.016108Z     error   controllers     error handling istio-validator-1-22-istio-system, retrying (retry count: 1): webhook is not ready, retry        controller=validation",
    '2025-01-22T06:43:41.523934Z     info    cluster "Kubernetes" kube client started',
    "2025-01-22T06:43:41.524010Z     info    klog    attempting to acquire leader lease istio-system/istio-leader...",
    "2020-10-22T14:55:42.314876Z     info    xdsproxy        Envoy ADS stream established",
    "2021-01-15T19:26:07.106529Z     info    cache   generated new workload certificate      latency=402.616431ms ttl=9m59.893482857s",
    '2020-06-29T23:37:27.285018Z\tinfo\tFLAG: --concurrency="0"',
]


@pytest.mark.parametrize("line", ISTIOD_AND_AGENT)
def test_istio_cni_never_claims_istiod_or_agent_lines(line: str) -> None:
    assert istio_cni.recognise(line, None) is None
    assert parse(line, FILE).format in ("istiod", "istio-agent")


def test_never_claims_a_labelled_istiod_or_agent_corpus_line() -> None:
    for path in sorted((DATA / "corpus").rglob("*.jsonl")):
        for text in path.read_text("utf-8").splitlines():
            record = json.loads(text)
            if record["expect"]["format"] in ("istiod", "istio-agent", "ztunnel", "envoy-component", "unknown"):
                event = StreamParser().parse(RawLine(record["raw"], FILE, "2026-01-01T00:00:00Z"))
                assert event.format != "istio-cni", (path.name, record["raw"][:120])


def test_the_container_settles_a_default_scope_line() -> None:
    # istio/istio#18503: a default-scope line that is anybody's without its container (istiod's by default)
    line = "2019-11-01T07:48:11.187491Z\tinfo\tWaiting for informer caches to sync"
    assert parse(line, FILE).format == "istiod"
    pod = Source("pod", namespace="istio-system", pod="istio-cni-node-z9z7c", container="install-cni")
    assert parse(line, pod).format == "istio-cni"


def test_fragments_that_are_the_cnis_and_those_that_are_not() -> None:
    # Istio 1.31 on NKS: without a timestamp, the scope says it
    assert istio_cni.recognise("error cni-agent Failed capturing pod, will not retry.", None) is not None
    # a bare CNI message
    found = istio_cni.recognise("adding pod to the mesh", None)
    assert found is not None and found[1].action == "cni.pod_add"
    for sentence in ("adding a pod to the list", "error the pod did not start", "COMMIT", "info Copied files"):
        assert istio_cni.recognise(sentence, None) is None


def test_cni_corpus_floor() -> None:
    right = total = 0
    for path in sorted((DATA / "corpus" / "istio").glob("cni*.jsonl")):
        for text in path.read_text("utf-8").splitlines():
            record = json.loads(text)
            want = record["expect"]
            total += 1
            event = StreamParser().parse(RawLine(record["raw"], FILE, "2026-01-01T00:00:00Z"))
            got = (event.format, event.category, event.outcome, event.violation)
            right += got == (want["format"], want["category"], want["outcome"], want["violation"])
    assert total >= 50 and right / total >= 0.9


def test_actions_are_declared_with_their_categories() -> None:
    names = {action.name: action for action in istio_cni.ACTIONS}
    for name in ("cni.pod_add", "cni.pod_remove", "cni.enrol_failure", "cni.redirect_failure", "cni.repair"):
        assert name in names
    assert (names["cni.pod_add"].category, names["cni.pod_add"].outcome) == ("config", "change")
    assert names["cni.<scope>"].outcome == "unknown|failure"


# ------------------------------------------------------------------------------------ review against istio-cni's sources
# Lines below marked "derived from <file>:<line>@<release> (<commit>)" are made from that log statement of
# istio/istio (the message as Go prints it, with made-up arguments); the others are real, cited.
@pytest.mark.parametrize(
    ("line", "want", "action"),
    [
        # istio/istio#49538 (1.21, scope "install": its catch-all is also named cni.install)
        ("2024-02-24T08:26:20.710236Z     info    install Istio CNI configuration and binaries validated/reinstalled.", ("other", "success"), "cni.install"),
        # derived from cni/pkg/install/install.go:92@1.19.0 (3b3ca8ec16)
        ("2023-09-05T08:26:20.710236Z\tinfo\tinstall\tCNI configuration and binaries reinstalled.", ("other", "success"), "cni.install"),
        # derived from cni/pkg/repair/repaircontroller.go:167, :199, :141@1.22.0 (aaf597fbfa) (scope "repair")
        ("2024-06-19T08:30:04.540517Z\tinfo\trepair\tPod detected as broken, deleting: default/httpbin-654c6cbbb9-xv4km", ("other", "change"), "cni.repair"),
        ("2024-06-19T08:30:04.540517Z\tinfo\trepair\tLabeling pod default/httpbin-654c6cbbb9-xv4km with label cni.istio.io/uninitialized=true", ("other", "change"), "cni.repair"),
        ("2024-06-19T08:30:04.540517Z\tinfo\trepair\tpod repaired\tpod=default/httpbin-654c6cbbb9-xv4km", ("other", "change"), "cni.repair"),
    ],
)  # fmt: skip
def test_a_scope_named_like_an_action_keeps_its_rule(line: str, want: tuple[str, str], action: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.violation, event.action) == (
        "istio-cni",
        *want,
        False,
        action,
    )


@pytest.mark.parametrize(
    ("line", "action"),
    [
        # istio/istio#52487 (1.22, debug: the agent's /proc scan)
        ("2024-08-02T05:07:02.944429Z\tdebug\tcni-agent\terror processing entry: 726226 stat 726226/ns/net: no such file or directory", "cni.cni_agent"),
        # derived from cni/pkg/nodeagent/server.go:151@main (86c9f01fd7)
        ("2025-04-14T06:25:20.167997Z\tinfo\tcni-agent\tfailed to get CNI node worker-1, retrying: context deadline exceeded", "cni.cni_agent"),
        # derived from cni/pkg/plugin/plugin.go:283@main (86c9f01fd7), relayed under the plugin's scope
        ('2025-04-14T06:25:20.167997Z\tdebug\tcni-plugin\tFailed to get pod info: pods "httpbin-7b47f9576c-vt8mh" not found\tpod=default/httpbin-7b47f9576c-vt8mh', "cni.enrol_failure"),
        # istio/istio#48854 (1.21)
        ("2024-02-21T07:43:45.387748Z\twarn\tambient\tpod testweb8-7745c69f54-d7rlh does not appear to have any assigned IPs, not capturing", "cni.enrol_failure"),
    ],
)  # fmt: skip
def test_a_quiet_line_that_says_it_failed_is_a_failure(line: str, action: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.violation, event.action) == (
        "istio-cni",
        "other",
        "failure",
        False,
        action,
    )


@pytest.mark.parametrize(
    ("line", "action"),
    [
        # derived from cni/pkg/ambient/informers.go:116@1.18.0 (697f4ff0fe)
        ("2023-07-21T10:46:11.703728Z\tinfo\tambient\tPod default/httpbin-7b47f9576c-vt8mh is now stopped... cleaning up.", "cni.pod_remove"),
        # derived from cni/pkg/nodeagent/informers.go:307@1.24.0 (8825a6b7f8)
        ("2025-01-10T10:04:20.422580Z\tdebug\tcni-agent\tpod is deleted and was captured, removing from ztunnel\tns=default name=httpbin-7b47f9576c-vt8mh", "cni.pod_remove"),
        # derived from cni/pkg/nodeagent/ztunnelserver_linux.go:284@main (86c9f01fd7)
        ("2025-04-14T06:25:20.167997Z\tdebug\tcni-agent\tsent pod add to ztunnel\tuid=9aba6449-2fdb-4240-af2d-cb0bbbc84a78 name=httpbin-7b47f9576c-vt8mh namespace=default", "cni.pod_add"),
        # derived from cni/pkg/ambient/informers.go:119@1.20.0 (6869a6c237)
        ("2023-11-14T10:46:11.703728Z\tdebug\tambient\tPod added not in ipset, adding", "cni.pod_add"),
    ],
)  # fmt: skip
def test_more_pods_joining_and_leaving_the_mesh(line: str, action: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.action) == ("istio-cni", "config", "change", action)


@pytest.mark.parametrize(
    ("line", "action"),
    [
        # derived from cni/pkg/nodeagent/ztunnelserver.go:102@1.22.0 (aaf597fbfa): %s of an int, as Go prints it
        ("2024-05-20T18:02:59.773965Z\tinfo\tcni-agent\tztunnel disconnected, total connected %!s(int=0)", "cni.cni_agent"),
        # derived from cni/pkg/nodeagent/ztunnelserver.go:374@main (86c9f01fd7)
        ("2025-04-14T06:25:20.167997Z\tdebug\tcni-agent\tsending msg to connected ztunnel", "cni.cni_agent"),
        # derived from tools/istio-iptables/pkg/builder/helper.go:55@main (86c9f01fd7)
        ("2025-04-14T06:25:20.167997Z\tdebug\tcni-plugin\tGenerated check-rules: [-t nat -C PREROUTING -p tcp -j ISTIO_INBOUND]", "cni.cni_plugin"),
        # derived from tools/istio-iptables/pkg/validation/validator.go:58@main (86c9f01fd7): a check begins
        ("2025-05-20T18:02:59.773965Z\tinfo\tStarting iptables validation. This check verifies that iptables rules are properly established for the network.", "cni.validation"),
    ],
)  # fmt: skip
def test_success_words_that_are_no_success(line: str, action: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.action) == ("istio-cni", "other", "unknown", action)


@pytest.mark.parametrize(
    ("line", "action"),
    [
        # derived from cni/pkg/cmd/root.go:190@main (86c9f01fd7)
        ("2025-04-14T06:25:20.167997Z\tinfo\tcni-agent\tinitialization complete, watching node CNI dir", "component.start"),
        # derived from cni/pkg/ambient/server.go:200@1.20.0 (6869a6c237)
        ("2023-06-28T18:31:26.275723Z\tinfo\tambient\tactive ztunnel updated to ztunnel-bxc9w", "cni.ztunnel_connect"),
        # derived from cni/pkg/nodeagent/ztunnelserver.go:83@1.25.0 (57e59c2e5d)
        ("2025-03-24T00:07:43.076179Z\tdebug\tcni-agent\tlatest ztunnel connection is 8a8b2c1e-3f4d-4c5e-9a6b-7c8d9e0f1a2b, total connected 1", "cni.ztunnel_connect"),
    ],
)  # fmt: skip
def test_the_node_agent_ready_or_a_ztunnel_taking_over_is_a_success(line: str, action: str) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome, event.action) == ("istio-cni", "other", "success", action)


@pytest.mark.parametrize(
    ("line", "want"),
    [
        # derived from cni/pkg/taint/taintcontroller.go:353@1.17.0 (c8c901a568): the taint controller, default scope
        ("2023-02-01T10:00:00.000000Z\tinfo\tnode worker-1 add readiness taint because it is not ready", ("other", "unknown")),
        # derived from cni/pkg/repair/repair.go:108@1.10.0 (d26cba7e34): the repair controller, default scope
        ("2021-06-01T10:00:00.000000Z\tinfo\tLabeling pod default/httpbin-654c6cbbb9-xv4km with label cni.istio.io/uninitialized=true", ("other", "change")),
        # derived from cni/pkg/install/binaries.go:45@main (86c9f01fd7)
        ("2025-04-14T06:25:20.167997Z\tinfo\tistio-iptables is in SKIP_CNI_BINARIES, skipping.", ("other", "unknown")),
    ],
)  # fmt: skip
def test_default_scope_lines_only_the_cni_prints(line: str, want: tuple[str, str]) -> None:
    event = parse(line, FILE)
    assert (event.format, event.category, event.outcome) == ("istio-cni", *want)


def test_the_install_configuration_dump_continues_on_its_own_lines() -> None:
    # istio/ztunnel#1208 (the lines after "CNI race repair configuration:", cni/pkg/config/config.go String())
    for line in ("InitContainerName: istio-validation", "InitExitCode: 126"):
        assert judge(line) == ("istio-cni", "other", "unknown", False)
    # derived: ``kubectl logs --timestamps`` puts its stamp on each line (cni/pkg/config/config.go:118@1.12.0 (016bc46f4a))
    assert judge("2021-11-30T19:50:11.669778536Z CNINetDir: /etc/cni/net.d") == ("istio-cni", "other", "unknown", False)
    # a field name anybody's configuration has is not enough
    for line in ("LabelValue: true", "LogLevel: warn"):
        assert istio_cni.recognise(line, None) is None


def test_a_pod_s_enrolment_is_found_by_its_namespace() -> None:
    """``ns:echo-1-98991`` finds istio-cni adding that namespace's pod to the mesh (the pod it is about), though the
    line came from the CNI agent's own pod elsewhere -- as an audited object's namespace is found."""
    from meshtail.query import compile_filter

    line = (
        "2025-01-10T10:04:20.422580Z        info    cni-agent       sending pod add to ztunnel      "
        "uid=9aba6449-2fdb-4240-af2d-cb0bbbc84a78 name=captured-v1-9945c6685-58zx7 namespace=echo-1-98991 "
        "serviceAccount=captured"
    )
    event = parse(line, Source("kube", "istio-system", "istio-cni-node-7q6z7", "install-cni"))
    assert event.action == "cni.pod_add" and event.source.namespace == "istio-system", "premise: from the agent's pod"
    assert compile_filter("ns:echo-1-98991").matches(event)
    assert compile_filter("namespace:echo-1-98991 outcome:change").matches(event)
    assert not compile_filter("ns:default").matches(event)


def test_the_plugin_named_as_failing_in_a_wrapped_sandbox_error() -> None:
    """istio/ztunnel#727: k9s wrapped the kubelet's FailedCreatePodSandBox event, so its second row starts inside
    ``plugin type="istio-cni"``; containerd's 'name="istio-cni" failed (add)' still names the plugin that failed."""
    line = (
        '│ -cni" name="istio-cni" failed (add): failed to get info for if(eth0) in ns(net): failed to Statfs '
        '"/var/run/netns/net": no such file or directory'
    )
    event = parse(line, FILE)
    assert verdict(event) == ("istio-cni", "other", "failure", False)
    other = parse(line.replace("istio-cni", "calico"), FILE)
    assert other.format != "istio-cni"  # (the premise: it is the plugin's name that says so)


def test_the_plugin_s_line_behind_the_kubelet_s_tag_and_istio_iptables_restore_command_are_the_cni_s() -> None:
    # kubesphere/kubesphere#5782 (holdout58): the plugin's stderr as the journal's "kubelet[pid]: " kept it, the
    # date and host cut off; a Chinese VM write-up and a kubeflow thread (holdout32, holdout58): istio-iptables
    # echoing the restore of the rules file it wrote (/tmp/iptables-rules-<unix time>.txt<random>)
    plugin = parse(
        'kubelet[4330]: {"level":"error","time":"2023-06-23T08:47:40.189967Z",'
        '"msg":"Failed to sync logs sync /dev/stderr: invalid argument"}'
    )
    assert (plugin.format, plugin.outcome) == ("istio-cni", "failure")
    restore = parse("iptables-restore --noflush /tmp/iptables-rules-1648485349812569495.txt081246391")
    assert (restore.format, restore.category, restore.outcome) == ("istio-cni", "other", "unknown")
    # another program's tag and words, and another program's iptables-restore, stay unread
    assert parse("sshd[123]: Accepted publickey for root").format == "unknown"
    assert parse("iptables-restore --noflush /etc/iptables/rules.v4").format == "unknown"


def test_a_message_cut_right_after_its_colon_is_read_by_its_template() -> None:
    # k3d-manager notes (holdout61): install-cni's warning pasted without its value (the path on the next line)
    event = parse("  Istio CNI is configured as chained plugin, but cannot find existing CNI network config:")
    assert (event.format, event.category, event.outcome) == ("istio-cni", "other", "failure")


def test_istio_iptables_variable_dump_is_the_cni_family_s() -> None:
    # istio-iptables prints its variables one a line before it programs the redirect (tools/istio-iptables/pkg/
    # capture/run.go and config.go Print()); pasted bare, behind skaffold's "[istio-init] " and behind a VM's journal
    # (three of the issue and blog pastes the search index holds: files 29656086182, 19892378853, 43621087828)
    for line in (
        "PROXY_INBOUND_CAPTURE_PORT=15006",
        "KUBE_VIRT_INTERFACES=",
        "[istio-init] PROXY_UID=1337",
        "7月 19 09:03:35 localhost.localdomain istio-start.sh[6717]: PROXY_PORT=15001",
    ):
        event = parse(line)
        assert verdict(event) == ("istio-cni", "other", "unknown", False), line
    # another program's variable, or one of these names inside a sentence, is not the dump
    assert parse("FOO=bar").format == "unknown"
    assert parse("PROXY_PORT=15001 and more").format == "unknown"
    assert parse("[istio-init] hello world").format == "unknown"


@pytest.mark.parametrize(
    "line",
    [
        # holdout95, holdout58, holdout28, holdout85: what iptables (either backend) and istio-iptables said when the
        # capture could not be set up, as istio-init passes it on
        "line 24: TABLE_ADD failed (No such file or directory): table nat",
        "iptables-restore v1.6.1: iptables-restore: unable to initialize table 'nat'",
        "unable to initialize table 'nat' Error occurred at line: 1 ",
        "iptables: Chain already exists.",
        "/usr/local/bin/istio-iptables.sh: line 97: hostname: command not found",
        "Ignoring error for bug compatibility with istio-iptables.sh: invalid CIDR address: -b",
        # holdout125 (istio/istio threads on hardened nodes): libxtables' error class as istio-iptables relays it,
        # iptables' refusal of a rule the kernel cannot do, and install-cni.sh's bash error on the host's CNI dir
        "Command error: xtables other problem: line 69 failed",
        "iptables: Invalid argument. Run `dmesg' for more information.",
        "/install-cni.sh: line 185: /host/etc/cni/net.d/istio-cni.conf.tmp: Permission denied",
    ],
)
def test_iptables_refusing_the_capture_is_the_redirects_failure(line: str) -> None:
    assert verdict(parse(line)) == ("istio-cni", "other", "failure", False)


def test_iptables_own_notes_are_no_failure() -> None:
    # a warning of iptables' about the other backend, and a rule it echoes, are not refusals
    assert parse("# Warning: iptables-legacy tables present, use iptables-legacy-save to see them").outcome != "failure"


def test_istio_iptables_command_lines_are_the_cni_family_s() -> None:
    # holdout125/127: istio-init's output pasted bare -- the command line istio-iptables logs with the lock it runs
    # it under (dependencies/implementation_linux.go "Running command (%s): %s %s"), and the restore of its rules
    # file with the digits an author blanked out
    for line in (
        "Running command (with global lock): iptables-restore --noflush --wait=30",
        "Running command (without lock): ip6tables-restore --noflush",
        "iptables-restore --noflush /tmp/iptables-rules-xxxxxxxxxxxxxxxxxxxxx.txt670681543",
    ):
        assert verdict(parse(line)) == ("istio-cni", "other", "unknown", False), line
    # the same words before another command, or another program's lock, are nobody's in particular
    assert parse("Running command (with global lock): ls -la").format == "unknown"
    assert parse("Running command (with a lock): iptables-restore").format == "unknown"
