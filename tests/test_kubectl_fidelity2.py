"""Real kubectl against the stand-in, where a second audit found it answered unlike a real 1.31 API server.

Each test names what a real server answers and checks kubectl sees the same: ``resourceVersionMatch``
validated as apimachinery's ValidateListOptions and applied as the storage layer applies it, JSON
bodies as Go's encoder writes them (compact, or indented with ``?pretty=true``; custom resources as
sorted maps), writes to discovery paths refused by RBAC like any non-resource URL, and the status
istiod writes on Gateway API objects (a waypoint that is Programmed, with its address).
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from meshtail.demo.resources import POD

from .test_kubectl import kubectl

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed (.ci/run installs it)"
)

PODS = "/api/v1/namespaces/bookinfo/pods"


async def _raw(demo, tmp, path: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return await kubectl(demo, tmp, "get", "--raw", path)


async def _json(demo, tmp, path: str) -> Any:  # type: ignore[no-untyped-def]
    code, out, err = await _raw(demo, tmp, path)
    assert code == 0, err
    return json.loads(out)


def _rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.strip()]


# ---- resourceVersionMatch: ValidateListOptions, then the storage layer's semantics ---------------------------------


async def test_resource_version_match_is_validated_as_list_options(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    listing = await _json(demo, tmp_path, PODS)
    assert listing["kind"] == "PodList" and listing["items"], "the premise: the plain list is served"
    rv = listing["metadata"]["resourceVersion"]
    invalid = 'The ListOptions "" is invalid: resourceVersionMatch: '
    cases = {
        "resourceVersionMatch=NotOlderThan": "Forbidden: resourceVersionMatch is forbidden unless resourceVersion "
        "is provided",
        "resourceVersionMatch=Exact&resourceVersion=0": 'Forbidden: resourceVersionMatch "exact" is forbidden for '
        'resourceVersion "0"',
        f"resourceVersionMatch=Latest&resourceVersion={rv}": 'Unsupported value: "Latest": supported values: '
        '"Exact", "NotOlderThan", ""',
        "watch=1&resourceVersionMatch=NotOlderThan": "Forbidden: resourceVersionMatch is forbidden for watch unless "
        "sendInitialEvents is provided",
    }
    for query, message in cases.items():
        code, out, err = await _raw(demo, tmp_path, f"{PODS}?{query}")
        assert code == 1 and invalid + message in err, (query, out, err)
    # a 1.31 server has the WatchList gate off: a streaming list is refused, not half-served
    query = "watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
    code, out, err = await _raw(demo, tmp_path, f"{PODS}?{query}")
    gate = "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate"
    assert code == 1 and gate in err, err
    # several problems are listed together, in the validator's order
    code, out, err = await _raw(demo, tmp_path, f"{PODS}?resourceVersionMatch=Exact&continue=abc")
    assert code == 1 and err.index("unless resourceVersion is provided") < err.index("when continue is provided"), err


async def test_resource_version_match_reads_where_the_storage_layer_reads(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    before = await _json(demo, tmp_path, PODS)
    rv = before["metadata"]["resourceVersion"]
    demo.mesh.add_pod(demo.mesh._one("bookinfo", "ratings").workload)  # a change after rv
    now = await _json(demo, tmp_path, PODS)
    assert len(now["items"]) == len(before["items"]) + 1, "the premise: the latest list has the new pod"
    exact = await _json(demo, tmp_path, f"{PODS}?resourceVersion={rv}&resourceVersionMatch=Exact")
    assert exact["metadata"]["resourceVersion"] == rv
    assert [p["metadata"]["name"] for p in exact["items"]] == [p["metadata"]["name"] for p in before["items"]]
    # the legacy form of an exact read: a resourceVersion with a limit (how the first page of a paged relist reads)
    paged = await _json(demo, tmp_path, f"{PODS}?resourceVersion={rv}&limit=500")
    assert paged["metadata"]["resourceVersion"] == rv and len(paged["items"]) == len(before["items"])
    floor = await _json(demo, tmp_path, f"{PODS}?resourceVersion={rv}&resourceVersionMatch=NotOlderThan")
    assert floor["metadata"]["resourceVersion"] == str(demo.store.rv) and len(floor["items"]) == len(now["items"])
    # a revision etcd has compacted away, and one nobody has reached yet
    demo.store.compact()
    code, out, err = await _raw(demo, tmp_path, f"{PODS}?resourceVersion={rv}&resourceVersionMatch=Exact")
    assert code == 1 and "Error from server (Expired): The resourceVersion for the provided list is too old." in err
    demo.state.future_rv_wait = 0.2
    future = demo.store.rv + 1000
    code, out, err = await _raw(demo, tmp_path, f"{PODS}?resourceVersion={future}&resourceVersionMatch=NotOlderThan")
    assert not out, "an error, not a list"
    expected = f"Error from server (Timeout): Timeout: Too large resource version: {future}, current: {demo.store.rv}"
    assert code == 1 and expected in err, err


# ---- bodies as Go's encoder writes them ----------------------------------------------------------------------------


async def test_pretty_true_indents_and_every_other_body_is_compact(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, compact, err = await _raw(demo, tmp_path, PODS)
    assert code == 0 and compact.startswith('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"')
    assert compact.endswith("}\n") and "\n" not in compact[:-1], "json.NewEncoder: one line and a newline"
    code, pretty, err = await _raw(demo, tmp_path, f"{PODS}?pretty=true")
    assert code == 0 and pretty.startswith('{\n  "kind": "PodList",\n  "apiVersion": "v1",\n  "metadata": {\n'), pretty
    assert json.loads(pretty) == json.loads(compact), "the same object, only indented"
    # a pod as its Go type orders it: kind and apiVersion first, ObjectMeta's fields in their order
    name = json.loads(compact)["items"][0]["metadata"]["name"]
    code, pod, err = await _raw(demo, tmp_path, f"{PODS}/{name}")
    assert pod.startswith(f'{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"{name}","generateName":'), pod[:120]
    # custom resources are unstructured maps: every key sorted, and a list's metadata.continue always written
    vs = "/apis/networking.istio.io/v1/namespaces/bookinfo/virtualservices"
    code, out, err = await _raw(demo, tmp_path, vs)
    assert code == 0 and out.startswith('{"apiVersion":"networking.istio.io/v1","items":[{"apiVersion":'), out[:80]
    assert out.endswith(
        f'"kind":"VirtualServiceList","metadata":{{"continue":"","resourceVersion":"{demo.store.rv}"}}}}\n'
    )
    # errors are negotiated the same way
    code, out, err = await _raw(demo, tmp_path, f"{PODS}/nope?pretty=true")
    assert code == 1 and 'pods "nope" not found' in err


async def test_an_empty_watch_flag_is_a_watch_as_the_parameter_codec_reads_it(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await _raw(demo, tmp_path, f"{PODS}?watch=false")
    assert code == 0 and json.loads(out)["kind"] == "PodList", "the premise: watch=false is a list"
    code, out, err = await _raw(demo, tmp_path, f"{PODS}?watch=&timeoutSeconds=1")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and events and {e.get("type") for e in events} == {"ADDED"}, out[:200] + err


# ---- writes to discovery, and resources nobody serves: RBAC answers first -------------------------------------------


async def test_writes_to_discovery_paths_are_forbidden_as_non_resource_urls(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await _raw(demo, tmp_path, "/apis/networking.istio.io/v1")
    assert code == 0 and json.loads(out)["kind"] == "APIResourceList", "the premise: reading discovery is allowed"
    body = tmp_path / "empty.json"
    body.write_text("{}")
    user = demo.state.user
    for path in ("/api", "/apis", "/api/v1", "/apis/networking.istio.io/v1", "/version"):
        code, out, err = await kubectl(demo, tmp_path, "create", "--raw", path, "-f", str(body))
        expected = f'Error from server (Forbidden): forbidden: User "{user}" cannot post path "{path}"'
        assert code == 1 and expected in err, (path, err)
    code, out, err = await kubectl(demo, tmp_path, "delete", "--raw", "/apis")
    assert code == 1 and f'forbidden: User "{user}" cannot delete path "/apis"' in err, err
    # a resource path is authorized before it is routed: RBAC refuses what it does not grant, served or not
    code, out, err = await _raw(demo, tmp_path, "/api/v1/namespaces/bookinfo/widgets")
    expected = f'widgets is forbidden: User "{user}" cannot list resource "widgets" in API group "" in the namespace'
    assert code == 1 and expected in err, err
    code, out, err = await kubectl(demo, tmp_path, "delete", "--raw", PODS)
    expected = f'pods is forbidden: User "{user}" cannot deletecollection resource "pods" in API group ""'
    assert code == 1 and expected in err, err
    assert demo.store.list(POD, "bookinfo", lambda _: True)[0], "nothing was deleted"


# ---- what istiod writes on Gateway API objects -----------------------------------------------------------------------


async def test_the_waypoint_is_programmed_with_its_address(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, ip, err = await kubectl(
        demo, tmp_path, "get", "svc", "-n", "shop", "waypoint", "-o", "jsonpath={.spec.clusterIP}"
    )
    assert code == 0 and ip.startswith("10.96."), "the premise: the waypoint's Service has a cluster IP"
    code, out, err = await kubectl(demo, tmp_path, "get", "gateways.gateway.networking.k8s.io", "-A")
    assert code == 0, err
    rows = _rows(out)
    assert rows[0] == ["NAMESPACE", "NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"]
    assert rows[1][:5] == ["shop", "waypoint", "istio-waypoint", ip, "True"], out
    code, out, err = await kubectl(demo, tmp_path, "get", "gatewayclasses")
    classes = {row[0]: row[1:3] for row in _rows(out)[1:]}
    assert classes == {
        "istio": ["istio.io/gateway-controller", "True"],
        "istio-remote": ["istio.io/unmanaged-gateway", "True"],
        "istio-waypoint": ["istio.io/mesh-controller", "True"],
    }, out
    status = '{.status.conditions[?(@.type=="Programmed")].message}'
    code, out, err = await kubectl(demo, tmp_path, "get", "gtw", "-n", "shop", "waypoint", "-o", f"jsonpath={status}")
    assert out == "Resource programmed, assigned to service(s) waypoint.shop.svc.cluster.local:15008", out
    # the route bound to the cart Service is accepted, and istiod follows its edits
    accepted = '{.status.parents[0].conditions[?(@.type=="Accepted")].observedGeneration}'
    route = ("get", "httproute", "-n", "shop", "cart", "-o")
    code, out, err = await kubectl(demo, tmp_path, *route, f"jsonpath={accepted}")
    assert out == "1", out + err
    demo.mesh.config_edits.edit_cart_route()
    code, out, err = await kubectl(demo, tmp_path, *route, "jsonpath={.metadata.generation} " + accepted)
    assert out == "2 2", out + err
