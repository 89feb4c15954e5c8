"""Command line: ``meshtail scan`` today; the live source, demo and TUI build on the same pipeline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .output import Writer
from .parse.detect import StreamParser, compile_formats
from .parse.envoy_access import FormatError
from .query import FilterError, compile_filter
from .sources.files import SourceError, read_lines

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


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
    scan.add_argument(
        "--format-string",
        action="append",
        default=[],
        metavar="FMT",
        help="your Envoy access-log format (meshConfig.accessLogFormat / Telemetry API); repeatable",
    )
    scan.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    return parser


def _scan(args: argparse.Namespace) -> int:
    try:
        query = compile_filter(args.filter)
    except FilterError as exc:
        print(f"meshtail: bad filter: {exc}\n{exc.pointer()}", file=sys.stderr)
        return EXIT_USAGE
    try:
        formats = compile_formats(args.format_string)
    except FormatError as exc:
        print(f"meshtail: bad --format-string: {exc}", file=sys.stderr)
        return EXIT_USAGE
    writer = Writer(sys.stdout, args.output)
    precheck = query.precheck
    status = EXIT_OK
    lines = skipped = 0
    counts: dict[str, int] = {}
    for path in args.paths:
        parser = StreamParser(formats)
        try:
            for raw in read_lines(path):
                lines += 1
                if precheck is not None and not precheck(raw.text):
                    skipped += 1
                    continue
                event = parser.parse(raw)
                if query.matches(event):
                    writer.write(event)
        except SourceError as exc:
            print(f"meshtail: cannot read {exc}", file=sys.stderr)
            status = EXIT_INPUT
        for name, count in parser.counts.items():
            counts[name] = counts.get(name, 0) + count
    sys.stdout.flush()
    if not args.quiet:
        parsed = sum(count for name, count in counts.items() if name != "unknown")
        unknown = counts.get("unknown", 0)
        formats_seen = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()) if name != "unknown")
        parts = [f"{lines} lines", f"{writer.written} matched"]
        if skipped:
            parts.append(f"{skipped} skipped by pre-check (cannot match)")
        parts.append(f"{parsed} parsed" + (f" ({formats_seen})" if formats_seen else ""))
        if unknown:
            parts.append(f"{unknown} not recognised (kept as format 'unknown')")
        print("meshtail: " + ", ".join(parts), file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        if args.command == "scan":
            return _scan(args)
    except BrokenPipeError:
        # the reader (head, less) went away: not an error for a filter command
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stdout.flush()
        return 130
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
