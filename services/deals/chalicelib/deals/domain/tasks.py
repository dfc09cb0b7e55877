"""Tasks: what someone on the staff has to do for a deal, by when.

A task goes to a user, or to a role (`measurer`) whose members see it in their queue until
one of them takes it. Its due time is to the minute; reminders are minutes before it. A
task for a field role is a field job: while a worker holds it, the clients service lets
them see what the visit needs of the client (announced with `FieldJobAssigned` and
`FieldJobClosed`). Completing a task may move its deal on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

from chalicelib.deals.domain import timers
from chalicelib.deals.domain.deals import Deal, can_see
from chalicelib.deals.domain.timers import Timer, minute
from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from lanka_platform.auth import FIELD_ROLES, MANAGER, Principal
from lanka_platform.contracts import deals as events
from lanka_platform.events import envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.resources import STAFF_GROUPS
from lanka_platform.schema import Schema

Priority = Literal["low", "normal", "high"]
Status = Literal["open", "done", "cancelled"]
KIND = r"^[a-z][a-z0-9_]{0,39}$"
MAX_REMINDER_MINUTES = 14 * 24 * 60


class Task(Schema):
    id: str
    title: str
    kind: str = Field(description="What the task is for (`contact_client`, `measure` ...): rules use it")
    deal_id: str | None = None
    client_id: str | None = None
    pipeline_id: str | None = None
    assignee_id: str | None = None
    assignee_role: str | None = Field(default=None, description="The role whose queue holds it")
    due_at: datetime | None = Field(default=None, description="To the minute, UTC")
    reminders: list[int] = Field(default_factory=list, description="Minutes before the due time")
    priority: Priority = "normal"
    status: Status = "open"
    result: str | None = None
    rule_id: str | None = Field(default=None, description="The automation rule that set it, if any")
    created_by: str | None = Field(default=None, description="None: set by automation")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    version: int = 1

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_field_job(self) -> bool:
        """A field worker's job at a client's: it opens the client's visit card to them."""
        return self.assignee_role in FIELD_ROLES and bool(self.client_id) and bool(self.assignee_id)


class _Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _reminders(value: list[int]) -> list[int]:
    return sorted(set(value), reverse=True)


class NewTask(_Input):
    title: str = Field(min_length=1, max_length=200, examples=["Передзвонити щодо кольору фасадів"])
    kind: str = Field(default="manual", pattern=KIND)
    deal_id: str | None = Field(default=None, max_length=64)
    client_id: str | None = Field(default=None, max_length=64, description="Default: the deal's client")
    assignee_id: str | None = Field(default=None, max_length=128, description="Default: yourself")
    assignee_role: str | None = Field(default=None, description="A role whose members take it")
    due_at: AwareDatetime | None = Field(default=None, description="Kept to the minute")
    reminders: list[int] = Field(default_factory=list, max_length=5)
    priority: Priority = "normal"

    @field_validator("assignee_role")
    @classmethod
    def _known_role(cls, value: str | None) -> str | None:
        if value is not None and value not in STAFF_GROUPS:
            raise ValueError(f"Choose one of: {', '.join(STAFF_GROUPS)}.")
        return value

    @field_validator("reminders")
    @classmethod
    def _reminder_offsets(cls, value: list[int]) -> list[int]:
        if any(not 1 <= minutes <= MAX_REMINDER_MINUTES for minutes in value):
            raise ValueError(f"A reminder is 1 to {MAX_REMINDER_MINUTES} minutes before the due time.")
        return _reminders(value)

    @model_validator(mode="after")
    def _reminders_need_a_due_time(self) -> NewTask:
        if self.reminders and self.due_at is None:
            raise ValueError("Reminders need a due time.")
        return self


class Completion(_Input):
    result: str | None = Field(default=None, max_length=2000, description="What was done or agreed")
    move_to: str | None = Field(default=None, max_length=40, description="Move the task's deal to this stage")
    lost_reason: str | None = Field(default=None, max_length=200)


class TaskPage(Schema):
    items: list[Task]
    next_cursor: str | None = None


# ------------------------------------------------------------------------------ ports


class Tasks(Protocol):
    def add(self, unit: UnitOfWork, task: Task) -> None: ...
    def replace(self, unit: UnitOfWork, before: Task, after: Task) -> None: ...
    def get(self, task_id: str) -> Task | None: ...


class Timers(Protocol):
    def set(self, unit: UnitOfWork, timer: Timer, now: datetime) -> None: ...
    def clear(self, unit: UnitOfWork, timer: Timer) -> None: ...


class Overdue(Protocol):
    def resolve_task(self, unit: UnitOfWork, task_id: str) -> None: ...


# ------------------------------------------------------------------------------ rules


def can_see_task(by: Principal, task: Task, deal: Deal | None) -> bool:
    """Head and admin see every task; anyone sees his own and his role's queue; a manager
    also sees the tasks he set and those of the deals he sees. A field worker sees only
    his own and his role's queue."""
    if by.is_supervisor or task.assignee_id == by.user_id:
        return True
    if task.assignee_id is None and task.assignee_role in by.roles:
        return True
    if MANAGER not in by.roles:
        return False
    return task.created_by == by.user_id or (deal is not None and can_see(by, deal))


def can_complete(by: Principal, task: Task, deal: Deal | None) -> bool:
    """The assignee, head and admin, and a manager who sees the task (not a queue task of
    a field role: a field worker takes it first)."""
    if by.is_supervisor or task.assignee_id == by.user_id:
        return True
    if MANAGER not in by.roles or (task.assignee_id is None and task.assignee_role in FIELD_ROLES):
        return False
    return can_see_task(by, task, deal)


def task_timers(task: Task) -> list[Timer]:
    """The reminders and the due-time check of an open task."""
    if task.due_at is None:
        return []
    due = [Timer(timers.TASK_DUE, task.id, task.due_at)]
    return [
        *(
            Timer(timers.TASK_REMINDER, f"{task.id}#{minutes}", task.due_at - timedelta(minutes=minutes))
            for minutes in task.reminders
        ),
        *due,
    ]


def new_task(
    *,
    title: str,
    kind: str,
    now: datetime,
    task_id: str | None = None,
    deal: Deal | None = None,
    client_id: str | None = None,
    assignee_id: str | None = None,
    assignee_role: str | None = None,
    due_at: datetime | None = None,
    reminders: list[int] | None = None,
    priority: Priority = "normal",
    created_by: str | None = None,
    rule_id: str | None = None,
) -> Task:
    return Task(
        id=task_id or new_id(),
        title=title,
        kind=kind,
        deal_id=deal.id if deal else None,
        client_id=(deal.client_id if deal else None) or client_id,
        pipeline_id=deal.pipeline_id if deal else None,
        assignee_id=assignee_id,
        assignee_role=assignee_role,
        due_at=minute(due_at) if due_at else None,
        reminders=_reminders(reminders or []),
        priority=priority,
        rule_id=rule_id,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )


def open_task(unit: UnitOfWork, tasks: Tasks, clock: Timers, task: Task, now: datetime) -> Task:
    """Write a new task with its timers, and announce it."""
    tasks.add(unit, task)
    for timer in task_timers(task):
        # A reminder whose time has passed already would only be noise.
        if timer.kind != timers.TASK_REMINDER or timer.at > now:
            clock.set(unit, timer, now)
    unit.emit(
        envelope(
            events.TaskCreated(
                task_id=task.id,
                title=task.title,
                deal_id=task.deal_id,
                client_id=task.client_id,
                assignee_id=task.assignee_id,
                assignee_role=task.assignee_role,
                due_at=task.due_at,
                priority=task.priority,
            ),
            occurred_at=now,
        )
    )
    if task.is_field_job:
        _field_job_assigned(unit, task, now)
    return task


def take(unit: UnitOfWork, tasks: Tasks, task: Task, by: Principal, now: datetime) -> Task:
    """A member of the task's role takes it from the queue: it is his from now on."""
    if task.assignee_role is None or task.assignee_role not in by.roles:
        raise Problem.forbidden("Only a member of the task's role can take it.")
    if not task.is_open:
        raise Problem.conflict("The task is closed already.")
    if task.assignee_id is not None:
        raise Problem.conflict("Someone has taken the task already.", assignee_id=task.assignee_id)
    after = task.model_copy(
        update={"assignee_id": by.user_id, "updated_at": now, "version": task.version + 1}
    )
    tasks.replace(unit, task, after)
    if after.is_field_job:
        _field_job_assigned(unit, after, now)
    return after


def close(
    unit: UnitOfWork,
    tasks: Tasks,
    clock: Timers,
    overdue: Overdue,
    task: Task,
    *,
    status: Literal["done", "cancelled"],
    by: str,
    now: datetime,
    result: str | None = None,
) -> Task:
    """Complete or cancel a task: its timers and its place in the overdue list go."""
    if not task.is_open:
        raise Problem.conflict(f"The task is {task.status} already.")
    after = task.model_copy(
        update={
            "status": status,
            "result": result,
            "completed_at": now,
            "completed_by": by,
            "updated_at": now,
            "version": task.version + 1,
        }
    )
    tasks.replace(unit, task, after)
    for timer in task_timers(task):
        clock.clear(unit, timer)
    overdue.resolve_task(unit, task.id)
    if status == "done":
        unit.emit(
            envelope(
                events.TaskCompleted(
                    task_id=task.id,
                    title=task.title,
                    deal_id=task.deal_id,
                    client_id=task.client_id,
                    completed_by=by,
                    result=result,
                    kind=task.kind,
                    due_at=task.due_at,
                ),
                occurred_at=now,
            )
        )
    if task.is_field_job:
        assert task.client_id is not None and task.assignee_id is not None
        unit.emit(
            envelope(
                events.FieldJobClosed(job_id=task.id, client_id=task.client_id, assignee_id=task.assignee_id),
                occurred_at=now,
            )
        )
    return after


def _field_job_assigned(unit: UnitOfWork, task: Task, now: datetime) -> None:
    assert task.client_id is not None and task.assignee_id is not None and task.assignee_role is not None
    unit.emit(
        envelope(
            events.FieldJobAssigned(
                job_id=task.id,
                client_id=task.client_id,
                assignee_id=task.assignee_id,
                role=task.assignee_role,
            ),
            occurred_at=now,
        )
    )
