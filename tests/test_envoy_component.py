"""Envoy component logs (rbac, jwt, ext_authz, config) in every prefix shape Istio shipped."""

from __future__ import annotations

from meshtail.events import Source

from .conftest import lines, parse, parse_file

COMPONENT = lines("envoy-component.log")


def test_every_line_is_recognised_as_envoy_component():
    assert [event.format for event in parse_file("envoy-component.log")] == ["envoy-component"] * len(COMPONENT)


def test_rbac_enforced_allowed_and_denied():
    allowed = parse(COMPONENT[0])
    assert (allowed.category, allowed.outcome, allowed.action, allowed.violation) == (
        "auth",
        "allow",
        "authz.allow",
        False,
    )
    assert allowed.attributes["istio.policy"] == "whitelist"
    assert allowed.attributes["code.filepath"] == "source/extensions/filters/http/rbac/rbac_filter.cc"
    assert allowed.attributes["thread.id"] == 3492045
    assert allowed.time == "2024-09-26T11:40:13.329Z"
    denied = parse(COMPONENT[1], Source("sidecar", namespace="shop", pod="cart-1"))
    assert (denied.outcome, denied.action, denied.violation) == ("deny", "authz.deny", True)
    assert denied.summary == "shop/cart-1 denied a request (no ALLOW policy matched)"


def test_shadow_denial_is_a_violation_but_not_an_enforced_deny():
    event = parse(COMPONENT[2])
    assert (event.action, event.outcome, event.violation) == ("authz.shadow_deny", "allow", True)
    assert event.attributes["istio.policy"] == "ns[foo]-policy[deny-path-headers]-rule[0]"
    assert "dry-run" in event.summary


def test_no_engine_is_an_allow():
    assert parse(COMPONENT[3]).outcome == "allow"


def test_jwt_missing_is_not_a_rejection():
    event = parse(COMPONENT[4])
    assert (event.category, event.action, event.violation) == ("auth", "jwt.missing", False)
    assert event.attributes["envoy.logger"] == "jwt"


def test_jwt_failure_is_a_rejection():
    line = COMPONENT[4].replace("Jwt is missing", "Jwt is expired")
    event = parse(line)
    assert (event.action, event.outcome, event.violation) == ("jwt.reject", "deny", True)
    assert event.attributes["jwt.failure_reason"] == "Jwt is expired"


def test_ext_authz_error_with_tags():
    event = parse(COMPONENT[5])
    assert (event.action, event.outcome, event.violation) == ("extauthz.error", "failure", False)
    assert event.attributes["envoy.connection_id"] == "291883"
    assert event.attributes["http.response.status_code"] == 500


def test_listener_nack_in_every_shape_is_a_config_violation():
    for index in (6, 7, 8, 9):
        event = parse(COMPONENT[index])
        assert (event.category, event.action, event.violation, event.outcome) == (
            "config",
            "xds.reject",
            True,
            "failure",
        ), index
    assert parse(COMPONENT[6]).attributes["code.lineno"] == 128
    assert parse(COMPONENT[6]).attributes["istio.xds.type"] == "type.googleapis.com/envoy.config.listener.v3.Listener"


def test_stream_closed_and_checking_request():
    assert parse(COMPONENT[10]).action == "xds.stream_closed"
    checking = parse(COMPONENT[11])
    assert (checking.action, checking.outcome, checking.severity) == ("authz.check", "unknown", "debug")
