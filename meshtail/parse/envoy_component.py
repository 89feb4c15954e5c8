"""Envoy's own component logs (rbac, jwt, ext_authz, TLS, xDS, codecs, wasm, lua, crashes, ...).

Not access logs: what Envoy's loggers print, in every shape it reaches an operator
(real lines of each in tests/data/corpus/envoy/component-*.jsonl):

* spdlog's default, standalone Envoy and old sidecars:
  ``[2024-09-26 11:40:13.329][3492045][debug][rbac] [source/…/rbac_filter.cc:182] msg``
  (with or without the location, the legacy ``file:line]`` without its opening bracket,
  a backtrace's empty ``:70]``, behind ``[Envoy (Epoch 0)] `` when pilot-agent relays it);
* Istio's ``ts\\tlevel\\tenvoy <logger>[ <file>:<line>]\\tmsg[\\tthread=N]`` (pilot-agent sets
  Envoy's ``--log-format``), also with its tabs expanded to spaces and ``thread=`` glued on;
* Istio's JSON (``--log_as_json``): ``{"level","time","scope":"envoy <logger>","msg","caller","thread"}``;
* inside the message: Envoy ≥ 1.30's ``[Tags: "ConnectionId":"7","StreamId":"…"]`` or the
  older ``[C7][S123]`` connection and stream ids;
* pieces of those lines pasted alone: a message without its prefix that only Envoy prints
  (``gRPC config for … rejected``, ``[C7][S1] …``, ``source/…cc:226] …``), the lines of a
  debug header dump (``':authority', 'foo'``), a ``thread=N`` tail cut off by a newline.

A foreign prefix in front of an unmistakable Envoy head (a grep line number, a
docker-compose ``name | ``, a log viewer's own timestamp, stern's ``pod container``)
is kept as ``log.prefix``; the wrappers detect.py knows are peeled before this module
sees the line.

Every regular expression here is linear on hostile input: heads are searched for only
in the first :data:`HEAD` characters, quantifiers are bounded or possessive, and the
message is classified from its first :data:`DECIDE` characters with plain ``in`` tests.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..events import Source
from ..text import clip
from .result import Action, Parsed, action_word, attr_key, severity_of
from .timestamps import normalize

FORMAT = "envoy-component"
HEAD = 512  # prefixes and heads are looked for in this many leading characters
DECIDE = 4096  # the message is classified from this many leading characters

LEVELS = ("trace", "debug", "info", "warning", "warn", "error", "critical")
_LEVEL = r"(?P<level>trace|debug|info|warning|warn|error|critical)"
_STAMP = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?"

# ``[ts][thread][level][logger]``, any leading part missing (a paste cut at the front)
_BRACKETED = re.compile(
    rf"(?:\[?(?P<stamp>{_STAMP})\])?(?:\[(?P<thread>\d{{1,12}}+)\])?"
    rf"\[?{_LEVEL}\]\[(?P<logger>[\w.-]{{1,64}}+)\]"
)
# ``[logger] [file:line]`` with the stamp, thread and level cut off
_LOGGER_ONLY = re.compile(r"\[(?P<logger>[a-z][\w.-]{0,63}+)\] (?=\[?(?:\*\*)?[\w./+-]{1,400}+:\d)")
# Istio's column shape: level, ``envoy <logger>``, optionally `` <file>:<line>``
_TABBED = re.compile(
    rf"(?<![^\s]){_LEVEL}(?:\t| {{1,16}}+)envoy (?P<logger>[\w.-]{{1,64}}+)"
    r"(?: (?P<file>[\w./+-]{1,400}+):(?P<line>\d{1,7}+))?(?=[\t ]|$)"
)
_LOGGER_TAB = re.compile(r"envoy (?P<logger>[\w.-]{1,64}+)\t")
_STAMP_TOKEN = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?|\[[A-Za-z_ ]{1,20}\]"
)
_SOURCE_FILE = (".cc", ".h", ".cpp", ".hpp", ".c")
# ``[file:line] `` / ``file:line] `` / ``**file:line**] `` / a backtrace's `` :70] `` at the message start
_LOCATION = re.compile(r"\s{0,4}+\[?(?:\*\*)?(?P<file>[\w./+-]{0,400}+):(?P<line>\d{1,7}+)(?:\*\*)?\] ?")
_IDS = re.compile(r"\[C(?P<conn>\d{1,20}+)\](?:\[S(?P<stream>\d{1,20}+)\])? ?")
_TAGS = re.compile(r"\[Tags: (?P<tags>[^\]]{0,1024}+)\] ?")
_TAG_PAIR = re.compile(r'"(\w{1,64}+)":"([^"]{0,256}+)"')
_EPOCH = re.compile(r"\[Envoy \(Epoch (\d{1,6}+)\)\]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# one header of a debug dump: ``'name', 'value'`` (``'name':'value'`` in 2018 releases)
_HEADER_LINE = re.compile(r"'(?P<name>:?[!#$%&*+.^_`|~0-9A-Za-z-]{1,256}+)' ?[:,] ?'(?P<value>.*)'\Z", re.S)
_HEADER_KV = re.compile(r"completed header: key=(?P<name>[^\s=]{1,256}+) value=(?P<value>.*)\Z", re.S)
_THREAD_ONLY = re.compile(r"\s{0,64}+thread=(\d{1,12}+)\s*")

_POLICY = re.compile(r"matched policy (\S{1,512}+)")
_JWT_DONE = re.compile(
    r"(?:JWT token verification|Jwt authentication|JWT authentication) completed with: (?P<reason>.{0,512}+)"
)
_JWT_ONDONE = re.compile(r"JwtVerificationFilter::onDone with status (?P<reason>.{0,512}+)")
_EXT_AUTHZ_CODE = re.compile(r"(?:Response status code|received status code):? '?(\d{3})")
_XDS_REJECT = re.compile(
    r"(?:gRPC|delta) config for (?P<type>\S{1,256}?)(?: update)? rejected: (?P<error>.{0,4096}+)", re.S
)
_XDS_CLOSED = re.compile(
    r"(?P<stream>\w{1,64}+ )?gRPC config stream (?:to \S{1,256}+ )?closed(?: since \d{1,12}+s ago)?: "
    r"(?P<code>-?\d{1,4}+),? ?(?P<error>.{0,1024}+)",
    re.S,
)
_FETCH_FAILURE = re.compile(r"(?P<api>[a-z]{2,5}+): fetch failure: (?P<error>.{0,4096}+)", re.S)
_XDS_UPDATE = re.compile(
    r"(?P<api>cds|lds|rds|eds|sds|vhds|srds|ecds): (?:add|added|remove|removed|loading|add/update|update|updated)\b"
)
_HANDSHAKE = re.compile(r"handshake error: (\d{1,4}+)")
_LOCAL_REPLY = re.compile(r"Sending local reply with details (?P<details>\S{1,1024}+)")
_FILTER_STATE = re.compile(r"Created the filter state '(?P<name>[^']{1,256}+)' from value '(?P<value>[^']{0,1024}+)'")
_WASM_FILTER = re.compile(r"(?P<listener>[^\s:]{1,256}+): Unable to create Wasm ")
_MIXER_CHECK = re.compile(r"Called Mixer::Filter : check complete (?P<status>.{0,512}+)")

# a message pasted without its prefix, Envoy's by its first words
_FRAGMENT_STARTS = (
    "gRPC config for ",
    "delta config for ",
    "gRPC config stream ",
    "Error adding/updating listener",
    "error adding listener",
    "lds: fetch failure",
    "cds: fetch failure",
    "rds: fetch failure",
    "Unable to establish new stream",
    "Invalid path: ",
    "script load error: ",
    "script log: ",
    "wasm log",
    "Wasm VM failed",
    ", dynamicMetadata: ",
    "dynamicMetadata: ",
    "ext_authz filter ",
    "JWT token verification completed with: ",
    "Jwt authentication completed with: ",
)
_NAMED_STREAM = re.compile(r"\w{1,64}+ gRPC config stream ")

_AUTH_LOGGERS = frozenset(("rbac", "jwt", "jwt_authn", "ext_authz", "oauth2", "basic_auth", "authn", "secret"))
_AUTH_PATHS = ("/rbac/", "/jwt_auth", "/authn/", "/ext_authz/", "/oauth2/", "/basic_auth/", "/authz/")
_JWT_LOGGERS = frozenset(("jwt", "jwt_authn"))
_CODEC_ERRORS = (
    "invalid http2:",
    "invalid frame:",
    "codec error",
    "protocol error",
    "Error dispatching received data",
    "dispatch error:",
    "http/1.1 protocol error",
    "HTTP/1.1 protocol error",
    "malformed",
)
_UPSTREAM_FAILURES = (
    "no healthy host",
    "upstream timeout",
    "upstream request timeout",
    "upstream reset:",
    "upstream per try timeout",
    "connect timeout",
)
_CRASH = (
    "std::terminate called",
    "Caught Segmentation fault",
    "Caught Aborted",
    "Caught signal",
    "Backtrace (use tools/stack_decode.py",
    "panic: ",
)
_READY = (
    "all clusters initialized",
    "all dependencies initialized. starting workers",
    "starting main dispatch loop",
    "starting workers",
)
_BENIGN_DETAILS = ("direct_response", "admin_filter_response", "internal_redirect", "via_upstream", "cors_")
_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3}

ACTIONS: tuple[Action, ...] = (
    Action("authz.allow", "auth", "allow", False, "rbac: `enforced allowed` or `no engine, allowed by default`"),
    Action(
        "authz.deny",
        "auth",
        "deny",
        True,
        "rbac: `enforced denied` (policy from `matched policy …`); a local reply with details `rbac_access_denied…`",
    ),
    Action("authz.shadow_allow", "auth", "allow", False, "rbac: `shadow allowed` (dry-run policy would allow)"),
    Action("authz.shadow_deny", "auth", "allow", "dry-run", "rbac: `shadow denied` (dry-run policy would deny)"),
    Action(
        "authz.check",
        "auth",
        "unknown|failure",
        False,
        "rbac: `checking request:`/`checking connection:` and other rbac chatter",
    ),
    Action("jwt.accept", "auth", "allow", False, "jwt_authn: `… completed with: OK`, JwtVerificationFilter `OK`"),
    Action(
        "jwt.reject",
        "auth",
        "deny",
        True,
        "jwt_authn: `… completed with: <failure>` (expired, verification "
        "fails, issuer not configured, …) at any level; a local reply `jwt_authn_access_denied…`",
    ),
    Action("jwt.missing", "auth", "unknown|failure", False, "jwt_authn: `… completed with: Jwt is missing`"),
    Action("jwt.jwks_failure", "auth", "failure", False, "jwt_authn: fetching a provider's JWKS failed"),
    Action(
        "jwt.log",
        "auth",
        "unknown|failure",
        False,
        "jwt_authn and Istio's authn filter: any other line (failure at error/critical, as for every *.log/chatter "
        "action here)",
    ),
    Action(
        "extauthz.allow",
        "auth",
        "allow",
        False,
        "ext_authz: `ext_authz filter allowed/accepted the request` (also fail-open `allowed the request with error`)",
    ),
    Action(
        "extauthz.deny",
        "auth",
        "deny",
        True,
        "ext_authz: `rejected the request. Response status code: '4xx` "
        "at any level, `is disabled. Deny the request.`, local reply `ext_authz_denied`",
    ),
    Action(
        "extauthz.error",
        "auth",
        "failure",
        False,
        "ext_authz: `rejected the request with an error`, local reply `ext_authz_error` (fail-closed)",
    ),
    Action(
        "extauthz.log",
        "auth",
        "unknown|failure",
        False,
        "ext_authz: calling the server, CheckRequest/CheckResponse, headers added",
    ),
    Action(
        "mixer.check", "auth", "allow|deny", "when denied", "Istio's legacy Mixer filter: `check complete <status>`"
    ),
    Action(
        "tls.handshake_error",
        "auth",
        "failure",
        True,
        "`TLS error: …:SSL routines:…`, `SSL error`, `handshake "
        "error: N` (not 2/3), a pool's `failure reason: TLS error`, a local reply with a TLS error",
    ),
    Action(
        "tls.handshake",
        "auth",
        "unknown|failure",
        False,
        "`handshake expecting read|write`, `handshake error: 2|3` (waiting for data)",
    ),
    Action("tls.socket_match", "auth", "unknown|failure", False, "`transport socket match, socket tlsMode-… selected`"),
    Action("auth.peer_identity", "auth", "unknown|failure", False, "a filter state holding a principal or SPIFFE id"),
    Action(
        "auth.log", "auth", "unknown|failure", False, "other auth filters' chatter (oauth2, basic_auth, authz paths)"
    ),
    Action(
        "xds.reject",
        "config",
        "failure",
        True,
        "`gRPC config for <type> [update] rejected: …` (also delta), "
        "`lds: fetch failure: <bad config>`, `error adding listener`, `Error adding/updating listener`, "
        "`<listener>: Unable to create Wasm … filter`, with or without a prefix",
    ),
    Action("xds.fetch_failure", "config", "failure", False, "`cds|lds: fetch failure: network error`"),
    Action(
        "xds.stream_closed",
        "config|auth",
        "failure|unknown",
        "when an SDS certificate was refused (x509, Unauthenticated)",
        "`[<Stream>] gRPC config stream closed: "
        "<code>, …` (code 0 unknown; StreamSecrets = auth, codes 0/2 unknown unless a certificate failed), "
        "`Unable to establish new stream`",
    ),
    Action(
        "xds.update",
        "config",
        "change",
        False,
        "`cds: add N cluster(s)…`, `lds: add/update listener …`, `rds: loading new configuration`",
    ),
    Action("config.loaded", "config", "success", False, "startup `loading N cluster(s)|listener(s)`"),
    Action("config.invalid", "config", "failure", True, "`error initializing configuration …`, `Invalid path: …`"),
    Action(
        "config.log",
        "config",
        "unknown|failure",
        False,
        "listener add/update chatter, ignored type URLs, deprecated options",
    ),
    Action(
        "http.codec_error", "routing", "failure", False, "`invalid http2:`, `invalid frame:`, codec/protocol errors"
    ),
    Action(
        "upstream.failure", "routing", "failure", False, "`no healthy host …`, `upstream timeout`, `upstream reset: …`"
    ),
    Action(
        "http.local_reply",
        "routing",
        "failure",
        False,
        "`Sending local reply with details <details>` (details other than auth, TLS and benign ones)",
    ),
    Action(
        "http.header",
        "other",
        "unknown|failure",
        False,
        "one header of a debug dump (`'name', 'value'`, `completed header: key=… value=…`)",
    ),
    Action(
        "wasm.error",
        "other",
        "failure",
        False,
        "`Wasm VM failed …`, `Plugin configured to fail closed failed "
        "to load`, `Function: … failed`, a plugin's panic or error",
    ),
    Action("lua.error", "other", "failure", False, "`script load error`, lua runtime errors, `script log` at error"),
    Action("envoy.crash", "other", "failure", False, "`[backtrace]` lines, `std::terminate called`, caught signals"),
    Action(
        "envoy.ready",
        "other",
        "success",
        False,
        "`all clusters initialized`, `starting workers`, `starting main dispatch loop`",
    ),
    Action(
        "envoy.continuation",
        "other",
        "unknown|failure",
        False,
        "a piece of a multi-line message: a lone `thread=N`, rbac's `dynamicMetadata:` tail",
    ),
    Action(
        "envoy.<logger>",
        "other",
        "unknown|failure",
        False,
        "anything else, named after Envoy's logger (`envoy.log` for a fragment without one); failure at error/critical",
    ),
)


# ------------------------------------------------------------------ reading the shapes
def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """Any text shape of Envoy's component log (see the module docstring), or None."""
    if not body or body[0] == "{":
        # a line starting with "{" is JSON's (detect.py gives such lines to the JSON families only;
        # reading one here too would make a stored event read back differently)
        return None
    head = body[:HEAD]
    if "][" in head or head.startswith("["):
        parsed = _bracketed(body, head, source)
        if parsed is not None:
            return FORMAT, parsed
    if "envoy " in head:
        parsed = _tabbed(body, head, source)
        if parsed is not None:
            return FORMAT, parsed
    parsed = _fragment(body, head, source)
    return None if parsed is None else (FORMAT, parsed)


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """Envoy's component log as JSON (Istio's ``--log_as_json`` relays it with scope ``envoy <logger>``), or None.

    A container runtime's envelope (``{"log": "<line>\\n", "stream", "time"}`` and the
    ``message``/``line`` of log shippers) around a text line this module reads is read too.
    """
    scope = obj.get("scope")
    message = obj.get("msg", obj.get("message"))
    if isinstance(scope, str) and scope.startswith("envoy ") and isinstance(message, str):
        level = obj.get("level")
        level = level.lower() if isinstance(level, str) else None
        stamp = obj.get("time")
        attrs: dict[str, Any] = {}
        caller = obj.get("caller")
        if isinstance(caller, str):
            file, _, lineno = caller.rpartition(":")
            if file and lineno.isdigit():
                attrs["code.filepath"] = file
                attrs["code.lineno"] = int(lineno)
        thread = obj.get("thread")
        if isinstance(thread, int) or (isinstance(thread, str) and thread.isdigit() and len(thread) < 13):
            attrs["thread.id"] = int(thread)
        logger = scope[6:].strip() or "envoy"
        parsed = classify(normalize(stamp) if isinstance(stamp, str) else None, level, logger, message, attrs, source)
        parsed.decoded = True
        return FORMAT, parsed
    if scope is not None:
        return None
    for key in ("log", "message", "line"):
        inner = obj.get(key)
        if isinstance(inner, str) and inner:
            found = recognise(inner.rstrip("\r\n"), source)
            if found is not None:
                found[1].decoded = True
                found[1].attributes.setdefault("log.envelope", key)
            return found
    return None


def _bracketed(body: str, head: str, source: Source | None) -> Parsed | None:
    match = _BRACKETED.search(head)
    if match is None:
        match = _LOGGER_ONLY.match(head)
        if match is None:
            return None
        stamp = thread = level = None
    else:
        stamp, thread, level = match.group("stamp"), match.group("thread"), match.group("level")
    attrs: dict[str, Any] = {}
    if thread is not None:
        attrs["thread.id"] = int(thread)
    message = _prefix(body[: match.start()], body[match.end() :], attrs)
    return classify(normalize(stamp), level, match.group("logger"), message, attrs, source)


def _tabbed(body: str, head: str, source: Source | None) -> Parsed | None:
    match = _TABBED.search(head)
    attrs: dict[str, Any] = {}
    if match is None:
        if not head.startswith("envoy "):
            return None
        match = _LOGGER_TAB.match(head)
        if match is None:
            return None
        level = stamp = None
        rest = body[match.end() :]
    else:
        level = match.group("level")
        before = body[: match.start()].rstrip()
        stamp = None
        if before:
            token = before.rsplit(None, 1)[-1]
            bare = token.lstrip("`*\"'")
            if not _STAMP_TOKEN.fullmatch(bare):
                return None  # words before the level that are not a time: not Envoy's column shape
            stamp = bare
            attrs_prefix = before[: len(before) - len(token)] + token[: len(token) - len(bare)]
        else:
            attrs_prefix = ""
        file = match.group("file")
        end = match.end()
        if file is not None:
            if file.endswith(_SOURCE_FILE):
                attrs["code.filepath"] = file
                attrs["code.lineno"] = int(match.group("line"))
            else:  # a word of the message that happens to hold a colon (``10.0.0.1:80``)
                end = match.end("logger")
        rest = body[end:]
        rest = _prefix(attrs_prefix, rest, attrs)
    message = rest.lstrip("\t ")
    message = _strip_thread(message, attrs)
    return classify(normalize(stamp), level, match.group("logger"), message, attrs, source)


def _prefix(before: str, message: str, attrs: dict[str, Any]) -> str:
    """Record what stood in front of the head; undo what the prefix says wraps the message."""
    wrapper = before.strip()
    if not wrapper:
        return message
    epoch = _EPOCH.search(wrapper)
    if epoch is not None:
        attrs["envoy.restart_epoch"] = int(epoch.group(1))
        wrapper = (wrapper[: epoch.start()] + wrapper[epoch.end() :]).strip()
    if wrapper:
        attrs["log.prefix"] = clip(wrapper, 200)
    if before.endswith('"'):  # the line was cut out of a JSON string: the message ends at its closing quote
        closing = _json_string_end(message)
        try:
            message = json.loads('"' + message[:closing] + '"')
        except ValueError:
            message = message[:closing]
        message = message.rstrip("\r\n")
    elif wrapper.endswith("**") and message.endswith("**"):  # markdown bold around a pasted line
        message = message[:-2]
    return message


_UNESCAPED_QUOTE = re.compile(r'(?:[^"\\]|\\.)*+', re.S)


def _json_string_end(text: str) -> int:
    match = _UNESCAPED_QUOTE.match(text)
    return match.end() if match else len(text)


def _strip_thread(message: str, attrs: dict[str, Any]) -> str:
    """Istio's shape ends with ``\\tthread=N`` (a space when tabs were expanded; nothing when the message
    ended in a non-word character)."""
    index = message.rfind("thread=", max(0, len(message) - 40))
    if index < 0:
        return message
    digits = message[index + 7 :].strip()
    if not digits.isdigit() or len(digits) > 12:
        return message
    if index > 0 and (message[index - 1].isalnum() or message[index - 1] == "_"):
        return message
    attrs["thread.id"] = int(digits)
    return message[:index].rstrip()


def _fragment(body: str, head: str, source: Source | None) -> Parsed | None:
    """A message without its prefix that only Envoy prints, or a header dump line."""
    text = body.rstrip() if body[-1].isspace() else body
    if not text:
        return None
    first = text[0]
    attrs: dict[str, Any] = {}
    if first in "'‘" or text[-1] in "'’":
        header = _header_fragment(text, attrs)
        if header is not None:
            return classify(None, None, None, header, attrs, source)
    if (first.isspace() or first == "t") and "thread=" in head:
        thread = _THREAD_ONLY.fullmatch(text)
        if thread is not None:
            attrs["thread.id"] = int(thread.group(1))
            summary = "envoy: the thread=N tail of a multi-line message"
            return Parsed(None, "other", "unknown", False, "info", "envoy.continuation", summary, attrs)
    if first == "[" and (_IDS.match(text) or text.startswith('[Tags: "')):
        return classify(None, None, None, text, attrs, source)
    if "/" in head and ("cc:" in head or ".h:" in head or "pp:" in head):  # an Envoy source location
        location = _LOCATION.match(head)
        if location is not None and location.group("file").endswith(_SOURCE_FILE) and "/" in location.group("file"):
            return classify(None, None, None, text, attrs, source)
    if text.startswith(_FRAGMENT_STARTS) or (" gRPC config stream " in head and _NAMED_STREAM.match(head)):
        return classify(None, None, None, text, attrs, source)
    if "Unable to create Wasm " in head and _WASM_FILTER.match(head):
        return classify(None, None, None, text, attrs, source)
    return None


def _header_fragment(text: str, attrs: dict[str, Any]) -> str | None:
    """The message of a header dump line behind at most a wrapper (grep's ``N-``, a viewer's stamp), or None."""
    start = -1
    for quote in ("'", "‘"):
        index = text.find(quote, 0, HEAD)
        if index >= 0 and (start < 0 or index < start):
            start = index
    if start < 0:
        return None
    before = text[:start]
    if before and (before[-1] not in " \t-|:" or "'" in before or '"' in before):
        return None
    message = text[start:]
    if _header_attrs(message, attrs) is None:
        return None
    if before.strip():
        attrs["log.prefix"] = clip(before.strip(), 200)
    return message


def _header_attrs(message: str, attrs: dict[str, Any]) -> tuple[str, str] | None:
    """``'name', 'value'`` (curly quotes too), ``'name':'value'`` or ``completed header: key=… value=…``."""
    candidate = message.strip()
    if "‘" in candidate[:300] or "’" in candidate[-2:]:
        candidate = candidate.replace("‘", "'").replace("’", "'")
    match = _HEADER_LINE.match(candidate) if candidate[:1] == "'" else None
    if match is None:
        match = _HEADER_KV.match(candidate) if candidate.startswith("completed header: ") else None
    if match is None:
        return None
    name, value = match.group("name").lower(), match.group("value")
    attrs[attr_key("http.request.header", name)] = value
    return name, value


# ------------------------------------------------------------------ classifying
_CERT_TROUBLE = re.compile(r"(?i)failed to generate|certificate|x509|authenticat|secret|csr|no such host")
_IDENTITY_REFUSED = re.compile(
    r"(?i)x509|unknown authority|unauthenticated|authenticate failure|certificate verify|permission ?denied"
)


def _floor(severity: str, floor: str) -> str:
    return severity if _RANK[severity] >= _RANK[floor] else floor


def classify(
    time: str | None,
    level: str | None,
    logger: str | None,
    message: str,
    attrs: dict[str, Any],
    source: Source | None,
) -> Parsed:
    """Decide what one Envoy component message means; ``level``/``logger`` are None for a bare fragment."""
    for _ in range(4):  # location, tags and connection ids, in the order Envoy writes them
        if message.startswith("[C"):
            ids = _IDS.match(message)
            if ids is None:
                break
            attrs["envoy.connection_id"] = ids.group("conn")
            if ids.group("stream"):
                attrs["envoy.stream_id"] = ids.group("stream")
            message = message[ids.end() :]
            continue
        if message.startswith("[Tags: "):
            tags = _TAGS.match(message)
            if tags is None:
                break
            for key, value in _TAG_PAIR.findall(tags.group("tags")):
                attrs[attr_key("envoy", _CAMEL.sub("_", key).lower())] = value
            message = message[tags.end() :]
            continue
        if "code.filepath" not in attrs and "code.lineno" not in attrs:
            location = _LOCATION.match(message, 0, min(len(message), 440))
            if location is not None:
                file = location.group("file")
                if file.endswith(_SOURCE_FILE) or (not file and location.group(0)[:1].isspace()):
                    if file:
                        attrs["code.filepath"] = file
                    attrs["code.lineno"] = int(location.group("line"))
                    message = message[location.end() :]
                    continue
        break
    message = message.strip()
    logger_name = logger or ("jwt" if "jwt" in attrs.get("code.filepath", "") else None)
    if logger is not None:
        attrs["envoy.logger"] = logger
    if level is not None:
        attrs["log.level"] = level
    attrs["log.message"] = message
    severity = severity_of(level)
    where = f"{source.namespace}/{source.pod}" if source and source.pod and source.namespace else "proxy"
    return _decide(time, level, logger_name, message, attrs, severity, where)


def _decide(
    time: str | None,
    level: str | None,
    logger: str | None,
    message: str,
    attrs: dict[str, Any],
    severity: str,
    where: str,
) -> Parsed:
    m = message[:DECIDE]
    text = clip(message.strip(), 160)
    word = action_word(logger) if logger else "log"  # a fragment's logger is not known
    label = f"envoy {logger}" if logger else "envoy"
    path = attrs.get("code.filepath", "")
    failed = level in ("error", "critical")

    def made(category: str, outcome: str, violation: bool, sev: str, action: str, summary: str) -> Parsed:
        if outcome == "unknown" and failed:  # an error or critical line is a failure of what it is about
            outcome = "failure"
        return Parsed(time, category, outcome, violation, sev, action, summary, attrs)

    # ---- one header of a debug dump
    if m.lstrip(" \t")[:1] in ("'", "‘") or m.startswith("completed header: "):
        if _header_attrs(message, attrs) is not None:
            return made("other", "unknown", False, severity, "http.header", f"envoy header: {text}")

    # ---- authorization: rbac
    if m.startswith(("enforced ", "shadow ", "no engine, allowed by default")):
        policy_match = _POLICY.search(m)
        policy = policy_match.group(1).rstrip(",") if policy_match else None
        if policy:
            attrs["istio.policy"] = policy
        shadow = m.startswith("shadow")
        if m.startswith(("enforced denied", "shadow denied")):
            by = f" by {policy}" if policy and policy != "none" else " (no ALLOW policy matched)" if policy else ""
            if shadow:
                summary = f"{where} would deny (dry-run) a request{by}"
                return made("auth", "allow", True, _floor(severity, "warning"), "authz.shadow_deny", summary)
            return made(
                "auth", "deny", True, _floor(severity, "warning"), "authz.deny", f"{where} denied a request{by}"
            )
        if m.startswith(("enforced allowed", "shadow allowed", "no engine, allowed by default")):
            by = f" by {policy}" if policy and policy != "none" else ""
            if shadow:
                summary = f"{where} would allow (dry-run) a request{by}"
                return made("auth", "allow", False, severity, "authz.shadow_allow", summary)
            if m.startswith("no engine"):
                return made(
                    "auth", "allow", False, severity, "authz.allow", f"{where} allowed a request (no RBAC engine)"
                )
            return made("auth", "allow", False, severity, "authz.allow", f"{where} allowed a request{by}")
    if m.startswith(("checking request:", "checking connection:")) or logger == "rbac":
        return made("auth", "unknown", False, severity, "authz.check", f"rbac: {text}")

    # ---- authentication: JWT (jwt_authn; Istio's old jwt_auth and authn filters)
    done = _JWT_DONE.search(m) or _JWT_ONDONE.search(m)
    if done:
        reason = done.group("reason").strip()
        attrs["jwt.result"] = reason
        if reason in ("OK", "Ok", "ok"):
            return made("auth", "allow", False, severity, "jwt.accept", f"{where} accepted a JWT")
        if reason == "Jwt is missing":
            return made("auth", "unknown", False, severity, "jwt.missing", f"{where} saw a request without a JWT")
        attrs["jwt.failure_reason"] = reason
        summary = f"{where} rejected a JWT: {clip(reason, 120)}"
        return made("auth", "deny", True, _floor(severity, "warning"), "jwt.reject", summary)
    jwt_line = logger in _JWT_LOGGERS or "/jwt_auth" in path or "Jwt" in m[:40] or "JWT" in m[:60]
    if jwt_line and "Jwks" in m and ("fail" in m or "error" in m.lower()):
        return made("auth", "failure", False, _floor(severity, "warning"), "jwt.jwks_failure", f"jwt: {text}")
    if jwt_line or "/authn/" in path or "AuthenticationFilter" in m[:40]:
        return made("auth", "unknown", False, severity, "jwt.log", f"jwt: {text}")

    # ---- authorization: ext_authz
    if m.startswith("ext_authz filter ") or logger == "ext_authz" or "/ext_authz/" in path:
        code = _EXT_AUTHZ_CODE.search(m)
        if code:
            attrs["http.response.status_code"] = int(code.group(1))
        if m.startswith("ext_authz filter rejected the request with an error"):
            summary = f"{where} external authorization failed (fail-closed): {text}"
            return made("auth", "failure", False, _floor(severity, "error"), "extauthz.error", summary)
        if m.startswith(("ext_authz filter rejected the request", "ext_authz filter is disabled. Deny")):
            code_text = f" ({code.group(1)})" if code else ""
            summary = f"{where} external authorization denied a request{code_text}"
            return made("auth", "deny", True, _floor(severity, "warning"), "extauthz.deny", summary)
        if m.startswith("ext_authz filter allowed the request with error"):
            summary = f"{where} external authorization failed; request allowed (fail-open)"
            return made("auth", "allow", False, _floor(severity, "warning"), "extauthz.allow", summary)
        if m.startswith(("ext_authz filter allowed the request", "ext_authz filter accepted the request")):
            summary = f"{where} external authorization allowed a request"
            return made("auth", "allow", False, severity, "extauthz.allow", summary)
        return made("auth", "unknown", False, severity, "extauthz.log", f"ext_authz: {text}")

    # ---- legacy Mixer policy check
    mixer = _MIXER_CHECK.search(m)
    if mixer:
        status = mixer.group("status").strip()
        attrs["istio.mixer.status"] = status
        if status == "OK":
            return made("auth", "allow", False, severity, "mixer.check", f"{where} Mixer check allowed a request")
        summary = f"{where} Mixer check denied a request: {clip(status, 120)}"
        return made("auth", "deny", True, _floor(severity, "warning"), "mixer.check", summary)

    # ---- TLS
    for marker in ("TLS error:", "TLS_error:", "SSL error:"):
        at = m.find(marker)
        if at >= 0:
            reason = m[at:].split("}", 1)[0]
            attrs["tls.error"] = clip(reason, 300)
            upper = reason.rsplit(":", 1)[-1].strip().rstrip("*").strip()
            reason_word = upper if upper.replace("_", "").isalnum() and upper.isupper() else clip(reason, 100)
            summary = f"{where} TLS handshake failed: {reason_word}"
            return made("auth", "failure", True, _floor(severity, "warning"), "tls.handshake_error", summary)
    handshake = _HANDSHAKE.search(m, 0, 200)
    if handshake:
        code = int(handshake.group(1))
        attrs["tls.handshake_error"] = code
        if code in (2, 3):  # SSL_ERROR_WANT_READ / WANT_WRITE: waiting for the peer's data
            return made("auth", "unknown", False, severity, "tls.handshake", f"{where} TLS handshake waiting for data")
        summary = f"{where} TLS handshake failed (error {code})"
        return made("auth", "failure", True, _floor(severity, "warning"), "tls.handshake_error", summary)
    if m.startswith("handshake expecting ") or m.startswith("handshake complete"):
        return made("auth", "unknown", False, severity, "tls.handshake", f"tls: {text}")
    if m.startswith("transport socket match"):
        return made("auth", "unknown", False, severity, "tls.socket_match", f"tls: {text}")
    state = _FILTER_STATE.match(m)
    if state:
        attrs["envoy.filter_state." + action_word(state.group("name"))] = state.group("value")
        if "principal" in state.group("name") or state.group("value").startswith("spiffe://"):
            return made("auth", "unknown", False, severity, "auth.peer_identity", f"envoy: {text}")
        return made("other", "unknown", False, severity, f"envoy.{word}", f"{label}: {text}")

    # ---- local replies (response code details)
    reply = _LOCAL_REPLY.search(m, 0, 200)
    if reply:
        details = reply.group("details")
        attrs["envoy.response_code_details"] = details
        if details.startswith("ext_authz_error"):
            summary = f"{where} external authorization failed: local reply {details}"
            return made("auth", "failure", False, _floor(severity, "warning"), "extauthz.error", summary)
        if details.startswith("ext_authz_denied"):
            summary = f"{where} external authorization denied a request"
            return made("auth", "deny", True, _floor(severity, "warning"), "extauthz.deny", summary)
        if details.startswith("rbac_access_denied"):
            prefix = "rbac_access_denied_matched_policy["
            if details.startswith(prefix) and details.endswith("]"):
                attrs["istio.policy"] = details[len(prefix) : -1]
            summary = f"{where} denied a request: {details}"
            return made("auth", "deny", True, _floor(severity, "warning"), "authz.deny", summary)
        if details.startswith("jwt_authn_access_denied"):
            summary = f"{where} rejected a JWT: {details}"
            return made("auth", "deny", True, _floor(severity, "warning"), "jwt.reject", summary)
        if not details.startswith(_BENIGN_DETAILS):
            summary = f"{where} answered locally: {clip(details, 120)}"
            return made("routing", "failure", False, severity, "http.local_reply", summary)

    # ---- xDS and configuration
    reject = _XDS_REJECT.search(m)
    if reject:
        attrs["istio.xds.type"] = reject.group("type")
        attrs["error.message"] = reject.group("error")
        kind = reject.group("type").rsplit(".", 1)[-1]
        summary = f"{where} rejected {kind} config: {clip(reject.group('error'), 140)}"
        return made("config", "failure", True, _floor(severity, "error"), "xds.reject", summary)
    fetch = _FETCH_FAILURE.search(m, 0, 80)
    if fetch:
        attrs["error.message"] = fetch.group("error")
        api = fetch.group("api")
        if fetch.group("error").startswith(("network error", "connection", "upstream connect")):
            summary = f"{where} could not fetch {api.upper()} config: {clip(fetch.group('error'), 120)}"
            return made("config", "failure", False, _floor(severity, "warning"), "xds.fetch_failure", summary)
        summary = f"{where} rejected {api.upper()} config: {clip(fetch.group('error'), 140)}"
        return made("config", "failure", True, _floor(severity, "error"), "xds.reject", summary)
    if m.startswith(("error adding listener", "Error adding/updating listener")) or _WASM_FILTER.match(m):
        attrs["error.message"] = message
        return made(
            "config", "failure", True, _floor(severity, "error"), "xds.reject", f"{where} rejected config: {text}"
        )
    closed = _XDS_CLOSED.search(m, 0, 300)
    if closed:
        code = int(closed.group("code"))
        stream = (closed.group("stream") or "").strip()
        attrs["rpc.grpc.status_code"] = code
        if closed.group("error").strip():
            attrs["error.message"] = closed.group("error").strip()
        if stream:
            attrs["envoy.xds.stream"] = stream
        secrets = stream == "StreamSecrets"
        error_text = closed.group("error")
        # SDS closes with 2 routinely (istio-agent's rotation); with a certificate failure behind it, the
        # workload has no identity: auth failure, and a violation when the identity was refused
        cert_trouble = secrets and _CERT_TROUBLE.search(m, closed.start("error"), 4096) is not None
        routine = code == 0 or (secrets and code == 2 and not cert_trouble)
        if cert_trouble:
            refused = _IDENTITY_REFUSED.search(m, closed.start("error"), 4096) is not None
            summary = f"{where} got no workload certificate (SDS {code}): {clip(error_text.strip(), 140)}"
            return made("auth", "failure", refused, _floor(severity, "warning"), "xds.stream_closed", summary)
        summary = f"{where} {'SDS' if secrets else 'xDS'} stream closed: {code} {clip(closed.group('error'), 120)}"
        return made(
            "auth" if secrets else "config",
            "unknown" if routine else "failure",
            False,
            severity if routine else _floor(severity, "warning"),
            "xds.stream_closed",
            summary.rstrip(),
        )
    if m.startswith("Unable to establish new stream"):
        summary = f"{where} could not open an xDS stream"
        return made("config", "failure", False, _floor(severity, "warning"), "xds.stream_closed", summary)
    if m.startswith(("error initializing configuration", "Invalid path: ")):
        attrs["error.message"] = message
        return made(
            "config", "failure", True, _floor(severity, "error"), "config.invalid", f"{where} bad config: {text}"
        )
    update = _XDS_UPDATE.match(m)
    if update:
        return made("config", "change", False, severity, "xds.update", f"{where} {text}")
    if logger == "config" and m.startswith("loading ") and ("cluster" in m[:40] or "listener" in m[:40]):
        return made("config", "success", False, severity, "config.loaded", f"{where} {text}")
    if "deprecated" in m[:200] or (
        logger == "config"
        and ("listener" in m[:100] or "type URL" in m[:60] or "cluster(s)" in m[:100] or "route config" in m[:100])
    ):
        return made("config", "unknown", False, severity, "config.log", f"envoy config: {text}")

    # ---- extensions: wasm and lua
    lowered = m[:300].lower()
    if logger == "wasm" or m.startswith(("wasm log", "Wasm VM", "Plugin configured")) or "/wasm/" in path:
        if (
            level in ("error", "critical")
            or m.startswith(("Wasm VM failed", "Plugin configured to fail closed"))
            or ("Function: " in m[:10] and " failed" in m[:200])
            or "panicked at" in m[:300]
            or (level is None and ("error" in lowered or "fail" in lowered))
        ):
            return made("other", "failure", False, _floor(severity, "error"), "wasm.error", f"wasm: {text}")
        return made("other", "unknown", False, severity, f"envoy.{word}", f"{label}: {text}")
    if logger == "lua" or m.startswith(("script log: ", "script load error")):
        if m.startswith("script load error") or level in ("error", "critical") or m.startswith("script error"):
            return made("other", "failure", False, _floor(severity, "error"), "lua.error", f"lua: {text}")
        return made("other", "unknown", False, severity, "envoy.lua", f"lua: {text}")

    # ---- requests and connections
    if m.startswith(_CODEC_ERRORS) or any(word in m[:120] for word in _CODEC_ERRORS[:2]):
        return made("routing", "failure", False, severity, "http.codec_error", f"{where} protocol error: {text}")
    if any(word in m[:120] for word in _UPSTREAM_FAILURES):
        return made("routing", "failure", False, severity, "upstream.failure", f"{where} {text}")

    # ---- continuations
    if m.startswith((", dynamicMetadata: ", "dynamicMetadata: ")):
        return made("other", "unknown", False, severity, "envoy.continuation", f"envoy: {text}")

    # ---- the process
    if logger == "backtrace" or m.startswith(_CRASH):
        return made("other", "failure", False, "error", "envoy.crash", f"{where} Envoy crashed: {text}")
    if (level == "info" and m.startswith(_READY)) or "all clusters initialized" in m[:60]:
        return made("other", "success", False, severity, "envoy.ready", f"{where} {text}")

    # ---- other auth filters' chatter
    if logger in _AUTH_LOGGERS or any(part in path for part in _AUTH_PATHS):
        return made("auth", "unknown", False, severity, "auth.log", f"{label}: {text}")

    return made("other", "unknown", False, severity, f"envoy.{word}", f"{label}: {text}")
