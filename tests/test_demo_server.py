"""The stand-in API server speaks the Kubernetes API as real clients see it (over real HTTPS)."""

from __future__ import annotations

import asyncio
import gzip
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
        assert [(c["name"], c["priority"]) for c in table["columnDefinitions"]] == [
            ("Name", 0),
            ("Ready", 0),
            ("Status", 0),
            ("Restarts", 0),
            ("Age", 0),
            ("IP", 1),
            ("Node", 1),
            ("Nominated Node", 1),
            ("Readiness Gates", 1),
        ]
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
        # graceful deletion: marked (deletionTimestamp) first, then gone
        assert types[:2] == ["MODIFIED", "DELETED"] and events[0]["object"]["metadata"]["name"] == pod.name
        assert events[0]["object"]["metadata"]["deletionTimestamp"]
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
            f'container "istio-proxy" in pod "{pending.name}" is waiting to start: PodInitializing'
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


_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


async def test_unparsable_integer_parameters_are_status_objects_as_the_api_server_answers(demo) -> None:  # type: ignore[no-untyped-def]
    """An unparsable integer parameter is a JSON Status, never a plain-text 500 with a traceback (found by an outside
    audit): 400 BadRequest for the handler's own parameters; for ``resourceVersion`` the storage layer's 500 without a
    reason, as real API servers answer it (kubernetes/kubernetes#113939, #139485)."""
    session, auth = _client(demo)
    url = demo.url + "/api/v1/pods"
    async with session:

        async def refused(params: dict[str, str], code: int = 400) -> str:
            response = await session.get(url, params=params, headers=auth)
            assert response.status == code, (params, response.status, await response.text())
            body = await response.json()  # a Status object, never a plain-text traceback
            assert (body["kind"], body.get("reason", ""), body["code"]) == (
                "Status",
                "BadRequest" if code == 400 else "",
                code,
            )
            return str(body["message"])

        message = await refused({"watch": "1", "resourceVersion": "abc"}, 500)
        assert message == 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'
        message = await refused({"watch": "1", "resourceVersion": "-5"}, 500)
        assert message == 'resourceVersion: Invalid value: "-5": strconv.ParseUint: parsing "-5": invalid syntax'
        assert await refused({"watch": "1", "timeoutSeconds": "soon"}) == (
            'strconv.ParseInt: parsing "soon": invalid syntax'
        )
        assert await refused({"watch": "1", "timeoutSeconds": "1.5"}) == (
            'strconv.ParseInt: parsing "1.5": invalid syntax'
        )
        assert await refused({"limit": "abc"}) == 'strconv.ParseInt: parsing "abc": invalid syntax'
        assert await refused({"limit": "99999999999999999999"}) == (
            'strconv.ParseInt: parsing "99999999999999999999": value out of range'
        )
        assert "ParseUint" in await refused({"resourceVersion": "x1"}, 500)
        # the premise: the same parameters, well formed, are served
        ok = await session.get(url, params={"watch": "1", "resourceVersion": "0", "timeoutSeconds": "1"}, headers=auth)
        assert ok.status == 200
        await ok.read()


async def test_lists_page_with_limit_and_continue_on_one_snapshot(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    url = demo.url + "/api/v1/pods"
    everything = {(p.workload.namespace, p.name) for p in demo.mesh.pods.values()}
    assert len(everything) > 6, "the premise: enough pods for several pages"
    async with session:
        first = await (await session.get(url, params={"limit": "2"}, headers=auth)).json()
        assert len(first["items"]) == 2
        assert first["metadata"]["remainingItemCount"] == len(everything) - 2
        rv = first["metadata"]["resourceVersion"]
        # the cluster changes between pages: the pages still add up to the list as it was at rv
        gone = demo.mesh._one("shop", "cart")
        demo.mesh.delete_pod(gone)
        demo.mesh.add_pod(gone.workload)
        seen = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in first["items"]]
        token = first["metadata"]["continue"]
        pages = 1
        while token:
            page = await (await session.get(url, params={"limit": "2", "continue": token}, headers=auth)).json()
            assert page["metadata"]["resourceVersion"] == rv, "every page is read at the first page's version"
            seen += [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in page["items"]]
            token = page["metadata"].get("continue")
            pages += 1
        assert seen == sorted(seen, key=lambda k: f"{k[0]}/{k[1]}"), "in etcd key order"
        assert set(seen) == everything and len(seen) == len(everything)
        assert pages == (len(everything) + 1) // 2
        # a Table pages the same way
        table = await (await session.get(url, params={"limit": "3"}, headers=auth | {"Accept": _TABLE})).json()
        assert table["kind"] == "Table" and len(table["rows"]) == 3 and table["metadata"]["continue"]
        # a token that is no token: 400; one the history no longer reaches: 410 Expired, with a way on
        bad = await session.get(url, params={"limit": "2", "continue": "not a token"}, headers=auth)
        body = await bad.json()
        assert bad.status == 400 and body["reason"] == "BadRequest"
        assert body["message"].startswith("invalid continue token: continue key is not valid")
        demo.store.compact()
        expired = await session.get(url, params={"limit": "2", "continue": first["metadata"]["continue"]}, headers=auth)
        body = await expired.json()
        assert expired.status == 410 and body["reason"] == "Expired" and body["code"] == 410
        assert body["message"].startswith("The provided continue parameter is too old")
        onward = await session.get(url, params={"limit": "50", "continue": body["metadata"]["continue"]}, headers=auth)
        rest = await onward.json()
        assert onward.status == 200 and "continue" not in rest["metadata"]
        # the offered token goes on after the first page, at the latest version (an inconsistent list)
        after = f"{seen[1][0]}/{seen[1][1]}"
        now = sorted(f"{p.workload.namespace}/{p.name}" for p in demo.mesh.pods.values())
        assert [f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in rest["items"]] == [
            k for k in now if k > after
        ]


async def test_table_rows_carry_what_include_object_asks_for(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    url = demo.url + "/api/v1/namespaces/bookinfo/pods"
    headers = auth | {"Accept": _TABLE}
    async with session:
        default = await (await session.get(url, headers=headers)).json()
        assert {r["object"]["kind"] for r in default["rows"]} == {"PartialObjectMetadata"}
        whole = await (await session.get(url, params={"includeObject": "Object"}, headers=headers)).json()
        objects = [r["object"] for r in whole["rows"]]
        assert {o["kind"] for o in objects} == {"Pod"} and all(o["status"]["podIP"] for o in objects)
        bare = await (await session.get(url, params={"includeObject": "None"}, headers=headers)).json()
        assert [r["object"] for r in bare["rows"]] == [None] * len(bare["rows"]) and bare["rows"]
        wrong = await session.get(url, params={"includeObject": "All"}, headers=headers)
        assert wrong.status == 400 and (await wrong.json())["message"] == 'unrecognized includeObject value: "All"'


async def test_pod_table_cells_are_the_real_printers(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    sim = demo.mesh._one("bookinfo", "ratings")
    demo.mesh.restart_container(sim, "ratings")
    async with session:
        url = demo.url + f"/api/v1/namespaces/bookinfo/pods/{sim.name}"
        table = await (await session.get(url, headers=auth | {"Accept": _TABLE})).json()
        names = [c["name"] for c in table["columnDefinitions"]]
        cells = dict(zip(names, table["rows"][0]["cells"], strict=True))
        assert cells["Restarts"].startswith("1 (") and cells["Restarts"].endswith(" ago)"), cells
        assert (cells["IP"], cells["Node"], cells["Nominated Node"]) == (sim.ip, sim.node, "<none>")
        other = demo.mesh._one("bookinfo", "details")
        row = await (
            await session.get(
                demo.url + f"/api/v1/namespaces/bookinfo/pods/{other.name}", headers=auth | {"Accept": _TABLE}
            )
        ).json()
        assert row["rows"][0]["cells"][3] == "0", "a string, as the column declares"
        namespaces = await (
            await session.get(demo.url + "/api/v1/namespaces", headers=auth | {"Accept": _TABLE})
        ).json()
        assert [c["name"] for c in namespaces["columnDefinitions"]] == ["Name", "Status", "Age"]
        assert {r["cells"][1] for r in namespaces["rows"]} == {"Active"}


async def test_log_options_are_validated_as_the_api_server_does(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    pod = _pod(demo, "details")
    url = demo.url + f"/api/v1/namespaces/bookinfo/pods/{pod}/log"
    async with session:

        async def answer(**params: str) -> tuple[int, dict]:  # type: ignore[type-arg]
            response = await session.get(url, params={"container": "istio-proxy", **params}, headers=auth)
            return response.status, await response.json()

        for params, field_, text in [
            ({"tailLines": "-1"}, "tailLines", "Invalid value: -1: must be greater than or equal to 0"),
            ({"limitBytes": "0"}, "limitBytes", "Invalid value: 0: must be greater than 0"),
            ({"sinceSeconds": "0"}, "sinceSeconds", "Invalid value: 0: must be greater than 0"),
            ({"sinceSeconds": "-3"}, "sinceSeconds", "Invalid value: -3: must be greater than 0"),
        ]:
            code, body = await answer(**params)
            assert (code, body["reason"]) == (422, "Invalid"), params
            assert body["message"] == f'PodLogOptions "{pod}" is invalid: {field_}: {text}'
            assert body["details"]["causes"][0]["field"] == field_
        code, body = await answer(sinceTime="yesterday")
        assert (code, body["reason"]) == (400, "BadRequest")
        assert body["message"] == (
            'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'
        )
        code, body = await answer(sinceTime="2025-01-02 03:04:05Z")
        assert code == 400 and body["message"].endswith('cannot parse " 03:04:05Z" as "T"')
        code, body = await answer(tailLines="many")
        assert (code, body["message"]) == (400, 'strconv.ParseInt: parsing "many": invalid syntax')
        # the premise: valid values are served
        ok = await session.get(
            url, params={"container": "istio-proxy", "tailLines": "0", "sinceSeconds": "1"}, headers=auth
        )
        assert ok.status == 200


async def test_completed_init_container_serves_its_log_and_reports_its_run(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    pod = _pod(demo, "reviews")
    async with session:
        got = await (await session.get(demo.url + f"/api/v1/namespaces/bookinfo/pods/{pod}", headers=auth)).json()
        init = next(s for s in got["status"]["initContainerStatuses"] if s["name"] == "istio-init")
        done = init["state"]["terminated"]
        assert done["reason"] == "Completed" and done["exitCode"] == 0
        assert done["startedAt"] and done["finishedAt"] and done["startedAt"] <= done["finishedAt"]
        assert init["containerID"] == done["containerID"] and init["containerID"].startswith("containerd://")
        assert got["status"]["podIPs"] == [{"ip": got["status"]["podIP"]}]
        url = demo.url + f"/api/v1/namespaces/bookinfo/pods/{pod}/log"
        response = await session.get(url, params={"container": "istio-init"}, headers=auth)
        assert response.status == 200, await response.text()
        text = await response.text()
        assert "\tinfo\tIstio iptables environment:" in text.splitlines()[0]
        assert "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001" in text.splitlines()
        # a followed log of an exited container ends at once, as the kubelet's does
        followed = await session.get(url, params={"container": "istio-init", "follow": "true"}, headers=auth)
        assert await asyncio.wait_for(followed.text(), 5) == text


async def test_not_found_names_the_object_and_its_group(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    async with session:
        response = await session.get(demo.url + "/api/v1/namespaces/nons/pods/x", headers=auth)
        body = await response.json()
        assert response.status == 404 and body["message"] == 'pods "x" not found'
        url = demo.url + "/apis/networking.istio.io/v1/namespaces/bookinfo/virtualservices/nope"
        response = await session.get(url, headers=auth)
        body = await response.json()
        assert response.status == 404 and body["message"] == 'virtualservices.networking.istio.io "nope" not found'
        assert body["details"] == {"name": "nope", "group": "networking.istio.io", "kind": "virtualservices"}


async def test_self_subject_access_reviews_decide_and_word_as_rbac(demo) -> None:  # type: ignore[no-untyped-def]
    url = demo.url + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    session, auth = _client(demo)

    async def review(spec: dict, **headers: str) -> tuple[int, dict]:  # type: ignore[type-arg]
        body = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "spec": spec}
        response = await session.post(url, json=body, headers={**auth, **headers})
        return response.status, await response.json()

    async with session:
        code, answer = await review(
            {"resourceAttributes": {"namespace": "bookinfo", "verb": "list", "resource": "pods"}}
        )
        assert code == 201 and answer["kind"] == "SelfSubjectAccessReview"
        assert answer["spec"]["resourceAttributes"]["verb"] == "list"
        assert answer["status"] == {
            "allowed": True,
            "reason": 'RBAC: allowed by ClusterRoleBinding "meshtail-reader" of ClusterRole "meshtail-reader" '
            'to Group "system:authenticated"',
        }
        code, answer = await review({"resourceAttributes": {"verb": "get", "resource": "pods", "subresource": "log"}})
        assert answer["status"]["allowed"] is True
        code, answer = await review(
            {"resourceAttributes": {"verb": "watch", "group": "security.istio.io", "resource": "authorizationpolicies"}}
        )
        assert answer["status"]["allowed"] is True
        code, answer = await review(
            {"resourceAttributes": {"namespace": "bookinfo", "verb": "delete", "resource": "pods"}}
        )
        assert code == 201 and answer["status"] == {"allowed": False}, "RBAC has no opinion: denied, no reason"
        code, answer = await review({"nonResourceAttributes": {"path": "/openapi/v3", "verb": "get"}})
        assert answer["status"] == {
            "allowed": True,
            "reason": 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" '
            'to Group "system:authenticated"',
        }
        code, answer = await review({"nonResourceAttributes": {"path": "/metrics", "verb": "get"}})
        assert answer["status"] == {"allowed": False}
        code, answer = await review(
            {"resourceAttributes": {"verb": "list", "resource": "pods"}}, **{"Impersonate-User": "alice"}
        )
        assert answer["status"]["allowed"] is True, "every signed-in user holds meshtail-reader (a demo cluster)"
        code, answer = await review({})
        assert code == 422 and answer["reason"] == "Invalid"
        assert "exactly one of nonResourceAttributes or resourceAttributes must be specified" in answer["message"]
        # reviews are create-only; other reviews, and every other write, stay forbidden
        response = await session.get(url, headers=auth)
        assert response.status == 405 and (await response.json())["reason"] == "MethodNotAllowed"
        response = await session.post(
            demo.url + "/apis/authorization.k8s.io/v1/subjectaccessreviews", json={}, headers=auth
        )
        assert response.status == 403
        assert (await response.json())["message"] == (
            f'subjectaccessreviews.authorization.k8s.io is forbidden: User "{demo.state.user}" cannot create '
            'resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope'
        )
        response = await session.post(demo.url + "/api/v1/namespaces/bookinfo/pods", json={}, headers=auth)
        assert response.status == 403 and "cannot create resource" in (await response.json())["message"]
        rules = await session.post(
            demo.url + "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            json={"spec": {"namespace": "bookinfo"}},
            headers=auth,
        )
        status_ = (await rules.json())["status"]
        assert rules.status == 201 and status_["incomplete"] is False
        assert {"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]} in status_["resourceRules"]
        # reads, the self reviews, and (for the kubeconfig's own user) impersonation
        verbs = {v for r in status_["resourceRules"] for v in r["verbs"]}
        assert {"create", "get", "list", "watch", "impersonate"} == verbs


async def test_review_kinds_are_discoverable_with_create_only(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    async with session:
        groups = await (await session.get(demo.url + "/apis", headers=auth)).json()
        names = [g["name"] for g in groups["groups"]]
        assert names.index("apps") < names.index("authentication.k8s.io") < names.index("authorization.k8s.io")
        listing = await (await session.get(demo.url + "/apis/authorization.k8s.io/v1", headers=auth)).json()
        verbs = {r["name"]: r["verbs"] for r in listing["resources"]}
        assert verbs["selfsubjectaccessreviews"] == ["create"] and verbs["selfsubjectrulesreviews"] == ["create"]
        listing = await (await session.get(demo.url + "/apis/authentication.k8s.io/v1", headers=auth)).json()
        assert {r["name"]: r["verbs"] for r in listing["resources"]}["selfsubjectreviews"] == ["create"]
        whoami = await session.post(
            demo.url + "/apis/authentication.k8s.io/v1/selfsubjectreviews", json={}, headers=auth
        )
        user = (await whoami.json())["status"]["userInfo"]
        assert user == {"username": demo.state.user, "groups": ["system:authenticated"]}


async def test_openapi_v3_documents_as_a_real_server_serves_them(demo) -> None:  # type: ignore[no-untyped-def]
    session, auth = _client(demo)
    async with session:
        root = await session.get(demo.url + "/openapi/v3", headers=auth)
        assert root.status == 200 and root.content_type == "application/json"
        paths = (await root.json())["paths"]
        assert "api/v1" in paths and "apis/networking.istio.io/v1alpha3" in paths
        for group_version, entry in paths.items():
            url = demo.url + entry["serverRelativeURL"]
            response = await session.get(url, headers={**auth, "Accept": "application/json"})
            assert response.status == 200 and response.content_type == "application/json", group_version
            assert response.headers["Cache-Control"] == "public, immutable"
            doc = await response.json()
            schemas = doc["components"]["schemas"]
            assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas
            patched = set()
            for path, item in doc["paths"].items():
                patch = item.get("patch")
                if patch is None:
                    continue
                names = {p["name"] for p in patch["parameters"] if p["in"] == "query"}
                assert {"fieldValidation", "dryRun", "fieldManager", "force"} <= names, path
                gvk = patch["x-kubernetes-group-version-kind"]
                patched.add(gvk["kind"])
                kinds = [s for s in schemas.values() if gvk in s.get("x-kubernetes-group-version-kind", [])]
                assert len(kinds) == 1, (path, gvk)
                properties = kinds[0]["properties"]
                assert properties["metadata"]["allOf"] == [
                    {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
                ]
            listing = await (await session.get(demo.url + "/" + group_version, headers=auth)).json()
            readable = {r["kind"] for r in listing["resources"] if "get" in r["verbs"] and "/" not in r["name"]}
            assert readable <= patched, (group_version, readable - patched)
        # the protobuf encoding alone is not served: 406, and the client asks for JSON
        url = demo.url + paths["api/v1"]["serverRelativeURL"]
        proto = await session.get(
            url, headers={**auth, "Accept": "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"}
        )
        assert proto.status == 406
        stale = await session.get(demo.url + "/openapi/v3/api/v1?hash=ABC", headers=auth, allow_redirects=False)
        assert stale.status == 301 and stale.headers["Location"] == paths["api/v1"]["serverRelativeURL"]
        missing = await session.get(demo.url + "/openapi/v3/apis/nope/v1", headers=auth)
        assert missing.status == 404
        assert (await session.get(demo.url + "/openapi/v2", headers=auth)).status == 404


async def test_hostile_parameters_and_bodies_are_status_objects_and_writes_are_refused(demo) -> None:  # type: ignore[no-untyped-def]
    """Found in review of the audit's fixes: inputs that still ended in a traceback and a plain-text 500 (5,000-digit
    integers, times Python cannot hold, a deeply nested review body), discovery paths that answered a POST with 200,
    a forged continue token from the future served as if current, and the OpenAPI cache growing with every path
    asked for."""
    from meshtail.demo import openapi
    from meshtail.demo.server import encode_continue

    session, auth = _client(demo)
    pods = demo.url + "/api/v1/pods"
    async with session:

        async def answer(method: str, url: str, **kwargs) -> tuple[int, dict]:  # type: ignore[no-untyped-def,type-arg]
            response = await session.request(method, url, headers=auth, **kwargs)
            text = await response.text()
            return response.status, json.loads(text)  # a Status object, never a plain-text traceback

        huge = "1" * 5000
        code, body = await answer("GET", pods, params={"limit": huge})
        assert (code, body["reason"]) == (400, "BadRequest") and "value out of range" in body["message"]
        code, body = await answer("GET", pods, params={"watch": "1", "resourceVersion": huge})
        assert code == 500 and "value out of range" in body["message"]
        listing = await answer("GET", demo.url + "/api/v1/namespaces/bookinfo/pods")
        name = listing[1]["items"][0]["metadata"]["name"]
        log = f"{demo.url}/api/v1/namespaces/bookinfo/pods/{name}/log"
        for since in ("2026-01-01T00:00:00+24:00", "0000-01-01T00:00:00Z"):
            code, body = await answer("GET", log, params={"sinceTime": since, "container": "istio-proxy"})
            assert (code, body["reason"]) == (400, "BadRequest"), (since, body)
        review = demo.url + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
        code, body = await answer("POST", review, data=b"[" * 100_000 + b"]" * 100_000)
        assert code == 400
        code, body = await answer("POST", review, json={"spec": {"resourceAttributes": "x"}})
        assert code == 400
        code, body = await answer("POST", review, json={"spec": {"resourceAttributes": {"verb": ["list"]}}})
        assert code == 400
        for method, path in (("POST", "/api"), ("POST", "/apis"), ("DELETE", "/apis/networking.istio.io/v1"),
                             ("POST", "/version"), ("PUT", "/openapi/v3")):  # fmt: skip
            code, body = await answer(method, demo.url + path)
            # (writes to non-resource URLs are judged by RBAC before routing, as on a real server: 403, not 405)
            assert (code, body["reason"]) == (403, "Forbidden"), (method, path)
        # a health path is a non-resource URL: authorization runs first, and nobody may post to it
        code, body = await answer("POST", demo.url + "/healthz")
        assert (code, body["message"]) == (403, f'forbidden: User "{demo.state.user}" cannot post path "/healthz"')
        future = encode_continue("bookinfo/", 10**20)
        code, body = await answer("GET", pods, params={"limit": "2", "continue": future})
        assert (code, body["reason"]) == (504, "Timeout") and "Too large resource version" in body["message"]
        before = openapi._document.cache_info().currsize
        for n in range(50):
            response = await session.get(f"{demo.url}/openapi/v3/apis/nothing{n}/v1", headers=auth)
            assert response.status == 404
            await response.read()
        assert openapi._document.cache_info().currsize == before
        # the premise: the same requests, well formed, are served
        ok = await session.get(pods, params={"limit": "2"}, headers=auth)
        assert ok.status == 200 and (await ok.json())["metadata"].get("continue")


async def test_the_version_is_anyones_to_read_as_on_a_real_server(demo) -> None:  # type: ignore[no-untyped-def]
    """kube-apiserver's anonymous requests may read /version (system:public-info-viewer, bound to
    system:unauthenticated): the stand-in answered 401 while /healthz answered (an outside audit with curl)."""
    session, _auth = _client(demo)
    async with session:
        anonymous = await session.get(demo.url + "/version")
        assert anonymous.status == 200
        assert (await anonymous.json())["gitVersion"].startswith("v1.")
        assert (await session.get(demo.url + "/healthz")).status == 200  # the premise: the same rule as /healthz
        wrong = await session.get(demo.url + "/version", headers={"Authorization": "Bearer not-a-token"})
        assert wrong.status == 401  # a token that fails authentication is no anonymous request
        posted = await session.post(demo.url + "/version")
        body = await posted.json()
        said = 'forbidden: User "system:anonymous" cannot post path "/version"'
        assert (posted.status, body["message"]) == (403, said)
        assert (await session.get(demo.url + "/api/v1/pods")).status == 401  # everything else still needs a token


async def test_big_answers_are_gzipped_for_clients_that_accept_it_and_every_answer_is_not_cached(demo) -> None:  # type: ignore[no-untyped-def]
    """kube-apiserver gzips a whole answer over 128 KiB when asked (never a stream) and marks every answer
    ``Cache-Control: no-cache, private``; an outside audit with curl found neither.  A 429 says when to come back
    in its details too (errors.NewTooManyRequests)."""
    session, auth = _client(demo)
    async with session:
        gzip_ok = {**auth, "Accept-Encoding": "gzip"}
        big = await session.get(demo.url + "/openapi/v3/api/v1", headers=gzip_ok, auto_decompress=False)
        raw = await big.read()
        assert big.headers.get("Content-Encoding") == "gzip"
        assert len(gzip.decompress(raw)) > 128 * 1024 > len(raw)  # the premise: big, and sent smaller
        identity = {**auth, "Accept-Encoding": "identity"}  # (aiohttp's client asks for gzip by default)
        plain = await session.get(demo.url + "/openapi/v3/api/v1", headers=identity, auto_decompress=False)
        assert "Content-Encoding" not in plain.headers and len(await plain.read()) > 128 * 1024
        small = await session.get(demo.url + "/api/v1/namespaces", headers=gzip_ok, auto_decompress=False)
        assert "Content-Encoding" not in small.headers and small.headers["Cache-Control"] == "no-cache, private"
        assert "Server" not in small.headers  # Go's net/http names no server
        await small.read()
        demo.state.throttle_next = 1
        limited = await session.get(demo.url + "/api/v1/namespaces", headers=auth)
        body = await limited.json()
        assert (limited.status, body["details"]) == (429, {"retryAfterSeconds": 1})
        assert limited.headers["Retry-After"] == "1"
