# ruff: noqa: E501  (real log lines, verbatim)
"""A JSON record cut at its end (a selection, a terminal's width, a page's "…") is read as far as it goes.

The lines are real (sources above them); each is cut at every point from just after its message key on, and the
reading must keep its family and category, never invent a violation, and say the event is partial.
"""

from __future__ import annotations

import json

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse.cutjson import close_cut_object
from meshtail.parse.detect import StreamParser

# istio/istio#61097 https://github.com/istio/istio/issues/61097
NACK = '{"level":"warn","time":"2026-08-03T03:41:48.503582Z","scope":"ads","msg":"ADS:CDS: ACK ERROR deviceuser-545b9b4c5f-k2sbk.device-47920 Internal:Proto constraint validation failed (ClusterValidationError.OutlierDetection: embedded message failed validation"}'
# istio/istio#28120 https://github.com/istio/istio/issues/28120
PUSH = '{"level":"info","time":"2020-10-20T18:38:58.574420Z","scope":"ads","msg":"XDS:EDSInc Pushing:2020-10-20T18:11:26Z/249 Services:map[admin.private-advert-service.svc.cluster.local:{}] ConnectedEndpoints:146"}'


def parse(text: str):
    return StreamParser().parse(RawLine(text, Source("file", path="pasted.log", line=1), "2026-01-01T00:00:00Z"))


@pytest.mark.parametrize("line", [NACK, PUSH], ids=["nack", "push"])
def test_a_record_cut_anywhere_after_its_message_key_keeps_its_family(line: str) -> None:
    whole = parse(line)
    assert whole.format == "istiod" and whole.category == "config"  # the premise: the whole record is read
    start = line.index('"msg":"') + len('"msg":"') + 12
    cuts = range(start, len(line) - 2, 7)
    assert len(cuts) > 10
    for end in cuts:
        cut = line[:end]
        with pytest.raises(ValueError):
            json.loads(cut)  # the premise: no JSON as it stands
        event = parse(cut)
        assert (event.format, event.category) == (whole.format, whole.category), cut
        assert event.violation in (whole.violation, False), cut  # never a violation the whole line has not
        assert event.attributes.get("meshtail.partial") is True, cut


def test_what_is_closed_and_what_is_not() -> None:
    assert close_cut_object('{"a":"b","c":"d') == {"a": "b", "c": "d"}  # the string the cut fell in, ended
    assert close_cut_object('{"a":"b","e":"f","cd') == {"a": "b", "e": "f"}  # a key cut: its member dropped
    assert close_cut_object('{"x":1,"a":{"b":[1,2') == {"x": 1, "a": {"b": [1, 2]}}  # brackets closed in order
    assert close_cut_object('{"a":"b","cd') is None  # one member left says too little to read
    assert close_cut_object('{"a":"x \\"q\\" y","b":"z\\') == {"a": 'x "q" y', "b": "z"}  # an escape cut in half
    assert close_cut_object('{"a":"b","c":"d"…') == {"a": "b", "c": "d"}  # a page's ellipsis
    assert close_cut_object('{"a":"b"]') is None  # brackets that do not pair: not a cut object
    assert close_cut_object('{"a":"b", "c": }') is None  # closed, broken elsewhere: not mended
    assert close_cut_object('{"a') is None  # nothing left of it
    assert close_cut_object("[1,2") is None  # only objects


def test_the_first_line_of_a_record_wrapped_by_hand_is_istiods() -> None:
    # github markdown, search-index file id 52530110908 (an east-west gateway write-up, Istio 1-29-2): the record's
    # first line as the author wrapped it; its scope alone says whose
    first = '{"level":"warn","scope":"ads",'
    with pytest.raises(ValueError):
        json.loads(first)
    event = parse(first)
    assert (event.format, event.category, event.outcome) == ("istiod", "other", "unknown")


def test_a_mixer_log_entry_cut_before_its_status_is_still_mixers() -> None:
    # github markdown, search-index file id 34706409635 (Chinese notes on Mixer 0.8's Report API): Mixer's access-log
    # entry, the author's wrap cutting it before any status
    first = '{"level":"info","time":"2018-07-15T09:27:30.739801Z","instance":"accesslog.logentry.istio-system","apiClaims":"",'
    event = parse(first)
    assert (event.format, event.category, event.outcome, event.violation) == ("istiod", "other", "unknown", False)
    assert event.attributes.get("meshtail.partial") is True


# ---- stop 22: cut records whose start is there, measured by cutting the corpus's lines (the metamorphic harness)
# An Istio 1.5-1.7 JSON access record (Chinese observability notes, kubectl logs -f productpage -c istio-proxy;
# github markdown index file id 12926105595), cut before its status
ACCESS_CUT = (
    '{"requested_server_name":"-","bytes_received":"0","istio_policy_status":"-","bytes_sent":"178",'
    '"upstream_cluster":"outbound|9080|v1|details.default.svc.cluster.local","downstream_remote_address":'
    '"10.244.2.77:56892","authority":"details:9080","path":"/details/0","protocol":"HTTP/1.1","upstream_ser'
)
# elastic/integrations packages/envoyproxy/_dev/deploy/docker/sample_logs/envoy-logfile.log
# https://github.com/elastic/integrations/blob/c81e9fe78b8c969e7b96b4a6486e10b6a9fc3d94/packages/envoyproxy/_dev/deploy/docker/sample_logs/envoy-logfile.log
AMBASSADOR_CUT = (
    '{"message":"ACCESS [2023-04-06T06:20:05.972Z] \\"- - -\\" 0 UF,URX 0 0 0 - \\"-\\" \\"-\\" \\"-\\" \\"-\\" '
    '\\"127.0.0.1:9200\\"","stream":"stdout","time":"2019-02-12T18:37:43.139620629Z", "kubernetes": { "contai'
)
# Azure Monitor's ContainerLogV2 row (https://learn.microsoft.com/azure/azure-monitor/reference/tables/containerlogv2)
# around a denial from istio in action ch. 9's notes (search-index file id 52523078330), cut inside its LogMessage
AKS_CUT = (
    '{"TimeGenerated":"2022-12-30T13:03:35.6110000Z","Computer":"aks-nodepool1-17429978-vmss000001",'
    '"ContainerName":"istio-proxy","PodName":"webapp-7685bcb84-hp2kl","PodNamespace":"istioinaction",'
    '"LogMessage":"[2022-12-30T13:03:35.611Z] \\"GET /api/catalog HTTP/1.1\\" 403 - rbac_access_denied_matched_po'
)


def test_a_json_access_record_cut_before_its_status_is_a_request_of_unknown_outcome() -> None:
    event = parse(ACCESS_CUT)
    assert (
        f"{event.format} {event.category}/{event.outcome} {event.action}" == "envoy-json routing/unknown http.request"
    )
    assert event.attributes["meshtail.partial"] is True
    assert "cut before its status" in event.summary
    # two Envoy-only fields are not enough for a cut record (an application's own JSON may name them)
    assert parse('{"upstream_cluster":"a","route_name":"b","user":"x","note":"y z').format == "unknown"


def test_a_cut_record_that_names_an_istio_cluster_is_an_access_record() -> None:
    # tests/data/corpus/envoy/access-json.jsonl (a keycloak sidecar's records), cut where a UI's column ends
    for line in (
        '{"bytes_sent":"0","upstream_cluster":"outbound|7600||keycloak-headless.our_ns.svc.cluster.local","do…',
        '{"bytes_sent":"303518","upstream_cluster":"InboundPassthroughClusterIpv4","downstream_remote_address…',
    ):
        event = parse(line)
        assert (event.format, event.outcome, event.action) == ("envoy-json", "unknown", "http.request"), line
        assert event.attributes["meshtail.partial"] is True
    # a cluster of Istio's alone, or beside an application's own keys, is not enough (the last two found in review)
    for cut in (
        '{"upstream_cluster":"outbound|7600||kc.ns.svc.cluster.local","level":"info","ms…',
        '{"ts":"2025-01-01","level":"debug","route":"default","cluster":"outbound|80||foo","mess',
        '{"duration":"5ms","name":"PassthroughCluster","msg":"x',
    ):
        assert parse(cut).format == "unknown", cut


def test_a_collectors_record_cut_after_its_start_is_still_peeled() -> None:
    ambassador = parse(AMBASSADOR_CUT)
    assert (ambassador.format, ambassador.category, ambassador.outcome) == ("envoy-text", "routing", "failure")
    aks = parse(AKS_CUT)
    assert (aks.format, aks.category, aks.outcome, aks.violation) == ("envoy-text", "auth", "deny", True)
    assert aks.attributes["meshtail.partial"] is True


# Istio's default JSON access log sorts its keys; a Kyma troubleshooting page (github markdown, index file id
# 60233134407, "Troubleshooting the Istio Ingress") and an Istio 1.5-era lab guide (cloudzun/istio_course_project
# notes/istio-lab-guide-2026-2-8.md) print these records whole; a terminal or a page cuts them anywhere
KYMA = '{"authority":"httpbin.local.kyma.dev","bytes_received":0,"bytes_sent":442,"connection_termination_details":null,"downstream_local_address":"10.42.0.9:8443","downstream_remote_address":"10.42.0.1:22564","duration":15,"method":"GET","path":"/headers","protocol":"HTTP/2"'
LAB = '{"downstream_remote_address":"10.40.0.12:41654","authority":"details:9080","path":"/details/0","protocol":"HTTP/1.1","upstream_service_time":"9","upstream_local_address":"10.40.0.12:48508","duration":"15","upstream_transport_failure_reason":"-","route_name":"default"'


@pytest.mark.parametrize(
    ("line", "after"),
    [(KYMA, '"downstream_remote_address":"'), (LAB, '"upstream_transport_failure_reason"')],
    ids=["sorted-keys", "cut-in-a-key"],
)
def test_an_access_record_cut_early_is_still_one_when_its_first_keys_are_envoys(line: str, after: str) -> None:
    start = line.index(after) + len(after)
    cuts = range(start, len(line))
    readings = {cut: parse(line[:cut]) for cut in cuts}
    assert len(readings) > 20  # the premise: cut at many points, from inside the sixth key's value on
    for cut, event in readings.items():
        assert (event.format, event.category, event.action) == ("envoy-json", "routing", "http.request"), line[:cut]
        assert event.outcome == "unknown" and not event.violation, line[:cut]
        assert event.attributes["meshtail.partial"] is True
    # counts, a client and ONE field only Envoy names are what any request log may hold: not a proxy's record
    app = '{"bytes_received":0,"bytes_sent":442,"downstream_remote_address":"10.42.0.1:22564","route_name":"home","user":"x'
    assert parse(app).format == "unknown"


def test_a_null_true_or_false_cut_inside_is_the_value_it_was() -> None:
    # a record cut in the middle of a literal ('"connection_termination_details":nul'): the literal completed rather
    # than the member dropped (what is left may be all that says whose record it is)
    assert close_cut_object('{"a":1,"connection_termination_details":nul') == {
        "a": 1,
        "connection_termination_details": None,
    }
    assert close_cut_object('{"a":1,"b":tr...') == {"a": 1, "b": True}
    assert close_cut_object('{"a":1,"b":fa') == {"a": 1, "b": False}
    assert close_cut_object('{"a":1,"b":"nul') == {"a": 1, "b": "nul"}  # (inside a string: the string it was)
