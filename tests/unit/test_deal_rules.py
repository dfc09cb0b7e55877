"""Automation rules that need no AWS: save-time validation, loops, conditions, templates."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from chalicelib.deals.domain.automation import (
    FURNITURE_RULES,
    TEMPLATE_RULES,
    Condition,
    Facts,
    RuleSetChange,
    RuleSetSpec,
    cycles,
    holds,
    stable_id,
    validate,
)
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.directory import ClientCard
from chalicelib.deals.domain.pipelines import TEMPLATES
from chalicelib.deals.domain.timers import MAX_CATCH_UP, sweep_range
from pydantic import ValidationError

NOW = datetime(2027, 3, 1, 7, 30, 15, tzinfo=UTC)
FURNITURE = TEMPLATES["furniture"]


def entered(stage: str, *actions: dict, rule_id: str | None = None, enabled: bool = True) -> dict:
    return {
        "id": rule_id or f"on_{stage}",
        "name": f"On {stage}",
        "enabled": enabled,
        "trigger": {"type": "deal_entered_stage", "stage": stage},
        "actions": list(actions),
    }


def move(stage: str) -> dict:
    return {"type": "move_deal", "to_stage": stage}


def rules(*items: dict) -> RuleSetSpec:
    return RuleSetChange.model_validate({"version": 0, "rules": list(items)})


def paths(errors: list[dict]) -> list[str]:
    return [error["field"] for error in errors]


@pytest.mark.parametrize("name", sorted(TEMPLATE_RULES))
def test_every_templates_rules_are_valid_for_its_pipeline(name):
    assert validate(TEMPLATE_RULES[name], TEMPLATES[name]) == []


def test_the_furniture_rules_set_a_task_at_every_step_of_the_chain():
    # when
    kinds = [
        action.kind
        for rule in FURNITURE_RULES.rules
        for action in rule.actions
        if action.type == "create_task"
    ]
    # then
    assert kinds == [
        "contact_client",
        "measure",
        "price_job",
        "call_with_price",
        "produce",
        "agree_delivery",
        "install",
    ]


def test_a_rule_on_an_unknown_stage_is_refused_with_the_path_of_the_mistake():
    # when
    errors = validate(rules(entered("nowhere", move("contacted")), entered("new", move("limbo"))), FURNITURE)
    # then
    assert paths(errors) == ["rules.0.trigger.stage", "rules.1.actions.0.to_stage"]


def test_a_condition_on_an_unknown_stage_is_refused():
    # given
    rule = entered("new", move("contacted"))
    rule["conditions"] = [{"field": "deal.stage", "op": "in", "value": ["new", "nowhere"]}]
    # then
    assert paths(validate(rules(rule), FURNITURE)) == ["rules.0.conditions.0.value"]


@pytest.mark.parametrize(
    ("action", "where"),
    [
        ({"type": "create_task", "kind": "call"}, "title"),
        ({"type": "create_task", "title": "Подзвонити", "kind": "call"}, "create_task"),
        ({"type": "send_message"}, "template"),
        ({"type": "notify", "text": "Увага"}, "notify"),
        ({"type": "notify", "text": "Увага", "role": "janitor"}, "role"),
        ({"type": "move_deal"}, "to_stage"),
        ({"type": "generate_document"}, "template"),
        ({"type": "set_field", "field": "deal.amount", "value": "багато"}, "set_field"),
        ({"type": "set_field", "field": "deal.owner_id", "value": "x"}, "field"),
        ({"type": "call_webhook", "url": "http://example.com/hook"}, "url"),
        ({"type": "fly_to_moon"}, "actions.0"),
    ],
)
def test_an_action_without_what_it_needs_is_refused_at_save(action, where):
    # when
    with pytest.raises(ValidationError) as refused:
        rules(entered("new", action))
    # then
    locations = [".".join(str(part) for part in error["loc"]) for error in refused.value.errors()]
    assert any(where in location for location in locations), locations


def test_a_webhook_to_localhost_is_allowed_for_tests_but_plain_http_elsewhere_is_not():
    # when
    local = rules(entered("new", {"type": "call_webhook", "url": "http://localhost:8080/hook"}))
    # then
    assert local.rules[0].actions[0].url == "http://localhost:8080/hook"
    with pytest.raises(ValidationError):
        rules(entered("new", {"type": "call_webhook", "url": "http://localhost.evil.com/hook"}))


def test_two_rules_with_one_id_are_refused():
    errors = validate(rules(entered("new", move("contacted")), entered("new", move("contacted"))), FURNITURE)
    assert paths(errors) == ["rules.1.id"]


def test_a_rule_that_loses_a_deal_must_give_a_configured_reason():
    # when
    errors = validate(rules(entered("new", move("lost"))), FURNITURE)
    fine = validate(rules(entered("new", {**move("lost"), "lost_reason": "Дорого"})), FURNITURE)
    # then
    assert paths(errors) == ["rules.0.actions.0.lost_reason"]
    assert fine == []


def test_booking_fields_are_only_for_booking_triggers():
    # given
    task = {
        "type": "create_task",
        "title": "Замір",
        "kind": "measure",
        "assignee": "booking_staff",
        "due_at_booking_start": True,
    }
    # when
    errors = validate(rules(entered("new", task)), FURNITURE)
    # then
    assert paths(errors) == ["rules.0.actions.0.due_at_booking_start", "rules.0.actions.0.assignee"]


def test_rules_that_move_a_deal_round_in_a_loop_are_refused():
    # given: new -> contacted -> measured -> new
    spec = rules(
        entered("new", move("contacted")),
        entered("contacted", move("measured")),
        entered("measured", move("new")),
    )
    # when
    errors = validate(spec, FURNITURE)
    # then
    assert paths(errors) == ["rules.2"]
    assert "new → contacted → measured → new" in errors[0]["message"]


def test_a_rule_that_moves_a_deal_to_the_stage_it_entered_is_a_loop():
    assert [index for index, _ in cycles(rules(entered("new", move("new"))))] == [0]


def test_a_long_chain_without_a_loop_is_not_refused():
    # given
    stages = [stage.key for stage in FURNITURE.stages if stage.kind == "open"]
    spec = rules(*(entered(a, move(b)) for a, b in itertools.pairwise(stages)))
    # then
    assert cycles(spec) == []


def test_a_disabled_rule_does_not_close_a_loop():
    spec = rules(entered("new", move("contacted")), entered("contacted", move("new"), enabled=False))
    assert cycles(spec) == []


def test_a_loop_that_only_a_branch_reaches_is_found():
    # given: new -> contacted; new -> measured -> pricing -> measured
    spec = rules(
        entered("new", move("contacted"), move("measured")),
        entered("measured", move("pricing")),
        entered("pricing", move("measured")),
    )
    # then
    assert [index for index, _ in cycles(spec)] == [2]


def test_rules_that_would_write_more_than_one_transaction_holds_are_refused():
    # given: twenty rules on "new", each setting a task with five reminders
    task = {
        "type": "create_task",
        "title": "Подзвонити",
        "kind": "call",
        "assignee": "owner",
        "due_in_minutes": 600,
        "reminders": [10, 20, 30, 40, 50],
    }
    spec = rules(*(entered("new", task, rule_id=f"call_{number}") for number in range(20)))
    # when
    errors = validate(spec, FURNITURE)
    # then
    assert paths(errors) == ["rules.8"]


def _deal(**fields) -> Deal:
    return Deal(
        id="d1",
        pipeline_id="furniture",
        stage="new",
        client_id="c1",
        title="Кухня",
        amount=4_500_000,
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "deal.amount", "op": "gte", "value": 4_500_000}, True),
        ({"field": "deal.amount", "op": "gt", "value": 4_500_000}, False),
        ({"field": "deal.amount", "op": "lt", "value": "a lot"}, False),
        ({"field": "deal.source_channel", "op": "in", "value": ["telegram", "viber"]}, True),
        ({"field": "deal.source_channel", "op": "ne", "value": "telegram"}, True),
        ({"field": "deal.title", "op": "contains", "value": "КУХ"}, True),
        ({"field": "deal.owner_id", "op": "missing"}, True),
        ({"field": "deal.owner_id", "op": "exists"}, False),
        ({"field": "deal.custom.room", "op": "eq", "value": "кухня"}, True),
        ({"field": "deal.custom.colour", "op": "exists"}, False),
        ({"field": "client.name", "op": "eq", "value": "Олена"}, True),
        ({"field": "event.channel", "op": "eq", "value": "viber"}, True),
        ({"field": "event.amount", "op": "exists"}, False),
    ],
)
def test_conditions_read_the_deal_the_client_and_the_event(condition, expected):
    # given
    deal = _deal(source_channel="viber", custom={"room": "кухня"})
    card = ClientCard(client_id="c1", name="Олена", owner_id=None, as_of=NOW)
    facts = Facts(deal, lambda: card, {"channel": "viber"})
    # then
    assert holds(Condition.model_validate(condition), facts) is expected


@pytest.mark.parametrize(
    "condition",
    [
        {"field": "deal.amount", "op": "in", "value": 5},
        {"field": "deal.amount", "op": "exists", "value": 5},
        {"field": "deal.amount", "op": "gt"},
        {"field": "deal.secret_field", "op": "eq", "value": 1},
    ],
)
def test_a_condition_that_cannot_be_evaluated_is_refused(condition):
    with pytest.raises(ValidationError):
        Condition.model_validate(condition)


def test_ids_made_by_a_rule_are_the_same_for_the_same_event_and_differ_otherwise():
    # when
    first = stable_id(NOW, "event-1", "contact_new_request", "0")
    # then
    assert first == stable_id(NOW, "event-1", "contact_new_request", "0")
    assert first != stable_id(NOW, "event-2", "contact_new_request", "0")
    assert first != stable_id(NOW, "event-1", "contact_new_request", "1")
    assert len(first) == 26


def test_a_sweep_fires_the_minutes_that_are_over_since_the_last_one():
    # when
    span = sweep_range(datetime(2027, 3, 1, 7, 25, tzinfo=UTC), NOW)
    # then
    assert span == (datetime(2027, 3, 1, 7, 26, tzinfo=UTC), datetime(2027, 3, 1, 7, 29, tzinfo=UTC))
    assert sweep_range(datetime(2027, 3, 1, 7, 29, tzinfo=UTC), NOW) is None


def test_a_sweep_far_behind_catches_up_a_day_at_a_time_skipping_nothing():
    # given
    swept_to = datetime(2027, 2, 25, 7, 0, tzinfo=UTC)
    # when
    first, last = sweep_range(swept_to, NOW)
    # then
    assert first == datetime(2027, 2, 25, 7, 1, tzinfo=UTC)
    assert last == first + MAX_CATCH_UP - timedelta(minutes=1)
