"""One Settings object: flags > environment > config file > defaults.

Read once at start-up, before anything heavy is imported (stdlib tomllib, no pydantic), and
validated here so that every mistake becomes one line the user can act on (`SettingsError`).
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

APP_NAME = "infusion-tui"
# Same value as infusion_tui.keap.KEAP_BASE_URL; repeated here so reading settings does not
# import httpx (tests check the two agree).
DEFAULT_BASE_URL = "https://api.infusionsoft.com/crm/rest/v1"
KEAP_POLL_FLOOR = 120.0  # Keap allows one trigger poll per 120 s per connection
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

ENV_VARS = {key: f"INFUSION_TUI_{key.upper()}" for key in ("profile", "base_url", "poll_interval", "theme")}
# Keys a config file may set (top level or in [profiles.NAME]); demo is a per-run choice.
CONFIG_KEYS = ("profile", "base_url", "poll_interval", "calls_per_minute", "theme", "bell", "log_level")


class SettingsError(Exception):
    """A setting is wrong; `str(err)` is one line saying which and what to do."""


def _dirs() -> Any:
    import platformdirs  # small, but only needed here

    return platformdirs.PlatformDirs(APP_NAME, appauthor=False)


@dataclass(frozen=True)
class Settings:
    profile: str = "default"
    base_url: str = DEFAULT_BASE_URL
    poll_interval: float = KEAP_POLL_FLOOR
    calls_per_minute: int = 100
    theme: str = "textual-dark"
    bell: bool = False
    demo: bool = False
    log_level: str = "WARNING"
    config_path: Path = field(default_factory=lambda: _dirs().user_config_path / "config.toml")
    config_dir: Path = field(default_factory=lambda: _dirs().user_config_path)
    data_dir: Path = field(default_factory=lambda: _dirs().user_data_path)
    cache_dir: Path = field(default_factory=lambda: _dirs().user_cache_path)
    log_dir: Path = field(default_factory=lambda: _dirs().user_log_path)
    state_dir: Path = field(default_factory=lambda: _dirs().user_state_path)
    # Where each value came from ("default", "config", "env", "flag"), for `status` and for
    # the demo, which may only lower the poll interval when the user did not choose one.
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    # Lines worth telling the user (a raised poll interval, an unknown config key).
    warnings: tuple[str, ...] = ()

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{APP_NAME}.log"

    @property
    def is_local(self) -> bool:
        """True for a loopback base URL: a local sandbox, never real Keap."""
        return _is_loopback(urlsplit(self.base_url).hostname or "")


# --- validation: each returns the clean value or raises SettingsError with one line ----------


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":  # not *.localhost: some resolvers forward those upstream
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{where}: base URL must be a URL like {DEFAULT_BASE_URL}")
    url = value.strip()
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError for a port that is not a number  # noqa: B018
    except ValueError:
        raise SettingsError(f"{where}: malformed base URL {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{where}: malformed base URL {url!r}: expected http(s)://host/path")
    if parts.username or parts.password:
        # Credentials in a URL end up in logs and shell history; they belong in the keyring.
        raise SettingsError(f"{where}: base URL must not contain a user name or password")
    if parts.query or parts.fragment:
        raise SettingsError(f"{where}: base URL must not have a query or fragment: {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise SettingsError(
            f"{where}: refusing plain http to {parts.hostname}: "
            "use https, or a loopback address for a local sandbox"
        )
    return url.rstrip("/")


def check_poll_interval(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{where}: 'poll_interval' must be a number of seconds, got {_kind(value)}")
    if not math.isfinite(value) or value <= 0:
        raise SettingsError(f"{where}: poll interval must be more than 0 seconds, got {value:g}")
    return float(value)


def _check_positive_int(key: str, value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{where}: '{key}' must be a whole number, got {_kind(value)}")
    if value <= 0:
        raise SettingsError(f"{where}: '{key}' must be more than 0, got {value}")
    return value


def _check_str(key: str, value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{where}: '{key}' must be a non-empty string, got {_kind(value)}")
    return value.strip()


def _check_bool(key: str, value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{where}: '{key}' must be true or false, got {_kind(value)}")
    return value


def check_profile(value: object, where: str) -> str:
    name = _check_str("profile", value, where)
    if not _PROFILE_RE.match(name):
        raise SettingsError(f"{where}: profile name {name!r} may only use letters, digits, '.', '_' and '-'")
    return name


def _check_log_level(value: object, where: str) -> str:
    level = _check_str("log_level", value, where).upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{where}: 'log_level' must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


_CHECKS = {
    "profile": check_profile,
    "base_url": check_base_url,
    "poll_interval": check_poll_interval,
    "calls_per_minute": lambda v, w: _check_positive_int("calls_per_minute", v, w),
    "theme": lambda v, w: _check_str("theme", v, w),
    "bell": lambda v, w: _check_bool("bell", v, w),
    "demo": lambda v, w: _check_bool("demo", v, w),
    "log_level": _check_log_level,
}


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


# --- the config file ---------------------------------------------------------------------------


def read_config(path: Path) -> dict[str, Any]:
    """The parsed config file, {} when it does not exist; SettingsError when it is not TOML."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SettingsError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line N, column M)".
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None


def _config_layers(doc: Mapping[str, Any], path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Split the file into top-level keys and the [profiles.NAME] tables."""
    top = {k: v for k, v in doc.items() if k != "profiles"}
    profiles = doc.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(t, dict) for t in profiles.values()):
        raise SettingsError(f"{path}: 'profiles' must hold tables like [profiles.work]")
    return top, profiles


# --- putting it together ---------------------------------------------------------------------


def load_settings(
    cli: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Settings from flags (`cli`, None values ignored) > environ > config file > defaults.

    The platform directories come from platformdirs, which reads os.environ (XDG_*), not
    `environ`. `config_path` (from --config) replaces the default file and must exist.
    """
    cli = {k: v for k, v in (cli or {}).items() if v is not None}
    environ = environ if environ is not None else {}
    defaults = Settings()
    path = Path(config_path).expanduser() if config_path is not None else defaults.config_path
    if config_path is not None and not path.is_file():
        raise SettingsError(f"config file {path} does not exist")
    top, profiles = _config_layers(read_config(path), path)
    warnings: list[str] = []
    for where, table in [(str(path), top)] + [(f"{path} [profiles.{n}]", t) for n, t in profiles.items()]:
        for key in table:
            if key not in CONFIG_KEYS:
                warnings.append(f"{where}: unknown key '{key}' ignored")

    def env_value(key: str) -> tuple[Any, str] | None:
        name = ENV_VARS.get(key)
        if name and environ.get(name, "").strip():
            return _from_text(key, environ[name], name), name
        return None

    # The profile is chosen first: it decides which [profiles.NAME] table applies.
    if "profile" in cli:
        profile, p_src = check_profile(cli["profile"], "--profile"), "flag"
    elif (env := env_value("profile")) is not None:
        profile, p_src = check_profile(env[0], env[1]), "env"
    elif "profile" in top:
        profile, p_src = check_profile(top["profile"], str(path)), "config"
    else:
        profile, p_src = defaults.profile, "default"
    profile_table = profiles.get(profile, {})

    values: dict[str, Any] = {"profile": profile}
    sources: dict[str, str] = {"profile": p_src}
    for key, check in _CHECKS.items():
        if key == "profile":
            continue
        if key in cli:
            flag = "--" + key.replace("_", "-")
            values[key], sources[key] = check(_from_text(key, cli[key], flag), flag), "flag"
        elif (env := env_value(key)) is not None:
            values[key], sources[key] = check(env[0], env[1]), "env"
        elif key in profile_table and key in CONFIG_KEYS:
            values[key] = check(profile_table[key], f"{path} [profiles.{profile}]")
            sources[key] = "config"
        elif key in top and key in CONFIG_KEYS:
            values[key], sources[key] = check(top[key], str(path)), "config"
        else:
            sources[key] = "default"

    settings = dataclasses.replace(defaults, **values, config_path=path, sources=sources)
    return _apply_poll_floor(settings, warnings)


def _from_text(key: str, value: Any, where: str) -> Any:
    """Flags and environment variables arrive as text; the config file has real types."""
    if key == "poll_interval" and isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise SettingsError(f"{where}: poll interval must be a number of seconds, got {value!r}") from None
    return value


def _apply_poll_floor(settings: Settings, warnings: list[str]) -> Settings:
    # Real Keap allows one poll per 120 s. The demo sandbox and a local (loopback) sandbox
    # declare their own, shorter frequency, so the floor is theirs to apply (see connection.py).
    floor_applies = not settings.demo and not settings.is_local
    if floor_applies and settings.poll_interval < KEAP_POLL_FLOOR:
        warnings.append(
            f"poll interval {settings.poll_interval:g} s is below Keap's limit of one poll per "
            f"{KEAP_POLL_FLOOR:g} s; using {KEAP_POLL_FLOOR:g} s"
        )
        settings = dataclasses.replace(settings, poll_interval=KEAP_POLL_FLOOR)
    return dataclasses.replace(settings, warnings=tuple(warnings))


def with_declared_poll_interval(settings: Settings, declared: float) -> Settings:
    """Settings for a server that declares its own poll frequency (the demo sandbox).

    Its frequency is the default and the floor. A longer interval given for this run (flag or
    environment) is kept; one from the config file is meant for Keap, so the demo ignores it.
    """
    if settings.sources.get("poll_interval") not in ("flag", "env"):
        return dataclasses.replace(settings, poll_interval=float(declared))
    if settings.poll_interval < declared:
        note = (f"poll interval {settings.poll_interval:g} s is below the sandbox's limit of one poll "
                f"per {declared:g} s; using {declared:g} s")
        return dataclasses.replace(settings, poll_interval=float(declared), warnings=settings.warnings + (note,))
    return settings


# --- saving a preference (e.g. the theme picked in the app) -------------------------------


def save_preference(settings: Settings, key: str, value: str | int | float | bool) -> Settings:
    """Write `key = value` into the config file and return the updated Settings.

    Edits the text in place, so the user's other keys and comments survive. The key is set in
    the current profile's [profiles.NAME] table when that table already sets it (otherwise the
    new value would be shadowed), else at the top level. The result is re-parsed before it is
    written: if anything other than this one key would change, nothing is written.
    """
    if key not in CONFIG_KEYS or key == "profile":
        raise SettingsError(f"'{key}' is not a preference that can be saved")
    where = f"preference '{key}'"
    clean = _CHECKS[key](value, where)
    path = settings.config_path
    try:
        old_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old_text = "# infusion-tui settings; see `infusion-tui locate`\n"
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read config file {path}: {exc}") from None
    old_doc = read_config(path)
    _, profiles = _config_layers(old_doc, path)
    in_profile = key in profiles.get(settings.profile, {})
    new_text = _set_key(old_text, key, _toml_value(clean), settings.profile if in_profile else None)

    expected = copy.deepcopy(old_doc)
    (expected["profiles"][settings.profile] if in_profile else expected)[key] = clean
    try:
        ok = tomllib.loads(new_text) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise SettingsError(f"could not update '{key}' in {path} safely; edit that file by hand")
    _write_atomically(path, new_text)
    return dataclasses.replace(settings, **{key: clean})


_HEADER_RE = re.compile(r"^\s*\[")


def _set_key(text: str, key: str, rendered: str, profile: str | None) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    # The section to edit: the top level (before the first table) or [profiles.NAME].
    if profile is None:
        start = 0
    else:
        header = re.compile(r"^\s*\[\s*profiles\s*\.\s*[\"']?" + re.escape(profile) + r"[\"']?\s*\]\s*(#.*)?$")
        start = next((i + 1 for i, line in enumerate(lines) if header.match(line)), len(lines))
    end = next((i for i in range(start, len(lines)) if _HEADER_RE.match(lines[i])), len(lines))
    key_re = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
    new_line = f"{key} = {rendered}\n"
    for i in range(start, end):
        if key_re.match(lines[i]):
            lines[i] = new_line
            return "".join(lines)
    # Not there yet: add it after the section's last non-blank line.
    at = end
    while at > start and not lines[at - 1].strip():
        at -= 1
    lines.insert(at, new_line)
    return "".join(lines)


def _toml_value(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _write_atomically(path: Path, text: str) -> None:
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except OSError as exc:
        raise SettingsError(f"cannot write config file {path}: {exc.strerror or exc}") from None
