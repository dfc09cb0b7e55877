"""The deals service's stores and their in-memory fakes (tests/fakes/deals.py) hold to one
contract: every behaviour below runs on both."""

from __future__ import annotations

from collections.abc import Callable
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
        tasks.commit(
            lambda unit: tasks.store.replace(unit, read, read.model_copy(update={"title": "Called"}))
        )
        with pytest.raises(Problem) as conflict:
            tasks.commit(
                lambda unit: tasks.store.replace(unit, read, read.model_copy(update={"title": "Late"}))
            )
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
                tasks.store.add(
                    unit, _task(f"h{hour}", assignee_id="olena", due_at=NOW + timedelta(hours=hour))
                )
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


# ------------------------------------------------------------------------------ deals


def _deal(deal_id: str, **fields: Any) -> Any:
    from chalicelib.deals.domain.deals import Deal

    values: dict[str, Any] = {
        "id": deal_id,
        "pipeline_id": "p1",
        "stage": "new",
        "client_id": "c1",
        "title": f"Deal {deal_id}",
        "amount": 1000,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Deal(**values)


def _changed(deal: Any, minutes: int, **fields: Any) -> Any:
    """`deal` as a change `minutes` after NOW leaves it (the next version)."""
    return deal.model_copy(
        update={**fields, "updated_at": NOW + timedelta(minutes=minutes), "version": deal.version + 1}
    )


def _ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


class DealContract:
    """`DealStore`: deals by id with a version, the board's columns of cards (newest first),
    an owner's deals, a client's deals, requests linked to deals, board counters and loads."""

    @pytest.fixture
    def deals(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_deal_reads_back_as_added_at_version_one(self, deals):
        # when
        deals.commit(lambda unit: deals.store.add(unit, _deal("d1", owner_id="olena", custom={"m2": 3})))
        # then
        found = deals.store.get("d1")
        assert (found.title, found.owner_id, found.custom, found.version) == (
            "Deal d1",
            "olena",
            {"m2": 3},
            1,
        )
        assert deals.store.get("nope") is None

    def test_a_deal_added_twice_fails_as_deal_and_the_first_stays(self, deals):
        # given
        deals.commit(lambda unit: deals.store.add(unit, _deal("d1", title="First")))
        # when
        with pytest.raises(ConditionFailed) as failed:
            deals.commit(lambda unit: deals.store.add(unit, _deal("d1", title="Second", stage="won")))
        # then
        assert failed.value.tag == "deal"
        assert deals.store.get("d1").title == "First"
        assert _ids(deals.store.column("p1", "won", None, 10)[0]) == []

    def test_a_request_opens_one_deal_and_a_second_deal_for_it_is_stale(self, deals):
        # given
        deals.commit(lambda unit: deals.store.add(unit, _deal("d1", request_id="r1")))
        # when
        with pytest.raises(ConditionFailed) as failed:
            deals.commit(lambda unit: deals.store.add(unit, _deal("d2", request_id="r1")))
        # then
        assert failed.value.tag == "stale:request"
        assert deals.store.deal_of_request("r1") == "d1"
        assert deals.store.get("d2") is None
        assert deals.store.deal_of_request("other") is None

    def test_a_replace_at_the_version_read_bumps_it(self, deals):
        # given
        deals.commit(lambda unit: deals.store.add(unit, _deal("d1")))
        read = deals.store.get("d1")
        # when
        deals.commit(lambda unit: deals.store.replace(unit, read, _changed(read, 1, title="Kitchen")))
        # then
        after = deals.store.get("d1")
        assert (after.title, after.version, after.updated_at) == ("Kitchen", 2, NOW + timedelta(minutes=1))

    def test_a_stale_version_is_a_409_and_changes_nothing(self, deals):
        # given
        deals.commit(lambda unit: deals.store.add(unit, _deal("d1")))
        read = deals.store.get("d1")
        deals.commit(lambda unit: deals.store.replace(unit, read, _changed(read, 1, title="Kitchen")))
        # when
        with pytest.raises(Problem) as conflict:
            deals.commit(
                lambda unit: deals.store.replace(unit, read, _changed(read, 2, title="Late", stage="won"))
            )
        # then
        assert conflict.value.status == 409
        after = deals.store.get("d1")
        assert (after.title, after.version, after.stage) == ("Kitchen", 2, "new")
        assert [shown.title for shown in deals.store.column("p1", "new", None, 10)[0]] == ["Kitchen"]
        assert deals.store.column("p1", "won", None, 10)[0] == []

    def test_replacing_a_deal_that_is_not_there_is_a_409(self, deals):
        # given
        never_added = _deal("d1")
        # when
        with pytest.raises(Problem) as conflict:
            deals.commit(lambda unit: deals.store.replace(unit, never_added, _changed(never_added, 1)))
        # then
        assert conflict.value.status == 409
        assert deals.store.get("d1") is None

    def test_a_new_deal_is_a_card_in_its_first_column(self, deals):
        # when
        deals.commit(
            lambda unit: deals.store.add(unit, _deal("d1", client_name="Ivan", source_channel="site"))
        )
        # then
        cards, _ = deals.store.column("p1", "new", None, 10)
        assert [(shown.id, shown.client_name, shown.source_channel, shown.version) for shown in cards] == [
            ("d1", "Ivan", "site", 1)
        ]

    def test_a_move_takes_the_card_from_the_old_column_to_the_new(self, deals):
        # given
        deals.commit(lambda unit: deals.store.add(unit, _deal("d1")))
        read = deals.store.get("d1")
        # when
        deals.commit(lambda unit: deals.store.replace(unit, read, _changed(read, 5, stage="contacted")))
        # then
        assert deals.store.column("p1", "new", None, 10)[0] == []
        moved = deals.store.column("p1", "contacted", None, 10)[0]
        assert [(shown.id, shown.version, shown.updated_at) for shown in moved] == [
            ("d1", 2, NOW + timedelta(minutes=5))
        ]

    def test_a_change_in_the_same_column_leaves_one_card_on_top(self, deals):
        # given
        def write(unit: Any) -> None:
            deals.store.add(unit, _deal("d1"))
            deals.store.add(unit, _deal("d2", updated_at=NOW + timedelta(minutes=1)))

        deals.commit(write)
        read = deals.store.get("d1")
        # when
        deals.commit(lambda unit: deals.store.replace(unit, read, _changed(read, 2, amount=5000)))
        # then
        cards, _ = deals.store.column("p1", "new", None, 10)
        assert [(shown.id, shown.amount) for shown in cards] == [("d1", 5000), ("d2", 1000)]

    def test_a_column_holds_its_stages_cards_newest_first(self, deals):
        # given
        def write(unit: Any) -> None:
            deals.store.add(unit, _deal("old", updated_at=NOW - timedelta(days=2)))
            deals.store.add(unit, _deal("new", updated_at=NOW))
            deals.store.add(unit, _deal("mid", updated_at=NOW - timedelta(days=1)))
            deals.store.add(unit, _deal("elsewhere", stage="contacted"))
            deals.store.add(unit, _deal("other-pipeline", pipeline_id="p2"))

        deals.commit(write)
        # when
        cards, _ = deals.store.column("p1", "new", None, 10)
        # then
        assert _ids(cards) == ["new", "mid", "old"]

    def test_pages_of_a_column_hold_each_card_once_in_order(self, deals):
        # given
        def write(unit: Any) -> None:
            for number in range(7):
                deals.store.add(unit, _deal(f"d{number}", updated_at=NOW + timedelta(minutes=number)))

        deals.commit(write)
        # when
        seen = _collect(lambda cursor, limit: deals.store.column("p1", "new", cursor, limit), 3)
        # then
        assert seen == [f"d{number}" for number in reversed(range(7))]

    def test_an_owners_deals_come_newest_first_and_the_unassigned_under_none(self, deals):
        # given
        def write(unit: Any) -> None:
            deals.store.add(unit, _deal("older", owner_id="olena", updated_at=NOW - timedelta(hours=1)))
            deals.store.add(unit, _deal("newer", owner_id="olena", stage="contacted"))
            deals.store.add(unit, _deal("petros", owner_id="petro"))
            deals.store.add(unit, _deal("nobodys"))

        deals.commit(write)
        # when
        mine, _ = deals.store.of_owner("olena", None, 10)
        unassigned, _ = deals.store.of_owner(None, None, 10)
        # then
        assert _ids(mine) == ["newer", "older"]
        assert _ids(unassigned) == ["nobodys"]
        assert mine[0].title == "Deal newer"

    def test_pages_of_an_owners_deals_hold_each_once_in_order(self, deals):
        # given
        def write(unit: Any) -> None:
            for number in range(7):
                deals.store.add(
                    unit, _deal(f"d{number}", owner_id="olena", updated_at=NOW + timedelta(minutes=number))
                )

        deals.commit(write)
        # when
        seen = _collect(lambda cursor, limit: deals.store.of_owner("olena", cursor, limit), 3)
        # then
        assert seen == [f"d{number}" for number in reversed(range(7))]

    def test_a_new_owner_takes_the_deal_off_the_unassigned(self, deals):
        # given
        deals.commit(lambda unit: deals.store.add(unit, _deal("d1")))
        read = deals.store.get("d1")
        # when
        deals.commit(lambda unit: deals.store.replace(unit, read, _changed(read, 1, owner_id="olena")))
        # then
        assert deals.store.of_owner(None, None, 10)[0] == []
        assert _ids(deals.store.of_owner("olena", None, 10)[0]) == ["d1"]

    def test_owner_pages_come_oldest_first_each_deal_once(self, deals):
        # given
        def write(unit: Any) -> None:
            for number in range(5):
                deals.store.add(
                    unit, _deal(f"d{number}", owner_id="olena", updated_at=NOW + timedelta(minutes=number))
                )
            deals.store.add(unit, _deal("petros", owner_id="petro"))

        deals.commit(write)
        seen: list[str] = []
        start = None
        # when
        while True:
            owned, start = deals.store.owner_page("olena", start, 2)
            seen += [deal.id for deal in owned]
            if start is None:
                break
        # then
        assert seen == [f"d{number}" for number in range(5)]
        assert deals.store.owner_page("nobody", None, 2)[0] == []

    def test_a_clients_deal_ids_come_in_id_order_either_way_up_to_the_limit(self, deals):
        # given
        def write(unit: Any) -> None:
            for deal_id in ("01B", "01A", "01C"):
                deals.store.add(unit, _deal(deal_id, client_id="c1"))
            deals.store.add(unit, _deal("01D", client_id="c2"))

        deals.commit(write)
        # when
        oldest = deals.store.ids_of_client("c1", 10)
        newest = deals.store.ids_of_client("c1", 2, newest_first=True)
        # then
        assert oldest == ["01A", "01B", "01C"]
        assert newest == ["01C", "01B"]
        assert deals.store.ids_of_client("nobody", 10) == []

    def test_a_clients_open_deal_is_the_newest_without_an_outcome_among_the_limit(self, deals):
        # given
        def write(unit: Any) -> None:
            deals.store.add(unit, _deal("01A", client_id="c1"))
            deals.store.add(unit, _deal("01B", client_id="c1"))
            deals.store.add(unit, _deal("01C", client_id="c1", stage="won", outcome="won"))

        deals.commit(write)
        # when
        among_all = deals.store.open_of_client("c1", 10)
        among_newest = deals.store.open_of_client("c1", 1)
        # then
        assert among_all.id == "01B"
        assert among_newest is None
        assert deals.store.open_of_client("nobody", 10) is None

    def test_a_request_links_to_a_deal_once_and_again_is_stale(self, deals):
        # given
        deals.commit(lambda unit: deals.store.link_request(unit, "r1", "d1"))
        # when
        with pytest.raises(ConditionFailed) as failed:
            deals.commit(lambda unit: deals.store.link_request(unit, "r1", "d2"))
        # then
        assert failed.value.tag == "stale:request"
        assert deals.store.deal_of_request("r1") == "d1"

    def test_a_relinked_deal_moves_from_one_client_to_the_other(self, deals):
        # given
        def write(unit: Any) -> None:
            deals.store.add(unit, _deal("01A", client_id="merged"))
            deals.store.add(unit, _deal("01B", client_id="merged"))
            deals.store.add(unit, _deal("01C", client_id="survivor"))

        deals.commit(write)
        # when
        deals.commit(lambda unit: deals.store.relink(unit, "01A", "merged", "survivor"))
        # then
        assert deals.store.ids_of_client("merged", 10) == ["01B"]
        assert deals.store.ids_of_client("survivor", 10) == ["01A", "01C"]

    def test_board_counts_add_up_per_column_of_a_pipeline(self, deals):
        # given
        deals.commit(lambda unit: deals.store.count(unit, "p1", "new", 1, 1000))
        deals.commit(lambda unit: deals.store.count(unit, "p1", "new", 1, 500))

        # when
        def move(unit: Any) -> None:
            deals.store.count(unit, "p1", "new", -1, -1000)
            deals.store.count(unit, "p1", "won", 1, 1000)
            deals.store.count(unit, "p2", "new", 3, 0)

        deals.commit(move)
        # then
        assert deals.store.counts("p1") == {"new": (1, 500), "won": (1, 1000)}
        assert deals.store.counts("p2") == {"new": (3, 0)}
        assert deals.store.counts("none") == {}

    def test_loads_add_up_and_are_zero_for_managers_never_counted(self, deals):
        # given
        deals.commit(lambda unit: deals.store.load(unit, "p1", "olena", 1))
        deals.commit(lambda unit: deals.store.load(unit, "p1", "olena", 1))

        # when
        def write(unit: Any) -> None:
            deals.store.load(unit, "p1", "olena", -1)
            deals.store.load(unit, "p2", "petro", 4)

        deals.commit(write)
        # then
        assert deals.store.loads("p1", ["olena", "petro"]) == {"olena": 1, "petro": 0}
        assert deals.store.loads("p2", ["petro"]) == {"petro": 4}
        assert deals.store.loads("p1", []) == {}


class TestDealsInMemory(DealContract):
    @pytest.fixture
    def deals(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryDeals())


class TestDealsOnMoto(DealContract):
    @pytest.fixture
    def deals(self, world: Any) -> Subject[Any]:
        from chalicelib.deals.store import DealStore

        return on_moto(world, "deals", DealStore)


# ------------------------------------------------------------------------------ pipelines


def _pipeline(pipeline_id: str, **fields: Any) -> Any:
    from chalicelib.deals.domain.pipelines import Pipeline, Stage

    values: dict[str, Any] = {
        "id": pipeline_id,
        "name": f"Pipeline {pipeline_id}",
        "stages": [
            Stage(key="new", name="New"),
            Stage(key="won", name="Won", kind="won"),
            Stage(key="lost", name="Lost", kind="lost"),
        ],
    }
    values.update(fields)
    return Pipeline(**values)


class PipelineContract:
    """`PipelineStore`: pipelines by id saved at the revision read, listed by id, the
    default one, and each pipeline's round-robin turns."""

    @pytest.fixture
    def pipelines(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_new_pipeline_reads_back_as_saved(self, pipelines):
        # when
        pipelines.commit(
            lambda unit: pipelines.store.save(unit, _pipeline("p1", lost_reasons=["Dear"]), expected=None)
        )
        # then
        found = pipelines.store.get("p1")
        assert (found.name, found.lost_reasons, found.stage_keys, found.version) == (
            "Pipeline p1",
            ["Dear"],
            ["new", "won", "lost"],
            1,
        )
        assert pipelines.store.get("nope") is None

    def test_a_new_pipeline_with_a_taken_id_is_a_409_and_the_first_stays(self, pipelines):
        # given
        pipelines.commit(
            lambda unit: pipelines.store.save(unit, _pipeline("p1", name="First"), expected=None)
        )
        # when
        with pytest.raises(Problem) as conflict:
            pipelines.commit(
                lambda unit: pipelines.store.save(unit, _pipeline("p1", name="Second"), expected=None)
            )
        # then
        assert conflict.value.status == 409
        assert pipelines.store.get("p1").name == "First"

    def test_a_save_at_the_version_read_replaces_it(self, pipelines):
        # given
        pipelines.commit(lambda unit: pipelines.store.save(unit, _pipeline("p1"), expected=None))
        # when
        pipelines.commit(
            lambda unit: pipelines.store.save(unit, _pipeline("p1", name="Renamed", version=2), expected=1)
        )
        # then
        found = pipelines.store.get("p1")
        assert (found.name, found.version) == ("Renamed", 2)

    def test_a_save_at_a_stale_version_is_a_409_and_changes_nothing(self, pipelines):
        # given
        pipelines.commit(lambda unit: pipelines.store.save(unit, _pipeline("p1"), expected=None))
        pipelines.commit(
            lambda unit: pipelines.store.save(unit, _pipeline("p1", name="Renamed", version=2), expected=1)
        )
        # when
        with pytest.raises(Problem) as conflict:
            pipelines.commit(
                lambda unit: pipelines.store.save(unit, _pipeline("p1", name="Late", version=2), expected=1)
            )
        # then
        assert conflict.value.status == 409
        assert pipelines.store.get("p1").name == "Renamed"

    def test_saving_over_a_pipeline_that_is_not_there_is_a_409(self, pipelines):
        # when
        with pytest.raises(Problem) as conflict:
            pipelines.commit(lambda unit: pipelines.store.save(unit, _pipeline("p1", version=2), expected=1))
        # then
        assert conflict.value.status == 409
        assert pipelines.store.get("p1") is None

    def test_all_pipelines_come_by_id(self, pipelines):
        # given
        def write(unit: Any) -> None:
            for pipeline_id in ("b", "c", "a"):
                pipelines.store.save(unit, _pipeline(pipeline_id), expected=None)

        pipelines.commit(write)
        # when
        found = pipelines.store.all()
        # then
        assert _ids(found) == ["a", "b", "c"]

    def test_the_default_is_the_one_marked_so(self, pipelines):
        # given
        def write(unit: Any) -> None:
            pipelines.store.save(unit, _pipeline("a"), expected=None)
            pipelines.store.save(unit, _pipeline("b", is_default=True), expected=None)

        pipelines.commit(write)
        # when
        default = pipelines.store.default()
        # then
        assert default.id == "b"

    def test_without_one_marked_default_the_default_is_the_first_and_without_any_none(self, pipelines):
        # given
        nothing = pipelines.store.default()

        def write(unit: Any) -> None:
            pipelines.store.save(unit, _pipeline("b"), expected=None)
            pipelines.store.save(unit, _pipeline("a"), expected=None)

        pipelines.commit(write)
        # when
        default = pipelines.store.default()
        # then
        assert nothing is None
        assert default.id == "a"

    def test_turns_count_up_from_zero_per_pipeline(self, pipelines):
        # when
        turns = [pipelines.store.take_turn("p1") for _ in range(3)]
        other = pipelines.store.take_turn("p2")
        # then
        assert turns == [0, 1, 2]
        assert other == 0


class TestPipelinesInMemory(PipelineContract):
    @pytest.fixture
    def pipelines(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryPipelines())


class TestPipelinesOnMoto(PipelineContract):
    @pytest.fixture
    def pipelines(self, world: Any) -> Subject[Any]:
        from chalicelib.deals.store import PipelineStore

        return on_moto(world, "deals", PipelineStore)


# ------------------------------------------------------------------------------ rules


def _rules(pipeline_id: str, version: int, grace: int) -> Any:
    from chalicelib.deals.domain.automation import RuleSet

    return RuleSet(pipeline_id=pipeline_id, version=version, escalation_grace_minutes=grace)


class RuleContract:
    """`RuleStore`: a pipeline's rule set as a whole, saved at the version read."""

    @pytest.fixture
    def rules(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_pipeline_that_never_had_rules_has_none_at_version_zero(self, rules):
        # when
        found = rules.store.get("p1")
        # then
        assert (found.pipeline_id, found.version, found.rules) == ("p1", 0, [])

    def test_installed_rules_read_back_at_version_one(self, rules):
        # given
        from chalicelib.deals.domain.automation import RuleSetSpec

        # when
        rules.commit(lambda unit: rules.store.install(unit, "p1", RuleSetSpec(escalation_grace_minutes=30)))
        # then
        found = rules.store.get("p1")
        assert (found.pipeline_id, found.version, found.escalation_grace_minutes) == ("p1", 1, 30)

    def test_installing_rules_where_there_are_some_is_a_409_and_the_first_stay(self, rules):
        # given
        from chalicelib.deals.domain.automation import RuleSetSpec

        rules.commit(lambda unit: rules.store.install(unit, "p1", RuleSetSpec(escalation_grace_minutes=30)))
        # when
        with pytest.raises(Problem) as conflict:
            rules.commit(
                lambda unit: rules.store.install(unit, "p1", RuleSetSpec(escalation_grace_minutes=90))
            )
        # then
        assert conflict.value.status == 409
        assert rules.store.get("p1").escalation_grace_minutes == 30

    def test_a_save_at_the_version_read_replaces_the_rules(self, rules):
        # given
        rules.commit(lambda unit: rules.store.save(unit, _rules("p1", 1, 30), expected=0))
        # when
        rules.commit(lambda unit: rules.store.save(unit, _rules("p1", 2, 45), expected=1))
        # then
        found = rules.store.get("p1")
        assert (found.version, found.escalation_grace_minutes) == (2, 45)

    def test_a_save_at_a_stale_version_is_a_409_and_changes_nothing(self, rules):
        # given
        rules.commit(lambda unit: rules.store.save(unit, _rules("p1", 1, 30), expected=0))
        rules.commit(lambda unit: rules.store.save(unit, _rules("p1", 2, 45), expected=1))
        # when
        with pytest.raises(Problem) as conflict:
            rules.commit(lambda unit: rules.store.save(unit, _rules("p1", 2, 90), expected=1))
        # then
        assert conflict.value.status == 409
        assert rules.store.get("p1").escalation_grace_minutes == 45

    def test_a_save_over_rules_that_are_not_there_is_a_409(self, rules):
        # when
        with pytest.raises(Problem) as conflict:
            rules.commit(lambda unit: rules.store.save(unit, _rules("p1", 3, 30), expected=2))
        # then
        assert conflict.value.status == 409
        assert rules.store.get("p1").version == 0


class TestRulesInMemory(RuleContract):
    @pytest.fixture
    def rules(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryRules())


class TestRulesOnMoto(RuleContract):
    @pytest.fixture
    def rules(self, world: Any) -> Subject[Any]:
        from chalicelib.deals.store import RuleStore

        return on_moto(world, "deals", RuleStore)


# ------------------------------------------------------------------------------ directory


def _client(client_id: str, version: int, **fields: Any) -> Any:
    from chalicelib.deals.domain.directory import ClientCard

    values: dict[str, Any] = {
        "client_id": client_id,
        "name": f"Client {client_id} v{version}",
        "owner_id": "olena",
        "as_of": NOW + timedelta(minutes=version),
        "version": version,
    }
    values.update(fields)
    return ClientCard(**values)


class DirectoryContract:
    """`ClientDirectory`: a client's card, moved only forward, merged or erased for good."""

    @pytest.fixture
    def directory(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_client_never_seen_has_no_card(self, directory):
        # when / then
        assert directory.store.card("nobody") is None

    def test_a_card_reads_back_as_remembered(self, directory):
        # when
        directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 2)))
        # then
        found = directory.store.card("c1")
        assert (found.name, found.owner_id, found.as_of, found.version, found.merged_into, found.erased) == (
            "Client c1 v2",
            "olena",
            NOW + timedelta(minutes=2),
            2,
            None,
            False,
        )

    def test_the_as_of_time_is_kept_in_utc_to_the_millisecond(self, directory):
        # given
        from zoneinfo import ZoneInfo

        fine = (NOW + timedelta(microseconds=123456)).astimezone(ZoneInfo("Europe/Kyiv"))
        # when
        directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 1, as_of=fine)))
        # then
        found = directory.store.card("c1").as_of
        assert (found, found.utcoffset()) == (NOW + timedelta(microseconds=123000), timedelta(0))

    def test_a_newer_version_replaces_the_card(self, directory):
        # given
        directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 1)))
        # when
        directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 2, owner_id="petro")))
        # then
        found = directory.store.card("c1")
        assert (found.name, found.owner_id, found.version) == ("Client c1 v2", "petro", 2)

    def test_an_older_or_the_same_version_is_stale_and_changes_nothing(self, directory):
        # given
        directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 2)))
        # when
        failures = []
        for version in (1, 2):
            with pytest.raises(ConditionFailed) as failed:
                directory.commit(
                    lambda unit, v=version: directory.store.remember(unit, _client("c1", v, name="Old"))
                )
            failures.append(failed.value.tag)
        # then
        assert failures == ["stale:client-card", "stale:client-card"]
        assert directory.store.card("c1").name == "Client c1 v2"

    def test_a_merged_card_is_final_even_for_a_newer_version(self, directory):
        # given
        directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 1)))
        directory.commit(lambda unit: directory.store.retire(unit, _client("c1", 1, merged_into="c2")))
        # when
        with pytest.raises(ConditionFailed) as failed:
            directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 5)))
        # then
        assert failed.value.tag == "stale:client-card"
        assert directory.store.card("c1").merged_into == "c2"

    def test_an_erased_card_is_final_even_for_a_newer_version(self, directory):
        # given
        directory.commit(
            lambda unit: directory.store.retire(
                unit, _client("c1", 1, name="Erased", owner_id=None, erased=True)
            )
        )
        # when
        with pytest.raises(ConditionFailed) as failed:
            directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 5)))
        # then
        assert failed.value.tag == "stale:client-card"
        found = directory.store.card("c1")
        assert (found.name, found.owner_id, found.erased) == ("Erased", None, True)

    def test_retiring_writes_whatever_came_before(self, directory):
        # given
        directory.commit(lambda unit: directory.store.remember(unit, _client("c1", 7)))
        # when
        directory.commit(lambda unit: directory.store.retire(unit, _client("c1", 1, merged_into="c2")))
        directory.commit(lambda unit: directory.store.retire(unit, _client("c1", 1, merged_into="c2")))
        # then
        found = directory.store.card("c1")
        assert (found.merged_into, found.version) == ("c2", 1)


class TestDirectoryInMemory(DirectoryContract):
    @pytest.fixture
    def directory(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryDirectory())


class TestDirectoryOnMoto(DirectoryContract):
    @pytest.fixture
    def directory(self, world: Any) -> Subject[Any]:
        from chalicelib.deals.store import ClientDirectory

        return on_moto(world, "deals", ClientDirectory)


# ------------------------------------------------------------------------------ calls


def _call(call_id: str, **fields: Any) -> Any:
    from chalicelib.deals.domain.calls import Call

    values: dict[str, Any] = {
        "id": call_id,
        "client_id": "c1",
        "deal_id": "d1",
        "direction": "in",
        "answered": True,
        "duration_seconds": 60,
        "started_at": NOW,
        "user_id": "olena",
        "source": "telephony",
    }
    values.update(fields)
    return Call(**values)


class CallContract:
    """`CallStore`: calls by id (one reported twice is one), a deal's calls newest first,
    and the call settings."""

    @pytest.fixture
    def calls(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_call_exists_once_added(self, calls):
        # when
        calls.commit(lambda unit: calls.store.add(unit, _call("k1")))
        # then
        assert calls.store.exists("k1")
        assert not calls.store.exists("k2")

    def test_a_call_reported_twice_is_stale_and_the_first_stays(self, calls):
        # given
        calls.commit(lambda unit: calls.store.add(unit, _call("k1", result="First")))
        # when
        with pytest.raises(ConditionFailed) as failed:
            calls.commit(lambda unit: calls.store.add(unit, _call("k1", result="Second")))
        # then
        assert failed.value.tag == "stale:call:k1"
        assert [call.result for call in calls.store.of_deal("d1")] == ["First"]

    def test_a_deals_calls_come_newest_first_up_to_the_limit(self, calls):
        # given
        def write(unit: Any) -> None:
            calls.store.add(unit, _call("early", started_at=NOW - timedelta(hours=2)))
            calls.store.add(unit, _call("late", started_at=NOW, provider="binotel", answered=False))
            calls.store.add(unit, _call("mid", started_at=NOW - timedelta(hours=1)))
            calls.store.add(unit, _call("other", deal_id="d2"))
            calls.store.add(unit, _call("no-deal", deal_id=None))

        calls.commit(write)
        # when
        all_of_d1 = calls.store.of_deal("d1")
        newest = calls.store.of_deal("d1", limit=2)
        # then
        assert _ids(all_of_d1) == ["late", "mid", "early"]
        assert (all_of_d1[0].provider, all_of_d1[0].answered) == ("binotel", False)
        assert _ids(newest) == ["late", "mid"]
        assert calls.store.exists("no-deal")

    def test_the_settings_are_the_defaults_until_saved(self, calls):
        # when
        found = calls.store.settings()
        # then
        assert found.callback_minutes == 15

    def test_saved_settings_read_back_and_a_later_save_replaces_them(self, calls):
        # given
        from chalicelib.deals.domain.calls import CallSettings

        calls.commit(lambda unit: calls.store.save_settings(unit, CallSettings(callback_minutes=30)))
        # when
        calls.commit(lambda unit: calls.store.save_settings(unit, CallSettings(callback_minutes=5)))
        # then
        assert calls.store.settings().callback_minutes == 5


class TestCallsInMemory(CallContract):
    @pytest.fixture
    def calls(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryCalls())


class TestCallsOnMoto(CallContract):
    @pytest.fixture
    def calls(self, world: Any) -> Subject[Any]:
        from chalicelib.deals.store.calls import CallStore

        return on_moto(world, "deals", CallStore)


# ------------------------------------------------------------------------------ timers


def _timer(ref: str, at: Any, kind: str = "task_due", **fields: Any) -> Any:
    from chalicelib.deals.domain.timers import Timer

    return Timer(kind, ref, at, **fields)


class TimerContract:
    """`TimerStore`: timers by the minute they are due (never the minute in progress), taken
    once, postponed, and the sweep's cursor that only moves forward."""

    @pytest.fixture
    def timers(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_timer_set_is_due_in_its_minute_with_its_payload(self, timers):
        # given
        at = NOW + timedelta(minutes=5)
        # when
        timers.commit(lambda unit: timers.store.set(unit, _timer("t1", at, payload={"stage": "new"}), NOW))
        # then
        assert list(timers.store.due(at, at)) == [_timer("t1", at, payload={"stage": "new"})]
        assert list(timers.store.due(at - timedelta(minutes=1), at - timedelta(minutes=1))) == []

    def test_a_range_from_a_moment_within_a_minute_reaches_the_next_hours_timers(self, timers):
        # given a timer due at the top of the next hour
        at = NOW + timedelta(hours=1)
        timers.commit(lambda unit: timers.store.set(unit, _timer("t1", at), NOW))
        # when the range starts part way through a minute (in another time zone, too)
        from zoneinfo import ZoneInfo

        first = (NOW + timedelta(minutes=5, seconds=30)).astimezone(ZoneInfo("Europe/Kyiv"))
        # then the timer is in it
        assert [timer.ref for timer in timers.store.due(first, at)] == ["t1"]

    def test_a_timer_due_now_or_earlier_is_set_into_the_next_minute(self, timers):
        # given
        now = NOW + timedelta(seconds=30)

        # when
        def write(unit: Any) -> None:
            timers.store.set(unit, _timer("past", NOW - timedelta(hours=1)), now)
            timers.store.set(unit, _timer("now", NOW), now)

        timers.commit(write)
        # then
        due = list(timers.store.due(NOW - timedelta(hours=2), NOW + timedelta(minutes=5)))
        assert [(timer.ref, timer.at) for timer in due] == [
            ("now", NOW + timedelta(minutes=1)),
            ("past", NOW + timedelta(minutes=1)),
        ]

    def test_due_reads_first_to_last_minute_inclusive_across_hours_in_order(self, timers):
        # given
        def write(unit: Any) -> None:
            for minutes, kind, ref in (
                (59, "task_due", "b"),
                (60, "task_due", "x"),
                (59, "deal_sla", "z"),
                (59, "task_due", "a"),
                (58, "task_due", "before"),
                (121, "task_due", "after"),
                (120, "task_due", "last"),
            ):
                timers.store.set(unit, _timer(ref, NOW + timedelta(minutes=minutes), kind), NOW)

        timers.commit(write)
        # when
        due = timers.store.due(NOW + timedelta(minutes=59), NOW + timedelta(minutes=120))
        # then
        assert [timer.ref for timer in due] == ["z", "a", "b", "x", "last"]

    def test_setting_a_timer_again_replaces_its_payload(self, timers):
        # given
        at = NOW + timedelta(minutes=5)
        timers.commit(lambda unit: timers.store.set(unit, _timer("t1", at, payload={"n": 1}), NOW))
        # when
        timers.commit(lambda unit: timers.store.set(unit, _timer("t1", at, payload={"n": 2}), NOW))
        # then
        assert [timer.payload for timer in timers.store.due(at, at)] == [{"n": 2}]

    def test_a_cleared_timer_is_no_longer_due(self, timers):
        # given
        at = NOW + timedelta(minutes=5)

        def write(unit: Any) -> None:
            timers.store.set(unit, _timer("t1", at), NOW)
            timers.store.set(unit, _timer("t2", at), NOW)

        timers.commit(write)
        # when
        timers.commit(lambda unit: timers.store.clear(unit, _timer("t1", at)))
        # then
        assert [timer.ref for timer in timers.store.due(at, at)] == ["t2"]

    def test_clearing_a_timer_never_set_does_nothing(self, timers):
        # given
        at = NOW + timedelta(minutes=5)
        timers.commit(lambda unit: timers.store.set(unit, _timer("t1", at), NOW))
        # when
        timers.commit(lambda unit: timers.store.clear(unit, _timer("t1", at, kind="deal_sla")))
        # then
        assert [timer.ref for timer in timers.store.due(at, at)] == ["t1"]

    def test_a_taken_timer_is_gone_and_taking_it_again_fails_as_fired(self, timers):
        # given
        at = NOW + timedelta(minutes=5)
        timers.commit(lambda unit: timers.store.set(unit, _timer("t1", at), NOW))
        timers.commit(lambda unit: timers.store.take(unit, _timer("t1", at)))
        # when
        with pytest.raises(ConditionFailed) as failed:
            timers.commit(lambda unit: timers.store.take(unit, _timer("t1", at)))
        # then
        assert failed.value.tag == "timer-fired"
        assert list(timers.store.due(at, at)) == []

    def test_a_postponed_timer_is_due_the_next_minute_with_one_more_attempt(self, timers):
        # given
        at = NOW - timedelta(minutes=3)
        timers.commit(
            lambda unit: timers.store.set(unit, _timer("t1", at, payload={"n": 1}), at - timedelta(minutes=5))
        )
        # when
        timers.commit(lambda unit: timers.store.postpone(unit, _timer("t1", at, payload={"n": 1}), NOW))
        # then
        due = list(timers.store.due(at - timedelta(minutes=1), NOW + timedelta(minutes=5)))
        assert due == [_timer("t1", NOW + timedelta(minutes=1), payload={"n": 1}, attempts=1)]

    def test_postponing_a_timer_already_taken_fails_as_fired_and_sets_nothing(self, timers):
        # given
        at = NOW - timedelta(minutes=3)
        timers.commit(lambda unit: timers.store.set(unit, _timer("t1", at), at - timedelta(minutes=5)))
        timers.commit(lambda unit: timers.store.take(unit, _timer("t1", at)))
        # when
        with pytest.raises(ConditionFailed) as failed:
            timers.commit(lambda unit: timers.store.postpone(unit, _timer("t1", at), NOW))
        # then
        assert failed.value.tag == "timer-fired"
        assert list(timers.store.due(at - timedelta(minutes=1), NOW + timedelta(minutes=5))) == []

    def test_the_sweep_cursor_starts_unset_and_only_moves_forward(self, timers):
        # given
        never = timers.store.swept_to()
        # when
        timers.store.advance(NOW + timedelta(minutes=5, seconds=40))
        timers.store.advance(NOW + timedelta(minutes=2))
        # then
        assert never is None
        assert timers.store.swept_to() == NOW + timedelta(minutes=5)


class TestTimersInMemory(TimerContract):
    @pytest.fixture
    def timers(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryTimers())


class TestTimersOnMoto(TimerContract):
    @pytest.fixture
    def timers(self, world: Any) -> Subject[Any]:
        from chalicelib.deals.store import TimerStore

        return on_moto(world, "deals", TimerStore)


# ------------------------------------------------------------------------------ overdue


def _overdue(kind: str, subject_id: str, **fields: Any) -> Any:
    from chalicelib.deals.domain.deadlines import OverdueEntry

    values: dict[str, Any] = {"kind": kind, "id": subject_id, "title": f"{kind} {subject_id}", "since": NOW}
    values.update(fields)
    return OverdueEntry(**values)


class OverdueContract:
    """`OverdueList`: the overdue tasks and stuck deals, oldest first, each counted in its
    person's "now" gauge in the same transaction, written on condition that the entry is as
    it was read."""

    @pytest.fixture
    def overdue(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    @pytest.fixture
    def gauges(self, request: pytest.FixtureRequest) -> Callable[[], dict[str, dict[str, int]]]:
        """The report store's gauges, as `ReportStore.gauges()` reads them."""
        raise NotImplementedError

    def test_an_overdue_task_is_listed_and_counted_for_its_assignee(self, overdue, gauges):
        # when
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="olena")))
        # then
        listed, _ = overdue.store.page(None, 10)
        assert [(entry.kind, entry.id, entry.assignee_id) for entry in listed] == [("task", "t1", "olena")]
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 1}}

    def test_a_stuck_deal_is_found_by_id_and_counted_past_sla_for_its_owner_or_nobody(self, overdue, gauges):
        # when
        def write(unit: Any) -> None:
            overdue.store.add(unit, _overdue("deal", "d1", owner_id="petro", stage="new", entered_at=NOW))
            overdue.store.add(unit, _overdue("deal", "d2"))

        overdue.commit(write)
        # then
        found = overdue.store.deal("d1")
        assert (found.stage, found.entered_at, found.owner_id) == ("new", NOW, "petro")
        assert overdue.store.deal("d3") is None
        assert gauges() == {"PERSON#petro": {"past_sla": 1}, "PERSON#-": {"past_sla": 1}}

    def test_an_entry_added_again_as_it_is_counts_once(self, overdue, gauges):
        # given
        entry = _overdue("task", "t1", assignee_id="olena")
        overdue.commit(lambda unit: overdue.store.add(unit, entry))
        # when
        overdue.commit(lambda unit: overdue.store.add(unit, entry))
        overdue.commit(lambda unit: overdue.store.add(unit, entry.model_copy(update={"escalated": True})))
        # then
        assert [entry.escalated for entry in overdue.store.page(None, 10)[0]] == [True]
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 1}}

    def test_an_entry_handed_to_another_person_moves_its_count(self, overdue, gauges):
        # given
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="olena")))
        # when
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="ivan")))
        # then
        assert [entry.assignee_id for entry in overdue.store.page(None, 10)[0]] == ["ivan"]
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 0}, "PERSON#ivan": {"overdue_tasks": 1}}

    def test_a_resolved_entry_leaves_the_list_and_its_count(self, overdue, gauges):
        # given (one person's gauges are one item: one transaction writes them once)
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="olena")))
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("deal", "d1", owner_id="olena")))
        # when
        overdue.commit(lambda unit: overdue.store.resolve_task(unit, "t1"))
        overdue.commit(lambda unit: overdue.store.resolve_deal(unit, "d1"))
        # then
        assert overdue.store.page(None, 10)[0] == []
        assert overdue.store.deal("d1") is None
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 0, "past_sla": 0}}

    def test_resolving_a_task_leaves_a_deal_of_the_same_id(self, overdue, gauges):
        # given
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "x1", assignee_id="olena")))
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("deal", "x1", owner_id="olena")))
        # when
        overdue.commit(lambda unit: overdue.store.resolve_task(unit, "x1"))
        # then
        assert [(entry.kind, entry.id) for entry in overdue.store.page(None, 10)[0]] == [("deal", "x1")]
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 0, "past_sla": 1}}

    def test_resolving_what_is_not_overdue_changes_nothing(self, overdue, gauges):
        # given
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="olena")))
        # when
        overdue.commit(lambda unit: overdue.store.resolve_task(unit, "t2"))
        overdue.commit(lambda unit: overdue.store.resolve_deal(unit, "t1"))
        # then
        assert _ids(overdue.store.page(None, 10)[0]) == ["t1"]
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 1}}

    def test_a_resolve_read_before_the_entry_came_is_a_409(self, overdue, gauges):
        # given
        resolving = overdue.new_unit()
        overdue.store.resolve_task(resolving, "t1")
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="olena")))
        # when
        with pytest.raises(Problem) as conflict:
            resolving.commit()
        # then
        assert conflict.value.status == 409
        assert _ids(overdue.store.page(None, 10)[0]) == ["t1"]
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 1}}

    def test_a_resolve_of_an_entry_changed_since_it_was_read_is_a_409_and_changes_nothing(
        self, overdue, gauges
    ):
        # given
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="olena")))
        resolving = overdue.new_unit()
        overdue.store.resolve_task(resolving, "t1")
        overdue.commit(
            lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="olena", escalated=True))
        )
        # when
        with pytest.raises(Problem) as conflict:
            resolving.commit()
        # then
        assert conflict.value.status == 409
        assert [entry.escalated for entry in overdue.store.page(None, 10)[0]] == [True]
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 1}}

    def test_an_add_over_an_entry_changed_since_it_was_read_is_a_409_and_changes_nothing(
        self, overdue, gauges
    ):
        # given
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="olena")))
        adding = overdue.new_unit()
        overdue.store.add(adding, _overdue("task", "t1", assignee_id="ivan"))
        overdue.commit(lambda unit: overdue.store.add(unit, _overdue("task", "t1", assignee_id="petro")))
        # when
        with pytest.raises(Problem) as conflict:
            adding.commit()
        # then
        assert conflict.value.status == 409
        assert [entry.assignee_id for entry in overdue.store.page(None, 10)[0]] == ["petro"]
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 0}, "PERSON#petro": {"overdue_tasks": 1}}

    def test_a_new_entry_added_twice_at_once_is_a_409_for_the_second(self, overdue, gauges):
        # given
        first, second = overdue.new_unit(), overdue.new_unit()
        overdue.store.add(first, _overdue("task", "t1", assignee_id="olena"))
        overdue.store.add(second, _overdue("task", "t1", assignee_id="olena"))
        first.commit()
        # when
        with pytest.raises(Problem) as conflict:
            second.commit()
        # then
        assert conflict.value.status == 409
        assert gauges() == {"PERSON#olena": {"overdue_tasks": 1}}

    def test_the_list_comes_oldest_first(self, overdue, gauges):
        # given
        def write(unit: Any) -> None:
            overdue.store.add(unit, _overdue("task", "late", assignee_id="olena", since=NOW))
            overdue.store.add(
                unit, _overdue("deal", "early", owner_id="petro", since=NOW - timedelta(days=1))
            )
            overdue.store.add(
                unit, _overdue("task", "mid", assignee_id="ivan", since=NOW - timedelta(hours=1))
            )

        overdue.commit(write)
        # when
        listed, _ = overdue.store.page(None, 10)
        # then
        assert _ids(listed) == ["early", "mid", "late"]

    def test_pages_of_the_list_hold_each_entry_once_in_order(self, overdue, gauges):
        # given
        def write(unit: Any) -> None:
            for number in range(7):
                overdue.store.add(
                    unit,
                    _overdue(
                        "task", f"t{number}", assignee_id=f"u{number}", since=NOW + timedelta(minutes=number)
                    ),
                )

        overdue.commit(write)
        # when
        seen = _collect(lambda cursor, limit: overdue.store.page(cursor, limit), 3)
        # then
        assert seen == [f"t{number}" for number in range(7)]


class TestOverdueInMemory(OverdueContract):
    @pytest.fixture
    def overdue(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryOverdue())

    @pytest.fixture
    def gauges(self, overdue: Subject[Any]) -> Callable[[], dict[str, dict[str, int]]]:
        return lambda: overdue.store.gauges


class TestOverdueOnMoto(OverdueContract):
    @pytest.fixture
    def overdue(self, world: Any) -> Subject[Any]:
        from chalicelib.deals.store import OverdueList

        return on_moto(world, "deals", OverdueList)

    @pytest.fixture
    def gauges(self, world: Any) -> Callable[[], dict[str, dict[str, int]]]:
        from chalicelib.deals.store.reports import ReportStore

        return ReportStore(world.services["deals"].store).gauges
