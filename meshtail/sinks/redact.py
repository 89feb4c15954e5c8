"""Credentials out of everything meshtail writes: ``raw``, ``summary`` and every attribute alike.

Applied to a copy of an event's JSON form when it leaves meshtail (JSONL from ``scan``,
``tail`` and the TUI's export, text output, the detail screen's "as exported" view and
copy), never to the stored event.  Each replacement keeps the name and drops the value
(``Bearer [REDACTED]``, ``token=[REDACTED]``, ``user:[REDACTED]@host``) so an auditor still
sees that a credential was there; the event records how many values were replaced
(``meshtail.redacted``).

What counts as a credential:

* the value of a field or header named as one (:func:`secret_name`), wherever the name stands
  next to its value -- ``x-secret-key: …``, ``private_key=…``, JSON ``"secretKey":"…"`` (escaped
  inside another JSON string too), Envoy's debug header dumps ``'x-api-key', '…'``.  A quoted
  value is replaced whole, spaces and escaped quotes included; an Authorization value whole,
  whatever its scheme (``Digest username=…, response=…``, ``AWS4-HMAC-SHA256 Credential=…,
  Signature=…``: only a known scheme's word stays); a Cookie value with all its pairs;
* ``Bearer``/``Basic``/``Digest``/``AWS4-HMAC-SHA256`` credentials and JWTs anywhere;
* secrets in query strings (``access_token``, ``auth_token``, ``private_token``, ``jwt``,
  ``password``, ``X-Amz-Signature``, ``X-Goog-Signature``, ``sig``, …);
* the password of a URL's or an authority's userinfo (``user:pass@host``);
* the value of any attribute whose name says it is a secret (``http.request.header.
  authorization`` from a custom ``%REQ(AUTHORIZATION)%`` format, a JSON access log's
  ``cookie`` field) -- and that same value wherever else it appears, ``raw`` included,
  even where no name stands beside it.

Every pattern runs in time linear in the text, by construction: each starts only where a run of
its characters starts (a lookbehind), and every repetition is possessive over a class the next
token cannot match, so no position is read again for another start or another way to split a run.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..linear import Linear

MARK = "[REDACTED]"

# ---- which names hold a credential -------------------------------------------------------------------------------

# the last word of a name that ends like this names a credential, whatever stands before it (`x-auth-token`,
# `client_secret`, `aws_secret_access_key` by its `key`, `set-cookie`, `x-amz-credential`, `JSESSIONID`)
_SUFFIXES = (
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "credential",
    "credentials",
    "cookie",
    "authorization",
    "signature",
    "sessid",
    "sessionid",
    # one word for "<what> key": `apikey`, `secretkey`, `accesskey` (`accessKey` splits into two words anyway)
    "apikey",
    "secretkey",
    "accesskey",
    "privatekey",
    "privkey",
    "authkey",
    "masterkey",
    "signingkey",
    "clientkey",
    "appkey",
    "sessionkey",
    "subscriptionkey",
    "licensekey",
    "encryptionkey",
)
# a last word that names a credential only after another word (`db_pass`, `x-secret-key`, `accessKey`,
# `client_assertion`, `url_sig`, `user-session`): alone, `key`, `pass`, `pwd`, `sig`, `session` and `assertion` are
# a protobuf map's key, a count, a shell's working directory, a signal, an MCP session, a failed assert
_QUALIFIED = frozenset({"key", "pass", "pwd", "sig", "session", "assertion"})
_ALONE = frozenset({"hmac", "creds"})
# "<what> key" where the key is an identifier, not a secret
_NOT_SECRET_KEYS = frozenset(
    {
        "public",
        "cache",
        "partition",
        "primary",
        "foreign",
        "sort",
        "range",
        "hash",
        "routing",
        "route",
        "idempotency",
        "dedup",
        "dedupe",
        "lookup",
        "map",
        "shard",
        "object",
        "row",
        "index",
        "label",
        "annotation",
        "metadata",
        "header",
        "pattern",
        "field",
        "group",
        "tag",
        "node",
        "cluster",
        "stat",
        "stats",
        "trace",
        "match",
        "unique",
        "sequence",
        "entry",
        "item",
        "resource",
        "ring",
        "scope",
        "dev",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DIGITS = "0123456789"


@lru_cache(maxsize=8192)
def secret_name(name: str) -> bool:
    """True for a field or header name that holds a credential: its last word (split at ``-``, ``_``, ``.``, ``/``
    and camelCase; a trailing number dropped) ends in token, secret, password, credential(s), cookie, authorization,
    or signature, or is ``key``/``pass``/``pwd``/``sig``/``session``/``assertion`` after another word, or is a
    session id.  ``tokens_used``, ``max_tokens``, ``monkey``, ``keyword``, ``public_key``, ``cache_key``,
    ``x-request-id`` and ``tls_session_id`` are not."""
    # (a Kubernetes label's name says what after its `/`: `knative.dev/key` is a key, not a credential)
    words = [word for word in _NOT_WORD.split(_CAMEL.sub("_", name.rpartition("/")[2]).lower()) if word]
    # a trailing number says which one, not what (`x-hub-signature-256`, `password2`)
    if words and words[-1].isdigit():
        words.pop()
    if not words:
        return False
    last = words[-1].rstrip(_DIGITS)
    before = words[-2] if len(words) > 1 else ""
    if last.endswith(_SUFFIXES):
        return not (last in ("sessionid", "sessid") and before in ("tls", "ssl"))
    if last == "id":  # `session_id`, `sessionId` -- not TLS's session id, which the handshake shows anyone
        return before == "session" and (len(words) < 3 or words[-3] not in ("tls", "ssl"))
    if last in _QUALIFIED:
        return bool(before) and not (last == "key" and before in _NOT_SECRET_KEYS)
    return last in _ALONE


# Authorization schemes whose word stays readable (`Digest [REDACTED]`); an unknown scheme's word goes too
_SCHEMES = frozenset(
    {
        "basic",
        "bearer",
        "digest",
        "negotiate",
        "ntlm",
        "kerberos",
        "hoba",
        "mutual",
        "vapid",
        "dpop",
        "gnap",
        "concealed",
        "privatetoken",
        "scram-sha-1",
        "scram-sha-256",
        "oauth",
        "hawk",
        "signature",
        "aws",
        "aws4-hmac-sha256",
        "aws4-ecdsa-p256-sha256",
        "goog4-hmac-sha256",
        "goog4-rsa-sha256",
        "eg1-hmac-sha256",
        "hmac",
        "hmac-sha1",
        "hmac-sha256",
        "sharedkey",
        "sharedkeylite",
        "sharedaccesssignature",
        "ssws",
        "splunk",
        "sso-key",
        "apikey",
        "api-key",
        "token",
        "jwt",
    }
)
_SCHEME = "|".join(re.escape(scheme) for scheme in sorted(_SCHEMES, key=len, reverse=True))

# ---- the patterns ------------------------------------------------------------------------------------------------

# a quoted value, its closing quote (or the end of the line: a record cut short) included; escapes kept inside
_DQ = r'"(?P<dq>(?:[^"\\\n]++|\\.)*+)(?:"|\\?(?=\n|\Z))'
_SQ = r"'(?P<sq>(?:[^'\\\n]++|\\.)*+)(?:'|\\?(?=\n|\Z))"
# a JSON string inside another JSON string: `{\"password\":\"a b\"}`
# (its own escapes arrive escaped once more: an escaped backslash, then the one character it escapes)
_ESC = r'\\"(?P<esc>(?:[^"\\\n]++|\\[^"\\\n]|\\\\(?:\\[^\n]|[^"\\\n]))*+)(?:\\"|(?=\n|\Z))'
# an auth scheme's parameters (Digest's `username="bob", response="…"`, SigV4's `Credential=…, Signature=…`,
# EdgeGrid's `;`-separated ones), or one token68 (`Bearer abc…`, `AWS AKID:sig`)
_PARAM = r'[\w-]++[ \t]*+=[ \t]*+(?:"(?:[^"\\\n]++|\\.)*+"|[^\s,;"\']*+)'
_PARAMS = rf"{_PARAM}(?:[ \t]*+[,;][ \t]*+{_PARAM})*+"
_TOKEN68 = r"[^\s,;\"'\\]++"
_BRACKETS = r"\[(?P<list>[^\]\n]*+)\]"  # `secret: [default/web-1]`, JSON's `"tokens":["a","b"]`, a `[REDACTED]`
# (not an object's brace: `"secret":{"defaultMode":420,…}`, a pod's secret volume, lost its "{" and raw stopped being
# JSON -- found by a review; an object's own members are judged by their own names)
_BARE = r"[^\s,;&#\"'\\\]}{][^\s,;&#\"'\\\]}]*+"
# A name, then its separator; the value is read only after :func:`secret_name` took the name, so a name that holds
# no credential costs no look at what follows it (that is where the search goes on).
_NAMED = re.compile(
    # a name starts where a run of name characters starts (not inside a word or a path), and is read whole ...
    r"(?i)(?<![\w.\-/])(?P<name>[\w.-]++)"
    # ... and ends the way a credential's name may (:func:`secret_name` decides)
    r"(?:(?<=token)|(?<=secret)|(?<=passwd)|(?<=password)|(?<=phrase)|(?<=credential)|(?<=credentials)|(?<=cookie)"
    r"|(?<=authorization)|(?<=signature)|(?<=sessid)|(?<=sessionid)|(?<=session.id)|(?<=key)|(?<=pass)"
    r"|(?<=pwd)|(?<=sig)|(?<=session)|(?<=assertion)|(?<=hmac)|(?<=creds)|(?<=\d))"
    # the separator: `: `, `=`, JSON's `":`, escaped JSON's `\":`, Envoy's dump `', '`
    r"""(?:(?:\\?["'])?[ \t]*+(?:(?P<colon>:)|=)[ \t]*+|'[ \t]*+,[ \t]*+(?='))"""
)


def _value_pattern(cookie: bool = False, any_scheme: bool = False) -> re.Pattern[str]:
    """A credential's value: quoted (whole), a known scheme's credentials, or one bare word; a Cookie's bare value
    reads on through its `; name=value` pairs, an Authorization header's through any scheme's credentials."""
    pattern = rf"(?i){_DQ}|{_SQ}|{_ESC}|{_BRACKETS}|(?P<scheme>{_SCHEME})[ \t]++(?:{_PARAMS}|{_TOKEN68})"
    if any_scheme:  # `Authorization: <any scheme> <credentials>` (not after `=`: `authorization=x status=200`)
        pattern += rf"|[A-Za-z][\w.+-]*+[ \t]++(?:{_PARAMS}|{_TOKEN68})"
    pattern += rf"|(?P<bare>{_BARE})"
    if cookie:
        pattern += r"(?:;[ \t]*+[^\s,;&#\"'\\=\]}]++=[^\s,;&#\"'\\\]}]*+)*+"
    return re.compile(pattern)


_VALUE = _value_pattern()
_COOKIE_VALUE = _value_pattern(cookie=True)
_AUTHORIZATION_VALUE = _value_pattern(any_scheme=True)
_EMPTY = frozenset({"", "-", "null", "none", "nil", "undefined", "true", "false"})
_SCHEME_TOKEN = re.compile(
    rf"(?i)\b(bearer|basic|digest|negotiate|aws4-hmac-sha256)[ \t]++(?!\[REDACTED\])(?:{_PARAMS}"
    r"|[A-Za-z0-9._~+/=-]{6,}+)"
)
# a JWT starts a run of base64url characters, or follows a `-` in one (the first `eyJ` of a run decides: any later
# one ends where it does, and the run is read once)
_JWT = re.compile(
    r"(?<![A-Za-z0-9_-])(?>((?:[A-Za-z0-9_]*+-)*?)(?=eyJ))eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]*+"
)
_QUERY = re.compile(
    r"(?i)((?:^|[?&;])(?:access[_-]token|id_token|refresh_token|auth[_-]token|private[_-]token|token|jwt|api[_-]?key"
    r"|apikey|key|secret|client_secret|password|passwd|pwd|sig|signature|x-amz-signature|x-amz-credential"
    r"|x-amz-security-token|x-goog-signature|x-goog-credential|session|sessionid|sid|code|auth)=)"
    r"(?!\[REDACTED\])[^&#\s\"']++"
)
# `user:pass@host`: after a scheme's `://` (the user may be empty: `redis://:pass@host`), or starting a word (an
# authority's `admin:pw@internal.svc:8080`; a user's characters include `=` and `,`, so `dsn=user:pass@host` reads
# as one user) -- but not an identity written `<kind>:<name>@<domain>` (`oidc:alice@example.com`, GKE's
# `user:john@corp`, `system:serviceaccount:ns:sa@…`, `mailto:`): an audit event's actor (found by a review)
_IDENTITY_KINDS = (
    "oidc|user|users|group|groups|serviceaccount|system|mailto|domain|principal|principalset|member|deleted|sa|iam"
    "|spiffe|email|google|github|gitlab|azure|aad|okta|keycloak|ldap|saml|sso"
)
_USERINFO = re.compile(
    r"""(?i)((?:(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://[A-Za-z0-9._~%!$&*+;=,-]*+"""
    rf"""|(?:(?<=[\s"'(])|^)(?!(?:{_IDENTITY_KINDS}):)[A-Za-z0-9._~%!$&*+;=,-]++):)(?!\[REDACTED\])"""
    r"""([^\s/@"'(]++)@(?=[A-Za-z0-9.-]++(?::\d++)?(?:[/"'\s?#]|$))"""
)
# A cheap first look: most lines hold none of these, and skip the passes above.  In linear time:
# Python's engine tries every alternative at every position (~100 µs a line, more than all the
# rest of `scan -o jsonl`); RE2 reads the line once (~1.5 µs).  Every match of a pass above holds one of these
# (a name's tail with its separator where the tail alone is a common word: `key=`, `db_pass:`).
_HINT = Linear(
    r"bearer|basic[ \t]|digest[ \t]|negotiate[ \t]|aws4-hmac|eyJ|authorization|cookie|token|secret|passw|passphrase"
    r"|credential|creds|signature|session|sessid|jwt|hmac|assertion|api[-_]?key|apikey"
    r"|(?:key|pass|pwd|sig)[-_]?[0-9]*[\\\"']*[ \t]*[:=,]|sid=|code=|auth=|@",
    case_sensitive=False,
)
_hinted = _HINT.found


def unhinted(texts: list[str]) -> set[int]:
    """The ``id`` of each text with no hint of a credential (what ``_HINT`` looks for), found in one RE2 scan.

    A call into RE2 costs ~0.6 µs before it reads a byte, about what reading an access line costs; a chunk of
    lines a source read at once is scanned joined by newlines instead (no alternative of the hint holds a newline,
    an anchor or a word boundary, so a match lies inside one text, and is the one that text alone gives).  Only a
    chunk with a hint is looked at text by text, from the text the hit is in.  An ``id`` names its text only while
    that text is alive: the caller keeps ``texts``.
    """
    data = "\n".join(texts).encode("utf-8", "surrogatepass")
    first = _HINT.start
    hit = first(data)
    if hit < 0:
        return set(map(id, texts))
    clean: set[int] = set()
    start = 0
    for text in texts:
        end = start + (len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass")))
        if hit < 0 or hit >= end:
            clean.add(id(text))
        elif end < len(data):
            hit = first(data, end + 1)  # (this one has a hint: look on from the next)
        else:
            hit = -1
        start = end + 1
    return clean


# (an attribute named `jwt` holds one; in text, `jwt:` is mostly Envoy's logger talking, and a JWT is found anyway)
# (whole names only: `x-auth-request-email`, `x-authz-decision`, `x-session-affinity` hold no credential, and
# hunting their values hid an e-mail in a path -- found by a review)
_HEADER_ATTRIBUTE = re.compile(
    r"(?i)^http\.request\.header\.(?:x-)?(?:auth|session|csrf|xsrf)(?:-token|-id|-key)?$|(?:^|[._-])jwt$"
)
MIN_SECRET = 4  # values shorter than this are not hunted down elsewhere in the line


@lru_cache(maxsize=4096)
def sensitive_key(key: str) -> bool:
    """True for an attribute whose value is a credential by its name (``http.request.header.cookie``,
    ``http.request.header.x-secret-key``, a JSON access log's ``secretKey``)."""
    return secret_name(key) or bool(_HEADER_ATTRIBUTE.search(key))


def _scheme_kept(value: str) -> str | None:
    """``"Digest [REDACTED]"`` for a value that starts with a known auth scheme's word and a space, else None."""
    scheme, space, rest = value.partition(" ")
    if space and rest.strip() and scheme.lower() in _SCHEMES:
        return f"{scheme} {MARK}"
    return None


def _redacted(value: str) -> bool:
    """Whether a value is already ``[REDACTED]``, or a known scheme's word and ``[REDACTED]``."""
    if value.startswith(MARK):
        return True
    scheme, space, rest = value.partition(" ")
    return bool(space) and rest.lstrip().startswith(MARK) and scheme.lower() in _SCHEMES


def _replacement(match: re.Match[str]) -> str | None:
    """What a credential's value becomes (its quotes and a known scheme's word kept), or None where the value is
    empty, ``-``, ``null`` or already redacted."""
    value = match[0]
    start = match.start()
    for group in ("dq", "sq", "esc", "list"):
        inner = match[group]
        if inner is not None:
            if inner.strip().lower() in _EMPTY or _redacted(inner) or value == MARK:
                return None
            begin, end = match.span(group)
            if group == "list":
                return MARK
            return value[: begin - start] + (_scheme_kept(inner) or MARK) + value[end - start :]
    if match["scheme"] is not None:
        if value[match.end("scheme") - start :].lstrip().startswith(MARK):
            return None
        return f"{match['scheme']} {MARK}"
    if value.lower() in _EMPTY or value.startswith(MARK):
        return None
    return MARK


def _named_values(text: str) -> tuple[str, int]:
    """``text`` with the value beside each credential name replaced, and how many were.

    Linear: names are read once each, and a value only after its name was taken; the search goes on after the
    value replaced, or after the separator of a name that names no credential (``monkey: token=abc``).
    """
    search = _NAMED.search
    named = search(text)
    if named is None:
        return text, 0
    parts: list[str] = []
    done = count = 0
    while named is not None:
        after = named.end()
        name = named["name"]
        if secret_name(name):
            lower = name.lower()
            if lower.endswith("cookie"):
                pattern = _COOKIE_VALUE
            elif named["colon"] is not None and lower.endswith("authorization"):
                pattern = _AUTHORIZATION_VALUE
            else:
                pattern = _VALUE
            value = pattern.match(text, after)
            if value is not None:
                new = _replacement(value)
                if new is not None:
                    parts.append(text[done:after])
                    parts.append(new)
                    done = value.end()
                    count += 1
                after = value.end()
        named = search(text, after)
    if not count:
        return text, 0
    parts.append(text[done:])
    return "".join(parts), count


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> tuple[str, int]:
    """``text`` with credentials replaced, and how many were; ``secrets`` are values to replace wherever they stand."""
    if not text:
        return text, 0
    count = 0
    for secret in secrets:
        if secret in text:
            count += text.count(secret)
            text = text.replace(secret, MARK)
    if not _hinted(text):
        return text, count

    def sub(pattern: re.Pattern[str], repl: str, value: str) -> str:
        nonlocal count
        value, n = pattern.subn(repl, value)
        count += n
        return value

    # (scheme credentials first: `Credential=…, Signature=…` after AWS4-HMAC-SHA256 is one value, counted once)
    text = sub(_SCHEME_TOKEN, rf"\1 {MARK}", text)
    text, n = _named_values(text)
    count += n
    text = sub(_JWT, rf"\1{MARK}", text)
    text = sub(_QUERY, rf"\1{MARK}", text)
    text = sub(_USERINFO, rf"\1{MARK}@", text)
    if "alue" in text:
        text, n = _paired_values(text)
        count += n
    return text, count


# a name and its value in two fields of one entry: a pod's env `{"name":"DB_PASSWORD","value":"…"}`, a header list's
# `{"key":"x-api-key","value":"…"}`, a proto dump's `key: "x-api-key" value: "…"` (found by a review: the name
# stood in one field and the value leaked from the other)
_PAIRED = re.compile(
    r"""(?i)(?<![\w-])(?:name|key)["']?[ \t]*+[:=][ \t]*+(?P<q>["'])(?P<name>[\w.-]{1,100}+)(?P=q)[ \t]*+,?[ \t]*+"""
    r"""["']?value["']?[ \t]*+[:=][ \t]*+(?P<vq>["'])(?P<value>(?:[^"'\\\n]++|\\.)*+)(?P=vq)"""
)


def _paired_values(text: str) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        value = match.group("value")
        if not secret_name(match.group("name")) or value.lower() in _EMPTY or value == MARK:
            return match.group(0)
        count += 1
        start, end = match.span("value")
        whole = match.group(0)
        return whole[: start - match.start()] + MARK + whole[end - match.start() :]

    return _PAIRED.sub(replace, text), count


def _secrets_of(value: Any, key: str, found: list[str]) -> None:
    """Collect the values of secret-named attributes (recursively) into ``found``."""
    if isinstance(value, str):
        if key and sensitive_key(key) and len(value) >= MIN_SECRET and value not in ("null", "none", "None"):
            found.append(value)
            # a scheme word stays readable: only what follows it is hunted down
            scheme, _, rest = value.partition(" ")
            if rest and scheme.lower() in _SCHEMES and len(rest) >= MIN_SECRET:
                found.append(rest)
    elif isinstance(value, list):
        for item in value:
            _secrets_of(item, key, found)
    elif isinstance(value, dict):
        for k, item in value.items():
            _secrets_of(item, str(k), found)


def _walk(value: Any, secrets: tuple[str, ...], key: str = "") -> tuple[Any, int]:
    if isinstance(value, str):
        if key and sensitive_key(key) and value not in ("", "-"):
            return (_scheme_kept(value) or MARK), 1
        return redact_text(value, secrets)
    if isinstance(value, list):
        out, total = [], 0
        for item in value:
            new, n = _walk(item, secrets, key)
            out.append(new)
            total += n
        return out, total
    if isinstance(value, dict):
        result, total = {}, 0
        # an entry naming its own value's field (`{"name": "DB_PASSWORD", "value": "…"}`): the value is that name's
        named = value.get("name", value.get("key"))
        paired = isinstance(named, str) and "value" in value and secret_name(named)
        for k, item in value.items():
            new, n = _walk(item, secrets, named if paired and k == "value" else str(k))  # type: ignore[arg-type]
            result[k] = new
            total += n
        return result, total
    return value, 0


_PLAIN_KEYS: set[str] = set()  # attribute names seen and known not to name a secret (checked once each)


def _needs_work(obj: dict[str, Any], substrings: bool = False, raw_unhinted: bool = False) -> bool:
    """Whether anything in the event may hold a credential (most events: no, in a few µs).

    ``substrings``: every attribute value is a piece of ``raw`` (access logs in text), so
    looking at ``raw`` covers them.  ``raw_unhinted``: ``raw`` is already known to hold no hint.
    """
    attrs = obj.get("attributes") or {}
    if not _PLAIN_KEYS.issuperset(attrs):
        for key in attrs:
            if key not in _PLAIN_KEYS:
                if sensitive_key(key):
                    return True
                if len(_PLAIN_KEYS) < 100_000:
                    _PLAIN_KEYS.add(key)
    if not raw_unhinted and _hinted(obj.get("raw") or ""):
        return True
    if substrings:  # the summary is made of the same pieces, and of names from the cluster
        return False
    if _hinted(obj.get("summary") or ""):
        return True
    return any(isinstance(v, str | list | dict) and _hinted(str(v)) for v in attrs.values())


def secrets_of(attributes: dict[str, Any]) -> tuple[str, ...]:
    """The values of an event's credential attributes (``http.request.header.authorization``, a JSON access log's
    ``authorization``), to replace wherever else they stand -- a token in a path, a summary -- longest first, so a
    value and the token inside it are replaced whole."""
    found: list[str] = []
    _secrets_of(attributes, "", found)
    # at most HUNTED: each is looked for in every string of the event, and a hostile line of 32,000 token fields
    # made that quadratic (32 s for 0.9 MB; found by a review).  Every one of them is still replaced where it
    # stands, by its name; only repeats elsewhere of the shortest, past the first HUNTED, are not looked for
    return tuple(sorted(set(found), key=len, reverse=True)[:HUNTED])


HUNTED = 256


def redact_event(obj: dict[str, Any], raw_unhinted: bool = False) -> tuple[dict[str, Any], int]:
    """A redacted copy of an event's JSON form (the same object when there is nothing to redact).

    The copy says how many values were replaced in ``attributes["meshtail.redacted"]``.
    ``raw_unhinted``: ``raw`` is known to hold no hint of a credential (:func:`unhinted` said so).
    """
    if not _needs_work(obj, obj.get("format") == "envoy-text", raw_unhinted):
        return obj, 0
    secrets = secrets_of(obj.get("attributes") or {})
    out = dict(obj)
    total = 0
    for field in ("summary", "raw"):
        out[field], n = redact_text(obj.get(field) or "", secrets)
        total += n
    out["attributes"], n = _walk(obj.get("attributes") or {}, secrets)
    total += n
    if total:
        out["attributes"] = {**out["attributes"], "meshtail.redacted": total}
    return out, total
