"""The reference test of the reports: a seeded random history of deals (creations, moves,
wins and losses with amounts, tasks done early and late, overdue tasks, calls, payments)
delivered to the deals inbox handler as the queue delivers them, some twice and all out of
order; every report read through the API must equal the one computed here the slow way,
from the same raw events.

The events go through the inbox consumer's public entry (`handle_record`, one SQS record
each, as the Lambda gets them), not the bus, which would add two moto services per event
and test nothing more about the reports. The deals' own items (what the deals service had
written before it published their events) are put through the deals store, as opening a
deal does.

Size: every event runs all of deals' handlers (board counters, automation, webhooks,
reports), some eight DynamoDB calls on moto, 20 to 80 ms an event on a shared machine. The
default history (300 deals, some 1,700 events) keeps the test to minutes;
`LANKA_REFERENCE_DEALS=3000` runs a few thousand deals (some 17,000 events) when there is
time for it.
"""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from deal_world import call, ok, on_clock

from lanka_platform.contracts.deals import (
    CallLogged,
    DealCreated,
    DealStageChanged,
    PaymentReceived,
    TaskCompleted,
    TaskOverdue,
)
from lanka_platform.events import envelope

KYIV = ZoneInfo("Europe/Kyiv")
DEALS = int(os.environ.get("LANKA_REFERENCE_DEALS", "300"))
START = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # spans the change to summer time (28 March)
SPAN_DAYS = 60
MANAGERS = ["m-olena", "m-petro", "m-iryna", "m-taras"]
CHANNELS = ["website", "phone", "telegram", "viber", "booking", None]
STAGES = [
    {"key": "new", "name": "Нова", "kind": "open"},
    {"key": "talks", "name": "Перемовини", "kind": "open"},
    {"key": "offer", "name": "Пропозиція", "kind": "open"},
    {"key": "won", "name": "Виграно", "kind": "won"},
    {"key": "lost", "name": "Втрачено", "kind": "lost"},
]
OPEN = ["new", "talks", "offer"]


@dataclass
class History:
    events: list[Any] = field(default_factory=list)  # envelopes, in the order they happened
    deals: dict[str, dict[str, Any]] = field(default_factory=dict)  # the deals' last state


def generate(pipeline_id: str, seed: int = 20271) -> History:
    chance = random.Random(seed)  # noqa: S311 - a reproducible history
    history = History()

    def at(moment: datetime, data: Any) -> None:
        history.events.append(envelope(data, occurred_at=moment))

    for number in range(DEALS):
        deal_id = f"D{number:05d}"
        client_id = f"C{number:05d}"
        owner = chance.choice([*MANAGERS, None]) if chance.random() < 0.9 else None
        channel = chance.choice(CHANNELS)
        amount = chance.randrange(1_000_00, 300_000_00)
        created = START + timedelta(minutes=chance.randrange(0, SPAN_DAYS * 24 * 60))
        at(
            created,
            DealCreated(
                deal_id=deal_id,
                pipeline_id=pipeline_id,
                stage="new",
                client_id=client_id,
                title=f"Угода {number}",
                amount=amount,
                owner_id=owner,
                source_channel=channel,
            ),
        )
        moment, stage, version = created, "new", 1
        for step in range(chance.randrange(0, 5)):
            moment += timedelta(minutes=chance.randrange(5, 3 * 24 * 60))
            if step < 2 and chance.random() < 0.6:
                target = OPEN[min(OPEN.index(stage) + 1, len(OPEN) - 1)] if stage in OPEN else stage
                outcome = None
            else:
                target = chance.choice(["won", "lost"])
                outcome = target
            if target == stage:
                continue
            version += 1
            at(
                moment,
                DealStageChanged(
                    deal_id=deal_id,
                    pipeline_id=pipeline_id,
                    client_id=client_id,
                    from_stage=stage,
                    to_stage=target,
                    outcome=outcome,  # type: ignore[arg-type]
                    lost_reason="Дорого" if outcome == "lost" else None,
                    amount=amount,
                    owner_id=owner,
                    deal_version=version,
                ),
            )
            stage = target
            if outcome == "won":
                for part in range(chance.randrange(1, 3)):
                    paid = moment + timedelta(hours=chance.randrange(1, 96))
                    at(
                        moment + timedelta(hours=100),
                        PaymentReceived(
                            payment_id=f"P{number}-{part}",
                            deal_id=deal_id,
                            amount=amount // 2,
                            client_id=client_id,
                            paid_at=paid,
                        ),
                    )
            if outcome is not None:
                break
        for task in range(chance.randrange(0, 3)):
            due = created + timedelta(minutes=chance.randrange(30, 5 * 24 * 60))
            assignee = owner or chance.choice(MANAGERS)
            if chance.random() < 0.25:
                at(
                    due + timedelta(minutes=1),
                    TaskOverdue(
                        task_id=f"T{number}-{task}",
                        title="Дзвінок",
                        deal_id=deal_id,
                        assignee_id=assignee,
                        due_at=due,
                    ),
                )
                at(
                    due + timedelta(hours=1),
                    TaskOverdue(
                        task_id=f"T{number}-{task}",
                        title="Дзвінок",
                        deal_id=deal_id,
                        assignee_id=assignee,
                        due_at=due,
                        escalated=True,
                    ),
                )
            done = due + timedelta(minutes=chance.randrange(-24 * 60, 24 * 60))
            if done > created and chance.random() < 0.8:
                at(
                    done,
                    TaskCompleted(
                        task_id=f"T{number}-{task}",
                        title="Дзвінок",
                        deal_id=deal_id,
                        client_id=client_id,
                        completed_by=assignee,
                        due_at=due if chance.random() < 0.9 else None,
                    ),
                )
        for number_of_call in range(chance.randrange(0, 3)):
            user = chance.choice([owner or MANAGERS[0], chance.choice(MANAGERS), None])
            at(
                created + timedelta(minutes=chance.randrange(1, 4 * 24 * 60)),
                CallLogged(
                    call_id=f"K{number}-{number_of_call}",
                    client_id=client_id,
                    deal_id=deal_id if chance.random() < 0.9 else None,
                    direction=chance.choice(["in", "out"]),
                    user_id=user,
                ),
            )
        history.deals[deal_id] = {
            "owner": owner,
            "channel": channel,
            "created": created,
            "stage": stage,
            "client_id": client_id,
            "amount": amount,
        }
    return history


# ------------------------------------------------------------------------------ the slow way


def day(moment: datetime) -> date:
    return moment.astimezone(KYIV).date()


@dataclass
class Fact:
    """One thing a raw event says, with the day and person it belongs to."""

    day: date
    person: str
    name: str
    value: int = 1
    source: str | None = None


def facts(history: History) -> list[Fact]:
    found: list[Fact] = []
    first_response: dict[str, datetime] = {}
    for event in history.events:
        data, moment = event.data, event.metadata.occurred_at
        if isinstance(data, DealCreated):
            person = data.owner_id or "-"
            found += [
                Fact(day(moment), person, "created"),
                Fact(day(moment), person, f"entered:{data.stage}"),
            ]
        elif isinstance(data, DealStageChanged):
            person = data.owner_id or "-"
            found.append(Fact(day(moment), person, f"entered:{data.to_stage}"))
            if data.outcome == "lost":
                found.append(Fact(day(moment), person, "lost"))
            if data.outcome == "won":
                deal = history.deals[data.deal_id]
                cycle = int((moment - deal["created"]).total_seconds())
                source = deal["channel"] or "other"
                found += [
                    Fact(day(moment), person, "won", 1, source),
                    Fact(day(moment), person, "won_amount", data.amount, source),
                    Fact(day(moment), person, "cycle_seconds", cycle),
                ]
        elif isinstance(data, PaymentReceived):
            person = history.deals[data.deal_id]["owner"] or "-"
            paid = data.paid_at or moment
            found += [
                Fact(day(paid), person, "payments"),
                Fact(day(paid), person, "paid_amount", data.amount),
            ]
        elif isinstance(data, TaskCompleted):
            on_time = data.due_at is None or moment <= data.due_at
            found.append(Fact(day(moment), data.completed_by, "tasks_on_time" if on_time else "tasks_late"))
        elif isinstance(data, TaskOverdue):
            if not data.escalated:
                found.append(Fact(day(moment), data.assignee_id or "-", "tasks_overdue"))
        elif isinstance(data, CallLogged):
            found.append(Fact(day(moment), data.user_id or "-", "calls"))
        deal_id = getattr(data, "deal_id", None)
        responds = isinstance(data, DealStageChanged | TaskCompleted) or (
            isinstance(data, CallLogged) and deal_id
        )
        if responds and deal_id is not None:
            first_response[deal_id] = min(first_response.get(deal_id, moment), moment)
    for deal_id, responded in first_response.items():
        deal = history.deals[deal_id]
        person = deal["owner"] or "-"
        seconds = max(int((responded - deal["created"]).total_seconds()), 0)
        found += [
            Fact(day(deal["created"]), person, "responses"),
            Fact(day(deal["created"]), person, "response_seconds", seconds),
        ]
    return found


def summed(found: list[Fact], first: date, last: date, person: str | None = None) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for fact in found:
        if first <= fact.day <= last and person in (None, fact.person):
            sums[fact.name] += fact.value
    return sums


def expected_funnel(found: list[Fact], first: date, last: date, person: str | None = None) -> dict[str, Any]:
    sums = summed(found, first, last, person)
    entered = {stage["key"]: sums.get(f"entered:{stage['key']}", 0) for stage in STAGES}
    following = {"new": "talks", "talks": "offer", "offer": "won"}
    conversion = {
        key: (round(entered[following[key]] / entered[key], 4) if key in following and entered[key] else None)
        for key in entered
    }
    return {"entered": entered, "conversion": conversion}


def expected_kpi(found: list[Fact], first: date, last: date) -> dict[str, dict[str, Any]]:
    people = {fact.person for fact in found if first <= fact.day <= last}
    rows = {}
    for person in people:
        sums = summed(found, first, last, person)
        won, lost, responses = sums["won"], sums["lost"], sums["responses"]
        rows[person] = {
            "new_requests": sums["created"],
            "won": won,
            "lost": lost,
            "win_rate": round(won / (won + lost), 4) if won + lost else None,
            "won_amount": sums["won_amount"],
            "calls": sums["calls"],
            "tasks_on_time": sums["tasks_on_time"],
            "tasks_late": sums["tasks_late"],
            "tasks_overdue": sums["tasks_overdue"],
            "average_first_response_minutes": (
                round(sums["response_seconds"] / responses / 60, 2) if responses else None
            ),
        }
    return rows


def group_key(fact: Fact, grouping: str) -> str:
    if grouping == "day":
        return fact.day.isoformat()
    if grouping == "week":
        year, week, _ = fact.day.isocalendar()
        return f"{year}-W{week:02d}"
    if grouping == "month":
        return f"{fact.day:%Y-%m}"
    if grouping == "source":
        return fact.source or ""
    return fact.person


def expected_revenue(
    found: list[Fact], first: date, last: date, grouping: str
) -> dict[str, tuple[int, int, int, int]]:
    """key -> (won deals, won amount, payments, paid amount)."""
    lines: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    names = (
        {"won": 0, "won_amount": 1}
        if grouping == "source"
        else {"won": 0, "won_amount": 1, "payments": 2, "paid_amount": 3}
    )
    for fact in found:
        if first <= fact.day <= last and fact.name in names:
            lines[group_key(fact, grouping)][names[fact.name]] += fact.value
    return {key: (a, b, c, d) for key, (a, b, c, d) in lines.items() if a or c}


# ------------------------------------------------------------------------------ the test


def record(event: Any, number: int) -> dict[str, Any]:
    body = {
        "source": event.source,
        "detail-type": event.detail_type,
        "detail": json.loads(event.detail_json()),
    }
    return {"messageId": f"m{number}", "body": json.dumps(body)}


def seed_deals(world: Any, pipeline_id: str, history: History) -> None:
    from chalicelib.deals.domain.deals import Deal, StageVisit
    from chalicelib.deals.store import DealStore

    store = world.services["deals"].store
    deals = DealStore(store)
    for deal_id, state in history.deals.items():
        unit = store.unit_of_work()
        deals.add(
            unit,
            Deal(
                id=deal_id,
                pipeline_id=pipeline_id,
                stage=state["stage"],
                client_id=state["client_id"],
                title=deal_id,
                amount=state["amount"],
                owner_id=state["owner"],
                source_channel=state["channel"],
                history=[StageVisit(stage=state["stage"], entered_at=state["created"])],
                created_at=state["created"],
                updated_at=state["created"],
            ),
        )
        unit.commit()


@pytest.fixture
def delivered(world: Any) -> tuple[Any, list[Fact], History]:
    on_clock(world, START + timedelta(days=SPAN_DAYS + 30))
    pipeline = ok(
        call(
            world,
            "POST",
            "/pipelines",
            "root",
            "admin",
            json={"name": "Еталон", "stages": STAGES, "is_default": True},
        ),
        201,
    )
    history = generate(pipeline["id"])
    seed_deals(world, pipeline["id"], history)
    chance = random.Random(7)  # noqa: S311 - a reproducible delivery order
    records = [record(event, number) for number, event in enumerate(history.events)]
    again = chance.sample(records, len(records) // 20)
    shuffled = records + again
    chance.shuffle(shuffled)
    consumer = world.services["deals"].consumer()
    outcomes = defaultdict(int)
    for item in shuffled:
        outcomes[consumer.handle_record(item).status] += 1
    assert set(outcomes) == {"applied", "duplicate"}, dict(outcomes)
    assert outcomes["duplicate"] == len(again)
    return pipeline, facts(history), history


RANGES = [
    (START.date(), (START + timedelta(days=SPAN_DAYS + 12)).date()),
    (date(2027, 3, 20), date(2027, 4, 3)),  # over the change to summer time
]


def test_every_report_equals_the_one_computed_from_the_raw_events(world, delivered):
    pipeline, found, history = delivered

    def get(name: str, user: str = "boss", role: str = "head", **query: Any) -> Any:
        return ok(call(world, "GET", f"/reports/{name}", user, role, query_string=query))

    for first, last in RANGES:
        span = {"from": first.isoformat(), "to": last.isoformat()}
        # the funnel, for everyone and for one manager
        for person in (None, "m-petro", "-"):
            manager = {} if person is None else {"manager": "unassigned" if person == "-" else person}
            funnel = get("funnel", pipeline=pipeline["id"], **span, **manager)
            expected = expected_funnel(found, first, last, person)
            assert {s["stage"]: s["entered"] for s in funnel["stages"]} == expected["entered"]
            assert {s["stage"]: s["conversion_to_next"] for s in funnel["stages"]} == expected["conversion"]
        # the KPIs of every manager
        kpi = get("kpi", **span)
        assert {row.pop("manager_id"): row for row in kpi["rows"]} == expected_kpi(found, first, last)
        # revenue, every grouping
        for grouping in ("day", "week", "month", "manager", "source"):
            revenue = get("revenue", group_by=grouping, **span)
            got = {
                line["key"]: (line["won_deals"], line["won_amount"], line["payments"], line["paid_amount"])
                for line in revenue["lines"]
            }
            assert got == expected_revenue(found, first, last, grouping), grouping
            sums = summed(found, first, last)
            total = revenue["total"]
            assert (total["won_deals"], total["won_amount"], total["paid_amount"]) == (
                sums["won"],
                sums["won_amount"],
                sums["paid_amount"],
            )
            assert total["average_cycle_days"] == (
                round(sums["cycle_seconds"] / sums["won"] / 86400, 2) if sums["won"] else None
            )
    # the unassigned requests now: deals nobody owns that are still open
    now = get("now")
    open_unassigned = sum(
        1 for deal in history.deals.values() if deal["owner"] is None and deal["stage"] in OPEN
    )
    assert now["unassigned_requests"] == open_unassigned
