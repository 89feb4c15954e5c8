"""A long Loki history read handed to a worker process (meshtail/sources/loki/worker.py), against the stand-in.

The worker must change nothing a user sees: every entry once, oldest first, from the same split point on
(the split is exact: query_range ranges are half-open); the live side's dedupe memory still learns the
last seconds; a worker that dies is a visible error, never lines missing quietly.  Each test checks its
premise: the worker really read part of the window.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sys
import threading
import time
from asyncio.subprocess import Process
from pathlib import Path
from typing import Any

from meshtail.demo.loki import LokiStandIn
from meshtail.sources.loki import LokiClient, LokiConfig, LokiOptions, LokiSelection, LokiSource
from meshtail.sources.loki import worker as worker_module
from meshtail.sources.loki.parsed import remove_spool

from .conftest import Collector, children_running, eventually
from .test_loki_source import PROMTAIL, T0, _push_now, assert_exactly, events, following, key, loki, query_ranges

__all__ = ["loki"]  # the stand-in fixture

PODS = ("reviews-v1-a", "reviews-v2-b", "ratings-v1-c")


def _push_window(stand_in: LokiStandIn, base: int, count: int, step: int) -> list[tuple[Any, ...]]:
    """``count`` entries in runs of five sharing a timestamp across the pods, and after two thirds a run of
    2,500 at one nanosecond (more than a page: read on its own, in the worker)."""
    pushed = []
    for i in range(count):
        ts = base + (i // 5) * step
        labels = {**PROMTAIL, "pod": PODS[i % 3]}
        stand_in.push(labels, ts, f"GET /api/v1/products/{i} 200")
        pushed.append(key(ts, labels, f"GET /api/v1/products/{i} 200"))
        if i == count * 2 // 3:
            for j in range(2500):
                line = f"burst {j}"
                stand_in.push({**PROMTAIL, "pod": PODS[j % 3]}, ts, line)
                pushed.append(key(ts, {**PROMTAIL, "pod": PODS[j % 3]}, line))
    return pushed


async def _bounded(stand_in: LokiStandIn, handoff: int | None = 2000) -> tuple[Collector, LokiSource, int]:
    """A bounded read of the window (``scan --from --to``): what was delivered, the source, and how many requests
    this process sent (the worker's go unseen by its client)."""
    options = LokiOptions(start_ns=T0, end_ns=T0 + 3_000_000, follow=False, limit=1000)
    seen = Collector()
    async with LokiClient(LokiConfig.from_args(stand_in.url, env={})) as client:
        source = LokiSource(client, LokiSelection(), seen.line, seen.event, options)
        if handoff is not None:
            source.handoff_lines = handoff
        await source.run()
        return seen, source, client.requests


async def test_a_long_read_goes_on_in_a_worker_and_every_entry_arrives_once(loki: LokiStandIn) -> None:
    pushed = _push_window(loki, T0, 12_000, 1_000)
    seen, source, asked_here = await _bounded(loki)
    assert_exactly(seen.lines, pushed)
    stamps = [r.timestamp or "" for r in seen.lines]
    assert stamps == sorted(stamps)  # oldest first across the split
    pages = query_ranges(loki)
    # the premise: most pages were asked for by the worker, not by this process
    assert len(pages) > asked_here + 5, (len(pages), asked_here)
    pager = source._states[None].pager
    assert pager.split_timestamps >= 1  # the 2,500-entry nanosecond was read on its own, in the worker
    assert pager.pages >= len(pages) - 1  # the worker's pages are counted (one read ahead may be cancelled)
    assert events(seen, "meshtail.stream.end") and not events(seen, "meshtail.stream.gap")


async def test_a_short_read_stays_in_process(loki: LokiStandIn) -> None:
    pushed = _push_window(loki, T0, 1_500, 1_000)
    seen, _source, asked_here = await _bounded(loki, handoff=None)
    assert_exactly(seen.lines, pushed)
    assert len(query_ranges(loki)) == asked_here - 1  # every page asked for here (the one other call: labels)


async def _history_then_tail(stand_in: LokiStandIn, handoff: int | None) -> LokiSource:
    """History whose newest entries are within the dedupe lookback of now, then the tail: the tail's first
    backfill reads the last seconds again, and the memory must drop every entry history delivered."""
    now = time.time_ns()
    pushed = _push_window(stand_in, now - 20 * 10**9, 9_000, 10**7)  # up to about 2 s before now
    # (since reaches two seconds before the oldest entry, counted after the push: pushing 9,000 entries on a loaded
    # runner took more than the one second of slack a fixed 21 s left, and the oldest were never asked for)
    since = (time.time_ns() - (now - 20 * 10**9)) // 10**9 + 2
    options = LokiOptions(since_seconds=since, delay_for=0, reconnect_cap=0.5, limit=1000)
    async with following(stand_in.url, options=options, handoff=handoff) as (seen, source):
        _push_now(stand_in, pushed, 20, "live")
        await eventually(lambda: len(seen.lines) >= len(pushed), timeout=30)
        await asyncio.sleep(0.5)  # anything delivered twice would arrive by now
    assert_exactly(seen.lines, pushed)
    state = source._states[None]
    assert state.pager.pages > 3 and state.seen.repeats > 0  # premise: paged history, re-read at the seam
    return source


async def test_history_ending_inside_the_lookback_meets_the_tail_without_repeats(loki: LokiStandIn) -> None:
    """(Before the fix, the seconds between history's newest entry less the lookback and the recording start
    were delivered twice at the seam.)"""
    source = await _history_then_tail(loki, None)
    assert source.handoff_lines == worker_module.HANDOFF_LINES  # premise: read in-process (< 15,000 after page 1)


async def test_history_read_by_the_worker_meets_the_tail_without_repeats(loki: LokiStandIn) -> None:
    """The worker sends the timestamps of the last seconds, so the dedupe memory learns them as in-process."""
    source = await _history_then_tail(loki, 2000)
    # premise: the worker read part of the history (this process asked for fewer pages than were served)
    assert source.client.requests < len(query_ranges(loki))


async def test_a_worker_that_cannot_start_leaves_the_read_to_this_process(loki: LokiStandIn, monkeypatch: Any) -> None:
    monkeypatch.setattr(worker_module, "PYTHON", "/nonexistent/python3")
    pushed = _push_window(loki, T0, 12_000, 1_000)
    seen, _source, _asked = await _bounded(loki)
    assert_exactly(seen.lines, pushed)
    warnings = events(seen, "meshtail.source.warning")
    assert warnings and "cannot start the Loki history reader process" in warnings[0].summary


async def test_a_worker_that_dies_is_an_error_not_a_silent_end(
    loki: LokiStandIn, monkeypatch: Any, tmp_path: Any
) -> None:
    dying = tmp_path / "dying-python"
    dying.write_text("#!/bin/sh\ncat >/dev/null\necho 'MemoryError: out of memory' >&2\nexit 3\n")
    dying.chmod(0o755)
    monkeypatch.setattr(worker_module, "PYTHON", str(dying))
    _push_window(loki, T0, 12_000, 1_000)
    seen, source, _asked = await _bounded(loki)
    assert 0 < len(seen.lines) < 14_500  # premise: the read stopped part way, at the split
    errors = events(seen, "meshtail.stream.error")
    assert errors, [e.summary for e in seen.events]
    assert "history reader process ended while reading (exit 3): MemoryError: out of memory" in errors[0].summary
    assert source.errors and not events(seen, "meshtail.stream.end")


def _workers(parent: int) -> list[int]:
    """Running history workers of ``parent``."""
    return children_running(parent, "meshtail.sources.loki.worker")


async def _scan_with_a_worker(stand_in: LokiStandIn, tmp_path: Path, lines: int) -> tuple[Process, list[int]]:
    """``meshtail scan --loki`` of ``lines`` pushed entries in a process of its own (spool under ``tmp_path``), once
    its history worker runs: the scan and its workers' pids."""
    for i in range(lines):
        stand_in.push({**PROMTAIL, "pod": PODS[i % 3]}, T0 + i * 1_000, f"GET /api/v1/products/{i} 200")
    scan = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meshtail", "scan", "--loki", stand_in.url, "--from", str(T0), "--to", str(T0 + 10**9),
        "-o", "jsonl", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    await eventually(lambda: bool(_workers(scan.pid)) or scan.returncode is not None, timeout=60)
    return scan, _workers(scan.pid)


async def _ended(workers: list[int], tmp_path: Path, timeout: float) -> None:
    await eventually(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in workers), timeout=timeout)
    assert not list(tmp_path.glob("meshtail-loki-*"))  # no spool of parsed output left behind


async def test_ctrl_c_at_the_terminal_stops_the_scan_not_the_worker_first(loki: LokiStandIn, tmp_path: Path) -> None:
    """A terminal's Ctrl-C goes to its whole foreground process group: the scan stops as a scan does (its summary,
    exit 0, no "reader process ended" error) and leaves no worker and no spool of the worker's output behind."""
    scan, workers = await _scan_with_a_worker(loki, tmp_path, 100_000)
    assert workers, "the premise: a worker was reading when Ctrl-C came"
    os.killpg(scan.pid, signal.SIGINT)
    _out, err = await asyncio.wait_for(scan.communicate(), 60)
    assert scan.returncode == 0, err
    assert b"reader process ended" not in err and b"lines" in err
    await _ended(workers, tmp_path, 15)


async def test_a_worker_whose_meshtail_is_killed_removes_its_spool_and_ends(loki: LokiStandIn, tmp_path: Path) -> None:
    """(Found in review.)  A meshtail killed outright (SIGKILL, an OOM kill) cannot end its worker, which runs in a
    session of its own: the worker sees its parent gone, removes the spool of parsed output nobody will copy, and
    ends -- no process polling forever, no disk held."""
    scan, workers = await _scan_with_a_worker(loki, tmp_path, 120_000)
    spools = list(tmp_path.glob("meshtail-loki-*"))
    assert workers and spools, "the premise: a worker parsing into its spool"
    # the worker meshtail started names its spool and meshtail's pid (what it needs if no job reaches it)
    argv = Path(f"/proc/{workers[0]}/cmdline").read_bytes().split(b"\0")
    assert str(spools[0]).encode() in argv and str(scan.pid).encode() in argv
    scan.kill()
    await scan.communicate()
    await _ended(workers, tmp_path, 30)


_STARTS_AND_HANGS = """
import os, subprocess, sys, tempfile, time
from types import SimpleNamespace
from meshtail.sources.loki.worker import command
spool = tempfile.mkdtemp(prefix="meshtail-loki-")
open(os.path.join(spool, "00000001.out"), "w").close()
argv = command(SimpleNamespace(output=SimpleNamespace(spool=spool, parent=os.getpid())))
worker = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
print(worker.pid, flush=True)
time.sleep(600)  # killed here: the spool made, the worker started, its job never written
"""


async def test_a_meshtail_killed_before_its_worker_took_the_job_leaves_no_spool(tmp_path: Path) -> None:
    """(CI found it.)  meshtail makes the spool, then starts the worker, then writes it its job: killed between
    the last two, the worker read no job and ended, and nobody removed the spool.  The worker's command line
    names the spool, and a worker left without a job by a parent gone removes it."""
    starter = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _STARTS_AND_HANGS, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(tmp_path)}, start_new_session=True,
    )  # fmt: skip
    assert starter.stdout is not None
    worker = int(await asyncio.wait_for(starter.stdout.readline(), 60))
    spools = list(tmp_path.glob("meshtail-loki-*"))
    assert spools and os.path.exists(f"/proc/{worker}"), "the premise: a spool made and a worker started"
    starter.kill()
    await starter.wait()
    await _ended([worker], tmp_path, 30)


async def test_spools_whose_meshtail_is_gone_are_removed_by_the_next_read(loki: LokiStandIn, tmp_path: Path) -> None:
    """A meshtail killed between making its spool and starting its worker leaves a spool nobody knows of: the
    next meshtail that makes one removes those whose process is gone (this user's only, never a running one's)."""
    ended = await asyncio.create_subprocess_exec("true")
    await ended.wait()  # a pid that no process has now
    stale = [tmp_path / f"meshtail-loki-{ended.pid}-a1b2c3", tmp_path / f"meshtail-loki-{ended.pid}-d4e5f6.removed"]
    running = tmp_path / f"meshtail-loki-{os.getpid()}-g7h8i9"  # this test's own process runs
    for directory in (*stale, running):
        directory.mkdir()
        (directory / "00000001.out").write_text("parsed output nobody will copy\n")
    unrelated = tmp_path / "meshtail-loki-notes"  # not a spool's name
    unrelated.mkdir()
    scan, workers = await _scan_with_a_worker(loki, tmp_path, 100_000)
    assert workers, "the premise: this read made a spool of its own"
    await asyncio.wait_for(scan.communicate(), 120)
    assert scan.returncode == 0
    assert not any(path.exists() for path in stale)
    assert running.exists() and unrelated.exists()
    assert {path.name for path in tmp_path.iterdir()} == {running.name, unrelated.name}  # its own spool gone too


async def test_a_spool_that_cannot_be_written_is_one_clear_error_after_what_was_written(
    loki: LokiStandIn, tmp_path: Path
) -> None:
    """(Found in review.)  The disk under the spool full (here: a 2 MB file-size limit, so the worker's first
    segment cannot be written): the scan writes its own half, then says what stopped it, and fails."""
    for i in range(100_000):
        loki.push({**PROMTAIL, "pod": PODS[i % 3]}, T0 + i * 1_000, f"GET /api/v1/products/{i} 200")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    scan = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meshtail", "scan", "--loki", loki.url, "--from", str(T0), "--to", str(T0 + 10**9),
        "-o", "jsonl", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(tmp_path)}, preexec_fn=small_files,
    )  # fmt: skip
    out, err = await asyncio.wait_for(scan.communicate(), 120)
    events = [json.loads(line) for line in out.splitlines()]
    lines = [e for e in events if e["format"] != "meshtail"]
    errors = [e["summary"] for e in events if e["action"] == "meshtail.stream.error"]
    assert scan.returncode == 1, err
    assert errors and "cannot write the Loki history spool" in errors[0] and "File too large" in errors[0]
    assert 20_000 < len(lines) < 100_000  # the premise: this process's half was written, the worker's was not
    products = [int(e["raw"].split("/")[-1].split()[0]) for e in lines]
    assert products == list(range(len(products)))  # in order, nothing repeated, nothing skipped before the stop
    assert not list(tmp_path.glob("meshtail-loki-*"))


def test_a_spool_removed_while_segments_are_still_being_made_is_gone(tmp_path: Path) -> None:
    """(Found by CI under load.)  The worker's writer thread removes the spool when meshtail is gone while its
    reading thread may be opening the next segment: a plain rmtree that listed the directory before that segment
    was made left the directory, and its parsed output, behind."""
    left = 0
    for round_ in range(40):
        spool = tmp_path / f"meshtail-loki-{round_}"
        spool.mkdir()
        for number in range(50):
            (spool / f"{number:08d}.out").write_text("x")
        made, stop = [0], threading.Event()

        def keep_making(spool: Path = spool, made: list[int] = made, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                try:
                    (spool / f"{50 + made[0]:08d}.out").write_text("x")
                except OSError:
                    return  # the directory is gone (or renamed): no segment can be made under its name
                made[0] += 1

        maker = threading.Thread(target=keep_making)
        maker.start()
        while made[0] < 5:
            time.sleep(0.0005)
        remove_spool(str(spool))
        stop.set()
        maker.join()
        assert made[0] >= 5  # the premise: segments were being made while the spool was removed
        left += spool.exists() or Path(f"{spool}.removed").exists()
    assert left == 0
    assert not list(tmp_path.iterdir())


def test_both_threads_removing_the_spool_at_once_leave_nothing(tmp_path: Path) -> None:
    """(Found in review.)  Both of the worker's threads may remove the spool at once -- the frames thread on a
    closed pipe, the reading thread on its parent gone -- and each ends the process as soon as it returns.  The
    second one, finding the spool already renamed, returned at once and the process ended while the first was
    still removing the renamed directory: the segments, unredacted if --no-redact, stayed on disk."""
    spool = tmp_path / "meshtail-loki-x"
    spool.mkdir()
    for number in range(5_000):
        (spool / f"{number:08d}.out").write_text("x")
    first = threading.Thread(target=remove_spool, args=(str(spool),))
    first.start()
    while spool.exists():  # the first remover has renamed it and is removing the renamed directory
        time.sleep(0.0001)
    remove_spool(str(spool))  # the second; the process would end the moment this returns
    left = sorted(path.name for path in tmp_path.iterdir())
    first.join()
    assert left == []
