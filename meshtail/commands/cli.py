"""Command line: ``scan`` (files, stdin), ``tail`` (a live cluster, headless) and ``demo`` (the stand-in mesh)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import __version__
from ..events import RawLine, Source
from ..parse.detect import StreamParser, compile_formats
from ..parse.envoy_access import CompiledFormat, FormatError
from ..parse.records import BATCH_STARTS, split_records
from ..query import Filter, FilterError, StreamFilter, compile_filter
from ..sinks.output import Writer
from ..sources.files import SourceError, path_text, read_batches
from ..text import visible
from .exitcodes import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, say
from .loki_args import LokiArgsError, add_loki_flags, loki_run_from_args, wants_loki

if TYPE_CHECKING:
    from .live import LiveRun
    from .loki_args import LokiRun


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and a one-line message, as the other bad-argument paths do."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"meshtail: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="meshtail",
        description="Audit events from service-mesh logs: who was denied, where did this request go, "
        "who changed the mesh config.",
    )
    parser.add_argument("--version", action="version", version=f"meshtail {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = commands.add_parser(
        "scan",
        help="parse log files or stdin into audit events",
        description="Read Envoy/istio-proxy, istiod, istio-agent, ztunnel and Kubernetes audit logs from files "
        "(plain or gzip) or stdin and write the matching audit events.",
        epilog="Filter language: terms are ANDed; OR between terms; -term negates; field:value (case-insensitive, "
        '* wildcards), field:>=N / <N / >N / <=N, field:/regex/[i]; bare words and "quoted phrases" search the '
        "raw line and summary. Fields: cat outcome ns pod src dst status method path policy flags action severity "
        "user duration ..., or any attribute by full name. Example: --filter 'cat:auth outcome:deny -ns:test'",
    )
    scan.add_argument("paths", nargs="*", default=["-"], metavar="PATH", help="files to read; '-' or none for stdin")
    scan.add_argument("-f", "--filter", default="", metavar="QUERY", help="only events matching QUERY")
    scan.add_argument("-o", "--output", choices=("text", "jsonl"), default="text", help="output format")
    _format_string_flag(scan)
    scan.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    _redact_flag(scan)
    add_loki_flags(scan, selection=True, since=True)

    tail = commands.add_parser(
        "tail",
        help="follow a live cluster's mesh logs and config changes (headless)",
        description="Follow every Envoy proxy (sidecars, gateways, waypoints), ztunnel and istiod in the selected "
        "namespaces, and watch Istio and Gateway API resources; write audit events to stdout. Streams that break or "
        "stall are resumed without losing or repeating lines; every reconnect is itself an event.",
        epilog=FILTER_HELP,
    )
    _kube_flags(tail)
    add_loki_flags(tail)
    _output_flags(tail)
    tail.add_argument("--duration", type=_seconds, metavar="DUR", help="stop after DUR (e.g. 30s, 5m)")
    tail.add_argument("--no-follow", action="store_true", help="read what the logs hold now, then exit")
    _order_flag(tail)

    demo = commands.add_parser(
        "demo",
        help="run meshtail against a built-in simulated mesh (no cluster needed)",
        description="Start a stand-in Kubernetes API server on 127.0.0.1 with a simulated Istio mesh (Bookinfo with "
        "sidecars, an ambient namespace with a waypoint, ingress gateway, istiod, ztunnel) and follow it through a "
        "generated kubeconfig: the same code path as a real cluster. With --serve, only run the server, so kubectl "
        "and other tools can use it.",
        epilog=FILTER_HELP,
    )
    demo.add_argument("--serve", action="store_true", help="only run the stand-in API server")
    demo.add_argument(
        "--loki",
        action="store_true",
        help="also run a Loki stand-in the mesh's logs are shipped to (Promtail labels), and read the demo "
        "through it; with --serve, print its URL for `meshtail --loki URL`, `scan --loki` and logcli",
    )
    demo.add_argument("--loki-port", type=_port, default=0, metavar="PORT", help="port for the Loki stand-in")
    demo.add_argument(
        "--loki-sent-log",
        metavar="PATH",
        help="append every entry the Loki stand-in serves to PATH, in --sent-log's format (for compare_sent.py)",
    )
    demo.add_argument("--port", type=_port, default=0, help="port for the API server (default: any free port)")
    demo.add_argument("--kubeconfig-out", metavar="PATH", help="write the demo kubeconfig to PATH")
    demo.add_argument("--seed", type=int, default=1, help="seed of the simulation (same seed, same events)")
    demo.add_argument(
        "--rate", type=_positive(float), default=40.0, help="log lines per second across the mesh (default 40)"
    )
    demo.add_argument(
        "--pods", type=_at_least_zero(int), default=0, metavar="N", help="N extra sidecar pods in namespace 'load'"
    )
    demo.add_argument(
        "--load-rate",
        type=_at_least_zero(float),
        default=0.0,
        metavar="LINES",
        help="also write LINES access-log lines per second to the --pods pods, in bursts (for load tests)",
    )
    demo.add_argument(
        "--traffic-for",
        type=_seconds,
        default=None,
        metavar="DUR",
        help="stop generating log lines after DUR (the server keeps serving what was written)",
    )
    _output_flags(demo)
    demo.add_argument("--duration", type=_seconds, metavar="DUR", help="stop after DUR (e.g. 30s, 5m)")
    _order_flag(demo)
    demo.add_argument("--profile", metavar="NAME", help="start the TUI with a saved filter profile")
    demo.add_argument(
        "--capacity",
        type=_positive(int),
        default=1_000_000,
        metavar="N",
        help="events the TUI keeps in memory (oldest evicted first; default 1,000,000)",
    )
    demo.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="inject faults on a schedule, e.g. cut=2s,reset=5s,stall=10s,restart-api=30s,expire=20s,churn=1s,"
        "restart-container=15s,429=0.05,503=0.02,token=30s,deny=ns1+ns2 (see meshtail/demo/faults.py)",
    )
    demo.add_argument(
        "--sent-log",
        metavar="PATH",
        help="append every served log line to PATH as '<kubelet timestamp>\\t<ns>/<pod>/<container>\\t<line>'",
    )

    profiles = commands.add_parser(
        "profiles",
        help="list, show or delete saved filter profiles",
        description="Profiles live in profiles.toml in the user config dir ($MESHTAIL_CONFIG_DIR overrides it); "
        "save one from the TUI (S) or write it by hand.",
    )
    profiles.add_argument("action", choices=("list", "show", "delete"))
    profiles.add_argument("name", nargs="?")
    return parser


FILTER_HELP = (
    "Filter language: terms are ANDed; OR between terms; -term negates; field:value (case-insensitive, * wildcards), "
    'field:>=N / <N; field:/regex/[i]; bare words and "quoted phrases" search the raw line and summary. '
    "Example: --filter 'cat:auth outcome:deny -ns:test'"
)


_OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO})


def _port(text: str) -> int:
    """A TCP port (0: any free one): a bind() error's traceback was the only answer to 70000 or -1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r} (0-65535; 0: any free port)")
    return value


def _number(kind: type, zero: bool):  # type: ignore[no-untyped-def]
    """A finite number more than 0 (or 0 or more, with ``zero``): ``--capacity 0`` ran with a store of one event,
    ``--rate -5`` and ``--pods -1`` were taken (found by an outside audit)."""
    words = "0 or more" if zero else "more than 0"

    def parse(text: str):  # type: ignore[no-untyped-def]
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
        if not (0 <= value < float("inf") if zero else 0 < value < float("inf")):  # (NaN compares false)
            raise argparse.ArgumentTypeError(f"invalid number {text!r} ({words})")
        return value

    return parse


def _positive(kind: type):  # type: ignore[no-untyped-def]
    return _number(kind, zero=False)


def _at_least_zero(kind: type):  # type: ignore[no-untyped-def]
    return _number(kind, zero=True)


def _seconds(text: str) -> float:
    """kubectl-style durations: ``30s``, ``5m``, ``1h30m``, ``48h``; a bare number is seconds; never negative."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        parts = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?", text)
        if not text or parts is None:
            raise argparse.ArgumentTypeError(f"invalid duration {text!r} (use e.g. 30s, 5m, 1h30m)") from None
        hours, minutes, seconds = (float(p) if p else 0.0 for p in parts.groups())
        value = hours * 3600 + minutes * 60 + seconds
    if not 0 <= value < 1e12:  # (float() takes "-5", "nan" and "inf" too)
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (0 or more, e.g. 30s, 5m, 1h30m)")
    return value


def _positive_seconds(text: str) -> float:
    value = _seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (more than 0, e.g. 30s, 5m)")
    return value


def _kube_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("cluster selection (as kubectl and stern)")
    group.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    group.add_argument("--context", help="kubeconfig context (default: the current context)")
    group.add_argument(
        "-n", "--namespace", action="append", default=[], metavar="NS", help="namespace to follow; repeatable"
    )
    group.add_argument("-A", "--all-namespaces", action="store_true", help="follow every namespace")
    group.add_argument("-l", "--selector", metavar="SEL", help="only pods matching this label selector")
    group.add_argument(
        "-c",
        "--container",
        action="append",
        default=[],
        metavar="NAME",
        help="also follow containers with this name (besides the mesh's own); repeatable",
    )
    group.add_argument(
        "--since",
        type=_seconds,
        default=None,
        metavar="DUR",
        help="for containers already running: only lines newer than DUR (e.g. 10m; 0: no limit, as kubectl)",
    )
    group.add_argument(
        "--tail",
        type=int,
        default=-1,
        metavar="N",
        help="for containers already running: the last N lines (-1: all, default)",
    )
    group.add_argument("--no-config", action="store_true", help="do not watch Istio / Gateway API resources")
    group.add_argument(
        "--stall-timeout",
        type=_positive_seconds,
        default=120.0,
        metavar="DUR",
        help="reconnect a stream that sends nothing for DUR while its container runs (default 120s)",
    )
    # kubectl's own connection flags, with kubectl's meaning (proxies come from proxy-url or $HTTPS_PROXY)
    group.add_argument(
        "--as", dest="as_user", metavar="USER", help="impersonate USER on every request (Impersonate-User), as kubectl"
    )
    group.add_argument(
        "--as-group",
        dest="as_groups",
        action="append",
        default=[],
        metavar="GROUP",
        help="impersonate GROUP too (Impersonate-Group); repeatable; needs --as",
    )
    group.add_argument(
        "--request-timeout",
        type=_request_timeout,
        default=None,
        metavar="DUR",
        help="give up on one list/get request after DUR (e.g. 30s, 500ms; 0: never; default 60s); "
        "log streams and watches are not cut",
    )


def _request_timeout(text: str) -> float:
    """kubectl's ``--request-timeout``: a bare integer is seconds, else a Go duration (``500ms``, ``1m30s``)."""
    text = text.strip()
    if text.isdigit():
        return float(text)
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise argparse.ArgumentTypeError(
            "invalid timeout value: it must be a single integer in seconds, or an integer followed by a "
            "corresponding time unit (e.g. 1s | 2m | 3h)"
        )
    return sum(float(number) * units[unit] for number, unit in parts)


def _order_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--order",
        type=_seconds,
        metavar="DUR",
        help="write events in time order across streams within DUR (e.g. 2s): each is held DUR after it "
        "arrives. Without it, streams are read concurrently and interleave as they arrive (each stream in its "
        "own order), as with stern",
    )


def _format_string_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format-string",
        action="append",
        default=[],
        metavar="FMT",
        help="your Envoy access-log format (meshConfig.accessLogFormat / Telemetry API); repeatable",
    )


def _output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--filter", default="", metavar="QUERY", help="only events matching QUERY")
    parser.add_argument(
        "-o",
        "--output",
        choices=("text", "jsonl"),
        default=None,
        help="output format (default text; for demo: the TUI when stdout is a terminal)",
    )
    _format_string_flag(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    _redact_flag(parser)


def _redact_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redact",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="replace credentials (Authorization, cookies, bearer tokens, JWTs, URL and query secrets) in everything "
        "written, raw lines included (default); --no-redact keeps lines exact, for forensics",
    )


def _compile(args: argparse.Namespace) -> tuple[Filter, list[CompiledFormat]] | int:
    """``--filter`` and ``--format-string`` compiled, or the usage exit status after saying what is wrong."""
    try:
        query = compile_filter(args.filter)
    except FilterError as exc:
        print(f"meshtail: bad filter: {exc}\n{exc.pointer()}", file=sys.stderr)
        return EXIT_USAGE
    try:
        formats = compile_formats(args.format_string)
    except FormatError as exc:
        print(f"meshtail: bad --format-string: {exc}\n{exc.pointer()}", file=sys.stderr)
        if exc.hint:
            print(exc.hint, file=sys.stderr)
        return EXIT_USAGE
    return query, formats


def _live_run(args: argparse.Namespace) -> LiveRun | int:
    from ..sources.kube.live import Selection
    from .live import LiveRun

    compiled = _compile(args)
    if isinstance(compiled, int):
        return compiled
    query, formats = compiled
    run = LiveRun(
        query=query,
        formats=formats,
        output=args.output,
        duration=args.duration,
        quiet=args.quiet,
        redact=args.redact,
        order=getattr(args, "order", None),
    )
    if args.command == "tail":
        from ..sources.kube.config import ConfigError
        from .kube_args import connect_options_from_args, follow_options_from_args, selection_from_args

        run.kubeconfig, run.context = args.kubeconfig, args.context
        try:
            run.connection = connect_options_from_args(args)
        except ConfigError as exc:
            say(str(exc))
            return EXIT_USAGE
        run.selection = selection_from_args(args)
        run.options = follow_options_from_args(args)
        loki = _loki(args, follow=not args.no_follow)
        if isinstance(loki, int):
            return loki
        run.loki = loki
    else:
        run.selection = Selection(all_namespaces=True)
    return run


def _loki(args: argparse.Namespace, follow: bool) -> LokiRun | int | None:
    """The Loki read the flags ask for, None for none, or an exit status after saying what is wrong."""
    from ..sources.loki import LokiConfigError

    try:
        if not wants_loki(args):
            return None
        return loki_run_from_args(args, None, follow=follow)
    except (LokiArgsError, LokiConfigError) as exc:
        say(str(exc))
        return EXIT_USAGE


def _scan_loki(args: argparse.Namespace, query: Filter, formats: list[CompiledFormat]) -> int:
    """``scan --loki URL --since 24h``: the history of a window through the same pipeline, then exit."""
    from .live import LiveRun, run_live

    if not args.loki:
        # (said before the files: with no --loki, "files or --loki, not both" was untrue -- an outside audit)
        refused = _loki(args, follow=False)  # a Loki-only flag is named: "--loki-tenant needs --loki URL"
        if not isinstance(refused, int):
            say("-n, -l, -c and --since on scan read Loki: give --loki URL (files are read whole)")
        return EXIT_USAGE
    if args.paths != ["-"]:
        say("scan reads files or --loki, not both")
        return EXIT_USAGE
    loki = _loki(args, follow=False)
    if loki is None:
        say("-n, -l, -c and --since on scan read Loki: give --loki URL (files are read whole)")
        return EXIT_USAGE
    if isinstance(loki, int):
        return loki
    run = LiveRun(query=query, formats=formats, output=args.output, quiet=args.quiet, redact=args.redact, loki=loki)
    return asyncio.run(run_live(run))


def _scan(args: argparse.Namespace) -> int:
    compiled = _compile(args)
    if isinstance(compiled, int):
        return compiled
    query, formats = compiled
    loki_only = (
        args.loki, args.time_from, args.time_to, args.cluster, args.namespace, args.selector, args.container,
        args.loki_tenant, args.loki_token, args.loki_token_file, args.loki_user, args.loki_insecure,
    )  # fmt: skip
    if any(loki_only) or args.since is not None:
        return _scan_loki(args, query, formats)
    writer = Writer(sys.stdout, args.output, redact=args.redact)
    precheck = query.precheck
    status = EXIT_OK
    lines = examined = 0
    counts: dict[str, int] = {}
    for path in args.paths:
        parser = StreamParser(formats)
        kind, name = ("stdin", "<stdin>") if path == "-" else ("file", path_text(path))
        # the filter, bound to each access-log format: most lines are judged on their regex match
        bound = StreamFilter(query, Source(kind, path=name)) if query.text else None
        try:
            for batch in read_batches(path):
                if batch.note is not None:
                    print(f"meshtail: {visible(batch.note)}", file=sys.stderr)
                lines += len(batch.texts)
                first, bad, received = batch.first, batch.bad, batch.received
                for position, text in enumerate(batch.texts):
                    # the pre-check runs on the bare text: no objects for lines that cannot match
                    if precheck is not None and not precheck(text):
                        continue
                    examined += 1
                    if text.startswith(BATCH_STARTS) and (parts := split_records(text)) is not None:
                        # a batch of records on one line (OTLP, Loki, Fluent Bit json): an event each
                        source = Source(kind, path=name, line=first + position)
                        for part in parts:
                            event = parser.parse(RawLine(part, source, received, decode_error=position in bad))
                            if query.matches(event):
                                writer.write(event)
                        continue
                    verdict = None
                    matched = parser.match_fast(text) if bound is not None else None
                    if matched is not None:
                        verdict = bound.verdict(*matched)  # type: ignore[union-attr]
                        if verdict is False:
                            continue
                    source = Source(kind, path=name, line=first + position)
                    event = parser.parse(RawLine(text, source, received, decode_error=position in bad), matched)
                    if verdict or query.matches(event):
                        writer.write(event)
        except SourceError as exc:
            print(f"meshtail: cannot read {visible(str(exc))}", file=sys.stderr)
            status = EXIT_INPUT
        for name, count in parser.counts.items():
            counts[name] = counts.get(name, 0) + count
    sys.stdout.flush()
    if not args.quiet:
        parsed = sum(count for name, count in counts.items() if name != "unknown")
        unknown = counts.get("unknown", 0)
        formats_seen = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()) if name != "unknown")
        parts = [f"{lines} lines", f"{writer.written} matched"]
        if lines > examined:
            parts.append(f"{lines - examined} skipped by pre-check (cannot match)")
        parts.append(f"{parsed} parsed" + (f" ({formats_seen})" if formats_seen else ""))
        if unknown:
            parts.append(f"{unknown} not recognised (kept as format 'unknown')")
        if writer.redactions:
            parts.append(f"{writer.redactions} credentials redacted (--no-redact keeps them)")
        print("meshtail: " + ", ".join(parts), file=sys.stderr)
    return status


SUBCOMMANDS = ("scan", "tail", "demo", "profiles")
# options whose value is free text that may start with "-" (a negated filter term: -ns:kube-system)
_TEXT_OPTIONS = ("-f", "--filter", "--format-string")


def _glue_dash_values(argv: list[str]) -> list[str]:
    """``--filter -ns:kube-system`` as ``--filter=-ns:kube-system``: argparse would take the value for an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg in _TEXT_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-") and argv[i + 1] != "-":
            name = "--filter" if arg == "-f" else arg
            out.append(f"{name}={argv[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


COMMANDS_HELP = """commands (meshtail COMMAND --help for each):
  demo      run meshtail against a built-in simulated mesh (no cluster needed)
  tail      follow a live cluster's mesh logs and config changes, headless (text or JSONL on stdout)
  scan      parse log files or stdin into audit events and write the matching ones
  profiles  list, show or delete saved filter profiles

examples:
  meshtail                          the TUI on the current kubeconfig context, mesh namespaces
  meshtail -n shop                  only namespace shop
  meshtail --profile denials        start with a saved filter profile
  kubectl logs deploy/x -c istio-proxy | meshtail -     the TUI on stdin
  meshtail scan --filter 'cat:auth outcome:deny' mesh.log

"""


def build_tui_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="meshtail",
        usage="meshtail [options] [FILE ...]\n       meshtail {demo,tail,scan,profiles} ...",
        description="The meshtail TUI on a live cluster (kubeconfig or in-cluster), or on log files / stdin "
        "('-'): who was denied, where did this request go, who changed the mesh config.",
        epilog=COMMANDS_HELP + FILTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"meshtail {__version__}")
    parser.add_argument(
        "paths", nargs="*", metavar="FILE", help="log files to open ('-' for stdin) instead of a cluster"
    )
    parser.add_argument("--profile", metavar="NAME", help="start with a saved filter profile")
    _format_string_flag(parser)
    parser.add_argument(
        "--capacity",
        type=_positive(int),
        default=1_000_000,
        metavar="N",
        help="events kept in memory (oldest evicted first; default 1,000,000)",
    )
    _kube_flags(parser)
    add_loki_flags(parser)
    _redact_flag(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The live-cluster stack and Textual load only for the commands that use them, so
    # ``scan`` on a file starts in a fraction of the time.
    argv = _glue_dash_values(list(sys.argv[1:] if argv is None else argv))
    if not argv or argv[0] not in SUBCOMMANDS:
        from .tui import tui_from_args

        args = build_tui_parser().parse_args(argv)
        return tui_from_args(args)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        if args.command == "profiles":
            from .tui import profiles_command

            return profiles_command(args)
        if args.command == "demo" and not args.serve and args.output is None and sys.stdout.isatty():
            from .tui import demo_tui

            return demo_tui(args)
        if args.command == "scan":
            return _scan(args)
        if args.command in ("tail", "demo"):
            if getattr(args, "profile", None):
                # (it was ignored without a word: found by an outside audit)
                say("--profile starts the TUI; with -o or --serve give the filter with --filter")
                return EXIT_USAGE
            if args.output is None:
                args.output = "text"
            run = _live_run(args)
            if isinstance(run, int):
                return run
            from .live import run_demo, run_live

            if args.command == "tail":
                return asyncio.run(run_live(run))
            from ..demo.session import DemoOptions

            return asyncio.run(run_demo(run, DemoOptions.from_args(args), args.serve, args.kubeconfig_out))
    except BrokenPipeError:
        # the reader (head, less) went away: not an error for a filter command
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRORS:
            raise
        # the output cannot take more (`> /dev/full`, a full disk, a quota): one line, not a traceback (found by an
        # outside audit); what is still buffered for stdout goes nowhere, so the interpreter's last flush is quiet
        say(f"cannot write the output: {exc.strerror or exc}")
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INPUT
    except KeyboardInterrupt:
        sys.stdout.flush()
        return EXIT_INTERRUPTED
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
