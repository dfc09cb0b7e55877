"""In-memory fakes of the booking service's stores (services/booking/chalicelib/booking/store/).

Each holds the domain's objects in dicts and passes the contract its DynamoDB store passes
(tests/integration/test_store_contracts_booking.py). The book keeps, as the real one does,
what one request read of the calendars' month sheets: build one `InMemoryBookingBook` per
request over the same `Calendars` to play two requests racing for one owner's month.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.booking.domain.bookings import Booking, CalendarEntry, Handover
from chalicelib.booking.domain.calendar import (
    Busy,
    Holdings,
    Resource,
    StaffMember,
    Zones,
    buckets,
    minute_of,
)
from chalicelib.booking.domain.catalog import Offering, OfferingPage
from chalicelib.booking.domain.policy import BookingPolicy
from chalicelib.booking.domain.pricing import PriceBook
from chalicelib.booking.domain.quotes import Contact, Quote, WidgetSettings
from chalicelib.booking.domain.visits import Known
from chalicelib.booking.store.bookings import CHANGED, SHEET, TAKEN
from chalicelib.booking.store.directory import STAMP
from chalicelib.booking.store.pricing import MERGE_BATCH, StoredQuote

from lanka_platform.clock import to_iso
from lanka_platform.ids import new_id
from lanka_platform.memory import MemoryUnitOfWork, page, staged
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import MAX_TRANSACTION_ITEMS

# ------------------------------------------------------------------------------ the directory

# The tag of the directory's stamp write (`store.directory`): one per unit of work.
_STAMP_TAG = "directory-stamp"


def mark_changed(directory: InMemoryDirectory, unit: UnitOfWork) -> None:
    """A new stamp of `directory`, written with `unit` (once, whatever the unit changes)."""
    if unit.has(_STAMP_TAG):
        return
    stamp = new_id()

    def apply() -> None:
        directory.current_stamp = stamp

    staged(unit).stage(
        apply,
        tag=_STAMP_TAG,
        on_conflict=lambda: Problem.conflict("The booking set-up was changed at the same moment; retry."),
    )


@dataclass
class InMemoryDirectory:
    """`store.directory.Directory` in dicts: staff and resources by id, the zones and the
    policy (each with its version), the stamp of the last change, and the catalog and staff
    this process remembers (its own `known`, not the module-wide cache of the real one)."""

    stamp_key = STAMP

    members: dict[str, StaffMember] = field(default_factory=dict)
    kit: dict[str, Resource] = field(default_factory=dict)
    saved_zones: Zones | None = None
    saved_policy: BookingPolicy | None = None
    current_stamp: str | None = None
    kept: Known | None = None

    def stamp(self) -> str | None:
        return self.current_stamp

    def known(self) -> Known | None:
        return self.kept

    def remember(
        self, stamp: str | None, offerings: Sequence[Offering], staff: Sequence[StaffMember]
    ) -> None:
        if stamp is not None:
            self.kept = Known(stamp, tuple(offerings), tuple(staff))

    def staff(self) -> list[StaffMember]:
        return [self.members[staff_id] for staff_id in sorted(self.members)]

    def member(self, staff_id: str) -> StaffMember | None:
        return self.members.get(staff_id)

    def resources(self) -> list[Resource]:
        return [self.kit[resource_id] for resource_id in sorted(self.kit)]

    def resource(self, resource_id: str) -> Resource | None:
        return self.kit.get(resource_id)

    def save_member(self, unit: UnitOfWork, member: StaffMember, *, new: bool) -> None:
        def apply() -> None:
            self.members[member.id] = member

        self._save(
            unit,
            lambda: self.members.get(member.id),
            apply,
            member.version,
            new=new,
            what="The member of staff",
        )

    def save_resource(self, unit: UnitOfWork, resource: Resource, *, new: bool) -> None:
        def apply() -> None:
            self.kit[resource.id] = resource

        self._save(
            unit, lambda: self.kit.get(resource.id), apply, resource.version, new=new, what="The resource"
        )

    def zones(self) -> Zones:
        return self.saved_zones if self.saved_zones is not None else Zones()

    def policy(self) -> BookingPolicy:
        return self.saved_policy if self.saved_policy is not None else BookingPolicy()

    def save_zones(self, unit: UnitOfWork, zones: Zones) -> None:
        def apply() -> None:
            self.saved_zones = zones

        self._save(
            unit, lambda: self.saved_zones, apply, zones.version, new=zones.version == 1, what="The zones"
        )

    def save_policy(self, unit: UnitOfWork, policy: BookingPolicy) -> None:
        def apply() -> None:
            self.saved_policy = policy

        self._save(
            unit, lambda: self.saved_policy, apply, policy.version, new=policy.version == 1, what="The policy"
        )

    def _save(
        self,
        unit: UnitOfWork,
        stored: Callable[[], StaffMember | Resource | Zones | BookingPolicy | None],
        apply: Callable[[], None],
        version: int,
        *,
        new: bool,
        what: str,
    ) -> None:
        """Optimistic concurrency: `version` is the one being written, one above the stored."""
        mark_changed(self, unit)

        def holds() -> bool:
            current = stored()
            if new:
                return current is None
            return current is not None and current.version == version - 1

        staged(unit).stage(
            apply,
            holds=holds,
            on_conflict=lambda: Problem.conflict(f"{what} was changed meanwhile; read it again and retry."),
        )


# ------------------------------------------------------------------------------ the catalog


@dataclass
class InMemoryOfferingCatalog:
    """`store.catalog.OfferingCatalog` in a dict: the offerings by key; every change stamps
    the directory it shares the table with."""

    directory: InMemoryDirectory = field(default_factory=InMemoryDirectory)
    offerings: dict[str, Offering] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, offering: Offering) -> None:
        mark_changed(self.directory, unit)

        def apply() -> None:
            self.offerings[offering.key] = offering

        staged(unit).stage(
            apply,
            holds=lambda: offering.key not in self.offerings,
            on_conflict=lambda: Problem.conflict(f"A service with the key «{offering.key}» already exists."),
        )

    def replace(self, unit: UnitOfWork, offering: Offering) -> None:
        mark_changed(self.directory, unit)

        def apply() -> None:
            self.offerings[offering.key] = offering

        staged(unit).stage(
            apply,
            holds=lambda: offering.key in self.offerings,
            on_conflict=lambda: Problem.not_found("The service"),
        )

    def get(self, offering_id: str) -> Offering | None:
        return self.offerings.get(offering_id)

    def all(self) -> list[Offering]:
        return [self.offerings[key] for key in sorted(self.offerings)]

    def page(self, limit: int, cursor: str | None) -> OfferingPage:
        items, next_cursor = page(self.all(), cursor, limit, lambda offering: offering.key)
        return OfferingPage(items=items, next_cursor=next_cursor)


# ------------------------------------------------------------------------------ the book


@dataclass(frozen=True)
class Sheet:
    """One owner's local month as availability reads it: its version (0: never written)
    and a row per booking or block whose claim touches the month, in the order of starts."""

    version: int = 0
    rows: tuple[Busy, ...] = ()


@dataclass(frozen=True)
class Claim:
    """One 15-minute bucket of an owner's time: how many hold it, and the group visit (at
    its start) that may share it."""

    used: int
    group: str | None = None


EntryKey = tuple[str, str, datetime, str]  # owner, local month, claim start, booking id


@dataclass
class Calendars:
    """What the booking table holds of bookings and calendars, shared by the books of
    every request."""

    bookings: dict[str, Booking] = field(default_factory=dict)
    entries: dict[EntryKey, CalendarEntry] = field(default_factory=dict)
    claims: dict[tuple[str, datetime], Claim] = field(default_factory=dict)
    sheets: dict[tuple[str, str], Sheet] = field(default_factory=dict)  # owner, local month
    handovers: dict[tuple[str, str], Handover] = field(default_factory=dict)  # start (ISO), booking id


# Besides claims, entries and sheets, a booking's transaction holds up to 7 other items.
_OTHER_ITEMS = 7


@dataclass
class _SheetWrite:
    """A sheet write staged on a unit: later writes of the same unit carry their rows here."""

    rows: tuple[Busy, ...]


class InMemoryBookingBook:
    """`store.bookings.BookingBook` in dicts (`Calendars`): bookings by id, calendar entries,
    claims of 15-minute buckets, month sheets with versions, the handover list.

    Like the real book it is one request's: the sheets it reads are kept (version and rows)
    for the write that follows, which holds only if nobody changed them meanwhile. `directory`
    answers `claims_checked` for the directory's stamp."""

    def __init__(
        self,
        time_zone: str,
        calendars: Calendars | None = None,
        directory: InMemoryDirectory | None = None,
    ) -> None:
        self.time_zone = time_zone
        self.calendars = calendars if calendars is not None else Calendars()
        self.directory = directory if directory is not None else InMemoryDirectory()
        self._zone = ZoneInfo(time_zone)
        self._read: dict[tuple[str, str], Sheet] = {}
        self._pending: dict[tuple[str, str], list[tuple[MemoryUnitOfWork, _SheetWrite]]] = {}

    # reads ---------------------------------------------------------------------------

    def get(self, booking_id: str) -> Booking | None:
        return self.calendars.bookings.get(booking_id)

    def entries(self, owner_id: str, start: datetime, end: datetime) -> list[CalendarEntry]:
        """What `owner_id` holds with a claim starting in [start - 1 day, end] that overlaps
        [start, end), by claim start."""
        found: dict[str, CalendarEntry] = {}
        for month in _months(start, end, self._zone):
            filed = sorted(
                (key for key in self.calendars.entries if key[0] == owner_id and key[1] == month),
                key=lambda key: (to_iso(key[2]), key[3]),
            )
            for key in filed:
                entry = self.calendars.entries[key]
                if not start - timedelta(days=1) <= key[2] <= end:
                    continue
                if entry.claim_end > start and entry.claim_start < end:
                    found[entry.booking_id] = entry
        return sorted(found.values(), key=lambda entry: entry.claim_start)

    def busy(
        self,
        owner_ids: list[str],
        start: datetime,
        end: datetime,
        ignoring: str | None = None,
        *,
        rows: bool = True,
    ) -> dict[str, Holdings]:
        months = _months(start, end, self._zone)
        if not rows and len(months) == 1 and ignoring is None:
            return self._claims_only(owner_ids, months[0])
        self._load([(owner, month) for owner in owner_ids for month in months])
        answer: dict[str, Holdings] = {}
        for owner in owner_ids:
            found = [row for month in months for row in self._read[(owner, month)].rows]
            held = Holdings.of(found)
            if len(months) > 1 or ignoring is not None:
                # A claim across the turn of a month is on both months' sheets.
                seen = {ignoring}
                distinct: list[Busy] = []
                for row in held.busy:
                    if row.booking_id not in seen:
                        seen.add(row.booking_id)
                        distinct.append(row)
                held = Holdings.of(distinct)
            answer[owner] = held
        return answer

    def claims_checked(
        self, owner_ids: list[str], start: datetime, end: datetime, check: tuple[str, str]
    ) -> tuple[dict[str, Holdings], dict[str, Any] | None] | None:
        """The owners' claims and the raw stamp item of the directory (the one item `check`
        may name here); None when [start, end) is not in one month."""
        months = _months(start, end, self._zone)
        if len(months) != 1:
            return None
        if check != self.directory.stamp_key:
            raise ValueError(f"the in-memory book can check the directory's stamp only, not {check}")
        stamp = self.directory.stamp()
        item = None if stamp is None else {"pk": {"S": check[0]}, "sk": {"S": check[1]}, "data": {"S": stamp}}
        return self._claims_only(owner_ids, months[0]), item

    def future_of(self, owner_id: str, now: datetime) -> list[str]:
        local_now = now.astimezone(self._zone)
        first = f"{local_now.year:04d}-{local_now.month:02d}"
        found: dict[str, None] = {}
        for (owner, month), sheet in sorted(self.calendars.sheets.items(), key=lambda item: item[0]):
            if owner != owner_id or month < first:
                continue
            for row in sheet.rows:
                if row.kind == "booking" and row.start >= minute_of(now):
                    found[str(row.booking_id)] = None
        return list(found)

    def flag(self, unit: UnitOfWork, handover: Handover) -> None:
        def apply() -> None:
            self.calendars.handovers[(to_iso(handover.starts_at), handover.booking_id)] = handover

        staged(unit).stage(apply)

    def handovers(self, limit: int = 200) -> list[Handover]:
        listed = self.calendars.handovers
        return [listed[key] for key in sorted(listed)][:limit]

    def of_client(self, client_id: str, limit: int = 40) -> list[Booking]:
        theirs = [booking for booking in self.calendars.bookings.values() if booking.client_id == client_id]
        theirs.sort(key=lambda booking: (to_iso(booking.starts_at), booking.id), reverse=True)
        return theirs[:limit]

    # writes --------------------------------------------------------------------------

    def add(self, unit: UnitOfWork, booking: Booking) -> None:
        memory = staged(unit)

        def apply() -> None:
            self.calendars.bookings[booking.id] = booking

        memory.stage(apply, holds=lambda: booking.id not in self.calendars.bookings)
        self._put_entries(memory, booking)
        claims = sorted(_claims_of(booking))
        sheets = self._sheet_keys(booking)
        self._load(sheets)
        self._check_size(len(claims) + len(self._entry_keys(booking)) + len(sheets))
        for owner, moment in claims:
            self._claim(memory, owner, moment, booking)
        for key in sheets:
            self._write_sheet(memory, key, added=booking)

    def move(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        memory = staged(unit)
        self._replace(memory, before, after)
        self._unflag(memory, before)
        kept = set(self._entry_keys(after))
        for key in self._entry_keys(before):
            if key not in kept:
                self._delete_entry(memory, key)
        self._put_entries(memory, after)
        old, new = _claims_of(before), _claims_of(after)
        entries = set(self._entry_keys(before)) | kept
        sheets_before, sheets_after = self._sheet_keys(before), self._sheet_keys(after)
        sheets = set(sheets_before) | set(sheets_after)
        self._load(sorted(sheets))
        self._check_size(len(old | new) + len(entries) + len(sheets))
        for owner, moment in sorted(old - new):
            self._release(memory, owner, moment)
        for owner, moment in sorted(new - old):
            self._claim(memory, owner, moment, after)
        if after.seats > 1:
            for owner, moment in sorted(old & new):
                self._regroup(memory, owner, moment, after)
        for key in sorted(sheets):
            self._write_sheet(
                memory,
                key,
                added=after if key in sheets_after else None,
                removed=before if key in sheets_before else None,
            )

    def cancel(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        memory = staged(unit)
        self._replace(memory, before, after)
        self._unflag(memory, before)
        for key in self._entry_keys(before):
            self._delete_entry(memory, key)
        for owner in before.owners:
            for moment in buckets(before.claim_start, before.claim_end):
                self._release(memory, owner, moment)
        self._load(self._sheet_keys(before))
        for key in self._sheet_keys(before):
            self._write_sheet(memory, key, removed=before)

    def update(self, unit: UnitOfWork, before: Booking, after: Booking) -> None:
        memory = staged(unit)
        self._replace(memory, before, after)
        if after.status == "confirmed":
            self._put_entries(memory, after)

    # ---------------------------------------------------------------------------------

    def _load(self, keys: Iterable[tuple[str, str]]) -> None:
        for key in keys:
            if key not in self._read:
                self._read[key] = self.calendars.sheets.get(key, Sheet())

    def _claims_only(self, owner_ids: list[str], month: str) -> dict[str, Holdings]:
        """The owners' claims as they are now, not kept for a write; a sheet read so has no
        rows to give (the real book reads only its claims' columns)."""
        answer: dict[str, Holdings] = {}
        for owner in owner_ids:
            sheet = self.calendars.sheets.get((owner, month))
            if sheet is None:
                answer[owner] = Holdings.of([])
                continue
            answer[owner] = Holdings(
                [row.claim_start for row in sheet.rows],
                [row.claim_end for row in sheet.rows],
                [row.start for row in sheet.rows if row.kind == "booking"],
                _no_rows,
            )
        return answer

    def _replace(self, memory: MemoryUnitOfWork, before: Booking, after: Booking) -> None:
        def holds() -> bool:
            stored = self.calendars.bookings.get(after.id)
            return stored is not None and stored.version == before.version

        def apply() -> None:
            self.calendars.bookings[after.id] = after

        memory.stage(
            apply,
            holds=holds,
            on_conflict=lambda: Problem.conflict(
                "The booking was changed meanwhile; read it again and retry."
            ),
        )

    def _unflag(self, memory: MemoryUnitOfWork, booking: Booking) -> None:
        """Off the handover list, if it was on it."""
        if booking.kind != "booking":
            return
        key = (to_iso(booking.starts_at), booking.id)

        def apply() -> None:
            self.calendars.handovers.pop(key, None)

        memory.stage(apply)

    def _entry_keys(self, booking: Booking) -> list[EntryKey]:
        months = _months(booking.claim_start, booking.claim_end, self._zone)
        return [
            (owner, month, booking.claim_start, booking.id) for owner in booking.owners for month in months
        ]

    def _put_entries(self, memory: MemoryUnitOfWork, booking: Booking) -> None:
        entry = CalendarEntry.of(booking)
        for key in self._entry_keys(booking):
            self._put_entry(memory, key, entry)

    def _put_entry(self, memory: MemoryUnitOfWork, key: EntryKey, entry: CalendarEntry) -> None:
        def apply() -> None:
            self.calendars.entries[key] = entry

        memory.stage(apply)

    def _delete_entry(self, memory: MemoryUnitOfWork, key: EntryKey) -> None:
        def apply() -> None:
            self.calendars.entries.pop(key, None)

        memory.stage(apply)

    def _sheet_keys(self, booking: Booking) -> list[tuple[str, str]]:
        months = _months(booking.claim_start, booking.claim_end, self._zone)
        return [(owner, month) for owner in booking.owners for month in months]

    def _write_sheet(
        self,
        memory: MemoryUnitOfWork,
        key: tuple[str, str],
        *,
        added: Booking | None = None,
        removed: Booking | None = None,
    ) -> None:
        """The sheet rewritten from what this book read: the row of `removed` out, the row
        of `added` in, if its version is still the one read."""
        self._load([key])
        read = self._read[key]
        gone = {booking.id for booking in (removed, added) if booking is not None}
        kept = [row for row in read.rows if row.booking_id not in gone]
        if added is not None:
            kept.append(_row(added))
        kept.sort(key=lambda row: row.start)
        rows = tuple(kept)
        self._read[key] = Sheet(read.version, rows)
        pending = next((write for unit, write in self._pending.get(key, ()) if unit is memory), None)
        if pending is not None:
            # Written before in this unit: that write now carries the newest rows.
            pending.rows = rows
            return
        write = _SheetWrite(rows)
        self._pending.setdefault(key, []).append((memory, write))
        version = read.version

        def holds() -> bool:
            return self.calendars.sheets.get(key, Sheet()).version == version

        def apply() -> None:
            self.calendars.sheets[key] = Sheet(version + 1, write.rows)

        memory.stage(apply, holds=holds, tag=SHEET, on_conflict=_calendar_changed)

    def _claim(self, memory: MemoryUnitOfWork, owner: str, moment: datetime, booking: Booking) -> None:
        group = f"{booking.group}@{to_iso(booking.starts_at)}"
        key = (owner, moment)

        def holds() -> bool:
            claim = self.calendars.claims.get(key)
            return claim is None or claim.used <= 0 or (claim.group == group and claim.used < booking.seats)

        def apply() -> None:
            claim = self.calendars.claims.get(key, Claim(0))
            self.calendars.claims[key] = Claim(claim.used + 1, group)

        memory.stage(
            apply,
            holds=holds,
            tag="claim",
            on_conflict=lambda: Problem(409, "Time taken", TAKEN, kind="time-taken"),
        )

    def _release(self, memory: MemoryUnitOfWork, owner: str, moment: datetime) -> None:
        key = (owner, moment)

        def apply() -> None:
            claim = self.calendars.claims.get(key, Claim(0))
            self.calendars.claims[key] = Claim(claim.used - 1, claim.group)

        memory.stage(apply)

    def _regroup(self, memory: MemoryUnitOfWork, owner: str, moment: datetime, booking: Booking) -> None:
        key = (owner, moment)
        group = f"{booking.group}@{to_iso(booking.starts_at)}"

        def holds() -> bool:
            claim = self.calendars.claims.get(key)
            return claim is not None and claim.used == 1

        def apply() -> None:
            self.calendars.claims[key] = Claim(self.calendars.claims[key].used, group)

        memory.stage(
            apply,
            holds=holds,
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


def _calendar_changed() -> Problem:
    return Problem(409, "Calendar changed", CHANGED, kind="calendar-changed")


def _no_rows() -> list[Busy]:
    raise AssertionError("the rows of a sheet read for its claims only")


def _claims_of(booking: Booking) -> set[tuple[str, datetime]]:
    return {
        (owner, moment)
        for owner in booking.owners
        for moment in buckets(booking.claim_start, booking.claim_end)
    }


def _row(booking: Booking) -> Busy:
    """A booking's row on a sheet, in minutes since the epoch."""
    start = minute_of(booking.starts_at)
    end = start + minute_of(booking.ends_at) - minute_of(booking.starts_at)
    return Busy(
        start=start,
        end=end,
        claim_start=start - booking.before_minutes,
        claim_end=end + booking.after_minutes,
        kind="block" if booking.kind == "block" else "booking",
        on_site=booking.on_site,
        zone=booking.zone or None,
        group=(booking.group if booking.seats > 1 else "") or None,
        booking_id=booking.id,
    )


def _months(start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    """The local months (YYYY-MM) that [start, end) touches."""
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    months = []
    cursor = date(first.year, first.month, 1)
    while cursor <= last:
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


# ------------------------------------------------------------------------------ pricing


@dataclass
class InMemoryPriceBooks:
    """`store.pricing.PriceBooks` in a dict: every saved version, and the current one (a copy
    of the latest, written with it)."""

    saved: dict[int, PriceBook] = field(default_factory=dict)
    latest: PriceBook | None = None

    def current(self) -> PriceBook | None:
        return self.latest

    def version(self, version: int) -> PriceBook | None:
        return self.saved.get(version)

    def save(self, unit: UnitOfWork, book: PriceBook) -> None:
        stale = Problem.conflict(
            "The price book was changed meanwhile; reload it and apply your changes again.",
            current_version=book.version - 1,
        )

        def current_holds() -> bool:
            if book.version == 1:
                return self.latest is None
            return self.latest is not None and self.latest.version == book.version - 1

        def make_current() -> None:
            self.latest = book

        def keep() -> None:
            self.saved[book.version] = book

        memory = staged(unit)
        memory.stage(make_current, holds=current_holds, on_conflict=lambda: stale)
        memory.stage(keep, holds=lambda: book.version not in self.saved, on_conflict=lambda: stale)


@dataclass
class InMemoryQuotes:
    """`store.pricing.Quotes` in dicts: each quote with its contact details and revision, the
    lists of a client's and a deal's quotes (`("CLIENT", id)`, `("DEAL", id)`), and the list
    of quotes that keep contact details no client holds yet (quote id -> created at)."""

    quotes: dict[str, StoredQuote] = field(default_factory=dict)
    lists: dict[tuple[str, str], dict[str, datetime]] = field(default_factory=dict)
    unlinked: dict[str, datetime] = field(default_factory=dict)

    def get(self, quote_id: str) -> StoredQuote | None:
        return self.quotes.get(quote_id)

    def add(self, unit: UnitOfWork, quote: Quote, contact: Contact) -> None:
        def apply() -> None:
            self.quotes[quote.id] = StoredQuote(quote=quote, contact=contact, revision=1)

        def list_unlinked() -> None:
            self.unlinked[quote.id] = quote.created_at

        memory = staged(unit)
        memory.stage(apply, holds=lambda: quote.id not in self.quotes)
        memory.stage(list_unlinked)

    def forget_contacts(self, unit: UnitOfWork, created_before: datetime, limit: int = MERGE_BATCH) -> int:
        cutoff = to_iso(created_before)
        refs = [
            quote_id
            for quote_id in _in_order(self.unlinked)
            if f"{to_iso(self.unlinked[quote_id])}#{quote_id}" < cutoff
        ][:limit]
        dropped = set()
        for quote_id in refs:
            stored = self.quotes.get(quote_id)
            if stored is not None and stored.contact is not None:
                self.replace(unit, stored, stored.quote, None)  # which takes it off the list
                dropped.add(quote_id)
        for quote_id in refs:
            if quote_id not in dropped:
                self._unlist_contact(staged(unit), quote_id)
        return len(refs)

    def replace(self, unit: UnitOfWork, stored: StoredQuote, quote: Quote, contact: Contact | None) -> None:
        memory = staged(unit)

        def holds() -> bool:
            current = self.quotes.get(quote.id)
            return current is not None and current.revision == stored.revision

        def apply() -> None:
            self.quotes[quote.id] = StoredQuote(quote=quote, contact=contact, revision=stored.revision + 1)

        memory.stage(
            apply,
            holds=holds,
            on_conflict=lambda: Problem.conflict("The quote was changed meanwhile; reload it."),
        )
        for kind, owner, before in (
            ("CLIENT", quote.client_id, stored.quote.client_id),
            ("DEAL", quote.deal_id, stored.quote.deal_id),
        ):
            if owner and before != owner:
                self._list(memory, (kind, owner), quote)
        if stored.contact is not None and contact is None:
            self._unlist_contact(memory, quote.id)

    def repoint_client(self, unit: UnitOfWork, merged_id: str, survivor_id: str) -> int:
        listed = ("CLIENT", merged_id)
        refs = _in_order(self.lists.get(listed, {}))[:MERGE_BATCH]
        for quote_id in refs:
            stored = self.quotes.get(quote_id)
            if stored is not None:
                moved = stored.quote.model_copy(update={"client_id": survivor_id})
                self.replace(unit, stored, moved, stored.contact)
        for quote_id in refs:
            self._unlist(staged(unit), listed, quote_id)
        return len(refs)

    def page_of(
        self, kind: str, owner: str, limit: int, cursor: str | None
    ) -> tuple[list[Quote], str | None]:
        newest_first = list(reversed(_in_order(self.lists.get((kind, owner), {}))))
        ids, next_cursor = page(newest_first, cursor, limit, lambda quote_id: quote_id)
        return [self.quotes[quote_id].quote for quote_id in ids if quote_id in self.quotes], next_cursor

    def _list(self, memory: MemoryUnitOfWork, listed: tuple[str, str], quote: Quote) -> None:
        def apply() -> None:
            self.lists.setdefault(listed, {})[quote.id] = quote.created_at

        memory.stage(apply)

    def _unlist(self, memory: MemoryUnitOfWork, listed: tuple[str, str], quote_id: str) -> None:
        def apply() -> None:
            self.lists.get(listed, {}).pop(quote_id, None)

        memory.stage(apply)

    def _unlist_contact(self, memory: MemoryUnitOfWork, quote_id: str) -> None:
        def apply() -> None:
            self.unlinked.pop(quote_id, None)

        memory.stage(apply)


def _in_order(listed: dict[str, datetime]) -> list[str]:
    """Quote ids by when they were made (then by id), oldest first: a list's key order."""
    return sorted(listed, key=lambda quote_id: (to_iso(listed[quote_id]), quote_id))


@dataclass
class InMemoryWidgetSettings:
    """`store.pricing.WidgetSettingsStore` in one field: the settings saved last, if any."""

    settings: WidgetSettings | None = None

    def get(self) -> WidgetSettings:
        return self.settings if self.settings is not None else WidgetSettings()

    def save(self, unit: UnitOfWork, settings: WidgetSettings) -> None:
        def apply() -> None:
            self.settings = settings

        staged(unit).stage(apply)
