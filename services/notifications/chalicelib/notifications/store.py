"""The notifications table: the only code that knows its keys.

| item      | pk                   | sk       |
| --------- | -------------------- | -------- |
| template  | TEMPLATE#<id>        | TEMPLATE |
"""

from __future__ import annotations

from chalicelib.notifications.domain.templates import Template
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.storage import Store, TableModel, UnitOfWork


class TemplateItem(TableModel):
    name = UnicodeAttribute()
    channel = UnicodeAttribute()
    locale = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()


MODELS = (TemplateItem,)


class TemplateStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(TemplateItem)

    def add(self, unit: UnitOfWork, template: Template) -> None:
        item = self._items(
            pk=f"TEMPLATE#{template.id}",
            sk="TEMPLATE",
            name=template.name,
            channel=template.channel,
            locale=template.locale,
            subject=template.subject,
            body=template.body,
            created_at=to_iso(template.created_at),
        )
        unit.put(item, condition=self._items.pk.does_not_exist())

    def get(self, template_id: str) -> Template | None:
        try:
            item = self._items.get(f"TEMPLATE#{template_id}", "TEMPLATE")
        except DoesNotExist:
            return None
        return Template(
            id=template_id,
            name=item.name,
            channel=item.channel,
            locale=item.locale,
            subject=item.subject,
            body=item.body,
            created_at=from_iso(item.created_at),
        )
