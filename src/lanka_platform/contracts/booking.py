"""Events the booking service publishes: visits booked or cancelled, quotes accepted.

A booking or quote names its deal when the booking was made from one (staff booking a
measurer from a deal card); one made through a public widget names only the client, and
deals applies it to that client's newest open deal.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from lanka_platform.events import Contract

SOURCE = "lanka.booking"


class _BookingEvent(Contract):
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1


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


class QuoteAccepted(_BookingEvent):
    """A client accepted a quote from the price calculator or from staff."""

    detail_type: ClassVar[str] = "QuoteAccepted"

    quote_id: str
    client_id: str
    deal_id: str | None = None
    amount: int = Field(description="Minor units")
    currency: str = "UAH"
