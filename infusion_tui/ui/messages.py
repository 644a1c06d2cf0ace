"""Messages that workers and panes post; handlers own all widget state."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from infusion_tui.keap.models import Task


@dataclass
class Synced(Message):
    """A feed finished a successful sync (the status line shows when)."""

    feed: str


@dataclass
class SyncFailed(Message):
    feed: str
    error: str
    offline: bool = False  # Keap could not be reached at all (not a refusal)


@dataclass
class TaskSaved(Message):
    task: Task


@dataclass
class TaskToggleFailed(Message):
    task: Task  # the task as it was before the optimistic toggle
    error: str


@dataclass
class AuthLost(Message):
    """Keap refused the credential: the app asks the user to sign in again, on top of
    whatever is open (an unsaved task form stays underneath, untouched)."""

    message: str
