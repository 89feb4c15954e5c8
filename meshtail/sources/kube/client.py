"""The one HTTP client meshtail uses to talk to an API server.  It can only send GET.

Built on aiohttp directly (kubernetes_asyncio supplies the credentials) because the
log endpoint needs what the generated client lacks: ``sinceTime``, raw chunked bodies,
Status errors from streaming calls, and a connection pool sized for 1,000 streams.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from .config import Cluster
from .errors import KubeError, status_error

# A followed log or watch has no total deadline; only connecting does.
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=15, connect=30)
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=15)
MAX_THROTTLE_RETRIES = 5


class KubeClient:
    """Read-only access to one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._session: aiohttp.ClientSession | None = None
        self.throttled = 0

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # limit=0: no pool cap (the default of 100 would silently queue stream 101)
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ssl=self.cluster.ssl_context())
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": "meshtail (read-only)"}
        auth = await self.cluster.authorization()
        if auth:
            headers["Authorization"] = auth
        return headers

    @asynccontextmanager
    async def _get(
        self, path: str, params: Mapping[str, str] | None, accept: str, timeout: aiohttp.ClientTimeout, what: str
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """GET with 401-refresh and 429-Retry-After handling; yields a 2xx response."""
        url = self.cluster.host + path
        refreshed = False
        throttles = 0
        while True:
            headers = await self._headers(accept)
            try:
                response = await self.session.get(
                    url,
                    params=dict(params or {}),
                    headers=headers,
                    timeout=timeout,
                    server_hostname=self.cluster.server_name,
                    proxy=self.cluster.proxy,
                )
            except aiohttp.ClientConnectorCertificateError as exc:
                raise KubeError(
                    f"{what}: TLS certificate of {self.cluster.host} not trusted: {exc.certificate_error}",
                    transient=False,
                ) from exc
            except aiohttp.ClientSSLError as exc:
                raise KubeError(f"{what}: TLS error talking to {self.cluster.host}: {exc}") from exc
            except aiohttp.ClientConnectorError as exc:
                raise KubeError(
                    f"{what}: cannot reach the API server at {self.cluster.host}: {exc.os_error}", transient=True
                ) from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise KubeError(
                    f"{what}: request to {self.cluster.host} failed: {exc or type(exc).__name__}", transient=True
                ) from exc
            if response.status < 300:
                try:
                    yield response
                finally:
                    response.release()
                return
            body = await response.read()
            response.release()
            error = status_error(response.status, body, what, response.headers.get("Retry-After"))
            if response.status == 401 and not refreshed and await self.cluster.refresh(headers.get("Authorization")):
                refreshed = True
                continue
            if response.status == 429 and throttles < MAX_THROTTLE_RETRIES:
                throttles += 1
                self.throttled += 1
                await asyncio.sleep(min(error.retry_after if error.retry_after is not None else 1.0, 30.0))
                continue
            raise error

    async def get_json(self, path: str, params: Mapping[str, str] | None = None, what: str = "") -> dict[str, Any]:
        """GET a JSON object; :class:`KubeError` on failure."""
        async with self._get(path, params, "application/json", REQUEST_TIMEOUT, what or f"GET {path}") as response:
            try:
                data = await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise KubeError(f"{what or path}: response cut off: {exc}", transient=True) from exc
        try:
            obj = json.loads(data)
        except ValueError as exc:
            raise KubeError(f"{what or path}: the API server sent invalid JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise KubeError(f"{what or path}: expected a JSON object")
        return obj

    @asynccontextmanager
    async def stream(
        self, path: str, params: Mapping[str, str] | None = None, what: str = "", accept: str = "*/*"
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A long-lived GET (followed log, watch); the caller reads ``response.content``."""
        async with self._get(path, params, accept, STREAM_TIMEOUT, what or f"GET {path}") as response:
            yield response
