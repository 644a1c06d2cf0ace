"""A small yes/no question in a modal: "Discard your changes?" → True (yes) or False (no).

The safe answer ("no") has the focus, so a stray enter never throws work away; `y` and `n`
answer from anywhere, esc means "no". The question may quote server text, so it is shown as
a literal `Text`, never parsed as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask one question; dismisses with True for `yes`, False for `no` (or esc)."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        background: $background 50%;
    }
    ConfirmScreen #confirm-dialog {
        width: 56;
        max-width: 100%;
        height: auto;
        border: round $warning;
        background: $surface;
        padding: 1 2 0 2;
    }
    ConfirmScreen #confirm-question { width: 1fr; }
    ConfirmScreen #confirm-keys { color: $text-muted; margin-bottom: 1; }
    ConfirmScreen #confirm-row { height: auto; margin-bottom: 1; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; min-width: 12; }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
        Binding("left,right", "app.focus_next", "Other answer", show=False, id="confirm.switch"),
    ]

    AUTO_FOCUS = "#confirm-no"

    def __init__(self, question: str | Text, yes: str = "Discard", no: str = "Keep editing") -> None:
        super().__init__()
        self._question = Text(question) if isinstance(question, str) else question
        self._yes, self._no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self._question, id="confirm-question")
            yield Static(Text(f"y {self._yes.lower()} · n/esc {self._no.lower()}"), id="confirm-keys")
            with Horizontal(id="confirm-row"):
                yield Button(Text(self._no), id="confirm-no", variant="primary", compact=True)
                yield Button(Text(self._yes), id="confirm-yes", variant="error", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
