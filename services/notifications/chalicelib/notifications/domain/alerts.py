"""The staff feed: what a user or everyone with a role must know (an overdue task, a key
step done, a bulk export of the client base, the head's morning digest).

Kept per audience (`user:<id>` or `role:<role>`), newest first, with an unread count kept
as alerts arrive and are read (never counted on read). A role's feed is shared: one head
marking an alert read marks it for the role. A member of staff may also get copies by
e-mail or Telegram of the kinds they choose (`Subscription`); the copies go out as messages
through the same delivery as clients' messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from chalicelib.notifications.domain.messages import Messages, OutgoingMessage, queue_message
from pydantic import ConfigDict, Field, model_validator

from lanka_platform.clock import local
from lanka_platform.ports import UnitOfWork
from lanka_platform.schema import Schema

AlertKind = Literal[
    "notice", "clients_exported", "task_overdue", "step_completed", "digest", "handover_needed"
]
KINDS: tuple[str, ...] = (
    "notice",
    "clients_exported",
    "task_overdue",
    "step_completed",
    "digest",
    "handover_needed",
)


def for_user(user_id: str) -> str:
    return f"user:{user_id}"


def for_role(role: str) -> str:
    return f"role:{role}"


class StaffAlert(Schema):
    id: str
    key: str = Field(default="", description="What to pass to mark it read")
    audience: str
    kind: str
    text: str
    created_at: datetime
    data: dict[str, Any]
    read: bool = False


class AlertPage(Schema):
    items: list[StaffAlert]
    unread: int = 0
    next_cursor: str | None = None


class UnreadCount(Schema):
    unread: int


class MarkRead(Schema):
    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, max_length=200, description="One alert's key")
    all: bool = Field(default=False, description="Every alert up to now")
    role: str | None = Field(default=None, max_length=20, description="A role's feed; default: yours")

    @model_validator(mode="after")
    def _one(self) -> MarkRead:
        if (self.key is None) == (not self.all):
            raise ValueError("Give either `key` or `all: true`.")
        return self


class Subscription(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: bool = Field(default=False, description="Copies to the e-mail of your account")
    telegram_chat_id: str | None = Field(default=None, max_length=64, pattern=r"^-?\d{1,20}$")
    kinds: list[AlertKind] = Field(default_factory=list, max_length=10)


def clients_exported(
    event_id: str, at: datetime, requested_by: str, count: int, export_id: str
) -> StaffAlert:
    """The head hears of every bulk export: who took how many clients, and when."""
    return StaffAlert(
        id=event_id,
        audience=for_role("head"),
        kind="clients_exported",
        text=f"Вивантажено базу клієнтів: {count} записів (користувач {requested_by}).",
        created_at=at,
        data={"export_id": export_id, "requested_by": requested_by, "client_count": count},
    )


def requested(
    event_id: str, at: datetime, user_id: str | None, role: str | None, text: str, data: dict[str, Any]
) -> StaffAlert:
    """What another service asked to tell a member of staff (or a role)."""
    audience = for_user(user_id) if user_id else for_role(role or "head")
    return StaffAlert(id=event_id, audience=audience, kind="notice", text=text, created_at=at, data=data)


def step_completed(event_id: str, at: datetime, title: str, kind: str, data: dict[str, Any]) -> StaffAlert:
    """The head hears when a key step of a deal (a rule's task: measured, produced,
    installed) is done."""
    return StaffAlert(
        id=event_id,
        audience=for_role("head"),
        kind="step_completed",
        text=f"Виконано: «{title}»",
        created_at=at,
        data={**data, "task_kind": kind},
    )


def task_overdue(event_id: str, at: datetime, task: Any) -> StaffAlert:
    """An overdue task, to whoever should have done it."""
    audience = for_user(task.assignee_id) if task.assignee_id else for_role(task.assignee_role or "head")
    due = local(task.due_at).strftime("%H:%M %d.%m")
    return StaffAlert(
        id=event_id,
        audience=audience,
        kind="task_overdue",
        text=f"Прострочено: «{task.title}» (термін {due})",
        created_at=at,
        data={"deal_id": task.deal_id, "task_id": task.task_id},
    )


HANDOVER_SHOWN = 5


def handover_needed(event_id: str, at: datetime, handover: Any, role: str) -> StaffAlert:
    """A leaver's bookings no successor took, to the head or the admins (each role's feed
    has its own copy, so the alert's id names the role)."""
    shown = "; ".join(
        f"{local(b.starts_at).strftime('%d.%m %H:%M')} «{b.service_name}»"
        for b in handover.bookings[:HANDOVER_SHOWN]
    )
    more = len(handover.bookings) - HANDOVER_SHOWN
    who = handover.staff_name or "працівника"
    return StaffAlert(
        id=f"{event_id}-{role}",
        audience=for_role(role),
        kind="handover_needed",
        text=(
            f"Записи {who} ({len(handover.bookings)}) ніхто не перейняв — перепризначте їх: {shown}"
            + (f" та ще {more}" if more > 0 else "")
        ),
        created_at=at,
        data={
            "staff_id": handover.staff_id,
            "booking_ids": [b.booking_id for b in handover.bookings],
        },
    )


class Feed(Protocol):
    def add(self, unit: UnitOfWork, alert: StaffAlert) -> None: ...


class Subscribers(Protocol):
    def of_audience(self, audience: str) -> list[tuple[str, str | None, Subscription]]:
        """(user id, e-mail, subscription) of each member of the audience who has one."""
        ...


def post(
    unit: UnitOfWork, alert: StaffAlert, feed: Feed, subscribers: Subscribers, box: Messages, now: datetime
) -> None:
    """Put `alert` in its audience's feed and queue the copies its subscribers asked for."""
    feed.add(unit, alert)
    for user_id, email, subscription in subscribers.of_audience(alert.audience):
        if alert.kind not in subscription.kinds:
            continue
        to = {}
        if subscription.email and email:
            to["email"] = email
        if subscription.telegram_chat_id:
            to["telegram"] = subscription.telegram_chat_id
        if to:
            queue_message(
                unit,
                box,
                OutgoingMessage(
                    id=f"{alert.id}.{user_id}",
                    to=to,
                    template="staff_alert",
                    variables={"text": alert.text},
                    requested_at=alert.created_at,
                    due_at=now,
                ),
            )
