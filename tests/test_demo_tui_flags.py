"""``meshtail demo`` in a terminal takes the flags the stand-in takes.

An outside audit drove the TUI under faults: ``meshtail demo --faults cut=2s,... --sent-log S`` opened the TUI with
no fault at all and no sent log (the TUI's demo took only the seed, rate and pods), and ``-f``/``--duration`` were
ignored without a word.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from meshtail.commands.cli import build_parser
from meshtail.commands.exitcodes import EXIT_USAGE
from meshtail.commands.tui import demo_tui
from meshtail.demo.session import DemoOptions
from meshtail.ingest import SourceSpec
from meshtail.sources.kube.live import Selection
from meshtail.ui.app import MeshtailApp

from .conftest import eventually


def _actions(app: MeshtailApp) -> list[str]:
    store = app.store
    return [e.action for e in (store.get(i) for i in range(store.base, store.end)) if e is not None]


async def test_the_demo_tui_injects_the_faults_and_writes_the_sent_log(tmp_path: Path) -> None:
    sent = tmp_path / "sent.log"
    options = DemoOptions(rate=200, faults="cut=1s", sent_log=str(sent))
    spec = SourceSpec("demo", selection=Selection(all_namespaces=True), demo_rate=200, demo_options=options)
    app = MeshtailApp(spec)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(lambda: "meshtail.stream.reconnect" in _actions(app), timeout=30)
        await eventually(lambda: sent.exists() and sent.stat().st_size > 0, timeout=10)
        await pilot.press("q")
        await asyncio.sleep(0)
    assert app.ingest is not None
    await eventually(lambda: any(note.startswith("faults injected: cut") for note in app.ingest.notes), timeout=15)
    served = sent.read_text().splitlines()
    assert served and all(line.count("\t") >= 2 for line in served[:50]), "the sent log's own format"


def _demo_args(*flags: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(["demo", *flags])


def test_flags_of_the_line_output_are_refused_not_ignored(capsys) -> None:  # type: ignore[no-untyped-def]
    for flags, said in (
        (("--duration", "5s"), "--duration is for the line output"),
        (("--order", "2s"), "--order is for the line output"),
        (("--faults", "cut=banana"), "bad --faults"),
        (("--kubeconfig-out", "kc"), "--kubeconfig-out is for --serve"),
    ):
        assert demo_tui(_demo_args(*flags)) == EXIT_USAGE, flags
        assert said in capsys.readouterr().err, flags


def test_the_demo_takes_a_capacity_and_a_filter() -> None:
    args = _demo_args("--capacity", "5000", "-f", "outcome:deny")
    assert (args.capacity, args.filter) == (5000, "outcome:deny")
