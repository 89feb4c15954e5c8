"""Real kubectl against the stand-in: the proof that it speaks the Kubernetes API faithfully."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from meshtail.demo.podlogs import kubelet_timestamp

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed (.ci/run installs it)"
)


async def kubectl(
    demo,
    tmp,
    *args: str,
    timeout: float = 20.0,
    stop_after: float | None = None,
    env: dict[str, str] | None = None,
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
        env={**os.environ, **env} if env else None,
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
    assert "Init:0/1" in statuses, out  # the new pod as it appears in the watch (its istio-init yet to run)
    assert "Terminating" in statuses, out  # the old one, deleted gracefully
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


# ---- kubectl auth: the self reviews, answered as RBAC with meshtail's documented role ----------------


async def test_auth_can_i_answers_as_the_documented_read_only_role(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from meshtail.demo.authz import MESHTAIL_READER_RULES

    role = yaml.safe_load((Path(__file__).parent.parent / "deploy" / "rbac.yaml").read_text())
    assert [dict(r) for r in MESHTAIL_READER_RULES] == role["rules"], "the premise: the stand-in holds deploy/rbac.yaml"
    for args in (
        ("list", "pods"),
        ("watch", "pods", "-A"),
        ("get", "pods", "--subresource=log"),
        ("list", "virtualservices.networking.istio.io"),
        ("watch", "httproutes.gateway.networking.k8s.io", "-n", "shop"),
        ("create", "selfsubjectaccessreviews"),
        ("impersonate", "users"),  # the kubeconfig's user may act as others, as `--as` below does
    ):
        code, out, err = await kubectl(demo, tmp_path, "auth", "can-i", *args)
        assert (code, out.strip()) == (0, "yes"), (args, out, err)
    for args in (
        ("delete", "pods"),
        ("create", "pods"),
        ("patch", "virtualservices.networking.istio.io"),
        ("list", "pods", "--subresource=log"),
        ("list", "secrets"),
    ):
        code, out, err = await kubectl(demo, tmp_path, "auth", "can-i", *args)
        assert (code, out.strip()) == (1, "no"), (args, out, err)
    # every signed-in user holds it (a demo cluster), but where the fault knobs deny a namespace; and what the
    # review answers is what is served (found in review: namespaces and Deployments were served to a "no")
    code, out, _err = await kubectl(demo, tmp_path, "auth", "can-i", "list", "pods", "--as", "alice@example.com")
    assert (code, out.strip()) == (0, "yes")
    for args in (("list", "namespaces"), ("list", "deployments.apps"), ("watch", "replicasets.apps", "-A")):
        code, out, err = await kubectl(demo, tmp_path, "auth", "can-i", *args)
        assert (code, out.strip()) == (0, "yes"), (args, out, err)
    demo.state.deny_for["alice@example.com"] = {"bookinfo"}
    code, out, _err = await kubectl(
        demo, tmp_path, "auth", "can-i", "list", "pods", "-n", "bookinfo", "--as", "alice@example.com"
    )
    assert (code, out.strip()) == (1, "no")
    code, _out, err = await kubectl(demo, tmp_path, "get", "pods", "-n", "bookinfo", "--as", "alice@example.com")
    assert code == 1 and "forbidden" in err
    assert {m for m, p in demo.state.requests if "selfsubjectaccessreviews" in p} == {"POST"}
    assert all(m in ("GET", "POST") for m, _ in demo.state.requests)


async def test_auth_can_i_list_prints_the_rules_table(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "auth", "can-i", "--list", "-n", "bookinfo")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    line = {r[0]: " ".join(r[1:]) for r in rows[1:] if not r[0].startswith("[")}
    assert line["pods"] == "[] [] [get list watch]"
    assert line["pods/log"] == "[] [] [get]"
    assert line["*.networking.istio.io"] == "[] [] [get list watch]"
    assert line["*.gateway.networking.k8s.io"] == "[] [] [get list watch]"
    assert line["selfsubjectaccessreviews.authorization.k8s.io"] == "[] [] [create]"
    assert line["selfsubjectreviews.authentication.k8s.io"] == "[] [] [create]"
    urls = {r[0] for r in rows[1:] if r[0].startswith("[")}
    assert {"[/api]", "[/apis/*]", "[/openapi/*]", "[/version]"} <= urls
    writes = [
        r for r in rows[1:] if {"[create]", "[delete]", "[patch]", "[update]"} & set(r) and "reviews." not in r[0]
    ]
    assert writes == [], out


async def test_auth_whoami_names_the_kubeconfig_user(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "auth", "whoami")
    assert code == 0, err
    rows = [line.split(None, 1) for line in out.splitlines()]
    assert rows == [["ATTRIBUTE", "VALUE"], ["Username", demo.state.user], ["Groups", "[system:authenticated]"]]
    code, out, err = await kubectl(demo, tmp_path, "auth", "whoami", "--as", "alice", "--as-group", "dev", "-o", "json")
    assert code == 0, err
    review = yaml.safe_load(out)
    assert review["kind"] == "SelfSubjectReview" and review["apiVersion"] == "authentication.k8s.io/v1"
    assert review["status"]["userInfo"] == {"username": "alice", "groups": ["dev", "system:authenticated"]}


# ---- OpenAPI v3: apply and edit reach the server (and its 403); explain works ----------------------


def _forbidden_patch(err: str, user: str) -> bool:
    return (
        f'virtualservices.networking.istio.io "reviews" is forbidden: User "{user}" cannot patch resource '
        '"virtualservices" in API group "networking.istio.io" in the namespace "bookinfo"'
    ) in err


async def test_apply_reaches_the_server_and_is_forbidden(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "vs", "reviews", "-n", "bookinfo", "-o", "yaml")
    assert code == 0, err
    manifest = yaml.safe_load(out)
    before = json.loads(json.dumps(manifest["spec"]))
    routes = manifest["spec"]["http"][0]["route"]
    assert len(routes) > 1, "the premise: a weighted route to change"
    routes[0]["weight"] = (routes[0].get("weight") or 0) + 1
    path = tmp_path / "vs.yaml"
    path.write_text(yaml.safe_dump(manifest))
    code, _out, err = await kubectl(demo, tmp_path, "apply", "-f", str(path))
    assert code == 1, err
    assert "failed to download openapi" not in err and "error validating" not in err, err
    assert _forbidden_patch(err, demo.state.user), err
    patches = [p for m, p in demo.state.requests if m == "PATCH"]
    assert len(patches) == 1 and "fieldValidation=Strict" in patches[0], patches
    code, out, err = await kubectl(demo, tmp_path, "get", "vs", "reviews", "-n", "bookinfo", "-o", "yaml")
    assert yaml.safe_load(out)["spec"] == before, "nothing was written"
    # a new object: create, refused the same way
    manifest["metadata"] = {"name": "brand-new", "namespace": "bookinfo"}
    path.write_text(yaml.safe_dump(manifest))
    code, _out, err = await kubectl(demo, tmp_path, "apply", "-f", str(path))
    assert code == 1 and "Error from server (Forbidden)" in err, err
    assert 'cannot create resource "virtualservices" in API group "networking.istio.io"' in err, err


async def test_edit_reaches_the_server_and_is_forbidden(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/weight: \\([0-9]*\\)/weight: 1\\1/" "$1"\n')
    editor.chmod(0o755)
    code, out, _err = await kubectl(demo, tmp_path, "get", "vs", "reviews", "-n", "bookinfo", "-o", "yaml")
    assert "weight:" in out, "the premise: the editor script has something to change"
    code, _out, err = await kubectl(
        demo, tmp_path, "edit", "vs", "reviews", "-n", "bookinfo", env={"EDITOR": str(editor), "KUBE_EDITOR": ""}
    )
    assert code == 1, err
    assert "Edit cancelled" not in err and "is invalid" not in err, err
    assert 'virtualservices.networking.istio.io "reviews" could not be patched' in err, err
    assert _forbidden_patch(err, demo.state.user), err


async def test_explain_reads_the_openapi_v3_documents(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "explain", "pods")
    assert code == 0, err
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n"), out
    assert "Pod is a collection of containers that can run on a host." in out
    fields = [line.split()[0] for line in out.splitlines() if line.startswith("  ") and "\t<" in line]
    assert fields == ["apiVersion", "kind", "metadata", "spec", "status"], out
    assert "metadata\t<ObjectMeta>" in out and "spec\t<PodSpec>" in out
    code, out, err = await kubectl(demo, tmp_path, "explain", "pods.spec.containers.image")
    assert code == 0 and "FIELD: image <string>" in out, out + err
    code, out, err = await kubectl(demo, tmp_path, "explain", "virtualservice.spec")
    assert code == 0, err
    assert "GROUP:      networking.istio.io" in out and "KIND:       VirtualService" in out
    assert "FIELD: spec <Object>" in out and "Configuration affecting label/content routing" in out, out
    assert "hosts\t<[]string>" in out, out
    code, out, err = await kubectl(demo, tmp_path, "explain", "authorizationpolicies.spec.action")
    assert code == 0 and "ALLOW" in out and "DENY" in out, out + err


async def test_get_raw_openapi_v3_lists_every_served_group_version(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await kubectl(demo, tmp_path, "get", "--raw", "/apis")
    assert code == 0, err
    served = {v["groupVersion"] for g in yaml.safe_load(out)["groups"] for v in g["versions"]}
    assert {"networking.istio.io/v1alpha3", "authorization.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"} <= served
    code, out, err = await kubectl(demo, tmp_path, "get", "--raw", "/openapi/v3")
    assert code == 0, err
    paths = yaml.safe_load(out)["paths"]
    assert set(paths) == {"api/v1"} | {f"apis/{gv}" for gv in served}
    for gv, entry in paths.items():
        assert entry["serverRelativeURL"].startswith(f"/openapi/v3/{gv}?hash="), entry
    code, out, err = await kubectl(
        demo, tmp_path, "get", "--raw", paths["apis/networking.istio.io/v1"]["serverRelativeURL"]
    )
    assert code == 0, err
    assert "io.istio.networking.v1.VirtualService" in yaml.safe_load(out)["components"]["schemas"]


async def test_explain_walks_built_in_kinds_field_by_field(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An outside audit: `kubectl explain deploy.spec.replicas` said the field does not exist, as did a dozen
    other paths into built-in kinds; the schemas are now the client's models' (made from the server's own)."""
    for path, field in (
        ("deploy.spec.replicas", "FIELD: replicas <integer>"),
        ("svc.spec.ports", "FIELD: ports <[]ServicePort>"),
        ("configmaps.data", "FIELD: data <map[string]string>"),
        ("endpointslices.endpoints", "FIELD: endpoints <[]Endpoint>"),
        ("pods.status.containerStatuses.state", "FIELD: state <ContainerState>"),
        ("events.involvedObject", "FIELD: involvedObject <ObjectReference>"),
        ("sa.secrets", "FIELD: secrets <[]ObjectReference>"),
    ):
        code, out, err = await kubectl(demo, tmp_path, "explain", path)
        assert code == 0 and field in out, (path, out + err)
    code, out, err = await kubectl(demo, tmp_path, "explain", "deploy.spec.replicas")
    assert "Number of desired pods." in out  # the field's own description
    code, out, err = await kubectl(demo, tmp_path, "explain", "deploy.spec.nonsense")
    assert code != 0 and 'field "nonsense" does not exist' in err  # the premise: a missing field is still said


async def test_explain_walks_the_mesh_crds_by_their_own_schemas(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The Istio and Gateway API CRDs' openAPIV3Schema, as they ship (scripts/gen_crd_schemas.py): an outside audit
    found pa.spec.mtls, se.spec.hosts and gtw.spec.listeners "does not exist"."""
    for path, said in (
        ("pa.spec.mtls", "mode\t<string>\n  enum: UNSET, DISABLE, PERMISSIVE, STRICT"),
        ("se.spec.hosts", "FIELD: hosts <[]string>"),
        ("gtw.spec.listeners", "FIELD: listeners <[]Object>"),
        ("authorizationpolicies.spec.rules.from.source.principals", "FIELD: principals <[]string>"),
        ("httproutes.spec.rules.backendRefs", "FIELD: backendRefs <[]Object>"),
    ):
        code, out, err = await kubectl(demo, tmp_path, "explain", path)
        assert code == 0 and said in out, (path, out + err)
