"""Routes of tasks: set one, my tasks (today, overdue, open), a role's queue, take one,
complete or cancel one (completing may move the deal); a deal's tasks."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.domain import tasks as tasking
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.tasks import Completion, NewTask, Task, TaskPage
from chalicelib.deals.service import service
from chalicelib.deals.store import DealStore, OverdueList, PipelineStore, TaskStore, TimerStore
from pydantic import ConfigDict, Field, field_validator

from lanka_platform.api import Call
from lanka_platform.auth import ALL_ROLES, OFFICE
from lanka_platform.problems import Problem
from lanka_platform.resources import STAFF_GROUPS
from lanka_platform.schema import Schema

STAFF = tuple(sorted(ALL_ROLES))


class _Query(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=50, ge=1, le=100)


class MineQuery(_Query):
    view: Literal["today", "overdue", "open"] = Field(
        default="open", description="Due today (company time), overdue now, or every open task"
    )


class QueueQuery(_Query):
    role: str = Field(description="Whose queue", examples=["measurer"])

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value not in STAFF_GROUPS:
            raise ValueError(f"Choose one of: {', '.join(STAFF_GROUPS)}.")
        return value


def _tasks(call: Call) -> TaskStore:
    return TaskStore(call.store)


def _deal_of(call: Call, task: Task) -> Deal | None:
    return DealStore(call.store).get(task.deal_id) if task.deal_id else None


def _visible(call: Call, task_id: str) -> tuple[Task, Deal | None]:
    """The task and its deal, or 404 when there is none the caller may see."""
    task = _tasks(call).get(task_id)
    if task is None:
        raise Problem.not_found("The task")
    deal = _deal_of(call, task)
    if not tasking.can_see_task(call.user, task, deal):
        raise Problem.not_found("The task")
    return task, deal


@service.route("/tasks", "POST", body=NewTask, response=Task, status=201, roles=OFFICE, idempotent=True)
def create_task(call: Call, body: NewTask) -> Task:
    """A task for yourself, a colleague or a role's queue, optionally for a deal."""
    user = call.user
    deal = dealing.visible(DealStore(call.store), body.deal_id, user) if body.deal_id else None
    assignee = body.assignee_id
    if assignee is None and body.assignee_role is None:
        assignee = user.user_id
    now = call.store.clock()
    task = tasking.new_task(
        title=body.title,
        kind=body.kind,
        now=now,
        deal=deal,
        client_id=body.client_id,
        assignee_id=assignee,
        assignee_role=body.assignee_role,
        due_at=body.due_at,
        reminders=body.reminders,
        priority=body.priority,
        created_by=user.user_id,
    )
    return tasking.open_task(call.unit, _tasks(call), TimerStore(call.store), task, now)


@service.route("/tasks/mine", query=MineQuery, response=TaskPage, roles=STAFF)
def my_tasks(call: Call, query: MineQuery) -> TaskPage:
    """Your open tasks by due time: due today, overdue, or all of them."""
    now = call.store.clock()
    due_from: datetime | None = None
    due_before: datetime | None = None
    if query.view == "today":
        zone = ZoneInfo(call.store.settings.timezone)
        today = now.astimezone(zone).date()
        due_from = datetime.combine(today, time(), zone)
        due_before = datetime.combine(today + timedelta(days=1), time(), zone)
    elif query.view == "overdue":
        due_before = now
    items, cursor = _tasks(call).of_assignee(
        call.user.user_id, query.cursor, query.limit, due_from=due_from, due_before=due_before
    )
    return TaskPage(items=items, next_cursor=cursor)


@service.route("/tasks/queue", query=QueueQuery, response=TaskPage, roles=STAFF)
def role_queue(call: Call, query: QueueQuery) -> TaskPage:
    """The open tasks of a role that nobody has taken yet (a field worker sees his role's)."""
    user = call.user
    if query.role not in user.roles and not user.has_any(OFFICE):
        raise Problem.forbidden("You see the queue of your own role.")
    items, cursor = _tasks(call).queue(query.role, query.cursor, query.limit)
    return TaskPage(items=items, next_cursor=cursor)


@service.route("/tasks/{task_id}", response=Task, roles=STAFF)
def get_task(call: Call, task_id: str) -> Task:
    """One task."""
    return _visible(call, task_id)[0]


@service.route("/tasks/{task_id}/take", "POST", response=Task, roles=STAFF, problems=[409])
def take_task(call: Call, task_id: str) -> Task:
    """Take a task from your role's queue: it is yours from now on (409 if someone was first)."""
    task = _tasks(call).get(task_id)
    # Whoever saw it in his role's queue learns that it was taken, not that it is gone.
    if task is None or (
        task.assignee_role not in call.user.roles
        and not tasking.can_see_task(call.user, task, _deal_of(call, task))
    ):
        raise Problem.not_found("The task")
    return tasking.take(call.unit, _tasks(call), task, call.user, call.store.clock())


@service.route(
    "/tasks/{task_id}/complete", "POST", body=Completion, response=Task, roles=STAFF, problems=[409]
)
def complete_task(call: Call, task_id: str, body: Completion) -> Task:
    """Mark a task done with its result; `move_to` moves its deal to that stage as well."""
    task, deal = _visible(call, task_id)
    user = call.user
    if not tasking.can_complete(user, task, deal):
        raise Problem.forbidden(
            "Take the task first." if task.assignee_id is None else "Only its assignee can complete it."
        )
    now = call.store.clock()
    done = tasking.close(
        call.unit,
        _tasks(call),
        TimerStore(call.store),
        OverdueList(call.store),
        task,
        status="done",
        by=user.user_id,
        now=now,
        result=body.result,
    )
    if body.move_to is not None:
        if deal is None:
            raise Problem.invalid([{"field": "move_to", "message": "The task has no deal.", "in": "body"}])
        pipeline = PipelineStore(call.store).get(deal.pipeline_id)
        if pipeline is None:
            raise Problem.not_found("The deal's pipeline")
        dealing.move(
            call.unit,
            DealStore(call.store),
            pipeline,
            deal,
            body.move_to,
            deal.version,
            now,
            lost_reason=body.lost_reason,
        )
    return done


@service.route("/tasks/{task_id}/cancel", "POST", response=Task, roles=OFFICE, problems=[409])
def cancel_task(call: Call, task_id: str) -> Task:
    """Cancel a task that is no longer needed."""
    task, deal = _visible(call, task_id)
    if not tasking.can_complete(call.user, task, deal):
        raise Problem.forbidden("Only its assignee, the head or an admin can cancel it.")
    return tasking.close(
        call.unit,
        _tasks(call),
        TimerStore(call.store),
        OverdueList(call.store),
        task,
        status="cancelled",
        by=call.user.user_id,
        now=call.store.clock(),
    )


@service.route("/deals/{deal_id}/tasks", response=TaskPage, roles=OFFICE)
def deal_tasks(call: Call, deal_id: str) -> TaskPage:
    """Every task of a deal, oldest first."""
    dealing.visible(DealStore(call.store), deal_id, call.user)
    return TaskPage(items=_tasks(call).of_deal(deal_id))
