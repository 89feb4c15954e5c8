"""Envoy's gRPC access log service entries as a receiver prints them (protojson, an entry or its stream message a
line): read by the same rules as the JSON access format."""

from __future__ import annotations

import json

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser
from meshtail.parse.records import split_records


def parse(text: str):
    return StreamParser().parse(RawLine(text, Source("file", path="als.log", line=1), "2026-01-01T00:00:00Z"))


# a Ruby ALS server's README (GitHub; the search index's file 17200782318): "In the first tab you will see something
# like:" -- the StreamAccessLogsMessage Envoy 1.11 sent for one request, as the server printed it
RUBY_README = '{"identifier":{"node":{"buildVersion":"bf169f9d3c8f4c682650c5390c088a4898940913/1.11.0/clean-getenvoy-af8a2e7/RELEASE/BoringSSL"},"logName":"ok"},"httpLogs":{"logEntry":[{"commonProperties":{"downstreamRemoteAddress":{"socketAddress":{"address":"127.0.0.1","portValue":58277}},"downstreamLocalAddress":{"socketAddress":{"address":"127.0.0.1","portValue":10000}},"startTime":"2019-08-12T04:41:28.003240000Z","timeToLastRxByte":"0.000151880s","timeToFirstUpstreamTxByte":"0.040410133s","timeToLastUpstreamTxByte":"0.040427674s","timeToFirstUpstreamRxByte":"0.343800671s","timeToLastUpstreamRxByte":"0.344012068s","timeToFirstDownstreamTxByte":"0.343967255s","timeToLastDownstreamTxByte":"0.344229634s","upstreamRemoteAddress":{"socketAddress":{"address":"172.217.27.36","portValue":443}},"upstreamCluster":"service_google"},"protocolVersion":"HTTP11","request":{"requestMethod":"GET","scheme":"https","authority":"www.google.com","path":"/","userAgent":"curl/7.62.0","requestId":"89831d79-5f6c-460f-a345-1cf04d497d40","requestHeadersBytes":"186","requestHeaders":{}},"response":{"responseCode":302,"responseHeadersBytes":"432","responseBodyBytes":"327","responseHeaders":{},"responseTrailers":{},"responseCodeDetails":"via_upstream"}}]}}'  # noqa: E501


def test_a_stream_message_of_one_entry_is_that_request() -> None:
    event = parse(RUBY_README)
    assert (event.format, event.category, event.outcome, event.violation) == ("envoy-json", "routing", "success", False)
    assert event.attributes["http.response.status_code"] == 302
    assert event.attributes["url.path"] == "/"
    assert event.time.startswith("2019-08-12T04:41:28")


def test_an_entrys_flags_and_details_decide_as_the_text_formats_do() -> None:
    entry = json.loads(RUBY_README)["httpLogs"]["logEntry"][0]
    # an ext_authz denial: the flag is a message (UnauthorizedDetails), the details Envoy's own
    entry["commonProperties"]["responseFlags"] = {"unauthorizedDetails": {"reason": "EXTERNAL_SERVICE"}}
    entry["response"].update(responseCode=403, responseCodeDetails="ext_authz_denied")
    denied = parse(json.dumps(entry))
    assert (denied.category, denied.outcome, denied.violation) == ("auth", "deny", True)
    assert denied.attributes["envoy.response_flags"] == ["UAEX"]
    # the proto's own field names (snake_case) and a TCP entry: no request, the connection's flags
    tcp = {
        "common_properties": {
            "upstream_cluster": "outbound|3306||mysql",
            "response_flags": {"upstream_connection_failure": True},
        },
        "connection_properties": {"received_bytes": "0", "sent_bytes": "0"},
    }
    failed = parse(json.dumps(tcp))
    assert (failed.format, failed.category, failed.outcome) == ("envoy-json", "routing", "failure")


def test_a_stream_message_of_many_entries_is_an_event_each() -> None:
    many = json.loads(RUBY_README)
    second = json.loads(json.dumps(many["httpLogs"]["logEntry"][0]))
    second["response"].update(
        responseCode=503, responseCodeDetails="upstream_reset_before_response_started{connection_failure}"
    )
    second["commonProperties"]["responseFlags"] = {"upstreamConnectionFailure": True}
    many["httpLogs"]["logEntry"].append(second)
    parts = split_records(json.dumps(many, separators=(",", ":")))
    assert parts is not None and len(parts) == 2
    events = [parse(part) for part in parts]
    assert [(event.format, event.outcome) for event in events] == [("envoy-json", "success"), ("envoy-json", "failure")]
