"""Collector and tool wrappers around real mesh lines: each shape as the collector itself writes it.

The inner lines are records of tests/data/corpus (each cites where it was found); every wrapper is built
the way the collector's own source or documentation says it prints a record (cited per case).  Each case
lost its line or its pod/namespace/container before the peelers in meshtail/parse/wrappers.py read it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser
from meshtail.parse.wrappers import peel

from .conftest import corpus_raw

FILE = Source("file", path="pasted.log", line=1)


# istio/istio#… records as the corpus keeps them (their sources are in the files)
ENVOY = corpus_raw("envoy/access-text.jsonl", "jwt_authn_access_denied{Jwt_verification_fails}")
ISTIOD = corpus_raw("istio/istiod-text.jsonl", "CDS: PUSH for node:istio-ingressgateway-6897dcd6f8-vrmvb")
ZTUNNEL = corpus_raw("ztunnel/policy.jsonl", "2024-10-30T11:49:40.421833Z error access")
AUDIT = corpus_raw("k8s-audit/v1.jsonl", '"auditID":"abcde12345"')
EJSON = corpus_raw("envoy/access-json.jsonl", '"bytes_sent":"303518"')

NS, POD, CTR = "hello-app", "helloworld-v1-7d9c8b5f4-x2k4q", "istio-proxy"
CID = "3f1d0c4e5b6a79880f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978"
UID = "0b0f5d8e-1111-2222-3333-444455556666"
TS9 = "2024-09-24T07:14:56.165869410Z"
LOGFILE = f"/var/log/containers/{POD}_{NS}_{CTR}-{CID}.log"
PODFILE = f"/var/log/pods/{NS}_{POD}_{UID}/{CTR}/0.log"
TAG = "kubernetes.var.log.containers." + LOGFILE.rsplit("/", 1)[1]
ALL = (NS, POD, CTR)
LABELS = f'{{container="{CTR}", namespace="{NS}", pod="{POD}"}}'


def compact(obj: Any) -> str:
    """JSON as Go, Vector and Fluent Bit write it: no spaces, UTF-8 kept."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def parse(text: str):
    return StreamParser().parse(RawLine(text, FILE, "2026-01-01T00:00:00Z"))


def names(event) -> tuple[str | None, str | None, str | None]:
    return event.source.namespace, event.source.pod, event.source.container


def same_verdict(wrapped: str, inner: str):
    """The wrapped line reads as its inner line does (family, category, outcome); the event is returned."""
    bare, event = parse(inner), parse(wrapped)
    assert bare.format != "unknown"
    assert (family(event.format), event.category, event.outcome) == (family(bare.format), bare.category, bare.outcome)
    return event


def family(name: str) -> str:
    # Istio's Go log format is istiod's or the agent's by the container a wrapper names (istio-proxy: the agent)
    return "istio" if name in ("istiod", "istio-agent") else name


K8S_FB = {  # fluent/fluent-bit plugins/filter_kubernetes/kube_meta.c: the "kubernetes" map
    "pod_name": POD,
    "namespace_name": NS,
    "pod_id": UID,
    "labels": {"app": "helloworld"},
    "host": "kind-worker",
    "container_name": CTR,
    "docker_id": CID,
    "container_image": "docker.io/istio/proxyv2:1.23.0",
}


def fluentd_record(line: str) -> dict[str, Any]:
    # fluent/fluentd-kubernetes-daemonset: in_tail + kubernetes_metadata filter
    return {"log": line + "\n", "stream": "stdout", "docker": {"container_id": CID}, "kubernetes": K8S_FB}


# (id, the wrapped line made from an inner line, the inner lines to try, expected names)
SHAPES: list[tuple[str, Any, tuple[str, ...], tuple[str | None, str | None, str | None]]] = [
    # kubelet's files: kubernetes pkg/kubelet/kuberuntime (BuildContainerLogsDirectory, the /var/log/containers links)
    ("grep-r-var-log-pods", lambda x: f"{PODFILE}:42:{TS9} stdout F {x}", (ENVOY, ISTIOD, AUDIT), ALL),
    ("grep-var-log-containers", lambda x: f"{LOGFILE}:{TS9} stderr F {x}", (ISTIOD, ZTUNNEL), ALL),
    # moby daemon/logger/jsonfilelog: --log-opt labels=… puts the kubelet's io.kubernetes.* labels under "attrs"
    (
        "docker-json-file-attrs",
        lambda x: compact(
            {
                "log": x + "\n",
                "stream": "stdout",
                "attrs": {
                    "io.kubernetes.pod.name": POD,
                    "io.kubernetes.pod.namespace": NS,
                    "io.kubernetes.container.name": CTR,
                },
                "time": TS9,
            }
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # docs.fluentd.org/output/stdout (formatter stdout: "%Y-%m-%d %H:%M:%S.%N %z <tag>: <json>")
    (
        "fluentd-stdout",
        lambda x: f"2024-09-24 07:14:56.165869410 +0000 {TAG}: {compact(fluentd_record(x))}",
        (ENVOY, AUDIT),
        ALL,
    ),
    # docs.fluentd.org/formatter/out_file: "<time>\t<tag>\t<json>"; no kubernetes map: the tag names the file
    (
        "fluentd-out-file",
        lambda x: f"2024-09-24T07:14:56+00:00\t{TAG}\t{compact({'log': x + chr(10), 'stream': 'stdout'})}",
        (ENVOY, ZTUNNEL),
        ALL,
    ),
    # Fluentd forward protocol, Message mode: [tag, time, record]
    ("fluentd-forward-message", lambda x: compact([TAG, 1727162096, fluentd_record(x)]), (ENVOY, EJSON), ALL),
    # fluent/fluent-bit src/flb_pack.c: format json => a JSON array of the chunk's records (the first is read)
    (
        "fluent-bit-format-json",
        lambda x: compact(
            [
                {"date": 1727162096.16587, "log": x, "kubernetes": K8S_FB},
                {"date": 1727162096.2, "log": x, "kubernetes": K8S_FB},
            ]
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # fluent/helm-charts fluent-bit default filter: Merge_Log On, Keep_Log Off — the line's own JSON at the top
    (
        "fluent-bit-merge-log",
        lambda x: compact({"date": 1727162096.1, "stream": "stdout", **json.loads(x), "kubernetes": K8S_FB}),
        (EJSON,),
        ALL,
    ),
    # opentelemetry.io/docs/specs/otel/protocol/file-exporter: OTLP JSON, one ExportLogsServiceRequest a line
    (
        "otlp-json-file-exporter",
        lambda x: compact(
            {
                "resourceLogs": [
                    {
                        "resource": {
                            "attributes": [
                                {"key": "k8s.namespace.name", "value": {"stringValue": NS}},
                                {"key": "k8s.pod.name", "value": {"stringValue": POD}},
                                {"key": "k8s.container.name", "value": {"stringValue": CTR}},
                            ]
                        },
                        "scopeLogs": [
                            {
                                "scope": {},
                                "logRecords": [
                                    {
                                        "timeUnixNano": "1727162096165869410",
                                        "body": {"stringValue": x},
                                        "attributes": [{"key": "log.iostream", "value": {"stringValue": "stdout"}}],
                                        "traceId": "",
                                        "spanId": "",
                                    }
                                ],
                            }
                        ],
                    }
                ]
            }
        ),
        (ENVOY, ISTIOD, AUDIT),
        ALL,
    ),
    # one OTLP JSON LogRecord (jq -c '..|.logRecords?[]'): the filelog receiver's log.file.path names the pod
    (
        "otlp-json-log-record",
        lambda x: compact(
            {
                "timeUnixNano": "1727162096165869410",
                "body": {"stringValue": x},
                "attributes": [{"key": "log.file.path", "value": {"stringValue": PODFILE}}],
            }
        ),
        (ENVOY, ZTUNNEL),
        ALL,
    ),
    # open-telemetry/opentelemetry-collector exporter/debugexporter/internal/normal/logs.go: "<body> <k>=<v> …"
    (
        "otel-debug-normal-json-body",
        lambda x: f"{x} log.file.path={PODFILE} log.iostream=stdout logtag=F",
        (AUDIT, EJSON),
        ALL,
    ),
    # the collector's own JSON log (service.telemetry.logs.encoding: json) of what the debug exporter printed
    (
        "otelcol-json-log-of-the-debug-exporter",
        lambda x: compact(
            {
                "level": "info",
                "ts": 1727162096.1,
                "msg": f"ResourceLog #0\nScopeLog #0\n{x} log.file.path={PODFILE} logtag=F\n",
                "otelcol.component.id": "debug",
                "otelcol.component.kind": "exporter",
                "otelcol.signal": "logs",
            }
        ),
        (ENVOY, AUDIT),
        ALL,
    ),
    # grafana/loki docs reference/loki-http-api: POST /loki/api/v1/push JSON body
    (
        "loki-push-body",
        lambda x: compact(
            {
                "streams": [
                    {"stream": {"namespace": NS, "pod": POD, "container": CTR}, "values": [["1727162096165869410", x]]}
                ]
            }
        ),
        (ENVOY, ISTIOD, EJSON),
        ALL,
    ),
    # the query_range API's result element (jq -c '.data.result[]')
    (
        "loki-query-result-stream",
        lambda x: compact(
            {"stream": {"namespace": NS, "pod": POD, "container": CTR}, "values": [["1727162096165869410", x]]}
        ),
        (ENVOY, AUDIT),
        ALL,
    ),
    # vectordotdev/vector lib/codecs/src/encoding/format/native_json.rs: {"log": <event>}
    (
        "vector-native-json",
        lambda x: compact(
            {
                "log": {
                    "file": PODFILE,
                    "kubernetes": {"pod_name": POD, "pod_namespace": NS, "container_name": CTR},
                    "message": x,
                    "source_type": "kubernetes_logs",
                    "stream": "stdout",
                    "timestamp": TS9,
                }
            }
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # Vector's logfmt codec (VRL encode_logfmt: dotted keys, a value quoted when it holds a space, \" and \\ escaped)
    (
        "vector-logfmt",
        lambda x: (
            f"file={PODFILE} kubernetes.container_name={CTR} kubernetes.pod_name={POD} kubernetes.pod_namespace={NS} "
            f'message="{x.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}" '
            f"source_type=kubernetes_logs stream=stdout timestamp={TS9}"
        ),
        (ENVOY, ISTIOD, AUDIT),
        ALL,
    ),
    # Vector file source over /var/log/pods (no CRI parsing): the file path names the pod
    (
        "vector-file-source-cri",
        lambda x: compact(
            {
                "file": PODFILE,
                "host": "kind-worker",
                "message": f"{TS9} stdout F {x}",
                "source_type": "file",
                "timestamp": TS9,
            }
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # Filebeat container input + add_kubernetes_metadata (ECS): "container" is an object, not a name
    (
        "ecs-document",
        lambda x: compact(
            {
                "@timestamp": "2024-09-24T07:14:56.165Z",
                "message": x,
                "kubernetes": {"namespace": NS, "pod": {"name": POD}, "container": {"name": CTR}},
                "container": {"id": CID, "runtime": "containerd"},
                "log": {"offset": 12345, "file": {"path": LOGFILE}},
                "ecs": {"version": "8.0.0"},
            }
        ),
        (ENVOY, ZTUNNEL),
        ALL,
    ),
    # Kibana Discover's document JSON: "fields" with every value a list, dotted names
    (
        "elasticsearch-hit-fields",
        lambda x: compact(
            {
                "_index": "filebeat-8",
                "_id": "abc",
                "fields": {
                    "message": [x],
                    "kubernetes.pod.name": [POD],
                    "kubernetes.namespace": [NS],
                    "kubernetes.container.name": [CTR],
                },
            }
        ),
        (ENVOY, AUDIT),
        ALL,
    ),
    # the Datadog agent's HTTP intake payload (ddtags as one comma-separated string)
    (
        "datadog-agent-intake",
        lambda x: compact(
            {
                "message": x,
                "status": "info",
                "hostname": "kind-worker",
                "service": "istio-proxy",
                "ddsource": "envoy",
                "ddtags": f"kube_namespace:{NS},pod_name:{POD},kube_container_name:{CTR}",
            }
        ),
        (ENVOY,),
        ALL,
    ),
    # Splunk search export (output_mode=json): {"preview", "offset", "result": {"_raw", …fields}}
    (
        "splunk-export-json",
        lambda x: compact(
            {
                "preview": False,
                "offset": 0,
                "result": {"_raw": x, "_time": "2024-09-24T07:14:56.165+00:00", "source": LOGFILE},
            }
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # aws logs filter-log-events (JSON output): {"events": [{logStreamName, timestamp, message, ingestionTime,
    # eventId}], …}
    (
        "aws-logs-filter-log-events-json",
        lambda x: compact(
            {
                "events": [
                    {
                        "logStreamName": TAG,
                        "timestamp": 1727162096165,
                        "message": compact({"log": x, "stream": "stdout"}),
                        "ingestionTime": 1727162097000,
                        "eventId": "37880000000000000000000000000000000000000000000000000000",
                    }
                ],
                "searchedLogStreams": [],
            }
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # aws logs filter-log-events --output text: EVENTS row, the values in key order (the message may hold tabs)
    (
        "aws-logs-filter-log-events-text",
        lambda x: f"EVENTS\t{'3788' * 14}\t1727162097000\t{TAG}\t{x}\t1727162096165",
        (ENVOY, ISTIOD, AUDIT),
        ALL,
    ),
    # aws logs get-log-events --output text: EVENTS\t<ingestionTime>\t<message>\t<timestamp>
    (
        "aws-logs-get-log-events-text",
        lambda x: f"EVENTS\t1727162097000\t{x}\t1727162096165",
        (ISTIOD,),
        (None, None, None),
    ),
    # aws logs tail (awscli customizations/logs/tail.py): "<time> <stream> <message>", a plain-text message
    (
        "aws-logs-tail-text-message",
        lambda x: f"2024-09-24T07:14:56.165000+00:00 istio-proxy/istio-proxy/0123abcd {x}",
        (ISTIOD,),
        (None, None, None),
    ),
    # learn.microsoft.com azure-monitor reference tables ContainerLogV2 (PodNamespace, ContainerName columns)
    (
        "azure-containerlogv2",
        lambda x: compact(
            {
                "TimeGenerated": "2024-09-24T07:14:56.165Z",
                "ContainerName": CTR,
                "PodName": POD,
                "PodNamespace": NS,
                "LogMessage": x,
                "LogSource": "stdout",
            }
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # … ContainerLog (v1): LogEntry, LogEntrySource, Name = the kubelet's Docker name k8s_<ctr>_<pod>_<ns>_<uid>_<n>
    (
        "azure-containerlog-v1",
        lambda x: compact(
            {
                "TimeGenerated": "2024-09-24T07:14:56.165Z",
                "ContainerID": CID,
                "Name": f"k8s_{CTR}_{POD}_{NS}_{UID}_0",
                "LogEntry": x,
                "LogEntrySource": "stdout",
            }
        ),
        (ENVOY, ZTUNNEL),
        ALL,
    ),
    # Kibana "Generate CSV" (csv:quoteValues), the time in Kibana's own format
    (
        "kibana-csv",
        lambda x: '"Sep 24, 2024 @ 07:14:56.165","' + x.replace('"', '""') + '"',
        (ISTIOD, AUDIT),
        (None, None, None),
    ),
    # Grafana's logs panel "Download CSV" (Time, Line)
    (
        "grafana-csv",
        lambda x: '"2024-09-24 07:14:56.165","' + x.replace('"', '""') + '"',
        (ISTIOD,),
        (None, None, None),
    ),
    # CloudWatch Logs Insights "Export results" CSV: @timestamp,@message — the message a Fluent Bit record
    (
        "cloudwatch-insights-csv",
        lambda x: '2024-09-24 07:14:56.165,"' + compact({"log": x, "kubernetes": K8S_FB}).replace('"', '""') + '"',
        (ENVOY, ISTIOD),
        ALL,
    ),
    # grafana/loki pkg/logcli/output/default.go: color.BlueString(time), color.RedString(labels), the line
    (
        "logcli-in-a-terminal",
        lambda x: f"\x1b[34m2024-09-24T07:14:56Z\x1b[0m \x1b[31m{LABELS}\x1b[0m {x}",
        (ENVOY, ISTIOD, AUDIT),
        ALL,
    ),
    # johanhaleby/kubetail: colored_line="${color_start}[${display_name}] $line ${color_end}" (one container: the pod)
    ("kubetail-one-container", lambda x: f"\x1b[32m[{POD}] {x} \x1b(B\x1b[m", (ENVOY, AUDIT), (None, POD, None)),
    # derailed/k9s internal/dao/log_item.go Render: "[<time> ][<pod> ][<container> ]<line>"
    ("k9s-container-view", lambda x: f"{CTR} {x}", (ENVOY, AUDIT), (None, None, CTR)),
    ("k9s-time-and-container", lambda x: f"{TS9} {CTR} {x}", (ENVOY, ISTIOD, EJSON), (None, None, CTR)),
    ("k9s-workload-single-container", lambda x: f"{TS9} {POD} {x}", (ENVOY, AUDIT), (None, POD, None)),
    # Graylog's search API (docs.graylog.org, "Search" REST resource): a hit is {"message": {"message": <line>,
    # "source", "timestamp", "gl2_message_id", …}, "index"}, Kubernetes metadata flattened with "_" (its GELF and
    # Fluent Bit inputs)
    (
        "graylog-search-hit",
        lambda x: compact(
            {
                "highlight_ranges": {},
                "message": {
                    "gl2_message_id": "01HZX3F2K9",
                    "message": x,
                    "source": "node-1",
                    "streams": ["000000000000000000000001"],
                    "kubernetes_pod_name": POD,
                    "kubernetes_container_name": CTR,
                    "kubernetes_namespace_name": NS,
                    "timestamp": "2024-09-24T07:14:56.165Z",
                },
                "index": "graylog_0",
            }
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # New Relic's log records (its Kubernetes Fluent Bit plugin's flat attributes), as its Logs UI exports JSON
    (
        "newrelic-log",
        lambda x: compact(
            {
                "message": x,
                "timestamp": 1727162096165,
                "pod_name": POD,
                "container_name": CTR,
                "namespace_name": NS,
                "plugin.type": "fluent-bit",
                "newrelic.source": "logs.APIv1",
            }
        ),
        (ENVOY, ISTIOD),
        ALL,
    ),
    # stern -o extjson in a terminal: fatih/color codes inside the JSON strings (stern/stern cmd/cmd.go)
    (
        "stern-extjson-coloured",
        lambda x: f'{{"pod": "\x1b[96m{POD}\x1b[0m", "container": "\x1b[36m{CTR}\x1b[0m", "message": {json.dumps(x)}}}',
        (ENVOY, ISTIOD),
        (None, POD, CTR),
    ),
]


@pytest.mark.parametrize(
    ("wrap", "inner", "expected"),
    [
        pytest.param(wrap, inner, expected, id=f"{shape}-{i}")
        for shape, wrap, inners, expected in SHAPES
        for i, inner in enumerate(inners)
    ],
)
def test_a_collector_shape_reads_as_its_inner_line_and_names_its_pod(wrap, inner: str, expected) -> None:
    event = same_verdict(wrap(inner), inner)
    assert names(event) == expected


def test_a_line_that_carries_several_records_reads_the_first() -> None:
    # peel alone reads a batch's first record; the pipeline splits batches first (tests/test_records.py)
    body = compact(
        {
            "streams": [
                {
                    "stream": {"namespace": NS, "pod": POD},
                    "values": [["1727162096165869410", ENVOY], ["1727162096265869410", ISTIOD]],
                }
            ]
        }
    )
    peeled = peel(body, FILE)
    assert peeled.body == ENVOY and peeled.stamp == "2024-09-24T07:14:56.165869410Z"
    assert (peeled.source.namespace, peeled.source.pod) == (NS, POD)


def test_times_the_collectors_wrote_are_kept() -> None:
    fluentd = peel(f"2024-09-24 07:14:56.165869410 +0000 {TAG}: {compact(fluentd_record(ENVOY))}", FILE)
    assert fluentd.wrappers == ["fluentd", "envelope"] and fluentd.stamp == "2024-09-24T07:14:56.165869410Z"
    events_text = peel(f"EVENTS\t1727162097000\t{ISTIOD}\t1727162096165", FILE)
    assert events_text.body == ISTIOD and events_text.stamp == "2024-09-24T07:14:56.165Z"
    kibana = peel('"Sep 24, 2024 @ 07:14:56.165","' + ISTIOD.replace('"', '""') + '"', FILE)
    assert kibana.body == ISTIOD and kibana.stamp == "2024-09-24T07:14:56.165Z"


def test_names_that_are_not_pods_stay_unclaimed() -> None:
    # a container name is not a generated pod name (no five-character suffix of the k8s alphabet)
    assert peel(f"[{CTR}] {ENVOY}", FILE).source.pod is None
    # a level word before a line's own JSON is not a CloudWatch stream nor a k9s container
    line = f"2024-09-24T07:14:56.165Z error {EJSON}"
    peeled = peel(line, FILE)
    assert "cloudwatch" not in peeled.wrappers and peeled.source.container is None
    # a CRI line is not a CloudWatch stream "stdout"
    assert peel(f"{TS9} stdout F {ENVOY}", FILE).wrappers == ["kubelet"]
