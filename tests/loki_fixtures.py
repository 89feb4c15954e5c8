"""A small in-process Loki for the Loki source's tests, and a LogQL evaluator for the queries meshtail writes.

Built from Loki's documented read API (``/loki/api/v1/query_range``, ``/labels``,
``/label/<name>/values``, ``/series``, the ``/tail`` websocket) and the JSON its marshaller
writes (``pkg/util/marshal/query.go``: ``[ts, line, {"structuredMetadata": …}]`` under
``X-Loki-Response-Encoding-Flags: categorize-labels``; ``pkg/loghttp/tail.go``:
``dropped_entries`` as ``{labels, timestamp}``).  Loki's limits and failures that matter to a
client are kept: the ``limit`` cap answered with Loki's own 400 text, ``no org id``, an
arbitrary order of entries that share a timestamp (Loki promises none), a tail that drops
entries or closes with 1011.  The LogQL evaluator reads only what meshtail generates:
stream matchers, line filters and label filters, with RE2 for regexes (Loki's Go regexp
has RE2's syntax and semantics).
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import re2
from aiohttp import WSMsgType, web

_STRING = r'"(?:[^"\\]|\\.)*"|`[^`]*`'
_TOKEN = re.compile(
    rf"\s*(?:(?P<str>{_STRING})|(?P<op>\|=|\|~|!=|!~|=~|=|\||\{{|\}}|,)|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)


class LogQLError(ValueError):
    pass


def _unquote(text: str) -> str:
    return text[1:-1] if text.startswith("`") else json.loads(text)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(text):
        if text[i:].strip() == "":
            break
        m = _TOKEN.match(text, i)
        if m is None or m.end() == i:
            raise LogQLError(f"parse error at {i}: {text[i : i + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        i = m.end()
    return out


@dataclass
class Query:
    matchers: list[tuple[str, str, str]]
    line_filters: list[tuple[str, str]]
    label_filters: list[tuple[str, str, str]]

    def _label(self, op: str, want: str, have: str) -> bool:
        if op == "=":
            return have == want
        if op == "!=":
            return have != want
        found = re2.fullmatch(want, have) is not None
        return found if op == "=~" else not found

    def selects(self, labels: dict[str, str]) -> bool:
        return all(self._label(op, value, labels.get(name, "")) for name, op, value in self.matchers)

    def keeps(self, labels: dict[str, str], metadata: dict[str, str], line: str) -> bool:
        if not self.selects(labels):
            return False
        for op, value in self.line_filters:
            if op == "|=" and value not in line:
                return False
            if op == "!=" and value in line:
                return False
            if op in ("|~", "!~") and (re2.search(value, line) is not None) != (op == "|~"):
                return False
        merged = {**labels, **metadata}
        return all(self._label(op, value, merged.get(name, "")) for name, op, value in self.label_filters)


def parse_query(text: str) -> Query:
    """The subset of LogQL meshtail writes; anything else is an error (as Loki's parser would have one)."""
    tokens = _tokens(text)
    pos = 0

    def take(kind: str | None = None, value: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise LogQLError("unexpected end of query")
        k, v = tokens[pos]
        if (kind and k != kind) or (value and v != value):
            raise LogQLError(f"unexpected {v!r}")
        pos += 1
        return v

    def matcher() -> tuple[str, str, str]:
        name = take("name")
        op = take("op")
        if op not in ("=", "!=", "=~", "!~"):
            raise LogQLError(f"bad matcher operator {op}")
        value = _unquote(take("str"))
        if op in ("=~", "!~"):
            re2.compile(value)
        return name, op, value

    take("op", "{")
    matchers = [matcher()]
    while tokens[pos][1] == ",":
        take("op", ",")
        matchers.append(matcher())
    take("op", "}")
    selective = any((op == "=" and v) or (op == "=~" and re2.fullmatch(v, "") is None) for _, op, v in matchers)
    if not selective:
        raise LogQLError(
            "queries require at least one regexp or equality matcher that does not have an empty-compatible value"
        )
    lines, labels = [], []
    while pos < len(tokens):
        op = take("op")
        if op in ("|=", "!=", "|~", "!~"):
            value = _unquote(take("str"))
            if op in ("|~", "!~"):
                re2.compile(value)
            lines.append((op, value))
        elif op == "|":
            labels.append(matcher())
        else:
            raise LogQLError(f"unexpected {op!r}")
    return Query(matchers, lines, labels)


@dataclass
class Stored:
    tenant: str
    labels: dict[str, str]
    ts: int
    line: str
    metadata: dict[str, str]

    @property
    def key(self) -> tuple[str, str, int, str]:
        return self.tenant, json.dumps({**self.labels, **self.metadata}, sort_keys=True), self.ts, self.line


@dataclass
class _Tail:
    tenant: str
    query: Query
    queue: asyncio.Queue[Stored | None] = field(default_factory=asyncio.Queue)
    drop: int = 0
    ws: web.WebSocketResponse | None = None


class FakeLoki:
    """An in-process Loki read API over entries the test pushes."""

    def __init__(
        self,
        *,
        tenants: set[str] | None = None,
        bearer: str | None = None,
        basic: tuple[str, str] | None = None,
        max_entries: int = 5000,
        categorize: bool = True,
        series: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        seed: int = 0,
    ) -> None:
        self.tenants = tenants
        self.bearer = bearer
        self.basic = basic
        self.max_entries = max_entries
        self.categorize = categorize
        self.series_enabled = series
        self.ssl_context = ssl_context
        self.random = random.Random(seed)
        self.stored: list[Stored] = []
        self.sent: list[Stored] = []  # every entry pushed: the "sent log"
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.tails: list[_Tail] = []
        self.rejected_limits = 0
        self.on_request: Callable[[web.Request], None] | None = None
        self._runner: web.AppRunner | None = None

    # ---- data --------------------------------------------------------------------------
    def push(
        self, labels: dict[str, str], ts: int, line: str, metadata: dict[str, str] | None = None, tenant: str = "fake"
    ) -> Stored:
        entry = Stored(tenant, dict(labels), ts, line, dict(metadata or {}))
        self.stored.append(entry)
        self.sent.append(entry)
        for tail in self.tails:
            if tail.tenant == tenant and tail.query.keeps(entry.labels, entry.metadata, line):
                tail.queue.put_nowait(entry)
        return entry

    def forget(self, predicate: Callable[[Stored], bool]) -> int:
        """Remove entries from the store (retention): what a re-read can no longer find."""
        before = len(self.stored)
        self.stored = [e for e in self.stored if not predicate(e)]
        return before - len(self.stored)

    def drop_next_tail_entries(self, n: int) -> None:
        for tail in self.tails:
            tail.drop += n

    async def close_tails(self, code: int = 1011, reason: str = "max duration exceeded") -> None:
        for tail in list(self.tails):
            if tail.ws is not None and not tail.ws.closed:
                await tail.ws.close(code=code, message=reason.encode())
            tail.queue.put_nowait(None)

    # ---- server ------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/loki/api/v1/labels", self._labels)
        app.router.add_get("/loki/api/v1/label/{name}/values", self._values)
        app.router.add_get("/loki/api/v1/series", self._series)
        app.router.add_get("/loki/api/v1/query_range", self._query_range)
        app.router.add_get("/loki/api/v1/tail", self._tail)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{port}"

    async def stop(self) -> None:
        for tail in self.tails:
            tail.queue.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.query), dict(request.headers)))
        if request.method != "GET":
            return web.Response(status=405, text="method not allowed")
        if self.on_request is not None:
            self.on_request(request)
        auth = request.headers.get("Authorization", "")
        if self.bearer is not None and auth != f"Bearer {self.bearer}":
            return web.Response(status=401, text="authentication required")
        if self.basic is not None:
            want = "Basic " + base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            if auth != want:
                return web.Response(status=401, text="invalid authentication credentials")
        if self.tenants is not None and not request.headers.get("X-Scope-OrgID"):
            return web.Response(status=401, text="no org id")
        return await handler(request)  # type: ignore[no-any-return]

    def _tenant(self, request: web.Request) -> str:
        return request.headers.get("X-Scope-OrgID") or "fake"

    def _entries(self, request: web.Request) -> list[Stored]:
        tenant = self._tenant(request)
        return [e for e in self.stored if e.tenant == tenant]

    async def _labels(self, request: web.Request) -> web.Response:
        names = sorted({name for e in self._entries(request) for name in e.labels})
        return web.json_response({"status": "success", "data": names})

    async def _values(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        values = sorted({e.labels[name] for e in self._entries(request) if name in e.labels})
        return web.json_response({"status": "success", "data": values})

    async def _series(self, request: web.Request) -> web.Response:
        if not self.series_enabled:
            return web.Response(status=404, text="404 page not found")
        try:
            query = parse_query(request.query["match[]"])
        except (LogQLError, KeyError, re2.error) as exc:
            return web.Response(status=400, text=f"parse error: {exc}")
        start, end = int(request.query["start"]), int(request.query["end"])
        found = {
            json.dumps(e.labels, sort_keys=True)
            for e in self._entries(request)
            if start <= e.ts < end and query.selects(e.labels)
        }
        return web.json_response({"status": "success", "data": [json.loads(item) for item in sorted(found)]})

    def _encode(self, entries: list[Stored], categorize: bool) -> list[dict[str, Any]]:
        streams: dict[str, dict[str, Any]] = {}
        for e in entries:
            labels = e.labels if categorize else {**e.labels, **e.metadata}
            key = json.dumps(labels, sort_keys=True)
            stream = streams.setdefault(key, {"stream": labels, "values": []})
            value: list[Any] = [str(e.ts), e.line]
            if categorize:
                value.append({"structuredMetadata": e.metadata} if e.metadata else {})
            stream["values"].append(value)
        return list(streams.values())

    def _wants_categorized(self, request: web.Request) -> bool:
        flags = request.headers.get("X-Loki-Response-Encoding-Flags", "")
        return self.categorize and "categorize-labels" in flags

    async def _query_range(self, request: web.Request) -> web.Response:
        try:
            query = parse_query(request.query["query"])
        except (LogQLError, KeyError, re2.error) as exc:
            return web.Response(status=400, text=f"parse error : {exc}")
        limit = int(request.query.get("limit", "100"))
        if limit > self.max_entries:
            self.rejected_limits += 1
            return web.Response(
                status=400,
                text=f"max entries limit per query exceeded, limit > max_entries_limit ({limit} > {self.max_entries})",
            )
        start, end = int(request.query["start"]), int(request.query["end"])
        if request.query.get("direction", "backward").lower() != "forward":
            return web.Response(status=400, text="this fake serves forward queries only")
        found = [e for e in self._entries(request) if start <= e.ts < end and query.keeps(e.labels, e.metadata, e.line)]
        # Loki orders by time; entries of one timestamp come in no promised order
        found.sort(key=lambda e: (e.ts, self.random.random()))
        page = found[:limit]
        categorize = self._wants_categorized(request)
        data: dict[str, Any] = {"resultType": "streams", "result": self._encode(page, categorize), "stats": {}}
        if categorize:
            data["encodingFlags"] = ["categorize-labels"]
        return web.json_response({"status": "success", "data": data})

    async def _tail(self, request: web.Request) -> web.StreamResponse:
        tenant = request.headers.get("X-Scope-OrgID") or "fake"
        if "|" in tenant:
            return web.Response(status=400, text="multiple org IDs present")
        try:
            query = parse_query(request.query["query"])
            delay = int(request.query.get("delay_for", "0"))
        except (LogQLError, KeyError, ValueError, re2.error) as exc:
            return web.Response(status=400, text=f"parse error : {exc}")
        if delay > 5:
            return web.Response(status=400, text="delay_for can't be greater than 5")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        tail = _Tail(tenant, query, ws=ws)
        start = int(request.query.get("start", "0"))
        limit = int(request.query.get("limit", "100"))
        history = sorted(
            (
                e
                for e in self.stored
                if e.tenant == tenant and e.ts >= start and query.keeps(e.labels, e.metadata, e.line)
            ),
            key=lambda e: e.ts,
        )[:limit]
        for entry in history:
            tail.queue.put_nowait(entry)
        self.tails.append(tail)
        categorize = self._wants_categorized(request)
        reader = asyncio.create_task(self._drain(ws, tail))
        try:
            while not ws.closed:
                entry = await tail.queue.get()
                if entry is None:
                    break
                batch = [entry]
                while not tail.queue.empty() and len(batch) < 100:
                    nxt = tail.queue.get_nowait()
                    if nxt is None:
                        break
                    batch.append(nxt)
                sent, dropped = [], []
                for item in batch:
                    if tail.drop > 0:
                        tail.drop -= 1
                        dropped.append({"labels": item.labels, "timestamp": str(item.ts)})
                    else:
                        sent.append(item)
                message: dict[str, Any] = {"streams": self._encode(sent, categorize)}
                if dropped:
                    message["dropped_entries"] = dropped
                if ws.closed:
                    break
                await ws.send_str(json.dumps(message))
        except (ConnectionResetError, RuntimeError):
            pass
        finally:
            reader.cancel()
            self.tails.remove(tail)
        return ws

    async def _drain(self, ws: web.WebSocketResponse, tail: _Tail) -> None:
        try:
            async for message in ws:
                if message.type == WSMsgType.CLOSE:
                    break
        finally:
            tail.queue.put_nowait(None)  # the client went: wake the sender


def now_ns() -> int:
    return time.time_ns()


# ---- serving the stand-in (meshtail/demo/loki.py) behind test middleware, TLS or a cuttable proxy -------------
class Served:
    """The Loki stand-in's routes in an app of the test's own: middleware (403s, header records), TLS."""

    def __init__(self, routes: list[web.RouteDef], middlewares: list[Any] | None = None) -> None:
        self.routes = routes
        self.middlewares = middlewares or []
        self._runner: web.AppRunner | None = None

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> str:
        app = web.Application(middlewares=self.middlewares)
        app.add_routes(self.routes)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class TcpProxy:
    """A TCP relay in front of a server; :meth:`cut` breaks every open connection (no close frame: a disconnect)."""

    def __init__(self, target: str) -> None:
        parts = target.rsplit(":", 1)
        self.host, self.port = parts[0].split("//")[-1], int(parts[1])
        self.connections: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.close()
            return
        pair = (writer, up_writer)
        self.connections.append(pair)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def cut(self) -> int:
        """Abort every open connection both ways; returns how many there were."""
        cut = 0
        for down, up in self.connections:
            for writer in (down, up):
                writer.transport.abort()
            cut += 1
        self.connections = []
        return cut

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
