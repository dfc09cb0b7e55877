"""The reminders still due for each booking (so that a move or a cancel withdraws them).

| item              | pk                 | sk        |
| ----------------- | ------------------ | --------- |
| booking reminders | BOOKING#<id>       | REMINDERS |
"""

from __future__ import annotations

import json

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Store, TableModel, writes


class BookingRemindersItem(TableModel):
    message_ids = UnicodeAttribute()


MODELS = (BookingRemindersItem,)


class ReminderStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(BookingRemindersItem)

    def of_booking(self, booking_id: str) -> list[str]:
        try:
            item = self._items.get(f"BOOKING#{booking_id}", "REMINDERS", consistent_read=True)
        except DoesNotExist:
            return []
        return list(json.loads(item.message_ids))

    def keep(self, unit: UnitOfWork, booking_id: str, message_ids: list[str]) -> None:
        writes(unit).put(
            self._items(f"BOOKING#{booking_id}", "REMINDERS", message_ids=json.dumps(message_ids))
        )
