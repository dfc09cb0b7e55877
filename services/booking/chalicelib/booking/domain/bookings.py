"""Bookings and blocked time: what a visit holds, and the rules of making, moving and
cancelling one (by a visitor through the widget, or by staff)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import ConfigDict, Field

from lanka_platform.money import Money
from lanka_platform.schema import Schema


class Visitor(Schema):
    """Who booked through the widget, as they typed it (until clients knows the client)."""

    name: str
    phone: str
    email: str | None = None
    comment: str | None = None


class Booking(Schema):
    model_config = ConfigDict(extra="ignore")

    id: str
    kind: Literal["booking", "block"] = "booking"
    services: list[str] = Field(default_factory=list)
    service_names: list[str] = Field(
        default_factory=list, description="In Ukrainian, as the client sees them"
    )
    starts_at: datetime
    ends_at: datetime
    before_minutes: int = 0
    after_minutes: int = 0
    staff_id: str | None = None
    staff_name: str | None = None
    resource_ids: list[str] = Field(default_factory=list)
    status: Literal["confirmed", "cancelled"] = "confirmed"
    client_id: str | None = None
    deal_id: str | None = None
    request_id: str | None = None
    visitor: Visitor | None = None
    address: str | None = None
    zone: str | None = None
    on_site: bool = False
    group: str = ""
    seats: int = 1
    price: Money | None = None
    note: str | None = None
    source: Literal["widget", "staff"] = "staff"
    sequence: int = 0
    version: int = 1
    created_at: datetime
    created_by: str | None = None

    @property
    def claim_start(self) -> datetime:
        return self.starts_at - timedelta(minutes=self.before_minutes)

    @property
    def claim_end(self) -> datetime:
        return self.ends_at + timedelta(minutes=self.after_minutes)

    @property
    def owners(self) -> list[str]:
        """Whose time it holds: the specialist's and each resource's."""
        return [owner for owner in (self.staff_id, *self.resource_ids) if owner]

    @property
    def subject_name(self) -> str:
        return ", ".join(self.service_names) or (self.note or "")


class CalendarEntry(Schema):
    """A booking or a block as a calendar shows it (the item availability reads)."""

    booking_id: str
    kind: Literal["booking", "block"]
    starts_at: datetime
    ends_at: datetime
    claim_start: datetime
    claim_end: datetime
    services: list[str] = Field(default_factory=list)
    title: str = ""
    staff_id: str | None = None
    resource_ids: list[str] = Field(default_factory=list)
    client_id: str | None = None
    deal_id: str | None = None
    address: str | None = None
    zone: str | None = None
    on_site: bool = False
    group: str = ""

    @classmethod
    def of(cls, booking: Booking) -> CalendarEntry:
        return cls(
            booking_id=booking.id,
            kind=booking.kind,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            claim_start=booking.claim_start,
            claim_end=booking.claim_end,
            services=booking.services,
            title=booking.subject_name,
            staff_id=booking.staff_id,
            resource_ids=booking.resource_ids,
            client_id=booking.client_id,
            deal_id=booking.deal_id,
            address=booking.address,
            zone=booking.zone,
            on_site=booking.on_site,
            group=booking.group,
        )


class Handover(Schema):
    """A leaver's booking his successor could not take (busy, off work, without the skill,
    or none named): listed for the office to re-assign."""

    booking_id: str
    starts_at: datetime
    ends_at: datetime
    services: list[str]
    title: str
    staff_id: str | None = Field(description="The leaver's calendar it is still in")
    staff_name: str | None
    successor_id: str | None = Field(description="Who was to take it (a staff member id), if named")
    reason: str
