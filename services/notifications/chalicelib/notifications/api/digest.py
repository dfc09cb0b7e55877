"""The head's morning digest: the day's numbers counted from events as they come, and the
`digest` schedule that sends yesterday's numbers and what is overdue at 08:00 company time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.notifications.domain import alerts, digest
from chalicelib.notifications.service import service
from chalicelib.notifications.store import AlertStore, DigestStore, MessageStore, SubscriptionStore

from lanka_platform import observability
from lanka_platform.clock import to_iso
from lanka_platform.contracts.deals import (
    DealCreated,
    DealStageChanged,
    PaymentReceived,
    TaskCompleted,
    TaskOverdue,
)
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import ConditionFailed


def _day(event: Envelope[Any]) -> Any:
    return digest.company_day(event.metadata.occurred_at, service.store.settings.timezone)


@service.handles(DealCreated)
def count_request(event: Envelope[DealCreated], unit: UnitOfWork) -> None:
    DigestStore(service.store).count(unit, _day(event), "requests")


@service.handles(DealStageChanged)
def count_outcome(event: Envelope[DealStageChanged], unit: UnitOfWork) -> None:
    if event.data.outcome is not None:
        DigestStore(service.store).count(unit, _day(event), event.data.outcome)


@service.handles(PaymentReceived)
def count_payment(event: Envelope[PaymentReceived], unit: UnitOfWork) -> None:
    DigestStore(service.store).paid(unit, _day(event), event.data.currency, event.data.amount)


@service.handles(TaskCompleted)
def count_task_done(event: Envelope[TaskCompleted], unit: UnitOfWork) -> None:
    days = DigestStore(service.store)
    days.count(unit, _day(event), "tasks_done")
    days.resolved(unit, event.data.task_id)


@service.handles(TaskOverdue)
def count_overdue(event: Envelope[TaskOverdue], unit: UnitOfWork) -> None:
    if not event.data.escalated:
        days = DigestStore(service.store)
        days.count(unit, _day(event), "overdue")
        days.overdue(unit, event.data.task_id, event.data.title)


def send_digest() -> dict[str, int]:
    """Post today's digest to the head's feed once, at or after 08:00 company time."""
    store = service.store
    now = store.clock()
    day = digest.due_day(now, store.settings.timezone)
    days = DigestStore(store)
    if day is None or days.was_sent(day):
        return {"sent": 0}
    titles, more = days.overdue_now()
    text = digest.text(day, days.stats(day - timedelta(days=1)), titles, more)
    alert = alerts.StaffAlert(
        id=f"digest-{day.isoformat()}",
        audience=alerts.for_role("head"),
        kind="digest",
        text=text,
        created_at=now,
        data={"day": day.isoformat()},
    )

    def build(unit: UnitOfWork) -> None:
        days.mark_sent(unit, day, to_iso(now))
        alerts.post(unit, alert, AlertStore(store), SubscriptionStore(store), MessageStore(store), now)

    try:
        service.commit(build)
    except ConditionFailed:
        return {"sent": 0}  # another run sent it
    return {"sent": 1}


def digest_job(event: Any) -> dict[str, int]:
    with observability.correlated(service.name, None):
        return send_digest()


# Lambda finds it as `app.<its name>` (services/<service>/app.py re-exports it). It runs
# every minute, like every schedule here, and acts once a day: 08:00 in Kyiv moves with DST.
service.every_minute("digest")(digest_job)
