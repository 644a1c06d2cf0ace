"""The sandbox's data: contacts, tasks and orders, and how new ones come into being.

Each kind of data draws from its own seeded ``random.Random`` (seeded with a string, which
Python hashes with SHA-512: stable across runs and PYTHONHASHSEED), so adding a task never
changes the orders, and the same seed + the same clock start give byte-identical data.
All mutation happens under ``lock``: with ``sb.serve()`` the server thread and the test
thread both touch the data.
"""

from __future__ import annotations

import random
import threading

from .arrivals import Stream
from .order_data import make_order, make_orders
from .people import ME, make_contacts
from .task_data import in_key_order as _ordered
from .task_data import make_task, make_tasks, task_url
from .timefmt import iso


class World:
    def __init__(self, *, seed: int, clock, n_tasks: int, n_orders: int,
                 order_every: float | None, task_every: float | None, tenant: str) -> None:
        self.clock = clock
        self.tenant = tenant
        self.lock = threading.RLock()
        self.start = clock.now()
        self.contacts = make_contacts(random.Random(f"{seed}:contacts"))
        self.contacts_by_id = {c["id"]: c for c in self.contacts}
        self.tasks = make_tasks(random.Random(f"{seed}:tasks"), n_tasks, self.start,
                                self.contacts, tenant)
        self.orders = make_orders(random.Random(f"{seed}:orders"), n_orders, self.start,
                                  self.contacts)
        self._next_task_id = max(self.tasks, default=1000) + 1
        self._next_order_id = max(self.orders, default=5000) + 1
        self._elsewhere = random.Random(f"{seed}:elsewhere")
        self._order_rng = random.Random(f"{seed}:order-arrivals")
        self._task_rng = random.Random(f"{seed}:task-arrivals")
        self.order_stream = Stream(random.Random(f"{seed}:order-times"), self.start,
                                   order_every, tie_chance=0.2)
        self.task_stream = Stream(random.Random(f"{seed}:task-times"), self.start, task_every)

    # --- ids --------------------------------------------------------------------------
    def new_task_id(self) -> int:
        with self.lock:
            self._next_task_id += 1
            return self._next_task_id - 1

    def new_order_id(self) -> int:
        with self.lock:
            self._next_order_id += 1
            return self._next_order_id - 1

    # --- arrivals -----------------------------------------------------------------------
    def materialize(self) -> None:
        """Create every scheduled arrival that is due by now (see arrivals.py)."""
        now = self.clock.now()
        with self.lock:
            for stamp in self.order_stream.due(now):
                self._put_order(make_order(self._order_rng, self.new_order_id(), stamp, stamp,
                                           self.contacts))
            for stamp in self.task_stream.due(now):
                self._put_task(make_task(self._task_rng, self.new_task_id(), stamp,
                                         self.contacts, self.tenant, created=stamp))

    # --- created "elsewhere" (another Keap user, a checkout form) ----------------------
    def add_order(self, **overrides) -> dict:
        with self.lock:
            self.materialize()
            now = self.clock.now()
            order = make_order(self._elsewhere, self.new_order_id(), now, now, self.contacts)
            order.update(overrides)
            return self._put_order(order)

    def add_task(self, **overrides) -> dict:
        with self.lock:
            self.materialize()
            now = self.clock.now()
            task = make_task(self._elsewhere, self.new_task_id(), now, self.contacts,
                             self.tenant, created=now)
            task.update(overrides)
            task["url"] = task_url(task["id"], self.tenant)
            return self._put_task(task)

    # --- created through the API --------------------------------------------------------
    def create_task(self, fields: dict) -> dict:
        """POST /tasks: ``fields`` already validated (task_input.read_task_fields)."""
        with self.lock:
            stamp = iso(self.clock.now())
            task_id = self.new_task_id()
            task = {"id": task_id, "completed": False, "user_id": ME}
            task.update(fields)
            task.update(creation_date=stamp, modification_date=stamp,
                        url=task_url(task_id, self.tenant))
            if task["completed"]:
                task["completion_date"] = stamp
            return self._put_task(_ordered(task))

    def update_task(self, task: dict, fields: dict, replace: bool) -> dict:
        """PATCH (only ``fields`` change) or PUT (``fields`` replace the writable part)."""
        with self.lock:
            stamp = iso(self.clock.now())
            was_completed = task.get("completed", False)
            if replace:
                kept = {k: task[k] for k in ("id", "creation_date", "url", "user_id",
                                              "completion_date") if k in task}
                new = {"completed": False, **kept, **fields}
            else:
                new = {**task, **fields}
            new["modification_date"] = stamp
            if new.get("completed") and not was_completed:
                new["completion_date"] = stamp
            elif not new.get("completed"):
                new.pop("completion_date", None)
            return self._put_task(_ordered(new))

    def _put_task(self, task: dict) -> dict:
        self.tasks[task["id"]] = task
        return task

    def _put_order(self, order: dict) -> dict:
        self.orders[order["id"]] = order
        return order

