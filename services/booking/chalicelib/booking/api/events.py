"""What booking does with other services' events: learns the client of a widget booking,
follows client merges and erasures, and takes a leaver out of the calendars.

A member of staff who leaves (`StaffDeactivated`) stops being bookable at once; his future
bookings stay in his calendar (GET /calendar?owner_id=<his staff id>), listed there for the
office to move to someone else with /bookings/{id}/move. They are not handed over
automatically: the successor may be busy then or lack the skills, and a visit silently
given to the wrong person is worse than one the office sees and re-assigns.
"""

from __future__ import annotations

from chalicelib.booking.desk import desk_of
from chalicelib.booking.domain import visits
from chalicelib.booking.service import service

from lanka_platform.api import replay_key
from lanka_platform.contracts import clients as client_events
from lanka_platform.events import Envelope
from lanka_platform.storage import IdempotencyRecord, UnitOfWork


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
            unit.delete(record)


@service.handles(client_events.StaffDeactivated)
def on_staff_deactivated(event: Envelope[client_events.StaffDeactivated], unit: UnitOfWork) -> None:
    """A leaver is no longer bookable (see the module's docs for his future bookings)."""
    desk = desk_of(service.store)
    for member in desk.directory.staff():
        if member.user_id == event.data.user_id and member.active:
            changed = member.model_copy(update={"active": False, "version": member.version + 1})
            desk.directory.save_member(unit, changed, new=False)
