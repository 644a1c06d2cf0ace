"""Messages that workers post; handlers on the panes own all widget state."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from infusion_tui.keap.models import Order, Task


@dataclass
class TasksLoaded(Message):
    tasks: list[Task]
    source: str  # "cache" or "keap"
    as_of: float | None = None


@dataclass
class TasksProgress(Message):
    loaded: int
    total: int | None


@dataclass
class TasksChanged(Message):
    """Tasks created elsewhere (new) or modified elsewhere (changed), found by the poller."""

    new: list[Task]
    changed: list[Task]


@dataclass
class OrdersArrived(Message):
    orders: list[Order]
    new: bool  # False for the baseline/cache load: shown, but not highlighted


@dataclass
class SyncFailed(Message):
    feed: str
    error: str


@dataclass
class TaskToggleFailed(Message):
    task: Task  # the task as it was before the optimistic toggle
    error: str
