"""Faults injected by the stand-in while the real live source follows it: nothing lost, nothing twice.

For each fault, every line the server served (and every line written by a container that
was followed) must arrive exactly once, unless meshtail reported a gap for that stream;
and the breaks must show up as health events.
"""

from __future__ import annotations

import pytest

from meshtail.demo.faults import parse_faults

from .fault_harness import FaultRun, run_with_faults


def check(run: FaultRun) -> None:
    assert not run.duplicated, f"delivered twice: {run.duplicated[:3]}"
    assert not run.missing_unreported, f"lost without a gap event: {run.missing_unreported[:3]}"
    assert run.delivered, "something was delivered"
    assert set(run.delivered) <= run.served, "only lines the server sent"


@pytest.mark.parametrize(
    ("faults", "health"),
    [
        ("cut=0.5s", "meshtail.stream.reconnect"),
        ("reset=0.7s", "meshtail.stream.reconnect"),
        ("restart-api=1.5s", "meshtail.stream.reconnect"),
        ("stall=2s", "meshtail.stream.stall"),
        ("429=0.2", None),
        ("503=0.1", None),
        ("expire=1s", "meshtail.watch.problem"),
        ("churn=0.3s", "meshtail.stream.end"),
        ("restart-container=0.5s", "meshtail.stream.end"),
        ("token=1s", None),
    ],
)
async def test_each_fault_loses_and_repeats_nothing(tmp_path, faults: str, health: str | None) -> None:  # type: ignore[no-untyped-def]
    run = await run_with_faults(tmp_path, faults, seconds=4.0, stall_timeout=1.0)
    assert sum(run.injected.counts.values()) >= 1 or faults.startswith(("429", "503")), run.injected.counts
    check(run)
    if health:
        assert run.health(health) >= 1, f"{faults}: no {health} event"
    if faults.startswith("token"):
        assert run.demo.state.methods["GET"] > 0 and run.injected.counts["token"] >= 2
        assert len(run.delivered) > 200, "streams kept working across token rotations"


async def test_everything_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    faults = (
        "cut=1s,reset=1.5s,stall=4s,restart-api=3s,expire=2.5s,churn=0.5s,restart-container=1s,429=0.03,503=0.02,"
        "token=2s"
    )
    run = await run_with_faults(tmp_path, faults, seconds=10.0, stall_timeout=1.0)
    check(run)
    assert len(run.injected.counts) == 8
    assert run.health("meshtail.stream.reconnect") >= 10 and run.health("meshtail.stream.resume") >= 5


async def test_a_deleted_pod_during_an_outage_is_reported_as_a_gap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await run_with_faults(tmp_path, "restart-api=0.6s,churn=0.2s", seconds=4.0)
    check(run)  # whatever could not be fetched again is covered by a gap event


def test_fault_spec_errors_name_the_problem() -> None:
    spec = parse_faults("cut=2s,reset=500ms,429=0.05,deny=a+b,token=1m")
    assert spec.every == {"cut": 2.0, "reset": 0.5, "token": 60.0} and spec.throttle == 0.05 and spec.deny == ["a", "b"]
    for bad, message in [
        ("cut", "expected NAME=VALUE"),
        ("cut=soon", "not a duration"),
        ("429=2", "not a probability"),
        ("explode=1s", "unknown fault 'explode'"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_faults(bad)
