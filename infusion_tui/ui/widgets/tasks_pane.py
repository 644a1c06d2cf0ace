"""The task pane: every task in a table, edited from the keyboard, kept fresh by a poller.

New tasks created elsewhere (Keap's OnNewTask) arrive through the tasks poller and are
marked new; a task open in the form is left alone until the form closes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import msgspec
from rich.text import Text
from textual import on, work

from infusion_tui.display import instant
from infusion_tui.keap.errors import AuthError, KeapError
from infusion_tui.keap.models import TASK_TYPES, Task, TaskDraft
from infusion_tui.live import PollResult, tasks_poller
from infusion_tui.rows import TASK_SORTS, task_row
from infusion_tui.table_index import DONE
from infusion_tui.text_safety import literal
from infusion_tui.ui.actions import bindings_for
from infusion_tui.ui.messages import AuthLost, TaskSaved, TaskToggleFailed
from infusion_tui.ui.widgets.feed_pane import FeedPane
from infusion_tui.ui.widgets.line_table import Column, LineTable


def task_rows(tasks: list[Task], now: datetime, new_ids: set[int] | frozenset[int]) -> list:
    """Rows for `tasks`; pure, so a big first sync can build them in a thread."""
    return [task_row(t, now, new=t.id in new_ids) for t in tasks]


SORT_LABELS = {"due": "due date", "priority": "priority", "title": "title", "created": "newest"}


def _hide_done(row: Any) -> bool:
    return not row.flags & DONE


class TasksPane(FeedPane):
    BINDINGS = bindings_for("tasks")
    NOUN = "tasks"
    SORTS = TASK_SORTS
    COLUMNS = [
        Column("done", "✓", width=1, priority=9),
        Column("title", "Title", min_width=20, priority=10),
        Column("type", "Type", width=11, priority=3),
        Column("priority", "Prio", width=6, priority=4),
        Column("due", "Due", width=21, priority=8),
        Column("contact", "Contact", width=16, priority=2),
    ]

    def __init__(self, session, *, id: str = "tasks") -> None:
        super().__init__(session, id=id)
        self.tasks: dict[int, Task] = {}
        self.new_ids: set[int] = set()
        self.sort_name = "due"
        self.hide_completed = False
        self.editing_id: int | None = None
        self._held_back: dict[int, Task] = {}  # server updates for the task open in the form

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "Tasks"
        table = self.table
        table.set_sort(self.sort_name)
        table.empty_message = "Loading tasks…"
        self.refresh_info()

    # -- loading and polling --------------------------------------------------------------

    def start(self) -> None:
        """Paint from the cache at once, then sync with Keap in the background."""
        session = self.session
        store = session.store
        if store is not None:
            cached = store.load_tasks()
            if cached:
                self.show_tasks(cached)
                self.cached_as_of(store.last_sync("tasks"))
        poller = tasks_poller(
            session.client, store, clock=session.clock,
            interval=session.poll_interval, floor=session.poll_floor, on_page=self.page_loaded,
        )
        self.start_polling(poller)

    def show_tasks(self, tasks: list[Task], rows: list | None = None) -> None:
        """Show exactly `tasks` (`rows`: theirs, if already built off the UI thread)."""
        if rows is None:
            rows = task_rows(tasks, self.session.local_now(), self.new_ids)
        self.tasks = {t.id: t for t in tasks}
        self.table.replace_rows(rows)
        self._update_empty_message()
        self.refresh_info()

    async def prepare(self, result: PollResult[Task]) -> list | None:
        if not result.baseline:
            return None
        now, seen = self.session.local_now(), frozenset(self.new_ids)
        return await asyncio.to_thread(task_rows, result.baseline, now, seen)

    def apply_poll(self, result: PollResult[Task], prepared: list | None) -> None:
        if result.baseline:
            self.show_tasks(result.baseline, prepared)
        # Tasks this app created are already in the table: only others' tasks are "new".
        arrived = [task for task in result.new if task.id not in self.tasks]
        self.new_ids.update(task.id for task in arrived)
        self.upsert_tasks([*result.new, *result.changed])
        if arrived:
            count = len(arrived)
            self.notify(f"{count} new task{'s' if count != 1 else ''} from Keap", title="Tasks")

    def upsert_tasks(self, tasks: list[Task]) -> None:
        now = self.session.local_now()
        rows = []
        for task in tasks:
            if task.id == self.editing_id:
                self._held_back[task.id] = task  # applied when the form closes
                continue
            self.tasks[task.id] = task
            rows.append(task_row(task, now, new=task.id in self.new_ids))
        if rows:
            self.table.upsert_rows(rows)
        self._update_empty_message()
        self.refresh_info()

    def refresh_times(self) -> None:
        """Tasks due within two days of now change words by the minute and may turn overdue."""
        now = self.session.local_now()
        near = [t for t in self.tasks.values()
                if (due := instant(t.due_date)) is not None and abs(due - now) < timedelta(days=2)]
        self.upsert_tasks(near)

    # -- the info line --------------------------------------------------------------------

    def info_text(self) -> Text:
        table = self.table
        text = Text()
        shown, total = len(table.index.visible), len(self.tasks)
        text.append(f"{shown} of {total}" if shown != total else f"{total} tasks")
        if self.new_ids:
            text.append(f" · {len(self.new_ids)} new", style="bold")
        text.append(f" · by {SORT_LABELS[self.sort_name]}")
        if self.hide_completed:
            text.append(" · done hidden")
        text.append(" · ")
        text.append_text(self.poll_state())
        return text

    def _update_empty_message(self) -> None:
        query = self.filter_input.value
        if query:
            self.table.empty_message = f"No tasks match {query!r}"
        elif self.tasks and self.hide_completed:
            self.table.empty_message = "Every task is done. Press h to show completed tasks."
        else:
            self.table.empty_message = "No tasks yet. Press n to create one."

    # -- sorting and hiding ---------------------------------------------------------------

    def action_cycle_sort(self) -> None:
        self.sort_name = TASK_SORTS[(TASK_SORTS.index(self.sort_name) + 1) % len(TASK_SORTS)]
        self.table.set_sort(self.sort_name)
        self.refresh_info()

    def action_toggle_hide_completed(self) -> None:
        self.hide_completed = not self.hide_completed
        self.table.set_predicate(_hide_done if self.hide_completed else None)
        self._update_empty_message()
        self.refresh_info()

    # -- the form -------------------------------------------------------------------------

    def _types(self) -> list[str]:
        seen = {t.type for t in self.tasks.values() if t.type}
        return sorted(seen - set(TASK_TYPES))

    async def _save(self, draft: TaskDraft, original: Task | None) -> Task:
        client = self.session.client
        try:
            if original is None:
                return await client.create_task(draft)
            return await client.update_task(original.id, draft, original=original)
        except AuthError as exc:  # the form keeps every character; the app asks to sign in again
            self.post_message(AuthLost(str(exc)))
            raise

    def _selected(self) -> Task | None:
        key = self.table.cursor_key
        return self.tasks.get(key) if key is not None else None

    def _open_form(self, task: Task | None) -> None:
        from infusion_tui.ui.screens.task_form import TaskForm  # not needed to paint the first frame

        self.editing_id = task.id if task is not None else None
        form = TaskForm(task, save=self._save, types=self._types(), now=self.session.local_now)
        self.app.push_screen(form, self._form_closed)

    def action_new_task(self) -> None:
        self._open_form(None)

    def action_edit_task(self) -> None:
        task = self._selected()
        if task is None:
            self.notify("No task selected.", severity="warning")
            return
        self.new_ids.discard(task.id)
        self._open_form(task)

    @on(LineTable.RowActivated)
    def _activated(self, event: LineTable.RowActivated) -> None:
        event.stop()
        self.action_edit_task()

    def _form_closed(self, saved: Task | None) -> None:
        editing, self.editing_id = self.editing_id, None
        held = self._held_back.pop(editing, None) if editing is not None else None
        if saved is not None:
            created = saved.id not in self.tasks
            self.upsert_tasks([saved])
            self.table.move_cursor_to_key(saved.id)
            self.notify(f"Task {'created' if created else 'saved'}: {literal(saved.title)}", markup=False)
        elif held is not None:
            self.upsert_tasks([held])

    # -- completing -----------------------------------------------------------------------

    def action_toggle_completed(self) -> None:
        task = self._selected()
        if task is None:
            return
        flipped = msgspec.structs.replace(task, completed=not task.is_completed)
        self.upsert_tasks([flipped])  # optimistic: the mark shows at once
        self._send_completed(task, flipped.is_completed)

    @work(group="toggle", exit_on_error=False)
    async def _send_completed(self, before: Task, completed: bool) -> None:
        try:
            saved = await self.session.client.set_completed(before.id, completed)
        except KeapError as exc:
            self.post_message(TaskToggleFailed(before, str(exc)))
            if isinstance(exc, AuthError):
                self.post_message(AuthLost(str(exc)))
            return
        self.post_message(TaskSaved(saved))

    @on(TaskToggleFailed)
    def _toggle_failed(self, event: TaskToggleFailed) -> None:
        self.upsert_tasks([event.task])  # roll back
        self.notify(f"Could not update “{literal(event.task.title)}”: {literal(event.error)}", severity="error",
                    title="Not saved", markup=False)

    @on(TaskSaved)
    def _saved(self, event: TaskSaved) -> None:
        self.upsert_tasks([event.task])

