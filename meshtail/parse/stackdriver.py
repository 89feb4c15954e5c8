"""Istio's Stackdriver access log as Cloud Logging stores it, as the access record Envoy's JSON format would give.

GKE and Anthos/Cloud Service Mesh proxies (istio/proxy ``extensions/stackdriver/log/logger.cc``) write each request
to Cloud Logging as a LogEntry of the log ``server-accesslog-stackdriver`` or ``client-accesslog-stackdriver`` (the
``server-``/``client-istio-audit-log`` for AUDIT policies): the request in ``httpRequest`` (method, URL, status,
latency, addresses), Envoy's verdict in ``labels`` (``response_flag``, ``response_details``, ``upstream_cluster``,
the peers' workloads and principals).  Operators read those entries back as JSON (``gcloud logging read
--format=json``, the Logs Explorer's download): one record per line, in Cloud Logging's own field names, no Envoy
line inside it to peel.  An RBAC denial's details are written ``AuthzDenied`` with the policy in ``policy_name``
(``<namespace>.<name>``) and ``policy_rule``; they are given back in Envoy's own words so one rule reads both.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .protojson import field

# the log's name at the end of logName ("projects/<p>/logs/server-accesslog-stackdriver", URL-encoded or not)
ISTIO_LOG_NAME = re.compile(r"(?:^|/)(?:server|client)-(?:accesslog-stackdriver|istio-audit-log)$")
# labels copied as they are: Envoy's own names for the same fields (the JSON access format's keys)
_SAME_LABELS = (
    "upstream_cluster",
    "upstream_host",
    "route_name",
    "requested_server_name",
    "upstream_transport_failure_reason",
)
# who talked to whom, kept beside the record (istio_<label>)
_PEER_LABELS = (
    "source_workload",
    "source_namespace",
    "source_principal",
    "destination_workload",
    "destination_namespace",
    "destination_principal",
    "service_authentication_policy",
    "dry_run_result",  # a dry-run policy's verdict, not enforced ("AuthzDenied" here denies nothing)
    "dry_run_policy_name",
)
_LATENCY = re.compile(r"(\d{1,9}(?:\.\d{1,9})?)s")


def access_record(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The entry as Envoy's JSON access record (its keys), or None when it is no Istio Stackdriver access entry."""
    name = field(obj, "log_name")
    labels = obj.get("labels")
    if not isinstance(name, str) or not isinstance(labels, dict) or ISTIO_LOG_NAME.search(name) is None:
        return None
    record: dict[str, Any] = {"start_time": obj.get("timestamp")}
    request = field(obj, "http_request")
    if isinstance(request, dict):
        _request(record, request)
    else:  # a TCP connection's entry: no request, code 0
        record["response_code"] = 0
    for key in _SAME_LABELS:
        if isinstance(labels.get(key), str):
            record[key] = labels[key]
    if isinstance(labels.get("response_flag"), str):
        record["response_flags"] = labels["response_flag"]
    details = labels.get("response_details")
    if details == "AuthzDenied":
        details = f"rbac_access_denied_matched_policy[{_policy(labels)}]"
    if isinstance(details, str):
        record["response_code_details"] = details
    for key in _PEER_LABELS:
        if isinstance(labels.get(key), str):
            record[f"istio_{key}"] = labels[key]
    record["log_name"] = name.rsplit("/", 1)[-1]
    return {key: value for key, value in record.items() if value is not None}


def _request(record: dict[str, Any], request: dict[str, Any]) -> None:
    """The LogEntry's HttpRequest (Cloud Logging's JSON names, requestUrl, or the proto's, request_url)."""
    record["method"] = field(request, "request_method")
    url = field(request, "request_url")
    if isinstance(url, str) and url:
        try:
            parts = urlsplit(url) if "://" in url else None
        except ValueError:  # ("http://[bad/x": no IPv6 address; a netloc NFKC changes)
            parts = None
        if parts is not None and parts.netloc:
            record["authority"] = parts.netloc
            record["path"] = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
        else:
            record["path"] = url
    for ours, theirs in (
        ("response_code", "status"),
        ("bytes_received", "request_size"),
        ("bytes_sent", "response_size"),
    ):
        value = field(request, theirs)
        if isinstance(value, int) or (isinstance(value, str) and value.isdecimal() and value.isascii()):
            record[ours] = int(value)
    latency = field(request, "latency")
    found = _LATENCY.fullmatch(latency) if isinstance(latency, str) else None
    if found is not None:
        record["duration"] = int(float(found.group(1)) * 1000)
    for ours, theirs in (
        ("user_agent", "user_agent"),
        ("downstream_remote_address", "remote_ip"),
        ("downstream_local_address", "server_ip"),
    ):
        value = field(request, theirs)
        if isinstance(value, str):
            record[ours] = value


def _policy(labels: dict[str, Any]) -> str:
    """Envoy's name for the policy that denied (``ns[foo]-policy[deny-all]-rule[0]``) from the entry's labels."""
    name, rule = labels.get("policy_name"), labels.get("policy_rule")
    if not isinstance(name, str) or "." not in name:
        return "none"
    namespace, _, policy = name.partition(".")
    return f"ns[{namespace}]-policy[{policy}]-rule[{rule if isinstance(rule, str) else 0}]"
