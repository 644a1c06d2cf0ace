"""Logging in with Keap's OAuth authorization-code flow, without any UI.

The pieces a login screen or `infusion-tui login` puts together: build the authorize URL, catch
the browser's redirect on a loopback port (or parse a URL the user pasted), and trade the code
for tokens.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from infusion_tui.clock import REAL_CLOCK, Clock
from infusion_tui.keap.errors import AuthError
from infusion_tui.keap.loopback import LoopbackReceiver
from infusion_tui.keap.tokens import (
    LoginUnavailable,
    OAuthTokens,
    code_request,
    read_token_response,
    token_error,
)

KEAP_AUTHORIZE_URL = "https://accounts.infusionsoft.com/app/oauth/authorize"
KEAP_TOKEN_URL = "https://api.infusionsoft.com/token"
_KEAP_API_HOSTS = frozenset({"api.infusionsoft.com", "api.keap.com"})

__all__ = [
    "KEAP_AUTHORIZE_URL",
    "KEAP_TOKEN_URL",
    "LoopbackReceiver",
    "authorize_url",
    "endpoints_for",
    "exchange_code",
    "new_state",
    "parse_redirect",
]

BAD_CLIENT = (
    "Keap did not accept the app's client ID and secret. Check the client secret in your Keap "
    "developer app (it is probably wrong or was regenerated), then log in again."
)
STALE_CODE = "Keap refused the sign-in code (it expires quickly and works once). Log in again."


def endpoints_for(base_url: str) -> tuple[str, str]:
    """(authorize URL, token URL): Keap's own for Keap's API, `{origin}/...` for a sandbox."""
    url = urlsplit(base_url)
    if url.hostname in _KEAP_API_HOSTS:
        return KEAP_AUTHORIZE_URL, KEAP_TOKEN_URL
    origin = f"{url.scheme}://{url.netloc}"
    return f"{origin}/app/oauth/authorize", f"{origin}/token"


def new_state() -> str:
    """An unguessable value tying the browser's redirect to this login attempt."""
    return secrets.token_urlsafe(24)


def authorize_url(authorize_endpoint: str, client_id: str, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",  # the only values Keap accepts
            "scope": "full",
            "state": state,
        }
    )
    return f"{authorize_endpoint}?{query}"


def parse_redirect(url_or_query: str, expected_state: str) -> str:
    """The code from the URL Keap redirected to (pasted whole, or just its query string)."""
    text = url_or_query.strip()
    query = urlsplit(text).query if "://" in text else text.lstrip("?")
    params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    state = params.get("state", "")
    if not secrets.compare_digest(state.encode(), expected_state.encode()):
        raise AuthError(
            "That sign-in answer belongs to a different login attempt (state mismatch). "
            "Start the login again and use the newest browser tab."
        )
    if params.get("error"):
        detail = params.get("error_description") or params["error"]
        if params["error"] == "access_denied":
            raise AuthError("The Keap login was cancelled in the browser. Log in again to connect.")
        raise AuthError(f"Keap did not sign you in: {detail[:200]}")
    code = params.get("code")
    if not code:
        raise AuthError("That URL has no sign-in code in it. Copy the whole address from the browser.")
    return code


async def exchange_code(
    http: httpx.AsyncClient,
    token_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    clock: Clock = REAL_CLOCK,
) -> OAuthTokens:
    """Trade the authorization code for tokens (client credentials in the form body)."""
    request = code_request(token_url, code, redirect_uri, client_id, client_secret)
    try:
        response = await http.send(request, auth=None)
    except httpx.TransportError as exc:
        raise LoginUnavailable(
            f"Could not reach Keap to finish the login ({type(exc).__name__}). "
            "Check your connection and try again."
        ) from None
    if response.status_code in (400, 401):
        error, description = token_error(response)
        bad_client = "authenticate" in description.lower() or error == "invalid_client"
        if response.status_code == 401 or bad_client:
            raise AuthError(BAD_CLIENT, status=response.status_code)
        raise AuthError(STALE_CODE, status=response.status_code)
    return read_token_response(response, clock.now(), refused=STALE_CODE)
