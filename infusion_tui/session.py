"""A connected session: the client, the local store and the polling rules, bundled for the UI.

The UI receives one `Session` and never builds HTTP clients itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from infusion_tui.clock import REAL_CLOCK, Clock
from infusion_tui.dates import local_zone

if TYPE_CHECKING:
    from infusion_tui.keap import KeapClient
    from infusion_tui.store import Store

KEAP_POLL_FLOOR = 120.0  # Keap's trigger limit: one background poll per 120 s per connection


@dataclass
class Session:
    client: "KeapClient"
    profile: str
    label: str                      # "demo sandbox", "API key", "OAuth app", "KEAP_API_KEY"
    store: "Store | None" = None
    poll_interval: float = KEAP_POLL_FLOOR
    poll_floor: float = KEAP_POLL_FLOOR
    clock: Clock = REAL_CLOCK
    calls_per_minute: int = 100
    sandbox: Any = None             # the in-process sandbox in demo mode
    extras: dict[str, Any] = field(default_factory=dict)

    def local_now(self) -> datetime:
        """Now on the session's clock, in the user's zone (tests drive it; snapshots pin it)."""
        return datetime.fromtimestamp(self.clock.now(), local_zone())

    async def close(self) -> None:
        await self.client.aclose()
        if self.store is not None:
            self.store.close()
