# ruff: noqa: E501  (real log lines, verbatim)
"""Pasted fragments: a line whose time and level were left behind, cut short, or an app's own line.

Each line is real (source above it).  The fragment is what an operator's selection or a terminal
keeps of it: from the scope column on, the message alone, a collector record cut at its end.  The
reading may lose the outcome (the words that told it may be gone) but never the family a program's
own words name, and never invent one for another program's line.
"""

from __future__ import annotations

import json

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser


def parse(text: str):
    return StreamParser().parse(RawLine(text, Source("file", path="pasted.log", line=1), "2026-01-01T00:00:00Z"))


def reading(text: str) -> tuple[str, str, str, bool]:
    event = parse(text)
    return (event.format, event.category, event.outcome, bool(event.violation))


# istio/istio tools/bug-report/pkg/testdata/input/ingress.log
ROOT_ROTATED = (
    "2020-06-29T23:37:27.671934Z\tinfo\tcache\tRoot cert has changed, start rotating root cert for SDS clients"
)
# istio/istio#29565 https://github.com/istio/istio/issues/29565
TLS_ERROR = "2020-12-10T21:02:41.805680Z     debug   envoy connection        [C1160] TLS error: 268435648:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE"
# istio/istio#52487 https://github.com/istio/istio/issues/52487
READINESS = "2024-08-07T08:16:27.673762Z\tinfo\treadiness\tTask 'state manager' complete (339.387380351s), still awaiting 1 tasks"
# istio/istio#54645 https://github.com/istio/istio/issues/54645 (a grep -r of the node's log files)
CNI_RULES = "2025-01-10T10:04:20.413386Z        info    cni-agent       Applying iptables chains and rules      ns=echo-1-98991 name=captured-v1-9945c6685-58zx7"
# istio/istio#43268 https://github.com/istio/istio/issues/43268
SDS_PUSH = "2023-02-10T15:36:25.912166Z\tinfo\tads\tSDS: PUSH request for node:druid-broker-7cfd556bf9-zv67r.druid resources:1 size:1.1kB resource:ROOTCA"
# hashicorp/consul#15345 https://github.com/hashicorp/consul/issues/15345
CDS_UPDATE = "[2022-11-14 09:45:44.858][1][info][upstream] [source/common/upstream/cds_api_helper.cc:35] cds: add 3 cluster(s), remove 0 cluster(s)"


def _from_scope(line: str) -> str:
    """The line from its scope column on (the time and level left behind)."""
    return line.split(None, 2)[2]


def test_a_fragment_from_the_scope_column_is_read_as_its_programs() -> None:
    for line, family in (
        (ROOT_ROTATED, "istio-agent"),
        (TLS_ERROR, "envoy-component"),
        (READINESS, "ztunnel"),
        (CNI_RULES, "istio-cni"),
    ):
        whole = reading(line)
        assert whole[0] == family  # the premise: the whole line is read
        fragment = _from_scope(line)
        got = reading(fragment)
        assert got[:2] == whole[:2] and got[3] == whole[3], fragment
        assert got[2] in (whole[2], "unknown"), fragment
    # a known scope before words no program prints claims nothing
    assert reading("cache\tsomething only a person would write here")[0] == "unknown"
    assert reading("readiness check of my own service passed")[0] == "unknown"


def test_the_agents_sds_server_messages_alone_are_the_agents() -> None:
    # istiod links the same xDS server code, but only the agent's SDS server pushes ROOTCA/default secrets
    message = SDS_PUSH.split("\t", 3)[3]
    assert reading(SDS_PUSH) == reading(message) == ("istio-agent", "auth", "success", False)
    # (github markdown, search index file id 1768118187: a proxy-wasm crash report on istio-proxy 1.15.5; message only)
    assert reading('ADS: "@" productpage-v1-66756cddfd-whs2c.default-1 terminated')[0] == "istio-agent"


def test_an_envoy_message_alone_with_a_short_start_and_distinctive_rest() -> None:
    message = CDS_UPDATE.split("] ", 4)[-1]
    assert message == "cds: add 3 cluster(s), remove 0 cluster(s)"
    assert reading(message)[:3] == reading(CDS_UPDATE)[:3] == ("envoy-component", "config", "change")
    assert reading("cds: add some notes to the docs")[0] == "unknown"


def test_a_collector_record_cut_at_its_end_still_gives_its_line() -> None:
    # fluent/fluent-bit tests/runtime/data/kubernetes shape around a denied request of istio-in-action notes
    whole = json.dumps(
        {
            "log": '[2022-12-30T13:03:35.611Z] "GET /api/catalog HTTP/1.1" 403 - rbac_access_denied_matched_policy[none] - "-" 0 19 0 - "-" "curl/7.83.1"\n',
            "stream": "stdout",
        }
    )
    cut = whole[:140]
    event = parse(cut)
    assert (event.format, event.category, event.outcome, event.violation) == ("envoy-text", "auth", "deny", True)
    assert event.attributes["meshtail.partial"] is True
    # cut inside an escape: the half escape is dropped, the rest read
    assert parse(whole[: whole.index("\\u0022") if "\\u0022" in whole else 60] + "\\").format in (
        "envoy-text",
        "unknown",
    )


def test_an_applications_own_request_log_is_not_a_proxys_access_log() -> None:
    # prequel-dev/cre rules/cre-2025-0918/test.log (a Go service's logfmt request log); zap and slog JSON of the same
    for text in (
        "2025/06/03 21:42:24 level=info method=GET path=/panic status=200 duration=26.68µs",
        '{"level":"info","ts":"2024-01-01T00:00:00Z","msg":"request","method":"GET","path":"/x","status":200,"duration":0.01}',
        '{"time":"2024-01-01T00:00:00Z","level":"INFO","msg":"handled","method":"POST","path":"/api","status":200,"duration_ms":3}',
    ):
        assert parse(text).format == "unknown", text
    # a proxy's own fields keep a record with a level an access log (an operator's json_format may add one)
    record = '{"level":"info","method":"GET","path":"/x","response_code":503,"response_flags":"UH","upstream_cluster":"outbound|80||x"}'
    assert parse(record).format == "envoy-json"


# istio/istio#56161 https://github.com/istio/istio/issues/56161
ROUTER = '2025-05-05T11:52:44.491886Z\tdebug\tenvoy router external/envoy/source/common/router/router.cc:539\t[Tags: "ConnectionId":"299","StreamId":"15767568199763820635"] cluster \'main_internal\' match for URL \'\'\tthread=22'
# istio/istio#41064 https://github.com/istio/istio/issues/41064 (its tab collapsed to one space below)
WASM = "envoy wasm\twasm log: error reading vm configuration: error status returned by host: not found"


def test_envoys_column_shape_without_time_and_level() -> None:
    fragment = ROUTER.split("\t", 2)[2]  # "envoy router external/…/router.cc:539\t[Tags: …] cluster …"
    event = parse(fragment)
    assert (event.format, event.action) == ("envoy-component", "envoy.router")
    assert event.attributes["code.lineno"] == 539 and "external/envoy" not in event.summary
    assert reading(WASM.replace("\t", " ")) == reading(WASM) == ("envoy-component", "other", "failure", False)
    # the agent's own sentences that start with "envoy" stay the agent's
    assert parse("envoy connection is not closed: EOF").format != "envoy-component"


def test_a_template_that_starts_with_a_value_claims_its_message() -> None:
    # istio/istio#42147 https://github.com/istio/istio/issues/42147 (the verification result made a failure)
    assert reading("origins-0: JWT token verification completed with: Jwt is expired") == (
        "envoy-component",
        "auth",
        "deny",
        True,
    )
    # a short generic template that starts with a value claims nothing
    assert parse("10.0.0.1 is not a valid address").format == "unknown"


def test_a_level_in_pkg_logs_column_before_one_of_their_messages() -> None:
    # istio/istio tools/bug-report/pkg/testdata/input/ingress.log; istio/istio#54790 — the time left behind
    assert reading("info\tEpoch 0 starting")[:2] == ("istio-agent", "other")
    assert reading("info    ControlZ available at 127.0.0.1:9876")[0] == "istiod"
    assert reading('info    FLAG: --concurrency="0"')[0] == "istio-agent"
    # another program's sentence after a level word is not theirs
    assert reading("info    my service started on port 8080")[0] == "unknown"
