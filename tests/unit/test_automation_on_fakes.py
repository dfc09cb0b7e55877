"""The automation rules run on the in-memory stores (held by contract to the real ones): the
rule matrix in milliseconds, where the integration tests go through moto and the bus."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalicelib.deals.domain.automation import MAX_DEPTH, Automation, Occasion, RuleSet
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.pipelines import Pipeline

from lanka_platform.memory import MemoryUnitOfWork
from tests.fakes.deals import InMemoryDeals, InMemoryPipelines, InMemoryTasks, InMemoryTimers

NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
STAGES = [
    {"key": "new", "name": "Нова заявка"},
    {"key": "contacted", "name": "Зв'язались"},
    {"key": "measured", "name": "Заміряно"},
    {"key": "won", "name": "Виграно", "kind": "won"},
    {"key": "lost", "name": "Програно", "kind": "lost"},
]


class Office:
    """A pipeline, its rules and the stores automation writes to, all in memory."""

    def __init__(self, rules: list[dict[str, Any]], managers: list[str] | None = None) -> None:
        self.pipeline = Pipeline(
            id="p1",
            name="Меблі",
            stages=STAGES,
            lost_reasons=["дорого"],
            distribution={"rule": "round_robin", "managers": managers or []},
            is_default=True,
        )
        self.rules = RuleSet(pipeline_id="p1", rules=rules)
        self.deals = InMemoryDeals()
        self.tasks = InMemoryTasks()
        self.timers = InMemoryTimers()
        self.pipelines = InMemoryPipelines()
        self.log = logging.getLogger("automation-test")

    def deal(self, **fields: Any) -> Deal:
        values: dict[str, Any] = {
            "id": "d1",
            "pipeline_id": "p1",
            "stage": "new",
            "client_id": "c1",
            "title": "Кухня",
            "amount": 5_000_000,
            "created_at": NOW,
            "updated_at": NOW,
        }
        values.update(fields)
        deal = Deal(**values)
        unit = MemoryUnitOfWork()
        self.deals.add(unit, deal)
        unit.commit()
        return self.deals.get(deal.id) or deal

    def run(
        self, deal: Deal, *, stage: str | None = "new", depth: int = 0, trigger: str = "deal_entered_stage"
    ):
        unit = MemoryUnitOfWork()
        after = Automation(
            unit=unit,
            deals=self.deals,
            tasks=self.tasks,
            timers=self.timers,
            pipeline=self.pipeline,
            rules=self.rules,
            now=NOW,
            log=self.log,
            take_turn=self.pipelines.take_turn,
        ).run(Occasion(trigger=trigger, event_id=f"e-{deal.id}", at=NOW, stage=stage, depth=depth), deal)
        unit.commit()
        return after, unit.events


def rule(rule_id: str, *actions: dict[str, Any], stage: str = "new", **extra: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": rule_id,
        "trigger": {"type": "deal_entered_stage", "stage": stage},
        "actions": list(actions),
        **extra,
    }


def kinds(events: list[Any]) -> list[str]:
    return [event.detail_type for event in events]


def test_a_task_for_a_role_lands_in_its_queue_due_when_the_rule_says():
    # given
    office = Office([rule("call", {"type": "create_task", "title": "Подзвонити", "kind": "contact_client",
                                   "assignee_role": "manager", "due_in_minutes": 30})])  # fmt: skip
    # when
    office.run(office.deal())
    # then
    queued, _ = office.tasks.queue("manager", None, 10)
    assert [(task.title, task.kind, task.deal_id, task.due_at) for task in queued] == [
        ("Подзвонити", "contact_client", "d1", NOW + timedelta(minutes=30))
    ]


def test_a_task_for_the_owner_goes_to_him_and_to_the_managers_queue_while_nobody_owns_the_deal():
    # given
    task = {"type": "create_task", "title": "Зателефонувати", "kind": "contact_client", "assignee": "owner"}
    office = Office([rule("call", task)])
    # when
    office.run(office.deal(id="owned", owner_id="olena"))
    office.run(office.deal(id="nobodys", owner_id=None))
    # then
    assert [t.deal_id for t in office.tasks.of_assignee("olena", None, 10)[0]] == ["owned"]
    assert [t.deal_id for t in office.tasks.queue("manager", None, 10)[0]] == ["nobodys"]


def test_new_requests_go_to_the_managers_on_duty_in_turn():
    # given
    office = Office([rule("assign", {"type": "assign_owner", "user_id": "distribution"})], ["olena", "petro"])
    # when
    owners = [office.run(office.deal(id=f"d{n}"))[0].owner_id for n in range(3)]
    # then
    assert owners == ["olena", "petro", "olena"]
    assert office.deals.get("d1").owner_id == "petro"


def test_conditions_choose_the_deals_a_rule_acts_on():
    # given a rule for big orders only
    big = {"field": "deal.amount", "op": "gte", "value": 10_000_000}
    office = Office(
        [rule("vip", {"type": "set_field", "field": "deal.custom.vip", "value": True}, conditions=[big])]
    )
    # when
    small, _ = office.run(office.deal(id="small", amount=5_000_000))
    large, _ = office.run(office.deal(id="large", amount=15_000_000))
    # then
    assert (small.custom, large.custom) == ({}, {"vip": True})


def test_a_move_and_field_changes_are_one_write_and_announce_the_move_one_level_deeper():
    # given
    office = Office(
        [
            rule(
                "qualify",
                {"type": "set_field", "field": "deal.title", "value": "Кухня (заміряти)"},
                {"type": "move_deal", "to_stage": "contacted"},
            )
        ]
    )
    deal = office.deal()
    # when
    after, events = office.run(deal, depth=2)
    # then
    stored = office.deals.get("d1")
    assert (stored.stage, stored.title, stored.version) == ("contacted", "Кухня (заміряти)", deal.version + 1)
    moved = [event for event in events if event.detail_type == "DealStageChanged"]
    assert [(event.data.to_stage, event.data.automation_depth) for event in moved] == [("contacted", 3)]
    assert after.stage == "contacted"


def test_a_disabled_rule_does_nothing():
    # given
    office = Office([rule("off", {"type": "move_deal", "to_stage": "contacted"}, enabled=False)])
    # when
    after, events = office.run(office.deal())
    # then
    assert (after.stage, events) == ("new", [])


def test_a_rule_of_a_stage_the_deal_has_left_sends_its_messages_but_changes_nothing():
    # given the event says the deal entered "new", but it is in "contacted" already
    office = Office(
        [
            rule(
                "late",
                {"type": "send_message", "template": "request_received"},
                {"type": "move_deal", "to_stage": "measured"},
            )
        ]
    )
    deal = office.deal(stage="contacted")
    # when
    after, events = office.run(deal, stage="new")
    # then
    assert after.stage == "contacted"
    assert kinds(events) == ["MessageRequested"]


def test_a_chain_of_rules_past_the_limit_is_cut(caplog: pytest.LogCaptureFixture):
    # given
    office = Office([rule("loop", {"type": "move_deal", "to_stage": "contacted"})])
    # when
    with caplog.at_level(logging.WARNING, logger="automation-test"):
        after, events = office.run(office.deal(), depth=MAX_DEPTH)
    # then
    assert (after.stage, events) == ("new", [])
    assert "Automation cut off" in caplog.text


def test_the_same_occasion_run_again_makes_no_second_task():
    # given
    task = {
        "type": "create_task",
        "title": "Подзвонити",
        "kind": "contact_client",
        "assignee_role": "manager",
    }
    office = Office([rule("call", task)])
    deal = office.deal()
    office.run(deal)
    # when the event is delivered again (the same id: the same task id)
    from lanka_platform.storage import ConditionFailed

    with pytest.raises(ConditionFailed) as again:
        office.run(deal)
    # then its task is stale, and there is one task
    assert again.value.tag == "stale:task"
    assert len(office.tasks.queue("manager", None, 10)[0]) == 1
