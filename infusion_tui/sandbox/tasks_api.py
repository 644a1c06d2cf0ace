"""``/crm/rest/v1/tasks``: list, search, get, create (200, not 201), PATCH, PUT, DELETE (204).

Choices where the contract is silent:
- ``since``/``until`` filter on ``modification_date`` (inclusive at both ends), so a poller
  sees edits as well as new tasks.
- ``/tasks/search`` is "tasks of the current user": the same list restricted to the user
  the credential belongs to (every sandbox credential is user 1).
- Default order is by id ascending. ``order`` takes id, title, priority, due_date,
  creation_date, modification_date or completion_date, with a leading ``-`` for
  descending (``order=-due_date``, as the PA connector sends). Tasks without the field go
  last either way; ties are by id. Any other value is a 400.
- ``sync_token`` is an opaque digest of the current task set (Keap documents no use for it).
- A non-integer task id is a 400; an unknown one a 404.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .listing import ApiError, bool_param, date_param, envelope, int_param, page_params, sort_by
from .task_input import json_body, read_task_fields, require_title
from .world import World

ORDER_FIELDS = {"id", "title", "priority", "due_date", "creation_date", "modification_date",
                "completion_date"}


def _task_id(request: Request) -> int:
    raw = request.path_params["task_id"]
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid task id {raw!r}: expected an integer") from None


def _sync_token(tasks: list[dict]) -> str:
    stamp = max((t.get("modification_date", "") for t in tasks), default="")
    return hashlib.sha1(f"{len(tasks)}|{stamp}".encode()).hexdigest()[:20]


def routes(world: World) -> list[Route]:
    def find(task_id: int) -> dict:
        task = world.tasks.get(task_id)
        if task is None:
            raise ApiError(404, f"Task with id {task_id} was not found")
        return task

    def listing(request: Request, only_user: int | None) -> Response:
        limit, offset = page_params(request)
        completed = bool_param(request, "completed")
        has_due = bool_param(request, "has_due_date")
        contact_id = int_param(request, "contact_id")
        user_id = int_param(request, "user_id")
        since, until = date_param(request, "since"), date_param(request, "until")
        order = request.query_params.get("order") or "id"
        field = order.removeprefix("-")
        if field not in ORDER_FIELDS:
            raise ApiError(400, f"Invalid value {order!r} for parameter 'order': expected one of "
                                f"{sorted(ORDER_FIELDS)}, optionally prefixed with '-'")
        with world.lock:
            everything = list(world.tasks.values())
        hits = [
            t for t in everything
            if (completed is None or t.get("completed", False) == completed)
            and (has_due is None or ("due_date" in t) == has_due)
            and (contact_id is None or t.get("contact", {}).get("id") == contact_id)
            and (user_id is None or t.get("user_id") == user_id)
            and (only_user is None or t.get("user_id") == only_user)
            and (since is None or t["modification_date"] >= since)
            and (until is None or t["modification_date"] <= until)
        ]
        hits = sort_by(hits, field, order.startswith("-"))
        body = envelope(request, "tasks", hits, limit, offset)
        body["sync_token"] = _sync_token(everything)
        return JSONResponse(body)

    async def list_tasks(request: Request) -> Response:
        return listing(request, None)

    async def search_tasks(request: Request) -> Response:
        return listing(request, request.scope["sandbox.identity"].user_id)

    async def create(request: Request) -> Response:
        body = await json_body(request)
        fields = read_task_fields(body, world.contacts_by_id)
        require_title(fields)
        return JSONResponse(world.create_task(fields))

    async def get(request: Request) -> Response:
        return JSONResponse(find(_task_id(request)))

    async def patch(request: Request) -> Response:
        task = find(_task_id(request))
        fields = read_task_fields(await json_body(request), world.contacts_by_id)
        return JSONResponse(world.update_task(task, fields, replace=False))

    async def put(request: Request) -> Response:
        task = find(_task_id(request))
        fields = read_task_fields(await json_body(request), world.contacts_by_id)
        require_title(fields)
        return JSONResponse(world.update_task(task, fields, replace=True))

    async def delete(request: Request) -> Response:
        task_id = _task_id(request)
        with world.lock:
            find(task_id)
            del world.tasks[task_id]
        return Response(status_code=204)

    base = "/crm/rest/v1/tasks"
    return [
        Route(base, list_tasks, methods=["GET"]),
        Route(base, create, methods=["POST"]),
        Route(f"{base}/search", search_tasks, methods=["GET"]),
        Route(base + "/{task_id}", get, methods=["GET"]),
        Route(base + "/{task_id}", patch, methods=["PATCH"]),
        Route(base + "/{task_id}", put, methods=["PUT"]),
        Route(base + "/{task_id}", delete, methods=["DELETE"]),
    ]
