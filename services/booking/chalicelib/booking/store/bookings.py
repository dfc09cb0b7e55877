"""Bookings, calendars and time claims in the booking table.

| item      | pk                              | sk                          |
| --------- | ------------------------------- | --------------------------- |
| booking   | BOOKING#<id>                    | BOOKING                     |
| entry     | CAL#<owner id>#<YYYY-MM>        | <claim start>#<booking id>  |
| claim     | HOLD#<owner id>#<YYYY-MM-DD>    | <HH:MM> (UTC, 15-min bucket)|
| sheet     | SHEET#<owner id>                | <YYYY-MM> (local month)     |
| handover  | HANDOVER                        | <start>#<booking id>        |

A handover item lists a leaver's booking that could not go to his successor (the office
re-assigns it; moving or cancelling the booking takes it off the list).

A booking of a known client is also on gsi1 under `CLIENT#<client id>` / `<start>#<id>`
(what a merge re-points and an erase scrubs).

An owner is a member of staff or a resource. A calendar entry sits in the partition of
each local (company zone) month its claim touches, so a month of one owner's bookings and
blocks is one Query, and a day or a week is one Query with a key range.

Availability reads sheets, not entries: one item per owner and local month whose one string
attribute `d` holds one short line per booking or block whose claim touches that month (a
claim across the turn of a month is on both), with what availability needs:
`<booking id>|<kind b/k>|<start>|<minutes>|<before>|<after>|<on site 0/1>|<zone>|<group>`,
the start in UTC minutes since the epoch, the group only of shared-seat visits; the lines
are joined by newlines after a first line with the sheet's version. The month of every
specialist asked is one BatchGetItem of one small item each: what an emulator or a parser
pays per value, not per booking (profiled: moto's answer took ~0.5 ms per attribute value,
so a sheet of day items or of a set element per booking cost 10-30 ms per specialist).
Beside the lines, binary attribute `c` holds what most looks at availability need of them,
as little-endian 32-bit minutes: the number of claims and of bookings, the claim starts, the
claim ends, the starts of the bookings (read as one array, some 30 times cheaper than
splitting and converting the lines of a busy month); the lines are parsed only when a rule
asks for whole rows. A sheet written before `c` existed is read from its lines.

A sheet is rewritten whole in the same transaction as the claims, on the condition that
its version `v` is still the one read (availability read it just before: the book keeps
what it read), so it is never stale. Two changes of one owner's month committed at the same
moment cannot both commit: the later gets a 409 "try again" (rare: the window is one
request's time), and two visits of one specialist are never placed on a stale view of his
day (this is what keeps the travel time between two visits booked at the same instant).

No double booking: a booking writes one claim item per 15-minute bucket of its time
(buffers included) for each owner, each with the condition that the bucket is free (or
holds the same group visit at the same start with a seat left), in the same
TransactWriteItems as the booking itself. Two bookings whose times overlap share at least
one bucket, so at most one of them commits, however close together they arrive.
"""

from __future__ import annotations

import itertools
import operator
import sys
from array import array
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.booking.domain.bookings import Booking, CalendarEntry, Handover
from chalicelib.booking.domain.calendar import Busy, Holdings, buckets
from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import to_iso
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import MAX_TRANSACTION_ITEMS, Gsi1, Store, TableModel, writes

TAKEN = (
    "Цей час щойно зайняли — оберіть, будь ласка, інший. "
    "This time has just been taken; please choose another one."
)
# Besides claims, entries and sheets: the booking, its handover item, an idempotency record
# (or a processed-event marker) and up to four outbox entries.
_OTHER_ITEMS = 7


CHANGED = (
    "Розклад цього дня щойно змінився — спробуйте, будь ласка, ще раз. "
    "This day's schedule has just changed; please try again."
)


# The tag of a sheet's write: it fails when another change of the same owner's month
# committed after this request read it; routes that write sheets run again then (`retried`).
SHEET = "sheet"
SHEETS = (SHEET,)


def _calendar_changed() -> Problem:
    # Another change of the same owner's day committed after this request read it.
    return Problem(409, "Calendar changed", CHANGED, kind="calendar-changed")


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


class HandoverItem(TableModel):
    data = UnicodeAttribute()


class SheetItem(TableModel):
    d = UnicodeAttribute()
    v = NumberAttribute()
    c = BinaryAttribute(null=True, legacy_encoding=False)


MODELS = (BookingItem, EntryItem, ClaimItem, SheetItem, HandoverItem)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _sheet_line(booking: Booking) -> str:
    return "|".join(
        (
            booking.id,
            "k" if booking.kind == "block" else "b",
            str(_minutes(booking.starts_at)),
            str(_minutes(booking.ends_at) - _minutes(booking.starts_at)),
            str(booking.before_minutes),
            str(booking.after_minutes),
            "1" if booking.on_site else "0",
            booking.zone or "",
            booking.group if booking.seats > 1 else "",
        )
    )


def _sheet_of(item: dict[str, Any]) -> tuple[int, str]:
    """The version and the lines (one string) of a raw sheet item."""
    version, _, lines = item["d"]["S"].partition("\n")
    return int(version), lines


_KINDS = {"b": "booking", "k": "block"}
_CLAIMS_ONLY = {"ExpressionAttributeNames": {"#p": "pk", "#s": "sk", "#c": "c", "#d": "data"}}


def sheet_columns(lines: list[str]) -> bytes:
    """Attribute `c` of a sheet of `lines`: claim starts, claim ends and booking starts."""
    claim_starts, claim_ends, booked = array("i"), array("i"), array("i")
    for line in lines:
        _, kind, start, minutes, before, after = line.split("|", 6)[:6]
        begin = int(start)
        claim_starts.append(begin - int(before))
        claim_ends.append(begin + int(minutes) + int(after))
        if kind == "b":
            booked.append(begin)
    columns = array("i", [len(claim_starts), len(booked)]) + claim_starts + claim_ends + booked
    if sys.byteorder == "big":
        columns.byteswap()
    return columns.tobytes()


def _held_of_columns(columns: bytes, lines: str | None) -> Holdings:
    """A sheet as what its owner holds, from its `c`; the rows from its lines if asked (and
    read: a look that reads only `c` never asks)."""
    numbers = array("i", columns)
    if sys.byteorder == "big":
        numbers.byteswap()
    claims, bookings = numbers[0], numbers[1]
    claim_starts = numbers[2 : 2 + claims].tolist()
    claim_ends = numbers[2 + claims : 2 + 2 * claims].tolist()
    booked = numbers[2 + 2 * claims : 2 + 2 * claims + bookings].tolist()
    return Holdings(claim_starts, claim_ends, booked, lambda: _rows_of(lines))


def _rows_of(lines: str | None) -> list[Busy]:
    if lines is None:
        raise AssertionError("the rows of a sheet read for its claims only")
    return _held(lines).busy


def _held(lines: str) -> Holdings:
    """A sheet's lines as what its owner holds. A month holds hundreds of lines per owner,
    read on every look at availability: each field is a column sliced from one split of the
    whole text and converted by `map` (no Python code per line); the `Busy` tuples are made
    only if a rule asks for them."""
    fields = lines.replace("\n", "|").split("|") if lines else []
    if len(fields) % 9:
        raise ValueError("A sheet line does not have 9 fields")
    starts = list(map(int, fields[2::9]))
    ends = list(map(operator.add, starts, map(int, fields[3::9])))
    claim_starts = list(map(operator.sub, starts, map(int, fields[4::9])))
    claim_ends = list(map(operator.add, ends, map(int, fields[5::9])))
    booked = list(itertools.compress(starts, map("b".__eq__, fields[1::9])))

    def rows() -> list[Busy]:
        kinds = map(_KINDS.__getitem__, fields[1::9])
        on_site = map("1".__eq__, fields[6::9])
        zones = [zone or None for zone in fields[7::9]]
        groups = [group or None for group in fields[8::9]]
        ids = fields[0::9]
        columns = zip(starts, ends, claim_starts, claim_ends, kinds, on_site, zones, groups, ids, strict=True)
        return list(map(Busy._make, columns))

    return Holdings(claim_starts, claim_ends, booked, rows)


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
        self._sheets = store.model(SheetItem)
        self._handovers = store.model(HandoverItem)
        self._store = store
        self._zone = ZoneInfo(time_zone)
        # The sheets read in this request or event: (pk, sk) -> (version, lines joined by \n),
        # and the `c` of those read unchanged since (not of sheets written before `c` was).
        self._read: dict[tuple[str, str], tuple[int, str]] = {}
        self._columns: dict[tuple[str, str], bytes] = {}
        # The sheet writes queued: (pk, sk) -> [(unit of work, the update's actions)].
        self._pending: dict[tuple[str, str], list[tuple[UnitOfWork, list[Any]]]] = {}

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

    def busy(
        self,
        owner_ids: list[str],
        start: datetime,
        end: datetime,
        ignoring: str | None = None,
        *,
        rows: bool = True,
    ) -> dict[str, Holdings]:
        """What availability needs of the owners' time in the local months of [start, end),
        from their sheets: one BatchGetItem for all of them (raw items: one string each,
        parsed here). The sheets read are kept (lines and version) for the write that may
        follow. `rows=False`: only the claims will be asked (no write follows, no rule
        reads whole rows), so a range within one month reads only the sheets' `c`."""
        months = _months(start, end, self._zone)
        if not rows and len(months) == 1 and ignoring is None:
            return self._claims_only(owner_ids, months[0])[0]
        self._load([(f"SHEET#{owner}", month) for owner in owner_ids for month in months])
        answer: dict[str, Holdings] = {}
        for owner in owner_ids:
            texts = [self._read[(f"SHEET#{owner}", month)][1] for month in months]
            columns = self._columns.get((f"SHEET#{owner}", months[0])) if len(months) == 1 else None
            if columns is not None and ignoring is None:
                answer[owner] = _held_of_columns(columns, texts[0])
                continue
            held = _held(texts[0]) if len(texts) == 1 else _held("\n".join(filter(None, texts)))
            if len(texts) > 1 or ignoring is not None:
                # A claim across the turn of a month is on both months' sheets.
                seen = {ignoring}
                distinct: list[Busy] = []
                for busy in held.busy:
                    if busy.booking_id not in seen:
                        seen.add(busy.booking_id)
                        distinct.append(busy)
                held = Holdings.of(distinct)
            answer[owner] = held
        return answer

    def claims_checked(
        self, owner_ids: list[str], start: datetime, end: datetime, check: tuple[str, str]
    ) -> tuple[dict[str, Holdings], dict[str, Any] | None] | None:
        """The owners' claims (as `busy(..., rows=False)`) and the raw item at `check` (its
        keys and `data`), in one BatchGetItem; None when [start, end) is not in one month."""
        months = _months(start, end, self._zone)
        return self._claims_only(owner_ids, months[0], check) if len(months) == 1 else None

    def _claims_only(
        self, owner_ids: list[str], month: str, check: tuple[str, str] | None = None
    ) -> tuple[dict[str, Holdings], dict[str, Any] | None]:
        """The owners' claims in one month from the `c` of their sheets alone (a third of
        the bytes of whole sheets). Not kept for a write: the lines were not read."""
        keys = [(f"SHEET#{owner}", month) for owner in owner_ids]
        found = {
            (item["pk"]["S"], item["sk"]["S"]): item
            for item in self._batch_get(
                [*keys, *([check] if check else [])],
                {"ProjectionExpression": "#p, #s, #c, #d", **_CLAIMS_ONLY},
            )
        }
        # A sheet written before `c` existed is read whole.
        self._load([key for key in keys if key in found and "c" not in found[key]])
        answer: dict[str, Holdings] = {}
        for owner, key in zip(owner_ids, keys, strict=True):
            item = found.get(key)
            if item is None:
                answer[owner] = _held("")
            elif "c" in item:
                answer[owner] = _held_of_columns(item["c"]["B"], None)
            else:
                answer[owner] = _held(self._read[key][1])
        return answer, found.get(check) if check else None

    def _load(self, keys: list[tuple[str, str]]) -> None:
        """The sheets of `keys` not read yet: one BatchGetItem per 100."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self._read]
        for item in self._batch_get(wanted, {}):
            key = (item["pk"]["S"], item["sk"]["S"])
            self._read[key] = _sheet_of(item)
            if "c" in item:
                self._columns[key] = item["c"]["B"]
        for key in wanted:
            # A month with nothing booked yet has no sheet.
            self._read.setdefault(key, (0, ""))

    def _batch_get(self, keys: list[tuple[str, str]], options: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The raw items of `keys` (strongly consistent), one BatchGetItem per 100 keys."""
        client = self._store.connection.client
        table = self._store.settings.table_name
        unique = list(dict.fromkeys(keys))
        for first in range(0, len(unique), 100):
            request: dict[str, Any] = {
                table: {
                    "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in unique[first : first + 100]],
                    "ConsistentRead": True,
                    **options,
                }
            }
            while request:
                page = client.batch_get_item(RequestItems=request)
                yield from page.get("Responses", {}).get(table, ())
                request = page.get("UnprocessedKeys") or {}

    def future_of(self, owner_id: str, now: datetime) -> list[str]:
        """The ids of the bookings (not blocks) of `owner_id` that start from `now` on, from
        his sheets of this month and after (one Query)."""
        local_now = now.astimezone(self._zone)
        client = self._store.connection.client
        request: dict[str, Any] = {
            "TableName": self._store.settings.table_name,
            "KeyConditionExpression": "pk = :pk AND sk >= :month",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"SHEET#{owner_id}"},
                ":month": {"S": f"{local_now.year:04d}-{local_now.month:02d}"},
            },
        }
        found: dict[str, None] = {}
        while True:
            page = client.query(**request)
            for item in page.get("Items", ()):
                lines = _sheet_of(item)[1]
                for line in lines.split("\n") if lines else ():
                    booking_id, kind, start = line.split("|", 3)[:3]
                    if kind == "b" and int(start) >= _minutes(now):
                        found[booking_id] = None
            if "LastEvaluatedKey" not in page:
                return list(found)
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def flag(self, unit: UnitOfWork, handover: Handover) -> None:
        """List a leaver's booking for the office to re-assign."""
        writes(unit).put(
            self._handovers(
                pk="HANDOVER",
                sk=f"{to_iso(handover.starts_at)}#{handover.booking_id}",
                data=handover.model_dump_json(),
            )
        )

    def handovers(self, limit: int = 200) -> list[Handover]:
        """The bookings waiting to be re-assigned, soonest first (one Query)."""
        return [
            Handover.model_validate_json(item.data) for item in self._handovers.query("HANDOVER", limit=limit)
        ]

    def of_client(self, client_id: str, limit: int = 40) -> list[Booking]:
        """A client's bookings, newest first (one Query of the index)."""
        items = self._bookings.gsi1.query(f"CLIENT#{client_id}", scan_index_forward=False, limit=limit)
        return [Booking.model_validate_json(item.data) for item in items]

    # writes --------------------------------------------------------------------------

    def add(self, unit: UnitOfWork, booking: Booking) -> None:
        writes(unit).put(self._booking_item(booking), condition=self._bookings.pk.does_not_exist())
        self._put_entries(unit, booking)
        claims = {
            (owner, moment)
            for owner in booking.owners
            for moment in buckets(booking.claim_start, booking.claim_end)
        }
        sheets = self._sheet_keys(booking)
        self._load(sheets)
        self._check_size(len(claims) + len(self._entry_keys(booking)) + len(sheets))
        for owner, moment in sorted(claims):
            self._claim(unit, owner, moment, booking)
        for pk, sk in sheets:
            self._write_sheet(unit, pk, sk, added=booking)

    def move(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        """`after` in place of `before`: releases the old time, claims the new (a bucket in
        both stays held), unless the booking changed meanwhile."""
        self._replace(unit, before, after)
        self._unflag(unit, before)
        kept = set(self._entry_keys(after))
        for pk, sk in self._entry_keys(before):
            if (pk, sk) not in kept:
                writes(unit).delete(self._entries(pk=pk, sk=sk))
        self._put_entries(unit, after)
        old = {(o, m) for o in before.owners for m in buckets(before.claim_start, before.claim_end)}
        new = {(o, m) for o in after.owners for m in buckets(after.claim_start, after.claim_end)}
        entries = set(self._entry_keys(before)) | set(self._entry_keys(after))
        sheets_before, sheets_after = self._sheet_keys(before), self._sheet_keys(after)
        sheets = set(sheets_before) | set(sheets_after)
        self._load(sorted(sheets))
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
        self._unflag(unit, before)
        self._delete_entries(unit, before)
        for owner in before.owners:
            for moment in buckets(before.claim_start, before.claim_end):
                self._release(unit, owner, moment)
        self._load(self._sheet_keys(before))
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
        writes(unit).put(
            self._booking_item(after),
            condition=self._bookings.version == before.version,
            on_conflict=lambda: Problem.conflict(
                "The booking was changed meanwhile; read it again and retry."
            ),
        )

    def _unflag(self, unit: UnitOfWork, booking: Booking) -> None:
        """Off the handover list, if it was on it (a delete of no item writes nothing)."""
        if booking.kind == "booking":
            writes(unit).delete(
                self._handovers(pk="HANDOVER", sk=f"{to_iso(booking.starts_at)}#{booking.id}")
            )

    def _entry_keys(self, booking: Booking) -> list[tuple[str, str]]:
        sk = f"{to_iso(booking.claim_start)}#{booking.id}"
        months = _months(booking.claim_start, booking.claim_end, self._zone)
        return [(f"CAL#{owner}#{month}", sk) for owner in booking.owners for month in months]

    def _put_entries(self, unit: UnitOfWork, booking: Booking) -> None:
        data = CalendarEntry.of(booking).model_dump_json()
        for pk, sk in self._entry_keys(booking):
            writes(unit).put(self._entries(pk=pk, sk=sk, data=data))

    def _delete_entries(self, unit: UnitOfWork, booking: Booking) -> None:
        for pk, sk in self._entry_keys(booking):
            writes(unit).delete(self._entries(pk=pk, sk=sk))

    def _sheet_keys(self, booking: Booking) -> list[tuple[str, str]]:
        months = _months(booking.claim_start, booking.claim_end, self._zone)
        return [(f"SHEET#{owner}", month) for owner in booking.owners for month in months]

    def _write_sheet(
        self,
        unit: UnitOfWork,
        pk: str,
        sk: str,
        *,
        added: Booking | None = None,
        removed: Booking | None = None,
    ) -> None:
        """The sheet rewritten: the line of `removed` out, the line of `added` in, if its
        version is still the one read."""
        self._load([(pk, sk)])
        version, read = self._read[(pk, sk)]
        lines = read.split("\n") if read else []
        gone = {b.id for b in (removed, added) if b is not None}
        kept = [line for line in lines if line.split("|", 1)[0] not in gone]
        if added is not None:
            kept.append(_sheet_line(added))
        kept.sort(key=lambda line: int(line.split("|", 3)[2]))
        model = self._sheets
        written = "\n".join(kept)
        actions: list[Any] = [
            model.v.set(version + 1),
            model.d.set("\n".join([str(version + 1), *kept])),
            model.c.set(sheet_columns(kept)),
        ]
        self._read[(pk, sk)] = (version, written)
        self._columns.pop((pk, sk), None)
        pending = next((a for u, a in self._pending.get((pk, sk), ()) if u is unit), None)
        if pending is not None:
            # Written before in this unit (one transaction may touch an item once): that
            # write now carries the newest lines.
            pending[:] = actions
            return
        self._pending.setdefault((pk, sk), []).append((unit, actions))
        writes(unit).update(
            model(pk=pk, sk=sk),
            actions=actions,
            condition=model.v.does_not_exist() if version == 0 else model.v == version,
            tag=SHEET,
            on_conflict=_calendar_changed,
        )

    def _claim_item(self, owner: str, moment: datetime) -> ClaimItem:
        return self._claims(pk=f"HOLD#{owner}#{moment.date().isoformat()}", sk=moment.strftime("%H:%M"))

    def _claim(self, unit: UnitOfWork, owner: str, moment: datetime, booking: Booking) -> None:
        model = self._claims
        group = f"{booking.group}@{to_iso(booking.starts_at)}"
        writes(unit).update(
            self._claim_item(owner, moment),
            actions=[model.used.add(1), model.group.set(group)],
            condition=model.used.does_not_exist()
            | (model.used <= 0)
            | ((model.group == group) & (model.used < booking.seats)),
            tag="claim",
            on_conflict=lambda: Problem(409, "Time taken", TAKEN, kind="time-taken"),
        )

    def _release(self, unit: UnitOfWork, owner: str, moment: datetime) -> None:
        writes(unit).update(self._claim_item(owner, moment), actions=[self._claims.used.add(-1)])

    def _regroup(self, unit: UnitOfWork, owner: str, moment: datetime, booking: Booking) -> None:
        model = self._claims
        writes(unit).update(
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
