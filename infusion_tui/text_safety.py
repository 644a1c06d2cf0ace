"""Make text from the server safe to show literally in a terminal.

Keap returns whatever people typed: names with newlines, notes pasted from a terminal with
colour codes, a company called "[bold red]ACME[/]". Shown raw, an escape sequence can move
the cursor, retitle the window or wreck the row layout. `literal` removes what the terminal
would *act on* and keeps everything a person would *read*: emoji, right-to-left scripts,
accents, and Rich markup characters (markup is harmless because widgets never parse it: they
build `rich.text.Text(...)` or `Segment`s directly, never `Text.from_markup`).

No Textual import here: `keap/` and `store.py` may call it.
"""

from __future__ import annotations

import re
import unicodedata

from rich.cells import cell_len, set_cell_size

__all__ = ["literal", "one_line", "fit_cells", "NEWLINE_MARK"]

NEWLINE_MARK = " ⏎ "
ELLIPSIS = "…"

# Escape sequences, 7-bit (ESC ...) and 8-bit (C1) forms. An unterminated string
# sequence (OSC/DCS/...) swallows the rest of the text: better lost than obeyed.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                  # CSI: colours, cursor moves
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])               # OSC, DCS, SOS, PM, APC ...
      [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?                # ... up to BEL or ST
    | \x1b [ -/]* [0-~]?                                    # any other ESC sequence
    """,
    re.VERBOSE,
)
_NEWLINES = re.compile(r"\r\n|[\n\r\v\f\x85\u2028\u2029]")

# Invisible characters that reorder or hide text (Trojan-Source style bidi overrides,
# BOM, soft hyphen). Letters of right-to-left scripts and the LRM/RLM marks are kept.
_INVISIBLE_TRICKS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad")


def _clean_char(ch: str) -> str:
    """The replacement for one character that is not `str.isprintable()`."""
    if ch == "\t":
        return " "
    if ch in _INVISIBLE_TRICKS:
        return ""
    category = unicodedata.category(ch)
    if category == "Cc":  # remaining C0/C1 controls, DEL
        return ""
    if category == "Cs":  # lone surrogate from a bad decode: the terminal cannot encode it
        return "\ufffd"
    if category in ("Zs", "Zl", "Zp"):  # no-break and other odd spaces
        return " "
    return ch  # format chars such as ZWJ (emoji sequences), private use, unassigned


def literal(s: str | None, newline: str = NEWLINE_MARK) -> str:
    """`s` with escape sequences and control characters removed, shown as plain text.

    Newlines become `newline` (" ⏎ " by default), tabs become a space. The result never
    contains a C0/C1 control character, so it cannot move the cursor or change colours.
    """
    if not s:
        return ""
    if not isinstance(s, str):
        s = str(s)
    if s.isprintable():  # the common case, checked in C
        return s
    s = _ESCAPES.sub("", s)
    s = _NEWLINES.sub(newline, s)
    if s.isprintable():
        return s
    return "".join(ch if ch.isprintable() else _clean_char(ch) for ch in s)


def one_line(s: str | None, max_len: int) -> str:
    """`literal(s)` on a single line, at most `max_len` terminal cells, "…" when cut.

    Width is counted in cells, not characters, so wide emoji and CJK text fit the space
    they really take on screen.
    """
    text = literal(s, newline=" ")
    if max_len <= 0:
        return ""
    width = len(text) if text.isascii() else cell_len(text)
    if width <= max_len:
        return text
    if max_len == 1:
        return ELLIPSIS
    if text.isascii():
        return text[: max_len - 1] + ELLIPSIS
    # set_cell_size pads with a space when a wide character straddles the cut
    return set_cell_size(text, max_len - 1) + ELLIPSIS


def fit_cells(text: str, width: int, right: bool = False) -> str:
    """Single-line `text` in exactly `width` cells: cut with "…" or padded with spaces,
    left or right justified. Table cells use it on text that is already literal."""
    size = len(text) if text.isascii() else cell_len(text)
    if size > width:
        text = one_line(text, width)
        size = cell_len(text)
    return " " * (width - size) + text if right else text + " " * (width - size)
