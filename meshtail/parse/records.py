"""One line that carries many log records, split into one line per record before parsing.

Collectors and log stores write batches on one line: the OpenTelemetry collector's file
exporter (``{"resourceLogs":[…{"scopeLogs":[…{"logRecords":[r1, r2, …]}]}]}``), a Loki push
body or query_range/query answer (``{"streams":[{"stream":{…},"values":[[ts, line], …]}]}``,
``{"status":"success","data":{"result":[…]}}``), an Elasticsearch search answer
(``{"hits":{"hits":[…]}}``), ``aws logs filter-log-events`` (``{"events":[…]}``), Azure Monitor's diagnostic
export (``{"records":[…]}``, AKS's kube-audit among its categories) and Fluent Bit's
``format json`` (``[{…}, {…}]``), and arrays of these (``jq -s``).  Each record is a line of its own
to the operator, so meshtail makes one event of each: every record becomes the same container
holding that record alone, with the context it needs (the OTLP resource and scope, the Loki
stream's labels, the log stream name), and :mod:`.wrappers` peels it as it peels a one-record
container.  A container of one record is left as it is (no copy, no second decode).  Only the
answers' own keys may sit around the records: an application's JSON that happens to have an
``events`` or ``hits`` key is one record, whole.

Only lines that start like these containers are decoded here: ``{"resourceLogs"``,
``{"streams"``, ``{"status":"success"``, ``{"data"``, ``{"took"``, ``{"hits"``, ``{"events"``, ``{"records"``,
Envoy's gRPC access log stream message as a receiver prints it (``{"identifier"``, ``{"httpLogs"``, …: an
entry each), and an array whose first item is an object — a prefix test, so ordinary lines (an Envoy JSON
access record starts ``{"start_time"`` or similar) cost one ``startswith``.
"""

from __future__ import annotations

from typing import Any

import orjson

from .als import STREAM_BATCHES

# what a batch line starts with (the collectors write their keys in this order): callers test it before calling
BATCH_STARTS = (
    '{"resourceLogs"',
    '{"streams"',
    '{"status":"success"',
    '{"data"',
    '{"took"',
    '{"hits"',
    '{"events"',
    '{"records"',
    '{ "records"',
    '{"identifier"',
    '{"httpLogs"',
    '{"tcpLogs"',
    '{"http_logs"',
    '{"tcp_logs"',
    "[{",
)
# the keys of the answers split here: a record that merely has an "events" or "hits" key of its own (an
# application's JSON) is not an answer, and splitting it would lose its other keys
_CLOUDWATCH_KEYS = frozenset({"events", "searchedLogStreams", "nextToken", "nextForwardToken", "nextBackwardToken"})
_SEARCH_KEYS = frozenset(
    {
        "took",
        "timed_out",
        "_shards",
        "hits",
        "aggregations",
        "_scroll_id",
        "pit_id",
        "terminated_early",
        "num_reduce_phases",
        "status",
    }
)
# what a record of a collector's JSON array has (Fluent Bit json: date + log; Vector, Loki exports, OTel...)
_RECORD_KEYS = frozenset({"log", "message", "msg", "line", "body", "MESSAGE", "textPayload", "jsonPayload", "_source"})
# Envoy's ALS StreamAccessLogsMessage as a receiver prints it: the node's identifier and a batch of entries
_ALS_KEYS = frozenset(("identifier", *STREAM_BATCHES))
DEPTH = 3  # batches inside batches (a jq -s of answers); more is an attack or a loop


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _otlp(obj: dict[str, Any]) -> list[Any] | None:
    resource_logs = obj.get("resourceLogs")
    if not isinstance(resource_logs, list):
        return None
    out: list[Any] = []
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
                out.append({"resourceLogs": [{**context, "scopeLogs": [{**scope, key: [record]}]}]})
    return out


def _loki_streams(streams: Any, wrap: Any) -> list[Any] | None:
    if not isinstance(streams, list) or not all(
        isinstance(stream, dict) and isinstance(stream.get("values"), list) for stream in streams
    ):
        return None
    out: list[Any] = []
    for stream in streams:
        context = {k: v for k, v in stream.items() if k != "values"}
        for value in stream["values"]:
            out.append(wrap([{**context, "values": [value]}]))
    return out


def _split(obj: Any) -> list[Any] | None:
    """The records of one decoded batch, each as a one-record container (None: not a batch)."""
    if isinstance(obj, list):
        # Fluent Bit's `format json` (an array of records) and `jq -s` of answers; a mixed array, or one of
        # objects that are not log records, is some other shape: left whole
        if obj and all(isinstance(item, dict) and (_RECORD_KEYS & item.keys() or _split(item)) for item in obj):
            return list(obj)
        return None
    if not isinstance(obj, dict):
        return None
    if "resourceLogs" in obj:
        return _otlp(obj)
    if "streams" in obj:
        return _loki_streams(obj["streams"], lambda streams: {"streams": streams})
    data = obj.get("data")
    if (
        isinstance(data, dict)
        and data.get("resultType", "streams") == "streams"
        and isinstance(data.get("result"), list)
    ):
        rest = {k: v for k, v in data.items() if k not in ("result", "stats")}  # stats: the query's, not a record's
        return _loki_streams(data["result"], lambda result: {"status": "success", "data": {**rest, "result": result}})
    hits = obj.get("hits")
    if isinstance(hits, dict) and isinstance(hits.get("hits"), list) and obj.keys() <= _SEARCH_KEYS:
        found = hits["hits"]
        if all(isinstance(hit, dict) and ("_source" in hit or "fields" in hit) for hit in found):
            return list(found)
        return None
    records = obj.get("records")
    if isinstance(records, list) and obj.keys() == {"records"}:
        # Azure Monitor's diagnostic settings (to Event Hubs or a storage account) batch every category so, AKS's
        # kube-audit and container logs among them: {"records": [{"category": …, "properties": {"log": …}}, …]}
        if all(
            isinstance(record, dict) and ("properties" in record or _RECORD_KEYS & record.keys()) for record in records
        ):
            return list(records)
        return None
    if obj.keys() <= _ALS_KEYS:
        return _als(obj)
    events = obj.get("events")
    if isinstance(events, list) and obj.keys() <= _CLOUDWATCH_KEYS:
        if all(isinstance(event, dict) and isinstance(event.get("message"), str) for event in events):
            return [{"events": [event]} for event in events]
    return None


def _als(obj: dict[str, Any]) -> list[Any] | None:
    """A StreamAccessLogsMessage's entries, each as the message carrying it alone (its identifier kept)."""
    for name in STREAM_BATCHES:
        batch = obj.get(name)
        if not isinstance(batch, dict):
            continue
        key = "logEntry" if "logEntry" in batch else "log_entry"
        entries = batch.get(key)
        if isinstance(entries, list) and all(isinstance(entry, dict) for entry in entries):
            return [{**obj, name: {key: [entry]}} for entry in entries]
    return None


def _flatten(obj: Any, depth: int, out: list[Any]) -> bool:
    """Append the records of ``obj`` to ``out``, batches inside batches opened too; False if it is no batch."""
    parts = _split(obj) if depth < DEPTH else None
    if parts is None or (depth and len(parts) < 2):  # a record inside a batch: itself, not a batch of one
        return False
    for part in parts:
        if not _flatten(part, depth + 1, out):
            out.append(part)
    return True


def split_records(text: str) -> list[str] | None:
    """The records of a batch line, one container each, in order; None when the line holds one record or is
    no batch.  Every record of the line becomes a part: the work is linear in the line, however many."""
    if not text.startswith(BATCH_STARTS):
        return None
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    records: list[Any] = []
    if not _flatten(obj, 0, records) or len(records) < 2:
        return None
    return [_dumps(record) for record in records]
