"""Find the mesh resource kinds a cluster serves, and watch them for changes.

One served version per kind (the group's preferred version first), because versions
share storage: watching two would report every change twice.  Groups or kinds the
cluster does not have (CRDs not installed) are skipped without noise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ...events import AuditEvent
from ..health import health_event
from .changes import Kind, config_event
from .client import KubeClient
from .errors import KubeError, backoff
from .informer import informer

MESH_GROUPS = (
    "networking.istio.io",
    "security.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
    "gateway.networking.k8s.io",
)


async def discover(client: KubeClient) -> list[Kind]:
    """Every listable, watchable kind in the mesh groups, each at one served version."""
    groups = await client.get_json("/apis", what="API discovery")
    kinds: dict[str, Kind] = {}
    for group in groups.get("groups") or []:
        name = group.get("name")
        if name not in MESH_GROUPS:
            continue
        preferred = (group.get("preferredVersion") or {}).get("version")
        versions = [v.get("version") for v in group.get("versions") or [] if v.get("version")]
        ordered = ([preferred] if preferred in versions else []) + [v for v in versions if v != preferred]
        for version in ordered:
            try:
                listing = await client.get_json(f"/apis/{name}/{version}", what=f"discovery of {name}/{version}")
            except KubeError as exc:
                if exc.status == 404:
                    continue
                raise
            for res in listing.get("resources") or []:
                plural = res.get("name", "")
                verbs = set(res.get("verbs") or [])
                if "/" in plural or not {"list", "watch"} <= verbs:
                    continue
                key = f"{plural}.{name}"
                if key not in kinds:
                    kinds[key] = Kind(name, version, plural, res.get("kind", plural), bool(res.get("namespaced")))
    return sorted(kinds.values(), key=lambda k: (k.group, k.plural))


async def watch_kind(
    client: KubeClient,
    kind: Kind,
    namespace: str | None,
    emit: Callable[[AuditEvent], None],
    initial_events: bool = True,
    follow: bool = True,
) -> None:
    """List and watch one kind in one namespace (or cluster-wide), emitting config events."""
    if namespace and kind.namespaced:
        path = f"/apis/{kind.group}/{kind.version}/namespaces/{namespace}/{kind.plural}"
    else:
        path = f"/apis/{kind.group}/{kind.version}/{kind.plural}"
    where = f" in {namespace}" if namespace and kind.namespaced else ""

    def problem(severity: str, message: str) -> None:
        emit(health_event("meshtail.watch.problem", message, severity, attributes={"k8s.resource": kind.resource}))

    def resumed(message: str) -> None:
        emit(health_event("meshtail.watch.resume", message, "info", attributes={"k8s.resource": kind.resource}))

    listed = False
    try:
        async for event in informer(
            client, path, what=f"{kind.resource}{where}", on_problem=problem, on_resume=resumed
        ):
            if event.initial:
                if initial_events:
                    emit(config_event(kind, event.type, event.obj, None, initial=True))
                continue
            if not listed:
                listed = True
            emit(config_event(kind, event.type, event.obj, event.old))
            if not follow:
                return
    except KubeError as exc:
        if exc.status == 404:
            return  # the CRD went away or was never there
        emit(
            health_event(
                "meshtail.watch.error",
                f"cannot watch {kind.resource}{where}: {exc.message}",
                "error",
                attributes={"k8s.resource": kind.resource, "error.message": exc.message},
            )
        )


async def list_kind(client: KubeClient, kind: Kind, namespace: str | None, emit: Callable[[AuditEvent], None]) -> None:
    """The current objects of one kind (``--no-follow``): one ``resource.observed`` event each."""
    if namespace and kind.namespaced:
        path = f"/apis/{kind.group}/{kind.version}/namespaces/{namespace}/{kind.plural}"
    else:
        path = f"/apis/{kind.group}/{kind.version}/{kind.plural}"
    try:
        listed = await client.get_json(path, what=f"list {kind.resource}")
    except KubeError as exc:
        if exc.status != 404:
            emit(
                health_event(
                    "meshtail.watch.error",
                    f"cannot list {kind.resource}: {exc.message}",
                    "error",
                    attributes={"k8s.resource": kind.resource},
                )
            )
        return
    for obj in listed.get("items") or []:
        emit(config_event(kind, "ADDED", obj, None, initial=True))


DISCOVERY_TRIES = 3  # a one-shot list (scan, --no-follow) asks again this many times


async def watch_mesh_config(
    client: KubeClient,
    namespaces: list[str] | None,
    emit: Callable[[AuditEvent], None],
    follow: bool = True,
) -> None:
    """Watch every mesh kind the cluster serves (``namespaces`` None: cluster-wide).

    Discovery that fails for a moment (a 503 while the API server restarts) is tried again with back-off -- for as
    long as meshtail follows, a few times for a one-shot list -- and said each time: one lost answer used to switch
    config watching off for the whole run (found by an outside audit)."""
    attempt = 0
    while True:
        try:
            kinds = await discover(client)
            break
        except KubeError as exc:
            attempt += 1
            if not exc.transient or (not follow and attempt > DISCOVERY_TRIES):
                emit(health_event("meshtail.watch.error", f"cannot discover mesh resources: {exc.message}", "error"))
                return
            wait = backoff(attempt, cap=30.0)
            message = f"cannot discover mesh resources yet: {exc.message}; trying again in {wait:.1f}s"
            emit(health_event("meshtail.watch.error", message, "warning"))
            await asyncio.sleep(wait)
    emit(
        health_event(
            "meshtail.watch.start",
            f"watching {len(kinds)} mesh resource kinds: " + ", ".join(k.kind for k in kinds),
            attributes={"meshtail.kinds": [k.resource for k in kinds]},
        )
    )
    jobs = []
    for kind in kinds:
        scopes: list[str | None] = list(namespaces) if namespaces and kind.namespaced else [None]
        for scope in scopes:
            if follow:
                jobs.append(watch_kind(client, kind, scope, emit))
            else:
                jobs.append(list_kind(client, kind, scope, emit))
    await asyncio.gather(*jobs)
