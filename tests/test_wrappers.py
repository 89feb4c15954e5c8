"""Wrappers peeled off before a line's family is looked for, and what they say about the line.

Inner lines are real (sources named); the wrapper shapes follow the tools' documented output
(stern, grep, Grafana/Kibana exports, Fluent Bit's stdout and json formats, ``aws logs tail``,
``logcli``).  Each of these was an unparsed line, or lost its pod, before the peelers below.
"""

from __future__ import annotations

import json

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser
from meshtail.parse.wrappers import peel

FILE = Source("file", path="pasted.log", line=1)

# istio/istio#27903 (ingress gateway, strict mTLS): a plaintext connection refused by every filter chain
ACCESS_NR = (
    '[2020-10-29T03:23:33.415Z] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" "-" "-" "-" - - '
    "172.17.0.7:80 172.17.0.6:59800 - -"
)
# istio/istio#25541-style istiod NACK as Istio prints it (istio/istio pilot/pkg/xds/ads.go "ACK ERROR")
NACK = (
    "2020-07-31T05:10:49.486763Z\twarn\tads\tADS:CDS: ACK ERROR 10.22.10.65:33788 "
    "router~10.22.10.65~gw-98d8db596-8bwst.ns~ns.svc.cluster.local-8 Internal:Proto constraint validation failed"
)


def parse(text: str):
    return StreamParser().parse(RawLine(text, FILE, "2026-01-01T00:00:00Z"))


def test_stern_short_time_and_a_line_with_its_own_time() -> None:
    # stern --timestamps=short before an istio-agent line (its own RFC 3339 time follows)
    line = (
        "ratings-v1-b6994bb9-wd8kj istio-proxy 10-22 14:55:42 "
        "2020-10-22T14:55:42.314876Z     info    xdsproxy        Envoy ADS stream established"
    )
    peeled = peel(line, FILE)
    assert peeled.wrappers == ["stern"]
    assert (peeled.source.pod, peeled.source.container) == ("ratings-v1-b6994bb9-wd8kj", "istio-proxy")
    assert peeled.body.startswith("2020-10-22T14:55:42.314876Z")
    event = parse(line)
    assert event.source.pod == "ratings-v1-b6994bb9-wd8kj" and event.action != "log.unparsed"


# istio/istio#31555: Envoy's network RBAC denial, Istio's default text access format
TCP_DENIAL = (
    '[2021-03-16T09:30:47.919Z] "- - -" 0 - - rbac_access_denied_matched_policy[none] "-" 0 0 0 - "-" "-" '
    '"-" "-" "-" inbound|12950|| - 10.244.0.31:12950 10.244.0.1:11504 - -'
)
# tests/data/corpus/envoy/headers-dump.jsonl: a multi-line Envoy message's indented last line
CONTINUATION = "        thread=20"


@pytest.mark.parametrize(
    "stamp",
    [
        "10-22 14:55:42",  # --timestamps=short (stern/stern stern/tail.go TimestampFormatShort "01-02 15:04:05")
        "2024-05-01T12:00:00.123456789+02:00",  # --timestamps in the local zone (TimestampFormatDefault)
        "2024-05-01T12:00:00.123456789Z",  # --timestamps --timezone UTC
    ],
)
@pytest.mark.parametrize("message", ["Push debounce stable[127] 3 for config ServiceEntry", CONTINUATION])
def test_sterns_own_time_before_a_message_without_a_time_of_its_own(stamp: str, message: str) -> None:
    # the names and stern's time were left on the line (read as a line starting "10-22 14:55:42") or, with
    # blanks after the time, nothing was peeled: either way the message was unparsed
    peeled = peel(f"istiod-5d95bbc58f-78xxg discovery {stamp} {message}", FILE)
    assert peeled.wrappers[0] == "stern"
    assert (peeled.source.pod, peeled.source.container) == ("istiod-5d95bbc58f-78xxg", "discovery")
    assert peeled.body.lstrip() == message.lstrip()
    assert parse(f"istiod-5d95bbc58f-78xxg discovery {stamp} {message}").action != "log.unparsed"


def test_sterns_time_keeps_a_denial_a_denial() -> None:
    line = f"productpage-v1-7bbdd59459-dqhcb istio-proxy 2024-05-01T12:00:00.123456789+02:00 {TCP_DENIAL}"
    event = parse(line)
    assert (event.category, event.violation, event.action) == ("auth", True, "authz.deny")
    assert event.source.pod == "productpage-v1-7bbdd59459-dqhcb"


@pytest.mark.parametrize(
    "prefix",
    [
        "2024-05-01T12:00:00.1Z stdout F ",  # a CRI file (containerd trims the fraction's zeros)
        "2024-05-01T12:00:00.123456789+02:00 stderr F ",  # CRI-O, local offset
        "2024-05-01T12:00:00.123456789Z ",  # kubectl logs --timestamps (RFC3339NanoFixed)
    ],
)
def test_a_kubelet_or_cri_stamp_before_a_line_that_starts_with_blanks(prefix: str) -> None:
    # the stream marker was handed on as the line ("stdout F   thread=20"), or nothing was peeled
    peeled = peel(prefix + CONTINUATION, FILE)
    assert peeled.body.lstrip() == CONTINUATION.lstrip()
    assert parse(prefix + CONTINUATION).format == "envoy-component"


def test_an_istio_line_with_its_tab_expanded_is_not_a_kubelet_prefix() -> None:
    # Istio prints six digits: the spaces after its time are its own expanded tab, not a wrapper's
    line = "2020-10-22T14:55:42.314876Z     info    xdsproxy        Envoy ADS stream established"
    assert parse(line).time == "2020-10-22T14:55:42.314876Z"
    assert not peel(line, FILE).wrappers


def test_stern_json_with_timestamps() -> None:
    record = {
        "message": "2024-05-01T12:00:00.123456789+02:00 " + TCP_DENIAL,
        "nodeName": "gke-prod-default-pool-1a2b3c4d-x9z8",
        "namespace": "bookinfo",
        "podName": "productpage-v1-7bbdd59459-dqhcb",
        "containerName": "istio-proxy",
    }
    event = parse(json.dumps(record))
    assert (event.category, event.violation, event.action) == ("auth", True, "authz.deny")
    assert event.source.pod == "productpage-v1-7bbdd59459-dqhcb"


def test_stern_time_that_belongs_to_the_line() -> None:
    # stern without --timestamps: the time after the container is the istio-agent line's own
    line = (
        "reviews-v2-5b667bcbf8-t6mqx istio-proxy 2023-06-12T20:48:02.647553Z    warn    Envoy proxy is NOT ready: "
        "config received from XDS server, but was rejected: cds updates: 1 successful, 0 rejected"
    )
    event = parse(line)
    assert event.source.container == "istio-proxy"
    assert event.time == "2023-06-12T20:48:02.647553Z"
    assert event.category == "config" and event.action != "log.unparsed"


def test_stern_with_a_namespace_that_is_not_a_dns_name() -> None:
    # a reporter's redacted namespace ("our_ns") in stern -A output, before a JSON access record
    record = json.dumps({"response_code": "0", "response_flags": "UF,URX", "upstream_cluster": "outbound|7600||kc"})
    event = parse(f"our_ns keycloak-0 istio-proxy {record}")
    assert (event.source.namespace, event.source.pod) == ("our_ns", "keycloak-0")
    assert (event.format, event.action) == ("envoy-json", "upstream.failure")


def test_grep_file_name_before_a_line_that_starts_with_a_year() -> None:
    # grep -H over an istio-cni log: "file.log:2025-…" is a file name and the line, not line 2025
    line = (
        "istio-cni-node-z9z7c_install-cni.log:2025-01-10T10:04:20.407851Z        info    cni-agent       "
        "adding pod to the mesh  ns=echo-1-98991 name=captured-v1-9945c6685-58zx7"
    )
    peeled = peel(line, FILE)
    assert peeled.wrappers == ["grep"] and peeled.source.line == 1  # the source's own line number kept
    assert peeled.body.startswith("2025-01-10T10:04:20.407851Z")
    numbered = peel("mesh.log:12:" + ACCESS_NR, FILE)
    assert numbered.source.line == 12 and numbered.body == ACCESS_NR


def test_grep_file_name_before_a_log_ui_export_whose_time_has_a_space() -> None:
    # grep -H over an exported log view (istio/istio#50596's lines: the viewer's local time, a tab, the line):
    # "file.log:2024-04-17 14:24:00.096" is the file and the export's time, not line 2024 and grep's "-" context mark
    line = "istio-proxy.log:2024-04-17 14:24:00.096\t2024-04-17T05:24:00.096412Z\tinfo\tplatform detected is AWS"
    peeled = peel(line, FILE)
    assert peeled.wrappers == ["grep", "export"] and peeled.source.line == 1  # (the source's own, not 2024)
    assert peeled.body == "2024-04-17T05:24:00.096412Z\tinfo\tplatform detected is AWS"
    assert parse(line).format == "istio-agent"
    numbered = peel("istio-proxy.log:12:" + ACCESS_NR, FILE)  # (a line number still reads as one)
    assert numbered.source.line == 12 and numbered.body == ACCESS_NR


def test_log_ui_export_whose_second_time_is_the_lines_own() -> None:
    line = "2026-08-03 03:41:48.503\t" + NACK
    event = parse(line)
    assert event.attributes["meshtail.wrappers"] == ["export"]
    assert (event.category, event.violation) == ("config", True)
    assert event.time == "2020-07-31T05:10:49.486763Z"


@pytest.mark.parametrize(
    "stamp",
    ["June 17th 2019, 02:05:59.124", "Jun 17, 2019 @ 02:05:59.124"],  # Kibana ≤ 6 and 7+ (moment.js formats)
)
def test_kibana_discover_copies_in_either_time_format_are_peeled(stamp: str) -> None:
    event = parse(f"{stamp}\t{NACK}")
    assert parse(stamp + " " * 3 + "just words").format == "unknown"  # premise: a time alone peels nothing
    assert event.attributes["meshtail.wrappers"] == ["export"]
    assert (event.category, event.violation) == ("config", True)
    assert event.time == "2020-07-31T05:10:49.486763Z"


def test_fluent_bit_array_record_names_the_pod() -> None:
    # Fluent Bit's json output: [epoch, {log, stream, kubernetes}]
    record = {
        "log": ACCESS_NR + "\n",
        "stream": "stdout",
        "kubernetes": {
            "pod_name": "istio-ingressgateway-5d9f7c8b6d-x2k4q",
            "namespace_name": "istio-system",
            "container_name": "istio-proxy",
        },
    }
    event = parse(f"[1603941813.715000,{json.dumps(record)}]")
    assert (event.action, event.violation) == ("mtls.reject", True)
    assert event.source.namespace == "istio-system" and event.source.container == "istio-proxy"
    assert event.attributes["k8s.log.timestamp"].startswith("2020-10-29T03:23:33.715")


def test_fluent_bit_stdout_with_unescaped_quotes_in_values() -> None:
    # fluent/fluent-bit#5739: the stdout output prints "reason"=>""-"" for a value that is "-" in quotes
    line = (
        '[0] tail.0: [1606339578.409000000, {"start_time"=>"2020-11-25T21:26:18.409Z", "method"=>"GET", '
        '"path"=>"/status/418", "protocol"=>"HTTP/1.1", "response_code"=>"418", "response_flags"=>"-", '
        '"response_code_details"=>"via_upstream", "upstream_transport_failure_reason"=>""-"", '
        '"upstream_cluster"=>"outbound|8000||httpbin.foo.svc.cluster.local", "route_name"=>"default"}]'
    )
    event = parse(line)
    assert (event.action, event.outcome) == ("http.request", "failure")
    assert event.attributes["http.response.status_code"] == 418


def test_cloudwatch_tail_names_pod_namespace_and_container_from_the_stream() -> None:
    inner = json.dumps({"log": ACCESS_NR + "\n", "stream": "stdout"})
    stream = "webapp-7685bcb84-hp2kl_istioinaction_istio-proxy-" + "5b2e0e1c0f3c4a7f" * 4
    event = parse(f"2022-12-30T13:03:35.611000+00:00 {stream} {inner}")
    assert (event.source.pod, event.source.namespace, event.source.container) == (
        "webapp-7685bcb84-hp2kl",
        "istioinaction",
        "istio-proxy",
    )
    assert event.action == "mtls.reject"
    assert event.attributes["meshtail.wrappers"][:2] == ["cloudwatch", "envelope"]


def test_logcli_labels_before_a_line_are_not_taken_for_a_kubelet_stamp() -> None:
    line = (
        '2020-10-29T03:23:33.415Z {container="istio-proxy", namespace="istio-system", '
        f'pod="istio-ingressgateway-5d9f7c8b6d-x2k4q"}} {ACCESS_NR}'
    )
    event = parse(line)
    assert event.attributes["meshtail.wrappers"] == ["loki"]
    assert event.source.pod == "istio-ingressgateway-5d9f7c8b6d-x2k4q" and event.action == "mtls.reject"


def test_a_collector_record_cut_at_its_start() -> None:
    # a Fluentd/Elastic record pasted from the middle: the line is still inside "log":"…"
    line = 'timestamp":1596172249487,"log":"' + NACK.replace("\t", "\\t") + '\\n","stream":"stderr"}'
    event = parse(line)
    assert (event.category, event.violation) == ("config", True)
    assert event.attributes["meshtail.partial"] is True
    assert "\t" not in event.summary


# ---- collectors' shapes a review read from their own code and docs (each was unread, or lost its names, before)
# istio/istio#36465 https://github.com/istio/istio/issues/36465 (istiod, Istio 1.12): the inner line of each shape
ISTIOD_PUSH = (
    "2022-01-10T18:26:56.521678Z\tinfo\tads\tCDS: PUSH for node:istio-ingressgateway-6897dcd6f8-vrmvb.istio-system "
    "resources:137 size:118.2kB cached:131/136"
)
POD, NS, CTR = "istiod-7d4f8b9c6-x2k9p", "istio-system", "discovery"  # istiod's pod: the line is istiod's
KUBE_RUBY = (
    f'{{"pod_name"=>"{POD}", "namespace_name"=>"{NS}", "pod_id"=>"0b0f", "host"=>"kind-worker", '
    f'"container_name"=>"{CTR}"}}'
)


def _istiod_from(line: str, names: bool = True) -> None:
    event = parse(line)
    assert (event.format, event.action) == ("istiod", parse(ISTIOD_PUSH).action), line
    if names:
        assert (event.source.namespace, event.source.pod, event.source.container) == (NS, POD, CTR), line


def test_fluent_bit_stdout_since_2_1_with_raw_strings_and_kubernetes_metadata() -> None:
    # plugins/out_stdout/stdout.c: "[%zd] %s: [[" time, metadata "], " record "]"; msgpack-c prints strings as they are
    _istiod_from(
        f"[0] kube.var.log.containers.{POD}_{NS}_{CTR}-3f1d.log: [[1727162096.165869410, {{}}], "
        f'{{"time"=>"2024-09-24T07:14:56.165869410Z", "stream"=>"stdout", "_p"=>"F", "log"=>"{ISTIOD_PUSH}", '
        f'"kubernetes"=>{KUBE_RUBY}}}]'
    )


def test_coloured_names_in_front_are_taken_off_and_colour_inside_the_line_is_kept() -> None:
    # stern's default template colours namespace, pod and container, each with its own reset
    coloured = f"\x1b[96m{NS}\x1b[0m \x1b[96m{POD}\x1b[0m \x1b[36m{CTR}\x1b[0m {ISTIOD_PUSH}"
    event = parse(coloured)
    assert event.format == "istiod"
    hostile = parse(f"\x1b[96m{POD}\x1b[0m \x1b[36m{CTR}\x1b[0m {ISTIOD_PUSH} \x1b[31mred\x1b[0m")
    assert "\x1b[31m" in peel(hostile.raw, FILE).body  # the log's own codes are data, kept to be shown escaped


def test_journald_and_syslog_prefixes() -> None:
    for line in (
        f"Sep 24 07:14:56 vm-1 pilot-agent[1234]: {ISTIOD_PUSH}",  # journalctl (short), RFC 3164
        f"2024-09-24T07:14:56+0000 vm-1 pilot-agent[1234]: {ISTIOD_PUSH}",  # journalctl -o short-iso
        f"<165>1 2024-09-24T07:14:56.165Z vm-1 pilot-agent 1234 - - {ISTIOD_PUSH}",  # RFC 5424
    ):
        _istiod_from(line, names=False)
    journal = {"__REALTIME_TIMESTAMP": "1727162096165869", "SYSLOG_IDENTIFIER": "3f1d0c4e5b6a",
               "CONTAINER_NAME": f"k8s_{CTR}_{POD}_{NS}_0b0f_0", "MESSAGE": ISTIOD_PUSH}  # fmt: skip
    _istiod_from(json.dumps(journal))  # journalctl -o json (the docker/journald log driver's names)


def test_splunk_elasticsearch_and_datadog_records() -> None:
    hec = {"time": 1727162096.165, "host": "kind-worker", "sourcetype": f"kube:container:{CTR}", "event": ISTIOD_PUSH,
           "fields": {"namespace": NS, "pod": POD, "container": CTR}}  # fmt: skip
    _istiod_from(json.dumps(hec))
    _istiod_from(json.dumps({"_raw": ISTIOD_PUSH, "_time": "2024-09-24T07:14:56.165+00:00"}), names=False)
    _istiod_from(json.dumps({"preview": False, "result": {"_raw": ISTIOD_PUSH}}), names=False)
    hit = {"_index": "logs", "_id": "abc", "_source": {"@timestamp": "2024-09-24T07:14:56.165Z", "message": ISTIOD_PUSH,
           "kubernetes": {"namespace": NS, "pod": {"name": POD}, "container": {"name": CTR}}}}  # fmt: skip
    _istiod_from(json.dumps(hit))
    ui = {"id": "AQAAAY", "content": {"timestamp": "2024-09-24T07:14:56.165Z", "service": CTR, "message": ISTIOD_PUSH,
          "tags": [f"kube_namespace:{NS}", f"pod_name:{POD}", f"kube_container_name:{CTR}"]}}  # fmt: skip
    _istiod_from(json.dumps(ui))
    # a record pasted from a JSON array keeps its comma
    _istiod_from(json.dumps({"log": ISTIOD_PUSH + "\n", "stream": "stdout"}) + ",", names=False)


def test_kubetail_colours_stern_templates_and_grep_over_a_stern_capture() -> None:
    # kubetail: the tag coloured, then tput's reset "\x1b(B\x1b[m" before the line
    _istiod_from(f"\x1b[32m[{POD} {CTR}]\x1b(B\x1b[m {ISTIOD_PUSH}", names=False)
    tagged = parse(f"\x1b[32m[{POD} {CTR}]\x1b(B\x1b[m {ISTIOD_PUSH}")
    assert (tagged.source.pod, tagged.source.container) == (POD, CTR)
    # stern --template '{{.Namespace}}/{{.PodName}} {{.Message}}' and '[{{.PodName}}/{{.ContainerName}}] …'
    slashed = parse(f"{NS}/{POD} {ISTIOD_PUSH}")
    assert (slashed.format, slashed.source.namespace, slashed.source.pod) == ("istiod", NS, POD)
    bracketed = parse(f"[{POD}/{CTR}] {ISTIOD_PUSH}")
    assert (bracketed.format, bracketed.source.pod, bracketed.source.container) == ("istiod", POD, CTR)
    # grep -n over a file stern wrote: both wrappers come off
    grepped = parse(f"123:{NS} {POD} {CTR} {ISTIOD_PUSH}")
    assert (grepped.format, grepped.source.pod, grepped.source.container) == ("istiod", POD, CTR)


def test_fluent_bit_parsed_records_and_aws_logs_tail_short() -> None:
    # a parser filter added "level" beside "log" (the kubernetes filter says the collector wrote the record)
    record = {"log": ISTIOD_PUSH + "\n", "level": "info", "stream": "stdout",
              "kubernetes": {"namespace_name": NS, "pod_name": POD, "container_name": CTR}}  # fmt: skip
    _istiod_from(json.dumps(record))
    # and without the collector's keys, a "log" beside "level" is another program's own field: not peeled
    assert parse(json.dumps({"level": "info", "log": "x", "msg": "starting"})).format != "istiod"
    # Merge_Log_Key: the line's own JSON (an access record with Istio's JSON keys) parsed into "log_processed"
    merged = {
        "date": 1727162096.1,
        "stream": "stdout",
        "log_processed": {
            "response_code": 403,
            "response_flags": "-",
            "response_code_details": "rbac_access_denied_matched_policy[none]",
            "upstream_cluster": "inbound|8000||",
            "method": "GET",
            "path": "/headers",
        },
        "kubernetes": {"pod_name": POD},
    }
    event = parse(json.dumps(merged))
    assert (event.format, event.category, event.outcome) == ("envoy-json", "auth", "deny")
    # aws logs tail --format short: its own zone-less time before the line's
    _istiod_from(f"2024-09-24T07:14:56 {ISTIOD_PUSH}", names=False)


# istio/istio#31525: the paste lost the first digit of the time
CUT_TIME = '021-03-12T17:08:17.573733Z    warn    ads    ADS:RDS: ACK ERROR <redacted> Internal:Proto constraint validation failed (RouteConfigurationValidationError.VirtualHosts[i]: ["embedded message failed validation"] | caused by VirtualHostValidationError.Routes[i]: ["embedded message failed validation"] | caused by RouteValidationError.Route: ["embedded message failed validation"] | caused by RouteActionValidationError.WeightedClusters: ["embedded message failed validation"] | caused by WeightedClusterValidationError.Clusters: ["value must contain at least " \'\\x01\' " item(s)"]): name: "http.80"'  # noqa: E501


def test_a_time_cut_at_its_start_is_peeled_and_the_line_flagged_partial() -> None:
    event = parse(CUT_TIME)
    assert (event.format, event.category, event.outcome, event.violation) == ("istiod", "config", "failure", True)
    assert event.attributes.get("meshtail.partial") is True
    whole = "2" + CUT_TIME
    assert parse(whole).attributes.get("meshtail.partial") is None  # a whole time is no artefact


def test_grafanas_download_before_a_line_without_a_time_of_its_own() -> None:
    # grafana/grafana download.ts writes "<epoch ms>\t<time>\t<line>": both times are the export's, so an
    # access line pasted from its status on is still the ext_authz denial it was (it read as other/unknown)
    line = f"1714557600123\t2024-05-01T10:00:00.123Z\t{TCP_DENIAL.split('] ', 1)[1]}"
    peeled = peel(line, FILE)
    assert peeled.wrappers == ["export"] and peeled.body.startswith('"- - -" 0 -')
    assert parse(line).action == "authz.deny"
    fragment = (
        '503 UAEX "-" 131 0 30 - "10.34.0.0" "-" "1797b0d3-56f0-4674-8cf2-a8a61f9adaea" "api" "-" - - 10.40.0.29:443'
    )
    assert parse(fragment).action == "extauthz.deny"  # the premise
    assert parse(f"1714557600123\t2024-05-01T10:00:00.123Z\t{fragment}").action == "extauthz.deny"
    # an Istio line's own time after the epoch stays the line's
    own = "1714557600123\t2020-10-22T14:55:42.314876Z\tinfo\txdsproxy\tEnvoy ADS stream established"
    assert parse(own).time == "2020-10-22T14:55:42.314876Z"


def _cloud_logging(payload: dict, pod: str, container: str) -> str:
    # Cloud Logging keeps a JSON line as jsonPayload, its time and severity moved out by the agent
    # (cloud.google.com/logging/docs/structured-logging)
    labels = {"namespace_name": "istio-system", "pod_name": pod, "container_name": container}
    resource = {"type": "k8s_container", "labels": labels}
    return json.dumps({"jsonPayload": payload, "resource": resource, "timestamp": "2022-07-19T01:09:27.672459Z"})


def test_a_json_payload_without_its_time_belongs_to_the_container_that_printed_it() -> None:
    # istio/istio#39963: istio-cni 1.14's line, its time gone into the entry; it read as istiod's
    cni = parse(_cloud_logging({"level": "info", "msg": "Added ::6 address"}, "istio-cni-node-7q6z7", "install-cni"))
    assert cni.format == "istio-cni"
    # solo-io/workshops (Gloo Mesh 2.5, ext-auth-service's OPA sidecar): another program's zap line, read as istiod's
    opa = {"level": "info", "msg": "Bundle loaded and activated successfully.", "name": "authz", "plugin": "bundle"}
    assert parse(_cloud_logging(opa, "ext-auth-service-5d8f7c9b4-x2k4q", "opa")).format == "unknown"
    # Istio's own line from its own container is still Istio's
    ads = {"level": "info", "scope": "ads", "msg": "Push debounce stable[127] 3 for config ServiceEntry"}
    assert parse(_cloud_logging(ads, "istiod-5d95bbc58f-78xxg", "discovery")).format == "istiod"


@pytest.mark.parametrize("mark", ["123-", "123:", "ztunnel.log-", "ztunnel.log:"])
def test_grep_marks_before_a_message_are_not_names_or_an_authors_label(mark: str) -> None:
    # istio/istio ztunnel (holdout21): a certificate expiry as ztunnel logs it, behind grep -n / -H (-C context)
    message = (
        "tls handshake error: Custom { kind: InvalidData, error: InvalidCertificate(ExpiredContext "
        "{ time: UnixTime(1778681736), not_after: UnixTime(1778681170) }) }"
    )
    assert parse(message).format == "ztunnel"  # the premise
    event = parse(mark + message)
    # "123-tls handshake" was read as stern's pod and container, "123-script load error: " as a label
    assert event.source.pod is None
    assert (event.format, event.category, event.violation) == ("ztunnel", "auth", True)


def test_grep_h_before_a_line_that_starts_with_a_clock() -> None:
    # GoogleCloudPlatform/esp-v2#615 (holdout22): a glog-headed Envoy line cut before its date, behind grep -H;
    # "09" was taken for grep's line number, though grep writes none with a leading zero
    line = "09:20:35.992 28 envoy] [28][router][C0][S6749944153606445985] performing retry"
    assert parse(line).format == "envoy-component"  # the premise
    event = parse(f"router.log:{line}")
    assert event.format == "envoy-component"
    assert event.source.path == "router.log" and event.source.line != 9
    assert parse(f"router.log:9:{line}").source.line == 9  # grep -Hn's own number still is one


def test_gelf_from_dockers_gelf_driver() -> None:
    # docs.docker.com/engine/logging/drivers/gelf: the line is short_message, the container's Docker name (the
    # kubelet's k8s_<container>_<pod>_<namespace>_… under dockershim) is _container_name
    record = {
        "version": "1.1",
        "host": "node-1",
        "short_message": TCP_DENIAL,
        "timestamp": 1615887047.919,
        "level": 6,
        "_command": "/usr/local/bin/pilot-agent proxy sidecar",
        "_container_id": "9f8e7d6c5b4a",
        "_container_name": "k8s_istio-proxy_productpage-v1-7bbdd59459-dqhcb_bookinfo_5d1c_0",
        "_image_name": "docker.io/istio/proxyv2:1.9.0",
        "_tag": "9f8e7d6c5b4a",
    }
    event = parse(json.dumps(record))
    assert (event.format, event.action, event.violation) == ("envoy-text", "authz.deny", True)
    assert (event.source.namespace, event.source.pod, event.source.container) == (
        "bookinfo",
        "productpage-v1-7bbdd59459-dqhcb",
        "istio-proxy",
    )


def test_gelf_from_fluent_bits_gelf_output_names_the_pod() -> None:
    # docs.fluentbit.io/manual/pipeline/outputs/gelf: the record's other keys become GELF additional fields, the
    # kubernetes filter's metadata flattened to _kubernetes_pod_name, _kubernetes_namespace_name, …
    record = {
        "version": "1.1",
        "host": "node-1",
        "short_message": TCP_DENIAL,
        "_kubernetes_pod_name": "productpage-v1-7bbdd59459-dqhcb",
        "_kubernetes_namespace_name": "bookinfo",
        "_kubernetes_container_name": "istio-proxy",
    }
    event = parse(json.dumps(record))
    assert (event.format, event.action) == ("envoy-text", "authz.deny")
    assert (event.source.namespace, event.source.pod, event.source.container) == (
        "bookinfo",
        "productpage-v1-7bbdd59459-dqhcb",
        "istio-proxy",
    )


def test_logscale_rawstring_and_a_splunk_hec_event_with_its_time_only() -> None:
    # Falcon LogScale (Humio) keeps an event's text in @rawstring, its time in ms since the epoch; Splunk's HTTP
    # event collector takes {"time": …, "event": <line or record>} with no other key (docs.splunk.com, "Format
    # events for HTTP Event Collector")
    humio = parse(json.dumps({"@timestamp": 1615887047919, "@rawstring": TCP_DENIAL, "#repo": "mesh"}))
    assert (humio.format, humio.action) == ("envoy-text", "authz.deny")
    assert humio.attributes["k8s.log.timestamp"].startswith("2021-03-16T09:30:47.919")
    hec = parse(json.dumps({"time": 1615887047.919, "event": {"log": TCP_DENIAL, "stream": "stdout"}}))
    assert (hec.format, hec.action) == ("envoy-text", "authz.deny")
    # a record with an "event" among keys of its own is no HEC event: its "event" is the app's
    assert parse(json.dumps({"time": 1, "event": "login", "user": "alice"})).format == "unknown"


def test_logstash_rubydebug_message_field() -> None:
    # Logstash's stdout { codec => rubydebug } prints a record a field a line: '       "message" => "<line>",'
    # (elastic logstash docs, codec-rubydebug); the line inside is JSON-escaped, tabs and all
    event = parse('       "message" => ' + json.dumps(NACK) + ",")
    assert (event.format, event.action) == ("istiod", "xds.reject")
    assert event.attributes["meshtail.partial"] is True


def test_a_table_row_with_the_time_and_level_in_cells_of_their_own() -> None:
    # learn.microsoft.com, AKS Istio add-on troubleshooting (holdout43): istiod's log shown as a markdown table,
    # "| time | level | message |", the scope and message in one cell with the tab shown as blanks
    for row, action in (
        (
            "  | 2023-11-20T23:27:36.649032Z | info      | **No plugged-in cert at etc/cacerts/ca-key.pem; "
            "self-signed cert is used** |",
            "auth.event",
        ),
        (
            "  | 2023-11-21T00:20:25.808873Z | info      | spiffe  Added 1 certs to trust domain cluster.local in "
            "peer cert verifier |",
            "ca.event",
        ),
    ):
        event = StreamParser().parse(RawLine(row, FILE, "2026-01-01T00:00:00Z"))
        assert (event.format, event.category, event.action) == ("istiod", "auth", action), row
        assert event.time is not None and event.time.startswith("2023-11-2")
    # an access line in one cell keeps the "|" it escaped (an Istio cluster name), and is read whole
    cell = (
        '| [2020-10-29T03:23:33.415Z] "GET /a HTTP/1.1" 503 UF - "-" 0 91 3 - "-" "curl" "id" "a" "10.0.0.1:80" '
        "outbound\\|80\\|\\|a.default.svc.cluster.local - 10.0.0.2:80 10.0.0.3:4 - default |"
    )
    event = StreamParser().parse(RawLine(cell, FILE, "2026-01-01T00:00:00Z"))
    assert (event.format, event.outcome) == ("envoy-text", "failure")
    assert event.attributes["envoy.upstream_cluster"] == "outbound|80||a.default.svc.cluster.local"


# Pages write a log line as a markdown heading (a Chinese debugging note, holdout46: the errors as "## …"), and an
# author's sentence in their own language runs straight into the line with no mark between (agentscope-ai/AgentTeams
# #888, holdout48).  Both were unparsed lines.
@pytest.mark.parametrize(
    ("line", "family"),
    [
        ("## Envoy proxy is NOT ready: config not received from Pilot (is Pilot running?)", "istio-agent"),
        (
            "### 2026-07-13T03:44:23.353014Z     info    cache   returned workload trust anchor from cache",
            "istio-agent",
        ),
        (
            "我arm64环境像碰到这个问题了，需要禁用wasm插件才会不报2026-07-13T03:44:23.353014Z     info    cache   "
            "returned workload trust anchor from cache       ttl=23h59m59.646987153s",
            "istio-agent",
        ),
        (
            "报错日志[2023-04-11 18:54:39.260][1][warning][config] [./source/common/config/grpc_stream.h:201] "
            "DeltaAggregatedResources gRPC config stream to xds-grpc closed since 7554s ago: 14, connection error",
            "envoy-component",
        ),
    ],
)
def test_a_heading_or_a_sentence_before_the_line_is_peeled(line: str, family: str) -> None:
    event = StreamParser().parse(RawLine(line, Source("file", path="x", line=1), "2026-01-01T00:00:00Z"))
    assert event.format == family


@pytest.mark.parametrize(
    "line",
    [
        "## Heading about 2026-07-13T03:44:23 things",
        "说明 2026-07-13T03:44:23 之后的一切正常",
        "##notaheading info ads",
    ],
)
def test_prose_with_a_time_in_it_stays_prose(line: str) -> None:
    event = StreamParser().parse(RawLine(line, Source("file", path="x", line=1), "2026-01-01T00:00:00Z"))
    assert event.format == "unknown"


# istio-proxy's Envoy line (envoyproxy/envoy#15698) and an istiod push (the corpus's istiod-text), as a renderer that
# pads its cells or an author who aligned the columns shows them: blanks on either side of each tab
PADDED_TABS = [
    (
        "2021-03-26T00:03:54.637718Z \twarning \tenvoy config \tIgnoring unwatched type URL type.googleapis.com/envoy.config.route.v3.RouteConfiguration",  # noqa: E501
        "envoy-component",
    ),
    (
        "2021-03-26T00:03:54.637718Z\t warning\t envoy config\t Ignoring unwatched type URL type.googleapis.com/envoy.config.route.v3.RouteConfiguration",  # noqa: E501
        "envoy-component",
    ),
    ("2020-07-13T22:14:05.897902Z \tinfo \tads \tPush debounce stable[1] 1: 100.5ms since last change", "istiod"),
]


@pytest.mark.parametrize(("line", "family"), PADDED_TABS)
def test_blanks_beside_the_column_tabs_do_not_hide_the_columns(line: str, family: str) -> None:
    assert " \t" in line or "\t " in line  # the premise: the blanks are there
    event = parse(line)
    assert event.format == family, line
    plain = parse(line.replace(" \t", "\t").replace("\t ", "\t"))
    assert (event.category, event.outcome, event.action) == (plain.category, plain.outcome, plain.action)


# istiod's NACK (istio/istio#61097) and an Envoy access line (istio.io docs/tasks/observability/logs/access-log) as
# other tools hand them on
NACK_LINE = "2026-08-03T03:41:48.503582Z\twarn\tads\tADS:CDS: ACK ERROR deviceuser-545b9b4c5f-k2sbk.device-47920 Internal:Proto constraint validation failed"  # noqa: E501
ACCESS_LINE = '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 503 UO upstream_reset_before_response_started{overflow} - "-" 0 81 0 - "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "-" outbound|8000||httpbin.foo.svc.cluster.local - 10.0.45.184:8000 10.44.1.23:46520 - default'  # noqa: E501


@pytest.mark.parametrize("line", [NACK_LINE, ACCESS_LINE], ids=["nack", "access"])
@pytest.mark.parametrize(
    "shape",
    [
        lambda line: "\ufeff" + line,  # the first line of a file a Windows editor saved
        lambda line: "\u200b" + line,  # a chat's or a wiki's zero-width space before it
        lambda line: json.dumps(line),  # jq without -r, a Loki API answer's value
        lambda line: json.dumps(line) + ",",  # an item of a JSON array
        lambda line: "\ufeff" + json.dumps(line),
    ],
    ids=["bom", "zero-width", "json-string", "array-item", "bom-json-string"],
)
def test_a_line_behind_a_byte_order_mark_or_as_a_json_string_reads_as_the_line(line: str, shape) -> None:  # type: ignore[no-untyped-def]
    shown = shape(line)
    assert shown != line and not shown.startswith(line[:10])  # the premise: the line is not as it was printed
    assert reads_as(shown, line).raw == shown  # what was pasted is kept


def reads_as(shown: str, line: str):  # type: ignore[no-untyped-def]
    """``shown`` (a line as some tool or page shows it) read as ``line`` itself is: the event of ``shown``."""
    event, plain = parse(shown), parse(line)
    assert plain.format != "unknown", line
    verdict = (plain.format, plain.category, plain.outcome, plain.violation, plain.action)
    assert (event.format, event.category, event.outcome, event.violation, event.action) == verdict, shown
    return event


def test_a_zero_width_character_inside_a_field_is_kept_to_be_shown() -> None:
    # only what stands before the line goes: a hidden character in a path is what an auditor must see
    line = ACCESS_LINE.replace("/status/418", "/sta\u200btus/418")
    assert parse(line).attributes["url.path"] == "/sta\\u200btus/418"  # shown as a visible escape


# a waypoint's Envoy in Istio's JSON encoding (istio/istio#53736)
AGENT_JSON = '{"time":"2024-10-31T08:32:28.051222Z","level":"warning","scope":"envoy config","msg":"StreamSecrets gRPC config stream to sds-grpc closed: 2, failed to generate secret for default: failed to generate workload certificate: create certificate: rpc error: code = Unauthenticated desc = request authenticate failure","caller":"external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:176","thread":"13"}'  # noqa: E501


@pytest.mark.parametrize("line", [NACK_LINE, ACCESS_LINE, AGENT_JSON], ids=["nack", "access", "json"])
@pytest.mark.parametrize(
    "shape",
    [
        lambda line: f"<code>{line}</code>",  # an issue written in HTML, a page's source
        lambda line: f"<pre>{line}</pre>",
        lambda line: f"{line}<br>",  # an HTML line break after each line
        lambda line: f"{line}<br />",
        lambda line: line + "\\n",  # a collector's "log" value copied without its quotes: its escaped newline
        lambda line: f"'{line}'" if "'" not in line else f"<tt>{line}</tt>",  # a shell's single quotes
    ],
    ids=["code", "pre", "br", "br-xhtml", "escaped-newline", "single-quotes"],
)
def test_markup_and_escapes_a_page_or_a_copy_leaves_around_a_line_are_not_the_line(line: str, shape) -> None:  # type: ignore[no-untyped-def]
    shown = shape(line)
    assert shown != line  # the premise
    reads_as(shown, line)


def test_a_json_record_followed_by_an_arrays_comma_is_the_record_and_a_messages_comma_stays() -> None:
    event = parse(AGENT_JSON + ",")
    assert event.format != "unknown" and "meshtail.partial" not in event.attributes  # whole, not a cut record
    assert (event.category, event.outcome) == (parse(AGENT_JSON).category, parse(AGENT_JSON).outcome)
    # a text line that ends with a comma keeps it (Envoy's "closed: 0, " ends so)
    closing = (
        "2021-01-18T06:44:59.848690Z\twarning\tenvoy config\tStreamAggregatedResources gRPC config stream closed: 0,"
    )
    assert parse(closing).attributes["log.message"].endswith("closed: 0,")


@pytest.mark.parametrize(
    ("shown", "plain"),
    [
        # a Japanese blog exported by Hugo from WordPress (holdout52, github markdown index file ids 49890575301 and
        # 48993659442): the author bolded the fields that mattered, the export escaped every "_"
        ('  **"response\\_code": "500"**,', '"response_code": "500",'),
        ('  **"response\\_flags": "DI,FI"**,', '"response_flags": "DI,FI",'),
        (f"**{ACCESS_LINE.replace('_', chr(92) + '_')}**", ACCESS_LINE),
    ],
    ids=["bold-field", "bold-flags", "bold-line"],
)
def test_a_markdown_exports_escapes_and_bold_are_not_the_line(shown: str, plain: str) -> None:
    assert "\\_" in shown and "**" in shown  # the premise: escaped and bolded
    reads_as(shown, plain)


@pytest.mark.timeout(300)
def test_html_code_tags_come_off_in_linear_time() -> None:
    """(found in review) the closing tags were looked for at every position of the line: a megabyte of them that
    does not reach the end took minutes. No time is asserted; a quadratic strip meets the timeout (a hang guard)."""
    hostile = "<pre>" + "</pre>" * 170_000 + "x>"
    assert parse(hostile).format == "unknown"
    # and what the strip is for still works
    assert (
        parse(
            "<pre><code>2021-01-01T00:00:00.000000Z\twarn\tca\tca request failed, starting attempt 3 in 364.262718ms"
            "</code></pre>"
        ).format
        == "istio-agent"
    )


def test_escaped_columns_inside_another_line_do_not_hide_what_it_says() -> None:
    # (found in review) the escaped-columns peel looked anywhere in the first 80 characters and dropped what stood
    # before: a request path (anyone's to write) carrying "<time>\tinfo\t" turned an ext_authz refusal into istiod's
    # chatter
    refused = parse("GET /2023-08-10T05:18:57.513110Z\\tinfo\\tok 403 UAEX ext_authz_denied")
    assert (refused.category, refused.outcome, refused.violation) == ("auth", "deny", True)
    said = parse("ERROR access denied for 2023-08-10T05:18:57.513110Z\\tinfo\\tok")
    assert (said.category, said.outcome) == ("auth", "deny")
    # a field's name and its opening quote before them are what the peel is for (holdout5's ', message: "…')
    agent = parse(
        ', message: "2023-08-10T05:18:57.513110Z\\tinfo\\tWaiting for Envoy proxy to be ready (timeout: 60 seconds)'
        '...\\n"'
    )
    assert agent.format == "istio-agent"


# ---------------------------------------------------------------- terminals' and log tools' leftovers


def test_colour_codes_that_lost_their_escape_come_off_and_brackets_of_the_line_stay() -> None:
    # tracing's coloured output (ztunnel in a terminal) copied by a terminal or a CI viewer that dropped the escape
    # byte: "[2m<time>[0m [32m INFO[0m [2m<target>[0m[2m:[0m …" (derived: a real ztunnel policy denial, istio/ztunnel
    # #1273's, in tracing-subscriber's ANSI layout with every ESC byte taken out)
    line = (
        "[2m2024-08-22T10:11:12.123456Z[0m [31mERROR[0m [2mztunnel::proxy::inbound[0m[2m:[0m "
        'connection failed error=connection closed due to policy rejection: explicitly denied by: "ns/deny-all"'
    )
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.violation) == ("ztunnel", "auth", "deny", True)
    # the same codes in caret notation (less, cat -v)
    caret = line.replace("[2m", "^[[2m").replace("[0m", "^[[0m").replace("[31m", "^[[31m")
    assert caret != line and parse(caret).action == event.action
    # a line whose own brackets look like a code's start ("[main]" twice: "[m" then a word) is left alone
    envoy = (
        "[2019-10-04 17:38:35.393][35][debug][main] [external/envoy/source/server/connection_handler_impl.cc:257] "
        "[C0] new connection [main]"
    )
    assert peel(envoy, FILE).body == envoy
    assert parse(envoy).format == "envoy-component"


def test_a_key_a_terminal_echoed_and_a_doubled_bracket_are_not_the_line() -> None:
    # istio/istio#25326 (holdout78): ^C echoed before the next line of `kubectl logs -f`
    sigint = (
        "^C2020-07-08T09:05:21.124027Z   warning envoy main      "
        "[bazel-out/k8-opt/bin/external/envoy/source/server/server.cc:582] caught SIGINT"
    )
    assert parse(sigint).format == "envoy-component"
    # cilium/cilium#8425 (holdout80): Cilium's Envoy refusing the policy it was sent, its bracket doubled by the relay
    bad = parse("[[cilium/network_policy.cc:129] Bad Network Policy Configuration")
    assert (bad.format, bad.category, bad.outcome, bad.violation) == ("envoy-component", "config", "failure", True)


def test_log_tools_own_times_before_a_message_alone_are_peeled() -> None:
    # istio/istio pilot/pkg/xds/debounce (Istio 1.x): "Push debounce stable[<n>] <k> for config …" printed with no
    # time or level of its own behind a tool's time: Splunk's, Sumo Logic's, New Relic's, Cloud Logging's with a zone
    message = (
        "Push debounce stable[5183] 1 for config ServiceEntry/shop/payments.shop.svc.cluster.local: "
        "100.2ms since last change"
    )
    assert parse(message).action == "xds.push"  # (the premise: read alone)
    for stamp in (
        "5/1/24 10:11:12.123 AM",
        "05/01/2024 10:11:12.123 +0200",
        "May 1, 2024 10:11:12",
        "2024-05-01 12:11:12.123 CEST",
    ):
        event = parse(f"{stamp} {message}")
        assert (event.format, event.action) == ("istiod", "xds.push"), stamp


def test_aws_logs_tail_names_the_pod_its_stream_names() -> None:
    # aws logs tail /aws/containerinsights/<cluster>/application: time, log stream, the message
    event = parse(
        "2024-05-01T10:11:12.123000+00:00 kube.var.log.containers.istiod-5d95bbc58f-78xxg_istio-system_discovery-"
        "4f1c3b8a9d2e7f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718.log "
        "Push debounce stable[12] 3 for config VirtualService/shop/reviews: 100.1ms since last change"
    )
    assert (event.format, event.action) == ("istiod", "xds.push")
    assert (event.source.pod, event.source.namespace, event.source.container) == (
        "istiod-5d95bbc58f-78xxg",
        "istio-system",
        "discovery",
    )


def test_gcloud_logging_reads_yaml_key_is_the_line_and_yaml_escapes_are_undone() -> None:
    # gcloud logging read prints YAML: a line with tabs is double-quoted with YAML's escapes ("\xE9" too)
    line = (
        'textPayload: "2021-03-26T00:03:54.637718Z\\twarn\\tads\\tADS:LDS: ACK ERROR caf\\xE9-v1-1.shop Internal:bad"'
    )
    event = parse(line)
    assert (event.format, event.category, event.violation) == ("istiod", "config", True)
    assert "café-v1-1.shop" in str(event.attributes.get("log.message", event.summary)) or "café" in event.summary
    # a program's own "message:" key with its own words is not taken for a collector's line
    assert peel("message: connection refused by the upstream", FILE).body.startswith("message:")


def test_graylogs_stored_message_is_the_line_it_holds() -> None:
    line = json.dumps(
        {
            "message": NACK,
            "source": "istiod-5d95bbc58f-78xxg",
            "timestamp": "2024-05-01T10:11:12.123Z",
            "gl2_source_input": "5f1c",
            "gl2_message_id": "01HX",
            "full_message": NACK,
        }
    )
    event = parse(line)
    assert (event.format, event.category, event.violation) == ("istiod", "config", True)


def test_a_capitalised_word_is_no_month_and_a_programs_own_brackets_are_no_colour_codes() -> None:
    # (found in review) only a month's name starts New Relic's time; a line must start with a code for codes to be
    # taken for a copy's leftovers
    assert peel("Version 1, 2024 10:11:12 hello", FILE).body == "Version 1, 2024 10:11:12 hello"
    assert peel("regex [m] and [0m and [5m", FILE).body == "regex [m] and [0m and [5m"


def test_a_syslog_relays_day_without_its_padding() -> None:
    # holdout86 (an istio/istio thread): a relay's "Jun 6 18:03:21 <pod> <tag> " with the day's padding collapsed,
    # before Istio's layout for Envoy's log without its time
    line = (
        "Jun 6 18:03:21 xxx-ingressgateway-7c5c96bbc-8cf7t istio-proxy warning envoy config\tgRPC config for "
        "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret rejected: Failed to load certificate "
        "chain from <inline>"
    )
    event = parse(line)
    assert (event.format, event.action, event.violation) == ("envoy-component", "xds.reject", True)
    assert event.source.pod == "xxx-ingressgateway-7c5c96bbc-8cf7t"


def test_a_time_a_pipe_put_in_front_of_each_line() -> None:
    # moreutils' ts ("kubectl logs -f … | ts", and its bracketed format): the line behind it reads as it would alone
    # (Envoy's message alone, in a corpus crash report: a certificate path it cannot load, and the agent's line)
    message = "Invalid path: /etc/certs/cert-chain.pem"
    agent = "2021-01-28T13:23:10.669620Z     error   xdsproxy        failed to create upstream grpc client: rpc error"
    for prefix in ("May 01 10:11:12 ", "[2024-05-01 10:11:12] ", "[2024-05-01T10:11:12.123Z] "):
        event = parse(prefix + message)
        assert (event.format, event.category, event.violation) == ("envoy-component", "config", True), prefix
        assert "export" in event.attributes["meshtail.wrappers"]
        event = parse(prefix + agent)
        assert (event.format, event.category, event.outcome) == ("istio-agent", "config", "failure"), prefix
    # Envoy's access log starts with its own "[%START_TIME%] ": it keeps it (the event's time is the request's)
    access = (
        '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 503 UO upstream_reset_before_response_started{overflow} '
        '- "-" 0 81 0 - "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "-"'
    )
    event = parse(access)
    assert (event.format, event.outcome) == ("envoy-text", "failure")
    assert "meshtail.wrappers" not in event.attributes
    assert event.time.startswith("2020-11-25T21:26:18.409")


def test_a_raw_syslog_capture_keeps_its_priority() -> None:
    line = (
        "<134>May  1 10:11:12 node-1 istio-proxy[123]: 2024-05-01T10:11:12.123456Z\terror\txdsproxy\tfailed to "
        "create upstream grpc client: rpc error: code = Unavailable desc = connection error"
    )
    event = parse(line)
    assert (event.format, event.outcome) == ("istio-agent", "failure")
    assert event.attributes["meshtail.wrappers"] == ["syslog"]


def test_a_line_in_an_authors_italics() -> None:
    # holdout92 (an Istio DNS thread): the whole line in markdown italics, bold inside it
    line = (
        "_2025-04-16T08:59:11.694103Z     **debug**   envoy dns external/envoy/source/extensions/network/dns_resolver/"
        "cares/dns_impl.cc:152   **dns resolution for myapp.net failed with c-ares status 11**      thread=19_"
    )
    event = parse(line)
    assert (event.format, event.attributes["envoy.logger"]) == ("envoy-component", "dns")
    assert event.attributes.get("meshtail.partial") is True
    # an identifier's own underscores stay
    assert peel("_private_ thing", FILE).body == "_private_ thing"


def test_kubetails_pod_tag_before_a_message_alone() -> None:
    # kubetail's "[<pod>] " and "[<pod> <container>] " before a message with no time of its own: the message is read
    message = "Invalid path: /etc/certs/cert-chain.pem"
    for line in (
        f"[productpage-v1-7bbdd59459-dqhcb] {message}",
        f"[productpage-v1-7bbdd59459-dqhcb istio-proxy] {message}",
    ):
        event = parse(line)
        assert (event.format, event.violation) == ("envoy-component", True), line
        assert event.source.pod == "productpage-v1-7bbdd59459-dqhcb"
    # another program's line behind the tag is no line of Envoy's: its time's colon is no source location (it was
    # read as Envoy's logger "opa-7d9f8b6c5d-x2k4q")
    other = parse("[opa-7d9f8b6c5d-x2k4q] 2006-01-02T08:04:05Z Hello")
    assert (other.format, other.source.pod) == ("unknown", "opa-7d9f8b6c5d-x2k4q")


def test_a_pods_name_and_a_colon_and_tilts_column() -> None:
    # argo logs / a script's sed "s/^/$pod: /": a generated pod name, then a line of its own or a message alone
    own = "2020-10-22T14:55:42.314876Z     info    xdsproxy        Envoy ADS stream established"
    event = parse(f"productpage-v1-7bbdd59459-dqhcb: {own}")
    assert (event.format, event.source.pod) == ("istio-agent", "productpage-v1-7bbdd59459-dqhcb")
    alone = parse("productpage-v1-7bbdd59459-dqhcb: Invalid path: /etc/certs/cert-chain.pem")
    assert (alone.format, alone.violation, alone.source.pod) == (
        "envoy-component",
        True,
        "productpage-v1-7bbdd59459-dqhcb",
    )
    # an author's or a program's label is no pod's name
    assert peel("error: 2020-10-22T14:55:42.314876Z info x", FILE).source.pod is None
    # Tilt: "<resource> │ <line>"
    tilt = parse(
        "istio-proxy      \u2502 2020-10-22T14:55:42.314876Z     info    xdsproxy        Envoy ADS stream established"
    )
    assert (tilt.format, tilt.source.container) == ("istio-agent", "istio-proxy")


def test_a_pipes_dated_time_is_the_lines_time_when_it_has_none() -> None:
    # (found in review) "[2024-05-01 10:11:12] <Envoy's message alone>": the pipe's time is the only one there
    event = parse(
        "[2024-05-01 10:11:12] [C5] TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED"
    )
    assert (event.format, event.violation) == ("envoy-component", True)
    assert event.time.startswith("2024-05-01T10:11:12")


def test_a_viewers_line_number_run_into_the_lines_time() -> None:
    # holdout97 (a Gateway API thread): a CI log's gutter copied with the line, no blank between
    event = parse(
        "1842024-09-03T07:14:46.231997Z error envoy wasm external/envoy/source/extensions/common/wasm/wasm.cc:109 "
        "Wasm VM failed Failed to configure base Wasm plugin thread=14"
    )
    assert (event.format, event.outcome) == ("envoy-component", "failure")
    assert event.time.startswith("2024-09-03T07:14:46.231")
    # a year of five digits is no gutter and a year
    assert parse("12024-01-01T00:00:00Z hello").format == "unknown"


def test_syslogs_tag_names_the_stream_a_mesh_programs_words_are_read_against() -> None:
    # holdout48 (dashpay/platform#1746: Envoy under systemd): Envoy's refusal of its bootstrap, its text alone behind
    # the journal's head -- read as Envoy's only in Envoy's own stream, which the tag names (the tag was dropped)
    refusal = "unable to open file '/dev/stdout': No such device or address"
    refused = ("envoy-component", "config", "failure", True, "envoy")
    for line in (f"Mar 07 05:56:07 evo3 envoy[1721]: {refusal}", f"envoy[1721]: {refusal}"):
        event = parse(line)
        assert (event.format, event.category, event.outcome, event.violation, event.source.container) == refused, line
        assert event.attributes["meshtail.wrappers"][0] == "syslog"
    # the premise: another program's stream says nothing of whose the words are
    assert parse(f"Mar 07 05:56:07 evo3 myapp[1721]: {refusal}").format == "unknown"
    # a tag names the container as any wrapper does: a whole line behind it keeps it too
    assert parse(f"Sep 24 07:14:56 vm-1 pilot-agent[1234]: {ISTIOD_PUSH}").source.container == "pilot-agent"
    # Istio 0.x's node agent on a VM, glog behind the journal (istio/istio#1858): still the agent's
    node_agent = (
        "Nov 24 14:43:01 istio-vm node_agent[19179]: I1124 14:43:01.602772   19179 nodeagent.go:96] Node Agent "
        "starts successfully."
    )
    assert parse(node_agent).format == "istio-agent"
