"""The command line: each command as a person sees it, each mistake as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from infusion_tui import __version__, cli
from infusion_tui.credentials import Credential
from infusion_tui.sandbox import Sandbox

KEY = "sandbox-key-0123456789-SECRET"
ENTRY = ("infusion-tui", "default")


@pytest.fixture(scope="module")
def keap():
    """A sandbox on a real loopback socket, shared by the tests of this module."""
    sb = Sandbox(seed=7, api_key=KEY)
    with sb.serve() as base_url:
        yield sb, base_url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("infusion-tui: error: ")
    return lines[0]


def stdin(monkeypatch, text: str) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"infusion-tui {__version__}"


def test_locate(capsys, isolated_home):
    code, out, err = run(capsys, "locate")
    assert code == 0 and err == ""
    rows = dict(line.split(None, 1) for line in out.splitlines() if not line.startswith("config"))
    assert str(isolated_home / ".config" / "infusion-tui" / "config.toml") in out
    assert "not created yet" in out
    for name in ("data", "cache", "state", "logs"):
        assert rows[name].startswith(str(isolated_home)), rows
    assert 'entry "default"' in rows["credentials"]


def test_locate_honours_profile_and_config(capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('profile = "work"\n')
    code, out, _ = run(capsys, "locate", "--config", str(config))
    assert code == 0 and str(config) in out and "not created" not in out and 'entry "work"' in out


def test_status_without_credentials(capsys, keap):
    _, base_url = keap
    code, out, err = run(capsys, "status", "--base-url", base_url)
    assert code == 1
    assert "Profile:     default" in out and "none stored" in out and "infusion-tui login" in out


def test_status_with_stored_key(capsys, keap, memory_keyring):
    _, base_url = keap
    memory_keyring.entries[ENTRY] = json.dumps({"kind": "api_key", "api_key": KEY})
    code, out, err = run(capsys, "status", "--base-url", base_url)
    assert code == 0, out + err
    assert "personal access token / service account key" in out and "OK" in out
    assert KEY not in out + err


def test_status_with_a_refused_key(capsys, keap, memory_keyring):
    _, base_url = keap
    memory_keyring.entries[ENTRY] = json.dumps({"kind": "api_key", "api_key": "wrong-key-123"})
    code, out, err = run(capsys, "status", "--base-url", base_url)
    assert code == 1 and "refused" in out and "wrong-key-123" not in out + err


def test_status_with_env_key_uses_it_and_stores_nothing(capsys, keap, memory_keyring, monkeypatch):
    _, base_url = keap
    monkeypatch.setenv("KEAP_API_KEY", KEY)
    code, out, err = run(capsys, "status", "--base-url", base_url)
    assert code == 0, out + err
    assert "KEAP_API_KEY from the environment (not stored)" in out
    assert KEY not in out + err and memory_keyring.entries == {}


def test_status_with_oauth_tokens(capsys, keap, memory_keyring):
    sb, base_url = keap
    tokens = sb.issue_access_token()
    cred = Credential(kind="oauth", access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                      expires_at=None, client_id=sb.client_id, client_secret=sb.client_secret)
    memory_keyring.entries[ENTRY] = cred.to_json()
    code, out, err = run(capsys, "status", "--base-url", base_url)
    assert code == 0, out + err
    assert f"OAuth app {sb.client_id}" in out
    for secret in cred.secrets():
        assert secret not in out + err


def test_login_with_token_stores_a_good_key(capsys, keap, memory_keyring, monkeypatch):
    _, base_url = keap
    stdin(monkeypatch, KEY + "\n")
    code, out, err = run(capsys, "login", "--with-token", "--base-url", base_url)
    assert code == 0, err
    assert json.loads(memory_keyring.entries[ENTRY]) == {"kind": "api_key", "api_key": KEY}
    assert "profile 'default'" in out and KEY not in out + err


def test_login_with_token_refuses_a_bad_key(capsys, keap, memory_keyring, monkeypatch):
    _, base_url = keap
    stdin(monkeypatch, "not-the-key\n")
    code, out, err = run(capsys, "login", "--with-token", "--base-url", base_url)
    assert code == 1
    line = one_error_line(err)
    assert "refused" in line and "Nothing was stored" in line and "not-the-key" not in line
    assert memory_keyring.entries == {}


def test_login_for_another_profile(capsys, keap, memory_keyring, monkeypatch):
    _, base_url = keap
    stdin(monkeypatch, KEY + "\n")
    assert run(capsys, "login", "--with-token", "--profile", "work", "--base-url", base_url)[0] == 0
    assert set(memory_keyring.entries) == {("infusion-tui", "work")}


def test_login_with_empty_stdin(capsys, memory_keyring, monkeypatch):
    stdin(monkeypatch, "\n")
    code, _, err = run(capsys, "login", "--with-token")
    assert code == 1 and "no key on standard input" in one_error_line(err)


def test_interactive_login_prompts(capsys, keap, memory_keyring, monkeypatch):
    _, base_url = keap
    prompts = []
    monkeypatch.setattr(cli, "read_secret", lambda prompt: prompts.append(prompt) or KEY)
    code, out, err = run(capsys, "login", "--base-url", base_url)
    assert code == 0, err
    assert len(prompts) == 1 and "personal access token" in prompts[0]
    assert ENTRY in memory_keyring.entries


def test_interactive_login_without_a_terminal(capsys, memory_keyring, monkeypatch):
    stdin(monkeypatch, KEY + "\n")  # not a tty: getpass would echo; say what to do instead
    code, _, err = run(capsys, "login")
    assert code == 1 and "--with-token" in one_error_line(err)


def test_logout(capsys, memory_keyring):
    memory_keyring.entries[ENTRY] = json.dumps({"kind": "api_key", "api_key": KEY})
    code, out, _ = run(capsys, "logout")
    assert code == 0 and "Removed" in out and memory_keyring.entries == {}
    code, out, _ = run(capsys, "logout")
    assert code == 0 and "no stored Keap login" in out


def test_no_keyring_is_one_line(capsys, monkeypatch):
    keyring.set_keyring(fail.Keyring())
    for argv in (["logout"], ["status"], []):
        code, _, err = run(capsys, *argv)
        line = one_error_line(err)
        assert code == 1 and "no usable system keyring" in line and "KEAP_API_KEY=..." in line
    stdin(monkeypatch, KEY + "\n")
    code, _, err = run(capsys, "login", "--with-token")  # refused before reading the key
    assert code == 1 and "no usable system keyring" in one_error_line(err)


def test_run_hands_settings_and_connector_to_the_app(capsys, memory_keyring, monkeypatch):
    seen = {}

    def fake_start_app(settings, connector):
        seen.update(settings=settings, connector=connector)
        return 0

    monkeypatch.setattr(cli, "start_app", fake_start_app)
    memory_keyring.entries[("infusion-tui", "work")] = json.dumps({"kind": "api_key", "api_key": KEY})
    assert run(capsys, "--profile", "work", "--theme", "nord", "--bell", "--poll-interval", "300")[0] == 0
    s, c = seen["settings"], seen["connector"]
    assert (s.profile, s.theme, s.bell, s.poll_interval, s.demo) == ("work", "nord", True, 300.0, False)
    assert c.credential.api_key == KEY and not c.needs_login
    # nobody logged in: the app still starts (its connect screen asks)
    assert run(capsys)[0] == 0 and seen["connector"].needs_login


def test_run_with_env_key_never_touches_the_keyring(capsys, monkeypatch):
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("KEAP_API_KEY", KEY)
    monkeypatch.setattr(cli, "start_app", lambda s, c: 0 if c.credential.source == "environment" else 9)
    assert run(capsys)[0] == 0


def test_demo_needs_no_keyring(capsys, monkeypatch):
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(cli, "start_app", lambda s, c: 0 if s.demo and not c.needs_login else 9)
    assert run(capsys, "--demo", "--poll-interval", "5")[0] == 0


def test_poll_floor_warning(capsys, monkeypatch):
    monkeypatch.setattr(cli, "start_app", lambda s, c: 0 if s.poll_interval == 120.0 else 9)
    monkeypatch.setenv("KEAP_API_KEY", KEY)
    code, _, err = run(capsys, "--poll-interval", "10")
    assert code == 0 and "warning: poll interval 10 s is below Keap's limit" in err


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["--base-url", "not a url"], "malformed base URL"),
        (["--base-url", "http://api.infusionsoft.com/crm/rest/v1"], "use https, or a loopback address"),
        (["--poll-interval", "0"], "more than 0"),
        (["--poll-interval", "-3"], "more than 0"),
        (["status", "--profile", "bad name"], "profile name"),
        (["login", "--oauth"], "--client-id"),
        (["login", "--no-browser"], "go with --oauth"),
        (["--config", "/nonexistent/x.toml", "status"], "does not exist"),
    ],
)
def test_mistakes_are_one_line(capsys, argv, expect):
    code, out, err = run(capsys, *argv)
    assert code != 0 and expect in one_error_line(err)


def test_bad_toml_is_one_line(capsys, isolated_home):
    config = isolated_home / ".config" / "infusion-tui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("theme = \n")
    code, _, err = run(capsys, "status")
    line = one_error_line(err)
    assert code == 1 and str(config) in line and "line 1" in line


def test_unknown_flag_is_a_usage_error(capsys):
    code, out, err = run(capsys, "--frobnicate")
    assert code == 2 and "unrecognized arguments: --frobnicate" in err
    code, _, err = run(capsys, "status", "--demo")
    assert code == 2 and "unrecognized arguments" in err


def test_unexpected_errors_are_one_line_and_logged(capsys, monkeypatch, isolated_home):
    def boom(settings, connector):
        raise RuntimeError(f"kaboom with {KEY}")

    monkeypatch.setenv("KEAP_API_KEY", KEY)
    monkeypatch.setattr(cli, "start_app", boom)
    code, _, err = run(capsys)
    line = one_error_line(err)
    assert code == 1 and "RuntimeError: kaboom" in line and KEY not in line
    log_file = next(isolated_home.rglob("infusion-tui.log"))
    text = log_file.read_text()
    assert "kaboom" in text and "Traceback" in text and KEY not in text
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"


def test_log_filter_redacts_the_credential_and_headers(capsys, monkeypatch, isolated_home):
    import logging

    def app(settings, connector):
        logging.getLogger("somewhere").warning("sending %s with X-Keap-API-Key: %s", "GET", KEY)
        logging.getLogger("else").warning("headers {'authorization': 'Bearer abc.def'} key=%s", KEY[:-3] + "XYZ")
        return 0

    monkeypatch.setenv("KEAP_API_KEY", KEY)
    monkeypatch.setattr(cli, "start_app", app)
    assert run(capsys)[0] == 0
    text = next(isolated_home.rglob("infusion-tui.log")).read_text()
    assert "sending GET" in text and KEY not in text and "abc.def" not in text
    assert "[redacted]" in text


def test_sandbox_command_delegates(monkeypatch):
    import infusion_tui.sandbox.server as server

    seen = []
    monkeypatch.setattr(server, "serve_main", lambda argv: seen.append(argv) or 0)
    assert cli.main(["sandbox", "--port", "8123", "--api-key", "k", "--seed", "3"]) == 0
    assert seen == [["--port", "8123", "--api-key", "k", "--seed", "3"]]


# --- OAuth -------------------------------------------------------------------------------


def follow_in_browser(url: str) -> bool:
    """A browser that approves at once: GET the authorize URL, follow the redirect home."""
    import httpx

    httpx.get(url, follow_redirects=True, timeout=10)
    return True


def test_oauth_login_through_the_browser(capsys, keap, memory_keyring, monkeypatch):
    sb, base_url = keap
    monkeypatch.setattr(cli, "open_browser", follow_in_browser)
    stdin(monkeypatch, sb.client_secret + "\n")
    code, out, err = run(capsys, "login", "--oauth", "--client-id", sb.client_id, "--client-secret-stdin", "--base-url", base_url)
    assert code == 0, err
    stored = json.loads(memory_keyring.entries[ENTRY])
    assert stored["kind"] == "oauth" and stored["client_id"] == sb.client_id
    assert stored["client_secret"] == sb.client_secret and stored["access_token"] and stored["refresh_token"]
    assert stored["expires_at"] > 0
    assert f"OAuth app {sb.client_id}" in out
    for secret in (stored["access_token"], stored["refresh_token"], stored["client_secret"]):
        assert secret not in out + err
    # and it works
    assert run(capsys, "status", "--base-url", base_url)[0] == 0


def test_oauth_login_by_pasting_the_redirect(capsys, keap, memory_keyring, monkeypatch):
    import httpx

    sb, base_url = keap
    monkeypatch.setattr(cli, "read_secret", lambda prompt: sb.client_secret)

    def paste(prompt: str) -> str:
        url = next(line.strip() for line in capsys.readouterr().out.splitlines() if "authorize?" in line)
        return httpx.get(url, follow_redirects=False).headers["location"]  # where the browser ended

    monkeypatch.setattr(cli, "read_line", paste)
    code, out, err = run(capsys, "login", "--oauth", "--no-browser", "--client-id", sb.client_id, "--base-url", base_url)
    assert code == 0, err
    assert json.loads(memory_keyring.entries[ENTRY])["kind"] == "oauth"


def test_oauth_login_with_a_wrong_secret_stores_nothing(capsys, keap, memory_keyring, monkeypatch):
    sb, base_url = keap
    monkeypatch.setattr(cli, "open_browser", follow_in_browser)
    stdin(monkeypatch, "wrong-secret\n")
    code, out, err = run(capsys, "login", "--oauth", "--client-id", sb.client_id, "--client-secret-stdin", "--base-url", base_url)
    assert code == 1 and "client ID and secret" in one_error_line(err)
    assert memory_keyring.entries == {}


def test_oauth_login_with_a_stale_paste(capsys, keap, memory_keyring, monkeypatch):
    sb, base_url = keap
    monkeypatch.setattr(cli, "read_secret", lambda prompt: sb.client_secret)
    monkeypatch.setattr(cli, "read_line", lambda prompt: "http://localhost/callback?code=x&state=not-ours")
    code, _, err = run(capsys, "login", "--oauth", "--no-browser", "--client-id", sb.client_id, "--base-url", base_url)
    assert code == 1 and "state mismatch" in one_error_line(err)
    assert memory_keyring.entries == {}


# --- as a real process -------------------------------------------------------------------


def _python(*args: str, env_extra: dict[str, str] | None = None, stdin_text: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, **(env_extra or {}))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # no desktop keyring: the fail backend
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return subprocess.run([sys.executable, "-m", "infusion_tui", *args], env=env, input=stdin_text,
                          capture_output=True, text=True, timeout=60)


def test_subprocess_version_and_bad_flag():
    proc = _python("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"infusion-tui {__version__}"
    proc = _python("--poll-interval", "0")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "more than 0" in proc.stderr


def test_subprocess_without_a_keyring(keap):
    _, base_url = keap
    proc = _python("login", "--with-token", "--base-url", base_url, stdin_text=KEY + "\n")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no usable system keyring" in proc.stderr and proc.stderr.strip().count("\n") == 0
    # ... but KEAP_API_KEY works for a single run
    proc = _python("status", "--base-url", base_url, env_extra={"KEAP_API_KEY": KEY})
    assert proc.returncode == 0, proc.stderr
    assert "not stored" in proc.stdout and KEY not in proc.stdout + proc.stderr


def test_start_up_stays_light():
    """settings/credentials/connection never import textual; the CLI also leaves httpx out."""
    code = (
        "import sys, infusion_tui.settings, infusion_tui.credentials, infusion_tui.connection, infusion_tui.cli\n"
        "print(sorted(m for m in ('textual', 'httpx', 'keyring', 'infusion_tui.ui') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
