"""Every action an event can carry, where it comes from, and what it means for an auditor.

The parsers own their lists (each family module's ``ACTIONS``, the access-log decisions in
:mod:`meshtail.parse.classify`); this module gathers them with the ones meshtail itself emits
(source health, resource watches) so that ``docs/taxonomy.md`` is generated from the code and a
test can require every action any line produces to be listed — an action nobody documented is
an action no filter or profile was written for.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .parse import access_loose, classify, envoy_component, istio_cni, istio_go, k8s_audit, ztunnel
from .parse.result import Action

# lines no family read, kept (nothing lost) and marked
UNREAD_ACTIONS: tuple[Action, ...] = (
    Action(
        "log.unparsed", "other", "unknown", False, "a line no family recognised; kept whole, `meshtail.unparsed: true`"
    ),
    Action(
        "log.denial",
        "auth",
        "deny",
        True,
        "an unread line that says access was refused (`RBAC: access denied`, `PERMISSION_DENIED`, `forbidden`, "
        "`unauthorized`, `Jwt is missing`, …); `meshtail.heuristic` says it is a guess",
    ),
    Action(
        "log.config_rejected",
        "config",
        "failure",
        True,
        "an unread line that says configuration was rejected (`admission webhook … denied the request`, "
        "`configuration is invalid`); `meshtail.heuristic` set",
    ),
    Action(
        "json.unrecognized",
        "other",
        "unknown",
        False,
        "a JSON object of no known shape; its scalar keys kept as `json.<key>`",
    ),
)

# what the resource watches report (Istio, Gateway API and Kubernetes objects)
RESOURCE_ACTIONS: tuple[Action, ...] = (
    Action("resource.observed", "config", "unknown", False, "an object that existed when the watch started"),
    Action(
        "resource.create",
        "config",
        "change",
        "when forbidden",
        "an object was created (actor from managedFields or the audit log)",
    ),
    Action(
        "resource.update",
        "config",
        "change",
        "when forbidden",
        "an object's spec, labels or annotations changed (diff in `k8s.diff`)",
    ),
    Action("resource.delete", "config", "change", "when forbidden", "an object was deleted"),
)

# meshtail's own health events: nothing about the sources is silent
HEALTH_ACTIONS: tuple[Action, ...] = (
    Action("meshtail.stream.start", "other", "success", False, "a container log is being followed"),
    Action("meshtail.stream.waiting", "other", "success", False, "the container is not running yet"),
    Action("meshtail.stream.reconnect", "other", "failure", False, "the log stream broke; reconnecting"),
    Action(
        "meshtail.stream.stall",
        "other",
        "failure",
        False,
        "no bytes for too long while the pod is writing; reconnecting",
    ),
    Action("meshtail.stream.resume", "other", "success", False, "reconnected with sinceTime; repeated lines dropped"),
    Action(
        "meshtail.stream.gap",
        "other",
        "failure",
        False,
        "lines that can no longer be fetched (pod deleted, instance rotated away); `meshtail.gap.after` says from when",
    ),
    Action(
        "meshtail.stream.incomplete",
        "other",
        "failure",
        False,
        "the run ended while the stream was behind; `meshtail.incomplete.after` says from when",
    ),
    Action("meshtail.stream.error", "other", "failure", False, "the API refused the stream (Status message kept)"),
    Action("meshtail.stream.end", "other", "success", False, "the container's log ended"),
    Action("meshtail.source.end", "other", "success", False, "a file or stdin was read to its end"),
    Action("meshtail.source.error", "other", "failure", False, "a source could not be read or connected"),
    Action("meshtail.source.warning", "other", "failure", False, "a source works with a limitation"),
    Action("meshtail.source.stop", "other", "success", False, "the run stopped; how many streams were behind"),
    Action("meshtail.watch.start", "other", "success", False, "resource watches started"),
    Action("meshtail.watch.error", "other", "failure", False, "a resource watch failed (RBAC, discovery)"),
    Action("meshtail.watch.problem", "other", "failure", False, "a watch restarted (410 Gone, broken stream)"),
    Action("meshtail.watch.resume", "other", "success", False, "a watch that had a problem is back"),
    Action(
        "meshtail.ingest.behind",
        "other",
        "failure",
        False,
        "ingest lag above the threshold; `meshtail.ingest.cause` says why: `backlog` (a reconnected stream reads "
        "what it missed), `processing` (meshtail busy), `arrival` (lines come late)",
    ),
    Action("meshtail.ingest.caught_up", "other", "success", False, "ingest lag back under the threshold"),
    Action("meshtail.internal_error", "other", "failure", False, "a meshtail task failed (bug); the rest runs on"),
    Action("meshtail.demo.<...>", "other", "unknown", False, "the demo stand-in's own notices"),
)

FAMILIES: tuple[tuple[str, tuple[Action, ...]], ...] = (
    ("Envoy access logs (TEXT, JSON, custom formats, fragments)", classify.ACCESS_ACTIONS + access_loose.ACTIONS),
    ("Envoy component logs", envoy_component.ACTIONS),
    ("Istio: istiod and istio-agent", istio_go.ACTIONS),
    ("istio-cni", istio_cni.ACTIONS),
    ("ztunnel", ztunnel.ACTIONS),
    ("Kubernetes audit events", k8s_audit.ACTIONS),
    ("Resource watches", RESOURCE_ACTIONS),
    ("Lines no family read", UNREAD_ACTIONS),
    ("meshtail's own health events", HEALTH_ACTIONS),
)


def all_actions() -> tuple[Action, ...]:
    return tuple(action for _, actions in FAMILIES for action in actions)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], Action], ...]:
    out = []
    for action in all_actions():
        pattern = re.escape(action.name).replace(re.escape("<...>"), r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")
        pattern = re.sub(r"<[a-z_ .]+>", r"[a-z0-9_]+", pattern.replace("\\<", "<").replace("\\>", ">"))
        out.append((re.compile(pattern + "$"), action))
    return tuple(out)


def entries_for(name: str) -> list[Action]:
    """The taxonomy entries an action name falls under (a family's ``envoy.<logger>`` covers ``envoy.upstream``)."""
    return [action for pattern, action in _patterns() if pattern.match(name)]


def markdown() -> str:
    """``docs/taxonomy.md``: one table per family (generated; ``scripts/taxonomy.py`` writes it)."""
    lines = [
        "# Event taxonomy",
        "",
        "Every action a meshtail event can carry, generated from the parsers' own lists",
        "(`python scripts/taxonomy.py`; `tests/test_taxonomy.py` fails when a line produces an action",
        "missing here). `outcome` lists every outcome the action can have; `violation` says when",
        "the event counts as a violation (Violations pane, `violation:true`).",
        "",
    ]
    for title, actions in FAMILIES:
        lines += [f"## {title}", "", "| action | category | outcome | violation | when |", "|---|---|---|---|---|"]
        for action in actions:
            violation = {True: "yes", False: "no"}.get(action.violation, action.violation)  # type: ignore[call-overload]
            trigger = action.trigger.replace("|", "\\|")
            outcome = action.outcome.replace("|", " \\| ")
            lines.append(f"| `{action.name}` | {action.category} | {outcome} | {violation} | {trigger} |")
        lines.append("")
    return "\n".join(lines)
