"""LineTable: a table that renders only the rows on screen, through Textual's line API.

Both panes (tasks, orders) use it. The rows live in a `TableIndex` (pure data, sorted and
filtered there); this widget maps screen lines to visible rows in `render_line` and builds
each line as one `Segment`: one string, one style. Nothing is done per row that is not on
screen, so a million rows cost what a screenful costs, apart from memory.

Line 0 is the header and never scrolls; screen line y > 0 shows visible row
`scroll_y + y - 1`, so the virtual height is rows + 1. Server text is shown literally:
cells come from `make_row` (escape codes removed) and are never parsed as markup.
"""

from __future__ import annotations

import asyncio
from functools import partial
from collections.abc import Callable, Hashable, Iterable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from infusion_tui.table_index import Row, RowData, TableIndex
from infusion_tui.text_safety import one_line
from infusion_tui.ui.widgets.line_table_anchor import Anchor, settle
from infusion_tui.ui.widgets.line_table_layout import Column, Layout, fit
from infusion_tui.ui.widgets.line_table_style import COMPONENT_CLASSES, CURSOR, DEFAULT_CSS, row_style

__all__ = ["Column", "LineTable"]

_FILTER_GROUP = "line-table-filter"


class _RowMessage(Message):
    def __init__(self, line_table: LineTable, key: Hashable | None) -> None:
        self.line_table = line_table
        self.key = key
        super().__init__()

    @property
    def control(self) -> LineTable:
        return self.line_table


class LineTable(ScrollView, can_focus=True):
    """A keyboard-first table over a `TableIndex`; see the module docstring."""

    COMPONENT_CLASSES = COMPONENT_CLASSES

    DEFAULT_CSS = DEFAULT_CSS

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="line_table.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="line_table.cursor_down"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="line_table.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False, id="line_table.page_down"),
        Binding("home", "cursor_first", "First", show=False, id="line_table.first"),
        Binding("end", "cursor_last", "Last", show=False, id="line_table.last"),
        Binding("enter", "activate", "Open", show=False, id="line_table.activate"),
    ]

    ASYNC_FILTER_ROWS = 200_000  # scans bigger than this run in a worker, in chunks
    FILTER_CHUNK = 10_000  # about 1-2 ms of scanning between two looks at the keyboard

    empty_message: reactive[str] = reactive("No rows")

    class RowActivated(_RowMessage):
        """Enter (or a double click) on the row with `key`."""

    class CursorMoved(_RowMessage):
        """The row under the cursor changed (at most once per frame); key None: no rows."""

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        sort_names: Sequence[str] = (),
        empty_message: str = "No rows",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.columns: list[Column] = list(columns)
        self.index = TableIndex(sort_names)
        self._cursor = 0
        self._layout_for: Layout | None = None
        self._header_for: tuple[int, tuple, Strip] | None = None
        self._blank_for: Strip | None = None
        self._strips: LRUCache[tuple[Hashable, int], tuple[RowData, int, Strip]] = LRUCache(1024)
        self._styles: dict[int, Style] = {}
        self._cursor_notice_pending = False
        self._noticed_key: object = object()
        self.set_reactive(LineTable.empty_message, empty_message)

    # -- what the app calls --------------------------------------------------------------

    @property
    def cursor_key(self) -> Hashable | None:
        rows = self.index.visible_rows
        return rows[self._cursor][0] if self._cursor < len(rows) else None

    @property
    def cursor_row(self) -> Row | None:
        rows = self.index.visible_rows
        return Row._make(rows[self._cursor]) if self._cursor < len(rows) else None

    @property
    def cursor_index(self) -> int:
        return self._cursor

    def replace_rows(self, rows: Iterable[RowData], *, presorted: bool = False) -> None:
        """Show `rows` instead (a list is adopted; see `TableIndex.replace_all`)."""
        anchor = self._anchor()
        self.index.replace_all(rows, presorted=presorted)
        self._strips.clear()  # new row objects: the old strips would only wait for eviction
        self._rows_changed(anchor, follow_key=False)

    def upsert_rows(self, rows: Iterable[RowData]) -> list[Hashable]:
        """Insert or update rows by key. The cursor stays on its key and the top row stays
        on top, so rows arriving above the viewport do not move what the user sees."""
        anchor = self._anchor()
        changed = self.index.upsert(rows)
        if changed:
            self._rows_changed(anchor, follow_key=True)
        return changed

    def remove_rows(self, keys: Iterable[Hashable]) -> list[Hashable]:
        anchor = self._anchor()
        removed = self.index.remove(keys)
        if removed:
            self._rows_changed(anchor, follow_key=True)
        return removed

    def flag_rows(self, keys: Iterable[Hashable], flag: int | str, on: bool = True) -> list[Hashable]:
        """Set or clear a flag ("new", "overdue", "done", "dim") on rows by key."""
        anchor = self._anchor()
        changed = self.index.flag_many(keys, flag, on)
        if changed:
            self._rows_changed(anchor, follow_key=True)
        return changed

    def set_filter(self, text: str) -> None:
        """Filter rows by words. Big scans run in an exclusive worker: each keystroke
        cancels the previous scan, and cursor keys keep working while one runs."""
        if self.index.filter_cost(text) <= self.ASYNC_FILTER_ROWS:
            self.workers.cancel_group(self, _FILTER_GROUP)
            anchor = self._anchor()
            self.index.set_filter(text)
            self._rows_changed(anchor, follow_key=False, keep_top=False)
        else:
            self.run_worker(partial(self._filter_in_chunks, text), group=_FILTER_GROUP, exclusive=True)

    def set_sort(self, name: str | None, reverse: bool = False) -> None:
        anchor = self._anchor()
        self.index.set_sort(name, reverse)
        self._header_for = None
        self._rows_changed(anchor, follow_key=False, keep_top=False)

    def set_predicate(self, predicate: Callable[[Row], bool] | None) -> None:
        anchor = self._anchor()
        self.index.set_predicate(predicate)
        self._rows_changed(anchor, follow_key=False, keep_top=False)

    def move_cursor_to_key(self, key: Hashable) -> bool:
        position = self.index.position_of(key)
        if position is None:
            return False
        self._move_cursor(position)
        return True

    # -- actions -------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_cursor_page_up(self) -> None:
        page = self._page()
        self._scroll_rows(self.scroll_offset.y - page)
        self._move_cursor(self._cursor - page)

    def action_cursor_page_down(self) -> None:
        page = self._page()
        self._scroll_rows(self.scroll_offset.y + page)
        self._move_cursor(self._cursor + page)

    def action_cursor_first(self) -> None:
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        self._move_cursor(len(self.index.visible_rows) - 1)

    def action_activate(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowActivated(self, key))

    # -- events --------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._update_virtual_size()

    def on_resize(self, event: events.Resize) -> None:
        # layout, header and strips are cached by width: nothing to clear here
        self._update_virtual_size()
        self._scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        position = self.scroll_offset.y + offset.y - 1
        if position < len(self.index.visible_rows):
            self._move_cursor(position)
            if event.chain >= 2:
                self.action_activate()

    def notify_style_update(self) -> None:
        super().notify_style_update()  # theme, focus: resolved styles are stale
        self._styles.clear()
        self._strips.clear()
        self._header_for = self._blank_for = None
        self.refresh()

    def watch_empty_message(self) -> None:
        if not self.index.visible_rows:
            self.refresh()

    # -- the line API --------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width  # without the scrollbar
        if y == 0:
            return self._header(width)
        rows = self.index.visible_rows
        if not rows:
            return self._empty_line(y, width)
        position = self.scroll_offset.y + y - 1
        if position >= len(rows):
            return self._blank(width)
        row = rows[position]  # (key, cells, haystack, sort_keys, flags)
        state = row[4] | CURSOR if position == self._cursor else row[4]
        cached = self._strips.get((row[0], state))
        if cached is not None and cached[0] is row and cached[1] == width:
            return cached[2]
        strip = Strip([Segment(self._layout(width).line(row[1]), self._style(state))], width)
        self._strips[(row[0], state)] = (row, width, strip)
        return strip

    def _header(self, width: int) -> Strip:
        sort = self.index.sort
        if self._header_for is not None and self._header_for[:2] == (width, sort):
            return self._header_for[2]
        arrow = " ▼" if sort[1] else " ▲"
        text = self._layout(width).line([c.label + (arrow if sort[0] == c.key else "") for c in self.columns])
        style = self.rich_style + self.get_component_rich_style("line-table--header")
        strip = Strip([Segment(text, style)], width)
        self._header_for = (width, sort, strip)
        return strip

    def _empty_line(self, y: int, width: int) -> Strip:
        middle = 1 + max(0, self.scrollable_content_region.height - 2) // 2
        if y != middle or not self.empty_message:
            return self._blank(width)
        text = one_line(self.empty_message, max(0, width - 2))
        pad = max(0, width - cell_len(text))
        line = " " * (pad // 2) + text + " " * (pad - pad // 2)
        style = self.rich_style + self.get_component_rich_style("line-table--empty")
        return Strip([Segment(line, style)], width)

    def _blank(self, width: int) -> Strip:
        if self._blank_for is None or self._blank_for.cell_length != width:
            self._blank_for = Strip.blank(width, self.rich_style)  # rich_style walks the DOM
        return self._blank_for

    def _style(self, state: int) -> Style:
        style = self._styles.get(state)
        if style is None:
            style = self._styles[state] = row_style(state, self.rich_style, self.get_component_rich_style)
        return style

    def _layout(self, width: int) -> Layout:
        """Which columns are shown and how wide: computed once per width."""
        if self._layout_for is None or self._layout_for.width != width:
            self._layout_for = fit(self.columns, width)
        return self._layout_for

    # -- cursor and scrolling ------------------------------------------------------------

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _move_cursor(self, position: int) -> None:
        rows = self.index.visible_rows
        if not rows:
            return
        position = max(0, min(position, len(rows) - 1))
        old, self._cursor = self._cursor, position
        if position != old:
            self.refresh_line(old + 1)
            self.refresh_line(position + 1)
            self._cursor_moved()
        self._scroll_to_cursor()

    def _scroll_rows(self, top: int) -> None:
        self.scroll_to(y=max(0, top), animate=False, force=True)

    def _scroll_to_cursor(self) -> None:
        top, page = self.scroll_offset.y, self._page()
        if self._cursor < top:
            self._scroll_rows(self._cursor)
        elif self._cursor >= top + page:
            self._scroll_rows(self._cursor - page + 1)

    def _update_virtual_size(self) -> None:
        size = Size(0, len(self.index.visible_rows) + 1)
        if size == self.virtual_size:
            return
        if self.styles.overflow_y != "scroll" or not self.container_size:
            self.virtual_size = size  # a scrollbar may come or go: needs a layout
            return
        # The scrollbar is always shown, so only its thumb changes: skip the screen-wide
        # layout that assigning `virtual_size` would request (the same path Textual takes
        # itself when it resizes a widget without layout).
        self.set_reactive(LineTable.virtual_size, size)
        scrollbar = self.vertical_scrollbar
        scrollbar.window_virtual_size = size.height
        scrollbar.window_size = self.scrollable_content_region.height
        self.refresh()

    def _anchor(self) -> Anchor:
        return Anchor.of(self.index.visible_rows, self._cursor, self.scroll_offset.y)

    def _rows_changed(self, anchor: Anchor, follow_key: bool, keep_top: bool = True) -> None:
        """Put the cursor back on its row and keep the view still after rows changed (see
        `settle`)."""
        if not self.is_mounted:  # nothing on screen yet: start at the top
            self._cursor = 0
            return
        self._update_virtual_size()
        old_key = anchor.cursor_row[0] if anchor.cursor_row is not None else None
        self._cursor, top = settle(
            self.index,
            anchor,
            self._cursor,
            self.scroll_offset.y,
            self._page(),
            follow_key=follow_key,
            keep_top=keep_top,
        )
        self._scroll_rows(top)
        self._scroll_to_cursor()
        self.refresh()
        if self.cursor_key != old_key:
            self._cursor_moved()

    async def _filter_in_chunks(self, text: str) -> None:
        steps = self.index.iter_filter(text, self.FILTER_CHUNK)
        while True:
            anchor = self._anchor()  # taken before the step that may apply the result
            if next(steps, None) is None:
                break
            await asyncio.sleep(0)  # let keys and frames through between chunks
        self._rows_changed(anchor, follow_key=False, keep_top=False)

    def _cursor_moved(self) -> None:
        """Post CursorMoved after the next refresh: a held key posts one per frame."""
        if not self._cursor_notice_pending:
            self._cursor_notice_pending = True
            self.call_after_refresh(self._notice_cursor)

    def _notice_cursor(self) -> None:
        self._cursor_notice_pending = False
        key = self.cursor_key
        if key != self._noticed_key:
            self._noticed_key = key
            self.post_message(self.CursorMoved(self, key))
