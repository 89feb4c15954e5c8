"""Which container instances a pod event starts a follower for (no cluster: the decision alone).

An instance that started and was replaced before meshtail ever saw its pod — a pod created and
restarted during a watch gap, or between two looks — ran while meshtail was running: its log is
now the "previous" one, and nobody else will read it.  Lines of it were lost with no gap event
under frequent churn and restarts (``tests/test_faults.py::test_random_fault_schedules``).  Pods
of the first list are different: their earlier instances ran before meshtail started.
"""

from __future__ import annotations

from typing import Any

from meshtail.sources.kube.informer import WatchEvent
from meshtail.sources.kube.live import LiveSource, Selection


def pod(name: str, current: str, previous: str | None) -> dict[str, Any]:
    status: dict[str, Any] = {"name": "istio-proxy", "containerID": current, "state": {"running": {}}}
    if previous:
        status["lastState"] = {"terminated": {"containerID": previous}}
    return {
        "metadata": {"namespace": "shop", "name": name, "labels": {"app": "cart"}},
        "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]},
        "status": {"containerStatuses": [status]},
    }


def started(events: list[WatchEvent]) -> list[tuple[str, str, bool]]:
    source = LiveSource(None, Selection(all_namespaces=True), lambda line: None, lambda event: None)  # type: ignore[arg-type]
    calls: list[tuple[str, str, bool]] = []
    source._start = lambda target, initial, earlier=False: calls.append((target.pod, target.container_id, earlier))  # type: ignore[method-assign]
    for event in events:
        source._pod_event(event)
    return calls


def test_a_pod_first_seen_after_the_start_has_its_replaced_instance_read() -> None:
    calls = started([WatchEvent("ADDED", pod("cart-1", "c2", "c1"), None, False)])
    assert ("cart-1", "c1", True) in calls, "the instance that ran before the pod was seen is read (previous log)"
    assert ("cart-1", "c2", False) in calls


def test_a_pod_of_the_first_list_does_not_read_what_ran_before_meshtail() -> None:
    calls = started(
        [
            WatchEvent("ADDED", pod("cart-1", "c2", "c1"), None, True),  # the first list
            WatchEvent("MODIFIED", pod("cart-1", "c2", "c1"), None, False),
        ]
    )
    assert [c for c in calls if c[2]] == [], calls
    assert ("cart-1", "c2", False) in calls


def test_a_pod_recreated_under_the_same_name_is_a_new_pod() -> None:
    calls = started(
        [
            WatchEvent("ADDED", pod("db-0", "a2", "a1"), None, True),
            WatchEvent("DELETED", pod("db-0", "a2", "a1"), None, False),
            WatchEvent("ADDED", pod("db-0", "b2", "b1"), None, False),  # a StatefulSet's next db-0
        ]
    )
    assert ("db-0", "b1", True) in calls and ("db-0", "a1", True) not in calls


def test_a_stream_that_found_its_instance_replaced_starts_the_next_one_whatever_the_watch() -> None:
    """The pod watch may be down (expired, relisting) while a container restarts and its pod is then deleted:
    the stream that found its instance replaced hands on the pod it fetched, so the next instance is followed
    (and, its pod gone, reported) instead of never being known.  Lost with no gap before: 2 of 8 runs of
    ``expire=0.5s,churn=0.3s,restart-container=0.3s,hang=1.3s`` (tests/fault_harness.py)."""
    import asyncio
    from types import SimpleNamespace

    source = LiveSource(None, Selection(all_namespaces=True), lambda line: None, lambda event: None)  # type: ignore[arg-type]
    calls: list[tuple[str, str | None, bool]] = []
    source._start = lambda target, initial, earlier=False: calls.append((target.pod, target.container_id, earlier))  # type: ignore[method-assign]
    key = ("shop", "cart-1", "istio-proxy", "c1")
    stats = SimpleNamespace(reconnects=2, duplicates_dropped=3)  # (what the run's closing count reads of it)
    source.followers[key] = SimpleNamespace(replaced_in=pod("cart-1", "c2", "c1"), stats=stats)  # type: ignore[assignment]
    source._followed[key[:3]] = None
    loop = asyncio.new_event_loop()
    try:
        ended = loop.create_future()
        ended.set_result(None)
        source._done(ended, key)  # type: ignore[arg-type]
    finally:
        loop.close()
    assert calls == [("cart-1", "c2", False)], "the next instance is followed; the ended one is not read again"
    assert source.totals() == (1, 2, 3), "the ended stream is counted with its reconnects and repeats"


async def test_a_gap_for_a_deleted_pod_covers_the_container() -> None:
    """A pod deleted while its stream was down took every instance's log with it, those never seen too."""
    from meshtail.sources.kube.follow import Follower, FollowOptions
    from meshtail.sources.kube.proxies import Target

    events = []
    target = Target("shop", "cart-1", "istio-proxy", "sidecar", "c1", "running")
    follower = Follower(None, target, lambda line: None, events.append, FollowOptions(), False)  # type: ignore[arg-type]
    await follower._finish_after_break("gone")
    gap = next(e for e in events if e.action == "meshtail.stream.gap")
    assert gap.attributes["meshtail.gap.scope"] == "container"
    assert "any instance" in gap.summary


def test_a_chunk_is_told_ahead_with_the_very_texts_then_delivered() -> None:
    """The read-ahead (the writer's credential pre-check of a chunk) is given the bodies the lines then carry,
    the same objects: the writer knows them again by identity."""
    from meshtail.sources.kube.follow import Follower, FollowOptions
    from meshtail.sources.kube.proxies import Target

    told: list[list[str]] = []
    delivered = []
    target = Target("shop", "cart-1", "istio-proxy", "sidecar", "c1", "running")
    follower = Follower(None, target, delivered.append, lambda e: None, FollowOptions(), False, ahead=told.append)  # type: ignore[arg-type]
    follower._lines(b"2024-05-01T10:00:00.000000001Z one\n2024-05-01T10:00:00.000000002Z two\nthree", "now")
    follower._lines(b"\n", "now")
    assert [[*chunk] for chunk in told] == [["one", "two"], ["three"]]
    assert [line.text for line in delivered] == ["one", "two", "three"]
    assert all(line.text is body for line, body in zip(delivered, [*told[0], *told[1]], strict=True))
