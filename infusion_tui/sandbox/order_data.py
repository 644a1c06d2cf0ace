"""Seeded demo orders, shaped exactly like Keap v1 ``EcommerceReportingOrder``.

Money is consistent: ``total`` is the sum of ``quantity * price - discount`` over the
items, ``total_paid + total_due == total``. ``contact_id`` and ``product_id`` are strings
(as the v1 spec says, sic). ``product_id`` is the first item's product. Absent optional
objects (``payment_plan``, item ``subscriptionPlan``) are omitted rather than null.
"""

from __future__ import annotations

import random

from .people import PRODUCTS, order_contact
from .timefmt import iso

DAY = 86400.0
STATUSES = ["PAID"] * 6 + ["SENT"] * 2 + ["VIEWED", "DRAFT"]
SOURCES = ["CHECKOUT_FORM"] * 4 + ["INVOICE"] * 2 + ["API", "MANUAL_PAYMENT", "UNKNOWN"]
NOTES = ["", "", "", "Gift — please include a card.", "Leave at the back door.", "Rush order"]
TITLES = ["Shopping Cart Order", "Online Order", "{product}", "Invoice for {first} {last}"]


def _item(rng: random.Random, item_id: int, product: tuple) -> dict:
    pid, name, sku, price, shippable, subscription = product
    quantity = 1 if subscription else rng.choice([1, 1, 1, 2, 3])
    discount = round(price * quantity * 0.1, 2) if rng.random() < 0.15 else 0.0
    item = {
        "id": item_id,
        "name": name,
        "description": f"{name} ({sku})",
        "notes": "",
        "type": "Subscription" if subscription else ("Shipping" if sku == "SHIP" else "Product"),
        "quantity": quantity,
        "price": price,
        "cost": round(price * 0.4, 2),
        "discount": discount,
        "specialAmount": 0.0,
        "specialId": 0,
        "specialPctOrAmt": 0,
        "jobRecurringId": 0,
        "product": {
            "id": pid, "name": name, "sku": sku, "description": f"{name}.",
            "shippable": shippable, "taxable": shippable,
        },
    }
    if subscription:
        yearly = sku.endswith("Y")
        item["subscriptionPlan"] = {
            "id": pid * 10, "active": True, "cycle": 1 if yearly else 2, "frequency": 1,
            "number_of_cycles": 0, "plan_price": price, "prorate": False,
            "subscription_plan_index": 0,
            "subscription_plan_name": "Yearly" if yearly else "Monthly",
        }
    return item


def make_order(rng: random.Random, order_id: int, created: float, now: float,
               contacts: list[dict]) -> dict:
    contact = rng.choice(contacts)
    products = rng.sample(PRODUCTS, rng.randint(1, 4))
    items = [_item(rng, order_id * 10 + n, p) for n, p in enumerate(products)]
    total = round(sum(i["quantity"] * i["price"] - i["discount"] for i in items), 2)
    status = rng.choice(STATUSES)
    paid = total if status == "PAID" else (round(total / 2, 2) if rng.random() < 0.1 else 0.0)
    modified = min(now, created + rng.choice([0.0, 0.0, rng.uniform(0, 2 * DAY)]))
    title = rng.choice(TITLES).format(
        product=products[0][1], first=contact["first_name"], last=contact["last_name"])
    order = {
        "id": order_id,
        "title": title,
        "status": status,
        "notes": rng.choice(NOTES),
        "terms": rng.choice(["", "Net 30", "Due on receipt"]),
        "order_type": rng.choice(["Online", "Online", "Offline"]),
        "source_type": rng.choice(SOURCES),
        "contact_id": str(contact["id"]),
        "product_id": str(products[0][0]),
        "creation_date": iso(created),
        "modification_date": iso(modified),
        "order_date": iso(created),
        "invoice_number": 20000 + order_id,
        "lead_affiliate_id": 0,
        "sales_affiliate_id": 0,
        "total": total,
        "total_due": round(total - paid, 2),
        "total_paid": paid,
        "refund_total": 0.0,
        "allow_payment": status != "PAID",
        "allow_paypal": rng.random() < 0.3,
        "recurring": any("subscriptionPlan" in i for i in items),
        "contact": order_contact(contact),
        "shipping_information": {
            "id": order_id + 500000,
            "first_name": contact["first_name"],
            "middle_name": "",
            "last_name": contact["last_name"],
            "company": contact["company_name"],
            "phone": contact["phone"],
            "street1": contact["street1"],
            "street2": contact["street2"],
            "city": contact["city"],
            "state": contact["state"],
            "zip": contact["zip"],
            "country": contact["country"],
            "invoiceToCompany": bool(contact["company_name"]) and rng.random() < 0.3,
        },
        "order_items": items,
    }
    if rng.random() < 0.12:
        payments = rng.choice([2, 3, 6])
        order["payment_plan"] = {
            "auto_charge": True, "credit_card_id": rng.randrange(1, 500),
            "days_between_payments": 30, "days_between_retries": 3,
            "initial_payment_amount": round(total / payments, 2),
            "initial_payment_date": iso(created)[:10], "initial_payment_percent": 0.0,
            "max_charge_attempts": 3, "number_of_payments": payments,
            "payment_gateway": {"merchant_account_id": 1, "merchant_account_name": "Sandbox Payments",
                                "use_default": True},
            "payment_method_id": "", "plan_start_date": iso(created)[:10],
        }
    return order


def make_orders(rng: random.Random, count: int, now: float, contacts: list[dict],
                first_id: int = 5001) -> dict[int, dict]:
    """``count`` orders over the previous ~30 days; ids ascend with creation_date.

    About one in twenty shares its creation_date, to the millisecond, with the one before:
    pollers that use ``since`` must de-duplicate by id, not by date.
    """
    stamps: list[float] = []
    for ts in sorted(now - rng.uniform(60.0, 30 * DAY) for _ in range(count)):
        stamps.append(stamps[-1] if stamps and rng.random() < 0.05 else ts)
    return {first_id + n: make_order(rng, first_id + n, ts, now, contacts)
            for n, ts in enumerate(stamps)}
