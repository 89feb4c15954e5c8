"""Real kubectl against the stand-in: the proof that it speaks the Kubernetes API faithfully."""

from __future__ import annotations

import asyncio
import shutil

import pytest
import yaml

from meshtail.demo.podlogs import kubelet_timestamp

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed (.ci/run installs it)"
)


async def kubectl(
    demo, tmp, *args: str, timeout: float = 20.0, stop_after: float | None = None
) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """Run kubectl against the stand-in (in this event loop's server); return (code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        "kubectl",
        "--kubeconfig",
        demo.kubeconfig_path,
        "--cache-dir",
        str(tmp / "kube-cache"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    if stop_after is not None:
        await asyncio.sleep(stop_after)
        process.terminate()
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, out.decode(), err.decode()


async def test_get_pods_all_namespaces(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "pods", "-A")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    names = {(r[0], r[1]) for r in rows[1:]}
    assert names == {(p.workload.namespace, p.name) for p in demo.mesh.pods.values()}
    assert all(r[3] == "Running" for r in rows[1:])


async def test_get_pods_watch_shows_churn(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def churn() -> None:
        await asyncio.sleep(1.5)
        pod = demo.mesh._one("bookinfo", "ratings")
        demo.mesh.delete_pod(pod)
        demo.mesh.add_pod(pod.workload)

    task = asyncio.create_task(churn())
    _code, out, _err = await kubectl(
        demo, tmp_path, "get", "pods", "-n", "bookinfo", "-w", "--request-timeout=0", stop_after=3.5
    )
    await task
    rows = [line.split() for line in out.splitlines()]
    assert rows[0][:3] == ["NAME", "READY", "STATUS"]
    statuses = [r[2] for r in rows[1:]]
    assert "ContainerCreating" in statuses, out  # the new pod as it appears in the watch
    assert len(rows) > len([p for p in demo.mesh.pods.values() if p.workload.namespace == "bookinfo"]) + 1, out


async def test_logs_follow_of_istio_proxy(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "productpage")

    async def traffic() -> None:
        for _ in range(10):
            await asyncio.sleep(0.2)
            demo.mesh.browse()

    task = asyncio.create_task(traffic())
    _code, out, _err = await kubectl(
        demo, tmp_path, "logs", "-f", "-n", "bookinfo", sim.name, "-c", "istio-proxy", stop_after=3.0
    )
    await task
    written = [text for _, text in sim.logs["istio-proxy"].lines]
    assert out.splitlines() == written, "everything, in order, including lines written while following"
    assert any('"GET /productpage HTTP/1.1" 200' in line for line in out.splitlines())


async def test_logs_since_time(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sim = demo.mesh._one("bookinfo", "details")
    log = sim.logs["istio-proxy"]
    start = log.lines[-1][0] + 3_000_000_000
    start -= start % 1_000_000_000
    log.append("old", start + 10)
    log.append("new one", start + 2_000_000_000 + 10)
    log.append("new two", start + 2_000_000_000 + 20)
    since = kubelet_timestamp(start + 2_000_000_000 + 15)  # mid-second: the server truncates to the second
    code, out, err = await kubectl(
        demo, tmp_path, "logs", "-n", "bookinfo", sim.name, "-c", "istio-proxy", f"--since-time={since}", "--timestamps"
    )
    assert code == 0, err
    assert out.splitlines() == [
        f"{kubelet_timestamp(start + 2_000_000_010)} new one",
        f"{kubelet_timestamp(start + 2_000_000_020)} new two",
    ]


async def test_logs_errors_read_like_kubectl_against_a_real_cluster(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = await kubectl(demo, tmp_path, "logs", "-n", "bookinfo", "nope", "-c", "istio-proxy")
    assert code != 0 and 'pods "nope" not found' in err


async def test_get_virtualservices_by_full_resource_name(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "virtualservices.networking.istio.io", "-A")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    # the CRD's additionalPrinterColumns, as Istio ships them; lists print as JSON, as the API server prints them
    assert rows[0] == ["NAMESPACE", "NAME", "GATEWAYS", "HOSTS", "AGE"]
    assert {(r[0], r[1]) for r in rows[1:]} == {("bookinfo", "bookinfo"), ("bookinfo", "reviews")}
    bookinfo = next(r for r in rows[1:] if r[1] == "bookinfo")
    assert bookinfo[2:4] == ['["bookinfo-gateway"]', '["bookinfo.example.com"]'], out


async def test_get_authorizationpolicies_yaml(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "authorizationpolicies", "-A", "-o", "yaml")
    assert code == 0, err
    listed = yaml.safe_load(out)
    policies = {(i["metadata"]["namespace"], i["metadata"]["name"]): i for i in listed["items"]}
    assert ("bookinfo", "deny-admin-paths") in policies
    deny = policies[("bookinfo", "deny-admin-paths")]
    assert deny["apiVersion"] == "security.istio.io/v1" and deny["kind"] == "AuthorizationPolicy"
    assert deny["spec"]["action"] == "DENY"


async def test_kubectl_is_told_no_for_writes(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pod = demo.mesh._one("bookinfo", "details")
    code, _out, err = await kubectl(demo, tmp_path, "delete", "pod", "-n", "bookinfo", pod.name, "--wait=false")
    assert code != 0 and "forbidden" in err
    assert ("bookinfo", pod.name) in demo.mesh.pods


async def test_get_pods_in_chunks_pages_through_continue(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    everything = {(p.workload.namespace, p.name) for p in demo.mesh.pods.values()}
    assert len(everything) > 4, "the premise: more pods than one chunk"
    before = len(demo.state.requests)
    code, out, err = await kubectl(demo, tmp_path, "get", "pods", "-A", "--chunk-size=2")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert {(r[0], r[1]) for r in rows[1:]} == everything and len(rows) - 1 == len(everything)
    lists = [path for _, path in list(demo.state.requests)[before:] if path.startswith("/api/v1/pods?")]
    assert all("limit=2" in path for path in lists), lists
    assert sum("continue=" in path for path in lists) == (len(everything) + 1) // 2 - 1, lists


async def test_get_pods_sorted_by_pod_ip(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "pods", "-A", "--sort-by=.status.podIP", "-o", "wide")
    assert code == 0, err
    assert "No resources found" not in out + err
    rows = [line.split() for line in out.splitlines()]
    header = rows[0]
    assert header[:6] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert header[6:] == ["IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]
    pods = {(p.workload.namespace, p.name): p for p in demo.mesh.pods.values()}
    assert {(r[0], r[1]) for r in rows[1:]} == set(pods)
    ips = [r[6] for r in rows[1:]]
    assert ips == sorted(ips), "kubectl sorted by the objects the rows carry"
    assert all(r[6] == pods[(r[0], r[1])].ip and r[7] == pods[(r[0], r[1])].node for r in rows[1:])
    assert all(r[8:] == ["<none>", "<none>"] for r in rows[1:])


async def test_logs_of_all_containers_include_the_completed_init_container(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sims = [p for p in demo.mesh.pods.values() if p.workload.app == "reviews"]
    assert sims and all("istio-init" in p.workload.containers()[1] for p in sims), "the premise: sidecar pods"
    code, out, err = await kubectl(
        demo, tmp_path, "logs", "-n", "bookinfo", "-l", "app=reviews", "--all-containers", "--prefix", "--tail=-1"
    )
    assert code == 0, err
    for sim in sims:
        mine = [line for line in out.splitlines() if line.startswith(f"[pod/{sim.name}/istio-init] ")]
        assert any("Istio iptables environment:" in line for line in mine), out
        assert f"[pod/{sim.name}/istio-init] COMMIT" in mine
    code, out, err = await kubectl(demo, tmp_path, "describe", "pod", "-n", "bookinfo", sims[0].name)
    assert code == 0, err
    init = out[out.index("Init Containers:") : out.index("\nContainers:")]
    assert "Completed" in init and "0001" not in init, init
    assert "Started:" in init and "Finished:" in init


async def test_get_namespaces_shows_status(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "ns")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAME", "STATUS", "AGE"]
    assert {r[1] for r in rows[1:]} == {"Active"} and "bookinfo" in {r[0] for r in rows[1:]}


async def test_get_mesh_policies_show_their_printer_columns(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "authorizationpolicies", "-n", "bookinfo")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAME", "ACTION", "AGE"]
    assert ["deny-admin-paths", "DENY"] == next(r[:2] for r in rows if r[0] == "deny-admin-paths")
