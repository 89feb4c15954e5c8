"""The Loki stand-in answers as Loki does: query_range paging, limits, labels, encoding flags, tail, auth, LogQL."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import socket
import subprocess
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from meshtail.demo.logql import AT_LEAST_ONE_MATCHER, LogQLError, parse
from meshtail.demo.loki import LokiStandIn, parse_timestamp

T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z, in nanoseconds
S = 10**9
WIDE = {"start": str(T0 - 3600 * S), "end": str(T0 + 3600 * S)}


@pytest.fixture
async def loki():  # type: ignore[no-untyped-def]
    stand_in = LokiStandIn(sent_log=[])
    stand_in.tail_throttle = 0.05  # Loki sleeps 0.5 s when nothing is ready; tests that time it set it back
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def http():  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    http: aiohttp.ClientSession, loki: LokiStandIn, path: str, headers: dict[str, str] | None = None, **params: str
) -> tuple[int, Any]:
    async with http.get(f"{loki.url}{path}", params=params, headers=headers or {}) as response:
        text = await response.text()
        if response.content_type == "application/json":
            return response.status, json.loads(text)
        return response.status, text


async def query_range(
    http: aiohttp.ClientSession, loki: LokiStandIn, query: str, headers: dict[str, str] | None = None, **params: str
) -> tuple[int, Any]:
    return await get(http, loki, "/loki/api/v1/query_range", headers, query=query, **params)


def entries(body: dict[str, Any]) -> list[tuple[int, str]]:
    """(timestamp, line) of every value, stream by stream as returned."""
    return [(int(v[0]), v[1]) for s in body["data"]["result"] for v in s["values"]]


def in_order(body: dict[str, Any], backward: bool = False) -> list[tuple[int, str]]:
    """All values merged into the direction's order (what a client pages on)."""
    return sorted(entries(body), key=lambda e: -e[0] if backward else e[0])


def fill(loki: LokiStandIn, n: int = 10, step: int = S, app: str = "a", **labels: str) -> list[int]:
    stamps = [T0 + i * step for i in range(n)]
    for i, ts in enumerate(stamps):
        loki.push({"app": app, **labels}, ts, f"{app} line {i}")
    return stamps


# ---- query_range ---------------------------------------------------------------------------


async def test_window_is_start_inclusive_end_exclusive(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    stamps = fill(loki, 5)
    status, everything = await query_range(http, loki, '{app="a"}', **WIDE)
    assert status == 200 and len(entries(everything)) == 5  # premise: all five are there
    status, body = await query_range(http, loki, '{app="a"}', start=str(stamps[1]), end=str(stamps[3]))
    assert status == 200
    assert [ts for ts, _ in in_order(body)] == [stamps[1], stamps[2]]
    # one nanosecond either side moves the edge
    _, body = await query_range(http, loki, '{app="a"}', start=str(stamps[1] + 1), end=str(stamps[3] + 1))
    assert [ts for ts, _ in in_order(body)] == [stamps[2], stamps[3]]


async def test_limit_and_direction_across_streams(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    fill(loki, 6, app="a")
    fill(loki, 6, step=S + 1, app="b")  # b's entries land 1, 2 … ns after a's
    _, backward = await query_range(http, loki, '{app=~"a|b"}', limit="4", **WIDE)
    assert backward["status"] == "success" and backward["data"]["resultType"] == "streams"
    newest = in_order(backward, backward=True)
    assert len(newest) == 4
    assert [line for _, line in newest] == ["b line 5", "a line 5", "b line 4", "a line 4"]
    # streams grouped by label set, sorted by it; values newest first
    assert [s["stream"] for s in backward["data"]["result"]] == [{"app": "a"}, {"app": "b"}]
    for stream in backward["data"]["result"]:
        stamps = [int(v[0]) for v in stream["values"]]
        assert stamps == sorted(stamps, reverse=True)
    _, forward = await query_range(http, loki, '{app=~"a|b"}', limit="3", direction="forward", **WIDE)
    assert [line for _, line in in_order(forward)] == ["a line 0", "b line 0", "a line 1"]
    for stream in forward["data"]["result"]:
        stamps = [int(v[0]) for v in stream["values"]]
        assert stamps == sorted(stamps)
    _, default = await query_range(http, loki, '{app=~"a|b"}', **WIDE)
    assert len(entries(default)) == 12  # premise for the default limit of 100: fewer entries than that


async def test_paging_as_logcli_does_returns_every_entry_once(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    # runs of equal timestamps straddle page boundaries
    stamps = [T0 + (i // 3) * S for i in range(20)]
    for i, ts in enumerate(stamps):
        loki.push({"app": "a"}, ts, f"line {i}")
    assert len(set(stamps)) < len(stamps)  # premise: timestamps repeat
    for backward in (False, True):
        start, end = T0 - S, T0 + 3600 * S
        seen: list[tuple[int, str]] = []
        last: list[tuple[int, str]] = []
        for _ in range(50):
            params = {"start": str(start), "end": str(end), "limit": "5"}
            params["direction"] = "backward" if backward else "forward"
            status, body = await query_range(http, loki, '{app="a"}', **params)
            assert status == 200
            page = in_order(body, backward)
            new = [e for e in page if e not in last]
            if not new:
                break
            seen.extend(new)
            edge = page[-1][0]
            last = [e for e in page if e[0] == edge]
            if backward:
                end = edge + 1  # end is exclusive: step back over the last timestamp again
            else:
                start = edge
        assert sorted(seen) == sorted((ts, f"line {i}") for i, ts in enumerate(stamps))
        assert len(seen) == len(set(seen)) == 20


async def test_limit_above_max_entries_is_refused_with_lokis_words(
    loki: LokiStandIn, http: aiohttp.ClientSession
) -> None:
    fill(loki, 3)
    status, _ = await query_range(http, loki, '{app="a"}', limit="5000", **WIDE)
    assert status == 200  # premise: the limit itself is allowed
    status, text = await query_range(http, loki, '{app="a"}', limit="5001", **WIDE)
    assert status == 400
    assert text == "max entries limit per query exceeded, limit > max_entries_limit_per_query (5001 > 5000)"
    small = LokiStandIn(max_entries=10)
    small_url = await small.start()
    try:
        async with http.get(f"{small_url}/loki/api/v1/query_range", params={"query": '{a="b"}', "limit": "11"}) as r:
            assert r.status == 400 and (await r.text()).endswith("(11 > 10)")
    finally:
        await small.stop()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit must be a positive value"),
        ({"limit": "ten"}, 'strconv.Atoi: parsing "ten": invalid syntax'),
        ({"direction": "sideways"}, "invalid direction 'sideways'"),
        (
            {"start": "yesterday"},
            "could not parse 'start' parameter: strconv.ParseInt: parsing \"yesterday\": invalid syntax",
        ),
        ({"end": "soon"}, "could not parse 'end' parameter: strconv.ParseInt: parsing \"soon\": invalid syntax"),
        ({"since": "ages"}, "could not parse 'since' parameter: not a valid duration string: \"ages\""),
        ({"start": str(T0), "end": str(T0 - 1)}, "end timestamp must not be before or equal to start time"),
        ({"step": "0"}, "zero or negative query resolution step widths are not accepted. Try a positive integer"),
        (
            {"start": str(T0), "end": str(T0 + 3600 * S), "step": "0.1"},
            "exceeded maximum resolution of 11,000 points per time series. "
            "Try increasing the value of the step parameter",
        ),
    ],
)
async def test_bad_parameters_are_answered_as_loki_answers(
    loki: LokiStandIn, http: aiohttp.ClientSession, params: dict[str, str], message: str
) -> None:
    status, ok = await query_range(http, loki, '{app="a"}')
    assert status == 200 and ok["status"] == "success"  # premise: the query itself is fine
    status, text = await query_range(http, loki, '{app="a"}', **params)
    assert (status, text) == (400, message)


def test_timestamps_in_every_documented_format() -> None:
    assert parse_timestamp("1700000000", 0) == T0  # ten digits or fewer: seconds
    assert parse_timestamp(str(T0 + 5), 0) == T0 + 5  # nanoseconds
    assert parse_timestamp("1700000000.25", 0) == T0 + 250_000_000  # float seconds, millisecond precision
    assert parse_timestamp("1700000000.0004", 0) == T0  # rounded to milliseconds, as Loki rounds
    assert parse_timestamp("2023-11-14T22:13:20Z", 0) == T0
    assert parse_timestamp("2023-11-14T22:13:20.000000007Z", 0) == T0 + 7
    assert parse_timestamp("2023-11-15T00:13:20+02:00", 0) == T0
    assert parse_timestamp("", 42) == 42
    with pytest.raises(ValueError, match=r'strconv.ParseInt: parsing "2023-13-01T00:00:00Z": invalid syntax'):
        parse_timestamp("2023-13-01T00:00:00Z", 0)


async def test_rfc3339_window_and_post_form(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    stamps = fill(loki, 4)
    params = {"query": '{app="a"}', "start": "2023-11-14T22:13:21Z", "end": "2023-11-14T22:13:23Z"}
    status, body = await get(http, loki, "/loki/api/v1/query_range", **params)
    assert status == 200 and [ts for ts, _ in in_order(body)] == stamps[1:3]
    async with http.post(f"{loki.url}/loki/api/v1/query_range", data=params) as response:
        posted = await response.json()
    assert in_order(posted) == in_order(body)


async def test_identical_entries_are_kept_once(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    loki.push({"app": "a"}, T0, "same")
    loki.push({"app": "a"}, T0, "same")
    loki.push({"app": "a"}, T0, "different")
    loki.push({"app": "b"}, T0, "same")
    assert loki.duplicates == 1
    _, body = await query_range(http, loki, '{app=~"a|b"}', **WIDE)
    assert sorted(line for _, line in entries(body)) == ["different", "same", "same"]


async def test_instant_log_queries_are_refused(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    fill(loki, 2)
    status, text = await get(http, loki, "/loki/api/v1/query", query='{app="a"}')
    assert status == 400
    assert text == (
        "log queries are not supported as an instant query type, please change your query to a range query type"
    )


async def test_sent_log_is_exactly_what_clients_received(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    fill(loki, 5)
    loki.push({"app": "a"}, T0 + 100, "with metadata", structured={"trace_id": "t1"})
    assert loki.sent_log == []
    _, body = await query_range(http, loki, '{app="a"}', limit="3", **WIDE)
    received = [(int(v[0]), s["stream"], v[1]) for s in body["data"]["result"] for v in s["values"]]
    assert len(received) == 3
    assert sorted(loki.sent_log, key=str) == sorted(received, key=str)
    loki.sent_log.clear()
    categorized = {"X-Loki-Response-Encoding-Flags": "categorize-labels"}
    _, body = await query_range(http, loki, '{app="a"} |= "metadata"', categorized, **WIDE)
    assert loki.sent_log == [(T0 + 100, {"app": "a"}, "with metadata")]


# ---- labels, series, status ----------------------------------------------------------------


async def test_labels_and_values_within_the_window(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    fill(loki, 3, app="a", ns="x")
    loki.push({"app": "old", "zone": "z1"}, T0 - 7200 * S, "long ago")
    status, body = await get(http, loki, "/loki/api/v1/labels", start=str(T0 - 8000 * S), end=str(T0 + S))
    assert status == 200 and body == {"status": "success", "data": ["app", "ns", "zone"]}  # premise: old is there
    _, body = await get(http, loki, "/loki/api/v1/labels", **WIDE)
    assert body == {"status": "success", "data": ["app", "ns"]}
    _, body = await get(http, loki, "/loki/api/v1/label/app/values", **WIDE)
    assert body == {"status": "success", "data": ["a"]}
    _, body = await get(http, loki, "/loki/api/v1/label/app/values", start=str(T0 - 8000 * S), end=str(T0 + S))
    assert body == {"status": "success", "data": ["a", "old"]}
    _, body = await get(http, loki, "/loki/api/v1/labels", start=str(T0 - 8000 * S), query='{app="old"}', end=str(T0))
    assert body == {"status": "success", "data": ["app", "zone"]}
    # nothing found: Loki leaves "data" out (omitempty)
    _, body = await get(http, loki, "/loki/api/v1/label/nope/values", **WIDE)
    assert body == {"status": "success"}


async def test_series(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    fill(loki, 2, app="a", ns="x")
    fill(loki, 2, app="b", ns="x")
    _, body = await get(http, loki, "/loki/api/v1/series", **{"match[]": '{app="b"}'}, **WIDE)
    assert body == {"status": "success", "data": [{"app": "b", "ns": "x"}]}
    _, body = await get(http, loki, "/loki/api/v1/series", **WIDE)
    assert body["data"] == [{"app": "a", "ns": "x"}, {"app": "b", "ns": "x"}]


async def test_ready_buildinfo_and_unknown_paths(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    assert await get(http, loki, "/ready") == (200, "ready\n")
    status, info = await get(http, loki, "/loki/api/v1/status/buildinfo")
    assert status == 200 and set(info) == {"version", "revision", "branch", "buildUser", "buildDate", "goVersion"}
    assert await get(http, loki, "/loki/api/v1/nothing") == (404, "404 page not found\n")


async def test_routes_mount_on_another_app(http: aiohttp.ClientSession) -> None:
    stand_in = LokiStandIn()

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.add_routes(stand_in.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        stand_in.push({"app": "a"}, T0, "mounted")
        url = f"http://127.0.0.1:{port}/loki/api/v1/query_range"
        async with http.get(url, params={"query": '{app="a"}', **WIDE}) as response:
            assert entries(await response.json()) == [(T0, "mounted")]
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert await response.text() == "ok"
    finally:
        await stand_in.close_tails()
        await runner.cleanup()


# ---- categorize-labels ---------------------------------------------------------------------


async def test_categorize_labels_encoding(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    loki.push({"app": "a"}, T0, '{"level":"error","user":{"id":7}}', structured={"trace_id": "abc"})
    loki.push({"app": "a"}, T0 + 1, '{"level":"info"}')
    flag = {"X-Loki-Response-Encoding-Flags": "categorize-labels"}
    _, body = await query_range(http, loki, '{app="a"} | json', flag, direction="forward", **WIDE)
    assert body["data"]["encodingFlags"] == ["categorize-labels"]
    assert body["data"]["result"] == [
        {
            "stream": {"app": "a"},
            "values": [
                [
                    str(T0),
                    '{"level":"error","user":{"id":7}}',
                    {"structuredMetadata": {"trace_id": "abc"}, "parsed": {"level": "error", "user_id": "7"}},
                ],
                [str(T0 + 1), '{"level":"info"}', {"parsed": {"level": "info"}}],
            ],
        }
    ]
    # without the flag, metadata and parsed labels are stream labels: two streams
    _, plain = await query_range(http, loki, '{app="a"} | json', direction="forward", **WIDE)
    assert "encodingFlags" not in plain["data"]
    assert [s["stream"] for s in plain["data"]["result"]] == [
        {"app": "a", "level": "error", "trace_id": "abc", "user_id": "7"},
        {"app": "a", "level": "info"},
    ]
    assert all(len(v) == 2 for s in plain["data"]["result"] for v in s["values"])
    # the flag with nothing to categorize still sends the (empty) third element
    _, bare = await query_range(http, loki, '{app="a"} |= "info"', flag, **WIDE)
    assert bare["data"]["result"][0]["values"] == [[str(T0 + 1), '{"level":"info"}', {}]]


# ---- LogQL ---------------------------------------------------------------------------------


async def test_selector_matchers(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    for app in ("prod", "prod-1", "staging"):
        loki.push({"app": app, "env": "x"}, T0, app)

    async def apps(query: str) -> list[str]:
        status, body = await query_range(http, loki, query, **WIDE)
        assert status == 200, body
        return sorted(line for _, line in entries(body))

    assert await apps('{env="x"}') == ["prod", "prod-1", "staging"]  # premise
    assert await apps('{app="prod"}') == ["prod"]
    assert await apps('{env="x", app!="prod"}') == ["prod-1", "staging"]
    assert await apps('{app=~"prod"}') == ["prod"]  # anchored: not prod-1
    assert await apps('{app=~"prod.*"}') == ["prod", "prod-1"]
    assert await apps('{env="x", app!~"prod|staging"}') == ["prod-1"]
    assert await apps('{env="x", missing=""}') == ["prod", "prod-1", "staging"]  # a missing label is ""


async def test_line_filters(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    lines = ["GET /a 200", "GET /b 503 upstream timeout", "POST /c 404", 'tab\there "quoted"', "Timeout!"]
    for i, line in enumerate(lines):
        loki.push({"app": "a"}, T0 + i, line)

    async def kept(query: str) -> list[str]:
        status, body = await query_range(http, loki, query, direction="forward", **WIDE)
        assert status == 200, body
        return [line for _, line in in_order(body)]

    assert await kept('{app="a"}') == lines  # premise
    assert await kept('{app="a"} |= "GET"') == lines[:2]
    assert await kept('{app="a"} != "GET"') == lines[2:]
    assert await kept('{app="a"} |= "GET" != "503"') == lines[:1]
    assert await kept('{app="a"} |~ "(?i)timeout"') == [lines[1], lines[4]]
    assert await kept('{app="a"} !~ "[0-9]{3}"') == lines[3:]
    assert await kept('{app="a"} |~ `\\d{3}$`') == [lines[0], lines[2]]
    assert await kept('{app="a"} |= "\\t"') == [lines[3]]  # Go escape in a double-quoted string
    assert await kept('{app="a"} |= `"quoted"`') == [lines[3]]  # back-quoted: raw
    assert await kept('{app="a"} |= "200" or "404"') == [lines[0], lines[2]]
    assert await kept('{app="a"} != "200" or "404"') == [lines[1], lines[3], lines[4]]


async def test_parsers_and_label_filters(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    lines = [
        '{"status": 503, "path": "/a"}',
        '{"status": 200, "path": "/b"}',
        "status=404 path=/c",
        "not json at all",
        '{"status": "n/a"}',
    ]
    for i, line in enumerate(lines):
        loki.push({"app": "a"}, T0 + i, line)

    async def kept(query: str) -> list[str]:
        status, body = await query_range(http, loki, query, direction="forward", **WIDE)
        assert status == 200, body
        return [line for _, line in in_order(body)]

    assert await kept('{app="a"} | json | status >= 500') == [lines[0], lines[4]]  # n/a: kept, marked
    assert await kept('{app="a"} | json | status >= 500 | __error__=""') == [lines[0]]
    assert await kept('{app="a"} | json | __error__="JSONParserErr"') == [lines[2], lines[3]]
    assert await kept('{app="a"} | logfmt | status="404"') == [lines[2]]
    assert await kept('{app="a"} | json | path="/a" or path="/b"') == lines[:2]
    assert await kept('{app="a"} | json | status=200, path="/b"') == [lines[1]]
    assert await kept('{app="a"} | json | (status=200 and path="/a") or path=~"/[ab]"') == lines[:2]


@pytest.mark.parametrize(
    ("query", "message"),
    [  # texts and columns from Loki's pkg/logql/syntax/parser_test.go
        ('{foo="bar}', "parse error at line 1, col 6: literal not terminated"),
        ('{foo="bar"', "parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,"),
        ('{foo="bar"} |~', "parse error at line 1, col 15: syntax error: unexpected $end, expecting STRING or ip"),
        ('{foo="bar"} "foo"', "parse error at line 1, col 13: syntax error: unexpected STRING"),
        ('{foo="bar"} foo', "parse error at line 1, col 13: syntax error: unexpected IDENTIFIER"),
        ('unk({ foo = "bar" }[5m])', "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"),
        ('#{app="foo"} | json', "parse error at line 1, col 20: syntax error: unexpected $end"),
        ('{foo!="bar"}', "parse error : " + AT_LEAST_ONE_MATCHER),
        ('{app=~".*"}', "parse error : " + AT_LEAST_ONE_MATCHER),
        ("{}", "parse error : " + AT_LEAST_ONE_MATCHER),
        ("", "parse error at line 1, col 1: syntax error: unexpected $end"),
        ('{app=~"("}', "parse error : error parsing regexp: missing closing ): `(`"),
        (
            '{app="a",\n  foo}',
            "parse error at line 2, col 6: syntax error: unexpected }, expecting = or =~ or !~ or !=",
        ),
        ('{app="a\\q"}', "parse error at line 1, col 6: invalid char escape"),
    ],
)
async def test_parse_errors_read_as_lokis(
    loki: LokiStandIn, http: aiohttp.ClientSession, query: str, message: str
) -> None:
    with pytest.raises(LogQLError) as raised:
        parse(query)
    assert str(raised.value) == message
    status, text = await query_range(http, loki, query)
    assert (status, text) == (400, message)


@pytest.mark.parametrize(
    "query",
    ['rate({app="a"}[5m])', '{app="a"} | line_format "{{.msg}}"', '{app="a"} | json level="lvl"', '{app="a"} | d > 5s'],
)
def test_syntax_beyond_the_stand_in_is_refused_plainly(query: str) -> None:
    with pytest.raises(LogQLError, match="not supported by meshtail's Loki stand-in"):
        parse(query)


def test_parser_accepts_what_a_client_generates() -> None:
    query = parse('{namespace="istio-system", app=~"istiod|ingress.*"}\n  |= "denied" != `healthz` |~ "(?i)rbac"')
    assert [(m.name, m.op, m.value) for m in query.matchers] == [
        ("namespace", "=", "istio-system"),
        ("app", "=~", "istiod|ingress.*"),
    ]
    assert [(f.op, f.values) for f in query.stages] == [("|=", ["denied"]), ("!=", ["healthz"]), ("|~", ["(?i)rbac"])]  # type: ignore[union-attr]
    assert query.selects({"namespace": "istio-system", "app": "ingressgateway"})
    assert not query.selects({"namespace": "istio-system", "app": "istiod-1"})
    assert query.process("RBAC: access denied", {}, {}) is not None
    assert query.process("RBAC: access denied /healthz", {}, {}) is None
    assert parse('{a="\\x41\\u00e9\\101\\""}').matchers[0].value == 'AéA"'


# ---- auth and tenants ----------------------------------------------------------------------


async def test_bearer_and_basic_credentials(http: aiohttp.ClientSession) -> None:
    for credentials in ({"bearer": "s3cret"}, {"basic": ("meshtail", "pw")}):
        stand_in = LokiStandIn(**credentials)  # type: ignore[arg-type]
        url = await stand_in.start()
        stand_in.push({"app": "a"}, T0, "hello")
        good = (
            {"Authorization": "Bearer s3cret"}
            if "bearer" in credentials
            else {"Authorization": "Basic " + base64.b64encode(b"meshtail:pw").decode()}
        )
        try:
            params = {"query": '{app="a"}', **WIDE}
            async with http.get(f"{url}/loki/api/v1/query_range", params=params, headers=good) as response:
                assert response.status == 200 and entries(await response.json()) == [(T0, "hello")]  # premise
            for bad in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": "Basic " + base64.b64encode(b"x:y").decode()},
            ):
                async with http.get(f"{url}/loki/api/v1/query_range", params=params, headers=bad) as response:
                    assert response.status == 401
                    assert "401 Authorization Required" in await response.text()
                    scheme = "Bearer" if "bearer" in credentials else "Basic"
                    assert response.headers["WWW-Authenticate"] == f'{scheme} realm="Loki"'
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"{url}/loki/api/v1/tail", params={"query": '{app="a"}'})
            assert refused.value.status == 401
        finally:
            await stand_in.stop()


async def test_tenants(http: aiohttp.ClientSession) -> None:
    stand_in = LokiStandIn(tenants={"team-a", "team-b"})
    url = await stand_in.start()
    try:
        stand_in.push({"app": "web"}, T0, "from a", tenant="team-a")
        stand_in.push({"app": "web"}, T0 + 1, "from b", tenant="team-b")
        params = {"query": '{app="web"}', **WIDE}

        async def ask(org: str | None, path: str = "/loki/api/v1/query_range", **extra: str) -> tuple[int, Any]:
            headers = {} if org is None else {"X-Scope-OrgID": org}
            async with http.get(f"{url}{path}", params={**params, **extra}, headers=headers) as response:
                text = await response.text()
                return response.status, json.loads(text) if response.content_type == "application/json" else text

        assert await ask(None) == (401, "no org id\n")
        _, body = await ask("team-a")
        assert entries(body) == [(T0, "from a")] and body["data"]["result"][0]["stream"] == {"app": "web"}
        _, body = await ask("team-b|team-a")
        assert sorted(entries(body)) == [(T0, "from a"), (T0 + 1, "from b")]
        assert [s["stream"] for s in body["data"]["result"]] == [
            {"__tenant_id__": "team-a", "app": "web"},
            {"__tenant_id__": "team-b", "app": "web"},
        ]
        _, body = await ask("team-a|team-b", query='{app="web", __tenant_id__="team-b"}')
        assert entries(body) == [(T0 + 1, "from b")]
        _, body = await ask("team-a|team-b", "/loki/api/v1/labels")
        assert body["data"] == ["__tenant_id__", "app"]
        _, body = await ask("team-a|team-b", "/loki/api/v1/label/__tenant_id__/values")
        assert body["data"] == ["team-a", "team-b"]
        _, body = await ask("nobody")
        assert body["data"]["result"] == []  # Loki accepts any tenant; this one is empty
        assert await ask("a b") == (400, "tenant ID 'a b' contains unsupported character ' '")
        status, text = await ask("team-a|team-b", "/loki/api/v1/tail")
        assert (status, text) == (400, "multiple org IDs present")
    finally:
        await stand_in.stop()


async def test_single_tenant_ignores_the_org_header(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    loki.push({"app": "a"}, T0, "fake tenant")
    for headers in ({}, {"X-Scope-OrgID": "someone"}):
        _, body = await query_range(http, loki, '{app="a"}', headers, **WIDE)
        assert entries(body) == [(T0, "fake tenant")]


# ---- tail ------------------------------------------------------------------------------------


async def tail_frames(ws: aiohttp.ClientWebSocketResponse, until: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Frames until ``until`` entries and drop reports have arrived in all."""
    frames: list[dict[str, Any]] = []
    seen = 0
    deadline = time.monotonic() + timeout
    while seen < until:
        message = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
        assert message.type == aiohttp.WSMsgType.TEXT, message
        frame = json.loads(message.data)
        frames.append(frame)
        seen += sum(len(s["values"]) for s in frame["streams"]) + len(frame.get("dropped_entries", []))
    return frames


def tail_values(frames: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(int(v[0]), v[1]) for f in frames for s in f["streams"] for v in s["values"]]


async def test_tail_sends_history_then_pushed_lines_in_order(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    now = time.time_ns()
    for i in range(5):
        loki.push({"app": "a"}, now - (10 - i) * S, f"old {i}")
    loki.push({"app": "a"}, now - 7200 * S, "before start")
    loki.push({"app": "b"}, now - 5 * S, "other stream")
    ws = await http.ws_connect(
        f"{loki.url}/loki/api/v1/tail", params={"query": '{app="a"}', "limit": "3", "start": str(now - 3600 * S)}
    )
    history = await tail_frames(ws, 3)
    assert tail_values(history) == [(now - (10 - i) * S, f"old {i}") for i in (2, 3, 4)]  # newest 3, oldest first
    # one stream object per entry, as Loki's tailer builds frames
    assert all(len(s["values"]) == 1 for f in history for s in f["streams"])
    assert all(s["stream"] == {"app": "a"} for f in history for s in f["streams"])
    pushed = []
    for i in range(20):
        ts = time.time_ns()
        loki.push({"app": "a"}, ts, f"live {i}")
        loki.push({"app": "b"}, ts, f"not mine {i}")
        pushed.append((ts, f"live {i}"))
        if i % 7 == 0:
            await asyncio.sleep(0.01)
    live = await tail_frames(ws, 20)
    assert tail_values(live) == pushed
    assert all("dropped_entries" not in f for f in history + live)
    await ws.close()
    await asyncio.sleep(0.05)
    assert loki.tails == 0
    assert [(ts, line) for ts, _, line in loki.sent_log] == tail_values(history + live)


async def test_tail_holds_entries_back_for_delay_for(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    loki.tail_throttle = 0.5  # Loki's own pacing
    ws = await http.ws_connect(f"{loki.url}/loki/api/v1/tail", params={"query": '{app="a"}', "delay_for": "2"})
    ts = time.time_ns()
    loki.push({"app": "a"}, ts, "delayed")
    frames = await tail_frames(ws, 1)
    arrived = time.time_ns()
    assert tail_values(frames) == [(ts, "delayed")]
    assert arrived - ts >= 2 * S  # not before its timestamp + delay_for
    assert arrived - ts < 4 * S
    await ws.close()
    status, text = await get(http, loki, "/loki/api/v1/tail", query='{app="a"}', delay_for="6")
    assert (status, text) == (400, "delay_for can't be greater than 5")


async def test_dropped_entries_are_reported(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    ws = await http.ws_connect(f"{loki.url}/loki/api/v1/tail", params={"query": '{app="a"}'})
    loki.drop_next_tail_entries(2)
    pushed = []
    for i in range(5):
        ts = time.time_ns() + i
        loki.push({"app": "a", "pod": "p1"}, ts, f"line {i}")
        pushed.append(ts)
    frames = await tail_frames(ws, 5)
    dropped = [d for f in frames for d in f.get("dropped_entries", [])]
    assert dropped == [{"timestamp": str(ts), "labels": {"app": "a", "pod": "p1"}} for ts in pushed[:2]]
    assert [ts for ts, _ in tail_values(frames)] == pushed[2:]
    assert [ts for ts, _, _ in loki.sent_log] == pushed[2:]  # dropped entries were never written
    await ws.close()


async def test_a_burst_far_beyond_the_queue_reaches_a_prompt_reader_whole(http: aiohttp.ClientSession) -> None:
    """Loki drops only while its writer is blocked on the socket, not because a burst is large.

    The 10-frame channel holds 1,000 entries; 20,000 become ready at once (as after the tailer's
    0.5 s sleep at 40,000 lines/s).  A client that reads as fast as frames come must get all of them:
    before the writer took queued frames without a wake-up per frame, the loop outran it and ~60 %
    were dropped with the client idle.
    """
    stand_in = LokiStandIn(sent_log=[])
    stand_in.tail_throttle = 0.5
    url = await stand_in.start()
    try:
        async with asyncio.timeout(60):
            ws = await http.ws_connect(f"{url}/loki/api/v1/tail", params={"query": '{app="a"}'})
            pushed = []
            base = time.time_ns()
            for i in range(20_000):
                stand_in.push({"app": "a", "pod": f"p{i % 50}"}, base + i, f"line {i}")
                pushed.append(base + i)
            assert len(pushed) > stand_in.tail_frames * 100 * 10  # premise: ten times what the queue holds
            frames = await tail_frames(ws, len(pushed), timeout=50)
            await ws.close()
        dropped = [d for f in frames for d in f.get("dropped_entries", [])]
        assert dropped == []
        assert [ts for ts, _ in tail_values(frames)] == pushed
    finally:
        await asyncio.wait_for(stand_in.stop(), 30)


async def test_a_client_that_falls_behind_loses_only_reported_entries(http: aiohttp.ClientSession) -> None:
    stand_in = LokiStandIn(sent_log=[], tail_frames=2)
    stand_in.socket_buffer = 16384
    stand_in.tail_throttle = 0.05
    url = await stand_in.start()

    def small_socket(addr_info: Any) -> socket.socket:
        family, kind, proto, _, _ = addr_info
        sock = socket.socket(family=family, type=kind, proto=proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        return sock

    try:
        async with (
            asyncio.timeout(120),  # once hung in a full CI run: fail with a traceback instead
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=small_socket)) as slow,
        ):
            ws = await slow.ws_connect(f"{url}/loki/api/v1/tail", params={"query": '{app="a"}'})
            pushed = set()
            pad = "x" * 10_000
            for i in range(800):  # ~8 MB the client does not read
                ts = time.time_ns()
                stand_in.push({"app": "a"}, ts, f"{i} {pad}")
                pushed.add(ts)
                if i % 50 == 0:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)
            # a frame after the flood carries the last drop report; a "final" line may itself be dropped
            # (Loki lists a drop with the next frame it queues), so another follows until one arrives
            finals: list[int] = []
            delivered: list[int] = []
            dropped: list[int] = []
            while not finals or finals[-1] not in delivered:
                if not finals or time.time_ns() - finals[-1] > 500_000_000:
                    finals.append(time.time_ns())
                    stand_in.push({"app": "a"}, finals[-1], f"final {len(finals)}")
                    pushed.add(finals[-1])
                try:
                    message = await ws.receive(timeout=0.5)
                except TimeoutError:
                    continue
                assert message.type == aiohttp.WSMsgType.TEXT, message
                frame = json.loads(message.data)
                delivered += [int(v[0]) for s in frame["streams"] for v in s["values"]]
                dropped += [int(d["timestamp"]) for d in frame.get("dropped_entries", [])]
            await ws.close()
        assert dropped, "premise: the client fell behind and entries were dropped"
        assert len(dropped) < 1000  # under Loki's cap on reported drops, so every drop is reported
        assert set(delivered) | set(dropped) == pushed
        assert not set(delivered) & set(dropped)
        assert len(delivered) == len(set(delivered))
        assert delivered == sorted(delivered)
        assert [ts for ts, _, _ in stand_in.sent_log] == delivered
    finally:
        await asyncio.wait_for(stand_in.stop(), 30)


async def test_tail_closes_with_1011_after_max_duration(http: aiohttp.ClientSession) -> None:
    stand_in = LokiStandIn(tail_max_duration=1.0)
    url = await stand_in.start()
    try:
        opened = time.monotonic()
        ws = await http.ws_connect(f"{url}/loki/api/v1/tail", params={"query": '{app="a"}'})
        assert stand_in.tails == 1  # premise: the tail is open
        message = await ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.CLOSE
        assert (message.data, message.extra) == (1011, "reached tail max duration limit")
        assert 0.9 <= time.monotonic() - opened < 3
        await asyncio.sleep(0.05)
        assert stand_in.tails == 0
    finally:
        await stand_in.stop()


async def test_close_tails_fault(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    sockets = [await http.ws_connect(f"{loki.url}/loki/api/v1/tail", params={"query": '{app="a"}'}) for _ in range(2)]
    assert loki.tails == 2
    loki.push({"app": "a"}, time.time_ns(), "before the close")
    for ws in sockets:
        assert tail_values(await tail_frames(ws, 1))[0][1] == "before the close"
    closing = asyncio.create_task(loki.close_tails())
    for ws in sockets:
        message = await ws.receive(timeout=5)
        assert (message.type, message.data, message.extra) == (aiohttp.WSMsgType.CLOSE, 1011, "max duration exceeded")
    await closing
    assert loki.tails == 0


async def test_too_many_tails(http: aiohttp.ClientSession) -> None:
    stand_in = LokiStandIn(max_tails=1)
    url = await stand_in.start()
    try:
        first = await http.ws_connect(f"{url}/loki/api/v1/tail", params={"query": '{app="a"}'})
        async with http.get(f"{url}/loki/api/v1/tail", params={"query": '{app="a"}'}) as response:
            assert response.status == 400
            assert await response.text() == "max concurrent tail requests limit exceeded, count > limit (2 > 1)"
        await first.close()
    finally:
        await stand_in.stop()


async def test_tail_categorize_labels(loki: LokiStandIn, http: aiohttp.ClientSession) -> None:
    headers = {"X-Loki-Response-Encoding-Flags": "categorize-labels"}
    ws = await http.ws_connect(f"{loki.url}/loki/api/v1/tail", params={"query": '{app="a"}'}, headers=headers)
    ts = time.time_ns()
    loki.push({"app": "a"}, ts, "hello", structured={"trace_id": "t"})
    (frame,) = await tail_frames(ws, 1)
    assert frame == {
        "streams": [
            {"stream": {"app": "a"}, "values": [[str(ts), "hello", {"structuredMetadata": {"trace_id": "t"}}]]}
        ],
        "encodingFlags": ["categorize-labels"],
    }
    await ws.close()


# ---- the real logcli, where it is installed ---------------------------------------------------


@pytest.mark.skipif(shutil.which("logcli") is None, reason="logcli is not installed (Debian does not package it)")
async def test_logcli_reads_the_stand_in(loki: LokiStandIn) -> None:
    stamps = [T0 + (i // 2) * S for i in range(30)]
    for i, ts in enumerate(stamps):
        loki.push({"app": "a"}, ts, f"line {i}")
    command = [
        "logcli",
        "query",
        "--addr",
        str(loki.url),
        "--output",
        "jsonl",
        "--quiet",
        "--forward",
        "--limit",
        "30",
        "--batch",
        "7",
        "--from",
        "2023-11-14T22:00:00Z",
        "--to",
        "2023-11-14T23:00:00Z",
        '{app="a"}',
    ]
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(row)["line"] for row in done.stdout.splitlines() if row.strip()]
    assert lines == [f"line {i}" for i in range(30)]
