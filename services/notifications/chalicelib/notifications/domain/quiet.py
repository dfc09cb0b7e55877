"""Quiet hours: no SMS or messenger pings to clients at night (company time); they wait for
the morning. E-mail is silent, so it goes at any hour; staff copies are not held."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field

from lanka_platform.schema import Schema

LOUD_CHANNELS = frozenset({"sms", "telegram", "viber"})
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class QuietHours(Schema):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    start: str = Field(default="21:00", pattern=HHMM, description="Company time (Europe/Kyiv)")
    end: str = Field(default="08:00", pattern=HHMM)


def _at(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def morning_after(hours: QuietHours, now: datetime, zone: str) -> datetime | None:
    """The end of the quiet hours `now` falls in (a UTC moment), or None when it is day."""
    if not hours.enabled or hours.start == hours.end:
        return None
    here = now.astimezone(ZoneInfo(zone))
    start, end = _at(hours.start), _at(hours.end)
    clock = here.time().replace(second=0, microsecond=0)
    overnight = start > end
    quiet = (clock >= start or clock < end) if overnight else (start <= clock < end)
    if not quiet:
        return None
    day = here.date() if clock < end else here.date() + timedelta(days=1)
    morning = datetime.combine(day, end, tzinfo=ZoneInfo(zone))
    return morning.astimezone(now.tzinfo)
