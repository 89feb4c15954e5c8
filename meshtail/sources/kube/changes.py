"""Mesh configuration changes (watch events on Istio / Gateway API objects) as audit events.

Without API-server audit logs the object itself is the evidence: ``managedFields`` names
the newest writer (manager, operation, time), ``metadata.generation`` tells a spec change
from a status update, and the previous version seen by the watch gives the diff.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

import yaml

from ...events import AuditEvent, Source, now_rfc3339
from ...text import clip, visible

MAX_DIFF_LINES = 400
SECURITY_GROUPS = ("security.istio.io",)


@dataclass(frozen=True, slots=True)
class Kind:
    """One watched resource type, at the one served version chosen by discovery."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def resource(self) -> str:
        return f"{self.plural}.{self.group}"


def newest_manager(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The managedFields entry written last (by time; the later entry wins a tie)."""
    entries = [e for e in (obj.get("metadata", {}).get("managedFields") or []) if isinstance(e, dict)]
    if not entries:
        return None
    best = entries[0]
    for entry in entries[1:]:
        if str(entry.get("time", "")) >= str(best.get("time", "")):
            best = entry
    return best


def spec_text(obj: dict[str, Any] | None) -> list[str]:
    """The object's spec (everything but metadata/status for spec-less kinds) as sorted YAML lines."""
    if not obj:
        return []
    body = (
        obj["spec"]
        if "spec" in obj
        else {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}
    )
    if body in (None, {}):
        return []
    return yaml.safe_dump(body, sort_keys=True, default_flow_style=False, allow_unicode=True).splitlines()


def spec_diff(old: dict[str, Any] | None, new: dict[str, Any] | None, name: str) -> tuple[list[str], int, int]:
    """Unified diff lines of the spec, and the counts of added and removed lines."""
    before, after = spec_text(old), spec_text(new)
    lines = list(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}", lineterm="", n=2))
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more diff lines not shown"]
    return [visible(line) for line in lines], added, removed


def config_event(
    kind: Kind, watch_type: str, obj: dict[str, Any], old: dict[str, Any] | None, initial: bool = False
) -> AuditEvent:
    """One ``config`` event for an ADDED / MODIFIED / DELETED (or initially listed) object."""
    meta = obj.get("metadata") or {}
    namespace, name = meta.get("namespace"), meta.get("name", "?")
    full = f"{namespace}/{name}" if namespace else name
    verb = {"ADDED": "create", "MODIFIED": "update", "DELETED": "delete"}.get(watch_type, "update")
    action = "resource.observed" if initial else f"resource.{verb}"
    manager = newest_manager(obj)
    attrs: dict[str, Any] = {
        "k8s.kind": kind.kind,
        "k8s.resource": kind.plural,
        "k8s.api_group": kind.group,
        "k8s.api_version": kind.version,
        "k8s.name": name,
        "k8s.verb": "list" if initial else verb,
    }
    if namespace:
        attrs["k8s.namespace"] = namespace
    for key, attr in (
        ("uid", "k8s.uid"),
        ("resourceVersion", "k8s.resource_version"),
        ("generation", "k8s.generation"),
    ):
        if meta.get(key) is not None:
            attrs[attr] = meta[key]
    time = now_rfc3339()
    actor = ""
    if manager is not None and verb != "delete":
        attrs["k8s.manager"] = str(manager.get("manager", ""))
        attrs["k8s.manager.operation"] = str(manager.get("operation", ""))
        if manager.get("time"):
            attrs["k8s.manager.time"] = str(manager["time"])
            if initial or verb in ("create", "update"):
                time = str(manager["time"])
        if manager.get("subresource"):
            attrs["k8s.subresource"] = str(manager["subresource"])
        actor = f" by {manager.get('manager', '?')} ({manager.get('operation', '?')})"
    elif verb == "delete":
        last = newest_manager(obj)
        if last is not None:
            attrs["k8s.last_manager"] = str(last.get("manager", ""))
        actor = " (a deletion records no manager; audit logs name the user)"
    if verb == "update" and not initial and old is not None:
        before = (old.get("metadata") or {}).get("generation")
        after = meta.get("generation")
        changed = before != after if before is not None and after is not None else old.get("spec") != obj.get("spec")
    else:
        changed = verb in ("create", "delete") and not initial
    attrs["k8s.spec_changed"] = changed
    severity = "info"
    if not initial:
        diff, added, removed = spec_diff(
            old if verb != "create" else None, obj if verb != "delete" else None, f"{kind.kind}/{full}"
        )
        if diff:
            attrs["k8s.diff"] = diff
        attrs["k8s.diff.added"] = added
        attrs["k8s.diff.removed"] = removed
        if verb == "update" and not changed:
            severity = "debug"
        elif verb == "delete" and kind.group in SECURITY_GROUPS:
            severity = "warning"
        what = {"create": "created", "update": "updated", "delete": "deleted"}[verb]
        detail = f", spec +{added} -{removed} lines" if changed else ", status/metadata only"
        summary = f"{kind.kind} {full} {what}{actor}{detail}"
    else:
        when = attrs.get("k8s.manager.time", "?")
        summary = f"{kind.kind} {full} exists; last written{actor} at {when}"
        severity = "debug"
    raw = json.dumps({"type": watch_type, "object": obj}, ensure_ascii=False, separators=(",", ":"))
    source = Source(kind="apiserver", namespace=namespace)
    return AuditEvent(
        time=time,
        received=now_rfc3339(),
        category="config",
        outcome="change",
        violation=False,
        severity=severity,
        action=action,
        summary=clip(visible(summary), 300),
        format="k8s-resource",
        source=source,
        attributes=attrs,
        raw=raw,
    )
