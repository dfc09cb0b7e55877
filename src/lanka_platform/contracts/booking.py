"""Events the booking service publishes: visits booked, moved or cancelled, quotes accepted,
and what visitors submit through the public widgets.

A booking or quote names its deal when the booking was made from one (staff booking a
measurer from a deal card). A visitor of a public widget is nobody yet: booking announces
`WidgetRequestReceived`, clients finds or creates the client (`ClientRequestReceived`, with
the same `request_id`), deals opens the deal for that request, and booking, on
`ClientRequestReceived`, learns the client and announces `BookingCreated` with the
`request_id`, which deals applies to the deal it opened for that request.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from lanka_platform.events import Contract

SOURCE = "lanka.booking"


class _BookingEvent(Contract):
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1


class WidgetRequestReceived(_BookingEvent):
    """A visitor booked a visit or submitted a calculation through a public widget: clients
    finds or creates the client, as for a `RequestReceived` from any other channel."""

    detail_type: ClassVar[str] = "WidgetRequestReceived"

    request_id: str = Field(description="The booking's or the quote's id")
    channel: Literal["booking_widget", "price_widget"]
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=300, description="Where the visit is")
    message: str | None = Field(default=None, max_length=4000, description="The visitor's comment")
    subject: str | None = Field(default=None, max_length=200, description="What was booked or priced")
    amount: int = Field(default=0, ge=0, description="Minor units: the calculated price, 0 for none")
    currency: str = "UAH"


class BookingCreated(_BookingEvent):
    """A visit or appointment was booked (by staff, or by the client through the widget)."""

    detail_type: ClassVar[str] = "BookingCreated"

    booking_id: str
    client_id: str
    deal_id: str | None = Field(default=None, description="The deal it was booked from, if any")
    service: str = Field(description="Key of the bookable service, e.g. `measurement`")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    staff_id: str | None = Field(default=None, description="User id of the booked member of staff")
    request_id: str | None = Field(default=None, description="The widget request it came from")
    service_name: str | None = Field(default=None, description="What the client sees: «Замір»")
    address: str | None = Field(default=None, max_length=300)
    sequence: int = Field(default=0, ge=0, description="The calendar invite's SEQUENCE")
    manage_url: str | None = Field(default=None, description="The client's signed cancel/reschedule link")
    ics: str | None = Field(default=None, description="The calendar invite (text/calendar, METHOD:REQUEST)")
    reminder_offsets_minutes: list[int] = Field(
        default_factory=lambda: [24 * 60, 120], description="Remind the client this many minutes before"
    )


class BookingRescheduled(_BookingEvent):
    """A booking was moved to another time or specialist (by staff, or by the client)."""

    detail_type: ClassVar[str] = "BookingRescheduled"

    booking_id: str
    client_id: str
    deal_id: str | None = None
    service: str
    starts_at: datetime
    ends_at: datetime
    previous_starts_at: datetime
    staff_id: str | None = None
    previous_staff_id: str | None = None
    service_name: str | None = None
    address: str | None = Field(default=None, max_length=300)
    sequence: int = Field(ge=0)
    manage_url: str | None = None
    ics: str | None = None
    by_client: bool = False
    reminder_offsets_minutes: list[int] = Field(
        default_factory=lambda: [24 * 60, 120], description="Remind the client this many minutes before"
    )


class BookingCancelled(_BookingEvent):
    """A booking was cancelled (by staff, or by the client through their link)."""

    detail_type: ClassVar[str] = "BookingCancelled"

    booking_id: str
    client_id: str
    deal_id: str | None = None
    service: str
    starts_at: datetime | None = None
    staff_id: str | None = None
    by_client: bool = False
    service_name: str | None = None
    sequence: int = Field(default=0, ge=0)
    ics: str | None = Field(default=None, description="The invite's cancellation (METHOD:CANCEL)")


class QuoteAccepted(_BookingEvent):
    """A client accepted a quote from the price calculator or from staff."""

    detail_type: ClassVar[str] = "QuoteAccepted"

    quote_id: str
    client_id: str
    deal_id: str | None = None
    amount: int = Field(description="Minor units")
    currency: str = "UAH"


class HandedOverBooking(BaseModel):
    """One booking of a leaver that waits for someone to take it (no client data)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    booking_id: str
    starts_at: datetime
    ends_at: datetime
    services: list[str] = Field(description="Keys of the booked services")
    service_name: str = Field(description="What was booked: «Замір»")
    reason: str = Field(description="Why the successor did not take it (uk / en)")


class HandoverNeeded(_BookingEvent):
    """A member of staff left (`StaffDeactivated`) and some of his future bookings could not
    go to a successor: they stay in his calendar, listed at GET /handovers, until someone
    moves or cancels them. The head and the admins are told. Times, services and ids only:
    the client's details are on the booking, for those allowed to open it."""

    detail_type: ClassVar[str] = "HandoverNeeded"

    staff_id: str = Field(description="The leaver's booking calendar (a staff member id)")
    staff_user_id: str = Field(description="The leaver's user id")
    staff_name: str | None = None
    bookings: list[HandedOverBooking] = Field(min_length=1)
