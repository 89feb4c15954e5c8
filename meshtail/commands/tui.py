"""Starting the TUI from the command line: ``meshtail [kube flags] [--profile NAME]``, ``meshtail FILE...``,
``meshtail -`` and ``meshtail demo``; and ``meshtail profiles list|show|delete``."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from ..ingest import SourceSpec
from ..parse.detect import compile_formats
from ..parse.envoy_access import FormatError
from ..settings.profiles import BUILTINS, Profile, delete, load, profiles_path, user_profiles
from ..sources.kube.live import Selection
from ..text import cells, visible
from .exitcodes import EXIT_INPUT, EXIT_OK, EXIT_USAGE, say


def _take_stdin() -> int | None:
    """Keep the piped stdin for reading lines, and give fd 0 back to the terminal for the keyboard."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    data_fd = os.dup(0)
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        os.close(data_fd)
        raise SystemExit(
            "meshtail: stdin is a pipe and there is no terminal for the keyboard; use `meshtail scan -` instead"
        ) from None
    os.dup2(tty, 0)
    os.close(tty)
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    return data_fd


def resolve_profile(name: str | None) -> tuple[Profile | None, list[str]]:
    profiles, problems = load()
    if name is None:
        return None, problems
    if name not in profiles:
        # a name the user typed that is not there: a usage error, exit 2, as other bad arguments (an outside audit)
        say(f"no profile {visible(repr(name))} (known: {', '.join(sorted(profiles))}); see `meshtail profiles list`")
        raise SystemExit(EXIT_USAGE)
    return profiles[name], problems


def run_tui(spec: SourceSpec, profile: Profile | None, problems: list[str], capacity: int, redact: bool = True) -> int:
    from ..ui.app import MeshtailApp

    if not sys.stdout.isatty():
        # the screen written into a pipe is escape codes for its reader, and the app cannot be driven or ended
        # there (found by an outside audit: `meshtail FILE | tail` ran on, deaf to SIGTERM)
        say("standard output is not a terminal: the TUI needs one (to print events: meshtail scan FILE… or tail)")
        return EXIT_USAGE
    app = MeshtailApp(spec, profile=profile, profile_problems=problems, capacity=capacity, redact=redact)
    app.run()
    for note in app.ingest.notes if app.ingest is not None else ():
        say(note)
    if app.terminated_by is not None:
        return 128 + app.terminated_by  # the shell's convention for a signal's end (143 for SIGTERM)
    if app.ingest is not None and app.ingest.error and spec.kind != "files":
        say(app.ingest.error)
        return EXIT_INPUT
    return EXIT_OK


def tui_from_args(args: argparse.Namespace) -> int:
    """The default command: a live cluster, or files / stdin when paths are given."""
    try:
        formats = compile_formats(args.format_string)
    except FormatError as exc:
        say(f"bad --format-string: {exc}")
        return EXIT_USAGE
    profile, problems = resolve_profile(args.profile)
    from ..sources.loki import LokiConfigError
    from .loki_args import LokiArgsError, loki_run_from_args, wants_loki

    try:
        loki = loki_run_from_args(args, profile, follow=True) if wants_loki(args, profile) else None
    except (LokiArgsError, LokiConfigError) as exc:
        say(str(exc))
        return EXIT_USAGE
    if args.paths:
        if loki is not None and args.loki:
            say("meshtail reads files or --loki, not both")
            return EXIT_USAGE
        if "-" in args.paths and sys.stdin is None:
            say("-: standard input is closed")
            return EXIT_INPUT
        if "-" in args.paths and sys.stdin.isatty():
            # the screen and the lines would both read the keyboard: keys were taken as log lines and q did
            # nothing (found by an outside audit); `scan -` still reads a terminal until Ctrl-D, as grep does
            say("-: standard input is the terminal; pipe the logs in (kubectl logs POD | meshtail -) or name files")
            return EXIT_USAGE
        stdin_fd = _take_stdin() if "-" in args.paths else None
        spec = SourceSpec("files", paths=args.paths, formats=formats, stdin_fd=stdin_fd)
    elif loki is not None:
        spec = SourceSpec("loki", loki=loki, formats=formats)
    else:
        from .kube_args import (
            connect_options_from_args,
            context_from_args,
            follow_options_from_args,
            selection_from_args,
        )

        context = context_from_args(args, profile)
        spec = SourceSpec(
            "kube",
            kubeconfig=args.kubeconfig,
            context=context,
            selection=selection_from_args(args, profile),
            options=follow_options_from_args(args),
            formats=formats,
        )
        # fail before the screen opens when the kubeconfig or context cannot be used at all
        import asyncio

        from ..sources.kube.config import ConfigError, connect, use_options

        try:
            # --as, --as-group, --request-timeout: for this process, so the ingest thread's connect() has them too
            connection = connect_options_from_args(args)
            use_options(connection)
            asyncio.run(connect(args.kubeconfig, context, connection))
        except ConfigError as exc:
            say(str(exc))
            return EXIT_USAGE
    return run_tui(spec, profile, problems, args.capacity, args.redact)


def demo_tui(args: argparse.Namespace) -> int:
    """``meshtail demo`` in a terminal: the TUI on the stand-in, with every flag the stand-in takes (faults, sent
    log, load, port), ``-f`` as the filter it starts with and ``--format-string``; the flags of the line output
    (``--duration``, ``--order``, ``-q``) are refused rather than ignored."""
    from ..demo.session import DemoError, DemoOptions, check

    for flag, given in (("--duration", args.duration), ("--order", args.order), ("-q", args.quiet)):
        if given:
            say(f"{flag} is for the line output (-o text|jsonl); the TUI runs until q")
            return EXIT_USAGE
    if args.kubeconfig_out:
        say("--kubeconfig-out is for --serve (the TUI's demo writes its own kubeconfig and removes it)")
        return EXIT_USAGE
    try:
        formats = compile_formats(args.format_string)
    except FormatError as exc:
        say(f"bad --format-string: {exc}")
        return EXIT_USAGE
    options = DemoOptions.from_args(args)
    try:
        check(options)
    except DemoError as exc:
        say(str(exc))
        return EXIT_USAGE if exc.usage else EXIT_INPUT
    profile, problems = resolve_profile(getattr(args, "profile", None))
    if args.filter:
        # -f is the filter the screen starts with (beside a profile's, both apply)
        both = f"({profile.filter}) ({args.filter})" if profile is not None and profile.filter else args.filter
        profile = replace(profile, filter=both) if profile is not None else Profile(name="-f", filter=args.filter)
    spec = SourceSpec(
        "demo",
        selection=Selection(all_namespaces=True),
        formats=formats,
        demo_seed=args.seed,
        demo_rate=args.rate,
        demo_pods=args.pods,
        demo_loki=args.loki,
        demo_options=options,
    )
    return run_tui(spec, profile, problems, args.capacity, args.redact)


def profiles_command(args: argparse.Namespace) -> int:
    profiles, problems = load()
    for problem in problems:
        say(problem)
    if args.action == "list":
        if args.name:
            say(f"profiles list takes no NAME (got {visible(repr(args.name))})")
            return EXIT_USAGE
        for name, profile in profiles.items():
            # the file is not meshtail's text: an escape sequence in it must not reach the terminal
            origin = "built-in" if profile.builtin else visible(str(profiles_path()))
            shown = visible(profile.filter) or "(no filter)"
            print(f"{visible(name):<20} {shown}{' ' * max(1, 46 - cells(shown))}{origin}")
        return EXIT_INPUT if problems else EXIT_OK
    if not args.name:
        say(f"profiles {args.action} needs a NAME")
        return EXIT_USAGE
    if args.action == "show":
        profile = profiles.get(args.name)
        if profile is None:
            say(f"no profile {args.name!r}")
            return EXIT_INPUT
        import tomli_w

        print(f"# {'built-in' if profile.builtin else visible(str(profiles_path()))}")
        body = tomli_w.dumps({"profiles": {profile.name: profile.to_toml()}})
        print("".join(visible(line) + "\n" for line in body.splitlines()), end="")
        return EXIT_OK
    if args.name in BUILTINS and args.name not in user_profiles(profiles_path()):
        say(f"{args.name!r} is built in and cannot be deleted")
        return EXIT_INPUT
    if not delete(args.name):
        say(f"no profile {args.name!r} in {profiles_path()}")
        return EXIT_INPUT
    print(f"deleted profile {args.name} from {profiles_path()}")
    return EXIT_OK
