"""What booking does with other services' events: learns the client of a widget booking,
follows client merges and erasures, and takes a leaver out of the calendars.

A member of staff who leaves (`StaffDeactivated`) stops being bookable at once, and each of
his future bookings goes to the successor the event names (`hand_over_to`, a staff user)
when the successor does the services and is free then by the same rules as any booking
(working hours, held time, travel): moved like a staff move, claims and all, in one
transaction per booking, the client told by `BookingRescheduled`. A booking the successor
cannot take (or every one, when no successor is named) stays in the leaver's calendar and
is listed for the office (GET /handovers) until someone moves or cancels it, and the head
and the admins are told (`HandoverNeeded`: the bookings' ids, times and services, once per
event, from the event's own unit).

Each booking is its own transaction (a move may write some 30 items; one transaction holds
100), so a redelivered event finds the bookings already handed over no longer his and
leaves them be; the deactivation and the event's marker commit last.
"""

from __future__ import annotations

from chalicelib.booking.desk import desk_of
from chalicelib.booking.domain import visits
from chalicelib.booking.domain.bookings import Handover
from chalicelib.booking.domain.calendar import StaffMember
from chalicelib.booking.service import service

from lanka_platform.api import replay_key
from lanka_platform.contracts import booking as events
from lanka_platform.contracts import clients as client_events
from lanka_platform.events import Envelope, envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import IdempotencyRecord, writes


@service.handles(client_events.ClientRequestReceived)
def on_client_request(event: Envelope[client_events.ClientRequestReceived], unit: UnitOfWork) -> None:
    """The visitor of a widget booking is now a client: record it and announce the booking."""
    desk = desk_of(service.store)
    booking = desk.book.get(event.data.request_id)
    if booking is None or booking.source != "widget" or booking.client_id is not None:
        return
    after = booking.model_copy(update={"client_id": event.data.client_id, "version": booking.version + 1})
    desk.book.update(unit, booking, after)
    visits.announce_created(unit, desk, desk.directory.policy(), after)


@service.handles(client_events.ClientMerged)
def on_client_merged(event: Envelope[client_events.ClientMerged], unit: UnitOfWork) -> None:
    """The merged client's bookings now belong to the survivor."""
    desk = desk_of(service.store)
    for booking in desk.book.of_client(event.data.merged_id):
        after = booking.model_copy(
            update={"client_id": event.data.survivor_id, "version": booking.version + 1}
        )
        desk.book.update(unit, booking, after)


@service.handles(client_events.ClientErased)
def on_client_erased(event: Envelope[client_events.ClientErased], unit: UnitOfWork) -> None:
    """Scrub what the visitor typed (name, phone, e-mail, comment, address) from their
    bookings, and the replayable answers that carried it; the times stay held."""
    desk = desk_of(service.store)
    records = service.store.model(IdempotencyRecord)
    for booking in desk.book.of_client(event.data.client_id):
        after = booking.model_copy(
            update={"visitor": None, "address": None, "note": None, "version": booking.version + 1}
        )
        desk.book.update(unit, booking, after)
        for record in records.gsi1.query(replay_key(booking.id)):
            writes(unit).delete(record)


@service.handles(client_events.StaffDeactivated)
def on_staff_deactivated(event: Envelope[client_events.StaffDeactivated], unit: UnitOfWork) -> None:
    """A leaver is no longer bookable; his future bookings go to his successor or on the
    office's handover list (see the module's docs)."""
    desk = desk_of(service.store)
    staff = desk.directory.staff()
    successor = next(
        (
            m
            for m in staff
            if event.data.hand_over_to
            and m.user_id == event.data.hand_over_to
            and m.user_id != event.data.user_id
            and m.active
        ),
        None,
    )
    for member in staff:
        if member.user_id != event.data.user_id:
            continue
        named = event.data.hand_over_to is not None
        left = [
            handover
            for booking_id in desk.book.future_of(member.id, desk.now)
            if (handover := _hand_over(booking_id, member.id, successor, named=named))
        ]
        if left:
            # In the unit of the event's marker: told once, however often the event comes.
            unit.emit(envelope(_handover_needed(member, event.data.user_id, left)))
        if member.active:
            changed = member.model_copy(update={"active": False, "version": member.version + 1})
            desk.directory.save_member(unit, changed, new=False)


NO_SUCCESSOR = "Наступника не призначено. / No one was named to take over."
UNKNOWN_SUCCESSOR = "Наступник не веде календар записів. / The successor has no booking calendar."


def _hand_over(
    booking_id: str, leaver_id: str, successor: StaffMember | None, *, named: bool
) -> Handover | None:
    """One booking to the successor, or on the handover list (what is answered): a
    transaction of its own."""
    desk = desk_of(service.store)
    booking = desk.book.get(booking_id)
    if (
        booking is None
        or booking.kind != "booking"
        or booking.status != "confirmed"
        or booking.staff_id != leaver_id
    ):
        return None
    unit = service.store.unit_of_work()
    policy = desk.directory.policy()
    reason = UNKNOWN_SUCCESSOR if named else NO_SUCCESSOR
    if successor is not None:
        try:
            visits.move(unit, desk, policy, booking, booking.starts_at, successor.id, by_client=False)
            unit.commit()
            service.relay(unit.events)
            return None
        except Problem as problem:
            if problem.status not in (409, 422):
                raise
            reason = (
                "Наступник зайнятий, не працює в цей час або не виконує цю послугу. "
                "/ The successor is busy, off work or does not do this service then."
            )
            unit = service.store.unit_of_work()
    handover = Handover(
        booking_id=booking.id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        services=booking.services,
        title=booking.subject_name,
        staff_id=booking.staff_id,
        staff_name=booking.staff_name,
        successor_id=successor.id if successor else None,
        reason=reason,
    )
    desk.book.flag(unit, handover)
    unit.commit()
    return handover


def _handover_needed(member: StaffMember, user_id: str, left: list[Handover]) -> events.HandoverNeeded:
    return events.HandoverNeeded(
        staff_id=member.id,
        staff_user_id=user_id,
        staff_name=member.name,
        bookings=[
            events.HandedOverBooking(
                booking_id=h.booking_id,
                starts_at=h.starts_at,
                ends_at=h.ends_at,
                services=h.services,
                service_name=h.title,
                reason=h.reason,
            )
            for h in left
        ],
    )
