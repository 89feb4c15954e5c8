"""Credentials out of everything meshtail writes: ``raw``, ``summary`` and every attribute alike.

Applied to a copy of an event's JSON form when it leaves meshtail (JSONL from ``scan``,
``tail`` and the TUI's export, text output, the detail screen's "as exported" view and
copy), never to the stored event.  Each replacement keeps the name and drops the value
(``Bearer [REDACTED]``, ``token=[REDACTED]``, ``user:[REDACTED]@host``) so an auditor still
sees that a credential was there; the event records how many values were replaced
(``meshtail.redacted``).

What counts as a credential:

* header values by name, wherever the name stands next to its value — ``authorization:
  Bearer …``, JSON ``"x-api-key":"…"``, Envoy's debug header dumps ``'cookie', '…'``,
  ``key=value`` fields — for Authorization, Proxy-Authorization, Cookie, Set-Cookie and
  any header whose name ends in token, secret, password, key or credential;
* ``Bearer``/``Basic``/… tokens and JWTs anywhere;
* secrets in query strings (``access_token``, ``auth_token``, ``private_token``, ``jwt``,
  ``password``, ``X-Amz-Signature``, ``X-Goog-Signature``, ``sig``, …);
* the password of a URL's or an authority's userinfo (``user:pass@host``);
* the value of any attribute whose name says it is a secret (``http.request.header.
  authorization`` from a custom ``%REQ(AUTHORIZATION)%`` format, a JSON access log's
  ``cookie`` field) — and that same value wherever else it appears, ``raw`` included,
  even where no name stands beside it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..linear import Linear

MARK = "[REDACTED]"

# a header (or field) name that holds a credential
_SECRET_NAME = (
    r"(?:proxy-)?authorization|(?:set-)?cookie|x-api-key|api[-_]?key|apikey|x-auth-token|private[-_]token"
    r"|x-amz-security-token|x-vault-token|[\w-]*(?:token|secret|password|passwd|credentials?)"
)
_HEADER = re.compile(
    rf"(?i)(?<![\w-])({_SECRET_NAME})"
    # the separator: `: `, `=`, JSON `":"`, Envoy's dump `', '`, YAML `: "`
    r"""(["']?\s*[:=,]\s*["']?)"""
    r"""((?:bearer|basic|digest|negotiate|token)\s+[^\s,;"'\\]+|"[^"]*"|[^\s,;&#"'\\]+(?:;\s*[^\s,;&#"'\\]+=[^\s,;&#"'\\]*)*)"""
)
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|basic|digest|negotiate)\s+(?!\[REDACTED\])[A-Za-z0-9._~+/=-]{6,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_QUERY = re.compile(
    r"(?i)((?:^|[?&;])(?:access[_-]token|id_token|refresh_token|auth[_-]token|private[_-]token|token|jwt|api[_-]?key"
    r"|apikey|key|secret|client_secret|password|passwd|pwd|sig|signature|x-amz-signature|x-amz-credential"
    r"|x-amz-security-token|x-goog-signature|x-goog-credential|session|sessionid|sid|code|auth)=)"
    r"(?!\[REDACTED\])[^&#\s\"']+"
)
_USERINFO = re.compile(
    r"""(?i)((?:[a-z][a-z0-9+.-]*://|(?<=[\s"'(=])|^)[A-Za-z0-9._~%!$&*+;=-]+:)(?!\[REDACTED\])([^\s/@"']+)@"""
    r"""(?=[A-Za-z0-9.-]+(?::\d+)?(?:[/"'\s?#]|$))"""
)
# A cheap first look: most lines hold none of these, and skip the passes above.  In linear time:
# Python's engine tries every alternative at every position (~100 µs a line, more than all the
# rest of `scan -o jsonl`); RE2 reads the line once (~1.5 µs).
_HINT = Linear(
    r"bearer|basic |digest |negotiate |eyJ|authorization|cookie|token|secret|passw|pwd=|api[-_]?key|apikey"
    r"|sig=|signature|credential|session|sid=|code=|auth=|jwt|key=|@",
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


_SENSITIVE_KEY = re.compile(
    rf"(?i)(?:^|[._-])(?:{_SECRET_NAME}|signature|jwt)$|^http\.request\.header\.(?:x-)?(?:auth|session|csrf|xsrf)"
)
MIN_SECRET = 4  # values shorter than this are not hunted down elsewhere in the line


@lru_cache(maxsize=4096)
def sensitive_key(key: str) -> bool:
    """True for an attribute whose value is a credential by its name (``http.request.header.cookie``)."""
    return bool(_SENSITIVE_KEY.search(key))


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

    text = sub(_HEADER, rf"\1\2{MARK}", text)
    text = sub(_SCHEME_TOKEN, rf"\1 {MARK}", text)
    text = sub(_JWT, MARK, text)
    text = sub(_QUERY, rf"\1{MARK}", text)
    text = sub(_USERINFO, rf"\1{MARK}@", text)
    return text, count


def _secrets_of(value: Any, key: str, found: list[str]) -> None:
    """Collect the values of secret-named attributes (recursively) into ``found``."""
    if isinstance(value, str):
        if key and sensitive_key(key) and len(value) >= MIN_SECRET and value not in ("null", "none", "None"):
            found.append(value)
            # a scheme word stays readable: only what follows it is hunted down
            scheme, _, rest = value.partition(" ")
            if rest and scheme.lower() in ("bearer", "basic", "digest", "negotiate") and len(rest) >= MIN_SECRET:
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
            scheme, space, _ = value.partition(" ")
            keep = scheme.lower() in ("bearer", "basic", "digest", "negotiate") and space
            return (f"{scheme} {MARK}" if keep else MARK), 1
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
        for k, item in value.items():
            new, n = _walk(item, secrets, str(k))
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
    return tuple(sorted(set(found), key=len, reverse=True))


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
