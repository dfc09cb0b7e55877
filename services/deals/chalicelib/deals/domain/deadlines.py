"""Deadlines: reminders before a task is due, the overdue alarm with its escalation to the
head after a grace period, and deals stuck in a stage past the stage's SLA.

Each is a timer (see `timers`); what happens when one fires is decided here. The overdue
list holds every overdue task and stuck deal until the task is closed or the deal moves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

from chalicelib.deals.domain import timers
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.pipelines import Pipeline
from chalicelib.deals.domain.tasks import Task
from chalicelib.deals.domain.timers import Timer
from pydantic import Field

from lanka_platform.auth import HEAD
from lanka_platform.clock import KYIV, from_iso, to_iso
from lanka_platform.contracts import deals as events
from lanka_platform.events import envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.schema import Schema

# How long a task may stay overdue before the head is told, unless its pipeline says.
DEFAULT_GRACE_MINUTES = 60


class OverdueEntry(Schema):
    kind: Literal["task", "deal"]
    id: str = Field(description="The task's or the deal's id")
    title: str
    since: datetime = Field(description="When it became overdue")
    deal_id: str | None = None
    stage: str | None = Field(default=None, description="The stage a deal is stuck in")
    entered_at: datetime | None = Field(default=None, description="When the deal entered that stage")
    assignee_id: str | None = None
    assignee_role: str | None = None
    owner_id: str | None = None
    escalated: bool = False


class OverduePage(Schema):
    items: list[OverdueEntry]
    next_cursor: str | None = None


class Clock(Protocol):
    def set(self, unit: UnitOfWork, timer: Timer, now: datetime) -> None: ...


class Overdue(Protocol):
    def add(self, unit: UnitOfWork, entry: OverdueEntry) -> None: ...


def _staff_notice(
    unit: UnitOfWork,
    now: datetime,
    text: str,
    *,
    user_id: str | None = None,
    role: str | None = None,
    deal_id: str | None = None,
    task_id: str | None = None,
) -> None:
    unit.emit(
        envelope(
            events.StaffNotificationRequested(
                notification_id=new_id(),
                user_id=user_id,
                role=role,
                text=text,
                deal_id=deal_id,
                task_id=task_id,
            ),
            occurred_at=now,
        )
    )


def remind(unit: UnitOfWork, task: Task, now: datetime) -> None:
    """A reminder before the due time, to the assignee (or the role, while nobody took it)."""
    if not task.is_open or task.due_at is None:
        return
    due = task.due_at.astimezone(KYIV).strftime("%H:%M %d.%m")
    _staff_notice(
        unit,
        now,
        f"Нагадування: «{task.title}» до {due}",
        user_id=task.assignee_id,
        role=None if task.assignee_id else task.assignee_role,
        deal_id=task.deal_id,
        task_id=task.id,
    )


def _overdue_event(task: Task, escalated: bool) -> events.TaskOverdue:
    assert task.due_at is not None
    return events.TaskOverdue(
        task_id=task.id,
        title=task.title,
        deal_id=task.deal_id,
        client_id=task.client_id,
        assignee_id=task.assignee_id,
        assignee_role=task.assignee_role,
        due_at=task.due_at,
        escalated=escalated,
    )


def _task_entry(task: Task, escalated: bool) -> OverdueEntry:
    assert task.due_at is not None
    return OverdueEntry(
        kind="task",
        id=task.id,
        title=task.title,
        since=task.due_at,
        deal_id=task.deal_id,
        assignee_id=task.assignee_id,
        assignee_role=task.assignee_role,
        escalated=escalated,
    )


def task_overdue(
    unit: UnitOfWork, clock: Clock, overdue: Overdue, task: Task, grace_minutes: int, now: datetime
) -> None:
    """The due time passed with the task open: its assignee is told, it joins the overdue
    list, and the head will be told when the grace period after the due time is over,
    unless the task is closed by then."""
    if not task.is_open or task.due_at is None:
        return
    unit.emit(envelope(_overdue_event(task, escalated=False), occurred_at=now))
    overdue.add(unit, _task_entry(task, escalated=False))
    escalation = task.due_at + timedelta(minutes=grace_minutes)
    clock.set(unit, Timer(timers.TASK_ESCALATION, task.id, escalation), now)


def task_escalated(unit: UnitOfWork, overdue: Overdue, task: Task, now: datetime) -> None:
    """Still open after the grace period: the head is told."""
    if not task.is_open or task.due_at is None:
        return
    unit.emit(envelope(_overdue_event(task, escalated=True), occurred_at=now))
    overdue.add(unit, _task_entry(task, escalated=True))
    _staff_notice(
        unit, now, f"Прострочено задачу «{task.title}»", role=HEAD, deal_id=task.deal_id, task_id=task.id
    )


def watch_stage(
    unit: UnitOfWork,
    clock: Clock,
    pipeline: Pipeline,
    deal_id: str,
    stage: str,
    entered_at: datetime,
    now: datetime,
) -> None:
    """A deal entered `stage`: check on it when the stage's SLA runs out."""
    found = pipeline.stage(stage)
    if found is None or found.sla_hours is None or found.kind != "open":
        return
    clock.set(
        unit,
        Timer(
            timers.DEAL_SLA,
            deal_id,
            entered_at + timedelta(hours=found.sla_hours),
            {"stage": stage, "entered_at": to_iso(entered_at)},
        ),
        now,
    )


def stuck_entry_outdated(stuck: OverdueEntry, deal: Deal) -> bool:
    """Whether a deal's entry on the overdue list is of a stay in a stage it has left."""
    return (
        stuck.stage != deal.stage
        or stuck.entered_at is None
        or to_iso(stuck.entered_at) != to_iso(deal.entered_stage_at)
    )


def still_in(deal: Deal | None, stage: str, entered_at: str) -> bool:
    """Whether the deal is still in `stage` since the time it entered it then."""
    return (
        deal is not None
        and deal.outcome is None
        and deal.stage == stage
        and to_iso(deal.entered_stage_at) == entered_at
    )


def deal_stuck(
    unit: UnitOfWork,
    overdue: Overdue,
    pipeline: Pipeline | None,
    deal: Deal | None,
    timer: Timer,
    now: datetime,
) -> None:
    """The SLA of the stage ran out: if the deal is still there, the head is told and the
    deal joins the overdue list."""
    stage, entered_at = str(timer.payload.get("stage")), str(timer.payload.get("entered_at"))
    if deal is None or not still_in(deal, stage, entered_at):
        return
    found = pipeline.stage(stage) if pipeline else None
    name = found.name if found else stage
    overdue.add(
        unit,
        OverdueEntry(
            kind="deal",
            id=deal.id,
            title=deal.title,
            since=timer.at,
            deal_id=deal.id,
            stage=stage,
            entered_at=from_iso(entered_at),
            owner_id=deal.owner_id,
            escalated=True,
        ),
    )
    _staff_notice(
        unit, now, f"Угода «{deal.title}» затрималася на етапі «{name}»", role=HEAD, deal_id=deal.id
    )
