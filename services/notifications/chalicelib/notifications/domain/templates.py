"""Message templates: what the CRM says to a client, per template name x channel x locale.

A template is Jinja2 text rendered in a sandbox (a template written by an admin can read
the variables it is given and nothing else). An e-mail has a subject and its body becomes
both the text part and the HTML part; the HTML part is rendered with autoescape, so a
variable never injects markup. The company edits templates; a name/channel/locale it has
not edited uses the default shipped here (`defaults.py`).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.notifications.domain.contacts import Channel, Locale
from pydantic import ConfigDict, Field

from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

NAME = r"^[a-z][a-z0-9_]{1,59}$"


def template_id(name: str, channel: str, locale: str) -> str:
    return f"{name}.{channel}.{locale}"


class TemplateText(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject: str | None = Field(default=None, max_length=200, description="E-mail only (Jinja2)")
    body: str = Field(min_length=1, max_length=4000, description="Jinja2 text")


class NewTemplate(TemplateText):
    name: str = Field(pattern=NAME, examples=["booking_reminder"], description="What it is for")
    channel: Channel
    locale: Locale = "uk"


class Template(NewTemplate):
    id: str
    edited: bool = Field(description="False: the default shipped with Lanka")
    variables: dict[str, str] = Field(default_factory=dict, description="What the template may use")
    updated_at: datetime | None = None


class TemplateList(Schema):
    items: list[Template]


class Preview(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel
    locale: Locale = "uk"
    name: str | None = Field(default=None, pattern=NAME, description="Preview a saved (or default) one")
    subject: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=4000, description="Or preview this text")
    variables: dict[str, str] = Field(
        default_factory=dict, description="Values; documented samples otherwise"
    )


class Rendered(Schema):
    subject: str | None = None
    text: str
    html: str | None = None


class Templates(Protocol):
    def save(self, unit: UnitOfWork, template: Template) -> None: ...
    def get(self, template_id: str) -> Template | None: ...
    def edited(self) -> list[Template]: ...
    def remove(self, unit: UnitOfWork, template_id: str) -> None: ...


@cache
def _environment(autoescape: bool, strict: bool) -> SandboxedEnvironment:
    # Jinja2 is imported when a message is rendered, not at cold start.
    from jinja2 import StrictUndefined, Undefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        autoescape=autoescape, undefined=StrictUndefined if strict else Undefined, trim_blocks=True
    )


def render_text(source: str, variables: dict[str, Any], *, html: bool = False, strict: bool = False) -> str:
    """Render `source` in the sandbox; a template error is a `Problem` (422). `strict`: a
    variable the template uses but was not given is an error (checking on save); when a
    message is sent, a variable its requester did not give is empty."""
    from jinja2 import TemplateError

    try:
        return _environment(html, strict).from_string(source).render(**variables)
    except TemplateError as error:
        raise Problem.invalid([{"field": "body", "message": f"Template error: {error}"}]) from error


def render(
    subject: str | None, body: str, channel: str, variables: dict[str, Any], *, strict: bool = False
) -> Rendered:
    text = render_text(body, variables, strict=strict).strip()
    if channel != "email":
        return Rendered(text=text)
    html_body = render_text(body, variables, html=True, strict=strict).strip()
    return Rendered(
        subject=render_text(subject or "", variables, strict=strict).strip() or None,
        text=text,
        html=_page(html_body),
    )


def _page(escaped: str) -> str:
    """An HTML e-mail body of already escaped text: blank lines part paragraphs."""
    paragraphs = "".join(
        f"<p>{part.replace(chr(10), '<br>')}</p>" for part in re.split(r"\n{2,}", escaped) if part
    )
    return f'<!doctype html><html><body style="font-family:sans-serif">{paragraphs}</body></html>'


def as_written(subject: str | None, text: str, channel: str) -> Rendered:
    """A message written by hand (a reply from the CRM): sent as it is, escaped in HTML."""
    if channel != "email":
        return Rendered(text=text)
    from html import escape

    return Rendered(subject=subject, text=text, html=_page(escape(text)))


def check(template: TemplateText, channel: str, variables: dict[str, str]) -> None:
    """Refuse (422) a template that does not compile or does not render with its documented
    variables: a broken template is found on save, not when a client should get it."""
    if channel != "email" and template.subject:
        raise Problem.invalid([{"field": "subject", "message": "Only e-mail templates have a subject."}])
    samples = {name: f"<{name}>" for name in variables}
    render(template.subject, template.body, channel, samples, strict=True)


# ------------------------------------------------------------------------------ admin


def all_templates(templates: Templates) -> list[Template]:
    from chalicelib.notifications.domain.defaults import default_templates

    edited = {template.id: template for template in templates.edited()}
    merged = {template.id: template for template in default_templates()} | edited
    return sorted(merged.values(), key=lambda t: t.id)


def find(templates: Templates, name: str, channel: str, locale: str) -> Template | None:
    """The company's version, else the default; in the other locale when one is missing."""
    from chalicelib.notifications.domain.defaults import default_template

    for lang in dict.fromkeys((locale, "uk", "en")):
        key = template_id(name, channel, lang)
        found = templates.get(key) or default_template(key)
        if found is not None:
            return found
    return None


def save_template(unit: UnitOfWork, templates: Templates, new: NewTemplate, now: datetime) -> Template:
    from chalicelib.notifications.domain.defaults import variables_of

    variables = variables_of(new.name)
    check(new, new.channel, variables)
    template = Template(
        id=template_id(new.name, new.channel, new.locale),
        edited=True,
        variables=variables,
        updated_at=now,
        **new.model_dump(),
    )
    templates.save(unit, template)
    return template


def get_template(templates: Templates, key: str) -> Template:
    from chalicelib.notifications.domain.defaults import default_template

    template = templates.get(key) or default_template(key)
    if template is None:
        raise Problem.not_found("The template")
    return template


def preview(templates: Templates, request: Preview) -> Rendered:
    from chalicelib.notifications.domain.defaults import variables_of

    if request.body is not None:
        source = TemplateText(subject=request.subject, body=request.body)
        documented = variables_of(request.name or "")
    elif request.name is not None:
        found = find(templates, request.name, request.channel, request.locale)
        if found is None:
            raise Problem.not_found("The template")
        source, documented = found, found.variables
    else:
        raise Problem.invalid([{"field": "body", "message": "Give a template name or a body."}])
    if request.channel != "email" and source.subject:
        raise Problem.invalid([{"field": "subject", "message": "Only e-mail templates have a subject."}])
    values = {name: f"<{name}>" for name in documented} | request.variables
    return render(source.subject, source.body, request.channel, values)
