"""LoopbackReceiver: catches the browser's OAuth redirect on 127.0.0.1, exactly once.

A tiny HTTP/1.1 server (asyncio streams, no framework): bound to 127.0.0.1 only, it answers the
one request to the redirect path that carries the expected state, then closes. Anything else
(a wrong state, another path, a favicon) is refused and does not end the wait, so a stray or
forged request cannot hijack or abort the login.
"""

from __future__ import annotations

import asyncio
import html
import secrets
from urllib.parse import parse_qs, urlsplit

from infusion_tui.keap.errors import AuthError

_MAX_HEAD = 16 * 1024
_READ_TIMEOUT = 10.0

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>infusion-tui</title></head>
<body style="font-family: sans-serif; margin: 4em auto; max-width: 32em">
<h1>{title}</h1><p>{text}</p></body></html>"""


class LoopbackReceiver:
    """`async with LoopbackReceiver(state) as rx:` open `rx.redirect_uri`, then `await rx.wait()`."""

    def __init__(self, expected_state: str, path: str = "/callback", port: int = 0) -> None:
        self.expected_state = expected_state
        self.path = path if path.startswith("/") else "/" + path
        self.port = port
        self._server: asyncio.AbstractServer | None = None
        self._result: asyncio.Future[str] | None = None

    def __repr__(self) -> str:
        return f"LoopbackReceiver(redirect_uri={self.redirect_uri!r})"

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    async def start(self) -> "LoopbackReceiver":
        self._result = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._handle, host="127.0.0.1", port=self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> "LoopbackReceiver":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def wait(self, timeout: float | None = 300.0) -> str:
        """The authorization code; AuthError if the login was refused or nobody came back."""
        assert self._result is not None, "use `async with LoopbackReceiver(...)` first"
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(self._result)
        except TimeoutError:
            raise AuthError(
                "No answer from the browser in time. Start the login again, or paste the "
                "address the browser ended on."
            ) from None
        finally:
            await self.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        status, title, text = self._answer(head[:_MAX_HEAD])
        body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n".encode()
            + body
        )
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()
        if self._result is not None and self._result.done() and self._server is not None:
            self._server.close()  # one answer only: stop listening at once

    def _answer(self, head: bytes) -> tuple[str, str, str]:
        try:
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        except ValueError:
            return "400 Bad Request", "Bad request", "This address only receives Keap's login answer."
        url = urlsplit(target)
        if method != "GET" or url.path != self.path:
            return "404 Not Found", "Not found", "This address only receives Keap's login answer."
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        state = params.get("state", "")
        if not secrets.compare_digest(state.encode(), self.expected_state.encode()):
            return "400 Bad Request", "Wrong login attempt", "This answer is for a different login attempt."
        if self._result is None or self._result.done():
            return "400 Bad Request", "Already done", "This login was already completed."
        if params.get("error"):
            why = "cancelled" if params["error"] == "access_denied" else "refused"
            message = f"The Keap login was {why} in the browser. Log in again to connect."
            self._result.set_exception(AuthError(message))
            return "200 OK", "Login not completed", "You can close this tab and return to the terminal."
        if not params.get("code"):
            return "400 Bad Request", "No code", "Keap's answer had no sign-in code."
        self._result.set_result(params["code"])
        return "200 OK", "Logged in to Keap", "You can close this tab and return to the terminal."
