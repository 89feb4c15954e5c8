"""The pane tabs: key, title, how many events the pane shows (and its health rows) and a sparkline of their rate."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Tab, Tabs

from ..storage.views import PANES, Pane, View

SPARKS = "▁▂▃▄▅▆▇█"

# the tab titles when even compact counts do not fit (below ~60 columns)
SHORT_TITLES = {"routing": "Route", "config": "Conf", "violations": "Viol"}


def sparkline(values: list[int]) -> str:
    top = max(values) if values else 0
    if not top:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(7, (v * 7 + top - 1) // top)] if v else SPARKS[0] for v in values)


def compact_count(n: int) -> str:
    """``987``, ``12.3k``, ``1.2M``: a count in at most five cells, for tabs on a narrow terminal."""
    if n < 1000:
        return str(n)
    if n < 100_000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M".replace(".0M", "M")


def tab_labels(
    views: Mapping[str, View], visible_panes: Iterable[str], width: int, health: Mapping[str, int] | None = None
) -> dict[str, str]:
    """Every pane's tab label, as rich as ``width`` cells allow for all the visible tabs together.

    Full (key, title, count, sparkline), then without the sparkline, with compact counts,
    without the health rows' count, with short titles, and last key and title alone: at 80
    columns the fifth tab used to be pushed off the screen by the four before it.

    ``health``: how many of a pane's rows are meshtail's own health events (shown inline in every
    pane).  A domain pane counts its own events and says the health rows apart -- ``Config 22
    (+1,008 health)``: an audit read ``Config 1,030`` for 22 config events under a thousand
    reconnects.  The All pane's own events are every event: its count is its rows.
    """
    visible = set(visible_panes)
    shown = [p for p in PANES if p.id in visible]
    health = health or {}
    labels: dict[str, str] = {}
    for level in range(6):
        for p in PANES:
            view = views[p.id]
            waiting = "" if view.complete else " …"
            title = SHORT_TITLES.get(p.id, p.title) if level >= 4 else p.title
            extra = health.get(p.id, 0) if p.id != "all" else 0
            own = max(0, len(view) - extra)
            count = compact_count(own) if level >= 2 else f"{own:,}"
            if extra and level < 3:
                count += f" (+{compact_count(extra) if level >= 2 else f'{extra:,}'} health)"
            label = f"{p.key} {title}"
            if level < 5:
                label += f" {count}{waiting}"
            if level == 0:
                label += f" {sparkline(view.rates(8))}"
            labels[p.id] = label
        if sum(cell_len(labels[p.id]) + 2 for p in shown) <= width:  # 2: a tab's padding
            break
    return labels


class HealthTally:
    """How many of one view's rows are meshtail's health events, counted as the view grows.

    Only the rows added since the last count are looked at (their kind, not the event); a new
    filter (a new index) starts the count again, and rows evicted from the store leave it."""

    def __init__(self) -> None:
        self._indices: object = None
        self._upto = 0  # store indices below this were looked at
        self._found: array[int] = array("q")  # store indices of the health rows, oldest first

    def count(self, view: View) -> int:
        indices, store = view.indices, view.store
        if isinstance(indices, range):  # (every event, no index of its own: the All pane, not tallied)
            return 0
        if indices is not self._indices:
            self._indices, self._upto, self._found = indices, 0, array("q")
        found = self._found
        if found and found[0] < store.base:
            del found[: bisect_left(found, store.base)]
        start = bisect_left(indices, self._upto)
        for position in range(start, len(indices)):
            index = indices[position]
            kind = store.kind(index)
            if kind is not None and kind.format == "meshtail":
                found.append(index)
        if len(indices) > start:
            self._upto = indices[-1] + 1
        return len(found)


class PaneTabs(Tabs):
    """One tab per pane (``tab-<pane id>``); the labels count what each pane shows."""

    def __init__(self, panes: Iterable[Pane] = PANES) -> None:
        super().__init__(*[Tab(Content(p.title), id=f"tab-{p.id}") for p in panes], id="tabs")
        self.tallies: dict[str, HealthTally] = {}

    def show_counts(self, views: Mapping[str, View], visible_panes: Iterable[str], width: int) -> None:
        """Relabel the tabs for ``width`` cells (only those whose text changed: a new label costs a layout)."""
        health = {
            pane_id: self.tallies.setdefault(pane_id, HealthTally()).count(view)
            for pane_id, view in views.items()
            if pane_id != "all"
        }
        for pane_id, text in tab_labels(views, visible_panes, self.size.width or width, health).items():
            tab = self.query_one(f"#tab-{pane_id}", Tab)
            if tab.label.plain != text:
                tab.label = Content(text)
