"""Deadlines: the minute-by-minute timer sweep (a schedule), what each task and deal timer
does when it fires, and the head's list of everything overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from chalicelib.deals.domain import deadlines
from chalicelib.deals.domain.deadlines import DEFAULT_GRACE_MINUTES, OverduePage
from chalicelib.deals.domain.timers import (
    DEAL_SLA,
    HANDLERS,
    TASK_DUE,
    TASK_ESCALATION,
    TASK_REMINDER,
    Timer,
    fires,
    sweep_range,
)
from chalicelib.deals.service import service
from chalicelib.deals.store import DealStore, OverdueList, PipelineStore, RuleStore, TaskStore, TimerStore
from chalicelib.deals.store.timers import FIRED
from pydantic import ConfigDict, Field, ValidationError
from pynamodb.exceptions import PynamoDBException

from lanka_platform import observability
from lanka_platform.api import Call
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import ConditionFailed

# A timer whose handling keeps failing is tried once a minute this many times, then dropped.
MAX_ATTEMPTS = 5
# What a timer's handling may fail with (as the inbox consumer): it is tried again later.
_FAILURES = (PynamoDBException, ConditionFailed, Problem, ValidationError, BotoCoreError, ClientError)


class OverdueQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=100, ge=1, le=200)


@service.route("/overdue", query=OverdueQuery, response=OverduePage, roles=("admin", "head"))
def list_overdue(call: Call, query: OverdueQuery) -> OverduePage:
    """Every overdue task and every deal stuck past its stage's SLA, longest overdue first."""
    items, cursor = OverdueList(call.store).page(query.cursor, query.limit)
    return OverduePage(items=items, next_cursor=cursor)


# ------------------------------------------------------------------------------ timers


@fires(TASK_REMINDER)
def task_reminder(timer: Timer, unit: UnitOfWork, now: datetime) -> None:
    task = TaskStore(service.store).get(timer.ref.partition("#")[0])
    if task is not None:
        deadlines.remind(unit, task, now)


@fires(TASK_DUE)
def task_due(timer: Timer, unit: UnitOfWork, now: datetime) -> None:
    store = service.store
    task = TaskStore(store).get(timer.ref)
    if task is None:
        return
    grace = (
        RuleStore(store).get(task.pipeline_id).escalation_grace_minutes
        if task.pipeline_id
        else DEFAULT_GRACE_MINUTES
    )
    deadlines.task_overdue(unit, TimerStore(store), OverdueList(store), task, grace, now)


@fires(TASK_ESCALATION)
def task_escalation(timer: Timer, unit: UnitOfWork, now: datetime) -> None:
    task = TaskStore(service.store).get(timer.ref)
    if task is not None:
        deadlines.task_escalated(unit, OverdueList(service.store), task, now)


@fires(DEAL_SLA)
def deal_sla(timer: Timer, unit: UnitOfWork, now: datetime) -> None:
    store = service.store
    deal = DealStore(store).get(timer.ref)
    pipeline = PipelineStore(store).get(deal.pipeline_id) if deal is not None else None
    deadlines.deal_stuck(unit, OverdueList(store), pipeline, deal, timer, now)


def sweep() -> dict[str, int]:
    """Fire every timer due since the last sweep, each in a transaction of its own."""
    store = service.store
    clock = TimerStore(store)
    now = store.clock()
    span = sweep_range(clock.swept_to(), now)
    counts = {"fired": 0, "gone": 0, "failed": 0}
    if span is None:
        return counts
    first, last = span
    for timer in clock.due(first, last):
        counts[_fire(timer, now)] += 1
    clock.advance(last)
    return counts


def _fire(timer: Timer, now: datetime) -> str:
    store = service.store
    clock = TimerStore(store)
    log = observability.logger(service.name)
    with observability.correlated(service.name, None):
        unit = store.unit_of_work()
        clock.take(unit, timer)
        handler = HANDLERS.get(timer.kind)
        try:
            if handler is None:
                log.warning("A timer of an unknown kind was dropped", extra={"kind": timer.kind})
            else:
                handler(timer, unit, now)
            unit.commit()
        except ConditionFailed as failed:
            if failed.tag == FIRED:
                return "gone"  # another sweep fired it
            return _failed(timer, now, failed)
        except _FAILURES as error:
            return _failed(timer, now, error)
        service.relay(unit.events)
    return "fired"


def _failed(timer: Timer, now: datetime, error: Exception) -> str:
    log = observability.logger(service.name)
    log.warning(
        "A timer failed; it is tried again next minute",
        extra={"kind": timer.kind, "attempts": timer.attempts + 1, "error": type(error).__name__},
    )
    clock = TimerStore(service.store)
    retry = service.store.unit_of_work()
    if timer.attempts + 1 < MAX_ATTEMPTS:
        clock.postpone(retry, timer, now)
    else:
        log.error("A timer was dropped after failing every attempt", extra={"kind": timer.kind})
        clock.take(retry, timer)
    try:
        retry.commit()
    except ConditionFailed:
        pass  # fired meanwhile by another sweep
    return "failed"


def timers(event: Any) -> dict[str, int]:
    return sweep()


# Lambda finds it as `app.<its name>` (services/<service>/app.py re-exports it).
service.every_minute("timers")(timers)
