"""The audit trail: reads of contact details and every bulk or irreversible action."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from lanka_platform.schema import Schema

AuditAction = Literal[
    "contacts_read",
    "visit_card_read",
    "personal_data_exported",
    "clients_exported",
    "client_merged",
    "client_erased",
    "client_reassigned",
    "staff_deactivated",
    "staff_created",
    "staff_roles_changed",
]


class AuditEntry(Schema):
    id: str
    action: AuditAction
    actor_id: str
    client_id: str | None = None
    at: datetime
    detail: str | None = None


class AuditPage(Schema):
    items: list[AuditEntry]
    next_cursor: str | None = None
