"""A due-date field that reads as you type: an Input, and under it what we understood.

"fri 17:00" → "→ Fri 25 Dec 2026 17:00 (in 4 days) · sent as 2026-12-25T22:00:00.000Z", so the
user sees the exact instant (in their zone, and as Keap will get it) before saving. Text that
cannot be read yet shows why in a muted hint; the owning form decides when that becomes an
error (on save), so half-typed dates are never shouted at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from infusion_tui.dates import DueDateError, describe_due, parse_due
from infusion_tui.keap.models import format_keap_datetime

PLACEHOLDER = "tomorrow 9am, fri 17:00, +3d, 2026-12-24 17:00"


class DueInput(Vertical):
    """`Input#<input_id>` plus `Static#<input_id>-hint`; `read()` parses with the current `now()`."""

    DEFAULT_CSS = """
    DueInput { height: auto; }
    DueInput > .due-hint { color: $text-muted; }
    DueInput > .due-hint.-unreadable { color: $text-warning; }
    """

    def __init__(self, value: str = "", *, now: Callable[[], datetime], input_id: str = "due") -> None:
        super().__init__()
        self._value, self._now, self._input_id = value, now, input_id

    def compose(self) -> ComposeResult:
        yield Input(self._value, placeholder=PLACEHOLDER, id=self._input_id, compact=True, select_on_focus=False)
        yield Static(id=f"{self._input_id}-hint", classes="due-hint")

    def on_mount(self) -> None:
        self.refresh_hint()

    @property
    def input(self) -> Input:
        return self.query_one(f"#{self._input_id}", Input)

    @property
    def text(self) -> str:
        return self.input.value

    def read(self) -> datetime | None:
        """The due date typed, None for none; raises DueDateError (a ValueError) if unreadable."""
        return parse_due(self.text, now=self._now())

    @on(Input.Changed)
    def _typed(self) -> None:  # the event keeps bubbling: the form tracks changes too
        self.refresh_hint()

    def refresh_hint(self) -> None:
        hint = self.query_one(".due-hint", Static)
        now = self._now()
        try:
            due = parse_due(self.text, now=now)
        except DueDateError as err:
            hint.update(Text(str(err)))
            hint.add_class("-unreadable")
            return
        hint.remove_class("-unreadable")
        if due is None:
            hint.update("no due date")
        else:
            hint.update(Text(f"→ {describe_due(due, now=now)} · sent as {format_keap_datetime(due)}"))
