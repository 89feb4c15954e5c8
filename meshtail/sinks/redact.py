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
  even where no name stands beside it;
* a PEM private key's body, on one line or inside a string with ``\\n`` escapes (an Envoy config dump's
  ``inline_string``), its ``-----BEGIN … PRIVATE KEY-----``/``-----END …-----`` markers kept; a key
  base64-encoded whole (``LS0tLS1CRUdJTi…``); a text that is nothing but one PEM body line (a key pasted one
  line per event: statelessly a key's line cannot be told from a certificate's, and neither is readable);
  certificates stay;
* every value under ``data``/``stringData`` of a Kubernetes Secret (an audit record's ``requestObject``/
  ``responseObject`` of ``"kind":"Secret"``, at any depth of JSON escaping), whatever its key -- a ConfigMap's stay;
* tokens that carry their vendor's prefix, by the vendor's documented shape (GitHub ``ghp_``/``gho_``/``ghu_``/
  ``ghs_``/``ghr_``/``github_pat_``, GitLab ``glpat-``, Slack ``xox?-``, Stripe ``sk_live_``/``rk_live_``/
  ``sk_test_``/``rk_test_``, Google ``AIza``, npm ``npm_``), their prefix kept.  An AWS access key id
  (``AKIA…``) stays: it names a key, as a user name does (CloudTrail logs it, SigV4 sends it in clear), and it
  is what an auditor needs to find the key to revoke; its secret half has no prefix and goes by its name.

What stays readable, because an auditor needs it: the name of a Kubernetes object after ``secret``/
``credential`` (``secret=istio-system/istio-remote-secret-cluster3``, ``kubernetes://httpbin-credential``; a
value of another shape still goes); the error after a name in a message (``failed to rotate secret: rpc error``,
``*v1.Secret: secrets is forbidden``: a word that starts Go's error messages is no credential); prose after a
scheme word (``Digest algorithm unsupported``, ``Basic authentication failed``); an image digest
(``digest sha256:…``); a ``WWW-Authenticate`` challenge (``Bearer realm="…", error="invalid_token"``).

Every pattern runs in time linear in the text, by construction: each starts only where a run of
its characters starts (a lookbehind), and every repetition is possessive over a class the next
token cannot match, so no position is read again for another start or another way to split a run.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
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
# A scheme's credentials with no name beside them (`Bearer abc…`, `Bearer%20abc…` in a URL, `Digest username=…`).
# Not a word of prose after the scheme's word (`Digest algorithm unsupported`, `Basic authentication failed`: a
# word of letters, lower case after the first, at most 16 -- a token68 of only such letters is too weak to be
# one), nor a hash algorithm's name (`image digest sha256:…`: a token68 holds no `:`).
_SCHEME_TOKEN = re.compile(
    rf"(?i)\b(?P<scheme>bearer|basic|digest|negotiate|aws4-hmac-sha256)(?P<sep>[ \t]++|%20)(?!\[REDACTED\])"
    rf"(?:(?P<params>{_PARAMS})"
    r"|(?!(?-i:[A-Za-z][a-z]{0,15}+)(?![A-Za-z0-9._~+/=-]))[A-Za-z0-9._~+/=-]{6,}+(?!:))"
)
# the parameters a `WWW-Authenticate` challenge starts with: `Bearer realm="api", error="invalid_token"` says why a
# request was refused, and carries no credential (Bearer and Basic credentials are one token68, never parameters)
_CHALLENGE = frozenset({"realm", "error", "error_description", "error_uri", "scope", "charset", "resource_metadata"})


def _scheme_token(match: re.Match[str]) -> str:
    """A scheme's credentials replaced, its word and a URL's ``%20`` kept; a challenge's parameters kept whole."""
    scheme = match["scheme"]
    params = match["params"]
    if params is not None and scheme.lower() in ("bearer", "basic"):
        if params.partition("=")[0].strip().lower() in _CHALLENGE:
            return match[0]
    return f"{scheme}{'%20' if match['sep'] == '%20' else ' '}{MARK}"


# a JWT starts a run of base64url characters, or follows a `-` in one (the first `eyJ` of a run decides: any later
# one ends where it does, and the run is read once); or it follows an escaped newline or tab (`"token:\\neyJ…"` in
# a JSON string) or a URL's `%XX` (`Bearer%20eyJ…`), and its dots may be URL-encoded (`eyJ…%2EeyJ…%2E…`)
_JWT = re.compile(
    r"(?:(?<![A-Za-z0-9_-])(?>((?:[A-Za-z0-9_]*+-)*?)(?=eyJ))|(?<=\\[nrt])|(?<=%[0-9A-Fa-f]{2}))"
    r"eyJ[A-Za-z0-9_-]{4,}+(?:\.|%2[Ee])[A-Za-z0-9_-]{4,}+(?:\.|%2[Ee])[A-Za-z0-9_-]*+"
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
# ---- what no name stands beside: private keys, Secret objects, vendor tokens -------------------------------------

# A PEM private key: its markers stay, its body goes (the whole of it, base64 and `Proc-Type`/`DEK-Info` headers, up
# to the END marker; a block cut short up to the end of its string or line).  The body stops at a quote, an escaped
# quote or the next `-----`, so each BEGIN reads only up to the next marker: linear however many there are.
_PEM_KIND = r"(?:(?:RSA|EC|DSA|ENCRYPTED|OPENSSH|PGP|ANY) )?PRIVATE KEY(?: BLOCK)?"
_PEM = re.compile(
    rf"(?P<begin>-----BEGIN {_PEM_KIND}-----)"
    r"""(?P<body>(?:[^-"'\\]++|\\[^"']|-(?!----))*+)"""
    rf"(?P<end>-----END {_PEM_KIND}-----)?"
)
# the separators around a body that stay: blanks and (escaped) newlines
_PEM_LEAD = re.compile(r"(?:[ \t\r\n]|\\{1,3}+[nr])*+")
# a private key base64-encoded whole (Envoy's `inline_bytes`, a Secret's value): what "-----BEGIN <kind>PRIVATE K"
# encodes to, for each kind above
_PEM_B64 = re.compile(
    r"(?:(?<![A-Za-z0-9+/])|(?<=\\[nrt]))LS0tLS1CRUdJTi(?:BQUklWQVRFIEtF|BSU0EgUFJJVkFURSBL|BFQyBQUklWQVRFIEtF"
    r"|BEU0EgUFJJVkFURSBL|BFTkNSWVBURUQgUFJJVkFURSBL|BPUEVOU1NIIFBSSVZBVEUgS0VZ|BQR1AgUFJJVkFURSBL)"
    r"(?:[A-Za-z0-9+/=]++|\\[nr])*+"
)
# A text that is one PEM body line and nothing else: a key printed with its newlines arrives a line per event, and
# whether a line follows a BEGIN PRIVATE KEY line is not known to a text alone.  64 characters (OpenSSL), 70
# (OpenSSH), 76 (MIME), or a last line ending in padding; mixing cases and digits, as base64 does and a word, a
# hex digest or an id does not.  A certificate's line goes too: it cannot be told apart, and reads as nothing.
_PEM_LINE = re.compile(
    r"[ \t]*+(?:[A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{70}|[A-Za-z0-9+/]{76}|[A-Za-z0-9+/]{14,74}+={1,2}+)[ \t\r]*+"
)
_PEM_LINE_SIZES = range(16, 81)


def _pem_line(text: str) -> bool:
    """Whether ``text`` is nothing but one PEM body line (see ``_PEM_LINE``)."""
    if len(text) not in _PEM_LINE_SIZES or _PEM_LINE.fullmatch(text) is None:
        return False
    body = text.strip()
    if "=" in body and len(body) % 4:
        return False
    return not (body.isdigit() or body.isalpha() or body.islower() or body.isupper())


def _pem(match: re.Match[str]) -> str:
    """A private key's body replaced, its markers and the (escaped) newlines around the body kept."""
    body = match["body"]
    lead = _PEM_LEAD.match(body).end()  # type: ignore[union-attr]
    trail = len(body)
    while trail > lead:
        if body[trail - 1] in " \t\r\n":
            trail -= 1
        elif trail >= lead + 2 and body[trail - 1] in "nr" and body[trail - 2] == "\\":
            trail -= 2
            while trail > lead and body[trail - 1] == "\\":
                trail -= 1
        else:
            break
    if trail <= lead or body[lead:trail] == MARK:
        return match[0]
    return f"{match['begin']}{body[:lead]}{MARK}{body[trail:]}{match['end'] or ''}"


# A Kubernetes Secret: every value of its `data` and `stringData` is a credential, whatever the key (`ca.crt`,
# `config.json`, `.dockerconfigjson`).  A text holding a Secret (`"kind":"Secret"`, a `SecretList`, GKE's
# `"@type":"core.k8s.io/v1.Secret"`) has the values of every `data`/`stringData` object in it replaced, at any depth
# of JSON escaping (an audit record inside a log shipper's `"log":"…"`, a `last-applied-configuration` annotation):
# an audit record holds one object's kind (request and response), so a ConfigMap's record keeps its data.
_SECRET_KIND = re.compile(r'(?:kind|@type)\\*+"[ \t]*+:[ \t]*+\\*+"(?:core\.k8s\.io/v1\.)?Secret(?:List)?\\*+"')
_DATA_OPEN = re.compile(r'[{,][ \t]*+(?P<q>\\*+")(?:data|stringData)(?P=q)[ \t]*+:[ \t]*+\{')


@lru_cache(maxsize=8)
def _member(backslashes: int) -> re.Pattern[str]:
    """A `"key":"value"` member of a flat object at the escape depth whose quote is ``backslashes`` backslashes and
    ``"``: 0 plain JSON, 1 a JSON document inside a JSON string (``\\"``), 3 one more level (``\\\\\\"``).

    At that depth a literal backslash arrives as ``2 * (backslashes + 1)`` backslashes and a quote inside a value as
    that many, minus one, then ``"``; a run of backslashes before a quote is read in whole groups, so the closing
    quote is the one whose run leaves exactly the quote's own backslashes.
    """
    group = 2 * (backslashes + 1)
    quote = re.escape("\\" * backslashes + '"')
    content = rf'(?:[^"\\\n]++|\\++(?!")|(?:\\{{{group}}})++|\\{{{group - 1}}}")*+'
    return re.compile(
        rf"[ \t]*+{quote}{content}{quote}[ \t]*+:[ \t]*+(?:{quote}(?P<value>{content}){quote}|null)"
        r"[ \t]*+(?P<sep>[,}])"
    )


def _secret_data(text: str) -> tuple[str, int]:
    """``text`` with every value of a Kubernetes Secret's ``data``/``stringData`` replaced, and how many were."""
    if "Secret" not in text or _SECRET_KIND.search(text) is None:
        return text, 0
    parts: list[str] = []
    done = count = pos = 0
    while (opening := _DATA_OPEN.search(text, pos)) is not None:
        pos = opening.end()
        backslashes = len(opening["q"]) - 1
        # (a quote's run is 2**depth - 1 backslashes; four levels of JSON in JSON are as deep as a log goes)
        if backslashes & (backslashes + 1) or backslashes > 15:
            continue
        member = _member(backslashes).match
        while (found := member(text, pos)) is not None:
            value = found["value"]
            if value is not None and value.lower() not in _EMPTY and value != MARK:
                parts.append(text[done : found.start("value")])
                parts.append(MARK)
                done = found.end("value")
                count += 1
            pos = found.end()
            if found["sep"] == "}":
                break
    if not count:
        return text, 0
    parts.append(text[done:])
    return "".join(parts), count


# Tokens whose vendor's prefix says what they are, in the vendor's documented shape (prefix, alphabet, length), so
# that no word is taken for one: GitHub (ghp_/gho_/ghu_/ghs_/ghr_ + 36, github_pat_ + 82), GitLab (glpat- + 20, or
# the longer routable form), Slack (xoxb-/xoxp-/xoxa-/xoxr-/xoxs-), Stripe secret and restricted keys (not the
# publishable pk_), Google API keys (AIza + 35), npm (npm_ + 36).  Each starts a run of word characters, or follows
# an escaped newline or a URL's %XX; its length is bounded, so each start reads at most a few hundred characters.
_VENDOR = re.compile(
    r"(?:(?<![A-Za-z0-9_])|(?<=\\[nrt])|(?<=%[0-9A-Fa-f]{2}))"
    r"(?:(?P<github>gh[pousr]_)[A-Za-z0-9]{36,251}+"
    r"|(?P<github_pat>github_pat_)[A-Za-z0-9_]{50,244}+"
    r"|(?P<gitlab>glpat-)[A-Za-z0-9_.-]{20,249}+"
    r"|(?P<slack>xox[abprs]-)[A-Za-z0-9-]{10,250}+"
    r"|(?P<stripe>[rs]k_(?:live|test)_)[A-Za-z0-9]{20,247}+"
    r"|(?P<google>AIza)[A-Za-z0-9_-]{35}"
    r"|(?P<npm>npm_)[A-Za-z0-9]{36})"
    r"(?![A-Za-z0-9_-])"
)


# (the prefixes alone, in one RE2 scan: Python's engine tries `_VENDOR`'s lookbehinds at every position)
_VENDOR_PREFIX = Linear(r"gh[pousr]_|github_pat_|glpat-|xox[abprs]-|[rs]k_live_|[rs]k_test_|AIza|npm_").found


def _vendor(match: re.Match[str]) -> str:
    """The token replaced, its vendor's prefix kept (``ghp_[REDACTED]``)."""
    return f"{match[match.lastgroup or 0]}{MARK}"


def _counted(pattern: re.Pattern[str], replace: Any, text: str) -> tuple[str, int]:
    """``pattern.sub(replace, text)`` and how many matches it changed (a match given back whole is not counted)."""
    count = 0

    def one(match: re.Match[str]) -> str:
        nonlocal count
        new: str = replace(match)
        if new != match[0]:
            count += 1
        return new

    return pattern.sub(one, text), count


# A cheap first look: most lines hold none of these, and skip the passes above.  In linear time:
# Python's engine tries every alternative at every position (~100 µs a line, more than all the
# rest of `scan -o jsonl`); RE2 reads the line once (~1.5 µs).  Every match of a pass above holds one of these
# (a name's tail with its separator where the tail alone is a common word: `key=`, `db_pass:`).
_HINT = Linear(
    r"bearer|basic[ \t]|digest[ \t]|negotiate[ \t]|aws4-hmac|eyJ|authorization|cookie|token|secret|passw|passphrase"
    r"|credential|creds|signature|session|sessid|jwt|hmac|assertion|api[-_]?key|apikey"
    r"|(?:key|pass|pwd|sig)[-_]?[0-9]*[\\\"']*[ \t]*[:=,]|sid=|code=|auth=|@"
    r"|private key-|private key block|ls0tls1crudjti|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|[rs]k_live_"
    r"|[rs]k_test_|aiza|npm_|basic%20|digest%20|negotiate%20",
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
    """Whether a value is already ``[REDACTED]``, or a known scheme's word and ``[REDACTED]`` (after a space, or a
    URL's ``%20``; a bare value ends before the mark's ``]``)."""
    if value.startswith(MARK):
        return True
    for separator in (" ", "%20"):
        scheme, found, rest = value.partition(separator)
        if found and rest.lstrip().startswith(MARK[:-1]) and scheme.lower() in _SCHEMES:
            return True
    return False


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
    if value.lower() in _EMPTY or _redacted(value):
        return None
    return MARK


# the names that say "a Secret object" (istiod's `secret=ns/name`, `"secret":"ns/name"`), not a secret's value
_OBJECT_NAMES = frozenset({"secret", "secrets", "credential", "credentials"})
# a Kubernetes object's name, `namespace/name`, or an SDS resource name (`kubernetes://[namespace/]name`): lower-case
# DNS labels only, so a value with an upper-case letter, a `_`, a `+` or a second `/` (a base64 key, a password) goes
_K8S_REF = re.compile(
    r"kubernetes://(?:[a-z0-9][-a-z0-9]{0,62}+(?<!-)/)?[a-z0-9][-.a-z0-9]{0,252}+(?<![-.])"
    r"|[a-z0-9][-a-z0-9]{0,62}+(?<!-)/[a-z0-9][-.a-z0-9]{0,252}+(?<![-.])"
)
# Words that start Go's (and Envoy's) error messages: after `<what> <name>: ` they begin the cause, not a value
# (`failed to rotate secret: rpc error: …`, `*v1.Secret: secrets is forbidden`, `fetch platform credential: could
# not …`, `getting aws token : Put "https://…"`).  A credential that is one of these words holds nothing to hide.
_PROSE = frozenset(
    {
        "a", "an", "the", "no", "not", "is", "was", "has", "have", "had", "must", "should", "will", "would",
        "could", "can", "cannot", "unable", "failed", "fail", "failure", "error", "errors", "err", "invalid",
        "illegal", "unexpected", "unknown", "missing", "expired", "empty", "timeout", "timed", "context",
        "connection", "connect", "dial", "rpc", "eof", "permission", "forbidden", "unauthorized", "unauthenticated",
        "unavailable", "denied", "get", "put", "post", "patch", "delete", "head", "list", "watch", "open", "read",
        "write", "stat", "lookup", "parse", "parsing", "decode", "decoding", "fetch", "fetching", "secret",
        "secrets", "server", "client", "embedded", "value", "federated", "request", "response", "x509", "tls",
        "bad", "wrong", "too", "only", "found", "using", "waiting", "requested", "generate", "create", "load",
    }
)  # fmt: skip
# a Go format verb where a message's template holds its argument (`istio.template`: `getting aws token : %v`)
_FORMAT_VERB = re.compile(r"%[-+# 0]{0,3}+[0-9]{0,3}+(?:\.[0-9]{1,3}+)?[vsqdxXwTtp]")
_PEM_DONE = re.compile(r"-----BEGIN [A-Z ]{1,40}+-----(?:[ \t\r\n]|\\{1,3}+[nr])*+\[REDACTED\]")


def _readable(name: str, colon: bool, value: re.Match[str]) -> bool:
    """Whether the value beside a credential's name is no credential but what an auditor needs to read: a
    Kubernetes object's name after ``secret``/``credential``, the start of an error message after ``name: ``
    (``failed to fetch token: the server …``), a template's format verb (``token: %v``), or a PEM block whose key
    the PEM pass already replaced."""
    for group in ("dq", "sq", "esc", "bare"):
        inner = value[group]
        if inner is not None:
            break
    else:
        return False
    if _PEM_DONE.match(value.string, value.start(group)):
        return True
    if name in _OBJECT_NAMES and _K8S_REF.fullmatch(inner):
        return True
    if group == "bare" and _FORMAT_VERB.fullmatch(inner):
        return True
    return colon and group == "bare" and inner.rstrip(":.").lower() in _PROSE


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
                new = None if _readable(lower, named["colon"] is not None, value) else _replacement(value)
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


# what stands where a blank would between a credential's name or scheme and its value, or before a token: a control
# or format character (ESC, VT, a zero-width space, a no-break space) or its visible escape (``\x1b``, ``\u200b``,
# ``\t``) -- meshtail's summaries and attributes hold the escapes, ``raw`` the characters; neither is a blank to the
# patterns below, and `Bearer\x1b<token>` kept its token (found by an outside audit of hostile input)
_BREAK = re.compile(
    r"(?<!\\)\\++(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[tnr])"
    "|[\x00-\x08\x0b-\x1f\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]"
)


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> tuple[str, int]:
    """``text`` with credentials replaced, and how many were; ``secrets`` are values to replace wherever they stand."""
    if not text:
        return text, 0
    count = 0
    if _hinted(text) and _BREAK.search(text) is not None:
        text, count = _across_breaks(text)
    text, more = _redact_text(text, secrets)
    return text, count + more


def _across_breaks(text: str) -> tuple[str, int]:
    """``text`` read again with each break as one blank: the values that reading replaces are replaced where they
    stand in ``text`` (by position: each value once, whatever its length -- no search of the text for each)."""
    starts = array("q")  # where a break, or the text after one, starts in the spaced copy ...
    origins = array("q")  # ... and in text
    shift = 0
    for found in _BREAK.finditer(text):
        starts.append(found.start() - shift)
        origins.append(found.start())
        shift += found.end() - found.start() - 1
        starts.append(found.end() - shift)
        origins.append(found.end())
    copy = _BREAK.sub(" ", text)
    redacted, count = _redact_text(copy, ())
    if not count:
        return text, 0

    def origin(at: int) -> int:
        if at >= len(copy):
            return len(text)
        piece = bisect_right(starts, at) - 1
        return at if piece < 0 else origins[piece] + (at - starts[piece])

    out: list[str] = []
    kept = replaced = 0
    for begin, end in _replaced_spans(copy, redacted):
        first = origin(begin)
        if first < kept:
            continue
        out.append(text[kept:first])
        out.append(MARK)
        kept = origin(end)
        replaced += 1
    out.append(text[kept:])
    return "".join(out), replaced


def _replaced_spans(copy: str, redacted: str) -> list[tuple[int, int]]:
    """Where in ``copy`` the values stood that its redaction replaced: the text between what it kept, piece by piece
    (each kept piece is found after the one before, once: linear)."""
    pieces = redacted.split(MARK)
    if not copy.startswith(pieces[0]):
        return []
    spans: list[tuple[int, int]] = []
    at = len(pieces[0])
    for number, piece in enumerate(pieces[1:], 1):
        if number == len(pieces) - 1:
            end = len(copy) - len(piece) if copy.endswith(piece) else -1
        else:
            end = copy.find(piece, at) if piece else -1
        if end < at:
            break  # (a replacement that changed more than its value: the spans found so far stand)
        begin, stop = at, end
        while begin < stop and copy[begin] == " ":
            begin += 1
        while stop > begin and copy[stop - 1] == " ":
            stop -= 1
        if stop > begin and MARK not in copy[begin:stop]:
            spans.append((begin, stop))
        at = end + len(piece)
    return spans


def _redact_text(text: str, secrets: tuple[str, ...]) -> tuple[str, int]:
    count = 0
    for secret in secrets:
        if secret in text:
            count += text.count(secret)
            text = text.replace(secret, MARK)
    if _pem_line(text):
        return MARK, count + 1
    if not _hinted(text):
        return text, count

    def sub(pattern: re.Pattern[str], repl: str, value: str) -> str:
        nonlocal count
        value, n = pattern.subn(repl, value)
        count += n
        return value

    # (keys, then scheme credentials, then Secrets, before names: `"tls.key":"-----BEGIN …"` keeps its markers and no
    # `Bearer` takes them; `Credential=…, Signature=…` after AWS4-HMAC-SHA256 is one value, a Secret's `"token"` one)
    if "-----BEGIN " in text:
        text, n = _counted(_PEM, _pem, text)
        count += n
    text, n = _counted(_SCHEME_TOKEN, _scheme_token, text)
    count += n
    if "LS0tLS1CRUdJTi" in text:
        text = sub(_PEM_B64, MARK, text)
    text, n = _secret_data(text)
    count += n
    text, n = _named_values(text)
    count += n
    if "eyJ" in text:  # (each pass reads the whole text: one that cannot match is not run)
        text = sub(_JWT, rf"\1{MARK}", text)
    text = sub(_QUERY, rf"\1{MARK}", text)
    text = sub(_USERINFO, rf"\1{MARK}@", text)
    # (after a query's or a URL's own: `?token=ghp_…` and `https://x:ghs_…@github.com` are one credential each)
    if _VENDOR_PREFIX(text):
        text, n = _counted(_VENDOR, _vendor, text)
        count += n
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


def _names_object(key: str, value: str) -> bool:
    """Whether an attribute named ``secret``/``credential`` (``istio.secret`` from istiod's ``secret=ns/name``) holds
    a Kubernetes object's name, which an auditor needs, rather than a credential."""
    return key.rpartition(".")[2].lower() in _OBJECT_NAMES and _K8S_REF.fullmatch(value) is not None


def _secrets_of(value: Any, key: str, found: list[str]) -> None:
    """Collect the values of secret-named attributes (recursively) into ``found``."""
    if isinstance(value, str):
        if (
            key
            and sensitive_key(key)
            and len(value) >= MIN_SECRET
            and value not in ("null", "none", "None")
            and not _names_object(key, value)
        ):
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
        if key and sensitive_key(key) and value not in ("", "-") and not _names_object(key, value):
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
    raw = obj.get("raw") or ""
    if not raw_unhinted and _hinted(raw):
        return True
    if len(raw) in _PEM_LINE_SIZES and _pem_line(raw):  # (no hint can tell: a key's line has no word beside it)
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
