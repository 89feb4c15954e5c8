"""The source health table (``h``): every stream's state and counters, then the totals.  Rich text only."""

from __future__ import annotations

from rich.text import Text

from ..ingest import Ingest
from ..storage.store import EventStore
from ..text import visible
from .rows import fit


def health_text(ingest: Ingest | None, store: EventStore) -> Text:
    """Source health: every stream's state and counters, then the totals."""
    text = Text("Source health\n\n", style="bold")
    source = ingest.source if ingest is not None else None
    if source is None:
        status = ingest.status() if ingest is not None else None
        problem = visible(status.error) if status is not None and status.error else ""
        text.append(problem or "no live streams (files or stdin)\n")
    else:
        lags = ingest.lag.streams if ingest is not None else {}
        by_name = {f"{k[0]}/{k[1]}[{k[2]}]": v for k, v in lags.items()}
        text.append(
            f"{'STREAM':<70} {'STATE':<13} {'LINES':>9} {'LAG':>7} {'RECONN':>6} {'REPEATS':>7} {'STALLS':>6}"
            "  LAST ERROR\n",
            style="bold",
        )
        for name, stats in sorted(source.streams.items()):
            style = {"failed": "red", "reconnecting": "yellow", "ended": "dim"}.get(stats.state, "")
            lag = by_name.get(name)
            shown_lag = f"{lag:.1f}s" if lag is not None else "-"
            # stream names and errors come from the cluster: visible-safe, laid out by cells
            counts = f"{stats.lines:>9,} {shown_lag:>7} {stats.reconnects:>6} {stats.duplicates_dropped:>7}"
            text.append(
                f"{fit(visible(name), 70)} {stats.state:<13} {counts} {stats.stalls:>6}  "
                f"{fit(visible(stats.last_error), 80).rstrip()}\n",
                style=style,
            )
    health = ingest.pipeline.health if ingest is not None else {}
    if health:
        text.append("\nHealth events so far: ", style="bold")
        text.append(", ".join(f"{k.removeprefix('meshtail.')} {v}" for k, v in sorted(health.items())) + "\n")
    text.append(f"\nstored {len(store):,}, evicted {store.evicted:,}\n")
    return text
