"""Bookings, calendars and time claims in the booking table.

| item      | pk                              | sk                          |
| --------- | ------------------------------- | --------------------------- |
| booking   | BOOKING#<id>                    | BOOKING                     |
| entry     | CAL#<owner id>#<YYYY-MM>        | <claim start>#<booking id>  |
| claim     | HOLD#<owner id>#<YYYY-MM-DD>    | <HH:MM> (UTC, 15-min bucket)|
| day sheet | DAY#<owner id>#<YYYY-MM>        | <YYYY-MM-DD>                |

A booking of a known client is also on gsi1 under `CLIENT#<client id>` / `<start>#<id>`
(what a merge re-points and an erase scrubs).

An owner is a member of staff or a resource. A calendar entry sits in the partition of
each local (company zone) month its claim touches, so a month of one owner's bookings and
blocks is one Query, and a day or a week is one Query with a key range.

Availability reads day sheets, not entries: one item per owner and local day whose string
sets `s0`/`s1` hold one short line per booking or block whose claim touches that day (a
claim across midnight is on both days), with what availability needs:
`<booking id>|<kind>|<start>|<end>|<claim start>|<claim end>|<on site 0/1>|<zone>|<group>`,
the times in UTC minutes since the epoch. A month of one owner is one Query of some 31
small items. The sheets are written in the same transaction as the claims, by ADD and
DELETE of set elements (no read, so bookings of the same day never overwrite each other);
a line sits in the set of its booking's `sequence` parity, so that a move within one day
deletes the old line from one set and adds the new one to the other in one update (one
attribute may not be both in one expression; a move always raises the sequence). They
only serve reading: the claims are the guarantee.

No double booking: a booking writes one claim item per 15-minute bucket of its time
(buffers included) for each owner, each with the condition that the bucket is free (or
holds the same group visit at the same start with a seat left), in the same
TransactWriteItems as the booking itself. Two bookings whose times overlap share at least
one bucket, so at most one of them commits, however close together they arrive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.booking.domain.bookings import Booking, CalendarEntry
from chalicelib.booking.domain.calendar import Busy, buckets
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import to_iso
from lanka_platform.problems import Problem
from lanka_platform.storage import MAX_TRANSACTION_ITEMS, Gsi1, Store, TableModel, UnitOfWork

TAKEN = (
    "Цей час щойно зайняли — оберіть, будь ласка, інший. "
    "This time has just been taken; please choose another one."
)
# Besides claims, entries and day sheets: the booking, an idempotency record (or a
# processed-event marker) and up to four outbox entries.
_OTHER_ITEMS = 6


def _calendar_busy() -> Problem:
    # Only on a concurrent transaction on the same day sheet (DynamoDB cancels one of two).
    return Problem(409, "Time taken", TAKEN, kind="time-taken")


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


class DaySheetItem(TableModel):
    s0 = UnicodeSetAttribute(null=True)
    s1 = UnicodeSetAttribute(null=True)


MODELS = (BookingItem, EntryItem, ClaimItem, DaySheetItem)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _sheet_line(booking: Booking) -> str:
    return "|".join(
        (
            booking.id,
            booking.kind,
            str(_minutes(booking.starts_at)),
            str(_minutes(booking.ends_at)),
            str(_minutes(booking.claim_start)),
            str(_minutes(booking.claim_end)),
            "1" if booking.on_site else "0",
            booking.zone or "",
            booking.group or "",
        )
    )


def _from_minutes(text: str) -> datetime:
    return datetime.fromtimestamp(int(text) * 60, UTC)


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


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
        self._sheets = store.model(DaySheetItem)
        self._store = store
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
        """What availability needs of the owner's time in [start, end), from the day sheets:
        one Query per local month of the range (raw items: a sheet's attributes are named by
        booking)."""
        days = _days(start, end, self._zone)
        client = self._store.connection.client
        table = self._store.settings.table_name
        found: dict[str, Busy] = {}
        for month in _months(start, end, self._zone):
            low = max(days[0].isoformat(), f"{month}-01")
            high = min(days[-1].isoformat(), f"{month}-31")
            request: dict[str, Any] = {
                "TableName": table,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"DAY#{owner_id}#{month}"},
                    ":low": {"S": low},
                    ":high": {"S": high},
                },
            }
            while True:
                page = client.query(**request)
                for item in page.get("Items", ()):
                    lines = [*item.get("s0", {}).get("SS", ()), *item.get("s1", {}).get("SS", ())]
                    for line in lines:
                        booking_id, kind, s_, e_, cs, ce, site, zone, group = line.split("|", 8)
                        if booking_id == ignoring or booking_id in found:
                            continue
                        claim_start, claim_end = _from_minutes(cs), _from_minutes(ce)
                        if claim_end > start and claim_start < end:
                            found[booking_id] = Busy(
                                start=_from_minutes(s_),
                                end=_from_minutes(e_),
                                claim_start=claim_start,
                                claim_end=claim_end,
                                kind=kind,
                                on_site=site == "1",
                                zone=zone or None,
                                group=group,
                                booking_id=booking_id,
                            )
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
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
        sheets = self._sheet_keys(booking)
        self._check_size(len(claims) + len(self._entry_keys(booking)) + len(sheets))
        for owner, moment in sorted(claims):
            self._claim(unit, owner, moment, booking)
        for pk, sk in sheets:
            self._write_sheet(unit, pk, sk, added=booking)

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
        entries = set(self._entry_keys(before)) | set(self._entry_keys(after))
        sheets_before, sheets_after = self._sheet_keys(before), self._sheet_keys(after)
        sheets = set(sheets_before) | set(sheets_after)
        self._check_size(len(old | new) + len(entries) + len(sheets))
        for owner, moment in sorted(old - new):
            self._release(unit, owner, moment)
        for owner, moment in sorted(new - old):
            self._claim(unit, owner, moment, after)
        if after.seats > 1:
            for owner, moment in sorted(old & new):
                self._regroup(unit, owner, moment, after)
        for pk, sk in sorted(sheets):
            self._write_sheet(
                unit,
                pk,
                sk,
                added=after if (pk, sk) in sheets_after else None,
                removed=before if (pk, sk) in sheets_before else None,
            )

    def cancel(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        self._replace(unit, before, after)
        self._delete_entries(unit, before)
        for owner in before.owners:
            for moment in buckets(before.claim_start, before.claim_end):
                self._release(unit, owner, moment)
        for pk, sk in self._sheet_keys(before):
            self._write_sheet(unit, pk, sk, removed=before)

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

    def _sheet_keys(self, booking: Booking) -> list[tuple[str, str]]:
        days = _days(booking.claim_start, booking.claim_end, self._zone)
        return [
            (f"DAY#{owner}#{day.year:04d}-{day.month:02d}", day.isoformat())
            for owner in booking.owners
            for day in days
        ]

    def _write_sheet(
        self,
        unit: UnitOfWork,
        pk: str,
        sk: str,
        *,
        added: Booking | None = None,
        removed: Booking | None = None,
    ) -> None:
        """One update of a day sheet: the line of `removed` out, the line of `added` in
        (in the sets of their sequence parities, which differ when both are given)."""
        model = self._sheets
        sets = (model.s0, model.s1)
        actions = []
        if removed is not None:
            actions.append(sets[removed.sequence % 2].delete({_sheet_line(removed)}))
        if added is not None:
            actions.append(sets[added.sequence % 2].add({_sheet_line(added)}))
        unit.update(model(pk=pk, sk=sk), actions=actions, tag="sheet", on_conflict=_calendar_busy)

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
