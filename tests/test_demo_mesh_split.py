"""The demo's denials come from its policies, which are data: change the data and what meshtail shows changes.

What a user of ``meshtail demo`` sees in the Auth pane (a deny, and the policy that made it)
must follow the AuthorizationPolicies the stand-in serves, not a script of outcomes.
"""

from __future__ import annotations

import dataclasses

from meshtail.demo.mesh import Mesh
from meshtail.demo.podlogs import PodLogs
from meshtail.demo.policies import AP, INGRESS_PRINCIPAL, POLICIES, Request, evaluate
from meshtail.demo.store import ObjectStore
from meshtail.demo.topology import Fixture, SimPod, workload
from meshtail.events import AuditEvent
from meshtail.parse.detect import StreamParser

from .conftest import parse


def _mesh() -> Mesh:
    mesh = Mesh(ObjectStore(), PodLogs(), seed=5, config_every=0, churn_every=0)
    mesh.bootstrap()
    return mesh


def _last(pod: SimPod | None) -> AuditEvent:
    """The newest line of the pod's proxy, as meshtail reads it."""
    assert pod is not None and pod.proxy is not None
    return parse(pod.proxy.lines[-1][1])


def _events(pods: list[SimPod]) -> list[AuditEvent]:
    parser = StreamParser()
    return [parse(text, parser=parser) for pod in pods if pod.proxy for _, text in pod.proxy.lines]


def test_the_policy_data_decides_a_request() -> None:
    bookinfo = [f for f in POLICIES if f.rtype is AP and f.namespace == "bookinfo"]
    admin = Request("/admin/users", INGRESS_PRINCIPAL, "istio-system")
    decision = evaluate([f.object() for f in bookinfo], "bookinfo", workload("productpage").labels(), admin)
    assert (decision.allowed, decision.policy) == (False, "deny-admin-paths")
    assert decision.details == "rbac_access_denied_matched_policy[ns[bookinfo]-policy[deny-admin-paths]-rule[0]]"

    edited = [
        dataclasses.replace(f, spec={**f.spec, "rules": [{"to": [{"operation": {"paths": ["/internal*"]}}]}]})
        if f.name == "deny-admin-paths"
        else f
        for f in bookinfo
    ]
    assert evaluate([f.object() for f in edited], "bookinfo", workload("productpage").labels(), admin).allowed

    # details-viewer allows productpage only: sleep is denied for want of a matching ALLOW rule
    sleep = Request("/details/1", workload("sleep").principal, "bookinfo")
    assert evaluate([f.object() for f in bookinfo], "bookinfo", workload("details").labels(), sleep).rule == "none"


def test_denials_in_the_demo_follow_the_policies_it_serves() -> None:
    mesh = _mesh()
    mesh.browse("/admin")
    denied = _last(mesh._one("bookinfo", "productpage"))
    assert (denied.category, denied.outcome) == ("auth", "deny")
    assert denied.attr("istio.policy") == "ns[bookinfo]-policy[deny-admin-paths]-rule[0]"

    mesh._toggle_deny_admin()  # the config edit that deletes deny-admin-paths
    mesh.browse("/admin")
    assert _last(mesh._one("bookinfo", "productpage")).attr("http.response.status_code") == 200

    # a policy applied while the demo runs (the ratings service refuses reviews) shows at once
    deny_ratings = Fixture(
        AP,
        "bookinfo",
        "deny-reviews",
        {
            "selector": {"matchLabels": {"app": "ratings"}},
            "action": "DENY",
            "rules": [{"from": [{"source": {"principals": ["*/sa/bookinfo-reviews"]}}]}],
        },
    )
    ratings = [p for p in mesh.pods.values() if p.workload.app == "ratings"]
    before = len(_events(ratings))
    mesh.store.create(AP, deny_ratings.object(), "kubectl-client-side-apply")
    for _ in range(40):
        mesh.browse()
    requests = [e for e in _events(ratings)[before:] if e.attr("http.response.status_code") is not None]
    assert requests, "reviews v2/v3 called ratings"
    assert {(e.category, e.outcome) for e in requests} == {("auth", "deny")}
    assert {e.attr("istio.policy") for e in requests} == {"ns[bookinfo]-policy[deny-reviews]-rule[0]"}


def test_ztunnel_denies_the_legacy_namespace_while_deny_legacy_exists() -> None:
    mesh = _mesh()
    ztunnels = [p for p in mesh.pods.values() if p.workload.kind == "ztunnel"]
    mesh.traffic.legacy_to_shop()
    (denied,) = [e for e in _events(ztunnels) if e.outcome == "deny"]
    assert denied.attr("istio.policy") == "shop/deny-legacy"

    mesh.store.delete(AP, "shop", "deny-legacy")
    mesh.traffic.legacy_to_shop()
    assert [e.outcome for e in _events(ztunnels)].count("deny") == 1, "no new denial without the policy"

    # an ALLOW policy that names the frontend only: legacy is refused for want of a matching rule
    frontend_only = Fixture(
        AP,
        "shop",
        "frontend-only",
        {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": ["*/sa/frontend"]}}]}]},
    )
    mesh.store.create(AP, frontend_only.object(), "kubectl-client-side-apply")
    mesh.traffic.legacy_to_shop()
    mesh.traffic.shop()
    last = _events(ztunnels)
    assert [e.outcome for e in last].count("deny") == 2
    assert any("allow policies exist, but none allowed" in e.raw for e in last)
