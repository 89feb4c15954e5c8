"""Access-log lines no known format reads whole: fragments, odd variants, lines inside other text.

Operators paste access lines cut at either end (``"GET /x HTTP/1.1" 503 UC …`` without its
``[START_TIME]``, a bracket lost, the tail cut by a terminal), lines from Istio and Envoy
versions or vendor builds whose fields differ from every format meshtail compiles, and lines
inside other text (a shell command, an unknown collector's prefix).  The part that decides —
``"METHOD PATH PROTOCOL" STATUS FLAGS`` and the response-code details after it — has kept
the same shape in every version since Envoy 1.0, so it is found anywhere in the line and
the fields after it are read by their shapes: bare words before the byte counts are details,
the quoted ones are the transport-failure reason, and so on.

Such events say how they were read: ``envoy.log_format`` is ``loose``, and
``meshtail.partial`` is set when the start of the line (its time) or its end is missing.
The decision is the same function the exact formats use, on the same facts.
A ``key=value`` access line (a custom format with key names) is read here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from itertools import takewhile
from typing import Any

from ..events import Source
from ..text import clip
from .classify import AccessFacts, access_decision, access_summary, deciding_details, tls_failure
from .envoy_access import build, setter_for
from .envoy_json import (
    ACCESS_ONLY,
    APP_LOG_KEYS,
    access_attributes,
    canonical_key,
    looks_like,
    looks_like_keys,
    parse_object,
    recognise_fragment,
)
from .flags import LONG_FLAGS, RESPONSE_FLAGS, decode_details, explain_flags
from .result import Action, Parsed
from .timestamps import normalize

# the access-log actions (classify.ACCESS_ACTIONS) are listed once; this is a line too cut to decide
ACTIONS: tuple[Action, ...] = (
    Action(
        "access.field",
        "other",
        "unknown",
        False,
        'one line of a pretty-printed JSON access record (``  "upstream_host": "10.0.0.7:80",``) with no field '
        "that decides: an access log's, its outcome on another line",
    ),
    Action(
        "access.fragment",
        "other",
        "unknown",
        False,
        'the tail of an access line pasted without its request and status (``- "-" 0 19 0 - "-" "curl/…"``, '
        '``"reviews:9080" "10.0.0.7:9080" outbound|9080||reviews… 10.0.0.5:4 …``): an access log whose outcome is '
        "not shown -- like a lone field of a JSON record (``access.field``), not counted as routing "
        "(a refusal or failure in its flags or details is still read as one)",
    ),
)

# a response flag: Envoy's short ones (and any it may add), or the long names of newer formats -- not a reason phrase's
# word a web server prints after the status ('"GET /health HTTP/1.1" 200 OK', uvicorn, blind set holdout160; Werkzeug's
# "404 NOT FOUND", "302 FOUND", "400 BAD REQUEST": found in review)
_FLAG = r"(?:(?!(?:OK|FOUND|NOT|BAD|NO|GONE)(?![A-Z]))[A-Z]{2,5}|[A-Z][a-z]+(?:[A-Z][a-z]*)+)"
_REQUEST = re.compile(
    r'(?P<open>"?)(?P<method>[A-Z][A-Z_]{2,15}|-) (?P<path>[^\s"]*?)(?: ?(?P<proto>HTTP/[0-9.]{1,3}|-))?"'
    rf"\s+(?P<status>\d{{1,3}})(?:\s+(?P<flags>-|{_FLAG}(?:,{_FLAG})*)(?=\s|$)(?!\s+[A-Z]{{2,}}\b)|(?:\s*+(?P<elided>…|\.{{3}}))?\s*+$"
    r"|\s++(?P<odd>[^\s\"\d][^\s\"]{0,60}+)(?=\s))"
)  # the flags may be cut off with the rest: '"POST /x HTTP/2" 200 ' (or an author's '200 …') ends a pasted line;
# or a custom format has its own field after the status (``200 -/0 -``: gRPC status header/trailer), read only
# behind Envoy's bracketed start time (a web server's line has its byte count there)
# (possessive blanks: a long run of them before the line's end must not be tried split two ways)
# a fragment that starts at the status: "503 UF,URX "-" "TLS error: …"" — only with real flags,
# or with a details word, so a number and a word in any other line do not read as one
# (or, in the format before Istio 1.9, without details: "200 - 0 86 2 2 "-" "curl/7.54.0" …", the status then the
# byte counts, duration and upstream time before the quoted x-forwarded-for)
_FRAGMENT = re.compile(
    rf"\s*(?P<status>[1-5]\d\d)\s+(?P<flags>{_FLAG}(?:,{_FLAG})*|-)\s+"
    r'(?=[a-z][a-z0-9]*_[a-z0-9_.]+[{\[\s]|"|\d{1,15}\s+\d{1,15}\s+\d{1,12}\s+(?:\d{1,12}|-)\s+")'
)
# a request line cut inside: ``HTTP/1.1" 403 - rbac_access_denied…`` or ``/path HTTP/1.1" 503 UF …``
_CUT_REQUEST = re.compile(
    rf'(?:[^\s"]{{0,400}}\s)?HTTP/[0-9.]{{1,3}}"\s+(?P<status>\d{{1,3}})\s+(?P<flags>-|{_FLAG}(?:,{_FLAG})*)(?=\s|$)'
)
# how Envoy's %PROTOCOL% spells HTTP/2 and HTTP/3 (web servers print "HTTP/2.0"): a request line with it is Envoy's
_ENVOY_PROTOCOLS = frozenset(("HTTP/2", "HTTP/3"))
# the tail after the flags: details (maybe cut), termination details, "transport failure reason", bytes received,
# bytes sent, duration, upstream service time, then the quoted x-forwarded-for: Istio's default format (1.9+)
_TAIL = re.compile(
    # the status, when the cut fell just after the request ("0 UH - - \"-\" 0 0 0 - …")
    rf"(?:(?P<status>0|[1-5]\d\d)\s+(?=(?:-|{_FLAG}(?:,{_FLAG})*)\s))?"
    # the flags, when the cut fell before them (the details after them a word, or "-" when not logged)
    rf"(?:(?P<flags>-|{_FLAG}(?:,{_FLAG})*)\s+(?=(?:[a-z_]{{3,}}[^\s\"]*|-)\s+[^\s\"]+\s+\"))?"
    r'(?P<details>[^\s"]{1,300})?\s*(?P<termination>[^\s"]{1,300}\s+)?"[^"]{0,500}"\s+\d{1,15}\s+\d{1,15}\s+\d{1,12}'
    r'\s+(?P<service>\d{1,12}|-)\s+"[^"]{0,500}"\s+"'
)
# The end of Istio's default format pasted without its start: ``… "AUTHORITY" "UPSTREAM_HOST" UPSTREAM_CLUSTER
# UPSTREAM_LOCAL_ADDRESS DOWNSTREAM_LOCAL_ADDRESS DOWNSTREAM_REMOTE_ADDRESS SNI ROUTE`` -- found by an upstream
# cluster only Istio names so (``inbound|9080||``, ``outbound|80||reviews.default.svc.cluster.local``,
# ``PassthroughCluster``, …) followed by the three addresses (the first may be ``-``; internal listeners write
# ``envoy://…``; authors mask them as ``x.x.x.x``); or, cut elsewhere, by the quoted request id (a UUID, as Envoy
# makes them) between the user agent and the authority, the upstream host after it
_ADDR = r"(?:\[[0-9a-fA-F:.]{2,45}\]|\d{1,3}(?:\.\d{1,3}){3}|[xX*]{1,3}(?:\.[xX*]{1,3}){3}|<IP>):\d{1,5}"
_ISTIO_CLUSTER = (
    r"(?:(?:inbound|outbound)(?:-vip)?\|\d{1,5}\|[^\s|\"]{0,100}\|[^\s|\"]{0,253}|PassthroughCluster"
    r"|BlackHoleCluster|InboundPassthroughCluster(?:IpV4|IpV6)?|outbound_pod_local_tunnel_clus_[^\s\"]{1,300})"
)
_SOCKET = rf"(?:{_ADDR}|envoy://[^\s\"]{{1,300}})"
_ISTIO_CLUSTER_AT = re.compile(rf'(?:^|[\s"])(?P<cluster>{_ISTIO_CLUSTER})(?=[\s"\'`…)]|\.\.\.|$)')
_ELISIONS = frozenset(("...", "…", "[...]", "[…]", "....", "…."))  # an author's cut inside a line
_CLUSTER_TAIL = re.compile(
    rf'(?:^|[\s"])(?P<cluster>{_ISTIO_CLUSTER})\s+(?P<upstream_local>{_SOCKET}|-)\s+(?P<downstream_local>{_SOCKET})'
    rf"\s+(?P<downstream_remote>{_SOCKET})(?:\s+(?P<sni>[^\s\"]{{1,300}})(?:\s+(?P<route>[^\s\"]{{1,300}}))?)?(?=\s|$|['`…])"
)
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ID_RUN = re.compile(
    rf'(?:^|\s)"(?P<agent>[^"]{{1,500}})"\s+"(?P<id>{_UUID})"\s+"(?P<authority>[^"\s]{{1,300}})"'
    rf'\s+"(?P<upstream>{_ADDR}|-)"'
)
# Envoy's START_TIME as ISO 8601 writes it, a "T" and a zone (its default "2023-01-18T17:42:24.575Z", a custom
# format's microseconds or offset): not a web framework's "2023-01-18 17:42:24"
_START_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)")
_STAMP = re.compile(
    r"(?P<open>\[?)(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)"
    r"(?P<close>\]?)\s*$"
)
# a web server's common/combined log ("host - user [10/Oct/2000:13:55:36 -0700] "GET …" 200 2326"):
# the same request line, another program
_CLF_STAMP = re.compile(r"\[\d{1,2}/[A-Z][a-z]{2}/\d{4}[: ]\d{2}:\d{2}")
_DETAILS_WORD = re.compile(r"[a-z0-9]+(?:[_.][a-z0-9]+)+(?:[{\[].*)?$")
_DOUBLED = re.compile(r'[^\s"]""|""[^\s"]')
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
_ADDRESS = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9.-]+):\d{1,5}$")
_ROUTE_WORDS = ("default", "allow_any", "block_all", "InboundPassthrough")  # Istio's own route names
_KV = re.compile(r'(?:^|\s)([A-Za-z_][A-Za-z0-9_.:-]{0,40})=("(?:[^"\\]|\\.)*"|\S*)')

_QUOTED_AFTER = (
    "REQ(X-FORWARDED-FOR)",
    "REQ(USER-AGENT)",
    "REQ(X-REQUEST-ID)",
    "REQ(:AUTHORITY)",
    "UPSTREAM_HOST",
)
_ADDRESSES = ("UPSTREAM_LOCAL_ADDRESS", "DOWNSTREAM_LOCAL_ADDRESS", "DOWNSTREAM_REMOTE_ADDRESS")


# Envoy's bracketed start time, then each field of a custom format in its own quotes (kgateway's docs: '[…Z] "GET
# /headers" "HTTP/1.1" "200" "-"')
_QUOTED_FIELDS = re.compile(
    r'(\[\d{4}-\d\d-\d\dT[\d:.]{5,20}Z\] )"([A-Z]{3,10} [^\s"]{1,2000})" "(HTTP/[0-9.]{1,3})" "(\d{3})"(?=\s|$)'
)


_QUOTED_WORD = re.compile(r'"([^"\s]{1,300})"')


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """An access line in no exact format, or a ``key=value`` access line; None if neither."""
    if body.lstrip(" \t>")[:1] == '"' and '":' in body[:200]:
        found = _pretty_field(body, source)
        if found is not None:
            return found
    elif '":' in body:
        labelled = _LABELLED_PAIRS.match(body)
        if labelled is not None:
            found = _pretty_field(labelled.group("pairs"), source)
            if found is not None:
                return found
    if '"' in body:
        if '""' in body and _DOUBLED.search(body):
            body = body.replace('""', '"')  # a CSV cell's doubled quotes (the paste peeler needs a whole cell)
        quoted = _QUOTED_FIELDS.match(body) if body[:1] == "[" else None
        if quoted is not None:
            # a custom format that quotes every field: the request, protocol and status as the default format has them
            start, request, protocol, status = quoted.groups()
            # (the fields after it unquoted when one word each: the flags and details a custom format quotes too)
            rest = _QUOTED_WORD.sub(r"\1", body[quoted.end() :])
            found = recognise(f'{start}"{request} {protocol}" {status}{rest}', source)
            if found is not None:
                found[1].attributes["meshtail.partial"] = True
                return found
        m = _REQUEST.search(body)
        if m is not None and not _CLF_STAMP.search(body, 0, m.start()):
            found = _read(body, m, source)
            if found is not None or m.group("odd") is None:
                return found
        m = _FRAGMENT.match(body)
        if m is not None and _TOKEN.search(body, m.end()) is not None:
            return _read(body, m, source)
        m = _CUT_REQUEST.match(body)
        if m is not None and (_TOKEN.search(body, m.end()) is not None or _envoys_flags(m.group("flags"))):
            # (cut at both ends, its flags its last field: 'HTTP/2" 503 LR,URX', blind set holdout161)
            return _read(body, m, source)
        m = _TAIL.match(body)
        if m is not None:
            return _tail(body, m, source)
    if "|" in body or "Cluster" in body or "_clus_" in body:
        m = _CLUSTER_TAIL.search(body)
        if m is not None:
            return _cluster_tail(body, m, source)
    if '"' in body:
        m = _ID_RUN.search(body)
        if m is not None:
            return _id_run(body, m, source)
    at = body.find('{"')
    if at > 0:
        found = _embedded_json(body, at, source)
        if found is not None:
            return found
    at = body.find(',"')
    if 0 < at <= 200 and '{"' not in body[:at] and _PAIR_LINE.match(body, at + 1):
        # a piece of a JSON record a page or an editor broke mid-word (``ull,"response_code":404,"downstream_…``):
        # its complete pairs from the first whole one, read as a record cut at both ends is
        found = recognise_fragment("{" + body[at + 1 :], source)
        if found is not None:
            return found
    at = body.find("{'")
    if at >= 0 and '"' not in body[at:]:
        # a record printed as a map in single quotes (ClickHouse's Map column, a Python dict's repr):
        # ``LogAttributes: {'authority':'tbk.test.net',…,'response_code':'200',…}``
        found = _embedded_json(body[:at] + body[at:].replace("'", '"'), at, source)
        if found is not None:
            return found
    if "=" in body:
        return _key_values(body, source)
    if len(body) <= _TOKENS_LIMIT:
        return _tokens(body, source) or _bare_field(body, source) or _quoted_triple(body, source)
    return None


# ---------------------------------------------------------------- an access line's deciding words, quoted alone
_TOKENS_LIMIT = 240
_DETAILS_TOKEN = (
    r"[a-z][a-z0-9]*(?:[_.][a-z0-9]+)+"  # the details word, then its reason in braces or its policy in brackets
    r"(?:\{[^{}\s]{0,200}\}|\[[^\[\]\s]{0,200}(?:\[[^\[\]\s]{0,80}\][^\[\]\s]{0,80})*\])?"
)
_FLAGS_TOKEN = rf"{_FLAG}(?:,{_FLAG})*"
# "NR filter_chain_not_found", "0 NR filter_chain_not_found", "403 - rbac_access_denied_matched_policy[none]",
# "UAEX", "rbac_access_denied_matched_policy[none]": an author quoting what an access line said (a table's other
# cells may follow after " | ")
_TOKENS = re.compile(
    rf"(?:(?P<status>[1-5]\d\d|0)\s+)?(?:(?P<flags>{_FLAGS_TOKEN}|-)(?:\s+(?P<details>{_DETAILS_TOKEN}))?"
    rf"|(?P<alone>{_DETAILS_TOKEN}))\s*(?:\|.*)?"
)
# details Envoy writes (envoy/stream_info/stream_info.h ResponseCodeDetailValues, and the filters' own): a word of
# them alone is the access log's
_DETAILS_STARTS = (
    "rbac_access_denied",
    "jwt_authn_access_denied",
    "ext_authz_",
    "filter_chain_not_found",
    "upstream_reset_",
    "no_healthy_upstream",
    "route_not_found",
    "cluster_not_found",
    "via_upstream",
    "downstream_remote_disconnect",
    "request_overall_timeout",
    "response_timeout",
    "upstream_per_try_timeout",
    "upstream_response_timeout",
    "local_rate_limited",
    "request_rate_limited",
    "direct_response",
    "http1.",
    "http2.",
    "codec_error",
    "stream_idle_timeout",
    "duration_timeout",
    "maintenance_mode",
    "admin_filter_response",
)


# the status, flags and details of Istio's default format in that order, inside an author's sentence ("503 UF, URX
# upstream_reset_before_response_started{connection_timeout} is the error in ingress gateway logs"): all three
# must be there, the flags Envoy's and the details a word of Envoy's, for the sentence to be read by them
_TRIPLE = re.compile(
    rf"(?<![\w.:/-])(?P<status>[1-5]\d\d|0) (?P<flags>-|{_FLAG}(?:, ?{_FLAG})*) "
    rf"(?P<details>{_DETAILS_TOKEN})(?![\w{{\[])"
)


def _quoted_triple(body: str, source: Source | None) -> tuple[str, Parsed] | None:
    m = _TRIPLE.search(body)
    if m is None or not m.group("details").startswith(_DETAILS_STARTS):
        return None
    quoted = f"{m.group('status')} {m.group('flags').replace(' ', '')} {m.group('details')}"
    return _tokens(quoted, source)


def _tokens(body: str, source: Source | None) -> tuple[str, Parsed] | None:
    """The response flags and/or details of an access line, quoted on their own: read with the same decision.

    A flag alone must be one of Envoy's longer ones (``UAEX``, ``URX``): two capitals alone say too little.
    """
    m = _TOKENS.fullmatch(body.strip())
    if m is None:
        return None
    flags, details, alone, status = m.group("flags"), m.group("details"), m.group("alone"), m.group("status")
    details = details or alone
    if details is not None and not details.startswith(_DETAILS_STARTS):
        return None
    codes = [] if flags in (None, "-") else flags.split(",")
    if any(code not in RESPONSE_FLAGS and code not in LONG_FLAGS for code in codes):
        return None
    if details is None and (not codes or (len(codes) == 1 and len(codes[0]) < 3 and status is None)):
        return None
    attrs: dict[str, Any] = {}
    if codes:
        attrs["envoy.response_flags"] = [LONG_FLAGS.get(code, code) for code in codes]
    if details is not None:
        attrs["envoy.response_code_details"] = details
    if status is not None:
        attrs["http.response.status_code"] = int(status)
    parsed = _parsed(attrs, None, source, True)
    if parsed.action == "tcp.connection" and parsed.outcome == "success":
        return None  # nothing that decides ("- via_upstream" alone)
    # (no request or connection is known: say what the quoted fields say, not "TCP ? -> ?")
    said = [*explain_flags([LONG_FLAGS.get(code, code) for code in codes])]
    if details is not None:
        said.append(decode_details(details).get("explanation") or details)
    parsed.summary = clip(f"access-log fields quoted alone ({body.strip()[:80]}): " + "; ".join(said), 240)
    return "envoy-text", parsed


# ``response_flags | UH``, ``response_code_details: filter_chain_not_found``: a field of a JSON access record as a
# table row, a YAML-ish dump or a log UI's field list shows it
_BARE_FIELD = re.compile(
    r"[\s|*>-]{0,6}(?P<key>response_flags|response_code_details|upstream_transport_failure_reason|response_code"
    r"|connection_termination_details)\s*(?::|\||=)\s*\"?(?P<value>[^\s\"|]{1,300})\"?\s*\|?\s*"
)


def _bare_field(body: str, source: Source | None) -> tuple[str, Parsed] | None:
    m = _BARE_FIELD.fullmatch(body)
    if m is None:
        return None
    line = f'"{m.group("key")}": {json.dumps(m.group("value"))}'
    if m.group("key") == "response_code" and m.group("value").isdigit():
        line = f'"response_code": {m.group("value")}'
    return _pretty_field(line, source)


# a record's fields an author quotes after a label or in a sentence: ``Routing-404 :  "response_code_details":"…"``,
# ``… the access log says: `"response_flags": "DC"`, …`` (the pairs up to a closing backtick, read as a line of a
# pretty-printed record is)
_LABELLED_PAIRS = re.compile(r'[^"`{}\[\]]{1,160}?(?::\s*+`?|`)\s*+(?P<pairs>"[^"\\]{1,80}"\s*+:[^`]*+)(?:`.*)?')

# one line of a pretty-printed JSON object: only "key": value pairs, commas, braces and a trailing comment
_PRETTY_REST = re.compile(r"[\s,{}>]*(?:#.*)?")

# Fields of Envoy's gRPC access-log entry (envoy/data/accesslog/v3/accesslog.proto: AccessLogCommon, TLSProperties,
# HTTPRequestProperties, HTTPResponseProperties) that no other log has, as a pretty print of one shows them
# (``"tlsSniHostname": "outbound_.9080_._.reviews…",``): a record's line still, though no access attribute is set
_ENTRY_ONLY = frozenset(
    "tls_sni_hostname tls_properties peer_certificate_properties local_certificate_properties common_properties "
    "downstream_direct_remote_address time_to_last_rx_byte time_to_first_upstream_tx_byte "
    "time_to_last_upstream_tx_byte time_to_first_upstream_rx_byte time_to_last_upstream_rx_byte "
    "time_to_first_downstream_tx_byte time_to_last_downstream_tx_byte upstream_request_attempt_count "
    "downstream_wire_bytes_sent downstream_wire_bytes_received upstream_wire_bytes_sent upstream_wire_bytes_received "
    "request_headers_bytes response_headers_bytes downstream_transport_failure_reason intermediate_log_entry "
    "access_log_type".split()
)
# ... and fields other logs name too (nginx's JSON formats have ``tls_version``), the entry's only in protobuf's
# lowerCamel JSON names (``tlsVersion``)
_ENTRY_CAMEL = frozenset("tls_version tls_cipher_suite tls_session_id upstream_remote_address ja3_fingerprint".split())
_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _entry_key(key: str) -> str | None:
    """A gRPC access-log entry's field name (camelCase as protobuf's JSON prints it, or snake_case), or None."""
    folded = _HUMP.sub("_", key).lower()
    if folded in _ENTRY_ONLY or (folded in _ENTRY_CAMEL and folded != key):
        return folded
    return None


def _pretty_field(body: str, source: Source | None) -> tuple[str, Parsed] | None:
    """``  "response_flags": "UT",``: a line of a JSON access record an author pretty-printed (``jq .``).

    Read only when every key on the line is an access-log field and one is a field no other log has; the
    event is flagged partial, and says nothing of the outcome unless a deciding field is on the line.
    """
    pairs: list[tuple[str, Any]] = []
    rest = _PAIR_LINE.sub("", body)
    if _PRETTY_REST.fullmatch(rest) is None:
        return None
    for key, value in _PAIR_LINE.findall(body):
        try:
            pairs.append((key, json.loads(value)))
        except ValueError:
            return None
    names = {canonical_key(key) for key, _value in pairs}
    entry = {_entry_key(key) for key, _value in pairs if canonical_key(key) is None}
    if entry and None not in entry:
        # an entry's own fields: known, though they set nothing
        names.discard(None)
        pairs = [(key, value) for key, value in pairs if canonical_key(key) is not None]
        names |= entry
    # one field an access log alone has must be on the line
    if not names or None in names or not names & (ACCESS_ONLY | _ENTRY_ONLY | _ENTRY_CAMEL):
        return None
    attrs = access_attributes(pairs)
    attrs["meshtail.partial"] = True
    reason = attrs.get("envoy.upstream_transport_failure_reason")
    if isinstance(reason, str) and tls_failure(reason) and not names & {"response_flags", "response_code_details"}:
        # the TLS reason alone (the author kept the field that mattered): the handshake to the upstream failed
        summary = f"a JSON access record's upstream TLS failure: {clip(reason, 160)}"
        parsed = Parsed(None, "auth", "failure", True, "error", "mtls.handshake_failure", summary, attrs)
    elif (
        isinstance(reason, str) and reason not in ("-", "") and not names & {"response_flags", "response_code_details"}
    ):
        # any other reason the upstream connection failed ("delayed connect error: Connection refused")
        summary = f"a JSON access record's upstream connection failure: {clip(reason, 160)}"
        parsed = Parsed(None, "routing", "failure", False, "warning", "upstream.failure", summary, attrs)
    elif names & {"response_flags", "response_code_details"} and "response_code" not in names:
        # flags or details without their status (on another line): not a TCP line, as a record without a status
        # would be read -- a refusal or a failure they name decides, "-"/"via_upstream" decides nothing
        parsed = build(attrs, source)
        if parsed.action == "tcp.connection":
            details = attrs.get("envoy.response_code_details")
            if details in (None, "via_upstream") and not attrs.get("envoy.response_flags"):
                summary = "a field of a JSON access record: " + ", ".join(f"{k}={v}" for k, v in pairs)[:160]
                parsed = Parsed(None, "other", "unknown", False, "info", "access.field", summary, attrs)
            else:
                summary = f"a JSON access record's details: {details}"
                parsed = Parsed(None, "routing", "failure", False, "warning", "http.request", summary, attrs)
    elif names & {"response_flags", "response_code_details"}:
        parsed = build(attrs, source)
    elif "response_code" in names and isinstance(attrs.get("http.response.status_code"), int):
        # the status alone (its flags and details on other lines): an HTTP answer, failed at 4xx/5xx; not
        # judged a denial or a TCP line, which the lines not shown would say
        status = attrs["http.response.status_code"]
        failed = status >= 400 or status == 0
        summary = f"a JSON access record's status: {status}"
        parsed = Parsed(
            None, "routing", "failure" if failed else "success", False, "warning" if failed else "info",
            "http.request", summary, attrs,
        )  # fmt: skip
    else:
        summary = "a field of a JSON access record: " + ", ".join(f"{key}={value}" for key, value in pairs)[:160]
        parsed = Parsed(None, "other", "unknown", False, "info", "access.field", summary, attrs)
    parsed.decoded = True
    return "envoy-json", parsed


_PAIR_LINE = re.compile(r'"([^"\\]{1,80})"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|null|true|false)')


def _embedded_json(body: str, at: int, source: Source | None) -> tuple[str, Parsed] | None:
    """A JSON access record inside other text (``echo '{…}' | jq .``, a chat message), whole or cut."""
    end = body.rfind("}")
    if end > at:
        try:
            obj = json.loads(body[at : end + 1])
        except ValueError:
            obj = None
        if isinstance(obj, dict) and looks_like(obj):
            parsed = parse_object(obj, source)
            parsed.attributes["meshtail.partial"] = True
            return "envoy-json", parsed
    return recognise_fragment(body[at:], source)


def _envoys_flags(flags: str) -> bool:
    """Flags only Envoy writes (``LR,URX``): every one of them one of its response flags."""
    return flags != "-" and all(code in RESPONSE_FLAGS or code in LONG_FLAGS for code in flags.split(","))


def _is_decimal(token: tuple[bool, str]) -> bool:
    return not token[0] and token[1].isdecimal()


def _read(body: str, m: re.Match[str], source: Source | None) -> tuple[str, Parsed] | None:
    groups = m.groupdict()
    pairs: list[tuple[str, str]] = []
    partial = False
    time: str | None = None
    envoys_stamp = False
    # an Istio cluster name further on (``outbound|80||cart.shop.svc.cluster.local``) says whose line this is, however
    # the author abridged the rest (``"GET / HTTP/1.1" 200 ... "10.4.2.21:8080" outbound|80||frontend…``)
    cluster = _ISTIO_CLUSTER_AT.search(body, m.end())
    abridged = groups.get("odd") in _ELISIONS and cluster is not None
    if "method" in groups:
        prefix = body[: m.start()]
        stamp = _STAMP.search(prefix)
        if stamp is not None:
            bracketed = stamp.group("open") and stamp.group("close")
            if (groups.get("elided") or groups.get("odd")) and not bracketed and not abridged:
                return None  # cut right after its status: only Envoy's bracketed time says it is a proxy's line
            time = normalize(stamp.group("ts"))
            envoys_stamp = _START_TIME.fullmatch(stamp.group("ts")) is not None
            pairs.append(("START_TIME", stamp.group("ts")))
            partial = not (bracketed and groups["open"])
        elif groups.get("odd") and not abridged:
            return None  # another field after the status, and no bracketed time to say whose line it is
        else:
            partial = True  # the line's start (its time) is missing
        method, path, proto = groups["method"], groups["path"], groups["proto"]
        if proto is None:
            partial = True  # the request line lost its protocol (an author's "…" or a cut)
        if method != "-":
            pairs += [("REQ(:METHOD)", method), ("REQ(X-ENVOY-ORIGINAL-PATH?:PATH)", path)]
            if proto:
                pairs.append(("PROTOCOL", proto))
    else:
        partial = True  # starts at the status
    pairs.append(("RESPONSE_CODE", groups["status"]))
    if groups["flags"] is not None:
        pairs.append(("RESPONSE_FLAGS", _short_flags(groups["flags"])))

    shown = [
        (t.group(1) is not None, t.group(1) if t.group(1) is not None else t.group(2))
        for t in _TOKEN.finditer(body, m.end())
        if t.group(0) != '"'  # a quote left open where the line was cut
    ]
    # after an author's "..." the fields are not where their positions say: only those before it are read so
    tokens = [] if abridged else list(takewhile(lambda token: token[0] or token[1] not in _ELISIONS, shown))
    if len(tokens) < len(shown):
        partial = True
        if cluster is not None:
            pairs.append(("UPSTREAM_CLUSTER", cluster.group("cluster")))
    i, n = 0, len(tokens)
    bare_before: list[str] = []
    quoted_before: list[str] = []
    while i < n and not (i + 2 < n and all(_is_decimal(tokens[i + k]) for k in range(3))):
        quoted, value = tokens[i]
        (quoted_before if quoted else bare_before).append(value)
        i += 1
    for operator, value in zip(("RESPONSE_CODE_DETAILS", "CONNECTION_TERMINATION_DETAILS"), bare_before, strict=False):
        pairs.append((operator, value))
    reason = next((value for value in quoted_before if value not in ("-", "")), None)
    if reason is not None:
        pairs.append(("UPSTREAM_TRANSPORT_FAILURE_REASON", reason))
    if i >= n:
        partial = True  # the line ends before its byte counts
        # with no flags, no byte counts and no details word, "…" 200 - is any web server's line -- before a time too,
        # unless Envoy's START_TIME prints it ("[2023-01-18 17:42:24] "GET /error HTTP/1.1" 500 -" is Flask's,
        # blind set holdout157)
        if (
            groups["flags"] in ("-", None)
            and not envoys_stamp
            and not (bare_before and _DETAILS_WORD.match(bare_before[0]))
            and groups.get("proto") not in _ENVOY_PROTOCOLS
            and cluster is None
        ):
            return None
    else:
        pairs += [("BYTES_RECEIVED", tokens[i][1]), ("BYTES_SENT", tokens[i + 1][1]), ("DURATION", tokens[i + 2][1])]
        i += 3
        if i < n and not tokens[i][0] and (tokens[i][1] == "-" or tokens[i][1].isdecimal()):
            pairs.append(("RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)", tokens[i][1]))
            i += 1
        quoted_slots = iter(_QUOTED_AFTER)
        while i < n and tokens[i][0]:
            operator = next(quoted_slots, None)
            if operator is not None:
                pairs.append((operator, tokens[i][1]))
            i += 1
        if i < n:
            pairs.append(("UPSTREAM_CLUSTER", tokens[i][1]))
            i += 1
            addresses = iter(_ADDRESSES)
            tail = iter(("REQUESTED_SERVER_NAME", "ROUTE_NAME"))
            while i < n:
                value = tokens[i][1]
                operator = None
                if value.startswith(_ROUTE_WORDS):
                    operator = "ROUTE_NAME"
                elif value == "-" or _ADDRESS.match(value):
                    operator = next(addresses, None) or next(tail, None)
                else:
                    addresses = iter(())  # a name: the address slots are over
                    operator = next(tail, None)
                if operator is not None:
                    pairs.append((operator, value))
                i += 1
    attrs: dict[str, Any] = {}
    _set_fields(attrs, pairs)
    if attrs.get("http.request.method") is None:
        if attrs.get("http.response.status_code") == 0:
            del attrs["http.response.status_code"]
        attrs.pop("network.protocol.name", None)
    return "envoy-text", _parsed(attrs, time, source, partial)


_REFUSALS = ("rbac_access_denied", "jwt_authn_access_denied", "ext_authz_denied", "ext_authz_error", "filter_chain")


_TAIL_QUOTED = ("REQ(USER-AGENT)", "REQ(X-REQUEST-ID)", "REQ(:AUTHORITY)")


def _tail(body: str, m: re.Match[str], source: Source | None) -> tuple[str, Parsed]:
    """An access line's tail without its request or status: an access log whose outcome is not shown, unless
    its details name a refusal (decided before the status in every version)."""
    details = m.group("details")
    flags = m.group("flags")
    attrs: dict[str, Any] = {"envoy.log_format": "loose", "meshtail.partial": True}
    if details == "-":
        details = None
    if m.group("status") is not None and flags is not None:
        # the status and what follows it: the rest of a whole line from the status on, read as a whole line's is
        status = int(m.group("status"))
        attrs["http.response.status_code"] = status
        if flags != "-":
            attrs["envoy.response_flags"] = flags
        if details:
            attrs["envoy.response_code_details"] = details
        short = tuple(_short_flags(flags).split(",")) if flags != "-" else ()
        # the quoted fields after the counts (user agent, request id, authority, upstream host), read as a whole
        # line's are: an upstream that answered (its host, its service time) did not leave the status to the proxy
        tokens = _quoted_after(body, m)
        _set_fields(attrs, zip((*_TAIL_QUOTED, "UPSTREAM_HOST"), tokens, strict=False))
        upstream = m.group("service").isdigit() or (len(tokens) > 3 and tokens[3] not in ("", "-"))
        facts = AccessFacts(status, short, details, upstream, False, status != 0)
        decision = access_decision(facts)
        return "envoy-text", Parsed(None, *decision, access_summary(attrs, source, decision), attrs)
    if flags and flags != "-":
        # the flags say it failed (and how), whatever the status on the line before was
        attrs["envoy.response_flags"] = flags
        if details:
            attrs["envoy.response_code_details"] = details
        facts = AccessFacts(None, tuple(_short_flags(flags).split(",")), details, False, False, True)
        decision = access_decision(facts)
        return "envoy-text", Parsed(None, *decision, access_summary(attrs, source, decision), attrs)
    if details and details.startswith(_REFUSALS):
        attrs["envoy.response_code_details"] = details
        facts = AccessFacts(None, (), details, False, False, True)
        decision = access_decision(facts)
        return "envoy-text", Parsed(None, *decision, access_summary(attrs, source, decision), attrs)
    if details and details != "-":
        attrs["envoy.response_code_details"] = details
    tokens = _quoted_after(body, m)
    # the default format's quoted fields after the details, under a whole line's names (the request_id filter and
    # the same request's other hops read x-request-id)
    _set_fields(attrs, zip(_TAIL_QUOTED, tokens, strict=False))
    summary = "access log fragment (no request or status)"
    return "envoy-text", Parsed(None, "other", "unknown", False, "info", "access.fragment", summary, attrs)


def _quoted_after(body: str, m: re.Match[str]) -> list[str]:
    """The quoted fields from the one a tail's match ends in (user agent, request id, authority, upstream host)."""
    return [t.group(1) for t in _TOKEN.finditer(body, m.end() - 1) if t.group(1) is not None]


def _set_fields(attrs: dict[str, Any], pairs: Iterable[tuple[str, str]]) -> None:
    """Each (operator, value) a fragment shows, set as a whole line's field is (``-``: not logged)."""
    for operator, value in pairs:
        if value and value != "-":
            setter_for(operator)(attrs, value)


def _fragment(pairs: list[tuple[str, str]], what: str) -> tuple[str, Parsed]:
    """An access line's fields read by their operators, as a whole line's are; its outcome is not shown."""
    attrs: dict[str, Any] = {"envoy.log_format": "loose", "meshtail.partial": True}
    _set_fields(attrs, pairs)
    summary = clip(f"access log fragment ({what}; no request or status)", 240)
    return "envoy-text", Parsed(None, "other", "unknown", False, "info", "access.fragment", summary, attrs)


def _cluster_tail(body: str, m: re.Match[str], source: Source | None) -> tuple[str, Parsed]:
    """The end of an Istio access line: where it went (cluster, addresses, route)."""
    pairs = [
        ("UPSTREAM_CLUSTER", m.group("cluster")),
        ("UPSTREAM_LOCAL_ADDRESS", m.group("upstream_local")),
        ("DOWNSTREAM_LOCAL_ADDRESS", m.group("downstream_local")),
        ("DOWNSTREAM_REMOTE_ADDRESS", m.group("downstream_remote")),
        ("REQUESTED_SERVER_NAME", m.group("sni") or "-"),
        ("ROUTE_NAME", m.group("route") or "-"),
    ]
    quoted = [t.group(1) for t in _TOKEN.finditer(body, 0, m.start() + 1) if t.group(1) is not None]
    if quoted:
        pairs.append(("UPSTREAM_HOST", quoted[-1]))
    return _fragment(pairs, f"to {m.group('cluster')}")


def _id_run(body: str, m: re.Match[str], source: Source | None) -> tuple[str, Parsed]:
    """A user agent, request id, authority and upstream host in a row, quoted as Istio's default format has them."""
    pairs = [
        ("REQ(USER-AGENT)", m.group("agent")),
        ("REQ(X-REQUEST-ID)", m.group("id")),
        ("REQ(:AUTHORITY)", m.group("authority")),
        ("UPSTREAM_HOST", m.group("upstream")),
    ]
    return _fragment(pairs, f"request {m.group('id')} to {m.group('authority')}")


def _short_flags(value: str) -> str:
    """Long flag names (``%RESPONSE_FLAGS_LONG%``) as the short ones the decisions know."""
    if value == "-" or not any(c.islower() for c in value):
        return value
    return ",".join(LONG_FLAGS.get(flag, flag) for flag in value.split(","))


def _parsed(attrs: dict[str, Any], time: str | None, source: Source | None, partial: bool) -> Parsed:
    attrs["envoy.log_format"] = "loose"
    if partial:
        attrs["meshtail.partial"] = True
    start = attrs.pop("envoy.start_time", None)
    if time is None and isinstance(start, str):
        time = normalize(start)
    status = attrs.get("http.response.status_code")
    reason = attrs.get("envoy.upstream_transport_failure_reason")
    facts = AccessFacts(
        status if isinstance(status, int) else None,
        tuple(attrs.get("envoy.response_flags") or ()),
        deciding_details(
            attrs.get("envoy.response_code_details"),
            attrs.get("envoy.connection_termination_details"),
            attrs.get("istio.mixer_status"),
            attrs.get("envoy.response_flags") or (),
        ),
        bool(attrs.get("envoy.upstream_host")),
        tls_failure(reason if isinstance(reason, str) else None),
        # (a line cut before its request: a status other than 0 is an HTTP response's, TCP lines log 0)
        attrs.get("http.request.method") is not None or (isinstance(status, int) and status > 0),
    )
    decision = access_decision(facts)
    summary = access_summary(attrs, source, decision)
    return Parsed(time, *decision, summary, attrs)


def _key_values(body: str, source: Source | None) -> tuple[str, Parsed] | None:
    """A custom access format of ``key=value`` fields (``method=POST … status=200 response_flag=UT``)."""
    pairs = [(key, value[1:-1] if value.startswith('"') else value) for key, value in _KV.findall(body)]
    if body.startswith("[") and len(pairs) >= 3 and pairs[0][0] in ("cluster", "upstream_cluster"):
        tcp = _tcp_key_values(body, pairs, source)
        if tcp is not None:
            return tcp
    if len(pairs) < 3 or not looks_like_keys(key for key, _ in pairs):
        return None
    attrs = access_attributes(pairs)
    flags = attrs.get("envoy.response_flags") or ()
    envoys = bool(flags) and all(flag in RESPONSE_FLAGS or flag in LONG_FLAGS for flag in flags)
    if APP_LOG_KEYS.intersection(key.lower() for key, _value in pairs) and not (
        envoys or attrs.get("envoy.upstream_host") or attrs.get("envoy.response_code_details")
    ):
        return None  # a logger's own keys (level, msg) and nothing Envoy's: an application's log of a request
    if not isinstance(attrs.get("http.response.status_code"), int) and not (
        # a TCP connection's line (no request: its code 0 dropped) that says where it went or how Envoy ended it
        any(canonical_key(key) == "response_code" and value == "0" for key, value in pairs)
        and (attrs.get("envoy.upstream_host") or envoys)
    ):
        return None
    time = None
    stamp = _STAMP.search(body[: body.find("=")].rsplit(" ", 1)[0]) if body.startswith("[") else None
    if stamp is not None:
        time = normalize(stamp.group("ts"))
    return "envoy-text", _parsed(attrs, time, source, False)


# the TCP proxy's custom format of Envoy's examples: "[%START_TIME%] cluster=%UPSTREAM_CLUSTER%
# src=%DOWNSTREAM_REMOTE_ADDRESS% dst=%DOWNSTREAM_LOCAL_ADDRESS% -> %UPSTREAM_HOST%" (a compose sandbox's proxy-1)
_TCP_KEYS = {
    "cluster": "UPSTREAM_CLUSTER",
    "upstream_cluster": "UPSTREAM_CLUSTER",
    "src": "DOWNSTREAM_REMOTE_ADDRESS",
    "dst": "DOWNSTREAM_LOCAL_ADDRESS",
}
_UPSTREAM_ARROW = re.compile(r" -> (\S+)$")


def _tcp_key_values(body: str, pairs: list[tuple[str, str]], source: Source | None) -> tuple[str, Parsed] | None:
    """A connection behind Envoy's bracketed start time named by its cluster and both ends (no status: TCP)."""
    stamp = _STAMP.search(body[: body.find("=")].rsplit(" ", 1)[0])
    keys = [key for key, _value in pairs]
    if stamp is None or not {"src", "dst"} <= set(keys) or not set(keys) <= set(_TCP_KEYS):
        return None
    if not all(_ADDRESS.match(value) for key, value in pairs if key in ("src", "dst")):
        return None
    attrs: dict[str, Any] = {"envoy.log_format": "loose"}
    _set_fields(attrs, ((_TCP_KEYS[key], value) for key, value in pairs))
    upstream = _UPSTREAM_ARROW.search(body)
    if upstream is not None and _ADDRESS.match(upstream.group(1)):
        _set_fields(attrs, [("UPSTREAM_HOST", upstream.group(1))])
    return "envoy-text", _parsed(attrs, normalize(stamp.group("ts")), source, False)
