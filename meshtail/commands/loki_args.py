"""The Loki source's options read from the command line (and a profile), for the TUI, ``tail`` and ``scan``.

``--loki URL`` switches the source from the Kubernetes API to Grafana Loki; the selection
flags keep their kubectl meaning (``-n``, ``-l``, ``-c``) plus ``--cluster``, and the time
flags are ``--since DUR`` or ``--from T [--to T]``.  Credentials follow logcli: flags first,
then the ``LOKI_*`` environment variables, then the profile's ``[NAME.loki]`` table — so a
token need never appear on a command line (``ps`` shows those).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..settings.profiles import Profile
    from ..sources.loki import LokiConfig, LokiOptions, LokiSelection


class LokiArgsError(ValueError):
    """A Loki option that cannot be used; the message names the flag."""


@dataclass
class LokiRun:
    """Everything a Loki read needs; ``filter_text`` is pushed down as line filters where it can be."""

    config: LokiConfig
    selection: LokiSelection
    options: LokiOptions
    filter_text: str = ""


def add_loki_flags(parser: argparse.ArgumentParser, *, selection: bool = False, since: bool = False) -> None:
    """The ``--loki`` group; ``selection``/``since`` add ``-n``/``-l``/``-c``/``--since`` (``scan`` lacks them)."""
    group = parser.add_argument_group(
        "Grafana Loki (history and the whole fleet; credentials also from LOKI_* as logcli, or a profile)"
    )
    group.add_argument("--loki", metavar="URL", help="read from Loki at URL instead of the Kubernetes API")
    group.add_argument("--from", dest="time_from", metavar="TIME", help="history from TIME (RFC 3339 or Unix seconds)")
    group.add_argument("--to", dest="time_to", metavar="TIME", help="history until TIME, then stop (no live tail)")
    group.add_argument(
        "--cluster", action="append", default=[], metavar="NAME", help="only logs whose cluster label is NAME"
    )
    group.add_argument(
        "--loki-tenant",
        action="append",
        default=[],
        metavar="ID",
        help="X-Scope-OrgID; repeatable or 'a|b' for several tenants (each read separately, merged by time)",
    )
    group.add_argument("--loki-token-file", metavar="PATH", help="bearer token read from PATH")
    group.add_argument("--loki-token", metavar="TOKEN", help=argparse.SUPPRESS)  # visible in ps: prefer the file
    group.add_argument("--loki-user", metavar="USER", help="basic auth user (Grafana Cloud: the numeric user id)")
    group.add_argument("--loki-password-file", metavar="PATH", help="basic auth password or API token read from PATH")
    group.add_argument("--loki-ca", metavar="PATH", help="CA bundle that signs Loki's certificate")
    group.add_argument("--loki-cert", metavar="PATH", help="client certificate (mutual TLS)")
    group.add_argument("--loki-key", metavar="PATH", help="client key (mutual TLS)")
    group.add_argument("--loki-insecure", action="store_true", help="do not verify Loki's TLS certificate")
    if selection:
        group.add_argument("-n", "--namespace", action="append", default=[], metavar="NS", help="namespace; repeatable")
        group.add_argument("-l", "--selector", metavar="SEL", help="label selector on Loki's labels")
        group.add_argument(
            "-c", "--container", action="append", default=[], metavar="NAME", help="container; repeatable"
        )
    if since:
        from .cli import _seconds  # (loaded already: this is called while cli builds its parsers)

        group.add_argument("--since", type=_seconds, default=None, metavar="DUR", help="history of the last DUR")


_LOKI_ONLY = (
    "time_from", "time_to", "cluster", "loki_tenant", "loki_token_file", "loki_token", "loki_user", "loki_insecure"
)  # fmt: skip


def wants_loki(args: argparse.Namespace, profile: Profile | None = None) -> bool:
    """True when the command reads Loki; Loki-only flags without ``--loki`` are an error."""
    if getattr(args, "loki", None) or (profile is not None and profile.loki.get("url")):
        return True
    for name in _LOKI_ONLY:
        if getattr(args, name, None):
            flag = {"time_from": "from", "time_to": "to"}.get(name, name).replace("_", "-")
            raise LokiArgsError(f"--{flag} needs --loki URL (or a profile with a loki url)")
    return False


def loki_run_from_args(args: argparse.Namespace, profile: Profile | None, *, follow: bool) -> LokiRun:
    """The Loki read the flags (and the profile beneath them) describe.  Raises LokiArgsError/LokiConfigError."""
    from ..sources.loki import LokiConfig, LokiOptions, LokiSelection
    from ..sources.loki.reader import parse_time
    from .kube_args import namespaces_and_selector

    saved: dict[str, Any] = dict(profile.loki) if profile is not None else {}
    if saved and not args.loki:
        config = LokiConfig.from_mapping(saved)
    else:
        config = LokiConfig.from_args(
            args.loki or saved.get("url"),
            token=args.loki_token,
            token_file=args.loki_token_file,
            username=args.loki_user,
            password_file=args.loki_password_file,
            tenants=args.loki_tenant or saved.get("tenants") or saved.get("tenant"),
            ca_file=args.loki_ca,
            cert_file=args.loki_cert,
            key_file=args.loki_key,
            insecure=args.loki_insecure,
        )
    try:
        start = parse_time(args.time_from) if args.time_from else None
        end = parse_time(args.time_to) if args.time_to else None
    except ValueError as exc:
        raise LokiArgsError(str(exc)) from None
    if start is not None and getattr(args, "since", None) is not None:
        raise LokiArgsError("--since and --from both say where history starts: give one")
    if end is not None and start is None and getattr(args, "since", None) is None:
        raise LokiArgsError("--to needs --from or --since")
    namespaces, selector = namespaces_and_selector(args, profile)
    selection = LokiSelection(
        namespaces=[] if getattr(args, "all_namespaces", False) else namespaces,
        selector=selector,
        containers=list(args.container),
        clusters=list(args.cluster),
    )
    try:
        options = LokiOptions(start_ns=start, since_seconds=args.since, end_ns=end, follow=follow and end is None)
    except ValueError as exc:
        raise LokiArgsError(str(exc)) from None
    return LokiRun(config, selection, options)


def demo_loki_run(url: str) -> LokiRun:
    """How the demo reads its own Loki stand-in: no credentials, the last hour, then live."""
    from ..sources.loki import LokiConfig, LokiOptions, LokiSelection

    return LokiRun(LokiConfig.from_args(url, env={}), LokiSelection(), LokiOptions(since_seconds=3600))
