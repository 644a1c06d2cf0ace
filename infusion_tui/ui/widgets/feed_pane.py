"""What the task pane and the orders feed share: a table, a filter line, an info line, and a
poller driven by a chained timer.

The chain: a timer fires -> a worker awaits `poller.poll()` -> the result is posted as a
message -> the handler updates rows and arms the next timer with `result.next_delay`. The
next poll is only scheduled after the previous one ends, so polls never overlap, and the
poller itself refuses to run a background poll before its floor (Keap: 120 s) has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, ProgressBar, Static

from infusion_tui.keap.errors import AuthError, BadResponse, KeapError, Unavailable
from infusion_tui.live import Poller, PollResult
from infusion_tui.session import Session
from infusion_tui.text_safety import literal
from infusion_tui.ui.messages import AuthLost, Synced, SyncFailed
from infusion_tui.ui.widgets.line_table import Column, LineTable


@dataclass
class PollFinished(Message):
    result: PollResult[Any]
    manual: bool
    prepared: Any = None  # what `prepare` built off the UI thread (rows for a big first sync)


@dataclass
class PageLoaded(Message):
    loaded: int
    total: int | None


def is_offline(error: Exception | None) -> bool:
    """Keap unreachable (network, timeout, 5xx) — not a refusal or a spent quota."""
    return isinstance(error, Unavailable) and not isinstance(error, BadResponse)


class FilterInput(Input):
    """The pane's filter line: esc clears it and hands focus back to the table."""

    BINDINGS = [("escape", "clear_filter", "Clear filter")]

    def action_clear_filter(self) -> None:
        self.value = ""
        self.remove_class("-active")
        self.post_message(self.Submitted(self, ""))


class FeedPane(Vertical):
    """Base for the panes; subclasses give columns, a poller and what to do with results."""

    COLUMNS: list[Column] = []
    SORTS: tuple[str, ...] = ()
    NOUN = "items"

    def __init__(self, session: Session, *, id: str) -> None:
        super().__init__(id=id, classes="pane")
        self.session = session
        self.poller: Poller[Any] | None = None
        self.as_of: str | None = None  # painted from the cache: when that cache was synced
        self._timer: Timer | None = None
        self._countdown: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id=f"{self.id}-info", classes="pane-info")
        yield FilterInput(placeholder=f"Filter {self.NOUN}…  (esc clears)", id=f"{self.id}-filter",
                          classes="pane-filter")
        yield ProgressBar(id=f"{self.id}-progress", classes="pane-progress", show_eta=False)
        yield LineTable(self.COLUMNS, sort_names=self.SORTS, id=f"{self.id}-table")

    @property
    def table(self) -> LineTable:
        return self.query_one(LineTable)

    @property
    def filter_input(self) -> FilterInput:
        return self.query_one(FilterInput)

    def on_mount(self) -> None:
        self._countdown = self.set_interval(1.0, self.refresh_info)
        self.set_interval(60.0, self.refresh_times)

    def refresh_times(self) -> None:
        """Re-word relative times ('now' becomes '5 min ago'); subclasses know which rows."""

    # -- filtering -------------------------------------------------------------------------

    def action_start_filter(self) -> None:
        self.filter_input.add_class("-active")
        self.filter_input.focus()

    @on(Input.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self.refresh_info()

    @on(Input.Submitted)
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            self.filter_input.remove_class("-active")
            self.table.set_filter("")
        self.table.focus()

    # -- polling ---------------------------------------------------------------------------

    def start_polling(self, poller: Poller[Any], first_delay: float = 0.0) -> None:
        self.poller = poller
        if first_delay <= 0:
            self.poll_now(manual=False)  # at once: a timer would only fire after the first frame
        else:
            self._arm(first_delay)

    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(0.05, delay), self._tick)

    def _tick(self) -> None:
        self._timer = None
        self.poll_now(manual=False)

    @work(group="poll", exit_on_error=False)
    async def poll_now(self, manual: bool = False) -> None:
        """One poll, in a worker; background polls re-arm the chain when they end."""
        if self.poller is None:
            return
        result = await self.poller.poll(manual=manual)
        prepared = await self.prepare(result) if result.ok else None
        self.post_message(PollFinished(result, manual, prepared))

    async def prepare(self, result: PollResult[Any]) -> Any:
        """Turn a poll's items into rows in a thread when there are many (a first sync of
        100,000 orders takes seconds to turn into rows): the keyboard stays live meanwhile."""
        return None

    @on(PollFinished)
    def _poll_finished(self, event: PollFinished) -> None:
        result = event.result
        if not event.manual or self._timer is None:
            self._arm(result.next_delay)
        if result.error is not None:
            self._failed(result.error)
        elif result.ok:
            self.finish_progress()
            self.as_of = None
            self.apply_poll(result, event.prepared)
            self.post_message(Synced(self.NOUN))
        self.refresh_info()

    def _failed(self, error: KeapError) -> None:
        if not len(self.table.index):
            self.table.empty_message = f"Could not load {self.NOUN}: {error}"
        self.post_message(SyncFailed(self.NOUN, str(error), offline=is_offline(error)))
        if isinstance(error, AuthError):
            self.post_message(AuthLost(str(error)))

    def apply_poll(self, result: PollResult[Any], prepared: Any) -> None:  # pragma: no cover
        """Show a successful poll's items (`prepared`: what `prepare` built for them)."""
        raise NotImplementedError

    def action_refresh(self) -> None:
        self.poll_now(manual=True)

    def cached_as_of(self, synced_at: float | None) -> None:
        """Rows painted from the local cache say how old they are until the first sync."""
        if synced_at is not None and len(self.table.index):
            self.as_of = datetime.fromtimestamp(synced_at).strftime("%H:%M")

    # -- the info line ---------------------------------------------------------------------

    def poll_state(self) -> Text:
        """'next check in 1:42', 'paused', or 'retrying at 17:04 — <error>'."""
        poller = self.poller
        text = Text(f"as of {self.as_of} · " if self.as_of else "")
        if poller is None:
            return text
        left = int(poller.seconds_until_next() + 0.5)
        countdown = f"{left // 60}:{left % 60:02d}"
        if poller.paused:
            text.append("⏸ paused (p resumes)", style="bold")
        elif poller.busy:
            text.append("checking…")
        elif poller.last_error is not None:
            text.append(f"⚠ retrying in {countdown}", style="bold")
        else:
            text.append(f"next check in {countdown}")
        if poller.last_error is not None:
            text.append(" — ")
            text.append(literal(str(poller.last_error)))
        return text

    def refresh_info(self) -> None:
        info = self.query_one(f"#{self.id}-info", Static)
        info.update(self.info_text(), layout=False)  # one line, fixed height: no relayout per tick
        info.set_class(self.poller is not None and self.poller.last_error is not None, "-error")

    def info_text(self) -> Text:  # pragma: no cover - overridden
        return self.poll_state()

    def page_loaded(self, page: Any, loaded: int, total: int | None) -> None:
        """The client's on_page callback (runs in the poll's worker): tell the handler."""
        self.post_message(PageLoaded(loaded, total))

    @on(PageLoaded)
    def _page_loaded(self, event: PageLoaded) -> None:
        self.query_one(ProgressBar).update(total=event.total, progress=event.loaded)

    def finish_progress(self) -> None:
        self.query_one(ProgressBar).add_class("-done")
