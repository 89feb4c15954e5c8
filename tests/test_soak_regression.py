"""Regressions found by the long soak (``benchmarks/soak.py``) that short fault runs did not show.

``soak.py 600 300 1`` reported lines "lost without a gap event", all from the first minutes'
churned pods, each one after the ``meshtail.gap.after`` of a true gap ("the pod was deleted
while its stream was down").  meshtail had reported them; the oracle had forgotten the
streams: it took the followed containers from ``LiveSource.followers`` and ``.ended``, and
``ended`` keeps only the last 500 ended streams, which churn every second passes within
minutes.  An evicted container's written lines left the check (a real loss there would have
gone unseen) while what the server had served it stayed, and its gap excused nothing.
Here ``ended`` keeps 3, so a few seconds of churn evict as a soak does.
"""

from __future__ import annotations

from meshtail.sources.kube.live import LiveSource

from .fault_harness import _collect, run_with_faults
from .test_faults import check


async def test_the_oracle_judges_streams_that_left_the_ended_list(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(LiveSource, "ended_kept", 3)
    run = await run_with_faults(tmp_path, "restart-api=0.6s,churn=0.2s", seconds=6.0, seed=1)

    def origin(source) -> str:  # type: ignore[no-untyped-def]
        return f"{source.namespace}/{source.pod}/{source.container}"

    listed = {origin(f.target) for f in [*run.source.followers.values(), *run.source.ended]}
    gone = {origin(e.source) for e in run.seen.events if e.action == "meshtail.stream.end"} - listed
    assert len(gone) >= 10, f"premise: many streams ended and left the list (ended {len(run.source.ended)})"
    evicted_gaps = [e for e in run.seen.events if e.action == "meshtail.stream.gap" and origin(e.source) in gone]
    assert evicted_gaps, f"premise: a stream that left the list had a gap: {run.gaps or 'no gaps'}"

    check(run)  # the strict oracle: every line once, or covered by a true gap
    for event in evicted_gaps:  # each gap is checked and excuses the lines of its instance
        assert event.attributes["k8s.container.id"] in run.written, event.summary
    for name in gone:
        ns, pod, container = name.split("/")
        for log in run.demo.logs.history(ns, pod, container):
            assert log.container_id in run.written, f"{name} {log.container_id} left the check"

    # a line such a container wrote that meshtail never fetched (neither served nor delivered) is still caught
    victim = next(r for r in run.seen.lines if origin(r.source) in gone)
    line = (victim.timestamp, origin(victim.source), victim.text)
    run.seen.lines.remove(victim)
    assert run.demo.state.sent is not None
    run.demo.state.sent[:] = [sent for sent in run.demo.state.sent if sent != line]
    _collect(run)
    assert run.missing_unreported == [line]
