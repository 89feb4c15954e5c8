"""Detection is sticky per stream, but a line of another family must not knock a stream off its fast path.

Every sidecar prints istio-agent lines ("Envoy proxy is ready") among its access lines.  The
access lines after one must still be read by the strict format (the short path a bound filter
judges on the match alone), not by the loose reader that takes ~40 times as long
(benchmarks/loki_replay.py found replayed sidecar history at 3,400 lines/s instead of 137,000).
"""

from __future__ import annotations

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser

ACCESS = (
    '[2024-05-01T10:00:00.000Z] "GET /productpage HTTP/1.1" 403 - rbac_access_denied_matched_policy[none] - "-" '
    '0 19 0 - "-" "curl/8.0" "a-b-c" "productpage:9080" "-" inbound|9080|| - 10.0.0.5:9080 10.0.0.9:50000 '
    "outbound_.9080_._.productpage.default.svc.cluster.local -"
)
READY = "2024-05-01T10:00:00.000000Z\tinfo\tEnvoy proxy is ready"  # istio-agent, as every sidecar prints it
SRC = Source("kube", namespace="default", pod="productpage-v1-1", container="istio-proxy")


def read(parser: StreamParser, text: str):  # type: ignore[no-untyped-def]
    return parser.parse(RawLine(text, SRC, "2026-01-01T00:00:00Z"))


def test_access_lines_after_an_agent_line_stay_on_the_strict_format() -> None:
    parser = StreamParser()
    assert read(parser, READY).format == "istio-agent"  # premise: the stream saw another family
    first = read(parser, ACCESS)
    assert parser.match_fast(ACCESS) is not None, "the stream is back on the access format's short path"
    again = read(StreamParser(), ACCESS)  # the same line in a stream of access lines only
    assert first.to_json() == again.to_json()
    assert (first.category, first.outcome, first.violation) == ("auth", "deny", True)


def test_agent_lines_between_access_lines_are_still_read_as_agent_lines() -> None:
    parser = StreamParser()
    formats = [read(parser, line).format for line in (ACCESS, READY, ACCESS, READY, ACCESS)]
    assert formats == ["envoy-text", "istio-agent", "envoy-text", "istio-agent", "envoy-text"]
