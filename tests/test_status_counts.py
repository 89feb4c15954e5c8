"""The status bar's counts are the whole run's: they never go backwards.

Found by an outside audit driving the TUI under faults: the bar's "N reconnects" read 686 and a second later 654
(also 197 -> 188, 741 -> 729), and at export time 818 where the export held 907 reconnect events.  The bar summed a
per-stream table that forgets a restarted container's earlier stream and keeps only the last 500 ended ones.
"""

from __future__ import annotations

from meshtail.ingest import Ingest, SourceSpec
from meshtail.sources.health import StreamStats
from meshtail.storage.store import EventStore


class _Source:
    """A live source as the status reads it: its per-stream table and its whole-run totals."""

    def __init__(self) -> None:
        self.table: dict[str, StreamStats] = {}
        self.started = self.reconnects = 0

    @property
    def streams(self) -> dict[str, StreamStats]:
        return dict(self.table)

    def totals(self) -> tuple[int, int, int]:
        return self.started, self.reconnects, 0


def test_reconnects_and_ended_streams_count_the_whole_run() -> None:
    ingest = Ingest(SourceSpec("kube"), EventStore())
    source = _Source()
    ingest.source = source  # type: ignore[assignment]
    # a container's stream reconnected 40 times, then the container restarted: its new stream takes the same name
    source.table["shop/cart-1[istio-proxy]"] = StreamStats(state="following", reconnects=40)
    source.started, source.reconnects = 1, 40
    before = ingest.status()
    assert before.reconnects == 40
    source.table["shop/cart-1[istio-proxy]"] = StreamStats(state="following", reconnects=1)
    source.started, source.reconnects = 2, 41
    after = ingest.status()
    assert after.reconnects == 41, "the first stream's reconnects are still the run's"
    assert after.streams["ended"] == 1 and after.streams["following"] == 1
