"""The pane tabs: key, title, how many events the pane shows and a sparkline of their rate."""

from __future__ import annotations

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


def tab_labels(views: Mapping[str, View], visible_panes: Iterable[str], width: int) -> dict[str, str]:
    """Every pane's tab label, as rich as ``width`` cells allow for all the visible tabs together.

    Full (key, title, count, sparkline), then without the sparkline, with compact counts,
    with short titles, and last key and title alone: at 80 columns the fifth tab used
    to be pushed off the screen by the four before it.
    """
    visible = set(visible_panes)
    shown = [p for p in PANES if p.id in visible]
    labels: dict[str, str] = {}
    for level in range(5):
        for p in PANES:
            view = views[p.id]
            waiting = "" if view.complete else " …"
            title = SHORT_TITLES.get(p.id, p.title) if level >= 3 else p.title
            count = compact_count(len(view)) if level >= 2 else f"{len(view):,}"
            label = f"{p.key} {title}"
            if level < 4:
                label += f" {count}{waiting}"
            if level == 0:
                label += f" {sparkline(view.rates(8))}"
            labels[p.id] = label
        if sum(cell_len(labels[p.id]) + 2 for p in shown) <= width:  # 2: a tab's padding
            break
    return labels


class PaneTabs(Tabs):
    """One tab per pane (``tab-<pane id>``); the labels count what each pane shows."""

    def __init__(self, panes: Iterable[Pane] = PANES) -> None:
        super().__init__(*[Tab(Content(p.title), id=f"tab-{p.id}") for p in panes], id="tabs")

    def show_counts(self, views: Mapping[str, View], visible_panes: Iterable[str], width: int) -> None:
        """Relabel the tabs for ``width`` cells (only those whose text changed: a new label costs a layout)."""
        for pane_id, text in tab_labels(views, visible_panes, self.size.width or width).items():
            tab = self.query_one(f"#tab-{pane_id}", Tab)
            if tab.label.plain != text:
                tab.label = Content(text)
