"""The cast of the demo: contacts (with companies and addresses), users and products.

Built once per sandbox from its seed. A handful of names are fixed on purpose, so the UI
always meets accents, CJK and right-to-left text in the first screens of the demo.
"""

from __future__ import annotations

import random
import unicodedata

# Always present, in this order, at the start of the contact list.
FIXED_NAMES = [
    ("Zoë", "Ångström"),
    ("Renée", "Dubois"),
    ("José", "Núñez"),
    ("雷", "李"),  # Li Lei: family name first in Chinese, stored as Keap would (first/last)
    ("ليلى", "حداد"),  # Layla Haddad, right-to-left
    ("Siobhán", "Ní Bhriain-O'Sullivan"),
]

FIRST_NAMES = [
    "Ava", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofia", "Lucas", "Mia", "Ethan",
    "Chloe", "Omar", "Priya", "Kenji", "Hannah", "Diego", "Grace", "Arjun", "Isla", "Felix",
]
LAST_NAMES = [
    "Carter", "Nguyen", "Patel", "Okafor", "Schmidt", "Rossi", "Kowalski", "Haddad",
    "Silva", "Murphy", "Larsen", "Tanaka", "Fischer", "O'Brien", "Novak", "Moreau",
]
COMPANIES = [
    "Acme Rockets", "Blue Fern Studio", "Northwind Traders", "Globex", "Café Lumière",
    "Initech", "Müller & Söhne GmbH", "Umbrella Health", "Summit Plumbing", "Kōbō Tea House",
    "Bright Path Coaching", "Redwood Dental", "",
]
JOB_TITLES = [
    "Owner", "Office Manager", "Marketing Lead", "CEO", "Bookkeeper", "Head Coach",
    "Operations", "Sales Director", "",
]
CITIES = [  # city, state, zip, country
    ("Phoenix", "AZ", "85004", "United States"),
    ("Austin", "TX", "78701", "United States"),
    ("Portland", "OR", "97205", "United States"),
    ("Toronto", "ON", "M5V 2T6", "Canada"),
    ("München", "BY", "80331", "Germany"),
    ("São Paulo", "SP", "01310-100", "Brazil"),
    ("London", "", "EC1A 1BB", "United Kingdom"),
    ("Sydney", "NSW", "2000", "Australia"),
]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Harbour Rd", "Königstraße", "Rua Augusta"]

USERS = {1: "Sandbox Owner", 3: "Dana Reyes", 5: "Sam Okafor"}
ME = 1  # the user every sandbox credential belongs to (PAT and OAuth alike)

PRODUCTS = [  # id, name, sku, price, shippable, subscription
    (201, "Starter Coaching Session", "COACH-1", 149.0, False, False),
    (202, "Growth Workshop Ticket", "WS-GROW", 299.0, False, False),
    (203, "Café Crème Beans 1 kg", "BEAN-CC1", 24.5, True, False),
    (204, "Branded Mug", "MUG-01", 12.0, True, False),
    (205, "Monthly Membership", "MEM-M", 39.0, False, True),
    (206, "Annual Membership", "MEM-Y", 399.0, False, True),
    (207, "Consulting Hour", "CONS-H", 180.0, False, False),
    (208, "Printed Workbook", "BOOK-WB", 35.0, True, False),
    (209, "Shipping & Handling", "SHIP", 9.95, False, False),
    (210, "Gift Card £50", "GIFT-50", 50.0, False, False),
]


def email_for(first: str, last: str, contact_id: int) -> str:
    """ASCII e-mail from a name; names with no Latin letters get a numbered address."""
    def fold(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(ch for ch in plain.lower() if ch.isalnum())

    local = ".".join(part for part in (fold(first), fold(last)) if part)
    return f"{local or f'contact{contact_id}'}@example.com"


def make_contacts(rng: random.Random, count: int = 40, first_id: int = 10001) -> list[dict]:
    """Contacts as the sandbox keeps them internally (superset of every served shape)."""
    contacts = []
    for n in range(count):
        if n < len(FIXED_NAMES):
            first, last = FIXED_NAMES[n]
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        cid = first_id + n
        city, state, zip_code, country = rng.choice(CITIES)
        contacts.append({
            "id": cid,
            "first_name": first,
            "last_name": last,
            "email": email_for(first, last, cid),
            "company_name": rng.choice(COMPANIES),
            "job_title": rng.choice(JOB_TITLES),
            "phone": f"+1 555-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
            "street1": f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}",
            "street2": rng.choice(["", "", "Suite 200", "Apt 4B"]),
            "city": city,
            "state": state,
            "zip": zip_code,
            "country": country,
        })
    return contacts


def basic_contact(contact: dict) -> dict:
    """Task.contact (BasicContact)."""
    return {k: contact[k] for k in ("id", "email", "first_name", "last_name")}


def order_contact(contact: dict) -> dict:
    """EcommerceReportingOrder.contact."""
    keys = ("id", "email", "first_name", "last_name", "company_name", "job_title")
    return {k: contact[k] for k in keys}
