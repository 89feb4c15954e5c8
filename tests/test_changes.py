"""Config-change events from watched objects: who, what changed, and the diff."""

from __future__ import annotations

from meshtail.sources.kube.changes import Kind, config_event, newest_manager

VS = Kind("networking.istio.io", "v1", "virtualservices", "VirtualService", True)


def vs(generation: int, weight: int, managers: list[tuple[str, str, str]], labels: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return {
        "metadata": {
            "name": "reviews",
            "namespace": "shop",
            "generation": generation,
            "resourceVersion": str(100 + generation),
            "labels": labels or {},
            "managedFields": [
                {"manager": m, "operation": op, "time": t, "fieldsType": "FieldsV1"} for m, op, t in managers
            ],
        },
        "spec": {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews"}, "weight": weight}]}]},
    }


def test_newest_manager_is_the_latest_write() -> None:
    obj = vs(
        1,
        100,
        [("argocd-controller", "Apply", "2026-01-01T10:00:00Z"), ("kubectl-edit", "Update", "2026-01-01T11:00:00Z")],
    )
    assert newest_manager(obj)["manager"] == "kubectl-edit"


def test_spec_edit_names_actor_and_diff(validator) -> None:  # type: ignore[no-untyped-def]
    old = vs(1, 100, [("argocd-controller", "Apply", "2026-01-01T10:00:00Z")])
    new = vs(
        2,
        80,
        [("argocd-controller", "Apply", "2026-01-01T10:00:00Z"), ("kubectl-edit", "Update", "2026-01-01T11:00:00Z")],
    )
    event = config_event(VS, "MODIFIED", new, old)
    validator.validate(event.to_dict())
    assert event.action == "resource.update" and event.time == "2026-01-01T11:00:00Z"
    assert event.summary == "VirtualService shop/reviews updated by kubectl-edit (Update), spec +1 -1 lines"
    assert "-    weight: 100" in event.attributes["k8s.diff"] and "+    weight: 80" in event.attributes["k8s.diff"]


def test_status_or_label_only_update_is_not_a_spec_change() -> None:
    old = vs(3, 100, [("argocd-controller", "Apply", "2026-01-01T10:00:00Z")])
    new = vs(
        3,
        100,
        [("argocd-controller", "Apply", "2026-01-01T10:00:00Z"), ("pilot-discovery", "Update", "2026-01-01T12:00:00Z")],
        {"a": "b"},
    )
    event = config_event(VS, "MODIFIED", new, old)
    assert event.attributes["k8s.spec_changed"] is False and event.severity == "debug"
    assert "status/metadata only" in event.summary and "k8s.diff" not in event.attributes


def test_hostile_text_in_objects_is_escaped() -> None:
    obj = vs(1, 100, [("\x1b]0;owned\x07", "Update", "2026-01-01T10:00:00Z")])
    obj["spec"]["hosts"] = ["\x1b[2Jevil"]
    event = config_event(VS, "ADDED", obj, None)
    assert "\x1b" not in event.summary and all("\x1b" not in line for line in event.attributes["k8s.diff"])
