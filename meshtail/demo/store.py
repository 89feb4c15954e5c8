"""The stand-in's object store: resourceVersions, managedFields, generations and watch fan-out.

It keeps the semantics clients depend on: one cluster-wide resourceVersion counter, a
bounded event history (a watch from a version older than the history gets 410 Expired,
as etcd compaction causes), ``metadata.generation`` bumped only by spec changes, and
``managedFields`` entries overwritten per (manager, operation) like server-side field
management does.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .resources import ResourceType

Obj = dict[str, Any]


def rfc3339(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Expired(Exception):
    """A watch or list asked for a resourceVersion older than the retained history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


@dataclass(slots=True)
class Change:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    key: str
    obj: Obj
    old: Obj | None = None


@dataclass(eq=False)
class Watcher:
    key: str
    namespace: str | None
    match: Callable[[Obj], bool]
    queue: asyncio.Queue[Change | None] = field(default_factory=asyncio.Queue)

    def wants(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.match(obj)


class ObjectStore:
    """All objects of the simulated cluster, keyed by resource type and (namespace, name)."""

    def __init__(self, history: int = 5000, uid_seed: int = 0) -> None:
        self.rv = 100
        self._objects: dict[str, dict[tuple[str, str], Obj]] = {}
        self._history: deque[Change] = deque(maxlen=history)
        self._watchers: set[Watcher] = set()
        self._uids = itertools.count(uid_seed * 1_000_000)

    # ---- reads -------------------------------------------------------------------------
    def get(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        try:
            return self._objects.get(rtype.key, {})[(namespace if rtype.namespaced else "", name)]
        except KeyError:
            raise NotFound(f'{rtype.plural}{"." + rtype.group if rtype.group else ""} "{name}" not found') from None

    def list(self, rtype: ResourceType, namespace: str | None, match: Callable[[Obj], bool]) -> tuple[list[Obj], int]:
        items = [
            obj
            for (ns, _), obj in sorted(self._objects.get(rtype.key, {}).items())
            if (not namespace or ns == namespace) and match(obj)
        ]
        return items, self.rv

    def list_at(
        self, rtype: ResourceType, namespace: str | None, match: Callable[[Obj], bool], rv: int
    ) -> list[tuple[str, Obj]]:
        """The type's objects as they were at ``rv`` (for a paged list), with their etcd-style keys, in key order.

        Keys are ``namespace/name`` (``name`` for cluster-scoped types), as etcd orders them.
        Changes after ``rv`` are undone from the history; raises :class:`Expired` when the
        history no longer reaches back to ``rv`` (etcd compacted it).
        """
        if rv < self.oldest_rv():
            raise Expired(rv, self.oldest_rv())
        state = dict(self._objects.get(rtype.key, {}))
        for change in reversed(self._history):
            if change.rv <= rv:
                break
            if change.key != rtype.key:
                continue
            meta = change.obj["metadata"]
            key = (meta.get("namespace", "") if rtype.namespaced else "", meta["name"])
            if change.type == "ADDED":
                state.pop(key, None)
            elif change.old is not None:
                state[key] = change.old
        items = [
            (f"{ns}/{name}" if rtype.namespaced else name, obj)
            for (ns, name), obj in state.items()
            if (not namespace or ns == namespace) and match(obj)
        ]
        return sorted(items, key=lambda item: item[0])

    def oldest_rv(self) -> int:
        return self._history[0].rv - 1 if self._history else self.rv

    # ---- writes (the simulation only; the HTTP API is read-only) -----------------------
    def _uid(self) -> str:
        return str(uuid.UUID(int=next(self._uids) + (0x5EED << 64)))

    def create(self, rtype: ResourceType, obj: Obj, manager: str = "kubectl-create", operation: str = "Update") -> Obj:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        ns = meta.get("namespace", "") if rtype.namespaced else ""
        bucket = self._objects.setdefault(rtype.key, {})
        if (ns, meta["name"]) in bucket:
            raise Conflict(f'{rtype.plural} "{meta["name"]}" already exists')
        self.rv += 1
        now = rfc3339()
        obj["apiVersion"] = rtype.api_version()
        obj["kind"] = rtype.kind
        meta.update(uid=self._uid(), resourceVersion=str(self.rv), creationTimestamp=now)
        if rtype.group:
            meta["generation"] = 1
        meta["managedFields"] = [_managed(manager, operation, now, obj)]
        bucket[(ns, meta["name"])] = obj
        self._publish(Change(self.rv, "ADDED", rtype.key, obj))
        return obj

    def update(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        mutate: Callable[[Obj], None],
        manager: str = "kubectl-edit",
        operation: str = "Update",
        subresource: str | None = None,
    ) -> Obj:
        old = self.get(rtype, namespace, name)
        new = copy.deepcopy(old)
        mutate(new)
        self.rv += 1
        now = rfc3339()
        meta = new["metadata"]
        meta["resourceVersion"] = str(self.rv)
        if rtype.group and new.get("spec") != old.get("spec"):
            meta["generation"] = meta.get("generation", 1) + 1
        entry = _managed(manager, operation, now, new, subresource)
        fields = [
            f
            for f in meta.get("managedFields", [])
            if (f["manager"], f["operation"], f.get("subresource")) != (manager, operation, subresource)
        ]
        meta["managedFields"] = [*fields, entry]
        self._objects[rtype.key][(namespace if rtype.namespaced else "", name)] = new
        self._publish(Change(self.rv, "MODIFIED", rtype.key, new, old))
        return new

    def delete(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        old = self.get(rtype, namespace, name)
        del self._objects[rtype.key][(namespace if rtype.namespaced else "", name)]
        self.rv += 1
        gone = copy.deepcopy(old)
        gone["metadata"]["resourceVersion"] = str(self.rv)
        self._publish(Change(self.rv, "DELETED", rtype.key, gone, old))
        return gone

    # ---- watches -----------------------------------------------------------------------
    def watch(
        self, rtype: ResourceType, namespace: str | None, match: Callable[[Obj], bool], since: int | None
    ) -> tuple[Watcher, list[Change]]:
        """Register a watcher; return it with the changes it must replay first.

        ``since`` None means "current state then changes" (synthetic ADDED events);
        a number replays the history after it, or raises :class:`Expired`.
        """
        watcher = Watcher(rtype.key, namespace, match)
        if since is None:
            items, _ = self.list(rtype, namespace, match)
            backlog = [Change(int(o["metadata"]["resourceVersion"]), "ADDED", rtype.key, o) for o in items]
        else:
            if since < self.oldest_rv():
                raise Expired(since, self.oldest_rv())
            backlog = [c for c in self._history if c.rv > since and c.key == rtype.key]
            backlog = [c for c in (self._for(watcher, c) for c in backlog) if c is not None]
        self._watchers.add(watcher)
        return watcher, backlog

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)

    def open_watches(self) -> int:
        """How many watches are open now (a test closes them only after its client's watch is open)."""
        return len(self._watchers)

    def close_watches(self) -> None:
        """End every open watch (an API server restart, as clients see it)."""
        for watcher in list(self._watchers):
            watcher.queue.put_nowait(None)
        self._watchers.clear()

    def compact(self) -> None:
        """Forget the history, so every watch resuming from an old version gets 410."""
        self._history.clear()
        self.rv += 1

    def _for(self, watcher: Watcher, change: Change) -> Change | None:
        """The change as this watcher sees it: objects moving in or out of its selector appear/vanish."""
        new_in = change.type != "DELETED" and watcher.wants(change.obj)
        old_in = watcher.wants(change.old) if change.type != "ADDED" else False
        if change.type == "DELETED":
            return change if old_in or watcher.wants(change.obj) else None
        if new_in and not old_in and change.type == "MODIFIED":
            return Change(change.rv, "ADDED", change.key, change.obj)
        if old_in and not new_in:
            return Change(change.rv, "DELETED", change.key, change.obj, change.old)
        return change if new_in else None

    def _publish(self, change: Change) -> None:
        self._history.append(change)
        for watcher in list(self._watchers):
            if watcher.key == change.key:
                seen = self._for(watcher, change)
                if seen is not None:
                    watcher.queue.put_nowait(seen)


def _managed(manager: str, operation: str, now: str, obj: Mapping[str, Any], subresource: str | None = None) -> Obj:
    """A managedFields entry whose fieldsV1 names the top-level fields the manager owns: the spec's (and labels), or,
    for a write to the status subresource, the status's (a status writer owns nothing else)."""
    section = "status" if subresource == "status" else "spec"
    body = obj.get(section) if isinstance(obj.get(section), dict) else {}
    fields: dict[str, Any] = {f"f:{section}": {f"f:{k}": {} for k in sorted(body)}} if body else {}
    labels = obj.get("metadata", {}).get("labels")
    if labels and section == "spec":
        fields["f:metadata"] = {"f:labels": {f"f:{k}": {} for k in sorted(labels)}}
    entry: Obj = {
        "manager": manager,
        "operation": operation,
        "apiVersion": obj.get("apiVersion", "v1"),
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }
    if subresource:
        entry["subresource"] = subresource
    return entry
