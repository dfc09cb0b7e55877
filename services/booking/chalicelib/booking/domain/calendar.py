"""Who can be booked and when: staff, resources, zones, working hours and availability.

Everything here is pure: the store hands in what each owner holds (from the month sheets
of all of them, one read) and `available_slots` answers which starts are free. The same
rules decide at booking time whether a start is still free, so what is offered and what is
accepted can never disagree.

Times are whole minutes since the epoch (UTC) inside: a month of ten specialists is
thousands of held times and a thousand and more starts, and integers cost a fraction of
datetimes. For a one-seat visit the free starts of a working window come from the gaps
between the held spans (merged, sorted), a range of the step grid per gap, not from testing
every start against the held time; the answer is formatted once, by the route.

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
from collections.abc import Callable, Iterable, Sequence
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
    """Time held in a calendar: a booking's visit and its claim (with buffers), or a block,
    in whole minutes since the epoch (UTC). A tuple of integers: a month's calendars hold
    thousands, made on every read of availability."""

    start: int
    end: int
    claim_start: int
    claim_end: int
    kind: str = "booking"  # booking | block
    on_site: bool = False
    zone: str | None = None
    group: str | None = None  # the services of a visit, for shared seats
    booking_id: str | None = None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


def minute_of(moment: datetime) -> int:
    """Whole minutes since the epoch (UTC) of `moment`, rounded down."""
    return (moment - _EPOCH) // _MINUTE


def moment_of(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)


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

    @property
    def reads_rows(self) -> bool:
        """Whether finding its free starts reads whole calendar rows (shared seats, travel
        between visits, resources), not only the time held."""
        return self.seats > 1 or self.on_site or bool(self.resource_kinds)

    @property
    def minutes(self) -> tuple[int, int, int, int]:
        """Duration, step, buffer before and after, in minutes."""
        return (
            self.duration // _MINUTE,
            self.step // _MINUTE,
            self.before // _MINUTE,
            self.after // _MINUTE,
        )


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


_BY_CLAIM = operator.itemgetter(2, 0)  # claim_start, start
_NO_WINDOWS: tuple[tuple[int, int], ...] = ()
# The working windows of a day for a plan of hours (its JSON): staff often share one plan,
# and a warm process keeps what it worked out (a pure function of the plan and the day).
_WINDOWS: dict[tuple[str, date], tuple[tuple[int, int], ...]] = {}
_WINDOWS_KEPT = 20_000


def _day_windows(hours: WorkingHours, plan: str, day: date) -> tuple[tuple[int, int], ...]:
    found = _WINDOWS.get((plan, day))
    if found is None:
        if len(_WINDOWS) >= _WINDOWS_KEPT:
            _WINDOWS.clear()
        found = _WINDOWS[(plan, day)] = tuple((minute_of(s), minute_of(e)) for s, e in hours.windows(day))
    return found


@functools.lru_cache(maxsize=4096)
def day_bounds(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """The minutes [first, end) of a local day (23 or 25 hours on the days of DST changes)."""
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return minute_of(midnight), minute_of(following)


class Holdings:
    """What an owner holds, for availability: the claims (start, end; sorted) and the
    starts of the bookings right away, the whole `Busy` tuples only when a rule asks for
    them (shared seats, travel, one start's check). A month of a busy specialist is hundreds
    of lines read on every look at the slots, and most looks need only the claims."""

    def __init__(
        self,
        claim_starts: list[int],
        claim_ends: list[int],
        booked: list[int],
        rows: Callable[[], list[Busy]],
    ) -> None:
        if any(map(operator.gt, claim_starts, claim_starts[1:])):
            order = sorted(range(len(claim_starts)), key=claim_starts.__getitem__)
            claim_starts = [claim_starts[i] for i in order]
            claim_ends = [claim_ends[i] for i in order]
        self.claim_starts = claim_starts
        self.claim_ends = claim_ends
        self.booked = booked if not any(map(operator.gt, booked, booked[1:])) else sorted(booked)
        self._rows = rows
        self._busy: list[Busy] | None = None

    @classmethod
    def of(cls, busy: Sequence[Busy]) -> Holdings:
        rows = list(busy)
        return cls(
            [b.claim_start for b in rows],
            [b.claim_end for b in rows],
            [b.start for b in rows if b.kind == "booking"],
            lambda: rows,
        )

    @property
    def busy(self) -> list[Busy]:
        """Every booking and block, sorted by claim."""
        if self._busy is None:
            self._busy = sorted(self._rows(), key=_BY_CLAIM)
        return self._busy


@dataclass
class Calendar:
    """One specialist's or resource's hours and what is already held (`Busy` tuples or
    `Holdings`); all times in minutes since the epoch."""

    owner_id: str
    hours: WorkingHours | None
    held: Holdings | Sequence[Busy]
    _longest: int = field(default=0, init=False, repr=False)
    _plan: str = field(default="", init=False, repr=False)
    _spans: tuple[list[int], list[int]] | None = field(default=None, init=False, repr=False)
    _site: list[Busy] | None = field(default=None, init=False, repr=False)
    _site_starts: list[int] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.held, Holdings):
            self.held = Holdings.of(self.held)
        held = self.holdings
        self._longest = max(map(operator.sub, held.claim_ends, held.claim_starts), default=0)
        self._plan = self.hours.model_dump_json() if self.hours is not None else ""

    @property
    def holdings(self) -> Holdings:
        assert isinstance(self.held, Holdings)
        return self.held

    @property
    def busy(self) -> list[Busy]:
        return self.holdings.busy

    def held_spans(self) -> tuple[list[int], list[int]]:
        """The held time as disjoint sorted spans (starts, ends): what a one-seat visit must
        not touch."""
        if self._spans is None:
            starts: list[int] = []
            ends: list[int] = []
            held = self.holdings
            for claim_start, claim_end in zip(held.claim_starts, held.claim_ends, strict=True):
                if ends and claim_start <= ends[-1]:
                    if claim_end > ends[-1]:
                        ends[-1] = claim_end
                else:
                    starts.append(claim_start)
                    ends.append(claim_end)
            self._spans = (starts, ends)
        return self._spans

    def overlapping(self, start: int, end: int) -> list[Busy]:
        """Held time whose claim overlaps [start, end)."""
        claim_starts = self.holdings.claim_starts
        high = bisect.bisect_left(claim_starts, end)
        low = bisect.bisect_left(claim_starts, start - self._longest)
        return [b for b in self.busy[low:high] if b.claim_end > start]

    def windows(self, day: date) -> tuple[tuple[int, int], ...]:
        if self.hours is None:
            return _NO_WINDOWS
        return _day_windows(self.hours, self._plan, day)

    def works(self, start: int, end: int, day: date) -> bool:
        if self.hours is None:
            return True
        return any(ws <= start and end <= we for ws, we in self.windows(day))

    def is_free(self, visit: Visit, start: int, end: int) -> bool:
        _, _, before, after = visit.minutes
        same = 0
        for held in self.overlapping(start - before, end + after):
            shared = held.group == visit.group and held.start == start and held.kind == "booking"
            if visit.seats > 1 and shared:
                same += 1
                continue
            return False
        return same < visit.seats

    def free_starts(self, visit: Visit, day: date, earliest: int, latest: int) -> list[int]:
        """The starts of `day` in [earliest, latest] whose claim is free (`is_free`). For a
        one-seat visit, the gaps between the held spans give them directly: every start on
        the window's grid whose claim fits in a gap."""
        duration, step, before, after = visit.minutes
        found: list[int] = []
        if visit.seats > 1:
            for window_start, window_end in self.windows(day):
                for start in range(window_start, window_end - duration + 1, step):
                    if earliest <= start <= latest and self.is_free(visit, start, start + duration):
                        found.append(start)
            return found
        starts, ends = self.held_spans()
        count = len(starts)
        for window_start, window_end in self.windows(day):
            index = bisect.bisect_right(ends, window_start - before)
            low_limit = max(window_start, earliest)
            high_limit = min(window_end - duration, latest)
            gap_start = window_start - before
            while True:
                gap_end = starts[index] if index < count else None
                low = max(low_limit, gap_start + before)
                high = high_limit if gap_end is None else min(high_limit, gap_end - duration - after)
                if high >= low:
                    first = window_start - (window_start - low) // step * step
                    found.extend(range(first, high + 1, step))
                if gap_end is None or gap_end >= window_end + after:
                    break
                gap_start = ends[index]
                index += 1
        return found

    def site_neighbours(self, start: int, end: int) -> tuple[Busy | None, Busy | None]:
        """The on-site visits that end last before `start` and start first after `end`."""
        if self._site is None:
            self._site = sorted((b for b in self.busy if b.on_site and b.kind == "booking"), key=_BY_START)
            self._site_starts = [b.start for b in self._site]
        site = self._site
        after = bisect.bisect_left(self._site_starts, end)
        following = site[after] if after < len(site) else None
        earlier = [b for b in site[max(0, after - 4) : after] if b.end <= start]
        previous = max(earlier, key=_BY_END) if earlier else None
        return previous, following

    def bookings_on(self, zone: ZoneInfo, day: date) -> int:
        """How many visits the owner has on a local day (counted once per calendar)."""
        booked = self.holdings.booked
        first, end = day_bounds(day, zone)
        return bisect.bisect_left(booked, end) - bisect.bisect_left(booked, first)


_BY_START = operator.itemgetter(0)
_BY_END = operator.itemgetter(1)


def travel_allows(calendar: Calendar, start: int, end: int, zones: Zones, visit_zone: str | None) -> bool:
    """The nearest on-site visits before and after leave room to travel."""
    previous, following = calendar.site_neighbours(start, end)
    if previous is not None and previous.end + zones.minutes(previous.zone, visit_zone) > start:
        return False
    return following is None or end + zones.minutes(visit_zone, following.zone) <= following.start


class Slot(Schema):
    start: datetime
    end: datetime
    staff_ids: list[str] = Field(description="Who is free then, the least booked that day first")


class DaySlots(Schema):
    date: date
    slots: list[Slot]


class Offer(NamedTuple):
    """A free start (minutes since the epoch) and who is free then, fairest first."""

    start: int
    end: int
    staff_ids: list[str]


class DayOffers(NamedTuple):
    date: date
    slots: list[Offer]


@dataclass(frozen=True)
class Situation:
    """Everything availability depends on besides the visit and the days asked."""

    now: datetime
    time_zone: str
    staff: Sequence[tuple[StaffMember, Calendar]]
    resources: dict[str, Sequence[Calendar]]
    zones: Zones
    visit_zone: str | None = None

    def bounds(self, visit: Visit) -> tuple[int, int]:
        """The first and the last minute a visit may start (notice and horizon)."""
        # The first whole minute at or after now + notice, the last at or before the horizon.
        return -((_EPOCH - self.now - visit.min_notice) // _MINUTE), minute_of(self.now + visit.horizon)


def free_resources(visit: Visit, situation: Situation, start: int, end: int, day: date) -> list[str] | None:
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


def offered(visit: Visit, situation: Situation, calendar: Calendar, start: int, day: date) -> bool:
    """Whether `start` is a free start of `calendar`'s specialist (it is on the step grid)."""
    earliest, latest = situation.bounds(visit)
    end = start + visit.minutes[0]
    if not earliest <= start <= latest or not calendar.is_free(visit, start, end):
        return False
    if visit.on_site and not travel_allows(calendar, start, end, situation.zones, situation.visit_zone):
        return False
    return not visit.resource_kinds or free_resources(visit, situation, start, end, day) is not None


def available_slots(visit: Visit, days: Sequence[date], situation: Situation) -> list[DayOffers]:
    """The free starts of each local day, with who is free at each (fairest first: the
    least booked that day, then by id)."""
    zone = ZoneInfo(situation.time_zone)
    duration = visit.minutes[0]
    earliest, latest = situation.bounds(visit)
    able = [(m.id, c) for m, c in situation.staff if m.can_do(visit.skills)]
    answer = []
    for day in days:
        by_start: dict[int, list[str]] = {}
        for _, staff_id, calendar in sorted((c.bookings_on(zone, day), i, c) for i, c in able):
            for start in calendar.free_starts(visit, day, earliest, latest):
                end = start + duration
                if visit.on_site and not travel_allows(
                    calendar, start, end, situation.zones, situation.visit_zone
                ):
                    continue
                if visit.resource_kinds and free_resources(visit, situation, start, end, day) is None:
                    continue
                who = by_start.get(start)
                if who is None:
                    by_start[start] = [staff_id]
                else:
                    who.append(staff_id)
        slots = [Offer(start, start + duration, by_start[start]) for start in sorted(by_start)]
        answer.append(DayOffers(day, slots))
    return answer


def local_day(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


def on_grid(visit: Visit, calendar: Calendar, start: int, day: date) -> bool:
    """Whether `start` is a start the working hours allow (free or not)."""
    duration, step, _, _ = visit.minutes
    return any(ws <= start <= we - duration and (start - ws) % step == 0 for ws, we in calendar.windows(day))


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
