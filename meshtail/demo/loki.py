"""A Loki-compatible stand-in: Loki's query API over logs pushed into it, for ``meshtail demo`` and tests.

It answers as Grafana Loki (3.x, single binary behind an nginx gateway) answers a client,
without a cluster.  What it does, and where each behaviour comes from in grafana/loki:

* ``GET|POST /loki/api/v1/query_range`` — ``query``, ``start``/``end``/``since`` (nanoseconds,
  seconds when 10 digits or fewer, float seconds, or RFC3339Nano; ``pkg/loghttp/params.go``
  ``parseTimestamp``/``determineBounds``: defaults now and one hour before), ``limit`` (default
  100, must be positive; above ``max_entries`` → 400 ``max entries limit per query exceeded,
  limit > max_entries_limit_per_query (N > 5000)`` — ``pkg/util/validation/validate.go``,
  ``pkg/querier/http.go``), ``direction`` (default backward), ``step`` (validated, as
  ``ParseRangeQuery`` does, then ignored for log queries), ``interval``.  The window is
  ``start <= ts < end`` (docs: "greater or equal to" start, "lower than" end; logcli's
  batching in ``pkg/logcli/query/query.go`` relies on the exclusive end).  At most ``limit``
  entries, taken in direction order across streams (ties broken by stream, then push order —
  ``pkg/iter/entry_iterator.go``), grouped into streams sorted by label string
  (``pkg/logql/engine.go`` ``readStreams``, ``pkg/logqlmodel``).  Entries identical in
  timestamp, line and structured metadata within a stream are kept once (docs
  ``get-started/components.md``: the querier deduplicates).
* ``X-Loki-Response-Encoding-Flags: categorize-labels`` (``pkg/util/httpreq/encoding_flags.go``):
  ``data.encodingFlags`` lists the flags, ``stream`` holds only the stream's own labels and each
  value is ``[ts, line, {"structuredMetadata": {…}, "parsed": {…}}]`` (empty groups left out;
  ``pkg/util/marshal/query.go`` ``encodeStream``).  Without it structured metadata and parsed
  labels join the stream labels (``pkg/iter/categorized_labels_iterator.go``).
* ``GET /loki/api/v1/query`` — log queries are refused, 400 ``log queries are not supported as an
  instant query type, please change your query to a range query type``
  (``pkg/logqlmodel/error.go``; Loki ≥ 3.1, grafana/loki#13421); metric queries are beyond the
  stand-in.
* ``GET /loki/api/v1/labels`` (and ``/label``), ``/label/<name>/values``, ``GET|POST
  /loki/api/v1/series`` with ``start``/``end``/``since`` and an optional ``query`` (or
  ``match[]``); an empty label list is ``{"status":"success"}`` without ``data``
  (``pkg/loghttp/labels.go``: ``omitempty``).
* ``GET /ready`` → ``ready``; ``GET /loki/api/v1/status/buildinfo`` (``pkg/loki/loki.go``,
  ``version_handler.go``).
* ``GET /loki/api/v1/tail`` (websocket; ``pkg/querier/tail/http.go``, ``tail.go``,
  ``querier.go``, ``pkg/loghttp/tail.go``): ``query``, ``limit`` (default 100, for the
  history), ``start`` (default an hour ago: the newest ``limit`` entries since then are sent
  first), ``delay_for`` (seconds, at most 5: ``delay_for can't be greater than 5``; an entry
  goes out once now > its timestamp + delay).  Frames are ``{"streams":[…],
  "dropped_entries":[{"timestamp":"<ns>","labels":{…}}]}``, one stream object per entry, at most
  100 entries a frame, in timestamp order; frames wait in a queue of 10 (``tail_frames``) for
  the socket; while it is full, entries are dropped and reported (up to 1000) in the next frame
  that is queued.  With nothing ready the loop sleeps 0.5 s (``tailerWaitEntryThrottle``), and
  it pings every second.  After ``tail_max_duration`` the socket closes with 1011 ``reached tail
  max duration limit``; more than ``max_tails`` concurrent tails → 400 ``max concurrent tail
  requests limit exceeded, count > limit (11 > 10)``.  (Loki's ``dropEntries`` reports a
  frame's lines where labels belong; the stand-in reports the labels.)
* Tenancy (grafana/dskit ``middleware/http_auth.go``, ``tenant/``, ``user/``): with ``tenants``
  set, ``X-Scope-OrgID`` is required (401 ``no org id``); ``a|b`` queries both tenants (sorted,
  de-duplicated; invalid IDs → 400 with dskit's message) and every stream then carries
  ``__tenant_id__`` (an existing one is kept as ``original___tenant_id__``; matchers on
  ``__tenant_id__`` choose tenants; ``pkg/querier/multi_tenant_querier.go``); tail takes one
  tenant only (400 ``multiple org IDs present``).  Without ``tenants`` the header is ignored and
  the tenant is ``fake`` (Loki's ``auth_enabled: false``).  Any valid tenant ID is accepted,
  as Loki accepts it; one nobody pushed to is empty.
* Gateway credentials (``production/helm/loki`` nginx ``auth_basic "Loki"``): with ``bearer``
  or ``basic`` set, a request without them gets nginx's 401 page and ``WWW-Authenticate``.
* Errors are ``text/plain`` bodies with Loki's words (``pkg/util/server/error.go``); query
  parse errors as ``pkg/logqlmodel.ParseError`` words them (see :mod:`meshtail.demo.logql`).

The sent log: every entry written to a client, by a query response or a tail frame, is
appended to ``sent_log`` as ``(ts_ns, stream labels as the client saw them, line)``.

Not implemented: metric queries, push endpoints, ``/index/*``, ``/patterns``, detected
fields, deletes, the legacy ``/api/prom`` paths, query splitting/sharding, retention.
"""

from __future__ import annotations

import asyncio
import base64
import calendar
import contextlib
import heapq
import hmac
import json
import math
import re
import socket
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import count, islice
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from .logql import AT_LEAST_ONE_MATCHER, LogQLError, LogQuery, parse, parse_selector

TENANT_LABEL = "__tenant_id__"
ORIGINAL_TENANT_LABEL = "original___tenant_id__"
FAKE_TENANT = "fake"
ENCODING_FLAGS_HEADER = "X-Loki-Response-Encoding-Flags"
CATEGORIZE_LABELS = "categorize-labels"

DEFAULT_QUERY_LIMIT = 100
DEFAULT_SINCE_NS = 3600 * 10**9
MAX_DELAY_FOR = 5
MAX_ENTRIES_PER_TAIL_RESPONSE = 100
MAX_BUFFERED_TAIL_RESPONSES = 10
MAX_DROPPED_ENTRIES_PER_TAIL_RESPONSE = 1000
TAIL_WAIT_ENTRY_THROTTLE = 0.5
WS_PING_PERIOD = 1.0
TAIL_MAX_DURATION_REASON = "reached tail max duration limit"

ERR_MAX_ENTRIES = "max entries limit per query exceeded, limit > max_entries_limit_per_query ({} > {})"
ERR_INSTANT_LOG_QUERY = (
    "log queries are not supported as an instant query type, please change your query to a range query type"
)
ERR_END_BEFORE_START = "end timestamp must not be before or equal to start time"
ERR_STEP_ZERO = "zero or negative query resolution step widths are not accepted. Try a positive integer"
ERR_STEP_TOO_SMALL = (
    "exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter"
)

BUILD_INFO = {
    "version": "3.5.0",
    "revision": "meshtail-standin",
    "branch": "HEAD",
    "buildUser": "meshtail-demo",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24.1",
}

_NGINX_401 = (
    "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
    "<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_TENANT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!-_.*'()")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")
_PROM_DURATION = re.compile(
    r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?",
)
_PROM_UNITS_NS = (365 * 86400 * 10**9, 7 * 86400 * 10**9, 86400 * 10**9, 3600 * 10**9, 60 * 10**9, 10**9, 10**6)


class BadRequest(Exception):
    """Answered as Loki answers it: the status and a text/plain body."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def label_string(labels: dict[str, str]) -> str:
    """Prometheus ``labels.String()``: how Loki names, groups and sorts streams."""
    return "{" + ", ".join(f"{k}={json.dumps(labels[k], ensure_ascii=False)}" for k in sorted(labels)) + "}"


# ---- request parameters, as pkg/loghttp/params.go reads them --------------------------------


def parse_timestamp(value: str, default: int) -> int:
    """Loki's ``parseTimestamp``: nanoseconds since the epoch."""
    if value == "":
        return default
    if "." in value and _FLOAT.fullmatch(value):
        frac, whole = math.modf(float(value))
        frac = round(frac * 1000) / 1000  # Loki rounds float seconds to milliseconds
        return int(whole) * 10**9 + int(frac * 1e9)
    if _INT.fullmatch(value):
        number = int(value)
        if -(2**63) <= number < 2**63:
            return number * 10**9 if len(value) <= 10 else number
        problem = "value out of range"
    else:
        problem = "invalid syntax"
    found = _RFC3339.fullmatch(value)
    if found:
        year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
        with contextlib.suppress(ValueError, OverflowError):
            seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
            if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] and hour < 24):
                raise ValueError
            if minute > 59 or second > 59:
                raise ValueError
            zone = found.group(8)
            if zone != "Z":
                offset = int(zone[1:3]) * 3600 + int(zone[4:6]) * 60
                seconds -= offset if zone[0] == "+" else -offset
            return seconds * 10**9 + int((found.group(7) or "0").ljust(9, "0"))
    raise ValueError(f'strconv.ParseInt: parsing "{value}": {problem}')


def prometheus_duration(value: str) -> int:
    """``model.ParseDuration``: ``1h30m``, ``5d``, ``100ms`` … in nanoseconds."""
    found = _PROM_DURATION.fullmatch(value)
    if value == "0":
        return 0
    if not value or not found or not any(found.groups()):
        raise ValueError(f'not a valid duration string: "{value}"')
    return sum(int(part) * unit for part, unit in zip(found.groups(), _PROM_UNITS_NS, strict=True) if part)


def seconds_or_duration(value: str) -> int:
    """``parseSecondsOrDuration`` (step, interval) in nanoseconds."""
    if _FLOAT.fullmatch(value):
        return int(float(value) * 1e9)
    try:
        return prometheus_duration(value)
    except ValueError:
        raise BadRequest(f'cannot parse "{value}" to a valid duration') from None


def _atoi(value: str, default: int) -> int:
    if value == "":
        return default
    if not _INT.fullmatch(value):
        raise BadRequest(f'strconv.Atoi: parsing "{value}": invalid syntax')
    return int(value)


def query_limit(form: Any) -> int:
    limit = _atoi(form.get("limit", ""), DEFAULT_QUERY_LIMIT)
    if limit <= 0:
        raise BadRequest("limit must be a positive value")
    if limit > 2**32 - 1:
        raise BadRequest(f"limit value {limit} is out of range [0, {2**32 - 1}]")
    return limit


def bounds(form: Any, now: int) -> tuple[int, int]:
    """``determineBounds``: (start, end) in nanoseconds."""
    since = DEFAULT_SINCE_NS
    if form.get("since", ""):
        try:
            since = prometheus_duration(form["since"])
        except ValueError as exc:
            raise BadRequest(f"could not parse 'since' parameter: {exc}") from None
    try:
        end = parse_timestamp(form.get("end", ""), now)
    except ValueError as exc:
        raise BadRequest(f"could not parse 'end' parameter: {exc}") from None
    end_or_now = min(end, now)
    try:
        start = parse_timestamp(form.get("start", ""), end_or_now - since)
    except ValueError as exc:
        raise BadRequest(f"could not parse 'start' parameter: {exc}") from None
    return start, end


def direction(form: Any) -> str:
    value = form.get("direction", "")
    if value == "":
        return "backward"
    if value.upper() not in ("FORWARD", "BACKWARD"):
        raise BadRequest(f"invalid direction '{value}'")
    return value.lower()


# ---- storage and evaluation ----------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    ts: int
    seq: int
    line: str
    structured: dict[str, str]


@dataclass
class Stream:
    labels: dict[str, str]
    key: str
    stamps: list[int] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    def add(self, entry: Entry) -> bool:
        """Insert in timestamp order (push order among equal timestamps); False for a duplicate."""
        if not self.stamps or entry.ts > self.stamps[-1]:  # the usual case: newer than all
            self.stamps.append(entry.ts)
            self.entries.append(entry)
            return True
        low, high = bisect_left(self.stamps, entry.ts), bisect_right(self.stamps, entry.ts)
        for other in self.entries[low:high]:
            if other.line == entry.line and other.structured == entry.structured:
                return False
        self.stamps.insert(high, entry.ts)
        self.entries.insert(high, entry)
        return True

    def bounds(self, start: int, end: int) -> tuple[int, int]:
        """The indexes of ``[start, end)`` in :attr:`entries`."""
        return bisect_left(self.stamps, start), bisect_left(self.stamps, end)


@dataclass(slots=True)
class Out:
    """An entry as one client receives it."""

    ts: int
    line: str
    labels: dict[str, str]  # the stream labels it is sent under
    key: str
    meta: dict[str, dict[str, str]] | None  # categorize-labels: structuredMetadata / parsed
    order: str  # the base stream, for ties
    seq: int

    def value(self) -> list[Any]:
        if self.meta is None:
            return [str(self.ts), self.line]
        return [str(self.ts), self.line, self.meta]


@dataclass
class View:
    """How one request sees the store: tenants, the query, the encoding."""

    tenants: list[str]
    query: LogQuery
    categorize: bool
    _keys: dict[int, tuple[dict[str, str], str]] = field(default_factory=dict, repr=False)

    def stream_labels(self, tenant: str, labels: dict[str, str]) -> dict[str, str]:
        if len(self.tenants) < 2:
            return labels
        out = dict(labels)
        if TENANT_LABEL in out:
            out[ORIGINAL_TENANT_LABEL] = out.pop(TENANT_LABEL)
        out[TENANT_LABEL] = tenant
        return out

    def key_of(self, visible: dict[str, str]) -> str:
        """A stream's label string, made once a request (the same labels object stands for one stream in it)."""
        found = self._keys.get(id(visible))
        if found is None or found[0] is not visible:
            found = self._keys[id(visible)] = (visible, label_string(visible))
        return found[1]

    def output(self, tenant: str, stream: Stream, entry: Entry, visible: dict[str, str]) -> Out | None:
        processed = self.query.process(entry.line, visible, entry.structured)
        if processed is None:
            return None
        if self.categorize:
            meta: dict[str, dict[str, str]] = {}
            if entry.structured:
                meta["structuredMetadata"] = dict(sorted(entry.structured.items()))
            if processed.parsed:
                meta["parsed"] = dict(sorted(processed.parsed.items()))
            return Out(entry.ts, entry.line, visible, self.key_of(visible), meta, stream.key, entry.seq)
        if not entry.structured and not processed.parsed:
            labels, key = visible, (stream.key if len(self.tenants) < 2 else label_string(visible))
        else:
            labels = dict(visible)
            for name, value in (*entry.structured.items(), *processed.parsed.items()):
                labels[name + "_extracted" if name in visible else name] = value
            key = label_string(labels)
        return Out(entry.ts, entry.line, labels, key, None, stream.key, entry.seq)


def _sorted_labels(labels: dict[str, str]) -> dict[str, str]:
    return {k: labels[k] for k in sorted(labels)}


class LokiStandIn:
    """Loki's query API over entries pushed with :meth:`push`."""

    def __init__(
        self,
        *,
        tenants: set[str] | None = None,
        bearer: str | None = None,
        basic: tuple[str, str] | None = None,
        max_entries: int = 5000,
        tail_max_duration: float = 3600.0,
        sent_log: list[tuple[int, dict[str, str], str]] | None = None,
        max_tails: int = 10,
        tail_frames: int = MAX_BUFFERED_TAIL_RESPONSES,
    ) -> None:
        self.tenants = tenants
        self.bearer = bearer
        self.basic = basic
        self.max_entries = max_entries
        self.tail_max_duration = tail_max_duration
        self.sent_log = sent_log
        self.max_tails = max_tails
        self.tail_frames = tail_frames
        self.tail_throttle = TAIL_WAIT_ENTRY_THROTTLE
        self.socket_buffer: int | None = None  # small socket buffers on tail connections: a slow reader backs up
        self.requests: list[tuple[str, str]] = []  # (method, path?query) of every request, for tests
        self.duplicates = 0  # pushes ignored as exact duplicates
        self._store: dict[str, dict[str, Stream]] = {}
        self._seq = count()
        self._tails: set[_Tail] = set()
        self._drop_next = 0
        self._runner: web.AppRunner | None = None
        self.url: str | None = None

    # ---- data ------------------------------------------------------------------------------
    def push(
        self,
        labels: dict[str, str],
        ts_ns: int,
        line: str,
        structured: dict[str, str] | None = None,
        tenant: str = FAKE_TENANT,
    ) -> None:
        """Store one entry (call from the server's event loop) and hand it to matching tails."""
        if not labels:
            raise ValueError("a stream needs at least one label")
        streams = self._store.setdefault(tenant, {})
        key = label_string(labels)
        stream = streams.get(key)
        if stream is None:
            stream = streams[key] = Stream(_sorted_labels(labels), key)
        entry = Entry(ts_ns, next(self._seq), line, dict(structured or {}))
        if not stream.add(entry):
            self.duplicates += 1
            return
        for tail in list(self._tails):
            if tail.tenant == tenant:
                tail.offer(stream, entry)

    @property
    def tails(self) -> int:
        """Tail connections open now."""
        return len(self._tails)

    # ---- faults ----------------------------------------------------------------------------
    def drop_next_tail_entries(self, n: int) -> None:
        """The next ``n`` entries due to tail clients (counted per client) are dropped and reported."""
        self._drop_next += n

    async def close_tails(self, code: int = 1011, reason: str = "max duration exceeded") -> None:
        await asyncio.gather(*(tail.close(code, reason) for tail in list(self._tails)))

    # ---- lifecycle -------------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/ready", self._ready),
            web.get("/loki/api/v1/status/buildinfo", self._buildinfo),
            web.get("/loki/api/v1/query_range", self._query_range),
            web.post("/loki/api/v1/query_range", self._query_range),
            web.get("/loki/api/v1/query", self._query),
            web.post("/loki/api/v1/query", self._query),
            web.get("/loki/api/v1/labels", self._labels),
            web.post("/loki/api/v1/labels", self._labels),
            web.get("/loki/api/v1/label", self._labels),
            web.get("/loki/api/v1/label/{name}/values", self._label_values),
            web.post("/loki/api/v1/label/{name}/values", self._label_values),
            web.get("/loki/api/v1/series", self._series),
            web.post("/loki/api/v1/series", self._series),
            web.get("/loki/api/v1/tail", self._tail),
        ]

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.add_routes(self.routes())
        app.router.add_route("*", "/{path:.*}", self._not_found)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        bound = server.sockets[0].getsockname()[1]
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        await self.close_tails(WSCloseCode.GOING_AWAY, "server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- request plumbing ------------------------------------------------------------------
    def _gate(self, request: web.Request) -> None:
        """The gateway's credentials, then the tenant header; raises the HTTP answer."""
        self.requests.append((request.method, request.path_qs))
        if self.bearer is None and self.basic is None:
            return
        given = request.headers.get("Authorization", "")
        scheme, _, credentials = given.partition(" ")
        if self.bearer is not None and scheme.lower() == "bearer" and hmac.compare_digest(credentials, self.bearer):
            return
        if self.basic is not None and scheme.lower() == "basic":
            expected = base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode("ascii")
            if hmac.compare_digest(credentials.strip(), expected):
                return
        challenge = 'Basic realm="Loki"' if self.basic is not None else 'Bearer realm="Loki"'
        raise web.HTTPUnauthorized(
            text=_NGINX_401, content_type="text/html", headers={"WWW-Authenticate": challenge, "Server": "nginx"}
        )

    def _tenant_ids(self, request: web.Request) -> list[str]:
        if self.tenants is None:
            return [FAKE_TENANT]
        org = request.headers.get("X-Scope-OrgID", "")
        if not org:
            raise BadRequest("no org id\n", 401)
        ids = []
        for part in org.split("|"):
            tenant = part.split(":", 1)[0]  # dskit drops "tenant:key=value" metadata
            for position, char in enumerate(tenant):
                if char not in _TENANT_CHARS:
                    raise BadRequest(f"tenant ID '{tenant}' contains unsupported character '{tenant[position]}'")
            if len(tenant) > 150:
                raise BadRequest("tenant ID is too long: max 150 characters")
            if tenant in (".", ".."):
                raise BadRequest("tenant ID is '.' or '..'")
            ids.append(tenant)
        return sorted(set(ids))

    @staticmethod
    async def _form(request: web.Request) -> dict[str, str]:
        form = {k: v for k, v in request.query.items()}
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            posted = await request.post()
            form.update({k: v for k, v in posted.items() if isinstance(v, str)})
        return form

    @staticmethod
    def _flags(request: web.Request) -> list[str]:
        raw = request.headers.get(ENCODING_FLAGS_HEADER, "")
        return list(dict.fromkeys(raw.split(","))) if raw else []

    @staticmethod
    def _json(body: Any) -> web.Response:
        # jsoniter escapes <, > and & in log lines (WriteStringWithHTMLEscaped); they occur only inside strings
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return web.Response(text=text + "\n", content_type="application/json", charset="UTF-8")

    @staticmethod
    def _error(exc: BadRequest | LogQLError) -> web.Response:
        status = exc.status if isinstance(exc, BadRequest) else 400
        response = web.Response(status=status, text=str(exc), content_type="text/plain", charset="utf-8")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="404 page not found\n", content_type="text/plain", charset="utf-8")

    async def _ready(self, request: web.Request) -> web.Response:
        self._gate(request)
        return web.Response(text="ready\n", content_type="text/plain", charset="utf-8")

    async def _buildinfo(self, request: web.Request) -> web.Response:
        self._gate(request)
        return web.Response(text=json.dumps(BUILD_INFO) + "\n", content_type="application/json")

    # ---- evaluation ------------------------------------------------------------------------
    def _streams(self, view: View) -> Iterator[tuple[str, Stream, dict[str, str]]]:
        for tenant in view.tenants:
            for stream in self._store.get(tenant, {}).values():
                visible = view.stream_labels(tenant, stream.labels)
                if view.query.selects(visible):
                    yield tenant, stream, visible

    def _select(self, view: View, start: int, end: int, backward: bool) -> Iterator[Out]:
        """Matching entries in ``[start, end)``, in direction order across streams."""

        keep = view.query.lines_only() if view.query.stages else None
        needle = view.query.needle() if keep is not None else None

        def one(tenant: str, stream: Stream, visible: dict[str, str]) -> Iterator[Out]:
            # by index, not a slice: a page costs what it returns, not what is left of the window (a
            # slice per stream per request made each page of a long replay slower than the last)
            low, high = stream.bounds(start, end)
            entries = stream.entries
            if keep is not None and not backward:
                # a line filter alone decides: tested a slice at a time, nothing made for what it drops
                for at in range(low, high, 1024):
                    chunk = entries[at : min(at + 1024, high)]
                    kept = [e for e in chunk if needle in e.line] if needle is not None else [
                        e for e in chunk if keep(e.line)
                    ]  # fmt: skip
                    for entry in kept:
                        out = view.output(tenant, stream, entry, visible)
                        if out is not None:
                            yield out
                return
            for i in range(high - 1, low - 1, -1) if backward else range(low, high):
                if keep is not None and not keep(entries[i].line):
                    continue
                out = view.output(tenant, stream, entries[i], visible)
                if out is not None:
                    yield out

        iterators = [one(*found) for found in self._streams(view)]
        if backward:
            return heapq.merge(*iterators, key=lambda o: (-o.ts, o.order, -o.seq))
        return heapq.merge(*iterators, key=lambda o: (o.ts, o.order, o.seq))

    def _view(self, request: web.Request, query: str, tenants: list[str]) -> View:
        parsed = parse(query)
        if len(tenants) > 1:
            # pkg/querier/multi_tenant_querier.go: tenant matchers choose tenants; something else must select streams
            rest = [m for m in parsed.matchers if m.name != TENANT_LABEL]
            if not any(not m.matches("") for m in rest):
                raise BadRequest(f"log selector is invalid after matcher update: {LogQLError(AT_LEAST_ONE_MATCHER)}")
        return View(tenants, parsed, CATEGORIZE_LABELS in self._flags(request))

    def _log(self, entries: Iterable[Out]) -> None:
        if self.sent_log is not None:
            self.sent_log.extend((o.ts, o.labels, o.line) for o in entries)

    @staticmethod
    def _streams_json(entries: list[Out]) -> list[dict[str, Any]]:
        grouped: dict[str, tuple[dict[str, str], list[Any]]] = {}
        for out in entries:
            grouped.setdefault(out.key, (out.labels, []))[1].append(out.value())
        return [{"stream": _sorted_labels(labels), "values": values} for _, (labels, values) in sorted(grouped.items())]

    async def _query_range(self, request: web.Request) -> web.Response:
        self._gate(request)
        started = time.perf_counter()
        try:
            tenants = self._tenant_ids(request)
            form = await self._form(request)
            start, end = bounds(form, time.time_ns())
            if end < start:
                raise BadRequest(ERR_END_BEFORE_START)
            limit = query_limit(form)
            order = direction(form)
            step = (
                seconds_or_duration(form["step"])
                if form.get("step", "")
                else max(math.floor((end - start) / 1e9 / 250), 1) * 10**9
            )
            if step <= 0:
                raise BadRequest(ERR_STEP_ZERO)
            if (end - start) // step > 11000:
                raise BadRequest(ERR_STEP_TOO_SMALL)
            interval = seconds_or_duration(form["interval"]) if form.get("interval", "") else 0
            if interval < 0:
                raise BadRequest("interval must be >= 0")
            view = self._view(request, form.get("query", ""), tenants)
            if limit > self.max_entries > 0:
                raise BadRequest(ERR_MAX_ENTRIES.format(limit, self.max_entries))
        except (BadRequest, LogQLError) as exc:
            return self._error(exc)
        chosen = self._limited(self._select(view, start, end, order == "backward"), limit, interval, order)
        self._log(chosen)
        return self._json(self._result(chosen, view, started))

    @staticmethod
    def _limited(entries: Iterator[Out], limit: int, interval: int, order: str) -> list[Out]:
        """``readStreams``: the first ``limit`` entries, at least ``interval`` apart when asked."""
        if interval == 0:
            return list(islice(entries, limit))
        chosen: list[Out] = []
        last: int | None = None
        for out in entries:
            if len(chosen) >= limit:
                break
            if last is None or (out.ts >= last + interval if order == "forward" else out.ts <= last - interval):
                chosen.append(out)
                last = out.ts
        return chosen

    def _result(self, chosen: list[Out], view: View, started: float) -> dict[str, Any]:
        data: dict[str, Any] = {"resultType": "streams"}
        if view.categorize:
            data["encodingFlags"] = [CATEGORIZE_LABELS]
        data["result"] = self._streams_json(chosen)
        elapsed = time.perf_counter() - started
        size = sum(len(o.line) for o in chosen)
        data["stats"] = {
            "summary": {
                "bytesProcessedPerSecond": int(size / elapsed) if elapsed > 0 else 0,
                "linesProcessedPerSecond": int(len(chosen) / elapsed) if elapsed > 0 else 0,
                "totalBytesProcessed": size,
                "totalLinesProcessed": len(chosen),
                "execTime": elapsed,
                "queueTime": 0,
                "subqueries": 0,
                "totalEntriesReturned": len(chosen),
                "splits": 0,
                "shards": 0,
                "totalPostFilterLines": len(chosen),
                "totalStructuredMetadataBytesProcessed": 0,
            },
        }
        return {"status": "success", "data": data}

    async def _query(self, request: web.Request) -> web.Response:
        self._gate(request)
        try:
            tenants = self._tenant_ids(request)
            form = await self._form(request)
            query_limit(form)
            try:
                parse_timestamp(form.get("time", ""), 0)
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            direction(form)
            self._view(request, form.get("query", ""), tenants)
            raise BadRequest(ERR_INSTANT_LOG_QUERY)
        except (BadRequest, LogQLError) as exc:
            return self._error(exc)

    # ---- metadata --------------------------------------------------------------------------
    def _metadata_streams(
        self, tenants: list[str], selectors: list[str], start: int, end: int
    ) -> Iterator[dict[str, str]]:
        """Label sets (as clients see them) of streams with an entry in ``[start, end]``."""
        queries = [parse_selector(s) for s in selectors]
        for tenant in tenants:
            for stream in self._store.get(tenant, {}).values():
                low = bisect_left(stream.stamps, start)
                if low >= len(stream.stamps) or stream.stamps[low] > end:
                    continue
                labels = stream.labels
                if len(tenants) > 1:
                    labels = View(tenants, LogQuery([], []), False).stream_labels(tenant, labels)
                if queries and not any(q.selects(labels) for q in queries):
                    continue
                yield labels

    async def _metadata_request(self, request: web.Request) -> tuple[list[str], dict[str, str], int, int]:
        tenants = self._tenant_ids(request)
        form = await self._form(request)
        start, end = bounds(form, time.time_ns())
        return tenants, form, start, end

    async def _labels(self, request: web.Request) -> web.Response:
        self._gate(request)
        try:
            tenants, form, start, end = await self._metadata_request(request)
            selectors = [form["query"]] if form.get("query", "") else []
            names = {name for labels in self._metadata_streams(tenants, selectors, start, end) for name in labels}
        except (BadRequest, LogQLError) as exc:
            return self._error(exc)
        if len(tenants) > 1:
            names.add(TENANT_LABEL)
        return self._json({"status": "success", "data": sorted(names)} if names else {"status": "success"})

    async def _label_values(self, request: web.Request) -> web.Response:
        self._gate(request)
        name = request.match_info["name"]
        try:
            tenants, form, start, end = await self._metadata_request(request)
            if name == TENANT_LABEL and self.tenants is not None:
                values = set(tenants)
            else:
                selectors = [form["query"]] if form.get("query", "") else []
                found = self._metadata_streams(tenants, selectors, start, end)
                values = {labels[name] for labels in found if name in labels}
        except (BadRequest, LogQLError) as exc:
            return self._error(exc)
        return self._json({"status": "success", "data": sorted(values)} if values else {"status": "success"})

    async def _series(self, request: web.Request) -> web.Response:
        self._gate(request)
        try:
            tenants = self._tenant_ids(request)
            form = await self._form(request)
            start, end = bounds(form, time.time_ns())
            matches = list(request.query.getall("match[]", [])) + list(request.query.getall("match", []))
            if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
                posted = await request.post()
                matches += [str(v) for k, v in posted.items() if k in ("match[]", "match")]
            selectors = sorted({m for m in matches if m.replace(" ", "") != "{}"})
            found = {label_string(labels): labels for labels in self._metadata_streams(tenants, selectors, start, end)}
        except (BadRequest, LogQLError) as exc:
            return self._error(exc)
        return self._json({"status": "success", "data": [_sorted_labels(found[k]) for k in sorted(found)]})

    # ---- tail --------------------------------------------------------------------------------
    async def _tail(self, request: web.Request) -> web.StreamResponse:
        self._gate(request)
        now = time.time_ns()
        try:
            tenants = self._tenant_ids(request)  # the auth middleware runs before the handler
            form = await self._form(request)
            view_query = form.get("query", "")
            parse(view_query)  # ParseTailQuery parses before anything else
            limit = query_limit(form)
            start, _ = bounds(form, now)
            delay = _atoi(form.get("delay_for", ""), 0)
            if delay < 0 or delay > 2**32 - 1:
                raise BadRequest(f"delay_for value {delay} is out of range [0, {2**32 - 1}]")
            if delay > MAX_DELAY_FOR:
                raise BadRequest(f"delay_for can't be greater than {MAX_DELAY_FOR}")
            if len(tenants) > 1:
                raise BadRequest("multiple org IDs present")
            if len(self._tails) >= self.max_tails:
                count_now = len(self._tails) + 1
                raise BadRequest(
                    f"max concurrent tail requests limit exceeded, count > limit ({count_now} > {self.max_tails})"
                )
            view = self._view(request, view_query, tenants)
        except (BadRequest, LogQLError) as exc:
            return self._error(exc)
        # Loki writes its close frame and drops the connection; don't wait long for the client's reply
        ws = web.WebSocketResponse(autoping=True, compress=False, timeout=1.0)
        await ws.prepare(request)
        if self.socket_buffer and request.transport is not None:
            _shrink_buffers(request.transport, self.socket_buffer)
        tail = _Tail(self, ws, tenants[0], view, delay * 10**9, self._flags(request))
        # the history: the newest `limit` entries since `start`, sent oldest first (no await since the snapshot)
        history = list(islice(self._select(view, start, now, backward=True), limit))
        for out in history:
            tail.pending_push(out)
        self._tails.add(tail)
        await tail.run()
        return ws


def _shrink_buffers(transport: asyncio.BaseTransport, size: int) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    if isinstance(transport, asyncio.WriteTransport):
        transport.set_write_buffer_limits(high=size)


class _Tail:
    """One tail client: Loki's ``Tailer`` (pending entries, the loop, the response channel) and its writer."""

    def __init__(
        self, server: LokiStandIn, ws: web.WebSocketResponse, tenant: str, view: View, delay_ns: int, flags: list[str]
    ) -> None:
        self.server, self.ws, self.tenant, self.view, self.delay_ns, self.flags = (
            server,
            ws,
            tenant,
            view,
            delay_ns,
            flags,
        )
        self.pending: list[tuple[int, str, int, Out]] = []
        self.frames: asyncio.Queue[tuple[list[Out], list[dict[str, Any]]]] = asyncio.Queue(server.tail_frames)
        self.dropped: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self.closed = False
        self._tasks: list[asyncio.Task[None]] = []
        self._closer: asyncio.Task[Any] | None = None
        self._selected: dict[str, dict[str, str] | None] = {}
        # a stream's labels in Loki's order, made once per stream (its visible-labels dict is kept in _selected)
        self._ordered: dict[int, tuple[dict[str, str], dict[str, str]]] = {}

    def pending_push(self, out: Out) -> None:
        heapq.heappush(self.pending, (out.ts, out.order, out.seq, out))

    def offer(self, stream: Stream, entry: Entry) -> None:
        """An entry pushed while this tail is open."""
        visible = self._selected.get(stream.key, False)
        if visible is False:
            labels = self.view.stream_labels(self.tenant, stream.labels)
            visible = self._selected[stream.key] = labels if self.view.query.selects(labels) else None
        if visible is None or self.closed:
            return
        out = self.view.output(self.tenant, stream, entry, visible)
        if out is not None:
            self.pending_push(out)

    def drop(self, out: Out) -> None:
        if len(self.dropped) < MAX_DROPPED_ENTRIES_PER_TAIL_RESPONSE:
            self.dropped.append({"timestamp": str(out.ts), "labels": _sorted_labels(out.labels)})

    def _ready(self) -> bool:
        return bool(self.pending) and time.time_ns() > self.pending[0][0] + self.delay_ns

    async def run(self) -> None:
        self._tasks = [asyncio.create_task(self._loop()), asyncio.create_task(self._write())]
        try:
            async for message in self.ws:
                if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            self.closed = True
            self.server._tails.discard(self)
            for task in self._tasks:
                if task is not self._closer:  # a task closing the socket finishes that first
                    task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self, code: int, reason: str) -> None:
        """Write the close frame (then the connection goes), as Loki's handler does."""
        if self.closed:
            return
        self.closed = True
        self.server._tails.discard(self)
        self._closer = asyncio.current_task()
        for task in self._tasks:
            if task is not self._closer:
                task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code, message=reason.encode()), 3.0)

    async def _loop(self) -> None:
        """Loki's ``Tailer.loop``: batch ready entries, drop what the full channel cannot take."""
        while not self.closed:
            if time.monotonic() - self.started >= self.server.tail_max_duration:
                await self.close(WSCloseCode.INTERNAL_ERROR, TAIL_MAX_DURATION_REASON)
                return
            batch: list[Out] = []
            consumed = 0
            while consumed < MAX_ENTRIES_PER_TAIL_RESPONSE and self._ready():
                out = heapq.heappop(self.pending)[3]
                consumed += 1
                if self.server._drop_next > 0:
                    self.server._drop_next -= 1
                    self.drop(out)
                elif self.frames.full():
                    self.drop(out)
                else:
                    batch.append(out)
            if not batch:
                if consumed == 0:
                    remaining = self.server.tail_max_duration - (time.monotonic() - self.started)
                    await asyncio.sleep(max(0.0, min(self.server.tail_throttle, remaining)))
                else:
                    await asyncio.sleep(0)
                continue
            try:
                self.frames.put_nowait((batch, self.dropped))
                self.dropped = []
            except asyncio.QueueFull:
                for out in batch:
                    self.drop(out)
            await asyncio.sleep(0)

    def _frame(self, batch: list[Out], dropped: list[dict[str, Any]]) -> str:
        ordered = self._ordered
        streams = []
        for o in batch:
            labels = ordered.get(id(o.labels))
            if labels is None or labels[0] is not o.labels:
                labels = ordered[id(o.labels)] = (o.labels, _sorted_labels(o.labels))
            streams.append({"stream": labels[1], "values": [o.value()]})
        body: dict[str, Any] = {"streams": streams}
        if dropped:
            body["dropped_entries"] = dropped
        if self.flags:
            body["encodingFlags"] = self.flags
        return orjson.dumps(body).decode()

    async def _write(self) -> None:
        """The websocket side: frames in order, and a ping every second."""
        while not self.closed:
            try:
                # Frames already queued go out at once, as Loki's writer goroutine takes them from
                # its channel: waking through wait_for costs this task several loop turns per frame,
                # in which the loop queued more, so the queue filled (and dropped ~60 % at 20,000
                # lines/s) with the client idle.  Only a socket that does not take frames fills it.
                batch, dropped = self.frames.get_nowait()
            except asyncio.QueueEmpty:
                try:
                    batch, dropped = await asyncio.wait_for(self.frames.get(), WS_PING_PERIOD)
                except TimeoutError:
                    try:
                        await self.ws.ping()
                    except ConnectionError:
                        return
                    continue
            try:
                await self.ws.send_str(self._frame(batch, dropped))
            except asyncio.CancelledError:
                self.server._log(batch)  # written to the socket before the cancel reached the drain
                raise
            except ConnectionError:
                return
            self.server._log(batch)
