"""Envoy's gRPC access log service (ALS) entries as a receiver prints them, as the access record Envoy's JSON format
would give.

Istio's ``envoyHttpAls``/``envoyTcpAls`` extension providers (and any ``envoy.access_loggers.http_grpc``) send each
request as an ``HTTPAccessLogEntry`` (envoy/data/accesslog/v3/accesslog.proto): who and where in
``common_properties``, the request and the response in their own messages, the response flags as booleans.  A
receiver (SkyWalking's, Tetrate's, an operator's own) prints them with protojson, camelCase or snake_case, an entry a
line -- or the ``StreamAccessLogsMessage`` that carried it.  Read here into the JSON access format's keys, so one set
of rules decides every access line.
"""

from __future__ import annotations

from typing import Any

from .protojson import field as _get

# AccessLogCommon.ResponseFlags' booleans, as the flags Envoy's text formats print (envoy/stream_info ResponseFlag)
_FLAGS = {
    "failed_local_healthcheck": "LH",
    "no_healthy_upstream": "UH",
    "upstream_request_timeout": "UT",
    "local_reset": "LR",
    "upstream_remote_reset": "UR",
    "upstream_connection_failure": "UF",
    "upstream_connection_termination": "UC",
    "upstream_overflow": "UO",
    "no_route_found": "NR",
    "delay_injected": "DI",
    "fault_injected": "FI",
    "rate_limited": "RL",
    "unauthorized_details": "UAEX",
    "rate_limit_service_error": "RLSE",
    "downstream_connection_termination": "DC",
    "upstream_retry_limit_exceeded": "URX",
    "stream_idle_timeout": "SI",
    "invalid_envoy_request_headers": "IH",
    "downstream_protocol_error": "DPE",
    "upstream_max_stream_duration_reached": "UMSDR",
    "response_from_cache_filter": "RFCF",
    "no_filter_config_found": "NFCF",
    "duration_timeout": "DT",
    "upstream_protocol_error": "UPE",
    "no_cluster_found": "NC",
    "overload_manager": "OM",
    "dns_resolution_failure": "DF",
    "downstream_remote_reset": "DR",
}
# a StreamAccessLogsMessage's batches, and the keys that say a record is an entry or such a message
STREAM_BATCHES = ("httpLogs", "http_logs", "tcpLogs", "tcp_logs")
RECORD_KEYS = frozenset(("commonProperties", "common_properties", *STREAM_BATCHES))
# AccessLogCommon's fields an entry names where it came from or went: one of them, or the request, response or
# connection it records, says a "commonProperties" object is an access log entry's (another JSON may have the name)
_COMMON_FIELDS = ("start_time", "upstream_cluster", "downstream_remote_address", "upstream_remote_address")


def entry_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The one access log entry of a record: the entry itself, or a StreamAccessLogsMessage carrying one alone."""
    common = _get(obj, "common_properties")
    if isinstance(common, dict):
        if any(_get(common, key) for key in _COMMON_FIELDS) or any(
            isinstance(_get(obj, key), dict) for key in ("request", "response", "connection_properties")
        ):
            return obj
        return None
    for logs in STREAM_BATCHES:
        entries = _get(obj.get(logs), "log_entry")
        if isinstance(entries, list) and len(entries) == 1 and isinstance(entries[0], dict):
            return entry_of(entries[0])
    return None


def access_record(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The entry as Envoy's JSON access record (its keys), or None when it is no access log entry."""
    common = _get(entry, "common_properties")
    if not isinstance(common, dict):
        return None
    record: dict[str, Any] = {
        "start_time": _get(common, "start_time"),
        "upstream_cluster": _get(common, "upstream_cluster"),
        "route_name": _get(common, "route_name"),
        "upstream_transport_failure_reason": _get(common, "upstream_transport_failure_reason"),
        "connection_termination_details": _get(common, "connection_termination_details"),
        "duration": _milliseconds(_get(common, "duration")),
    }
    for ours, theirs in (
        ("downstream_remote_address", "downstream_remote_address"),
        ("downstream_local_address", "downstream_local_address"),
        ("upstream_host", "upstream_remote_address"),
        ("upstream_local_address", "upstream_local_address"),
    ):
        record[ours] = _address(_get(common, theirs))
    flags = _get(common, "response_flags")
    if isinstance(flags, dict):
        record["response_flags"] = ",".join(code for name, code in _FLAGS.items() if _get(flags, name))
    request, response = _get(entry, "request"), _get(entry, "response")
    if isinstance(request, dict):
        for key in ("request_method", "authority", "path", "user_agent", "request_id", "forwarded_for"):
            record[{"request_method": "method", "forwarded_for": "x_forwarded_for"}.get(key, key)] = _get(request, key)
    if isinstance(response, dict):
        code = _get(response, "response_code")
        code = code.get("value", 0) if isinstance(code, dict) else code  # (a UInt32Value; {} when 0)
        record["response_code"] = code
        record["response_code_details"] = _get(response, "response_code_details")
        record["bytes_sent"] = _get(response, "response_body_bytes")
    elif isinstance(_get(entry, "connection_properties"), dict) or not isinstance(request, dict):
        record["response_code"] = 0  # a TCP connection's entry
        record["bytes_received"] = _get(entry, "connection_properties", "received_bytes")
        record["bytes_sent"] = _get(entry, "connection_properties", "sent_bytes")
    return {key: value for key, value in record.items() if value not in (None, "")}


def _address(value: Any) -> str | None:
    """``{"socketAddress": {"address": …, "portValue": …}}`` as ``address:port``."""
    socket = _get(value, "socket_address")
    if not isinstance(socket, dict) or not isinstance(_get(socket, "address"), str):
        return None
    port = _get(socket, "port_value")
    return f"{_get(socket, 'address')}:{port}" if port is not None else _get(socket, "address")


def _milliseconds(value: Any) -> int | None:
    """A protobuf Duration as protojson prints it (``"0.003s"``), in milliseconds."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        return int(float(value[:-1]) * 1000)
    except (ValueError, OverflowError):  # ("infs", "1e400s")
        return None
