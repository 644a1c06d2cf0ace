"""The Textual application: connects (or shows the connect screen), then the main screen."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, SystemCommand
from textual.screen import Screen

from infusion_tui.ui.actions import ACTIONS, bindings_for
from infusion_tui.ui.messages import AuthLost
from infusion_tui.ui.screens.help import HelpScreen

if TYPE_CHECKING:
    from infusion_tui.connection import Connector
    from infusion_tui.session import Session
    from infusion_tui.settings import Settings


SCREEN_SCOPES = {"form": "TaskForm", "details": "OrderDetails"}  # scopes that are whole screens


class InfusionApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "infusion-tui"
    BINDINGS = bindings_for("app")
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, settings: "Settings", connector: "Connector") -> None:
        super().__init__()
        self.settings = settings
        self.connector = connector
        self.session: "Session | None" = None
        if settings.theme in self.available_themes:
            self.theme = settings.theme

    def on_mount(self) -> None:
        self.connector.on_problem = self._problem
        self.connect()

    def _problem(self, message: str) -> None:
        self.call_later(self.notify, message, severity="warning", timeout=15, markup=False)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self) -> None:
        from infusion_tui.connection import NotLoggedIn
        from infusion_tui.keap.errors import KeapError

        try:
            session = await self.connector.open()
        except NotLoggedIn:
            self.show_connect()
            return
        except KeapError as exc:
            self.show_connect(str(exc))
            return
        self.start_session(session)

    def show_connect(self, problem: str | None = None) -> None:
        from infusion_tui.ui.screens.connect import ConnectScreen

        self.push_screen(ConnectScreen(self.connector, problem=problem), self._connected)

    def _connected(self, session: "Session | None") -> None:
        if session is None:
            self.exit(0)
        else:
            self.start_session(session)

    def start_session(self, session: "Session") -> None:
        from infusion_tui.ui.screens.main import MainScreen

        session.extras.setdefault("bell", self.settings.bell)
        session.extras.setdefault("export_dir", str(self.settings.data_dir / "exports"))
        self.session = session
        if isinstance(self.screen, MainScreen):
            self.switch_screen(MainScreen(session))
        else:
            self.push_screen(MainScreen(session))

    @on(AuthLost)
    def _auth_lost(self, event: AuthLost) -> None:
        """Sign in again over whatever is open; the new credential goes into the same client."""
        from infusion_tui.ui.screens.connect import ConnectScreen

        if any(isinstance(screen, ConnectScreen) for screen in self.screen_stack):
            return
        self.push_screen(ConnectScreen(self.connector, problem=event.message, again=True), self._signed_in_again)

    async def _signed_in_again(self, fresh: "Session | None") -> None:
        if fresh is None or self.session is None:
            return
        if fresh.client is not self.session.client:
            self.session.client.auth = fresh.client.auth
            self.session.label = fresh.label
            await fresh.client.aclose()
            if fresh.store is not None and fresh.store is not self.session.store:
                fresh.store.close()
        self.notify("Signed in again. Press ctrl+s to save the open form, if any.", title="Keap")
        for screen in self.screen_stack:  # the main screen may be under an open form
            for pane in screen.query("FeedPane"):
                pane.poll_now(manual=True)

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.close()

    # -- actions ----------------------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def watch_theme(self, theme: str) -> None:
        """The theme choice persists in the config file."""
        if theme == self.settings.theme:
            return
        from infusion_tui.settings import SettingsError, save_preference

        try:
            save_preference(self.settings, "theme", theme)
        except (OSError, SettingsError):
            pass  # a read-only config dir must not break the app; the theme still applies now

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette lists the same actions as the keys and the help screen."""
        yield from super().get_system_commands(screen)
        for action in ACTIONS:
            if action.scope == "app" and action.action in ("command_palette", "quit", "change_theme"):
                continue
            target = self._target(action.scope, screen)
            if target is not None:
                yield SystemCommand(action.help, f"{action.label} · {action.keys.split(',')[0]}",
                                    lambda t=target, a=action.action: t.run_action(a))

    def _target(self, scope: str, screen: Screen):
        if scope == "app":
            return self
        if SCREEN_SCOPES.get(scope) == type(screen).__name__:
            return screen  # the form's and the details' own keys, while they are open
        from textual.css.query import NoMatches

        try:
            return screen.query_one(f"#{scope}")
        except NoMatches:
            return None


def run_app(settings: "Settings", connector: "Connector") -> int:
    app = InfusionApp(settings, connector)
    result = app.run()
    return result if isinstance(result, int) else 0
