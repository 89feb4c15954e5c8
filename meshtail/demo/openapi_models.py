"""Built-in kinds' OpenAPI schemas, made from the Kubernetes client's own models.

``kubectl explain deploy.spec.replicas`` walks the kind's schema field by field; the stand-in's hand-written
schemas stopped at ``spec`` ("field "replicas" does not exist", found by an outside audit with real kubectl).
kubernetes_asyncio's model classes are generated from the API server's OpenAPI document: each knows its fields'
JSON names (``attribute_map``), their types (``openapi_types``: ``int``, ``list[V1Container]``, ``dict(str, str)``,
another model) and, in each property's docstring, the field's description.  This module turns them back into
OpenAPI v3 components, named as kube-openapi names them (``io.k8s.api.apps.v1.DeploymentSpec``), so kubectl reads
them as it reads a real server's.  (The models keep no kind-level descriptions, enums or ``required`` lists.)
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from kubernetes_asyncio.client import models

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"
# the apimachinery types: named under meta, whichever kind reaches them
_META_TYPES = frozenset(
    {
        "ObjectMeta",
        "ListMeta",
        "LabelSelector",
        "LabelSelectorRequirement",
        "OwnerReference",
        "ManagedFieldsEntry",
        "Condition",
        "Status",
        "StatusDetails",
        "StatusCause",
    }
)
_VERSION_PREFIX = re.compile(r"(?:[A-Z][a-z]+)?V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])")
_LIST = re.compile(r"list\[(.+)\]\Z")
_DICT = re.compile(r"dict\(str, (.+)\)\Z")
_SCALARS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int32"},
    "float": {"type": "number", "format": "double"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "object": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}
_CORE_KINDS = ("V1Pod", "V1Service", "V1Namespace", "V1Endpoints", "CoreV1Event", "V1ConfigMap", "V1Secret", "V1Node")
_CORE_KINDS += ("V1ServiceAccount",)


def model_class(group: str, version: str, kind: str) -> type | None:
    """The client's model of a kind (``V1Deployment``, ``CoreV1Event``, ``EventsV1Event``), or None."""
    tag = version[:1].upper() + version[1:]
    word = (group.split(".")[0] if group else "core").capitalize()
    for name in (f"{tag}{kind}", f"{word}{tag}{kind}"):
        found = getattr(models, name, None)
        if isinstance(found, type) and hasattr(found, "openapi_types"):
            return found
    return None


def _plain(class_name: str) -> str:
    return _VERSION_PREFIX.sub("", class_name, count=1)


@cache
def _core() -> frozenset[str]:
    """Every model a core kind reaches: those are named under ``io.k8s.api.core.v1`` wherever they appear."""
    seen: set[str] = set()
    for name in _CORE_KINDS:
        _closure(name, seen)
    return frozenset(seen)


def _closure(name: str, seen: set[str]) -> None:
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        found = getattr(models, current, None)
        if found is None or not hasattr(found, "openapi_types"):
            continue
        seen.add(current)
        pending.extend(_models_in(kind) for kind in found.openapi_types.values() if _models_in(kind))


def _models_in(type_name: str) -> str:
    """The model a field's type names, itself or as the items of a list or map ("" for a scalar)."""
    while True:
        inner = _LIST.match(type_name) or _DICT.match(type_name)
        if inner is None:
            break
        type_name = inner.group(1)
    return "" if type_name in _SCALARS else type_name


def component_name(class_name: str, group: str, version: str) -> str:
    """kube-openapi's name for a model reached from a kind of ``group``/``version``."""
    plain = _plain(class_name)
    if plain in _META_TYPES:
        return f"{_META}.{plain}"
    if class_name in _core():
        return f"io.k8s.api.core.v1.{plain}"
    return f"{group_prefix(group, version)}.{plain}"


def group_prefix(group: str, version: str) -> str:
    """Where kube-openapi puts a group-version's types: ``io.k8s.api.core.v1``, ``io.k8s.api.apps.v1``,
    ``io.k8s.api.authorization.v1``, a CRD's reversed group (``io.istio.networking.v1``)."""
    if not group:
        return f"io.k8s.api.core.{version}"
    if (group.endswith(".k8s.io") and group.count(".") == 2) or "." not in group:
        return f"io.k8s.api.{group.split('.')[0]}.{version}"  # built-in groups: apps, authorization.k8s.io
    return ".".join(reversed(group.split("."))) + f".{version}"


def _description(model: type, attribute: str) -> str:
    """The field's description from its getter's docstring (the paragraph between "Gets …" and ":return:")."""
    doc = getattr(getattr(model, attribute, None), "__doc__", None) or ""
    paragraphs = [part.strip() for part in doc.split("\n\n")]
    text = next((part for part in paragraphs[1:] if part and not part.startswith(":")), "")
    return " ".join(text.replace("# noqa: E501", "").split())


def _field_schema(type_name: str, description: str, group: str, version: str) -> dict[str, Any]:
    listed = _LIST.match(type_name)
    if listed:
        items = _field_schema(listed.group(1), "", group, version)
        return (
            {"type": "array", "description": description, "items": items}
            if description
            else {
                "type": "array",
                "items": items,
            }
        )
    mapped = _DICT.match(type_name)
    if mapped:
        values = _field_schema(mapped.group(1), "", group, version)
        out = {"type": "object", "additionalProperties": values}
        return {**out, "description": description} if description else out
    scalar = _SCALARS.get(type_name)
    if scalar is not None:
        return {**scalar, "description": description} if description else dict(scalar)
    reference = {"allOf": [{"$ref": f"#/components/schemas/{component_name(type_name, group, version)}"}]}
    return {**reference, "default": {}, "description": description} if description else {**reference, "default": {}}


def kind_fields(group: str, version: str, kind: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A kind's own fields besides apiVersion/kind/metadata, and every component they reach; None when the client
    has no model of it."""
    model = model_class(group, version, kind)
    if model is None:
        return None
    fields = {
        model.attribute_map[attribute]: _field_schema(type_name, _description(model, attribute), group, version)
        for attribute, type_name in model.openapi_types.items()
        if model.attribute_map[attribute] not in ("apiVersion", "kind", "metadata")
    }
    reached: set[str] = set()
    for type_name in model.openapi_types.values():
        if _models_in(type_name):
            _closure(_models_in(type_name), reached)
    components: dict[str, Any] = {}
    for class_name in sorted(reached):
        name = component_name(class_name, group, version)
        if name.startswith(_META) and _plain(class_name) in ("ObjectMeta", "ListMeta", "Status"):
            continue  # (the document's own apimachinery schemas)
        found = getattr(models, class_name)
        names = found.attribute_map
        properties = {
            names[attribute]: _field_schema(type_name, _description(found, attribute), group, version)
            for attribute, type_name in found.openapi_types.items()
        }
        components[name] = {"type": "object", "properties": dict(sorted(properties.items()))}
    return fields, components
