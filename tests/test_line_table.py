"""LineTable: what the user sees and what the app hears, through pilot tests."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

from textual import events
from textual.worker import WorkerState

from infusion_tui.table_index import DONE
from infusion_tui.ui.widgets.line_table import LineTable

APP_PATH = Path(__file__).parent / "apps" / "line_table_app.py"
_spec = importlib.util.spec_from_file_location("line_table_app", APP_PATH)
app_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(app_module)
LineTableApp, order_row, fixed_rows = app_module.LineTableApp, app_module.order_row, app_module.fixed_rows


class Recorder(LineTableApp):
    """Keeps every message the table posts."""

    def __init__(self, rows=None) -> None:
        super().__init__(rows)
        self.activated: list = []
        self.moved: list = []

    def on_line_table_row_activated(self, event: LineTable.RowActivated) -> None:
        self.activated.append(event.key)

    def on_line_table_cursor_moved(self, event: LineTable.CursorMoved) -> None:
        self.moved.append(event.key)


def lines(table: LineTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def first_row_text(table: LineTable) -> str:
    return table.render_line(1).text


async def test_rows_render_under_a_header() -> None:
    app = LineTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        await pilot.pause()
        shown = lines(table)
        assert shown[0].split() == ["Time", "Order", "Contact", "Company", "Total", "Paid/due", "Status"]
        assert "1000" in shown[1] and "Ada Lovelace" in shown[1]
        assert "1022" in shown[23]  # 23 rows under the header fill the screen
        assert table.virtual_size.height == 41
        assert all(table.render_line(y).cell_length == table.scrollable_content_region.width for y in range(24))


async def test_cursor_keys_move_and_post_cursor_moved() -> None:
    app = Recorder()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        await pilot.press("down", "j", "j")
        assert table.cursor_key == 1003
        await pilot.press("k", "up")
        assert table.cursor_key == 1001
        await pilot.press("end")
        assert table.cursor_key == 1039
        assert table.scroll_offset.y == 40 - 23  # last row on the last line
        assert "1039" in table.render_line(23).text
        await pilot.press("home")
        assert table.cursor_key == 1000 and table.scroll_offset.y == 0
        await pilot.press("pagedown")
        assert table.cursor_key == 1023
        await pilot.press("pageup")
        assert table.cursor_key == 1000
        await pilot.pause()
        assert app.moved[:3] == [1001, 1002, 1003] and app.moved[-1] == 1000
        app.moved.clear()
        for _ in range(5):  # a held key: several moves before the next frame
            table.action_cursor_down()
        await pilot.pause()
        assert app.moved == [1005]  # debounced: one message per frame


async def test_rows_handed_before_mount_show_once_mounted() -> None:
    app = LineTableApp(rows=[])
    async with app.run_test(size=(80, 24)) as pilot:
        table = LineTable(app_module.COLUMNS, id="late")
        table.replace_rows(fixed_rows(5))
        await app.mount(table)
        await pilot.pause()
        assert table.cursor_key == 1000 and "1000" in table.render_line(1).text
        assert table.virtual_size.height == 6


async def test_enter_posts_row_activated() -> None:
    app = Recorder()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.activated == [1002]


async def test_click_moves_the_cursor() -> None:
    app = Recorder()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        await pilot.click(LineTable, offset=(10, 5))
        assert table.cursor_key == 1004
        await pilot.click(LineTable, offset=(10, 0))  # the header is not a row
        assert table.cursor_key == 1004


async def test_upsert_above_the_viewport_keeps_cursor_and_view() -> None:
    app = LineTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        table.set_sort("time", reverse=True)  # newest first, like the orders feed
        await pilot.press("pagedown", "down", "down")
        await pilot.pause()
        key, top_text, top = table.cursor_key, first_row_text(table), table.scroll_offset.y
        assert top > 0
        table.upsert_rows([order_row(i, "new") for i in range(40, 45)])  # five newer orders
        await pilot.pause()
        assert table.cursor_key == key
        assert first_row_text(table) == top_text
        assert table.scroll_offset.y == top + 5
        await pilot.press("home")
        assert table.cursor_key == 1044
        assert table.index.get(1044).flags


async def test_rows_arriving_while_at_the_top_come_into_view() -> None:
    app = LineTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        table.set_sort("time", reverse=True)
        await pilot.press("home", "down")
        await pilot.pause()
        key = table.cursor_key
        assert table.scroll_offset.y == 0
        table.upsert_rows([order_row(i, "new") for i in range(40, 43)])  # three newer orders
        await pilot.pause()
        assert table.scroll_offset.y == 0  # the view did not move ...
        assert table.index.visible[0] == 1042  # ... so the newest order is the first row shown
        assert table.cursor_key == key  # and the cursor is still on the row the user chose


async def test_remove_and_flag_rows() -> None:
    app = LineTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        await pilot.press("down", "down")
        table.remove_rows([1002])
        assert table.cursor_key == 1003  # the next row takes the cursor's place
        table.set_predicate(lambda row: not row.flags & DONE)
        table.flag_rows([1003], "done")
        await pilot.pause()
        assert 1003 not in table.index.visible
        assert table.cursor_key == 1004


async def test_move_cursor_to_key_scrolls_into_view() -> None:
    app = LineTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        assert table.move_cursor_to_key(1035)
        await pilot.pause()
        assert "1035" in table.render_line(23).text
        assert not table.move_cursor_to_key(42)


async def test_filter_narrows_and_keeps_the_cursor_row() -> None:
    app = LineTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        table.move_cursor_to_key(1010)
        table.set_filter("engines")  # Analytical Engines: every fifth row
        await pilot.pause()
        assert list(table.index.visible) == [1000, 1005, 1010, 1015, 1020, 1025, 1030, 1035]
        assert table.cursor_key == 1010
        assert "1000" in first_row_text(table) and table.render_line(9).text.strip() == ""
        table.set_filter("")
        assert table.cursor_key == 1010 and len(table.index.visible) == 40


async def test_big_filter_runs_in_a_worker_and_the_cursor_still_moves() -> None:
    app = LineTableApp(rows=[order_row(i) for i in range(30_000)])
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        table.ASYNC_FILTER_ROWS, table.FILTER_CHUNK = 100, 1  # force a long chunked scan
        table.set_filter("turing")
        table.set_filter("alan turing")  # typing on: the first scan is cancelled
        workers = list(app.workers)
        assert len(workers) == 2 and workers[0].is_cancelled and not workers[1].is_cancelled
        for _ in range(2):
            app.post_message(events.Key("down", None))
        for _ in range(50):  # a few turns of the loop, far shorter than the scan
            await asyncio.sleep(0)
            if table.cursor_key == 1002:
                break
        assert table.cursor_key == 1002  # the keys were handled ...
        assert workers[-1].state == WorkerState.RUNNING  # ... while the scan still runs
        assert table.index.filter_text == ""
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.index.filter_text == "alan turing"
        assert len(table.index.visible) == 2000 and "Alan Turing" in first_row_text(table)


async def test_sort_shows_an_arrow_and_orders_rows() -> None:
    app = LineTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        table.set_sort("total", reverse=True)
        await pilot.pause()
        totals = [table.index.get(k).sort_keys[1] for k in table.index.visible]
        assert totals == sorted(totals, reverse=True)
        assert "Total ▼" in table.render_line(0).text
        assert table.cursor_key == 1000  # the cursor stayed on its row


async def test_server_text_is_shown_literally() -> None:
    app = LineTableApp()
    async with app.run_test(size=(100, 24)) as pilot:
        table = app.query_one(LineTable)
        await pilot.pause()
        shown = lines(table)
        assert "[bold red]x[/]" in shown[2]
        assert len({segment.style for segment in table.render_line(2)}) == 1  # no markup styles
        assert "Grace Hopper" in shown[3]
        assert "Line ⏎ Break" in shown[4]
        assert "Zoë 😀 Café" in shown[5] and "שלום עולם" in shown[6]
        assert not any(ch < " " or "\x7f" <= ch <= "\x9f" for line in shown for ch in line)
        svg = app.export_screenshot()
        assert "[bold&#160;red]x[/]" in svg or "[bold red]x[/]" in svg


async def test_narrow_terminal_drops_low_priority_columns() -> None:
    app = LineTableApp()
    async with app.run_test(size=(44, 10)) as pilot:
        table = app.query_one(LineTable)
        await pilot.pause()
        header = table.render_line(0).text.split()
        assert header == ["Order", "Contact", "Total"]
        assert all(table.render_line(y).cell_length == table.scrollable_content_region.width for y in range(10))
        assert "Ada Lovel…" in table.render_line(1).text or "Ada Lovelace" in table.render_line(1).text


async def test_empty_message_is_centred() -> None:
    app = LineTableApp(rows=[])
    async with app.run_test(size=(60, 11)) as pilot:
        table = app.query_one(LineTable)
        table.empty_message = "Loading…"
        await pilot.pause()
        shown = lines(table)
        assert shown[5].strip() == "Loading…"
        assert abs(shown[5].index("L") - (len(shown[5]) - len(shown[5].rstrip()))) <= 1
        table.replace_rows(fixed_rows())
        table.set_filter("nobody matches this")
        table.empty_message = "No orders match 'nobody'"
        await pilot.pause()
        assert "No orders match 'nobody'" in lines(table)[5]
        assert table.cursor_key is None


async def test_flags_and_focus_change_the_row_style() -> None:
    app = LineTableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LineTable)
        await pilot.pause()
        plain, new, overdue = (table.render_line(y)._segments[0].style for y in (4, 2, 5))
        assert len({plain, new, overdue}) == 3
        focused_cursor = table.render_line(1)._segments[0].style
        table.blur()
        await pilot.pause()
        assert table.render_line(1)._segments[0].style != focused_cursor


def test_snapshot(snap_compare) -> None:
    assert snap_compare(str(APP_PATH), terminal_size=(80, 16), press=["down", "down", "down"])
