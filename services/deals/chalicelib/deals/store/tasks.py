"""Task items.

| item      | pk                  | sk        |
| --------- | ------------------- | --------- |
| task      | TASK#<id>           | TASK      |
| deal link | DEALTASK#<deal id>  | <task id> |

An open task with an assignee is on gsi1 under `ASSIGNEE#<user id>` / `<due>#<id>` (a
user's open tasks by due time: "my tasks" today, overdue or all is one Query with a key
range); an open task of a role that nobody has taken is on gsi2 under `QUEUE#<role>` /
`<due>#<id>` (the role's queue). A closed task leaves both indexes. A task without a due
time sorts after every dated one (`~`).
"""

from __future__ import annotations

import json
from datetime import datetime

from chalicelib.deals.domain.tasks import Task
from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from lanka_platform.clock import to_iso
from lanka_platform.consumer import STALE
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Gsi1, Gsi2, Store, TableModel, writes

NO_DUE = "~"


class TaskItem(TableModel):
    body = UnicodeAttribute()
    status = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    gsi2 = Gsi2()
    version = VersionAttribute()


class DealTaskItem(TableModel):
    """Links a deal to each of its tasks (the deal card lists them)."""


MODELS = (TaskItem, DealTaskItem)


def _task_key(task_id: str) -> tuple[str, str]:
    return f"TASK#{task_id}", "TASK"


def assignee_key(user_id: str) -> str:
    return f"ASSIGNEE#{user_id}"


def queue_key(role: str) -> str:
    return f"QUEUE#{role}"


def due_key(moment: datetime) -> str:
    """Where a due time sorts on the indexes."""
    return to_iso(moment)


class TaskStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._tasks = store.model(TaskItem)
        self._links = store.model(DealTaskItem)

    @property
    def _secret(self) -> bytes:
        return self._store.settings.cursor_secret.encode()

    def _item(self, task: Task) -> TaskItem:
        pk, sk = _task_key(task.id)
        order = f"{due_key(task.due_at) if task.due_at else NO_DUE}#{task.id}"
        mine = task.is_open and task.assignee_id is not None
        queued = task.is_open and task.assignee_id is None and task.assignee_role is not None
        return self._tasks(
            pk=pk,
            sk=sk,
            body=task.model_dump_json(exclude={"id", "version"}),
            status=task.status,
            gsi1pk=assignee_key(task.assignee_id) if mine and task.assignee_id else None,
            gsi1sk=order if mine else None,
            gsi2pk=queue_key(task.assignee_role) if queued and task.assignee_role else None,
            gsi2sk=order if queued else None,
        )

    def add(self, unit: UnitOfWork, task: Task) -> None:
        """A new task; a task id made twice (automation replaying an event) is stale."""
        writes(unit).put(self._item(task), condition=self._tasks.pk.does_not_exist(), tag=f"{STALE}task")
        if task.deal_id:
            writes(unit).put(self._links(pk=f"DEALTASK#{task.deal_id}", sk=task.id))

    def replace(self, unit: UnitOfWork, before: Task, after: Task) -> None:
        """`after` in place of `before`, unless someone changed the task since (409)."""
        item = self._item(after)
        item.version = before.version
        writes(unit).put(
            item,
            tag="task",
            on_conflict=lambda: Problem.conflict(
                "Someone changed this task meanwhile; reload it.", task_id=before.id
            ),
        )

    def get(self, task_id: str) -> Task | None:
        try:
            item = self._tasks.get(*_task_key(task_id))
        except DoesNotExist:
            return None
        return _task(item)

    def many(self, task_ids: list[str]) -> list[Task]:
        found = {
            item.pk: _task(item)
            for item in self._tasks.batch_get([_task_key(task_id) for task_id in task_ids])
        }
        return [found[key] for key in (f"TASK#{task_id}" for task_id in task_ids) if key in found]

    def of_assignee(
        self,
        user_id: str,
        cursor: str | None,
        limit: int,
        *,
        due_from: datetime | None = None,
        due_before: datetime | None = None,
    ) -> tuple[list[Task], str | None]:
        """A user's open tasks by due time, optionally with a due time in [from, before)."""
        sort = self._tasks.gsi1sk
        condition: Condition | None = None
        if due_from is not None and due_before is not None:
            condition = sort.between(due_key(due_from), due_key(due_before))
        elif due_before is not None:
            condition = sort < due_key(due_before)
        elif due_from is not None:
            condition = sort >= due_key(due_from)
        result = self._tasks.gsi1.query(
            assignee_key(user_id),
            condition,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        # A key is `<due>#<id>`: one due exactly at `due_before` sorts above the bound, so
        # BETWEEN and < both leave it out, as [from, before) should.
        return [_task(item) for item in result], encode_cursor(result.last_evaluated_key, self._secret)

    def queue(self, role: str, cursor: str | None, limit: int) -> tuple[list[Task], str | None]:
        """The open tasks of a role that nobody has taken yet, by due time."""
        result = self._tasks.gsi2.query(
            queue_key(role), limit=limit, last_evaluated_key=decode_cursor(cursor, self._secret)
        )
        return [_task(item) for item in result], encode_cursor(result.last_evaluated_key, self._secret)

    def of_deal(self, deal_id: str, limit: int = 100) -> list[Task]:
        ids = [item.sk for item in self._links.query(f"DEALTASK#{deal_id}", limit=limit)]
        return self.many(ids) if ids else []


def _task(item: TaskItem) -> Task:
    data = json.loads(item.body)
    data.update(id=item.pk.removeprefix("TASK#"), version=int(item.version or 1))
    return Task.model_validate(data)
