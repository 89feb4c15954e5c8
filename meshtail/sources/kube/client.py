"""The one HTTP client meshtail uses to talk to an API server.  It can only send GET.

Built on aiohttp directly (kubernetes_asyncio supplies the credentials) because the
log endpoint needs what the generated client lacks: ``sinceTime``, raw chunked bodies,
Status errors from streaming calls, and a connection pool sized for 1,000 streams.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from .config import Cluster
from .errors import KubeError, backoff, status_error

# A followed log or watch has no total deadline; only connecting does.
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=15, connect=30)
MAX_THROTTLE_RETRIES = 5
UNAVAILABLE = (502, 503, 504)  # a gateway or the API server itself away for a moment
MAX_UNAVAILABLE_RETRIES = 4  # such answers asked again (0.3-2 s apart) before the caller hears of it


def request_timeout(seconds: float | None) -> aiohttp.ClientTimeout:
    """The timeout of one non-streaming request: ``seconds`` in all (None: no limit), connecting within 15 s."""
    if seconds is None:
        return aiohttp.ClientTimeout(total=None, sock_connect=15, connect=30)
    return aiohttp.ClientTimeout(total=seconds, sock_connect=min(15.0, seconds))


class KubeClient:
    """Read-only access to one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._session: aiohttp.ClientSession | None = None
        self.throttled = 0
        self.unavailable = 0  # 502/503/504 answers asked again
        self._request_timeout = request_timeout(cluster.options.timeout)
        self._proxy: URL | None = None
        self._proxy_headers: dict[str, str] | None = None
        if cluster.proxy:
            # credentials go in Proxy-Authorization (as Go sends them), never in a URL an error might show
            url = URL(cluster.proxy)
            if url.user is not None:
                token = base64.b64encode(f"{url.user}:{url.password or ''}".encode()).decode("ascii")
                self._proxy_headers = {"Proxy-Authorization": f"Basic {token}"}
            self._proxy = url.with_user(None)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # limit=0: no pool cap (the default of 100 would silently queue stream 101).  Bodies are decompressed:
            # aiohttp asks for gzip, and kube-apiserver gzips every whole answer over 128 KiB (a big namespace's pod
            # list), which meshtail read as "invalid JSON" until the stand-in answered the same way
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ssl=self.cluster.ssl_context())
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _headers(self, accept: str) -> CIMultiDict[str]:
        """Accept, credentials and impersonation (``--as``/``--as-group``, one header per group, as client-go)."""
        headers: CIMultiDict[str] = CIMultiDict({"Accept": accept, "User-Agent": "meshtail (read-only)"})
        auth = await self.cluster.authorization()
        if auth:
            headers["Authorization"] = auth
        options = self.cluster.options
        if options.impersonate_user:
            headers["Impersonate-User"] = options.impersonate_user
            for group in options.impersonate_groups:
                headers.add("Impersonate-Group", group)
        return headers

    @asynccontextmanager
    async def _get(
        self, path: str, params: Mapping[str, str] | None, accept: str, timeout: aiohttp.ClientTimeout, what: str
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """GET with 401-refresh and 429-Retry-After handling; yields a 2xx response."""
        url = self.cluster.host + path
        refreshed = False
        throttles = unavailable = 0
        while True:
            headers = await self._headers(accept)
            try:
                response = await self.session.get(
                    url,
                    params=dict(params or {}),
                    headers=headers,
                    timeout=timeout,
                    server_hostname=self.cluster.server_name,
                    proxy=self._proxy,
                    proxy_headers=self._proxy_headers,
                )
            except aiohttp.ClientProxyConnectionError as exc:
                raise KubeError(
                    f"{what}: cannot reach the proxy {self.cluster.via}: {exc.os_error}", transient=True
                ) from exc
            except aiohttp.ClientHttpProxyError as exc:
                raise KubeError(
                    f"{what}: the proxy {self.cluster.via} refused to connect to {self.cluster.host}: "
                    f"{exc.status} {exc.message}",
                    exc.status,
                    transient=exc.status in UNAVAILABLE,
                ) from exc
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
            except TimeoutError as exc:
                raise self._timed_out(what, timeout) from exc
            except aiohttp.ClientError as exc:
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
            if self.cluster.via is not None and self.cluster.host.startswith("http:") and not _is_status(body):
                # plain HTTP goes through the proxy as a forwarded request (no tunnel), so the proxy can
                # answer itself; a real API server answers errors with a Status object
                reason = f" {response.reason}" if response.reason else ""
                raise KubeError(
                    f"{what}: the proxy {self.cluster.via} answered HTTP {response.status}{reason} "
                    f"instead of the API server at {self.cluster.host}",
                    response.status,
                    transient=response.status in UNAVAILABLE,
                )
            error = status_error(response.status, body, what, response.headers.get("Retry-After"))
            if response.status == 401 and not refreshed and await self.cluster.refresh(headers.get("Authorization")):
                refreshed = True
                continue
            if response.status == 429 and throttles < MAX_THROTTLE_RETRIES:
                throttles += 1
                self.throttled += 1
                await asyncio.sleep(min(error.retry_after if error.retry_after is not None else 1.0, 30.0))
                continue
            if response.status in UNAVAILABLE and unavailable < MAX_UNAVAILABLE_RETRIES:
                # an API server restarting or behind a load balancer that lost it for a moment: asked again
                # after a short back-off, as client-go's reflectors do, before anyone hears of it
                unavailable += 1
                self.unavailable += 1
                wait = error.retry_after if error.retry_after is not None else backoff(unavailable, cap=2.0)
                await asyncio.sleep(min(wait, 30.0))
                continue
            if response.status == 429 or (response.status in UNAVAILABLE and unavailable):
                tries = throttles if response.status == 429 else unavailable
                reason = "throttled by the API server (429)" if response.status == 429 else f"HTTP {response.status}"
                raise KubeError(
                    f"{what}: {reason} {tries + 1} times in a row; gave up", response.status, error.reason,
                    error.retry_after, transient=True,
                )  # fmt: skip
            raise error

    async def get_json(self, path: str, params: Mapping[str, str] | None = None, what: str = "") -> dict[str, Any]:
        """GET a JSON object; :class:`KubeError` on failure."""
        what = what or f"GET {path}"
        timeout = self._request_timeout
        async with self._get(path, params, "application/json", timeout, what) as response:
            try:
                data = await response.read()
            except TimeoutError as exc:
                raise self._timed_out(what, timeout) from exc
            except aiohttp.ClientError as exc:
                raise KubeError(f"{what}: response cut off: {exc}", transient=True) from exc
        try:
            obj = json.loads(data)
        except ValueError as exc:
            raise KubeError(f"{what}: the API server sent invalid JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise KubeError(f"{what}: expected a JSON object")
        return obj

    def _timed_out(self, what: str, timeout: aiohttp.ClientTimeout) -> KubeError:
        """A request that took too long, naming the limit (``--request-timeout``) it ran into."""
        if timeout.total is not None:
            limit = f"within {timeout.total:g}s (--request-timeout)"
        else:
            limit = f"(could not connect within {timeout.sock_connect:g}s)"
        via = f" through the proxy {self.cluster.via}" if self.cluster.via is not None else ""
        return KubeError(f"{what}: no answer from {self.cluster.host}{via} {limit}", transient=True)

    @asynccontextmanager
    async def stream(
        self, path: str, params: Mapping[str, str] | None = None, what: str = "", accept: str = "*/*"
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A long-lived GET (followed log, watch); the caller reads ``response.content``."""
        async with self._get(path, params, accept, STREAM_TIMEOUT, what or f"GET {path}") as response:
            yield response


def _is_status(body: bytes) -> bool:
    """Whether an error body is the API server's ``Status`` object (rather than a proxy's error page)."""
    try:
        obj = json.loads(body)
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("kind") == "Status"
