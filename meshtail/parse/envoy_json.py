"""Envoy access logs in Istio's JSON encoding (``meshConfig.accessLogEncoding: JSON``).

Keys follow Istio's ``EnvoyJSONLogFormatIstio`` (1.9+, 24 keys) and the 1.3-1.8 set
(23 keys, every value a string, with ``istio_policy_status``); see
../shared/reference/log-formats.md §2.  Each key is mapped to the Envoy operator it
prints, so the attributes are the same as for the TEXT encoding of the same request.
"""

from __future__ import annotations

from typing import Any

from ..events import Source
from .envoy_access import build, setter_for
from .result import Parsed, attr_key

KEY_TO_OPERATOR: dict[str, str] = {
    "start_time": "START_TIME",
    "route_name": "ROUTE_NAME",
    "method": "REQ(:METHOD)",
    "path": "REQ(X-ENVOY-ORIGINAL-PATH?:PATH)",
    "protocol": "PROTOCOL",
    "response_code": "RESPONSE_CODE",
    "response_flags": "RESPONSE_FLAGS",
    "response_code_details": "RESPONSE_CODE_DETAILS",
    "connection_termination_details": "CONNECTION_TERMINATION_DETAILS",
    "bytes_received": "BYTES_RECEIVED",
    "bytes_sent": "BYTES_SENT",
    "duration": "DURATION",
    "upstream_service_time": "RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)",
    "x_forwarded_for": "REQ(X-FORWARDED-FOR)",
    "user_agent": "REQ(USER-AGENT)",
    "request_id": "REQ(X-REQUEST-ID)",
    "authority": "REQ(:AUTHORITY)",
    "upstream_host": "UPSTREAM_HOST",
    "upstream_cluster": "UPSTREAM_CLUSTER",
    "upstream_local_address": "UPSTREAM_LOCAL_ADDRESS",
    "downstream_local_address": "DOWNSTREAM_LOCAL_ADDRESS",
    "downstream_remote_address": "DOWNSTREAM_REMOTE_ADDRESS",
    "requested_server_name": "REQUESTED_SERVER_NAME",
    "upstream_transport_failure_reason": "UPSTREAM_TRANSPORT_FAILURE_REASON",
    "istio_policy_status": "DYNAMIC_METADATA(istio.mixer:status)",
    "x_envoy_upstream_service_time": "RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)",
    "x_request_id": "REQ(X-REQUEST-ID)",
}
_SETTERS = {key: setter_for(op) for key, op in KEY_TO_OPERATOR.items()}
# A JSON object is an access log when it has these (every Istio JSON variant does).
SIGNATURE = ("response_code", "upstream_cluster")


def looks_like(obj: dict[str, Any]) -> bool:
    return all(key in obj for key in SIGNATURE) or ("start_time" in obj and "response_flags" in obj)


def parse_object(obj: dict[str, Any], source: Source | None = None) -> Parsed:
    attrs: dict[str, Any] = {}
    for key, value in obj.items():
        if value is None or value == "-" or value == "":
            continue
        text = value if isinstance(value, str) else str(value) if isinstance(value, int | float) else None
        setter = _SETTERS.get(key)
        if setter is not None and text is not None:
            setter(attrs, text)
        else:
            attrs[attr_key("envoy", str(key))] = value
    if attrs.get("http.request.method") is None:
        if attrs.get("http.response.status_code") == 0:
            del attrs["http.response.status_code"]
        attrs.pop("network.protocol.name", None)
    parsed = build(attrs, source)
    parsed.decoded = True
    return parsed


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """An Envoy access log in JSON, or None."""
    if not looks_like(obj):
        return None
    return "envoy-json", parse_object(obj, source)
