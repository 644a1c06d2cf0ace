"""`infusion-tui`: run the app, or manage the login (login, logout, status), locate, sandbox.

Starts fast: textual, httpx and the UI are imported only by the command that needs them.
Every error the user can cause ends as one line on stderr and a non-zero exit, never a
traceback (argparse's own usage errors keep their usage line and exit 2).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from infusion_tui import __version__
from infusion_tui.credentials import (
    Credential,
    CredentialError,
    CredentialStore,
    CorruptCredential,
    credential_from_env,
)
from infusion_tui.keap.errors import AuthError, KeapError  # errors.py only: no httpx at start-up
from infusion_tui.settings import Settings, SettingsError, load_settings

PROG = "infusion-tui"
log = logging.getLogger("infusion_tui.cli")


class CliError(Exception):
    """A mistake on the command line or at a prompt; one line for stderr."""


# --- arguments -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    # Shared options live on the main parser and on each subcommand; SUPPRESS keeps a
    # subcommand's unset copy from overwriting a value given before the subcommand.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--profile", metavar="NAME", help="which login and settings to use (default: default)")
    common.add_argument("--base-url", metavar="URL", help="Keap REST v1 base URL (a loopback sandbox is fine)")
    common.add_argument("--config", metavar="PATH", help="config file to read instead of the default one")
    common.add_argument("--log-level", metavar="LEVEL", help="DEBUG, INFO, WARNING (default) or ERROR")

    parser = argparse.ArgumentParser(
        prog=PROG, parents=[common],
        description="A keyboard-first terminal client for Keap: your tasks and a live orders feed.",
        epilog="Without a command, starts the app. KEAP_API_KEY=... uses that key for one run, never stored.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                        help="run against the built-in sandbox: no account, network or keyring")
    parser.add_argument("--poll-interval", metavar="SECONDS", default=argparse.SUPPRESS,
                        help="seconds between background polls (Keap allows one per 120 s)")
    parser.add_argument("--theme", metavar="NAME", default=argparse.SUPPRESS, help="Textual theme")
    parser.add_argument("--bell", action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                        help="ring the terminal bell when new orders arrive")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    login = sub.add_parser("login", parents=[common], help="store a Keap login in the system keyring")
    how = login.add_mutually_exclusive_group()
    how.add_argument("--with-token", action="store_true", help="read a personal access token / service account key from stdin")
    how.add_argument("--oauth", action="store_true", help="sign in with an OAuth app in the browser")
    login.add_argument("--client-id", metavar="ID", help="the OAuth app's client id")
    login.add_argument("--client-secret-stdin", action="store_true", help="read the client secret from stdin")
    login.add_argument("--no-browser", action="store_true", help="print the sign-in URL and read the redirected URL back")
    login.add_argument("--redirect-uri", metavar="URL", help="with --no-browser (default http://localhost/callback)")
    login.add_argument("--port", type=int, default=0, help="loopback port for the browser's redirect (0: any)")
    sub.add_parser("logout", parents=[common], help="remove the stored login of a profile")
    sub.add_parser("status", parents=[common], help="show the profile's login and check it with Keap")
    sub.add_parser("locate", parents=[common], help="show where config, data, cache and logs live")
    # Its options belong to the sandbox's own parser (serve_main); they pass through as extras.
    sub.add_parser("sandbox", add_help=False, help="run the Keap sandbox on 127.0.0.1 (--port N, --api-key, --seed)")
    return parser


def _settings(ns: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    flags = {key: getattr(ns, key, None) for key in ("profile", "base_url", "poll_interval", "theme", "bell", "demo", "log_level")}
    return load_settings(flags, environ, getattr(ns, "config", None))


# --- entry point ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        ns, extra = parser.parse_known_args(argv)
        if ns.command == "sandbox":
            from infusion_tui.sandbox.server import serve_main

            return serve_main(extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version, usage errors: argparse has said its piece
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    logs = _Logs()
    try:
        settings = _settings(ns, os.environ)
        for line in settings.warnings:
            _say(f"warning: {line}")
        command = ns.command or "run"
        if command == "locate":
            return cmd_locate(settings)
        logs.start(settings)
        handler = {"run": cmd_run, "login": cmd_login, "logout": cmd_logout, "status": cmd_status}[command]
        return handler(settings, ns, os.environ, logs)
    except (SettingsError, CredentialError, CliError, KeapError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("cancelled", code=130)
    except Exception as exc:
        log.exception("unexpected error")
        where = f" (details in {logs.path})" if logs.path else ""
        return _fail(logs.redact(f"unexpected {type(exc).__name__}: {exc}".splitlines()[0]) + where)
    finally:
        logs.stop()


def _say(line: str) -> None:
    print(f"{PROG}: {line}", file=sys.stderr)


def _fail(message: str, code: int = 1) -> int:
    _say(f"error: {' '.join(message.split())}")  # one line, whatever the message held
    return code


# --- commands ------------------------------------------------------------------------------


def cmd_locate(settings: Settings) -> int:
    config_state = "" if settings.config_path.exists() else "  (not created yet)"
    rows = [
        ("config file", f"{settings.config_path}{config_state}"),
        ("data", str(settings.data_dir)),
        ("cache", str(settings.cache_dir)),
        ("state", str(settings.state_dir)),
        ("logs", str(settings.log_file)),
        ("credentials", f'system keyring, service "infusion-tui", entry "{settings.profile}"'),
    ]
    for name, value in rows:
        print(f"{name:<12} {value}")
    return 0


def cmd_run(settings: Settings, ns: argparse.Namespace, environ: Mapping[str, str], logs: _Logs) -> int:
    from infusion_tui.connection import Connector

    if settings.demo:
        connector = Connector(settings)  # no keyring, no account: nothing to read or store
    else:
        # KEAP_API_KEY is used as is: the keyring is not read, and that key is never stored
        # (the store is only for a login made in the app's connect screen).
        store = CredentialStore(settings.profile)
        credential = credential_from_env(environ) or store.load_sync()  # no keyring: one line, here
        connector = Connector(settings, credential, credentials=store)
    logs.secrets = connector.secrets
    return start_app(settings, connector)


def start_app(settings: Settings, connector: Any) -> int:
    """The one call into the UI (imported only now: textual is heavy)."""
    from infusion_tui.ui.app import run_app

    return run_app(settings, connector)


def cmd_logout(settings: Settings, ns: argparse.Namespace, environ: Mapping[str, str], logs: _Logs) -> int:
    removed = CredentialStore(settings.profile).delete_sync()
    if removed:
        print(f"Removed the stored Keap login of profile '{settings.profile}'.")
    else:
        print(f"There was no stored Keap login for profile '{settings.profile}'.")
    if credential_from_env(environ) is not None:
        _say("note: KEAP_API_KEY is set in this environment; it is never stored, and runs with it set still use it")
    return 0


def cmd_status(settings: Settings, ns: argparse.Namespace, environ: Mapping[str, str], logs: _Logs) -> int:
    return _run(_status(settings, environ, logs))


async def _status(settings: Settings, environ: Mapping[str, str], logs: _Logs) -> int:
    from infusion_tui.connection import open_client

    print(f"Profile:     {settings.profile}")
    print(f"Keap API:    {settings.base_url}")
    credential = credential_from_env(environ)
    store = CredentialStore(settings.profile)
    if credential is None:
        credential = await store.load()
    if credential is None:
        print("Credential:  none stored")
        print(f"Run `{PROG} login{_profile_flag(settings)}` to connect, or set KEAP_API_KEY for one run.")
        return 1
    where = "" if credential.source == "environment" else " (system keyring)"
    print(f"Credential:  {credential.describe()}{where}")
    logs.secrets = credential.secrets
    client = await open_client(
        settings, credential, store=store if credential.source != "environment" else None, max_retries=1
    )
    try:
        await client.verify()
    except AuthError as exc:
        print(f"Check:       refused: {exc}")
        return 1
    except KeapError as exc:
        print(f"Check:       could not check: {exc}")
        return 1
    finally:
        await client.aclose()
    print("Check:       OK, Keap accepted it")
    return 0


def _run(coro: Any) -> int:
    import asyncio  # only commands that talk to Keap or the keyring pay for it

    return asyncio.run(coro)


def _profile_flag(settings: Settings) -> str:
    return "" if settings.profile == "default" else f" --profile {settings.profile}"


# --- login ---------------------------------------------------------------------------------


def cmd_login(settings: Settings, ns: argparse.Namespace, environ: Mapping[str, str], logs: _Logs) -> int:
    if ns.oauth and not ns.client_id:
        raise CliError("--oauth needs --client-id (the client id of your Keap developer app)")
    if not ns.oauth and (ns.client_id or ns.client_secret_stdin or ns.no_browser):
        raise CliError("--client-id, --client-secret-stdin and --no-browser go with --oauth")
    if credential_from_env(environ) is not None:
        _say("note: KEAP_API_KEY is set; it is not stored, and while it is set it wins over the stored login")
    return _run(_login(settings, ns, logs))


async def _login(settings: Settings, ns: argparse.Namespace, logs: _Logs) -> int:
    store = CredentialStore(settings.profile)
    try:  # Fail before asking for anything if there is nowhere to keep it.
        await store.load()
    except CorruptCredential:
        pass  # about to be replaced
    if ns.oauth:
        credential = await _oauth_credential(settings, ns, logs)
    else:
        key = read_stdin_secret("key") if ns.with_token else read_secret(
            "Paste your Keap personal access token or service account key (input hidden): "
        )
        credential = Credential.from_api_key(key)
        logs.secrets = credential.secrets
        await _verify(settings, credential, "Nothing was stored.")
    await store.save(credential)
    print(f"Logged in to Keap as profile '{settings.profile}' with {_article(credential.describe())}.")
    print("The login is stored in the system keyring.")
    return 0


def _article(kind: str) -> str:
    return kind if kind.startswith("OAuth") else f"a {kind}"


async def _verify(settings: Settings, credential: Credential, after_refusal: str) -> None:
    from infusion_tui.connection import verify_credential

    try:
        await verify_credential(settings, credential)
    except AuthError as exc:
        raise CliError(f"{exc} {after_refusal}") from None


async def _oauth_credential(settings: Settings, ns: argparse.Namespace, logs: _Logs) -> Credential:
    import asyncio

    from infusion_tui.connection import oauth_login

    secret = read_stdin_secret("client secret") if ns.client_secret_stdin else read_secret("Client secret (input hidden): ")
    logs.secrets = lambda: (secret,)

    async def paste(url: str) -> str:
        print(f"Open this address in a browser and sign in to Keap:\n  {url}")
        return read_line("Then paste the address the browser ended on: ")

    async def show(url: str, redirect_uri: str) -> None:
        opened = await asyncio.to_thread(open_browser, url)  # may start a process
        print("Sign in to Keap in the browser window that opened." if opened else "Open this address in a browser:")
        print(f"  {url}\nWaiting for Keap to send the browser back to {redirect_uri} ...")

    try:
        if ns.no_browser:
            where = {"redirect_uri": ns.redirect_uri} if ns.redirect_uri else {}
            return await oauth_login(settings, ns.client_id, secret, paste=paste, **where)
        return await oauth_login(settings, ns.client_id, secret, on_url=show, port=ns.port)
    except AuthError as exc:
        raise CliError(f"{exc} Nothing was stored.") from None


# Prompts: module-level so tests can stand in for a person at a terminal.


def read_secret(prompt: str) -> str:
    import getpass

    if not sys.stdin or not sys.stdin.isatty():
        raise CliError(f"no terminal to ask on; pipe the secret in instead, e.g. `{PROG} login --with-token < keyfile`")
    try:
        value = getpass.getpass(prompt)
    except EOFError:
        value = ""
    if not value.strip():
        raise CliError("nothing was entered; nothing was stored")
    return value.strip()


def read_stdin_secret(what: str) -> str:
    line = sys.stdin.readline() if sys.stdin else ""
    if not line.strip():
        raise CliError(f"no {what} on standard input; nothing was stored")
    return line.strip()


def read_line(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        raise CliError("no address was pasted; nothing was stored") from None


def open_browser(url: str) -> bool:
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


# --- logging: a file in the log dir, with secrets scrubbed ---------------------------------

_HEADER = re.compile(r"(?i)(authorization|x-keap-api-key)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+")


class _Logs(logging.Filter):
    """The log file of one run; as a filter, it hides the credential in use and auth headers."""

    def __init__(self) -> None:
        super().__init__()
        self.handler: logging.Handler | None = None
        self.path: str | None = None
        self.secrets: Callable[[], Iterable[str]] = tuple  # set once a credential is known
        self._root_level = logging.WARNING

    def redact(self, text: str) -> str:
        from infusion_tui.keap.redact import REDACTED, redact_text

        for secret in sorted((s for s in self.secrets() if len(s) >= 4), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return _HEADER.sub(r"\1\2" + REDACTED, redact_text(text))

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_info:  # the formatter uses exc_text as is once it is set
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True

    def start(self, settings: Settings) -> None:
        try:
            settings.log_dir.mkdir(parents=True, exist_ok=True)
            settings.log_file.touch(mode=0o600)  # what the user did is theirs to read
            handler = logging.FileHandler(settings.log_file, encoding="utf-8")
        except OSError as exc:
            _say(f"warning: cannot write the log file in {settings.log_dir}: {exc.strerror or exc}")
            return
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(self)
        handler.setLevel(settings.log_level)
        root = logging.getLogger()
        root.addHandler(handler)
        self._root_level = root.level
        root.setLevel(settings.log_level)
        self.handler, self.path = handler, str(settings.log_file)

    def stop(self) -> None:
        if self.handler is not None:
            root = logging.getLogger()
            root.removeHandler(self.handler)
            root.setLevel(self._root_level)
            self.handler.close()
            self.handler = None
