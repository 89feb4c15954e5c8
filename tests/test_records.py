"""A line that carries many records (an OTLP batch, a Loki push or answer, Fluent Bit's json chunk) makes an event
of each record, with each record's names: the second record's denial is not lost behind the first's success.

Shapes: the OpenTelemetry collector's file exporter writes one ExportLogsServiceRequest a line
(opentelemetry-collector-contrib exporter/fileexporter, OTLP/JSON of opentelemetry-proto logs.proto); Loki's
push body and query answer (grafana/loki docs "HTTP API": POST /loki/api/v1/push, GET /loki/api/v1/query_range);
Fluent Bit's ``format json`` output (docs.fluentbit.io, outputs/standard-output: an array of records a chunk);
``aws logs filter-log-events`` ({"events": [...]}, AWS CLI reference).  Inner lines are real corpus lines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from meshtail.events import AuditEvent, RawLine, Source
from meshtail.parse.records import split_records
from meshtail.pipeline import Pipeline
from meshtail.query import compile_filter

from .conftest import corpus_raw

ROOT = Path(__file__).resolve().parent.parent


# a JWT denial (401) and an istiod push, as the corpus keeps them (sources in those files)
DENIAL = corpus_raw("envoy/access-text.jsonl", "jwt_authn_access_denied{Jwt_verification_fails}")
PUSH = corpus_raw("istio/istiod-text.jsonl", "CDS: PUSH for node:istio-ingressgateway-6897dcd6f8-vrmvb")


def compact(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def attribute(key: str, value: str) -> dict[str, object]:
    return {"key": key, "value": {"stringValue": value}}


def otlp_batch() -> str:
    """Two resources (two pods); the first has two records: the denial comes second."""

    def resource(pod: str, *bodies: str) -> dict[str, object]:
        return {
            "resource": {
                "attributes": [
                    attribute("k8s.namespace.name", "shop"),
                    attribute("k8s.pod.name", pod),
                    attribute("k8s.container.name", "istio-proxy"),
                ]
            },
            "scopeLogs": [
                {
                    "scope": {},
                    "logRecords": [
                        {"timeUnixNano": f"172716209616586941{i}", "body": {"stringValue": body}}
                        for i, body in enumerate(bodies)
                    ],
                }
            ],
        }

    return compact(
        {"resourceLogs": [resource("cart-7d9c8b5f4-x2k4q", PUSH, DENIAL), resource("pay-5f6d7c8b9-m2n3p", PUSH)]}
    )


def loki_push() -> str:
    return compact(
        {
            "streams": [
                {
                    "stream": {"namespace": "shop", "pod": "cart-7d9c8b5f4-x2k4q"},
                    "values": [["1727162096165869410", PUSH]],
                },
                {
                    "stream": {"namespace": "pay", "pod": "pay-5f6d7c8b9-m2n3p"},
                    "values": [["1727162096265869410", PUSH], ["1727162096365869410", DENIAL]],
                },
            ]
        }
    )


def loki_answer() -> str:
    result = json.loads(loki_push())["streams"]
    return compact({"status": "success", "data": {"resultType": "streams", "result": result, "stats": {}}})


def fluent_bit_json() -> str:
    return compact(
        [
            {
                "date": 1727162096.165,
                "log": PUSH,
                "kubernetes": {"pod_name": "a-7d9c8b5f4-x2k4q", "namespace_name": "a"},
            },
            {
                "date": 1727162096.265,
                "log": DENIAL,
                "kubernetes": {"pod_name": "b-7d9c8b5f4-x2k4q", "namespace_name": "b"},
            },
        ]
    )


def through_pipeline(text: str) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    pipeline = Pipeline(events.append)
    pipeline.line(RawLine(text, Source("stdin", path="<stdin>", line=1), "2026-01-01T00:00:00Z"))
    return events


def test_an_otlp_batch_makes_an_event_a_record_with_its_pod() -> None:
    events = through_pipeline(otlp_batch())
    assert len(events) == 3  # premise: three records on one line, not one event for the line
    denied = [e for e in events if e.violation]
    assert len(denied) == 1 and denied[0].category == "auth" and denied[0].outcome == "deny"
    assert denied[0].source.pod == "cart-7d9c8b5f4-x2k4q" and denied[0].source.namespace == "shop"
    assert [e.source.pod for e in events] == ["cart-7d9c8b5f4-x2k4q", "cart-7d9c8b5f4-x2k4q", "pay-5f6d7c8b9-m2n3p"]
    # the push line in an istio-proxy container is the agent's family to meshtail: both are Istio's
    assert [e.format for e in events] == ["istio-agent", "envoy-text", "istio-agent"]


def test_a_loki_push_body_and_query_answer_make_an_event_a_value() -> None:
    for text in (loki_push(), loki_answer()):
        events = through_pipeline(text)
        assert [(e.source.namespace, e.format) for e in events] == [
            ("shop", "istiod"),
            ("pay", "istiod"),
            ("pay", "envoy-text"),
        ]
        assert events[2].violation and events[2].category == "auth"
        # each value keeps its own Loki timestamp (the line's own time stays the event's time)
        assert events[2].attributes.get("k8s.log.timestamp", "").startswith("2024-09-24T07:14:56.365")


def test_a_fluent_bit_json_chunk_makes_an_event_a_record() -> None:
    events = through_pipeline(fluent_bit_json())
    assert [(e.source.namespace, e.format, e.violation) for e in events] == [
        ("a", "istiod", False),
        ("b", "envoy-text", True),
    ]


def test_scan_reads_every_record_of_a_batch_line_and_filters_each(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(otlp_batch() + "\n" + loki_push() + "\n" + DENIAL + "\n", "utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "meshtail", "scan", str(path), "-o", "jsonl", "-f", "violation:true"],
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    found = [json.loads(line) for line in run.stdout.splitlines()]
    # one denial in the OTLP batch (2nd record), one in the Loki push (3rd value), one bare line
    assert [(e["source"].get("pod"), e["source"]["line"]) for e in found] == [
        ("cart-7d9c8b5f4-x2k4q", 1),
        ("pay-5f6d7c8b9-m2n3p", 2),
        (None, 3),
    ]


def test_one_record_containers_and_ordinary_lines_are_left_whole() -> None:
    one = compact({"streams": [{"stream": {"pod": "p"}, "values": [["1727162096165869410", DENIAL]]}]})
    assert split_records(one) is None
    assert split_records(DENIAL) is None and split_records(PUSH) is None
    assert split_records('{"start_time":"2024-01-01T00:00:00Z","response_code":200}') is None
    assert split_records('[{"date": 1, "log": "x"}') is None  # cut: not JSON, read as the line it is
    assert split_records("[[1727162096.1, {}], {}]") is None  # not an array of records
    # a filter that cannot match the batch line still skips it (the pre-check sees the whole line)
    events: list[AuditEvent] = []
    Pipeline(events.append, compile_filter('"no such text anywhere"')).line(
        RawLine(otlp_batch(), Source("stdin", path="<stdin>", line=1), "2026-01-01T00:00:00Z")
    )
    assert events == []


def test_an_application_record_with_an_events_or_hits_key_stays_one_record() -> None:
    # only the answers' own keys around the records: an app's JSON keeps its other keys, and its one event
    app = compact({"events": [{"type": "Added"}, {"type": "Deleted"}], "log": DENIAL})
    search_like = compact({"hits": {"hits": [{"_id": "1"}, {"_id": "2"}]}, "message": DENIAL})
    for text in (app, search_like):
        assert split_records(text) is None
        (event,) = through_pipeline(text)
        assert event.violation and event.category == "auth"  # the denial beside the key is still read


def test_batches_inside_a_batch_are_opened_alike_by_scan_and_the_pipeline(tmp_path: Path) -> None:
    # `jq -s` over two `aws logs filter-log-events` answers: one line, two answers, four records
    def answer(*paths: str) -> dict[str, object]:
        return {
            "events": [
                {"logStreamName": "s", "timestamp": 1700000000000 + i, "message": DENIAL.replace("/helloworld", p)}
                for i, p in enumerate(paths)
            ],
            "searchedLogStreams": [],
        }

    line = compact([answer("/a1", "/a2"), answer("/b1", "/b2")])
    assert DENIAL.count("/helloworld") == 1  # premise: each record is told apart by its path
    piped = [e.attributes.get("url.path") for e in through_pipeline(line)]
    path = tmp_path / "answers.jsonl"
    path.write_text(line + "\n", "utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "meshtail", "scan", str(path), "-o", "jsonl"], capture_output=True, cwd=ROOT, check=False
    )
    scanned = [json.loads(out)["attributes"].get("url.path") for out in run.stdout.splitlines()]
    assert len(piped) == 4 and piped == scanned, (piped, scanned)
    assert [p.split("/")[1] if p else p for p in piped] == ["a1", "a2", "b1", "b2"]


def test_an_azure_diagnostic_export_is_an_event_per_record() -> None:
    # Azure Monitor's diagnostic settings write every category batched so (Event Hubs, a storage account's blobs):
    # {"records": [...]}, AKS's kube-audit among them (holdout98: 22 records on one line of an Event Hubs capture).
    # Two records here: the API server's audit of a mesh resource's change, and a sidecar's denial
    audit = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": "a1",
        "stage": "ResponseComplete",
        "requestURI": "/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies/deny-all",
        "verb": "create",
        "user": {"username": "alice@example.com"},
        "objectRef": {
            "resource": "authorizationpolicies",
            "namespace": "shop",
            "name": "deny-all",
            "apiGroup": "security.istio.io",
        },
        "responseStatus": {"code": 201},
        "stageTimestamp": "2024-05-01T10:11:12.123456Z",
    }
    line = compact(
        {
            "records": [
                {"category": "kube-audit", "time": "2024-05-01T10:11:12Z", "properties": {"log": compact(audit)}},
                {"category": "kube-audit", "time": "2024-05-01T10:11:13Z", "properties": {"log": DENIAL}},
            ]
        }
    )
    assert len(split_records(line) or []) == 2
    change, denial = through_pipeline(line)
    assert (change.format, change.category, change.attributes.get("k8s.name")) == (
        "k8s-audit",
        "config",
        "deny-all",
    )
    assert denial.violation and denial.category == "auth"
    # a record of an application's that holds "records" beside other keys is one record
    assert split_records(compact({"records": [{"properties": {}}, {"properties": {}}], "app": "x"})) is None
