"""OAuth state: authorization codes, access tokens, rotating refresh tokens, the API key.

Rules (CONTRACT.md section 7):
- A code is single-use, tied to its redirect_uri, and lives 10 minutes.
- Access tokens live ``access_token_ttl`` seconds on the sandbox clock. After a refresh the
  previous access token stays valid until it expires (the gateway has no reason to revoke it).
- Refresh tokens ROTATE: each refresh returns a new one and kills the old one; a second use
  of the old one is ``invalid_grant``. They live ``refresh_token_ttl`` (45 days).
- ``Authorization: Bearer <api key>`` is NOT accepted, although a third party reports it
  works on real Keap: it is unofficial, and a client relying on it should be caught here.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

CODE_TTL = 600.0


@dataclass
class Grant:
    client_id: str
    expires_at: float


@dataclass
class Identity:
    """Who a request is: what the quota meters and which user's tasks /tasks/search shows."""
    credential: str  # "key:<n>" or "oauth:<client_id>", never the secret itself
    kind: str  # "api_key" | "oauth"
    user_id: int


class TokenError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


class Tokens:
    def __init__(self, clock, *, api_key: str, client_id: str, client_secret: str,
                 access_token_ttl: float, refresh_token_ttl: float, scope: str, user_id: int) -> None:
        self.clock = clock
        self.api_key: str | None = api_key
        self.client_id, self.client_secret = client_id, client_secret
        self.access_ttl, self.refresh_ttl = access_token_ttl, refresh_token_ttl
        self.scope = scope
        self.user_id = user_id
        self.codes: dict[str, tuple[str, float]] = {}  # code -> (redirect_uri, expires_at)
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.refresh_count = 0
        self._lock = threading.Lock()

    # --- checks made by the gateway -------------------------------------------------
    def identify_key(self, key: str) -> Identity | None:
        if self.api_key is not None and secrets.compare_digest(key, self.api_key):
            return Identity("key:1", "api_key", self.user_id)
        return None

    def identify_bearer(self, token: str) -> Identity | str:
        """Identity, or the reason it failed: "invalid" or "expired"."""
        grant = self.access.get(token)
        if grant is None:
            return "invalid"
        if self.clock.now() >= grant.expires_at:
            return "expired"
        return Identity(f"oauth:{grant.client_id}", "oauth", self.user_id)

    def expire_access_tokens(self) -> None:
        now = self.clock.now()
        with self._lock:
            for grant in self.access.values():
                grant.expires_at = min(grant.expires_at, now)

    def revoke_api_key(self) -> None:
        self.api_key = None

    # --- the authorization-code flow ------------------------------------------------
    def new_code(self, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(18)
        with self._lock:
            self.codes[code] = (redirect_uri, self.clock.now() + CODE_TTL)
        return code

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        ok = (client_id == self.client_id and client_secret is not None
              and secrets.compare_digest(client_secret, self.client_secret))
        if not ok:
            raise TokenError(401, "invalid_grant", "Unable to authenticate username and password")

    def exchange_code(self, code: str | None, redirect_uri: str | None) -> dict:
        with self._lock:
            entry = self.codes.pop(code or "", None)  # single use, even when it then fails
        if entry is None or self.clock.now() >= entry[1]:
            raise TokenError(400, "invalid_grant", "Invalid authorization code")
        if redirect_uri != entry[0]:
            raise TokenError(400, "invalid_grant", "Redirect URI does not match")
        return self.issue()

    def use_refresh_token(self, token: str | None) -> dict:
        with self._lock:
            grant = self.refresh.pop(token or "", None)  # rotation: the old one dies here
            if grant is None or self.clock.now() >= grant.expires_at:
                raise TokenError(400, "invalid_grant", "Invalid refresh token")
            self.refresh_count += 1
        return self.issue()

    def issue(self) -> dict:
        """A fresh access + refresh token pair, as the /token response body."""
        now = self.clock.now()
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            self.access[access] = Grant(self.client_id, now + self.access_ttl)
            self.refresh[refresh] = Grant(self.client_id, now + self.refresh_ttl)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(self.access_ttl),
            "token_type": "bearer",
            "scope": self.scope,
        }
