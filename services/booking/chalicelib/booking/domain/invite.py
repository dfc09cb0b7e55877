"""The calendar invite (RFC 5545) sent with every confirmation, move and cancellation.

The UID is the booking's (`<id>@lanka`) and SEQUENCE grows with each change, so a calendar
app updates or removes the one event it already holds instead of adding another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from chalicelib.booking.domain.bookings import Booking


def invite(
    booking: Booking,
    *,
    method: Literal["REQUEST", "CANCEL"],
    organizer_name: str,
    organizer_email: str,
    manage_url: str | None,
    stamp: datetime,
) -> str:
    """The invite as text/calendar; times in UTC."""
    # icalendar is needed only when a booking changes: imported here, not at cold start.
    from icalendar import Calendar, Event, vCalAddress, vText

    calendar = Calendar()
    calendar.add("prodid", "-//Lanka CRM//Booking//UK")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{booking.id}@lanka")
    event.add("sequence", booking.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{booking.subject_name} — {organizer_name}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = vText(organizer_name)
    event["organizer"] = organizer
    if booking.address:
        event.add("location", booking.address)
    description = []
    if booking.staff_name:
        description.append(f"Спеціаліст: {booking.staff_name}")
    if manage_url and method == "REQUEST":
        description.append(f"Скасувати або перенести: {manage_url}")
    if description:
        event.add("description", "\n".join(description))
    calendar.add_component(event)
    return str(calendar.to_ical().decode())
