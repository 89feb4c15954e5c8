"""Real kubectl against the stand-in, where an outside audit found it answered unlike a real 1.31 API server.

Each test names what a real server does and checks kubectl sees the same: pods as the kubelet
and admission leave them, ages as kubectl words them, discovery order, the core kinds every
cluster has, field and label selectors, discovery verbs, health endpoints and impersonation.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from meshtail.demo.resources import POD
from meshtail.demo.store import rfc3339

from .test_kubectl import kubectl

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed (.ci/run installs it)"
)


def _rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.strip()]


async def _json(demo, tmp, *args: str) -> Any:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp, *args, "-o", "json")
    assert code == 0, err
    return json.loads(out)


# ---- 1. pods as the kubelet and admission leave them ------------------------------------------------


async def test_kubectl_wait_for_ready_and_sort_by_start_time(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "details")
    code, out, err = await kubectl(
        demo, tmp_path, "wait", "--for=condition=Ready", f"pod/{sim.name}", "-n", "bookinfo", "--timeout=5s"
    )
    assert (code, out.strip()) == (0, f"pod/{sim.name} condition met"), err
    code, out, err = await kubectl(demo, tmp_path, "get", "pods", "-A", "--sort-by=.status.startTime")
    assert code == 0 and "No resources found" not in out + err, out + err
    assert len(_rows(out)) - 1 == len(demo.mesh.pods)


async def test_pods_carry_the_defaults_and_status_a_real_pod_has(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "details")
    pod = await _json(demo, tmp_path, "get", "pod", sim.name, "-n", "bookinfo")
    spec, status = pod["spec"], pod["status"]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["terminationGracePeriodSeconds"]) == (
        "Always",
        "ClusterFirst",
        30,
    )
    assert spec["schedulerName"] == "default-scheduler" and spec["enableServiceLinks"] is True
    assert {c["imagePullPolicy"] for c in spec["containers"] + spec["initContainers"]} == {"IfNotPresent"}
    (volume,) = spec["volumes"]
    assert volume["name"].startswith("kube-api-access-") and "projected" in volume
    assert all(volume["name"] in {m["name"] for m in c["volumeMounts"]} for c in spec["containers"])
    assert {t["key"] for t in spec["tolerations"]} == {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert {c["status"] for c in status["conditions"]} == {"True"}
    assert status["startTime"] == pod["metadata"]["creationTimestamp"]
    assert status["qosClass"] == "Burstable", "the injected proxy has requests and limits"
    for entry in status["containerStatuses"]:
        assert entry["lastState"] == {} and "@sha256:" in entry["imageID"], entry
    ambient = demo.mesh._one("shop", "cart")
    other = await _json(demo, tmp_path, "get", "pod", ambient.name, "-n", "shop")
    assert other["status"]["qosClass"] == "BestEffort"
    code, out, err = await kubectl(demo, tmp_path, "describe", "pod", sim.name, "-n", "bookinfo")
    assert code == 0, err
    assert "Start Time:" in out and "<none>" not in out.split("Start Time:")[1].splitlines()[0]
    image_ids = [line.split()[2] for line in out.splitlines() if line.strip().startswith("Image ID:")]
    assert len(image_ids) == 3 and all("@sha256:" in i for i in image_ids), out
    conditions = out[out.index("Conditions:") :].splitlines()[1:7]
    assert [line.split()[0] for line in conditions] == [
        "Type",
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ], out
    assert "QoS Class:                   Burstable" in out


async def test_new_pods_show_init_progress_as_the_real_printer(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sidecar = demo.mesh.add_pod(demo.mesh._one("bookinfo", "ratings").workload)
    native = demo.mesh.add_pod(demo.mesh._one("bookinfo", "reviews", "v3").workload)
    plain = demo.mesh.add_pod(demo.mesh._one("shop", "cart").workload)
    code, out, err = await kubectl(demo, tmp_path, "get", "pods", "-A")
    assert code == 0, err
    status = {r[1]: (r[2], r[3]) for r in _rows(out)[1:]}
    assert status[sidecar.name] == ("0/2", "Init:0/1"), out
    assert status[native.name] == ("0/2", "Init:0/2"), out
    assert status[plain.name] == ("0/1", "ContainerCreating"), out
    pod = await _json(demo, tmp_path, "get", "pod", sidecar.name, "-n", "bookinfo")
    conditions = {c["type"]: c for c in pod["status"]["conditions"]}
    assert conditions["Initialized"]["status"] == "False"
    assert conditions["Initialized"]["message"] == "containers with incomplete status: [istio-init]"
    assert conditions["Ready"]["reason"] == "ContainersNotReady"
    waiting = {s["state"]["waiting"]["reason"] for s in pod["status"]["containerStatuses"]}
    assert waiting == {"PodInitializing"}, "the kubelet's default while init containers run"
    demo.mesh._promote_pending()
    code, out, err = await kubectl(demo, tmp_path, "get", "pods", "-n", "bookinfo", sidecar.name, "--no-headers")
    assert _rows(out)[0][1:3] == ["2/2", "Running"], out


async def test_deletion_goes_through_terminating(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "ratings")

    async def churn() -> None:
        await asyncio.sleep(1.5)
        demo.mesh.delete_pod(sim)

    task = asyncio.create_task(churn())
    _code, out, _err = await kubectl(
        demo,
        tmp_path,
        "get",
        "pods",
        "-n",
        "bookinfo",
        "-w",
        "--output-watch-events",
        "--request-timeout=0",
        stop_after=3.0,
    )
    await task
    mine = [r[0] + " " + r[3] for r in _rows(out) if r[1] == sim.name]
    assert mine[-2:] == ["MODIFIED Terminating", f"DELETED {mine[-1].split()[1]}"], out


# ---- 2. ages as kubectl words them --------------------------------------------------------------------


def test_human_duration_is_apimachinerys() -> None:
    from meshtail.demo.printers import human_duration

    cases = {
        -5: "<invalid>",
        -1: "0s",
        0: "0s",
        119: "119s",
        120: "2m",
        483: "8m3s",
        600: "10m",
        9000: "150m",
        3 * 3600: "3h",
        3 * 3600 + 300: "3h5m",
        8 * 3600: "8h",
        47 * 3600: "47h",
        2 * 86400 + 5 * 3600: "2d5h",
        8 * 86400: "8d",
        300 * 86400: "300d",
        (2 * 365 + 13) * 86400: "2y13d",
        9 * 365 * 86400: "9y",
    }
    assert {k: human_duration(k + 0.5 if k >= 0 else k) for k in cases} == cases


async def test_age_and_restart_columns_use_human_duration(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "details")
    then = rfc3339(datetime.now(UTC) - timedelta(minutes=8, seconds=3))

    def backdate(obj: dict[str, Any]) -> None:
        obj["metadata"]["creationTimestamp"] = then
        for entry in obj["status"]["containerStatuses"]:
            entry["restartCount"] = 2
            entry["lastState"] = {"terminated": {"exitCode": 137, "reason": "Error", "finishedAt": then}}

    demo.store.update(POD, "bookinfo", sim.name, backdate, "kubelet", "Update", "status")
    code, out, err = await kubectl(demo, tmp_path, "get", "pod", sim.name, "-n", "bookinfo", "--no-headers")
    assert code == 0, err
    row = out.split()
    assert row[3:7] == ["4", "(8m3s", "ago)", "8m3s"] or row[3:7] == ["4", "(8m4s", "ago)", "8m4s"], out


# ---- 3. discovery order: the aggregator's ------------------------------------------------------------


async def test_get_gateways_means_gateway_api_as_on_a_real_cluster(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "--raw", "/apis")
    assert code == 0, err
    names = [g["name"] for g in json.loads(out)["groups"]]
    assert names.index("apps") < names.index("authorization.k8s.io") < names.index("gateway.networking.k8s.io")
    assert (
        names.index("gateway.networking.k8s.io") < names.index("networking.istio.io") < names.index("security.istio.io")
    )
    code, out, err = await kubectl(demo, tmp_path, "get", "gateways", "-A", "-o", "json")
    assert code == 0, err
    assert {i["apiVersion"] for i in json.loads(out)["items"]} == {"gateway.networking.k8s.io/v1"}, out


# ---- 4. the core kinds every cluster has, served or refused as the view role does -------------------


async def test_core_kinds_a_viewer_reads(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "ns", "--no-headers")
    assert code == 0, err
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= {r[0] for r in _rows(out)}
    code, out, err = await kubectl(demo, tmp_path, "get", "svc", "-n", "bookinfo")
    assert code == 0, err
    rows = _rows(out)
    assert rows[0] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert {r[0] for r in rows[1:]} == {"productpage", "details", "reviews", "ratings", "sleep"}
    reviews = sorted(p.ip for p in demo.mesh.pods.values() if p.workload.app == "reviews")
    code, out, err = await kubectl(demo, tmp_path, "get", "endpoints", "reviews", "-n", "bookinfo", "--no-headers")
    assert code == 0 and _rows(out)[0][1] == ",".join(f"{ip}:9080" for ip in reviews), out + err
    code, out, err = await kubectl(demo, tmp_path, "cluster-info")
    assert code == 0 and "Kubernetes control plane" in out and "is running at" in out, out + err
    for kind in ("configmaps", "serviceaccounts", "endpointslices"):
        code, out, err = await kubectl(demo, tmp_path, "get", kind, "-n", "bookinfo")
        assert code == 0 and "No resources found" not in out + err, (kind, out, err)


async def test_events_of_pod_starts_restarts_and_kills(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "ratings")
    demo.mesh.restart_container(sim, "istio-proxy")
    code, out, err = await kubectl(demo, tmp_path, "describe", "pod", sim.name, "-n", "bookinfo")
    assert code == 0, err
    events = out[out.index("Events:") :]
    assert "Scheduled" in events and "default-scheduler" in events, events
    assert "Started container istio-proxy" in events and "(x2 over" in events, events
    demo.mesh.delete_pod(sim)
    code, out, err = await kubectl(
        demo, tmp_path, "get", "events", "-n", "bookinfo", "--field-selector", "reason=Killing"
    )
    assert code == 0, err
    assert any(r[2] == "Killing" and r[3] == f"pod/{sim.name}" for r in _rows(out)[1:]), out


async def test_what_a_viewer_may_not_read_is_a_real_403(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    expected = {
        "nodes": 'nodes is forbidden: User "meshtail-demo" cannot list resource "nodes" in API group "" at the '
        "cluster scope",
        "crd": 'customresourcedefinitions.apiextensions.k8s.io is forbidden: User "meshtail-demo" cannot list '
        'resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope',
        "secrets": 'secrets is forbidden: User "meshtail-demo" cannot list resource "secrets" in API group "" in '
        'the namespace "bookinfo"',
    }
    for kind, message in expected.items():
        code, _out, err = await kubectl(demo, tmp_path, "get", kind)
        assert code == 1 and f"Error from server (Forbidden): {message}" in err, (kind, err)
    code, out, _err = await kubectl(demo, tmp_path, "auth", "can-i", "list", "nodes")
    assert (code, out.strip()) == (1, "no")
    # the objects are there all the same, as on a real cluster (the demo user just may not read them)
    from meshtail.demo.resources import CRD, NODE

    assert {n.node for n in demo.mesh.pods.values()} <= {o["metadata"]["name"] for (o,) in _all(demo, NODE)}
    crd = demo.store.get(CRD, "", "virtualservices.networking.istio.io")
    assert [c["name"] for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]] == ["Gateways", "Hosts", "Age"]


def _all(demo, rtype) -> list[tuple[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    items, _ = demo.store.list(rtype, None, lambda obj: True)
    return [(o,) for o in items]


# ---- 5. field and label selectors -------------------------------------------------------------------


async def test_field_selectors_per_kind_and_label_selector_errors(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "details")
    code, out, err = await kubectl(
        demo, tmp_path, "get", "pods", "-A", "--field-selector", f"status.podIP={sim.ip},spec.restartPolicy=Always"
    )
    assert code == 0 and [r[1] for r in _rows(out)[1:]] == [sim.name], out + err
    code, _out, err = await kubectl(demo, tmp_path, "get", "vs", "--field-selector", "status.phase=Running")
    assert code == 1 and err.rstrip().endswith(": field label not supported: status.phase"), err
    code, _out, err = await kubectl(demo, tmp_path, "get", "pods", "--field-selector", "foo")
    assert code == 1 and err.rstrip().endswith(": invalid selector: 'foo'; can't understand 'foo'"), err
    code, _out, err = await kubectl(demo, tmp_path, "get", "pods", "-l", "app label")
    assert err.rstrip().endswith("unable to parse requirement: found 'label', expected: in, notin, =, ==, !=, gt, lt")
    code, _out, err = await kubectl(demo, tmp_path, "get", "pods", "-l", "a@b=c")
    assert 'unable to parse requirement: <nil>: Invalid value: "a@b": name part must consist of' in err, err
    code, out, err = await kubectl(demo, tmp_path, "get", "pods", "-A", "-l", "pod-template-generation gt 0")
    assert code == 0 and {r[1] for r in _rows(out)[1:]} == {
        p.name for p in demo.mesh.pods.values() if p.workload.kind == "ztunnel"
    }, out + err


# ---- 6. discovery verbs, categories and subresources ------------------------------------------------


async def test_discovery_lists_verbs_categories_and_subresources(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "api-resources", "--verbs=delete", "-o", "name")
    assert code == 0, err
    assert {"pods", "deployments.apps", "virtualservices.networking.istio.io"} <= set(out.split()), out
    code, out, err = await kubectl(demo, tmp_path, "get", "istio-io", "-n", "bookinfo", "-o", "name")
    assert code == 0, err
    assert "virtualservice.networking.istio.io/reviews" in out.split()
    assert "authorizationpolicy.security.istio.io/deny-admin-paths" in out.split(), out
    code, out, err = await kubectl(demo, tmp_path, "get", "--raw", "/api/v1")
    names = [r["name"] for r in json.loads(out)["resources"]]
    assert names == sorted(names) and {"pods/exec", "pods/eviction", "pods/status", "pods/portforward"} <= set(names)
    code, _out, err = await kubectl(demo, tmp_path, "autoscale", "deploy/details-v1", "-n", "bookinfo", "--max=3")
    assert code == 1 and "Error from server (Forbidden): horizontalpodautoscalers.autoscaling is forbidden" in err, err


# ---- 7. health endpoints and paths no rule names ----------------------------------------------------


async def test_health_endpoints_and_forbidden_paths(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "--raw", "/livez?verbose")
    assert code == 0 and out.startswith("[+]ping ok\n[+]log ok\n[+]etcd ok\n") and out.endswith("livez check passed\n")
    code, out, err = await kubectl(demo, tmp_path, "get", "--raw", "/readyz?verbose")
    assert code == 0 and "[+]etcd-readiness ok" in out and out.endswith("readyz check passed\n"), out + err
    for path in ("/livez/etcd", "/healthz/ping"):
        code, out, err = await kubectl(demo, tmp_path, "get", "--raw", path)
        assert (code, out) == (0, "ok"), (path, out, err)
    for path in ("/metrics", "/logs/", "/nope"):
        code, _out, err = await kubectl(demo, tmp_path, "get", "--raw", path)
        assert code == 1, err
        assert f'Error from server (Forbidden): forbidden: User "meshtail-demo" cannot get path "{path}"' in err


# ---- 8. impersonation: what can-i says is what is enforced ------------------------------------------


async def test_impersonation_agrees_with_can_i(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = await kubectl(demo, tmp_path, "auth", "can-i", "impersonate", "users")
    assert (code, out.strip()) == (0, "yes")
    code, out, err = await kubectl(demo, tmp_path, "get", "pods", "-n", "bookinfo", "--as", "foo")
    assert code == 0, err
    code, out, _err = await kubectl(demo, tmp_path, "auth", "can-i", "impersonate", "users", "--as", "foo")
    assert (code, out.strip()) == (1, "no"), "whom it impersonates does not inherit the grant"
    demo.state.allow_impersonation = False
    code, out, _err = await kubectl(demo, tmp_path, "auth", "can-i", "impersonate", "users")
    assert (code, out.strip()) == (1, "no")
    code, _out, err = await kubectl(demo, tmp_path, "get", "pods", "-n", "bookinfo", "--as", "foo")
    message = 'users "foo" is forbidden: User "meshtail-demo" cannot impersonate resource "users" in API group ""'
    assert code == 1 and message in err, err


# ---- low: /version, Audit-Id, a watch from a future resourceVersion ---------------------------------


async def test_version_audit_id_and_a_watch_from_the_future(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .test_demo_server import _client

    code, out, err = await kubectl(demo, tmp_path, "get", "--raw", "/version")
    assert code == 0 and out.startswith('{\n  "major": "1",\n  "minor": "31",'), out + err
    demo.state.future_rv_wait = 0.2
    session, auth = _client(demo)
    async with session:
        response = await session.get(demo.url + "/api/v1/namespaces/bookinfo/pods", headers=auth)
        assert len(response.headers["Audit-Id"]) == 36
        future = str(demo.store.rv + 100)
        params = {"watch": "1", "resourceVersion": future}
        response = await session.get(demo.url + "/api/v1/namespaces/bookinfo/pods", params=params, headers=auth)
        body = await response.json()
        assert response.status == 504 and body["reason"] == "Timeout", body
        assert body["message"] == f"Timeout: Too large resource version: {future}, current: {demo.store.rv}"
        assert body["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
