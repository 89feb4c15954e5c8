"""The live source: discover mesh pods, follow each proxy's log, watch the mesh configuration.

Pods come from a list+watch (one per namespace, or cluster-wide); every container with
mesh logs gets a :class:`~.follow.Follower` per container instance, so a restart
(new containerID) starts a new stream and the old one ends on its own.  Containers
already running when meshtail starts honour ``--since``/``--tail``; later ones are read
from their first line.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ...events import AuditEvent, RawLine
from ..health import StreamStats, health_event
from .client import KubeClient
from .errors import KubeError
from .follow import Follower, FollowOptions
from .informer import WatchEvent, informer
from .mesh_resources import watch_mesh_config
from .proxies import Target, targets


@dataclass
class Selection:
    """What to follow, as the command line says it (kubectl / stern habits)."""

    namespaces: list[str] = field(default_factory=list)  # empty with all_namespaces False: the context's
    all_namespaces: bool = False
    selector: str | None = None
    containers: list[str] = field(default_factory=list)  # extra containers by name
    config: bool = True  # watch mesh resources too


class LiveSource:
    """Runs every pod watch, log follower and config watch; delivers lines and events to callbacks."""

    ended_kept = 500  # ended streams kept listed in ``ended`` (for the status bar)

    def __init__(
        self,
        client: KubeClient,
        selection: Selection,
        on_line: Callable[[RawLine], None],
        on_event: Callable[[AuditEvent], None],
        options: FollowOptions | None = None,
        ahead: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.client = client
        self.selection = selection
        self.on_line = on_line
        self.on_event = on_event
        self.ahead = ahead  # (see Follower.ahead)
        self.options = options or FollowOptions()
        self.followers: dict[tuple[str, str, str, str], Follower] = {}
        # ended streams leave `followers` (pod churn would grow it forever); the last ones stay visible here,
        # and their container instances are remembered so a late pod event cannot start them again
        self.ended: deque[Follower] = deque(maxlen=self.ended_kept)
        # every stream that ended, its reconnects and repeated lines dropped (the run's closing count: `ended` keeps
        # only the last ones, and `streams` one per container, whatever its restarts)
        self.ended_totals = [0, 0, 0]
        self._done_ids: OrderedDict[tuple[str, str, str, str], None] = OrderedDict()
        # containers (ns, pod, container) with an instance followed in this run: only their later
        # instances are worth reading from the previous log
        self._followed: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        # pods of the first list: their earlier instances ran before meshtail started (not its to read);
        # a pod first seen later (a watch event, a relist after a gap) started while meshtail ran
        self._initial_pods: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.errors: list[str] = []
        self._stopped = False

    @property
    def streams(self) -> dict[str, StreamStats]:
        """Per-stream state for a status bar, by ``ns/pod[container]`` (recently ended ones included)."""
        out = {f.target.name: f.stats for f in self.ended}
        out.update({f.target.name: f.stats for f in list(self.followers.values())})
        return out

    def totals(self) -> tuple[int, int, int]:
        """(streams, reconnects, repeated lines dropped) of the whole run: every stream that ended, every open one."""
        open_ = list(self.followers.values())
        streams, reconnects, dropped = self.ended_totals
        return (
            streams + len(open_),
            reconnects + sum(f.stats.reconnects for f in open_),
            dropped + sum(f.stats.duplicates_dropped for f in open_),
        )

    def scopes(self) -> list[str | None]:
        if self.selection.all_namespaces:
            return [None]
        return list(self.selection.namespaces) or [self.client.cluster.namespace]

    def pod_path(self, namespace: str | None) -> str:
        return f"/api/v1/namespaces/{namespace}/pods" if namespace else "/api/v1/pods"

    def _params(self) -> dict[str, str]:
        return {"labelSelector": self.selection.selector} if self.selection.selector else {}

    def _start(self, target: Target, initial: bool, earlier: bool = False) -> None:
        key = (*target.key, target.container_id or "")
        if key in self.followers or key in self._done_ids:
            return
        follower = Follower(
            self.client, target, self.on_line, self.on_event, self.options, initial, earlier, self.ahead
        )
        self.followers[key] = follower
        self._followed[target.key] = None
        while len(self._followed) > 100_000:
            self._followed.popitem(last=False)
        task = asyncio.create_task(follower.run(), name=f"follow {target.name}")
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._done(done, key))

    def _done(self, task: asyncio.Task[None], key: tuple[str, str, str, str]) -> None:
        self._tasks.discard(task)
        if task.cancelled():  # shutting down: the stream did not end, keep it listed
            return
        follower = self.followers.pop(key, None)
        if follower is not None:
            self.ended.append(follower)
            self.ended_totals[0] += 1
            self.ended_totals[1] += follower.stats.reconnects
            self.ended_totals[2] += follower.stats.duplicates_dropped
            self._done_ids[key] = None
            while len(self._done_ids) > 100_000:
                self._done_ids.popitem(last=False)
            if follower.replaced_in is not None and not self._stopped:
                # the stream found its instance replaced: follow the pod as it saw it, whatever the watch
                # says (a watch that is down would learn of the next instances late, or never if they end)
                self._pod_event(WatchEvent("MODIFIED", follower.replaced_in, None, False))
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.on_event(health_event("meshtail.internal_error", f"{task.get_name()} failed: {exc!r}", "error"))

    def _pod_event(self, event: WatchEvent) -> None:
        found = targets(event.obj, self.selection.containers)
        meta = event.obj.get("metadata") or {}
        pod = (meta.get("namespace", ""), meta.get("name", ""))
        if event.type == "DELETED":
            for key, follower in self.followers.items():
                if key[:2] == (meta.get("namespace"), meta.get("name")):
                    follower.pod_gone = True
            self._initial_pods.discard(pod)  # a StatefulSet's next pod of that name is a new one
            return
        if event.initial:
            self._initial_pods.add(pod)
        for target in found:
            if not target.container_id:
                continue
            if (
                target.previous_id
                and (target.key in self._followed or (not event.initial and pod not in self._initial_pods))
                and (*target.key, target.previous_id) not in self._done_ids
                and (*target.key, target.previous_id) not in self.followers
            ):
                # an instance started and was replaced between two looks at the pod (a fast restart, or
                # a watch gap): nobody followed it, and its log is the "previous" one now — read it
                earlier = replace(target, container_id=target.previous_id, state="terminated", previous_id=None)
                self._start(earlier, initial=False, earlier=True)
            if target.state == "running" or (not event.initial and target.state == "terminated"):
                self._start(target, initial=event.initial)

    def _cannot(self, verb: str, what: str, exc: KubeError) -> None:
        """A pod list or watch failed for good (403, 404 ...): remember it and say so."""
        self.errors.append(exc.message)
        self.on_event(
            health_event(
                "meshtail.watch.error",
                f"cannot {verb} {what}: {exc.message}",
                "error",
                attributes={"error.message": exc.message},
            )
        )

    async def _watch_pods(self, namespace: str | None) -> None:
        what = f"pods in {namespace}" if namespace else "pods in all namespaces"

        def problem(severity: str, message: str) -> None:
            self.on_event(health_event("meshtail.watch.problem", message, severity))

        def resumed(message: str) -> None:
            self.on_event(health_event("meshtail.watch.resume", message, "info"))

        try:
            async for event in informer(
                self.client, self.pod_path(namespace), self._params(), what=what, on_problem=problem, on_resume=resumed
            ):
                self._pod_event(event)
        except KubeError as exc:
            self._cannot("watch", what, exc)

    async def _list_pods(self, namespace: str | None) -> None:
        what = f"pods in {namespace}" if namespace else "pods in all namespaces"
        try:
            listed = await self.client.get_json(self.pod_path(namespace), self._params(), what=f"list {what}")
        except KubeError as exc:
            self._cannot("list", what, exc)
            return
        for pod in listed.get("items") or []:
            self._pod_event(WatchEvent("ADDED", pod, None, True))

    async def run(self) -> None:
        """Follow until cancelled (``follow``), or until every stream is drained (``--no-follow``)."""
        scopes = self.scopes()
        jobs: list[asyncio.Task[None]] = []
        config_scope = None if self.selection.all_namespaces else [s for s in scopes if s]
        if self.options.follow:
            for scope in scopes:
                jobs.append(asyncio.create_task(self._watch_pods(scope), name=f"pods {scope or 'all'}"))
            if self.selection.config:
                jobs.append(
                    asyncio.create_task(watch_mesh_config(self.client, config_scope, self.on_event), name="config")
                )
            try:
                await asyncio.gather(*jobs)
                # the pod watches only return after fatal errors: keep following what already runs
                while self._tasks:
                    await asyncio.gather(*list(self._tasks), return_exceptions=True)
            finally:
                await self.stop(jobs)
            return
        await asyncio.gather(*(self._list_pods(scope) for scope in scopes))
        if self.selection.config:
            await watch_mesh_config(self.client, config_scope, self.on_event, follow=False)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _report_stop(self, why: str) -> None:
        """Once, as meshtail stops: every stream that is behind says up to where it was read."""
        if self._stopped:
            return
        self._stopped = True
        behind = 0
        for follower in list(self.followers.values()):
            if follower.behind() is not None:
                behind += 1
                follower.report_incomplete(why)
        live = len(self.followers)
        self.on_event(
            health_event(
                "meshtail.source.stop",
                f"{why}: {live} streams open, {behind} of them behind (reported each)"
                if behind
                else f"{why}: {live} streams open, all read up to date",
                "warning" if behind else "info",
                attributes={"meshtail.source.streams": live, "meshtail.source.behind": behind},
            )
        )

    async def stop(self, jobs: list[asyncio.Task[None]] | None = None, why: str = "meshtail stopped") -> None:
        """Cancel every watch and stream, insisting until each one has ended (a cancel can be lost).

        Streams still open are reported first: those that are behind with the last line read.
        """
        if any(not task.done() for task in self._tasks):
            self._report_stop(why)
        pending = {task for task in [*(jobs or []), *self._tasks] if not task.done()}
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=2.0)
