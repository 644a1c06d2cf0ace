"""Keap REST v1 tasks and orders, decoded from JSON into typed structs.

Decoding is tolerant of missing, null and unknown fields (Keap adds fields and leaves many
out) and strict about wrong types: a title that is a number raises `DecodeError` naming the
field (`$.tasks[3].title`), never a KeyError deep inside the UI. msgspec does the work in C,
which matters when a sync brings 100,000 orders.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, TypeVar

import msgspec

from infusion_tui.keap.errors import BadResponse

# gc=False: these structs never form reference cycles, and 100k of them are cheaper untracked.
_STRUCT = dict(kw_only=True, gc=False, omit_defaults=True)


class DecodeError(BadResponse):
    """Keap's JSON did not have the shape the API promises."""


# Keap's task types as the Power Automate connector offers them; Keap also accepts free text.
TASK_TYPES = ("Call", "Email", "Appointment", "Fax", "Letter", "Other")


class BasicContact(msgspec.Struct, **_STRUCT):
    id: int | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Task(msgspec.Struct, **_STRUCT):
    id: int
    title: str | None = None
    description: str | None = None
    type: str | None = None
    priority: int | None = None
    completed: bool | None = None
    completion_date: datetime | None = None
    creation_date: datetime | None = None
    modification_date: datetime | None = None
    due_date: datetime | None = None
    remind_time: int | None = None
    user_id: int | None = None
    contact: BasicContact | None = None
    funnel_id: int | None = None
    jgraph_id: int | None = None
    url: str | None = None

    @property
    def is_completed(self) -> bool:
        return bool(self.completed)


class TaskList(msgspec.Struct, **_STRUCT):
    tasks: list[Task] = []
    count: int | None = None
    next: str | None = None
    previous: str | None = None
    sync_token: str | None = None


class OrderContact(msgspec.Struct, **_STRUCT):
    id: int | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    job_title: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class ShippingInformation(msgspec.Struct, **_STRUCT):
    id: int | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    phone: str | None = None
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    invoiceToCompany: bool | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    def address_lines(self) -> list[str]:
        """The address as it would be written on a parcel, blank parts left out."""
        city_line = " ".join(p for p in (self.city, self.state, self.zip) if p)
        parts = [self.name, self.company, self.street1, self.street2, city_line, self.country]
        return [p for p in parts if p]


class PaymentGateway(msgspec.Struct, **_STRUCT):
    merchant_account_id: int | None = None
    merchant_account_name: str | None = None
    use_default: bool | None = None


class PaymentPlan(msgspec.Struct, **_STRUCT):
    auto_charge: bool | None = None
    credit_card_id: int | None = None
    days_between_payments: int | None = None
    days_between_retries: int | None = None
    initial_payment_amount: float | None = None
    initial_payment_date: str | None = None
    initial_payment_percent: float | None = None
    max_charge_attempts: int | None = None
    number_of_payments: int | None = None
    payment_gateway: PaymentGateway | None = None
    payment_method_id: str | None = None
    plan_start_date: str | None = None


class Product(msgspec.Struct, **_STRUCT):
    id: int | None = None
    name: str | None = None
    sku: str | None = None
    description: str | None = None
    shippable: bool | None = None
    taxable: bool | None = None


class SubscriptionPlan(msgspec.Struct, **_STRUCT):
    id: int | None = None
    active: bool | None = None
    cycle: int | str | None = None
    frequency: int | str | None = None
    number_of_cycles: int | str | None = None
    subscription_plan_index: int | None = None
    plan_price: float | None = None
    prorate: bool | None = None
    subscription_plan_name: str | None = None


class OrderItem(msgspec.Struct, **_STRUCT):
    id: int | None = None
    name: str | None = None
    description: str | None = None
    notes: str | None = None
    type: str | None = None
    quantity: int | None = None
    price: float | None = None
    cost: float | None = None
    discount: float | None = None
    specialAmount: float | None = None
    specialId: int | None = None
    specialPctOrAmt: int | None = None
    jobRecurringId: int | None = None
    product: Product | None = None
    subscriptionPlan: SubscriptionPlan | None = None


class Order(msgspec.Struct, **_STRUCT):
    """EcommerceReportingOrder: what GET /orders and GET /orders/{id} return."""

    id: int
    title: str | None = None
    status: str | None = None
    notes: str | None = None
    terms: str | None = None
    order_type: str | None = None
    source_type: str | None = None
    contact_id: str | int | None = None  # a string in the spec (sic)
    product_id: str | int | None = None
    creation_date: datetime | None = None
    modification_date: datetime | None = None
    order_date: datetime | None = None
    invoice_number: int | None = None
    lead_affiliate_id: int | None = None
    sales_affiliate_id: int | None = None
    total: float | None = None
    total_due: float | None = None
    total_paid: float | None = None
    refund_total: float | None = None
    allow_payment: bool | None = None
    allow_paypal: bool | None = None
    recurring: bool | None = None
    contact: OrderContact | None = None
    shipping_information: ShippingInformation | None = None
    payment_plan: PaymentPlan | None = None
    order_items: list[OrderItem] = []


class OrderList(msgspec.Struct, **_STRUCT):
    orders: list[Order] = []
    count: int | None = None
    next: str | None = None
    previous: str | None = None


class TaskDraft(msgspec.Struct, kw_only=True):
    """What a user sends: the task form's result. `due_date` is aware (any zone); sent as UTC."""

    title: str
    description: str | None = None
    type: str | None = None
    priority: int | None = None
    due_date: datetime | None = None
    completed: bool | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON body for POST /tasks: only what the user gave."""
        body: dict[str, Any] = {"title": self.title}
        for name in ("description", "type", "priority", "completed"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.due_date is not None:
            body["due_date"] = format_keap_datetime(self.due_date)
        return body

    def changes_from(self, task: Task) -> dict[str, Any]:
        """The PATCH body that turns `task` into this draft: only the fields that changed.

        A field cleared in the form (None or "") is sent as null only if the task had a value.
        """
        changes: dict[str, Any] = {}
        for name in ("title", "description", "type", "priority", "completed"):
            new, old = getattr(self, name), getattr(task, name)
            if name == "completed":
                new, old = bool(new), bool(old)
            elif new == "":
                new = None
            if new != old and not (new is None and old in (None, "")):
                changes[name] = new
        if not _same_instant(self.due_date, task.due_date):
            changes["due_date"] = format_keap_datetime(self.due_date) if self.due_date else None
        return changes

    @classmethod
    def from_task(cls, task: Task) -> "TaskDraft":
        return cls(
            title=task.title or "",
            description=task.description,
            type=task.type,
            priority=task.priority,
            due_date=task.due_date,
            completed=task.completed,
        )


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return _as_utc(a) == _as_utc(b)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:  # naive means the user's local time
        value = value.astimezone()
    return value.astimezone(timezone.utc)


def format_keap_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, as Keap documents (`2014-06-17T17:12:52.000Z`)."""
    utc = _as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


T = TypeVar("T")

_decoders: dict[Any, msgspec.json.Decoder] = {}


def decode(data: bytes | str, type_: type[T]) -> T:
    """Decode Keap JSON into `type_`, turning any mismatch into a DecodeError naming the field."""
    decoder = _decoders.get(type_)
    if decoder is None:
        decoder = _decoders[type_] = msgspec.json.Decoder(type_)
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise DecodeError(f"Keap sent data we could not read: {exc}") from None
    except msgspec.DecodeError:
        raise DecodeError("Keap sent a response that is not valid JSON.") from None
    except RecursionError:
        raise DecodeError("Keap sent a response nested too deeply to read.") from None
