"""The task form, driven by keys: what the user sees, and what reaches `save` (or does not)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from textual.widgets import Checkbox, Input, TextArea

from apps.task_form_app import FIXED_NOW, TaskFormApp
from infusion_tui.keap.errors import InvalidRequest, Unavailable
from infusion_tui.keap.models import Task, TaskDraft
from infusion_tui.ui.screens.confirm import ConfirmScreen
from infusion_tui.ui.screens.task_form import TaskForm, parse_priority

SIZE = (80, 24)
TASK = Task(
    id=42, title="Call Bob", description="Ask about the\nrenewal", type="Call", priority=3,
    due_date=datetime(2026, 12, 24, 22, 0, tzinfo=timezone.utc), completed=False,
)


def value(app: TaskFormApp, field: str) -> str:
    widget = app.form.query_one(f"#{field}")
    return widget.text if isinstance(widget, TextArea) else widget.value


def paste(app: TaskFormApp, field: str, text: str) -> None:
    """Put text in a field as a paste would (pilot.press cannot type every character)."""
    widget = app.form.query_one(f"#{field}")
    widget.focus()
    widget.insert(text) if isinstance(widget, TextArea) else widget.insert_text_at_cursor(text)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def assert_error(app: TaskFormApp, field: str, expected: str) -> None:
    error = app.form.query_one(f"#{field}-error")
    assert expected in app.form.error_text(field)
    assert error.has_class("error") and error.has_class("-shown") and error.display


# --- opening -----------------------------------------------------------------------------------


@pytest.mark.parametrize("task", [None, TASK])
async def test_title_is_focused_when_the_form_opens(task: Task | None) -> None:
    app = TaskFormApp(task)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is app.form.query_one("#title")


async def test_completed_checkbox_only_when_editing() -> None:
    async with TaskFormApp().run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not pilot.app.form.query(Checkbox)
        assert pilot.app.form.query_one("#dialog").border_title == "New task"
    async with TaskFormApp(TASK).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert pilot.app.form.query_one("#completed", Checkbox).value is False
        assert pilot.app.form.query_one("#dialog").border_title == "Edit task #42"


# --- validation: every problem under its field, nothing sent --------------------------------


@pytest.mark.parametrize("title", ["", "   "])
async def test_a_title_is_required(title: str) -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        paste(app, "title", title)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_error(app, "title", "A title is required")
        assert app.save.calls == [] and app.results == []
        assert app.focused is app.form.query_one("#title")


@pytest.mark.parametrize(
    "field, text, message",
    [
        ("title", "x" * 1001, "The title is 1,001 characters long; keep it under 1,000"),
        ("title", "Hi \x1b[31mred", "The title contains a control character (␛ at position 4): remove it"),
        ("type", "Call\x00", "The type contains a control character (␀ at position 5): remove it"),
        ("type", "t" * 256, "The type is 256 characters long"),
        ("priority", "0", "Priority 0 is out of range: use 1 (low), 2 (medium) or 3 (high)"),
        ("priority", "-1", "Priority -1 is out of range"),
        ("priority", "4", "Priority 4 is out of range"),
        ("priority", "urgent", "Could not read priority 'urgent'"),
        ("due", "blah", "Could not read 'blah' — try 2026-12-24 17:00, tomorrow, +3d or fri"),
        ("due", "2026-02-30", "'2026-02-30' is not a real date (February 2026 has 28 days)"),
        ("due", "1999-01-01", "is before 2000"),
        ("description", "ring \x07 ring", "The description contains a control character (␇ at position 6)"),
        ("description", "d" * 65_536, "The description is 65,536 characters long; Keap keeps up to 65,535"),
    ],
    ids=lambda v: v[:24] if isinstance(v, str) else v,
)
async def test_each_invalid_field_says_why_and_nothing_is_sent(field: str, text: str, message: str) -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        if field != "title":
            paste(app, "title", "A fine title")
        paste(app, field, text)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_error(app, field, message)
        assert app.form.query_one(f"#{field}").has_class("-invalid")
        assert app.focused is app.form.query_one(f"#{field}")
        assert app.save.calls == [] and app.results == []


async def test_all_problems_show_at_once_and_clear_as_they_are_fixed() -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        paste(app, "priority", "4")
        paste(app, "due", "blah")
        await pilot.press("ctrl+s")
        await pilot.pause()
        for field in ("title", "priority", "due"):
            assert app.form.error_text(field)
        assert not app.form.query_one("#due-hint").display  # the error replaces the hint
        app.form.query_one("#title").focus()
        await pilot.press(*"Call")
        await pilot.pause()
        assert app.form.error_text("title") == ""  # errors follow keystrokes after a first save
        assert not app.form.query_one("#title-error").display
        assert app.form.error_text("priority") and app.save.calls == []


async def test_control_characters_are_shown_as_pictures_never_sent_raw_to_the_terminal() -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        paste(app, "title", "a\x1b[2Jb")
        paste(app, "description", "x\x1b]0;pwned\x07\ny\tz")
        await pilot.pause()
        assert value(app, "title") == "a␛[2Jb"
        assert value(app, "description") == "x␛]0;pwned␇\ny\tz"  # newlines and tabs are fine


@pytest.mark.parametrize(
    "text, expected",
    [("", None), ("none", None), ("1", 1), ("low", 1), ("2 · Medium", 2), ("med", 2), ("HIGH", 3), ("h", 3)],
)
def test_priority_spellings(text: str, expected: int | None) -> None:
    assert parse_priority(text) == expected


# --- saving ------------------------------------------------------------------------------------


async def fill_everything(pilot) -> None:
    app = pilot.app
    await pilot.press(*"Call Bob")
    paste(app, "description", "Ask about\nthe renewal")
    paste(app, "type", "call")
    paste(app, "priority", "high")
    paste(app, "due", "fri 17:00")
    await pilot.pause()


async def test_a_new_task_is_saved_and_the_form_closes_with_it() -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        await fill_everything(pilot)
        assert "→ Fri 25 Dec 2026 17:00 (in 4 days) · sent as 2026-12-25T22:00:00.000Z" in str(
            app.form.query_one("#due-hint").render()
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        [(draft, original)] = app.save.calls
        assert original is None
        assert draft == TaskDraft(
            title="Call Bob", description="Ask about\nthe renewal", type="Call", priority=3,
            due_date=datetime(2026, 12, 25, 17, 0, tzinfo=FIXED_NOW.tzinfo),
        )
        assert draft.to_body()["due_date"] == "2026-12-25T22:00:00.000Z"
        [task] = app.results
        assert isinstance(task, Task) and task.id == 501 and task.title == "Call Bob"
        assert not isinstance(app.screen, TaskForm)


async def test_enter_in_a_field_saves_too() -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Quick one", "enter")
        await settle(pilot)
        assert [d.title for d in app.save.drafts] == ["Quick one"]


@pytest.mark.parametrize(
    "error", [InvalidRequest("Keap says: title too long", status=400), Unavailable("Keap could not be reached.")]
)
async def test_a_failed_save_keeps_the_form_and_every_character_then_retry_succeeds(error: Exception) -> None:
    app = TaskFormApp()
    app.save.fail_next(error)
    async with app.run_test(size=SIZE) as pilot:
        await fill_everything(pilot)
        typed = {f: value(app, f) for f in ("title", "description", "type", "priority", "due")}
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TaskForm) and app.results == []
        assert str(error) in app.form.error_text("status")
        assert app.form.query_one("#status").has_class("error")
        assert {f: value(app, f) for f in typed} == typed
        assert app.focused is app.form.query_one("#due")  # focus is back where it was
        await pilot.press("ctrl+s")  # retry
        await settle(pilot)
        assert len(app.save.calls) == 2 and app.save.drafts[0] == app.save.drafts[1]
        assert len(app.results) == 1 and app.results[0].title == "Call Bob"


async def test_an_unexpected_failure_also_keeps_the_form() -> None:
    app = TaskFormApp()
    app.save.fail_next(RuntimeError("boom"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Call", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TaskForm) and value(app, "title") == "Call"
        assert "RuntimeError: boom" in app.form.error_text("status")


async def test_while_saving_the_form_says_so_and_a_second_ctrl_s_sends_nothing() -> None:
    app = TaskFormApp()
    app.save.hold()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Call", "ctrl+s")
        await pilot.pause()
        assert app.form.error_text("status") == "Saving…"
        assert app.form.query_one("#fields").disabled
        await pilot.press("ctrl+s", "ctrl+s")
        await pilot.pause()
        assert len(app.save.calls) == 1
        app.save.release()
        await settle(pilot)
        assert len(app.results) == 1 and len(app.save.calls) == 1


async def test_a_save_that_ends_while_asking_still_returns_the_task() -> None:
    app = TaskFormApp()
    app.save.hold()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Call", "ctrl+s", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        app.save.release()
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.results == []  # no yanking the question away
        await pilot.press("n")  # "Wait"
        await settle(pilot)
        assert len(app.results) == 1 and app.results[0].title == "Call"


async def test_esc_while_saving_asks_before_leaving() -> None:
    app = TaskFormApp()
    app.save.hold()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Call", "ctrl+s")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.results == [None]


# --- leaving -----------------------------------------------------------------------------------


async def test_esc_on_an_untouched_form_closes_at_once() -> None:
    app = TaskFormApp(TASK)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None] and app.save.calls == []


@pytest.mark.parametrize("keep", ["n", "escape", "enter"])  # enter: "Keep editing" has the focus
async def test_esc_with_changes_asks_and_keep_editing_keeps_everything(keep: str) -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        await fill_everything(pilot)
        typed = {f: value(app, f) for f in ("title", "description", "type", "priority", "due")}
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(keep)
        await pilot.pause()
        assert isinstance(app.screen, TaskForm) and app.results == []
        assert {f: value(app, f) for f in typed} == typed
        assert app.focused is app.form.query_one("#due")


async def test_esc_with_changes_then_discard_closes_without_saving() -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"x", "escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.results == [None] and app.save.calls == []


# --- editing -----------------------------------------------------------------------------------


async def test_edit_prefills_from_the_task() -> None:
    app = TaskFormApp(TASK)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert value(app, "title") == "Call Bob"
        assert value(app, "description") == "Ask about the\nrenewal"
        assert value(app, "type") == "Call"
        assert value(app, "priority") == "3 · High"
        assert value(app, "due") == "2026-12-24 17:00"  # 22:00Z in New York


async def test_an_unchanged_edit_closes_without_a_call() -> None:
    app = TaskFormApp(TASK)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [None] and app.save.calls == []


async def test_only_changed_fields_reach_changes_from() -> None:
    app = TaskFormApp(TASK)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end", *" today")
        app.form.query_one("#completed", Checkbox).toggle()
        await pilot.press("ctrl+s")
        await settle(pilot)
        [(draft, original)] = app.save.calls
        assert original is TASK
        assert draft.changes_from(TASK) == {"title": "Call Bob today", "completed": True}
        assert app.results[0].id == 42


async def test_untouched_odd_server_values_are_kept_not_judged() -> None:
    odd = Task(
        id=7, title="Ping \x1b[31m", priority=4, type="x" * 300,
        due_date=datetime(2026, 12, 24, 22, 0, 37, tzinfo=timezone.utc),
    )
    app = TaskFormApp(odd)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert value(app, "title") == "Ping ␛[31m" and value(app, "priority") == "4"
        assert value(app, "due") == "2026-12-24 17:00:37"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [None] and app.save.calls == []  # nothing changed, nothing sent


async def test_clearing_a_due_date_sends_null() -> None:
    app = TaskFormApp(TASK)
    async with app.run_test(size=SIZE) as pilot:
        app.form.query_one("#due", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.save.drafts[0].changes_from(TASK) == {"due_date": None}


async def test_server_markup_is_shown_literally() -> None:
    app = TaskFormApp(Task(id=9, title="[bold red]x[/]", description="[link=http://evil]y[/link]"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert value(app, "title") == "[bold red]x[/]"
        assert value(app, "description") == "[link=http://evil]y[/link]"


# --- what is typed is what is sent ---------------------------------------------------------------


async def test_markup_typed_in_the_title_round_trips_exactly() -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"[bold red]x[/]", "ctrl+s")
        await settle(pilot)
        assert app.save.drafts[0].title == "[bold red]x[/]"
        assert app.results[0].title == "[bold red]x[/]"


@pytest.mark.parametrize(
    "text",
    ["👩‍💻 Fix 🇳🇿 flag", "اتصل بأحمد غدًا", "שלום עולם 123", "mixed עברית and English", "e\u0301te\u0301"],
    ids=["emoji", "arabic", "hebrew", "mixed-bidi", "combining"],
)
async def test_emoji_and_rtl_text_round_trip(text: str) -> None:
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        paste(app, "title", text)
        paste(app, "description", text + "\n" + text)
        paste(app, "type", text)
        await pilot.press("ctrl+s")
        await settle(pilot)
        [draft] = app.save.drafts
        assert (draft.title, draft.description, draft.type) == (text, text + "\n" + text, text)


async def test_a_10000_character_description_is_accepted() -> None:
    long_text = ("All work and no play. " * 500)[:10_000]
    app = TaskFormApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"Novel")
        app.form.query_one("#description", TextArea).text = long_text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.save.drafts[0].description == long_text


async def test_types_seen_in_the_data_are_suggested_and_keap_spelling_wins() -> None:
    app = TaskFormApp(types=["Meeting", "call", ""])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"T", "tab", "tab", *"mee", "right")  # right arrow accepts the suggestion
        assert value(app, "type") == "Meeting"
        app.form.query_one("#type", Input).value = "email"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.save.drafts[0].type == "Email"


# --- snapshots (fixed `now`: 2026-12-21 10:00 New York) ------------------------------------------


def test_snapshot_empty_form(snap_compare) -> None:
    assert snap_compare(TaskFormApp(), terminal_size=SIZE)


def test_snapshot_form_with_errors(snap_compare) -> None:
    async def make_errors(pilot) -> None:
        app = pilot.app
        paste(app, "description", "ring \x07 ring")
        paste(app, "type", "Call\x1b[31m")
        paste(app, "priority", "4")
        paste(app, "due", "2026-02-30")
        app.form.query_one("#title").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert snap_compare(TaskFormApp(), terminal_size=SIZE, run_before=make_errors)


def test_snapshot_edit_form(snap_compare) -> None:
    assert snap_compare(TaskFormApp(TASK), terminal_size=SIZE)

