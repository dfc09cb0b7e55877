"""Message templates: what the CRM says to a client, per channel and language."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import ConfigDict, Field

from lanka_platform.ids import new_id
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import UnitOfWork

Channel = Literal["email", "sms", "telegram", "viber"]
Locale = Literal["uk", "en"]


class NewTemplate(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120, examples=["Підтвердження заміру"])
    channel: Channel
    locale: Locale = "uk"
    subject: str | None = Field(default=None, max_length=200, description="E-mail only")
    body: str = Field(min_length=1, max_length=4000)


class Template(NewTemplate):
    id: str
    created_at: datetime


class Templates(Protocol):
    def add(self, unit: UnitOfWork, template: Template) -> None: ...
    def get(self, template_id: str) -> Template | None: ...


def add_template(unit: UnitOfWork, templates: Templates, new: NewTemplate, now: datetime) -> Template:
    if new.channel != "email" and new.subject:
        raise Problem.invalid([{"field": "subject", "message": "Only e-mail templates have a subject."}])
    template = Template(id=new_id(), created_at=now, **new.model_dump())
    templates.add(unit, template)
    return template


def get_template(templates: Templates, template_id: str) -> Template:
    template = templates.get(template_id)
    if template is None:
        raise Problem.not_found("The template")
    return template
