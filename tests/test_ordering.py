"""``meshtail tail --order DUR``: events from concurrently read streams come out in time order.

Without it streams interleave as they arrive (stern's behaviour, documented in ``--help``).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

from meshtail.events import AuditEvent, Source
from meshtail.sinks.ordering import Orderer, time_key


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def event(stamp: str, pod: str) -> AuditEvent:
    return AuditEvent(
        stamp, stamp, "routing", "success", False, "info", "http.request", pod, "envoy", Source("kube", pod=pod)
    )


def test_time_key_orders_any_fraction_width() -> None:
    stamps = ["2026-01-01T00:00:13Z", "2026-01-01T00:00:13.5Z", "2026-01-01T00:00:13.329Z", "2026-01-01T00:00:12.9Z"]
    assert sorted(stamps) != sorted(stamps, key=time_key)  # premise: plain string order is wrong here
    assert sorted(stamps, key=time_key) == [stamps[3], stamps[0], stamps[2], stamps[1]]


def test_events_of_two_streams_come_out_in_time_order_after_the_window() -> None:
    out: list[AuditEvent] = []
    clock = Clock()
    orderer = Orderer(out.append, 2.0, clock)
    # pod b's stream is read a little behind pod a's: its older lines arrive after a's newer ones
    arrivals = [("00.100", "a"), ("00.300", "a"), ("00.050", "b"), ("00.200", "b"), ("00.400", "a"), ("00.250", "b")]
    for stamp, pod in arrivals:
        orderer.push(event(f"2026-01-01T00:00:{stamp}Z", pod))
        clock.now += 0.1
    orderer.release()
    assert out == []  # nothing has waited the window yet
    clock.now += 2.0
    orderer.release()
    times = [e.time for e in out]
    assert len(out) == len(arrivals) and times == sorted(times), times
    assert orderer.late == 0


def test_an_event_later_than_the_window_is_written_at_once_and_counted() -> None:
    out: list[AuditEvent] = []
    clock = Clock()
    orderer = Orderer(out.append, 1.0, clock)
    orderer.push(event("2026-01-01T00:00:05Z", "a"))
    clock.now += 1.5
    orderer.release()
    orderer.push(event("2026-01-01T00:00:01Z", "b"))  # a stream that fell behind by four seconds
    assert [e.source.pod for e in out] == ["a", "b"] and orderer.late == 1


def test_a_steady_trickle_of_older_stamps_does_not_hold_newer_events_forever() -> None:
    out: list[AuditEvent] = []
    clock = Clock()
    orderer = Orderer(out.append, 1.0, clock)
    orderer.push(event("2026-01-01T00:01:00Z", "new"))
    for tick in range(50):  # every 0.1 s an older-stamped line arrives, each one the new earliest
        clock.now += 0.1
        orderer.push(event(f"2026-01-01T00:00:{10 + tick // 10}.{tick % 10}Z", "old"))
        orderer.release()
    assert any(e.source.pod == "new" for e in out), "the newer event waited about the window, not for ever"
    orderer.flush()
    assert len(out) == 51


def test_tail_order_flag_writes_the_demo_mesh_in_time_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}

    def run(*extra: str) -> list[str]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "meshtail.commands.cli",
                "demo",
                "-o",
                "jsonl",
                "--duration",
                "6",
                "--rate",
                "300",
                "-q",
                *extra,
            ],
            capture_output=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()
        events = [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]
        return [time_key(e.get("time") or e["received"]) for e in events if e["format"] != "meshtail"]

    plain = run()
    assert len(plain) > 200 and plain != sorted(plain), "premise: without --order the streams interleave"
    ordered = run("--order", "3s")
    assert len(ordered) > 200
    inversions = sum(1 for a, b in itertools.pairwise(ordered) if b < a)
    assert inversions <= len(ordered) // 100, f"{inversions} out-of-order pairs in {len(ordered)}"
