"""Routes of message templates: the company's edits over the shipped defaults, and preview."""

from __future__ import annotations

from chalicelib.notifications.domain import templates
from chalicelib.notifications.domain.templates import (
    NewTemplate,
    Preview,
    Rendered,
    Template,
    TemplateList,
    TemplateText,
)
from chalicelib.notifications.service import service
from chalicelib.notifications.store import TemplateStore

from lanka_platform.api import Call
from lanka_platform.problems import Problem

EDITORS = ("admin", "head")


@service.route("/templates", response=TemplateList, roles=(*EDITORS, "manager"))
def list_templates(call: Call) -> TemplateList:
    """Every template (name x channel x locale): the company's version or the default."""
    return TemplateList(items=templates.all_templates(TemplateStore(call.store)))


@service.route(
    "/templates", "POST", body=NewTemplate, response=Template, status=201, roles=EDITORS, idempotent=True
)
def add_template(call: Call, body: NewTemplate) -> Template:
    """Save the company's version of a template (checked: it must compile and render)."""
    return templates.save_template(call.unit, TemplateStore(call.store), body, call.store.clock())


@service.route("/templates/{template_id}", response=Template, roles=(*EDITORS, "manager"))
def get_template(call: Call, template_id: str) -> Template:
    """One template (`<name>.<channel>.<locale>`), with the variables it may use."""
    return templates.get_template(TemplateStore(call.store), template_id)


@service.route("/templates/{template_id}", "PUT", body=TemplateText, response=Template, roles=EDITORS)
def edit_template(call: Call, template_id: str, body: TemplateText) -> Template:
    """Replace the subject and body of a template."""
    store = TemplateStore(call.store)
    current = templates.get_template(store, template_id)
    new = NewTemplate(name=current.name, channel=current.channel, locale=current.locale, **body.model_dump())
    return templates.save_template(call.unit, store, new, call.store.clock())


@service.route("/templates/{template_id}", "DELETE", response=Template, roles=EDITORS)
def reset_template(call: Call, template_id: str) -> Template:
    """Drop the company's version; answers what is used from now on (the default), or the
    removed template when there is no default of that name."""
    from chalicelib.notifications.domain.defaults import default_template

    store = TemplateStore(call.store)
    edited = store.get(template_id)
    if edited is None:
        raise Problem.not_found("An edited template")
    store.remove(call.unit, template_id)
    return default_template(template_id) or edited


@service.route("/templates/preview", "POST", body=Preview, response=Rendered, roles=(*EDITORS, "manager"))
def preview(call: Call, body: Preview) -> Rendered:
    """What a template (saved, or the text given) says with these variables (documented
    samples for the ones left out)."""
    return templates.preview(TemplateStore(call.store), body)
