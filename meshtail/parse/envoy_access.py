"""Envoy access logs in text form: a compiler from Envoy format strings to parsers.

Istio's default TEXT formats (every field-count variant it has shipped) are compiled
from their own format strings, so a user's ``meshConfig.accessLogFormat`` or Telemetry
API format goes through exactly the same code.  Sources for each variant are in
../shared/reference/log-formats.md §1 and tests/data/envoy-text/SOURCES.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..events import Source
from .addresses import set_hostport
from .classify import classify_access
from .flags import flag_list
from .result import Parsed
from .timestamps import normalize

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
    if port.isdigit():
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


def _int_setter(name: str) -> Setter:
    def setter(attrs: dict[str, Any], value: str) -> None:
        if value.isdigit():
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
    lines = ["def build(groups):", "    a = {}"]
    scope: dict[str, Any] = {"_field_error": _field_error}
    for index, operator in enumerate(operators):
        kind, how = _plan(operator)
        lines.append(f"    v = groups[{index}]")
        lines.append('    if v and v != "-":')
        if kind == "str":
            lines.append(f"        a[{how!r}] = v")
        elif kind == "int":
            lines.append(f"        if v.isdigit(): a[{how!r}] = int(v)")
            lines.append(f"        else: _field_error(a, {how!r}, v)")
        elif kind == "path":
            lines.append('        if "?" in v:')
            lines.append('            a["url.path"], _, a["url.query"] = v.partition("?")')
            lines.append("        else:")
            lines.append('            a["url.path"] = v')
        else:
            scope[f"_set{index}"] = how
            lines.append(f"        _set{index}(a, v)")
    lines.append("    return a")
    exec(compile("\n".join(lines), f"<envoy access format {len(operators)} fields>", "exec"), scope)
    return scope["build"]


# ---------------------------------------------------------------- the compiler
_OPERATOR = re.compile(r"%([A-Z][A-Z0-9_]*(?:\([^%]*?\))?(?::\d+)?)%")


class FormatError(ValueError):
    """A format string meshtail cannot turn into a parser; ``position`` points into it."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.position = position


@dataclass(slots=True)
class CompiledFormat:
    """An Envoy format string compiled to a strict and a lenient regex."""

    name: str
    format_string: str
    strict: re.Pattern[str]
    lenient: re.Pattern[str] | None
    builder: AttrsBuilder
    first_char: str
    max_quotes: int = 0

    # The lenient regex's lazy quoted fields try every split at a stray quote: with q stray
    # quotes and k quoted fields that is up to C(q, k) attempts, so it runs only while the
    # line has few quotes beyond the format's own (a line full of quotes stays unparsed —
    # kept and marked — rather than stalling the stream).
    STRAY_QUOTES = 8

    def match(self, line: str) -> tuple[str, ...] | None:
        m = self.strict.match(line)
        if m is None and self.lenient is not None and line.count('"') <= self.max_quotes:
            m = self.lenient.match(line)
        return None if m is None else m.groups()


def clean_format_string(fmt: str) -> str:
    """Accept a format as users paste it: Go/YAML escaped quotes, trailing ``\\n``."""
    fmt = fmt.strip()
    if len(fmt) >= 2 and fmt[0] == fmt[-1] and fmt[0] in "'\"" and fmt.count(fmt[0]) == 2:
        fmt = fmt[1:-1]
    fmt = fmt.replace('\\"', '"')
    if fmt.endswith("\\n"):
        fmt = fmt[:-2]
    return fmt.rstrip("\n")


def compile_format(fmt: str, name: str = "custom") -> CompiledFormat:
    """Compile an Envoy access-log format string into a parser.

    Each operator captures up to the first character of the literal text that follows
    it (a linear, backtracking-free match).  When a quoted value may itself contain a
    quote (attacker-chosen user agents do), a lenient variant retries the quoted
    fields with lazy matching.
    """
    fmt = clean_format_string(fmt)
    pieces: list[tuple[str, str]] = []  # (kind, text) kind in {"lit", "op"}
    pos = 0
    for match in _OPERATOR.finditer(fmt):
        if match.start() > pos:
            pieces.append(("lit", fmt[pos : match.start()]))
        pieces.append(("op", match.group(1)))
        pos = match.end()
    if pos < len(fmt):
        pieces.append(("lit", fmt[pos:]))
    stray = [i for i, (kind, text) in enumerate(pieces) if kind == "lit" and "%" in text]
    if stray:
        offset = fmt.find("%", sum(len(t) + (2 if k == "op" else 0) for k, t in pieces[: stray[0]]))
        raise FormatError("unterminated or unknown %OPERATOR% in format string", max(offset, 0))
    operators = [text for kind, text in pieces if kind == "op"]
    if not operators:
        raise FormatError("format string has no %OPERATOR%", 0)

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
        if following is None:
            strict_parts.append("(.*)")
            lenient_parts.append("(.*)")
        elif following[0] == "op":
            # Two operators with nothing between them cannot be told apart: the value goes to
            # the last one.  (Lazy ``\S*?`` groups here backtracked polynomially — seconds for
            # a 50-character line that does not match; found by scripts/fuzz.py.)
            strict_parts.append("()")
            lenient_parts.append("()")
        else:
            stop = following[1][0]
            strict_parts.append(f"([^{re.escape(stop)}\\n]*)")
            quoted = stop == '"' and previous is not None and previous[0] == "lit" and previous[1].endswith('"')
            if quoted:
                needs_lenient = True
                lenient_parts.append("(.*?)")
            else:
                lenient_parts.append(f"([^{re.escape(stop)}\\n]*)")
    strict_parts.append("$")
    lenient_parts.append("$")
    first = pieces[0][1][0] if pieces[0][0] == "lit" else ""
    return CompiledFormat(
        name=name,
        format_string=fmt,
        strict=re.compile("".join(strict_parts)),
        lenient=re.compile("".join(lenient_parts)) if needs_lenient else None,
        builder=_builder(operators),
        first_char=first,
        max_quotes=fmt.count('"') + CompiledFormat.STRAY_QUOTES,
    )


def attributes_from(compiled: CompiledFormat, values: tuple[str, ...]) -> dict[str, Any]:
    attrs = compiled.builder(values)
    if attrs.get("http.request.method") is None:
        # TCP lines print "- - -" for the request line; their response code 0 means nothing.
        if attrs.get("http.response.status_code") == 0:
            del attrs["http.response.status_code"]
        attrs.pop("network.protocol.name", None)
    return attrs


def build(attrs: dict[str, Any], source: Source | None) -> Parsed:
    """Classify access-log attributes into a ``Parsed`` (shared with the JSON encoding)."""
    start = attrs.pop("envoy.start_time", None)
    time = normalize(start) if isinstance(start, str) else None
    if start is not None and time is None:
        attrs["envoy.start_time"] = start
    category, outcome, violation, severity, action, summary = classify_access(attrs, source)
    return Parsed(time, category, outcome, violation, severity, action, summary, attrs)


class AccessLogParser:
    """Parses lines in any of a list of compiled formats (Istio's variants, or the user's)."""

    def __init__(self, formats: list[CompiledFormat]) -> None:
        self.formats = formats
        self.last = formats[0]

    def __call__(self, line: str, source: Source | None = None) -> Parsed | None:
        compiled = self.last
        values = compiled.match(line)
        if values is None:
            for candidate in self.formats:
                if candidate is compiled or (candidate.first_char and not line.startswith(candidate.first_char)):
                    continue
                values = candidate.match(line)
                if values is not None:
                    self.last = compiled = candidate
                    break
            else:
                return None
        attrs = attributes_from(compiled, values)
        attrs["envoy.log_format"] = compiled.name
        return build(attrs, source)


def istio_text_parser() -> AccessLogParser:
    return AccessLogParser([compile_format(fmt, name) for name, fmt in ISTIO_FORMATS.items()])
