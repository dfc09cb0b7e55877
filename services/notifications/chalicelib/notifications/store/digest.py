"""Daily numbers for the head's digest, and the tasks overdue now.

| item            | pk                  | sk               |
| --------------- | ------------------- | ---------------- |
| day's numbers   | DAY#<YYYY-MM-DD>    | STATS            |
| day's payments  | DAY#<YYYY-MM-DD>    | PAID#<currency>  |
| overdue task    | OVERDUE             | <task id>        |
| digest sent     | DIGEST#<YYYY-MM-DD> | SENT             |

A day's numbers are added to as events arrive (one update per event), so the digest reads
one partition of a few items. The overdue partition holds only what is overdue now (a task
leaves it when it is done); the digest reads its first page.
"""

from __future__ import annotations

from datetime import date

from chalicelib.notifications.domain.digest import DayStats
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Store, TableModel, writes


class DayItem(TableModel):
    requests = NumberAttribute(null=True)
    won = NumberAttribute(null=True)
    lost = NumberAttribute(null=True)
    payments = NumberAttribute(null=True)
    tasks_done = NumberAttribute(null=True)
    overdue = NumberAttribute(null=True)
    amount = NumberAttribute(null=True)


class OverdueTaskItem(TableModel):
    title = UnicodeAttribute()


class DigestSentItem(TableModel):
    at = UnicodeAttribute()


MODELS = (DayItem, OverdueTaskItem, DigestSentItem)
OVERDUE_SHOWN = 20


class DigestStore:
    def __init__(self, store: Store) -> None:
        self._days = store.model(DayItem)
        self._overdue = store.model(OverdueTaskItem)
        self._sent = store.model(DigestSentItem)

    def count(self, unit: UnitOfWork, day: date, counter: str) -> None:
        days = self._days
        writes(unit).update(days(f"DAY#{day.isoformat()}", "STATS"), [getattr(days, counter).add(1)])

    def paid(self, unit: UnitOfWork, day: date, currency: str, amount: int) -> None:
        days = self._days
        writes(unit).update(days(f"DAY#{day.isoformat()}", "STATS"), [days.payments.add(1)])
        writes(unit).update(days(f"DAY#{day.isoformat()}", f"PAID#{currency}"), [days.amount.add(amount)])

    def stats(self, day: date) -> DayStats:
        stats = DayStats()
        for item in self._days.query(f"DAY#{day.isoformat()}"):
            if item.sk == "STATS":
                stats = stats.model_copy(
                    update={
                        name: int(getattr(item, name) or 0)
                        for name in ("requests", "won", "lost", "payments", "tasks_done", "overdue")
                    }
                )
            elif item.sk.startswith("PAID#"):
                stats.paid[item.sk.removeprefix("PAID#")] = int(item.amount or 0)
        return stats

    def overdue(self, unit: UnitOfWork, task_id: str, title: str) -> None:
        writes(unit).put(self._overdue("OVERDUE", task_id, title=title))

    def resolved(self, unit: UnitOfWork, task_id: str) -> None:
        writes(unit).delete(self._overdue("OVERDUE", task_id))

    def overdue_now(self) -> tuple[list[str], bool]:
        """The first overdue tasks' titles, and whether there are more."""
        result = self._overdue.query("OVERDUE", limit=OVERDUE_SHOWN)
        titles = [item.title for item in result]
        return titles, result.last_evaluated_key is not None

    def mark_sent(self, unit: UnitOfWork, day: date, at: str) -> None:
        sent = self._sent
        writes(unit).put(
            sent(f"DIGEST#{day.isoformat()}", "SENT", at=at),
            condition=sent.pk.does_not_exist(),
            tag="digest-sent",
        )

    def was_sent(self, day: date) -> bool:
        try:
            self._sent.get(f"DIGEST#{day.isoformat()}", "SENT", consistent_read=True)
        except DoesNotExist:
            return False
        return True
