"""The status line: calls used of the budget, last sync, and the latest error, in one row."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from infusion_tui.text_safety import literal


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusLine.-error { color: $text-error; }
    """

    calls_used: reactive[int] = reactive(0)
    calls_limit: reactive[int] = reactive(100)
    synced: reactive[str] = reactive("not synced yet")
    error: reactive[str] = reactive("")
    offline: reactive[bool] = reactive(False)

    def render(self) -> Text:
        text = Text()
        text.append(f"API calls {self.calls_used}/{self.calls_limit} per min")
        text.append("  ·  ")
        text.append(self.synced)
        if self.offline:
            text.append("  ·  offline: showing cached data, read-only", style="bold")
        if self.error:
            text.append("  ·  ")
            text.append(literal(self.error), style="bold")
        return text

    def watch_error(self, error: str) -> None:
        self.set_class(bool(error), "-error")
