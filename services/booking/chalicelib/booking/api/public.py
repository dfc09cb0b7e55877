"""The public booking API the widget uses (no login): services, specialists, free slots,
booking, and the visitor's signed manage link. See docs in public-booking-api.md terms:
times carry the company zone's offset, errors are problem+json, every route is rate
limited per IP, and nothing here shows another client's data."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from chalicelib.booking.desk import TableDesk, catalog_of, desk_of
from chalicelib.booking.domain import visits
from chalicelib.booking.domain.bookings import Booking, Visitor
from chalicelib.booking.domain.calendar import DayOffers, DaySlots, moment_of, visit_of
from chalicelib.booking.domain.catalog import KEY_PATTERN, offerings_by_keys
from chalicelib.booking.service import service
from chalicelib.booking.store.bookings import SHEETS
from pydantic import AwareDatetime, ConfigDict, EmailStr, Field, field_validator

from lanka_platform import throttle
from lanka_platform.api import Call
from lanka_platform.clock import local
from lanka_platform.contracts import booking as events
from lanka_platform.events import envelope
from lanka_platform.ids import new_id
from lanka_platform.money import Money
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

READS_PER_MINUTE = 120
BOOKINGS_PER_MINUTE = 10
MANAGE_PER_MINUTE = 30
Lang = Literal["uk", "en"]


class LangQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    lang: Lang = "uk"


class PublicService(Schema):
    key: str
    name: str
    description: str | None
    duration_minutes: int
    price: Money | None
    at_client_address: bool
    allows_staff_choice: bool


class PublicServices(Schema):
    items: list[PublicService]


class StaffQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    services: str = Field(min_length=1, max_length=400, description="Comma-separated service keys")


class PublicStaff(Schema):
    id: str
    name: str


class PublicStaffList(Schema):
    items: list[PublicStaff]


class SlotsQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    services: str = Field(min_length=1, max_length=400, description="Comma-separated service keys")
    from_: date = Field(alias="from")
    days: int = Field(default=7, ge=1, le=31)
    staff_id: str | None = Field(default=None, max_length=40)
    zone: str | None = Field(default=None, pattern=KEY_PATTERN, description="The visit's district, if known")
    lang: Lang = "uk"


class SlotsAnswer(Schema):
    time_zone: str
    duration_minutes: int
    price: Money | None
    days: list[DaySlots]


class PublicBookingBody(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    services: list[str] = Field(min_length=1, max_length=5)
    start: AwareDatetime
    staff_id: str | None = Field(default=None, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    phone: str = Field(min_length=5, max_length=40)
    email: EmailStr | None = None
    address: str | None = Field(default=None, max_length=300)
    comment: str | None = Field(default=None, max_length=2000)
    consent: bool
    website: str = Field(default="", max_length=300, description="Leave empty (a trap for robots)")
    zone: str | None = Field(default=None, pattern=KEY_PATTERN)
    lang: Lang = "uk"

    @field_validator("consent")
    @classmethod
    def _consented(cls, consent: bool) -> bool:
        if not consent:
            raise ValueError("Потрібна згода на обробку даних. / Consent is required.")
        return consent

    @field_validator("phone")
    @classmethod
    def _phone(cls, phone: str) -> str:
        import phonenumbers

        try:
            number = phonenumbers.parse(phone, "UA")
        except phonenumbers.NumberParseException as error:
            raise ValueError("Невірний номер телефону. / Not a phone number.") from error
        if not phonenumbers.is_valid_number(number):
            raise ValueError("Невірний номер телефону. / Not a phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class BookingAnswer(Schema):
    booking_id: str
    starts_at: datetime
    ends_at: datetime
    services: list[str]
    staff_name: str | None
    manage_url: str
    status: Literal["confirmed", "cancelled"]


class ManageQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    lang: Lang = "uk"


class ManagedBooking(Schema):
    booking_id: str
    starts_at: datetime
    ends_at: datetime
    services: list[str]
    service_names: list[str]
    staff_name: str | None
    address: str | None
    status: Literal["confirmed", "cancelled"]
    changeable_until: datetime
    manage_url: str


class RescheduleBody(Schema):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime


def _keys(text: str) -> list[str]:
    return [key.strip() for key in text.split(",") if key.strip()]


@service.route("/public/services", query=LangQuery, response=PublicServices, public=True, problems=[429])
def public_services(call: Call, query: LangQuery) -> PublicServices:
    """The services a visitor can book, in their language."""
    throttle.limit(call.store, call.request, "booking-read", READS_PER_MINUTE)
    return PublicServices(
        items=[
            PublicService(
                key=o.key,
                name=o.display_name(query.lang),
                description=o.display_description(query.lang),
                duration_minutes=o.duration_minutes,
                price=o.price,
                at_client_address=o.at_client_address,
                allows_staff_choice=o.allows_staff_choice,
            )
            for o in catalog_of(call.store).all()
        ]
    )


@service.route("/public/staff", query=StaffQuery, response=PublicStaffList, public=True, problems=[429])
def public_staff(call: Call, query: StaffQuery) -> PublicStaffList:
    """Who can perform all the given services (by display name only)."""
    throttle.limit(call.store, call.request, "booking-read", READS_PER_MINUTE)
    visit = visit_of(offerings_by_keys(catalog_of(call.store).all(), _keys(query.services)))
    desk = desk_of(call.store)
    if not visit.allows_staff_choice:
        return PublicStaffList(items=[])
    return PublicStaffList(
        items=[PublicStaff(id=m.id, name=m.name) for m in desk.directory.staff() if m.can_do(visit.skills)]
    )


@service.route("/public/slots", query=SlotsQuery, response=SlotsAnswer, public=True, problems=[429])
def public_slots(call: Call, query: SlotsQuery) -> dict[str, Any]:
    """Free starts of one visit (several services add up) over up to 31 days."""
    throttle.limit(call.store, call.request, "booking-read", READS_PER_MINUTE)
    desk = desk_of(call.store)
    visit, days = visits.slots(
        desk, _keys(query.services), query.from_, query.days, query.staff_id, query.zone
    )
    # The answer is written as the JSON of `SlotsAnswer` (a route may return its response
    # model's JSON): a month holds a thousand slots and more, and building and validating a
    # model and two datetimes for each cost more than finding them.
    return {
        "time_zone": desk.time_zone,
        "duration_minutes": visit.minutes[0],
        "price": visit.price.model_dump(mode="json") if visit.price else None,
        "days": _days_json(days, desk.zone),
    }


def _days_json(days: list[DayOffers], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Each day's offers as `DaySlots` JSON: times in the company's zone with the offset of
    that moment (`2027-03-29T10:00:00+03:00`), as pydantic writes an aware datetime."""
    answer = []
    for day in days:
        slots = day.slots
        offset = _offset(slots[0].start, zone) if slots else 0
        if slots and _offset(slots[-1].end, zone) != offset:
            # A day of a DST change: each time with its own offset.
            texts = {m: _local_iso(m, _offset(m, zone)) for s in slots for m in (s.start, s.end)}
        else:
            texts = {m: _local_iso(m, offset) for s in slots for m in (s.start, s.end)}
        answer.append(
            {
                "date": day.date.isoformat(),
                "slots": [
                    {"start": texts[slot.start], "end": texts[slot.end], "staff_ids": slot.staff_ids}
                    for slot in slots
                ],
            }
        )
    return answer


def _offset(minute: int, zone: ZoneInfo) -> int:
    """The zone's offset from UTC (minutes) at `minute`."""
    offset = moment_of(minute).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) // 60 if offset is not None else 0


@functools.lru_cache(maxsize=1024)
def _date_text(days: int) -> str:
    return (_EPOCH_DAY + timedelta(days=days)).isoformat()


_EPOCH_DAY = date(1970, 1, 1)
_CLOCK_TEXTS = tuple(f"{minute // 60:02d}:{minute % 60:02d}:00" for minute in range(24 * 60))


def _local_iso(minute: int, offset: int) -> str:
    days, time_of_day = divmod(minute + offset, 24 * 60)
    hours, minutes = divmod(abs(offset), 60)
    zone = "Z" if offset == 0 else f"{'-' if offset < 0 else '+'}{hours:02d}:{minutes:02d}"
    return f"{_date_text(days)}T{_CLOCK_TEXTS[time_of_day]}{zone}"


@service.route(
    "/public/bookings",
    "POST",
    body=PublicBookingBody,
    response=BookingAnswer,
    status=201,
    public=True,
    idempotent=True,
    answer_id="booking_id",
    problems=[409, 429],
    retried=SHEETS,
)
def public_book(call: Call, body: PublicBookingBody) -> Any:
    """Book a visit (Idempotency-Key: a retry gets the first answer and books nothing more)."""
    throttle.limit(call.store, call.request, "booking", BOOKINGS_PER_MINUTE)
    if body.website:
        return _decoy(body)
    offerings = offerings_by_keys(catalog_of(call.store).all(), body.services)
    visit = visit_of(offerings)
    if visit.on_site and not body.address:
        raise Problem.invalid(
            [{"field": "address", "message": "Вкажіть адресу візиту. / Give the address.", "in": "body"}]
        )
    if body.staff_id is not None and not visit.allows_staff_choice:
        raise Problem.invalid(
            [{"field": "staff_id", "message": "This service is booked with any specialist.", "in": "body"}]
        )
    desk = desk_of(call.store)
    choice = visits.choose(desk, visit, body.start, body.staff_id, body.zone)
    booking_id = new_id()
    booking = visits.new_booking(
        booking_id, visit, offerings, choice, body.start, desk.now,
        request_id=booking_id,
        visitor=Visitor(name=body.name, phone=body.phone, email=body.email, comment=body.comment),
        address=body.address,
        zone=body.zone,
        source="widget",
    )  # fmt: skip
    desk.book.add(call.unit, booking)
    call.unit.emit(
        envelope(
            events.WidgetRequestReceived(
                request_id=booking.id,
                channel="booking_widget",
                name=body.name,
                phone=body.phone,
                email=body.email,
                address=body.address,
                message=body.comment,
                subject=visits.subject(booking, desk.time_zone),
                amount=visit.price.amount if visit.price else 0,
                currency=visit.price.currency if visit.price else "UAH",
            )
        )
    )
    return _answer(desk, booking)


def _decoy(body: PublicBookingBody) -> BookingAnswer:
    """What a robot that filled the hidden field sees: a success, with nothing booked."""
    start = body.start
    return BookingAnswer(
        booking_id=new_id(),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        services=body.services,
        staff_name=None,
        manage_url="",
        status="confirmed",
    )


def _answer(desk: TableDesk, booking: Booking) -> BookingAnswer:
    policy = desk.directory.policy()
    return BookingAnswer(
        booking_id=booking.id,
        starts_at=local(booking.starts_at, desk.time_zone),
        ends_at=local(booking.ends_at, desk.time_zone),
        services=booking.services,
        staff_name=booking.staff_name,
        manage_url=visits.manage_url(desk, policy, booking),
        status=booking.status,
    )


def _managed(call: Call, booking_id: str, token: str) -> tuple[TableDesk, Booking]:
    throttle.limit(call.store, call.request, "booking-manage", MANAGE_PER_MINUTE)
    desk = desk_of(call.store)
    visits.check_token(desk, booking_id, token)
    booking = desk.book.get(booking_id)
    if booking is None or booking.kind != "booking":
        raise Problem.not_found("The booking")
    return desk, booking


def _view(desk: TableDesk, booking: Booking) -> ManagedBooking:
    policy = desk.directory.policy()
    return ManagedBooking(
        booking_id=booking.id,
        starts_at=local(booking.starts_at, desk.time_zone),
        ends_at=local(booking.ends_at, desk.time_zone),
        services=booking.services,
        service_names=booking.service_names,
        staff_name=booking.staff_name,
        address=booking.address,
        status=booking.status,
        changeable_until=local(
            booking.starts_at - timedelta(hours=policy.change_window_hours), desk.time_zone
        ),
        manage_url=visits.manage_url(desk, policy, booking),
    )


@service.route(
    "/public/bookings/{booking_id}",
    query=ManageQuery,
    response=ManagedBooking,
    public=True,
    problems=[403, 429],
)
def public_booking(call: Call, booking_id: str, query: ManageQuery) -> ManagedBooking:
    """The visitor's booking, from the signed link in their confirmation."""
    desk, booking = _managed(call, booking_id, query.token)
    return _view(desk, booking)


@service.route(
    "/public/bookings/{booking_id}/cancel",
    "POST",
    query=ManageQuery,
    response=ManagedBooking,
    public=True,
    problems=[403, 409, 429],
    retried=SHEETS,
)
def public_cancel(call: Call, booking_id: str, query: ManageQuery) -> ManagedBooking:
    """The visitor cancels, within the company's policy."""
    desk, booking = _managed(call, booking_id, query.token)
    policy = desk.directory.policy()
    visits.within_policy(desk, policy, booking)
    cancelled = visits.cancel(call.unit, desk, policy, booking, by_client=True)
    return _view(desk, cancelled)


@service.route(
    "/public/bookings/{booking_id}/reschedule",
    "POST",
    query=ManageQuery,
    body=RescheduleBody,
    response=ManagedBooking,
    public=True,
    problems=[403, 409, 429],
    retried=SHEETS,
)
def public_reschedule(
    call: Call, booking_id: str, query: ManageQuery, body: RescheduleBody
) -> ManagedBooking:
    """The visitor moves the visit to another free time, within the company's policy."""
    desk, booking = _managed(call, booking_id, query.token)
    policy = desk.directory.policy()
    visits.within_policy(desk, policy, booking)
    moved = visits.move(call.unit, desk, policy, booking, body.start, None, by_client=True)
    return _view(desk, moved)
