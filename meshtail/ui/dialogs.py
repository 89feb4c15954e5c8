"""Modal dialogs: export to JSONL, save a profile, quick filters from an event, help and source health.

Every dialog is a :class:`Dialog`: it fits the terminal (never wider or taller than the screen;
on a short one the body scrolls and the buttons stay on screen) and its footer names the key
that closes it, so nobody is left guessing how to get back.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ..events import AuditEvent
from ..query import exact_term
from ..settings.keymap import key_label, keys_label
from ..settings.profiles import Profile, ProfileError, save
from ..sinks.export import ExportError, ExportResult, export_jsonl
from ..storage.store import EventStore
from ..storage.views import PANES
from ..text import has_unsafe, visible
from .rows import hanging
from .safe_input import SafeInput

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A centred box that fits the terminal, with a footer saying how to close it.

    Compose the box as ``Vertical(classes="dialog")`` holding a ``VerticalScroll(classes="body")``
    and, optionally, a ``Horizontal(classes="buttons")``; :meth:`compose` adds the footer.
    Below 30 rows the body takes what is left and scrolls, so the buttons stay on screen
    (at 60×15 the export dialog's buttons used to be below the bottom edge).
    """

    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > .dialog { width: 90; max-width: 100%; height: auto; max-height: 100%; border: thick $accent;
                       background: $surface; padding: 1 2; }
    Dialog > .dialog > .body { height: auto; }
    Dialog > .dialog > .buttons { height: auto; margin-top: 1; }
    Dialog > .dialog > .buttons Button { margin-right: 2; }
    Dialog.-short > .dialog { padding: 0 1; }
    Dialog.-short > .dialog > .body { height: 1fr; }
    Dialog.-short > .dialog > .buttons { margin-top: 0; }
    Dialog .error { color: $error; height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield from self.compose_dialog()
        yield Footer()

    def compose_dialog(self) -> ComposeResult:
        """The box itself (subclasses)."""
        yield from ()


class FormBody(VerticalScroll, can_focus=False):
    """A dialog's scrolling body of fields: the first field gets the keys, not the container.

    It still scrolls (mouse wheel, and to whichever field Tab focuses) when the terminal is short.
    """


@dataclass(frozen=True)
class ExportRequest:
    """What `e` offers to export: store indices taken when the dialog opened, not the events.

    Copying a million indices is quick; reading a million events (each parsed again from its
    packed line) and writing them takes seconds, and is the export worker's job, never the
    UI thread's.  Events evicted meanwhile (a full store) are left out.
    """

    store: EventStore
    marked: Sequence[int]  # the marks, in no particular order
    view: Sequence[int]  # the filtered view, oldest first


def default_export_path() -> str:
    """A new file in the working directory -- or the home directory when the working directory's name holds a
    character the field cannot show as itself (a path offered but not shown is no path to offer)."""
    folder = os.getcwd()
    if has_unsafe(folder):
        folder = os.path.expanduser("~")
    return os.path.join(folder, f"meshtail-{datetime.now().strftime('%Y%m%d-%H%M%S')}.jsonl")


class ExportScreen(Dialog[ExportResult | None]):
    """Choose what and where; a thread worker writes the file (atomically) while the dialog shows how far it got.

    Errors stay in the dialog; Esc while it writes cancels the export and leaves no file.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export.cancel")]
    # the path is what the user types: keys pressed right after `e` go there (its text selected, so typing
    # replaces the suggested name), not to the choice above it, which took them and did nothing
    AUTO_FOCUS = "#path"
    DEFAULT_CSS = """
    ExportScreen RadioSet { width: 100%; }
    """

    class Progress(Message):
        """From the worker: ``done`` of ``total`` events read and written so far."""

        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

    class Finished(Message):
        """From the worker: the file is written (``result``), or why not (``error``)."""

        def __init__(self, result: ExportResult | None, error: str = "") -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(self, request: ExportRequest, redact: bool = True) -> None:
        super().__init__()
        self.request = request
        self.redact = redact
        self.running = False

    def compose_dialog(self) -> ComposeResult:
        marked, view = len(self.request.marked), len(self.request.view)
        with Vertical(classes="dialog"):
            with FormBody(classes="body"):
                yield Label("Export events to JSONL (Enter in the path field writes it)", markup=False)
                with RadioSet(id="what"):
                    yield RadioButton(
                        Content(f"marked events ({marked})"), value=bool(marked), disabled=not marked, id="marked"
                    )
                    yield RadioButton(Content(f"the whole filtered view ({view})"), value=not marked, id="view")
                yield SafeInput(default_export_path(), placeholder="path of the .jsonl file", id="path")
                yield Checkbox(
                    Content("redact credentials (Authorization, bearer tokens, JWTs, cookies, URL secrets)"),
                    value=self.redact,
                    id="redact",
                )
                yield Checkbox(Content("overwrite the file if it exists"), value=False, id="overwrite")
                yield Static("", id="error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel (Esc)", id="cancel")

    def _say(self, text: str) -> None:
        self.query_one("#error", Static).update(Text(text))

    @on(Button.Pressed, "#export")
    @on(Input.Submitted, "#path")
    def start(self) -> None:
        if self.running:  # Enter again while it writes
            return
        marked = self.query_one("#marked", RadioButton).value
        indices = self.request.marked if marked else self.request.view
        path = self.query_one("#path", Input).value.strip()
        self.running = True
        self.query_one("#export", Button).disabled = True
        self._say(f"exporting… 0 of {len(indices):,} events (Esc cancels)")
        self.write(
            path,
            indices,
            marked,
            self.query_one("#redact", Checkbox).value,
            self.query_one("#overwrite", Checkbox).value,
        )

    @work(thread=True, exclusive=True, group="export")
    def write(self, path: str, indices: Sequence[int], sort: bool, redact: bool, overwrite: bool) -> None:
        """Read, redact and write the events, off the UI thread; progress and the outcome come back as messages."""
        worker = get_current_worker()
        store = self.request.store
        total = len(indices)

        def events() -> Iterator[AuditEvent]:
            reported = time.monotonic()
            for done, index in enumerate(sorted(indices) if sort else indices):
                if worker.is_cancelled:
                    # an OSError is what export_jsonl cleans up after: the partial file is removed
                    raise InterruptedError(errno.EINTR, "export cancelled")
                event = store.get(index)
                if event is not None:  # None: evicted since the dialog opened
                    yield event
                if time.monotonic() - reported >= 0.1:
                    reported = time.monotonic()
                    self.post_message(self.Progress(done + 1, total))

        try:
            result = export_jsonl(events(), path, redact=redact, overwrite=overwrite)
        except ExportError as exc:
            # it names the path the user typed (or pasted): shown visible-safe
            self.post_message(self.Finished(None, visible(str(exc))))
            return
        self.post_message(self.Finished(result))

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        if self.running:
            self._say(f"exporting… {message.done:,} of {message.total:,} events (Esc cancels)")

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.running = False
        if message.result is not None:
            self.dismiss(message.result)
            return
        self.query_one("#export", Button).disabled = False
        self._say(message.error)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "export")  # a write under way stops and leaves no file
        self.dismiss(None)


class SaveProfileScreen(Dialog[Profile | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="profile.cancel")]
    DEFAULT_CSS = """
    SaveProfileScreen > .dialog { width: 80; }
    """

    def __init__(self, make: Callable[[str], Profile]) -> None:
        super().__init__()
        self.make = make

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog"), FormBody(classes="body"):
            yield Label("Save the current view as a profile (filter, panes, columns, sources)", markup=False)
            yield SafeInput(placeholder="profile name, e.g. shop-denials (Enter saves)", id="name")
            yield Static("", id="error", classes="error", markup=False)

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        try:
            profile = self.make(name)
            path = save(profile)
        except (ProfileError, OSError) as exc:
            self.query_one("#error", Static).update(Text(visible(str(exc))))
            return
        self.notify(f"Saved profile {name} to {path}", markup=False)
        self.dismiss(profile)

    def action_cancel(self) -> None:
        self.dismiss(None)


def quick_filters(event: AuditEvent) -> list[tuple[str, str]]:
    """(label, filter term) pairs the highlighted event suggests.

    The values come from the log (attacker-chosen): each term is an exact, quoted match,
    never filter syntax of its own (see :func:`meshtail.query.exact_term`).
    """
    out: list[tuple[str, str]] = []
    attrs = event.attributes
    if event.source.pod:
        out.append((f"this pod: {event.source.pod}", exact_term("pod", event.source.pod)))
        out.append((f"exclude this pod: {event.source.pod}", exact_term("pod", event.source.pod, negate=True)))
    if event.source.namespace:
        out.append((f"this namespace: {event.source.namespace}", exact_term("ns", event.source.namespace)))
    if attrs.get("istio.policy"):
        policy = str(attrs["istio.policy"])
        out.append((f"this policy: {policy}", exact_term("policy", policy)))
    status = attrs.get("http.response.status_code")
    if status is not None:
        out.append((f"this status: {status}", exact_term("status", status)))
    rid = attrs.get("http.request.header.x-request-id")
    if rid and rid != "-":
        out.append((f"this request (x-request-id {rid})", exact_term("request_id", rid)))
    out.append((f"this action: {event.action}", exact_term("action", event.action)))
    out.append((f"exclude this action: {event.action}", exact_term("action", event.action, negate=True)))
    return out


class QuickFilterScreen(Dialog[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="quick.cancel")]
    DEFAULT_CSS = """
    QuickFilterScreen.-tall OptionList { max-height: 20; }
    """

    def __init__(self, event: AuditEvent) -> None:
        super().__init__()
        self.choices = quick_filters(event)

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Add to the filter (Enter adds the highlighted term)", markup=False)
            yield OptionList(
                *[Option(Content(label), id=str(i)) for i, (label, _) in enumerate(self.choices)], classes="body"
            )

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class ScrollHint(Static):
    """One line under a scrolling text: where you are and which keys scroll, or that it all fits.

    The help text runs past a 24-row terminal; without this line nothing said there was more.
    """

    def __init__(self, target: VerticalScroll, closing: str) -> None:
        super().__init__(Text(""), classes="hint")
        self.target = target
        self.closing = closing

    def on_mount(self) -> None:
        self.watch(self.target, "scroll_y", self.refresh_hint, init=False)
        self.watch(self.target, "virtual_size", self.refresh_hint, init=False)
        self.call_after_refresh(self.refresh_hint)

    def refresh_hint(self, *_: object) -> None:
        target = self.target
        total, height = target.virtual_size.height, target.scrollable_content_region.height
        if height <= 0 or total <= height:
            text = Text(f"{self.closing} closes", style="dim")
        else:
            first = int(target.scroll_y) + 1
            last = min(total, int(target.scroll_y) + height)
            text = Text("↓ more: " if last < total else "end: ", style="bold")
            text.append(f"lines {first}–{last} of {total}", style="bold")
            text.append(f" · ↑↓ PgUp PgDn Home End scroll · {self.closing} closes", style="dim")
        self.update(text)


KeyLine = tuple[str, str, str]  # (Textual keys, what it does, binding id)


def help_text(groups: list[tuple[str, list[KeyLine]]], width: int) -> Text:
    """The keys, group by group, as typed (``/``, ``Ctrl+P``; never Textual's ``slash``), laid out for ``width``.

    Each binding id (what ``keymap.toml`` remaps) follows its description, or goes on the
    next line under the description when the terminal is too narrow for both.
    """
    rows = [(title, [(keys_label(k), d, i) for k, d, i in lines]) for title, lines in groups]
    keys_w = max((cell_len(k) for _, lines in rows for k, _, _ in lines), default=8) + 2
    what_w = max((cell_len(d) for _, lines in rows for _, d, _ in lines), default=20) + 2
    ids_w = max((cell_len(i) for _, lines in rows for _, _, i in lines), default=0)
    one_line = keys_w + what_w + ids_w <= width
    text = Text("Keys", style="bold")
    text.append('  (the dim names are binding ids: remap a key in keymap.toml, e.g. "export.open" = "x")\n')
    for title, lines in rows:
        text.append(f"\n{title}\n", style="bold underline")
        for keys, what, binding_id in lines:
            text.append(keys.ljust(keys_w), style="bold cyan")
            if one_line:
                text.append(what.ljust(what_w))
                text.append(f"{binding_id}\n", style="dim")
            else:
                text.append(f"{what}\n")
                if binding_id:
                    text.append(" " * keys_w)
                    text.append(f"{binding_id}\n", style="dim")
    return text


def help_notes(width: int) -> Text:
    """What the panes show and how the filter works (the part of the help that is not keys), for ``width``."""
    text = Text("\nPanes\n", style="bold underline")
    titles = max(len(p.title) for p in PANES) + 4  # key, space, title, two spaces
    for p in PANES:
        text.append(f"{key_label(p.key)} {p.title}".ljust(titles), style="bold cyan")
        text.append(f"{hanging(p.about, titles, width)}\n")
    text.append("\nFilter\n", style="bold underline")
    text.append(
        "One filter for every pane: / edits it (live), Enter applies, Esc puts the previous one back; "
        "the status bar shows it on every tab.\n"
        'Language: field:value, -negate, OR, (groups), status:>=500, path:/regex/i, "phrases". '
        "Fields: cat outcome action ns pod status method path policy flags user duration …\n"
        "Everything of a kind: 1 then cat:auth (certificates and SDS too), or cat:config (xDS connections too).\n"
    )
    return text


class HelpScreen(Dialog[None]):
    """Every key as it is typed, with its binding id; scrolls, and says so."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen > .dialog { width: 110; height: 90%; padding: 0 1; }
    HelpScreen.-short > .dialog { height: 100%; }
    HelpScreen > .dialog > .body { height: 1fr; padding: 0 1; }
    HelpScreen .hint { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, groups: list[tuple[str, list[KeyLine]]], notes: Callable[[int], Text] | None = None) -> None:
        super().__init__()
        self.groups = groups
        self.notes = notes
        self._laid_out_for = 0

    def text(self, width: int) -> Text:
        text = help_text(self.groups, width)
        if self.notes is not None:
            text.append_text(self.notes(width))
        return text

    def compose_dialog(self) -> ComposeResult:
        self._laid_out_for = max(20, min(106, self.app.size.width - 8))  # corrected once laid out
        with Vertical(classes="dialog"):
            body = VerticalScroll(Static(self.text(self._laid_out_for), id="help-text"), classes="body", id="help-body")
            yield body
            yield ScrollHint(body, keys_label("escape,question_mark,q"))

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self._relayout)

    def _relayout(self) -> None:
        static = self.query_one("#help-text", Static)
        width = static.content_region.width
        if width > 0 and width != self._laid_out_for:
            self._laid_out_for = width
            static.update(self.text(width))

    def action_close(self) -> None:
        self.dismiss()


class HealthScreen(Dialog[None]):
    """Every followed stream with its state, counts and last error (refreshed while open)."""

    BINDINGS = [Binding("escape,h,q", "close", "Close", id="health.close")]
    DEFAULT_CSS = """
    HealthScreen > .dialog { width: 95%; height: 90%; padding: 0 1; }
    HealthScreen > .dialog > .body { height: 1fr; }
    HealthScreen .hint { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, describe: Callable[[], Text]) -> None:
        super().__init__()
        self.describe = describe

    def compose_dialog(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            body = VerticalScroll(Static(self.describe(), id="health"), classes="body", id="health-body")
            yield body
            yield ScrollHint(body, keys_label("escape,h,q"))

    def on_mount(self) -> None:
        self.query_one("#health-body", VerticalScroll).focus()
        self.set_interval(1.0, lambda: self.query_one("#health", Static).update(self.describe()))

    def action_close(self) -> None:
        self.dismiss()
