"""The staff feed: alerts per user (and per role), unread count, mark read, and copies by
e-mail or Telegram of the kinds a user subscribes to."""

from __future__ import annotations

from chalicelib.notifications.domain import alerts
from chalicelib.notifications.domain.alerts import AlertPage, MarkRead, StaffAlert, Subscription, UnreadCount
from chalicelib.notifications.service import service
from chalicelib.notifications.store import AlertStore, MessageStore, SubscriptionStore
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.auth import Principal
from lanka_platform.clock import to_iso
from lanka_platform.contracts.booking import HandoverNeeded
from lanka_platform.contracts.clients import ClientsExported
from lanka_platform.contracts.deals import StaffNotificationRequested, TaskCompleted, TaskOverdue
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.schema import Schema


class AlertQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    role: str | None = Field(
        default=None, max_length=20, description="A role of yours (e.g. head); default: you"
    )
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


def post_alert(unit: UnitOfWork, alert: StaffAlert) -> None:
    store = service.store
    alerts.post(unit, alert, AlertStore(store), SubscriptionStore(store), MessageStore(store), store.clock())


# ------------------------------------------------------------------------------ events


@service.handles(ClientsExported)
def on_clients_exported(event: Envelope[ClientsExported], unit: UnitOfWork) -> None:
    data = event.data
    post_alert(
        unit,
        alerts.clients_exported(
            event.metadata.event_id,
            event.metadata.occurred_at,
            data.requested_by,
            data.client_count,
            data.export_id,
        ),
    )


@service.handles(StaffNotificationRequested)
def on_staff_notification(event: Envelope[StaffNotificationRequested], unit: UnitOfWork) -> None:
    """Task reminders, overdue alerts (to the assignee, then the head) and rules' notices."""
    data = event.data
    alert = alerts.requested(
        event.metadata.event_id,
        event.metadata.occurred_at,
        data.user_id,
        data.role,
        data.text,
        {"deal_id": data.deal_id, "task_id": data.task_id},
    )
    post_alert(unit, alert)


@service.handles(TaskOverdue)
def on_task_overdue(event: Envelope[TaskOverdue], unit: UnitOfWork) -> None:
    """A task passed its due time: its assignee (or its role) is told at once. The head
    hears after the grace period, from deals (`StaffNotificationRequested`)."""
    data = event.data
    if not data.escalated:
        post_alert(unit, alerts.task_overdue(event.metadata.event_id, event.metadata.occurred_at, data))


@service.handles(HandoverNeeded)
def on_handover_needed(event: Envelope[HandoverNeeded], unit: UnitOfWork) -> None:
    """A leaver's bookings wait for someone to take them: the head and the admins are told."""
    for role in ("head", "admin"):
        metadata = event.metadata
        post_alert(unit, alerts.handover_needed(metadata.event_id, metadata.occurred_at, event.data, role))


@service.handles(TaskCompleted)
def on_task_completed(event: Envelope[TaskCompleted], unit: UnitOfWork) -> None:
    """A rule's task (a step of the pipeline) is done: the head is told."""
    data = event.data
    if data.kind:
        post_alert(
            unit,
            alerts.step_completed(
                event.metadata.event_id,
                event.metadata.occurred_at,
                data.title,
                data.kind,
                {"deal_id": data.deal_id, "task_id": data.task_id, "completed_by": data.completed_by},
            ),
        )


# ------------------------------------------------------------------------------ routes


def _audience(user: Principal, role: str | None) -> str:
    if role is not None:
        user.require(role)
        return alerts.for_role(role)
    return alerts.for_user(user.user_id)


@service.route("/alerts", query=AlertQuery, response=AlertPage)
def list_alerts(call: Call, query: AlertQuery) -> AlertPage:
    """Your alerts (or those of a role you hold, e.g. `role=head`), newest first."""
    audience = _audience(call.user, query.role)
    feed = AlertStore(call.store)
    items, cursor = feed.page(audience, query.cursor, query.limit)
    return AlertPage(items=items, unread=feed.unread(audience), next_cursor=cursor)


class UnreadQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    role: str | None = Field(default=None, max_length=20)


@service.route("/alerts/unread", query=UnreadQuery, response=UnreadCount)
def unread(call: Call, query: UnreadQuery) -> UnreadCount:
    """How many of your alerts (or a role's) are unread: one read, whatever the feed's size."""
    return UnreadCount(unread=AlertStore(call.store).unread(_audience(call.user, query.role)))


@service.route("/alerts/read", "POST", body=MarkRead, response=UnreadCount)
def mark_read(call: Call, body: MarkRead) -> UnreadCount:
    """Mark one alert (`key`) or all of them read; answers the unread count after it."""
    audience = _audience(call.user, body.role)
    feed = AlertStore(call.store)
    now = to_iso(call.store.clock())
    if body.all:
        feed.mark_all_read(call.unit, audience, now)
        return UnreadCount(unread=0)
    assert body.key is not None
    before = feed.unread(audience)
    feed.mark_read(call.unit, audience, body.key, now)
    return UnreadCount(unread=max(0, before - (0 if call.unit.is_empty else 1)))


@service.route("/alerts/subscription", response=Subscription)
def get_subscription(call: Call) -> Subscription:
    """Which kinds of your alerts (and your roles') you also get by e-mail or Telegram."""
    return SubscriptionStore(call.store).get(call.user.user_id)


@service.route("/alerts/subscription", "PUT", body=Subscription, response=Subscription)
def save_subscription(call: Call, body: Subscription) -> Subscription:
    """Choose the kinds you get copies of, and where (your account's e-mail, a Telegram chat)."""
    user = call.user
    audiences = [alerts.for_user(user.user_id), *(alerts.for_role(role) for role in sorted(user.roles))]
    SubscriptionStore(call.store).save(call.unit, user.user_id, user.email, audiences, body)
    return body
