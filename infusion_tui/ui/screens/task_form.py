"""One modal to create or edit a Keap task; nothing the user typed is ever lost.

Each field is checked before anything is sent and says why it is wrong right under it. Saving
runs `save(draft, original)` in a worker; on success the form dismisses with the saved `Task`,
on any failure it stays open with the message and every character kept (ctrl+s retries).

Decisions (the contract leaves them open):
- Priority: Keap v1 sends an int ("1, 2, 3, etc."); no source says which end is high, so we
  read it as most people read numbers: 1 Low, 2 Medium, 3 High (one table: PRIORITY_WORDS).
  Other ints already on a task (0, 4…) are kept untouched unless the user changes the field.
- Title: no max length in any spec; we stop at 1,000 characters (a pasted document, not a
  title). Description: 65,535 (Keap's stated limit for text custom fields, the only text
  limit it documents). The server may still refuse less; its message then shows here.
- Control characters are shown as pictures (ESC → ␛) the moment they arrive, then refused
  with a message, never silently stripped: the user sees exactly what would have been sent.
- In an edit, a field left as it was prefilled keeps the task's own value, unchecked: the
  form never rewrites (or rejects) data the user did not touch.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Input, Label, Static, TextArea

from infusion_tui.dates import local_now
from infusion_tui.keap.errors import KeapError
from infusion_tui.display import PRIORITY_WORDS
from infusion_tui.keap.models import TASK_TYPES, Task, TaskDraft
from infusion_tui.ui.actions import bindings_for
from infusion_tui.ui.screens.confirm import ConfirmScreen
from infusion_tui.ui.widgets.due_input import DueInput

KEAP_TYPES = TASK_TYPES
TITLE_MAX, TYPE_MAX, DESCRIPTION_MAX = 1_000, 255, 65_535
FIELDS = ("title", "description", "type", "priority", "due")

SaveFn = Callable[[TaskDraft, "Task | None"], Awaitable[Task]]


class FieldError(ValueError):
    """A field's value cannot be sent; the message says why, for the line under the field."""


# Control characters are shown as their Unicode pictures (ESC → ␛) the moment they arrive:
# neither Rich nor Textual strips ESC, so a pasted or server-sent escape sequence would
# otherwise reach the terminal and recolour or move things outside the form.
_PICTURES = {c: chr(0x2400 + c) for c in range(32)} | {0x7F: "\u2421"} | {c: "\u2426" for c in range(0x80, 0xA0)}
_PICTURES_MULTILINE = {c: p for c, p in _PICTURES.items() if chr(c) not in "\n\t\r"}


def visible_controls(text: str, *, multiline: bool = False) -> str:
    """`text` with each control character replaced by a visible picture (keeps newlines/tabs if multiline)."""
    return text.translate(_PICTURES_MULTILINE if multiline else _PICTURES)


def _refuse_controls(text: str, what: str, allowed: str = "") -> None:
    for i, ch in enumerate(text, 1):
        if (unicodedata.category(ch) == "Cc" and ch not in allowed) or "\u2400" <= ch <= "\u2426":
            shown = visible_controls(ch)
            raise FieldError(f"{what} contains a control character ({shown} at position {i}): remove it")


def clean_title(raw: str) -> str:
    _refuse_controls(raw, "The title")
    title = raw.strip()
    if not title:
        raise FieldError("A title is required")
    if len(title) > TITLE_MAX:
        raise FieldError(f"The title is {len(title):,} characters long; keep it under {TITLE_MAX:,}")
    return title


def clean_description(raw: str) -> str | None:
    _refuse_controls(raw, "The description", allowed="\n\t\r")
    if len(raw) > DESCRIPTION_MAX:
        raise FieldError(f"The description is {len(raw):,} characters long; Keap keeps up to {DESCRIPTION_MAX:,}")
    return raw if raw.strip() else None  # kept exactly as typed, blank means none


def clean_type(raw: str, known: Sequence[str] = KEAP_TYPES) -> str | None:
    _refuse_controls(raw, "The type")
    value = raw.strip()
    if len(value) > TYPE_MAX:
        raise FieldError(f"The type is {len(value):,} characters long; keep it under {TYPE_MAX}")
    for choice in known:  # "call" → "Call": Keap groups tasks by the exact spelling
        if choice.casefold() == value.casefold():
            return choice
    return value or None


def format_priority(priority: int | None) -> str:
    word = PRIORITY_WORDS.get(priority) if priority is not None else None
    return "" if priority is None else f"{priority} · {word}" if word else str(priority)


_PRIORITY_SPELLINGS: dict[str, int | None] = {
    spelling: n for n, word in PRIORITY_WORDS.items()
    for spelling in (str(n), word.lower(), word[0].lower(), f"{n} {word.lower()}")
} | {"med": 2, "normal": 2, "hi": 3, "": None, "none": None, "no": None}
_PRIORITY_HELP = "use 1 (low), 2 (medium) or 3 (high), or leave it empty for none"


def parse_priority(raw: str) -> int | None:
    key = " ".join(raw.lower().replace("·", " ").replace(":", " ").split())
    if key in _PRIORITY_SPELLINGS:
        return _PRIORITY_SPELLINGS[key]
    if key.lstrip("+-").isdigit():
        raise FieldError(f"Priority {key} is out of range: {_PRIORITY_HELP}")
    shown = key if len(key) <= 20 else key[:20] + "…"
    raise FieldError(f"Could not read priority '{shown}': {_PRIORITY_HELP}")


def _input(value: str, id: str, placeholder: str, suggestions: Sequence[str] = ()) -> Input:
    # select_on_focus off: refocusing after a failed save must not select (and so replace) the text
    suggester = SuggestFromList(suggestions, case_sensitive=False) if suggestions else None
    return Input(value, placeholder=placeholder, id=id, compact=True, select_on_focus=False, suggester=suggester)


class TaskForm(ModalScreen["Task | None"]):
    """Create (task=None) or edit a task. Dismisses with the saved Task, or None (cancelled/unchanged)."""

    DEFAULT_CSS = """
    TaskForm { align: center middle; background: $background 60%; }
    TaskForm #dialog {
        width: 74; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; border-title-color: $accent; border-title-style: bold;
        background: $surface; padding: 0 1;
    }
    TaskForm #fields { height: auto; }
    TaskForm .row { height: auto; margin-bottom: 1; }
    TaskForm .label { width: 13; color: $text-muted; }
    TaskForm .row:focus-within > .label { color: $accent; text-style: bold; }
    TaskForm .field { width: 1fr; height: auto; }
    TaskForm Input, TaskForm TextArea { background: $boost; padding: 0 1; }
    TaskForm Input:focus, TaskForm TextArea:focus { background: $primary 25%; }
    TaskForm TextArea { height: 4; }
    TaskForm Checkbox { border: none; padding: 0; height: 1; background: transparent; }
    TaskForm .error { color: $text-error; display: none; }
    TaskForm .error.-shown { display: block; }
    TaskForm #status { display: none; height: auto; margin-bottom: 1; }
    TaskForm #status.error { display: block; color: $text-error; }
    TaskForm #status.saving { display: block; color: $text-accent; text-style: bold; }
    """

    BINDINGS = bindings_for("form")  # the help screen lists the same keys
    AUTO_FOCUS = "#title"

    class _SaveFinished(Message):
        """From the save worker: the saved task, or what went wrong."""

        def __init__(self, task: Task | None, error: Exception | None = None) -> None:
            super().__init__()
            self.task, self.error = task, error

    def __init__(
        self,
        task: Task | None = None,
        *,
        save: SaveFn,
        types: Sequence[str] = (),
        now: Callable[[], datetime] = local_now,
    ) -> None:
        super().__init__()
        self._original, self._save, self._now = task, save, now
        seen = {t.casefold() for t in KEAP_TYPES}
        extra = sorted({t.strip() for t in types if t and t.strip() and t.strip().casefold() not in seen})
        self._types = (*KEAP_TYPES, *extra)
        self._initial: dict[str, object] = {}
        self._attempted = False  # after the first ctrl+s, errors follow every keystroke
        self._saving = False
        self._refocus: Widget | None = None
        self._errors: dict[str, str] = {}
        self._status_text = ""
        self._saved: Task | None = None

    # --- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        task = self._original
        due = task.due_date.astimezone(self._now().tzinfo) if task and task.due_date else None
        due_text = "" if due is None else due.strftime("%Y-%m-%d %H:%M:%S" if due.second else "%Y-%m-%d %H:%M")
        with VerticalScroll(id="dialog") as dialog:
            dialog.can_focus = False
            dialog.border_title = "New task" if task is None else f"Edit task #{task.id}"
            with Vertical(id="fields"):
                yield self._row("title", "Title *", _input(
                    visible_controls(task.title or "") if task else "", "title", "What needs doing?"))
                yield self._row("description", "Description", TextArea(
                    visible_controls(task.description or "", multiline=True) if task else "", id="description",
                    compact=True, soft_wrap=True, tab_behavior="focus", placeholder="Notes (optional)"))
                yield self._row("type", "Type", _input(
                    visible_controls(task.type or "") if task else "", "type",
                    ", ".join(KEAP_TYPES) + " or your own", self._types))
                yield self._row("priority", "Priority", _input(
                    format_priority(task.priority) if task else "", "priority",
                    "1 low · 2 medium · 3 high · empty = none",
                    [*(format_priority(n) for n in PRIORITY_WORDS), *PRIORITY_WORDS.values(), "none"]))
                yield self._row("due", "Due", DueInput(due_text, now=self._now))
                if task is not None:
                    yield self._row("completed", "", Checkbox("Completed", bool(task.completed), id="completed"))
            yield Static(id="status")
        yield Footer()

    @staticmethod
    def _row(name: str, label: str, field: Widget) -> Horizontal:
        error = Static(id=f"{name}-error", classes="error")
        return Horizontal(Label(label, classes="label"), Vertical(field, error, classes="field"),
                          classes="row", id=f"{name}-row")

    def on_mount(self) -> None:
        self._initial = self._raw()

    # --- reading the fields --------------------------------------------------------------------

    def _raw(self) -> dict[str, object]:
        raw: dict[str, object] = {
            "title": self.query_one("#title", Input).value,
            "description": self.query_one("#description", TextArea).text,
            "type": self.query_one("#type", Input).value,
            "priority": self.query_one("#priority", Input).value,
            "due": self.query_one("#due", Input).value,
        }
        if self._original is not None:
            raw["completed"] = self.query_one("#completed", Checkbox).value
        return raw

    @property
    def is_dirty(self) -> bool:
        """Has anything been typed or changed since the form opened?"""
        return bool(self._initial) and self._raw() != self._initial

    def _read(self, name: str, raw: str) -> object:
        task = self._original
        if task is not None and raw == self._initial.get(name):  # untouched: keep the task's value
            kept = {"title": task.title, "description": task.description, "type": task.type,
                    "priority": task.priority, "due": task.due_date}[name]
            if name != "title" or (kept or "").strip():
                return kept
        readers = {
            "title": clean_title, "description": clean_description, "priority": parse_priority,
            "type": lambda text: clean_type(text, self._types), "due": lambda _: self.query_one(DueInput).read(),
        }
        return readers[name](raw)

    def _collect(self, *, focus: bool) -> TaskDraft | None:
        """The draft to send, or None after showing every problem under its field."""
        raw, values, first_bad = self._raw(), {}, None
        for name in FIELDS:
            try:
                values[name] = self._read(name, str(raw[name]))
                self._show_error(name, "")
            except ValueError as err:  # FieldError or DueDateError
                self._show_error(name, str(err))
                first_bad = first_bad or name
        if first_bad is not None:
            if focus:
                self.query_one(f"#{first_bad}").focus()
            return None
        return TaskDraft(
            title=values["title"], description=values["description"], type=values["type"],
            priority=values["priority"], due_date=values["due"],
            completed=raw["completed"] if self._original is not None else None,
        )

    def _show_error(self, name: str, message: str) -> None:
        self._errors[name] = message
        error = self.query_one(f"#{name}-error", Static)
        error.update(Text(message))
        error.set_class(bool(message), "-shown")
        self.query_one(f"#{name}").set_class(bool(message), "-invalid")
        if name == "due":  # the error replaces the live hint, never both
            self.query_one("#due-hint").display = not message

    def error_text(self, name: str) -> str:
        """The message shown under field `name`, or on the save line for "status" ("" if none)."""
        return self._status_text if name == "status" else self._errors.get(name, "")

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    def _changed(self, event: Input.Changed | TextArea.Changed | Checkbox.Changed) -> None:
        widget = event.control
        if isinstance(widget, Input) and (shown := visible_controls(widget.value)) != widget.value:
            widget.value = shown  # one picture per character: the cursor stays where it was
            return
        if isinstance(widget, TextArea):
            text = widget.text
            if (shown := visible_controls(text, multiline=True)) != text:
                cursor = widget.cursor_location
                widget.text = shown
                widget.cursor_location = cursor
                return
        if self._attempted and not self._saving:
            self._collect(focus=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    # --- saving ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save" and self._saving:
            return None  # shown greyed out: one save at a time (POST has no idempotency key)
        return True

    def action_save(self) -> None:
        if self._saving:
            return
        self._attempted = True
        draft = self._collect(focus=True)
        if draft is None:
            self._status("")
            return
        if self._original is not None and not draft.changes_from(self._original):
            self.dismiss(None)  # an edit that changes nothing sends nothing
            return
        self._set_saving(True)
        self.run_worker(self._save_job(draft), group="task-form-save", exclusive=True, exit_on_error=False)

    async def _save_job(self, draft: TaskDraft) -> None:
        try:
            self.post_message(self._SaveFinished(await self._save(draft, self._original)))
        except Exception as err:  # noqa: BLE001 - any failure keeps the form and its text
            self.post_message(self._SaveFinished(None, err))

    @on(_SaveFinished)
    def _save_finished(self, message: _SaveFinished) -> None:
        message.stop()
        self._set_saving(False)
        err = message.error
        if err is None:
            self._saved = message.task
            if self.app.screen is self:  # else a "still saving?" question is open: its answer closes us
                self.dismiss(self._saved)
        elif isinstance(err, KeapError):
            self._status(f"{err}  ·  ctrl+s to try again", "error")
        else:
            self.log.error("task save failed", repr(err))
            problem = f"{type(err).__name__}: {err}"
            self._status(f"Could not save ({problem}). Your text is kept; ctrl+s to retry.", "error")

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        fields = self.query_one("#fields")
        if saving:
            self._refocus = self.focused
            self._status("Saving…", "saving")
        fields.disabled = saving  # nothing can be typed into a form that is being sent
        if not saving and self._refocus is not None and self._refocus.is_attached:
            self._refocus.focus()
            self.call_after_refresh(self.app.update_styles, self)  # re-apply :focus-within after re-enabling
        self.refresh_bindings()

    def _status(self, text: str, kind: str = "") -> None:
        self._status_text = text
        status = self.query_one("#status", Static)
        status.update(Text(text))
        status.set_classes(kind)

    # --- leaving -----------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self._saving:
            question, yes, no = "Still saving. Close anyway? The task may be saved regardless.", "Close", "Wait"
        elif self.is_dirty:
            what = "this new task" if self._original is None else "your changes to this task"
            question, yes, no = f"Discard {what}?", "Discard", "Keep editing"
        else:
            self.dismiss(None)
            return

        def answered(leave: bool | None) -> None:
            if self._saved is not None:  # the save finished while we asked: it is done, close
                self.dismiss(self._saved)
            elif leave:
                self.workers.cancel_group(self, "task-form-save")
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen(question, yes=yes, no=no), answered)
