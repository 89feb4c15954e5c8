"""Turning Envoy access-log fields into an audit decision, and the decision into words.

Shared by the TEXT, JSON and custom-format access-log parsers so that the same request
is classified the same way whatever encoding the proxy used.  The decision reads only the
fields that decide (:class:`AccessFacts`: status, flags, details, whether an upstream host
was reached, the TLS failure reason, whether it was an HTTP request); it is computed once
per distinct combination.  The summary and the explanatory attributes are built only when
someone reads the event.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from ..events import Decision, Source
from ..text import clip
from .flags import UPSTREAM_FAILURE_FLAGS, decode_details, explain_flags
from .result import Action

# What an access-log line (TEXT, JSON, custom or loose) can be, in the order access_decision tries them.
ACCESS_ACTIONS: tuple[Action, ...] = (
    Action(
        "authz.deny",
        "auth",
        "deny",
        True,
        "details `rbac_access_denied_matched_policy[…]` (HTTP, or a TCP "
        "connection's termination details); a 403 with no details, no flags, no upstream host (pre-1.9 formats)",
    ),
    Action("jwt.reject", "auth", "deny", True, "details `jwt_authn_access_denied{…}`; a bare proxy-generated 401"),
    Action(
        "oauth.challenge",
        "auth",
        "deny",
        True,
        "details `oauth.missing_credentials`: Envoy's OAuth2 filter sent a request without credentials to log in",
    ),
    Action("oauth.login", "auth", "success", False, "details `oauth.logged_in`: the OAuth2 filter's login completed"),
    Action(
        "extauthz.error",
        "auth",
        "failure",
        False,
        "details `ext_authz_error`; Mixer `UAEX` with an "
        "`UNAVAILABLE`/`DEADLINE_EXCEEDED`/`INTERNAL` status (the check failed closed)",
    ),
    Action(
        "extauthz.deny",
        "auth",
        "deny",
        True,
        "flag `UAEX` or details `ext_authz_denied`; Mixer `PERMISSION_DENIED`/`UNAUTHENTICATED`",
    ),
    Action("mtls.reject", "auth", "deny", True, "details `filter_chain_not_found` (plaintext to a strict-mTLS port)"),
    Action(
        "mtls.handshake_failure",
        "auth",
        "failure",
        True,
        "an upstream transport failure reason naming TLS, SSL or a certificate",
    ),
    Action("route.no_route", "routing", "failure", False, "flag `NR` or details `route_not_found`"),
    Action(
        "ratelimit.limited",
        "routing",
        "failure",
        False,
        "flag `RL`, details `local_rate_limited` or `request_rate_limited`",
    ),
    Action(
        "fault.injected",
        "routing",
        "success|failure",
        False,
        "flag `FI` (aborted: failure), `DI` (delayed: success when answered below 400)",
    ),
    Action(
        "upstream.failure",
        "routing",
        "failure",
        False,
        "an upstream flag (`UH UF UO URX NC UT LR UR UC UPE UMSDR DF OM DO UDO LH`) or details `upstream_reset…`, "
        "`response_timeout`, `upstream_per_try_timeout`, `no_healthy_upstream` …",
    ),
    Action("downstream.disconnect", "routing", "failure", False, "flag `DC` or details `downstream_remote_disconnect`"),
    Action("tcp.connection", "routing", "success|failure", False, 'a TCP line (`"- - -"`): failure with any flag'),
    Action(
        "http.request",
        "routing",
        "success|failure|unknown",
        False,
        "any other request: failure at 4xx/5xx or status 0, or with details of a stream that failed after its "
        "status (`stream_idle_timeout`, `wasm_fail_stream`, `downstream_local_disconnect(…)` …); unknown when its "
        "format logs no status",
    ),
)

_TLS_WORDS = ("TLS", "SSL", "CERTIFICATE", "certificate", "tls")


class AccessFacts(NamedTuple):
    """The fields of an access-log line that decide what it means."""

    status: int | None
    flags: tuple[str, ...]
    details: str | None
    upstream_host: bool
    tls_failure: bool  # UPSTREAM_TRANSPORT_FAILURE_REASON names a TLS/certificate problem
    http: bool  # a request (method or path, or a status other than 0) was logged; TCP lines have none


# Envoy's response code details (envoy/stream_info/stream_info.h ResponseCodeDetailValues, and the Wasm filter's) that
# say the upstream failed, or the stream did, whatever status the line logged
_UPSTREAM_DETAILS = frozenset(
    "response_timeout upstream_per_try_timeout upstream_per_try_idle_timeout upstream_max_stream_duration_reached "
    "no_healthy_upstream".split()
)
# the codecs' own words in response code details (http2.invalid.header.field, http1.codec_error, codec_error)
_CODEC_DETAILS = ("http2.", "http1.", "http3.", "codec_error", "codec error")
_FAILED_STREAM_DETAILS = frozenset(
    "stream_idle_timeout max_duration_timeout request_overall_timeout request_header_timeout downstream_header_timeout "
    "duration_timeout request_payload_too_large response_payload_too_large request_payload_exceeded_retry_buffer_limit "
    "filter_removed_required_request_headers filter_removed_required_response_headers "
    "filter_added_invalid_request_data filter_added_invalid_response_data early_connect_data "
    "websocket_handshake_unsuccessful upgrade_failed overload drop_overload unconditional_drop_overload "
    "wasm_fail_stream".split()
)


def facts_from(attrs: dict[str, Any]) -> AccessFacts:
    """The deciding facts of an access log already turned into attributes (the JSON encoding)."""
    status = attrs.get("http.response.status_code")
    reason = attrs.get("envoy.upstream_transport_failure_reason")
    # (a record's odd values -- a list or an object where a string belongs -- decide nothing: the facts are hashed)
    listed = attrs.get("envoy.response_flags")
    flags = tuple(flag for flag in listed if isinstance(flag, str)) if isinstance(listed, list | tuple) else ()
    return AccessFacts(
        status if isinstance(status, int) else None,
        flags,
        deciding_details(
            _text(attrs.get("envoy.response_code_details")),
            _text(attrs.get("envoy.connection_termination_details")),
            _text(attrs.get("istio.mixer_status")),
            flags,
        ),
        bool(attrs.get("envoy.upstream_host")),
        bool(reason) and any(word in str(reason) for word in _TLS_WORDS),
        # (a record that logs neither, a custom format or one cut before them: a status other than 0 is an HTTP
        # response's -- TCP records log 0)
        attrs.get("http.request.method") is not None
        or attrs.get("url.path") is not None
        or (isinstance(status, int) and status > 0),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def deciding_details(
    details: str | None, termination: str | None, mixer: str | None = None, flags: tuple[str, ...] | list[str] = ()
) -> str | None:
    """The details that decide.

    The response-code details; or, for a TCP connection, the network RBAC filter's
    ``rbac_access_denied_matched_policy[…]``, which Envoy sets as the connection termination
    details instead (``"- - -" 0 - - rbac_access_denied_matched_policy[none]``); or, in the
    Mixer era (Istio ≤1.4), a ``UAEX`` whose ``istio.mixer:status`` says whether the policy
    check denied (``PERMISSION_DENIED``, ``UNAUTHENTICATED``) or could not be made
    (``UNAVAILABLE:no healthy upstream``: the check failed closed, not a policy decision).
    """
    if details and details != "-":
        return details
    if termination and termination.startswith("rbac_access_denied"):
        return termination
    if mixer and "UAEX" in flags:
        code = mixer.strip('"').partition(":")[0]
        if code in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
            return "ext_authz_denied"
        if code in ("UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "RESOURCE_EXHAUSTED"):
            return "ext_authz_error"
    return None


def tls_failure(reason: str | None) -> bool:
    return bool(reason) and any(word in reason for word in _TLS_WORDS)  # type: ignore[operator]


# words of a refusal in the details a filter's local reply carries (a plugin names them itself)
_REFUSING_DETAILS = re.compile(
    r"(?i)unauthori[sz]ed|unauthenticated|forbidden|denied|\bdeny|blocked|\bwaf\b|coraza|modsec"
    # Envoy's own filters' words too: basic_auth's "invalid_credential_for_basic_auth" / "no_credential_for_basic_auth"
    # (401) and csrf's "csrf_origin_mismatch" (403) -- found in review
    r"|credential_for_basic_auth|csrf_origin_mismatch"
)


@lru_cache(maxsize=8192)  # a mesh logs a few hundred distinct combinations
def access_decision(facts: AccessFacts) -> Decision:
    """The decision for one access-log line (see :func:`access_summary` for its words)."""
    status, flags, details, upstream, tls_bad, http = facts
    kind = decode_details(details).get("kind", "")
    if kind.startswith("rbac_access_denied"):
        return Decision("auth", "deny", True, "warning", "authz.deny")
    if kind == "jwt_authn_access_denied":
        return Decision("auth", "deny", True, "warning", "jwt.reject")
    if kind == "oauth.missing_credentials":
        # (envoy source/extensions/filters/http/oauth2/filter.cc REDIRECT_FOR_CREDENTIALS: not let through, sent to
        # the identity provider -- OAuth's 401)
        return Decision("auth", "deny", True, "warning", "oauth.challenge")
    if kind == "oauth.logged_in":
        return Decision("auth", "success", False, "info", "oauth.login")
    if kind == "ext_authz_error":
        return Decision("auth", "failure", False, "error", "extauthz.error")
    if kind == "ext_authz_denied" or "UAEX" in flags:
        return Decision("auth", "deny", True, "warning", "extauthz.deny")
    if kind == "filter_chain_not_found":
        return Decision("auth", "deny", True, "warning", "mtls.reject")
    if status in (401, 403) and kind and kind != "via_upstream" and _REFUSING_DETAILS.search(kind):
        # a 401/403 a filter of the proxy's own answered with, its details naming why: a Wasm or Lua plugin's
        # authentication or WAF refusing the request ("via_wasm::higress-system.gpustack-llm-ext-auth::ext-auth.
        # unauthorized", blind set holdout160) -- the upstream's own 403 says via_upstream
        return Decision("auth", "deny", True, "warning", "authz.deny")
    if tls_bad or (details and ("TLS_error" in details or "TLS error" in details)):
        # the reason in the transport failure field, or inside the details
        # (upstream_reset_before_response_started{connection_failure,TLS_error:…CERTIFICATE_VERIFY_FAILED})
        return Decision("auth", "failure", True, "error", "mtls.handshake_failure")
    if not kind and not flags and not upstream and status in (401, 403):
        # Pre-1.9 formats carry no response-code details: a 401/403 that never reached
        # an upstream host was generated by the proxy's own authn/authz filters.
        return Decision("auth", "deny", True, "warning", "authz.deny" if status == 403 else "jwt.reject")
    if "NR" in flags or kind == "route_not_found":
        return Decision("routing", "failure", False, "warning", "route.no_route")
    if "RL" in flags or kind in ("local_rate_limited", "request_rate_limited"):
        return Decision("routing", "failure", False, "warning", "ratelimit.limited")
    if "FI" in flags or ("DI" in flags and (status is None or status == 0 or status >= 400)):
        return Decision("routing", "failure", False, "info", "fault.injected")
    if "DI" in flags:  # delayed by fault injection, then answered
        return Decision("routing", "success", False, "info", "fault.injected")
    if UPSTREAM_FAILURE_FLAGS.intersection(flags) or kind.startswith("upstream_reset") or kind in _UPSTREAM_DETAILS:
        return Decision("routing", "failure", False, "error", "upstream.failure")
    if "DC" in flags or "DR" in flags or kind == "downstream_remote_disconnect":
        return Decision("routing", "failure", False, "warning", "downstream.disconnect")
    if http and (kind in _FAILED_STREAM_DETAILS or kind.startswith("downstream_local_disconnect")):
        # the stream failed whatever status was logged: a timeout or a filter's failure after the headers went out
        # (a 200 with wasm_fail_stream, stream_idle_timeout)
        return Decision("routing", "failure", False, "warning", "http.request")
    if status in (None, 0) and kind.startswith(_CODEC_DETAILS):
        # no response at all because the codec refused what came in ("- - HTTP/2" 0 - http2.too_many_headers, blind
        # set holdout161): an HTTP request that failed, though its record names no method
        return Decision("routing", "failure", False, "warning", "http.request")
    if not http:
        failed = bool(flags)
        return Decision(
            "routing", "failure" if failed else "success", False, "warning" if failed else "info", "tcp.connection"
        )
    if status is not None and status >= 500:
        return Decision("routing", "failure", False, "error", "http.request")
    if status is not None and (status >= 400 or status == 0):
        return Decision("routing", "failure", False, "warning", "http.request")
    if status is None:
        # (a format that leaves the status out, or a status no number: where it went is known, how it ended is not)
        return Decision("routing", "unknown", False, "info", "http.request")
    return Decision("routing", "success", False, "info", "http.request")


def who(source: Source | None, attrs: dict[str, Any]) -> str:
    """The workload a decision happened at, as an operator would name it."""
    if source is not None and source.pod:
        return f"{source.namespace}/{source.pod}" if source.namespace else source.pod
    service = attrs.get("istio.destination.service")
    if service:
        return str(service)
    host = attrs.get("server.address")
    if host:
        return str(host)
    return "proxy"


def _request_words(attrs: dict[str, Any]) -> str:
    method = attrs.get("http.request.method")
    status = attrs.get("http.response.status_code")
    if method is None and isinstance(status, int) and status > 0:
        # a status with no request shown (a custom format that logs none, a line cut before it): still a request
        host = attrs.get("server.address")
        return f"a request to {clip(str(host), 120)}" if host else "a request"
    if method is None:
        client = attrs.get("client.address", "?")
        upstream = attrs.get("envoy.upstream_host") or attrs.get("envoy.upstream_cluster") or "?"
        # (an HTTP request refused before it had a method -- the codec's -- names its protocol, not TCP)
        version = attrs.get("network.protocol.version")
        return f"{f'HTTP/{version}' if version else 'TCP'} {client} -> {upstream}"
    path = attrs.get("url.path", "")
    query = attrs.get("url.query")
    target = f"{path}?{query}" if query else path
    return f"{method} {clip(str(target), 120)}"


def access_summary(attrs: dict[str, Any], source: Source | None, decision: Decision) -> str:
    """The decision in words; adds the attributes that explain it (policy, JWT reason, flags in words)."""
    status = attrs.get("http.response.status_code")
    flags: list[str] = attrs.get("envoy.response_flags") or []
    if flags:
        attrs["envoy.response_flags_explained"] = explain_flags(flags)
    details = decode_details(
        deciding_details(attrs.get("envoy.response_code_details"), attrs.get("envoy.connection_termination_details"))
    )
    kind = details.get("kind", "")
    if "explanation" in details:
        attrs["envoy.response_code_details_explained"] = details["explanation"]
    request = _request_words(attrs)
    status_text = f" -> {status}" if isinstance(status, int) and status else ""
    action = decision.action
    if action == "http.request" or action == "tcp.connection":  # most lines: first, and no place needed
        duration = attrs.get("envoy.duration_ms")
        timing = f" in {duration}ms" if isinstance(duration, int) else ""
        target = attrs.get("envoy.upstream_cluster")
        via = f" via {target}" if target else ""
        if action == "tcp.connection":
            return f"{request}{timing}{via}"
        return f"{request}{status_text}{timing}{via}"
    place = who(source, attrs)

    if action == "authz.deny" and kind.startswith("rbac_access_denied"):
        policy = details.get("policy") or "none"
        attrs["istio.policy"] = policy
        by = policy if policy != "none" else "default deny (ALLOW policies exist, none matched)"
        return f"{place} denied {request} by {by}"
    if action == "jwt.reject" and kind == "jwt_authn_access_denied":
        reason = details.get("reason", "unknown reason")
        attrs["jwt.failure_reason"] = reason
        return f"{place} rejected JWT for {request}: {reason}"
    if action == "oauth.challenge":
        return f"{place} sent {request} without credentials to log in (OAuth2){status_text}"
    if action == "oauth.login":
        return f"{place} completed an OAuth2 login for {request}{status_text}"
    if action == "extauthz.error":
        return f"{place} could not reach external authorization for {request}{status_text}"
    if action == "extauthz.deny":
        return f"{place} external authorization denied {request}{status_text}"
    if action == "mtls.reject":
        return (
            f"{place} rejected connection from {attrs.get('client.address', '?')}: no filter chain "
            "matched (plaintext to a strict-mTLS port?)"
        )
    if action == "mtls.handshake_failure":
        reason = attrs.get("envoy.upstream_transport_failure_reason")
        return (
            f"{place} TLS handshake to {attrs.get('envoy.upstream_host', '?')} failed for {request}: "
            f"{clip(str(reason), 100)}"
        )
    if action in ("authz.deny", "jwt.reject"):  # inferred from a bare 401/403 of a pre-1.9 format
        attrs["meshtail.inferred"] = "proxy-generated response (no upstream host, no response code details)"
        if action == "authz.deny":
            attrs["istio.policy"] = "unknown"
            return f"{place} denied {request} (403 from proxy)"
        return f"{place} rejected credentials for {request} (401)"
    if action == "route.no_route":
        return f"{place} has no route for {request}"
    if action == "ratelimit.limited":
        return f"{place} rate limited {request}"
    if action == "fault.injected":
        if "FI" not in flags:
            return f"{place} delayed {request} by fault injection{status_text}"
        return f"{place} aborted {request} by fault injection{status_text}"
    if action == "upstream.failure":
        words = ", ".join(flags) if flags else kind
        target = attrs.get("envoy.upstream_cluster") or attrs.get("envoy.upstream_host") or "upstream"
        return f"{place} {request}{status_text} failed at {target} ({words})"
    if action == "downstream.disconnect":
        return f"client disconnected during {request}"
    return f"{place} {request}{status_text}"


def classify_access(attrs: dict[str, Any], source: Source | None) -> tuple[Decision, str]:
    """Decision and summary of an access log already turned into attributes; may add attributes."""
    decision = access_decision(facts_from(attrs))
    return decision, access_summary(attrs, source, decision)
