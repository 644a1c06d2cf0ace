"""httpx.Auth flows: a personal access token / service account key, or OAuth with refresh.

OAuth refresh is single-flight. Keap rotates the refresh token on every use and rejects the old
one, so two refreshes racing with the same token log the user out. However many requests see a
401 (or an access token about to expire), one refresh runs and everyone else waits for its
result. The refresh runs as its own task, shielded from the requests that wait for it: a request
cancelled mid-refresh must not throw away the rotated token Keap has already issued.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

import httpx

from infusion_tui.clock import REAL_CLOCK, Clock
from infusion_tui.keap.errors import AuthError, KeapError
from infusion_tui.keap.tokens import (
    LOGIN_EXPIRED,
    LoginUnavailable,
    OAuthTokens,
    read_token_response,
    refresh_request,
)

logger = logging.getLogger("infusion_tui.keap")

API_KEY_REFUSED = (
    "Keap refused the API key: it may have been revoked. Create a new key in Keap under "
    "Settings → API Settings, then run `infusion-tui login`."
)

# Refresh this long before the access token expires, so a request never leaves with a token
# that dies on the way.
REFRESH_MARGIN = 60.0


class ApiKeyAuth(httpx.Auth):
    """A personal access token or service account key, sent as `X-Keap-API-Key`."""

    refused_message = API_KEY_REFUSED

    def __init__(self, key: str) -> None:
        if not key or not key.strip():
            raise ValueError("an API key is required")
        self._key = key.strip()

    def __repr__(self) -> str:
        return "ApiKeyAuth(key='***')"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Keap-API-Key"] = self._key
        yield request


SaveTokens = Callable[[OAuthTokens], "Awaitable[None] | None"]


class OAuthAuth(httpx.Auth):
    """Bearer tokens from Keap's OAuth, refreshed once on 401 or near expiry.

    `save` receives every rotated pair and is awaited before the new access token is used, so
    the refresh token on disk is never one Keap has already invalidated.
    """

    refused_message = LOGIN_EXPIRED

    def __init__(
        self,
        tokens: OAuthTokens,
        client_id: str,
        client_secret: str,
        token_url: str,
        save: SaveTokens,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        self._tokens = tokens
        self._client_id = client_id
        self._client_secret = client_secret
        self.token_url = token_url
        self._save = save
        self._clock = clock
        self._refreshing: asyncio.Future[OAuthTokens] | None = None
        self._dead: AuthError | None = None  # set once Keap refused the refresh token
        self._http: httpx.AsyncClient | None = None
        self.refresh_count = 0

    def __repr__(self) -> str:
        return f"OAuthAuth(client_id={self._client_id!r}, tokens={self._tokens!r})"

    @property
    def tokens(self) -> OAuthTokens:
        return self._tokens

    def set_tokens(self, tokens: OAuthTokens) -> None:
        """Adopt tokens from a new login (clears a previous 'login expired' state)."""
        self._tokens, self._dead = tokens, None

    def bind(self, http: httpx.AsyncClient) -> None:
        """Send refreshes through `http` (KeapClient does this; it shares the transport)."""
        self._http = http

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("OAuthAuth needs an httpx.AsyncClient")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = self._tokens
        if tokens.expires_within(REFRESH_MARGIN, self._clock.now()):
            try:
                tokens = await self.refresh(tokens)
            except LoginUnavailable:
                pass  # the old token may still work; a 401 below will try again
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code != 401:
            return
        tokens = await self.refresh(tokens)
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        yield request  # a second 401 is final: the client turns it into AuthError

    async def refresh(self, failed: OAuthTokens) -> OAuthTokens:
        """New tokens, unless `failed` is no longer current (someone already refreshed)."""
        if self._dead is not None:
            raise self._dead
        if self._tokens.access_token != failed.access_token:
            return self._tokens
        if self._refreshing is None:
            self._refreshing = asyncio.ensure_future(self._refresh(self._tokens))
            # If every waiter was cancelled, nobody reads the outcome: don't warn about that.
            self._refreshing.add_done_callback(lambda f: f.cancelled() or f.exception())
        return await asyncio.shield(self._refreshing)

    async def _refresh(self, current: OAuthTokens) -> OAuthTokens:
        try:
            request = refresh_request(
                self.token_url, current.refresh_token, self._client_id, self._client_secret
            )
            response = await self._post(request)
            self.refresh_count += 1
            try:
                new = read_token_response(response, self._clock.now())
            except AuthError as exc:
                self._dead = exc
                raise
            logger.debug("OAuth refresh succeeded; saving the rotated tokens")
            await self._save_tokens(new)
            self._tokens = new  # only now may a request use the new access token
            return new
        finally:
            self._refreshing = None

    async def _post(self, request: httpx.Request) -> httpx.Response:
        try:
            if self._http is not None:
                request.extensions["timeout"] = self._http.timeout.as_dict()
                return await self._http.send(request, auth=None)
            async with httpx.AsyncClient(timeout=20.0) as http:
                return await http.send(request)
        except httpx.TransportError as exc:
            raise LoginUnavailable(
                "Could not reach Keap to renew your login "
                f"({type(exc).__name__}). Check your connection; the app will retry."
            ) from None

    async def _save_tokens(self, tokens: OAuthTokens) -> None:
        try:
            result = self._save(tokens)
            if inspect.isawaitable(result):
                await result
        except KeapError:
            raise
        except Exception as exc:
            # Keap has already invalidated the old refresh token, so dropping the new one would
            # log the user out for sure; keep it in memory and say saving failed.
            logger.warning(
                "Could not save the renewed Keap login (%s); it will not survive a restart.",
                type(exc).__name__,
            )
