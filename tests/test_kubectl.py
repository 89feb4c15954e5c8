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
    assert rows[0] == ["NAMESPACE", "NAME", "AGE"]
    assert {(r[0], r[1]) for r in rows[1:]} == {("bookinfo", "bookinfo"), ("bookinfo", "reviews")}


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
