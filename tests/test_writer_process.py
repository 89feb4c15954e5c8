"""A Loki live tail's parsing and writing in a second process (meshtail/writer_process.py).

The writer process must change nothing a user sees but the CPU split: the same bytes as one process writes
(every line, every event the source made, in order, redacted the same), the same summary, the lag still
measured and said, and each way it can end -- a closed output, a crash, Ctrl-C, a killed meshtail -- ends the
run as one process would, never with output stopping quietly.  Each test checks that the child really ran.

The lines are the corpus's real lines (tests/data/corpus/**, each cited there by its record's ``src``), plus
hostile ones (terminal escapes, markup, undecodable bytes) and a credential to redact.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from meshtail.demo.loki import LokiStandIn
from meshtail.events import AuditEvent, RawLine, Source, now_rfc3339
from meshtail.parse.detect import compile_formats
from meshtail.pipeline import Pipeline
from meshtail.query import compile_filter
from meshtail.sinks.output import Writer
from meshtail.sources.health import health_event
from meshtail.sources.loki.reader import stamp
from meshtail.writer_process import EXIT_BROKEN, Totals, WriterJob, WriterProcess

from .conftest import children_running, eventually
from .test_loki_source import PROMTAIL, loki

__all__ = ["loki"]  # the stand-in fixture

DATA = Path(__file__).parent / "data" / "corpus"
RECEIVED = "2026-11-30T10:00:00.123456Z"
FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%'
)


def _corpus() -> list[str]:
    lines = []
    for path in sorted(DATA.rglob("*.jsonl")):
        for row in path.read_text(encoding="utf-8").splitlines():
            if row.strip():
                lines.append(json.loads(row)["raw"])
    return lines


HOSTILE = [
    '[2024-05-01T10:00:00.000Z] "GET /\x1b[2J\x1b]0;owned\x07[bold]x[/] HTTP/1.1" 403 - '
    'rbac_access_denied_matched_policy[none] - "-" 0 19 0 - "-" "curl/8.0" "id-1" "svc:80" "-" '
    "inbound|80|| - 10.0.0.1:80 10.0.0.2:5 - -",
    "GET /login?token=abc Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl 401",
    "\udcff\udcfe half a line of bytes that are not UTF-8 \u200b\uff21",
    '[{"log": "one of a batch"}, {"log": "two of a batch"}]',
]


def _inputs() -> list[RawLine | AuditEvent]:
    """The corpus over six streams, a health event and a stream's end among them."""
    sources = [Source(kind="loki", namespace="shop", pod=f"reviews-{n}", container="istio-proxy") for n in range(6)]
    items: list[RawLine | AuditEvent] = []
    for i, text in enumerate(_corpus() + HOSTILE):
        items.append(RawLine(text, sources[i % 6], RECEIVED, stamp(1_764_496_800_000_000_000 + i), i % 50 == 7))
        if i == 300:
            items.append(health_event("meshtail.stream.gap", "lines after x may be lost", "warning", sources[1]))
        if i == 600:
            items.append(health_event("meshtail.stream.end", "the stream ended", "info", sources[2]))
    return items


def _in_process(items: list[RawLine | AuditEvent], path: Path, output: str, text: str, formats: list[str]) -> Pipeline:
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as out:
        writer = Writer(out, output)
        pipeline = Pipeline(writer.write, compile_filter(text), compile_formats(formats))
        for item in items:
            (pipeline.line if isinstance(item, RawLine) else pipeline.event)(item)  # type: ignore[arg-type]
    pipeline.written = writer.written  # type: ignore[attr-defined]
    pipeline.redactions = writer.redactions  # type: ignore[attr-defined]
    return pipeline


async def _offloaded(
    items: list[RawLine | AuditEvent], path: Path, output: str, text: str, formats: list[str], history: bool = True
) -> tuple[WriterProcess, Totals | None]:
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as out:
        process = WriterProcess()
        job = WriterJob(output, True, text, formats, "utf-8", "surrogateescape")
        await process.start(job, out)
        process.history(history)  # (history: no lag is measured on these old lines)
        for n, item in enumerate(items):
            if isinstance(item, RawLine):
                process.line(item)
            else:
                process.event(item)
            if n % 97 == 0:
                await asyncio.sleep(0)  # a frame's worth at a time, as the source delivers them
        totals = await process.close()
    return process, totals


@pytest.mark.parametrize(
    ("output", "text", "formats"),
    [("jsonl", "", []), ("text", "", []), ("jsonl", "outcome:deny OR status:403 OR 401", [FORMAT])],
)
async def test_the_writer_process_writes_what_one_process_writes(
    tmp_path: Path, output: str, text: str, formats: list[str]
) -> None:
    items = _inputs()
    one = _in_process(items, tmp_path / "one", output, text, formats)
    process, totals = await _offloaded(items, tmp_path / "two", output, text, formats)
    sent = sum(isinstance(item, RawLine) for item in items)
    assert process.lines == sent > 1000 and one.matched > 20, "premise: the child was sent every line"
    assert (tmp_path / "two").read_bytes() == (tmp_path / "one").read_bytes()
    assert totals is not None
    assert (totals.lines, totals.matched, totals.formats_seen, totals.health) == (
        one.lines,
        one.matched,
        dict(one.formats_seen),
        dict(one.health),
    )
    assert (totals.written, totals.redactions) == (one.written, one.redactions)  # type: ignore[attr-defined]
    if output == "jsonl" and not text:
        written = (tmp_path / "two").read_text(encoding="utf-8", errors="surrogateescape")
        assert "\x1b" not in written and "eyJzdWIiOiJ4In0" not in written and totals.redactions >= 1


async def test_the_lag_is_measured_and_said_where_the_lines_are_parsed(tmp_path: Path, capfd: Any) -> None:
    """Lines 20 s older than when they were read: the child says meshtail is behind (stderr and an event) and
    the summary's peak comes back; the same lines read as history say nothing (old by design)."""
    now = time.time()
    source = Source(kind="loki", namespace="shop", pod="reviews-1", container="istio-proxy")

    async def run(history: bool) -> tuple[str, Totals | None]:
        path = tmp_path / f"out-{history}"
        with open(path, "w") as out:
            process = WriterProcess()
            await process.start(WriterJob("jsonl", True, "", []), out)
            process.history(history)
            for i in range(40):
                process.line(RawLine(f"GET /{i} 200", source, now_rfc3339(), stamp(int((now - 20) * 1e9) + i)))
                await asyncio.sleep(0.05)  # ~2 s: the child checks the lag once a second
            totals = await process.close()
        return path.read_text(), totals

    live, totals = await run(False)
    assert totals is not None and totals.lines == 40, "premise: the child parsed the lines"
    assert '"meshtail.ingest.behind"' in live and totals.lag_peak >= 19
    assert "falling behind the logs" in capfd.readouterr().err
    old, totals = await run(True)
    assert totals is not None and totals.lines == 40 and '"meshtail.ingest.behind"' not in old
    assert "falling behind" not in capfd.readouterr().err


async def test_a_closed_output_ends_the_child_as_a_closed_pipe_ends_a_run(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # (``meshtail tail | head`` once head has gone)
    with os.fdopen(write_end, "w") as out:
        process = WriterProcess()
        await process.start(WriterJob("jsonl", True, "", []), out)
        source = Source(kind="loki", pod="p")
        for i in range(500):
            process.line(RawLine(f"GET /{i} 200", source, RECEIVED, None))
        assert process.ended is not None
        code = await asyncio.wait_for(asyncio.shield(process.ended), 30)
        assert code == EXIT_BROKEN, "premise: the child met the closed output"
        for i in range(5000):  # the source goes on until it is stopped: sending to a gone child must not fail
            process.line(RawLine(f"GET /{i} 200", source, RECEIVED, None))
        process.flush()
        process.judge()
        totals = await process.close()
    assert process.broken and process.failure is None
    assert totals is not None and totals.lines >= 1


# ---- the whole command, against the Loki stand-in --------------------------------------------------------
def _writer_children(parent: int) -> list[int]:
    return children_running(parent, "meshtail.writer_process")


def _push(stand_in: LokiStandIn, count: int, base: int) -> None:
    for i in range(count):
        pod = f"reviews-v{i % 3}"
        line = (
            f'[2026-11-30T10:00:00.000Z] "GET /api/v1/products/{i} HTTP/1.1" {403 if i % 7 == 0 else 200} - '
            f'{"rbac_access_denied_matched_policy[none]" if i % 7 == 0 else "via_upstream"} - "-" 0 19 0 - "-" '
            f'"curl/8.0" "id-{i}" "productpage:9080" "-" inbound|9080|| - 10.0.0.1:9080 10.0.0.2:51234 - -'
        )
        stand_in.push({**PROMTAIL, "pod": pod}, base + i * 1_000, line)


async def _tail(stand_in: LokiStandIn, path: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    out = open(path, "wb")  # (the child holds its own copy: closed here once it is started)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meshtail", "tail", "--loki", stand_in.url, "--since", "1h", "-o", "jsonl", *extra,
        stdout=out, stderr=asyncio.subprocess.PIPE, start_new_session=True, env={**os.environ, **(env or {})},
    )  # fmt: skip
    out.close()
    return process


def _log_events(path: Path) -> list[dict[str, Any]]:
    found = []
    for line in path.read_text().splitlines():
        event = json.loads(line)
        if event["format"] != "meshtail":
            event.pop("received")
            found.append(event)
    return found


async def test_tail_loki_writes_the_same_events_with_and_without_the_writer_process(
    loki: LokiStandIn, tmp_path: Path
) -> None:
    _push(loki, 3000, time.time_ns() - 60 * 10**9)
    two = await _tail(loki, tmp_path / "two", "--duration", "4")
    await eventually(lambda: bool(_writer_children(two.pid)) or two.returncode is not None, timeout=30)
    assert _writer_children(two.pid), "premise: the tail parses in a writer process"
    _out, err_two = await asyncio.wait_for(two.communicate(), 60)
    one = await _tail(loki, tmp_path / "one", "--duration", "4", env={"MESHTAIL_WRITER_PROCESS": "0"})
    await asyncio.sleep(1)
    assert not _writer_children(one.pid), "premise: the switch keeps it in one process"
    _out, err_one = await asyncio.wait_for(one.communicate(), 60)
    assert two.returncode == one.returncode == 0, (err_one, err_two)
    events = _log_events(tmp_path / "two")
    assert len(events) == 3000 and sum(e["outcome"] == "deny" for e in events) == 429
    assert events == _log_events(tmp_path / "one")
    summary = re.search(rb"(\d+) lines, (\d+) events written", err_two)
    assert summary and int(summary.group(1)) == 3000, err_two  # the child's counts reached the summary


async def _writing(stand_in: LokiStandIn, tmp_path: Path) -> tuple[Any, list[int]]:
    """A tail of 2,000 pushed lines, once its writer process is writing them: the tail and the writer's pid."""
    _push(stand_in, 2000, time.time_ns() - 60 * 10**9)
    tail = await _tail(stand_in, tmp_path / "out")
    await eventually(lambda: (tmp_path / "out").stat().st_size > 0 or tail.returncode is not None, timeout=30)
    children = _writer_children(tail.pid)
    assert children, "premise: a writer process was writing"
    await asyncio.sleep(0.5)
    return tail, children


async def test_ctrl_c_writes_everything_read_and_says_so(loki: LokiStandIn, tmp_path: Path) -> None:
    tail, children = await _writing(loki, tmp_path)
    os.killpg(tail.pid, signal.SIGINT)  # the terminal's Ctrl-C: the writer, in its own session, is not sent it
    _out, err = await asyncio.wait_for(tail.communicate(), 60)
    assert tail.returncode == 0, err
    written = (tmp_path / "out").read_text().splitlines()
    said = re.search(rb"(\d+) events written", err)
    assert said and int(said.group(1)) == len(written) and len(_log_events(tmp_path / "out")) == 2000, err
    await eventually(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in children), timeout=10)


async def test_a_writer_process_that_dies_is_an_error_not_a_quiet_stop(loki: LokiStandIn, tmp_path: Path) -> None:
    _push(loki, 500, time.time_ns() - 60 * 10**9)
    tail = await _tail(loki, tmp_path / "out")
    await eventually(lambda: bool(_writer_children(tail.pid)) or tail.returncode is not None, timeout=30)
    children = _writer_children(tail.pid)
    assert children, "premise: a writer process ran"
    await eventually(lambda: (tmp_path / "out").stat().st_size > 0, timeout=30)  # (it was handed lines)
    os.kill(children[0], signal.SIGKILL)
    _out, err = await asyncio.wait_for(tail.communicate(), 30)  # (it ends by itself: no Ctrl-C needed)
    assert tail.returncode == 1, err
    assert b"the writer process ended" in err and b"Traceback" not in err
    # (found in review) its counts died with it: the summary says so rather than "0 events written"
    assert b"events written not known" in err and re.search(rb"[1-9]\d* lines", err), err


async def test_a_killed_meshtail_leaves_no_writer_process(loki: LokiStandIn, tmp_path: Path) -> None:
    """meshtail killed outright (SIGKILL, an OOM kill): its end of the pipe closes, so the writer process writes
    what it holds and ends -- no process left behind."""
    _push(loki, 500, time.time_ns() - 60 * 10**9)
    tail = await _tail(loki, tmp_path / "out")
    await eventually(lambda: bool(_writer_children(tail.pid)) or tail.returncode is not None, timeout=30)
    children = _writer_children(tail.pid)
    assert children, "premise: a writer process ran"
    tail.kill()
    await tail.communicate()
    await eventually(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in children), timeout=15)


async def test_the_lag_is_said_when_the_history_ends_before_the_first_look(loki: LokiStandIn, tmp_path: Path) -> None:
    """(Found in review.)  A short history is read before the flusher's first look: the writer process must still
    be told the tail follows, or lines 20 s late (beyond Loki's hold) go unsaid for the whole run."""

    async def push_late() -> None:
        for i in range(60):
            loki.push({**PROMTAIL, "pod": "reviews-v1"}, time.time_ns() - 20 * 10**9, f"GET /late/{i} 200")
            await asyncio.sleep(0.1)

    pushing = asyncio.create_task(push_late())
    tail = await _tail(loki, tmp_path / "out", "--since", "10s", "--duration", "5")
    _out, err = await asyncio.wait_for(tail.communicate(), 60)
    await pushing
    written = (tmp_path / "out").read_text()
    assert "/late/" in written, "premise: late lines were read by the tail"
    assert b"falling behind the logs" in err and '"meshtail.ingest.behind"' in written, err


async def test_a_stop_signal_to_every_process_of_the_service_is_a_clean_stop(loki: LokiStandIn, tmp_path: Path) -> None:
    """(Found in review.)  ``systemctl stop`` (KillMode=control-group) or ``pkill -f meshtail`` sends SIGTERM to
    meshtail and its writer process at once: the run stops as it does alone, everything read written."""
    tail, children = await _writing(loki, tmp_path)
    for pid in (tail.pid, *children):
        os.kill(pid, signal.SIGTERM)
    _out, err = await asyncio.wait_for(tail.communicate(), 60)
    assert tail.returncode == 0, err
    said = re.search(rb"(\d+) events written", err)
    assert said and int(said.group(1)) == len((tmp_path / "out").read_text().splitlines()), err
    assert len(_log_events(tmp_path / "out")) == 2000


async def test_an_output_that_cannot_be_written_is_one_line_not_a_traceback(loki: LokiStandIn) -> None:
    """(Found in review.)  A full disk under the output: one line naming it, exit 1, no traceback."""
    _push(loki, 200, time.time_ns() - 60 * 10**9)
    with open("/dev/full", "wb") as full:
        tail = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "meshtail", "tail", "--loki", loki.url, "--since", "1h", "--duration", "3",
            "-o", "jsonl", stdout=full, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    _out, err = await asyncio.wait_for(tail.communicate(), 60)
    assert tail.returncode == 1, err
    assert b"cannot write the output: No space left on device" in err and b"Traceback" not in err, err


def test_equal_sources_are_one_stream_to_the_writer_process() -> None:
    """(Found in review.)  Loki entries with structured metadata (an OTLP trace id per line) each come with a new
    Source object saying the same thing: the table sent to the child must grow with the streams, not the lines."""
    process = WriterProcess()  # (not started: what it would send is all this looks at)
    process._pipe = 0  # (as if started; nothing is sent, no loop runs)
    made = [Source(kind="loki", namespace="shop", pod="reviews-1", container="istio-proxy") for _ in range(1500)]
    for source in made:
        process.line(RawLine("GET / 200", source, RECEIVED, None))
    assert len({id(source) for source in made}) == 1500, "premise: distinct Source objects"
    assert len(process._new) == 1 and {item[0] for item in process._items} == {0}
