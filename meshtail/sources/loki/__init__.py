"""Grafana Loki as a source: history with query_range, live with the tail websocket.

The API the command line and the TUI use::

    config = LokiConfig.from_args(url, token=..., username=..., password=..., tenants="a|b", ca_file=...)
    # or LokiConfig.from_mapping(profile_table)  (raises LokiConfigError: one line)
    options = LokiOptions(since_seconds=args.since, start_ns=parse_time(args.from_) if args.from_ else None,
                          end_ns=parse_time(args.to) if args.to else None, follow=command != "scan")
    selection = LokiSelection(namespaces=args.namespace, selector=args.selector, containers=args.container,
                              clusters=args.cluster)
    async with LokiClient(config) as client:
        source = LokiSource(client, selection, pipeline.line, pipeline.event, options, filter_text=query.text)
        await source.prepare()          # one-line errors: LokiError, LokiQueryError, FilterError
        await source.run()              # history, then the tail until stop(); history only when not following
        # source.errors: what made a reader give up (one line each); source.streams: per-tenant StreamStats
        # or, for scan:  async for raw in source.history(start_ns, end_ns): pipeline.line(raw)
    # the same, with prepare()'s error as one line:
    async with prepared(config, selection, pipeline.line, pipeline.event, options, text) as (source, error): ...
"""

from .client import LokiClient, LokiError
from .config import LokiConfig, LokiConfigError, split_tenants
from .labels import LAYOUTS, Layout, LayoutError, detect_layout, source_for
from .live import LokiOptions, LokiSource, prepared
from .logql import LogQuery, LokiQueryError, LokiSelection, build_query
from .reader import parse_time, stamp

__all__ = [
    "LAYOUTS",
    "Layout",
    "LayoutError",
    "LogQuery",
    "LokiClient",
    "LokiConfig",
    "LokiConfigError",
    "LokiError",
    "LokiOptions",
    "LokiQueryError",
    "LokiSelection",
    "LokiSource",
    "build_query",
    "detect_layout",
    "parse_time",
    "prepared",
    "source_for",
    "split_tenants",
    "stamp",
]
