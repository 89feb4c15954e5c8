"""The kube source's options read from the command line, once for every entry point.

The TUI (``meshtail``) and ``meshtail tail`` take the same kubectl/stern-style flags; building
``Selection``, ``FollowOptions`` and ``ConnectOptions`` here keeps their meaning identical in
both (a profile only adds defaults: its namespaces and selector apply when the command line
names none, its context when ``--context`` is absent).
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the live-cluster stack loads only for the commands that use it
    from ..settings.profiles import Profile
    from ..sources.kube.config import ConnectOptions
    from ..sources.kube.follow import FollowOptions
    from ..sources.kube.live import Selection


def namespaces_and_selector(args: argparse.Namespace, profile: Profile | None) -> tuple[list[str], str | None]:
    """``-n`` and ``-l``, else the profile's namespaces and selector: the same for every source."""
    namespaces = list(args.namespace) or (list(profile.namespaces) if profile else [])
    return namespaces, args.selector or (profile.selector if profile and profile.selector else None)


def selection_from_args(args: argparse.Namespace, profile: Profile | None = None) -> Selection:
    """What to follow: ``-n``/``-A``/``-l``/``-c``/``--no-config``, the profile's defaults beneath them."""
    from ..sources.kube.live import Selection

    namespaces, selector = namespaces_and_selector(args, profile)
    return Selection(
        namespaces=namespaces,
        all_namespaces=args.all_namespaces,
        selector=selector,
        containers=list(args.container),
        config=not args.no_config,
    )


def _since_seconds(since: float | None) -> int | None:
    """``--since`` as the API's whole ``sinceSeconds``: 0 is no limit, as kubectl leaves it unset (the API refuses
    sinceSeconds=0 with 422, which meshtail asked again for ever: found by an outside audit); a part of a second
    is one second."""
    if not since:
        return None
    return max(1, math.ceil(since))


def follow_options_from_args(args: argparse.Namespace) -> FollowOptions:
    """How to read each stream: ``--since``, ``--tail``, ``--stall-timeout``, ``--no-follow`` where offered."""
    from ..sources.kube.follow import FollowOptions

    return FollowOptions(
        follow=not getattr(args, "no_follow", False),
        since_seconds=_since_seconds(args.since),
        tail=args.tail,
        stall_timeout=args.stall_timeout,
    )


def connect_options_from_args(args: argparse.Namespace) -> ConnectOptions:
    """kubectl's ``--as``, ``--as-group``, ``--request-timeout``; raises ConfigError for groups without a user."""
    from ..sources.kube.config import ConnectOptions

    return ConnectOptions(args.as_user, tuple(args.as_groups), args.request_timeout)


def context_from_args(args: argparse.Namespace, profile: Profile | None = None) -> str | None:
    """``--context``, else the profile's, else the kubeconfig's current context (None)."""
    return args.context or (profile.context if profile and profile.context else None)
