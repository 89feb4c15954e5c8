# ruff: noqa: E501  (real log lines, verbatim)
"""General rules found by measuring on lines the parsers were not written for (tests/data/holdout).

Each line below is real (source above it) and was read wrong before: not recognised, or given
an outcome its words contradict.  The fixes are general — a shape or a word rule, not the
line — so each test also checks a sibling the rule must (or must not) cover.
"""

from __future__ import annotations

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser

# github markdown (repo not reported by the search index; index file id 40184920570): online-boutique on minikube notes, 'Milestone 2'
ECHO_JSON = '\u25cb \u2192 echo \'{"downstream_local_address":"172.17.0.4:8080","response_code_details":"via_upstream","authority":"127.0.0.1","path":"/wrongpath","method":"GET","upstream_cluster":"outbound|80||frontend.online-boutique.svc.cluster.local","protocol":"HTTP/1.1","upstream_local_address":"172.17.0.4:46062","downstream_remote_address":"172.17.0.1:4767","route_name":null,"upstream_host":"172.17.0.9:8080","response_flags":"-","request_id":"a279ad6e-0e1c-98ea-9d74-d6028e2017f8","user_agent":"curl/7.64.1","duration":3,"bytes_received":0,"start_time":"2021-05-30T18:50:42.181Z","bytes_sent":19,"upstream_transport_failure_reason":null,"upstream_service_time":"2","requested_server_name":null,"response_code":404,"connection_termination_details":null,"x_forwarded_for":"172.17.0.1"}\' | jq .'

# github markdown (repo not reported by the search index; index file id 54817000416): ambient/gateway video-streaming investigation
NO_PROTO = '[02:37:34.638Z] "GET /Videos/.../stream.mp4?Static=true&..." 0 DC downstream_remote_disconnect'

# istio/istio#24095 https://github.com/istio/istio/issues/24095
MIXER_REPORT = "[2020-05-27 07:05:55.299][28][warning][filter] [src/istio/mixerclient/report_batch.cc:106] Mixer Report failed with: UNAVAILABLE:Server is currently overloaded. Please try again."

# istio/istio#57889 https://github.com/istio/istio/issues/57889
SDS_X509 = '2025-10-08T14:11:00.157087Z\twarning\tenvoy config external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:188\tStreamSecrets gRPC config stream to sds-grpc closed: 2, failed to generate secret for default: failed to generate workload certificate: create certificate: rpc error: code = Unavailable desc = connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of \\"crypto/rsa: verification error\\" while trying to verify candidate authority certificate \\"cluster.local\\")"\tthread=9'

# istio/istio#27580 https://github.com/istio/istio/issues/27580
NOT_READY = "2020-09-28T10:01:56.137420Z\twarn\tEnvoy proxy is NOT ready: config not received from Pilot (is Pilot running?): cds updates: 1 successful, 0 rejected; lds updates: 0 successful, 1 rejected"

# istio/istio#53843 https://github.com/istio/istio/issues/53843
POD_ONLY = "istio-cni-node-tf8bz 2024-11-10T13:54:13.762966Z    error    cni-agent    failed to add pod to ztunnel: partial add error: no ztunnel connection"

# istio/istio#51622 https://github.com/istio/istio/issues/51622
CNI_SUCCEED = (
    "2024-06-25T07:55:10.672292Z    info    cni-agent    Installation succeed, start watching for re-installation."
)

# istio/istio#24851 https://github.com/istio/istio/issues/24851
FULL_PUSH = "2020-08-11T01:18:22.837821Z\tinfo\tads\tFull push, service accounts changed, demo.fewbox.svc.cluster.local"

# istio/istio#33576 https://github.com/istio/istio/pull/33576
SCOPE_FIRST = "ads     Push debounce stable[2] 1 for config VirtualService/route.default: 100.215996ms since last change, 100.215807ms since last push, full=true"


def parse(text: str):
    return StreamParser().parse(RawLine(text, Source("file", path="pasted.log", line=1), "2026-01-01T00:00:00Z"))


def test_a_pod_name_alone_before_the_line_is_peeled() -> None:
    event = parse(POD_ONLY)
    assert (event.format, event.outcome, event.source.pod) == ("istio-cni", "failure", "istio-cni-node-tf8bz")
    # two words before a time are not a pod unless the first ends in a generated suffix
    assert parse("hello world 2024-11-10T13:54:13.762966Z done").source.pod is None


def test_an_access_line_whose_protocol_was_elided() -> None:
    event = parse(NO_PROTO)
    assert (event.format, event.action, event.outcome) == ("envoy-text", "downstream.disconnect", "failure")
    assert event.attributes["meshtail.partial"] is True and "network.protocol.name" not in event.attributes


def test_a_json_access_record_inside_a_shell_command() -> None:
    event = parse(ECHO_JSON)
    assert (event.format, event.outcome, event.attributes["http.response.status_code"]) == (
        "envoy-json",
        "failure",
        404,
    )
    assert event.attributes["meshtail.partial"] is True


def test_a_fragment_that_starts_at_the_scope_column() -> None:
    event = parse(SCOPE_FIRST)
    assert (event.format, event.action, event.outcome) == ("istiod", "xds.push", "change")
    assert event.attributes["istio.scope"] == "ads"
    assert parse("ads     something only a person would write here").format == "unknown"


def test_not_ready_with_a_rejected_update_is_a_nack() -> None:
    event = parse(NOT_READY)
    assert (event.category, event.outcome, event.violation, event.action) == ("config", "failure", True, "xds.reject")
    healthy = parse(NOT_READY.replace("1 rejected", "0 rejected"))
    assert (healthy.action, healthy.violation) == ("proxy.not_ready", False)


def test_sds_closed_because_the_certificate_was_refused() -> None:
    event = parse(SDS_X509)
    assert (event.category, event.outcome, event.violation) == ("auth", "failure", True)
    routine = parse("2025-10-08T14:11:00.157087Z\twarning\tenvoy config\tStreamSecrets gRPC config stream closed: 2, ")
    assert (routine.outcome, routine.violation) == ("unknown", False)


def test_outcome_from_the_lines_own_words_when_no_rule_says() -> None:
    assert parse(MIXER_REPORT).outcome == "failure"  # a warning that says it failed
    assert parse(CNI_SUCCEED).outcome == "success"  # an info line that says it succeeded
    assert parse(FULL_PUSH).action == "xds.push"
