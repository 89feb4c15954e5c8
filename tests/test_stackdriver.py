"""Istio's Stackdriver access log read back from Cloud Logging (gcloud logging read --format=json, a Logs Explorer
download): the request and Envoy's verdict in the entry's own fields, no Envoy line inside to peel.

The records follow istio/proxy's own expectations of what its Stackdriver plugin writes
(testdata/stackdriver/server_access_log_entry.yaml.tmpl, client_tcp_access_log_entry.yaml.tmpl at release-1.12;
extensions/stackdriver/log/logger.cc), in Cloud Logging's JSON field names.
"""

from __future__ import annotations

import json

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser


def parse(text: str):
    return StreamParser().parse(
        RawLine(text, Source("file", path="downloaded-logs.json", line=1), "2026-01-01T00:00:00Z")
    )


SERVER_ENTRY = {
    "httpRequest": {
        "requestMethod": "GET",
        "requestUrl": "http://127.0.0.1:20001/echo",
        "serverIp": "127.0.0.1:20002",
        "protocol": "http",
        "status": 403,
        "userAgent": "Go-http-client/1.1",
        "latency": "0.001053s",
    },
    "labels": {
        "destination_principal": "spiffe://cluster.local/ns/default/sa/server",
        "destination_service_host": "server.default.svc.cluster.local",
        "destination_service_name": "server",
        "response_flag": "-",
        "service_authentication_policy": "MUTUAL_TLS",
        "source_principal": "spiffe://cluster.local/ns/default/sa/client",
        "source_namespace": "default",
        "source_workload": "productpage-v1",
        "protocol": "http",
        "log_sampled": "false",
        "upstream_cluster": "server-inbound-cluster",
        "response_details": "AuthzDenied",
        "policy_name": "foo.httpbin-deny",
        "policy_rule": "0",
        "destination_workload": "ratings-v1",
        "mesh_uid": "proj-123",
    },
    "logName": "projects/test-project/logs/server-accesslog-stackdriver",
    "resource": {
        "labels": {"namespace_name": "default", "pod_name": "ratings-v1-84975bc778-pxz2w", "container_name": "server"},
        "type": "k8s_container",
    },
    "severity": "INFO",
    "timestamp": "2021-11-03T10:11:12.123456Z",
}


def test_an_rbac_denial_in_istios_stackdriver_entry_is_a_denial_naming_its_policy() -> None:
    event = parse(json.dumps(SERVER_ENTRY))
    assert (event.format, event.category, event.outcome, event.violation) == ("envoy-json", "auth", "deny", True)
    assert event.attributes["istio.policy"] == "ns[foo]-policy[httpbin-deny]-rule[0]"
    assert event.attributes["http.response.status_code"] == 403
    assert event.attributes["envoy.istio_source_workload"] == "productpage-v1"
    assert event.time.startswith("2021-11-03T10:11:12")
    # the premise: the same entry with the request let through is a success, not a denial
    allowed = json.loads(json.dumps(SERVER_ENTRY))
    allowed["httpRequest"]["status"] = 200
    allowed["labels"].update(response_details="via_upstream", route_name="server_route")
    del allowed["labels"]["policy_name"], allowed["labels"]["policy_rule"]
    assert (parse(json.dumps(allowed)).category, parse(json.dumps(allowed)).outcome) == ("routing", "success")


def test_a_tcp_entry_is_read_by_its_labels_not_its_summary_text() -> None:
    # a TCP connection's entry carries no httpRequest; its textPayload is "<source> --> <destination>"
    entry = {
        "labels": {
            "response_flag": "UH",
            "upstream_cluster": "outbound|3306||mysql.default.svc.cluster.local",
            "source_workload": "ratings-v2",
            "connection_state": "CLOSE",
            "total_sent_bytes": "0",
        },
        "logName": "projects/test-project/logs/client-accesslog-stackdriver",
        "textPayload": "ratings-v2 --> mysql",
        "severity": "INFO",
        "timestamp": "2021-11-03T10:11:12.123456Z",
    }
    event = parse(json.dumps(entry))
    assert (event.format, event.category, event.outcome) == ("envoy-json", "routing", "failure")
    # another log's entry is still Cloud Logging's wrapper around its text
    other = {
        "textPayload": "productpage --> reviews",
        "logName": "projects/p/logs/stdout",
        "resource": {"labels": {"pod_name": "x"}},
    }
    assert parse(json.dumps(other)).format == "unknown"
