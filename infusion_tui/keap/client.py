"""KeapClient: Keap REST v1 tasks and orders over one httpx.AsyncClient.

Every request passes the call budget (in the transport, see transport.py), is retried by the
rules in retry.py, and comes back as typed models or as one of the errors in errors.py.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import httpx
import msgspec
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from infusion_tui.clock import REAL_CLOCK, Clock
from infusion_tui.keap.auth import OAuthAuth
from infusion_tui.keap.budget import CallBudget
from infusion_tui.keap.errors import BadResponse
from infusion_tui.keap.models import (
    DecodeError,
    Order,
    OrderList,
    Task,
    TaskDraft,
    TaskList,
    decode,
    format_keap_datetime,
)
from infusion_tui.keap.retry import IDEMPOTENT, NO_LOGIN, Wait, error_for, give_up, retryable
from infusion_tui.keap.task_bodies import needs_replace, patch_body, put_body
from infusion_tui.keap.transport import MeteredTransport, default_transport

logger = logging.getLogger("infusion_tui.keap")

KEAP_BASE_URL = "https://api.infusionsoft.com/crm/rest/v1"
MAX_PAGE_SIZE = 1000  # Keap v2 caps pages at 1000; v1 states no limit, clients use 1000

T = TypeVar("T")
OnPage = Callable[[list[Any], int, "int | None"], "Awaitable[None] | None"]
DateArg = datetime | str | None


class KeapClient:
    """An async Keap REST v1 client. Use as `async with KeapClient(...) as client:`."""

    def __init__(
        self,
        base_url: str = KEAP_BASE_URL,
        auth: httpx.Auth | None = None,
        budget: CallBudget | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 20.0,
        clock: Clock = REAL_CLOCK,
        max_retries: int = 5,
        user_agent: str = "infusion-tui/0.1",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.timeout = timeout
        self.max_retries = max_retries
        self.budget = budget if budget is not None else CallBudget(clock=clock)
        self._auth = auth
        url = httpx.URL(self.base_url)
        self._host = url.host
        inner = transport if transport is not None else default_transport(url)
        self._transport = MeteredTransport(inner, self.budget, timeout)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            auth=auth,
            transport=self._transport,
            timeout=timeout,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )
        if isinstance(auth, OAuthAuth):
            auth.bind(self._http)  # refreshes share this client's transport

    def __repr__(self) -> str:
        return f"KeapClient(base_url={self.base_url!r}, auth={self._auth!r}, budget={self.budget!r})"

    @property
    def calls_made(self) -> int:
        """Requests sent to the API (each retry counts; token refreshes do not)."""
        return self._transport.calls_made

    @property
    def auth(self) -> httpx.Auth | None:
        return self._auth

    @auth.setter
    def auth(self, auth: httpx.Auth | None) -> None:
        """Sign in again without rebuilding the client: pollers and forms holding this client
        carry on with the new credential, and the call budget keeps its history."""
        self._auth = auth
        self._http.auth = auth
        if isinstance(auth, OAuthAuth):
            auth.bind(self._http)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "KeapClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- tasks ---------------------------------------------------------------------------

    async def list_tasks(
        self,
        *,
        since: DateArg = None,
        until: DateArg = None,
        completed: bool | None = None,
        has_due_date: bool | None = None,
        contact_id: int | None = None,
        user_id: int | None = None,
        order: str | None = None,
        search: bool = False,
        page_size: int = MAX_PAGE_SIZE,
        on_page: OnPage | None = None,
    ) -> list[Task]:
        """Every task matching the filters, all pages (`search=True`: the user's own tasks)."""
        tasks: list[Task] = []
        async for page in self.iter_task_pages(
            since=since, until=until, completed=completed, has_due_date=has_due_date,
            contact_id=contact_id, user_id=user_id, order=order, search=search,
            page_size=page_size, on_page=on_page,
        ):  # fmt: skip
            tasks.extend(page)
        return tasks

    def iter_task_pages(
        self,
        *,
        since: DateArg = None,
        until: DateArg = None,
        completed: bool | None = None,
        has_due_date: bool | None = None,
        contact_id: int | None = None,
        user_id: int | None = None,
        order: str | None = None,
        search: bool = False,
        page_size: int = MAX_PAGE_SIZE,
        on_page: OnPage | None = None,
    ) -> AsyncIterator[list[Task]]:
        params = query_params(
            since=since, until=until, completed=completed, has_due_date=has_due_date,
            contact_id=contact_id, user_id=user_id, order=order,
        )  # fmt: skip
        path = "tasks/search" if search else "tasks"
        return self._pages(path, params, TaskList, "tasks", page_size, on_page)

    async def get_task(self, task_id: int) -> Task:
        response = await self._request("GET", f"tasks/{int(task_id)}")
        return decode(response.content, Task)

    async def create_task(self, draft: TaskDraft) -> Task:
        """POST /tasks (Keap answers 200, not 201). Never retried once it may have arrived."""
        response = await self._request("POST", "tasks", json=draft.to_body())
        try:
            return decode(response.content, Task)
        except DecodeError:  # Keap said 200: the task exists, only the answer is broken
            raise BadResponse(
                "Keap may have saved the task: it answered OK, but its reply could not be read. "
                "Close the form and press r to check before saving again (saving again could "
                "create a second copy)."
            ) from None

    async def update_task(
        self, task_id: int, changes: dict[str, Any] | TaskDraft, *, original: Task | None = None
    ) -> Task:
        """PATCH only what changed. With a draft and the task it was made from, the diff is
        computed here; with nothing to change, no call is made and `original` comes back.

        Clearing a due date or priority cannot be said in a v1 PATCH (see task_bodies.py): with
        `original` given, such a change is sent as a PUT of the whole task instead.
        """
        if isinstance(changes, TaskDraft):
            changes = changes.changes_from(original) if original is not None else changes.to_body()
        body = patch_body(changes)
        if not body:
            return original if original is not None else await self.get_task(task_id)
        if needs_replace(body) and original is not None:
            response = await self._request("PUT", f"tasks/{int(task_id)}", json=put_body(original, body))
        else:
            response = await self._request("PATCH", f"tasks/{int(task_id)}", json=body)
        return decode(response.content, Task)

    async def set_completed(self, task_id: int, completed: bool) -> Task:
        response = await self._request("PATCH", f"tasks/{int(task_id)}", json={"completed": completed})
        return decode(response.content, Task)

    async def delete_task(self, task_id: int) -> None:
        await self._request("DELETE", f"tasks/{int(task_id)}")

    # -- orders --------------------------------------------------------------------------

    async def list_orders(
        self,
        *,
        since: DateArg = None,
        until: DateArg = None,
        paid: bool | None = None,
        contact_id: int | None = None,
        product_id: int | None = None,
        order: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        on_page: OnPage | None = None,
    ) -> list[Order]:
        orders: list[Order] = []
        async for page in self.iter_order_pages(
            since=since, until=until, paid=paid, contact_id=contact_id,
            product_id=product_id, order=order, page_size=page_size, on_page=on_page,
        ):  # fmt: skip
            orders.extend(page)
        return orders

    def iter_order_pages(
        self,
        *,
        since: DateArg = None,
        until: DateArg = None,
        paid: bool | None = None,
        contact_id: int | None = None,
        product_id: int | None = None,
        order: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        on_page: OnPage | None = None,
    ) -> AsyncIterator[list[Order]]:
        params = query_params(
            since=since, until=until, paid=paid, contact_id=contact_id,
            product_id=product_id, order=order,
        )  # fmt: skip
        return self._pages("orders", params, OrderList, "orders", page_size, on_page)

    async def get_order(self, order_id: int) -> Order:
        response = await self._request("GET", f"orders/{int(order_id)}")
        return decode(response.content, Order)

    async def verify(self) -> None:
        """One cheap call to check the credential; AuthError if Keap refuses it."""
        await self._request("GET", "tasks", params={"limit": 1})

    # -- plumbing ------------------------------------------------------------------------

    async def _pages(
        self,
        path: str,
        params: dict[str, str],
        envelope: type[Any],
        field: str,
        page_size: int,
        on_page: OnPage | None,
    ) -> AsyncIterator[list[Any]]:
        # Keap may send `next` on the last page too, so `next` never says "done"; a short or
        # empty page does. `count` is trusted as the total only once it has proved to be one
        # (larger than a page): then a full last page needs no extra empty call.
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        offset, first_ids, total = 0, None, None
        while True:
            query = {**params, "limit": str(page_size), "offset": str(offset)}
            response = await self._request("GET", path, params=query)
            envelope_value = decode(response.content, envelope)
            items = getattr(envelope_value, field)
            ids = [item.id for item in items[:3]]
            if items and ids == first_ids:
                break  # the server ignored `offset`: stop rather than loop forever
            first_ids = ids
            offset += len(items)
            if on_page is not None:
                result = on_page(items, offset, envelope_value.count)
                if inspect.isawaitable(result):
                    await result
            count = envelope_value.count
            if isinstance(count, int) and count > len(items):
                total = count
            if items:
                yield items
            if len(items) < page_size or (total is not None and offset >= total):
                break

    async def _request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> httpx.Response:
        idempotent = method in IDEMPOTENT
        content = msgspec.json.encode(json) if json is not None else None
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=Wait(self.budget),
            retry=retry_if_exception(partial(retryable, idempotent=idempotent)),
            sleep=self.clock.sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(method, path, params, content)
        except httpx.TransportError as exc:
            logger.debug("%s %s failed: %s", method, path, type(exc).__name__)
            raise give_up(exc, timeout=self.timeout, idempotent=idempotent, host=self._host) from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _attempt(
        self, method: str, path: str, params: dict[str, Any] | None, content: bytes | None
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if content is not None else None
        request = self._http.build_request(method, path, params=params, content=content, headers=headers)
        response = await self._http.send(request)
        if response.is_success:
            return response
        refused = getattr(self._auth, "refused_message", NO_LOGIN)
        raise error_for(response, refused=refused, now=self.clock.now())


def query_params(**filters: Any) -> dict[str, str]:
    """Keap's query strings: dates as ISO UTC with ms and Z, booleans lowercase, None left out."""
    return {name: query_value(value) for name, value in filters.items() if value is not None}


def query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_keap_datetime(value)
    return str(value)
