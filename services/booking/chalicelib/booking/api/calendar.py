"""Staff calendars: bookings made, moved and cancelled by staff, blocked time, and the
calendar of a specialist or a resource over a day to a month.

Every time these routes answer with is in the company's zone (Europe/Kyiv) with its offset,
e.g. `2027-03-29T10:00:00+03:00`: what the office reads is the wall-clock time, and the
offset (+02:00 in winter, +03:00 in summer) keeps it an exact instant. Stored times are UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from chalicelib.booking.desk import TableDesk, desk_of
from chalicelib.booking.domain import visits
from chalicelib.booking.domain.bookings import Booking, CalendarEntry, Handover
from chalicelib.booking.domain.calendar import visit_of
from chalicelib.booking.domain.catalog import KEY_PATTERN, offerings_by_keys
from chalicelib.booking.service import service
from chalicelib.booking.store.bookings import SHEETS
from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from lanka_platform.api import Call
from lanka_platform.auth import OFFICE, Principal
from lanka_platform.ids import new_id
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema


class StaffBookingBody(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    services: list[str] = Field(min_length=1, max_length=5)
    start: AwareDatetime
    staff_id: str | None = Field(default=None, max_length=40, description="None: the least booked free one")
    client_id: str = Field(min_length=1, max_length=40)
    deal_id: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)
    zone: str | None = Field(default=None, pattern=KEY_PATTERN)
    note: str | None = Field(default=None, max_length=2000)


class MoveBody(Schema):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime
    staff_id: str | None = Field(default=None, max_length=40)
    version: int = Field(ge=1, description="The version you read")


class CancelBody(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)


class BlockBody(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    owner_id: str = Field(min_length=1, max_length=40, description="A member of staff or a resource")
    start: AwareDatetime
    end: AwareDatetime
    note: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _ordered(self) -> BlockBody:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end - self.start > timedelta(hours=16):
            raise ValueError("block at most 16 hours at once")
        return self


class CalendarQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    owner_id: str = Field(min_length=1, max_length=40)
    from_: date = Field(alias="from")
    days: int = Field(default=7, ge=1, le=31)


class CalendarView(Schema):
    owner_id: str
    time_zone: str
    items: list[CalendarEntry]


@service.route("/bookings", "POST", body=StaffBookingBody, response=Booking, status=201, roles=OFFICE,
               idempotent=True, problems=[409], retried=SHEETS)  # fmt: skip
def book_for_client(call: Call, body: StaffBookingBody) -> Booking:
    """Book a visit for a known client (from a deal card): announced at once."""
    desk = desk_of(call.store)
    offerings = offerings_by_keys(desk.catalog.all(), body.services)
    visit = visit_of(offerings)
    if visit.on_site and not body.address:
        raise Problem.invalid(
            [{"field": "address", "message": "Give the address of the visit.", "in": "body"}]
        )
    choice = visits.choose(desk, visit, body.start, body.staff_id, body.zone)
    booking = visits.new_booking(
        new_id(), visit, offerings, choice, body.start, desk.now,
        client_id=body.client_id, deal_id=body.deal_id, address=body.address, zone=body.zone,
        note=body.note, source="staff", created_by=call.user.user_id,
    )  # fmt: skip
    desk.book.add(call.unit, booking)
    visits.announce_created(call.unit, desk, desk.directory.policy(), booking)
    return _shown(desk, booking)


class BookingsQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, max_length=40)
    deal_id: str | None = Field(default=None, min_length=1, max_length=40)
    limit: int = Field(default=20, ge=1, le=40)


class ClientBookings(Schema):
    items: list[Booking]


@service.route("/bookings", query=BookingsQuery, response=ClientBookings, roles=OFFICE)
def client_bookings(call: Call, query: BookingsQuery) -> ClientBookings:
    """A client's bookings, the latest start first, cancelled ones included (their status
    says so); with `deal_id`, only those made for that deal among the client's latest 40.
    One Query of the client index (office staff: the deal card and the client card)."""
    desk = desk_of(call.store)
    found = desk.book.of_client(query.client_id, limit=40 if query.deal_id else query.limit)
    if query.deal_id:
        found = [booking for booking in found if booking.deal_id == query.deal_id]
    return ClientBookings(items=[_shown(desk, booking) for booking in found[: query.limit]])


@service.route("/bookings/{booking_id}", response=Booking)
def get_booking(call: Call, booking_id: str) -> Booking:
    """One booking (office staff; a field worker his own)."""
    desk = desk_of(call.store)
    booking = desk.book.get(booking_id)
    if booking is None or not _may_see(desk, call.user, booking.staff_id):
        raise Problem.not_found("The booking")
    return _shown(desk, booking)


@service.route(
    "/bookings/{booking_id}/move",
    "POST",
    body=MoveBody,
    response=Booking,
    roles=OFFICE,
    problems=[409],
    retried=SHEETS,
)
def move_booking(call: Call, booking_id: str, body: MoveBody) -> Booking:
    """Move a booking to another time or specialist (the client gets an updated invite)."""
    desk = desk_of(call.store)
    booking = _current(desk, booking_id, body.version)
    moved = visits.move(
        call.unit, desk, desk.directory.policy(), booking, body.start, body.staff_id, by_client=False
    )
    return _shown(desk, moved)


@service.route(
    "/bookings/{booking_id}/cancel",
    "POST",
    body=CancelBody,
    response=Booking,
    roles=OFFICE,
    problems=[409],
    retried=SHEETS,
)
def cancel_booking(call: Call, booking_id: str, body: CancelBody) -> Booking:
    """Cancel a booking or a block (no policy window for staff)."""
    desk = desk_of(call.store)
    booking = _current(desk, booking_id, body.version)
    return _shown(desk, visits.cancel(call.unit, desk, desk.directory.policy(), booking, by_client=False))


@service.route("/blocks", "POST", body=BlockBody, response=Booking, status=201, roles=OFFICE, idempotent=True,
               problems=[409], retried=SHEETS)  # fmt: skip
def block_time(call: Call, body: BlockBody) -> Booking:
    """Block a specialist's or a resource's time (a repair, a meeting): claimed like a booking."""
    desk = desk_of(call.store)
    member = desk.directory.member(body.owner_id)
    resource = None if member is not None else desk.directory.resource(body.owner_id)
    if member is None and resource is None:
        raise Problem.invalid(
            [{"field": "owner_id", "message": "No such member of staff or resource.", "in": "body"}]
        )
    block = Booking(
        id=new_id(),
        kind="block",
        starts_at=body.start.astimezone(UTC),
        ends_at=body.end.astimezone(UTC),
        staff_id=member.id if member else None,
        staff_name=member.name if member else None,
        resource_ids=[resource.id] if resource else [],
        group=f"block:{new_id()}",
        note=body.note,
        created_at=desk.now,
        created_by=call.user.user_id,
    )
    desk.book.add(call.unit, block)
    return _shown(desk, block)


@service.route("/calendar", query=CalendarQuery, response=CalendarView)
def calendar(call: Call, query: CalendarQuery) -> CalendarView:
    """A specialist's or a resource's bookings and blocks over 1–31 days (office staff; a
    field worker his own): one Query per month of the range."""
    desk = desk_of(call.store)
    if not _may_see(desk, call.user, query.owner_id):
        raise Problem.forbidden("You can see only your own calendar.")
    start = datetime.combine(query.from_, datetime.min.time(), tzinfo=desk.zone)
    end = datetime.combine(query.from_ + timedelta(days=query.days), datetime.min.time(), tzinfo=desk.zone)
    entries = desk.book.entries(query.owner_id, start, end)
    return CalendarView(
        owner_id=query.owner_id,
        time_zone=desk.time_zone,
        items=[
            entry.model_copy(
                update={
                    name: getattr(entry, name).astimezone(desk.zone)
                    for name in ("starts_at", "ends_at", "claim_start", "claim_end")
                }
            )
            for entry in entries
        ],
    )


def _shown(desk: TableDesk, booking: Booking) -> Booking:
    """The booking as the office reads it: its times in the company's zone (a copy: what
    is stored stays UTC)."""
    return booking.model_copy(
        update={
            name: getattr(booking, name).astimezone(desk.zone)
            for name in ("starts_at", "ends_at", "created_at")
        }
    )


class Handovers(Schema):
    items: list[Handover]


@service.route("/handovers", response=Handovers, roles=OFFICE)
def handovers(call: Call) -> Handovers:
    """Leavers' bookings their successor could not take, soonest first: move each to someone
    (POST /bookings/{id}/move) or cancel it, and it leaves the list."""
    desk = desk_of(call.store)
    return Handovers(
        items=[
            item.model_copy(
                update={
                    "starts_at": item.starts_at.astimezone(desk.zone),
                    "ends_at": item.ends_at.astimezone(desk.zone),
                }
            )
            for item in desk.book.handovers()
        ]
    )


def _may_see(desk: TableDesk, user: Principal, owner_id: str | None) -> bool:
    if user.has_any(OFFICE):
        return True
    member = desk.directory.member(owner_id) if owner_id else None
    return member is not None and member.user_id == user.user_id


def _current(desk: TableDesk, booking_id: str, version: int) -> Booking:
    booking = desk.book.get(booking_id)
    if booking is None:
        raise Problem.not_found("The booking")
    if booking.version != version:
        raise Problem.conflict("The booking was changed meanwhile; read it again and retry.")
    return booking
