"""What the company offers for booking: a measurer's visit, a consultation, an installation."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import ConfigDict, Field

from lanka_platform.ids import new_id
from lanka_platform.money import Money
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import UnitOfWork


class NewOffering(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120, examples=["Замір"])
    duration_minutes: int = Field(ge=5, le=24 * 60, examples=[60])
    price: Money | None = Field(default=None, description="None when the price is agreed per job")
    at_client_address: bool = Field(default=False, description="A field visit (travel time applies)")


class Offering(NewOffering):
    id: str
    created_at: datetime


class OfferingPage(Schema):
    items: list[Offering]
    next_cursor: str | None = None


class Catalog(Protocol):
    def add(self, unit: UnitOfWork, offering: Offering) -> None: ...
    def get(self, offering_id: str) -> Offering | None: ...
    def page(self, limit: int, cursor: str | None) -> OfferingPage: ...


def add_offering(unit: UnitOfWork, catalog: Catalog, new: NewOffering, now: datetime) -> Offering:
    offering = Offering(id=new_id(), created_at=now, **new.model_dump())
    catalog.add(unit, offering)
    return offering


def get_offering(catalog: Catalog, offering_id: str) -> Offering:
    offering = catalog.get(offering_id)
    if offering is None:
        raise Problem.not_found("The service")
    return offering
