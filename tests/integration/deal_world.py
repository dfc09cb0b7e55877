"""What the deal task, automation and deadline tests share: a clock the test turns, events
published at a chosen time, a tap on the bus that sees what deals published, and the timer
sweep run as its schedule runs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from lanka_platform.clock import to_iso

DEALS = "/api/deals"
# A Monday, 09:00 in Kyiv (winter time, UTC+2).
T0 = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)


class Clock:
    """The deals service's time, set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def on_clock(world: Any, start: datetime = T0) -> Clock:
    clock = Clock(start)
    world.services["deals"].use(clock=clock)
    return clock


class Tap:
    """A queue of its own on the bus, fed every event deals publishes: what other services
    (notifications, documents, webhooks) are asked to do, as they would receive it."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.create_queue(QueueName="lanka-test-tap")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        bus = boto3.client("events")
        bus.put_rule(
            Name="lanka-test-tap",
            EventBusName="lanka-events",
            EventPattern=json.dumps({"source": ["lanka.deals"]}),
        )
        bus.put_targets(
            Rule="lanka-test-tap", EventBusName="lanka-events", Targets=[{"Id": "tap", "Arn": arn}]
        )
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def events(self, detail_type: str) -> list[dict[str, Any]]:
        """The data of every `detail_type` event published so far, in order."""
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                body = json.loads(message["Body"])
                self.seen.append((body["detail-type"], body["detail"]["data"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [data for kind, data in self.seen if kind == detail_type]


def publish_at(
    world: Any, contract: Any, at: datetime, *, event_id: str | None = None, deliver: bool = True
) -> str:
    """Put an event on the bus as the service owning `contract` would, as of `at`."""
    from lanka_platform.events import envelope

    wrapped = envelope(contract, occurred_at=at)
    if event_id is not None:
        wrapped = wrapped.model_copy(
            update={"metadata": wrapped.metadata.model_copy(update={"event_id": event_id})}
        )
    boto3.client("events").put_events(
        Entries=[
            {
                "EventBusName": "lanka-events",
                "Source": wrapped.source,
                "DetailType": wrapped.detail_type,
                "Detail": wrapped.detail_json(),
            }
        ]
    )
    if deliver:
        world.router.deliver_all()
    return wrapped.metadata.event_id


def sweep(world: Any) -> Any:
    """Run the deals timer schedule once, as EventBridge Scheduler would, and deliver what
    it published."""
    from lanka_local import services
    from lanka_local.router import jobs_of

    (job,) = [
        job for job in jobs_of(services.load_all()) if job.service.name == "deals" and job.name == "timers"
    ]
    result = job.run_once()
    world.router.deliver_all()
    return result


def iso(moment: datetime) -> str:
    return to_iso(moment)


def due(moment: datetime) -> str:
    """A due time as the API shows it: to the minute."""
    return moment.replace(second=0, microsecond=0).astimezone(UTC).isoformat().replace("+00:00", "Z")


def call(
    world: Any, method: str, path: str, user: str = "olena", role: str = "manager", **options: Any
) -> Any:
    return world.http.open(f"{DEALS}{path}", method=method, headers=world.headers(user, role), **options)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def mine(world: Any, user: str = "olena", role: str = "manager", view: str = "open") -> list[dict[str, Any]]:
    return ok(call(world, "GET", "/tasks/mine", user, role, query_string={"view": view}))["items"]


def queue(world: Any, role: str, user: str | None = None) -> list[dict[str, Any]]:
    return ok(call(world, "GET", "/tasks/queue", user or f"{role}-1", role, query_string={"role": role}))[
        "items"
    ]


def complete(
    world: Any, task_id: str, user: str = "olena", role: str = "manager", **body: Any
) -> dict[str, Any]:
    return ok(call(world, "POST", f"/tasks/{task_id}/complete", user, role, json=body))


def take(world: Any, task_id: str, user: str, role: str) -> dict[str, Any]:
    return ok(call(world, "POST", f"/tasks/{task_id}/take", user, role))


def deal(world: Any, deal_id: str) -> dict[str, Any]:
    return ok(call(world, "GET", f"/deals/{deal_id}", "boss", "head"))


def deal_tasks(world: Any, deal_id: str) -> list[dict[str, Any]]:
    return ok(call(world, "GET", f"/deals/{deal_id}/tasks", "boss", "head"))["items"]
