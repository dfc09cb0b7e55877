"""Pipelines: ordered stages a deal moves through, with won and lost outcomes.

A company configures its own (several per company); three templates show the range: the
custom-furniture chain (the reference customer), a beauty salon and a wholesale office.
Stage keys are stable identifiers (what rules and events name); names are what people read.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from lanka_platform.lazy import lazy_attribute
from lanka_platform.schema import Schema

StageKind = Literal["open", "won", "lost"]
DistributionRule = Literal["round_robin", "least_loaded", "manual"]
KEY = r"^[a-z][a-z0-9_]{0,39}$"


class Stage(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    key: str = Field(pattern=KEY, examples=["measured"])
    name: str = Field(min_length=1, max_length=80, examples=["Заміряно"])
    name_en: str | None = Field(default=None, max_length=80, examples=["Measured"])
    kind: StageKind = "open"
    sla_hours: int | None = Field(
        default=None,
        ge=1,
        le=24 * 90,
        description="A deal longer than this in the stage escalates to the head",
    )


class Distribution(Schema):
    """Who gets a new request: the managers on duty in turn, or the least loaded of them."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    rule: DistributionRule = "round_robin"
    managers: list[str] = Field(
        default_factory=list, max_length=100, description="User ids of managers on duty"
    )


class PipelineSpec(Schema):
    """A pipeline as an admin writes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    name: str = Field(min_length=1, max_length=80)
    stages: list[Stage] = Field(min_length=2, max_length=40)
    lost_reasons: list[str] = Field(default_factory=list, max_length=50)
    distribution: Distribution = Field(default_factory=Distribution)
    is_default: bool = Field(default=False, description="Requests from channels open deals here")

    @model_validator(mode="after")
    def _well_formed(self) -> PipelineSpec:
        keys = [stage.key for stage in self.stages]
        if len(set(keys)) != len(keys):
            raise ValueError("Two stages have the same key.")
        if self.stages[0].kind != "open":
            raise ValueError("The first stage must be an open stage (where new deals start).")
        if not any(stage.kind == "won" for stage in self.stages):
            raise ValueError("A pipeline needs a won stage.")
        if not any(stage.kind == "lost" for stage in self.stages):
            raise ValueError("A pipeline needs a lost stage.")
        return self


class Pipeline(PipelineSpec):
    id: str
    version: int = 1

    @property
    def first_stage(self) -> Stage:
        return self.stages[0]

    def stage(self, key: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.key == key), None)

    @property
    def stage_keys(self) -> list[str]:
        return [stage.key for stage in self.stages]


def _stages(*rows: tuple[str, str, str, StageKind, int | None]) -> list[Stage]:
    return [
        Stage(key=key, name=name, name_en=en, kind=kind, sla_hours=sla) for key, name, en, kind, sla in rows
    ]


@functools.cache
def _templates() -> dict[str, Any]:
    """Built on first use, not at import: validating them is paid for in each cold start."""
    FURNITURE = PipelineSpec(
        name="Меблі на замовлення",
        is_default=True,
        stages=_stages(
            ("new", "Нова заявка", "New request", "open", 2),
            ("contacted", "Зв'язалися", "Contacted", "open", 48),
            ("measurement_booked", "Замір призначено", "Measurement booked", "open", 168),
            ("measured", "Заміряно", "Measured", "open", 48),
            ("pricing", "Прорахунок", "Pricing", "open", 72),
            ("price_agreed", "Ціну погоджено", "Price agreed", "open", 24),
            ("invoiced", "Рахунок виставлено", "Invoiced", "open", 120),
            ("paid", "Оплачено", "Paid", "open", 24),
            ("in_production", "У виробництві", "In production", "open", 24 * 30),
            ("ready", "Готово", "Ready", "open", 48),
            ("delivery_agreed", "Доставку погоджено", "Delivery agreed", "open", 24 * 14),
            ("installed", "Встановлено", "Installed", "won", None),
            ("lost", "Втрачено", "Lost", "lost", None),
        ),
        lost_reasons=[
            "Дорого",
            "Обрали конкурента",
            "Не виходить на зв'язок",
            "Передумав",
            "Терміни не підходять",
        ],
    )

    SALON = PipelineSpec(
        name="Салон краси",
        stages=_stages(
            ("new", "Нова заявка", "New request", "open", 1),
            ("booked", "Записано", "Booked", "open", None),
            ("visited", "Візит відбувся", "Visited", "won", None),
            ("no_show", "Не прийшов", "No-show", "lost", None),
        ),
        lost_reasons=["Не прийшов", "Скасував", "Не додзвонилися"],
    )

    WHOLESALE = PipelineSpec(
        name="Гуртові замовлення",
        stages=_stages(
            ("new", "Нове замовлення", "New order", "open", 4),
            ("quoted", "Комерційну пропозицію надіслано", "Quote sent", "open", 72),
            ("invoiced", "Рахунок виставлено", "Invoiced", "open", 120),
            ("paid", "Оплачено", "Paid", "open", 24),
            ("shipped", "Відвантажено", "Shipped", "won", None),
            ("lost", "Втрачено", "Lost", "lost", None),
        ),
        lost_reasons=["Ціна", "Немає в наявності", "Обрали іншого постачальника"],
    )

    TEMPLATES: dict[str, PipelineSpec] = {"furniture": FURNITURE, "salon": SALON, "wholesale": WHOLESALE}
    return {"TEMPLATES": TEMPLATES, "FURNITURE": FURNITURE, "SALON": SALON, "WHOLESALE": WHOLESALE}


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, name, _templates)
