"""The main screen: header, the task pane and the orders feed, a status line, key hints.

Wide terminals show the panes side by side; narrow ones (80x24) stack them.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Header

from infusion_tui.session import Session
from infusion_tui.ui.messages import Synced, SyncFailed
from infusion_tui.ui.widgets.orders_pane import OrdersPane
from infusion_tui.ui.widgets.status_line import StatusLine
from infusion_tui.ui.widgets.tasks_pane import TasksPane


class MainScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Header()
        with Container(id="panes"):
            yield TasksPane(self.session)
            yield OrdersPane(self.session)
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.session.profile} · {self.session.label}"
        status = self.query_one(StatusLine)
        status.calls_limit = self.session.calls_per_minute
        self.query_one(TasksPane).start()
        self.query_one(OrdersPane).start()
        self.query_one(TasksPane).table.focus()
        self.set_interval(1.0, self._refresh_budget)

    def _refresh_budget(self) -> None:
        self.query_one(StatusLine).calls_used = self.session.client.budget.used()

    @on(Synced)
    def _synced(self, event: Synced) -> None:
        status = self.query_one(StatusLine)
        status.synced = f"synced {self.session.local_now().strftime('%H:%M:%S')}"
        status.error = ""
        status.offline = False
        self.sub_title = f"{self.session.profile} · {self.session.label} · connected"

    @on(SyncFailed)
    def _failed(self, event: SyncFailed) -> None:
        status = self.query_one(StatusLine)
        status.error = f"{event.feed}: {event.error}"
        status.offline = event.offline
        self.sub_title = f"{self.session.profile} · {self.session.label} · problem"
