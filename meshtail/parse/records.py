"""One line that carries many log records, split into one line per record before parsing.

Collectors and log stores write batches on one line: the OpenTelemetry collector's file
exporter (``{"resourceLogs":[…{"scopeLogs":[…{"logRecords":[r1, r2, …]}]}]}``), a Loki push
body or query_range/query answer (``{"streams":[{"stream":{…},"values":[[ts, line], …]}]}``,
``{"status":"success","data":{"result":[…]}}``), an Elasticsearch search answer
(``{"hits":{"hits":[…]}}``), ``aws logs filter-log-events`` (``{"events":[…]}``) and Fluent Bit's
``format json`` (``[{…}, {…}]``).  Each record is a line of its own to the operator, so meshtail
makes one event of each: every record becomes the same container holding that record alone, with
the context it needs (the OTLP resource and scope, the Loki stream's labels, the log stream
name), and :mod:`.wrappers` peels it as it peels a one-record container.  A container of one
record is left as it is (no copy, no second decode).

Only lines that start like these containers are decoded here: ``{"resourceLogs"``,
``{"streams"``, ``{"status":"success"``, ``{"data"``, ``{"took"``, ``{"hits"``, ``{"events"``,
and an array whose first item is an object — a prefix test, so ordinary lines (an Envoy JSON
access record starts ``{"start_time"`` or similar) cost one ``startswith``.
"""

from __future__ import annotations

from typing import Any

import orjson

# what a batch line starts with (the collectors write their keys in this order)
_STARTS = ('{"resourceLogs"', '{"streams"', '{"status":"success"', '{"data"', '{"took"', '{"hits"', '{"events"', "[{")
MAX_RECORDS = 100_000  # one line cannot make more events than this (a hostile line is still one line's work)


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _otlp(obj: dict[str, Any]) -> list[str] | None:
    resource_logs = obj.get("resourceLogs")
    if not isinstance(resource_logs, list):
        return None
    out: list[str] = []
    for resource_log in resource_logs:
        if not isinstance(resource_log, dict):
            continue
        context = {k: v for k, v in resource_log.items() if k != "scopeLogs"}
        for scope_log in resource_log.get("scopeLogs") or ():
            if not isinstance(scope_log, dict):
                continue
            key = "logRecords" if "logRecords" in scope_log else "logs"
            scope = {k: v for k, v in scope_log.items() if k != key}
            for record in scope_log.get(key) or ():
                out.append(_dumps({"resourceLogs": [{**context, "scopeLogs": [{**scope, key: [record]}]}]}))
    return out


def _loki_streams(streams: Any, wrap: Any) -> list[str] | None:
    if not isinstance(streams, list):
        return None
    out: list[str] = []
    for stream in streams:
        if not isinstance(stream, dict) or not isinstance(stream.get("values"), list):
            continue
        context = {k: v for k, v in stream.items() if k != "values"}
        for value in stream["values"]:
            out.append(_dumps(wrap([{**context, "values": [value]}])))
    return out


def _split(obj: Any) -> list[str] | None:
    if isinstance(obj, list):
        # Fluent Bit's `format json`: an array of records (a mixed array is some other shape: left whole)
        if obj and all(isinstance(item, dict) for item in obj):
            return [_dumps(item) for item in obj]
        return None
    if not isinstance(obj, dict):
        return None
    if "resourceLogs" in obj:
        return _otlp(obj)
    if "streams" in obj:
        return _loki_streams(obj["streams"], lambda streams: {"streams": streams})
    data = obj.get("data")
    streams_result = isinstance(data, dict) and data.get("resultType", "streams") == "streams"
    if streams_result and isinstance(data.get("result"), list):
        rest = {k: v for k, v in data.items() if k != "result"}
        return _loki_streams(data["result"], lambda result: {"status": "success", "data": {**rest, "result": result}})
    hits = obj.get("hits")
    if isinstance(hits, dict) and isinstance(hits.get("hits"), list):
        return [_dumps(hit) for hit in hits["hits"]]
    events = obj.get("events")
    if isinstance(events, list) and all(isinstance(event, dict) for event in events):
        return [_dumps({"events": [event]}) for event in events]
    return None


def split_records(text: str) -> list[str] | None:
    """The records of a batch line, one container each; None when the line holds one record or is no batch.

    More than :data:`MAX_RECORDS` records: the first that many, and the caller is told by the length."""
    if not text.startswith(_STARTS):
        return None
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    parts = _split(obj)
    if parts is None or len(parts) < 2:
        return None
    return parts[:MAX_RECORDS]
