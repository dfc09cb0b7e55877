"""Making, moving and cancelling visits: availability read from the calendars, the choice
of a specialist, the claim on their time, and the events every change announces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from chalicelib.booking.domain import invite
from chalicelib.booking.domain.bookings import Booking
from chalicelib.booking.domain.calendar import (
    Calendar,
    DayOffers,
    Holdings,
    Resource,
    Situation,
    StaffMember,
    Visit,
    Zones,
    available_slots,
    free_resources,
    local_day,
    minute_of,
    offered,
    on_grid,
    visit_of,
)
from chalicelib.booking.domain.catalog import Catalog, Offering, offerings_by_keys
from chalicelib.booking.domain.policy import BookingPolicy

from lanka_platform import links
from lanka_platform.contracts import booking as events
from lanka_platform.events import envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem


@dataclass(frozen=True)
class Known:
    """The catalog and the staff as they were at one stamp of the directory."""

    stamp: str
    offerings: tuple[Offering, ...]
    staff: tuple[StaffMember, ...]


class Directory(Protocol):
    """The specialists, resources and travel zones, and the stamp of their last change."""

    stamp_key: tuple[str, str]

    def stamp(self) -> str | None: ...
    def known(self) -> Known | None: ...
    def remember(
        self, stamp: str | None, offerings: Sequence[Offering], staff: Sequence[StaffMember]
    ) -> None: ...
    def staff(self) -> list[StaffMember]: ...
    def member(self, staff_id: str) -> StaffMember | None: ...
    def resources(self) -> list[Resource]: ...
    def zones(self) -> Zones: ...


class Book(Protocol):
    """The bookings and the calendars' sheets they claim time on."""

    def busy(
        self,
        owner_ids: list[str],
        start: datetime,
        end: datetime,
        ignoring: str | None = None,
        *,
        rows: bool = True,
    ) -> dict[str, Holdings]: ...
    def claims_checked(
        self, owner_ids: list[str], start: datetime, end: datetime, check: tuple[str, str]
    ) -> tuple[dict[str, Holdings], dict[str, Any] | None] | None: ...
    def move(self, unit: UnitOfWork, before: Booking, after: Booking) -> None: ...
    def cancel(self, unit: UnitOfWork, before: Booking, after: Booking) -> None: ...


MANAGE = "booking-manage"
# A manage link works until a week after the visit.
LINK_LIFETIME_AFTER_VISIT = timedelta(days=7)


@dataclass(frozen=True)
class Desk:
    """What the booking rules work with: the calendars, the directory, the clock."""

    catalog: Catalog
    directory: Directory
    book: Book
    now: datetime
    time_zone: str
    link_secret: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def situation(
        self,
        visit: Visit,
        first: date,
        last: date,
        *,
        staff_id: str | None = None,
        visit_zone: str | None = None,
        ignoring: str | None = None,
        claims_only: bool = False,
        staff: Sequence[StaffMember] | None = None,
    ) -> Situation:
        """The calendars a visit may use over local days [first, last]: the sheets of every
        specialist and resource it may use, in one read. `claims_only`: a look that writes
        nothing after and reads no whole rows (see `Visit.reads_rows`)."""
        start, end = self._range(first, last)
        members = _able(self.directory.staff() if staff is None else staff, visit, staff_id)
        holders = []
        if visit.resource_kinds:
            holders = [r for r in self.directory.resources() if r.active and r.kind in visit.resource_kinds]
        busy = self.book.busy(
            [m.id for m in members] + [r.id for r in holders], start, end, ignoring, rows=not claims_only
        )
        calendars = [(m, Calendar(m.id, m.hours, busy[m.id])) for m in members]
        resources: dict[str, list[Calendar]] = {}
        for resource in holders:
            calendar = Calendar(resource.id, resource.hours, busy[resource.id])
            resources.setdefault(resource.kind, []).append(calendar)
        zones = self.directory.zones() if visit.on_site else Zones()
        return Situation(self.now, self.time_zone, calendars, dict(resources), zones, visit_zone)

    def known_situation(
        self, known: Known, visit: Visit, first: date, last: date, staff_id: str | None
    ) -> Situation | None:
        """The calendars of a visit that reads no whole rows, its specialists taken from
        `known`; None if the stamp moved since (or the days span two months)."""
        start, end = self._range(first, last)
        members = _able(known.staff, visit, staff_id)
        read = self.book.claims_checked([m.id for m in members], start, end, self.directory.stamp_key)
        if read is None:
            return None
        busy, stamp = read
        if stamp is None or stamp["data"]["S"] != known.stamp:
            return None
        calendars = [(m, Calendar(m.id, m.hours, busy[m.id])) for m in members]
        return Situation(self.now, self.time_zone, calendars, {}, Zones(), None)

    def _range(self, first: date, last: date) -> tuple[datetime, datetime]:
        """Local midnights: the months of the range are the months of its days (a claim that
        crosses into a month is also filed under it, see the store)."""
        start = datetime.combine(first, datetime.min.time(), tzinfo=self.zone)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=self.zone)
        return start, end


def _able(staff: Sequence[StaffMember], visit: Visit, staff_id: str | None) -> list[StaffMember]:
    return [m for m in staff if m.can_do(visit.skills) and (staff_id is None or m.id == staff_id)]


def slots(
    desk: Desk, keys: list[str], first: date, days: int, staff_id: str | None, visit_zone: str | None
) -> tuple[Visit, list[DayOffers]]:
    """The visit of the services `keys` and its free starts over `days` days from `first`.

    A warm process that knows the catalog and the staff (see `Directory.known`) reads only
    their stamp, with the calendars, and reads them again only if the stamp moved."""
    wanted = [first + timedelta(days=n) for n in range(days)]
    known = desk.directory.known()
    if known is not None:
        try:
            visit: Visit | None = visit_of(offerings_by_keys(known.offerings, keys))
        except Problem:
            visit = None  # perhaps added since: read the catalog again
        if visit is not None and not visit.reads_rows:
            _refuse_choice(visit, staff_id)
            situation = desk.known_situation(known, visit, wanted[0], wanted[-1], staff_id)
            if situation is not None:
                return visit, available_slots(visit, wanted, situation)
    stamp = desk.directory.stamp()
    offerings = desk.catalog.all()
    staff = desk.directory.staff()
    desk.directory.remember(stamp, offerings, staff)
    visit = visit_of(offerings_by_keys(offerings, keys))
    _refuse_choice(visit, staff_id)
    situation = desk.situation(
        visit,
        wanted[0],
        wanted[-1],
        staff_id=staff_id,
        visit_zone=visit_zone,
        claims_only=not visit.reads_rows,
        staff=staff,
    )
    return visit, available_slots(visit, wanted, situation)


def _refuse_choice(visit: Visit, staff_id: str | None) -> None:
    if staff_id is not None and not visit.allows_staff_choice:
        raise Problem.invalid(
            [{"field": "staff_id", "message": "This service is booked with any specialist.", "in": "query"}]
        )


@dataclass(frozen=True)
class Choice:
    member: StaffMember
    resource_ids: list[str]


def choose(
    desk: Desk,
    visit: Visit,
    start: datetime,
    staff_id: str | None,
    visit_zone: str | None,
    *,
    ignoring: str | None = None,
    field: str = "start",
) -> Choice:
    """Who takes a visit at `start`: the chosen specialist, or the least booked free one.

    422 for a start no one could take (past, too soon, too far, outside working hours);
    409 when it could be taken but the time is held already."""

    def invalid(message: str) -> Problem:
        return Problem.invalid([{"field": field, "message": message, "in": "body"}])

    if start < desk.now:
        raise invalid("Цей час уже минув. / This time has passed.")
    if start < desk.now + visit.min_notice:
        hours = int(visit.min_notice.total_seconds() // 3600)
        raise invalid(f"Запис можливий не раніше ніж за {hours} год. / Book at least {hours} h ahead.")
    if start > desk.now + visit.horizon:
        raise invalid(
            f"Запис можливий на {visit.horizon.days} днів уперед. "
            f"/ Book at most {visit.horizon.days} days ahead."
        )
    day = local_day(start, desk.time_zone)
    situation = desk.situation(visit, day, day, staff_id=staff_id, visit_zone=visit_zone, ignoring=ignoring)
    if staff_id is not None and not situation.staff:
        raise Problem.invalid(
            [{"field": "staff_id", "message": "No such specialist for this service.", "in": "body"}]
        )
    minute = minute_of(start)
    working = [(m, c) for m, c in situation.staff if on_grid(visit, c, minute, day)]
    if not working:
        raise invalid("Цей час поза робочими годинами. / This time is outside working hours.")
    zone = desk.zone
    free = sorted(
        (
            (c.bookings_on(zone, day), m.id, m, c)
            for m, c in working
            if offered(visit, situation, c, minute, day)
        ),
        key=lambda row: (row[0], row[1]),
    )
    if not free:
        raise Problem(409, "Time taken", _TAKEN, kind="time-taken")
    member = free[0][2]
    end = minute + visit.minutes[0]
    resource_ids = free_resources(visit, situation, minute, end, day) or []
    return Choice(member, resource_ids)


_TAKEN = "Цей час уже зайнятий — оберіть, будь ласка, інший. / This time is taken; please choose another one."


def new_booking(
    booking_id: str,
    visit: Visit,
    offerings: Sequence[Offering],
    choice: Choice,
    start: datetime,
    now: datetime,
    **fields: object,
) -> Booking:
    start = start.astimezone(UTC)
    return Booking(
        id=booking_id,
        services=list(visit.keys),
        service_names=[o.name for o in offerings],
        starts_at=start,
        ends_at=start + visit.duration,
        before_minutes=int(visit.before.total_seconds() // 60),
        after_minutes=int(visit.after.total_seconds() // 60),
        staff_id=choice.member.id,
        staff_name=choice.member.name,
        resource_ids=choice.resource_ids,
        on_site=visit.on_site,
        group=visit.group,
        seats=visit.seats,
        price=visit.price,
        created_at=now,
        **fields,
    )


def visit_of_booking(desk: Desk, booking: Booking) -> tuple[Visit, list[Offering]]:
    offerings = [desk.catalog.get(key) for key in booking.services]
    known = [o for o in offerings if o is not None]
    if len(known) != len(offerings):
        raise Problem.conflict("A service of this booking is no longer offered; book anew.")
    return visit_of(known), known


def move(
    unit: UnitOfWork,
    desk: Desk,
    policy: BookingPolicy,
    booking: Booking,
    start: datetime,
    staff_id: str | None,
    *,
    by_client: bool,
) -> Booking:
    """Move a booking to `start` (with `staff_id`, or keeping its specialist when free, or
    any free one): the old time is released and the new claimed in one transaction."""
    if booking.status != "confirmed":
        raise Problem.conflict("Цей запис уже скасовано. / This booking is already cancelled.")
    if booking.kind == "block":
        raise Problem.conflict("A block does not move: cancel it and block the new time.")
    visit, _ = visit_of_booking(desk, booking)
    try:
        choice = choose(desk, visit, start, staff_id or booking.staff_id, booking.zone, ignoring=booking.id)
    except Problem as problem:
        # The visitor did not choose: another free specialist will do.
        if staff_id is not None or problem.status not in (409, 422):
            raise
        choice = choose(desk, visit, start, None, booking.zone, ignoring=booking.id)
    start = start.astimezone(UTC)
    after = booking.model_copy(
        update={
            "starts_at": start,
            "ends_at": start + visit.duration,
            "before_minutes": int(visit.before.total_seconds() // 60),
            "after_minutes": int(visit.after.total_seconds() // 60),
            "staff_id": choice.member.id,
            "staff_name": choice.member.name,
            "resource_ids": choice.resource_ids,
            "sequence": booking.sequence + 1,
            "version": booking.version + 1,
        }
    )
    desk.book.move(unit, booking, after)
    announce_moved(unit, desk, policy, booking, after, by_client=by_client)
    return after


def cancel(
    unit: UnitOfWork, desk: Desk, policy: BookingPolicy, booking: Booking, *, by_client: bool
) -> Booking:
    if booking.status != "confirmed":
        raise Problem.conflict("Цей запис уже скасовано. / This booking is already cancelled.")
    after = booking.model_copy(
        update={"status": "cancelled", "sequence": booking.sequence + 1, "version": booking.version + 1}
    )
    desk.book.cancel(unit, booking, after)
    announce_cancelled(unit, desk, policy, after, by_client=by_client)
    return after


# ------------------------------------------------------------------------ manage links


def manage_token(secret: str, booking: Booking) -> str:
    expires = int((booking.ends_at + LINK_LIFETIME_AFTER_VISIT).timestamp())
    return f"{expires}.{links.sign(secret, MANAGE, f'{booking.id}.{expires}')}"


def manage_url(desk: Desk, policy: BookingPolicy, booking: Booking) -> str:
    token = manage_token(desk.link_secret, booking)
    return f"{policy.public_api_url.rstrip('/')}/public/bookings/{booking.id}?token={token}"


def check_token(desk: Desk, booking_id: str, token: str | None) -> None:
    """403 for a tampered, foreign or expired manage link."""
    expires, _, signature = (token or "").partition(".")
    refused = Problem.forbidden("Посилання недійсне або застаріле. / This link is not valid or has expired.")
    if not expires.isdigit() or not links.verify(
        desk.link_secret, MANAGE, f"{booking_id}.{expires}", signature
    ):
        raise refused
    if int(expires) < desk.now.timestamp():
        raise refused


def within_policy(desk: Desk, policy: BookingPolicy, booking: Booking) -> None:
    """409 when a visitor tries to change a visit inside the company's window."""
    if booking.status != "confirmed":
        raise Problem.conflict("Цей запис уже скасовано. / This booking is already cancelled.")
    if booking.starts_at - desk.now < timedelta(hours=policy.change_window_hours):
        hours = policy.change_window_hours
        raise Problem.conflict(
            f"Скасувати чи перенести візит можна не пізніше ніж за {hours} год до початку — "
            "зателефонуйте нам, будь ласка. "
            f"/ A visit can be cancelled or moved no later than {hours} h before it starts; please call us."
        )


# ------------------------------------------------------------------------ events


def subject(booking: Booking, time_zone: str) -> str:
    """«Замір, 03.12 10:00»"""
    return f"{booking.subject_name}, {booking.starts_at.astimezone(ZoneInfo(time_zone)):%d.%m %H:%M}"


def announce_created(unit: UnitOfWork, desk: Desk, policy: BookingPolicy, booking: Booking) -> None:
    if booking.kind != "booking" or booking.client_id is None or booking.status != "confirmed":
        return
    url = manage_url(desk, policy, booking)
    unit.emit(
        envelope(
            events.BookingCreated(
                booking_id=booking.id,
                client_id=booking.client_id,
                deal_id=booking.deal_id,
                service=booking.services[0],
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                staff_id=_user_of(desk, booking.staff_id),
                request_id=booking.request_id,
                service_name=booking.subject_name,
                address=booking.address,
                sequence=booking.sequence,
                manage_url=url,
                ics=_ics(desk, policy, booking, "REQUEST", url),
                reminder_offsets_minutes=policy.reminder_offsets_minutes,
            )
        )
    )


def announce_moved(
    unit: UnitOfWork, desk: Desk, policy: BookingPolicy, before: Booking, after: Booking, *, by_client: bool
) -> None:
    if after.kind != "booking" or after.client_id is None:
        return
    url = manage_url(desk, policy, after)
    unit.emit(
        envelope(
            events.BookingRescheduled(
                booking_id=after.id,
                client_id=after.client_id,
                deal_id=after.deal_id,
                service=after.services[0],
                starts_at=after.starts_at,
                ends_at=after.ends_at,
                previous_starts_at=before.starts_at,
                staff_id=_user_of(desk, after.staff_id),
                previous_staff_id=_user_of(desk, before.staff_id),
                service_name=after.subject_name,
                address=after.address,
                sequence=after.sequence,
                manage_url=url,
                ics=_ics(desk, policy, after, "REQUEST", url),
                by_client=by_client,
                reminder_offsets_minutes=policy.reminder_offsets_minutes,
            )
        )
    )


def announce_cancelled(
    unit: UnitOfWork, desk: Desk, policy: BookingPolicy, booking: Booking, *, by_client: bool
) -> None:
    if booking.kind != "booking" or booking.client_id is None:
        return
    unit.emit(
        envelope(
            events.BookingCancelled(
                booking_id=booking.id,
                client_id=booking.client_id,
                deal_id=booking.deal_id,
                service=booking.services[0],
                starts_at=booking.starts_at,
                staff_id=_user_of(desk, booking.staff_id),
                by_client=by_client,
                service_name=booking.subject_name,
                sequence=booking.sequence,
                ics=_ics(desk, policy, booking, "CANCEL", None),
            )
        )
    )


def _ics(
    desk: Desk, policy: BookingPolicy, booking: Booking, method: Literal["REQUEST", "CANCEL"], url: str | None
) -> str:
    return invite.invite(
        booking,
        method=method,
        organizer_name=policy.company_name,
        organizer_email=policy.company_email,
        manage_url=url,
        stamp=desk.now,
    )


def _user_of(desk: Desk, staff_id: str | None) -> str | None:
    """The events name the staff user (deals assigns the job to them), not the calendar id."""
    if staff_id is None:
        return None
    member = desk.directory.member(staff_id)
    return member.user_id if member is not None and member.user_id else staff_id
