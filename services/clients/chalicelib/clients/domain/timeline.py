"""The client timeline: what each event that concerns a client adds to it.

It is a projection: every entry comes from an event (the clients service's own and, as the
other services publish theirs, requests, calls, messages, bookings, quotes, deals, tasks,
documents and payments). An entry is keyed by its event's time and id, so late, repeated
and out-of-order deliveries all end in the same timeline. Entries carry ids and short
facts, not contact details; a note's text is the exception, and erasing the client
scrubs it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from lanka_platform.contracts import booking, deals, notifications
from lanka_platform.contracts import clients as events
from lanka_platform.events import Contract, Envelope
from lanka_platform.schema import Schema

TimelineKind = Literal[
    "request", "call", "message", "booking", "quote", "deal", "task", "document", "payment", "note",
    "client", "consent",
]  # fmt: skip
KINDS: tuple[str, ...] = TimelineKind.__args__  # type: ignore[attr-defined]


class TimelineEntry(Schema):
    id: str = Field(description="The id of the event this entry comes from")
    client_id: str
    kind: TimelineKind
    event_type: str
    occurred_at: datetime
    actor_id: str | None
    detail: dict[str, Any]


class TimelinePage(Schema):
    items: list[TimelineEntry]
    next_cursor: str | None = None


Describe = Callable[[Any], tuple[str, TimelineKind, dict[str, Any]]]

# detail-type -> (client id, kind, detail) of the entry it makes.
DESCRIBE: dict[str, Describe] = {
    "ClientCreated": lambda d: (
        d.client_id, "client", {"source_channel": d.source_channel, "owner_id": d.owner_id}
    ),
    "ClientUpdated": lambda d: (d.client_id, "client", {"changed": d.changed}),
    "ClientRequestReceived": lambda d: (
        d.client_id,
        "request",
        {"request_id": d.request_id, "channel": d.channel, "subject": d.subject, "message": d.message},
    ),
    "ClientOwnerChanged": lambda d: (
        d.client_id, "client", {"previous_owner_id": d.previous_owner_id, "owner_id": d.owner_id}
    ),
    "ClientNoteAdded": lambda d: (d.client_id, "note", {"note_id": d.note_id, "text": d.text}),
    "ClientMerged": lambda d: (d.survivor_id, "client", {"merged_id": d.merged_id}),
    "ClientConsentChanged": lambda d: (
        d.client_id, "consent", {"purpose": d.purpose, "granted": d.granted, "via": d.via}
    ),
    "DealCreated": lambda d: (
        d.client_id,
        "deal",
        {"deal_id": d.deal_id, "title": d.title, "stage": d.stage, "amount": d.amount,
         "currency": d.currency},
    ),
    "DealStageChanged": lambda d: (
        d.client_id,
        "deal",
        {"deal_id": d.deal_id, "from_stage": d.from_stage, "to_stage": d.to_stage, "outcome": d.outcome},
    ),
    "TaskCreated": lambda d: (
        d.client_id,
        "task",
        {"task_id": d.task_id, "title": d.title, "deal_id": d.deal_id,
         "due_at": d.due_at and d.due_at.isoformat()},
    ),
    "TaskCompleted": lambda d: (
        d.client_id,
        "task",
        {"task_id": d.task_id, "title": d.title, "deal_id": d.deal_id, "result": d.result, "done": True},
    ),
    "CallLogged": lambda d: (
        d.client_id, "call",
        {"call_id": d.call_id, "deal_id": d.deal_id, "direction": d.direction, "answered": d.answered,
         "duration_seconds": d.duration_seconds, "user_id": d.user_id, "result": d.result},
    ),
    "MessageRequested": lambda d: (
        d.client_id, "message",
        {"message_id": d.message_id, "direction": "out", "template": d.template, "channel": d.channel},
    ),
    "MessageReceived": lambda d: (
        d.client_id, "message",
        {"message_id": d.message_id, "direction": "in", "channel": d.channel, "text": d.text},
    ),
    "BookingCreated": lambda d: (
        d.client_id, "booking",
        {"booking_id": d.booking_id, "service": d.service, "deal_id": d.deal_id,
         "starts_at": d.starts_at and d.starts_at.isoformat()},
    ),
    "BookingRescheduled": lambda d: (
        d.client_id, "booking",
        {"booking_id": d.booking_id, "service": d.service, "deal_id": d.deal_id,
         "starts_at": d.starts_at.isoformat(), "previous_starts_at": d.previous_starts_at.isoformat(),
         "by_client": d.by_client},
    ),
    "BookingCancelled": lambda d: (
        d.client_id, "booking",
        {"booking_id": d.booking_id, "service": d.service, "cancelled": True, "by_client": d.by_client},
    ),
    "QuoteAccepted": lambda d: (
        d.client_id, "quote",
        {"quote_id": d.quote_id, "deal_id": d.deal_id, "amount": d.amount, "currency": d.currency},
    ),
    "DocumentGenerated": lambda d: (
        d.client_id, "document",
        {"document_id": d.document_id, "deal_id": d.deal_id, "document": d.kind, "number": d.number,
         "amount": d.amount, "currency": d.currency},
    ),
    "DocumentSent": lambda d: (
        d.client_id, "document", {"document_id": d.document_id, "deal_id": d.deal_id, "document": d.kind},
    ),
    "PaymentReceived": lambda d: (
        d.client_id, "payment",
        {"payment_id": d.payment_id, "deal_id": d.deal_id, "amount": d.amount, "currency": d.currency},
    ),
}  # fmt: skip
TIMELINE_EVENTS: tuple[type[Contract], ...] = (
    events.ClientCreated,
    events.ClientUpdated,
    events.ClientRequestReceived,
    events.ClientOwnerChanged,
    events.ClientNoteAdded,
    events.ClientMerged,
    events.ClientConsentChanged,
    deals.DealCreated,
    deals.DealStageChanged,
    deals.TaskCreated,
    deals.TaskCompleted,
    deals.CallLogged,
    deals.MessageRequested,
    deals.PaymentReceived,
    deals.DocumentGenerated,
    deals.DocumentSent,
    booking.BookingCreated,
    booking.BookingRescheduled,
    booking.BookingCancelled,
    booking.QuoteAccepted,
    notifications.MessageReceived,
)
# Detail fields that may hold personal data: blanked when the client is erased.
PERSONAL_DETAIL = ("text", "message", "result")


def entry_for(event: Envelope[Any]) -> TimelineEntry | None:
    """The entry an event adds, or None for one about no client (a task of its own)."""
    client_id, kind, detail = DESCRIBE[event.detail_type](event.data)
    if not client_id:
        return None
    return TimelineEntry(
        id=event.metadata.event_id,
        client_id=client_id,
        kind=kind,
        event_type=event.detail_type,
        occurred_at=event.metadata.occurred_at,
        actor_id=event.metadata.actor,
        detail=detail,
    )


def scrubbed(detail: dict[str, Any]) -> dict[str, Any]:
    return {key: ("" if key in PERSONAL_DETAIL else value) for key, value in detail.items()}
