"""From Settings and a Credential to what the app needs: a KeapClient, bundled in a Session.

The UI never builds clients or touches the keyring itself: `cli.py` hands `run_app` a
`Connector`, whose `open()` gives a `Session` (or raises `NotLoggedIn`, and the app shows its
connect screen, which calls `login_with_key`). Demo mode reaches an in-process sandbox through
httpx.ASGITransport (`Sandbox.transport()`): no network, no keyring, no account. No textual.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from infusion_tui.clock import REAL_CLOCK, Clock
from infusion_tui.credentials import Credential, CredentialError, CredentialStore
from infusion_tui.settings import KEAP_POLL_FLOOR, Settings, with_declared_poll_interval

if TYPE_CHECKING:
    import httpx

    from infusion_tui.keap.client import KeapClient
    from infusion_tui.sandbox import Sandbox
    from infusion_tui.session import Session

log = logging.getLogger(__name__)

DEMO_ORIGIN = "http://sandbox.test"
DEMO_API_KEY = "sandbox-key"
DEMO_SEED = 7  # fixed, so the demo (and its screenshots) look the same every run
DEMO_ORDER_EVERY = 20.0  # a new order about every 20 s keeps the live feed lively
DEMO_TASK_EVERY = 90.0
PASTE_REDIRECT = "http://localhost/callback"  # nothing listens: the browser's address bar has the code
LOGIN_TIMEOUT = 300.0


class NotLoggedIn(Exception):
    """No credential for this profile: the app shows its connect screen."""


async def open_client(
    settings: Settings,
    credential: Credential,
    *,
    store: CredentialStore | None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = REAL_CLOCK,
    max_retries: int | None = None,
    on_rotate: Callable[[Credential], None] | None = None,
    on_save_error: Callable[[CredentialError], None] | None = None,
) -> KeapClient:
    """A client for `settings.base_url` that authenticates with `credential`.

    OAuth: every rotated token pair is written to `store` before the new access token is used
    (Keap has already invalidated the old refresh token). With store=None rotations live in
    memory only. `on_rotate` hears about each new pair (e.g. to redact it from logs);
    `on_save_error` about a pair the keyring would not take (the session goes on in memory).
    """
    from infusion_tui.keap.auth import ApiKeyAuth, OAuthAuth
    from infusion_tui.keap.budget import CallBudget
    from infusion_tui.keap.client import KeapClient

    auth: httpx.Auth
    if credential.kind == "api_key":
        auth = ApiKeyAuth(credential.api_key or "")
    else:
        from infusion_tui.keap.oauth import endpoints_for

        _, token_url = endpoints_for(settings.base_url)

        async def save(tokens: Any) -> None:
            rotated = Credential.from_tokens(tokens, credential.client_id or "", credential.client_secret)
            rotated = dataclasses.replace(rotated, source="keyring")
            if on_rotate is not None:
                on_rotate(rotated)
            if store is None:
                return
            try:
                await store.save(rotated)  # OAuthAuth awaits this before using the new token
            except CredentialError as exc:
                if on_save_error is not None:
                    on_save_error(exc)
                raise  # OAuthAuth logs it and keeps the new tokens in memory

        auth = OAuthAuth(
            credential.oauth_tokens(),
            credential.client_id or "",
            credential.client_secret or "",
            token_url,
            save=save,
            clock=clock,
        )
    budget = CallBudget(calls=settings.calls_per_minute, period=60.0, clock=clock)
    extra = {"max_retries": max_retries} if max_retries is not None else {}
    return KeapClient(settings.base_url, auth, budget=budget, transport=transport, clock=clock, **extra)


def demo_connection(settings: Settings, clock: Clock = REAL_CLOCK) -> tuple[KeapClient, Sandbox]:
    """A client wired to a fresh in-process sandbox (fixed seed, orders keep arriving)."""
    from infusion_tui.keap.auth import ApiKeyAuth
    from infusion_tui.keap.budget import CallBudget
    from infusion_tui.keap.client import KeapClient
    from infusion_tui.sandbox import Sandbox

    sandbox = Sandbox(
        seed=DEMO_SEED,
        api_key=DEMO_API_KEY,
        clock=clock,
        order_every=DEMO_ORDER_EVERY,
        task_every=DEMO_TASK_EVERY,
        calls_per_minute=settings.calls_per_minute,
    )
    client = KeapClient(
        sandbox.base_url_for(DEMO_ORIGIN),
        ApiKeyAuth(DEMO_API_KEY),
        budget=CallBudget(calls=settings.calls_per_minute, period=60.0, clock=clock),
        transport=sandbox.transport(),  # httpx.ASGITransport that also honours read timeouts
        clock=clock,
    )
    return client, sandbox


async def verify_credential(
    settings: Settings, credential: Credential, *, transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = REAL_CLOCK,
) -> None:
    """One cheap call with `credential`; AuthError if Keap refuses it. Stores nothing."""
    client = await open_client(settings, credential, store=None, transport=transport, clock=clock, max_retries=1)
    async with client:
        await client.verify()


async def oauth_login(
    settings: Settings,
    client_id: str,
    client_secret: str,
    *,
    on_url: Callable[[str, str], Awaitable[None] | None] | None = None,
    paste: Callable[[str], Awaitable[str]] | None = None,
    redirect_uri: str = PASTE_REDIRECT,
    port: int = 0,
    timeout: float = LOGIN_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = REAL_CLOCK,
) -> Credential:
    """Keap's authorization-code login; the checked Credential, not yet stored.

    With `paste`, it gets the authorize URL and returns the address the browser ended on
    (for a browser on another machine); otherwise a loopback receiver catches the redirect and
    `on_url(authorize_url, redirect_uri)` is told where to send the browser.
    """
    import inspect

    from infusion_tui.keap import oauth

    authorize_endpoint, _ = oauth.endpoints_for(settings.base_url)
    state = oauth.new_state()
    if paste is not None:
        code = oauth.parse_redirect(await paste(oauth.authorize_url(authorize_endpoint, client_id, redirect_uri, state)), state)
    else:
        async with oauth.LoopbackReceiver(state, port=port) as rx:
            redirect_uri = rx.redirect_uri
            shown = on_url(oauth.authorize_url(authorize_endpoint, client_id, redirect_uri, state), redirect_uri) if on_url else None
            if inspect.isawaitable(shown):
                await shown
            code = await rx.wait(timeout)
    credential = await exchange_code(settings, client_id, client_secret, code, redirect_uri, transport=transport, clock=clock)
    await verify_credential(settings, credential, transport=transport, clock=clock)
    return credential


async def exchange_code(
    settings: Settings, client_id: str, client_secret: str, code: str, redirect_uri: str, *,
    transport: httpx.AsyncBaseTransport | None = None, clock: Clock = REAL_CLOCK,
) -> Credential:
    """Trade an authorization code for tokens at the token URL that goes with the base URL."""
    import httpx

    from infusion_tui.keap import oauth

    _, token_url = oauth.endpoints_for(settings.base_url)
    async with httpx.AsyncClient(transport=transport, timeout=20.0) as http:
        tokens = await oauth.exchange_code(http, token_url, client_id, client_secret, code, redirect_uri, clock)
    return Credential.from_tokens(tokens, client_id, client_secret)


class Connector:
    """The connection factory handed to the app: knows the settings and where credentials live.

    `credential` is what the CLI found (KEAP_API_KEY or the keyring), None when nobody is
    logged in. `credentials` is the profile's keyring entry; None when it must not be used
    (a KEAP_API_KEY run never stores anything).
    """

    def __init__(
        self,
        settings: Settings,
        credential: Credential | None = None,
        *,
        credentials: CredentialStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = REAL_CLOCK,
        open_store: Callable[[Settings], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.credential = credential
        self.credentials = credentials
        self.transport = transport
        self.clock = clock
        self.open_store = open_store if open_store is not None else _profile_store
        self.sandbox: Sandbox | None = None
        # Told (once per failure) when renewed OAuth tokens could not be kept: the app notifies.
        self.on_problem: Callable[[str], None] | None = None

    def __repr__(self) -> str:
        return f"Connector(profile={self.settings.profile!r}, demo={self.settings.demo}, credential={self.credential!r})"

    @property
    def needs_login(self) -> bool:
        return not self.settings.demo and self.credential is None

    def secrets(self) -> tuple[str, ...]:
        """Secrets in use right now (rotated tokens included), for the log filter."""
        return self.credential.secrets() if self.credential is not None else ()

    def _rotated(self, credential: Credential) -> None:
        self.credential = credential

    def _not_saved(self, exc: CredentialError) -> None:
        message = (
            f"Your renewed Keap login could not be saved to the keyring ({getattr(exc, 'detail', exc)}); it works until "
            "you quit, then you will have to log in again."
        )
        log.warning("%s", message)
        if self.on_problem is not None:
            self.on_problem(message)

    async def open(self) -> Session:
        """A Session for the app; NotLoggedIn when there is no credential (not in demo)."""
        if self.settings.demo:
            client, self.sandbox = demo_connection(self.settings, self.clock)
            self.settings = with_declared_poll_interval(self.settings, self.sandbox.poll_interval)
            return self._session(client, "demo sandbox", floor=self.sandbox.poll_interval, store=None)
        if self.credential is None:
            raise NotLoggedIn(f"no credential stored for profile '{self.settings.profile}'")
        client = await open_client(
            self.settings, self.credential, store=self.credentials, transport=self.transport,
            clock=self.clock, on_rotate=self._rotated, on_save_error=self._not_saved,
        )
        return self._session(client, _label(self.credential), floor=self._floor(), store=self.open_store(self.settings))

    async def login_with_key(self, api_key: str) -> Session:
        """Check a pasted key with one cheap call, store it, and connect with it.

        Raises AuthError (refused: nothing stored), Unavailable (Keap not reached) or
        KeyringUnavailable (good key, nowhere to keep it); each message is fit to show.
        """
        return await self._adopt(Credential.from_api_key(api_key))

    async def _adopt(self, credential: Credential) -> Session:
        # Check first (nothing is stored for a refused credential), then store, then connect.
        credential = dataclasses.replace(credential, source="keyring" if self.credentials else "login")
        client = await open_client(
            self.settings, credential, store=self.credentials, transport=self.transport,
            clock=self.clock, on_rotate=self._rotated, on_save_error=self._not_saved,
        )
        try:
            await client.verify()
            if self.credentials is not None:
                await self.credentials.save(credential)
        except BaseException:
            await client.aclose()
            raise
        self.credential = credential
        return self._session(client, _label(credential), floor=self._floor(), store=self.open_store(self.settings))

    def _floor(self) -> float:
        # Real Keap: one poll per 120 s. A loopback sandbox: the interval the user chose.
        return min(self.settings.poll_interval, KEAP_POLL_FLOOR) if self.settings.is_local else KEAP_POLL_FLOOR

    async def login_with_oauth(self, client_id: str, client_secret: str, code: str, redirect_uri: str) -> Session:
        """Finish an OAuth login (the code from the redirect): exchange, check, store, connect."""
        credential = await exchange_code(
            self.settings, client_id, client_secret, code, redirect_uri, transport=self.transport, clock=self.clock
        )
        return await self._adopt(credential)

    async def open_demo(self) -> Session:
        """Switch this run to the demo sandbox (the connect screen's third way in)."""
        self.settings = dataclasses.replace(self.settings, demo=True)
        return await self.open()

    async def logout(self) -> bool:
        """Forget the stored credential; True if there was one."""
        self.credential = None
        return await self.credentials.delete() if self.credentials is not None else False

    # The one place a Session is put together (the UI's side of the bargain).
    def _session(self, client: KeapClient, label: str, *, floor: float, store: Any) -> Session:
        from infusion_tui.session import Session

        return Session(
            client=client,
            profile=self.settings.profile,
            label=label,
            store=store,
            poll_interval=max(self.settings.poll_interval, floor),
            poll_floor=floor,
            clock=self.clock,
            calls_per_minute=self.settings.calls_per_minute,
            sandbox=self.sandbox,
        )


def _label(credential: Credential) -> str:
    if credential.source == "environment":
        return "KEAP_API_KEY"
    return "OAuth app" if credential.kind == "oauth" else "API key"


def _profile_store(settings: Settings) -> Any:
    """The profile's local cache (SQLite) in the data dir."""
    from infusion_tui.store import Store

    return Store.for_profile(settings.data_dir, settings.profile)
