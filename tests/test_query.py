"""The filter language: every operator, negation, OR, grouping, errors with positions, pre-checks."""

from __future__ import annotations

import pytest

from meshtail.events import Source
from meshtail.query import FilterError, compile_filter

from .conftest import lines, parse

TEXT = lines("envoy-text.log")
DENY = parse(TEXT[2], Source("gateway", namespace="istio-system", pod="egress-1"))
OK = parse(TEXT[0], Source("sidecar", namespace="foo", pod="sleep-1"))
NR = parse(TEXT[4], Source("gateway", namespace="istio-system", pod="ingress-1"))
TCP = parse(TEXT[5], Source("sidecar", namespace="db", pod="client-1"))
AUDIT = parse(lines("k8s-audit-derived.log")[0])
EVENTS = {"deny": DENY, "ok": OK, "nr": NR, "tcp": TCP, "audit": AUDIT}


def matching(query: str) -> set[str]:
    compiled = compile_filter(query)
    return {name for name, event in EVENTS.items() if compiled.matches(event)}


def test_empty_filter_matches_everything():
    assert matching("") == set(EVENTS)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cat:auth", {"deny"}),
        ("CAT:AUTH", {"deny"}),
        ("outcome:deny", {"deny"}),
        ("status:403", {"deny"}),
        ("status:4*", {"deny", "ok", "nr"}),
        ("status:>=404", {"ok", "nr"}),
        ("status:>403", {"ok", "nr"}),
        ("status:<404", {"deny", "audit"}),
        ("status:<=403", {"deny", "audit"}),
        ("method:head", {"deny"}),
        ("path:/status/418", {"ok"}),
        ("path:/STATUS/*", {"ok"}),
        ("path:/^\\/status/", {"ok"}),
        ("path:/^\\/STATUS/i", {"ok"}),
        ("policy:external-deny-developer-yahoo-com", {"deny"}),
        ("policy:istio-system/external-deny-*", {"deny"}),
        ("flags:UF", {"tcp"}),
        ("flags:nr", {"nr"}),
        ("ns:istio-system", {"deny", "nr"}),
        ("ns:shop", {"audit"}),
        ("pod:sleep-*", {"ok"}),
        ("dst:httpbin*", {"ok"}),
        ("src:10.100.0.6", {"deny"}),
        ("user:alice@example.com", {"audit"}),
        ("action:route.no_route", {"nr"}),
        ("violation:true", {"deny"}),
        ("severity:>=warning", {"deny", "nr", "tcp", "ok"}),
        ("duration:>5000", {"tcp"}),
        ("http.request.header.x-request-id:84961386-*", {"ok"}),
        ("source.kind:gateway", {"deny", "nr"}),
        ("time:>=2024-01-01", {"tcp", "audit"}),
        ("curl", {"deny", "ok", "nr"}),
        ('"HEAD / HTTP/2"', {"deny"}),
        ("denied", {"deny"}),
    ],
)
def test_terms(query, expected):
    assert matching(query) == expected


def test_and_or_not_and_grouping():
    assert matching("cat:routing -status:404") == {"ok", "tcp"}
    assert matching("NOT cat:routing") == {"deny", "audit"}
    assert matching("status:403 OR status:404") == {"deny", "nr"}
    assert matching("ns:istio-system status:403 OR flags:UF") == {"deny", "tcp"}
    assert matching("ns:istio-system (status:403 OR flags:UF)") == {"deny"}
    assert matching("-(cat:routing OR cat:auth)") == {"audit"}
    assert matching("cat:routing AND status:418") == {"ok"}


def test_not_equal_and_a_lone_bar_mean_what_users_of_other_tools_type() -> None:
    """Found by an outside audit: `status:!=403` was the value "!=403" (no event, no word) and `|` a word to find."""
    assert matching("status:!=403") == matching("-status:=403") == set(EVENTS) - {"deny"}
    assert matching("ns:!=istio-system cat:routing") == {"ok", "tcp"}
    assert matching("status:403 | status:404") == matching("status:403 OR status:404") == {"deny", "nr"}
    with pytest.raises(FilterError, match="missing value"):
        compile_filter("status:!=")


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("status:403 (cat:auth", 11, "unclosed '('"),
        ("cat:auth )", 9, "unexpected ')'"),
        ('"unterminated', 0, "unterminated quoted phrase"),
        ("bogus:1", 0, "unknown field 'bogus'"),
        ("path:/a(b/", 7, "bad regex"),
        ("path:/ab/x", None, None),  # not a regex: a path value
        ("status:>", 8, "missing value"),
        ("OR cat:auth", 0, "expected a term"),
        ("cat:auth OR", 9, "OR needs a term"),
        ("-", None, None),  # a lone dash is a word
        ("cat:auth -", None, None),
        ("()", 0, "empty parentheses"),
        ("path:/x/q", None, None),  # "q" is no regex flag: a path value
    ],
)
def test_errors_point_at_the_problem(query, position, fragment):
    if fragment is None:
        compile_filter(query)
        return
    with pytest.raises(FilterError) as info:
        compile_filter(query)
    assert fragment in info.value.message
    assert info.value.position == position
    assert info.value.pointer().splitlines()[1].index("^") == position


def test_precheck_is_sound_for_every_line():
    """A pre-check may only reject raw lines whose events would not match."""
    queries = [
        "status:403",
        "method:HEAD",
        "path:/status/*",
        "flags:UF OR status:404",
        "cat:auth status:403",
        "route:default",
        "cluster:outbound|8000*",
    ]
    all_lines = [line for name in ("envoy-text.log", "envoy-json.log", "istiod.log") for line in lines(name)]
    for query in queries:
        compiled = compile_filter(query)
        assert compiled.precheck is not None, query
        for line in all_lines:
            if compiled.matches(parse(line)):
                assert compiled.precheck(line), (query, line)


def test_no_precheck_where_it_would_be_unsound():
    for query in ("-status:403", "denied", "status:>400", "ns:shop", "cat:auth OR denied", "policy:deny-admin"):
        assert compile_filter(query).precheck is None, query


def test_precheck_rejects_lines_that_cannot_match():
    compiled = compile_filter("status:403")
    assert compiled.precheck is not None
    assert not compiled.precheck(TEXT[0])
    assert compiled.precheck(TEXT[2])


BOUND_FILTERS = [
    "status:403",
    "status:<100",
    "status:>=500",
    "-status:200",
    "duration:>250",
    "duration:<=3",
    "method:GET",
    "method:get OR method:HEAD",
    "path:/productpage",
    "path:/api/*",
    "flags:UF",
    "cat:auth",
    "outcome:deny violation:true",
    "action:http.request -cat:routing",
    "format:envoy-text",
    "route:default",
    "cluster:outbound*",
    "details:via_upstream",
    'request_id:="8b1e3c7a-9b8d-4cb7-a8f9-3c7b0a4b1e11"',
    "denied",
    "policy:*",
    "ns:shop OR kind:file",
    "time:>=2020-01-01",
    "user_agent.original:curl*",
    "dst:*reviews*",
    "path:/(a+)+$/",
]


@pytest.mark.parametrize("text", BOUND_FILTERS)
def test_a_filter_bound_to_a_format_answers_as_the_event_does(text: str) -> None:
    """`scan` and `tail` judge most lines on their regex match; that verdict must be the event's, or abstain."""
    from meshtail.events import RawLine, Source
    from meshtail.parse.detect import StreamParser
    from meshtail.query import StreamFilter

    from .test_packing import ALL_LINES

    query = compile_filter(text)
    source = Source("file", path="x")
    bound = StreamFilter(query, source)
    decided = 0
    for _, line in ALL_LINES:
        parser = StreamParser()
        parser.parse(RawLine(line, source, "2026-01-01T00:00:00.000000Z"))  # the stream's format, sticky
        matched = parser.match_fast(line)
        if matched is None:
            continue
        verdict = bound.verdict(*matched)
        event = parser.parse(RawLine(line, source, "2026-01-01T00:00:00.000000Z"), matched)
        if verdict is not None:
            decided += 1
            assert verdict == query.matches(event), (text, line)
    assert decided > 0 or text in ("denied", "policy:*", "dst:*reviews*"), "the premise: the match decided lines"
