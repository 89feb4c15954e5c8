"""Generate screenshots/*.svg from the real app running on the demo mesh (`python scripts/screenshots.py`).

The demo runs as it does for `meshtail demo` (stand-in API server, live source, seed 7);
Pilot drives the keys a user would press.  Nothing is drawn by hand.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meshtail.ingest import SourceSpec  # noqa: E402
from meshtail.sources.kube.live import Selection  # noqa: E402
from meshtail.ui.app import MeshtailApp  # noqa: E402

OUT = ROOT / "screenshots"
SIZE = (170, 44)


async def main() -> None:
    os.environ.setdefault("MESHTAIL_CONFIG_DIR", tempfile.mkdtemp(prefix="meshtail-shots-"))
    OUT.mkdir(exist_ok=True)
    spec = SourceSpec("demo", selection=Selection(all_namespaces=True), demo_seed=7, demo_rate=150)
    app = MeshtailApp(spec)
    async with app.run_test(size=SIZE) as pilot:
        # let the mesh run long enough for config changes, denials and a restart to appear
        for _ in range(100):
            await pilot.pause(0.1)
            if len(app.main_screen.views["config"]) > 25 and len(app.main_screen.views["violations"]) > 20:
                break

        def shot(name: str) -> None:
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
            print(f"screenshots/{name}.svg")

        for key, name in (("1", "all"), ("2", "auth"), ("3", "routing"), ("4", "config"), ("5", "violations")):
            await pilot.press(key)
            await pilot.pause(0.4)
            shot(f"pane-{name}")
        await pilot.press("2", "up", "up", "enter")
        await pilot.pause(0.4)
        shot("detail")
        await pilot.press("escape", "1", "slash", *"outcome:deny -ns:shop")
        await pilot.pause(0.5)
        shot("filter-bar")
        await pilot.press("enter", "up", "space", "space", "space", "e")
        await pilot.pause(0.4)
        shot("export-dialog")
        await pilot.press("escape")


if __name__ == "__main__":
    asyncio.run(main())
