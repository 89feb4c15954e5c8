"""Real kubectl against the stand-in's apps/v1: Deployments, ReplicaSets, DaemonSets and ``deploy/NAME``.

The chain kubectl walks is the one a real cluster has: ``kubectl logs deploy/NAME`` reads the
Deployment's selector and lists pods with it; ``kubectl describe deploy`` finds its ReplicaSet
by selector, controller ownerReference and template.  These tests run the real client and
check, besides its output, the requests that prove it took that path.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any
from urllib.parse import unquote

import pytest

from meshtail.demo.selectors import label_selector

from .test_kubectl import kubectl

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed (.ci/run installs it)"
)


def _rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.strip()]


def _deployments(demo) -> dict[tuple[str, str], Any]:  # type: ignore[no-untyped-def]
    return {key: c for key, c in demo.mesh.controllers.items() if c.kind == "Deployment"}


async def _objects(demo, tmp, resource: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp, "get", resource, "-A", "-o", "json")
    assert code == 0, err
    return json.loads(out)["items"]


async def test_discovery_serves_the_apps_group(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "api-resources", "--api-group=apps", "--no-headers")
    assert code == 0, err
    found = {row[0]: row for row in _rows(out)}
    assert set(found) == {"deployments", "replicasets", "daemonsets"}
    assert found["deployments"][1:] == ["deploy", "apps/v1", "true", "Deployment"]
    assert found["replicasets"][1:] == ["rs", "apps/v1", "true", "ReplicaSet"]
    assert found["daemonsets"][1:] == ["ds", "apps/v1", "true", "DaemonSet"]
    code, out, err = await kubectl(demo, tmp_path, "api-versions")
    assert code == 0 and "apps/v1" in out.split(), err


async def test_get_deployments_all_namespaces(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "deploy", "-A")
    assert code == 0, err
    rows = _rows(out)
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert {(r[0], r[1]) for r in rows[1:]} == set(_deployments(demo))
    assert ("bookinfo", "productpage-v1") in {(r[0], r[1]) for r in rows[1:]}
    assert all(r[2:5] == ["1/1", "1", "1"] for r in rows[1:]), out
    code, out, err = await kubectl(demo, tmp_path, "get", "ds", "-n", "istio-system")
    assert code == 0, err
    assert _rows(out)[0] == [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE",
        "SELECTOR",
        "AGE",
    ]
    assert _rows(out)[1][:7] == ["ztunnel", "2", "2", "2", "2", "2", "<none>"]


async def test_get_replicasets_wide_and_by_label(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "rs", "-n", "bookinfo", "-o", "wide")
    assert code == 0, err
    rows = _rows(out)
    assert rows[0] == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    owners = {c.owner_name: c for (ns, _), c in _deployments(demo).items() if ns == "bookinfo"}
    assert {r[0] for r in rows[1:]} == set(owners)
    for row in rows[1:]:
        owner = owners[row[0]]
        assert row[1:4] == ["1", "1", "1"]
        assert f"pod-template-hash={owner.hash}" in row[7].split(","), "the ReplicaSet selects its own pods only"
        (pod,) = owner.pods.values()
        assert pod.name.startswith(row[0] + "-"), "pods are named after their ReplicaSet"
    code, out, err = await kubectl(demo, tmp_path, "get", "deploy", "-n", "bookinfo", "-l", "app=reviews", "-o", "name")
    assert code == 0, err
    assert out.split() == [f"deployment.apps/reviews-{v}" for v in ("v1", "v2", "v3")]


async def test_describe_deployment_finds_its_new_replicaset(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    owner = demo.mesh.controllers[("bookinfo", "productpage-v1")]
    code, out, err = await kubectl(demo, tmp_path, "describe", "deploy", "-n", "bookinfo", "productpage-v1")
    assert code == 0, err
    lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in out.splitlines() if ":" in line}
    assert lines["Selector"] == "app=productpage,version=v1"
    assert lines["Replicas"] == "1 desired | 1 updated | 1 total | 1 available | 0 unavailable"
    # describe keeps a ReplicaSet only if its controller ownerReference has the Deployment's uid and its
    # template equals the Deployment's but for pod-template-hash: this line proves both
    assert lines["NewReplicaSet"] == f"{owner.owner_name} (1/1 replicas created)"
    assert lines["OldReplicaSets"] == "<none>"
    code, out, err = await kubectl(demo, tmp_path, "describe", "rs", "-n", "bookinfo", owner.owner_name)
    assert code == 0, err
    assert "Controlled By:  Deployment/productpage-v1" in out
    assert "Pods Status:    1 Running / 0 Waiting / 0 Succeeded / 0 Failed" in out


async def test_logs_of_deploy_name_resolve_through_the_selector(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "productpage")
    for _ in range(5):
        demo.mesh.browse()
    before = len(demo.state.requests)
    code, out, err = await kubectl(
        demo, tmp_path, "logs", "-n", "bookinfo", "deploy/productpage-v1", "-c", "istio-proxy"
    )
    assert code == 0, err
    assert out.splitlines() == [text for _, text in sim.logs["istio-proxy"].lines]
    asked = [unquote(path) for _, path in list(demo.state.requests)[before:]]
    assert "/apis/apps/v1/namespaces/bookinfo/deployments/productpage-v1" in asked
    assert any(
        p.startswith("/api/v1/namespaces/bookinfo/pods?labelSelector=app=productpage,version=v1") for p in asked
    ), "kubectl found the pod through the Deployment's selector"
    assert any(p.startswith(f"/api/v1/namespaces/bookinfo/pods/{sim.name}/log") for p in asked)
    # a DaemonSet the same way; with two pods kubectl says which one it took
    code, out, err = await kubectl(demo, tmp_path, "logs", "-n", "istio-system", "ds/ztunnel", "--tail=1")
    assert code == 0, err
    chosen = err.split("using pod/")[1].split()[0]
    assert chosen in demo.mesh.controllers[("istio-system", "ztunnel")].pods


async def test_logs_follow_of_deploy_name(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "details")
    before = len(sim.logs["istio-proxy"].lines)

    async def traffic() -> None:
        for _ in range(10):
            await asyncio.sleep(0.2)
            demo.mesh.browse()

    task = asyncio.create_task(traffic())
    _code, out, _err = await kubectl(
        demo, tmp_path, "logs", "-f", "-n", "bookinfo", "deploy/details-v1", "-c", "istio-proxy", stop_after=3.5
    )
    await task
    written = [text for _, text in sim.logs["istio-proxy"].lines]
    assert len(written) > before, "traffic reached details while kubectl followed it"
    assert out.splitlines() == written, "everything, in order, including lines written while following"


async def test_get_deployments_watch_shows_a_scale_down(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def scale() -> None:
        await asyncio.sleep(1.5)
        demo.mesh.scale_down(demo.mesh._one("bookinfo", "sleep"))

    task = asyncio.create_task(scale())
    _code, out, _err = await kubectl(
        demo, tmp_path, "get", "deploy", "-n", "bookinfo", "-w", "--request-timeout=0", stop_after=3.5
    )
    await task
    rows = _rows(out)
    assert rows[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    sleep = [r[1] for r in rows[1:] if r[0] == "sleep"]
    assert sleep[0] == "1/1" and sleep[-1] == "0/0", out


async def test_ownership_chain_stays_whole_through_churn_and_restarts(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mesh = demo.mesh
    first_ratings = mesh._one("bookinfo", "ratings").name
    for _ in range(8):  # every churn step twice: restart, replace, scale to 0 and back, scale 1 -> 2 -> 1
        mesh.churn()
        mesh._promote_pending()
    for _ in range(8):  # workloads created and deleted (fault "churn")
        mesh.churn_load(keep=3)
    for pod in sorted(mesh.pods.values(), key=lambda p: p.name)[:5]:
        mesh.restart_container(pod, next(iter(pod.ids)))
    # the premise: pods really came and went, and a workload was removed with its pod
    assert mesh._one("bookinfo", "ratings").name != first_ratings
    assert mesh.pods.get(("bookinfo", first_ratings)) is None
    assert ("load", "churn001-v1") not in mesh.controllers and ("load", "churn008-v1") in mesh.controllers

    pods = await _objects(demo, tmp_path, "pods")
    replicasets = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in await _objects(demo, tmp_path, "rs")}
    deployments = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o for o in await _objects(demo, tmp_path, "deploy")
    }
    daemonsets = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in await _objects(demo, tmp_path, "ds")}
    assert not any(ns == "load" and name.startswith("churn001") for ns, name in replicasets), "no orphan ReplicaSet"
    owned: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for pod in pods:
        meta = pod["metadata"]
        (ref,) = [r for r in meta["ownerReferences"] if r.get("controller")]
        parents = replicasets if ref["kind"] == "ReplicaSet" else daemonsets
        parent = parents[(meta["namespace"], ref["name"])]
        assert ref["uid"] == parent["metadata"]["uid"], f"{meta['name']} points at a live owner"
        assert label_selector(",".join(f"{k}={v}" for k, v in parent["spec"]["selector"]["matchLabels"].items()))(
            meta["labels"]
        ), "the owner's selector selects the pod"
        owned.setdefault((meta["namespace"], ref["name"]), []).append(pod)
    for key, rs in replicasets.items():
        (ref,) = rs["metadata"]["ownerReferences"]
        deployment = deployments[(key[0], ref["name"])]
        assert ref["uid"] == deployment["metadata"]["uid"]
        assert rs["spec"]["replicas"] == deployment["spec"]["replicas"] == len(owned.get(key, []))
        running = sum(1 for p in owned.get(key, []) if p["status"]["phase"] == "Running")
        assert rs["status"]["replicas"] == len(owned.get(key, []))
        assert rs["status"].get("readyReplicas", 0) == deployment["status"].get("readyReplicas", 0) == running
        assert deployment["status"]["observedGeneration"] == deployment["metadata"]["generation"]
    assert len(deployments) == len(replicasets), "one ReplicaSet per Deployment"
    assert deployments[("bookinfo", "sleep")]["metadata"]["generation"] > 1, "sleep was scaled (0 and back)"
    # kubectl follows the chain to the replacement pod
    code, out, err = await kubectl(demo, tmp_path, "logs", "-n", "bookinfo", "deploy/ratings-v1", "-c", "istio-proxy")
    assert code == 0, err
    assert out.splitlines() == [text for _, text in mesh._one("bookinfo", "ratings").logs["istio-proxy"].lines]
