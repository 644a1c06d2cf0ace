"""How LineTable rows look: the widget's default CSS, and the Rich style of a row from its
flags (new, overdue, done, dim) and whether the cursor is on it. No Textual import here.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style

from infusion_tui.table_index import DIM, DONE, NEW, OVERDUE

__all__ = ["COMPONENT_CLASSES", "CURSOR", "DEFAULT_CSS", "row_style"]

CURSOR = 1 << 30  # style-state bit next to the row flags
FLAG_CLASSES = (  # later ones win where they set the same attribute
    (DIM, "line-table--dim"),
    (DONE, "line-table--done"),
    (OVERDUE, "line-table--overdue"),
    (NEW, "line-table--new"),
)
COMPONENT_CLASSES = {f"line-table--{part}" for part in ("header", "cursor", "new", "overdue", "done", "dim", "empty")}

DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: scroll;  /* always there: rows arriving never shift the columns */
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .line-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .line-table--new { color: $success; text-style: bold; }
        & > .line-table--overdue { color: $error; }
        & > .line-table--done { color: $text-muted; text-style: strike; }
        & > .line-table--dim { color: $text-disabled; }
        & > .line-table--empty { color: $text-muted; text-style: italic; }
    }
    """


def row_style(state: int, base: Style, component_style: Callable[[str], Style]) -> Style:
    """`base` plus the component style of each flag set in `state`, then the cursor's."""
    style = base
    for bit, component in FLAG_CLASSES:
        if state & bit:
            style += component_style(component)
    if state & CURSOR:
        style += component_style("line-table--cursor")
    return style
