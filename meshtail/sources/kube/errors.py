"""Kubernetes API errors in words an operator can act on."""

from __future__ import annotations

import json
import random
from typing import Any

RBAC_HINT = (
    "meshtail needs get/list/watch on pods, get on pods/log and list/watch on the mesh resources (deploy/rbac.yaml)"
)


class KubeError(Exception):
    """A failed API call: HTTP status (None when the server was not reached), reason and message."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        reason: str = "",
        retry_after: float | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        self.transient = transient


def status_error(status: int, body: bytes, what: str, retry_after: str | None = None) -> KubeError:
    """Turn an error response (normally a ``Status`` object) into a :class:`KubeError`."""
    message, reason = "", ""
    try:
        obj: Any = json.loads(body)
        if isinstance(obj, dict):
            message = str(obj.get("message") or "")
            reason = str(obj.get("reason") or "")
    except ValueError:
        message = body.decode("utf-8", "replace").strip()[:300]
    wait: float | None = None
    if retry_after:
        try:
            wait = max(0.0, float(retry_after))
        except ValueError:
            wait = None
    if status == 401:
        text = f"{what}: the API server rejected the credentials (401 Unauthorized); the token may have expired"
    elif status == 403:
        text = f"{what}: forbidden (403): {message or 'no reason given'}. {RBAC_HINT}"
    elif status == 404:
        text = f"{what}: not found (404){': ' + message if message else ''}"
    elif status == 429:
        text = f"{what}: throttled by the API server (429){f', retrying after {wait:g}s' if wait is not None else ''}"
    else:
        text = f"{what}: HTTP {status}{' ' + reason if reason else ''}{': ' + message if message else ''}"
    return KubeError(text, status, reason, wait, transient=status in (429, 500, 502, 503, 504))


def backoff(attempt: int, base: float = 0.25, cap: float = 30.0) -> float:
    """Exponential back-off with full jitter."""
    return random.uniform(0, min(cap, base * 2**attempt)) + 0.05
