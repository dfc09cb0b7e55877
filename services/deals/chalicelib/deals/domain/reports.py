"""Reports and KPIs: what each event adds to the day counters, and the reports read back
from them (the funnel, revenue, per-manager KPIs, the head's "now" view).

The counters are kept per day (in the company's time zone) x pipeline x person: the deal's
owner for the funnel and revenue, the user who did the work for calls and tasks ("-" when
nobody: an unassigned deal, a call nobody logged). Every event adds numbers, never sets
them, so duplicated events (deduplicated by the platform) and events in any order give
the same totals. The one per-deal fact that needs order, a deal's first response, is kept
as the earliest response seen, corrected when an earlier one arrives late (see `earlier`).

Counter names (`Tally` keys):
- `created`: deals opened for the person that day (new requests);
- `entered:<stage>`: deals entering the stage (a new deal enters the first stage);
- `won`, `won_amount`, `cycle_seconds`: won moves, their amounts and created -> won time;
- `won:src:<channel>`, `won_amount:src:<channel>`: the same by the deal's source channel;
- `lost`;
- `payments`, `paid_amount`: money received for the person's deals (`PaymentReceived`);
- `calls`: calls logged by the user;
- `tasks_on_time`, `tasks_late`: tasks the user completed by / after their due time (a task
  without a due time is on time); `tasks_overdue`: tasks of the user that became overdue;
- `responses`, `response_seconds`: deals opened that day whose first response (a completed
  task, a logged call or a stage move on the deal) is known, and the sum of the times to it.

Amounts are minor units of the company's currency (UAH): a deal in another currency is
counted with its own number, as the board does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, model_validator

from lanka_platform.schema import Schema

NOBODY = "-"
NO_PIPELINE = "-"
MAX_RANGE_DAYS = 366
SOURCE_PREFIX = "src:"
UNKNOWN_SOURCE = "other"

Grouping = Literal["day", "week", "month", "manager", "source"]


def day_of(moment: datetime, zone: ZoneInfo) -> date:
    """The company's calendar day of a moment."""
    return moment.astimezone(zone).date()


def month_bounds(day: date) -> tuple[date, date]:
    """The first and the last day of the day's month."""
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def month_spans(first: date, last: date) -> list[tuple[date, date]]:
    """The range from `first` to `last` (both included) cut at month ends: the first and
    last day of the range within each month it touches."""
    spans: list[tuple[date, date]] = []
    cursor = first
    while cursor <= last:
        _, month_last = month_bounds(cursor)
        spans.append((cursor, min(month_last, last)))
        cursor = month_last + timedelta(days=1)
    return spans


# ------------------------------------------------------------------------------ counting


@dataclass(frozen=True, order=True)
class Cell:
    """Where counters go: a pipeline, a day, a person."""

    pipeline_id: str
    day: date
    person: str


@dataclass
class Tally:
    """What one event adds, gathered per cell so that each counter item is written once."""

    cells: dict[Cell, dict[str, int]] = field(default_factory=dict)

    def add(self, cell: Cell, name: str, value: int = 1) -> None:
        if value == 0:
            return
        counters = self.cells.setdefault(cell, {})
        counters[name] = counters.get(name, 0) + value


def cell(pipeline_id: str | None, moment: datetime, person: str | None, zone: ZoneInfo) -> Cell:
    return Cell(pipeline_id or NO_PIPELINE, day_of(moment, zone), person or NOBODY)


def source_key(channel: str | None) -> str:
    return (channel or UNKNOWN_SOURCE).strip()[:40] or UNKNOWN_SOURCE


def deal_created(tally: Tally, at: Cell, stage: str) -> None:
    tally.add(at, "created")
    tally.add(at, f"entered:{stage}")


def stage_changed(tally: Tally, at: Cell, to_stage: str, outcome: str | None) -> None:
    tally.add(at, f"entered:{to_stage}")
    if outcome == "lost":
        tally.add(at, "lost")


def deal_won(tally: Tally, at: Cell, amount: int, cycle_seconds: int, channel: str | None) -> None:
    source = source_key(channel)
    tally.add(at, "won")
    tally.add(at, "won_amount", amount)
    tally.add(at, "cycle_seconds", max(cycle_seconds, 0))
    tally.add(at, f"won:{SOURCE_PREFIX}{source}")
    tally.add(at, f"won_amount:{SOURCE_PREFIX}{source}", amount)


def task_completed(tally: Tally, at: Cell, completed_at: datetime, due_at: datetime | None) -> None:
    on_time = due_at is None or completed_at <= due_at
    tally.add(at, "tasks_on_time" if on_time else "tasks_late")


@dataclass(frozen=True)
class FirstResponse:
    """A deal's earliest response seen so far, and the cell its time is counted in (the
    deal's creation day and owner)."""

    responded_at: datetime
    seconds: int
    pipeline_id: str
    day: date
    person: str

    @property
    def cell(self) -> Cell:
        return Cell(self.pipeline_id, self.day, self.person)


def earlier(
    known: FirstResponse | None, responded_at: datetime, created_at: datetime, home: Cell
) -> FirstResponse | None:
    """The deal's new first response if this one (at `responded_at`) comes before the one
    known, else None. A response is never counted as before its deal was opened."""
    if known is not None and responded_at >= known.responded_at:
        return None
    seconds = max(int((responded_at - created_at).total_seconds()), 0)
    if known is not None:
        home = known.cell
    return FirstResponse(responded_at, seconds, home.pipeline_id, home.day, home.person)


def count_response(tally: Tally, before: FirstResponse | None, after: FirstResponse) -> None:
    if before is None:
        tally.add(after.cell, "responses")
        tally.add(after.cell, "response_seconds", after.seconds)
    else:
        tally.add(after.cell, "response_seconds", after.seconds - before.seconds)


# ------------------------------------------------------------------------------ queries


class ReportQuery(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    from_: date = Field(alias="from", description="First day (company time), included")
    to: date = Field(description="Last day (company time), included")
    pipeline: str | None = Field(default=None, max_length=64, description="Only this pipeline")
    manager: str | None = Field(
        default=None, max_length=128, description="A user id, `me` or `unassigned` (head and admin: anyone)"
    )
    format: Literal["json", "csv"] = Field(default="json", description="`csv`: a file for Excel")

    @model_validator(mode="after")
    def _bounded(self) -> ReportQuery:
        if self.to < self.from_:
            raise ValueError("`to` is before `from`.")
        if (self.to - self.from_).days + 1 > MAX_RANGE_DAYS:
            raise ValueError(f"A report covers at most {MAX_RANGE_DAYS} days.")
        return self


class RevenueQuery(ReportQuery):
    group_by: Grouping = Field(default="month", description="day, week, month, manager or source")


class NowQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    pipeline: str | None = Field(default=None, max_length=64)
    manager: str | None = Field(default=None, max_length=128)
    format: Literal["json", "csv"] = "json"


# ------------------------------------------------------------------------------ reports


@dataclass(frozen=True)
class Row:
    """One counter item read back."""

    cell: Cell
    counters: Mapping[str, int]


def totals(rows: Iterable[Row]) -> dict[str, int]:
    summed: dict[str, int] = defaultdict(int)
    for row in rows:
        for name, value in row.counters.items():
            summed[name] += value
    return dict(summed)


def average(total: int, count: int) -> int | None:
    return round(total / count) if count else None


class FunnelStage(Schema):
    stage: str
    name: str
    kind: str
    entered: int = Field(description="Deals that entered the stage in the period")
    conversion_to_next: float | None = Field(
        description="Deals entering the next open stage (or won, after the last) over those "
        "entering this one, in the period; None when none entered this one"
    )


class Funnel(Schema):
    pipeline_id: str
    from_: date = Field(serialization_alias="from")
    to: date
    stages: list[FunnelStage]
    won_rate: float | None = Field(description="Won over deals entering the first stage")


@dataclass(frozen=True)
class StageInfo:
    key: str
    name: str
    kind: str


def funnel(pipeline_id: str, stages: list[StageInfo], rows: Iterable[Row], first: date, last: date) -> Funnel:
    summed = totals(rows)
    entered = {stage.key: summed.get(f"entered:{stage.key}", 0) for stage in stages}
    open_or_won = [stage for stage in stages if stage.kind != "lost"]
    result: list[FunnelStage] = []
    for stage in stages:
        following: StageInfo | None = None
        if stage.kind == "open":
            position = open_or_won.index(stage)
            following = open_or_won[position + 1] if position + 1 < len(open_or_won) else None
        ratio = (
            round(entered[following.key] / entered[stage.key], 4)
            if following is not None and entered[stage.key]
            else None
        )
        result.append(
            FunnelStage(
                stage=stage.key,
                name=stage.name,
                kind=stage.kind,
                entered=entered[stage.key],
                conversion_to_next=ratio,
            )
        )
    first_entered = entered[stages[0].key] if stages else 0
    won = sum(entered[stage.key] for stage in stages if stage.kind == "won")
    return Funnel(
        pipeline_id=pipeline_id,
        from_=first,
        to=last,
        stages=result,
        won_rate=round(won / first_entered, 4) if first_entered else None,
    )


class RevenueLine(Schema):
    key: str = Field(description="The day, ISO week, month, manager id or source channel")
    won_deals: int
    won_amount: int = Field(description="Minor units")
    average_deal: int | None = Field(description="Minor units; None without won deals")
    average_cycle_days: float | None = Field(description="Created -> won, in days")
    payments: int
    paid_amount: int = Field(description="Minor units")


class Revenue(Schema):
    from_: date = Field(serialization_alias="from")
    to: date
    group_by: Grouping
    currency: str
    lines: list[RevenueLine]
    total: RevenueLine


def _group_key(row: Row, grouping: Grouping) -> str:
    day = row.cell.day
    if grouping == "day":
        return day.isoformat()
    if grouping == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if grouping == "month":
        return f"{day:%Y-%m}"
    return row.cell.person


def _revenue_line(key: str, summed: Mapping[str, int], suffix: str = "") -> RevenueLine:
    won = summed.get(f"won{suffix}", 0)
    amount = summed.get(f"won_amount{suffix}", 0)
    cycle = summed.get("cycle_seconds", 0) if not suffix else 0
    return RevenueLine(
        key=key,
        won_deals=won,
        won_amount=amount,
        average_deal=average(amount, won),
        average_cycle_days=round(cycle / won / 86400, 2) if won and not suffix else None,
        payments=summed.get("payments", 0) if not suffix else 0,
        paid_amount=summed.get("paid_amount", 0) if not suffix else 0,
    )


def revenue(rows: list[Row], grouping: Grouping, first: date, last: date, currency: str) -> Revenue:
    """Won deals by the day they were won, and payments by the day they were paid."""
    if grouping == "source":
        summed = totals(rows)
        sources = sorted(
            {name.split(":", 2)[2] for name in summed if name.startswith(f"won:{SOURCE_PREFIX}")}
        )
        lines = [_revenue_line(source, summed, f":{SOURCE_PREFIX}{source}") for source in sources]
    else:
        grouped: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            grouped[_group_key(row, grouping)].append(row)
        lines = [_revenue_line(key, totals(grouped[key])) for key in sorted(grouped)]
        lines = [line for line in lines if line.won_deals or line.payments]
    return Revenue(
        from_=first,
        to=last,
        group_by=grouping,
        currency=currency,
        lines=lines,
        total=_revenue_line("total", totals(rows)),
    )


class KpiRow(Schema):
    manager_id: str = Field(description="A user id, or `-` for what nobody owned")
    new_requests: int
    won: int
    lost: int
    win_rate: float | None = Field(description="Won over won and lost; None when neither")
    won_amount: int = Field(description="Minor units")
    calls: int
    tasks_on_time: int
    tasks_late: int
    tasks_overdue: int
    average_first_response_minutes: float | None


class Kpi(Schema):
    from_: date = Field(serialization_alias="from")
    to: date
    currency: str
    rows: list[KpiRow]


def kpi_row(person: str, summed: Mapping[str, int]) -> KpiRow:
    won, lost = summed.get("won", 0), summed.get("lost", 0)
    responses = summed.get("responses", 0)
    return KpiRow(
        manager_id=person,
        new_requests=summed.get("created", 0),
        won=won,
        lost=lost,
        win_rate=round(won / (won + lost), 4) if won + lost else None,
        won_amount=summed.get("won_amount", 0),
        calls=summed.get("calls", 0),
        tasks_on_time=summed.get("tasks_on_time", 0),
        tasks_late=summed.get("tasks_late", 0),
        tasks_overdue=summed.get("tasks_overdue", 0),
        average_first_response_minutes=(
            round(summed.get("response_seconds", 0) / responses / 60, 2) if responses else None
        ),
    )


def kpi(rows: list[Row], first: date, last: date, currency: str) -> Kpi:
    """One row per person, the managers' ids in order, then `-` (nobody's)."""
    by_person: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_person[row.cell.person].append(row)
    people = sorted(by_person, key=lambda person: (person == NOBODY, person))
    return Kpi(
        from_=first, to=last, currency=currency, rows=[kpi_row(p, totals(by_person[p])) for p in people]
    )


class NowView(Schema):
    overdue_tasks: int = Field(description="Open tasks past their due time now")
    deals_past_sla: int = Field(description="Open deals in a stage longer than its SLA now")
    unassigned_requests: int = Field(description="Open deals nobody owns now")


# ------------------------------------------------------------------------------ CSV


def funnel_table(report: Funnel) -> tuple[list[str], list[list[str]]]:
    header = ["Етап / Stage", "Назва / Name", "Тип / Kind", "Увійшло / Entered", "Конверсія / Conversion"]
    rows = [
        [
            s.stage,
            s.name,
            s.kind,
            str(s.entered),
            "" if s.conversion_to_next is None else str(s.conversion_to_next),
        ]
        for s in report.stages
    ]
    return header, rows


def _money(minor: int | None) -> str:
    if minor is None:
        return ""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole}.{cents:02d}"


def revenue_table(report: Revenue) -> tuple[list[str], list[list[str]]]:
    header = [
        "Період / Key",
        "Виграно угод / Won deals",
        f"Сума / Amount ({report.currency})",
        f"Середня угода / Average deal ({report.currency})",
        "Середній цикл, днів / Average cycle, days",
        "Оплат / Payments",
        f"Оплачено / Paid ({report.currency})",
    ]
    rows = [
        [
            line.key,
            str(line.won_deals),
            _money(line.won_amount),
            _money(line.average_deal),
            "" if line.average_cycle_days is None else str(line.average_cycle_days),
            str(line.payments),
            _money(line.paid_amount),
        ]
        for line in [*report.lines, report.total]
    ]
    return header, rows


def kpi_table(report: Kpi) -> tuple[list[str], list[list[str]]]:
    header = [
        "Менеджер / Manager",
        "Нові заявки / New requests",
        "Виграно / Won",
        "Програно / Lost",
        "Конверсія / Win rate",
        f"Сума / Amount ({report.currency})",
        "Дзвінки / Calls",
        "Задачі вчасно / Tasks on time",
        "Задачі із запізненням / Tasks late",
        "Прострочені задачі / Overdue tasks",
        "Перша реакція, хв / First response, min",
    ]
    rows = [
        [
            row.manager_id,
            str(row.new_requests),
            str(row.won),
            str(row.lost),
            "" if row.win_rate is None else str(row.win_rate),
            _money(row.won_amount),
            str(row.calls),
            str(row.tasks_on_time),
            str(row.tasks_late),
            str(row.tasks_overdue),
            "" if row.average_first_response_minutes is None else str(row.average_first_response_minutes),
        ]
        for row in report.rows
    ]
    return header, rows


def now_table(view: NowView) -> tuple[list[str], list[list[str]]]:
    header = [
        "Прострочені задачі / Overdue tasks",
        "Угоди понад SLA / Deals past SLA",
        "Нерозподілені заявки / Unassigned requests",
    ]
    return header, [[str(view.overdue_tasks), str(view.deals_past_sla), str(view.unassigned_requests)]]
