"""Timestamps: normalise what each log family prints to RFC 3339 UTC, keeping precision.

Also recognises the prefixes that wrap a container's own line: the kubelet's
``timestamps=true`` prefix (``kubectl logs --timestamps``: RFC3339Nano and one space)
and the CRI log-file prefix (``<RFC3339Nano> stdout F ``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_TS = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|z|[+-]\d{2}:?\d{2}| ?UTC)?$")
# kubelet prefix: exactly one space after the stamp and then not another space, so an
# Istio line whose tab was expanded to spaces is not mistaken for a prefix.  After a CRI stream
# marker, or the kubelet's own nine-digit UTC stamp (RFC3339NanoFixed), the line is whatever
# follows, blanks included: a pretty-printed JSON member or an indented continuation line (stern's
# ``--timestamps`` prints nine digits too, in the local zone).
_KUBELET = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) "
    r"(?:(stdout|stderr) ([FP])(?: |$)|(?<=\.\d{9}Z )|(?<=\.\d{9}[+-]\d{2}:\d{2} )|(?=\S|$))"
)


_ALREADY_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z")


def normalize(stamp: str | None) -> str | None:
    """RFC 3339 UTC (``...Z``) with the source's fractional digits, or None if unreadable.

    Stamps without a zone (Envoy's component log ``2024-09-26 11:40:13.329``) are
    taken as UTC, which is what Istio's proxies run in.
    """
    if not stamp:
        return None
    if _ALREADY_UTC.fullmatch(stamp):
        return stamp  # Envoy, the kubelet and ztunnel print this form: nothing to convert
    match = _TS.match(stamp.strip())
    if match is None:
        return None
    date, clock, frac, zone = match.groups()
    frac = frac or ""
    if zone is None or zone in ("Z", "z") or zone.strip() == "UTC":
        return f"{date}T{clock}{frac}Z"
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        local = datetime.fromisoformat(f"{date}T{clock}").replace(tzinfo=timezone(sign * offset))
    except ValueError:
        return None
    utc = local.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def split_kubelet_prefix(line: str) -> tuple[str | None, str]:
    """Return ``(timestamp, rest)`` if *line* starts with a kubelet or CRI prefix, else ``(None, line)``."""
    if len(line) < 21 or not line[0].isdigit() or line[4] != "-":
        return None, line
    match = _KUBELET.match(line)
    if match is None:
        return None, line
    return match.group(1), line[match.end() :]
