"""The wire: every request that leaves takes a budget slot, has a deadline, and is logged clean.

Metering here, below httpx's auth and redirect handling, is what makes "every request passes
the budget" true: the request an OAuth flow re-sends after a refresh is counted like any other.
Only requests marked UNMETERED (Keap's token endpoint) skip the budget.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from infusion_tui.keap.budget import CallBudget
from infusion_tui.keap.redact import redact_form, redact_headers
from infusion_tui.keap.tokens import UNMETERED

logger = logging.getLogger("infusion_tui.keap")


class MeteredTransport(httpx.AsyncBaseTransport):
    """Wraps a transport with the call budget, a response deadline and redacted debug logs."""

    def __init__(self, inner: httpx.AsyncBaseTransport, budget: CallBudget, deadline: float) -> None:
        self.inner = inner
        self.budget = budget
        self.deadline = deadline  # ASGITransport ignores httpx timeouts; this one always holds
        self.calls_made = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.extensions.get(UNMETERED):
            return await self._send(request)
        async with self.budget.slot():
            self.calls_made += 1
            response = await self._send(request)
            self.budget.note_headers(response.headers)
            return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        if logger.isEnabledFor(logging.DEBUG):
            _log_request(request)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.deadline):
                response = await self.inner.handle_async_request(request)
        except TimeoutError:
            # Said as a read timeout: we cannot know whether the server got the request.
            raise httpx.ReadTimeout(f"no answer within {self.deadline:g} s", request=request) from None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "← %s %s %s in %.0f ms (throttle available: %s, retry-after: %s)",
                response.status_code,
                request.method,
                request.url.path,
                (time.perf_counter() - started) * 1000,
                response.headers.get("x-keap-product-throttle-available", "-"),
                response.headers.get("retry-after", "-"),
            )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _log_request(request: httpx.Request) -> None:
    body = ""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = " form=" + redact_form(request.content)
    headers = redact_headers(request.headers.multi_items())
    logger.debug("→ %s %s %s%s", request.method, request.url, headers, body)


def default_transport(url: httpx.URL) -> httpx.AsyncBaseTransport:
    """A real HTTP transport that honours the usual proxy environment variables.

    (httpx only reads them when it builds its own transport; ours wraps one, so we pass the
    proxy along ourselves.) Loopback hosts (a local sandbox) are never proxied.
    """
    from urllib.request import getproxies, proxy_bypass  # only on the real-network path

    proxies = getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if proxy and (url.host in ("127.0.0.1", "localhost", "::1") or proxy_bypass(url.host)):
        proxy = None
    return httpx.AsyncHTTPTransport(proxy=proxy, retries=0)
