"""Where a feed has read up to: the newest stamp seen and the ids seen at exactly that stamp.

Keap's `since` is a timestamp, and many orders can share one (imports, bulk actions, second
resolution). A stamp alone would either re-show the items at the stamp on every poll or miss
the ones that arrive later with the same stamp; remembering the ids at the newest stamp fixes
both while keeping memory flat: older ids are never needed again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MIN_STAMP = datetime.min.replace(tzinfo=timezone.utc)  # for items that carry no date at all


def utc(value: datetime | None) -> datetime:
    """Aware UTC, so stamps from any source compare (Keap v1 sometimes omits the offset)."""
    if value is None:
        return MIN_STAMP
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00+23:59: before time began, so oldest
        return MIN_STAMP


@dataclass(frozen=True, slots=True)
class Cursor:
    stamp: datetime | None = None  # None: never synced, the next poll is the baseline
    ids: frozenset[int] = field(default_factory=frozenset)  # ids seen AT `stamp`

    @property
    def empty(self) -> bool:
        return self.stamp is None

    def unseen(self, stamp: datetime | None, id: int) -> bool:
        """True if an item with this stamp and id has not been delivered yet."""
        if self.stamp is None:
            return True
        s = utc(stamp)
        return s > self.stamp or (s == self.stamp and id not in self.ids)

    def advanced(self, items: Iterable[tuple[datetime | None, int]]) -> Cursor:
        """The cursor after delivering `items` (pairs of stamp and id)."""
        stamp, ids = self.stamp, set(self.ids)
        for raw, id in items:
            s = utc(raw)
            if stamp is None or s > stamp:
                stamp, ids = s, {id}
            elif s == stamp:
                ids.add(id)
        return Cursor(stamp, frozenset(ids))

    def to_json(self) -> str:
        stamp = self.stamp.isoformat() if self.stamp is not None else None
        return json.dumps({"v": 1, "stamp": stamp, "ids": sorted(self.ids)})

    @classmethod
    def from_json(cls, text: str | bytes) -> Cursor:
        data = json.loads(text)
        stamp = data.get("stamp")
        ids = frozenset(int(i) for i in data.get("ids", ()))
        return cls(utc(datetime.fromisoformat(stamp)) if stamp else None, ids)
