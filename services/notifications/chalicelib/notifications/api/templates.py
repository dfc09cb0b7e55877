"""Routes of message templates."""

from __future__ import annotations

from chalicelib.notifications.domain import templates
from chalicelib.notifications.domain.templates import NewTemplate, Template
from chalicelib.notifications.service import service
from chalicelib.notifications.store import TemplateStore

from lanka_platform.api import Call


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
