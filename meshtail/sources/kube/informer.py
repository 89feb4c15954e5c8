"""List-then-watch with a local cache, as client-go's informers do.

Handles what a long-running watcher meets: BOOKMARKs (resourceVersion advances without
events), clean server-side timeouts (re-watch from the last version), broken connections
(re-watch with back-off), watches that hang (a client-side deadline), and 410 Expired
(re-list, and turn the difference between the cache and the new list into the ADDED,
MODIFIED and DELETED events the gap hid).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from .client import KubeClient
from .errors import KubeError, backoff

Obj = dict[str, Any]


@dataclass(slots=True)
class WatchEvent:
    type: str  # ADDED | MODIFIED | DELETED
    obj: Obj
    old: Obj | None = None
    initial: bool = False  # part of the first list, not a change


def object_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata", {})
    return meta.get("namespace", ""), meta.get("name", "")


RESUMED_AFTER = 2.0  # seconds a re-opened watch stays open without an error before it is said to be back


def _why(exc: BaseException) -> str:
    """Why a watch broke, in words: aiohttp's own text nests the HTTP parser's error with a number that reads as
    an HTTP status ("TransferEncodingError: 400, message='Not enough data for satisfy transfer length header.'")."""
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the connection closed in the middle of the response"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the API server closed the connection"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, ValueError):
        return f"an event that is not JSON: {str(exc)[:120]}"
    return f"{type(exc).__name__}: {exc}"


async def informer(
    client: KubeClient,
    path: str,
    params: dict[str, str] | None = None,
    *,
    what: str,
    on_problem: Callable[[str, str], None] | None = None,
    on_resume: Callable[[str], None] | None = None,
    watch_timeout: int = 300,
) -> AsyncIterator[WatchEvent]:
    """Yield the objects at ``path`` (initial list) and then every change, forever.

    ``on_problem(severity, message)`` hears about relists and reconnects, ``on_resume(message)`` that the watch is
    back after one.  Non-transient
    errors (403, 404, 401 after refresh) are raised to the caller.
    """
    cache: dict[tuple[str, str], Obj] = {}
    version: str | None = None
    first = True
    attempt = 0
    report = on_problem or (lambda severity, message: None)
    troubled: float | None = None  # when the watch last went wrong, until it is back

    def problem(severity: str, message: str) -> None:
        nonlocal troubled
        troubled = troubled or time.monotonic()
        report(severity, message)

    back: asyncio.TimerHandle | None = None
    while True:
        try:
            if version is None:
                listed = await client.get_json(path, params, what=f"list {what}")
                version = str(listed.get("metadata", {}).get("resourceVersion", ""))
                fresh = {object_key(o): o for o in listed.get("items") or []}
                for key, obj in fresh.items():
                    old = cache.get(key)
                    if old is None:
                        yield WatchEvent("ADDED", obj, None, first)
                    elif old.get("metadata", {}).get("resourceVersion") != obj.get("metadata", {}).get(
                        "resourceVersion"
                    ):
                        yield WatchEvent("MODIFIED", obj, old)
                for key in [k for k in cache if k not in fresh]:
                    yield WatchEvent("DELETED", cache[key], cache[key])
                cache = fresh
                first = False
            query = dict(params or {})
            query |= {
                "watch": "1",
                "resourceVersion": version,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": str(watch_timeout),
            }
            async with client.stream(path, query, what=f"watch {what}", accept="application/json") as response:
                attempt = 0
                # said as the trouble was: a user who read that the watch broke reads that it is back -- once it
                # is: on its first event, or when it has stayed open a moment (an open stream can still answer
                # 410 at once; "resumed" then "expired" in the same millisecond read as a contradiction)
                back = None
                if troubled is not None:
                    since = troubled

                    def say_back(since: float = since) -> None:
                        nonlocal troubled
                        if troubled == since:
                            troubled = None
                            if on_resume is not None:
                                on_resume(f"watch of {what} resumed after {time.monotonic() - since:.1f}s")

                    back = asyncio.get_running_loop().call_later(RESUMED_AFTER, say_back)
                # a client-side deadline for hung watches (kubernetes_asyncio#360), per read: a timeout
                # around the whole loop would cancel the consumer's code while this generator is suspended
                deadline = asyncio.get_running_loop().time() + watch_timeout + 30
                while True:
                    left = deadline - asyncio.get_running_loop().time()
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
                    # arrives as the read completes, and the watch would then outlive its stop()
                    async with asyncio.timeout(max(left, 0.01)):
                        line = await response.content.readline()
                    if not line:
                        break
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    kind, obj = event.get("type"), event.get("object") or {}
                    if kind == "ERROR":
                        code = obj.get("code")
                        if code == 410:
                            problem("info", f"watch of {what} expired ({obj.get('message', '')}); re-listing")
                            version = None
                            break
                        raise KubeError(
                            f"watch {what}: {obj.get('message', 'error')}",
                            code,
                            obj.get("reason", ""),
                            transient=code in (429, 500, 503),
                        )
                    if back is not None:
                        back.cancel()
                        say_back()
                        back = None
                    rv = obj.get("metadata", {}).get("resourceVersion")
                    if rv:
                        version = str(rv)
                    if kind == "BOOKMARK":
                        continue
                    key = object_key(obj)
                    old = cache.get(key)
                    if kind == "DELETED":
                        cache.pop(key, None)
                    else:
                        cache[key] = obj
                    yield WatchEvent(kind, obj, old)
        except KubeError as exc:
            if exc.status == 410:
                version = None
                continue
            if not exc.transient:
                raise
            attempt += 1
            problem("warning", f"{exc.message}; retrying")
            await asyncio.sleep(exc.retry_after if exc.retry_after is not None else backoff(attempt))
        except TimeoutError:
            problem("warning", f"watch of {what} hung with no end; restarting it")
        except (aiohttp.ClientError, ValueError, ConnectionError) as exc:
            attempt += 1
            problem("warning", f"watch of {what} broke ({_why(exc)}); resuming from version {version}")
            await asyncio.sleep(backoff(attempt))
        finally:
            if back is not None:
                back.cancel()  # (the stream ended before it was back: the trouble goes on)
                back = None
