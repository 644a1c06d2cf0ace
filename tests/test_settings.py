"""Settings: precedence, profiles, the poll floor, and one clear line for every mistake."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from infusion_tui.settings import (
    DEFAULT_BASE_URL,
    KEAP_POLL_FLOOR,
    Settings,
    SettingsError,
    load_settings,
    save_preference,
    with_declared_poll_interval,
)


def write_config(isolated_home: Path, text: str) -> Path:
    path = isolated_home / ".config" / "infusion-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_line(excinfo: pytest.ExceptionInfo[SettingsError]) -> str:
    text = str(excinfo.value)
    assert "\n" not in text and text
    return text


def test_defaults_and_platform_dirs(isolated_home):
    s = load_settings({}, {})
    assert (s.profile, s.base_url, s.poll_interval, s.calls_per_minute) == ("default", DEFAULT_BASE_URL, 120.0, 100)
    assert (s.theme, s.bell, s.demo, s.log_level) == ("textual-dark", False, False, "WARNING")
    assert s.config_path == isolated_home / ".config" / "infusion-tui" / "config.toml"
    for d in (s.config_dir, s.data_dir, s.cache_dir, s.log_dir, s.state_dir):
        assert d.is_relative_to(isolated_home) and "infusion-tui" in str(d)
    assert s.warnings == ()
    assert set(s.sources.values()) == {"default"}


def test_default_base_url_matches_the_client():
    keap = pytest.importorskip("infusion_tui.keap")
    if not hasattr(keap, "KEAP_BASE_URL"):
        pytest.skip("infusion_tui.keap.KEAP_BASE_URL not there yet")
    assert keap.KEAP_BASE_URL == DEFAULT_BASE_URL


def test_precedence_flags_over_env_over_file_over_defaults(isolated_home):
    write_config(isolated_home, 'theme = "file-theme"\npoll_interval = 300\nbell = true\ncalls_per_minute = 50\n')
    env = {"INFUSION_TUI_THEME": "env-theme", "INFUSION_TUI_POLL_INTERVAL": "400"}
    s = load_settings({"theme": "flag-theme"}, env)
    assert s.theme == "flag-theme" and s.sources["theme"] == "flag"
    assert s.poll_interval == 400.0 and s.sources["poll_interval"] == "env"
    assert s.bell is True and s.sources["bell"] == "config"
    assert s.calls_per_minute == 50
    assert s.log_level == "WARNING" and s.sources["log_level"] == "default"
    # None in the flags means "not given", not "override with nothing".
    assert load_settings({"theme": None}, {}).theme == "file-theme"


def test_env_base_url_and_profile(isolated_home):
    env = {"INFUSION_TUI_BASE_URL": "https://eu.example.com/crm/rest/v1/", "INFUSION_TUI_PROFILE": "work"}
    s = load_settings({}, env)
    assert s.base_url == "https://eu.example.com/crm/rest/v1"  # trailing slash dropped
    assert s.profile == "work"
    assert load_settings({"profile": "home"}, env).profile == "home"


def test_profile_tables_override_top_level(isolated_home):
    write_config(
        isolated_home,
        """# my settings
theme = "top"
poll_interval = 200
profile = "work"

[profiles.work]
theme = "work-theme"
base_url = "https://work.example.com/crm/rest/v1"

[profiles.home]
poll_interval = 600
""",
    )
    s = load_settings({}, {})
    assert (s.profile, s.theme, s.base_url, s.poll_interval) == ("work", "work-theme", "https://work.example.com/crm/rest/v1", 200.0)
    s = load_settings({"profile": "home"}, {})
    assert (s.theme, s.base_url, s.poll_interval) == ("top", DEFAULT_BASE_URL, 600.0)
    s = load_settings({}, {"INFUSION_TUI_PROFILE": "other"})
    assert (s.profile, s.theme) == ("other", "top")


def test_explicit_config_path(tmp_path):
    path = tmp_path / "elsewhere.toml"
    path.write_text('theme = "x"\n')
    s = load_settings({}, {}, config_path=path)
    assert s.theme == "x" and s.config_path == path
    with pytest.raises(SettingsError) as exc:
        load_settings({}, {}, config_path=tmp_path / "missing.toml")
    assert "missing.toml" in error_line(exc) and "does not exist" in error_line(exc)


def test_poll_floor_for_real_keap(isolated_home):
    s = load_settings({"poll_interval": "30"}, {})
    assert s.poll_interval == KEAP_POLL_FLOOR
    assert len(s.warnings) == 1 and "120" in s.warnings[0] and "30" in s.warnings[0]
    assert load_settings({"poll_interval": "180"}, {}).poll_interval == 180.0


def test_no_floor_for_demo_or_local_sandbox(isolated_home):
    assert load_settings({"poll_interval": "5", "demo": True}, {}).poll_interval == 5.0
    local = load_settings({"poll_interval": "2", "base_url": "http://127.0.0.1:8123/crm/rest/v1"}, {})
    assert local.poll_interval == 2.0 and local.warnings == ()


def test_declared_poll_interval_for_the_demo(isolated_home):
    s = load_settings({"demo": True}, {})
    assert with_declared_poll_interval(s, 5.0).poll_interval == 5.0  # user chose nothing
    write_config(isolated_home, "poll_interval = 300\n")  # meant for Keap, not the demo
    assert with_declared_poll_interval(load_settings({"demo": True}, {}), 5.0).poll_interval == 5.0
    s = load_settings({"demo": True}, {"INFUSION_TUI_POLL_INTERVAL": "60"})
    assert with_declared_poll_interval(s, 5.0).poll_interval == 60.0
    s = load_settings({"demo": True, "poll_interval": "30"}, {})
    assert with_declared_poll_interval(s, 5.0).poll_interval == 30.0  # longer: kept
    s = load_settings({"demo": True, "poll_interval": "1"}, {})
    raised = with_declared_poll_interval(s, 5.0)
    assert raised.poll_interval == 5.0 and "5" in raised.warnings[-1]


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "soon"])
def test_bad_poll_interval_flag(value):
    with pytest.raises(SettingsError) as exc:
        load_settings({"poll_interval": value}, {})
    assert error_line(exc).startswith("--poll-interval: ")


def test_bad_poll_interval_env():
    with pytest.raises(SettingsError) as exc:
        load_settings({}, {"INFUSION_TUI_POLL_INTERVAL": "fast"})
    assert "INFUSION_TUI_POLL_INTERVAL" in error_line(exc)


@pytest.mark.parametrize(
    ("url", "expect"),
    [
        ("api.infusionsoft.com", "malformed base URL"),
        ("ftp://api.example.com/x", "malformed base URL"),
        ("https://", "malformed base URL"),
        ("https://host:notaport/x", "malformed base URL"),
        ("https://user:pw@host/x", "must not contain a user name or password"),
        ("https://host/x?y=1", "query"),
        ("http://api.infusionsoft.com/crm/rest/v1", "use https, or a loopback address for a local sandbox"),
    ],
)
def test_bad_base_url(url, expect):
    with pytest.raises(SettingsError) as exc:
        load_settings({"base_url": url}, {})
    line = error_line(exc)
    assert line.startswith("--base-url: ") and expect in line
    assert "pw" not in line or "password" in line


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.0.0.5"])
def test_plain_http_to_loopback_is_fine(host):
    assert load_settings({"base_url": f"http://{host}:8000/crm/rest/v1"}, {}).base_url.startswith("http://")


def test_plain_http_to_names_under_localhost_is_refused():
    # some resolvers forward *.localhost upstream: a key must not leave the machine in clear text
    with pytest.raises(SettingsError):
        load_settings({"base_url": "http://sandbox.localhost:8000/crm/rest/v1"}, {})


def test_config_not_toml_names_file_and_line(isolated_home):
    path = write_config(isolated_home, 'theme = "ok"\npoll_interval = = 3\n')
    with pytest.raises(SettingsError) as exc:
        load_settings({}, {})
    line = error_line(exc)
    assert str(path) in line and "line 2" in line and "not valid TOML" in line


def test_config_not_utf8(isolated_home):
    path = isolated_home / ".config" / "infusion-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'theme = "\xff"\n')
    with pytest.raises(SettingsError) as exc:
        load_settings({}, {})
    assert "UTF-8" in error_line(exc)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('poll_interval = "30"', "poll_interval", "number of seconds"),
        ("bell = 1", "bell", "true or false"),
        ("calls_per_minute = 2.5", "calls_per_minute", "whole number"),
        ("calls_per_minute = 0", "calls_per_minute", "more than 0"),
        ("theme = 3", "theme", "string"),
        ('log_level = "LOUD"', "log_level", "one of"),
        ("base_url = 42", "base URL", "URL"),
        ('profile = "no spaces"', "profile", "letters, digits"),
        ("profiles = 3", "profiles", "tables"),
        ('[profiles.default]\nbell = "yes"', "bell", "true or false"),
    ],
)
def test_config_wrong_types(isolated_home, text, key, expected):
    path = write_config(isolated_home, text + "\n")
    with pytest.raises(SettingsError) as exc:
        load_settings({}, {})
    line = error_line(exc)
    assert str(path) in line and key in line and expected in line


def test_unknown_config_keys_warn(isolated_home):
    write_config(isolated_home, "colour = 1\n[profiles.work]\nsize = 2\n")
    s = load_settings({}, {})
    assert any("colour" in w for w in s.warnings) and any("size" in w for w in s.warnings)


def test_settings_are_frozen():
    s = Settings()
    with pytest.raises(AttributeError):
        s.theme = "x"  # type: ignore[misc]


def test_save_preference_creates_the_file(isolated_home):
    s = load_settings({}, {})
    s2 = save_preference(s, "theme", "nord")
    assert s2.theme == "nord"
    assert tomllib.loads(s.config_path.read_text())["theme"] == "nord"
    assert load_settings({}, {}).theme == "nord"


def test_save_preference_keeps_comments_and_other_keys(isolated_home):
    original = """# my own comment
theme = "old"   # was dark
bell = true

[profiles.work]
# work is loud
poll_interval = 300
"""
    path = write_config(isolated_home, original)
    s = load_settings({}, {})
    save_preference(s, "theme", 'say "hi" \\ ok')
    save_preference(s, "poll_interval", 240.0)
    text = path.read_text()
    assert "# my own comment" in text and "# work is loud" in text and "bell = true" in text
    doc = tomllib.loads(text)
    assert doc["theme"] == 'say "hi" \\ ok' and doc["poll_interval"] == 240.0
    assert doc["profiles"]["work"]["poll_interval"] == 300
    # the top-level key went before the first table, not into [profiles.work]
    assert text.index("poll_interval = 240.0") < text.index("[profiles.work]")


def test_save_preference_updates_the_profile_table_that_sets_it(isolated_home):
    path = write_config(isolated_home, 'theme = "top"\n[profiles.work]\ntheme = "w"\n')
    s = load_settings({"profile": "work"}, {})
    save_preference(s, "theme", "nord")
    doc = tomllib.loads(path.read_text())
    assert doc["theme"] == "top" and doc["profiles"]["work"]["theme"] == "nord"
    assert load_settings({"profile": "work"}, {}).theme == "nord"


def test_save_preference_validates_and_refuses_unsafe_edits(isolated_home):
    s = load_settings({}, {})
    with pytest.raises(SettingsError):
        save_preference(s, "theme", 3)
    with pytest.raises(SettingsError):
        save_preference(s, "secret_sauce", "x")
    # A key set through a dotted key the line editor cannot see: refused, file untouched.
    original = 'profiles.default.theme = "a"\n'
    path = write_config(isolated_home, original)
    with pytest.raises(SettingsError) as exc:
        save_preference(load_settings({}, {}), "theme", "b")
    assert "by hand" in error_line(exc)
    assert path.read_text() == original
