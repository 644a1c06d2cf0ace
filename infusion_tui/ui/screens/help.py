"""The help screen: every key, grouped by where it works, straight from the action registry."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from infusion_tui.ui.actions import ACTIONS, SCOPE_TITLES, key_label


def keys_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", min_width=10)
    table.add_column()
    for scope, title in SCOPE_TITLES.items():
        table.add_row(Text(title, style="bold underline"), "")
        for action in ACTIONS:
            if action.scope == scope:
                table.add_row(Text(key_label(action.keys)), Text(action.help))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; margin-bottom: 1; }
    HelpScreen #help-hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("infusion-tui — keys", id="help-title")
            yield Static(keys_table(), id="help-keys")
            yield Static("ctrl+p opens the same actions as a searchable list. esc closes.", id="help-hint")
