"""In-memory fakes of the deals service's stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.deals.domain.tasks import Task

from lanka_platform.clock import to_iso
from lanka_platform.consumer import STALE
from lanka_platform.memory import page, staged
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem

_NO_DUE = "~"


def _due_order(task: Task) -> tuple[str, str]:
    return (to_iso(task.due_at) if task.due_at else _NO_DUE, task.id)


@dataclass
class InMemoryTasks:
    """`store.tasks.TaskStore` in dicts: a task by id (with its version), a deal's task ids."""

    tasks: dict[str, Task] = field(default_factory=dict)
    of_deals: dict[str, set[str]] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, task: Task) -> None:
        def apply() -> None:
            self.tasks[task.id] = task.model_copy(update={"version": 1})
            if task.deal_id:
                self.of_deals.setdefault(task.deal_id, set()).add(task.id)

        staged(unit).stage(apply, holds=lambda: task.id not in self.tasks, tag=f"{STALE}task")

    def replace(self, unit: UnitOfWork, before: Task, after: Task) -> None:
        def holds() -> bool:
            current = self.tasks.get(before.id)
            return current is not None and current.version == before.version

        def apply() -> None:
            self.tasks[before.id] = after.model_copy(update={"version": before.version + 1})

        staged(unit).stage(
            apply,
            holds=holds,
            tag="task",
            on_conflict=lambda: Problem.conflict("Someone changed this task meanwhile; reload it.", task_id=before.id),
        )

    def get(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def many(self, task_ids: list[str]) -> list[Task]:
        return [self.tasks[task_id] for task_id in task_ids if task_id in self.tasks]

    def of_assignee(
        self,
        user_id: str,
        cursor: str | None,
        limit: int,
        *,
        due_from: datetime | None = None,
        due_before: datetime | None = None,
    ) -> tuple[list[Task], str | None]:
        mine = [
            task
            for task in self.tasks.values()
            if task.is_open and task.assignee_id == user_id and _within(task, due_from, due_before)
        ]
        return page(sorted(mine, key=_due_order), cursor, limit, lambda task: task.id)

    def queue(self, role: str, cursor: str | None, limit: int) -> tuple[list[Task], str | None]:
        queued = [
            task
            for task in self.tasks.values()
            if task.is_open and task.assignee_id is None and task.assignee_role == role
        ]
        return page(sorted(queued, key=_due_order), cursor, limit, lambda task: task.id)

    def of_deal(self, deal_id: str, limit: int = 100) -> list[Task]:
        return self.many(sorted(self.of_deals.get(deal_id, set()))[:limit])


def _within(task: Task, due_from: datetime | None, due_before: datetime | None) -> bool:
    """[from, before), as the index's key range reads it (a task with no due time sorts last)."""
    if due_from is None and due_before is None:
        return True
    if task.due_at is None:
        return due_before is None
    return (due_from is None or task.due_at >= due_from) and (due_before is None or task.due_at < due_before)
