"""Envoy access logs in Istio's JSON encoding (``meshConfig.accessLogEncoding: JSON``).

Keys follow Istio's ``EnvoyJSONLogFormatIstio`` (1.9+, 24 keys) and the 1.3-1.8 set
(23 keys, every value a string, with ``istio_policy_status``), as Istio's
``pkg/config/mesh`` defines them (real lines in tests/data/envoy-json.log).  Each key is mapped to the Envoy operator it
prints, so the attributes are the same as for the TEXT encoding of the same request.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from ..events import Source
from . import als, stackdriver
from .cutjson import close_cut_object
from .envoy_access import build, setter_for
from .envoy_component import PROXY_CONTAINERS
from .flags import RESPONSE_FLAGS
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
# The same fields under the names other JSON formats give them: Envoy Gateway's default
# (``:authority``, ``user-agent``, ``x-envoy-origin-path``), Envoy docs' examples and users'
# Telemetry API formats (camelCase, ``status``, ``code``, ``uri``), Contour and Gloo.
# Keys are compared after :func:`canonical_key` (lower case, ``-``/``:`` folded, camelCase split).
SYNONYMS: dict[str, str] = {
    "authority": "authority",
    "host": "authority",
    "status": "response_code",
    "status_code": "response_code",
    "code": "response_code",
    "http_status": "response_code",
    "response_status": "response_code",
    "flags": "response_flags",
    "response_flag": "response_flags",
    "status_details": "response_code_details",
    "details": "response_code_details",
    "http_method": "method",
    "request_method": "method",
    "uri": "path",
    "request_path": "path",
    "x_envoy_origin_path": "path",
    "x_envoy_original_path": "path",
    "request": "path",
    "url_path": "path",
    "duration_ms": "duration",
    "request_duration": "duration",
    # Gloo Edge's access-logging guide (``clientDuration: '%DURATION%'``, ``systemTime: '%START_TIME%'``) and
    # kgateway's HTTPListenerPolicy example (``total_duration``, ``resp_upstream_service_time``,
    # ``req_x_forwarded_for``; internal/kgateway/setup/testdata/accesslog-httplisteneropt.yaml)
    "client_duration": "duration",
    "total_duration": "duration",
    "system_time": "start_time",
    "resp_upstream_service_time": "upstream_service_time",
    "req_x_forwarded_for": "x_forwarded_for",
    "upstream_address": "upstream_host",
    "upstream": "upstream_host",
    "cluster": "upstream_cluster",
    "upstream_cluster_name": "upstream_cluster",
    "ua": "user_agent",
    "xff": "x_forwarded_for",
    "forwarded_for": "x_forwarded_for",
    "downstream_address": "downstream_remote_address",
    "client_address": "downstream_remote_address",
    "source_address": "downstream_remote_address",
    "sni": "requested_server_name",
    "server_name": "requested_server_name",
    "route": "route_name",
    "transport_failure_reason": "upstream_transport_failure_reason",
    "upstream_failure_reason": "upstream_transport_failure_reason",
    "alpn": "protocol",
    "http_protocol": "protocol",
    "received_bytes": "bytes_received",
    "sent_bytes": "bytes_sent",
    "timestamp": "start_time",
    "start": "start_time",
}
_SETTERS = {key: setter_for(op) for key, op in KEY_TO_OPERATOR.items()}
# A JSON object is an access log when it has these (every Istio JSON variant does).
SIGNATURE = ("response_code", "upstream_cluster")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=1024)
def canonical_key(key: str) -> str | None:
    """The Istio JSON key a format's key means (``responseCode``, ``:authority``, ``status`` -> …), or None."""
    if key in _SETTERS:
        return key
    folded = _fold(key)
    if folded in _SETTERS:
        return folded
    return SYNONYMS.get(folded)


def _fold(key: str) -> str:
    """A key as snake case (``responseCode``, ``:authority``, ``x-request-id`` -> ``response_code``, …)."""
    return _CAMEL.sub("_", key).lower().strip(":-_ ").replace("-", "_").replace(" ", "_")


@lru_cache(maxsize=1024)
def side_key(key: str) -> str | None:
    """:func:`canonical_key`, or the key a custom format's side prefix abbreviates (an Istio 1.28 lab's
    accessLogFormat: "req_method", "req_path", "res_code"): only for a record already known to be a proxy's,
    because applications' own request logs use the same prefixes ("res_status": 403 of a web app's own log)."""
    found = canonical_key(key)
    if found is not None:
        return found
    folded = _fold(key)
    if not folded.startswith(_SIDE_PREFIXES):
        return None
    base = folded.partition("_")[2]
    return base if base in _SETTERS else SYNONYMS.get(base)


# the request or response side a custom format names a key after (req_method, res_code, resp_flags)
_SIDE_PREFIXES = ("req_", "res_", "resp_")


def looks_like(obj: dict[str, Any]) -> bool:
    """An access log in JSON: a response code with any second field only a proxy's access log has."""
    if "apiVersion" in obj and "kind" in obj:
        return False  # a Kubernetes object (an API server's Status answer), whatever its keys' synonyms
    if all(key in obj for key in SIGNATURE) or ("start_time" in obj and "response_flags" in obj):
        return True
    if looks_like_keys(obj):
        return True
    return names_istio_cluster(obj.items())


def names_istio_cluster(pairs: Any) -> bool:
    """A custom format that names the cluster its own way (``"upstream_info": "outbound|9080||reviews…"``): a
    request or connection that went to a cluster only Istio names so is a proxy's access record whatever its keys
    are called -- unless a logger's own keys say an application wrote it (its client's view of the same call)."""
    pairs = list(pairs)
    if APP_LOG_KEYS.intersection(str(key).lower() for key, _value in pairs) or "ts" in (k for k, _v in pairs):
        return False
    if not any(isinstance(value, str) and _ISTIO_CLUSTER.match(value) for _key, value in pairs):
        return False
    names = {side_key(str(key)) for key, _value in pairs}
    return bool(names & {"response_code", "bytes_sent", "bytes_received"}) and bool(
        names & {"method", "path", "duration", "bytes_sent", "downstream_remote_address"}
    )


# the clusters Istio's xDS names (pilot/pkg/networking/util: BuildSubsetKey; PassthroughCluster, BlackHoleCluster,
# InboundPassthroughClusterIpv4/6)
_ISTIO_CLUSTER = re.compile(
    r"(?:(?:inbound|outbound)(?:-vip)?\|\d{1,5}\|[^\s|\"]{0,100}\||(?:Inbound)?PassthroughCluster(?:Ipv[46])?\Z"
    r"|BlackHoleCluster\Z)"
)


APP_LOG_KEYS = frozenset(("level", "lvl", "msg", "severity", "logger", "caller"))
_CONNECTION_KEYS = frozenset(
    ("duration", "protocol", "bytes_sent", "bytes_received", "downstream_remote_address", "upstream_local_address")
)
_SECOND = frozenset({"response_flags", "upstream_cluster", "upstream_host", "response_code_details", "method"})


# fields only an access log has (the loose reader's test for a lone pretty-printed field, too)
ACCESS_ONLY = frozenset(
    "response_code response_flags response_code_details upstream_cluster upstream_host upstream_service_time "
    "upstream_transport_failure_reason upstream_local_address downstream_remote_address downstream_local_address "
    "requested_server_name route_name connection_termination_details bytes_received bytes_sent "
    # (the header only Envoy sets, as custom formats name it: "x_envoy_upstream_service_time": "%RESP(X-ENVOY-…)%")
    "x_envoy_upstream_service_time".split()
)
# ... of which a record cut before its status must name three to still be one: not its status, counts or client
# (any request log names those), and Istio's own two fields besides
_COUNTS_AND_CLIENT = frozenset({"downstream_remote_address", "bytes_received", "bytes_sent"})
_ENVOY_ONLY = (ACCESS_ONLY - {"response_code"} - _COUNTS_AND_CLIENT) | {
    "istio_policy_status",
    "x_forwarded_client_cert",
}


_ENVOY_WORDS = frozenset(
    ("connection_termination_details", "upstream_transport_failure_reason", "response_code_details", "response_flags")
)


# beside a status, any one of these makes a record Envoy's: only a proxy times its upstream apart from the request
# (x-envoy-upstream-service-time) or writes its own local addresses and why it ended a connection.  (A route or
# server name is not enough: web servers' JSON formats name those too.)
_BESIDE_STATUS = frozenset(
    {
        "response_flags",
        "upstream_cluster",
        "response_code_details",
        "upstream_transport_failure_reason",
        "upstream_service_time",
        "upstream_local_address",
        "downstream_local_address",
        "connection_termination_details",
    }
)


def looks_like_keys(keys: Any, cut: bool = False) -> bool:
    """The keys of a record name a response code and an Envoy-only field, or a method, path and duration; a
    record ``cut`` before the rest of its keys, three Envoy-only fields (what its start has of Istio's)."""
    keys = [str(key) for key in keys]
    if "apiVersion" in keys and "kind" in keys:
        # a Kubernetes object (an API server's Status: "status":"Failure", "code":403, "details"): never a proxy's
        return False
    names = {canonical_key(key) for key in keys}
    if cut:
        envoy_only = len(names & _ENVOY_ONLY)
        # Istio's and Envoy Gateway's formats sort their keys: a record cut after its sixth key has named its counts,
        # its client and two Envoy-only fields (connection_termination_details, downstream_local_address) -- no
        # request log of another program names those two
        if envoy_only >= 3 or (envoy_only == 2 and len(names & _COUNTS_AND_CLIENT) >= 2):
            return True
        # ... or one field no other program's format names (why Envoy ended the connection, its flags and details)
        # beside two of the counts and client, all a record cut after its fourth key may have left
        if names & _ENVOY_WORDS and len(names & _COUNTS_AND_CLIENT) >= 2:
            return True
    if "response_code" not in names:
        # no status (a TCP format, or a custom one that leaves it out): the cluster and host it went to, and one
        # more field of a request or connection, are a proxy's access record still
        return {"upstream_cluster", "upstream_host"} <= names and len(names & _CONNECTION_KEYS) >= 1
    if names & _BESIDE_STATUS:
        return True
    if not {"method", "path"} <= names:
        return False
    if APP_LOG_KEYS.intersection(key.lower() for key in keys) and "upstream_host" not in names:
        # a logger's own keys (level, msg): an application's structured log of a request it served (zap, slog,
        # logrus), not a proxy's access log -- Envoy's has no level or message
        return False
    # Envoy's operator spelled as a key ("response_code": %RESPONSE_CODE%) is a custom json_format's; web
    # servers write "status"
    return bool(names & {"duration", "authority", "upstream_host", "bytes_sent"}) or "response_code" in keys


def access_attributes(pairs: Any) -> dict[str, Any]:
    """``(key, value)`` pairs of an access record as the attributes the TEXT encoding gives
    (keys outside the table are kept as ``envoy.<key>``)."""
    attrs: dict[str, Any] = {}
    for key, value in pairs:
        if value is None or value == "-" or value == "":
            continue
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
            # a collector that stores every number as a double (Elasticsearch, Fluentd's float type, a JSON
            # re-encoder) writes the status 503 as 503.0: the same number
            value = int(value)
        text = value if isinstance(value, str) else str(value) if isinstance(value, int | float) else None
        name = side_key(str(key))
        if text is None and isinstance(value, list | dict) and name in _SETTERS:
            # a list or an object where the format puts a string: a list of strings as Envoy would join them
            # ("response_flags": ["UF", "URX"] -> "UF,URX"; a review found a denial lost to its JSON text), anything
            # else as its JSON text, so the attribute a reader goes by is a string still
            if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
                text = ",".join(value)[:4096]
            else:
                text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)[:4096]
        if name == "response_code" and text is not None and " " in text:
            # "%RESPONSE_CODE% %RESPONSE_FLAGS%" in one field ("code": "403 UAEX", a Gloo user's format, holdout151)
            code, _, flags = text.partition(" ")
            if code.isascii() and code.isdecimal() and all(flag in RESPONSE_FLAGS for flag in flags.split(",")):
                _SETTERS["response_flags"](attrs, flags)
                text = code
        setter = _SETTERS.get(name) if name is not None else None
        if setter is not None and text is not None and not isinstance(value, bool):
            setter(attrs, text)
        else:
            attrs[attr_key("envoy", str(key))] = value
    if attrs.get("http.request.method") is None and attrs.get("url.path") is None:
        # a TCP record (no request at all): its response code 0 means nothing.  A custom json_format that
        # leaves the method out but logs the path is still an HTTP request, and its status counts
        if attrs.get("http.response.status_code") == 0:
            del attrs["http.response.status_code"]
        attrs.pop("network.protocol.name", None)
    return attrs


def parse_object(obj: dict[str, Any], source: Source | None = None) -> Parsed:
    attrs = access_attributes(obj.items())
    parsed = build(attrs, source)
    if (
        parsed.action == "tcp.connection"
        and "http.response.status_code" not in attrs
        and attrs.get("network.protocol.version")
    ):
        # an HTTP request's record (its protocol says so) in a format that leaves the status out: where it went
        # is known, how it ended is not -- no TCP connection's success.  (Its flags or details saying it failed --
        # "DPE", "http2.invalid.header.field" with the status 0 -- still say so: an HTTP/2 request the codec refused.)
        parsed.action = "http.request"
        if parsed.outcome == "success":
            parsed.outcome = "unknown"
            parsed.summary += " (no status in this format)"
    parsed.decoded = True
    return parsed


_PAIR = re.compile(r'"([^"\\]{1,80})"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|null|true|false)(?=\s*[,}]|\s*$)')


# the key of the member a cut fell in, before or after its colon
_CUT_KEY = re.compile(r'[,{]\s*"([^"\\]{1,80})"\s*:?\s*\Z')


def recognise_fragment(text: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """The readable start of a JSON access record whose end was cut (an editor's hard wrap, a
    terminal's width): its complete ``"key": value`` pairs, flagged ``meshtail.partial``."""
    pairs: list[tuple[str, Any]] = []
    for key, value in _PAIR.findall(text):
        try:
            pairs.append((key, json.loads(value)))
        except ValueError:
            continue
    if len(pairs) < 2:
        return None
    keys = [key for key, _ in pairs]
    if len(pairs) >= 3 and not looks_like_keys(keys, cut=True):
        # the member the cut fell in still names its field ('…,"upstream_transport_failure_reason"'), and a value
        # that is no plain pair (an object, a list) names one before it: the closed object's keys count too
        mended = close_cut_object(text)
        if mended is not None:
            keys = [*keys, *(key for key in mended if key not in keys)]
        last = _CUT_KEY.search(text, max(0, len(text) - 100))
        if last is not None:
            keys.append(last.group(1))
    if (len(pairs) < 3 or not looks_like_keys(keys, cut=True)) and not names_istio_cluster(pairs):
        # (what is left names a cluster only Istio names so, beside another field an access record has:
        # '{"bytes_sent":"0","upstream_cluster":"outbound|7600||keycloak…","do…')
        return None
    attrs = access_attributes(pairs)
    attrs["meshtail.partial"] = True
    parsed = cut_verdict(build(attrs, source))
    parsed.decoded = True
    return "envoy-json", parsed


def cut_verdict(parsed: Parsed) -> Parsed:
    """A record cut before its status, with no flag, details or transport failure to decide by, is a request
    whose outcome is unknown -- not the TCP connection or answered request its remaining fields would make it."""
    attrs = parsed.attributes
    if (
        "http.response.status_code" in attrs
        or attrs.get("envoy.response_flags")
        or attrs.get("envoy.response_code_details") not in (None, "-", "via_upstream")
        or attrs.get("envoy.upstream_transport_failure_reason") not in (None, "-", "")
    ):
        return parsed
    summary = f"a JSON access record cut before its status: {parsed.summary.removeprefix('TCP ')}"
    return Parsed(parsed.time, "routing", "unknown", False, "info", "http.request", summary, attrs)


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """An Envoy access log in JSON (Istio's Stackdriver entries too, as Cloud Logging stores them), or None."""
    if "logName" in obj or "log_name" in obj:
        record = stackdriver.access_record(obj)
        if record is not None:
            return "envoy-json", parse_object(record, source)
    if not als.RECORD_KEYS.isdisjoint(obj):
        entry = als.entry_of(obj)
        record = als.access_record(entry) if entry is not None else None
        if record is not None:
            return "envoy-json", parse_object(record, source)
    if not looks_like(obj) and not (from_a_proxy(source) and _request_record(obj)):
        return None
    return "envoy-json", parse_object(obj, source)


def from_a_proxy(source: Source | None) -> bool:
    """The line's stream is a proxy's: a container Envoy runs in (:data:`envoy_component.PROXY_CONTAINERS`), as its
    source or a peeled wrapper names it -- a compose service's replica too (``envoy-1``, ``envoy_1``)."""
    name = source.container if source is not None else None
    return bool(name) and (name in PROXY_CONTAINERS or _REPLICA.sub("", name) in PROXY_CONTAINERS)


_REPLICA = re.compile(r"[-_]\d{1,3}\Z")  # docker compose's replica number after a service's name


def _request_record(obj: dict[str, Any]) -> bool:
    """A custom ``json_format`` whose keys name nothing only Envoy writes (``{"user": …, "path": …, "status": 200}``):
    a status beside a request's path, method, authority or duration -- a proxy's record when a proxy printed it."""
    if "apiVersion" in obj and "kind" in obj:
        return False
    names = {side_key(str(key)) for key in obj}
    return "response_code" in names and bool(names & {"method", "path", "authority", "duration"})
