"""Server text is shown literally: nothing in it can drive the terminal."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from infusion_tui.text_safety import fit_cells, literal, one_line


def _has_control(s: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in s)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (None, ""),
        ("", ""),
        ("Plain Name", "Plain Name"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[1;38;2;255;0;0mbold rgb\x1b[m", "bold rgb"),
        ("\x1b]0;pwned title\x07after", "after"),  # OSC ended by BEL
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink, ST
        ("\x9b31mC1 csi", "C1 csi"),
        ("before\x1b]2;never ended", "before"),
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("a\x1bc b", "a b"),  # ESC c: full terminal reset
        ("line one\nline two", "line one ⏎ line two"),
        ("crlf\r\nnext", "crlf ⏎ next"),
        ("tab\there", "tab here"),
        ("[bold red]x[/]", "[bold red]x[/]"),  # markup is kept, it is never parsed
        ("café 😀 👩‍💻 🇫🇷", "café 😀 👩‍💻 🇫🇷"),  # ZWJ emoji survive
        ("שלום עולם", "שלום עולם"),  # right-to-left text
        ("مرحبا", "مرحبا"),
        ("evil\u202eexe.txt", "evilexe.txt"),  # bidi override removed
        ("no\u00a0break", "no break"),
        ("para\u2029graph", "para ⏎ graph"),
        ("bad \udcff surrogate", "bad \ufffd surrogate"),
    ],
)
def test_literal(raw: str | None, shown: str) -> None:
    assert literal(raw) == shown


def test_literal_newline_replacement_is_configurable() -> None:
    assert literal("a\nb", newline=" ") == "a b"


def test_literal_accepts_non_strings() -> None:
    assert literal(42) == "42"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "width", "shown"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("much too long", 8, "much to…"),
        ("x", 0, ""),
        ("xy", 1, "…"),
        ("two\nlines", 20, "two lines"),
        ("日本語のテキスト", 7, "日本語…"),  # wide characters: counted in cells
    ],
)
def test_one_line(raw: str, width: int, shown: str) -> None:
    assert one_line(raw, width) == shown


@given(st.text())
def test_literal_never_leaves_control_characters(raw: str) -> None:
    shown = literal(raw)
    assert "\x1b" not in shown
    assert not _has_control(shown)


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\x1b[]0;m\x07\x9b\n")))
def test_literal_strips_escape_soup(raw: str) -> None:
    assert not _has_control(literal(raw))


@given(st.text(), st.integers(min_value=0, max_value=40))
def test_one_line_fits(raw: str, width: int) -> None:
    shown = one_line(raw, width)
    assert cell_len(shown) <= width
    assert "\n" not in shown and not _has_control(shown)


@given(st.text(alphabet=st.characters(categories=("L", "N", "P", "S"))))
def test_literal_keeps_printable_text(raw: str) -> None:
    assert literal(raw) == raw


@pytest.mark.parametrize(
    ("raw", "width", "right", "shown"),
    [
        ("ab", 4, False, "ab  "),
        ("ab", 4, True, "  ab"),
        ("abcdef", 4, False, "abc…"),
        ("日本語", 4, False, "日 …"),  # a wide char straddling the cut becomes a space
        ("日本", 5, True, " 日本"),
        ("x", 0, False, ""),
    ],
)
def test_fit_cells(raw: str, width: int, right: bool, shown: str) -> None:
    assert fit_cells(raw, width, right) == shown


@given(st.text(alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"))), st.integers(0, 30), st.booleans())
def test_fit_cells_is_exactly_the_width(raw: str, width: int, right: bool) -> None:
    assert cell_len(fit_cells(literal(raw, newline=" "), width, right)) == width
