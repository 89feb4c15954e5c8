"""1,000 concurrently followed streams in one process (the client's pool must not cap them at 100)."""

from __future__ import annotations

import asyncio
import contextlib

from meshtail.demo.run import Demo, write_kubeconfig
from meshtail.sources.kube.client import KubeClient
from meshtail.sources.kube.config import connect
from meshtail.sources.kube.follow import FollowOptions
from meshtail.sources.kube.live import LiveSource, Selection

from .conftest import Collector, eventually


async def test_a_thousand_streams_all_deliver(tmp_path) -> None:  # type: ignore[no-untyped-def]
    stand_in = Demo(seed=2, rate=0, config_every=0, churn_every=0, extra_pods=1000)
    await stand_in.start(traffic=False)
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, stand_in.kubeconfig())
    seen = Collector()
    try:
        async with KubeClient(await connect(str(path))) as client:
            source = LiveSource(
                client, Selection(namespaces=["load"], config=False), seen.line, seen.event, FollowOptions()
            )
            task = asyncio.create_task(source.run())
            await eventually(lambda: len(stand_in.server._streams) == 1000, timeout=60)
            pods = [p for p in stand_in.mesh.pods.values() if p.workload.namespace == "load"]
            for pod in pods:  # one more line for every stream, written while all 1,000 are open
                pod.logs["istio-proxy"].append(f"hello from {pod.name}")
            expected = sum(len(p.logs["istio-proxy"].lines) for p in pods)
            await eventually(lambda: len(seen.lines) == expected, timeout=60)
            assert {r.text for r in seen.lines if r.text.startswith("hello from")} == {
                f"hello from {p.name}" for p in pods
            }
            assert all(f.stats.state == "following" for f in source.followers.values())
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await stand_in.stop()
