"""Report rules that need no AWS: company days, months of a range, first responses in any
order, the funnel's conversion, query limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from chalicelib.deals.domain.reports import (
    Cell,
    ReportQuery,
    Row,
    StageInfo,
    Tally,
    count_response,
    day_of,
    earlier,
    funnel,
    month_bounds,
    month_spans,
)
from pydantic import ValidationError

KYIV = ZoneInfo("Europe/Kyiv")
CREATED = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
HOME = Cell("furniture", date(2027, 3, 1), "olena")


def test_a_late_evening_in_utc_is_the_next_day_in_kyiv():
    # when
    found = day_of(datetime(2027, 6, 30, 21, 30, tzinfo=UTC), KYIV)
    # then
    assert found == date(2027, 7, 1)


def test_a_range_is_cut_at_the_ends_of_every_month_it_touches():
    # when
    found = month_spans(date(2026, 11, 30), date(2027, 2, 1))
    # then
    assert found == [
        (date(2026, 11, 30), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 31)),
        (date(2027, 2, 1), date(2027, 2, 1)),
    ]


def test_a_month_is_whole_from_its_first_to_its_last_day_in_a_leap_year_too():
    # when
    found = [month_bounds(date(2028, 2, 17)), month_bounds(date(2027, 12, 5))]
    # then
    assert found == [(date(2028, 2, 1), date(2028, 2, 29)), (date(2027, 12, 1), date(2027, 12, 31))]


def test_the_first_response_is_the_earliest_whatever_order_they_arrive_in():
    # given
    tally = Tally()
    late = earlier(None, CREATED + timedelta(minutes=40), CREATED, HOME)
    assert late is not None
    count_response(tally, None, late)
    # when
    early = earlier(late, CREATED + timedelta(minutes=15), CREATED, HOME)
    assert early is not None
    count_response(tally, late, early)
    # then
    assert earlier(early, CREATED + timedelta(minutes=20), CREATED, HOME) is None
    assert tally.cells[HOME] == {"responses": 1, "response_seconds": 15 * 60}


def test_conversion_is_the_next_stage_over_this_one_and_lost_has_none():
    # given
    stages = [
        StageInfo("new", "Нова", "open"),
        StageInfo("talks", "Перемовини", "open"),
        StageInfo("won", "Виграно", "won"),
        StageInfo("lost", "Втрачено", "lost"),
    ]
    rows = [Row(HOME, {"entered:new": 4, "entered:talks": 2, "entered:won": 1, "entered:lost": 1})]
    # when
    report = funnel("furniture", stages, rows, HOME.day, HOME.day)
    # then
    assert [s.conversion_to_next for s in report.stages] == [0.5, 0.5, None, None]
    assert report.won_rate == 0.25


def test_a_range_longer_than_366_days_is_refused():
    # when / then
    with pytest.raises(ValidationError):
        ReportQuery.model_validate({"from": "2026-01-01", "to": "2027-01-02"})
    assert ReportQuery.model_validate({"from": "2026-01-01", "to": "2027-01-01"}).to == date(2027, 1, 1)
