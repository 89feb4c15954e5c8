"""The stand-in Kubernetes API server (aiohttp): discovery, pods, pod logs, workloads, mesh resources.

Read-only and faithful where clients look: Status errors with the real messages and
reasons, chunked ``follow`` log bodies, watch streams with bookmarks and 410 Expired,
Table responses for kubectl (pods, Deployments, ReplicaSets, DaemonSets with the columns a
real API server prints), bearer-token auth, impersonation (``Impersonate-User`` /
``Impersonate-Group``, as ``kubectl --as`` sends them) and 403 for namespaces it is told to
deny.  Every request's method and path is recorded so tests can prove meshtail only reads,
and the identity each request acted as, so tests can prove ``--as`` arrives.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from aiohttp import web

from . import resources
from .podlogs import ContainerLog, PodLogs, kubelet_timestamp, parse_timestamp_ns
from .resources import DAEMONSET, DEPLOYMENT, POD, REPLICASET, ResourceType
from .selectors import SelectorError, field_selector, label_selector
from .sentlog import sent_line
from .store import Expired, NotFound, Obj, ObjectStore

VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0+meshtail-demo",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> web.Response:
    """A ``Status`` error object, as the API server writes them."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return web.json_response(body, status=code)


@dataclass
class Request:
    """One parsed API path: ``/api/v1/namespaces/ns/pods/name/log`` and friends."""

    rtype: ResourceType
    version: str
    namespace: str | None
    name: str | None
    subresource: str | None


@dataclass
class ServerState:
    """Knobs tests (and ``--faults``) turn while the server runs."""

    tokens: set[str] = field(default_factory=set)
    deny_namespaces: set[str] = field(default_factory=set)
    user: str = "meshtail-demo"
    bookmark_interval: float = 5.0
    stalled_until: float = 0.0  # log streams send nothing until then (rotation-style stall)
    throttle: float = 0.0  # probability of answering 429 (Retry-After: 1)
    throttle_next: int = 0  # answer 429 to this many requests first
    error_rate: float = 0.0  # probability of answering 503
    # the latest requests (bounded: a soak runs for hours) and a count per method of all of them
    requests: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=100_000))
    methods: Counter[str] = field(default_factory=Counter)
    sent: list[tuple[str, str, str]] | None = None  # (timestamp, ns/pod/container, line) per served line
    sent_log: TextIO | None = None  # the same, as --sent-log lines: "<timestamp>\t<ns>/<pod>/<container>\t<line>"
    split_streams: set[int] = field(default_factory=set)  # log streams to break inside a same-timestamp run
    hang_origins: set[str] = field(default_factory=set)  # ns/pod/container whose next log request hangs
    socket_buffer: int | None = None  # fault "buffer": small send buffers on log streams
    delay: float = 0.0  # seconds before answering each request that is not a stream (a slow API server)
    # impersonation: whether the authenticated user may impersonate, and who each request acted as
    allow_impersonation: bool = True
    identities: deque[tuple[str, str, tuple[str, ...]]] = field(default_factory=lambda: deque(maxlen=100_000))
    deny_for: dict[str, set[str]] = field(default_factory=dict)  # user or group -> namespaces it may not read
    # the client end of each request's connection: through a proxy, one per tunnel the proxy opened
    peers: deque[tuple[str, int]] = field(default_factory=lambda: deque(maxlen=100_000))
    # what was done to clients, for the tests' premises: 429, 503, split, hang, blocked-write
    faulted: Counter[str] = field(default_factory=Counter)


class ApiServer:
    """The HTTP face of an :class:`ObjectStore` and :class:`PodLogs`."""

    def __init__(self, store: ObjectStore, logs: PodLogs, state: ServerState | None = None) -> None:
        self.store = store
        self.logs = logs
        self.state = state or ServerState()
        self._streams: dict[int, web.Request] = {}
        self._rng = random.Random(7)
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> str:
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True, ssl_context=tls)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return f"{'https' if tls else 'http'}://{host}:{self.port}"

    async def stop(self) -> None:
        self.store.close_watches()
        self.drop_streams()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def drop_streams(self, mid_line: bool = False) -> int:
        """Break every open log stream (connection reset / truncated chunked body)."""
        count = 0
        for request in list(self._streams.values()):
            transport = request.transport
            if transport is not None:
                if mid_line:
                    transport.write(b"5\r\n2025-")  # half a chunk: the client sees a truncated body
                transport.abort()
                count += 1
        self._streams.clear()
        return count

    def restart(self) -> None:
        """All streams and watches drop at once, as when the API server restarts."""
        self.store.close_watches()
        self.drop_streams()

    # ---- dispatch --------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.state.requests.append((request.method, request.path_qs))
        self.state.methods[request.method] += 1
        path = request.path.rstrip("/") or "/"
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok")
        if self.state.tokens:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.state.tokens:
                return status(401, "Unauthorized", "Unauthorized")
        identity = self._identity(request)
        if isinstance(identity, web.Response):
            return identity
        user, groups = identity
        self.state.identities.append((request.path_qs, user, groups))
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        if peer:
            self.state.peers.append((str(peer[0]), int(peer[1])))
        if self.state.delay and not path.endswith("/log") and not _truthy(request.query.get("watch")):
            await asyncio.sleep(self.state.delay)  # a slow API server; log streams and watches are not held up
        if self.state.throttle_next > 0 or (self.state.throttle and self._rng.random() < self.state.throttle):
            self.state.throttle_next = max(0, self.state.throttle_next - 1)
            self.state.faulted["429"] += 1
            response = status(429, "TooManyRequests", "Too many requests, please try again later.")
            response.headers["Retry-After"] = "1"
            return response
        if self.state.error_rate and self._rng.random() < self.state.error_rate:
            self.state.faulted["503"] += 1
            return status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        discovery = self._discovery(path)
        if discovery is not None:
            return web.json_response(discovery)
        try:
            target = self._route(path)
        except LookupError:
            return status(404, "NotFound", "the server could not find the requested resource")
        if request.method != "GET":
            return self._forbidden(user, target, _VERBS.get(request.method, request.method.lower()))
        verb = "get" if target.name else ("watch" if _truthy(request.query.get("watch")) else "list")
        denied = set(self.state.deny_namespaces)
        for subject in (user, *groups):
            denied |= self.state.deny_for.get(subject, set())
        if target.namespace in denied or (denied and target.namespace is None and target.rtype.namespaced):
            return self._forbidden(user, target, verb)
        try:
            if target.subresource == "log":
                return await self._log(request, target)
            if target.subresource:
                return status(404, "NotFound", "the server could not find the requested resource")
            if target.name:
                return self._get(request, target)
            if verb == "watch":
                return await self._watch(request, target)
            return self._list(request, target)
        except SelectorError as exc:
            return status(400, "BadRequest", str(exc))

    def _identity(self, request: web.Request) -> tuple[str, tuple[str, ...]] | web.Response:
        """Who the request acts as: the token's user, or whom it impersonates (``kubectl --as/--as-group``).

        As the API server's impersonation filter: groups without a user are an error, and
        the authenticated user needs the ``impersonate`` verb (``allow_impersonation``).
        """
        as_user = request.headers.get("Impersonate-User")
        as_groups = tuple(request.headers.getall("Impersonate-Group", ()))
        if as_user is None:
            if as_groups:
                return status(
                    500,
                    "InternalError",
                    f"Internal error occurred: requested groups {list(as_groups)} without impersonating a user",
                )
            return self.state.user, ("system:authenticated",)
        if not self.state.allow_impersonation:
            message = (
                f'users "{as_user}" is forbidden: User "{self.state.user}" cannot impersonate resource "users" '
                'in API group "" at the cluster scope'
            )
            return status(403, "Forbidden", message, {"name": as_user, "kind": "users"})
        return as_user, (*as_groups, "system:authenticated")

    def _forbidden(self, user: str, target: Request, verb: str) -> web.Response:
        rtype = target.rtype
        resource = rtype.plural + (f"/{target.subresource}" if target.subresource else "")
        subject = f"{rtype.plural}{'.' + rtype.group if rtype.group else ''}"
        subject += f' "{target.name}"' if target.name else ""
        scope = f'in the namespace "{target.namespace}"' if target.namespace else "at the cluster scope"
        message = (
            f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" '
            f'in API group "{rtype.group}" {scope}'
        )
        details: dict[str, Any] = {"kind": rtype.plural}
        if rtype.group:
            details["group"] = rtype.group
        if target.name:
            details["name"] = target.name
        return status(403, "Forbidden", message, details)

    def _route(self, path: str) -> Request:
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise LookupError(path)
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        elif len(rest) in (1, 2) and rest[0] == "namespaces":  # the namespaces resource itself
            pass
        if not rest or len(rest) > 3:
            raise LookupError(path)
        rtype = resources.find(group, version, rest[0])
        if rtype is None or (namespace is not None and not rtype.namespaced):
            raise LookupError(path)
        return Request(
            rtype, version, namespace, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
        )

    # ---- discovery -------------------------------------------------------------------------
    def _discovery(self, path: str) -> dict[str, Any] | None:
        if path == "/version":
            return VERSION
        if path == "/api":
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.port}"}],
            }
        if path == "/api/v1":
            return _resource_list("v1", [t for t in resources.ALL_TYPES if not t.group], "v1")
        groups = resources.groups()
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g, vs) for g, vs in groups.items()]}
        parts = path.strip("/").split("/")
        if parts[0] == "apis" and len(parts) == 2 and parts[1] in groups:
            return {"kind": "APIGroup", "apiVersion": "v1", **_group(parts[1], groups[parts[1]])}
        if parts[0] == "apis" and len(parts) == 3 and parts[2] in groups.get(parts[1], ()):
            types = [t for t in resources.GROUPED_TYPES if t.group == parts[1] and parts[2] in t.versions]
            return _resource_list(f"{parts[1]}/{parts[2]}", types, parts[2])
        return None

    # ---- objects ---------------------------------------------------------------------------
    def _serve(self, obj: Obj, target: Request) -> Obj:
        if target.rtype.group and obj.get("apiVersion") != target.rtype.api_version(target.version):
            obj = {**obj, "apiVersion": target.rtype.api_version(target.version)}
        return obj

    def _get(self, request: web.Request, target: Request) -> web.StreamResponse:
        try:
            obj = self.store.get(target.rtype, target.namespace or "", target.name or "")
        except NotFound as exc:
            return status(404, "NotFound", str(exc), {"name": target.name, "kind": target.rtype.plural})
        obj = self._serve(obj, target)
        if _wants_table(request):
            return web.json_response(_table(target.rtype, [obj], obj["metadata"]["resourceVersion"]))
        return web.json_response(obj)

    def _matcher(self, request: web.Request) -> Any:
        labels = label_selector(request.query.get("labelSelector"))
        fields = field_selector(request.query.get("fieldSelector"))
        return lambda obj: labels(obj["metadata"].get("labels") or {}) and fields(obj)

    def _list(self, request: web.Request, target: Request) -> web.StreamResponse:
        items, rv = self.store.list(target.rtype, target.namespace, self._matcher(request))
        items = [self._serve(o, target) for o in items]
        if _wants_table(request):
            return web.json_response(_table(target.rtype, items, str(rv)))
        body = {
            "kind": f"{target.rtype.kind}List",
            "apiVersion": target.rtype.api_version(target.version),
            "metadata": {"resourceVersion": str(rv)},
            "items": items,
        }
        return web.json_response(body)

    async def _watch(self, request: web.Request, target: Request) -> web.StreamResponse:
        raw_rv = request.query.get("resourceVersion")
        since = int(raw_rv) if raw_rv not in (None, "", "0") else None
        if raw_rv == "0":
            since = None
        try:
            timeout = float(request.query.get("timeoutSeconds") or self._rng.uniform(1800, 3600))
        except ValueError:
            return status(400, "BadRequest", "invalid timeoutSeconds")
        bookmarks = _truthy(request.query.get("allowWatchBookmarks"))
        table = _wants_table(request)
        match = self._matcher(request)
        response = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            watcher, backlog = self.store.watch(target.rtype, target.namespace, match, since)
        except Expired as exc:
            error = {
                "type": "ERROR",
                "object": {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Failure",
                    "message": str(exc),
                    "reason": "Expired",
                    "code": 410,
                },
            }
            await response.write(json.dumps(error).encode() + b"\n")
            await response.write_eof()
            return response

        def encode(kind: str, obj: Obj) -> bytes:
            obj = self._serve(obj, target)
            if table and kind != "BOOKMARK":
                obj = _table(target.rtype, [obj], obj["metadata"]["resourceVersion"])
            return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"

        deadline = time.monotonic() + timeout
        try:
            for change in backlog:
                await response.write(encode(change.type, change.obj))
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                wait = min(left, self.state.bookmark_interval) if bookmarks else left
                try:
                    change = await asyncio.wait_for(watcher.queue.get(), wait)
                except TimeoutError:
                    if bookmarks and deadline - time.monotonic() > 0:
                        mark = {
                            "kind": target.rtype.kind,
                            "apiVersion": target.rtype.api_version(target.version),
                            "metadata": {"resourceVersion": str(self.store.rv)},
                        }
                        await response.write(encode("BOOKMARK", mark))
                    continue
                if change is None:  # server restart: the connection drops
                    if request.transport is not None:
                        request.transport.abort()
                    return response
                await response.write(encode(change.type, change.obj))
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass
        finally:
            self.store.unwatch(watcher)
        return response

    # ---- logs ------------------------------------------------------------------------------
    async def _log(self, request: web.Request, target: Request) -> web.StreamResponse:
        ns, name = target.namespace or "", target.name or ""
        try:
            pod = self.store.get(POD, ns, name)
        except NotFound as exc:
            return status(404, "NotFound", str(exc), {"name": name, "kind": "pods"})
        query = request.query
        containers = [c["name"] for c in pod["spec"].get("containers", [])]
        inits = [c["name"] for c in pod["spec"].get("initContainers", [])]
        container = query.get("container")
        if not container:
            if len(containers) != 1:
                message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
                if inits:
                    message += f" or one of the init containers: [{' '.join(inits)}]"
                return status(400, "BadRequest", message)
            container = containers[0]
        if container not in containers and container not in inits:
            return status(400, "BadRequest", f"container {container} is not valid for pod {name}")
        if "sinceSeconds" in query and "sinceTime" in query:
            return status(
                422,
                "Invalid",
                'PodLogOptions.core "" is invalid: sinceSeconds: Forbidden: at most one of '
                "`sinceTime` or `sinceSeconds` may be specified",
            )
        previous = _truthy(query.get("previous"))
        if previous:
            log = self.logs.previous(ns, name, container)
            if log is None:
                return status(
                    400, "BadRequest", f'previous terminated container "{container}" in pod "{name}" not found'
                )
        else:
            log = self.logs.current(ns, name, container)
            if log is None:
                reason = _waiting_reason(pod, container) or "ContainerCreating"
                return status(
                    400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start: {reason}'
                )
        try:
            since_ns = _since(query)
            tail = int(query["tailLines"]) if "tailLines" in query else None
            limit = int(query["limitBytes"]) if "limitBytes" in query else None
        except ValueError as exc:
            return status(400, "BadRequest", f"invalid log options: {exc}")
        follow = _truthy(query.get("follow")) and not previous
        stamps = _truthy(query.get("timestamps"))
        start = log.base if tail is None or tail < 0 else max(log.base, log.end - tail)
        if since_ns is not None:
            start = max(start, log.first_index_since(since_ns))
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        self._streams[id(request)] = request  # before prepare(): a restart must also cut a stream being opened
        origin = f"{ns}/{name}/{container}"
        try:
            await response.prepare(request)
            if self.state.socket_buffer and request.transport is not None:
                _shrink_buffers(request.transport, self.state.socket_buffer)
            if origin in self.state.hang_origins:
                # fault "hang": a connection that answers and then never sends a byte (as a
                # pooled connection left half-dead would); the client has to notice and give up
                self.state.hang_origins.discard(origin)
                self.state.faulted["hang"] += 1
                while request.transport is not None and not request.transport.is_closing():
                    await asyncio.sleep(0.05)
                return response
            await self._stream_log(request, response, log, start, follow, stamps, limit, origin)
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass
        finally:
            self._streams.pop(id(request), None)
            self.state.split_streams.discard(id(request))
        return response

    async def _stream_log(
        self,
        request: web.Request,
        response: web.StreamResponse,
        log: ContainerLog,
        index: int,
        follow: bool,
        stamps: bool,
        limit: int | None,
        origin: str,
    ) -> None:
        budget = limit if limit is not None else -1
        key = id(request)
        while True:
            if time.monotonic() < self.state.stalled_until:
                await asyncio.sleep(min(0.05, self.state.stalled_until - time.monotonic()))
                continue
            if index < log.base:
                index = log.base  # rotated away while the client was slow: the kubelet skips ahead too
            batch: list[bytes] = []
            served: list[tuple[str, str, str]] = []
            while index < log.end and len(batch) < 512:
                line = log.line(index)
                assert line is not None
                ns, text = line
                stamp = kubelet_timestamp(ns)
                data = (f"{stamp} {text}\n" if stamps else f"{text}\n").encode("utf-8", "surrogateescape")
                if budget >= 0:
                    if budget == 0:
                        break
                    data = data[:budget]
                    budget -= len(data)
                batch.append(data)
                served.append((stamp, origin, text))
                index += 1
            if batch:
                cut = _inside_group(served) if key in self.state.split_streams else None
                if cut is not None:
                    # break the stream between two lines that share a timestamp (fault "split")
                    self.state.split_streams.discard(key)
                    self.state.faulted["split"] += 1
                    await response.write(b"".join(batch[:cut]))
                    self._record(served[:cut])
                    if request.transport is not None:
                        request.transport.abort()
                    return
                began = time.monotonic()
                await response.write(b"".join(batch))
                if time.monotonic() - began > 0.05:
                    self.state.faulted["blocked-write"] += 1  # the client read slower than we wrote
                self._record(served)
                if budget == 0:
                    return
                continue
            if not follow or log.ended:
                return
            await log.wait(index, 1.0)

    def _record(self, served: list[tuple[str, str, str]]) -> None:
        """Lines handed to the connection (for --sent-log and the tests' oracle)."""
        state = self.state
        if state.sent is not None:
            state.sent.extend(served)
        if state.sent_log is not None:
            state.sent_log.write("".join(sent_line(stamp, origin, text) for stamp, origin, text in served))

    def hang_streams(self) -> int:
        """Fault "hang": break every log stream; the next request of each answers and then sends nothing."""
        for request in self._streams.values():
            parts = request.path.strip("/").split("/")
            if len(parts) >= 6 and parts[-1] == "log":
                self.state.hang_origins.add(f"{parts[-4]}/{parts[-2]}/{request.query.get('container', '')}")
        return self.drop_streams()

    def split_streams(self) -> int:
        """Fault "split": each open log stream breaks inside the next run of equal timestamps it sends."""
        self.state.split_streams.update(self._streams)
        return len(self._streams)


def _shrink_buffers(transport: asyncio.BaseTransport, size: int) -> None:
    """Small kernel and asyncio write buffers on one connection, so a slow reader holds the writer up."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    if isinstance(transport, asyncio.WriteTransport):
        transport.set_write_buffer_limits(high=size)


def _inside_group(served: list[tuple[str, str, str]]) -> int | None:
    """How many lines to send so the cut falls between two lines with the same timestamp, if any do."""
    for position in range(1, len(served)):
        if served[position][0] == served[position - 1][0]:
            return position
    return None


def _truthy(value: str | None) -> bool:
    """Go's strconv.ParseBool as the API server applies it to query flags."""
    return value is not None and value.lower() not in ("", "0", "false", "f")


def _since(query: Any) -> int | None:
    if "sinceTime" in query:
        ns = parse_timestamp_ns(query["sinceTime"])
        return ns - ns % 1_000_000_000  # the API server passes whole seconds to the kubelet
    if "sinceSeconds" in query:
        return time.time_ns() - int(query["sinceSeconds"]) * 1_000_000_000
    return None


def _waiting_reason(pod: Obj, container: str) -> str | None:
    status_ = pod.get("status", {})
    for entry in [*status_.get("containerStatuses", []), *status_.get("initContainerStatuses", [])]:
        if entry.get("name") == container:
            return entry.get("state", {}).get("waiting", {}).get("reason")
    return None


def _wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}


def _resource_list(group_version: str, types: Iterable[ResourceType], version: str) -> dict[str, Any]:
    out = []
    for t in types:
        entry: dict[str, Any] = {
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": ["get", "list", "watch"],
        }
        if t.short_names:
            entry["shortNames"] = list(t.short_names)
        if t.categories:
            entry["categories"] = list(t.categories)
        out.append(entry)
        if t.plural == "pods":
            out.append({"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": out}


def _age(created: str | None) -> str:
    """kubectl's short age (``45s``, ``3m``, ``2h``, ``5d``)."""
    if not created:
        return "<unknown>"
    then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    seconds = max(0, int((datetime.now(UTC) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 2 or (unit == "m" and seconds >= 120):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


_NAME_COL = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
_AGE_COL = {
    "name": "Age",
    "type": "string",
    "format": "",
    "description": "CreationTimestamp is a timestamp representing the server time when this object was created.",
    "priority": 0,
}


def _pod_cells(pod: Obj) -> list[Any]:
    statuses = pod.get("status", {}).get("containerStatuses", [])
    # native sidecars (restartable init containers) count as kubectl counts them
    sidecars = {c["name"] for c in pod["spec"].get("initContainers", []) if c.get("restartPolicy") == "Always"}
    init_statuses = [s for s in pod.get("status", {}).get("initContainerStatuses", []) if s.get("name") in sidecars]
    total = len(pod["spec"].get("containers", [])) + len(sidecars)
    ready = sum(1 for s in [*statuses, *init_statuses] if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in [*statuses, *init_statuses])
    phase = pod.get("status", {}).get("phase", "Unknown")
    for s in statuses:
        waiting = s.get("state", {}).get("waiting")
        if waiting:
            phase = waiting.get("reason", phase)
    if pod["metadata"].get("deletionTimestamp"):
        phase = "Terminating"
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        phase,
        restarts,
        _age(pod["metadata"].get("creationTimestamp")),
    ]


def _column(name: str, kind: str, description: str, priority: int = 0) -> dict[str, Any]:
    return {"name": name, "type": kind, "format": "", "description": description, "priority": priority}


# the wide (priority 1) columns every workload controller has; the API server always sends them
_TEMPLATE_COLUMNS = [
    _column("Containers", "string", "Names of each container in the template.", 1),
    _column("Images", "string", "Images referenced by each container in the template.", 1),
    _column("Selector", "string", "A label query over pods that should match the replica count.", 1),
]


def _template_cells(obj: Obj) -> list[Any]:
    """CONTAINERS, IMAGES and SELECTOR (``-o wide``), comma-joined as the API server's printers join them."""
    containers = obj["spec"]["template"]["spec"].get("containers", [])
    match = obj["spec"].get("selector", {}).get("matchLabels", {})
    return [
        ",".join(c["name"] for c in containers),
        ",".join(c.get("image", "") for c in containers),
        ",".join(f"{k}={v}" for k, v in sorted(match.items())) or "<none>",
    ]


def _deployment_cells(obj: Obj) -> list[Any]:
    spec, st = obj["spec"], obj.get("status", {})
    return [
        obj["metadata"]["name"],
        f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        st.get("updatedReplicas", 0),
        st.get("availableReplicas", 0),
        _age(obj["metadata"].get("creationTimestamp")),
        *_template_cells(obj),
    ]


def _replicaset_cells(obj: Obj) -> list[Any]:
    spec, st = obj["spec"], obj.get("status", {})
    return [
        obj["metadata"]["name"],
        spec.get("replicas", 1),
        st.get("replicas", 0),
        st.get("readyReplicas", 0),
        _age(obj["metadata"].get("creationTimestamp")),
        *_template_cells(obj),
    ]


def _daemonset_cells(obj: Obj) -> list[Any]:
    st = obj.get("status", {})
    node_selector = obj["spec"]["template"]["spec"].get("nodeSelector") or {}
    return [
        obj["metadata"]["name"],
        st.get("desiredNumberScheduled", 0),
        st.get("currentNumberScheduled", 0),
        st.get("numberReady", 0),
        st.get("updatedNumberScheduled", 0),
        st.get("numberAvailable", 0),
        ",".join(f"{k}={v}" for k, v in sorted(node_selector.items())) or "<none>",
        _age(obj["metadata"].get("creationTimestamp")),
        *_template_cells(obj),
    ]


# columns as pkg/printers/internalversion defines them (kubectl get deploy / rs / ds)
_WORKLOAD_COLUMNS: dict[ResourceType, tuple[list[dict[str, Any]], Callable[[Obj], list[Any]]]] = {
    DEPLOYMENT: (
        [
            _NAME_COL,
            _column("Ready", "string", "Number of the pod with ready state"),
            _column(
                "Up-to-date",
                "string",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            _column(
                "Available",
                "string",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
            _AGE_COL,
            *_TEMPLATE_COLUMNS,
        ],
        _deployment_cells,
    ),
    REPLICASET: (
        [
            _NAME_COL,
            _column("Desired", "integer", "Replicas is the number of desired replicas."),
            _column("Current", "integer", "Replicas is the most recently observed number of replicas."),
            _column("Ready", "integer", "The number of pods targeted by this ReplicaSet with a Ready Condition."),
            _AGE_COL,
            *_TEMPLATE_COLUMNS,
        ],
        _replicaset_cells,
    ),
    DAEMONSET: (
        [
            _NAME_COL,
            _column("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
            _column("Current", "integer", "The number of nodes that are running at least 1 daemon pod."),
            _column(
                "Ready",
                "integer",
                "The number of nodes that should be running the daemon pod and have one "
                "or more of the daemon pod running with a Ready Condition.",
            ),
            _column("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
            _column(
                "Available",
                "integer",
                "The number of nodes that should be running the daemon pod and have "
                "one or more of the daemon pod running and available.",
            ),
            _column(
                "Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node."
            ),
            _AGE_COL,
            *_TEMPLATE_COLUMNS,
        ],
        _daemonset_cells,
    ),
}


def _table(rtype: ResourceType, items: list[Obj], rv: str) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table, the shape kubectl asks for with ``as=Table``."""
    if rtype is POD:
        columns = [
            _NAME_COL,
            {
                "name": "Ready",
                "type": "string",
                "format": "",
                "description": "The readiness of the containers.",
                "priority": 0,
            },
            {"name": "Status", "type": "string", "format": "", "description": "The aggregate status.", "priority": 0},
            {"name": "Restarts", "type": "string", "format": "", "description": "Container restarts.", "priority": 0},
            _AGE_COL,
        ]
        rows = [_pod_cells(o) for o in items]
    elif rtype in _WORKLOAD_COLUMNS:
        columns, cells_of = _WORKLOAD_COLUMNS[rtype]
        rows = [cells_of(o) for o in items]
    else:
        columns = [_NAME_COL, _AGE_COL]
        rows = [[o["metadata"]["name"], _age(o["metadata"].get("creationTimestamp"))] for o in items]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": columns,
        "rows": [
            {
                "cells": cells,
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": {k: v for k, v in o["metadata"].items() if k != "managedFields"},
                },
            }
            for cells, o in zip(rows, items, strict=True)
        ],
    }
