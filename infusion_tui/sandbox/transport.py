"""An in-process transport that, unlike ``httpx.ASGITransport``, honours client timeouts.

ASGITransport has no network layer, so httpx's timeouts never fire in-process and a
``timeout`` fault would simply make the caller wait. ``sb.transport()`` returns this
transport instead: it applies the request's read timeout (``httpx.Timeout``) to the whole
exchange and raises ``httpx.ReadTimeout``, as a real socket would.
"""

from __future__ import annotations

import asyncio

import httpx


class SandboxTransport(httpx.ASGITransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        if timeout is None:
            return await super().handle_async_request(request)
        try:
            return await asyncio.wait_for(super().handle_async_request(request), timeout)
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout(f"no response within {timeout} s (sandbox)", request=request) from None
