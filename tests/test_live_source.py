"""The real live source (kubeconfig, client, informers, followers) against the stand-in over HTTPS."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from meshtail.demo.resources import POD
from meshtail.sources.kube.client import KubeClient
from meshtail.sources.kube.config import connect
from meshtail.sources.kube.follow import FollowOptions
from meshtail.sources.kube.live import LiveSource, Selection

from .conftest import Collector, eventually


@contextlib.asynccontextmanager
async def live(demo, selection: Selection | None = None, **options):  # type: ignore[no-untyped-def]
    cluster = await connect(demo.kubeconfig_path)
    collector = Collector()
    async with KubeClient(cluster) as client:
        source = LiveSource(
            client,
            selection or Selection(all_namespaces=True),
            collector.line,
            collector.event,
            FollowOptions(**options),
        )
        task = asyncio.create_task(source.run())
        try:
            yield source, collector
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await source.stop()


def written(demo, namespace: str, pod: str, container: str = "istio-proxy") -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every line the stand-in holds for a container (all instances), as (timestamp, text)."""
    from meshtail.demo.podlogs import kubelet_timestamp

    out = []
    for log in demo.logs.history(namespace, pod, container):
        out.extend((kubelet_timestamp(ns), text) for ns, text in log.lines)
    return out


def followed(source: LiveSource) -> dict[str, str]:
    return {f.target.name: f.target.kind for f in source.followers.values()}


async def test_discovers_every_kind_of_proxy_and_nothing_else(demo) -> None:  # type: ignore[no-untyped-def]
    async with live(demo) as (source, _seen):
        mesh_pods = [p for p in demo.mesh.pods.values() if p.workload.kind != "ambient" and p.workload.kind != "plain"]
        await eventually(lambda: len(source.followers) == len(mesh_pods))
        kinds = followed(source)
    by_kind: dict[str, list[str]] = {}
    for name, kind in kinds.items():
        by_kind.setdefault(kind, []).append(name)
    assert sorted(by_kind) == ["gateway", "istiod", "sidecar", "waypoint", "ztunnel"]
    assert len(by_kind["ztunnel"]) == 2
    assert any(n.endswith("[discovery]") for n in by_kind["istiod"])
    v3 = next(p for p in demo.mesh.pods.values() if p.workload.kind == "native")
    assert f"bookinfo/{v3.name}[istio-proxy]" in by_kind["sidecar"], "a native sidecar (init container) is followed"
    assert not any("legacy/" in n or "/frontend" in n for n in kinds), "pods without a proxy are not followed"


async def test_namespace_and_selector_limit_what_is_followed(demo) -> None:  # type: ignore[no-untyped-def]
    selection = Selection(namespaces=["bookinfo"], selector="app in (reviews,ratings)", config=False)
    async with live(demo, selection) as (source, _seen):
        await eventually(lambda: len(source.followers) == 4)
        await asyncio.sleep(0.3)
        names = sorted(followed(source))
    assert all(n.startswith("bookinfo/reviews-") or n.startswith("bookinfo/ratings-") for n in names), names


async def test_extra_containers_by_name(demo) -> None:  # type: ignore[no-untyped-def]
    selection = Selection(namespaces=["bookinfo"], selector="app=productpage", containers=["productpage"], config=False)
    async with live(demo, selection) as (source, seen):
        await eventually(lambda: len(source.followers) == 2)
        demo.mesh.browse()
        await eventually(lambda: any(r.source.container == "productpage" for r in seen.lines))
    app_line = next(r for r in seen.lines if r.source.container == "productpage")
    assert app_line.source.kind == "pod" and "werkzeug" in app_line.text


async def test_follows_every_line_with_kubelet_timestamps(demo) -> None:  # type: ignore[no-untyped-def]
    async with live(demo, Selection(namespaces=["bookinfo", "istio-system", "shop"], config=False)) as (source, seen):
        await eventually(lambda: len(source.followers) >= 10)
        for _ in range(60):
            demo.mesh.tick()
        total = sum(
            len(written(demo, ns, pod, c))
            for (ns, pod, c) in demo.logs._logs
            if (ns, pod) in {(f.target.namespace, f.target.pod) for f in source.followers.values()}
            and c in ("istio-proxy", "discovery")
        )
        await eventually(lambda: len(seen.lines) == total)
    gw = demo.mesh._one("istio-system", "istio-ingressgateway")
    assert seen.delivered(gw.name) == written(demo, "istio-system", gw.name)
    assert all(r.timestamp and len(r.timestamp) == 30 for r in seen.lines)
    assert {r.source.kind for r in seen.lines} >= {"sidecar", "gateway", "ztunnel", "istiod", "waypoint"}


async def test_new_pods_restarts_and_deletions(demo) -> None:  # type: ignore[no-untyped-def]
    async with live(demo, Selection(namespaces=["bookinfo"], config=False)) as (source, seen):
        await eventually(lambda: len(source.followers) == 7)
        ratings = demo.mesh._one("bookinfo", "ratings")
        v3 = demo.mesh._one("bookinfo", "reviews", "v3")
        old_v3_id = v3.ids["istio-proxy"]
        # a restart: the old stream ends, a new one starts for the new containerID and reads it from the start
        demo.mesh.restart_container(v3, "istio-proxy")
        v3.logs["istio-proxy"].append("first line of the new container")
        # a replacement: the old pod's stream ends, the new pod is followed once it runs
        demo.mesh.delete_pod(ratings)
        fresh = demo.mesh.add_pod(ratings.workload)
        await asyncio.sleep(0.3)
        demo.mesh.tick()  # the pending pod starts running
        await eventually(lambda: any(f.target.pod == fresh.name for f in source.followers.values()))
        await eventually(lambda: "first line of the new container" in [t for _, t in seen.delivered(v3.name)])
        await eventually(lambda: seen.delivered(fresh.name) == written(demo, "bookinfo", fresh.name))
        await eventually(
            lambda: len([e for e in seen.events if e.action == "meshtail.stream.end"]) >= 2,
            describe=lambda: [(e.source.pod, e.summary) for e in seen.events if e.format == "meshtail"],
        )
        # (found by an outside audit) the run's closing count names every stream: the seven first followed, the
        # restarted container's new instance and the replacement pod's -- though `streams` lists a container once
        assert source.totals()[0] == 9 > len(source.streams), (source.totals(), sorted(source.streams))
    ends = {
        (e.source.pod, e.attributes.get("k8s.container.id")): e.summary
        for e in seen.events
        if e.action == "meshtail.stream.end"
    }
    assert (v3.name, old_v3_id) in ends and "container restarted" in ends[(v3.name, old_v3_id)]
    assert any(pod == ratings.name for pod, _ in ends)
    # two instances are two streams: the old one's rest (read from the previous log when its first connection
    # came after the restart) may arrive after the new one's first lines, so compare without order
    assert sorted(seen.delivered(v3.name)) == sorted(written(demo, "bookinfo", v3.name)), (
        "both instances, nothing twice",
        [(e.action, e.summary) for e in seen.events if e.source.pod == v3.name],
    )
    # the pod may be deleted before its stream first connects: then its lines are gone, and that is said
    gaps = [e for e in seen.events if e.action == "meshtail.stream.gap" and e.source.pod == ratings.name]
    assert seen.delivered(ratings.name) == written(demo, "bookinfo", ratings.name) or (
        gaps and gaps[0].attributes.get("meshtail.gap.after") is None and not seen.delivered(ratings.name)
    ), "every line of the deleted pod, or a gap saying none could be read"


@pytest.mark.parametrize("mid_line", [False, True], ids=["reset", "cut-mid-line"])
async def test_resume_after_disconnects_loses_and_repeats_nothing(demo, mid_line: bool) -> None:  # type: ignore[no-untyped-def]
    async with live(demo, Selection(namespaces=["bookinfo", "istio-system"], config=False)) as (source, seen):
        await eventually(lambda: len(source.followers) == 11)
        broken = 0
        for _ in range(4):
            await eventually(lambda: len(demo.server._streams) == 11)  # all reconnected
            for _ in range(25):
                demo.mesh.tick()
            await asyncio.sleep(0.05)
            broken += demo.server.drop_streams(mid_line=mid_line)
        for _ in range(10):
            demo.mesh.tick()
        pods = {(f.target.namespace, f.target.pod, f.target.container) for f in source.followers.values()}
        expected = {key: written(demo, *key) for key in pods}
        await eventually(lambda: all(seen.delivered(p, c) == expected[(ns, p, c)] for ns, p, c in pods), timeout=20)
        await eventually(lambda: len(seen.actions("meshtail.stream.resume")) >= 4)
    reconnects = seen.actions("meshtail.stream.reconnect")
    assert broken == 44 and len(reconnects) == broken, "every break is reported, once"
    dropped = sum(f.stats.duplicates_dropped for f in source.followers.values())
    assert dropped > 0, "sinceTime repeats lines of the last second, and they were dropped"
    resume = next(e for e in seen.events if e.action == "meshtail.stream.resume")
    assert resume.attributes["meshtail.resume.since_time"].endswith("Z") and "repeated lines dropped" in resume.summary


async def test_api_server_restart_drops_everything_and_all_is_recovered(demo) -> None:  # type: ignore[no-untyped-def]
    async with live(demo, Selection(namespaces=["bookinfo"])) as (source, seen):
        await eventually(lambda: len(source.followers) == 7)
        for _ in range(20):
            demo.mesh.tick()
        await asyncio.sleep(0.3)
        ratings = demo.mesh._one("bookinfo", "ratings")
        before = written(demo, "bookinfo", ratings.name)
        demo.server.restart()  # log streams and watches drop at once
        demo.mesh._edit_reviews_weights()  # a change made while the watches were down
        ratings.logs["istio-proxy"].append("written during the outage, then the pod is gone")
        demo.mesh.delete_pod(ratings)
        for _ in range(20):
            demo.mesh.tick()
        keys = [
            (f.target.namespace, f.target.pod, f.target.container)
            for f in source.followers.values()
            if f.target.pod != ratings.name
        ]
        await eventually(lambda: all(seen.delivered(p, c) == written(demo, ns, p, c) for ns, p, c in keys), timeout=20)
        await eventually(lambda: "resource.update" in seen.actions("resource."), timeout=20)
        await eventually(lambda: "meshtail.stream.gap" in seen.actions())
    assert seen.delivered(ratings.name) == before, "what the API could still serve was delivered"
    gap = next(e for e in seen.events if e.action == "meshtail.stream.gap")
    assert gap.source.pod == ratings.name and gap.severity == "warning"
    assert f"written at or after {before[-1][0]}, other than those delivered, may be lost" in gap.summary
    assert gap.attributes["meshtail.gap.scope"] == "container"  # the deleted pod took every instance's log
    assert len(seen.actions("meshtail.stream.reconnect")) >= 6


async def test_stalled_stream_is_detected_and_resumed(demo) -> None:  # type: ignore[no-untyped-def]
    selection = Selection(namespaces=["bookinfo"], selector="app=productpage", config=False)
    async with live(demo, selection, stall_timeout=0.6) as (source, seen):
        await eventually(lambda: len(source.followers) == 1)
        pp = demo.mesh._one("bookinfo", "productpage")
        await eventually(lambda: seen.delivered(pp.name) == written(demo, "bookinfo", pp.name))
        # the open stream stops sending (the kubelet's rotation bug) while the log goes on and a fresh request of
        # it is served: the look at the log finds the newer lines, they do not come, the stream is stuck
        assert demo.server.hold_open_streams(3.0) == 1, "the premise: the stream was open"
        for _ in range(5):
            demo.mesh.browse()
        await eventually(lambda: "meshtail.stream.stall" in seen.actions(), timeout=10)
        await eventually(lambda: seen.delivered(pp.name) == written(demo, "bookinfo", pp.name), timeout=10)
    stall = next(e for e in seen.events if e.action == "meshtail.stream.stall")
    assert stall.severity == "warning" and "stall" in stall.summary


_PRODUCTPAGE = Selection(namespaces=["bookinfo"], selector="app=productpage", config=False)


async def _spoke_once(demo, source: LiveSource, seen: Collector):  # type: ignore[no-untyped-def]
    """productpage's one stream, once what it said has all arrived: its pod, and the stream's follower."""
    await eventually(lambda: len(source.followers) == 1)
    pp = demo.mesh._one("bookinfo", "productpage")
    demo.mesh.browse()
    await eventually(lambda: seen.delivered(pp.name) == written(demo, "bookinfo", pp.name) != [])
    return pp, next(iter(source.followers.values()))


async def test_a_quiet_container_is_not_a_stalled_stream(demo) -> None:  # type: ignore[no-untyped-def]
    """An idle sidecar says nothing for longer than the stall timeout: its log, looked at, holds nothing newer,
    so the stream stays open -- no stall warning, no reconnect every timeout -- and lines written later arrive
    on it.  (It reconnected, said "stall" and fetched the last second again every stall timeout.)"""
    async with live(demo, _PRODUCTPAGE, stall_timeout=0.6) as (source, seen):
        pp, follower = await _spoke_once(demo, source, seen)
        lines = follower.stats.lines
        await asyncio.sleep(3.0)  # five stall timeouts of silence
        assert follower.stats.lines == lines, "premise: nothing was written meanwhile"
        assert "meshtail.stream.stall" not in seen.actions() and follower.stats.reconnects == 0
        assert follower.stats.quiet_checks >= 2  # (the log was looked at, and had not moved on)
        demo.mesh.browse()  # it speaks again: on the same stream
        await eventually(lambda: seen.delivered(pp.name) == written(demo, "bookinfo", pp.name), timeout=10)
        assert follower.stats.reconnects == 0


async def test_forbidden_namespace_is_reported_and_others_still_followed(demo) -> None:  # type: ignore[no-untyped-def]
    demo.state.deny_namespaces.add("shop")
    async with live(demo, Selection(namespaces=["shop", "bookinfo"], config=False)) as (source, seen):
        await eventually(lambda: len(source.followers) == 7)
        await eventually(lambda: "meshtail.watch.error" in seen.actions())
    error = next(e for e in seen.events if e.action == "meshtail.watch.error")
    assert error.severity == "error"
    assert 'cannot list resource "pods" in API group "" in the namespace "shop"' in error.summary
    assert "deploy/rbac.yaml" in error.summary


async def test_throttled_requests_honour_retry_after(demo) -> None:  # type: ignore[no-untyped-def]
    demo.state.throttle_next = 3
    selection = Selection(namespaces=["bookinfo"], selector="app=details", config=False)
    async with live(demo, selection) as (source, seen):
        await eventually(lambda: len(source.followers) == 1, timeout=20)
        details = demo.mesh._one("bookinfo", "details")
        await eventually(lambda: seen.delivered(details.name) == written(demo, "bookinfo", details.name), timeout=20)
        assert source.client.throttled == 3
    first = [path for _, path in list(demo.state.requests)[:4]]
    assert len(set(first)) == 1, "the throttled list was retried after Retry-After, not given up"


async def test_watch_expiry_relists_and_reports_what_changed_in_the_gap(demo) -> None:  # type: ignore[no-untyped-def]
    async with live(demo, Selection(namespaces=["bookinfo"])) as (source, seen):
        await eventually(lambda: len(source.followers) == 7)
        await eventually(lambda: len(seen.actions("resource.observed")) >= 6)
        demo.store.compact()  # etcd compaction: the watches' versions are now too old
        demo.store.close_watches()
        sleep_pod = demo.mesh._one("bookinfo", "sleep")
        demo.mesh.delete_pod(sleep_pod)
        demo.mesh._toggle_details_viewer()
        await eventually(
            lambda: any("expired" in e.summary for e in seen.events if e.action == "meshtail.watch.problem"), timeout=15
        )
        await eventually(
            lambda: any(
                e.action == "resource.update" and e.attributes["k8s.name"] == "details-viewer" for e in seen.events
            ),
            timeout=15,
        )
        await eventually(
            lambda: any(e.action == "meshtail.stream.end" and e.source.pod == sleep_pod.name for e in seen.events),
            timeout=15,
        )


async def test_config_changes_carry_actor_generation_and_diff(demo) -> None:  # type: ignore[no-untyped-def]
    async with live(demo, Selection(namespaces=["bookinfo", "istio-system"])) as (_source, seen):
        await eventually(lambda: len(seen.actions("resource.observed")) >= 7)
        demo.mesh._edit_reviews_weights()
        demo.mesh._toggle_details_viewer()
        demo.mesh._toggle_deny_admin()  # deletes deny-admin-paths
        demo.store.update(POD, "bookinfo", demo.mesh._one("bookinfo", "details").name, lambda o: None, "kubelet")
        await eventually(lambda: len([a for a in seen.actions("resource.") if a != "resource.observed"]) >= 3)
        await asyncio.sleep(0.2)
    changes = {e.attributes["k8s.name"]: e for e in seen.events if e.action in ("resource.update", "resource.delete")}
    vs = changes["reviews"]
    assert vs.category == "config" and vs.outcome == "change" and vs.format == "k8s-resource"
    assert vs.attributes["k8s.kind"] == "VirtualService" and vs.attributes["k8s.api_version"] == "v1"
    assert vs.attributes["k8s.manager"] == "kubectl-edit" and vs.attributes["k8s.manager.operation"] == "Update"
    assert vs.attributes["k8s.spec_changed"] is True and vs.attributes["k8s.generation"] == 2
    assert any(line.startswith("-") and "weight" in line for line in vs.attributes["k8s.diff"])
    assert any(line.startswith("+") and "weight" in line for line in vs.attributes["k8s.diff"])
    assert "updated by kubectl-edit (Update)" in vs.summary
    ap = changes["details-viewer"]
    assert ap.attributes["k8s.manager"] == "argocd-controller" and ap.attributes["k8s.manager.operation"] == "Apply"
    assert any("cluster.local/ns/bookinfo/sa/sleep" in line for line in ap.attributes["k8s.diff"])
    deleted = changes["deny-admin-paths"]
    assert deleted.action == "resource.delete" and deleted.severity == "warning"
    assert all(line.startswith(("-", "@@", "---", "+++")) for line in deleted.attributes["k8s.diff"])
    as_json = vs.to_dict()
    assert as_json["attributes"]["k8s.diff"] == vs.attributes["k8s.diff"], "the diff is in the JSONL too"


async def test_only_get_requests_reach_the_server(demo) -> None:  # type: ignore[no-untyped-def]
    async with live(demo) as (source, seen):
        await eventually(lambda: len(source.followers) >= 10)
        await eventually(lambda: len(demo.server._streams) == len(source.followers))
        for _ in range(30):
            demo.mesh.tick()
        demo.server.drop_streams()
        await eventually(lambda: len(seen.actions("meshtail.stream.resume")) >= 3)
    methods = {method for method, _ in demo.state.requests}
    assert methods == {"GET"}


async def test_the_documented_clusterrole_covers_every_request_and_grants_only_reads(demo) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    import yaml

    role = yaml.safe_load((Path(__file__).parent.parent / "deploy" / "rbac.yaml").read_text())
    assert role["kind"] == "ClusterRole"
    assert {verb for rule in role["rules"] for verb in rule["verbs"]} <= {"get", "list", "watch"}
    async with live(demo) as (source, seen):
        await eventually(lambda: len(seen.actions("resource.observed")) >= 10)
        await eventually(lambda: len(source.followers) >= 10)
    for method, path in demo.state.requests:
        route = path.split("?")[0].strip("/").split("/")
        if route in (["api"], ["apis"]) or (len(route) <= 3 and route[0] == "apis") or route == ["api", "v1"]:
            continue  # discovery: system:discovery grants it to everyone
        group = "" if route[0] == "api" else route[1]
        rest = route[2:] if route[0] == "api" else route[3:]
        if rest[0] == "namespaces":
            rest = rest[2:]
        resource = rest[0] + ("/" + rest[2] if len(rest) > 2 else "")
        verb = "get" if len(rest) > 1 else ("watch" if "watch=1" in path else "list")
        assert any(
            group in rule["apiGroups"]
            and (resource in rule["resources"] or "*" in rule["resources"])
            and verb in rule["verbs"]
            for rule in role["rules"]
        ), f"{method} {path} is not covered by deploy/rbac.yaml"


async def test_restarts_while_a_stream_is_down(demo) -> None:  # type: ignore[no-untyped-def]
    """One restart: the rest of the old instance is read with previous=true.  Two: that log is gone, a gap."""
    selection = Selection(namespaces=["bookinfo"], selector="app=reviews,version=v3", config=False)
    async with live(demo, selection) as (_source, seen):
        v3 = demo.mesh._one("bookinfo", "reviews", "v3")
        await eventually(lambda: len(demo.server._streams) == 1)
        first = v3.ids["istio-proxy"]
        demo.state.stalled_until = float("inf")  # hold the stream; the server keeps writing the log meanwhile
        v3.logs["istio-proxy"].append("written while the stream is held")
        await asyncio.sleep(0.2)
        demo.server.drop_streams()
        demo.mesh.restart_container(v3, "istio-proxy")
        demo.state.stalled_until = 0.0
        await eventually(
            lambda: any(
                e.action == "meshtail.stream.end" and e.attributes.get("k8s.container.id") == first for e in seen.events
            )
        )
        texts = [t for _, t in seen.delivered(v3.name)]
        assert texts.count("written while the stream is held") == 1, "read from the previous log, once"
        await eventually(lambda: len(demo.server._streams) == 1)
        second = v3.ids["istio-proxy"]
        demo.state.stalled_until = float("inf")
        v3.logs["istio-proxy"].append("lost with the second instance")
        await asyncio.sleep(0.2)
        demo.server.drop_streams()
        demo.mesh.restart_container(v3, "istio-proxy")
        demo.mesh.restart_container(v3, "istio-proxy")
        demo.state.stalled_until = 0.0
        await eventually(
            lambda: any(
                e.action == "meshtail.stream.gap" and e.attributes.get("k8s.container.id") == second
                for e in seen.events
            )
        )
        await asyncio.sleep(0.5)
    counts = {}
    for stamp, text in seen.delivered(v3.name):
        counts[(stamp, text)] = counts.get((stamp, text), 0) + 1
    assert max(counts.values()) == 1, "no line twice"


async def test_lines_on_their_way_when_the_quiet_look_finds_them_are_no_stall(demo) -> None:  # type: ignore[no-untyped-def]
    """The look at a quiet container's log can come just after it spoke: the newer lines it finds are on their way
    on the stream, which is not stuck.  (It was closed as stalled and reconnected at once: seen as a flaky
    test_a_quiet_container_is_not_a_stalled_stream under load.)"""
    async with live(demo, _PRODUCTPAGE, stall_timeout=0.6) as (source, seen):
        pp, follower = await _spoke_once(demo, source, seen)
        looked = follower._log_moved_on
        spoke: list[bool] = []

        async def spoke_just_before_the_look() -> bool:
            if not spoke:  # once: the container speaks, and the look sees it before the stream has carried it
                spoke.append(True)
                demo.mesh.browse()
                return True
            return await looked()

        follower._log_moved_on = spoke_just_before_the_look  # type: ignore[method-assign]
        await eventually(lambda: bool(spoke), timeout=10)
        await eventually(lambda: seen.delivered(pp.name) == written(demo, "bookinfo", pp.name), timeout=10)
        await asyncio.sleep(1.5)
        assert spoke, "the premise: the look found newer lines"
        assert follower.stats.stalls == 0 and follower.stats.reconnects == 0
        assert "meshtail.stream.stall" not in seen.actions()


async def test_a_watch_that_went_wrong_says_when_it_is_back(demo) -> None:  # type: ignore[no-untyped-def]
    """An outside audit: after an API server restart every watch said it broke and nothing said it came back, so the
    user could not tell a watch that recovered from one still down."""
    async with live(demo, Selection(namespaces=["bookinfo"])) as (source, seen):
        await eventually(lambda: len(source.followers) == 7)
        # the pods are listed (the followers started) before the watch is asked for: under load CI closed the
        # watches before this one was open, and nothing broke
        await eventually(lambda: demo.store.open_watches() == 1)
        # the watch's next re-requests are answered 503; only watches take them, not a log stream's reconnect
        demo.state.unavailable_watches_next = 2
        demo.store.close_watches()
        await eventually(lambda: demo.state.unavailable_watches_next == 0, timeout=15)
        await eventually(
            lambda: any(e.severity == "warning" for e in seen.events if e.action == "meshtail.watch.problem"),
            timeout=15,
        )
        await eventually(
            lambda: any("resumed after" in e.summary for e in seen.events if e.action == "meshtail.watch.resume"),
            timeout=15,
        )


async def test_a_watch_that_expires_is_not_said_to_be_back_before_it_is(demo) -> None:  # type: ignore[no-untyped-def]
    """An outside audit read 'resumed after 0.3s', then 'expired … re-listing' in the same millisecond, then
    'resumed' again: the re-opened watch was announced back before its first answer, which was 410."""
    async with live(demo, Selection(namespaces=["bookinfo"])) as (source, seen):
        await eventually(lambda: len(source.followers) == 7)
        await eventually(lambda: demo.store.open_watches() == 1)
        demo.state.unavailable_watches_next = 1  # the watch breaks first (a 503), then its version is too old
        demo.store.compact()
        demo.store.close_watches()

        def said() -> list[str]:
            return [e.summary for e in seen.events if e.action in ("meshtail.watch.problem", "meshtail.watch.resume")]

        await eventually(lambda: any("expired" in text for text in said()), timeout=15)
        await eventually(lambda: any("resumed after" in text for text in said()), timeout=15)
        texts = said()
        expired = next(i for i, text in enumerate(texts) if "expired" in text)
        assert not any("resumed after" in text for text in texts[:expired]), texts
        assert all("TransferEncodingError" not in text for text in texts), "the break is said in words"
