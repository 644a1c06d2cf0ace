"""``GET /app/oauth/authorize`` (approves at once) and ``POST /token``.

On real Keap these live on two hosts (accounts.infusionsoft.com and api.infusionsoft.com);
here both share the sandbox origin. Neither is metered nor needs auth, and the token
endpoint only takes ``application/x-www-form-urlencoded`` (a JSON body is a client bug:
400 ``invalid_request``). Client credentials may come in ``Authorization: Basic`` or in
the body, for both grants; wrong ones give Keap's 401 ``invalid_grant`` body.
"""

from __future__ import annotations

import base64
import binascii
from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .tokens import TokenError, Tokens

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _bad_page(reason: str) -> Response:
    page = f"<html><body><h1>Invalid request</h1><p>{escape(reason)}</p></body></html>"
    return HTMLResponse(page, status_code=400)


def _basic_credentials(header: str) -> tuple[str | None, str | None]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else (None, None)


def routes(tokens: Tokens) -> list[Route]:
    async def authorize(request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        if q.get("client_id") != tokens.client_id:
            return _bad_page("Unknown client_id.")
        if q.get("response_type") != "code":
            return _bad_page("response_type must be 'code'.")
        if q.get("scope", "full") != "full":
            return _bad_page("scope must be 'full'.")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return _bad_page("redirect_uri must be an absolute http(s) URL.")
        params = {"code": tokens.new_code(redirect_uri), "scope": tokens.scope}
        if "state" in q:
            params["state"] = q["state"]
        joiner = "&" if parts.query else "?"
        return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(params)}", status_code=302)

    async def token(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            err = TokenError(400, "invalid_request",
                             "Content-Type must be application/x-www-form-urlencoded")
            return JSONResponse(err.body(), status_code=400, headers=NO_STORE)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"),
                              keep_blank_values=True))
        client_id, secret = _basic_credentials(request.headers.get("authorization", ""))
        if client_id is None:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        grant = form.get("grant_type")
        try:
            if grant == "authorization_code":
                tokens.check_client(client_id, secret)
                body = tokens.exchange_code(form.get("code"), form.get("redirect_uri"))
            elif grant == "refresh_token":
                tokens.check_client(client_id, secret)
                body = tokens.use_refresh_token(form.get("refresh_token"))
            else:
                raise TokenError(400, "unsupported_grant_type",
                                 f"Unsupported grant_type {grant!r}")
        except TokenError as err:
            return JSONResponse(err.body(), status_code=err.status, headers=NO_STORE)
        return JSONResponse(body, headers=NO_STORE)

    return [
        Route("/app/oauth/authorize", authorize, methods=["GET"]),
        Route("/token", token, methods=["POST"]),
    ]
