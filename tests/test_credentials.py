"""Credentials: keyring round trips, secrets never shown, and no keyring said plainly."""

from __future__ import annotations

import json
import threading
import time

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import chainer, fail

from infusion_tui.credentials import (
    CorruptCredential,
    Credential,
    CredentialStore,
    KeyringUnavailable,
    credential_from_env,
)

API_KEY = "KeapAK-0123456789abcdef-SECRET"
OAUTH = Credential(
    kind="oauth",
    access_token="ACCESS-secret-1",
    refresh_token="REFRESH-secret-2",
    expires_at=1_800_086_400.0,
    client_id="my-client",
    client_secret="CLIENT-secret-3",
)
SECRETS = (API_KEY, "ACCESS-secret-1", "REFRESH-secret-2", "CLIENT-secret-3")


async def test_api_key_round_trip(memory_keyring):
    store = CredentialStore("default")
    assert await store.load() is None
    await store.save(Credential.from_api_key(API_KEY))
    assert json.loads(memory_keyring.entries[("infusion-tui", "default")]) == {"kind": "api_key", "api_key": API_KEY}
    loaded = await store.load()
    assert loaded is not None and loaded.kind == "api_key" and loaded.api_key == API_KEY
    assert loaded.source == "keyring"
    assert await store.delete() is True
    assert await store.load() is None
    assert await store.delete() is False


async def test_oauth_round_trip_and_profiles_are_separate(memory_keyring):
    work, home = CredentialStore("work"), CredentialStore("home")
    await work.save(OAUTH)
    await home.save(Credential.from_api_key(API_KEY))
    entry = json.loads(memory_keyring.entries[("infusion-tui", "work")])
    assert entry == {
        "kind": "oauth",
        "access_token": "ACCESS-secret-1",
        "refresh_token": "REFRESH-secret-2",
        "expires_at": 1_800_086_400.0,
        "client_id": "my-client",
        "client_secret": "CLIENT-secret-3",
    }
    loaded = await work.load()
    assert loaded == OAUTH
    assert (await home.load()).kind == "api_key"
    assert await work.delete()
    assert (await home.load()).api_key == API_KEY


def test_repr_and_str_never_show_secrets():
    for cred in (Credential.from_api_key(API_KEY), OAUTH, credential_from_env({"KEAP_API_KEY": API_KEY})):
        for text in (repr(cred), str(cred), f"{cred}", cred.describe(), repr([cred])):
            assert not any(s in text for s in SECRETS), text
    assert "my-client" in repr(OAUTH)
    assert set(OAUTH.secrets()) == set(SECRETS[1:])


def test_describe():
    assert Credential.from_api_key(API_KEY).describe() == "personal access token / service account key"
    assert OAUTH.describe() == "OAuth app my-client"
    env = credential_from_env({"KEAP_API_KEY": API_KEY})
    assert env.describe() == "KEAP_API_KEY from the environment (not stored)"


def test_oauth_tokens_conversion():
    pytest.importorskip("infusion_tui.keap.tokens")
    tokens = OAUTH.oauth_tokens()
    assert (tokens.access_token, tokens.refresh_token, tokens.expires_at) == ("ACCESS-secret-1", "REFRESH-secret-2", 1_800_086_400.0)
    again = Credential.from_tokens(tokens, "my-client", "CLIENT-secret-3")
    assert (again.access_token, again.client_id, again.kind) == ("ACCESS-secret-1", "my-client", "oauth")


def test_invalid_credentials_are_refused():
    with pytest.raises(ValueError):
        Credential(kind="api_key")
    with pytest.raises(ValueError):
        Credential(kind="oauth", access_token="a")


async def test_env_credential_is_never_stored(memory_keyring):
    assert credential_from_env({}) is None
    assert credential_from_env({"KEAP_API_KEY": "  "}) is None
    cred = credential_from_env({"KEAP_API_KEY": f" {API_KEY}\n"})
    assert cred.api_key == API_KEY and cred.source == "environment"
    assert memory_keyring.entries == {}


@pytest.mark.parametrize("raw", ["not json", "[1]", '{"kind": "magic"}', '{"kind": "oauth", "access_token": "x"}'])
async def test_corrupt_entry(memory_keyring, raw):
    memory_keyring.entries[("infusion-tui", "default")] = raw
    with pytest.raises(CorruptCredential) as exc:
        await CredentialStore("default").load()
    assert "logout" in str(exc.value) and "\n" not in str(exc.value)


def assert_unavailable_message(exc: KeyringUnavailable) -> None:
    text = str(exc)
    assert "\n" not in text
    assert "no usable system keyring" in text
    assert "gnome-keyring" in text and "D-Bus" in text
    assert "keyrings.alt" in text and "plaintext" in text
    assert "KEAP_API_KEY=... infusion-tui" in text


@pytest.mark.parametrize("op", ["load", "save", "delete"])
async def test_fail_backend_is_unavailable(op):
    keyring.set_keyring(fail.Keyring())
    store = CredentialStore("default")
    with pytest.raises(KeyringUnavailable) as exc:
        await (store.save(Credential.from_api_key(API_KEY)) if op == "save" else getattr(store, op)())
    assert_unavailable_message(exc.value)


async def test_chainer_with_no_backends_is_unavailable(monkeypatch):
    # With nothing to chain, the chainer would drop writes silently.
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(chainer.ChainerBackend())
    with pytest.raises(KeyringUnavailable):
        await CredentialStore("default").save(Credential.from_api_key(API_KEY))


class LockedKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]

    def get_password(self, service, username, *password):
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    set_password = delete_password = get_password  # type: ignore[assignment]


class SlowKeyring(keyring.backend.KeyringBackend):
    """A keyring waiting on an unlock prompt nobody answers."""

    priority = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service, username, *password):
        self.release.wait(10)
        return None

    set_password = delete_password = get_password  # type: ignore[assignment]


class ForgetfulKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        pass

    def delete_password(self, service, username):
        pass


async def test_locked_keyring_is_unavailable():
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(KeyringUnavailable) as exc:
        await CredentialStore("default").load()
    assert "locked" in str(exc.value)
    assert_unavailable_message(exc.value)


async def test_slow_keyring_times_out():
    slow = SlowKeyring()
    keyring.set_keyring(slow)
    started = time.monotonic()
    try:
        with pytest.raises(KeyringUnavailable) as exc:
            await CredentialStore("default", timeout=0.2).load()
    finally:
        slow.release.set()
    assert time.monotonic() - started < 2.0
    assert "did not answer within 0.2 s" in str(exc.value)
    assert_unavailable_message(exc.value)


async def test_a_keyring_that_drops_writes_is_caught():
    keyring.set_keyring(ForgetfulKeyring())
    with pytest.raises(KeyringUnavailable) as exc:
        await CredentialStore("default").save(Credential.from_api_key(API_KEY))
    assert API_KEY not in str(exc.value)


def test_sync_facade(memory_keyring):
    store = CredentialStore("default")
    store.save_sync(Credential.from_api_key(API_KEY))
    assert store.load_sync().api_key == API_KEY
    assert store.delete_sync() is True
