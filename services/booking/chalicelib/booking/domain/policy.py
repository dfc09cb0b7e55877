"""The company's booking policy: how late a visitor may cancel or move, reminders, links."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from lanka_platform.schema import Schema


class BookingPolicy(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    change_window_hours: int = Field(
        default=12, ge=0, le=24 * 14, description="A visitor may cancel or move no later than this before"
    )
    reminder_offsets_minutes: list[int] = Field(
        default_factory=lambda: [24 * 60, 120], max_length=5, description="Reminders before the start"
    )
    company_name: str = Field(default="Lanka", min_length=1, max_length=120)
    company_email: str = Field(
        default="booking@lanka.local", max_length=254, description="The invite's organizer"
    )
    public_api_url: str = Field(
        default="http://localhost:8000/api/booking", max_length=300, description="Where manage links point"
    )
    version: int = 0
