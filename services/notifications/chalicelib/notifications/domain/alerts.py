"""Alerts for staff: what a user or everyone with a role must know at once (an overdue
task, a deal stuck past its SLA, a bulk export of the client base).

Kept per audience (`user:<id>` or `role:<role>`) and shown newest first; delivering them
over e-mail or Telegram as well is the channels' work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lanka_platform.schema import Schema


def for_user(user_id: str) -> str:
    return f"user:{user_id}"


def for_role(role: str) -> str:
    return f"role:{role}"


class StaffAlert(Schema):
    id: str
    audience: str
    kind: str
    text: str
    created_at: datetime
    data: dict[str, Any]


class AlertPage(Schema):
    items: list[StaffAlert]
    next_cursor: str | None = None


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
