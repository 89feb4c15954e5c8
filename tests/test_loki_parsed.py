"""A bounded Loki history parsed in two processes (meshtail/sources/loki/parsed.py), against the stand-in.

The split must change nothing a user sees: the output of ``scan --loki`` (events, their order, redaction, the
filter, gap and error events, the summary's counts) is what one process writes for the same window -- the run
with ``MESHTAIL_LOKI_WORKER=0`` is the oracle, in the same test.  Each test checks its premise: the worker
really parsed and wrote part of the window (its segments were copied to the output).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from meshtail.commands.exitcodes import EXIT_INPUT, EXIT_OK
from meshtail.commands.live import LiveRun, run_live
from meshtail.commands.loki_args import LokiRun
from meshtail.demo.loki import BadRequest, LokiStandIn
from meshtail.parse.detect import compile_formats
from meshtail.query import compile_filter
from meshtail.sources.loki import LokiConfig, LokiOptions, LokiSelection, LokiSource, parsed
from meshtail.sources.loki import worker as worker_module

from .conftest import eventually
from .test_loki_source import PROMTAIL, T0, loki

__all__ = ["loki"]  # the stand-in fixture

END = T0 + 3_000_000
REAL_COPY = parsed.copy_file
PODS = ("reviews-v1-a", "reviews-v2-b", "ratings-v1-c")
# Istio's default access-log format (proxyConfig.accessLogFormat unset), as the bookinfo sample prints it
ACCESS = (
    '[2023-11-14T22:13:20.{i:03d}Z] "GET /api/v1/products/{i} HTTP/1.1" {status} {flags} {details} - "-" 0 {size} 3 2 '
    '"-" "curl/8.0" "7a1c-{i}" "productpage:9080" "10.0.0.9:9080" inbound|9080|| 127.0.0.6:44321 10.0.0.1:9080 '
    "10.0.0.2:51234 outbound_.9080_._.productpage.shop.svc.cluster.local default"
)
# istiod's text scope line (pilot/pkg/xds/ads.go) and an Envoy debug header dump whose value is a credential
ISTIOD = "2023-11-14T22:13:20.{i:03d}Z\tinfo\tads\tLDS: PUSH for node:reviews-v1-a.shop resources:{i} size:7.1kB"
HEADER = "2023-11-14T22:13:20.{i:03d}Z\tdebug\tenvoy http\t'authorization', 'Bearer sk-test-{i:06d}-secretvalue'"


@pytest.fixture(autouse=True)
def _split_small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows of thousands of lines are split as a day's would be (no start-up share, no minimum size)."""
    monkeypatch.setattr(parsed, "STARTUP_LINES", 0)
    monkeypatch.setattr(parsed, "WORTH_LINES", 0)


def _line(i: int) -> str:
    if i % 97 == 0:
        return ISTIOD.format(i=i % 1000)
    if i % 89 == 0:
        return HEADER.format(i=i)
    if i % 31 == 0:
        return ACCESS.format(i=i, status=403, flags="-", details="rbac_access_denied_matched_policy[none]", size=19)
    if i % 23 == 0:
        return ACCESS.format(i=i, status=503, flags="UF,URX", details="upstream_reset_before_response_started", size=91)
    return ACCESS.format(i=i, status=200, flags="-", details="via_upstream", size=1200 + i % 50)


def _push(stand_in: LokiStandIn, count: int = 12_000, step: int = 750) -> None:
    """``count`` entries over the window (to its end), in runs of three sharing a timestamp across the pods."""
    for i in range(count):
        stand_in.push({**PROMTAIL, "pod": PODS[i % 3]}, T0 + (i // 3) * step, _line(i))


async def _scan(
    stand_in: LokiStandIn,
    monkeypatch: pytest.MonkeyPatch,
    in_two: bool,
    output: str = "jsonl",
    query: str = "",
    out: io.StringIO | None = None,
) -> tuple[str, list[str]]:
    """``scan --loki URL --from T0 --to END -o OUTPUT [-f QUERY]`` through ``run_live``: what it wrote, and the
    segments the worker's output came in (none when read in one process)."""
    monkeypatch.setenv(worker_module.ENV_SWITCH, "1" if in_two else "0")
    copied: list[str] = []

    def copy(path: str, out: Any) -> None:
        copied.append(open(path, encoding="utf-8").read())
        REAL_COPY(path, out)

    monkeypatch.setattr(parsed, "copy_file", copy)
    options = LokiOptions(start_ns=T0, end_ns=END, follow=False, limit=1000)
    run = LiveRun(
        query=compile_filter(query),
        formats=compile_formats([]),
        output=output,
        quiet=True,
        loki=LokiRun(LokiConfig.from_args(stand_in.url, env={}), LokiSelection(), options, query),
    )
    out = out or io.StringIO()
    status = await run_live(run, out)
    assert status in (EXIT_OK, EXIT_INPUT), status  # (a Loki error: EXIT_INPUT)
    return out.getvalue(), copied


def _comparable(text: str) -> list[dict[str, Any]]:
    """The written events without what differs between any two runs (when they were received and written)."""
    events = []
    for line in text.splitlines():
        event = json.loads(line)
        event.pop("received", None)
        if event.get("format") == "meshtail":
            event.pop("time", None)
        events.append(event)
    return events


async def test_a_scan_parsed_in_two_processes_writes_what_one_process_writes(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    _push(loki)
    one, none_copied = await _scan(loki, monkeypatch, in_two=False)
    two, copied = await _scan(loki, monkeypatch, in_two=True)
    assert not none_copied
    # the premise: the worker parsed and wrote a large part of the window, denials and credentials included
    from_worker = "".join(copied).count("\n")
    assert 4_000 < from_worker < 8_000, from_worker
    assert "rbac_access_denied" in "".join(copied) and "[REDACTED]" in "".join(copied)
    assert _comparable(two) == _comparable(one)
    written = _comparable(two)
    assert sum(1 for e in written if e.get("format") != "meshtail") == 12_000
    assert "secretvalue" not in two  # redacted on both sides of the split


async def test_the_filter_and_the_text_output_apply_in_the_worker_too(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    _push(loki)
    query = "outcome:deny OR authorization"
    one, _ = await _scan(loki, monkeypatch, in_two=False, output="text", query=query)
    two, copied = await _scan(loki, monkeypatch, in_two=True, output="text", query=query)
    assert copied and any("authz.deny" in segment for segment in copied)  # the premise: the worker wrote denials

    def without_times(text: str) -> list[str]:
        return [line.split(" ", 1)[1] for line in text.splitlines() if "/meshtail." not in line]

    assert without_times(two) == without_times(one)
    assert len(without_times(two)) == sum(1 for i in range(12_000) if i % 31 == 0 and i % 97 and i % 89) + sum(
        1 for i in range(12_000) if i % 89 == 0 and i % 97
    )


async def test_the_worker_waits_while_its_segments_wait_to_be_copied(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Disk is bounded: with segments of 4 kB (handed over a page at a time) and at most two in the spool, a worker
    whose output is not being copied (this process is held in its half) stops at two files."""
    _push(loki)
    monkeypatch.setattr(parsed, "SEGMENT_BYTES", 4096)
    monkeypatch.setattr(parsed, "MAX_SEGMENTS", 2)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the spool is made, watched here
    held: list[int] = []
    deliver = LokiSource._deliver_paced
    pages = [0]

    async def held_in_the_first_half(self: LokiSource, *args: Any) -> None:
        pages[0] += 1
        if pages[0] == 3:  # well into this process's half: the worker is running
            for _ in range(6000):
                spools = list(tmp_path.glob("meshtail-loki-*"))
                if spools and len(os.listdir(spools[0])) >= 2:
                    await asyncio.sleep(1.0)  # what a worker not waiting would write meanwhile: its whole half
                    held.append(len(os.listdir(spools[0])))
                    break
                await asyncio.sleep(0.01)
        await deliver(self, *args)

    one, _ = await _scan(loki, monkeypatch, in_two=False)
    monkeypatch.setattr(LokiSource, "_deliver_paced", held_in_the_first_half)
    two, copied = await _scan(loki, monkeypatch, in_two=True)
    assert len(copied) >= 6, len(copied)  # the premise: a segment a page, more than the spool may hold
    assert held == [2]  # the premise (the worker filled the spool while held), and then it waited
    assert _comparable(two) == _comparable(one)
    assert not list(tmp_path.glob("meshtail-loki-*"))  # the spool is removed once read


async def test_a_window_too_short_to_gain_is_read_as_before(loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker costs ~1 s to start: 12,000 lines are parsed here, the worker only fetching pages."""
    monkeypatch.setattr(parsed, "STARTUP_LINES", 25_000)
    monkeypatch.setattr(parsed, "WORTH_LINES", 80_000)
    _push(loki)
    one, _ = await _scan(loki, monkeypatch, in_two=False)
    two, copied = await _scan(loki, monkeypatch, in_two=True)
    assert not copied
    assert _comparable(two) == _comparable(one)
    assert sum(1 for e in _comparable(two) if e.get("format") != "meshtail") == 12_000


async def test_a_loki_error_in_the_workers_half_is_written_after_every_line_before_it(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loki refusing a page in the worker's half: the lines before it are written in order, then the error, as one
    process would (where exactly the last page before it ends depends on where each read's pages fall)."""
    _push(loki)
    whole, _ = await _scan(loki, monkeypatch, in_two=False)
    fail_from = T0 + 3_000_000 * 3 // 4
    real_view = loki._view

    def view(request: Any, query: str, tenants: list[str]) -> Any:
        if int(request.query.get("start", "0")) >= fail_from:
            raise BadRequest("the query time range exceeds the limit (query length: 721h0m0s, limit: 720h0m0s)")
        return real_view(request, query, tenants)

    monkeypatch.setattr(loki, "_view", view)
    two, copied = await _scan(loki, monkeypatch, in_two=True)
    assert copied  # the premise: the worker wrote its part before the error
    written = _comparable(two)
    errors = [e for e in written if e.get("action") == "meshtail.stream.error"]
    assert errors and "query time range exceeds the limit" in errors[0]["summary"]
    assert written[-1]["action"] == "meshtail.stream.error"
    lines = [e for e in written if e.get("format") != "meshtail"]
    every = [e for e in _comparable(whole) if e.get("format") != "meshtail"]
    assert lines == every[: len(lines)]  # in order, nothing lost or repeated before the error
    assert len(lines) >= 9_000 - 1_000  # all but at most the page the error came on


async def test_a_stop_while_the_workers_half_is_copied_counts_what_was_written(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """(Found in review.)  The summary's "events written" is what was written, also when the run stops after some
    of the worker's segments were copied (Ctrl-C, --duration): the worker sends running totals with each one."""
    _push(loki)
    monkeypatch.setenv(worker_module.ENV_SWITCH, "1")
    monkeypatch.setattr(parsed, "SEGMENT_BYTES", 4096)
    stop = asyncio.Event()
    copied: list[str] = []

    def copy(path: str, out: Any) -> None:
        copied.append(path)
        REAL_COPY(path, out)
        if len(copied) == 3:
            stop.set()

    monkeypatch.setattr(parsed, "copy_file", copy)
    options = LokiOptions(start_ns=T0, end_ns=END, follow=False, limit=1000)
    run = LiveRun(
        query=compile_filter(""),
        formats=compile_formats([]),
        output="jsonl",
        loki=LokiRun(LokiConfig.from_args(loki.url, env={}), LokiSelection(), options, ""),
    )
    out = io.StringIO()
    await run_live(run, out, stop)
    summary = [line for line in capsys.readouterr().err.splitlines() if "events written" in line][-1]
    written = out.getvalue().splitlines()
    assert len(copied) == 3 and len(written) < 12_000  # the premise: stopped part way through the copies
    said = int(re.search(r"(\d+) events written", summary).group(1))  # type: ignore[union-attr]
    assert said == len(written), summary
    lines = int(re.search(r"(\d+) lines", summary).group(1))  # type: ignore[union-attr]
    assert lines == sum(1 for line in written if '"format":"meshtail"' not in line), summary


async def test_without_a_spool_directory_the_worker_only_fetches(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """(Found in review.)  A temp directory that cannot hold the spool (not a directory, full, read-only) is a
    warning, and the read goes on as before: every line, parsed here."""
    _push(loki)
    not_a_directory = tmp_path / "not-a-dir"
    not_a_directory.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_directory))
    two, copied = await _scan(loki, monkeypatch, in_two=True)
    assert not copied
    written = _comparable(two)
    warnings = [e["summary"] for e in written if e.get("action") == "meshtail.source.warning"]
    assert warnings and "cannot make a spool" in warnings[0]
    assert sum(1 for e in written if e.get("format") != "meshtail") == 12_000


# istio/istio#24095 https://github.com/istio/istio/issues/24095: Istio 1.1-1.5's text format, which only that format
# reads; and tests/data/envoy-text.log line 7 (an Istio 1.7-era egress walkthrough, SOURCES.md): a TCP line that the
# 1.1 format and the 1.3 format both match, each reading it its own way
ISTIO_1_1 = (
    '[2020-05-27T07:05:41.663Z] "POST /operate HTTP/1.1" 0 DC "-" 13 0 10481 - "-" "curl/7.58.0" '
    '"7797e6c3-e625-9a52-a185-690cb04d97f7" "172.16.3.51:32354" "127.0.0.1:6666" '
    "inbound|6666|http|istio-mesh.istio-testing.svc.cluster.local - 10.244.2.136:6666 10.244.0.0:34052 -"
)
EITHER = (
    '[2020-12-03T10:54:15.891Z] "- - -" 0 UF,URX "-" "-" 0 0 10009 - "-" "-" "-" "-" "23.21.42.25:443" '
    "outbound|443||api.ipify.org - 54.243.164.148:443 10.10.167.168:53850 - -"
)


async def test_each_stream_goes_on_in_the_worker_with_the_format_it_had(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(Found in review.)  A stream's access format is sticky: a line two formats match is read with the one the
    stream used last.  The worker's parsers start from each stream's state after this process's first page."""
    _push(loki)
    legacy = {**PROMTAIL, "pod": "legacy-1-1"}
    for i in range(40):  # the 1.1-only line in the first page, the ambiguous one in the worker's half
        loki.push(legacy, T0 + 1000 + i, ISTIO_1_1)
        loki.push(legacy, END - 10_000 + i, EITHER)
    one, _ = await _scan(loki, monkeypatch, in_two=False)
    two, copied = await _scan(loki, monkeypatch, in_two=True)
    assert any("api.ipify.org" in segment for segment in copied)  # the premise: the worker read them

    def formats(text: str) -> set[str]:
        return {e["attributes"].get("envoy.log_format") for e in _comparable(text) if "api.ipify.org" in e["raw"]}

    assert formats(one) == {"istio-1.1"}  # the premise: the stream's format decides
    assert formats(two) == formats(one)
    assert _comparable(two) == _comparable(one)


async def test_a_window_longer_than_its_logs_is_shared_by_its_entries(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window asked for (``--since 24h``) often holds logs in part of it only: the split is the middle of what is
    there (the newest entry asked for once), not of the window, or one process would parse it all."""
    _push(loki, step=250)  # every entry in the window's first third
    two, copied = await _scan(loki, monkeypatch, in_two=True)
    from_worker = "".join(copied).count("\n")
    assert 4_000 < from_worker < 8_000, from_worker
    one, _ = await _scan(loki, monkeypatch, in_two=False)
    assert _comparable(two) == _comparable(one)


async def test_a_stop_while_the_worker_starts_leaves_no_spool_and_no_worker(
    loki: LokiStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """(Found by a flaky CI run: Ctrl-C the moment the worker appeared left its spool.)  A stop that comes while the
    worker is being started and handed its job ends the worker and removes the spool."""
    from .test_loki_worker import _workers

    _push(loki)
    monkeypatch.setenv(worker_module.ENV_SWITCH, "1")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started = asyncio.Event()
    start = worker_module.HistoryProcess.start

    async def slow_start(self: worker_module.HistoryProcess, job: Any) -> None:
        await start(self, job)
        started.set()
        await asyncio.sleep(60)  # still starting when the stop comes

    monkeypatch.setattr(worker_module.HistoryProcess, "start", slow_start)
    options = LokiOptions(start_ns=T0, end_ns=END, follow=False, limit=1000)
    run = LiveRun(
        output="jsonl",
        quiet=True,
        loki=LokiRun(LokiConfig.from_args(loki.url, env={}), LokiSelection(), options, ""),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_live(run, io.StringIO(), stop))
    await asyncio.wait_for(started.wait(), 30)
    assert list(tmp_path.glob("meshtail-loki-*")) and _workers(os.getpid())  # the premise: both there
    stop.set()
    await asyncio.wait_for(task, 30)
    assert not list(tmp_path.glob("meshtail-loki-*"))
    await eventually(lambda: not _workers(os.getpid()), timeout=15)
