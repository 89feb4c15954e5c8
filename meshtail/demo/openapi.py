"""The stand-in's OpenAPI v3 documents, as a real API server publishes them under ``/openapi/v3``.

kubectl reads them for three things: ``kubectl explain`` (the kind's schema, found by its
``x-kubernetes-group-version-kind``), strategic-merge patches for ``apply``, and — before any
``apply``, ``edit``, ``create`` or ``replace`` — whether the server validates fields itself
(a ``fieldValidation`` query parameter on the kind's PATCH operation).  When it does, kubectl
sends the write with ``fieldValidation=Strict`` and the server's answer (here: 403, the stand-in
is read-only) reaches the user; without the documents kubectl stops early with "failed to
download openapi".  The documents describe the API, not the caller's permissions: a real
server lists create/update/patch/delete for every resource whoever asks.

``/openapi/v3`` lists one document per group-version with a ``hash`` (upper-case hex
SHA-512 of the document, as kube-openapi makes it); a document asked for with that hash is
``Cache-Control: public, immutable``, with another hash it redirects (301) to the current one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from . import resources
from .openapi_models import group_prefix, kind_fields
from .resources import ResourceType

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"
_CONVENTIONS = "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"

_API_VERSION = {
    "type": "string",
    "description": "APIVersion defines the versioned schema of this representation of an object. Servers should "
    "convert recognized schemas to the latest internal value, and may reject unrecognized values. "
    f"More info: {_CONVENTIONS}#resources",
}
_KIND = {
    "type": "string",
    "description": "Kind is a string value representing the REST resource this object represents. Servers may "
    "infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. "
    f"More info: {_CONVENTIONS}#types-kinds",
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _field(kind: str, description: str, **more: Any) -> dict[str, Any]:
    return {"type": kind, "description": description, **more}


def _strings(description: str) -> dict[str, Any]:
    return {"type": "array", "description": description, "items": {"type": "string", "default": ""}}


def _map(description: str) -> dict[str, Any]:
    return {"type": "object", "description": description, "additionalProperties": {"type": "string", "default": ""}}


def _objects(description: str, ref: str | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"default": {}, "allOf": [_ref(ref)]} if ref else {"type": "object"}
    return {"type": "array", "description": description, "items": items}


def _meta_schemas() -> dict[str, Any]:
    """The apimachinery types every group-version document carries (ObjectMeta, ListMeta, Status, ...)."""
    time = {"type": "string", "format": "date-time", "description": "Time is a wrapper around time.Time."}
    object_meta = {
        "type": "object",
        "description": "ObjectMeta is metadata that all persisted resources must have, which includes all objects "
        "users must create.",
        "properties": {
            "annotations": _map(
                "Annotations is an unstructured key value map stored with a resource that may be set by external "
                "tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved "
                "when modifying objects. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations"
            ),
            "creationTimestamp": {
                "allOf": [_ref(f"{_META}.Time")],
                "description": "CreationTimestamp is a timestamp representing the server time when this object was "
                "created. Populated by the system. Read-only. Null for lists.",
            },
            "deletionTimestamp": {
                "allOf": [_ref(f"{_META}.Time")],
                "description": "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. "
                "Populated by the system when a graceful deletion is requested. Read-only.",
            },
            "finalizers": _strings(
                "Must be empty before the object is deleted from the registry. Each entry is an identifier for the "
                "responsible component that will remove the entry from the list."
            ),
            "generateName": _field(
                "string",
                "GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name "
                "field has not been provided.",
            ),
            "generation": _field(
                "integer",
                "A sequence number representing a specific generation of the desired state. Populated by the "
                "system. Read-only.",
                format="int64",
            ),
            "labels": _map(
                "Map of string keys and values that can be used to organize and categorize (scope and select) "
                "objects. May match selectors of replication controllers and services. More info: "
                "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels"
            ),
            "managedFields": _objects(
                "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow. "
                "This is mostly for internal housekeeping, and users typically shouldn't need to set or understand "
                "this field.",
                f"{_META}.ManagedFieldsEntry",
            ),
            "name": _field(
                "string",
                "Name must be unique within a namespace. Is required when creating resources, although some "
                "resources may allow a client to request the generation of an appropriate name automatically. "
                "Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
            ),
            "namespace": _field(
                "string",
                "Namespace defines the space within which each name must be unique. An empty namespace is "
                'equivalent to the "default" namespace, but "default" is the canonical representation. Cannot be '
                "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces",
            ),
            "ownerReferences": _objects(
                "List of objects depended by this object. If ALL objects in the list have been deleted, this object "
                "will be garbage collected.",
                f"{_META}.OwnerReference",
            ),
            "resourceVersion": _field(
                "string",
                "An opaque value that represents the internal version of this object that can be used by clients "
                "to determine when objects have changed. Populated by the system. Read-only.",
            ),
            "uid": _field(
                "string",
                "UID is the unique in time and space value for this object. It is typically generated by the server "
                "on successful creation of a resource and is not allowed to change on PUT operations. Populated by "
                "the system. Read-only.",
            ),
        },
    }
    return {
        f"{_META}.Time": time,
        f"{_META}.FieldsV1": {
            "type": "object",
            "description": "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.",
        },
        f"{_META}.ManagedFieldsEntry": {
            "type": "object",
            "description": "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that "
            "the fieldset applies to.",
            "properties": {
                "apiVersion": _field(
                    "string", "APIVersion defines the version of this resource that this field set applies to."
                ),
                "fieldsType": _field(
                    "string",
                    "FieldsType is the discriminator for the different fields format and version. "
                    'There is currently only one possible value: "FieldsV1"',
                ),
                "fieldsV1": {
                    "allOf": [_ref(f"{_META}.FieldsV1")],
                    "description": 'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.',
                },
                "manager": _field("string", "Manager is an identifier of the workflow managing these fields."),
                "operation": _field(
                    "string",
                    "Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only "
                    "valid values for this field are 'Apply' and 'Update'.",
                ),
                "subresource": _field(
                    "string",
                    "Subresource is the name of the subresource used to update that object, or empty string if the "
                    "object was updated through the main resource.",
                ),
                "time": {
                    "allOf": [_ref(f"{_META}.Time")],
                    "description": "Time is the timestamp of when the ManagedFields entry was added.",
                },
            },
        },
        f"{_META}.OwnerReference": {
            "type": "object",
            "description": "OwnerReference contains enough information to let you identify an owning object. An "
            "owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no "
            "namespace field.",
            "required": ["apiVersion", "kind", "name", "uid"],
            "properties": {
                "apiVersion": _field("string", "API version of the referent."),
                "blockOwnerDeletion": _field(
                    "boolean",
                    'If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be '
                    "deleted from the key-value store until this reference is removed.",
                ),
                "controller": _field("boolean", "If true, this reference points to the managing controller."),
                "kind": _field("string", "Kind of the referent."),
                "name": _field("string", "Name of the referent."),
                "uid": _field("string", "UID of the referent."),
            },
            "x-kubernetes-map-type": "atomic",
        },
        f"{_META}.ObjectMeta": object_meta,
        f"{_META}.ListMeta": {
            "type": "object",
            "description": "ListMeta describes metadata that synthetic resources must have, including lists and "
            "various status objects. A resource may have only one of {ObjectMeta, ListMeta}.",
            "properties": {
                "continue": _field(
                    "string",
                    "continue may be set if the user set a limit on the number of items returned, and indicates that "
                    "the server has more data available.",
                ),
                "remainingItemCount": _field(
                    "integer",
                    "remainingItemCount is the number of subsequent items in the list which are not included in this "
                    "list response.",
                    format="int64",
                ),
                "resourceVersion": _field(
                    "string",
                    "String that identifies the server's internal version of this object that can be used by clients "
                    "to determine when objects have changed.",
                ),
            },
        },
        f"{_META}.Status": {
            "type": "object",
            "description": "Status is a return value for calls that don't return other objects.",
            "properties": {
                "apiVersion": _API_VERSION,
                "code": _field("integer", "Suggested HTTP return code for this status, 0 if not set.", format="int32"),
                "details": {"type": "object", "description": "Extended data associated with the reason."},
                "kind": _KIND,
                "message": _field("string", "A human-readable description of the status of this operation."),
                "metadata": {
                    "allOf": [_ref(f"{_META}.ListMeta")],
                    "default": {},
                    "description": f"Standard list metadata. More info: {_CONVENTIONS}#types-kinds",
                },
                "reason": _field(
                    "string", 'A machine-readable description of why this operation is in the "Failure" status.'
                ),
                "status": _field("string", 'Status of the operation. One of: "Success" or "Failure".'),
            },
            "x-kubernetes-group-version-kind": [{"group": "", "kind": "Status", "version": "v1"}],
        },
        f"{_META}.DeleteOptions": {
            "type": "object",
            "description": "DeleteOptions may be provided when deleting an API object.",
            "properties": {
                "apiVersion": _API_VERSION,
                "dryRun": _strings("When present, indicates that modifications should not be persisted."),
                "gracePeriodSeconds": _field(
                    "integer", "The duration in seconds before the object should be deleted.", format="int64"
                ),
                "kind": _KIND,
                "propagationPolicy": _field("string", "Whether and how garbage collection will be performed."),
            },
        },
        f"{_META}.Patch": {
            "type": "object",
            "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
        },
        f"{_META}.WatchEvent": {
            "type": "object",
            "description": "Event represents a single event to a watched resource.",
            "required": ["type", "object"],
            "properties": {
                "object": {
                    "type": "object",
                    "description": "Object is: * If Type is Added or Modified: the new state of the object. "
                    "* If Type is Deleted: the state of the object immediately before deletion. * If Type is "
                    "Error: *Status is recommended; other types may make sense depending on context.",
                },
                "type": _field("string", ""),
            },
        },
    }


# ---- the kinds' own schemas ---------------------------------------------------------------------
def _spec_status(spec: str, status: str | None) -> dict[str, Any]:
    out = {"spec": _field("object", spec, **{"x-kubernetes-preserve-unknown-fields": True})}
    if status is not None:
        out["status"] = _field("object", status, **{"x-kubernetes-preserve-unknown-fields": True})
    return out


_SPEC_STATUS = f"More info: {_CONVENTIONS}#spec-and-status"
_ISTIO_STATUS = "Information about the configuration's status, as Istio's controllers report it."


def _istio(doc: str, spec: str, fields: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    parts = _spec_status(f"{spec} See more details at: https://istio.io/docs/reference/config/{doc}", _ISTIO_STATUS)
    if fields:
        parts["spec"] = {"type": "object", "description": parts["spec"]["description"], "properties": fields}
    return "", parts


def _gateway_api(kind: str, description: str, status: bool = True) -> tuple[str, dict[str, Any]]:
    return description, _spec_status(
        f"Spec defines the desired state of {kind}.", f"Status defines the current state of {kind}." if status else None
    )


_HOSTS = _strings("The destination hosts to which traffic is being sent.")
# (description, the spec/status properties) per kind; the Istio CRDs' descriptions are Istio's, on spec
_KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "Namespace": (
        "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
        {
            "spec": {
                "allOf": [_ref("io.k8s.api.core.v1.NamespaceSpec")],
                "default": {},
                "description": f"Spec defines the behavior of the Namespace. {_SPEC_STATUS}",
            },
            "status": {
                "allOf": [_ref("io.k8s.api.core.v1.NamespaceStatus")],
                "default": {},
                "description": f"Status describes the current status of a Namespace. {_SPEC_STATUS}",
            },
        },
    ),
    "Deployment": (
        "Deployment enables declarative updates for Pods and ReplicaSets.",
        _spec_status(
            "Specification of the desired behavior of the Deployment.",
            "Most recently observed status of the Deployment.",
        ),
    ),
    "ReplicaSet": (
        "ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
        _spec_status(
            f"Spec defines the specification of the desired behavior of the ReplicaSet. {_SPEC_STATUS}",
            "Status is the most recently observed status of the ReplicaSet. This data may be out of date by some "
            f"window of time. Populated by the system. Read-only. {_SPEC_STATUS}",
        ),
    ),
    "DaemonSet": (
        "DaemonSet represents the configuration of a daemon set.",
        _spec_status(
            f"The desired behavior of this daemon set. {_SPEC_STATUS}",
            "The current status of this daemon set. This data may be out of date by some window of time. "
            f"Populated by the system. Read-only. {_SPEC_STATUS}",
        ),
    ),
    "VirtualService": _istio(
        "networking/virtual-service.html",
        "Configuration affecting label/content routing, sni routing, etc.",
        {
            "exportTo": _strings("A list of namespaces to which this virtual service is exported."),
            "gateways": _strings("The names of gateways and sidecars that should apply these routes."),
            "hosts": _HOSTS,
            "http": _objects("An ordered list of route rules for HTTP traffic."),
            "tcp": _objects("An ordered list of route rules for opaque TCP traffic."),
            "tls": _objects("An ordered list of route rule for non-terminated TLS & HTTPS traffic."),
        },
    ),
    "DestinationRule": _istio(
        "networking/destination-rule.html",
        "Configuration affecting load balancing, outlier detection, etc.",
        {
            "exportTo": _strings("A list of namespaces to which this destination rule is exported."),
            "host": _field("string", "The name of a service from the service registry."),
            "subsets": _objects("One or more named sets that represent individual versions of a service."),
            "trafficPolicy": _field(
                "object", "Traffic policies to apply (load balancing policy, connection pool sizes, outlier detection)."
            ),
            "workloadSelector": _field(
                "object",
                "Criteria used to select the specific set of pods/VMs on which this `DestinationRule` configuration "
                "should be applied.",
            ),
        },
    ),
    "Gateway.networking.istio.io": _istio("networking/gateway.html", "Configuration affecting edge load balancer."),
    "ServiceEntry": _istio("networking/service-entry.html", "Configuration affecting service registry."),
    "Sidecar": _istio("networking/sidecar.html", "Configuration affecting network reachability of a sidecar."),
    "EnvoyFilter": _istio("networking/envoy-filter.html", "Customizing Envoy configuration generated by Istio."),
    "AuthorizationPolicy": _istio(
        "security/authorization-policy.html",
        "Configuration for access control on workloads.",
        {
            "action": _field("string", "Optional.", enum=["ALLOW", "DENY", "AUDIT", "CUSTOM"]),
            "provider": _field("object", "Specifies detailed configuration of the CUSTOM action."),
            "rules": _objects("Optional."),
            "selector": _field("object", "Optional."),
            "targetRef": _field("object", "Optional."),
        },
    ),
    "PeerAuthentication": _istio(
        "security/peer_authentication.html", "Peer authentication configuration for workloads."
    ),
    "RequestAuthentication": _istio(
        "security/request_authentication.html", "Request authentication configuration for workloads."
    ),
    "Telemetry": _istio("telemetry.html", "Telemetry configuration for workloads."),
    "Gateway.gateway.networking.k8s.io": _gateway_api(
        "Gateway",
        "Gateway represents an instance of a service-traffic handling infrastructure by binding Listeners to a "
        "set of IP addresses.",
    ),
    "HTTPRoute": _gateway_api(
        "HTTPRoute",
        "HTTPRoute provides a way to route HTTP requests. This includes the capability to match requests by "
        "hostname, path, header, or query param. Filters can be used to specify additional processing steps. "
        "Backends specify where matching requests should be routed.",
    ),
    "GatewayClass": _gateway_api(
        "GatewayClass",
        "GatewayClass describes a class of Gateways available to the user for creating Gateway resources.",
    ),
    "ReferenceGrant": _gateway_api(
        "ReferenceGrant",
        "ReferenceGrant identifies kinds of resources in other namespaces that are trusted to reference the "
        "specified kinds of resources in the same namespace as the policy.",
        status=False,
    ),
}

_REVIEWS: dict[str, tuple[str, dict[str, Any]]] = {
    "SelfSubjectAccessReview": (
        "SelfSubjectAccessReview checks whether or the current user can perform an action. Not filling in a "
        'spec.namespace means "in all namespaces". Self is a special case, because users should always be able '
        "to check whether they can perform an action",
        {
            "spec": _field(
                "object", "Spec holds information about the request being evaluated. user and groups must be empty"
            ),
            "status": _field(
                "object", "Status is filled in by the server and indicates whether the request is allowed or not"
            ),
        },
    ),
    "SelfSubjectRulesReview": (
        "SelfSubjectRulesReview enumerates the set of actions the current user can perform within a namespace. "
        "The returned list of actions may be incomplete depending on the server's authorization mode, and any "
        "errors experienced during the evaluation.",
        {
            "spec": _field("object", "Spec holds information about the request being evaluated."),
            "status": _field(
                "object", "Status is filled in by the server and indicates the set of actions a user can perform."
            ),
        },
    ),
    "SubjectAccessReview": (
        "SubjectAccessReview checks whether or not a user or group can perform an action.",
        {
            "spec": _field("object", "Spec holds information about the request being evaluated"),
            "status": _field(
                "object", "Status is filled in by the server and indicates whether the request is allowed or not"
            ),
        },
    ),
    "LocalSubjectAccessReview": (
        "LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace.",
        {
            "spec": _field("object", "Spec holds information about the request being evaluated."),
            "status": _field(
                "object", "Status is filled in by the server and indicates whether the request is allowed or not"
            ),
        },
    ),
    "SelfSubjectReview": (
        "SelfSubjectReview contains the user information that the kube-apiserver has about the user making this "
        "request.",
        {"status": _field("object", "Status is filled in by the server with the user attributes.")},
    ),
    "TokenReview": (
        "TokenReview attempts to authenticate a token to a known user.",
        {
            "spec": _field("object", "Spec holds information about the request being evaluated"),
            "status": _field(
                "object", "Status is filled in by the server and indicates whether the request can be authenticated."
            ),
        },
    ),
}


def _core_schemas() -> dict[str, Any]:
    """Pod with the PodSpec, Container and PodStatus fields kubectl explain shows first; Namespace's spec/status."""
    container = {
        "type": "object",
        "description": "A single application container that you want to run within a pod.",
        "required": ["name"],
        "properties": {
            "args": _strings("Arguments to the entrypoint. The container image's CMD is used if this is not provided."),
            "command": _strings(
                "Entrypoint array. Not executed within a shell. The container image's ENTRYPOINT is used if this is "
                "not provided."
            ),
            "env": _objects("List of environment variables to set in the container. Cannot be updated."),
            "image": _field(
                "string", "Container image name. More info: https://kubernetes.io/docs/concepts/containers/images"
            ),
            "name": _field(
                "string",
                "Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name "
                "(DNS_LABEL). Cannot be updated.",
            ),
            "ports": _objects("List of ports to expose from the container."),
            "resources": _field("object", "Compute Resources required by this container. Cannot be updated."),
            "restartPolicy": _field(
                "string",
                "RestartPolicy defines the restart behavior of individual containers in a pod. The only "
                'allowed value is "Always", for init containers (sidecars).',
            ),
        },
    }
    spec = {
        "type": "object",
        "description": "PodSpec is a description of a pod.",
        "required": ["containers"],
        "properties": {
            "containers": _objects(
                "List of containers belonging to the pod. Containers cannot currently be added or removed. There must "
                "be at least one container in a Pod. Cannot be updated.",
                "io.k8s.api.core.v1.Container",
            ),
            "initContainers": _objects(
                "List of initialization containers belonging to the pod. Init containers are executed in order prior "
                "to containers being started. More info: "
                "https://kubernetes.io/docs/concepts/workloads/pods/init-containers/",
                "io.k8s.api.core.v1.Container",
            ),
            "nodeName": _field(
                "string",
                "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for "
                "scheduling by the scheduler defined in schedulerName.",
            ),
            "restartPolicy": _field(
                "string",
                "Restart policy for all containers within the pod. One of Always, OnFailure, Never. Default to Always.",
                enum=["Always", "Never", "OnFailure"],
            ),
            "serviceAccountName": _field(
                "string", "ServiceAccountName is the name of the ServiceAccount to use to run this pod."
            ),
            "volumes": _objects("List of volumes that can be mounted by containers belonging to the pod."),
        },
    }
    status = {
        "type": "object",
        "description": "PodStatus represents information about the status of a pod. Status may trail the actual "
        "state of a system, especially if the node that hosts the pod cannot contact the control plane.",
        "properties": {
            "conditions": _objects("Current service state of pod."),
            "containerStatuses": _objects("The list has one entry per container in the manifest."),
            "hostIP": _field("string", "hostIP holds the IP address of the host to which the pod is assigned."),
            "initContainerStatuses": _objects("The list has one entry per init container in the manifest."),
            "phase": _field(
                "string",
                "The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle.",
                enum=["Failed", "Pending", "Running", "Succeeded", "Unknown"],
            ),
            "podIP": _field(
                "string",
                "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
            ),
            "podIPs": _objects("podIPs holds the IP addresses allocated to the pod."),
            "startTime": {
                "allOf": [_ref(f"{_META}.Time")],
                "description": "RFC 3339 date and time at which the object was acknowledged by the Kubelet.",
            },
        },
    }
    return {
        "io.k8s.api.core.v1.Container": container,
        "io.k8s.api.core.v1.PodSpec": spec,
        "io.k8s.api.core.v1.PodStatus": status,
        "io.k8s.api.core.v1.NamespaceSpec": {
            "type": "object",
            "description": "NamespaceSpec describes the attributes on a Namespace.",
            "properties": {
                "finalizers": _strings(
                    "Finalizers is an opaque list of values that must be empty to permanently remove object from "
                    "storage."
                )
            },
        },
        "io.k8s.api.core.v1.NamespaceStatus": {
            "type": "object",
            "description": "NamespaceStatus is information about the current status of a Namespace.",
            "properties": {
                "phase": _field(
                    "string", "Phase is the current lifecycle phase of the namespace.", enum=["Active", "Terminating"]
                )
            },
        },
    }


_POD = (
    "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled "
    "onto hosts.",
    {
        "spec": {
            "allOf": [_ref("io.k8s.api.core.v1.PodSpec")],
            "default": {},
            "description": f"Specification of the desired behavior of the pod. {_SPEC_STATUS}",
        },
        "status": {
            "allOf": [_ref("io.k8s.api.core.v1.PodStatus")],
            "default": {},
            "description": "Most recently observed status of the pod. This data may not be up to date. Populated "
            f"by the system. Read-only. {_SPEC_STATUS}",
        },
    },
)


def schema_name(rtype: ResourceType, version: str, kind: str | None = None) -> str:
    """A kind's component name: ``io.k8s.api.core.v1.Pod``, ``io.istio.networking.v1.Sidecar``."""
    return f"{group_prefix(rtype.group, version)}.{kind or rtype.kind}"


def _description_and_fields(rtype: ResourceType) -> tuple[str, dict[str, Any]]:
    if rtype is resources.POD:
        return _POD
    found = _KINDS.get(f"{rtype.kind}.{rtype.group}") or _KINDS.get(rtype.kind) or _REVIEWS.get(rtype.kind)
    return found or ("", _spec_status("", None))


@cache
def _crd_schemas() -> dict[str, Any]:
    """``group/version/Kind`` -> the CRD's ``openAPIV3Schema`` (made by ``scripts/gen_crd_schemas.py``)."""
    with gzip.open(Path(__file__).parent / "data" / "crd_schemas.json.gz") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def _built_in(rtype: ResourceType) -> bool:
    """A kind of Kubernetes itself (the client has its model), not a CRD's."""
    group = rtype.group
    return not group or "." not in group or (group.endswith(".k8s.io") and group != "gateway.networking.k8s.io")


def _kind_schemas(rtype: ResourceType, version: str) -> dict[str, Any]:
    description, fields = _description_and_fields(rtype)
    generated = kind_fields(rtype.group, version, rtype.kind) if _built_in(rtype) else None
    components: dict[str, Any] = {}
    if generated is not None:
        fields, components = generated  # every field, as the client's models (the server's own schema) have them
    crd = _crd_schemas().get(f"{rtype.group}/{version}/{rtype.kind}")
    if crd is not None:  # the CRD's own schema, as Istio and Gateway API ship it
        description = crd.get("description", description)
        fields = {k: v for k, v in crd.get("properties", {}).items() if k not in ("apiVersion", "kind", "metadata")}
    gvk = {"group": rtype.group, "kind": rtype.kind, "version": version}
    metadata = {
        "allOf": [_ref(f"{_META}.ObjectMeta")],
        "default": {},
        "description": f"Standard object's metadata. More info: {_CONVENTIONS}#metadata",
    }
    obj: dict[str, Any] = {
        "type": "object",
        "properties": {"apiVersion": _API_VERSION, "kind": _KIND, "metadata": metadata, **fields},
        "x-kubernetes-group-version-kind": [gvk],
    }
    if description:
        obj["description"] = description
    out = {**components, schema_name(rtype, version): obj}
    if "list" in rtype.verbs:
        out[schema_name(rtype, version, f"{rtype.kind}List")] = {
            "type": "object",
            "description": f"{rtype.kind}List is a list of {rtype.kind}",
            "required": ["items"],
            "properties": {
                "apiVersion": _API_VERSION,
                "items": {
                    "type": "array",
                    "description": f"List of {rtype.plural}.",
                    "items": {"default": {}, "allOf": [_ref(schema_name(rtype, version))]},
                },
                "kind": _KIND,
                "metadata": {
                    "allOf": [_ref(f"{_META}.ListMeta")],
                    "default": {},
                    "description": f"Standard list metadata. More info: {_CONVENTIONS}#types-kinds",
                },
            },
            "x-kubernetes-group-version-kind": [{**gvk, "kind": f"{rtype.kind}List"}],
        }
    return out


# ---- paths ------------------------------------------------------------------------------------------
def _query(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": kind, "uniqueItems": True}}


_PRETTY = _query(
    "pretty",
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user explicitly requests pretty "
    "printing.",
)
_DRY_RUN = _query(
    "dryRun",
    "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun "
    "directive will result in an error response and no further processing of the request. Valid values are: "
    "- All: all dry run stages will be processed",
)
_FIELD_MANAGER = _query(
    "fieldManager",
    "fieldManager is a name associated with the actor or entity that is making these changes. The value must be "
    "less than or 128 characters long, and only contain printable characters, as defined by "
    "https://golang.org/pkg/unicode/#IsPrint.",
)
_FIELD_VALIDATION = _query(
    "fieldValidation",
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing "
    "unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are "
    "silently dropped from the object, and will ignore all but the last duplicate field that the decoder "
    "encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard "
    "warning response header for each unknown field that is dropped from the object, and for each duplicate field "
    "that is encountered. The request will still succeed if there are no other errors, and will only persist the "
    "last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a "
    "BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are "
    "present. The error returned from the server will contain all unknown and duplicate fields encountered.",
)
_FORCE = _query(
    "force",
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other '
    "people. Force flag must be unset for non-apply patch requests.",
    "boolean",
)
_LIST_PARAMS = [
    _query("allowWatchBookmarks", 'allowWatchBookmarks requests watch events with type "BOOKMARK".', "boolean"),
    _query("continue", "The continue option should be set when retrieving more results from the server."),
    _query(
        "fieldSelector", "A selector to restrict the list of returned objects by their fields. Defaults to everything."
    ),
    _query(
        "labelSelector", "A selector to restrict the list of returned objects by their labels. Defaults to everything."
    ),
    _query("limit", "limit is a maximum number of responses to return for a list call.", "integer"),
    _query(
        "resourceVersion", "resourceVersion sets a constraint on what resource versions a request may be served from."
    ),
    _query("resourceVersionMatch", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
    _query("sendInitialEvents", "`sendInitialEvents=true` may be set together with `watch=true`.", "boolean"),
    _query("timeoutSeconds", "Timeout for the list/watch call.", "integer"),
    _query(
        "watch",
        "Watch for changes to the described resources and return them as a stream of add, update, and remove "
        "notifications.",
        "boolean",
    ),
]


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "description": description,
        "required": True,
        "schema": {"type": "string", "uniqueItems": True},
    }


_NAMESPACE_PARAM = _path_param("namespace", "object name and auth scope, such as for teams and projects")


def _content(
    schema: str,
    types: tuple[str, ...] = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
) -> dict[str, Any]:
    return {t: {"schema": _ref(schema)} for t in types}


def _op(
    action: str,
    operation_id: str,
    description: str,
    tag: str,
    gvk: dict[str, str],
    response: str,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    codes: tuple[str, ...] = ("200",),
) -> dict[str, Any]:
    op: dict[str, Any] = {"tags": [tag], "description": description, "operationId": operation_id}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"content": body, "required": True}
    responses: dict[str, Any] = {
        c: {"description": {"200": "OK", "201": "Created", "202": "Accepted"}[c], "content": _content(response)}
        for c in codes
    }
    responses["401"] = {"description": "Unauthorized"}
    op["responses"] = responses
    op["x-kubernetes-action"] = action
    op["x-kubernetes-group-version-kind"] = gvk
    return op


def _camel(rtype: ResourceType, version: str) -> tuple[str, str]:
    """(operationId infix, tag): ``CoreV1``/``core_v1``, ``NetworkingIstioIoV1``/``networkingIstioIo_v1``."""
    group = rtype.group or "core"
    if group.endswith(".k8s.io"):
        group = group[: -len(".k8s.io")]
    words = group.replace("-", ".").split(".")
    infix = "".join(w[:1].upper() + w[1:] for w in words)
    return infix + version[:1].upper() + version[1:], infix[:1].lower() + infix[1:] + "_" + version


def _paths(rtype: ResourceType, version: str) -> dict[str, Any]:
    prefix = f"/api/{version}" if not rtype.group else f"/apis/{rtype.group}/{version}"
    infix, tag = _camel(rtype, version)
    gvk = {"group": rtype.group, "kind": rtype.kind, "version": version}
    kind, plural = rtype.kind, rtype.plural
    one, many = schema_name(rtype, version), schema_name(rtype, version, f"{kind}List")
    scoped = "Namespaced" if rtype.namespaced else ""
    base = f"{prefix}/namespaces/{{namespace}}/{plural}" if rtype.namespaced else f"{prefix}/{plural}"
    scope_params = [_NAMESPACE_PARAM, _PRETTY] if rtype.namespaced else [_PRETTY]
    write_params = [_DRY_RUN, _FIELD_MANAGER, _FIELD_VALIDATION]
    object_body = _content(one, ("*/*",))
    paths: dict[str, Any] = {}
    collection: dict[str, Any] = {}
    if "list" in rtype.verbs:
        collection["get"] = _op(
            "list", f"list{infix}{scoped}{kind}", f"list or watch objects of kind {kind}", tag, gvk, many, _LIST_PARAMS
        )
    collection["post"] = _op(
        "post",
        f"create{infix}{scoped}{kind}",
        f"create a{'n' if kind[0] in 'AEIOU' else ''} {kind}",
        tag,
        gvk,
        one,
        write_params,
        object_body,
        ("200", "201", "202"),
    )
    if "list" in rtype.verbs:
        collection["delete"] = _op(
            "deletecollection",
            f"delete{infix}Collection{scoped}{kind}",
            f"delete collection of {kind}",
            tag,
            gvk,
            f"{_META}.Status",
            [*_LIST_PARAMS[1:6], _DRY_RUN],
            _content(f"{_META}.DeleteOptions", ("*/*",)),
        )
    collection["parameters"] = scope_params
    paths[base] = collection
    if "get" not in rtype.verbs:
        return paths
    name_params = [_path_param("name", f"name of the {kind}"), *scope_params]
    patch_body = {
        t: {"schema": _ref(f"{_META}.Patch")}
        for t in (
            "application/apply-patch+yaml",
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
        )
    }
    paths[f"{base}/{{name}}"] = {
        "get": _op("get", f"read{infix}{scoped}{kind}", f"read the specified {kind}", tag, gvk, one),
        "put": _op(
            "put",
            f"replace{infix}{scoped}{kind}",
            f"replace the specified {kind}",
            tag,
            gvk,
            one,
            write_params,
            object_body,
            ("200", "201"),
        ),
        "delete": _op(
            "delete",
            f"delete{infix}{scoped}{kind}",
            f"delete a{'n' if kind[0] in 'AEIOU' else ''} {kind}",
            tag,
            gvk,
            f"{_META}.Status",
            [
                _DRY_RUN,
                _query("gracePeriodSeconds", "The duration in seconds before the object should be deleted.", "integer"),
                _query("propagationPolicy", "Whether and how garbage collection will be performed."),
            ],
            _content(f"{_META}.DeleteOptions", ("*/*",)),
            ("200", "202"),
        ),
        "patch": _op(
            "patch",
            f"patch{infix}{scoped}{kind}",
            f"partially update the specified {kind}",
            tag,
            gvk,
            one,
            [*write_params, _FORCE],
            patch_body,
            ("200", "201"),
        ),
        "parameters": name_params,
    }
    if rtype.namespaced:
        paths[f"{prefix}/{plural}"] = {
            "get": _op(
                "list", f"list{infix}{kind}ForAllNamespaces", f"list or watch objects of kind {kind}", tag, gvk, many
            ),
            "parameters": [*_LIST_PARAMS, _PRETTY],
        }
    watch_base = f"{prefix}/watch/namespaces/{{namespace}}/{plural}" if rtype.namespaced else f"{prefix}/watch/{plural}"
    event = f"{_META}.WatchEvent"
    paths[watch_base] = {
        "get": _op(
            "watchlist",
            f"watch{infix}{scoped}{kind}List",
            f"watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list "
            f"operation instead.",
            tag,
            gvk,
            event,
        ),
        "parameters": [*_LIST_PARAMS, *scope_params],
    }
    paths[f"{watch_base}/{{name}}"] = {
        "get": _op(
            "watch",
            f"watch{infix}{scoped}{kind}",
            f"watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list operation "
            f"instead, filtered to a single item with the 'fieldSelector' parameter.",
            tag,
            gvk,
            event,
        ),
        "parameters": [*_LIST_PARAMS, *name_params],
    }
    if rtype is resources.POD:
        log = _op(
            "get",
            f"read{infix}NamespacedPodLog",
            "read log of the specified Pod",
            tag,
            gvk,
            "",
            [
                _query(
                    "container",
                    "The container for which to stream logs. Defaults to only container if there is one container in "
                    "the pod.",
                ),
                _query("follow", "Follow the log stream of the pod. Defaults to false.", "boolean"),
                _query(
                    "limitBytes",
                    "If set, the number of bytes to read from the server before terminating the log output.",
                    "integer",
                ),
                _query("previous", "Return previous terminated container logs. Defaults to false.", "boolean"),
                _query(
                    "sinceSeconds",
                    "A relative time in seconds before the current time from which to show logs.",
                    "integer",
                ),
                _query("tailLines", "If set, the number of lines from the end of the logs to show.", "integer"),
                _query(
                    "timestamps",
                    "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. "
                    "Defaults to false.",
                    "boolean",
                ),
            ],
        )
        log["responses"]["200"]["content"] = {
            t: {"schema": {"type": "string"}}
            for t in ("text/plain", "application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
        }
        paths[f"{base}/{{name}}/log"] = {"get": log, "parameters": name_params}
    return paths


# ---- the documents ---------------------------------------------------------------------------------
def group_versions() -> list[str]:
    """Every served group-version as /openapi/v3 names it: ``api/v1``, ``apis/apps/v1``, ..."""
    out = ["api/v1"]
    for group, versions in resources.groups().items():
        out.extend(f"apis/{group}/{v}" for v in versions)
    return out


def _types_of(group_version: str) -> list[tuple[ResourceType, str]]:
    parts = group_version.split("/")
    if parts[0] == "api":
        return [(t, parts[1]) for t in resources.DISCOVERED_TYPES if not t.group and parts[1] in t.versions]
    group, version = parts[1], parts[2]
    return [(t, version) for t in resources.DISCOVERED_TYPES if t.group == group and version in t.versions]


def document(group_version: str) -> bytes | None:
    """The OpenAPI v3 document of one group-version (``api/v1``, ``apis/networking.istio.io/v1``), as JSON; None
    for any other path (checked before the cache, so a client asking for random paths grows nothing)."""
    if group_version not in group_versions():
        return None
    return _document(group_version)


@cache
def _document(group_version: str) -> bytes:
    schemas = _meta_schemas()
    if group_version == "api/v1":
        schemas.update(_core_schemas())  # (what the client's models do not say: enums, required fields)
    paths: dict[str, Any] = {}
    for rtype, version in _types_of(group_version):
        schemas.update(_kind_schemas(rtype, version))
        paths.update(_paths(rtype, version))
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.31.0+meshtail-demo"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header",
                }
            },
        },
        "security": [{"BearerToken": []}],
    }
    return json.dumps(doc, separators=(",", ":")).encode()


@cache
def digest(group_version: str) -> str:
    """kube-openapi's hash of a document: SHA-512, upper-case hex."""
    body = document(group_version)
    return hashlib.sha512(body or b"").hexdigest().upper()


def discovery() -> dict[str, Any]:
    """``GET /openapi/v3``: where each group-version's document is, with its hash."""
    return {"paths": {gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest(gv)}"} for gv in group_versions()}}
