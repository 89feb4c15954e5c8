"""Kubernetes audit events in every shape they are exported, and how each is classified.

Every line is a record of the labelled corpus (tests/data/corpus/k8s-audit, found by a marker
in its raw text and checked against its ``src``) or, for the pre-1.8 legacy lines, copied from
the cited page.  Envelopes the wrapper layer peels (AKS ``properties.log``, CloudWatch
``@message``) are read both ways: the inner Event as the wrapper layer hands it over, and the
whole record in case it reaches the parser unpeeled.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from meshtail.parse import k8s_audit
from meshtail.parse.k8s_audit import ACTIONS, recognise, recognise_json

from .conftest import parse, verdict

CORPUS = Path(__file__).parent / "data" / "corpus" / "k8s-audit"
ELASTIC_K8S = "elastic/integrations packages/kubernetes/data_stream/audit_logs/_dev/test/pipeline/test-audit.log"
ELASTIC_AKS = "elastic/integrations packages/kubernetes/data_stream/audit_logs/_dev/test/pipeline/test-kube-audit.log"
ELASTIC_GCP = "elastic/integrations packages/gcp/data_stream/audit/_dev/test/pipeline/test-audit.log"
ELASTIC_GCP_HNAP = (
    "elastic/integrations packages/gcp/data_stream/audit/_dev/test/pipeline/test-k8s-nonmatching-resourcename.log"
)
CKS_NOTES = "github file: Chinese CKS notes on Kubernetes auditing"
K8S_DOCS_18 = (
    "kubernetes docs: tasks/debug-application-cluster/audit (Kubernetes 1.8-era revision of the Auditing page)"
)
V1_DERIVED = "audit.k8s.io/v1 Event shape of real lines in k8s-audit/v1.jsonl"
GKE_DERIVED = "GKE Cloud Audit Log layout of the real entries in k8s-audit/gke.jsonl"
AKS_DERIVED = "AKS diagnostic-settings kube-audit layout of the real record in k8s-audit/aks.jsonl"
EKS_BLOG = 'github file: Korean blog "EKS Observability" (AEWS week 4)'

# Kubernetes 1.6/1.7 docs, "Legacy Audit" (kubernetes.io/docs/tasks/debug-application-cluster/audit/,
# the same page as K8S_DOCS_18 in its earlier revision; search-index file id 3852752150)
LEGACY_16_REQUEST = (
    '2017-03-21T03:57:09.106841886-04:00 AUDIT: id="c939d2a7-1c37-4ef1-b2f7-4ba9b1e43b53" ip="127.0.0.1" '
    'method="GET" user="admin" groups="\\"system:masters\\",\\"system:authenticated\\"" as="<self>" '
    'asgroups="<lookup>" namespace="default" uri="/api/v1/namespaces/default/pods"'
)
LEGACY_16_RESPONSE = (
    '2017-03-21T03:57:09.108403639-04:00 AUDIT: id="c939d2a7-1c37-4ef1-b2f7-4ba9b1e43b53" response="200"'
)
# kubernetes/kubernetes#27087 ("Basic audit log", the PR that introduced it): impersonation, and
# the unquoted response of the first version
LEGACY_27087_AS = (
    'AUDIT: id="b0a443ae-f7d8-408c-a355-eb9501fd5c59" ip="192.168.121.118" method="GET" user="system:admin" '
    'as="test-admin" namespace="openshift" uri="/api/v1/namespaces/openshift/pods/python"'
)
LEGACY_27087_RESPONSE = 'AUDIT: id="b0a443ae-f7d8-408c-a355-eb9501fd5c59" response=200'


def record(name: str, marker: str, src: str) -> dict[str, Any]:
    """The one corpus record of *name* whose raw line holds *marker*; its ``src`` must start with *src*."""
    found = [
        json.loads(text)
        for text in (CORPUS / name).read_text("utf-8").splitlines()
        if marker in json.loads(text)["raw"]
    ]
    assert len(found) == 1, f"{name}: {len(found)} records hold {marker!r}"
    assert found[0]["src"].startswith(src), found[0]["src"]
    return found[0]


def raw(name: str, marker: str, src: str) -> str:
    return str(record(name, marker, src)["raw"])


def event_json(name: str, marker: str, src: str) -> dict[str, Any]:
    return dict(json.loads(raw(name, marker, src)))


def read(obj: dict[str, Any]) -> Any:
    found = recognise_json(obj, None)
    assert found is not None and found[0] == "k8s-audit"
    assert found[1].decoded
    return found[1]


def decision(parsed: Any) -> tuple[str, str, bool]:
    return parsed.category, parsed.outcome, parsed.violation


# ---------------------------------------------------------------- audit.k8s.io/v1 and v1beta1


def test_v1_request_received_has_no_status_and_no_annotations() -> None:
    obj = event_json(
        "v1.jsonl", '"auditID":"3ea2f430-108b-4b17-b967-6e26619fda99","stage":"RequestReceived"', CKS_NOTES
    )
    parsed = read(obj)
    assert decision(parsed) == ("other", "unknown", False)
    assert parsed.action == "k8s.update" and parsed.severity == "debug"
    assert parsed.time == "2021-05-24T08:28:50.431353Z"
    assert "http.response.status_code" not in parsed.attributes
    assert parsed.attributes["k8s.stage"] == "RequestReceived"
    assert parsed.attributes["k8s.user"] == "system:kube-controller-manager"


def test_v1_response_complete_non_mesh_is_other_success() -> None:
    obj = event_json(
        "v1.jsonl", '"auditID":"abcde12345","stage":"ResponseComplete","requestURI":"/api/v1/', ELASTIC_K8S
    )
    parsed = read(obj)
    assert decision(parsed) == ("other", "success", False)
    assert parsed.action == "k8s.get" and parsed.severity == "debug"
    assert parsed.summary == "system:serviceaccounts:default:default get pods default/my-pod -> 200"
    a = parsed.attributes
    assert (a["k8s.resource"], a["k8s.namespace"], a["k8s.name"], a["http.response.status_code"]) == (
        "pods",
        "default",
        "my-pod",
        200,
    )
    assert a["client.address"] == "67.43.156.1" and a["user_agent.original"] == "kubectl/v1.26.1"


def test_v1_with_optional_fields_missing_still_reads() -> None:
    # derived: the real CKS-notes ResponseComplete event with user, objectRef, annotations removed
    obj = event_json(
        "v1.jsonl",
        '"stage":"ResponseComplete","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager',
        CKS_NOTES,
    )
    for key in ("user", "objectRef", "annotations", "userAgent", "sourceIPs"):
        del obj[key]
    parsed = read(obj)
    assert decision(parsed) == ("other", "success", False)
    # the object is read from requestURI when objectRef is missing
    assert parsed.attributes["k8s.resource"] == "leases" and parsed.attributes["k8s.name"] == "kube-controller-manager"
    assert parsed.summary.startswith("unknown user update leases kube-system/kube-controller-manager")


def test_v1beta1_timestamp_and_creation_timestamp() -> None:
    received = read(event_json("v1beta1.jsonl", '"stage":"RequestReceived"', K8S_DOCS_18))
    complete = read(event_json("v1beta1.jsonl", '"stage":"ResponseComplete"', K8S_DOCS_18))
    assert decision(received) == ("other", "unknown", False)
    assert decision(complete) == ("other", "success", False)
    assert received.time == complete.time == "2017-09-05T10:04:55Z"
    assert complete.summary == "kubecfg list roles in default -> 200"
    # derived: v1beta1 mesh delete with only metadata.creationTimestamp left as its time
    obj = event_json(
        "v1beta1-derived.jsonl", "mtls-backend", "audit.k8s.io/v1beta1 layout of the real Kubernetes-docs sample"
    )
    for key in ("timestamp", "requestReceivedTimestamp", "stageTimestamp"):
        del obj[key]
    parsed = read(obj)
    assert parsed.time == "2019-03-28T13:22:27Z"
    assert decision(parsed) == ("config", "change", False) and parsed.action == "resource.delete"
    assert parsed.summary == "kubecfg deleted policies default/mtls-backend (authentication.istio.io)"


# ---------------------------------------------------------------- mesh vs non-mesh decisions


def test_mesh_change_names_the_actor() -> None:
    parsed = read(event_json("v1-derived.jsonl", "6b48ee52-baa4-47d1-9357-98d1bf7bee7e", V1_DERIVED))
    assert decision(parsed) == ("config", "change", False)
    assert parsed.action == "resource.create" and parsed.severity == "info"
    assert parsed.summary == "kubernetes-admin created virtualservices default/reviews (networking.istio.io)"
    assert parsed.attributes["k8s.user"] == "kubernetes-admin"
    assert parsed.attributes["k8s.api_group"] == "networking.istio.io"


def test_mesh_create_without_a_name() -> None:
    parsed = read(event_json("v1-derived.jsonl", "3e5a7c9e-1b3d-4f5b-9d7f-1a3c5e7a9c1e", V1_DERIVED))
    assert decision(parsed) == ("config", "change", False)
    assert parsed.summary == "kubernetes-admin created envoyfilters in default (networking.istio.io)"


def test_impersonation_keeps_the_real_user_and_names_both() -> None:
    parsed = read(event_json("v1-derived.jsonl", "d4f6a8c0-2e4a-4c6e-8a0c-4e6a8c0e2a4c", V1_DERIVED))
    assert decision(parsed) == ("config", "change", False) and parsed.action == "resource.update"
    assert parsed.attributes["k8s.user"] == "alice@example.com"
    assert parsed.attributes["k8s.impersonated_user"] == "system:serviceaccount:mesh:egress-admin"
    assert parsed.summary == (
        "alice@example.com (as system:serviceaccount:mesh:egress-admin) updated serviceentries "
        "istio-system/api-ipify (networking.istio.io)"
    )


def test_forbidden_mesh_change_is_a_config_denial() -> None:
    parsed = read(event_json("v1-derived.jsonl", "7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8", V1_DERIVED))
    assert decision(parsed) == ("config", "deny", True) and parsed.action == "resource.update"
    assert parsed.summary == "dev@example.com was denied patch on virtualservices prod/checkout (networking.istio.io)"
    assert parsed.attributes["k8s.authorization.decision"] == "forbid"


def test_forbidden_non_mesh_request_is_an_auth_denial() -> None:
    line = raw("eks-derived.jsonl", "9151d8b4-0630-4020-8e18-c65369a13249", EKS_BLOG)
    parsed = read(json.loads(line[line.index("{") :]))
    assert decision(parsed) == ("auth", "deny", True) and parsed.action == "k8s.list"
    assert parsed.summary == "system:kube-scheduler was denied list on poddisruptionbudgets -> 403"


def test_webhook_rejection_is_rejected_config() -> None:
    parsed = read(event_json("v1-derived.jsonl", "5c7e9a1b-3d5f-4b7d-8f1a-3c5e7a9b1d3f", V1_DERIVED))
    assert decision(parsed) == ("config", "failure", True) and parsed.action == "resource.create"
    assert parsed.attributes["k8s.admission_webhook"] == "validation.istio.io"
    assert parsed.summary == (
        'admission webhook "validation.istio.io" rejected kubernetes-admin\'s create of gateways '
        "istio-system/bookinfo-gateway (networking.istio.io)"
    )


def test_non_final_stage_of_a_mesh_change_is_config_unknown() -> None:
    parsed = read(event_json("v1-derived.jsonl", "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", V1_DERIVED))
    assert decision(parsed) == ("config", "unknown", False) and parsed.severity == "debug"
    assert parsed.action == "resource.create"


def test_mesh_reads_are_other_events() -> None:
    watch = read(event_json("v1-derived.jsonl", "8a0c2e4f-6b8d-4f0a-b2c4-6e8a0c2e4f6b", V1_DERIVED))
    missing = read(event_json("v1-derived.jsonl", "0a2c4e6a-8c0e-4a2c-8e4a-6c8e0a2c4e6a", V1_DERIVED))
    assert decision(watch) == ("other", "success", False) and watch.action == "k8s.watch"
    assert decision(missing) == ("other", "failure", False) and missing.action == "k8s.get"


def test_mesh_configmap_is_mesh_config() -> None:
    parsed = read(event_json("v1-derived.jsonl", "f6b8d0f2-4c6e-4a8c-8e2a-4c6e8a0c2e4a", V1_DERIVED))
    assert decision(parsed) == ("config", "change", False)
    assert parsed.summary == "kubernetes-admin updated configmaps istio-system/istio (mesh config)"
    # derived: the same event on another ConfigMap of istio-system is not mesh config
    obj = event_json("v1-derived.jsonl", "f6b8d0f2-4c6e-4a8c-8e2a-4c6e8a0c2e4a", V1_DERIVED)
    obj["objectRef"]["name"] = "istio-ca-root-cert"
    assert decision(read(obj)) == ("other", "success", False)


def test_istio_webhook_configuration_is_mesh_config() -> None:
    # derived: the real configmap update event turned into a patch of Istio's validating webhook
    obj = event_json("v1-derived.jsonl", "f6b8d0f2-4c6e-4a8c-8e2a-4c6e8a0c2e4a", V1_DERIVED)
    obj["verb"] = "patch"
    obj["objectRef"] = {
        "resource": "validatingwebhookconfigurations",
        "name": "istio-validator-istio-system",
        "apiGroup": "admissionregistration.k8s.io",
        "apiVersion": "v1",
    }
    parsed = read(obj)
    assert decision(parsed) == ("config", "change", False) and parsed.action == "resource.update"
    obj["objectRef"]["name"] = "cert-manager-webhook"
    assert decision(read(obj)) == ("other", "success", False)


def test_status_writes_are_reports_not_config_unless_forbidden() -> None:
    # derived: the real HTTPRoute update, as istiod's write of its status subresource
    obj = event_json("v1-derived.jsonl", "a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d", V1_DERIVED)
    obj["objectRef"]["subresource"] = "status"
    obj["user"]["username"] = "system:serviceaccount:istio-system:istiod"
    parsed = read(obj)
    assert decision(parsed) == ("other", "success", False) and parsed.action == "k8s.update"
    obj["responseStatus"] = {"code": 403, "reason": "Forbidden"}
    obj["annotations"]["authorization.k8s.io/decision"] = "forbid"
    assert decision(read(obj)) == ("config", "deny", True)


# ---------------------------------------------------------------- GKE Cloud Audit Logs


def test_gke_allowed_non_mesh_read() -> None:
    parsed = read(event_json("gke.jsonl", "94170ac4-6e82-4345-98ad-3c780222d19d", ELASTIC_GCP))
    assert decision(parsed) == ("other", "success", False) and parsed.action == "k8s.list"
    a = parsed.attributes
    assert a["k8s.user"] == "xxx@xxx.xxx" and a["k8s.resource"] == "nodes" and "k8s.api_group" not in a
    assert a["k8s.cluster"] == "analysis-cluster" and a["cloud.provider"] == "gcp"
    assert a["gcp.method_name"] == "io.k8s.core.v1.nodes.list"
    assert a["client.address"] == "192.168.1.1" and a["user_agent.original"] == "GoogleCloudConsole"
    assert parsed.time == "2021-04-23T14:47:07.535383Z"


def test_gke_permission_denied_non_mesh_is_an_auth_denial() -> None:
    parsed = read(event_json("gke.jsonl", "k8s-nonmatch-0001", ELASTIC_GCP_HNAP))
    assert decision(parsed) == ("auth", "deny", True) and parsed.action == "k8s.get"
    assert parsed.summary == "system:anonymous was denied get on HNAP1 -> PERMISSION_DENIED"
    assert parsed.attributes["rpc.grpc.status_code"] == 7


def test_gke_mesh_update_and_denial() -> None:
    update = read(event_json("gke-derived.jsonl", "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", GKE_DERIVED))
    assert decision(update) == ("config", "change", False) and update.action == "resource.update"
    assert update.summary == "alice@example.com updated virtualservices bookinfo/reviews (networking.istio.io)"
    assert update.attributes["k8s.cluster"] == "prod"
    denied = read(event_json("gke-derived.jsonl", "2a3b4c5d-6e7f-4a8b-9c0d-2e3f4a5b6c7d", GKE_DERIVED))
    assert decision(denied) == ("config", "deny", True) and denied.action == "resource.delete"
    assert (
        denied.summary
        == "bob@example.com was denied delete on authorizationpolicies payments/allow-nothing (security.istio.io)"
    )
    route = read(event_json("gke-derived.jsonl", "4c5d6e7f-8a9b-4c0d-9e1f-4a5b6c7d8e9f", GKE_DERIVED))
    assert route.attributes["k8s.api_group"] == "gateway.networking.k8s.io" and route.action == "resource.create"


def test_gke_group_from_the_method_name_when_no_resource_name() -> None:
    # derived: the real-layout entry without resourceName and authorizationInfo[].resource
    obj = event_json("gke-derived.jsonl", "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", GKE_DERIVED)
    del obj["protoPayload"]["resourceName"]
    del obj["protoPayload"]["authorizationInfo"][0]["resource"]
    parsed = read(obj)
    assert parsed.attributes["k8s.api_group"] == "networking.istio.io"
    assert decision(parsed) == ("config", "change", False)


def test_gke_webhook_rejection_of_mesh_change() -> None:
    # derived: the real-layout update answered INVALID_ARGUMENT by Istio's validating webhook
    obj = event_json("gke-derived.jsonl", "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", GKE_DERIVED)
    obj["protoPayload"]["status"] = {
        "code": 3,
        "message": 'admission webhook "validation.istio.io" denied the request: configuration is invalid: '
        "virtual service must have at least one host",
    }
    parsed = read(obj)
    assert decision(parsed) == ("config", "failure", True)


def test_other_cloud_audit_logs_are_not_k8s() -> None:
    obj = event_json("gke.jsonl", "-uihnmjctwo", ELASTIC_GCP)
    assert recognise_json(obj, None) is None


# ---------------------------------------------------------------- AKS and EKS envelopes


def test_aks_inner_event_as_the_wrapper_layer_hands_it_over() -> None:
    envelope = event_json("aks.jsonl", "ad26f7bc-f1c6-4097-90f1-e0924e12f257", ELASTIC_AKS)
    parsed = read(json.loads(envelope["properties"]["log"]))
    assert decision(parsed) == ("other", "success", False) and parsed.action == "k8s.update"
    assert parsed.attributes["k8s.user"] == "aksService"
    denied = event_json("aks-derived.jsonl", "7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8", AKS_DERIVED)
    assert decision(read(json.loads(denied["properties"]["log"]))) == ("config", "deny", True)


def test_aks_record_unpeeled_string_and_object() -> None:
    envelope = event_json("aks.jsonl", "ad26f7bc-f1c6-4097-90f1-e0924e12f257", ELASTIC_AKS)
    parsed = read(envelope)
    assert decision(parsed) == ("other", "success", False)
    assert parsed.attributes["k8s.cluster"] == "TEST-CLUSTER" and parsed.attributes["cloud.provider"] == "azure"
    assert parsed.attributes["azure.log_category"] == "kube-audit"
    as_object = event_json("aks.jsonl", '"auditID":"abcde12345"', ELASTIC_K8S)
    assert isinstance(as_object["properties"]["log"], dict)
    parsed = read(as_object)
    assert decision(parsed) == ("other", "success", False)
    assert parsed.attributes["k8s.cluster"] == "TEST-AKS"


def test_aks_envelope_around_something_else_is_not_claimed() -> None:
    # derived: the real AKS record with a kube-apiserver (not audit) line in properties.log
    envelope = event_json("aks.jsonl", "ad26f7bc-f1c6-4097-90f1-e0924e12f257", ELASTIC_AKS)
    envelope["properties"]["log"] = "I0305 10:00:00.000000       1 controller.go:615] quota admission added"
    assert recognise_json(envelope, None) is None


def test_eks_cloudwatch_message_unpeeled_and_inner() -> None:
    row = event_json("eks-derived.jsonl", '"@message"', EKS_BLOG)
    parsed = read(row)
    assert decision(parsed) == ("config", "deny", True) and parsed.action == "resource.update"
    assert parsed.attributes["k8s.cluster"] == "prod" and parsed.attributes["cloud.account.id"] == "123456789012"
    assert parsed.attributes["cloud.provider"] == "aws"
    assert decision(read(json.loads(row["@message"]))) == ("config", "deny", True)


def test_aws_logs_tail_lines() -> None:
    line = raw("eks-derived.jsonl", "6b48ee52-baa4-47d1-9357-98d1bf7bee7e", EKS_BLOG)
    stream_and_json = line.split(" ", 1)[1]  # what the text families get once the time is peeled
    for body in (line, stream_and_json):
        found = recognise(body, None)
        assert found is not None and found[0] == "k8s-audit"
        assert decision(found[1]) == ("config", "change", False)
        assert found[1].attributes["aws.log.stream"] == "kube-apiserver-audit-900118300c7497e54b1f844e21ac4f7b"
        assert found[1].summary == "kubernetes-admin created virtualservices default/reviews (networking.istio.io)"


# ---------------------------------------------------------------- legacy text


def test_legacy_advanced_audit_lines() -> None:
    received = raw("legacy.jsonl", 'stage="RequestReceived"', K8S_DOCS_18)
    complete = raw("legacy.jsonl", 'stage="ResponseComplete"', K8S_DOCS_18)
    first, second = recognise(received, None), recognise(complete, None)
    assert first is not None and second is not None
    assert decision(first[1]) == ("other", "unknown", False)
    assert decision(second[1]) == ("other", "success", False)
    a = second[1].attributes
    assert a["k8s.user"] == "kubecfg" and a["k8s.user.groups"] == ["system:masters", "system:authenticated"]
    assert (a["k8s.verb"], a["k8s.resource"], a["k8s.namespace"], a["k8s.api_group"]) == (
        "list",
        "roles",
        "default",
        "rbac.authorization.k8s.io",
    )
    assert a["http.response.status_code"] == 200 and a["client.address"] == "172.16.116.128"
    assert second[1].time == "2017-09-05T10:08:19.885328047Z"
    assert "k8s.impersonated_user" not in a  # as="<self>"


def test_legacy_pre_18_request_and_response_lines() -> None:
    request, response = recognise(LEGACY_16_REQUEST, None), recognise(LEGACY_16_RESPONSE, None)
    assert request is not None and response is not None
    assert decision(request[1]) == ("other", "unknown", False) and request[1].action == "k8s.get"
    assert request[1].attributes["http.request.method"] == "GET"
    assert decision(response[1]) == ("other", "success", False) and response[1].action == "k8s.response"
    assert response[1].summary == "response 200 to request c939d2a7-1c37-4ef1-b2f7-4ba9b1e43b53"
    assert response[1].time == "2017-03-21T07:57:09.108403639Z"


def test_legacy_impersonation_and_unquoted_response() -> None:
    request, response = recognise(LEGACY_27087_AS, None), recognise(LEGACY_27087_RESPONSE, None)
    assert request is not None and response is not None
    assert request[1].attributes["k8s.user"] == "system:admin"
    assert request[1].attributes["k8s.impersonated_user"] == "test-admin"
    assert request[1].summary.startswith("system:admin (as test-admin) get pods openshift/python")
    assert response[1].attributes["http.response.status_code"] == 200


def test_kiali_audit_lines_are_not_api_server_events() -> None:
    for text in (CORPUS / "kiali.jsonl").read_text("utf-8").splitlines():
        assert recognise(json.loads(text)["raw"], None) is None


# ---------------------------------------------------------------- shapes added by the export-shape review
#
# Real lines (each cites where it was found; "search-index file id" is the public-code index's id of
# a GitHub file whose repository the index does not report).

# CITADEL_NOTES: CKS lab notes, `cat /var/log/kubernetes/audit/audit.log | grep citadel | grep resource | head`
# (github markdown; search-index file id 17371938770), Kubernetes 1.20, impersonation by kubectl --as
CITADEL_DELETE = (
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"3217e7fa-92c7-4067-a340-3ae0689f35c7",'
    '"stage":"ResponseComplete","requestURI":"/api/v1/namespaces/citadel/configmaps/webapp-config-map","verb":"delete",'
    '"user":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},'
    '"impersonatedUser":{"username":"agent-smith","groups":["system:authenticated"]},"sourceIPs":["192.168.121.1"],'
    '"userAgent":"kubectl/v1.20.0 (linux/amd64) kubernetes/af46c47","objectRef":{"resource":"configmaps",'
    '"namespace":"citadel","name":"webapp-config-map","apiVersion":"v1"},"responseStatus":{"metadata":{},'
    '"status":"Success","code":200},"requestReceivedTimestamp":"2022-06-23T13:38:21.709680Z",'
    '"stageTimestamp":"2022-06-23T13:38:21.721166Z","annotations":{"authorization.k8s.io/decision":"allow",'
    '"authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \\"important_binding_do_not_delete/citadel\\" of '
    'Role \\"important_role_do_not_delete\\" to User \\"agent-smith\\""}}'
)
# the same notes, further down: the author pasted an event without its opening brace
CITADEL_NO_BRACE = (
    '"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"09c1f422-4c4c-4445-8564-2e21a85aaeb6",'
    '"stage":"ResponseComplete","requestURI":"/api/v1/namespaces/citadel/pods?fieldSelector=metadata.name%3Dwebapp-color",'
    '"verb":"list","user":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},'
    '"impersonatedUser":{"username":"agent-smith","groups":["system:authenticated"]},"sourceIPs":["192.168.121.1"],'
    '"userAgent":"kubectl/v1.20.0 (linux/amd64) kubernetes/af46c47",'
    '"objectRef":{"resource":"pods","namespace":"citadel","name":"webapp-color","apiVersion":"v1"},'
    '"responseStatus":{"metadata":{},"code":200},'
    '"requestReceivedTimestamp":"2022-06-23T14:08:21.473864Z","stageTimestamp":"2022-06-23T14:08:21.492509Z",'
    '"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":'
    '"RBAC: allowed by RoleBinding \\"important_binding_do_not_delete/citadel\\" of Role '
    '\\"important_role_do_not_delete\\" to User \\"agent-smith\\""}}'
)
# Falco alerts of the k8s_audit source: a "Disallowed K8s User" alert from a Falco log (github file;
# search-index file id 46235146), and "Anonymous Request Allowed" from a Falco k8saudit walkthrough
# (github markdown; search-index file id 26187158881)
FALCO_DISALLOWED = (
    '{"hostname":"my-pool-1-node-921b61","output":"09:15:57.508657000: Warning K8s Operation performed by user not in '
    "allowed list of users (user=yacht target=my-pool-1.18051c0a88716868/events verb=patch "
    'uri=/api/v1/namespaces/default/events/my-pool-1.18051c0a88716868 resp=403)","output_fields":{"evt.time":'
    '1739178957508657000,"ka.response.code":"403","ka.target.name":"my-pool-1.18051c0a88716868","ka.target.resource":'
    '"events","ka.uri":"/api/v1/namespaces/default/events/my-pool-1.18051c0a88716868","ka.user.name":"yacht",'
    '"ka.verb":"patch"},"priority":"Warning","rule":"Disallowed K8s User","source":"k8s_audit","tags":["k8s"],'
    '"time":"2025-02-10T09:15:57.508657000Z"}'
)
FALCO_ANONYMOUS = (
    '{"output":"2022-02-15T14:03:12.123639040+0000: Warning Request by anonymous user allowed (user=system:anonymous '
    'verb=get uri=/readyz reason=RBAC: allowed by ClusterRoleBinding \\"system:public-info-viewer\\" of ClusterRole '
    '\\"system:public-info-viewer\\" to Group \\"system:unauthenticated\\"))","priority":"Warning","rule":'
    '"Anonymous Request Allowed","source":"k8s_audit","tags":["k8s"],"time":"2022-02-15T14:03:12.123639040Z", '
    '"output_fields": {"jevt.time.iso8601":"2022-02-15T14:03:12.123639040+0000","ka.auth.reason":"RBAC: allowed by '
    'ClusterRoleBinding \\"system:public-info-viewer\\" of ClusterRole \\"system:public-info-viewer\\" to Group '
    '\\"system:unauthenticated\\"","ka.uri":"/readyz","ka.user.name":"system:anonymous","ka.verb":"get"}}'
)


def mesh_create() -> dict[str, Any]:
    return event_json("v1-derived.jsonl", "6b48ee52-baa4-47d1-9357-98d1bf7bee7e", V1_DERIVED)


def through_pipeline(line: str) -> Any:
    event = parse(line)
    assert event.format == "k8s-audit", (event.format, event.summary)
    return event


def test_server_side_dry_run_of_a_mesh_change_is_not_a_change() -> None:
    # derived: the real-shape VirtualService create as `kubectl apply --dry-run=server` sends it
    obj = mesh_create()
    obj["requestURI"] = obj["requestURI"].replace("?", "?dryRun=All&")
    parsed = read(obj)
    assert decision(parsed) == ("config", "success", False) and parsed.action == "resource.create"
    assert parsed.attributes["k8s.dry_run"] is True
    assert parsed.summary == (
        "kubernetes-admin dry-run create of virtualservices default/reviews (networking.istio.io) "
        "passed (not persisted)"
    )
    # a dry run the Istio webhook rejects is still rejected config, a forbidden one still a denial
    obj["responseStatus"] = {
        "metadata": {},
        "status": "Failure",
        "message": 'admission webhook "validation.istio.io" denied the request: configuration is invalid: '
        "virtual service must have at least one host",
        "reason": "BadRequest",
        "code": 400,
    }
    assert decision(read(obj)) == ("config", "failure", True)


def test_admission_policy_findings_on_mesh_changes() -> None:
    # derived: the real-shape create, with a ValidatingAdmissionPolicy's Audit finding (the annotation the
    # k8s.io/api ValidationAction docs describe: a JSON list of {message, policy, binding, ...})
    obj = mesh_create()
    obj["annotations"]["validation.policy.admission.k8s.io/validation_failure"] = (
        '[{"message":"failed expression: object.spec.hosts.all(h, h != \'*\')","policy":"no-wildcard-hosts",'
        '"binding":"no-wildcard-hosts-binding","expressionIndex":0,"validationActions":["Audit"]}]'
    )
    parsed = read(obj)
    assert decision(parsed) == ("config", "change", True) and parsed.severity == "warning"
    assert parsed.summary.endswith('; admission policy "no-wildcard-hosts" (Audit) found it invalid')
    # derived: the same policy in Deny mode with reason Forbidden: a rejection by admission, not by RBAC
    obj = mesh_create()
    obj["responseStatus"] = {
        "metadata": {},
        "status": "Failure",
        "message": 'virtualservices.networking.istio.io "reviews" is forbidden: ValidatingAdmissionPolicy '
        "'no-wildcard-hosts' with binding 'no-wildcard-hosts-binding' denied request: failed expression",
        "reason": "Forbidden",
        "code": 403,
    }
    parsed = read(obj)
    assert decision(parsed) == ("config", "failure", True)
    assert parsed.attributes["k8s.admission_policy"] == "no-wildcard-hosts"


def test_mesh_crds_and_istio_rbac_are_mesh_config() -> None:
    # derived: the real-shape event as a delete of the VirtualService CRD (which deletes every VirtualService)
    obj = mesh_create()
    obj["verb"] = "delete"
    obj["objectRef"] = {
        "resource": "customresourcedefinitions",
        "name": "virtualservices.networking.istio.io",
        "apiGroup": "apiextensions.k8s.io",
        "apiVersion": "v1",
    }
    obj["responseStatus"] = {"metadata": {}, "code": 200}
    parsed = read(obj)
    assert decision(parsed) == ("config", "change", False) and parsed.action == "resource.delete"
    obj["objectRef"]["name"] = "certificates.cert-manager.io"
    assert decision(read(obj)) == ("other", "success", False)
    # derived: a patch of istiod's ClusterRole
    obj["verb"] = "patch"
    obj["objectRef"] = {
        "resource": "clusterroles",
        "name": "istiod-clusterrole-istio-system",
        "apiGroup": "rbac.authorization.k8s.io",
        "apiVersion": "v1",
    }
    assert decision(read(obj)) == ("config", "change", False)
    obj["objectRef"]["name"] = "system:aggregate-to-edit"
    assert decision(read(obj)) == ("other", "success", False)


def _aks_row(line: str, as_strings: bool) -> dict[str, Any]:
    """The event in the columns of AKS's resource-specific AKSAudit table (learn.microsoft.com:
    azure/azure-monitor/reference/tables/AKSAudit); `az monitor log-analytics query` gives dynamic columns as text."""
    o = json.loads(line)
    row: dict[str, Any] = {
        "TimeGenerated": o["stageTimestamp"],
        "Level": o["level"],
        "AuditId": o["auditID"],
        "Stage": o["stage"],
        "RequestUri": o["requestURI"],
        "Verb": o["verb"],
        "User": o["user"],
        "ImpersonatedUser": o["impersonatedUser"],
        "SourceIps": o["sourceIPs"],
        "UserAgent": o["userAgent"],
        "ObjectRef": o["objectRef"],
        "ResponseStatus": o["responseStatus"],
        "RequestReceivedTime": o["requestReceivedTimestamp"],
        "StageReceivedTime": o["stageTimestamp"],
        "Annotations": o["annotations"],
        "PodName": "kube-apiserver-5d8b9c7f6-x2l4q",
        "Type": "AKSAuditAdmin",
        "_ResourceId": "/subscriptions/0/resourcegroups/rg/providers/microsoft.containerservice/"
        "managedclusters/aks-prod",
    }
    if as_strings:
        for key in ("User", "ImpersonatedUser", "SourceIps", "ObjectRef", "ResponseStatus", "Annotations"):
            row[key] = json.dumps(row[key])
    return row


def test_aks_resource_specific_table_rows() -> None:
    # derived: the real CKS-notes event (CITADEL_NOTES) in AKSAuditAdmin's columns
    for as_strings in (False, True):
        row = _aks_row(CITADEL_DELETE, as_strings)
        event = through_pipeline(json.dumps(row))
        assert (event.category, event.outcome, event.violation) == ("other", "success", False)
        a = event.attributes
        assert a["k8s.user"] == "kubernetes-admin" and a["k8s.impersonated_user"] == "agent-smith"
        assert a["k8s.cluster"] == "aks-prod" and a["azure.log_table"] == "AKSAuditAdmin"
        assert event.time == "2022-06-23T13:38:21.721166Z"
        row["ObjectRef"] = {"resource": "authorizationpolicies", "namespace": "citadel", "name": "deny-all"}
        row["ObjectRef"]["apiGroup"] = "security.istio.io"
        assert decision(read(row)) == ("config", "change", False)


def test_falco_k8s_audit_alerts() -> None:
    denied = through_pipeline(FALCO_DISALLOWED)
    assert (denied.category, denied.outcome, denied.violation) == ("auth", "deny", True)
    assert denied.action == "k8s.patch" and denied.attributes["falco.rule"] == "Disallowed K8s User"
    assert denied.summary == "yacht was denied patch on events default/my-pool-1.18051c0a88716868 -> 403"
    allowed = through_pipeline(FALCO_ANONYMOUS)
    assert (allowed.category, allowed.outcome, allowed.violation) == ("other", "success", False)
    assert allowed.attributes["k8s.user"] == "system:anonymous" and allowed.action == "k8s.get"


def test_events_that_are_not_valid_json_as_pasted() -> None:
    no_brace = through_pipeline(CITADEL_NO_BRACE)
    assert (no_brace.category, no_brace.outcome, no_brace.violation) == ("other", "success", False)
    assert no_brace.attributes["k8s.impersonated_user"] == "agent-smith"
    # derived: the real line with its middle elided ("..."), as authors shorten events
    at, to = CITADEL_DELETE.index('"sourceIPs"'), CITADEL_DELETE.index('"objectRef"')
    elided = through_pipeline(CITADEL_DELETE[:at] + "...," + CITADEL_DELETE[to:])
    assert (elided.category, elided.outcome, elided.violation) == ("other", "success", False)
    assert elided.attributes["meshtail.partial"] is True
    assert elided.summary.startswith("kubernetes-admin (as agent-smith) delete configmaps citadel/webapp-config-map")
    # derived: the first physical line of the event hard-wrapped before requestURI: no outcome yet
    cut = through_pipeline(CITADEL_DELETE[: CITADEL_DELETE.index('"requestURI"')])
    assert (cut.category, cut.violation) == ("other", False)
    # derived: a forbidden mesh patch, with a quote lost in its requestObject (not valid JSON)
    obj = mesh_create()
    obj["verb"] = "patch"
    obj["responseStatus"] = {"metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403}
    obj["annotations"]["authorization.k8s.io/decision"] = "forbid"
    line = json.dumps(obj, separators=(",", ":")).replace(
        '"responseStatus"', '"requestObject":{"spec":{"hosts":[reviews"]}},"responseStatus"'
    )
    event = through_pipeline(line)
    assert (event.category, event.outcome, event.violation) == ("config", "deny", True)
    # and hostile fragments cost linear time
    for line in (
        '{"kind":"Event","verb":"' + "\\" * 1_000_000,
        '{"kind":"Event","verb":"get","user":{' + '"username":' * 90_000,
        '{"kind":"Event","auditID":"x","stage":"y","responseStatus":' + '{"code":' * 120_000,
        '{"kind":"Event","verb":"get",' + '"user": x' * 100_000,
        '{"kind":"Event","verb":"get",' + '"objectRef":{' * 70_000,
        '"kind":"Event",' + '"verb": ' * 100_000,
        "kube-apiserver-audit-1," + '""' * 500_000,
        "kube-apiserver-audit-1," + "/a," * 300_000,
        "[0] x: " + '{"apiVersion":"audit.k8s.io/v1","x":' + "[" * 900_000,
    ):
        start = time.perf_counter()
        found = (k8s_audit.recognise_fragment if line.startswith("{") else recognise)(line, None)
        assert time.perf_counter() - start < 1.0, line[:40]
        assert found is None or found[1].summary


def test_cloudwatch_logs_insights_csv_rows() -> None:
    # derived: the real EKS line of eks-derived.jsonl as a Logs Insights "Download table (CSV)" row
    line = raw("eks-derived.jsonl", "6b48ee52-baa4-47d1-9357-98d1bf7bee7e", EKS_BLOG)
    event_text = line[line.index("{") :]
    stream = "kube-apiserver-audit-900118300c7497e54b1f844e21ac4f7b"
    row = f'{stream},2024-05-19 15:17:03.612,"' + event_text.replace('"', '""') + '"'
    event = through_pipeline(row)
    assert (event.category, event.outcome, event.violation) == ("config", "change", False)
    assert event.attributes["aws.log.stream"] == stream
    # derived: the same row with the event's head elided, and a row of selected fields only
    elided = f'{stream},2024-05-19 15:17:03.612,"...' + event_text[event_text.index('"requestURI"') :].replace(
        '"', '""'
    )
    assert (through_pipeline(elided).category, through_pipeline(elided).outcome) == ("config", "change")
    fields = f"{stream},2024-05-19 15:17:03.612,/apis/networking.istio.io/v1/namespaces/default/virtualservices,create,"
    fields += "kubernetes-admin@example.com"
    selected = through_pipeline(fields)
    assert (selected.category, selected.outcome, selected.violation) == ("config", "unknown", False)


def test_an_event_behind_a_prefix_no_wrapper_peels() -> None:
    # derived: the real-shape event as Fluent Bit's stdout output prints a record
    line = "[0] kube.audit: [1716131823.612000000, " + json.dumps(mesh_create(), separators=(",", ":")) + "]"
    event = through_pipeline(line)
    assert (event.category, event.outcome, event.violation) == ("config", "change", False)


# ---------------------------------------------------------------- the pipeline and the contract


def corpus_records() -> list[tuple[str, int, dict[str, Any]]]:
    out = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for number, text in enumerate(path.read_text("utf-8").splitlines(), 1):
            out.append((path.name, number, json.loads(text)))
    return out


@pytest.mark.parametrize(("name", "number", "rec"), corpus_records(), ids=lambda v: str(v)[:24])
def test_every_corpus_record_through_the_pipeline(name: str, number: int, rec: dict[str, Any]) -> None:
    event = parse(rec["raw"])
    want = rec["expect"]
    if want["format"] != "k8s-audit":
        assert event.format != "k8s-audit"
        return
    got = {"format": event.format, "category": event.category, "outcome": event.outcome, "violation": event.violation}
    assert got == want, f"{name}:{number}"
    assert any(_covers(action.name, event.action) for action in ACTIONS), event.action
    if event.category == "config":
        assert event.attributes.get("k8s.user") and event.attributes["k8s.user"] in event.summary


def _covers(name: str, action: str) -> bool:
    if name.endswith("<verb>") or name.endswith("<...>"):
        prefix = name[: name.index("<")]
        return action.startswith(prefix) and len(action) > len(prefix)
    return name == action


def test_actions_are_listed_with_triggers() -> None:
    names = {action.name for action in ACTIONS}
    assert {"resource.create", "resource.update", "resource.delete", "k8s.<verb>", "k8s.response"} <= names
    assert all(action.trigger for action in ACTIONS)


# ---------------------------------------------------------------- hostile input


def test_hostile_field_types_do_not_raise() -> None:
    base = event_json("v1-derived.jsonl", "7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8", V1_DERIVED)
    for key, value in (
        ("user", 5),
        ("user", {"username": ["x"], "groups": "g"}),
        ("objectRef", []),
        ("objectRef", {"apiGroup": 7, "resource": None}),
        ("responseStatus", {"code": "403"}),
        ("responseStatus", {"code": True}),
        ("annotations", "forbid"),
        ("sourceIPs", "10.0.0.1"),
        ("stage", 3),
        ("verb", {"a": 1}),
        ("requestURI", 12),
    ):
        obj = copy.deepcopy(base)
        obj[key] = value
        parsed = read(obj)
        assert parsed.summary and isinstance(parsed.attributes.get("k8s.user", ""), str)
    gke = event_json("gke.jsonl", "k8s-nonmatch-0001", ELASTIC_GCP_HNAP)
    for key, value in (
        ("authorizationInfo", 7),
        ("authorizationInfo", ["x", {"granted": "no"}]),
        ("status", []),
        ("methodName", 5),
    ):
        obj = copy.deepcopy(gke)
        obj["protoPayload"][key] = value
        assert read(obj).summary


def test_a_megabyte_legacy_line_is_read_in_linear_time() -> None:
    for line in (
        'AUDIT: id="x" user="' + "a" * 1_000_000,  # unterminated quote
        'AUDIT: id="x" user="' + "\\" * 1_000_000,  # a run of backslashes
        'AUDIT: id="x" ' + "k=" * 500_000,  # many unquoted keys
        "kube-apiserver-audit-1 " + "{" * 1_000_000,
        "x" * 1_000_000,
    ):
        start = time.perf_counter()
        recognise(line, None)
        assert time.perf_counter() - start < 1.0


def test_the_module_keeps_its_public_names() -> None:
    assert k8s_audit.looks_like({"kind": "Event", "apiVersion": "audit.k8s.io/v1"})
    assert "networking.istio.io" in k8s_audit.MESH_GROUPS
    assert k8s_audit.is_mesh("gateway.networking.k8s.io", "httproutes", "shop", "r")


def test_an_aks_kube_audit_record_says_what_it_holds_however_bare_its_event() -> None:
    # elastic/integrations' Azure platform-logs pipeline test (holdout54): an AKS diagnostic record of the kube-audit
    # category whose event kept none of its fields ({"kind":"Event"}) was an unrecognised JSON line
    record = (
        '{"Cloud":"AzureCloud","Environment":"prod","category":"kube-audit","ccpNamespace":"5e4bf4baee195b00017cdbfa",'
        '"operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",'
        '"properties":{"log":"{\\"kind\\":\\"Event\\"}","pod":"kube-apiserver-666bd4b459-hjgdc"},'
        '"resourceId":"/SUBSCRIPTIONS/70BD6E77/RESOURCEGROUPS/OBS/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/OBSKUBE",'
        '"time":"2020-11-09T10:57:31.0000000Z"}'
    )
    event = parse(record)
    assert verdict(event) == ("k8s-audit", "other", "unknown", False)
    assert event.attributes["k8s.cluster"] == "OBSKUBE" and event.attributes["cloud.provider"] == "azure"
    # the same bare event with no envelope to say so is any Kubernetes object's kind
    assert parse('{"kind":"Event"}').format == "unknown"
    # another category's record (the API server's own log) is not an audit event
    assert parse(record.replace('"kube-audit"', '"kube-apiserver"')).format != "k8s-audit"


# ------------------------------------------------------------------ security platforms' shapes (holdout98, a survey)
SEKOIA_OCSF = "SEKOIA-IO/intake-formats OCSF/ocsf/tests/test_api_activity_2.json"
SEKOIA_DEFENDER = "SEKOIA-IO/intake-formats Microsoft/microsoft-365-defender/tests/test_cloud_audit_events.json"


def test_an_eks_audit_event_as_ocsf_api_activity_is_the_event() -> None:
    # Amazon Security Lake maps EKS audit events to OCSF's API Activity class: verb, user, URI, resource and code
    # where OCSF puts them, the audit API named in metadata.product.version
    event = parse(raw("siem.jsonl", '"class_uid": 6003', SEKOIA_OCSF))
    assert verdict(event) == ("k8s-audit", "other", "success", False)
    assert (event.attributes["k8s.verb"], event.attributes["k8s.resource"]) == ("create", "nodes")
    assert event.attributes["k8s.user"] == "system:node:ip-192-001-02-03.ec2.internal"
    assert event.time == "2021-09-07T20:37:30.642Z"
    # the premise: another OCSF API Activity (a cloud API's, no audit API named) is not read as Kubernetes'
    other = json.loads(raw("siem.jsonl", '"class_uid": 6003', SEKOIA_OCSF))
    other["metadata"]["product"] = {"name": "CloudTrail", "version": "1.08"}
    assert parse(json.dumps(other)).format == "unknown"


def test_an_aks_audit_event_in_defenders_cloud_audit_events_is_the_event() -> None:
    # Microsoft Defender XDR's streaming export: the Event under properties.RawEventData, its keys capitalised
    event = parse(raw("siem.jsonl", "CloudAuditEvents", SEKOIA_DEFENDER))
    assert verdict(event) == ("k8s-audit", "other", "success", False)
    assert (event.attributes["k8s.verb"], event.attributes["k8s.user"]) == (
        "watch",
        "system:serviceaccount:cert-manager:cert-manager",
    )
    assert event.attributes["k8s.cluster"] == "mycluster"
