"""Every Envoy access-log command operator (``%NAME%`` / ``%NAME(args)%``) from Envoy 1.10 to 1.39.

``is_known`` lets ``--format-string`` validation reject an operator Envoy itself would reject (a
typo such as ``%UPSTREAM_HOTS%``) while accepting every operator some Envoy release knows, including
ones newer Envoys dropped or gained.  No operator was removed between 1.10 and 1.37; the only removal
in Envoy's history, ``DOWNSTREAM_ADDRESS`` (1.5-1.6), predates 1.10 and is kept out of the sets.

How the lists were built (by script, not by eye)
------------------------------------------------
Envoy's own source was read at each release, from a git mirror of an ``envoyproxy/envoy`` fork
(github:agrawroh/envoy) that carries the upstream tags and ``main`` history:

* tags ``v1.10.0`` ... ``v1.19.1`` (every patch tag);
* ``main`` at the release commits: 1.20.0 ``96701cb246``, 1.21.0 ``1091423999`` ("release: 1.21"),
  1.22.0 ``dcd329a2e9``, 1.23.0 ``ce49c7f656``, 1.24.0 ``15baf56003``, 1.25.0 ``9184b84cd0``,
  1.26.0 ``e7543a0d49``, 1.27.0 ``7bba38b743``, 1.28.0 ``b5ca88acee``, 1.29.0 ``a6d1d66a62``,
  1.30.0 ``50ea83e602``, 1.31.0 ``7b8baff175``, 1.32.0 ``86dc7ef91c``, 1.33.0 ``b0f43d67aa``,
  1.34.0 ``d7809ba2b0``, 1.35.0 ``84305a6cb6``, 1.36.0 ``63ee0dc79d`` ("repo: Release v1.N.0");
* 1.37.0-dev ``321a098d81`` (2025-12-19) and ``74546f27a0`` (2026-01-11, two days before 1.37.0).

Files scanned at each revision:
``source/common/access_log/access_log_formatter.cc`` (1.10-1.14: ``field_name == "X"``,
``token.find("X(") == 0`` / ``absl::StartsWith(token, "X(")``),
``source/common/formatter/substitution_formatter.cc`` (1.15-1.27: the same, then the
``{"X", {CommandSyntaxChecker::FLAGS, ...}}`` and ``{"X", []() {...}}`` tables),
``source/common/formatter/stream_info_formatter.cc`` and ``http_specific_formatter.cc`` (1.28+ tables),
and every ``source/extensions/formatter/*/*.cc`` (``command == "CEL"`` etc.: CEL, TYPED_CEL, METADATA,
REQ_WITHOUT_QUERY, XFCC_VALUE).  Cross-checked against copies of the same files stored for
envoyproxy/envoy itself (``stream_info_formatter.cc`` ~1.35/1.36, ``http_specific_formatter.cc`` 1.37).

Operators first shipped after the newest source read (1.38.0, 1.39.0) come from Envoy's own
``changelogs/1.38.0.yaml`` and ``changelogs/1.39.0.yaml`` (plus ``source/extensions/formatter/
file_content/config.cc`` and ``generic_secret/config.cc`` for ``FILE_CONTENT`` / ``SECRET``); their
argument forms are as the changelog words them (see the notes in ``WITH_ARGS``).  Istio adds no
operators of its own: istio/proxy registers no command parser and only enables Envoy's ``metadata``,
``req_without_query`` and ``cel`` formatter extensions.

Placing a name
--------------
``PLAIN`` holds names Envoy accepts with no ``(...)`` in some release (``COMMAND_ONLY`` or
``PARAMS_OPTIONAL`` in the table era; an exact ``field_name ==`` / extractor-table match before it).
``WITH_ARGS`` holds names Envoy parses an argument for (``PARAMS_REQUIRED``/``PARAMS_OPTIONAL``,
``StartsWith(token, "X(")``, or an extension's ``command == "X"``).  Optional-argument operators are
in both.  Deliberate exceptions:

* ``FILTER_STATE`` / ``UPSTREAM_FILTER_STATE`` are flagged ``PARAMS_OPTIONAL`` but throw
  "key cannot be empty" without an argument, so they are in ``WITH_ARGS`` only;
* 1.15-1.21 matched ``LOCAL_REPLY_BODY``, ``GRPC_STATUS`` and the ``*_HEADERS_BYTES`` operators by
  bare prefix, so ``%LOCAL_REPLY_BODY(x)%`` slipped through then; an argument those versions ignored
  does not put a name in ``WITH_ARGS`` (``GRPC_STATUS`` is there because 1.24+ parse its argument).
"""

from __future__ import annotations

import re

PLAIN: frozenset[str] = frozenset(
    {
        # 1.10.0 or earlier
        "BYTES_RECEIVED",
        "BYTES_SENT",
        "DOWNSTREAM_LOCAL_ADDRESS",
        "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
        "DOWNSTREAM_LOCAL_SUBJECT",
        "DOWNSTREAM_LOCAL_URI_SAN",
        "DOWNSTREAM_PEER_SUBJECT",
        "DOWNSTREAM_PEER_URI_SAN",
        "DOWNSTREAM_REMOTE_ADDRESS",
        "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
        "DURATION",
        "PROTOCOL",
        "REQUESTED_SERVER_NAME",
        "REQUEST_DURATION",
        "RESPONSE_CODE",
        "RESPONSE_DURATION",
        "RESPONSE_FLAGS",
        "RESPONSE_TX_DURATION",
        "START_TIME",
        "UPSTREAM_CLUSTER",
        "UPSTREAM_HOST",
        "UPSTREAM_LOCAL_ADDRESS",
        "UPSTREAM_TRANSPORT_FAILURE_REASON",
        # 1.11.0
        "DOWNSTREAM_PEER_CERT",
        "DOWNSTREAM_PEER_CERT_V_END",
        "DOWNSTREAM_PEER_CERT_V_START",
        "DOWNSTREAM_PEER_FINGERPRINT_256",
        "DOWNSTREAM_PEER_ISSUER",
        "DOWNSTREAM_PEER_SERIAL",
        "DOWNSTREAM_TLS_CIPHER",
        "DOWNSTREAM_TLS_SESSION_ID",
        "DOWNSTREAM_TLS_VERSION",
        "RESPONSE_CODE_DETAILS",
        "ROUTE_NAME",
        # 1.12.0
        "DOWNSTREAM_DIRECT_REMOTE_ADDRESS",
        "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT",
        # 1.13.0
        "HOSTNAME",
        # 1.14.0
        "DOWNSTREAM_LOCAL_PORT",
        # 1.15.0
        "GRPC_STATUS",
        "LOCAL_REPLY_BODY",
        # 1.16.0
        "CONNECTION_ID",
        "CONNECTION_TERMINATION_DETAILS",
        "DOWNSTREAM_PEER_FINGERPRINT_1",
        # 1.18.0
        "FILTER_CHAIN_NAME",
        "REQUEST_HEADERS_BYTES",
        "RESPONSE_HEADERS_BYTES",
        "RESPONSE_TRAILERS_BYTES",
        # 1.19.0
        "REQUEST_TX_DURATION",
        # 1.21.0
        "DOWNSTREAM_HEADER_BYTES_RECEIVED",
        "DOWNSTREAM_HEADER_BYTES_SENT",
        "DOWNSTREAM_WIRE_BYTES_RECEIVED",
        "DOWNSTREAM_WIRE_BYTES_SENT",
        "TLS_JA3_FINGERPRINT",
        "UPSTREAM_HEADER_BYTES_RECEIVED",
        "UPSTREAM_HEADER_BYTES_SENT",
        "UPSTREAM_REQUEST_ATTEMPT_COUNT",
        "UPSTREAM_WIRE_BYTES_RECEIVED",
        "UPSTREAM_WIRE_BYTES_SENT",
        "VIRTUAL_CLUSTER_NAME",
        # 1.22.0
        "DOWNSTREAM_DIRECT_REMOTE_PORT",
        "DOWNSTREAM_REMOTE_PORT",
        "GRPC_STATUS_NUMBER",
        "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
        "UPSTREAM_LOCAL_PORT",
        "UPSTREAM_REMOTE_ADDRESS",
        "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
        "UPSTREAM_REMOTE_PORT",
        # 1.23.0
        "UPSTREAM_PEER_CERT",
        "UPSTREAM_PEER_CERT_V_END",
        "UPSTREAM_PEER_CERT_V_START",
        "UPSTREAM_PEER_ISSUER",
        "UPSTREAM_PEER_SUBJECT",
        "UPSTREAM_PROTOCOL",
        "UPSTREAM_TLS_CIPHER",
        "UPSTREAM_TLS_SESSION_ID",
        "UPSTREAM_TLS_VERSION",
        # 1.24.0
        "DOWNSTREAM_HANDSHAKE_DURATION",
        # 1.25.0
        "STREAM_ID",
        # 1.26.0
        "DOWNSTREAM_TRANSPORT_FAILURE_REASON",
        "ROUNDTRIP_DURATION",
        # 1.27.0
        "ACCESS_LOG_TYPE",
        "BYTES_RETRANSMITTED",
        "DOWNSTREAM_LOCAL_DNS_SAN",
        "DOWNSTREAM_LOCAL_IP_SAN",
        "DOWNSTREAM_PEER_DNS_SAN",
        "DOWNSTREAM_PEER_IP_SAN",
        "PACKETS_RETRANSMITTED",
        # 1.28.0
        "RESPONSE_FLAGS_LONG",
        # 1.29.0
        "EMIT_TIME",
        "UPSTREAM_CONNECTION_POOL_READY_DURATION",
        # 1.30.0
        "UPSTREAM_CONNECTION_ID",
        # 1.31.0
        "TRACE_ID",
        "UNIQUE_ID",
        "UPSTREAM_HOST_NAME",
        "UPSTREAM_LOCAL_DNS_SAN",
        "UPSTREAM_LOCAL_IP_SAN",
        "UPSTREAM_LOCAL_URI_SAN",
        "UPSTREAM_PEER_DNS_SAN",
        "UPSTREAM_PEER_IP_SAN",
        "UPSTREAM_PEER_URI_SAN",
        # 1.32.0
        "DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_1",
        "DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_256",
        "DOWNSTREAM_PEER_CHAIN_SERIALS",
        "EMIT_TIME_LOCAL",
        "START_TIME_LOCAL",
        "UPSTREAM_CLUSTER_RAW",
        # 1.33.0
        "DOWNSTREAM_DIRECT_LOCAL_ADDRESS",
        "DOWNSTREAM_DIRECT_LOCAL_ADDRESS_WITHOUT_PORT",
        "DOWNSTREAM_DIRECT_LOCAL_PORT",
        "DOWNSTREAM_LOCAL_EMAIL_SAN",
        "DOWNSTREAM_LOCAL_OTHERNAME_SAN",
        "DOWNSTREAM_PEER_EMAIL_SAN",
        "DOWNSTREAM_PEER_OTHERNAME_SAN",
        "UPSTREAM_HOST_NAME_WITHOUT_PORT",
        # 1.34.0
        "CUSTOM_FLAGS",
        "PATH",
        # 1.35.0
        "TLS_JA4_FINGERPRINT",
        # 1.36.0
        "DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED",
        "DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_SENT",
        "UPSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED",
        "UPSTREAM_DECOMPRESSED_HEADER_BYTES_SENT",
        # 1.37.0
        "DOWNSTREAM_DIRECT_LOCAL_ADDRESS_ENDPOINT_ID",
        "DOWNSTREAM_LOCAL_ADDRESS_ENDPOINT_ID",
        "UPSTREAM_REMOTE_ADDRESS_ENDPOINT_ID",
        # 1.38.0
        "DOWNSTREAM_DETECTED_CLOSE_TYPE",
        "DOWNSTREAM_LOCAL_CLOSE_REASON",
        "DOWNSTREAM_PEER_ISSUER_FINGERPRINT_256",
        "DOWNSTREAM_PEER_ISSUER_SERIAL",
        "QUERY_PARAMS",
        "SPAN_ID",
        "UPSTREAM_CONNECTION_IDS_ATTEMPTED",
        "UPSTREAM_DETECTED_CLOSE_TYPE",
        "UPSTREAM_HOSTS_ATTEMPTED",
        "UPSTREAM_HOSTS_ATTEMPTED_WITHOUT_PORT",
        "UPSTREAM_HOST_NAMES_ATTEMPTED",
        "UPSTREAM_HOST_NAMES_ATTEMPTED_WITHOUT_PORT",
        "UPSTREAM_LOCAL_CLOSE_REASON",
        # 1.39.0
        "DOWNSTREAM_TLS_GROUP",
        "UPSTREAM_SERVER_NAME",
        "UPSTREAM_TLS_GROUP",
    }
)
"""Operators Envoy accepts as ``%NAME%`` (optionally ``%NAME%:N``), grouped by first release."""

WITH_ARGS: frozenset[str] = frozenset(
    {
        # 1.10.0 or earlier
        "DYNAMIC_METADATA",
        "REQ",
        "RESP",
        "START_TIME",
        "TRAILER",
        # 1.13.0
        "FILTER_STATE",
        # 1.17.0
        "DOWNSTREAM_PEER_CERT_V_END",
        "DOWNSTREAM_PEER_CERT_V_START",
        # 1.18.0
        "CLUSTER_METADATA",
        # 1.19.0
        "REQ_WITHOUT_QUERY",
        # 1.20.0
        "METADATA",
        # 1.22.0
        "ENVIRONMENT",
        # 1.23.0
        "UPSTREAM_FILTER_STATE",
        "UPSTREAM_METADATA",
        "UPSTREAM_PEER_CERT_V_END",
        "UPSTREAM_PEER_CERT_V_START",
        # 1.24.0
        "GRPC_STATUS",
        # 1.26.0
        "STREAM_INFO_REQ",
        # 1.27.0
        "CEL",
        # 1.29.0
        "EMIT_TIME",
        # 1.30.0
        "COMMON_DURATION",
        # 1.32.0
        "EMIT_TIME_LOCAL",
        "START_TIME_LOCAL",
        # 1.34.0
        "PATH",
        "QUERY_PARAM",
        "RESPONSE_CODE_DETAILS",
        # 1.36.0
        "TYPED_CEL",
        "XFCC_VALUE",
        # 1.37.0
        "COALESCE",
        "REQUESTED_SERVER_NAME",
        "REQUEST_HEADER",
        "RESPONSE_HEADER",
        "RESPONSE_TRAILER",
        # 1.38.0
        "DOWNSTREAM_DIRECT_LOCAL_ADDRESS_WITHOUT_PORT",
        "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT",
        "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
        "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
        "FILE_CONTENT",
        "QUERY_PARAMS",
        "SECRET",
        "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
        "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
    }
)
"""Operators Envoy accepts as ``%NAME(args)%``, grouped by the first release that parses the argument.

1.38.0 entries come from ``changelogs/1.38.0.yaml``: ``QUERY_PARAMS`` "can either be logged in their
original form or decoded" (argument assumed optional, so it is also in ``PLAIN``); the six address
``*_WITHOUT_PORT`` operators "accept an optional ``MASK_PREFIX_LEN`` parameter" (the changelog's example
is ``%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT(16)%``; which formatters count as "address formatters" is
inferred from the 1.37 source, where exactly these six use ``StreamInfoAddressFormatterProvider::withoutPort``).
"""

FIRST_SEEN: dict[str, str] = {
    "BYTES_RECEIVED": "1.10.0",
    "BYTES_SENT": "1.10.0",
    "DOWNSTREAM_LOCAL_ADDRESS": "1.10.0",
    "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT": "1.10.0",
    "DOWNSTREAM_LOCAL_SUBJECT": "1.10.0",
    "DOWNSTREAM_LOCAL_URI_SAN": "1.10.0",
    "DOWNSTREAM_PEER_SUBJECT": "1.10.0",
    "DOWNSTREAM_PEER_URI_SAN": "1.10.0",
    "DOWNSTREAM_REMOTE_ADDRESS": "1.10.0",
    "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT": "1.10.0",
    "DURATION": "1.10.0",
    "DYNAMIC_METADATA": "1.10.0",
    "PROTOCOL": "1.10.0",
    "REQ": "1.10.0",
    "REQUESTED_SERVER_NAME": "1.10.0",
    "REQUEST_DURATION": "1.10.0",
    "RESP": "1.10.0",
    "RESPONSE_CODE": "1.10.0",
    "RESPONSE_DURATION": "1.10.0",
    "RESPONSE_FLAGS": "1.10.0",
    "RESPONSE_TX_DURATION": "1.10.0",
    "START_TIME": "1.10.0",
    "TRAILER": "1.10.0",
    "UPSTREAM_CLUSTER": "1.10.0",
    "UPSTREAM_HOST": "1.10.0",
    "UPSTREAM_LOCAL_ADDRESS": "1.10.0",
    "UPSTREAM_TRANSPORT_FAILURE_REASON": "1.10.0",
    "DOWNSTREAM_PEER_CERT": "1.11.0",
    "DOWNSTREAM_PEER_CERT_V_END": "1.11.0",
    "DOWNSTREAM_PEER_CERT_V_START": "1.11.0",
    "DOWNSTREAM_PEER_FINGERPRINT_256": "1.11.0",
    "DOWNSTREAM_PEER_ISSUER": "1.11.0",
    "DOWNSTREAM_PEER_SERIAL": "1.11.0",
    "DOWNSTREAM_TLS_CIPHER": "1.11.0",
    "DOWNSTREAM_TLS_SESSION_ID": "1.11.0",
    "DOWNSTREAM_TLS_VERSION": "1.11.0",
    "RESPONSE_CODE_DETAILS": "1.11.0",
    "ROUTE_NAME": "1.11.0",
    "DOWNSTREAM_DIRECT_REMOTE_ADDRESS": "1.12.0",
    "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT": "1.12.0",
    "FILTER_STATE": "1.13.0",
    "HOSTNAME": "1.13.0",
    "DOWNSTREAM_LOCAL_PORT": "1.14.0",
    "GRPC_STATUS": "1.15.0",
    "LOCAL_REPLY_BODY": "1.15.0",
    "CONNECTION_ID": "1.16.0",
    "CONNECTION_TERMINATION_DETAILS": "1.16.0",
    "DOWNSTREAM_PEER_FINGERPRINT_1": "1.16.0",
    "CLUSTER_METADATA": "1.18.0",
    "FILTER_CHAIN_NAME": "1.18.0",
    "REQUEST_HEADERS_BYTES": "1.18.0",
    "RESPONSE_HEADERS_BYTES": "1.18.0",
    "RESPONSE_TRAILERS_BYTES": "1.18.0",
    "REQUEST_TX_DURATION": "1.19.0",
    "REQ_WITHOUT_QUERY": "1.19.0",
    "METADATA": "1.20.0",
    "DOWNSTREAM_HEADER_BYTES_RECEIVED": "1.21.0",
    "DOWNSTREAM_HEADER_BYTES_SENT": "1.21.0",
    "DOWNSTREAM_WIRE_BYTES_RECEIVED": "1.21.0",
    "DOWNSTREAM_WIRE_BYTES_SENT": "1.21.0",
    "TLS_JA3_FINGERPRINT": "1.21.0",
    "UPSTREAM_HEADER_BYTES_RECEIVED": "1.21.0",
    "UPSTREAM_HEADER_BYTES_SENT": "1.21.0",
    "UPSTREAM_REQUEST_ATTEMPT_COUNT": "1.21.0",
    "UPSTREAM_WIRE_BYTES_RECEIVED": "1.21.0",
    "UPSTREAM_WIRE_BYTES_SENT": "1.21.0",
    "VIRTUAL_CLUSTER_NAME": "1.21.0",
    "DOWNSTREAM_DIRECT_REMOTE_PORT": "1.22.0",
    "DOWNSTREAM_REMOTE_PORT": "1.22.0",
    "ENVIRONMENT": "1.22.0",
    "GRPC_STATUS_NUMBER": "1.22.0",
    "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT": "1.22.0",
    "UPSTREAM_LOCAL_PORT": "1.22.0",
    "UPSTREAM_REMOTE_ADDRESS": "1.22.0",
    "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT": "1.22.0",
    "UPSTREAM_REMOTE_PORT": "1.22.0",
    "UPSTREAM_FILTER_STATE": "1.23.0",
    "UPSTREAM_METADATA": "1.23.0",
    "UPSTREAM_PEER_CERT": "1.23.0",
    "UPSTREAM_PEER_CERT_V_END": "1.23.0",
    "UPSTREAM_PEER_CERT_V_START": "1.23.0",
    "UPSTREAM_PEER_ISSUER": "1.23.0",
    "UPSTREAM_PEER_SUBJECT": "1.23.0",
    "UPSTREAM_PROTOCOL": "1.23.0",
    "UPSTREAM_TLS_CIPHER": "1.23.0",
    "UPSTREAM_TLS_SESSION_ID": "1.23.0",
    "UPSTREAM_TLS_VERSION": "1.23.0",
    "DOWNSTREAM_HANDSHAKE_DURATION": "1.24.0",
    "STREAM_ID": "1.25.0",
    "DOWNSTREAM_TRANSPORT_FAILURE_REASON": "1.26.0",
    "ROUNDTRIP_DURATION": "1.26.0",
    "STREAM_INFO_REQ": "1.26.0",
    "ACCESS_LOG_TYPE": "1.27.0",
    "BYTES_RETRANSMITTED": "1.27.0",
    "CEL": "1.27.0",
    "DOWNSTREAM_LOCAL_DNS_SAN": "1.27.0",
    "DOWNSTREAM_LOCAL_IP_SAN": "1.27.0",
    "DOWNSTREAM_PEER_DNS_SAN": "1.27.0",
    "DOWNSTREAM_PEER_IP_SAN": "1.27.0",
    "PACKETS_RETRANSMITTED": "1.27.0",
    "RESPONSE_FLAGS_LONG": "1.28.0",
    "EMIT_TIME": "1.29.0",
    "UPSTREAM_CONNECTION_POOL_READY_DURATION": "1.29.0",
    "COMMON_DURATION": "1.30.0",
    "UPSTREAM_CONNECTION_ID": "1.30.0",
    "TRACE_ID": "1.31.0",
    "UNIQUE_ID": "1.31.0",
    "UPSTREAM_HOST_NAME": "1.31.0",
    "UPSTREAM_LOCAL_DNS_SAN": "1.31.0",
    "UPSTREAM_LOCAL_IP_SAN": "1.31.0",
    "UPSTREAM_LOCAL_URI_SAN": "1.31.0",
    "UPSTREAM_PEER_DNS_SAN": "1.31.0",
    "UPSTREAM_PEER_IP_SAN": "1.31.0",
    "UPSTREAM_PEER_URI_SAN": "1.31.0",
    "DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_1": "1.32.0",
    "DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_256": "1.32.0",
    "DOWNSTREAM_PEER_CHAIN_SERIALS": "1.32.0",
    "EMIT_TIME_LOCAL": "1.32.0",
    "START_TIME_LOCAL": "1.32.0",
    "UPSTREAM_CLUSTER_RAW": "1.32.0",
    "DOWNSTREAM_DIRECT_LOCAL_ADDRESS": "1.33.0",
    "DOWNSTREAM_DIRECT_LOCAL_ADDRESS_WITHOUT_PORT": "1.33.0",
    "DOWNSTREAM_DIRECT_LOCAL_PORT": "1.33.0",
    "DOWNSTREAM_LOCAL_EMAIL_SAN": "1.33.0",
    "DOWNSTREAM_LOCAL_OTHERNAME_SAN": "1.33.0",
    "DOWNSTREAM_PEER_EMAIL_SAN": "1.33.0",
    "DOWNSTREAM_PEER_OTHERNAME_SAN": "1.33.0",
    "UPSTREAM_HOST_NAME_WITHOUT_PORT": "1.33.0",
    "CUSTOM_FLAGS": "1.34.0",
    "PATH": "1.34.0",
    "QUERY_PARAM": "1.34.0",
    "TLS_JA4_FINGERPRINT": "1.35.0",
    "DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED": "1.36.0",
    "DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_SENT": "1.36.0",
    "TYPED_CEL": "1.36.0",
    "UPSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED": "1.36.0",
    "UPSTREAM_DECOMPRESSED_HEADER_BYTES_SENT": "1.36.0",
    "XFCC_VALUE": "1.36.0",
    "COALESCE": "1.37.0",
    "DOWNSTREAM_DIRECT_LOCAL_ADDRESS_ENDPOINT_ID": "1.37.0",
    "DOWNSTREAM_LOCAL_ADDRESS_ENDPOINT_ID": "1.37.0",
    "REQUEST_HEADER": "1.37.0",
    "RESPONSE_HEADER": "1.37.0",
    "RESPONSE_TRAILER": "1.37.0",
    "UPSTREAM_REMOTE_ADDRESS_ENDPOINT_ID": "1.37.0",
    "DOWNSTREAM_DETECTED_CLOSE_TYPE": "1.38.0",
    "DOWNSTREAM_LOCAL_CLOSE_REASON": "1.38.0",
    "DOWNSTREAM_PEER_ISSUER_FINGERPRINT_256": "1.38.0",
    "DOWNSTREAM_PEER_ISSUER_SERIAL": "1.38.0",
    "FILE_CONTENT": "1.38.0",
    "QUERY_PARAMS": "1.38.0",
    "SECRET": "1.38.0",
    "SPAN_ID": "1.38.0",
    "UPSTREAM_CONNECTION_IDS_ATTEMPTED": "1.38.0",
    "UPSTREAM_DETECTED_CLOSE_TYPE": "1.38.0",
    "UPSTREAM_HOSTS_ATTEMPTED": "1.38.0",
    "UPSTREAM_HOSTS_ATTEMPTED_WITHOUT_PORT": "1.38.0",
    "UPSTREAM_HOST_NAMES_ATTEMPTED": "1.38.0",
    "UPSTREAM_HOST_NAMES_ATTEMPTED_WITHOUT_PORT": "1.38.0",
    "UPSTREAM_LOCAL_CLOSE_REASON": "1.38.0",
    "DOWNSTREAM_TLS_GROUP": "1.39.0",
    "UPSTREAM_SERVER_NAME": "1.39.0",
    "UPSTREAM_TLS_GROUP": "1.39.0",
}
"""Operator name -> first release whose source (or, for 1.38+, changelog) has it in either form."""

OTHER_CONTEXTS: frozenset[str] = frozenset(
    {
        # source/extensions/filters/network/generic_proxy/access_log.cc (generic proxy access logs only)
        "METHOD",
        "HOST",
        "PROTOCOL",
        "PATH",
        "REQUEST_PROPERTY",
        "RESPONSE_PROPERTY",
        "GENERIC_RESPONSE_CODE",
        # source/extensions/filters/udp/dns_filter/dns_filter_access_log.cc (DNS filter access logs only)
        "QUERY_NAME",
        "QUERY_TYPE",
        "QUERY_CLASS",
        "ANSWER_COUNT",
        "RESPONSE_CODE",
        "PARSE_STATUS",
        # source/extensions/filters/http/transform/transform.cc (transform filter body templates only)
        "REQUEST_BODY",
        "RESPONSE_BODY",
    }
)
"""Names only a protocol-specific parser knows (as of 1.37.0-dev).  Not consulted by ``is_known``;
the overlap with HTTP/TCP names (``PROTOCOL``, ``PATH``, ``RESPONSE_CODE``) is real in both contexts."""

NOT_YET_RELEASED: frozenset[str] = frozenset({"DATASOURCE", "REQ_ALL_HEADERS", "RESP_ALL_HEADERS"})
"""In envoyproxy/envoy ``main`` (``source/extensions/formatter/datasource/config.cc``,
``all_headers/all_headers.cc``) but in no release changelog up to 1.39.0.  Not consulted by ``is_known``."""

REMOVED_BEFORE_1_10: frozenset[str] = frozenset({"DOWNSTREAM_ADDRESS"})
"""In ``access_log_formatter.cc`` of v1.5.0 and v1.6.0 only; removed by Envoy commit 4380526a1d
("deprecations: remove DOWNSTREAM_ADDRESS and CLIENT_IP formatters").  Not consulted by ``is_known``."""

# NAME, then an optional "(args)" running to the last ")", then an optional ":<digits>" length limit.
_OPERATOR = re.compile(r"(?P<name>[A-Z0-9_]+)(?:\((?P<args>.*)\))?(?::[0-9]+)?", re.DOTALL)


def is_known(operator: str) -> bool:
    """Whether some Envoy release (1.10-1.39) knows the command operator written between the ``%`` signs.

    ``operator`` is e.g. ``REQ(USER-AGENT):64``, ``START_TIME(%s.%3f)``,
    ``DYNAMIC_METADATA(istio.mixer:status)`` or ``UPSTREAM_HOST``.  A trailing ``:<digits>`` length
    limit is ignored; a name written without parentheses must be in ``PLAIN``, one written with them
    (even empty ones) must be in ``WITH_ARGS``.  Operator names are case-sensitive, as in Envoy.
    Operators a dynamic-module formatter (``envoy.formatter.dynamic_modules``, 1.39) defines at run
    time cannot be known here and are reported as unknown.
    """
    match = _OPERATOR.fullmatch(operator)
    if match is None:
        return False
    if match.group("args") is None:
        return match.group("name") in PLAIN
    return match.group("name") in WITH_ARGS


HEADER_OPERATORS: frozenset[str] = frozenset(
    {"REQ", "RESP", "TRAILER", "REQ_WITHOUT_QUERY", "REQUEST_HEADER", "RESPONSE_HEADER", "RESPONSE_TRAILER"}
)
"""Operators whose argument is ``HEADER`` or ``HEADER?ALTERNATIVE`` (Envoy's ``parseSubcommandHeaders``)."""

TIME_OPERATORS: frozenset[str] = frozenset(
    {
        "START_TIME",
        "START_TIME_LOCAL",
        "EMIT_TIME",
        "EMIT_TIME_LOCAL",
        "DOWNSTREAM_PEER_CERT_V_START",
        "DOWNSTREAM_PEER_CERT_V_END",
        "UPSTREAM_PEER_CERT_V_START",
        "UPSTREAM_PEER_CERT_V_END",
    }
)
"""Operators Envoy prints with its ``SystemTimeFormatter``: bare, ``2024-05-01T10:00:00.000Z``
(``%Y-%m-%dT%H:%M:%E3SZ``); with an argument, that argument as an absl/strftime format, plus Envoy's
own ``%s`` (seconds since the Epoch) and ``%f`` / ``%1f``…``%9f`` (fractional seconds)."""


# Envoy's getSystemTimeFormatNewlinePattern: "%n" with strftime's flags, width and modifier
_TIME_NEWLINE = re.compile(r"%[-_0^#]*[1-9]*[EO]?n")


def argument_problem(operator: str) -> str | None:
    """Why Envoy would refuse the argument of an operator :func:`is_known` accepts, or None.

    An operator that requires an argument (in ``WITH_ARGS`` and not in ``PLAIN``, Envoy's
    ``PARAMS_REQUIRED``) refuses empty parentheses ("REQ requires parameters"); a header operator
    refuses an empty header name on either side of ``?`` and more than one alternative; a time
    operator refuses a format that prints a newline ("Format string contains newline").
    """
    match = _OPERATOR.fullmatch(operator)
    if match is None or match.group("args") is None:
        return None
    name, args = match.group("name"), match.group("args")
    if name in HEADER_OPERATORS:
        names = args.split("?")
        if len(names) > 2:
            return f"%{operator}% names more than one alternative header (Envoy allows %{name}(A?B)%)"
        if any(not header.strip() for header in names):
            return f"%{operator}% has an empty header name, e.g. %{name}(USER-AGENT)% or %{name}(X-A?X-B)%"
        return None
    if name in TIME_OPERATORS and _TIME_NEWLINE.search(args):
        return f"%{operator}%: a time format may not print a newline (Envoy refuses %n in it)"
    if name not in PLAIN and not args.strip():
        return f"%{name}()% has an empty argument; %{name}% needs one, e.g. %{name}(...)%"
    return None
