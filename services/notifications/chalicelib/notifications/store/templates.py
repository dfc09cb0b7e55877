"""Templates the company edited (defaults live in code: `domain/defaults.py`).

| item      | pk        | sk                          |
| --------- | --------- | --------------------------- |
| template  | TEMPLATES | <name>.<channel>.<locale>   |

A company has tens of templates: listing them is one Query of one partition.
"""

from __future__ import annotations

from chalicelib.notifications.domain.templates import Template
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Store, TableModel, writes


class TemplateItem(TableModel):
    body = UnicodeAttribute()


MODELS = (TemplateItem,)


class TemplateStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(TemplateItem)

    def save(self, unit: UnitOfWork, template: Template) -> None:
        writes(unit).put(self._items("TEMPLATES", template.id, body=template.model_dump_json()))

    def get(self, template_id: str) -> Template | None:
        try:
            item = self._items.get("TEMPLATES", template_id)
        except DoesNotExist:
            return None
        return Template.model_validate_json(item.body)

    def edited(self) -> list[Template]:
        return [Template.model_validate_json(item.body) for item in self._items.query("TEMPLATES")]

    def remove(self, unit: UnitOfWork, template_id: str) -> None:
        writes(unit).delete(self._items("TEMPLATES", template_id))
