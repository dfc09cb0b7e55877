"""Who can be booked and when: staff, resources, zones, working hours and availability.

Everything here is pure: the store hands in the calendars it read (one Query per
specialist-month) and `available_slots` answers which starts are free. The same function
decides at booking time whether a start is still free, so what is offered and what is
accepted can never disagree.

Rules of a free start `t` for a visit of `duration` with buffers `before`/`after`:
- the visit `[t, t + duration)` lies inside one working window of the specialist (the
  weekly plan or the date's override, minus breaks; nothing on days off and vacations);
- its claim `[t - before, t + duration + after)` overlaps no other claim (bookings with
  their buffers, blocked time), except the other seats of the same group visit at the same
  start while seats remain;
- for visits at the client's address, the nearest on-site visit before ends at least the
  travel time (between the two zones) before `t`, and the nearest one after starts at least
  the travel time after the visit ends; an unknown zone counts the default travel time;
- `t` is at least the minimum notice after now and at most the horizon ahead;
- for each required resource kind one resource of that kind is free in the same way.
Starts step by `slot_step` from the beginning of each working window.
"""

from __future__ import annotations

import bisect
import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.booking.domain.catalog import KEY_PATTERN, Offering
from pydantic import ConfigDict, Field, field_validator, model_validator

from lanka_platform.money import Money
from lanka_platform.schema import Schema

BUCKET_MINUTES = 15
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class TimeRange(Schema):
    """Local wall-clock time of one day, e.g. 09:00–18:00 (quarters of an hour)."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(pattern=_HHMM, examples=["09:00"])
    end: str = Field(pattern=_HHMM, examples=["18:00"])

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if _minutes(self.start) % BUCKET_MINUTES or _minutes(self.end) % BUCKET_MINUTES:
            raise ValueError("times must be on a quarter of an hour")
        if _minutes(self.start) >= _minutes(self.end):
            raise ValueError("start must be before end")
        return self


class DateRange(Schema):
    model_config = ConfigDict(extra="forbid")

    first: date
    last: date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.first > self.last:
            raise ValueError("first must not be after last")
        return self


class DateOverride(Schema):
    """A date with other hours than the weekly plan (none: a day off)."""

    model_config = ConfigDict(extra="forbid")

    date: date
    hours: list[TimeRange] = Field(default_factory=list, max_length=6)


class WorkingHours(Schema):
    model_config = ConfigDict(extra="forbid")

    time_zone: str = Field(default="Europe/Kyiv", description="IANA zone the hours are in")
    weekly: dict[Weekday, list[TimeRange]] = Field(
        default_factory=dict, examples=[{"mon": [{"start": "09:00", "end": "18:00"}]}]
    )
    breaks: dict[Weekday, list[TimeRange]] = Field(default_factory=dict)
    days_off: list[date] = Field(default_factory=list, max_length=366)
    vacations: list[DateRange] = Field(default_factory=list, max_length=50)
    overrides: list[DateOverride] = Field(default_factory=list, max_length=366)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("unknown time zone") from error
        return value

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working time of a local `day` in UTC, breaks cut out (right across DST)."""
        if day in self.days_off or any(v.first <= day <= v.last for v in self.vacations):
            return []
        zone = ZoneInfo(self.time_zone)
        override = next((o for o in self.overrides if o.date == day), None)
        weekday = WEEKDAYS[day.weekday()]
        ranges = override.hours if override is not None else self.weekly.get(weekday, [])
        breaks = [] if override is not None else self.breaks.get(weekday, [])
        spans = [(_at(day, r.start, zone), _at(day, r.end, zone)) for r in ranges]
        for pause in breaks:
            cut_start, cut_end = _at(day, pause.start, zone), _at(day, pause.end, zone)
            spans = [piece for span in spans for piece in _cut(span, cut_start, cut_end)]
        return sorted(span for span in spans if span[0] < span[1])


def _at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """Local wall-clock time of `day` in UTC: 09:00 is 09:00 on the days of DST changes too
    (a time the spring change skips normalises through UTC)."""
    naive = datetime.combine(day, time(0)) + timedelta(minutes=_minutes(hhmm))
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _cut(
    span: tuple[datetime, datetime], cut_start: datetime, cut_end: datetime
) -> list[tuple[datetime, datetime]]:
    start, end = span
    if cut_end <= start or cut_start >= end:
        return [span]
    return [piece for piece in ((start, cut_start), (cut_end, end)) if piece[0] < piece[1]]


class NewStaffMember(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: str | None = Field(default=None, max_length=64, description="Staff user (Cognito sub), if any")
    name: str = Field(min_length=1, max_length=80, description="What visitors see: a first name")
    skills: list[str] = Field(default_factory=list, max_length=20)
    home_zone: str | None = Field(default=None, pattern=KEY_PATTERN)
    hours: WorkingHours = Field(default_factory=WorkingHours)
    active: bool = True


class StaffMember(NewStaffMember):
    id: str
    version: int = 1

    def can_do(self, skills: Iterable[str]) -> bool:
        return self.active and set(skills) <= set(self.skills)


class NewResource(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=80)
    kind: str = Field(pattern=KEY_PATTERN, examples=["vehicle", "room"])
    hours: WorkingHours | None = Field(default=None, description="None: available at any time")
    active: bool = True


class Resource(NewResource):
    id: str
    version: int = 1


class TravelTime(Schema):
    model_config = ConfigDict(extra="forbid")

    between: tuple[str, str]
    minutes: int = Field(ge=0, le=600)


class Zones(Schema):
    """Districts the field staff travel between, with the minutes it takes (both ways)."""

    model_config = ConfigDict(extra="forbid")

    zones: list[str] = Field(default_factory=list, max_length=100)
    travel: list[TravelTime] = Field(default_factory=list, max_length=2000)
    default_travel_minutes: int = Field(default=60, ge=0, le=600, description="When a zone is unknown")
    version: int = 0

    @field_validator("zones")
    @classmethod
    def _keys(cls, zones: list[str]) -> list[str]:
        import re

        bad = [zone for zone in zones if not re.match(KEY_PATTERN, zone)]
        if bad or len(set(zones)) != len(zones):
            raise ValueError("zone keys must be unique lowercase keys")
        return zones

    @model_validator(mode="after")
    def _known(self) -> Zones:
        known = set(self.zones)
        if any(a not in known or b not in known for t in self.travel for a, b in [t.between]):
            raise ValueError("travel names a zone that is not listed")
        return self

    def minutes(self, origin: str | None, target: str | None) -> int:
        if origin is None or target is None:
            return self.default_travel_minutes
        if origin == target:
            pair = {(t.between[0], t.between[1]): t.minutes for t in self.travel}
            return pair.get((origin, origin), 0)
        for t in self.travel:
            if set(t.between) == {origin, target}:
                return t.minutes
        return self.default_travel_minutes


class Busy(NamedTuple):
    """Time held in a calendar: a booking's visit and its claim (with buffers), or a block
    (a tuple: a month's calendars hold thousands, made on every read of availability)."""

    start: datetime
    end: datetime
    claim_start: datetime
    claim_end: datetime
    kind: str = "booking"  # booking | block
    on_site: bool = False
    zone: str | None = None
    group: str | None = None  # the services of a visit, for shared seats
    booking_id: str | None = None


@dataclass(frozen=True)
class Visit:
    """One visit of one or more services: durations and prices add up."""

    keys: tuple[str, ...]
    duration: timedelta
    price: Money | None
    step: timedelta
    before: timedelta
    after: timedelta
    min_notice: timedelta
    horizon: timedelta
    seats: int
    skills: frozenset[str]
    resource_kinds: tuple[str, ...]
    on_site: bool
    allows_staff_choice: bool

    @property
    def group(self) -> str:
        return "+".join(self.keys)


def visit_of(offerings: Sequence[Offering]) -> Visit:
    prices = [o.price for o in offerings]
    price: Money | None = None
    if all(p is not None for p in prices):
        price = Money(amount=0, currency=prices[0].currency)  # type: ignore[union-attr]
        for item in prices:
            price = price + item  # type: ignore[operator]
    return Visit(
        keys=tuple(o.key for o in offerings),
        duration=timedelta(minutes=sum(o.duration_minutes for o in offerings)),
        price=price,
        step=timedelta(minutes=offerings[0].slot_step_minutes),
        before=timedelta(minutes=offerings[0].buffer_before_minutes),
        after=timedelta(minutes=offerings[-1].buffer_after_minutes),
        min_notice=timedelta(minutes=max(o.min_notice_minutes for o in offerings)),
        horizon=timedelta(days=min(o.horizon_days for o in offerings)),
        seats=1 if len(offerings) > 1 else offerings[0].seats,
        skills=frozenset(s for o in offerings for s in o.required_skills),
        resource_kinds=tuple(sorted({k for o in offerings for k in o.required_resource_kinds})),
        on_site=any(o.at_client_address for o in offerings),
        allows_staff_choice=all(o.allows_staff_choice for o in offerings),
    )


_BY_CLAIM = operator.attrgetter("claim_start", "start")


@functools.lru_cache(maxsize=8192)
def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


@dataclass
class Calendar:
    """One specialist's or resource's hours and what is already held, sorted by claim."""

    owner_id: str
    hours: WorkingHours | None
    busy: list[Busy]
    _starts: list[datetime] = field(default_factory=list, init=False, repr=False)
    _longest: timedelta = field(default=timedelta(0), init=False, repr=False)
    _site: list[Busy] = field(default_factory=list, init=False, repr=False)
    _site_starts: list[datetime] = field(default_factory=list, init=False, repr=False)
    _windows: dict[date, list[tuple[datetime, datetime]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _loads: dict[date, int] | None = field(default=None, init=False, repr=False)
    _held_starts: list[datetime] = field(default_factory=list, init=False, repr=False)
    _held_ends: list[datetime] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.busy = sorted(self.busy, key=_BY_CLAIM)
        self._starts = [b.claim_start for b in self.busy]
        # The held time as disjoint sorted spans (what a one-seat visit must not touch).
        for held in self.busy:
            if self._held_ends and held.claim_start <= self._held_ends[-1]:
                self._held_ends[-1] = max(self._held_ends[-1], held.claim_end)
            else:
                self._held_starts.append(held.claim_start)
                self._held_ends.append(held.claim_end)
        self._longest = max((b.claim_end - b.claim_start for b in self.busy), default=timedelta(0))
        self._site = sorted(
            (b for b in self.busy if b.on_site and b.kind == "booking"), key=lambda b: b.start
        )
        self._site_starts = [b.start for b in self._site]

    def overlapping(self, start: datetime, end: datetime) -> list[Busy]:
        """Held time whose claim overlaps [start, end)."""
        high = bisect.bisect_left(self._starts, end)
        low = bisect.bisect_left(self._starts, start - self._longest)
        return [b for b in self.busy[low:high] if b.claim_end > start]

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        if self.hours is None:
            return []
        if day not in self._windows:
            self._windows[day] = self.hours.windows(day)
        return self._windows[day]

    def works(self, start: datetime, end: datetime, day: date) -> bool:
        if self.hours is None:
            return True
        return any(ws <= start and end <= we for ws, we in self.windows(day))

    def is_free(self, visit: Visit, start: datetime, end: datetime) -> bool:
        claim_start, claim_end = start - visit.before, end + visit.after
        same = 0
        for held in self.overlapping(claim_start, claim_end):
            if (
                visit.seats > 1
                and held.group == visit.group
                and held.start == start
                and held.kind == "booking"
            ):
                same += 1
                continue
            return False
        return same < visit.seats

    def free_starts(
        self, visit: Visit, day: date, earliest: datetime, latest: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The starts of `day` in [earliest, latest] whose claim is free (`is_free`), in one
        pass over the day's starts and the held spans (both sorted)."""
        found = []
        starts, ends = self._held_starts, self._held_ends
        count = len(starts)
        for window_start, window_end in self.windows(day):
            index = bisect.bisect_right(ends, window_start - visit.before)
            start = window_start
            while start + visit.duration <= window_end:
                end = start + visit.duration
                if earliest <= start <= latest:
                    if visit.seats > 1:
                        if self.is_free(visit, start, end):
                            found.append((start, end))
                    else:
                        claim_start = start - visit.before
                        while index < count and ends[index] <= claim_start:
                            index += 1
                        if index == count or starts[index] >= end + visit.after:
                            found.append((start, end))
                start += visit.step
        return found

    def site_neighbours(self, start: datetime, end: datetime) -> tuple[Busy | None, Busy | None]:
        """The on-site visits that end last before `start` and start first after `end`."""
        after = bisect.bisect_left(self._site_starts, end)
        following = self._site[after] if after < len(self._site) else None
        earlier = [b for b in self._site[max(0, after - 4) : after] if b.end <= start]
        previous = max(earlier, key=lambda b: b.end) if earlier else None
        return previous, following

    def bookings_on(self, zone: ZoneInfo, day: date) -> int:
        """How many visits the owner has on a local day (counted once per calendar)."""
        if self._loads is None:
            loads: dict[date, int] = {}
            for held in self.busy:
                if held.kind == "booking":
                    local_date = _local_date(held.start, zone)
                    loads[local_date] = loads.get(local_date, 0) + 1
            self._loads = loads
        return self._loads.get(day, 0)


def travel_allows(
    calendar: Calendar, start: datetime, end: datetime, zones: Zones, visit_zone: str | None
) -> bool:
    """The nearest on-site visits before and after leave room to travel."""
    previous, following = calendar.site_neighbours(start, end)
    if (
        previous is not None
        and previous.end + timedelta(minutes=zones.minutes(previous.zone, visit_zone)) > start
    ):
        return False
    return (
        following is None
        or end + timedelta(minutes=zones.minutes(visit_zone, following.zone)) <= following.start
    )


class Slot(Schema):
    start: datetime
    end: datetime
    staff_ids: list[str] = Field(description="Who is free then, the least booked that day first")


class DaySlots(Schema):
    date: date
    slots: list[Slot]


@dataclass(frozen=True)
class Situation:
    """Everything availability depends on besides the visit and the days asked."""

    now: datetime
    time_zone: str
    staff: Sequence[tuple[StaffMember, Calendar]]
    resources: dict[str, Sequence[Calendar]]
    zones: Zones
    visit_zone: str | None = None


def free_resources(
    visit: Visit, situation: Situation, start: datetime, end: datetime, day: date
) -> list[str] | None:
    """One free resource of each required kind, or None when a kind has none free."""
    chosen = []
    for kind in visit.resource_kinds:
        pick = next(
            (
                r.owner_id
                for r in situation.resources.get(kind, ())
                if r.works(start, end, day) and r.is_free(visit, start, end)
            ),
            None,
        )
        if pick is None:
            return None
        chosen.append(pick)
    return chosen


def _starts_of(calendar: Calendar, visit: Visit, day: date) -> Iterable[tuple[datetime, datetime]]:
    for window_start, window_end in calendar.windows(day):
        start = window_start
        while start + visit.duration <= window_end:
            yield start, start + visit.duration
            start += visit.step


def offered(
    visit: Visit, situation: Situation, calendar: Calendar, start: datetime, end: datetime, day: date
) -> bool:
    """Whether `start` is a free start of `calendar`'s specialist (it is on the step grid)."""
    if start < situation.now + visit.min_notice or start > situation.now + visit.horizon:
        return False
    if not calendar.is_free(visit, start, end):
        return False
    if visit.on_site and not travel_allows(calendar, start, end, situation.zones, situation.visit_zone):
        return False
    return not visit.resource_kinds or free_resources(visit, situation, start, end, day) is not None


def available_slots(visit: Visit, days: Sequence[date], situation: Situation) -> list[DaySlots]:
    """The free starts of each local day, with who is free at each (fairest first)."""
    zone = ZoneInfo(situation.time_zone)
    answer = []
    able = [(m, c) for m, c in situation.staff if m.can_do(visit.skills)]
    for day in days:
        by_start: dict[datetime, list[tuple[int, str]]] = {}
        for member, calendar in able:
            load = calendar.bookings_on(zone, day)
            earliest, latest = situation.now + visit.min_notice, situation.now + visit.horizon
            for start, end in calendar.free_starts(visit, day, earliest, latest):
                if visit.on_site and not travel_allows(
                    calendar, start, end, situation.zones, situation.visit_zone
                ):
                    continue
                if visit.resource_kinds and free_resources(visit, situation, start, end, day) is None:
                    continue
                by_start.setdefault(start, []).append((load, member.id))
        slots = [
            Slot(
                start=start.astimezone(zone),
                end=(start + visit.duration).astimezone(zone),
                staff_ids=[staff_id for _, staff_id in sorted(who)],
            )
            for start, who in sorted(by_start.items())
        ]
        answer.append(DaySlots(date=day, slots=slots))
    return answer


def local_day(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


def on_grid(visit: Visit, calendar: Calendar, start: datetime, day: date) -> bool:
    """Whether `start` is a start the working hours allow (free or not)."""
    return any(s == start for s, _ in _starts_of(calendar, visit, day))


def buckets(start: datetime, end: datetime) -> list[datetime]:
    """The 15-minute buckets [start, end) covers (UTC, aligned to the quarter)."""
    first = start.astimezone(UTC).replace(second=0, microsecond=0)
    first -= timedelta(minutes=first.minute % BUCKET_MINUTES)
    moments = []
    moment = first
    while moment < end:
        moments.append(moment)
        moment += timedelta(minutes=BUCKET_MINUTES)
    return moments
