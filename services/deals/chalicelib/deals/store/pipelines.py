"""Pipeline items.

| item            | pk         | sk          |
| --------------- | ---------- | ----------- |
| pipeline        | PIPELINE   | <id>        |
| rotation        | ROTATION#<pipeline> | NEXT |

All pipelines of the company live in one small partition: listing them is one Query. The
rotation item is the round-robin pointer of a pipeline's distribution.
"""

from __future__ import annotations

from chalicelib.deals.domain.pipelines import Pipeline
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Store, TableModel, writes


class PipelineItem(TableModel):
    body = UnicodeAttribute()
    revision = NumberAttribute()


class RotationItem(TableModel):
    turn = NumberAttribute(default=0)


MODELS = (PipelineItem, RotationItem)


class PipelineStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(PipelineItem)
        self._rotation = store.model(RotationItem)

    def save(self, unit: UnitOfWork, pipeline: Pipeline, *, expected: int | None) -> None:
        """Queue `pipeline` (its `version` is the new one); `expected` is the version it
        replaces (None: a new pipeline)."""
        items = self._items
        condition = items.pk.does_not_exist() if expected is None else items.revision == expected
        writes(unit).put(
            items(pk="PIPELINE", sk=pipeline.id, body=pipeline.model_dump_json(), revision=pipeline.version),
            condition=condition,
            on_conflict=lambda: Problem.conflict("Someone changed this pipeline meanwhile; reload it."),
        )

    def get(self, pipeline_id: str) -> Pipeline | None:
        try:
            item = self._items.get("PIPELINE", pipeline_id)
        except DoesNotExist:
            return None
        return Pipeline.model_validate_json(item.body)

    def all(self) -> list[Pipeline]:
        return [Pipeline.model_validate_json(item.body) for item in self._items.query("PIPELINE")]

    def default(self) -> Pipeline | None:
        pipelines = self.all()
        return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)

    def take_turn(self, pipeline_id: str) -> int:
        """The next number of the round-robin (an atomic counter: no two requests get one)."""
        item = self._rotation(pk=f"ROTATION#{pipeline_id}", sk="NEXT")
        actions: list[Action] = [self._rotation.turn.add(1)]
        item.update(actions=actions)
        return int(item.turn) - 1
