"""istio-cni: the CNI plugin, the CNI node agent and ambient enrolment (its own family: ``istio-cni``)."""

from __future__ import annotations

from typing import Any

from ..events import Source
from .result import Action, Parsed

ACTIONS: tuple[Action, ...] = ()


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """An istio-cni text line, or None."""
    return None


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """An istio-cni JSON line, or None."""
    return None
