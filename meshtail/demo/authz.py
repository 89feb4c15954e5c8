"""Who the stand-in's user is and what RBAC lets them do: the answers to the self-review kinds.

The stand-in behaves as a cluster where every signed-in user (the kubeconfig's, and whomever
``--as`` impersonates) holds exactly meshtail's documented read-only ClusterRole
(``deploy/rbac.yaml``, bound by a ClusterRoleBinding of the same name), a read-only role for the
rest of what the stand-in serves (namespaces, Deployments, ReplicaSets, DaemonSets), and the roles
every authenticated user has on a real cluster (``system:basic-user``, ``system:discovery``,
``system:public-info-viewer``).  It decides as the RBAC authorizer does — rules matched by verb,
API group and resource (``*`` and ``*/sub`` forms), non-resource URLs by exact path or
``prefix*`` — and words its reasons the same way: ``RBAC: allowed by ClusterRoleBinding "b" of
ClusterRole "r" to Group "g"`` when allowed, no reason when nothing allows it (RBAC has no
opinion, so the request is denied).  The server asks it of every request, so what the reviews
answer is what is served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# deploy/rbac.yaml's ClusterRole, rule for rule (a test checks the two stay equal)
MESHTAIL_READER = "meshtail-reader"
MESHTAIL_READER_RULES: tuple[dict[str, list[str]], ...] = (
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {
        "apiGroups": [
            "networking.istio.io",
            "security.istio.io",
            "telemetry.istio.io",
            "extensions.istio.io",
            "gateway.networking.k8s.io",
        ],
        "resources": ["*"],
        "verbs": ["get", "list", "watch"],
    },
)

# what the demo cluster lets its user read besides meshtail's role, so that kubectl's `get ns`, `get deploy,rs`,
# `get svc,ep,events`, `describe pod` (its Events) and `logs deploy/NAME` work against it (meshtail itself needs none
# of it: a test checks its requests against the role).  Rule for rule what Kubernetes' built-in `view` ClusterRole
# grants on what the stand-in serves: no Secrets, no Nodes, no CRDs, no events.k8s.io — those are 403, as a real
# viewer sees them.  (Pods and their logs are meshtail's role's: `view` lists them too, but holding them twice would
# print them twice in `kubectl auth can-i --list`.)
DEMO_VIEWER = "meshtail-demo-viewer"
DEMO_VIEWER_RULES: tuple[dict[str, list[str]], ...] = (
    {
        "apiGroups": [""],
        "resources": [
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
        ],
        "verbs": ["get", "list", "watch"],
    },
    {
        "apiGroups": [""],
        "resources": [
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
        ],
        "verbs": ["get", "list", "watch"],
    },
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
    {
        "apiGroups": ["apps"],
        "resources": [
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ],
        "verbs": ["get", "list", "watch"],
    },
    {
        "apiGroups": ["autoscaling"],
        "resources": ["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
        "verbs": ["get", "list", "watch"],
    },
)

# the kubeconfig's own user may act as others (``kubectl --as``, ``meshtail --as``): RBAC's impersonate verb on users,
# groups and service accounts, bound to that user alone (whom it impersonates does not inherit it)
DEMO_IMPERSONATOR = "meshtail-demo-impersonator"
DEMO_IMPERSONATOR_RULES: tuple[dict[str, list[str]], ...] = (
    {"apiGroups": [""], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["impersonate"]},
)
# what the demo viewer may read besides the discovery paths every user has: the health checks one by one
DEMO_HEALTH_RULES: tuple[dict[str, list[str]], ...] = (
    {"nonResourceURLs": ["/healthz/*", "/livez/*", "/readyz/*"], "verbs": ["get"]},
)

# the bootstrap roles of k8s.io/apiserver's bootstrappolicy, as a 1.31 server has them
_BASIC_USER_RULES: tuple[dict[str, list[str]], ...] = (
    {
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        "verbs": ["create"],
    },
    {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]},
)
_DISCOVERY_RULES: tuple[dict[str, list[str]], ...] = (
    {
        "nonResourceURLs": [
            "/api",
            "/api/*",
            "/apis",
            "/apis/*",
            "/healthz",
            "/livez",
            "/openapi",
            "/openapi/*",
            "/readyz",
            "/version",
            "/version/",
        ],
        "verbs": ["get"],
    },
)
_PUBLIC_INFO_RULES: tuple[dict[str, list[str]], ...] = (
    {"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]},
)


@dataclass(frozen=True)
class Binding:
    """A ClusterRoleBinding of one ClusterRole to one subject (``User`` or ``Group``)."""

    name: str
    role: str
    subject_kind: str
    subject: str
    rules: tuple[dict[str, list[str]], ...]

    def applies(self, user: str, groups: tuple[str, ...]) -> bool:
        return self.subject == user if self.subject_kind == "User" else self.subject in groups

    def reason(self) -> str:
        return (
            f'RBAC: allowed by ClusterRoleBinding "{self.name}" of ClusterRole "{self.role}" '
            f'to {self.subject_kind} "{self.subject}"'
        )


def bindings(reader: str, impersonator: bool = True) -> list[Binding]:
    """The cluster's ClusterRoleBindings: meshtail's role and the demo's viewer role bound to every signed-in user
    (the kubeconfig's, and whomever ``kubectl --as`` / ``meshtail --as`` impersonates: a demo cluster), unless
    ``reader`` is empty (a namespace the fault knobs deny); impersonation for ``reader`` itself (unless the
    ``impersonator`` knob is off); and the built-in ones."""
    granted = (
        [
            Binding(MESHTAIL_READER, MESHTAIL_READER, "Group", "system:authenticated", MESHTAIL_READER_RULES),
            Binding(DEMO_VIEWER, DEMO_VIEWER, "Group", "system:authenticated", DEMO_VIEWER_RULES + DEMO_HEALTH_RULES),
        ]
        if reader
        else []
    )
    if reader and impersonator:
        granted.append(Binding(DEMO_IMPERSONATOR, DEMO_IMPERSONATOR, "User", reader, DEMO_IMPERSONATOR_RULES))
    return [
        *granted,
        Binding("system:basic-user", "system:basic-user", "Group", "system:authenticated", _BASIC_USER_RULES),
        Binding("system:discovery", "system:discovery", "Group", "system:authenticated", _DISCOVERY_RULES),
        Binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            "Group",
            "system:authenticated",
            _PUBLIC_INFO_RULES,
        ),
        Binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            "Group",
            "system:unauthenticated",
            _PUBLIC_INFO_RULES,
        ),
    ]


def _has(values: list[str], wanted: str) -> bool:
    return "*" in values or wanted in values


def _resource_matches(rule: dict[str, list[str]], resource: str, subresource: str) -> bool:
    """rbac's ResourceMatches: ``*``, the exact ``resource[/sub]``, or ``*/sub``."""
    combined = f"{resource}/{subresource}" if subresource else resource
    for allowed in rule.get("resources", []):
        if allowed in ("*", combined) or (subresource and allowed == f"*/{subresource}"):
            return True
    return False


def _url_matches(rule: dict[str, list[str]], path: str) -> bool:
    for allowed in rule.get("nonResourceURLs", []):
        if allowed == "*" or allowed == path or (allowed.endswith("*") and path.startswith(allowed[:-1])):
            return True
    return False


def _allows(rule: dict[str, list[str]], attributes: dict[str, Any], resource_request: bool) -> bool:
    verb = str(attributes.get("verb") or "")
    if not _has(rule.get("verbs", []), verb):
        return False
    if not resource_request:
        return "nonResourceURLs" in rule and _url_matches(rule, str(attributes.get("path") or ""))
    if "nonResourceURLs" in rule:
        return False
    return _has(rule.get("apiGroups", []), str(attributes.get("group") or "")) and _resource_matches(
        rule, str(attributes.get("resource") or ""), str(attributes.get("subresource") or "")
    )


def authorize(
    reader: str,
    user: str,
    groups: tuple[str, ...],
    attributes: dict[str, Any],
    resource_request: bool = True,
    impersonator: bool = True,
) -> tuple[bool, str]:
    """(allowed, reason) for one request, as the RBAC authorizer decides and words it."""
    for binding in bindings(reader, impersonator):
        if binding.applies(user, groups) and any(_allows(r, attributes, resource_request) for r in binding.rules):
            return True, binding.reason()
    return False, ""


def rules_for(
    reader: str, user: str, groups: tuple[str, ...], impersonator: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(resourceRules, nonResourceRules) of a SelfSubjectRulesReview: every rule of every binding that applies."""
    resource_rules: list[dict[str, Any]] = []
    url_rules: list[dict[str, Any]] = []
    for binding in bindings(reader, impersonator):
        if not binding.applies(user, groups):
            continue
        for rule in binding.rules:
            if "nonResourceURLs" in rule:
                url_rules.append({"verbs": list(rule["verbs"]), "nonResourceURLs": list(rule["nonResourceURLs"])})
            else:
                resource_rules.append(
                    {
                        "verbs": list(rule["verbs"]),
                        "apiGroups": list(rule["apiGroups"]),
                        "resources": list(rule["resources"]),
                    }
                )
    return resource_rules, url_rules
