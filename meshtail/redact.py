"""Credentials out of exported events: Authorization / bearer tokens, JWTs, cookies, query-string secrets.

Applied to a copy of the event's JSON form (summary, raw and every string attribute, at
any depth), never to the stored event.  Each replacement keeps the name and drops the
value (``Bearer [REDACTED]``, ``token=[REDACTED]``) so an auditor still sees that a
credential was there.
"""

from __future__ import annotations

import re
from typing import Any

MARK = "[REDACTED]"
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_QUERY = re.compile(
    r"(?i)((?:^|[?&;])(?:access_token|id_token|refresh_token|token|api_key|apikey|key|secret|client_secret|password|passwd|pwd"
    r"|sig|signature|x-amz-signature|x-amz-credential|auth|session|sessionid|code)=)[^&#\s\"']+"
)
_HEADER = re.compile(
    r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token)(\s*[:=]\s*)"
    r"(\"[^\"]*\"|(?:(?:bearer|basic|digest|negotiate)\s+)?[^\s,;\"]+(?:;\s*[^\s,;\"]+=[^\s,;\"]*)*)"
)
_SENSITIVE_KEY = re.compile(
    r"(?i)(authorization|cookie|set-cookie|x-api-key|x-auth-token|api[_-]?key|password|secret"
    r"|token)$"
)


def redact_text(text: str) -> tuple[str, int]:
    """``text`` with credentials replaced, and how many were."""
    count = 0

    def sub(pattern: re.Pattern[str], repl: str, value: str) -> str:
        nonlocal count
        value, n = pattern.subn(repl, value)
        count += n
        return value

    text = sub(_HEADER, rf"\1\2{MARK}", text)
    text = sub(_BEARER, rf"\1 {MARK}", text)
    text = sub(_JWT, MARK, text)
    text = sub(_QUERY, rf"\1{MARK}", text)
    return text, count


def _walk(value: Any, key: str = "") -> tuple[Any, int]:
    if isinstance(value, str):
        if key and _SENSITIVE_KEY.search(key) and value not in ("", "-"):
            return MARK, 1
        return redact_text(value)
    if isinstance(value, list):
        out, total = [], 0
        for item in value:
            new, n = _walk(item, key)
            out.append(new)
            total += n
        return out, total
    if isinstance(value, dict):
        result, total = {}, 0
        for k, item in value.items():
            new, n = _walk(item, k)
            result[k] = new
            total += n
        return result, total
    return value, 0


def redact_event(obj: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A redacted copy of an event's JSON form; marks it with ``meshtail.redacted`` when anything changed."""
    out = dict(obj)
    total = 0
    for field in ("summary", "raw"):
        out[field], n = redact_text(obj.get(field) or "")
        total += n
    out["attributes"], n = _walk(obj.get("attributes") or {})
    total += n
    if total:
        out["attributes"] = {**out["attributes"], "meshtail.redacted": total}
    return out, total
