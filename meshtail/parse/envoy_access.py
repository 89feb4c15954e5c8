"""Envoy access logs in text form: a compiler from Envoy format strings to parsers.

Istio's default TEXT formats (every field-count variant it has shipped) are compiled
from their own format strings, so a user's ``meshConfig.accessLogFormat`` or Telemetry
API format goes through exactly the same code.  Sources for each variant are in
tests/data/SOURCES.md (and the Istio source of each, named beside it below).
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from ..events import MISSING, AuditEvent, Decision, RawLine, Source
from ..text import has_unsafe
from . import envoy_operators
from .addresses import set_hostport
from .classify import AccessFacts, access_decision, access_summary, classify_access, deciding_details, tls_failure
from .flags import flag_list
from .result import Parsed, finish
from .timestamps import normalize

# a number longer than any counter Envoy prints is no number: Python refuses to convert 4,300 digits and more (a
# hostile line crashed the run: found by a review), and a field error says what was there
_DIGITS = 19

# ---------------------------------------------------------------- Istio's formats
_REQLINE = '"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"'
_TAIL_COMMON = (
    '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"'
)
_ADDRS = (
    "%UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% "
    "%REQUESTED_SERVER_NAME%"
)

ISTIO_FORMATS: dict[str, str] = {
    # Istio 1.9 -> current (22 fields): istio.io access-log task, "Default access log format".
    "istio-1.9": f"[%START_TIME%] {_REQLINE} %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% "
    f'%CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% '
    f"%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% {_TAIL_COMMON} {_ADDRS} %ROUTE_NAME%",
    # Istio 1.3-1.7 (21 fields): EnvoyTextLogFormat13, with the Mixer status slot.
    "istio-1.3": f'[%START_TIME%] {_REQLINE} %RESPONSE_CODE% %RESPONSE_FLAGS% "%DYNAMIC_METADATA(istio.mixer:status)%" '
    f'"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% '
    f"%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% {_TAIL_COMMON} {_ADDRS} %ROUTE_NAME%",
    # Istio 1.8 (20 fields): Mixer slot removed, no response code details yet.
    "istio-1.8": f'[%START_TIME%] {_REQLINE} %RESPONSE_CODE% %RESPONSE_FLAGS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" '
    f"%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% {_TAIL_COMMON} "
    f"{_ADDRS} %ROUTE_NAME%",
    # Istio 1.2 (20 fields, observed): transport failure reason added, no route name.
    "istio-1.2": f'[%START_TIME%] {_REQLINE} %RESPONSE_CODE% %RESPONSE_FLAGS% "%DYNAMIC_METADATA(istio.mixer:status)%" '
    f'"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% '
    f"%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% {_TAIL_COMMON} {_ADDRS}",
    # Istio 1.1 (19 fields): EnvoyTextLogFormat with the Mixer slot.
    "istio-1.1": f'[%START_TIME%] {_REQLINE} %RESPONSE_CODE% %RESPONSE_FLAGS% "%DYNAMIC_METADATA(istio.mixer:status)%" '
    f"%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% {_TAIL_COMMON} {_ADDRS}",
    # Envoy's own default (13 fields): Istio 0.x, standalone Envoy.
    "envoy-default": f"[%START_TIME%] {_REQLINE} %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% "
    f"%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% {_TAIL_COMMON}",
    # Istio 1.0.3-1.0.9 TCP proxies (9 fields): EnvoyTCPLogFormat, pilot/pkg/networking/core/v1alpha3/listener.go
    # at tag 1.0.6 (1.1 logged TCP in the one HTTP format)
    "istio-1.0-tcp": '[%START_TIME%] %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "%UPSTREAM_HOST%" '
    "%UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%",
}

# Kuma's placeholders: kuma-cp writes the mesh, the services and the source address into the format
# before Envoy sees it (kumahq/kuma pkg/xds/envoy/listeners/v3/access_log_configurer.go,
# InterpolateKumaValues), so each is a word of literal text to Envoy and a field to a reader.
KUMA_PLACEHOLDERS: dict[str, str] = {
    "KUMA_MESH": "kuma.mesh",
    "KUMA_SOURCE_SERVICE": "kuma.source.service",
    "KUMA_DESTINATION_SERVICE": "kuma.destination.service",
    "KUMA_SOURCE_ADDRESS": "kuma.source.address",
    "KUMA_SOURCE_ADDRESS_WITHOUT_PORT": "client.address",
    "KUMA_TRAFFIC_DIRECTION": "kuma.traffic_direction",
    "KUMA_ZONE": "kuma.zone",
    "KUMA_WORKLOAD": "kuma.workload",
}

# Other Envoy-based products' DEFAULT text formats (their own source, cited beside each); tried after
# Istio's.  Contour, App Mesh and Gloo print Envoy's own default ("envoy-default" above).
VENDOR_FORMATS: dict[str, str] = {
    # Kuma / Kong Mesh MeshAccessLog (and TrafficLog) defaults, kumahq/kuma
    # pkg/plugins/policies/meshaccesslog/plugin/xds/configurer.go (defaultHttpAccessLogFormat,
    # defaultNetworkAccessLogFormat) at 348b6528bc234b3c4bd7f22ad7c5bf950d6149fc
    "kuma-http": '[%START_TIME%] %KUMA_MESH% "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" '
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "
    '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-B3-TRACEID?X-DATADOG-TRACEID)%" "%REQ(X-REQUEST-ID)%" '
    '"%REQ(:AUTHORITY)%" "%KUMA_SOURCE_SERVICE%" "%KUMA_DESTINATION_SERVICE%" "%KUMA_SOURCE_ADDRESS_WITHOUT_PORT%" '
    '"%UPSTREAM_HOST%"',
    "kuma-tcp": "[%START_TIME%] %RESPONSE_FLAGS% %KUMA_MESH% %KUMA_SOURCE_ADDRESS_WITHOUT_PORT%(%KUMA_SOURCE_SERVICE%)"
    "->%UPSTREAM_HOST%(%KUMA_DESTINATION_SERVICE%) took %DURATION%ms, sent %BYTES_SENT% bytes, "
    "received: %BYTES_RECEIVED% bytes",
}

# ---------------------------------------------------------------- operators -> attributes
_INT_OPERATORS = {
    "RESPONSE_CODE": "http.response.status_code",
    "BYTES_RECEIVED": "envoy.bytes_received",
    "BYTES_SENT": "envoy.bytes_sent",
    "DURATION": "envoy.duration_ms",
    "REQUEST_DURATION": "envoy.request_duration_ms",
    "RESPONSE_DURATION": "envoy.response_duration_ms",
    "RESPONSE_TX_DURATION": "envoy.response_tx_duration_ms",
    "UPSTREAM_REQUEST_ATTEMPT_COUNT": "envoy.upstream_request_attempt_count",
    "RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)": "envoy.upstream_service_time_ms",
}
_STR_OPERATORS = {
    "REQ(:METHOD)": "http.request.method",
    "REQ(USER-AGENT)": "user_agent.original",
    "RESPONSE_CODE_DETAILS": "envoy.response_code_details",
    "CONNECTION_TERMINATION_DETAILS": "envoy.connection_termination_details",
    "UPSTREAM_TRANSPORT_FAILURE_REASON": "envoy.upstream_transport_failure_reason",
    "UPSTREAM_HOST": "envoy.upstream_host",
    "UPSTREAM_LOCAL_ADDRESS": "envoy.upstream_local_address",
    "DOWNSTREAM_LOCAL_ADDRESS": "envoy.downstream_local_address",
    "REQUESTED_SERVER_NAME": "tls.client.server_name",
    "ROUTE_NAME": "envoy.route_name",
    "DYNAMIC_METADATA(istio.mixer:status)": "istio.mixer_status",
    "DOWNSTREAM_PEER_URI_SAN": "istio.source.principal",
    "UPSTREAM_PEER_URI_SAN": "istio.destination.principal",
    "UPSTREAM_CLUSTER": "envoy.upstream_cluster",
    "PROTOCOL": "network.protocol",
}
_PATH_OPERATORS = frozenset(
    {
        "REQ(X-ENVOY-ORIGINAL-PATH?:PATH)",
        "REQ(:PATH)",
        "REQ(:PATH?X-ENVOY-ORIGINAL-PATH)",
        "REQ_WITHOUT_QUERY(X-ENVOY-ORIGINAL-PATH?:PATH)",
        "REQ_WITHOUT_QUERY(:PATH)",
    }
)

Setter = Callable[[dict[str, Any], str], None]


def _set_path(attrs: dict[str, Any], value: str) -> None:
    path, sep, query = value.partition("?")
    attrs["url.path"] = path
    if sep:
        attrs["url.query"] = query


def _set_authority(attrs: dict[str, Any], value: str) -> None:
    attrs["http.request.header.host"] = value
    set_hostport(attrs, "server", value)


def _set_remote(attrs: dict[str, Any], value: str) -> None:
    attrs["envoy.downstream_remote_address"] = value
    set_hostport(attrs, "client", value)


def _set_flags(attrs: dict[str, Any], value: str) -> None:
    attrs["envoy.response_flags"] = flag_list(value)


def decode_cluster(attrs: dict[str, Any], value: str) -> None:
    """``outbound|9080|v1|reviews.default.svc.cluster.local`` -> direction, port, subset, service.

    Istio 1.1 inbound clusters carry the port name in the third slot
    (``inbound|9080|http|svc.ns.svc.cluster.local``); outbound ones carry the subset.
    A mesh has a few hundred cluster names, so each is decoded once.
    """
    attrs.update(_cluster_attributes(value))


@lru_cache(maxsize=4096)
def _cluster_attributes(value: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {"envoy.upstream_cluster": value}
    parts = value.split("|")
    if len(parts) != 4 or parts[0] not in ("outbound", "inbound", "inbound-vip"):
        return attrs
    direction, port, third, service = parts
    attrs["istio.direction"] = "outbound" if direction == "outbound" else "inbound"
    if port.isdigit() and len(port) <= _DIGITS:
        attrs["istio.destination.port"] = int(port)
    if third:
        attrs["istio.destination.subset" if direction == "outbound" else "istio.destination.port_name"] = third
    if service:
        attrs["istio.destination.service"] = service
    return attrs


def _set_protocol(attrs: dict[str, Any], value: str) -> None:
    attrs.update(_protocol_attributes(value))


@lru_cache(maxsize=256)
def _protocol_attributes(value: str) -> dict[str, Any]:
    name, _, version = value.partition("/")
    attrs = {"network.protocol.name": name.lower()}
    if version:
        attrs["network.protocol.version"] = version
    return attrs


# what each setter can set (a filter asking for anything else of an access log gets None at once)
_SETTER_NAMES: dict[Setter, tuple[str, ...]] = {
    _set_authority: ("http.request.header.host", "server.address", "server.port"),
    _set_remote: ("envoy.downstream_remote_address", "client.address", "client.port"),
    _set_flags: ("envoy.response_flags",),
    decode_cluster: (
        "envoy.upstream_cluster",
        "istio.direction",
        "istio.destination.port",
        "istio.destination.subset",
        "istio.destination.port_name",
        "istio.destination.service",
    ),
    _set_protocol: ("network.protocol.name", "network.protocol.version"),
}


# the setters the generated builder writes out: the attribute with the whole value, and the prefix
_HOSTPORT_SETTERS: dict[Setter, tuple[str, str]] = {
    _set_authority: ("http.request.header.host", "server"),
    _set_remote: ("envoy.downstream_remote_address", "client"),
}


# the setters of one step, as the generated builder writes them out (names bound in its scope)
_INLINED_SETTERS: dict[Setter, str] = {
    _set_protocol: "        a.update(_protocol(v))",
    decode_cluster: "        a.update(_cluster(v))",
    _set_flags: '        a["envoy.response_flags"] = _flag_list(v)',
}


def _int_setter(name: str) -> Setter:
    def setter(attrs: dict[str, Any], value: str) -> None:
        if value.isdecimal() and len(value) <= _DIGITS:
            attrs[name] = int(value)
        else:
            _field_error(attrs, name, value)

    return setter


def _str_setter(name: str) -> Setter:
    def setter(attrs: dict[str, Any], value: str) -> None:
        attrs[name] = value

    return setter


_HEADER_OP = re.compile(r"^(REQ|RESP|TRAILER)\(([^)?:]*|:[a-z]+)(?:\?[^)]*)?\)$")


def _plan(operator: str) -> tuple[str, str | Setter]:
    """How one Envoy command operator's value becomes attributes: ``("str"|"int", name)`` for a
    plain attribute, ``("path", "")`` for the request path, or ``("call", setter)``."""
    op = re.sub(r":\d+$", "", operator)  # %REQ(USER-AGENT):64% truncation suffix
    if op.startswith("START_TIME"):
        return "str", "envoy.start_time"
    name = op.split("(", 1)[0]
    if name in envoy_operators.TIME_OPERATORS:  # one attribute whatever its format: %EMIT_TIME(%s)%
        return "str", f"envoy.{name.lower()}"
    if op in KUMA_PLACEHOLDERS:
        return "str", KUMA_PLACEHOLDERS[op]
    if op in _PATH_OPERATORS:
        return "path", ""
    if op == "REQ(:AUTHORITY)" or op == "REQ(HOST)":
        return "call", _set_authority
    if op == "DOWNSTREAM_REMOTE_ADDRESS":
        return "call", _set_remote
    if op == "RESPONSE_FLAGS":
        return "call", _set_flags
    if op == "UPSTREAM_CLUSTER":
        return "call", decode_cluster
    if op == "PROTOCOL":
        return "call", _set_protocol
    if op in _INT_OPERATORS:
        return "int", _INT_OPERATORS[op]
    if op in _STR_OPERATORS:
        return "str", _STR_OPERATORS[op]
    header = _HEADER_OP.match(op)
    if header:
        where = {"REQ": "http.request.header", "RESP": "http.response.header", "TRAILER": "http.response.trailer"}
        return "str", f"{where[header.group(1)]}.{header.group(2).lstrip(':').lower()}"
    safe = re.sub(r"[^a-z0-9_.:-]+", "_", op.lower()).strip("_")
    return "str", f"envoy.{safe}"


def setter_for(operator: str) -> Setter:
    """How one Envoy command operator's value becomes attributes, as a function."""
    kind, how = _plan(operator)
    if kind == "path":
        return _set_path
    if kind == "call":
        assert callable(how)
        return how
    assert isinstance(how, str)
    return _int_setter(how) if kind == "int" else _str_setter(how)


def _field_error(attrs: dict[str, Any], name: str, value: str) -> None:
    # keep what the proxy printed, visibly, without breaking the attribute's type
    attrs.setdefault("meshtail.field_errors", []).append(f"{name}: not a number: {value[:80]}")


AttrsBuilder = Callable[[tuple[str, ...]], dict[str, Any]]


def _builder(operators: list[str]) -> AttrsBuilder:
    """One straight-line Python function per format turning the regex groups into attributes.

    Generated (like ``collections.namedtuple``) because a loop of one setter call per field
    spent most of the parse time in call overhead; the steps are exactly the setters' steps.
    """
    names = ", ".join(f"g{index}" for index in range(len(operators)))
    lines = ["def build(groups):", f"    {names}{',' if len(operators) == 1 else ''} = groups", "    a = {}"]
    scope: dict[str, Any] = {"_field_error": _field_error}
    for index, operator in enumerate(operators):
        kind, how = _plan(operator)
        lines.append(f"    v = g{index}")
        lines.append('    if v and v != "-":')
        if kind == "str":
            lines.append(f"        a[{how!r}] = v")
        elif kind == "int":
            lines.append(f"        if v.isdecimal() and len(v) <= {_DIGITS}: a[{how!r}] = int(v)")
            lines.append(f"        else: _field_error(a, {how!r}, v)")
        elif kind == "path":
            lines.append('        if "?" in v:')
            lines.append('            a["url.path"], _, a["url.query"] = v.partition("?")')
            lines.append("        else:")
            lines.append('            a["url.path"] = v')
        elif how in _HOSTPORT_SETTERS:
            # the authority and the client's address: set_hostport's steps written out (two per line)
            whole, prefix = _HOSTPORT_SETTERS[how]  # type: ignore[index]
            lines.append(f"        a[{whole!r}] = v")
            lines.append('        h, c, p = v.rpartition(":")')
            lines.append(f'        if c and p.isdecimal() and len(p) <= {_DIGITS} and ":" not in h and v[:1] != "[":')
            lines.append(f"            a[{prefix + '.address'!r}] = h")
            lines.append(f"            a[{prefix + '.port'!r}] = int(p)")
            lines.append("        else:")
            lines.append(f"            _hostport(a, {prefix!r}, v)")
            scope["_hostport"] = set_hostport
        elif how in _INLINED_SETTERS:
            # the setter's one step written out (a Python call per field was a fifth of the build)
            lines.append(_INLINED_SETTERS[how])  # type: ignore[index]
        else:
            scope[f"_set{index}"] = how
            lines.append(f"        _set{index}(a, v)")
    scope.update(_protocol=_protocol_attributes, _cluster=_cluster_attributes, _flag_list=flag_list)
    lines.append("    return a")
    exec(compile("\n".join(lines), f"<envoy access format {len(operators)} fields>", "exec"), scope)
    return scope["build"]


# ---------------------------------------------------------------- time operators' formats
# What Envoy prints for each specifier of a time operator's format (absl::FormatTime in the C locale,
# plus Envoy's own %s and %f/%1f…%9f), as a bounded regex, and the civil field it gives (None: not
# read).  Every quantifier is bounded and the whole is matched inside an atomic group, so a time
# group cannot backtrack polynomially however the line ends.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_DAY_NAMES = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_STRFTIME: dict[str, tuple[str, str | None]] = {
    "Y": (r"\d{4}", "Y"),
    "y": (r"\d{2}", "y"),
    "C": (r"\d{2}", "C"),
    "G": (r"\d{4}", None),
    "g": (r"\d{2}", None),
    "m": (r"\d{2}", "m"),
    "d": (r"\d{2}", "d"),
    "e": (r"[ \d]\d", "d"),
    "j": (r"\d{3}", "j"),
    "H": (r"\d{2}", "H"),
    "k": (r"[ \d]\d", "H"),
    "I": (r"\d{2}", "I"),
    "l": (r"[ \d]\d", "I"),
    "M": (r"\d{2}", "M"),
    "S": (r"\d{2}", "S"),
    "p": (r"[AP]M", "p"),
    "a": (_DAYS, None),
    "A": (_DAY_NAMES, None),
    "b": (f"(?:{'|'.join(_MONTHS)})", "b"),
    "B": (f"(?:{'|'.join(_MONTH_NAMES)})", "b"),
    "u": (r"[1-7]", None),
    "w": (r"[0-6]", None),
    "U": (r"\d{2}", None),
    "W": (r"\d{2}", None),
    "V": (r"\d{2}", None),
    "z": (r"[+-]\d{4}", "z"),
    "Z": (r"[A-Za-z]{1,6}|[+-]\d{2,4}", "Z"),
    "s": (r"\d{1,19}", "s"),  # Envoy's: seconds since the Epoch
    "f": (r"\d{9}", "f"),  # Envoy's: fractional seconds, nine digits
    "%": ("%", None),
    "t": ("\t", None),
    "n": ("\n", None),  # Envoy refuses it (envoy_operators.argument_problem); a line never holds one
}
# specifiers that stand for several (strftime's shorthands, in the C locale)
_STRFTIME_SHORTHANDS = {
    "F": "%Y-%m-%d",
    "T": "%H:%M:%S",
    "D": "%m/%d/%y",
    "R": "%H:%M",
    "r": "%I:%M:%S %p",
    "c": "%a %b %e %H:%M:%S %Y",
    "x": "%m/%d/%y",
    "X": "%H:%M:%S",
    "h": "%b",
}
_SPECIFIER = re.compile(r"%(?:E\*[Szf]|E\d[Sf]|E4Y|Ez|[EO]?[1-9]f|[EO]?[A-Za-z%])|%|[^%]+")
# Envoy's default for every time operator (AccessLogDateTimeFormatter: %Y-%m-%dT%H:%M:%E3SZ; the
# _LOCAL operators print their zone's offset)
_DEFAULT_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?"


@dataclass(frozen=True, slots=True)
class TimeFormat:
    """A time operator's strftime format: what Envoy prints for it (``pattern``, no capturing groups)
    and how to read a printed value back (``reader``, named groups), or None where it cannot be."""

    pattern: str
    reader: re.Pattern[str] | None


@lru_cache(maxsize=64)
def strftime_format(spec: str) -> TimeFormat | None:
    """The regex of what Envoy prints for the time format *spec*; None for a specifier meshtail does not know.

    ``%Y-%m-%d``, ``%s.%3f``, ``%d/%b/%Y:%H:%M:%S %z``, ``%E3S``, ``%Ez``, ``%F %T``…  The reader has
    named groups for the fields a time is built from (see :func:`_read_civil`).
    """
    pattern: list[str] = []
    reader: list[str] = []
    named: set[str] = set()

    def add(regex: str, name: str | None) -> None:
        pattern.append(f"(?:{regex})")
        if name is None or name in named:
            reader.append(f"(?:{regex})")
        else:
            named.add(name)
            reader.append(f"(?P<{name}>{regex})")

    def specifier(code: str) -> bool:
        """Add one specifier (the text after its "%"); False if meshtail does not know it."""
        if code.startswith("E*"):  # full precision: trailing zeros dropped
            if code[2] == "S":
                add(r"\d{2}", "S")
                add(r"(?:\.\d{1,15})?", "f")
            elif code[2] == "f":
                add(r"\d{1,15}", "f")
            else:
                add(r"[+-]\d{2}:\d{2}(?::\d{2})?", "z")
            return True
        if code[:1] == "E" and code[1:2].isdigit() and code != "E4Y":  # %E3S, %E6f: that many fractional digits
            digits = int(code[1])
            if code[2] == "S":
                add(r"\d{2}", "S")
                if digits:
                    add(rf"\.\d{{{digits}}}", "f")
            else:
                add(rf"\d{{{digits}}}", "f")
            return True
        if code == "E4Y":
            add(r"\d{4}", "Y")
            return True
        if code == "Ez":
            add(r"[+-]\d{2}:\d{2}", "z")
            return True
        if code[:1] in ("E", "O") and len(code) > 1:
            code = code[1:]  # the locale's alternative forms: the C locale's are the plain ones
        if code[:1].isdigit():  # Envoy's %1f…%9f
            add(rf"\d{{{code[0]}}}", "f")
            return True
        if code in _STRFTIME_SHORTHANDS:
            return text(_STRFTIME_SHORTHANDS[code])
        if code not in _STRFTIME:
            return False
        add(*_STRFTIME[code])
        return True

    def text(spec: str) -> bool:
        """Add a whole format; False at a lone "%" or a specifier meshtail does not know."""
        for token in _SPECIFIER.findall(spec):
            if not token.startswith("%"):
                pattern.append(re.escape(token))
                reader.append(re.escape(token))
            elif token == "%" or not specifier(token[1:]):
                return False
        return True

    if not text(spec) or not pattern:
        return None
    return TimeFormat("".join(pattern), re.compile("".join(reader)))


def _read_civil(fields: dict[str, str | None]) -> str | None:
    """RFC 3339 UTC from the fields a time format printed, or None if they do not name an instant.

    Seconds since the Epoch (``%s``) decide alone; otherwise the year, month (or day of the year), day,
    hour and minute must all be there.  Without a zone the time is taken as UTC: the zone Envoy
    prints the non-``_LOCAL`` operators in, and what :func:`normalize` assumes (a ``_LOCAL``
    operator's zone is the proxy's, which the line does not say; Istio's proxies run in UTC).
    """
    frac = (fields.get("f") or "").lstrip(".")[:9]
    tail = (f".{frac}" if frac else "") + "Z"
    try:
        if fields.get("s"):
            at = datetime.fromtimestamp(int(fields["s"] or 0), UTC)
            return at.strftime("%Y-%m-%dT%H:%M:%S") + tail
        year_text, short = fields.get("Y"), fields.get("y")
        if year_text:
            year = int(year_text)
        elif short:
            century = fields.get("C")
            year = int(century) * 100 + int(short) if century else (2000 if int(short) < 69 else 1900) + int(short)
        else:
            return None
        if fields.get("b"):
            month = _MONTHS.index((fields["b"] or "")[:3]) + 1
        elif fields.get("m"):
            month = int(fields["m"] or 0)
        else:
            month = 0
        day = int((fields.get("d") or "0").strip())
        hour_text, twelve = fields.get("H"), fields.get("I")
        if hour_text:
            hour = int(hour_text.strip())
        elif twelve and fields.get("p"):
            hour = int(twelve.strip()) % 12 + (12 if fields["p"] == "PM" else 0)
        else:
            return None
        if not fields.get("M"):
            return None
        minute, second = int(fields["M"] or 0), int(fields.get("S") or 0)
        if month and day:
            at = datetime(year, month, day, hour, minute, second)
        elif fields.get("j"):
            at = datetime(year, 1, 1, hour, minute, second) + timedelta(days=int(fields["j"] or 1) - 1)
        else:
            return None
        zone, name = fields.get("z"), fields.get("Z")
        if zone:
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]), seconds=int(digits[4:6] or 0))
            at -= offset if zone[0] == "+" else -offset
        elif name and name.upper() not in ("UTC", "GMT", "Z"):
            return None  # a zone abbreviation names no offset meshtail can know
    except (ValueError, OverflowError, OSError):
        return None
    return at.strftime("%Y-%m-%dT%H:%M:%S") + tail


def strftime_reader(spec: str) -> Callable[[str], str | None]:
    """A function from what Envoy printed for the time format *spec* to RFC 3339 UTC (None where it cannot)."""
    found = strftime_format(spec)
    reader = found.reader if found is not None else None
    if reader is None:
        return normalize  # the unknown specifier's value may still be a time normalize reads

    def read(value: str) -> str | None:
        m = reader.fullmatch(value)
        return _read_civil(m.groupdict()) if m is not None else normalize(value)

    return read


# ---------------------------------------------------------------- the compiler
# NAME, an optional "(argument)", an optional ":<length>".  The argument runs to the first ")%" and may
# hold "(" and ")" (a CEL expression), or to the first ")" and may hold "%" (Envoy's own rule,
# ``\([^\)]*\)``: a time format such as START_TIME(%Y-%m-%dT%H:%M:%S%z)).
_OPERATOR = re.compile(r"%([A-Z][A-Z0-9_]*(?:\([^%]*?\)|\([^)]*\))?(?::\d+)?)%")


class FormatError(ValueError):
    """A format string meshtail cannot turn into a parser; ``position`` points into ``text``."""

    def __init__(self, message: str, position: int, text: str = "", hint: str = "") -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position
        self.text = text
        self.hint = hint  # more to say below the caret (the operators Envoy knows)

    def pointer(self) -> str:
        """The format string and a caret under the place, laid out by terminal cells."""
        if not self.text:
            return ""
        from ..text import cells, visible

        shown = visible(self.text)
        before = visible(self.text[: self.position])
        return f"  {shown}\n  {' ' * cells(before)}^"


Accessor = Callable[["re.Match[str]"], Any]


@dataclass(slots=True)
class Deciders:
    """Where the fields that decide sit among a format's regex groups (None: the format lacks it)."""

    status: int | None = None
    flags: int | None = None
    details: int | None = None
    upstream_host: int | None = None
    tls_reason: int | None = None
    method: int | None = None
    start: int | None = None
    termination: int | None = None
    mixer: int | None = None


@dataclass(slots=True, eq=False)
class CompiledFormat:
    """An Envoy format string compiled to a strict and a lenient regex (compared and hashed by identity)."""

    name: str
    format_string: str
    strict: re.Pattern[str]
    lenient: re.Pattern[str] | None
    builder: AttrsBuilder
    first_char: str
    max_quotes: int = 0
    deciders: Deciders = field(default_factory=Deciders)
    # single attributes read straight from the groups (filters on status, duration, path, …)
    accessors: dict[str, Accessor] = field(default_factory=dict)
    possible: frozenset[str] = frozenset()  # every attribute a line of this format can have
    # the start time's printed value to RFC 3339 UTC (Envoy's default form, or the %START_TIME(...)% format's)
    read_time: Callable[[str], str | None] = normalize
    # attributes that are one group, as ("text" | "number", group number): filters test these directly
    simple_groups: dict[str, tuple[str, int]] = field(default_factory=dict)
    detail: AccessDetail = field(init=False)
    key_groups: tuple[int, ...] = field(init=False)  # 1-based group numbers of the deciding text
    upstream_group: int = field(init=False)
    decisions: dict[tuple[Any, bool], Decision] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.detail = AccessDetail(self)
        d = self.deciders
        # m.group() numbers from 1; a field the format lacks is left out of the key
        deciding = (d.status, d.flags, d.details, d.tls_reason, d.method, d.termination, d.mixer)
        self.key_groups = tuple(i + 1 for i in deciding if i is not None) or (0,)
        self.upstream_group = 0 if d.upstream_host is None else d.upstream_host + 1

    # The lenient regex's lazy quoted fields try every split at a stray quote: with q stray
    # quotes and k quoted fields that is up to C(q, k) attempts, so it runs only while the
    # line has few quotes beyond the format's own (a line full of quotes stays unparsed —
    # kept and marked — rather than stalling the stream).
    STRAY_QUOTES = 8

    def match(self, line: str) -> re.Match[str] | None:
        m = self.strict.match(line)
        if m is None and self.lenient is not None and line.count('"') <= self.max_quotes:
            m = self.lenient.match(line)
        return m

    def facts(self, groups: tuple[str, ...]) -> AccessFacts:
        """The deciding fields, read from the groups exactly as the attribute builder would set them."""
        d = self.deciders
        status = _int_group(groups, d.status)
        http = d.method is not None and _present(groups[d.method])
        if not http and status == 0:
            status = None  # a TCP line's response code 0 means nothing (see attributes_from)
        flags = groups[d.flags] if d.flags is not None else ""
        details = groups[d.details] if d.details is not None else ""
        termination = groups[d.termination] if d.termination is not None else ""
        mixer = groups[d.mixer] if d.mixer is not None else ""
        reason = groups[d.tls_reason] if d.tls_reason is not None else ""
        flag_tuple = _flags(flags)
        return AccessFacts(
            status,
            flag_tuple,
            deciding_details(
                details if _present(details) else None,
                termination if _present(termination) else None,
                mixer if _present(mixer) else None,
                flag_tuple,
            ),
            d.upstream_host is not None and _present(groups[d.upstream_host]),
            _present(reason) and tls_failure(reason),
            http,
        )

    def decide(self, m: re.Match[str]) -> Decision:
        """The decision from the deciding groups alone: one dict look-up for combinations seen before.

        The key is the deciding groups' text (status, flags, details, TLS reason, method) and
        whether an upstream host was reached; a mesh logs a few hundred such combinations.
        """
        key = (m.group(*self.key_groups), _present(m.group(self.upstream_group)) if self.upstream_group else False)
        decision = self.decisions.get(key)
        if decision is None:
            decision = access_decision(self.facts(m.groups()))
            if len(self.decisions) < 65536:
                self.decisions[key] = decision
        return decision

    def time(self, groups: tuple[str, ...]) -> str | None:
        start = self.deciders.start
        if start is None:
            return None
        value = groups[start]
        return self.read_time(value) if _present(value) else None

    def event(
        self,
        m: re.Match[str],
        text: str,
        source: Source,
        raw: RawLine,
        stamp: str | None,
        body: str,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        """A lazy event for a matched line: decided now, its attributes built when read.

        ``extra``: attributes the wrappers add (``meshtail.wrappers``, ``meshtail.partial``).
        """
        data = (m, stamp, raw.decode_error, body, extra)
        return AuditEvent.lazy(self.decide(m), "envoy-text", source, text, raw.received, self.detail, data)


class AccessDetail:
    """How an access-log line's attributes, summary and time are built from its regex match (one per format).

    An event's ``_data`` is ``(match, kubelet stamp, decode error, body, extra attributes or None)``.
    """

    __slots__ = ("compiled",)

    def __init__(self, compiled: CompiledFormat) -> None:
        self.compiled = compiled

    def expand(self, event: Any) -> tuple[dict[str, Any], str, str | None]:
        m, stamp, decode_error, body, extra = event._data
        compiled = self.compiled
        attrs = attributes_from(compiled, m.groups())
        attrs["envoy.log_format"] = compiled.name
        start = attrs.pop("envoy.start_time", None)
        time = compiled.read_time(start) if isinstance(start, str) else None
        if start is not None and time is None:
            attrs["envoy.start_time"] = start
        summary = access_summary(attrs, event.source, event.decision)
        if extra:
            attrs.update(extra)
        summary = finish(attrs, summary, stamp, decode_error, has_unsafe(body))
        return attrs, summary, time or normalize(stamp)

    def attr(self, event: Any, name: str) -> Any:
        compiled = self.compiled
        if name not in compiled.possible:
            extra = event._data[4]
            if extra is not None and name in extra:
                return MISSING  # the wrappers' attributes: the full build has them
            return None  # no line of this format can have it (a filter naming several places asks)
        accessor = compiled.accessors.get(name)
        if accessor is None:
            return MISSING
        value = accessor(event._data[0])
        if type(value) is str and has_unsafe(value):  # made visible by the full build
            return MISSING
        if type(value) is list and any(has_unsafe(item) for item in value):
            return MISSING
        return value

    def time(self, event: Any) -> str | None:
        m, stamp, _, _, _ = event._data
        return self.compiled.time(m.groups()) or normalize(stamp)

    def origin(self, event: Any) -> tuple[str, str | None, bool]:
        _, stamp, decode_error, _, _ = event._data
        return self.compiled.name, stamp, decode_error


def _present(value: str) -> bool:
    return bool(value) and value != "-"


def _int_group(groups: tuple[str, ...], index: int | None) -> int | None:
    if index is None:
        return None
    value = groups[index]
    return int(value) if _present(value) and value.isdecimal() and len(value) <= _DIGITS else None


@lru_cache(maxsize=1024)
def _flags(value: str) -> tuple[str, ...]:
    return tuple(flag_list(value))


def clean_format_string(fmt: str) -> str:
    """Accept a format as users paste it: Go/YAML escaped quotes, trailing ``\\n``."""
    fmt = fmt.strip()
    if len(fmt) >= 2 and fmt[0] == fmt[-1] and fmt[0] in "'\"" and fmt.count(fmt[0]) == 2:
        fmt = fmt[1:-1]
    fmt = fmt.replace('\\"', '"')
    if fmt.endswith("\\n"):
        fmt = fmt[:-2]
    return fmt.rstrip("\n")


def _unknown_operator(operator: str, position: int, fmt: str) -> FormatError:
    """Envoy would refuse this format (a typo, or an operator of another proxy): say so, and what exists."""
    name = operator.split("(", 1)[0].split(":", 1)[0]
    known = sorted(envoy_operators.PLAIN | envoy_operators.WITH_ARGS)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if name in envoy_operators.WITH_ARGS and "(" not in operator:
        why = f"%{name}% needs an argument, e.g. %{name}(...)%"
    elif name in envoy_operators.PLAIN and "(" in operator:
        why = f"%{name}% takes no argument"
    else:
        why = f"unknown command operator %{operator}%" + (
            f"; did you mean {', '.join(f'%{c}%' for c in close)}?" if close else ""
        )
    listing = textwrap.fill(
        ", ".join(f"{n}(…)" if n in envoy_operators.WITH_ARGS and n not in envoy_operators.PLAIN else n for n in known),
        width=100,
        initial_indent="  ",
        subsequent_indent="  ",
    )
    return FormatError(why, position, fmt, f"Envoy's command operators (1.10 to 1.39):\n{listing}")


_OPERATOR_PARTS = re.compile(r"([A-Z0-9_]+)(?:\((.*)\))?(:\d+)?", re.DOTALL)


def _time_spec(operator: str) -> tuple[str, str | None] | None:
    """``(name, format)`` of a time operator (format None: Envoy's default form); None for any other."""
    parts = _OPERATOR_PARTS.fullmatch(operator)
    if parts is None or parts.group(1) not in envoy_operators.TIME_OPERATORS or parts.group(3):
        return None
    return parts.group(1), parts.group(2) or None


def _typed_group(operator: str, stop: str | None) -> str | None:
    """The regex (no capturing group) of the values Envoy can print for a typed operator, or None.

    Typed: the numbers meshtail reads as integers (``-`` where Envoy has none) and the times (Envoy's
    default form, or what the operator's strftime format prints).  *stop* is the first character of
    the literal text that follows (None at the end of the line); a digit class leaves it out, and a
    time is matched in an atomic group of bounded quantifiers, so nothing here can backtrack more
    than a constant.
    """
    time = _time_spec(operator)
    if time is not None:
        name, spec = time
        if spec is None:
            pattern = _DEFAULT_TIME
        else:
            found = strftime_format(spec)
            if found is None:
                return None  # a specifier meshtail does not know: any text up to the literal after it
            pattern = found.pattern
        may_lack = name.startswith(("DOWNSTREAM_PEER_CERT", "UPSTREAM_PEER_CERT"))  # no certificate: "-"
        return f"(?>{pattern}{'|-' if may_lack else ''})"
    if _plan(operator)[0] == "int":
        digits = "".join(d for d in "0123456789" if d != stop)
        return f"-|[{digits}]*+"
    return None


def compile_format(fmt: str, name: str = "custom", typed: bool = False) -> CompiledFormat:
    """Compile an Envoy access-log format string into a parser.

    Each operator captures up to the first character of the literal text that follows
    it (a linear, backtracking-free match).  When a quoted value may itself contain a
    quote (attacker-chosen user agents do), a lenient variant retries the quoted
    fields with lazy matching.

    ``typed`` (the user's ``--format-string``, see :func:`meshtail.parse.detect.compile_formats`):
    a line *fits* the format only if its literal text is where the format puts it **and** every
    typed field holds what Envoy prints for it — a number meshtail reads as an integer is digits
    or ``-``; a time is in Envoy's default form (``2024-05-01T10:00:00.000Z``) or in the form its
    ``%START_TIME(<strftime>)%`` format prints.  A line that would match only with a field error
    (``status_code`` not a number) does not fit: the regex itself refuses it, so detection goes
    on with the other formats.  Untyped (Istio's and the vendors' built-in formats) a value that
    is not a number is kept and reported in ``meshtail.field_errors``.

    Time operators may carry an Envoy time format (``%START_TIME(%s.%3f)%``,
    ``%START_TIME(%d/%b/%Y:%H:%M:%S %z)%``, absl's ``%E3S`` / ``%Ez``…); where what it prints names
    an instant (a date and a clock, or ``%s``), the event's time is read from it.
    """
    fmt = clean_format_string(fmt)
    pieces: list[tuple[str, str]] = []  # (kind, text) kind in {"lit", "op"}
    pos = 0
    for match in _OPERATOR.finditer(fmt):
        operator = match.group(1)
        if not envoy_operators.is_known(operator) and operator not in KUMA_PLACEHOLDERS:
            raise _unknown_operator(operator, match.start(), fmt)
        problem = envoy_operators.argument_problem(operator)
        if problem is not None:
            raise FormatError(problem, match.start(), fmt)
        if match.start() > pos:
            pieces.append(("lit", fmt[pos : match.start()]))
        pieces.append(("op", operator))
        pos = match.end()
    if pos < len(fmt):
        pieces.append(("lit", fmt[pos:]))
    stray = [i for i, (kind, text) in enumerate(pieces) if kind == "lit" and "%" in text]
    if stray:
        offset = fmt.find("%", sum(len(t) + (2 if k == "op" else 0) for k, t in pieces[: stray[0]]))
        raise FormatError("unterminated or unknown %OPERATOR% in format string", max(offset, 0), fmt)
    operators = [text for kind, text in pieces if kind == "op"]
    if not operators:
        raise FormatError("format string has no %OPERATOR%", 0, fmt)

    strict_parts: list[str] = ["^"]
    lenient_parts: list[str] = ["^"]
    needs_lenient = False
    for index, (kind, text) in enumerate(pieces):
        if kind == "lit":
            escaped = re.escape(text)  # Envoy prints literal text exactly
            strict_parts.append(escaped)
            lenient_parts.append(escaped)
            continue
        following = pieces[index + 1] if index + 1 < len(pieces) else None
        previous = pieces[index - 1] if index > 0 else None
        if following is not None and following[0] == "op":
            # Two operators with nothing between them cannot be told apart: the value goes to
            # the last one.  (Lazy ``\S*?`` groups here backtracked polynomially — seconds for
            # a 50-character line that does not match; found by scripts/fuzz.py.)
            strict_parts.append("()")
            lenient_parts.append("()")
            continue
        group = _typed_group(text, following[1][0] if following is not None else None) if typed else None
        if group is not None:
            strict_parts.append(f"({group})")
            lenient_parts.append(f"({group})")
        elif following is None:
            strict_parts.append("(.*)")
            lenient_parts.append("(.*)")
        else:
            stop = following[1][0]
            # possessive, and no "\\n" in the class (lines are split already): the class stops at the
            # delimiter, so backtracking could never help — and this is twice as fast (1.1 vs 3.2 µs a line)
            strict_parts.append(f"([^{re.escape(stop)}]*+)")
            quoted = stop == '"' and previous is not None and previous[0] == "lit" and previous[1].endswith('"')
            if quoted:
                needs_lenient = True
                lenient_parts.append("(.*?)")
            else:
                lenient_parts.append(f"([^{re.escape(stop)}]*+)")
    strict_parts.append("$")
    lenient_parts.append("$")
    first = pieces[0][1][0] if pieces[0][0] == "lit" else ""
    accessors, simple = _accessors(operators)
    deciders = _deciders(operators)
    time = _time_spec(operators[deciders.start]) if deciders.start is not None else None
    return CompiledFormat(
        name=name,
        format_string=fmt,
        strict=re.compile("".join(strict_parts)),
        lenient=re.compile("".join(lenient_parts)) if needs_lenient else None,
        builder=_builder(operators),
        first_char=first,
        max_quotes=fmt.count('"') + CompiledFormat.STRAY_QUOTES,
        deciders=deciders,
        accessors=accessors,
        simple_groups=simple,
        possible=_possible(operators),
        read_time=strftime_reader(time[1]) if time is not None and time[1] is not None else normalize,
    )


# what is added after the groups are turned into attributes
_ADDED_LATER = (
    "envoy.log_format",
    "envoy.start_time",
    "envoy.response_flags_explained",
    "envoy.response_code_details_explained",
    "istio.policy",
    "jwt.failure_reason",
    "meshtail.inferred",
    "meshtail.field_errors",
    "k8s.log.timestamp",
    "meshtail.decode_error",
    "meshtail.repack_mismatch",
    "meshtail.long_line",
)


def _possible(operators: list[str]) -> frozenset[str]:
    names: set[str] = set(_ADDED_LATER)
    for operator in operators:
        kind, how = _plan(operator)
        if kind == "path":
            names.update(("url.path", "url.query"))
        elif kind == "call":
            names.update(_SETTER_NAMES[how])  # type: ignore[index]
        else:
            names.add(how)  # type: ignore[arg-type]
    return frozenset(names)


_DECIDING = {
    "RESPONSE_CODE": "status",
    "RESPONSE_FLAGS": "flags",
    "RESPONSE_CODE_DETAILS": "details",
    "UPSTREAM_HOST": "upstream_host",
    "UPSTREAM_TRANSPORT_FAILURE_REASON": "tls_reason",
    "REQ(:METHOD)": "method",
    "CONNECTION_TERMINATION_DETAILS": "termination",
    "DYNAMIC_METADATA(istio.mixer:status)": "mixer",
}


def _deciders(operators: list[str]) -> Deciders:
    """Which group holds each deciding field (the last one wins, as in the attribute builder)."""
    found = Deciders()
    for index, operator in enumerate(operators):
        op = re.sub(r":\d+$", "", operator)
        if op.startswith("START_TIME"):
            found.start = index
        elif op in _DECIDING:
            setattr(found, _DECIDING[op], index)
    return found


# attributes whose value the builder takes from one group as it is (or as a number), and that no
# later step changes: a filter on them reads the group instead of building the event
_FIXED = frozenset(
    {
        "envoy.duration_ms",
        "envoy.bytes_received",
        "envoy.bytes_sent",
        "envoy.request_duration_ms",
        "envoy.response_duration_ms",
        "envoy.upstream_service_time_ms",
        "envoy.response_code_details",
        "envoy.connection_termination_details",
        "envoy.upstream_host",
        "envoy.route_name",
        "envoy.upstream_transport_failure_reason",
        "user_agent.original",
        "tls.client.server_name",
    }
)


def _text(m: re.Match[str], n: int) -> str | None:
    value = m.group(n)
    return value if value and value != "-" else None


def _number(m: re.Match[str], n: int) -> int | None:
    value = m.group(n)
    return int(value) if value and value != "-" and value.isdecimal() and len(value) <= _DIGITS else None


def _accessors(operators: list[str]) -> tuple[dict[str, Accessor], dict[str, tuple[str, int]]]:
    """One-attribute readers over a match, for the attributes that come straight from one group;
    and, of those, the ones that are one group as text or as a number (filters compile tests on them).

    Each mirrors the generated builder for its attribute; the differential tests compare
    them with a full parse on every corpus line.  (Group numbers count from 1.)
    """
    out: dict[str, Accessor] = {}
    simple: dict[str, tuple[str, int]] = {}
    counts: dict[str, int] = {}
    for operator in operators:  # an attribute several operators set is left to the full build
        kind, how = _plan(operator)
        name = "url.path" if kind == "path" else how if isinstance(how, str) else ""
        counts[name] = counts.get(name, 0) + 1
    for index, operator in enumerate(operators):
        kind, how = _plan(operator)
        n = index + 1
        if isinstance(how, str) and counts.get(how) == 1 and kind in ("int", "str"):
            simple[how] = ("number" if kind == "int" else "text", n)
        if kind == "path" and counts["url.path"] == 1:
            out["url.path"] = lambda m, n=n: v.partition("?")[0] if (v := _text(m, n)) is not None else None
            out["url.query"] = lambda m, n=n: (
                v.partition("?")[2] if (v := _text(m, n)) is not None and "?" in v else None
            )
        elif (
            isinstance(how, str) and counts.get(how) == 1 and (how in _FIXED or how.startswith("http.request.header."))
        ):
            if kind == "int":
                out[how] = lambda m, n=n: _number(m, n)
            elif how != "http.request.header.host":  # the authority also sets server.* (a setter)
                out[how] = lambda m, n=n: _text(m, n)
        elif operator == "REQ(:METHOD)" and counts.get("http.request.method") == 1:
            out["http.request.method"] = lambda m, n=n: _text(m, n)
    deciders = _deciders(operators)
    if deciders.status is not None and counts.get("http.response.status_code") == 1:
        method = deciders.method

        def status(m: re.Match[str], n: int = deciders.status + 1) -> int | None:
            value = _number(m, n)
            if value == 0 and (method is None or _text(m, method + 1) is None):
                return None  # TCP: removed by attributes_from
            return value

        out["http.response.status_code"] = status
    if deciders.flags is not None and sum(op == "RESPONSE_FLAGS" for op in operators) == 1:
        out["envoy.response_flags"] = lambda m, n=deciders.flags + 1: (
            list(_flags(v)) if (v := _text(m, n)) is not None else None
        )
    clusters = [i for i, op in enumerate(operators) if op == "UPSTREAM_CLUSTER"]
    if len(clusters) == 1:
        out["envoy.upstream_cluster"] = lambda m, n=clusters[0] + 1: _text(m, n)
    return out, {name: spec for name, spec in simple.items() if name in out}


def attributes_from(compiled: CompiledFormat, values: tuple[str, ...]) -> dict[str, Any]:
    attrs = compiled.builder(values)
    if attrs.get("http.request.method") is None:
        # TCP lines print "- - -" for the request line; their response code 0 means nothing.
        if attrs.get("http.response.status_code") == 0:
            del attrs["http.response.status_code"]
        attrs.pop("network.protocol.name", None)
    return attrs


def build(attrs: dict[str, Any], source: Source | None) -> Parsed:
    """Classify access-log attributes into a ``Parsed`` (the JSON encoding, whose values are decoded)."""
    start = attrs.pop("envoy.start_time", None)
    time = normalize(start) if isinstance(start, str) else None
    if start is not None and time is None:
        attrs["envoy.start_time"] = start
    decision, summary = classify_access(attrs, source)
    return Parsed(time, *decision, summary, attrs)


class AccessLogParser:
    """Matches lines against a list of compiled formats (Istio's variants, or the user's)."""

    def __init__(self, formats: list[CompiledFormat]) -> None:
        self.formats = formats
        self.last = formats[0]

    def __call__(self, line: str) -> tuple[CompiledFormat, re.Match[str]] | None:
        compiled = self.last
        m = compiled.match(line)
        if m is None:
            for candidate in self.formats:
                if candidate is compiled or (candidate.first_char and not line.startswith(candidate.first_char)):
                    continue
                m = candidate.match(line)
                if m is not None:
                    self.last = compiled = candidate
                    break
            else:
                return None
        return compiled, m


@lru_cache(maxsize=1)
def _istio_formats() -> tuple[CompiledFormat, ...]:
    compiled = tuple(compile_format(fmt, name) for name, fmt in (*ISTIO_FORMATS.items(), *VENDOR_FORMATS.items()))
    for one in compiled:
        if one.name == "istio-1.0-tcp":
            # no quoted request line to anchor it: its time, flags and numbers must be what Envoy prints, or any
            # "[ERROR] kubelet: a b c "d" e f g h" line is a TCP connection (the same ten groups, typed)
            one.strict, one.lenient = _TCP_10_STRICT, None
    return compiled


_TCP_10_STRICT = re.compile(
    r"^\[(\d{4}-\d{2}-\d{2}T[^\]]*+)\] ([A-Z,-]*+) (\d++|-) (\d++|-) (\d++|-) "  # time, flags, bytes, duration
    r'"([^"]*+)" ([^ ]*+) ([^ ]*+) ([^ ]*+) (.*)$'  # upstream host, cluster, the three addresses
)


def istio_text_parser() -> AccessLogParser:
    """A parser of Istio's own formats; the compiled formats are shared (compiled once per process)."""
    return AccessLogParser(list(_istio_formats()))
