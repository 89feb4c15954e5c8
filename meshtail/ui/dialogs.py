"""Modal dialogs: export to JSONL, save a profile, quick filters from an event, and help."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from ..events import AuditEvent
from ..export import ExportError, ExportResult, export_jsonl
from ..profiles import Profile, ProfileError, save
from ..query import exact_term
from ..text import visible


@dataclass
class ExportRequest:
    marked: list[AuditEvent]
    view: list[AuditEvent]


def default_export_path() -> str:
    return os.path.join(os.getcwd(), f"meshtail-{datetime.now().strftime('%Y%m%d-%H%M%S')}.jsonl")


class ExportScreen(ModalScreen[ExportResult | None]):
    """Choose what and where; the write is atomic and errors stay in the dialog."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export.cancel")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 90; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    ExportScreen #error { color: $error; height: auto; }
    ExportScreen Horizontal { height: auto; margin-top: 1; }
    ExportScreen RadioSet { width: 100%; }
    """

    def __init__(self, request: ExportRequest, redact: bool = True) -> None:
        super().__init__()
        self.request = request
        self.redact = redact

    def compose(self) -> ComposeResult:
        marked, view = len(self.request.marked), len(self.request.view)
        with Vertical():
            yield Label("Export events to JSONL", markup=False)
            with RadioSet(id="what"):
                yield RadioButton(
                    Content(f"marked events ({marked})"), value=bool(marked), disabled=not marked, id="marked"
                )
                yield RadioButton(Content(f"the whole filtered view ({view})"), value=not marked, id="view")
            yield Input(default_export_path(), placeholder="path of the .jsonl file", id="path")
            yield Checkbox(
                Content("redact credentials (Authorization, bearer tokens, JWTs, cookies, URL secrets)"),
                value=self.redact,
                id="redact",
            )
            yield Checkbox(Content("overwrite the file if it exists"), value=False, id="overwrite")
            yield Static("", id="error", markup=False)
            with Horizontal():
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def events(self) -> list[AuditEvent]:
        marked = self.query_one("#marked", RadioButton).value
        return self.request.marked if marked else self.request.view

    @on(Button.Pressed, "#export")
    @on(Input.Submitted, "#path")
    def start(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        self.query_one("#error", Static).update(Text("writing…"))
        self.write(
            path, self.events(), self.query_one("#redact", Checkbox).value, self.query_one("#overwrite", Checkbox).value
        )

    @work(thread=True, exclusive=True)
    def write(self, path: str, events: list[AuditEvent], redact: bool, overwrite: bool) -> None:
        try:
            result = export_jsonl(events, path, redact=redact, overwrite=overwrite)
        except ExportError as exc:
            message = visible(str(exc))  # it names the path the user typed (or pasted)
            self.app.call_from_thread(lambda: self.query_one("#error", Static).update(Text(message)))
            return
        self.app.call_from_thread(self.dismiss, result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveProfileScreen(ModalScreen[Profile | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="profile.cancel")]
    DEFAULT_CSS = """
    SaveProfileScreen { align: center middle; }
    SaveProfileScreen > Vertical { width: 80; height: auto; border: thick $accent; background: $surface;
                                   padding: 1 2; }
    SaveProfileScreen #error { color: $error; height: auto; }
    """

    def __init__(self, make: Callable[[str], Profile]) -> None:
        super().__init__()
        self.make = make

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Save the current view as a profile (filter, panes, columns, sources)", markup=False)
            yield Input(placeholder="profile name, e.g. shop-denials", id="name")
            yield Static("", id="error", markup=False)

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


class QuickFilterScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="quick.cancel")]
    DEFAULT_CSS = """
    QuickFilterScreen { align: center middle; }
    QuickFilterScreen > Vertical { width: 90; height: auto; max-height: 80%; border: thick $accent;
                                   background: $surface; padding: 1 2; }
    QuickFilterScreen OptionList { height: auto; max-height: 20; }
    """

    def __init__(self, event: AuditEvent) -> None:
        super().__init__()
        self.choices = quick_filters(event)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add to the filter", markup=False)
            yield OptionList(*[Option(Content(label), id=str(i)) for i, (label, _) in enumerate(self.choices)])

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; height: 90%; border: thick $accent; background: $surface;
                                  padding: 1 2; }
    """

    def __init__(self, lines: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        text = Text("meshtail keys (remappable by binding id)\n\n", style="bold")
        for keys, description, binding_id in self.lines:
            text.append(f"{keys:<22}", style="bold cyan")
            text.append(f"{description:<44}")
            text.append(f"{binding_id}\n", style="dim")
        text.append(
            "\nFilter language: field:value, -negate, OR, (groups), status:>=500, path:/regex/i, "
            '"phrases". Fields: cat outcome ns pod status method path policy flags user duration …\n'
        )
        with VerticalScroll():
            yield Static(text)

    def action_close(self) -> None:
        self.dismiss()


class HealthScreen(ModalScreen[None]):
    """Every followed stream with its state, counts and last error (refreshed while open)."""

    BINDINGS = [Binding("escape,h,q", "close", "Close", id="health.close")]
    DEFAULT_CSS = """
    HealthScreen { align: center middle; }
    HealthScreen > VerticalScroll { width: 95%; height: 90%; border: thick $accent; background: $surface;
                                    padding: 0 1; }
    """

    def __init__(self, describe: Callable[[], Text]) -> None:
        super().__init__()
        self.describe = describe

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.describe(), id="health")

    def on_mount(self) -> None:
        self.set_interval(1.0, lambda: self.query_one("#health", Static).update(self.describe()))

    def action_close(self) -> None:
        self.dismiss()
