"""The task pane, end to end: the whole app against the sandbox, driven by the pilot."""

from __future__ import annotations

from infusion_tui.sandbox import Fault
from tests.app_harness import demo_app, screen_text, settle, started


def _sandbox(app):
    return app.connector.sandbox


def _requests(app, method, path_part):
    return [r for r in _sandbox(app).requests if r.method == method and path_part in r.path]


async def test_main_screen_shows_tasks_and_orders_from_the_sandbox():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        tasks = app.screen.query_one("TasksPane")
        assert len(tasks.tasks) == len(_sandbox(app).tasks)
        text = screen_text(app)
        assert "Tasks" in text and "Orders" in text
        assert "API calls" in text


async def test_create_a_task_reaches_the_server_and_the_table():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.press("n")
        await pilot.press(*"Call Zoë about the invoice")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        created = [t for t in _sandbox(app).tasks.values() if t["title"] == "Call Zoë about the invoice"]
        assert len(created) == 1
        pane = app.screen.query_one("TasksPane")
        assert pane.table.cursor_key == created[0]["id"]
        assert "Call Zoë" in screen_text(app)


async def test_empty_title_is_explained_and_nothing_is_sent():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        posts_before = len(_requests(app, "POST", "/tasks"))
        await pilot.press("n", "space", "space", "ctrl+s")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "TaskForm"
        assert "title is required" in screen_text(app).lower()
        assert len(_requests(app, "POST", "/tasks")) == posts_before


async def test_failed_save_keeps_the_form_and_every_character():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        _sandbox(app).faults.add(Fault("status", path="/crm/rest/v1/tasks", status=500, times=1))
        await pilot.press("n")
        await pilot.press(*"Ship the order")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        form = app.screen
        assert type(form).__name__ == "TaskForm"
        assert form.query_one("#title").value == "Ship the order"
        # the fault is spent: saving again works and nothing was created twice
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "MainScreen"
        assert [t["title"] for t in _sandbox(app).tasks.values()].count("Ship the order") == 1


async def test_edit_sends_only_the_changed_field():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("TasksPane")
        key = pane.table.cursor_key
        await pilot.press("e")
        await settle(app, pilot)
        title = app.screen.query_one("#title")
        title.value = "Renamed from the terminal"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        patches = _requests(app, "PATCH", f"/tasks/{key}")
        assert patches and patches[-1].body == {"title": "Renamed from the terminal"}
        assert _sandbox(app).tasks[key]["title"] == "Renamed from the terminal"


async def test_toggle_completed_is_optimistic_and_rolled_back_on_refusal():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("TasksPane")
        key = pane.table.cursor_key
        before = bool(_sandbox(app).tasks[key].get("completed"))
        await pilot.press("x")
        await settle(app, pilot)
        assert bool(_sandbox(app).tasks[key]["completed"]) is not before
        assert pane.tasks[key].is_completed is not before
        # now the server refuses: the mark goes back and the user is told
        _sandbox(app).faults.add(Fault("status", path=f"/crm/rest/v1/tasks/{key}", status=503, times=None))
        await pilot.press("x")
        await settle(app, pilot)
        for _ in range(20):
            if pane.tasks[key].is_completed is not before:
                break
            await pilot.pause(0.05)
        _sandbox(app).faults.clear()
        assert pane.tasks[key].is_completed is not before
        assert any("Could not update" in str(n.message) for n in app._notifications)


async def test_filter_sort_and_hide_completed():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("TasksPane")
        total = len(pane.table.index.visible)
        await pilot.press("slash", *"fax")
        await settle(app, pilot)
        shown = len(pane.table.index.visible)
        assert 0 < shown < total
        assert all("fax" in pane.table.index.get(k).haystack for k in pane.table.index.visible)
        await pilot.press("escape")
        await settle(app, pilot)
        assert len(pane.table.index.visible) == total
        await pilot.press("s")
        assert pane.sort_name == "priority"
        await pilot.press("h")
        await settle(app, pilot)
        visible = [pane.tasks[k] for k in pane.table.index.visible]
        assert visible and not any(t.is_completed for t in visible)


async def test_markup_and_escape_codes_in_titles_are_shown_literally():
    app = demo_app()
    async with app.run_test(size=(160, 60)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("TasksPane")
        marked = next(t for t in pane.tasks.values() if "[bold red]" in (t.title or ""))
        pane.table.move_cursor_to_key(marked.id)
        await settle(app, pilot)
        text = screen_text(app)
        assert "[bold red]" in text
        assert "\x1b" not in app.export_screenshot()


async def test_help_lists_every_key_and_the_palette_has_the_same_actions():
    from infusion_tui.ui.actions import ACTIONS

    app = demo_app()
    async with app.run_test(size=(120, 50)) as pilot:  # tall enough to show the whole list
        await started(app, pilot)
        await pilot.press("question_mark")
        await settle(app, pilot)
        text = screen_text(app)
        for action in ACTIONS:
            assert action.help in text
        await pilot.press("escape")
        commands = {c.title for c in app.get_system_commands(app.screen)}
        for action in ACTIONS:  # on the main screen: every action of the app and both panes
            if action.scope in ("app", "tasks", "orders") and action.action not in ("command_palette", "quit", "change_theme"):
                assert action.help in commands
        await pilot.press("n")  # inside the form, the palette offers the form's own actions
        await settle(app, pilot)
        in_form = {c.title for c in app.get_system_commands(app.screen)}
        assert {a.help for a in ACTIONS if a.scope == "form"} <= in_form


async def test_narrow_terminal_stacks_the_panes():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        assert app.screen.has_class("-narrow")
        tasks = app.screen.query_one("TasksPane").region
        orders = app.screen.query_one("OrdersPane").region
        assert orders.y >= tasks.bottom  # stacked, not squeezed side by side


async def test_tasks_created_elsewhere_are_marked_new_but_our_own_are_not():
    from infusion_tui.clock import FakeClock
    from infusion_tui.table_index import NEW

    clock = FakeClock()
    app = demo_app(clock)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("TasksPane")
        await pilot.press("n", *"Mine", "ctrl+s")
        await settle(app, pilot)
        mine = pane.table.cursor_key
        theirs = _sandbox(app).add_task(title="Created in Keap's web app")["id"]
        clock.advance(30)
        pane._tick()
        await settle(app, pilot)
        assert theirs in pane.new_ids and mine not in pane.new_ids
        assert pane.table.index.get(theirs).flags & NEW
        assert any("1 new task" in str(n.message) for n in app._notifications)


async def test_a_task_open_in_the_form_is_not_clobbered_by_a_poll():
    from infusion_tui.clock import FakeClock

    clock = FakeClock()
    app = demo_app(clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        pane = app.screen.query_one("TasksPane")
        key = pane.table.cursor_key
        await pilot.press("e")
        await settle(app, pilot)
        app.screen.query_one("#title").value = "My edit in progress"
        # meanwhile someone renames it in Keap, and the poll brings that back
        _sandbox(app).tasks[key]["title"] = "Renamed elsewhere"
        _sandbox(app).tasks[key]["modification_date"] = "2027-01-15T08:00:20.000Z"
        clock.advance(30)
        pane._tick()
        await settle(app, pilot)
        assert app.screen.query_one("#title").value == "My edit in progress"
        assert pane.tasks[key].title != "Renamed elsewhere"  # held back while the form is open
        await pilot.press("escape")
        await settle(app, pilot)
        if type(app.screen).__name__ == "ConfirmScreen":
            await pilot.press("y")
            await settle(app, pilot)
        assert pane.tasks[key].title == "Renamed elsewhere"  # applied once the form closed


async def test_the_theme_choice_persists():
    from infusion_tui.settings import load_settings

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        app.theme = "nord"
        await settle(app, pilot)
    assert load_settings({}, {}).theme == "nord"
    again = demo_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(again, pilot)
        assert again.theme == "nord"
