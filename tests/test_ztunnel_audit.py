"""ztunnel access logs and policy rejections; Kubernetes audit events."""

from __future__ import annotations

from .conftest import lines, parse, parse_file


def test_ztunnel_policy_rejection_without_timestamp():
    event = parse(lines("ztunnel.log")[0])
    assert (event.format, event.category, event.outcome, event.violation, event.action) == (
        "ztunnel",
        "auth",
        "deny",
        True,
        "authz.deny",
    )
    a = event.attributes
    assert a["istio.policy"] == "none"
    assert a["istio.source.principal"] == "spiffe://cluster.local/ns/default/sa/bookinfo-reviews"
    assert a["client.address"] == "10.244.1.6" and a["client.port"] == 42020
    assert a["ztunnel.dst.hbone_addr"] == "10.244.1.9:9080"
    assert a["ztunnel.duration_ms"] == 0


def test_ztunnel_explicit_deny_names_the_policy_and_success_is_routing():
    deny, ok, opened = parse_file("ztunnel-derived.log")
    assert deny.attributes["istio.policy"] == "istio-system/istio_converted_static_strict"
    assert "istio-system/istio_converted_static_strict" in deny.summary
    assert (ok.category, ok.outcome, ok.action) == ("routing", "success", "tcp.connection")
    assert ok.attributes["ztunnel.duration_ms"] == 17440 and ok.attributes["ztunnel.bytes_sent"] == 1530
    assert (opened.format, opened.action, opened.severity) == ("ztunnel", "tcp.open", "debug")


def test_audit_event_other_resources_stay_available():
    event = parse(lines("k8s-audit.log")[0])
    assert (event.format, event.category, event.action) == ("k8s-audit", "other", "k8s.get")
    assert event.attributes["k8s.user"] == "system:apiserver"
    assert event.time == "2022-03-16T19:23:20.814048Z"


def test_audit_mesh_changes_are_config_events_with_actor():
    patch, create, forbidden, update = parse_file("k8s-audit-derived.log")
    assert (patch.category, patch.outcome, patch.action) == ("config", "change", "resource.update")
    assert patch.summary == "alice@example.com updated virtualservices shop/reviews (networking.istio.io)"
    assert patch.attributes["k8s.user"] == "alice@example.com"
    assert create.action == "resource.create" and "argocd" in create.attributes["k8s.user"]
    assert (forbidden.outcome, forbidden.violation, forbidden.action) == ("deny", True, "resource.delete")
    assert update.attributes["k8s.api_group"] == "gateway.networking.k8s.io"
