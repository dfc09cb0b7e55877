"""Booking confirmations, reminders and notices of moves and cancellations."""

from __future__ import annotations

from chalicelib.notifications.domain import bookings
from chalicelib.notifications.service import service
from chalicelib.notifications.store import MessageStore, ReminderStore

from lanka_platform.contracts.booking import BookingCancelled, BookingCreated, BookingRescheduled
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork


def _parts() -> tuple[MessageStore, ReminderStore]:
    return MessageStore(service.store), ReminderStore(service.store)


@service.handles(BookingCreated)
def on_booking_created(event: Envelope[BookingCreated], unit: UnitOfWork) -> None:
    """The confirmation with the calendar invite; reminders before the visit."""
    store = service.store
    bookings.booked(unit, *_parts(), event.data, store.clock(), store.settings.timezone)


@service.handles(BookingRescheduled)
def on_booking_rescheduled(event: Envelope[BookingRescheduled], unit: UnitOfWork) -> None:
    """The new time with the updated invite; the reminders move with the visit."""
    store = service.store
    bookings.rescheduled(unit, *_parts(), event.data, store.clock(), store.settings.timezone)


@service.handles(BookingCancelled)
def on_booking_cancelled(event: Envelope[BookingCancelled], unit: UnitOfWork) -> None:
    """The cancellation (with the invite's CANCEL); its reminders are withdrawn."""
    store = service.store
    bookings.cancelled(unit, *_parts(), event.data, store.clock(), store.settings.timezone)
