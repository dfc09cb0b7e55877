"""Staff alerts: what a member of staff (or everyone with a role) must be told."""

from __future__ import annotations

from chalicelib.notifications.domain import alerts
from chalicelib.notifications.service import service
from chalicelib.notifications.store import AlertStore
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.contracts.clients import ClientsExported
from lanka_platform.contracts.deals import StaffNotificationRequested
from lanka_platform.events import Envelope
from lanka_platform.schema import Schema
from lanka_platform.storage import UnitOfWork


class AlertQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    role: str | None = Field(
        default=None, max_length=20, description="A role of yours (e.g. head); default: you"
    )
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


@service.handles(ClientsExported)
def on_clients_exported(event: Envelope[ClientsExported], unit: UnitOfWork) -> None:
    data = event.data
    alert = alerts.clients_exported(
        event.metadata.event_id,
        event.metadata.occurred_at,
        data.requested_by,
        data.client_count,
        data.export_id,
    )
    AlertStore(service.store).add(unit, alert)


@service.handles(StaffNotificationRequested)
def on_staff_notification(event: Envelope[StaffNotificationRequested], unit: UnitOfWork) -> None:
    data = event.data
    alert = alerts.requested(
        event.metadata.event_id,
        event.metadata.occurred_at,
        data.user_id,
        data.role,
        data.text,
        {"deal_id": data.deal_id, "task_id": data.task_id},
    )
    AlertStore(service.store).add(unit, alert)


@service.route("/alerts", query=AlertQuery, response=alerts.AlertPage)
def list_alerts(call: Call, query: AlertQuery) -> alerts.AlertPage:
    """Your alerts (or those of a role you hold, e.g. `role=head`), newest first."""
    user = call.user
    if query.role is not None:
        user.require(query.role)
        audience = alerts.for_role(query.role)
    else:
        audience = alerts.for_user(user.user_id)
    items, cursor = AlertStore(call.store).page(audience, query.cursor, query.limit)
    return alerts.AlertPage(items=items, next_cursor=cursor)
