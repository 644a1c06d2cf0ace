"""A tiny host for the task form: pilot tests and snapshots open it here, time fixed.

`RecordingSave` is a real async save function, not a mock: it records every draft it is
given, answers with a Task the way Keap would, and raises whatever it is told to raise next
(e.g. `InvalidRequest("Keap says: title too long")`). `hold()` keeps a save in flight until
`release()`, to look at the form while it is saving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from textual.app import App, ComposeResult
from textual.widgets import Static

from infusion_tui.keap.models import Task, TaskDraft
from infusion_tui.ui.screens.task_form import TaskForm

# Monday 21 Dec 2026, 10:00 in New York: every date shown in tests and snapshots hangs on this
FIXED_NOW = datetime(2026, 12, 21, 10, 0, tzinfo=ZoneInfo("America/New_York"))


class RecordingSave:
    def __init__(self) -> None:
        self.calls: list[tuple[TaskDraft, Task | None]] = []
        self._failures: list[Exception] = []
        self._gate: asyncio.Event | None = None
        self._next_id = 501

    def fail_next(self, *errors: Exception) -> None:
        self._failures.extend(errors)

    def hold(self) -> None:
        self._gate = asyncio.Event()

    def release(self) -> None:
        if self._gate is not None:
            self._gate.set()

    @property
    def drafts(self) -> list[TaskDraft]:
        return [draft for draft, _ in self.calls]

    async def __call__(self, draft: TaskDraft, original: Task | None) -> Task:
        self.calls.append((draft, original))
        if self._gate is not None:
            await self._gate.wait()
            self._gate = None
        await asyncio.sleep(0)  # a real await point, as a network call would have
        if self._failures:
            raise self._failures.pop(0)
        if original is None:
            task_id, self._next_id = self._next_id, self._next_id + 1
        else:
            task_id = original.id
        due = draft.due_date.astimezone(timezone.utc) if draft.due_date else None
        return Task(
            id=task_id, title=draft.title, description=draft.description, type=draft.type,
            priority=draft.priority, due_date=due, completed=draft.completed,
        )


class TaskFormApp(App[None]):
    """Opens the task form on mount; every result it dismisses with lands in `results`."""

    CSS = "#host { color: $text-muted; }"  # (a `Screen` rule here would also paint the modals opaque)

    def __init__(
        self,
        task: Task | None = None,
        *,
        save: RecordingSave | None = None,
        types: Sequence[str] = (),
        now: datetime = FIXED_NOW,
    ) -> None:
        super().__init__()
        self.task_to_edit = task
        self.save = save or RecordingSave()
        self.types = types
        self.now = now
        self.results: list[Task | None] = []

    def compose(self) -> ComposeResult:
        yield Static("infusion-tui · tasks", id="host")

    async def on_mount(self) -> None:
        await self.open_form()

    async def open_form(self) -> None:
        form = TaskForm(self.task_to_edit, save=self.save, types=self.types, now=lambda: self.now)
        await self.push_screen(form, self.results.append)
        for widget in form.query("Input, TextArea"):
            widget.cursor_blink = False  # a blinking cursor would make snapshots flaky

    @property
    def form(self) -> TaskForm:
        assert isinstance(self.screen, TaskForm), f"the form is not on top: {self.screen!r}"
        return self.screen


if __name__ == "__main__":
    TaskFormApp().run()
