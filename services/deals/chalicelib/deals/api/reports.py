"""Routes of the reports (funnel, revenue, KPIs, the head's "now" view) and the handlers that
keep their counters from the deals' own events (see `store.reports`)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from chalice.app import Response
from chalicelib.deals.domain import reports
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.pipelines import Pipeline
from chalicelib.deals.domain.reports import (
    NO_PIPELINE,
    NOBODY,
    Funnel,
    Kpi,
    NowQuery,
    NowView,
    ReportQuery,
    Revenue,
    RevenueQuery,
    Row,
    StageInfo,
    Tally,
)
from chalicelib.deals.service import service
from chalicelib.deals.store import DealStore, PipelineStore
from chalicelib.deals.store.reports import (
    OVERDUE_TASKS,
    PAST_SLA,
    UNASSIGNED,
    ReportStore,
    person_gauges,
    pipeline_gauges,
)

from lanka_platform import observability
from lanka_platform.api import Call
from lanka_platform.auth import OFFICE
from lanka_platform.contracts import deals as events
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.spreadsheet import write_csv

# `manager=unassigned`: the figures of deals nobody owns.
NOBODY_QUERY = "unassigned"


def _zone() -> ZoneInfo:
    return ZoneInfo(service.store.settings.timezone)


class _Deals:
    """The deals an event's handling needs, each read at most once."""

    def __init__(self) -> None:
        self._store = DealStore(service.store)
        self._found: dict[str, Deal | None] = {}

    def get(self, deal_id: str | None) -> Deal | None:
        if deal_id is None:
            return None
        if deal_id not in self._found:
            self._found[deal_id] = self._store.get(deal_id)
        return self._found[deal_id]


def _respond(tally: Tally, deals: _Deals, deal_id: str | None, at: Any, unit: UnitOfWork) -> None:
    """A completed task, a call or a stage move at `at` on the deal: its first response,
    when it is the earliest seen (a late event of an earlier response corrects it)."""
    deal = deals.get(deal_id)
    if deal is None or deal_id is None:
        return
    store = ReportStore(service.store)
    known = store.first_response(deal_id)
    home = reports.cell(deal.pipeline_id, deal.created_at, deal.owner_id, _zone())
    after = reports.earlier(known, at, deal.created_at, home)
    if after is None:
        return
    reports.count_response(tally, known, after)
    store.replace_first_response(unit, deal_id, known, after)


def _is_open(pipeline: Pipeline | None, stage: str) -> bool:
    found = pipeline.stage(stage) if pipeline else None
    return found is None or found.kind == "open"


@service.handles(events.DealCreated)
def report_created(event: Envelope[events.DealCreated], unit: UnitOfWork) -> None:
    data = event.data
    tally = Tally()
    reports.deal_created(
        tally, reports.cell(data.pipeline_id, event.metadata.occurred_at, data.owner_id, _zone()), data.stage
    )
    store = ReportStore(service.store)
    store.add(unit, tally)
    if data.owner_id is None:
        store.gauge(unit, pipeline_gauges(data.pipeline_id), {UNASSIGNED: 1})


@service.handles(events.DealStageChanged)
def report_moved(event: Envelope[events.DealStageChanged], unit: UnitOfWork) -> None:
    data = event.data
    moved_at = event.metadata.occurred_at
    tally = Tally()
    deals = _Deals()
    at = reports.cell(data.pipeline_id, moved_at, data.owner_id, _zone())
    reports.stage_changed(tally, at, data.to_stage, data.outcome)
    if data.outcome == "won":
        deal = deals.get(data.deal_id)
        created_at = deal.created_at if deal else moved_at
        channel = deal.source_channel if deal else None
        reports.deal_won(tally, at, data.amount, int((moved_at - created_at).total_seconds()), channel)
    _respond(tally, deals, data.deal_id, moved_at, unit)
    store = ReportStore(service.store)
    store.add(unit, tally)
    if data.owner_id is None:
        # Each move changes the gauge by its own before and after, so moves in any order
        # add up to the deal's last state.
        pipeline = PipelineStore(service.store).get(data.pipeline_id)
        change = int(_is_open(pipeline, data.to_stage)) - int(_is_open(pipeline, data.from_stage))
        store.gauge(unit, pipeline_gauges(data.pipeline_id), {UNASSIGNED: change})


@service.handles(events.DealUpdated)
def report_changed(event: Envelope[events.DealUpdated], unit: UnitOfWork) -> None:
    data = event.data
    if (data.owner_id is None) == (data.previous_owner_id is None):
        return
    pipeline = PipelineStore(service.store).get(data.pipeline_id)
    if _is_open(pipeline, data.stage):
        change = 1 if data.owner_id is None else -1
        ReportStore(service.store).gauge(unit, pipeline_gauges(data.pipeline_id), {UNASSIGNED: change})


@service.handles(events.TaskCompleted)
def report_task_done(event: Envelope[events.TaskCompleted], unit: UnitOfWork) -> None:
    data = event.data
    done_at = event.metadata.occurred_at
    deals = _Deals()
    deal = deals.get(data.deal_id)
    tally = Tally()
    at = reports.cell(deal.pipeline_id if deal else None, done_at, data.completed_by, _zone())
    reports.task_completed(tally, at, done_at, data.due_at)
    _respond(tally, deals, data.deal_id, done_at, unit)
    ReportStore(service.store).add(unit, tally)


@service.handles(events.TaskOverdue)
def report_task_overdue(event: Envelope[events.TaskOverdue], unit: UnitOfWork) -> None:
    data = event.data
    if data.escalated:
        return  # the same overdue task, now told to the head: counted once, when it fell due
    deal = _Deals().get(data.deal_id)
    tally = Tally()
    at = reports.cell(
        deal.pipeline_id if deal else None, event.metadata.occurred_at, data.assignee_id, _zone()
    )
    tally.add(at, "tasks_overdue")
    ReportStore(service.store).add(unit, tally)


@service.handles(events.CallLogged)
def report_call(event: Envelope[events.CallLogged], unit: UnitOfWork) -> None:
    data = event.data
    called_at = event.metadata.occurred_at
    deals = _Deals()
    deal = deals.get(data.deal_id)
    tally = Tally()
    tally.add(reports.cell(deal.pipeline_id if deal else None, called_at, data.user_id, _zone()), "calls")
    _respond(tally, deals, data.deal_id, called_at, unit)
    ReportStore(service.store).add(unit, tally)


@service.handles(events.PaymentReceived)
def report_payment(event: Envelope[events.PaymentReceived], unit: UnitOfWork) -> None:
    data = event.data
    deal = _Deals().get(data.deal_id)
    paid_at = data.paid_at or event.metadata.occurred_at
    tally = Tally()
    at = reports.cell(deal.pipeline_id if deal else None, paid_at, deal.owner_id if deal else None, _zone())
    tally.add(at, "payments")
    tally.add(at, "paid_amount", data.amount)
    ReportStore(service.store).add(unit, tally)


# ------------------------------------------------------------------------------ routes


def _person(call: Call, manager: str | None) -> str | None:
    """Whose figures the caller asked for (None: everyone's); a manager sees only his own."""
    user = call.user
    if not user.is_supervisor:
        if manager not in (None, "me", user.user_id):
            raise Problem.forbidden("A manager sees his own figures only.")
        return user.user_id
    if manager in (None, ""):
        return None
    return {"me": user.user_id, NOBODY_QUERY: NOBODY}.get(manager, manager)


def _pipelines(call: Call, pipeline_id: str | None) -> list[str]:
    if pipeline_id is not None:
        if PipelineStore(call.store).get(pipeline_id) is None:
            raise Problem.invalid(
                [{"field": "pipeline", "message": "There is no such pipeline.", "in": "query"}]
            )
        return [pipeline_id]
    # Calls and tasks without a deal are counted under no pipeline.
    return [pipeline.id for pipeline in PipelineStore(call.store).all()] + [NO_PIPELINE]


def _rows(call: Call, query: ReportQuery, pipeline_ids: list[str], *, by_day: bool = False) -> list[Row]:
    """The counters the report needs; `by_day`: day by day even over whole months."""
    person = _person(call, query.manager)
    store = ReportStore(call.store)
    return [
        row
        for pipeline_id in pipeline_ids
        for row in store.rows(pipeline_id, query.from_, query.to, by_day=by_day)
        if person is None or row.cell.person == person
    ]


def _csv(
    name: str, query_range: tuple[date, date] | None, table: tuple[list[str], list[list[str]]]
) -> Response:
    header, rows = table
    suffix = f"-{query_range[0]}-{query_range[1]}" if query_range else ""
    return Response(
        body=write_csv(header, rows).decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}{suffix}.csv"',
            observability.CORRELATION_HEADER: observability.correlation_id(),
        },
    )


@service.route("/reports/funnel", query=ReportQuery, response=Funnel, roles=OFFICE)
def funnel_report(call: Call, query: ReportQuery) -> Funnel | Response:
    """Deals entering each stage of a pipeline (the default one unless `pipeline`) in the
    period, and the conversion from each stage to the next."""
    pipelines = PipelineStore(call.store)
    pipeline = pipelines.get(query.pipeline) if query.pipeline else pipelines.default()
    if pipeline is None:
        raise Problem.invalid([{"field": "pipeline", "message": "There is no such pipeline.", "in": "query"}])
    stages = [StageInfo(stage.key, stage.name, stage.kind) for stage in pipeline.stages]
    report = reports.funnel(pipeline.id, stages, _rows(call, query, [pipeline.id]), query.from_, query.to)
    if query.format == "csv":
        return _csv(f"funnel-{pipeline.id}", (query.from_, query.to), reports.funnel_table(report))
    return report


@service.route("/reports/revenue", query=RevenueQuery, response=Revenue, roles=OFFICE)
def revenue_report(call: Call, query: RevenueQuery) -> Revenue | Response:
    """Won deals' amounts (on the day won) and payments received, by day, week, month,
    manager or source channel, with the average deal size and cycle time."""
    by_day = query.group_by in ("day", "week")
    rows = _rows(call, query, _pipelines(call, query.pipeline), by_day=by_day)
    report = reports.revenue(rows, query.group_by, query.from_, query.to, call.store.settings.currency)
    if query.format == "csv":
        return _csv(f"revenue-{query.group_by}", (query.from_, query.to), reports.revenue_table(report))
    return report


@service.route("/reports/kpi", query=ReportQuery, response=Kpi, roles=OFFICE)
def kpi_report(call: Call, query: ReportQuery) -> Kpi | Response:
    """Every manager's KPIs for the period (a manager: his own row)."""
    rows = _rows(call, query, _pipelines(call, query.pipeline))
    report = reports.kpi(rows, query.from_, query.to, call.store.settings.currency)
    if query.format == "csv":
        return _csv("kpi", (query.from_, query.to), reports.kpi_table(report))
    return report


@service.route("/reports/now", query=NowQuery, response=NowView, roles=OFFICE)
def now_report(call: Call, query: NowQuery) -> NowView | Response:
    """Overdue tasks, deals past their stage's SLA and unassigned requests, now (a manager:
    his own overdue tasks and deals, and the unassigned requests he may take)."""
    person = _person(call, query.manager)
    if query.pipeline is not None:
        _pipelines(call, query.pipeline)
    gauges = ReportStore(call.store).gauges()
    people = [
        counters
        for key, counters in gauges.items()
        if key.startswith(person_gauges("")) and (person is None or key == person_gauges(person))
    ]
    pipelines = [
        counters
        for key, counters in gauges.items()
        if key.startswith(pipeline_gauges(""))
        and query.pipeline in (None, key.removeprefix(pipeline_gauges("")))
    ]
    # A manager sees the unassigned requests (he may take them); the head asking for one
    # manager's figures sees that manager's only.
    show_unassigned = person in (None, NOBODY) or not call.user.is_supervisor
    view = NowView(
        overdue_tasks=sum(counters.get(OVERDUE_TASKS, 0) for counters in people),
        deals_past_sla=sum(counters.get(PAST_SLA, 0) for counters in people),
        unassigned_requests=sum(c.get(UNASSIGNED, 0) for c in pipelines) if show_unassigned else 0,
    )
    if query.format == "csv":
        return _csv("now", None, reports.now_table(view))
    return view
