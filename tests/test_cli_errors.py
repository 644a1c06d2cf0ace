"""The command line given bad input, as a person runs it: `python -m infusion_tui ...`.

Every case ends with ONE line that says what is wrong ("infusion-tui: error: ..."; argparse's
usage errors may add their usage line above it) and a non-zero exit, never a traceback.
HOME and the XDG dirs point at a temp dir and the keyring is the `fail` backend, so nothing
real is touched; a case that slipped past validation would die on the keyring instead, which
is why each one also names the words its message must contain.

The subprocesses run side by side (one module fixture), so forty of them cost a few seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BAD_TOML = "profile = [unclosed\npoll_interval == 3\n"
CASES: dict[str, tuple[list[str], dict[str, str], str | bytes | None, str]] = {
    # id: (argv, extra environment, config file text or bytes, what the message must say)
    "unknown flag": (["--bogus"], {}, None, "unrecognized arguments: --bogus"),
    "unknown flag after a command": (["locate", "--bogus"], {}, None, "unrecognized arguments: --bogus"),
    "unknown login flag": (["login", "--with-tokens"], {}, None, "--with-tokens"),
    "unknown short flag": (["-x"], {}, None, "unrecognized arguments: -x"),
    "unknown command": (["frobnicate"], {}, None, "invalid choice: 'frobnicate'"),
    "flag without its value": (["--poll-interval"], {}, None, "expected one argument"),
    "two ways to log in": (["login", "--with-token", "--oauth"], {}, None, "not allowed with argument"),
    "oauth without client id": (["login", "--oauth"], {}, None, "--oauth needs --client-id"),
    "base url: not a url": (["--base-url", "not a url", "locate"], {}, None, "base URL"),
    "base url: ftp": (["--base-url", "ftp://files.example.com/crm", "locate"], {}, None, "base URL"),
    "base url: no host": (["--base-url", "http://", "locate"], {}, None, "base URL"),
    "base url: empty": (["--base-url", "", "locate"], {}, None, "base URL"),
    "base url: bad port": (["--base-url", "http://127.0.0.1:99999/crm/rest/v1", "locate"], {}, None, "base URL"),
    "base url: port not a number": (["--base-url", "https://api.example.com:http/v1", "locate"], {}, None, "base URL"),
    "base url: password in it": (["--base-url", "https://me:hunter2@api.example.com/v1", "locate"], {}, None,
                                 "user name or password"),
    "base url: plain http to keap": (["--base-url", "http://api.infusionsoft.com/crm/rest/v1", "locate"], {}, None,
                                     "refusing plain http"),
    "base url: query": (["--base-url", "https://api.example.com/v1?x=1", "locate"], {}, None, "query or fragment"),
    "base url from the environment": (["locate"], {"INFUSION_TUI_BASE_URL": "http://evil.example"}, None,
                                      "refusing plain http"),
    "poll interval 0": (["--poll-interval", "0"], {}, None, "more than 0"),
    "poll interval negative": (["--poll-interval", "-5"], {}, None, "more than 0"),
    "poll interval words": (["--poll-interval", "fast"], {}, None, "poll interval must be a number"),
    "poll interval nan": (["--poll-interval", "nan"], {}, None, "poll interval"),
    "poll interval inf": (["--poll-interval", "inf"], {}, None, "poll interval"),
    "poll interval overflow": (["--poll-interval", "1e999"], {}, None, "poll interval"),
    "poll interval from the environment": ([], {"INFUSION_TUI_POLL_INTERVAL": "zero"}, None, "INFUSION_TUI_POLL_INTERVAL"),
    "profile with a path in it": (["--profile", "../../etc", "locate"], {}, None, "profile name"),
    "log level": (["--log-level", "LOUD", "locate"], {}, None, "log_level"),
    "config: not toml": (["locate"], {}, BAD_TOML, "not valid TOML"),
    "config: binary": (["locate"], {}, b"\xff\xfe\x00\x01garbage", "not UTF-8"),
    "config: poll interval text": (["locate"], {}, 'poll_interval = "fast"\n', "must be a number of seconds"),
    "config: poll interval bool": (["locate"], {}, "poll_interval = true\n", "must be a number of seconds"),
    "config: poll interval zero": (["locate"], {}, "poll_interval = 0\n", "more than 0"),
    "config: calls per minute float": (["locate"], {}, "calls_per_minute = 1.5\n", "whole number"),
    "config: calls per minute zero": (["locate"], {}, "calls_per_minute = 0\n", "more than 0"),
    "config: bell text": (["locate"], {}, 'bell = "yes"\n', "true or false"),
    "config: base url number": (["locate"], {}, "base_url = 42\n", "base URL"),
    "config: theme list": (["locate"], {}, "theme = []\n", "'theme' must be a non-empty string"),
    "config: profiles not tables": (["locate"], {}, "profiles = 3\n", "'profiles' must hold tables"),
    "config: bad profile table": (["--profile", "work", "locate"], {}, "[profiles.work]\npoll_interval = -1\n",
                                  "[profiles.work]"),
    "--config missing": (["--config", "{tmp}/nowhere.toml", "locate"], {}, None, "does not exist"),
    "--config a directory": (["--config", "{tmp}", "locate"], {}, None, "config file"),
}


def _run(case: str, root: Path) -> tuple[int, str, str, float]:
    argv, extra, config, _ = CASES[case]
    home = root / case.replace(" ", "_").replace(":", "").replace("/", "_")
    dirs = {"HOME": home, "XDG_CONFIG_HOME": home / ".config", "XDG_DATA_HOME": home / ".local/share",
            "XDG_CACHE_HOME": home / ".cache", "XDG_STATE_HOME": home / ".local/state"}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    if config is not None:
        target = home / ".config" / "infusion-tui" / "config.toml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(config if isinstance(config, bytes) else config.encode())
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INFUSION_TUI_", "KEAP_", "PYTHON_KEYRING", "DBUS_"))}
    env.update({k: str(v) for k, v in dirs.items()})
    env.update(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", TZ="UTC", COLUMNS="100", **extra)
    args = [a.replace("{tmp}", str(home)) for a in argv]
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "infusion_tui", *args], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, cwd=home)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-errors")
    with ThreadPoolExecutor(max_workers=min(16, (os.cpu_count() or 2) * 2)) as pool:
        futures = {case: pool.submit(_run, case, root) for case in CASES}
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clear_line_and_a_failing_exit(case, results):
    code, out, err, _ = results[case]
    expected = CASES[case][3]
    assert code != 0, f"exit 0 for {case}: {out}{err}"
    assert "Traceback" not in out + err, err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("infusion-tui") and "error:" in line]
    others = [line for line in lines if line not in errors and not line.startswith(("usage:", " "))]
    assert len(errors) == 1, f"expected one error line, got: {err!r}"
    assert not others, f"stray lines on stderr: {others}"
    assert expected in errors[0], f"{expected!r} not in {errors[0]!r}"
    assert len(errors[0]) < 400, "one line a person can read"
    assert "no usable system keyring" not in errors[0], "the mistake slipped past validation"


def test_a_good_command_line_still_works(tmp_path):
    """The control: with nothing wrong, the same harness gets exit 0 (so the above mean something)."""
    CASES["good"] = (["--poll-interval", "300", "--base-url", "http://127.0.0.1:8000/crm/rest/v1", "locate"],
                     {}, 'theme = "nord"\n', "")
    try:
        code, out, err, _ = _run("good", tmp_path)
    finally:
        del CASES["good"]
    assert code == 0, err
    assert "config file" in out and err == ""
