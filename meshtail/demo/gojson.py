"""JSON bodies as the API server's Go encoder writes them, compact or (``?pretty=true``, curl) indented.

A real API server encodes every negotiated response (objects, lists, Tables, Status errors,
discovery) with k8s.io/apimachinery's JSON serializer: ``json.NewEncoder(w).Encode`` — compact,
no spaces, a trailing newline, UTF-8 as is, ``<``, ``>`` and ``&`` escaped as ``\\u003c`` … — or,
when the client asks for it, ``json.MarshalIndent(obj, "", "  ")`` with no trailing newline.
Clients that show the body (``kubectl get --raw``, curl) see the difference, so the stand-in
writes the same bytes.

Whether a response is pretty is decided once per request (:func:`wants_pretty`, as the API
server's ``isPrettyPrint`` and Accept negotiation decide it) and kept in a context variable, so
every Status error written deep inside a handler honours it without being handed the request.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from aiohttp import web

PRETTY: ContextVar[bool] = ContextVar("meshtail_demo_pretty", default=False)

# what Go's encoder escapes that Python's leaves alone (HTML-safe output, and the JavaScript line separators)
_GO_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})
# strconv.ParseBool's spellings; anything else is an error, which the API server reads as "not pretty"
_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
# isPrettyPrint: "this covers basic all browsers and cli http tools"
_PRETTY_AGENTS = ("curl", "Wget", "Mozilla/5.0")


def dumps(obj: Any, pretty: bool = False) -> bytes:
    """``obj`` as Go's encoding/json writes it: compact with a newline, or MarshalIndent's two spaces."""
    if pretty:
        text = json.dumps(obj, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"
    text = text.translate(_GO_ESCAPES)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: Go writes U+FFFD for what is not UTF-8
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")


def response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A negotiated JSON response, pretty when this request asked for it."""
    return web.Response(body=dumps(obj, PRETTY.get()), status=status, content_type="application/json", headers=headers)


def wants_pretty(request: web.Request) -> bool:
    """Whether the API server would indent this request's response: an Accept clause with ``pretty=1``, or
    negotiation.isPrettyPrint — ``?pretty=`` when given (a value ParseBool refuses counts as false), else
    curl, Wget and browsers by their User-Agent."""
    return _accept_pretty(request.headers.get("Accept", "")) or _is_pretty_print(request)


def _accept_pretty(accept: str) -> bool:
    clauses = (clause.split(";")[1:] for clause in accept.split(","))
    return any("pretty=1" in [p.strip().replace(" ", "") for p in params] for params in clauses)


def _is_pretty_print(request: web.Request) -> bool:
    if "pretty" in request.query_string:
        value = request.query.get("pretty", "")
        if value:
            return value in _GO_TRUE
    return request.headers.get("User-Agent", "").startswith(_PRETTY_AGENTS)


# ---- key order on the wire --------------------------------------------------------------------------------------
# ObjectMeta's fields in their Go struct order (encoding/json writes a struct's fields in declaration order)
_OBJECT_META = (
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
)
_HEAD = ("kind", "apiVersion", "metadata")


def typed(obj: dict[str, Any]) -> dict[str, Any]:
    """A built-in object in its Go type's order: kind, apiVersion, metadata (ObjectMeta's order), then the rest."""
    out: dict[str, Any] = {key: obj[key] for key in _HEAD if key in obj}
    meta = out.get("metadata")
    if isinstance(meta, dict):
        known = {key: meta[key] for key in _OBJECT_META if key in meta}
        for mapped in ("labels", "annotations"):  # map[string]string: Go writes a map's keys sorted
            if isinstance(known.get(mapped), dict):
                known[mapped] = dict(sorted(known[mapped].items()))
        out["metadata"] = known | {key: value for key, value in meta.items() if key not in known}
    out.update((key, value) for key, value in obj.items() if key not in out)
    return out


def unstructured(value: Any) -> Any:
    """A custom resource as the API server writes it: an unstructured map, so every key in sorted order, as Go's
    encoding/json writes a map."""
    if isinstance(value, dict):
        return {key: unstructured(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [unstructured(item) for item in value]
    return value


def unstructured_list(api_version: str, kind: str, meta: dict[str, Any], items: list[Any]) -> dict[str, Any]:
    """A custom resource list (UnstructuredList): sorted keys, and ``metadata.continue`` always present — empty on the
    last page — because the storage layer sets it on the list's map whatever its value."""
    return unstructured({"apiVersion": api_version, "items": items, "kind": kind, "metadata": {"continue": "", **meta}})
