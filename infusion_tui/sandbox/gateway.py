"""What stands in front of the API, as Apigee does for Keap: record, auth, quota, faults.

Order of events for every HTTP request:
1. record it (``sb.requests``), materialize due arrivals;
2. for API paths (everything except ``/token`` and ``/app/oauth/*``): ``expire_token``
   faults, then auth — BEFORE routing, so an unknown path without credentials is a 401 —
   then the quota (429 without consuming budget);
3. the remaining faults: waits first, then at most one terminal fault answers instead of
   the API (a ``429`` fault consumes no budget; the others do: the request reached Keap);
4. the API itself (Starlette routes), with a trailing slash stripped (``/tasks/`` works).

Every answer carries ``x-request-id``; authenticated API answers also carry the
``x-keap-*`` quota headers. 401s carry no quota headers (no credential to meter).
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from http import HTTPStatus

from starlette.responses import JSONResponse, Response

from .faults import TERMINAL, WAITS, ConnectionDropped, Fault
from .quota import THROTTLE_BODY
from .recording import is_api_path, make_record
from .tokens import Identity

INVALID_TOKEN = {"fault": {"faultstring": "Invalid Access Token",
                           "detail": {"errorcode": "keymanagement.service.invalid_access_token"}}}
EXPIRED_TOKEN = {"fault": {"faultstring": "Access Token expired",
                           "detail": {"errorcode": "keymanagement.service.access_token_expired"}}}
LIST_PATHS = {"/crm/rest/v1/tasks": "tasks", "/crm/rest/v1/tasks/search": "tasks",
              "/crm/rest/v1/orders": "orders"}


async def _read_body(receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive):
    """A receive() that hands the already-read body to the app once, then defers."""
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def authenticate(tokens, headers: dict[str, str]) -> Identity | str:
    """An Identity, or ``"invalid"`` / ``"expired"``."""
    key = headers.get("x-keap-api-key")
    if key:
        identity = tokens.identify_key(key)
        if identity is not None:
            return identity
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return tokens.identify_bearer(token.strip())
    return "invalid"


def _retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(math.ceil(seconds))


def fault_response(fault: Fault, path: str) -> Response:
    if fault.kind == "status":
        status = fault.status or 500
        return JSONResponse({"message": HTTPStatus(status).phrase}, status_code=status)
    if fault.kind == "429":
        headers = {} if fault.retry_after is None else {"retry-after": _retry_after(fault.retry_after)}
        return JSONResponse(THROTTLE_BODY, status_code=429, headers=headers)
    if fault.kind == "malformed":
        return Response(b'{"tasks": [{"id": 1001, "title": "Call <html>', status_code=fault.status or 200,
                        media_type="application/json")
    # wrong_shape: the right key holding the wrong thing on lists, an array where an object goes
    key = LIST_PATHS.get(path)
    shape = {key: "nope", "count": "many"} if key else ["not", "an", "object"]
    return Response(json.dumps(shape).encode(), status_code=fault.status or 200,
                    media_type="application/json")


async def _drop(send, receive) -> None:
    """Close the connection without a response (uvicorn), else raise (ASGITransport)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise ConnectionDropped()
    transport.close()
    try:  # wait until uvicorn notices, so it does not write a 500 of its own
        while (await asyncio.wait_for(receive(), 5.0))["type"] != "http.disconnect":
            pass
    except asyncio.TimeoutError:
        pass


async def handle(sb, scope, receive, send, inner) -> None:
    raw = await _read_body(receive)
    now = sb.clock.now()
    record = make_record(scope, raw, now)
    sb.requests.append(record)
    sb.world.materialize()
    path = scope["path"].rstrip("/") or "/"
    method = scope["method"]
    extra = {"x-request-id": str(uuid.uuid4())}

    async def send_marked(message) -> None:
        if message["type"] == "http.response.start":
            record.status = message["status"]
            message = dict(message)
            message["headers"] = list(message.get("headers", [])) + [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
        await send(message)

    async def answer(response: Response) -> None:
        await response(scope, _replay(raw, receive), send_marked)

    identity = None
    if is_api_path(path):
        if sb.faults.take(path, method, {"expire_token"}):
            sb.tokens.expire_access_tokens()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        identity = authenticate(sb.tokens, headers)
        if not isinstance(identity, Identity):
            body = EXPIRED_TOKEN if identity == "expired" else INVALID_TOKEN
            return await answer(JSONResponse(body, status_code=401))
        record.credential = identity.kind
        decision = sb.quota.check(identity.credential, now)
        if not decision.ok:
            extra.update(decision.headers)
            if decision.retry_after is not None:
                extra["retry-after"] = str(decision.retry_after)
            return await answer(JSONResponse(THROTTLE_BODY, status_code=429))
    faults = sb.faults.take(path, method, WAITS | TERMINAL)
    terminal = next((f for f in faults if f.kind in TERMINAL), None)
    if identity is not None:
        throttled = terminal is not None and terminal.kind == "429"
        extra.update(decision.headers if throttled else sb.quota.consume(identity.credential, now))
    for fault in faults:
        if fault.kind == "latency":
            await sb.clock.sleep(fault.delay)
        elif fault.kind == "timeout":
            await asyncio.sleep(fault.delay)  # real time, on purpose: the client's timeout fires
    if terminal is not None:
        record.fault = terminal.kind
        if terminal.kind == "drop":
            return await _drop(send, receive)
        return await answer(fault_response(terminal, path))
    inner_scope = dict(scope, path=path, raw_path=path.encode())
    inner_scope["sandbox.identity"] = identity
    await inner(inner_scope, _replay(raw, receive), send_marked)
