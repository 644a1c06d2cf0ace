"""The real thing: store, read and delete a token in gnome-keyring's Secret Service.

Runs in a subprocess under scripts/with-secret-service.sh (a private D-Bus session with an
unlocked, throw-away keyring), so the in-memory keyring of conftest.py does not apply there
and nothing touches the user's own keyring.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "with-secret-service.sh"
NEEDED = ("dbus-daemon", "dbus-send", "gnome-keyring-daemon")

CHILD = r"""
import asyncio, keyring
from keyring.backends import SecretService
from infusion_tui.credentials import Credential, CredentialStore

async def main():
    backend = keyring.get_keyring()
    assert isinstance(backend, SecretService.Keyring), f"not the Secret Service: {backend!r}"
    store = CredentialStore("ci-profile", timeout=10.0)
    assert await store.load() is None
    cred = Credential(kind="oauth", access_token="AT-xyz", refresh_token="RT-xyz",
                      expires_at=1800000000.0, client_id="cid", client_secret="CS-xyz")
    await store.save(cred)
    # Read it back through keyring itself as well: it really is in the Secret Service.
    assert "RT-xyz" in SecretService.Keyring().get_password("infusion-tui", "ci-profile")
    assert await store.load() == cred
    await store.save(Credential.from_api_key("KEY-123"))  # replaces, one entry per profile
    assert (await store.load()).api_key == "KEY-123"
    assert await store.delete() is True
    assert await store.load() is None
    assert await store.delete() is False
    print("SECRET-SERVICE-OK")

asyncio.run(main())
"""

missing = [tool for tool in NEEDED if shutil.which(tool) is None]


@pytest.mark.secret_service
@pytest.mark.skipif(
    bool(missing),
    reason=f"needs gnome-keyring and dbus ({', '.join(missing)} not found); "
    "install: apt-get install -y --no-install-recommends gnome-keyring dbus-x11",
)
def test_store_read_delete_in_the_real_secret_service():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON_KEYRING")}
    env["PYTHONPATH"] = str(SCRIPT.parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [str(SCRIPT), sys.executable, "-c", CHILD],
        env=env, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "SECRET-SERVICE-OK" in proc.stdout
