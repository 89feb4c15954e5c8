"""Garbage-collector settings for streaming: many short-lived objects, a large long-lived heap.

With CPython's defaults a collection runs every 700 allocations, so the events waiting in
a 50 ms ingest batch are promoted to the oldest generation, which then fills fast enough to
trigger a full collection about once a second; each walked everything Textual and the
modules had allocated (~130,000 objects, 70-280 ms with the GIL held).  Measured with
``benchmarks/tui_ingest.py`` at 20,000 lines/s: 35-61 full collections a minute, up to
0.7 s each, while the TUI should answer keys within 100 ms.

So, once started: what exists now (modules, classes, the composed app) is moved out of
the collector's sight with :func:`gc.freeze`, and the youngest generation is collected
every 10,000 allocations instead of 700, so batch objects die by reference counting before
a collection promotes them.  Cyclic garbage is still collected, only in larger steps.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 10, 10)


def tune_for_streaming() -> None:
    """Apply the settings above (idempotent; call once the long-lived objects exist)."""
    gc.collect()  # do not freeze garbage
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
