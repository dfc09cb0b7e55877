"""Automation rule sets, one per pipeline.

| item     | pk                   | sk    |
| -------- | -------------------- | ----- |
| rule set | RULES#<pipeline id>  | RULES |

A pipeline's whole rule set is one item (at most 100 rules): every event that can trigger
rules reads it with one GetItem, and an admin replaces it as a whole, at the version read.
"""

from __future__ import annotations

from chalicelib.deals.domain.automation import RuleSet, RuleSetSpec
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Store, TableModel, writes


class RuleSetItem(TableModel):
    body = UnicodeAttribute()
    revision = NumberAttribute()


MODELS = (RuleSetItem,)


def _key(pipeline_id: str) -> tuple[str, str]:
    return f"RULES#{pipeline_id}", "RULES"


class RuleStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(RuleSetItem)

    def save(self, unit: UnitOfWork, rules: RuleSet, *, expected: int) -> None:
        """Queue `rules` (its `version` is the new one) in place of version `expected`
        (0: the pipeline has none yet); someone else's save meanwhile is a 409."""
        items = self._items
        pk, sk = _key(rules.pipeline_id)
        condition = items.pk.does_not_exist() if expected == 0 else items.revision == expected
        writes(unit).put(
            items(pk=pk, sk=sk, body=rules.model_dump_json(), revision=rules.version),
            condition=condition,
            on_conflict=lambda: Problem.conflict("Someone changed these rules meanwhile; reload them."),
        )

    def install(self, unit: UnitOfWork, pipeline_id: str, spec: RuleSetSpec) -> None:
        """Queue a new pipeline's first rules (a template's)."""
        self.save(unit, RuleSet(pipeline_id=pipeline_id, version=1, **spec.model_dump()), expected=0)

    def get(self, pipeline_id: str) -> RuleSet:
        """The pipeline's rules (none, at version 0, if it never had any)."""
        try:
            item = self._items.get(*_key(pipeline_id))
        except DoesNotExist:
            return RuleSet(pipeline_id=pipeline_id)
        return RuleSet.model_validate_json(item.body)
