"""The notifications service API: routes and event handlers only."""

from __future__ import annotations

from chalicelib.notifications.domain import alerts, templates
from chalicelib.notifications.domain.messages import MessagePage, OutgoingMessage
from chalicelib.notifications.domain.templates import NewTemplate, Template
from chalicelib.notifications.store import MODELS, AlertStore, MessageStore, TemplateStore
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.contracts.clients import ClientErased, ClientsExported
from lanka_platform.contracts.deals import MessageRequested, StaffNotificationRequested
from lanka_platform.events import Envelope
from lanka_platform.schema import Schema
from lanka_platform.service import LankaService
from lanka_platform.storage import UnitOfWork

service = LankaService("notifications", models=MODELS)
app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep


@service.route(
    "/templates",
    "POST",
    body=NewTemplate,
    response=Template,
    status=201,
    roles=("admin", "head"),
    idempotent=True,
)
def add_template(call: Call, body: NewTemplate) -> Template:
    """Add a message template."""
    return templates.add_template(call.unit, TemplateStore(call.store), body, call.store.clock())


@service.route("/templates/{template_id}", response=Template)
def get_template(call: Call, template_id: str) -> Template:
    """One message template."""
    return templates.get_template(TemplateStore(call.store), template_id)


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


class MessageQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    client_id: str = Field(min_length=1, max_length=64)
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


@service.handles(MessageRequested)
def on_message_requested(event: Envelope[MessageRequested], unit: UnitOfWork) -> None:
    data = event.data
    message = OutgoingMessage(
        id=data.message_id,
        client_id=data.client_id,
        template=data.template,
        channel=data.channel,
        deal_id=data.deal_id,
        variables=data.variables,
        status="queued",
        requested_at=event.metadata.occurred_at,
    )
    MessageStore(service.store).add(unit, message)


@service.handles(ClientErased)
def on_client_erased(event: Envelope[ClientErased], unit: UnitOfWork) -> None:
    """What was to be said to an erased person is forgotten; that a message existed stays."""
    MessageStore(service.store).scrub_client(event.data.client_id)


@service.route("/messages", query=MessageQuery, response=MessagePage, roles=("admin", "head"))
def list_messages(call: Call, query: MessageQuery) -> MessagePage:
    """Messages to a client (queued, sent, delivered), newest first."""
    items, cursor = MessageStore(call.store).of_client(query.client_id, query.cursor, query.limit)
    return MessagePage(items=items, next_cursor=cursor)
