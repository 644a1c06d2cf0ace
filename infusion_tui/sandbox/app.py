"""The ASGI app: Starlette routes behind the gateway (gateway.py).

The gateway runs in ``__call__``, outside Starlette's own middleware, so a ``drop`` fault
really sends nothing: Starlette's ServerErrorMiddleware would otherwise answer 500 first.
Errors raised by handlers become ``{"message": ...}`` bodies, the shape observed on v1.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import gateway, oauth_routes, orders_api, tasks_api
from .listing import ApiError


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse({"message": exc.message}, status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"message": exc.detail}, status_code=exc.status_code, headers=exc.headers)


class SandboxApp(Starlette):
    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        routes = (tasks_api.routes(sandbox.world) + orders_api.routes(sandbox.world)
                  + oauth_routes.routes(sandbox.tokens))
        super().__init__(routes=routes,
                         exception_handlers={ApiError: _api_error, HTTPException: _http_error})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        await gateway.handle(self.sandbox, scope, receive, send, super().__call__)
