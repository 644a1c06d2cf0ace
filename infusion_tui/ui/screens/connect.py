"""The connect screen: paste a key, log in with an OAuth app, or try the demo sandbox.

Nothing here touches the keyring or builds HTTP clients: the `Connector` does, and every
failure comes back as an error whose message is shown as it is (literally, never as markup).
"""

from __future__ import annotations

import asyncio
import webbrowser
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Static

from infusion_tui.connection import Connector
from infusion_tui.credentials import CredentialError
from infusion_tui.keap.errors import KeapError
from infusion_tui.keap.oauth import LoopbackReceiver, authorize_url, endpoints_for, new_state, parse_redirect

if TYPE_CHECKING:
    from infusion_tui.session import Session

EXPECTED = (KeapError, CredentialError)


class ConnectScreen(Screen["Session | None"]):
    DEFAULT_CSS = """
    ConnectScreen { align: center top; }
    ConnectScreen #connect { width: 84; max-width: 100%; height: auto; padding: 0 1; }
    ConnectScreen .card { height: auto; border: round $panel-lighten-2; padding: 0 1; margin-bottom: 1; }
    ConnectScreen .card:focus-within { border: round $accent; }
    ConnectScreen .hint { color: $text-muted; }
    ConnectScreen .row { height: auto; }
    ConnectScreen .row Input { width: 1fr; }
    ConnectScreen Button { margin-left: 1; min-width: 12; }
    ConnectScreen #problem { color: $text-error; text-style: bold; margin-bottom: 1; display: none; }
    ConnectScreen #problem.-shown { display: block; }
    ConnectScreen #oauth-wait { display: none; height: auto; }
    ConnectScreen #oauth-wait.-shown { display: block; }
    ConnectScreen #busy { color: $text-accent; height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+d", "demo", "Try the demo", id="connect.demo"),
        Binding("escape", "quit", "Back / quit", id="connect.quit"),
    ]
    AUTO_FOCUS = "#api-key"

    def __init__(self, connector: Connector, *, problem: str | None = None, again: bool = False) -> None:
        super().__init__()
        self.connector = connector
        self.problem = problem
        self.again = again  # signing in again mid-session: esc goes back instead of quitting
        self._state: str | None = None
        self._redirect_uri: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="connect"):
            yield Static("Connect infusion-tui to your Keap account", classes="title")
            yield Static(id="problem")
            with Vertical(classes="card", id="key-card") as card:
                card.border_title = "1 · Personal access token or service account key"
                yield Static("Create one in Keap under Settings → API Settings. It is checked with one "
                             "call, then kept in your system keyring.", classes="hint")
                with Horizontal(classes="row"):
                    yield Input(placeholder="Paste the key here", password=True, id="api-key")
                    yield Button("Connect", id="key-connect", variant="primary")
            with Vertical(classes="card", id="oauth-card") as card:
                card.border_title = "2 · Log in with an OAuth app"
                yield Static("Your Keap developer app's client ID and secret. The browser opens Keap's "
                             "login; the answer comes back to this machine.", classes="hint")
                yield Input(placeholder="Client ID", id="client-id")
                with Horizontal(classes="row"):
                    yield Input(placeholder="Client secret", password=True, id="client-secret")
                    yield Button("Log in", id="oauth-start")
                with Vertical(id="oauth-wait"):
                    yield Static(id="oauth-url", classes="hint")
                    with Horizontal(classes="row"):
                        yield Input(placeholder="…or paste the address the browser ended on", id="redirect-url")
                        yield Button("Use it", id="oauth-paste")
            with Vertical(classes="card", id="demo-card") as card:
                card.border_title = "3 · Just looking?"
                with Horizontal(classes="row"):
                    yield Static("Try everything on a built-in demo Keap (no account, nothing stored).",
                                 classes="hint")
                    yield Button("Try the demo", id="demo")
            yield Static(id="busy")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"profile {self.connector.settings.profile} · not connected"
        if self.problem:
            self.show_problem(self.problem)

    def show_problem(self, message: str | None) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(Text(message or ""))
        problem.set_class(bool(message), "-shown")

    def _busy(self, message: str) -> None:
        self.query_one("#busy", Static).update(Text(message))

    # -- 1: a key ---------------------------------------------------------------------------

    @on(Button.Pressed, "#key-connect")
    @on(Input.Submitted, "#api-key")
    def _key(self) -> None:
        key = self.query_one("#api-key", Input).value.strip()
        if not key:
            self.show_problem("Paste a personal access token or service account key first.")
            return
        self.show_problem(None)
        self._busy("Checking the key with Keap…")
        self._login_with_key(key)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _login_with_key(self, key: str) -> None:
        try:
            session = await self.connector.login_with_key(key)
        except EXPECTED as exc:
            self._busy("")
            self.show_problem(str(exc))
            return
        self.dismiss(session)

    # -- 2: OAuth ---------------------------------------------------------------------------

    @on(Button.Pressed, "#oauth-start")
    @on(Input.Submitted, "#client-secret")
    def _oauth(self) -> None:
        client_id = self.query_one("#client-id", Input).value.strip()
        secret = self.query_one("#client-secret", Input).value.strip()
        if not client_id or not secret:
            self.show_problem("Enter the OAuth app's client ID and client secret.")
            return
        self.show_problem(None)
        self._oauth_flow(client_id, secret)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _oauth_flow(self, client_id: str, secret: str) -> None:
        authorize_endpoint, _ = endpoints_for(self.connector.settings.base_url)
        self._state = new_state()
        try:
            async with LoopbackReceiver(self._state) as receiver:
                self._redirect_uri = receiver.redirect_uri
                url = authorize_url(authorize_endpoint, client_id, receiver.redirect_uri, self._state)
                self.query_one("#oauth-url", Static).update(
                    Text(f"Opening your browser at Keap's login. If it does not open, visit:\n{url}")
                )
                self.query_one("#oauth-wait").add_class("-shown")
                self._busy("Waiting for the browser…")
                await asyncio.to_thread(webbrowser.open, url)
                code = await receiver.wait(timeout=600)
            await self._finish_oauth(client_id, secret, code)
        except EXPECTED as exc:
            self._busy("")
            self.show_problem(str(exc))
        except (TimeoutError, asyncio.TimeoutError):
            self._busy("")
            self.show_problem("No answer from the browser in 10 minutes. Press Log in to try again.")

    @on(Button.Pressed, "#oauth-paste")
    @on(Input.Submitted, "#redirect-url")
    def _pasted(self) -> None:
        pasted = self.query_one("#redirect-url", Input).value
        if self._state is None or self._redirect_uri is None:
            self.show_problem("Press Log in first, then paste the address the browser ended on.")
            return
        try:
            code = parse_redirect(pasted, self._state)
        except KeapError as exc:
            self.show_problem(str(exc))
            return
        client_id = self.query_one("#client-id", Input).value.strip()
        secret = self.query_one("#client-secret", Input).value.strip()
        self.workers.cancel_group(self, "login")  # stop waiting on the loopback listener
        self._finish_pasted(client_id, secret, code)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _finish_pasted(self, client_id: str, secret: str, code: str) -> None:
        try:
            await self._finish_oauth(client_id, secret, code)
        except EXPECTED as exc:
            self._busy("")
            self.show_problem(str(exc))

    async def _finish_oauth(self, client_id: str, secret: str, code: str) -> None:
        self._busy("Signing in…")
        assert self._redirect_uri is not None
        session = await self.connector.login_with_oauth(client_id, secret, code, self._redirect_uri)
        self.dismiss(session)

    # -- 3: the demo ------------------------------------------------------------------------

    @on(Button.Pressed, "#demo")
    def action_demo(self) -> None:
        self._open_demo()

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _open_demo(self) -> None:
        self.dismiss(await self.connector.open_demo())

    def action_quit(self) -> None:
        self.dismiss(None)  # at start the app then quits; mid-session the user is back where they were
