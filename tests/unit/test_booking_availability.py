"""Availability as a pure function: property tests against a minute-by-minute oracle, and
the cases people get wrong (DST days, notice, horizon, seats, fairness, several services)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.booking.domain.calendar import (
    Busy,
    Calendar,
    DateRange,
    Situation,
    StaffMember,
    TimeRange,
    TravelTime,
    WorkingHours,
    Zones,
    available_slots,
    minute_of,
    moment_of,
    visit_of,
)
from chalicelib.booking.domain.catalog import Offering
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanka_platform.money import Money

KYIV = ZoneInfo("Europe/Kyiv")
DAYS = (date(2027, 3, 28), date(2027, 6, 15), date(2027, 10, 31))  # spring change, summer, autumn change
ZONE_KEYS = ("centre", "left", "right")
CREATED = datetime(2027, 1, 1, tzinfo=UTC)


def offering(key: str = "measurement", **fields) -> Offering:
    values = {"name": "Замір", "duration_minutes": 60, "min_notice_minutes": 0, "horizon_days": 365, **fields}
    return Offering(id=key, key=key, created_at=CREATED, **values)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def member(hours: WorkingHours, staff_id: str = "s1", skills=()) -> StaffMember:
    return StaffMember(id=staff_id, name="Іван", hours=hours, skills=list(skills))


def at(day: date, minutes: int) -> datetime:
    return (
        (datetime(day.year, day.month, day.day) + timedelta(minutes=minutes))
        .replace(tzinfo=KYIV)
        .astimezone(UTC)
    )


def local_hour(minute: int) -> int:
    return moment_of(minute).astimezone(KYIV).hour


def situation(now, staff, zones=None, visit_zone=None) -> Situation:
    return Situation(now, "Europe/Kyiv", staff, {}, zones or Zones(), visit_zone)


# ---------------------------------------------------------------------------- strategies

quarters = st.integers(min_value=1, max_value=12).map(lambda n: n * 15)


@st.composite
def worlds(draw):
    day = draw(st.sampled_from(DAYS))
    opens = draw(st.integers(min_value=7 * 4, max_value=11 * 4)) * 15
    closes = draw(st.integers(min_value=15 * 4, max_value=20 * 4)) * 15
    pause = None
    if draw(st.booleans()):
        pause_start = draw(st.integers(min_value=opens // 15 + 1, max_value=closes // 15 - 2)) * 15
        pause = (pause_start, pause_start + draw(st.sampled_from([15, 30, 60])))
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    day_off = draw(st.integers(min_value=0, max_value=9)) == 0
    hours = WorkingHours(
        weekly={weekday: [TimeRange(start=hhmm(opens), end=hhmm(closes))]},
        breaks={weekday: [TimeRange(start=hhmm(pause[0]), end=hhmm(pause[1]))]} if pause else {},
        vacations=[DateRange(first=day, last=day)] if day_off else [],
    )
    busy = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        start = at(day, draw(st.integers(min_value=6 * 4, max_value=20 * 4)) * 15)
        length = timedelta(minutes=draw(quarters))
        before = timedelta(minutes=draw(st.sampled_from([0, 15, 30])))
        after = timedelta(minutes=draw(st.sampled_from([0, 15, 30])))
        busy.append(
            Busy(
                start=minute_of(start),
                end=minute_of(start + length),
                claim_start=minute_of(start - before),
                claim_end=minute_of(start + length + after),
                kind=draw(st.sampled_from(["booking", "block"])),
                on_site=draw(st.booleans()),
                zone=draw(st.sampled_from([*ZONE_KEYS, None])),
            )
        )
    travel = [
        TravelTime(between=(a, b), minutes=draw(st.sampled_from([0, 15, 30, 45, 90])))
        for i, a in enumerate(ZONE_KEYS)
        for b in ZONE_KEYS[i:]
    ]
    zones = Zones(
        zones=list(ZONE_KEYS), travel=travel, default_travel_minutes=draw(st.sampled_from([0, 30, 60]))
    )
    service = offering(
        duration_minutes=draw(quarters),
        slot_step_minutes=draw(st.sampled_from([15, 30, 60])),
        buffer_before_minutes=draw(st.sampled_from([0, 15, 30])),
        buffer_after_minutes=draw(st.sampled_from([0, 15, 30])),
        at_client_address=draw(st.booleans()),
    )
    visit_zone = draw(st.sampled_from([*ZONE_KEYS, None]))
    return day, opens, closes, pause, day_off, hours, busy, zones, service, visit_zone


# ---------------------------------------------------------------------------- the oracle


def working_minutes(day, opens, closes, pause, day_off) -> list[datetime]:
    """Every working minute of the day, in UTC, counted one by one in local time."""
    if day_off:
        return []
    return [
        at(day, minute)
        for minute in range(opens, closes)
        if pause is None or not pause[0] <= minute < pause[1]
    ]


def grid(minutes: list[datetime], step: timedelta, duration: timedelta) -> list[datetime]:
    """Starts every `step` from the beginning of each run of working minutes, whole visit inside."""
    runs, run = [], []
    for minute in minutes:
        if run and minute != run[-1] + timedelta(minutes=1):
            runs.append(run)
            run = []
        run.append(minute)
    if run:
        runs.append(run)
    starts = []
    for run in runs:
        start, end = run[0], run[-1] + timedelta(minutes=1)
        while start + duration <= end:
            starts.append(start)
            start += step
    return starts


def free_by_oracle(start, visit, busy, zones, visit_zone) -> bool:
    """Whether `start` is free, by every held time's minutes (since the epoch)."""
    start = minute_of(start)
    end = start + visit.duration // timedelta(minutes=1)
    claim = (start - visit.before // timedelta(minutes=1), end + visit.after // timedelta(minutes=1))
    if any(b.claim_start < claim[1] and claim[0] < b.claim_end for b in busy):
        return False
    if not visit.on_site:
        return True
    site = [b for b in busy if b.on_site and b.kind == "booking"]
    earlier = [b for b in site if b.end <= start]
    later = [b for b in site if b.start >= end]
    if earlier:
        previous = max(earlier, key=lambda b: b.end)
        if previous.end + zones.minutes(previous.zone, visit_zone) > start:
            return False
    if later:
        following = min(later, key=lambda b: b.start)
        if end + zones.minutes(visit_zone, following.zone) > following.start:
            return False
    return True


def offered_starts(world) -> tuple[set[datetime], object]:
    day, _, _, _, _, hours, busy, zones, service, visit_zone = world
    visit = visit_of([service])
    now = at(day, 0) - timedelta(days=1)
    staff = [(member(hours), Calendar("s1", hours, busy))]
    (answer,) = available_slots(visit, [day], situation(now, staff, zones, visit_zone))
    return {moment_of(slot.start) for slot in answer.slots}, visit


# ---------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_no_offered_slot_overlaps_a_booking_a_break_a_day_off_or_a_travel_window(world):
    # given
    day, opens, closes, pause, day_off, _, busy, zones, _, visit_zone = world
    working = set(working_minutes(day, opens, closes, pause, day_off))
    # when
    starts, visit = offered_starts(world)
    # then
    for start in starts:
        visit_minutes = [
            start + timedelta(minutes=m) for m in range(int(visit.duration.total_seconds() // 60))
        ]
        assert all(minute in working for minute in visit_minutes), "outside hours, in a break or on a day off"
        assert free_by_oracle(start, visit, busy, zones, visit_zone), "overlaps held time or travel"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_every_free_start_on_the_grid_is_offered(world):
    # given
    day, opens, closes, pause, day_off, _, busy, zones, _, visit_zone = world
    # when
    starts, visit = offered_starts(world)
    # then
    candidates = grid(working_minutes(day, opens, closes, pause, day_off), visit.step, visit.duration)
    expected = {start for start in candidates if free_by_oracle(start, visit, busy, zones, visit_zone)}
    assert starts == expected


# ---------------------------------------------------------------------------- examples


def nine_to_six(**fields) -> WorkingHours:
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return WorkingHours(weekly={d: [TimeRange(start="09:00", end="18:00")] for d in days}, **fields)


def test_working_hours_stay_at_local_nine_across_both_dst_changes():
    # given
    hours = nine_to_six()
    # when
    before_spring, spring = hours.windows(date(2027, 3, 27))[0][0], hours.windows(date(2027, 3, 28))[0][0]
    before_autumn, autumn = hours.windows(date(2027, 10, 30))[0][0], hours.windows(date(2027, 10, 31))[0][0]
    # then
    assert (before_spring.hour, spring.hour) == (7, 6)
    assert (before_autumn.hour, autumn.hour) == (6, 7)
    assert spring.astimezone(KYIV).hour == autumn.astimezone(KYIV).hour == 9


def test_slots_keep_the_minimum_notice_and_the_horizon():
    # given
    day = date(2027, 6, 15)
    visit = visit_of([offering(min_notice_minutes=180, horizon_days=1, slot_step_minutes=60)])
    now = at(day, 10 * 60)
    staff = [(member(nine_to_six()), Calendar("s1", nine_to_six(), []))]
    # when
    today, tomorrow, later = available_slots(
        visit, [day, day + timedelta(days=1), day + timedelta(days=2)], situation(now, staff)
    )
    # then
    assert [local_hour(s.start) for s in today.slots] == [13, 14, 15, 16, 17]
    assert [local_hour(s.start) for s in tomorrow.slots] == [9, 10]
    assert later.slots == []


def test_a_slot_with_seats_left_is_still_offered_to_the_same_service():
    # given
    day = date(2027, 6, 15)
    visit = visit_of([offering(seats=2, slot_step_minutes=60)])
    start = minute_of(at(day, 9 * 60))
    held = Busy(start, start + 60, start, start + 60, group=visit.group)
    staff = [(member(nine_to_six()), Calendar("s1", nine_to_six(), [held]))]
    now = at(day, 0) - timedelta(days=1)
    # when
    (once,) = available_slots(visit, [day], situation(now, staff))
    twice = Calendar("s1", nine_to_six(), [held, held])
    (full,) = available_slots(visit, [day], situation(now, [(member(nine_to_six()), twice)]))
    # then
    assert once.slots[0].start == start
    assert full.slots[0].start != start


def test_any_specialist_lists_the_least_booked_that_day_first():
    # given
    day = date(2027, 6, 15)
    visit = visit_of([offering(slot_step_minutes=60)])
    busy_start = minute_of(at(day, 16 * 60))
    held = Busy(busy_start, busy_start + 60, busy_start, busy_start + 60)
    staff = [
        (member(nine_to_six(), "a-busy"), Calendar("a-busy", nine_to_six(), [held])),
        (member(nine_to_six(), "b-free"), Calendar("b-free", nine_to_six(), [])),
    ]
    # when
    (answer,) = available_slots(visit, [day], situation(at(day, 0) - timedelta(days=1), staff))
    # then
    assert answer.slots[0].staff_ids == ["b-free", "a-busy"]


def test_several_services_in_one_visit_add_durations_and_prices():
    # given
    services = [
        offering("measurement", duration_minutes=60, price=Money(amount=0)),
        offering("consultation", duration_minutes=30, price=Money(amount=50000)),
    ]
    # when
    visit = visit_of(services)
    # then
    assert visit.duration == timedelta(minutes=90)
    assert visit.price == Money(amount=50000)


def test_only_staff_with_the_required_skills_are_offered():
    # given
    day = date(2027, 6, 15)
    visit = visit_of([offering(required_skills=["measure"])])
    staff = [
        (member(nine_to_six(), "cook"), Calendar("cook", nine_to_six(), [])),
        (member(nine_to_six(), "measurer", ["measure"]), Calendar("measurer", nine_to_six(), [])),
    ]
    # when
    (answer,) = available_slots(visit, [day], situation(at(day, 0) - timedelta(days=1), staff))
    # then
    assert {who for slot in answer.slots for who in slot.staff_ids} == {"measurer"}
