"""OAuth tokens and Keap's token endpoint: the request shapes and what its answers mean.

Shared by the refresh flow (auth.py) and the login code exchange (oauth.py), so both read
Keap's RFC 6749 errors the same way.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from infusion_tui.keap.errors import AuthError, Unavailable


class LoginUnavailable(Unavailable):
    """The token endpoint failed for now (5xx, timeout, network): keep the tokens, try later.

    The API call that needed the new token was refused (401) or not sent, so retrying it is
    safe even for a POST.
    """

# Marks a request the call budget must not count: Keap does not meter its token endpoint.
UNMETERED = "infusion_tui.unmetered"

LOGIN_EXPIRED = (
    "Your Keap login has expired or was revoked. "
    "Run `infusion-tui login` (or reconnect) to sign in again."
)


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    """An access token, the refresh token that renews it, and when it expires (epoch seconds)."""

    access_token: str
    refresh_token: str
    expires_at: float | None = None

    def __repr__(self) -> str:
        return f"OAuthTokens(access_token='***', refresh_token='***', expires_at={self.expires_at!r})"

    __str__ = __repr__

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at is not None and self.expires_at - now <= seconds

    def to_dict(self) -> dict[str, Any]:
        """For the keyring: plain JSON-able values."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "OAuthTokens":
        expires_at = data.get("expires_at")
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            expires_at=float(expires_at) if expires_at is not None else None,
        )


class _TokenResponse(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: float | None = None
    token_type: str | None = None
    scope: str | None = None


def basic_auth(client_id: str, client_secret: str) -> str:
    raw = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def refresh_request(
    token_url: str, refresh_token: str, client_id: str, client_secret: str
) -> httpx.Request:
    """The refresh grant as Keap documents it: form body, client credentials as Basic auth."""
    return httpx.Request(
        "POST",
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers={"Authorization": basic_auth(client_id, client_secret), "Accept": "application/json"},
        extensions={UNMETERED: True},
    )


def code_request(
    token_url: str, code: str, redirect_uri: str, client_id: str, client_secret: str
) -> httpx.Request:
    """The authorization-code grant: client credentials in the form body (Keap's docs)."""
    form = {
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
    }
    headers = {"Accept": "application/json"}
    return httpx.Request("POST", token_url, data=form, headers=headers, extensions={UNMETERED: True})


def read_token_response(
    response: httpx.Response, now: float, *, refused: str = LOGIN_EXPIRED
) -> OAuthTokens:
    """Tokens from a 200, or the error a person can act on.

    `refused` is the message for a definitive no (invalid_grant and friends); 5xx and 429 are
    Unavailable, so callers keep the tokens they have and try again later.
    """
    status = response.status_code
    if status == 200:
        try:
            data = msgspec.json.decode(response.content, type=_TokenResponse)
        except (msgspec.ValidationError, msgspec.DecodeError):
            raise LoginUnavailable(
                "Keap's login service sent an unreadable answer; try again shortly.", status=status
            ) from None
        expires_at = now + data.expires_in if data.expires_in is not None else None
        return OAuthTokens(data.access_token, data.refresh_token, expires_at)
    if status >= 500 or status == 429:
        raise LoginUnavailable(
            f"Keap's login service is not available (HTTP {status}); try again shortly.", status=status
        )
    raise AuthError(refused, status=status)


def token_error(response: httpx.Response) -> tuple[str, str]:
    """(error, error_description) from an RFC 6749 error body, '' where absent."""
    try:
        data = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("error") or ""), str(data.get("error_description") or "")
