"""No line twice when a container restarts twice around a follower's check of its instance.

``previous=true`` names no container instance: the log endpoint serves whichever one ran
before the current one *when the request arrives*.  A follower whose instance was replaced
reads the rest of it that way, but meshtail's loop can be held up for seconds between the
check and the request (``tail`` blocks on a slowly read stdout), and one more restart in that
time makes "previous" the next instance, whose own follower delivers the same lines.  This
is how ``test_a_slow_consumer_makes_the_server_wait_and_loses_nothing`` once delivered a
reviews-v3 proxy's startup lines twice.  Here the second restart is made to land exactly in
that window, with no timing involved.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from meshtail.demo.podlogs import kubelet_timestamp
from meshtail.demo.resources import POD
from meshtail.sources.kube.client import KubeClient
from meshtail.sources.kube.config import connect
from meshtail.sources.kube.follow import Follower, FollowOptions
from meshtail.sources.kube.proxies import Target, targets

from .conftest import Collector


def _target(demo, pod) -> Target:  # type: ignore[no-untyped-def]
    obj = demo.store.get(POD, pod.workload.namespace, pod.name)
    return next(t for t in targets(obj) if t.container == "istio-proxy")


async def test_a_restart_between_the_instance_check_and_the_previous_read_repeats_no_line(demo) -> None:  # type: ignore[no-untyped-def]
    pod = demo.mesh._one("bookinfo", "reviews", "v3")
    first = _target(demo, pod)  # the instance a pod list named (its follower is about to start)
    first_log = pod.logs["istio-proxy"]
    first_log.append("written by the first instance")
    demo.mesh.restart_container(pod, "istio-proxy")
    second = _target(demo, pod)
    second_log = pod.logs["istio-proxy"]
    second_log.append("written by the second instance")
    assert second.previous_id == first.container_id, "the first instance is the previous one now"

    seen = Collector()
    async with KubeClient(await connect(demo.kubeconfig_path)) as client:
        follower = Follower(client, first, seen.line, seen.event, FollowOptions(), initial=True)
        check = follower._instance
        restarted = False

        async def check_then_restart() -> str:
            # the follower learns its instance was replaced and that "previous" is its own; before
            # its previous=true request reaches the server, the container restarts once more
            nonlocal restarted
            fate = await check()
            if not restarted:
                restarted = True
                demo.mesh.restart_container(pod, "istio-proxy")
            return fate

        follower._instance = check_then_restart  # type: ignore[method-assign]
        await asyncio.wait_for(follower.run(), 60)
        assert restarted
        from_first = list(seen.lines)

        # the second instance's own stream (started from the pod watch): it reads that instance once
        follower = Follower(client, second, seen.line, seen.event, FollowOptions(), initial=False)
        await asyncio.wait_for(follower.run(), 60)

    def held(log) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return {(kubelet_timestamp(ns), text) for ns, text in log.lines}

    assert {(r.timestamp, r.text) for r in from_first} <= held(first_log), (
        "the first instance's stream delivered another instance's lines: "
        f"{[r.text for r in from_first if (r.timestamp, r.text) not in held(first_log)]}"
    )
    delivered = Counter((r.timestamp, r.text) for r in seen.lines)
    assert not [line for line, n in delivered.items() if n > 1], "no line twice"
    assert held(second_log) <= set(delivered), "the second instance is read whole, once"
    # the first instance's log is held no more (the kubelet keeps the current and the previous one):
    # its unread lines are a true gap, and meshtail says so
    assert [log.container_id for log in demo.logs.history("bookinfo", pod.name, "istio-proxy")][-2:] == [
        second.container_id,
        pod.ids["istio-proxy"],
    ]
    gaps = [e for e in seen.events if e.action == "meshtail.stream.gap"]
    assert [e.attributes.get("k8s.container.id") for e in gaps] == [first.container_id]
    assert "restarted again" in gaps[0].summary
