"""Seeded demo tasks, shaped exactly like Keap v1 ``Task``.

Absent values are *omitted*, never ``null``: the v1 spec declares no nullable fields, and
Keap's Java serializer most plausibly leaves nulls out. So a task without a due date has no
``due_date`` key, an open task has no ``completion_date``, and so on.
"""

from __future__ import annotations

import random

from .people import ME, basic_contact
from .timefmt import iso

TYPES = ["Call", "Email", "Appointment", "Fax", "Letter", "Other"]
CUSTOM_TYPES = ["Follow-up Visit", "Quote Review"]  # Keap lets accounts add their own
REMIND_MINUTES = [5, 10, 15, 30, 60, 120, 240, 480, 1440, 2880]

TITLES = {
    "Call": ["Call {first} about renewal", "Follow-up call with {first} {last}", "Call back re: quote #{n}"],
    "Email": ["Email {first} the proposal", "Send onboarding email to {company}",
              "Reply to {first}'s question"],
    "Appointment": ["Meet {first} at {company}", "Product demo for {company}", "Coffee with {first} {last}"],
    "Fax": ["Fax signed contract to {company}"],
    "Letter": ["Mail thank-you letter to {first}", "Send welcome pack to {first} {last}"],
    "Other": ["Update notes for {first} {last}", "Prepare invoice for {company}",
              "Check payment from {first}"],
    "Follow-up Visit": ["Site visit: {company}"],
    "Quote Review": ["Review quote #{n} with {first}"],
}
DESCRIPTIONS = [
    "",
    "Asked about pricing for the annual plan.",
    "Left a voicemail last week; try the office line.",
    "Bring the updated brochure.\nMention the spring discount.",
    "They want a callback before noon (their time).",
    "Renewal is due next month — confirm the billing contact.",
]

# Fixed positions for the two "hostile text" tasks, so the demo's first screen shows them.
MARKUP_AT = 2
ANSI_AT = 5
MARKUP_TITLE = "[bold red]Call back[/] Renée — re: invoice [#42]"
ANSI_DESCRIPTION = "\x1b[31mURGENT\x1b[0m wire transfer bounced; ask for new details."

DAY = 86400.0
KEY_ORDER = ["id", "title", "description", "type", "priority", "completed", "completion_date",
             "creation_date", "modification_date", "due_date", "remind_time", "user_id",
             "contact", "funnel_id", "jgraph_id", "url"]


def in_key_order(task: dict) -> dict:
    """One key order for every task, whatever made it, so served JSON always looks alike."""
    return {k: task[k] for k in KEY_ORDER if k in task}


def task_url(task_id: int, tenant: str) -> str:
    return f"https://{tenant}/Task/manageTask.jsp?view=edit&ID={task_id}"


def make_task(rng: random.Random, task_id: int, now: float, contacts: list[dict],
              tenant: str, created: float | None = None) -> dict:
    """One plausible task. ``created`` pins creation_date (arrivals); else it is in the past."""
    kind = rng.choice(TYPES * 3 + CUSTOM_TYPES)
    contact = rng.choice(contacts) if rng.random() < 0.85 else None
    fill = {
        "first": contact["first_name"] if contact else "the client",
        "last": contact["last_name"] if contact else "",
        "company": (contact or {}).get("company_name") or "their team",
        "n": rng.randrange(1000, 9999),
    }
    title = rng.choice(TITLES[kind]).format(**fill).replace("  ", " ").strip()
    fresh = created is not None  # just created "elsewhere": open, never modified since
    if created is None:
        created = now - rng.uniform(0.5 * DAY, 45 * DAY)
    modified = created if fresh else min(now, created + rng.choice([0.0, 0.0, rng.uniform(0, 5 * DAY)]))
    task: dict = {
        "id": task_id,
        "title": title,
        "description": rng.choice(DESCRIPTIONS),
        "type": kind,
        "priority": rng.choice([1, 1, 2, 2, 2, 3]),
        "completed": False,
        "creation_date": iso(created),
        "modification_date": iso(modified),
        "user_id": rng.choice([ME, ME, ME, 3, 5]),
        "url": task_url(task_id, tenant),
    }
    roll = rng.random()
    if roll < 0.85:  # due on a quarter hour, from two weeks ago to three weeks ahead
        due = now + rng.uniform(-14 * DAY, 21 * DAY)
        task["due_date"] = iso(due - due % 900)
        if rng.random() < 0.4:
            task["remind_time"] = rng.choice(REMIND_MINUTES)
    if rng.random() < 0.25 and not fresh:
        task["completed"] = True
        task["completion_date"] = task["modification_date"]
    if contact is not None:
        task["contact"] = basic_contact(contact)
    if rng.random() < 0.2:  # created by an automation (campaign)
        task["funnel_id"] = rng.randrange(10, 99)
        task["jgraph_id"] = rng.randrange(100, 999)
    return in_key_order(task)


def make_tasks(rng: random.Random, count: int, now: float, contacts: list[dict],
               tenant: str, first_id: int = 1001) -> dict[int, dict]:
    tasks = {}
    for n in range(count):
        task = make_task(rng, first_id + n, now, contacts, tenant)
        if n == MARKUP_AT:
            task["title"] = MARKUP_TITLE
            task["contact"] = basic_contact(contacts[1])  # Renée, as the title says
            task = in_key_order(task)
        if n == ANSI_AT:
            task["description"] = ANSI_DESCRIPTION
        tasks[task["id"]] = task
    return tasks

