"""Faults injected by the stand-in while the real live source follows it: nothing lost, nothing twice.

For each fault, every line the server served (and every line written by a container that
was followed) must arrive exactly once, unless meshtail reported a gap for that stream;
and the breaks must show up as health events.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshtail.demo.faults import parse_faults
from meshtail.demo.run import Demo
from meshtail.demo.sentlog import excuse_for
from meshtail.demo.topology import SimPod, Workload
from meshtail.sources.kube.resume import instant_before, timestamp_key

from .fault_harness import FaultRun, run_with_faults


def check(run: FaultRun) -> None:
    assert run.delivered, "something was delivered"
    assert not run.duplicated, f"delivered twice: {run.duplicated[:3]}"
    assert not run.missing_unreported, f"lost without a gap event covering it: {run.missing_unreported[:3]}"
    assert not run.false_gaps, f"gaps claimed where the stand-in still held the lines: {run.false_gaps[:3]}"
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
    if faults.startswith(("429", "503")):
        assert run.demo.state.faulted[faults[:3]] >= 3, f"the server answered {faults[:3]}: {run.demo.state.faulted}"
    else:
        assert sum(run.injected.counts.values()) >= 1, run.injected.counts
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
    run = await run_with_faults(tmp_path, "restart-api=0.6s,churn=0.2s", seconds=4.0, seed=3)
    check(run)  # whatever could not be fetched again is covered by a true gap event
    deleted = [g for g in run.gaps if "pod was deleted while its stream was down" in g]
    assert deleted, f"a churned pod was deleted during an outage at least once: {run.gaps or 'no gaps'}"


async def test_cuts_resets_and_stalls_together_lose_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The combined schedule that lost lines silently (each fault alone passed): cut, reset and stall at once."""
    run = await run_with_faults(tmp_path, "cut=0.5s,reset=1.25s,stall=1.75s", seconds=8.0, stall_timeout=1.0)
    check(run)
    assert run.injected.counts["cut"] >= 10 and run.injected.counts["stall"] >= 3, run.injected.counts
    assert run.health("meshtail.stream.resume") >= 20


async def test_a_resume_that_gets_no_bytes_is_noticed_in_seconds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each resumed request is answered and then sends nothing (a half-dead connection).

    The stall timeout is two minutes, as for ``tail``: a resume is expected to re-send the
    second it resumes from at once, so silence gives it away within ``resume_timeout``.
    """
    run = await run_with_faults(tmp_path, "hang=1.5s", seconds=6.0, stall_timeout=120.0, settle=20.0)
    assert run.demo.state.faulted["hang"] >= 12, f"requests were held silent: {run.demo.state.faulted}"
    check(run)
    stuck = [e for e in run.seen.events if e.action == "meshtail.stream.stall" and "sent nothing" in e.summary]
    assert len(stuck) >= 12, "each silent resume was given up on and reported"


async def test_a_resume_inside_a_run_of_equal_timestamps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Runtimes stamp lines alike; a stream broken between two of them resumes without loss or repeat."""
    run = await run_with_faults(tmp_path, "split=0.4s", seconds=6.0, stall_timeout=1.0)
    assert run.demo.state.faulted["split"] >= 10, f"streams broke inside equal-timestamp runs: {run.demo.state.faulted}"
    stamps = Counter((stamp, origin) for stamp, origin, _ in run.served)
    assert any(n > 1 for n in stamps.values()), "the stand-in wrote lines sharing a timestamp"
    check(run)
    repeats = sum(e.attributes.get("meshtail.resume.repeats_dropped", 0) for e in run.seen.events)
    assert repeats > 0, "resumes re-read lines already delivered at the same timestamp and dropped them"


async def test_a_resume_that_never_answered_for_a_deleted_pod_is_a_gap_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """(Found by test_random_fault_schedules in CI: hang=1.3s, churn=0.5s, seed 1.)  A stream resumed on a connection
    that sends nothing, of a pod deleted meanwhile: the look at the log answered 404 and the stream was granted the
    half-minute an open stream of a deleted pod gets to deliver the rest of its log -- but this one had delivered
    nothing and never would, so its lost lines went unreported past the settle time."""
    run = await run_with_faults(tmp_path, "hang=1.3s,churn=0.5s", seconds=5.0, stall_timeout=1.0, seed=1, settle=15.0)
    assert run.demo.state.faulted["hang"] >= 3 and run.injected.counts["churn"] >= 3, run.injected.counts
    check(run)
    deleted = [e for e in run.seen.events if e.action == "meshtail.stream.gap" and "deleted" in e.summary]
    assert deleted, "the premise: a followed pod was deleted while its stream was down"


async def _first_request_hangs_then_the_pod_goes(demo: Demo) -> None:
    """A new sidecar pod whose very first log request answers and then sends nothing (a half-dead pooled
    connection), deleted while meshtail waits on it: its lines went with it."""
    cluster = demo.mesh.cluster
    pod = cluster.add_pod(Workload("load", "hung", "v1", 8080, "sidecar", "load"))
    demo.state.hang_origins.add(f"load/{pod.name}/istio-proxy")  # before the source can see the pod
    cluster.run(pod)
    for _ in range(200):
        if demo.state.faulted["hang"]:
            break
        await asyncio.sleep(0.05)
    demo.mesh.delete_pod(pod)


async def test_a_first_request_that_never_answered_for_a_deleted_pod_is_a_gap_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """(Found by test_random_fault_schedules in CI: hang=1.3s, expire=0.8s, stall=2.1s, restart-api=1.3s, churn=0.5s,
    429=0.03, seed 46.)  The twin of the resume case above: a request for a new pod's whole log that has not sent a
    byte was granted the half-minute an open stream of a deleted pod gets to deliver the rest -- it never would, and
    the pod's lines went unreported past the settle time."""
    run = await run_with_faults(
        tmp_path, "", seconds=4.0, stall_timeout=1.0, settle=15.0, during=_first_request_hangs_then_the_pod_goes
    )
    assert run.demo.state.faulted["hang"] == 1, "premise: the new pod's first log request hung"
    check(run)
    gaps = [e for e in run.seen.events if e.action == "meshtail.stream.gap" and (e.source.pod or "").startswith("hung")]
    assert gaps, "the deleted pod's lost lines were said"


FAULT_KINDS = ("cut", "split", "reset", "hang", "stall", "restart-api", "expire", "churn", "restart-container")


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
@given(
    schedule=st.dictionaries(
        st.sampled_from(FAULT_KINDS), st.sampled_from([0.3, 0.5, 0.8, 1.3, 2.1]), min_size=2, max_size=5
    ),
    throttle=st.sampled_from([0.0, 0.03]),
    seed=st.integers(1, 50),
)
def test_random_fault_schedules(tmp_path_factory, schedule: dict[str, float], throttle: float, seed: int) -> None:  # type: ignore[no-untyped-def]
    """Hypothesis picks the faults and their periods; the oracle stays the same."""
    faults = ",".join(f"{name}={period}s" for name, period in schedule.items())
    if throttle:
        faults += f",429={throttle}"
    run = asyncio.run(
        run_with_faults(tmp_path_factory.mktemp("faults"), faults, seconds=5.0, stall_timeout=1.0, seed=seed)
    )
    assert sum(run.injected.counts.values()) >= len(schedule), (faults, run.injected.counts)
    check(run)


async def test_streams_behind_at_the_stop_say_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """meshtail stops while every stream is stalled and reconnecting: each says up to where it was read."""
    from meshtail.demo.run import Demo, write_kubeconfig
    from meshtail.sources.kube.client import KubeClient
    from meshtail.sources.kube.config import connect
    from meshtail.sources.kube.follow import FollowOptions
    from meshtail.sources.kube.live import LiveSource, Selection

    from .conftest import Collector, eventually

    demo = Demo(seed=4, rate=200, config_every=0, churn_every=0)
    await demo.start()
    write_kubeconfig(tmp_path / "kc", demo.kubeconfig())
    seen = Collector()
    async with KubeClient(await connect(str(tmp_path / "kc"))) as client:
        source = LiveSource(client, Selection(all_namespaces=True), seen.line, seen.event, FollowOptions())
        task = asyncio.create_task(source.run())
        await eventually(lambda: len(seen.lines) > 100)
        demo.state.stalled_until = float("inf")  # nothing more is sent on any log stream
        demo.server.drop_streams()
        await eventually(lambda: all(f.behind() for f in source.followers.values()))
        await source.stop([task], why="meshtail stopped (test)")
    demo.state.stalled_until = 0.0
    await demo.stop()
    incomplete = [e for e in seen.events if e.action == "meshtail.stream.incomplete"]
    assert len(incomplete) == len(source.followers) >= 10, "every open stream was behind and said so"
    for event in incomplete:
        last = event.attributes.get("meshtail.stream.last_delivered")
        delivered = [
            r.timestamp
            for r in seen.lines
            if (r.source.pod, r.source.container) == (event.source.pod, event.source.container)
        ]
        if last is None:
            assert not delivered and "none of its lines were read" in event.summary
        else:
            assert max(delivered) == last, "the last line read is the one named"
            # a stream broken inside a run of lines sharing that stamp has not read the rest of the run: the
            # claim (and the sent-log judge) runs from just before it, as a gap's does
            assert event.attributes["meshtail.incomplete.after"] == instant_before(last)
            found = excuse_for(event.to_dict())
            assert found is not None and found[1].covers(last) and not found[1].covers(instant_before(last))
    stop = [e for e in seen.events if e.action == "meshtail.source.stop"]
    assert len(stop) == 1 and stop[0].attributes["meshtail.source.behind"] == len(incomplete)


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
            "meshtail.commands.cli",
            "demo",
            "--serve",
            "--kubeconfig-out",
            str(kubeconfig),
            "--rate",
            "3200",
            "--traffic-for",
            "5",
            "--sent-log",
            str(sent),
            "--duration",
            "30",
            "--seed",
            "9",
            "--faults",
            "buffer=8192",
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
                "meshtail.commands.cli",
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
            for _ in range(40):  # a trickle for 8 s: far slower than the 1,600 lines/s produced
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
    report = server.stderr.read().decode() if server.stderr else ""
    blocked = re.search(r"blocked-write (\d+)", report)
    assert blocked and int(blocked.group(1)) > 0, f"the server's writes waited for the slow reader: {report}"


async def _break_inside_a_run_then_lose_the_instance(demo: Demo) -> None:
    """Break a sidecar's stream between two lines sharing a timestamp, answer every request 503 so the resume
    cannot read the rest of the run, and restart that container twice meanwhile: the instance, and the run's
    unread lines with it, are gone (the kubelet keeps the current and the previous instance's log only; a resume
    that had opened before the restarts would still read the old instance to its end, as a real one does)."""
    state, server = demo.state, demo.server
    marked: dict[int, SimPod] = {}
    cut: list[SimPod] = []

    class Tripwire(Counter):  # type: ignore[type-arg]
        """The split is counted just after its stream left the marked set and just before it is cut: the 503s
        start in the same step, so no resume slips through before them, and no other stream is split."""

        def __setitem__(self, name: str, value: int) -> None:
            super().__setitem__(name, value)
            if name == "split" and not cut:
                state.unavailable_next = 1_000_000
                cut.extend(pod for key, pod in marked.items() if key not in state.split_streams)
                state.split_streams.clear()

    while not marked:
        pods = {(p.workload.namespace, p.name): p for p in demo.mesh.pods.values() if p.workload.kind != "ztunnel"}
        for key, request in list(server._streams.items()):
            parts = request.path.split("/")
            if (
                parts[-1] == "log"
                and request.query.get("container") == "istio-proxy"
                and (parts[-4], parts[-2]) in pods
            ):
                marked[key] = pods[(parts[-4], parts[-2])]
        await asyncio.sleep(0.05)
    state.faulted = Tripwire(state.faulted)
    state.split_streams.update(marked)
    while not cut:
        await asyncio.sleep(0.01)
    for _ in range(2):
        demo.mesh.restart_container(cut[0], "istio-proxy")
        await asyncio.sleep(0.2)
    state.unavailable_next = 0


async def test_a_gap_after_a_break_inside_a_run_of_equal_timestamps_covers_the_rest_of_the_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """(Found by test_random_fault_schedules.)  A stream broken inside a run of lines sharing one timestamp, whose
    container then restarted twice before the rest could be read: the run's undelivered lines are lost with the
    instance, and the gap must cover them -- it claimed only the lines *after* the last delivered stamp, so
    those at it were lost silently.  The break and the restarts are planted, not hoped for."""
    run = await run_with_faults(
        tmp_path, "", seconds=4.0, stall_timeout=1.0, during=_break_inside_a_run_then_lose_the_instance
    )
    assert run.demo.state.faulted["split"] == 1, run.demo.state.faulted
    check(run)
    delivered = set(run.delivered)
    lost_at_last: list[tuple[str, str, str]] = []
    for event in run.seen.events:
        if event.action != "meshtail.stream.gap":
            continue
        written = run.written.get(event.attributes.get("k8s.container.id"), set())
        stamps = [timestamp_key(line[0]) for line in written if line in delivered]
        if stamps:
            last = max(stamps)
            lost_at_last += [line for line in written if timestamp_key(line[0]) == last and line not in delivered]
            assert f"at or after {last}" in event.summary, event.summary  # and it says so
    assert lost_at_last, "premise: a gap fell inside a run of lines sharing its last delivered timestamp"
