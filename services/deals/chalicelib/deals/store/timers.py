"""Timers and the overdue list.

| item          | pk                       | sk                                   |
| ------------- | ------------------------ | ------------------------------------ |
| timer         | TIMER#<YYYY-MM-DDTHH>    | <YYYY-MM-DDTHH:MM>#<kind>#<ref>      |
| sweep cursor  | TIMERS                   | CURSOR                               |
| overdue entry | OVERDUE#<TASK or DEAL>#<id> | OVERDUE                           |

The timers are a due-time index: one partition per hour (UTC), sorted by the minute they
are due. A sweep reads the minutes since the cursor with one strongly consistent Query per
hour it spans (one Query a minute in the steady state, 25 for a day of catch-up), never a
Scan. A timer is never written into the minute in progress or an earlier one (it goes into
the next minute), so a sweep that has read a minute has read every timer it will ever hold.

An overdue entry is on gsi1 under `OVERDUE` / `<since>#<id>`: the head's list of every
overdue task and stuck deal, oldest first, is one Query. Adding or removing an entry also
counts it in its person's "now" gauges (`store.reports`), in the same transaction and on
condition that the entry is as it was read, so the gauges are always the list's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from chalicelib.deals.domain.deadlines import OverdueEntry
from chalicelib.deals.domain.reports import NOBODY
from chalicelib.deals.domain.timers import MINUTE, Timer, minute
from chalicelib.deals.store.reports import OVERDUE_TASKS, PAST_SLA, ReportStore, person_gauges
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Gsi1, Store, TableModel, writes

FIRED = "timer-fired"


class TimerItem(TableModel):
    kind = UnicodeAttribute()
    ref = UnicodeAttribute()
    payload = UnicodeAttribute(default="{}")
    attempts = NumberAttribute(default=0)


class SweepCursorItem(TableModel):
    swept_to = UnicodeAttribute()


class OverdueItem(TableModel):
    body = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = Gsi1()


MODELS = (TimerItem, SweepCursorItem, OverdueItem)

_CURSOR_KEY = ("TIMERS", "CURSOR")
OVERDUE = "OVERDUE"


def _minute_text(moment: datetime) -> str:
    """The UTC minute of `moment` (whatever zone it is given in), as the keys hold it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _hour(moment: datetime) -> datetime:
    """The start of the UTC hour `moment` is in (its partition of timers)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _key(timer: Timer) -> tuple[str, str]:
    return f"TIMER#{_hour(timer.at):%Y-%m-%dT%H}", f"{_minute_text(timer.at)}#{timer.kind}#{timer.ref}"


class TimerStore:
    def __init__(self, store: Store) -> None:
        self._timers = store.model(TimerItem)
        self._cursor = store.model(SweepCursorItem)

    def _item(self, timer: Timer) -> TimerItem:
        pk, sk = _key(timer)
        return self._timers(
            pk=pk,
            sk=sk,
            kind=timer.kind,
            ref=timer.ref,
            payload=json.dumps(timer.payload, ensure_ascii=False, sort_keys=True),
            attempts=timer.attempts,
        )

    def set(self, unit: UnitOfWork, timer: Timer, now: datetime) -> None:
        """Queue `timer`; one due now or earlier goes into the next minute (see the module)."""
        soonest = minute(now) + MINUTE
        writes(unit).put(self._item(timer if timer.at >= soonest else _at(timer, soonest)))

    def clear(self, unit: UnitOfWork, timer: Timer) -> None:
        """Queue the removal of `timer` (nothing if it has fired or was never set)."""
        writes(unit).delete(self._item(timer))

    def take(self, unit: UnitOfWork, timer: Timer) -> None:
        """Queue the removal of a due timer, on condition that it is still there: of two
        sweeps that read it, only one commits its effects."""
        writes(unit).delete(self._item(timer), condition=self._timers.pk.exists(), tag=FIRED)

    def postpone(self, unit: UnitOfWork, timer: Timer, now: datetime) -> None:
        """Try a timer whose handling failed again in the next minute."""
        self.take(unit, timer)
        retry = Timer(timer.kind, timer.ref, minute(now) + MINUTE, timer.payload, timer.attempts + 1)
        writes(unit).put(self._item(retry))

    def due(self, first: datetime, last: datetime) -> Iterator[Timer]:
        """Every timer due from minute `first` to minute `last` (both included), in order."""
        hour = _hour(first)
        while hour <= last:
            low = max(first, hour)
            high = min(last, hour + timedelta(minutes=59))
            for item in self._timers.query(
                f"TIMER#{hour.strftime('%Y-%m-%dT%H')}",
                self._timers.sk.between(_minute_text(low), _minute_text(high) + "~"),
                consistent_read=True,
            ):
                yield Timer(
                    kind=item.kind,
                    ref=item.ref,
                    at=from_iso(item.sk.split("#", 1)[0] + ":00Z"),
                    payload=json.loads(item.payload or "{}"),
                    attempts=int(item.attempts or 0),
                )
            hour += timedelta(hours=1)

    def swept_to(self) -> datetime | None:
        try:
            item = self._cursor.get(*_CURSOR_KEY, consistent_read=True)
        except DoesNotExist:
            return None
        return from_iso(item.swept_to + ":00Z")

    def advance(self, to: datetime) -> None:
        """Move the cursor forward to minute `to` (never back: sweeps may overlap)."""
        cursor = self._cursor
        text = _minute_text(to)
        try:
            cursor(*_CURSOR_KEY, swept_to=text).save(
                condition=cursor.pk.does_not_exist() | (cursor.swept_to < text)
            )
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise


def _at(timer: Timer, at: datetime) -> Timer:
    return Timer(timer.kind, timer.ref, at, timer.payload, timer.attempts)


def _overdue_key(kind: str, subject_id: str) -> tuple[str, str]:
    return f"{OVERDUE}#{kind.upper()}#{subject_id}", OVERDUE


def _person(entry: OverdueEntry) -> str:
    return (entry.assignee_id if entry.kind == "task" else entry.owner_id) or NOBODY


def _gauge_key(entry: OverdueEntry) -> str:
    return person_gauges(_person(entry))


def _gauge(entry: OverdueEntry) -> str:
    return OVERDUE_TASKS if entry.kind == "task" else PAST_SLA


def _changed_meanwhile() -> Exception:
    return Problem.conflict("The task or deal became overdue or was closed meanwhile; try again.")


class OverdueList:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(OverdueItem)
        self._gauges = ReportStore(store)

    def add(self, unit: UnitOfWork, entry: OverdueEntry) -> None:
        pk, sk = _overdue_key(entry.kind, entry.id)
        before = self._entry(entry.kind, entry.id)
        items = self._items
        writes(unit).put(
            items(
                pk=pk,
                sk=sk,
                body=entry.model_dump_json(),
                gsi1pk=OVERDUE,
                gsi1sk=f"{to_iso(entry.since)}#{entry.id}",
            ),
            condition=items.pk.does_not_exist() if before is None else items.body == before.model_dump_json(),
            on_conflict=_changed_meanwhile,
        )
        if before is not None and _person(before) == _person(entry):
            return
        if before is not None:
            self._gauges.gauge(unit, _gauge_key(before), {_gauge(before): -1})
        self._gauges.gauge(unit, _gauge_key(entry), {_gauge(entry): 1})

    def resolve_task(self, unit: UnitOfWork, task_id: str) -> None:
        self._resolve(unit, "task", task_id)

    def resolve_deal(self, unit: UnitOfWork, deal_id: str) -> None:
        self._resolve(unit, "deal", deal_id)

    def _resolve(self, unit: UnitOfWork, kind: str, subject_id: str) -> None:
        before = self._entry(kind, subject_id)
        items = self._items
        if before is None:
            # Not overdue: unless it becomes so before this commits (then this is retried).
            writes(unit).check(
                items,
                *_overdue_key(kind, subject_id),
                items.pk.does_not_exist(),
                on_conflict=_changed_meanwhile,
            )
            return
        writes(unit).delete(
            items(*_overdue_key(kind, subject_id)),
            condition=items.body == before.model_dump_json(),
            on_conflict=_changed_meanwhile,
        )
        self._gauges.gauge(unit, _gauge_key(before), {_gauge(before): -1})

    def _entry(self, kind: str, subject_id: str) -> OverdueEntry | None:
        try:
            item = self._items.get(*_overdue_key(kind, subject_id), consistent_read=True)
        except DoesNotExist:
            return None
        return OverdueEntry.model_validate_json(item.body)

    def deal(self, deal_id: str) -> OverdueEntry | None:
        return self._entry("deal", deal_id)

    def page(self, cursor: str | None, limit: int) -> tuple[list[OverdueEntry], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        result = self._items.gsi1.query(
            OVERDUE, limit=limit, last_evaluated_key=decode_cursor(cursor, secret)
        )
        entries = [OverdueEntry.model_validate_json(item.body) for item in result]
        return entries, encode_cursor(result.last_evaluated_key, secret)
