"""The stand-in Kubernetes API server (aiohttp): discovery, pods, pod logs, workloads, mesh resources.

Read-only and faithful where clients look: Status errors with the real messages and
reasons, chunked ``follow`` log bodies, watch streams with bookmarks and 410 Expired,
Table responses for kubectl (:mod:`.printers`: the columns a real API server prints),
discovery in the aggregator's group order with every verb, category and subresource, health
checks (``/livez?verbose``), authorization before routing (a path no rule names is 403),
bearer-token auth, impersonation (``Impersonate-User`` /
``Impersonate-Group``, as ``kubectl --as`` sends them) and 403 for namespaces it is told to
deny.  Every write is refused (403) except the review kinds, which store nothing: ``kubectl auth
can-i`` / ``can-i --list`` / ``whoami`` are answered as RBAC answers a user holding meshtail's
documented ClusterRole (:mod:`.authz`).  OpenAPI v3 documents (:mod:`.openapi`) let ``kubectl
explain`` work and let ``apply``/``edit`` reach the server, and so its 403.  Every request's
method and path is recorded so tests can prove meshtail only reads, and the identity each
request acted as, so tests can prove ``--as`` arrives.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import random
import re
import socket
import ssl
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from aiohttp import web

from . import authz, gojson, listopts, openapi, printers, resources
from .podlogs import ContainerLog, PodLogs, kubelet_timestamp, parse_timestamp_ns
from .resources import POD, ResourceType
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


def status(
    code: int,
    reason: str,
    message: str,
    details: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> web.Response:
    """A ``Status`` error object, as the API server writes them (an empty ``reason`` is left out, as Go omits it)."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": metadata or {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if not reason:
        del body["reason"]
    if details:
        body["details"] = details
    return gojson.response(body, status=code)


class BadParameter(Exception):
    """A query parameter the API server would refuse: carries the Status response to answer with."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.text)
        self.response = response


def _go_quote(text: str) -> str:
    """Go's ``%q`` / strconv.Quote for the plain strings error messages quote."""
    return json.dumps(text, ensure_ascii=False)


_DECIMAL = re.compile(r"[+-]?[0-9]+")
_UNSIGNED = re.compile(r"[0-9]+")


# the string fields of ResourceAttributes and NonResourceAttributes
_REVIEW_STRINGS = ("namespace", "verb", "group", "version", "resource", "subresource", "name", "path")


def _method_not_allowed() -> web.Response:
    return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def _int_param(query: Any, name: str) -> int | None:
    """An int64 query parameter as the API server's parameter codec decodes it (strconv.ParseInt).

    A value Go cannot parse is a 400 BadRequest with Go's own wording, never a 500.
    """
    if name not in query:
        return None
    raw = query[name]
    if not _DECIMAL.fullmatch(raw):
        reason = "invalid syntax"
    elif len(raw.lstrip("+-").lstrip("0")) > 19 or not -(2**63) <= int(raw) < 2**63:
        # (the length first: Python refuses to convert over 4,300 digits, and no int64 has more than 19)
        reason = "value out of range"
    else:
        return int(raw)
    raise BadParameter(status(400, "BadRequest", f"strconv.ParseInt: parsing {_go_quote(raw)}: {reason}"))


def _resource_version(raw: str | None, from_etcd: bool = False) -> int | None:
    """A ``resourceVersion`` parameter as the storage layer parses it (None: unset or "0", "any").

    The watch cache's parse error surfaces as a 500 with no reason; a list the cacher hands to
    etcd (a limit, a continue token, ``Exact``) is refused by etcd3's GetList as a 400 instead.
    """
    if raw in (None, "", "0"):
        return None
    assert raw is not None
    if _UNSIGNED.fullmatch(raw) and len(raw.lstrip("0")) <= 20 and int(raw) < 2**64:
        return int(raw)
    reason = "value out of range" if _UNSIGNED.fullmatch(raw) else "invalid syntax"
    quoted = _go_quote(raw)
    message = f"resourceVersion: Invalid value: {quoted}: strconv.ParseUint: parsing {quoted}: {reason}"
    if from_etcd:
        raise BadParameter(status(400, "BadRequest", f"invalid resource version: {message}"))
    # a 500 with no reason, as the real storage layer answers (kubernetes/kubernetes#113939, #139485: still open in
    # 2026): a JSON Status all the same, never a traceback
    raise BadParameter(status(500, "", message))


def _too_large(requested: int, current: int, retry_seconds: int) -> web.Response:
    """storage.NewTooLargeResourceVersionError: a 504 Timeout (errors.NewTimeoutError prefixes "Timeout: ")."""
    causes = [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}]
    details: dict[str, Any] = {"causes": causes}
    if retry_seconds:
        details["retryAfterSeconds"] = retry_seconds
    message = f"Timeout: Too large resource version: {requested}, current: {current}"
    return status(504, "Timeout", message, details)


def _check_list_options(options: listopts.ListOptions, watch: bool) -> None:
    """ValidateListOptions: any problem is a 422 on ``ListOptions.meta.k8s.io ""``."""
    problems = listopts.problems(options, watch)
    if problems:
        raise BadParameter(_invalid("ListOptions", "", problems, group="meta.k8s.io"))


# the API server's messages for continue tokens (k8s.io/apiserver/pkg/storage)
_INVALID_CONTINUE = "continue key is not valid"
_CONTINUE_TOO_OLD = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of "
    "the results. Continuing with the provided token results in an inconsistent list - objects that were "
    "created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
)


def encode_continue(start: str, rv: int) -> str:
    """A continue token as the API server makes one: unpadded URL-safe base64 of ``{"v","rv","start"}``."""
    token = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[str, int]:
    """The (start key, resourceVersion) of a continue token; a bad token is a 400 as the API server says it."""

    def bad(why: str) -> BadParameter:
        return BadParameter(status(400, "BadRequest", f"invalid continue token: {why}"))

    illegal = re.search(r"[^A-Za-z0-9_-]", token)
    if illegal is not None or len(token) % 4 == 1:
        at = illegal.start() if illegal is not None else len(token) - 1
        raise bad(f"{_INVALID_CONTINUE}: illegal base64 data at input byte {at}")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise bad(f"{_INVALID_CONTINUE}: invalid character looking for beginning of value") from None
    if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
        version = data.get("v", "") if isinstance(data, dict) else ""
        raise bad(f"{_INVALID_CONTINUE}: server does not recognize this encoded version {_go_quote(str(version))}")
    rv, start = data.get("rv"), data.get("start")
    if not isinstance(rv, int) or isinstance(rv, bool) or rv == 0 or rv < -1:
        raise bad(f"{_INVALID_CONTINUE}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    if not isinstance(start, str) or not start:
        raise bad(f"{_INVALID_CONTINUE}: encoded start key empty (version meta.k8s.io/v1)")
    if start.startswith("/") or ".." in start.split("/"):
        raise bad(f"{_INVALID_CONTINUE}: {_go_quote(start)} is not a valid key")
    return start, rv


# the custom resources (CRDs): served as unstructured maps
_CUSTOM = frozenset(t.key for t in resources.MESH_TYPES)


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
    stalled_until: float = 0.0  # log streams send nothing until then, new ones too (the whole kubelet paused)
    # the streams open when hold_open_streams() was called send nothing until then; requests made after it are
    # served (the kubelet's rotation bug: a follow stream stops while a fresh request of the same log works)
    held_streams: set[int] = field(default_factory=set)
    held_until: float = 0.0
    throttle: float = 0.0  # probability of answering 429 (Retry-After: 1)
    throttle_next: int = 0  # answer 429 to this many requests first
    unavailable_next: int = 0  # answer the next N requests 503 (tests: a moment of unavailability)
    unavailable_watches_next: int = 0  # answer the next N watch requests 503 (other requests must not take them)
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
    future_rv_wait: float = 3.0  # how long a watch from a resourceVersion not reached yet waits for it
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
        self.app.on_response_prepare.append(_audit_id)
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
        return _compressed(request, await self._handle(request))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.state.requests.append((request.method, request.path_qs))
        self.state.methods[request.method] += 1
        gojson.PRETTY.set(gojson.wants_pretty(request))  # this request's task only: every answer honours it
        path = request.path.rstrip("/") or "/"
        if path in ("/healthz", "/livez", "/readyz", "/version") and "Authorization" not in request.headers:
            if request.method not in ("GET", "HEAD"):  # system:public-info-viewer grants get, nothing else
                verb = request.method.lower()
                return _forbidden_path(f'forbidden: User "system:anonymous" cannot {verb} path "{request.path}"')
            if path == "/version":  # (as anyone's: `curl --cacert ca.crt https://…/version` answered 401)
                return _version()
            return _health(request, path)  # system:public-info-viewer: anyone may ask
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
            message = "Too many requests, please try again later."
            response = status(429, "TooManyRequests", message, {"retryAfterSeconds": 1})
            response.headers["Retry-After"] = "1"
            return response
        if self.state.unavailable_watches_next > 0 and _truthy(request.query.get("watch")):
            self.state.unavailable_watches_next -= 1
            self.state.faulted["503"] += 1
            return status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        if self.state.unavailable_next > 0 or (self.state.error_rate and self._rng.random() < self.state.error_rate):
            self.state.unavailable_next = max(0, self.state.unavailable_next - 1)
            self.state.faulted["503"] += 1
            return status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        if not _is_resource_path(path):
            # authorization runs before routing: a path no rule names is 403, whether it exists or not, and so is
            # any method but GET on discovery (system:discovery grants get), as for any non-resource URL
            verb = request.method.lower() if request.method != "HEAD" else "get"
            allowed = authz.authorize(
                self.state.user, user, groups, {"verb": verb, "path": request.path}, resource_request=False
            )[0]
            if not allowed:
                message = f'forbidden: User "{user}" cannot {verb} path "{request.path}"'
                return _forbidden_path(message)
        if path.split("/")[1] in ("healthz", "livez", "readyz"):
            if request.method not in ("GET", "HEAD"):
                return _method_not_allowed()
            return _health(request, path)
        if path == "/openapi/v3" or path.startswith("/openapi/v3/"):
            if request.method not in ("GET", "HEAD"):
                return _method_not_allowed()
            return _openapi(request, path)
        discovery = self._discovery(path)
        if discovery is not None:
            if request.method not in ("GET", "HEAD"):
                return _method_not_allowed()  # (found in review: a POST to /apis answered 200)
            if path == "/version":
                return _version()
            return gojson.response(discovery)
        denied = set(self.state.deny_namespaces)
        for subject in (user, *groups):
            denied |= self.state.deny_for.get(subject, set())
        review = self._review_route(path)
        if review is not None:
            return await self._review(request, review, user, groups, denied)
        try:
            target = self._route(path)
        except LookupError:
            # authorization ran before routing: RBAC judges the path's resource first, served or not
            if _is_resource_path(path):
                attributes = _resource_attributes(request.method, path, request.query)
                if not self._allowed(user, groups, attributes):
                    return _forbidden_attributes(user, attributes)
            return status(404, "NotFound", "the server could not find the requested resource")
        if request.method not in ("GET", "HEAD"):
            return self._forbidden(user, target, _resource_attributes(request.method, path, request.query)["verb"])
        verb = "get" if target.name else ("watch" if _truthy(request.query.get("watch")) else "list")
        if target.namespace in denied or (denied and target.namespace is None and target.rtype.namespaced):
            return self._forbidden(user, target, verb)
        attributes = {
            "verb": verb,
            "group": target.rtype.group,
            "resource": target.rtype.plural,
            "subresource": target.subresource or "",
            "namespace": target.namespace,
        }
        if not self._allowed(user, groups, attributes):
            # what the self-reviews answer is what is served: RBAC decides both (found in review)
            return self._forbidden(user, target, verb)
        try:
            if target.subresource == "log":
                return await self._log(request, target)
            if target.subresource == "status" and target.name:
                return self._get(request, target)  # the object itself, as a GET of /status answers
            if target.subresource == "scale" and target.name:
                return self._scale(target)
            if target.subresource in ("exec", "attach", "portforward"):
                return status(400, "BadRequest", "Upgrade request required")
            if target.subresource:
                return _method_not_allowed()
            if target.name:
                return self._get(request, target)
            if verb == "watch":
                return await self._watch(request, target)
            return await self._list(request, target)
        except SelectorError as exc:
            return status(400, "BadRequest", str(exc))
        except BadParameter as exc:
            return exc.response

    def _allowed(self, user: str, groups: tuple[str, ...], attributes: dict[str, Any]) -> bool:
        allow = self.state.allow_impersonation
        return authz.authorize(self.state.user, user, groups, attributes, impersonator=allow)[0]

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
        may = authz.authorize(
            self.state.user,
            self.state.user,
            ("system:authenticated",),
            {"verb": "impersonate", "group": "", "resource": "users", "name": as_user},
            impersonator=self.state.allow_impersonation,
        )[0]
        if not may:  # what `kubectl auth can-i impersonate users` answers is what is enforced
            message = (
                f'users "{as_user}" is forbidden: User "{self.state.user}" cannot impersonate resource "users" '
                'in API group "" at the cluster scope'
            )
            return status(403, "Forbidden", message, {"name": as_user, "kind": "users"})
        return as_user, (*as_groups, "system:authenticated")

    def _forbidden(self, user: str, target: Request, verb: str) -> web.Response:
        attributes = {
            "verb": verb,
            "group": target.rtype.group,
            "namespace": target.namespace or "",
            "resource": target.rtype.plural,
            "subresource": target.subresource or "",
            "name": target.name or "",
        }
        return _forbidden_attributes(user, attributes)

    # ---- the review kinds (kubectl auth can-i / whoami) ------------------------------------------
    def _review_route(self, path: str) -> Request | None:
        """The review kind at ``path`` (``/apis/authorization.k8s.io/v1/selfsubjectaccessreviews``, ...), if any."""
        parts = path.strip("/").split("/")
        if parts[0] != "apis" or len(parts) not in (4, 6):
            return None
        namespace = None
        if len(parts) == 6:
            if parts[3] != "namespaces":
                return None
            namespace = parts[4]
        rtype = resources.find(parts[1], parts[2], parts[-1], resources.REVIEW_TYPES)
        if rtype is None or (namespace is None) == rtype.namespaced:
            return None
        return Request(rtype, parts[2], namespace, None, None)

    async def _review(
        self, request: web.Request, target: Request, user: str, groups: tuple[str, ...], denied: set[str]
    ) -> web.Response:
        """Answer a review as a real server does: computed from the request, stored nowhere.

        Reviews only take ``create`` (POST); any other method is 405, as for a path the API
        server registered for POST alone.  Whether the user may create the review is RBAC's
        decision too: everyone may create the self reviews, nobody here the others.
        """
        rtype = target.rtype
        if request.method != "POST":
            return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        attributes = {"verb": "create", "group": rtype.group, "resource": rtype.plural, "namespace": target.namespace}
        if not self._allowed(user, groups, attributes):
            return self._forbidden(user, target, "create")
        try:
            body = json.loads(await request.read() or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            return status(400, "BadRequest", f"the body of the request could not be decoded as JSON: {exc}")
        if not isinstance(body, dict):
            return status(400, "BadRequest", "the body of the request is not a JSON object")
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        answer: dict[str, Any] = {
            "kind": rtype.kind,
            "apiVersion": rtype.api_version(target.version),
            "metadata": {"creationTimestamp": None},
        }
        if rtype is resources.SELF_SUBJECT_REVIEW:
            answer["status"] = {"userInfo": {"username": user, "groups": list(groups)}}
            return gojson.response(answer, status=201)
        if rtype is resources.SELF_SUBJECT_RULES_REVIEW:
            namespace = str(spec.get("namespace") or "")
            reader = self.state.user if namespace not in denied else ""
            resource_rules, url_rules = authz.rules_for(reader, user, groups, self.state.allow_impersonation)
            answer["spec"] = spec
            answer["status"] = {"resourceRules": resource_rules, "nonResourceRules": url_rules, "incomplete": False}
            return gojson.response(answer, status=201)
        # SelfSubjectAccessReview
        on_resource, on_url = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        for field_name, given in (("resourceAttributes", on_resource), ("nonResourceAttributes", on_url)):
            if given is not None and (
                not isinstance(given, dict) or any(not isinstance(given.get(key, ""), str) for key in _REVIEW_STRINGS)
            ):
                # what does not decode into the Go type is the decoder's 400, not a review (found in review)
                message = f"json: cannot unmarshal into Go struct field SelfSubjectAccessReviewSpec.spec.{field_name}"
                return status(400, "BadRequest", message)
        if (on_resource is None) == (on_url is None):
            what, problem = (
                ("nonResourceAttributes", "cannot be specified in combination with resourceAttributes")
                if on_resource is not None
                else (
                    "resourceAttributes",
                    "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                )
            )
            message = f'{rtype.kind}.{rtype.group} "" is invalid: spec.{what}: Invalid value: "null": {problem}'
            cause = {
                "reason": "FieldValueInvalid",
                "message": f'Invalid value: "null": {problem}',
                "field": f"spec.{what}",
            }
            return status(422, "Invalid", message, {"group": rtype.group, "kind": rtype.kind, "causes": [cause]})
        attributes = dict(on_resource if isinstance(on_resource, dict) else on_url if isinstance(on_url, dict) else {})
        reader = self.state.user
        namespace = str(attributes.get("namespace") or "")
        if on_resource is not None and denied and (namespace in denied or not namespace):
            reader = ""  # the --faults deny / deny_for namespaces: this user holds no grant there
        allowed, reason = authz.authorize(
            reader, user, groups, attributes, on_resource is not None, self.state.allow_impersonation
        )
        answer["spec"] = spec
        answer["status"] = {"allowed": allowed, **({"reason": reason} if reason else {})}
        return gojson.response(answer, status=201)

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
        if len(rest) > 2 and rest[2] not in {name for name, _, _ in rtype.subresources}:
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
            types = [t for t in resources.DISCOVERED_TYPES if t.group == parts[1] and parts[2] in t.versions]
            return _resource_list(f"{parts[1]}/{parts[2]}", types, parts[2])
        return None

    # ---- objects ---------------------------------------------------------------------------
    def _serve(self, obj: Obj, target: Request) -> Obj:
        """The object as the API server writes it at the requested version, its keys in the order Go writes them:
        a custom resource's sorted (an unstructured map), a built-in's in its type's field order."""
        if target.rtype.group and obj.get("apiVersion") != target.rtype.api_version(target.version):
            obj = {**obj, "apiVersion": target.rtype.api_version(target.version)}
        if target.rtype.key in _CUSTOM:
            return gojson.unstructured(obj)
        return gojson.typed(obj)

    def _scale(self, target: Request) -> web.StreamResponse:
        """``deployments/NAME/scale``: the autoscaling/v1 Scale the API server derives from the object."""
        try:
            obj = self.store.get(target.rtype, target.namespace or "", target.name or "")
        except NotFound as exc:
            return status(404, "NotFound", str(exc), _not_found_details(target.rtype, target.name or ""))
        match = obj["spec"].get("selector", {}).get("matchLabels", {})
        meta = obj["metadata"]
        scale = {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {
                "replicas": obj.get("status", {}).get("replicas", 0),
                "selector": ",".join(f"{k}={v}" for k, v in sorted(match.items())),
            },
        }
        return gojson.response(scale)

    def _get(self, request: web.Request, target: Request) -> web.StreamResponse:
        include = _include_object(request)
        try:
            obj = self.store.get(target.rtype, target.namespace or "", target.name or "")
        except NotFound as exc:
            return status(404, "NotFound", str(exc), _not_found_details(target.rtype, target.name or ""))
        obj = self._serve(obj, target)
        if _wants_table(request):
            return gojson.response(printers.table(target.rtype, [obj], obj["metadata"]["resourceVersion"], include))
        return gojson.response(obj)

    def _matcher(self, request: web.Request, rtype: ResourceType) -> Any:
        labels = label_selector(request.query.get("labelSelector"))
        fields = field_selector(request.query.get("fieldSelector"), rtype.key)
        return lambda obj: labels(obj["metadata"].get("labels") or {}) and fields(obj)

    async def _list(self, request: web.Request, target: Request) -> web.StreamResponse:
        """A list, paged as the API server pages one (``limit``, ``continue``, ``remainingItemCount``).

        Keys are etcd's (``namespace/name``) and pages after the first are read at the first
        page's resourceVersion, so the pages together are one consistent snapshot; a token older
        than the retained history is 410 Expired, with a token to go on inconsistently.  The
        first page is read where ``resourceVersion`` and ``resourceVersionMatch`` say
        (:mod:`.listopts`).
        """
        query = request.query
        include = _include_object(request)
        limit = _int_param(query, "limit")
        options = listopts.ListOptions.of(query)
        match = self._matcher(request, target.rtype)
        _check_list_options(options, watch=False)
        token = options.continue_token
        delegated = bool(token) or options.match == listopts.EXACT or listopts.served_from_storage(options, limit)
        requested = _resource_version(options.resource_version, delegated)
        selected = bool(query.get("labelSelector") or query.get("fieldSelector"))
        prefix = f"{target.namespace}/" if target.namespace and target.rtype.namespaced else ""
        start = ""
        if token:
            start, rv = decode_continue(token)
            if options.resource_version not in ("", "0"):
                raise BadParameter(
                    status(400, "BadRequest", "specifying resource version is not allowed when using continue")
                )
            if rv == -1:  # the inconsistent token an Expired answer offers: go on at the latest version
                rv = self.store.rv
            elif rv > self.store.rv:
                # a revision etcd has not reached (a forged token): the storage layer's answer (found in review)
                return _too_large(rv, self.store.rv, 0)
        else:
            rv = await self._list_revision(options, limit, requested)
            if options.resource_version == "0":
                limit = None  # served from the watch cache, which does not page
        try:
            keyed = self.store.list_at(target.rtype, target.namespace, match, rv)
        except Expired:
            return status(410, "Expired", _CONTINUE_TOO_OLD, metadata={"continue": encode_continue(start, -1)})
        if start:
            keyed = [(key, obj) for key, obj in keyed if key >= prefix + start]
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if limit is not None and limit > 0 and len(keyed) > limit:
            last_key = keyed[limit - 1][0]
            meta["continue"] = encode_continue(last_key[len(prefix) :] + "\x00", rv)
            if not selected:  # as etcd counts it: only without a selector
                meta["remainingItemCount"] = len(keyed) - limit
            keyed = keyed[:limit]
        items = [self._serve(o, target) for _, o in keyed]
        if _wants_table(request):
            table = printers.table(target.rtype, items, str(rv), include)
            table["metadata"] = meta
            return gojson.response(table)
        api_version, kind = target.rtype.api_version(target.version), f"{target.rtype.kind}List"
        if target.rtype.key in _CUSTOM:
            return gojson.response(gojson.unstructured_list(api_version, kind, meta, items))
        return gojson.response({"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items})

    async def _list_revision(self, options: listopts.ListOptions, limit: int | None, requested: int | None) -> int:
        """The revision a first page is read at: the latest, exactly ``requested``, or the latest once it is at
        least ``requested`` — or the Status the API server answers when it cannot be."""
        if requested is None:
            return self.store.rv
        if listopts.reads_exact(options, limit, requested):
            if requested < self.store.oldest_rv():  # etcd compacted it
                raise BadParameter(status(410, "Expired", listopts.LIST_TOO_OLD))
            if requested > self.store.rv:
                raise BadParameter(status(500, "", listopts.FUTURE_REVISION))
            return requested
        if requested > self.store.rv and not listopts.served_from_storage(options, limit):
            await self._wait_for(requested)  # the watch cache waits a moment for a revision it has not seen
            if requested > self.store.rv:
                raise BadParameter(_too_large(requested, self.store.rv, 1))
        if requested > self.store.rv:  # etcd answers at once (validateMinimumResourceVersion)
            raise BadParameter(_too_large(requested, self.store.rv, 0))
        return self.store.rv

    async def _wait_for(self, revision: int) -> None:
        """Wait up to the watch cache's 3 s (``future_rv_wait``, shorter in tests) for the store to reach it."""
        deadline = time.monotonic() + min(3.0, self.state.future_rv_wait)
        while self.store.rv < revision and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def _watch(self, request: web.Request, target: Request) -> web.StreamResponse:
        _int_param(request.query, "limit")  # decoded (and so checked) though a watch does not page
        seconds = _int_param(request.query, "timeoutSeconds")
        _check_list_options(listopts.ListOptions.of(request.query), watch=True)
        since = _resource_version(request.query.get("resourceVersion"))
        if since is not None and since > self.store.rv:
            # a revision the store has not reached: the watch cache waits a moment for it, then gives up
            await self._wait_for(since)
            if since > self.store.rv:
                return _too_large(since, self.store.rv, 1)
        timeout = float(seconds) if seconds else self._rng.uniform(1800, 3600)
        bookmarks = _truthy(request.query.get("allowWatchBookmarks"))
        table = _wants_table(request)
        include = _include_object(request) if table else "Metadata"
        match = self._matcher(request, target.rtype)
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
            await response.write(gojson.dumps(error))
            await response.write_eof()
            return response

        def encode(kind: str, obj: Obj) -> bytes:
            obj = self._serve(obj, target)
            if table and kind != "BOOKMARK":
                obj = printers.table(target.rtype, [obj], obj["metadata"]["resourceVersion"], include)
            return gojson.dumps({"type": kind, "object": obj})

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
        query = request.query
        # as the API server: decode the options (400), validate them (422), then look the pod up
        since_seconds = _int_param(query, "sinceSeconds")
        tail = _int_param(query, "tailLines")
        limit = _int_param(query, "limitBytes")
        since_time = _since_time(query.get("sinceTime"))
        invalid = _log_option_errors(since_seconds, since_time, tail, limit)
        if invalid:
            return _invalid("PodLogOptions", name, invalid)
        try:
            pod = self.store.get(POD, ns, name)
        except NotFound as exc:
            return status(404, "NotFound", str(exc), {"name": name, "kind": "pods"})
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
        if since_time is not None:
            since_ns: int | None = since_time - since_time % 1_000_000_000  # the kubelet gets whole seconds
        elif since_seconds is not None:
            since_ns = time.time_ns() - since_seconds * 1_000_000_000
        else:
            since_ns = None
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
            if key in self.state.held_streams and time.monotonic() < self.state.held_until:
                await asyncio.sleep(min(0.05, self.state.held_until - time.monotonic()))
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

    def hold_open_streams(self, seconds: float) -> int:
        """Every log stream open now sends nothing for ``seconds``; what is asked after this is served."""
        self.state.held_streams = set(self._streams)
        self.state.held_until = time.monotonic() + seconds
        return len(self.state.held_streams)

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


_OPENAPI_JSON = "application/json"
_OPENAPI_TYPES = (
    "application/json",
    "application/com.github.proto-openapi.spec.v3@v1.0+protobuf",
    "application/com.github.proto-openapi.spec.v3.v1.0+protobuf",
)


def _openapi(request: web.Request, path: str) -> web.Response:
    """``/openapi/v3`` and its per group-version documents, negotiated as kube-openapi's handler3 does.

    Only JSON is written: an Accept that allows it (or ``*/*``, or none) gets JSON; one that
    names only the protobuf encoding gets 406, and the client asks again for JSON.
    """
    if request.method != "GET":
        return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    if path == "/openapi/v3":
        return web.json_response(openapi.discovery(), headers={"Cache-Control": "no-cache, no-store, must-revalidate"})
    group_version = path[len("/openapi/v3/") :]
    body = openapi.document(group_version)
    if body is None:
        return web.Response(status=404, text="404 page not found\n")
    if not _accepts_json(request.headers.get("Accept", "")):
        return web.Response(status=406, text=f"406 Not Acceptable: only {', '.join(_OPENAPI_TYPES)} can be served\n")
    etag = openapi.digest(group_version)
    headers = {"Etag": f'"{etag}"', "Vary": "Accept"}
    wanted = request.query.get("hash")
    if wanted is not None:
        if wanted != etag:
            raise web.HTTPMovedPermanently(f"/openapi/v3/{group_version}?hash={etag}")
        headers["Cache-Control"] = "public, immutable"
        expires = datetime.now(UTC) + timedelta(days=365)
        headers["Expires"] = expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
    else:
        headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
    if request.headers.get("If-None-Match") == f'"{etag}"':
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=_OPENAPI_JSON, headers=headers)


def _accepts_json(accept: str) -> bool:
    """Whether an Accept header allows application/json (goautoneg: ``*/*``, ``application/*``, or no header)."""
    if not accept.strip():
        return True
    for clause in accept.split(","):
        media = clause.split(";")[0].strip().lower()
        params = [p.strip() for p in clause.split(";")[1:]]
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        if media in ("*/*", "application/*", "application/json"):
            return True
    return False


def _truthy(value: str | None) -> bool:
    """A query flag as the API server's parameter codec reads it (Convert_Slice_string_To_bool): absent,
    ``0`` or ``false`` in any case is false; anything else, the empty string included, is true."""
    return value is not None and value.lower() not in ("0", "false")


_RFC3339 = "2006-01-02T15:04:05Z07:00"


def _since_time(raw: str | None) -> int | None:
    """``sinceTime`` as metav1.Time decodes it (Go's ``time.Parse(time.RFC3339, …)``), in ns.

    A value Go would refuse is a 400 BadRequest with Go's error text, e.g.
    ``parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"``.
    """
    if not raw:
        return None
    problem = _go_rfc3339_error(raw)
    if problem is not None:
        raise BadParameter(status(400, "BadRequest", problem))
    try:
        return parse_timestamp_ns(raw)
    except (ValueError, OverflowError) as exc:
        # what Go reads but Python's datetime cannot hold (year 0, an offset of 24 hours or more): refused all the
        # same, never a traceback
        raise BadParameter(status(400, "BadRequest", f"parsing time {_go_quote(raw)}: {exc}")) from None


def _go_rfc3339_error(value: str) -> str | None:
    """The error Go's time.Parse(RFC3339, value) returns, or None if it parses."""
    whole = _go_quote(value)

    def cannot(rest: str, element: str) -> str:
        return f"parsing time {whole} as {_go_quote(_RFC3339)}: cannot parse {_go_quote(rest)} as {_go_quote(element)}"

    def out_of_range(what: str) -> str:
        return f"parsing time {whole}: {what} out of range"

    rest = value
    numbers: dict[str, int] = {}
    # (literal before, element, digits, (low, high, name) range check)
    steps = [
        ("", "2006", 4, None),
        ("-", "01", 2, (1, 12, "month")),
        ("-", "02", 2, (1, 31, "day")),
        ("T", "15", 2, (0, 23, "hour")),
        (":", "04", 2, (0, 59, "minute")),
        (":", "05", 2, (0, 59, "second")),
    ]
    for literal, element, digits, bounds in steps:
        if not rest.startswith(literal):
            return cannot(rest, literal)
        rest = rest[len(literal) :]
        head = rest[:digits]
        if len(head) < digits or not head.isascii() or not head.isdigit():
            return cannot(rest, element)
        numbers[element] = int(head)
        if bounds is not None and not bounds[0] <= int(head) <= bounds[1]:
            return out_of_range(bounds[2])
        rest = rest[digits:]
    if len(rest) >= 2 and rest[0] in ".," and rest[1].isdigit():  # fractional seconds the layout does not name
        rest = rest[1:].lstrip("0123456789")
    if rest.startswith("Z"):
        rest = rest[1:]
    elif len(rest) >= 6 and rest[0] in "+-" and rest[3] == ":" and (rest[1:3] + rest[4:6]).isdigit():
        rest = rest[6:]
    else:
        return cannot(rest, "Z07:00")
    if rest:
        return f"parsing time {whole}: extra text: {_go_quote(rest)}"
    year, month, day = numbers["2006"], numbers["01"], numbers["02"]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    if day > days:
        return out_of_range("day")
    return None


def _log_option_errors(
    since_seconds: int | None, since_time: int | None, tail: int | None, limit: int | None
) -> list[tuple[str, str, str]]:
    """ValidatePodLogOptions: (field, reason, message) per error, in the API server's order."""
    errors: list[tuple[str, str, str]] = []
    if tail is not None and tail < 0:
        errors.append(("tailLines", "FieldValueInvalid", f"Invalid value: {tail}: must be greater than or equal to 0"))
    if limit is not None and limit < 1:
        errors.append(("limitBytes", "FieldValueInvalid", f"Invalid value: {limit}: must be greater than 0"))
    if since_seconds is not None and since_time is not None:
        forbidden = "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
        errors.append(("sinceSeconds", "FieldValueForbidden", forbidden))
    elif since_seconds is not None and since_seconds < 1:
        errors.append(("sinceSeconds", "FieldValueInvalid", f"Invalid value: {since_seconds}: must be greater than 0"))
    return errors


def _invalid(kind: str, name: str, errors: list[tuple[str, str, str]], group: str = "") -> web.Response:
    """A 422 Invalid Status as ``errors.NewInvalid`` builds it (one error, or ``[a, b]`` for several); the
    kind is qualified by its group (``ListOptions.meta.k8s.io``) and an empty name is left out of the details."""
    texts = [f"{fld}: {message}" for fld, _, message in errors]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    causes = [{"reason": reason, "message": message, "field": fld} for fld, reason, message in errors]
    details: dict[str, Any] = {"name": name} if name else {}
    if group:
        details["group"] = group
    details |= {"kind": kind, "causes": causes}
    qualified = f"{kind}.{group}" if group else kind
    return status(422, "Invalid", f"{qualified} {_go_quote(name)} is invalid: {summary}", details)


def _not_found_details(rtype: ResourceType, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if rtype.group:
        details["group"] = rtype.group
    details["kind"] = rtype.plural
    return details


def _include_object(request: web.Request) -> str:
    """The Table ``includeObject`` option: ``None``, ``Metadata`` (the default) or ``Object``."""
    value = request.query.get("includeObject") or "Metadata"
    if value not in ("None", "Metadata", "Object"):
        raise BadParameter(status(400, "BadRequest", f"unrecognized includeObject value: {_go_quote(value)}"))
    return value


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
    """An APIResourceList as a real server sorts it: by name, each subresource after its resource."""
    out = []
    for t in types:
        entry: dict[str, Any] = {
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": list(t.verbs),
        }
        if t.short_names:
            entry["shortNames"] = list(t.short_names)
        if t.categories:
            entry["categories"] = list(t.categories)
        out.append(entry)
        for name, kind, verbs in t.subresources:
            sub: dict[str, Any] = {
                "name": f"{t.plural}/{name}",
                "singularName": "",
                "namespaced": t.namespaced,
                "kind": kind or t.kind,
                "verbs": list(verbs),
            }
            if kind == "Scale":
                sub = {**sub, "group": "autoscaling", "version": "v1"}
            out.append(sub)
    if not group_version.count("/"):  # the core group's list is in name order
        out.sort(key=lambda r: r["name"])
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": out}


def _is_resource_path(path: str) -> bool:
    """RequestInfoFactory's test: ``/api/VERSION/...`` and ``/apis/GROUP/VERSION/...`` with a resource after the
    version are resource requests; every other path (``/api``, ``/apis/GROUP/VERSION``, ``/version``,
    ``/openapi/v3``, health checks) is a non-resource URL, authorized by path and HTTP verb."""
    parts = path.strip("/").split("/")
    return (parts[0] == "api" and len(parts) >= 3) or (parts[0] == "apis" and len(parts) >= 4)


def _resource_attributes(method: str, path: str, query: Any) -> dict[str, Any]:
    """RequestInfoFactory's attributes of a resource path (served or not): verb, group, namespace, resource,
    subresource and name, as RBAC is asked about them before the request is routed."""
    parts = path.strip("/").split("/")
    group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
    verb = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, ""
    )
    if rest and rest[0] in ("watch", "proxy"):  # the deprecated /watch/ and /proxy/ prefixes name the verb
        verb, rest = rest[0], rest[1:]
    namespace = ""
    if rest and rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in ("status", "finalize"):
            rest = rest[2:]
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 and verb not in ("proxy",) else ""
    if not name and verb == "get":
        verb = "watch" if _truthy(query.get("watch")) else "list"
    if not name and verb == "delete":
        verb = "deletecollection"
    return {
        "verb": verb,
        "group": group,
        "namespace": namespace,
        "resource": resource,
        "subresource": subresource,
        "name": name,
    }


def _forbidden_attributes(user: str, attributes: dict[str, Any]) -> web.Response:
    """The 403 of a resource request RBAC refused (responsewriters.ForbiddenStatusError and errors.NewForbidden)."""
    resource, group, name = attributes["resource"], attributes["group"], attributes["name"]
    shown = resource + (f"/{attributes['subresource']}" if attributes["subresource"] else "")
    scope = f'in the namespace "{attributes["namespace"]}"' if attributes["namespace"] else "at the cluster scope"
    why = f'User "{user}" cannot {attributes["verb"]} resource "{shown}" in API group "{group}" {scope}'
    qualified = f"{resource}.{group}" if group else resource
    if not qualified:
        return status(403, "Forbidden", f"forbidden: {why}")
    subject = f'{qualified} "{name}"' if name else qualified
    details: dict[str, Any] = {"name": name} if name else {}
    if group:
        details["group"] = group
    details["kind"] = resource
    return status(403, "Forbidden", f"{subject} is forbidden: {why}", details)


def _forbidden_path(message: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Forbidden",
        "details": {},
        "code": 403,
    }
    return gojson.response(body, status=403)


# the checks a 1.31 API server registers, in its order (``/livez?verbose`` lists them; ``/livez/NAME`` runs one)
_LIVEZ_CHECKS = (
    "ping",
    "log",
    "etcd",
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/priority-and-fairness-config-consumer",
    "poststarthook/priority-and-fairness-filter",
    "poststarthook/storage-object-count-tracker-hook",
    "poststarthook/start-apiextensions-informers",
    "poststarthook/start-apiextensions-controllers",
    "poststarthook/crd-informer-synced",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/start-cluster-authentication-info-controller",
    "poststarthook/start-kube-apiserver-identity-lease-controller",
    "poststarthook/start-kube-apiserver-identity-lease-garbage-collector",
    "poststarthook/start-legacy-token-tracking-controller",
    "poststarthook/start-service-ip-repair-controllers",
    "poststarthook/rbac/bootstrap-roles",
    "poststarthook/scheduling/bootstrap-system-priority-classes",
    "poststarthook/priority-and-fairness-config-producer",
    "poststarthook/bootstrap-controller",
    "poststarthook/aggregator-reload-proxy-client-cert",
    "poststarthook/start-kube-aggregator-informers",
    "poststarthook/apiservice-status-local-available-controller",
    "poststarthook/apiservice-status-remote-available-controller",
    "poststarthook/apiservice-registration-controller",
    "poststarthook/apiservice-discovery-controller",
    "poststarthook/kube-apiserver-autoregistration",
    "autoregister-completion",
    "poststarthook/apiservice-openapi-controller",
    "poststarthook/apiservice-openapiv3-controller",
)
_HEALTH_CHECKS = {
    "healthz": _LIVEZ_CHECKS,
    "livez": _LIVEZ_CHECKS,
    "readyz": (*_LIVEZ_CHECKS[:3], "etcd-readiness", "informer-sync", *_LIVEZ_CHECKS[3:], "shutdown"),
}


def _health(request: web.Request, path: str) -> web.Response:
    """``/livez``, ``/readyz``, ``/healthz``: ``ok``, the ``[+]check ok`` list with ``?verbose``, one check by name."""
    endpoint, _, check = path.strip("/").partition("/")
    checks = _HEALTH_CHECKS[endpoint]
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache, private"}
    if check:
        if check not in checks:
            return web.Response(status=404, text="404 page not found\n", headers=headers)
        return web.Response(text="ok", headers=headers)
    excluded = set(request.query.getall("exclude", ()))
    if "verbose" not in request.query:
        return web.Response(text="ok", headers=headers)
    lines = [f"[+]{name} {'excluded: ok' if name in excluded else 'ok'}" for name in checks]
    return web.Response(text="\n".join([*lines, f"{endpoint} check passed", ""]), headers=headers)


async def _audit_id(_request: web.Request, response: web.StreamResponse) -> None:
    """Every response carries the ``Audit-Id`` the API server's audit filter assigns and its ``Cache-Control``
    (``no-cache, private``, unless the handler set one: an OpenAPI document asked for by its hash is immutable); no
    ``Server`` header, which Go's net/http does not send (aiohttp's names Python and itself)."""
    response.headers.setdefault("Audit-Id", str(uuid.uuid4()))
    response.headers.setdefault("Cache-Control", "no-cache, private")
    response.headers.popall("Server", None)


def _version() -> web.Response:
    """``/version``, written with json.MarshalIndent as the version handler does (to a token's holder or anyone)."""
    return web.Response(text=json.dumps(VERSION, indent=2), content_type="application/json")


def _compressed(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """A whole answer over 128 KiB goes gzipped to a client that accepts it, as the apiserver's compression filter
    sends it (streams -- watches, followed logs -- are never compressed); an outside audit with curl found it was
    not.  (Set before the answer is prepared: aiohttp settles compression before its prepare signal.)"""
    body = response.body if isinstance(response, web.Response) and not response.prepared else None
    if isinstance(body, bytes) and len(body) > _COMPRESS_OVER and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.enable_compression(web.ContentCoding.gzip)
    return response


_COMPRESS_OVER = 128 * 1024  # k8s.io/apiserver/pkg/endpoints/handlers/responsewriters: defaultGzipThresholdBytes
