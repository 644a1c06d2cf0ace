"""Credentials in the OS keyring: one entry per profile, and a clear word when there is none.

Entry: service "infusion-tui", username = profile, password = JSON
{"kind": "api_key", "api_key": ...} or
{"kind": "oauth", "access_token", "refresh_token", "expires_at", "client_id", "client_secret"}.

Every keyring call runs in a daemon thread with a timeout: a locked keyring can block forever
waiting for an unlock prompt nobody sees, and a daemon thread stuck there cannot hold up exit
(asyncio.to_thread's executor is joined at shutdown). There is never a plaintext fallback: with
no usable keyring, `KeyringUnavailable` says how to get one, or to use KEAP_API_KEY for one run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

SERVICE = "infusion-tui"
ENV_API_KEY = "KEAP_API_KEY"

T = TypeVar("T")


class CredentialError(Exception):
    """A credential could not be read or kept; `str(err)` is one line for the user."""


class KeyringUnavailable(CredentialError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            f"no usable system keyring ({detail}), so credentials cannot be stored. "
            "Fix: unlock your desktop keyring; on headless Linux install gnome-keyring and run "
            "inside a D-Bus session with the keyring unlocked; or `pip install keyrings.alt` only "
            "if you accept a plaintext file. For a single run without storing anything: "
            "KEAP_API_KEY=... infusion-tui"
        )
        self.detail = detail


class CorruptCredential(CredentialError):
    """The keyring entry exists but is not one we wrote (or is damaged)."""


@dataclass(frozen=True, repr=False)
class Credential:
    """An API key (PAT / service account key) or OAuth tokens. repr/str never show secrets."""

    kind: Literal["api_key", "oauth"]
    api_key: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: float | None = None
    client_id: str | None = None
    client_secret: str | None = None
    source: Literal["keyring", "environment", "login"] = "keyring"

    def __post_init__(self) -> None:
        if self.kind == "api_key" and not self.api_key:
            raise ValueError("an api_key credential needs a key")
        if self.kind == "oauth" and not (self.access_token and self.refresh_token and self.client_id):
            raise ValueError("an oauth credential needs tokens and a client id")
        if self.kind not in ("api_key", "oauth"):
            raise ValueError(f"unknown credential kind {self.kind!r}")

    def __repr__(self) -> str:
        extra = f", client_id={self.client_id!r}, expires_at={self.expires_at!r}" if self.kind == "oauth" else ""
        return f"Credential(kind={self.kind!r}, source={self.source!r}{extra}, secrets=<redacted>)"

    __str__ = __repr__

    @classmethod
    def from_api_key(cls, key: str, source: Literal["keyring", "environment", "login"] = "login") -> Credential:
        return cls(kind="api_key", api_key=key.strip(), source=source)

    @classmethod
    def from_tokens(cls, tokens: Any, client_id: str, client_secret: str | None) -> Credential:
        """From a keap OAuthTokens (anything with access_token/refresh_token/expires_at)."""
        return cls(
            kind="oauth",
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            client_id=client_id,
            client_secret=client_secret,
            source="login",
        )

    def oauth_tokens(self) -> Any:
        from infusion_tui.keap.tokens import OAuthTokens  # keap pulls in httpx: only when needed

        return OAuthTokens(self.access_token or "", self.refresh_token or "", self.expires_at)

    def secrets(self) -> tuple[str, ...]:
        """The secret strings, for log redaction."""
        values = (self.api_key, self.access_token, self.refresh_token, self.client_secret)
        return tuple(v for v in values if v)

    def describe(self) -> str:
        """What kind of credential this is, in words, without any secret."""
        if self.source == "environment":
            return f"{ENV_API_KEY} from the environment (not stored)"
        if self.kind == "oauth":
            return f"OAuth app {self.client_id}"
        return "personal access token / service account key"

    def to_json(self) -> str:
        if self.kind == "api_key":
            return json.dumps({"kind": "api_key", "api_key": self.api_key})
        fields = ("access_token", "refresh_token", "expires_at", "client_id", "client_secret")
        return json.dumps({"kind": "oauth", **{f: getattr(self, f) for f in fields}})

    @classmethod
    def from_json(cls, text: str) -> Credential:
        """Parse a keyring entry; ValueError (without the secret) when it is not ours."""
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("the entry is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the entry is not a JSON object")
        if data.get("kind") == "api_key" and isinstance(data.get("api_key"), str):
            return cls(kind="api_key", api_key=data["api_key"])
        if data.get("kind") == "oauth":
            try:
                expires_at = data.get("expires_at")
                return cls(
                    kind="oauth",
                    access_token=str(data["access_token"]),
                    refresh_token=str(data["refresh_token"]),
                    expires_at=float(expires_at) if expires_at is not None else None,
                    client_id=str(data["client_id"]),
                    client_secret=str(data["client_secret"]) if data.get("client_secret") is not None else None,
                )
            except (KeyError, TypeError, ValueError):
                raise ValueError("the OAuth entry is missing a field") from None
        raise ValueError("the entry has an unknown kind")


def credential_from_env(environ: Mapping[str, str]) -> Credential | None:
    """KEAP_API_KEY, used for this run only and never stored."""
    key = environ.get(ENV_API_KEY, "").strip()
    return Credential.from_api_key(key, source="environment") if key else None


# --- the keyring, behind a thread and a timeout -----------------------------------------------


def _usable_backend() -> Any:
    """The keyring backend, or KeyringUnavailable when it would fail or silently drop writes."""
    import keyring
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise KeyringUnavailable("no keyring backend was found")
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        raise KeyringUnavailable("no keyring backend was found")
    if type(backend).__module__ == "keyring.backends.null":
        raise KeyringUnavailable("the keyring is switched off (null backend)")
    return backend


async def _in_thread(fn: Callable[[], T], timeout: float, what: str) -> T:
    import asyncio  # not at the top: `infusion-tui --version` and `locate` never need it

    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)

    def run() -> None:
        try:
            result = (True, fn())
        except BaseException as exc:  # handed to the awaiting task, re-raised there
            result = (False, exc)
        try:
            loop.call_soon_threadsafe(settle, *result)
        except RuntimeError:
            pass  # the loop closed while we were blocked: nobody is waiting any more

    threading.Thread(target=run, name=f"keyring-{what}", daemon=True).start()
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        raise KeyringUnavailable(
            f"the keyring did not answer within {timeout:g} s; it may be locked"
        ) from None


def _keyring_errors(exc: Exception) -> CredentialError:
    """Map a backend's failure (locked, no D-Bus, a plugin's own error) to one message."""
    import keyring.errors

    if isinstance(exc, CredentialError):
        return exc
    if isinstance(exc, keyring.errors.KeyringLocked):
        return KeyringUnavailable("the keyring is locked")
    if isinstance(exc, keyring.errors.NoKeyringError):
        return KeyringUnavailable("no keyring backend was found")
    # Keyring messages do not carry the password; the type name helps a bug report.
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return KeyringUnavailable(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__)


class CredentialStore:
    """The keyring entry of one profile."""

    def __init__(self, profile: str, service: str = SERVICE, timeout: float = 5.0) -> None:
        self.profile = profile
        self.service = service
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"CredentialStore(profile={self.profile!r}, service={self.service!r})"

    async def _call(self, what: str, op: Callable[[Any], T]) -> T:
        def work() -> T:
            return op(_usable_backend())

        try:
            return await _in_thread(work, self.timeout, what)
        except Exception as exc:
            raise _keyring_errors(exc) from None

    async def load(self) -> Credential | None:
        """The stored credential, None when there is none; CorruptCredential if unreadable."""
        raw = await self._call("load", lambda kr: kr.get_password(self.service, self.profile))
        if raw is None:
            return None
        try:
            return Credential.from_json(raw)
        except ValueError as exc:
            raise CorruptCredential(
                f"the stored credential for profile '{self.profile}' is unreadable ({exc}); "
                f"run `infusion-tui logout --profile {self.profile}` and log in again"
            ) from None

    async def save(self, credential: Credential) -> None:
        """Store it, then read it back: some backends drop writes without an error."""
        text = credential.to_json()

        def op(kr: Any) -> None:
            kr.set_password(self.service, self.profile, text)
            if kr.get_password(self.service, self.profile) != text:
                raise KeyringUnavailable("the keyring did not keep what was written")

        await self._call("save", op)

    async def delete(self) -> bool:
        """Remove the entry; False when there was none."""
        import keyring.errors

        def op(kr: Any) -> bool:
            if kr.get_password(self.service, self.profile) is None:
                return False
            try:
                kr.delete_password(self.service, self.profile)
            except keyring.errors.PasswordDeleteError:
                return False
            return True

        return await self._call("delete", op)

    # A synchronous facade, for scripts and the CLI outside an event loop.
    def load_sync(self) -> Credential | None:
        return _run(self.load())

    def save_sync(self, credential: Credential) -> None:
        _run(self.save(credential))

    def delete_sync(self) -> bool:
        return _run(self.delete())


def _run(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)
