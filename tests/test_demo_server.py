"""The stand-in API server speaks the Kubernetes API as real clients see it (over real HTTPS)."""

from __future__ import annotations

import asyncio
import json
import ssl

import aiohttp
import pytest

from meshtail.demo.podlogs import kubelet_timestamp
from meshtail.demo.resources import POD

from .conftest import eventually


def _client(demo) -> tuple[aiohttp.ClientSession, dict[str, str]]:  # type: ignore[no-untyped-def]
    context = ssl.create_default_context(cadata=demo.certificates.ca_pem.decode())
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))
    return session, {"Authorization": f"Bearer {demo.token}"}


def _pod(demo, app: str, namespace: str = "bookinfo") -> str:  # type: ignore[no-untyped-def]
    return next(p.name for p in demo.mesh.pods.values() if p.workload.app == app and p.workload.namespace == namespace)


async def test_discovery_lists_core_and_mesh_groups_with_preferred_versions(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    async with session:
        api = await (await session.get(demo.url + "/api", headers=auth)).json()
        assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
        core = await (await session.get(demo.url + "/api/v1", headers=auth)).json()
        names = {r["name"] for r in core["resources"]}
        assert {"pods", "pods/log", "namespaces"} <= names
        groups = await (await session.get(demo.url + "/apis", headers=auth)).json()
        by_name = {g["name"]: g for g in groups["groups"]}
        assert by_name["networking.istio.io"]["preferredVersion"]["version"] == "v1"
        assert "gateway.networking.k8s.io" in by_name
        net = await (await session.get(demo.url + "/apis/networking.istio.io/v1alpha3", headers=auth)).json()
        assert "envoyfilters" in {r["name"] for r in net["resources"]}


async def test_errors_are_status_objects_with_real_messages(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    pod = _pod(demo, "productpage")
    async with session:
        response = await session.get(demo.url + "/api/v1/namespaces/bookinfo/pods/nope/log", headers=auth)
        body = await response.json()
        assert response.status == 404
        assert body == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": 'pods "nope" not found',
            "reason": "NotFound",
            "code": 404,
            "details": {"name": "nope", "kind": "pods"},
        }
        response = await session.get(demo.url + f"/api/v1/namespaces/bookinfo/pods/{pod}/log", headers=auth)
        message = (await response.json())["message"]
        assert response.status == 400
        assert message == (
            f"a container name must be specified for pod {pod}, choose one of: [productpage istio-proxy] "
            "or one of the init containers: [istio-init]"
        )
        response = await session.get(demo.url + f"/api/v1/namespaces/bookinfo/pods/{pod}/log?container=x", headers=auth)
        assert (await response.json())["message"] == f"container x is not valid for pod {pod}"
        response = await session.get(demo.url + "/api/v1/pods")
        assert response.status == 401 and (await response.json())["reason"] == "Unauthorized"
        response = await session.delete(demo.url + f"/api/v1/namespaces/bookinfo/pods/{pod}", headers=auth)
        assert response.status == 403, "the stand-in is read-only, like meshtail's RBAC"
        assert "cannot delete resource" in (await response.json())["message"]


async def test_denied_namespace_answers_403_naming_verb_and_resource(demo) -> None:  # type: ignore[no-untyped-def]
    demo.state.deny_namespaces.add("shop")
    session, auth = _client(demo)
    async with session:
        response = await session.get(demo.url + "/api/v1/namespaces/shop/pods", headers=auth)
        body = await response.json()
        assert response.status == 403 and body["reason"] == "Forbidden"
        assert body["message"] == (
            'pods is forbidden: User "meshtail-demo" cannot list resource "pods" in API group "" '
            'in the namespace "shop"'
        )
        ok = await session.get(demo.url + "/api/v1/namespaces/bookinfo/pods", headers=auth)
        assert ok.status == 200


async def test_list_with_selectors_and_table(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    async with session:
        url = demo.url + "/api/v1/pods"
        listed = await (
            await session.get(url, params={"labelSelector": "app=reviews,version!=v1"}, headers=auth)
        ).json()
        assert sorted(p["metadata"]["labels"]["version"] for p in listed["items"]) == ["v2", "v3"]
        assert int(listed["metadata"]["resourceVersion"]) == demo.store.rv
        nodes = await (await session.get(url, params={"fieldSelector": "metadata.namespace=shop"}, headers=auth)).json()
        assert {p["metadata"]["namespace"] for p in nodes["items"]} == {"shop"}
        bad = await session.get(url, params={"fieldSelector": "spec.image=x"}, headers=auth)
        assert bad.status == 400
        table_headers = auth | {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
        table = await (await session.get(url, params={"labelSelector": "app=reviews"}, headers=table_headers)).json()
        assert table["kind"] == "Table"
        assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Ready", "Status", "Restarts", "Age"]
        cells = {row["cells"][0]: row["cells"] for row in table["rows"]}
        v3 = next(n for n in cells if n.startswith("reviews-v3"))
        assert cells[v3][1] == "2/2", "a native sidecar counts as a container, as kubectl shows it"


async def test_watch_replays_from_version_sends_bookmarks_and_410_when_too_old(demo) -> None:  # type: ignore[no-untyped-def]
    demo.state.bookmark_interval = 0.2
    session, auth = _client(demo)
    async with session:
        rv = demo.store.rv
        pod = demo.mesh._one("bookinfo", "ratings")
        demo.mesh.delete_pod(pod)
        url = demo.url + "/api/v1/namespaces/bookinfo/pods"
        params = {"watch": "1", "resourceVersion": str(rv), "allowWatchBookmarks": "true", "timeoutSeconds": "1"}
        response = await session.get(url, params=params, headers=auth)
        assert response.headers["Content-Type"] == "application/json"
        events = [json.loads(line) async for line in response.content if line.strip()]
        types = [e["type"] for e in events]
        assert types[0] == "DELETED" and events[0]["object"]["metadata"]["name"] == pod.name
        assert "BOOKMARK" in types, "bookmarks arrive while nothing changes"
        demo.store.compact()
        response = await session.get(url, params=params | {"resourceVersion": str(rv)}, headers=auth)
        first = json.loads(await response.content.readline())
        assert first["type"] == "ERROR" and first["object"]["code"] == 410 and first["object"]["reason"] == "Expired"


async def test_pod_log_options_follow_the_kubelet(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    pod = _pod(demo, "details")
    log = demo.logs.current("bookinfo", pod, "istio-proxy")
    base = log.lines[-1][0] + 5_000_000_000
    base -= base % 1_000_000_000
    for i in range(5):  # five lines in one second, then one a second later
        log.append(f"line {i}", base + 100 + i)
    log.append("next second", base + 1_000_000_000 + 7)
    url = demo.url + f"/api/v1/namespaces/bookinfo/pods/{pod}/log"
    async with session:

        async def get(**params: str) -> str:
            response = await session.get(url, params={"container": "istio-proxy", **params}, headers=auth)
            assert response.status == 200 and response.headers["Content-Type"] == "text/plain"
            return await response.text()

        assert (await get(tailLines="2")).splitlines() == ["line 4", "next second"]
        stamped = (await get(tailLines="1", timestamps="true")).splitlines()
        assert stamped == [f"{kubelet_timestamp(base + 1_000_000_000 + 7)} next second"]
        assert len(stamped[0].split(" ")[0]) == 30, "RFC3339 with exactly nine fractional digits"
        # sinceTime is truncated to whole seconds: asking for line 3's exact time still returns lines 0-4
        since = kubelet_timestamp(base + 103)
        assert (await get(sinceTime=since)).splitlines()[:5] == [f"line {i}" for i in range(5)]
        assert await get(tailLines="1", limitBytes="4") == "next"
        response = await session.get(
            url, params={"container": "istio-proxy", "sinceTime": since, "sinceSeconds": "5"}, headers=auth
        )
        assert response.status == 422
        response = await session.get(url, params={"container": "istio-proxy", "previous": "true"}, headers=auth)
        assert response.status == 400 and "previous terminated container" in (await response.json())["message"]


async def test_followed_log_streams_new_lines_and_ends_when_the_container_restarts(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    sim = demo.mesh._one("bookinfo", "ratings")
    url = demo.url + f"/api/v1/namespaces/bookinfo/pods/{sim.name}/log"
    async with session:
        response = await session.get(url, params={"container": "istio-proxy", "follow": "true"}, headers=auth)
        assert response.headers.get("Transfer-Encoding") == "chunked"
        got: list[str] = []

        async def read() -> None:
            async for line in response.content:
                got.append(line.decode().rstrip("\n"))

        reader = asyncio.create_task(read())
        sim.logs["istio-proxy"].append("hello while following")
        await eventually(lambda: "hello while following" in got)
        demo.mesh.restart_container(sim, "istio-proxy")
        await asyncio.wait_for(reader, 5)  # clean end of the chunked body
        previous = await session.get(url, params={"container": "istio-proxy", "previous": "true"}, headers=auth)
        assert "hello while following" in await previous.text()
        pod = demo.store.get(POD, "bookinfo", sim.name)
        status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == "istio-proxy")
        assert status["restartCount"] == 1 and status["containerID"] == sim.ids["istio-proxy"]


async def test_pending_container_log_is_a_400_waiting_to_start(demo) -> None:  # type: ignore[no-untyped-def]
    workload = demo.mesh._one("bookinfo", "ratings").workload
    pending = demo.mesh.add_pod(workload)
    session, auth = _client(demo)
    async with session:
        url = demo.url + f"/api/v1/namespaces/bookinfo/pods/{pending.name}/log"
        response = await session.get(url, params={"container": "istio-proxy"}, headers=auth)
        body = await response.json()
        assert response.status == 400
        assert body["message"] == (
            f'container "istio-proxy" in pod "{pending.name}" is waiting to start: ContainerCreating'
        )


@pytest.mark.parametrize("seed", [3, 4])
async def test_simulation_is_deterministic_for_a_seed(seed: int) -> None:
    import re

    from meshtail.demo.run import Demo

    clock = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z|\d{2}/\w{3}/\d{4} \d{2}:\d{2}:\d{2}")
    runs = []
    for _ in range(2):
        stand_in = Demo(seed=seed, rate=0, config_every=40, churn_every=60)
        stand_in.mesh.bootstrap()
        for _ in range(300):
            stand_in.mesh.tick()
        texts = []
        for (ns, pod, container), instances in sorted(stand_in.logs._logs.items()):
            for log in instances:
                # wall-clock times differ between runs (istiod's push versions carry one): only they may
                texts.extend(f"{ns}/{pod}/{container} {clock.sub('T', t)}" for _, t in log.lines)
        runs.append((sorted(stand_in.mesh.pods), texts, stand_in.store.rv))
    assert runs[0] == runs[1]


def test_load_generator_spreads_real_access_lines_over_the_load_pods() -> None:
    """``meshtail demo --pods N --load-rate R`` (the live-ingest benchmark's source) writes lines meshtail parses."""
    from collections import Counter

    from meshtail.demo.run import Demo
    from meshtail.events import RawLine, Source
    from meshtail.parse.detect import StreamParser

    stand_in = Demo(seed=2, rate=0, extra_pods=20, config_every=0, churn_every=0)
    stand_in.mesh.bootstrap()
    load = [p for p in stand_in.mesh.pods.values() if p.workload.namespace == "load"]
    before = {p.name: p.proxy.end for p in load}
    assert stand_in.mesh.load_burst(1000) == 1000
    actions: Counter[str] = Counter()
    for pod in load:
        new = [pod.proxy.line(i)[1] for i in range(before[pod.name], pod.proxy.end)]
        assert len(new) >= 40  # every pod gets its share
        parser = StreamParser()
        for text in new:
            event = parser.parse(RawLine(text, Source("sidecar", "load", pod.name, "istio-proxy"), "x"))
            assert event.format == "envoy-text", text
            actions[event.action] += 1
    assert sum(actions.values()) == 1000
    assert actions["http.request"] > 900 and actions["authz.deny"] > 0 and actions["upstream.failure"] > 0
