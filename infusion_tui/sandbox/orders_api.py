"""``/crm/rest/v1/orders``: list and get (read-only here; orders arrive "elsewhere").

Choices where the contract is silent:
- ``since``/``until`` filter on ``creation_date``, inclusive at both ends. Pollers rely on
  the inclusive ``since`` plus de-duplication by id (ties to the millisecond happen).
- Default order: ``creation_date`` ascending, then id. ``order=order_date`` and
  ``order=update_date`` (modification_date) are "most recent at the top" as the spec says:
  descending, ties by id ascending. ``order=creation_date`` names the default. Anything else
  is a 400, as are ``paid=maybe`` and non-integer ids.
- ``paid=true`` means status PAID (and so ``total_due == 0``); ``paid=false`` the rest.
- ``product_id`` matches any item's product, not just the top-level ``product_id``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .listing import ApiError, bool_param, date_param, envelope, int_param, page_params, sort_by
from .world import World

ORDERINGS = {"creation_date": ("creation_date", False), "order_date": ("order_date", True),
             "update_date": ("modification_date", True)}


def routes(world: World) -> list[Route]:
    async def list_orders(request: Request) -> Response:
        limit, offset = page_params(request)
        paid = bool_param(request, "paid")
        contact_id = int_param(request, "contact_id")
        product_id = int_param(request, "product_id")
        since, until = date_param(request, "since"), date_param(request, "until")
        order = request.query_params.get("order") or "creation_date"
        if order not in ORDERINGS:
            raise ApiError(400, f"Invalid value {order!r} for parameter 'order': expected "
                                "order_date or update_date")
        with world.lock:
            everything = list(world.orders.values())
        hits = [
            o for o in everything
            if (paid is None or (o["status"] == "PAID") == paid)
            and (contact_id is None or o["contact_id"] == str(contact_id))
            and (product_id is None
                 or any(i["product"]["id"] == product_id for i in o.get("order_items", [])))
            and (since is None or o["creation_date"] >= since)
            and (until is None or o["creation_date"] <= until)
        ]
        field, descending = ORDERINGS[order]
        return JSONResponse(envelope(request, "orders", sort_by(hits, field, descending),
                                     limit, offset))

    async def get_order(request: Request) -> Response:
        raw = request.path_params["order_id"]
        try:
            order_id = int(raw)
        except ValueError:
            raise ApiError(400, f"Invalid order id {raw!r}: expected an integer") from None
        order = world.orders.get(order_id)
        if order is None:
            raise ApiError(404, f"Order with id {order_id} was not found")
        return JSONResponse(order)

    return [
        Route("/crm/rest/v1/orders", list_orders, methods=["GET"]),
        Route("/crm/rest/v1/orders/{order_id}", get_order, methods=["GET"]),
    ]
