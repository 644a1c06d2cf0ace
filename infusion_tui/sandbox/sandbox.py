"""``Sandbox``: one Keap REST v1 look-alike, its data, its credentials and its switches.

In-process::

    sb = Sandbox(seed=7, clock=FakeClock())
    async with httpx.AsyncClient(transport=sb.transport(), base_url="http://sandbox.test") as c:
        await c.get("/crm/rest/v1/tasks", headers={"X-Keap-API-Key": sb.api_key})

Over a socket: ``with sb.serve() as base_url: ...`` or ``sb.start(port)`` / ``sb.stop()``.
"""

from __future__ import annotations

from contextlib import contextmanager

from ..clock import REAL_CLOCK, Clock
from .app import SandboxApp
from .faults import FaultList
from .people import ME
from .quota import Quota
from .recording import RecordedRequest, count_calls, max_in_window
from .server import HOST, ServerThread
from .tokens import Tokens
from .transport import SandboxTransport
from .world import World

API_PREFIX = "/crm/rest/v1"


class Sandbox:
    def __init__(self, seed: int = 7, api_key: str = "sandbox-key", clock: Clock | None = None,
                 n_tasks: int = 60, n_orders: int = 200,
                 order_every: float | None = None, task_every: float | None = None,
                 calls_per_minute: int = 100, spike_per_second: int | None = None,
                 client_id: str = "sandbox-client", client_secret: str = "sandbox-secret",
                 access_token_ttl: float = 86400, *,
                 refresh_token_ttl: float = 45 * 86400, calls_per_day: int = 150_000,
                 poll_interval: float = 15.0, tenant: str = "sandbox.infusionsoft.com") -> None:
        self.clock = clock or REAL_CLOCK
        self.seed = seed
        self.tenant = tenant
        self.poll_interval = float(poll_interval)  # the demo's poll frequency (Keap's floor: 120)
        self.world = World(seed=seed, clock=self.clock, n_tasks=n_tasks, n_orders=n_orders,
                           order_every=order_every, task_every=task_every, tenant=tenant)
        self.tokens = Tokens(self.clock, api_key=api_key, client_id=client_id,
                             client_secret=client_secret, access_token_ttl=access_token_ttl,
                             refresh_token_ttl=refresh_token_ttl, scope=f"full|{tenant}",
                             user_id=ME)
        self.quota = Quota(calls_per_minute, spike_per_second, calls_per_day, tenant)
        self.faults = FaultList()
        self.requests: list[RecordedRequest] = []
        self.app = SandboxApp(self)
        self._server = ServerThread(self.app)

    # --- credentials -------------------------------------------------------------------
    @property
    def api_key(self) -> str | None:
        return self.tokens.api_key

    @property
    def client_id(self) -> str:
        return self.tokens.client_id

    @property
    def client_secret(self) -> str:
        return self.tokens.client_secret

    @property
    def refresh_count(self) -> int:
        """Successful refresh_token grants so far."""
        return self.tokens.refresh_count

    def issue_access_token(self) -> dict:
        """A ready token response (as POST /token returns it), without the browser dance."""
        return self.tokens.issue()

    def revoke_api_key(self) -> None:
        self.tokens.revoke_api_key()

    # --- data --------------------------------------------------------------------------
    @property
    def tasks(self) -> dict[int, dict]:
        self.world.materialize()
        return self.world.tasks

    @property
    def orders(self) -> dict[int, dict]:
        self.world.materialize()
        return self.world.orders

    @property
    def contacts(self) -> list[dict]:
        return self.world.contacts

    def add_order(self, **overrides) -> dict:
        return self.world.add_order(**overrides)

    def add_task(self, **overrides) -> dict:
        return self.world.add_task(**overrides)

    # --- what was received -------------------------------------------------------------
    def calls(self, since: float | None = None, until: float | None = None) -> int:
        return count_calls(list(self.requests), since, until)

    def max_calls_in_window(self, window: float = 60.0) -> int:
        return max_in_window(list(self.requests), window)

    # --- addresses -----------------------------------------------------------------------
    def base_url_for(self, origin: str = "http://sandbox.test") -> str:
        return origin.rstrip("/") + API_PREFIX

    def authorize_url_for(self, origin: str = "http://sandbox.test") -> str:
        return origin.rstrip("/") + "/app/oauth/authorize"

    def token_url_for(self, origin: str = "http://sandbox.test") -> str:
        return origin.rstrip("/") + "/token"

    def transport(self, **kwargs) -> SandboxTransport:
        """An httpx.ASGITransport for this app that also enforces client read timeouts."""
        return SandboxTransport(app=self.app, **kwargs)

    # --- on a socket ---------------------------------------------------------------------
    def start(self, port: int | None = None) -> str:
        """Serve on 127.0.0.1; ``port=None`` reuses the last port (or picks a free one)."""
        if port is None:
            port = self._server.port or 0
        bound = self._server.start(port)
        return self.base_url_for(f"http://{HOST}:{bound}")

    def stop(self) -> None:
        self._server.stop()

    @property
    def serving(self) -> bool:
        return self._server.running

    @contextmanager
    def serve(self, port: int = 0):
        url = self.start(port)
        try:
            yield url
        finally:
            self.stop()
