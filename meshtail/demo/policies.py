"""The demo mesh's security policies, as data, and the evaluator that decides a simulated request.

:data:`POLICIES` are the AuthorizationPolicies, the RequestAuthentication and the
PeerAuthentication the cluster starts with, written as their ``spec`` would be applied.
The traffic is decided by :func:`evaluate` against the AuthorizationPolicies *currently in
the store*, so a config edit that changes or deletes a policy changes what the proxies log:
a denial appears in the demo because a policy says so.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from .resources import BY_KEY
from .store import Obj
from .topology import Fixture

AP = BY_KEY["authorizationpolicies.security.istio.io"]
PA = BY_KEY["peerauthentications.security.istio.io"]
RA = BY_KEY["requestauthentications.security.istio.io"]

INGRESS_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"

POLICIES: tuple[Fixture, ...] = (
    # only productpage may read details (a config edit lets sleep in and out again)
    Fixture(
        AP,
        "bookinfo",
        "details-viewer",
        {
            "selector": {"matchLabels": {"app": "details"}},
            "action": "ALLOW",
            "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/bookinfo/sa/bookinfo-productpage"]}}]}],
        },
    ),
    # nobody reaches productpage's admin pages (a config edit deletes and restores it)
    Fixture(
        AP,
        "bookinfo",
        "deny-admin-paths",
        {
            "selector": {"matchLabels": {"app": "productpage"}},
            "action": "DENY",
            "rules": [{"to": [{"operation": {"paths": ["/admin*"]}}]}],
        },
    ),
    # the API behind the ingress gateway wants a JWT
    Fixture(
        AP,
        "istio-system",
        "require-jwt",
        {
            "selector": {"matchLabels": {"istio": "ingressgateway"}},
            "action": "DENY",
            "rules": [
                {"from": [{"source": {"notRequestPrincipals": ["*"]}}], "to": [{"operation": {"paths": ["/api/*"]}}]}
            ],
        },
    ),
    # nothing from the legacy namespace reaches the ambient shop (ztunnel enforces it)
    Fixture(
        AP,
        "shop",
        "deny-legacy",
        {"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["legacy"]}}]}]},
    ),
    Fixture(
        RA,
        "istio-system",
        "jwt-example",
        {
            "selector": {"matchLabels": {"istio": "ingressgateway"}},
            "jwtRules": [
                {"issuer": "https://auth.example.com", "jwksUri": "https://auth.example.com/.well-known/jwks.json"}
            ],
        },
    ),
    Fixture(PA, "bookinfo", "default", {"mtls": {"mode": "STRICT"}}),
)


@dataclass(frozen=True)
class Request:
    """What an AuthorizationPolicy can see of a request in the demo."""

    path: str
    principal: str | None = None  # the peer's mTLS principal (None: plaintext or unknown)
    namespace: str | None = None  # the peer's namespace
    jwt: bool = False  # a request principal (a valid JWT) is present


@dataclass(frozen=True)
class Decision:
    """Allowed, or denied by a named rule (``policy``) or for want of a matching ALLOW rule."""

    allowed: bool
    rule: str = ""  # Envoy's ``ns[NS]-policy[NAME]-rule[I]``, or ``none`` when no ALLOW policy matched
    namespace: str = ""
    policy: str | None = None  # the denying policy's name

    @property
    def details(self) -> str:
        """Envoy's ``%RESPONSE_CODE_DETAILS%`` for the request at the server's proxy."""
        return "via_upstream" if self.allowed else f"rbac_access_denied_matched_policy[{self.rule}]"

    @property
    def rejection(self) -> str | None:
        """Why ztunnel closed the connection (its ``AuthorizationRejectionError``); None when allowed."""
        if self.allowed:
            return None
        if self.policy is None:
            return "allow policies exist, but none allowed"
        return f"explicitly denied by: {self.namespace}/{self.policy}"


ALLOWED = Decision(True)


def evaluate(policies: Iterable[Obj], namespace: str, labels: dict[str, str], request: Request) -> Decision:
    """Istio's AuthorizationPolicy decision, for the rule shapes the demo uses.

    ``policies`` are the AuthorizationPolicy objects of the workload's namespace; those whose
    selector does not match ``labels`` are skipped.  A matching DENY rule denies; otherwise,
    if any ALLOW policy applies, one of its rules must match.
    """
    allow_exists = allowed = False
    for policy in policies:
        spec = policy.get("spec", {})
        wanted = spec.get("selector", {}).get("matchLabels", {})
        if any(labels.get(k) != v for k, v in wanted.items()):
            continue
        action = spec.get("action", "ALLOW")
        for i, rule in enumerate(spec.get("rules", [])):
            if rule_matches(rule, request):
                if action == "DENY":
                    name = policy["metadata"]["name"]
                    return Decision(False, f"ns[{namespace}]-policy[{name}]-rule[{i}]", namespace, name)
                allowed = True
        if action == "ALLOW":
            allow_exists = True
    if allow_exists and not allowed:
        return Decision(False, "none", namespace)
    return ALLOWED


def rule_matches(rule: Obj, request: Request) -> bool:
    """Every ``from`` source and every ``to`` operation the rule names matches the request."""
    for source in [f.get("source", {}) for f in rule.get("from", [])] or [{}]:
        if "principals" in source and not any(_glob(p, request.principal or "") for p in source["principals"]):
            return False
        if "namespaces" in source and (request.namespace or "") not in source["namespaces"]:
            return False
        if "notRequestPrincipals" in source and request.jwt:
            return False
    for op in [t.get("operation", {}) for t in rule.get("to", [])] or [{}]:
        if "paths" in op and not any(_glob(p, request.path.split("?")[0]) for p in op["paths"]):
            return False
    return True


def _glob(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)
