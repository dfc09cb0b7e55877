"""What a client is told about a booked visit: a confirmation with the calendar invite,
reminders before it (24 h and 2 h by default), and a word when it moves or is cancelled.

Every message of a booking has an id made from the booking, what it is and the invite's
sequence, so a repeated event is one message; the reminders still due are kept per booking
so that a move or a cancellation withdraws them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.notifications.domain import messages as outbox
from chalicelib.notifications.domain.messages import Attachment, Messages, OutgoingMessage

from lanka_platform.clock import local
from lanka_platform.ports import UnitOfWork

DEFAULT_REMINDERS_MINUTES = (24 * 60, 2 * 60)


class Reminders(Protocol):
    def of_booking(self, booking_id: str) -> list[str]: ...
    def keep(self, unit: UnitOfWork, booking_id: str, message_ids: list[str]) -> None: ...


def _variables(data: Any, zone: str) -> dict[str, str]:
    starts = data.starts_at
    return {
        "service_name": data.service_name or data.service,
        "starts_at": local(starts, zone).strftime("%d.%m.%Y %H:%M") if starts else "",
        "address": getattr(data, "address", None) or "",
        "manage_url": getattr(data, "manage_url", None) or "",
    }


def _invite(ics: str | None, method: str) -> list[Attachment]:
    if not ics:
        return []
    return [Attachment(filename="invite.ics", content_type=f"text/calendar; method={method}", content=ics)]


def _message(
    data: Any,
    what: str,
    template: str,
    now: datetime,
    zone: str,
    *,
    due: datetime | None = None,
    attachments: list[Attachment] | None = None,
) -> OutgoingMessage:
    return OutgoingMessage(
        id=f"{data.booking_id}.{what}.{data.sequence}",
        client_id=data.client_id,
        template=template,
        deal_id=data.deal_id,
        variables=_variables(data, zone),
        attachments=attachments or [],
        requested_at=now,
        due_at=due or now,
    )


def _schedule_reminders(
    unit: UnitOfWork, messages: Messages, reminders: Reminders, data: Any, now: datetime, zone: str
) -> None:
    offsets = getattr(data, "reminder_offsets_minutes", None) or DEFAULT_REMINDERS_MINUTES
    ids = []
    for minutes in offsets:
        due = data.starts_at - timedelta(minutes=minutes)
        if due <= now:
            continue  # booked too late for this one
        reminder = _message(data, f"remind{minutes}", "booking_reminder", now, zone, due=due)
        outbox.queue_message(unit, messages, reminder)
        ids.append(reminder.id)
    reminders.keep(unit, data.booking_id, ids)


def _withdraw_reminders(unit: UnitOfWork, messages: Messages, reminders: Reminders, booking_id: str) -> None:
    for message_id in reminders.of_booking(booking_id):
        outbox.cancel(unit, messages, message_id)


def booked(
    unit: UnitOfWork, messages: Messages, reminders: Reminders, data: Any, now: datetime, zone: str
) -> None:
    confirmation = _message(
        data, "confirm", "booking_confirmation", now, zone, attachments=_invite(data.ics, "REQUEST")
    )
    if not outbox.queue_message(unit, messages, confirmation):
        return  # told already
    if data.starts_at is not None:
        _schedule_reminders(unit, messages, reminders, data, now, zone)


def rescheduled(
    unit: UnitOfWork, messages: Messages, reminders: Reminders, data: Any, now: datetime, zone: str
) -> None:
    notice = _message(
        data, "moved", "booking_rescheduled", now, zone, attachments=_invite(data.ics, "REQUEST")
    )
    if not outbox.queue_message(unit, messages, notice):
        return
    _withdraw_reminders(unit, messages, reminders, data.booking_id)
    _schedule_reminders(unit, messages, reminders, data, now, zone)


def cancelled(
    unit: UnitOfWork, messages: Messages, reminders: Reminders, data: Any, now: datetime, zone: str
) -> None:
    notice = _message(data, "cancel", "booking_cancelled", now, zone, attachments=_invite(data.ics, "CANCEL"))
    if not outbox.queue_message(unit, messages, notice):
        return
    _withdraw_reminders(unit, messages, reminders, data.booking_id)
    reminders.keep(unit, data.booking_id, [])
