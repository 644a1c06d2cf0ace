"""The local cache: one SQLite file per profile, for an instant (and offline) start.

It keeps the feeds' cursors (so orders that arrived while the app was closed show as new),
the orders as Keap returned them (decoded only when the details view asks, so 100,000 orders
cost disk, not memory), the tasks, and small facts such as when each feed last synced.
Everything here is a cache: a damaged file is set aside and rebuilt, never a reason to fail.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import msgspec

from infusion_tui.keap.models import Order, Task, decode
from infusion_tui.live.cursor import Cursor, utc

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (feed TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    creation_date REAL,          -- epoch seconds, so newest-first is a plain index scan
    title TEXT, status TEXT, total REAL, contact_name TEXT,
    json BLOB NOT NULL           -- the whole order, decoded on demand
);
CREATE INDEX IF NOT EXISTS orders_by_date ON orders (creation_date DESC, id DESC);
CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, json BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""

_encode = msgspec.json.Encoder().encode


class OrderRow(NamedTuple):
    """What the orders table shows, without decoding the order."""

    id: int
    creation_date: float | None
    title: str | None
    status: str | None
    total: float | None
    contact_name: str | None


def _epoch(value: datetime | None) -> float | None:
    return utc(value).timestamp() if value is not None else None


def _order_row(order: Order) -> tuple:
    name = order.contact.name if order.contact else None
    date = _epoch(order.creation_date)
    return (order.id, date, order.title, order.status, order.total, name or None, _encode(order))


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared across threads, serialised by a lock: sqlite3 objects are not
        # thread-safe by themselves, and the UI calls us from worker threads.
        self._lock = threading.RLock()
        try:
            self._db = self._open()
        except sqlite3.DatabaseError:
            log.warning("local cache %s is damaged; starting a fresh one", self.path)
            self.path.replace(self.path.with_name(self.path.name + ".corrupt"))
            self._db = self._open()

    @classmethod
    def for_profile(cls, data_dir: str | Path, profile: str) -> Store:
        # A profile name becomes a plain file name: no separators, no hidden or dot-dot names.
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", profile).lstrip(".") or "default"
        return cls(Path(data_dir) / f"{safe}.sqlite3")

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the poller's writes
            db.execute("PRAGMA synchronous=NORMAL")  # a cache: durability per commit is enough
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"cache from a newer version ({version})")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql_and_rows: Iterable[tuple[str, Iterable[tuple]]]) -> None:
        """Run several statements in ONE transaction: all of a poll is saved, or none."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, rows in sql_and_rows:
                    self._db.executemany(sql, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- cursors and meta ------------------------------------------------------------------

    def load_cursor(self, feed: str) -> Cursor | None:
        rows = self._read("SELECT json FROM cursors WHERE feed = ?", (feed,))
        if not rows:
            return None
        try:
            return Cursor.from_json(rows[0][0])
        except (ValueError, TypeError):  # unreadable: behave as a first start (baseline)
            log.warning("ignoring an unreadable %s cursor in %s", feed, self.path)
            return None

    def save_cursor(self, feed: str, cursor: Cursor) -> None:
        self._write([(_UPSERT_CURSOR, [(feed, cursor.to_json())])])

    def set_meta(self, key: str, value: str | None) -> None:
        self._write([(_UPSERT_META, [(key, value)])])

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def last_sync(self, feed: str) -> float | None:
        value = self.get_meta(f"last_sync:{feed}")
        return float(value) if value is not None else None

    def commit_feed(
        self,
        feed: str,
        cursor: Cursor,
        *,
        orders: Iterable[Order] = (),
        tasks: Iterable[Task] = (),
        replace_tasks: bool = False,
        synced_at: float | None = None,
    ) -> None:
        """Save one poll atomically: its items, the feed's cursor and its last-sync time."""
        steps: list[tuple[str, Iterable[tuple]]] = [(_UPSERT_ORDER, map(_order_row, orders))]
        if replace_tasks:
            steps.append(("DELETE FROM tasks", [()]))
        steps.append((_UPSERT_TASK, ((t.id, _encode(t)) for t in tasks)))
        steps.append((_UPSERT_CURSOR, [(feed, cursor.to_json())]))
        if synced_at is not None:
            steps.append((_UPSERT_META, [(f"last_sync:{feed}", repr(synced_at))]))
        self._write(steps)

    # -- orders --------------------------------------------------------------------------

    def save_orders(self, orders: Iterable[Order]) -> None:
        self._write([(_UPSERT_ORDER, map(_order_row, orders))])

    def load_orders(self, limit: int | None = None) -> list[Order]:
        """Newest first."""
        sql = "SELECT json FROM orders ORDER BY creation_date DESC, id DESC LIMIT ?"
        return [decode(blob, Order) for (blob,) in self._read(sql, (-1 if limit is None else limit,))]

    def load_order(self, id: int) -> Order | None:
        rows = self._read("SELECT json FROM orders WHERE id = ?", (id,))
        return decode(rows[0][0], Order) if rows else None

    def iter_order_rows(self, limit: int | None = None) -> Iterator[OrderRow]:
        """Display columns only, newest first; no JSON is decoded."""
        sql = (
            "SELECT id, creation_date, title, status, total, contact_name FROM orders"
            " ORDER BY creation_date DESC, id DESC LIMIT ?"
        )
        return (OrderRow(*row) for row in self._read(sql, (-1 if limit is None else limit,)))

    def count_orders(self) -> int:
        return self._read("SELECT COUNT(*) FROM orders")[0][0]

    # -- tasks ---------------------------------------------------------------------------

    def replace_tasks(self, tasks: Iterable[Task]) -> None:
        self._write([("DELETE FROM tasks", [()]), (_UPSERT_TASK, ((t.id, _encode(t)) for t in tasks))])

    def upsert_tasks(self, tasks: Iterable[Task]) -> None:
        self._write([(_UPSERT_TASK, ((t.id, _encode(t)) for t in tasks))])

    def load_tasks(self) -> list[Task]:
        return [decode(blob, Task) for (blob,) in self._read("SELECT json FROM tasks ORDER BY id")]


_UPSERT_CURSOR = "INSERT OR REPLACE INTO cursors (feed, json) VALUES (?, ?)"
_UPSERT_META = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"
_UPSERT_ORDER = (
    "INSERT OR REPLACE INTO orders (id, creation_date, title, status, total, contact_name, json)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_TASK = "INSERT OR REPLACE INTO tasks (id, json) VALUES (?, ?)"
