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


async def test_a_hundred_pods_come_and_go(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await run_with_faults(tmp_path, "churn=0.04s", seconds=5.0)
    check(run)
    assert run.injected.counts["churn"] >= 100
    churned = {f.target.pod for f in [*run.source.followers.values(), *run.source.ended] if "churn" in f.target.pod}
    assert len(churned) >= 90, "nearly every short-lived pod was followed"


def test_a_slow_consumer_makes_the_server_wait_and_loses_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """meshtail's output is read slowly: its stdout blocks, its sockets fill, the server's writes block."""
    import os
    import subprocess
    import sys
    import time

    from meshtail.demo.sentlog import compare

    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    sent, kubeconfig, out = tmp_path / "sent.log", tmp_path / "kc", tmp_path / "out.jsonl"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "meshtail.cli",
            "demo",
            "--serve",
            "--kubeconfig-out",
            str(kubeconfig),
            "--rate",
            "800",
            "--traffic-for",
            "5",
            "--sent-log",
            str(sent),
            "--duration",
            "30",
            "--seed",
            "9",
        ],
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        for _ in range(100):
            if kubeconfig.exists():
                break
            time.sleep(0.1)
        tail = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "meshtail.cli",
                "tail",
                "--kubeconfig",
                str(kubeconfig),
                "-A",
                "-o",
                "jsonl",
                "--duration",
                "14",
                "-q",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert tail.stdout is not None
        with open(out, "wb") as sink:
            for _ in range(40):  # a trickle for 8 s: far slower than the 800 lines/s produced
                sink.write(tail.stdout.read(2048))
                time.sleep(0.2)
            sink.write(tail.stdout.read())  # then everything, until tail's --duration ends
        tail.wait(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = compare(sent, out)
    served, duplicated, missing = len(result.served), result.duplicated, result.unexplained
    assert served > 2000 and not duplicated and not missing, (served, duplicated, missing[:3])
