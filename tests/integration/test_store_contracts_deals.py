"""The deals service's stores and their in-memory fakes (tests/fakes/deals.py) hold to one
contract: every behaviour below runs on both."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from store_contract import NOW, Subject, on_memory, on_moto

from lanka_platform.problems import Problem
from lanka_platform.storage import ConditionFailed
from tests.fakes import deals as fakes


def _task(task_id: str, **fields: Any) -> Any:
    from chalicelib.deals.domain.tasks import Task

    values: dict[str, Any] = {
        "id": task_id,
        "title": f"Task {task_id}",
        "kind": "contact_client",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Task(**values)


def _collect(read: Any, limit: int) -> list[str]:
    """Every page of a paged read, the ids in order."""
    seen: list[str] = []
    cursor = None
    while True:
        items, cursor = read(cursor, limit)
        seen += [item.id for item in items]
        if cursor is None:
            return seen


class TaskContract:
    """`TaskStore`: tasks by id with a version, a user's open tasks by due time, a role's
    queue of open tasks nobody took, a deal's tasks."""

    @pytest.fixture
    def tasks(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_task_reads_back_as_added_at_version_one(self, tasks):
        # when
        tasks.commit(lambda unit: tasks.store.add(unit, _task("t1", deal_id="d1", assignee_id="olena")))
        # then
        found = tasks.store.get("t1")
        assert (found.title, found.deal_id, found.assignee_id, found.version) == ("Task t1", "d1", "olena", 1)
        assert tasks.store.get("nope") is None

    def test_a_task_added_twice_is_stale_and_the_first_stays(self, tasks):
        # given
        tasks.commit(lambda unit: tasks.store.add(unit, _task("t1", title="First")))
        # when
        with pytest.raises(ConditionFailed) as failed:
            tasks.commit(lambda unit: tasks.store.add(unit, _task("t1", title="Second")))
        # then
        assert failed.value.tag == "stale:task"
        assert tasks.store.get("t1").title == "First"

    def test_a_replace_with_the_version_read_bumps_it_and_a_stale_one_is_a_409(self, tasks):
        # given
        tasks.commit(lambda unit: tasks.store.add(unit, _task("t1")))
        read = tasks.store.get("t1")
        # when
        tasks.commit(lambda unit: tasks.store.replace(unit, read, read.model_copy(update={"title": "Called"})))
        with pytest.raises(Problem) as conflict:
            tasks.commit(lambda unit: tasks.store.replace(unit, read, read.model_copy(update={"title": "Late"})))
        # then
        after = tasks.store.get("t1")
        assert (after.title, after.version) == ("Called", 2)
        assert conflict.value.status == 409

    def test_a_users_open_tasks_come_by_due_time_the_undated_last(self, tasks):
        # given
        def write(unit: Any) -> None:
            tasks.store.add(unit, _task("late", assignee_id="olena", due_at=NOW + timedelta(hours=5)))
            tasks.store.add(unit, _task("soon", assignee_id="olena", due_at=NOW + timedelta(hours=1)))
            tasks.store.add(unit, _task("whenever", assignee_id="olena"))
            tasks.store.add(unit, _task("done", assignee_id="olena", due_at=NOW, status="done"))
            tasks.store.add(unit, _task("petros", assignee_id="petro", due_at=NOW))

        tasks.commit(write)
        # when
        mine, _ = tasks.store.of_assignee("olena", None, 10)
        # then
        assert [task.id for task in mine] == ["soon", "late", "whenever"]

    def test_a_due_range_is_from_inclusive_to_before_exclusive(self, tasks):
        # given tasks due at 09:00, 10:00, 11:00 and 12:00
        def write(unit: Any) -> None:
            for hour in (1, 2, 3, 4):
                tasks.store.add(unit, _task(f"h{hour}", assignee_id="olena", due_at=NOW + timedelta(hours=hour)))
            tasks.store.add(unit, _task("undated", assignee_id="olena"))

        tasks.commit(write)
        # when
        between, _ = tasks.store.of_assignee(
            "olena", None, 10, due_from=NOW + timedelta(hours=2), due_before=NOW + timedelta(hours=4)
        )
        before, _ = tasks.store.of_assignee("olena", None, 10, due_before=NOW + timedelta(hours=2))
        after, _ = tasks.store.of_assignee("olena", None, 10, due_from=NOW + timedelta(hours=4))
        # then
        assert [task.id for task in between] == ["h2", "h3"]
        assert [task.id for task in before] == ["h1"]
        assert [task.id for task in after] == ["h4", "undated"]

    def test_a_roles_queue_holds_open_tasks_nobody_took_and_taking_one_takes_it_off(self, tasks):
        # given
        def write(unit: Any) -> None:
            tasks.store.add(unit, _task("q2", assignee_role="measurer", due_at=NOW + timedelta(hours=2)))
            tasks.store.add(unit, _task("q1", assignee_role="measurer", due_at=NOW + timedelta(hours=1)))
            tasks.store.add(unit, _task("other", assignee_role="designer", due_at=NOW))

        tasks.commit(write)
        queued, _ = tasks.store.queue("measurer", None, 10)
        # when
        taken = tasks.store.get("q1")
        tasks.commit(
            lambda unit: tasks.store.replace(unit, taken, taken.model_copy(update={"assignee_id": "ivan"}))
        )
        # then
        assert [task.id for task in queued] == ["q1", "q2"]
        assert [task.id for task in tasks.store.queue("measurer", None, 10)[0]] == ["q2"]
        assert [task.id for task in tasks.store.of_assignee("ivan", None, 10)[0]] == ["q1"]

    def test_pages_of_a_users_tasks_hold_each_task_once_in_order(self, tasks):
        # given
        def write(unit: Any) -> None:
            for number in range(7):
                tasks.store.add(
                    unit, _task(f"t{number}", assignee_id="olena", due_at=NOW + timedelta(minutes=number))
                )

        tasks.commit(write)
        # when
        seen = _collect(lambda cursor, limit: tasks.store.of_assignee("olena", cursor, limit), 3)
        # then
        assert seen == [f"t{number}" for number in range(7)]

    def test_a_deals_tasks_and_many_by_id(self, tasks):
        # given
        def write(unit: Any) -> None:
            tasks.store.add(unit, _task("a", deal_id="d1"))
            tasks.store.add(unit, _task("b", deal_id="d1", status="done"))
            tasks.store.add(unit, _task("c", deal_id="d2"))

        tasks.commit(write)
        # when / then
        assert sorted(task.id for task in tasks.store.of_deal("d1")) == ["a", "b"]
        assert tasks.store.of_deal("none") == []
        assert [task.id for task in tasks.store.many(["c", "missing", "a"])] == ["c", "a"]


class TestTasksInMemory(TaskContract):
    @pytest.fixture
    def tasks(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryTasks())


class TestTasksOnMoto(TaskContract):
    @pytest.fixture
    def tasks(self, world: Any) -> Subject[Any]:
        from chalicelib.deals.store import TaskStore

        return on_moto(world, "deals", TaskStore)
