"""Bookings, calendars and time claims in the booking table.

| item      | pk                              | sk                          |
| --------- | ------------------------------- | --------------------------- |
| booking   | BOOKING#<id>                    | BOOKING                     |
| entry     | CAL#<owner id>#<YYYY-MM>        | <claim start>#<booking id>  |
| claim     | HOLD#<owner id>#<YYYY-MM-DD>    | <HH:MM> (UTC, 15-min bucket)|

A booking of a known client is also on gsi1 under `CLIENT#<client id>` / `<start>#<id>`
(what a merge re-points and an erase scrubs).

An owner is a member of staff or a resource. A calendar entry sits in the partition of
each local (company zone) month its claim touches, so a month of one owner's bookings and
blocks is one Query, and a day or a week is one Query with a key range.

No double booking: a booking writes one claim item per 15-minute bucket of its time
(buffers included) for each owner, each with the condition that the bucket is free (or
holds the same group visit at the same start with a seat left), in the same
TransactWriteItems as the booking itself. Two bookings whose times overlap share at least
one bucket, so at most one of them commits, however close together they arrive.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.booking.domain.bookings import Booking, CalendarEntry
from chalicelib.booking.domain.calendar import Busy, buckets
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import to_iso
from lanka_platform.problems import Problem
from lanka_platform.storage import MAX_TRANSACTION_ITEMS, Gsi1, Store, TableModel, UnitOfWork

TAKEN = (
    "Цей час щойно зайняли — оберіть, будь ласка, інший. "
    "This time has just been taken; please choose another one."
)
# The booking, its calendar entries, its outbox entries and an idempotency record.
_OTHER_ITEMS = 12


class BookingItem(TableModel):
    data = UnicodeAttribute()
    version = NumberAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()


class EntryItem(TableModel):
    data = UnicodeAttribute()


class ClaimItem(TableModel):
    used = NumberAttribute(null=True)
    group = UnicodeAttribute(null=True)


MODELS = (BookingItem, EntryItem, ClaimItem)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _months(start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    months = []
    cursor = date(first.year, first.month, 1)
    while cursor <= last:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


class BookingBook:
    def __init__(self, store: Store, time_zone: str) -> None:
        self._bookings = store.model(BookingItem)
        self._entries = store.model(EntryItem)
        self._claims = store.model(ClaimItem)
        self._zone = ZoneInfo(time_zone)

    # reads ---------------------------------------------------------------------------

    def get(self, booking_id: str) -> Booking | None:
        try:
            return Booking.model_validate_json(self._bookings.get(f"BOOKING#{booking_id}", "BOOKING").data)
        except DoesNotExist:
            return None

    def entries(self, owner_id: str, start: datetime, end: datetime) -> list[CalendarEntry]:
        """What `owner_id` holds with a claim starting in [start - 1 day, end): one Query per
        local month of the range (a booking longer than a day is not possible)."""
        low, high = to_iso(start - timedelta(days=1)), to_iso(end)
        found: dict[str, CalendarEntry] = {}
        for month in _months(start, end, self._zone):
            for item in self._entries.query(
                f"CAL#{owner_id}#{month}", self._entries.sk.between(low, high + "~")
            ):
                entry = CalendarEntry.model_validate_json(item.data)
                if entry.claim_end > start and entry.claim_start < end:
                    found[entry.booking_id] = entry
        return sorted(found.values(), key=lambda e: e.claim_start)

    def busy(self, owner_id: str, start: datetime, end: datetime, ignoring: str | None = None) -> list[Busy]:
        """What availability needs of `entries`, read without building the full models
        (a busy month is hundreds of entries per specialist)."""
        low, high = to_iso(start - timedelta(days=1)), to_iso(end)
        found: dict[str, Busy] = {}
        for month in _months(start, end, self._zone):
            for item in self._entries.query(
                f"CAL#{owner_id}#{month}",
                self._entries.sk.between(low, high + "~"),
                attributes_to_get=["data"],
            ):
                raw = json.loads(item.data)
                booking_id = raw["booking_id"]
                if booking_id == ignoring:
                    continue
                claim_start, claim_end = _moment(raw["claim_start"]), _moment(raw["claim_end"])
                if claim_end > start and claim_start < end:
                    found[booking_id] = Busy(
                        start=_moment(raw["starts_at"]),
                        end=_moment(raw["ends_at"]),
                        claim_start=claim_start,
                        claim_end=claim_end,
                        kind=raw["kind"],
                        on_site=raw.get("on_site", False),
                        zone=raw.get("zone"),
                        group=raw.get("group"),
                        booking_id=booking_id,
                    )
        return list(found.values())

    def of_client(self, client_id: str, limit: int = 40) -> list[Booking]:
        """A client's bookings, newest first (one Query of the index)."""
        items = self._bookings.gsi1.query(f"CLIENT#{client_id}", scan_index_forward=False, limit=limit)
        return [Booking.model_validate_json(item.data) for item in items]

    # writes --------------------------------------------------------------------------

    def add(self, unit: UnitOfWork, booking: Booking) -> None:
        unit.put(self._booking_item(booking), condition=self._bookings.pk.does_not_exist())
        self._put_entries(unit, booking)
        claims = {
            (owner, moment)
            for owner in booking.owners
            for moment in buckets(booking.claim_start, booking.claim_end)
        }
        self._check_size(len(claims))
        for owner, moment in sorted(claims):
            self._claim(unit, owner, moment, booking)

    def move(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        """`after` in place of `before`: releases the old time, claims the new (a bucket in
        both stays held), unless the booking changed meanwhile."""
        self._replace(unit, before, after)
        kept = set(self._entry_keys(after))
        for pk, sk in self._entry_keys(before):
            if (pk, sk) not in kept:
                unit.delete(self._entries(pk=pk, sk=sk))
        self._put_entries(unit, after)
        old = {(o, m) for o in before.owners for m in buckets(before.claim_start, before.claim_end)}
        new = {(o, m) for o in after.owners for m in buckets(after.claim_start, after.claim_end)}
        self._check_size(len(old | new))
        for owner, moment in sorted(old - new):
            self._release(unit, owner, moment)
        for owner, moment in sorted(new - old):
            self._claim(unit, owner, moment, after)
        if after.seats > 1:
            for owner, moment in sorted(old & new):
                self._regroup(unit, owner, moment, after)

    def cancel(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        self._replace(unit, before, after)
        self._delete_entries(unit, before)
        for owner in before.owners:
            for moment in buckets(before.claim_start, before.claim_end):
                self._release(unit, owner, moment)

    def update(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        """A change that keeps the time (the client learned, a visitor's data erased)."""
        self._replace(unit, before, after)
        if after.status == "confirmed":
            self._put_entries(unit, after)

    # ---------------------------------------------------------------------------------

    def _booking_item(self, booking: Booking) -> BookingItem:
        return self._bookings(
            pk=f"BOOKING#{booking.id}",
            sk="BOOKING",
            data=booking.model_dump_json(),
            version=booking.version,
            gsi1pk=f"CLIENT#{booking.client_id}" if booking.client_id else None,
            gsi1sk=f"{to_iso(booking.starts_at)}#{booking.id}" if booking.client_id else None,
        )

    def _replace(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        unit.put(
            self._booking_item(after),
            condition=self._bookings.version == before.version,
            on_conflict=lambda: Problem.conflict(
                "The booking was changed meanwhile; read it again and retry."
            ),
        )

    def _entry_keys(self, booking: Booking) -> list[tuple[str, str]]:
        sk = f"{to_iso(booking.claim_start)}#{booking.id}"
        months = _months(booking.claim_start, booking.claim_end, self._zone)
        return [(f"CAL#{owner}#{month}", sk) for owner in booking.owners for month in months]

    def _put_entries(self, unit: UnitOfWork, booking: Booking) -> None:
        data = CalendarEntry.of(booking).model_dump_json()
        for pk, sk in self._entry_keys(booking):
            unit.put(self._entries(pk=pk, sk=sk, data=data))

    def _delete_entries(self, unit: UnitOfWork, booking: Booking) -> None:
        for pk, sk in self._entry_keys(booking):
            unit.delete(self._entries(pk=pk, sk=sk))

    def _claim_item(self, owner: str, moment: datetime) -> ClaimItem:
        return self._claims(pk=f"HOLD#{owner}#{moment.date().isoformat()}", sk=moment.strftime("%H:%M"))

    def _claim(self, unit: UnitOfWork, owner: str, moment: datetime, booking: Booking) -> None:
        model = self._claims
        group = f"{booking.group}@{to_iso(booking.starts_at)}"
        unit.update(
            self._claim_item(owner, moment),
            actions=[model.used.add(1), model.group.set(group)],
            condition=model.used.does_not_exist()
            | (model.used <= 0)
            | ((model.group == group) & (model.used < booking.seats)),
            tag="claim",
            on_conflict=lambda: Problem(409, "Time taken", TAKEN, kind="time-taken"),
        )

    def _release(self, unit: UnitOfWork, owner: str, moment: datetime) -> None:
        unit.update(self._claim_item(owner, moment), actions=[self._claims.used.add(-1)])

    def _regroup(self, unit: UnitOfWork, owner: str, moment: datetime, booking: Booking) -> None:
        model = self._claims
        unit.update(
            self._claim_item(owner, moment),
            actions=[model.group.set(f"{booking.group}@{to_iso(booking.starts_at)}")],
            condition=model.used == 1,
            on_conflict=lambda: Problem(
                409, "Time taken", "Other visitors share this time; it cannot move.", kind="time-taken"
            ),
        )

    @staticmethod
    def _check_size(claims: int) -> None:
        if claims + _OTHER_ITEMS > MAX_TRANSACTION_ITEMS:
            raise Problem.invalid(
                [
                    {
                        "field": "services",
                        "message": "This visit is too long to book at once; split it.",
                        "in": "body",
                    }
                ]
            )
