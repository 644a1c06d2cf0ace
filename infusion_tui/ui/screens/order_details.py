"""The order details modal: contact, shipping address, items, totals, status and dates.

Everything shown comes from the server, so every piece goes through `literal()` and is built
as `Text`, never parsed as markup.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from infusion_tui.display import money, when
from infusion_tui.ui.actions import bindings_for
from infusion_tui.keap.models import Order
from infusion_tui.text_safety import literal


def _t(value: object, style: str = "") -> Text:
    return Text(literal("" if value is None else str(value)), style=style)


def _section(title: str) -> Text:
    return Text(title, style="bold underline")


def order_renderable(order: Order, now: datetime) -> Group:
    contact = order.contact
    ship = order.shipping_information
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", justify="right")
    facts.add_column()
    facts.add_row("Order", _t(f"#{order.id}  {order.title or ''}"))
    facts.add_row("Status", _t(order.status or "—"))
    facts.add_row("Created", _t(when(order.creation_date, now)))
    if order.order_date:
        facts.add_row("Order date", _t(when(order.order_date, now)))
    if order.modification_date:
        facts.add_row("Modified", _t(when(order.modification_date, now)))
    facts.add_row("Type / source", _t(f"{order.order_type or '—'} / {order.source_type or '—'}"))
    if order.invoice_number is not None:
        facts.add_row("Invoice", _t(order.invoice_number))

    who = Table.grid(padding=(0, 2))
    who.add_column(style="bold", justify="right")
    who.add_column()
    if contact:
        who.add_row("Name", _t(contact.name or "—"))
        who.add_row("Company", _t(contact.company_name or "—"))
        who.add_row("Email", _t(contact.email or "—"))
        if contact.job_title:
            who.add_row("Job title", _t(contact.job_title))
    else:
        who.add_row("", _t("No contact on this order"))

    address = Text("\n").join(_t(line) for line in ship.address_lines()) if ship else Text("—")
    if ship and ship.phone:
        address.append("\n")
        address.append_text(_t(f"☎ {ship.phone}"))

    items = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
    items.add_column("Item")
    items.add_column("Qty", justify="right")
    items.add_column("Price", justify="right")
    items.add_column("Line", justify="right")
    for item in order.order_items:
        qty = item.quantity or 0
        price = item.price or 0.0
        items.add_row(_t(item.name or (item.product.name if item.product else "—")), _t(qty), money(price), money(qty * price))
    if not order.order_items:
        items.add_row(_t("No items"), "", "", "")

    totals = Table.grid(padding=(0, 2))
    totals.add_column(style="bold", justify="right")
    totals.add_column(justify="right")
    totals.add_row("Total", money(order.total))
    totals.add_row("Paid", money(order.total_paid))
    totals.add_row("Due", money(order.total_due))
    if order.refund_total:
        totals.add_row("Refunded", money(order.refund_total))

    parts: list = [facts, Text(""), _section("Contact"), who, Text(""), _section("Ship to"), address,
                   Text(""), _section("Items"), items, Text(""), _section("Totals"), totals]
    if order.notes:
        parts += [Text(""), _section("Notes"), _t(order.notes)]
    return Group(*parts)


class OrderDetails(ModalScreen[None]):
    DEFAULT_CSS = """
    OrderDetails { align: center middle; }
    OrderDetails > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 95%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = bindings_for("details")  # the help screen lists the same keys

    def __init__(self, order: Order, now: datetime) -> None:
        super().__init__()
        self.order = order
        self.now = now

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"Order #{self.order.id}"
            scroll.border_subtitle = "esc closes"
            yield Static(order_renderable(self.order, self.now), id="order-body")
