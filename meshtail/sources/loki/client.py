"""The HTTP and websocket client for Loki's read API: labels, series, query_range, tail.  GET only.

Every failure becomes a :class:`LokiError` whose message is one line an operator can act
on — unreachable (naming the host), TLS, 401/403, a missing tenant (``no org id``), a query
Loki rejected (with Loki's own words) — and never holds a credential.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson

from ...text import visible
from .config import LokiConfig

ENCODING_HEADER = "X-Loki-Response-Encoding-Flags"
CATEGORIZE = "categorize-labels"  # entries carry their structured metadata separately from stream labels
# Loki's 400 for a too-large ``limit``: ``max_entries_limit`` before Loki 3.5, ``max_entries_limit_per_query`` since
_MAX_ENTRIES = re.compile(
    r"max entries limit per query exceeded, limit > max_entries_limit(?:_per_query)? \((\d+) > (\d+)\)"
)
_TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")


class LokiError(Exception):
    """A failed Loki call.  ``status`` is None when no HTTP answer came; ``transient`` errors are retried."""

    def __init__(self, message: str, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.transient = transient

    @property
    def max_entries(self) -> int | None:
        """The server's ``max_entries_limit_per_query`` when this is its 400 for a too-large ``limit``."""
        found = _MAX_ENTRIES.search(self.message)
        return int(found.group(2)) if found else None


def _body_text(body: bytes) -> str:
    """Loki's error text: plain text, ``{"message"|"error": …}`` or a gateway's HTML page; one safe line."""
    text = body.decode("utf-8", "replace").strip()
    if text[:1] == "<":  # a gateway's HTML page: its title says it ("401 Authorization Required")
        title = _TITLE.search(text)
        text = title.group(1) if title else _TAG.sub(" ", text)
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        text = str(obj.get("message") or obj.get("error") or text)
    text = " ".join(text.split())
    return visible(text[:300] + ("…" if len(text) > 300 else ""))


def status_error(config: LokiConfig, status: int, body: bytes, what: str) -> LokiError:
    message = _body_text(body)
    where = f"Loki at {config.where}"
    if "no org id" in message.lower():
        text = (
            f"{what}: {where} needs a tenant: it answered '{message}' (give --loki-tenant; it is sent as X-Scope-OrgID)"
        )
        return LokiError(text, status)
    if status == 401:
        said = f": {message}" if message else ""
        if config.auth_mode == "none":
            text = f"{what}: {where} needs credentials (401 Unauthorized{said}); give --loki-token or --loki-user"
        else:
            mode = "the bearer token" if config.auth_mode == "bearer" else "the user and password"
            text = f"{what}: {where} rejected {mode} (401 Unauthorized{said})"
        return LokiError(text, 401)
    if status == 403:
        return LokiError(
            f"{what}: {where} forbids it (403){': ' + message if message else ''}; meshtail needs read access "
            "(query, labels, series, tail) to the tenant",
            403,
        )
    if status == 400:
        return LokiError(f"{what}: {where} rejected the request: {message or 'no reason given'}", 400)
    if status == 404:
        return LokiError(f"{what}: {where} has no such API (404): is it the Loki base URL?", 404)
    transient = status in (408, 429, 500, 502, 503, 504)
    return LokiError(f"{what}: {where} answered HTTP {status}{': ' + message if message else ''}", status, transient)


def parse_dropped(items: Any) -> list[tuple[dict[str, str], int]]:
    """A tail message's ``dropped_entries``: ``(stream labels, ns)`` each (RFC 3339 stamps accepted too).

    Loki's ``dropEntry`` may put the entry's line where its labels belong: such an entry is kept
    with no labels (``{}``, a stream not named), never skipped — a drop is never silent.
    """
    out: list[tuple[dict[str, str], int]] = []
    for item in items or ():
        if not isinstance(item, dict):
            continue
        labels = item.get("labels") or {}
        if not isinstance(labels, dict):
            labels = {}
        stamp = item.get("timestamp")
        try:
            ts = int(stamp)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            ts = _rfc3339_ns(str(stamp)) if stamp is not None else None
        if ts is not None and isinstance(labels, dict):
            out.append((labels, ts))
    return out


def _rfc3339_ns(stamp: str) -> int | None:
    from datetime import datetime

    head, _, rest = stamp.partition(".")
    digits = "".join(ch for ch in rest if ch.isdigit())
    zone = rest[len(digits) :] if rest else head[19:]
    try:
        base = datetime.fromisoformat(head[:19] + (zone.replace("Z", "+00:00") or "+00:00"))
    except ValueError:
        return None
    return int(base.timestamp()) * 1_000_000_000 + int((digits + "000000000")[:9])


class LokiClient:
    """Read-only access to one Loki (one :class:`LokiConfig`), shared by every tenant's reader."""

    def __init__(self, config: LokiConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(total=config.timeout, sock_connect=min(15.0, config.timeout))
        self.requests = 0  # every request sent (tests check the read-only claim with it)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=0, ssl=self.config.ssl_context())
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> LokiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def headers(self, tenant: str | None) -> dict[str, str]:
        headers = {"User-Agent": "meshtail (read-only)", ENCODING_HEADER: CATEGORIZE}
        auth = self.config.authorization()
        if auth:
            headers["Authorization"] = auth
        if tenant:
            headers["X-Scope-OrgID"] = tenant
        return headers

    def _failure(self, exc: BaseException, what: str) -> LokiError:
        """A transport failure in words (the host, never the URL's credentials or headers)."""
        host = self.config.where
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return LokiError(
                f"{what}: TLS certificate of Loki at {host} not trusted ({exc.certificate_error}); "
                "give its CA with --loki-ca"
            )
        if isinstance(exc, aiohttp.ClientSSLError):
            return LokiError(f"{what}: TLS failure talking to Loki at {host}: {exc}")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return LokiError(f"{what}: cannot reach Loki at {host}: {exc.os_error}", transient=True)
        if isinstance(exc, TimeoutError):
            return LokiError(f"{what}: Loki at {host} did not answer within {self.config.timeout:g}s", transient=True)
        if isinstance(exc, aiohttp.WSServerHandshakeError):
            return LokiError(f"{what}: Loki at {host} refused the websocket (HTTP {exc.status})", exc.status)
        return LokiError(f"{what}: request to Loki at {host} failed: {exc or type(exc).__name__}", transient=True)

    async def get_json(self, path: str, params: Mapping[str, str], tenant: str | None, what: str) -> dict[str, Any]:
        self.requests += 1
        try:
            async with self.session.get(
                self.config.url + path, params=dict(params), headers=self.headers(tenant), timeout=self._timeout
            ) as response:
                body = await response.read()
                if response.status >= 300:
                    raise status_error(self.config, response.status, body, what)
        except LokiError:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._failure(exc, what) from exc
        try:
            found = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise LokiError(f"{what}: Loki at {self.config.where} answered something other than JSON") from None
        if not isinstance(found, dict) or found.get("status", "success") != "success":
            message = found.get("error") if isinstance(found, dict) else None
            raise LokiError(f"{what}: Loki reported an error: {visible(str(message or found))[:300]}")
        return found

    async def labels(self, start_ns: int, end_ns: int, tenant: str | None) -> list[str]:
        found = await self.get_json(
            "/loki/api/v1/labels", {"start": str(start_ns), "end": str(end_ns)}, tenant, "list Loki labels"
        )
        return [str(name) for name in found.get("data") or ()]

    async def series(self, selector: str, start_ns: int, end_ns: int, tenant: str | None) -> list[dict[str, str]]:
        found = await self.get_json(
            "/loki/api/v1/series",
            {"match[]": selector, "start": str(start_ns), "end": str(end_ns)},
            tenant,
            "list Loki series",
        )
        return [item for item in found.get("data") or () if isinstance(item, dict)]

    async def query_range(
        self, query: str, start_ns: int, end_ns: int, limit: int, tenant: str | None, direction: str = "forward"
    ) -> list[Any]:
        """One page: at most ``limit`` entries with ``start_ns <= ts < end_ns``, the oldest first (forward).

        Loki's ``data.result`` as decoded: ``[{"stream": {…}, "values": [[ns, line(, metadata)], …]}, …]``,
        read by :meth:`meshtail.sources.loki.reader.Entries.flatten_json` (checked there, value by value)."""
        params = {
            "query": query,
            "start": str(start_ns),
            "end": str(end_ns),
            "limit": str(limit),
            "direction": direction,
        }
        found = await self.get_json("/loki/api/v1/query_range", params, tenant, "query Loki")
        data = found.get("data") or {}
        if data.get("resultType", "streams") != "streams":
            raise LokiError(f"query Loki: expected log streams, got {data.get('resultType')!r} (a metric query?)")
        result = data.get("result")
        return result if isinstance(result, list) else []

    @asynccontextmanager
    async def tail(
        self, query: str, start_ns: int, delay_for: int, limit: int, tenant: str | None
    ) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
        """The ``/loki/api/v1/tail`` websocket (one tenant: Loki's tail takes a single org id)."""
        url = self.config.url.replace("http", "ws", 1) + "/loki/api/v1/tail"
        params = {"query": query, "start": str(start_ns), "delay_for": str(delay_for), "limit": str(limit)}
        self.requests += 1
        what = f"tail Loki{f' (tenant {tenant})' if tenant else ''}"
        try:
            ws = await self.session.ws_connect(
                url,
                params=params,
                headers=self.headers(tenant),
                heartbeat=15.0,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
                max_msg_size=0,
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 400:
                # the query itself was just accepted by query_range: a refused tail is Loki's limit on
                # concurrent tails (``max concurrent tail requests limit exceeded``), which passes
                raise LokiError(
                    f"{what}: Loki at {self.config.where} refused the tail (HTTP 400); "
                    "most likely too many tails are open on it (max_concurrent_tail_requests)",
                    400,
                    transient=True,
                ) from exc
            if exc.status in (401, 403, 404):
                raise status_error(self.config, exc.status, exc.message.encode(), what) from exc
            raise self._failure(exc, what) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._failure(exc, what) from exc
        try:
            yield ws
        finally:
            await ws.close()
